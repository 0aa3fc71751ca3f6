"""Local-inertial flood solver: analytic wave, lake at rest, mass, kernels vs numpy, symmetry, inputs."""
from __future__ import annotations

import numpy as np
import pytest

from network.errors import InputError
from network.raster import Raster, read_asc, write_asc
from sim.hazards.flood import inertial
from sim.hazards.flood.inertial import Hydrograph, InertialModel, load_hydrograph, run_from_asc


def _wave(n: float, u: float, x, t):
    """Hunter et al. (2005) travelling wave on a horizontal plane (docs/references/hazards.md §1.5)."""
    a = 7.0 / 3.0 * n * n * u * u * (u * t - np.asarray(x, float))
    return np.maximum(a, 0.0) ** (3.0 / 7.0)


def _run_wave(n: float, u: float, t_end: float, dx: float = 25.0, theta: float = 1.0, length: float = 5000.0):
    """1-cell-wide strip; the west ghost cell sits at x = 0 and carries h(0, t)."""
    dem = Raster(np.zeros((1, int(length / dx))), dx / 2, 0.0, dx)  # cell centres at x = dx, 2 dx, ...
    ts = np.linspace(0.0, 1.1 * t_end, 2001)
    model = InertialModel(dem, n, theta=theta)
    model.add_stage_boundary("west", Hydrograph(ts, _wave(n, u, 0.0, ts)))
    res = model.run(t_end)
    xc, _ = dem.cell_centres()
    return res, xc, res.depths[-1].values[0]


@pytest.mark.parametrize("dx, theta", [(25.0, 1.0), (10.0, 0.9)])
def test_travelling_wave_reference_spot_values(dx, theta):
    res, xc, h = _run_wave(0.01, 1.0, 3600.0, dx, theta)
    ref = {1000: 0.807, 2000: 0.656, 3000: 0.431, 3500: 0.200}
    assert _wave(0.01, 1.0, [0.0, *ref], 3600.0) == pytest.approx([0.928, *ref.values()], abs=6e-4)
    # The local-inertial equations drop advection, so this constant-velocity wave (an exact
    # solution of the full and of the zero-inertia equations) is matched only to O(Fr^2): the
    # model carries u ~ 0.95 m/s and its front lags (test_travelling_wave_low_froude shows the
    # convergence as Fr -> 0). Measured (dx 25 m, theta 1): h(25) 0.925 vs 0.925, h(1000) 0.803,
    # h(2000) 0.642, h(3000) 0.372, h(3500) 0, front 3375 m.
    got = dict(zip(ref, np.interp(list(ref), xc, h)))
    assert h[0] == pytest.approx(_wave(0.01, 1.0, dx, 3600.0), rel=0.005)
    assert got[1000] == pytest.approx(0.807, rel=0.01)
    assert got[2000] == pytest.approx(0.656, rel=0.03)
    assert got[3000] == pytest.approx(0.431, rel=0.16)
    assert got[3500] < 0.2
    front = xc[h > 1e-3].max()
    assert 3250.0 <= front <= 3600.0 + dx
    # monotone profile: no 2-dx wiggles (plain Bates at dx 10 m grows them near the front)
    assert np.all(np.diff(h[h > 1e-3]) < 0)
    assert res.mass.relative_error < 1e-12
    wet_t = res.first_wet_s.values[0]
    reached = np.isfinite(wet_t)
    assert np.all(np.diff(wet_t[reached]) >= 0)  # the front only advances


def test_travelling_wave_low_froude():
    # n = 0.1, u = 0.25 m/s, t = 4 h: the same profile over 3600 m, Froude number <= 0.12 up to 3000 m
    res, xc, h = _run_wave(0.1, 0.25, 14400.0, dx=10.0)
    for x in (1000.0, 2000.0, 3000.0):
        assert np.interp(x, xc, h) == pytest.approx(_wave(0.1, 0.25, x, 14400.0), rel=0.002)
    assert np.interp(3500.0, xc, h) == pytest.approx(_wave(0.1, 0.25, 3500.0, 14400.0), rel=0.05)
    assert abs(xc[h > 1e-3].max() - 3600.0) <= 50.0


