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

import numpy as np

from network.errors import InputError, YingjiError

from .spec import PlanSpec, Scenario, load_scenario

#: ``progress(stage, message)``: stage is one of network, hazards, plan, simulate, done
Progress = Callable[[str, str], None]

#: hazards that need a district model's terrain, river, dikes and land cover
DISTRICT_ONLY_HAZARDS = ("flood", "fire")


@dataclass
class ScenarioRun:
    """One run of a scenario with one plan: everything reports and tables are made from."""

    name: str              # scenario name (untrusted text from the TOML: always escape in HTML)
    title_zh: str
    title_en: str
    plan_label: str        # "existing", "optimized" or the plan file name
    scenario: Any          # the validated Scenario
    district: Any          # network.district.District (a RoadNetwork for OSM/GraphML networks)
    hazards: list          # hazard objects (sim/hazards)
    plan: Any              # optimize.plan.Plan
    result: Any            # sim.result.RunResult
    kpis: list[dict]       # indicator rows with the scenario's targets (see kpi_rows)
    seconds: float
    notes: list[str] = field(default_factory=list)   # model warnings and what was left out of this run

    @property
    def network(self):
        """The road network the run used."""
        return getattr(self.district, "network", self.district)

    @property
    def label(self) -> str:
        """``name`` with the plan, as compare tables name a run."""
        return f"{self.name} [{self.plan_label}]"


# ---------------------------------------------------------------------------------- network
def _is_district(obj: Any) -> bool:
    return hasattr(obj, "spec") and hasattr(obj, "terrain") and hasattr(obj, "network")


def load_scenario_network(scenario: Scenario):
    """The scenario's District (built-in or district .toml), or a RoadNetwork for OSM/GraphML (+ DEM)."""
    from network.district import load_district

    src = scenario.network.source
    if src == "builtin":
        return load_district()
    path = scenario.resolve(src)
    if not path.exists():
        raise InputError(f"{scenario.where('network.source')}: file not found: {path}")
    if src.lower().endswith(".toml"):
        return load_district(path)
    from network.load import load_network

    net = load_network(path)
    if scenario.network.dem is not None:
        from network.elevation import add_elevation
        from network.raster import read_asc

        dem_path = scenario.resolve(scenario.network.dem)
        if not dem_path.exists():
            raise InputError(f"{scenario.where('network.dem')}: file not found: {dem_path}")
        dem = read_asc(dem_path, crs=scenario.network.dem_crs or net.crs)
        net = add_elevation(net, dem, source=str(dem_path))
    return net


# ---------------------------------------------------------------------------------- hazards
def _lonlat_of_xy(district, xy: tuple[float, float]) -> tuple[float, float]:
    from network.projection import to_lonlat

    lon, lat = to_lonlat(np.array([xy[0]]), np.array([xy[1]]), district.spec.district.crs)
    return float(lon[0]), float(lat[0])


def _wrap(scenario: Scenario, field_: str, exc: YingjiError) -> InputError:
    return InputError(f"{scenario.where(field_)}: {exc}")


def _flood(scenario: Scenario, district):
    from sim.hazards.district import river_flood

    f = scenario.hazards.flood
    dikes = {d.id for d in district.spec.dikes}
    breaches = []
    for i, b in enumerate(f.breaches):
        if b.dike not in dikes:
            raise InputError(f"{scenario.where(f'hazards.flood.breaches.{i}.dike')}: expected a dike of the "
                             f"district ({', '.join(sorted(dikes)) or 'none'}); found {b.dike!r}")
        breaches.append({"dike": b.dike, "time_h": b.time_h, "width_m": b.width_m, **({"at": list(b.at)} if b.at else {})})
    hydrograph = None
    if f.hydrograph is not None:
        hydrograph = scenario.resolve(f.hydrograph)
        if not hydrograph.exists():
            raise InputError(f"{scenario.where('hazards.flood.hydrograph')}: file not found: {hydrograph}")
    try:
        return river_flood(
            district, return_period_years=f.return_period_years or 50.0, hydrograph=hydrograph, breaches=breaches,
            surface_slope_m_per_km=f.surface_slope_m_per_km, affected_depth_m=f.affected_depth_m,
            lethal_depth_m=f.lethal_depth_m, warning_lead_s=f.warning_lead_h * 3600.0,
        )
    except YingjiError as exc:
        raise _wrap(scenario, "hazards.flood", exc) from None


