"""A district model: spec + terrain + road network + facilities — generated, or read from real data.

There is one kind of district, whatever it is made from (docs/manifest.md, "One way in"):

* ``load_district()`` with no argument gives the illustrative Changjiang District model, and a
  district spec file (``network/data/changjiang.toml`` edited) gives another generated one. The
  first call generates it (a few seconds) and stores the arrays in a cache file keyed by the
  spec's content hash and the generator version; later calls load that file in well under a
  second.
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

from .district_model import District
from .district_spec import DistrictSpec, read_district_spec
from .elevation import add_elevation
from .geometry import PolylineIndex, points_in_polygon
from .model import RoadNetwork
from .projection import to_lonlat
from .raster import Raster
from .roadclass import RoadClass
from .roadgen import district_population, generate_roads
from .terrain import Terrain, make_terrain, surface_offset, xy_of

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
    """Store a district's network and terrain arrays in one .npz cache file, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = d.terrain
    arrays = {f"net_{k}": getattr(d.network, k) for k in _NET_FIELDS}
    grid = np.array([t.dem.x0, t.dem.y0, t.dem.cellsize])
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez(
        tmp, **arrays, dem=t.dem.values, landcover=t.landcover.values, canopy=t.canopy.values, grid=grid,
        dropped=np.array([d.network.dropped_nodes]),
    )
    os.replace(tmp, path)  # atomic: a concurrent reader never sees half a file


def _load(path: Path, spec: DistrictSpec) -> District:
    """A district from its cache file and its spec."""
    with np.load(path) as z:
        arrays = {k: z[f"net_{k}"] for k in _NET_FIELDS}
        for a in arrays.values():
            a.flags.writeable = False
        x0, y0, cs = z["grid"]
        crs = spec.district.crs
        terrain = Terrain(
            dem=Raster(z["dem"], x0, y0, cs, crs),
            landcover=Raster(z["landcover"], x0, y0, cs, crs),
            canopy=Raster(z["canopy"], x0, y0, cs, crs),
        )
        dropped = int(z["dropped"][0])
    net = RoadNetwork(
        **arrays, crs=spec.district.crs,
        name=f"{spec.district.name_zh} / {spec.district.name_en}",
        zone_names=tuple((t.name_zh, t.name_en) for t in spec.townships),
        dropped_nodes=dropped, meta={"illustrative": True, "source": "built-in"},
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
    if cached.exists():
        try:
            return _load(cached, spec)
        except (OSError, KeyError, ValueError):
            pass  # a damaged cache file is regenerated below
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
