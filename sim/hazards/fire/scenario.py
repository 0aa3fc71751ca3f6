"""The forest fire in a scenario: the ``[hazards.fire]`` section and the fire on a district's fuels.

Fuels come from the district's land cover and canopy: each land-cover class maps to an
Alexandridis vegetation class and the canopy cover to a density class.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import Field, field_validator, model_validator

from network.checks import LonLat, StrictModel, lonlat_point
from network.district import District
from network.errors import InputError, YingjiError
from network.projection import to_lonlat
from network.raster import Raster
from network.terrain import LandCover, xy_of

from ..registry import BuildContext, HazardType
from .model import Density, ForestFire, Vegetation

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
    **kwargs,
) -> ForestFire:
    """A forest fire on the district's fuels.

    Parameters
    ----------
    district
        The district model (DEM, land cover, canopy, network).
    ignitions
        ``(lon, lat[, t_s])`` per ignition; default: :func:`default_ignition` at t = 0.
    wind_speed_m_s, wind_from_deg
        The wind (meteorological direction: where it blows from).
    seed
        Seed or generator of the automaton's draws.
    **kwargs
        Passed to :class:`ForestFire`.

    Returns
    -------
    ForestFire
    """
    veg, den = fuel_rasters(district)
    if ignitions is None:
        pts = [default_ignition(district) + (0.0,)]
    else:
        pts = []
        for ig in ignitions:
            x, y = xy_of([ig[:2]], district.spec.district.crs)[0]
            pts.append((float(x), float(y), float(ig[2]) if len(ig) > 2 else 0.0))
    kwargs.setdefault("forest_types", DISTRICT_FOREST_TYPES)
    return ForestFire(district.network, district.terrain.dem, veg, den, pts,
                      wind_speed_m_s=wind_speed_m_s, wind_from_deg=wind_from_deg, seed=seed, **kwargs)


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


class FireSection(StrictModel):
    """A forest fire: ignitions (empty: the northern hills), the wind, the nominal spread rate."""

    ignitions: list[IgnitionSection] = []
    wind_speed_m_s: float = Field(6.0, ge=0, le=40)
    wind_from_deg: float = Field(315.0, ge=0, lt=360)
    spread_rate_m_min: float = Field(3.0, gt=0, le=200)
    evacuation_m: float = Field(1000.0, ge=0)
    lethal: bool = False


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


def build_fire(f: FireSection, ctx: BuildContext) -> ForestFire:
    """The section's fire on the scenario's district, seeded from the run's seed."""
    ignitions = [(*_ignition_lonlat(i, ig, ctx), ig.time_h * 3600.0) for i, ig in enumerate(f.ignitions)]
    try:
        return forest_fire(
            ctx.district, ignitions=ignitions or None, wind_speed_m_s=f.wind_speed_m_s, wind_from_deg=f.wind_from_deg,
            seed=ctx.seed, spread_rate_m_min=f.spread_rate_m_min, evacuation_m=f.evacuation_m, lethal=f.lethal,
        )
    except YingjiError as exc:
        raise ctx.wrap("hazards.fire", exc) from None


FIRE = HazardType("fire", FireSection, build_fire, needs_terrain=True,
                  summary="forest fire: ignitions, wind, spread rate")
