"""Forest-fire automaton (sim/hazards/fire.py): published p_burn values, spread behaviour,
determinism, numba kernel vs numpy reference, damage rate and grading, the road network, bad input."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from network.errors import InputError
from network.model import RoadNetwork
from network.raster import Raster
from network.hazard import AFFECTED, LETHAL, THREATENED
from sim.hazards.fire.model import (
    NEVER, AlexandridisParams, Density, FireGrade, ForestFire, Vegetation, _q_by_direction, _step_reference,
    combined_damage_rate_permille, damage_rate_permille, fire_grade, p_burn, slope_angle_deg, slope_factor, transition_table, wind_factor)

CRS = "EPSG:32650"
CERTAIN = AlexandridisParams(p_h=1.0)  # thickets, normal density, flat, calm: p_burn = 1


def rasters(veg, den=None, dem=None, cell=5.0, x0=0.0, y0=0.0):
    veg = np.asarray(veg, float)
    den = np.full(veg.shape, float(Density.NORMAL)) if den is None else np.asarray(den, float)
    dem = np.zeros(veg.shape) if dem is None else np.asarray(dem, float)
    mk = lambda a: Raster(a, x0, y0, cell, CRS)  # noqa: E731
    return mk(dem), mk(veg), mk(den)


def uniform_fire(n=81, *, veg=Vegetation.THICKETS, den=Density.NORMAL, dem=None, seed=0, **kw):
    d, v, s = rasters(np.full((n, n), float(veg)), den=np.full((n, n), float(den)), dem=dem)
    c = (n // 2 + 0.5) * 5.0
    return ForestFire(None, d, v, s, [(c, c, 0.0)], seed=seed, **kw)


def burned_mask(fire, step):
    fire.advance_to_step(step)
    return (fire._ign <= step).reshape(fire.shape)


def extents(mask, c):
    rows, cols = np.nonzero(mask)
    return {"E": cols.max() - c, "W": c - cols.min(), "N": rows.max() - c, "S": c - rows.min(),
            "cx": cols.mean() - c, "cy": rows.mean() - c}


def mean_extents(n_seeds=12, steps=30, n=81, **kw):
    """Mean burned extents after ``steps`` in sparse thickets (p_burn 0.35 on flat calm ground: the
    front advances slower than one cell per step, so extents are not capped by the step count)."""
    kw = {"den": Density.SPARSE, **kw}
    out = [extents(burned_mask(uniform_fire(n, seed=s, **kw), steps), n // 2) for s in range(n_seeds)]
    return {k: float(np.mean([o[k] for o in out])) for k in out[0]}


# ---------------------------------------------------------------------- published values (docs/references/hazards.md §2.5)
SPOT = {  # V: p_burn at θ = 0, 45, 90, 135, 180 (normal density, thickets, flat)
    0: [0.5800] * 5,
    8: [0.8313, 0.6116, 0.2915, 0.1389, 0.1022],
    10: [0.9096, 0.6198, 0.2454, 0.0972, 0.0662],
}


@pytest.mark.parametrize("v", sorted(SPOT))
def test_p_burn_spot_values(v):
    got = p_burn(Vegetation.THICKETS, Density.NORMAL, v, [0, 45, 90, 135, 180])
    np.testing.assert_allclose(got, SPOT[v], atol=6e-5)


def test_wind_and_slope_factors():
    np.testing.assert_allclose(wind_factor(8, [0, 90, 180]), [1.4333, 0.5026, 0.1762], atol=6e-5)
    assert slope_angle_deg(1.0, 5.0) == pytest.approx(11.31, abs=5e-3)
    assert slope_angle_deg(1.0, 5.0, diagonal=True) == pytest.approx(8.05, abs=5e-3)
    assert slope_factor(slope_angle_deg(1.0, 5.0)) == pytest.approx(2.416, abs=5e-4)


def test_p_burn_is_clamped_to_one():
    raw = 0.58 * 1.4 * 1.3 * float(wind_factor(8, 0))
    assert raw == pytest.approx(1.513, abs=5e-4)
    assert p_burn(Vegetation.PINE, Density.DENSE, 8, 0) == 1.0
    assert p_burn(Vegetation.NONE, Density.DENSE, 8, 0) == 0.0


def test_transition_table_directions():
    """Wind from the west pushes fire east; the table holds 1 - p_burn per direction."""
    veg = np.full((3, 3), float(Vegetation.THICKETS))
    q = transition_table(veg.astype(np.int8), np.ones((3, 3), np.int8), np.zeros((3, 3)), 5.0, 8.0, 270.0)
    p = 1.0 - q[1, 1].astype(float)
    # k order: DR/DC = (-1,-1) (-1,0) (-1,1) (0,-1) (0,1) (1,-1) (1,0) (1,1), target - source
    assert p[4] == pytest.approx(0.8313, abs=1e-4)  # from the west cell, spreading east (θ 0)
    assert p[3] == pytest.approx(0.1022, abs=1e-4)  # from the east cell, spreading west (θ 180)
    assert p[1] == pytest.approx(0.2915, abs=1e-4)  # from the north cell, spreading south (θ 90)
    assert p[7] == pytest.approx(0.6116, abs=1e-4)  # from the south-west, spreading north-east (θ 45)
    dem = np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], float)
    q = transition_table(veg.astype(np.int8), np.ones((3, 3), np.int8), dem, 5.0, 0.0, 0.0)
    assert 1 - float(q[1, 2, 4]) == pytest.approx(0.58 / 2.416, abs=1e-4)  # 1 m down-slope, adjacent
    assert np.all(q[1, 1] == 0)  # 1 m up-slope from every side: p_burn clamped to 1
    agri = np.full((3, 3), Vegetation.AGRICULTURAL, np.int8)
    q = transition_table(agri, np.zeros((3, 3), np.int8), dem, 5.0, 0.0, 0.0)
    assert 1 - float(q[1, 1, 4]) == pytest.approx(0.58 * 0.7 * 0.6 * 2.416, abs=2e-4)  # up-slope, sparse fields


# ---------------------------------------------------------------------- spread behaviour
def test_isotropic_without_wind_or_slope():
    m = mean_extents()
    ext = [m["E"], m["W"], m["N"], m["S"]]
    assert 15 < np.mean(ext) < 29
    assert max(ext) - min(ext) < 0.12 * np.mean(ext)
    assert abs(m["cx"]) < 1.0 and abs(m["cy"]) < 1.0


def test_elongates_downwind():
    m = mean_extents(n_seeds=6, wind_speed_m_s=8.0, wind_from_deg=270.0)  # wind blows east
    assert m["E"] > 5 * m["W"]
    assert m["cx"] > 5.0 and abs(m["cy"]) < 1.5


def test_faster_upslope():
    n = 81
    dem = np.repeat(np.arange(n, dtype=float)[:, None] * 0.5, n, axis=1)  # rises 0.5 m per 5 m cell northward
    m = mean_extents(n_seeds=6, dem=dem)
    assert m["N"] > 1.25 * m["S"]
    assert m["cy"] > 4.0 and abs(m["cx"]) < 1.5


def test_deterministic_for_a_seed():
    a, b, c = uniform_fire(seed=5), uniform_fire(seed=5), uniform_fire(seed=6)
    sa, sb, sc = (f.state(25 * f.step_s) for f in (a, b, c))
    assert np.array_equal(sa.fields["state"].values, sb.fields["state"].values)
    np.testing.assert_array_equal(sa.fields["burned_at_s"].values, sb.fields["burned_at_s"].values)
    assert not np.array_equal(sa.fields["state"].values, sc.fields["state"].values)
    g1 = uniform_fire(seed=np.random.default_rng(3))
    g2 = uniform_fire(seed=np.random.default_rng(3))
    assert np.array_equal(burned_mask(g1, 20), burned_mask(g2, 20))


def test_suppression_reduces_burned_area():
    free, fought, late = [], [], []
    for s in range(4):
        free.append(uniform_fire(seed=s).burned_area_m2(30 * 100.0))
        f = uniform_fire(seed=s)
        ring = f.mask_near([202.5], [202.5], 60.0) & ~f.mask_near([202.5], [202.5], 20.0)
        f.set_suppression(ring, 0.1)
        fought.append(f.burned_area_m2(30 * f.step_s))
        g = uniform_fire(seed=s)
        g.state(5 * g.step_s)
        g.set_suppression(np.ones(g.shape, bool), 0.3)  # crews arrive after 5 steps
        late.append(g.burned_area_m2(30 * g.step_s))
    assert np.mean(fought) < 0.7 * np.mean(free)
    assert np.mean(late) < 0.5 * np.mean(free)
    f = uniform_fire(seed=0)
    f.set_suppression(np.ones(f.shape, bool), 0.0)
    assert f.burned_area_m2(10 * f.step_s) == 25.0  # only the ignition cell
    f.set_suppression(None, 0.5)
    assert f.burned_area_m2(20 * f.step_s) == 25.0  # the fire went out before crews left


def test_unburnable_cells_never_burn():
    rng = np.random.default_rng(1)
    veg = rng.choice([0, 1, 2, 3], size=(60, 60), p=[0.2, 0.2, 0.3, 0.3]).astype(float)
    veg[30, 30] = Vegetation.PINE
    d, v, s = rasters(veg, den=rng.integers(0, 3, (60, 60)), dem=rng.random((60, 60)))
    f = ForestFire(None, d, v, s, [(152.5, 152.5)], wind_speed_m_s=6, wind_from_deg=30, seed=2)
    for step in (5, 20, 60):
        st_ = f.state(step * f.step_s).fields["state"].values
        assert np.all(st_[veg == 0] == 0)
        assert np.all(st_[veg != 0] >= 1)
    assert np.all(np.isnan(f.state(60 * f.step_s).fields["burned_at_s"].values[veg == 0]))
    assert f.burned_area_m2() > 25.0


def test_deterministic_rings_and_series():
    """With p_burn = 1 the Moore automaton burns one Chebyshev ring per step."""
    f = uniform_fire(41, params=CERTAIN, step_s=60.0)
    for n in (1, 5, 12):
        front = f.front_cells(n * 60.0)
        r, c = np.divmod(front, 41)
        assert len(front) == 8 * n
        assert np.all(np.maximum(abs(r - 20), abs(c - 20)) == n)
    t, area = f.burned_area_series()
    assert t[-1] == 12 * 60.0
    np.testing.assert_allclose(area, (2 * np.arange(13) + 1) ** 2 * 25.0)


# ---------------------------------------------------------------------- kernel vs numpy reference
@settings(max_examples=40, deadline=None)
@given(
    nrows=st.integers(2, 24), ncols=st.integers(2, 24), seed=st.integers(0, 2**32 - 1),
    wind=st.floats(0, 12), wind_from=st.floats(0, 360), steps=st.integers(1, 25),
    supp_factor=st.floats(0, 1), late_step=st.integers(1, 20),
)
def test_kernel_equals_numpy_reference(nrows, ncols, seed, wind, wind_from, steps, supp_factor, late_step):
    rng = np.random.default_rng(seed)
    veg = rng.choice([0, 1, 2, 3], size=(nrows, ncols), p=[0.15, 0.25, 0.3, 0.3]).astype(float)
    veg[0, 0] = veg[-1, -1] = Vegetation.PINE
    d, v, s = rasters(veg, den=rng.integers(0, 3, veg.shape), dem=rng.random(veg.shape) * 4, cell=5.0)
    ign = [(2.5, 2.5, 0.0), (5 * ncols - 2.5, 5 * nrows - 2.5, late_step * 10.0)]
    f = ForestFire(None, d, v, s, ign, wind_speed_m_s=wind, wind_from_deg=wind_from, seed=seed, step_s=10.0)
    mask = rng.random(veg.shape) < 0.3
    f.set_suppression(mask, supp_factor)
    f.advance_to_step(steps)

    ref = np.full(veg.shape, NEVER, np.int32)
    ref[0, 0] = 0
    supp = np.where(mask, np.float32(supp_factor), np.float32(1.0)).astype(np.float32)
    q_dir = _q_by_direction(f._q.reshape(nrows, ncols, 8))
    late_cell = (nrows - 1) * ncols + ncols - 1
    for k in range(steps):
        _step_reference(ref, q_dir, supp, veg != 0, k, f.key, [late_cell] if k + 1 == late_step else [])
    assert np.array_equal(ref.reshape(-1), f._ign)


# ---------------------------------------------------------------------- damage rate and grading
def test_damage_rate_hand_made():
    """10 x 10 cells of 1 ha; a NONE wall at column 5. West: 20 pine + 30 thicket cells, all burn
    (p_burn = 1); east: 40 pine cells, untouched. Forest 60 ha, burned forest 20 ha."""
    veg = np.full((10, 10), float(Vegetation.PINE))
    veg[4:, :5] = Vegetation.THICKETS
    veg[:, 5] = Vegetation.NONE
    d, v, s = rasters(veg, cell=100.0)
    f = ForestFire(None, d, v, s, [(50.0, 950.0)], params=CERTAIN, seed=0)
    f.advance_to_step(30)
    assert f.is_out
    assert f.forest_area_ha == pytest.approx(60.0)
    assert f.burned_forest_ha() == pytest.approx(20.0)
    assert f.damage_rate_permille() == pytest.approx(1000 * 20 / 60)
    assert f.grade() is FireGrade.LARGE and f.grade().zh == "较大森林火灾"
    assert Vegetation.FOREST is Vegetation.PINE and Vegetation.SHRUB is Vegetation.THICKETS
    summary = f.summary()
    assert summary["burned_ha"] == pytest.approx(50.0) and summary["grade"] == "large"
    g = ForestFire(None, d, v, s, [(50.0, 950.0)], params=CERTAIN, forest_types=(Vegetation.PINE, Vegetation.THICKETS))
    assert g.damage_rate_permille(30 * g.step_s) == pytest.approx(1000 * 50 / 90)


def test_two_fires_count_each_burned_cell_once():
    """The hand-made raster of test_damage_rate_hand_made: a fire west of the wall burns 20 ha of
    forest, one east of it all 40 ha of the east; the district's rate adds them, and the same
    fire twice counts once."""
    veg = np.full((10, 10), float(Vegetation.PINE))
    veg[4:, :5] = Vegetation.THICKETS
    veg[:, 5] = Vegetation.NONE
    d, v, s = rasters(veg, cell=100.0)
    west = ForestFire(None, d, v, s, [(50.0, 950.0)], params=CERTAIN, seed=0)
    east = ForestFire(None, d, v, s, [(950.0, 50.0)], params=CERTAIN, seed=0)
    again = ForestFire(None, d, v, s, [(150.0, 850.0)], params=CERTAIN, seed=1)
    t = 30 * west.step_s
    assert combined_damage_rate_permille([west, east], t) == pytest.approx(1000 * 60 / 60)
    assert combined_damage_rate_permille([west, again], t) == pytest.approx(1000 * 20 / 60)
    assert combined_damage_rate_permille([west], t) == pytest.approx(west.damage_rate_permille(t))
    assert np.isnan(combined_damage_rate_permille([], t))


def test_damage_rate_and_grade_functions():
    assert damage_rate_permille(1433.81, 2_036_662.0) == pytest.approx(0.704, abs=5e-4)  # Dali 2011-15, docs/references/hazards.md §2.7
    assert damage_rate_permille(5.0, 0.0) == 0.0
    assert fire_grade(0.99) is FireGrade.GENERAL
    assert fire_grade(1.0) is FireGrade.LARGE  # 以上 includes the bound
    assert fire_grade(99.9) is FireGrade.LARGE
    assert fire_grade(100.0) is FireGrade.MAJOR
    assert fire_grade(1000.0) is FireGrade.ESPECIALLY_MAJOR
    assert fire_grade(0.5, deaths=3) is FireGrade.LARGE
    assert fire_grade(0.5, deaths=30) is FireGrade.ESPECIALLY_MAJOR
    assert fire_grade(0.5, serious_injuries=50) is FireGrade.MAJOR


# ---------------------------------------------------------------------- the road network
def small_network() -> RoadNetwork:
    """41 x 41 cells of 10 m, fire from the centre cell (205, 205); a short road across
    columns 19-21 of row 30 (y = 305), a populated node at (205, 405) (row 40), another at (5, 5)
    (the corner cell)."""
    xy = np.array([[195, 305], [215, 305], [205, 405], [5, 5], [45, 5]], float)
    u = np.array([0, 1, 1, 2, 3, 4])
    v = np.array([1, 0, 2, 1, 4, 3])
    length = np.hypot(*(xy[u] - xy[v]).T)
    return RoadNetwork.from_edges(
        x=xy[:, 0], y=xy[:, 1], lon=117 + xy[:, 0] * 1e-5, lat=29 + xy[:, 1] * 1e-5, u=u, v=v, length=length,
        speed_kmh=np.full(6, 40.0), road_class=np.full(6, 5), crs=CRS, population=np.array([0, 0, 100, 50, 0.0]))


def node_at(net, x, y):
    return int(np.flatnonzero((net.x == x) & (net.y == y))[0])


def network_fire(net, **kw):
    d, v, s = rasters(np.full((41, 41), float(Vegetation.PINE)), cell=10.0)
    return ForestFire(net, d, v, s, [(205.0, 205.0, 0.0)], params=CERTAIN, step_s=60.0, **kw)


def test_edge_closure_follows_the_front():
    net = small_network()
    a, b, far0, far1 = node_at(net, 195, 305), node_at(net, 215, 305), node_at(net, 5, 5), node_at(net, 45, 5)
    road = [net.edge_index(a, b), net.edge_index(b, a)]
    far = [net.edge_index(far0, far1), net.edge_index(far1, far0)]
    f = network_fire(net, road_buffer_m=0.0)
    closed = {n: f.state(n * 60.0).edge_speed_factor for n in (9, 10, 11)}
    assert np.all(closed[10][road] == 0) and np.all(closed[9][road] == 1) and np.all(closed[11][road] == 1)
    assert np.all(closed[10][far] == 1)
    g = network_fire(net, road_buffer_m=6.0)  # the road is 5 m from rings 9 and 11
    for n in (8, 9, 10, 11, 12):
        assert np.all(g.state(n * 60.0).edge_speed_factor[road] == (1 if n in (8, 12) else 0))
    assert np.all(g.state(20 * 60.0).edge_speed_factor[far] == 0)  # ring 20 reaches the corner


def test_threatened_and_affected_nodes():
    net = small_network()
    north, corner = node_at(net, 205, 405), node_at(net, 5, 5)
    f = network_fire(net, evacuation_m=100.0)

    def record(n):
        aff = f.state(n * 60.0).affected
        return {int(k): (int(s), t, p) for k, s, t, p in zip(aff.node, aff.severity, aff.since_s, aff.people)}

    assert record(9) == {}
    assert record(10) == {north: (THREATENED, 600.0, 100.0)}  # ring 10 reaches y = 305 + 5, 95 m away
    assert record(13)[corner] == (THREATENED, 780.0, 50.0)  # sqrt(2) (195 - 10 n) <= 100 from n = 13
    r = record(19)
    assert r[north] == (AFFECTED, 1140.0, 100.0)  # a neighbour cell (row 39) ignites at step 19
    assert r[corner][0] == AFFECTED  # the corner cell's neighbour (1, 1) ignites at step 19
    assert f.state(20 * 60.0).node_level[north] == 1.0 and f.state(21 * 60.0).node_level[north] == 0.0
    assert record(25)[north] == (AFFECTED, 1140.0, 100.0)
    g = network_fire(net, evacuation_m=100.0, lethal=True)
    aff = g.state(20 * 60.0).affected
    assert list(aff.severity[aff.node == north]) == [LETHAL] and list(aff.since_s[aff.node == north]) == [1200.0]
    aff = g.state(19 * 60.0).affected
    assert list(aff.severity[aff.node == north]) == [AFFECTED]
    # asking for an earlier time after a later one gives what a fresh run gives
    late = f.state(10 * 60.0)
    fresh = network_fire(net, evacuation_m=100.0).state(10 * 60.0)
    assert np.array_equal(late.fields["state"].values, fresh.fields["state"].values)
    assert np.array_equal(late.affected.node, fresh.affected.node)
    np.testing.assert_array_equal(late.edge_speed_factor, fresh.edge_speed_factor)


def test_ignition_later_in_time():
    f = uniform_fire(41, params=CERTAIN, step_s=60.0)
    d, v, s = rasters(np.full((41, 41), float(Vegetation.THICKETS)))
    g = ForestFire(None, d, v, s, [(102.5, 102.5, 150.0)], params=CERTAIN, step_s=60.0)
    assert g.burned_area_m2(179.0) == 0.0 and g.burned_area_m2(180.0) == 25.0  # starts at step 3 (180 s)
    assert g.burned_area_m2(240.0) == f.burned_area_m2(60.0)


# ---------------------------------------------------------------------- bad input
def _bad_cases():
    d, v, s = rasters(np.full((10, 10), 2.0))
    ok = dict(net=None, dem=d, vegetation=v, density=s, ignitions=[(25.0, 25.0)])
    veg_none = v.like(np.where(np.eye(10, dtype=bool), 0.0, 2.0))
    yield "ignitions[0]", dict(ok, ignitions=[(500.0, 25.0)])  # outside
    yield "ignitions[0]", dict(ok, vegetation=veg_none, ignitions=[(27.5, 27.5)])  # water/urban
    yield "ignitions[1]", dict(ok, ignitions=[(25.0, 25.0), ("a", 1)])
    yield "ignitions[0]", dict(ok, ignitions=[(25.0, 25.0, -5.0)])
    yield "ignitions", dict(ok, ignitions=[])
    yield "ignitions[0]", dict(ok, ignitions=[(25.0, 25.0, 1e15)])
    yield "density", dict(ok, density=Raster(np.ones((10, 11)), 0, 0, 5.0, CRS))
    yield "dem", dict(ok, dem=Raster(np.zeros((10, 10)), 100.0, 0, 5.0, CRS))
    yield "dem", dict(ok, dem=Raster(np.zeros((10, 10)), 0, 0, 10.0, CRS))
    yield "dem", dict(ok, dem=d.like(np.where(np.eye(10, dtype=bool), np.nan, 0.0)))
    yield "vegetation", dict(ok, vegetation=v.like(np.full((10, 10), 7.0)))
    yield "density", dict(ok, density=s.like(np.full((10, 10), 5.0)))
    yield "vegetation", dict(ok, vegetation=np.ones((10, 10)))
    yield "wind_speed_m_s", dict(ok, wind_speed_m_s=-1.0)
    yield "wind_from_deg", dict(ok, wind_from_deg=float("nan"))
    yield "step_s", dict(ok, step_s=0.0)
    yield "forest_types", dict(ok, forest_types=(Vegetation.NONE, Vegetation.PINE))
    yield "seed", dict(ok, seed="abc")
    yield "road_buffer_m", dict(ok, road_buffer_m="far")
    yield "CRS", dict(ok, net=small_network(), vegetation=Raster(v.values, 0, 0, 5.0, "EPSG:4326"),
                      dem=Raster(d.values, 0, 0, 5.0, "EPSG:4326"), density=Raster(s.values, 0, 0, 5.0, "EPSG:4326"))


@pytest.mark.parametrize("word,kwargs", list(_bad_cases()))
def test_bad_input_names_the_parameter(word, kwargs):
    with pytest.raises(InputError, match=word.replace("[", r"\[").replace("]", r"\]")):
        ForestFire(**kwargs)


def test_bad_queries_and_suppression():
    f = uniform_fire(20)
    with pytest.raises(InputError, match="time_s"):
        f.state(-1.0)
    with pytest.raises(InputError, match="time_s"):
        f.state(float("inf"))
    with pytest.raises(InputError, match="mask"):
        f.set_suppression(np.ones((3, 3), bool), 0.5)
    with pytest.raises(InputError, match="factor"):
        f.set_suppression(np.ones(f.shape, bool), 1.5)
