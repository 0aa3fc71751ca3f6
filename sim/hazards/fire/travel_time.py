"""Minimum-travel-time (MTT) fire propagation over a raster, not bound to the grid's 8 directions.

Method (Finney, M.A. 2002, "Fire growth using minimum travel time methods", Can. J. For. Res.
32: 1420–1424): fire reaches each cell along the path of least travel time from an ignition;
travel times are integrated along straight transects between cell centres and the shortest
paths are found with Dijkstra's algorithm. The transects are the moves of a 16-cell stencil —
(±1,0), (0,±1), (±1,±1), (±1,±2), (±2,±1) — or of a 32-cell one (adding (±1,±3), (±3,±1),
(±2,±3), (±3,±2)), so the front can advance in 16 or 32 directions rather than the 8 of a
cellular automaton; ``neighbours=8`` is kept to show why that is too few.

Spread rate in any direction (the elliptical fire of Richards 1990, "A general mathematical
framework for modeling two-dimensional wildland fire spread", Int. J. Wildland Fire 5: 63–72,
as used by Finney's FARSITE and by Cell2Fire): the fire grows as an ellipse with the ignition
point at its REAR focus, of length-to-breadth ratio ``lb`` (Anderson 1983, "Predicting
wind-driven wild land fire size and shape", USDA FS Res. Pap. INT-305, gives lb from wind
speed). With eccentricity ``e = sqrt(1 - 1/lb²)`` the spread rate at angle ``θ`` from the head
direction is::

    r(θ) = head * (1 - e) / (1 - e cos θ)

so ``r(0) = head`` and ``r(π) = back = head (1 - e)/(1 + e)``; Cell2Fire's ``ros_distr`` writes
the same curve as ``a (1 - e²)/(1 - e cos θ)`` with ``a = (head + back)/2``. After ``t`` minutes
in uniform conditions the fire is the ellipse of semi-major axis ``(head + back)/2 · t`` and
semi-minor axis ``semi-major / lb``, centred ``(head - back)/2 · t`` downwind of the ignition.

Travel time of a move: the segment between the two cell centres is split where it crosses cell
boundaries, and each piece is travelled at its own cell's ``r(θ)`` in the move's direction
(Finney's transect integral of slowness, exact for piecewise-constant cells; splitting the
segment equally among the cells it passes through would weight a cell it clips at a corner as
much as one it crosses through the middle). A move is refused if any cell it crosses is
unburnable, or if it passes exactly through a corner between two unburnable cells, so an
8-connected rasterised road, river or fire line is a closed barrier.

Conventions: rasters are 2-D float arrays, row 0 at the NORTH edge, columns to the east, square
cells of ``cell_m`` metres; bearings in degrees clockwise from north, ``head_dir_deg`` the
bearing the head fire moves TOWARDS; rates in metres per minute; times in minutes.

The numba kernels are in :mod:`sim.hazards.fire.mtt_kernels`; :func:`arrival_times_reference`
and :func:`propagate_reference` build the same stencil graph as a ``scipy.sparse`` matrix with
the same edge weights and solve it with ``scipy.sparse.csgraph.dijkstra`` from a virtual source.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from itertools import pairwise
from typing import NamedTuple

import numpy as np

from network.errors import InputError

from . import mtt_kernels as _k

#: stencil sizes offered
NEIGHBOURS = (8, 16, 32)

_OFFSETS = {
    8: [(1, 0), (1, 1)],
    16: [(1, 0), (1, 1), (1, 2)],
    32: [(1, 0), (1, 1), (1, 2), (1, 3), (2, 3)],
}


class Stencil(NamedTuple):
    """The moves of a stencil and the cells each crosses (see :mod:`.mtt_kernels`)."""

    dr: np.ndarray      #: row offset of each move (south +)
    dc: np.ndarray      #: column offset (east +)
    un: np.ndarray      #: north component of the unit vector
    ue: np.ndarray      #: east component of the unit vector
    length: np.ndarray  #: cells (multiply by cell_m for metres)
    p_ptr: np.ndarray   #: pieces of move k: p_ptr[k]:p_ptr[k+1]
    p_dr: np.ndarray
    p_dc: np.ndarray
    p_frac: np.ndarray  #: fraction of the move's length in that cell
    c_ptr: np.ndarray   #: corners the move passes through: c_ptr[k]:c_ptr[k+1]
    c_dr1: np.ndarray
    c_dc1: np.ndarray
    c_dr2: np.ndarray
    c_dc2: np.ndarray


def _pieces(dr: int, dc: int) -> tuple[list[tuple[int, int, float]], list[tuple[int, int, int, int]]]:
    """Cells crossed by the segment from the centre of cell (0, 0) to that of (dr, dc).

    Exact arithmetic (fractions) finds where the segment crosses grid lines, so a crossing
    through a corner is recognised as one. Returns ``[(row, col, fraction)]`` in order along
    the segment and ``[(r1, c1, r2, c2)]``, the two cells beside each corner it passes through
    that it does not enter.
    """
    def crossings(d: int) -> set[Fraction]:
        # the coordinate 1/2 + d t crosses integer m at t = (m - 1/2) / d
        if d == 0:
            return set()
        lo, hi = sorted((0, d))
        return {(Fraction(m) - Fraction(1, 2)) / d for m in range(lo + 1, hi + 1)}

    tr, tc = crossings(dr), crossings(dc)
    ts = sorted({Fraction(0), Fraction(1)} | tr | tc)
    pieces = []
    for t_a, t_b in pairwise(ts):
        tm = (t_a + t_b) / 2
        pieces.append((math.floor(Fraction(1, 2) + dr * tm), math.floor(Fraction(1, 2) + dc * tm),
                       float(t_b - t_a)))
    corners = []
    for t in sorted(tr & tc):
        R, C = int(Fraction(1, 2) + dr * t), int(Fraction(1, 2) + dc * t)
        around = {(R - 1, C - 1), (R - 1, C), (R, C - 1), (R, C)}
        off = sorted(around - {(p[0], p[1]) for p in pieces})
        corners.append((off[0][0], off[0][1], off[1][0], off[1][1]))
    return pieces, corners


@cache
def stencil(neighbours: int = 16) -> Stencil:
    """The 8-, 16- or 32-move stencil with its crossing tables (built once, read-only)."""
    if neighbours not in NEIGHBOURS:
        raise InputError(f"neighbours: expected one of {NEIGHBOURS}, found {neighbours!r}")
    moves = []
    for a, b in _OFFSETS[neighbours]:
        for p, q in {(a, b), (b, a)}:
            moves += sorted({(sp * p, sq * q) for sp in (1, -1) for sq in (1, -1)})
    dr, dc, p_ptr, c_ptr, p_rows, c_rows = [], [], [0], [0], [], []
    for r, c in moves:
        pieces, corners = _pieces(r, c)
        dr.append(r)
        dc.append(c)
        p_rows += pieces
        c_rows += corners
        p_ptr.append(len(p_rows))
        c_ptr.append(len(c_rows))
    dr_a, dc_a = np.array(dr, np.int64), np.array(dc, np.int64)
    length = np.hypot(dr_a, dc_a)
    i64 = lambda rows, j: np.array([x[j] for x in rows], np.int64)
    st = Stencil(dr_a, dc_a, -dr_a / length, dc_a / length, length,
                 np.array(p_ptr, np.int64), i64(p_rows, 0), i64(p_rows, 1),
                 np.array([x[2] for x in p_rows], np.float64),
                 np.array(c_ptr, np.int64), i64(c_rows, 0), i64(c_rows, 1), i64(c_rows, 2), i64(c_rows, 3))
    for arr in st:
        arr.setflags(write=False)
    return st


def eccentricity(lb: np.ndarray | float) -> np.ndarray | float:
    """``e = sqrt(1 - 1/lb²)`` of the fire ellipse of length-to-breadth ratio ``lb``."""
    return np.sqrt(1.0 - 1.0 / np.square(lb))


def backing_rate(head: np.ndarray | float, lb: np.ndarray | float) -> np.ndarray | float:
    """Backing rate ``head (1 - e)/(1 + e)`` (Richards 1990; ignition at the rear focus)."""
    e = eccentricity(lb)
    return head * (1.0 - e) / (1.0 + e)


def spread_rate(head: np.ndarray | float, lb: np.ndarray | float, theta_rad: np.ndarray | float):
    """Spread rate at angle ``theta_rad`` from the head direction: ``head (1-e)/(1 - e cos θ)``."""
    e = eccentricity(lb)
    return head * (1.0 - e) / (1.0 - e * np.cos(theta_rad))


def ellipse_arrival(head: float, lb: float, head_dir_deg: float, north_m: np.ndarray,
                    east_m: np.ndarray) -> np.ndarray:
    """Exact arrival time (min) at points ``(north_m, east_m)`` from an ignition at the origin at 0.

    In uniform conditions the fastest path is the straight line (the elliptical wavelet is
    convex), so ``T = distance / r(θ)``.
    """
    dist = np.hypot(north_m, east_m)
    bearing = np.arctan2(east_m, north_m)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = dist / spread_rate(head, lb, bearing - math.radians(head_dir_deg))
    return np.where(dist == 0, 0.0, t)


@dataclass(frozen=True)
class SpreadRates:
    """Validated per-cell spread conditions (build with :meth:`of`).

    ``burnable`` is False where ``ros_m_min`` is 0 or NaN or ``barrier`` is set.
    """

    ros_m_min: np.ndarray
    head_dir_deg: np.ndarray
    lb: np.ndarray
    cell_m: float
    burnable: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.ros_m_min.shape  # type: ignore[return-value]

    @classmethod
    def of(cls, ros_m_min, head_dir_deg, lb, cell_m: float, barrier=None) -> SpreadRates:
        """Check the inputs; ``head_dir_deg`` and ``lb`` may be scalars (the same everywhere).

        Raises
        ------
        InputError
            One line naming the argument: not 2-D, shapes differ, ``ros_m_min`` negative or
            infinite, ``lb`` below 1 or not finite, ``head_dir_deg`` not finite where the cell
            burns, ``cell_m`` not a positive number.
        """
        ros = np.array(ros_m_min, dtype=np.float64)
        if ros.ndim != 2 or ros.size == 0:
            raise InputError(f"ros_m_min: expected a non-empty 2-D array, found shape {ros.shape}")
        try:
            cell = float(cell_m)
        except (TypeError, ValueError):
            raise InputError(f"cell_m: expected a number, found {cell_m!r}") from None
        if not (math.isfinite(cell) and cell > 0):
            raise InputError(f"cell_m: expected a number > 0, found {cell_m!r}")

        def same_shape(name: str, value, dtype) -> np.ndarray:
            arr = np.asarray(value, dtype=dtype)
            if arr.ndim == 0:
                return np.full(ros.shape, arr, dtype=dtype)
            if arr.shape != ros.shape:
                raise InputError(f"{name}: expected shape {ros.shape} (that of ros_m_min), found {arr.shape}")
            return arr.astype(dtype, copy=True)

        try:
            dirs = same_shape("head_dir_deg", head_dir_deg, np.float64)
            lbs = same_shape("lb", lb, np.float64)
            bar = np.zeros(ros.shape, bool) if barrier is None else same_shape("barrier", barrier, bool)
        except (TypeError, ValueError) as exc:
            raise InputError(f"spread inputs: expected numeric arrays ({exc})") from None
        _no_bad("ros_m_min", ros, (ros < 0) | np.isinf(ros), "a rate ≥ 0 m/min (0 or NaN: unburnable)")
        burnable = (ros > 0) & ~bar  # NaN > 0 is False
        _no_bad("lb", lbs, ~(lbs >= 1) & burnable | (lbs < 1) | np.isinf(lbs), "a finite ratio ≥ 1")
        _no_bad("head_dir_deg", dirs, ~np.isfinite(dirs) & burnable, "a finite bearing in degrees")
        for arr in (ros, dirs, lbs, burnable):
            arr.setflags(write=False)
        return cls(ros, dirs, lbs, cell, burnable)


def _no_bad(name: str, arr: np.ndarray, bad: np.ndarray, expected: str) -> None:
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputError(f"{name}: expected {expected}, found {arr[r, c]!r} at row {r}, col {c}")


def _coefficients(rates: SpreadRates) -> np.ndarray:
    """``(a, e cos dir, e sin dir)`` per cell (rows, flat order) of the kernels' slowness formula;
    ``a = -1`` marks an unburnable cell. One row per cell keeps a cell's numbers in one cache line."""
    b = rates.burnable
    e = np.where(b, eccentricity(np.where(b, rates.lb, 1.0)), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(b, 1.0 / (rates.ros_m_min * (1.0 - e)), -1.0)
    d = np.radians(np.where(b, rates.head_dir_deg, 0.0))
    return np.ascontiguousarray(np.stack([a.ravel(), (e * np.cos(d)).ravel(), (e * np.sin(d)).ravel()], axis=1))


def _ignition_times(ignitions: Iterable[Sequence[float]], shape: tuple[int, int],
                    name: str = "ignitions", not_before: float = -math.inf) -> np.ndarray:
    """Flat start time per cell (``inf`` where none; the earliest where several), checked."""
    start = np.full(shape[0] * shape[1], np.inf)
    try:
        items = [tuple(x) for x in ignitions]
    except TypeError:
        raise InputError(f"{name}: expected (row, col, t_min) triples, found {ignitions!r}") from None
    for i, item in enumerate(items):
        if len(item) != 3:
            raise InputError(f"{name}[{i}]: expected (row, col, t_min), found {item!r}")
        r, c, t = item
        if not all(isinstance(v, (int, np.integer)) for v in (r, c)):
            raise InputError(f"{name}[{i}]: row and col must be integers, found {item!r}")
        if not (0 <= r < shape[0] and 0 <= c < shape[1]):
            raise InputError(f"{name}[{i}]: cell ({r}, {c}) is outside the {shape[0]}x{shape[1]} grid")
        try:
            t = float(t)
        except (TypeError, ValueError):
            raise InputError(f"{name}[{i}]: t_min must be a number, found {item[2]!r}") from None
        if not math.isfinite(t) or t < not_before:
            raise InputError(f"{name}[{i}]: t_min must be a finite time ≥ {not_before:g}, found {t!r}")
        q = int(r) * shape[1] + int(c)
        start[q] = min(start[q], t)
    return start


def _until(until_min: float) -> float:
    try:
        u = float(until_min)
    except (TypeError, ValueError):
        raise InputError(f"until_min: expected a number, found {until_min!r}") from None
    if math.isnan(u):
        raise InputError("until_min: expected a number, found nan")
    return u


def _stencil_args(st: Stencil, ncols: int, cell_m: float) -> tuple:
    """The stencil tables as the kernels take them: cell offsets flattened for this grid width."""
    return (st.dr, st.dc, st.un, st.ue, st.length * cell_m, st.p_ptr, st.p_dr * ncols + st.p_dc, st.p_frac,
            st.c_ptr, st.c_dr1 * ncols + st.c_dc1, st.c_dr2 * ncols + st.c_dc2)


def arrival_times(ros_m_min, head_dir_deg, lb, cell_m: float, ignitions: Iterable[Sequence[float]], *,
                  barrier=None, neighbours: int = 16, until_min: float = math.inf) -> np.ndarray:
    """Fire arrival time (minutes) per cell by minimum travel time (Finney 2002); numba kernel.

    Parameters
    ----------
    ros_m_min, head_dir_deg, lb
        Head rate of spread (m/min; 0 or NaN: unburnable), bearing the head fire moves towards
        (degrees from north, clockwise) and length-to-breadth ratio (≥ 1) per cell; the two
        last may be scalars.
    cell_m
        Cell size in metres.
    ignitions
        ``(row, col, t_min)`` triples; an ignition on an unburnable cell does not burn.
    barrier
        Optional boolean mask of cells fire cannot enter (roads, rivers, fire lines).
    neighbours
        Stencil: 16 (default) or 32 moves; 8 only for comparison.
    until_min
        Stop once the front passes this time; later cells are ``inf``.

    Returns
    -------
    numpy.ndarray
        Arrival time per cell, ``inf`` where the fire does not reach.
    """
    rates = SpreadRates.of(ros_m_min, head_dir_deg, lb, cell_m, barrier)
    st = stencil(neighbours)
    start = _ignition_times(ignitions, rates.shape)
    until = _until(until_min)
    start[~rates.burnable.ravel()] = np.inf
    done = np.zeros(start.size, np.uint8)
    dist = _k.dijkstra(rates.shape[0], rates.shape[1], start, done, until, _coefficients(rates),
                       *_stencil_args(st, rates.shape[1], rates.cell_m))
    dist[dist > until] = np.inf
    return dist.reshape(rates.shape)


def _restart_inputs(rates: SpreadRates, t0: float, prior_arrival, prior: SpreadRates | None,
                    ignitions: Iterable[Sequence[float]], until_min: float):
    t0 = float(t0)
    if not math.isfinite(t0):
        raise InputError(f"t0: expected a finite time in minutes, found {t0!r}")
    arr = np.asarray(prior_arrival, dtype=np.float64)
    if arr.shape != rates.shape:
        raise InputError(f"prior_arrival: expected shape {rates.shape}, found {arr.shape}")
    if np.isnan(arr).any():
        raise InputError("prior_arrival: expected times or inf, found NaN")
    if prior is None:
        prior = rates
    elif not isinstance(prior, SpreadRates) or prior.shape != rates.shape or prior.cell_m != rates.cell_m:
        raise InputError("prior_rates: expected the SpreadRates of the same grid the prior arrival was computed on")
    fixed = arr <= t0
    start = _ignition_times(ignitions, rates.shape, not_before=t0)
    start[~rates.burnable.ravel() | fixed.ravel()] = np.inf
    return t0, arr.ravel(), fixed.ravel(), prior, start, _until(until_min)


def propagate(ros_m_min, head_dir_deg, lb, cell_m: float, *, t0: float, prior_arrival,
              prior_rates: SpreadRates | None = None, ignitions: Iterable[Sequence[float]] = (),
              barrier=None, neighbours: int = 16, until_min: float = math.inf) -> np.ndarray:
    """Continue a fire from its front at ``t0`` under new conditions (a wind change).

    Cells with ``prior_arrival <= t0`` have burned and keep their times. Every move out of a
    burned cell ``i`` into an unburned cell that started at ``t_i`` keeps its progress: it had
    covered ``p = (t0 - t_i) / w_old`` of its old travel time ``w_old`` (``prior_rates``, the
    conditions ``prior_arrival`` was computed under; None: the same as the new ones), so it
    reaches the neighbour at ``t0 + (1 - p) w_new`` under the new rates. Propagation then
    continues by Dijkstra under the new rates. With unchanged rates this reproduces the
    one-shot :func:`arrival_times` to rounding (tests: 1e-9 min). New ``ignitions`` must be at
    ``t_min ≥ t0``. Other parameters as in :func:`arrival_times`.
    """
    rates = SpreadRates.of(ros_m_min, head_dir_deg, lb, cell_m, barrier)
    st = stencil(neighbours)
    t0, arr, fixed, prior, start, until = _restart_inputs(rates, t0, prior_arrival, prior_rates,
                                                           ignitions, until_min)
    nr, nc = rates.shape
    coef = _coefficients(rates)
    st_args = _stencil_args(st, nc, rates.cell_m)
    fixed8 = fixed.astype(np.uint8)
    _k.restart_seeds(nr, nc, arr, fixed8, t0, start, _coefficients(prior), coef, *st_args)
    dist = _k.dijkstra(nr, nc, start, fixed8.copy(), until, coef, *st_args)
    dist[dist > until] = np.inf
    dist[fixed] = arr[fixed]
    return dist.reshape(rates.shape)


# ---------------------------------------------------------------------------------------------
# the plain reference: the same stencil graph as a scipy.sparse matrix, scipy's Dijkstra


def stencil_edges(rates: SpreadRates, neighbours: int = 16) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every in-grid stencil move as (source cell, target cell, minutes), ``inf`` where refused.

    Vectorised numpy, one stencil move at a time, independent of the kernels' slowness
    coefficients: ``L Σ frac / r(θ)`` with ``r`` from :func:`spread_rate`. The order of the
    edges depends only on the grid's shape, so two conditions on one grid align edge by edge.
    """
    st = stencil(neighbours)
    nr, nc = rates.shape
    b = rates.burnable
    src_all, dst_all, w_all = [], [], []
    for k in range(st.dr.size):
        dr, dc = int(st.dr[k]), int(st.dc[k])
        theta = math.atan2(dc, -dr) - np.radians(rates.head_dir_deg)
        with np.errstate(divide="ignore", invalid="ignore"):
            slow = np.where(b, 1.0 / spread_rate(rates.ros_m_min, np.where(b, rates.lb, 1.0), theta), np.inf)
        r0, r1 = max(0, -dr), nr - max(0, dr)
        c0, c1 = max(0, -dc), nc - max(0, dc)
        if r1 <= r0 or c1 <= c0:
            continue
        w = np.zeros((r1 - r0, c1 - c0))
        for j in range(st.p_ptr[k], st.p_ptr[k + 1]):
            pr, pc = int(st.p_dr[j]), int(st.p_dc[j])
            w += st.p_frac[j] * slow[r0 + pr:r1 + pr, c0 + pc:c1 + pc]
        for j in range(st.c_ptr[k], st.c_ptr[k + 1]):
            s1 = b[r0 + st.c_dr1[j]:r1 + st.c_dr1[j], c0 + st.c_dc1[j]:c1 + st.c_dc1[j]]
            s2 = b[r0 + st.c_dr2[j]:r1 + st.c_dr2[j], c0 + st.c_dc2[j]:c1 + st.c_dc2[j]]
            w[~s1 & ~s2] = np.inf
        w *= st.length[k] * rates.cell_m
        src = (np.arange(r0, r1)[:, None] * nc + np.arange(c0, c1)[None, :]).ravel()
        src_all.append(src)
        dst_all.append(src + (dr * nc + dc))
        w_all.append(w.ravel())
    return np.concatenate(src_all), np.concatenate(dst_all), np.concatenate(w_all)


def _scipy_from_virtual(n: int, src: np.ndarray, dst: np.ndarray, w: np.ndarray, start: np.ndarray,
                        until: float) -> np.ndarray:
    """Shortest times from a virtual source joined to every cell with a finite ``start``.

    The virtual edges weigh ``start - t_min + 1`` (the +1 keeps them non-zero, since a sparse
    matrix may drop explicit zeros); the answer is shifted back by ``t_min - 1``.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    seeds = np.flatnonzero(np.isfinite(start))
    out = np.full(n, np.inf)
    if seeds.size == 0:
        return out
    t_min = float(start[seeds].min())
    keep = np.isfinite(w)
    rows = np.concatenate([src[keep], np.full(seeds.size, n)])
    cols = np.concatenate([dst[keep], seeds])
    data = np.concatenate([w[keep], start[seeds] - t_min + 1.0])
    graph = csr_matrix((data, (rows, cols)), shape=(n + 1, n + 1))
    limit = until - t_min + 1.0 if until < math.inf else np.inf
    d = dijkstra(graph, directed=True, indices=n, limit=limit)
    out = d[:n] - 1.0 + t_min
    out[out > until] = np.inf
    return out


def arrival_times_reference(ros_m_min, head_dir_deg, lb, cell_m: float, ignitions, *, barrier=None,
                            neighbours: int = 16, until_min: float = math.inf) -> np.ndarray:
    """:func:`arrival_times` by ``scipy.sparse.csgraph.dijkstra`` on the stencil graph (the reference)."""
    rates = SpreadRates.of(ros_m_min, head_dir_deg, lb, cell_m, barrier)
    start = _ignition_times(ignitions, rates.shape)
    start[~rates.burnable.ravel()] = np.inf
    src, dst, w = stencil_edges(rates, neighbours)
    return _scipy_from_virtual(start.size, src, dst, w, start, _until(until_min)).reshape(rates.shape)


def propagate_reference(ros_m_min, head_dir_deg, lb, cell_m: float, *, t0: float, prior_arrival,
                        prior_rates: SpreadRates | None = None, ignitions=(), barrier=None,
                        neighbours: int = 16, until_min: float = math.inf) -> np.ndarray:
    """:func:`propagate` with scipy: the moves out of the burned cells become virtual-source edges."""
    rates = SpreadRates.of(ros_m_min, head_dir_deg, lb, cell_m, barrier)
    t0, arr, fixed, prior, start, until = _restart_inputs(rates, t0, prior_arrival, prior_rates,
                                                           ignitions, until_min)
    src, dst, w_new = stencil_edges(rates, neighbours)
    _, _, w_old = stencil_edges(prior, neighbours)
    out_edge = fixed[src] & ~fixed[dst] & np.isfinite(w_new)
    with np.errstate(invalid="ignore", divide="ignore"):  # edges from unburned cells: masked below
        p = np.where(np.isfinite(w_old), np.clip((t0 - arr[src]) / w_old, 0.0, 1.0), 0.0)
        cand = t0 + (1.0 - p) * w_new
    np.minimum.at(start, dst[out_edge], cand[out_edge])
    inner = ~fixed[src] & ~fixed[dst]
    dist = _scipy_from_virtual(start.size, src[inner], dst[inner], w_new[inner], start, until)
    dist[fixed] = arr[fixed]
    return dist.reshape(rates.shape)
