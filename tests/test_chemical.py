"""Chemical release: plume / puff physics against docs/references/hazards.md §3, kernels, zones, the hazard."""
from __future__ import annotations

import json
import math
import warnings

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from network import InputError, RoadNetwork
from network.projection import to_lonlat, to_projected
from network.hazard import AFFECTED, LETHAL, THREATENED
from sim.hazards.chemical import kernels as K
from sim.hazards.chemical.model import (
    PLUME_SIGMAS, STABILITY_CLASSES, ChemicalModelWarning, ChemicalRelease, g_m3_to_ppm, gaussian_plume,
    gaussian_plume_fast, gaussian_puff, get_chemical, load_chemicals, mg_m3_to_ppm, pasquill_gifford_class,
    plume_threat_zones, ppm_to_mg_m3, puff_sum, sigma_y, sigma_z, write_threat_zones_geojson)

CRS = "EPSG:32650"


# ------------------------------------------------------------------ sigmas (docs/references/hazards.md §3.3)
SPOT = {  # (set, class): {x: (sigma_y, sigma_z)}  [C], given to 2 decimals
    ("briggs-rural", "A"): {100: (21.89, 20.00), 500: (107.35, 100.0), 1000: (209.76, 200.0), 5000: (898.15, 1000.0)},
    ("briggs-rural", "D"): {100: (7.96, 5.60), 500: (39.04, 22.68), 1000: (76.28, 37.95), 5000: (326.60, 102.90)},
    ("briggs-rural", "F"): {100: (3.98, 1.55), 500: (19.52, 6.96), 1000: (38.14, 12.31), 5000: (163.30, 32.00)},
    ("briggs-urban", "D"): {100: (15.69, 13.79), 500: (73.03, 65.28), 1000: (135.22, 122.79), 5000: (461.88, 442.72)},
    ("briggs-urban", "E"): {100: (10.79, 7.46), 500: (50.21, 30.24), 1000: (92.97, 50.60), 5000: (317.54, 137.20)},
    ("briggs-urban", "F"): {100: (10.79, 7.46), 500: (50.21, 30.24), 1000: (92.97, 50.60), 5000: (317.54, 137.20)},
}


@pytest.mark.parametrize("key", list(SPOT))
def test_briggs_spot_values(key):
    sigmas, cls = key
    for x, (sy, sz) in SPOT[key].items():
        assert sigma_y(x, cls, sigmas) == pytest.approx(sy, abs=0.006)
        assert sigma_z(x, cls, sigmas) == pytest.approx(sz, abs=0.006)


def test_briggs_at_1_2_m_matches_gasdispersion_ccps_tests():
    # [I] GasDispersion.jl test/utils/ccps_tests.jl, 6 significant figures
    rural_y = {"A": 0.263984, "D": 0.095994, "F": 0.047997}
    rural_z = {"A": 0.24, "D": 0.071935, "F": 0.019193}
    for c in "ADF":
        assert sigma_y(1.2, c, "briggs-rural") == pytest.approx(rural_y[c], rel=1e-5)
        assert sigma_z(1.2, c, "briggs-rural") == pytest.approx(rural_z[c], rel=1e-5)
    assert sigma_y(1.2, "A", "briggs-urban") == pytest.approx(0.383908, rel=1e-5)
    assert sigma_y(1.2, "D", "briggs-urban") == pytest.approx(0.191954, rel=1e-5)
    assert sigma_z(1.2, "D", "briggs-urban") == pytest.approx(0.167970, rel=1e-5)
    assert sigma_z(1.2, "F", "briggs-urban") == pytest.approx(0.095914, rel=1e-5)


def test_sigmas_vectorised_and_zero_upwind():
    x = np.array([-10.0, 0.0, 100.0])
    for s in PLUME_SIGMAS:
        sy, sz = sigma_y(x, "D", s), sigma_z(x, "D", s)
        assert sy.shape == (3,) and sy[0] == sy[1] == 0.0 and sz[1] == 0.0 and sy[2] > 0 and sz[2] > 0


# ------------------------------------------------------------------ worked plume examples (docs/references/hazards.md §3.5)
def test_e2_elevated_briggs_rural():
    c = gaussian_plume(5.0, 2.0, 1000.0, 0.0, 0.0, release_height_m=30.0, stability="D", sigmas="briggs-rural")
    assert c * 1e6 == pytest.approx(201.14, rel=1e-3)


def test_e3_isc3_turner_sigmas():
    assert sigma_y(500.0, "D", "isc3") == pytest.approx(36.146, rel=1e-4)
    assert sigma_z(500.0, "D", "isc3") == pytest.approx(18.297, rel=1e-4)
    c = gaussian_plume(10.0, 6.0, 500.0, 0.0, 0.0, release_height_m=50.0, stability="D", sigmas="isc3")
    assert c == pytest.approx(1.92e-5, rel=5e-3)  # published, 3 significant figures
    assert c * 1e6 == pytest.approx(19.17, rel=1e-3)  # [C]
    briggs = gaussian_plume(10.0, 6.0, 500.0, 0.0, 0.0, release_height_m=50.0, stability="D")
    assert briggs * 1e6 == pytest.approx(52.7, rel=1e-3)


