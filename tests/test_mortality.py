"""Flood mortality (Jonkman et al. 2008) and expected annual deaths
(docs/references/hazards.md §1.8, §1.9).

Worked values are computed by hand from the published formulas [C]:
F = Φ((ln h − μ)/σ), rapid rise μ = 1.46, σ = 0.28; remaining zone μ = 7.60, σ = 2.75.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from network.errors import InputError
from sim.hazards.flood.mortality import (
    JONKMAN_2008, LognormalMortality, MortalityZone, annual_death_risk, expected_annual_deaths,
    expected_deaths, expected_deaths_by_location, mortality_fraction, mortality_zone, per_million,
)

SLOW, FAST = 0.0, 1.0  # rise rates (m/h) below and above the 0.5 m/h threshold

# (depth m, z = (ln h − μ)/σ, F) — hazards.md §1.8 worked values [C]
REMAINING_VALUES = [(2.0, -2.5116, 0.0060096), (3.0, -2.3641, 0.0090360), (5.0, -2.1784, 0.0146886)]
RAPID_VALUES = [(2.1, -2.5645, 0.0051661), (3.0, -1.2907, 0.098409), (5.0, 0.5337, 0.703228)]


# --- the published parameters -----------------------------------------------------------------

def test_jonkman_2008_parameters_are_the_published_ones():
    m = JONKMAN_2008
    assert (m.breach.min_depth_velocity_m2_s, m.breach.min_velocity_m_s, m.breach.mortality) == (7.0, 2.0, 1.0)
    assert (m.rapid_rise.min_rise_rate_m_per_h, m.rapid_rise.min_depth_m) == (0.5, 2.1)
    assert (m.rapid_rise.function.mu, m.rapid_rise.function.sigma) == (1.46, 0.28)
    assert (m.remaining.mu, m.remaining.sigma) == (7.60, 2.75)
    assert "10.1007/s11069-008-9227-5" in m.source and "§1.8" in m.source
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.remaining.mu = 1.0  # type: ignore[misc]


@pytest.mark.parametrize("h,z,f", REMAINING_VALUES)
def test_remaining_zone_worked_values(h, z, f):
    assert (math.log(h) - 7.60) / 2.75 == pytest.approx(z, abs=1e-4)
    assert mortality_fraction(h, SLOW, 0.0) == pytest.approx(f, rel=1e-4)


@pytest.mark.parametrize("h,z,f", RAPID_VALUES)
def test_rapid_rise_zone_worked_values(h, z, f):
    assert (math.log(h) - 1.46) / 0.28 == pytest.approx(z, abs=1e-4)
    assert mortality_fraction(h, FAST, 0.0) == pytest.approx(f, rel=1e-4)


def test_below_2_1_m_fast_rising_water_takes_the_remaining_zone_function():
    # h = 2 m rising fast is not in the rapid-rise zone (h < 2.1 m): 0.0060, not Φ(−2.74) = 0.0031
    assert mortality_fraction(2.0, FAST, 0.0) == pytest.approx(0.0060096, rel=1e-4)
    assert mortality_fraction(2.09, 0.5, 0.0) == pytest.approx(mortality_fraction(2.09, SLOW, 0.0))


def test_normal_cdf_against_known_quantiles():
    f = LognormalMortality("probe", mu=0.0, sigma=1.0)
    assert f.fraction(1.0) == pytest.approx(0.5)                      # ln 1 = 0
    assert f.fraction(math.exp(1.959964)) == pytest.approx(0.975, abs=1e-6)
    assert f.fraction(math.exp(-1.0)) == pytest.approx(0.158655, abs=1e-6)


# --- zone thresholds, both sides -------------------------------------------------------------

@pytest.mark.parametrize("h,w,v,zone", [
    (3.5, SLOW, 2.0, MortalityZone.BREACH),         # h·v = 7.0 and v = 2.0: on both bounds
    (3.49, SLOW, 2.0, MortalityZone.REMAINING),     # h·v = 6.98 < 7
    (7.0, SLOW, 1.99, MortalityZone.REMAINING),     # h·v = 13.9 but v < 2
    (7.0, SLOW, 2.0, MortalityZone.BREACH),
    (4.0, FAST, 2.0, MortalityZone.BREACH),         # breach wins over rapid rise
    (2.1, 0.5, 0.0, MortalityZone.RAPID_RISE),      # on both rapid-rise bounds
    (2.09, 0.5, 0.0, MortalityZone.REMAINING),      # just too shallow
    (3.0, 0.49, 0.0, MortalityZone.REMAINING),      # just too slow
    (3.0, -0.8, 0.0, MortalityZone.REMAINING),      # falling water
    (0.0, FAST, 5.0, MortalityZone.DRY),
    (-0.3, FAST, 5.0, MortalityZone.DRY),
])
def test_zone_thresholds(h, w, v, zone):
    assert mortality_zone(h, w, v) == zone


def test_breach_zone_means_everyone_exposed_dies_and_its_edge_does_not():
    assert mortality_fraction(3.5, SLOW, 2.0) == 1.0
    assert mortality_fraction(3.49, SLOW, 2.0) == pytest.approx(
        float(JONKMAN_2008.remaining.fraction(3.49)))
    assert mortality_fraction(7.0, SLOW, 1.99) < 0.03


def test_depth_velocity_product_can_be_given_directly():
    # e.g. the 2-D model's unit discharge |q| = h·v, which max(h)·max(v) would overstate
    assert mortality_zone(3.0, SLOW, 2.5, depth_velocity_m2_s=7.0) == MortalityZone.BREACH
    assert mortality_zone(3.0, SLOW, 2.5, depth_velocity_m2_s=6.99) == MortalityZone.REMAINING
    assert mortality_zone(3.0, SLOW, 2.5) == MortalityZone.BREACH  # 7.5 by default


# --- shape of the functions ------------------------------------------------------------------

def test_monotone_in_depth_within_each_regime_and_the_documented_dip_at_2_1_m():
    h = np.linspace(0.0, 12.0, 2401)
    for v in (0.0, 1.0, 2.5):
        slow = mortality_fraction(h, SLOW, v)
        assert np.all(np.diff(slow) >= 0)
        fast = mortality_fraction(h, FAST, v)
        below, above = h < 2.1, h >= 2.1
        assert np.all(np.diff(fast[below]) >= 0) and np.all(np.diff(fast[above]) >= 0)
    # entering the rapid-rise zone at 2.1 m the published functions step down by ≈ 0.0012
    dip = mortality_fraction(2.0995, FAST, 0.0) - mortality_fraction(2.1, FAST, 0.0)
    assert 0 < dip < 0.0013
    assert np.all((mortality_fraction(h, FAST, 2.5) >= 0) & (mortality_fraction(h, FAST, 2.5) <= 1))


def test_dry_cells_have_no_mortality_and_no_deaths():
    h = np.array([0.0, -1.0, -0.01])
    assert np.all(mortality_fraction(h, 10.0, 10.0) == 0)
    assert expected_deaths([500, 500, 500], h, 10.0, 10.0) == 0.0


def test_vectorised_over_locations_and_broadcasting():
    rng = np.random.default_rng(14)
    h = rng.uniform(-1, 8, (3, 4))
    w = rng.uniform(0, 1, (3, 4))
    v = rng.uniform(0, 3, (3, 4))
    f = mortality_fraction(h, w, v)
    assert f.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            assert f[i, j] == mortality_fraction(h[i, j], w[i, j], v[i, j])
    assert mortality_fraction(h, FAST, 0.0).shape == (3, 4)
    assert mortality_fraction([[2.0], [5.0]], [SLOW, FAST], 0.0).shape == (2, 2)
    assert np.ndim(mortality_fraction(3.0, SLOW, 0.0)) == 0
    assert mortality_fraction(np.zeros(0), SLOW, 0.0).shape == (0,)


def test_expected_deaths_are_people_times_mortality():
    people = np.array([1000.0, 200.0, 50.0, 80.0])
    h = np.array([3.0, 5.0, 4.0, 0.0])
    w = np.array([SLOW, FAST, SLOW, FAST])
    v = np.array([0.0, 0.0, 2.0, 3.0])
    by_loc = expected_deaths_by_location(people, h, w, v)
    assert by_loc == pytest.approx([1000 * 0.0090360, 200 * 0.703228, 50.0, 0.0], rel=1e-4)
    assert expected_deaths(people, h, w, v) == pytest.approx(by_loc.sum())
    assert isinstance(expected_deaths(people, h, w, v), float)


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,name", [
    ({"people": [-1, 5]}, "people"),
    ({"people": [np.nan, 5]}, "people"),
    ({"depth_m": [np.nan, 1.0]}, "depth_m"),
    ({"depth_m": [np.inf, 1.0]}, "depth_m"),
    ({"rise_rate_m_per_h": [0.1, np.nan]}, "rise_rate_m_per_h"),
    ({"velocity_m_s": [-0.5, 1.0]}, "velocity_m_s"),
    ({"velocity_m_s": ["fast", 1.0]}, "velocity_m_s"),
    ({"depth_m": [1.0, 2.0, 3.0]}, "do not broadcast"),
    ({"people": [1, 2, 3]}, "people"),
])
def test_bad_input_is_an_input_error_naming_the_argument(kwargs, name):
    args = {"people": [10, 5], "depth_m": [1.0, 3.0], "rise_rate_m_per_h": [0.1, 1.0],
            "velocity_m_s": [0.5, 1.0]} | kwargs
    with pytest.raises(InputError, match=name):
        expected_deaths_by_location(**args)


def test_a_lognormal_function_needs_a_positive_sigma():
    with pytest.raises(InputError, match="sigma"):
        LognormalMortality("bad", mu=1.0, sigma=0.0)


# --- expected annual deaths (§1.9) ------------------------------------------------------------

@pytest.mark.parametrize("interpolation", ["log-linear", "trapezoid"])
def test_constant_deaths_give_deaths_times_the_first_probability(interpolation):
    # D(p) = 4 for 0 < p ≤ 1/5, zero above: the integral is 4 × 0.2, whatever lies between
    curve = annual_death_risk([5, 20, 100, 1000], [4, 4, 4, 4], interpolation=interpolation)
    assert curve.expected_annual_deaths == pytest.approx(0.8, rel=1e-12)
    assert curve.tail == pytest.approx(0.004)


def _linear_in_ln_t_closed_form(a, b, t1, tn):
    """∫ (a − b ln p) dp over [1/tn, 1/t1] plus the tail D(tn)/tn, by hand."""
    def antiderivative(p):
        return a * p - b * (p * math.log(p) - p)
    return antiderivative(1 / t1) - antiderivative(1 / tn) + (a + b * math.log(tn)) / tn


def test_deaths_linear_in_ln_t_are_integrated_exactly():
    a, b = 2.0, 3.0
    t = np.array([10.0, 50.0, 200.0])
    exact = _linear_in_ln_t_closed_form(a, b, 10, 200)
    assert exact == pytest.approx(1.1757755, rel=1e-6)  # hazards.md §1.9 worked value [C]
    assert expected_annual_deaths(t, a + b * np.log(t)) == pytest.approx(exact, rel=1e-12)
    # the trapezoid over-estimates (D is convex in p) and converges with many events
    few = expected_annual_deaths(t, a + b * np.log(t), interpolation="trapezoid")
    dense_t = np.geomspace(10, 200, 4000)
    dense = expected_annual_deaths(dense_t, a + b * np.log(dense_t), interpolation="trapezoid")
    assert few > exact
    assert dense == pytest.approx(exact, rel=1e-6)


def test_worked_two_event_values():
    # T = 10, 100 years, 1 and 10 deaths: hazards.md §1.9 worked values [C]
    curve = annual_death_risk([100, 10], [10, 1])
    assert curve.between == pytest.approx(0.09 + 9 * (0.09 / math.log(10) - 0.01))
    assert curve.expected_annual_deaths == pytest.approx(0.4517785, rel=1e-6)
    assert curve.tail_share == pytest.approx(0.1 / 0.4517785, rel=1e-6)
    assert expected_annual_deaths([10, 100], [1, 10], interpolation="trapezoid") == pytest.approx(0.595)
    # with deaths ramping up from zero at T0 = 2 years to the 10-year event
    ramp = annual_death_risk([10], [1], zero_deaths_return_period_years=2)
    assert ramp.return_period_years == (2.0, 10.0) and ramp.deaths == (0.0, 1.0)
    assert ramp.expected_annual_deaths == pytest.approx(0.4 / math.log(5) - 0.1 + 0.1, rel=1e-12)
    assert expected_annual_deaths([10], [1], zero_deaths_return_period_years=2,
                                  interpolation="trapezoid") == pytest.approx(0.3)


def test_a_single_event_counts_its_deaths_for_every_rarer_year():
    assert expected_annual_deaths([50], [3.0]) == pytest.approx(3.0 / 50)


def test_order_of_events_does_not_matter():
    t = [2, 5, 10, 20, 50, 100, 200]
    d = [0.0, 0.1, 0.4, 1.5, 4.0, 9.0, 20.0]
    ref = annual_death_risk(t, d)
    rng = np.random.default_rng(7)
    for _ in range(5):
        perm = rng.permutation(len(t))
        got = annual_death_risk(np.take(t, perm), np.take(d, perm))
        assert got == ref
    assert ref.return_period_years == tuple(float(x) for x in t)
    assert ref.exceedance_probability == pytest.approx([1 / x for x in t])
    assert ref.non_decreasing


def test_risk_curve_flags_deaths_that_fall_for_rarer_events():
    assert not annual_death_risk([10, 100], [5, 1]).non_decreasing


@pytest.mark.parametrize("args,kwargs,name", [
    (([10, np.nan], [1, 2]), {}, "return_periods_years"),
    (([10, 100], [1, -2]), {}, "deaths"),
    (([10, 100], [1, np.nan]), {}, "deaths"),
    (([0.5, 100], [1, 2]), {}, "return_periods_years"),
    (([10, 10], [1, 2]), {}, "appears twice"),
    (([10, 100], [1]), {}, "deaths"),
    (([], []), {}, "at least one"),
    (([10, 100], [1, 2]), {"zero_deaths_return_period_years": 10}, "zero_deaths_return_period_years"),
    (([10, 100], [1, 2]), {"zero_deaths_return_period_years": 0.5}, "zero_deaths_return_period_years"),
    (([10, 100], [1, 2]), {"interpolation": "spline"}, "interpolation"),
])
def test_bad_events_are_input_errors_naming_the_argument(args, kwargs, name):
    with pytest.raises(InputError, match=name):
        annual_death_risk(*args, **kwargs)


def test_per_million():
    # Changjiang: ≈200,000 residents, so 0.2 deaths a year is exactly the 1-per-million line
    assert per_million(0.2, 200_000) == pytest.approx(1.0)
    assert per_million(0.0, 200_000) == 0.0
    with pytest.raises(InputError, match="population"):
        per_million(0.2, 0)
    with pytest.raises(InputError, match="annual_deaths"):
        per_million(-0.1, 200_000)
    with pytest.raises(InputError, match="annual_deaths"):
        per_million(float("nan"), 200_000)
