"""Run a scenario: network → hazards → plan → simulation → indicators against the scenario's targets.

:func:`run_scenario` is what ``yingji run``, ``yingji compare``, the Python API, batch runs and
drills call. Errors about the scenario name its file, line and field.
"""
from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from network.district import District
from network.errors import InputError
from network.hazard import Hazard, HazardModelWarning
from network.model import RoadNetwork
from network.plan import Plan
from network.relief_standard import load_relief_standard
from optimize.relief_rounds import relief_rounds
from sim.api import run as sim_run
from sim.params import DEFAULT_ITEM_KG, SimParams
from sim.result import INDICATORS, RunResult, death_note, passes

from .inputs import build_hazards_with_notes, load_scenario_network
from .plans import build_plan, plan_cost
from .spec import Scenario, Targets, load_scenario
from .verdict import with_targets

#: ``progress(stage, message)``: stage is one of network, hazards, plan, simulate, done
Progress = Callable[[str, str], None]


@dataclass
class ScenarioRun:
    """One run of a scenario with one plan: everything reports and tables are made from."""

    name: str              # scenario name (untrusted text from the TOML: always escape in HTML)
    title_zh: str
    title_en: str
    plan_label: str        # "existing", "optimized" or the plan file name
    scenario: Any          # the validated Scenario
    district: District | RoadNetwork   # a RoadNetwork for OSM/GraphML networks
    hazards: list[Hazard]
    plan: Plan
    result: RunResult
    kpis: list[dict]       # indicator rows with the scenario's targets (see kpi_rows)
    seconds: float
    notes: list[str] = field(default_factory=list)   # model warnings and what was left out of this run

    @property
    def network(self) -> RoadNetwork:
        """The road network the run used."""
        return self.district.network if isinstance(self.district, District) else self.district

    @cached_property
    def plan_cost(self) -> dict[str, Any] | None:
        """What the run's plan adds to today's and what that costs (:func:`.plans.plan_cost`),
        worked out once, when first asked for."""
        return plan_cost(self.plan, self.district)

    @property
    def label(self) -> str:
        """``name`` with the plan, as compare tables name a run."""
        return f"{self.name} [{self.plan_label}]"

    def to_frame(self, layer: str = "groups") -> Any:
        """One of the run's tables as a pandas DataFrame: ``groups``, ``events``, ``facilities``,
        ``teams`` or ``hazard`` (:mod:`scenarios.core.frames`)."""
        from .frames import to_frame

        return to_frame(self, layer)

    def to_geodataframe(self, layer: str = "groups") -> Any:
        """One of the run's placed tables as a GeoDataFrame in EPSG:4326: ``groups``, ``events``,
        ``facilities`` or ``hazard`` (:mod:`scenarios.core.frames`)."""
        from .frames import to_geodataframe

        return to_geodataframe(self, layer)

    def plot(self, what: str = "map", *, lang: str = "zh") -> Any:
        """One of the report's figures as a matplotlib Figure (shown inline in a notebook):
        ``map``, ``relief_time``, ``timeline`` or ``gantt``."""
        from scenarios.reports.figures import plot_run

        return plot_run(self, what, lang=lang)


# ---------------------------------------------------------------------------------- indicators
def kpi_rows(result: RunResult, targets: Targets) -> list[dict[str, Any]]:
    """The plan's indicators with the scenario's targets and pass/fail (value None: not applicable).

    Rows carry the same keys as ``sim.result.indicator_table`` plus ``target_value`` and ``op``.
    """
    k = result.kpis
    h = targets.relief_within_h
    values = {
        "relief_within_target": (k["relief_time"]["share_within_target"], targets.relief_share, ">="),
        "relief_p95_h": (k["relief_time"]["p95_h"], h, "<="),
        "warning_coverage": (k["warning_coverage"], targets.warning_coverage, ">="),
        "forest_fire_damage_permille": (k["forest_fire_damage_permille"], targets.forest_fire_damage_permille, "<="),
        "flood_deaths_per_million": (k.get("expected_annual_deaths_per_million"),
                                     targets.flood_deaths_per_million, "<"),
    }
    rows = []
    for key, zh, en, unit, _default, _op in INDICATORS:
        v, target, op = values[key]
        zh, en = zh.replace("10 h", f"{h:g} h"), en.replace("10 h", f"{h:g} h")
        note = death_note(k) if key == "flood_deaths_per_million" else ""
        if v is None or (isinstance(v, float) and math.isnan(v)):
            v, ok = None, None
            note = note or not_applicable_why(key, k, result)
        else:
            v = float(v)
            ok = passes(v, target, op)
            if math.isinf(v):  # JSON has no inf
                v, note = None, "not reached: some affected people were never relieved in the run"
        undecided = k["relief_time"].get("undecided_people", 0)
        if key in ("relief_within_target", "relief_p95_h") and undecided:
            note = "; ".join(x for x in (note, f"over the people whose {h:g}-h deadline fell inside the run; "
                                         f"{undecided:,} affected later are not judged (lengthen duration_h)") if x)
        rows.append({"indicator": key, "zh": zh, "en": en, "unit": unit, "value": v, "target": f"{op} {target:g}",
                     "target_value": float(target), "op": op, "pass": ok, "note": note})
    return rows


