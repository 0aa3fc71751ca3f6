"""Facility location models: one class per model, one shape for all.

Every model is built with ``Model.from_cost_matrix(cost, weights=None, ..., fixed=...)`` from a
cost matrix (demands x candidate sites; ``+inf`` = the pair is not allowed, e.g. unreachable)
and solved with ``model.solve(time_limit_s=..., solver=..., warm_start=True)``, which returns a
:class:`~optimize.result.LocationResult`.

=============================  ==========================================================
:class:`PMedian`               min sum_i w_i * cost(i, its site); p sites
:class:`PCenter`               min max_i w_i * cost(i, its site); p sites
:class:`MaximalCovering`       max weight within ``service_radius`` of an open site; p sites
:class:`LocationSetCovering`   fewest sites putting every demand within ``service_radius``
:class:`CapacitatedPMedian`    p-median with site capacities, single sourcing
:class:`CapacitatedFacilityLocation`  fixed opening cost + capacity (split or single source)
=============================  ==========================================================

How they are solved (all MIPs through OR-Tools; HiGHS by default, SCIP or CP-SAT on request):

* **p-median** — Elloumi's (2010) radius formulation: per demand, one continuous variable per
  distinct cost level, so the model has O(levels) rows instead of O(demands x sites).
  Before the MIP, greedy + interchange gives an incumbent, the Lagrangian dual (= LP bound)
  gives a lower bound, and Lagrangian reduced-cost fixing plus probing closes sites and
  forbids (demand, site) pairs that cannot appear in a plan better than the incumbent. Often
  this alone proves the incumbent optimal; otherwise the much smaller MIP does, with the
  incumbent's cost as cutoff.
* **p-center** — binary search over the sorted distinct costs; each step a set-covering
  decision MIP ("can p sites cover everyone within r?") after dominated rows and columns are
  dropped; an interchange heuristic gives the starting upper bound.
* covering and capacitated models — compact MIPs with dominance reductions and heuristic
  warm starts.

A time limit returns the best plan so far with its bound and gap (status FEASIBLE), never an
exception. Bad input raises :class:`network.errors.InputError` naming the field.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

import numpy as np
from scipy.sparse import csr_matrix

from network.errors import InputError

from . import heuristics as H
from .result import LocationResult, SolveStatus

__all__ = [
    "PMedian", "PCenter", "MaximalCovering", "LocationSetCovering", "CapacitatedPMedian",
    "CapacitatedFacilityLocation", "SOLVERS", "network_cost_matrix",
]

_TIME_MSG = "time limit reached: best plan so far, not proven optimal"
_NO_PLAN_MSG = "time limit reached before any plan was found"

#: accepted ``solver=`` names -> OR-Tools model_builder solver ids ("auto" picks per model)
SOLVERS = {"auto": "", "highs": "highs", "scip": "scip", "cp-sat": "sat", "cpsat": "sat", "sat": "sat"}


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
    from network.paths import travel_time_matrix

    if direction not in ("to_sites", "from_sites"):
        raise InputError(f"direction: expected 'to_sites' or 'from_sites', got {direction!r}")
    sites = np.asarray(site_nodes, dtype=np.int64)
    demands = np.asarray(demand_nodes, dtype=np.int64)
    if sites.size == 0 or demands.size == 0:
        raise InputError("network_cost_matrix: need at least one demand node and one site node")
    M = travel_time_matrix(net, sites, demands, edge_weights, reverse=direction == "to_sites", cutoff=cutoff)
    return np.ascontiguousarray(np.asarray(M, dtype=np.float64).T)


# ============================================================================ MIP wrapper
@dataclass
class _MipOutcome:
    status: str                 # optimal | feasible | infeasible | no_solution
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    solver: str


class _Mip:
    """A MIP assembled from numpy blocks and handed to OR-Tools in one sparse call."""

    def __init__(self) -> None:
        self._vlb: list[np.ndarray] = []
        self._vub: list[np.ndarray] = []
        self._obj: list[np.ndarray] = []
        self._int: list[np.ndarray] = []
        self._rows: list[np.ndarray] = []
        self._cols: list[np.ndarray] = []
        self._vals: list[np.ndarray] = []
        self._rlb: list[np.ndarray] = []
        self._rub: list[np.ndarray] = []
        self.n_vars = 0
        self.n_rows = 0
        self.offset = 0.0
        self.maximize = False

    def add_vars(self, count: int, lb: Any = 0.0, ub: Any = 1.0, obj: Any = 0.0,
                 integer: bool = False) -> np.ndarray:
        idx = np.arange(self.n_vars, self.n_vars + count, dtype=np.int64)
        self._vlb.append(np.broadcast_to(np.asarray(lb, float), (count,)).copy())
        self._vub.append(np.broadcast_to(np.asarray(ub, float), (count,)).copy())
        self._obj.append(np.broadcast_to(np.asarray(obj, float), (count,)).copy())
        self._int.append(np.full(count, integer))
        self.n_vars += count
        return idx

    def add_rows(self, row: np.ndarray, col: np.ndarray, val: Any, lb: Any, ub: Any,
                 count: int) -> np.ndarray:
        """Rows 0..count-1 of a block: entries (row[k], col[k], val[k]); bounds per row."""
        row = np.asarray(row, np.int64)
        self._rows.append(row + self.n_rows)
        self._cols.append(np.asarray(col, np.int64))
        self._vals.append(np.broadcast_to(np.asarray(val, float), row.shape).copy())
        self._rlb.append(np.broadcast_to(np.asarray(lb, float), (count,)).copy())
        self._rub.append(np.broadcast_to(np.asarray(ub, float), (count,)).copy())
        idx = np.arange(self.n_rows, self.n_rows + count, dtype=np.int64)
        self.n_rows += count
        return idx

    def set_lb(self, idx: np.ndarray, value: float) -> None:
        vlb = np.concatenate(self._vlb)
        vlb[idx] = value
        self._vlb = [vlb]

    def solve(self, solver: str, time_limit: float, *, hint: dict[int, float] | None = None,
              cutoff: float | None = None, integral_objective: bool = False,
              quiet_heuristics: bool = False, extra: str = "", verbose: bool = False) -> _MipOutcome:
        from ortools.linear_solver.python import model_builder_helper as mbh

        engine = SOLVERS[solver] or "highs"
        cat = lambda parts, dt=float: np.concatenate(parts).astype(dt) if parts else np.zeros(0, dt)  # noqa: E731
        obj = cat(self._obj)
        rows, cols, vals = cat(self._rows, np.int64), cat(self._cols, np.int64), cat(self._vals)
        rlb, rub = cat(self._rlb), cat(self._rub)
        n_rows = self.n_rows
        if cutoff is not None and engine != "highs":
            # other engines take the cutoff as an objective row
            nz = np.flatnonzero(obj)
            rows = np.concatenate([rows, np.full(nz.size, n_rows)])
            cols = np.concatenate([cols, nz])
            vals = np.concatenate([vals, obj[nz]])
            lo, hi = (cutoff - self.offset, np.inf) if self.maximize else (-np.inf, cutoff - self.offset)
            rlb, rub = np.append(rlb, lo), np.append(rub, hi)
            n_rows += 1
        A = csr_matrix((vals, (rows, cols)), shape=(n_rows, self.n_vars))
        A.sum_duplicates()
        integer = cat(self._int, bool)
        vlb, vub = cat(self._vlb), cat(self._vub)
        if engine == "sat":
            integer = np.ones(self.n_vars, bool)  # CP-SAT needs integer variables
        h = mbh.ModelBuilderHelper()
        h.fill_model_from_sparse_data(vlb, vub, obj, rlb, rub, A)
        for j in np.flatnonzero(integer):
            h.set_var_integrality(int(j), True)
        h.set_objective_offset(self.offset)
        if self.maximize:
            h.set_maximize(True)
        if engine != "highs":  # HiGHS through model_builder crashes on hints (OR-Tools 9.15): callers pass a cutoff
            for j, v in (hint or {}).items():
                h.add_hint(int(j), float(v))
        s = mbh.ModelSolverHelper(engine)
        s.set_time_limit_in_seconds(max(0.01, float(time_limit)))
        s.enable_output(bool(verbose))
        params = self._params(engine, cutoff, integral_objective, quiet_heuristics, verbose) + extra
        if params:
            s.set_solver_specific_parameters(params)
        s.solve(h)
        st = s.status()
        S = mbh.SolveStatus
        if st in (S.MODEL_INVALID, S.INVALID_SOLVER_PARAMETERS, S.SOLVER_TYPE_UNAVAILABLE,
                  S.INCOMPATIBLE_OPTIONS):
            raise RuntimeError(f"OR-Tools {engine} rejected the model: {st} {s.status_string()}")
        has = s.has_solution() and st in (S.OPTIMAL, S.FEASIBLE, S.NOT_SOLVED, S.UNKNOWN_STATUS,
                                           S.ABNORMAL, S.CANCELLED_BY_USER)
        x = np.asarray(s.variable_values(), float) if has else None
        bound = s.best_objective_bound() if st != S.INFEASIBLE else None
        if bound is not None and not math.isfinite(bound):
            bound = None
        if st == S.OPTIMAL:
            status = "optimal"
        elif st == S.INFEASIBLE:
            status = "infeasible"
        elif has:
            status = "feasible"
        else:
            status = "no_solution"
        return _MipOutcome(status, x, s.objective_value() if has else None, bound, engine)

    def _params(self, engine: str, cutoff: float | None, integral: bool, quiet: bool, verbose: bool) -> str:
        # exact answers: no relative gap; integral objectives may stop within one unit
        abs_gap = 1.0 - 1e-6 if integral else 1e-9
        if engine == "highs":
            lines = ["mip_rel_gap=1e-9", f"mip_abs_gap={abs_gap}"]
            if not verbose:
                lines += ["output_flag=false", "log_to_console=false"]
            if cutoff is not None and not self.maximize:
                lines.append(f"objective_bound={cutoff!r}")
            if quiet:  # the incumbent is known: spend the time on the proof
                lines += ["mip_heuristic_effort=0", "mip_heuristic_run_rins=false",
                          "mip_heuristic_run_rens=false", "mip_heuristic_run_root_reduced_cost=false",
                          "mip_heuristic_run_zi_round=false", "mip_heuristic_run_shifting=false",
                          "mip_heuristic_run_feasibility_jump=false", "mip_pscost_minreliable=0"]
            return "\n".join(lines) + "\n"
        if engine == "scip":
            return f"limits/gap = 1e-9\nlimits/absgap = {abs_gap}\n"
        if engine == "sat":
            return f"num_workers:2 relative_gap_limit:0 absolute_gap_limit:{abs_gap} "
        return ""


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

    @property
    def n_demands(self) -> int:
        return self.cost.shape[0]

    @property
    def n_sites(self) -> int:
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


# ============================================================================ p-median
class PMedian(_LocationModel):
    """Minimise the weighted sum of each demand's cost to its nearest open site (p sites)."""

    model_name = "p-median"

    def __init__(self, cost, weights, p, fixed, demand_labels=None, site_labels=None):
        super().__init__(cost, weights, fixed, demand_labels, site_labels)
        self.p = p

    @classmethod
    def from_cost_matrix(cls, cost: Any, weights: Any = None, *, p: int, fixed: Sequence[int] | None = None,
                         demand_labels: Sequence[str] | None = None,
                         site_labels: Sequence[str] | None = None) -> "PMedian":
        """``cost[i, j]``: cost of serving demand i from site j (+inf: not allowed);
        ``weights[i]``: e.g. people at demand i (default 1); ``fixed``: sites that must open."""
        c = _as_cost(cost)
        n, m = c.shape
        fx = _as_sites(fixed, m)
        model = cls(c, _as_vector(weights, n, "weights"), _as_p(p, m, fx), fx,
                    _labels(demand_labels, n, "demand_labels"), _labels(site_labels, m, "site_labels"))
        model._require_reachable()
        return model

    def weighted_cost(self) -> np.ndarray:
        """``w_i * cost_ij`` with zero-weight demands at 0 even where the cost is +inf."""
        with np.errstate(invalid="ignore"):
            W = self.weights[:, None] * self.cost
        W[self.weights == 0] = 0.0
        return np.ascontiguousarray(W)

    def evaluate(self, sites: Sequence[int]) -> float:
        """Objective of a given set of open sites (+inf if some demand reaches none)."""
        return float(H.assignment_costs(self.weighted_cost(), np.asarray(sites, np.int64)).sum())

    def solve(self, time_limit_s: float = 60.0, solver: str = "auto", warm_start: bool = True,
              reduce: bool = True, verbose: bool = False) -> LocationResult:
        """Solve to proven optimality within ``time_limit_s`` (else best plan + gap).

        ``warm_start``: greedy + interchange incumbent (hint and cutoff for the MIP);
        ``reduce``: Lagrangian bound, reduced-cost fixing and probing before the MIP (needs
        the warm start). ``solver``: "auto"/"highs", "scip" or "cp-sat" for the MIP.
        """
        t0 = time.perf_counter()
        deadline = t0 + _time_limit(time_limit_s)
        solver = _solver(solver)
        core = _PMedianCore(self.weighted_cost(), self.p, self.fixed, deadline, solver, verbose)
        out = core.run(warm_start, reduce and warm_start)
        sites = out["sites"]
        if sites is None:
            status = SolveStatus.INFEASIBLE if out["infeasible"] else SolveStatus.NO_SOLUTION_IN_TIME
            msg = ("no choice of p sites lets every demand reach one (check the +inf costs)"
                   if out["infeasible"] else _NO_PLAN_MSG)
            return self._result(status, None, out["bound"], None, None, t0, out["solver"], msg, **out["stats"])
        obj = self.evaluate(sites)
        status = SolveStatus.OPTIMAL if out["optimal"] else SolveStatus.FEASIBLE
        bound = out["bound"]
        if bound is not None:
            bound = min(bound, obj)
        msg = "" if out["optimal"] else _TIME_MSG
        return self._result(status, obj, bound, sites, self._assignment(np.asarray(sites)), t0,
                            out["solver"], msg, **out["stats"])


