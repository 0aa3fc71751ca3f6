"""Dike breaches: Verheij-van der Knaap growth and the broad-crested weir against hand-computed
values (docs/references/hazards.md §1.10-§1.11), the 2-D solver's additions for them (fixed
levels with offsets, add_volume, level_at, exchanges, the time step beside fixed-level cells), and
a breach filling a polder behind a dike on a synthetic DEM."""
from __future__ import annotations

import numpy as np
import pytest

from network.errors import InputError
from network.raster import Raster
from sim.hazards.flood import inertial
from sim.hazards.flood.breach import (
    Breach,
    BreachCoupling,
    BreachState,
    verheij_gain,
    verheij_rate,
    weir_discharge,
    weir_flow_depth,
)
from sim.hazards.flood.inertial import Hydrograph, InertialModel

G = 9.81


# ------------------------------------------------------------------------- growth (§1.10)
def test_verheij_rate_hand_values():
    # dB/dt = f1 f2 / ln10 (g dH)^1.5 / uc^2 / (1 + f2 g t / uc), t in hours, dB/dt in m/h.
    # Sand (uc 0.2), dH 2 m, t = 0: 0.052 / 2.302585 * 19.62^1.5 / 0.04 = 0.0225833 * 86.9064 / 0.04
    assert verheij_rate(2.0, 0.0, u_crit=0.2) == pytest.approx(49.0655, rel=1e-5)
    # one hour on: the denominator is 1 + 0.04 * 9.81 / 0.2 = 2.962
    assert verheij_rate(2.0, 1.0, u_crit=0.2) == pytest.approx(49.0655 / 2.962, rel=1e-5)
    # clay (uc 0.5): (0.2 / 0.5)^2 of the sand rate at t = 0
    assert verheij_rate(2.0, 0.0, u_crit=0.5) == pytest.approx(7.85048, rel=1e-5)
    assert verheij_rate(0.0, 3.0, u_crit=0.2) == 0.0


def test_verheij_closed_form_and_stepwise_integration():
    # B(t) - B0 = f1 sqrt(g) dH^1.5 / uc * log10(1 + f2 g t / uc): 1.3 * 3.132092 * 2.828427 / 0.2
    # = 57.5830 m per decade; t = 1 h: log10(2.962) = 0.471585 -> 27.1552 m; t = 10 h:
    # log10(20.62) = 1.314289 -> 75.6804 m
    assert verheij_gain(2.0, 0.0, 1.0, u_crit=0.2) == pytest.approx(27.1552, rel=1e-5)
    assert verheij_gain(2.0, 0.0, 10.0, u_crit=0.2) == pytest.approx(75.6804, rel=1e-5)
    # the rate is the derivative of the gain
    eps = 1e-6
    assert verheij_gain(2.0, 1.0, 1.0 + eps, u_crit=0.2) / eps == pytest.approx(verheij_rate(2.0, 1.0, u_crit=0.2), rel=1e-5)
    # a state stepped at a constant head reproduces the closed form at any step length
    b = Breach(crest_level_m=7.0, bottom_level_m=2.0, max_width_m=500.0, open_time_s=0.0, initial_width_m=10.0,
               deepening_time_s=1800.0)
    for dt in (7.0, 60.0, 997.0):
        st = BreachState(b)
        st.open_if_due(0.0, 4.0)
        t = 0.0
        while t < 1800.0 + 3600.0 - 1e-9:
            step = min(dt, 1800.0 + 3600.0 - t)
            st.advance(t, step, 4.0, 2.0)  # after deepening: 2 m above the bottom, polder at it
            t += step
        assert st.bottom_m == 2.0
        assert st.width_m == pytest.approx(10.0 + 27.1552, rel=1e-5)