def test_e4_turner_problem_1():
    assert pasquill_gifford_class(7.0, day=False, cloud_oktas=8) == "D"  # overcast night
    assert sigma_y(3000.0, "D", "isc3") == pytest.approx(184.6, rel=1e-3)
    assert sigma_z(3000.0, "D", "isc3") == pytest.approx(65.1, rel=1e-3)
    isc3 = gaussian_plume(3.0, 7.0, 3000.0, 0.0, 0.0, 0.0, "D", "isc3")
    assert isc3 == pytest.approx(1.13e-5, rel=5e-3)
    assert isc3 == pytest.approx(1.1e-5, rel=0.05)  # Turner's graph-read answer [M]
    assert gaussian_plume(3.0, 7.0, 3000.0, 0.0, 0.0, 0.0, "D") == pytest.approx(8.4e-6, abs=0.05e-6)  # 2 sig. figs


def test_e5_ccps_ground_release_f():
    assert sigma_y(500.0, "F") == pytest.approx(19.52, rel=1e-3)
    assert sigma_z(500.0, "F") == pytest.approx(6.957, rel=1e-3)
    c = gaussian_plume(100.0, 2.0, 500.0, 0.0, 0.0, 0.0, "F", "briggs-rural")  # 0.1 kg/s in g/s -> g/m3
    assert c / 1000.0 == pytest.approx(1.172e-4, rel=1e-3)
    assert g_m3_to_ppm(c, 30.0) == pytest.approx(95.5, rel=1e-3)


def test_ground_reflection_doubles_ground_release():
    x = np.array([150.0, 700.0, 3000.0])
    for s in PLUME_SIGMAS:
        c = gaussian_plume(7.0, 3.0, x, 0.0, 0.0, 0.0, "C", s)
        unreflected = 7.0 / (2 * math.pi * 3.0 * sigma_y(x, "C", s) * sigma_z(x, "C", s))
        np.testing.assert_allclose(c, 2.0 * unreflected, rtol=1e-14)


def test_plume_carries_the_release_rate():
    # flux through a crosswind plane above ground: u * integral C dy dz == Q
    x, q, u = 800.0, 50.0, 4.0
    sy, sz = sigma_y(x, "D"), sigma_z(x, "D")
    y = np.linspace(-8 * sy, 8 * sy, 801)
    z = np.linspace(0.0, 25 + 8 * sz, 801)
    c = gaussian_plume(q, u, x, y[:, None], z[None, :], 25.0, "D")
    flux = u * np.trapezoid(np.trapezoid(c, z, axis=1), y)
    assert flux == pytest.approx(q, rel=1e-4)


def test_elevated_maximum_textbook():
    # C_max = 2Q/(pi e u H^2) (sigma_z/sigma_y) at sigma_z = H/sqrt2, for a constant sigma ratio: Briggs rural B
    # has sigma_y/sigma_z = 4/3 / sqrt(1+1e-4 x), so take a low stack where x at the maximum is small
    q, u, h = 10.0, 4.0, 6.0
    x = np.linspace(10, 300, 20001)
    c = gaussian_plume(q, u, x, 0.0, 0.0, h, "B")
    i = int(np.argmax(c))
    ratio = sigma_z(x[i], "B") / sigma_y(x[i], "B")
    assert sigma_z(x[i], "B") == pytest.approx(h / math.sqrt(2), rel=0.01)
    assert c[i] == pytest.approx(2 * q / (math.pi * math.e * u * h * h) * ratio, rel=1e-3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=st.floats(1.0, 20_000.0), y=st.floats(0.0, 3000.0), z=st.floats(0.0, 100.0), h=st.floats(0.0, 100.0),
       cls=st.sampled_from(STABILITY_CLASSES), sig=st.sampled_from(PLUME_SIGMAS))
def test_plume_symmetric_in_y(x, y, z, h, cls, sig):
    a = gaussian_plume(3.0, 2.5, x, y, z, h, cls, sig)
    b = gaussian_plume(3.0, 2.5, x, -y, z, h, cls, sig)
    assert a == b and a >= 0.0
    assert gaussian_plume(3.0, 2.5, -x, y, z, h, cls, sig) == 0.0


