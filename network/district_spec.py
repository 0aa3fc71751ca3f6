"""The human-editable description of a district (TOML), validated with pydantic.

The built-in file is ``network/data/changjiang.toml``. A planner can copy it, edit it, and
load it with :func:`read_district_spec`; errors name the file, the field and the reason.
"""
from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from .checks import LonLat, StrictModel, lonlat_points, parse_toml, read_text_file
from .errors import InputError


class DistrictInfo(StrictModel):
    """Names, projected CRS, bounding box, boundary and random seed of the district."""

    name_zh: str
    name_en: str
    city_zh: str = ""
    city_en: str = ""
    crs: str
    bbox: tuple[float, float, float, float]
    seed: int = 0
    population_note: str = ""
    boundary: list[LonLat] = Field(min_length=3)

    @field_validator("bbox")
    @classmethod
    def _bbox_ordered(cls, v):
        """The bbox unchanged if its minima are below its maxima."""
        if not (v[0] < v[2] and v[1] < v[3]):
            raise ValueError("bbox must be [lon_min, lat_min, lon_max, lat_max] with min < max")
        return v

    _boundary_ok = field_validator("boundary")(classmethod(lambda cls, v: lonlat_points(v)))


class GeneratorSettings(StrictModel):
    """Spacings and limits the terrain and road generator works with."""

    dem_cell_m: float = Field(50.0, gt=0)
    village_spacing_m: float = Field(420.0, gt=0)
    urban_street_spacing_m: float = Field(210.0, gt=0)
    max_local_edge_m: float = Field(1400.0, gt=0)
    max_local_grade: float = Field(0.16, gt=0)
    segment_m: float = Field(320.0, gt=0)


class Township(StrictModel):
    """A township, town or subdistrict: centre, population, built-up radius and street grid angle."""

    id: str
    name_zh: str
    name_en: str
    kind: Literal["subdistrict", "town", "township"]
    centre: LonLat
    population: int = Field(ge=0)
    urban_radius_m: float = Field(gt=0)
    street_angle_deg: float = 0.0


class RatingSpec(StrictModel):
    """A gauge's rating curve ``stage = datum_m + coefficient × Q^exponent`` (Q in m³/s)."""

    datum_m: float
    coefficient: float = Field(gt=0)
    exponent: float = Field(gt=0, le=2)


class ReservoirSpec(StrictModel):
    """Flood storage upstream of a gauge: it holds ``share`` of the gauge's flood flow above
    ``release_m3s`` until ``flood_storage_m3`` is full."""

    share: float = Field(gt=0, le=1)
    release_m3s: float = Field(ge=0)
    flood_storage_m3: float = Field(gt=0)


def _table_rises(name: str, table: dict[float, float], what: str) -> None:
    """Two or more (return period, value) points, values rising with the return period."""
    pts = sorted(table.items())
    if len(pts) < 2:
        raise ValueError(f"{name}: give the peak {what} of at least two return periods")
    if pts[0][0] <= 1.0:
        raise ValueError(f"{name}: return periods must exceed 1 year, found {pts[0][0]:g}")
    if any(b[1] <= a[1] for a, b in zip(pts, pts[1:])):
        raise ValueError(f"{name}: peak {what}s must rise with the return period")