def test_breach_phases_trigger_and_limits():
    b = Breach(crest_level_m=7.0, bottom_level_m=2.0, max_width_m=30.0, trigger_level_m=5.0, initial_width_m=5.0,
               deepening_time_s=1000.0, material="clay")
    st = BreachState(b)
    assert not st.open_if_due(0.0, 4.9) and st.phase(0.0) == 0 and st.discharge(8.0, 0.0) == 0.0
    assert st.open_if_due(100.0, 5.0) and st.opened_s == 100.0
    st.advance(100.0, 250.0, 6.0, 0.0)  # a quarter of the deepening: the bottom 1.25 m down
    assert st.bottom_m == pytest.approx(5.75) and st.width_m == 5.0 and st.phase(350.0) == 1
    # discharge through the part-cut breach: free flow over 0.25 m
    assert st.discharge(6.0, 0.0) == pytest.approx(5.0 * (2 / 3) * np.sqrt(2 * G / 3) * 0.25**1.5)
    st.advance(350.0, 750.0, 6.0, 0.0)  # to the end of the deepening, no widening yet
    assert st.bottom_m == 2.0 and st.width_m == 5.0
    st.advance(1100.0, 3600.0, 6.0, 0.0, velocity_ms=0.4)  # slower than clay's 0.5 m/s: no erosion
    assert st.width_m == 5.0
    st.advance(1100.0, 36000.0, 6.0, 0.0, velocity_ms=3.0)
    assert st.width_m == 30.0  # capped at the final width
    assert b.critical_velocity == 0.5


def test_breach_inputs():
    with pytest.raises(InputError, match="bottom_level_m"):
        Breach(crest_level_m=2.0, bottom_level_m=3.0, max_width_m=10.0, open_time_s=0.0)
    with pytest.raises(InputError, match="open_time_s"):
        Breach(crest_level_m=3.0, bottom_level_m=2.0, max_width_m=10.0)
    with pytest.raises(InputError, match="initial_width_m"):
        Breach(crest_level_m=3.0, bottom_level_m=2.0, max_width_m=10.0, open_time_s=0.0, initial_width_m=20.0)
    with pytest.raises(InputError, match="material"):
        Breach(crest_level_m=3.0, bottom_level_m=2.0, max_width_m=10.0, open_time_s=0.0, material="peat")
    with pytest.raises(InputError, match="max_width_m"):
        Breach(crest_level_m=3.0, bottom_level_m=2.0, max_width_m=float("nan"), open_time_s=0.0)
    with pytest.raises(InputError, match="x"):
        Breach(crest_level_m=3.0, bottom_level_m=2.0, max_width_m=10.0, open_time_s=0.0, x=1.0)
    with pytest.raises(InputError, match="head_m"):
        verheij_rate(-1.0, 0.0, u_crit=0.2)
    with pytest.raises(InputError, match="hours_1"):
        verheij_gain(1.0, 2.0, 1.0, u_crit=0.2)


# ------------------------------------------------------------------------- weir (§1.11)
def test_weir_free_flow_hand_values():
    # (2/3) sqrt(2 g / 3) = 0.666667 * 2.557342 = 1.704895 m^0.5/s per metre of crest
    assert weir_discharge(10.0, 0.0, 1.0, -1.0) == pytest.approx(17.04895, rel=1e-6)
    assert weir_discharge(10.0, 5.0, 7.0, 4.0) == pytest.approx(17.04895 * 2**1.5, rel=1e-6)
    assert weir_discharge(10.0, 0.0, 1.0, -1.0, cd=0.8) == pytest.approx(0.8 * 17.04895, rel=1e-6)
    # drowned (modular rule): 10 * 0.8 * sqrt(2 * 9.81 * 0.2) = 8 * 1.980909 = 15.84727
    assert weir_discharge(10.0, 0.0, 1.0, 0.8) == pytest.approx(15.84727, rel=1e-6)
    # Villemonte: 17.04895 * (1 - 0.5^1.5)^0.385 = 17.04895 * 0.845386 = 14.41294
    assert weir_discharge(10.0, 0.0, 1.0, 0.5, submergence="villemonte") == pytest.approx(14.41294, rel=1e-5)
    # flow depth on the crest: critical (2/3 H1) when free, the tailwater when drowned
    assert weir_flow_depth(0.0, 1.5, -1.0) == pytest.approx(1.0) and weir_flow_depth(0.0, 1.0, 0.9) == 0.9


