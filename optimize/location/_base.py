"""Shared pieces of the location models: input checks, network costs, the model base class."""
from __future__ import annotations

import math
import time
from typing import Any, ClassVar, Sequence

import numpy as np

from network.errors import InputError
from network.paths import travel_time_matrix

from ..mip import SOLVERS
from ..result import LocationResult, SolveStatus

_TIME_MSG = "time limit reached: best plan so far, not proven optimal"
_NO_PLAN_MSG = "time limit reached before any plan was found"


# ============================================================================ input checks
def _as_cost(cost: Any, what: str = "cost") -> np.ndarray:
    try:
        a = np.array(cost, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what}: not a numeric matrix ({exc})") from None
    if a.ndim != 2:
        raise InputError(f"{what}: expected a 2-D matrix (demands x sites), got {a.ndim} dimension(s)")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise InputError(f"{what}: empty matrix of shape {a.shape}: need at least one demand and one site")
    bad = np.isnan(a)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputError(f"{what}: NaN at demand {i}, site {j} ({int(bad.sum())} NaN in all); "
                         "use +inf for a pair that is not allowed")
    neg = a < 0
    if neg.any():
        i, j = np.argwhere(neg)[0]
        raise InputError(f"{what}: negative value {a[i, j]:g} at demand {i}, site {j}; costs must be >= 0")
    return np.ascontiguousarray(a)


def _as_vector(values: Any, n: int, what: str, default: float | None = 1.0,
               allow_zero: bool = True) -> np.ndarray:
    if values is None:
        if default is None:
            raise InputError(f"{what}: required")
        return np.full(n, float(default))
    try:
        v = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what}: not numeric ({exc})") from None
    if v.ndim == 0:
        v = np.full(n, float(v))
    if v.ndim != 1 or v.shape[0] != n:
        raise InputError(f"{what}: expected {n} values, got shape {v.shape}")
    if not np.isfinite(v).all():
        k = int(np.argmax(~np.isfinite(v)))
        raise InputError(f"{what}: value {v[k]} at index {k} is not a finite number")
    if (v < 0).any():
        k = int(np.argmax(v < 0))
        raise InputError(f"{what}: negative value {v[k]:g} at index {k}")
    if not allow_zero and (v <= 0).any():
        k = int(np.argmax(v <= 0))
        raise InputError(f"{what}: value at index {k} must be > 0, found {v[k]:g}")
    return v


def _as_sites(fixed: Any, m: int) -> np.ndarray:
    if fixed is None:
        return np.zeros(0, np.int64)
    try:
        raw = [int(j) for j in fixed]
        if any(float(j) != float(int(j)) for j in fixed):
            raise ValueError("not integral")
    except (TypeError, ValueError):
        raise InputError(f"fixed: expected site indices (integers), got {fixed!r}") from None
    for j in raw:
        if not 0 <= j < m:
            raise InputError(f"fixed: site index {j} outside 0..{m - 1}")
    if len(set(raw)) != len(raw):
        raise InputError(f"fixed: site indices repeat in {raw}")
    return np.array(sorted(raw), dtype=np.int64)


def _as_p(p: Any, m: int, fixed: np.ndarray) -> int:
    try:
        pi = int(p)
        if float(p) != pi:
            raise ValueError
    except (TypeError, ValueError):
        raise InputError(f"p: expected a positive integer, got {p!r}") from None
    if pi < 1:
        raise InputError(f"p: must be at least 1, got {pi}")
    if pi > m:
        raise InputError(f"p={pi} is larger than the number of candidate sites ({m})")
    if len(fixed) > pi:
        raise InputError(f"fixed: {len(fixed)} sites must open but p={pi}")
    return pi


def _as_radius(r: Any) -> float:
    try:
        v = float(r)
    except (TypeError, ValueError):
        raise InputError(f"service_radius: expected a number, got {r!r}") from None
    if not math.isfinite(v) or v < 0:
        raise InputError(f"service_radius: must be a finite number >= 0, got {r!r}")
    return v


def _labels(labels: Sequence[str] | None, n: int, what: str) -> list[str] | None:
    if labels is None:
        return None
    out = [str(x) for x in labels]
    if len(out) != n:
        raise InputError(f"{what}: expected {n} labels, got {len(out)}")
    return out


def _time_limit(t: Any) -> float:
    try:
        v = float(t)
    except (TypeError, ValueError):
        raise InputError(f"time_limit_s: expected seconds, got {t!r}") from None
    if math.isnan(v) or v <= 0:
        raise InputError(f"time_limit_s: must be > 0, got {t!r}")
    return v


def _solver(name: str) -> str:
    key = str(name).lower()
    if key not in SOLVERS:
        raise InputError(f"solver: unknown {name!r}; choose one of {', '.join(SOLVERS)}")
    return key