class Gauge(StrictModel):
    """A river gauge: location, warning stage, recorded peaks, and (for a district from real
    data) its design floods as data — either the peak stage of each return period, or a rating
    curve with the peak discharge of each return period (and, optionally, a flood-storage
    reservoir upstream) — with the design flood's shape.

    With neither table the design floods are the Dufengkeng chain of
    :mod:`sim.hazards.flood.frequency` (the built-in Changjiang model).
    """

    name_zh: str
    name_en: str
    location: LonLat
    warning_stage_m: float
    record_2016_m: float | None = None
    record_1998_m: float | None = None
    stage_frequency: dict[float, float] = {}       # return period (years) -> peak stage (m)
    discharge_frequency: dict[float, float] = {}   # return period (years) -> natural peak discharge (m³/s)
    rating: RatingSpec | None = None               # with discharge_frequency: stage from discharge
    reservoir: ReservoirSpec | None = None         # with discharge_frequency: flood storage upstream
    base_stage_m: float | None = None              # stage table: before and after the flood (default warning - 1 m)
    base_discharge_m3s: float = Field(400.0, ge=0)  # discharge table: flow before and after the flood
    rise_h: float = Field(36.0, gt=0)              # design flood: hours from base to peak
    recession_h: float = Field(34.0, gt=0)         # and from peak back to base
    source: str = ""                               # where the frequency figures come from

    @model_validator(mode="after")
    def _one_table(self):
        """At most one table; a discharge table with its rating; each rising with the return period."""
        if self.stage_frequency and self.discharge_frequency:
            raise ValueError("give stage_frequency or discharge_frequency (with a rating), not both")
        if self.stage_frequency:
            _table_rises("stage_frequency", self.stage_frequency, "stage")
        if self.discharge_frequency:
            _table_rises("discharge_frequency", self.discharge_frequency, "discharge")
            if self.rating is None:
                raise ValueError("discharge_frequency: needs a rating (datum_m, coefficient, exponent)")
        elif self.reservoir is not None:
            raise ValueError("reservoir: needs discharge_frequency and a rating")
        return self


class River(StrictModel):
    """The river: course, channel, the water-surface slope the bed follows, and its gauge.

    Levels along the river are given at the gauge ("gauge-equivalent"): a level ``L`` stands
    for ``L + slope × (distance upstream of the gauge)`` at another place on the reach.
    """

    name_zh: str
    name_en: str
    course: list[LonLat] = Field(min_length=2)
    channel_width_m: float = Field(gt=0)
    bed_elevation_at_gauge_m: float
    surface_slope_m_per_km: float = Field(ge=0)
    gauge: Gauge

    _course_ok = field_validator("course")(classmethod(lambda cls, v: lonlat_points(v)))


class Valley(StrictModel):
    """Ground levels across the valley, gauge-equivalent (see :class:`River`), in metres.

    From the channel outwards: bank tops, the active floodplain (``floodplain_width_m`` wide,
    rising to ``floodplain_edge_m``), the valley floor rising to ``terrace_m`` at
    ``terrace_distance_m`` from the river's centreline, then the hills; built-up areas stand on
    terraces at ``urban_ground_m`` and above, except the low areas the district lists. Nobody
    lives below ``lowest_settled_m`` outside those low areas.
    """

    bank_top_m: float
    floodplain_edge_m: float
    floodplain_width_m: float = Field(gt=0)
    terrace_m: float
    terrace_distance_m: float = Field(gt=0)
    urban_ground_m: float
    lowest_settled_m: float

    @model_validator(mode="after")
    def _rising(self):
        """Ground rises away from the river: bank, floodplain edge, terrace, built-up ground."""
        if not self.bank_top_m <= self.floodplain_edge_m <= self.terrace_m <= self.urban_ground_m:
            raise ValueError("expected bank_top_m ≤ floodplain_edge_m ≤ terrace_m ≤ urban_ground_m")
        return self


class LowArea(StrictModel):
    """Low-lying ground (old estates, a polder behind a dike): gauge-equivalent ground levels."""

    id: str
    name_zh: str
    name_en: str
    polygon: list[LonLat] = Field(min_length=3)
    ground_m: tuple[float, float]
    note: str = ""

    _polygon_ok = field_validator("polygon")(classmethod(lambda cls, v: lonlat_points(v)))

    @field_validator("ground_m")
    @classmethod
    def _ordered(cls, v: tuple[float, float]) -> tuple[float, float]:
        """Lowest, then highest ground."""
        if v[0] > v[1]:
            raise ValueError("ground_m is [lowest, highest]")
        return v


class Dike(StrictModel):
    """A dike: its line, its crest (gauge-equivalent: the crest follows the river's surface
    slope), and the design standard the crest was set for."""

    id: str
    name_zh: str
    name_en: str
    crest_m: float
    line: list[LonLat] = Field(min_length=2)
    standard_years: float | None = Field(None, gt=1)
    freeboard_m: float | None = Field(None, ge=0)


