"""One OR-Tools search: the routing model built over the servable stops, solved (from the
first-solution heuristic or from a given plan), and its plan read back.

A search may record the routes of the plans it finds into a route pool
(:class:`~optimize.routing.recorder.PoolRecorder`) and hand the pool over mid-search; the worker
modules run several searches at once and recombine their pools.
"""
from __future__ import annotations

import time
from itertools import pairwise
from typing import Any, Sequence

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2 as enums

from .model import RoutingProblem
from .ortools_model import (ILS_VARIANTS, add_capacities, add_drops, add_time, forbid, int_costs,
                            restrict_vehicles, search_parameters, typical_arc)
from .plans import DROPPED, build_result, build_route
from .recorder import PoolRecorder
from .results import Route, RoutingResult
from .route_pool import RoutePool

# A restart from a recombined plan (see optimize.routing.handover) starts its simulated annealing
# at this fraction of the usual starting temperature: the plan is already good.
_RESTART_TEMPERATURE = 0.3


def search_once(model: RoutingProblem, allowed: np.ndarray, reasons: dict[int, tuple[str, bool]],
                servable: list[int], use_time: bool, search: dict[str, Any], time_limit_s: float, log: bool,
                t0: float, *, start: Sequence[tuple[int, tuple[int, ...]]] | None = None,
                pool: RoutePool | None = None,
                handoff: tuple[Any, float | None, int | None] | None = None) -> RoutingResult:
    """One OR-Tools search over the servable stops; ``t0`` is when the budget started.

    ``start``: a plan to start from, as (vehicle, stops) pairs, instead of the first-solution
    heuristic. ``pool``: record the routes of the plans found into it (:class:`PoolRecorder`);
    ``handoff``: (hook, time, count) for :meth:`PoolRecorder.handoff`.
    """
    metaheuristic = search["metaheuristic"]
    search = dict(search)
    reasons = dict(reasons)
    nodes, ci, blocked, cscale = int_costs(model, servable)
    pos = {int(loc): k for k, loc in enumerate(nodes)}
    routing, manager, tscale = _build(model, allowed, servable, use_time, nodes, ci, blocked, cscale, pos)
    time_dim = routing.GetDimensionOrDie("time") if use_time else None
    recorder = _recorder(model, routing, manager, nodes, ci, pool, handoff)
    params = _parameters(search, time_limit_s, log, t0, ci, blocked)
    follow = None
    if start is not None:
        follow = _start_from(routing, manager, pos, ci, start, params, metaheuristic)
    if metaheuristic == "ruin_recreate":
        solution = routing.SolveWithIteratedLocalSearch(params)
    else:
        solution = routing.SolveWithParameters(params)
    del follow
    search["ortools_status"] = enums.RoutingSearchStatus.Value.Name(routing.status())
    if recorder is not None:
        search["pool_recorder"] = recorder.stats()
    if solution is None:
        msg = ("no plan found within the time limit" if model.allow_drop else
               "no plan serves every stop (all stops mandatory: allow_drop=False); "
               "capacity or time windows may be too tight, or the time limit too short")
        return build_result(model, None, reasons, t0, search, message=msg)
    routes = _read_routes(model, routing, manager, solution, nodes, time_dim, tscale)
    served = {s for r in routes for s in r.customers}
    for loc in servable:
        if loc not in served:
            reasons[loc] = (DROPPED, False)
    return build_result(model, routes, reasons, t0, search)


def _build(model: RoutingProblem, allowed: np.ndarray, servable: list[int], use_time: bool, nodes: np.ndarray,
           ci: np.ndarray, blocked: np.ndarray, cscale: float, pos: dict[int, int]) -> tuple[Any, Any, float]:
    """The OR-Tools routing model with its arc costs, dimensions, allowed vehicles and drops;
    also the index manager and the time scale (1 without a time dimension)."""
    depots = sorted(set(model.vehicle_depots.tolist()))
    starts = [pos[int(d)] for d in model.vehicle_depots]
    manager = pywrapcp.RoutingIndexManager(len(nodes), model.num_vehicles, starts, starts)
    routing = pywrapcp.RoutingModel(manager)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(ci.tolist()))
    if blocked.any():
        forbid(model, routing, manager, blocked, len(depots))
    add_capacities(model, routing, nodes)
    tscale = 1.0
    if use_time:
        tscale = add_time(model, routing, manager, nodes, blocked, len(depots))
    restrict_vehicles(model, routing, manager, allowed, servable, pos)
    if model.allow_drop:
        add_drops(model, routing, manager, servable, pos, ci, blocked, cscale)
    return routing, manager, tscale


