"""River flood: depth–disruption, hydrographs, connected inundation, dikes, people, I/O."""
from __future__ import annotations

import json

import numpy as np
import pytest
from shapely.geometry import shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from network import InputError, RoadNetwork
from network.raster import Raster, read_asc, write_asc
from network.hazard import AFFECTED, LETHAL, THREATENED
from sim.hazards.flood.model import (
    Breach, DesignHydrograph, Dike, ObservedHydrograph, RiverFlood,
    depth_disruption_speed, edge_speed_factor, fill_level_map, fill_to_volume, flood_fill,
    flood_fill_reference, footprint_geojson, read_stage_csv, write_stage_csv)
from sim.hazards.flood.frequency import design_flood

X0, Y0, CS = 500_000.0, 3_240_000.0, 10.0
NROWS, NCOLS = 40, 60
CRS = "EPSG:32650"
H = 3600.0


# ------------------------------------------------------------------ Pregnolato (docs/references/hazards.md §1.6)
@pytest.mark.parametrize("w, v", [(0, 86.94), (50, 61.55), (100, 40.65), (150, 24.26), (200, 12.36),
                                  (250, 4.97), (290, 2.29)])
def test_pregnolato_spot_values(w, v):
    assert depth_disruption_speed(w) == pytest.approx(v, abs=1e-2)


def test_pregnolato_closed_at_300_mm_and_vectorised():
    v = depth_disruption_speed(np.array([[0.0, 299.999], [300.0, 1500.0]]))
    assert v.shape == (2, 2)
    assert v[0, 1] > 2.0 and v[1, 0] == 0.0 and v[1, 1] == 0.0
    assert isinstance(depth_disruption_speed(10.0), float)
    with pytest.raises(InputError, match="depth_mm"):
        depth_disruption_speed(np.array([10.0, -1.0]))


def test_speed_factor_is_a_cap_and_dry_roads_are_untouched():
    f = edge_speed_factor(np.array([0.0, 0.1, 0.1, 0.3, 0.0]), np.array([120.0, 50.0, 30.0, 50.0, 30.0]))
    np.testing.assert_allclose(f, [1.0, 40.6548 / 50.0, 1.0, 0.0, 1.0], atol=1e-4)


# ------------------------------------------------------------------ inundation on a DEM (docs/references/hazards.md §1.3)
def test_fill_to_volume_flat_box():
    z = np.full((12, 12), 100.0)
    z[1:-1, 1:-1] = 5.0
    dem = Raster(z, 0.0, 0.0, 2.0)
    level, depth = fill_to_volume(dem, 123.0)
    assert level == pytest.approx(5.0 + 123.0 / (100 * 4.0), rel=1e-12)
    np.testing.assert_allclose(depth.values[1:-1, 1:-1], level - 5.0, rtol=1e-12)
    assert np.all(depth.values[0] == 0)


def test_fill_to_volume_tilted_plane_is_exact():
    s, cs, nrows, ncols = 0.01, 5.0, 7, 40
    xc = (np.arange(ncols) + 0.5) * cs
    dem = Raster(np.tile(s * xc, (nrows, 1)), 0.0, 0.0, cs)
    src = np.zeros((nrows, ncols), bool)
    src[:, 0] = True
    width = nrows * cs
    for m in (3, 10, 25):  # water edge on a cell boundary: V = W (L - z_min)^2 / (2 s), z_min = 0 at x = 0
        level_true = s * m * cs
        level, depth = fill_to_volume(dem, width * level_true**2 / (2 * s), src)
        assert level == pytest.approx(level_true, rel=1e-12)
        assert np.all(depth.values[:, m:] == 0) and np.all(depth.values[:, :m] > 0)
    # past the far edge the whole plane is one flat pond
    v = 3 * width * (s * ncols * cs) ** 2 / (2 * s)
    level, depth = fill_to_volume(dem, v, src)
    assert level == pytest.approx(float(np.mean(s * xc)) + v / (nrows * ncols * cs * cs), rel=1e-12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(0, 9), min_size=64, max_size=64),
    st.floats(0.0, 4000.0),
    st.integers(0, 63),
)
def test_fill_to_volume_conserves_mass(cells, volume, src_cell):
    z = np.array(cells, float).reshape(8, 8)  # integer heights: many ties and closed depressions
    src = np.zeros((8, 8), bool)
    src.flat[src_cell] = True
    level, depth = fill_to_volume(Raster(z, 0.0, 0.0, 3.0), volume, src)
    assert np.all(depth.values >= 0)
    assert depth.values.sum() * 9.0 == pytest.approx(volume, rel=1e-9, abs=1e-9)
    wet = depth.values > 0
    assert np.all(depth.values[wet] <= level - z[wet] + 1e-9)  # no cell stands above the main level


