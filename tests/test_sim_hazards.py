"""Full response runs with a forest fire and with a chemical release on the built-in district."""
from __future__ import annotations

import dataclasses
import math
import warnings

import pytest

from network.plan import Plan
from sim import SimParams
from sim.engine import Simulation
from sim.evacuation import STATES

from .supplies_check import conserved
from sim.hazards.chemical.model import ChemicalModelWarning
from sim.hazards.chemical.scenario import chemical_release
from sim.hazards.fire.scenario import forest_fire


@pytest.fixture(scope="module")
def plan(district):
    return Plan.existing(district)


def invariants(sim: Simulation) -> None:
    ts = sim.series
    for i in range(len(ts["t_h"])):
        assert sum(ts[k][i] for k in STATES) == ts["threatened"][i]
        assert all(ts[k][i] >= 0 for k in STATES)
    conserved(sim)
    by_team: dict[str, list] = {}
    for r in sim.dispatcher.requests:
        if r.team:
            by_team.setdefault(r.team, []).append(r)
    for jobs in by_team.values():
        jobs.sort(key=lambda r: r.assigned_s)
        for a, b in zip(jobs, jobs[1:]):
            assert b.assigned_s >= a.done_s - 1e-6


def fire_run(district, plan, seed=1, hours=12.0):
    fire = forest_fire(district, seed=1)
    calls = []
    orig = fire.set_suppression

    def spy(mask, factor):
        calls.append((None if mask is None else int(mask.sum()), factor))
        orig(mask, factor)

    fire.set_suppression = spy
    sim = Simulation(district.network, [fire], plan, SimParams(duration_h=hours, seed=seed))
    return sim, sim.run(), fire, calls


def test_forest_fire_crews_work_the_line_and_cut_the_damage(district, plan):
    sim, r, fire, calls = fire_run(district, plan)
    invariants(sim)
    lines = [q for q in r.requests if q["kind"] == "fire_line"]
    assert lines and all(q["team"].startswith("forest-fire-brigade/forest_fire/") for q in lines)
    assert all(not math.isnan(q["arrived_s"]) for q in lines)
    # crews on the line set the fire model's suppression field round their positions
    assert any(n and n > 0 and f == SimParams().suppression_factor for n, f in calls)
    with_crews = r.kpis["forest_fire_damage_permille"]
    assert with_crews == pytest.approx(fire.damage_rate_permille(12 * 3600.0))
    # the same fire, nobody to fight it: the lines queue and the fire burns far more forest
    bare = dataclasses.replace(plan, team_bases=tuple(b for b in plan.team_bases
                                                     if not any(t.type == "forest_fire" for t in b.teams)))
    sim2, r2, _, calls2 = fire_run(district, bare)
    invariants(sim2)
    assert not any(n for n, _ in calls2)
    assert all(not q["team"] for q in r2.requests if q["kind"] == "fire_line")
    assert r2.kpis["forest_fire_damage_permille"] > 5 * with_crews
    # Gantt bars for the brigade: travel then long on-scene work
    crews = [t for t in r.teams if t["type"] == "forest_fire"]
    assert any(a["kind"] == "scene" and a["end_s"] - a["start_s"] > 600 for t in crews for a in t["activity"])


def test_forest_fire_same_seed_same_result(district, plan):
    a = fire_run(district, plan, seed=4, hours=6)[1].to_json()
    b = fire_run(district, plan, seed=4, hours=6)[1].to_json()
    assert a == b


def chlorine(district):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChemicalModelWarning)
        return chemical_release(district, site="chlor-alkali-plant", rate_g_s=5000.0, duration_s=1800.0,
                                wind=(2.0, 90.0), day=False, cloud_oktas=2, start_s=600.0)


def chem_run(district, plan, seed=1):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChemicalModelWarning)
        sim = Simulation(district.network, [chlorine(district)], plan, SimParams(duration_h=6, seed=seed))
        return sim, sim.run()


def test_chemical_release_hazmat_and_evacuation(district, plan):
    sim, r = chem_run(district, plan)
    invariants(sim)
    (hz,) = [q for q in r.requests if q["kind"] == "hazmat"]
    assert "/hazmat/" in hz["team"] and hz["created_s"] >= 600.0
    assert hz["arrived_s"] > hz["created_s"] and hz["done_s"] > hz["arrived_s"]
    k = r.kpis
    assert k["relief_time"]["affected_people"] > 1000
    # people in the plume leave for shelters, arrive, and most are relieved
    departed = {e["group"] for e in r.events if e["event"] == "depart"}
    affected = {g["group"] for g in r.groups if g["affected_s"] is not None and math.isfinite(g["affected_s"])}
    assert len(departed & affected) > 0.5 * len(affected)
    assert k["people_by_state"]["sheltered"] + k["people_by_state"]["relieved"] > 0.5 * k["relief_time"]["affected_people"]
    assert k["relief_time"]["relieved_people"] > 0
    assert k["exposure_people"] > 0     # the AEGL-3 zone reached people before they left
    assert math.isnan(k["forest_fire_damage_permille"])


def test_chemical_release_same_seed_same_result(district, plan):
    assert chem_run(district, plan, seed=2)[1].to_json() == chem_run(district, plan, seed=2)[1].to_json()
