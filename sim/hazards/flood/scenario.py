"""The flood in a scenario: the ``[hazards.flood]`` section and the Chang River flood on a district.

The river, the gauge and the dikes come from the district model, so a scenario names only the
event: a return period (design flood) or an observed stage CSV, and the breaches.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from network.checks import LonLat, StrictModel, finite, lonlat_point
from network.district import District
from network.errors import InputError, YingjiError
from network.geometry import PolylineIndex
from network.raster import Raster
from network.terrain import LandCover, xy_of

from ..registry import BuildContext, HazardType
from .frequency import gauge_design_floods
from .model import Breach, Dike, Hydrograph, RiverFlood
from .two_d import RiverFlood2D, manning_from_landcover


def river_geometry(district: District) -> tuple[np.ndarray, float]:
    """River centreline (projected) and the gauge's chainage along it."""
    river_xy = xy_of(district.spec.river.course, district.spec.district.crs)
    g = xy_of([district.spec.river.gauge.location], district.spec.district.crs)[0]
    _, chain = PolylineIndex(river_xy).query(np.array([g[0]]), np.array([g[1]]))
    return river_xy, float(chain[0])


#: a tie-back runs at most this far, and ends on ground this far above the crest
TIE_BACK_MAX_M = 5000.0
TIE_BACK_MARGIN_M = 0.2


def district_dikes(district: District, crest_offset_m: float = 0.0) -> list[Dike]:
    """The district's dikes, each with its crest at every vertex and tied into high ground.

    The crest is the spec's gauge-equivalent crest plus the river's surface slope to each place
    (plus ``crest_offset_m``). From each end the dike runs on, at its end crest, directly away
    from the river until the ground stands ``TIE_BACK_MARGIN_M`` above that crest: a dike with
    an open end would be flanked by the water it holds back (docs/references/hazards.md §1.3).
    A crest higher than any ground within ``TIE_BACK_MAX_M`` (a what-if raise) runs that far.
    """
    spec = district.spec
    river_xy, gauge_chainage = river_geometry(district)
    river = PolylineIndex(river_xy)
    slope = spec.river.surface_slope_m_per_km / 1000.0
    away = _away_from_river(district, river)
    dikes = []
    for d in spec.dikes:
        xy = xy_of(d.line, spec.district.crs)
        _, s = river.query(xy[:, 0], xy[:, 1])
        crest = d.crest_m + crest_offset_m + slope * (gauge_chainage - s)
        head = _tie_back(district.terrain.dem, away, xy[0], crest[0])
        tail = _tie_back(district.terrain.dem, away, xy[-1], crest[-1])
        line = np.vstack([head[::-1], xy, tail])
        crests = np.r_[np.full(len(head), crest[0]), crest, np.full(len(tail), crest[-1])]
        dikes.append(Dike(line, crests, name=d.id))
    return dikes