def _random_terrain(seed, shape=(45, 70)):
    rng = np.random.default_rng(seed)
    e = rng.random(shape) * 10
    e[rng.random(shape) < 0.03] = np.nan  # no-data holes never flood
    src = rng.random(shape) < 0.004
    src[0, 0] = True
    return e, src


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=63, max_size=63), st.lists(st.booleans(), min_size=63, max_size=63),
       st.integers(0, 7))
def test_fill_level_map_equals_direct_fill_on_small_grids_with_ties(heights, src, level):
    e = np.array(heights, float).reshape(7, 9)
    e[e == 6] = np.nan  # no data
    s = np.array(src).reshape(7, 9)
    fill = fill_level_map(e, s)
    np.testing.assert_array_equal(fill < level, flood_fill(e, s, level))
    np.testing.assert_array_equal(fill < level, flood_fill_reference(e, s, level))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fill_level_map_equals_direct_fill_and_scipy(seed):
    e, src = _random_terrain(seed)
    fill = fill_level_map(e, src)
    assert np.all(np.isinf(fill[np.isnan(e)]))
    for level in np.nanquantile(e, [0.05, 0.3, 0.45, 0.55, 0.7, 0.95]):
        direct = flood_fill(e, src, level)
        np.testing.assert_array_equal(fill < level, direct)
        np.testing.assert_array_equal(direct, flood_fill_reference(e, src, level))


# ------------------------------------------------------------------ hydrographs
def test_design_hydrograph_shape():
    h = DesignHydrograph(24.5, 33.9, 36 * H, 40 * H, start_s=2 * H)
    t = np.linspace(0, 100 * H, 20001)
    s = h.stage(t)
    assert h.stage(h.peak_time_s) == pytest.approx(33.9)
    assert t[np.argmax(s)] == pytest.approx(h.peak_time_s, abs=60)
    assert h.stage(0.0) == 24.5 and h.stage(h.end_s) == pytest.approx(24.5) and h.stage(1e7) == 24.5
    rise = (t >= h.start_s) & (t <= h.peak_time_s)
    assert np.all(np.diff(s[rise]) >= 0) and np.all(np.diff(s[t >= h.peak_time_s]) <= 0)


def test_stage_csv_round_trip(tmp_path):
    h = ObservedHydrograph(np.array([0.0, 3600.0, 9000.0, 20000.0]), np.array([24.0, 27.5, 31.25, 26.0]))
    p = write_stage_csv(h, tmp_path / "stages.csv")
    back = read_stage_csv(p)
    np.testing.assert_allclose(back.times_s, h.times_s, rtol=1e-12)
    np.testing.assert_array_equal(back.stages_m, h.stages_m)
    assert back.stage(5400.0) == pytest.approx(h.stage(5400.0))
    d = design_flood(10)
    q = read_stage_csv(write_stage_csv(d, tmp_path / "design.csv"))
    assert q.stage(d.peak_time_s) == pytest.approx(d.peak_stage_m)
    f = RiverFlood(small_net(), scene(), RIVER, p, 200.0, 0.0)
    assert f.stage(5400.0) == pytest.approx(h.stage(5400.0))


@pytest.mark.parametrize("text, match", [
    ("time_h,stage_m\n0,24\n2,25\n1,26\n", r"line 4: field 'time_h'"),
    ("time_h,stage_m\n0,24\n1,-0.5\n", r"line 3: field 'stage_m' is negative"),
    ("time_h,stage_m\n0,24\n1,high\n", r"line 3: field 'stage_m' is not a number"),
    ("hours,level\n0,24\n1,25\n", r"line 1: header"),
    ("time_h,stage_m\n0,24\n", r"at least two rows"),
])
def test_stage_csv_errors_name_file_line_and_field(tmp_path, text, match):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(InputError, match=match) as info:
        read_stage_csv(p)
    assert "bad.csv" in str(info.value)


