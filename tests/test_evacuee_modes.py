"""How people leave and where they wait: by car or on foot, and upstairs when flood water cuts
them off at home — on the toy grid, where the times are worked out by hand."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from network.plan import Plan, ReliefCraft, Shelter, Warehouse
from sim import SimParams
from sim.engine import Simulation
from sim.roads import ROAD, WALK

from .supplies_check import conserved
from .test_cut_off import VILLAGE, flood
from .test_sim_relief import EDGE_S, QUICK, SPACING, ScriptedHazard, facility, grid, ledger_ok, node

WALK_EDGE_S = SPACING / (4.0 / 3.6)          # 900 s a block on foot
STOCK = {"water_l": 1e6, "food_rations": 1e5, "bedding_sets": 1e5}


@pytest.fixture(scope="module")
def net():
    return grid()


def test_walking_is_the_walking_speed_but_never_faster_than_the_road(net):
    import simpy

    from sim.roads import Roads

    roads = Roads(simpy.Environment(), net, walk_speed_kmh=4.0)
    assert np.allclose(roads.w[WALK], WALK_EDGE_S)
    factor = np.ones(net.n_edges)
    factor[:10] = 0.0          # closed: closed on foot too
    factor[10:20] = 0.05       # crawling traffic (1.5 km/h): slower than walking
    roads.update(factor)
    assert np.isinf(roads.w[WALK][:10]).all()
    assert np.allclose(roads.w[WALK][10:20], roads.w[ROAD][10:20]) and (roads.w[WALK][10:20] > WALK_EDGE_S).all()
    assert np.allclose(roads.w[WALK][20:], WALK_EDGE_S)


def test_households_with_a_car_drive_the_rest_walk(net):
    people = [node(0, c) for c in range(10)]                 # 10 × 40 people, all leave at t = 0
    shelter = node(5, 0)
    plan = Plan("toy", warehouses=(facility(Warehouse, "w", net, shelter, stock=dict(STOCK)),),
                shelters=(facility(Shelter, "s", net, shelter, capacity=10_000),))
    params = SimParams(duration_h=12, seed=2, **{**QUICK, "car_share": {"other": 0.4}})
    sim = Simulation(net, [ScriptedHazard(net, people)], plan, params)
    sim.run()
    ledger_ok(sim)
    conserved(sim)
    by_car = sum(q.people for q in sim.parties if q.by_car)
    assert 0.25 * 400 < by_car < 0.55 * 400                   # a binomial draw around 40 %
    for q in sim.parties:
        hops = 5 + abs(q.group.node % 11)                       # Manhattan distance to the shelter
        per_edge = EDGE_S / params.evac_speed_factor if q.by_car else WALK_EDGE_S
        assert q.arrived_s == pytest.approx(hops * per_edge)


def test_people_cut_off_at_home_by_water_stay_upstairs_and_wait_for_supplies(net):
    from network.plan import Team, TeamBase

    heli = ReliefCraft("heli", "直升机", "helicopter", "helicopter", "w", node(5, 5), payload_kg=1000.0,
                       speed_kmh=180.0)
    plan = Plan("toy", team_bases=(facility(TeamBase, "b", net, node(5, 5), teams=(Team("water_rescue", 6),)),),
                warehouses=(facility(Warehouse, "w", net, node(5, 5), stock=dict(STOCK)),),
                shelters=(facility(Shelter, "s", net, node(0, 0), capacity=1000),))
    params = SimParams(duration_h=12, seed=3, **{**QUICK, "upstairs_share": {"other": 1.0}})
    sim = Simulation(net, [flood(net)], plan, params)
    r = sim.run()
    conserved(sim)
    assert not [e for _, e, _ in sim.events if e == "boat_evacuation"]       # nobody asks for a boat
    assert r.kpis["shortfall"]["unrelieved_by_cause"] == {"upstairs": 40}   # and no kit can reach them
    sim = Simulation(net, [flood(net)], dataclasses.replace(plan, relief_craft=(heli,)), params)
    r = sim.run()
    assert r.kpis["relieved_in_place_people"] == 40 and all(q.upstairs for q in sim.parties if q.group.node == VILLAGE)
    # half stay upstairs (a binomial draw), the rest go out by boat
    sim = Simulation(net, [flood(net)], plan, params.with_(upstairs_share={"other": 0.5}))
    r = sim.run()
    up = sum(q.people for q in sim.parties if q.upstairs)
    boated = sum(kw["people"] for _, e, kw in sim.events if e == "boat_evacuation")
    assert 5 < up < 35 and up + boated == 40
    assert r.kpis["shortfall"]["unrelieved_by_cause"] == {"upstairs": up}
