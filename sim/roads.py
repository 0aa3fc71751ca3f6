"""The road network as the hazards leave it: current edge travel times, cached travel-time trees
and routed trips that re-route when the road ahead closes.

Trees (one Dijkstra from or to a node) are cached per *road epoch* and dropped only when the
hazard clock changes the speed factors, so the many "how far is X" questions between two hazard
steps cost one search per distinct node.
"""
from __future__ import annotations

from typing import Callable, Generator

import numpy as np
import simpy

from network.errors import UnreachableError
from network.kernels import one_to_all as _k_one_to_all
from network.model import RoadNetwork
from network.paths import shortest_path


class Roads:
    """Current travel times on ``net``; ``update(factor)`` is called by the hazard clock."""

    def __init__(self, env: simpy.Environment, net: RoadNetwork) -> None:
        self.env = env
        self.net = net
        self.free = net.travel_times()
        self.weights = self.free.copy()
        self.factor = np.ones(net.n_edges)
        self.epoch = 0
        self.closed_event = env.event()  # fires (and is renewed) when an open edge closes
        self._fwd: dict[int, np.ndarray] = {}
        self._rev: dict[int, np.ndarray] = {}
        self._freeze()
        self.searches = 0

    # ------------------------------------------------------------------ hazard clock input
    def update(self, factor: np.ndarray) -> bool:
        """New per-edge speed factors; returns True when travel times changed."""
        if np.array_equal(factor, self.factor):
            return False
        newly_closed = bool(np.any((factor <= 0) & (self.factor > 0)))
        self.factor = np.array(factor, dtype=np.float64)
        with np.errstate(divide="ignore"):
            self.weights = np.where(self.factor > 0, self.free / np.maximum(self.factor, 1e-300), np.inf)
        self._freeze()
        self.epoch += 1
        self._fwd.clear()
        self._rev.clear()
        if newly_closed:
            ev, self.closed_event = self.closed_event, self.env.event()
            ev.succeed()
        return True

    def _freeze(self) -> None:
        # read-only arrays: the path kernels are compiled (and cached) for read-only inputs
        self._rev_w = self.weights[self.net.rev_edge]
        self.weights.flags.writeable = False
        self._rev_w.flags.writeable = False

    # ------------------------------------------------------------------ queries
    def tree_from(self, node: int) -> np.ndarray:
        """Current travel time (s) from ``node`` to every node (+inf: unreachable)."""
        t = self._fwd.get(node)
        if t is None:
            self.searches += 1
            t, _ = _k_one_to_all(self.net.indptr, self.net.indices, self.weights, np.int32(node), np.inf, False)
            self._fwd[node] = t
        return t

    def tree_to(self, node: int) -> np.ndarray:
        """Current travel time (s) from every node to ``node``."""
        t = self._rev.get(node)
        if t is None:
            self.searches += 1
            t, _ = _k_one_to_all(self.net.rev_indptr, self.net.rev_indices, self._rev_w, np.int32(node), np.inf, False)
            self._rev[node] = t
        return t

    def time(self, a: int, b: int) -> float:
        """Current travel time a → b, from whichever tree is already cached (else a tree to b)."""
        if a == b:
            return 0.0
        t = self._fwd.get(a)
        if t is not None:
            return float(t[b])
        return float(self.tree_to(b)[a])

    # ------------------------------------------------------------------ trips
    def drive(self, src: int, dst: int, on_move: Callable[[int], None] | None = None,
              ) -> Generator[simpy.Event, object, int]:
        """SimPy sub-process: drive ``src`` → ``dst`` on the roads as they are at departure;
        when an edge of the remaining path closes, re-route from the next node. Waits for the
        hazard to change while no route exists. Returns the node reached (``dst``)."""
        env = self.env
        node = src
        while node != dst:
            try:
                route = shortest_path(self.net, node, dst, self.weights)
            except UnreachableError:
                yield self.closed_event | env.timeout(1800.0)  # wait for the water to fall
                continue
            self.searches += 1
            cum = np.concatenate([[0.0], np.cumsum(self.weights[route.edges])])
            start = env.now
            while True:
                left = cum[-1] - (env.now - start)
                if left <= 1e-9:
                    node = dst
                    break
                closed = self.closed_event
                yield env.timeout(left) | closed
                if not closed.triggered or env.now - start >= cum[-1] - 1e-9:
                    node = dst
                    break
                # which edge are we on? re-route from its head if anything ahead is closed
                k = int(np.searchsorted(cum, env.now - start, side="right")) - 1
                k = min(max(k, 0), len(route.edges) - 1)
                if np.any(self.factor[route.edges[k + 1:]] <= 0):
                    yield env.timeout(max(cum[k + 1] - (env.now - start), 0.0))
                    node = int(route.nodes[k + 1])
                    if on_move is not None:
                        on_move(node)
                    break
        return node