def test_stage_csv_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_stage_csv(tmp_path / "nope.csv")


# ------------------------------------------------------------------ the hazard on a small scene
def scene(east: float = 24.0, ridge: float | None = 32.0) -> Raster:
    """River (column 5, bed 20 m) on a 25 m floodplain; a ridge at column 30; a low east side."""
    z = np.full((NROWS, NCOLS), 25.0)
    z[:, 5] = 20.0
    z[10:14, 12:16] = 24.0  # a low spot on the river side
    if ridge is not None:
        z[:, 30] = ridge
    z[:, 31:] = east
    return Raster(z, X0, Y0, CS, CRS)


RIVER = [(X0 + 55.0, Y0 + 400.0), (X0 + 55.0, Y0)]  # north to south: chainage grows downstream
DIKE = Dike(xy=[(X0 + 305.0, Y0 + 399.0), (X0 + 305.0, Y0 + 1.0)], crest_m=31.0)


def xy(row, col):
    return X0 + (col + 0.5) * CS, Y0 + (row + 0.5) * CS


def small_net(points=((20, 20), (11, 13), (20, 30), (20, 45)), population=(100.0, 200.0, 300.0, 400.0)):
    """Nodes at (row, col) cells: floodplain, low spot, ridge/dike, east side; a chain of two-way edges."""
    x, y = np.array([xy(r, c) for r, c in points]).T
    n = len(x)
    u = np.r_[np.arange(n - 1), np.arange(1, n)]
    v = np.r_[np.arange(1, n), np.arange(n - 1)]
    return RoadNetwork.from_edges(
        x=x, y=y, lon=117.0 + (x - X0) / 1e5, lat=29.28 + (y - Y0) / 1e5, u=u, v=v,
        length=np.hypot(x[u] - x[v], y[u] - y[v]), speed_kmh=np.full(len(u), 50.0),
        road_class=np.full(len(u), 5), crs=CRS, population=np.array(population), spatial_order=False,
    )


def flat(stage: float) -> ObservedHydrograph:
    return ObservedHydrograph(np.array([0.0, 100 * H]), np.array([stage, stage]))


def test_unconnected_depression_stays_dry():
    f = RiverFlood(small_net(), scene(), RIVER, flat(30.0), 200.0, 0.0)
    d = f.depth(H).values
    assert d[20, 20] == pytest.approx(5.0) and d[11, 13] == pytest.approx(6.0)
    assert np.all(d[:, 30:] == 0)  # east side at 24 m is below the 30 m surface but cut off by the ridge
    over = f.with_hydrograph(flat(33.0)).depth(H).values
    assert over[20, 45] == pytest.approx(9.0) and over[20, 30] == pytest.approx(1.0)


def test_dike_holds_then_overtops_and_ponds():
    h_low = DesignHydrograph(22.0, 30.5, 10 * H, 10 * H)
    f = RiverFlood(small_net(), scene(ridge=None), RIVER, h_low, 200.0, 0.0, dikes=[DIKE])
    for t in np.arange(0, 21) * H:
        assert np.all(f.depth(t).values[:, 31:] == 0)
    assert f.depth(10 * H).values[20, 20] == pytest.approx(5.5)

    g = f.with_hydrograph(DesignHydrograph(22.0, 32.0, 10 * H, 10 * H))
    assert g.depth(10 * H).values[20, 45] == pytest.approx(8.0)  # surface 32 over 24 m ground
    assert g.depth(10 * H).values[20, 30] == pytest.approx(1.0)  # over the 31 m crest
    # after the river falls, the protected side keeps water up to the crest (spill level)
    late = g.depth(19 * H).values
    assert late[20, 45] == pytest.approx(7.0) and late[20, 20] == 0.0
    nopond = RiverFlood(small_net(), scene(ridge=None), RIVER, g.hydrograph, 200.0, 0.0, dikes=[DIKE], ponding=False)
    assert nopond.depth(19 * H).values[20, 45] == 0.0


