"""Township areas for the batch and sizing maps, and how often each township's people were all
relieved in time.

There are no administrative polygons in a district model: each township's area is drawn from its
road nodes (the network's ``zone`` of each node, named by ``zone_names``) as the union of the
nodes' Voronoi cells (:func:`shapely.voronoi_polygons`), clipped to the nodes' convex hull
buffered by :data:`MARGIN_M`. The areas tile that hull without overlapping, and every node lies
in its own township's area; they are a picture of where each township's roads are, not official
boundaries (the maps' notes say so).

A township's *share* is the share of the runs in which it was affected where all its affected
people were relieved by the deadline (nobody waiting at the target, per the run's
``shortfall.by_township[i].waiting_at_target_by_cause``). A run in which the township was not
affected does not count for it; a township affected in no run has no share ("not affected in
any run", drawn grey), never a pass.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import shapely

from network.model import RoadNetwork
from network.projection import to_lonlat
from sim.shortfall import cause_names

#: how far the areas reach beyond the outermost road node (m)
MARGIN_M = 500.0
#: simplification of the areas, metres (their shared edges stay shared: coverage simplification)
AREA_SIMPLIFY_M = 25.0
#: the share bands of the map: (lower end, upper end or None for exactly 1, colour, zh, en)
SHARE_BANDS: tuple[tuple[float, float | None, str, str, str], ...] = (
    (0.0, 0.5, "#b03a2e", "< 50 %", "< 50 %"),
    (0.5, 0.8, "#e67e22", "50–80 %", "50–80 %"),
    (0.8, 0.95, "#f4d03f", "80–95 %", "80–95 %"),
    (0.95, 1.0, "#82e0aa", "95–100 %（不含 100 %）", "95–100 % (below 100 %)"),
    (1.0, None, "#1e8449", "100 %（每次均按时全部获救助）", "100 % (everyone relieved in time in every run)"),
)
#: the colour and names of a township affected in no run
NOT_AFFECTED = ("#bdc3c7", "所有运行中均未受灾", "not affected in any run")
#: causes kept per township popup (biggest first)
TOP_CAUSES = 3


# ---------------------------------------------------------------------------------- the areas
def zone_name(names: Sequence[Sequence[str]], zone: int) -> tuple[str, str]:
    """A township's (zh, en) name from ``zone_names``, or a numbered one where it has none."""
    return (names[zone][0], names[zone][1]) if zone < len(names) else (f"区域 {zone}", f"zone {zone}")


def township_polygons(net: RoadNetwork, *, margin_m: float = MARGIN_M) -> dict[int, shapely.Geometry]:
    """Each township's area in the network's projected CRS (metres): the union of its road
    nodes' Voronoi cells, clipped to the nodes' hull buffered by ``margin_m``. Nodes outside
    every township (zone -1) keep their cells out of every area. Townships without a node are
    left out."""
    zone = np.asarray(net.zone if net.zone is not None else np.full(len(net.x), -1), np.int64)
    xy = np.column_stack([np.asarray(net.x, float), np.asarray(net.y, float)])
    if not len(xy):
        return {}
    uniq, first = np.unique(xy, axis=0, return_index=True)   # one cell per place (the first node's zone)
    zones = zone[first]
    points = shapely.multipoints(uniq)
    hull = shapely.buffer(shapely.convex_hull(points), margin_m)
    cells = [hull] if len(uniq) == 1 else list(shapely.get_parts(
        shapely.voronoi_polygons(points, extend_to=hull, ordered=True)))
    out: dict[int, shapely.Geometry] = {}
    for z in sorted({int(v) for v in zones} - {-1}):
        sel = [cells[i] for i in np.flatnonzero(zones == z)]
        area = shapely.intersection(shapely.union_all(sel), hull)
        area = shapely.make_valid(area)
        if area.geom_type == "GeometryCollection":   # keep the polygons only (no slivers of lines)
            area = shapely.union_all([g for g in shapely.get_parts(area) if g.geom_type in ("Polygon", "MultiPolygon")])
        if not area.is_empty:
            out[z] = area
    return out


