"""Supply routing for relief deliveries: CVRP, VRPTW and multi-depot with OR-Tools routing.

One model class, :class:`VehicleRouting`: vehicles leave their own depot (the district or a
township warehouse), deliver to stops within the stops' relief windows, unload for a service
time, and return to the same depot; loads stay within each vehicle's capacity, per commodity or
as one total. Costs come from a square matrix (travel seconds from the network kernels, or any
other cost); ``+inf`` marks a pair with no path.

Stops that cannot be served are not silently lost: stops that no vehicle could ever serve
(demand above every capacity, no path, a window no vehicle can reach) are found before the
search and reported with the reason; the others may be dropped by the search at a large penalty
(disjunctions) when capacity or windows leave no room, and are reported with their demand.

Routing search is heuristic: :attr:`RoutingResult.optimal` is true only in trivial cases
(nothing to route, or a single stop at its lower bound). Search modes:

* ``"ruin_recreate"`` (default): OR-Tools' iterated local search with SISR ruin (slack
  induction by string removals, Christiaens & Vanden Berghe 2020) alone or alternating with
  the removal of spatially close routes, cheapest-insertion recreate, a short local search and
  simulated-annealing acceptance. On CVRPLIB set A it gets several times closer to the optimum
  than guided local search in the same 10 s, and it also did better on random VRPTW cases.
* ``"guided_local_search"`` and the other OR-Tools metaheuristics, on request.

One search runs in one thread. ``solve(workers=k)`` runs k differently configured searches at
once in separate processes and keeps the best plan: single searches fall into different traps
on different instances, so the best of two is far more reliable than either
(:func:`solve_cvrplib` uses two where there are two cores). A run cut by the time limit can
differ between machines or between a loaded and an idle machine (OR-Tools' search is
deterministic for a given number of iterations, not for a given time); pass
``solution_limit`` for runs reproducible bit for bit.

Route-pool recombination (default with ruin-and-recreate; :mod:`optimize.routing.route_pool`): every
search records the routes of the plans it passes through (an at-solution callback; the
cheapest sequence per vehicle class and set of stops), and set partitioning (CP-SAT) picks the
cheapest set of pooled routes that serves every stop once within the fleet. Worker 0 searches
to the end; the other workers stop at 65 % of the budget, recombine worker 0's routes with
their own and restart from the recombined plan (OR-Tools' iterated local search cannot start
from an assignment — hints are ignored — so the plan is rebuilt as its first solution by an
arc evaluator under which only the plan's arcs are free); at the end all routes are recombined
once more, starting from the best plan. Routes keep their vehicle class (depot, capacities,
tour limit) and droppable stops cost their penalty, so this holds for the general model; plans
with time windows or tour limits are rescheduled by OR-Tools. Measured on CVRPLIB set A, 10 s
per instance for the whole call, two workers on a shared 2-core machine (load average 1-2):
four full sweeps with recombination, 27 of 27 within 1 % of the optimum in each, mean gap
0.092-0.115 %, worst 0.69 % (A-n53-k7, where every search ends at 1017 with or without it);
two sweeps without, same machine: 27 and 26 of 27, mean 0.147 and 0.179 %, worst 0.78 and
1.40 % (A-n62-k8; A-n64-k9 at 0.71 % in both, 0-0.07 % with). Recording the routes takes about
3 % of the workers' time.
"""
from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import time
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from network.errors import InputError
from optimize.cvrplib import check_routes, read_sol, read_vrp

from .model import RoutingProblem
from .ortools_model import ILS_VARIANTS, int_costs, penalties
from .plans import DROPPED, build_result, build_route
from .handover import search_recombined
from .parallel import search_parallel
from .presolve import presolve
from .recombination import assign_vehicles, from_recombination, pool_routes, recombine_plan, sp_stats
from .results import Route, RoutingResult, RoutingStatus, UnservedStop, rank
from .route_pool import PoolRoute, Recombination, RoutePool, recombine
from .search import search_once

__all__ = [
    "RoutingStatus", "Route", "UnservedStop", "RoutingResult", "VehicleRouting", "solve_cvrplib",
]

_METAHEURISTICS = ("auto", "ruin_recreate", "guided_local_search", "simulated_annealing",
                   "tabu_search", "greedy_descent")
_FIRST_SOLUTIONS = ("auto", "savings", "path_cheapest_arc", "parallel_cheapest_insertion",
                    "local_cheapest_insertion", "global_cheapest_arc", "christofides", "sweep")


# --- the model ------------------------------------------------------------------------------

