"""Relief delivery rounds as a small multi-depot VRP with time windows: the router the
simulation's optimiser supply mode is handed (:class:`sim.supply_routes.RoundRouter`).

Greedy descent from the first solution: with a handful of stops the first local optimum comes
in milliseconds and, with a solution limit rather than the clock ending the search, it is the
same on every machine (the time limit only bounds pathological cases).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .routing import VehicleRouting


def relief_rounds(travel_s: np.ndarray, demands: np.ndarray, capacities: np.ndarray, vehicle_depots: Sequence[int],
                  windows_s: np.ndarray, service_s: np.ndarray, *, time_limit_s: float,
                  solution_limit: int) -> list[tuple[int, list[int]]]:
    """Routes for one round of relief deliveries.

    Parameters
    ----------
    travel_s
        (n, n) road times between locations, depots first; ``inf`` = no road.
    demands
        Kits per location (0 at depots).
    capacities
        Kits each vehicle carries.
    vehicle_depots
        The depot location of each vehicle.
    windows_s
        (n, 2) earliest and latest arrival per location.
    service_s
        Unloading time per location.
    time_limit_s, solution_limit
        The search's budget.

    Returns
    -------
    list of (int, list of int)
        ``(vehicle, [stop locations in visiting order])`` per vehicle used; stops that cannot be
        reached in time are dropped.
    """
    vr = VehicleRouting.from_matrix(travel_s, demands, np.asarray(capacities, float), depots=list(vehicle_depots),
                                    time_windows=windows_s, service_times=service_s, unreachable="drop",
                                    name="relief rounds")
    res = vr.solve(time_limit_s, metaheuristic="greedy_descent", solution_limit=solution_limit)
    return [(r.vehicle, list(r.customers)) for r in res.routes if r.customers]
