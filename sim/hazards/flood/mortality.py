"""Expected deaths in a flood, and the expected annual deaths of a set of return periods.

Two pieces, both plain numpy:

* **Mortality** — the fraction of the people *exposed* at a location (those still there when
  the water comes) who die, from the maximum depth ``h`` (m), the rise rate ``w`` (m/h) and
  the flow velocity ``v`` (m/s), by the zone functions of Jonkman, Vrijling & Vrouwenvelder
  (2008), *Natural Hazards* 46:353–389, doi:10.1007/s11069-008-9227-5
  (docs/references/hazards.md §1.8):

  - breach zone, ``h·v ≥ 7 m²/s`` and ``v ≥ 2 m/s``: F = 1;
  - rapidly rising water, ``w ≥ 0.5 m/h`` and ``h ≥ 2.1 m``: F = Φ((ln h − 1.46) / 0.28);
  - everywhere else that is wet: F = Φ((ln h − 7.60) / 2.75);
  - dry (``h ≤ 0``): F = 0.

  Φ is the standard normal distribution function. The parameter values are confirmed in an
  open-source implementation [I]; the primary paper's text was not read (§1.8 says exactly what
  is and is not confirmed).

* **Expected annual deaths** — the area under the risk curve D(p), p = 1/T the annual
  exceedance probability of the T-year event, with deaths interpolated linearly in ln T between
  events (exact for deaths linear in ln T), zero for events more frequent than the first that
  kills (or a ramp from a given zero-deaths return period), and the deaths of the rarest event
  held for all rarer ones (docs/references/hazards.md §1.9). ``per_million`` turns it into the
  plan's indicator (docs/references/targets.md §5).

What this does **not** model: who is still exposed (evacuation, shelter, rescue — the caller
passes the people present), building collapse other than through the breach-zone criterion,
deaths after the flood, or any uncertainty of the functions themselves.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Literal

import numpy as np

from network.checks import positive
from network.errors import InputError

# math.erfc on every element: numpy has no error function and this module stays numpy-only.
_ERFC = np.frompyfunc(math.erfc, 1, 1)


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    """Standard normal distribution function Φ(z) = erfc(−z/√2)/2, elementwise."""
    z = np.asarray(z, dtype=float)
    return 0.5 * _ERFC(-z / math.sqrt(2.0)).astype(float)


def _finite_array(name: str, values: object, *, non_negative: bool = False) -> np.ndarray:
    """``values`` as a float array, or an InputError naming ``name`` (NaN, ±inf, negatives)."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected numbers, found {values!r}") from None
    bad = ~np.isfinite(arr)
    if bad.any():
        first = arr[bad].flat[0]
        raise InputError(f"{name}: expected finite numbers, found {first!r} "
                         f"at {int(bad.sum())} of {arr.size} locations")
    if non_negative and (arr < 0).any():
        raise InputError(f"{name}: expected numbers ≥ 0, found {arr[arr < 0].flat[0]:g}")
    return arr


# ----------------------------------------------------------------------------------------------
# Mortality functions (hazards.md §1.8)
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LognormalMortality:
    """F(h) = Φ((ln h − μ) / σ) for h > 0, 0 for h ≤ 0: a lognormal distribution of depth.

    Attributes
    ----------
    name
        Short name reports print ("rapidly rising water").
    mu, sigma
        Mean and standard deviation of ln h (h in metres).
    """

    name: str
    mu: float
    sigma: float

    def __post_init__(self) -> None:
        positive(f"{self.name}: sigma", self.sigma)

    def fraction(self, depth_m: np.ndarray) -> np.ndarray:
        """Mortality fraction at each depth (m); 0 where the depth is ≤ 0."""
        h = np.asarray(depth_m, dtype=float)
        out = np.zeros(h.shape)
        wet = h > 0
        out[wet] = _normal_cdf((np.log(h[wet]) - self.mu) / self.sigma)
        return out


@dataclass(frozen=True)
class BreachZone:
    """Where water flows fast and deep enough to wreck houses: everyone exposed dies.

    A location is in the zone when ``h·v ≥ min_depth_velocity_m2_s`` **and**
    ``v ≥ min_velocity_m_s`` (both bounds inclusive).
    """

    min_depth_velocity_m2_s: float = 7.0
    min_velocity_m_s: float = 2.0
    mortality: float = 1.0


@dataclass(frozen=True)
class RapidRiseZone:
    """Where water rises too fast to flee upstairs: ``w ≥ min_rise_rate`` and ``h ≥ min_depth``."""

    min_rise_rate_m_per_h: float
    min_depth_m: float
    function: LognormalMortality


