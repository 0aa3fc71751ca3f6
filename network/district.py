"""A district model: spec + terrain + road network + facilities — generated, or read from real data.

There is one kind of district, whatever it is made from (docs/manifest.md, "One way in"):

* ``load_district()`` with no argument gives the illustrative Changjiang District model, and a
  district spec file (``network/data/changjiang.toml`` edited) gives another generated one. The
  first call generates it (a few seconds) and stores the arrays in a cache file keyed by the
  spec's content hash and the generator version; later calls load that file in well under a
  second. The file is a hashed :mod:`network.cache` entry, and its arrays are checked before
  use (:func:`_check_district_arrays`): a damaged or invalid file is deleted and regenerated.
* ``load_district("manifest.toml")`` reads a district from the planner's own files (OSM roads,
  population raster or census units, DEM, land cover, rivers and dikes, facilities, admin
  units): :func:`network.manifest.load_manifest` builds the same :class:`District` from them,
  with ``inputs`` saying what was read, what is missing and what fell back to a default.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from .cache import discard, read_entry, write_entry
from .district_model import District
from .district_spec import DistrictSpec, read_district_spec
from .elevation import add_elevation
from .geometry import PolylineIndex, points_in_polygon
from .model import RoadNetwork
from .projection import to_lonlat
from .raster import Raster
from .roadclass import RoadClass
from .roadgen import district_population, generate_roads
from .terrain import LandCover, Terrain, grid_for, make_terrain, surface_offset, xy_of

#: bump when the generator's output changes, so stale caches are regenerated
GENERATOR_VERSION = 3
ILLUSTRATIVE_NOTE_ZH = "示意模型：位置与路网为依据公开资料生成的近似，不代表真实数据"
ILLUSTRATIVE_NOTE_EN = "Illustrative model: locations and roads are generated approximations, not survey data"


def cache_dir() -> Path:
    """Where generated districts are cached (``$YINGJI_CACHE`` or ``~/.cache/yingji``)."""
    root = os.environ.get("YINGJI_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "yingji")
    return Path(root)


def _cache_path(digest: str) -> Path:
    """The cache file of a spec hash for this generator version."""
    return cache_dir() / f"district-{digest}-v{GENERATOR_VERSION}.npz"


def _build_network(spec: DistrictSpec, terrain: Terrain, rng: np.random.Generator) -> RoadNetwork:
    """The generated roads as a two-way network with zones, population and elevations, strongly connected."""
    crs = spec.district.crs
    xy, kind, edges = generate_roads(spec, terrain, rng)
    centres = xy_of([t.centre for t in spec.townships], crs)
    d2 = (xy[:, None, 0] - centres[None, :, 0]) ** 2 + (xy[:, None, 1] - centres[None, :, 1]) ** 2
    zone = np.argmin(d2, axis=1).astype(np.int32)
    inside = points_in_polygon(xy[:, 0], xy[:, 1], xy_of(spec.district.boundary, crs))
    zone[~inside] = -1
    river = PolylineIndex(xy_of(spec.river.course, crs))
    _, chainage = river.query(xy[:, 0], xy[:, 1])
    ground = terrain.dem.sample(xy[:, 0], xy[:, 1]) - surface_offset(spec, river, chainage)
    population = district_population(spec, xy, kind, zone, np.nan_to_num(ground, nan=-np.inf))
    lon, lat = to_lonlat(xy[:, 0], xy[:, 1], crs)
    a, b, cls = edges[:, 0], edges[:, 1], edges[:, 2]
    length = np.hypot(*(xy[a] - xy[b]).T)
    speed = np.array([RoadClass(int(c)).default_speed_kmh for c in range(len(RoadClass))])[cls]
    net = RoadNetwork.from_edges(
        x=xy[:, 0], y=xy[:, 1], lon=lon, lat=lat,
        u=np.concatenate([a, b]), v=np.concatenate([b, a]),
        length=np.concatenate([length, length]), speed_kmh=np.concatenate([speed, speed]),
        road_class=np.concatenate([cls, cls]), population=population, zone=zone, crs=crs,
        name=f"{spec.district.name_zh} / {spec.district.name_en}",
        zone_names=tuple((t.name_zh, t.name_en) for t in spec.townships),
        meta={"illustrative": True, "source": "built-in"},
    )
    net = add_elevation(net, terrain.dem, source="synthetic DEM")
    return net.largest_strongly_connected()


_NET_FIELDS = (
    "x", "y", "lon", "lat", "elevation", "population", "zone", "node_id", "indptr", "indices",
    "length", "speed_kmh", "road_class", "min_elevation", "rev_indptr", "rev_indices", "rev_edge",
)


def _save(path: Path, d: District) -> None:
    """Store a district's network and terrain arrays in one cache entry (atomic; :mod:`network.cache`)."""
    t = d.terrain
    arrays = {f"net_{k}": getattr(d.network, k) for k in _NET_FIELDS}
    arrays.update(
        dem=t.dem.values, landcover=t.landcover.values, canopy=t.canopy.values,
        grid=np.array([t.dem.x0, t.dem.y0, t.dem.cellsize]), dropped=np.array([d.network.dropped_nodes]),
    )
    write_entry(path, arrays, kind="district", info={"generator_version": GENERATOR_VERSION})