def test_breach_floods_the_protected_side_from_its_time():
    h = DesignHydrograph(22.0, 30.5, 10 * H, 10 * H)
    b = Breach(time_s=8 * H, x=X0 + 305.0, y=Y0 + 200.0, width_m=30.0)
    f = RiverFlood(small_net(), scene(ridge=None), RIVER, h, 200.0, 0.0, dikes=[DIKE], breaches=[b])
    assert f.n_epochs == 2 and f.epoch_of(8 * H - 1) == 0 and f.epoch_of(8 * H) == 1
    assert np.all(f.depth(8 * H - 1).values[:, 31:] == 0)
    after = f.depth(8 * H).values
    assert after[20, 45] == pytest.approx(f.stage(8 * H) - 24.0)
    assert after[0, 30] == 0  # the rest of the dike still stands
    assert f.fill_level(0).values[20, 45] == 31.0  # over the crest
    assert f.fill_level(1).values[20, 45] == 25.0  # across the floodplain and through the breach
    t_east = f.first_flood_time_s()[3]
    assert t_east == pytest.approx(8 * H)  # the east node floods at the breach


def test_sloping_surface_follows_chainage():
    f = RiverFlood(small_net(), scene(), RIVER, flat(25.05), gauge_chainage_m=200.0, surface_slope_m_per_km=0.5)
    off = f.surface_offset().values
    # north (row 39) is upstream: chainage ~5 m, offset = 0.5/1000 * (200 - 5)
    assert off[39, 5] == pytest.approx(0.5e-3 * (200 - 5.0), abs=1e-3)
    assert off[0, 5] == pytest.approx(0.5e-3 * (200 - 395.0), abs=1e-3)
    assert off[39, 25] == pytest.approx(off[39, 5])  # cells take their nearest river cell's surface
    wet = f.wet_mask(H)
    assert wet[39, 20] and not wet[0, 20]


@pytest.mark.parametrize("slope", [0.0, 0.3])
def test_fast_fill_matches_direct_fill_on_the_scene(slope):
    rng = np.random.default_rng(3)
    dem = Raster(scene(ridge=None).values + rng.random((NROWS, NCOLS)) * 2.0, X0, Y0, CS, CRS)
    h = DesignHydrograph(21.0, 32.0, 10 * H, 10 * H)
    b = Breach(time_s=12 * H, x=X0 + 305.0, y=Y0 + 100.0, width_m=20.0)
    f = RiverFlood(small_net(), dem, RIVER, h, 200.0, slope, dikes=[DIKE], breaches=[b])
    seeds = f._terrain.seeds.reshape(NROWS, NCOLS)
    for t in np.array([0.0, 5.0, 8.0, 10.0, 11.0, 13.0, 16.0]) * H:
        fast = f.wet_mask(t)
        np.testing.assert_array_equal(fast, f.direct_wet_mask(t))
        e = f.stage_equivalent_ground(f.epoch_of(t)).values
        np.testing.assert_array_equal(fast, flood_fill_reference(e, seeds, f.stage(t)))
        np.testing.assert_allclose(f.depth(t).values[fast], (f.stage(t) - e)[fast], atol=1e-12)