class VehicleRouting(RoutingProblem):
    """Capacitated vehicle routing with time windows, service times and several depots.

    Build it with :meth:`from_matrix` (or :meth:`from_cvrplib`) and call :meth:`solve`.
    Locations are the rows of the cost matrix; every location that is not a vehicle's depot is
    a stop to deliver to.
    """

    # -- solve -----------------------------------------------------------------------------

    def solve(
        self,
        time_limit_s: float = 10.0,
        *,
        first_solution: str = "auto",
        metaheuristic: str = "auto",
        solution_limit: int | None = None,
        workers: int = 1,
        recombine: bool | None = None,
        log: bool = False,
    ) -> RoutingResult:
        """Search for a plan for at most ``time_limit_s`` seconds (wall clock).

        ``first_solution``: "auto" (savings without windows, parallel cheapest insertion with
        them), "savings", "path_cheapest_arc", "parallel_cheapest_insertion", ...
        ``metaheuristic``: "auto" (= "ruin_recreate"), "guided_local_search",
        "simulated_annealing", "tabu_search", "greedy_descent" (stops at the first local
        optimum: quick, for small or easy cases).
        ``solution_limit``: stop after this many solutions (for ruin-and-recreate: iterations;
        its cooling schedule then follows the count, not the clock). A run that ends on this
        limit, not on the time limit, is reproducible bit for bit on any machine.
        ``workers``: independent searches run at once, each in its own process (OR-Tools
        routing holds the GIL, so threads would not run in parallel); worker 0 uses the
        settings given, the others other ruin-and-recreate variants (:data:`ILS_VARIANTS`) or,
        for the other metaheuristics, other first solutions; the best plan is kept (fewest stops
        unserved, then cost). Each search alone is deterministic for a ``solution_limit``, so
        the pick is too.
        ``recombine``: route-pool recombination (default: on for ruin-and-recreate). Every
        worker records the routes of the plans it finds. Worker 0 searches to the end; at a
        split point (65 % of the budget) it hands its routes to the other workers, which
        recombine them with their own by set partitioning (:mod:`optimize.routing.route_pool`) and
        restart from the recombined plan. At the end all routes are recombined once more,
        starting from the best plan found, and the better plan is kept (with one worker: one
        search, then that last step). Valid with windows, several depots, commodities and
        droppable stops: routes are pooled per vehicle class, dropped stops cost their penalty.
        With ``solution_limit`` the split comes after half the plans, and the pick stays
        reproducible.
        """
        if first_solution not in _FIRST_SOLUTIONS:
            raise InputError(f"first_solution: one of {', '.join(_FIRST_SOLUTIONS)}; got {first_solution!r}")
        if metaheuristic not in _METAHEURISTICS:
            raise InputError(f"metaheuristic: one of {', '.join(_METAHEURISTICS)}; got {metaheuristic!r}")
        if not (time_limit_s > 0 and math.isfinite(time_limit_s)):
            raise InputError(f"time_limit_s must be positive, got {time_limit_s}")
        if solution_limit is not None and solution_limit < 1:
            raise InputError(f"solution_limit must be at least 1, got {solution_limit}")
        if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
            raise InputError(f"workers must be a whole number of at least 1, got {workers!r}")
        t0 = time.perf_counter()
        allowed, reasons = presolve(self)
        servable = [int(s) for s in self.stops if int(s) not in reasons]
        use_time = self.windows is not None or self.max_route_time is not None
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
        if not servable:
            return build_result(self, [], reasons, t0, search, optimal=True,
                                message="nothing to route" if not reasons else "no stop can be served")
        if recombine:
            return search_recombined(self, allowed, reasons, servable, use_time, search, time_limit_s,
                                           int(workers), log, t0)
        if workers == 1:
            return search_once(self, allowed, reasons, servable, use_time, search, time_limit_s, log, t0)
        return search_parallel(self, allowed, reasons, servable, use_time, search, time_limit_s,
                                     int(workers), log, t0)


def solve_cvrplib(path: str | Path, time_limit_s: float = 10.0, vehicles: int | None = None,
                  workers: int | None = None) -> dict[str, Any]:
    """Solve a CVRPLIB ``.vrp`` file; a JSON-ready summary with the gap to the known optimum.

    The known optimum comes from a ``.sol`` beside the file (its ``Cost`` line) or else the
    file's COMMENT. ``workers``: parallel searches (see :meth:`VehicleRouting.solve`); default
    two where the machine has two cores or more, else one. Keys: instance, objective, optimal
    (always false: routing proves nothing), seconds, known_optimum, gap_pct, status, vehicles,
    vehicles_used, routes (CVRPLIB customer numbers, as in .sol files), feasible (every customer
    once, loads within capacity), workers, recombination (pool size, the set-partitioning steps
    and whether the last one improved on the best search; see :meth:`VehicleRouting.solve`).
    """
    path = Path(path)
    t0 = time.perf_counter()
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    inst = read_vrp(path)
    model = VehicleRouting.from_cvrplib(inst, vehicles)
    res = model.solve(time_limit_s=max(0.1, time_limit_s - (time.perf_counter() - t0)), workers=workers)
    left = time_limit_s - (time.perf_counter() - t0)
    if not res.solved and vehicles is None and left > 0.5:
        # k trucks may be too few for the first-solution heuristic to pack: allow one more
        model = VehicleRouting.from_cvrplib(inst, model.num_vehicles + 1)
        res = model.solve(time_limit_s=left, workers=workers)
    known = inst.known_optimum
    sol_path = path.with_suffix(".sol")
    if sol_path.exists():
        try:
            known = read_sol(sol_path, inst).cost or known
        except InputError:
            pass                            # a broken .sol must not hide the solve
    customers = {int(c): k + 1 for k, c in enumerate(inst.customers)}
    routes = [[customers[s] for s in r.customers] for r in res.routes]
    objective = res.objective
    out: dict[str, Any] = {
        "instance": inst.name,
        "objective": int(objective) if objective is not None and float(objective).is_integer() else objective,
        "optimal": bool(res.optimal),
        "seconds": round(time.perf_counter() - t0, 3),
        "known_optimum": int(known) if known is not None and float(known).is_integer() else known,
        "gap_pct": (round(100.0 * (objective - known) / known, 3) if objective is not None and known else None),
        "status": res.status.value,
        "dimension": inst.dimension,
        "capacity": inst.capacity,
        "vehicles": res.vehicles,
        "vehicles_used": len(res.routes),
        "feasible": objective is not None and not check_routes(inst, [list(r.customers) for r in res.routes]),
        "routes": routes,
        "workers": workers,
    }
    if "recombination" in res.search:
        out["recombination"] = res.search["recombination"]
    return out