def _bumpy_bed(nr=24, nc=30, seed=3):
    rng = np.random.default_rng(seed)
    z = rng.uniform(0.0, 1.6, (nr, nc))
    z[5:9, 10:14] = 3.0  # an island above the lake
    return z


@pytest.mark.parametrize("theta", [1.0, 0.8])
def test_lake_at_rest_exact(theta):
    z = _bumpy_bed()
    dem = Raster(z, 0.0, 0.0, 5.0)
    model = InertialModel(dem, 0.02, theta=theta, initial_level=2.0)
    h0 = model.depth.copy()
    for _ in range(500):
        model.step()
    assert np.all(model.qx == 0.0) and np.all(model.qy == 0.0)
    assert np.array_equal(model.depth, h0)
    assert np.array_equal(model.eta[model.active], np.maximum(2.0, z)[model.active])


def test_lake_at_rest_from_depths_round_off():
    z = _bumpy_bed()
    h0 = np.maximum(2.0 - z, 0.0)  # eta = z + h0 differs from 2.0 in the last bit here and there
    model = InertialModel(Raster(z, 0.0, 0.0, 5.0), 0.02, initial_depth=h0)
    for _ in range(500):
        model.step()
    assert np.max(np.abs(model.depth - h0)) < 1e-12
    assert max(np.abs(model.qx).max(), np.abs(model.qy).max()) < 1e-12


def _mound(n=31, cellsize=10.0, base=0.0, height=1.5, radius=60.0):
    xc = (np.arange(n) + 0.5) * cellsize
    X, Y = np.meshgrid(xc, xc)
    r = np.hypot(X - n * cellsize / 2, Y - n * cellsize / 2)
    h = height * np.clip(1 - (r / radius) ** 2, 0, None)
    return Raster(np.full((n, n), base), 0.0, 0.0, cellsize), h


def test_mass_conserved_closed_basin():
    dem, h = _mound()
    z = dem.values + 0.3 * np.sin(np.arange(31) / 3.0)[None, :]  # some relief, basin elevation ~50 m
    dem = dem.like(z + 50.0)
    model = InertialModel(dem, 0.03, initial_depth=h)
    v0 = model.volume
    res = model.run(1800.0, output_times=[600.0, 1200.0])
    assert res.n_steps > 300
    assert abs(model.volume - v0) / v0 < 1e-12
    assert res.mass.relative_error < 1e-12
    assert res.mass.inflow == 0.0 and res.mass.outflow == 0.0
    assert res.mass.clipped < 1e-12 * v0
    assert np.nanmin(res.depths[-1].values) >= 0.0
    assert np.nanmax(res.depths[-1].values) < 1.0  # it spread


def test_mass_with_inflow_equals_hydrograph_integral():
    dem = Raster(np.add.outer(np.zeros(20), np.linspace(10.0, 10.5, 25)), 0.0, 0.0, 20.0)
    model = InertialModel(dem, 0.04)
    hyd = Hydrograph([0.0, 600.0, 1800.0, 2400.0], [0.0, 12.0, 3.0, 0.0])
    model.add_inflow((250.0, 210.0), hyd)
    model.add_line_inflow((20.0, 20.0), (20.0, 380.0), ([0.0, 3000.0], [1.0, 1.0]))
    res = model.run(3000.0)
    expected = hyd.integral(0.0, 3000.0) + 3000.0
    assert hyd.integral(0.0, 3000.0) == pytest.approx(0.5 * 600 * 12 + 0.5 * 1200 * 15 + 0.5 * 600 * 3, rel=1e-15)
    assert res.mass.inflow == pytest.approx(expected, rel=1e-13)
    assert model.volume == pytest.approx(expected, rel=1e-12)
    assert res.mass.relative_error < 1e-12


