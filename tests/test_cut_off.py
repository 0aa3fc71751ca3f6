"""Reaching the cut-off: boat crews take stranded people out (those who cannot leave alone
first), and boats, helicopters and drones carry kits to those who stay — on the toy grid, where
flood water surrounds one village and the answer is worked out by hand."""
from __future__ import annotations

import math

import pytest

from network.errors import InputError
from network.plan import Plan, ReliefCraft, Shelter, TeamBase, Team, Warehouse
from sim import SimParams
from sim.engine import Simulation

from .supplies_check import conserved
from .test_sim_relief import EDGE_S, QUICK, SPACING, ScriptedHazard, facility, grid, ledger_ok, node

VILLAGE = node(10, 10)                   # 40 people, every road out under water from t = 0
SHELTER, WAREHOUSE, BASE = node(0, 0), node(5, 5), node(5, 5)
STOCK = {"water_l": 1e6, "food_rations": 1e5, "bedding_sets": 1e5}


class Flood(ScriptedHazard):
    water_on_roads = True


@pytest.fixture(scope="module")
def net():
    return grid()


def flood(net) -> Flood:
    haz = Flood(net, [VILLAGE])
    wet = [e for nb in (node(9, 10), node(10, 9)) for e in haz.edges_between(VILLAGE, nb)]
    haz.closed = lambda t: wet
    return haz


def craft(net, kind: str, **kw) -> ReliefCraft:
    base = dict(id=kind, name_zh=kind, name_en=kind, kind=kind, base="w", node=WAREHOUSE, count=1,
                payload_kg=1000.0, speed_kmh=None if kind == "boat" else 180.0, load_min=30.0, unload_min=20.0)
    return ReliefCraft(**{**base, **kw})


def plan(net, teams=(), relief_craft=()) -> Plan:
    bases = (facility(TeamBase, "b", net, BASE, teams=tuple(teams)),) if teams else ()
    return Plan("toy", team_bases=bases, warehouses=(facility(Warehouse, "w", net, WAREHOUSE, stock=dict(STOCK)),),
                shelters=(facility(Shelter, "s", net, SHELTER, capacity=1000),), relief_craft=tuple(relief_craft))


# ---------------------------------------------------------------------------------------------
# boat evacuation


def test_boat_crews_take_the_cut_off_out_the_vulnerable_first(net):
    params = SimParams(duration_h=24, seed=3, **{**QUICK, "help_share": 0.25})
    sim = Simulation(net, [flood(net)], plan(net, [Team("water_rescue", 6)]), params)
    r = sim.run()
    ledger_ok(sim)
    conserved(sim)
    ev = [(t, e, kw) for t, e, kw in sim.events]
    helpless = sum(q.people for q in sim.parties if q.needs_help)
    assert 0 < helpless < 40
    trips = [kw["people"] for _, e, kw in ev if e == "boat_evacuation"]
    # everyone else leaves by boat, at most a boatload a trip
    assert sum(trips) == 40 - helpless and max(trips) <= params.rescue_capacity
    assert len(trips) == math.ceil((40 - helpless) / params.rescue_capacity)
    kinds = [kw["kind"] for _, e, kw in ev if e == "dispatch"]
    assert kinds[0] == "assist" and set(kinds[1:]) == {"evacuate"}       # the escort of the helpless first
    assert r.kpis["relief_time"]["relieved_people"] == 40                # all in the shelter, all relieved
    assert all(q.state == "relieved" and not q.in_place for q in sim.parties)


def test_without_boats_the_cut_off_wait_and_the_cause_says_so(net):
    sim = Simulation(net, [flood(net)], plan(net, [Team("general", 6)]), SimParams(duration_h=6, seed=3, **QUICK))
    r = sim.run()
    assert not any(e == "boat_evacuation" for _, e, _ in sim.events)
    assert r.kpis["shortfall"]["unrelieved_by_cause"] == {"cut_off": 40}


def test_a_busy_boat_fleet_shows_as_the_binding_resource(net):
    # the only crew rests for the whole run after its first trip: the rest wait for a boat
    params = SimParams(duration_h=6, seed=3, shift_h=0.01, rest_h=100.0, **QUICK)
    sim = Simulation(net, [flood(net)], plan(net, [Team("water_rescue", 6)]), params)
    r = sim.run()
    short = r.kpis["shortfall"]
    assert short["unrelieved_by_cause"] == {"waiting_for_boat": 40 - params.rescue_capacity}
    boats = next(x for x in short["resources"] if x["resource"] == "boats")
    assert boats["people_held_back"] == 40 - params.rescue_capacity and boats["ran_out_h"] is not None
    assert "wait for a boat" in r.kpis["verdict"]["en"]