@pytest.mark.parametrize("rule", ["modular", "villemonte"])
def test_weir_continuity_antisymmetry_and_zeros(rule):
    up = 3.0
    # continuity where the rule switches: modular at H2 = 2/3 H1, Villemonte where H2 leaves 0
    switch = 2.0 / 3.0 * up if rule == "modular" else 0.0
    eps = 1e-9
    below = weir_discharge(20.0, 0.0, up, switch - eps, submergence=rule)
    above = weir_discharge(20.0, 0.0, up, switch + eps, submergence=rule)
    assert abs(above - below) < 1e-6 * below
    down = np.linspace(-1.0, up, 401)
    q = weir_discharge(20.0, 0.0, up, down, submergence=rule)
    assert np.all(np.diff(q) <= 1e-9)  # more tailwater, never more flow
    # no jump on a fine sweep up to 95 % submergence; beyond it Q falls like sqrt(H1 - H2)
    # (modular) or (H1 - H2)^0.385 (Villemonte) to 0 at equal levels: steep but continuous
    part = down <= 0.95 * up
    assert np.max(np.abs(np.diff(q[part]))) < 0.05 * q[0]
    assert weir_discharge(20.0, 0.0, up, up - 1e-10, submergence=rule) < 1e-3 * q[0]
    # antisymmetric in the two sides
    levels = np.array([[3.0, 1.0], [2.5, 2.4], [4.0, -1.0], [1.2, 0.9]])
    for a, b in levels:
        assert weir_discharge(7.0, 1.0, a, b, submergence=rule) == -weir_discharge(7.0, 1.0, b, a, submergence=rule)
    # zero at equal levels, with both sides at or below the crest, and for a closed breach
    assert weir_discharge(7.0, 1.0, 2.5, 2.5, submergence=rule) == 0.0
    assert weir_discharge(7.0, 1.0, 0.9, 1.0, submergence=rule) == 0.0
    assert weir_discharge(0.0, 1.0, 3.0, 0.0, submergence=rule) == 0.0


def test_weir_inputs():
    with pytest.raises(InputError, match="width_m"):
        weir_discharge(-1.0, 0.0, 1.0, 0.0)
    with pytest.raises(InputError, match="cd"):
        weir_discharge(1.0, 0.0, 1.0, 0.0, cd=0.0)
    with pytest.raises(InputError, match="submergence"):
        weir_discharge(1.0, 0.0, 1.0, 0.0, submergence="free")
    with pytest.raises(InputError, match="upstream_level_m"):
        weir_discharge(1.0, 0.0, float("inf"), 0.0)


# ------------------------------------------------------------- solver additions for breaches
def test_fixed_level_offsets_level_at_and_errors():
    z = np.zeros((6, 8))
    dem = Raster(z, 0.0, 0.0, 10.0)
    m = InertialModel(dem, 0.03)
    mask = np.zeros((6, 8), bool)
    mask[:, 0] = True  # six cells, row-major
    m.add_fixed_level(mask, ([0.0, 100.0], [1.0, 2.0]), offsets=0.1 * np.arange(6))
    flat = m.flat_cells(mask)
    assert np.allclose(m.level_at(flat), 1.0 + 0.1 * np.arange(6))
    m.step(50.0 / 7)
    m.run(50.0)
    assert np.allclose(m.level_at(flat), 1.5 + 0.1 * np.arange(6))  # re-imposed at the new stage
    grid = np.add.outer(np.arange(6.0), np.zeros(8))  # offsets read off a grid
    m2 = InertialModel(dem, 0.03)
    m2.add_fixed_level([(45.0, 5.0), (45.0, 5.0), (75.0, 35.0)], 2.0, offsets=[0.5, 9.0, 0.25])
    m2.add_fixed_level(mask, 1.0, offsets=grid)
    assert np.allclose(m2.level_at(m2.flat_cells([(45.0, 5.0), (75.0, 35.0)])), [2.5, 2.25])  # first point per cell
    assert np.allclose(m2.level_at(flat), 1.0 + np.arange(6))
    with pytest.raises(InputError, match="offsets"):
        m2.add_fixed_level(mask, 1.0, offsets=[1.0, 2.0])
    with pytest.raises(InputError, match="offsets"):
        m2.add_fixed_level([(5.0, 5.0)], 1.0, offsets=[1.0, 2.0])
    with pytest.raises(InputError, match="level_at"):
        m2.level_at([48])
    with pytest.raises(InputError, match="level_at"):
        m2.level_at([1.5])