def test_stage_and_free_boundaries_close_the_balance():
    x = np.linspace(0, 1, 40)
    dem = Raster(np.tile(5.0 - 2.0 * x, (6, 1)), 0.0, 0.0, 25.0)  # slope 2 m over 1 km, west high
    model = InertialModel(dem, 0.03)
    model.add_stage_boundary("west", ([0.0, 1800.0, 3600.0], [5.0, 6.0, 5.5]), span=(20.0, 130.0))
    model.add_free_outflow("east", slope=2e-3)
    res = model.run(7200.0, output_times=[3600.0])
    assert res.mass.inflow > 0 and res.mass.outflow > 0
    assert res.mass.relative_error < 1e-12
    assert model.qx[0, 0] == 0.0 and model.qx[5, 0] == 0.0 and model.qx[2, 0] != 0.0  # walls outside the span
    assert res.max_depth.values[0, 5] > 0.05  # water spreads into rows beyond the span


def test_normal_depth_on_a_slope():
    # steady inflow down a 1:1000 slope with a free outflow: depth tends to (q n / sqrt(S))^(3/5)
    nc, dx, s, n, q = 120, 20.0, 1e-3, 0.03, 0.5
    dem = Raster(np.array([10.0 - s * dx * np.arange(nc)]), 0.0, 0.0, dx)
    model = InertialModel(dem, n)
    model.add_inflow((dx / 2, dx / 2), q * dx)
    model.add_free_outflow("east", slope=s)
    model.run(6 * 3600.0)
    h_normal = (q * n / np.sqrt(s)) ** 0.6
    mid = model.depth[0, 40:100]
    assert np.allclose(mid, h_normal, rtol=0.01)


def _busy_model(backend: str) -> InertialModel:
    """Every feature at once: NaN cells, n raster, theta, all boundary kinds, sources, fixed cells."""
    rng = np.random.default_rng(11)
    nr, nc = 18, 23
    z = 2.0 + 0.002 * np.arange(nc)[None, :] * 10 + rng.uniform(0, 0.3, (nr, nc))
    z[7:10, 9] = np.nan
    n = np.full((nr, nc), 0.03)
    n[:, 12:] = 0.06
    dem = Raster(z, 100.0, 200.0, 10.0)
    h0 = np.zeros((nr, nc))
    h0[2:6, 15:20] = 0.8
    m = InertialModel(dem, n, theta=0.8, initial_depth=h0, backend=backend)
    m.add_stage_boundary("west", ([0.0, 200.0], [2.0, 3.2]))
    m.add_free_outflow("east", slope=5e-3)
    m.add_stage_boundary("north", 2.3, span=(150.0, 250.0))
    m.add_inflow((215.0, 215.0), ([0.0, 100.0, 300.0], [0.0, 4.0, 0.5]))
    mask = np.zeros((nr, nc), bool)
    mask[14, 3:6] = True
    m.add_fixed_level(mask, ([0.0, 300.0], [2.6, 2.9]))
    return m


def test_kernels_equal_numpy_reference(monkeypatch):
    monkeypatch.setattr(inertial, "PARALLEL_MIN_CELLS", 0)  # "numba" uses the threaded kernels
    models = {b: _busy_model(b) for b in ("numba", "numba-serial", "numpy")}
    ref = models["numpy"]
    v0 = ref.volume
    for _ in range(60):
        dt = ref.stable_dt()
        for m in models.values():
            m.step(dt)
    assert abs(v0 + ref.inflow_volume - ref.outflow_volume - ref.volume) < 1e-12 * ref.volume
    for name in ("numba", "numba-serial"):
        m = models[name]
        assert np.max(np.abs(m.depth[m.active] - ref.depth[ref.active])) < 1e-12, name
        assert np.max(np.abs(m.qx - ref.qx)) < 1e-12 and np.max(np.abs(m.qy - ref.qy)) < 1e-12, name
        assert np.array_equal(np.isnan(m.t_wet), np.isnan(ref.t_wet))
        assert np.allclose(m.hmax, ref.hmax, rtol=0, atol=1e-12)
        assert m.inflow_volume == pytest.approx(ref.inflow_volume, rel=1e-12)
    # wet and dry fronts moved across the spans the kernels skip
    assert models["numba"].cells_worked < 60 * ref.active.size
    # threads change nothing: same bits as the serial twin
    assert np.array_equal(models["numba"].eta, models["numba-serial"].eta)
    assert np.array_equal(models["numba"].qx, models["numba-serial"].qx)


