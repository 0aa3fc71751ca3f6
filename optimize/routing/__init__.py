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

Route-pool recombination (default with ruin-and-recreate; :mod:`optimize.routing.route_pool`):
every search records the routes of the plans it passes through (an at-solution callback; the
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

Modules, each importing only those above it:

========================================  ======================================================
:mod:`~optimize.routing.results`          result types: :class:`RoutingStatus`, :class:`Route`,
                                          :class:`UnservedStop`, :class:`RoutingResult`
:mod:`~optimize.routing.route_pool`       the route pool and set-partitioning recombination
                                          (CP-SAT), independent of the routing model
:mod:`~optimize.routing.inputs`           input checks of ``from_matrix`` and ``solve``
:mod:`~optimize.routing.model`            the model's data, built by ``from_matrix`` and
                                          ``from_cvrplib``
:mod:`~optimize.routing.presolve`         which vehicle may serve which stop; stops none can serve
:mod:`~optimize.routing.plans`            routes and results from stop sequences
:mod:`~optimize.routing.ortools_model`    the OR-Tools model: integer costs, dimensions, drop
                                          penalties, search parameters
:mod:`~optimize.routing.recorder`         the at-solution callback that pools routes
:mod:`~optimize.routing.search`           one search: build, solve, read the plan back
:mod:`~optimize.routing.recombination`    recombination on the model: pool routes, set
                                          partitioning, a result from the recombined plan
:mod:`~optimize.routing.parallel`         the worker pool: parallel searches in child processes,
                                          the best worker's plan
:mod:`~optimize.routing.handover`         the recombining hand-over schedule
:mod:`~optimize.routing.vehicle_routing`  :class:`VehicleRouting`: the data and ``solve``
:mod:`~optimize.routing.cvrp`             :func:`solve_cvrplib`
========================================  ======================================================
"""
from __future__ import annotations

from .cvrp import solve_cvrplib
from .results import Route, RoutingResult, RoutingStatus, UnservedStop
from .vehicle_routing import VehicleRouting

__all__ = [
    "RoutingStatus", "Route", "UnservedStop", "RoutingResult", "VehicleRouting", "solve_cvrplib",
]
