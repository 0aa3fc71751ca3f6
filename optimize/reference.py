"""Solve a reference instance file and compare the answer with its published optimum.

Each ``solve_*`` function reads one OR-Library (or Osman–Christofides) instance file, solves it
with the matching location model and returns a JSON-ready dict with at least ``instance``,
``n``, ``p``, ``objective``, ``optimal`` (true only when proven), ``seconds`` (read + distances
+ solve), ``known_optimum`` (from the optima table beside the file, when there is one; else
None) and ``matches_known``. Sites are reported 1-based, as the files number vertices.
The ``yingji optimize orlib ...`` / ``yingji optimize pmedcap`` commands print these dicts.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from network.errors import InputError

from .location import CapacitatedFacilityLocation, CapacitatedPMedian, PCenter, PMedian
from .orlib import read_cap, read_optima, read_pmed, read_pmedcap
from .result import LocationResult

__all__ = ["solve_orlib_pmedian", "solve_orlib_pcenter", "solve_pmedcap", "solve_orlib_cap"]


def _known(path: Path, name: str, tables: tuple[str, ...]) -> float | None:
    """The published optimum of ``name`` from the first optima table found beside the file."""
    for folder in (path.parent, path.parent.parent):
        for table in tables:
            f = folder / table
            if f.is_file():
                try:
                    values = read_optima(f)
                except InputError:
                    continue
                if name in values:
                    return values[name]
    return None


def _summary(res: LocationResult, name: str, n: int, p: int | None, known: float | None,
             t0: float, **extra: Any) -> dict[str, Any]:
    """The JSON-ready dict every ``solve_*`` returns (see the module docstring)."""
    out: dict[str, Any] = {
        "instance": name, "n": n, "p": p,
        "objective": res.objective, "optimal": res.optimal, "status": res.status.value,
        "best_bound": res.best_bound, "gap": res.gap,
        "seconds": round(time.perf_counter() - t0, 3), "solve_seconds": round(res.seconds, 3),
        "known_optimum": known,
        "matches_known": (None if known is None or res.objective is None
                          else abs(res.objective - known) <= 1e-6 * max(1.0, abs(known))),
        "solver": res.solver, "message": res.message,
        "sites": [int(j) + 1 for j in res.sites],
    }
    out.update(extra)
    return out


def _solve_pmed_graph(model: type[PMedian] | type[PCenter], tables: tuple[str, ...], path: str | Path,
                      time_limit_s: float, solver: str) -> dict[str, Any]:
    """Solve a ``pmedN.txt`` graph with ``model`` and compare with the first of ``tables`` that knows it."""
    t0 = time.perf_counter()
    inst = read_pmed(path)
    res = model.from_cost_matrix(inst.distances(), p=inst.p).solve(time_limit_s=time_limit_s, solver=solver)
    known = _known(Path(path), inst.name, tables)
    return _summary(res, inst.name, inst.n, inst.p, known, t0)


def solve_orlib_pmedian(path: str | Path, time_limit_s: float = 600.0, solver: str = "auto") -> dict[str, Any]:
    """p-median on an OR-Library ``pmedN.txt`` graph (last listing of a repeated edge wins).

    Parameters
    ----------
    path : str or Path
        The ``pmedN.txt`` file; its known optimum is looked up in ``optima.csv`` beside it.
    time_limit_s : float
        Wall-clock limit of the solve, in seconds.
    solver : str
        MIP engine, a key of ``optimize.mip.SOLVERS`` (``"auto"`` = HiGHS, ``"scip"``, ``"cp-sat"``).

    Returns
    -------
    dict
        The summary described in the module docstring.

    Raises
    ------
    InputError
        The file is missing or malformed.
    """
    return _solve_pmed_graph(PMedian, ("optima.csv", "pmed/optima.csv"), path, time_limit_s, solver)


def solve_orlib_pcenter(path: str | Path, time_limit_s: float = 600.0, solver: str = "auto") -> dict[str, Any]:
    """Vertex p-center on an OR-Library ``pmedN.txt`` graph (radius = shortest-path distance).

    Parameters
    ----------
    path : str or Path
        The ``pmedN.txt`` file; its known optimum is looked up in ``pcenter_optima.csv`` beside it.
    time_limit_s : float
        Wall-clock limit of the solve, in seconds.
    solver : str
        MIP engine, a key of ``optimize.mip.SOLVERS`` (``"auto"`` = HiGHS, ``"scip"``, ``"cp-sat"``).

    Returns
    -------
    dict
        The summary described in the module docstring.

    Raises
    ------
    InputError
        The file is missing or malformed.
    """
    return _solve_pmed_graph(PCenter, ("pcenter_optima.csv",), path, time_limit_s, solver)


def solve_pmedcap(path: str | Path, time_limit_s: float = 600.0, solver: str = "auto") -> dict[str, Any]:
    """Capacitated p-median on an Osman–Christofides ``pmedcapNN.txt`` file (floor Euclidean).

    Parameters
    ----------
    path : str or Path
        The ``pmedcapNN.txt`` file; the known optimum comes from ``optima.csv`` beside it, else
        from the best-known value the file states.
    time_limit_s : float
        Wall-clock limit of the solve, in seconds.
    solver : str
        MIP engine, a key of ``optimize.mip.SOLVERS`` (``"auto"`` = HiGHS, ``"scip"``, ``"cp-sat"``).

    Returns
    -------
    dict
        The summary described in the module docstring, plus ``capacity``.

    Raises
    ------
    InputError
        The file is missing or malformed.
    """
    t0 = time.perf_counter()
    inst = read_pmedcap(path)
    res = CapacitatedPMedian.from_cost_matrix(inst.distances(), demand=inst.demand, capacity=inst.capacity,
                                              p=inst.p).solve(time_limit_s=time_limit_s, solver=solver)
    known = _known(Path(path), inst.name, ("optima.csv", "pmedcap/optima.csv"))
    if known is None:
        known = inst.best_known
    return _summary(res, inst.name, inst.n, inst.p, known, t0, capacity=inst.capacity)


def solve_orlib_cap(path: str | Path, capacity: float | None = None, single_sourcing: bool = False,
                    time_limit_s: float = 600.0, solver: str = "auto") -> dict[str, Any]:
    """Capacitated warehouse location on an OR-Library ``capNNN.txt`` (split demand by default).

    Parameters
    ----------
    path : str or Path
        The ``capNNN.txt`` file; the known optimum (split demand only) comes from ``optima.csv``
        beside it.
    capacity : float, optional
        Capacity of every warehouse, for the ``capa``/``capb``/``capc`` files that leave it open.
    single_sourcing : bool
        Serve each customer from one warehouse (no published optimum is compared then).
    time_limit_s : float
        Wall-clock limit of the solve, in seconds.
    solver : str
        MIP engine, a key of ``optimize.mip.SOLVERS`` (``"auto"`` = HiGHS, ``"scip"``, ``"cp-sat"``).

    Returns
    -------
    dict
        The summary described in the module docstring, plus ``m`` and ``single_sourcing``.

    Raises
    ------
    InputError
        The file is missing or malformed.
    """
    t0 = time.perf_counter()
    inst = read_cap(path, capacity=capacity)
    res = CapacitatedFacilityLocation.from_cost_matrix(
        inst.cost, demand=inst.demand, capacity=inst.capacity, opening_cost=inst.opening_cost,
        single_sourcing=single_sourcing).solve(time_limit_s=time_limit_s, solver=solver)
    known = None if single_sourcing else _known(Path(path), inst.name, ("optima.csv",))
    return _summary(res, inst.name, inst.n, None, known, t0, m=inst.m, single_sourcing=single_sourcing)
