"""The river flood on the 2-D solver (sim.hazards.flood.two_d) on a small valley: mass, dikes that
hold, breaches that fill their polder progressively, the fill engine as its quick look, the
record cache, and the planner's maps and loss-of-life inputs."""
from __future__ import annotations

import numpy as np
import pytest

from network import InputError, RoadNetwork
from network.raster import Raster
from sim.hazards.flood.impact import node_mortality
from sim.hazards.flood.model import (
    Breach,
    DesignHydrograph,
    Dike,
    RiverFlood,
    max_rise_rate,
)
from sim.hazards.flood.two_d import FloodRecord, RiverFlood2D, manning_from_landcover

X0, Y0, CS = 500_000.0, 3_240_000.0, 50.0
NROWS, NCOLS = 24, 40
CRS = "EPSG:32650"
H = 3600.0
RIVER_COL, DIKE_COL = 3, 16


def valley() -> Raster:
    """A river (column 3, bed 20 m) on a floodplain rising gently east from 25 m; a polder east of
    the dike line (column 16) whose ground falls to 23.5 m, and high ground beyond column 34."""
    z = np.empty((NROWS, NCOLS))
    cols = np.arange(NCOLS)
    z[:] = 25.0 + 0.02 * cols
    z[:, RIVER_COL] = 20.0
    z[:, DIKE_COL + 1:34] = 23.5 + 0.05 * (cols[DIKE_COL + 1:34] - DIKE_COL)
    z[:, 34:] = 40.0
    z[0, :] = z[-1, :] = 40.0   # valley sides: the polder is closed north and south
    z[:, RIVER_COL] = 20.0
    return Raster(z, X0, Y0, CS, CRS)


def xy(row, col):
    return X0 + (col + 0.5) * CS, Y0 + (row + 0.5) * CS


RIVER = [xy(NROWS, RIVER_COL), xy(-1, RIVER_COL)]                    # north to south
DIKE = Dike(xy=[xy(NROWS - 1, DIKE_COL), xy(0, DIKE_COL)], crest_m=28.0)
NODES = ((12, 8), (12, 18), (12, 24), (12, 30), (4, 20))             # floodplain, polder near → far, polder north


def net() -> RoadNetwork:
    x, y = np.array([xy(r, c) for r, c in NODES]).T
    n = len(x)
    u = np.r_[np.arange(n - 1), np.arange(1, n)]
    v = np.r_[np.arange(1, n), np.arange(n - 1)]
    return RoadNetwork.from_edges(
        x=x, y=y, lon=117.0 + (x - X0) / 1e5, lat=29.28 + (y - Y0) / 1e5, u=u, v=v,
        length=np.hypot(x[u] - x[v], y[u] - y[v]), speed_kmh=np.full(len(u), 50.0),
        road_class=np.full(len(u), 5), crs=CRS, population=np.array([100.0, 200.0, 300.0, 400.0, 500.0]),
        spatial_order=False,
    )


def flood(peak: float = 27.0, engine=RiverFlood2D, breaches=(), **kw) -> RiverFlood:
    hyd = DesignHydrograph(22.0, peak, 3 * H, 3 * H)
    extra = {"manning_n": 0.04, "cache": False} if engine is RiverFlood2D else {}
    return engine(net(), valley(), RIVER, hyd, 0.0, 0.0, dikes=[DIKE], breaches=list(breaches), **{**extra, **kw})


BREACH = Breach(time_s=2 * H, x=xy(12, DIKE_COL)[0], y=xy(12, DIKE_COL)[1], width_m=100.0)


@pytest.fixture(scope="module")
def breached():
    f = flood(breaches=[BREACH])
    _ = f.record  # run once for the module
    return f


def test_mass_balance_of_the_run(breached):
    stats = breached.record.stats
    assert abs(stats["mass_error_rel"]) < 1e-9
    assert stats["steps"] > 100 and stats["cells"] == NROWS * NCOLS


def test_a_dike_higher_than_the_flood_keeps_its_polder_dry():
    f = flood(peak=27.0)
    polder = f.flood_maps([0, 6 * H])["max_depth"].values[1:-1, DIKE_COL + 1:34]
    assert np.all(polder == 0.0)
    floodplain = f.flood_maps([0, 6 * H])["max_depth"].values[1:-1, RIVER_COL + 1:DIKE_COL]
    assert floodplain.max() > 1.0   # the water stood against the dike
    # the same flood over a crest lowered below its peak: the polder takes water
    low = RiverFlood2D(net(), valley(), RIVER, f.hydrograph, 0.0, 0.0, manning_n=0.04, cache=False,
                       dikes=[Dike(DIKE.xy, 26.5)])
    assert low.flood_maps([0, 6 * H])["max_depth"].values[1:-1, DIKE_COL + 1:34].max() > 0.3


