"""``yingji district check|map``: a district manifest of real data, read and summarised or drawn."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from scenarios.reports.numbers import count

from .options import JsonOpt, Lang, LangOpt, input_error, out_option
from .output import label, out_console, print_json

ManifestArg = Annotated[Path, typer.Argument(help="district manifest (TOML naming roads, population, DEM, land cover, rivers, facilities, admin units)")]


def district_check(manifest: ManifestArg, lang: LangOpt = Lang.zh, as_json: JsonOpt = False) -> None:
    """Read every file a manifest names and summarise the district: size, people, facilities,
    snaps, what is missing. 检查区县数据清单。"""
    # deferred: reading rasters and layers imports rasterio and pyogrio
    from network.manifest import load_manifest, summary as district_summary

    summary = district_summary(load_manifest(manifest))
    if as_json:
        print_json(summary)
        return
    lg = lang.value
    title = summary["name_en"] if lg == "en" else f"{summary['name_zh']} / {summary['name_en']}"
    table = Table(title=escape(title), show_header=True)
    table.add_column(label("指标", "item", lg))
    table.add_column(label("数值", "value", lg), justify="right")
    for r in _check_rows(summary, lg):
        table.add_row(*(escape(c) for c in r))
    out_console.print(table)
    if summary["population_note"]:
        out_console.print(escape(summary["population_note"]))
    for line in summary["missing"] + summary["fallbacks"]:
        out_console.print(f"[yellow]{label('注意', 'note', lg)}:[/yellow] {escape(line)}")


def _check_rows(summary: dict, lg: str) -> list[tuple[str, str]]:
    """The rows of ``district check``'s table, labelled in ``lg``."""
    rows = [
        (label("节点", "nodes", lg), count(summary["nodes"])),
        (label("有向边", "directed edges", lg), count(summary["edges"])),
        (label("道路里程", "road km", lg), f"{summary['road_km']:,.1f}"),
        (label("人口（已分配到路网）", "population on the network", lg), count(summary["population"])),
        (label("未分配人口", "population out of reach", lg), count(summary["population_unallocated"])),
        (label("设施最大吸附距离", "largest facility snap", lg), f"{count(summary['max_snap_m'])} m"),
        (label("高程", "elevation", lg), "DEM" if summary["elevation"] else "—"),
        (label("土地覆盖", "land cover", lg), "✓" if summary["landcover"] else "—"),
        (label("河流", "river", lg), summary["river"] or "—"),
        (label("堤防", "dikes", lg), count(len(summary["dikes"]))),
        (label("可模拟灾种", "hazards it can run", lg), ", ".join(summary["hazards"])),
        (label("统计单元", "zones", lg), count(len(summary["zones"]))),
    ]
    return rows + [(f"  {kind}", count(n)) for kind, n in sorted(summary["facilities"].items())]


def district_export(
    out: Annotated[Path, out_option("a new or empty folder (or an earlier export, replaced whole) for the layers and the manifest")],
    spec: Annotated[Path | None, typer.Argument(help="district spec file; default the built-in Changjiang district")] = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """Write a generated district (default the built-in one) as a manifest over its layers — the
    template of a district from real data. 导出区县数据清单及图层。"""
    # deferred: writing GeoTIFFs imports rasterio
    from network.district import load_district
    from scenarios.core.district_export import export_manifest

    manifest = export_manifest(load_district(spec), out)
    files = sorted(str(p) for p in manifest.parent.iterdir() if not p.name.startswith("."))
    if as_json:
        print_json({"manifest": str(manifest), "files": files})
    else:
        out_console.print(f"{label('数据清单已导出', 'manifest written', lang.value)}: {escape(str(manifest))}")


def district_map(
    manifest: ManifestArg,
    out: Annotated[Path, out_option("the map file (.png or .svg), or a folder for district_map.png and .svg")],
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """Draw a manifest's district: roads, river and dikes, people on the network, facilities.
    绘制区县数据地图。"""
    # deferred: drawing imports matplotlib; reading the manifest rasterio and pyogrio
    from network.basemap import render_map
    from network.manifest import load_manifest

    from scenarios.reports.staging import staged_file

    district = load_manifest(manifest)
    targets = [out] if out.suffix.lower() in (".png", ".svg") else [out / "district_map.png", out / "district_map.svg"]
    if len(targets) > 1:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise input_error(f"--out {out}: cannot make the folder ({exc.strerror or exc})") from None
    for t in targets:
        with staged_file(t) as scratch:
            render_map(district, scratch, lang=lang.value)
    paths = targets
    if as_json:
        print_json({"out": str(out), "files": [str(p) for p in paths]})
    else:
        out_console.print(f"{label('地图已保存', 'map written', lang.value)}: {escape(', '.join(str(p) for p in paths))}")


def register(app: typer.Typer) -> None:
    """Add ``yingji district check|map``."""
    district_app = typer.Typer(help="District from real data: check or draw a manifest. 区县真实数据：检查、绘制数据清单。",
                               no_args_is_help=True)
    district_app.command("check")(district_check)
    district_app.command("map")(district_map)
    district_app.command("export")(district_export)
    app.add_typer(district_app, name="district")
