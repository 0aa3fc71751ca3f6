"""A district from real data: a manifest (TOML) naming the planner's own files.

::

    [district]
    name_zh = "某区"                   # or name = "..."; name_en optional
    [roads]
    file = "roads.osm.pbf"            # OSM .pbf/.osm/.osm.bz2 or GraphML
    [population]
    raster = "pop.tif"                # GeoTIFF of people per cell (WorldPop, GHS-POP), any CRS
    # or: polygons = "units.gpkg" and field = "pop"   (census units)
    [terrain]
    dem = "dem.tif"                   # GeoTIFF elevation in metres, any CRS
    [landcover]
    raster = "worldcover.tif"         # class codes (ESA WorldCover by default), mapped to fuels and roughness
    [water]
    rivers = "river.geojson"          # the river's centreline; channel_width_m; [water.gauge]; dikes
    [facilities]
    file = "facilities.geojson"       # or a CSV with lon, lat
    [admin]
    units = "townships.geojson"       # polygons with a name, for reporting
    name_field = "name"

Every part but ``[roads]`` is optional, with a stated fallback: no population means every
people indicator is "not applicable" (said in the check and in every run); no DEM means no
elevations and no flood or fire; no land cover means no fire; no water means no flood; no
facilities means no ``existing`` plan; no admin units means one zone. Paths are relative to the
manifest. :func:`load_manifest` reads it all into a :class:`network.district.District` — the
same object the built-in model is — so every scenario, plan and report takes one path: people
allocated to road nodes (the part out of reach reported), elevations from the DEM, zones from
the admin units, facilities snapped to the network (the snap distance reported, a facility
farther than ``snap_max_m`` refused). The full format is in docs/manifest.md.
"""
from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy import ndimage
from scipy.spatial import ConvexHull

from .district_model import District
from .district_spec import DistrictSpec, ReliefCraftSpec, SupplySourceSpec, format_validation_error
from .elevation import add_elevation
from .checks import parse_toml, read_text_file
from .errors import InputError, at_field
from .geodata import raster_to_grid, read_layer, read_raster
from .gpkg import road_segments
from .landcover import canopy_from_classes, canopy_from_percent, class_table, reclassify
from .manifest_sites import Site, read_sites, spec_facilities
from .manifest_water import WaterSection, channel_mask, read_water
from .model import RoadNetwork
from .population import Allocation, allocate_polygons, allocate_raster, zones_from_units
from .raster import Raster
from .road_files import load_road_file
from .terrain import LandCover, Terrain

#: township kinds an admin unit may have (its ``kind_field``); they set the shares of people who
#: stay with relatives, leave by car or stay upstairs (docs/references/hazards.md §6.5)
TOWNSHIP_KINDS = ("subdistrict", "town", "township")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _District(_Strict):
    name: str | None = None
    name_zh: str | None = None
    name_en: str | None = None

    @model_validator(mode="after")
    def _named(self):
        if not (self.name or self.name_zh or self.name_en):
            raise ValueError("give name (or name_zh / name_en)")
        return self


class _Roads(_Strict):
    file: str


class _Population(_Strict):
    raster: str | None = None
    polygons: str | None = None
    field: str | None = None
    reach_m: float = Field(1000.0, gt=0, le=20000)

    @model_validator(mode="after")
    def _one(self):
        if (self.raster is None) == (self.polygons is None):
            raise ValueError("give exactly one of raster or polygons")
        if self.polygons is not None and not self.field:
            raise ValueError("polygons need field = the name of the people count")
        return self


class _Terrain(_Strict):
    dem: str
    cell_m: float = Field(30.0, gt=0, le=1000)


class _Facilities(_Strict):
    file: str
    snap_max_m: float = Field(2000.0, gt=0)


class _Admin(_Strict):
    units: str
    name_field: str = "name"
    name_en_field: str | None = None     # an English name beside name_field's (default: the same)
    kind_field: str | None = None


