"""The recombining hand-over schedule: searches that pool their routes, recombine them mid-search
and restart from the recombined plan, then one last recombination of every pool.

Worker 0 searches in the calling process to the end of the budget; at the split point it hands
its pool to the other workers (child processes, :mod:`optimize.routing.parallel`), which
recombine it with their own (:mod:`optimize.routing.recombination`) and restart from the
recombined plan. At the end every pool is recombined once more, started from the best plan, and
the better of the two is kept.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import replace
from typing import Any, Callable

import numpy as np

from .model import RoutingProblem
from .ortools_model import int_costs
from .parallel import best_of, end_worker, mp_context, receive, worker_info, worker_variants
from .recombination import assign_vehicles, from_recombination, pool_routes, recombine_plan, sp_stats
from .results import RoutingResult, rank
from .route_pool import PoolRoute, Recombination, RoutePool
from .search import search_once

# Route-pool recombination (see VehicleRouting.solve). Workers 1, 2, ... end their first search
# at this share of the budget, recombine, and restart from the recombined plan (same variant) at
# a fraction of the usual starting temperature (see optimize.routing.search). Measured on
# A-n80-k10 (the worst set-A instance), 10 s, 7 runs each: split at 65 % with the worker's own
# variant, mean gap 0.35 %; at 45 %, 0.64 %; at 45 % restarting with "sisr_routes", 0.73 %; a
# late split leaves the first search time to settle, and the restart still gets the recombined
# plan to improve on. The set-partitioning models get at most these shares of the budget, each
# at most _SP_MAX_S.
_PHASE_SPLIT = 0.65
_SP_SHARE_MID, _SP_SHARE_FINAL, _SP_MAX_S = 0.05, 0.04, 0.6


def search_recombined(model: RoutingProblem, allowed: np.ndarray, reasons: dict[int, tuple[str, bool]],
                      servable: list[int], use_time: bool, search: dict[str, Any],
                      time_limit_s: float, workers: int, log: bool, t0: float) -> RoutingResult:
    """Searches with route-pool recombination (see :meth:`VehicleRouting.solve`).

    Worker 0 searches here, to the end, recording its routes; at the split point it hands
    its pool to the other workers (child processes). Each of those recombines it with its
    own pool and restarts from the recombined plan. At the end every pool is recombined
    once more, started from the best plan, and the better of the two is kept.
    """
    limit = search["solution_limit"]
    time_limit_s, final_sp, mid_sp, end, deadline, split = _schedule(limit, time_limit_s, t0)
    variants = worker_variants(search, workers, use_time)
    procs, failed = _start_children(model, allowed, reasons, servable, use_time, variants, split, deadline, mid_sp)
    results: list[RoutingResult | None] = [None] * workers
    infos: list[dict[str, Any]] = [{} for _ in range(workers)]
    pools: list[RoutePool] = []
    try:
        results[0], pool0, infos[0] = _search_here(model, allowed, reasons, servable, use_time, variants[0],
                                                   deadline, log, split, procs, failed)
        pools.append(pool0)
    finally:
        _collect_pools(procs, end + 2.0 + 0.1 * time_limit_s, results, infos, pools, failed)
    k_best, best = best_of(results)
    merged = RoutePool()
    for pool in pools:
        merged.merge(pool)
    rec, hint_obj = recombine_plan(model, merged, best, servable, max(0.05, min(final_sp, end - time.time())),
                                   limit is not None)
    improved = rec is not None and hint_obj is not None and rec.objective < hint_obj
    stats = _recombination_stats(merged, rec, hint_obj, infos, improved)
    info = worker_info(variants, results, k_best, best, failed, recombination=stats)
    if improved:
        assert rec is not None
        out = from_recombination(model, rec, allowed, reasons, servable, use_time, t0, info)
        if out is not None:
            return replace(out, seconds=time.perf_counter() - t0)
        stats["improved"] = False
        stats["final"]["not_rebuilt"] = True
    return replace(best, seconds=time.perf_counter() - t0, search=info)


def _schedule(limit: int | None, time_limit_s: float,
              t0: float) -> tuple[float, float, float, float, float, tuple[float | None, int | None]]:
    """The budget left for the searches, the two set-partitioning allowances (final, mid), the
    end (wall clock), the children's deadline, and the split point (a time or a plan count)."""
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
    return time_limit_s, final_sp, mid_sp, end, deadline, split


def _start_children(model: RoutingProblem, allowed: np.ndarray, reasons: dict[int, tuple[str, bool]],
                    servable: list[int], use_time: bool, variants: list[dict[str, Any]],
                    split: tuple[float | None, int | None], deadline: float,
                    mid_sp: float) -> tuple[list[tuple[int, Any, Any]], list[str]]:
    """A recombining child process per variant after the first: (worker, process, pipe) each,
    and what failed."""
    failed: list[str] = []
    ctx = mp_context()
    procs: list[tuple[int, Any, Any]] = []
    for k, v in enumerate(variants[1:], start=1):
        try:
            here, there = ctx.Pipe(duplex=True)
            proc = ctx.Process(target=_recombining_worker_main, daemon=True,
                               args=(there, model, allowed, reasons, servable, use_time, v, split,
                                     deadline, mid_sp))
            proc.start()
            there.close()
            procs.append((k, proc, here))
        except (OSError, ValueError, RuntimeError) as e:   # no (more) processes here
            failed.append(f"worker {k} not started ({type(e).__name__}: {e})")
            break
    return procs, failed


