"""Numba kernels of the local-inertial flood solver (one time step in three passes).

State on an ``nr x nc`` grid: ``eta`` (water-surface elevation) and ``z`` (bed) per cell, unit
discharges ``qx`` (``nr x nc+1``, face ``c`` lies between columns ``c-1`` and ``c``) and ``qy``
(``nr+1 x nc``, face ``r`` between rows ``r-1`` and ``r``). Faces 0 and ``nc`` / ``nr`` are the
domain edge; their kind is ``bkx[r, 0|1]`` (west|east) and ``bky[0|1, c]`` (south|north):
``WALL``, ``STAGE`` (ghost water level ``bvx``/``bvy``, ghost bed = edge cell's bed) or ``FREE``
(ghost surface falls at slope ``bvx``/``bvy``: normal-depth outflow once steady).

Passes, each over rows (parallel or serial twin) with no cross-row reductions, so every backend
and thread count gives the same bits:

1. :func:`face_fluxes` - Bates et al. (2010) semi-implicit momentum update per face, with the
   de Almeida et al. (2012) theta-weighting (theta = 1 is plain Bates).
2. :func:`outflow_factors` - per cell, the factor <= 1 that scales its outgoing fluxes so it
   cannot lose more water than it holds.
3. :func:`update_depths` - scale each face by its donor cell's factor, store the limited
   fluxes, update ``eta`` (continuity), and track per-cell max depth, first wetting time, and
   per row the max depth (for the next time step) and the first/last wet column.

**Active spans.** A face carries flow only if a cell next to it is wet (``h_flow <= max h``), so
each row only works on the columns ``lo[r]..hi[r]``: the wet columns of rows ``r-1..r+1`` widened
by one, plus forced columns (sources, stage boundaries), computed by the driver. Faces of y
face-row ``r`` are computed over ``ylo[r]..yhi[r]``, the hull of the spans of rows ``r-1`` and
``r``. Outside the spans every flux is zero and every cell unchanged; pass 3 zeroes the stored
fluxes of the previous spans (``plo``/``phi``) that fall outside the new ones, so the state
stays exactly what a full-grid sweep (the numpy reference) gives.

No-data cells carry a huge bed (``WALL_Z``): every face touching one has ``h_flow == 0`` and so
no flow, without any branch in the hot loop.
"""
from __future__ import annotations

from numba import njit, prange

WALL, STAGE, FREE = 0, 1, 2
#: bed elevation given to no-data cells: max(eta, WALL_Z) - max(z, WALL_Z) == 0 exactly
WALL_Z = 1.0e30
_SEVEN_THIRDS = 7.0 / 3.0


@njit(cache=True, inline="always")
def _momentum(q, q_before, q_after, eta_a, eta_b, z_a, z_b, n2, dt, dx, g, theta, thr):
    """Unit discharge a -> b after ``dt`` (Bates 2010 eq. with de Almeida theta-weighting)."""
    hflow = max(eta_a, eta_b) - max(z_a, z_b)
    if hflow <= thr:
        return 0.0
    slope = (eta_b - eta_a) / dx
    qw = theta * q + (1.0 - theta) * 0.5 * (q_before + q_after)
    return (qw - g * hflow * dt * slope) / (1.0 + g * dt * n2 * abs(q) / hflow**_SEVEN_THIRDS)


@njit(cache=True, inline="always")
def _free(q, h, slope, n2, dt, g, thr, sign):
    """Outflow through a free edge face; ``sign`` +1 for east/north, -1 for west/south."""
    if h <= thr:
        return 0.0
    qn = (q + sign * g * h * dt * slope) / (1.0 + g * dt * n2 * abs(q) / h**_SEVEN_THIRDS)
    # outflow only: a free edge never feeds the domain
    return max(qn, 0.0) if sign > 0 else min(qn, 0.0)