def _fire(scenario: Scenario, district, seed: int):
    from sim.hazards.district import default_ignition, forest_fire

    f = scenario.hazards.fire
    spec = district.spec
    sites = {x.id: x for x in spec.facilities}
    forests = {x.id: x for x in spec.forests if x.id}
    ignitions = []
    for i, ig in enumerate(f.ignitions):
        t_s = ig.time_h * 3600.0
        if ig.at is not None:
            ignitions.append((ig.at[0], ig.at[1], t_s))
            continue
        if ig.site is not None:
            if ig.site not in sites:
                raise InputError(f"{scenario.where(f'hazards.fire.ignitions.{i}.site')}: expected a facility id of "
                                 f"the district; found {ig.site!r}")
            near = sites[ig.site].location
        else:
            if ig.forest not in forests:
                raise InputError(f"{scenario.where(f'hazards.fire.ignitions.{i}.forest')}: expected a forest id "
                                 f"({', '.join(sorted(forests))}); found {ig.forest!r}")
            near = tuple(np.asarray(forests[ig.forest].polygon).mean(axis=0))
        try:
            xy = default_ignition(district, near=near)
        except YingjiError as exc:
            raise _wrap(scenario, f"hazards.fire.ignitions.{i}", exc) from None
        ignitions.append((*_lonlat_of_xy(district, xy), t_s))
    try:
        return forest_fire(
            district, ignitions=ignitions or None, wind_speed_m_s=f.wind_speed_m_s, wind_from_deg=f.wind_from_deg,
            seed=seed, spread_rate_m_min=f.spread_rate_m_min, evacuation_m=f.evacuation_m, lethal=f.lethal,
        )
    except YingjiError as exc:
        raise _wrap(scenario, "hazards.fire", exc) from None


def _chemical(scenario: Scenario, district, flood, notes: list[str]):
    from network.projection import to_projected
    from sim.hazards.chemical import ChemicalModelWarning, ChemicalRelease

    c = scenario.hazards.chemical
    net = getattr(district, "network", district)
    substance = c.substance
    if c.site is not None:
        if not _is_district(district):
            raise InputError(f"{scenario.where('hazards.chemical.site')}: a facility id needs a district model "
                             "network; on an OSM/GraphML network give location = [lon, lat]")
        sites = {f.id: f for f in district.spec.facilities if f.kind in ("hazmat_site", "fireworks_site")}
        if c.site not in sites:
            raise InputError(f"{scenario.where('hazards.chemical.site')}: expected a chemical or fireworks site "
                             f"({', '.join(sorted(sites))}); found {c.site!r}")
        fac = sites[c.site]
        lonlat, label = fac.location, f"{fac.name_zh} / {fac.name_en}"
        if substance is None:
            if not fac.substances:
                raise InputError(f"{scenario.where('hazards.chemical')}: site {c.site!r} stores no listed "
                                 "substance; give substance")
            substance = fac.substances[0]
        field_ = "hazards.chemical.site"
    else:
        lonlat, label, field_ = c.location, f"[{c.location[0]}, {c.location[1]}]", "hazards.chemical.location"
        lo = (float(net.lon.min()), float(net.lat.min()), float(net.lon.max()), float(net.lat.max()))
        if not (lo[0] <= lonlat[0] <= lo[2] and lo[1] <= lonlat[1] <= lo[3]):
            raise InputError(f"{scenario.where(field_)}: expected a place on the network's map (lon {lo[0]:.4f}.."
                             f"{lo[2]:.4f}, lat {lo[1]:.4f}..{lo[3]:.4f}); found {label}, off the map")
    x, y = to_projected(np.array([lonlat[0]]), np.array([lonlat[1]]), net.crs)
    start_s = c.start_h * 3600.0
    if c.start_when_flooded_m is not None:
        if flood is None:
            raise InputError(f"{scenario.where('hazards.chemical.start_when_flooded_m')}: needs [hazards.flood] "
                             "in the same scenario")
        from network.snap import snap_points

        node = int(snap_points(net, x, y).node[0])
        start_s = float(flood.first_flood_time_s(c.start_when_flooded_m)[node])
        if not math.isfinite(start_s) or start_s > scenario.simulation.duration_h * 3600.0:
            notes.append(f"hazards.chemical: the flood never reaches {c.start_when_flooded_m:g} m at {label} within "
                         f"{scenario.simulation.duration_h:g} h: no release in this run")
            return None
        notes.append(f"hazards.chemical: the flood reaches {c.start_when_flooded_m:g} m at {label} at "
                     f"T+{start_s / 3600.0:.1f} h; the release starts then")
    release = (dict(rate_g_s=c.rate_kg_s * 1000.0, duration_s=c.duration_min * 60.0) if c.rate_kg_s is not None
               else dict(mass_kg=c.mass_kg, duration_s=None if c.duration_min is None else c.duration_min * 60.0))
    night = c.time_of_day == "night"
    try:
        with warnings.catch_warnings():
            # the model records its limit warnings in .warnings; they go into the run's notes
            warnings.simplefilter("ignore", ChemicalModelWarning)
            chem = ChemicalRelease(
                net, (float(x[0]), float(y[0])), substance, wind=(c.wind_speed_m_s, c.wind_from_deg),
                stability=c.stability, day=not night, cloud_oktas=c.cloud_oktas if night else None,
                start_s=start_s, protective_action=c.protective_action, release_height_m=c.release_height_m,
                name=label, **release,
            )
    except YingjiError as exc:
        raise _wrap(scenario, field_, exc) from None
    notes.extend(chem.warnings)
    return chem


