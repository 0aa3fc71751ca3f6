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
from ortools.constraint_solver import pywrapcp, routing_enums_pb2 as enums, routing_ils_pb2 as ils_pb
from ortools.constraint_solver.routing_heuristic_parameters_pb2 import LocalCheapestInsertionParameters as _LCI

from network.errors import InputError
from optimize.cvrplib import check_routes, read_sol, read_vrp

from .model import RoutingProblem
from .plans import DROPPED, build_result, build_route
from .presolve import presolve
from .results import Route, RoutingResult, RoutingStatus, UnservedStop, rank
from .route_pool import PoolRecorder, PoolRoute, Recombination, RoutePool, recombine

__all__ = [
    "RoutingStatus", "Route", "UnservedStop", "RoutingResult", "VehicleRouting", "solve_cvrplib",
]

# Integer resolution: OR-Tools works in int64. Fractional inputs are scaled so that the largest
# finite value keeps about this many units (7 significant digits) — ample for seconds or metres.
_INT_RANGE = 10_000_000
_METAHEURISTICS = ("auto", "ruin_recreate", "guided_local_search", "simulated_annealing",
                   "tabu_search", "greedy_descent")
_BOOL_FALSE, _BOOL_TRUE = 2, 3                  # ortools.util.OptionalBoolean
# Ruin-and-recreate variants, one per parallel worker (worker k runs variant k, cycling).
# "sisr_routes": each iteration ruins either SISR strings or two spatially close routes (one
#   picked at random), reinserts the removed stops in random order, then a local search
#   polishes the rebuilt plan. Removing whole routes lets the search repartition stops between
#   routes, and the random order rebuilds them differently each time; with both, A-n48-k7 went
#   from a trap at 1084 (every single setting before) to its optimum 1073 in most runs.
# "sisr_ls": SISR strings, stops reinserted in OR-Tools' fixed order, the local search (the
#   single-search default before); alone it did best on the larger set-A instances.
# "sisr": SISR strings only and no local search on the rebuilt plans, as in the SISR paper:
#   more iterations per second, but the weakest of the three alone on set A.
# Measured on the seven hardest set-A instances, 10 s each on a loaded 2-core machine: any
# variant alone ends in traps on some instances (mean gap 0.6-1.2 %, worst 1.5-2.2 %), but
# the traps of the first two rarely coincide: their best of two had mean 0.38 %, worst
# 0.78 %. A third worker on two cores starved the other two and did worse (worst 1.45 %).
_ILS_VARIANTS = ("sisr_routes", "sisr_ls", "sisr")
_RANDOM_ORDER = {"sisr_routes"}
# Other first solutions for workers 1, 2, ... of the other metaheuristics (worker 0's own is
# skipped), without and with a time dimension: a different start sends the deterministic
# search down another path. Path-cheapest-arc often found no first plan at all with the fleet
# of a CVRPLIB optimum, so it is not used.
_WORKER_FIRST_SOLUTIONS = {
    False: ("savings", "christofides", "parallel_cheapest_insertion", "local_cheapest_insertion",
            "global_cheapest_arc"),
    True: ("parallel_cheapest_insertion", "local_cheapest_insertion", "path_cheapest_arc",
           "global_cheapest_arc", "savings"),
}
# Route-pool recombination (see solve()). Workers 1, 2, ... end their first search at this
# share of the budget, recombine, and restart from the recombined plan (same variant) at this
# fraction of the usual starting temperature. Measured on A-n80-k10 (the worst set-A
# instance), 10 s, 7 runs each: split at 65 % with the worker's own variant, mean gap 0.35 %;
# at 45 %, 0.64 %; at 45 % restarting with "sisr_routes", 0.73 %; a late split leaves the
# first search time to settle, and the restart still gets the recombined plan to improve on.
# The set-partitioning models get at most these shares of the budget, each at most _SP_MAX_S.
_PHASE_SPLIT = 0.65
_RESTART_TEMPERATURE = 0.3
_SP_SHARE_MID, _SP_SHARE_FINAL, _SP_MAX_S = 0.05, 0.04, 0.6
# Deterministic-time limit of a set-partitioning solve in runs bounded by solution_limit
# (CP-SAT's own work units, about seconds): the same pool then always gives the same plan.
_SP_DETERMINISTIC = 1.0
_FIRST_SOLUTIONS = ("auto", "savings", "path_cheapest_arc", "parallel_cheapest_insertion",
                    "local_cheapest_insertion", "global_cheapest_arc", "christofides", "sweep")


def _int_scale(values: Sequence[np.ndarray]) -> float:
    """1 when every finite value is whole, else a power of ten keeping ~7 significant digits."""
    finite = [v[np.isfinite(v)] for v in values]
    finite = np.concatenate([f.ravel() for f in finite]) if finite else np.zeros(0)
    if finite.size == 0 or np.all(finite == np.round(finite)):
        return 1.0
    top = max(float(np.abs(finite).max()), 1e-12)
    return float(10.0 ** max(0, min(9, math.floor(math.log10(_INT_RANGE / top)))))


