"""The chemical release in a scenario: the ``[hazards.chemical]`` section and a release at a
district site or at a point of any road network.

A release may start at a set hour or when the scenario's flood reaches the site
(``start_when_flooded_m``: a flooded plant losing containment).
"""
from __future__ import annotations

import math
import warnings
from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from network.checks import LonLat, StrictModel, lonlat_point
from network.district import District
from network.errors import InputError, YingjiError
from network.projection import to_projected
from network.snap import snap_points
from network.terrain import xy_of

from ..registry import BuildContext, HazardType
from .model import ChemicalModelWarning, ChemicalRelease

#: district facility kinds that store hazardous substances
SITE_KINDS = ("hazmat_site", "fireworks_site")


def chemical_release(district: District, *, site: str = "chlor-alkali-plant", substance: str | None = None,
                     **kwargs) -> ChemicalRelease:
    """A toxic release at one of the district's hazardous-chemical sites (by facility id).

    Parameters
    ----------
    district
        The district model.
    site
        A facility id of kind ``hazmat_site`` or ``fireworks_site``.
    substance
        A substance name; default: the first one the site stores.
    **kwargs
        Passed to :class:`ChemicalRelease` (release terms, wind, stability, ...).

    Returns
    -------
    ChemicalRelease

    Raises
    ------
    InputError
        On an unknown site, or a site that stores no listed substance when none is given.
    """
    sites = {f.id: f for f in district.spec.facilities if f.kind in SITE_KINDS}
    if site not in sites:
        raise InputError(f"site: unknown chemical site {site!r}; known: {sorted(sites)}")
    fac = sites[site]
    if substance is None:
        if not fac.substances:
            raise InputError(f"site {site!r} stores no listed substance; give substance=")
        substance = fac.substances[0]
    kwargs.setdefault("name", f"{fac.name_zh} / {fac.name_en}")
    x, y = xy_of([fac.location], district.spec.district.crs)[0]
    return ChemicalRelease(district.network, (float(x), float(y)), substance, **kwargs)


class ChemicalSection(StrictModel):
    """A toxic release at a district site (facility id) or at ``location`` [lon, lat]."""

    site: str | None = None
    location: LonLat | None = None
    substance: str | None = None          # default: what the site stores
    # bounds far past any real release (the largest tank farms hold ~1e8 kg), so a typo such as
    # 1e308 is refused here, on its own key, not as an overflow in the model
    rate_kg_s: float | None = Field(None, gt=0, le=1e6)
    duration_min: float | None = Field(None, gt=0, le=1e5)
    mass_kg: float | None = Field(None, gt=0, le=1e9)
    start_h: float = Field(0.0, ge=0)
    # start when the flood reaches the site (depth at its node), instead of at start_h
    start_when_flooded_m: float | None = Field(None, gt=0)
    release_height_m: float = Field(0.0, ge=0)
    wind_speed_m_s: float = Field(2.0, ge=1, le=30)
    wind_from_deg: float = Field(45.0, ge=0, lt=360)
    stability: Literal["A", "B", "C", "D", "E", "F"] | None = None
    time_of_day: Literal["day", "night"] = "day"
    cloud_oktas: float | None = Field(None, ge=0, le=8)
    # "auto": evacuate only where it finishes before the gas arrives, shelter in place elsewhere
    protective_action: Literal["evacuate", "shelter", "auto"] = "auto"
    # for "auto": minutes from detection until people are on the move (warning + getting ready)
    evacuation_lead_min: float = Field(40.0, ge=0, le=24 * 60)
    # minutes from the release to its detection (gas detectors, a 119 call): warnings start then
    detection_delay_min: float = Field(10.0, ge=0, le=24 * 60)

    _loc_ok = field_validator("location")(classmethod(lambda cls, v: lonlat_point(v)))

    @model_validator(mode="after")
    def _consistent(self):
        if (self.site is None) == (self.location is None):
            raise ValueError("give exactly one of site (a facility id) or location ([lon, lat])")
        if (self.rate_kg_s is None) == (self.mass_kg is None):
            raise ValueError("give exactly one of rate_kg_s (continuous) or mass_kg (instantaneous)")
        if self.rate_kg_s is not None and self.duration_min is None:
            raise ValueError("rate_kg_s needs duration_min")
        if self.location is not None and self.substance is None:
            raise ValueError("a release at a location needs substance")
        return self


