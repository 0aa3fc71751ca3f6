""":class:`VehicleRouting`: the routing model's data (:mod:`optimize.routing.model`) and ``solve``,
which presolves, settles the search settings and hands over to one search
(:mod:`optimize.routing.search`), parallel searches (:mod:`optimize.routing.parallel`) or
recombining searches (:mod:`optimize.routing.handover`).
"""
from __future__ import annotations

import time
from typing import Any

from .handover import search_recombined
from .inputs import check_solve_options
from .model import RoutingProblem
from .ortools_model import ILS_VARIANTS
from .parallel import search_parallel
from .plans import build_result
from .presolve import presolve
from .results import RoutingResult
from .search import search_once


class VehicleRouting(RoutingProblem):
    """Capacitated vehicle routing with time windows, service times and several depots.

    Build it with :meth:`from_matrix` (or :meth:`from_cvrplib`) and call :meth:`solve`.
    Locations are the rows of the cost matrix; every location that is not a vehicle's depot is
    a stop to deliver to.

    Attributes
    ----------
    cost, travel : ndarray, shape (n, n)
        Arc costs, and the seconds the windows are measured in (``+inf``: no path).
    demands : ndarray, shape (n, commodities)
        Demand per location (0 at depots).
    capacities : ndarray, shape (vehicles, commodities)
        Capacity per vehicle and commodity (``inf``: unlimited).
    vehicle_depots : ndarray of int
        Each vehicle's depot, where its tour starts and ends.
    windows : ndarray, shape (n, 2), or None
        Earliest and latest start of unloading per location.
    service : ndarray, shape (n,)
        Unloading seconds per location (0 at depots).
    max_route_time : ndarray or None
        Longest tour per vehicle, seconds.
    allow_drop : bool
        Whether the search may leave stops unserved at a penalty.
    drop_penalty : ndarray or None
        Cost of leaving each location unserved (None: the default penalties).
    unreachable : str
        "error" or "drop": what a stop with no path from and back to any depot does.
    name : str
        The model's name.
    n, num_vehicles : int
        Locations and vehicles.
    stops : ndarray of int
        The locations that are no vehicle's depot.
    vehicle_class : ndarray of int
        Class per vehicle: vehicles with the same depot, capacities and tour limit share one.
    """

    def solve(self, time_limit_s: float = 10.0, *, first_solution: str = "auto", metaheuristic: str = "auto",
              solution_limit: int | None = None, workers: int = 1, recombine: bool | None = None,
              log: bool = False) -> RoutingResult:
        """Search for a plan for at most ``time_limit_s`` seconds (wall clock).

        Parameters
        ----------
        time_limit_s : float, default 10.0
            Wall-clock budget of the whole call.
        first_solution : str, default "auto"
            "auto" (savings without windows, parallel cheapest insertion with them),
            "savings", "path_cheapest_arc", "parallel_cheapest_insertion", ...
        metaheuristic : str, default "auto"
            "auto" (= "ruin_recreate"), "guided_local_search", "simulated_annealing",
            "tabu_search", "greedy_descent" (stops at the first local optimum: quick, for small
            or easy cases).
        solution_limit : int, optional
            Stop after this many solutions (for ruin-and-recreate: iterations; its cooling
            schedule then follows the count, not the clock). A run that ends on this limit, not
            on the time limit, is reproducible bit for bit on any machine.
        workers : int, default 1
            Independent searches run at once, each in its own process (OR-Tools routing holds
            the GIL, so threads would not run in parallel); worker 0 uses the settings given,
            the others other ruin-and-recreate variants
            (:data:`~optimize.routing.ortools_model.ILS_VARIANTS`) or, for the other
            metaheuristics, other first solutions; the best plan is kept (fewest stops
            unserved, then cost). Each search alone is deterministic for a ``solution_limit``,
            so the pick is too.
        recombine : bool, optional
            Route-pool recombination (default: on for ruin-and-recreate). Every worker records
            the routes of the plans it finds. Worker 0 searches to the end; at a split point
            (65 % of the budget) it hands its routes to the other workers, which recombine them
            with their own by set partitioning (:mod:`optimize.routing.route_pool`) and restart
            from the recombined plan. At the end all routes are recombined once more, starting
            from the best plan found, and the better plan is kept (with one worker: one search,
            then that last step). Valid with windows, several depots, commodities and droppable
            stops: routes are pooled per vehicle class, dropped stops cost their penalty. With
            ``solution_limit`` the split comes after half the plans, and the pick stays
            reproducible.
        log : bool, default False
            OR-Tools' search log (worker 0 only).

        Returns
        -------
        RoutingResult
            The plan, the stops left unserved and why, and in ``search`` the settings and what
            the search did.

        Raises
        ------
        InputError
            An unknown first solution or metaheuristic, or a time limit, solution limit or
            number of workers out of range.
        UnreachableError
            A stop has no path from and back to any vehicle's depot and the model was built with
            ``unreachable="error"``.
        """
        check_solve_options(first_solution, metaheuristic, time_limit_s, solution_limit, workers)
        t0 = time.perf_counter()
        allowed, reasons = presolve(self)
        servable = [int(s) for s in self.stops if int(s) not in reasons]
        use_time = self.windows is not None or self.max_route_time is not None
        search = _settings(first_solution, metaheuristic, time_limit_s, solution_limit, workers, recombine, use_time)
        if not servable:
            return build_result(self, [], reasons, t0, search, optimal=True,
                                message="nothing to route" if not reasons else "no stop can be served")
        if search["recombine"]:
            return search_recombined(self, allowed, reasons, servable, use_time, search, time_limit_s,
                                     int(workers), log, t0)
        if workers == 1:
            return search_once(self, allowed, reasons, servable, use_time, search, time_limit_s, log, t0)
        return search_parallel(self, allowed, reasons, servable, use_time, search, time_limit_s,
                               int(workers), log, t0)


def _settings(first_solution: str, metaheuristic: str, time_limit_s: float, solution_limit: int | None,
              workers: int, recombine: bool | None, use_time: bool) -> dict[str, Any]:
    """The search settings as reported in ``RoutingResult.search``, every "auto" resolved."""
    if first_solution == "auto":
        first_solution = "parallel_cheapest_insertion" if use_time else "savings"
    if metaheuristic == "auto":
        metaheuristic = "ruin_recreate"
    search = {"first_solution": first_solution, "metaheuristic": metaheuristic,
              "time_limit_s": time_limit_s, "solution_limit": solution_limit, "workers": int(workers)}
    if metaheuristic == "ruin_recreate":
        search["ils"] = ILS_VARIANTS[0]
    if recombine is None:
        recombine = metaheuristic == "ruin_recreate"
    search["recombine"] = bool(recombine)
    return search
