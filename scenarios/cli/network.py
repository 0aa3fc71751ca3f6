"""``yingji network info|map|export``: the road network of the built-in district or of any file."""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from scenarios.reports.numbers import count

from .options import JsonOpt, Lang, LangOpt, out_option
from .output import label, name_in, out_console, print_json

SourceOpt = Annotated[
    Optional[Path],
    typer.Option("--source", "-s", help="OSM (.osm/.osm.bz2/.pbf), GraphML or district .toml; default: built-in district"),
]


class ExportFormat(str, Enum):
    """The export file formats."""

    graphml = "graphml"
    geojson = "geojson"
    gpkg = "gpkg"


def network_info(source: SourceOpt = None, lang: LangOpt = Lang.zh, as_json: JsonOpt = False) -> None:
    """Nodes, edges, dropped nodes, km of road, area and population. 路网概况。"""
    # deferred: loading a network imports numpy, scipy and the OSM readers
    from network.load import load_network

    net = load_network(source)
    summary = net.summary()
    summary["illustrative"] = bool(net.meta.get("illustrative", False))
    for key in ("drive_nodes", "drive_edges", "scc_nodes", "raw_nodes", "raw_ways"):
        if key in net.meta:
            summary[key] = net.meta[key]
    if as_json:
        print_json(summary)
        return
    lg = lang.value
    table = Table(title=escape(name_in(summary["name"], lg)), show_header=True)
    table.add_column(label("指标", "item", lg))
    table.add_column(label("数值", "value", lg), justify="right")
    rows = [
        (label("节点", "nodes", lg), count(summary["nodes"])),
        (label("有向边", "directed edges", lg), count(summary["edges"])),
        (label("剔除节点（非最大强连通分量）", "dropped nodes", lg), count(summary["dropped_nodes"])),
        (label("道路里程", "road km (directed)", lg), f"{summary['road_km']:,.1f}"),
        (label("覆盖面积", "area km² (convex hull)", lg), f"{summary['area_km2']:,.1f}"),
        (label("人口", "population", lg), count(summary["population"])),
        (label("乡镇街道", "townships", lg), count(summary["zones"])),
        (label("坐标系", "CRS", lg), summary["crs"]),
    ]
    rows += [(f"  {cls} km", f"{km:,.1f}") for cls, km in summary["road_km_by_class"].items()]
    for r in rows:
        table.add_row(*(escape(c) for c in r))
    out_console.print(table)
    if summary["illustrative"]:
        out_console.print(f"[dim]{label('示意模型：位置与路网为生成的近似', 'illustrative model: generated approximations', lg)}[/dim]")


def _file_written(path: Path, as_json: bool, what: str) -> None:
    """The one file a command wrote: a JSON object with ``--json``, else a line saying ``what``."""
    if as_json:
        print_json({"out": str(path), "files": [str(path)]})
    else:
        out_console.print(f"{what}: {escape(str(path))}")


def network_map(
    out: Annotated[Path, out_option("the map file, .png or .svg")],
    source: SourceOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """Draw the base map (roads, river, forests, towns, facilities). 绘制底图。"""
    # deferred: drawing imports matplotlib and the network loaders
    from network.basemap import render_map
    from network.load import load_map_source

    from scenarios.reports.staging import staged_file

    source_net = load_map_source(source)
    with staged_file(out) as scratch:
        render_map(source_net, scratch, lang=lang.value)
    _file_written(out, as_json, label("地图已保存", "map written", lang.value))


def network_export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="graphml (OSMnx-compatible), geojson, or gpkg "
                                                                   "(GeoPackage: roads and nodes layers, one line per road)")],
    out: Annotated[Path, out_option("the exported file")],
    source: SourceOpt = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """Export the network as GraphML, GeoJSON or GeoPackage. 导出路网。"""
    # deferred: loading a network imports numpy, scipy and the OSM readers (and pyogrio for gpkg)
    from network.gpkg import save_gpkg
    from network.graphml import save_geojson, save_graphml
    from network.load import load_network

    from scenarios.reports.staging import staged_file

    net = load_network(source)
    save = {ExportFormat.graphml: save_graphml, ExportFormat.geojson: save_geojson, ExportFormat.gpkg: save_gpkg}[fmt]
    with staged_file(out) as scratch:
        save(net, scratch)
    _file_written(out, as_json, label("已导出", "exported", lang.value))


def register(app: typer.Typer) -> None:
    """Add ``yingji network info|map|export``."""
    network_app = typer.Typer(help="Road network: info, maps, export. 路网：概况、地图、导出。", no_args_is_help=True)
    network_app.command("info")(network_info)
    network_app.command("map")(network_map)
    network_app.command("export")(network_export)
    app.add_typer(network_app, name="network")
