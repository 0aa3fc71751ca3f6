"""Relief in place, evacuee re-routing and shelter reassignment, team activity records.

Small cases run on a toy grid with a scripted hazard, where the right answer can be worked out
by hand; one case runs the built-in district with shelters that fill up.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from network import RoadNetwork
from network.hazard import AFFECTED, AffectedPeople, Hazard, HazardState
from network.plan import Plan, Shelter, Warehouse
from network.projection import to_lonlat, to_projected
from optimize.relief_rounds import relief_rounds
from sim import SimParams, WarningChannel
from sim.engine import Simulation
from sim.evacuation import STATES

from .supplies_check import conserved

CRS = "EPSG:32650"
N = 11
SPACING = 1000.0          # m: 120 s per edge at 30 km/h, 240 s on foot (evac_speed_factor 0.5)
EDGE_S = SPACING / (30.0 / 3.6)


def node(row: int, col: int) -> int:
    return row * N + col


def grid() -> RoadNetwork:
    x0, y0 = to_projected(117.2, 29.3, CRS)
    ii, jj = np.meshgrid(np.arange(N), np.arange(N), indexing="ij")
    x, y = x0 + jj.ravel() * SPACING, y0 + ii.ravel() * SPACING
    lon, lat = to_lonlat(x, y, CRS)
    k = np.arange(N * N).reshape(N, N)
    a = np.concatenate([np.stack([k[:, :-1].ravel(), k[:, 1:].ravel()]), np.stack([k[:-1, :].ravel(), k[1:, :].ravel()])], axis=1)
    u, v = np.concatenate([a[0], a[1]]), np.concatenate([a[1], a[0]])
    m = len(u)
    return RoadNetwork.from_edges(x=x, y=y, lon=lon, lat=lat, u=u, v=v, length=np.full(m, SPACING),
                                  speed_kmh=np.full(m, 30.0), road_class=np.full(m, 5), crs=CRS,
                                  population=np.full(N * N, 40.0), spatial_order=False)


@pytest.fixture(scope="module")
def net() -> RoadNetwork:
    return grid()


class ScriptedHazard(Hazard):
    """People at ``nodes`` affected from t = 0; edges closed and nodes wet on a script."""

    kind, label_zh, label_en = "scripted", "脚本灾害", "scripted hazard"
    name = "scripted hazard"

    def __init__(self, net: RoadNetwork, nodes, closed=lambda t: [], wet=lambda t: []) -> None:
        self.net, self.nodes, self.closed, self.wet = net, np.asarray(nodes, np.int64), closed, wet

    def edges_between(self, a: int, b: int) -> list[int]:
        src, dst = self.net.edge_source, self.net.indices
        return np.flatnonzero(((src == a) & (dst == b)) | ((src == b) & (dst == a))).tolist()

    def state(self, t: float, *, fields: bool = True) -> HazardState:
        factor = np.ones(self.net.n_edges)
        factor[list(self.closed(t))] = 0.0
        level = np.zeros(self.net.n_nodes)
        level[list(self.wet(t))] = 1.0
        k = len(self.nodes)
        aff = AffectedPeople(self.nodes, self.net.population[self.nodes].astype(float), np.zeros(k),
                             np.full(k, AFFECTED, np.int8))
        return HazardState(t, factor, level, aff)


def facility(cls, fid: str, net: RoadNetwork, nd: int, **kw):
    return cls(id=fid, name_zh=fid, name_en=fid, node=nd, lon=float(net.lon[nd]), lat=float(net.lat[nd]), **kw)


STOCK = {"water_l": 1e6, "food_rations": 1e5, "bedding_sets": 1e5}
# nobody is warned, nobody needs help, nobody dawdles: everyone leaves by car the moment the
# hazard hits (nobody stays upstairs, nobody goes to relatives)
QUICK = dict(channels=(WarningChannel("none", "无", 0.0, 0.0),), help_share=0.0, prep_min=0.0, hazard_step_s=300.0,
             rescue_rate_per_1000_h=0.0, relatives_share={}, car_share={"other": 1.0}, upstairs_share={})


def ledger_ok(sim: Simulation) -> None:
    ts = sim.series
    for i in range(len(ts["t_h"])):
        assert sum(ts[k][i] for k in STATES) == ts["threatened"][i]


# ---------------------------------------------------------------------------------------------
# relief in place


def test_unreachable_shelter_means_relief_in_place(net):
    shelter, wh = node(0, 0), node(5, 5)
    people = [node(8, 8), node(9, 9), node(10, 10)]
    haz = ScriptedHazard(net, people)
    cut = [e for nb in (node(0, 1), node(1, 0)) for e in haz.edges_between(shelter, nb)]
    haz.closed = lambda t: cut                               # the only shelter is cut off from t = 0
    plan = Plan("toy", warehouses=(facility(Warehouse, "w", net, wh, stock=dict(STOCK)),),
                shelters=(facility(Shelter, "s", net, shelter, capacity=1000),))
    sim = Simulation(net, [haz], plan, SimParams(duration_h=11, seed=1, **QUICK))   # past every 10-h deadline
    r = sim.run()
    assert r.kpis["relieved_in_place_people"] == 120                 # all three groups, 40 each
    assert r.kpis["relief_time"]["share_within_target"] == 1.0
    assert r.kpis["shelter_peak_occupancy"] == 0
    ledger_ok(sim)
    conserved(sim)
    free = SimParams().load_min * 60 + SimParams().unload_min * 60
    for q in sim.parties:
        if q.in_place:
            hops = abs(q.node // N - 5) + abs(q.node % N - 5)
            (t, n), = q.relief
            # exactly: cut off at 0, load, drive the Manhattan distance, unload (one truck per node)
            assert t == pytest.approx(free + hops * EDGE_S)
            assert t >= q.cut_off_s + q.lower_bound_s - 1e-6
    loads = [e for e in r.events if e["event"] == "truck_load_in_place"]
    assert len(loads) == 3 and all(e["kits"] == 40 for e in loads)


def test_no_stock_no_relief_in_place(net):
    shelter, wh = node(0, 0), node(5, 5)
    haz = ScriptedHazard(net, [node(9, 9)])
    cut = [e for nb in (node(0, 1), node(1, 0)) for e in haz.edges_between(shelter, nb)]
    haz.closed = lambda t: cut
    plan = Plan("toy", warehouses=(facility(Warehouse, "w", net, wh, stock={"water_l": 1e6, "bedding_sets": 1e5}),),
                shelters=(facility(Shelter, "s", net, shelter, capacity=1000),))
    sim = Simulation(net, [haz], plan, SimParams(duration_h=6, seed=1, **QUICK))
    r = sim.run()
    # no food anywhere: no whole kit, nobody relieved, and the run says why
    assert r.kpis["shortfall"]["unrelieved_by_cause"] == {"no_food_rations": 40}
    assert r.kpis["shortfall"]["resources"][2]["resource"] == "food_rations"
    assert r.kpis["shortfall"]["resources"][2]["ran_out_h"] == 0.0
    assert r.kpis["relieved_in_place_people"] == 0
    assert r.kpis["relief_time"]["unrelieved_people"] == 40
    assert r.kpis["cut_off_people"] == 40
    conserved(sim)


def test_full_shelters_get_relief_in_place_on_the_district(district):
    from network.plan import Plan as P
    from sim.api import default_district_flood

    plan = P.existing(district)
    # half of today's shelter places, so that they fill in the 100-year flood; stock to spare
    rich = dataclasses.replace(plan, warehouses=tuple(
        dataclasses.replace(w, stock={k: v * 20 for k, v in w.stock.items()}) for w in plan.warehouses),
        shelters=tuple(dataclasses.replace(s, capacity=s.capacity // 2) for s in plan.shelters))
    sim = Simulation(district.network, [default_district_flood(district, engine="fill")], rich,
                     SimParams(duration_h=30, seed=5, trucks_per_warehouse=6))
    r = sim.run()
    k = r.kpis
    assert k["shelters_full"] and k["unmet_at_end"]["stranded_people"] > 0
    assert k["relieved_in_place_people"] > 0
    assert k["supplies"]["delivered_in_place"]["food_rations"] == k["relieved_in_place_people"]
    ledger_ok(sim)
    conserved(sim)
    for q in sim.parties:
        if q.in_place:
            assert q.state == "relieved" and q.relieved == q.people
            for t, _ in q.relief:
                assert t >= q.cut_off_s + q.lower_bound_s - 1e-6
                assert t >= q.group.affected_s


# ---------------------------------------------------------------------------------------------
# evacuees re-route and are reassigned


def test_evacuees_reroute_round_a_closed_road(net):
    home, shelter = node(5, 0), node(5, 10)
    haz = ScriptedHazard(net, [home])
    gap = haz.edges_between(node(5, 6), node(5, 7))
    haz.closed = lambda t: gap if t >= 300.0 else []
    plan = Plan("toy", warehouses=(facility(Warehouse, "w", net, shelter, stock=dict(STOCK)),),
                shelters=(facility(Shelter, "s", net, shelter, capacity=1000),))
    sim = Simulation(net, [haz], plan, SimParams(duration_h=3, seed=0, **QUICK))
    r = sim.run()
    (q,) = sim.parties
    walk = 2 * EDGE_S
    # left at 0 on the straight road; the closure at 300 s is seen on edge 2, which ends at
    # 2 × 240 s; from there the detour is 8 + 2 edges
    assert q.left_s == 0.0
    assert q.arrived_s == pytest.approx(2 * walk + 10 * walk)
    assert q.arrived_s > 10 * walk
    assert r.shelters[0]["peak_occupancy"] == 40
    ledger_ok(sim)


def test_evacuees_leave_a_threatened_shelter_for_another(net):
    home, near, far = node(5, 0), node(5, 4), node(0, 10)
    haz = ScriptedHazard(net, [home], wet=lambda t: [near] if t >= 600.0 else [])
    plan = Plan("toy", warehouses=(facility(Warehouse, "w", net, far, stock=dict(STOCK)),),
                shelters=(facility(Shelter, "near", net, near, capacity=1000),
                          facility(Shelter, "far", net, far, capacity=1000)))
    sim = Simulation(net, [haz], plan, SimParams(duration_h=4, seed=0, **QUICK))
    r = sim.run()
    (q,) = sim.parties
    walk = 2 * EDGE_S
    assert [e["reason"] for e in r.events if e["event"] == "reassign"] == ["threatened"]
    assert r.shelters[0]["closed_s"] == 600.0 and r.shelters[0]["peak_occupancy"] == 0
    assert r.shelters[1]["peak_occupancy"] == 40 and sim.shelters[q.shelter].id == "far"
    # on the way to "near" (4 edges); at 600 s on edge 3, which ends at 720 s at (5, 3);
    # from there to (0, 10): 5 + 7 edges
    assert q.arrived_s == pytest.approx(3 * walk + 12 * walk)
    assert r.kpis["shelters_closed"] == ["near"]
    g = r.groups[0]
    assert g["home_node"] == home and g["shelter_node"] == far
    assert g["state_times"]["evacuating"] == 0.0 and g["state_times"]["sheltered"] == pytest.approx(q.arrived_s)
    ledger_ok(sim)


def test_same_seed_same_result_with_relief_in_place(net):
    shelter, wh = node(0, 0), node(5, 5)
    haz = ScriptedHazard(net, [node(8, 8), node(2, 9)])
    cut = [e for nb in (node(0, 1), node(1, 0)) for e in haz.edges_between(shelter, nb)]
    haz.closed = lambda t: cut
    plan = Plan("toy", warehouses=(facility(Warehouse, "w", net, wh, stock=dict(STOCK)),),
                shelters=(facility(Shelter, "s", net, shelter, capacity=1000),))
    p = SimParams(duration_h=6, seed=3, help_share=0.3)
    a = Simulation(net, [haz], plan, p).run().to_json()
    b = Simulation(net, [haz], plan, p).run().to_json()
    assert a == b


# ---------------------------------------------------------------------------------------------
# team activity for Gantt charts


def test_team_activity_bars(district):
    from network.plan import Plan as P
    from sim import run
    from sim.api import default_district_flood

    r = run(district, [default_district_flood(district, engine="fill")], P.existing(district), SimParams(duration_h=30, seed=3))
    end = 30 * 3600.0
    req_ids = {q["id"]: q for q in r.requests}
    bars = handed = 0
    for tm in r.teams:
        act = tm["activity"]
        for a, b in zip(act, act[1:]):
            assert b["start_s"] >= a["end_s"] - 1e-6          # one thing at a time
        for a in act:
            assert a["kind"] in {"travel", "blocked", "scene", "return", "standby", "rest"}
            assert 0.0 <= a["start_s"] < a["end_s"] <= end
            q = req_ids.get(a["request"])
            if a["kind"] == "travel" and q["team"] != tm["team"]:
                assert q["handed_back"] > 0   # the water closed the road: the job went to another team
                handed += 1
            elif a["kind"] in ("travel", "blocked", "scene"):
                assert q["team"] == tm["team"]
                assert a["start_s"] >= q["assigned_s"] - 1e-6
                if q["done_s"] is not None and not math.isnan(q["done_s"]):
                    assert a["end_s"] <= q["done_s"] + 1e-6
            bars += 1
        busy = sum(a["end_s"] - a["start_s"] for a in act if a["kind"] in ("travel", "blocked", "scene"))
        assert busy == pytest.approx(tm["utilisation"] * end, abs=1.0)
    assert bars > 0
    assert handed <= sum(q["handed_back"] for q in r.requests)


# ---------------------------------------------------------------------------------------------
# supply rounds from the optimiser


def test_optimiser_rounds_serve_several_shelters_per_trip(net):
    """Two shelters side by side, one warehouse far off, one truck: the optimiser sends one
    round through both shelters where the rule would send two trips."""
    from network.errors import InputError

    a, b, wh = node(5, 9), node(5, 10), node(5, 0)
    haz = ScriptedHazard(net, [node(4, 9), node(6, 10)])
    plan = Plan("toy", warehouses=(facility(Warehouse, "w", net, wh, stock=dict(STOCK)),),
                shelters=(facility(Shelter, "a", net, a, capacity=40), facility(Shelter, "b", net, b, capacity=40)))
    runs = {}
    for mode in ("rule", "optimiser"):
        sim = Simulation(net, [haz], plan, SimParams(duration_h=11, seed=0, trucks_per_warehouse=1,
                                                     supply_routing=mode, **QUICK), router=relief_rounds)
        runs[mode] = (sim, sim.run())
        ledger_ok(sim)
        conserved(sim)
        assert runs[mode][1].kpis["relief_time"]["relieved_people"] == 80
    sim, r = runs["optimiser"]
    loads = [e for e in r.events if e["event"] == "truck_load"]
    assert sim.supplies.rounds == len(loads) == 1 and loads[0]["round"] in ("a > b", "b > a")
    assert len([e for e in runs["rule"][1].events if e["event"] == "truck_load"]) == 2
    # one round: everyone is relieved sooner than with two trips from afar
    assert r.kpis["relief_time"]["max_h"] < runs["rule"][1].kpis["relief_time"]["max_h"]
    with pytest.raises(InputError, match="needs a router"):
        Simulation(net, [haz], plan, SimParams(supply_routing="optimiser"))
    with pytest.raises(InputError, match="supply_routing"):
        SimParams(supply_routing="magic")
    with pytest.raises(InputError, match="routing_solution_limit"):
        SimParams(routing_solution_limit=0)


def test_optimiser_rounds_on_the_district_keep_the_invariants(district):
    from network.plan import Plan as P
    from sim.api import default_district_flood

    flood = default_district_flood(district, engine="fill")
    p = SimParams(duration_h=24, seed=2, supply_routing="optimiser")
    sim = Simulation(district.network, [flood], P.existing(district), p, router=relief_rounds)
    r = sim.run()
    ledger_ok(sim)
    conserved(sim)
    assert sim.supplies.rounds > 0 and r.kpis["relief_time"]["relieved_people"] > 0
    again = Simulation(district.network, [flood], P.existing(district), p, router=relief_rounds).run()
    assert again.to_json() == r.to_json()
