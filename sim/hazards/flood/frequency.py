"""Floods of a return period at the Dufengkeng gauge: discharge–frequency, the Wuxikou reservoir's
flood storage, a rating curve, and design hydrographs (docs/references/hazards.md §1.1).

The chain, each link a stated assumption anchored on the gauge's record (docs/references/
changjiang.md §3–§5):

1. **Natural annual-maximum discharge** at the gauge follows a Gumbel distribution, fitted
   through two anchors: the warning stage is passed about every other year (the 2-year flood
   peaks ≈ 0.5 m above it), and the June 2016 flood (33.89 m, "above a 20-year flood") is the
   22-year flood of the unregulated river.
2. **Rating curve** ``H = datum + c Q^m`` through bankfull (the warning stage, 28.5 m, at
   2,200 m³/s: Manning's formula for the 180 m, 7.5 m deep channel) and the 2016 peak (33.89 m at
   an estimated 7,500 m³/s: the upstream Zhangshukeng gauge recorded about 6,150 m³/s, and the
   tributaries joining above the city add to it).
3. **Design hydrograph** of a peak: a gamma-shaped rise over 36 h and a recession that, for
   the 2016 peak, falls back below the warning stage ≈ 23 h after the peak, as observed.
4. **The Wuxikou reservoir** (since 2019, 2.9 × 10⁸ m³ of flood storage) holds back the part of
   the flood that comes from its catchment above a safe release, until its flood storage is
   full. The release is set so that the reservoir turns the natural 50-year flood into the
   natural 20-year one at the city — the statement that reservoir and dikes together lift the
   city's standard from 20 to 50 years. ``regime="regulated"`` (today) routes every design
   flood through it; ``regime="natural"`` does not (the river before 2019, e.g. for 2016).

Every number is an estimate a hydrologist should replace with the gauge's frequency analysis;
the chain is what makes the figures follow from the record.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from network.checks import finite, positive
from network.errors import InputError

from .model import DesignHydrograph

#: return periods the curve covers (years): outside it the curve is an extrapolation
RETURN_PERIOD_RANGE = (2.0, 200.0)
#: the warning stage at Dufengkeng (m)
WARNING_STAGE_M = 28.5
#: the June 2016 peak at Dufengkeng (m) and its return period on the unregulated river
STAGE_2016_M = 33.89
RETURN_PERIOD_2016 = 22.0


def gumbel_variate(return_period_years: float | np.ndarray) -> np.ndarray:
    """The Gumbel reduced variate ``-ln(-ln(1 - 1/T))`` of a return period."""
    return -np.log(-np.log(1.0 - 1.0 / np.asarray(return_period_years, dtype=np.float64)))


def check_return_period(return_period_years: float) -> float:
    """The return period as a float, or an InputError naming the curve's range."""
    t = finite("return_period_years", return_period_years)
    lo, hi = RETURN_PERIOD_RANGE
    if not lo <= t <= hi:
        raise InputError(f"return_period_years: {return_period_years!r} is outside the curve's range {lo:g}–{hi:g} years")
    return t


@dataclass(frozen=True)
class RatingCurve:
    """Stage (m) from discharge (m³/s): ``H = datum_m + coefficient Q^exponent``."""

    datum_m: float
    coefficient: float
    exponent: float

    @classmethod
    def through(cls, datum_m: float, q1: float, h1: float, q2: float, h2: float) -> RatingCurve:
        """The curve through two (discharge, stage) points above ``datum_m``."""
        m = math.log((h2 - datum_m) / (h1 - datum_m)) / math.log(q2 / q1)
        return cls(datum_m, (h1 - datum_m) / q1**m, m)

    def stage(self, q_m3s):
        """Stage at discharge ``q_m3s`` (the datum at zero flow)."""
        q = np.maximum(np.asarray(q_m3s, dtype=np.float64), 0.0)
        h = self.datum_m + self.coefficient * q**self.exponent
        return float(h) if h.ndim == 0 else h

    def discharge(self, stage_m):
        """Discharge at ``stage_m`` (0 at or below the datum)."""
        h = np.maximum(np.asarray(stage_m, dtype=np.float64) - self.datum_m, 0.0)
        q = (h / self.coefficient) ** (1.0 / self.exponent)
        return float(q) if q.ndim == 0 else q


