"""Forest-fire detection, initial attack and containment (sim/hazards/fire/attack.py, docs §2.10).

The containment checks compare the numerical integration with closed forms derived in the
module docstring (Fried & Fried 1996's formulation for a circle) and with an independent
quadrature for an ellipse; the rest checks behaviour that must hold whatever the parameters.
"""
from __future__ import annotations

import itertools
import math
import tomllib

import numpy as np
import pytest
from scipy.integrate import quad

from network import InputError
from sim.hazards.fire import attack as A
from sim.hazards.fire.attack import (
    AttackState,
    arrival_time_min,
    containment,
    detection_samples,
    detection_time_min,
    dispatch_delay_min,
    ellipse_perimeter_m,
    free_fire,
    hike_minutes,
    line_rate_m_h,
    resistance_of_vegetation,
    tobler_speed_kmh,
)

CHAIN = 20.1168


# ------------------------------------------------------------------ containment: closed forms
def circle_two_flanks(R, V, t_a):
    """t_c, area (m²), line held (m) for a circle of radius rate R, total line rate V on two flanks."""
    v = V / 2
    k = math.sqrt(v * v - R * R) / R
    tc = t_a * math.exp(math.pi / k)
    return tc, (R * t_a) ** 2 * (k / 2) * (math.exp(2 * math.pi / k) - 1), 2 * v * (tc - t_a)


@pytest.mark.parametrize("R,V,t_a", [(2.0, 10.0, 30.0), (0.5, 2.0, 60.0), (1.0, 2.5, 10.0), (3.0, 40.0, 45.0)])
def test_circle_two_flanks_matches_closed_form(R, V, t_a):
    r = containment(R, R, 1.0, t_a, [(0.0, V * 60)])  # one crew at V m/min, split on both flanks
    tc, area, held = circle_two_flanks(R, V, t_a)
    assert r["contained"]
    assert r["contained_min"] == pytest.approx(tc, rel=1e-7)
    assert r["area_ha"] * 1e4 == pytest.approx(area, rel=1e-6)
    assert r["line_held_m"] == pytest.approx(held, rel=1e-7)
    assert r["line_built_m"] == pytest.approx(V * (tc - t_a), rel=1e-9)
    assert r["perimeter_m"] == pytest.approx(held, rel=1e-7)


@pytest.mark.parametrize("R,V,t_a", [(2.0, 10.0, 30.0), (1.0, 1.5, 20.0)])
def test_circle_one_crew_round_matches_closed_form(R, V, t_a):
    r = containment(R, R, 1.0, t_a, [(0.0, V * 60)], flanks=1, horizon_min=1e5)
    k = math.sqrt(V * V - R * R) / R
    tc = t_a * math.exp(2 * math.pi / k)
    assert r["contained_min"] == pytest.approx(tc, rel=1e-7)
    assert r["area_ha"] * 1e4 == pytest.approx((R * t_a) ** 2 * (k / 4) * (math.exp(4 * math.pi / k) - 1), rel=1e-6)
    # the track is the spiral plus the strip backed off behind the anchor
    assert r["perimeter_m"] == pytest.approx(V * (tc - t_a) + R * (tc - t_a), rel=1e-7)


def test_worked_numbers_circle():
    """A hand-worked case: R = 2 m/min, one crew at 600 m/h on two flanks, attack at 30 min.

    v = 5 m/min per flank, k = √(25 − 4)/2 = 2.2913, t_c = 30 e^{π/k} = 118.19 min,
    area = (60 m)² · 1.1456 · (e^{2π/k} − 1) = 5.989 ha, line 10 · 88.19 = 881.9 m.
    """
    r = containment(2.0, 2.0, 1.0, 30.0, [(0.0, 600.0)])
    assert r["contained_min"] == pytest.approx(118.19, abs=0.01)
    assert r["area_ha"] == pytest.approx(5.989, abs=0.001)
    assert r["line_held_m"] == pytest.approx(881.9, abs=0.1)
    assert r["area_at_attack_ha"] == pytest.approx(math.pi * 60 ** 2 / 1e4)


