"""Deterministic generation of the built-in district's road network.

From the district spec and its terrain: main roads from the spec's polylines (expressway
joined only at its junctions, bridges only where a road in the spec crosses the river),
street grids in every town, villages scattered by terrain, village roads as a Gabriel graph
that avoids the river and steep slopes, and collector roads promoted from the village roads
that carry most township-centre trips. Long links are split so hazards can close them piecewise.
"""
from __future__ import annotations

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import Delaunay, cKDTree

from .district_spec import DistrictSpec
from .geometry import PolylineIndex, densify, points_in_polygon, poisson_disc
from .roadclass import RoadClass
from .terrain import LandCover, Terrain, xy_of

_CLASS_BY_NAME = {
    "motorway": RoadClass.MOTORWAY,
    "trunk": RoadClass.TRUNK,
    "primary": RoadClass.PRIMARY,
    "secondary": RoadClass.SECONDARY,
    "tertiary": RoadClass.TERTIARY,
}


class _Builder:
    """Collects nodes (x, y, kind) and undirected edges (a, b, class)."""

    def __init__(self):
        self.xy: list[np.ndarray] = []
        self.kind: list[np.ndarray] = []
        self.edges: list[np.ndarray] = []
        self.n = 0

    def add_nodes(self, xy: np.ndarray, kind: int) -> np.ndarray:
        xy = np.asarray(xy, float).reshape(-1, 2)
        ids = np.arange(self.n, self.n + len(xy))
        self.xy.append(xy)
        self.kind.append(np.full(len(xy), kind, np.int8))
        self.n += len(xy)
        return ids

    def add_edges(self, a, b, cls: int | np.ndarray) -> None:
        a = np.asarray(a, np.int64)
        b = np.asarray(b, np.int64)
        c = np.broadcast_to(np.asarray(cls, np.int8), a.shape)
        self.edges.append(np.column_stack([a, b, c]))

    def arrays(self):
        xy = np.vstack(self.xy)
        kind = np.concatenate(self.kind)
        e = np.vstack(self.edges) if self.edges else np.zeros((0, 3), np.int64)
        return xy, kind, e


# node kinds
_MAIN, _MOTORWAY, _URBAN, _VILLAGE = 0, 1, 2, 3


def _main_roads(spec: DistrictSpec, b: _Builder) -> tuple[list[tuple[np.ndarray, int]], list[np.ndarray]]:
    """Chains of nodes along the spec's main roads, with shared nodes where they meet."""
    crs = spec.district.crs
    seg = spec.generator.segment_m
    lines = [(xy_of(r.line, crs), _CLASS_BY_NAME[r.road_class]) for r in spec.roads]
    geoms = [shapely.LineString(xy) for xy, _ in lines]
    # Insert the crossing points of non-motorway roads into both lines, so they meet at a node.
    extra: list[list[tuple[float, np.ndarray]]] = [[] for _ in lines]
    for i in range(len(lines)):
        for j in range(i + 1, len(lines)):
            if RoadClass.MOTORWAY in (lines[i][1], lines[j][1]):
                continue
            inter = geoms[i].intersection(geoms[j])
            for p in getattr(inter, "geoms", [inter]):
                if p.is_empty or p.geom_type != "Point":
                    continue
                for k in (i, j):
                    extra[k].append((geoms[k].project(p), np.array([p.x, p.y])))
    chains = []
    junction_xy = []
    for k, ((xy, cls), geom) in enumerate(zip(lines, geoms)):
        pts = densify(xy, seg)
        along = np.array([geom.project(shapely.Point(p)) for p in pts])
        if extra[k]:
            pts = np.vstack([pts] + [p[None] for _, p in extra[k]])
            along = np.concatenate([along, [d for d, _ in extra[k]]])
            order = np.argsort(along, kind="stable")
            pts, along = pts[order], along[order]
            keep = np.concatenate([[True], np.diff(along) > 1.0])
            pts = pts[keep]
        ids = b.add_nodes(pts, _MOTORWAY if cls == RoadClass.MOTORWAY else _MAIN)
        b.add_edges(ids[:-1], ids[1:], int(cls))
        chains.append((ids, int(cls)))
        if cls == RoadClass.MOTORWAY:
            junction_xy.append(xy_of(spec.roads[k].junctions or [], crs))
    return chains, junction_xy


def _active_floodplain_m(spec: DistrictSpec) -> float:
    """Distance from the river's centreline to the outer edge of its active floodplain."""
    return spec.river.channel_width_m / 2.0 + 40.0 + spec.valley.floodplain_width_m