# ------------------------------------------------------------------ numba kernel == numpy reference
@pytest.mark.parametrize("sig", PLUME_SIGMAS)
def test_plume_kernel_matches_numpy(sig):
    rng = np.random.default_rng(5)
    n = 20_000
    x = rng.uniform(-500.0, 40_000.0, n)
    y = rng.uniform(-4000.0, 4000.0, n)
    zz = rng.uniform(0.0, 60.0, n)
    for cls in STABILITY_CLASSES:
        for z in (1.5, zz):
            ref = gaussian_plume(12.0, 2.2, x, y, z, 20.0, cls, sig)
            fast = gaussian_plume_fast(12.0, 2.2, x, y, z, 20.0, cls, sig)
            nz = ref > 0
            assert np.array_equal(nz, fast > 0)
            assert np.max(np.abs(fast[nz] - ref[nz]) / ref[nz]) <= 1e-12


def test_vectorised_exp_within_one_ulp_of_numpy():
    a = np.concatenate([-np.geomspace(1e-12, 700.0, 200_000), [0.0, -700.0, -700.5, -1e4]])
    out, bits = np.empty_like(a), np.empty(a.size, np.int64)
    K.exp_cut_block(a, a.size, out, bits)
    ref = np.exp(a)
    keep = a >= K.EXP_CUT
    assert np.all(np.abs(out[keep] - ref[keep]) <= np.spacing(ref[keep]))
    assert np.all(out[~keep] == 0.0) and out[-4] == 1.0


def test_plume_kernel_front_and_tail_window():
    x = np.linspace(-50, 3000, 500)
    y = np.zeros_like(x)
    full = gaussian_plume(1.0, 3.0, x, y)
    part = gaussian_plume_fast(1.0, 3.0, x, y, x_lo_m=600.0, x_hi_m=1800.0)
    keep = (x > 600.0) & (x <= 1800.0)
    np.testing.assert_allclose(part[keep], full[keep], rtol=1e-12)
    assert np.all(part[~keep] == 0.0)


def test_puff_sum_matches_numpy_sum_of_puffs():
    rng = np.random.default_rng(9)
    rx, ry = rng.uniform(-200, 1200, 3000), rng.uniform(-400, 400, 3000)
    cx, cy = rng.uniform(0, 1000, 40), rng.uniform(-100, 100, 40)
    m, sy, sz = rng.uniform(1, 50, 40), rng.uniform(5, 60, 40), rng.uniform(3, 30, 40)
    fast = puff_sum(rx, ry, cx, cy, m, sy, sz, z_m=1.5, release_height_m=4.0, cutoff=1e9)
    dx, dy = rx[:, None] - cx[None, :], ry[:, None] - cy[None, :]
    vz = np.exp(-((1.5 - 4.0) ** 2) / (2 * sz**2)) + np.exp(-((1.5 + 4.0) ** 2) / (2 * sz**2))
    ref = (m / ((2 * np.pi) ** 1.5 * sy * sy * sz) * np.exp(-(dx**2 + dy**2) / (2 * sy**2)) * vz).sum(axis=1)
    np.testing.assert_allclose(fast, ref, rtol=1e-12)


# ------------------------------------------------------------------ puffs (docs/references/hazards.md §3.6)
def test_ccps_puff_worked_example():
    assert sigma_y(500.0, "F", "ccps-puff") == pytest.approx(5.0479, rel=1e-4)
    assert sigma_z(500.0, "F", "ccps-puff") == pytest.approx(2.2148, rel=1e-4)
    peak = gaussian_puff(1.0, 2.0, 500.0, 0.0, 250.0, 0.0, 0.0, "F")  # 1 kg -> kg/m3
    assert peak == pytest.approx(2.250e-3, rel=1e-3)
    assert gaussian_puff(1.0, 2.0, 500.0, 0.0, 0.0) == 0.0


def test_puff_integrates_to_released_mass():
    m, u, t, h = 250.0, 3.0, 300.0, 5.0
    xc = u * t
    sy, sz = sigma_y(xc, "D", "ccps-puff"), sigma_z(xc, "D", "ccps-puff")
    x = np.linspace(xc - 8 * sy, xc + 8 * sy, 161)
    y = np.linspace(-8 * sy, 8 * sy, 161)
    z = np.linspace(0.0, h + 8 * sz, 161)
    c = gaussian_puff(m, u, x[:, None, None], y[None, :, None], t, z[None, None, :], h, "D")
    total = np.trapezoid(np.trapezoid(np.trapezoid(c, z, axis=2), y, axis=1), x)
    assert total == pytest.approx(m, rel=1e-3)


def test_segment_kernel_catches_the_passing_peak():
    # one puff moving along +x past a receptor: peak at closest approach, mean = time average
    m, u, t0, t1 = 1000.0, 2.0, 240.0, 260.0
    s = np.array([u * t0, u * t1])
    sy, sz = sigma_y(s, "F", "ccps-puff"), sigma_z(s, "F", "ccps-puff")
    peak, mean = np.empty(1), np.empty(1)
    one = lambda v: np.array([float(v)])  # noqa: E731
    K.puff_segment_kernel(one(500.0), one(0.0), 0.0, 0.0, one(s[0]), one(0.0), one(s[1]), one(0.0), one(m),
                          one(sy[0]), one(sy[1]), one(sz[0]), one(sz[1]), 10.0, peak, mean)
    assert peak[0] == pytest.approx(gaussian_puff(m, u, 500.0, 0.0, 250.0, 0.0, 0.0, "F"), rel=2e-3)
    ts = np.linspace(t0, t1, 20001)
    dense = np.array([gaussian_puff(m, u, 500.0, 0.0, t, 0.0, 0.0, "F") for t in ts[::10]])
    assert mean[0] == pytest.approx(np.trapezoid(dense, ts[::10]) / (t1 - t0), rel=2e-2)
    assert peak[0] >= dense.max() * 0.999


