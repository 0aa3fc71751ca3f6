"""Fast heuristics and bounds that warm-start and shrink the exact location models.

* :func:`greedy_pmedian` — greedy add from the fixed sites.
* :func:`interchange` — Teitz–Bart vertex substitution with Whitaker's fast swap evaluation.
* :func:`pmedian_heuristic` — both, the usual warm start.
* :func:`lagrangian_pmedian` — subgradient optimisation of the p-median Lagrangian dual
  (assignment rows relaxed). Its bound equals the LP bound; its multipliers drive the
  reduced-cost fixing in :mod:`optimize.location`.
* :func:`greedy_pcenter` / :func:`interchange_pcenter` — farthest-first start and a minimax
  vertex substitution for the p-center.
* :func:`lagrangian_cpmp` / :func:`cpmp_site_values` — the capacitated p-median Lagrangian
  (one 0/1 knapsack per site, integer demands) and its per-site / per-pair fixing values.

All work on a dense *weighted* cost matrix ``W`` (demands x sites). The numba kernels live in
:mod:`optimize.location_kernels`; each has a plain numpy twin here (``*_reference``) that the
tests compare against.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from . import location_kernels as K

__all__ = [
    "penalised", "greedy_pmedian", "interchange", "pmedian_heuristic", "LagrangianBound",
    "lagrangian_pmedian", "greedy_pcenter", "interchange_pcenter", "assignment_costs",
    "greedy_reference", "interchange_reference", "lagrangian_reference",
    "interchange_pcenter_reference", "lagrangian_cpmp", "cpmp_site_values", "cpmp_site_values_reference",
]


# ---------------------------------------------------------------------------- helpers
def penalised(W: np.ndarray) -> np.ndarray:
    """``W`` with forbidden pairs (+inf) replaced by a penalty larger than any finite plan.

    Heuristics compare sums, so they need finite numbers; a plan still using a penalty
    pair is recognised by its cost (>= the penalty).
    """
    W = np.asarray(W, dtype=np.float64)
    finite = np.isfinite(W)
    if finite.all():
        return np.ascontiguousarray(W)
    top = float(W[finite].max()) if finite.any() else 1.0
    big = (abs(top) + 1.0) * (W.shape[0] + 1) * 4.0
    return np.ascontiguousarray(np.where(finite, W, big))


def penalty_level(W: np.ndarray) -> float:
    """Smallest cost that means "some pair is forbidden" for :func:`penalised` matrices."""
    finite = np.isfinite(W)
    if finite.all():
        return np.inf
    top = float(W[finite].max()) if finite.any() else 1.0
    return (abs(top) + 1.0) * (W.shape[0] + 1) * 4.0


def assignment_costs(W: np.ndarray, sites: Sequence[int]) -> np.ndarray:
    """Cost of each demand at its cheapest open site (inf when none is allowed)."""
    sites = np.asarray(sites, dtype=np.int64)
    if sites.size == 0:
        return np.full(W.shape[0], np.inf)
    return W[:, sites].min(axis=1)


def _fixed_array(fixed: Sequence[int] | np.ndarray | None) -> np.ndarray:
    return np.asarray([] if fixed is None else list(fixed), dtype=np.int64)


# ---------------------------------------------------------------------------- p-median
def greedy_pmedian(W: np.ndarray, p: int, fixed: Sequence[int] = ()) -> np.ndarray:
    """Greedy add (numba): fixed sites first, then the p - |fixed| best additions."""
    return K.greedy_kernel(penalised(W), int(p), _fixed_array(fixed))


def interchange(W: np.ndarray, sites: Sequence[int], fixed: Sequence[int] = (),
                allowed: np.ndarray | None = None, max_swaps: int = 1_000_000
                ) -> tuple[np.ndarray, float]:
    """Improve ``sites`` by best-improvement swaps until none helps; fixed sites stay."""
    Wp = penalised(W)
    sites = np.asarray(sites, dtype=np.int64)
    fixed_set = set(int(j) for j in fixed)
    movable = np.array([int(j) not in fixed_set for j in sites], dtype=np.bool_)
    allowed = np.ones(Wp.shape[1], np.bool_) if allowed is None else np.asarray(allowed, np.bool_)
    out, cost, _ = K.interchange_kernel(Wp, sites, movable, allowed, int(max_swaps))
    return np.sort(out), float(cost)


def pmedian_heuristic(W: np.ndarray, p: int, fixed: Sequence[int] = ()) -> tuple[np.ndarray, float]:
    """Greedy + interchange: a local optimum that is usually within a fraction of a percent."""
    return interchange(W, greedy_pmedian(W, p, fixed), fixed)


@dataclass(frozen=True)
class LagrangianBound:
    """Result of :func:`lagrangian_pmedian`."""

    bound: float              #: best Lagrangian (= LP) lower bound found
    lam: np.ndarray           #: multipliers that give it
    primal_cost: float        #: cost of the cheapest chosen set seen along the way
    primal_sites: np.ndarray  #: that set (site indices)
    iterations: int


def lagrangian_pmedian(W: np.ndarray, p: int, target: float, *, forced: np.ndarray | None = None,
                       closed: np.ndarray | None = None, lam0: np.ndarray | None = None,
                       stop_above: float = np.inf, max_iter: int = 3000, patience: int = 30
                       ) -> LagrangianBound:
    """Lower bound for p-median by subgradient optimisation (numba kernel).

    ``target`` is an upper bound (the incumbent's cost) for the Polyak step; ``forced`` /
    ``closed`` are boolean site masks; iteration stops once the bound exceeds ``stop_above``.
    ``W`` may hold +inf for forbidden pairs.
    """
    W = np.ascontiguousarray(W, dtype=np.float64)
    n, m = W.shape
    forced = np.zeros(m, np.bool_) if forced is None else np.asarray(forced, np.bool_)
    closed = np.zeros(m, np.bool_) if closed is None else np.asarray(closed, np.bool_)
    lam = initial_multipliers(W) if lam0 is None else np.asarray(lam0, np.float64)
    b, lam, pc, ps, it = K.lagrangian_kernel(W, int(p), forced, closed, lam, float(target),
                                             float(stop_above), int(max_iter), int(patience))
    return LagrangianBound(float(b), lam, float(pc), np.flatnonzero(ps), int(it))


def initial_multipliers(W: np.ndarray) -> np.ndarray:
    """Second-cheapest finite cost per demand (cheapest when it has only one): a good start."""
    n, m = W.shape
    if m == 1:
        lam = W[:, 0].copy()
    else:
        two = np.partition(W, 1, axis=1)[:, :2]
        lam = np.where(np.isfinite(two[:, 1]), two[:, 1], two[:, 0])
    return np.where(np.isfinite(lam), lam, 0.0).astype(np.float64)


def lagrangian_rho(W: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """rho_j = sum_i min(0, W_ij - lam_i): what opening site j contributes to the bound."""
    return np.minimum(0.0, W - lam[:, None]).sum(axis=0)


# ---------------------------------------------------------------------------- p-center
def greedy_pcenter(W: np.ndarray, p: int, fixed: Sequence[int] = ()) -> np.ndarray:
    """Farthest-first: repeatedly open the site that best serves the worst-served demand."""
    Wp = penalised(W)
    chosen = list(int(j) for j in fixed)
    cur = assignment_costs(Wp, chosen) if chosen else np.full(Wp.shape[0], np.inf)
    is_open = np.zeros(Wp.shape[1], bool)
    is_open[chosen] = True
    while len(chosen) < p:
        worst = int(np.argmax(cur)) if chosen else 0
        row = np.where(is_open, np.inf, Wp[worst])
        if not chosen:  # first site: the best 1-center
            row = np.where(is_open, np.inf, Wp.max(axis=0))
        j = int(np.argmin(row))
        chosen.append(j)
        is_open[j] = True
        cur = np.minimum(cur, Wp[:, j])
    return np.asarray(chosen, dtype=np.int64)


def interchange_pcenter(W: np.ndarray, sites: Sequence[int], fixed: Sequence[int] = (),
                        max_swaps: int = 100_000) -> tuple[np.ndarray, float]:
    """Best-improvement swaps on the worst cost (ties broken by fewer demands at the worst)."""
    Wp = penalised(W)
    sites = np.asarray(sites, dtype=np.int64)
    fixed_set = set(int(j) for j in fixed)
    movable = np.array([int(j) not in fixed_set for j in sites], dtype=np.bool_)
    out, cost, _ = K.interchange_pcenter_kernel(Wp, sites, movable, int(max_swaps))
    return np.sort(out), float(cost)


# ---------------------------------------------------------------------------- capacitated p-median
def lagrangian_cpmp(W: np.ndarray, demand: np.ndarray, capacity: np.ndarray, p: int, target: float, *,
                    forced: np.ndarray, closed: np.ndarray, allowed: np.ndarray, lam0: np.ndarray,
                    stop_above: float = np.inf, max_iter: int = 3000, patience: int = 30
                    ) -> tuple[float, np.ndarray, int]:
    """Lagrangian bound for single-sourcing capacitated p-median (integer demand / capacity).

    Returns (bound, multipliers, iterations); see :func:`location_kernels.cpmp_lagrangian_kernel`.
    """
    Wf = np.ascontiguousarray(np.where(allowed, W, 1e300), dtype=np.float64)
    return K.cpmp_lagrangian_kernel(Wf, np.asarray(demand, np.int64), np.asarray(capacity, np.int64), int(p),
                                    np.asarray(forced, np.bool_), np.asarray(closed, np.bool_),
                                    np.ascontiguousarray(allowed, dtype=np.bool_), np.asarray(lam0, np.float64),
                                    float(target), float(stop_above), int(max_iter), int(patience))


def cpmp_site_values(W: np.ndarray, demand: np.ndarray, capacity: np.ndarray, allowed: np.ndarray,
                     lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per site v_j (minus its knapsack optimum) and per pair the rise of v_j when i is forced in."""
    Wf = np.ascontiguousarray(np.where(allowed, W, 1e300), dtype=np.float64)
    return K.cpmp_site_values(Wf, np.asarray(demand, np.int64), np.asarray(capacity, np.int64),
                              np.ascontiguousarray(allowed, dtype=np.bool_), np.asarray(lam, np.float64))


def _knapsack_reference(profit: np.ndarray, weight: np.ndarray, cap: int) -> float:
    """0/1 knapsack by a vectorised dynamic programme over capacity."""
    best = np.zeros(cap + 1)
    for pr, w in zip(profit, weight):
        if w > cap:
            continue
        new = best.copy()
        new[w:] = np.maximum(best[w:], best[: cap + 1 - w] + pr)
        best = new
    return float(best[cap])


def cpmp_site_values_reference(W: np.ndarray, demand: np.ndarray, capacity: np.ndarray, allowed: np.ndarray,
                               lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Numpy twin of :func:`optimize.location_kernels.cpmp_site_values` (one knapsack per query)."""
    n, m = W.shape
    v = np.zeros(m)
    delta = np.full((n, m), np.inf)
    for j in range(m):
        prof = lam - W[:, j]
        take = allowed[:, j] & (prof > 0)
        v[j] = -_knapsack_reference(prof[take], demand[take], int(capacity[j]))
        for i in range(n):
            if not allowed[i, j] or demand[i] > capacity[j]:
                continue
            others = take.copy()
            others[i] = False
            without = _knapsack_reference(prof[others], demand[others], int(capacity[j] - demand[i]))
            delta[i, j] = (W[i, j] - lam[i]) - without - v[j]
    return v, delta


# ---------------------------------------------------------------------------- numpy references
def greedy_reference(W: np.ndarray, p: int, fixed: Sequence[int] = ()) -> np.ndarray:
    """Numpy twin of :func:`optimize.location_kernels.greedy_kernel`."""
    W = penalised(W)
    chosen = [int(j) for j in fixed]
    cur = np.full(W.shape[0], np.inf)
    for j in chosen:
        cur = np.minimum(cur, W[:, j])
    while len(chosen) < p:
        tot = np.minimum(cur[:, None], W).sum(axis=0)
        tot[chosen] = np.inf
        j = int(np.argmin(tot))
        chosen.append(j)
        cur = np.minimum(cur, W[:, j])
    return np.asarray(chosen, dtype=np.int64)


def _nearest_two_reference(W: np.ndarray, sites: np.ndarray):
    d = W[:, sites]
    f1 = np.argmin(d, axis=1)
    c1 = d[np.arange(len(d)), f1]
    c2 = np.partition(d, 1, axis=1)[:, 1] if d.shape[1] > 1 else np.full(len(d), np.inf)
    return c1, f1, c2


def interchange_reference(W: np.ndarray, sites: Sequence[int], fixed: Sequence[int] = ()
                          ) -> tuple[np.ndarray, float]:
    """Numpy twin of :func:`optimize.location_kernels.interchange_kernel` (whole-matrix passes)."""
    W = penalised(W)
    sites = np.asarray(sites, dtype=np.int64).copy()
    n, m = W.shape
    p = len(sites)
    fixed_set = set(int(j) for j in fixed)
    movable = np.array([int(j) not in fixed_set for j in sites])
    while True:
        c1, f1, c2 = _nearest_two_reference(W, sites)
        total = c1.sum()
        better = W < c1[:, None]
        gain = np.where(better, c1[:, None] - W, 0.0).sum(axis=0)              # (m,)
        extra = np.where(better, 0.0, np.minimum(W, c2[:, None]) - c1[:, None])  # (n, m)
        loss = np.zeros((p, m))
        np.add.at(loss, f1, extra)
        profit = gain[:, None] - loss.T                                        # (m, p)
        profit[sites, :] = -np.inf
        profit[:, ~movable] = -np.inf
        k = int(np.argmax(profit))
        j, r = divmod(k, p)
        if not profit[j, r] > 1e-9 * (1.0 + abs(total)):
            return np.sort(sites), float(total)
        sites[r] = j


def lagrangian_reference(W: np.ndarray, p: int, target: float, lam0: np.ndarray,
                         max_iter: int = 3000, patience: int = 30) -> tuple[float, np.ndarray]:
    """Numpy twin of :func:`optimize.location_kernels.lagrangian_kernel` (no forced/closed)."""
    W = np.asarray(W, dtype=np.float64)
    lam = np.asarray(lam0, dtype=np.float64).copy()
    best_L, best_lam = -np.inf, lam.copy()
    theta, stall = 2.0, 0
    for _ in range(max_iter):
        rho = lagrangian_rho(W, lam)
        sel = np.argsort(rho, kind="mergesort")[:p]
        L = lam.sum() + rho[sel].sum()
        g = 1.0 - (W[:, sel] < lam[:, None]).sum(axis=1)
        gg = float((g * g).sum())
        if L > best_L + 1e-9 * (1.0 + abs(L)):
            best_L, best_lam, stall = L, lam.copy(), 0
        else:
            stall += 1
            if stall >= patience:
                theta *= 0.5
                stall = 0
        if gg == 0.0 or theta < 1e-4:
            break
        gap = target - L
        if gap <= 0.0:
            gap = 1e-3 * (1.0 + abs(target))
        lam = lam + theta * gap / gg * g
    return float(best_L), best_lam


def interchange_pcenter_reference(W: np.ndarray, sites: Sequence[int], fixed: Sequence[int] = ()
                                  ) -> tuple[np.ndarray, float]:
    """Numpy twin of :func:`optimize.location_kernels.interchange_pcenter_kernel` (brute force)."""
    W = penalised(W)
    sites = np.asarray(sites, dtype=np.int64).copy()
    m, p = W.shape[1], len(sites)
    fixed_set = set(int(j) for j in fixed)

    def score(s: np.ndarray) -> tuple[float, int]:
        c = W[:, s].min(axis=1)
        worst = c.max()
        return float(worst), int((c >= worst).sum())

    cur = score(sites)
    while True:
        best, move = cur, None
        in_sol = set(int(j) for j in sites)
        for j in range(m):
            if j in in_sol:
                continue
            for r in range(p):
                if int(sites[r]) in fixed_set:
                    continue
                trial = sites.copy()
                trial[r] = j
                s = score(trial)
                if s < best:
                    best, move = s, (r, j)
        if move is None:
            return np.sort(sites), cur[0]
        sites[move[0]] = move[1]
        cur = best