def _town_grids(spec: DistrictSpec, b: _Builder, river: PolylineIndex, rng: np.random.Generator) -> None:
    """A rotated street grid inside each town's built-up radius (ragged edge, no streets in the river)."""
    crs = spec.district.crs
    sp = spec.generator.urban_street_spacing_m
    half_channel = spec.river.channel_width_m / 2.0 + 60.0
    for t in spec.townships:
        c = xy_of([t.centre], crs)[0]
        r = t.urban_radius_m
        k = int(np.ceil(r / sp))
        ii, jj = np.meshgrid(np.arange(-k, k + 1), np.arange(-k, k + 1), indexing="ij")
        a = np.deg2rad(t.street_angle_deg)
        gx = (ii * np.cos(a) - jj * np.sin(a)) * sp + c[0]
        gy = (ii * np.sin(a) + jj * np.cos(a)) * sp + c[1]
        edge_r = r * (0.8 + 0.35 * rng.random(gx.shape))
        dist_river, _ = river.query(gx, gy)
        inside = (np.hypot(gx - c[0], gy - c[1]) <= edge_r) & (dist_river > half_channel)
        idx = np.full(gx.shape, -1, np.int64)
        jitter = rng.normal(0.0, sp * 0.06, size=(int(inside.sum()), 2))
        idx[inside] = b.add_nodes(np.column_stack([gx[inside], gy[inside]]) + jitter, _URBAN)
        # every fourth street is a collector
        for di, dj in ((1, 0), (0, 1)):
            a_ids = idx[: idx.shape[0] - di, : idx.shape[1] - dj]
            b_ids = idx[di:, dj:]
            ok = (a_ids >= 0) & (b_ids >= 0)
            line_no = (jj if di else ii)[: idx.shape[0] - di, : idx.shape[1] - dj]
            cls = np.where(line_no % 4 == 0, int(RoadClass.TERTIARY), int(RoadClass.LOCAL))
            b.add_edges(a_ids[ok], b_ids[ok], cls[ok])


def _villages(spec: DistrictSpec, terrain: Terrain, b: _Builder, river: PolylineIndex, rng) -> None:
    """Rural settlements: dense in the valleys, sparse in the hills, none in water or towns."""
    dem, lc = terrain.dem, terrain.landcover
    xmin, xmax, ymin, ymax = dem.extent
    n_cand = int((xmax - xmin) * (ymax - ymin) / (spec.generator.village_spacing_m**2) * 6)
    cand = np.column_stack([rng.uniform(xmin, xmax, n_cand), rng.uniform(ymin, ymax, n_cand)])
    z = dem.sample(cand[:, 0], cand[:, 1])
    cover = lc.sample(cand[:, 0], cand[:, 1], method="nearest")
    gy, gx = np.gradient(dem.values, dem.cellsize)
    slope = dem.like(np.hypot(gx, gy)).sample(cand[:, 0], cand[:, 1])
    dist_river, _ = river.query(cand[:, 0], cand[:, 1])
    p = np.exp(-np.nan_to_num(z, nan=1e4) / 220.0) * np.exp(-np.nan_to_num(slope, nan=1.0) / 0.12)
    p = np.where(np.isin(cover, [LandCover.WATER, LandCover.URBAN, LandCover.INDUSTRIAL]), 0.0, p)
    p = np.where(dist_river <= _active_floodplain_m(spec), 0.0, p)
    keep = rng.random(n_cand) < p / p.max()
    pts = cand[keep]
    pts = pts[poisson_disc(pts, spec.generator.village_spacing_m)]
    b.add_nodes(pts, _VILLAGE)


