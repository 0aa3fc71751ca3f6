"""Robust placement: p sites that serve well across several hazard scenarios.

Each scenario has its own cost matrix (travel times on its own damaged network: closed roads
give +inf, slowed roads longer times) and a probability. :class:`RobustPMedian` chooses one set
of p sites (the fixed ones included) for all of them and minimises

=============  ==================================================================================
``expected``   sum_s pi_s * cost_s(X)  — probability-weighted population-weighted response time
``worst``      max_s cost_s(X)          — the worst scenario's weighted time
``regret``     max_s (cost_s(X) - opt_s) — the largest loss against each scenario's own optimum
``center``     max_{s,i} w_i * c_s(i, X) — the worst (weighted) time of any demand in any scenario
               (demands that no candidate reaches in a scenario are left out: nothing changes them)
=============  ==================================================================================

where cost_s(X) = sum_i w_i * min_{j in X} c_s(i, j).

How each is solved:

* ``expected`` is exactly a p-median on the scenarios' rows stacked, each row weighted by
  pi_s * w_i, so it goes to :class:`~optimize.location.PMedian` (Lagrangian reductions and the
  radius MIP).
* ``center`` is exactly a p-center on the stacked rows, so it goes to
  :class:`~optimize.location.PCenter` (radius search with set covering).
* ``worst`` and ``regret`` are a min-max MIP (one assignment block per scenario and one
  epigraph row per scenario) on OR-Tools (HiGHS by default). ``regret`` first solves every
  scenario's own p-median (``PMedian``). A warm start (each scenario's optimum, the expected-
  value solution, then swap descent on the robust objective) gives the incumbent, whose value
  is the MIP's cutoff. When sites are fixed, a demand is never served by a candidate farther
  than its nearest fixed site, so those pairs are left out of the MIP (exact).

Unreachable pairs: with ``unreachable_penalty=None`` (default) a +inf pair is forbidden, and a
demand that no candidate reaches in some scenario is an :class:`~network.errors.InputError`
naming the scenario and the demands. With a number, every +inf pair costs that number instead
(e.g. the minutes until boats or receding water reach a cut-off village), so such demands
count with that time rather than stopping the solve.
"""
from __future__ import annotations

import math
import time
from collections.abc import Sequence
from itertools import combinations
from math import comb
from typing import Any

import numpy as np

from network.errors import InputError

from . import heuristics as H
from .location import PCenter, PMedian
from .location._base import (
    _TIME_MSG,
    _as_p,
    _as_sites,
    _as_vector,
    _labels,
    _solver,
    _time_limit,
)
from .mip import Mip
from .result import LocationResult, SolveStatus

__all__ = ["RobustPMedian", "ROBUST_OBJECTIVES"]

ROBUST_OBJECTIVES = ("expected", "worst", "regret", "center")


# ---------------------------------------------------------------------------- input checks
def _as_costs(costs: Any) -> list[np.ndarray]:
    if isinstance(costs, np.ndarray) and costs.ndim == 2:
        costs = [costs]
    try:
        mats = [np.array(c, dtype=np.float64) for c in costs]
    except (TypeError, ValueError) as exc:
        raise InputError(f"costs: expected a list of numeric matrices (demands x sites) ({exc})") from None
    if not mats:
        raise InputError("costs: need at least one scenario cost matrix")
    shape = mats[0].shape
    for s, a in enumerate(mats):
        if a.ndim != 2:
            raise InputError(f"costs[{s}]: expected a 2-D matrix (demands x sites), got {a.ndim} dimension(s)")
        if a.shape[0] == 0 or a.shape[1] == 0:
            raise InputError(f"costs[{s}]: empty matrix of shape {a.shape}")
        if a.shape != shape:
            raise InputError(f"costs[{s}]: shape {a.shape} differs from costs[0] {shape}; "
                             "every scenario needs the same demands and candidate sites")
        if np.isnan(a).any():
            i, j = np.argwhere(np.isnan(a))[0]
            raise InputError(f"costs[{s}]: NaN at demand {i}, site {j}; use +inf for an unreachable pair")
        if (a < 0).any():
            i, j = np.argwhere(a < 0)[0]
            raise InputError(f"costs[{s}]: negative value {a[i, j]:g} at demand {i}, site {j}")
    return mats