# ------------------------------------------------------------------ stability (docs/references/hazards.md §3.2)
DAY = {"strong": ["A", "A-B", "B", "C", "C"], "moderate": ["A-B", "B", "B-C", "C-D", "D"],
       "slight": ["B", "C", "C", "D", "D"]}
NIGHT = {5: ["E", "E", "D", "D", "D"], 2: ["F", "F", "E", "D", "D"]}
SPEEDS = [1.5, 2.5, 4.0, 5.5, 7.0]


def test_pasquill_gifford_table():
    for ins, row in DAY.items():
        for u, cell in zip(SPEEDS, row):
            assert pasquill_gifford_class(u, insolation=ins, mixed="keep") == cell
            assert pasquill_gifford_class(u, insolation=ins) == cell[-1]
            assert pasquill_gifford_class(u, insolation=ins, mixed="unstable") == cell[0]
    for oktas, row in NIGHT.items():
        for u, cell in zip(SPEEDS, row):
            assert pasquill_gifford_class(u, day=False, cloud_oktas=oktas) == cell
    assert pasquill_gifford_class(7.0, insolation="moderate") == "D"  # De Visscher Ex. 2.1
    assert pasquill_gifford_class(1.0, insolation="overcast") == "D"
    assert pasquill_gifford_class(1.0, day=False, cloud_oktas=8) == "D"
    assert pasquill_gifford_class(1.0, day=False) == "F"  # clear night default
    with pytest.raises(InputError, match="insolation"):
        pasquill_gifford_class(3.0, insolation="blazing")
    with pytest.raises(InputError, match="cloud_oktas"):
        pasquill_gifford_class(3.0, day=False, cloud_oktas=9)


# ------------------------------------------------------------------ chemicals and AEGLs (docs/references/hazards.md §3.8)
def test_aegl_tables_and_units():
    cl, nh3 = get_chemical("chlorine"), get_chemical("ammonia")
    assert cl.aegl_ppm == {1: (0.5,) * 5, 2: (2.8, 2.8, 2.0, 1.0, 0.71), 3: (50.0, 28.0, 20.0, 10.0, 7.1)}
    assert nh3.aegl_ppm == {1: (30.0,) * 5, 2: (220.0, 220.0, 160.0, 110.0, 110.0),
                            3: (2700.0, 1600.0, 1100.0, 550.0, 390.0)}
    assert cl.levels_of_concern() == (0.5, 2.0, 20.0)  # ALOHA chlorine defaults
    assert nh3.levels_of_concern("60min") == (30.0, 160.0, 1100.0)
    assert cl.aegl(3, "10min") == 50.0 and nh3.aegl(2, 14400) == 110.0
    assert ppm_to_mg_m3(1.0, cl.molecular_weight) == pytest.approx(2.90, abs=0.005)
    assert ppm_to_mg_m3(1.0, nh3.molecular_weight) == pytest.approx(0.697, abs=0.0005)
    assert mg_m3_to_ppm(ppm_to_mg_m3(3.3, 64.07), 64.07) == pytest.approx(3.3)
    for name in ("氯气", "Cl2", "7782-50-5", "CHLORINE", "氨气", "hydrogen sulphide", "二氧化硫", "HCl"):
        assert get_chemical(name).key in load_chemicals()
    for chem in load_chemicals().values():  # each table is complete, ordered and cites a source
        a1, a2, a3 = (np.array(chem.aegl_ppm[k]) for k in (1, 2, 3))
        assert np.all(a1 <= a2) and np.all(a2 <= a3) and chem.source and chem.name_zh and chem.molecular_weight > 0
    with pytest.raises(InputError, match="known: .*Chlorine") as e:
        get_chemical("phosgene")
    assert "Ammonia" in str(e.value)


