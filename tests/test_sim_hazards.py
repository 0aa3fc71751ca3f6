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


def fire_run(district, plan, seed=1, hours=24.0, wind=2.0):
    fire = forest_fire(district, seed=1, wind_speed_m_s=wind, horizon_s=hours * 3600.0)
    calls = []
    orig = fire.crews_on_line

    def spy(time_s, crews, **kw):
        calls.append((time_s, list(crews)))
        orig(time_s, crews, **kw)

    fire.crews_on_line = spy
    sim = Simulation(district.network, [fire], plan, SimParams(duration_h=hours, seed=seed))
    return sim, sim.run(), fire, calls


def test_forest_fire_is_reported_attacked_and_contained(district, plan):
    """A light-wind spring fire: reported by one of the district's methods, attacked by the brigade's
    squads from its rear, contained (Fried & Fried); with nobody to fight it, it burns on."""
    sim, r, fire, calls = fire_run(district, plan)
    invariants(sim)
    lines = [q for q in r.requests if q["kind"] == "fire_line" and q["team"]]
    assert lines and all(q["team"].startswith("forest-fire-brigade/forest_fire/") for q in lines)
    reported = fire.detected_s()
    assert 0 < reported < 6 * 3600 and fire.detection.method in ("patrol", "public", "himawari", "viirs")
    asked = [q for q in r.requests if q["kind"] == "fire_line"]
    assert min(q["created_s"] for q in asked) >= reported     # nobody goes before the report
    assert any(e["event"] == "fire_reported" for e in r.events)
    # the squads (6 people each) tell the fire model who is on the line, after their walk in
    working = [c for _, crews in calls for c in crews]
    assert working and {n for _, _, n in working} == {6}
    first_on_line = min(t for t, crews in calls if crews)
    assert first_on_line >= min(q["arrived_s"] for q in lines)
    (f,) = r.kpis["forest_fires"]
    assert f["contained"] is True and first_on_line / 3600 < f["contained_h"] < 24
    with_crews = r.kpis["forest_fire_damage_permille"]
    assert with_crews == pytest.approx(fire.damage_rate_permille(24 * 3600.0))
    # the same fire, nobody to fight it: it escapes and burns far more forest
    bare = dataclasses.replace(plan, team_bases=tuple(b for b in plan.team_bases
                                                     if not any(t.type == "forest_fire" for t in b.teams)))
    sim2, r2, _, calls2 = fire_run(district, bare)
    invariants(sim2)
    assert not any(crews for _, crews in calls2)
    (f2,) = r2.kpis["forest_fires"]
    assert f2["contained"] is False and f2["escape_reason"] == "no crew reached the line"
    assert r2.kpis["forest_fire_damage_permille"] > 5 * with_crews
    # Gantt bars for the brigade: travel then long on-scene work
    crews = [t for t in r.teams if t["type"] == "forest_fire"]
    assert any(a["kind"] == "scene" and a["end_s"] - a["start_s"] > 600 for t in crews for a in t["activity"])


def test_strong_wind_fire_escapes_and_the_verdict_names_why(district, plan):
    """At 10 m/s the head fire out-runs the brigade's line on each flank: not contained, and the
    reason compares the two rates."""
    _, r, fire, _ = fire_run(district, plan, hours=12.0, wind=10.0)
    (f,) = r.kpis["forest_fires"]
    assert f["contained"] is False and "never out-paced the head fire" in f["escape_reason"]
    per_flank = f["peak_line_rate_m_h"] / 2
    assert per_flank < f["attack_fire"]["head_ros_m_min"] * 60


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
