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
