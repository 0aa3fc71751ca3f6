"""CVRPLIB in, a JSON-ready summary out: :func:`solve_cvrplib` (``yingji optimize cvrp`` and
``benchmarks/bench_routing.py``)."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from network.errors import InputError
from optimize.cvrplib import CvrpInstance, check_routes, read_sol, read_vrp

from .results import RoutingResult
from .vehicle_routing import VehicleRouting


def solve_cvrplib(path: str | Path, time_limit_s: float = 10.0, vehicles: int | None = None,
                  workers: int | None = None) -> dict[str, Any]:
    """Solve a CVRPLIB ``.vrp`` file; a JSON-ready summary with the gap to the known optimum.

    Parameters
    ----------
    path : str or Path
        The ``.vrp`` file. The known optimum comes from a ``.sol`` beside it (its ``Cost``
        line) or else the file's COMMENT.
    time_limit_s : float, default 10.0
        Wall-clock budget of the whole call, reading the file included.
    vehicles : int, optional
        Fleet size (see :meth:`VehicleRouting.from_cvrplib`); by default one more vehicle is
        tried when the search finds no plan with the instance's own fleet and time is left.
    workers : int, optional
        Parallel searches (see :meth:`VehicleRouting.solve`); default two where the machine
        has two cores or more, else one.

    Returns
    -------
    dict
        Keys: instance, objective, optimal (always false: routing proves nothing), seconds,
        known_optimum, gap_pct, status, dimension, capacity, vehicles, vehicles_used, feasible
        (every customer once, loads within capacity), routes (CVRPLIB customer numbers, as in
        .sol files), workers, and recombination (pool size, the set-partitioning steps and
        whether the last one improved on the best search; see :meth:`VehicleRouting.solve`)
        when the search recombined.

    Raises
    ------
    InputError
        The ``.vrp`` file cannot be read or is malformed (a broken ``.sol`` is ignored).
    """
    path = Path(path)
    t0 = time.perf_counter()
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    inst = read_vrp(path)
    res = _solve(inst, time_limit_s, vehicles, workers, t0)
    return _summary(inst, res, _known_optimum(path, inst), workers, t0)


def _solve(inst: CvrpInstance, time_limit_s: float, vehicles: int | None, workers: int,
           t0: float) -> RoutingResult:
    """Search within what is left of the budget; with one more vehicle if there was no plan."""
    model = VehicleRouting.from_cvrplib(inst, vehicles)
    res = model.solve(time_limit_s=max(0.1, time_limit_s - (time.perf_counter() - t0)), workers=workers)
    left = time_limit_s - (time.perf_counter() - t0)
    if not res.solved and vehicles is None and left > 0.5:
        # k trucks may be too few for the first-solution heuristic to pack: allow one more
        model = VehicleRouting.from_cvrplib(inst, model.num_vehicles + 1)
        res = model.solve(time_limit_s=left, workers=workers)
    return res


def _known_optimum(path: Path, inst: CvrpInstance) -> float | None:
    """The published optimum: the ``.sol`` beside the file, else the instance's COMMENT."""
    known = inst.known_optimum
    sol_path = path.with_suffix(".sol")
    if sol_path.exists():
        try:
            known = read_sol(sol_path, inst).cost or known
        except InputError:
            pass                            # a broken .sol must not hide the solve
    return known


def _summary(inst: CvrpInstance, res: RoutingResult, known: float | None, workers: int,
             t0: float) -> dict[str, Any]:
    """The JSON-ready summary of a solve (see :func:`solve_cvrplib`)."""
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