# ------------------------------------------------------------------ threat zones (docs/references/hazards.md §3.9)
def test_plume_zones_nest_and_match_half_width():
    cl = get_chemical("chlorine")
    zones = plume_threat_zones(500.0, 3.0, 270.0, (0.0, 0.0), cl.molecular_weight, cl.levels_of_concern(),
                               stability="D")
    red, orange, yellow = (zones[c].polygon for c in ("red", "orange", "yellow"))
    assert red.area > 0 and red.difference(orange).area < 1e-6 and orange.difference(yellow).area < 1e-6
    assert red.area < orange.area < yellow.area
    # wind from the west: the zones run east of the source
    assert yellow.bounds[0] >= -1.0 and yellow.bounds[2] == pytest.approx(zones["yellow"].extent_m, rel=1e-3)
    # centreline extent solves C(x,0,0) = LOC; half-width at x is sigma_y sqrt(2 ln(C/LOC))
    x_end = zones["orange"].extent_m
    c_end = g_m3_to_ppm(gaussian_plume(500.0, 3.0, x_end, 0.0), cl.molecular_weight)
    assert c_end == pytest.approx(2.0, rel=5e-3)
    x = 400.0
    c0 = g_m3_to_ppm(gaussian_plume(500.0, 3.0, x, 0.0), cl.molecular_weight)
    hw = sigma_y(x, "D") * math.sqrt(2 * math.log(c0 / 2.0))
    from shapely.geometry import LineString
    cut = LineString([(x, -5000), (x, 5000)]).intersection(orange)
    assert cut.length / 2 == pytest.approx(hw, rel=2e-3)


def test_geojson_in_lonlat(tmp_path):
    x0, y0 = to_projected(117.2, 29.3, CRS)
    cl = get_chemical("chlorine")
    zones = plume_threat_zones(200.0, 2.0, 45.0, (float(x0), float(y0)), cl.molecular_weight,
                               cl.levels_of_concern(), stability="E")
    path = write_threat_zones_geojson(zones, tmp_path / "zones.geojson", CRS, properties={"chemical": "氯气"})
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    assert [f["properties"]["zone"] for f in doc["features"]] == ["yellow", "orange", "red"]
    assert [f["properties"]["threshold_ppm"] for f in doc["features"]] == [0.5, 2.0, 20.0]
    ring = np.array(doc["features"][0]["geometry"]["coordinates"][0])
    assert np.all(np.abs(ring[:, 0] - 117.2) < 0.2) and np.all(np.abs(ring[:, 1] - 29.3) < 0.2)
    # wind from the north-east: the zone lies south-west of the source
    assert ring[:, 0].mean() < 117.2 and ring[:, 1].mean() < 29.3


# ------------------------------------------------------------------ the hazard on a road network
def grid_net(n: int = 31, spacing: float = 100.0) -> RoadNetwork:
    """n x n grid of two-way streets ``spacing`` m apart, south-west corner at lon 117.2, lat 29.3."""
    x0, y0 = to_projected(117.2, 29.3, CRS)
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    x, y = x0 + jj.ravel() * spacing, y0 + ii.ravel() * spacing
    lon, lat = to_lonlat(x, y, CRS)
    k = np.arange(n * n).reshape(n, n)
    h = np.stack([k[:, :-1].ravel(), k[:, 1:].ravel()])
    v = np.stack([k[:-1, :].ravel(), k[1:, :].ravel()])
    a = np.concatenate([h, v], axis=1)
    u, w = np.concatenate([a[0], a[1]]), np.concatenate([a[1], a[0]])
    m = len(u)
    return RoadNetwork.from_edges(x=x, y=y, lon=lon, lat=lat, u=u, v=w, length=np.full(m, spacing),
                                  speed_kmh=np.full(m, 30.0), road_class=np.full(m, 5), crs=CRS,
                                  population=np.full(n * n, 20.0))


@pytest.fixture(scope="module")
def net() -> RoadNetwork:
    return grid_net()


def _source(net):
    return float(net.x.min() + 300.0), float(net.y.min() + 1500.0)  # on a street, west side


def test_hazard_closes_red_zone_edges_and_lists_affected(net):
    src = _source(net)
    haz = ChemicalRelease(net, src, "chlorine", rate_g_s=800.0, duration_s=1800.0, wind=(3.0, 270.0), stability="D")
    assert haz.model == "plume" and haz.warnings == []
    s0 = haz.state(0.0)
    assert s0.node_level.max() == 0.0 and s0.affected.node.size == 0 and np.all(s0.edge_speed_factor == 1.0)

    t = 1500.0  # front at 4.5 km: the steady footprint covers the grid
    s = haz.state(t)
    zones = haz.threat_zones()
    red = zones["red"].polygon
    from shapely import points
    mx = 0.5 * (net.x[net.edge_source] + net.x[net.indices])
    my = 0.5 * (net.y[net.edge_source] + net.y[net.indices])
    inside = red.buffer(-2.0).contains(points(mx, my))
    outside = ~red.buffer(2.0).intersects(points(mx, my)) & ~red.buffer(2.0).contains(
        points(net.x[net.edge_source], net.y[net.edge_source])) & ~red.buffer(2.0).contains(
        points(net.x[net.indices], net.y[net.indices]))
    assert inside.sum() > 0
    assert np.all(s.edge_speed_factor[inside] == 0.0) and np.all(s.edge_speed_factor[outside] == 1.0)
    assert set(haz.hazmat_only_edges(t)) == set(np.flatnonzero(s.edge_speed_factor == 0.0))

    aff = s.affected
    ppm = s.node_level
    locs = get_chemical("chlorine").levels_of_concern()
    for sev, lo, hi in ((THREATENED, locs[0], locs[1]), (AFFECTED, locs[1], locs[2]), (LETHAL, locs[2], np.inf)):
        expect = np.flatnonzero((ppm >= lo) & (ppm < hi))
        assert set(aff.node[aff.severity == sev]) == set(expect)
    assert np.all(aff.people == 20.0)
    # time first reached: the front arrives at x / u
    downwind = net.x[aff.node] - src[0]
    np.testing.assert_allclose(aff.since_s, downwind / 3.0, rtol=1e-9)