def build_hazards_with_notes(scenario: Scenario, district, *, seed: int | None = None) -> tuple[list, list[str]]:
    """Hazard objects and notes (model warnings, releases that did not happen) for ``district``."""
    seed = scenario.simulation.seed if seed is None else seed
    h = scenario.hazards
    if not _is_district(district):
        for kind in DISTRICT_ONLY_HAZARDS:
            if getattr(h, kind) is not None:
                raise InputError(
                    f"{scenario.where(f'hazards.{kind}')}: the {kind} model needs a district model's terrain "
                    "(river, dikes, land cover): use network.source = 'builtin' or a district .toml; on an "
                    "OSM/GraphML network only [hazards.chemical] with location = [lon, lat] is available")
    notes: list[str] = []
    hazards = []
    flood = _flood(scenario, district) if h.flood is not None else None
    if flood is not None:
        hazards.append(flood)
    if h.fire is not None:
        hazards.append(_fire(scenario, district, seed))
    if h.chemical is not None:
        chem = _chemical(scenario, district, flood, notes)
        if chem is not None:
            hazards.append(chem)
    if h.road_damage is not None:
        from sim.hazards.road_damage import RoadDamage

        rd = h.road_damage
        net = getattr(district, "network", district)
        # its own stream of the scenario seed, so adding road damage leaves the other draws alone
        hazards.append(RoadDamage(net, rd.closed_share, road_classes=rd.road_classes, start_s=rd.start_h * 3600.0,
                                  seed=np.random.default_rng([seed, 0x0AD])))
    return hazards, notes


def build_hazards(scenario: Scenario, district, *, seed: int | None = None) -> list:
    """Hazard objects of ``scenario`` on ``district`` (see :func:`build_hazards_with_notes`)."""
    return build_hazards_with_notes(scenario, district, seed=seed)[0]


# ---------------------------------------------------------------------------------- plan
def _apply_resources(plan, scenario: Scenario, district):
    """Facilities out of action, extra shelters opened and the share of team members who report."""
    from optimize.plan import Shelter, Team

    r = scenario.resources
    if not (r.unavailable or r.open_shelters or r.team_share < 1.0):
        return plan
    known = {x.id for x in (*plan.team_bases, *plan.warehouses, *plan.shelters)}
    if _is_district(district):
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
        if not _is_district(district):
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


