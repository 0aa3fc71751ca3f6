"""The response simulation on the built-in district: invariants, determinism, capacity shortfall."""
from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from network.errors import InputError
from network.plan import Plan
from sim import SimParams, indicator_table, run
from sim.api import default_district_flood
from sim.evacuation import STATES

from .routes import check_route
from .supplies_check import conserved


@pytest.fixture(scope="module")
def flood(district):
    return default_district_flood(district, engine="fill")


@pytest.fixture(scope="module")
def plan(district):
    return Plan.existing(district)


@pytest.fixture(scope="module")
def result(district, flood, plan):
    return run(district, [flood], plan, SimParams(duration_h=48, seed=3))


def test_every_person_in_exactly_one_state(result):
    ts = result.time_series
    for i in range(len(ts["t_h"])):
        assert sum(ts[k][i] for k in STATES) == ts["threatened"][i]
        assert ts["affected"][i] <= ts["threatened"][i]
    assert sum(result.kpis["people_by_state"].values()) == sum(g["people"] for g in result.groups)


def test_supplies_conserved(district, flood, plan):
    from sim.engine import Simulation

    sim = Simulation(district.network, [flood], plan, SimParams(duration_h=30, seed=5))
    sim.run()
    conserved(sim)


def test_no_team_in_two_places(result):
    by_team: dict[str, list] = {}
    for r in result.requests:
        if r["team"]:
            by_team.setdefault(r["team"], []).append(r)
    for jobs in by_team.values():
        jobs.sort(key=lambda r: r["assigned_s"])
        for a, b in zip(jobs, jobs[1:]):
            assert a["done_s"] is not None and not math.isnan(a["done_s"])
            assert b["assigned_s"] >= a["done_s"] - 1e-6  # one job at a time


def test_relief_never_beats_free_flow_travel(district, flood, plan):
    from sim.engine import Simulation

    sim = Simulation(district.network, [flood], plan, SimParams(duration_h=24, seed=2))
    sim.run()
    checked = 0
    for q in sim.parties:
        for t, _ in q.relief:
            if q.in_place:  # a truck came: load, free-flow drive from the nearest warehouse, unload
                assert t - q.cut_off_s >= q.lower_bound_s - 1e-6
            else:           # they went: free-flow travel from home to the shelter
                assert t - q.left_s >= q.lower_bound_s - 1e-6
                assert q.arrived_s - q.left_s >= q.lower_bound_s - 1e-6
            checked += 1
    assert checked > 0


def test_same_seed_same_result(district, flood, plan):
    p = SimParams(duration_h=24, seed=11)
    a = run(district, [flood], plan, p).to_json()
    b = run(district, [flood], plan, p).to_json()
    c = run(district, [flood], plan, p.with_(seed=12)).to_json()
    assert a == b
    assert a != c


def test_capacity_short_is_shown(district, flood, plan):
    # today's 22,250 places hold the 100-year flood's evacuees; with half of them the shelters fill
    half = dataclasses.replace(plan, shelters=tuple(dataclasses.replace(s, capacity=s.capacity // 2)
                                                    for s in plan.shelters))
    k = run(district, [flood], half, SimParams(duration_h=48, seed=3)).kpis
    assert k["shelters_full"]
    assert k["unmet_at_end"]["stranded_people"] > 0
    assert k["relief_time"]["unrelieved_people"] > 0
    assert k["relief_time"]["share_within_target"] < 1.0
    assert k["shelter_peak_occupancy"] <= k["shelter_capacity"]


def test_ample_capacity_relieves_people(district, flood, plan):
    big = dataclasses.replace(
        plan,
        shelters=tuple(dataclasses.replace(s, capacity=s.capacity * 10) for s in plan.shelters),
        warehouses=tuple(dataclasses.replace(w, stock={k: v * 20 for k, v in w.stock.items()}) for w in plan.warehouses),
    )
    r = run(district, [flood], big, SimParams(duration_h=48, seed=3, trucks_per_warehouse=12))
    assert r.kpis["unmet_at_end"]["stranded_people"] == 0
    assert r.kpis["relief_time"]["share_within_target"] > 0.3


def test_result_serialises(result, tmp_path):
    d = json.loads(result.to_json(tmp_path / "r.json"))
    assert set(d["kpis"]["relief_time"]) >= {"p50_h", "p90_h", "p95_h", "max_h", "share_within_target"}
    assert 0.0 <= d["kpis"]["warning_coverage"] <= 1.0
    path = result.events_to_csv(tmp_path / "events.csv")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("time_h,t_s,event,node,lon,lat") and len(lines) == len(result.events) + 1
    table = indicator_table(result)
    assert {r["indicator"] for r in table} >= {"relief_within_target", "warning_coverage"}


def test_bad_parameters_name_the_field(district, flood, plan):
    with pytest.raises(InputError, match="help_share"):
        SimParams(help_share=1.5)
    with pytest.raises(InputError, match="duration_h"):
        SimParams.from_dict({"duration_h": -1})
    with pytest.raises(InputError, match="bogus"):
        SimParams.from_dict({"bogus": 1})
    with pytest.raises(InputError, match="plan"):
        run(district, [flood], object())


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), help_share=st.floats(0.0, 0.5), evac=st.floats(0.1, 1.0))
def test_state_ledger_invariant_holds_for_any_parameters(district, flood, plan, seed, help_share, evac):
    r = run(district, [flood], plan, SimParams(duration_h=20, seed=seed, help_share=help_share,
                                              evac_speed_factor=evac, log_events=False))
    ts = r.time_series
    for i in range(len(ts["t_h"])):
        assert sum(ts[k][i] for k in STATES) == ts["threatened"][i]
        assert all(ts[k][i] >= 0 for k in STATES)
    assert np.all(np.diff(ts["relieved"]) >= 0)


