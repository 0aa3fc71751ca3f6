"""What a river flood does to the people of a district: depth bands, expected deaths, annual risk.

* **Event.** :func:`flood_impact` takes each resident node's deepest water, fastest rise (over
  one hour) and fastest flow over a run (``RiverFlood.node_hazard``) and gives the people
  affected (node deeper than the affected depth, 0.15 m), the people by depth band, and the
  expected deaths of the Jonkman et al. (2008) zone functions (:mod:`.mortality`), by township.
  Who counts as exposed is the caller's: by default every resident of a flooded node (nobody
  left), or a share of them (``exposed_share``: those still home when the water came, from a
  simulated response).
* **Year.** :func:`annual_risk` runs the same river and dikes under design floods of a set of
  return periods, takes each one's expected deaths and integrates the risk curve
  (:func:`.mortality.annual_death_risk`): events more frequent than the first that kills count
  zero deaths, the rarest one's deaths hold beyond it. Divided by the district's residents, per
  million: the plan's target (< 1 death per million people per year, docs/references/targets.md §5).
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from network.checks import finite
from network.district import District
from network.errors import InputError

from .frequency import design_flood
from .model import RiverFlood
from .mortality import (
    JONKMAN_2008,
    MortalityZone,
    annual_death_risk,
    mortality_fraction,
    mortality_zone,
    per_million,
)

#: depth bands of the people affected, by the deepest water at their node (m; lower bound
#: inclusive). The first band starts at the affected depth: shallower nodes are not affected.
DEPTH_BANDS_M: tuple[tuple[str, float, float], ...] = (
    ("0-0.5", 0.0, 0.5), ("0.5-1.5", 0.5, 1.5), ("1.5-3", 1.5, 3.0), ("3+", 3.0, np.inf),
)
#: return periods of the annual risk (the frequency curve's range, docs/references/hazards.md §1.1)
RISK_RETURN_PERIODS = (10.0, 20.0, 50.0, 100.0, 200.0)


@dataclass(frozen=True)
class FloodImpact:
    """People affected, by depth band and township, and expected deaths of one flood.

    Attributes
    ----------
    affected_people
        Residents of nodes whose deepest water exceeds the affected depth.
    people_by_depth_m
        Those people by the band of their node's deepest water (:data:`DEPTH_BANDS_M`).
    expected_deaths
        Sum over nodes of exposed people × mortality fraction.
    deaths_by_zone
        The same split by mortality zone (``breach``, ``rapid_rise``, ``remaining``).
    exposed_share
        Share of the affected people taken as exposed (1: nobody left).
    by_township
        One dict per township with people affected: ``township``, ``name_zh``, ``name_en``,
        ``affected_people``, ``people_by_depth_m``, ``expected_deaths``.
    """

    affected_people: int
    people_by_depth_m: dict[str, int]
    expected_deaths: float
    deaths_by_zone: dict[str, float]
    exposed_share: float
    by_township: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with the mortality function named."""
        return {
            "affected_people": self.affected_people,
            "people_by_depth_m": dict(self.people_by_depth_m),
            "expected_deaths": round(self.expected_deaths, 3),
            "expected_deaths_by_zone": {k: round(v, 3) for k, v in self.deaths_by_zone.items()},
            "exposed_share": round(self.exposed_share, 4),
            "mortality_function": JONKMAN_2008.name,
            "by_township": self.by_township,
        }


def _share(value: float) -> float:
    """A checked exposed share (0–1)."""
    share = finite("exposed_share", value)
    if not 0.0 <= share <= 1.0:
        raise InputError(f"exposed_share: must lie within 0–1, found {share}")
    return share


def _bands(pop: np.ndarray, depth: np.ndarray, mask: np.ndarray) -> dict[str, int]:
    return {name: round(pop[mask & (depth >= lo) & (depth < hi)].sum()) for name, lo, hi in DEPTH_BANDS_M}


def flood_impact(flood: RiverFlood, district: District, times_s: Sequence[float], *,
                 exposed_share: float = 1.0) -> FloodImpact:
    """People affected by depth band and township, and the expected deaths, over ``times_s``.

    Parameters
    ----------
    flood
        A river flood on the district's network (either engine).
    district
        The district (residents per node, townships).
    times_s
        The run's times (s): the flood is read from the first to the last.
    exposed_share
        Share of the residents of flooded nodes still there when the water comes (0–1).

    Returns
    -------
    FloodImpact

    Raises
    ------
    InputError
        When ``exposed_share`` is not within 0–1.
    """
    share = _share(exposed_share)
    net = district.network
    pop = np.asarray(net.population, dtype=np.float64)
    h = flood.node_hazard(times_s)
    depth = h["max_depth"]
    affected = (depth > flood.affected_depth_m) & (pop > 0)
    fraction, zone = node_mortality(h)
    deaths = pop * share * fraction
    by_zone = {z.name.lower(): float(deaths[zone == z].sum())
               for z in (MortalityZone.BREACH, MortalityZone.RAPID_RISE, MortalityZone.REMAINING)}
    towns = []
    zones = np.asarray(net.zone)
    for k, t in enumerate(district.spec.townships):
        m = affected & (zones == k)
        if not m.any():
            continue
        towns.append({"township": t.id, "name_zh": t.name_zh, "name_en": t.name_en,
                      "affected_people": round(pop[m].sum()), "people_by_depth_m": _bands(pop, depth, m),
                      "expected_deaths": round(float(deaths[zones == k].sum()), 3)})
    return FloodImpact(
        affected_people=round(pop[affected].sum()),
        people_by_depth_m=_bands(pop, depth, affected),
        expected_deaths=float(deaths.sum()),
        deaths_by_zone=by_zone,
        exposed_share=share,
        by_township=towns,
    )


