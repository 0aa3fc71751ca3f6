"""The at-solution route recorder: an OR-Tools callback that reads the routes of each good plan the
search finds into a :class:`~optimize.routing.route_pool.RoutePool`, and hands the pool over to
another process mid-search.
"""
from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from .route_pool import PoolRoute, RoutePool


class PoolRecorder:
    """An OR-Tools routing at-solution callback that reads each plan's routes into a pool.

    Only plans within ``tolerance`` (relative) of the best seen so far are read: the search's
    accepted plans wander above the best, and their routes are rarely part of a good
    recombination, while reading every plan would cost a noticeable share of the search.
    """

    def __init__(self, routing: Any, manager: Any, nodes: np.ndarray, arc_cost: np.ndarray,
                 vclass: np.ndarray, pool: RoutePool, tolerance: float = 0.02) -> None:
        self.pool, self.tolerance = pool, tolerance
        self._routing = routing
        self._cost_var = None              # exists only once the model is closed
        size = routing.Size()
        # Only the next variables are read: at an accepted plan, cumuls (times) may still be
        # unbound (the finalizer fixes them later), and reading one aborts the process.
        self._next = [routing.NextVar(i) for i in range(size)]
        self._is_end = [routing.IsEnd(i) for i in range(size + routing.vehicles())]
        self._node = [int(manager.IndexToNode(i)) for i in range(size + routing.vehicles())]
        self._loc = [int(x) for x in nodes]
        self._arc = arc_cost.tolist()
        self._starts = [routing.Start(v) for v in range(routing.vehicles())]
        self._vclass = [int(c) for c in vclass]
        self.best = None
        self.calls = 0
        self.reads = 0
        self.seconds = 0.0
        self.error: str | None = None
        self.handoff_error: str | None = None
        self._hook: Any = None
        self._at_time: float | None = None
        self._at_count: int | None = None

    def handoff(self, hook: Any, at_time: float | None = None, at_count: int | None = None) -> None:
        """Call ``hook(pool)`` once, at the first plan found after ``at_time`` (``time.time()``)
        or at the ``at_count``-th plan: hands the pool to another process mid-search."""
        self._hook, self._at_time, self._at_count = hook, at_time, at_count

    def __call__(self) -> None:
        if self.error is not None:
            return
        t = time.perf_counter()
        self.calls += 1
        if self._hook is not None and (self.calls >= (self._at_count or math.inf)
                                       or time.time() >= (self._at_time or math.inf)):
            hook, self._hook = self._hook, None
            try:
                hook(self.pool)
            except Exception as e:  # noqa: BLE001  the search goes on; the receiver copes
                self.handoff_error = f"{type(e).__name__}: {e}"
        # An exception must not escape into OR-Tools (it would surface later, in unrelated
        # Python code): record it, stop recording, and let the search go on without the pool.
        try:
            if self._cost_var is None:
                self._cost_var = self._routing.CostVar()
            cost = self._cost_var.Value()
            if self.best is None or cost < self.best:
                self.best = cost
            if cost <= self.best * (1.0 + self.tolerance):
                self.reads += 1
                self._read(int(cost))
        except Exception as e:  # noqa: BLE001
            self.error = f"{type(e).__name__}: {e}"
        self.seconds += time.perf_counter() - t

    def _read(self, plan_cost: int) -> None:
        nxt, node, arc, loc, is_end = self._next, self._node, self._arc, self._loc, self._is_end
        for v, s in enumerate(self._starts):
            i = nxt[s].Value()
            if is_end[i]:
                continue
            prev = node[s]
            seq = []
            c = 0
            while not is_end[i]:
                k = node[i]
                c += arc[prev][k]
                seq.append(loc[k])
                prev = k
                i = nxt[i].Value()
            c += arc[prev][node[i]]
            self.pool.add(PoolRoute(self._vclass[v], tuple(seq), int(c), plan_cost))

    def stats(self) -> dict[str, Any]:
        """How many plans were seen and read, the time spent recording, and any error."""
        out = {"solutions": self.calls, "read": self.reads, "callback_s": round(self.seconds, 4)}
        if self.error is not None:
            out["error"] = self.error
        if self.handoff_error is not None:
            out["handoff_error"] = self.handoff_error
        return out
