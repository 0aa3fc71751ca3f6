"""``yingji hazard flood|fire|chemical``: one hazard on the built-in district, its maps and summary."""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from .options import (
    EngineOpt,
    FloodEngine,
    JsonOpt,
    Lang,
    LangOpt,
    QuietOpt,
    SeedOpt,
    check_positive,
    check_seed,
    input_error,
    out_option,
)
from .output import label, name_in, out_console, print_items, print_json, progress, written

OutOpt = Annotated[Path, out_option("folder for the maps, evolution.gif, footprint.geojson and summary.json")]
MapHoursOpt = Annotated[
    str | None, typer.Option("--map-hours", help="comma-separated times (hours) for PNG maps; default: four across the run")
]
GifOpt = Annotated[bool, typer.Option("--gif/--no-gif", help="write an animated GIF of the evolution")]
HoursOpt = Annotated[float, typer.Option("--hours", help="simulated hours")]
StepHoursOpt = Annotated[float, typer.Option("--step-hours", help="hours between animation frames")]


def _hours_list(text: str | None, horizon_h: float, option: str) -> list[float]:
    """The map times in hours: those given (comma-separated), else four spread across the run."""
    if not text:
        return [round(horizon_h * k / 4.0, 3) for k in (1, 2, 3, 4)]
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise input_error(f"{option}: expected comma-separated hours, found {text!r}") from None
    if not values or any(v < 0 or v > horizon_h for v in values):
        raise input_error(f"{option}: times must lie in 0..{horizon_h:g} h, found {text!r}")
    return values


def _check_frames(hours: float, step_hours: float) -> None:
    """Input errors for a run length or a frame step that is not above zero."""
    check_positive("--hours", hours)
    check_positive("--step-hours", step_hours)


def _run_hazard(hazard: Any, district: Any, horizon_h: float, frame_h: float, map_hours: str | None, out: Path,
                lang: Lang, as_json: bool, quiet: bool, gif: bool, title: str) -> None:
    """Evaluate ``hazard`` over the run, write its files to ``out`` and print the summary."""
    # deferred: numpy and the map writers (matplotlib) load only when a hazard is run
    import numpy as np

    from scenarios.reports.hazard_outputs import write_outputs

    times = np.arange(frame_h, horizon_h + 1e-9, frame_h) * 3600.0
    maps = np.array(_hours_list(map_hours, horizon_h, "--map-hours")) * 3600.0
    with progress(not (quiet or as_json)) as say:
        say("hazard", label("模拟中", "simulating…", lang.value))
        summary = write_outputs(hazard, district, times, maps, out, lang=lang.value, title=title, gif=gif)
    if as_json:
        print_json(summary)
        return
    if quiet:
        return
    print_items(title, summary, skip=("series", "files", "times_h", "model_warnings"), lang=lang.value)
    for w in summary.get("model_warnings", []):
        out_console.print(f"[yellow]warning:[/yellow] {escape(name_in(str(w), lang.value))}")
    written(out, summary["files"], lang.value)


def _breaches(texts: list[str] | None, dikes: list[str], hours: float) -> list[dict[str, Any]]:
    """``--breach DIKE:HOURS[:WIDTH_M]`` values as the flood builder takes them, each checked:
    a dike of the district, a time within the run, a positive width."""
    breaches = []
    for text in texts or []:
        parts = text.split(":")
        try:
            if len(parts) not in (2, 3):
                raise ValueError
            b = {"dike": parts[0], "time_h": float(parts[1]), **({"width_m": float(parts[2])} if len(parts) > 2 else {})}
        except ValueError:
            raise input_error(f"--breach: expected DIKE:HOURS[:WIDTH_M], found {text!r}") from None
        if b["dike"] not in dikes:
            raise input_error(f"--breach: unknown dike {b['dike']!r}; the district's dikes: {', '.join(dikes)}")
        if not 0 <= b["time_h"] <= hours:
            raise input_error(f"--breach: {text!r} opens at {b['time_h']:g} h, outside the run (0–{hours:g} h, --hours)")
        if "width_m" in b and not b["width_m"] > 0:
            raise input_error(f"--breach: the width must be positive, found {b['width_m']:g} m in {text!r}")
        breaches.append(b)
    return breaches