class _Forests(_Strict):
    file: str                        # named forest areas (polygons with id, name): where fires start, drills name


class _Landcover(_Strict):
    raster: str
    classes: str | dict[str, str] = "worldcover"
    canopy: str | None = None        # tree cover in percent (e.g. GLAD / Hansen), optional


class ManifestSpec(_Strict):
    """The manifest's parts (see the module notes)."""

    district: _District
    roads: _Roads
    population: _Population | None = None
    terrain: _Terrain | None = None
    landcover: _Landcover | None = None
    water: WaterSection | None = None
    facilities: _Facilities | None = None
    admin: _Admin | None = None
    forests: _Forests | None = None
    supply_sources: list[SupplySourceSpec] = []
    relief_craft: list[ReliefCraftSpec] = []
    costs: dict[str, Any] = {}


@dataclass(frozen=True, eq=False)
class DistrictInputs:
    """What a district read from a manifest was made of: the files, where the people went,
    the facilities with their snap distances, and what is missing or fell back to a default."""

    source: str
    population: Allocation | None
    sites: tuple[Site, ...]
    missing: tuple[str, ...]
    fallbacks: tuple[str, ...]
    parts: frozenset[str] = frozenset()     # the manifest's sections that named files (roads, landcover, ...)


def summary(district: District) -> dict[str, Any]:
    """What ``yingji district check`` prints: size, people, facilities, snaps, gaps."""
    net = district.network
    inputs: DistrictInputs | None = district.inputs
    pop = inputs.population if inputs else None
    sites = inputs.sites if inputs else ()
    kinds: dict[str, int] = {}
    for s in sites:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    spec = district.spec
    return {
        "manifest": inputs.source if inputs else "", "name_zh": spec.district.name_zh, "name_en": spec.district.name_en,
        "nodes": int(net.n_nodes), "edges": int(net.n_edges),
        "road_km": round(float(np.sum(net.length[road_segments(net)[0]])) / 1000.0, 3),  # two-way roads once
        "population": round(pop.allocated, 1) if pop else 0.0,
        "population_unallocated": round(pop.unallocated, 1) if pop else 0.0,
        "population_note": pop.note if pop else "",
        "facilities": kinds,
        "max_snap_m": round(max((s.snap_m for s in sites), default=0.0), 1),
        "zones": [list(z) for z in net.zone_names],
        "elevation": district.terrain is not None,
        "landcover": inputs is not None and "landcover" in inputs.parts,
        "river": spec.river.name_en if spec.river else None,
        "dikes": [d.id for d in spec.dikes],
        "hazards": hazards_possible(district),
        "missing": list(inputs.missing) if inputs else [], "fallbacks": list(inputs.fallbacks) if inputs else [],
    }


def hazards_possible(district: District) -> list[str]:
    """The hazard kinds the district has what it takes for (chemical needs roads only)."""
    out = []
    if district.terrain is not None and district.spec.river is not None:
        out.append("flood")
    if district.terrain is not None and np.isin(district.terrain.landcover.values,
                                                [int(LandCover.FOREST_CONIFER), int(LandCover.FOREST_BROADLEAF),
                                                 int(LandCover.SHRUB)]).any():
        out.append("fire")
    return out + ["chemical"]


def is_manifest(path: str | Path) -> bool:
    """True when the TOML file is a manifest (a ``[roads]`` table), not a district spec (whose
    roads are an array of tables)."""
    try:
        return isinstance(tomllib.loads(Path(path).read_text(encoding="utf-8")).get("roads"), dict)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
        return False


