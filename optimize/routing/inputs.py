"""Input checks of the routing model: each argument of ``from_matrix`` brought to one shape, or an
:class:`~network.errors.InputError` that names it.

``from_matrix`` runs them in a fixed order (cost, travel times, demands, vehicle count,
capacities, depots, windows, service times, tour limits, drop penalties, ``unreachable``): a call
with several bad arguments reports the first of these. :func:`check_solve_options` checks the
options of ``solve``.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from network.errors import InputError

_METAHEURISTICS = ("auto", "ruin_recreate", "guided_local_search", "simulated_annealing",
                   "tabu_search", "greedy_descent")
_FIRST_SOLUTIONS = ("auto", "savings", "path_cheapest_arc", "parallel_cheapest_insertion",
                    "local_cheapest_insertion", "global_cheapest_arc", "christofides", "sweep")


def check_matrix(name: str, m: Any, n: int | None = None) -> np.ndarray:
    """A square float matrix with no NaN, no negative entries and no -inf; the diagonal is 0."""
    try:
        a = np.array(m, dtype=float)
    except (TypeError, ValueError) as e:
        raise InputError(f"{name}: not a numeric matrix ({e})") from None
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise InputError(f"{name}: must be a square matrix, got shape {a.shape}")
    if a.shape[0] == 0:
        raise InputError(f"{name}: empty matrix (no locations)")
    if n is not None and a.shape[0] != n:
        raise InputError(f"{name}: {a.shape[0]} rows, but the cost matrix has {n}")
    for bad, what in ((np.isnan(a), "NaN"), (a < 0, "negative")):
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise InputError(f"{name}[{i}, {j}] is {what} ({a[i, j]}); use +inf for a pair with no path")
    np.fill_diagonal(a, 0.0)
    return a


def per_location(name: str, v: Any, n: int, default: float = 0.0) -> np.ndarray:
    """A non-negative finite value per location (scalar broadcast)."""
    if v is None:
        return np.full(n, default)
    a = np.array(v, dtype=float)
    if a.ndim == 0:
        a = np.full(n, float(a))
    if a.shape != (n,):
        raise InputError(f"{name}: expected one value per location ({n}), got shape {a.shape}")
    bad = ~np.isfinite(a) | (a < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"{name}[{i}] = {a[i]}: must be finite and not negative")
    return a


def check_demands(demands: Any, n: int) -> np.ndarray:
    """Demands as an (n, commodities) array, finite and not negative; none given: no demand."""
    dem = np.zeros((n, 1)) if demands is None else np.array(demands, dtype=float)
    if dem.ndim == 1:
        dem = dem[:, None]
    if dem.ndim != 2 or dem.shape[0] != n or dem.shape[1] == 0:
        raise InputError(f"demands: expected shape ({n},) or ({n}, commodities), got {np.shape(demands)}")
    bad = ~np.isfinite(dem) | (dem < 0)
    if bad.any():
        i, k = np.argwhere(bad)[0]
        raise InputError(f"demands[{i}] = {dem[i, k]}: must be finite and not negative")
    return dem


def count_vehicles(vehicle_capacities: Any, depots: int | Sequence[int],
                   num_vehicles: int | None) -> tuple[int, np.ndarray | None]:
    """The number of vehicles, and the capacities as an array (None: not given)."""
    # Counted from the capacities, the depot list or num_vehicles, which must agree.
    counts = {}
    caps = None if vehicle_capacities is None else np.array(vehicle_capacities, dtype=float)
    if caps is not None and caps.ndim >= 1:
        counts["vehicle_capacities"] = caps.shape[0]
    if not np.isscalar(depots) and np.ndim(depots) == 1:
        counts["depots"] = len(depots)
    if num_vehicles is not None:
        counts["num_vehicles"] = int(num_vehicles)
    if len(set(counts.values())) > 1:
        raise InputError("vehicle count disagrees: " + ", ".join(f"{k} gives {v}" for k, v in counts.items()))
    v = next(iter(counts.values()), 1)
    if v < 1:
        raise InputError(f"at least one vehicle is needed, got {v}")
    return v, caps


def check_capacities(caps: np.ndarray | None, v: int, n_com: int) -> np.ndarray:
    """Capacities as a (vehicles, commodities) array; none given: unlimited."""
    if caps is None:
        caps = np.full((v, n_com), np.inf)
    elif caps.ndim == 0:
        caps = np.full((v, n_com), float(caps))
    elif caps.ndim == 1:
        if n_com != 1:
            raise InputError(f"vehicle_capacities: with {n_com} commodities give one row per vehicle, "
                             f"shape ({v}, {n_com})")
        caps = caps[:, None]
    if caps.shape != (v, n_com):
        raise InputError(f"vehicle_capacities: expected shape ({v}, {n_com}), got {caps.shape}")
    if np.isnan(caps).any() or (caps < 0).any():
        raise InputError("vehicle_capacities: must not be NaN or negative")
    return caps


def check_depots(depots: int | Sequence[int], v: int, n: int, dem: np.ndarray) -> np.ndarray:
    """Each vehicle's depot, a location with no demand."""
    dep = np.full(v, depots, dtype=np.int64) if np.ndim(depots) == 0 else np.array(depots, dtype=np.int64)
    if ((dep < 0) | (dep >= n)).any():
        bad_d = int(dep[(dep < 0) | (dep >= n)][0])
        raise InputError(f"depots: location {bad_d} is outside 0..{n - 1}")
    for d in set(dep.tolist()):
        if dem[d].any():
            raise InputError(f"demands[{d}]: location {d} is a depot and must have no demand")
    return dep


def check_windows(time_windows: Any, n: int) -> np.ndarray | None:
    """Time windows as an (n, 2) array of opening and closing; None when not given."""
    if time_windows is None:
        return None
    w = np.array(time_windows, dtype=float)
    if w.shape != (n, 2):
        raise InputError(f"time_windows: expected shape ({n}, 2), got {w.shape}")
    for i in range(n):
        lo, hi = w[i]
        if np.isnan(lo) or np.isnan(hi) or not np.isfinite(lo) or lo < 0:
            raise InputError(f"time_windows[{i}] = ({lo}, {hi}): opening must be finite and "
                             "not negative, closing not NaN")
        if hi < lo:
            raise InputError(f"time_windows[{i}]: closes at {hi} before it opens at {lo}")
    return w


def check_max_route_time(max_route_time: Any, v: int) -> np.ndarray | None:
    """The longest tour per vehicle; None when not given."""
    if max_route_time is None:
        return None
    mrt = np.array(max_route_time, dtype=float)
    mrt = np.full(v, float(mrt)) if mrt.ndim == 0 else mrt
    if mrt.shape != (v,) or np.isnan(mrt).any() or (mrt < 0).any():
        raise InputError(f"max_route_time: one non-negative value per vehicle ({v}) or a scalar")
    return mrt


def check_unreachable(unreachable: str) -> None:
    """``unreachable`` is one of the two ways to treat a stop with no path."""
    if unreachable not in ("error", "drop"):
        raise InputError(f"unreachable: 'error' or 'drop', got {unreachable!r}")


def check_solve_options(first_solution: str, metaheuristic: str, time_limit_s: float,
                        solution_limit: int | None, workers: int) -> None:
    """The options of ``solve`` are known names and usable numbers."""
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