@pytest.mark.parametrize("h,b,lb,V", [(5.0, 1.0, 3.0, 30.0), (3.0, 0.5, 2.0, 9.0), (1.0, 1.0, 1.0, 3.0)])
def test_ellipse_constant_rate_matches_quadrature(h, b, lb, V):
    """Fried & Fried: for a constant line rate, ln(t_c/t_a) = ∫₀^π dφ / w(φ) — computed here
    independently with scipy.integrate.quad from the quadratic for w."""
    a1 = (h + b) / 2
    b1 = a1 / lb
    c1 = (h - b) / 2
    v = V / 2

    def inv_w(phi):
        x, y = c1 - a1 * math.cos(phi), b1 * math.sin(phi)
        dx, dy = a1 * math.sin(phi), b1 * math.cos(phi)
        q, p = dx * dx + dy * dy, x * dx + y * dy
        return q / (-p + math.sqrt(q * v * v - (x * dy - y * dx) ** 2))

    t_a = 20.0
    tc = t_a * math.exp(quad(inv_w, 0, math.pi, epsabs=1e-12, epsrel=1e-12)[0])
    r = containment(h, b, lb, t_a, [(0.0, V * 60)], horizon_min=1e6)
    assert r["contained_min"] == pytest.approx(tc, rel=1e-7)


def test_attack_at_ignition_contains_at_once():
    r = containment(3.0, 1.0, 2.0, 0.0, [(0.0, "professional")])
    assert r["contained"] and r["contained_min"] == 0.0 and r["area_ha"] == 0.0


# ------------------------------------------------------------------ containment: behaviour
FIRE = (3.0, 0.6, 2.0)  # head, back (m/min), L/B


def test_more_crews_contain_earlier_and_smaller():
    prev = None
    for n in (1, 2, 3, 5):
        r = containment(*FIRE, 30.0, [(30.0, "professional")] * n, resistance="low")
        assert r["contained"]
        if prev is not None:
            assert r["contained_min"] < prev["contained_min"]
            assert r["area_ha"] < prev["area_ha"]
        prev = r


def test_faster_line_contains_earlier_and_smaller():
    out = [containment(*FIRE, 30.0, [(30.0, rate)]) for rate in (400.0, 600.0, 1000.0, 2000.0)]
    assert all(r["contained"] for r in out)
    assert all(a["contained_min"] > b["contained_min"] for a, b in itertools.pairwise(out))
    assert all(a["area_ha"] > b["area_ha"] for a, b in itertools.pairwise(out))


def test_later_arrival_gives_larger_area():
    out = [containment(*FIRE, t, [(t, 800.0)]) for t in (15.0, 30.0, 60.0, 120.0)]
    assert all(a["area_ha"] < b["area_ha"] for a, b in itertools.pairwise(out))


def test_reinforcements_help_and_late_crews_still_count():
    one = containment(*FIRE, 30.0, [(30.0, 500.0)])
    two = containment(*FIRE, 30.0, [(30.0, 500.0), (90.0, 500.0)])
    assert two["contained_min"] < one["contained_min"] and two["area_ha"] < one["area_ha"]
    # the second crew arriving after containment changes nothing
    late = containment(*FIRE, 30.0, [(30.0, 500.0), (one["contained_min"] + 1, 500.0)])
    assert late["contained_min"] == pytest.approx(one["contained_min"], rel=1e-9)


@pytest.mark.parametrize("t_a,crews", [(30.0, [(30.0, 500.0)]), (60.0, [(60.0, 900.0), (100.0, 300.0)]),
                                       (10.0, [(10.0, 400.0)])])
def test_contained_area_at_least_area_at_attack(t_a, crews):
    r = containment(*FIRE, t_a, crews)
    assert r["contained"]
    assert r["area_ha"] >= r["area_at_attack_ha"]
    assert r["area_ha"] >= free_fire(*FIRE, t_a)["area_m2"] / 1e4


def test_flank_rate_below_head_rate_escapes():
    # total 300 m/h = 5 m/min, 2.5 m/min per flank < head rate 3 m/min: the head is never pinched
    r = containment(*FIRE, 30.0, [(30.0, 300.0)])
    assert not r["contained"] and r["contained_min"] is None
    assert "head" in r["reason"]
    # the same force on a fire whose head runs at 2 m/min is contained
    assert containment(2.0, 0.6, 2.0, 30.0, [(30.0, 300.0)])["contained"]


def test_stall_then_reinforced_is_contained():
    # 100 m/h per flank-pair is below even the flank spread; a strong crew later finishes the job
    r = containment(*FIRE, 30.0, [(30.0, 100.0), (60.0, 1500.0)])
    assert r["contained"]
    assert r["area_ha"] > containment(*FIRE, 30.0, [(30.0, 1600.0)])["area_ha"]


