"""The ``yingji`` command line.

Errors in input are printed as one readable line (``yingji: error: ...``) with a non-zero
exit status, never as a traceback. Set ``YINGJI_DEBUG=1`` to see tracebacks.
"""
from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from network.errors import YingjiError

app = typer.Typer(
    name="yingji",
    help="应急 yingji — emergency simulation and resource optimisation for district planners "
    "(built-in model: 昌江区 Changjiang District, Jingdezhen).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
network_app = typer.Typer(help="Road network: info, maps, export. 路网：概况、地图、导出。", no_args_is_help=True)
app.add_typer(network_app, name="network")

console = Console()

SourceOpt = Annotated[
    Optional[Path],
    typer.Option("--source", "-s", help="OSM (.osm/.osm.bz2/.pbf), GraphML or district .toml; default: built-in district"),
]


class Lang(str, Enum):
    zh = "zh"
    en = "en"


class ExportFormat(str, Enum):
    graphml = "graphml"
    geojson = "geojson"


@network_app.command("info")
def network_info(
    source: SourceOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Nodes, edges, dropped nodes, km of road, area and population. 路网概况。"""
    from network.load import load_network

    net = load_network(source)
    summary = net.summary()
    summary["illustrative"] = bool(net.meta.get("illustrative", False))
    for key in ("drive_nodes", "drive_edges", "scc_nodes", "raw_nodes", "raw_ways"):
        if key in net.meta:
            summary[key] = net.meta[key]
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
        return
    table = Table(title=summary["name"], show_header=True)
    table.add_column("指标 / item")
    table.add_column("数值 / value", justify="right")
    rows = [
        ("节点 / nodes", f"{summary['nodes']:,}"),
        ("有向边 / directed edges", f"{summary['edges']:,}"),
        ("剔除节点（非最大强连通分量）/ dropped nodes", f"{summary['dropped_nodes']:,}"),
        ("道路里程 / road km (directed)", f"{summary['road_km']:,.1f}"),
        ("覆盖面积 / area km² (convex hull)", f"{summary['area_km2']:,.1f}"),
        ("人口 / population", f"{summary['population']:,}"),
        ("乡镇街道 / townships", f"{summary['zones']}"),
        ("坐标系 / CRS", summary["crs"]),
    ]
    for cls, km in summary["road_km_by_class"].items():
        rows.append((f"  {cls} km", f"{km:,.1f}"))
    for r in rows:
        table.add_row(*r)
    console.print(table)
    if summary["illustrative"]:
        console.print("[dim]示意模型：位置与路网为生成的近似 / illustrative model: generated approximations[/dim]")


@network_app.command("map")
def network_map(
    out: Annotated[Path, typer.Option("--out", "-o", help="output file, .png or .svg")],
    source: SourceOpt = None,
    lang: Annotated[Lang, typer.Option("--lang", help="label language")] = Lang.zh,
) -> None:
    """Draw the base map (roads, river, forests, towns, facilities). 绘制底图。"""
    from network.basemap import render_map
    from network.load import load_map_source

    path = render_map(load_map_source(source), out, lang=lang.value)
    console.print(f"地图已保存 / map written: {path}")


@network_app.command("export")
def network_export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="graphml (OSMnx-compatible) or geojson (QGIS)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output file")],
    source: SourceOpt = None,
) -> None:
    """Export the network as GraphML or GeoJSON. 导出路网。"""
    from network.graphml import save_geojson, save_graphml
    from network.load import load_network

    net = load_network(source)
    path = save_graphml(net, out) if fmt is ExportFormat.graphml else save_geojson(net, out)
    console.print(f"已导出 / exported: {path}")


hazard_app = typer.Typer(
    help="Hazards on the built-in district: flood, forest fire, chemical release. 灾害模拟：洪水、森林火灾、危化品泄漏。",
    no_args_is_help=True,
)
app.add_typer(hazard_app, name="hazard")

OutOpt = Annotated[Path, typer.Option("--out", "-o", help="output folder (maps, evolution.gif, footprint.geojson, summary.json)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print the summary as one JSON object")]
LangOpt = Annotated[Lang, typer.Option("--lang", help="label language")]
MapHoursOpt = Annotated[
    Optional[str], typer.Option("--map-hours", help="comma-separated times (hours) for PNG maps; default: four across the run")
]
GifOpt = Annotated[bool, typer.Option("--gif/--no-gif", help="write an animated GIF of the evolution")]


def _hours_list(text: str | None, horizon_h: float, option: str) -> list[float]:
    if not text:
        return [round(horizon_h * k / 4.0, 3) for k in (1, 2, 3, 4)]
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise YingjiError(f"{option}: expected comma-separated hours, found {text!r}") from None
    if not values or any(v < 0 or v > horizon_h for v in values):
        raise YingjiError(f"{option}: times must lie in 0..{horizon_h:g} h, found {text!r}")
    return values


def _run_hazard(kind: str, hazard, district, horizon_h: float, frame_h: float, map_hours, out: Path, lang: Lang,
                as_json: bool, gif: bool, title: str) -> None:
    import numpy as np

    from scenarios.reports.hazard_outputs import write_outputs

    if horizon_h <= 0 or frame_h <= 0:
        raise YingjiError("--hours and the frame step must be positive")
    times = np.arange(frame_h, horizon_h + 1e-9, frame_h) * 3600.0
    maps = np.array(_hours_list(map_hours, horizon_h, "--map-hours")) * 3600.0
    with console.status("模拟中 / simulating…", spinner="dots") if not as_json else _nullcontext():
        summary = write_outputs(hazard, district, times, maps, out, lang=lang.value, title=title, gif=gif)
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
        return
    table = Table(title=title)
    table.add_column("指标 / indicator")
    table.add_column("数值 / value", justify="right")
    for key, value in summary.items():
        if key in ("series", "files", "times_h", "model_warnings"):
            continue
        table.add_row(key, f"{value:,.2f}" if isinstance(value, float) else str(value))
    console.print(table)
    for w in summary.get("model_warnings", []):
        console.print(f"[yellow]warning:[/yellow] {w}")
    console.print(f"输出 / written to {out}: " + ", ".join(summary["files"]))


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@hazard_app.command("flood")
def hazard_flood(
    out: OutOpt,
    return_period: Annotated[float, typer.Option("--return-period", help="design flood, years (2-200)")] = 50.0,
    hydrograph: Annotated[Optional[Path], typer.Option("--hydrograph", help="observed stages CSV (time_h,stage_m) instead")] = None,
    breach: Annotated[Optional[list[str]], typer.Option("--breach", help="DIKE:HOURS[:WIDTH_M], e.g. xijiao-dike:30:150")] = None,
    hours: Annotated[float, typer.Option("--hours", help="simulated hours")] = 72.0,
    step_hours: Annotated[float, typer.Option("--step-hours", help="hours between animation frames")] = 2.0,
    map_hours: MapHoursOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
    gif: GifOpt = True,
) -> None:
    """A Chang River flood on the built-in district. 昌江洪水。"""
    from network.district import load_district
    from sim.hazards.flood.scenario import river_flood

    breaches = []
    for text in breach or []:
        parts = text.split(":")
        try:
            breaches.append({"dike": parts[0], "time_h": float(parts[1]), **({"width_m": float(parts[2])} if len(parts) > 2 else {})})
        except (IndexError, ValueError):
            raise YingjiError(f"--breach: expected DIKE:HOURS[:WIDTH_M], found {text!r}") from None
    district = load_district()
    flood = river_flood(district, return_period_years=return_period, hydrograph=hydrograph, breaches=breaches)
    label = f"{return_period:g}年一遇洪水" if lang is Lang.zh else f"{return_period:g}-year flood"
    if hydrograph is not None:
        label = f"实测水位 {hydrograph.name}" if lang is Lang.zh else f"observed stages {hydrograph.name}"
    _run_hazard("flood", flood, district, hours, step_hours, map_hours, out, lang, as_json, gif, label)


@hazard_app.command("fire")
def hazard_fire(
    out: OutOpt,
    ignite: Annotated[Optional[list[str]], typer.Option("--ignite", help="LON,LAT[,HOURS] of an ignition (repeatable); default: northern hills")] = None,
    wind_speed: Annotated[float, typer.Option("--wind-speed", help="m/s")] = 6.0,
    wind_from: Annotated[float, typer.Option("--wind-from", help="degrees the wind blows from (315 = north-west)")] = 315.0,
    hours: Annotated[float, typer.Option("--hours", help="simulated hours")] = 12.0,
    step_hours: Annotated[float, typer.Option("--step-hours", help="hours between animation frames")] = 0.5,
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 0,
    map_hours: MapHoursOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
    gif: GifOpt = True,
) -> None:
    """A forest fire in the district's hills. 森林火灾。"""
    from network.district import load_district
    from sim.hazards.fire.scenario import forest_fire

    ignitions = None
    if ignite:
        ignitions = []
        for text in ignite:
            try:
                vals = [float(v) for v in text.split(",")]
            except ValueError:
                vals = []
            if len(vals) not in (2, 3):
                raise YingjiError(f"--ignite: expected LON,LAT[,HOURS], found {text!r}")
            ignitions.append((vals[0], vals[1], vals[2] * 3600.0) if len(vals) == 3 else tuple(vals))
    district = load_district()
    fire = forest_fire(district, ignitions=ignitions, wind_speed_m_s=wind_speed, wind_from_deg=wind_from, seed=seed)
    label = f"森林火灾（风速 {wind_speed:g} m/s）" if lang is Lang.zh else f"forest fire (wind {wind_speed:g} m/s)"
    _run_hazard("fire", fire, district, hours, step_hours, map_hours, out, lang, as_json, gif, label)


@hazard_app.command("chemical")
def hazard_chemical(
    out: OutOpt,
    site: Annotated[str, typer.Option("--site", help="facility id of a chemical site in the district file")] = "chlor-alkali-plant",
    substance: Annotated[Optional[str], typer.Option("--substance", help="chemical (default: what the site stores)")] = None,
    rate_kg_s: Annotated[Optional[float], typer.Option("--rate-kg-s", help="continuous release rate")] = 1.0,
    duration_min: Annotated[float, typer.Option("--duration-min", help="release duration")] = 30.0,
    mass_kg: Annotated[Optional[float], typer.Option("--mass-kg", help="instantaneous release instead of a rate")] = None,
    wind_speed: Annotated[float, typer.Option("--wind-speed", help="m/s at release height")] = 2.0,
    wind_from: Annotated[float, typer.Option("--wind-from", help="degrees the wind blows from")] = 45.0,
    stability: Annotated[Optional[str], typer.Option("--stability", help="Pasquill-Gifford class A-F (default: from time of day and cloud)")] = None,
    night: Annotated[bool, typer.Option("--night/--day", help="time of day, for the stability class")] = True,
    cloud_oktas: Annotated[float, typer.Option("--cloud-oktas", help="night cloud cover, 0-8")] = 2.0,
    protective: Annotated[str, typer.Option("--protective-action", help="evacuate or shelter")] = "evacuate",
    minutes: Annotated[float, typer.Option("--minutes", help="simulated minutes")] = 60.0,
    map_hours: MapHoursOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
    gif: GifOpt = True,
) -> None:
    """A toxic release at a chemical site (Gaussian plume/puff, AEGL zones). 危化品泄漏。"""
    from network.district import load_district
    from sim.hazards.chemical.scenario import chemical_release

    import warnings

    from network.hazard import HazardModelWarning

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
        _run_hazard("chemical", chem, district, minutes / 60.0, 5.0 / 60.0, map_hours, out, lang, as_json, gif, label)


simulate_app = typer.Typer(
    help="Response simulation on the built-in district, and the Erlang C queueing check. 应急响应模拟。",
    invoke_without_command=True,
)
app.add_typer(simulate_app, name="simulate")


@simulate_app.callback()
def simulate_district_command(
    ctx: typer.Context,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="folder for result.json and events.csv")] = None,
    plan_file: Annotated[Optional[Path], typer.Option("--plan", help="a plan JSON (default: the existing plan)")] = None,
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Simulate the default event (100-year flood with a dike breach) and print the indicator table."""
    if ctx.invoked_subcommand is not None:
        return
    from network.district import load_district
    from network.plan import Plan
    from sim.api import simulate_district

    district = load_district()
    plan = Plan.from_json(plan_file) if plan_file else Plan.existing(district)
    plan.check_against(district.network, source=str(plan_file or "existing plan"))
    with console.status("模拟中 / simulating…", spinner="dots") if not as_json else _nullcontext():
        result, table = simulate_district(plan, district=district, seed=seed)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        result.to_json(out / "result.json")
        result.events_to_csv(out / "events.csv")
    if as_json:
        print(json.dumps({"indicators": table, "kpis": result.to_dict()["kpis"]}, ensure_ascii=False, default=str))
        return
    t = Table(title="规划指标 / plan indicators (illustrative district model)")
    for col in ("指标 / indicator", "数值 / value", "目标 / target", "结果 / result"):
        t.add_column(col)
    for row in table:
        verdict = "—" if row["pass"] is None else ("[green]达标 pass[/green]" if row["pass"] else "[red]未达标 fail[/red]")
        value = "—" if row["value"] is None else f"{row['value']:,.3g}"
        t.add_row(f"{row['zh']} / {row['en']}", value + (f" ({row['note']})" if row["note"] else ""), row["target"], verdict)
    console.print(t)


@simulate_app.command("queue")
def simulate_queue(
    arrivals_per_hour: Annotated[float, typer.Option("--arrivals-per-hour", help="Poisson request rate λ")],
    service_minutes: Annotated[float, typer.Option("--service-minutes", help="mean on-scene time 1/μ")],
    teams: Annotated[int, typer.Option("--teams", help="identical teams c")],
    hours: Annotated[float, typer.Option("--hours", help="simulated hours per replication")] = 1000.0,
    replications: Annotated[int, typer.Option("--replications", help="independent replications")] = 20,
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """M/M/c check of the dispatcher against Erlang C (hazards off, zero travel). 排队论校验。"""
    from sim.queueing import queue_check

    res = queue_check(arrivals_per_hour, service_minutes, teams, hours=hours, replications=replications, seed=seed)
    if as_json:
        print(json.dumps(res, ensure_ascii=False))
        return
    t = Table(title=f"M/M/{teams}: λ={arrivals_per_hour:g}/h, service {service_minutes:g} min")
    for col in ("", "simulated", "95 % CI", "Erlang C"):
        t.add_column(col)
    ci = res["mean_wait_ci"]
    t.add_row("mean wait (min)", f"{res['mean_wait_minutes']:.3f}", f"[{ci[0]:.3f}, {ci[1]:.3f}]", f"{res['erlang_c']['mean_wait_minutes']:.3f}")
    ci = res["p_wait_ci"]
    t.add_row("P(wait)", f"{res['p_wait']:.4f}", f"[{ci[0]:.4f}, {ci[1]:.4f}]", f"{res['erlang_c']['p_wait']:.4f}")
    console.print(t)


optimize_app = typer.Typer(help="OR-Tools optimisation: reference instances and district plans. 优化。", no_args_is_help=True)
app.add_typer(optimize_app, name="optimize")


def _print_result(res: dict, as_json: bool, title: str) -> None:
    if as_json:
        print(json.dumps(res, ensure_ascii=False, default=str))
        return
    t = Table(title=title)
    t.add_column("item")
    t.add_column("value", justify="right")
    for k, v in res.items():
        if isinstance(v, (list, dict)):
            continue
        t.add_row(k, f"{v:,.4g}" if isinstance(v, float) else str(v))
    console.print(t)


@optimize_app.command("cvrp")
def optimize_cvrp(
    file: Annotated[Path, typer.Argument(help="a CVRPLIB .vrp file")],
    time_limit: Annotated[float, typer.Option("--time-limit", help="seconds")] = 10.0,
    as_json: JsonOpt = False,
) -> None:
    """Capacitated vehicle routing on a CVRPLIB instance (OR-Tools routing). 车辆路径问题。"""
    from optimize.routing import solve_cvrplib

    _print_result(solve_cvrplib(file, time_limit_s=_check_limit(time_limit)), as_json, f"CVRP {file.name}")


orlib_app = typer.Typer(help="OR-Library p-median and p-center instances (pmed1-40).", no_args_is_help=True)
optimize_app.add_typer(orlib_app, name="orlib")
TimeLimitOpt = Annotated[float, typer.Option("--time-limit", help="seconds; the best plan so far and its gap are reported")]


def _check_limit(time_limit: float) -> float:
    if time_limit <= 0:
        raise YingjiError("--time-limit must be positive")
    return time_limit


@orlib_app.command("pmedian")
def optimize_orlib_pmedian(
    file: Annotated[Path, typer.Argument(help="an OR-Library pmedN.txt file")],
    time_limit: TimeLimitOpt = 600.0,
    as_json: JsonOpt = False,
) -> None:
    """p-median (sum of distances) on an OR-Library pmed instance. p-中位问题。"""
    from optimize.reference import solve_orlib_pmedian

    _print_result(solve_orlib_pmedian(file, time_limit_s=_check_limit(time_limit)), as_json, f"p-median {file.name}")


@orlib_app.command("pcenter")
def optimize_orlib_pcenter(
    file: Annotated[Path, typer.Argument(help="an OR-Library pmedN.txt file")],
    time_limit: TimeLimitOpt = 600.0,
    as_json: JsonOpt = False,
) -> None:
    """Vertex p-center (worst distance) on an OR-Library pmed instance. p-中心问题。"""
    from optimize.reference import solve_orlib_pcenter

    _print_result(solve_orlib_pcenter(file, time_limit_s=_check_limit(time_limit)), as_json, f"p-center {file.name}")


@optimize_app.command("pmedcap")
def optimize_pmedcap(
    file: Annotated[Path, typer.Argument(help="an Osman-Christofides pmedcapNN.txt file")],
    time_limit: TimeLimitOpt = 600.0,
    as_json: JsonOpt = False,
) -> None:
    """Capacitated p-median (single sourcing) on an Osman-Christofides instance. 带容量 p-中位问题。"""
    from optimize.reference import solve_pmedcap

    _print_result(solve_pmedcap(file, time_limit_s=_check_limit(time_limit)), as_json, f"capacitated p-median {file.name}")


from .run import register as _register_run; _register_run(app)
from .batch import register as _register_batch; _register_batch(app)
from .drill import register as _register_drill; _register_drill(app)
from .optimize_plan import register as _register_optimize_plan; _register_optimize_plan(optimize_app)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning errors into one-line messages and exit codes."""
    debug = os.environ.get("YINGJI_DEBUG") == "1"
    try:
        app(args=argv, prog_name="yingji")  # click's standalone mode: usage errors exit 2 with a message
        return 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except YingjiError as exc:
        if debug:
            raise
        print(f"yingji: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("yingji: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an engine bug: still one readable line, traceback on request
        if debug:
            raise
        print(
            f"yingji: internal error: {type(exc).__name__}: {exc} (set YINGJI_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
