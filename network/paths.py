"""Shortest travel times and routes on a :class:`~network.model.RoadNetwork`.

All functions take node *positions* (0..n-1, as used by the CSR arrays, not OSM ids) and
per-edge ``weights`` in CSR edge order; the default is ``net.travel_times()`` (seconds).
+inf weights close edges. Unreachable results are +inf (or facility -1): callers must check
them, e.g. with :func:`require_reachable`, and never use them as numbers.

``reverse=True`` searches the reverse graph, so results are travel times *to* the given
node(s) instead of *from* them (e.g. every household's time to a shelter).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Sequence

import numba
import numpy as np

from . import kernels
from .errors import NetworkError, UnreachableError
from .model import RoadNetwork

__all__ = [
    "NearestFacility",
    "Route",
    "one_to_all",
    "travel_time_matrix",
    "nearest_facility",
    "shortest_path",
    "require_reachable",
]

NodeIndex = int | np.integer
NodeList = Sequence[int] | np.ndarray


@dataclass(frozen=True)
class NearestFacility:
    """Per node: time to/from the nearest facility and which one it is.

    ``facility[v]`` indexes the facility list passed in (-1 when none is reachable within the
    cutoff, and then ``time[v]`` is +inf); ``facilities`` is that list as node positions.
    """

    time: np.ndarray
    facility: np.ndarray
    facilities: np.ndarray

    @property
    def facility_node(self) -> np.ndarray:
        """Node position of each node's nearest facility (-1 where unreachable)."""
        return np.where(self.facility >= 0, self.facilities[np.maximum(self.facility, 0)], -1)

    @property
    def unreachable(self) -> np.ndarray:
        """Boolean mask of nodes with no facility within reach."""
        return self.facility < 0


@dataclass(frozen=True)
class Route:
    """A shortest route: ``nodes[0] = source``, ``nodes[-1] = target``; ``edges[i]`` joins
    ``nodes[i]`` to ``nodes[i+1]`` (forward CSR edge index, for lengths and road classes)."""

    nodes: np.ndarray
    edges: np.ndarray
    time: float


# ---------------------------------------------------------------------------- validation
def _readonly(a: np.ndarray, dtype) -> np.ndarray:
    """A read-only contiguous view, so every kernel compiles for one array type only."""
    out = np.ascontiguousarray(a, dtype=dtype)
    if out.flags.writeable:
        out = out.view()
        out.flags.writeable = False
    return out


