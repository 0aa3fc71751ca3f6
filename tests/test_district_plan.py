"""District plan optimiser: candidates, demand layers, response figures, plans, robust runs, the CLI."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from network import InputError
from network.paths import travel_time_matrix
from optimize.district_plan import (
    TEAM_LAYERS,
    candidate_sites,
    damaged_network,
    optimize_district_plan,
    response_stats,
    team_demand_layers,
)
from network.plan import Plan
from network.hazard import AffectedPeople, Hazard, HazardState

FREE = "正常路网 / free flow"


def _flood_prone(district, zones=("xijiao", "xinfeng")) -> np.ndarray:
    """A small, known at-risk population: 5 % of the residents of two townships."""
    net = district.network
    ids = [t.id for t in district.spec.townships]
    mask = np.isin(net.zone, [ids.index(z) for z in zones])
    return np.where(mask, 0.05 * net.population, 0.0)


class _FakeHazard(Hazard):
    """Closes a growing set of edges (the first k(t) of ``order``), with people affected at their
    nodes; the closed roads are under water (boats cross them)."""

    kind, label_zh, label_en = "test_flood", "测试洪水", "test flood"
    water_on_roads = True

    def __init__(self, net, order: np.ndarray, per_hour: int, name: str = "flood test") -> None:
        self.net, self.order, self.per_hour, self.name = net, order, per_hour, name

    def state(self, time_s: float, *, fields: bool = True) -> HazardState:
        """The first k(t) edges of ``order`` closed; people at their tails affected."""
        k = min(len(self.order), int(self.per_hour * time_s / 3600.0))
        f = np.ones(self.net.n_edges)
        f[self.order[:k]] = 0.0
        nodes = np.unique(self.net.edge_source[self.order[:k]]).astype(np.int64)
        people = self.net.population[nodes].astype(float)
        aff = AffectedPeople(nodes, people, np.zeros(len(nodes)), np.ones(len(nodes), np.int8))
        return HazardState(time_s, f, np.zeros(self.net.n_nodes), aff)


class _FakeLandslide(_FakeHazard):
    """The same closures on dry ground: boats cannot use them."""

    kind, label_zh, label_en = "test_landslide", "测试滑坡", "test landslide"
    water_on_roads = False


def test_candidates_and_demand_layers(district):
    net = district.network
    c = candidate_sites(district, 1500.0)
    assert 30 < len(c) < 400 and np.all(net.zone[c] >= 0)
    assert len(candidate_sites(district, 3000.0)) < len(c)
    layers = team_demand_layers(district, _flood_prone(district))
    assert set(layers) == set(TEAM_LAYERS)
    assert layers["general"].sum() == pytest.approx(net.population.sum())
    sites = [f for f in district.spec.facilities if f.kind in ("hazmat_site", "fireworks_site")]
    assert layers["hazmat"].sum() == len(sites)
    assert 0 < layers["forest_fire"].sum() < net.n_nodes and set(np.unique(layers["forest_fire"])) == {0.0, 1.0}


def test_response_stats_match_a_direct_computation(district):
    net = district.network
    fac = np.array([10, 2000, 5000])
    w = np.where(np.arange(net.n_nodes) % 7 == 0, net.population + 1.0, 0.0)
    t = travel_time_matrix(net, fac).min(axis=0) / 60.0
    s = response_stats(net, fac, w, standard_min=10.0)
    sel = w > 0
    assert s["mean_min"] == pytest.approx(np.average(t[sel], weights=w[sel]))
    assert s["max_min"] == pytest.approx(t[sel].max())
    assert s["within_share"] == pytest.approx(w[sel & (t <= 10.0)].sum() / w.sum())
    o = np.argsort(t[sel])
    cum = np.cumsum(w[sel][o])
    assert s["p90_min"] == pytest.approx(t[sel][o][np.argmax(cum >= 0.9 * cum[-1])])
    # reverse: time to the facility
    tr = travel_time_matrix(net, fac, reverse=True).min(axis=0) / 60.0
    assert response_stats(net, fac, w, reverse=True)["max_min"] == pytest.approx(tr[sel].max())


def test_small_plan_keeps_existing_and_only_improves(district, tmp_path):
    fp = _flood_prone(district)
    plan, report = optimize_district_plan(district, teams={"general": 1, "hazmat": 1}, shelters=1, warehouses=1,
                                          flood_prone=fp, time_limit_s=8)
    base = Plan.existing(district)
    plan.check_against(district.network)
    assert {b.id for b in base.team_bases} < {b.id for b in plan.team_bases}
    new_bases = [b for b in plan.team_bases if not b.existing]
    assert sorted(b.teams[0].type for b in new_bases) == ["general", "hazmat"]
    assert all(b.name_zh and b.name_en and b.name_zh != b.name_en for b in new_bases)
    cands = set(candidate_sites(district).tolist())
    assert all(b.node in cands for b in new_bases)
    assert len([s for s in plan.shelters if not s.existing]) == 1
    assert len([w for w in plan.warehouses if not w.existing]) == 1
    # demand nodes go to shelters of the plan; every shelter has a supplying warehouse
    ids = {s.id for s in plan.shelters}
    assert plan.demand_shelter and set(plan.demand_shelter.values()) <= ids
    assert all(fp[n] > 0 for n in plan.demand_shelter)
    assert set(plan.shelter_warehouse) == ids
    # adding facilities can only shorten the way to the nearest one
    rows = [r for r in report.rows if r["network"] == FREE]
    assert {r["layer_en"] for r in rows} >= {"general rescue teams", "shelters", "relief warehouses"}
    for r in rows:
        assert r["after_mean_min"] <= r["before_mean_min"] + 1e-9
        assert r["after_max_min"] <= r["before_max_min"] + 1e-9
        assert r["after_within_share"] >= r["before_within_share"] - 1e-12
    gen = next(r for r in rows if r["layer_en"] == "general rescue teams")
    assert gen["after_mean_min"] < gen["before_mean_min"]
    assert report.shelter["demand"] == pytest.approx(fp.sum())
    assert {s["layer"] for s in report.solves} >= {"general rescue", "hazmat", "shelters"}
    back = Plan.from_json(plan.to_json(tmp_path / "plan.json"))
    assert back == plan
    report.write_csv(tmp_path / "t.csv")
    assert "before_mean_min" in (tmp_path / "t.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    json.dumps(report.to_dict(), ensure_ascii=False)


def test_short_shelter_capacity_names_the_townships(district):
    net = district.network
    fp = np.asarray(net.population, float) * 0.5  # far more people than all shelters hold
    plan, report = optimize_district_plan(district, shelters=1, flood_prone=fp, time_limit_s=6)
    sh = report.shelter
    short = sum(sh["short_after_by_zone"].values())
    assert short >= sh["demand"] - sh["capacity_after"] - 10
    assert any("lack a place" in n for n in report.notes)
    names = {t.name_en for t in district.spec.townships}
    assert all(k.split(" / ")[1] in names for k in sh["short_after_by_zone"])
    # the largest candidate is the one that houses the most people
    cands = [s for s in district.spec.shelters if not s.existing]
    largest = max(cands, key=lambda s: s.area_m2 / (s.m2_per_person or district.spec.shelter_defaults.m2_per_person))
    assert [s.id for s in plan.shelters if not s.existing] == [largest.id]


def test_damaged_network_takes_the_peak_and_boats_cross_water(district):
    net = district.network
    order = np.random.default_rng(3).permutation(net.n_edges)
    rising = _FakeHazard(net, order, per_hour=200)
    d = damaged_network(net, [rising], [3600.0, 7200.0, 10800.0], "test")
    assert d.time_s == 10800.0 and d.closed_edges == 600
    closed = order[:600]
    assert np.isinf(d.weights[closed]).all()
    # the fake flood puts water on its closed roads: boats cross them at 8 km/h
    assert np.isfinite(d.boat_weights[closed]).all()
    assert d.boat_weights[closed] == pytest.approx(np.maximum(net.length[closed] / (8 / 3.6), net.travel_times()[closed]))
    other = _FakeLandslide(net, order, per_hour=200)
    assert np.isinf(damaged_network(net, [other], [10800.0], "c").boat_weights[closed]).all()
    assert d.affected.sum() > 0


@pytest.mark.parametrize("mode", ["expected", "worst", "regret"])
def test_robust_plan_over_two_damaged_networks(district, mode):
    net = district.network
    rng = np.random.default_rng(5)
    sets = [[_FakeHazard(net, rng.permutation(net.n_edges), per_hour=60)],
            [_FakeHazard(net, rng.permutation(net.n_edges), per_hour=120)]]
    plan, report = optimize_district_plan(district, teams={"general": 1}, warehouses=1, hazards_sets=sets,
                                          hazard_labels=["a", "b"], robust=mode, time_limit_s=8, state_hours=[1, 2])
    assert [s["label"] for s in report.scenarios] == ["a", "b"]
    assert [s["closed_edges"] for s in report.scenarios] == [120, 240]
    nets = {r["network"] for r in report.rows}
    assert nets == {FREE, "a", "b"}
    for r in report.rows:
        assert r["after_unreachable"] <= r["before_unreachable"] + 1e-9
        assert r["after_within_share"] >= r["before_within_share"] - 1e-12
    solve = next(s for s in report.solves if s["layer"] == "general rescue")
    assert solve["model"] == f"robust-p-median ({mode})" and solve["status"] in ("optimal", "feasible")
    assert plan.meta["robust"] == mode and plan.meta["scenarios"] == ["a", "b"]


def test_bad_input_is_named(district):
    fp = _flood_prone(district)
    with pytest.raises(InputError, match="teams: must be >= 0"):
        optimize_district_plan(district, teams=-1, flood_prone=fp)
    with pytest.raises(InputError, match="cover needs a positive number"):
        optimize_district_plan(district, teams=1, objective="cover:x", flood_prone=fp)
    with pytest.raises(InputError, match="robust"):
        optimize_district_plan(district, robust="average", flood_prone=fp)
    with pytest.raises(InputError, match="candidate shelter sites"):
        optimize_district_plan(district, shelters=99, flood_prone=fp)
    with pytest.raises(InputError, match="flood_prone"):
        optimize_district_plan(district, shelters=1)
    with pytest.raises(InputError, match="unknown team layer"):
        optimize_district_plan(district, teams={"boats": 1}, flood_prone=fp)
    with pytest.raises(InputError, match="robust only in expectation"):
        optimize_district_plan(district, teams={"general": 1}, objective="cover:20", robust="worst",
                               hazards_sets=[[_FakeHazard(district.network, np.arange(10), 10)]], state_hours=[1])


def _yingji(*args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("yingji")
    cmd = [str(exe), *args] if exe.exists() else [sys.executable, "-m", "scenarios.cli", *args]
    return subprocess.run(cmd, check=False, capture_output=True, text=True, env={**os.environ, "YINGJI_DEBUG": "0"}, timeout=300)


def test_cli_plan_writes_every_file(tmp_path):
    out = tmp_path / "plan"
    r = _yingji("optimize", "plan", "--teams", "1", "--team-types", "general,hazmat", "--shelters", "1",
                "--warehouses", "1", "--time-limit", "4", "--engine", "fill", "--json", "--out", str(out))
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    for name in ("plan.json", "plan.geojson", "plan_map.png", "before_after.csv", "report.json"):
        assert (out / name).stat().st_size > 0
    plan = Plan.from_json(out / "plan.json")
    assert any(not b.existing for b in plan.team_bases)
    geo = json.loads((out / "plan.geojson").read_text(encoding="utf-8"))
    new = [f["properties"] for f in geo["features"] if not f["properties"]["existing"]]
    assert new and all(p["name_zh"] and p["name_en"] for p in new)
    for row in summary["rows"]:
        assert row["after_mean_min"] <= row["before_mean_min"] + 1e-9
        assert row["after_within_share"] >= row["before_within_share"] - 1e-12
    # what it adds, costed: the new bases and their members, the new warehouse and its stock
    levers = {a["lever"] for a in summary["additions"]}
    assert {"team_base", "team_members:general", "team_members:hazmat", "warehouse"} <= levers
    assert summary["cost"]["one_off_cny"] == pytest.approx(sum(a["one_off_cny"] for a in summary["additions"]), abs=0.01)
    with (out / "costs.csv").open(encoding="utf-8-sig") as f:
        assert len(list(csv.DictReader(f))) == len(summary["additions"])


def test_cli_plan_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys):
    from scenarios.cli import main

    afile = tmp_path / "file.txt"
    afile.write_text("x")
    for args in (["--out", str(afile)], ["--shelters", "99", "--out", str(tmp_path / "a")],
                 ["--robust", "flood:abc", "--out", str(tmp_path / "b")], ["--teams", "-2", "--out", str(tmp_path / "c")],
                 ["--robust", "flood:50,no-such-scenario", "--out", str(tmp_path / "d")],
                 ["--objective", "cover:-5", "--out", str(tmp_path / "e")]):
        assert main(["optimize", "plan", *args]) == 2, args
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and err.startswith("yingji: error:"), (args, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_new_shelters_are_fitted_out_for_the_people_assigned_to_them(district):
    from optimize.district_plan import SHELTER_SIZING_MARGIN, sized_capacity

    assert sized_capacity(100.0, 5000) == 150                    # 120 rounded up to fifties
    assert sized_capacity(1000.0, 900) == 900                    # never beyond the site
    assert sized_capacity(0.0, 900) == 50
    net = district.network
    fp = np.asarray(net.population, float) * 0.05
    plan, report = optimize_district_plan(district, teams=0, warehouses=0, shelters=2, flood_prone=fp,
                                          time_limit_s=6)
    sized = {x["id"]: x for x in report.shelter["new_sized"]}
    new = [s for s in plan.shelters if not s.existing]
    assert new and {s.id for s in new} == set(sized)
    sites = {s.id: district.spec.shelter_capacity(s) for s in district.spec.shelters}
    for s in new:
        x = sized[s.id]
        assert x["site_capacity"] == sites[s.id]
        assert s.capacity == sized_capacity(x["assigned"], x["site_capacity"])
        assert min(x["assigned"] * (1 + SHELTER_SIZING_MARGIN), x["site_capacity"]) <= s.capacity <= x["site_capacity"]
    assert report.shelter["capacity_after"] == pytest.approx(
        sum(s.capacity for s in plan.shelters if s.existing) + sum(s.capacity for s in new))
