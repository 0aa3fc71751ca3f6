"""A deterministic, road-like synthetic network for path benchmarks.

Real district networks are near-planar and mostly two-way: junctions of degree 3-4 joined by
polylines of degree-2 shape nodes, a sparse hierarchy of fast roads over a dense mesh of slow
local streets, some one-way streets and dead ends. A jittered grid with random gaps and bent,
subdivided segments reproduces those properties well enough for timing Dijkstra: the search
frontier grows like a disc, and fast arterials make the key distribution non-uniform. The same
``seed`` always gives the same network (numpy ``Generator``), so timings are comparable across runs.
(Real unsimplified OSM drive graphs have even more shape nodes: ~2 directed edges per node.)
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from network.model import RoadNetwork  # noqa: E402
from network.roadclass import RoadClass  # noqa: E402

#: Reference point for lon/lat (Jingdezhen); x/y are metres in a local east/north frame.
_LON0, _LAT0 = 117.18, 29.29


def synthetic_road_network(n_nodes: int = 250_000, *, seed: int = 20240501, spacing_m: float = 150.0) -> RoadNetwork:
    """A strongly connected road-like network with at least ``n_nodes`` nodes.

    Layout: a jittered square grid of junctions. Every 8th row/column is a secondary road,
    every 32nd a primary road, every 96th a trunk road; those are never broken. About 22% of
    local segments are missing (blocks, rivers, dead ends), 8% of the remaining local segments
    are one-way, and a few local diagonals make the mesh less regular. Like an unsimplified
    OSM drive graph, each segment is a polyline: it has 0-4 intermediate shape nodes (more on
    winding local roads), so most nodes have degree 2 and there are about 2.4 directed edges
    per node. Only the largest strongly connected component is kept; the grid grows until
    that still has ``n_nodes`` nodes.
    """
    side = int(np.ceil(np.sqrt(n_nodes / 2.85)))  # ~2.9 nodes per junction (measured)
    while True:
        net = _grid_network(side, seed, spacing_m)
        if net.n_nodes >= n_nodes:
            return net
        side = int(np.ceil(side * 1.02)) + 1


def _grid_network(side: int, seed: int, spacing_m: float) -> RoadNetwork:
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    node = lambda i, j: i * side + j  # noqa: E731 - grid position -> node number
    x = jj * spacing_m + rng.normal(0.0, spacing_m * 0.18, ii.size)
    y = ii * spacing_m + rng.normal(0.0, spacing_m * 0.18, ii.size)

    def line_class(k: np.ndarray) -> np.ndarray:
        """Road class of grid line ``k`` (a row for horizontal segments, a column for vertical)."""
        c = np.full(k.shape, int(RoadClass.LOCAL), np.int8)
        c[k % 8 == 0] = RoadClass.SECONDARY
        c[k % 32 == 0] = RoadClass.PRIMARY
        c[k % 96 == 0] = RoadClass.TRUNK
        return c

    # horizontal segments (i, j) - (i, j+1) lie on row i; vertical ones (i, j) - (i+1, j) on column j
    hi, hj = np.meshgrid(np.arange(side), np.arange(side - 1), indexing="ij")
    vi, vj = np.meshgrid(np.arange(side - 1), np.arange(side), indexing="ij")
    a = np.concatenate([node(hi, hj).ravel(), node(vi, vj).ravel()])
    b = np.concatenate([node(hi, hj + 1).ravel(), node(vi + 1, vj).ravel()])
    cls = np.concatenate([line_class(hi.ravel()), line_class(vj.ravel())])
    # a sprinkle of local diagonals; drawn with replacement, so drop repeats: parallel edges would
    # make scipy's strong connected_components (used by largest_strongly_connected) loop forever
    di, dj = np.unique(rng.integers(0, side - 1, (2, side * side // 40)), axis=1)
    a = np.concatenate([a, node(di, dj)])
    b = np.concatenate([b, node(di + 1, dj + 1)])
    cls = np.concatenate([cls, np.full(di.size, int(RoadClass.LOCAL), np.int8)])

    local = cls == RoadClass.LOCAL
    keep = ~local | (rng.random(a.size) > 0.22)
    a, b, cls, local = a[keep], b[keep], cls[keep], local[keep]
    one_way = local & (rng.random(a.size) < 0.08)
    flip = rng.random(a.size) < 0.5  # direction of a one-way street
    a, b = np.where(one_way & flip, b, a), np.where(one_way & flip, a, b)

    # shape nodes: segment k becomes the polyline a -> s_1 -> ... -> s_ns -> b, bent sideways
    n_seg = a.size
    ns = np.minimum(rng.poisson(np.where(local, 1.3, 0.6)), 4)
    first = np.cumsum(ns) - ns  # index of each segment's first shape node among all shape nodes
    seg = np.repeat(np.arange(n_seg), ns)
    t = (np.arange(seg.size) - first[seg] + 1) / (ns[seg] + 1)
    dx, dy = x[b] - x[a], y[b] - y[a]
    seg_len = np.hypot(dx, dy)
    bend = rng.normal(0.0, 1.0, seg.size) * np.where(local[seg], 0.10, 0.03) * seg_len[seg]
    nx_, ny_ = -dy[seg] / seg_len[seg], dx[seg] / seg_len[seg]  # unit normal of the segment
    x = np.concatenate([x, x[a][seg] + t * dx[seg] + bend * nx_])
    y = np.concatenate([y, y[a][seg] + t * dy[seg] + bend * ny_])
    n0 = side * side

    piece_seg = np.repeat(np.arange(n_seg), ns + 1)
    r = np.arange(piece_seg.size) - (np.cumsum(ns + 1) - (ns + 1))[piece_seg]  # piece number in its segment
    pa = np.where(r == 0, a[piece_seg], n0 + first[piece_seg] + r - 1)
    pb = np.where(r == ns[piece_seg], b[piece_seg], n0 + first[piece_seg] + r)
    pcls = cls[piece_seg]
    p_one_way = one_way[piece_seg]
    length = np.hypot(x[pa] - x[pb], y[pa] - y[pb]) * rng.uniform(1.0, 1.08, pa.size)
    base = np.array([RoadClass(c).default_speed_kmh for c in range(len(RoadClass))])
    speed = (base[cls] * rng.uniform(0.8, 1.1, n_seg))[piece_seg]  # one speed per road segment

    two = ~p_one_way
    u = np.concatenate([pa, pb[two]])
    v = np.concatenate([pb, pa[two]])
    length = np.concatenate([length, length[two]])
    speed = np.concatenate([speed, speed[two]])
    pcls = np.concatenate([pcls, pcls[two]])

    lat = _LAT0 + y / 110_574.0
    lon = _LON0 + x / (111_320.0 * np.cos(np.radians(_LAT0)))
    net = RoadNetwork.from_edges(
        x=x, y=y, lon=lon, lat=lat, u=u, v=v, length=length, speed_kmh=speed, road_class=pcls,
        crs="EPSG:32650", name=f"synthetic roads (seed {seed})",
        meta={"generator": "benchmarks.synthetic_roads", "seed": seed, "grid_side": side},
    )
    return net.largest_strongly_connected()


if __name__ == "__main__":
    import time

    t0 = time.perf_counter()
    g = synthetic_road_network()
    print(g, f"built in {time.perf_counter() - t0:.1f} s, {g.n_edges / g.n_nodes:.2f} edges per node")
    print(g.summary())