def _weights(net: RoadNetwork, weights: np.ndarray | None) -> np.ndarray:
    """The edge weights checked (one per edge, non-negative, not NaN), or the travel times."""
    if weights is None:
        return _readonly(net.travel_times(), np.float64)
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise NetworkError(f"edge weights must be numbers ({exc})") from None
    if w.shape != (net.n_edges,):
        raise NetworkError(f"edge weights have shape {w.shape}, expected ({net.n_edges},) — one per edge")
    bad = np.isnan(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise NetworkError(
            f"edge weights must be non-negative numbers (+inf closes an edge); {int(bad.sum())} are NaN or "
            f"negative, first at edge {i} ({int(net.edge_source[i])} -> {int(net.indices[i])}): {w[i]!r}"
        )
    return _readonly(w, np.float64)


def _nodes(net: RoadNetwork, nodes: NodeIndex | NodeList, what: str) -> np.ndarray:
    """Node positions checked (integers in range) as a read-only int32 array."""
    a = np.asarray(nodes)
    if a.ndim == 0:
        a = a.reshape(1)
    if a.ndim != 1:
        raise NetworkError(f"{what} must be a node index or a 1-D list of them, got shape {a.shape}")
    if a.size == 0:
        return _readonly(np.empty(0, np.int32), np.int32)
    if a.dtype == bool or not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise NetworkError(f"{what} must be integer node positions, got dtype {a.dtype}")
    if np.issubdtype(a.dtype, np.floating) and not np.all(np.isfinite(a) & (a == np.round(a))):
        raise NetworkError(f"{what} must be integer node positions, got non-integer values")
    bad = (a < 0) | (a >= net.n_nodes)
    if bad.any():
        raise NetworkError(
            f"{what}: node {a[bad][0]!r} is outside 0..{net.n_nodes - 1} "
            f"({int(bad.sum())} of {a.size} out of range)"
        )
    return _readonly(a.astype(np.int32), np.int32)


def _cutoff(cutoff: float | None) -> float:
    """The cutoff in seconds, checked; +inf for None."""
    if cutoff is None:
        return np.inf
    c = float(cutoff)
    if np.isnan(c) or c < 0:
        raise NetworkError(f"cutoff must be a non-negative number of seconds, got {cutoff!r}")
    return c


def _csr(net: RoadNetwork, w: np.ndarray, reverse: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The forward CSR with its weights, or the reverse CSR with the weights permuted to it."""
    if reverse:
        return net.rev_indptr, net.rev_indices, _readonly(w[net.rev_edge], np.float64)
    return net.indptr, net.indices, w


@contextmanager
def _threads(threads: int | None) -> Iterator[None]:
    """Run numba's parallel kernels on ``threads`` threads (None: numba's current setting)."""
    if threads is None:
        yield
        return
    if int(threads) < 1:
        raise NetworkError(f"threads must be at least 1, got {threads!r}")
    before = numba.get_num_threads()
    numba.set_num_threads(min(int(threads), numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(before)


# ---------------------------------------------------------------------------- public API
def one_to_all(
    net: RoadNetwork,
    source: NodeIndex,
    weights: np.ndarray | None = None,
    *,
    reverse: bool = False,
    cutoff: float | None = None,
    return_predecessors: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Travel time from ``source`` to every node (``reverse``: from every node to ``source``).

    Parameters
    ----------
    net : RoadNetwork
        The network.
    source : int
        Node position of the search's start (``reverse``: its destination).
    weights : array of float, shape (n_edges,), optional
        Edge weights in CSR order, non-negative, +inf closes an edge; default
        ``net.travel_times()``.
    reverse : bool
        Search the reverse graph: times *to* ``source``.
    cutoff : float, optional
        Stop at this many seconds; nodes beyond it are +inf.
    return_predecessors : bool
        Also return the shortest-path tree.

    Returns
    -------
    dist : numpy.ndarray of float, shape (n_nodes,)
        Travel time per node; +inf where unreachable or beyond ``cutoff``.
    pred : numpy.ndarray of int64, shape (n_nodes,)
        Only with ``return_predecessors``: per node, the forward edge index that leads there
        on a shortest path (``reverse``: the edge leaving it towards ``source``); -1 for
        ``source`` and unreached nodes.

    Raises
    ------
    NetworkError
        For a source that is not exactly one node position, bad weights or a negative cutoff.
    """
    s = _nodes(net, source, "source")
    if s.size != 1:
        raise NetworkError(f"source must be one node, got {s.size}")
    w = _weights(net, weights)
    indptr, indices, ww = _csr(net, w, reverse)
    dist, pred = kernels.one_to_all(indptr, indices, ww, s[0], _cutoff(cutoff), return_predecessors)
    if not return_predecessors:
        return dist
    pred = pred.astype(np.int64)
    if reverse:  # reverse-CSR positions -> forward edge indices
        pred = np.where(pred >= 0, net.rev_edge[np.maximum(pred, 0)], -1)
    return dist, pred


def travel_time_matrix(
    net: RoadNetwork,
    origins: NodeList,
    destinations: NodeList | None = None,
    weights: np.ndarray | None = None,
    *,
    reverse: bool = False,
    cutoff: float | None = None,
    threads: int | None = None,
) -> np.ndarray:
    """Matrix ``M[i, j]`` of travel times from ``origins[i]`` to ``destinations[j]``.

    One search per origin, run in parallel; with destinations given, each search stops once
    all of them are settled.

    Parameters
    ----------
    net : RoadNetwork
        The network.
    origins : sequence of int
        Node positions the searches start from.
    destinations : sequence of int, optional
        Node positions of the columns; default every node (``M`` is ``len(origins) × n``).
    weights : array of float, shape (n_edges,), optional
        Edge weights in CSR order, non-negative, +inf closes an edge; default
        ``net.travel_times()``.
    reverse : bool
        Search backward from each origin, so ``M[i, j]`` is the time from
        ``destinations[j]`` *to* ``origins[i]``.
    cutoff : float, optional
        Seconds beyond which pairs count as unreachable.
    threads : int, optional
        Threads for the searches; default numba's current setting.

    Returns
    -------
    numpy.ndarray of float, shape (len(origins), len(destinations) or n_nodes)
        Travel times in seconds; +inf for unreachable pairs and pairs beyond ``cutoff``
        (see :func:`require_reachable`).

    Raises
    ------
    NetworkError
        For node lists that are not 1-D integer positions in range, bad weights, a
        negative cutoff or ``threads`` below 1.
    """
    src = _nodes(net, origins, "origins")
    dst = None if destinations is None else _nodes(net, destinations, "destinations")
    w = _weights(net, weights)
    c = _cutoff(cutoff)
    if src.size == 0 or (dst is not None and dst.size == 0):
        return np.full((src.size, net.n_nodes if dst is None else dst.size), np.inf)
    indptr, indices, ww = _csr(net, w, reverse)
    with _threads(threads):
        if dst is None:
            return kernels.many_to_all(indptr, indices, ww, src, c, numba.get_num_threads())
        return kernels.many_to_many(indptr, indices, ww, src, dst, c, numba.get_num_threads())


def nearest_facility(
    net: RoadNetwork,
    facilities: NodeList,
    weights: np.ndarray | None = None,
    *,
    reverse: bool = False,
    cutoff: float | None = None,
) -> NearestFacility:
    """For every node, the nearest facility and the travel time, in one search.

    Parameters
    ----------
    net : RoadNetwork
        The network.
    facilities : sequence of int
        Node positions of the facilities (at least one).
    weights : array of float, shape (n_edges,), optional
        Edge weights in CSR order, non-negative, +inf closes an edge; default
        ``net.travel_times()``.
    reverse : bool
        False: time *from* the nearest facility to the node (e.g. ambulance response).
        True: time *to* the nearest facility (e.g. evacuation to a shelter).
    cutoff : float, optional
        Seconds beyond which a node counts as unreached.

    Returns
    -------
    NearestFacility
        Per node the time (+inf if unreached) and the index into ``facilities`` (-1 if
        unreached); a facility listed twice keeps its first index.

    Raises
    ------
    NetworkError
        For no facilities, positions out of range, bad weights or a negative cutoff.
    """
    fac = _nodes(net, facilities, "facilities")
    if fac.size == 0:
        raise NetworkError("nearest_facility needs at least one facility")
    w = _weights(net, weights)
    indptr, indices, ww = _csr(net, w, reverse)
    dist, which = kernels.nearest_source(indptr, indices, ww, fac, _cutoff(cutoff))
    return NearestFacility(time=dist, facility=which, facilities=np.asarray(fac, np.int64))


def shortest_path(
    net: RoadNetwork,
    source: NodeIndex,
    target: NodeIndex,
    weights: np.ndarray | None = None,
) -> Route:
    """The fastest route from ``source`` to ``target``.

    Parameters
    ----------
    net : RoadNetwork
        The network.
    source, target : int
        Node positions of the start and the end.
    weights : array of float, shape (n_edges,), optional
        Edge weights in CSR order, non-negative, +inf closes an edge; default
        ``net.travel_times()``.

    Returns
    -------
    Route
        The nodes and forward edge indices along the route, and its total weight.

    Raises
    ------
    UnreachableError
        When no open road leads from ``source`` to ``target``.
    NetworkError
        For anything but one source and one target node in range, or bad weights.
    """
    s = _nodes(net, source, "source")
    t = _nodes(net, target, "target")
    if s.size != 1 or t.size != 1:
        raise NetworkError("shortest_path needs one source and one target node")
    w = _weights(net, weights)
    dist, pred = kernels.point_to_point(net.indptr, net.indices, w, s[0], t[0], np.inf)
    if not np.isfinite(dist[t[0]]):
        raise UnreachableError(f"no route from node {int(s[0])} to node {int(t[0])}")
    nodes, edges = kernels.trace_path(net.indptr, pred, s[0], t[0])
    return Route(nodes=nodes, edges=edges, time=float(dist[t[0]]))


def require_reachable(
    matrix: np.ndarray,
    origins: NodeList,
    destinations: NodeList | None = None,
    *,
    what: str = "travel times",
    reverse: bool = False,
    show: int = 5,
) -> np.ndarray:
    """Return ``matrix`` unchanged if every entry is finite, else raise :class:`UnreachableError`.

    Parameters
    ----------
    matrix : array of float, shape (len(origins), len(destinations))
        As :func:`travel_time_matrix` returns it (a 1-D array is one row).
    origins, destinations : sequence
        Labels of the rows and columns used in the message (``destinations`` None: 0..n-1).
        Pass ``net.node_id[...]`` to report OSM ids.
    what : str
        What the matrix is, for the message.
    reverse : bool
        True for a reverse matrix, so the message names the direction of travel.
    show : int
        How many unreachable pairs the message lists.

    Returns
    -------
    numpy.ndarray
        ``matrix`` itself.

    Raises
    ------
    UnreachableError
        When some entries are +inf or NaN; the message counts them and names the first pairs.
    NetworkError
        When the matrix shape does not match the labels.
    """
    m = np.asarray(matrix, dtype=np.float64)
    m2 = m.reshape(1, -1) if m.ndim == 1 else m
    org = np.asarray(origins).reshape(-1)
    dst = np.arange(m2.shape[1]) if destinations is None else np.asarray(destinations).reshape(-1)
    if m2.ndim != 2 or m2.shape != (org.size, dst.size):
        raise NetworkError(
            f"{what}: matrix shape {m.shape} does not match {org.size} origins × {dst.size} destinations"
        )
    bad = ~np.isfinite(m2)
    if not bad.any():
        return matrix
    rows, cols = np.nonzero(bad)
    pairs = [
        f"{dst[j]}→{org[i]}" if reverse else f"{org[i]}→{dst[j]}"
        for i, j in zip(rows[:show].tolist(), cols[:show].tolist())
    ]
    more = ", …" if rows.size > show else ""
    raise UnreachableError(
        f"{what}: {rows.size} of {bad.size} origin→destination pairs have no route "
        f"(no open road, or beyond the cutoff), e.g. {', '.join(pairs)}{more}"
    )