@njit(cache=True, inline="always")
def _fluxes_row(r, eta, z, qx, qy, qx_new, qy_new, n2x, n2y, bkx, bvx, bky, bvy, lo, hi, ylo, yhi,
                dt, dx, g, theta, thr):
    """x faces ``lo[r]..hi[r]+1`` of row ``r``; y faces ``ylo[r]..yhi[r]`` of face-row ``r``."""
    nr, nc = eta.shape
    if r < nr and lo[r] <= hi[r]:
        for c in range(max(lo[r], 1), min(hi[r] + 1, nc - 1) + 1):
            qx_new[r, c] = _momentum(qx[r, c], qx[r, c - 1], qx[r, c + 1], eta[r, c - 1], eta[r, c],
                                     z[r, c - 1], z[r, c], n2x[r, c], dt, dx, g, theta, thr)
        for side in range(2):
            c = 0 if side == 0 else nc
            cell = 0 if side == 0 else nc - 1
            if (side == 0 and lo[r] > 0) or (side == 1 and hi[r] < nc - 1):
                continue
            k = bkx[r, side]
            if k == STAGE:
                if side == 0:
                    qx_new[r, c] = _momentum(qx[r, c], qx[r, c], qx[r, 1], bvx[r, 0], eta[r, cell], z[r, cell],
                                             z[r, cell], n2x[r, c], dt, dx, g, theta, thr)
                else:
                    qx_new[r, c] = _momentum(qx[r, c], qx[r, nc - 1], qx[r, c], eta[r, cell], bvx[r, 1], z[r, cell],
                                             z[r, cell], n2x[r, c], dt, dx, g, theta, thr)
            elif k == FREE:
                qx_new[r, c] = _free(qx[r, c], eta[r, cell] - z[r, cell], bvx[r, side], n2x[r, c], dt, g, thr,
                                     1.0 if side == 1 else -1.0)
            else:
                qx_new[r, c] = 0.0
    if ylo[r] > yhi[r]:
        return
    if 0 < r < nr:
        for c in range(ylo[r], yhi[r] + 1):
            qy_new[r, c] = _momentum(qy[r, c], qy[r - 1, c], qy[r + 1, c], eta[r - 1, c], eta[r, c],
                                     z[r - 1, c], z[r, c], n2y[r, c], dt, dx, g, theta, thr)
    else:
        side = 0 if r == 0 else 1
        cell = 0 if r == 0 else nr - 1
        nbr = 1 if r == 0 else nr - 1  # the next face-row inwards, for theta-weighting
        for c in range(ylo[r], yhi[r] + 1):
            k = bky[side, c]
            if k == STAGE:
                if side == 0:
                    qy_new[r, c] = _momentum(qy[r, c], qy[r, c], qy[nbr, c], bvy[0, c], eta[cell, c],
                                             z[cell, c], z[cell, c], n2y[r, c], dt, dx, g, theta, thr)
                else:
                    qy_new[r, c] = _momentum(qy[r, c], qy[nbr, c], qy[r, c], eta[cell, c], bvy[1, c],
                                             z[cell, c], z[cell, c], n2y[r, c], dt, dx, g, theta, thr)
            elif k == FREE:
                qy_new[r, c] = _free(qy[r, c], eta[cell, c] - z[cell, c], bvy[side, c], n2y[r, c], dt, g, thr,
                                     1.0 if side == 1 else -1.0)
            else:
                qy_new[r, c] = 0.0


@njit(cache=True, inline="always")
def _factors_row(r, eta, z, qx, qy, fac, lo, hi, dt, dx):
    for c in range(lo[r], hi[r] + 1):
        out = max(-qx[r, c], 0.0) + max(qx[r, c + 1], 0.0) + max(-qy[r, c], 0.0) + max(qy[r + 1, c], 0.0)
        need = out * dt
        have = (eta[r, c] - z[r, c]) * dx
        fac[r, c] = have / need if need > have else 1.0


@njit(cache=True, inline="always")
def _update_row(r, eta, z, qx, qy, fac, qx_out, qy_out, lo, hi, plo, phi, dt, dx, thr, t_new,
                hmax, t_wet, rowmax, rowclip, wlo, whi, dtw):
    nr, nc = eta.shape
    a, b = lo[r], hi[r]
    # stored fluxes of the previous span that the new span no longer covers are zero now
    for c in range(plo[r], phi[r] + 2):
        if c < a or c > b + 1:
            qx_out[r, c] = 0.0
    for c in range(plo[r], phi[r] + 1):
        if c < a or c > b:
            qy_out[r, c] = 0.0
            if r == nr - 1:
                qy_out[nr, c] = 0.0
    m = 0.0
    clip = 0.0
    first, last = nc, -1
    for c in range(a, b + 1):
        w = qx[r, c]
        if w > 0.0:
            if c > 0:
                w *= fac[r, c - 1]
        else:
            w *= fac[r, c]
        e = qx[r, c + 1]
        if e > 0.0:
            e *= fac[r, c]
        elif c + 1 < nc:
            e *= fac[r, c + 1]
        s = qy[r, c]
        if s > 0.0:
            if r > 0:
                s *= fac[r - 1, c]
        else:
            s *= fac[r, c]
        n = qy[r + 1, c]
        if n > 0.0:
            n *= fac[r, c]
        elif r + 1 < nr:
            n *= fac[r + 1, c]
        qx_out[r, c] = w
        qy_out[r, c] = s
        if c == b:
            qx_out[r, c + 1] = e
        if r == nr - 1:
            qy_out[nr, c] = n
        e_new = eta[r, c] + dt * ((w - e) + (s - n)) / dx
        h = e_new - z[r, c]
        if h < 0.0:
            clip -= h
            e_new = z[r, c]
            h = 0.0
        eta[r, c] = e_new
        hmax[r, c] = max(hmax[r, c], h)
        if h > thr:
            if not (t_wet[r, c] <= t_new):  # NaN: never wet before
                t_wet[r, c] = t_new
            first = min(first, c)
            last = c
            # only cells whose level the solver computes set the time step (dtw == 0 on
            # fixed-level cells, whose levels are re-imposed after every step)
            if h > m and dtw[r, c]:
                m = h
    rowmax[r] = m
    rowclip[r] = clip
    wlo[r] = first
    whi[r] = last