# ---------------------------------------------------------------------------------------------
# relief craft


def test_a_helicopter_brings_kits_to_the_cut_off_at_its_flight_time(net):
    heli = craft(net, "helicopter", ready_h=0.5)
    sim = Simulation(net, [flood(net)], plan(net, relief_craft=[heli]), SimParams(duration_h=6, seed=3, **QUICK))
    r = sim.run()
    conserved(sim)
    ledger_ok(sim)
    assert r.kpis["relieved_in_place_people"] == 40
    d = math.hypot(5 * SPACING, 5 * SPACING)
    expect = heli.ready_h * 3600 + heli.load_min * 60 + d / (heli.speed_kmh / 3.6) + heli.unload_min * 60
    times = [t for q in sim.parties for t, _ in q.relief]
    assert times == pytest.approx([expect] * len(times))
    (c,) = r.kpis["shortfall"]["relief_craft"]
    assert (c["trips"], c["kits_handed_out"]) == (1, 40)
    assert "kits to 40 cut-off people" in r.kpis["verdict"]["en"]


def test_payload_sets_the_trips_and_range_sets_the_reach(net):
    kit_kg = 6.0 * 1.0 + 1.0 * 0.5                                   # the in-place kit: 6 L water, one ration
    drones = craft(net, "drone", count=2, payload_kg=3 * kit_kg, speed_kmh=54.0, load_min=5.0, unload_min=5.0)
    sim = Simulation(net, [flood(net)], plan(net, relief_craft=[drones]), SimParams(duration_h=24, seed=3, **QUICK))
    r = sim.run()
    conserved(sim)
    assert r.kpis["relieved_in_place_people"] == 40
    assert r.kpis["shortfall"]["relief_craft"][0]["trips"] == math.ceil(40 / 3)
    # a round trip of 2 × 7.07 km is beyond an 8 km range: nobody is reached
    short_range = craft(net, "drone", range_km=8.0, speed_kmh=54.0)
    sim = Simulation(net, [flood(net)], plan(net, relief_craft=[short_range]), SimParams(duration_h=6, seed=3, **QUICK))
    r = sim.run()
    assert r.kpis["relieved_in_place_people"] == 0
    assert r.kpis["shortfall"]["unrelieved_by_cause"] == {"cut_off": 40}


def test_a_supply_boat_crosses_the_water_at_the_boat_speed(net):
    boat = craft(net, "boat", payload_kg=100.0 * 6.5)
    params = SimParams(duration_h=12, seed=3, **QUICK)
    sim = Simulation(net, [flood(net)], plan(net, relief_craft=[boat]), params)
    r = sim.run()
    conserved(sim)
    assert r.kpis["relieved_in_place_people"] == 40
    # 9 dry edges by road, the last one across the water at the boat speed
    expect = boat.load_min * 60 + 9 * EDGE_S + SPACING / (params.boat_speed_kmh / 3.6) + boat.unload_min * 60
    times = [t for q in sim.parties for t, _ in q.relief]
    assert times == pytest.approx([expect] * len(times))


def test_bad_relief_craft_are_refused(net, tmp_path):
    with pytest.raises(InputError, match="relief craft 'helicopter': speed_kmh: a helicopter needs its cruise speed"):
        craft(net, "helicopter", speed_kmh=None)
    with pytest.raises(InputError, match="payload_kg must be above 0"):
        craft(net, "boat", payload_kg=0.0)
    with pytest.raises(InputError, match="loads at unknown warehouse 'nowhere'"):
        plan(net, relief_craft=[craft(net, "boat", base="nowhere")]).check_against(net)
    from importlib import resources

    from network.district_spec import read_district_spec

    text = resources.files("network").joinpath("data/changjiang.toml").read_text(encoding="utf-8")
    f = tmp_path / "d.toml"
    f.write_text(text.replace('base = "district-warehouse"\ncount = 4', 'base = "nowhere"\ncount = 4', 1), encoding="utf-8")
    with pytest.raises(InputError, match=r"d.toml: .*relief_craft.0.base: 'nowhere' is not a relief_warehouse"):
        read_district_spec(f)


def test_plans_keep_their_relief_craft_through_json(net, tmp_path):
    p = plan(net, relief_craft=[craft(net, "helicopter", ready_h=2.0)])
    back = Plan.from_json(p.to_json(tmp_path / "p.json"))
    assert back.relief_craft == p.relief_craft
