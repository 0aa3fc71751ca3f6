"""`yingji run`, `yingji compare`, `yingji scenarios`, the runner, the outputs and the Python API."""
from __future__ import annotations

import csv
import json
import textwrap
from pathlib import Path

import pytest

from network.errors import InputError
from scenarios.cli import main

from .test_cli import yingji

pytestmark = pytest.mark.filterwarnings("ignore::network.hazard.HazardModelWarning")

# short scenarios keep the default suite fast: a 6-hour chlorine leak and the 24-hour forest fire
SHORT_CHLORINE = """
    name = "short-chlorine"
    title_zh = "短时氯气泄漏"
    title_en = "short chlorine leak"

    [hazards.chemical]
    site = "chlor-alkali-plant"
    rate_kg_s = 2.0
    duration_min = 30
    wind_speed_m_s = 2.0
    wind_from_deg = 120
    stability = "F"
    time_of_day = "night"
    protective_action = "evacuate"   # everyone leaves: the relief indicator applies

    [simulation]
    duration_h = 12                  # past the 10-h deadline of everyone the leak reaches
    step_s = 300
"""


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return p


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_run_builtin_end_to_end_writes_every_file(tmp_path, district):
    """The README's main command, as a user runs it (a subprocess), on a built-in scenario."""
    out = tmp_path / "fire"
    r = yingji("run", "forest-fire-north", "--out", str(out), "--lang", "en")
    assert r.returncode == 0, r.stderr
    assert "forest fire damage rate" in r.stdout and ("pass" in r.stdout)
    summary = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    assert summary["scenario"] == "forest-fire-north" and summary["plan"] == "existing"
    rows = {row["indicator"]: row for row in summary["indicators"]}
    fire = rows["forest_fire_damage_permille"]
    assert fire["value"] is not None and fire["target"] == "<= 0.9" and fire["pass"] == (fire["value"] <= 0.9)
    with (out / "groups.csv").open(encoding="utf-8-sig") as f:
        list(csv.DictReader(f))
    with (out / "events.csv").open(encoding="utf-8-sig") as f:
        events = list(csv.DictReader(f))
    assert events and {"t_s", "event"} <= set(events[0])
    plan = json.loads((out / "plan.geojson").read_text(encoding="utf-8"))
    ids = {f["properties"]["id"] for f in plan["features"] if f["geometry"]["type"] == "Point"}
    assert "forest-fire-brigade" in ids and "cidu-square" in ids
    hazard = json.loads((out / "hazard.geojson").read_text(encoding="utf-8"))
    assert hazard["features"] and all(f["properties"]["hazard"] == "fire" for f in hazard["features"])
    burned = [f for f in hazard["features"] if f["properties"].get("state") == "burned"]
    assert burned and burned[0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    # the same map layers in one GeoPackage, a layer per kind (what QGIS opens)
    import pyogrio

    layers = dict((n, t) for n, t in pyogrio.list_layers(out / "run.gpkg"))
    assert {"team_bases", "warehouses", "shelters", "groups"} <= set(layers) and layers["groups"] == "Point"
    fire_layers = [n for n in layers if n.startswith("hazard_fire")]
    assert fire_layers and sum(pyogrio.read_info(out / "run.gpkg", layer=n)["features"] for n in fire_layers) == \
        len(hazard["features"])
    assert pyogrio.read_info(out / "run.gpkg", layer="shelters")["features"] == \
        sum(1 for f in plan["features"] if f["properties"].get("facility") == "shelter")
    # the report side (figures + HTML) when scenarios.reports.report is installed
    if (Path(__file__).parents[1] / "scenarios" / "report.py").exists():
        for stem in ("map", "relief_time", "timeline", "teams_gantt"):
            assert (out / f"{stem}.png").stat().st_size > 0 and (out / f"{stem}.svg").exists()
        assert "<html" in (out / "report.html").read_text(encoding="utf-8").lower()
    assert not list(tmp_path.glob(".yingji-*")), "scratch folder left behind"


def test_run_json_and_fail_on_target(tmp_path, capsys):
    p = write(tmp_path, SHORT_CHLORINE)
    code, out, _ = cli(capsys, "run", str(p), "--json", "--fail-on-target")
    res = json.loads(out)
    assert res["scenario"] == "short-chlorine" and res["files"] == [] and res["out"] is None
    missed = [r for r in res["indicators"] if r["pass"] is False]
    assert missed and code == 1 and res["passed"] is False
    code, out, _ = cli(capsys, "run", str(p), "--json")
    assert code == 0, "targets missed without --fail-on-target still exit 0"
    # the 10 m/s spring fire escapes the brigade's initial attack: the damage target is missed, exit 1,
    # and the verdict says why (when it was reported, when crews came, what out-ran them)
    code, out, _ = cli(capsys, "run", "forest-fire-north", "--json", "--fail-on-target")
    res = json.loads(out)
    rows = {r["indicator"]: r for r in res["indicators"]}
    assert code == 1 and rows["forest_fire_damage_permille"]["pass"] is False
    assert "Reported" in res["verdict"]["en"] and "escaped because" in res["verdict"]["en"]
    assert "失控原因" in res["verdict"]["zh"]


def test_targets_come_from_the_scenario():
    from scenarios.core.runner import run_scenario

    from scenarios.core.spec import load_scenario

    # 30 h: the 24-h deadline of everyone the leak reaches in its first hours falls inside the run
    run = run_scenario(load_scenario("chlorine-night").with_overrides({"simulation.duration_h": 30}))
    cov = next(r for r in run.kpis if r["indicator"] == "warning_coverage")
    strict = run_scenario(run.scenario.with_overrides({"targets.warning_coverage": 0.0, "targets.relief_within_h": 24}),
                          district=run.district)
    assert strict.result.kpis["relief_time"]["undecided_people"] == 0
    cov2 = next(r for r in strict.kpis if r["indicator"] == "warning_coverage")
    assert cov2["value"] == cov["value"] and cov2["target"] == ">= 0" and cov2["pass"] is True
    share = next(r for r in strict.kpis if r["indicator"] == "relief_within_target")
    assert "24 h" in share["en"] and strict.result.params["relief_target_h"] == 24
    # the relief share is measured against the scenario's hours, so it cannot fall with a longer target
    base_share = next(r for r in run.kpis if r["indicator"] == "relief_within_target")["value"]
    assert share["value"] >= base_share


def test_same_seed_same_result_and_seed_override():
    from scenarios.core.runner import run_scenario

    a = run_scenario("chlorine-night", seed=3)
    b = run_scenario("chlorine-night", seed=3, district=a.district)
    assert a.scenario.simulation.seed == 3 and a.result.kpis == b.result.kpis


def test_quiet_prints_nothing(tmp_path, capsys):
    code, out, _ = cli(capsys, "run", str(write(tmp_path, SHORT_CHLORINE)), "--quiet")
    assert code == 0 and out == ""


def test_compare_two_scenarios_json(tmp_path, capsys):
    a = write(tmp_path, SHORT_CHLORINE, "a.toml")
    b = write(tmp_path, SHORT_CHLORINE.replace("rate_kg_s = 2.0", "rate_kg_s = 0.2").replace(
        'name = "short-chlorine"', 'name = "small-leak"'), "b.toml")
    code, out, err = cli(capsys, "compare", str(a), str(b), "--json")
    assert code == 0, err
    res = json.loads(out)
    labels = [r["label"] for r in res["runs"]]
    assert labels == ["short-chlorine [existing]", "small-leak [existing]"]
    share = next(r for r in res["indicators"] if r["indicator"] == "relief_within_target")
    va, vb = share["values"][labels[0]], share["values"][labels[1]]
    assert 0 <= va <= 1 and 0 <= vb <= 1
    assert share["diff"][labels[1]] == pytest.approx(vb - va)
    # no river flood in either run: the death rate is not applicable, not a pass
    deaths = next(r for r in res["indicators"] if r["indicator"] == "flood_deaths_per_million")
    assert set(deaths["values"].values()) == {None}
    assert all(row["pass"] is None for run in res["runs"] for row in run["indicators"]
               if row["indicator"] == "flood_deaths_per_million")


@pytest.mark.slow  # two full reports (figures + HTML): about 8 s
def test_compare_writes_outputs(tmp_path, capsys):
    a = write(tmp_path, SHORT_CHLORINE, "a.toml")
    out = tmp_path / "cmp"
    code, _, err = cli(capsys, "compare", f"{a}@existing", "forest-fire-north", "--out", str(out), "--quiet")
    assert code == 0, err
    res = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert [r["scenario"] for r in res["runs"]] == ["short-chlorine", "forest-fire-north"]
    with (out / "compare.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert {r["indicator"] for r in rows} >= {"relief_within_target", "warning_coverage"}
    runs = sorted(p.name for p in (out / "runs").iterdir())
    assert len(runs) == 2 and all((out / "runs" / r / "kpis.json").exists() for r in runs)


def test_compare_needs_two_runs(capsys):
    code, _, err = cli(capsys, "compare", "flood-50y")
    assert code == 2 and "at least two runs" in err


def test_scenarios_list_and_show(capsys):
    code, out, _ = cli(capsys, "scenarios", "list", "--json")
    names = {s["name"] for s in json.loads(out)}
    assert code == 0 and "flood-100y-breach" in names
    code, out, _ = cli(capsys, "scenarios", "show", "flood-100y-breach")
    assert code == 0 and 'dike = "xijiao-dike"' in out and "[[hazards.flood.breaches]]" in out
    code, _, err = cli(capsys, "scenarios", "show", "nope")
    assert code == 2 and "unknown scenario" in err


@pytest.mark.parametrize("args, message", [
    (["run", "no-such-scenario"], "unknown scenario"),
    (["run", "missing.toml"], "scenario file not found"),
    (["run", "chlorine-night", "--plan", "absent.json"], "plan file not found"),
])
def test_bad_input_one_message_exit_2_nothing_written(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    code, _, err = cli(capsys, *args, "--out", str(out))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".yingji-*"))


def test_negative_duration_and_off_map_site_are_reported(tmp_path, capsys):
    neg = write(tmp_path, SHORT_CHLORINE.replace("duration_h = 12", "duration_h = -12"), "neg.toml")
    code, _, err = cli(capsys, "run", str(neg), "--out", str(tmp_path / "o"))
    assert code == 2 and "neg.toml:16: simulation.duration_h" in err and "found -12" in err
    off = write(tmp_path, SHORT_CHLORINE.replace('site = "chlor-alkali-plant"', 'location = [120.0, 31.0]\n'
                                                 '    substance = "chlorine"'), "off.toml")
    code, _, err = cli(capsys, "run", str(off), "--out", str(tmp_path / "o"))
    assert code == 2 and "off.toml:6: hazards.chemical.location" in err and "off the map" in err
    assert not (tmp_path / "o").exists()


def test_plan_off_the_network_is_reported(tmp_path, capsys):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"name": "p", "shelters": [{"id": "s1", "name_zh": "甲", "name_en": "a", "node": 10 ** 7,
                                                           "lon": 117.1, "lat": 29.3, "capacity": 10}]}))
    code, _, err = cli(capsys, "run", "chlorine-night", "--plan", str(plan), "--out", str(tmp_path / "o"))
    assert code == 2 and "plan.json" in err and "not on the network" in err and not (tmp_path / "o").exists()


