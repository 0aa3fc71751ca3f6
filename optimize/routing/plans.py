"""Plans from stop sequences: each route's arrivals, loads and cost recomputed in floating point
from the input matrices, and the result around them (status, unserved stops, unmet demand).

Searched and recombined plans both end here, so that they are reported alike.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from .model import RoutingProblem
from .results import Route, RoutingResult, RoutingStatus, UnservedStop, amount

DROPPED = "dropped by the search: capacity or time windows left no room for it in the plan found"


def build_route(model: RoutingProblem, v: int, locs: list[int], depart: float) -> Route:
    """Times and loads recomputed in floating point from the input matrices."""
    arrivals = [depart]
    for a, b in zip(locs[:-1], locs[1:]):
        t = arrivals[-1] + model.service[a] + model.travel[a, b]
        if b != locs[-1] and model.windows is not None:
            t = max(t, float(model.windows[b, 0]))
        arrivals.append(float(t))
    dem = model.demands[locs]
    dem[0] = dem[-1] = 0.0
    onboard = dem.sum(axis=0) - np.cumsum(dem, axis=0)
    loads = onboard[:, 0] if onboard.shape[1] == 1 else onboard
    cost = float(sum(model.cost[a, b] for a, b in zip(locs[:-1], locs[1:])))
    return Route(v, locs[0], tuple(locs), tuple(arrivals), loads, cost)


def build_result(model: RoutingProblem, routes: list[Route] | None, reasons: dict[int, tuple[str, bool]],
                 t0: float, search: dict[str, Any], optimal: bool = False, message: str = "") -> RoutingResult:
    """The result of a plan (None: no plan) and of the stops left unserved with their reasons."""
    unserved = [UnservedStop(s, model.demand_of(s), why, proven) for s, (why, proven) in sorted(reasons.items())]
    lost = amount(model.demands[[u.stop for u in unserved]].sum(axis=0)) if unserved else amount(
        np.zeros(model.demands.shape[1]))
    if routes is None:
        return RoutingResult(RoutingStatus.NO_SOLUTION, [], None, False, {}, unserved, lost,
                             time.perf_counter() - t0, model.num_vehicles, message, search)
    objective = float(sum(r.cost for r in routes))
    arrival = {s: a for r in routes for s, a in zip(r.customers, r.arrivals[1:-1])}
    if not optimal and len(arrival) == 1 and len(model.stops) == 1:
        optimal = _single_stop_optimal(model, next(iter(arrival)), objective)
    if optimal:
        status = RoutingStatus.OPTIMAL
    else:
        status = RoutingStatus.INFEASIBLE if unserved else RoutingStatus.FEASIBLE
    if not message and unserved:
        message = f"{len(unserved)} stop(s) unserved, demand {lost} not met"
    return RoutingResult(status, routes, objective, optimal, arrival, unserved, lost,
                         time.perf_counter() - t0, model.num_vehicles, message, search)


def _single_stop_optimal(model: RoutingProblem, stop: int, objective: float) -> bool:
    """One stop: the best plan is the cheapest round trip of a vehicle that may serve it."""
    d = model.vehicle_depots
    trips = model.cost[d, stop] + model.cost[stop, d]
    return bool(np.isclose(objective, trips.min()))
