"""Load OpenStreetMap extracts (``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.pbf``) offline.

The result is the drivable road network as OSMnx builds it with ``network_type="drive"``
and ``simplify=False``: the same tag filter, the same one-way rules, every OSM node along a
way is a graph node, parallel edges are kept and lengths are great-circle distances. The
largest *weakly* connected component of that graph is the "drive graph"; by default only
its largest *strongly* connected component (the part where every node can reach every
other) is kept. Node ids are OSM node ids; coordinates are projected to the local UTM zone.
"""
from __future__ import annotations

import bz2
import gzip
import math
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from xml.etree.ElementTree import ParseError, iterparse

import numpy as np
import osmium
from scipy import sparse
from scipy.sparse import csgraph

from .errors import InputError, NetworkError
from .model import RoadNetwork
from .projection import haversine_m, to_projected, utm_crs_for
from .roadclass import OSM_HIGHWAY_CLASS, RoadClass

__all__ = [
    "load_osm",
    "is_drivable",
    "parse_maxspeed",
    "osm_file_format",
    "largest_component_mask",
    "check_keep",
    "OSM_SUFFIXES",
    "check_inflation",
]

# --- decompression guard ------------------------------------------------------------------
# libosmium inflates .bz2/.gz itself and would read a "bomb" (a few kB of bzip2 that expand to
# gigabytes of padding) to the end. OSM XML compresses about 10-20x with bzip2 and gzip, so a
# file that expands beyond both limits below is refused before libosmium sees it.
#: Refuse a compressed file whose content exceeds this many times its own size ...
MAX_INFLATE_RATIO = 100
#: ... and this many bytes (so small real extracts, whatever their ratio, always pass).
MAX_INFLATED_BYTES = 1 << 30
_OPENERS = {".bz2": bz2.open, ".gz": gzip.open}

# --- OSMnx 2.1 ``network_type="drive"`` filter --------------------------------------------
# OSMnx writes these as Overpass ``!~`` clauses, i.e. unanchored regex searches: a tag value
# is rejected when the pattern matches *anywhere* in it ("unknown" contains "no"), and a
# missing tag always passes. (``services`` in OSMnx's list is covered by ``service``.)
_REJECT = {
    "highway": re.compile(
        "abandoned|bridleway|bus_guideway|construction|corridor|cycleway|elevator|escalator|"
        "footway|no|path|pedestrian|planned|platform|proposed|raceway|razed|rest_area|service|steps|track"
    ),
    "area": re.compile("yes"),
    "access": re.compile("private"),  # OSMnx's settings.default_access
    "motor_vehicle": re.compile("no"),
    "motorcar": re.compile("no"),
    "service": re.compile("alley|driveway|emergency_access|parking|parking_aisle|private"),
}
# OSMnx's one-way rules (graph._is_path_one_way / _is_path_reversed). "T"/"F" come from the
# Geofabrik shapefile convention (F = forward, T = against the node order).
_ONEWAY_VALUES = frozenset({"yes", "true", "1", "-1", "reverse", "T", "F"})
_REVERSED_VALUES = frozenset({"-1", "reverse", "T"})

#: File name endings load_osm accepts, and the libosmium format string for each.
OSM_SUFFIXES: dict[str, str] = {
    ".osm": "osm",
    ".xml": "osm",
    ".osm.bz2": "osm.bz2",
    ".xml.bz2": "osm.bz2",
    ".osm.gz": "osm.gz",
    ".xml.gz": "osm.gz",
    ".pbf": "pbf",
    ".osm.pbf": "pbf",
}

_SPEED_RE = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(km/h|kmh|kph|mph|knots)?$", re.IGNORECASE)
_UNIT_TO_KMH = {None: 1.0, "km/h": 1.0, "kmh": 1.0, "kph": 1.0, "mph": 1.609344, "knots": 1.852}


def is_drivable(tags: Mapping[str, str]) -> bool:
    """True when a way with these tags is in OSMnx's ``drive`` network."""
    if "highway" not in tags:
        return False
    for key, pattern in _REJECT.items():
        value = tags.get(key)
        if value is not None and pattern.search(value):
            return False
    return True