def node_mortality(hazard: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(mortality fraction, :class:`.mortality.MortalityZone` code) per node from
    ``RiverFlood.node_hazard``'s maxima; 0 and DRY where the node stays dry."""
    depth = hazard["max_depth"]
    wet = depth > 0.0
    fraction = np.zeros_like(depth)
    zone = np.zeros(len(depth), np.int8)
    args = (depth[wet], hazard["max_rise"][wet], hazard["max_speed"][wet])
    fraction[wet] = mortality_fraction(*args, depth_velocity_m2_s=hazard["max_hv"][wet])
    zone[wet] = mortality_zone(*args, depth_velocity_m2_s=hazard["max_hv"][wet])
    return fraction, zone


@dataclass(frozen=True)
class AnnualRisk:
    """Expected annual deaths from the design floods of a set of return periods.

    Attributes
    ----------
    return_periods_years, deaths
        Each design flood and its expected deaths.
    expected_annual_deaths
        The integral of the risk curve (deaths per year).
    per_million
        Per million residents of the district: the plan's indicator.
    population
        The district's residents.
    exposed_share
        Share of the residents of flooded nodes taken as exposed in every event.
    engine
        The flood engine of the events.
    """

    return_periods_years: tuple[float, ...]
    deaths: tuple[float, ...]
    expected_annual_deaths: float
    per_million: float
    population: float
    exposed_share: float
    engine: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "expected_annual_deaths": self.expected_annual_deaths,
            "expected_annual_deaths_per_million": round(self.per_million, 4),
            "events": [{"return_period_years": t, "expected_deaths": round(d, 3)}
                       for t, d in zip(self.return_periods_years, self.deaths)],
            "population": round(self.population),
            "exposed_share": round(self.exposed_share, 4),
            "engine": self.engine,
            "mortality_function": JONKMAN_2008.name,
        }


#: deaths of a design flood with everyone exposed, per (terrain fingerprint, engine, regime, T)
_EVENT_DEATHS: dict[tuple, float] = {}


def _fingerprint(flood: RiverFlood) -> str:
    """A hash of what the design floods of a river depend on: ground, dikes, channel, residents."""
    tn = flood._terrain
    fp = getattr(tn, "_risk_fingerprint", None)
    if fp is None:
        h = hashlib.sha256()
        for a in (tn.z, tn.crest, tn.offset, tn.seeds, tn.pt_cell, tn.pt_raise, np.asarray(flood.net.population, float)):
            h.update(np.ascontiguousarray(a).tobytes())
        fp = tn._risk_fingerprint = h.hexdigest()
    return fp


def annual_risk(flood: RiverFlood, *, exposed_share: float = 1.0,
                return_periods_years: Sequence[float] = RISK_RETURN_PERIODS,
                regime: str = "regulated") -> AnnualRisk:
    """Expected annual flood deaths per million residents, over design floods of ``return_periods_years``.

    Each design flood runs on ``flood``'s river, DEM and dikes (its crests as set, no breaches)
    through its whole hydrograph with the same engine; a flood's deaths with everyone exposed
    are kept for the process (the 2-D runs are also cached on disk), and scaled by
    ``exposed_share``.

    Parameters
    ----------
    flood
        The flood whose river, dikes and residents to use (its own hydrograph and breaches are not).
    exposed_share
        Share of the residents of flooded nodes still there when the water comes, in every event.
    return_periods_years
        The design floods (years, within the frequency curve's 2–200).
    regime
        ``"regulated"`` (today, with Wuxikou) or ``"natural"``.

    Returns
    -------
    AnnualRisk

    Raises
    ------
    InputError
        On a return period outside the curve's range, or ``exposed_share`` outside 0–1.
    """
    share = _share(exposed_share)
    pop = np.asarray(flood.net.population, dtype=np.float64)
    periods = sorted(float(t) for t in return_periods_years)
    deaths = []
    for t in periods:
        key = (_fingerprint(flood), flood.engine, regime, t)
        if key not in _EVENT_DEATHS:
            design = flood.design_floods or (lambda t_, regime_: design_flood(t_, regime=regime_))
            event = flood.with_hydrograph(design(t, regime), breaches=[])
            hyd = event.hydrograph
            fraction, _ = node_mortality(event.node_hazard([hyd.start_s, hyd.end_s]))
            _EVENT_DEATHS[key] = float((pop * fraction).sum())
        deaths.append(_EVENT_DEATHS[key] * share)
    curve = annual_death_risk(periods, deaths)
    population = float(pop.sum())
    return AnnualRisk(
        return_periods_years=tuple(periods), deaths=tuple(deaths),
        expected_annual_deaths=curve.expected_annual_deaths,
        per_million=per_million(curve.expected_annual_deaths, population),
        population=population, exposed_share=share, engine=flood.engine,
    )


def gauge_context(district: District, peak_stage_m: float) -> dict[str, Any]:
    """The event's peak at the gauge beside the warning stage and the 2016 and 1998 peaks (m)."""
    g = district.spec.river.gauge
    out: dict[str, Any] = {"gauge_zh": g.name_zh, "gauge_en": g.name_en, "peak_stage_m": round(peak_stage_m, 2),
                           "warning_stage_m": g.warning_stage_m,
                           "above_warning_m": round(peak_stage_m - g.warning_stage_m, 2)}
    if g.record_2016_m is not None:
        out["peak_2016_m"] = g.record_2016_m
    if g.record_1998_m is not None:
        out["peak_1998_m"] = g.record_1998_m
        out["peak_1998_note"] = "estimate: reported only as slightly above 2016 (docs/references/changjiang.md §4)"
    return out