def read_manifest(path: str | Path) -> ManifestSpec:
    """The validated manifest; :class:`InputError` naming the file and field otherwise."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: manifest not found")
    raw = parse_toml(read_text_file(p, "a district manifest (TOML)"), str(p))
    try:
        return ManifestSpec.model_validate(raw)
    except ValidationError as exc:
        raise InputError(format_validation_error(exc, str(p)).splitlines()[0].replace("Value error, ", "")) from None


def load_manifest(path: str | Path) -> District:
    """Read a manifest and every file it names into a district model (see the module notes).

    The same process gets the same object back while the manifest and its files are unchanged.

    Raises
    ------
    InputError
        One line naming the file and the problem: a missing file, a raster or layer without
        a CRS or with one that contradicts its coordinates, a layer with no features, a
        facility farther than ``snap_max_m`` from every road, a bad field.
    """
    p = Path(path).resolve()
    spec = read_manifest(p)
    files = [_file(p, rel, where) for where, rel in _named_files(spec)]
    return _load(str(p), tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in [p, *files]))


def _named_files(spec: ManifestSpec) -> list[tuple[str, str]]:
    """(field, relative path) of every file the manifest names."""
    out = [("roads.file", spec.roads.file)]
    if spec.population:
        out.append(("population.raster", spec.population.raster) if spec.population.raster
                   else ("population.polygons", spec.population.polygons))
    if spec.terrain:
        out.append(("terrain.dem", spec.terrain.dem))
    if spec.landcover:
        out.append(("landcover.raster", spec.landcover.raster))
        if spec.landcover.canopy:
            out.append(("landcover.canopy", spec.landcover.canopy))
    if spec.water:
        out.append(("water.rivers", spec.water.rivers))
        if spec.water.dikes:
            out.append(("water.dikes", spec.water.dikes))
    if spec.facilities:
        out.append(("facilities.file", spec.facilities.file))
    if spec.admin:
        out.append(("admin.units", spec.admin.units))
    if spec.forests:
        out.append(("forests.file", spec.forests.file))
    return out


def _file(manifest: Path, rel: str, where: str) -> Path:
    f = Path(rel).expanduser()
    f = f if f.is_absolute() else manifest.parent / f
    if not f.exists():
        raise InputError(f"{manifest}: {where}: file not found: {f}")
    return f


@lru_cache(maxsize=4)
def _load(path: str, _signature: tuple) -> District:
    """The district of a manifest (``_signature``, the files' sizes and times, keys the cache)."""
    p = Path(path)
    spec = read_manifest(p)
    missing: list[str] = []
    fallbacks: list[str] = []

    def file(rel: str, where: str) -> Path:
        return _file(p, rel, where)

    roads = file(spec.roads.file, "roads.file")
    with at_field(f"{p}: roads.file"):
        net = load_road_file(roads)
    kinds: list[str] = []
    if spec.admin is not None:
        units_file = file(spec.admin.units, "admin.units")
        with at_field(f"{p}: admin.units"):
            units = read_layer(units_file, what="admin units", crs=net.crs)
        zone, names = zones_from_units(net, units, spec.admin.name_field)
        kinds = _unit_kinds(units, spec.admin, names, fallbacks)
        net = net.with_node_values(zone=zone)
        zone_names = tuple(zip(names, _english_names(units, spec.admin, names)))
    else:
        missing.append("admin: no admin units — the whole network is one zone in reports")
        net = net.with_node_values(zone=np.zeros(net.n_nodes, np.int64))
        zone_names = ((_name(spec, "zh"), _name(spec, "en")),)
        kinds = ["town"]
        fallbacks.append("admin: the one zone is taken as a town for the shares who stay with relatives, "
                         "leave by car or stay upstairs")
    alloc = _population(spec, net, file, missing)
    if alloc is not None:
        net = net.with_node_values(population=alloc.people)
    terrain = None
    if spec.terrain is not None:
        dem_file = file(spec.terrain.dem, "terrain.dem")
        with at_field(f"{p}: terrain.dem"):
            dem = _dem(dem_file, net, spec.terrain.cell_m)
        net = add_elevation(net, dem, source=spec.terrain.dem)
        terrain = _terrain(spec, dem, file, missing, fallbacks, p)
    else:
        missing.append("terrain: no DEM — nodes have no elevation; flood and fire need one")
        for part in ("landcover", "water"):
            if getattr(spec, part) is not None:
                raise InputError(f"{p}: {part}: needs [terrain] dem (the model grid and the ground)")
    river, dikes = None, []
    if spec.water is not None and terrain is not None:
        water = read_water(spec.water, file(spec.water.rivers, "water.rivers"),
                           file(spec.water.dikes, "water.dikes") if spec.water.dikes else None, terrain.dem, net.crs,
                           str(p))
        river, dikes = water.river, water.dikes
        fallbacks.extend(water.notes)
        terrain = _with_channel(terrain, river)
        if not (river.gauge.stage_frequency or river.gauge.discharge_frequency):
            fallbacks.append("water: the gauge has no stage_frequency or discharge_frequency — floods need a "
                             "hydrograph file in the scenario")
    elif spec.water is None:
        missing.append("water: no river — no flood scenario")
    sites: tuple[Site, ...] = ()
    if spec.facilities is not None:
        sites_file = file(spec.facilities.file, "facilities.file")
        with at_field(f"{p}: facilities.file"):
            sites = read_sites(sites_file, net, snap_max_m=spec.facilities.snap_max_m)
        if not any(s.kind == "shelter" for s in sites):
            fallbacks.append("facilities: no shelter — nobody can be sheltered in the existing plan")
    else:
        missing.append("facilities: no facilities file — no existing plan (a plan file must name the sites)")
    name_zh, name_en = _name(spec, "zh"), _name(spec, "en")
    net = replace(net, name=name_en if name_zh == name_en else f"{name_zh} / {name_en}", zone_names=zone_names,
                  meta={**net.meta, "manifest": str(p), "illustrative": False})
    facilities, shelters = spec_facilities(sites)
    try:
        district_spec = DistrictSpec.model_validate({
            "district": _info(net, name_zh, name_en),
            "townships": _townships(net, zone_names, kinds),
            "river": river, "dikes": dikes, "facilities": facilities, "shelters": shelters,
            "forests": _forests(file(spec.forests.file, "forests.file")) if spec.forests else [],
            "supply_sources": spec.supply_sources, "relief_craft": spec.relief_craft, "costs": spec.costs,
        })
    except ValidationError as exc:
        raise InputError(format_validation_error(exc, str(p)).splitlines()[0].replace("Value error, ", "")) from None
    parts = frozenset(where.split(".")[0] for where, _ in _named_files(spec))
    inputs = DistrictInputs(str(p), alloc, sites, tuple(missing), tuple(fallbacks), parts)
    return District(spec=district_spec, terrain=terrain, network=net, inputs=inputs)


def _name(spec: ManifestSpec, lang: str) -> str:
    d = spec.district
    return (d.name_zh if lang == "zh" else d.name_en) or d.name or d.name_zh or d.name_en or ""


def _unit_kinds(units, admin: _Admin, names: list[str], fallbacks: list[str]) -> list[str]:
    """The township kind of each zone (its first unit's ``kind_field``; town without one)."""
    if admin.kind_field is None:
        fallbacks.append("admin: no kind_field — every unit is taken as a town for the shares who stay with "
                         "relatives, leave by car or stay upstairs")
        return ["town"] * len(names)
    for i, k in enumerate(_field_of(units, admin.kind_field, "admin.kind_field")):
        if str(k).strip().lower() not in TOWNSHIP_KINDS:
            raise InputError(f"{units.source}: feature {i}: {admin.kind_field}: expected one of "
                             f"{', '.join(TOWNSHIP_KINDS)}, found {k!r}")
    kinds = _per_zone(units, admin, names, admin.kind_field)
    return [str(k).strip().lower() for k in kinds]


def _english_names(units, admin: _Admin, names: list[str]) -> list[str]:
    """Each zone's English name (its first unit's ``name_en_field``), or its name."""
    if admin.name_en_field is None:
        return list(names)
    _field_of(units, admin.name_en_field, "admin.name_en_field")
    return [str(en) if en else n for n, en in zip(names, _per_zone(units, admin, names, admin.name_en_field))]


def _field_of(units, field: str, where: str) -> np.ndarray:
    """A field of the admin units, or one line naming it and the fields there are."""
    if field not in units.fields:
        raise InputError(f"{units.source}: no field {field!r} ({where}; fields there: {sorted(units.fields)})")
    return units.fields[field]


def _per_zone(units, admin: _Admin, names: list[str], field: str) -> list[Any]:
    """``field`` of the first unit of each zone name (the units sharing a name are one zone)."""
    first: dict[str, Any] = {}
    for i, (n, v) in enumerate(zip(units.fields[admin.name_field], units.fields[field])):
        first.setdefault(f"unit {i}" if n is None else str(n), v)
    return [first[n] for n in names]


def _forests(path: Path) -> list[dict[str, Any]]:
    """Named forest areas from a polygon layer (``id``, ``name`` or ``name_zh``/``name_en``)."""
    layer = read_layer(path, what="forests", crs="EPSG:4326")
    f = layer.fields
    out = []
    for i, geom in enumerate(layer.geometry):
        if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise InputError(f"{path}: feature {i}: a forest area is a polygon")
        poly = max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)

        def get(name: str) -> str:
            return str(f[name][i]) if name in f and f[name][i] is not None else ""

        fid = get("id") or f"forest-{i}"
        out.append({"id": fid, "name_zh": get("name_zh") or get("name") or fid,
                    "name_en": get("name_en") or get("name") or fid,
                    "polygon": [tuple(p) for p in np.asarray(poly.exterior.coords)[:-1, :2].tolist()]})
    return out


