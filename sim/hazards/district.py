"""Hazards on a district model: the river, dikes, forests and chemical sites come from its spec.

These builders give each hazard model the district's own geometry and sensible defaults, so
``yingji hazard flood`` (and later scenario files) need only the event's parameters.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from network.district import District
from network.errors import InputError
from network.geometry import PolylineIndex
from network.raster import Raster
from network.terrain import LandCover, xy_of

from .chemical import ChemicalRelease
from .fire import Density, ForestFire, Vegetation
from .flood import Breach, Dike, RiverFlood, design_flood

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


def _xy(district: District, lonlat: Sequence[float]) -> tuple[float, float]:
    p = xy_of([lonlat], district.spec.district.crs)[0]
    return float(p[0]), float(p[1])


def river_geometry(district: District) -> tuple[np.ndarray, float]:
    """River centreline (projected) and the gauge's chainage along it."""
    river_xy = xy_of(district.spec.river.course, district.spec.district.crs)
    gx, gy = _xy(district, district.spec.river.gauge.location)
    _, chain = PolylineIndex(river_xy).query(np.array([gx]), np.array([gy]))
    return river_xy, float(chain[0])


def river_flood(
    district: District,
    *,
    return_period_years: float = 50.0,
    hydrograph=None,
    breaches: Sequence[dict] = (),
    surface_slope_m_per_km: float = 0.3,
    **kwargs,
) -> RiverFlood:
    """A Chang River flood: a design flood of a return period (or a given hydrograph / stage CSV).

    ``breaches``: dicts with ``dike`` (id from the spec), ``time_h``, ``width_m`` and optionally
    ``at`` ([lon, lat]; default the dike's middle vertex).
    """
    spec = district.spec
    river_xy, gauge_chainage = river_geometry(district)
    if hydrograph is None:
        hydrograph = design_flood(return_period_years, warning_stage_m=spec.river.gauge.warning_stage_m)
    dikes = [Dike(xy_of(d.line, spec.district.crs), d.crest_m) for d in spec.dikes]
    by_id = {d.id: d for d in spec.dikes}
    breach_objs = []
    for i, b in enumerate(breaches):
        dike = by_id.get(b.get("dike", ""))
        if dike is None:
            raise InputError(f"breaches[{i}].dike: unknown dike {b.get('dike')!r}; known: {sorted(by_id)}")
        at = b.get("at") or dike.line[len(dike.line) // 2]
        x, y = _xy(district, at)
        breach_objs.append(Breach(time_s=float(b.get("time_h", 0.0)) * 3600.0, x=x, y=y, width_m=float(b.get("width_m", 100.0))))
    return RiverFlood(
        district.network, district.terrain.dem, river_xy, hydrograph, gauge_chainage,
        surface_slope_m_per_km=surface_slope_m_per_km, dikes=dikes, breaches=breach_objs, **kwargs,
    )


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
    """A pine-forest cell near a point (default: the northern hills) to start a fire."""
    veg, _ = fuel_rasters(district)
    if near is None:
        forests = [f for f in district.spec.forests if f.id == "north-hills"] or district.spec.forests
        if not forests:
            raise InputError("the district has no forest areas to ignite")
        poly = np.asarray(forests[0].polygon)
        near = poly.mean(axis=0)
    x, y = _xy(district, near)
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
    """A forest fire on the district's fuels; ``ignitions`` are ``(lon, lat[, t_s])``."""
    veg, den = fuel_rasters(district)
    if ignitions is None:
        pts = [default_ignition(district) + (0.0,)]
    else:
        pts = []
        for ig in ignitions:
            x, y = _xy(district, ig[:2])
            pts.append((x, y, float(ig[2]) if len(ig) > 2 else 0.0))
    kwargs.setdefault("forest_types", DISTRICT_FOREST_TYPES)
    return ForestFire(
        district.network, district.terrain.dem, veg, den, pts,
        wind_speed_m_s=wind_speed_m_s, wind_from_deg=wind_from_deg, seed=seed, **kwargs,
    )


def chemical_release(
    district: District,
    *,
    site: str = "chlor-alkali-plant",
    substance: str | None = None,
    **kwargs,
) -> ChemicalRelease:
    """A toxic release at one of the district's hazardous-chemical sites (by facility id)."""
    sites = {f.id: f for f in district.spec.facilities if f.kind in ("hazmat_site", "fireworks_site")}
    if site not in sites:
        raise InputError(f"site: unknown chemical site {site!r}; known: {sorted(sites)}")
    fac = sites[site]
    if substance is None:
        if not fac.substances:
            raise InputError(f"site {site!r} stores no listed substance; give substance=")
        substance = fac.substances[0]
    kwargs.setdefault("name", f"{fac.name_zh} / {fac.name_en}")
    return ChemicalRelease(district.network, _xy(district, fac.location), substance, **kwargs)
