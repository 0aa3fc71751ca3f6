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
    [facilities]
    file = "facilities.geojson"       # or a CSV with lon, lat
    [admin]
    units = "townships.geojson"       # polygons with a name, for reporting
    name_field = "name"

Every part but ``[roads]`` is optional, with a stated fallback: no population means every
people indicator is "not applicable" (said in the check and in every run); no DEM means no
elevations; no facilities means no ``existing`` plan; no admin units means one zone. Paths are
relative to the manifest. :func:`load_manifest` reads it all onto the road network: people
allocated to road nodes (the part out of reach reported), elevations from the DEM, zones from
the admin units, facilities snapped to the network (the snap distance reported, a facility
farther than ``snap_max_m`` refused).
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .district_spec import format_validation_error
from .elevation import add_elevation
from .errors import InputError
from .geodata import raster_to_grid, read_layer, read_points_csv, read_raster
from .gpkg import road_segments
from .load import load_network
from .model import RoadNetwork
from .plan import STOCK_ITEMS, TEAM_TYPES, Plan, Shelter, Team, TeamBase, Warehouse
from .population import Allocation, allocate_polygons, allocate_raster, zones_from_units
from .projection import to_projected
from .raster import Raster
from .snap import snap_points

#: facility kinds a manifest's facilities layer may carry
FACILITY_KINDS = ("shelter", "warehouse", "team_base", "chemical_site", "fireworks_site", "hospital",
                  "fire_station", "command_centre")
#: what a shelter site is (the ``type`` field; default school)
SHELTER_TYPES = ("school", "park", "square", "stadium", "community_centre")
#: area per person of a shelter given by area only (GB 51143-2015, short-term fixed shelters)
M2_PER_PERSON = 2.0


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


class ManifestSpec(_Strict):
    """The manifest's parts (see the module notes)."""

    district: _District
    roads: _Roads
    population: _Population | None = None
    terrain: _Terrain | None = None
    facilities: _Facilities | None = None
    admin: _Admin | None = None


@dataclass(frozen=True)
class Site:
    """A facility of the manifest, snapped to the network."""

    id: str
    kind: str
    name_zh: str
    name_en: str
    lon: float
    lat: float
    node: int
    snap_m: float
    capacity: int | None = None
    stock: dict[str, float] = field(default_factory=dict)
    teams: tuple[Team, ...] = ()
    substances: tuple[str, ...] = ()
    shelter_type: str = "school"


@dataclass(frozen=True, eq=False)
class ManifestDistrict:
    """A district read from a manifest: the network with its people, zones and elevations, the
    facilities, and what is missing or fell back to a default."""

    source: str
    name_zh: str
    name_en: str
    network: RoadNetwork
    population: Allocation | None
    sites: tuple[Site, ...]
    dem: Raster | None
    missing: tuple[str, ...]
    fallbacks: tuple[str, ...]

    def summary(self) -> dict[str, Any]:
        """What ``yingji district check`` prints: size, people, facilities, snaps, gaps."""
        net = self.network
        pop = self.population
        kinds: dict[str, int] = {}
        for s in self.sites:
            kinds[s.kind] = kinds.get(s.kind, 0) + 1
        return {
            "manifest": self.source, "name_zh": self.name_zh, "name_en": self.name_en,
            "nodes": int(net.n_nodes), "edges": int(net.n_edges),
            "road_km": round(float(np.sum(net.length[road_segments(net)[0]])) / 1000.0, 3),  # two-way roads once
            "population": round(pop.allocated, 1) if pop else 0.0,
            "population_unallocated": round(pop.unallocated, 1) if pop else 0.0,
            "population_note": pop.note if pop else "",
            "facilities": kinds,
            "max_snap_m": round(max((s.snap_m for s in self.sites), default=0.0), 1),
            "zones": [list(z) for z in net.zone_names],
            "elevation": self.dem is not None,
            "missing": list(self.missing), "fallbacks": list(self.fallbacks),
        }

    def plan(self) -> Plan:
        """Today's plan from the facilities: team bases (with their teams), warehouses (with
        their stock) and shelters (with their capacity)."""
        bases = tuple(TeamBase(s.id, s.name_zh, s.name_en, s.node, s.lon, s.lat, s.teams, True)
                      for s in self.sites if s.teams)
        warehouses = tuple(Warehouse(s.id, s.name_zh, s.name_en, s.node, s.lon, s.lat, dict(s.stock), True)
                           for s in self.sites if s.kind == "warehouse")
        shelters = tuple(Shelter(s.id, s.name_zh, s.name_en, s.node, s.lon, s.lat, int(s.capacity or 0),
                                 s.shelter_type, True) for s in self.sites if s.kind == "shelter")
        return Plan("existing", bases, warehouses, shelters, meta={"source": self.source})