def area_features(net: RoadNetwork, *, margin_m: float = MARGIN_M,
                  simplify_m: float = AREA_SIMPLIFY_M) -> list[dict[str, Any]]:
    """The township areas as lon/lat GeoJSON features (``zone``, ``name_zh``, ``name_en``),
    simplified together so that neighbours keep their shared edge."""
    polys = township_polygons(net, margin_m=margin_m)
    if not polys:
        return []
    zones = sorted(polys)
    geoms = np.array([polys[z] for z in zones], dtype=object)
    if simplify_m > 0:
        geoms = shapely.coverage_simplify(geoms, simplify_m, simplify_boundary=True)
    names = list(net.zone_names or ())

    def lonlat(coords: np.ndarray) -> np.ndarray:
        lon, lat = to_lonlat(coords[:, 0], coords[:, 1], net.crs)
        return np.column_stack([lon, lat])

    out = []
    for z, g in zip(zones, geoms):
        g = shapely.orient_polygons(shapely.transform(g, lonlat))
        zh, en = zone_name(names, z)
        out.append({"type": "Feature", "geometry": shapely.geometry.mapping(g),
                    "properties": {"zone": int(z), "name_zh": zh, "name_en": en}})
    return out


# ---------------------------------------------------------------------------------- the shares
def share_band(share: float | None) -> int:
    """The index of ``share`` in :data:`SHARE_BANDS`; -1 for none (not affected in any run)."""
    if share is None:
        return -1
    if share >= 1.0:
        return len(SHARE_BANDS) - 1
    for i, (lo, hi, *_rest) in enumerate(SHARE_BANDS):
        if hi is not None and lo <= share < hi:
            return i
    return 0


def township_outcomes(runs: Iterable[Sequence[dict[str, Any]] | None],
                      names: Sequence[Sequence[str]] = ()) -> dict[int, dict[str, Any]]:
    """How each township fared over runs.

    Parameters
    ----------
    runs
        One entry per run: its ``shortfall.by_township`` rows (``zone``, ``affected`` and
        ``waiting_at_target_by_cause``, as :func:`sim.shortfall.shortfall` writes them); None
        for a run without them (failed), which counts for no township.
    names
        The townships' (zh, en) names (``zone_names``); every one of them gets an entry.

    Returns
    -------
    dict
        zone -> ``runs_affected`` (runs with anyone affected there), ``runs_all_relieved``
        (of those, runs with nobody waiting at the deadline), ``share`` (their ratio, None when
        never affected), ``band`` (:func:`share_band`), ``causes`` (``[cause, zh, en, people]``
        summed over runs, the :data:`TOP_CAUSES` biggest), ``waiting_median`` and
        ``waiting_max`` (people waiting at the deadline over the runs it was affected in),
        ``name_zh``/``name_en``.
    """
    affected: Counter[int] = Counter()
    relieved: Counter[int] = Counter()
    causes: dict[int, Counter[str]] = {}
    waiting: dict[int, list[float]] = {}
    for rows in runs:
        for t in rows or ():
            z = int(t.get("zone", -1))
            if z < 0 or not (t.get("affected") or 0) > 0:
                continue   # outside the townships, or nobody affected there in this run
            late = {c: float(v) for c, v in (t.get("waiting_at_target_by_cause") or {}).items() if float(v) > 0}
            affected[z] += 1
            people = sum(late.values())
            if people <= 0:
                relieved[z] += 1
            causes.setdefault(z, Counter()).update(late)
            waiting.setdefault(z, []).append(people)
    zones = sorted(set(range(len(names))) | set(affected))
    out: dict[int, dict[str, Any]] = {}
    for z in zones:
        n, k = affected[z], relieved[z]
        share = k / n if n else None
        top = [[c, *cause_names(c), round(v, 1)] for c, v in causes.get(z, Counter()).most_common(TOP_CAUSES)]
        w = waiting.get(z, [])
        zh, en = zone_name(names, z)
        out[z] = {"zone": z, "name_zh": zh, "name_en": en, "runs_affected": n, "runs_all_relieved": k,
                  "share": None if share is None else round(share, 4), "band": share_band(share), "causes": top,
                  "waiting_median": round(float(np.median(w)), 1) if w else None,
                  "waiting_max": round(float(max(w)), 1) if w else None}
    return out


def band_legend() -> dict[str, Any]:
    """The bands as the page's script takes them (colours and names, the grey of 'not affected')."""
    return {"bands": [[c, zh, en] for _lo, _hi, c, zh, en in SHARE_BANDS], "not_affected": list(NOT_AFFECTED)}
