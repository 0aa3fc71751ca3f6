"""ESRI ASCII grids, sampling, elevation onto networks, snapping."""
from __future__ import annotations

import numpy as np
import pytest

from network import InputError, NetworkError, RoadNetwork
from network.elevation import add_elevation
from network.raster import Raster, read_asc, write_asc
from network.snap import snap_points


def test_asc_round_trip_keeps_orientation_and_nodata(tmp_path):
    values = np.arange(12, dtype=float).reshape(3, 4)
    values[1, 2] = np.nan
    r = Raster(values, 1000.0, 2000.0, 25.0)
    path = write_asc(r, tmp_path / "dem.asc")
    text = path.read_text().splitlines()
    assert text[0] == "ncols 4" and text[1] == "nrows 3"
    # first data row is the northern row (row index 2 here)
    assert text[6].split()[0] == "8.0000"
    back = read_asc(path)
    np.testing.assert_array_equal(np.isnan(back.values), np.isnan(values))
    np.testing.assert_allclose(back.values[~np.isnan(values)], values[~np.isnan(values)])
    assert (back.x0, back.y0, back.cellsize) == (1000.0, 2000.0, 25.0)


def test_asc_centre_header_is_converted(tmp_path):
    p = tmp_path / "c.asc"
    p.write_text("ncols 2\nnrows 1\nxllcenter 10\nyllcenter 20\ncellsize 4\n1 2\n")
    r = read_asc(p)
    assert (r.x0, r.y0) == (8.0, 18.0)


@pytest.mark.parametrize(
    "text, message",
    [
        ("ncols 2\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2 3\n", "expected 2 x 2 = 4 values, found 3"),
        ("ncols 2\nnrows 2\nxllcorner 0\nyllcorner 0\n1 2 3 4\n", "lacks 'cellsize'"),
        ("ncols 2\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2 x 4\n", "not all numbers"),
        ("ncols two\nnrows 2\n", "ncols must be a number"),
    ],
)
def test_bad_asc_names_file_and_problem(tmp_path, text, message):
    p = tmp_path / "bad.asc"
    p.write_text(text)
    with pytest.raises(InputError, match=message) as err:
        read_asc(p)
    assert "bad.asc" in str(err.value)


def test_bilinear_sampling_is_exact_on_planes():
    yy, xx = np.mgrid[0:5, 0:6]
    r = Raster(3.0 * (xx + 0.5) * 10 + 2.0 * (yy + 0.5) * 10, 0.0, 0.0, 10.0)
    x = np.array([5.0, 12.5, 33.3, 47.0])
    y = np.array([5.0, 7.5, 21.0, 44.0])
    np.testing.assert_allclose(r.sample(x, y), 3 * x + 2 * y)
    assert np.isnan(r.sample(np.array([-50.0]), np.array([5.0]))[0])


def _line_net():
    x = np.array([0.0, 100.0, 200.0])
    return RoadNetwork.from_edges(
        x=x, y=np.full(3, 50.0), lon=x, lat=x, u=[0, 1, 1, 2], v=[1, 0, 2, 1], length=np.full(4, 100.0),
        speed_kmh=np.full(4, 30.0), road_class=np.full(4, 5), crs="EPSG:32650", spatial_order=False,
    )


def test_elevation_nodes_and_lowest_point_along_edges():
    values = np.full((10, 30), 50.0)
    values[:, 14:16] = 10.0  # a ditch between x = 140 and 160 m
    net = add_elevation(_line_net(), Raster(values, 0.0, 0.0, 10.0), step_m=5.0)
    np.testing.assert_allclose(net.elevation, [50.0, 50.0, 50.0])
    low = net.min_elevation
    crosses_ditch = (np.minimum(net.edge_source, net.indices) == 1)
    assert np.all(low[crosses_ditch] < 20.0) and np.all(low[~crosses_ditch] == 50.0)


def test_raster_not_covering_network_is_reported():
    r = Raster(np.zeros((10, 10)), 0.0, 0.0, 10.0)  # covers x <= 100 only: the node at x = 200 is outside
    with pytest.raises(InputError, match="does not cover the network: 1 of 3 nodes"):
        add_elevation(_line_net(), r, source="dem.asc")


def test_snapping_matches_brute_force_and_reports_far_points():
    rng = np.random.default_rng(5)
    x, y = rng.random(200) * 1000, rng.random(200) * 1000
    net = RoadNetwork.from_edges(
        x=x, y=y, lon=x, lat=y, u=np.arange(199), v=np.arange(1, 200), length=np.ones(199),
        speed_kmh=np.ones(199), road_class=np.zeros(199), crs="EPSG:32650",
    )
    px, py = rng.random(50) * 1000, rng.random(50) * 1000
    snapped = snap_points(net, px, py)
    brute = np.argmin((net.x[None] - px[:, None]) ** 2 + (net.y[None] - py[:, None]) ** 2, axis=1)
    np.testing.assert_array_equal(snapped.node, brute)
    with pytest.raises(NetworkError, match="more than 10 m"):
        snap_points(net, [5000.0], [5000.0], max_distance_m=10.0, names=["far school"])


def test_asc_header_numbers_are_plain_even_from_numpy_scalars(tmp_path):
    """A grid whose corner is a numpy scalar (as the flood maps' are) still writes a header GIS tools read."""
    r = Raster(np.arange(6.0).reshape(2, 3), np.float64(500900.0), np.float64(3240100.5), np.float64(50.0), "EPSG:32650")
    path = write_asc(r, tmp_path / "n.asc")
    assert "np.float64" not in path.read_text()
    back = read_asc(path)
    assert (back.x0, back.y0, back.cellsize) == (500900.0, 3240100.5, 50.0)
    assert np.array_equal(back.values, r.values)
