"""Relief that a planner believes: supplies from outside, the relief standard as data, evacuees
who go to relatives, and the shortfall by cause — on the toy grid where the answer is worked
out by hand, and on the built-in district."""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from network.errors import InputError
from network.plan import Plan, Shelter, SupplySource, Warehouse
from network.relief_standard import DEFAULT_STANDARD, load_relief_standard
from sim import SimParams
from sim.engine import Simulation

from .supplies_check import conserved
from .test_sim_relief import (
    EDGE_S,
    QUICK,
    ScriptedHazard,
    facility,
    grid,
    ledger_ok,
    node,
)


@pytest.fixture(scope="module")
def net():
    return grid()


def source(net, nd: int, items: dict[str, float], **kw) -> SupplySource:
    base = dict(id="outside", name_zh="外部", name_en="outside", kind="upper_level", node=nd,
                lon=float(net.lon[nd]), lat=float(net.lat[nd]), items=items, lead_time_h=1.0,
                daily_capacity_kg=1e6, vehicles=2)
    return SupplySource(**{**base, **kw})


def toy_plan(net, stock: dict[str, float], sources=(), capacity: int = 10_000) -> Plan:
    wh, shelter = node(5, 5), node(5, 6)
    return Plan("toy", warehouses=(facility(Warehouse, "w", net, wh, stock=stock),),
                shelters=(facility(Shelter, "s", net, shelter, capacity=capacity),), supply_sources=tuple(sources))


PEOPLE = [node(0, c) for c in range(10)]      # 10 nodes × 40 people, affected at t = 0
KIT = {"water_l": 6.0, "food_rations": 1.0, "bedding_sets": 1.0}


def kits(n: int) -> dict[str, float]:
    return {k: n * v for k, v in KIT.items()}


# ---------------------------------------------------------------------------------------------
# the relief standard


def test_the_standard_keeps_drinking_and_cooking_water_apart_from_total_water():
    assert DEFAULT_STANDARD.kit("shelter") == KIT
    assert DEFAULT_STANDARD.kit("in_place") == {"water_l": 6.0, "food_rations": 1.0}  # own beds at home
    assert DEFAULT_STANDARD.total_water_l == 15.0 > DEFAULT_STANDARD.kit("shelter")["water_l"]
    assert all(i.source for i in DEFAULT_STANDARD.items)
    assert SimParams().needs_per_person == KIT


