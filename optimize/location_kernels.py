"""Numba kernels of the location heuristics and bounds (callers: :mod:`optimize.heuristics`).

Every kernel works on a dense weighted cost matrix ``W`` (demands x sites, C order, float64).
The heuristics need finite values (the caller replaces forbidden pairs by a large penalty);
the Lagrangian kernel accepts ``+inf`` (a forbidden pair simply never lowers a bound).

Each kernel has a plain numpy twin in :mod:`optimize.heuristics` (``*_reference``) that the
tests compare against: same algorithm, same tie-breaking (lowest index first).
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def greedy_kernel(W, p, fixed):
    """Greedy add: start from the ``fixed`` sites, add the site that lowers total cost most.

    Returns the chosen site indices (fixed first, then in order of addition).
    """
    n, m = W.shape
    chosen = np.empty(p, np.int64)
    in_sol = np.zeros(m, np.bool_)
    cur = np.full(n, np.inf)
    k = 0
    for j in fixed:
        chosen[k] = j
        in_sol[j] = True
        k += 1
        for i in range(n):
            if W[i, j] < cur[i]:
                cur[i] = W[i, j]
    tot = np.empty(m)
    while k < p:
        tot[:] = 0.0
        for i in range(n):
            ci = cur[i]
            for j in range(m):
                w = W[i, j]
                tot[j] += w if w < ci else ci
        best, bj = np.inf, -1
        for j in range(m):
            if not in_sol[j] and tot[j] < best:
                best, bj = tot[j], j
        chosen[k] = bj
        in_sol[bj] = True
        k += 1
        for i in range(n):
            if W[i, bj] < cur[i]:
                cur[i] = W[i, bj]
    return chosen


@njit(cache=True)
def _nearest_two(W, sites):
    """Per demand: cost to the nearest open site, its position in ``sites``, second-nearest cost."""
    n = W.shape[0]
    c1 = np.full(n, np.inf)
    c2 = np.full(n, np.inf)
    f1 = np.zeros(n, np.int64)
    for i in range(n):
        for r in range(sites.shape[0]):
            w = W[i, sites[r]]
            if w < c1[i]:
                c2[i] = c1[i]
                c1[i] = w
                f1[i] = r
            elif w < c2[i]:
                c2[i] = w
    return c1, f1, c2


@njit(cache=True, inline="always")
def _open_mask(sites, m):
    """``in_sol[j]``: site j is one of ``sites``."""
    in_sol = np.zeros(m, np.bool_)
    for r in range(sites.shape[0]):
        in_sol[sites[r]] = True
    return in_sol


@njit(cache=True, inline="always")
def _swap(sites, in_sol, r, j):
    """Site ``j`` enters at position ``r`` of ``sites``, the site there leaves."""
    in_sol[sites[r]] = False
    in_sol[j] = True
    sites[r] = j


@njit(cache=True)
def interchange_kernel(W, sites, movable, allowed, max_swaps):
    """Best-improvement vertex substitution (Teitz–Bart) with Whitaker's fast swap evaluation.

    ``sites``: the start solution (modified copy returned); ``movable[r]``: may position r
    leave (fixed sites may not); ``allowed[j]``: may site j enter. One pass evaluates every
    (enter, leave) pair in O(demands x sites) using nearest / second-nearest costs.
    Returns (sites, total cost, number of swaps).
    """
    n, m = W.shape
    p = sites.shape[0]
    sites = sites.copy()
    in_sol = _open_mask(sites, m)
    loss = np.empty(p)
    swaps = 0
    while swaps < max_swaps:
        c1, f1, c2 = _nearest_two(W, sites)
        total = c1.sum()
        tol = 1e-9 * (1.0 + abs(total))
        best, bj, br = tol, -1, -1
        for j in range(m):
            if in_sol[j] or not allowed[j]:
                continue
            gain = 0.0
            loss[:] = 0.0
            for i in range(n):
                w = W[i, j]
                if w < c1[i]:
                    gain += c1[i] - w
                else:
                    loss[f1[i]] += (w if w < c2[i] else c2[i]) - c1[i]
            for r in range(p):
                if movable[r] and gain - loss[r] > best:
                    best, bj, br = gain - loss[r], j, r
        if bj < 0:
            return sites, total, swaps
        _swap(sites, in_sol, br, bj)
        swaps += 1
    c1, f1, c2 = _nearest_two(W, sites)
    return sites, c1.sum(), swaps


@njit(cache=True, inline="always")
def _free_sites(forced, closed):
    """Sites neither forced nor closed (ascending), and how many sites are forced."""
    m = forced.shape[0]
    free = np.empty(m, np.int64)
    nfree = 0
    nforced = 0
    for j in range(m):
        if forced[j]:
            nforced += 1
        elif not closed[j]:
            free[nfree] = j
            nfree += 1
    return free[:nfree], nforced


@njit(cache=True, inline="always")
def _choose_sites(sel, forced, free, values, k):
    """The Lagrangian's site choice: the forced sites plus the ``k`` free ones of lowest value."""
    sel[:] = forced
    order = np.argsort(values[free], kind="mergesort")
    for t in range(k):
        sel[free[order[t]]] = True


