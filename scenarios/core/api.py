"""The Python API for notebooks: load a scenario, run it, compare runs, get tables.

    from scenarios.api import load_scenario, run_scenario, compare, comparison, indicators

    run = run_scenario("flood-100y-breach")
    indicators(run).to_frame()                # a pandas DataFrame
    run.to_geodataframe("groups")             # groups as points (EPSG:4326); also events, facilities, hazard
    run.plot("map")                           # the report's figures: map, relief_time, timeline, gantt
    runs = compare(["flood-50y", "flood-100y-breach"])
    comparison(runs).to_frame()
    run_batch(load_scenario("flood-50y"), runs=20, store="flood.sqlite", client=my_dask_client)

Tables are lists of plain dicts (:class:`Table`); ``to_frame()`` turns one into a DataFrame.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from network.district import District
from network.errors import InputError
from network.jsonsafe import json_safe
from network.model import RoadNetwork
from scenarios.reports.outputs import write_compare_outputs, write_run_outputs
from scenarios.reports.tables import compare_table, run_labels

from scenarios.batch.runs import run_batch
from scenarios.sizing.search import size_plan

from .inputs import load_scenario_network
from .runner import Progress, ScenarioRun, run_scenario
from .spec import Scenario, list_scenarios, load_scenario

__all__ = [
    "Table", "load_scenario", "list_scenarios", "run_scenario", "compare", "indicators", "groups", "events",
    "time_series", "teams", "comparison", "scenarios_table", "write_run_outputs", "write_compare_outputs",
    "ScenarioRun", "Scenario", "run_batch", "size_plan",
]


class Table(list):
    """Rows as dicts (pandas-friendly); :meth:`to_frame` gives a pandas DataFrame."""

    def to_frame(self):
        """A pandas DataFrame of the rows."""
        import pandas as pd  # deferred: pandas loads in ~0.5 s, and only a notebook needs it

        return pd.DataFrame(list(self))


def scenarios_table() -> Table:
    """The built-in scenarios: name, title_zh, title_en."""
    return Table({"name": n, "title_zh": zh, "title_en": en} for n, zh, en in list_scenarios())


def indicators(run: ScenarioRun) -> Table:
    """The plan's indicators of a run: value, target, pass (one row each)."""
    return Table({"scenario": run.name, "plan": run.plan_label, **row} for row in run.kpis)


def groups(run: ScenarioRun) -> Table:
    """One row per affected or threatened group (node, people, times in s, relief time in h)."""
    return Table(json_safe(run.result.groups))


def events(run: ScenarioRun) -> Table:
    """The structured event log (t_s, event, and the event's own fields)."""
    return Table(json_safe(run.result.events))


def time_series(run: ScenarioRun) -> Table:
    """People by state over time: one row per time step (t_h, affected, evacuated, sheltered, ...)."""
    ts = run.result.time_series
    keys = list(ts)
    n = len(ts.get("t_h", []))
    return Table({k: ts[k][i] for k in keys if len(ts[k]) == n} for i in range(n))


def teams(run: ScenarioRun) -> Table:
    """One row per team: type, base, jobs, utilisation."""
    return Table(json_safe(run.result.teams))


def _items(specs: Sequence[Scenario], plans: Iterable[str | Path]) -> list[tuple[Scenario, str | Path]]:
    """Every (scenario, plan) pair, scenarios first."""
    plans = list(plans)
    if not plans:
        raise InputError("plans: name at least one plan (existing, optimized or a plan JSON file)")
    return [(s, p) for s in specs for p in plans]


def compare(scenarios: Sequence[Scenario | str | Path], *, plans: Iterable[str | Path] = ("existing",),
            seed: int | None = None, progress: Progress | None = None) -> list[ScenarioRun]:
    """Run every scenario with every plan (in that order) and return the runs.

    The built-in district is loaded once and shared by the runs that use it.
    """
    loaded = [s if isinstance(s, Scenario) else load_scenario(s) for s in scenarios]
    pairs = _items(loaded, plans)
    if len(pairs) < 2:
        raise InputError("compare: needs at least two runs (two scenarios, or one with two plans)")
    cache: dict[str, District | RoadNetwork] = {}
    runs = []
    for sc, plan in pairs:
        district = None
        if sc.network.is_district:
            key = sc.network.source if sc.network.source == "builtin" else str(sc.resolve(sc.network.source))
            if key not in cache:
                cache[key] = load_scenario_network(sc)  # a district model, or a manifest's network
            district = cache[key]
        runs.append(run_scenario(sc, plan=plan, seed=seed, district=district, progress=progress))
    return runs


def comparison(runs: Sequence[ScenarioRun]) -> Table:
    """Indicators side by side: one row per indicator and run label, with the difference from the first run."""
    labels = run_labels(list(runs))
    rows = Table()
    for row in compare_table(list(runs)):
        for lab in labels:
            rows.append({"indicator": row["indicator"], "zh": row["zh"], "en": row["en"], "unit": row["unit"],
                         "run": lab, "target": row["targets"].get(lab, row["target"]), "value": row["values"][lab],
                         "diff_vs_first": row["diff"].get(lab) if lab != labels[0] else (
                             None if row["values"][lab] is None else 0.0),
                         "pass": row["pass"][lab]})
    return rows