def test_optimized_plan_runs_with_the_scenario_budget(tmp_path):
    from scenarios.core.runner import run_scenario

    p = write(tmp_path, SHORT_CHLORINE + """
    [plan]
    teams = 0
    shelters = 1
    warehouses = 0
    time_limit_s = 10
    """)
    from network.plan import Plan

    run = run_scenario(p, plan="optimized")
    existing = {s.id for s in Plan.existing(run.district).shelters}
    new = {s.id for s in run.plan.shelters} - existing
    assert run.plan_label == "optimized" and len(new) == 1
    assert new <= {s.id for s in run.district.spec.shelters if not s.existing}


def test_bad_objective_names_the_plan_section(tmp_path):
    from scenarios.core.runner import run_scenario

    p = write(tmp_path, SHORT_CHLORINE + '\n    [plan]\n    objective = "fastest"\n    shelters = 1\n')
    with pytest.raises(InputError, match=r"s.toml:20: plan.objective: expected median, center or cover:MINUTES, got 'fastest'"):
        run_scenario(p, plan="optimized")


def test_plan_file_round_trip_runs_like_existing(tmp_path, district):
    from network.plan import Plan
    from scenarios.core.runner import run_scenario

    path = Plan.existing(district).to_json(tmp_path / "today.json")
    a = run_scenario("chlorine-night", district=district)
    b = run_scenario("chlorine-night", plan=path, district=district)
    assert b.plan_label == "today.json" and a.result.kpis == b.result.kpis