def test_horizon_escape():
    r = containment(*FIRE, 30.0, [(30.0, 400.0)], horizon_min=60.0)
    assert not r["contained"] and "horizon" in r["reason"]
    assert r["area_ha"] == pytest.approx(free_fire(*FIRE, 60.0)["area_m2"] / 1e4)


def test_perimeter_rule_closed_form_and_escape():
    R, V, t_a = 1.0, 10.0, 30.0  # perimeter growth 2π m/min < 10 m/min
    r = containment(R, R, 1.0, t_a, [(0.0, V * 60)], method="perimeter")
    tc = V * t_a / (V - 2 * math.pi * R)
    assert r["contained_min"] == pytest.approx(tc, rel=1e-12)
    assert r["area_ha"] == pytest.approx(math.pi * (R * tc) ** 2 / 1e4, rel=1e-12)
    # a total line rate below the perimeter growth never catches the perimeter
    low = containment(R, R, 1.0, t_a, [(0.0, 6.0 * 60)], method="perimeter")
    assert not low["contained"] and "perimeter growth" in low["reason"]


def test_realistic_tactics_give_smaller_fires_than_perimeter_rule():
    """Fried & Fried (1996): the perimeter rule almost always over-estimates fire size."""
    for fire, crews in [((2.0, 2.0, 1.0), [(30.0, 900.0)]), (FIRE, [(30.0, 1200.0)]), ((1.0, 0.3, 3.0), [(20.0, 600.0)])]:
        f = containment(*fire, crews[0][0], crews)
        s = containment(*fire, crews[0][0], crews, method="perimeter")
        assert f["contained"]
        assert (not s["contained"]) or s["area_ha"] > f["area_ha"]


def test_ramanujan_perimeter():
    assert ellipse_perimeter_m(1.0, 1.0) == pytest.approx(2 * math.pi)
    # a = 2, b = 1: exact 9.688448220547675 (complete elliptic integral)
    assert ellipse_perimeter_m(2.0, 1.0) == pytest.approx(9.688448220547675, rel=1e-9)
    f = free_fire(3.0, 1.0, 2.0, 10.0)
    assert f["area_m2"] == pytest.approx(math.pi * 20 * 10 * 1)
    assert f["perimeter_m"] == pytest.approx(ellipse_perimeter_m(20.0, 10.0))


# ------------------------------------------------------------------ per-step API
def test_step_contains_when_line_closes_round_perimeter():
    R, V, t_a = 1.0, 10.0, 30.0
    st = AttackState(resistance="low")
    out = None
    for t in np.arange(t_a, 200.0, 1.0):
        out = st.step(float(t), 2 * math.pi * R * t, 2 * math.pi * R, [V * 60] if t > t_a else [])
        if out.contained:
            break
    tc = V * t_a / (V - 2 * math.pi * R)
    assert out.contained and out.t_min == math.ceil(tc)
    assert out.contained_min == pytest.approx(tc, rel=1e-9)
    assert out.line_built_m == pytest.approx(2 * math.pi * R * tc, rel=1e-9)
    assert out.free_edge_m == 0.0 and not out.losing


def test_step_line_below_perimeter_growth_never_contains():
    st = AttackState()
    for t in range(30, 600, 5):
        out = st.step(t, 2 * math.pi * 2.0 * t, 2 * math.pi * 2.0, {"professional": 2})
    assert not out.contained and out.losing and out.free_edge_m > 0


def test_step_counts_crew_types_and_stays_contained():
    st = AttackState(resistance="high")
    st.step(0.0, 500.0, 0.0, [])
    a = st.step(60.0, 500.0, 0.0, ["professional", "semi_professional"])
    assert a.line_built_m == pytest.approx(line_rate_m_h("professional", "high") + line_rate_m_h("semi_professional", "high"))
    b = st.step(300.0, 500.0, 0.0, {"professional": 1})
    assert b.contained and b.line_built_m == 500.0
    c = st.step(400.0, 800.0, 1.0, [])
    assert c.contained and c.contained_min == b.contained_min