class Road(StrictModel):
    """A main road: class, line and (for expressways) the junctions where it connects."""

    name_zh: str
    name_en: str
    road_class: Literal["motorway", "trunk", "primary", "secondary", "tertiary"] = Field(alias="class")
    line: list[LonLat] = Field(min_length=2)
    junctions: list[LonLat] | None = None


class Area(StrictModel):
    """A named polygon (forest, industrial park)."""

    id: str = ""
    name_zh: str
    name_en: str
    polygon: list[LonLat] = Field(min_length=3)


class Team(StrictModel):
    """A rescue team at a facility: its type and head count."""

    type: Literal["general", "flood", "water_rescue", "forest_fire", "hazmat", "medical", "engineering"]
    people: int = Field(gt=0)


class Facility(StrictModel):
    """An emergency facility: kind, location, teams, stock and hazardous substances."""

    id: str
    kind: Literal[
        "relief_warehouse", "fire_station", "rescue_team", "forest_fire_brigade",
        "hazmat_site", "fireworks_site", "hospital", "command_centre",
    ]
    name_zh: str
    name_en: str
    location: LonLat
    teams: list[Team] = []
    stock: dict[str, float] = {}
    substances: list[str] = []


class ShelterDefaults(StrictModel):
    """Defaults for shelter sites: usable area per person."""

    m2_per_person: float = Field(2.0, gt=0)


class ShelterSite(StrictModel):
    """An existing or candidate shelter: kind, location and usable area."""

    id: str
    kind: Literal["school", "park", "square", "stadium", "community_centre"]
    name_zh: str
    name_en: str
    location: LonLat
    area_m2: float = Field(gt=0)
    existing: bool = False
    m2_per_person: float | None = Field(None, gt=0)


class SupplySourceSpec(StrictModel):
    """Relief supplies from above the district: a reserve, an agreement supplier or donations.

    Once triggered (the response is activated, affected people pass a number, or the
    district's stock of an item falls below a share), the first day's tranche is ready at the
    ``entry`` point on the district's edge after ``lead_time_h``, another each day after; the
    source's ``vehicles`` carry it by road (its roads can be cut) to ``deliver_to`` (default:
    the nearest warehouse they can reach).
    """

    id: str
    kind: Literal["upper_level", "agreement", "donation"]
    name_zh: str
    name_en: str
    items: dict[str, float]
    trigger: Literal["activation", "affected_people", "stock_below"] = "activation"
    trigger_value: float = Field(0.0, ge=0)     # people (affected_people) or a share of the initial stock
    lead_time_h: float = Field(ge=0)
    daily_capacity_kg: float = Field(gt=0)
    vehicles: int = Field(ge=1)
    vehicle_capacity_kg: float = Field(8000.0, gt=0)
    entry: LonLat
    deliver_to: str | None = None
    source: str = "estimate"                    # where the figures come from ("estimate" when none)

    @field_validator("items")
    @classmethod
    def _quantities(cls, v: dict[str, float]) -> dict[str, float]:
        if not v:
            raise ValueError("name at least one item and its quantity")
        for k, q in v.items():
            if not (isinstance(q, (int, float)) and q >= 0):
                raise ValueError(f"{k}: quantity must be a number >= 0, found {q!r}")
        return v

    @model_validator(mode="after")
    def _share(self):
        if self.trigger == "stock_below" and not 0 < self.trigger_value <= 1:
            raise ValueError("trigger 'stock_below' needs trigger_value, a share of the initial stock in (0, 1]")
        return self


class ReliefCraftSpec(StrictModel):
    """Boats, helicopters or drones that carry relief kits to people the hazard has cut off
    where they are (in-place relief where no truck can go).

    A fleet of ``count`` craft loads at the ``base`` warehouse from ``ready_h`` on. Boats
    travel as the water-rescue boats do (the boat speed on flood water, road speed on dry
    roads); aircraft fly straight at ``speed_kmh``, a trip (out and back) no longer than
    ``range_km`` when given.
    """

    id: str
    kind: Literal["boat", "helicopter", "drone"]
    name_zh: str
    name_en: str
    base: str
    count: int = Field(ge=1)
    payload_kg: float = Field(gt=0)
    speed_kmh: float | None = Field(None, gt=0)
    range_km: float | None = Field(None, gt=0)
    load_min: float = Field(20.0, ge=0)
    unload_min: float = Field(15.0, ge=0)
    ready_h: float = Field(0.0, ge=0)
    source: str = "estimate"

    @model_validator(mode="after")
    def _air_speed(self):
        if self.kind != "boat" and self.speed_kmh is None:
            raise ValueError(f"speed_kmh: a {self.kind} needs its cruise speed")
        return self


