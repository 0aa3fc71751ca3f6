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
# share of the budget, recombine, and restart from the recombined plan (same variant) at a
# fraction of the usual starting temperature (see optimize.routing.search). Measured on A-n80-k10 (the worst set-A
# instance), 10 s, 7 runs each: split at 65 % with the worker's own variant, mean gap 0.35 %;
# at 45 %, 0.64 %; at 45 % restarting with "sisr_routes", 0.73 %; a late split leaves the
# first search time to settle, and the restart still gets the recombined plan to improve on.
# The set-partitioning models get at most these shares of the budget, each at most _SP_MAX_S.
_PHASE_SPLIT = 0.65
_SP_SHARE_MID, _SP_SHARE_FINAL, _SP_MAX_S = 0.05, 0.04, 0.6
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
            return self._search_recombined(allowed, reasons, servable, use_time, search, time_limit_s,
                                           int(workers), log, t0)
        if workers == 1:
            return search_once(self, allowed, reasons, servable, use_time, search, time_limit_s, log, t0)
        return self._search_parallel(allowed, reasons, servable, use_time, search, time_limit_s,
                                     int(workers), log, t0)

    def _variants(self, search: dict[str, Any], workers: int, use_time: bool) -> list[dict[str, Any]]:
        """Settings per worker: worker 0 as given, the others other ruin-and-recreate variants
        (:data:`ILS_VARIANTS`) or, for the other metaheuristics, other first solutions."""
        variants = [dict(search)]
        others = [f for f in _WORKER_FIRST_SOLUTIONS[use_time] if f != search["first_solution"]]
        for k in range(1, workers):
            if search["metaheuristic"] == "ruin_recreate":
                variants.append({**search, "ils": ILS_VARIANTS[k % len(ILS_VARIANTS)]})
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
            results[0] = search_once(self, allowed, reasons, servable, use_time, variants[0],
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
        rec, hint_obj = recombine_plan(self, merged, best, servable, max(0.05, min(final_sp, end - time.time())),
                                        limit is not None)
        improved = rec is not None and hint_obj is not None and rec.objective < hint_obj
        stats = {"pool_routes": len(merged), "routes_offered": merged.offered,
                 "final": sp_stats(rec, hint_obj, len(merged)),
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
            out = from_recombination(self, rec, allowed, reasons, servable, use_time, t0, info)
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
            results[0] = search_once(self, allowed, reasons, servable, use_time, variants[0], time_limit_s, log, t0)
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
        res_a = search_once(self, allowed, reasons, servable, use_time, first, max(0.05, left), False,
                             time.perf_counter(), pool=pool)
        info: dict[str, Any] = {"phase_objectives": [res_a.objective],
                                "recorder": res_a.search.get("pool_recorder")}
        plan = exchange(pool, res_a)
        if plan is None and res_a.solved:
            nodes, ci, _, _ = int_costs(self, servable)
            plan = pool_routes(self, res_a, nodes, ci)
        left = deadline - time.time()
        rest = None if limit is None else limit - first["solution_limit"]
        if plan is None or left < 0.1 or (rest is not None and rest < 1):
            return res_a, pool, info
        second = {**search, "solution_limit": rest}
        start = assign_vehicles(self, plan)
        res_b = search_once(self, allowed, reasons, servable, use_time, second, left, False, time.perf_counter(),
                             start=start, pool=pool)
        info["phase_objectives"].append(res_b.objective)
        rb = res_b.search.get("pool_recorder") or {}
        if info["recorder"] is not None and rb:
            info["recorder"] = {k: info["recorder"].get(k, 0) + rb.get(k, 0) for k in ("solutions", "read", "callback_s")}
        return min((res_a, res_b), key=rank), pool, info

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
            rec, hint_obj = recombine_plan(model, merged, res, servable, sp_time_s, search["solution_limit"] is not None)
            restart.update(sp_stats(rec, hint_obj, len(merged)))
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
    return search_once(model, allowed, reasons, servable, use_time, search, left, False, time.perf_counter())


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
