"""The road network as the hazards leave it: current edge travel times per travel mode, cached
shortest-path trees and routed trips that re-route when the road ahead closes.

Three travel modes share the network: ``ROAD`` (vehicles on open roads), ``BOAT`` (water
rescue crews: on edges under flood water they go by boat at the boat speed, elsewhere by road,
so they reach people whose roads are flooded; never faster than free-flow driving) and ``WALK``
(evacuees on foot: the walking speed, never faster than the road's current speed, and not
where the road is closed).

A *tree* is one Dijkstra search from a node (forward) or to a node (reverse), with distances
and predecessor edges. Trees are cached per *road epoch* (the travel times between two changes
by the hazard clock), so every "how far is X" and "which way to X" question about the same hub
(team base, shelter, warehouse) costs at most one tree per epoch, and routes are read off the
cached predecessors instead of searched again. When the travel times change, a hub's tree is
kept and, the next time it is asked for, repaired for the edges that changed since it was
built (:func:`sim.roads_kernels.repair_tree`, exact) rather than searched again.
"""
from __future__ import annotations

import time
from typing import Callable, Generator

import numpy as np
import simpy

from network.kernels import one_to_all as _k_one_to_all
from network.kernels import point_to_point as _k_point_to_point
from network.kernels import trace_path as _k_trace_path
from network.kernels import trace_reverse_path
from network.model import RoadNetwork
from network.travel import boat_free_times, boat_times, walk_times

from .roads_kernels import repair_tree

ROAD, BOAT, WALK = 0, 1, 2
MODES = ("road", "boat", "walk")