# ------------------------------------------------------------------ line rates
def test_line_rates_from_irpg_table():
    assert line_rate_m_h("type1", "high") == pytest.approx(6 * CHAIN)
    assert line_rate_m_h("type2", "low") == pytest.approx(18 * CHAIN)
    assert line_rate_m_h("professional", "extreme") == pytest.approx(4 * CHAIN)
    assert line_rate_m_h("militia", "medium") == pytest.approx(0.5 * line_rate_m_h("semi_professional", "medium"))
    assert line_rate_m_h("professional", "high", persons=10) == pytest.approx(3 * CHAIN)
    assert line_rate_m_h("professional", "high", slope_deg=30) == pytest.approx(6 * CHAIN * math.cos(math.radians(30)))
    for crew in ("type1", "type2", "professional", "semi_professional", "militia"):
        rates = [line_rate_m_h(crew, r) for r in A.RESISTANCES]
        assert all(x > y for x, y in itertools.pairwise(rates))  # harder fuel, slower line
    assert resistance_of_vegetation("pine") == "high"


# ------------------------------------------------------------------ detection
def growing(h=3.0, b=0.6, lb=2.0):
    return lambda t: free_fire(h, b, lb, t)["area_m2"]


def test_cameras_detect_sooner_than_patrols():
    med_patrol = np.median(detection_samples(["patrol"], np.random.default_rng(7), 400))
    med_camera = np.median(detection_samples(["patrol", "camera"], np.random.default_rng(7), 400))
    assert med_camera < med_patrol
    assert med_camera < 30.0


def test_same_seed_same_draws():
    kw = {"area_m2_at": growing()}
    a = detection_time_min(["camera", "patrol", "himawari"], np.random.default_rng(42), **kw)
    b = detection_time_min(["camera", "patrol", "himawari"], np.random.default_rng(42), **kw)
    assert a == b
    s1 = detection_samples(["lookout", "modis"], np.random.default_rng(3), 50, **kw)
    s2 = detection_samples(["lookout", "modis"], np.random.default_rng(3), 50, **kw)
    np.testing.assert_array_equal(s1, s2)


def test_several_methods_take_the_minimum_with_common_draws():
    methods = ["lookout", "camera", "patrol", "public", "himawari", "modis", "viirs"]
    for seed in range(30):
        d = detection_time_min(methods, np.random.default_rng(seed), area_m2_at=growing())
        assert d.time_min == min(d.by_method.values())
        assert d.method is None or d.by_method[d.method] == d.time_min
        # a method's own time does not depend on the other methods present
        alone = detection_time_min(["patrol"], np.random.default_rng(seed))
        assert alone.time_min == d.by_method["patrol"]
        assert d.time_min <= alone.time_min


def test_satellite_waits_for_threshold_and_latency():
    grow = growing(1.0, 0.2, 2.0)
    t_thr = A._threshold_time(grow, 4000.0, 1e4)
    for seed in range(20):
        d = detection_time_min(["himawari"], np.random.default_rng(seed), area_m2_at=grow)
        assert d.time_min >= t_thr + 15.0
    # a fire that never grows past the threshold is never seen from space
    assert detection_time_min(["modis"], np.random.default_rng(0), area_m2_at=lambda t: 10.0).time_min == math.inf


# ------------------------------------------------------------------ Tobler and travel
def test_tobler_speeds():
    assert tobler_speed_kmh(0.0, load_factor=1.0) == pytest.approx(6 * math.exp(-0.175))  # 5.04 km/h
    assert tobler_speed_kmh(0.0) == pytest.approx(6 * math.exp(-0.175) * 0.85)
    assert tobler_speed_kmh(0.0, off_path=True, load_factor=1.0) == pytest.approx(0.6 * 6 * math.exp(-0.175))
    flat = tobler_speed_kmh(0.0)
    assert tobler_speed_kmh(0.10) < flat and tobler_speed_kmh(0.30) < tobler_speed_kmh(0.10)
    assert tobler_speed_kmh(-0.30) < flat
    s = np.linspace(-0.5, 0.5, 1001)
    assert s[np.argmax(tobler_speed_kmh(s, load_factor=1.0))] == pytest.approx(-0.05)
    assert tobler_speed_kmh(-0.05, load_factor=1.0) == pytest.approx(6.0)


def test_hike_minutes():
    assert hike_minutes(1000.0, 0.0, load_factor=1.0) == pytest.approx(60 / (6 * math.exp(-0.175)))
    assert hike_minutes(1000.0, 200.0) > hike_minutes(1000.0, 0.0)
    assert hike_minutes([500.0, 500.0], [100.0, -100.0]) == pytest.approx(
        hike_minutes(500.0, 100.0) + hike_minutes(500.0, -100.0))
    assert hike_minutes(0.0, 0.0) == 0.0


