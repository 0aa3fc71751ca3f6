"""p-median: Elloumi's radius formulation after Lagrangian reductions (see the package docstring)."""
from __future__ import annotations

import math
import time
from typing import Any, Sequence

import numpy as np

from .. import heuristics as H
from ..mip import Mip
from ..result import LocationResult, SolveStatus
from ._base import (
    _NO_PLAN_MSG,
    _TIME_MSG,
    SOLVERS,
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
        """A p-median model over a cost matrix.

        Parameters
        ----------
        cost : array_like, shape (n_demands, n_sites)
            Cost of serving demand i from site j, >= 0; ``+inf`` forbids the pair.
        weights : array_like, shape (n_demands,), optional
            Weight of each demand, e.g. people (default 1; 0 leaves the demand out).
        p : int
            How many sites open, the ``fixed`` ones included.
        fixed : sequence of int, optional
            Sites that must open.
        demand_labels, site_labels : sequence of str, optional
            Names that messages use instead of indices.

        Returns
        -------
        PMedian

        Raises
        ------
        InputError
            A malformed cost matrix or weight vector, ``p`` outside 1..n_sites or below the
            number of fixed sites, a bad fixed index, or a demand that reaches no site.
        """
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

        Parameters
        ----------
        time_limit_s : float
            Wall-clock limit in seconds; when it runs out the best plan so far comes back.
        solver : str
            MIP engine, a key of ``optimize.mip.SOLVERS``: ``"auto"``/``"highs"``, ``"scip"``, ``"cp-sat"``.
        warm_start : bool
            Greedy + interchange incumbent first (hint and cutoff for the MIP).
        reduce : bool
            Lagrangian bound, reduced-cost fixing and probing before the MIP (needs the warm start).
        verbose : bool
            Print the MIP solver's log.

        Returns
        -------
        LocationResult
            Status OPTIMAL, FEASIBLE (time limit, with bound and gap), INFEASIBLE (no p sites
            reach every demand) or NO_SOLUTION_IN_TIME; ``stats`` reports the reductions.

        Raises
        ------
        InputError
            ``time_limit_s`` is not a positive number or ``solver`` is unknown.
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
        """Seconds until the deadline."""
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
        m, p = self.m, self.p
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
            probes += self._probe(Wr, fr, free, insel, close, open_, rho - kth, lam, T)
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

    def _probe(self, Wr: np.ndarray, fr: np.ndarray, free: np.ndarray, insel: np.ndarray, close: np.ndarray,
               open_: np.ndarray, margin: np.ndarray, lam: np.ndarray, T: float) -> int:
        """Probing: force a site open (or closed) and re-optimise the multipliers briefly; a bound
        above ``T`` closes (opens) it in ``close`` (``open_``). Returns the number of probes."""
        p = self.p
        probes = 0
        order = np.argsort(-margin, kind="mergesort")
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
        return probes

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


def _radius_model(W: np.ndarray, p: int, forced: np.ndarray, integral_z: bool = False) -> tuple[Mip, np.ndarray]:
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
    mip = Mip()
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