def _local_links(spec, terrain, b: _Builder, chains, river_line) -> None:
    """Village roads: Gabriel edges among villages, town edges and main-road nodes."""
    xy, kind, e = b.arrays()
    chain_of = np.full(len(xy), -1, np.int64)
    for c, (ids, _) in enumerate(chains):
        chain_of[ids] = c
    eligible = np.flatnonzero(kind != _MOTORWAY)
    tri = Delaunay(xy[eligible])
    s = tri.simplices
    cand = np.vstack([s[:, [0, 1]], s[:, [1, 2]], s[:, [2, 0]]])
    cand = np.unique(np.sort(cand, axis=1), axis=0)
    a, c = eligible[cand[:, 0]], eligible[cand[:, 1]]
    # Gabriel test: no other point inside the circle with the edge as diameter.
    mid = (xy[a] + xy[c]) / 2.0
    rad = np.hypot(*(xy[a] - xy[c]).T) / 2.0
    tree = cKDTree(xy[eligible])
    nearest, _ = tree.query(mid, k=1)
    gabriel = nearest >= rad * (1 - 1e-9) - 1e-6
    length = 2.0 * rad
    same_chain = (chain_of[a] >= 0) & (chain_of[a] == chain_of[c])
    both_urban = (kind[a] == _URBAN) & (kind[c] == _URBAN)
    keep = gabriel & (length <= spec.generator.max_local_edge_m) & ~same_chain & ~both_urban
    a, c, length = a[keep], c[keep], length[keep]
    za = terrain.dem.sample(xy[a, 0], xy[a, 1])
    zc = terrain.dem.sample(xy[c, 0], xy[c, 1])
    grade = np.abs(za - zc) / np.maximum(length, 1.0)
    urban_end = (kind[a] == _URBAN) | (kind[c] == _URBAN)
    keep = (grade <= spec.generator.max_local_grade) | urban_end
    a, c = a[keep], c[keep]
    lines = shapely.linestrings(np.stack([xy[a], xy[c]], axis=1))
    crosses = shapely.intersects(lines, river_line)
    a, c = a[~crosses], c[~crosses]
    b.add_edges(a, c, int(RoadClass.LOCAL))


def _motorway_junctions(b: _Builder, chains, junction_xy) -> None:
    """Ramps: the expressway connects to the nearest other roads only at its junctions."""
    xy, kind, _ = b.arrays()
    others = np.flatnonzero(kind != _MOTORWAY)
    tree = cKDTree(xy[others])
    motor_ids = [ids for ids, cls in chains if cls == int(RoadClass.MOTORWAY)]
    for ids, juncs in zip(motor_ids, junction_xy):
        mtree = cKDTree(xy[ids])
        for j in juncs:
            _, mi = mtree.query(j)
            _, oi = tree.query(j, k=3)
            b.add_edges(np.full(3, ids[mi]), others[oi], int(RoadClass.MOTORWAY))


def _promote_collectors(xy, edges, centres: list[int], threshold: int) -> None:
    """Village roads that carry many centre-to-village shortest paths become township roads."""
    n = len(xy)
    a, c = edges[:, 0], edges[:, 1]
    w = np.hypot(*(xy[a] - xy[c]).T)
    g = sparse.csr_matrix((np.concatenate([w, w]), (np.concatenate([a, c]), np.concatenate([c, a]))), shape=(n, n))
    dist, pred = csgraph.dijkstra(g, indices=centres, return_predecessors=True)
    key = {}
    for k, (u, v) in enumerate(zip(a, c)):
        key[(int(u), int(v))] = k
        key[(int(v), int(u))] = k
    usage = np.zeros(len(edges), np.int64)
    for row in range(len(centres)):
        d, p = dist[row], pred[row]
        order = np.argsort(-d)
        count = np.ones(n, np.int64)
        for v in order:
            if not np.isfinite(d[v]) or p[v] < 0:
                continue
            count[p[v]] += count[v]
            usage[key[(int(p[v]), int(v))]] += count[v]
    local = edges[:, 2] == int(RoadClass.LOCAL)
    edges[local & (usage >= threshold), 2] = int(RoadClass.TERTIARY)


def _merge_close_nodes(xy: np.ndarray, kind: np.ndarray, edges: np.ndarray, tol: float) -> tuple:
    """Merge non-expressway nodes closer than ``tol`` (roads that meet end to end)."""
    n = len(xy)
    parent = np.arange(n)
    movable = kind != _MOTORWAY
    idx = np.flatnonzero(movable)
    pairs = cKDTree(xy[idx]).query_pairs(tol, output_type="ndarray")
    g = sparse.coo_matrix((np.ones(len(pairs)), (idx[pairs[:, 0]], idx[pairs[:, 1]])), shape=(n, n))
    _, labels = csgraph.connected_components(g, directed=False)
    # representative = smallest index in each component
    first = np.full(labels.max() + 1, n)
    np.minimum.at(first, labels, np.arange(n))
    parent = first[labels]
    e = edges.copy()
    e[:, 0], e[:, 1] = parent[e[:, 0]], parent[e[:, 1]]
    e = e[e[:, 0] != e[:, 1]]
    used = np.unique(parent)
    remap = np.full(n, -1, np.int64)
    remap[used] = np.arange(len(used))
    e[:, 0], e[:, 1] = remap[e[:, 0]], remap[e[:, 1]]
    # one edge per node pair: keep the highest class (smallest number)
    lo, hi = np.minimum(e[:, 0], e[:, 1]), np.maximum(e[:, 0], e[:, 1])
    order = np.lexsort((e[:, 2], hi, lo))
    lo, hi, cls = lo[order], hi[order], e[order, 2]
    first_pair = np.concatenate([[True], (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])])
    e = np.column_stack([lo[first_pair], hi[first_pair], cls[first_pair]])
    return xy[used], kind[used], e