def _info(net: RoadNetwork, name_zh: str, name_en: str) -> dict[str, Any]:
    """The district's identity: names, CRS, box and outline (the road nodes' convex hull)."""
    pts = np.column_stack([net.lon, net.lat])
    hull = pts[ConvexHull(pts).vertices] if len(pts) >= 3 else np.array([pts[0]] * 3)
    return {"name_zh": name_zh, "name_en": name_en, "crs": net.crs,
            "bbox": (float(net.lon.min()), float(net.lat.min()), float(net.lon.max()), float(net.lat.max())),
            "boundary": [tuple(p) for p in hull.tolist()],
            "population_note": "allocated to road nodes from the manifest's population layer"}


def _townships(net: RoadNetwork, zone_names: tuple[tuple[str, str], ...], kinds: list[str]) -> list[dict[str, Any]]:
    """A township per zone: its people, centre (the mean of its nodes) and spread."""
    out, used = [], set()
    for z, ((zh, en), kind) in enumerate(zip(zone_names, kinds)):
        inside = net.zone == z
        lon = float(net.lon[inside].mean()) if inside.any() else float(net.lon.mean())
        lat = float(net.lat[inside].mean()) if inside.any() else float(net.lat.mean())
        spread = float(np.hypot(net.x[inside] - net.x[inside].mean(), net.y[inside] - net.y[inside].mean()).max()) \
            if inside.sum() > 1 else 500.0
        tid = re.sub(r"[^0-9a-z]+", "-", en.lower()).strip("-") or f"zone-{z}"
        tid = tid if tid not in used else f"{tid}-{z}"
        used.add(tid)
        out.append({"id": tid, "name_zh": zh, "name_en": en, "kind": kind, "centre": (lon, lat),
                    "population": int(round(float(net.population[inside].sum()))), "urban_radius_m": max(spread, 1.0)})
    return out