class Roads:
    """Current travel times on ``net`` per mode; ``update(factor, water)`` is called by the hazard clock.

    ``hubs``: nodes whose trees are worth computing in full (and repairing when the travel
    times change) because many questions and trips start or end there; a route between two
    other nodes is a search from its start that stops at its end.
    """

    def __init__(self, env: simpy.Environment, net: RoadNetwork, *, boat_speed_kmh: float = 8.0,
                 walk_speed_kmh: float = 4.0, hubs: set[int] | frozenset[int] = frozenset()) -> None:
        self.env = env
        self.net = net
        self.hubs = frozenset(int(h) for h in hubs)
        self.free = net.travel_times()
        self.boat_free = boat_free_times(net, boat_speed_kmh)
        self.factor = np.ones(net.n_edges)
        self.water = np.zeros(net.n_edges, bool)
        self.walk_speed_kmh = float(walk_speed_kmh)
        self.walk_free = walk_times(self.free, np.asarray(net.length, np.float64), walk_speed_kmh)
        self.w: list[np.ndarray] = [self.free.copy(), self.free.copy(), self.walk_free.copy()]
        self._rw: list[np.ndarray] = [np.empty(0)] * len(MODES)
        self._heads = np.asarray(net.indices, np.int64)
        self._tails = np.repeat(np.arange(net.n_nodes, dtype=np.int64), np.diff(np.asarray(net.indptr, np.int64)))
        self._rev_edge = np.asarray(net.rev_edge, np.int64)
        self._rev_pos = np.empty_like(self._rev_edge)   # forward CSR position -> reverse CSR position
        self._rev_pos[self._rev_edge] = np.arange(len(self._rev_edge))
        self._rev_tails = self._heads[self._rev_edge]    # tail of each reverse-graph edge
        self._indptr = np.asarray(net.indptr, np.int64)
        self._rev_indptr = np.asarray(net.rev_indptr, np.int64)
        self._indices = np.asarray(net.indices, np.int64)
        self._rev_indices = np.asarray(net.rev_indices, np.int64)
        self.epoch = 0
        self.closed_event = env.event()  # fires (and is renewed) when an open edge closes
        self._trips: dict = {}            # legs being driven now, by process
        self.opened_event = env.event()  # fires (and is renewed) when an edge gets faster or reopens
        self._trees: dict[tuple[int, bool, int], tuple[np.ndarray, np.ndarray]] = {}
        # hub trees of earlier epochs, repaired on demand: key -> (dist, pred, epoch built)
        self._stale: dict[tuple[int, bool, int], tuple[np.ndarray, np.ndarray, int]] = {}
        self._changes: list[list[np.ndarray]] = [[np.zeros(0, np.int64)] * len(MODES)]
        self._freeze()
        self._free_trees: dict[int, np.ndarray] = {}
        self._free_ro: np.ndarray | None = None
        self.searches = 0
        self.search_s = 0.0
        self.repairs = 0
        self.trees_kept = 0
        #: repair only while fewer edges than this share changed since the tree was built, and
        #: fewer nodes than this share hang below them; otherwise a fresh search is cheaper
        self.repair_share = 0.25

    @property
    def weights(self) -> np.ndarray:
        """Current road travel times per edge (s; +inf closed)."""
        return self.w[ROAD]

    # ------------------------------------------------------------------ hazard clock input
    def update(self, factor: np.ndarray, water: np.ndarray | None = None) -> bool:
        """New per-edge speed factors (and which edges are under flood water that boats can
        cross); returns True when travel times changed."""
        water = self.water if water is None else np.asarray(water, bool)
        if np.array_equal(factor, self.factor) and np.array_equal(water, self.water):
            return False
        self.factor = np.array(factor, dtype=np.float64)
        self.water = water.copy()
        with np.errstate(divide="ignore"):
            road = np.where(self.factor > 0, self.free / np.maximum(self.factor, 1e-300), np.inf)
        boat = boat_times(road, self.free, self.boat_free, water)
        walk = walk_times(road, np.asarray(self.net.length, np.float64), self.walk_speed_kmh)
        new_w = [road, boat, walk]
        newly = [np.flatnonzero(np.isinf(new) & np.isfinite(old)) for new, old in zip(new_w, self.w)]
        newly_closed = any(len(x) for x in newly)
        changed = [np.flatnonzero(new != old) for new, old in zip(new_w, self.w)]
        faster = any(bool(np.any(new[ch] < old[ch])) for new, old, ch in zip(new_w, self.w, changed))
        self.w = new_w
        self._freeze()
        self.epoch += 1
        self._changes.append(changed)
        for key, (d, pred) in self._trees.items():
            if key[2] in self.hubs:
                self._stale[key] = (d, pred, self.epoch - 1)
        self._trees = {}
        if newly_closed:
            self._closures_ahead(newly)
            ev, self.closed_event = self.closed_event, self.env.event()
            ev.succeed()
        if faster:
            ev, self.opened_event = self.opened_event, self.env.event()
            ev.succeed()
        return True

    def _freeze(self) -> None:
        # read-only arrays: the path kernels are compiled (and cached) for read-only inputs
        self._rw = [w[self.net.rev_edge] for w in self.w]
        for a in (*self.w, *self._rw):
            a.flags.writeable = False

    # ------------------------------------------------------------------ trees
    def _tree(self, mode: int, reverse: bool, node: int) -> tuple[np.ndarray, np.ndarray]:
        key = (mode, reverse, node)
        t = self._trees.get(key)
        if t is None:
            t0 = time.perf_counter()
            old = self._stale.pop(key, None)
            t = self._repair(mode, reverse, old) if old is not None else None
            if t is None:
                net = self.net
                if reverse:
                    t = _k_one_to_all(net.rev_indptr, net.rev_indices, self._rw[mode], np.int32(node), np.inf, True)
                else:
                    t = _k_one_to_all(net.indptr, net.indices, self.w[mode], np.int32(node), np.inf, True)
                self.searches += 1
            self.search_s += time.perf_counter() - t0
            self._trees[key] = t
        return t

    def changed_since(self, epoch: int, mode: int) -> np.ndarray:
        """Edges (forward CSR positions) whose ``mode`` travel time changed after ``epoch``."""
        parts = [c[mode] for c in self._changes[epoch + 1:self.epoch + 1]]
        if not parts:
            return np.zeros(0, np.int64)
        return parts[0] if len(parts) == 1 else np.unique(np.concatenate(parts))

    def _repair(self, mode: int, reverse: bool, old: tuple) -> tuple[np.ndarray, np.ndarray] | None:
        """The stale tree ``old`` repaired for today's travel times; None when too much changed."""
        d, pred, epoch = old
        ch = self.changed_since(epoch, mode)
        if len(ch) > self.repair_share * len(self.free):
            return None
        if not len(ch):
            self.trees_kept += 1
            return d, pred
        cap = int(self.repair_share * self.net.n_nodes)
        if reverse:
            d2, p2, k = repair_tree(self._rev_indptr, self._rev_indices, self._rev_tails, self._rw[mode],
                                    self._indptr, self._indices, self.w[mode], self._rev_pos, d, pred,
                                    self._rev_pos[ch], cap)
        else:
            d2, p2, k = repair_tree(self._indptr, self._indices, self._tails, self.w[mode],
                                    self._rev_indptr, self._rev_indices, self._rw[mode], self._rev_edge, d, pred, ch,
                                    cap)
        if k < 0:  # most of the tree hangs below changed edges: search afresh
            return None
        self.repairs += 1
        return d2, p2

    def free_from(self, node: int) -> np.ndarray:
        """Free-flow road time (s) from ``node`` to every node on the undamaged network: the
        soonest anything driving from there can arrive (cached per node)."""
        node = int(node)
        if node not in self._free_trees:
            if self._free_ro is None:
                self._free_ro = self.free.copy()
                self._free_ro.flags.writeable = False
            net = self.net
            self._free_trees[node] = _k_one_to_all(net.indptr, net.indices, self._free_ro, np.int32(node), np.inf,
                                                   False)[0]
        return self._free_trees[node]

    def trees(self, nodes: list[int], mode: int = ROAD, reverse: bool = False) -> list[np.ndarray]:
        """Distance arrays of several trees (forward, or ``reverse``: to each node)."""
        return [self._tree(mode, reverse, int(v))[0] for v in nodes]

    def tree_from(self, node: int, mode: int = ROAD) -> np.ndarray:
        """Current travel time (s) from ``node`` to every node (+inf: unreachable)."""
        return self._tree(mode, False, int(node))[0]

    def tree_to(self, node: int, mode: int = ROAD) -> np.ndarray:
        """Current travel time (s) from every node to ``node``."""
        return self._tree(mode, True, int(node))[0]

    def time(self, a: int, b: int, mode: int = ROAD) -> float:
        """Current travel time a → b, from whichever tree is cached (else a hub's tree)."""
        if a == b:
            return 0.0
        t = self._trees.get((mode, False, a))
        if t is not None:
            return float(t[0][b])
        t = self._trees.get((mode, True, b))
        if t is not None:
            return float(t[0][a])
        if a in self.hubs or b not in self.hubs:
            return float(self.tree_from(a, mode)[b])
        return float(self.tree_to(b, mode)[a])

    def route(self, src: int, dst: int, mode: int = ROAD) -> tuple[np.ndarray, np.ndarray] | None:
        """Fastest route ``(nodes, edges)`` src → dst on the current roads, read off a cached
        tree (a search only when neither end has one yet); None when there is none."""
        fwd = self._trees.get((mode, False, src))
        rev = self._trees.get((mode, True, dst))
        if fwd is None and rev is None:
            if src in self.hubs:
                fwd = self._tree(mode, False, src)
            elif dst in self.hubs:
                rev = self._tree(mode, True, dst)
            else:  # between two ordinary nodes (a re-route, a team between jobs): stop at dst
                t0 = time.perf_counter()
                d, pred = _k_point_to_point(self.net.indptr, self.net.indices, self.w[mode], np.int32(src),
                                            np.int32(dst), np.inf)
                self.search_s += time.perf_counter() - t0
                self.searches += 1
                if not np.isfinite(d[dst]):
                    return None
                return _k_trace_path(self.net.indptr, pred, np.int64(src), np.int64(dst))
        if fwd is not None:
            if not np.isfinite(fwd[0][dst]):
                return None
            return _k_trace_path(self.net.indptr, fwd[1], np.int64(src), np.int64(dst))
        assert rev is not None
        if not np.isfinite(rev[0][src]):
            return None
        return trace_reverse_path(rev[1], self._rev_edge, self._heads, np.int64(src), np.int64(dst))

    # ------------------------------------------------------------------ trips
    def drive(self, src: int, dst: int, on_move: Callable[[int], None] | None = None, mode: int = ROAD,
              *, scale: float = 1.0, abort: simpy.Event | None = None,
              wait: bool = True) -> Generator[simpy.Event, object, int]:
        """SimPy sub-process: travel ``src`` → ``dst`` in ``mode`` on the roads as they are at
        departure; when an edge of the remaining path closes, re-route from the next node.

        ``scale`` multiplies every travel time (evacuees on foot or in traffic are slower than
        the road speed). When ``abort`` fires (the destination was closed), the trip ends at the
        head of the edge being driven. With no route, ``wait`` waits until some road gets faster
        or reopens; otherwise the trip ends where it is. Returns the node reached (``dst`` unless
        cut short).
        """
        env = self.env
        proc = env.active_process
        if proc is None:
            raise RuntimeError("Roads.drive runs inside a SimPy process (yield from it)")
        node = src
        while node != dst:
            if abort is not None and abort.triggered:
                return node
            r = self.route(node, dst, mode)
            if r is None:
                if not wait:
                    return node
                # wait for the water to fall: only a road getting faster or reopening can help
                yield self.opened_event if abort is None else self.opened_event | abort
                continue
            nodes, edges = r
            w = self.w[mode]
            cum = np.cumsum(w[edges]) * scale if scale != 1.0 else np.cumsum(w[edges])
            total = float(cum[-1]) if len(cum) else 0.0
            start = env.now
            # one timeout per leg; the hazard clock interrupts the trip only when an edge ahead
            # closes, and the destination's ``abort`` only when it fires (no event per closure)
            trip = _Trip(proc, mode, edges, cum, start)
            self._trips[proc] = trip
            if abort is not None:
                abort.callbacks.append(lambda _ev, trip=trip: self._interrupt(trip, "abort"))
            try:
                yield env.timeout(total)
                node = dst
            except simpy.Interrupt:
                # finish the edge being driven, then choose again from its head
                el = env.now - start
                k = min(int(np.searchsorted(cum, el, side="right")), len(edges) - 1)
                rest = float(cum[k]) - el
                if rest > 1e-9:
                    yield env.timeout(rest)
                node = int(nodes[k + 1])
                if on_move is not None:
                    on_move(node)
            finally:
                if self._trips.get(proc) is trip:
                    del self._trips[proc]
        return node

    def _interrupt(self, trip: "_Trip", cause: str) -> None:
        """Interrupt ``trip`` once (it is unregistered at once, so no second cause reaches it)."""
        if self._trips.get(trip.proc) is trip:
            del self._trips[trip.proc]
            trip.proc.interrupt(cause)

    def _closures_ahead(self, newly: list[np.ndarray]) -> None:
        """Interrupt the trips with a newly closed edge still ahead of them."""
        now = self.env.now
        for trip in list(self._trips.values()):
            closed = newly[trip.mode]
            if not len(closed):
                continue
            k = min(int(np.searchsorted(trip.cum, now - trip.start, side="right")), len(trip.edges) - 1)
            ahead = trip.edges[k + 1:]
            if len(ahead) and np.isinf(self.w[trip.mode][ahead]).any():
                self._interrupt(trip, "closed")


class _Trip:
    """A leg being driven: its process, mode, route edges, cumulative times and start."""

    __slots__ = ("proc", "mode", "edges", "cum", "start")

    def __init__(self, proc, mode: int, edges: np.ndarray, cum: np.ndarray, start: float) -> None:
        self.proc, self.mode, self.edges, self.cum, self.start = proc, mode, edges, cum, start