def test_add_volume_in_and_out_counts_in_the_balance():
    z = np.full((7, 9), 3.0)
    z[3, 4] = np.nan
    m = InertialModel(Raster(z, 0.0, 0.0, 10.0), 0.03, initial_depth=0.2)
    v0 = m.volume
    cells = np.array([10, 11, 12])
    assert m.add_volume(cells, 60.0) == pytest.approx(60.0)  # 20 m^3 each: +0.2 m on 100 m^2
    assert np.allclose(m.depth.flat[cells], 0.4)
    assert m.add_volume(cells, [-10.0, -100.0, 0.0]) == pytest.approx(-50.0)  # the second stops at the bed
    assert m.depth.flat[11] == 0.0 and m.depth.flat[10] == pytest.approx(0.3)
    res = m.run(300.0)
    assert m.inflow_volume == pytest.approx(60.0) and m.outflow_volume == pytest.approx(50.0)
    assert m.volume == pytest.approx(v0 + 10.0, rel=1e-13)
    assert res.mass.relative_error < 1e-13
    with pytest.raises(InputError, match="no-data"):
        m.add_volume([3 * 9 + 4], 1.0)
    with pytest.raises(InputError, match="repeat"):
        m.add_volume([5, 5], 1.0)
    with pytest.raises(InputError, match="volume_m3"):
        m.add_volume([5, 6], [1.0, 2.0, 3.0])
    mask = np.zeros((7, 9), bool)
    mask[0, 0] = True
    m.add_fixed_level(mask, 3.5)
    with pytest.raises(InputError, match="fixed level"):
        m.add_volume([0], 1.0)
    with pytest.raises(InputError, match="exchange"):
        m.add_exchange(object())


def test_add_volume_wets_dry_cells_same_on_every_backend(monkeypatch):
    monkeypatch.setattr(inertial, "PARALLEL_MIN_CELLS", 0)
    z = 1.0 + 0.01 * np.add.outer(np.arange(20), np.arange(25))
    models = [InertialModel(Raster(z, 0.0, 0.0, 5.0), 0.03, backend=b) for b in ("numba", "numba-serial", "numpy")]
    ref = models[-1]
    for k in range(120):
        dt = ref.stable_dt()
        for m in models:
            if k < 60:  # a dry grid: the water alone must open the spans
                m.add_volume([10 * 25 + 12, 3 * 25 + 20], [2.0, 0.5])
            m.step(dt)
    for m in models[:2]:
        assert np.max(np.abs(m.eta - ref.eta)) < 1e-12 and np.max(np.abs(m.qx - ref.qx)) < 1e-12
        assert np.array_equal(np.isnan(m.t_wet), np.isnan(ref.t_wet))
    assert ref.volume == pytest.approx(150.0, rel=1e-12) and (ref.depth > 1e-3).sum() > 20


def _channel_and_floodplain(theta: float, old_rule: bool, backend: str = "numba-serial") -> InertialModel:
    """A 4-cell-wide channel 8 m deep held at a sloping stage, beside a floodplain 0.4-0.6 m under
    it that drains east: the deep fixed channel vs the shallow floodplain of the time step."""
    nr, nc, dx = 40, 60, 10.0
    z = np.full((nr, nc), 7.6) - 0.002 * np.arange(nc)[None, :]
    z[:, :4] = 0.0
    y = (np.arange(nr) + 0.5) * dx
    m = InertialModel(Raster(z, 0.0, 0.0, dx), 0.03, theta=theta, fixed_levels_set_dt=old_rule, backend=backend)
    mask = np.zeros((nr, nc), bool)
    mask[:, :4] = True
    m.add_fixed_level(mask, ([0.0, 3600.0, 7200.0], [8.0, 8.2, 8.0]), offsets=np.broadcast_to((3e-4 * y)[:, None], (nr, nc)))
    m.add_free_outflow("east", slope=2e-3)
    return m


