"""The Rothermel / minimum-travel-time fire as a hazard (sim/hazards/fire/spread.py) and the
district's fuels (fuels.py): shapes in every direction, the head at Rothermel's rate, the slope
factor, wind changes, detection and containment, and the stand-alone command's fields."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from network.errors import InputError
from network.raster import Raster
from sim.hazards.fire.attack import containment_by_schedule
from sim.hazards.fire.fuels import FuelLayers, FuelType, district_fuels, moisture_scenario, seasons
from sim.hazards.fire.spread import SurfaceFire, slope_and_aspect
from sim.hazards.fire.surface import rothermel
from sim.hazards.fire.travel_time import ellipse_arrival

CRS = "EPSG:32650"
CELL = 10.0
N = 161
GRASS = FuelType("grass", "草", "grass", "GR2", 0.0, 0.0, "low", True, "test")
MOIST = "D2L2"


def fuels(n=N, types=(GRASS,)):
    r = lambda a: Raster(a, 0.0, 0.0, CELL, CRS)  # noqa: E731
    return FuelLayers(types, r(np.zeros((n, n), np.int16)), r(np.zeros((n, n))))


def flat(n=N):
    return Raster(np.zeros((n, n)), 0.0, 0.0, CELL, CRS)


def centre(n=N):
    return (n // 2 + 0.5) * CELL, (n // 2 + 0.5) * CELL


def fire(*, dem=None, wind=None, speed=0.0, frm=0.0, hours=3.0, **kw):
    kw.setdefault("step_s", 60.0)
    return SurfaceFire(None, dem or flat(), fuels(), [(*centre(), 0.0)], moisture=MOIST, wind=wind,
                       wind_speed_m_s=speed, wind_from_deg=frm, horizon_s=hours * 3600.0, **kw)


def reach(f: SurfaceFire, t_s: float, bearing_deg: float) -> float:
    """Distance (m) from the ignition along a bearing to where the arrival time (interpolated
    bilinearly between cell centres) passes ``t_s``."""
    from scipy.ndimage import map_coordinates

    x0, y0 = centre()
    b = math.radians(bearing_deg)
    d = np.arange(0.0, N * CELL / 2, CELL / 8)
    x, y = x0 + d * math.sin(b), y0 + d * math.cos(b)
    arr = np.where(np.isfinite(f._arrival_s), f._arrival_s, 1e12)
    t = map_coordinates(arr, [y / CELL - 0.5, x / CELL - 0.5], order=1, mode="nearest")
    k = int(np.argmax(t > t_s))
    if k == 0:
        return float(d[-1])
    return float(d[k - 1] + (t_s - t[k - 1]) / (t[k] - t[k - 1]) * (d[k] - d[k - 1]))


def test_calm_flat_uniform_fuel_burns_a_circle():
    f = fire(hours=32.0)
    ros = rothermel("GR2", moisture_scenario(MOIST), 0.0, 0.0)["ros_m_min"]
    t = 0.9 * (N // 2 * CELL) / ros * 60.0          # the fire fills most of the grid
    assert t < f.horizon_s
    axial = [reach(f, t, b) for b in (0, 90, 180, 270)]
    diagonal = [reach(f, t, b) for b in (45, 135, 225, 315)]
    assert max(axial) / min(axial) == pytest.approx(1.0, abs=0.05)     # one cell is 3 % of the reach
    assert np.mean(diagonal) / np.mean(axial) == pytest.approx(1.0, abs=0.05)
    # and the radius is Rothermel's no-wind rate times the time (a cell of slack)
    assert np.mean(axial) == pytest.approx(ros * t / 60.0, abs=1.5 * CELL)


@pytest.mark.parametrize("frm", [270.0, 0.0, 90.0, 180.0])
def test_wind_gives_anderson_ellipse_with_the_head_at_rothermels_rate(frm):
    """Wind from the west drives the head east, and so on round the compass: the burned shape is
    the ellipse of the fuel's L/B and its head moves at Rothermel's head rate."""
    speed = 8.0
    f = fire(speed=speed, frm=frm, hours=1.5)
    beh = f.behaviour_at_ignition()
    head_dir = (frm + 180.0) % 360.0
    assert beh["head_dir_deg"] == pytest.approx(head_dir, abs=1e-6)
    t = 0.85 * (N // 2 * CELL) / beh["head_ros_m_min"] * 60.0
    assert t < f.horizon_s
    head = reach(f, t, head_dir)
    back = reach(f, t, head_dir + 180.0)
    assert head == pytest.approx(beh["head_ros_m_min"] * t / 60.0, rel=0.05, abs=CELL)
    assert back == pytest.approx(beh["backing_ros_m_min"] * t / 60.0, abs=1.5 * CELL)
    burned = f._arrival_s <= t
    # length along the wind, breadth across it (the widest chord), from the cell counts
    rows, cols = np.nonzero(burned)
    along = np.array([np.sin(np.radians(head_dir)), np.cos(np.radians(head_dir))])
    pts = np.c_[cols, rows] * CELL
    length = np.ptp(pts @ along) + CELL
    breadth = np.ptp(pts @ np.array([along[1], -along[0]])) + CELL
    assert length / breadth == pytest.approx(beh["lb_ratio"], rel=0.10)


def test_upslope_speeds_the_head_by_rothermels_slope_factor():
    slope_pct = 30.0
    rows = np.arange(N)[:, None] * np.ones((1, N))
    dem = Raster(rows * CELL * slope_pct / 100.0, 0.0, 0.0, CELL, CRS)     # rises to the north
    sl, up = slope_and_aspect(dem.values, CELL)
    assert sl[N // 2, N // 2] == pytest.approx(slope_pct) and up[N // 2, N // 2] == pytest.approx(0.0)
    f_up, f_flat = fire(dem=dem, hours=6.0), fire(hours=6.0)
    m = moisture_scenario(MOIST)
    r_up = rothermel("GR2", m, 0.0, slope_pct)["ros_m_min"]
    r_flat = rothermel("GR2", m, 0.0, 0.0)["ros_m_min"]
    t = 0.8 * (N // 2 * CELL) / r_up * 60.0
    assert t < f_up.horizon_s
    ratio = reach(f_up, t, 0.0) / reach(f_flat, t, 0.0)
    assert r_up / r_flat > 1.5
    assert ratio == pytest.approx(r_up / r_flat, rel=0.08)
    # across the slope the fire is not pushed: it stays behind the head
    assert reach(f_up, t, 90.0) < 0.8 * reach(f_up, t, 0.0)


def test_arrival_times_match_the_analytic_ellipse_on_uniform_fuel():
    f = fire(speed=4.0, frm=270.0, hours=2.0, neighbours=32)
    beh = f.behaviour_at_ignition()
    assert 1.2 < beh["lb_ratio"] < 2.0
    x0, y0 = centre()
    xs = (np.arange(N) + 0.5) * CELL
    north, east = np.meshgrid(xs - y0, xs - x0, indexing="ij")
    exact = ellipse_arrival(beh["head_ros_m_min"], beh["lb_ratio"], beh["head_dir_deg"], north, east)
    t = f._arrival_s / 60.0
    far = (np.hypot(north, east) > 8 * CELL) & np.isfinite(t) & (t < 0.8 * np.nanmax(t[np.isfinite(t)]))
    rel = np.abs(t[far] - exact[far]) / exact[far]
    assert np.median(rel) < 0.03 and np.max(rel) < 0.12


def test_a_wind_change_re_propagates_from_the_front():
    shift = 20 * 60.0
    once = fire(speed=6.0, frm=270.0, hours=1.0)
    turned = fire(wind=[(0.0, 6.0, 270.0), (shift, 6.0, 180.0)], hours=1.0)
    a, b = once._arrival_s, turned._arrival_s
    before = a <= shift
    assert np.array_equal(a[before], b[before])        # what had burned keeps its times
    end = 3600.0
    # after the change the fire runs north instead of east
    assert reach(turned, end, 0.0) > 1.5 * reach(once, end, 0.0)
    assert reach(turned, end, 90.0) < reach(once, end, 90.0)


def test_detection_is_drawn_from_the_seed_and_comes_after_ignition():
    a = fire(detection=["patrol", "public", "himawari"], seed=3)
    b = fire(detection=["patrol", "public", "himawari"], seed=3)
    assert a.detected_s() == b.detected_s() > 0 and a.detection.method == b.detection.method
    assert fire().detected_s() == 0.0          # no methods: reported at ignition
    many = [fire(detection=["camera"], seed=s).detected_s() for s in range(6)]
    assert len(set(many)) > 1


def test_containment_stops_the_fire_at_fried_and_frieds_area():
    rate = 600.0
    f = fire(speed=3.0, frm=270.0, hours=6.0, crews=[(20 * 60.0, rate)])
    s = f.summary(6 * 3600.0)
    assert s["contained"] is True and 20 / 60 < s["contained_h"] < 6
    h, b, lb = f._geometry
    ff = containment_by_schedule(h, b, lb, [(20.0, rate)], horizon_min=360.0)
    assert s["contained_h"] == pytest.approx(ff["contained_min"] / 60.0, abs=1e-3)
    assert s["burned_ha"] == pytest.approx(ff["area_m2"] / 1e4, abs=2 * CELL**2 / 1e4)
    free = fire(speed=3.0, frm=270.0, hours=6.0).summary(6 * 3600.0)
    assert free["contained"] is False and free["escape_reason"] == "no crew reached the line"
    assert free["burned_ha"] > 5 * s["burned_ha"]
    # the record stops growing once contained; the front goes out after the burning time
    assert f.burned_area_m2(6 * 3600.0) == f.burned_area_m2(s["contained_h"] * 3600.0 + 3600.0)
    assert f.is_out


def test_a_slow_line_escapes_and_says_why():
    f = fire(speed=8.0, frm=270.0, hours=2.0, crews=[(10 * 60.0, 60.0)])
    s = f.summary(2 * 3600.0)
    assert s["contained"] is False and "never out-paced the head fire" in s["escape_reason"]
    assert "无法合围火头" in s["escape_reason_zh"]


def test_moisture_scenarios_and_bad_names():
    assert moisture_scenario("D1L1") == pytest.approx((0.03, 0.04, 0.05, 0.30, 0.60))
    assert moisture_scenario("spring-dry") == moisture_scenario(seasons()["spring-dry"]["scenario"])
    with pytest.raises(InputError, match="moisture: unknown moisture scenario 'D9L9'"):
        moisture_scenario("D9L9")
    with pytest.raises(InputError, match="expected 5 fractions"):
        moisture_scenario([0.1, 0.1])


def test_district_fuels_map_land_cover_and_can_be_remapped(district):
    f = district_fuels(district.terrain)
    keys = [t.key for t in f.types]
    assert "masson_pine" in keys and f.burnable.sum() > 0.5 * f.index.values.size
    fir = district_fuels(district.terrain, {"forest_conifer": "chinese_fir"})
    assert "chinese_fir" in [t.key for t in fir.types] and "masson_pine" not in [t.key for t in fir.types]
    none = district_fuels(district.terrain, {"farmland": "none"})
    assert none.burnable.sum() < f.burnable.sum()
    with pytest.raises(InputError, match="fuels.forest_pine: unknown land-cover class"):
        district_fuels(district.terrain, {"forest_pine": "chinese_fir"})
    with pytest.raises(InputError, match="'oak' is neither a fuel type"):
        district_fuels(district.terrain, {"forest_conifer": "oak"})
    # a standard fuel model in place of a type: the class keeps its canopy and forest status
    tu5 = {t.key: t for t in district_fuels(district.terrain, {"forest_conifer": "TU5"}).types}["TU5"]
    pine = {t.key: t for t in f.types}["masson_pine"]
    assert tu5.fuel_model == "TU5" and tu5.forest and tu5.canopy_height_m == pine.canopy_height_m


def test_hazard_fire_json_gives_the_issue_fields(tmp_path, capsys):
    from scenarios.cli.main import main

    code = main(["hazard", "fire", "--out", str(tmp_path / "f"), "--json", "--no-gif", "--hours", "3",
                 "--step-hours", "1", "--wind-speed", "2"])
    out = json.loads(capsys.readouterr().out)
    assert code in (0, None)
    for key in ("burned_ha", "head_ros_m_min", "damage_permille", "contained", "contained_h"):
        assert key in out
    assert out["head_ros_m_min"] > 0 and out["damage_permille"] == out["damage_rate_permille"]
    assert out["crews"] and out["crews"][0]["base"] == "forest-fire-brigade"


@pytest.mark.parametrize("args, message", [
    (["--moisture", "soggy"], "--moisture: unknown moisture scenario 'soggy'"),
    (["--wind-speed", "-1"], "--wind-speed: expected 0..40 m/s"),
    (["--detection", "radar"], "--detection: unknown method 'radar'"),
    (["--model", "farsite"], "--model: expected rothermel or automaton"),
    (["--wind-change", "1:5"], "--wind-change: expected HOURS:SPEED:FROM"),
    (["--fuel", "forest_conifer=XX9"], "--fuel forest_conifer: 'XX9' is neither a fuel type"),
    (["--fuel", "pine=TU5"], "--fuel pine: unknown land-cover class"),
    (["--model", "automaton", "--fuel", "shrub=GR1"], "--fuel: the automaton has its own vegetation classes"),
])
def test_hazard_fire_bad_input_is_one_line_exit_2(tmp_path, capsys, args, message):
    from scenarios.cli.main import main

    code = main(["hazard", "fire", "--out", str(tmp_path / "f"), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "f").exists()


def test_a_fire_read_step_by_step_stops_at_the_same_line():
    """The simulation reads the fire every few minutes; crews on course to contain it hold it to
    the area inside their line whatever the steps (the record cannot outgrow it meanwhile)."""
    kw = dict(speed=3.0, frm=270.0, hours=6.0)
    once = fire(**kw, crews=[(20 * 60.0, 600.0)])
    stepped = fire(**kw)
    for t in np.arange(0.0, 20 * 60.0 + 1, 300.0):
        stepped.burned_area_m2(t)
    stepped.add_crews([(20 * 60.0, 600.0)])                  # the crews, told of when they arrive
    for t in np.arange(20 * 60.0, 6 * 3600.0 + 1, 900.0):
        stepped.burned_area_m2(t)
    assert once.summary(6 * 3600.0)["contained_h"] == pytest.approx(stepped.summary(6 * 3600.0)["contained_h"])
    assert stepped.burned_area_m2(6 * 3600.0) == once.burned_area_m2(6 * 3600.0)