class _PMedianCore:
    """The p-median pipeline: incumbent -> Lagrangian reductions -> radius-formulation MIP."""

    def __init__(self, W: np.ndarray, p: int, fixed: np.ndarray, deadline: float, solver: str,
                 verbose: bool) -> None:
        self.W = W
        self.p = p
        self.fixed = fixed
        self.deadline = deadline
        self.solver = solver
        self.verbose = verbose
        self.n, self.m = W.shape
        self.integral = _integral(W)
        self.stats: dict[str, Any] = {}
        self.ub = np.inf
        self.best: np.ndarray | None = None

    def left(self) -> float:
        return self.deadline - time.perf_counter()

    def offer(self, sites: np.ndarray) -> None:
        """Keep ``sites`` if it beats the incumbent (cost evaluated exactly, +inf pairs count)."""
        cost = float(H.assignment_costs(self.W, sites).sum())
        if cost < self.ub:
            self.ub, self.best = cost, np.sort(np.asarray(sites, np.int64))

    def improve(self, start: np.ndarray) -> None:
        """Interchange from ``start`` (a set of p sites) and offer the result."""
        if len(start) != self.p or self.left() <= 0:
            return
        s, _ = H.interchange(self.W, start, self.fixed)
        self.offer(s)

    def run(self, warm_start: bool, reduce: bool) -> dict[str, Any]:
        n, m, p = self.n, self.m, self.p
        trivial = float(np.where(np.isfinite(self.W), self.W, np.inf).min(axis=1).sum())
        lower = trivial
        if p == m or len(self.fixed) == p:  # nothing to choose
            self.offer(np.arange(m) if p == m else self.fixed)
            return self._done(True, self.ub, "enumeration")
        if warm_start:
            t = time.perf_counter()
            self.offer(H.pmedian_heuristic(self.W, p, self.fixed)[0])
            self.stats["heuristic_s"] = round(time.perf_counter() - t, 4)
            self.stats["heuristic_objective"] = self.ub
        keep = np.arange(m)
        forced = np.zeros(m, bool)
        forced[self.fixed] = True
        lam = None
        if reduce and math.isfinite(self.ub):
            red = self._reduce(forced)
            if red["proved"]:
                return self._done(True, self.ub, "reductions (Lagrangian bound)")
            keep, forced, lam, lower = red["keep"], red["forced"], red["lam"], max(lower, red["bound"])
        if self.left() <= 0:
            return self._done(False, lower, "heuristic")
        return self._mip(keep, forced, lam, lower)

    # ------------------------------------------------------------------ reductions
    def _reduce(self, forced: np.ndarray) -> dict[str, Any]:
        """Lagrangian bound + reduced-cost fixing + probing, in rounds until nothing changes.

        Every reduction only removes plans costing more than the threshold T (just below the
        incumbent), so "no plan left" proves the incumbent optimal.
        """
        W, p = self.W, self.p
        t = time.perf_counter()
        usable = np.isfinite(W).any(axis=0) | forced
        # sites no demand can reach never help, unless they are needed just to make up p
        keep = np.flatnonzero(usable) if usable.sum() >= p else np.arange(self.m)
        lam = H.initial_multipliers(W[:, keep])
        bound = -np.inf
        rounds, probes = 0, 0
        proved = False
        for rnd in range(12):
            if self.left() <= 0:
                break
            rounds += 1
            T = _threshold(self.ub, self.integral)
            Wr = np.ascontiguousarray(W[:, keep])
            fr = forced[keep]
            if fr.sum() > p or len(keep) < p:
                proved = True
                break
            lb = H.lagrangian_pmedian(Wr, p, self.ub, forced=fr, lam0=lam, stop_above=T,
                                      max_iter=3000 if rnd == 0 else 1500, patience=30 if rnd == 0 else 20)
            lam = lb.lam
            # the chosen sets along the way are good interchange starts
            if len(lb.primal_sites) == p:
                self.improve(keep[lb.primal_sites])
            rho = H.lagrangian_rho(Wr, lam)
            sel, L, kth, next_ = self._selection(rho, fr, lam)
            if sel is None:
                proved = True
                break
            self.improve(keep[sel])
            T = _threshold(self.ub, self.integral)
            bound = max(bound, min(L, self.ub))  # plans left out all cost more than T
            if L > T:
                proved = True
                break
            # static reduced-cost fixing
            free = ~fr
            insel = np.zeros(len(keep), bool)
            insel[sel] = True
            close = free & ~insel & (L + rho - kth > T)
            open_ = free & insel & (L - rho + next_ > T) if np.isfinite(next_) else np.zeros(len(keep), bool)
            # probing: force a site open (or closed) and re-optimise the multipliers briefly
            order = np.argsort(-(rho - kth), kind="mergesort")
            fails = 0
            for j in order:
                if fails >= 10 or self.left() <= 0:
                    break
                if not free[j] or insel[j] or close[j]:
                    continue
                f = fr | open_
                f = f.copy()
                f[j] = True
                probes += 1
                pb = H.lagrangian_pmedian(Wr, p, self.ub, forced=f, closed=close, lam0=lam,
                                          stop_above=T, max_iter=300, patience=10)
                if pb.bound > T:
                    close[j] = True
                    fails = 0
                else:
                    fails += 1
            for j in np.flatnonzero(free & insel & ~open_):
                if self.left() <= 0:
                    break
                c = close.copy()
                c[j] = True
                probes += 1
                pb = H.lagrangian_pmedian(Wr, p, self.ub, forced=fr | open_, closed=c, lam0=lam,
                                          stop_above=T, max_iter=300, patience=10)
                if pb.bound > T:
                    open_[j] = True
            forced[keep[open_]] = True
            if not close.any() and not open_.any():
                break
            keep = keep[~close]
            if (forced[keep].sum() > p) or len(keep) < p or not np.isfinite(W[:, keep]).any(axis=1).all():
                proved = True
                break
        self.stats.update(lagrangian_bound=bound, reduction_rounds=rounds, probes=probes,
                          sites_kept=int(len(keep)), sites_forced=int(forced.sum()),
                          reduction_s=round(time.perf_counter() - t, 4))
        return {"proved": proved, "keep": keep, "forced": forced, "lam": lam, "bound": bound}

    def _selection(self, rho: np.ndarray, fr: np.ndarray, lam: np.ndarray):
        """Lagrangian chosen set at ``lam``: forced + cheapest rho; its bound, p-th and next rho."""
        k = self.p - int(fr.sum())
        free = np.flatnonzero(~fr)
        if k < 0 or k > len(free):
            return None, np.inf, 0.0, np.inf
        o = free[np.argsort(rho[free], kind="mergesort")]
        sel = np.concatenate([np.flatnonzero(fr), o[:k]])
        L = float(lam.sum() + rho[sel].sum())
        kth = float(rho[o[k - 1]]) if k > 0 else -np.inf
        next_ = float(rho[o[k]]) if k < len(o) else np.inf
        return np.sort(sel), L, kth if k > 0 else np.inf, next_

    # ------------------------------------------------------------------ MIP
    def _mip(self, keep: np.ndarray, forced: np.ndarray, lam: np.ndarray | None, lower: float) -> dict[str, Any]:
        W, p = self.W, self.p
        Wk = np.ascontiguousarray(W[:, keep])
        fk = forced[keep]
        cutoff = None
        if lam is not None:
            # pair fixing: demand i may use site j only if a plan doing so can beat the incumbent
            T = _threshold(self.ub, self.integral)
            rho = H.lagrangian_rho(Wk, lam)
            sel, L, kth, _ = self._selection(rho, fk, lam)
            pen = np.maximum(0.0, rho - kth) if np.isfinite(kth) else np.zeros(len(keep))
            pen[sel] = 0.0
            with np.errstate(invalid="ignore"):
                allowed = (L + np.maximum(0.0, Wk - lam[:, None]) + pen[None, :]) <= T
            Wk = np.where(allowed, Wk, np.inf)
            cutoff = T
        if fk.any():  # nobody travels past their nearest forced-open site
            near = W[:, keep[fk]].min(axis=1)
            Wk = np.where(Wk <= near[:, None], Wk, np.inf)
        # the nearest of p open sites is among each demand's m-p+1 cheapest candidates
        mk = len(keep)
        if mk - p >= 0 and mk > p:
            kth_cost = np.partition(np.where(np.isfinite(W[:, keep]), W[:, keep], np.inf), mk - p, axis=1)[:, mk - p]
            Wk = np.where(Wk <= kth_cost[:, None], Wk, np.inf)
        if not np.isfinite(Wk).any(axis=1).all():
            if cutoff is not None:   # some demand cannot be served by a better plan
                return self._done(True, self.ub, "reductions (pair fixing)")
            return self._done(False, lower, "none", infeasible=True)
        mip, y = _radius_model(Wk, p, fk, integral_z=SOLVERS[self.solver] == "sat")
        hint = None
        if cutoff is None and self.best is not None:
            pos = {int(s): k for k, s in enumerate(keep)}
            hint = {int(y[k]): 0.0 for k in range(mk)}
            for s in self.best:
                if int(s) in pos:
                    hint[int(y[pos[int(s)]])] = 1.0
        t = time.perf_counter()
        quiet = cutoff is not None
        if cutoff is None and self.best is not None:  # solutions no better than the warm start are not wanted
            cutoff = self.ub + (0.5 if self.integral else 1e-9 * max(1.0, abs(self.ub)))
        out = mip.solve(self.solver, self.left(), hint=hint, cutoff=cutoff, integral_objective=self.integral,
                        quiet_heuristics=quiet, verbose=self.verbose)
        self.stats.update(mip_rows=mip.n_rows, mip_vars=mip.n_vars, mip_sites=mk,
                          mip_s=round(time.perf_counter() - t, 4))
        name = f"{out.solver} (radius formulation)"
        if out.x is not None:
            chosen = keep[np.flatnonzero(out.x[y] > 0.5)]
            if len(chosen) == p:
                self.offer(chosen)
        if out.status == "optimal" or (out.status == "infeasible" and cutoff is not None and self.best is not None):
            if self.best is None:
                return self._done(False, lower, name, infeasible=True)
            return self._done(True, self.ub, name)
        if out.status == "infeasible":
            return self._done(False, lower, name, infeasible=True)
        mb = _ceil_bound(out.bound, self.integral)
        if mb is not None:
            lower = max(lower, min(mb, self.ub) if cutoff is not None else mb)
        return self._done(False, lower, name)

    def _done(self, optimal: bool, bound: float, solver: str, infeasible: bool = False) -> dict[str, Any]:
        if self.best is None:
            optimal = False
        bound = _ceil_bound(bound, self.integral) if bound is not None and math.isfinite(bound) else None
        return {"sites": self.best, "optimal": optimal, "bound": bound, "solver": solver,
                "stats": self.stats, "infeasible": infeasible and self.best is None}