class DistrictSpec(StrictModel):
    """Everything the built-in district model is generated from."""

    district: DistrictInfo
    generator: GeneratorSettings = GeneratorSettings()
    townships: list[Township] = Field(min_length=1)
    river: River | None = None      # required to generate a district; a manifest may have none
    valley: Valley | None = None    # the generator's valley profile (not part of a manifest)
    low_areas: list[LowArea] = []
    dikes: list[Dike] = []
    roads: list[Road] = []
    forests: list[Area] = []
    industrial_park: Area | None = None
    facilities: list[Facility] = []
    shelter_defaults: ShelterDefaults = ShelterDefaults()
    shelters: list[ShelterSite] = []
    supply_sources: list[SupplySourceSpec] = []
    relief_craft: list[ReliefCraftSpec] = []
    costs: dict[str, Any] = {}       # unit costs over network/data/costs.toml (network.costs.load_costs)

    @model_validator(mode="after")
    def _unique_ids(self):
        """No id appears twice among the townships, facilities, shelters, supply sources or
        relief craft; a source delivers to, and a craft loads at, a warehouse the district has."""
        warehouses = {f.id for f in self.facilities if f.kind == "relief_warehouse"}
        for i, src in enumerate(self.supply_sources):
            if src.deliver_to is not None and src.deliver_to not in warehouses:
                raise ValueError(f"supply_sources.{i}.deliver_to: {src.deliver_to!r} is not a relief_warehouse "
                                 f"of the district ({sorted(warehouses)})")
        for i, craft in enumerate(self.relief_craft):
            if craft.base not in warehouses:
                raise ValueError(f"relief_craft.{i}.base: {craft.base!r} is not a relief_warehouse "
                                 f"of the district ({sorted(warehouses)})")
        for label, items in (("townships", self.townships), ("facilities", self.facilities), ("shelters", self.shelters),
                             ("supply_sources", self.supply_sources), ("relief_craft", self.relief_craft)):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    raise ValueError(f"{label}: id {item.id!r} appears twice")
                seen.add(item.id)
        return self

    def shelter_capacity(self, site: ShelterSite) -> int:
        """People a shelter site holds: usable area / area per person."""
        per = site.m2_per_person or self.shelter_defaults.m2_per_person
        return int(site.area_m2 // per)


def format_validation_error(exc: ValidationError, source: str) -> str:
    """One readable message per problem: file, field path, what was expected and found."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        found = err.get("input")
        found_text = "" if isinstance(found, dict) else f" (found {found!r})"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling)"
        lines.append(f"{source}: {loc}: {msg}{found_text}")
    return "\n".join(lines)


def read_district_spec(path: str | Path | None = None) -> tuple[DistrictSpec, str]:
    """Read and validate a district TOML; ``None`` reads the built-in Changjiang file.

    Returns the spec and a content hash (the cache key of what is generated from it).
    """
    if path is None:
        text = resources.files("network").joinpath("data/changjiang.toml").read_text(encoding="utf-8")
        source = "built-in changjiang.toml"
    else:
        p = Path(path)
        if not p.exists():
            raise InputError(f"{p}: district file not found")
        text = read_text_file(p, "a district file (TOML)")
        source = str(p)
    raw = parse_toml(text, source)
    try:
        spec = DistrictSpec.model_validate(raw)
    except ValidationError as exc:
        raise InputError(format_validation_error(exc, source)) from None
    for part in ("river", "valley"):
        if getattr(spec, part) is None:
            raise InputError(f"{source}: {part}: required to generate the district (a district from real data is "
                             "a manifest with a [roads] table: docs/manifest.md)")
    return spec, hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
