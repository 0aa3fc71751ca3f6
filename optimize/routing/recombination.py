"""Route-pool recombination on the routing model: a plan's routes as pool routes, set
partitioning over a pool (:func:`~optimize.routing.route_pool.recombine`) with the search's own
integer costs and drop penalties, and a result from the recombined plan.

The pool and the set-partitioning model know nothing of the routing model; this module puts the
two together, and OR-Tools reschedules recombined plans with time windows or tour limits.
"""
from __future__ import annotations

import time
from dataclasses import replace
from itertools import pairwise
from typing import Any, Sequence

import numpy as np

from .model import RoutingProblem
from .ortools_model import int_costs, penalties
from .plans import DROPPED, build_result, build_route
from .results import RoutingResult
from .route_pool import PoolRoute, Recombination, RoutePool, recombine
from .search import search_once

# Deterministic-time limit of a set-partitioning solve in runs bounded by solution_limit
# (CP-SAT's own work units, about seconds): the same pool then always gives the same plan.
_SP_DETERMINISTIC = 1.0


def sp_inputs(model: RoutingProblem,
              servable: list[int]) -> tuple[np.ndarray, np.ndarray, dict[int, int], dict[int, int] | None]:
    """Model nodes, integer arc costs, routes allowed per vehicle class, integer drop penalties
    (None when every stop is mandatory) — the search's own objective terms."""
    nodes, ci, blocked, cscale = int_costs(model, servable)
    sizes = {int(c): int(n) for c, n in zip(*np.unique(model.vehicle_class, return_counts=True))}
    pens = None
    if model.allow_drop:
        pens = {loc: int(p) for loc, p in zip(servable, penalties(model, servable, np.where(blocked, 0, ci), cscale))}
    return nodes, ci, sizes, pens


def pool_routes(model: RoutingProblem, res: RoutingResult, nodes: np.ndarray, ci: np.ndarray) -> list[PoolRoute]:
    """A plan's routes as pool routes (integer costs ``ci`` on the model's ``nodes``)."""
    pos = {int(loc): k for k, loc in enumerate(nodes)}
    out = []
    for r in res.routes:
        k = [pos[s] for s in r.stops]
        cost = int(sum(ci[a, b] for a, b in pairwise(k)))
        out.append(PoolRoute(int(model.vehicle_class[r.vehicle]), tuple(r.customers), cost))
    return out


def _int_objective(routes: Sequence[PoolRoute], pens: dict[int, int] | None) -> int:
    """The search's objective of a plan: integer route costs plus the penalties of the
    stops it leaves out."""
    served = {s for r in routes for s in r.stops}
    return sum(r.cost for r in routes) + sum(p for s, p in (pens or {}).items() if s not in served)


def assign_vehicles(model: RoutingProblem, routes: Sequence[PoolRoute]) -> list[tuple[int, tuple[int, ...]]]:
    """Give each route a vehicle of its class (in a fixed order: reproducible)."""
    free: dict[int, list[int]] = {}
    for v in range(model.num_vehicles):
        free.setdefault(int(model.vehicle_class[v]), []).append(v)
    out = []
    for r in sorted(routes, key=lambda r: (r.vclass, r.stops)):
        out.append((free[r.vclass].pop(0), r.stops))
    return out


def recombine_plan(model: RoutingProblem, pool: RoutePool, hint: RoutingResult | None, servable: list[int],
                   time_limit_s: float, deterministic: bool) -> tuple[Recombination | None, int | None]:
    """Set partitioning over ``pool``, started from ``hint``; also the hint's own integer
    objective (to tell whether the recombination improved on it).

    Parameters
    ----------
    model : RoutingProblem
        The model whose search filled the pool (its integer costs and drop penalties are the
        objective).
    pool : RoutePool
        Routes pooled per vehicle class; the hint's routes are added to it.
    hint : RoutingResult or None
        A plan to start from, so that the recombined plan is never worse; None or an unsolved
        result: no start.
    servable : list of int
        The stops the plan is to serve (those the presolve did not rule out).
    time_limit_s : float
        Wall-clock limit of the set-partitioning solve.
    deterministic : bool
        Bound the solve by CP-SAT's deterministic time instead (runs bounded by
        ``solution_limit``: the same pool then always gives the same plan).

    Returns
    -------
    tuple of (Recombination or None, int or None)
        The recombined plan (None when the pool holds no plan or none was found in time), and
        the hint's integer objective (None without a hint).
    """
    nodes, ci, sizes, pens = sp_inputs(model, servable)
    solved = hint is not None and hint.solved
    hint_routes = pool_routes(model, hint, nodes, ci) if solved else []
    hint_obj = _int_objective(hint_routes, pens) if solved else None
    rec = recombine(pool, servable, sizes, pens, hint_routes, time_limit_s,
                    _SP_DETERMINISTIC if deterministic else None)
    return rec, hint_obj


def from_recombination(model: RoutingProblem, rec: Recombination, allowed: np.ndarray,
                       reasons: dict[int, tuple[str, bool]], servable: list[int], use_time: bool, t0: float,
                       search: dict[str, Any]) -> RoutingResult | None:
    """A result from a recombined plan, times and loads recomputed as for a searched plan;
    None if OR-Tools did not rebuild it as it is (it always should)."""
    plan = assign_vehicles(model, rec.routes)
    if use_time:
        # OR-Tools schedules the plan, as it does a searched one: its finalizer gives the
        # earliest schedule that meets the windows and the tour limits (departing at the
        # depot's opening could make a tour with waits too long).
        rebuild = {"first_solution": "savings", "metaheuristic": "greedy_descent", "solution_limit": 1}
        res = search_once(model, allowed, reasons, servable, True, rebuild, 2.0, False, time.perf_counter(),
                          start=plan)
        if not res.solved or sorted(r.customers for r in res.routes) != sorted(stops for _, stops in plan):
            return None
        return replace(res, search=search)
    reasons = dict(reasons)
    routes = []
    for v, stops in plan:
        d = int(model.vehicle_depots[v])
        routes.append(build_route(model, v, [d, *stops, d], model.opens_at(d)))
    served = {s for r in routes for s in r.customers}
    for loc in servable:
        if loc not in served:
            reasons[loc] = (DROPPED, False)
    return build_result(model, sorted(routes, key=lambda r: r.vehicle), reasons, t0, search)


def sp_stats(rec: Recombination | None, hint_obj: int | None, pool_size: int) -> dict[str, Any]:
    """What one set-partitioning step did, for ``RoutingResult.search``."""
    if rec is None:
        return {"pool": pool_size, "objective": None, "start": hint_obj}
    return {"pool": pool_size, "columns": rec.columns, "objective": rec.objective, "start": hint_obj,
            "optimal": rec.optimal, "seconds": round(rec.seconds, 3)}