def hazard_flood(
    out: OutOpt,
    return_period: Annotated[float, typer.Option("--return-period", help="design flood, years (2-200)")] = 50.0,
    hydrograph: Annotated[Path | None, typer.Option("--hydrograph", help="observed stages CSV (time_h,stage_m) instead")] = None,
    breach: Annotated[list[str] | None, typer.Option("--breach", help="DIKE:HOURS[:WIDTH_M], e.g. xijiao-dike:30:150")] = None,
    dike_crest_offset: Annotated[float, typer.Option(
        "--dike-crest-offset", help="raise (or, negative, lower) every dike crest by M metres")] = 0.0,
    engine: EngineOpt = FloodEngine.two_d,
    regime: Annotated[str, typer.Option(
        "--regime", help="regulated (with the Wuxikou reservoir, today) or natural (before 2019)")] = "regulated",
    hours: HoursOpt = 72.0,
    step_hours: StepHoursOpt = 2.0,
    map_hours: MapHoursOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    gif: GifOpt = True,
) -> None:
    """A Chang River flood on the built-in district. 昌江洪水。"""
    # deferred: the district and the flood solver load numpy, scipy and numba kernels
    from network.district import load_district
    from sim.hazards.flood.frequency import RETURN_PERIOD_RANGE
    from sim.hazards.flood.scenario import river_flood

    _check_frames(hours, step_hours)
    lo, hi = RETURN_PERIOD_RANGE
    if hydrograph is None and not lo <= return_period <= hi:
        raise input_error(f"--return-period: the frequency curve covers {lo:g}–{hi:g} years, found {return_period:g}")
    if regime not in ("regulated", "natural"):
        raise input_error(f"--regime: expected regulated or natural, found {regime!r}")
    if not -20 <= dike_crest_offset <= 100:
        raise input_error(f"--dike-crest-offset: expected -20..100 m, found {dike_crest_offset:g}")
    district = load_district()
    breaches = _breaches(breach, [d.id for d in district.spec.dikes], hours)
    flood = river_flood(district, return_period_years=return_period, regime=regime, hydrograph=hydrograph,
                        breaches=breaches, dike_crest_offset_m=dike_crest_offset, engine=engine.value)
    label = f"{return_period:g}年一遇洪水" if lang is Lang.zh else f"{return_period:g}-year flood"
    if hydrograph is not None:
        label = f"实测水位 {hydrograph.name}" if lang is Lang.zh else f"observed stages {hydrograph.name}"
    _run_hazard(flood, district, hours, step_hours, map_hours, out, lang, as_json, quiet, gif, label)


def _ignitions(texts: list[str] | None) -> list[tuple[float, ...]] | None:
    """``--ignite LON,LAT[,HOURS]`` values as (lon, lat[, seconds]); None for the default ignition."""
    if not texts:
        return None
    ignitions = []
    for text in texts:
        try:
            vals = [float(v) for v in text.split(",")]
        except ValueError:
            vals = []
        if len(vals) not in (2, 3):
            raise input_error(f"--ignite: expected LON,LAT[,HOURS], found {text!r}")
        ignitions.append((vals[0], vals[1], vals[2] * 3600.0) if len(vals) == 3 else tuple(vals))
    return ignitions


def _wind_changes(texts: list[str] | None, hours: float) -> list[tuple[float, float, float]]:
    """``--wind-change HOURS:SPEED:FROM`` values as (t_s, speed_m_s, from_deg), each checked."""
    out = []
    for text in texts or []:
        try:
            h, v, d = (float(x) for x in text.split(":"))
        except ValueError:
            raise input_error(f"--wind-change: expected HOURS:SPEED:FROM, found {text!r}") from None
        if not 0 <= h <= hours:
            raise input_error(f"--wind-change: {text!r} is at {h:g} h, outside the run (0–{hours:g} h, --hours)")
        if not 0 <= v <= 40:
            raise input_error(f"--wind-change: the speed must lie in 0..40 m/s, found {v:g} in {text!r}")
        if not 0 <= d < 360:
            raise input_error(f"--wind-change: the direction must lie in 0..360 degrees, found {d:g} in {text!r}")
        out.append((h * 3600.0, v, d))
    return out