def test_hazard_front_travel_and_tail(net):
    src = _source(net)
    haz = ChemicalRelease(net, src, "ammonia", rate_g_s=5000.0, duration_s=600.0, wind=(2.0, 270.0),
                          stability="D", start_s=100.0)
    x = net.x - src[0]
    s = haz.state(100.0 + 425.0)  # front at 850 m
    assert np.all(s.node_level[x > 850.0] == 0.0) and s.node_level[(x > 0) & (x <= 850.0)].max() > 0
    s = haz.state(100.0 + 1025.0)  # release stopped at 700 s: the tail is at 850 m, the front at 2050 m
    lit = s.node_level > 0
    assert np.all((x[lit] > 850.0) & (x[lit] <= 2050.0))
    assert haz.state(100.0 + 1025.0).affected.node.size >= haz.state(100.0 + 425.0).affected.node.size


def test_shelter_in_place_lowers_severity(net):
    src = _source(net)
    kw = dict(rate_g_s=800.0, duration_s=900.0, wind=(3.0, 270.0), stability="D")
    ev = ChemicalRelease(net, src, "chlorine", **kw).state(3000.0).affected
    sh = ChemicalRelease(net, src, "chlorine", protective_action="shelter", **kw).state(3000.0).affected
    assert set(sh.node) == set(ev.node)  # everyone in the outdoor AEGL-1 zone still counts as threatened
    assert (sh.severity == LETHAL).sum() < (ev.severity == LETHAL).sum()
    assert sh.severity.sum() < ev.severity.sum()


def test_concentration_raster_for_maps(net):
    src = _source(net)
    haz = ChemicalRelease(net, src, "chlorine", rate_g_s=800.0, duration_s=1800.0, wind=(3.0, 270.0), stability="D")
    r = haz.concentration_raster(900.0, cellsize_m=100.0, half_size_m=1000.0)
    assert r.shape == (20, 20) and r.crs == CRS
    row, col = np.unravel_index(np.argmax(r.values), r.shape)
    cx, cy = r.cell_centres()
    assert cx[col] > src[0] and abs(cy[row] - src[1]) <= 100.0  # east of the source, on the axis
    assert np.all(r.values[:, cx < src[0]] == 0.0)  # nothing upwind


def test_instantaneous_puff_on_network(net):
    src = _source(net)
    haz = ChemicalRelease(net, src, "chlorine", mass_kg=300.0, wind=(2.5, 270.0), stability="D", time_step_s=30.0)
    assert haz.model == "puff"
    on_axis = np.flatnonzero((np.abs(net.y - src[1]) < 1.0) & (net.x - src[0] > 200.0))
    s = haz.state(900.0)
    lethal = set(s.affected.node[s.affected.severity == LETHAL])
    assert lethal and lethal <= set(np.flatnonzero(np.abs(net.y - src[1]) < 400.0))
    # first reached within one grid step after the puff's leading edge passes AEGL-3 (dense reference)
    pos = {n: i for i, n in enumerate(s.affected.node)}
    red_g_m3 = ppm_to_mg_m3(20.0, get_chemical("chlorine").molecular_weight) / 1000.0
    checked = 0
    for n in on_axis:
        if n in pos and s.affected.severity[pos[n]] == LETHAL and checked < 4:
            ts = np.arange(1.0, (net.x[n] - src[0]) / 2.5 + 1.0, 0.25)
            c = np.array([gaussian_puff(3e5, 2.5, net.x[n] - src[0], 0.0, t, 0.0, 0.0, "D") for t in ts])
            t_true = ts[np.argmax(c >= red_g_m3)]
            assert t_true - 1.0 <= s.affected.since_s[pos[n]] <= t_true + 30.0 + 1.0
            checked += 1
    assert checked >= 3
    # the peak is caught between grid steps: the record does not depend on the grid
    fine = ChemicalRelease(net, src, "chlorine", mass_kg=300.0, wind=(2.5, 270.0), stability="D", time_step_s=7.0)
    fa = fine.state(900.0).affected
    assert set(fa.node[fa.severity == LETHAL]) == lethal


