"""Numba kernels of the river-flood model: fill level, direct flood fill, water level and depth.

All kernels work on flat (C-order, row-major) arrays of a ``nrows × ncols`` grid so that a cell
is one integer; neighbours are the four cells sharing an edge (4-connectivity: water crosses cell
edges, never bare corners, which is why a dike drawn as an 8-connected line of cells is tight).
``e`` is the *stage-equivalent ground*: the gauge stage at which the local water surface reaches
the cell's ground (ground − surface offset). NaN or +inf cells never flood.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from network.kernels import heap_pop, heap_push


@njit(cache=True, inline="always")
def _neighbour(c: int, k: int, nrows: int, ncols: int) -> int:
    """The k-th of the 4 neighbours of flat cell index c (N, S, W, E order); -1 off the grid."""
    r = c // ncols
    col = c - r * ncols
    if k == 0:
        return c - ncols if r > 0 else -1
    if k == 1:
        return c + ncols if r < nrows - 1 else -1
    if k == 2:
        return c - 1 if col > 0 else -1
    return c + 1 if col < ncols - 1 else -1


@njit(cache=True)
def fill_level_kernel(e: np.ndarray, seeds: np.ndarray, nrows: int, ncols: int) -> np.ndarray:
    """Lowest stage at which each cell joins the water connected to a seed (minimax path level).

    ``F[c] = min over 4-connected paths seed → c of max(e along the path)``; +inf where no path
    exists. A cell is wet at stage ``H`` exactly when ``F[c] < H``. Priority-flood (Barnes et
    al. 2014): cells are finalised in increasing level; cells no higher than the current level
    (pits) go through a plain FIFO queue instead of the heap, which saves most heap work on
    floodplains.
    """
    n = nrows * ncols
    fill = np.full(n, np.inf)
    closed = np.zeros(n, np.bool_)
    keys = np.empty(n, np.float64)
    items = np.empty(n, np.int64)
    size = 0
    queue = np.empty(n, np.int64)
    head = 0
    tail = 0
    for i in range(n):
        if seeds[i] and np.isfinite(e[i]):
            fill[i] = e[i]
            closed[i] = True
            heap_push(keys, items, size, e[i], i)
            size += 1
    while size > 0 or head < tail:
        if head < tail:
            c = queue[head]
            head += 1
        else:
            c = items[0]
            size -= 1
            heap_pop(keys, items, size)
        level = fill[c]
        for k in range(4):
            nb = _neighbour(c, k, nrows, ncols)
            if nb < 0:
                continue
            if closed[nb]:
                continue
            closed[nb] = True
            z = e[nb]
            if not np.isfinite(z):
                continue
            if z <= level:
                fill[nb] = level
                queue[tail] = nb
                tail += 1
            else:
                fill[nb] = z
                heap_push(keys, items, size, z, nb)
                size += 1
    return fill


@njit(cache=True)
def flood_fill_kernel(e: np.ndarray, seeds: np.ndarray, level: float, nrows: int, ncols: int) -> np.ndarray:
    """Cells 4-connected to a seed through cells with ``e < level`` (a direct stack flood fill)."""
    n = nrows * ncols
    wet = np.zeros(n, np.bool_)
    stack = np.empty(n, np.int64)
    top = 0
    for i in range(n):
        if seeds[i] and e[i] < level and not wet[i]:
            wet[i] = True
            stack[top] = i
            top += 1
    while top > 0:
        top -= 1
        c = stack[top]
        for k in range(4):
            nb = _neighbour(c, k, nrows, ncols)
            if nb < 0:
                continue
            if not wet[nb] and e[nb] < level:
                wet[nb] = True
                stack[top] = nb
                top += 1
    return wet


@njit(cache=True)
def flood_level_kernel(
    fill: np.ndarray, e: np.ndarray, stage: float, max_stage: float, pond: np.ndarray,
    level_out: np.ndarray, depth_out: np.ndarray,
) -> None:
    """Water level (stage-equivalent) and depth of each cell at one moment, with ponding.

    Connected cells (``fill < stage``) stand at the river stage. A cell that was connected
    earlier in this epoch (``max_stage > fill``) keeps water up to its spill level ``fill``;
    water left from the previous epoch (``pond``, empty array = none) drains to the new spill
    level. Depth is level − e, 0 when dry, NaN where the ground has no data.
    """
    has_pond = pond.shape[0] > 0
    for i in range(fill.shape[0]):
        f = fill[i]
        if stage > f:
            lev = stage
        else:
            lev = -np.inf
            if max_stage > f:
                lev = f
            if has_pond:
                p = pond[i]
                p = min(p, f)
                lev = max(lev, p)
        level_out[i] = lev
        z = e[i]
        if z != z:
            depth_out[i] = np.nan
        else:
            d = lev - z
            depth_out[i] = max(0.0, d)