@dataclass(frozen=True)
class ZoneMortality:
    """A zone-based mortality method: a breach zone, a rapid-rise zone and the remaining zone.

    The zones are tested in that order, so a location in the breach zone is never also counted
    in the rapid-rise zone.
    """

    name: str
    source: str
    breach: BreachZone
    rapid_rise: RapidRiseZone
    remaining: LognormalMortality


#: Jonkman, Vrijling & Vrouwenvelder (2008), as confirmed in hazards.md §1.8.
JONKMAN_2008 = ZoneMortality(
    name="Jonkman et al. (2008)",
    source="Jonkman, Vrijling & Vrouwenvelder (2008), Nat. Hazards 46:353-389, "
           "doi:10.1007/s11069-008-9227-5; docs/references/hazards.md §1.8",
    breach=BreachZone(min_depth_velocity_m2_s=7.0, min_velocity_m_s=2.0, mortality=1.0),
    rapid_rise=RapidRiseZone(
        min_rise_rate_m_per_h=0.5, min_depth_m=2.1,
        function=LognormalMortality("rapidly rising water", mu=1.46, sigma=0.28)),
    remaining=LognormalMortality("remaining zone", mu=7.60, sigma=2.75),
)


class MortalityZone(IntEnum):
    """Which function applies at a location (``mortality_zone``)."""

    DRY = 0
    REMAINING = 1
    RAPID_RISE = 2
    BREACH = 3


def _flood_inputs(depth_m, rise_rate_m_per_h, velocity_m_s, depth_velocity_m2_s):
    """Checked, broadcast float arrays (h, w, v, h·v)."""
    arrays = [_finite_array("depth_m", depth_m),
              _finite_array("rise_rate_m_per_h", rise_rate_m_per_h),
              _finite_array("velocity_m_s", velocity_m_s, non_negative=True)]
    if depth_velocity_m2_s is not None:
        arrays.append(_finite_array("depth_velocity_m2_s", depth_velocity_m2_s, non_negative=True))
    try:
        arrays = np.broadcast_arrays(*arrays)
    except ValueError:
        names = ["depth_m", "rise_rate_m_per_h", "velocity_m_s", "depth_velocity_m2_s"]
        shapes = ", ".join(f"{n} {a.shape}" for n, a in zip(names, arrays))
        raise InputError(f"shapes {shapes} do not broadcast together") from None
    h, w, v = arrays[:3]
    # without a measured product, h·v is taken from the maximum depth and speed given
    hv = arrays[3] if depth_velocity_m2_s is not None else np.maximum(h, 0.0) * v
    return h, w, v, hv


def mortality_zone(depth_m, rise_rate_m_per_h, velocity_m_s, *,
                   depth_velocity_m2_s=None, method: ZoneMortality = JONKMAN_2008) -> np.ndarray:
    """The zone of each location (a ``MortalityZone`` code per location, int8).

    Parameters
    ----------
    depth_m
        Maximum water depth (m); ≤ 0 is dry.
    rise_rate_m_per_h
        Rate of rise of the water (m/h); negative (falling) is allowed and is not rapid.
    velocity_m_s
        Flow speed (m/s), ≥ 0.
    depth_velocity_m2_s
        The depth–velocity product (m²/s) if known directly (e.g. the 2-D model's unit
        discharge); by default ``max(h, 0)·v``.
    method
        The mortality method (default ``JONKMAN_2008``).

    Returns
    -------
    numpy.ndarray
        int8 codes, the broadcast shape of the inputs.

    Raises
    ------
    InputError
        NaN or infinite values, negative speeds, shapes that do not broadcast; the message
        names the argument.
    """
    h, w, v, hv = _flood_inputs(depth_m, rise_rate_m_per_h, velocity_m_s, depth_velocity_m2_s)
    wet = h > 0
    b, r = method.breach, method.rapid_rise
    breach = wet & (hv >= b.min_depth_velocity_m2_s) & (v >= b.min_velocity_m_s)
    rapid = wet & ~breach & (w >= r.min_rise_rate_m_per_h) & (h >= r.min_depth_m)
    zone = np.full(h.shape, MortalityZone.DRY, dtype=np.int8)
    zone[wet] = MortalityZone.REMAINING
    zone[rapid] = MortalityZone.RAPID_RISE
    zone[breach] = MortalityZone.BREACH
    return zone


