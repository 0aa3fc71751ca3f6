"""A manifest's facilities layer: points (or areas) with a kind, an id, a name and their data,
snapped to the road network and turned into the district's facilities and shelter sites.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .district_spec import Facility, ShelterSite, Team as TeamSpec
from .errors import InputError
from .geodata import read_layer, read_points_csv
from .model import RoadNetwork
from .plan import STOCK_ITEMS, TEAM_TYPES, Team
from .projection import to_projected
from .snap import snap_points

#: facility kinds a manifest's facilities layer may carry
FACILITY_KINDS = ("shelter", "warehouse", "team_base", "chemical_site", "fireworks_site", "hospital",
                  "fire_station", "command_centre")
#: the district model's facility kind of each (shelters are shelter sites)
SPEC_KIND = {"warehouse": "relief_warehouse", "team_base": "rescue_team", "chemical_site": "hazmat_site",
             "fireworks_site": "fireworks_site", "hospital": "hospital", "fire_station": "fire_station",
             "command_centre": "command_centre"}
#: what a shelter site is (the ``type`` field; default school)
SHELTER_TYPES = ("school", "park", "square", "stadium", "community_centre")
#: area per person of a shelter given by area only (GB 51143-2015, short-term fixed shelters)
M2_PER_PERSON = 2.0
#: a shelter's ``status``: open today, or a site the optimiser may fit out
SHELTER_STATUS = ("existing", "candidate")


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
    existing: bool = True


def spec_facilities(sites: tuple[Site, ...]) -> tuple[list[Facility], list[ShelterSite]]:
    """The district model's facilities and shelter sites of the manifest's sites.

    A shelter's capacity becomes its area at :data:`M2_PER_PERSON`, so the district's shelter
    capacity gives it back exactly.
    """
    facilities, shelters = [], []
    for s in sites:
        if s.kind == "shelter":
            shelters.append(ShelterSite(id=s.id, kind=s.shelter_type, name_zh=s.name_zh, name_en=s.name_en,
                                        location=(s.lon, s.lat), area_m2=max(1, s.capacity or 0) * M2_PER_PERSON,
                                        existing=s.existing, m2_per_person=M2_PER_PERSON))
        else:
            facilities.append(Facility(id=s.id, kind=SPEC_KIND[s.kind], name_zh=s.name_zh, name_en=s.name_en,
                                       location=(s.lon, s.lat), stock=dict(s.stock),
                                       teams=[TeamSpec(type=t.type, people=t.people) for t in s.teams],
                                       substances=list(s.substances)))
    return facilities, shelters


def read_sites(path: Path, net: RoadNetwork, *, snap_max_m: float = 2000.0) -> tuple[Site, ...]:
    """Facilities from a point layer (GeoJSON, GeoPackage, Shapefile) or a CSV with lon, lat.

    Fields: ``kind`` (one of :data:`FACILITY_KINDS`), ``id`` (unique), ``name`` (or
    ``name_zh`` / ``name_en``); shelters ``capacity`` or ``area_m2`` (2 m² a person) and
    ``type`` (one of :data:`SHELTER_TYPES`) and ``status`` (``existing``, the default, or
    ``candidate``: a site the optimiser may open); warehouses
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
                          _shelter_type(where, get("type", i)) if kind == "shelter" else "school",
                          _status(where, get("status", i))))
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



def _status(where: str, text: str) -> bool:
    if text and text not in SHELTER_STATUS:
        raise InputError(f"{where}: status: expected existing or candidate, found {text!r}")
    return text != "candidate"