# Each pass has a parallel (prange over rows) and a serial twin: starting threads costs tens of
# microseconds to milliseconds a call (far more on a loaded machine), which dominates small grids.
@njit(cache=True, parallel=True)
def face_fluxes(eta, z, qx, qy, qx_new, qy_new, n2x, n2y, bkx, bvx, bky, bvy, lo, hi, ylo, yhi,
                dt, dx, g, theta, thr):
    """Pass 1: new unit discharges of the active faces from the state at t (reads only old q)."""
    for r in prange(eta.shape[0] + 1):
        _fluxes_row(r, eta, z, qx, qy, qx_new, qy_new, n2x, n2y, bkx, bvx, bky, bvy, lo, hi, ylo, yhi,
                    dt, dx, g, theta, thr)


@njit(cache=True)
def face_fluxes_serial(eta, z, qx, qy, qx_new, qy_new, n2x, n2y, bkx, bvx, bky, bvy, lo, hi, ylo, yhi,
                       dt, dx, g, theta, thr):
    """Serial twin of :func:`face_fluxes`."""
    for r in range(eta.shape[0] + 1):
        _fluxes_row(r, eta, z, qx, qy, qx_new, qy_new, n2x, n2y, bkx, bvx, bky, bvy, lo, hi, ylo, yhi,
                    dt, dx, g, theta, thr)


@njit(cache=True, parallel=True)
def outflow_factors(eta, z, qx, qy, fac, lo, hi, dt, dx):
    """Pass 2: ``fac = min(1, h dx / (dt * sum of outgoing q))`` per active cell."""
    for r in prange(eta.shape[0]):
        _factors_row(r, eta, z, qx, qy, fac, lo, hi, dt, dx)


@njit(cache=True)
def outflow_factors_serial(eta, z, qx, qy, fac, lo, hi, dt, dx):
    """Serial twin of :func:`outflow_factors`."""
    for r in range(eta.shape[0]):
        _factors_row(r, eta, z, qx, qy, fac, lo, hi, dt, dx)


@njit(cache=True, parallel=True)
def update_depths(eta, z, qx, qy, fac, qx_out, qy_out, lo, hi, plo, phi, dt, dx, thr, t_new,
                  hmax, t_wet, rowmax, rowclip, wlo, whi, dtw):
    """Pass 3: limited fluxes into ``qx_out``/``qy_out``; continuity; per-cell and per-row stats.

    Per row: ``rowmax`` the largest depth deeper than ``thr`` over cells with ``dtw != 0`` (0 if
    none; ``dtw`` is 0 on fixed-level cells, which do not set the time step), ``wlo``/``whi`` the
    first/last column deeper than ``thr`` (``nc``/-1 if none), ``rowclip`` the (round-off sized)
    depth its cells needed to stay >= 0.
    """
    for r in prange(eta.shape[0]):
        _update_row(r, eta, z, qx, qy, fac, qx_out, qy_out, lo, hi, plo, phi, dt, dx, thr, t_new,
                    hmax, t_wet, rowmax, rowclip, wlo, whi, dtw)


@njit(cache=True)
def update_depths_serial(eta, z, qx, qy, fac, qx_out, qy_out, lo, hi, plo, phi, dt, dx, thr, t_new,
                         hmax, t_wet, rowmax, rowclip, wlo, whi, dtw):
    """Serial twin of :func:`update_depths`."""
    for r in range(eta.shape[0]):
        _update_row(r, eta, z, qx, qy, fac, qx_out, qy_out, lo, hi, plo, phi, dt, dx, thr, t_new,
                    hmax, t_wet, rowmax, rowclip, wlo, whi, dtw)
