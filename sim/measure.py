"""From a finished simulation to its :class:`~sim.result.RunResult`: relief times, warnings,
rescue response, team use, shelters and supplies.

The simulation is read through :class:`FinishedRun` (the attributes this module needs), so the
engine and its measures do not import each other both ways.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

from network.hazard import Hazard
from network.model import RoadNetwork
from network.plan import Plan

from .dispatch import Dispatcher, Team
from .evacuation import Group, Ledger, Party, ShelterState
from .hazards.fire.record import RasterFire, combined_damage_rate_permille
from .hazards.flood.impact import annual_risk, node_mortality
from .hazards.flood.model import RiverFlood
from .params import SimParams
from .result import RunResult
from .resupply import Resupply
from .roads import Roads
from .shortfall import shortfall, verdict
from .supplies import Supplies, WarehouseState


class FinishedRun(Protocol):
    """What :func:`build_result` reads of a finished :class:`sim.engine.Simulation`."""

    p: SimParams
    net: RoadNetwork
    plan: Plan
    hazards: list[Hazard]
    groups: dict[int, Group]
    parties: list[Party]
    shelters: list[ShelterState]
    warehouses: list[WarehouseState]
    teams: list[Team]
    dispatcher: Dispatcher
    supplies: Supplies
    resupply: Resupply
    ledger: Ledger
    roads: Roads
    series: dict[str, list]
    events: list[tuple]
    events_processed: int | None

    def road_team_reach(self) -> np.ndarray:
        """Nodes a road team reaches from its base now (:meth:`sim.engine.Simulation.road_team_reach`)."""


def percentile(x: np.ndarray, q: float) -> float:
    """Nearest-rank percentile (well defined with +inf for the never relieved)."""
    if not len(x):
        return math.nan
    xs = np.sort(x)
    return float(xs[min(len(xs) - 1, max(0, math.ceil(q / 100.0 * len(xs)) - 1))])


@dataclass
class _ReliefTally:
    """Relief times (h after being affected) per person, and the people counted on the way."""

    times: list[float] = field(default_factory=list)
    weights: list[int] = field(default_factory=list)
    affected: int = 0                 # who needs relief: the affected but those sheltering in place
    relieved: int = 0
    everyone: int = 0                 # every affected person (the warnings' denominator)
    sheltering: int = 0               # affected indoors, told to shelter in place: not displaced
    undecided: int = 0                # affected less than the target before the end: not judged
    warned: int = 0
    exposed: int = 0

    def add(self, g: Group, rec: dict[str, Any], end_s: float, target_s: float) -> None:
        """Count an affected group: its warnings, exposure and every relief it received.

        People told to shelter in place stay in their homes with their own supplies: they
        count for the warnings and the exposure, not for relief. People affected less than the
        target before the end of the run (their deadline falls after it) are *undecided* and left
        out of the relief times altogether, relieved or not: keeping the early-relieved and
        dropping only the still-waiting would favour the plan, and counting the still-waiting as
        late would blame it for what the run did not see. The share and percentiles are those of
        the people whose deadline fell inside the run, the same whatever the run's length."""
        staying = sum(q.people for q in g.parties if q.sheltering)
        self.everyone += g.people
        self.sheltering += staying
        self.affected += g.people - staying
        self.warned += rec["warned_before_hit"]
        self.exposed += g.exposed
        self.relieved += rec["relieved"]
        if g.affected_s + target_s > end_s:
            self.undecided += g.people - staying
            return
        for q in g.parties:
            for t, n in q.relief:
                self.times.append(max(0.0, t - g.affected_s))
                self.weights.append(n)
        missing = g.people - staying - rec["relieved"]
        if missing:
            self.times.append(math.inf)
            self.weights.append(missing)

    def hours(self) -> np.ndarray:
        """One relief time per person whose outcome the run decides, in hours (+inf: never
        relieved although the deadline fell inside the run)."""
        if not self.times:
            return np.zeros(0)
        return np.repeat(np.array(self.times, float), np.array(self.weights, int)) / 3600.0


