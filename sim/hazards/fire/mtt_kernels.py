"""Numba kernels of minimum-travel-time fire propagation (API: :mod:`sim.hazards.fire.travel_time`).

Finney, M.A. (2002) "Fire growth using minimum travel time methods", Can. J. For. Res. 32:
1420–1424: the arrival time of fire at a node is the shortest travel time over straight-line
transects between nodes, found with Dijkstra's algorithm.

Grid cells are numbered row-major, ``cell = row * ncols + col``, row 0 at the NORTH edge. Each
stencil move ``k`` goes from ``(r, c)`` to ``(r + st_dr[k], c + st_dc[k])``; its unit vector in
compass terms is ``(north, east) = (st_un[k], st_ue[k])`` and its length ``st_len[k]`` metres.
The move crosses the cells ``u + p_off[j]`` (flat offsets for the grid's width) for ``j`` in
``p_ptr[k]:p_ptr[k+1]``, a fraction ``p_frac[j]`` of its length in each; where it passes
exactly through a cell corner, ``c_ptr`` lists the two cells beside the corner that it only
touches (``u + c_off1[j]`` and ``u + c_off2[j]``). The tables are built once in Python
(:func:`sim.hazards.fire.travel_time.stencil`) and shared with the scipy reference.

Per cell the elliptical rate of spread is held as three numbers, so the slowness in any
direction costs one multiply-add (Richards 1990 ellipse, ignition at the rear focus):
``1/r(θ) = (1 - e cos θ) / (head (1 - e))`` with ``θ`` the angle between the move and the head
direction, i.e. ``slow(u) = a * (1 - (ecos * u_north + esin * u_east))`` where
``a = 1 / (head (1 - e))``, ``ecos = e cos(dir)``, ``esin = e sin(dir)``: the rows of ``coef``
(``a = -1`` marks an unburnable cell).
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def move_time(u, k, coef, st_un, st_ue, st_len, p_ptr, p_off, p_frac, c_ptr, c_off1, c_off2):
    """Minutes to travel move ``k`` from cell ``u``; ``inf`` if it crosses an unburnable cell.

    The straight segment between the two cell centres is split at the cell boundaries it
    crosses, and each piece is travelled at the rate of the cell it lies in, in the direction of
    the move (the slowness integral of Finney 2002 along a transect, exact for piecewise-constant
    cells). A move squeezing through a corner between two unburnable cells is refused: that is
    where an 8-connected (rasterised) road or river line would otherwise leak. ``coef[q]`` is
    ``(a, ecos, esin)`` with ``a < 0`` for an unburnable cell, one cache line per cell.
    """
    un = st_un[k]
    ue = st_ue[k]
    s = 0.0
    for j in range(p_ptr[k], p_ptr[k + 1]):
        q = u + p_off[j]
        a = coef[q, 0]
        if a < 0.0:
            return np.inf
        s += p_frac[j] * a * (1.0 - (coef[q, 1] * un + coef[q, 2] * ue))
    for j in range(c_ptr[k], c_ptr[k + 1]):
        if coef[u + c_off1[j], 0] < 0.0 and coef[u + c_off2[j], 0] < 0.0:
            return np.inf
    return s * st_len[k]


@njit(cache=True, inline="always")
def _sift_up(hk, hn, pos, i):
    key = hk[i]
    node = hn[i]
    while i > 0:
        p = (i - 1) >> 1
        if hk[p] <= key:
            break
        hk[i] = hk[p]
        hn[i] = hn[p]
        pos[hn[i]] = i
        i = p
    hk[i] = key
    hn[i] = node
    pos[node] = i


@njit(cache=True, inline="always")
def _sift_down(hk, hn, pos, i, size):
    key = hk[i]
    node = hn[i]
    while True:
        ch = 2 * i + 1
        if ch >= size:
            break
        if ch + 1 < size and hk[ch + 1] < hk[ch]:
            ch += 1
        if hk[ch] >= key:
            break
        hk[i] = hk[ch]
        hn[i] = hn[ch]
        pos[hn[i]] = i
        i = ch
    hk[i] = key
    hn[i] = node
    pos[node] = i


@njit(cache=True, inline="always")
def _target(u, k, ncols, nrows, st_dr, st_dc, closed):
    """The cell move ``k`` from cell ``u`` reaches, or -1 off the grid or onto a cell marked in
    ``closed`` (fixed or already done)."""
    r = u // ncols
    rr = r + st_dr[k]
    cc = u - r * ncols + st_dc[k]
    if rr < 0 or rr >= nrows or cc < 0 or cc >= ncols:
        return -1
    v = rr * ncols + cc
    return -1 if closed[v] != 0 else v


@njit(cache=True)
def dijkstra(nrows, ncols, dist, done, until, coef, st_dr, st_dc, st_un, st_ue, st_len,
             p_ptr, p_off, p_frac, c_ptr, c_off1, c_off2):
    """Dijkstra's algorithm over the stencil graph, from every cell with a finite ``dist``.

    ``dist`` (minutes, flat, modified in place) holds the start times of the sources and ``inf``
    elsewhere; cells with ``done != 0`` are fixed (burned before a restart) and are neither
    relaxed nor entered. The search stops at the first cell later than ``until``; cells past it
    keep tentative times (the caller sets them to ``inf``). The heap is a binary heap indexed by
    cell (``pos``), so a cell is in it at most once and it never exceeds the cell count.
    """
    n = nrows * ncols
    hk = np.empty(n, np.float64)
    hn = np.empty(n, np.int64)
    pos = np.full(n, -1, np.int64)
    size = 0
    for i in range(n):
        if done[i] == 0 and dist[i] < np.inf:
            hk[size] = dist[i]
            hn[size] = i
            _sift_up(hk, hn, pos, size)
            size += 1
    nk = st_dr.shape[0]
    while size > 0:
        d = hk[0]
        u = hn[0]
        if d > until:
            break
        pos[u] = -1
        size -= 1
        if size > 0:
            hk[0] = hk[size]
            hn[0] = hn[size]
            _sift_down(hk, hn, pos, 0, size)
        done[u] = 1
        for k in range(nk):
            v = _target(u, k, ncols, nrows, st_dr, st_dc, done)
            if v < 0:
                continue
            w = move_time(u, k, coef, st_un, st_ue, st_len, p_ptr, p_off, p_frac, c_ptr, c_off1, c_off2)
            nd = d + w
            if nd < dist[v]:
                dist[v] = nd
                if pos[v] < 0:
                    hk[size] = nd
                    hn[size] = v
                    _sift_up(hk, hn, pos, size)
                    size += 1
                else:
                    hk[pos[v]] = nd
                    _sift_up(hk, hn, pos, pos[v])
    return dist


@njit(cache=True)
def restart_seeds(nrows, ncols, arrival, fixed, t0, dist, coef_old, coef, st_dr, st_dc, st_un, st_ue,
                  st_len, p_ptr, p_off, p_frac, c_ptr, c_off1, c_off2):
    """Start times at ``t0`` of the moves out of the burned cells, keeping their progress.

    A move from burned cell ``i`` (arrival ``t_i <= t0``) to an unburned cell started at ``t_i``
    under the old rates; by ``t0`` it has covered the fraction ``p = (t0 - t_i) / w_old``
    (clipped to [0, 1]; 0 if the old move was blocked). The rest is travelled under the new
    rates: the neighbour is reached at ``t0 + (1 - p) * w_new``. ``dist`` (flat, modified in
    place) keeps the minimum over all such moves; with unchanged rates this equals
    ``t_i + w`` up to rounding, so a restart reproduces the one-shot run.
    """
    nk = st_dr.shape[0]
    for u in range(nrows * ncols):
        if fixed[u] == 0:
            continue
        ti = arrival[u]
        for k in range(nk):
            v = _target(u, k, ncols, nrows, st_dr, st_dc, fixed)
            if v < 0:
                continue
            w_new = move_time(u, k, coef, st_un, st_ue, st_len, p_ptr, p_off, p_frac, c_ptr, c_off1, c_off2)
            if w_new == np.inf:
                continue
            w_old = move_time(u, k, coef_old, st_un, st_ue, st_len, p_ptr, p_off, p_frac, c_ptr, c_off1,
                              c_off2)
            p = 0.0
            if w_old < np.inf:
                p = min(max((t0 - ti) / w_old, 0.0), 1.0)
            t = t0 + (1.0 - p) * w_new
            dist[v] = min(dist[v], t)
    return dist