def test_state_people_and_first_times():
    net = small_net()
    h = DesignHydrograph(20.0, 30.0, 10 * H, 10 * H)
    f = RiverFlood(net, scene(), RIVER, h, 200.0, 0.0, warning_lead_s=2 * H)
    t_aff = f.first_flood_time_s()
    # node 0 at 25 m needs stage 25.15; node 1 (24 m, in a low spot behind the 25 m floodplain)
    # floods when the water spills in above 25 m; ridge and east never
    t_dense = np.linspace(0, 10 * H, 360001)
    for node, need in ((0, 25.15), (1, 25.0)):
        assert t_aff[node] == pytest.approx(t_dense[np.argmax(h.stage(t_dense) >= need)], abs=0.2)
    assert np.isinf(t_aff[2]) and np.isinf(t_aff[3])
    t_leth = f.first_flood_time_s(1.5)
    assert t_leth[1] == pytest.approx(t_dense[np.argmax(h.stage(t_dense) >= 25.5)], abs=0.2)
    for node in (0, 1):  # consistent with the depths the state reports
        assert f.state(t_aff[node] - 1.0).node_level[node] < 0.15 <= f.state(t_aff[node] + 1.0).node_level[node]

    a = f.affected(t_aff[1] - 1 * H)  # node 1 within the 2 h lead, node 0 maybe not yet
    assert set(a.node.tolist()) <= {0, 1} and a.severity[a.node.tolist().index(1)] == THREATENED
    assert a.since_s[a.node.tolist().index(1)] == pytest.approx(t_aff[1] - 2 * H)
    t26 = f.first_flood_time_s(1.0)[0]  # stage 26 m: node 0 under 1 m, node 1 under 2 m
    a = f.affected(t26)
    rec = {int(n): (s, p, since) for n, s, p, since in zip(a.node, a.severity, a.people, a.since_s)}
    assert rec[0][0] == AFFECTED and rec[0][2] == pytest.approx(t_aff[0])
    assert rec[1][0] == LETHAL and rec[1][2] == pytest.approx(t_leth[1]) and rec[1][1] == 200.0
    assert 2 not in rec and 3 not in rec
    assert a.total == 300.0
    assert f.affected(10 * H).severity.tolist() == [LETHAL, LETHAL]

    s = f.state(10 * H)
    assert s.node_level[0] == pytest.approx(5.0) and s.node_level[1] == pytest.approx(6.0)
    np.testing.assert_allclose(s.node_level, [s.fields["depth"].sample(*xy(r, c), method="nearest")
                                              for r, c in ((20, 20), (11, 13), (20, 30), (20, 45))])
    src, dst = net.edge_source, net.indices
    closed = (src == 0) & (dst == 1)
    assert s.edge_speed_factor[closed] == 0.0  # 5 m of water
    assert np.all(s.edge_speed_factor[(src == 1) & (dst == 2)] == 0.0)  # ridge node dry, but the road crosses 5 m
    assert np.all(s.edge_speed_factor[((src == 2) & (dst == 3)) | ((src == 3) & (dst == 2))] == 1.0)  # beyond the ridge
    dry = f.state(0.0, fields=False)
    assert np.all(dry.edge_speed_factor == 1.0) and dry.fields == {}


def test_edge_takes_the_deepest_point_along_it():
    net = small_net(points=((20, 25), (20, 29)), population=(0.0, 0.0))
    dem = scene(ridge=None).values.copy()
    dem[20, 26:29] = [25.4, 24.9, 25.4]  # a dip in the middle of the road, nodes on 25 m ground
    f = RiverFlood(net, Raster(dem, X0, Y0, CS, CRS), RIVER, flat(25.2), 200.0, 0.0)
    node_d, edge_d = f.network_depths(H)
    np.testing.assert_allclose(node_d, 0.2, atol=1e-9)
    np.testing.assert_allclose(edge_d, 0.3, atol=1e-9)
    assert np.all(f.state(H, fields=False).edge_speed_factor == 0.0)  # 300 mm closes the road
    # behind a dike both nodes and the road between them stay dry
    behind = small_net(points=((20, 30), (20, 40)), population=(0.0, 0.0))
    g = RiverFlood(behind, scene(ridge=None, east=25.1), RIVER, flat(25.2), 200.0, 0.0, dikes=[DIKE])
    node_d, edge_d = g.network_depths(H)
    assert np.all(node_d == 0) and np.all(edge_d == 0)


def test_ponds_drain_to_the_new_spill_level_after_a_breach():
    h = DesignHydrograph(22.0, 32.0, 10 * H, 10 * H)
    b = Breach(time_s=15 * H, x=X0 + 305.0, y=Y0 + 200.0, width_m=30.0)
    f = RiverFlood(small_net(), scene(ridge=None), RIVER, h, 200.0, 0.0, dikes=[DIKE], breaches=[b])
    assert f.stage(15 * H) < 31.0
    assert f.depth(15 * H - 1).values[20, 45] == pytest.approx(7.0)  # ponded at the crest
    assert f.depth(19 * H).values[20, 45] == pytest.approx(1.0)  # drained through the breach to the 25 m floodplain
    assert f.state(19 * H).node_level[3] == pytest.approx(1.0)