def _group_record(g: Group, shelters: Sequence[ShelterState]) -> dict[str, Any]:
    """One group: where its people went, when each state was first reached, its parties, its relief."""
    rec: dict[str, Any] = {
        "group": g.id, "node": g.node, "people": g.people, "threat_s": g.threat_s, "affected_s": g.affected_s,
        "lethal_s": g.lethal_s, "warned_before_hit": None, "relieved": 0, "relief_done_s": math.nan,
        "exposed": g.exposed, "parties": len(g.parties), "home_node": g.node}
    # where its people went: the shelter node that took most of them (None: none reached one)
    at: dict[int, int] = {}
    for q in g.parties:
        if q.shelter >= 0 and math.isfinite(q.arrived_s):
            node = shelters[q.shelter].node
            at[node] = at.get(node, 0) + q.people
    rec["shelter_node"] = max(at, key=lambda k: (at[k], -k)) if at else None
    st: dict[str, float] = {}
    for q in g.parties:
        for k, t in q.state_s.items():
            st[k] = min(st.get(k, math.inf), t)
    rec["state_times"] = st
    rec["relieved_in_place"] = sum(q.relieved for q in g.parties if q.in_place)
    rec["party_records"] = [
        {"party": q.id, "people": q.people, "state": q.state, "needs_help": q.needs_help, "node": q.node,
         "shelter_node": shelters[q.shelter].node if q.shelter >= 0 else None, "left_s": q.left_s,
         "arrived_s": q.arrived_s, "in_place": q.in_place, "sheltering": q.sheltering,
         "relief": [[t, n] for t, n in q.relief],
         "state_times": dict(q.state_s)} for q in g.parties]
    got = sum(q.relieved for q in g.parties)
    rec["relieved"] = got
    if got:
        rec["relief_done_s"] = max(t for q in g.parties for t, _ in q.relief)
    if math.isfinite(g.affected_s):
        rec["warned_before_hit"] = g.warned_by(g.affected_s)
        rec["relief_time_h"] = (rec["relief_done_s"] - g.affected_s) / 3600.0 if got == g.people else math.inf
    return rec


def _groups(sim: FinishedRun) -> tuple[list[dict[str, Any]], _ReliefTally]:
    """Every group's record, and the relief tally of the affected ones."""
    tally = _ReliefTally()
    records = []
    end_s, target_s = sim.p.duration_h * 3600.0, sim.p.relief_target_h * 3600.0
    for g in sim.groups.values():
        rec = _group_record(g, sim.shelters)
        if math.isfinite(g.affected_s):
            tally.add(g, rec, end_s, target_s)
        records.append(rec)
    return records, tally


def _relief_kpis(tally: _ReliefTally, target_h: float) -> dict[str, Any]:
    """Relief-time percentiles, the share relieved within the target (both over the people whose
    outcome the run decides), and the people counts."""
    rt = tally.hours()
    return {
        "p50_h": percentile(rt, 50), "p90_h": percentile(rt, 90), "p95_h": percentile(rt, 95),
        "max_h": float(rt.max()) if len(rt) else math.nan,
        "share_within_target": float((rt <= target_h).mean()) if len(rt) else math.nan,
        "target_h": target_h, "affected_people": tally.affected, "relieved_people": tally.relieved,
        "unrelieved_people": tally.affected - tally.relieved,
        # affected less than the target before the end: out of the share and percentiles
        "undecided_people": tally.undecided,
    }


def _response_kpis(dispatcher: Dispatcher) -> dict[str, Any]:
    """Rescue calls (trapped, casualties): how many, how many served, response times in minutes."""
    rescue = [r for r in dispatcher.requests if r.kind in ("trapped", "casualty")]
    resp = np.array([r.response_s for r in rescue if math.isfinite(r.arrived_s)]) / 60.0
    return {"requests": len(rescue), "served": len(resp), "mean_min": float(resp.mean()) if len(resp) else math.nan,
            "p90_min": percentile(resp, 90), "unserved": len(rescue) - len(resp)}