# ---------------------------------------------------------------------------------------------
# travel modes, cached trees and water rescue


@pytest.fixture(scope="module")
def flooded_sim(district, flood, plan):
    from sim.engine import Simulation

    sim = Simulation(district.network, [flood], plan, SimParams(duration_h=40, seed=4))
    sim.run()
    return sim


def test_routes_from_cached_trees_are_shortest(district, flooded_sim):

    roads = flooded_sim.roads
    net = district.network
    rng = np.random.default_rng(0)
    hubs = sorted(roads.hubs)
    checked = 0
    for k in range(30):
        a, b = int(rng.integers(net.n_nodes)), hubs[k % len(hubs)]
        for src, dst in ((a, b), (b, a)):
            checked += check_route(net, roads, src, dst)
    assert checked > 10


def test_repaired_trees_equal_fresh_searches(district, flood, plan):
    from network.paths import one_to_all
    from sim.engine import Simulation

    sim = Simulation(district.network, [flood], plan, SimParams(duration_h=30, seed=1))
    roads = sim.roads
    got = []
    orig = roads._repair

    def spy(mode, reverse, old):
        t = orig(mode, reverse, old)
        if t is not None and len(got) < 60:
            got.append((mode, reverse, t[0].copy(), t[1].copy(), roads.w[mode].copy()))
        return t

    roads._repair = spy
    sim.run()
    assert roads.repairs > 20 and len(got) >= 40
    net = district.network
    heads, tails = np.asarray(net.indices), np.asarray(net.edge_source)
    for mode, reverse, dist, pred, w in got:
        root = int(np.flatnonzero((dist == 0.0) & (pred < 0))[0])
        ref = one_to_all(net, root, w, reverse=reverse)
        assert np.array_equal(dist, ref)
        # the predecessors form a shortest-path tree: each tree edge is tight
        v = np.flatnonzero(pred >= 0)
        e = np.asarray(net.rev_edge)[pred[v]] if reverse else pred[v]
        other = heads[e] if reverse else tails[e]
        assert np.array_equal(dist[other] + w[e] if not reverse else w[e] + dist[other], dist[v])


def test_boats_reach_flooded_nodes_never_faster_than_free_flow(flooded_sim):
    from sim.roads import BOAT, ROAD

    roads = flooded_sim.roads
    assert roads.water.any() and np.isinf(roads.weights).any()
    base = flooded_sim.teams[0].base_node
    road, boat = roads.tree_from(base, ROAD), roads.tree_from(base, BOAT)
    assert np.isfinite(boat).sum() > np.isfinite(road).sum()   # boats reach cut-off nodes
    assert np.all(boat[np.isfinite(road)] <= road[np.isfinite(road)] + 1e-9)
    assert np.all(roads.w[BOAT] >= roads.free - 1e-9)           # never faster than free-flow driving


def test_water_rescue_takes_trapped_people_out(district, flood, plan):
    with_boats = run(district, [flood], plan, SimParams(duration_h=48, seed=3))
    no_boats = run(district, [flood], plan, SimParams(duration_h=48, seed=3, boat_types=()))

    def served(r):
        return sum(1 for q in r.requests if q["kind"] == "trapped" and q["arrived_s"] == q["arrived_s"])

    assert served(with_boats) > served(no_boats)
    rescues = [e for e in with_boats.events if e["event"] == "rescue"]
    assert rescues and all(0 < e["people"] <= SimParams().rescue_capacity for e in rescues)
    # every rescued party left its node (evacuating, then sheltered, or stranded when shelters are full)
    departed = {e["party"] for e in with_boats.events if e["event"] in ("depart", "no_shelter")}
    assert {e["party"] for e in rescues} <= departed
    ts = with_boats.time_series
    assert all(sum(ts[k][i] for k in STATES) == ts["threatened"][i] for i in range(len(ts["t_h"])))


def test_boat_parameters_validated():
    with pytest.raises(InputError, match="boat_speed_kmh"):
        SimParams(boat_speed_kmh=0)
    with pytest.raises(InputError, match="rescue_capacity"):
        SimParams(rescue_capacity=0)
    with pytest.raises(InputError, match="boat_types"):
        SimParams(boat_types="water_rescue")
    assert SimParams.from_dict({"boat_types": ["water_rescue"]}).boat_types == ("water_rescue",)