#: dtype of each node field and each edge field of a cached network (the CSR pointers are
#: int32 or int64, see ``_csr_fields`` in network/model.py)
_NODE_DTYPES = {
    "x": np.float64, "y": np.float64, "lon": np.float64, "lat": np.float64, "elevation": np.float64,
    "population": np.float64, "zone": np.int32, "node_id": np.int64,
}
_EDGE_DTYPES = {
    "indices": np.int32, "length": np.float64, "speed_kmh": np.float64, "road_class": np.int8,
    "min_elevation": np.float64, "rev_indices": np.int32, "rev_edge": np.int32,
}


class _BadCache(ValueError):
    """A cache entry whose arrays do not make a district."""


def _check_csr(name: str, indptr: np.ndarray, n: int, m: int) -> None:
    """Raise _BadCache unless ``indptr`` is a CSR pointer over ``n`` rows and ``m`` entries."""
    if indptr.dtype not in (np.int32, np.int64) or indptr.shape != (n + 1,):
        raise _BadCache(f"{name}: dtype {indptr.dtype} shape {indptr.shape}, expected int32/int64 ({n + 1},)")
    if indptr[0] != 0 or indptr[-1] != m or np.any(np.diff(indptr) < 0):
        raise _BadCache(f"{name}: not monotone from 0 to the edge count {m}")


def _check_district_arrays(arrays: dict[str, np.ndarray], spec: DistrictSpec) -> None:
    """Check a cache entry's arrays before any of them reaches a numba kernel.

    The content hash says the file is what a writer wrote; this says it is a district that the
    kernels can index safely: every field present with its dtype and shape, the forward and
    reverse CSR consistent (pointers monotone from 0 to the edge count, every node index in
    ``0..n_nodes-1``, ``rev_edge`` a permutation that maps the reverse CSR onto the forward
    one), coordinates and population finite, population ≥ 0, lengths finite and ≥ 0 and
    speeds finite and > 0 (the rules of ``RoadNetwork.from_edges``), road classes and zones in
    range, and the rasters on the grid the spec gives, with land-cover classes that exist.

    Raises
    ------
    _BadCache
        Naming the first field that is wrong.
    """
    need = [f"net_{k}" for k in _NET_FIELDS] + ["dem", "landcover", "canopy", "grid", "dropped"]
    missing = [k for k in need if k not in arrays]
    if missing:
        raise _BadCache(f"missing arrays {missing}")
    net = {k: arrays[f"net_{k}"] for k in _NET_FIELDS}
    n = net["x"].shape[0] if net["x"].ndim == 1 else -1
    m = net["indices"].shape[0] if net["indices"].ndim == 1 else -1
    if n < 1 or m < 1:
        raise _BadCache("no nodes or no edges")
    for fields, size in ((_NODE_DTYPES, n), (_EDGE_DTYPES, m)):
        for k, dtype in fields.items():
            a = net[k]
            if a.dtype != dtype or a.shape != (size,):
                raise _BadCache(f"{k}: dtype {a.dtype} shape {a.shape}, expected {np.dtype(dtype)} ({size},)")
    _check_csr("indptr", net["indptr"], n, m)
    _check_csr("rev_indptr", net["rev_indptr"], n, m)
    for k in ("indices", "rev_indices"):
        if net[k].min() < 0 or net[k].max() >= n:
            raise _BadCache(f"{k}: node index outside 0..{n - 1}")
    rev_edge = net["rev_edge"]
    if rev_edge.min() < 0 or rev_edge.max() >= m or np.bincount(rev_edge, minlength=m).max() != 1:
        raise _BadCache("rev_edge: not a permutation of the edges")
    tail = np.repeat(np.arange(n), np.diff(net["indptr"]))
    head = np.repeat(np.arange(n), np.diff(net["rev_indptr"]))
    if not (np.array_equal(tail[rev_edge], net["rev_indices"]) and np.array_equal(net["indices"][rev_edge], head)):
        raise _BadCache("the reverse CSR does not match the forward one")
    for k in ("x", "y", "lon", "lat", "population"):
        if not np.all(np.isfinite(net[k])):
            raise _BadCache(f"{k}: NaN or infinite values")
    if np.any(net["population"] < 0):
        raise _BadCache("population: negative values")
    if np.any(np.isinf(net["elevation"])) or np.any(np.isinf(net["min_elevation"])):
        raise _BadCache("elevation: infinite values")
    if not np.all(np.isfinite(net["length"]) & (net["length"] >= 0)):
        raise _BadCache("length: negative, NaN or infinite values")
    if not np.all(np.isfinite(net["speed_kmh"]) & (net["speed_kmh"] > 0)):
        raise _BadCache("speed_kmh: non-positive, NaN or infinite values")
    if net["road_class"].min() < min(RoadClass) or net["road_class"].max() > max(RoadClass):
        raise _BadCache("road_class: outside the road classes")
    if net["zone"].min() < -1 or net["zone"].max() >= len(spec.townships):
        raise _BadCache(f"zone: outside -1..{len(spec.townships) - 1}")
    dropped = arrays["dropped"]
    if dropped.shape != (1,) or dropped.dtype.kind not in "iu" or dropped[0] < 0:
        raise _BadCache("dropped: not one count ≥ 0")
    x0, y0, nrows, ncols, cs = grid_for(spec)
    grid = arrays["grid"]
    if grid.dtype != np.float64 or grid.shape != (3,) or not np.allclose(grid, [x0, y0, cs], rtol=0, atol=1e-6):
        raise _BadCache("grid: not the spec's raster grid")
    for k, dtype in (("dem", np.float64), ("landcover", np.int8), ("canopy", np.float64)):
        a = arrays[k]
        if a.dtype != dtype or a.shape != (nrows, ncols):
            raise _BadCache(f"{k}: dtype {a.dtype} shape {a.shape}, expected {np.dtype(dtype)} ({nrows}, {ncols})")
    if np.any(np.isinf(arrays["dem"])):
        raise _BadCache("dem: infinite values")
    if not np.all(np.isin(arrays["landcover"], [int(c) for c in LandCover])):
        raise _BadCache("landcover: unknown classes")
    canopy = arrays["canopy"]
    if np.any(canopy < 0) or np.any(canopy > 1):
        raise _BadCache("canopy: outside 0..1")