def mortality_fraction(depth_m, rise_rate_m_per_h, velocity_m_s, *,
                       depth_velocity_m2_s=None, method: ZoneMortality = JONKMAN_2008) -> np.ndarray:
    """Fraction of the exposed people who die at each location (hazards.md §1.8).

    Parameters
    ----------
    depth_m, rise_rate_m_per_h, velocity_m_s, depth_velocity_m2_s, method
        As for :func:`mortality_zone`; arrays broadcast together.

    Returns
    -------
    numpy.ndarray
        Values in [0, 1], the broadcast shape of the inputs; 0 where dry.

    Raises
    ------
    InputError
        As for :func:`mortality_zone`.

    Notes
    -----
    The published functions are used as they are: at exactly 2.1 m with rapidly rising water
    the rapid-rise function (0.0052) is a little *below* the remaining-zone function (0.0063),
    so mortality dips by about 0.001 where a location enters that zone (hazards.md §1.8).
    """
    h, w, v, hv = _flood_inputs(depth_m, rise_rate_m_per_h, velocity_m_s, depth_velocity_m2_s)
    zone = mortality_zone(h, w, v, depth_velocity_m2_s=hv, method=method)
    out = np.zeros(h.shape)
    for code, f in ((MortalityZone.REMAINING, method.remaining.fraction),
                    (MortalityZone.RAPID_RISE, method.rapid_rise.function.fraction)):
        sel = zone == code
        out[sel] = f(h[sel])
    out[zone == MortalityZone.BREACH] = method.breach.mortality
    return out


def expected_deaths_by_location(people, depth_m, rise_rate_m_per_h, velocity_m_s, *,
                                depth_velocity_m2_s=None,
                                method: ZoneMortality = JONKMAN_2008) -> np.ndarray:
    """Expected deaths at each location: exposed people × mortality fraction.

    Parameters
    ----------
    people
        People exposed at each location (still there when the water arrives), ≥ 0.
    depth_m, rise_rate_m_per_h, velocity_m_s, depth_velocity_m2_s, method
        As for :func:`mortality_fraction`.

    Returns
    -------
    numpy.ndarray
        Expected deaths, the broadcast shape of all inputs.

    Raises
    ------
    InputError
        Negative, NaN or infinite ``people``, and the cases of :func:`mortality_zone`.
    """
    n = _finite_array("people", people, non_negative=True)
    f = mortality_fraction(depth_m, rise_rate_m_per_h, velocity_m_s,
                           depth_velocity_m2_s=depth_velocity_m2_s, method=method)
    try:
        return n * f
    except ValueError:
        raise InputError(f"people: shape {n.shape} does not match the flood's {f.shape}") from None


def expected_deaths(people, depth_m, rise_rate_m_per_h, velocity_m_s, *,
                    depth_velocity_m2_s=None, method: ZoneMortality = JONKMAN_2008) -> float:
    """Expected deaths of one flood: the sum of :func:`expected_deaths_by_location`."""
    return float(expected_deaths_by_location(
        people, depth_m, rise_rate_m_per_h, velocity_m_s,
        depth_velocity_m2_s=depth_velocity_m2_s, method=method).sum())


# ----------------------------------------------------------------------------------------------
# Expected annual deaths (hazards.md §1.9)
# ----------------------------------------------------------------------------------------------

Interpolation = Literal["log-linear", "trapezoid"]


@dataclass(frozen=True)
class RiskCurve:
    """The risk curve an expected-annual-deaths figure integrated, and its parts.

    Attributes
    ----------
    return_period_years, exceedance_probability, deaths
        The points, most frequent first (p = 1/T falling); includes the zero-deaths point when
        one was given.
    interpolation
        "log-linear" (deaths linear in ln T between points) or "trapezoid" (linear in p).
    between
        Deaths per year from the most frequent point to the rarest.
    tail
        Deaths per year beyond the rarest event: its deaths × its probability.
    expected_annual_deaths
        ``between + tail``.
    """

    return_period_years: tuple[float, ...]
    exceedance_probability: tuple[float, ...]
    deaths: tuple[float, ...]
    interpolation: Interpolation
    between: float
    tail: float
    expected_annual_deaths: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "expected_annual_deaths", self.between + self.tail)

    @property
    def tail_share(self) -> float:
        """Share of the expected annual deaths that comes from beyond the rarest event."""
        total = self.expected_annual_deaths
        return self.tail / total if total > 0 else 0.0

    @property
    def non_decreasing(self) -> bool:
        """Whether deaths never fall as events get rarer (the tail rule assumes they do not)."""
        return bool(np.all(np.diff(self.deaths) >= 0))


def _segment_log_linear(p_a: float, p_b: float, d_a: float, d_b: float) -> float:
    """∫ D dp over [p_b, p_a] with D linear in ln p from (p_a, d_a) to (p_b, d_b); p_a > p_b.

    D(p) = d_a + (d_b − d_a)·ln(p_a/p)/L with L = ln(p_a/p_b); integrating ln(p_a/p) over
    [p_b, p_a] gives (p_a − p_b) − p_b·L, hence the closed form below (hazards.md §1.9).
    """
    dp = p_a - p_b
    log_ratio = math.log(p_a / p_b)
    return d_a * dp + (d_b - d_a) * (dp / log_ratio - p_b)


