"""The flood in a scenario: the ``[hazards.flood]`` section and the Chang River flood on a district.

The river, the gauge and the dikes come from the district model, so a scenario names only the
event: a return period (design flood) or an observed stage CSV, and the breaches.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import Field, field_validator, model_validator

from network.checks import LonLat, StrictModel, lonlat_point
from network.district import District
from network.errors import InputError, YingjiError
from network.geometry import PolylineIndex
from network.terrain import xy_of

from ..registry import BuildContext, HazardType
from .model import Breach, Dike, Hydrograph, RiverFlood, design_flood


def river_geometry(district: District) -> tuple[np.ndarray, float]:
    """River centreline (projected) and the gauge's chainage along it."""
    river_xy = xy_of(district.spec.river.course, district.spec.district.crs)
    g = xy_of([district.spec.river.gauge.location], district.spec.district.crs)[0]
    _, chain = PolylineIndex(river_xy).query(np.array([g[0]]), np.array([g[1]]))
    return river_xy, float(chain[0])


def river_flood(
    district: District,
    *,
    return_period_years: float = 50.0,
    hydrograph: Hydrograph | str | Path | None = None,
    breaches: Sequence[dict] = (),
    surface_slope_m_per_km: float = 0.3,
    **kwargs,
) -> RiverFlood:
    """A flood of the district's river: a design flood of a return period, or a given hydrograph.

    Parameters
    ----------
    district
        The district model (river course, gauge, dikes, DEM, network).
    return_period_years
        The design flood's return period (ignored when ``hydrograph`` is given).
    hydrograph
        A hydrograph object or a ``time_h,stage_m`` CSV path.
    breaches
        Dicts with ``dike`` (an id from the district), ``time_h``, ``width_m`` and optionally
        ``at`` ([lon, lat]; default the dike's middle vertex).
    surface_slope_m_per_km
        Water-surface slope along the river.
    **kwargs
        Passed to :class:`RiverFlood` (depth thresholds, warning lead, ...).

    Returns
    -------
    RiverFlood

    Raises
    ------
    InputError
        On an unknown dike or a bad hydrograph.
    """
    spec = district.spec
    crs = spec.district.crs
    river_xy, gauge_chainage = river_geometry(district)
    warning = spec.river.gauge.warning_stage_m
    if hydrograph is None:
        hydrograph = design_flood(return_period_years, warning_stage_m=warning)
    dikes = [Dike(xy_of(d.line, crs), d.crest_m) for d in spec.dikes]
    by_id = {d.id: d for d in spec.dikes}
    breach_objs = []
    for i, b in enumerate(breaches):
        dike = by_id.get(b.get("dike", ""))
        if dike is None:
            raise InputError(f"breaches[{i}].dike: unknown dike {b.get('dike')!r}; known: {sorted(by_id)}")
        x, y = xy_of([b.get("at") or dike.line[len(dike.line) // 2]], crs)[0]
        breach_objs.append(Breach(time_s=float(b.get("time_h", 0.0)) * 3600.0, x=float(x), y=float(y),
                                  width_m=float(b.get("width_m", 100.0))))
    kwargs.setdefault("warning_stage_m", warning)
    return RiverFlood(district.network, district.terrain.dem, river_xy, hydrograph, gauge_chainage,
                      surface_slope_m_per_km=surface_slope_m_per_km, dikes=dikes, breaches=breach_objs, **kwargs)


class BreachSection(StrictModel):
    """A dike breach: which dike, when, how wide, and where (default: the dike's middle)."""

    dike: str
    time_h: float = Field(ge=0)
    width_m: float = Field(100.0, gt=0, le=5000)
    at: LonLat | None = None

    _at_ok = field_validator("at")(classmethod(lambda cls, v: lonlat_point(v)))


class FloodSection(StrictModel):
    """A river flood: a design flood of a return period, or an observed stage CSV."""

    return_period_years: float | None = Field(None, ge=2, le=200)
    hydrograph: str | None = None   # time_h,stage_m CSV, relative to the scenario file
    breaches: list[BreachSection] = []
    surface_slope_m_per_km: float = Field(0.3, ge=0, le=5)
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
    dikes = {d.id for d in district.spec.dikes}
    breaches = []
    for i, b in enumerate(f.breaches):
        if b.dike not in dikes:
            raise ctx.fail(f"hazards.flood.breaches.{i}.dike", f"expected a dike of the district "
                           f"({', '.join(sorted(dikes)) or 'none'}); found {b.dike!r}")
        breaches.append({"dike": b.dike, "time_h": b.time_h, "width_m": b.width_m, **({"at": list(b.at)} if b.at else {})})
    hydrograph = None
    if f.hydrograph is not None:
        hydrograph = ctx.resolve(f.hydrograph)
        if not hydrograph.exists():
            raise ctx.fail("hazards.flood.hydrograph", f"file not found: {hydrograph}")
    try:
        return river_flood(
            district, return_period_years=f.return_period_years or 50.0, hydrograph=hydrograph, breaches=breaches,
            surface_slope_m_per_km=f.surface_slope_m_per_km, affected_depth_m=f.affected_depth_m,
            lethal_depth_m=f.lethal_depth_m, warning_lead_s=f.warning_lead_h * 3600.0,
        )
    except YingjiError as exc:
        raise ctx.wrap("hazards.flood", exc) from None


FLOOD = HazardType("flood", FloodSection, build_flood, needs_terrain=True,
                   summary="river flood: design flood or observed stages, dike breaches")
