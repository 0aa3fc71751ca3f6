"""The tree-repair kernel against scipy's Dijkstra, and Roads' lazy repair of hub trees."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from network.kernels import one_to_all
from sim.roads_kernels import repair_tree

from .routes import check_route


def csr(n, u, v):
    """Forward and reverse CSR of the edges u -> v (positions sorted by tail, then by head)."""
    order = np.lexsort((v, u))
    u, v = u[order], v[order]
    indptr = np.searchsorted(u, np.arange(n + 1)).astype(np.int64)
    rev_order = np.lexsort((u, v))
    rev_indptr = np.searchsorted(v[rev_order], np.arange(n + 1)).astype(np.int64)
    return u, v, indptr, rev_order.astype(np.int64), rev_indptr


def scipy_dist(n, u, v, w, src, reverse=False):
    ok = np.isfinite(w)
    a, b = (v, u) if reverse else (u, v)
    # keep parallel edges' minimum (csr_matrix would add them up)
    key = a[ok] * n + b[ok]
    best = {}
    for k, x in zip(key.tolist(), w[ok].tolist()):
        best[k] = min(best.get(k, np.inf), x)
    if not best:
        out = np.full(n, np.inf)
        out[src] = 0.0
        return out
    kk = np.array(list(best)); ww = np.array(list(best.values()))
    # scipy drops explicit zeros: stand them in with a tiny positive weight that rounds away
    m = sp.csr_matrix((np.where(ww == 0, 1e-300, ww), (kk // n, kk % n)), shape=(n, n))
    return dijkstra(m, indices=src)


def repaired(n, u, v, w0, w1, src, reverse):
    u, v, indptr, rev_order, rev_indptr = csr(n, u, v)
    heads, tails = v, u
    rev_pos = np.empty_like(rev_order)
    rev_pos[rev_order] = np.arange(len(rev_order))
    rw0, rw1 = w0[rev_order], w1[rev_order]
    changed = np.flatnonzero(w0 != w1)
    if reverse:
        d0, p0 = one_to_all(rev_indptr, tails[rev_order], rw0, np.int32(src), np.inf, True)
        d, p, _ = repair_tree(rev_indptr, tails[rev_order], heads[rev_order], rw1, indptr, heads, w1, rev_pos,
                              d0, p0, rev_pos[changed], n)
        fresh = one_to_all(rev_indptr, tails[rev_order], rw1, np.int32(src), np.inf, True)[0]
    else:
        d0, p0 = one_to_all(indptr, heads, w0, np.int32(src), np.inf, True)
        d, p, _ = repair_tree(indptr, heads, tails, w1, rev_indptr, tails[rev_order], rw1, rev_order, d0, p0, changed, n)
        fresh = one_to_all(indptr, heads, w1, np.int32(src), np.inf, True)[0]
    return u, v, d, p, fresh


@st.composite
def graphs(draw):
    n = draw(st.integers(2, 30))
    m = draw(st.integers(1, 90))
    u = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), np.int64)
    v = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), np.int64)
    keep = u != v
    u, v = u[keep], v[keep]
    if not len(u):
        u, v = np.array([0]), np.array([1])
    m = len(u)
    weight = st.one_of(st.floats(0.0, 100.0), st.just(np.inf), st.integers(1, 5).map(float))
    w0 = np.array(draw(st.lists(weight, min_size=m, max_size=m)))
    # change some edges: slower, faster, closed, reopened
    w1 = w0.copy()
    for i in draw(st.lists(st.integers(0, m - 1), max_size=m)):
        w1[i] = draw(weight)
    src = draw(st.integers(0, n - 1))
    return n, u, v, w0, w1, src


@settings(max_examples=300, deadline=None)
@given(g=graphs(), reverse=st.booleans())
def test_repair_equals_fresh_search_and_scipy(g, reverse):
    n, u, v, w0, w1, src = g
    order = np.lexsort((v, u))
    u, v, w0, w1 = u[order], v[order], w0[order], w1[order]
    u, v, d, p, fresh = repaired(n, u, v, w0, w1, src, reverse)
    np.testing.assert_array_equal(d, fresh)
    ref = scipy_dist(n, u, v, w1, src, reverse)
    np.testing.assert_allclose(d, ref, rtol=1e-12, atol=1e-250)
    # a tree: each node's predecessor edge is tight (forward: CSR positions of u -> v)
    if not reverse:
        for x in np.flatnonzero(p >= 0):
            e = p[x]
            assert v[e] == x and d[u[e]] + w1[e] == d[x]


def test_repair_on_the_district_after_a_flood_step(district):
    from sim.api import default_district_flood

    net = district.network
    f = default_district_flood(district, engine="fill")
    free = net.travel_times()
    rng = np.random.default_rng(0)
    w0 = free / np.maximum(f.state(20 * 3600.0, fields=False).edge_speed_factor, 1e-300)
    w0[~np.isfinite(w0) | (w0 > 1e12)] = np.inf
    w1 = free / np.maximum(f.state(24 * 3600.0, fields=False).edge_speed_factor, 1e-300)
    w1[~np.isfinite(w1) | (w1 > 1e12)] = np.inf
    changed = np.flatnonzero(w0 != w1)
    assert 0 < len(changed) < net.n_edges // 5
    rev = np.asarray(net.rev_edge, np.int64)
    heads = np.asarray(net.indices, np.int64)
    tails = np.asarray(net.edge_source, np.int64)
    rev_pos = np.empty_like(rev)
    rev_pos[rev] = np.arange(len(rev))
    for src in rng.integers(net.n_nodes, size=5).tolist():
        d0, p0 = one_to_all(net.indptr, net.indices, w0, np.int32(src), np.inf, True)
        d, p, k = repair_tree(np.asarray(net.indptr, np.int64), heads, tails, w1, np.asarray(net.rev_indptr, np.int64),
                              np.asarray(net.rev_indices, np.int64), w1[rev], rev, d0, p0, changed,
                              net.n_nodes)
        np.testing.assert_array_equal(d, one_to_all(net.indptr, net.indices, w1, np.int32(src), np.inf, True)[0])
        rd0, rp0 = one_to_all(net.rev_indptr, net.rev_indices, w0[rev], np.int32(src), np.inf, True)
        rd, _, _ = repair_tree(np.asarray(net.rev_indptr, np.int64), np.asarray(net.rev_indices, np.int64),
                               heads[rev], w1[rev], np.asarray(net.indptr, np.int64), heads, w1, rev_pos, rd0, rp0,
                               rev_pos[changed], net.n_nodes)
        np.testing.assert_array_equal(rd, one_to_all(net.rev_indptr, net.rev_indices, w1[rev], np.int32(src), np.inf,
                                                     True)[0])


def test_repair_gives_up_when_most_of_the_tree_changes():
    # a path 0 -> 1 -> ... -> 9: slowing the first edge puts every other node below it
    n = 10
    u, v = np.arange(n - 1), np.arange(1, n)
    u, v, indptr, rev_order, rev_indptr = csr(n, u, v)
    w0 = np.ones(n - 1)
    w1 = w0.copy()
    w1[0] = 5.0
    d0, p0 = one_to_all(indptr, v, w0, np.int32(0), np.inf, True)
    args = (indptr, v, u, w1, rev_indptr, u[rev_order], w1[rev_order], rev_order, d0, p0, np.array([0]))
    d, p, k = repair_tree(*args, 5)
    assert k == -1 and d is d0 and p is p0
    d, p, k = repair_tree(*args, n)
    assert k == n - 1
    np.testing.assert_array_equal(d, np.r_[0.0, 5.0 + np.arange(n - 1)])
    assert np.array_equal(d0, np.arange(n, dtype=float))   # the input tree is left as it was


def test_roads_routes_and_repaired_hub_trees_stay_shortest(district):
    """Roads under changing travel times: routes between ordinary nodes (stopped searches) and
    from repaired hub trees equal fresh shortest paths."""
    import simpy

    from sim.api import default_district_flood
    from sim.roads import Roads

    net = district.network
    f = default_district_flood(district, engine="fill")
    rng = np.random.default_rng(5)
    hubs = rng.integers(net.n_nodes, size=4).tolist()
    roads = Roads(simpy.Environment(), net, hubs=set(hubs))
    checked = 0
    for hour in (0, 20, 22, 24, 30):
        s = f.state(hour * 3600.0, fields=False)
        roads.update(s.edge_speed_factor, s.edge_speed_factor < 1)
        for _ in range(6):
            a, b = (int(x) for x in rng.integers(net.n_nodes, size=2))
            for src, dst in ((a, b), (hubs[0], b), (a, hubs[1])):
                checked += check_route(net, roads, src, dst)
    assert checked > 30 and roads.repairs > 0


def test_a_trip_with_no_road_open_waits_for_one_or_stops_where_it_is():
    """With every road to the destination closed, a trip waits where it is until a road
    reopens, then drives on; with ``wait=False`` it ends where it is at once."""
    import simpy

    from network.model import RoadNetwork
    from sim.roads import Roads

    n = 3
    x = np.arange(n) * 1000.0
    net = RoadNetwork.from_edges(x=x, y=np.zeros(n), lon=120 + x / 1e5, lat=np.full(n, 29.0),
                                 u=np.array([0, 1, 1, 2]), v=np.array([1, 0, 2, 1]), length=np.full(4, 1000.0),
                                 speed_kmh=np.full(4, 36.0), road_class=np.full(4, 5), crs="EPSG:32650",
                                 spatial_order=False)
    env = simpy.Environment()
    roads = Roads(env, net)
    closed = np.ones(net.n_edges)
    closed[(net.edge_source == 1) & (net.indices == 2)] = 0.0   # 1 -> 2 under water
    roads.update(closed)
    arrived: list[tuple[float, int]] = []
    stopped: list[tuple[float, int]] = []

    def trip():
        node = yield from roads.drive(0, 2)
        arrived.append((env.now, node))

    def no_wait():
        node = yield from roads.drive(0, 2, wait=False)
        stopped.append((env.now, node))

    def water_falls():
        yield env.timeout(3600.0)
        roads.update(np.ones(net.n_edges))

    env.process(trip())
    env.process(no_wait())
    env.process(water_falls())
    env.run()
    assert stopped == [(0.0, 0)]                                 # no route on from the start: it stays
    assert arrived == [(pytest.approx(3600.0 + 200.0), 2)]      # 2 km at 36 km/h after the water fell