def _recorder(model: RoutingProblem, routing: Any, manager: Any, nodes: np.ndarray, ci: np.ndarray,
              pool: RoutePool | None, handoff: tuple[Any, float | None, int | None] | None) -> PoolRecorder | None:
    """The at-solution callback that records routes into ``pool`` (None without a pool)."""
    if pool is None:
        return None
    recorder = PoolRecorder(routing, manager, nodes, ci, model.vehicle_class, pool)
    if handoff is not None:
        recorder.handoff(*handoff)
    routing.AddAtSolutionCallback(recorder)
    return recorder


def _parameters(search: dict[str, Any], time_limit_s: float, log: bool, t0: float, ci: np.ndarray,
                blocked: np.ndarray) -> Any:
    """Search parameters for the time left of the budget and the search settings."""
    # Leave a little of the budget for reading the plan back, so the whole call keeps to it.
    left = time_limit_s - (time.perf_counter() - t0) - min(0.1, 0.02 * time_limit_s)
    params = search_parameters(search["first_solution"], search["metaheuristic"], left, log,
                               typical_arc(np.where(blocked, np.inf, ci.astype(float))),
                               search.get("ils", ILS_VARIANTS[0]))
    if search["solution_limit"] is not None:
        params.solution_limit = int(search["solution_limit"])
    return params


def _start_from(routing: Any, manager: Any, pos: dict[int, int], ci: np.ndarray,
                start: Sequence[tuple[int, tuple[int, ...]]], params: Any, metaheuristic: str) -> Any:
    """Make ``start`` the search's first solution; the evaluator returned must outlive the solve."""
    follow = plan_evaluator(routing, manager, pos, ci, start)
    # OR-Tools' ILS cannot start from an assignment (hints are ignored), but its first
    # solution can come from an arc evaluator: arcs of the plan cost nothing, others
    # more than any plan, so path-cheapest-arc rebuilds exactly the plan.
    routing.SetFirstSolutionEvaluator(follow)
    params.first_solution_strategy = enums.FirstSolutionStrategy.EVALUATOR_STRATEGY
    if metaheuristic == "ruin_recreate":
        # Start cooler than from a construction: the plan is already good, and a hot
        # start would walk away from it before the schedule cools.
        sa = params.iterated_local_search_parameters.reference_solution_acceptance_strategy.simulated_annealing
        sa.initial_temperature *= _RESTART_TEMPERATURE
    return follow


def _read_routes(model: RoutingProblem, routing: Any, manager: Any, solution: Any, nodes: np.ndarray,
                 time_dim: Any, tscale: float) -> list[Route]:
    """The routes of the vehicles that leave their depot, times and loads recomputed."""
    routes: list[Route] = []
    for v in range(model.num_vehicles):
        idx = routing.Start(v)
        locs = []
        while True:
            locs.append(int(nodes[manager.IndexToNode(idx)]))
            if routing.IsEnd(idx):
                break
            idx = solution.Value(routing.NextVar(idx))
        if len(locs) <= 2:
            continue
        depart = (solution.Value(time_dim.CumulVar(routing.Start(v))) / tscale if time_dim is not None
                  else model.opens_at(int(model.vehicle_depots[v])))
        routes.append(build_route(model, v, locs, depart))
    return routes


def plan_evaluator(routing: Any, manager: Any, pos: dict[int, int], ci: np.ndarray,
                   plan: Sequence[tuple[int, tuple[int, ...]]]) -> Any:
    """First-solution arc evaluator that rebuilds ``plan`` ((vehicle, stops) pairs): its arcs
    cost 0, every other arc its cost plus more than any plan costs."""
    free = set()
    used = set()
    for v, stops in plan:
        seq = [routing.Start(v)] + [manager.NodeToIndex(pos[s]) for s in stops] + [routing.End(v)]
        free.update(pairwise(seq))
        used.add(v)
    for v in range(routing.vehicles()):
        if v not in used:
            free.add((routing.Start(v), routing.End(v)))
    node = [int(manager.IndexToNode(i)) for i in range(routing.Size() + routing.vehicles())]
    arc = ci.tolist()
    penalty = int(ci.max(initial=0)) * (len(node) + 1) + 1

    def evaluate(i: int, j: int) -> int:
        return 0 if (i, j) in free else arc[node[i]][node[j]] + penalty
    return evaluate