def _radius_model(W: np.ndarray, p: int, forced: np.ndarray, integral_z: bool = False) -> tuple[_Mip, np.ndarray]:
    """Elloumi's radius formulation over the allowed (finite) pairs of ``W``.

    Per demand i with distinct allowed costs D_1 < ... < D_K: z_k = 1 when no open site costs
    <= D_k; cost_i = D_1 + sum_k (D_{k+1} - D_k) z_k. Rows: z_1 + sum_{c_ij = D_1} y_j >= 1 and
    z_k - z_{k-1} + sum_{c_ij = D_k} y_j >= 0 (k = 2..K, z_K := 0, so some allowed site opens).
    """
    n, m = W.shape
    order = np.argsort(W, axis=1, kind="stable")
    S = np.take_along_axis(W, order, axis=1)
    fin = np.isfinite(S)
    new = fin.copy()
    new[:, 1:] &= S[:, 1:] != S[:, :-1]
    lev = np.cumsum(new, axis=1) - 1                      # level of each sorted entry
    K = new.sum(axis=1)                                   # distinct levels per demand
    roff = np.concatenate([[0], np.cumsum(K)])             # first row of each demand
    nz = K - 1
    zoff = np.concatenate([[0], np.cumsum(nz)])
    D = S[new]                                            # distinct values, demand-major
    mip = _Mip()
    y = mip.add_vars(m, lb=0.0, ub=1.0, integer=True)
    gaps = np.diff(D)
    last = roff[1:] - 1                                   # index in D of each demand's top level
    keepgap = np.ones(len(gaps), bool)
    keepgap[last[:-1]] = False                            # drop the jump between two demands
    z = mip.add_vars(int(zoff[-1]), lb=0.0, ub=1.0, obj=gaps[keepgap] if len(gaps) else 0.0,
                     integer=integral_z)
    mip.offset = float(D[roff[:-1]].sum())
    ii, tt = np.nonzero(fin)
    y_rows = roff[ii] + lev[ii, tt]
    y_cols = y[order[ii, tt]]
    ci = np.repeat(np.arange(n), nz)
    kk = np.arange(int(zoff[-1])) - zoff[ci]
    rows = np.concatenate([y_rows, roff[ci] + kk, roff[ci] + kk + 1])
    cols = np.concatenate([y_cols, z, z])
    vals = np.concatenate([np.ones(len(y_rows)), np.ones(len(z)), -np.ones(len(z))])
    rlb = np.zeros(int(roff[-1]))
    rlb[roff[:-1]] = 1.0
    mip.add_rows(rows, cols, vals, rlb, np.inf, int(roff[-1]))
    mip.add_rows(np.zeros(m, np.int64), y, 1.0, float(p), float(p), 1)
    if forced.any():
        mip.set_lb(y[forced], 1.0)
    return mip, y