def test_time_step_ignores_deep_fixed_channel_stably():
    # Before: h_max took in the 8 m channel held at its stage, so dt = 0.7 dx / sqrt(8 g) ~ 0.79 s
    # for a floodplain whose flow is ~0.5 m deep. Now the channel cells do not count, the faces
    # between them and the floodplain do (0.4-0.6 m): ~3.9x fewer steps, the same flood.
    old, new = _channel_and_floodplain(1.0, True), _channel_and_floodplain(1.0, False)
    assert new.stable_dt() > 3.5 * old.stable_dt()
    r_old = old.run(7200.0, output_times=[1800.0, 3600.0])
    r_new = new.run(7200.0, output_times=[1800.0, 3600.0])
    assert r_new.n_steps < r_old.n_steps / 3.5
    assert r_old.mass.relative_error < 1e-12 and r_new.mass.relative_error < 1e-12
    assert r_new.mass.inflow > 1e5 and r_new.mass.outflow > 1e5  # the channel fed the floodplain, it drained
    for a, b in zip(r_old.depths, r_new.depths):
        assert np.max(np.abs(a.values[:, 4:] - b.values[:, 4:])) < 1e-4  # 0.1 mm on ~0.5 m
    fp = r_new.depths[-1].values[:, 4:]
    assert 0.25 < fp.min() and fp.max() < 0.55
    assert np.max(np.abs(np.diff(fp, 2, axis=1))) < 5e-3  # smooth: no 2-cell wiggles
    # the faces between two fixed cells, stepped 4x longer, carry the same flux (relaxing to
    # normal flow h^(5/3) S^(1/2) / n, ~18.5 m^2/s at 8 m) and never exceed it at the deepest stage
    assert np.max(np.abs(new.qy[:, :4] - old.qy[:, :4])) < 1e-3 * np.max(np.abs(old.qy[:, :4]))
    assert np.max(np.abs(new.qy[:, :4])) <= 8.212 ** (5 / 3) * np.sqrt(3e-4) / 0.03
    # theta-weighted (theta = 0.9): smooth too. Its smoothing acts once a step, so fewer steps
    # smooth less: at 1 h it lies 6 mm from theta = 1 (16 mm with the short steps)
    n9, o9 = _channel_and_floodplain(0.9, False), _channel_and_floodplain(0.9, True)
    n9.run(3600.0)
    o9.run(3600.0)
    exact = r_new.depths[2].values[:, 4:]
    assert np.max(np.abs(n9.depth[:, 4:] - exact)) < 1e-2
    assert np.max(np.abs(n9.depth[:, 4:] - exact)) < np.max(np.abs(o9.depth[:, 4:] - exact))
    assert np.max(np.abs(np.diff(n9.depth[:, 4:], 2, axis=1))) < 5e-3


def test_time_step_rowmax_excludes_fixed_cells_on_every_backend(monkeypatch):
    monkeypatch.setattr(inertial, "PARALLEL_MIN_CELLS", 0)
    models = [_channel_and_floodplain(1.0, False, b) for b in ("numba", "numba-serial", "numpy")]
    for _ in range(40):
        dt = models[-1].stable_dt()
        for m in models:
            m.step(dt)
    rows = [m._rowmax.copy() for m in models]
    assert np.allclose(rows[0], rows[2], rtol=0, atol=1e-12) and np.array_equal(rows[0], rows[1])
    assert rows[2].max() < 1.0  # the 8 m channel is not in it
    assert np.max(np.abs(models[0].eta - models[2].eta)) < 1e-12


# ------------------------------------------------------------ a breach fills a polder (2-D)
DX, NR, NC = 20.0, 40, 36
RIVER_SLOPE = 3e-4  # water-surface slope, 0.3 m/km (docs/references/hazards.md §6.2)
BREACH_ROW = 20