@njit(cache=True, inline="always")
def _subgradient_step(L, lam, g, gg, best_L, best_lam, stall, theta, patience, target, stop_above):
    """One Polyak step of the multipliers toward ``target``; keeps the best bound's multipliers and
    halves the step scale after ``patience`` steps without a better bound.

    Returns (best_L, stall, theta, stop).
    """
    if L > best_L + 1e-9 * (1.0 + abs(L)):
        best_L = L
        best_lam[:] = lam
        stall = 0
    else:
        stall += 1
        if stall >= patience:
            theta *= 0.5
            stall = 0
    if best_L > stop_above or gg == 0.0 or theta < 1e-4:
        return best_L, stall, theta, True
    gap = target - L
    if gap <= 0.0:
        gap = 1e-3 * (1.0 + abs(target))  # keep moving: the target is not a tight bound
    step = theta * gap / gg
    for i in range(lam.shape[0]):
        lam[i] += step * g[i]
    return best_L, stall, theta, False


@njit(cache=True)
def lagrangian_kernel(W, p, forced, closed, lam0, target, stop_above, max_iter, patience):
    """Subgradient optimisation of the Lagrangian dual of p-median (assignment rows relaxed).

    L(lam) = sum(lam) + sum of rho_j over the chosen sites, rho_j = sum_i min(0, W_ij - lam_i),
    the chosen sites being the ``forced`` ones plus the smallest rho among the rest (never a
    ``closed`` one). Polyak steps towards ``target`` (an upper bound); the step factor halves
    after ``patience`` iterations without a better bound. Stops early once the bound exceeds
    ``stop_above``. Each iteration's chosen set is also a primal solution; the cheapest is kept.

    Returns (best bound, its multipliers, best primal cost, its sites (bool mask), iterations).
    """
    n, m = W.shape
    lam = lam0.copy()
    best_lam = lam0.copy()
    best_L = -np.inf
    rho = np.empty(m)
    free, nforced = _free_sites(forced, closed)
    k = p - nforced
    if k < 0 or k > free.shape[0]:  # no choice of p sites honours forced / closed: bound +inf
        return np.inf, best_lam, np.inf, np.zeros(m, np.bool_), 0
    sel = np.zeros(m, np.bool_)
    best_primal = np.inf
    best_sites = np.zeros(m, np.bool_)
    c = np.empty(n)
    g = np.empty(n)
    theta = 2.0
    stall = 0
    it = 0
    while it < max_iter:
        it += 1
        rho[:] = 0.0
        for i in range(n):
            li = lam[i]
            for j in range(m):
                d = W[i, j] - li
                if d < 0.0:
                    rho[j] += d
        _choose_sites(sel, forced, free, rho, k)
        L = lam.sum()
        for j in range(m):
            if sel[j]:
                L += rho[j]
        # subgradient and the primal cost of the chosen set in one sweep
        gg = 0.0
        primal = 0.0
        for i in range(n):
            cnt = 0
            ci = np.inf
            li = lam[i]
            for j in range(m):
                if sel[j]:
                    w = W[i, j]
                    if w < li:
                        cnt += 1
                    if w < ci:
                        ci = w
            c[i] = ci
            primal += ci
            g[i] = 1.0 - cnt
            gg += g[i] * g[i]
        if primal < best_primal:
            best_primal = primal
            best_sites[:] = sel
        best_L, stall, theta, stop = _subgradient_step(L, lam, g, gg, best_L, best_lam, stall, theta, patience,
                                                       target, stop_above)
        if stop:
            break
    return best_L, best_lam, best_primal, best_sites, it


@njit(cache=True)
def _pcenter_score(W, sites):
    c1, f1, c2 = _nearest_two(W, sites)
    worst = c1.max()
    cnt = 0
    for i in range(c1.shape[0]):
        if c1[i] >= worst:
            cnt += 1
    return worst, cnt, c1, f1, c2


