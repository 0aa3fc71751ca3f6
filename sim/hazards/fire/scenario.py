"""The forest fire in a scenario: the ``[hazards.fire]`` section and the fire on a district's fuels.

Two models. ``rothermel`` (the default, :class:`.spread.SurfaceFire`): each land-cover class is a
vegetation type with a standard fuel model (:mod:`.fuels`), spread by Rothermel and minimum travel
time, reported after the detection delay of the district's methods, contained when line outpaces
the perimeter. ``automaton`` (:class:`.model.ForestFire`, kept to compare): each land-cover class
maps to an Alexandridis vegetation class and the canopy cover to a density class.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from network.checks import LonLat, StrictModel, lonlat_point
from network.district import District
from network.errors import InputError, YingjiError
from network.projection import to_lonlat
from network.raster import Raster
from network.terrain import LandCover, xy_of

from ..registry import BuildContext, HazardType
from .attack import DETECTION_METHODS
from .fuels import district_fuels, moisture_scenario
from .model import Density, ForestFire, Vegetation
from .record import RasterFire
from .spread import SurfaceFire

#: how a fire in the district is reported unless a scenario says otherwise: villagers' calls to
#: 12119, the forest rangers' patrols, and the national satellite hotspot service (Himawari every
#: 10 min, VIIRS overpasses). An estimate of what every hill district has; cameras and lookout
#: towers are added where a district has them.
DEFAULT_DETECTION = ("patrol", "public", "himawari", "viirs")

#: land cover -> Alexandridis vegetation class. Broadleaf evergreen forest burns less readily
#: than Masson pine, so it takes the paper's "thickets" class; both count as forest land.
VEGETATION_OF_LANDCOVER = {
    LandCover.FOREST_CONIFER: Vegetation.PINE,
    LandCover.FOREST_BROADLEAF: Vegetation.THICKETS,
    LandCover.SHRUB: Vegetation.THICKETS,
    LandCover.FARMLAND: Vegetation.AGRICULTURAL,
}
#: forest land for the damage rate (森林火灾受害率): pine and broadleaf forest
DISTRICT_FOREST_TYPES = (Vegetation.PINE, Vegetation.THICKETS)


def fuel_rasters(district: District) -> tuple[Raster, Raster]:
    """Vegetation class and density rasters (Alexandridis codes) from land cover and canopy."""
    lc = district.terrain.landcover
    veg = np.full(lc.shape, float(Vegetation.NONE))
    for cover, v in VEGETATION_OF_LANDCOVER.items():
        veg[lc.values == cover] = float(v)
    canopy = district.terrain.canopy.values
    den = np.select([canopy < 0.45, canopy < 0.75], [float(Density.SPARSE), float(Density.NORMAL)], float(Density.DENSE))
    return lc.like(veg), lc.like(den)


def default_ignition(district: District, *, near: Sequence[float] | None = None) -> tuple[float, float]:
    """A pine-forest cell near a point ([lon, lat]; default: the northern hills) to start a fire.

    Returns
    -------
    tuple of float
        ``(x, y)`` of the cell centre in the district's CRS.

    Raises
    ------
    InputError
        When the district has no forest areas or no pine forest.
    """
    veg, _ = fuel_rasters(district)
    if near is None:
        forests = [f for f in district.spec.forests if f.id == "north-hills"] or district.spec.forests
        if not forests:
            raise InputError("the district names no forest areas to start a default fire in: give "
                             "[[hazards.fire.ignitions]] with at = [lon, lat] or site = a facility id")
        near = np.asarray(forests[0].polygon).mean(axis=0)
    x, y = xy_of([near], district.spec.district.crs)[0]
    xc, yc = veg.cell_centres()
    rows, cols = np.nonzero(veg.values == float(Vegetation.PINE))
    if len(rows) == 0:
        raise InputError("no pine forest in the district to ignite")
    k = int(np.argmin((xc[cols] - x) ** 2 + (yc[rows] - y) ** 2))
    return float(xc[cols[k]]), float(yc[rows[k]])


def forest_fire(
    district: District,
    *,
    ignitions: Sequence[Sequence[float]] | None = None,
    wind_speed_m_s: float = 6.0,
    wind_from_deg: float = 315.0,
    seed: int | np.random.Generator = 0,
    model: str = "rothermel",
    moisture: str | Sequence[float] = "spring-dry",
    wind_changes: Sequence[tuple[float, float, float]] = (),
    detection: Sequence[str] | None = DEFAULT_DETECTION,
    fuels: dict[str, str] | None = None,
    **kwargs,
) -> RasterFire:
    """A forest fire on the district's fuels.

    Parameters
    ----------
    district
        The district model (DEM, land cover, canopy, network).
    ignitions
        ``(lon, lat[, t_s])`` per ignition; default: :func:`default_ignition` at t = 0.
    wind_speed_m_s, wind_from_deg
        The 10-m wind (meteorological direction: where it blows from).
    seed
        Seed or generator of the model's draws (detection; the automaton's ignitions).
    model
        ``"rothermel"`` (:class:`.spread.SurfaceFire`) or ``"automaton"`` (:class:`.model.ForestFire`).
    moisture, wind_changes, detection, fuels
        Rothermel only: the fuel moisture (season, standard scenario or 5 fractions), later winds
        ``(t_s, speed_m_s, from_deg)``, the detection methods (None: reported at ignition) and
        land-cover classes re-mapped to fuel types.
    **kwargs
        Passed to the model's class.

    Returns
    -------
    RasterFire
    """
    if ignitions is None:
        pts = [default_ignition(district) + (0.0,)]
    else:
        pts = []
        for ig in ignitions:
            x, y = xy_of([ig[:2]], district.spec.district.crs)[0]
            pts.append((float(x), float(y), float(ig[2]) if len(ig) > 2 else 0.0))
    if model == "automaton":
        veg, den = fuel_rasters(district)
        kwargs.setdefault("forest_types", DISTRICT_FOREST_TYPES)
        return ForestFire(district.network, district.terrain.dem, veg, den, pts,
                          wind_speed_m_s=wind_speed_m_s, wind_from_deg=wind_from_deg, seed=seed, **kwargs)
    if model != "rothermel":
        raise InputError(f"model: expected rothermel or automaton, found {model!r}")
    wind = [(0.0, wind_speed_m_s, wind_from_deg), *wind_changes]
    return SurfaceFire(district.network, district.terrain.dem, district_fuels(district.terrain, fuels), pts,
                       moisture=moisture, wind=wind, detection=detection, seed=seed, **kwargs)


def initial_attack(district: District, fire: SurfaceFire, *, seed: int | np.random.Generator = 0,
                   crew_type: str = "professional") -> list[dict]:
    """Send the district's forest-fire teams to ``fire`` as they would go without the rest of
    the emergency (the stand-alone ``yingji hazard fire``): each team leaves its base after the
    report, the order and its turnout (:func:`.attack.dispatch_delay_min`), drives the fastest
    road route to the node nearest the fire's rear anchor and hikes in (Tobler); it then builds
    line at its crew type's rate for the fuel there. Returns one record per team (base, people,
    arrival in hours, line rate) and adds them to the fire. Nothing is sent for a fire nobody
    reports within the run."""
    from network.paths import one_to_all
    from network.plan import Plan

    from .attack import dispatch_delay_min, line_rate_m_h

    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    reported = fire.detected_s()
    if not math.isfinite(reported):
        return []
    net = district.network
    ax, ay = fire.anchor_xy()
    anchor = int(np.argmin((net.x - ax) ** 2 + (net.y - ay) ** 2))
    hike = fire.hike_s((float(net.x[anchor]), float(net.y[anchor])), (ax, ay))
    resistance = fire.resistance_at(ax, ay)
    sent = []
    for base in Plan.existing(district).team_bases:
        for team in base.teams:
            if team.type != "forest_fire":
                continue
            road = float(one_to_all(net, int(base.node))[anchor])
            if not math.isfinite(road):
                sent.append({"base": base.id, "people": int(team.people), "arrival_h": None,
                             "note": "no road from the base to the fire"})
                continue
            t = reported + 60.0 * dispatch_delay_min(crew_type, rng) + road + hike
            rate = line_rate_m_h(crew_type, resistance, persons=int(team.people))
            fire.add_crews([(t, rate)])
            sent.append({"base": base.id, "people": int(team.people), "arrival_h": round(t / 3600.0, 3),
                         "road_min": round(road / 60.0, 1), "hike_min": round(hike / 60.0, 1),
                         "line_rate_m_h": round(rate, 1)})
    fire.attack_plan = sent
    return sent


class IgnitionSection(StrictModel):
    """Where a fire starts: ``at`` [lon, lat] (must be burnable), or near a facility (``site``) or
    inside a forest (``forest``): the nearest pine-forest cell is ignited."""

    at: LonLat | None = None
    site: str | None = None
    forest: str | None = None
    time_h: float = Field(0.0, ge=0)

    _at_ok = field_validator("at")(classmethod(lambda cls, v: lonlat_point(v)))

    @model_validator(mode="after")
    def _one_place(self):
        if sum(v is not None for v in (self.at, self.site, self.forest)) != 1:
            raise ValueError("give exactly one of at, site or forest")
        return self


class WindChange(StrictModel):
    """The wind from ``time_h`` on (a front passing, the afternoon wind rising)."""

    time_h: float = Field(ge=0, le=10000)
    speed_m_s: float = Field(ge=0, le=40)
    from_deg: float = Field(ge=0, lt=360)


class FireSection(StrictModel):
    """A forest fire: ignitions (empty: the northern hills), the wind, the model and its inputs.

    ``rothermel`` reads ``moisture`` (a season of ``data/district_fuels.toml``, a standard
    scenario D1L1..D4L4, or 5 fractions), ``wind_changes``, ``detection`` (the methods present;
    empty: reported at ignition, as an explosion is), ``fuels`` (land-cover class → fuel type),
    ``neighbours`` and ``burning_min``; ``automaton`` reads ``spread_rate_m_min``.
    """

    model: Literal["rothermel", "automaton"] = "rothermel"
    ignitions: list[IgnitionSection] = []
    wind_speed_m_s: float = Field(6.0, ge=0, le=40)
    wind_from_deg: float = Field(315.0, ge=0, lt=360)
    wind_changes: list[WindChange] = []
    moisture: str | list[float] = "spring-dry"
    detection: list[str] = list(DEFAULT_DETECTION)
    fuels: dict[str, str] = {}
    neighbours: Literal[8, 16, 32] = 16
    burning_min: float = Field(60.0, gt=0, le=1440)
    spread_rate_m_min: float = Field(3.0, gt=0, le=200)
    evacuation_m: float = Field(1000.0, ge=0)
    lethal: bool = False

    @field_validator("detection")
    @classmethod
    def _known_methods(cls, v: list[str]) -> list[str]:
        bad = [m for m in v if m not in DETECTION_METHODS]
        if bad:
            raise ValueError(f"unknown detection method {bad[0]!r}; expected some of {', '.join(DETECTION_METHODS)}")
        return v

    @field_validator("moisture")
    @classmethod
    def _known_moisture(cls, v: str | list[float]) -> str | list[float]:
        values = moisture_scenario(v)
        if not isinstance(v, str) and not (all(0.01 <= x <= 0.6 for x in values[:3])
                                           and all(0.3 <= x <= 3.0 for x in values[3:])):
            raise ValueError("fractions must be dead 0.01..0.60 and live 0.30..3.00")
        return v


def _ignition_lonlat(i: int, ig: IgnitionSection, ctx: BuildContext) -> tuple[float, float]:
    """The [lon, lat] of ignition ``i``: as given, or the pine cell nearest its site or forest."""
    spec = ctx.district.spec
    if ig.at is not None:
        return ig.at
    if ig.site is not None:
        sites = {x.id: x for x in spec.facilities}
        if ig.site not in sites:
            raise ctx.fail(f"hazards.fire.ignitions.{i}.site", f"expected a facility id of the district; found {ig.site!r}")
        near = sites[ig.site].location
    else:
        forests = {x.id: x for x in spec.forests if x.id}
        if ig.forest not in forests:
            raise ctx.fail(f"hazards.fire.ignitions.{i}.forest",
                           f"expected a forest id ({', '.join(sorted(forests))}); found {ig.forest!r}")
        near = tuple(np.asarray(forests[ig.forest].polygon).mean(axis=0))
    try:
        x, y = default_ignition(ctx.district, near=near)
    except YingjiError as exc:
        raise ctx.wrap(f"hazards.fire.ignitions.{i}", exc) from None
    lon, lat = to_lonlat(np.array([x]), np.array([y]), spec.district.crs)
    return float(lon[0]), float(lat[0])


def build_fire(f: FireSection, ctx: BuildContext) -> RasterFire:
    """The section's fire on the scenario's district, seeded from the run's seed."""
    ignitions = [(*_ignition_lonlat(i, ig, ctx), ig.time_h * 3600.0) for i, ig in enumerate(f.ignitions)]
    common = dict(ignitions=ignitions or None, wind_speed_m_s=f.wind_speed_m_s, wind_from_deg=f.wind_from_deg,
                  seed=ctx.seed, evacuation_m=f.evacuation_m, lethal=f.lethal, model=f.model)
    if f.model == "automaton":
        common["spread_rate_m_min"] = f.spread_rate_m_min
    else:
        horizon = ctx.duration_s if math.isfinite(ctx.duration_s) and ctx.duration_s > 0 else 72 * 3600.0
        common.update(moisture=f.moisture, detection=f.detection or None, fuels=f.fuels, neighbours=f.neighbours,
                      burning_min=f.burning_min, horizon_s=horizon,
                      wind_changes=[(w.time_h * 3600.0, w.speed_m_s, w.from_deg) for w in f.wind_changes])
    try:
        return forest_fire(ctx.district, **common)
    except YingjiError as exc:
        raise ctx.wrap("hazards.fire", exc) from None


FIRE = HazardType("fire", FireSection, build_fire, needs_terrain=True,
                  summary="forest fire: ignitions, wind and its changes, fuel moisture, detection (Rothermel) or the automaton")
