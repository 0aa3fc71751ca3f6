"""GeoPackages a GIS opens layer by layer: the road network (``roads``, one line per road
segment with its directions as an attribute, and ``nodes``, in the network's CRS), and a run's
map layers (:func:`save_feature_layers`: one layer per kind and geometry type).

GeoJSON keeps edges and nodes in one collection (told apart by ``kind``) and every two-way road
twice; a GeoPackage, like a Shapefile, wants one geometry type per layer, and a planner wants
one line per street. Directed edges ``u → v`` and ``v → u`` of the same length and class become
one segment with ``directions = "both"``; an edge without its twin is ``"forward"`` (from ``u`` to
``v``, the line's own direction).
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import shapely
import shapely.geometry

from .errors import InputError
from .model import RoadNetwork
from .roadclass import RoadClass


def road_segments(net: RoadNetwork) -> tuple[np.ndarray, np.ndarray]:
    """Forward-edge index of each road segment and whether it runs both ways.

    Twins are matched one to one (parallel edges stay separate segments): an edge ``u → v``
    pairs with an unmatched ``v → u`` of the same length (to the centimetre) and class.
    """
    src, dst = net.edge_source, net.indices
    key_len = np.round(np.asarray(net.length, float), 2)
    waiting: dict[tuple, list[int]] = {}
    seg, both = [], []
    for e in range(net.n_edges):
        u, v = int(src[e]), int(dst[e])
        twin = waiting.get((v, u, key_len[e], int(net.road_class[e])))
        if twin:
            both[twin.pop()] = True
            continue
        waiting.setdefault((u, v, key_len[e], int(net.road_class[e])), []).append(len(seg))
        seg.append(e)
        both.append(False)
    return np.asarray(seg, np.int64), np.asarray(both, bool)


def save_gpkg(net: RoadNetwork, path: str | Path) -> Path:
    """Write ``roads`` and ``nodes`` layers to a GeoPackage (replaced if it exists).

    Roads: ``u``, ``v`` (node ids), ``directions`` ("both" or "forward"), ``length_m``,
    ``speed_kmh``, ``travel_time_s``, ``road_class`` with ``name_zh``/``name_en``. Nodes: ``id``,
    ``population``, ``elevation``, ``zone`` with ``zone_zh``/``zone_en``. Written through a
    temporary file beside ``path``, so a failure leaves nothing half-written.

    Raises
    ------
    InputError
        When the folder does not exist or the file cannot be written.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(f"{path}: cannot write the GeoPackage: folder {path.parent} does not exist")
    seg, both = road_segments(net)
    u, v = net.edge_source[seg], net.indices[seg]
    lines = shapely.linestrings(np.stack([np.column_stack([net.x[u], net.y[u]]),
                                          np.column_stack([net.x[v], net.y[v]])], axis=1))
    classes = [RoadClass(int(c)) for c in net.road_class[seg]]
    ids = np.asarray(net.node_id, np.int64)
    roads = {
        "u": ids[u], "v": ids[v], "directions": np.where(both, "both", "forward").astype(object),
        "length_m": np.asarray(net.length, float)[seg], "speed_kmh": np.asarray(net.speed_kmh, float)[seg],
        "travel_time_s": net.travel_times()[seg], "road_class": np.asarray(net.road_class, np.int32)[seg],
        "name_zh": np.array([c.name_zh for c in classes], object), "name_en": np.array([c.name_en for c in classes], object),
    }
    names = net.zone_names
    zone = np.asarray(net.zone, np.int64)
    nodes = {
        "id": ids, "population": np.asarray(net.population, float), "elevation": np.asarray(net.elevation, float),
        "zone": zone.astype(np.int32),
        "zone_zh": np.array([names[z][0] if 0 <= z < len(names) else "" for z in zone], object),
        "zone_en": np.array([names[z][1] if 0 <= z < len(names) else "" for z in zone], object),
    }
    return _write_layers(path, [("roads", "LineString", lines, roads),
                                ("nodes", "Point", shapely.points(net.x, net.y), nodes)], net.crs, ".roads-")


def _field_array(values: list[Any]) -> np.ndarray:
    """One attribute column: numbers as float (missing: NaN), anything else as text."""
    if all(v is None or (isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool))
           for v in values):
        return np.array([np.nan if v is None else float(v) for v in values], np.float64)
    return np.array([None if v is None else v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                     for v in values], object)


def save_feature_layers(layers: dict[str, list[dict]], path: str | Path, *, crs: str = "EPSG:4326") -> Path:
    """Write GeoJSON-like features to a GeoPackage, one layer per name and geometry type.

    A layer whose features mix geometry types (flood depth bands as polygons, a plume's centre
    line) is split into ``NAME_polygons``, ``NAME_lines``, ``NAME_points``: a GeoPackage layer,
    like a Shapefile, holds one type. Properties become fields (numbers as reals, the rest as
    text; lists and objects as JSON). Written through a temporary file beside ``path``, so a
    failure leaves nothing half-written; empty layers are left out.

    Raises
    ------
    InputError
        When the folder does not exist, there is no feature at all, or the file cannot be written.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(f"{path}: cannot write the GeoPackage: folder {path.parent} does not exist")
    out: list[tuple[str, str, np.ndarray, dict[str, np.ndarray]]] = []
    for name, features in layers.items():
        by_type: dict[str, list[tuple[Any, dict]]] = {}
        for f in features:
            geom = shapely.geometry.shape(f["geometry"])
            kind = _GEOMETRY_KIND[geom.geom_type]
            by_type.setdefault(kind, []).append((geom, f.get("properties") or {}))
        for kind, items in by_type.items():
            geoms = [shapely.multipolygons([g]) if g.geom_type == "Polygon" else
                     shapely.multilinestrings([g]) if g.geom_type == "LineString" else g for g, _ in items] \
                if kind != "points" else [g for g, _ in items]
            keys = list(dict.fromkeys(k for _, p in items for k in p))
            fields = {k: _field_array([p.get(k) for _, p in items]) for k in keys}
            layer = name if len(by_type) == 1 else f"{name}_{kind}"
            out.append((layer, _OGR_TYPE[kind], np.array(geoms, object), fields))
    if not out:
        raise InputError(f"{path}: no features to write")
    return _write_layers(path, out, crs, ".layers-")


def _write_layers(path: Path, layers: list[tuple[str, str, np.ndarray, dict[str, np.ndarray]]], crs: str,
                  prefix: str) -> Path:
    """``(name, OGR geometry type, geometries, fields)`` layers into one GeoPackage, through a
    temporary file beside ``path`` (a failure leaves nothing half-written)."""
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".gpkg", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # GDAL creates the file itself
    try:
        for i, (layer, gtype, geoms, fields) in enumerate(layers):
            pyogrio.raw.write(tmp, shapely.to_wkb(geoms), list(fields.values()), list(fields), layer=layer,
                              driver="GPKG", geometry_type=gtype, crs=crs, append=i > 0)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write the GeoPackage ({exc})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


#: shapely geometry type -> the part of a layer it goes to, and that part's OGR type
_GEOMETRY_KIND = {"Point": "points", "MultiPoint": "points", "LineString": "lines", "MultiLineString": "lines",
                  "Polygon": "polygons", "MultiPolygon": "polygons"}
_OGR_TYPE = {"points": "Point", "lines": "MultiLineString", "polygons": "MultiPolygon"}
