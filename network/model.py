"""The road network: an immutable directed multigraph in CSR form.

Nodes carry projected x/y (metres), lon/lat, elevation, resident population and a zone
(township) index. Directed edges are stored sorted by source node (forward CSR); a reverse
CSR over the same edges answers "travel time *to* a node". Parallel edges are kept, as in
OSM data; :meth:`RoadNetwork.to_scipy` collapses them to the fastest one when a simple
graph is needed.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from .errors import NetworkError
from .roadclass import OSM_HIGHWAY_CLASS, RoadClass

_NODE_FLOAT_FIELDS = ("x", "y", "lon", "lat", "elevation", "population")
_EDGE_FLOAT_FIELDS = ("length", "speed_kmh", "min_elevation")


def _frozen(a: np.ndarray, dtype) -> np.ndarray:
    """A read-only contiguous copy of ``a`` as ``dtype`` (never a view of the caller's array)."""
    out = np.ascontiguousarray(a, dtype=dtype)
    if out is a:
        out = out.copy()
    out.flags.writeable = False
    return out


def _node_fields(
    name: str, x, y, lon, lat, elevation, population, zone, node_id
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Node float fields, zone and node id as arrays, with the defaults filled in; checked."""
    n = len(x)
    if n == 0:
        raise NetworkError(f"{name}: the network has no nodes")
    nodes = {"x": x, "y": y, "lon": lon, "lat": lat}
    nodes["elevation"] = np.zeros(n) if elevation is None else elevation
    nodes["population"] = np.zeros(n) if population is None else population
    nodes = {k: np.asarray(a, dtype=np.float64) for k, a in nodes.items()}
    zone = np.full(n, -1, np.int32) if zone is None else np.asarray(zone, np.int32)
    node_id = np.arange(n, dtype=np.int64) if node_id is None else np.asarray(node_id, np.int64)
    _check_node_fields(name, n, nodes, zone, node_id)
    return nodes, zone, node_id


def _check_node_fields(name: str, n: int, nodes: dict[str, np.ndarray], zone: np.ndarray, node_id: np.ndarray) -> None:
    """Raise NetworkError for a node field of the wrong shape, or bad coordinates or population."""
    for k, a in list(nodes.items()) + [("zone", zone), ("node_id", node_id)]:
        if a.shape != (n,):
            raise NetworkError(f"{name}: node field '{k}' has shape {a.shape}, expected ({n},)")
    for k in ("x", "y", "lon", "lat", "population"):
        if not np.all(np.isfinite(nodes[k])):
            raise NetworkError(f"{name}: node field '{k}' has NaN or infinite values")
    if np.any(nodes["population"] < 0):
        raise NetworkError(f"{name}: node field 'population' has negative values")


def _edge_fields(
    name: str, nodes: dict[str, np.ndarray], u, v, length, speed_kmh, road_class, min_elevation
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """Edge ends, float fields and class as arrays (``min_elevation`` defaults to the lower end); checked."""
    u = np.asarray(u, np.int64)
    v = np.asarray(v, np.int64)
    m = len(u)
    if m == 0:
        raise NetworkError(f"{name}: the network has no edges")
    edges = {"length": length, "speed_kmh": speed_kmh}
    edges["min_elevation"] = (
        np.minimum(nodes["elevation"][u], nodes["elevation"][v]) if min_elevation is None else min_elevation
    )
    edges = {k: np.asarray(a, dtype=np.float64) for k, a in edges.items()}
    road_class = np.asarray(road_class, dtype=np.int8)
    _check_edge_fields(name, len(nodes["x"]), u, v, edges, road_class)
    return u, v, edges, road_class


def _check_edge_fields(
    name: str, n: int, u: np.ndarray, v: np.ndarray, edges: dict[str, np.ndarray], road_class: np.ndarray
) -> None:
    """Raise NetworkError for an edge field of the wrong shape, an end that is no node, or a bad value."""
    m = len(u)
    for k, a in list(edges.items()) + [("v", v), ("road_class", road_class)]:
        if a.shape != (m,):
            raise NetworkError(f"{name}: edge field '{k}' has shape {a.shape}, expected ({m},)")
    if u.min() < 0 or v.min() < 0 or u.max() >= n or v.max() >= n:
        raise NetworkError(f"{name}: edge endpoints must be node positions in 0..{n - 1}")
    for k in ("length", "speed_kmh"):
        a = edges[k]
        bad = ~np.isfinite(a) | (a < 0) if k == "length" else ~np.isfinite(a) | (a <= 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            what = "negative or NaN" if k == "length" else "non-positive or NaN"
            raise NetworkError(
                f"{name}: edge field '{k}' has {int(bad.sum())} {what} value(s), "
                f"first at edge {i} ({int(u[i])} -> {int(v[i])}): {a[i]!r}"
            )
    if road_class.min() < min(RoadClass) or road_class.max() > max(RoadClass):
        raise NetworkError(f"{name}: edge field 'road_class' outside {min(RoadClass)}..{max(RoadClass)}")


def _hilbert_renumbered(
    nodes: dict[str, np.ndarray], zone: np.ndarray, node_id: np.ndarray, u: np.ndarray, v: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nodes reordered along a Hilbert curve, and the edge ends renumbered to match."""
    perm = np.argsort(hilbert_key(nodes["x"], nodes["y"]), kind="stable")
    rank = np.empty(len(perm), np.int64)
    rank[perm] = np.arange(len(perm))
    return {k: a[perm] for k, a in nodes.items()}, zone[perm], node_id[perm], rank[u], rank[v]


def _csr_fields(
    n: int, u: np.ndarray, v: np.ndarray, edges: dict[str, np.ndarray], road_class: np.ndarray
) -> dict[str, np.ndarray]:
    """The edge fields of a RoadNetwork, frozen: edges sorted by (tail, head), forward and reverse CSR."""
    m = len(u)
    order = np.lexsort((v, u))
    u, v = u[order], v[order]
    edges = {k: a[order] for k, a in edges.items()}
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
    rev_order = np.lexsort((u, v))
    rev_indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(v, minlength=n), out=rev_indptr[1:])
    pointer = np.int32 if m < 2**31 else np.int64
    return {
        "indptr": _frozen(indptr, pointer),
        "indices": _frozen(v, np.int32),
        **{k: _frozen(a, np.float64) for k, a in edges.items()},
        "road_class": _frozen(road_class[order], np.int8),
        "rev_indptr": _frozen(rev_indptr, pointer),
        "rev_indices": _frozen(u[rev_order], np.int32),
        "rev_edge": _frozen(rev_order, np.int32),
    }


@dataclass(frozen=True, eq=False, repr=False)
class RoadNetwork:
    """A drivable road network. Build it with :meth:`from_edges`, a loader, or the built-in district.

    All arrays are read-only. Edge arrays are in CSR order: the out-edges of node ``i`` are
    ``indptr[i]:indptr[i+1]``, their heads ``indices[...]``. ``rev_edge[k]`` is the forward
    edge index of the ``k``-th entry of the reverse CSR, so per-edge weights ``w`` are
    ``w[rev_edge]`` in reverse order.
    """

    x: np.ndarray
    y: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    elevation: np.ndarray
    population: np.ndarray
    zone: np.ndarray
    node_id: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    length: np.ndarray
    speed_kmh: np.ndarray
    road_class: np.ndarray
    min_elevation: np.ndarray
    rev_indptr: np.ndarray
    rev_indices: np.ndarray
    rev_edge: np.ndarray
    crs: str
    name: str = "road network"
    zone_names: tuple[tuple[str, str], ...] = ()
    dropped_nodes: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_edges(
        cls, *, x: np.ndarray, y: np.ndarray, lon: np.ndarray, lat: np.ndarray,
        u: np.ndarray, v: np.ndarray, length: np.ndarray, speed_kmh: np.ndarray, road_class: np.ndarray, crs: str,
        elevation: np.ndarray | None = None, population: np.ndarray | None = None, zone: np.ndarray | None = None,
        node_id: np.ndarray | None = None, min_elevation: np.ndarray | None = None, name: str = "road network",
        zone_names: tuple[tuple[str, str], ...] = (), dropped_nodes: int = 0, meta: dict[str, Any] | None = None,
        spatial_order: bool = True,
    ) -> "RoadNetwork":
        """Validate node and edge arrays and build forward and reverse CSR.

        With ``spatial_order`` the nodes are renumbered along a Hilbert curve so that nearby
        nodes sit nearby in memory, which speeds up every path search; ``node_id`` keeps the
        original ids. Edges are sorted by (tail, head); parallel edges are kept.

        Parameters
        ----------
        x, y, lon, lat : array of float, shape (n,)
            Node coordinates: projected in ``crs`` (metres), and WGS 84 (degrees).
        u, v : array of int, shape (m,)
            Tail and head of each directed edge, as node positions 0..n-1.
        length, speed_kmh : array of float, shape (m,)
            Edge length in metres (>= 0) and free-flow speed in km/h (> 0).
        road_class : array of int, shape (m,)
            :class:`~network.roadclass.RoadClass` value of each edge.
        crs : str
            The projected CRS of ``x``/``y``, e.g. ``"EPSG:32650"``.
        elevation, population : array of float, shape (n,), optional
            Node elevation in metres and residents (>= 0); default 0.
        zone : array of int, shape (n,), optional
            Zone (township) index of each node, -1 outside every zone (the default).
        node_id : array of int, shape (n,), optional
            Original node ids (e.g. OSM ids); default the positions 0..n-1.
        min_elevation : array of float, shape (m,), optional
            Lowest elevation along each edge; default the lower of its end nodes.
        name : str
            Name of the network, also the start of every error message.
        zone_names : tuple of (str, str)
            Chinese and English name of each zone.
        dropped_nodes : int
            Nodes the loader left out (e.g. outside the largest strongly connected component).
        meta : dict, optional
            Provenance (source file, counts); copied.
        spatial_order : bool
            Renumber the nodes along a Hilbert curve (default True).

        Returns
        -------
        RoadNetwork
            A network whose arrays are read-only copies of the inputs.

        Raises
        ------
        NetworkError
            No nodes or no edges, a field of the wrong shape, NaN/infinite coordinates or
            population, negative population, an edge end that is no node, a negative or NaN
            length, a non-positive speed or a road class out of range.
        """
        nodes, zone, node_id = _node_fields(name, x, y, lon, lat, elevation, population, zone, node_id)
        u, v, edges, road_class = _edge_fields(name, nodes, u, v, length, speed_kmh, road_class, min_elevation)
        if spatial_order:
            nodes, zone, node_id, u, v = _hilbert_renumbered(nodes, zone, node_id, u, v)
        return cls(
            **{k: _frozen(a, np.float64) for k, a in nodes.items()},
            zone=_frozen(zone, np.int32),
            node_id=_frozen(node_id, np.int64),
            **_csr_fields(len(zone), u, v, edges, road_class),
            crs=crs,
            name=name,
            zone_names=tuple(zone_names),
            dropped_nodes=int(dropped_nodes),
            meta=dict(meta or {}),
        )

    # ------------------------------------------------------------------ sizes and views
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.x)

    @property
    def n_edges(self) -> int:
        """Number of directed edges (parallel edges counted)."""
        return len(self.indices)

    @cached_property
    def edge_source(self) -> np.ndarray:
        """Tail node of each edge (CSR order)."""
        src = np.repeat(np.arange(self.n_nodes, dtype=np.int32), np.diff(self.indptr))
        src.flags.writeable = False
        return src

    @property
    def edge_target(self) -> np.ndarray:
        """Head node of each edge (CSR order): the same array as ``indices``."""
        return self.indices

    def travel_times(self, speed_factor: np.ndarray | float | None = None) -> np.ndarray:
        """Seconds to traverse each edge: ``length / (speed × factor)``.

        Parameters
        ----------
        speed_factor : float or array of float, shape (n_edges,), optional
            Fraction of the free-flow speed, one value or one per edge, in [0, 1]; 0 closes
            the edge. Default: free flow everywhere.

        Returns
        -------
        numpy.ndarray of float, shape (n_edges,)
            Travel time per edge in seconds, CSR order; +inf for closed edges.

        Raises
        ------
        NetworkError
            When ``speed_factor`` has the wrong shape or values outside [0, 1] (or NaN).
        """
        base_speed = self.speed_kmh / 3.6
        if speed_factor is None:
            return self.length / base_speed
        f = np.asarray(speed_factor, dtype=np.float64)
        if f.ndim and f.shape != (self.n_edges,):
            raise NetworkError(f"speed_factor has shape {f.shape}, expected ({self.n_edges},)")
        if np.any(~np.isfinite(f)) or np.any((f < 0) | (f > 1)):
            raise NetworkError("speed_factor must lie in [0, 1] (0 closes an edge)")
        with np.errstate(divide="ignore"):
            return np.where(f > 0, self.length / (base_speed * np.maximum(f, 1e-300)), np.inf)

    def reverse_weights(self, weights: np.ndarray) -> np.ndarray:
        """Per-edge weights permuted into reverse-CSR order.

        Parameters
        ----------
        weights : array, shape (n_edges,)
            One value per edge in forward CSR order.

        Returns
        -------
        numpy.ndarray
            ``weights[rev_edge]``: the values in the order of ``rev_indices``.
        """
        return np.asarray(weights)[self.rev_edge]

    def edge_index(self, u: int, v: int) -> int:
        """Index of the fastest edge ``u -> v`` (of parallel edges, the one with the least free-flow time).

        Parameters
        ----------
        u, v : int
            Tail and head as node positions.

        Returns
        -------
        int
            Forward CSR edge index.

        Raises
        ------
        NetworkError
            When there is no edge from ``u`` to ``v``.
        """
        lo, hi = self.indptr[u], self.indptr[u + 1]
        hits = np.flatnonzero(self.indices[lo:hi] == v)
        if len(hits) == 0:
            raise NetworkError(f"no edge {u} -> {v}")
        times = self.length[lo + hits] / self.speed_kmh[lo + hits]
        return int(lo + hits[np.argmin(times)])

    # ------------------------------------------------------------------ interop
    def to_scipy(self, weights: np.ndarray | None = None) -> sparse.csr_matrix:
        """The graph as a scipy CSR matrix; parallel edges keep their smallest weight.

        Edges with weight +inf (closed) are left out. Zero weights are stored as a tiny
        positive number, because scipy's csgraph treats explicit zeros as missing edges.

        Parameters
        ----------
        weights : array of float, shape (n_edges,), optional
            Edge weights in CSR order; default :meth:`travel_times` (seconds).

        Returns
        -------
        scipy.sparse.csr_matrix
            ``n_nodes × n_nodes`` matrix with ``M[u, v]`` the weight of the edge ``u -> v``.
        """
        w = self.travel_times() if weights is None else np.asarray(weights, dtype=np.float64)
        src = self.edge_source
        keep = np.isfinite(w)
        order = np.lexsort((w[keep], self.indices[keep], src[keep]))
        s, t, ww = src[keep][order], self.indices[keep][order], w[keep][order]
        first = np.ones(len(s), bool)
        first[1:] = (s[1:] != s[:-1]) | (t[1:] != t[:-1])
        ww = np.where(ww[first] == 0, np.finfo(float).tiny, ww[first])
        return sparse.csr_matrix((ww, (s[first], t[first])), shape=(self.n_nodes, self.n_nodes))

    def to_networkx(self):
        """The network as a ``networkx.MultiDiGraph`` with OSMnx-style attributes.

        Returns
        -------
        networkx.MultiDiGraph
            Nodes keyed by ``node_id`` with ``x``/``y`` (projected), ``lon``/``lat``,
            ``elevation``, ``population`` and ``zone``; edges with ``length`` (m),
            ``speed_kph``, ``road_class``, ``highway``, ``min_elevation`` and
            ``travel_time`` (s). The graph has ``crs`` and ``name`` attributes.
        """
        import networkx as nx  # deferred: ~90 ms, and `import network` (every CLI start) never needs it

        g = nx.MultiDiGraph(crs=self.crs, name=self.name)
        for i in range(self.n_nodes):
            g.add_node(
                int(self.node_id[i]),
                x=float(self.x[i]), y=float(self.y[i]), lon=float(self.lon[i]), lat=float(self.lat[i]),
                elevation=float(self.elevation[i]), population=float(self.population[i]), zone=int(self.zone[i]),
            )
        tt = self.travel_times()
        ids = self.node_id
        for e, (s, t) in enumerate(zip(self.edge_source, self.indices)):
            g.add_edge(
                int(ids[s]), int(ids[t]),
                length=float(self.length[e]), speed_kph=float(self.speed_kmh[e]),
                road_class=int(self.road_class[e]), highway=RoadClass(int(self.road_class[e])).name.lower(),
                min_elevation=float(self.min_elevation[e]), travel_time=float(tt[e]),
            )
        return g

    @classmethod
    def from_networkx(cls, g, *, crs: str | None = None, name: str | None = None) -> "RoadNetwork":
        """Build from a networkx graph with attributes as :meth:`to_networkx` writes them.

        Parameters
        ----------
        g : networkx.Graph
            Nodes need ``lon``/``lat`` (or unprojected ``x``/``y`` when no ``crs`` is given);
            ``elevation``, ``population`` and ``zone`` are optional. Edges need ``length``
            (m); ``speed_kph`` defaults to the speed of ``road_class`` or ``highway``.
        crs : str, optional
            Projected CRS of the nodes' ``x``/``y``; default the graph's ``crs``, and the
            local UTM zone when that is missing or WGS 84.
        name : str, optional
            Name of the network; default the graph's ``name``.

        Returns
        -------
        RoadNetwork
            Node ids are the graph's node keys where they are integers, else positions.

        Raises
        ------
        NetworkError
            When the graph has no nodes, a node lacks numeric lon/lat, or
            :meth:`from_edges` rejects the arrays.
        """
        # deferred: pyproj adds ~30 ms to `import network` (every CLI start), which otherwise never loads it
        from .projection import to_projected, utm_crs_for

        name = name or g.graph.get("name", "networkx graph")
        ids = list(g.nodes)
        if not ids:
            raise NetworkError(f"{name}: the graph has no nodes")
        pos = {nid: i for i, nid in enumerate(ids)}
        data = [g.nodes[nid] for nid in ids]
        try:
            lon = np.array([d.get("lon", d.get("x")) for d in data], float)
            lat = np.array([d.get("lat", d.get("y")) for d in data], float)
        except (TypeError, ValueError) as exc:
            raise NetworkError(f"{name}: nodes need numeric lon/lat ({exc})") from None
        crs = crs or g.graph.get("crs")
        if crs is None or str(crs).upper() in ("EPSG:4326", "WGS84"):
            crs = utm_crs_for(float(np.nanmean(lon)), float(np.nanmean(lat)))
        if all("lon" in d and "x" in d for d in data):
            x = np.array([d["x"] for d in data], float)
            y = np.array([d["y"] for d in data], float)
        else:
            x, y = to_projected(lon, lat, crs)
        us, vs, lengths, speeds, classes = [], [], [], [], []
        for s, t, d in g.edges(data=True):
            us.append(pos[s])
            vs.append(pos[t])
            rc = d.get("road_class")
            if rc is None:
                hw = d.get("highway", "unclassified")
                hw = hw[0] if isinstance(hw, list) else hw
                rc = OSM_HIGHWAY_CLASS.get(str(hw), RoadClass.LOCAL)
            rc = RoadClass(int(rc))
            classes.append(int(rc))
            lengths.append(float(d.get("length", np.nan)))
            speeds.append(float(d.get("speed_kph", rc.default_speed_kmh)))
        return cls.from_edges(
            x=x, y=y, lon=lon, lat=lat,
            elevation=np.array([d.get("elevation", 0.0) for d in data], float),
            population=np.array([d.get("population", 0.0) for d in data], float),
            zone=np.array([d.get("zone", -1) for d in data], np.int32),
            node_id=np.array([int(n) if str(n).lstrip("-").isdigit() else i for i, n in enumerate(ids)], np.int64),
            u=np.array(us, np.int64), v=np.array(vs, np.int64),
            length=np.array(lengths), speed_kmh=np.array(speeds), road_class=np.array(classes, np.int8),
            crs=str(crs), name=name,
        )

    # ------------------------------------------------------------------ structure
    def subgraph(self, keep: np.ndarray, *, dropped_nodes: int | None = None) -> "RoadNetwork":
        """The network induced by a boolean node mask (edges with both ends kept).

        Parameters
        ----------
        keep : array of bool, shape (n_nodes,)
            The nodes to keep; their order is kept (no Hilbert renumbering).
        dropped_nodes : int, optional
            ``dropped_nodes`` of the result; default this network's.

        Returns
        -------
        RoadNetwork
            The kept nodes renumbered 0..k-1, with their fields, ids and edges.
        """
        keep = np.asarray(keep, bool)
        new_pos = np.full(self.n_nodes, -1, np.int64)
        new_pos[keep] = np.arange(int(keep.sum()))
        src, dst = self.edge_source, self.indices
        e = keep[src] & keep[dst]
        return RoadNetwork.from_edges(
            **{k: getattr(self, k)[keep] for k in _NODE_FLOAT_FIELDS},
            zone=self.zone[keep], node_id=self.node_id[keep],
            u=new_pos[src[e]], v=new_pos[dst[e]],
            **{k: getattr(self, k)[e] for k in _EDGE_FLOAT_FIELDS},
            road_class=self.road_class[e], crs=self.crs, name=self.name, zone_names=self.zone_names,
            dropped_nodes=self.dropped_nodes if dropped_nodes is None else dropped_nodes, meta=self.meta,
            spatial_order=False,
        )

    def largest_strongly_connected(self) -> "RoadNetwork":
        """Keep the largest strongly connected component, where every node reaches every other.

        Returns
        -------
        RoadNetwork
            ``self`` when the network is already strongly connected, else the component
            as :meth:`subgraph`, with the other nodes added to ``dropped_nodes``.
        """
        # built from COO so parallel edges are merged: scipy's strong-component search can
        # loop forever on a CSR matrix with duplicate entries
        g = sparse.coo_matrix(
            (np.ones(self.n_edges), (self.edge_source, self.indices)), shape=(self.n_nodes, self.n_nodes)
        ).tocsr()
        n_comp, labels = csgraph.connected_components(g, directed=True, connection="strong")
        if n_comp == 1:
            return self
        biggest = np.argmax(np.bincount(labels))
        keep = labels == biggest
        return self.subgraph(keep, dropped_nodes=self.dropped_nodes + int((~keep).sum()))

    def with_node_values(self, **values: np.ndarray) -> "RoadNetwork":
        """A copy with some node or edge fields replaced (e.g. ``elevation=``, ``population=``).

        Parameters
        ----------
        **values : array
            New arrays by field name: ``x``, ``y``, ``lon``, ``lat``, ``elevation``,
            ``population``, ``zone`` (nodes) or ``length``, ``speed_kmh``,
            ``min_elevation`` (edges, CSR order).

        Returns
        -------
        RoadNetwork
            A network sharing every other array with this one.

        Raises
        ------
        NetworkError
            For an unknown field name or an array of the wrong shape.
        """
        allowed = set(_NODE_FLOAT_FIELDS + _EDGE_FLOAT_FIELDS) | {"zone"}
        unknown = set(values) - allowed
        if unknown:
            raise NetworkError(f"cannot replace field(s) {sorted(unknown)}")
        new = {}
        for k, a in values.items():
            old = getattr(self, k)
            a = np.asarray(a, dtype=old.dtype)
            if a.shape != old.shape:
                raise NetworkError(f"field '{k}' has shape {a.shape}, expected {old.shape}")
            new[k] = _frozen(a, old.dtype)
        return replace(self, **new)

    # ------------------------------------------------------------------ description
    def summary(self) -> dict[str, Any]:
        """Counts and totals a planner reads first (used by ``yingji network info``).

        Returns
        -------
        dict
            ``name``, ``crs``, ``nodes``, ``edges``, ``dropped_nodes``, ``road_km``,
            ``road_km_by_class``, ``area_km2`` (convex hull of the nodes), ``population``,
            ``zones`` and ``bbox_lonlat`` (lon/lat min, then max).
        """
        from scipy.spatial import ConvexHull  # deferred: ~60 ms on `import network`, only summary() needs it

        km_by_class = {
            RoadClass(c).name.lower(): round(float(self.length[self.road_class == c].sum()) / 1000.0, 3)
            for c in np.unique(self.road_class)
        }
        try:
            area_km2 = float(ConvexHull(np.column_stack([self.x, self.y])).volume) / 1e6
        except Exception:  # fewer than three non-collinear nodes has no area
            area_km2 = 0.0
        return {
            "name": self.name,
            "crs": self.crs,
            "nodes": self.n_nodes,
            "edges": self.n_edges,
            "dropped_nodes": self.dropped_nodes,
            "road_km": round(float(self.length.sum()) / 1000.0, 3),
            "road_km_by_class": km_by_class,
            "area_km2": round(area_km2, 3),
            "population": int(round(float(self.population.sum()))),
            "zones": len(self.zone_names),
            "bbox_lonlat": [float(self.lon.min()), float(self.lat.min()), float(self.lon.max()), float(self.lat.max())],
        }

    def __repr__(self) -> str:
        return f"RoadNetwork({self.name!r}, nodes={self.n_nodes}, edges={self.n_edges}, crs={self.crs})"


