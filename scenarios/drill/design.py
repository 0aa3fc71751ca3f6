"""The drill designer: a Master Scenario Events List (MSEL) derived from a simulated scenario.

Every inject is grounded: it fires at the simulated time of the thing it reports (the gauge
passing its warning stage, a road closing, the plume reaching a school, a shelter filling, a
rescue call, stock running low), names places, teams and facilities that exist in the district
and plan, and says which of the plan's drill types (抗洪抢险, 森林防灭火, 事故处置, 应急通信保障)
it tests. Difficulty adds twists drawn from a seeded generator; twists that change the physics
(a team unavailable, a road closing early, a second ignition, a wind shift) re-run the
simulation so that later injects follow from them.

``design_drill(run, ...)`` takes a :class:`~scenarios.core.runner.ScenarioRun` on a district
model; ``load_run(name_or_path, seed=)`` makes one. The injects come from
:mod:`.hazard_injects` (per hazard kind), :mod:`.twists`, :mod:`.road_injects` and
:mod:`.event_injects`; this module sets the exercise window, numbers the injects and cuts the
phases.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from network.district import District
from network.errors import InputError
from network.hazard import Hazard, HazardModelWarning
from network.jsonsafe import json_safe
from network.plan import Plan
from scenarios.core.inputs import build_hazards
from scenarios.core.runner import ScenarioRun, run_scenario
from scenarios.core.spec import load_scenario
from sim.params import SimParams
from sim.result import RunResult

from .catalogue import (
    entity_catalogue,
    fmt_t,
    hazard_kinds,
    recipient_catalogue,
    road_edges,
    scenario_objectives,
)
from .context import DrillContext, inject_row
from .event_injects import add_event_injects
from .hazard_injects import add_hazard_injects, add_met_bulletin, first_moment
from .road_injects import add_road_injects
from .twists import DIFFICULTIES, Twist, add_twist_injects, draw_twists, play_twists


@dataclass(frozen=True)
class Inject:
    """One timed inject. Times are seconds after the start of the exercise."""

    id: str
    t_s: float
    phase: str
    kind: str
    inject_zh: str
    inject_en: str
    source: str
    delivery: str
    recipient: str
    action_zh: str
    action_en: str
    target_s: float
    target_basis_zh: str
    target_basis_en: str
    objective: str
    entities: tuple[str, ...] = ()
    basis: str = ""          # what grounds it: "event:<index>", "hazard:<what>", "twist:<kind>", "scenario"
    sim_t_s: float = math.nan  # the simulated time it reports (exercise start + t_s)
    benchmark_zh: str = ""   # what the simulated response achieved, for evaluators
    benchmark_en: str = ""
    twist: str = ""

    def text(self, what: str, lang: str) -> str:
        """The ``what`` text ("inject", "action", "target_basis", "benchmark") in ``lang``."""
        return getattr(self, f"{what}_{lang}")


@dataclass(frozen=True)
class Phase:
    """A phase of the exercise, ``t0_s`` to ``t1_s`` after its start."""

    key: str
    zh: str
    en: str
    t0_s: float
    t1_s: float


@dataclass
class Msel:
    """The exercise script and what it was made from."""

    scenario: str
    title_zh: str
    title_en: str
    kind: str
    difficulty: str
    seed: int
    start_s: float               # simulation time of T+00:00
    duration_s: float
    objectives: list[str]
    phases: list[Phase]
    injects: list[Inject]
    twists: list[Twist]
    participants: list[str]
    kpis: dict[str, Any] = field(default_factory=dict)
    source: str = ""             # where the scenario came from (a file, or the built-in library)

    def to_dict(self) -> dict[str, Any]:
        """The MSEL as JSON-safe data, each inject with its ``T+HH:MM`` times."""
        d = asdict(self)
        for inj in d["injects"]:
            inj["time"] = fmt_t(inj["t_s"])
            inj["target_time"] = fmt_t(inj["target_s"])
        return json_safe(d)


@dataclass
class Drill:
    """An MSEL with the run it came from (for maps and evaluation): the scenario's plan, the
    hazards and result of the run the injects report on, and the scenario's own result."""

    msel: Msel
    district: District
    plan: Plan
    hazards: list[Hazard]
    result: RunResult
    base_result: RunResult
    run: ScenarioRun | None = None    # the scenario's run (its report, and the handbook's map, start from it)


def load_run(name_or_path: str, *, seed: int | None = None) -> ScenarioRun:
    """Run a scenario with the scenarios runner.

    Parameters
    ----------
    name_or_path
        A built-in scenario name (``yingji scenarios list``) or a scenario TOML file.
    seed
        The simulation's seed; None keeps the scenario's own.

    Returns
    -------
    ScenarioRun

    Raises
    ------
    InputError
        The scenario does not exist or does not validate.
    """
    return run_scenario(load_scenario(name_or_path), seed=seed)