def test_symmetric_spreading():
    dem, h = _mound(n=31, base=3.0)
    model = InertialModel(dem, 0.02, initial_depth=h)
    res = model.run(400.0)
    d = res.depths[-1].values
    assert np.max(d) < 1.0 and (d > 1e-3).sum() > 50
    for other in (d[::-1], d[:, ::-1], d.T):
        assert np.max(np.abs(d - other)) < 1e-12


def test_nodata_cells_are_walls():
    z = np.zeros((10, 10))
    z[:, 5] = np.nan  # a wall down the middle
    h = np.zeros((10, 10))
    h[:, :5] = 1.0
    model = InertialModel(Raster(z, 0.0, 0.0, 10.0), 0.03, initial_depth=h)
    res = model.run(600.0)
    d = res.depths[-1].values
    assert np.all(np.isnan(d[:, 5])) and np.all(d[:, 6:] == 0.0)
    assert np.all(np.isnan(res.max_depth.values[:, 5]))
    assert res.mass.relative_error < 1e-13


def test_depth_at_interpolates_between_outputs():
    dem, h = _mound(n=15, radius=40.0)
    res = InertialModel(dem, 0.03, initial_depth=h).run(300.0, output_times=[100.0, 200.0])
    assert list(res.times) == [0.0, 100.0, 200.0, 300.0]
    mid = res.depth_at(150.0).values
    assert np.allclose(mid, 0.5 * (res.depths[1].values + res.depths[2].values))
    assert res.depth_at(200.0) is res.depths[2]
    assert res.depth_at(-5.0) is res.depths[0] and res.depth_at(1e6) is res.depths[-1]
    assert res.depth_at(150.0).same_grid(dem)


def test_run_continues_and_lands_on_output_times():
    dem, h = _mound(n=15, radius=40.0)
    model = InertialModel(dem, 0.03, initial_depth=h, max_dt=7.0)
    r1 = model.run(100.0, output_times=[33.3])
    assert model.time == 100.0 and list(r1.times) == [0.0, 33.3, 100.0]
    r2 = model.run(150.0)
    assert r2.times[0] == 100.0 and r2.mass.initial == pytest.approx(r1.mass.final, rel=1e-15)


def test_asc_round_trip_and_errors(tmp_path):
    dem, h = _mound(n=12, radius=35.0)
    dem_path = write_asc(dem, tmp_path / "dem.asc", fmt="%.6f")
    write_asc(dem.like(h), tmp_path / "h0.asc", fmt="%.10f")
    write_asc(dem.like(np.full(dem.shape, 0.035)), tmp_path / "n.asc")
    (tmp_path / "q.csv").write_text("# t, Q\n0, 0\n60, 2.5\n120, 0\n")
    res = run_from_asc(dem_path, until_s=120.0, manning_n=tmp_path / "n.asc", initial_depth=tmp_path / "h0.asc",
                       inflows=[((15.0, 15.0), tmp_path / "q.csv")], output_times=[60.0], out_dir=tmp_path / "out")
    assert res.mass.relative_error < 1e-12
    back = read_asc(tmp_path / "out" / "depth_120s.asc")
    assert np.allclose(back.values, res.depths[-1].values, atol=1e-4)
    assert (tmp_path / "out" / "max_depth.asc").exists() and (tmp_path / "out" / "first_wet_s.asc").exists()
    # a Manning grid on another grid: the error names the file
    write_asc(Raster(np.full((5, 5), 0.03), 0.0, 0.0, 10.0), tmp_path / "bad_n.asc")
    with pytest.raises(InputError, match="bad_n.asc"):
        run_from_asc(dem_path, until_s=10.0, manning_n=tmp_path / "bad_n.asc")
    (tmp_path / "bad.csv").write_text("0 1\n10 x\n")
    with pytest.raises(InputError, match="bad.csv.*line 2"):
        load_hydrograph(tmp_path / "bad.csv")