def is_manifest(path: str | Path) -> bool:
    """True when the TOML file is a manifest (a ``[roads]`` table), not a district spec (whose
    roads are an array of tables)."""
    try:
        return isinstance(tomllib.loads(Path(path).read_text(encoding="utf-8")).get("roads"), dict)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False


def read_manifest(path: str | Path) -> ManifestSpec:
    """The validated manifest; :class:`InputError` naming the file and field otherwise."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: manifest not found")
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{p}: not valid TOML: {exc}") from None
    try:
        return ManifestSpec.model_validate(raw)
    except ValidationError as exc:
        raise InputError(format_validation_error(exc, str(p)).splitlines()[0].replace("Value error, ", "")) from None


def load_manifest(path: str | Path) -> ManifestDistrict:
    """Read a manifest and every file it names (see the module notes).

    Raises
    ------
    InputError
        One line naming the file and the problem: a missing file, a raster or layer without
        a CRS or with one that contradicts its coordinates, a layer with no features, a
        facility farther than ``snap_max_m`` from every road, a bad field.
    """
    p = Path(path)
    spec = read_manifest(p)
    base = p.parent
    missing: list[str] = []
    fallbacks: list[str] = []

    def file(rel: str, where: str) -> Path:
        f = Path(rel).expanduser()
        f = f if f.is_absolute() else base / f
        if not f.exists():
            raise InputError(f"{p}: {where}: file not found: {f}")
        return f

    net = load_network(file(spec.roads.file, "roads.file"))
    zone_names: tuple[tuple[str, str], ...] = ()
    if spec.admin is not None:
        units = read_layer(file(spec.admin.units, "admin.units"), what="admin units", crs=net.crs)
        zone, names = zones_from_units(net, units, spec.admin.name_field)
        net = net.with_node_values(zone=zone)
        zone_names = tuple((n, n) for n in names)
    else:
        missing.append("admin: no admin units — the whole network is one zone in reports")
        net = net.with_node_values(zone=np.zeros(net.n_nodes, np.int64))
        zone_names = ((_name(spec, "zh"), _name(spec, "en")),)
    alloc = _population(spec, net, file, missing)
    if alloc is not None:
        net = net.with_node_values(population=alloc.people)
    dem = None
    if spec.terrain is not None:
        dem = _dem(file(spec.terrain.dem, "terrain.dem"), net, spec.terrain.cell_m)
        net = add_elevation(net, dem, source=spec.terrain.dem)
    else:
        missing.append("terrain: no DEM — nodes have no elevation; flood and fire need one")
    sites: tuple[Site, ...] = ()
    if spec.facilities is not None:
        f = file(spec.facilities.file, "facilities.file")
        sites = read_sites(f, net, snap_max_m=spec.facilities.snap_max_m)
        if not any(s.kind == "shelter" for s in sites):
            fallbacks.append("facilities: no shelter — nobody can be sheltered in the existing plan")
    else:
        missing.append("facilities: no facilities file — no existing plan (a plan file must name the sites)")
    name_zh, name_en = _name(spec, "zh"), _name(spec, "en")
    net = _renamed(net, name_en, zone_names, {"manifest": str(p)})
    return ManifestDistrict(str(p), name_zh, name_en, net, alloc, sites, dem, tuple(missing), tuple(fallbacks))


def _name(spec: ManifestSpec, lang: str) -> str:
    d = spec.district
    return (d.name_zh if lang == "zh" else d.name_en) or d.name or d.name_zh or d.name_en or ""


def _renamed(net: RoadNetwork, name: str, zone_names: tuple[tuple[str, str], ...], meta: dict[str, Any]) -> RoadNetwork:
    return replace(net, name=name, zone_names=zone_names, meta={**net.meta, **meta})


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
    return dem


# ---------------------------------------------------------------------------------- facilities
def read_sites(path: Path, net: RoadNetwork, *, snap_max_m: float = 2000.0) -> tuple[Site, ...]:
    """Facilities from a point layer (GeoJSON, GeoPackage, Shapefile) or a CSV with lon, lat.

    Fields: ``kind`` (one of :data:`FACILITY_KINDS`), ``id`` (unique), ``name`` (or
    ``name_zh`` / ``name_en``); shelters ``capacity`` or ``area_m2`` (2 m² a person) and
    ``type`` (one of :data:`SHELTER_TYPES`); warehouses
    their stock by item (``water_l``, ``food_rations``, ...); any site ``teams`` as
    ``"general:24;flood:12"``; chemical sites ``substances`` as ``"chlorine;ammonia"``.
    """
    layer = (read_points_csv(path, what="facilities") if path.suffix.lower() == ".csv"
             else read_layer(path, what="facilities", crs="EPSG:4326"))
    n = len(layer.geometry)
    f = layer.fields

    def get(name: str, i: int) -> str:
        col = f.get(name)
        v = None if col is None else col[i]
        return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()

    for need in ("kind", "id"):
        if need not in f:
            raise InputError(f"{path}: facilities need a {need!r} field (fields there: {sorted(f)})")
    # points as they are; areas (a park drawn as a polygon) by a point inside them
    pts = [g if g.geom_type == "Point" else g.representative_point() for g in layer.geometry]
    lon = np.array([g.x for g in pts], float)
    lat = np.array([g.y for g in pts], float)
    x, y = to_projected(lon, lat, net.crs)
    ids = [get("id", i) for i in range(n)]
    snapped = snap_points(net, x, y, names=ids)
    sites, seen = [], set()
    for i in range(n):
        where = f"{path}: feature {i} ({ids[i] or 'no id'})"
        kind = get("kind", i)
        if kind not in FACILITY_KINDS:
            raise InputError(f"{where}: kind: expected one of {', '.join(FACILITY_KINDS)}, found {kind!r}")
        if not ids[i]:
            raise InputError(f"{where}: id: every facility needs one")
        if ids[i] in seen:
            raise InputError(f"{where}: id {ids[i]!r} appears twice")
        seen.add(ids[i])
        d = float(snapped.distance_m[i])
        if d > snap_max_m:
            raise InputError(f"{where}: {d / 1000:.1f} km from the nearest road node (at most {snap_max_m / 1000:g} km): "
                             "off the network")
        zh = get("name_zh", i) or get("name", i) or ids[i]
        en = get("name_en", i) or get("name", i) or ids[i]
        sites.append(Site(ids[i], kind, zh, en, float(lon[i]), float(lat[i]), int(snapped.node[i]), d,
                          _capacity(where, kind, get("capacity", i), get("area_m2", i)),
                          _stock(where, {k: get(k, i) for k in STOCK_ITEMS}), _teams(where, get("teams", i)),
                          tuple(s.strip() for s in get("substances", i).split(";") if s.strip()),
                          _shelter_type(where, get("type", i)) if kind == "shelter" else "school"))
    return tuple(sites)


def _number(where: str, name: str, text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise InputError(f"{where}: {name}: expected a number, found {text!r}") from None
    if not (math.isfinite(v) and v >= 0):
        raise InputError(f"{where}: {name}: expected a number >= 0, found {text!r}")
    return v


def _capacity(where: str, kind: str, capacity: str, area: str) -> int | None:
    if kind != "shelter":
        return None
    if capacity:
        return int(_number(where, "capacity", capacity))
    if area:
        return int(_number(where, "area_m2", area) // M2_PER_PERSON)
    raise InputError(f"{where}: a shelter needs capacity (people) or area_m2")


def _shelter_type(where: str, text: str) -> str:
    if not text:
        return "school"
    if text not in SHELTER_TYPES:
        raise InputError(f"{where}: type: a shelter is one of {', '.join(SHELTER_TYPES)}, found {text!r}")
    return text


def _stock(where: str, values: dict[str, str]) -> dict[str, float]:
    return {k: _number(where, k, v) for k, v in values.items() if v}


def _teams(where: str, text: str) -> tuple[Team, ...]:
    teams = []
    for part in (t.strip() for t in text.split(";") if t.strip()):
        kind, _, people = part.partition(":")
        if kind.strip() not in TEAM_TYPES:
            raise InputError(f"{where}: teams: unknown team type {kind.strip()!r} (known: {', '.join(TEAM_TYPES)})")
        teams.append(Team(kind.strip(), int(_number(where, "teams", people.strip() or "nan"))))
    return tuple(teams)