def hilbert_key(x: np.ndarray, y: np.ndarray, order: int = 16) -> np.ndarray:
    """Position of each point along a Hilbert curve over the points' bounding box.

    Parameters
    ----------
    x, y : array of float
        Point coordinates (any planar units).
    order : int
        Curve order: the box is split into ``2**order`` cells a side.

    Returns
    -------
    numpy.ndarray of int64
        Curve index of each point; sorting by it puts nearby points near each other.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    side = (1 << order) - 1
    span = max(float(np.ptp(x)) if len(x) else 0.0, float(np.ptp(y)) if len(y) else 0.0, 1e-9)
    xi = np.clip(((x - x.min()) / span * side).astype(np.int64), 0, side)
    yi = np.clip(((y - y.min()) / span * side).astype(np.int64), 0, side)
    d = np.zeros(len(x), np.int64)
    s = 1 << (order - 1)
    while s > 0:
        rx = ((xi & s) > 0).astype(np.int64)
        ry = ((yi & s) > 0).astype(np.int64)
        d += s * s * ((3 * rx) ^ ry)
        # rotate the quadrant so the curve stays continuous
        flip = ry == 0
        swap_and_mirror = flip & (rx == 1)
        xi = np.where(swap_and_mirror, side - xi, xi)
        yi = np.where(swap_and_mirror, side - yi, yi)
        xi, yi = np.where(flip, yi, xi), np.where(flip, xi, yi)
        s >>= 1
    return d


def has_reverse_edge(net: RoadNetwork) -> np.ndarray:
    """Per edge (CSR order): whether an edge in the opposite direction exists, i.e. the road is two-way."""
    src, dst = net.edge_source.astype(np.int64), net.indices.astype(np.int64)
    n = net.n_nodes
    return np.isin(src * n + dst, dst * n + src)