def _river_dike_polder(backend: str = "numba-serial", polder_level: float | None = None, **breach_kw):
    """A 40 x 36 grid of 20 m cells: a river channel (columns 0-3, bed 0 m) held at the gauge
    stage + 0.3 m/km x distance upstream (the gauge at the south edge), a dike (column 4, crest
    7 m), a polder behind it (bed 2 m falling 0.5 m/km eastwards) closed on all sides. The stage
    rises from 3.5 m to 4 m in the first hour. Returns (model, coupling or None, river level at
    the breach as a function of time, polder mask)."""
    z = np.full((NR, NC), 2.0) - 5e-4 * (np.arange(NC) - 5)[None, :] * DX
    z[:, :4] = 0.0
    z[:, 4] = 7.0
    polder = np.zeros((NR, NC), bool)
    polder[:, 5:] = True
    level0 = None if polder_level is None else np.where(polder, polder_level, -np.inf)
    m = InertialModel(Raster(z, 0.0, 0.0, DX), 0.04, backend=backend, initial_level=level0)
    river = np.zeros((NR, NC), bool)
    river[:, :4] = True
    y = (np.arange(NR) + 0.5) * DX
    stage = Hydrograph([0.0, 3600.0], [3.5, 4.0])
    m.add_fixed_level(river, stage, offsets=np.broadcast_to((RIVER_SLOPE * y)[:, None], (NR, NC)))
    yb = y[BREACH_ROW]

    def river_level(t: float) -> float:
        return stage.at(t) + RIVER_SLOPE * yb

    behind = np.zeros((NR, NC), bool)
    behind[:, 5] = True  # the first cells behind the dike
    kw = {"crest_level_m": 7.0, "bottom_level_m": 2.0, "max_width_m": 60.0, "open_time_s": 600.0,
          "deepening_time_s": 600.0, "x": 4.5 * DX, "y": yb, "dike": "test dike"}
    kw.update(breach_kw)
    coupling = BreachCoupling(m, Breach(**kw), river_level, behind) if kw["open_time_s"] is not None or \
        kw.get("trigger_level_m") is not None else None
    return m, coupling, river_level, polder


def _polder_volume(m: InertialModel, polder: np.ndarray) -> float:
    return float(np.sum(np.where(polder, m.depth, 0.0))) * DX * DX


def test_dike_above_the_flood_keeps_the_polder_dry():
    m, c, river_level, polder = _river_dike_polder(open_time_s=None, trigger_level_m=6.0)  # never reached
    res = m.run(3 * 3600.0)
    assert river_level(3 * 3600.0) < 4.2  # the dike crest is at 7 m
    assert np.all(m.depth[polder] == 0.0) and np.all(np.isnan(res.first_wet_s.values[polder]))
    assert not c.state.is_open and np.all(c.series()["discharge_m3s"] == 0.0) and c.volume_m3 == 0.0
    assert res.mass.relative_error < 1e-12


@pytest.fixture(scope="module")
def filled_polder():
    m, c, river_level, polder = _river_dike_polder()
    res = m.run(10 * 3600.0)
    return m, c, river_level, polder, res


def test_breach_fills_the_polder_outward_from_the_breach(filled_polder):
    m, c, _, polder, res = filled_polder
    t_wet = res.first_wet_s.values
    assert np.all(np.isfinite(t_wet[polder]))  # all of it flooded
    # the first cells wet once the cut bottom passes the river level (~990 s), then outwards
    assert 900.0 < np.nanmin(t_wet[polder]) < 1200.0
    assert np.all(np.diff(t_wet[BREACH_ROW, 5:]) > 0.0)  # straight inland from the breach
    xc, yc = m.dem.cell_centres()
    dist = np.hypot(xc[None, :] - 4.5 * DX, yc[:, None] - yc[BREACH_ROW])[polder]
    spearman = np.corrcoef(np.argsort(np.argsort(dist)), np.argsort(np.argsort(t_wet[polder])))[0, 1]
    assert spearman > 0.95  # arrival time grows with distance from the breach
    far = t_wet[polder][dist > 500.0]
    near = t_wet[polder][dist < 150.0]
    assert far.min() > near.max()


def test_breach_mass_balance_to_round_off(filled_polder):
    m, c, _, polder, res = filled_polder
    s = c.series()
    integral = float(np.sum(s["discharge_m3s"] * s["dt_s"]))
    volume = _polder_volume(m, polder)
    assert volume > 5e5
    assert abs(volume - integral) < 1e-12 * volume
    assert c.volume_m3 == pytest.approx(integral, rel=1e-13)
    assert res.mass.relative_error < 1e-12 and res.mass.clipped < 1e-9


