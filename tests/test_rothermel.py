"""Rothermel (1972) surface spread as BehavePlus computes it (sim/hazards/fire/surface.py).

1. the USFS Behave library's own unit tests (firelab/behave src/testBehave/testBehave.cpp);
2. Anderson's 13 fuel models at his reference conditions (docs reference table);
3. shape and behaviour (monotone in wind and slope, extinction, no-wind ellipse, cross-slope
   wind, SI units);
4. optional peer: the Behave C++ core as built by the ``pyrothermel`` package;
5. bad input names the argument.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from network.errors import InputError
from sim.hazards.fire.surface import (
    fuel_model_codes,
    get_fuel_model,
    midflame_wind,
    ros_in_direction,
    rothermel,
    rothermel_table,
    wind_adjustment_factor,
)

FT = 0.3048                       # m per ft
CH_H = 1.1 * FT                   # m/min per chain/h (66 ft/h = 1.1 ft/min)
MPH = 0.44704                     # m/s per mi/h
BTU_FT_S = 1.05505585262 / FT     # kW/m per Btu/ft/s


def deg_slope(deg: float) -> float:
    """Behave tests give some slopes in degrees; the API takes percent."""
    return math.tan(math.radians(deg)) * 100.0


# --- 1. Behave's unit tests -----------------------------------------------------------------
# setSurfaceInputsForGS4LowMoistureScenario (testBehave.cpp): fuel model GS4 (124), moisture
# 6/7/8 % dead, 60 % live herb, 90 % live woody, 5 mi/h 20-ft wind, 30 % slope, canopy cover
# 50 %, canopy height 30 ft, crown ratio 0.5 (Behave's default WAF method uses crown ratio).
GS4_MOISTURE = (0.06, 0.07, 0.08, 0.60, 0.90)
GS4_CANOPY = {"canopy_cover": 0.5, "canopy_height_m": 30 * FT, "crown_ratio": 0.5}


def gs4_midflame(mph: float = 5.0, fuel: str = "GS4", **canopy) -> float:
    return midflame_wind(mph * MPH, height="20ft", fuel_model=fuel, **(canopy or GS4_CANOPY))


# Behave's "north oriented" cases give wind (from) and aspect; the wind's direction relative
# to upslope is wind - aspect (surfaceFire.cpp calculateDirectionOfMaxSpread).
BEHAVE_CASES = [
    # (testBehave.cpp function: test name, fuel, moisture, 20-ft mi/h, canopy, slope %, wind deg
    #  from upslope, expected {key: (value, unit factor to SI)})
    ("testSurfaceSingleFuelModel: upslope oriented mode, 5 mph 20 foot upslope wind",
     "GS4", GS4_MOISTURE, 5.0, GS4_CANOPY, 30.0, 0.0,
     {"ros_m_min": (8.876216, CH_H), "backing_ros_m_min": (2.91614659, CH_H),
      "flanking_ros_m_min": (5.08766627, CH_H),
      "live_moisture_of_extinction": (137.968551, 0.01),
      "characteristic_live_moisture": (85.874007, 0.01),
      "characteristic_dead_moisture": (6.005463, 0.01),
      # testFirelineIntensity: same inputs
      "fireline_intensity_kw_m": (598.339039, BTU_FT_S)}),
    (("testSurfaceSingleFuelModel: north oriented mode, 45 degree wind, 95 degree aspect, "
     "30 degree slope (+ testLengthToWidthRatio)"),
     "GS4", GS4_MOISTURE, 5.0, GS4_CANOPY, deg_slope(30), 45.0 - 95.0,
     {"ros_m_min": (19.677584, CH_H), "lb_ratio": (1.375624, 1.0),
      "characteristic_sav_m_inv": (1631.128734, 1 / FT)}),
    (("testLengthToWidthRatio: north oriented mode, 45 degree wind, 15 mph 20 foot wind, "
     "95 degree aspect, 30 degree slope"),
     "GS4", GS4_MOISTURE, 15.0, GS4_CANOPY, deg_slope(30), 45.0 - 95.0,
     {"lb_ratio": (1.519936, 1.0)}),
    (("testSurfaceSingleFuelModel: upslope oriented mode, 5 mph 20 foot wind cross-slope "
     "left to right (90 degrees)"),
     "GS4", GS4_MOISTURE, 5.0, GS4_CANOPY, 30.0, 90.0, {"ros_m_min": (7.091665, CH_H)}),
    (("testSurfaceSingleFuelModel: north oriented mode, 20 foot north-east wind (45 degree), "
     "215 degree aspect"),
     "GS4", GS4_MOISTURE, 5.0, GS4_CANOPY, 30.0, 45.0 - 215.0, {"ros_m_min": (4.113265, CH_H)}),
    ("testSurfaceSingleFuelModel: north oriented mode, 20 foot 45 degree wind, 5 degree aspect",
     "GS4", GS4_MOISTURE, 5.0, GS4_CANOPY, 30.0, 45.0 - 5.0, {"ros_m_min": (8.503960, CH_H)}),
    (("testSurfaceSingleFuelModel: Fuel Model 4, north oriented mode, 20 foot 90 degree wind, "
     "0 degree aspect, 40 percent canopy cover, 30 degree slope"),
     "FM4", GS4_MOISTURE, 5.0, {"canopy_cover": 0.4, "canopy_height_m": 30 * FT, "crown_ratio": 0.5},
     deg_slope(30), 90.0, {"ros_m_min": (46.631688, CH_H)}),
    ("testSurfaceSingleFuelModel: moisture scenario D1L1 (3,4,5,30,60 %)",
     "GS4", (0.03, 0.04, 0.05, 0.30, 0.60), 5.0, GS4_CANOPY, 30.0, 0.0,
     {"ros_m_min": (15.023945, CH_H)}),
    ("testSurfaceSingleFuelModel: moisture scenario D2L3 (6,7,8,90,120 %)",
     "GS4", (0.06, 0.07, 0.08, 0.90, 1.20), 5.0, GS4_CANOPY, 30.0, 0.0,
     {"ros_m_min": (1.978840, CH_H)}),
]


@pytest.mark.parametrize("case", BEHAVE_CASES, ids=[c[0][:60] for c in BEHAVE_CASES])
def test_behave_unit_test_cases(case):
    _name, fuel, moisture, mph, canopy, slope, wdir, expected = case
    r = rothermel(fuel, moisture, gs4_midflame(mph, fuel, **canopy), slope, wind_direction_deg=wdir)
    for key, (value, to_si) in expected.items():
        assert r[key] == pytest.approx(value * to_si, rel=0.01), key


def test_behave_simple_surface_waf_one():
    """testSimpleSurface: GS4, user WAF 1.0 (20-ft wind = midflame 5 mi/h), 30 % slope."""
    r = rothermel("GS4", GS4_MOISTURE, midflame_wind(5 * MPH, waf=1.0), 30.0)
    assert r["ros_m_min"] == pytest.approx(34.011429 * CH_H, rel=0.01)
    assert r["flame_length_m"] == pytest.approx(15.811421 * FT, rel=0.01)
    assert r["fireline_intensity_kw_m"] == pytest.approx(2292.684759 * BTU_FT_S, rel=0.01)


def test_behave_ellipse_direct_midflame():
    """testLengthToWidthRatio / testEllipticalDimensions: GS4, 5 mi/h direct midflame, flat.
    After 3.5869124 min the ellipse has a = 0.628905, b = 1, c = 0.777482 chains, so head =
    (b + c)/t, backing = (b - c)/t, flanking = a/t."""
    r = rothermel("GS4", GS4_MOISTURE, 5 * MPH, 0.0)
    t = 3.5869124 / 60.0  # h
    assert r["lb_ratio"] == pytest.approx(1.590064, rel=0.01)
    assert r["ros_m_min"] == pytest.approx((1.0 + 0.777482) / t * CH_H, rel=0.01)
    assert r["backing_ros_m_min"] == pytest.approx((1.0 - 0.777482) / t * CH_H, rel=0.01)
    assert r["flanking_ros_m_min"] == pytest.approx(0.628905 / t * CH_H, rel=0.01)
    assert rothermel("GS4", GS4_MOISTURE, 0.0, 0.0)["lb_ratio"] == 1.0   # 0 mph case
    # fireSize.cpp caps the length-to-breadth ratio at 8 (effective wind above ~19 mi/h)
    gale = rothermel("FM1", (0.04, 0.05, 0.06, 1.0, 1.0), 15.0, 0.0)
    assert gale["effective_wind_m_s"] > 19 * MPH and gale["lb_ratio"] == 8.0


@pytest.mark.parametrize("wdir, direction, perimeter, expected", [
    # testDirectionOfInterest (GS4 scenario, 30 % slope); north-oriented cases converted to
    # upslope-relative: wind - aspect, direction - (aspect + 180).
    (0.0, 90.0, True, 5.596433 * FT),              # ft/min, FromPerimeter
    (290.0, 160.0, True, 2.766387 * CH_H),
    (215.0, 215.0, True, 2.818063 * CH_H),
    (280.0 - 135.0, 30.0 - 315.0, False, 4.180938 * CH_H),   # FromIgnitionPoint
    (0.0 - 45.0, 90.0 - 225.0, False, 3.438243 * CH_H),
    (280.0 - 263.0, 285.0 - 443.0, False, 2.944975 * CH_H),
])
def test_behave_direction_of_interest(wdir, direction, perimeter, expected):
    r = rothermel("GS4", GS4_MOISTURE, gs4_midflame(), 30.0, wind_direction_deg=wdir)
    got = ros_in_direction(r, direction, from_ignition_point=not perimeter)
    assert got == pytest.approx(expected, rel=0.01)


def test_non_burnable_gives_no_fire():
    """testSurfaceSingleFuelModel "Test Non-Burnable Fuel" (NB1, number 91)."""
    r = rothermel(91, GS4_MOISTURE, 3.0, 30.0)
    assert r["ros_m_min"] == 0.0 and r["flame_length_m"] == 0.0 and r["lb_ratio"] == 1.0


# --- 2. Anderson's 13 at reference conditions -------------------------------------------------
# docs reference table (HAZARD_REFERENCES.md §2.2): dead 8 %, live 100 %, midflame 5 mi/h,
# flat. (computed ROS ch/h, computed FL ft, published ROS ch/h, published FL ft)
ANDERSON = {
    1: (81.1, 4.1, 78, 4), 2: (32.5, 5.9, 35, 6), 3: (102.1, 12.1, 104, 12),
    4: (71.4, 18.7, 75, 19), 5: (14.5, 3.8, 18, 4), 6: (29.6, 5.6, 32, 6),
    7: (26.1, 5.6, 20, 5), 8: (1.8, 1.0, 1.6, 1), 9: (7.6, 2.7, 7.5, 2.6),
    10: (7.9, 4.8, 7.9, 4.8), 11: (5.6, 3.3, 6.0, 3.5), 12: (11.9, 7.6, 13, 8),
    13: (14.2, 9.7, 13.5, 10.5),
}


@pytest.mark.parametrize("number", sorted(ANDERSON))
def test_anderson_reference_conditions(number):
    ros_c, fl_c, ros_p, fl_p = ANDERSON[number]
    r = rothermel(number, (0.08, 0.08, 0.08, 1.0, 1.0), 5 * MPH, 0.0)
    ros, fl = r["ros_m_min"] / CH_H, r["flame_length_m"] / FT
    # computed column: printed to 0.1, so allow half a unit of its last digit plus 1 %
    assert ros == pytest.approx(ros_c, rel=0.01, abs=0.05)
    assert fl == pytest.approx(fl_c, rel=0.01, abs=0.05)
    # published column (Anderson 1982, from memory in the notes) as a band. FM7's published
    # 20 ch/h is 31 % under every current Rothermel implementation (the notes flag FM5/FM7's
    # live-fuel handling as different in the 1982 program), so it gets a wider band.
    band = 0.35 if number == 7 else 0.25
    assert ros == pytest.approx(ros_p, rel=band)
    assert fl == pytest.approx(fl_p, rel=band)


# --- 3. shape and behaviour -------------------------------------------------------------------

@pytest.mark.parametrize("code", ["FM1", "FM4", "FM10", "GR2", "GS4", "SH5", "TU1", "TL8", "SB3"])
def test_monotone_in_wind_and_slope(code):
    m = (0.06, 0.08, 0.10, 0.9, 1.2)
    winds = np.linspace(0.0, 10.0, 21)
    ros_w = rothermel(code, m, winds, 20.0)["ros_m_min"]
    assert np.all(np.diff(ros_w) > 0)
    slopes = np.linspace(0.0, 100.0, 21)
    ros_s = rothermel(code, m, 2.0, slopes)["ros_m_min"]
    assert np.all(np.diff(ros_s) > 0)


def test_no_spread_at_dead_moisture_of_extinction():
    r = rothermel("FM1", (0.12, 0.12, 0.12, 1.0, 1.0), 3.0, 30.0)   # M_x(FM1) = 12 %
    assert r["ros_m_min"] == 0.0 and r["fireline_intensity_kw_m"] == 0.0
    assert rothermel("FM1", (0.119, 0.12, 0.12, 1.0, 1.0), 3.0, 30.0)["ros_m_min"] > 0.0
    # every model, all dead classes just past extinction (exactly at it, the surface-area
    # weighted sum of equal moistures can round a hair under M_x, leaving ~1e-14 m/min, as in
    # Behave); live fuel then has M_x,live = M_x,dead (Albini 1976) and is too wet to burn
    for code in fuel_model_codes():
        mx = get_fuel_model(code).mx_dead + 0.005
        r = rothermel(code, (mx, mx, mx, 1.0, 1.0), 3.0, 30.0)
        assert r["ros_m_min"] == 0.0, code


def test_no_wind_flat_is_a_circle():
    r = rothermel("GS2", (0.05, 0.06, 0.07, 0.8, 1.0), 0.0, 0.0)
    assert r["lb_ratio"] == 1.0 and r["eccentricity"] == 0.0
    assert r["backing_ros_m_min"] == pytest.approx(r["ros_m_min"], rel=1e-12)
    assert r["flanking_ros_m_min"] == pytest.approx(r["ros_m_min"], rel=1e-12)
    assert r["ros_m_min"] == pytest.approx(r["no_wind_no_slope_ros_m_min"], rel=1e-12)


@pytest.mark.parametrize("wdir, lo, hi", [(90.0, 0.0, 90.0), (270.0, 270.0, 360.0)])
def test_cross_slope_wind_direction_between_upslope_and_wind(wdir, lo, hi):
    r = rothermel("FM2", (0.06, 0.07, 0.08, 1.0, 1.0), 3.0, 40.0, wind_direction_deg=wdir)
    assert lo < r["direction_of_max_spread_deg"] < hi
    # and the head is faster than either wind or slope alone would make it
    wind_only = rothermel("FM2", (0.06, 0.07, 0.08, 1.0, 1.0), 3.0, 0.0)["ros_m_min"]
    slope_only = rothermel("FM2", (0.06, 0.07, 0.08, 1.0, 1.0), 0.0, 40.0)["ros_m_min"]
    assert r["ros_m_min"] > max(wind_only, slope_only)


def test_si_units_consistent():
    r = rothermel("GS4", GS4_MOISTURE, gs4_midflame(), 30.0)
    # against Behave's native-unit outputs for this case (testBehave.cpp)
    assert r["ros_m_min"] == pytest.approx(0.3048 * 8.876216 * 1.1, rel=1e-6)
    assert r["fireline_intensity_kw_m"] == pytest.approx(3.4613 * 598.339039, rel=1e-3)
    # Byram: I = R H_A in SI (m/s x kJ/m2 = kW/m); flame length in SI (0.0775 I^0.46)
    assert r["fireline_intensity_kw_m"] == pytest.approx(
        r["ros_m_min"] / 60.0 * r["heat_per_unit_area_kj_m2"], rel=1e-9)
    assert r["flame_length_m"] == pytest.approx(0.0775 * r["fireline_intensity_kw_m"] ** 0.46, rel=2e-3)
    assert r["heat_per_unit_area_kj_m2"] == pytest.approx(
        r["reaction_intensity_kw_m2"] * r["residence_time_min"] * 60.0, rel=1e-9)


def test_wind_limit_is_off_by_default_and_caps_when_on():
    m = (0.11, 0.04, 0.20, 2.26, 0.36)         # GR1 mostly green: low I_R, strong wind
    free = rothermel("GR1", m, 10.0, 0.0)
    capped = rothermel("GR1", m, 10.0, 0.0, effective_wind_limit=True)
    assert not free["wind_limit_exceeded"] and capped["wind_limit_exceeded"]
    assert capped["ros_m_min"] < free["ros_m_min"]
    assert capped["effective_wind_m_s"] == pytest.approx(capped["wind_limit_m_s"], rel=1e-12)


def test_dynamic_herbaceous_transfer():
    """GR2 herb: fully cured at <= 30 % (all dead, spreads fast), uncured at >= 120 %."""
    dry = rothermel("GR2", (0.05, 0.06, 0.07, 0.30, 1.0), 2.0, 0.0)["ros_m_min"]
    half = rothermel("GR2", (0.05, 0.06, 0.07, 0.75, 1.0), 2.0, 0.0)["ros_m_min"]
    green = rothermel("GR2", (0.05, 0.06, 0.07, 1.50, 1.0), 2.0, 0.0)["ros_m_min"]
    assert dry > half > green


def test_arrays_broadcast_and_table_matches_scalar_calls():
    winds = np.array([0.0, 1.5, 4.0])
    slopes = np.array([[0.0], [35.0]])
    r = rothermel("TU1", (0.06, 0.07, 0.08, 0.9, 1.1), winds, slopes, wind_direction_deg=45.0)
    assert r["ros_m_min"].shape == (2, 3)
    one = rothermel("TU1", (0.06, 0.07, 0.08, 0.9, 1.1), 1.5, 35.0, wind_direction_deg=45.0)
    assert r["ros_m_min"][1, 1] == pytest.approx(one["ros_m_min"], rel=1e-12)
    codes = np.array([["GS4", "FM1"], ["tl3", 4]], dtype=object)
    t = rothermel_table(codes, (0.06, 0.07, 0.08, 0.6, 0.9), 2.0, np.array([[0.0, 10.0], [20.0, 30.0]]))
    for (i, j), code, slope in [((0, 0), "GS4", 0.0), ((0, 1), "FM1", 10.0),
                                ((1, 0), "TL3", 20.0), ((1, 1), "FM4", 30.0)]:
        s = rothermel(code, (0.06, 0.07, 0.08, 0.6, 0.9), 2.0, slope)
        assert t["ros_m_min"][i, j] == pytest.approx(s["ros_m_min"], rel=1e-12)


def test_wind_helpers():
    # unsheltered: WAF from fuel bed depth only (FM1, 1 ft: 1.83 / ln((20 + 0.36)/0.13) = 0.362)
    assert wind_adjustment_factor(1.0 * FT) == pytest.approx(1.83 / math.log(20.36 / 0.13), rel=1e-12)
    assert midflame_wind(10.0, height="10m", waf=0.4) == pytest.approx(10.0 / 1.15 * 0.4, rel=1e-12)
    sheltered = wind_adjustment_factor(1.0 * FT, 0.5, 30 * FT, 0.5)
    assert sheltered == pytest.approx(0.555 / (math.sqrt(0.5 * 0.5 / 3 * 30) * math.log(30.8 / 3.9)), rel=1e-12)


# --- 4. peer: Behave's C++ core through pyrothermel ----------------------------------------

def test_against_pyrothermel_behave_core():
    pytest.importorskip("pyrothermel", reason="optional peer: pip install pyrothermel "
                        "(builds the firelab/behave C++ core)")
    from pyrothermel import behave_core, modes, units
    # BehaveRun keeps pointers to these two: hold them for the whole test
    fuel_models, species = behave_core.FuelModels(), behave_core.SpeciesMasterTable()
    run = behave_core.BehaveRun(fuel_models, species)
    s = run.surface
    pct, frac = units.FractionUnits.FractionUnitsEnum.Percent, units.FractionUnits.FractionUnitsEnum.Fraction
    ft_min = units.SpeedUnits.SpeedUnitsEnum.FeetPerMinute
    rng = np.random.default_rng(20240601)
    codes = [c for c in fuel_model_codes() if not c.startswith("NB")]
    worst = 0.0
    for _ in range(200):
        code = codes[rng.integers(len(codes))]
        fm = get_fuel_model(code)
        m = (rng.uniform(0.02, 0.3), rng.uniform(0.03, 0.3), rng.uniform(0.04, 0.3),
             rng.uniform(0.3, 2.5), rng.uniform(0.3, 2.5))
        wind, slope, wdir = rng.uniform(0, 12), rng.uniform(0, 120), rng.uniform(0, 360)
        cc, ch, cr = rng.uniform(0, 0.9), rng.uniform(0, 40), rng.uniform(0, 1)
        ten_m = bool(rng.integers(2))
        s.updateSurfaceInputs(
            fm.number, *[x * 100 for x in m], pct, wind, units.SpeedUnits.SpeedUnitsEnum.MetersPerSecond,
            modes.WindHeightInputMode.TenMeter if ten_m else modes.WindHeightInputMode.TwentyFoot,
            wdir, modes.WindAndSpreadOrientationMode.RelativeToUpslope, slope,
            units.SlopeUnits.SlopeUnitsEnum.Percent, 0.0, cc, frac, ch,
            units.LengthUnits.LengthUnitsEnum.Meters, cr, frac)
        s.doSurfaceRunInDirectionOfMaxSpread()
        ref = {"ros": s.getSpreadRate(ft_min),
               "fl": s.getFlameLength(units.LengthUnits.LengthUnitsEnum.Feet),
               "fli": s.getFirelineIntensity(
                   units.FirelineIntensityUnits.FirelineIntensityUnitsEnum.BtusPerFootPerSecond)}
        direction = s.getDirectionOfMaxSpread()
        s.doSurfaceRunInDirectionOfInterest((direction + 180.0) % 360.0, modes.FromIgnitionPoint)
        ref["back"] = s.getSpreadRateInDirectionOfInterest(ft_min)
        u = midflame_wind(wind, height="10m" if ten_m else "20ft", fuel_model=code,
                          canopy_cover=cc, canopy_height_m=ch, crown_ratio=cr)
        # pyrothermel 0.1.4 bundles a Behave from before the effective-wind limit was made
        # optional (firelab/behave e6d2b8a), with the limit on: compare with it on.
        r = rothermel(code, m, u, slope, wind_direction_deg=wdir, effective_wind_limit=True)
        ours = {"ros": r["ros_m_min"] / FT, "fl": r["flame_length_m"] / FT,
                "fli": r["fireline_intensity_kw_m"] / BTU_FT_S, "back": r["backing_ros_m_min"] / FT}
        for key, value in ours.items():
            assert value == pytest.approx(ref[key], rel=0.01, abs=1e-9), (key, code, m, wind, slope)
            if ref[key] > 0:
                worst = max(worst, abs(value / ref[key] - 1.0))
        if ref["ros"] > 0:
            gap = abs((r["direction_of_max_spread_deg"] - direction + 180.0) % 360.0 - 180.0)
            assert gap < 0.01
    assert worst < 0.01


# --- 5. bad input -------------------------------------------------------------------------

@pytest.mark.parametrize("args, kwargs, names", [
    (("XX", (0.06, 0.07, 0.08, 0.6, 0.9), 1.0, 10.0), {}, ["fuel_model", "'XX'", "FM1..FM13", "GR1..GR9"]),
    ((14, (0.06, 0.07, 0.08, 0.6, 0.9), 1.0, 10.0), {}, ["fuel_model", "14"]),
    (("FM1", (6, 7, 8, 60, 90), 1.0, 10.0), {}, ["moisture[0]", "1-h", "not percent"]),
    (("FM1", (0.06, 0.07, 0.08, 0.1, 0.9), 1.0, 10.0), {}, ["moisture[3]", "0.30"]),
    (("FM1", (0.06, 0.07, 0.08, 0.6, 3.5), 1.0, 10.0), {}, ["moisture[4]", "live woody"]),
    (("FM1", (0.06, 0.07, 0.08, 0.6), 1.0, 10.0), {}, ["moisture", "5"]),
    (("FM1", (0.06, 0.07, 0.08, 0.6, 0.9), -1.0, 10.0), {}, ["midflame_wind_m_s", "negative"]),
    (("FM1", (0.06, 0.07, 0.08, 0.6, 0.9), np.array([1.0, -2.0]), 10.0), {}, ["midflame_wind_m_s", "-2"]),
    (("FM1", (0.06, 0.07, 0.08, 0.6, 0.9), 1.0, -5.0), {}, ["slope_pct", "negative"]),
    (("FM1", (0.06, 0.07, 0.08, 0.6, 0.9), 1.0, 5.0), {"wind_direction_deg": float("nan")},
     ["wind_direction_deg"]),
    (("FM1", (0.06, 0.07, 0.08, 0.6, 0.9), "fast", 5.0), {}, ["midflame_wind_m_s"]),
])
def test_bad_input_names_the_argument(args, kwargs, names):
    with pytest.raises(InputError) as exc:
        rothermel(*args, **kwargs)
    msg = str(exc.value)
    assert "\n" not in msg
    for name in names:
        assert name in msg


def test_wet_fuel_is_not_an_error_and_codes_are_flexible():
    assert rothermel("fm1", (0.6, 0.6, 0.6, 3.0, 3.0), 0.0, 0.0)["ros_m_min"] == 0.0
    assert get_fuel_model("gs4") is get_fuel_model(124) is get_fuel_model("124")
    assert len([c for c in fuel_model_codes() if not c.startswith("NB")]) == 53
    with pytest.raises(InputError, match="fuel_model"):
        get_fuel_model(True)
