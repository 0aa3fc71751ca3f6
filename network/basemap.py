"""Base maps (matplotlib): roads by class, river, forests, towns labelled, facilities.

Labels are Chinese by default (``lang="zh"``) or English (``lang="en"``). Every map of the
built-in district says that it is illustrative. PNG or SVG by the output file's suffix.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import LightSource, ListedColormap

from .checks import language
from .district import ILLUSTRATIVE_NOTE_EN, ILLUSTRATIVE_NOTE_ZH
from .errors import InputError
from .fonts import use_cjk_font
from .map_furniture import finish_map
from .model import RoadNetwork, has_reverse_edge
from .roadclass import RoadClass
from .terrain import FOREST_CLASSES, LandCover, xy_of

_ROAD_STYLE = {  # class: (colour, line width, z-order)
    RoadClass.MOTORWAY: ("#c0392b", 2.4, 6),
    RoadClass.TRUNK: ("#e67e22", 2.0, 5),
    RoadClass.PRIMARY: ("#f1c40f", 1.6, 5),
    RoadClass.SECONDARY: ("#7f8c8d", 1.2, 4),
    RoadClass.TERTIARY: ("#95a5a6", 0.8, 3),
    RoadClass.LOCAL: ("#bdc3c7", 0.45, 2),
    RoadClass.SERVICE: ("#d5d8dc", 0.35, 2),
}
_FACILITY_STYLE = {  # kind: (marker, colour, zh, en)
    "relief_warehouse": ("s", "#8e44ad", "物资储备库", "relief warehouse"),
    "fire_station": ("^", "#e74c3c", "消防救援站", "fire and rescue station"),
    "rescue_team": ("P", "#2c3e50", "综合救援队", "rescue team base"),
    "forest_fire_brigade": ("^", "#27ae60", "森林消防队", "forest fire brigade"),
    "hazmat_site": ("X", "#d35400", "危化品企业", "hazardous-chemical site"),
    "fireworks_site": ("X", "#c0392b", "烟花爆竹仓库", "fireworks depot"),
    "hospital": ("H", "#16a085", "医院", "hospital"),
    "command_centre": ("*", "#000000", "应急指挥中心", "command centre"),
}
_TEXT = {
    "zh": {"shelter": "避难场所（现有）", "candidate": "避难场所（候选）", "river": "河流", "dike": "堤防",
           "forest": "林地", "park": "工业园区", "x": "东向距离 (km)", "y": "北向距离 (km)"},
    "en": {"shelter": "shelter (existing)", "candidate": "shelter (candidate)", "river": "river", "dike": "dike",
           "forest": "forest", "park": "industrial park", "x": "easting (km)", "y": "northing (km)"},
}


def draw_roads(ax, net: RoadNetwork, *, lang: str = "zh", km: bool = True, legend: bool = True) -> None:
    """Roads by class as line collections (each two-way road drawn once).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw; its limits are set to the network's extent.
    net : RoadNetwork
        The network.
    lang : {"zh", "en"}
        Language of the legend labels.
    km : bool
        Axes in kilometres (default) rather than metres.
    legend : bool
        Label the road classes for a legend.
    """
    scale = 1000.0 if km else 1.0
    src, dst = net.edge_source, net.indices
    once = (src < dst) | ~has_reverse_edge(net)  # a two-way road is two edges, drawn once
    for cls in sorted(RoadClass, reverse=True):
        sel = once & (net.road_class == int(cls))
        if not sel.any():
            continue
        colour, width, z = _ROAD_STYLE[cls]
        segs = np.stack(
            [np.column_stack([net.x[src[sel]], net.y[src[sel]]]), np.column_stack([net.x[dst[sel]], net.y[dst[sel]]])],
            axis=1,
        ) / scale
        label = cls.name_zh if lang == "zh" else cls.name_en
        ax.add_collection(LineCollection(segs, colors=colour, linewidths=width, zorder=z, label=label if legend else None, capstyle="round"))
    ax.set_xlim(net.x.min() / scale, net.x.max() / scale)
    ax.set_ylim(net.y.min() / scale, net.y.max() / scale)


def draw_district(ax, district, *, lang: str = "zh", show_facilities: bool = True,
                  show_people: bool | None = None) -> dict[str, int]:
    """The whole base map of a district: terrain, forests, river, dikes, roads, towns, people,
    facilities — whichever of them the district has (a district from real data may lack some).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw, in kilometres of the district's CRS.
    district : District
        The district (spec, terrain and network), generated or read from a manifest.
    lang : {"zh", "en"}
        Language of labels and legend.
    show_facilities : bool
        Mark facilities and shelter sites (default True).
    show_people : bool, optional
        Colour road nodes by their people (log scale); default for a district from real data.

    Returns
    -------
    dict
        What was drawn: ``people_nodes`` (nodes coloured by people) and ``sites`` (facilities
        and shelter sites marked).

    Raises
    ------
    InputError
        For a ``lang`` other than "zh" or "en".
    """
    t = _TEXT[language(lang)]
    spec = district.spec
    crs = spec.district.crs
    if district.terrain is not None:
        _draw_terrain(ax, district.terrain)
    if spec.river is not None:
        river = xy_of(spec.river.course, crs) / 1000.0
        ax.plot(river[:, 0], river[:, 1], color="#2e86c1", lw=1.0, zorder=1, label=t["river"])
    for i, dike in enumerate(spec.dikes):
        xy = xy_of(dike.line, crs) / 1000.0
        ax.plot(xy[:, 0], xy[:, 1], color="#1b4f72", lw=2.5, ls="--", zorder=7, label=t["dike"] if i == 0 else None)
    if spec.industrial_park is not None:
        poly = xy_of(spec.industrial_park.polygon, crs) / 1000.0
        ax.fill(poly[:, 0], poly[:, 1], facecolor="#f5b7b1", edgecolor="#922b21", alpha=0.7, zorder=2, label=t["park"])
    draw_roads(ax, district.network, lang=lang)
    if district.terrain is not None and district.inputs is None:
        ext = [v / 1000.0 for v in district.terrain.dem.extent]
        ax.set_xlim(ext[0], ext[1])
        ax.set_ylim(ext[2], ext[3])
    if len(spec.townships) > 1 or district.inputs is None:
        for town in spec.townships:
            c = xy_of([town.centre], crs)[0] / 1000.0
            ax.text(c[0], c[1], town.name_zh if lang == "zh" else town.name_en, fontsize=11,
                    ha="center", va="center", zorder=11,  # above routes and unrelieved rings, under facilities
                    bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.7))
    people = _draw_people(ax, district.network, lang) if (
        district.inputs is not None if show_people is None else show_people) else 0
    sites = _draw_facilities(ax, spec, t, lang) if show_facilities else 0
    return {"people_nodes": people, "sites": sites}


def _draw_terrain(ax, terrain) -> None:
    """Hillshade, forest and water of the terrain rasters."""
    dem, lc = terrain.dem, terrain.landcover
    ext = [v / 1000.0 for v in dem.extent]
    shade = LightSource(azdeg=315, altdeg=45).hillshade(np.nan_to_num(dem.values, nan=float(np.nanmin(dem.values))),
                                                       vert_exag=2.0, dx=dem.cellsize, dy=dem.cellsize)
    ax.imshow(shade, origin="lower", extent=ext, cmap="gray", alpha=0.35, zorder=0)
    forest = np.isin(lc.values, [int(c) for c in FOREST_CLASSES]).astype(float)
    ax.imshow(np.where(forest > 0, 1.0, np.nan), origin="lower", extent=ext, cmap=ListedColormap(["#a9d18e"]),
              alpha=0.55, zorder=1)
    water = np.where(lc.values == LandCover.WATER, 1.0, np.nan)
    ax.imshow(water, origin="lower", extent=ext, cmap=ListedColormap(["#5dade2"]), zorder=1)


def _draw_people(ax, net: RoadNetwork, lang: str) -> int:
    """Road nodes coloured by their people (log scale); the number of nodes with people."""
    people = np.asarray(net.population, float)
    has = people > 0
    if has.any():
        sc = ax.scatter(net.x[has] / 1000.0, net.y[has] / 1000.0, c=np.log10(people[has]), s=6, cmap="YlOrRd",
                        zorder=5, label="人口（路网节点）" if lang == "zh" else "people (road nodes)")
        cb = ax.figure.colorbar(sc, ax=ax, shrink=0.5)
        cb.set_label("人数 (log10)" if lang == "zh" else "people (log10)")
    return int(has.sum())


def _draw_facilities(ax, spec, t: dict[str, str], lang: str) -> int:
    """Facilities by kind and shelter sites (existing filled, candidates open); how many."""
    crs = spec.district.crs
    seen = set()
    for f in spec.facilities:
        marker, colour, zh, en = _FACILITY_STYLE[f.kind]
        c = xy_of([f.location], crs)[0] / 1000.0
        ax.scatter(c[0], c[1], marker=marker, s=70, c=colour, edgecolors="white", linewidths=0.8, zorder=11,
                   label=(zh if lang == "zh" else en) if f.kind not in seen else None)
        seen.add(f.kind)
    for existing in (True, False):
        sites = [s for s in spec.shelters if s.existing == existing]
        if sites:
            xy = xy_of([s.location for s in sites], crs) / 1000.0
            ax.scatter(xy[:, 0], xy[:, 1], marker="o", s=40, facecolors="#2874a6" if existing else "none",
                       edgecolors="#2874a6", linewidths=1.2, zorder=11,
                       label=t["shelter"] if existing else t["candidate"])
    return len(spec.facilities) + len(spec.shelters)


def render_map(source, out: str | Path, *, lang: str = "zh", title: str | None = None, dpi: int = 150) -> Path:
    """Draw a district (or a bare RoadNetwork) and save it as PNG or SVG.

    Parameters
    ----------
    source : District or RoadNetwork
        A district is drawn with what it has (terrain, river, people, facilities) and titled
        as illustrative when generated, with its manifest when read from real data; a
        network with its roads only.
    out : str or Path
        The image file, ``.png`` or ``.svg``; missing folders are created.
    lang : {"zh", "en"}
        Language of labels, legend and title.
    title : str, optional
        Title; default the district's name and the illustrative note, or the network's name.
    dpi : int
        Resolution of a PNG.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    InputError
        For another file ending or a ``lang`` other than "zh" or "en".
    RuntimeError
        When no CJK font can be found (an incomplete install).
    """
    # deferred: the backend must be chosen before pyplot loads (~0.2 s more), and only when
    # a map is rendered to a file, not when a caller draws on its own axes
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    out = Path(out)
    if out.suffix.lower() not in (".png", ".svg"):
        raise InputError(f"{out}: map output must end in .png or .svg")
    lang = language(lang)
    use_cjk_font()
    fig, ax = plt.subplots(figsize=(10, 10.5), constrained_layout=True)
    net = source.network if hasattr(source, "network") else source
    if hasattr(source, "spec"):
        draw_district(ax, source, lang=lang)
        name = source.spec.district.name_zh if lang == "zh" else source.spec.district.name_en
        note = (ILLUSTRATIVE_NOTE_ZH if lang == "zh" else ILLUSTRATIVE_NOTE_EN) if source.illustrative \
            else source.inputs.source if source.inputs is not None else ""
        ax.set_title(title or f"{name}\n{note}", fontsize=13)
    else:
        draw_roads(ax, net, lang=lang)
        ax.set_title(title or net.name, fontsize=13)
    ax.legend(loc="lower right", fontsize=8, framealpha=0.85, ncol=2)
    finish_map(ax, net.crs, lang=lang)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return out