@njit(cache=True, inline="always")
def _group_maxima(W, j, c1, f1, c2, A, nA, B, nB):
    """If site ``j`` enters: per group r (demands whose nearest site is ``sites[r]``) the largest
    cost and its count when r stays (``A``, ``nA``) and when r leaves (``B``, ``nB``)."""
    A[:] = -np.inf
    B[:] = -np.inf
    nA[:] = 0
    nB[:] = 0
    for i in range(W.shape[0]):
        w = W[i, j]
        g = f1[i]
        a = w if w < c1[i] else c1[i]
        b = w if w < c2[i] else c2[i]
        if a > A[g]:
            A[g] = a
            nA[g] = 1
        elif a == A[g]:
            nA[g] += 1
        if b > B[g]:
            B[g] = b
            nB[g] = 1
        elif b == B[g]:
            nB[g] += 1


@njit(cache=True, inline="always")
def _top_two(A, nA):
    """Largest and second-largest distinct group maxima with their total counts, and how many
    groups reach the largest: (top, its count, groups at top, second, its count)."""
    top, ntop, kgroups = -np.inf, 0, 0
    for g in range(A.shape[0]):
        if A[g] > top:
            top, ntop, kgroups = A[g], nA[g], 1
        elif A[g] == top:
            ntop += nA[g]
            kgroups += 1
    sec, nsec = -np.inf, 0
    for g in range(A.shape[0]):
        if A[g] < top:
            if A[g] > sec:
                sec, nsec = A[g], nA[g]
            elif A[g] == sec:
                nsec += nA[g]
    return top, ntop, kgroups, sec, nsec


@njit(cache=True)
def interchange_pcenter_kernel(W, sites, movable, max_swaps):
    """Best-improvement swaps for p-center: lower the worst cost, then the number of demands at it.

    For an entering site j every leaving position r is scored in O(demands + p): demands keep
    min(W_ij, c1) unless their nearest site leaves (then min(W_ij, c2)); per-group maxima and
    the two largest group maxima give each r's worst cost and its multiplicity.
    Returns (sites, worst cost, swaps).
    """
    n, m = W.shape
    p = sites.shape[0]
    sites = sites.copy()
    in_sol = _open_mask(sites, m)
    A = np.empty(p)
    nA = np.empty(p, np.int64)
    B = np.empty(p)
    nB = np.empty(p, np.int64)
    swaps = 0
    worst, cnt, c1, f1, c2 = _pcenter_score(W, sites)
    while swaps < max_swaps:
        bw, bc, bj, br = worst, cnt, -1, -1
        for j in range(m):
            if in_sol[j]:
                continue
            _group_maxima(W, j, c1, f1, c2, A, nA, B, nB)
            top, ntop, kgroups, sec, nsec = _top_two(A, nA)
            for r in range(p):
                if not movable[r]:
                    continue
                if A[r] < top:
                    M, C = top, ntop
                elif kgroups > 1:
                    M, C = top, ntop - nA[r]
                else:
                    M, C = sec, nsec
                wr = M if M > B[r] else B[r]
                cr = 0
                if M == wr:
                    cr += C
                if B[r] == wr:
                    cr += nB[r]
                if wr < bw or (wr == bw and cr < bc):
                    bw, bc, bj, br = wr, cr, j, r
        if bj < 0:
            break
        _swap(sites, in_sol, br, bj)
        swaps += 1
        worst, cnt, c1, f1, c2 = _pcenter_score(W, sites)
    return sites, worst, swaps


@njit(cache=True)
def _knapsack(profit, weight, items, cap, table):
    """0/1 knapsack max profit over ``items`` (integer weights) with capacity ``cap``.

    ``table[t, c]``: best profit with the first t items and capacity c (filled, for recovery).
    """
    k = items.shape[0]
    for c in range(cap + 1):
        table[0, c] = 0.0
    for t in range(k):
        it = items[t]
        pw = profit[it]
        wt = weight[it]
        for c in range(cap + 1):
            best = table[t, c]
            if wt <= c:
                alt = table[t, c - wt] + pw
                if alt > best:
                    best = alt
            table[t + 1, c] = best
    return table[k, cap]


@njit(cache=True, inline="always")
def _site_items(W, lam, allowed, j, profit, items):
    """Site ``j``'s knapsack: ``profit[i] = lam_i - W_ij`` for every demand, and in ``items`` the
    allowed demands of positive profit (ascending); returns how many there are."""
    cnt = 0
    for i in range(W.shape[0]):
        pr = lam[i] - W[i, j]
        profit[i] = pr
        if allowed[i, j] and pr > 0.0:
            items[cnt] = i
            cnt += 1
    return cnt