@dataclass(frozen=True)
class GumbelPeaks:
    """Annual-maximum discharge ``Q_T = location + scale × y_T`` (``y_T`` the reduced variate)."""

    location_m3s: float
    scale_m3s: float

    @classmethod
    def through(cls, t1: float, q1: float, t2: float, q2: float) -> GumbelPeaks:
        """The distribution through two (return period, peak) points."""
        y1, y2 = float(gumbel_variate(t1)), float(gumbel_variate(t2))
        scale = (q2 - q1) / (y2 - y1)
        return cls(q1 - scale * y1, scale)

    def peak(self, return_period_years: float) -> float:
        """The peak discharge of a return period (m³/s)."""
        return float(self.location_m3s + self.scale_m3s * gumbel_variate(return_period_years))

    def return_period(self, peak_m3s: float) -> float:
        """The return period of a peak discharge (years)."""
        y = (peak_m3s - self.location_m3s) / self.scale_m3s
        return float(1.0 / (1.0 - math.exp(-math.exp(-y))))


@dataclass(frozen=True)
class HydrographShape:
    """A single-peaked flood: ``Q(t) = base + (peak - base) g(t)`` with a gamma-shaped rise of
    ``rise_h`` and a recession of ``recession_h`` back to base (``shape`` sets the fullness)."""

    base_m3s: float = 400.0
    rise_h: float = 36.0
    recession_h: float = 34.0
    shape: float = 3.0

    def discharge(self, t_s, peak_m3s: float, start_s: float = 0.0):
        """Discharge at times ``t_s`` of a flood peaking at ``peak_m3s``, rising from ``start_s``."""
        t = np.asarray(t_s, dtype=np.float64)
        a, tp = self.shape, start_s + self.rise_h * 3600.0
        u = np.clip((t - start_s) / (self.rise_h * 3600.0), 0.0, 1.0)
        w = np.clip((t - tp) / (self.recession_h * 3600.0), 0.0, 1.0)
        g = np.where(t <= tp, u**a * np.exp(a * (1.0 - u)), (1.0 - w) ** a * np.exp(a * w))
        return self.base_m3s + (peak_m3s - self.base_m3s) * g


@dataclass(frozen=True)
class Reservoir:
    """Flood storage upstream: it holds ``share`` of the flood flow at the gauge above
    ``release_m3s`` until ``flood_storage_m3`` is full, then passes the inflow."""

    share: float
    release_m3s: float
    flood_storage_m3: float

    def regulate(self, t_s: np.ndarray, q_m3s: np.ndarray) -> tuple[np.ndarray, float]:
        """The flow at the gauge with the reservoir operating, and the storage it used (m³)."""
        t = np.asarray(t_s, dtype=np.float64)
        q = np.asarray(q_m3s, dtype=np.float64)
        held = np.maximum(self.share * q - self.release_m3s, 0.0)
        dt = np.diff(t, prepend=t[0])
        # storage only fills during the flood (it is emptied after it), so what is stored by
        # each time is the running total, capped by the flood storage
        stored = np.minimum(np.cumsum(held * dt), self.flood_storage_m3)
        taken = np.diff(stored, prepend=0.0) / np.maximum(dt, 1e-9)
        return q - taken, float(stored[-1])