def test_a_standard_without_water_is_refused(tmp_path):
    f = tmp_path / "std.toml"
    f.write_text('[items.water_l]\nper_person_day = 0\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"std.toml: items.water_l.per_person_day: must be above 0"):
        load_relief_standard(f)
    f.write_text('[items.food_rations]\nper_person_day = 1\n', encoding="utf-8")
    with pytest.raises(InputError, match="needs drinking water"):
        load_relief_standard(f)
    with pytest.raises(InputError, match=r"needs_per_person\['water_l'\]: a relief standard needs drinking water"):
        SimParams(needs_per_person={"water_l": 0.0, "food_rations": 1.0})


# ---------------------------------------------------------------------------------------------
# resupply from outside


def test_relief_keeps_rising_after_the_district_stock_is_gone(net):
    haz = ScriptedHazard(net, PEOPLE)
    entry = node(10, 10)
    with_source = toy_plan(net, kits(100), [source(net, entry, kits(1000))])
    without = dataclasses.replace(with_source, supply_sources=())
    runs = {}
    for label, plan in (("with", with_source), ("without", without)):
        sim = Simulation(net, [haz], plan, SimParams(duration_h=8, seed=1, **QUICK))
        runs[label] = (sim, sim.run())
        ledger_ok(sim)
        conserved(sim)
    sim, r = runs["without"]
    assert r.kpis["relief_time"]["relieved_people"] == 100          # the district's 100 kits
    assert r.kpis["shortfall"]["unrelieved_by_cause"] == {"no_water_l": 300}
    water = next(x for x in r.kpis["shortfall"]["resources"] if x["resource"] == "water_l")
    assert water["people_held_back"] == 300 and water["ran_out_h"] is not None
    sim, r = runs["with"]
    assert r.kpis["relief_time"]["relieved_people"] == 400
    (src,) = r.kpis["shortfall"]["supply_sources"]
    # called at the first affected person (t = 0), ready after the 1 h lead time, then the drive
    # from the entry to the warehouse (10 edges) and unloading
    assert src["triggered_h"] == 0.0 and src["ready_h"] == 1.0
    assert src["first_arrival_h"] == pytest.approx(1.0 + (10 * EDGE_S + QUICK_UNLOAD_S) / 3600.0)
    relieved_late = [t for q in sim.parties for t, _ in q.relief if t > 3600.0]
    assert relieved_late, "relief must continue once the outside supplies arrive"
    assert sum(src["delivered"].values()) + sum(src["left"].values()) == pytest.approx(sum(kits(1000).values()))


QUICK_UNLOAD_S = SimParams().unload_min * 60.0


def test_daily_capacity_releases_one_tranche_a_day(net):
    haz = ScriptedHazard(net, PEOPLE)
    one_day = sum(v * SimParams().item_kg[k] for k, v in kits(50).items())
    plan = toy_plan(net, {}, [source(net, node(10, 10), kits(1000), daily_capacity_kg=one_day, vehicles=3)])
    sim = Simulation(net, [haz], plan, SimParams(duration_h=30, seed=1, **QUICK))
    r = sim.run()
    conserved(sim)
    arrivals = [e for e in r.events if e["event"] == "resupply_arrive"]
    first_day = [e for e in arrivals if e["t_s"] < 25 * 3600.0]
    # 50 kits on day one (from 1 h), the next 50 from 25 h: never more than a tranche a day
    assert sum(e.get("food_rations", 0.0) for e in first_day) == pytest.approx(50, abs=1)
    assert r.kpis["relief_time"]["relieved_people"] == pytest.approx(100, abs=2)


def test_a_cut_entry_road_holds_the_supplies_back(net):
    entry = node(10, 10)
    haz = ScriptedHazard(net, PEOPLE)
    cut = [e for nb in (node(9, 10), node(10, 9)) for e in haz.edges_between(entry, nb)]
    haz.closed = lambda t: cut if t < 5 * 3600.0 else []
    plan = toy_plan(net, {}, [source(net, entry, kits(1000))])
    sim = Simulation(net, [haz], plan, SimParams(duration_h=8, seed=1, **QUICK))
    r = sim.run()
    conserved(sim)
    (src,) = r.kpis["shortfall"]["supply_sources"]
    assert src["first_arrival_h"] > 5.0      # the vehicles waited at the entry for the road to reopen
    assert min(t for q in sim.parties for t, _ in q.relief) > 5 * 3600.0
    # ready at 1 h, on the road until 5 h (the hazard step may add up to 5 min): held up about 4 h
    free_h = 10 * EDGE_S / 3600.0                                   # entry (10, 10) -> warehouse (5, 5)
    assert src["first_held_up_h"] == pytest.approx(src["first_arrival_h"] - 1.0 - free_h
                                                   - SimParams().unload_min / 60.0, abs=0.01)
    assert 3.9 < src["first_held_up_h"] < 4.2
    assert "held up" in r.kpis["verdict"]["en"]


def test_triggers_wait_for_their_condition(net):
    haz = ScriptedHazard(net, PEOPLE)
    entry = node(10, 10)
    plan = toy_plan(net, kits(300), [
        source(net, entry, kits(10), id="big-event", trigger="affected_people", trigger_value=1000),
        source(net, entry, kits(10), id="low-stock", trigger="stock_below", trigger_value=0.5)])
    sim = Simulation(net, [haz], plan, SimParams(duration_h=8, seed=1, **QUICK))
    r = sim.run()
    by_id = {s["source"]: s for s in r.kpis["shortfall"]["supply_sources"]}
    assert by_id["big-event"]["triggered_h"] is None            # 400 affected < 1,000
    low = by_id["low-stock"]["triggered_h"]
    loads = [e["t_s"] for e in r.events if e["event"] == "truck_load"]
    assert low is not None and low * 3600.0 >= min(loads)        # called once the stock went out


def test_bad_supply_sources_are_refused(net, tmp_path):
    with pytest.raises(InputError, match="items.water_l: quantity must be >= 0"):
        source(net, 0, {"water_l": -5.0})
    with pytest.raises(InputError, match="lead_time_h must be >= 0"):
        source(net, 0, kits(1), lead_time_h=-1.0)
    plan = toy_plan(net, {}, [dataclasses.replace(source(net, 0, kits(1)), node=net.n_nodes + 3)])
    with pytest.raises(InputError, match="supply source 'outside' is at node"):
        plan.check_against(net)


def test_district_file_errors_name_the_field(tmp_path):
    from importlib import resources

    from network.district_spec import read_district_spec

    text = resources.files("network").joinpath("data/changjiang.toml").read_text(encoding="utf-8")
    bad = text.replace("lead_time_h = 2.0", "lead_time_h = -2.0", 1)
    f = tmp_path / "d.toml"
    f.write_text(bad, encoding="utf-8")
    with pytest.raises(InputError, match=r"d.toml: supply_sources.0.lead_time_h"):
        read_district_spec(f)
    f.write_text(text.replace("water_l = 60000, food_rations = 30000", "water_l = -1, food_rations = 30000", 1),
                 encoding="utf-8")
    with pytest.raises(InputError, match=r"supply_sources.0.items"):
        read_district_spec(f)


def test_an_entry_point_off_the_network_is_refused(district):
    spec = district.spec
    far = spec.supply_sources[0].model_copy(update={"entry": (118.5, 30.5)})
    moved = dataclasses.replace(district, spec=spec.model_copy(update={"supply_sources": [far]}))
    with pytest.raises(InputError, match=r"supply_sources.0.entry: .* off the network"):
        Plan.existing(moved)


# ---------------------------------------------------------------------------------------------
# relatives and friends


def test_evacuees_who_go_to_relatives_are_relieved_on_arrival(net):
    haz = ScriptedHazard(net, PEOPLE)
    plan = toy_plan(net, {})          # no stock at all: only the hosted can be relieved
    params = SimParams(duration_h=6, seed=4, **{**QUICK, "relatives_share": {"other": 0.5}})
    sim = Simulation(net, [haz], plan, params)
    r = sim.run()
    ledger_ok(sim)
    hosted = [q for q in sim.parties if q.hosted]
    n = sum(q.people for q in hosted)
    assert 120 < n < 280                                    # Binomial(400, 0.5)
    assert r.kpis["relief_time"]["relieved_people"] == n == r.kpis["relieved_with_relatives_people"]
    for q in hosted:   # they drive to safe ground (as far as the nearest shelter) at evacuee speed
        (t, k), = q.relief
        assert k == q.people and t == pytest.approx(q.left_s + q.lower_bound_s / params.evac_speed_factor)
    assert r.shelters[0]["peak_occupancy"] == 400 - n
    causes = r.kpis["shortfall"]["unrelieved_by_cause"]
    assert set(causes) == {"no_water_l"} and sum(causes.values()) == 400 - n


# ---------------------------------------------------------------------------------------------
# the shortfall on the district


@pytest.fixture(scope="module")
def flood(district):
    from sim.api import default_district_flood

    return default_district_flood(district, engine="fill")


def _run(district, flood, plan, **kw):
    sim = Simulation(district.network, [flood], plan, SimParams(**{"duration_h": 24, "seed": 3, **kw}),
                     zone_kinds=tuple(t.kind for t in district.spec.townships))
    return sim, sim.run()


def test_causes_sum_to_the_unrelieved_overall_and_by_township(district, flood):
    plan = Plan.existing(district)
    half = dataclasses.replace(plan, shelters=tuple(dataclasses.replace(s, capacity=s.capacity // 20)
                                                    for s in plan.shelters), supply_sources=())
    sim, r = _run(district, flood, half, duration_h=36)   # the first 10-h deadlines fall inside the run
    conserved(sim)
    short = r.kpis["shortfall"]
    unrelieved = r.kpis["relief_time"]["unrelieved_people"]
    assert unrelieved > 0
    assert sum(short["unrelieved_by_cause"].values()) == unrelieved == short["unrelieved_people"]
    assert short["unrelieved_by_cause"].get("no_shelter_place", 0) > 0
    assert sum(t["unrelieved"] for t in short["by_township"]) == unrelieved
    for t in short["by_township"]:
        assert sum(t["unrelieved_by_cause"].values()) == t["unrelieved"]
    held = {x["resource"]: x["people_held_back"] for x in short["resources"]}
    assert held["shelter_places"] == short["unrelieved_by_cause"]["no_shelter_place"]
    v = r.kpis["verdict"]
    assert v["en"].startswith("Relief within 10 h:") and "no place" in v["en"]
    assert v["zh"].startswith("10 小时内获得基本生活救助") and "无安置位置" in v["zh"]


def test_with_unlimited_stock_and_places_only_transport_and_access_remain(district, flood):
    plan = Plan.existing(district)
    plenty = {"water_l": 1e9, "food_rations": 1e8, "bedding_sets": 1e8}
    big = dataclasses.replace(
        plan, warehouses=tuple(dataclasses.replace(w, stock=dict(plenty)) for w in plan.warehouses),
        shelters=tuple(dataclasses.replace(s, capacity=10**6) for s in plan.shelters), supply_sources=())
    _, r = _run(district, flood, big)
    causes = r.kpis["shortfall"]["unrelieved_by_cause"]
    assert set(causes) <= {"not_delivered", "cut_off", "upstairs", "waiting_for_rescue", "rescue_cut_off", "waiting_for_boat", "on_the_way",
                           "not_evacuated"}
    assert sum(causes.values()) == r.kpis["relief_time"]["unrelieved_people"]
    assert all(x["ran_out_h"] is None for x in r.kpis["shortfall"]["resources"]
               if x["resource"] in ("water_l", "food_rations", "bedding_sets", "shelter_places"))


def _with_trucks(plan, trucks):
    return dataclasses.replace(plan, warehouses=tuple(dataclasses.replace(w, trucks=trucks) for w in plan.warehouses))


def test_what_held_people_at_their_deadline_is_counted_once(district, flood):
    """waiting_at_target: the people not relieved by affected + 10 h, by cause. Everyone relieved
    after the target was waiting at it; nobody else but the still unrelieved can be."""
    sim, r = _run(district, flood, Plan.existing(district), duration_h=40)
    short, rt = r.kpis["shortfall"], r.kpis["relief_time"]
    waiting = short["waiting_at_target_people"]
    assert waiting == sum(short["waiting_at_target_by_cause"].values()) > 0
    assert sum(sum(t["waiting_at_target_by_cause"].values()) for t in short["by_township"]) == waiting
    late, unrelieved = short["relieved_after_target_people"], rt["unrelieved_people"]
    past_deadline = sum(g.people - sum(q.relieved for q in g.parties) for g in sim.groups.values()
                        if math.isfinite(g.affected_s) and g.affected_s < (40 - 10 - 0.5) * 3600.0
                        and not any(q.sheltering for q in g.parties))
    assert late + past_deadline <= waiting <= late + unrelieved
    assert "At their 10-h deadline, those still waiting were held by:" in r.kpis["verdict"]["en"]


def test_the_teams_the_hazard_held_are_summed_from_their_records_and_named_in_the_verdict(district, flood):
    """teams_held: every team held an hour or more by the water (escorting people with no road
    on, or cut off from base on standby), its hours equal to its own Gantt bars; the verdict
    names the longest-held team by its base's name."""
    from sim.shortfall import team_holdups

    plan = Plan.existing(district)
    sim, r = _run(district, flood, plan, duration_h=40)
    held = r.kpis["shortfall"]["teams_held"]
    assert held == team_holdups(sim) and held["teams"] == len(sim.teams)
    by_id = {t.id: t for t in sim.teams}
    for row in held["held"]:
        bars = by_id[row["team"]].activity(40 * 3600.0)
        for kind, key in (("blocked", "escorting_h"), ("standby", "standby_h")):
            assert row[key] == pytest.approx(sum(b["end_s"] - b["start_s"] for b in bars if b["kind"] == kind) / 3600.0,
                                             abs=0.01)
        assert row["escorting_h"] + row["standby_h"] >= 1.0 or row["handed_back"]
        assert (row["zh"], row["en"]) == plan.squad_names(row["team"])
    for t in sim.teams:
        if t.id not in {x["team"] for x in held["held"]}:
            spans = sum(b["end_s"] - b["start_s"] for b in t.activity(40 * 3600.0) if b["kind"] in ("blocked", "standby"))
            assert spans < 3600.0 and not t.turned_back
    assert held["held"], "the 100-year flood holds some team: the check above would be empty"
    from scenarios.reports.shortfall_view import shortfall_context

    rows = shortfall_context(r.kpis)["teams_held"]
    assert [(x["en"], x["handed_back"]) for x in rows] == [(x["en"], x["handed_back"]) for x in held["held"]]
    v = r.kpis["verdict"]
    assert f"Of the {len(sim.teams)} rescue teams" in v["en"] and f"救援队伍共 {len(sim.teams)} 支" in v["zh"]


def test_people_who_cannot_leave_alone_and_no_road_team_reaches_wait_for_a_boat_crew(district, flood):
    """rescue_cut_off: a party waiting for help where no team that goes by road reaches from its
    base (scipy's Dijkstra on the roads as they are at the end, from every such base) is held by
    the boat crews, not by the rescue teams; one a road team reaches waits for a rescue team."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    from sim.shortfall import party_cause

    plan = Plan.existing(district)
    sim, r = _run(district, flood, plan, duration_h=30)
    net = district.network
    w = sim.roads.weights
    ok = np.isfinite(w)
    graph = csr_matrix((w[ok] + 1e-9, (net.edge_source[ok], net.indices[ok])), shape=(net.n_nodes, net.n_nodes))
    bases = sorted({t.base_node for t in sim.teams if t.type in sim.p.capable["assist"] and t.type not in sim.p.boat_types})
    want = np.isfinite(dijkstra(graph, indices=bases)).any(axis=0)
    assert np.array_equal(sim.road_team_reach(), want) and not want.all()
    waiting = [q for q in sim.parties if q.state == "waiting_help"]
    for q in waiting:
        assert party_cause(sim, q) == ("waiting_for_rescue" if want[q.node] else "rescue_cut_off")
    causes = r.kpis["shortfall"]["unrelieved_by_cause"]
    counted = [q for q in waiting if not q.sheltering and math.isfinite(q.group.affected_s)]  # as the indicator
    assert causes.get("rescue_cut_off", 0) == sum(q.people - q.relieved for q in counted if not want[q.node]) > 0
    boats = {x["resource"]: x for x in r.kpis["shortfall"]["resources"]}["boats"]
    assert boats["people_held_back"] == causes.get("waiting_for_boat", 0) + causes.get("rescue_cut_off", 0)


def test_the_verdict_says_how_the_water_held_the_teams():
    """From a hand-made summary: escorts, stand-by and jobs handed back, each summed, longest named."""
    from sim.shortfall import _teams_sentence

    held = {"teams": 12, "held": [
        {"team": "a/general/1", "zh": "甲 综合救援 1", "en": "A general rescue 1", "escorting_h": 20.0, "standby_h": 0.0,
         "handed_back": 1, "first_h": 21.5},
        {"team": "b/general/1", "zh": "乙 综合救援 1", "en": "B general rescue 1", "escorting_h": 2.5, "standby_h": 10.0,
         "handed_back": 0, "first_h": 14.0}]}
    zh, en = _teams_sentence(held)
    assert en == ["Of the 12 rescue teams, from 14.0 h: cut roads held 2 with the people they escorted, waiting for a "
                  "boat or a road, 22.5 team-hours (longest: A general rescue 1, 20.0 h); 1 stood by cut off from "
                  "their base, 10.0 team-hours (taking the jobs they could reach); 1 job went back to the queue when "
                  "the hazard cut the road ahead of the team."]
    assert zh[0].startswith("救援队伍共 12 支，自 14.0 小时起：2 支护送群众途中道路中断") and "甲 综合救援 1，20.0 小时" in zh[0]
    assert _teams_sentence({"teams": 12, "held": []}) == ([], [])


def test_people_taken_out_of_sheltering_in_place_late_are_counted_at_the_deadline():
    """Chlorine: people told to stay indoors, taken out by a team after their deadline, were
    waiting at it (under sheltering_in_place), although their party split after the read."""
    from scenarios.core.runner import run_scenario
    from scenarios.core.spec import load_scenario

    sc = load_scenario("chlorine-night").with_overrides({"simulation.duration_h": 24.0})
    short = run_scenario(sc, seed=0).result.kpis["shortfall"]
    late, waiting = short["relieved_after_target_people"], short["waiting_at_target_people"]
    assert late > 0 and late <= waiting <= late + short["unrelieved_people"]
    assert short["waiting_at_target_by_cause"].get("sheltering_in_place", 0) > 0


def test_trucks_at_a_warehouse_carry_its_deliveries(district, flood):
    """A warehouse's own trucks (the plan's, else trucks_per_warehouse): none leaves the
    supplies undelivered, one delivers less in time than the default three."""
    plan = Plan.existing(district)
    held = {}
    for trucks in (None, 1, 0):
        _, r = _run(district, flood, _with_trucks(plan, trucks), duration_h=40)
        held[trucks] = r.kpis["shortfall"]["waiting_at_target_by_cause"].get("not_delivered", 0)
    assert held[0] > 10 * held[1] > 0 and held[1] > held[None]
    with pytest.raises(InputError, match="trucks must be a whole number"):
        _with_trucks(plan, -1).check_against(district.network)


# ---------------------------------------------------------------------------------------------
# chemical warnings start at detection


def test_chemical_warnings_precede_the_gas_far_enough_downwind():
    from scenarios.core.runner import run_scenario
    from scenarios.core.spec import load_scenario

    # everyone evacuates (outdoor arrival times), so that the gas reaches some before detection
    run = run_scenario(load_scenario("chlorine-night").with_overrides({"hazards.chemical.protective_action": "evacuate"}))
    (chem,) = run.hazards
    assert chem.detected_s == chem.start_s + 600.0
    far = near = 0
    for g in run.result.groups:
        if not math.isfinite(g["affected_s"]):
            continue
        assert g["threat_s"] <= max(chem.detected_s, g["affected_s"]) + 1e-6  # the forecast zone is warned at detection
        lead = g["affected_s"] - chem.detected_s
        if lead > 45 * 60.0:   # time for the channels: most are warned before the gas arrives
            far += 1
            assert g["warned_before_hit"] >= 0.5 * g["people"]
        elif lead <= 0:        # the gas was there before anyone knew
            near += 1
            assert g["warned_before_hit"] == 0
    assert far > 0 and near > 0
    assert 0.0 < run.result.kpis["warning_coverage"] < 1.0


# ---------------------------------------------------------------------------------------------
# the optimiser stocks new warehouses by need


def test_new_warehouses_are_stocked_for_the_people_they_reach_first(district):
    import numpy as np

    from network.paths import nearest_facility
    from optimize.district_plan import stock_by_need

    net = district.network
    plan = Plan.existing(district)
    before = nearest_facility(net, [w.node for w in plan.warehouses])
    served = np.isfinite(before.time) & (net.population > 0)
    far = int(np.flatnonzero(served)[np.argmax(before.time[served])])   # the worst-served village
    new = dataclasses.replace(plan.warehouses[0], id="new-1", node=far, stock={}, existing=False)
    need = np.where(net.population > 0, 1.0, 0.0)
    out = stock_by_need(net, [*plan.warehouses, new], need)
    assert [w.stock for w in out[:-1]] == [w.stock for w in plan.warehouses]   # existing stock is kept
    near = nearest_facility(net, [w.node for w in out])
    people = need[near.facility == len(out) - 1].sum()
    assert out[-1].stock == {k: float(math.ceil(v * people)) for k, v in DEFAULT_STANDARD.kit("shelter").items()}


def test_the_verdict_names_the_other_missed_targets_and_the_estimates(net):
    from scenarios.core.runner import kpi_rows
    from scenarios.core.spec import Targets
    from scenarios.core.verdict import with_targets

    plan = toy_plan(net, kits(10_000))
    r = Simulation(net, [ScriptedHazard(net, PEOPLE)], plan, SimParams(duration_h=6, seed=1, **QUICK)).run()
    rows = kpi_rows(r, Targets())
    v = with_targets(rows, r.kpis)
    assert r.kpis["warning_coverage"] == 0.0                  # QUICK has no warning channel that reaches anyone
    assert "Warning coverage 0% misses its target (≥ 90%): 400 affected people had no warning" in v["en"]
    assert "预警覆盖率 0%，未达目标（≥ 90%）：400 名受影响人员" in v["zh"]
    assert v["en"].startswith(r.kpis["verdict"]["en"].split(" These figures")[0])
    assert v["en"].endswith("docs/references/hazards.md §6.5.")   # the estimates come last
    # a run that meets its other targets adds nothing
    easy = kpi_rows(r, Targets(warning_coverage=0.0))
    assert with_targets(easy, r.kpis) == r.kpis["verdict"]


def test_a_scenario_may_bring_its_own_relief_standard(tmp_path):
    """A district that stocks clothing puts it in its own standard: the kit needs it, and a
    district without any says so in the shortfall (no_clothing_sets)."""
    from scenarios.core.runner import run_scenario, sim_params
    from scenarios.core.spec import load_scenario

    text = (Path(__file__).parents[1] / "network/data/relief_standard.toml").read_text(encoding="utf-8")
    (tmp_path / "std.toml").write_text(text + '\n[items.clothing_sets]\nper_person_day = 1.0\nwhere = ["shelter"]\n'
                                       'name_zh = "衣物"\nname_en = "clothing sets"\nkg_per_unit = 1.5\n', encoding="utf-8")
    src = tmp_path / "s.toml"
    src.write_text('name = "own-kit"\ntitle_zh = "自定标准"\ntitle_en = "own kit"\n[hazards.chemical]\n'
                   'site = "chlor-alkali-plant"\nrate_kg_s = 2.0\nduration_min = 30\nstability = "F"\n'
                   'time_of_day = "night"\nwind_from_deg = 120\nprotective_action = "evacuate"\n'
                   '[simulation]\nduration_h = 6\nstep_s = 300\n'
                   'relief_standard = "std.toml"\n', encoding="utf-8")
    sc = load_scenario(src)
    p = sim_params(sc)
    assert p.needs_per_person["clothing_sets"] == 1.0 and "clothing_sets" not in p.needs_in_place
    assert p.item_kg["clothing_sets"] == 1.5
    k = run_scenario(sc).result.kpis
    causes = k["shortfall"]["unrelieved_by_cause"]
    assert causes.get("no_clothing_sets", 0) > 0                      # the district stocks none
    clothing = next(r for r in k["shortfall"]["resources"] if r["resource"] == "clothing_sets")
    assert clothing["ran_out_h"] is not None and clothing["people_held_back"] == causes["no_clothing_sets"]
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("per_person_day = 6.0", "per_person_day = 6.0\nkg_per_unit = -1"), encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.toml: items.water_l.kg_per_unit: expected a number above 0"):
        sim_params(sc.with_overrides({"simulation.relief_standard": str(bad)}))


def _share_of_cohort(sim, deadline_by_s: float, target_s: float = 10 * 3600.0) -> tuple[float, int]:
    """Share relieved within the target among the people whose deadline is at most ``deadline_by_s``."""
    within = people = 0
    for g in sim.groups.values():
        if not math.isfinite(g.affected_s) or g.affected_s + target_s > deadline_by_s:
            continue
        for q in g.parties:
            if not q.sheltering:
                people += q.people
                within += sum(n for t, n in q.relief if t - g.affected_s <= target_s)
    return within / people, people


def test_a_short_run_judges_only_the_people_whose_deadline_it_saw(district, flood):
    """People affected less than 10 h before the end are undecided: a 30-h run's share is that of
    the people whose deadline fell inside it, exactly what a 72-h run says about the same people
    (neither the early-relieved of the undecided nor their still-waiting tilt it)."""
    plan = Plan.existing(district)
    _, short = _run(district, flood, plan, duration_h=30)
    long_sim, full = _run(district, flood, plan, duration_h=72)
    rt, rt_full = short.kpis["relief_time"], full.kpis["relief_time"]
    share, cohort = _share_of_cohort(long_sim, 30 * 3600.0)
    assert rt["undecided_people"] > 0 and rt_full["undecided_people"] == 0
    assert rt["affected_people"] - rt["undecided_people"] == cohort
    assert rt["share_within_target"] == pytest.approx(share, abs=1e-12)
    assert rt_full["share_within_target"] == pytest.approx(_share_of_cohort(long_sim, 72 * 3600.0)[0], abs=1e-12)
    assert f"{rt['undecided_people']:,} people were affected less than 10 h before the run ended" \
        in short.kpis["verdict"]["en"]


def test_a_run_that_ends_before_any_deadline_says_the_indicator_cannot_be_judged():
    from scenarios.core.runner import kpi_rows, run_scenario
    from scenarios.core.spec import load_scenario

    sc = load_scenario("chlorine-night").with_overrides({"simulation.duration_h": 2.0})
    run = run_scenario(sc, seed=0)
    rt = run.result.kpis["relief_time"]
    assert rt["affected_people"] == rt["undecided_people"] > 0
    rows = {r["indicator"]: r for r in kpi_rows(run.result, sc.targets)}
    assert rows["relief_within_target"]["pass"] is None
    assert "falls after the end of the run" in rows["relief_within_target"]["note"]
    assert "Nobody's 10-hour deadline fell inside the run" in run.result.kpis["verdict"]["en"]