# ---------------------------------------------------------------------------- the model
class RobustPMedian:
    """Choose p sites for all scenarios at once (see the module docstring for the objectives)."""

    model_name = "robust-p-median"

    def __init__(self, costs: list[np.ndarray], weights: np.ndarray, probabilities: np.ndarray, p: int,
                 fixed: np.ndarray, objective: str, penalty: float | None, scenario_labels: list[str],
                 demand_labels: list[str] | None) -> None:
        self.costs = costs
        self.weights = weights
        self.probabilities = probabilities
        self.p = p
        self.fixed = fixed
        self.objective = objective
        self.unreachable_penalty = penalty
        self.scenario_labels = scenario_labels
        self.demand_labels = demand_labels

    @classmethod
    def from_cost_matrices(cls, costs: Sequence[Any], weights: Any = None, *, p: int,
                           probabilities: Any = None, fixed: Sequence[int] | None = None,
                           objective: str = "expected", unreachable_penalty: float | None = None,
                           scenario_labels: Sequence[str] | None = None,
                           demand_labels: Sequence[str] | None = None) -> "RobustPMedian":
        """A robust p-median model over one cost matrix per scenario.

        Parameters
        ----------
        costs : sequence of array_like, each shape (n_demands, n_sites)
            ``costs[s][i, j]``: cost of serving demand i from site j in scenario s, >= 0
            (``+inf``: unreachable); the same demands and sites in every scenario.
        weights : array_like, shape (n_demands,), optional
            Weight of each demand, e.g. people (default 1).
        p : int
            How many sites open, the ``fixed`` ones included.
        probabilities : array_like, shape (n_scenarios,), optional
            Scenario weights, normalised to sum 1 (default equal).
        fixed : sequence of int, optional
            Sites that must open.
        objective : str
            ``"expected"``, ``"worst"``, ``"regret"`` or ``"center"`` (see the module docstring).
        unreachable_penalty : float, optional
            Cost of every ``+inf`` pair; None forbids such pairs instead.
        scenario_labels, demand_labels : sequence of str, optional
            Names that messages and ``stats`` use.

        Returns
        -------
        RobustPMedian

        Raises
        ------
        InputError
            Malformed or mismatched matrices, weights or probabilities, an unknown objective, a
            bad ``p``, fixed index or penalty, or (without a penalty) a demand that no site
            reaches in some scenario.
        """
        mats = _as_costs(costs)
        n, m = mats[0].shape
        S = len(mats)
        if objective not in ROBUST_OBJECTIVES:
            raise InputError(f"objective: expected one of {', '.join(ROBUST_OBJECTIVES)}, got {objective!r}")
        w = _as_vector(weights, n, "weights")
        pi = _as_vector(probabilities, S, "probabilities")
        if pi.sum() <= 0:
            raise InputError("probabilities: at least one scenario needs a probability > 0")
        pi = pi / pi.sum()
        fx = _as_sites(fixed, m)
        pp = _as_p(p, m, fx)
        labels = _labels(scenario_labels, S, "scenario_labels") or [f"scenario {s}" for s in range(S)]
        dlabels = _labels(demand_labels, n, "demand_labels")
        penalty = None
        dead = [~np.isfinite(c).any(axis=1) for c in mats]  # demands no candidate reaches, per scenario
        if unreachable_penalty is not None:
            try:
                penalty = float(unreachable_penalty)
            except (TypeError, ValueError):
                raise InputError(f"unreachable_penalty: expected a number, got {unreachable_penalty!r}") from None
            if not math.isfinite(penalty) or penalty < 0:
                raise InputError(f"unreachable_penalty: must be a finite number >= 0, got {unreachable_penalty!r}")
            mats = [np.where(np.isfinite(c), c, penalty) for c in mats]
        else:
            for s, c in enumerate(mats):
                dead = ~np.isfinite(c).any(axis=1) & (w > 0)
                if dead.any():
                    idx = np.flatnonzero(dead)
                    names = ", ".join(dlabels[i] if dlabels else f"demand {i}" for i in idx[:10])
                    raise InputError(
                        f"scenario {labels[s]!r}: {len(idx)} demand(s) cannot reach any candidate site "
                        f"(all costs +inf): {names}{' ...' if len(idx) > 10 else ''}; "
                        "pass unreachable_penalty= to count them with a fixed time instead")
        model = cls([np.ascontiguousarray(c) for c in mats], w, pi, pp, fx, objective, penalty, labels, dlabels)
        model.unreachable_rows = dead
        return model

    # ------------------------------------------------------------------ evaluation
    @property
    def n_scenarios(self) -> int:
        """Number of scenarios (cost matrices)."""
        return len(self.costs)

    @property
    def n_demands(self) -> int:
        """Rows of each cost matrix."""
        return self.costs[0].shape[0]

    @property
    def n_sites(self) -> int:
        """Columns of each cost matrix (candidate sites)."""
        return self.costs[0].shape[1]

    def weighted_costs(self) -> list[np.ndarray]:
        """``w_i * c_s(i, j)`` per scenario, zero-weight demands at 0 (even where +inf); computed once."""
        cached = getattr(self, "_weighted", None)
        if cached is not None:
            return cached
        out = []
        for c in self.costs:
            with np.errstate(invalid="ignore"):
                W = self.weights[:, None] * c
            W[self.weights == 0] = 0.0
            W.flags.writeable = False
            out.append(np.ascontiguousarray(W))
        self._weighted = out
        return out

    def scenario_costs(self, sites: Sequence[int]) -> np.ndarray:
        """cost_s(X) for each scenario (+inf where some weighted demand reaches no open site)."""
        X = np.asarray(sites, np.int64)
        return np.array([float(H.assignment_costs(W, X).sum()) for W in self.weighted_costs()])

    def evaluate(self, sites: Sequence[int], optima: np.ndarray | None = None) -> float:
        """The model's objective for a given set of open sites (``optima`` needed for regret)."""
        X = np.asarray(sites, np.int64)
        if self.objective == "center":
            dead = getattr(self, "unreachable_rows", [np.zeros(self.n_demands, bool)] * self.n_scenarios)
            return float(max(np.max(H.assignment_costs(W, X)[~d], initial=0.0)
                             for W, d in zip(self.weighted_costs(), dead)))
        c = self.scenario_costs(X)
        if self.objective == "expected":
            return float(np.dot(self.probabilities, c))
        if self.objective == "worst":
            return float(c.max())
        if optima is None:
            raise InputError("evaluate: the regret objective needs each scenario's optimum (optima=)")
        return float((c - optima).max())

    def assignments(self, sites: Sequence[int]) -> np.ndarray:
        """Per scenario, each demand's cheapest open site (-1 when it reaches none): S x n."""
        X = np.asarray(sorted(int(j) for j in sites), np.int64)
        out = np.full((self.n_scenarios, self.n_demands), -1, np.int64)
        if X.size == 0:
            return out
        for s, c in enumerate(self.costs):
            sub = c[:, X]
            k = np.argmin(sub, axis=1)
            out[s] = X[k]
            out[s, ~np.isfinite(sub[np.arange(len(sub)), k])] = -1
        return out

    # ------------------------------------------------------------------ solve
    def solve(self, time_limit_s: float = 60.0, solver: str = "auto", warm_start: bool = True,
              method: str = "auto", verbose: bool = False) -> LocationResult:
        """Best plan within ``time_limit_s`` (proven optimal when the status says so).

        Parameters
        ----------
        time_limit_s : float
            Wall-clock limit in seconds; when it runs out the best plan so far comes back.
        solver : str
            MIP engine, a key of ``optimize.mip.SOLVERS``: ``"auto"``/``"highs"``, ``"scip"``, ``"cp-sat"``.
        warm_start : bool
            Heuristic incumbent (and cutoff) before the MIP.
        method : str
            For worst / regret: ``"auto"`` enumerates every choice of the free sites when that
            is cheap (few new sites: exact and fast), else solves the MIP; ``"mip"`` always
            solves the MIP.
        verbose : bool
            Print the MIP solver's log.

        Returns
        -------
        LocationResult
            ``stats`` holds per-scenario figures: ``scenario_costs``, ``expected_cost``,
            ``worst_cost``, ``assignments`` (S x n, one row per scenario; ``assignment`` is the
            first scenario's), and for regret ``scenario_optima``/``regrets``.

        Raises
        ------
        InputError
            A bad time limit, method or solver; for ``center``, no demand reachable anywhere.
        """
        tl = _time_limit(time_limit_s)
        if method not in ("auto", "mip"):
            raise InputError(f"method: expected 'auto' or 'mip', got {method!r}")
        key = _solver(solver)
        t0 = time.perf_counter()
        if self.objective in ("expected", "center"):
            return self._stacked(t0, tl, key, warm_start, verbose)
        return self._minmax(t0, tl, key, warm_start, verbose, method)

    def _finish(self, status: SolveStatus, objective: float | None, bound: float | None, sites: np.ndarray | None,
                t0: float, solver: str, message: str, optima: np.ndarray | None = None, **stats: Any) -> LocationResult:
        X = np.array(sorted(int(j) for j in (sites if sites is not None else [])), dtype=np.int64)
        if len(X):
            c = self.scenario_costs(X)
            A = self.assignments(X)
            stats.update(scenario_costs=c, expected_cost=float(np.dot(self.probabilities, c)), worst_cost=float(c.max()),
                         assignments=A, scenario_labels=self.scenario_labels, probabilities=self.probabilities)
            if optima is not None:
                stats.update(regrets=c - optima)
            assignment = A[0]
        else:
            assignment = np.full(self.n_demands, -1, np.int64)
        if optima is not None:
            stats["scenario_optima"] = optima
        if status is SolveStatus.OPTIMAL and objective is not None:
            bound = objective
        stats["objective_kind"] = self.objective
        return LocationResult(f"{self.model_name} ({self.objective})", status, objective, bound, X, assignment,
                              time.perf_counter() - t0, solver, message, stats)

    def _stacked(self, t0: float, tl: float, solver: str, warm_start: bool, verbose: bool) -> LocationResult:
        """expected / center: exact single-scenario models on the stacked rows."""
        S, n = self.n_scenarios, self.n_demands
        C = np.vstack(self.costs)
        if self.objective == "expected":
            w = np.concatenate([pi * self.weights for pi in self.probabilities])
            model = PMedian.from_cost_matrix(_stack_safe(C, w), w, p=self.p, fixed=self.fixed)
        else:
            # a demand no candidate reaches in a scenario costs the penalty whatever opens: it would
            # fix the worst case and hide every real difference, so it is left out of the center
            dead = np.concatenate(getattr(self, "unreachable_rows", [np.zeros(n, bool)] * S))
            w = np.where(dead, 0.0, np.tile(self.weights, S))
            if not (w > 0).any():
                raise InputError("center: no demand is reachable from any candidate site in any scenario")
            model = PCenter.from_cost_matrix(_stack_safe(C, w), w, p=self.p, fixed=self.fixed)
        res = model.solve(time_limit_s=tl, solver=solver, warm_start=warm_start, verbose=verbose)
        if not res.status.has_solution:
            return self._finish(res.status, None, res.best_bound, None, t0, res.solver, res.message,
                                stacked_rows=S * n)
        obj = self.evaluate(res.sites)
        bound = None if res.best_bound is None else min(res.best_bound, obj)
        return self._finish(res.status, obj, bound, res.sites, t0, f"{res.model}: {res.solver}", res.message,
                            stacked_rows=S * n, **{k: v for k, v in res.stats.items() if np.isscalar(v)})

    def _minmax(self, t0: float, tl: float, solver: str, warm_start: bool, verbose: bool,
                method: str = "auto") -> LocationResult:
        deadline = t0 + tl
        Ws = self.weighted_costs()
        S = self.n_scenarios
        stats: dict[str, Any] = {}
        optima = None
        starts: list[np.ndarray] = []
        # each scenario's own p-median: the regret reference, good starts, and a bound on t
        # (cost_s(X) >= LB_s, so worst >= max_s LB_s and regret >= max_s (LB_s - opt_s))
        t_lb = -np.inf
        if warm_start or self.objective == "regret":
            ub, lb, proven = np.zeros(S), np.zeros(S), []
            for s in range(S):
                share = 0.4 * (deadline - time.perf_counter()) / (S - s)
                r = PMedian.from_cost_matrix(_stack_safe(self.costs[s], self.weights), self.weights,
                                             p=self.p, fixed=self.fixed).solve(time_limit_s=max(share, 0.05), solver=solver)
                if not r.status.has_solution:
                    return self._finish(r.status, None, None, None, t0, r.solver,
                                        f"scenario {self.scenario_labels[s]!r}: {r.message}")
                ub[s] = r.objective
                lb[s] = r.best_bound if r.best_bound is not None else -np.inf
                proven.append(r.optimal)
                starts.append(r.sites)
            if self.objective == "regret":
                # an unproven scenario optimum is its best plan found: regrets are then underestimated
                optima = ub
                stats["scenario_optima_proven"] = proven
                t_lb = float(np.max(lb - ub))
            else:
                t_lb = float(np.max(lb))
        if method == "auto":
            found = self._enumerate(Ws, optima, deadline)
            if found is not None:
                return self._finish(SolveStatus.OPTIMAL, found[1], found[1], found[0], t0,
                                    "enumeration of every choice of free sites", "", optima, **stats)
        if warm_start:
            stacked = np.vstack([pi * W for pi, W in zip(self.probabilities, Ws)])
            starts.append(H.pmedian_heuristic(stacked, self.p, self.fixed)[0])
        else:
            starts = []
        best, best_obj = None, np.inf
        for X in starts:
            v = self.evaluate(X, optima)
            if v < best_obj:
                best, best_obj = np.sort(np.asarray(X, np.int64)), v
        if best is not None:
            best, best_obj = self._descent(best, best_obj, optima, t0 + 0.3 * tl)
            stats["heuristic_objective"] = best_obj
        if best is not None and best_obj <= t_lb + 1e-9 * max(1.0, abs(best_obj)):
            return self._finish(SolveStatus.OPTIMAL, best_obj, best_obj, best, t0,
                                "scenario p-median bounds (no MIP needed)", "", optima, **stats)
        mip, y, _, pairs = self._build(Ws, optima, t_lb)
        stats.update(mip_vars=mip.n_vars, mip_rows=mip.n_rows, pairs_kept=pairs,
                     pairs_before=int(sum(np.isfinite(W).sum() for W in Ws)))
        cutoff = None
        if best is not None and math.isfinite(best_obj):
            cutoff = best_obj - 1e-9 * max(1.0, abs(best_obj))
        left = deadline - time.perf_counter()
        out = mip.solve(solver, max(left, 0.05), cutoff=cutoff, verbose=verbose)
        name = f"{out.solver} (min-max MIP)"
        if out.x is not None:
            X = np.flatnonzero(out.x[y] > 0.5)
            v = self.evaluate(X, optima)
            if v < best_obj:
                best, best_obj = X, v
        if best is None or not math.isfinite(best_obj):
            if out.status == "infeasible":
                return self._finish(SolveStatus.INFEASIBLE, None, None, None, t0, name,
                                    "no choice of p sites lets every demand reach an open site in every scenario "
                                    "(check the +inf costs or pass unreachable_penalty=)", optima, **stats)
            return self._finish(SolveStatus.NO_SOLUTION_IN_TIME, None, out.bound, None, t0, name,
                                "time limit reached before any plan was found", optima, **stats)
        # with a cutoff just below the incumbent, "infeasible" proves the incumbent optimal
        proved = out.status in ("optimal", "infeasible")
        status = SolveStatus.OPTIMAL if proved else SolveStatus.FEASIBLE
        bound = best_obj if proved else (None if out.bound is None else min(max(out.bound, t_lb), best_obj))
        return self._finish(status, best_obj, bound, best, t0, name, "" if proved else _TIME_MSG, optima, **stats)

    def _enumerate(self, Ws: list[np.ndarray], optima: np.ndarray | None, deadline: float,
                   max_work: float = 3e8) -> tuple[np.ndarray, float] | None:
        """The exact optimum by trying every set of free sites, when that takes at most ``max_work``
        element operations (typically one to three new sites); None when too large or out of time."""
        n, m = self.n_demands, self.n_sites
        free = np.setdiff1d(np.arange(m), self.fixed)
        k = self.p - len(self.fixed)
        if k == 0:
            return self.fixed.copy(), self.evaluate(self.fixed, optima)
        if float(comb(len(free), k - 1)) * n * len(free) * len(Ws) > max_work:
            return None
        ref = np.zeros((len(Ws), 1)) if optima is None else np.asarray(optima, float)[:, None]
        base = [W[:, self.fixed].min(axis=1) if len(self.fixed) else np.full(n, np.inf) for W in Ws]
        best, best_obj = None, np.inf
        for prefix in combinations(range(len(free)), k - 1):
            if time.perf_counter() > deadline:
                return None
            start = prefix[-1] + 1 if prefix else 0
            cand = free[start:]
            if cand.size == 0:
                continue
            pre = free[list(prefix)]
            cost = np.empty((len(Ws), cand.size))
            for s, W in enumerate(Ws):
                b = np.minimum(base[s], W[:, pre].min(axis=1)) if len(pre) else base[s]
                cost[s] = np.minimum(b[:, None], W[:, cand]).sum(axis=0)
            obj = (cost - ref).max(axis=0)
            j = int(np.argmin(obj))
            if obj[j] < best_obj:
                best, best_obj = np.concatenate([self.fixed, pre, [cand[j]]]), float(obj[j])
        if best is None or not math.isfinite(best_obj):
            return None
        best = np.sort(best)
        return best, self.evaluate(best, optima)

    def _descent(self, X: np.ndarray, obj: float, optima: np.ndarray | None, until: float) -> tuple[np.ndarray, float]:
        """First-improvement swaps of one free site on the robust objective, until none helps."""
        fixed = set(self.fixed.tolist())
        improved = True
        while improved and time.perf_counter() < until:
            improved = False
            for pos, j in enumerate(X):
                if int(j) in fixed:
                    continue
                for k in range(self.n_sites):
                    if k in X:
                        continue
                    Y = X.copy()
                    Y[pos] = k
                    v = self.evaluate(Y, optima)
                    if v < obj - 1e-9 * max(1.0, abs(obj)):
                        X, obj, improved = np.sort(Y), v, True
                        break
                if improved or time.perf_counter() >= until:
                    break
        return X, obj

    def _build(self, Ws: list[np.ndarray], optima: np.ndarray | None, t_lb: float = -np.inf
               ) -> tuple[Mip, np.ndarray, int, int]:
        """min t  s.t.  sum_ij W_s x_sij - t <= ref_s,  sum_j x_sij = 1,  x_sij <= y_j,  sum y = p."""
        m = self.n_sites
        mip = Mip()
        y = mip.add_vars(m, 0.0, 1.0, integer=True)
        t = int(mip.add_vars(1, t_lb, np.inf, obj=1.0)[0])
        mip.add_rows(np.zeros(m, np.int64), y, 1.0, float(self.p), float(self.p), 1)
        if len(self.fixed):
            mip.set_lb(y[self.fixed], 1.0)
        kept = 0
        for s, W in enumerate(Ws):
            active = self.weights > 0
            const = 0.0
            ok = np.isfinite(W) & active[:, None]
            if len(self.fixed):
                # a demand is served by its nearest fixed site or by something nearer (exact)
                Wf = W[:, self.fixed]
                kf = np.argmin(Wf, axis=1)
                bf = Wf[np.arange(len(W)), kf]
                ok &= W < bf[:, None]
                fin = np.isfinite(bf)
                ok[np.flatnonzero(fin), self.fixed[kf[fin]]] = True
                single = fin & (ok.sum(axis=1) == 1) & active
                const = float(bf[single].sum())
                ok[single] = False
            rows_i = np.flatnonzero(ok.any(axis=1))
            ii, jj = np.nonzero(ok)
            kept += len(ii)
            x = mip.add_vars(len(ii), 0.0, 1.0)
            r = np.full(len(W), -1, np.int64)
            r[rows_i] = np.arange(len(rows_i))
            mip.add_rows(r[ii], x, 1.0, 1.0, 1.0, len(rows_i))
            k = np.arange(len(ii))
            mip.add_rows(np.concatenate([k, k]), np.concatenate([x, y[jj]]),
                         np.concatenate([np.ones(len(ii)), -np.ones(len(ii))]), -np.inf, 0.0, len(ii))
            ref = 0.0 if optima is None else float(optima[s])
            mip.add_rows(np.zeros(len(ii) + 1, np.int64), np.append(x, t), np.append(W[ii, jj], -1.0),
                         -np.inf, ref - const, 1)
        return mip, y, t, kept


def _stack_safe(C: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Rows of zero weight cost nothing anywhere: make them finite so they never block a model."""
    C = C.copy()
    C[w == 0] = 0.0
    return C
