"""The worker pool: differently configured searches at once in child processes, and the best
worker's plan.

OR-Tools routing holds the GIL, so parallel searches need processes; they are forked where the
platform can (the child has the model and OR-Tools loaded already). The child entry points are
module-level functions, as a spawned child needs them to be. :mod:`optimize.routing.handover`
runs the recombining searches on the same plumbing.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import time
from dataclasses import replace
from typing import Any

import numpy as np

from .model import RoutingProblem
from .ortools_model import ILS_VARIANTS
from .results import RoutingResult, rank
from .search import search_once

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


def worker_variants(search: dict[str, Any], workers: int, use_time: bool) -> list[dict[str, Any]]:
    """Settings per worker: worker 0 as given, the others other ruin-and-recreate variants
    (:data:`~optimize.routing.ortools_model.ILS_VARIANTS`) or, for the other metaheuristics,
    other first solutions."""
    variants = [dict(search)]
    others = [f for f in _WORKER_FIRST_SOLUTIONS[use_time] if f != search["first_solution"]]
    for k in range(1, workers):
        if search["metaheuristic"] == "ruin_recreate":
            variants.append({**search, "ils": ILS_VARIANTS[k % len(ILS_VARIANTS)]})
        else:
            variants.append({**search, "first_solution": others[(k - 1) % len(others)]})
    return variants


def search_parallel(model: RoutingProblem, allowed: np.ndarray, reasons: dict[int, tuple[str, bool]],
                    servable: list[int], use_time: bool, search: dict[str, Any],
                    time_limit_s: float, workers: int, log: bool, t0: float) -> RoutingResult:
    """Worker 0 here, the others in child processes; the best plan wins (ties: lowest worker)."""
    variants = worker_variants(search, workers, use_time)
    # Children get an absolute deadline on the wall clock, which processes share, a little
    # before the limit: handing their plans back and ending them takes a moment too.
    time_limit_s -= min(0.2, 0.02 * time_limit_s)
    deadline = time.time() + time_limit_s - (time.perf_counter() - t0)
    results: list[RoutingResult | None] = [None] * workers
    procs, failed = _start_workers(model, allowed, reasons, servable, use_time, variants, deadline)
    try:
        results[0] = search_once(model, allowed, reasons, servable, use_time, variants[0], time_limit_s, log, t0)
    finally:
        _collect_plans(procs, deadline, time_limit_s, results, failed)
    k_best, best = best_of(results)
    info = worker_info(variants, results, k_best, best, failed)
    return replace(best, seconds=time.perf_counter() - t0, search=info)


def _start_workers(model: RoutingProblem, allowed: np.ndarray, reasons: dict[int, tuple[str, bool]],
                   servable: list[int], use_time: bool, variants: list[dict[str, Any]],
                   deadline: float) -> tuple[list[tuple[Any, Any]], list[str]]:
    """A child process per variant after the first: (process, pipe) each, and what failed."""
    failed: list[str] = []
    # Plain processes, not a pool: a pool hands work over in a feeder thread, which would
    # wait for the GIL until worker 0's search here is over. Process.start() hands it over now.
    ctx = mp_context()
    procs: list[tuple[Any, Any]] = []
    try:
        for v in variants[1:]:
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_worker_main, daemon=True,
                               args=(send, model, allowed, reasons, servable, use_time, v, deadline))
            proc.start()
            send.close()
            procs.append((proc, recv))
    except (OSError, ValueError, RuntimeError) as e:   # no (more) processes here
        failed.append(f"worker {len(procs) + 1} not started ({type(e).__name__}: {e})")
    return procs, failed


def _collect_plans(procs: list[tuple[Any, Any]], deadline: float, time_limit_s: float,
                   results: list[RoutingResult | None], failed: list[str]) -> None:
    """Each child's plan into ``results`` (or why there is none into ``failed``); every child ended."""
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
            end_worker(proc, recv)


def worker_info(variants: list[dict[str, Any]], results: list[RoutingResult | None], k_best: int,
                best: RoutingResult, failed: list[str], **extra: Any) -> dict[str, Any]:
    """``RoutingResult.search`` of a solve with workers: the best worker's settings, every
    worker's objective and settings, ``extra``, OR-Tools' status and the workers' errors."""
    info = {**variants[k_best], "best_worker": k_best,
            "worker_objectives": [None if r is None else r.objective for r in results],
            "worker_settings": [{k: v[k] for k in ("first_solution", "ils") if k in v} for v in variants],
            **extra}
    if "ortools_status" in best.search:
        info["ortools_status"] = best.search["ortools_status"]
    if failed:
        info["worker_errors"] = failed
    return info


def mp_context() -> Any:
    """Fork where it exists (fast: the child has the model and OR-Tools loaded), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _worker_main(conn: Any, model: RoutingProblem, allowed: np.ndarray, reasons: dict[int, tuple[str, bool]],
                 servable: list[int], use_time: bool, search: dict[str, Any], deadline: float) -> None:
    """Child process: one search, its result (or its error) sent back through ``conn``."""
    try:
        conn.send((True, _search_worker(model, allowed, reasons, servable, use_time, search, deadline)))
    except Exception as e:  # noqa: BLE001  reported by the parent, which keeps worker 0's plan
        conn.send((False, f"{type(e).__name__}: {e}"))
    finally:
        conn.close()


def _search_worker(model: RoutingProblem, allowed: np.ndarray, reasons: dict[int, tuple[str, bool]],
                   servable: list[int], use_time: bool, search: dict[str, Any], deadline: float) -> RoutingResult:
    """One search in a child process, to the shared wall-clock ``deadline`` (``time.time()``)."""
    left = max(0.05, deadline - time.time())
    return search_once(model, allowed, reasons, servable, use_time, search, left, False, time.perf_counter())


def end_worker(proc: Any, conn: Any) -> None:
    """Close a worker's pipe and make sure the process is gone."""
    conn.close()
    if proc.is_alive():
        proc.terminate()
    proc.join(timeout=5)


def best_of(results: list[RoutingResult | None]) -> tuple[int, RoutingResult]:
    """(worker, plan) of the best plan any worker returned (ties: the lowest worker)."""
    done = [(k, r) for k, r in enumerate(results) if r is not None]
    return min(done, key=lambda kr: (rank(kr[1]), kr[0]))


def receive(conn: Any, until: float) -> tuple[Any, ...] | None:
    """The next message from a worker by ``until`` (wall clock), or None."""
    with contextlib.suppress(EOFError, OSError):      # the child died without an answer
        if conn.poll(max(0.5, until - time.time())):
            return conn.recv()
    return None