def _risk_points(return_periods_years, deaths, zero_deaths_return_period_years):
    """Checked (T, D) arrays sorted by T, with the zero-deaths point prepended if given."""
    t = _finite_array("return_periods_years", return_periods_years).ravel()
    d = _finite_array("deaths", deaths, non_negative=True).ravel()
    if t.size == 0:
        raise InputError("return_periods_years: expected at least one event")
    if t.size != d.size:
        raise InputError(f"deaths: expected one value per return period ({t.size}), found {d.size}")
    if (t < 1).any():
        raise InputError(f"return_periods_years: expected years ≥ 1 (p = 1/T ≤ 1), "
                         f"found {t[t < 1].flat[0]:g}")
    order = np.argsort(t, kind="stable")
    t, d = t[order], d[order]
    if (np.diff(t) == 0).any():
        raise InputError(f"return_periods_years: {t[1:][np.diff(t) == 0][0]:g} appears twice")
    if zero_deaths_return_period_years is not None:
        t0 = positive("zero_deaths_return_period_years", zero_deaths_return_period_years)
        if not 1 <= t0 < t[0]:
            raise InputError(f"zero_deaths_return_period_years: expected 1 ≤ T0 < {t[0]:g} "
                             f"(the most frequent event), found {t0:g}")
        t, d = np.concatenate([[t0], t]), np.concatenate([[0.0], d])
    return t, d


def annual_death_risk(return_periods_years, deaths, *,
                      zero_deaths_return_period_years: float | None = None,
                      interpolation: Interpolation = "log-linear") -> RiskCurve:
    """The risk curve of a set of events and the expected annual deaths under it (§1.9).

    Parameters
    ----------
    return_periods_years
        Return period T of each event (years, ≥ 1, no repeats; any order).
    deaths
        Expected deaths of each event (≥ 0), e.g. :func:`expected_deaths`.
    zero_deaths_return_period_years
        T0 below the most frequent event at which deaths are taken to start from zero (a ramp
        to the first event). If None, deaths are zero for every event more frequent than the
        most frequent one given (truncation, as at a protection standard).
    interpolation
        "log-linear" (default): deaths linear in ln T between points, integrated exactly;
        "trapezoid": linear in p (the trapezoidal rule on the p–D curve).

    Returns
    -------
    RiskCurve
        The points and the integral; beyond the rarest event its deaths are held constant.

    Raises
    ------
    InputError
        Naming the argument: NaN, negative deaths, T < 1, repeated T, mismatched lengths, T0
        not below the most frequent event, an unknown interpolation.
    """
    if interpolation not in ("log-linear", "trapezoid"):
        raise InputError(f"interpolation: expected 'log-linear' or 'trapezoid', "
                         f"found {interpolation!r}")
    t, d = _risk_points(return_periods_years, deaths, zero_deaths_return_period_years)
    p = 1.0 / t
    between = 0.0
    for i in range(t.size - 1):
        if interpolation == "log-linear":
            between += _segment_log_linear(p[i], p[i + 1], d[i], d[i + 1])
        else:
            between += 0.5 * (d[i] + d[i + 1]) * (p[i] - p[i + 1])
    return RiskCurve(
        return_period_years=tuple(float(x) for x in t),
        exceedance_probability=tuple(float(x) for x in p),
        deaths=tuple(float(x) for x in d),
        interpolation=interpolation, between=float(between), tail=float(d[-1] * p[-1]),
    )


def expected_annual_deaths(return_periods_years, deaths, *,
                           zero_deaths_return_period_years: float | None = None,
                           interpolation: Interpolation = "log-linear") -> float:
    """Expected deaths per year from events of given return periods (hazards.md §1.9).

    The ``expected_annual_deaths`` of :func:`annual_death_risk`, which also returns the risk
    curve it integrated; the parameters and errors are the same.
    """
    return annual_death_risk(
        return_periods_years, deaths,
        zero_deaths_return_period_years=zero_deaths_return_period_years,
        interpolation=interpolation).expected_annual_deaths


def per_million(annual_deaths: float, population: float) -> float:
    """Deaths per million people per year: the plan's indicator (targets.md §5).

    Parameters
    ----------
    annual_deaths
        Expected deaths per year (≥ 0).
    population
        Residents (> 0).

    Returns
    -------
    float
        ``annual_deaths / population × 10⁶``.

    Raises
    ------
    InputError
        Naming ``annual_deaths`` or ``population``.
    """
    deaths = _finite_array("annual_deaths", annual_deaths, non_negative=True)
    if deaths.ndim != 0:
        raise InputError(f"annual_deaths: expected one number, found shape {deaths.shape}")
    return float(deaths) / positive("population", population) * 1e6