@njit(cache=True, inline="always")
def _cpmp_subgradient(W, demand, capacity, allowed, lam, sel, profit, items, table, g):
    """``g_i`` = 1 - the number of chosen sites' optimal knapsacks holding demand i; returns |g|^2."""
    n, m = W.shape
    for i in range(n):
        g[i] = 1.0
    for j in range(m):
        if not sel[j]:
            continue
        cnt = _site_items(W, lam, allowed, j, profit, items)
        _knapsack(profit, demand, items[:cnt], capacity[j], table)
        c = capacity[j]
        for t in range(cnt - 1, -1, -1):  # recover the items taken
            if table[t + 1, c] != table[t, c]:
                g[items[t]] -= 1.0
                c -= demand[items[t]]
    gg = 0.0
    for i in range(n):
        gg += g[i] * g[i]
    return gg


@njit(cache=True)
def cpmp_lagrangian_kernel(W, demand, capacity, p, forced, closed, allowed, lam0, target, stop_above,
                           max_iter, patience):
    """Subgradient on the Lagrangian of capacitated p-median (assignment rows relaxed).

    Per site j a 0/1 knapsack: max sum_i (lam_i - W_ij) x_i s.t. sum_i d_i x_i <= Q_j over
    allowed pairs with positive profit; v_j = -(that max). L = sum(lam) + sum of v_j over the
    forced sites and the most negative others (p in all). Integer ``demand`` / ``capacity``.
    Returns (best bound, its multipliers, iterations).
    """
    n, m = W.shape
    lam = lam0.copy()
    best_lam = lam0.copy()
    best_L = -np.inf
    qmax = 0
    for j in range(m):
        if capacity[j] > qmax:
            qmax = capacity[j]
    table = np.empty((n + 1, qmax + 1))
    items = np.empty(n, np.int64)
    profit = np.empty(n)
    v = np.zeros(m)
    free, nforced = _free_sites(forced, closed)
    k = p - nforced
    if k < 0 or k > free.shape[0]:
        return np.inf, best_lam, 0
    sel = np.zeros(m, np.bool_)
    g = np.empty(n)
    theta = 2.0
    stall = 0
    it = 0
    while it < max_iter:
        it += 1
        for j in range(m):
            if closed[j]:
                v[j] = 0.0
                continue
            cnt = _site_items(W, lam, allowed, j, profit, items)
            v[j] = -_knapsack(profit, demand, items[:cnt], capacity[j], table)
        _choose_sites(sel, forced, free, v, k)
        L = lam.sum()
        for j in range(m):
            if sel[j]:
                L += v[j]
        gg = _cpmp_subgradient(W, demand, capacity, allowed, lam, sel, profit, items, table, g)
        best_L, stall, theta, stop = _subgradient_step(L, lam, g, gg, best_L, best_lam, stall, theta, patience,
                                                       target, stop_above)
        if stop:
            break
    return best_L, best_lam, it


@njit(cache=True)
def cpmp_site_values(W, demand, capacity, allowed, lam):
    """v_j (negated knapsack optimum) per site and, per pair, the increase of v_j when demand i
    is forced into site j (+inf where the pair is not allowed or does not fit)."""
    n, m = W.shape
    qmax = 0
    for j in range(m):
        if capacity[j] > qmax:
            qmax = capacity[j]
    v = np.zeros(m)
    delta = np.full((n, m), np.inf)
    fwd = np.empty((n + 1, qmax + 1))
    bwd = np.empty((n + 1, qmax + 1))
    items = np.empty(n, np.int64)
    pos = np.full(n, -1, np.int64)
    profit = np.empty(n)
    for j in range(m):
        cap = capacity[j]
        cnt = _site_items(W, lam, allowed, j, profit, items)
        pos[:] = -1
        for t in range(cnt):
            pos[items[t]] = t
        best = _knapsack(profit, demand, items[:cnt], cap, fwd)
        v[j] = -best
        # bwd[t, c]: best with items t..cnt-1
        for c in range(cap + 1):
            bwd[cnt, c] = 0.0
        for t in range(cnt - 1, -1, -1):
            it = items[t]
            for c in range(cap + 1):
                b = bwd[t + 1, c]
                if demand[it] <= c:
                    alt = bwd[t + 1, c - demand[it]] + profit[it]
                    if alt > b:
                        b = alt
                bwd[t, c] = b
        for i in range(n):
            if not allowed[i, j] or demand[i] > cap:
                continue
            rest = cap - demand[i]
            t = pos[i]
            if t < 0:
                without = fwd[cnt, rest]
            else:
                without = -np.inf
                for a in range(rest + 1):
                    s = fwd[t, a] + bwd[t + 1, rest - a]
                    if s > without:
                        without = s
            # v with i forced in = (W_ij - lam_i) - without;  delta = that - v_j
            delta[i, j] = (W[i, j] - lam[i]) - without - v[j]
    return v, delta