def _load(path: Path, spec: DistrictSpec) -> District | None:
    """A district from its cache entry and its spec, or None when the entry is missing,
    damaged (:func:`network.cache.read_entry`) or does not hold a valid district
    (:func:`_check_district_arrays`; such an entry is deleted with one line on stderr)."""
    entry = read_entry(path, kind="district")
    if entry is None:
        return None
    arrays = entry.arrays
    try:
        _check_district_arrays(arrays, spec)
    except _BadCache as exc:
        discard(path, f"not a valid district: {exc}")
        return None
    net_arrays = {k: arrays[f"net_{k}"] for k in _NET_FIELDS}
    for a in net_arrays.values():
        a.flags.writeable = False
    x0, y0, cs = (float(v) for v in arrays["grid"])
    crs = spec.district.crs
    terrain = Terrain(
        dem=Raster(arrays["dem"], x0, y0, cs, crs),
        landcover=Raster(arrays["landcover"], x0, y0, cs, crs),
        canopy=Raster(arrays["canopy"], x0, y0, cs, crs),
    )
    net = RoadNetwork(
        **net_arrays, crs=crs,
        name=f"{spec.district.name_zh} / {spec.district.name_en}",
        zone_names=tuple((t.name_zh, t.name_en) for t in spec.townships),
        dropped_nodes=int(arrays["dropped"][0]), meta={"illustrative": True, "source": "built-in"},
    )
    return District(spec=spec, terrain=terrain, network=net)


def generate_district(spec: DistrictSpec) -> District:
    """Generate terrain and roads from a spec (deterministic for the spec's seed).

    Parameters
    ----------
    spec : DistrictSpec
        The validated district description.

    Returns
    -------
    District
        Spec, terrain and the largest strongly connected road network, with elevations.
    """
    rng = np.random.default_rng(spec.district.seed)
    terrain = make_terrain(spec, rng)
    return District(spec=spec, terrain=terrain, network=_build_network(spec, terrain, rng))


@lru_cache(maxsize=4)
def _load_cached(path_key: str | None) -> District:
    """The district of a spec file from the cache, generated (and cached) when missing or damaged."""
    spec, digest = read_district_spec(path_key)
    cached = _cache_path(digest)
    district = _load(cached, spec)  # None: missing, damaged or invalid (deleted), regenerated below
    if district is not None:
        return district
    district = generate_district(spec)
    try:
        _save(cached, district)
    except OSError:
        pass  # a read-only home still gets a working (uncached) district
    return district


def load_district(path: str | Path | None = None) -> District:
    """The district described by a TOML file; ``None`` is the built-in Changjiang District.

    A spec file is generated: the first call for a spec generates the district (a few seconds)
    and caches its arrays in :func:`cache_dir`, keyed by the spec's content hash; later calls
    load the cache. A manifest (a TOML with a ``[roads]`` table) is read from its files by
    :func:`network.manifest.load_manifest`. Calls in the same process return the same object
    while the files are unchanged.

    Parameters
    ----------
    path : str or Path, optional
        A district spec file like ``network/data/changjiang.toml``, or a manifest.

    Returns
    -------
    District
        Spec, terrain, road network and facilities.

    Raises
    ------
    InputError
        When the file is missing, not TOML, or fails validation (the message names the
        field and the reason).
    """
    if path is not None:
        # deferred: a manifest's readers import rasterio and pyogrio, which generated districts do not need
        from .manifest import is_manifest, load_manifest

        if is_manifest(path):
            return load_manifest(path)
    return _load_cached(None if path is None else str(Path(path).resolve()))
