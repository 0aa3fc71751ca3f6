"""Shortest-path kernels and API against scipy and networkx, plus property tests."""
from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse import csgraph

from network import kernels, paths
from network.errors import NetworkError, UnreachableError
from network.model import RoadNetwork

OSM_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"
TOL = 1e-9


# ---------------------------------------------------------------------------- graphs
def random_net(
    seed: int,
    n: int = 60,
    avg_degree: float = 2.5,
    *,
    parallel: bool = True,
    zeros: bool = True,
    closed: bool = True,
    islands: bool = True,
    undirected: bool = False,
) -> tuple[RoadNetwork, np.ndarray]:
    """A random network and per-edge weights with the awkward cases road data has.

    Parallel edges with different weights, zero weights, closed (+inf) edges, and a small
    island that the rest cannot reach (and vice versa) when ``islands``.
    """
    rng = np.random.default_rng(seed)
    m = max(1, int(n * avg_degree))
    core = n - 4 if islands and n > 8 else n
    u = rng.integers(0, core, m)
    v = rng.integers(0, core, m)
    if parallel:  # repeat some edges with other weights
        dup = rng.integers(0, m, m // 8 + 1)
        u, v = np.concatenate([u, u[dup]]), np.concatenate([v, v[dup]])
    if core < n:  # island: a 4-cycle with no edge to or from the core
        isl = np.arange(core, n)
        u, v = np.concatenate([u, isl]), np.concatenate([v, np.roll(isl, 1)])
    if undirected:
        u, v = np.concatenate([u, v]), np.concatenate([v, u])
    net = RoadNetwork.from_edges(
        x=rng.uniform(0, 5000, n), y=rng.uniform(0, 5000, n), lon=np.zeros(n), lat=np.zeros(n),
        u=u, v=v, length=np.full(len(u), 100.0), speed_kmh=np.full(len(u), 36.0),
        road_class=np.full(len(u), 5, np.int8), crs="EPSG:32650",
    )
    # Weights are drawn after construction, in CSR order; undirected graphs get equal weights
    # both ways by keying the draw on the unordered node pair.
    src, dst = net.edge_source.astype(np.int64), net.indices.astype(np.int64)
    if undirected:
        # one draw per unordered pair (parallel edges included) so both directions match
        key = np.minimum(src, dst) * n + np.maximum(src, dst)
        _, inv = np.unique(key, return_inverse=True)
        w = rng.uniform(1.0, 100.0, inv.max() + 1)
        if zeros:
            w[rng.random(w.size) < 0.08] = 0.0
        return net, w[inv]
    w = rng.uniform(1.0, 100.0, net.n_edges)
    if zeros:
        w[rng.random(net.n_edges) < 0.08] = 0.0
    if closed:
        w[rng.random(net.n_edges) < 0.05] = np.inf
    return net, w


def scipy_matrix(net: RoadNetwork, w: np.ndarray, sources, *, reverse: bool = False) -> np.ndarray:
    a = net.to_scipy(w)
    return csgraph.dijkstra(a.T.tocsr() if reverse else a, indices=np.asarray(sources))


def assert_same(actual: np.ndarray, expected: np.ndarray) -> None:
    """Equal within TOL, with +inf in exactly the same places."""
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(np.isinf(actual), np.isinf(expected))
    fin = np.isfinite(expected)
    # to_scipy stores 0-weight edges as the smallest float, so allow TOL absolute
    assert np.all(np.abs(actual[fin] - expected[fin]) <= TOL * np.maximum(1.0, np.abs(expected[fin])))


SEEDS = [0, 1, 2, 3, 7, 42]


# ---------------------------------------------------------------------------- against scipy
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("threads", [1, 2])
def test_matrix_to_all_nodes_matches_scipy(seed: int, threads: int) -> None:
    net, w = random_net(seed, n=80)
    src = np.arange(net.n_nodes)
    assert_same(paths.travel_time_matrix(net, src, weights=w, threads=threads), scipy_matrix(net, w, src))


@pytest.mark.parametrize("seed", SEEDS)
def test_matrix_to_targets_matches_scipy(seed: int) -> None:
    net, w = random_net(seed, n=120)
    rng = np.random.default_rng(seed)
    src = rng.integers(0, net.n_nodes, 17)
    dst = np.concatenate([rng.integers(0, net.n_nodes, 9), src[:3], src[:1]])  # repeats, and sources
    ref = scipy_matrix(net, w, src)[:, dst]
    assert_same(paths.travel_time_matrix(net, src, dst, w, threads=2), ref)
    assert_same(paths.travel_time_matrix(net, src, dst, w, threads=1), ref)


@pytest.mark.parametrize("seed", SEEDS[:4])
def test_cutoff_drops_nodes_beyond_it(seed: int) -> None:
    net, w = random_net(seed, n=100, closed=False)
    src = np.arange(0, net.n_nodes, 7)
    ref = scipy_matrix(net, w, src)
    # a cutoff halfway between two distinct distances, so no result sits on the boundary
    vals = np.unique(ref[np.isfinite(ref)])
    cut = float(vals[len(vals) // 3] + vals[len(vals) // 3 + 1]) / 2
    expected = np.where(ref <= cut, ref, np.inf)
    assert_same(paths.travel_time_matrix(net, src, weights=w, cutoff=cut), expected)
    dst = np.arange(net.n_nodes)[::3]
    assert_same(paths.travel_time_matrix(net, src, dst, w, cutoff=cut), expected[:, dst])
    assert_same(paths.one_to_all(net, int(src[0]), w, cutoff=cut), expected[0])
    near = paths.nearest_facility(net, src, w, cutoff=cut)
    assert_same(near.time, expected.min(axis=0))
    assert_same(paths.one_to_all(net, int(src[0]), w, cutoff=0.0), np.where(ref[0] <= 0.0, ref[0], np.inf))


@pytest.mark.parametrize("seed", SEEDS)
def test_reverse_is_the_transpose(seed: int) -> None:
    net, w = random_net(seed, n=70)
    nodes = np.arange(0, net.n_nodes, 3)
    full = paths.travel_time_matrix(net, np.arange(net.n_nodes), weights=w)  # all pairs, forward
    rev = paths.travel_time_matrix(net, nodes, weights=w, reverse=True)
    assert_same(rev, full[:, nodes].T)  # rev[i, j] = time j -> nodes[i]
    assert_same(rev, scipy_matrix(net, w, nodes, reverse=True))
    dst = nodes[::2]
    assert_same(paths.travel_time_matrix(net, nodes, dst, w, reverse=True), full[np.ix_(dst, nodes)].T)
    assert_same(paths.one_to_all(net, int(nodes[1]), w, reverse=True), full[:, nodes[1]])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("reverse", [False, True])
def test_nearest_facility_is_min_over_the_matrix(seed: int, reverse: bool) -> None:
    net, w = random_net(seed, n=90)
    rng = np.random.default_rng(seed)
    fac = rng.integers(0, net.n_nodes, 6)
    fac[-1] = fac[0]  # a facility listed twice keeps its first index
    m = paths.travel_time_matrix(net, fac, weights=w, reverse=reverse)
    near = paths.nearest_facility(net, fac, w, reverse=reverse)
    assert_same(near.time, m.min(axis=0))
    reached = near.facility >= 0
    np.testing.assert_array_equal(reached, np.isfinite(near.time))
    # the facility named is one at that time (ties may name either)
    cols = np.flatnonzero(reached)
    np.testing.assert_allclose(m[near.facility[cols], cols], near.time[cols], rtol=0, atol=TOL)
    assert np.all(near.facility != len(fac) - 1)
    np.testing.assert_array_equal(near.facility_node[reached], fac[near.facility[reached]])
    np.testing.assert_array_equal(near.unreachable, ~reached)


def _ro(a: np.ndarray, dtype) -> np.ndarray:
    """Read-only array of the types network.paths passes, so no extra numba compile is needed."""
    a = np.array(a, dtype=dtype)
    a.flags.writeable = False
    return a


def test_kernels_run_directly_on_reverse_csr() -> None:
    net, w = random_net(5, n=50)
    wr = _ro(w[net.rev_edge], np.float64)
    src = _ro(np.arange(net.n_nodes), np.int32)
    fwd = kernels.many_to_all(net.indptr, net.indices, _ro(w, np.float64), src, np.inf, 2)
    rev = kernels.many_to_all(net.rev_indptr, net.rev_indices, wr, src, np.inf, 2)
    assert_same(rev, fwd.T)
    d, _ = kernels.one_to_all(net.rev_indptr, net.rev_indices, wr, np.int32(3), np.inf, False)
    assert_same(d, fwd[:, 3])


# ---------------------------------------------------------------------------- predecessors and routes
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("reverse", [False, True])
def test_predecessor_edges_reproduce_distances(seed: int, reverse: bool) -> None:
    net, w = random_net(seed, n=90)
    s = seed % net.n_nodes
    dist, pred = paths.one_to_all(net, s, w, reverse=reverse, return_predecessors=True)
    assert_same(dist, paths.one_to_all(net, s, w, reverse=reverse))
    tail, head = net.edge_source, net.indices
    reached = np.flatnonzero(np.isfinite(dist))
    assert pred[s] == -1 and np.all(pred[~np.isfinite(dist)] == -1)
    for v in reached[reached != s]:
        e = pred[v]
        # forward: e enters v from the previous node; reverse: e leaves v towards s
        prev, this = (head[e], tail[e]) if reverse else (tail[e], head[e])
        assert this == v
        assert abs(dist[prev] + w[e] - dist[v]) <= TOL * max(1.0, dist[v])


@pytest.mark.parametrize("seed", SEEDS)
def test_shortest_path_route(seed: int) -> None:
    net, w = random_net(seed, n=90, islands=True)
    full = scipy_matrix(net, w, np.arange(net.n_nodes))
    rng = np.random.default_rng(seed)
    for s, t in rng.integers(0, net.n_nodes, (15, 2)):
        if np.isinf(full[s, t]):
            with pytest.raises(UnreachableError, match=f"node {s} to node {t}"):
                paths.shortest_path(net, s, t, w)
            continue
        r = paths.shortest_path(net, s, t, w)
        assert r.nodes[0] == s and r.nodes[-1] == t and len(r.edges) == len(r.nodes) - 1
        np.testing.assert_array_equal(net.edge_source[r.edges], r.nodes[:-1])
        np.testing.assert_array_equal(net.indices[r.edges], r.nodes[1:])
        assert abs(w[r.edges].sum() - full[s, t]) <= TOL * max(1.0, full[s, t])
        assert abs(r.time - full[s, t]) <= TOL * max(1.0, full[s, t])
    r = paths.shortest_path(net, 4, 4, w)
    assert r.nodes.tolist() == [4] and r.edges.size == 0 and r.time == 0.0


def test_shortest_path_default_weights_are_travel_times() -> None:
    net, _ = random_net(11, n=40, islands=False)
    tt = net.travel_times()
    d = paths.one_to_all(net, 0)
    t = int(np.argmax(np.where(np.isfinite(d), d, -1)))
    r = paths.shortest_path(net, 0, t)
    assert r.time == pytest.approx(d[t], abs=TOL) and tt[r.edges].sum() == pytest.approx(d[t], abs=TOL)


# ---------------------------------------------------------------------------- against networkx
@pytest.mark.parametrize("seed", SEEDS[:3])
def test_matches_networkx_on_small_graphs(seed: int) -> None:
    net, w = random_net(seed, n=40)
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(net.n_nodes))
    for e, (a, b) in enumerate(zip(net.edge_source.tolist(), net.indices.tolist())):
        if np.isfinite(w[e]):
            g.add_edge(a, b, weight=float(w[e]))
    mat = paths.travel_time_matrix(net, np.arange(net.n_nodes), weights=w)
    for s in range(net.n_nodes):
        ref = np.full(net.n_nodes, np.inf)
        for t, d in nx.single_source_dijkstra_path_length(g, s, weight="weight").items():
            ref[t] = d
        assert_same(mat[s], ref)


# ---------------------------------------------------------------------------- property tests
graph_seeds = st.integers(min_value=0, max_value=2**31 - 1)
PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(seed=graph_seeds, n=st.integers(min_value=2, max_value=40))
def test_triangle_inequality(seed: int, n: int) -> None:
    net, w = random_net(seed, n=n)
    d = paths.travel_time_matrix(net, np.arange(n), weights=w)
    assert np.all(np.diag(d) == 0.0)
    # d[s, v] <= d[s, u] + d[u, v] for all s, u, v (inf + x = inf keeps unreachable pairs valid)
    via = d[:, :, None] + d[None, :, :]
    assert np.all(d[:, None, :] <= via + TOL * np.maximum(1.0, via))
    # and every edge is a bound: d[s, v] <= d[s, u] + w(u, v)
    tail, head = net.edge_source, net.indices
    assert np.all(d[:, head] <= d[:, tail] + w + TOL * np.maximum(1.0, d[:, tail] + w))


@PROPS
@given(seed=graph_seeds, n=st.integers(min_value=2, max_value=40), data=st.data())
def test_reverse_csr_consistency(seed: int, n: int, data) -> None:
    net, w = random_net(seed, n=n)
    t = data.draw(st.integers(min_value=0, max_value=n - 1))
    to_t = paths.one_to_all(net, t, w, reverse=True)
    from_all = paths.travel_time_matrix(net, np.arange(n), [t], w)
    assert_same(to_t, from_all[:, 0])
    # the reverse CSR lists exactly the forward edges, each once
    assert np.array_equal(np.sort(net.rev_edge), np.arange(net.n_edges))
    rows = np.repeat(np.arange(n), np.diff(net.rev_indptr))
    np.testing.assert_array_equal(net.indices[net.rev_edge], rows)
    np.testing.assert_array_equal(net.edge_source[net.rev_edge], net.rev_indices)


@PROPS
@given(seed=graph_seeds, n=st.integers(min_value=2, max_value=40))
def test_undirected_graphs_are_symmetric(seed: int, n: int) -> None:
    net, w = random_net(seed, n=n, undirected=True)
    d = paths.travel_time_matrix(net, np.arange(n), weights=w)
    assert_same(d, d.T)
    assert_same(paths.travel_time_matrix(net, np.arange(n), weights=w, reverse=True), d)


# ---------------------------------------------------------------------------- validation and errors
def test_bad_weights_are_rejected() -> None:
    net, w = random_net(0, n=20)
    for bad, match in [(np.nan, "NaN or negative"), (-1.0, "NaN or negative")]:
        ww = w.copy()
        ww[3] = bad
        with pytest.raises(NetworkError, match=match):
            paths.one_to_all(net, 0, ww)
        with pytest.raises(NetworkError, match="first at edge 3"):
            paths.travel_time_matrix(net, [0], weights=ww)
    with pytest.raises(NetworkError, match="shape"):
        paths.nearest_facility(net, [0], w[:-1])
    with pytest.raises(NetworkError, match="numbers"):
        paths.one_to_all(net, 0, ["a"] * net.n_edges)


def test_bad_nodes_and_options_are_rejected() -> None:
    net, w = random_net(0, n=20)
    with pytest.raises(NetworkError, match="outside 0..19"):
        paths.one_to_all(net, 20, w)
    with pytest.raises(NetworkError, match="outside"):
        paths.travel_time_matrix(net, [0, -1], weights=w)
    with pytest.raises(NetworkError, match="destinations"):
        paths.travel_time_matrix(net, [0], [99], w)
    with pytest.raises(NetworkError, match="integer"):
        paths.travel_time_matrix(net, [0.5], weights=w)
    with pytest.raises(NetworkError, match="integer"):
        paths.travel_time_matrix(net, np.array([True]), weights=w)
    with pytest.raises(NetworkError, match="cutoff"):
        paths.one_to_all(net, 0, w, cutoff=-1)
    with pytest.raises(NetworkError, match="at least one facility"):
        paths.nearest_facility(net, [], w)
    with pytest.raises(NetworkError, match="threads"):
        paths.travel_time_matrix(net, [0], weights=w, threads=0)
    # integral floats and numpy integers are fine
    assert_same(paths.travel_time_matrix(net, [2.0], weights=w), paths.travel_time_matrix(net, [np.int64(2)], weights=w))
    assert paths.travel_time_matrix(net, [], weights=w).shape == (0, net.n_nodes)
    assert paths.travel_time_matrix(net, [1], [], w).shape == (1, 0)


def test_require_reachable_names_the_pairs() -> None:
    m = np.array([[0.0, 5.0, np.inf], [np.inf, 0.0, 2.0]])
    with pytest.raises(UnreachableError, match=r"shelter times: 2 of 6 origin→destination pairs .* 10→32, 11→30"):
        paths.require_reachable(m, [10, 11], [30, 31, 32], what="shelter times")
    with pytest.raises(UnreachableError, match=r"32→10, 30→11"):
        paths.require_reachable(m, [10, 11], [30, 31, 32], reverse=True)
    ok = np.ones((2, 3))
    assert paths.require_reachable(ok, [1, 2], [3, 4, 5]) is ok
    with pytest.raises(UnreachableError, match=r"0→2"):
        paths.require_reachable(np.array([[0.0, 1.0, np.inf]]), [0])  # destinations = all nodes
    with pytest.raises(NetworkError, match="does not match 2 origins × 2 destinations"):
        paths.require_reachable(ok, [1, 2], [3, 4])
    many = np.full((4, 4), np.inf)
    with pytest.raises(UnreachableError, match=r"16 of 16 .*, …"):
        paths.require_reachable(many, range(4), range(4))


def test_unreachable_matrix_from_an_island_is_reported() -> None:
    net, w = random_net(3, n=30, islands=True)
    d = paths.one_to_all(net, 0, w)  # positions are renumbered: look the island up
    island = int(np.flatnonzero(np.isinf(d))[0])
    m = paths.travel_time_matrix(net, [0], [island], w)
    with pytest.raises(UnreachableError, match=f"0→{island}"):
        paths.require_reachable(m, [0], [island], what="test")


# ---------------------------------------------------------------------------- real OSM extracts
def _osm_files() -> list[Path]:
    if not OSM_DIR.is_dir():
        return []
    return sorted(p for p in OSM_DIR.iterdir() if ".osm" in p.name)


@pytest.mark.parametrize("path", _osm_files() or [None], ids=lambda p: p.name if p else "no-osm-data")
def test_real_osm_extracts_match_scipy(path: Path | None) -> None:
    if path is None:
        pytest.skip(f"no OSM extracts at {OSM_DIR}")
    osm = pytest.importorskip("network.osm", reason="network.osm is not available yet")
    if not hasattr(osm, "load_osm"):
        pytest.skip("network.osm has no load_osm yet")
    net = osm.load_osm(path)
    w = net.travel_times()
    rng = np.random.default_rng(0)
    src = rng.choice(net.n_nodes, min(8, net.n_nodes), replace=False)
    assert_same(paths.travel_time_matrix(net, src, threads=2), scipy_matrix(net, w, src))
    assert_same(paths.travel_time_matrix(net, src, reverse=True), scipy_matrix(net, w, src, reverse=True))
    dst = rng.choice(net.n_nodes, min(20, net.n_nodes), replace=False)
    assert_same(paths.travel_time_matrix(net, src, dst), scipy_matrix(net, w, src)[:, dst])
    near = paths.nearest_facility(net, src, reverse=True)
    assert_same(near.time, scipy_matrix(net, w, src, reverse=True).min(axis=0))


# ---------------------------------------------------------------------------- benchmark input
def test_synthetic_benchmark_network_is_deterministic_and_connected() -> None:
    synth = pytest.importorskip("benchmarks.synthetic_roads", reason="benchmarks/ is not importable from here")
    a = synth.synthetic_road_network(3000, seed=5)
    b = synth.synthetic_road_network(3000, seed=5)
    assert a.n_nodes >= 3000
    for field in ("x", "y", "indptr", "indices", "length", "speed_kmh", "road_class"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    d = paths.travel_time_matrix(a, [0, a.n_nodes - 1], threads=1)
    assert np.isfinite(d).all()  # strongly connected
    other = synth.synthetic_road_network(3000, seed=6)
    assert not (other.n_nodes == a.n_nodes and np.array_equal(other.x, a.x))