def parse_maxspeed(value: str | None) -> float | None:
    """A ``maxspeed`` tag in km/h, or None when it gives no number.

    Accepts "50", "50 km/h", "30 mph", "10 knots" and lists ("50;70", or per-lane "50|70"),
    which give their mean. Symbolic values ("DE:urban", "none", "walk", "signals") give None,
    so the caller falls back to the road class's speed.
    """
    if not value:
        return None
    speeds = []
    for part in re.split(r"[;|]", value):
        m = _SPEED_RE.match(part.strip())
        if m is None:
            continue
        kmh = float(m.group(1).replace(",", ".")) * _UNIT_TO_KMH[m.group(2) and m.group(2).lower()]
        if 0 < kmh <= 300:  # 0 or absurd values would break travel times
            speeds.append(kmh)
    return float(np.mean(speeds)) if speeds else None


def osm_file_format(path: str | Path) -> str:
    """The libosmium format string for a file name.

    Parameters
    ----------
    path : str or Path
        A file name ending in one of :data:`OSM_SUFFIXES` (case ignored).

    Returns
    -------
    str
        ``"osm"``, ``"osm.bz2"``, ``"osm.gz"`` or ``"pbf"``.

    Raises
    ------
    InputError
        For an unknown ending.
    """
    name = Path(path).name.lower()
    for suffix in sorted(OSM_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return OSM_SUFFIXES[suffix]
    raise InputError(
        f"{path}: unknown OSM file extension; expected one of {', '.join(sorted(OSM_SUFFIXES))}"
    )


def check_inflation(path: Path, what: str = "file") -> None:
    """Refuse a ``.bz2``/``.gz`` file that inflates beyond the guard above; other files pass untouched.

    The file is decompressed once as a stream (1 MiB at a time, nothing kept), so the check
    costs a decompression and bounded memory.

    Raises
    ------
    InputError
        Naming the file: it inflates past :data:`MAX_INFLATE_RATIO` times its size and past
        :data:`MAX_INFLATED_BYTES`, or it is not valid bzip2/gzip (truncated or corrupt).
    """
    opener = _OPENERS.get(path.suffix.lower())
    if opener is None:
        return
    size = path.stat().st_size
    limit = max(MAX_INFLATE_RATIO * size, MAX_INFLATED_BYTES)
    total = 0
    try:
        with opener(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                total += len(chunk)
                if total > limit:
                    raise InputError(
                        f"{path}: refused as a likely decompression bomb: the {size:,}-byte compressed {what} "
                        f"inflates past {limit:,} bytes (the limit is {MAX_INFLATE_RATIO}x the file or "
                        f"{MAX_INFLATED_BYTES:,} bytes, whichever is larger)"
                    )
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        raise InputError(
            f"{path}: cannot read this compressed {what}; it is truncated, corrupt or not {path.suffix[1:]} ({exc})"
        ) from None


def _first_bad_location(path: Path, fmt: str) -> str | None:
    """The id of the first XML node whose lat or lon is not a finite number (None if none is found)."""
    if fmt == "pbf":
        return None
    opener = _OPENERS.get(path.suffix.lower(), open)
    try:
        with opener(path, "rb") as fh:
            root = None
            for event, elem in iterparse(fh, events=("start", "end")):
                if root is None:
                    root = elem
                if event == "start" and elem.tag == "node":
                    for key in ("lat", "lon"):
                        try:
                            ok = math.isfinite(float(elem.get(key, "")))
                        except ValueError:
                            ok = False
                        if not ok:
                            return elem.get("id", "?")
                elif event == "end" and elem.tag in ("node", "way", "relation"):
                    root.clear()  # keep memory flat
    except (OSError, EOFError, ValueError, zlib.error, ParseError):
        pass   # the file is damaged in another way: the reader's own error says how
    return None


@dataclass
class _DriveWays:
    """The drivable ways of a file, flattened: node refs of all ways end to end."""

    refs: np.ndarray  # OSM node id of every kept way node, way after way
    lon: np.ndarray
    lat: np.ndarray
    way: np.ndarray  # index (into the per-way arrays) of the way each ref belongs to
    forward: np.ndarray  # per way: edges along the node order
    backward: np.ndarray  # per way: edges against the node order
    speed_kmh: np.ndarray
    road_class: np.ndarray
    counts: dict[str, int]


def _way_class_and_speed(tags) -> tuple[int, float]:
    """A way's road class and speed: ``maxspeed`` if it gives a number, else the class's default."""
    highway = tags.get("highway")
    rc = OSM_HIGHWAY_CLASS.get(highway)
    if rc is None:  # e.g. "motorway;trunk" or an unusual value: try the first part
        rc = OSM_HIGHWAY_CLASS.get(highway.split(";")[0].strip(), RoadClass.LOCAL)
    speed = parse_maxspeed(tags.get("maxspeed"))
    return int(rc), speed if speed is not None else rc.default_speed_kmh


def _way_processor(path: Path, fmt: str) -> tuple[osmium.index.LocationTable, osmium.FileProcessor]:
    """A libosmium pass over the file's ways with node locations filled in, and the location index."""
    # libosmium keeps every node location in a C++ index and fills them into the ways, so
    # Python only ever sees ways. The index is a sorted array of (id, location) pairs of 16
    # bytes each, which also gives the raw node count for free (counting nodes in Python
    # would double the load time).
    locations = osmium.index.create_map("sparse_mem_array")
    processor = (
        osmium.FileProcessor(osmium.io.File(str(path), fmt), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations(locations)
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
    )
    return locations, processor


@dataclass
class _WayLists:
    """The drivable ways as read, in plain lists: node refs and locations end to end, per-way values."""

    refs: list[int] = field(default_factory=list)
    lons: list[float] = field(default_factory=list)
    lats: list[float] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)  # node refs of each way
    forward: list[bool] = field(default_factory=list)
    backward: list[bool] = field(default_factory=list)
    speeds: list[float] = field(default_factory=list)
    classes: list[int] = field(default_factory=list)
    raw_ways: int = 0
    highway_ways: int = 0
    drive_ways: int = 0


def _way_directions(tags) -> tuple[bool, bool]:
    """Whether a way has edges along its node order and against it (OSMnx's one-way rules)."""
    oneway = tags.get("oneway")
    one_way = oneway in _ONEWAY_VALUES or tags.get("junction") == "roundabout"
    reverse = one_way and oneway in _REVERSED_VALUES
    return not reverse, reverse or not one_way


def _add_way_nodes(way, w: _WayLists) -> None:
    """Append a way's node refs and their locations (NaN where the file lacks the node)."""
    nan = float("nan")
    refs, lons, lats = w.refs, w.lons, w.lats  # locals: this loop runs once per way node
    n_before = len(refs)
    for node in way.nodes:
        loc = node.location
        refs.append(node.ref)
        if loc.valid():
            lons.append(loc.lon)
            lats.append(loc.lat)
        else:  # not in the file (clipped extract), or a negative id: resolved later
            lons.append(nan)
            lats.append(nan)
    w.lengths.append(len(refs) - n_before)


def _collect_ways(processor: osmium.FileProcessor) -> _WayLists:
    """Go through the ways once: keep the nodes and direction, class and speed of each drivable one."""
    w = _WayLists()
    raw_ways = highway_ways = drive_ways = 0
    for way in processor:
        raw_ways += 1
        tags = way.tags
        if "highway" not in tags:
            continue
        highway_ways += 1
        if not is_drivable(tags):
            continue
        drive_ways += 1
        _add_way_nodes(way, w)
        forward, backward = _way_directions(tags)
        w.forward.append(forward)
        w.backward.append(backward)
        rc, speed = _way_class_and_speed(tags)
        w.classes.append(rc)
        w.speeds.append(speed)
    w.raw_ways, w.highway_ways, w.drive_ways = raw_ways, highway_ways, drive_ways
    return w


def _drop_unusable_refs(
    ref: np.ndarray, lon: np.ndarray, lat: np.ndarray, way_of: np.ndarray, n_ways: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Drop refs to absent nodes (counted), then repeats (as OSMnx does), then ways left with under two nodes."""
    found = ~np.isnan(lon)
    missing = int((~found).sum())
    ref, lon, lat, way_of = ref[found], lon[found], lat[found], way_of[found]
    repeat = np.zeros(len(ref), bool)
    repeat[1:] = (ref[1:] == ref[:-1]) & (way_of[1:] == way_of[:-1])
    ref, lon, lat, way_of = ref[~repeat], lon[~repeat], lat[~repeat], way_of[~repeat]
    long_enough = np.bincount(way_of, minlength=n_ways)[way_of] >= 2
    return ref[long_enough], lon[long_enough], lat[long_enough], way_of[long_enough], missing


def _read_drive_ways(path: Path, fmt: str) -> _DriveWays:
    """The drivable ways of an OSM file, in one pass over it (a second only for negative node ids)."""
    locations, processor = _way_processor(path, fmt)
    w = _collect_ways(processor)
    ref = np.array(w.refs, np.int64)
    lon = np.array(w.lons, np.float64)
    lat = np.array(w.lats, np.float64)
    way_of = np.repeat(np.arange(len(w.lengths)), w.lengths)
    if np.any(np.isnan(lon) & (ref < 0)):
        _resolve_negative_ids(path, fmt, ref, lon, lat)
    ref, lon, lat, way_of, missing = _drop_unusable_refs(ref, lon, lat, way_of, len(w.lengths))
    counts = {
        "raw_nodes": locations.used_memory() // 16,  # nodes with a positive id
        "raw_ways": w.raw_ways,
        "highway_ways": w.highway_ways,
        "drive_ways": w.drive_ways,
        "missing_node_refs": missing,
    }
    return _DriveWays(
        refs=ref,
        lon=lon,
        lat=lat,
        way=way_of,
        forward=np.array(w.forward, bool),
        backward=np.array(w.backward, bool),
        speed_kmh=np.array(w.speeds, np.float64),
        road_class=np.array(w.classes, np.int8),
        counts=counts,
    )


def _resolve_negative_ids(path: Path, fmt: str, ref: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> None:
    """Fill in locations of nodes with negative ids (new objects in a JOSM file, which the
    location index cannot hold). A second, slower pass, only run for such files."""
    wanted = set(ref[np.isnan(lon) & (ref < 0)].tolist())
    found: dict[int, tuple[float, float]] = {}
    for node in osmium.FileProcessor(osmium.io.File(str(path), fmt), osmium.osm.NODE):
        if node.id < 0 and node.id in wanted and node.location.valid():
            found[node.id] = (node.location.lon, node.location.lat)
    for i in np.flatnonzero(np.isnan(lon) & (ref < 0)):
        lon[i], lat[i] = found.get(int(ref[i]), (np.nan, np.nan))


def largest_component_mask(n: int, u: np.ndarray, v: np.ndarray, *, strong: bool) -> np.ndarray:
    """Boolean mask over ``n`` nodes of the largest strongly or weakly connected component
    of the directed graph with edges ``u[i] -> v[i]`` (node positions)."""
    g = sparse.csr_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    _, labels = csgraph.connected_components(g, directed=True, connection="strong" if strong else "weak")
    return labels == np.argmax(np.bincount(labels))


def check_keep(keep: str) -> None:
    """Raise :class:`InputError` unless ``keep`` names a component the loaders keep ("scc" or "wcc")."""
    if keep not in ("scc", "wcc"):
        raise InputError(f"keep must be 'scc' or 'wcc', not {keep!r}")


def _check_request(path: Path, keep: str) -> str:
    """Reject a bad ``keep``, an unknown file ending or a missing file; returns the libosmium format."""
    check_keep(keep)
    fmt = osm_file_format(path)
    if not path.is_file():
        raise InputError(f"{path}: OSM file not found")
    return fmt


def _usable_drive_ways(path: Path, fmt: str) -> _DriveWays:
    """The file's drivable ways; InputError when it cannot be read or has no drivable way with nodes."""
    check_inflation(path, f"{fmt} file")
    try:
        ways = _read_drive_ways(path, fmt)
    except osmium.InvalidLocationError as exc:  # e.g. lat="abc": libosmium does not say which node
        node = _first_bad_location(path, fmt)
        where = f"node {node}: " if node is not None else ""
        raise InputError(f"{path}: {where}invalid node coordinate ({exc})") from None
    except (RuntimeError, OSError, ValueError) as exc:  # libosmium: RuntimeError for bad data
        raise InputError(
            f"{path}: cannot read this {fmt} file; it is truncated, corrupt or not OSM data ({exc})"
        ) from None
    counts = ways.counts
    if counts["drive_ways"] == 0:
        raise InputError(
            f"{path}: no drivable road: {counts['raw_ways']} ways, {counts['highway_ways']} with a "
            "highway tag, none open to cars"
        )
    if len(ways.refs) == 0:
        raise InputError(
            f"{path}: the {counts['drive_ways']} drivable ways reference no nodes that are in the file "
            "(a clipped extract without its nodes?)"
        )
    return ways


def _way_edges(ways: _DriveWays) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Edges between consecutive nodes of a way (ends as positions in the ref list), their way and length."""
    seg = np.flatnonzero(ways.way[:-1] == ways.way[1:])
    seg_way = ways.way[seg]
    fw, bw = ways.forward[seg_way], ways.backward[seg_way]
    a = np.concatenate([seg[fw], seg[bw] + 1])
    b = np.concatenate([seg[fw] + 1, seg[bw]])
    edge_way = np.concatenate([seg_way[fw], seg_way[bw]])
    length = haversine_m(ways.lon[a], ways.lat[a], ways.lon[b], ways.lat[b])
    return a, b, edge_way, length


def _drive_and_scc(n: int, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Node and edge masks of the drive graph (largest weak component) and of its largest strong component."""
    drive = largest_component_mask(n, u, v, strong=False)
    in_drive = drive[u]  # both ends are in the same component
    scc = drive & largest_component_mask(n, u[in_drive], v[in_drive], strong=True)
    in_scc = scc[u] & scc[v]
    return drive, in_drive, scc, in_scc


def load_osm(
    path: str | Path,
    *,
    keep: Literal["scc", "wcc"] = "scc",
    name: str | None = None,
) -> RoadNetwork:
    """Read an OSM file into the drivable :class:`RoadNetwork` (see the module docstring).

    Parameters
    ----------
    path : str or Path
        An OpenStreetMap extract: ``.osm``/``.xml``, optionally ``.bz2``/``.gz`` compressed,
        or ``.pbf``/``.osm.pbf``.
    keep : {"scc", "wcc"}
        ``"scc"`` (default) keeps the largest strongly connected component of the drive graph
        and counts the other drive-graph nodes in ``dropped_nodes``; ``"wcc"`` returns the
        whole drive graph.
    name : str, optional
        Name of the network; default the file name without its OSM suffix.

    Returns
    -------
    RoadNetwork
        Node ids are OSM node ids; x/y are in the local UTM zone of the drive graph.
        ``meta`` holds the counts along the way (raw nodes/ways, highway ways, missing node
        references, drive graph nodes/edges/km, SCC nodes/edges).

    Raises
    ------
    InputError
        For a bad ``keep``, and, naming the file and the problem, for an unknown file
        ending, a missing, unreadable or corrupt file, a ``.bz2``/``.gz`` that inflates like a
        decompression bomb (:func:`check_inflation`), a node coordinate that is not a number
        (naming the node), a file without a drivable road or
        without the nodes of its roads, a graph without a strongly connected edge (with
        ``keep="scc"``) or invalid edge values.
    """
    path = Path(path)
    fmt = _check_request(path, keep)
    ways = _usable_drive_ways(path, fmt)
    a, b, edge_way, length = _way_edges(ways)
    ids, first, inverse = np.unique(ways.refs, return_index=True, return_inverse=True)
    lon, lat = ways.lon[first], ways.lat[first]
    u, v = inverse[a], inverse[b]
    drive, in_drive, scc, in_scc = _drive_and_scc(len(ids), u, v)
    counts = ways.counts
    counts.update(
        graph_nodes=len(ids),
        graph_edges=len(u),
        drive_nodes=int(drive.sum()),
        drive_edges=int(in_drive.sum()),
        drive_km=float(length[in_drive].sum()) / 1000.0,
        scc_nodes=int(scc.sum()),
        scc_edges=int(in_scc.sum()),
    )
    keep_nodes, keep_edges = (scc, in_scc) if keep == "scc" else (drive, in_drive)
    if not keep_edges.any():
        raise InputError(
            f"{path}: the road graph has no strongly connected part with an edge "
            "(every road is one-way with no way back); use keep='wcc' to load it anyway"
        )
    # The CRS is chosen on the drive graph, so keep="scc" and keep="wcc" share it.
    crs = utm_crs_for(float(lon[drive].mean()), float(lat[drive].mean()))
    pos = np.cumsum(keep_nodes) - 1  # old node position -> new one
    x, y = to_projected(lon[keep_nodes], lat[keep_nodes], crs)
    meta = {"source": str(path), "format": fmt, "keep": keep, **counts}
    try:
        return RoadNetwork.from_edges(
            x=x, y=y, lon=lon[keep_nodes], lat=lat[keep_nodes],
            node_id=ids[keep_nodes],
            u=pos[u[keep_edges]], v=pos[v[keep_edges]],
            length=length[keep_edges],
            speed_kmh=ways.speed_kmh[edge_way[keep_edges]],
            road_class=ways.road_class[edge_way[keep_edges]],
            crs=crs,
            name=name or _stem(path),
            dropped_nodes=counts["drive_nodes"] - int(keep_nodes.sum()),
            meta=meta,
        )
    except NetworkError as exc:
        raise InputError(f"{path}: {exc}") from None


def _stem(path: Path) -> str:
    """The file name without its OSM suffix (the default network name)."""
    name = path.name
    for suffix in sorted(OSM_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name