@dataclass(frozen=True)
class FloodRegime:
    """Everything that turns a return period into a stage hydrograph at the gauge."""

    rating: RatingCurve
    peaks: GumbelPeaks | TablePeaks   # anything with peak(return_period_years)
    shape: HydrographShape = field(default_factory=HydrographShape)
    reservoir: Reservoir | None = None
    step_s: float = 600.0

    def discharge(self, return_period_years: float, regime: str = "regulated",
                  start_s: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """``(times_s, discharge)`` of the design flood, through the reservoir when regulated."""
        q_peak = self.peaks.peak(check_return_period(return_period_years))
        t = np.arange(start_s, start_s + (self.shape.rise_h + self.shape.recession_h) * 3600.0 + self.step_s,
                      self.step_s)
        q = self.shape.discharge(t, q_peak, start_s)
        if _regime(regime) == "regulated" and self.reservoir is not None:
            q, _ = self.reservoir.regulate(t, q)
        return t, q

    def peak_stage(self, return_period_years: float, regime: str = "regulated") -> float:
        """The design flood's peak stage at the gauge (m)."""
        _, q = self.discharge(return_period_years, regime)
        return float(self.rating.stage(q.max()))


def _regime(regime: str) -> str:
    if regime not in ("regulated", "natural"):
        raise InputError(f"regime: 'regulated' (with the Wuxikou reservoir) or 'natural', found {regime!r}")
    return regime


#: bankfull discharge (m³/s) at the warning stage, and the estimated 2016 peak discharge
BANKFULL_M3S = 2200.0
PEAK_2016_M3S = 7500.0
#: the 2-year flood peaks this far above the warning stage (m)
TWO_YEAR_ABOVE_WARNING_M = 0.5
#: the Wuxikou reservoir: flood storage (m³) and the share of the gauge's flood flow it holds
WUXIKOU_FLOOD_STORAGE_M3 = 2.9e8
WUXIKOU_SHARE = 0.5


@lru_cache(maxsize=1)
def dufengkeng() -> FloodRegime:
    """The Dufengkeng regime (module notes): rating, natural peaks, hydrograph, Wuxikou."""
    rating = RatingCurve.through(21.0, BANKFULL_M3S, WARNING_STAGE_M, PEAK_2016_M3S, STAGE_2016_M)
    peaks = GumbelPeaks.through(2.0, rating.discharge(WARNING_STAGE_M + TWO_YEAR_ABOVE_WARNING_M),
                                RETURN_PERIOD_2016, PEAK_2016_M3S)
    natural = FloodRegime(rating, peaks)
    target = natural.discharge(20.0, "natural")[1].max()
    release = _release_for(natural, target)
    return FloodRegime(rating, peaks, reservoir=Reservoir(WUXIKOU_SHARE, release, WUXIKOU_FLOOD_STORAGE_M3))


def _release_for(natural: FloodRegime, target_peak_m3s: float) -> float:
    """The safe release (bisection) at which the reservoir brings the natural 50-year peak down
    to ``target_peak_m3s`` at the gauge."""
    t, q = natural.discharge(50.0, "natural")
    lo, hi = 0.0, WUXIKOU_SHARE * float(q.max())
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        reg, _ = Reservoir(WUXIKOU_SHARE, mid, WUXIKOU_FLOOD_STORAGE_M3).regulate(t, q)
        lo, hi = (mid, hi) if reg.max() < target_peak_m3s else (lo, mid)
    return 0.5 * (lo + hi)


@dataclass(frozen=True)
class RatedHydrograph:
    """A stage hydrograph at the gauge: discharges through the rating curve (the Hydrograph
    protocol of :mod:`.model`)."""

    times_s: np.ndarray
    discharge_m3s: np.ndarray
    rating: RatingCurve
    return_period_years: float
    regime: str

    @property
    def start_s(self) -> float:
        """First time of the series."""
        return float(self.times_s[0])

    @property
    def end_s(self) -> float:
        """Last time of the series."""
        return float(self.times_s[-1])

    def stage(self, t_s):
        """Stage (m) at time(s) ``t_s``: the series' ends held outside it."""
        q = np.interp(np.asarray(t_s, dtype=np.float64), self.times_s, self.discharge_m3s)
        return self.rating.stage(q)

    def knots(self) -> np.ndarray:
        """Every time of the series (the stage is monotone between them)."""
        return self.times_s.copy()

    @property
    def peak_stage_m(self) -> float:
        """The highest stage of the flood."""
        return float(self.rating.stage(self.discharge_m3s.max()))

    @property
    def peak_time_s(self) -> float:
        """When the stage peaks."""
        return float(self.times_s[int(np.argmax(self.discharge_m3s))])


def design_flood(return_period_years: float, *, regime: str = "regulated", start_s: float = 0.0,
                 regime_model: FloodRegime | None = None) -> RatedHydrograph:
    """The design flood of a return period at Dufengkeng as a stage hydrograph.

    Parameters
    ----------
    return_period_years
        2–200 years (:data:`RETURN_PERIOD_RANGE`).
    regime
        ``"regulated"`` (today: through the Wuxikou reservoir) or ``"natural"`` (before 2019).
    start_s
        When the rise begins.
    regime_model
        Another regime than :func:`dufengkeng`.

    Returns
    -------
    RatedHydrograph

    Raises
    ------
    InputError
        A return period outside the curve's range, or an unknown regime.
    """
    model = regime_model or dufengkeng()
    t = check_return_period(return_period_years)
    times, q = model.discharge(t, regime, start_s=finite("start_s", start_s))
    return RatedHydrograph(times, q, model.rating, t, _regime(regime))


def stage_frequency(return_periods_years, regime: str = "regulated") -> np.ndarray:
    """Peak stages (m) of a set of return periods."""
    model = dufengkeng()
    return np.array([model.peak_stage(positive("return period", t), regime) for t in np.atleast_1d(return_periods_years)])


@dataclass(frozen=True)
class StageFrequency:
    """A gauge's peak stage of each return period, from a planner's table (a district from real
    data), and the shape of its design floods.

    Between the table's return periods the peak stage is interpolated linearly in the Gumbel
    reduced variate (a straight line on Gumbel probability paper); beyond them the end segments
    are extended, within :data:`RETURN_PERIOD_RANGE`. A design flood rises from
    ``base_stage_m`` to that peak in ``rise_h`` and falls back in ``recession_h``, gamma-shaped
    (:class:`.model.DesignHydrograph`). The table is the river as it is today: there is no
    reservoir model, so only the ``regulated`` (today's) regime exists.
    """

    return_periods_years: tuple[float, ...]
    peak_stages_m: tuple[float, ...]
    base_stage_m: float
    rise_h: float = 36.0
    recession_h: float = 34.0

    @classmethod
    def of_gauge(cls, gauge) -> StageFrequency | None:
        """The table of a district's gauge (:class:`network.district_spec.Gauge`), or None without one."""
        if not gauge.stage_frequency:
            return None
        pts = sorted((float(t), float(h)) for t, h in gauge.stage_frequency.items())
        base = gauge.base_stage_m if gauge.base_stage_m is not None else gauge.warning_stage_m - 1.0
        return cls(tuple(t for t, _ in pts), tuple(h for _, h in pts), float(base), gauge.rise_h, gauge.recession_h)

    def peak_stage(self, return_period_years: float) -> float:
        """The peak stage (m) of a return period."""
        return _on_gumbel_paper(self.return_periods_years, self.peak_stages_m, return_period_years)

    def design(self, return_period_years: float, regime: str = "regulated", start_s: float = 0.0):
        """The design flood of a return period as a stage hydrograph."""
        if _regime(regime) != "regulated":
            raise InputError("regime: the gauge's stage-frequency table is the river as it is today; "
                             "'natural' needs the built-in reservoir model")
        peak = self.peak_stage(return_period_years)
        return DesignHydrograph(self.base_stage_m, max(peak, self.base_stage_m), self.rise_h * 3600.0,
                                self.recession_h * 3600.0, start_s=finite("start_s", start_s))


@dataclass(frozen=True)
class TablePeaks:
    """Peak discharge of each return period from a table, linear in the Gumbel reduced variate
    between its points and along its end segments beyond them (two points: a Gumbel
    distribution, as :class:`GumbelPeaks`)."""

    return_periods_years: tuple[float, ...]
    peaks_m3s: tuple[float, ...]

    def peak(self, return_period_years: float) -> float:
        """The peak discharge of a return period (m³/s)."""
        return _on_gumbel_paper(self.return_periods_years, self.peaks_m3s, return_period_years)


def _on_gumbel_paper(periods: Sequence[float], values: Sequence[float], return_period_years: float) -> float:
    """A table's value at a return period: linear in the reduced variate, end segments extended."""
    y = float(gumbel_variate(check_return_period(return_period_years)))
    ys = gumbel_variate(np.array(periods, float))
    vs = np.array(values, float)
    k = int(np.clip(np.searchsorted(ys, y) - 1, 0, len(ys) - 2))
    return float(vs[k] + (vs[k + 1] - vs[k]) * (y - ys[k]) / (ys[k + 1] - ys[k]))


def regime_of_gauge(gauge) -> FloodRegime | None:
    """The discharge chain of a gauge that gives one as data (rating, discharge table, shape,
    reservoir: :class:`network.district_spec.Gauge`), or None."""
    if not gauge.discharge_frequency:
        return None
    pts = sorted((float(t), float(q)) for t, q in gauge.discharge_frequency.items())
    r = gauge.rating
    res = gauge.reservoir
    return FloodRegime(
        RatingCurve(r.datum_m, r.coefficient, r.exponent),
        TablePeaks(tuple(t for t, _ in pts), tuple(q for _, q in pts)),
        HydrographShape(gauge.base_discharge_m3s, gauge.rise_h, gauge.recession_h),
        None if res is None else Reservoir(res.share, res.release_m3s, res.flood_storage_m3),
    )


def gauge_design_floods(gauge):
    """``design(return_period_years, regime, start_s)`` for a district's gauge, and its rise (h):
    the gauge's own stage table or discharge chain, or the Dufengkeng chain (the built-in model)."""
    table = StageFrequency.of_gauge(gauge)
    if table is not None:
        return table.design, table.rise_h
    model = regime_of_gauge(gauge) or dufengkeng()
    return (lambda t, regime="regulated", start_s=0.0: design_flood(t, regime=regime, start_s=start_s,
                                                                     regime_model=model)), model.shape.rise_h