def test_breach_grows_then_discharge_falls_as_the_polder_fills(filled_polder):
    m, c, river_level, polder, _ = filled_polder
    s = c.series()
    t, q, width = s["time_s"], s["discharge_m3s"], s["width_m"]
    assert np.all(np.diff(width) >= 0.0) and 20.0 < width[-1] <= 60.0
    assert np.all(s["bottom_m"][t >= 1200.0] == 2.0)
    peak = q.max()
    t_peak = t[np.argmax(q)]
    assert 150.0 < peak < 400.0 and t_peak < 3 * 3600.0
    # after the peak the polder level closes on the river level and the flow dies away; the
    # polder, filled in ~2 h, sloshes (a seiche through the breach) with a shrinking amplitude:
    # hourly mean |Q| 25, 14, 10, 7.8, 6.3, 5.4, 4.6 m^3/s from hour 3 (peak ~207 m^3/s)
    hourly = [np.sum((np.abs(q) * s["dt_s"])[(t >= h * 3600.0) & (t < (h + 1) * 3600.0)]) / 3600.0 for h in range(3, 10)]
    assert np.all(np.diff(hourly) < 0.0)
    assert hourly[-1] < 0.05 * peak
    late = t >= 8 * 3600.0
    assert abs(np.sum(q[late] * s["dt_s"][late])) < 0.01 * peak * 7200.0  # no net flow left
    level = np.mean(m.eta[polder])
    assert level == pytest.approx(river_level(m.time), abs=0.01)
    head = s["river_level_m"] - s["polder_level_m"]
    assert np.all(head[t > t_peak + 1800.0] < 0.2)  # the head that drove the peak is gone


def test_reverse_flow_drains_a_polder_above_the_river():
    # the polder stands at 5 m, the river at ~4 m: the breach runs backwards and drains it
    m, c, river_level, polder = _river_dike_polder(polder_level=5.0, open_time_s=0.0, deepening_time_s=300.0)
    v0 = _polder_volume(m, polder)
    res = m.run(3 * 3600.0)
    s = c.series()
    assert s["discharge_m3s"].min() < -100.0 and c.volume_m3 < -0.25 * v0
    assert _polder_volume(m, polder) == pytest.approx(v0 + c.volume_m3, rel=1e-12)
    assert res.mass.relative_error < 1e-12
    assert np.mean(m.eta[polder]) == pytest.approx(river_level(m.time), abs=0.05)


def test_coupled_run_same_on_every_backend(monkeypatch):
    monkeypatch.setattr(inertial, "PARALLEL_MIN_CELLS", 0)
    runs = [_river_dike_polder(backend=b) for b in ("numba", "numba-serial", "numpy")]
    for m, *_ in runs:
        m.run(1800.0)
    ref_m, ref_c = runs[-1][:2]
    for m, c, *_ in runs[:2]:
        assert np.max(np.abs(m.eta - ref_m.eta)) < 1e-10
        assert c.volume_m3 == pytest.approx(ref_c.volume_m3, rel=1e-10) and c.volume_m3 > 1e4
        assert len(c.series()["time_s"]) == len(ref_c.series()["time_s"])


def test_coupling_inputs():
    m, c, river_level, polder = _river_dike_polder()
    b = c.breach
    with pytest.raises(InputError, match="polder_cells"):
        BreachCoupling(m, b, river_level, np.zeros((NR, NC), bool))
    river = np.zeros((NR, NC), bool)
    river[:, 0] = True
    with pytest.raises(InputError, match="fixed level"):
        BreachCoupling(m, b, river_level, river)
    with pytest.raises(InputError, match="breach"):
        BreachCoupling(m, "a breach", river_level, polder)
    bad = BreachCoupling(m, b, lambda t: float("nan"), polder)
    with pytest.raises(InputError, match="river_level"):
        m.step()
    # a hydrograph works as the river-side level too, and the breach opens exactly on time
    m2, *_ = _river_dike_polder(open_time_s=None, trigger_level_m=99.0)
    c2 = BreachCoupling(m2, Breach(crest_level_m=7.0, bottom_level_m=2.0, max_width_m=40.0, open_time_s=333.3,
                                   x=90.0, y=410.0), ([0.0, 3600.0], [3.6, 4.1]), polder)
    m2.run(600.0)
    assert c2.state.opened_s == 333.3 and 333.3 in c2.series()["time_s"]
    assert bad is not None