def _teams(teams: Sequence[Team], end_s: float) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Each team's activity and utilisation, and the mean utilisation by team type and overall."""
    records = []
    by_type: dict[str, list[float]] = {}
    for t in teams:
        activity = t.activity(end_s)
        # busy: from dispatch to done (travel, on-scene work, escorts), work still open ending at the end
        busy = sum(a["end_s"] - a["start_s"] for a in activity if a["kind"] in ("travel", "blocked", "scene"))
        u = min(busy / end_s, 1.0)
        by_type.setdefault(t.type, []).append(u)
        records.append({"team": t.id, "type": t.type, "base_node": t.base_node, "jobs": t.jobs, "utilisation": u,
                        "status_at_end": t.status, "activity": activity})
    util = {k: float(np.mean(v)) for k, v in by_type.items()}
    util["all"] = float(np.mean([t["utilisation"] for t in records])) if records else math.nan
    return records, util


def _shelters(shelters: Sequence[ShelterState]) -> list[dict[str, Any]]:
    """Each shelter's capacity, peak occupancy, reservations, stock and what it was sent."""
    return [{"shelter": s.id, "node": s.node, "capacity": s.capacity, "peak_occupancy": s.peak,
             "reserved": s.reserved, "full": s.reserved >= s.capacity, "stock_left": dict(s.stock),
             "delivered": dict(s.delivered), "closed_s": s.closed_s} for s in shelters]


def _supply_kpis(sim: FinishedRun, affected_people: int) -> dict[str, Any]:
    """Relief items delivered (to shelters and in place), needed, and left in the warehouses."""
    sup = sim.supplies
    needs = sup.needs
    return {
        "delivered": {k: sum(s.delivered[k] for s in sim.shelters) + sup.delivered_in_place.get(k, 0.0) for k in needs},
        "needed_by_sheltered": {k: sum(s.reserved for s in sim.shelters) * v for k, v in needs.items()},
        "needed_by_affected": {k: affected_people * v for k, v in needs.items()},
        "warehouse_stock_left": {k: sum(w.stock.get(k, 0.0) for w in sim.warehouses) for k in needs},
        "from_outside": {k: sum(s["delivered"].get(k, 0.0) for s in sim.resupply.summary()) for k in needs},
        "needs_per_person": dict(needs), "needs_in_place": dict(sup.needs_in_place),
        "delivered_in_place": dict(sup.delivered_in_place), "in_place_trips": sup.in_place_trips,
    }


def _flood_deaths(sim: FinishedRun) -> dict[str, Any]:
    """Expected deaths of the run's river floods and the expected annual deaths per million.

    Event: the people still home when the water reached their node (``present_when_affected``)
    × the Jonkman et al. (2008) mortality of that node's deepest, fastest-rising, fastest water.
    Year: the design floods of 10–200 years on the same river and dikes (:func:`annual_risk`),
    with this run's share of people still home applied to every event (all of them when the
    flood reached nobody). None when the run has no river flood.
    """
    floods = [h for h in sim.hazards if isinstance(h, RiverFlood)]
    if not floods:
        note = "not applicable: no river flood in this run"
        return {"expected_deaths": None, "expected_annual_deaths_per_million": None, "flood_deaths": {"note": note}}
    span = [0.0, sim.p.duration_h * 3600.0]
    fraction = np.max([node_mortality(f.node_hazard(span))[0] for f in floods], axis=0)
    present = people = 0
    deaths = 0.0
    for g in sim.groups.values():
        if math.isfinite(g.affected_s) and fraction[g.node] > 0.0:
            present += g.present_when_affected
            people += g.people
            deaths += g.present_when_affected * float(fraction[g.node])
    share = present / people if people else 1.0
    risk = annual_risk(floods[0], exposed_share=share)
    return {
        "expected_deaths": deaths,
        "expected_annual_deaths_per_million": risk.per_million,
        "flood_deaths": {"event_expected_deaths": deaths, "people_home_when_flooded": present,
                         "people_of_flooded_nodes": people, "annual": risk.as_dict(),
                         "note": ("share still home from this run" if people else
                                  "the flood reached nobody in this run: every event counts everyone exposed")},
    }