def test_arrival_adds_up():
    rng = np.random.default_rng(5)
    t = arrival_time_min(12.0, "professional", rng, road_min=25.0, hike_distance_m=800.0, hike_climb_m=120.0)
    rng = np.random.default_rng(5)
    assert t == pytest.approx(12.0 + dispatch_delay_min("professional", rng) + 25.0 + hike_minutes(800.0, 120.0))
    pro = np.median([dispatch_delay_min("professional", r) for r in np.random.default_rng(1).spawn(300)])
    mil = np.median([dispatch_delay_min("militia", r) for r in np.random.default_rng(1).spawn(300)])
    assert pro < mil


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call,name", [
    (lambda: line_rate_m_h("hotshot", "high"), "crew_type"),
    (lambda: line_rate_m_h("professional", "moderate"), "resistance"),
    (lambda: line_rate_m_h("professional", "high", persons=-3), "persons"),
    (lambda: detection_time_min(["drone"], np.random.default_rng(0)), "methods"),
    (lambda: detection_time_min([], np.random.default_rng(0)), "methods"),
    (lambda: detection_time_min(["himawari"], np.random.default_rng(0)), "area_m2_at"),
    (lambda: hike_minutes(-5.0, 0.0), "distance_m"),
    (lambda: hike_minutes([1.0, 2.0], [0.0]), "climb_m"),
    (lambda: containment(-1.0, 0.5, 2.0, 30.0, [(30.0, "professional")]), "head_ros_m_min"),
    (lambda: containment(1.0, -0.5, 2.0, 30.0, [(30.0, "professional")]), "back_ros_m_min"),
    (lambda: containment(1.0, 2.0, 2.0, 30.0, [(30.0, "professional")]), "back_ros_m_min"),
    (lambda: containment(1.0, 0.5, 0.5, 30.0, [(30.0, "professional")]), "lb"),
    (lambda: containment(1.0, 0.5, 2.0, -30.0, [(30.0, "professional")]), "attack_start_min"),
    (lambda: containment(1.0, 0.5, 2.0, 30.0, [(-1.0, "professional")]), "crews[0] arrival_min"),
    (lambda: containment(1.0, 0.5, 2.0, 30.0, [(30.0, "firemen")]), "crew_type"),
    (lambda: containment(1.0, 0.5, 2.0, 30.0, []), "crews"),
    (lambda: containment(1.0, 0.5, 2.0, 30.0, [(30.0, 100.0)], flanks=3), "flanks"),
    (lambda: arrival_time_min(0.0, "professional", np.random.default_rng(0), road_min=-1.0), "road_min"),
    (lambda: dispatch_delay_min("brigade", np.random.default_rng(0)), "crew_type"),
    (lambda: AttackState().step(-1.0, 10.0, 1.0, []), "t_min"),
    (lambda: AttackState().step(1.0, -10.0, 1.0, []), "perimeter_m"),
    (lambda: AttackState().step(1.0, 10.0, 1.0, ["nobody"]), "crew_type"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(InputError) as exc:
        call()
    msg = str(exc.value)
    assert msg.startswith(name) and "\n" not in msg


def test_step_backwards_in_time_refused():
    st = AttackState()
    st.step(10.0, 100.0, 1.0, [])
    with pytest.raises(InputError, match="^t_min"):
        st.step(5.0, 100.0, 1.0, [])


# ------------------------------------------------------------------ the data file
def test_every_parameter_names_a_source_and_estimates_are_labelled():
    d = tomllib.loads(A.DATA_TOML.read_text(encoding="utf-8"))
    for sec in ("detection", "crews"):
        for name, t in d[sec].items():
            assert t.get("source"), f"[{sec}.{name}] has no source"
    for sec in ("dispatch", "hike", "line", "resistance_by_vegetation"):
        assert d[sec].get("source"), f"[{sec}] has no source"
    # no published figure for Chinese crews: their rates are labelled estimates
    for crew in ("professional", "semi_professional", "militia"):
        assert d["crews"][crew]["source"].startswith("estimate:")
    assert d["dispatch"]["source"].startswith("estimate:")
    assert set(d["detection"]) == set(A.DETECTION_METHODS)