def not_applicable_why(key: str, k: dict[str, Any], result: RunResult) -> str:
    """Why an indicator has nothing to measure in this run (never a silent pass)."""
    if key == "forest_fire_damage_permille":
        return "not applicable: no forest fire in this run"
    staying = k.get("sheltered_in_place_people", 0)
    if k["relief_time"]["affected_people"] == 0 and staying and key != "warning_coverage":
        return f"not applicable: nobody was displaced ({staying:,} affected people sheltered in place as told)"
    if k["relief_time"]["affected_people"] == 0 and not staying:
        people = float(result.meta.get("network_population", math.nan))
        if people == 0:
            return "not applicable: the network carries no population, so nobody can be affected"
        return "not applicable: the hazard reached nobody in this run"
    undecided = k["relief_time"].get("undecided_people", 0)
    if key in ("relief_within_target", "relief_p95_h") and undecided:
        return (f"not applicable: the deadline of all {undecided:,} affected people falls after the end of the run "
                "(lengthen duration_h)")
    return "not applicable in this run"


# ---------------------------------------------------------------------------------- run
def sim_params(scenario: Scenario) -> SimParams:
    """SimParams of a scenario: its [simulation] section (with its relief standard file, if it
    names one) plus the relief target."""
    s = scenario.simulation
    kit: dict[str, Any] = {}
    if s.relief_standard is not None:
        clash = sorted({"needs_per_person", "needs_in_place"} & set(s.params))
        if clash:
            raise InputError(f"{scenario.where('simulation.relief_standard')}: give either a relief standard file "
                             f"or simulation.params.{clash[0]}, not both")
        std = load_relief_standard(scenario.resolve(s.relief_standard))
        kit = {"needs_per_person": std.kit("shelter"), "needs_in_place": std.kit("in_place"),
               "item_kg": {**DEFAULT_ITEM_KG, **s.params.get("item_kg", {}), **std.item_kg()}}
    try:
        return SimParams.from_dict({**s.params, **kit, "duration_h": s.duration_h, "hazard_step_s": s.step_s,
                                    "seed": s.seed, "relief_target_h": scenario.targets.relief_within_h})
    except InputError as exc:
        raise InputError(f"{scenario.where('simulation')}: {exc}") from None


def run_scenario(scenario: Scenario | str | Path, *, plan: str | Path | None = None, seed: int | None = None,
                 district: District | RoadNetwork | None = None, progress: Progress | None = None) -> ScenarioRun:
    """Run a scenario with a plan: network, hazards, plan, simulation, indicators.

    Parameters
    ----------
    scenario
        A :class:`Scenario`, a built-in name (``flood-100y-breach``) or a TOML file.
    plan
        ``"existing"``, ``"optimized"`` or a plan JSON path; None takes the scenario's ``[plan]``.
    seed
        Overrides ``simulation.seed`` (hazard draws and the response simulation).
    district
        An already loaded network source to reuse (it must be the scenario's own).
    progress
        Called as ``progress(stage, message)`` at each stage.

    Returns
    -------
    ScenarioRun
        The run with its hazards, plan, result, indicator rows and notes.

    Raises
    ------
    InputError
        A bad scenario (file, line and field named), plan or parameter.
    """
    t0 = time.perf_counter()
    say = progress or (lambda stage, msg: None)
    sc = load_scenario(scenario) if not isinstance(scenario, Scenario) else scenario
    if seed is not None:
        sc = sc.with_overrides({"simulation.seed": int(seed)})
    say("network", "路网 / network")
    district = district if district is not None else load_scenario_network(sc)
    say("hazards", "灾害 / hazards")
    hazards, notes = build_hazards_with_notes(sc, district)
    say("plan", "预案 / plan")
    the_plan, label = build_plan(sc, district, plan)
    params = sim_params(sc)
    say("simulate", "模拟 / simulating")
    with warnings.catch_warnings():
        # models record their limit warnings; they are reported once in the notes
        warnings.simplefilter("ignore", HazardModelWarning)
        result = sim_run(district, hazards, the_plan, params, router=relief_rounds)
    for h in hazards:
        notes.extend(w for w in h.model_notes if w not in notes)
    net = district.network if isinstance(district, District) else district
    if isinstance(district, District):
        notes.extend(f"district: {n}" for n in district.notes)
    if not float(net.population.sum()) > 0:
        notes.append("the network carries no population (OSM and GraphML roads have none): nobody can be "
                     "affected, so every people indicator is not applicable — give a population layer in a "
                     "district manifest (yingji district check)")
    result.meta.update({"scenario": sc.name, "scenario_source": sc.source, "plan_label": label,
                        "network_population": float(net.population.sum())})
    rows = kpi_rows(result, sc.targets)
    result.kpis["verdict"] = with_targets(rows, result.kpis)
    say("done", "完成 / done")
    return ScenarioRun(sc.name, sc.title_zh, sc.title_en, label, sc, district, hazards, the_plan, result, rows,
                       time.perf_counter() - t0, notes)
