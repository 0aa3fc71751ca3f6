"""Location models built from GeoDataFrames (as spopt's from_geodataframe): the road travel-time
matrix they build equals the network's own, so the solution is the matrix model's; without a
network, straight-line metres in a projected CRS."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from network.errors import InputError
from network.paths import travel_time_matrix
from optimize.location import PMedian


@pytest.fixture(scope="module")
def frames():
    from network.district import load_district

    net = load_district().network
    rng = np.random.default_rng(7)
    people = np.flatnonzero(net.population > 0)
    d_nodes = rng.choice(people, 120, replace=False)
    s_nodes = rng.choice(net.n_nodes, 15, replace=False)
    demand = gpd.GeoDataFrame({"village": [f"v{k}" for k in range(120)], "people": net.population[d_nodes]},
                              geometry=shapely.points(net.lon[d_nodes], net.lat[d_nodes]), crs="EPSG:4326")
    sites = gpd.GeoDataFrame({"site": [f"s{k}" for k in range(15)]},
                             geometry=shapely.points(net.lon[s_nodes], net.lat[s_nodes]), crs="EPSG:4326")
    return net, demand, sites, d_nodes, s_nodes


def test_road_costs_equal_the_networks_matrix_and_so_does_the_solution(frames):
    net, demand, sites, d_nodes, s_nodes = frames
    geo = PMedian.from_geodataframe(demand, sites, network=net, weights="people", p=3,
                                    demand_label="village", site_label="site")
    direct = travel_time_matrix(net, d_nodes, s_nodes)
    assert np.allclose(geo.cost, direct, rtol=1e-9, equal_nan=True)
    mat = PMedian.from_cost_matrix(direct, net.population[d_nodes], p=3)
    a, b = geo.solve(time_limit_s=30), mat.solve(time_limit_s=30)
    assert a.objective == pytest.approx(b.objective) and list(a.sites) == list(b.sites)
    assert geo.demand_labels[0] == "v0" and geo.site_labels[-1] == "s14"


def test_straight_line_metres_in_a_projected_crs(frames):
    net, demand, sites, *_ = frames
    d, s = demand.to_crs(net.crs), sites.to_crs(net.crs)
    model = PMedian.from_geodataframe(d, s, p=2)
    expect = np.hypot(d.geometry.x.to_numpy()[:, None] - s.geometry.x.to_numpy()[None, :],
                      d.geometry.y.to_numpy()[:, None] - s.geometry.y.to_numpy()[None, :])
    assert np.allclose(model.cost, expect)


def test_frames_that_cannot_make_a_model_are_one_line(frames):
    net, demand, sites, *_ = frames
    with pytest.raises(InputError, match="geographic CRS"):
        PMedian.from_geodataframe(demand, sites, p=2)
    areas = sites.copy()
    areas.geometry = areas.to_crs(net.crs).buffer(100).to_crs(4326)
    with pytest.raises(InputError, match="sites: rows 0, 1, 2, 3, 4 are not points"):
        PMedian.from_geodataframe(demand, areas, network=net, p=2)
    far = sites.copy()
    far.geometry = shapely.points([0.0] * len(far), [0.0] * len(far))
    with pytest.raises(InputError, match="sites: .* more than 5000 m from any road"):
        PMedian.from_geodataframe(demand, far, network=net, p=2)
    with pytest.raises(InputError, match="no column 'pop'"):
        PMedian.from_geodataframe(demand, sites, network=net, weights="pop", p=2)