def test_puff_train_rebuilds_the_plume_in_steady_wind(net):
    src = _source(net)
    kw = dict(rate_g_s=500.0, duration_s=1200.0, stability="D")
    plume = ChemicalRelease(net, src, "chlorine", wind=(3.0, 270.0), **kw)
    train = ChemicalRelease(net, src, "chlorine", wind=(3.0, 270.0), model="puff-train", puff_spacing_m=10.0, **kw)
    x = net.x - src[0]
    probe = np.flatnonzero((x >= 600.0) & (x <= 1500.0) & (np.abs(net.y - src[1]) <= 100.0))
    a, b = plume.state(900.0).node_level[probe], train.state(900.0).node_level[probe]
    np.testing.assert_allclose(b, a, rtol=0.05)


def test_wind_shift_bends_the_footprint(net):
    src = _source(net)
    kw = dict(rate_g_s=500.0, duration_s=1800.0, stability="D", time_step_s=60.0)
    steady = ChemicalRelease(net, src, "chlorine", wind=[(0.0, 3.0, 270.0), (600.0, 3.0, 270.0)], **kw)
    assert steady.model == "plume"  # same wind twice is no shift
    shifted = ChemicalRelease(net, src, "chlorine", wind=[(0.0, 3.0, 270.0), (600.0, 3.0, 180.0)], **kw)
    assert shifted.model == "puff-train"
    t = 1500.0
    a, b = steady.state(t).node_level, shifted.state(t).node_level
    north = net.y - src[1] > 600.0
    assert a[north].max() < 1e-2  # ppm: the steady plume stays on its axis, blowing east
    assert b[north].max() > 2.0  # after the shift the plume turns north: AEGL-2 there
    zones = shifted.threat_zones(1800.0, cellsize_m=50.0)
    red, orange, yellow = (zones[c].polygon for c in ("red", "orange", "yellow"))
    assert red.difference(orange).area < 1e-6 and orange.difference(yellow).area < 1e-6
    assert yellow.bounds[3] > src[1] + 1000.0  # the footprint reaches north of the source
    assert yellow.bounds[2] > src[0] + 1000.0  # and east, from before the shift
    straight = steady.threat_zones(1800.0)["yellow"].polygon
    assert straight.bounds[3] < src[1] + 1000.0


def test_limits_warn_and_record(net):
    src = _source(net)
    with pytest.warns(ChemicalModelWarning, match="below 1.3 m/s"):
        h = ChemicalRelease(net, src, "chlorine", rate_g_s=1.0, duration_s=60.0, wind=(1.2, 0.0), stability="D")
    assert any("1.3 m/s" in w for w in h.warnings)
    with pytest.warns(ChemicalModelWarning, match="class F"):
        h = ChemicalRelease(net, src, "chlorine", rate_g_s=1.0, duration_s=60.0, wind=(1.5, 0.0), day=False)
    assert h.stability == "F"
    with pytest.warns(ChemicalModelWarning, match="60 min"):
        ChemicalRelease(net, src, "chlorine", rate_g_s=1.0, duration_s=7200.0, wind=(3.0, 0.0), stability="D")
    with pytest.warns(ChemicalModelWarning, match="10 km"):
        h = ChemicalRelease(net, src, "chlorine", rate_g_s=5e4, duration_s=600.0, wind=(3.0, 0.0), stability="F")
    yellow = h.threat_zones()["yellow"]
    assert yellow.truncated and src[1] - yellow.polygon.bounds[1] <= 10_000.0 + 1e-6  # cut 10 km downwind (south)
    h = ChemicalRelease(net, src, "chlorine", rate_g_s=1.0, duration_s=60.0, wind=(3.0, 0.0), stability="D")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h.state(3000.0)
    with pytest.warns(ChemicalModelWarning, match="more than 60 min"):
        h.state(4000.0)
    assert len(h.warnings) == 1


BAD = [
    (dict(wind=(0.0, 90.0)), "speed_m_s"),
    (dict(wind=(-2.0, 90.0)), "speed_m_s"),
    (dict(wind=(0.6, 90.0)), "calm"),
    (dict(wind=(3.0, float("nan"))), "direction_deg"),
    (dict(wind="north"), "wind"),
    (dict(wind=[(0.0, 3.0)]), "wind schedule"),
    (dict(substance="phosgene"), "known: "),
    (dict(source_xy=(0.0, 0.0)), "source_xy"),
    (dict(source_xy="here"), "source_xy"),
    (dict(rate_g_s=-5.0), "rate_g_s"),
    (dict(rate_g_s=float("inf")), "rate_g_s"),
    (dict(rate_g_s=None, mass_kg=-1.0, duration_s=None), "mass_kg"),
    (dict(mass_kg=10.0), "exactly one"),
    (dict(rate_g_s=None), "exactly one"),
    (dict(duration_s=None), "duration_s"),
    (dict(duration_s=-10.0), "duration_s"),
    (dict(release_height_m=-1.0), "release_height_m"),
    (dict(stability="G"), "stability"),
    (dict(sigmas="pasquill"), "sigmas"),
    (dict(protective_action="run"), "protective_action"),
    (dict(aegl_duration="2h"), "aegl_duration"),
    (dict(model="lagrangian"), "model"),
    (dict(start_s=float("nan")), "start_s"),
]


