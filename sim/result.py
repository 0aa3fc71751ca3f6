"""RunResult: KPIs, time series, per-group records and the event log of one run (JSON / CSV)."""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from network.cells import DEFAULT_CSV_ENCODING, csv_dict_writer, open_csv
from network.jsonsafe import json_safe
from network.model import RoadNetwork

#: events.csv's stable core, always there in this order: the time in hours (what a reader
#: scans) and seconds (exact), the event, and its node with the node's place (empty for events
#: without one). Every other field an event of the run fills follows, sorted by name; a field
#: no row of the file fills is left out.
EVENT_CORE = ("time_h", "t_s", "event", "node", "lon", "lat")


@dataclass
class RunResult:
    """Everything one simulated run produced (built by :func:`sim.measure.build_result`).

    ``kpis`` holds the indicators and their ingredients; ``time_series`` people by state per
    hazard step; ``groups``, ``teams``, ``shelters`` and ``requests`` one record each;
    ``events`` the structured event log; ``params`` the parameters it ran with.

    Attributes
    ----------
    kpis
        Indicators and their ingredients: ``relief_time``, ``warning_coverage``,
        ``response_time``, ``team_utilisation``, shelter use, ``supplies``,
        ``exposure_people``, ``expected_deaths`` and ``expected_annual_deaths_per_million``
        (river floods; None without one) with ``flood_deaths`` (how they were reached),
        ``forest_fire_damage_permille``, ``people_by_state``,
        ``unmet_at_end`` and the run's counts (events, SimPy events, path searches).
    time_series
        ``t_h`` per hazard step and, at each, the people threatened, affected, in each ledger
        state and evacuated.
    groups, teams, shelters, requests
        One record (a dict) per affected group, squad, shelter and request.
    events
        The event log: ``t_s``, ``event`` and the event's own fields.
    params
        The :class:`~sim.params.SimParams` of the run as plain data.
    meta
        Names of the hazards, the plan and the network.
    """

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
        """A JSON-safe dict (inf and NaN become None)."""
        return json_safe(asdict(self))

    def to_json(self, path: str | Path | None = None) -> str:
        """The result as JSON text, also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), ensure_ascii=False)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def events_to_csv(self, path: str | Path, network: RoadNetwork | None = None, *,
                      encoding: str = DEFAULT_CSV_ENCODING) -> Path:
        """The event log as CSV: the columns of :data:`EVENT_CORE`, then every other field some
        event fills (a column empty in every row is left out).

        ``network`` gives the lon/lat of each event's node (without it those columns stay
        empty); ``encoding`` is one of :data:`network.cells.CSV_ENCODINGS`.
        """
        rows = [event_row(e, network) for e in self.events]
        extra = sorted({k for r in rows for k, v in r.items() if v != ""} - set(EVENT_CORE))
        path = Path(path)
        with open_csv(path, encoding) as f:
            # a field no event fills is no column; "ignore" drops its empty cells
            w = csv_dict_writer(f, [*EVENT_CORE, *extra], extrasaction="ignore")  # fields may hold district names
            w.writeheader()
            w.writerows(rows)
        return path


def event_row(event: dict[str, Any], network: RoadNetwork | None, *, blank: Any = "") -> dict[str, Any]:
    """One event as a row: hours beside seconds, the node's lon/lat, ``blank`` where there is no
    value ("" in events.csv; None in a DataFrame)."""
    row = {k: (blank if v is None or (isinstance(v, float) and math.isnan(v)) else v) for k, v in event.items()}
    t_s = float(event.get("t_s", 0.0))
    row.update(time_h=round(t_s / 3600.0, 4), t_s=round(t_s, 3), lon=blank, lat=blank)
    node = event.get("node")
    if network is not None and isinstance(node, (int, np.integer)) and 0 <= node < len(network.lon):
        row.update(lon=round(float(network.lon[node]), 6), lat=round(float(network.lat[node]), 6))
    row.setdefault("node", blank)
    return {k: row[k] for k in (*EVENT_CORE, *(k for k in row if k not in EVENT_CORE))}


#: the plan's indicators (docs/references/targets.md): key, zh, en, unit, target, comparison
INDICATORS = (
    ("relief_within_target", "受灾人员基本生活得到有效救助的时间 (10 h 内比例)", "affected people relieved within 10 h", "share", 1.0, ">="),
    ("relief_p95_h", "基本生活救助时间 P95", "basic relief time, 95th percentile", "h", 10.0, "<="),
    ("warning_coverage", "灾害事故发布公众覆盖率", "public coverage of disaster warnings", "share", 0.90, ">="),
    ("forest_fire_damage_permille", "森林火灾受害率", "forest fire damage rate", "‰", 0.9, "<="),
    ("flood_deaths_per_million", "洪涝灾害死亡率 (年均期望, 每百万人)", "flood deaths per million people per year (expected)",
     "per million", 1.0, "<"),
)


def death_note(kpis: dict[str, Any]) -> str:
    """What the annual death figure stands on: the event's expected deaths, the people exposed
    in lethal zones (the old proxy), and the share of people still home taken for every flood."""
    fd = kpis.get("flood_deaths") or {}
    if kpis.get("expected_deaths") is None:
        return fd.get("note", "not applicable in this run")
    annual = fd.get("annual", {})
    periods = ", ".join(f"{e['return_period_years']:g} y {e['expected_deaths']:.2f}" for e in annual.get("events", []))
    return (f"this event: {kpis['expected_deaths']:.2f} expected deaths "
            f"({fd.get('people_home_when_flooded', 0):,} people home when flooded; "
            f"{kpis.get('exposure_people', 0):,} in lethal zones); "
            f"year: expected deaths of the design floods ({periods}), "
            f"{annual.get('engine', '')} engine, {annual.get('exposed_share', 1.0):.0%} exposed, "
            f"{annual.get('mortality_function', '')}")


def passes(value: float, target: float, op: str) -> bool:
    """``value op target`` for the comparison operators of :data:`INDICATORS`."""
    return {">=": value >= target, "<=": value <= target, "<": value < target}[op]


def indicator_table(result: RunResult) -> list[dict[str, Any]]:
    """The plan's indicators with pass/fail (value None: not applicable in this run).

    Parameters
    ----------
    result
        A run's result.

    Returns
    -------
    list of dict
        One row per indicator of :data:`INDICATORS`, in that order: ``indicator`` (key), ``zh``,
        ``en``, ``unit``, ``value`` (None when not applicable, or when some affected people
        were never relieved, said in ``note``), ``target`` (e.g. ``"<= 10.0"``) and ``pass``
        (None when there is no value to judge).
    """
    k = result.kpis
    values = {
        "relief_within_target": k["relief_time"]["share_within_target"],
        "relief_p95_h": k["relief_time"]["p95_h"],
        "warning_coverage": k["warning_coverage"],
        "forest_fire_damage_permille": k["forest_fire_damage_permille"],
        "flood_deaths_per_million": k.get("expected_annual_deaths_per_million"),
    }
    rows = []
    for key, zh, en, unit, target, op in INDICATORS:
        v = values[key]
        if v is None or (isinstance(v, float) and math.isnan(v)):
            ok = None
            v = None
        else:
            v = float(v)
            ok = passes(v, target, op)
        note = death_note(k) if key == "flood_deaths_per_million" else ""
        if v is not None and math.isinf(v):  # JSON has no inf: some affected people were never relieved
            v, note = None, "not reached: some affected people never relieved in the run"
        rows.append({"indicator": key, "zh": zh, "en": en, "unit": unit, "value": v, "target": f"{op} {target}",
                     "pass": ok, "note": note})
    return rows
