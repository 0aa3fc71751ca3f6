"""Numba kernels for the chemical-release hazard (Gaussian plume and puff trains).

Only kernels live here; the physics, its plain numpy reference and the parameter tables are in
:mod:`sim.hazards.chemical.model`. Dispersion coefficients arrive as a small float array whose
layout :func:`sim.hazards.chemical.model.sigma_params` documents, so both paths share one table.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

#: sigma-parameter layouts (see ``chemical.sigma_params``)
MODE_BRIGGS, MODE_ISC3 = 0, 1
#: exponents below this give 0 (exp(-700) ~ 1e-304: far below any concentration of concern)
EXP_CUT = -700.0


@njit(cache=True)
def _briggs(a: float, b: float, p: float, x: float) -> float:
    # Same operation order as the numpy reference, so both round alike.
    if p == 0.0:
        return a * x
    if p == -0.5:
        return a * x / math.sqrt(1.0 + b * x)
    if p == 0.5:
        return a * x * math.sqrt(1.0 + b * x)
    return a * x / (1.0 + b * x)  # p == -1


@njit(cache=True)
def sigma_y_at(x: float, mode: int, p: np.ndarray) -> float:
    """sigma_y (m) at downwind distance ``x`` > 0 m."""
    if mode == MODE_BRIGGS:
        return _briggs(p[0], p[1], p[2], x)
    xkm = x / 1000.0  # ISC3 rural curve fits (EPA-454/B-95-003b) are in km
    return 465.11628 * xkm * math.tan(0.017453293 * (p[0] - p[1] * math.log(xkm)))


@njit(cache=True)
def sigma_z_at(x: float, mode: int, p: np.ndarray) -> float:
    """sigma_z (m) at downwind distance ``x`` > 0 m."""
    if mode == MODE_BRIGGS:
        return _briggs(p[3], p[4], p[5], x)
    xkm = x / 1000.0
    n = int(p[3])
    k = 0
    while k < n - 1 and xkm > p[4 + k]:
        k += 1
    sz = p[4 + n + k] * xkm ** p[4 + 2 * n + k]
    return min(sz, p[2])


# exp(a) = 2^k e^r with r = a - k ln2 (Cody-Waite split of ln2: k*_LN2_HI is exact for |k| < 2^11)
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10


@njit(cache=True, error_model="numpy")
def exp_cut_block(a: np.ndarray, m: int, out: np.ndarray, bits: np.ndarray) -> None:
    """``out[:m] = exp(a[:m])`` for ``a <= 0`` (0 below EXP_CUT), in loops LLVM makes SIMD code.

    libm's scalar ``exp`` keeps the plume loop from vectorising and costs most of its time;
    this one is a degree-13 Taylor polynomial on |r| <= ln2/2 (truncation < 1e-17) scaled by
    2^k built in the exponent bits. Within 1 ulp of numpy's exp (tested).
    """
    for j in range(m):
        aj = max(a[j], EXP_CUT)  # keeps k >= -1010: 2^k stays a normal number
        k = math.floor(aj * _LOG2E + 0.5)
        r = (aj - k * _LN2_HI) - k * _LN2_LO
        e = 1.6059043836821613e-10
        e = e * r + 2.08767569878681e-09
        e = e * r + 2.505210838544172e-08
        e = e * r + 2.755731922398589e-07
        e = e * r + 2.7557319223985893e-06
        e = e * r + 2.48015873015873e-05
        e = e * r + 0.0001984126984126984
        e = e * r + 0.001388888888888889
        e = e * r + 0.008333333333333333
        e = e * r + 0.041666666666666664
        e = e * r + 0.16666666666666666
        e = e * r + 0.5
        e = e * r + 1.0
        e = e * r + 1.0
        out[j] = e
        bits[j] = (np.int64(k) + 1023) << 52
    scale = bits.view(np.float64)
    for j in range(m):
        out[j] = out[j] * scale[j] if a[j] >= EXP_CUT else 0.0


@njit(cache=True, error_model="numpy")
def _briggs_block(a: float, b: float, p: float, x: np.ndarray, m: int, out: np.ndarray) -> None:
    # one loop per form, so each vectorises; same operations as _briggs
    if p == 0.0:
        for j in range(m):
            out[j] = a * x[j]
    elif p == -0.5:
        for j in range(m):
            out[j] = a * x[j] / math.sqrt(1.0 + b * x[j])
    elif p == 0.5:
        for j in range(m):
            out[j] = a * x[j] * math.sqrt(1.0 + b * x[j])
    else:
        for j in range(m):
            out[j] = a * x[j] / (1.0 + b * x[j])


CHUNK = 512  # receptors per block: the block's buffers stay in L1/L2


@njit(cache=True, parallel=True, error_model="numpy")
def plume_kernel(
    q: float, u: float, x: np.ndarray, y: np.ndarray, z: np.ndarray, h: float,
    mode: int, p: np.ndarray, x_lo: float, x_hi: float, out: np.ndarray,
) -> None:
    """Reflected Gaussian plume (g/m3 for q in g/s) at receptors, written into ``out``.

    ``x``/``y`` downwind/crosswind metres; ``z`` holds one height or one per receptor. Only
    receptors with ``max(x_lo, 0) < x <= x_hi`` get a concentration (the plume's front and tail).
    Same arithmetic as ``chemical.gaussian_plume``, in blocks of branch-free loops that LLVM
    vectorises, the blocks spread over threads.
    """
    n = x.shape[0]
    one_z = z.shape[0] == 1
    nchunk = (n + CHUNK - 1) // CHUNK
    nwork = min(nchunk, 256)
    for w in prange(nwork):
        xs = np.empty(CHUNK)
        sy = np.empty(CHUNK)
        sz = np.empty(CHUNK)
        pre = np.empty(CHUNK)
        am = np.empty(CHUNK)
        ap = np.empty(CHUNK)
        em = np.empty(CHUNK)
        ep = np.empty(CHUNK)
        bits = np.empty(CHUNK, np.int64)
        for c in range(w, nchunk, nwork):
            lo = c * CHUNK
            m = min(CHUNK, n - lo)
            for j in range(m):
                xi = x[lo + j]
                xs[j] = xi if (xi > 0.0 and xi > x_lo and xi <= x_hi) else 1.0
            if mode == MODE_BRIGGS:
                _briggs_block(p[0], p[1], p[2], xs, m, sy)
                _briggs_block(p[3], p[4], p[5], xs, m, sz)
            else:
                for j in range(m):
                    sy[j] = sigma_y_at(xs[j], mode, p)
                    sz[j] = sigma_z_at(xs[j], mode, p)
            for j in range(m):
                xi = x[lo + j]
                yi = y[lo + j]
                zi = z[0] if one_z else z[lo + j]
                ay = -(yi * yi) / (2.0 * sy[j] * sy[j])
                am[j] = ay + -((zi - h) * (zi - h)) / (2.0 * sz[j] * sz[j])
                ap[j] = ay + -((zi + h) * (zi + h)) / (2.0 * sz[j] * sz[j])
                inside = xi > 0.0 and xi > x_lo and xi <= x_hi
                pre[j] = q / (2.0 * math.pi * u * sy[j] * sz[j]) if inside else 0.0
            exp_cut_block(am, m, em, bits)
            exp_cut_block(ap, m, ep, bits)
            for j in range(m):
                out[lo + j] = pre[j] * (em[j] + ep[j])


@njit(cache=True, parallel=True, error_model="numpy")
def puff_train_kernel(
    rx: np.ndarray, ry: np.ndarray, cx: np.ndarray, cy: np.ndarray,
    amp: np.ndarray, inv2s2: np.ndarray, cut2: np.ndarray, out: np.ndarray,
) -> None:
    """Sum of puffs with isotropic horizontal spread (sigma_x = sigma_y) at receptors.

    Puff ``j`` contributes ``amp[j] * exp(-r2 * inv2s2[j])`` where ``r2`` is the squared horizontal
    distance from its centre; ``amp`` already holds the mass, normalisation and the vertical
    (reflected) factor at the receptor height. Puffs farther than ``sqrt(cut2[j])`` are skipped.
    """
    n = rx.shape[0]
    m = cx.shape[0]
    for i in prange(n):
        acc = 0.0
        xi = rx[i]
        yi = ry[i]
        for j in range(m):
            dx = xi - cx[j]
            dy = yi - cy[j]
            r2 = dx * dx + dy * dy
            if r2 <= cut2[j]:
                acc += amp[j] * math.exp(-r2 * inv2s2[j])
        out[i] = acc


@njit(cache=True, parallel=True, error_model="numpy")
def puff_segment_kernel(
    rx: np.ndarray, ry: np.ndarray, z: float, h: float,
    ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray, mass: np.ndarray,
    sya: np.ndarray, syb: np.ndarray, sza: np.ndarray, szb: np.ndarray,
    cutoff: float, peak: np.ndarray, mean: np.ndarray,
) -> None:
    """Peak and time-mean concentration at receptors while puffs move from ``a`` to ``b``.

    Each puff moves at constant velocity over the step; its sigmas vary linearly from the ``a``
    to the ``b`` values. Per puff, the peak is taken at its closest approach to the receptor
    (sigmas interpolated there) and the mean is the exact average of the Gaussian along the
    segment (an erf difference) with those sigmas. ``peak`` sums the per-puff peaks, which is
    the true peak for one puff and an upper bound for several.
    """
    n = rx.shape[0]
    m = ax.shape[0]
    norm = (2.0 * math.pi) ** 1.5
    root_half_pi = math.sqrt(0.5 * math.pi)
    for i in prange(n):
        pk = 0.0
        mn = 0.0
        for j in range(m):
            vx = bx[j] - ax[j]
            vy = by[j] - ay[j]
            wx = rx[i] - ax[j]
            wy = ry[i] - ay[j]
            l2 = vx * vx + vy * vy
            f = 0.0
            if l2 > 0.0:
                f = (wx * vx + wy * vy) / l2
                f = min(max(f, 0.0), 1.0)
            px = wx - f * vx
            py = wy - f * vy
            d2 = px * px + py * py
            sy = sya[j] + f * (syb[j] - sya[j])
            if d2 > (cutoff * sy) * (cutoff * sy):
                continue
            sz = sza[j] + f * (szb[j] - sza[j])
            vz = math.exp(-((z - h) * (z - h)) / (2.0 * sz * sz)) + math.exp(-((z + h) * (z + h)) / (2.0 * sz * sz))
            amp = mass[j] / (norm * sy * sy * sz) * vz
            pk += amp * math.exp(-d2 / (2.0 * sy * sy))
            if l2 > 0.0:
                seg = math.sqrt(l2)
                proj = (wx * vx + wy * vy) / seg
                dperp2 = max(wx * wx + wy * wy - proj * proj, 0.0)
                k = 1.0 / (math.sqrt(2.0) * sy)
                mn += (amp * math.exp(-dperp2 / (2.0 * sy * sy)) * sy * root_half_pi / seg
                       * (math.erf((seg - proj) * k) - math.erf(-proj * k)))
            else:
                mn += amp * math.exp(-d2 / (2.0 * sy * sy))
        peak[i] = pk
        mean[i] = mn
