"""Delivery rounds from a vehicle-routing solver: the optimiser mode of relief supplies.

With ``SimParams(supply_routing="optimiser")`` the trucks stop following the one-shelter rule
for shelters: each hazard step, the free trucks and the shelters' uncovered needs (whole relief
kits) become a multi-depot vehicle-routing problem with time windows, solved by the
:class:`RoundRouter` the caller hands to the simulation (``scenarios`` hands it
:func:`optimize.relief_rounds.relief_rounds`; ``sim`` itself imports no solver):

* depots: warehouses with free trucks; one vehicle per free truck, its capacity the kits one
  truck carries, the last truck of a warehouse limited to what is left on its shelves (so no
  plan ships stock a warehouse does not hold);
* stops: shelters needing at least one kit, demand capped at the smallest vehicle's load per
  round (the rest goes in later rounds); travel times are the current road times between them;
* windows: a stop must be reached before its relief deadline (when its first people were
  assigned there, plus the relief target), minus the loading time; unloading is the service.

Stops the plan leaves out (too late for any window, or unreachable) fall back to the simple
rule.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np


class RoundRouter(Protocol):
    """Solves one round: returns ``(vehicle, stop locations in visiting order)`` per used vehicle.

    Locations are matrix rows: the depots first, then the stops. Stops it cannot serve in time
    (or at all) are left out of every route.
    """

    def __call__(self, travel_s: np.ndarray, demands: np.ndarray, capacities: np.ndarray,
                 vehicle_depots: Sequence[int], windows_s: np.ndarray, service_s: np.ndarray, *,
                 time_limit_s: float, solution_limit: int) -> list[tuple[int, list[int]]]: ...


def plan_rounds(stop_nodes: Sequence[int], stop_kits: Sequence[int], stop_deadlines_s: Sequence[float],
                truck_nodes: Sequence[int], truck_kits: Sequence[int], travel: Callable[[int, int], float], *,
                load_s: float, unload_s: float, time_limit_s: float, solution_limit: int,
                router: RoundRouter) -> list[tuple[int, list[tuple[int, int]]]]:
    """Rounds for the free trucks now.

    Parameters
    ----------
    stop_nodes, stop_kits, stop_deadlines_s
        Per shelter in need: its node, the kits it needs, and how long from now until its
        relief deadline.
    truck_nodes, truck_kits
        Per free truck: its warehouse's node and the kits it can carry this round.
    travel
        Current road time between two nodes (s).
    load_s, unload_s
        Loading time at the warehouse and unloading time at each stop.
    time_limit_s, solution_limit
        The router's budget.
    router
        The vehicle-routing solver.

    Returns
    -------
    list
        ``(truck, [(stop, kits), ...])`` per truck sent out, stops in visiting order.
    """
    if not len(stop_nodes) or not len(truck_nodes):
        return []
    # every truck can serve every stop: a stop asks at most what the smallest load can carry
    # this round (the rest comes in later rounds)
    smallest = min(truck_kits)
    kits = [min(k, smallest) for k in stop_kits]
    depots = list(dict.fromkeys(truck_nodes))          # warehouses with a truck, in order
    loc_nodes = depots + list(stop_nodes)
    n = len(loc_nodes)
    travel_s = np.zeros((n, n))
    for i, a in enumerate(loc_nodes):
        for j, b in enumerate(loc_nodes):
            if i != j:
                travel_s[i, j] = travel(a, b)
    windows = np.zeros((n, 2))
    windows[:, 1] = np.inf
    windows[len(depots):, 1] = np.maximum(0.0, np.asarray(stop_deadlines_s, float) - load_s)
    demands = np.r_[np.zeros(len(depots)), kits]
    service = np.r_[np.zeros(len(depots)), np.full(len(kits), unload_s)]
    routes = router(travel_s, demands, np.array(truck_kits, float), [depots.index(w) for w in truck_nodes],
                    windows, service, time_limit_s=time_limit_s, solution_limit=solution_limit)
    return [(v, [(c - len(depots), kits[c - len(depots)]) for c in stops]) for v, stops in routes if stops]