def _fuel_map(texts: list[str] | None) -> dict[str, str]:
    """``--fuel CLASS=TYPE`` values as the fuels mapping (checked against the district later)."""
    out = {}
    for text in texts or []:
        cls, sep, key = text.partition("=")
        if not sep or not cls.strip() or not key.strip():
            raise input_error(f"--fuel: expected CLASS=TYPE (e.g. forest_conifer=chinese_fir), found {text!r}")
        out[cls.strip()] = key.strip()
    return out


def _methods(text: str) -> list[str]:
    """``--detection`` as a list of known detection methods."""
    from sim.hazards.fire.attack import DETECTION_METHODS

    methods = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in methods if m not in DETECTION_METHODS]
    if bad or not methods:
        raise input_error(f"--detection: unknown method {bad[0] if bad else text!r}; expected some of "
                          f"{', '.join(DETECTION_METHODS)}, comma-separated")
    return methods


def hazard_fire(
    out: OutOpt,
    ignite: Annotated[list[str] | None, typer.Option("--ignite", help="LON,LAT[,HOURS] of an ignition (repeatable); default: northern hills")] = None,
    wind_speed: Annotated[float, typer.Option("--wind-speed", help="10-m wind, m/s")] = 6.0,
    wind_from: Annotated[float, typer.Option("--wind-from", help="degrees the wind blows from (315 = north-west)")] = 315.0,
    wind_change: Annotated[list[str] | None, typer.Option(
        "--wind-change", help="HOURS:SPEED:FROM, the wind from then on (repeatable)")] = None,
    model: Annotated[str, typer.Option("--model", help="rothermel (fuel models, minimum travel time) or automaton")] = "rothermel",
    moisture: Annotated[str, typer.Option(
        "--moisture", help="season (autumn-dry, spring-dry, spring-wet, drought) or standard scenario D1L1..D4L4")] = "spring-dry",
    detection: Annotated[str, typer.Option(
        "--detection", help="detection methods present: lookout,camera,patrol,public,himawari,modis,viirs")] = "patrol,public,himawari,viirs",
    fuel: Annotated[list[str] | None, typer.Option(
        "--fuel", help="CLASS=TYPE: a land-cover class burns as a fuel type (chinese_fir, bamboo, ...) "
                       "or a standard fuel model (TU5); repeatable")] = None,
    attack: Annotated[bool, typer.Option("--attack/--no-attack", help="send the district's forest fire teams (rothermel)")] = True,
    hours: HoursOpt = 12.0,
    step_hours: StepHoursOpt = 0.5,
    seed: SeedOpt = 0,
    map_hours: MapHoursOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    gif: GifOpt = True,
) -> None:
    """A forest fire in the district's hills: spread, detection, initial attack. 森林火灾。"""
    # deferred: the district and the fire model load numpy, scipy and numba kernels
    import numpy as np

    from network.district import load_district
    from sim.hazards.fire.fuels import fuel_type_map, moisture_scenario
    from sim.hazards.fire.scenario import forest_fire, initial_attack

    _check_frames(hours, step_hours)
    check_seed(seed)
    if not 0 <= wind_speed <= 40:
        raise input_error(f"--wind-speed: expected 0..40 m/s, found {wind_speed:g}")
    if not 0 <= wind_from < 360:
        raise input_error(f"--wind-from: expected 0..360 degrees, found {wind_from:g}")
    if model not in ("rothermel", "automaton"):
        raise input_error(f"--model: expected rothermel or automaton, found {model!r}")
    if model == "automaton" and (fuel or wind_change):
        raise input_error(f"{'--fuel' if fuel else '--wind-change'}: the automaton has its own vegetation classes and "
                          "one wind; use it with --model rothermel")
    moisture_scenario(moisture, name="--moisture")
    methods = _methods(detection)
    changes = _wind_changes(wind_change, hours)
    fuels = _fuel_map(fuel)
    fuel_type_map(fuels, name="--fuel")
    ignitions = _ignitions(ignite)
    district = load_district()
    extra: dict[str, Any] = {} if model == "automaton" else dict(
        moisture=moisture, detection=methods, wind_changes=changes, horizon_s=hours * 3600.0, fuels=fuels)
    fire = forest_fire(district, ignitions=ignitions, wind_speed_m_s=wind_speed, wind_from_deg=wind_from, seed=seed,
                       model=model, **extra)
    if model == "rothermel" and attack:
        initial_attack(district, fire, seed=np.random.default_rng([seed, 1]))
    label = f"森林火灾（风速 {wind_speed:g} m/s）" if lang is Lang.zh else f"forest fire (wind {wind_speed:g} m/s)"
    _run_hazard(fire, district, hours, step_hours, map_hours, out, lang, as_json, quiet, gif, label)