def test_bad_inputs():
    dem = Raster(np.zeros((6, 8)), 0.0, 0.0, 10.0)
    with pytest.raises(InputError, match="manning_n"):
        InertialModel(dem, Raster(np.full((6, 8), 0.03), 5.0, 0.0, 10.0))
    with pytest.raises(InputError, match="manning_n"):
        InertialModel(dem, np.full((6, 7), 0.03))
    with pytest.raises(InputError, match="manning_n.*>= 0"):
        InertialModel(dem, -0.01)
    bad_n = np.full((6, 8), 0.03)
    bad_n[2, 2] = np.nan
    with pytest.raises(InputError, match="manning_n"):
        InertialModel(dem, bad_n)
    with pytest.raises(InputError, match="every cell"):
        InertialModel(dem.like(np.full((6, 8), np.nan)))
    with pytest.raises(InputError, match="initial_depth"):
        InertialModel(dem, initial_depth=-1.0)
    with pytest.raises(InputError, match="alpha"):
        InertialModel(dem, alpha=1.5)
    with pytest.raises(InputError, match="theta"):
        InertialModel(dem, theta=1.2)
    model = InertialModel(dem)
    with pytest.raises(InputError, match="outside the grid"):
        model.add_inflow((500.0, 5.0), 1.0)
    with pytest.raises(InputError, match="inflow discharge"):
        model.add_inflow((5.0, 5.0), ([0, 10], [1.0, -1.0]))
    with pytest.raises(InputError, match="increase"):
        model.add_inflow((5.0, 5.0), ([0, 0], [1.0, 1.0]))
    with pytest.raises(InputError, match="side"):
        model.add_stage_boundary("up", 1.0)
    model.add_stage_boundary("west", 1.0)
    with pytest.raises(InputError, match="already"):
        model.add_free_outflow("west")
    with pytest.raises(InputError, match="slope"):
        model.add_free_outflow("east", slope=0.0)
    with pytest.raises(InputError, match="until_s"):
        model.run(-1.0)
    with pytest.raises(InputError, match="output_times"):
        model.run(10.0, output_times=[20.0])
    holed = dem.values.copy()
    holed[3, 3] = np.nan
    with pytest.raises(InputError, match="no-data"):
        InertialModel(dem.like(holed)).add_inflow((35.0, 35.0), 1.0)


def test_spans_follow_wetting_and_drying():
    # water runs off a tilted plane through a free edge: rows wet, then dry behind the flow
    nr, nc = 14, 26
    z = 3.0 - 0.01 * np.arange(nc)[None, :] - 0.004 * np.arange(nr)[:, None] + np.zeros((nr, nc))
    h0 = np.zeros((nr, nc))
    h0[9:13, 1:4] = 0.6
    models = [InertialModel(Raster(z, 0.0, 0.0, 5.0), 0.02, initial_depth=h0, backend=b)
              for b in ("numba-serial", "numpy")]
    for m in models:
        m.add_free_outflow("east", slope=0.01)
        m.add_free_outflow("south", slope=0.02)
    fast, ref = models
    widest, v0 = 0, fast.volume
    for _ in range(400):
        dt = ref.stable_dt()
        w0 = fast.cells_worked
        fast.step(dt)
        ref.step(dt)
        widest = max(widest, fast.cells_worked - w0)
        assert np.array_equal(fast.qx == 0, ref.qx == 0) and np.array_equal(fast.qy == 0, ref.qy == 0)
    assert np.max(np.abs(fast.eta - ref.eta)) < 1e-12 and np.max(np.abs(fast.qx - ref.qx)) < 1e-12
    assert fast.volume < 0.5 * v0  # most of it left
    assert fast.cells_worked - w0 < widest  # the spans shrank again behind the flow
    # a copied state continues identically
    twin = InertialModel(Raster(z, 0.0, 0.0, 5.0), 0.02, backend="numba-serial")
    twin.add_free_outflow("east", slope=0.01)
    twin.add_free_outflow("south", slope=0.02)
    twin.load_state(fast)
    for _ in range(20):
        dt = fast.stable_dt()
        fast.step(dt)
        twin.step(dt)
    assert np.array_equal(twin.eta, fast.eta) and np.array_equal(twin.qx, fast.qx)