def _split_long(xy, kind, edges, seg: float):
    """Split edges longer than ``seg`` into equal pieces with new nodes of their class."""
    xy_list, kind_list, out = [xy], [kind], []
    n = len(xy)
    length = np.hypot(*(xy[edges[:, 0]] - xy[edges[:, 1]]).T)
    pieces = np.maximum(1, np.ceil(length / seg).astype(np.int64))
    for (a, b, cls), k in zip(edges, pieces):
        if k == 1:
            out.append((a, b, cls))
            continue
        t = np.arange(1, k)[:, None] / k
        pts = xy[a] + t * (xy[b] - xy[a])
        ids = np.arange(n, n + k - 1)
        n += k - 1
        xy_list.append(pts)
        kind_list.append(np.full(k - 1, _MOTORWAY if cls == RoadClass.MOTORWAY else _MAIN, np.int8))
        chain = np.concatenate([[a], ids, [b]])
        out.extend((int(p), int(q), int(cls)) for p, q in zip(chain[:-1], chain[1:]))
    return np.vstack(xy_list), np.concatenate(kind_list), np.array(out, np.int64)


def generate_roads(spec: DistrictSpec, terrain: Terrain, rng: np.random.Generator):
    """Nodes (x, y), node kinds, and undirected edges (a, b, road class) of the district."""
    crs = spec.district.crs
    river_xy = xy_of(spec.river.course, crs)
    river = PolylineIndex(river_xy)
    river_line = shapely.LineString(river_xy)
    b = _Builder()
    chains, junction_xy = _main_roads(spec, b)
    _town_grids(spec, b, river, rng)
    _villages(spec, terrain, b, river, rng)
    _local_links(spec, terrain, b, chains, river_line)
    _motorway_junctions(b, chains, junction_xy)
    xy, kind, edges = b.arrays()
    xy, kind, edges = _merge_close_nodes(xy, kind, edges, tol=35.0)
    centres = [int(cKDTree(xy).query(xy_of([t.centre], crs)[0])[1]) for t in spec.townships]
    _promote_collectors(xy, edges, centres, threshold=150)
    xy, kind, edges = _split_long(xy, kind, edges, spec.generator.segment_m)
    # nothing is built in the river except on bridges from the spec
    return xy, kind, edges


def district_population(spec: DistrictSpec, xy: np.ndarray, kind: np.ndarray, zone: np.ndarray,
                        ground_m: np.ndarray) -> np.ndarray:
    """Spread each township's population over its nodes: towns dense, villages sparse; nobody on
    the river's banks or active floodplain, nor below ``valley.lowest_settled_m`` outside the
    district's low areas (``ground_m``: gauge-equivalent ground at each node)."""
    crs = spec.district.crs
    pop = np.zeros(len(xy))
    weight = np.where(kind == _URBAN, 8.0, np.where(kind == _VILLAGE, 2.0, 0.5))
    weight = np.where(kind == _MOTORWAY, 0.0, weight)
    dist_river, _ = PolylineIndex(xy_of(spec.river.course, crs)).query(xy[:, 0], xy[:, 1])
    weight = np.where(dist_river <= _active_floodplain_m(spec), 0.0, weight)
    in_low_area = np.zeros(len(xy), bool)
    for area in spec.low_areas:
        in_low_area |= points_in_polygon(xy[:, 0], xy[:, 1], xy_of(area.polygon, crs))
    weight = np.where((ground_m < spec.valley.lowest_settled_m) & ~in_low_area, 0.0, weight)
    if spec.industrial_park is not None:
        weight = np.where(points_in_polygon(xy[:, 0], xy[:, 1], xy_of(spec.industrial_park.polygon, crs)), 0.0, weight)
    for z, t in enumerate(spec.townships):
        members = zone == z
        c = xy_of([t.centre], crs)[0]
        r = np.hypot(xy[members, 0] - c[0], xy[members, 1] - c[1])
        w = weight[members] / (1.0 + r / 2500.0)
        if w.sum() > 0:
            pop[members] = t.population * w / w.sum()
    return pop