def _population(spec: ManifestSpec, net: RoadNetwork, file, missing: list[str]) -> Allocation | None:
    pop = spec.population
    if pop is None:
        missing.append("population: no population layer — every people indicator is not applicable")
        return None
    if pop.raster is not None:
        return allocate_raster(net, read_raster(file(pop.raster, "population.raster"), what="population raster"),
                               reach_m=pop.reach_m)
    units = read_layer(file(pop.polygons, "population.polygons"), what="census units")
    return allocate_polygons(net, units, pop.field, reach_m=pop.reach_m)


def _dem(path: Path, net: RoadNetwork, cell_m: float) -> Raster:
    """The DEM on a grid in the network's CRS that covers every node (bilinear)."""
    src = read_raster(path, what="DEM")
    pad = 3 * cell_m
    x0, y0 = math.floor((net.x.min() - pad) / cell_m) * cell_m, math.floor((net.y.min() - pad) / cell_m) * cell_m
    ncols = int(math.ceil((net.x.max() + pad - x0) / cell_m))
    nrows = int(math.ceil((net.y.max() + pad - y0) / cell_m))
    like = Raster(np.zeros((nrows, ncols)), x0, y0, cell_m, net.crs)
    dem = raster_to_grid(src, like, resampling="bilinear")
    inside = dem.covers(net.x, net.y)
    if not inside.all():
        raise InputError(f"{path}: the DEM does not cover {int((~inside).sum()):,} of the {net.n_nodes:,} road nodes "
                         "(or has no data there)")
    # the grid's margin beyond the file's edge takes the nearest height, so a node at the edge
    # still has four neighbours to interpolate between
    missing = ~np.isfinite(dem.values)
    if missing.any():
        rows, cols = ndimage.distance_transform_edt(missing, return_distances=False, return_indices=True)
        dem = dem.like(dem.values[rows, cols])
    return dem