# ============================================================================ set covering core
def _dominance(B: np.ndarray, keep_cols: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Drop dominated rows and columns of a 0/1 covering matrix (rows must be covered).

    A column whose covered rows are a subset of another's is never needed; a row whose
    covering columns are a superset of another row's is covered whenever that row is.
    Equal sets keep the lowest index. Returns (row mask, column mask); ``keep_cols`` marks
    columns that must stay (never dropped).
    """
    R, C = B.shape
    rows = np.ones(R, bool)
    cols = B.any(axis=0)
    if keep_cols is not None:
        cols |= keep_cols
    for _ in range(4):
        changed = False
        ri, ci = np.flatnonzero(rows), np.flatnonzero(cols)
        if 1 < len(ci) <= 4000 and len(ri) * len(ci) * len(ci) <= 4e9:
            sub = B[np.ix_(ri, ci)].astype(np.float32)
            size = sub.sum(axis=0)
            inter = sub.T @ sub                                   # |col a & col b|
            subset = inter >= size[:, None] - 0.5                 # a subset of b
            eq = subset & subset.T
            np.fill_diagonal(subset, False)
            lower = np.tril(np.ones_like(eq), -1)                 # b < a
            dominated = (subset & ~eq).any(axis=1) | (eq & lower.astype(bool)).any(axis=1)
            if keep_cols is not None:
                dominated &= ~keep_cols[ci]
            if dominated.any():
                cols[ci[dominated]] = False
                changed = True
        ri, ci = np.flatnonzero(rows), np.flatnonzero(cols)
        if 1 < len(ri) <= 4000 and len(ri) * len(ri) * len(ci) <= 4e9:
            sub = B[np.ix_(ri, ci)].astype(np.float32)
            size = sub.sum(axis=1)
            inter = sub @ sub.T                                   # |row a & row b|
            sup = inter >= size[None, :] - 0.5                    # row a superset of row b
            eq = sup & sup.T
            np.fill_diagonal(sup, False)
            lower = np.tril(np.ones_like(eq), -1).astype(bool)
            redundant = (sup & ~eq).any(axis=1) | (eq & lower).any(axis=1)
            if redundant.any():
                rows[ri[redundant]] = False
                changed = True
        if not changed:
            break
    return rows, cols


def _greedy_cover(B: np.ndarray) -> np.ndarray | None:
    """Greedy set cover: column indices covering every row, or None if some row cannot be."""
    if not B.any(axis=1).all():
        return None
    left = np.ones(B.shape[0], bool)
    chosen: list[int] = []
    while left.any():
        j = int(np.argmax(B[left].sum(axis=0)))
        chosen.append(j)
        left &= ~B[:, j]
    return np.asarray(chosen, np.int64)


def _cover_mip(B: np.ndarray, budget: int | None, solver: str, time_limit: float, verbose: bool,
               hint: np.ndarray | None = None, decision: bool = False) -> _MipOutcome:
    """min sum y s.t. every row covered (and sum y <= budget); decision=True stops at any cover."""
    R, C = B.shape
    mip = _Mip()
    y = mip.add_vars(C, 0.0, 1.0, obj=1.0, integer=True)
    ri, ci = np.nonzero(B)
    mip.add_rows(ri, y[ci], 1.0, 1.0, np.inf, R)
    if budget is not None:
        mip.add_rows(np.zeros(C, np.int64), y, 1.0, -np.inf, float(budget), 1)
    h = None
    if hint is not None:
        h = {int(y[j]): 0.0 for j in range(C)}
        for j in hint:
            h[int(y[j])] = 1.0
    extra = ""
    if decision and SOLVERS[solver] in ("", "highs"):
        extra = f"mip_abs_gap={float(budget) + 1.0}\n"  # any cover within the budget answers it
    return mip.solve(solver, time_limit, hint=h, integral_objective=True, extra=extra, verbose=verbose)


# ============================================================================ p-center
class PCenter(_LocationModel):
    """Minimise the worst weighted cost ``max_i w_i * cost(i, its site)`` with p sites."""

    model_name = "p-center"

    def __init__(self, cost, weights, p, fixed, demand_labels=None, site_labels=None):
        super().__init__(cost, weights, fixed, demand_labels, site_labels)
        self.p = p

    @classmethod
    def from_cost_matrix(cls, cost: Any, weights: Any = None, *, p: int, fixed: Sequence[int] | None = None,
                         demand_labels: Sequence[str] | None = None,
                         site_labels: Sequence[str] | None = None) -> "PCenter":
        """As :meth:`PMedian.from_cost_matrix`; weights scale each demand's cost (0 = ignore it)."""
        c = _as_cost(cost)
        n, m = c.shape
        fx = _as_sites(fixed, m)
        model = cls(c, _as_vector(weights, n, "weights"), _as_p(p, m, fx), fx,
                    _labels(demand_labels, n, "demand_labels"), _labels(site_labels, m, "site_labels"))
        model._require_reachable()
        return model

    def weighted_cost(self) -> np.ndarray:
        return PMedian.weighted_cost(self)  # type: ignore[arg-type]

    def evaluate(self, sites: Sequence[int]) -> float:
        """Worst weighted cost for a given set of open sites (+inf if a demand reaches none)."""
        c = H.assignment_costs(self.weighted_cost(), np.asarray(sites, np.int64))
        return float(c.max()) if c.size else 0.0

    def solve(self, time_limit_s: float = 60.0, solver: str = "auto", warm_start: bool = True,
              verbose: bool = False) -> LocationResult:
        """Radius search: binary search over distinct costs, set-covering decision at each."""
        t0 = time.perf_counter()
        deadline = t0 + _time_limit(time_limit_s)
        solver = _solver(solver)
        W = self.weighted_cost()
        p, fixed = self.p, self.fixed
        active = self.weights > 0
        Wa = W[active]
        stats: dict[str, Any] = {"decisions": 0, "mip_decisions": 0}
        if Wa.shape[0] == 0:
            sites = H.greedy_pmedian(self.cost, p, fixed)
            return self._result(SolveStatus.OPTIMAL, 0.0, 0.0, sites, self._assignment(np.sort(sites)), t0,
                                "trivial", "all weights are zero", **stats)
        best_sites: np.ndarray | None = None
        best_r = np.inf
        if warm_start:
            s0 = H.greedy_pcenter(Wa, p, fixed)
            s1, r1 = H.interchange_pcenter(Wa, s0, fixed)
            r1 = float(H.assignment_costs(Wa, s1).max())
            if math.isfinite(r1):
                best_sites, best_r = s1, r1
            stats["heuristic_objective"] = r1
        lb = float(Wa.min(axis=1).max())                      # every demand needs some site
        vals = np.unique(Wa[np.isfinite(Wa)])
        vals = vals[vals >= lb]
        if math.isfinite(best_r):
            vals = vals[vals <= best_r]
        lo, hi = 0, len(vals) - 1                              # answer index in [lo, hi]
        hi_known = math.isfinite(best_r)
        timed_out = False
        while lo < hi or (not hi_known and lo <= hi):
            if time.perf_counter() >= deadline:
                timed_out = True
                break
            mid = (lo + hi) // 2
            r = float(vals[mid])
            ans = self._decide(Wa, r, deadline, solver, verbose, stats)
            if ans is None:
                timed_out = True
                break
            if ans is False:
                lo = mid + 1
                if not hi_known and lo > hi:
                    break
            else:
                sites = ans
                rr = float(H.assignment_costs(Wa, sites).max())
                best_sites, best_r = sites, rr
                hi = int(np.searchsorted(vals, rr))
                hi_known = True
        stats["radius_candidates"] = int(len(vals))
        if best_sites is None:
            if timed_out:
                return self._result(SolveStatus.NO_SOLUTION_IN_TIME, None, float(vals[lo]) if lo < len(vals) else None,
                                    None, None, t0, "highs (set covering)", _NO_PLAN_MSG,
                                    **stats)
            return self._result(SolveStatus.INFEASIBLE, None, None, None, None, t0, "highs (set covering)",
                                f"no {p} sites can serve every demand (check the +inf costs)", **stats)
        # top up to exactly p sites, lowering the total cost without raising the worst
        sites = np.sort(H.greedy_pmedian(W, p, best_sites)) if len(best_sites) < p else np.sort(best_sites)
        obj = self.evaluate(sites)
        name = f"{SOLVERS[solver] or 'highs'} (radius search + set covering)"
        if timed_out:
            bound = float(vals[lo]) if lo < len(vals) else obj
            return self._result(SolveStatus.FEASIBLE, obj, min(bound, obj), sites, self._assignment(sites), t0,
                                name, _TIME_MSG, **stats)
        return self._result(SolveStatus.OPTIMAL, obj, obj, sites, self._assignment(sites), t0, name, **stats)

    def _decide(self, Wa: np.ndarray, r: float, deadline: float, solver: str, verbose: bool,
                stats: dict[str, Any]) -> np.ndarray | bool | None:
        """Sites (fixed included) covering every demand within r, False if none, None on timeout."""
        stats["decisions"] += 1
        p, fixed = self.p, self.fixed
        B = Wa <= r
        need = ~B[:, fixed].any(axis=1) if len(fixed) else np.ones(B.shape[0], bool)
        budget = p - len(fixed)
        if not need.any():
            return fixed.copy()
        Bn = B[need]
        Bn[:, fixed] = False
        if not Bn.any(axis=1).all() or budget == 0:
            return False
        rows, cols = _dominance(Bn)
        sub = Bn[np.ix_(rows, cols)]
        ci = np.flatnonzero(cols)
        g = _greedy_cover(sub)
        if g is not None and len(g) <= budget:
            return np.concatenate([fixed, ci[g]])
        if sub.shape[0] <= budget:                          # one site per remaining demand
            return np.concatenate([fixed, ci[np.argmax(sub, axis=1)]])
        stats["mip_decisions"] += 1
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        out = _cover_mip(sub, budget, solver, left, verbose, decision=True)
        if out.status == "infeasible":
            return False
        if out.x is None:
            return None
        chosen = ci[np.flatnonzero(out.x[: len(ci)] > 0.5)]
        return np.unique(np.concatenate([fixed, chosen]))


# ============================================================================ covering models
class MaximalCovering(_LocationModel):
    """Maximise the weight of demands within ``service_radius`` of an open site (p sites).

    A demand with no site within the radius (or only +inf costs) simply stays uncovered.
    """

    model_name = "maximal-covering"

    def __init__(self, cost, weights, p, radius, fixed, demand_labels=None, site_labels=None):
        super().__init__(cost, weights, fixed, demand_labels, site_labels)
        self.p = p
        self.service_radius = radius

    @classmethod
    def from_cost_matrix(cls, cost: Any, weights: Any = None, *, service_radius: float, p: int,
                         fixed: Sequence[int] | None = None, demand_labels: Sequence[str] | None = None,
                         site_labels: Sequence[str] | None = None) -> "MaximalCovering":
        """``service_radius``: the standard, in cost units (e.g. 1800 s for 30 minutes)."""
        c = _as_cost(cost)
        n, m = c.shape
        fx = _as_sites(fixed, m)
        return cls(c, _as_vector(weights, n, "weights"), _as_p(p, m, fx), _as_radius(service_radius), fx,
                   _labels(demand_labels, n, "demand_labels"), _labels(site_labels, m, "site_labels"))

    def covered(self, sites: Sequence[int]) -> np.ndarray:
        """Which demands lie within the radius of one of ``sites``."""
        s = np.asarray(sites, np.int64)
        return (self.cost[:, s] <= self.service_radius).any(axis=1) if s.size else np.zeros(self.n_demands, bool)

    def solve(self, time_limit_s: float = 60.0, solver: str = "auto", warm_start: bool = True,
              verbose: bool = False) -> LocationResult:
        t0 = time.perf_counter()
        tl = _time_limit(time_limit_s)
        solver = _solver(solver)
        p, fixed, w = self.p, self.fixed, self.weights
        B = self.cost <= self.service_radius
        base = self.covered(fixed)
        # only demands that count, are coverable and not yet covered by the fixed sites matter;
        # demands with identical covering sets merge into one row with their summed weight
        live = (w > 0) & B.any(axis=1) & ~base
        budget = p - len(fixed)
        total = float(w.sum())
        stats: dict[str, Any] = {"total_weight": total}
        chosen = np.zeros(0, np.int64)
        bound = None
        name = "trivial"
        status = SolveStatus.OPTIMAL
        if live.any() and budget > 0:
            Bl = B[live]
            Bl[:, fixed] = False
            keys, inv = np.unique(np.packbits(Bl, axis=1), axis=0, return_inverse=True)
            inv = inv.ravel()
            wl = np.bincount(inv, weights=w[live])
            rep = np.zeros(len(keys), np.int64)
            rep[inv] = np.flatnonzero(live)
            Bu = B[rep]
            Bu[:, fixed] = False
            cols = Bu.any(axis=0)
            cols[fixed] = False
            ci = np.flatnonzero(cols)
            if len(ci) <= budget:
                chosen = ci
            else:
                sub = Bu[:, ci]
                # column dominance is valid here: a subset site never covers more
                _, cmask = _dominance_columns_only(sub)
                ci, sub = ci[cmask], sub[:, cmask]
                g = _greedy_max_cover(sub, wl, budget) if warm_start else None
                mip = _Mip()
                mip.maximize = True
                y = mip.add_vars(len(ci), 0.0, 1.0, integer=True)
                z = mip.add_vars(len(wl), 0.0, 1.0, obj=wl)
                ri, cj = np.nonzero(sub)
                # z_i <= sum_{j covers i} y_j
                mip.add_rows(np.concatenate([ri, np.arange(len(wl))]), np.concatenate([y[cj], z]),
                             np.concatenate([np.ones(len(ri)), -np.ones(len(wl))]), 0.0, np.inf, len(wl))
                mip.add_rows(np.zeros(len(ci), np.int64), y, 1.0, -np.inf, float(budget), 1)
                hint = None
                if g is not None:
                    cov = sub[:, g].any(axis=1)
                    hint = {int(y[j]): 0.0 for j in range(len(ci))}
                    hint.update({int(y[j]): 1.0 for j in g})
                    hint.update({int(z[i]): float(cov[i]) for i in range(len(wl))})
                out = mip.solve(solver, tl - (time.perf_counter() - t0), hint=hint,
                                integral_objective=_integral(wl[:, None]), verbose=verbose)
                name = f"{out.solver} (maximal covering)"
                stats.update(mip_rows=mip.n_rows, mip_vars=mip.n_vars)
                if out.x is not None:
                    chosen = ci[np.flatnonzero(out.x[y] > 0.5)]
                    # after a time limit the greedy plan may still be the better one
                    if g is not None and out.status != "optimal" and \
                            wl[sub[:, g].any(axis=1)].sum() > wl[Bu[:, chosen].any(axis=1)].sum():
                        chosen = ci[g]
                elif g is not None:
                    chosen = ci[g]
                else:
                    return self._result(SolveStatus.NO_SOLUTION_IN_TIME, None, out.bound, None, None, t0, name,
                                        _NO_PLAN_MSG, **stats)
                if out.status != "optimal":
                    status = SolveStatus.FEASIBLE
                    bound = None if out.bound is None else out.bound + float(w[base & (w > 0)].sum())
        sites = np.unique(np.concatenate([fixed, chosen])).astype(np.int64)
        if len(sites) < p:  # extra sites cover nothing more: pick them to cut total travel
            sites = np.sort(H.greedy_pmedian(np.where(np.isfinite(self.cost), self.cost * np.maximum(w, 1e-12)[:, None],
                                                      np.inf), p, sites))
        cov = self.covered(sites)
        obj = float(w[cov].sum())
        stats.update(covered_weight=obj, covered_share=obj / total if total > 0 else 1.0,
                     uncovered_demands=int((~cov & (w > 0)).sum()), covered=cov)
        msg = "" if status is SolveStatus.OPTIMAL else _TIME_MSG
        return self._result(status, obj, bound if bound is None else max(bound, obj), sites,
                            self._assignment(sites), t0, name, msg, **stats)


def _dominance_columns_only(B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column dominance only (for maximal covering rows must all stay)."""
    cols = B.any(axis=0)
    ci = np.flatnonzero(cols)
    if 1 < len(ci) <= 4000 and B.shape[0] * len(ci) * len(ci) <= 4e9:
        sub = B[:, ci].astype(np.float32)
        size = sub.sum(axis=0)
        inter = sub.T @ sub
        subset = inter >= size[:, None] - 0.5
        eq = subset & subset.T
        np.fill_diagonal(subset, False)
        lower = np.tril(np.ones_like(eq), -1).astype(bool)
        dominated = (subset & ~eq).any(axis=1) | (eq & lower).any(axis=1)
        cols[ci[dominated]] = False
    return np.ones(B.shape[0], bool), cols


def _greedy_max_cover(B: np.ndarray, w: np.ndarray, k: int) -> np.ndarray:
    """Greedy maximal covering: k columns, each adding the most uncovered weight."""
    left = np.ones(B.shape[0], bool)
    chosen: list[int] = []
    for _ in range(min(k, B.shape[1])):
        gain = (B & left[:, None]).T.astype(np.float64) @ w
        gain[chosen] = -1.0
        j = int(np.argmax(gain))
        chosen.append(j)
        left &= ~B[:, j]
    return np.asarray(chosen, np.int64)


class LocationSetCovering(_LocationModel):
    """Fewest sites that put every demand within ``service_radius`` of one of them.

    Demands with weight 0 need not be covered. If some demand has no site within the
    radius the result is INFEASIBLE and the message names those demands.
    """

    model_name = "location-set-covering"

    def __init__(self, cost, weights, radius, fixed, demand_labels=None, site_labels=None):
        super().__init__(cost, weights, fixed, demand_labels, site_labels)
        self.service_radius = radius

    @classmethod
    def from_cost_matrix(cls, cost: Any, weights: Any = None, *, service_radius: float,
                         fixed: Sequence[int] | None = None, demand_labels: Sequence[str] | None = None,
                         site_labels: Sequence[str] | None = None) -> "LocationSetCovering":
        c = _as_cost(cost)
        n, m = c.shape
        return cls(c, _as_vector(weights, n, "weights"), _as_radius(service_radius), _as_sites(fixed, m),
                   _labels(demand_labels, n, "demand_labels"), _labels(site_labels, m, "site_labels"))

    def solve(self, time_limit_s: float = 60.0, solver: str = "auto", warm_start: bool = True,
              verbose: bool = False) -> LocationResult:
        t0 = time.perf_counter()
        tl = _time_limit(time_limit_s)
        solver = _solver(solver)
        fixed = self.fixed
        B = self.cost <= self.service_radius
        must = self.weights > 0
        lost = must & ~B.any(axis=1)
        if lost.any():
            idx = np.flatnonzero(lost)
            near = np.where(np.isfinite(self.cost[idx]), self.cost[idx], np.inf).min(axis=1)
            detail = "; ".join(f"{self._demand_name(int(i))}: nearest site {c:g}" for i, c in zip(idx[:10], near[:10]))
            return self._result(SolveStatus.INFEASIBLE, None, None, None, None, t0, "none",
                                f"{len(idx)} demand(s) have no candidate site within {self.service_radius:g}: {detail}"
                                + (" ..." if len(idx) > 10 else ""))
        need = must & ~(B[:, fixed].any(axis=1) if len(fixed) else np.zeros(self.n_demands, bool))
        chosen = np.zeros(0, np.int64)
        name, status, bound = "trivial", SolveStatus.OPTIMAL, None
        stats: dict[str, Any] = {}
        if need.any():
            Bn = B[need]
            Bn[:, fixed] = False
            rows, cols = _dominance(Bn)
            sub = Bn[np.ix_(rows, cols)]
            ci = np.flatnonzero(cols)
            stats.update(rows_kept=int(rows.sum()), sites_kept=int(cols.sum()))
            g = _greedy_cover(sub) if warm_start else None
            out = _cover_mip(sub, None, solver, tl - (time.perf_counter() - t0), verbose, hint=g)
            name = f"{out.solver} (set covering)"
            if out.x is not None:
                chosen = ci[np.flatnonzero(out.x[: len(ci)] > 0.5)]
                if g is not None and out.status != "optimal" and len(g) < len(chosen):
                    chosen = ci[g]  # after a time limit the greedy cover may still be smaller
            elif g is not None:
                chosen = ci[g]
            else:
                return self._result(SolveStatus.NO_SOLUTION_IN_TIME, None, out.bound, None, None, t0, name,
                                    _NO_PLAN_MSG, **stats)
            if out.status != "optimal":
                status = SolveStatus.FEASIBLE
                bound = None if out.bound is None else float(math.ceil(out.bound - 1e-6)) + len(fixed)
        sites = np.unique(np.concatenate([fixed, chosen])).astype(np.int64)
        obj = float(len(sites))
        a = self._assignment(sites)
        msg = "" if status is SolveStatus.OPTIMAL else _TIME_MSG
        return self._result(status, obj, bound, sites, a, t0, name, msg, **stats)


# ============================================================================ capacitated models
def _as_capacity(capacity: Any, m: int) -> np.ndarray:
    return _as_vector(capacity, m, "capacity", default=None)


class _Capacitated(_LocationModel):
    """Shared parts of the single/split-sourcing capacitated models."""

    demand: np.ndarray
    capacity: np.ndarray
    p: int | None
    single_sourcing: bool

    def weighted_cost(self) -> np.ndarray:
        return PMedian.weighted_cost(self)  # type: ignore[arg-type]

    def _allowed(self) -> np.ndarray:
        """Pairs that may be used: finite cost and (single sourcing) demand within the capacity."""
        ok = np.isfinite(self.cost)
        if self.single_sourcing:
            ok &= self.demand[:, None] <= self.capacity[None, :] + 1e-9
        return ok

    def _precheck(self) -> str | None:
        """A message when capacity can never suffice (no MIP needed), else None."""
        d, q = self.demand, self.capacity
        ok = self._allowed()
        lost = (d > 0) & ~ok.any(axis=1)
        if lost.any():
            idx = np.flatnonzero(lost)
            reach = [q[np.isfinite(self.cost[i])].max(initial=0.0) for i in idx[:10]]
            detail = "; ".join(f"{self._demand_name(int(i))} needs {d[i]:g}, largest reachable site holds {c:g}"
                               for i, c in zip(idx[:10], reach))
            return (f"{len(idx)} demand(s) fit in no reachable site ({detail}"
                    + (" ..." if len(idx) > 10 else "") + f"); {d[idx].sum():g} unserved")
        total = float(d.sum())
        if self.p is None:
            best = float(q.sum())
            what = "all sites together"
        else:
            others = np.setdiff1d(np.arange(self.n_sites), self.fixed)
            extra = np.sort(q[others])[::-1][: self.p - len(self.fixed)]
            best = float(q[self.fixed].sum() + extra.sum())
            what = (f"the {self.p} largest sites" if not len(self.fixed)
                    else f"the fixed sites plus the largest others ({self.p} in all)")
        if total > best + 1e-9:
            return (f"total demand {total:g} exceeds the capacity of {what} ({best:g}): "
                    f"{total - best:g} cannot be served")
        return None

    def _build(self, integral_x: bool, unmet: bool = False, allowed: np.ndarray | None = None
               ) -> tuple[_Mip, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        W = self.weighted_cost()
        n, m = W.shape
        ok = self._allowed() if allowed is None else allowed
        ii, jj = np.nonzero(ok)
        mip = _Mip()
        opening = getattr(self, "opening_cost", None)
        y = mip.add_vars(m, 0.0, 1.0, obj=0.0 if (opening is None or unmet) else opening, integer=True)
        x = mip.add_vars(len(ii), 0.0, 1.0, obj=0.0 if unmet else W[ii, jj], integer=integral_x)
        rows = [ii]
        cols = [x]
        vals = [np.ones(len(ii))]
        u = None
        if unmet:  # unserved share of each demand, priced by its size
            u = mip.add_vars(n, 0.0, 1.0, obj=np.maximum(self.demand, 1e-6), integer=integral_x)
            rows.append(np.arange(n))
            cols.append(u)
            vals.append(np.ones(n))
        mip.add_rows(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), 1.0, 1.0, n)
        # capacity: sum_i d_i x_ij - Q_j y_j <= 0
        mip.add_rows(np.concatenate([jj, np.arange(m)]), np.concatenate([x, y]),
                     np.concatenate([self.demand[ii], -self.capacity]), -np.inf, 0.0, m)
        # strong linking x_ij <= y_j: the LP bound depends on it
        k = np.arange(len(ii))
        mip.add_rows(np.concatenate([k, k]), np.concatenate([x, y[jj]]),
                     np.concatenate([np.ones(len(ii)), -np.ones(len(ii))]), -np.inf, 0.0, len(ii))
        if self.p is not None:
            mip.add_rows(np.zeros(m, np.int64), y, 1.0, float(self.p), float(self.p), 1)
        if not unmet:  # open capacity must hold all demand (a cut the LP misses)
            mip.add_rows(np.zeros(m, np.int64), y, self.capacity, float(self.demand.sum()), np.inf, 1)
        if len(self.fixed):
            mip.set_lb(y[self.fixed], 1.0)
        return mip, y, x, ii, jj

    def _unserved_report(self, time_limit: float, solver: str) -> str:
        """Why no plan fits: the plan serving the most demand, and who is left without a place."""
        mip, y, x, ii, jj = self._build(self.single_sourcing, unmet=True)
        out = mip.solve(solver, max(time_limit, 1.0), integral_objective=False)
        if out.x is None:
            return "no plan serves every demand within the capacities"
        n = self.n_demands
        share = np.zeros(n)
        np.add.at(share, ii, out.x[x])
        short = (1.0 - share) * self.demand
        idx = np.flatnonzero(short > 1e-6)
        if not len(idx):
            return "no plan serves every demand within the capacities"
        detail = ", ".join(f"{self._demand_name(int(i))} {short[i]:g}" for i in idx[:10])
        return (f"capacity too small: at best {short.sum():g} of {self.demand.sum():g} demand stays unserved "
                f"({detail}{' ...' if len(idx) > 10 else ''})")

    def _solve_mip(self, t0: float, tl: float, solver: str, warm_start: bool, verbose: bool) -> LocationResult:
        msg = self._precheck()
        if msg:
            return self._result(SolveStatus.INFEASIBLE, None, None, None, None, t0, "precheck", msg)
        W = self.weighted_cost()
        opening = getattr(self, "opening_cost", None)
        integral = _integral(W) and (opening is None or _integral(opening[None, :]))
        deadline = t0 + tl
        hint, cutoff, plan, plan_obj = None, None, None, None
        allowed = self._allowed()
        stats: dict[str, Any] = {}
        if warm_start:
            plan = self._heuristic(W, deadline, solver)
            if plan is not None:
                plan_obj = self._plan_cost(W, *plan)
                stats["heuristic_objective"] = plan_obj
                red = self._reduce(W, allowed, plan, plan_obj, integral, deadline, solver, stats)
                if red is not None:
                    plan, plan_obj, allowed, proved = red
                    if proved:
                        return self._result(SolveStatus.OPTIMAL, plan_obj, plan_obj, plan[0], plan[1], t0,
                                            "reductions (Lagrangian knapsack bound)", **stats)
                    cutoff = _threshold(plan_obj, integral)
        mip, y, x, ii, jj = self._build(self.single_sourcing, allowed=allowed)
        if plan is not None:
            sites, assign = plan
            pos = {(int(i), int(j)): k for k, (i, j) in enumerate(zip(ii, jj))}
            xh = np.zeros(len(ii))
            for i, j in enumerate(assign):
                if (i, int(j)) in pos:
                    xh[pos[(i, int(j))]] = 1.0
            yh = np.zeros(self.n_sites)
            yh[sites] = 1.0
            hint = {int(v): float(val) for v, val in zip(np.concatenate([y, x]), np.concatenate([yh, xh]))}
            if cutoff is None:
                cutoff = plan_obj + (0.5 if integral else 1e-9 * max(1.0, abs(plan_obj)))
        out = mip.solve(solver, deadline - time.perf_counter(), hint=hint, cutoff=cutoff,
                        integral_objective=integral, verbose=verbose)
        name = f"{out.solver} ({'single' if self.single_sourcing else 'split'} sourcing MIP)"
        stats.update(mip_rows=mip.n_rows, mip_vars=mip.n_vars)
        # a bound from a solve with a cutoff only covers plans under it: cap it by the warm start
        mb = _ceil_bound(out.bound, integral)
        lag = stats.get("lagrangian_bound")
        if plan is not None and mb is not None:
            mb = min(mb, plan_obj)
        if lag is not None:
            mb = lag if mb is None else max(mb, lag)
        if plan is not None and (out.x is None or out.objective is None or out.objective > plan_obj + 1e-9):
            # the warm start is the best plan known (the cutoff hid anything not better)
            sites, assign = plan
            status = SolveStatus.OPTIMAL if out.status in ("optimal", "infeasible") else SolveStatus.FEASIBLE
            bound = plan_obj if status is SolveStatus.OPTIMAL else mb
            return self._result(status, plan_obj, bound, sites, assign, t0, name,
                                "" if status is SolveStatus.OPTIMAL else _TIME_MSG,
                                **stats)
        if out.status == "infeasible":
            left = tl - (time.perf_counter() - t0)
            return self._result(SolveStatus.INFEASIBLE, None, None, None, None, t0, name,
                                self._unserved_report(left, solver), **stats)
        if out.x is None:
            return self._result(SolveStatus.NO_SOLUTION_IN_TIME, None, out.bound, None, None, t0, name,
                                _NO_PLAN_MSG, **stats)
        xv = out.x[x]
        sites = np.flatnonzero(out.x[y] > 0.5)
        # assignment: the site serving the largest share of each demand
        assign = np.full(self.n_demands, -1, np.int64)
        best = np.full(self.n_demands, -1.0)
        for k in np.flatnonzero(xv > 1e-6):
            if xv[k] > best[ii[k]]:
                best[ii[k]], assign[ii[k]] = xv[k], jj[k]
        shares = None
        if not self.single_sourcing:
            shares = {(int(ii[k]), int(jj[k])): float(xv[k]) for k in np.flatnonzero(xv > 1e-6)}
        load = np.zeros(self.n_sites)
        np.add.at(load, jj, xv * self.demand[ii])
        opening = getattr(self, "opening_cost", None)
        # recompute the objective from the plan itself (no solver round-off)
        obj = float((W[ii, jj] * np.where(xv > 1e-9, xv, 0.0)).sum() if not self.single_sourcing
                    else W[np.arange(self.n_demands), assign].sum())
        obj += 0.0 if opening is None else float(opening[sites].sum())
        if integral and abs(obj - round(obj)) < 1e-6:
            obj = float(round(obj))
        status = SolveStatus.OPTIMAL if out.status == "optimal" else SolveStatus.FEASIBLE
        bound = None if mb is None else min(mb, obj)
        stats.update(load=load[sites], utilisation=(load[sites] / np.maximum(self.capacity[sites], 1e-12)))
        if shares is not None:
            stats["shares"] = shares
        msg = "" if status is SolveStatus.OPTIMAL else _TIME_MSG
        return self._result(status, obj, bound, sites, assign, t0, name, msg, **stats)

    def _plan_cost(self, W: np.ndarray, sites: np.ndarray, assign: np.ndarray) -> float:
        opening = getattr(self, "opening_cost", None)
        return float(W[np.arange(self.n_demands), assign].sum() + (0.0 if opening is None else opening[sites].sum()))

    def _heuristic(self, W: np.ndarray, deadline: float, solver: str) -> tuple[np.ndarray, np.ndarray] | None:
        """Uncapacitated p-median sites, a regret-ordered assignment, then location-allocation."""
        if self.p is None:
            return None
        sites, _ = H.pmedian_heuristic(W, self.p, self.fixed)
        best = _regret_assign(W, self.demand, self.capacity, sites, self._allowed())
        better = self._alternate(W, sites, deadline, solver)
        if better is not None and (best is None or self._plan_cost(W, *better) < self._plan_cost(W, *best)):
            best = better
        return best

    def _gap(self, W: np.ndarray, sites: np.ndarray, time_limit: float, solver: str
             ) -> tuple[np.ndarray, np.ndarray] | None:
        """Best single-source assignment to the given open sites (a small exact MIP)."""
        ok = np.zeros_like(W, dtype=bool)
        ok[:, sites] = self._allowed()[:, sites]
        if not ok.any(axis=1).all() or time_limit <= 0:
            return None
        ii, jj = np.nonzero(ok)
        mip = _Mip()
        x = mip.add_vars(len(ii), 0.0, 1.0, obj=W[ii, jj], integer=True)
        mip.add_rows(ii, x, 1.0, 1.0, 1.0, self.n_demands)
        pos = np.full(self.n_sites, -1)
        pos[sites] = np.arange(len(sites))
        mip.add_rows(pos[jj], x, self.demand[ii], -np.inf, self.capacity[sites], len(sites))
        out = mip.solve(solver, min(time_limit, 10.0), integral_objective=_integral(W))
        if out.x is None:
            return None
        assign = np.full(self.n_demands, -1, np.int64)
        take = out.x > 0.5
        assign[ii[take]] = jj[take]
        return (np.sort(np.asarray(sites, np.int64)), assign) if (assign >= 0).all() else None

    def _alternate(self, W: np.ndarray, sites: np.ndarray, deadline: float, solver: str
                   ) -> tuple[np.ndarray, np.ndarray] | None:
        """Location-allocation (Cooper): exact assignment, move each site to its cluster's median, repeat."""
        best, best_cost, seen = None, np.inf, set()
        fixed = set(self.fixed.tolist())
        sites = np.sort(np.asarray(sites, np.int64))
        while tuple(sites) not in seen and time.perf_counter() < deadline:
            seen.add(tuple(sites))
            plan = self._gap(W, sites, 0.2 * (deadline - time.perf_counter()), solver)
            if plan is None:
                break
            cost = self._plan_cost(W, *plan)
            if cost >= best_cost - 1e-9:
                break
            best, best_cost = plan, cost
            new: list[int] = []
            for j in plan[0]:
                if int(j) in fixed:
                    new.append(int(j))
                    continue
                members = plan[1] == j
                load = self.demand[members].sum()
                score = W[members].sum(axis=0)
                score[(self.capacity < load - 1e-9) | ~self._allowed()[members].all(axis=0)] = np.inf
                score[new] = np.inf
                score[list(fixed)] = np.inf
                k = int(np.argmin(score))
                new.append(k if np.isfinite(score[k]) else int(j))
            sites = np.sort(np.unique(np.asarray(new, np.int64)))
            if len(sites) != len(plan[0]):
                break
        return best

    def _reduce(self, W: np.ndarray, allowed: np.ndarray, plan, plan_obj: float, integral: bool,
                deadline: float, solver: str, stats: dict[str, Any]):
        """Lagrangian knapsack bound, then site and pair fixing against the incumbent.

        Only for the single-sourcing p-median form with integer demands (the knapsacks are
        solved by dynamic programming over capacity). Returns (plan, cost, allowed, proved) or
        None when it does not apply.
        """
        if self.p is None or not self.single_sourcing or getattr(self, "opening_cost", None) is not None:
            return None
        d = self.demand
        if not np.all(d == np.rint(d)):
            return None
        di = np.rint(d).astype(np.int64)
        g = int(np.gcd.reduce(di[di > 0])) if (di > 0).any() else 1
        di //= max(g, 1)
        q = np.floor(self.capacity / max(g, 1) + 1e-9).astype(np.int64)
        n, m = W.shape
        if int(q.max(initial=0)) * n * m > 5e8:
            return None
        t = time.perf_counter()
        forced = np.zeros(m, bool)
        forced[self.fixed] = True
        closed = ~allowed.any(axis=0) & ~forced
        lam0 = H.initial_multipliers(np.where(allowed, W, np.inf))
        T = _threshold(plan_obj, integral)
        L, lam, it = H.lagrangian_cpmp(W, di, q, self.p, plan_obj, forced=forced, closed=closed, allowed=allowed,
                                       lam0=lam0, stop_above=T)
        v, delta = H.cpmp_site_values(W, di, q, allowed, lam)
        v[closed] = np.inf
        free = np.flatnonzero(~forced & ~closed)
        k = self.p - int(forced.sum())
        o = free[np.argsort(v[free], kind="mergesort")]
        Lc = float(lam.sum() + v[forced].sum() + v[o[:k]].sum())
        # the Lagrangian choice of sites is a good start for location-allocation
        if time.perf_counter() < deadline and k <= len(o):
            alt = self._alternate(W, np.concatenate([np.flatnonzero(forced), o[:k]]), deadline, solver)
            if alt is not None and self._plan_cost(W, *alt) < plan_obj - 1e-9:
                plan, plan_obj = alt, self._plan_cost(W, *alt)
                T = _threshold(plan_obj, integral)
        stats.update(lagrangian_bound=round(Lc, 6), heuristic_objective=plan_obj)
        if Lc > T:
            stats["reduction_s"] = round(time.perf_counter() - t, 4)
            return plan, plan_obj, allowed, True
        kth = v[o[k - 1]] if k > 0 else -np.inf
        pen = np.maximum(0.0, v - kth) if k > 0 else np.zeros(m)
        pen[o[:k]] = 0.0
        pen[forced] = 0.0
        close = ~forced & (Lc + pen > T)
        keep = allowed & ((Lc + pen[None, :] + delta) <= T)
        keep[:, close] = False
        stats.update(sites_closed=int(close.sum()), pairs_kept=int(keep.sum()), pairs_before=int(allowed.sum()),
                     reduction_s=round(time.perf_counter() - t, 4))
        if not keep.any(axis=1).all() or (~close).sum() < self.p:
            return plan, plan_obj, allowed, True
        return plan, plan_obj, keep, False


def _regret_assign(W, demand, capacity, sites, allowed) -> tuple[np.ndarray, np.ndarray] | None:
    """Assign demands to ``sites`` within capacity, most-regret first; None if one does not fit."""
    sub = np.where(allowed[:, sites], W[:, sites], np.inf)
    srt = np.sort(sub, axis=1)
    regret = (srt[:, 1] - srt[:, 0]) if sub.shape[1] > 1 else srt[:, 0]
    regret = np.where(np.isfinite(regret), regret, 1e300)
    left = capacity[sites].astype(float).copy()
    assign = np.full(W.shape[0], -1, np.int64)
    for i in np.argsort(-regret, kind="stable"):
        for k in np.argsort(sub[i], kind="stable"):
            if not np.isfinite(sub[i, k]):
                break
            if demand[i] <= left[k] + 1e-9:
                left[k] -= demand[i]
                assign[i] = sites[k]
                break
        if assign[i] < 0:
            return None
    return np.asarray(sites), assign


class CapacitatedPMedian(_Capacitated):
    """p-median where each site holds at most ``capacity`` demand, single sourcing.

    Osman–Christofides form: minimise sum of (weighted) costs, every demand assigned to
    exactly one open site, each site's assigned demand within its capacity. For shelters:
    demand = people, capacity = area / area per person, weights = people for a
    population-weighted objective (default 1: the plain sum of costs).
    """

    model_name = "capacitated-p-median"

    def __init__(self, cost, weights, demand, capacity, p, fixed, demand_labels=None, site_labels=None):
        super().__init__(cost, weights, fixed, demand_labels, site_labels)
        self.demand, self.capacity, self.p = demand, capacity, p
        self.single_sourcing = True

    @classmethod
    def from_cost_matrix(cls, cost: Any, weights: Any = None, *, demand: Any, capacity: Any, p: int,
                         fixed: Sequence[int] | None = None, demand_labels: Sequence[str] | None = None,
                         site_labels: Sequence[str] | None = None) -> "CapacitatedPMedian":
        """``demand[i]``: size of demand i; ``capacity``: one number or one per site."""
        c = _as_cost(cost)
        n, m = c.shape
        fx = _as_sites(fixed, m)
        model = cls(c, _as_vector(weights, n, "weights"), _as_vector(demand, n, "demand", default=None),
                    _as_capacity(capacity, m), _as_p(p, m, fx), fx,
                    _labels(demand_labels, n, "demand_labels"), _labels(site_labels, m, "site_labels"))
        model._require_reachable()
        return model

    def solve(self, time_limit_s: float = 60.0, solver: str = "auto", warm_start: bool = True,
              verbose: bool = False) -> LocationResult:
        t0 = time.perf_counter()
        return self._solve_mip(t0, _time_limit(time_limit_s), _solver(solver), warm_start, verbose)


class CapacitatedFacilityLocation(_Capacitated):
    """Fixed opening cost + capacity (OR-Library ``cap``): min opening + service cost.

    ``cost[i, j]`` is the cost of serving *all* of demand i from site j (times ``weights``);
    by default demand may be split across sites (as in the OR-Library optima);
    ``single_sourcing=True`` forces one site per demand. ``p`` optionally fixes the number
    of sites.
    """

    model_name = "capacitated-facility-location"

    def __init__(self, cost, weights, demand, capacity, opening_cost, p, fixed, single_sourcing,
                 demand_labels=None, site_labels=None):
        super().__init__(cost, weights, fixed, demand_labels, site_labels)
        self.demand, self.capacity, self.opening_cost, self.p = demand, capacity, opening_cost, p
        self.single_sourcing = bool(single_sourcing)

    @classmethod
    def from_cost_matrix(cls, cost: Any, weights: Any = None, *, demand: Any, capacity: Any,
                         opening_cost: Any, p: int | None = None, fixed: Sequence[int] | None = None,
                         single_sourcing: bool = False, demand_labels: Sequence[str] | None = None,
                         site_labels: Sequence[str] | None = None) -> "CapacitatedFacilityLocation":
        c = _as_cost(cost)
        n, m = c.shape
        fx = _as_sites(fixed, m)
        pp = None if p is None else _as_p(p, m, fx)
        model = cls(c, _as_vector(weights, n, "weights"), _as_vector(demand, n, "demand", default=None),
                    _as_capacity(capacity, m), _as_vector(opening_cost, m, "opening_cost", default=None), pp, fx,
                    single_sourcing, _labels(demand_labels, n, "demand_labels"), _labels(site_labels, m, "site_labels"))
        model._require_reachable()
        return model

    def solve(self, time_limit_s: float = 60.0, solver: str = "auto", warm_start: bool = True,
              verbose: bool = False) -> LocationResult:
        t0 = time.perf_counter()
        return self._solve_mip(t0, _time_limit(time_limit_s), _solver(solver), warm_start, verbose)

    def _heuristic(self, W: np.ndarray, deadline: float, solver: str) -> tuple[np.ndarray, np.ndarray] | None:
        """Single sourcing only: open sites by cost per capacity until demand fits, then assign."""
        if not self.single_sourcing:
            return None
        if self.p is not None:
            return super()._heuristic(W, deadline, solver)
        score = self.opening_cost / np.maximum(self.capacity, 1e-12)
        order = [j for j in np.argsort(score, kind="stable") if j not in set(self.fixed.tolist())]
        sites = list(self.fixed.tolist())
        for j in order:
            if self.capacity[sites].sum() >= 1.2 * self.demand.sum():
                break
            sites.append(int(j))
        return _regret_assign(W, self.demand, self.capacity, np.asarray(sites, np.int64), self._allowed())
