"""Floods of a return period at Dufengkeng: the record anchors, the reservoir, the dike standards
(docs/references/hazards.md §1.1, docs/references/changjiang.md §3–§5)."""
from __future__ import annotations

import numpy as np
import pytest

from network.district_spec import read_district_spec
from network.errors import InputError
from sim.hazards.flood.frequency import (
    RETURN_PERIOD_RANGE, STAGE_2016_M, WARNING_STAGE_M, GumbelPeaks, RatingCurve, Reservoir, design_flood,
    dufengkeng, stage_frequency,
)

H = 3600.0
PERIODS = np.array([2, 3, 5, 10, 20, 30, 50, 100, 200], float)


def test_rating_curve_passes_through_bankfull_and_the_2016_peak():
    r = dufengkeng().rating
    assert r.stage(2200.0) == pytest.approx(WARNING_STAGE_M)
    assert r.stage(7500.0) == pytest.approx(STAGE_2016_M)
    q = np.array([500.0, 3000.0, 12000.0])
    np.testing.assert_allclose(r.discharge(r.stage(q)), q, rtol=1e-12)
    assert r.discharge(r.datum_m - 1.0) == 0.0
    back = RatingCurve.through(10.0, 100.0, 12.0, 400.0, 15.0)
    assert back.stage(100.0) == pytest.approx(12.0) and back.stage(400.0) == pytest.approx(15.0)


def test_gumbel_through_two_points_and_back():
    g = GumbelPeaks.through(2.0, 1000.0, 50.0, 5000.0)
    assert g.peak(2.0) == pytest.approx(1000.0) and g.peak(50.0) == pytest.approx(5000.0)
    assert g.return_period(g.peak(17.0)) == pytest.approx(17.0)


def test_a_2016_type_flood_reproduces_the_record():
    """The unregulated 22-year flood peaks at 33.89 m and is back below warning ≈ 23 h later."""
    h = design_flood(22.0, regime="natural")
    t = np.arange(h.start_s, h.end_s, 60.0)
    stage = h.stage(t)
    k = int(np.argmax(stage))
    assert abs(stage[k] - STAGE_2016_M) <= 0.3
    below = t[k:][stage[k:] < WARNING_STAGE_M][0]
    assert 20 * H <= below - t[k] <= 26 * H
    above_h = (stage >= WARNING_STAGE_M).sum() * 60.0 / H
    assert 24 <= above_h <= 60  # a day or two above warning
    # the rise: about 9 m over a day and a half, as in 2016 (9.35 m)
    assert 8.0 < stage[k] - stage[0] < 11.0


def test_the_warning_stage_is_passed_about_every_other_year_and_1998_was_slightly_higher():
    natural = stage_frequency(PERIODS, "natural")
    assert natural[0] == pytest.approx(WARNING_STAGE_M + 0.5, abs=0.01)
    assert np.all(np.diff(natural) > 0)
    assert STAGE_2016_M < stage_frequency([30.0], "natural")[0] < STAGE_2016_M + 0.7


def test_the_reservoir_lifts_the_city_standard_from_20_to_50_years():
    m = dufengkeng()
    natural, regulated = stage_frequency(PERIODS, "natural"), stage_frequency(PERIODS, "regulated")
    assert np.all(regulated <= natural + 1e-9) and np.all(np.diff(regulated) > 0)
    assert regulated[list(PERIODS).index(50)] == pytest.approx(natural[list(PERIODS).index(20)], abs=0.02)
    # designed for the 100-year flood: its flood storage holds what the 100-year flood needs
    t, q = m.discharge(100.0, "natural")
    _, used = m.reservoir.regulate(t, q)
    assert used < m.reservoir.flood_storage_m3
    # small floods pass untouched; beyond its design the storage is full
    assert regulated[0] == pytest.approx(natural[0])
    t, q = m.discharge(200.0, "natural")
    assert m.reservoir.regulate(t, q)[1] >= 0.9 * m.reservoir.flood_storage_m3


def test_reservoir_storage_is_capped_and_mass_is_kept():
    t = np.arange(0.0, 10 * H, 60.0)
    q = 1000.0 + 4000.0 * np.exp(-((t - 5 * H) / H) ** 2)
    res = Reservoir(0.5, 1000.0, 5e6)
    out, used = res.regulate(t, q)
    assert used == pytest.approx(5e6)  # it filled
    assert np.sum((q - out) * np.diff(t, prepend=t[0])) == pytest.approx(used)
    assert np.all(out <= q + 1e-9) and np.all(out >= 0)


def test_dikes_hold_their_stated_standard_with_freeboard():
    spec, _ = read_district_spec()
    for d in spec.dikes:
        assert d.standard_years is not None and d.freeboard_m is not None
        design = stage_frequency([d.standard_years], "regulated")[0]
        assert d.crest_m >= design + d.freeboard_m - 1e-9, d.id
        # and no more than a hand's width above it: the crest is what the standard asks for
        assert d.crest_m <= design + d.freeboard_m + 0.15, d.id


@pytest.mark.parametrize("bad", [1.0, 500.0, float("nan")])
def test_return_period_outside_the_curve(bad):
    with pytest.raises(InputError, match="return_period_years"):
        design_flood(bad)
    assert RETURN_PERIOD_RANGE == (2.0, 200.0)


def test_unknown_regime():
    with pytest.raises(InputError, match="regime"):
        design_flood(50.0, regime="wet")