def _fire_damage_permille(hazards: Sequence[Hazard], end_s: float) -> float:
    """The district's forest fire damage rate (‰): the forest all the fires burned, each cell
    once, over the forest area; NaN when no fire burns in the run."""
    return combined_damage_rate_permille([h for h in hazards if isinstance(h, RasterFire)], end_s)


def _kpis(sim: FinishedRun, tally: _ReliefTally, util: dict[str, float]) -> dict[str, Any]:
    """The run's indicators and their ingredients."""
    end = sim.p.duration_h * 3600.0
    counts = sim.ledger.counts
    relief = _relief_kpis(tally, sim.p.relief_target_h)
    short = shortfall(sim, sim.p.relief_target_h)
    return {
        "relief_time": relief,
        "shortfall": short,
        "verdict": verdict(relief, short),
        "warning_coverage": tally.warned / tally.everyone if tally.everyone else math.nan,
        "sheltered_in_place_people": tally.sheltering,
        "response_time": _response_kpis(sim.dispatcher),
        "team_utilisation": util,
        "shelter_peak_occupancy": sum(s.peak for s in sim.shelters),
        "shelter_capacity": sum(s.capacity for s in sim.shelters),
        "shelters_full": [s.id for s in sim.shelters if s.reserved >= s.capacity],
        "supplies": _supply_kpis(sim, tally.affected),
        "relieved_in_place_people": sum(q.relieved for q in sim.parties if q.in_place),
        "relieved_with_relatives_people": short["relieved_with_relatives_people"],
        "cut_off_people": sum(q.people - q.relieved for q in sim.parties if q.cut_off),
        "shelters_closed": [s.id for s in sim.shelters if s.closed],
        "unmet_at_end": {"unrelieved_affected_people": tally.affected - tally.relieved,
                         "stranded_people": counts["stranded"], "waiting_help_people": counts["waiting_help"],
                         "queued_requests": sim.dispatcher.queued},
        "exposure_people": tally.exposed,
        **_flood_deaths(sim),
        "forest_fire_damage_permille": _fire_damage_permille(sim.hazards, end),
        "forest_fires": [h.attack_summary(end) for h in sim.hazards if isinstance(h, RasterFire)],
        "people_by_state": dict(counts),
        "events": len(sim.events),
        "simpy_events": sim.events_processed,
        "path_searches": sim.roads.searches,
        "tree_repairs": sim.roads.repairs,
    }


def build_result(sim: FinishedRun) -> RunResult:
    """The RunResult of a finished simulation.

    Parameters
    ----------
    sim
        A :class:`sim.engine.Simulation` whose clock has reached its end.

    Returns
    -------
    RunResult
    """
    groups, tally = _groups(sim)
    teams, util = _teams(sim.teams, sim.p.duration_h * 3600.0)
    kpis = _kpis(sim, tally, util)
    ts = dict(sim.series)
    ts["evacuated"] = [a + b + c for a, b, c in zip(ts["evacuating"], ts["sheltered"], ts["relieved"])]
    requests = [{"id": r.id, "kind": r.kind, "node": r.node, "priority": r.priority, "created_s": r.created_s,
                 "assigned_s": r.assigned_s, "arrived_s": r.arrived_s, "done_s": r.done_s, "team": r.team,
                 "group": r.group, "handed_back": r.handed_back} for r in sim.dispatcher.requests]
    events = [{"t_s": t, "event": e, **kw} for t, e, kw in sim.events]
    params = {k: v for k, v in asdict(sim.p).items() if k != "channels"}
    params["channels"] = [asdict(c) for c in sim.p.channels]
    meta = {"hazards": [h.name for h in sim.hazards], "plan": sim.plan.name, "network": sim.net.name}
    return RunResult(kpis, ts, groups, teams, _shelters(sim.shelters), requests, events, params, meta)
