"""Numba kernels of the forest-fire cellular automaton (model: :mod:`sim.hazards.fire.model`).

Grid cells are numbered row-major, ``cell = row * ncols + col`` (row 0 at the south edge).
Neighbour ``k`` of the Moore neighbourhood lies at ``(row + DR[k], col + DC[k])``; the
transition table ``q_table[t, k]`` holds the probability that a burning cell at
``t - (DR[k], DC[k])`` does *not* ignite ``t`` in one step (``1 - p_burn``).

Randomness is a counter-based hash of (key, step, cell): the draw for a cell does not depend
on the order cells are visited, so the front-only kernel and the whole-grid numpy reference
(``fire._step_reference``) draw the same number for the same decision.
"""
from __future__ import annotations

import numpy as np
from numba import njit

#: Moore neighbourhood offsets (target - source): row (north +), column (east +)
DR = np.array([-1, -1, -1, 0, 0, 1, 1, 1], np.int64)
DC = np.array([-1, 0, 1, -1, 1, -1, 0, 1], np.int64)

#: ignition step of a cell that never ignited
NEVER = np.iinfo(np.int32).max

# splitmix64 constants
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_GOLDEN2 = np.uint64(0xD1B54A32D192ED03)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


@njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def hash_uniform(key, step, cell):
    """Uniform [0, 1) from (key, step, cell); mirrors ``fire._hash_uniform_np``."""
    h = _mix(np.uint64(key) + np.uint64(step) * _GOLDEN)
    h = _mix(h + np.uint64(cell) * _GOLDEN2)
    return np.float64(h >> _S11) * _INV53


@njit(cache=True)
def advance(q_table, burnable, supp, ign_step, log, log_step, nbmask, cand,
            nrows, ncols, step, n_logged, front_lo, front_hi, target_step, key,
            sched_cell, sched_step, sched_ptr):
    """Run the automaton from ``step`` to ``target_step``; only the burning front is visited.

    ``log[:n_logged]`` lists ignited cells in order of ignition (``log_step`` their step), so
    the cells burning at ``step`` are ``log[front_lo:front_hi]`` with ``front_hi == n_logged``.
    Scheduled ignitions (``sched_cell``/``sched_step``, sorted by step, next one at
    ``sched_ptr``) are applied at their step. Scratch: ``nbmask`` one uint8 per cell, all zero
    (left zero), ``cand`` one int32 per cell. Returns the new
    ``(step, n_logged, front_lo, front_hi, sched_ptr)``.
    """
    n_sched = sched_cell.shape[0]
    while step < target_step:
        if front_hi == front_lo:
            # no fire burning: jump to the step before the next scheduled ignition (or the end)
            nxt = target_step
            if sched_ptr < n_sched and sched_step[sched_ptr] - 1 < nxt:
                nxt = sched_step[sched_ptr] - 1
            if nxt > step:
                step = nxt
                continue
        new = step + 1
        # 1. unburned burnable neighbours of the front are this step's candidates; nbmask
        #    records from which directions k a burning neighbour reaches each of them
        n_cand = 0
        for i in range(front_lo, front_hi):
            c = log[i]
            r = c // ncols
            col = c - r * ncols
            for k in range(8):
                rr = r + DR[k]
                cc = col + DC[k]
                if rr < 0 or rr >= nrows or cc < 0 or cc >= ncols:
                    continue
                t = rr * ncols + cc
                if ign_step[t] == NEVER and burnable[t]:
                    if nbmask[t] == 0:
                        cand[n_cand] = t
                        n_cand += 1
                    nbmask[t] |= np.uint8(1 << k)
        # 2. each candidate ignites with 1 - prod(1 - p_burn) over its burning neighbours,
        #    multiplied in direction order k = 0..7 so the product matches the numpy reference
        #    bit for bit
        for j in range(n_cand):
            t = cand[j]
            m = nbmask[t]
            nbmask[t] = 0
            q = 1.0
            for k in range(8):
                if m & (1 << k):
                    q *= q_table[t, k]
            prob = (1.0 - q) * supp[t]
            if hash_uniform(key, new, t) < prob:
                ign_step[t] = new
                log[n_logged] = t
                log_step[n_logged] = new
                n_logged += 1
        # 3. ignitions scheduled for this step
        while sched_ptr < n_sched and sched_step[sched_ptr] <= new:
            t = sched_cell[sched_ptr]
            sched_ptr += 1
            if ign_step[t] == NEVER:
                ign_step[t] = new
                log[n_logged] = t
                log_step[n_logged] = new
                n_logged += 1
        # the cells logged in steps 2 and 3 are the new front
        front_lo = front_hi
        front_hi = n_logged
        step = new
    return step, n_logged, front_lo, front_hi, sched_ptr


@njit(cache=True)
def mark_near_cells(cells, steps, ncols, x0, y0, cs, px, py,
                    b_indptr, b_items, bx0, by0, bsize, nbx, nby, radius, out_step):
    """For points within ``radius`` of a cell's square, ``out_step = min(out_step, step)``.

    Points are bucketed on a grid of square buckets of side ``bsize >= radius + cs`` (CSR
    ``b_indptr``/``b_items``, origin ``bx0``/``by0``), so each cell checks 3 x 3 buckets.
    Cost follows the cells given, not the grid.
    """
    h = 0.5 * cs
    r2 = radius * radius
    for i in range(cells.shape[0]):
        c = cells[i]
        s = steps[i]
        row = c // ncols
        col = c - row * ncols
        cx = x0 + (col + 0.5) * cs
        cy = y0 + (row + 0.5) * cs
        bi = int(np.floor((cx - bx0) / bsize))
        bj = int(np.floor((cy - by0) / bsize))
        for bb in range(max(bj - 1, 0), min(bj + 2, nby)):
            for ba in range(max(bi - 1, 0), min(bi + 2, nbx)):
                b = bb * nbx + ba
                for m in range(b_indptr[b], b_indptr[b + 1]):
                    p = b_items[m]
                    if out_step[p] <= s:
                        continue
                    dx = abs(px[p] - cx) - h
                    dy = abs(py[p] - cy) - h
                    if dx < 0.0:
                        dx = 0.0
                    if dy < 0.0:
                        dy = 0.0
                    if dx * dx + dy * dy <= r2:
                        out_step[p] = s