def hazard_chemical(
    out: OutOpt,
    site: Annotated[str, typer.Option("--site", help="facility id of a chemical site in the district file")] = "chlor-alkali-plant",
    substance: Annotated[str | None, typer.Option("--substance", help="chemical (default: what the site stores)")] = None,
    rate_kg_s: Annotated[float | None, typer.Option("--rate-kg-s", help="continuous release rate")] = 1.0,
    duration_min: Annotated[float, typer.Option("--duration-min", help="release duration")] = 30.0,
    mass_kg: Annotated[float | None, typer.Option("--mass-kg", help="instantaneous release instead of a rate")] = None,
    wind_speed: Annotated[float, typer.Option("--wind-speed", help="m/s at release height")] = 2.0,
    wind_from: Annotated[float, typer.Option("--wind-from", help="degrees the wind blows from")] = 45.0,
    stability: Annotated[str | None, typer.Option("--stability", help="Pasquill-Gifford class A-F (default: from time of day and cloud)")] = None,
    night: Annotated[bool, typer.Option("--night/--day", help="time of day, for the stability class")] = True,
    cloud_oktas: Annotated[float, typer.Option("--cloud-oktas", help="night cloud cover, 0-8")] = 2.0,
    protective: Annotated[str, typer.Option("--protective-action", help="evacuate, shelter, or auto (evacuate only where it finishes before the gas arrives)")] = "auto",
    minutes: Annotated[float, typer.Option("--minutes", help="simulated minutes")] = 60.0,
    map_hours: MapHoursOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    gif: GifOpt = True,
) -> None:
    """A toxic release at a chemical site (Gaussian plume/puff, AEGL zones). 危化品泄漏。"""
    # deferred: the district and the plume model load numpy and scipy
    from network.district import load_district
    from network.hazard import HazardModelWarning
    from sim.hazards.chemical.scenario import chemical_release

    check_positive("--minutes", minutes)
    district = load_district()
    release = dict(rate_g_s=None, duration_s=None, mass_kg=mass_kg) if mass_kg is not None else dict(
        rate_g_s=None if rate_kg_s is None else rate_kg_s * 1000.0, duration_s=duration_min * 60.0)
    with warnings.catch_warnings():
        # the model keeps its limit warnings in chem.warnings; the summary reports them once
        warnings.simplefilter("ignore", HazardModelWarning)
        chem = chemical_release(
            district, site=site, substance=substance, wind=(wind_speed, wind_from), stability=stability,
            day=not night, cloud_oktas=cloud_oktas if night else None, protective_action=protective, **release,
        )
        label = f"{chem.chemical.name_zh}泄漏" if lang is Lang.zh else f"{chem.chemical.name_en} release"
        _run_hazard(chem, district, minutes / 60.0, 5.0 / 60.0, map_hours, out, lang, as_json, quiet, gif, label)


def register(app: typer.Typer) -> None:
    """Add ``yingji hazard flood|fire|chemical``."""
    hazard_app = typer.Typer(
        help="Hazards on the built-in district: flood, forest fire, chemical release. 灾害模拟：洪水、森林火灾、危化品泄漏。",
        no_args_is_help=True,
    )
    hazard_app.command("flood")(hazard_flood)
    hazard_app.command("fire")(hazard_fire)
    hazard_app.command("chemical")(hazard_chemical)
    app.add_typer(hazard_app, name="hazard")