@pytest.mark.parametrize("change, word", BAD, ids=[w for _, w in BAD])
def test_bad_input_names_the_parameter(net, change, word):
    kw = dict(source_xy=_source(net), substance="chlorine", rate_g_s=10.0, duration_s=600.0,
              wind=(3.0, 90.0), stability="D")
    kw.update(change)
    with pytest.raises(InputError, match=word):
        ChemicalRelease(net, **kw)


def test_bad_input_to_plain_functions():
    with pytest.raises(InputError, match="u_m_s"):
        gaussian_plume(1.0, 0.0, 100.0, 0.0)
    with pytest.raises(InputError, match="q_g_s"):
        gaussian_plume(-1.0, 2.0, 100.0, 0.0)
    with pytest.raises(InputError, match="stability"):
        sigma_y(100.0, "Z")
    with pytest.raises(InputError, match="sigmas"):
        gaussian_plume(1.0, 2.0, 100.0, 0.0, sigmas="ccps-puff")
    with pytest.raises(InputError, match="mass_g"):
        gaussian_puff(-1.0, 2.0, 100.0, 0.0, 10.0)
    with pytest.raises(InputError, match="net"):
        ChemicalRelease(None, (0, 0), "chlorine", rate_g_s=1.0, duration_s=1.0, wind=(2.0, 0.0))


def test_auto_protective_action_evacuates_only_where_it_finishes_first(net):
    """"auto": a node of the forecast AEGL-2 zone evacuates exactly when detection + the lead
    time + the trip out of the zone at the evacuees' speed comes before AEGL-2 arrives; the rest
    of the forecast zone shelters in place, and its severity follows the indoor concentration."""
    src = _source(net)
    kw = dict(rate_g_s=800.0, duration_s=1800.0, wind=(2.0, 270.0), stability="D")
    haz = ChemicalRelease(net, src, "chlorine", protective_action="auto", evacuation_lead_min=10.0, **kw)
    inside = haz.sheltering_nodes()
    first = haz.forecast_first()
    zone2 = np.isfinite(first[1])
    # the trip out, checked against networkx on the same free-flow times at half speed
    g = nx.DiGraph()
    w = net.travel_times() / 0.5
    for u, v, t in zip(net.edge_source, net.indices, w):
        g.add_edge(int(u), int(v), t=float(t))
    out = set(np.flatnonzero(~zone2).tolist())
    dist = nx.multi_source_dijkstra_path_length(g.reverse(), out, weight="t")
    evac = zone2 & ~inside
    for n in np.flatnonzero(zone2):
        finish = haz.detected_s + 600.0 + dist.get(int(n), math.inf)
        assert evac[n] == (finish < first[1][n])
    assert evac.any() and (zone2 & inside).any()             # far downwind leave, near the source stay
    x = net.x - src[0]
    assert x[evac].min() > x[zone2 & inside].min()
    assert not inside[~np.isfinite(first[0])].any()          # nobody outside the forecast zone is told anything
    # a longer lead time can only move nodes from evacuation to shelter
    slow = ChemicalRelease(net, src, "chlorine", protective_action="auto", evacuation_lead_min=30.0, **kw)
    assert np.all(slow.sheltering_nodes() >= inside) and slow.sheltering_nodes().sum() > inside.sum()
    # severity: indoor where they shelter, outdoor where they leave
    s = haz.state(3000.0).affected
    ev = ChemicalRelease(net, src, "chlorine", **kw).state(3000.0).affected
    sev, sev_out = dict(zip(s.node.tolist(), s.severity.tolist())), dict(zip(ev.node.tolist(), ev.severity.tolist()))
    assert all(sev[n] == sev_out[n] for n in sev if evac[n])
    assert sum(sev.values()) < sum(sev_out.values())


def test_people_told_to_shelter_stay_home_and_are_not_counted_for_relief():
    from scenarios.core.runner import run_scenario
    from scenarios.core.spec import load_scenario

    sc = load_scenario("chlorine-night").with_overrides({"hazards.chemical.protective_action": "shelter"})
    r = run_scenario(sc).result
    k = r.kpis
    assert k["sheltered_in_place_people"] > 0
    # nobody leaves home on their own (not to a shelter, not to relatives): only those a team
    # brings out after a call are displaced, and only they count for relief
    assert not [e for e in r.events if e["event"] == "depart" and "team" not in e]
    assert k["relieved_with_relatives_people"] == 0
    taken = sum(e["people"] for e in r.events if e["event"] == "rescue")
    assert k["relief_time"]["affected_people"] <= taken
    assert "sheltered in place" in k["verdict"]["en"]
