"""Capacitated location-allocation: capacitated p-median and facility location (single or split sourcing)."""
from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np

from .. import heuristics as H
from ..mip import Mip
from ..result import LocationResult, SolveStatus
from ._base import (
    _NO_PLAN_MSG,
    _TIME_MSG,
    _as_cost,
    _as_p,
    _as_sites,
    _as_vector,
    _ceil_bound,
    _integral,
    _labels,
    _LocationModel,
    _solver,
    _threshold,
    _time_limit,
)
from .median import PMedian


def _as_capacity(capacity: Any, m: int) -> np.ndarray:
    return _as_vector(capacity, m, "capacity", default=None)


class _Capacitated(_LocationModel):
    """Shared parts of the single/split-sourcing capacitated models."""

    demand: np.ndarray
    capacity: np.ndarray
    p: int | None
    single_sourcing: bool

    def weighted_cost(self) -> np.ndarray:
        """``w_i * cost_ij`` with zero-weight demands at 0 (as :meth:`PMedian.weighted_cost`)."""
        return PMedian.weighted_cost(self)  # type: ignore[arg-type]

    def solve(self, time_limit_s: float = 60.0, solver: str = "auto", warm_start: bool = True,
              verbose: bool = False) -> LocationResult:
        """Solve to proven optimality within ``time_limit_s`` (else best plan + gap).

        Parameters
        ----------
        time_limit_s : float
            Wall-clock limit in seconds; when it runs out the best plan so far comes back.
        solver : str
            MIP engine, a key of ``optimize.mip.SOLVERS``: ``"auto"``/``"highs"``, ``"scip"``, ``"cp-sat"``.
        warm_start : bool
            Heuristic incumbent first and, for single-sourcing p-median forms with integer
            demand, Lagrangian knapsack reductions (hint and cutoff for the MIP).
        verbose : bool
            Print the MIP solver's log.

        Returns
        -------
        LocationResult
            ``stats`` has each open site's ``load`` and ``utilisation`` and, with split demand,
            ``shares`` ((demand, site) -> share). INFEASIBLE when capacity cannot hold the
            demand; the message says how much stays unserved.

        Raises
        ------
        InputError
            ``time_limit_s`` is not a positive number or ``solver`` is unknown.
        """
        t0 = time.perf_counter()
        return self._solve_mip(t0, _time_limit(time_limit_s), _solver(solver), warm_start, verbose)

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
               ) -> tuple[Mip, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        W = self.weighted_cost()
        n, m = W.shape
        ok = self._allowed() if allowed is None else allowed
        ii, jj = np.nonzero(ok)
        mip = Mip()
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
        """Precheck, incumbent and reductions, then the MIP with the incumbent as hint and cutoff."""
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
            plan, plan_obj, allowed, cutoff, proved = self._incumbent(W, allowed, integral, deadline, solver, stats)
            if proved:
                return self._result(SolveStatus.OPTIMAL, plan_obj, plan_obj, plan[0], plan[1], t0,
                                    "reductions (Lagrangian knapsack bound)", **stats)
        mip, y, x, ii, jj = self._build(self.single_sourcing, allowed=allowed)
        if plan is not None:
            hint = self._hint(plan, y, x, ii, jj)
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
        return self._mip_plan(W, out, y, x, ii, jj, integral, mb, t0, name, stats)

    def _incumbent(self, W: np.ndarray, allowed: np.ndarray, integral: bool, deadline: float, solver: str,
                   stats: dict[str, Any]):
        """Heuristic plan, then Lagrangian reductions: (plan, cost, allowed pairs, MIP cutoff, proved optimal)."""
        plan = self._heuristic(W, deadline, solver)
        if plan is None:
            return None, None, allowed, None, False
        plan_obj = self._plan_cost(W, *plan)
        stats["heuristic_objective"] = plan_obj
        red = self._reduce(W, allowed, plan, plan_obj, integral, deadline, solver, stats)
        if red is None:
            return plan, plan_obj, allowed, None, False
        plan, plan_obj, allowed, proved = red
        return plan, plan_obj, allowed, None if proved else _threshold(plan_obj, integral), proved

    def _hint(self, plan: tuple[np.ndarray, np.ndarray], y: np.ndarray, x: np.ndarray, ii: np.ndarray,
              jj: np.ndarray) -> dict[int, float]:
        """The MIP's variable values for ``plan`` (pairs the reductions removed stay 0)."""
        sites, assign = plan
        pos = {(int(i), int(j)): k for k, (i, j) in enumerate(zip(ii, jj))}
        xh = np.zeros(len(ii))
        for i, j in enumerate(assign):
            if (i, int(j)) in pos:
                xh[pos[(i, int(j))]] = 1.0
        yh = np.zeros(self.n_sites)
        yh[sites] = 1.0
        return {int(v): float(val) for v, val in zip(np.concatenate([y, x]), np.concatenate([yh, xh]))}

    def _mip_plan(self, W: np.ndarray, out, y: np.ndarray, x: np.ndarray, ii: np.ndarray, jj: np.ndarray,
                  integral: bool, mb: float | None, t0: float, name: str, stats: dict[str, Any]) -> LocationResult:
        """The result of the MIP's own plan: sites, assignment, loads and (split sourcing) shares."""
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
        if best is not None:
            # a fifth of the time at most: the incumbent's quality decides how much the
            # Lagrangian reductions can remove, and so whether the MIP can prove it
            now = time.perf_counter()
            best = self._swap_search(W, best, now + 0.2 * max(deadline - now, 0.0), solver)
        return best

    def _swap_search(self, W: np.ndarray, plan: tuple[np.ndarray, np.ndarray], deadline: float, solver: str,
                     tries: int = 4) -> tuple[np.ndarray, np.ndarray]:
        """Site swaps: rank every (close one, open another) by a regret-ordered assignment,
        then assign the best few exactly; take the first that lowers the cost; repeat."""
        allowed = self._allowed()
        cost = self._plan_cost(W, *plan)
        fixed = set(self.fixed.tolist())
        usable = np.flatnonzero(allowed.any(axis=0))
        while time.perf_counter() < deadline:
            sites = plan[0]
            ranked = []
            for s in sites:
                if int(s) in fixed:
                    continue
                for c in usable:
                    if c in sites:
                        continue
                    trial = np.sort(np.append(sites[sites != s], c))
                    quick = _regret_assign(W, self.demand, self.capacity, trial, allowed)
                    if quick is not None:
                        ranked.append((self._plan_cost(W, *quick), tuple(trial.tolist())))
                if time.perf_counter() >= deadline:
                    return plan
            ranked.sort()
            improved = False
            for _, trial in ranked[:tries]:
                left = deadline - time.perf_counter()
                if left <= 0:
                    return plan
                exact = self._gap(W, np.asarray(trial, np.int64), left, solver)
                if exact is not None and self._plan_cost(W, *exact) < cost - 1e-9:
                    plan, cost, improved = exact, self._plan_cost(W, *exact), True
                    break
            if not improved:
                return plan
        return plan

    def _gap(self, W: np.ndarray, sites: np.ndarray, time_limit: float, solver: str
             ) -> tuple[np.ndarray, np.ndarray] | None:
        """Best single-source assignment to the given open sites (a small exact MIP)."""
        ok = np.zeros_like(W, dtype=bool)
        ok[:, sites] = self._allowed()[:, sites]
        if not ok.any(axis=1).all() or time_limit <= 0:
            return None
        ii, jj = np.nonzero(ok)
        mip = Mip()
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
        if t >= deadline:
            return None
        forced = np.zeros(m, bool)
        forced[self.fixed] = True
        closed = ~allowed.any(axis=0) & ~forced
        lam0 = H.initial_multipliers(np.where(allowed, W, np.inf))
        T = _threshold(plan_obj, integral)
        kw = dict(forced=forced, closed=closed, allowed=allowed, stop_above=T)
        # a few subgradient steps first, to learn what one costs: the knapsacks grow with
        # capacity x demands x sites, and the time limit must hold on large instances
        L, lam, it = H.lagrangian_cpmp(W, di, q, self.p, plan_obj, lam0=lam0, max_iter=10, **kw)
        per_step = (time.perf_counter() - t) / max(it, 1)
        budget = int(0.4 * (deadline - time.perf_counter()) / max(per_step, 1e-9))
        if L < T and budget >= 10:
            L2, lam2, it2 = H.lagrangian_cpmp(W, di, q, self.p, plan_obj, lam0=lam, max_iter=min(3000, budget), **kw)
            it += it2
            if L2 > L:
                L, lam = L2, lam2
        if time.perf_counter() + 2 * per_step >= deadline:
            return None
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
        """A capacitated p-median model (single sourcing) over a cost matrix.

        Parameters
        ----------
        cost : array_like, shape (n_demands, n_sites)
            Cost of serving demand i from site j, >= 0; ``+inf`` forbids the pair.
        weights : array_like, shape (n_demands,), optional
            Factor on each demand's cost, e.g. people (default 1).
        demand : array_like, shape (n_demands,)
            Size of each demand, in capacity units.
        capacity : float or array_like, shape (n_sites,)
            What each site holds: one number for all or one per site.
        p : int
            How many sites open, the ``fixed`` ones included.
        fixed : sequence of int, optional
            Sites that must open.
        demand_labels, site_labels : sequence of str, optional
            Names that messages use instead of indices.

        Returns
        -------
        CapacitatedPMedian

        Raises
        ------
        InputError
            A malformed matrix or vector, a missing demand or capacity, a bad ``p`` or fixed
            index, or a demand that reaches no site.
        """
        c = _as_cost(cost)
        n, m = c.shape
        fx = _as_sites(fixed, m)
        model = cls(c, _as_vector(weights, n, "weights"), _as_vector(demand, n, "demand", default=None),
                    _as_capacity(capacity, m), _as_p(p, m, fx), fx,
                    _labels(demand_labels, n, "demand_labels"), _labels(site_labels, m, "site_labels"))
        model._require_reachable()
        return model


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
        """A capacitated facility location model (fixed opening costs) over a cost matrix.

        Parameters
        ----------
        cost : array_like, shape (n_demands, n_sites)
            Cost of serving all of demand i from site j, >= 0; ``+inf`` forbids the pair.
        weights : array_like, shape (n_demands,), optional
            Factor on each demand's cost (default 1).
        demand : array_like, shape (n_demands,)
            Size of each demand, in capacity units.
        capacity : float or array_like, shape (n_sites,)
            What each site holds: one number for all or one per site.
        opening_cost : float or array_like, shape (n_sites,)
            Fixed cost of opening each site.
        p : int, optional
            Exactly this many sites open (default: as many as pay off).
        fixed : sequence of int, optional
            Sites that must open.
        single_sourcing : bool
            Serve each demand from one site (default: demand may be split).
        demand_labels, site_labels : sequence of str, optional
            Names that messages use instead of indices.

        Returns
        -------
        CapacitatedFacilityLocation

        Raises
        ------
        InputError
            A malformed matrix or vector, a missing demand, capacity or opening cost, a bad
            ``p`` or fixed index, or a demand that reaches no site.
        """
        c = _as_cost(cost)
        n, m = c.shape
        fx = _as_sites(fixed, m)
        pp = None if p is None else _as_p(p, m, fx)
        model = cls(c, _as_vector(weights, n, "weights"), _as_vector(demand, n, "demand", default=None),
                    _as_capacity(capacity, m), _as_vector(opening_cost, m, "opening_cost", default=None), pp, fx,
                    single_sourcing, _labels(demand_labels, n, "demand_labels"), _labels(site_labels, m, "site_labels"))
        model._require_reachable()
        return model

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