def _away_from_river(district: District, river: PolylineIndex) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors per DEM cell pointing away from the river (the gradient of the distance to it)."""
    dem = district.terrain.dem
    xc, yc = dem.cell_centres()
    dist, _ = river.query(*np.meshgrid(xc, yc))
    gy, gx = np.gradient(dist, dem.cellsize)
    n = np.maximum(np.hypot(gx, gy), 1e-9)
    return gx / n, gy / n


def _tie_back(dem: Raster, away: tuple[np.ndarray, np.ndarray], start: np.ndarray, crest: float) -> np.ndarray:
    """The points of a tie-back from ``start`` to ground ``TIE_BACK_MARGIN_M`` above ``crest``
    (empty when the dike already ends on such ground)."""
    step = float(dem.cellsize) / 2.0
    px, py = float(start[0]), float(start[1])
    pts = []
    for _ in range(int(TIE_BACK_MAX_M / step)):
        r, c = dem.cell_of(np.array([px]), np.array([py]))
        if r[0] < 0 or dem.values[r[0], c[0]] >= crest + TIE_BACK_MARGIN_M:
            break
        px, py = px + away[0][r[0], c[0]] * step, py + away[1][r[0], c[0]] * step
        pts.append((px, py))
    return np.asarray(pts, float).reshape(-1, 2)


#: the flood engines: the 2-D local-inertial solver (default) and the connected fill (quick look)
ENGINES = ("2d", "fill")


def river_flood(
    district: District,
    *,
    return_period_years: float = 50.0,
    regime: str = "regulated",
    peak_time_h: float | None = None,
    hydrograph: Hydrograph | str | Path | None = None,
    breaches: Sequence[dict] = (),
    surface_slope_m_per_km: float | None = None,
    dike_crest_offset_m: float = 0.0,
    engine: str = "2d",
    **kwargs,
) -> RiverFlood:
    """A flood of the district's river: a design flood of a return period, or a given hydrograph.

    The river channel (land cover "water", up to the bank tops) holds the river's level; the
    2-D engine takes Manning's n from the land cover (:func:`.two_d.manning_from_landcover`).

    Parameters
    ----------
    district
        The district model (river course, gauge, dikes, DEM, network).
    return_period_years
        The design flood's return period (ignored when ``hydrograph`` is given).
    regime
        ``"regulated"`` (today, with the Wuxikou reservoir) or ``"natural"`` (before 2019).
    peak_time_h
        When the design flood peaks at the gauge (default: it rises from t = 0; an earlier peak
        means the river was already rising when the run starts).
    hydrograph
        A hydrograph object or a ``time_h,stage_m`` CSV path.
    breaches
        Dicts with ``dike`` (an id from the district), ``time_h``, ``width_m`` and optionally
        ``at`` ([lon, lat]; default :func:`weakest_point`, where the dike stands on its lowest
        ground) and ``material`` (``"sand"``, the default, or ``"clay"``).
    surface_slope_m_per_km
        Water-surface slope along the river (default: the district's).
    dike_crest_offset_m
        Raises (or, negative, lowers) every dike crest by this many metres.
    engine
        ``"2d"`` (:class:`.two_d.RiverFlood2D`) or ``"fill"`` (:class:`.model.RiverFlood`).
    **kwargs
        Passed to the flood class (depth thresholds, warning lead, ...).

    Returns
    -------
    RiverFlood

    Raises
    ------
    InputError
        On an unknown dike or engine, or a bad hydrograph.
    """
    if engine not in ENGINES:
        raise InputError(f"engine: expected one of {', '.join(ENGINES)}; found {engine!r}")
    spec = district.spec
    crs = spec.district.crs
    river_xy, gauge_chainage = river_geometry(district)
    warning = spec.river.gauge.warning_stage_m
    design, rise_h = gauge_design_floods(spec.river.gauge)
    kwargs.setdefault("design_floods", design)
    if hydrograph is None:
        start_s = 0.0 if peak_time_h is None else finite("peak_time_h", peak_time_h) * 3600.0 - rise_h * 3600.0
        hydrograph = design(return_period_years, regime, start_s)
    dikes = district_dikes(district, dike_crest_offset_m)
    if surface_slope_m_per_km is None:
        surface_slope_m_per_km = spec.river.surface_slope_m_per_km
    by_id = {d.id: d for d in spec.dikes}
    breach_objs = []
    for i, b in enumerate(breaches):
        dike = by_id.get(b.get("dike", ""))
        if dike is None:
            raise InputError(f"breaches[{i}].dike: unknown dike {b.get('dike')!r}; known: {sorted(by_id)}")
        x, y = xy_of([b["at"]], crs)[0] if b.get("at") else weakest_point(district, dike.id)
        breach_objs.append(Breach(time_s=float(b.get("time_h", 0.0)) * 3600.0, x=float(x), y=float(y),
                                  width_m=float(b.get("width_m", 100.0)), material=b.get("material", "sand")))
    kwargs.setdefault("warning_stage_m", warning)
    lc = district.terrain.landcover
    kwargs.setdefault("channel", lc.like((lc.values == int(LandCover.WATER)).astype(np.float64)))
    cls: type[RiverFlood] = RiverFlood
    if engine == "2d":
        cls = RiverFlood2D
        kwargs.setdefault("manning_n", manning_from_landcover(lc))
    return cls(district.network, district.terrain.dem, river_xy, hydrograph, gauge_chainage,
               surface_slope_m_per_km=surface_slope_m_per_km, dikes=dikes, breaches=breach_objs, **kwargs)


def weakest_point(district: District, dike_id: str) -> tuple[float, float]:
    """Where a dike stands on its lowest ground (gauge-equivalent): the most water against it.

    Parameters
    ----------
    district
        The district model.
    dike_id
        A dike of the district.

    Returns
    -------
    tuple of float
        Projected (x, y) of that point of the dike's line (tie-backs excluded).
    """
    spec = district.spec
    dike = next(d for d in spec.dikes if d.id == dike_id)
    xy = xy_of(dike.line, spec.district.crs)
    seg = np.hypot(*np.diff(xy, axis=0).T)
    k = np.maximum(1, np.ceil(seg / (district.terrain.dem.cellsize / 2)).astype(int))
    pts = np.vstack([xy[i] + np.linspace(0, 1, k[i], endpoint=False)[:, None] * (xy[i + 1] - xy[i])
                     for i in range(len(seg))] + [xy[-1:]])
    river_xy, gauge_chainage = river_geometry(district)
    _, s = PolylineIndex(river_xy).query(pts[:, 0], pts[:, 1])
    ground = district.terrain.dem.sample(pts[:, 0], pts[:, 1])
    equivalent = ground - spec.river.surface_slope_m_per_km / 1000.0 * (gauge_chainage - s)
    best = int(np.nanargmin(equivalent))
    return float(pts[best, 0]), float(pts[best, 1])


class BreachSection(StrictModel):
    """A dike breach: which dike, when, how wide, and where (default: the dike's middle)."""

    dike: str
    time_h: float = Field(ge=0)
    width_m: float = Field(100.0, gt=0, le=5000)
    at: LonLat | None = None   # default: where the dike stands on its lowest ground
    material: Literal["sand", "clay"] = "sand"   # sets how fast the breach widens (2-D engine)

    _at_ok = field_validator("at")(classmethod(lambda cls, v: lonlat_point(v)))


class FloodSection(StrictModel):
    """A river flood: a design flood of a return period, or an observed stage CSV."""

    return_period_years: float | None = Field(None, ge=2, le=200)
    engine: Literal["2d", "fill"] = "2d"   # the 2-D solver, or the connected fill (quick look)
    regime: Literal["regulated", "natural"] = "regulated"   # with the Wuxikou reservoir (today), or before 2019
    peak_h: float | None = Field(None, ge=-200, le=720)     # when the design flood peaks (default: rises from 0 h)
    hydrograph: str | None = None   # time_h,stage_m CSV, relative to the scenario file
    breaches: list[BreachSection] = []
    dike_crest_offset_m: float = Field(0.0, ge=-20, le=100)   # raises (or lowers) every dike crest
    surface_slope_m_per_km: float | None = Field(None, ge=0, le=5)   # default: the district's
    affected_depth_m: float = Field(0.15, gt=0)
    lethal_depth_m: float = Field(1.5, gt=0)
    warning_lead_h: float = Field(6.0, ge=0)

    @model_validator(mode="after")
    def _one_source(self):
        if (self.return_period_years is None) == (self.hydrograph is None):
            raise ValueError("give exactly one of return_period_years or hydrograph")
        if self.lethal_depth_m <= self.affected_depth_m:
            raise ValueError("lethal_depth_m must be greater than affected_depth_m")
        return self


def build_flood(f: FloodSection, ctx: BuildContext) -> RiverFlood:
    """The section's flood on the scenario's district (breaches checked against its dikes)."""
    district = ctx.district
    if district.spec.river is None:
        raise ctx.fail("hazards.flood", "the district has no river: give [water] (rivers, channel_width_m, "
                       "[water.gauge]) in its manifest (docs/manifest.md)")
    g = district.spec.river.gauge
    if f.hydrograph is None and not (g.stage_frequency or g.discharge_frequency) and district.inputs is not None:
        raise ctx.fail("hazards.flood.return_period_years", "the district's gauge has no stage_frequency or "
                       "discharge_frequency table ([water.gauge] in its manifest): give one, or a hydrograph file here")
    dikes = {d.id for d in district.spec.dikes}
    breaches = []
    for i, b in enumerate(f.breaches):
        if b.dike not in dikes:
            raise ctx.fail(f"hazards.flood.breaches.{i}.dike", f"expected a dike of the district "
                           f"({', '.join(sorted(dikes)) or 'none'}); found {b.dike!r}")
        if b.time_h * 3600.0 > ctx.duration_s:
            raise ctx.fail(f"hazards.flood.breaches.{i}.time_h", f"the breach opens at {b.time_h:g} h, after the "
                           f"run ends ({ctx.duration_s / 3600.0:g} h)")
        breaches.append({"dike": b.dike, "time_h": b.time_h, "width_m": b.width_m, "material": b.material,
                         **({"at": list(b.at)} if b.at else {})})
    hydrograph = None
    if f.hydrograph is not None:
        hydrograph = ctx.resolve(f.hydrograph)
        if not hydrograph.exists():
            raise ctx.fail("hazards.flood.hydrograph", f"file not found: {hydrograph}")
    try:
        return river_flood(
            district, return_period_years=f.return_period_years or 50.0, regime=f.regime, peak_time_h=f.peak_h,
            hydrograph=hydrograph, breaches=breaches, dike_crest_offset_m=f.dike_crest_offset_m,
            surface_slope_m_per_km=f.surface_slope_m_per_km, engine=f.engine, affected_depth_m=f.affected_depth_m,
            lethal_depth_m=f.lethal_depth_m, warning_lead_s=f.warning_lead_h * 3600.0,
        )
    except YingjiError as exc:
        raise ctx.wrap("hazards.flood", exc) from None


FLOOD = HazardType("flood", FloodSection, build_flood, needs_terrain=True,
                   summary="river flood: design flood or observed stages, dike breaches")
