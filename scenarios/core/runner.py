"""Run a scenario: network → hazards → plan → simulation → indicators against the scenario's targets.

:func:`run_scenario` is what ``yingji run``, ``yingji compare``, the Python API, batch runs and
drills call. Errors about the scenario name its file, line and field.
"""
from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from network.district import District, load_district
from network.elevation import add_elevation
from network.errors import InputError
from network.hazard import Hazard, HazardModelWarning
from network.load import load_network
from network.model import RoadNetwork
from network.plan import Plan, Shelter, Team
from network.raster import read_asc
from optimize.district_plan import optimize_district_plan
from optimize.relief_rounds import relief_rounds
from sim.api import run as sim_run
from sim.hazards import HAZARD_TYPES, BuildContext
from sim.params import SimParams
from sim.result import INDICATORS, RunResult

from .spec import PlanSpec, Scenario, Targets, load_scenario

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

    @property
    def label(self) -> str:
        """``name`` with the plan, as compare tables name a run."""
        return f"{self.name} [{self.plan_label}]"


# ---------------------------------------------------------------------------------- network
def load_scenario_network(scenario: Scenario) -> District | RoadNetwork:
    """The scenario's District (built-in or district .toml), or a RoadNetwork for OSM/GraphML (+ DEM)."""
    src = scenario.network.source
    if src == "builtin":
        return load_district()
    path = scenario.resolve(src)
    if not path.exists():
        raise InputError(f"{scenario.where('network.source')}: file not found: {path}")
    if src.lower().endswith(".toml"):
        return load_district(path)
    net = load_network(path)
    if scenario.network.dem is not None:
        dem_path = scenario.resolve(scenario.network.dem)
        if not dem_path.exists():
            raise InputError(f"{scenario.where('network.dem')}: file not found: {dem_path}")
        dem = read_asc(dem_path, crs=scenario.network.dem_crs or net.crs)
        net = add_elevation(net, dem, source=str(dem_path))
    return net


# ---------------------------------------------------------------------------------- hazards
def build_hazards_with_notes(scenario: Scenario, district: District | RoadNetwork, *,
                             seed: int | None = None) -> tuple[list[Hazard], list[str]]:
    """Hazard objects and notes (model warnings, releases that did not happen) for ``district``.

    Every ``[hazards.<kind>]`` section of the scenario is built by its registered type
    (:data:`sim.hazards.HAZARD_TYPES`), in the registry's order.
    """
    ctx = BuildContext(district, scenario.simulation.seed if seed is None else seed,
                       scenario.simulation.duration_h * 3600.0, scenario.where, scenario.resolve)
    for t in HAZARD_TYPES:
        if t.needs_terrain and getattr(scenario.hazards, t.kind) is not None and not ctx.has_terrain:
            raise ctx.fail(t.field, f"the {t.kind} model needs a district model's terrain "
                           "(river, dikes, land cover): use network.source = 'builtin' or a district .toml; on an "
                           "OSM/GraphML network only [hazards.chemical] with location = [lon, lat] is available")
    hazards = []
    for t in HAZARD_TYPES:
        section = getattr(scenario.hazards, t.kind)
        if section is None:
            continue
        h = t.build(section, ctx)
        if h is not None:
            ctx.built[t.kind] = h
            hazards.append(h)
    return hazards, ctx.notes


def build_hazards(scenario: Scenario, district: District | RoadNetwork, *, seed: int | None = None) -> list[Hazard]:
    """Hazard objects of ``scenario`` on ``district`` (see :func:`build_hazards_with_notes`)."""
    return build_hazards_with_notes(scenario, district, seed=seed)[0]


# ---------------------------------------------------------------------------------- plan
def _apply_resources(plan: Plan, scenario: Scenario, district: District | RoadNetwork) -> Plan:
    """Facilities out of action, extra shelters opened and the share of team members who report."""
    r = scenario.resources
    if not (r.unavailable or r.open_shelters or r.team_share < 1.0):
        return plan
    known = {x.id for x in (*plan.team_bases, *plan.warehouses, *plan.shelters)}
    if isinstance(district, District):
        known |= {f.id for f in district.spec.facilities} | {s.id for s in district.spec.shelters}
    for i, fid in enumerate(r.unavailable):
        if fid not in known:
            raise InputError(f"{scenario.where(f'resources.unavailable.{i}')}: expected a facility or shelter id; "
                             f"found {fid!r}")
    out = set(r.unavailable)
    bases = []
    for b in plan.team_bases:
        if b.id in out:
            continue
        teams = tuple(Team(t.type, max(1, int(round(t.people * r.team_share)))) for t in b.teams)
        bases.append(replace(b, teams=teams))
    shelters = [s for s in plan.shelters if s.id not in out]
    if r.open_shelters:
        if not isinstance(district, District):
            raise InputError(f"{scenario.where('resources.open_shelters')}: needs a district model network")
        sites = {s.id: s for s in district.spec.shelters}
        have = {s.id for s in shelters}
        new_sites = []
        for i, sid in enumerate(r.open_shelters):
            if sid not in sites:
                raise InputError(f"{scenario.where(f'resources.open_shelters.{i}')}: expected a shelter site of the "
                                 f"district ({', '.join(sorted(sites))}); found {sid!r}")
            if sid not in have and sid not in out:
                new_sites.append(sites[sid])
        nodes = district.facility_nodes(new_sites)
        for s, n in zip(new_sites, nodes):
            shelters.append(Shelter(s.id, s.name_zh, s.name_en, int(n), s.location[0], s.location[1],
                                    district.spec.shelter_capacity(s), s.kind, False))
    warehouses = [w for w in plan.warehouses if w.id not in out]
    sids, wids = {s.id for s in shelters}, {w.id for w in warehouses}
    return replace(
        plan, team_bases=tuple(bases), warehouses=tuple(warehouses), shelters=tuple(shelters),
        demand_shelter={n: s for n, s in plan.demand_shelter.items() if s in sids},
        shelter_warehouse={s: w for s, w in plan.shelter_warehouse.items() if s in sids and w in wids},
        meta={**plan.meta, "resources": scenario.resources.model_dump()},
    )