def test_resources_change_the_plan(tmp_path, district):
    from scenarios.core.plans import build_plan
    from scenarios.core.spec import load_scenario

    sc = load_scenario("flood-50y").with_overrides({
        "resources.unavailable": ["xijiao-fire-station", "cidu-square"],
        "resources.open_shelters": ["xinfeng-park"], "resources.team_share": 0.5})
    plan, label = build_plan(sc, district)
    assert label == "existing"
    ids = {b.id for b in plan.team_bases} | {s.id for s in plan.shelters}
    assert "xijiao-fire-station" not in ids and "cidu-square" not in ids and "xinfeng-park" in ids
    rescue = next(b for b in plan.team_bases if b.id == "district-rescue-team")
    assert [t.people for t in rescue.teams] == [12, 6]  # 24 and 12 people, half report
    bad = sc.with_overrides({"resources.unavailable": ["no-such-station"]})
    with pytest.raises(InputError, match=r"resources.unavailable.0: .*found 'no-such-station'"):
        build_plan(bad, district)
    # outside supplies and relief craft: out of action, or slower and smaller, as batch runs draw them
    today, _ = build_plan(load_scenario("flood-50y"), district)
    slow = sc.with_overrides({"resources.unavailable": ["donations", "province-helicopter", "district-warehouse"],
                              "resources.supply_lead_time_factor": 2.5, "resources.supply_capacity_factor": 0.5})
    plan, _ = build_plan(slow, district)
    before = {s.id: s for s in today.supply_sources}
    assert {s.id for s in plan.supply_sources} == set(before) - {"donations"}
    for src in plan.supply_sources:
        assert src.lead_time_h == pytest.approx(2.5 * before[src.id].lead_time_h)
        assert src.daily_capacity_kg == pytest.approx(0.5 * before[src.id].daily_capacity_kg)
    # every craft loads at the district warehouse, which is out: none is left
    assert today.relief_craft and plan.relief_craft == ()