def design_drill(run: ScenarioRun, *, difficulty: str = "normal", seed: int = 0, duration_h: float | None = None,
                 participants: Sequence[str] | None = None, scenario_name: str | None = None) -> Drill:
    """Derive the MSEL from a scenario run (see the module notes).

    Parameters
    ----------
    run
        A run of the scenario on a district model (:func:`load_run`).
    difficulty
        "easy", "normal" or "hard": how many twists are drawn (:data:`~.twists.TWIST_COUNT`).
    seed
        Seed of the twists; the same run, difficulty and seed give the same MSEL.
    duration_h
        Length of the exercise window; None: from the start of the exercise to the end of the run.
    participants
        Recipients to keep (role keys, township ids or their names); None keeps every one.
        Objectives left without an inject are then not exercised.
    scenario_name
        The name the MSEL carries; None: the scenario's.

    Returns
    -------
    Drill
        The MSEL with the district, the scenario's plan, and the hazards and result of the run
        its injects report on (re-run when a twist changed the physics).

    Raises
    ------
    InputError
        An unknown difficulty or participant, a negative seed, a duration that is not a
        positive number of hours, or a run on a bare road network (drills name townships,
        facilities and shelters).
    """
    with warnings.catch_warnings():
        # the runner already reports the models' range notes for this scenario
        warnings.simplefilter("ignore", HazardModelWarning)
        return _design(run, difficulty, seed, duration_h, participants, scenario_name)


def _design(run: ScenarioRun, difficulty: str, seed: int, duration_h: float | None,
            participants: Sequence[str] | None, scenario_name: str | None) -> Drill:
    """Check the options, set the window, draw and play the twists, gather and number the injects."""
    _check_options(difficulty, seed, duration_h)
    district = _district_of(run)
    wanted = _participants(participants, recipient_catalogue(district))
    name = scenario_name or run.scenario.name
    ctx = _base_context(run, district)
    first = first_moment(ctx)
    _set_window(ctx, first, duration_h)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), DIFFICULTIES.index(difficulty)]))
    twists = draw_twists(ctx, difficulty, rng, first)
    ctx, twists = play_twists(ctx, twists, _hazard_builder(run))
    _gather(ctx, twists)
    phases, injects = _script(ctx, wanted, _title(run, name, "zh"), _title(run, name, "en"))
    # a participant filter can leave an objective without players: it is then not exercised
    objectives = [o for o in scenario_objectives(ctx.kinds)
                  if any(i.objective == o and i.kind != "endex" for i in injects)]
    msel = Msel(name, _title(run, name, "zh"), _title(run, name, "en"), "+".join(ctx.kinds), difficulty, int(seed),
                ctx.start_s, ctx.end_s - ctx.start_s, objectives, phases, injects,
                sorted(twists, key=lambda t: t.t_s),   # a controller reads them in the order they happen
                sorted(wanted) if wanted else [], _kpis(ctx.result), run.scenario.source)
    return Drill(msel, district, run.plan, ctx.hazards, ctx.result, run.result, run)


