"""The road network as the hazards leave it: current edge travel times per travel mode, cached
shortest-path trees and routed trips that re-route when the road ahead closes.

Two travel modes share the network: ``ROAD`` (vehicles on open roads) and ``BOAT`` (water
rescue crews: on edges under flood water they go by boat at the boat speed, elsewhere by road,
so they reach people whose roads are flooded; never faster than free-flow driving).

A *tree* is one Dijkstra search from a node (forward) or to a node (reverse), with distances
and predecessor edges. Trees are cached per *road epoch* and dropped only when the hazard clock
changes the travel times, so every "how far is X" and "which way to X" question between two
hazard steps about the same hub (team base, shelter, warehouse) costs one search per epoch, and
routes are read off the cached predecessors instead of searched again.
"""
from __future__ import annotations

import time
from typing import Callable, Generator

import numpy as np
import simpy

from network.kernels import one_to_all as _k_one_to_all
from network.kernels import trace_path as _k_trace_path
from network.kernels import trace_reverse_path
from network.model import RoadNetwork

ROAD, BOAT = 0, 1
MODES = ("road", "boat")


class Roads:
    """Current travel times on ``net`` per mode; ``update(factor, water)`` is called by the hazard clock.

    ``hubs``: nodes whose trees are worth computing in full because many questions and trips
    start or end there; a trip between two other nodes searches from its start.
    """

    def __init__(self, env: simpy.Environment, net: RoadNetwork, *, boat_speed_kmh: float = 8.0,
                 hubs: set[int] | frozenset[int] = frozenset()) -> None:
        self.env = env
        self.net = net
        self.hubs = frozenset(int(h) for h in hubs)
        self.free = net.travel_times()
        # boats: length at the boat speed, never faster than free-flow driving
        self.boat_free = np.maximum(np.asarray(net.length, np.float64) / (boat_speed_kmh / 3.6), self.free)
        self.factor = np.ones(net.n_edges)
        self.water = np.zeros(net.n_edges, bool)
        self.w: list[np.ndarray] = [self.free.copy(), self.free.copy()]
        self._rw: list[np.ndarray] = [np.empty(0), np.empty(0)]
        self._heads = np.asarray(net.indices, np.int64)
        self._tails = np.repeat(np.arange(net.n_nodes, dtype=np.int64), np.diff(np.asarray(net.indptr, np.int64)))
        self._rev_edge = np.asarray(net.rev_edge, np.int64)
        self.epoch = 0
        self.closed_event = env.event()  # fires (and is renewed) when an open edge closes
        self._trees: dict[tuple[int, bool, int], tuple[np.ndarray, np.ndarray]] = {}
        self._freeze()
        self.searches = 0
        self.search_s = 0.0
        self.trees_kept = 0

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
        boat = road.copy()
        if water.any():
            boat[water] = np.maximum(self.free[water], np.minimum(road[water], self.boat_free[water]))
        newly_closed = any(bool(np.any(np.isinf(new) & np.isfinite(old)))
                           for new, old in ((road, self.w[ROAD]), (boat, self.w[BOAT])))
        changed = [np.flatnonzero(road != self.w[ROAD]), np.flatnonzero(boat != self.w[BOAT])]
        self.w = [road, boat]
        self._freeze()
        self.epoch += 1
        self._keep_valid_trees(changed)
        if newly_closed:
            ev, self.closed_event = self.closed_event, self.env.event()
            ev.succeed()
        return True

    def _keep_valid_trees(self, changed: list[np.ndarray]) -> None:
        """Keep the cached hub trees that the new travel times leave exact; drop the rest.

        A tree stays a shortest-path tree when none of its own edges changed and no changed
        edge offers a shortcut (its distances stay a feasible potential, tight on the tree):
        forward, ``d[u] + w'(u→v) >= d[v]``; reverse, ``w'(u→v) + d[v] >= d[u]``. The check
        uses the same floating-point sums as the search, so kept trees equal fresh ones.
        """
        kept = {}
        for key, (d, pred) in self._trees.items():
            mode, reverse, node = key
            ch = changed[mode]
            if node not in self.hubs:
                continue
            if len(ch):
                w = self.w[mode][ch]
                u, v = self._tails[ch], self._heads[ch]
                if reverse:
                    pu = pred[u]
                    on_tree = (pu >= 0) & (self._rev_edge[np.maximum(pu, 0)] == ch)
                    if on_tree.any() or np.any(w + d[v] < d[u]):
                        continue
                else:
                    pv = pred[v]
                    if np.any(pv == ch) or np.any(d[u] + w < d[v]):
                        continue
            kept[key] = (d, pred)
        self.trees_kept += len(kept)
        self._trees = kept

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
            net = self.net
            if reverse:
                t = _k_one_to_all(net.rev_indptr, net.rev_indices, self._rw[mode], np.int32(node), np.inf, True)
            else:
                t = _k_one_to_all(net.indptr, net.indices, self.w[mode], np.int32(node), np.inf, True)
            self.search_s += time.perf_counter() - t0
            self.searches += 1
            self._trees[key] = t
        return t

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
            if dst in self.hubs and src not in self.hubs:
                rev = self._tree(mode, True, dst)
            else:
                fwd = self._tree(mode, False, src)
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
              ) -> Generator[simpy.Event, object, int]:
        """SimPy sub-process: travel ``src`` → ``dst`` in ``mode`` on the roads as they are at
        departure; when an edge of the remaining path closes, re-route from the next node. Waits
        for the hazard to change while no route exists. Returns the node reached (``dst``)."""
        env = self.env
        node = src
        while node != dst:
            r = self.route(node, dst, mode)
            if r is None:
                yield self.closed_event | env.timeout(1800.0)  # wait for the water to fall
                continue
            nodes, edges = r
            w = self.w[mode]
            cum = np.cumsum(w[edges])
            total = float(cum[-1]) if len(cum) else 0.0
            start = env.now
            while True:
                closed = self.closed_event
                yield env.timeout(max(total - (env.now - start), 0.0)) | closed
                if not closed.triggered or env.now - start >= total - 1e-9:
                    node = dst
                    break
                # which edge are we on? re-route from its head if anything ahead is closed
                el = env.now - start
                k = min(int(np.searchsorted(cum, el, side="right")), len(edges) - 1)
                if np.any(np.isinf(self.w[mode][edges[k + 1:]])):
                    rest = float(cum[k]) - el
                    if rest > 1e-9:
                        yield env.timeout(rest)
                    node = int(nodes[k + 1])
                    if on_move is not None:
                        on_move(node)
                    break
        return node
