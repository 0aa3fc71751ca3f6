"""Set covering core (dominance, greedy, MIP) and the covering models: maximal and location-set covering."""
from __future__ import annotations

import math
import time
from typing import Any, Sequence

import numpy as np

from .. import heuristics as H
from ..mip import Mip, MipOutcome
from ..result import LocationResult, SolveStatus
from ._base import (
    _NO_PLAN_MSG,
    _TIME_MSG,
    SOLVERS,
    _as_cost,
    _as_p,
    _as_radius,
    _as_sites,
    _as_vector,
    _integral,
    _labels,
    _LocationModel,
    _solver,
    _time_limit,
)


def _contained_columns(sub: np.ndarray, superset: bool = False) -> np.ndarray:
    """Columns of a 0/1 matrix whose set of rows lies within another column's (``superset``:
    contains another's); of equal columns all but the lowest index count."""
    size = sub.sum(axis=0)
    inter = sub.T @ sub                                           # |col a & col b|
    # a subset of b: |a & b| = |a|; a superset of b: |a & b| = |b|
    rel = inter >= (size[None, :] if superset else size[:, None]) - 0.5
    eq = rel & rel.T
    np.fill_diagonal(rel, False)
    lower = np.tril(np.ones_like(eq), -1).astype(bool)           # b < a
    return (rel & ~eq).any(axis=1) | (eq & lower).any(axis=1)


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
            dominated = _contained_columns(B[np.ix_(ri, ci)].astype(np.float32))
            if keep_cols is not None:
                dominated &= ~keep_cols[ci]
            if dominated.any():
                cols[ci[dominated]] = False
                changed = True
        ri, ci = np.flatnonzero(rows), np.flatnonzero(cols)
        if 1 < len(ri) <= 4000 and len(ri) * len(ri) * len(ci) <= 4e9:
            redundant = _contained_columns(B[np.ix_(ri, ci)].astype(np.float32).T, superset=True)
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
               hint: np.ndarray | None = None, decision: bool = False) -> MipOutcome:
    """min sum y s.t. every row covered (and sum y <= budget); decision=True stops at any cover."""
    R, C = B.shape
    mip = Mip()
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
        """A maximal covering model over a cost matrix.

        Parameters
        ----------
        cost : array_like, shape (n_demands, n_sites)
            Cost of serving demand i from site j, >= 0; ``+inf`` never covers.
        weights : array_like, shape (n_demands,), optional
            What covering each demand is worth, e.g. people (default 1).
        service_radius : float
            The standard, in cost units (e.g. 1800 s for 30 minutes): covered means cost <= it.
        p : int
            How many sites open, the ``fixed`` ones included.
        fixed : sequence of int, optional
            Sites that must open.
        demand_labels, site_labels : sequence of str, optional
            Names that messages use instead of indices.

        Returns
        -------
        MaximalCovering

        Raises
        ------
        InputError
            A malformed matrix or vector, a negative or non-finite radius, or a bad ``p`` or fixed index.
        """
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
        """Most weight within the radius: a MIP over distinct covering sets after column dominance.

        Parameters
        ----------
        time_limit_s : float
            Wall-clock limit in seconds; when it runs out the best plan so far comes back.
        solver : str
            MIP engine, a key of ``optimize.mip.SOLVERS``: ``"auto"``/``"highs"``, ``"scip"``, ``"cp-sat"``.
        warm_start : bool
            Greedy cover first (MIP hint, and the answer if the MIP finds nothing better in time).
        verbose : bool
            Print the MIP solver's log.

        Returns
        -------
        LocationResult
            The objective is the covered weight; ``stats`` has ``covered`` (a mask),
            ``covered_share`` and ``uncovered_demands``.

        Raises
        ------
        InputError
            ``time_limit_s`` is not a positive number or ``solver`` is unknown.
        """
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
            Bu, wl = self._merged_rows(B, live)
            cols = Bu.any(axis=0)
            cols[fixed] = False
            ci = np.flatnonzero(cols)
            if len(ci) <= budget:
                chosen = ci
            else:
                out, chosen, name = self._mip(Bu, wl, ci, budget, solver, t0, tl, warm_start, verbose, stats)
                if chosen is None:
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

    def _merged_rows(self, B: np.ndarray, live: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One row per distinct covering set of the ``live`` demands (fixed sites left out), with the summed weight."""
        fixed = self.fixed
        Bl = B[live]
        Bl[:, fixed] = False
        keys, inv = np.unique(np.packbits(Bl, axis=1), axis=0, return_inverse=True)
        inv = inv.ravel()
        wl = np.bincount(inv, weights=self.weights[live])
        rep = np.zeros(len(keys), np.int64)
        rep[inv] = np.flatnonzero(live)
        Bu = B[rep]
        Bu[:, fixed] = False
        return Bu, wl

    def _mip(self, Bu: np.ndarray, wl: np.ndarray, ci: np.ndarray, budget: int, solver: str, t0: float, tl: float,
             warm_start: bool, verbose: bool, stats: dict[str, Any]) -> tuple[MipOutcome, np.ndarray | None, str]:
        """Maximal covering MIP over candidate columns ``ci`` with a greedy warm start: (outcome, sites, solver)."""
        sub = Bu[:, ci]
        # column dominance is valid here: a subset site never covers more
        _, cmask = _dominance_columns_only(sub)
        ci, sub = ci[cmask], sub[:, cmask]
        g = _greedy_max_cover(sub, wl, budget) if warm_start else None
        mip = Mip()
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
        if out.x is None:
            return out, None if g is None else ci[g], name
        chosen = ci[np.flatnonzero(out.x[y] > 0.5)]
        # after a time limit the greedy plan may still be the better one
        if g is not None and out.status != "optimal" and \
                wl[sub[:, g].any(axis=1)].sum() > wl[Bu[:, chosen].any(axis=1)].sum():
            chosen = ci[g]
        return out, chosen, name

def _dominance_columns_only(B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column dominance only (for maximal covering rows must all stay)."""
    cols = B.any(axis=0)
    ci = np.flatnonzero(cols)
    if 1 < len(ci) <= 4000 and B.shape[0] * len(ci) * len(ci) <= 4e9:
        cols[ci[_contained_columns(B[:, ci].astype(np.float32))]] = False
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
        """A location set covering model over a cost matrix.

        Parameters
        ----------
        cost : array_like, shape (n_demands, n_sites)
            Cost of serving demand i from site j, >= 0; ``+inf`` never covers.
        weights : array_like, shape (n_demands,), optional
            Only demands of positive weight must be covered (default 1: all).
        service_radius : float
            The standard, in cost units: covered means cost <= it.
        fixed : sequence of int, optional
            Sites that must open.
        demand_labels, site_labels : sequence of str, optional
            Names that messages use instead of indices.

        Returns
        -------
        LocationSetCovering

        Raises
        ------
        InputError
            A malformed matrix or vector, a negative or non-finite radius, or a bad fixed index.
        """
        c = _as_cost(cost)
        n, m = c.shape
        return cls(c, _as_vector(weights, n, "weights"), _as_radius(service_radius), _as_sites(fixed, m),
                   _labels(demand_labels, n, "demand_labels"), _labels(site_labels, m, "site_labels"))

    def solve(self, time_limit_s: float = 60.0, solver: str = "auto", warm_start: bool = True,
              verbose: bool = False) -> LocationResult:
        """Fewest sites covering every demand: set-covering MIP after row and column dominance.

        Parameters
        ----------
        time_limit_s : float
            Wall-clock limit in seconds; when it runs out the best plan so far comes back.
        solver : str
            MIP engine, a key of ``optimize.mip.SOLVERS``: ``"auto"``/``"highs"``, ``"scip"``, ``"cp-sat"``.
        warm_start : bool
            Greedy cover first (MIP hint, and the answer if the MIP finds nothing smaller in time).
        verbose : bool
            Print the MIP solver's log.

        Returns
        -------
        LocationResult
            The objective is the number of sites; INFEASIBLE, naming the demands, when some
            demand has no site within the radius.

        Raises
        ------
        InputError
            ``time_limit_s`` is not a positive number or ``solver`` is unknown.
        """
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