def _source(c: ChemicalSection, ctx: BuildContext) -> tuple[LonLat, str, str, str]:
    """(lon/lat, label, substance, field) of the release: a district site, or a point on the map."""
    if c.site is not None:
        if not ctx.has_terrain:
            raise ctx.fail("hazards.chemical.site", "a facility id needs a district model network; on an "
                           "OSM/GraphML network give location = [lon, lat]")
        sites = {f.id: f for f in ctx.district.spec.facilities if f.kind in SITE_KINDS}
        if c.site not in sites:
            raise ctx.fail("hazards.chemical.site", f"expected a chemical or fireworks site "
                           f"({', '.join(sorted(sites))}); found {c.site!r}")
        fac = sites[c.site]
        substance = c.substance
        if substance is None:
            if not fac.substances:
                raise ctx.fail("hazards.chemical", f"site {c.site!r} stores no listed substance; give substance")
            substance = fac.substances[0]
        return fac.location, f"{fac.name_zh} / {fac.name_en}", substance, "hazards.chemical.site"
    net, label = ctx.network, f"[{c.location[0]}, {c.location[1]}]"
    lo = (float(net.lon.min()), float(net.lat.min()), float(net.lon.max()), float(net.lat.max()))
    if not (lo[0] <= c.location[0] <= lo[2] and lo[1] <= c.location[1] <= lo[3]):
        raise ctx.fail("hazards.chemical.location", f"expected a place on the network's map (lon {lo[0]:.4f}.."
                       f"{lo[2]:.4f}, lat {lo[1]:.4f}..{lo[3]:.4f}); found {label}, off the map")
    return c.location, label, c.substance, "hazards.chemical.location"


def _start_s(c: ChemicalSection, ctx: BuildContext, xy: tuple[float, float], label: str) -> float | None:
    """When the release starts: ``start_h``, or when the flood reaches ``start_when_flooded_m`` at
    the site (None: never within the run)."""
    if c.start_when_flooded_m is None:
        return c.start_h * 3600.0
    flood = ctx.built.get("flood")
    if flood is None:
        raise ctx.fail("hazards.chemical.start_when_flooded_m", "needs [hazards.flood] in the same scenario")
    node = int(snap_points(ctx.network, np.array([xy[0]]), np.array([xy[1]])).node[0])
    start_s = float(flood.first_flood_time_s(c.start_when_flooded_m)[node])
    hours = ctx.duration_s / 3600.0
    if not math.isfinite(start_s) or start_s > ctx.duration_s:
        ctx.notes.append(f"hazards.chemical: the flood never reaches {c.start_when_flooded_m:g} m at {label} within "
                         f"{hours:g} h: no release in this run")
        return None
    ctx.notes.append(f"hazards.chemical: the flood reaches {c.start_when_flooded_m:g} m at {label} at "
                     f"T+{start_s / 3600.0:.1f} h; the release starts then")
    return start_s


def build_chemical(c: ChemicalSection, ctx: BuildContext) -> ChemicalRelease | None:
    """The section's release (None when a flood-triggered release never starts in the run)."""
    lonlat, label, substance, field_ = _source(c, ctx)
    x, y = to_projected(np.array([lonlat[0]]), np.array([lonlat[1]]), ctx.network.crs)
    xy = (float(x[0]), float(y[0]))
    start_s = _start_s(c, ctx, xy, label)
    if start_s is None:
        return None
    release = (dict(rate_g_s=c.rate_kg_s * 1000.0, duration_s=c.duration_min * 60.0) if c.rate_kg_s is not None
               else dict(mass_kg=c.mass_kg, duration_s=None if c.duration_min is None else c.duration_min * 60.0))
    night = c.time_of_day == "night"
    try:
        with warnings.catch_warnings():
            # the model records its limit warnings in .warnings; they go into the run's notes
            warnings.simplefilter("ignore", ChemicalModelWarning)
            chem = ChemicalRelease(
                ctx.network, xy, substance, wind=(c.wind_speed_m_s, c.wind_from_deg),
                stability=c.stability, day=not night, cloud_oktas=c.cloud_oktas if night else None,
                start_s=start_s, protective_action=c.protective_action, release_height_m=c.release_height_m,
                evacuation_lead_min=c.evacuation_lead_min,
                detection_delay_s=c.detection_delay_min * 60.0, name=label, **release,
            )
    except YingjiError as exc:
        raise ctx.wrap(field_, exc) from None
    ctx.notes.extend(chem.warnings)
    return chem


CHEMICAL = HazardType("chemical", ChemicalSection, build_chemical,
                      summary="toxic gas release: Gaussian plume or puffs, AEGL zones")