def test_with_hydrograph_reuses_terrain_and_matches_a_fresh_model():
    net = small_net()
    h1, h2 = DesignHydrograph(20.0, 30.8, 36 * H, 40 * H), DesignHydrograph(20.0, 35.1, 36 * H, 40 * H)
    f = RiverFlood(net, scene(ridge=None), RIVER, h1, 200.0, 0.3, dikes=[DIKE])
    g = f.with_hydrograph(h2)
    fresh = RiverFlood(net, scene(ridge=None), RIVER, h2, 200.0, 0.3, dikes=[DIKE])
    assert g._terrain is f._terrain
    for t in (20 * H, h2.peak_time_s, 60 * H):
        np.testing.assert_array_equal(g.depth(t).values, fresh.depth(t).values)
        np.testing.assert_array_equal(g.state(t).edge_speed_factor, fresh.state(t).edge_speed_factor)
    np.testing.assert_array_equal(g.first_flood_time_s(), fresh.first_flood_time_s())


# ------------------------------------------------------------------ files
def test_depth_raster_asc_round_trip_and_footprint(tmp_path):
    f = RiverFlood(small_net(), scene(), RIVER, flat(30.0), 200.0, 0.0)
    d = f.depth(H)
    back = read_asc(write_asc(d, tmp_path / "depth.asc"), crs=CRS)
    np.testing.assert_allclose(back.values, d.values, atol=1e-4)
    fc = footprint_geojson(d, tmp_path / "footprint.geojson", bands_m=(0.0, 0.3, 1.5))
    loaded = json.loads((tmp_path / "footprint.geojson").read_text())
    assert loaded["type"] == "FeatureCollection" and loaded == json.loads(json.dumps(fc))
    wet_cells = int((d.values > 0).sum())
    assert sum(ft["properties"]["cells"] for ft in loaded["features"]) == wet_cells
    deep = [ft for ft in loaded["features"] if ft["properties"]["depth_min_m"] == 1.5][0]
    assert deep["properties"]["area_m2"] == pytest.approx(deep["properties"]["cells"] * CS * CS)
    assert deep["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert all(shape(ft["geometry"]).is_valid for ft in loaded["features"])
    coords = np.array(json.dumps(deep["geometry"]["coordinates"]).replace("[", " ").replace("]", " ")
                      .replace(",", " ").split(), float).reshape(-1, 2)
    assert np.all((coords[:, 0] > 116.9) & (coords[:, 0] < 117.1) & (coords[:, 1] > 29.2) & (coords[:, 1] < 29.4))
    with pytest.raises(InputError, match="crs"):
        footprint_geojson(Raster(d.values, X0, Y0, CS))
    # the DEM may be given as an .asc path
    write_asc(scene(), tmp_path / "dem.asc")
    g = RiverFlood(small_net(), tmp_path / "dem.asc", RIVER, flat(30.0), 200.0, 0.0)
    np.testing.assert_allclose(g.depth(H).values, d.values, atol=1e-4)


# ------------------------------------------------------------------ bad input
def _flood(**kw):
    args = dict(net=small_net(), dem=scene(ridge=None), river_xy=RIVER, hydrograph=flat(30.0),
                gauge_chainage_m=200.0, surface_slope_m_per_km=0.3, dikes=[DIKE])
    args.update(kw)
    return RiverFlood(**args)


@pytest.mark.parametrize("kw, match", [
    (dict(channel=Raster(np.ones((NROWS, NCOLS + 1)), X0, Y0, CS)), "channel"),
    (dict(channel=Raster(np.ones((NROWS, NCOLS)), X0 + 5.0, Y0, CS)), "channel"),
    (dict(river_xy=[(X0 - 5000.0, Y0), (X0 - 5000.0, Y0 + 400.0)]), "river_xy"),
    (dict(river_xy=[(X0, Y0)]), "river_xy"),
    (dict(gauge_chainage_m=900.0), "gauge_chainage_m"),
    (dict(surface_slope_m_per_km=-0.2), "surface_slope_m_per_km"),
    (dict(hydrograph=DesignHydrograph(22.0, 30.0, H, H, start_s=H), breaches=[Breach(0.0, X0 + 305.0, Y0 + 200.0)]),
     r"breaches\[0\]\.time_s"),
    (dict(breaches=[Breach(H, X0 + 505.0, Y0 + 200.0)]), r"breaches\[0\].*not on a dike"),
    (dict(breaches=[Breach(H, X0 + 305.0, Y0 + 200.0, width_m=0.0)]), r"breaches\[0\]\.width_m"),
    (dict(lethal_depth_m=0.1), "lethal_depth_m"),
    (dict(affected_depth_m=-1.0), "affected_depth_m"),
    (dict(dikes=[Dike(xy=[(X0 + 305.0, Y0), (X0 + 305.0, Y0 + 400.0)], crest_m=[31.0, 32.0, 33.0])]),
     r"dikes\[0\]\.crest_m"),
    (dict(dem=Raster(scene().values, X0, Y0, CS, "EPSG:4326")), "dem"),
    (dict(hydrograph=object()), "hydrograph"),
])
def test_bad_inputs_name_the_parameter(kw, match):
    with pytest.raises(InputError, match=match):
        _flood(**kw)


@pytest.mark.parametrize("args, match", [
    ((-1.0, 30.0, H, H), "base_stage_m"),
    ((25.0, 24.0, H, H), "peak_stage_m"),
    ((22.0, 30.0, 0.0, H), "time_to_peak_s"),
    ((22.0, 30.0, H, float("inf")), "recession_s"),
])
def test_bad_design_hydrographs(args, match):
    with pytest.raises(InputError, match=match):
        DesignHydrograph(*args)


def test_bad_observed_stages():
    with pytest.raises(InputError, match="stage_m"):
        ObservedHydrograph(np.array([0.0, 1.0]), np.array([24.0, -1.0]))
    with pytest.raises(InputError, match="time"):
        ObservedHydrograph(np.array([0.0, 0.0]), np.array([24.0, 25.0]))
    with pytest.raises(InputError, match="volume_m3"):
        fill_to_volume(scene(), -1.0)
    with pytest.raises(InputError, match="source"):
        fill_to_volume(scene(), 1.0, np.zeros((3, 3), bool))


def _depths_equal_reference(f, times):
    for t in times:
        nd, ed = f.network_depths(t)
        rn, re_ = f.network_depths_reference(t)
        np.testing.assert_array_equal(nd, rn)
        np.testing.assert_array_equal(ed, re_)


@pytest.mark.parametrize("ponding", [True, False])
def test_network_depths_on_wettable_points_equal_the_full_evaluation(ponding):
    # overtopping, ponding behind the dike, a breach, and the falling limb
    h = DesignHydrograph(22.0, 32.0, 10 * H, 10 * H)
    b = Breach(time_s=15 * H, x=X0 + 305.0, y=Y0 + 200.0, width_m=30.0)
    f = RiverFlood(small_net(), scene(ridge=None), RIVER, h, 200.0, 0.0, dikes=[DIKE], breaches=[b],
                   ponding=ponding)
    times = np.arange(0, 40) * H / 2
    _depths_equal_reference(f, times)
    assert any(f.network_depths(t)[1].max() > 0 for t in times)   # the check saw water on roads


def test_network_depths_equal_the_full_evaluation_on_the_district(district):
    from sim.api import default_district_flood

    f = default_district_flood(district, engine="fill")
    times = np.arange(0, 73, 3) * H
    _depths_equal_reference(f, times)
    active = f._active(f.n_epochs - 1)[0]
    assert 0 < len(active) < len(f._terrain.pt_cell)   # the saving: only part of the points can get wet


def test_affected_people_equal_the_direct_formula(district):
    from sim.api import default_district_flood
    from network.hazard import AFFECTED, LETHAL, THREATENED

    f = default_district_flood(district, engine="fill")
    t_aff, t_leth, t_warn = f.first_flood_time_s(), f.first_flood_time_s(f.lethal_depth_m), f.warning_time_s()
    pop = district.network.population
    seen = 0
    for t in [*np.arange(0, 73, 2) * H, 30 * H, 2 * H]:   # forwards, then back in time
        a = f.affected(t)
        node = np.flatnonzero((t_warn <= t) & (pop > 0))
        sev = np.where(t_leth[node] <= t, LETHAL, np.where(t_aff[node] <= t, AFFECTED, THREATENED))
        since = np.select([sev == LETHAL, sev == AFFECTED], [t_leth[node], t_aff[node]], t_warn[node])
        np.testing.assert_array_equal(a.node, node)
        np.testing.assert_array_equal(a.severity, sev)
        np.testing.assert_array_equal(a.since_s, since)
        np.testing.assert_array_equal(a.people, pop[node])
        seen += len(node)
    assert seen > 0