def _check_options(difficulty: str, seed: int, duration_h: float | None) -> None:
    """InputError on an unknown difficulty, a negative or non-integer seed, a bad duration."""
    if difficulty not in DIFFICULTIES:
        raise InputError(f"--difficulty: expected one of {list(DIFFICULTIES)}, found {difficulty!r}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"--seed: expected a non-negative integer, found {seed!r}")
    if duration_h is not None and not (isinstance(duration_h, (int, float)) and math.isfinite(duration_h) and duration_h > 0):
        raise InputError(f"--duration: expected a positive number of hours, found {duration_h!r}")


def _district_of(run: ScenarioRun) -> District:
    """The run's district model (InputError on a bare road network)."""
    if not isinstance(run.district, District):
        raise InputError("drill: the scenario runs on a bare road network; drills need a district model "
                         "(townships, facilities, shelters to name in injects): use the built-in district, a district .toml or a manifest of real data")
    return run.district


def _base_context(run: ScenarioRun, district: District) -> DrillContext:
    """The context of the scenario's own run; entities are named against the scenario's plan."""
    hazards = list(run.hazards)
    names = {**entity_catalogue(district, run.plan), **recipient_catalogue(district)}
    return DrillContext(district, run.plan, hazards, run.result, SimParams.from_dict(run.result.params),
                        hazard_kinds(hazards), names, road_edges(district))


def _set_window(ctx: DrillContext, first: float, duration_h: float | None) -> None:
    """The exercise window: from 30 min before the first moment (on the quarter hour) to the end
    of the run or ``duration_h`` later."""
    ctx.start_s = max(0.0, math.floor((first - 1800.0) / 900.0) * 900.0)
    ctx.end_s = min(ctx.run_end_s, ctx.start_s + duration_h * 3600.0) if duration_h else ctx.run_end_s


def _gather(ctx: DrillContext, twists: Sequence[Twist]) -> None:
    """Every grounded inject; the road injects skip roads a twist already closed, so they come after
    the twists."""
    add_hazard_injects(ctx, ctx.hazards)
    add_twist_injects(ctx, twists)
    add_road_injects(ctx)
    add_event_injects(ctx)
    add_met_bulletin(ctx, ctx.hazards)


def _script(ctx: DrillContext, wanted: set[str] | None, title_zh: str, title_en: str) -> tuple[list[Phase], list[Inject]]:
    """The phases, and the injects inside the window for the wanted recipients between STARTEX
    and ENDEX, in time order and numbered."""
    items = [x for x in ctx.items if ctx.start_s <= x["t"] <= ctx.end_s]
    items.sort(key=lambda x: (x["t"], x["kind"]))
    impact = next((x["t"] for x in items if x["kind"] == "first_impact"), None)
    phases = _phases(0.0, ctx.end_s - ctx.start_s, None if impact is None else impact - ctx.start_s)
    rows = ([_startex(ctx, title_zh, title_en)] + [x for x in items if wanted is None or x["recipient"] in wanted]
            + [_endex(ctx)])
    return phases, [_numbered(n, x, ctx.start_s, phases) for n, x in enumerate(rows, 1)]


def _startex(ctx: DrillContext, title_zh: str, title_en: str) -> dict[str, Any]:
    """The opening briefing."""
    return inject_row(ctx.start_s, "startex", f"演练开始：{title_zh}。导调组通报初始态势。",
                      f"STARTEX: {title_en}. Exercise control gives the initial situation.", "controller", "briefing",
                      "all", "各参演单位报到，确认通信畅通，进入值守状态。",
                      "All players check in, test communications, take up their posts.", ctx.start_s + 900.0,
                      "15 分钟内完成报到", "all checked in within 15 min", "emergency_comms", (), "scenario")


def _endex(ctx: DrillContext) -> dict[str, Any]:
    """The closing briefing."""
    return inject_row(ctx.end_s, "endex", "演练结束（ENDEX）。各单位停止处置，提交记录。",
                      "ENDEX. Players stop, hand in their logs.", "controller", "briefing", "all",
                      "汇总处置记录，参加热反馈（hot wash）。", "Collect logs; join the hot wash.", ctx.end_s, "—", "—",
                      "emergency_comms", (), "scenario")


def _numbered(n: int, x: dict[str, Any], start_s: float, phases: list[Phase]) -> Inject:
    """Inject number ``n`` from a gathered row, in exercise time, in the phase it falls in."""
    rel = x["t"] - start_s
    ph = next((p.key for p in phases if p.t0_s <= rel < p.t1_s), phases[-1].key)
    return Inject(f"I{n:03d}", rel, ph, x["kind"], x["inject_zh"], x["inject_en"], x["source"], x["delivery"],
                  x["recipient"], x["action_zh"], x["action_en"], max(x["target"] - start_s, rel),
                  x["target_basis_zh"], x["target_basis_en"], x["objective"], tuple(x["entities"]), x["basis"],
                  x["t"], x["benchmark_zh"], x["benchmark_en"], x["twist"])


def _phases(start: float, end: float, first_impact: float | None) -> list[Phase]:
    """Warning until the first impact (or the first third), then response and relief halves."""
    a = first_impact if first_impact is not None and start < first_impact < end else start + (end - start) / 3.0
    b = a + (end - a) / 2.0
    return [Phase("warning", "预警与响应启动", "warning and activation", start, a),
            Phase("response", "抢险救援", "rescue and response", a, b),
            Phase("relief", "安置与救助", "shelter and relief", b, end)]


def _kpis(result: RunResult) -> dict[str, Any]:
    """The run's indicators the handbook shows as the simulation benchmark."""
    return {"warning_coverage": result.kpis.get("warning_coverage"),
            "relief_p95_h": result.kpis["relief_time"]["p95_h"],
            "share_within_target": result.kpis["relief_time"]["share_within_target"],
            "affected_people": result.kpis["relief_time"]["affected_people"],
            "forest_fire_damage_permille": result.kpis.get("forest_fire_damage_permille"),
            "exposure_people": result.kpis.get("exposure_people")}


def _title(run: ScenarioRun, name: str, lang: str) -> str:
    """The exercise's title in ``lang``."""
    t = (run.title_zh if lang == "zh" else run.title_en) or name
    return f"{t} 应急演练" if lang == "zh" else f"{t}: emergency exercise"


def _participants(participants: Sequence[str] | None, recipients: dict[str, tuple[str, str]]) -> set[str] | None:
    """Recipient keys of the participants (by key, name or township id) plus "all"; None: everyone."""
    if not participants:
        return None
    by_label = {}
    for k, (zh, en) in recipients.items():
        by_label[k] = k
        by_label[zh] = k
        by_label[en.lower()] = k
        if k.startswith("township:"):
            by_label[k.split(":", 1)[1]] = k
    out = set()
    for p in participants:
        key = by_label.get(p.strip()) or by_label.get(p.strip().lower())
        if key is None:
            raise InputError(f"--participants: unknown participant {p!r}; known: {sorted(k for k in recipients)}")
        out.add(key)
    out.add("all")
    return out


def _hazard_builder(run: ScenarioRun) -> Callable[[], list[Hazard]]:
    """Fresh hazard objects for a re-run (fire models keep state, so they are rebuilt)."""
    return lambda: build_hazards(run.scenario, run.district)
