"""p-center: binary search over cost levels, each step a set-covering decision."""
from __future__ import annotations

import math
import time
from typing import Any, Sequence

import numpy as np

from .. import heuristics as H
from ..result import LocationResult, SolveStatus
from ._base import (
    _NO_PLAN_MSG,
    _TIME_MSG,
    SOLVERS,
    _as_cost,
    _as_p,
    _as_sites,
    _as_vector,
    _labels,
    _LocationModel,
    _solver,
    _time_limit,
)
from .covering import _cover_mip, _dominance, _greedy_cover
from .median import PMedian


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
        """A p-center model over a cost matrix.

        Parameters
        ----------
        cost : array_like, shape (n_demands, n_sites)
            Cost of serving demand i from site j, >= 0; ``+inf`` forbids the pair.
        weights : array_like, shape (n_demands,), optional
            Factor on each demand's cost (default 1; 0 leaves the demand out).
        p : int
            How many sites open, the ``fixed`` ones included.
        fixed : sequence of int, optional
            Sites that must open.
        demand_labels, site_labels : sequence of str, optional
            Names that messages use instead of indices.

        Returns
        -------
        PCenter

        Raises
        ------
        InputError
            As :meth:`PMedian.from_cost_matrix`.
        """
        c = _as_cost(cost)
        n, m = c.shape
        fx = _as_sites(fixed, m)
        model = cls(c, _as_vector(weights, n, "weights"), _as_p(p, m, fx), fx,
                    _labels(demand_labels, n, "demand_labels"), _labels(site_labels, m, "site_labels"))
        model._require_reachable()
        return model

    def weighted_cost(self) -> np.ndarray:
        """``w_i * cost_ij`` with zero-weight demands at 0 (as :meth:`PMedian.weighted_cost`)."""
        return PMedian.weighted_cost(self)  # type: ignore[arg-type]

    def evaluate(self, sites: Sequence[int]) -> float:
        """Worst weighted cost for a given set of open sites (+inf if a demand reaches none)."""
        c = H.assignment_costs(self.weighted_cost(), np.asarray(sites, np.int64))
        return float(c.max()) if c.size else 0.0

    def solve(self, time_limit_s: float = 60.0, solver: str = "auto", warm_start: bool = True,
              verbose: bool = False) -> LocationResult:
        """Radius search: binary search over distinct costs, set-covering decision at each.

        Parameters
        ----------
        time_limit_s : float
            Wall-clock limit in seconds; when it runs out the best plan so far comes back.
        solver : str
            MIP engine, a key of ``optimize.mip.SOLVERS``: ``"auto"``/``"highs"``, ``"scip"``, ``"cp-sat"``.
        warm_start : bool
            Greedy + interchange first: its worst cost bounds the search from above.
        verbose : bool
            Print the MIP solver's log.

        Returns
        -------
        LocationResult
            The objective is the worst weighted cost; status as for :meth:`PMedian.solve`.

        Raises
        ------
        InputError
            ``time_limit_s`` is not a positive number or ``solver`` is unknown.
        """
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
        best_sites, best_r = self._incumbent(Wa, stats) if warm_start else (None, np.inf)
        lb = float(Wa.min(axis=1).max())                      # every demand needs some site
        vals = np.unique(Wa[np.isfinite(Wa)])
        vals = vals[vals >= lb]
        if math.isfinite(best_r):
            vals = vals[vals <= best_r]
        best_sites, best_r, lo, timed_out = self._search(Wa, vals, best_sites, best_r, deadline, solver, verbose,
                                                         stats)
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

    def _incumbent(self, Wa: np.ndarray, stats: dict[str, Any]) -> tuple[np.ndarray | None, float]:
        """Greedy + interchange: (sites, worst cost), or (None, inf) when some demand reaches none."""
        best_sites, best_r = None, np.inf
        s0 = H.greedy_pcenter(Wa, self.p, self.fixed)
        s1, r1 = H.interchange_pcenter(Wa, s0, self.fixed)
        r1 = float(H.assignment_costs(Wa, s1).max())
        if math.isfinite(r1):
            best_sites, best_r = s1, r1
        stats["heuristic_objective"] = r1
        return best_sites, best_r

    def _search(self, Wa: np.ndarray, vals: np.ndarray, best_sites: np.ndarray | None, best_r: float,
                deadline: float, solver: str, verbose: bool, stats: dict[str, Any]
                ) -> tuple[np.ndarray | None, float, int, bool]:
        """Binary search over the radii ``vals``, a covering decision at each: (best sites, their
        radius, index of the smallest radius not ruled out, whether time ran out)."""
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
        return best_sites, best_r, lo, timed_out

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
