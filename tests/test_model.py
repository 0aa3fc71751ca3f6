"""RoadNetwork: construction, validation, CSR invariants, interop."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from network import NetworkError, RoadNetwork, RoadClass


def make_net(n=30, m=120, seed=0, **overrides):
    rng = np.random.default_rng(seed)
    x, y = rng.random(n) * 5000, rng.random(n) * 5000
    args = dict(
        x=x, y=y, lon=117 + x / 1e5, lat=29 + y / 1e5,
        u=rng.integers(0, n, m), v=rng.integers(0, n, m),
        length=rng.random(m) * 500 + 1, speed_kmh=rng.choice([30.0, 50.0, 80.0], m),
        road_class=rng.integers(0, 7, m), crs="EPSG:32650", population=rng.random(n) * 100,
    )
    args.update(overrides)
    return RoadNetwork.from_edges(**args)


def test_csr_and_reverse_csr_describe_the_same_edges():
    net = make_net()
    fwd = sorted(zip(net.edge_source.tolist(), net.indices.tolist(), net.length.tolist()))
    rev = []
    for t in range(net.n_nodes):
        for k in range(net.rev_indptr[t], net.rev_indptr[t + 1]):
            e = net.rev_edge[k]
            assert net.indices[e] == t and net.rev_indices[k] == net.edge_source[e]
            rev.append((int(net.rev_indices[k]), t, float(net.length[e])))
    assert fwd == sorted(rev)
    assert np.all(np.diff(net.edge_source) >= 0)


def test_arrays_are_read_only():
    net = make_net()
    with pytest.raises(ValueError):
        net.length[0] = 1.0
    with pytest.raises(ValueError):
        net.x[0] = 1.0


def test_travel_times_and_closures():
    net = make_net()
    tt = net.travel_times()
    np.testing.assert_allclose(tt, net.length / (net.speed_kmh / 3.6))
    f = np.ones(net.n_edges)
    f[0] = 0.0
    f[1] = 0.5
    tt2 = net.travel_times(f)
    assert np.isinf(tt2[0]) and tt2[1] == pytest.approx(2 * tt[1])
    with pytest.raises(NetworkError, match=r"\[0, 1\]"):
        net.travel_times(np.full(net.n_edges, 1.5))
    with pytest.raises(NetworkError, match="shape"):
        net.travel_times(np.ones(3))


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("length", np.nan, "length"),
        ("length", -1.0, "length"),
        ("speed_kmh", 0.0, "speed_kmh"),
        ("speed_kmh", np.nan, "speed_kmh"),
    ],
)
def test_bad_edge_values_are_named(field, value, message):
    rng = np.random.default_rng(1)
    vals = rng.random(40) * 100 + 1
    vals[7] = value
    with pytest.raises(NetworkError, match=message):
        make_net(m=40, **{field: vals})


def test_empty_graph_is_an_error():
    with pytest.raises(NetworkError, match="no nodes"):
        RoadNetwork.from_edges(x=[], y=[], lon=[], lat=[], u=[], v=[], length=[], speed_kmh=[], road_class=[], crs="EPSG:32650")
    with pytest.raises(NetworkError, match="no edges"):
        RoadNetwork.from_edges(x=[0.0], y=[0.0], lon=[0.0], lat=[0.0], u=[], v=[], length=[], speed_kmh=[], road_class=[], crs="EPSG:32650")


def test_to_scipy_keeps_fastest_parallel_edge():
    net = RoadNetwork.from_edges(
        x=[0.0, 1.0], y=[0.0, 0.0], lon=[0.0, 0.0], lat=[0.0, 0.0], u=[0, 0, 1], v=[1, 1, 0],
        length=[100.0, 100.0, 100.0], speed_kmh=[36.0, 72.0, 36.0], road_class=[5, 5, 5], crs="EPSG:32650",
        spatial_order=False,
    )
    a = net.to_scipy()
    assert a[0, 1] == pytest.approx(5.0) and a[1, 0] == pytest.approx(10.0)


def test_networkx_round_trip_preserves_graph():
    net = make_net()
    g = net.to_networkx()
    assert g.number_of_nodes() == net.n_nodes and g.number_of_edges() == net.n_edges
    back = RoadNetwork.from_networkx(g, crs=net.crs)
    assert back.n_edges == net.n_edges
    key = lambda n: sorted(zip(n.node_id[n.edge_source].tolist(), n.node_id[n.indices].tolist(), np.round(n.length, 9).tolist()))
    assert key(back) == key(net)
    np.testing.assert_allclose(np.sort(back.population), np.sort(net.population))


def test_largest_scc_drops_and_counts():
    # two triangles joined by a one-way edge: only one is strongly connected with the bridge
    u = [0, 1, 2, 3, 4, 5, 2]
    v = [1, 2, 0, 4, 5, 3, 3]
    net = RoadNetwork.from_edges(
        x=np.arange(6.0), y=np.zeros(6), lon=np.zeros(6), lat=np.zeros(6), u=u, v=v,
        length=np.ones(7), speed_kmh=np.full(7, 30.0), road_class=np.full(7, 5), crs="EPSG:32650",
    )
    scc = net.largest_strongly_connected()
    assert scc.n_nodes == 3 and scc.dropped_nodes == 3 and scc.n_edges == 3


def test_matches_networkx_scc_on_random_graphs():
    net = make_net(n=60, m=150, seed=3)
    g = nx.DiGraph(list(zip(net.edge_source.tolist(), net.indices.tolist())))
    g.add_nodes_from(range(net.n_nodes))
    biggest = max(nx.strongly_connected_components(g), key=len)
    assert net.largest_strongly_connected().n_nodes == len(biggest)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 40), st.integers(1, 120), st.integers(0, 10_000))
def test_spatial_order_is_a_relabelling(n, m, seed):
    a = make_net(n=n, m=m, seed=seed)
    rng = np.random.default_rng(seed)
    x, y = rng.random(n) * 5000, rng.random(n) * 5000
    b = RoadNetwork.from_edges(
        x=x, y=y, lon=x, lat=y, u=rng.integers(0, n, m), v=rng.integers(0, n, m), length=rng.random(m) * 500 + 1,
        speed_kmh=rng.choice([30.0, 50.0, 80.0], m), road_class=rng.integers(0, 7, m), crs="EPSG:32650",
        spatial_order=False,
    )
    key = lambda net: sorted(zip(net.node_id[net.edge_source].tolist(), net.node_id[net.indices].tolist(), net.length.tolist()))
    assert key(a) == key(b)


def test_road_class_names_are_bilingual():
    assert RoadClass.MOTORWAY.name_zh == "高速公路"
    assert all(c.name_zh and c.name_en and c.default_speed_kmh > 0 for c in RoadClass)