def test_write_failure_leaves_nothing_in_out(tmp_path, monkeypatch):
    import scenarios.reports.outputs as outputs
    from scenarios.core.runner import run_scenario

    run = run_scenario(write(tmp_path, SHORT_CHLORINE))

    def boom(run, path):
        path.write_text("partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(outputs, "write_hazard_geojson", boom)
    out = tmp_path / "o"
    with pytest.raises(RuntimeError):
        outputs.write_run_outputs(out, run, report=False)
    assert not out.exists() and not list(tmp_path.glob(".yingji-*"))
    # a folder of someone else's files is refused, untouched
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(InputError, match="holds files yingji did not write"):
        outputs.write_run_outputs(out, run, report=False)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    # an earlier output: a failed rewrite leaves it as it was; a good one replaces it whole
    monkeypatch.undo()
    mine = tmp_path / "mine"
    outputs.write_run_outputs(mine, run, report=False)
    (mine / "stale.txt").write_text("from an older version")
    before = sorted(p.name for p in mine.iterdir())
    monkeypatch.setattr(outputs, "write_hazard_geojson", boom)
    with pytest.raises(RuntimeError):
        outputs.write_run_outputs(mine, run, report=False)
    assert sorted(p.name for p in mine.iterdir()) == before
    monkeypatch.undo()
    outputs.write_run_outputs(mine, run, report=False)
    assert "stale.txt" not in {p.name for p in mine.iterdir()} and (mine / "kpis.json").is_file()
    assert not list(tmp_path.glob(".yingji-*"))


def test_python_api_tables(tmp_path):
    from scenarios import api

    runs = api.compare([write(tmp_path, SHORT_CHLORINE), "forest-fire-north"])
    assert [r.name for r in runs] == ["short-chlorine", "forest-fire-north"]
    ind = api.indicators(runs[0])
    assert {r["indicator"] for r in ind} >= {"relief_within_target", "warning_coverage"}
    frame = ind.to_frame()
    assert list(frame["indicator"]) == [r["indicator"] for r in ind]
    ts = api.time_series(runs[0])
    assert ts and {"t_h", "affected", "sheltered"} <= set(ts[0])
    assert len(api.groups(runs[0])) == len(runs[0].result.groups)
    cmp = api.comparison(runs)
    assert len(cmp) == 2 * len(ind)
    first = [r for r in cmp if r["run"] == "short-chlorine [existing]"]
    assert all(r["diff_vs_first"] in (0.0, None) for r in first)
    assert {r["name"] for r in api.scenarios_table()} >= {"flood-50y", "chlorine-night"}
    from scenarios.api import run_batch, size_plan    # the documented import path works too

    assert run_batch is api.run_batch and size_plan is api.size_plan


def test_osm_network_with_dem_and_plan_file_runs(tmp_path, capsys):
    """A file network: OSM roads plus an ESRI ASCII DEM, a chemical release and a plan file."""
    from tests.cli_checks import write_file_network

    p = write_file_network(tmp_path, Path(__file__).parent / "data" / "osm" / "West-Oakland.osm.bz2", plan_name="wo",
                           duration_h=2)
    code, out, err = cli(capsys, "run", str(p), "--json")
    assert code == 0, err
    res = json.loads(out)
    assert res["plan"] == "plan.json" and len(res["indicators"]) == 5
    from scenarios.core.inputs import load_scenario_network
    from scenarios.core.spec import load_scenario

    loaded = load_scenario_network(load_scenario(p))
    assert float(loaded.elevation.min()) >= 10.0 and float(loaded.elevation.max()) > 10.0  # from the DEM
    # the existing plan lives in a district file: on a file network it is refused clearly
    code, _, err = cli(capsys, "run", str(p), "--plan", "existing")
    assert code == 2 and "give a plan file" in err