def network_cost_matrix(net: Any, demand_nodes: Sequence[int], site_nodes: Sequence[int], *,
                        direction: str = "to_sites", edge_weights: np.ndarray | None = None,
                        cutoff: float | None = None) -> np.ndarray:
    """Travel-time cost matrix (demands x sites) on a road network, +inf where unreachable.

    ``direction="to_sites"``: time from each demand node to each site (people walking or
    driving to a shelter; one reverse search per site). ``"from_sites"``: time from each site
    to each demand node (a team leaving its base). ``edge_weights`` (seconds per edge, CSR
    order; e.g. a flood-damaged network's times) default to free-flow times.
    """
    if direction not in ("to_sites", "from_sites"):
        raise InputError(f"direction: expected 'to_sites' or 'from_sites', got {direction!r}")
    sites = np.asarray(site_nodes, dtype=np.int64)
    demands = np.asarray(demand_nodes, dtype=np.int64)
    if sites.size == 0 or demands.size == 0:
        raise InputError("network_cost_matrix: need at least one demand node and one site node")
    M = travel_time_matrix(net, sites, demands, edge_weights, reverse=direction == "to_sites", cutoff=cutoff)
    return np.ascontiguousarray(np.asarray(M, dtype=np.float64).T)


def _integral(W: np.ndarray) -> bool:
    """All finite entries are integers (so objective values are too, for integer weights)."""
    f = W[np.isfinite(W)]
    return bool(f.size == 0 or (np.all(f == np.rint(f)) and np.abs(f).max() < 2.0 ** 40))


def _threshold(ub: float, integral: bool) -> float:
    """Largest cost a plan must reach to count as better than the incumbent ``ub``."""
    if integral:
        return ub - 1.0 + 1e-6
    return ub - 1e-9 * max(1.0, abs(ub))


def _ceil_bound(bound: float | None, integral: bool) -> float | None:
    if bound is None or not integral:
        return bound
    return float(math.ceil(bound - 1e-6))


# ============================================================================ base class
class _LocationModel:
    """Validated data shared by every model."""

    model_name: ClassVar[str] = "location"

    def __init__(self, cost: np.ndarray, weights: np.ndarray, fixed: np.ndarray,
                 demand_labels: list[str] | None, site_labels: list[str] | None) -> None:
        self.cost = cost
        self.weights = weights
        self.fixed = fixed
        self.demand_labels = demand_labels
        self.site_labels = site_labels

    @classmethod
    def from_geodataframe(cls, demand: Any, sites: Any, *, weights: str | None = None, network: Any = None,
                          demand_label: str | None = None, site_label: str | None = None, **model: Any) -> Any:
        """The model from GeoDataFrames of demand and candidate-site points: costs are road travel
        times (s) on ``network`` between the points' nearest nodes, or straight-line metres in a
        projected CRS without one (:mod:`optimize.location.geo`). ``weights`` names a demand
        column; ``model`` holds the model's own arguments (``p``, ``service_radius`` ...)."""
        from .geo import from_geodataframe

        return from_geodataframe(cls, demand, sites, weights=weights, network=network, demand_label=demand_label,
                                 site_label=site_label, **model)

    @property
    def n_demands(self) -> int:
        """Rows of the cost matrix."""
        return self.cost.shape[0]

    @property
    def n_sites(self) -> int:
        """Columns of the cost matrix (candidate sites)."""
        return self.cost.shape[1]

    def _demand_name(self, i: int) -> str:
        return self.demand_labels[i] if self.demand_labels else f"demand {i}"

    def _names(self, idx: Sequence[int], limit: int = 10) -> str:
        idx = list(idx)
        shown = ", ".join(self._demand_name(int(i)) for i in idx[:limit])
        return shown + (f" and {len(idx) - limit} more" if len(idx) > limit else "")

    def _require_reachable(self) -> None:
        """Every demand needs some allowed site (a row of +inf is an input error)."""
        dead = ~np.isfinite(self.cost).any(axis=1)
        if dead.any():
            idx = np.flatnonzero(dead)
            raise InputError(f"{len(idx)} demand(s) cannot reach any candidate site (all costs +inf): "
                             f"{self._names(idx)}")

    def _assignment(self, sites: np.ndarray, W: np.ndarray | None = None) -> np.ndarray:
        """Each demand's cheapest open site (-1 when it can reach none)."""
        W = self.cost if W is None else W
        if len(sites) == 0:
            return np.full(self.n_demands, -1, np.int64)
        sub = W[:, sites]
        k = np.argmin(sub, axis=1)
        out = sites[k].astype(np.int64)
        out[~np.isfinite(sub[np.arange(len(sub)), k])] = -1
        return out

    def _result(self, status: SolveStatus, objective: float | None, bound: float | None,
                sites: Sequence[int] | None, assignment: np.ndarray | None, t0: float, solver: str,
                message: str = "", **stats: Any) -> LocationResult:
        s = np.array(sorted(int(j) for j in (sites if sites is not None else [])), dtype=np.int64)
        a = assignment if assignment is not None else np.full(self.n_demands, -1, np.int64)
        if status is SolveStatus.OPTIMAL and objective is not None:
            bound = objective
        return LocationResult(self.model_name, status, objective, bound, s, a,
                              time.perf_counter() - t0, solver, message, stats)