def test_a_breach_fills_its_polder_progressively(breached):
    maps = breached.flood_maps([0, 6 * H], depth_m=0.05)
    arrival = maps["arrival_h"].values
    assert np.isnan(arrival[12, DIKE_COL + 1:34]).sum() == 0          # the polder floods through the breach
    row = arrival[12, DIKE_COL + 1:34]
    assert row[0] >= 2.0 and np.all(np.diff(row) >= 0) and row[-1] > row[0] + 0.2   # later farther away
    # and later away from the breach along the dike, north and south alike
    assert arrival[4, DIKE_COL + 1] > arrival[12, DIKE_COL + 1] and arrival[20, DIKE_COL + 1] > arrival[12, DIKE_COL + 1]
    assert arrival[4, DIKE_COL + 1] == pytest.approx(arrival[20, DIKE_COL + 1], abs=0.2)
    t = breached.first_flood_time_s(0.05)
    assert t[1] < t[2] < t[3]                                         # the polder's nodes, near to far
    b = breached.record.stats["breaches"][0]
    assert b["peak_discharge_m3s"] > 0 and 10.0 < b["width_m"] <= 100.0


def test_before_the_breach_the_polder_is_dry(breached):
    d = breached.depth(2 * H - 60).values
    assert np.all(d[1:-1, DIKE_COL + 1:34] == 0.0)


def test_network_depths_match_the_raster(breached):
    for t in np.arange(0, 7) * H:
        nd, ed = breached.network_depths(t)
        rn, re = breached.network_depths_reference(t)
        np.testing.assert_allclose(nd, rn)
        np.testing.assert_allclose(ed, re)


def test_fill_is_the_quick_look_of_a_slow_flood():
    """A flood that rises over a day: the 2-D depths follow the fill's (quasi-steady) to within centimetres."""
    hyd = DesignHydrograph(22.0, 27.0, 24 * H, 24 * H)
    kw = {"dikes": [DIKE]}
    fill = RiverFlood(net(), valley(), RIVER, hyd, 0.0, 0.0, **kw)
    two = RiverFlood2D(net(), valley(), RIVER, hyd, 0.0, 0.0, manning_n=0.04, cache=False, frame_s=1800.0, **kw)
    d_fill = fill.depth(24 * H).values
    d_two = two.depth(24 * H).values
    wet = d_fill > 0
    assert np.abs(d_two[wet] - d_fill[wet]).max() < 0.05
    assert np.all(d_two[~wet] < 0.01)


def test_record_cache_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("YINGJI_CACHE", str(tmp_path))
    from sim.hazards.flood import two_d

    monkeypatch.setattr(two_d, "_MEMO", {})
    a = flood(peak=26.5)
    a.cache = True
    rec = a.record
    files = list((tmp_path / "flood2d").glob("*.npz"))
    assert len(files) == 1
    two_d._MEMO.clear()
    b = flood(peak=26.5)
    b.cache = True
    again = b.record
    assert again is not rec and np.array_equal(again.depth, rec.depth)
    files[0].write_bytes(b"not an npz")          # a broken file is recomputed, not trusted
    two_d._MEMO.clear()
    assert FloodRecord.load(files[0]) is None
    c = flood(peak=26.5)
    c.cache = True
    assert np.array_equal(c.record.depth, rec.depth)


def test_with_hydrograph_keeps_the_engine(breached):
    g = breached.with_hydrograph(DesignHydrograph(22.0, 26.0, 3 * H, 3 * H), breaches=[])
    assert isinstance(g, RiverFlood2D) and g.manning_n == breached.manning_n
    assert g.flood_maps([0, 6 * H])["max_depth"].values[1:-1, DIKE_COL + 1:34].max() == 0.0


def test_node_hazard_and_deaths(breached):
    h = breached.node_hazard([0, 8 * H])
    assert h["max_depth"][1] > 1.0 and h["max_speed"][1] > 0.0
    assert h["max_rise"][1] > h["max_rise"][3]   # near the breach the water rises fastest
    fraction, _ = node_mortality(h)
    assert np.all((fraction >= 0) & (fraction <= 1)) and fraction[1] > 0
    fill_h = flood(engine=RiverFlood, breaches=[BREACH]).node_hazard([0, 8 * H])
    assert np.all(fill_h["max_speed"] == 0.0)


def test_max_rise_rate_over_an_hour():
    t = np.arange(0, 5) * 1800.0
    d = np.array([[0.0], [0.0], [0.4], [1.4], [1.5]])
    assert max_rise_rate(t, d)[0] == pytest.approx(1.4)   # 0 → 1.4 m between 0.5 h and 1.5 h
    assert max_rise_rate(t, -d)[0] == 0.0                 # falling water does not rise


def test_manning_from_landcover_refuses_unknown_classes():
    lc = Raster(np.array([[1, 3], [2, 99]], dtype=np.int8), 0.0, 0.0, 50.0)
    with pytest.raises(InputError, match="99"):
        manning_from_landcover(lc)
    ok = manning_from_landcover(Raster(np.array([[1, 3]], dtype=np.int8), 0.0, 0.0, 50.0))
    assert ok.values[0, 0] == pytest.approx(0.035) and ok.values[0, 1] == pytest.approx(0.045)


@pytest.mark.parametrize("kw, match", [
    ({"frame_s": 0.0}, "frame_s"),
    ({"run_until_s": -10 * H}, "run_until_s"),
    ({"manning_n": -0.1}, "manning_n"),
])
def test_bad_2d_inputs_name_the_parameter(kw, match):
    with pytest.raises(InputError, match=match):
        f = flood(**kw)
        _ = f.record


def test_breach_material_is_checked():
    with pytest.raises(InputError, match="material"):
        flood(breaches=[Breach(2 * H, BREACH.x, BREACH.y, 100.0, material="granite")])