def _search_here(model: RoutingProblem, allowed: np.ndarray, reasons: dict[int, tuple[str, bool]],
                 servable: list[int], use_time: bool, search: dict[str, Any], deadline: float, log: bool,
                 split: tuple[float | None, int | None], procs: list[tuple[int, Any, Any]],
                 failed: list[str]) -> tuple[RoutingResult, RoutePool, dict[str, Any]]:
    """Worker 0: search to the end, handing its pool to the children at the split point; its
    plan, its pool and what happened."""
    handed: list[bool] = []
    hand_over = _hand_over(procs, failed, handed)
    pool0 = RoutePool()
    res = search_once(model, allowed, reasons, servable, use_time, search,
                      max(0.05, deadline - time.time()), log, time.perf_counter(), pool=pool0,
                      handoff=(hand_over, *split) if procs else None)
    if procs and not handed:
        hand_over(pool0)                  # the search ended before the split point
    return res, pool0, {"phase_objectives": [res.objective], "recorder": res.search.get("pool_recorder")}


def _hand_over(procs: list[tuple[int, Any, Any]], failed: list[str],
               handed: list[bool]) -> Callable[[RoutePool], None]:
    """The hook that sends worker 0's pool to every child (and notes in ``handed`` that it did)."""
    def hand_over(pool: RoutePool) -> None:
        handed.append(True)
        for k, _, conn in procs:
            try:
                conn.send(("pool", pool))
            except OSError as e:             # that child is gone; the others go on
                failed.append(f"worker {k}: gone ({type(e).__name__})")
    return hand_over


def _collect_pools(procs: list[tuple[int, Any, Any]], until: float, results: list[RoutingResult | None],
                   infos: list[dict[str, Any]], pools: list[RoutePool], failed: list[str]) -> None:
    """Each child's plan, pool and account (or why there is none); every child ended."""
    for k, proc, conn in procs:
        try:
            msg = receive(conn, until)
            if msg is not None and msg[0] == "done":
                results[k], pool_k, infos[k] = msg[1], msg[2], msg[3]
                pools.append(pool_k)
            else:
                failed.append(f"worker {k}: " + (msg[1] if msg is not None else "no plan by the deadline"))
        finally:
            end_worker(proc, conn)


def _recombination_stats(merged: RoutePool, rec: Recombination | None, hint_obj: int | None,
                         infos: list[dict[str, Any]], improved: bool) -> dict[str, Any]:
    """What the pools and the recombinations did, for ``RoutingResult.search``."""
    return {"pool_routes": len(merged), "routes_offered": merged.offered,
            "final": sp_stats(rec, hint_obj, len(merged)),
            "restarts": [i.get("mid") for i in infos[1:]],
            "phase_objectives": [i.get("phase_objectives") for i in infos],
            "callback_s": round(sum((i.get("recorder") or {}).get("callback_s", 0.0) for i in infos), 4),
            "improved": improved}


def phases(model: RoutingProblem, allowed: np.ndarray, reasons: dict[int, tuple[str, bool]], servable: list[int],
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
    res_a = search_once(model, allowed, reasons, servable, use_time, first, max(0.05, left), False,
                        time.perf_counter(), pool=pool)
    info: dict[str, Any] = {"phase_objectives": [res_a.objective],
                            "recorder": res_a.search.get("pool_recorder")}
    plan = exchange(pool, res_a)
    if plan is None and res_a.solved:
        nodes, ci, _, _ = int_costs(model, servable)
        plan = pool_routes(model, res_a, nodes, ci)
    left = deadline - time.time()
    rest = None if limit is None else limit - first["solution_limit"]
    if plan is None or left < 0.1 or (rest is not None and rest < 1):
        return res_a, pool, info
    second = {**search, "solution_limit": rest}
    start = assign_vehicles(model, plan)
    res_b = search_once(model, allowed, reasons, servable, use_time, second, left, False, time.perf_counter(),
                        start=start, pool=pool)
    info["phase_objectives"].append(res_b.objective)
    rb = res_b.search.get("pool_recorder") or {}
    if info["recorder"] is not None and rb:
        info["recorder"] = {k: info["recorder"].get(k, 0) + rb.get(k, 0) for k in ("solutions", "read", "callback_s")}
    return min((res_a, res_b), key=rank), pool, info


def _recombining_worker_main(conn: Any, model: RoutingProblem, allowed: np.ndarray,
                             reasons: dict[int, tuple[str, bool]], servable: list[int], use_time: bool,
                             search: dict[str, Any], split: tuple[float | None, int | None],
                             deadline: float, sp_time_s: float) -> None:
    """Child process of a recombining search: its first search, then worker 0's pool with its
    own recombined, a second search from the recombined plan; the better plan, its pool and
    what happened go back through ``conn``."""
    try:
        restart: dict[str, Any] = {}

        def exchange(pool: RoutePool, res: RoutingResult) -> list[PoolRoute] | None:
            msg = receive(conn, deadline)
            merged = RoutePool()
            merged.merge(pool)
            if msg is not None and msg[0] == "pool":
                merged.merge(msg[1])
            rec, hint_obj = recombine_plan(model, merged, res, servable, sp_time_s,
                                           search["solution_limit"] is not None)
            restart.update(sp_stats(rec, hint_obj, len(merged)))
            return rec.routes if rec is not None else None

        res, pool, info = phases(model, allowed, reasons, servable, use_time, search, split, deadline, exchange)
        info["mid"] = restart
        conn.send(("done", res, pool, info))
    except Exception as e:  # noqa: BLE001  reported by the parent, which keeps the other plans
        with contextlib.suppress(OSError):         # the parent is gone: nobody to tell
            conn.send(("error", f"{type(e).__name__}: {e}"))
    finally:
        conn.close()