def optimized_plan_available() -> bool:
    """Whether district plan optimisation (``optimize.district_plan``) is installed."""
    import importlib.util

    return importlib.util.find_spec("optimize.district_plan") is not None


def build_plan(scenario: Scenario, district, choice: str | Path | None = None):
    """The plan to simulate and its label: ``existing``, ``optimized`` or a plan JSON file.

    ``choice`` None takes the scenario's ``[plan]``; a file path is relative to the working directory.
    """
    from optimize.plan import Plan

    p = scenario.plan
    if choice is None:
        choice = p.kind if p.kind != "file" else scenario.resolve(p.file)
        field_ = "plan"
    else:
        field_ = "--plan"
    net = getattr(district, "network", district)
    if isinstance(choice, str) and choice == "existing":
        if not _is_district(district):
            raise InputError(f"{scenario.where('network.source')}: the existing plan comes from a district model; "
                             "on an OSM/GraphML network give a plan file (--plan FILE)")
        return _apply_resources(Plan.existing(district), scenario, district), "existing"
    if isinstance(choice, str) and choice in ("optimized", "optimised"):
        if not optimized_plan_available() or not _is_district(district):
            raise InputError(f"{field_}: 'optimized' is not available: district plan optimisation "
                             "(optimize.district_plan) is not part of this build; use 'existing' or a plan file")
        from optimize.district_plan import optimize_district_plan

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
            raise _wrap(scenario, "plan", exc) from None
        return _apply_resources(plan, scenario, district), "optimized"
    path = Path(choice)
    if not path.exists():
        where = scenario.where("plan.file") if field_ == "plan" else "--plan"
        raise InputError(f"{where}: plan file not found: {path} (or use 'existing' / 'optimized')")
    plan = Plan.from_json(path)
    plan.check_against(net, source=str(path))
    return _apply_resources(plan, scenario, district), path.name


# ---------------------------------------------------------------------------------- indicators
def kpi_rows(result, targets) -> list[dict[str, Any]]:
    """The plan's indicators with the scenario's targets and pass/fail (value None: not applicable).

    Rows carry the same keys as ``sim.result.indicator_table`` plus ``target_value`` and ``op``.
    """
    from sim.result import INDICATORS

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
def sim_params(scenario: Scenario):
    """SimParams of a scenario: its [simulation] section plus the relief target."""
    from sim.params import SimParams

    s = scenario.simulation
    try:
        return SimParams.from_dict({**s.params, "duration_h": s.duration_h, "hazard_step_s": s.step_s,
                                    "seed": s.seed, "relief_target_h": scenario.targets.relief_within_h})
    except InputError as exc:
        raise _wrap(scenario, "simulation", exc) from None


def run_scenario(scenario: Scenario | str | Path, *, plan: str | Path | None = None, seed: int | None = None,
                 district: Any = None, progress: Progress | None = None) -> ScenarioRun:
    """Run a scenario (object, built-in name or TOML path) with a plan and return a :class:`ScenarioRun`.

    ``plan``: "existing", "optimized" or a plan JSON path; None takes the scenario's ``[plan]``.
    ``seed`` overrides ``simulation.seed`` (the fire automaton and the response simulation).
    ``district`` reuses an already loaded network source (it must be the scenario's).
    """
    from sim.api import run as sim_run

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
    from sim.hazards.chemical import ChemicalModelWarning

    with warnings.catch_warnings():
        # chemical releases record their model-limit warnings; they are reported once in notes
        warnings.simplefilter("ignore", ChemicalModelWarning)
        result = sim_run(district, hazards, the_plan, params)
    for h in hazards:
        notes.extend(w for w in getattr(h, "warnings", ()) if w not in notes)
    result.meta.update({"scenario": sc.name, "scenario_source": sc.source, "plan_label": label})
    rows = kpi_rows(result, sc.targets)
    say("done", "完成 / done")
    return ScenarioRun(sc.name, sc.title_zh, sc.title_en, label, sc, district, hazards, the_plan, result, rows,
                       time.perf_counter() - t0, notes)