def _terrain(spec: ManifestSpec, dem: Raster, file, missing: list[str], fallbacks: list[str], manifest: Path) -> Terrain:
    """Land cover and canopy on the DEM's grid: the manifest's, or farmland everywhere without."""
    lc_spec = spec.landcover
    if lc_spec is None:
        missing.append("landcover: no land cover — no fuels, so no fire; the flood takes farmland roughness")
        lc = dem.like(np.full(dem.shape, float(LandCover.FARMLAND)))
        return Terrain(dem=dem, landcover=lc, canopy=canopy_from_classes(lc))
    path = file(lc_spec.raster, "landcover.raster")
    try:
        table = class_table(lc_spec.classes)
    except InputError as exc:
        raise InputError(f"{manifest}: landcover.{exc}") from None
    codes = raster_to_grid(read_raster(path, what="land cover"), dem, resampling="nearest")
    lc = reclassify(codes, table, what=str(path))
    if isinstance(lc_spec.classes, str):
        fallbacks.append("landcover: ESA WorldCover classes; tree cover taken as conifer (pine and fir) forest "
                         "(estimate: give classes for a forest inventory)")
    if lc_spec.canopy:
        cover = raster_to_grid(read_raster(file(lc_spec.canopy, "landcover.canopy"), what="canopy"), dem,
                               resampling="average")
        canopy = canopy_from_percent(cover)
    else:
        canopy = canopy_from_classes(lc)
        fallbacks.append("landcover: canopy density by class (estimate: give canopy = tree cover in percent)")
    return Terrain(dem=dem, landcover=lc, canopy=canopy)


def _with_channel(terrain: Terrain, river) -> Terrain:
    """The land cover with the river's channel as water and other standing water as bare ground
    (the flood holds every water cell at the river's level, so a pond is not one)."""
    lc = terrain.landcover.values.copy()
    channel = channel_mask(river, terrain.landcover)
    lc[(lc == int(LandCover.WATER)) & ~channel] = float(LandCover.BARE)
    lc[channel] = float(LandCover.WATER)
    return replace(terrain, landcover=terrain.landcover.like(lc))