def build_plan(scenario: Scenario, district: District | RoadNetwork,
               choice: str | Path | None = None) -> tuple[Plan, str]:
    """The plan to simulate and its label: ``existing``, ``optimized`` or a plan JSON file.

    ``choice`` None takes the scenario's ``[plan]``; a file path is relative to the working directory.
    """
    p = scenario.plan
    if choice is None:
        choice = p.kind if p.kind != "file" else scenario.resolve(p.file)
        field_ = "plan"
    else:
        field_ = "--plan"
    net = district.network if isinstance(district, District) else district
    if isinstance(choice, str) and choice == "existing":
        if not isinstance(district, District):
            raise InputError(f"{scenario.where('network.source')}: the existing plan comes from a district model; "
                             "on an OSM/GraphML network give a plan file (--plan FILE)")
        return _apply_resources(Plan.existing(district), scenario, district), "existing"
    if isinstance(choice, str) and choice in ("optimized", "optimised"):
        if not isinstance(district, District):
            raise InputError(f"{field_}: 'optimized' places facilities on a district model's candidate sites; "
                             "on an OSM/GraphML network use 'existing' or a plan file")
        # fresh hazard objects: a fire automaton queried by the optimiser would otherwise keep a
        # history without the suppression the simulation applies later
        hazards = build_hazards(scenario, district)
        try:
            plan, _report = optimize_district_plan(
                district, teams=p.teams, shelters=p.shelters, warehouses=p.warehouses, objective=p.objective,
                hazards_sets=[hazards], hazard_labels=[scenario.name], time_limit_s=p.time_limit_s)
        except InputError as exc:
            # the optimiser names its own argument (objective, teams, ...): point at that key
            head, _, rest = str(exc).partition(":")
            key = head.split("[")[0].strip()
            if key in PlanSpec.model_fields and rest:
                raise InputError(f"{scenario.where(f'plan.{key}')}:{rest}") from None
            raise InputError(f"{scenario.where('plan')}: {exc}") from None
        return _apply_resources(plan, scenario, district), "optimized"
    path = Path(choice)
    if not path.exists():
        where = scenario.where("plan.file") if field_ == "plan" else "--plan"
        raise InputError(f"{where}: plan file not found: {path} (or use 'existing' / 'optimized')")
    plan = Plan.from_json(path)
    plan.check_against(net, source=str(path))
    return _apply_resources(plan, scenario, district), path.name


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
        "exposure_people": (k["exposure_people"], targets.exposure_people, "<="),
    }
    rows = []
    for key, zh, en, unit, _default, _op in INDICATORS:
        v, target, op = values[key]
        zh, en = zh.replace("10 h", f"{h:g} h"), en.replace("10 h", f"{h:g} h")
        note = ""
        if v is None or (isinstance(v, float) and math.isnan(v)):
            v, ok = None, None
            note = "not applicable in this run"
        else:
            v = float(v)
            ok = bool(v >= target) if op == ">=" else bool(v <= target)
            if math.isinf(v):  # JSON has no inf
                v, note = None, "not reached: some affected people were never relieved in the run"
        rows.append({"indicator": key, "zh": zh, "en": en, "unit": unit, "value": v, "target": f"{op} {target:g}",
                     "target_value": float(target), "op": op, "pass": ok, "note": note})
    return rows


# ---------------------------------------------------------------------------------- run
def sim_params(scenario: Scenario) -> SimParams:
    """SimParams of a scenario: its [simulation] section plus the relief target."""
    s = scenario.simulation
    try:
        return SimParams.from_dict({**s.params, "duration_h": s.duration_h, "hazard_step_s": s.step_s,
                                    "seed": s.seed, "relief_target_h": scenario.targets.relief_within_h})
    except InputError as exc:
        raise InputError(f"{scenario.where('simulation')}: {exc}") from None


def run_scenario(scenario: Scenario | str | Path, *, plan: str | Path | None = None, seed: int | None = None,
                 district: Any = None, progress: Progress | None = None) -> ScenarioRun:
    """Run a scenario (object, built-in name or TOML path) with a plan and return a :class:`ScenarioRun`.

    ``plan``: "existing", "optimized" or a plan JSON path; None takes the scenario's ``[plan]``.
    ``seed`` overrides ``simulation.seed`` (the fire automaton and the response simulation).
    ``district`` reuses an already loaded network source (it must be the scenario's).
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
    result.meta.update({"scenario": sc.name, "scenario_source": sc.source, "plan_label": label})
    rows = kpi_rows(result, sc.targets)
    say("done", "完成 / done")
    return ScenarioRun(sc.name, sc.title_zh, sc.title_en, label, sc, district, hazards, the_plan, result, rows,
                       time.perf_counter() - t0, notes)
