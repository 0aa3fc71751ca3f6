"""RunResult: KPIs, time series, per-group records and the event log of one run (JSON / CSV)."""
from __future__ import annotations

import csv
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .engine import Simulation


def _clean(x: Any) -> Any:
    """JSON-safe: numpy scalars to Python, inf/NaN to None."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    return x


@dataclass
class RunResult:
    kpis: dict[str, Any]
    time_series: dict[str, list[float]]
    groups: list[dict[str, Any]]
    teams: list[dict[str, Any]]
    shelters: list[dict[str, Any]]
    requests: list[dict[str, Any]]
    events: list[dict[str, Any]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return _clean(asdict(self))

    def to_json(self, path: str | Path | None = None) -> str:
        text = json.dumps(self.to_dict(), ensure_ascii=False)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def events_to_csv(self, path: str | Path) -> Path:
        keys = sorted({k for e in self.events for k in e} - {"t_s", "event"})
        path = Path(path)
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, ["t_s", "event", *keys])
            w.writeheader()
            w.writerows(self.events)
        return path


def _pct(x: np.ndarray, q: float) -> float:
    """Nearest-rank percentile (well defined with +inf for the never relieved)."""
    if not len(x):
        return math.nan
    xs = np.sort(x)
    return float(xs[min(len(xs) - 1, max(0, math.ceil(q / 100.0 * len(xs)) - 1))])


def build_result(sim: "Simulation") -> RunResult:
    p = sim.p
    end = p.duration_h * 3600.0
    # relief times per affected person (unrelieved: +inf)
    times, weights = [], []
    affected_people = relieved_people = warned_people = exposed = 0
    groups = []
    for g in sim.groups.values():
        rec = {"group": g.id, "node": g.node, "people": g.people, "threat_s": g.threat_s, "affected_s": g.affected_s,
               "lethal_s": g.lethal_s, "warned_before_hit": None, "relieved": 0, "relief_done_s": math.nan,
               "exposed": g.exposed, "parties": len(g.parties), "home_node": g.node}
        # where its people went: the shelter node that took most of them (None: none reached one)
        at: dict[int, int] = {}
        for q in g.parties:
            if q.shelter >= 0 and math.isfinite(q.arrived_s):
                node = sim.shelters[q.shelter].node
                at[node] = at.get(node, 0) + q.people
        rec["shelter_node"] = max(at, key=lambda k: (at[k], -k)) if at else None
        # first time any of its people entered each state
        st: dict[str, float] = {}
        for q in g.parties:
            for k, t in q.state_s.items():
                st[k] = min(st.get(k, math.inf), t)
        rec["state_times"] = st
        rec["relieved_in_place"] = sum(q.relieved for q in g.parties if q.in_place)
        rec["party_records"] = [
            {"party": q.id, "people": q.people, "state": q.state, "needs_help": q.needs_help, "node": q.node,
             "shelter_node": sim.shelters[q.shelter].node if q.shelter >= 0 else None, "left_s": q.left_s,
             "arrived_s": q.arrived_s, "in_place": q.in_place, "relief": [[t, n] for t, n in q.relief],
             "state_times": dict(q.state_s)} for q in g.parties]
        got = sum(q.relieved for q in g.parties)
        rec["relieved"] = got
        if got:
            rec["relief_done_s"] = max(t for q in g.parties for t, _ in q.relief)
        if math.isfinite(g.affected_s):
            affected_people += g.people
            rec["warned_before_hit"] = g.warned_by(g.affected_s)
            warned_people += rec["warned_before_hit"]
            exposed += g.exposed
            for q in g.parties:
                for t, n in q.relief:
                    times.append(max(0.0, t - g.affected_s))
                    weights.append(n)
                    relieved_people += n
            missing = g.people - got
            if missing:
                times.append(math.inf)
                weights.append(missing)
            rec["relief_time_h"] = (rec["relief_done_s"] - g.affected_s) / 3600.0 if got == g.people else math.inf
        groups.append(rec)
    rt = np.repeat(np.array(times, float), np.array(weights, int)) / 3600.0 if times else np.zeros(0)
    target = p.relief_target_h
    relief = {
        "p50_h": _pct(rt, 50), "p90_h": _pct(rt, 90), "p95_h": _pct(rt, 95),
        "max_h": float(rt.max()) if len(rt) else math.nan,
        "share_within_target": float((rt <= target).mean()) if len(rt) else math.nan,
        "target_h": target, "affected_people": affected_people, "relieved_people": relieved_people,
        "unrelieved_people": affected_people - relieved_people,
    }
    # rescue response
    reqs = sim.dispatcher.requests
    rescue = [r for r in reqs if r.kind in ("trapped", "casualty")]
    resp = np.array([r.response_s for r in rescue if math.isfinite(r.arrived_s)]) / 60.0
    response = {"requests": len(rescue), "served": int(len(resp)), "mean_min": float(resp.mean()) if len(resp) else math.nan,
                "p90_min": _pct(resp, 90), "unserved": len(rescue) - int(len(resp))}
    # teams
    teams = []
    by_type: dict[str, list[float]] = {}
    for t in sim.teams:
        activity = t.activity(end)
        # busy: from dispatch to done (travel, on-scene work, escorts), work still open ending at the end
        busy = sum(a["end_s"] - a["start_s"] for a in activity if a["kind"] in ("travel", "scene"))
        u = min(busy / end, 1.0)
        by_type.setdefault(t.type, []).append(u)
        teams.append({"team": t.id, "type": t.type, "base_node": t.base_node, "jobs": t.jobs, "utilisation": u,
                      "status_at_end": t.status, "activity": activity})
    util = {k: float(np.mean(v)) for k, v in by_type.items()}
    util["all"] = float(np.mean([t["utilisation"] for t in teams])) if teams else math.nan
    # shelters and supplies
    shelters = [{"shelter": s.id, "node": s.node, "capacity": s.capacity, "peak_occupancy": s.peak,
                 "reserved": s.reserved, "full": s.reserved >= s.capacity, "stock_left": dict(s.stock),
                 "delivered": dict(s.delivered), "closed_s": s.closed_s} for s in sim.shelters]
    needs = sim.supplies.needs
    sheltered_need = {k: sum(s.reserved for s in sim.shelters) * v for k, v in needs.items()}
    affected_need = {k: affected_people * v for k, v in needs.items()}
    sup = sim.supplies
    delivered = {k: sum(s.delivered[k] for s in sim.shelters) + sup.delivered_in_place[k] for k in needs}
    stock_left = {k: sum(w.stock.get(k, 0.0) for w in sim.warehouses) for k in needs}
    counts = sim.ledger.counts
    fire = [h.damage_rate_permille(end) for h in sim._fires]
    kpis = {
        "relief_time": relief,
        "warning_coverage": warned_people / affected_people if affected_people else math.nan,
        "response_time": response,
        "team_utilisation": util,
        "shelter_peak_occupancy": sum(s.peak for s in sim.shelters),
        "shelter_capacity": sum(s.capacity for s in sim.shelters),
        "shelters_full": [s.id for s in sim.shelters if s.reserved >= s.capacity],
        "supplies": {"delivered": delivered, "needed_by_sheltered": sheltered_need,
                     "needed_by_affected": affected_need, "warehouse_stock_left": stock_left,
                     "delivered_in_place": dict(sup.delivered_in_place), "in_place_trips": sup.in_place_trips},
        "relieved_in_place_people": sum(q.relieved for q in sim.parties if q.in_place),
        "cut_off_people": sum(q.people - q.relieved for q in sim.parties if q.cut_off),
        "shelters_closed": [s.id for s in sim.shelters if s.closed],
        "unmet_at_end": {"unrelieved_affected_people": affected_people - relieved_people,
                         "stranded_people": counts["stranded"], "waiting_help_people": counts["waiting_help"],
                         "queued_requests": sim.dispatcher.queued},
        "exposure_people": exposed,
        "forest_fire_damage_permille": max(fire) if fire else math.nan,
        "people_by_state": dict(counts),
        "events": len(sim.events),
        "simpy_events": sim._events_processed if hasattr(sim, "_events_processed") else None,
        "path_searches": sim.roads.searches,
        "tree_repairs": sim.roads.repairs,
    }
    ts = dict(sim.series)
    ts["evacuated"] = [a + b + c for a, b, c in zip(ts["evacuating"], ts["sheltered"], ts["relieved"])]
    requests = [{"id": r.id, "kind": r.kind, "node": r.node, "priority": r.priority, "created_s": r.created_s,
                 "assigned_s": r.assigned_s, "arrived_s": r.arrived_s, "done_s": r.done_s, "team": r.team,
                 "group": r.group} for r in reqs]
    events = [{"t_s": t, "event": e, **kw} for t, e, kw in sim.events]
    params = {k: v for k, v in asdict(p).items() if k != "channels"}
    params["channels"] = [asdict(c) for c in p.channels]
    return RunResult(kpis, ts, groups, teams, shelters, requests, events, params,
                     {"hazards": [getattr(h, "name", type(h).__name__) for h in sim.hazards],
                      "plan": getattr(sim.plan, "name", ""), "network": sim.net.name})


#: the plan's indicators (DESIGN.md): key, zh, en, unit, target, comparison
INDICATORS = (
    ("relief_within_target", "受灾人员基本生活得到有效救助的时间 (10 h 内比例)", "affected people relieved within 10 h", "share", 1.0, ">="),
    ("relief_p95_h", "基本生活救助时间 P95", "basic relief time, 95th percentile", "h", 10.0, "<"),
    ("warning_coverage", "灾害事故发布公众覆盖率", "public coverage of disaster warnings", "share", 0.90, ">="),
    ("forest_fire_damage_permille", "森林火灾受害率", "forest fire damage rate", "‰", 0.9, "<="),
    ("exposure_people", "致死区域暴露人数 (死亡率代理)", "people exposed in lethal zones (death-rate proxy)", "people", 0, "<="),
)


def indicator_table(result: RunResult) -> list[dict[str, Any]]:
    """The plan's indicators with pass/fail (value None: not applicable in this run)."""
    k = result.kpis
    values = {
        "relief_within_target": k["relief_time"]["share_within_target"],
        "relief_p95_h": k["relief_time"]["p95_h"],
        "warning_coverage": k["warning_coverage"],
        "forest_fire_damage_permille": k["forest_fire_damage_permille"],
        "exposure_people": k["exposure_people"],
    }
    rows = []
    for key, zh, en, unit, target, op in INDICATORS:
        v = values[key]
        if v is None or (isinstance(v, float) and math.isnan(v)):
            ok = None
            v = None
        else:
            v = float(v)
            ok = {">=": v >= target, "<": v < target, "<=": v <= target}[op]
        note = ""
        if v is not None and math.isinf(v):  # JSON has no inf: some affected people were never relieved
            v, note = None, "not reached: some affected people never relieved in the run"
        rows.append({"indicator": key, "zh": zh, "en": en, "unit": unit, "value": v, "target": f"{op} {target}",
                     "pass": ok, "note": note})
    return rows