def _typical_arc(c: np.ndarray) -> float:
    """Mean cost from a location to its (up to) 10 nearest others; 1 when there are none."""
    c = c.copy()
    np.fill_diagonal(c, np.inf)
    k = min(10, c.shape[0] - 1)
    if k < 1:
        return 1.0
    near = np.sort(c, axis=1)[:, :k]
    near = near[np.isfinite(near)]
    return float(near.mean()) if near.size and near.mean() > 0 else 1.0


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
        settings given, the others other ruin-and-recreate variants (:data:`_ILS_VARIANTS`) or,
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
            search["ils"] = _ILS_VARIANTS[0]
        if recombine is None:
            recombine = metaheuristic == "ruin_recreate"
        search["recombine"] = bool(recombine)
        if not servable:
            return build_result(self, [], reasons, t0, search, optimal=True,
                                message="nothing to route" if not reasons else "no stop can be served")
        if recombine:
            return self._search_recombined(allowed, reasons, servable, use_time, search, time_limit_s,
                                           int(workers), log, t0)
        if workers == 1:
            return self._search(allowed, reasons, servable, use_time, search, time_limit_s, log, t0)
        return self._search_parallel(allowed, reasons, servable, use_time, search, time_limit_s,
                                     int(workers), log, t0)

    def _variants(self, search: dict[str, Any], workers: int, use_time: bool) -> list[dict[str, Any]]:
        """Settings per worker: worker 0 as given, the others other ruin-and-recreate variants
        (:data:`_ILS_VARIANTS`) or, for the other metaheuristics, other first solutions."""
        variants = [dict(search)]
        others = [f for f in _WORKER_FIRST_SOLUTIONS[use_time] if f != search["first_solution"]]
        for k in range(1, workers):
            if search["metaheuristic"] == "ruin_recreate":
                variants.append({**search, "ils": _ILS_VARIANTS[k % len(_ILS_VARIANTS)]})
            else:
                variants.append({**search, "first_solution": others[(k - 1) % len(others)]})
        return variants

    def _search_recombined(self, allowed: np.ndarray, reasons: dict[int, tuple[str, bool]],
                           servable: list[int], use_time: bool, search: dict[str, Any],
                           time_limit_s: float, workers: int, log: bool, t0: float) -> RoutingResult:
        """Searches with route-pool recombination (see :meth:`solve`).

        Worker 0 searches here, to the end, recording its routes; at the split point it hands
        its pool to the other workers (child processes). Each of those recombines it with its
        own pool and restarts from the recombined plan. At the end every pool is recombined
        once more, started from the best plan, and the better of the two is kept.
        """
        limit = search["solution_limit"]
        # Children get absolute times on the wall clock, which processes share; handing plans
        # and pools back and building the result take a moment of the budget (more than
        # without recombination: the pools travel too).
        time_limit_s -= min(0.3, 0.03 * time_limit_s)
        final_sp = min(_SP_MAX_S, _SP_SHARE_FINAL * time_limit_s)
        mid_sp = min(_SP_MAX_S, _SP_SHARE_MID * time_limit_s)
        end = time.time() + time_limit_s - (time.perf_counter() - t0)
        deadline = end - final_sp
        split_at = time.time() + (deadline - mid_sp - time.time()) * _PHASE_SPLIT
        # In runs bounded by solution_limit the hand-over comes after a number of plans, not at
        # a time, so that what every worker sees is reproducible.
        split = (None, max(1, limit // 2)) if limit is not None else (split_at, None)
        variants = self._variants(search, workers, use_time)
        failed: list[str] = []
        ctx = _mp_context()
        procs: list[tuple[int, Any, Any]] = []
        for k, v in enumerate(variants[1:], start=1):
            try:
                here, there = ctx.Pipe(duplex=True)
                proc = ctx.Process(target=_recombining_worker_main, daemon=True,
                                   args=(there, self, allowed, reasons, servable, use_time, v, split,
                                         deadline, mid_sp))
                proc.start()
                there.close()
                procs.append((k, proc, here))
            except (OSError, ValueError, RuntimeError) as e:   # no (more) processes here
                failed.append(f"worker {k} not started ({type(e).__name__}: {e})")
                break
        handed: list[bool] = []

        def hand_over(pool: RoutePool) -> None:
            handed.append(True)
            for k, _, conn in procs:
                try:
                    conn.send(("pool", pool))
                except OSError as e:             # that child is gone; the others go on
                    failed.append(f"worker {k}: gone ({type(e).__name__})")

        results: list[RoutingResult | None] = [None] * workers
        infos: list[dict[str, Any]] = [{} for _ in range(workers)]
        pools: list[RoutePool] = []
        try:
            pool0 = RoutePool()
            results[0] = self._search(allowed, reasons, servable, use_time, variants[0],
                                      max(0.05, deadline - time.time()), log, time.perf_counter(), pool=pool0,
                                      handoff=(hand_over, *split) if procs else None)
            if procs and not handed:
                hand_over(pool0)                  # the search ended before the split point
            pools.append(pool0)
            infos[0] = {"phase_objectives": [results[0].objective], "recorder": results[0].search.get("pool_recorder")}
        finally:
            for k, proc, conn in procs:
                try:
                    msg = _receive(conn, end + 2.0 + 0.1 * time_limit_s)
                    if msg is not None and msg[0] == "done":
                        results[k], pool_k, infos[k] = msg[1], msg[2], msg[3]
                        pools.append(pool_k)
                    else:
                        failed.append(f"worker {k}: " + (msg[1] if msg is not None else "no plan by the deadline"))
                finally:
                    _end_worker(proc, conn)
        k_best, best = _best_of(results)
        merged = RoutePool()
        for pool in pools:
            merged.merge(pool)
        rec, hint_obj = self._recombine(merged, best, servable, max(0.05, min(final_sp, end - time.time())),
                                        limit is not None)
        improved = rec is not None and hint_obj is not None and rec.objective < hint_obj
        stats = {"pool_routes": len(merged), "routes_offered": merged.offered,
                 "final": _sp_stats(rec, hint_obj, len(merged)),
                 "restarts": [i.get("mid") for i in infos[1:]],
                 "phase_objectives": [i.get("phase_objectives") for i in infos],
                 "callback_s": round(sum((i.get("recorder") or {}).get("callback_s", 0.0) for i in infos), 4),
                 "improved": improved}
        info = {**variants[k_best], "best_worker": k_best,
                "worker_objectives": [None if r is None else r.objective for r in results],
                "worker_settings": [{k: v[k] for k in ("first_solution", "ils") if k in v} for v in variants],
                "recombination": stats}
        if "ortools_status" in best.search:
            info["ortools_status"] = best.search["ortools_status"]
        if failed:
            info["worker_errors"] = failed
        if improved:
            assert rec is not None
            out = self._from_recombination(rec, allowed, reasons, servable, use_time, t0, info)
            if out is not None:
                return replace(out, seconds=time.perf_counter() - t0)
            stats["improved"] = False
            stats["final"]["not_rebuilt"] = True
        return replace(best, seconds=time.perf_counter() - t0, search=info)

    def _search_parallel(self, allowed: np.ndarray, reasons: dict[int, tuple[str, bool]],
                         servable: list[int], use_time: bool, search: dict[str, Any],
                         time_limit_s: float, workers: int, log: bool, t0: float) -> RoutingResult:
        """Worker 0 here, the others in child processes; the best plan wins (ties: lowest worker)."""
        variants = self._variants(search, workers, use_time)
        # Children get an absolute deadline on the wall clock, which processes share, a little
        # before the limit: handing their plans back and ending them takes a moment too.
        time_limit_s -= min(0.2, 0.02 * time_limit_s)
        deadline = time.time() + time_limit_s - (time.perf_counter() - t0)
        results: list[RoutingResult | None] = [None] * workers
        failed: list[str] = []
        # Plain processes, not a pool: a pool hands work over in a feeder thread, which would
        # wait for the GIL until worker 0's search here is over. Process.start() hands it over now.
        ctx = _mp_context()
        procs: list[tuple[Any, Any]] = []
        try:
            for v in variants[1:]:
                recv, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_worker_main, daemon=True,
                                   args=(send, self, allowed, reasons, servable, use_time, v, deadline))
                proc.start()
                send.close()
                procs.append((proc, recv))
        except (OSError, ValueError, RuntimeError) as e:   # no (more) processes here
            failed.append(f"worker {len(procs) + 1} not started ({type(e).__name__}: {e})")
        try:
            results[0] = self._search(allowed, reasons, servable, use_time, variants[0], time_limit_s, log, t0)
        finally:
            for k, (proc, recv) in enumerate(procs, start=1):
                try:
                    # a worker ends on the shared deadline; allow for reading its plan back
                    if recv.poll(max(1.0, deadline - time.time() + 2.0 + 0.1 * time_limit_s)):
                        ok, payload = recv.recv()
                        if ok:
                            results[k] = payload
                        else:
                            failed.append(f"worker {k}: {payload}")
                    else:
                        failed.append(f"worker {k}: no plan by the deadline")
                except (EOFError, OSError) as e:       # the child died without an answer
                    failed.append(f"worker {k}: ended without an answer ({type(e).__name__})")
                finally:
                    _end_worker(proc, recv)
        k_best, best = _best_of(results)
        info = {**variants[k_best], "best_worker": k_best,
                "worker_objectives": [None if r is None else r.objective for r in results],
                "worker_settings": [{k: v[k] for k in ("first_solution", "ils") if k in v} for v in variants]}
        if "ortools_status" in best.search:
            info["ortools_status"] = best.search["ortools_status"]
        if failed:
            info["worker_errors"] = failed
        return replace(best, seconds=time.perf_counter() - t0, search=info)

    def _int_costs(self, servable: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """Model nodes (the distinct depots, then the servable stops), their integer arc costs
        (arcs with no path: a cost above any plan), which arcs have no path, and the scale."""
        depots = sorted(set(self.vehicle_depots.tolist()))
        nodes = np.array(depots + servable, dtype=np.int64)
        sub = np.ix_(nodes, nodes)
        cost, travel = self.cost[sub], self.travel[sub]
        blocked = ~(np.isfinite(cost) & np.isfinite(travel))
        cscale = _int_scale([cost])
        ci = np.where(blocked, 0, np.round(np.where(blocked, 0, cost) * cscale)).astype(np.int64)
        big = int(ci.max(initial=0)) * len(nodes) + 1
        ci[blocked] = big              # never used: the arcs are also removed from the domains
        return nodes, ci, blocked, cscale

    def _search(self, allowed: np.ndarray, reasons: dict[int, tuple[str, bool]], servable: list[int],
                use_time: bool, search: dict[str, Any], time_limit_s: float, log: bool,
                t0: float, *, start: Sequence[tuple[int, tuple[int, ...]]] | None = None,
                pool: RoutePool | None = None,
                handoff: tuple[Any, float | None, int | None] | None = None) -> RoutingResult:
        """One OR-Tools search over the servable stops; ``t0`` is when the budget started.

        ``start``: a plan to start from, as (vehicle, stops) pairs, instead of the first-solution
        heuristic. ``pool``: record the routes of the plans found into it (:class:`PoolRecorder`);
        ``handoff``: (hook, time, count) for :meth:`PoolRecorder.handoff`.
        """
        first_solution, metaheuristic = search["first_solution"], search["metaheuristic"]
        solution_limit = search["solution_limit"]
        search = dict(search)
        reasons = dict(reasons)
        nodes, ci, blocked, cscale = self._int_costs(servable)
        depots = sorted(set(self.vehicle_depots.tolist()))
        pos = {int(loc): k for k, loc in enumerate(nodes)}
        starts = [pos[int(d)] for d in self.vehicle_depots]
        manager = pywrapcp.RoutingIndexManager(len(nodes), self.num_vehicles, starts, starts)
        routing = pywrapcp.RoutingModel(manager)
        routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(ci.tolist()))
        if blocked.any():
            self._forbid(routing, manager, blocked, len(depots))

        # Capacity: one dimension per commodity that some vehicle limits.
        dscale = _int_scale([self.demands, self.capacities])
        for k in range(self.demands.shape[1]):
            caps = self.capacities[:, k]
            if np.isinf(caps).all():
                continue
            dem = np.ceil(self.demands[nodes, k] * dscale - 1e-9).astype(np.int64)
            cap = np.where(np.isinf(caps), dem.sum(), np.floor(caps * dscale + 1e-9)).astype(np.int64)
            cb = routing.RegisterUnaryTransitVector(dem.tolist())
            routing.AddDimensionWithVehicleCapacity(cb, 0, cap.tolist(), True, f"load{k}")

        tscale = 1.0
        if use_time:
            tscale = self._add_time(routing, manager, nodes, blocked, len(depots))

        # Stops that only some vehicles can serve: say so, which also prunes the search.
        stop_col = {int(s): k for k, s in enumerate(self.stops)}
        for loc in servable:
            ok = np.flatnonzero(allowed[:, stop_col[loc]])
            if len(ok) < self.num_vehicles:
                # SetAllowedVehiclesForIndex rejects Python lists in OR-Tools 9.15 (absl::Span);
                # restricting the vehicle variable is the same constraint (-1: not performed)
                routing.VehicleVar(manager.NodeToIndex(pos[loc])).SetValues([-1] + [int(v) for v in ok])

        if self.allow_drop:
            for loc, p in zip(servable, self._penalties(servable, np.where(blocked, 0, ci), cscale)):
                routing.AddDisjunction([manager.NodeToIndex(pos[loc])], int(p))

        time_dim = routing.GetDimensionOrDie("time") if use_time else None
        recorder = None
        if pool is not None:
            recorder = PoolRecorder(routing, manager, nodes, ci, self.vehicle_class, pool)
            if handoff is not None:
                recorder.handoff(*handoff)
            routing.AddAtSolutionCallback(recorder)
        # Leave a little of the budget for reading the plan back, so the whole call keeps to it.
        left = time_limit_s - (time.perf_counter() - t0) - min(0.1, 0.02 * time_limit_s)
        params = self._params(first_solution, metaheuristic, left, log,
                              _typical_arc(np.where(blocked, np.inf, ci.astype(float))),
                              search.get("ils", _ILS_VARIANTS[0]))
        if solution_limit is not None:
            params.solution_limit = int(solution_limit)
        follow = None
        if start is not None:
            follow = self._plan_evaluator(routing, manager, pos, ci, start)
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
        if metaheuristic == "ruin_recreate":
            solution = routing.SolveWithIteratedLocalSearch(params)
        else:
            solution = routing.SolveWithParameters(params)
        del follow
        search["ortools_status"] = enums.RoutingSearchStatus.Value.Name(routing.status())
        if recorder is not None:
            search["pool_recorder"] = recorder.stats()
        if solution is None:
            msg = ("no plan found within the time limit" if self.allow_drop else
                   "no plan serves every stop (all stops mandatory: allow_drop=False); "
                   "capacity or time windows may be too tight, or the time limit too short")
            return build_result(self, None, reasons, t0, search, message=msg)

        routes: list[Route] = []
        served: set[int] = set()
        for v in range(self.num_vehicles):
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
                      else self.opens_at(int(self.vehicle_depots[v])))
            routes.append(build_route(self, v, locs, depart))
            served.update(locs[1:-1])
        for loc in servable:
            if loc not in served:
                reasons[loc] = (DROPPED, False)
        return build_result(self, routes, reasons, t0, search)

    # -- route-pool recombination ------------------------------------------------------------

    @staticmethod
    def _plan_evaluator(routing: Any, manager: Any, pos: dict[int, int], ci: np.ndarray,
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

    def _sp_inputs(self, servable: list[int]) -> tuple[np.ndarray, np.ndarray, dict[int, int], dict[int, int] | None]:
        """Model nodes, integer arc costs, routes allowed per vehicle class, integer drop penalties
        (None when every stop is mandatory) — the search's own objective terms."""
        nodes, ci, blocked, cscale = self._int_costs(servable)
        sizes = {int(c): int(n) for c, n in zip(*np.unique(self.vehicle_class, return_counts=True))}
        pens = None
        if self.allow_drop:
            pens = {loc: int(p) for loc, p in zip(servable, self._penalties(servable, np.where(blocked, 0, ci), cscale))}
        return nodes, ci, sizes, pens

    def _pool_routes(self, res: RoutingResult, nodes: np.ndarray, ci: np.ndarray) -> list[PoolRoute]:
        """A plan's routes as pool routes (integer costs ``ci`` on the model's ``nodes``)."""
        pos = {int(loc): k for k, loc in enumerate(nodes)}
        out = []
        for r in res.routes:
            k = [pos[s] for s in r.stops]
            cost = int(sum(ci[a, b] for a, b in pairwise(k)))
            out.append(PoolRoute(int(self.vehicle_class[r.vehicle]), tuple(r.customers), cost))
        return out

    @staticmethod
    def _int_objective(routes: Sequence[PoolRoute], pens: dict[int, int] | None) -> int:
        """The search's objective of a plan: integer route costs plus the penalties of the
        stops it leaves out."""
        served = {s for r in routes for s in r.stops}
        return sum(r.cost for r in routes) + sum(p for s, p in (pens or {}).items() if s not in served)

    def _assign(self, routes: Sequence[PoolRoute]) -> list[tuple[int, tuple[int, ...]]]:
        """Give each route a vehicle of its class (in a fixed order: reproducible)."""
        free: dict[int, list[int]] = {}
        for v in range(self.num_vehicles):
            free.setdefault(int(self.vehicle_class[v]), []).append(v)
        out = []
        for r in sorted(routes, key=lambda r: (r.vclass, r.stops)):
            out.append((free[r.vclass].pop(0), r.stops))
        return out

    def _recombine(self, pool: RoutePool, hint: RoutingResult | None, servable: list[int],
                   time_limit_s: float, deterministic: bool) -> tuple[Recombination | None, int | None]:
        """Set partitioning over ``pool``, started from ``hint``; also the hint's own integer
        objective (to tell whether the recombination improved on it)."""
        nodes, ci, sizes, pens = self._sp_inputs(servable)
        solved = hint is not None and hint.solved
        hint_routes = self._pool_routes(hint, nodes, ci) if solved else []
        hint_obj = self._int_objective(hint_routes, pens) if solved else None
        rec = recombine(pool, servable, sizes, pens, hint_routes, time_limit_s,
                        _SP_DETERMINISTIC if deterministic else None)
        return rec, hint_obj

    def _from_recombination(self, rec: Recombination, allowed: np.ndarray, reasons: dict[int, tuple[str, bool]],
                            servable: list[int], use_time: bool, t0: float,
                            search: dict[str, Any]) -> RoutingResult | None:
        """A result from a recombined plan, times and loads recomputed as for a searched plan;
        None if OR-Tools did not rebuild it as it is (it always should)."""
        plan = self._assign(rec.routes)
        if use_time:
            # OR-Tools schedules the plan, as it does a searched one: its finalizer gives the
            # earliest schedule that meets the windows and the tour limits (departing at the
            # depot's opening could make a tour with waits too long).
            rebuild = {"first_solution": "savings", "metaheuristic": "greedy_descent", "solution_limit": 1}
            res = self._search(allowed, reasons, servable, True, rebuild, 2.0, False, time.perf_counter(), start=plan)
            if not res.solved or sorted(r.customers for r in res.routes) != sorted(stops for _, stops in plan):
                return None
            return replace(res, search=search)
        reasons = dict(reasons)
        routes = []
        for v, stops in plan:
            d = int(self.vehicle_depots[v])
            routes.append(build_route(self, v, [d, *stops, d], self.opens_at(d)))
        served = {s for r in routes for s in r.customers}
        for loc in servable:
            if loc not in served:
                reasons[loc] = (DROPPED, False)
        return build_result(self, sorted(routes, key=lambda r: r.vehicle), reasons, t0, search)

    def _phases(self, allowed: np.ndarray, reasons: dict[int, tuple[str, bool]], servable: list[int],
                use_time: bool, search: dict[str, Any], split: tuple[float | None, int | None],
                deadline: float, exchange: Any) -> tuple[RoutingResult, RoutePool, dict[str, Any]]:
        """Search to the split point, recombine, search again from the recombined plan; the
        better plan, the pool of both searches, and what happened.

        ``split``: the first search ends at this wall-clock time (``time.time()``), or after
        this many plans (runs bounded by ``solution_limit``). ``deadline``: end of the second
        search. ``exchange(pool, result)`` returns the recombined routes to restart from (None:
        restart from ``result``'s own plan).
        """
        pool = RoutePool()
        limit = search["solution_limit"]
        at_time, at_count = split
        first = dict(search)
        if at_count is not None:
            first["solution_limit"] = at_count
        left = (deadline if at_time is None else at_time) - time.time()
        res_a = self._search(allowed, reasons, servable, use_time, first, max(0.05, left), False,
                             time.perf_counter(), pool=pool)
        info: dict[str, Any] = {"phase_objectives": [res_a.objective],
                                "recorder": res_a.search.get("pool_recorder")}
        plan = exchange(pool, res_a)
        if plan is None and res_a.solved:
            nodes, ci, _, _ = self._int_costs(servable)
            plan = self._pool_routes(res_a, nodes, ci)
        left = deadline - time.time()
        rest = None if limit is None else limit - first["solution_limit"]
        if plan is None or left < 0.1 or (rest is not None and rest < 1):
            return res_a, pool, info
        second = {**search, "solution_limit": rest}
        start = self._assign(plan)
        res_b = self._search(allowed, reasons, servable, use_time, second, left, False, time.perf_counter(),
                             start=start, pool=pool)
        info["phase_objectives"].append(res_b.objective)
        rb = res_b.search.get("pool_recorder") or {}
        if info["recorder"] is not None and rb:
            info["recorder"] = {k: info["recorder"].get(k, 0) + rb.get(k, 0) for k in ("solutions", "read", "callback_s")}
        return min((res_a, res_b), key=rank), pool, info

    def _forbid(self, routing: Any, manager: Any, blocked: np.ndarray, n_depots: int) -> None:
        """Remove arcs with no path from the successor domains: they can never be chosen."""
        ends_at: dict[int, list[int]] = {}
        for v in range(self.num_vehicles):
            ends_at.setdefault(manager.IndexToNode(routing.End(v)), []).append(routing.End(v))

        def targets(j: int) -> list[int]:
            return ends_at.get(j, []) if j < n_depots else [manager.NodeToIndex(j)]

        froms: list[tuple[int, int]] = [(routing.Start(v), manager.IndexToNode(routing.Start(v)))
                                        for v in range(self.num_vehicles)]
        froms += [(manager.NodeToIndex(i), i) for i in range(n_depots, blocked.shape[0])]
        for idx, i in froms:
            bad = [t for j in np.flatnonzero(blocked[i]) for t in targets(int(j))]
            if bad:
                routing.NextVar(idx).RemoveValues(bad)

    def _add_time(self, routing: Any, manager: Any, nodes: np.ndarray, blocked: np.ndarray,
                  n_depots: int) -> float:
        """Time dimension: windows, service times, tour length limits. Returns the time scale."""
        w = self.windows if self.windows is not None else np.column_stack([np.zeros(self.n), np.full(self.n, np.inf)])
        trans = self.transit()[np.ix_(nodes, nodes)]
        tscale = _int_scale([trans, w[nodes], self.max_route_time if self.max_route_time is not None else np.zeros(0)])
        # Round travel up and deadlines down: times recomputed in floating point then never
        # exceed the solver's, so every reported arrival is inside its window.
        ti = np.ceil(np.where(blocked, 0, trans) * tscale - 1e-9).astype(np.int64)
        opens = np.ceil(w[nodes, 0] * tscale - 1e-9).astype(np.int64)
        finite_close = np.isfinite(w[nodes, 1])
        reach_bound = int(opens.max(initial=0) + ti.max(axis=1).sum() + 1)
        closes_f = np.floor(np.where(finite_close, w[nodes, 1], 0) * tscale + 1e-9).astype(np.int64)
        horizon = int(max(reach_bound if not finite_close.all() else 0, closes_f.max(initial=0), opens.max(initial=0)))
        closes = np.where(finite_close, closes_f, horizon)
        ti[blocked] = horizon + 1
        cb = routing.RegisterTransitMatrix(ti.tolist())
        routing.AddDimension(cb, horizon, horizon, False, "time")
        dim = routing.GetDimensionOrDie("time")
        for k in range(n_depots, len(nodes)):
            dim.CumulVar(manager.NodeToIndex(k)).SetRange(int(opens[k]), int(closes[k]))
        for v in range(self.num_vehicles):
            k = manager.IndexToNode(routing.Start(v))
            dim.CumulVar(routing.Start(v)).SetRange(int(opens[k]), int(closes[k]))
            dim.CumulVar(routing.End(v)).SetRange(int(opens[k]), int(closes[k]))
            if self.max_route_time is not None and np.isfinite(self.max_route_time[v]):
                dim.SetSpanUpperBoundForVehicle(int(math.floor(self.max_route_time[v] * tscale + 1e-9)), v)
            # Earliest schedule: leave as soon as the depot opens, arrive as early as possible.
            routing.AddVariableMinimizedByFinalizer(dim.CumulVar(routing.Start(v)))
            routing.AddVariableMinimizedByFinalizer(dim.CumulVar(routing.End(v)))
        return tscale

    def _penalties(self, servable: list[int], ci: np.ndarray, cscale: float) -> np.ndarray:
        """Integer drop penalties per servable stop; ``ci``: integer costs, 0 on blocked arcs."""
        if self.drop_penalty is not None:
            return np.round(self.drop_penalty[servable] * cscale).astype(np.int64)
        # Every index has one successor, so no plan costs more than the sum of the largest finite
        # outgoing arcs: above that, dropping a stop never pays while it fits somewhere.
        finite_max = ci.max(axis=1)
        bound = int(finite_max.sum() + self.num_vehicles * finite_max.max(initial=0)) + 1
        d = self.demands[servable].sum(axis=1)
        # Unmet demand first (in 1 % steps of the largest stop), then the number of stops left out.
        weight = 1.0 + (100.0 * d / d.max() if d.max() > 0 else 0.0)
        return np.round(bound * weight).astype(np.int64)

    @staticmethod
    def _params(first_solution: str, metaheuristic: str, time_left: float, log: bool,
                arc_scale: float = 1.0, ils: str = _ILS_VARIANTS[0]) -> Any:
        """OR-Tools search parameters; ``arc_scale`` is a typical arc cost (integer units),
        ``ils`` the ruin-and-recreate variant (see :data:`_ILS_VARIANTS`)."""
        p = pywrapcp.DefaultRoutingSearchParameters()
        p.first_solution_strategy = getattr(enums.FirstSolutionStrategy, first_solution.upper())
        p.use_full_propagation = False
        p.log_search = log
        p.time_limit.FromMilliseconds(max(1, int(time_left * 1000)))
        if metaheuristic != "ruin_recreate":
            p.local_search_metaheuristic = getattr(enums.LocalSearchMetaheuristic, metaheuristic.upper())
            return p
        # Iterated local search: SISR ruin (and, per variant, whole-route ruin), cheapest-insertion
        # recreate, a quick local search on each rebuilt plan (per variant), simulated-annealing
        # acceptance.
        p.use_iterated_local_search = True
        p.local_search_metaheuristic = enums.LocalSearchMetaheuristic.GREEDY_DESCENT
        ops = p.local_search_operators
        keep = {"use_relocate", "use_exchange", "use_cross", "use_two_opt", "use_or_opt",
                "use_make_active", "use_make_inactive", "use_swap_active"}   # the last three: drops
        for f in ops.DESCRIPTOR.fields:
            setattr(ops, f.name, _BOOL_TRUE if f.name in keep else _BOOL_FALSE)
        ils_p = p.iterated_local_search_parameters
        ils_p.perturbation_strategy = ils_pb.PerturbationStrategy.RUIN_AND_RECREATE
        ils_p.improve_perturbed_solution = ils != "sisr"
        rr = ils_p.ruin_recreate_parameters
        del rr.ruin_strategies[:]
        sisr = rr.ruin_strategies.add().sisr
        sisr.max_removed_sequence_size = 10                 # SISR's published settings
        sisr.avg_num_removed_visits = 10
        sisr.bypass_factor = 0.01
        if ils == "sisr_routes":
            rr.ruin_strategies.add().spatially_close_routes.num_ruined_routes = 2
            # one ruin per iteration, picked by OR-Tools' own fixed-seed generator: deterministic
            rr.ruin_composition_strategy = ils_pb.RuinCompositionStrategy.RUN_ONE_RANDOMLY
        rr.recreate_strategy.heuristic = enums.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
        if ils in _RANDOM_ORDER:
            # Reinsert the removed stops in random order (OR-Tools' fixed-seed generator), as
            # SISR mostly does, not in a fixed order that rebuilds the same routes each time.
            rr.recreate_strategy.parameters.local_cheapest_insertion.insertion_sorting_properties.append(
                _LCI.SORTING_PROPERTY_RANDOM)
        sa = ils_p.reference_solution_acceptance_strategy.simulated_annealing
        sa.cooling_schedule_strategy = ils_pb.CoolingScheduleStrategy.EXPONENTIAL   # over time or solutions
        # Temperatures relative to a typical arc (mean distance to the 10 nearest stops), so the
        # schedule does not depend on the cost unit; 1.5 -> 0.015 arcs was best on set A.
        sa.initial_temperature = 1.5 * arc_scale
        sa.final_temperature = 0.015 * arc_scale
        sa.automatic_temperatures = False
        return p



def _mp_context() -> Any:
    """Fork where it exists (fast: the child has the model and OR-Tools loaded), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _worker_main(conn: Any, model: VehicleRouting, allowed: np.ndarray, reasons: dict[int, tuple[str, bool]],
                 servable: list[int], use_time: bool, search: dict[str, Any], deadline: float) -> None:
    """Child process: one search, its result (or its error) sent back through ``conn``."""
    try:
        conn.send((True, _search_worker(model, allowed, reasons, servable, use_time, search, deadline)))
    except Exception as e:  # noqa: BLE001  reported by the parent, which keeps worker 0's plan
        conn.send((False, f"{type(e).__name__}: {e}"))
    finally:
        conn.close()


def _end_worker(proc: Any, conn: Any) -> None:
    """Close a worker's pipe and make sure the process is gone."""
    conn.close()
    if proc.is_alive():
        proc.terminate()
    proc.join(timeout=5)


def _best_of(results: list[RoutingResult | None]) -> tuple[int, RoutingResult]:
    """(worker, plan) of the best plan any worker returned (ties: the lowest worker)."""
    done = [(k, r) for k, r in enumerate(results) if r is not None]
    return min(done, key=lambda kr: (rank(kr[1]), kr[0]))


def _receive(conn: Any, until: float) -> tuple[Any, ...] | None:
    """The next message from a worker by ``until`` (wall clock), or None."""
    with contextlib.suppress(EOFError, OSError):      # the child died without an answer
        if conn.poll(max(0.5, until - time.time())):
            return conn.recv()
    return None


def _sp_stats(rec: Recombination | None, hint_obj: int | None, pool_size: int) -> dict[str, Any]:
    """What one set-partitioning step did, for ``RoutingResult.search``."""
    if rec is None:
        return {"pool": pool_size, "objective": None, "start": hint_obj}
    return {"pool": pool_size, "columns": rec.columns, "objective": rec.objective, "start": hint_obj,
            "optimal": rec.optimal, "seconds": round(rec.seconds, 3)}


def _recombining_worker_main(conn: Any, model: VehicleRouting, allowed: np.ndarray,
                             reasons: dict[int, tuple[str, bool]], servable: list[int], use_time: bool,
                             search: dict[str, Any], split: tuple[float | None, int | None],
                             deadline: float, sp_time_s: float) -> None:
    """Child process of a recombining search: its first search, then worker 0's pool with its
    own recombined, a second search from the recombined plan; the better plan, its pool and
    what happened go back through ``conn``."""
    try:
        restart: dict[str, Any] = {}

        def exchange(pool: RoutePool, res: RoutingResult) -> list[PoolRoute] | None:
            msg = _receive(conn, deadline)
            merged = RoutePool()
            merged.merge(pool)
            if msg is not None and msg[0] == "pool":
                merged.merge(msg[1])
            rec, hint_obj = model._recombine(merged, res, servable, sp_time_s, search["solution_limit"] is not None)
            restart.update(_sp_stats(rec, hint_obj, len(merged)))
            return rec.routes if rec is not None else None

        res, pool, info = model._phases(allowed, reasons, servable, use_time, search, split, deadline, exchange)
        info["mid"] = restart
        conn.send(("done", res, pool, info))
    except Exception as e:  # noqa: BLE001  reported by the parent, which keeps the other plans
        with contextlib.suppress(OSError):         # the parent is gone: nobody to tell
            conn.send(("error", f"{type(e).__name__}: {e}"))
    finally:
        conn.close()


def _search_worker(model: VehicleRouting, allowed: np.ndarray, reasons: dict[int, tuple[str, bool]],
                   servable: list[int], use_time: bool, search: dict[str, Any], deadline: float) -> RoutingResult:
    """One search in a child process, to the shared wall-clock ``deadline`` (``time.time()``)."""
    left = max(0.05, deadline - time.time())
    return model._search(allowed, reasons, servable, use_time, search, left, False, time.perf_counter())


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
