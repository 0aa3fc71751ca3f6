"""Detailed flood model: a LISFLOOD-FP-style local-inertial 2-D solver on a DEM raster.

Scheme (Bates, Horritt & Fewtrell 2010; docs/references/hazards.md §1.4), per unit width on
the raster faces::

    q(t+dt) = [ q(t) - g h_flow dt d(h+z)/dx ] / [ 1 + g dt n^2 |q(t)| / h_flow^(7/3) ]
    h_flow  = max(eta_i, eta_j) - max(z_i, z_j)          (eta = h + z, the water surface)
    h(t+dt) = h(t) + dt (q_in - q_out) / dx              (per cell, all four faces)
    dt      = alpha dx / sqrt(g h_max),  capped by ``max_dt`` and by the next output time

``theta < 1`` replaces ``q(t)`` in the numerator by ``theta q + (1-theta)/2 (q_before + q_after)``
(de Almeida et al. 2012; theta = 1, the default, is plain Bates). Plain Bates can grow 2-cell
wiggles where shallow fast flow nears Froude 1 on fine grids (e.g. the travelling-wave front at
dx = 10 m); theta ~ 0.9 damps them.

Accuracy: the local-inertial equations drop advection, so flows are right to O(Fr^2). On the
Hunter et al. (2005) travelling wave (u = 1 m/s, n = 0.01, Fr up to ~0.5 behind the front) the
model carries u ~ 0.95 m/s, so depths are 0.5-2 % low up to 2 km and the front lags ~6 %; at
Fr ~ 0.06 (u = 0.25 m/s, n = 0.1) it matches to 0.2 %.

Choices, documented because results depend on them:

* **State is the water surface** ``eta``, not the depth, so a lake at rest (flat surface over a
  bumpy bed) has exactly zero slope and zero flux and stays still bit for bit.
* **Wet/dry**: a face carries flow only where ``h_flow > depth_threshold`` (LISFLOOD-FP's
  ``DepthThresh``, default 1 mm); a cell counts as wet (first wetting time, outputs) once its
  depth exceeds the same threshold.
* **Non-negative depths without losing mass**: after the momentum update, each cell's outgoing
  fluxes are scaled by ``min(1, h dx / (dt * sum of outgoing q))`` (each face by its donor cell's
  factor), so no cell can lose more water than it holds; both neighbours of a face see the same
  limited flux, so mass is conserved exactly. Any remaining round-off negative is clipped and
  reported (``MassBalance.clipped``, ~1e-18 m^3).
* **No-data DEM cells** (NaN) are walls: they hold no water and pass no flow; their depth in the
  outputs is NaN.
* **Boundaries**: closed walls by default. ``add_stage_boundary`` imposes a water level on a ghost
  cell across edge faces (ghost bed = edge cell's bed; flow goes either way);
  ``add_free_outflow`` lets water leave as if the surface kept falling at a given slope (the
  momentum update tends to normal-depth flow ``h^(5/3) S^(1/2) / n``; outflow only).
  ``add_inflow``/``add_line_inflow`` add a discharge hydrograph to cells (split equally);
  ``add_fixed_level`` holds cells anywhere (e.g. a river channel) at a stage hydrograph.
  Hydrographs are piecewise linear and held at their end values outside their time range; the
  volume a source adds in a step is the exact integral of its hydrograph over that step.

The numba kernels live in :mod:`sim.hazards.flood.inertial_kernels`; the numpy functions
``reference_*`` here are the plain reference of the same three passes (``backend="numpy"``).
"""
from __future__ import annotations

import time as _time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from network.errors import InputError
from network.raster import Raster, read_asc, write_asc

from . import inertial_kernels as _k
from .inertial_kernels import FREE, STAGE, WALL, WALL_Z

G = 9.81
_SIDES = ("west", "east", "south", "north")
_SEVEN_THIRDS = 7.0 / 3.0


# --------------------------------------------------------------------------------- hydrographs
@dataclass(frozen=True, eq=False)
class Hydrograph:
    """A piecewise-linear series (discharge in m^3/s or stage in m) against time in s.

    Outside ``times`` the end values hold. ``integral`` is exact for this shape.
    """

    times: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        t = np.atleast_1d(np.asarray(self.times, float))
        v = np.atleast_1d(np.asarray(self.values, float))
        if t.shape != v.shape or t.ndim != 1 or t.size == 0:
            raise InputError(f"hydrograph needs equal-length 1-D times and values, got {t.shape} and {v.shape}")
        if not (np.isfinite(t).all() and np.isfinite(v).all()):
            raise InputError("hydrograph times and values must be finite numbers")
        if t.size > 1 and not (np.diff(t) > 0).all():
            raise InputError("hydrograph times must increase strictly")
        object.__setattr__(self, "times", t)
        object.__setattr__(self, "values", v)
        # cumulative integral at each breakpoint (trapezoids are exact for linear pieces)
        cum = np.concatenate([[0.0], np.cumsum(np.diff(t) * 0.5 * (v[1:] + v[:-1]))])
        object.__setattr__(self, "_cum", cum)

    @classmethod
    def constant(cls, value: float) -> "Hydrograph":
        """The same value at all times."""
        return cls(np.array([0.0]), np.array([float(value)]))

    def at(self, t: float) -> float:
        """The value at time ``t`` (s)."""
        return float(np.interp(t, self.times, self.values))

    def cumulative(self, t: float) -> float:
        """Integral from ``times[0]`` to ``t`` (negative before ``times[0]``)."""
        ts, vs, cum = self.times, self.values, self._cum  # type: ignore[attr-defined]
        if t <= ts[0]:
            return (t - ts[0]) * vs[0]
        if t >= ts[-1]:
            return cum[-1] + (t - ts[-1]) * vs[-1]
        k = int(np.searchsorted(ts, t, side="right")) - 1
        vt = vs[k] + (vs[k + 1] - vs[k]) * (t - ts[k]) / (ts[k + 1] - ts[k])
        return cum[k] + (t - ts[k]) * 0.5 * (vs[k] + vt)

    def integral(self, t0: float, t1: float) -> float:
        """Integral from ``t0`` to ``t1`` (m^3 for a discharge in m^3/s), exact for the piecewise-linear shape."""
        return self.cumulative(t1) - self.cumulative(t0)


def load_hydrograph(path: str | Path) -> Hydrograph:
    """Two columns (time s, value) separated by spaces or commas; ``#`` starts a comment."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: hydrograph file not found")
    rows = []
    for i, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        line = line.split("#", 1)[0].replace(",", " ").strip()
        if not line:
            continue
        try:
            rows.append([float(v) for v in line.split()])
        except ValueError:
            raise InputError(f"{path}: line {i}: not numbers: {line!r}") from None
        if len(rows[-1]) != 2:
            raise InputError(f"{path}: line {i}: expected 2 columns (time, value), found {len(rows[-1])}")
    if not rows:
        raise InputError(f"{path}: no hydrograph rows")
    data = np.array(rows)
    try:
        return Hydrograph(data[:, 0], data[:, 1])
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


HydrographLike = Hydrograph | float | tuple | str | Path


def as_hydrograph(obj: HydrographLike, what: str) -> Hydrograph:
    """A :class:`Hydrograph` from itself, a constant, ``(times, values)`` or a file path."""
    if isinstance(obj, Hydrograph):
        return obj
    if isinstance(obj, (str, Path)):
        return load_hydrograph(obj)
    try:
        if np.ndim(obj) == 0:
            return Hydrograph.constant(float(obj))  # type: ignore[arg-type]
        times, values = obj  # type: ignore[misc]
        return Hydrograph(times, values)
    except InputError as exc:
        raise InputError(f"{what}: {exc}") from None
    except (TypeError, ValueError):
        raise InputError(f"{what}: give a Hydrograph, a number, (times, values) or a file path") from None


# --------------------------------------------------------------------------- numpy reference
def _momentum_np(q, qb, qa, ea, eb, za, zb, n2, dt, dx, g, theta, thr):
    hflow = np.maximum(ea, eb) - np.maximum(za, zb)
    wet = hflow > thr
    hs = np.where(wet, hflow, 1.0)
    slope = (eb - ea) / dx
    qw = theta * q + (1.0 - theta) * 0.5 * (qb + qa)
    qn = (qw - g * hs * dt * slope) / (1.0 + g * dt * n2 * np.abs(q) / hs**_SEVEN_THIRDS)
    return np.where(wet, qn, 0.0)


def _free_np(q, h, slope, n2, dt, g, thr, sign):
    wet = h > thr
    hs = np.where(wet, h, 1.0)
    qn = (q + sign * g * hs * dt * slope) / (1.0 + g * dt * n2 * np.abs(q) / hs**_SEVEN_THIRDS)
    qn = np.maximum(qn, 0.0) if sign > 0 else np.minimum(qn, 0.0)
    return np.where(wet, qn, 0.0)


def _edge_np(kind, q, qb, qa, ea, eb, zc, hc, bval, n2, dt, dx, g, theta, thr, sign):
    stage = _momentum_np(q, qb, qa, ea, eb, zc, zc, n2, dt, dx, g, theta, thr)
    free = _free_np(q, hc, bval, n2, dt, g, thr, sign)
    return np.where(kind == STAGE, stage, np.where(kind == FREE, free, 0.0))


def reference_face_fluxes(eta, z, qx, qy, qx_new, qy_new, n2x, n2y, bkx, bvx, bky, bvy, lo, hi, ylo, yhi,
                          dt, dx, g, theta, thr):
    """numpy reference of :func:`inertial_kernels.face_fluxes`: every face (spans ignored)."""
    nr, nc = eta.shape
    a = (dt, dx, g, theta, thr)
    qx_new[:, 1:nc] = _momentum_np(qx[:, 1:nc], qx[:, 0:nc - 1], qx[:, 2:], eta[:, :-1], eta[:, 1:],
                                   z[:, :-1], z[:, 1:], n2x[:, 1:nc], *a)
    qx_new[:, 0] = _edge_np(bkx[:, 0], qx[:, 0], qx[:, 0], qx[:, 1], bvx[:, 0], eta[:, 0], z[:, 0],
                            eta[:, 0] - z[:, 0], bvx[:, 0], n2x[:, 0], *a, -1.0)
    qx_new[:, nc] = _edge_np(bkx[:, 1], qx[:, nc], qx[:, nc - 1], qx[:, nc], eta[:, -1], bvx[:, 1], z[:, -1],
                             eta[:, -1] - z[:, -1], bvx[:, 1], n2x[:, nc], *a, 1.0)
    qy_new[1:nr] = _momentum_np(qy[1:nr], qy[0:nr - 1], qy[2:], eta[:-1], eta[1:], z[:-1], z[1:], n2y[1:nr], *a)
    qy_new[0] = _edge_np(bky[0], qy[0], qy[0], qy[1], bvy[0], eta[0], z[0], eta[0] - z[0], bvy[0], n2y[0], *a, -1.0)
    qy_new[nr] = _edge_np(bky[1], qy[nr], qy[nr - 1], qy[nr], eta[-1], bvy[1], z[-1], eta[-1] - z[-1], bvy[1],
                          n2y[nr], *a, 1.0)


def reference_outflow_factors(eta, z, qx, qy, fac, lo, hi, dt, dx):
    """numpy reference of :func:`inertial_kernels.outflow_factors`: every cell."""
    out = np.maximum(-qx[:, :-1], 0.0) + np.maximum(qx[:, 1:], 0.0) + np.maximum(-qy[:-1], 0.0) + np.maximum(qy[1:], 0.0)
    need = out * dt
    have = (eta - z) * dx
    fac[:] = np.where(need > have, have / np.where(need > have, need, 1.0), 1.0)


def reference_update_depths(eta, z, qx, qy, fac, qx_out, qy_out, lo, hi, plo, phi, dt, dx, thr, t_new,
                            hmax, t_wet, rowmax, rowclip, wlo, whi):
    """numpy reference of :func:`inertial_kernels.update_depths`: every cell."""
    nr, nc = eta.shape
    left = np.ones((nr, nc + 1))
    left[:, 1:] = fac  # donor when the x flux is positive (eastward)
    right = np.ones((nr, nc + 1))
    right[:, :-1] = fac
    below = np.ones((nr + 1, nc))
    below[1:] = fac
    above = np.ones((nr + 1, nc))
    above[:-1] = fac
    qx_out[:] = qx * np.where(qx > 0.0, left, right)
    qy_out[:] = qy * np.where(qy > 0.0, below, above)
    new = eta + dt * ((qx_out[:, :-1] - qx_out[:, 1:]) + (qy_out[:-1] - qy_out[1:])) / dx
    h = new - z
    neg = h < 0.0
    rowclip[:] = np.where(neg, -h, 0.0).sum(axis=1)
    new = np.where(neg, z, new)
    h = np.where(neg, 0.0, h)
    eta[:] = new
    np.maximum(hmax, h, out=hmax)
    wet = h > thr
    t_wet[wet & ~(t_wet <= t_new)] = t_new
    _row_stats(h, thr, rowmax, wlo, whi)


def _row_stats(h: np.ndarray, thr: float, rowmax: np.ndarray, wlo: np.ndarray, whi: np.ndarray) -> None:
    """Per row: max depth over wet cells (0 if none), first and last wet column (nc / -1)."""
    nc = h.shape[1]
    wet = h > thr
    any_wet = wet.any(axis=1)
    rowmax[:] = np.where(wet, h, 0.0).max(axis=1)
    wlo[:] = np.where(any_wet, np.argmax(wet, axis=1), nc)
    whi[:] = np.where(any_wet, nc - 1 - np.argmax(wet[:, ::-1], axis=1), -1)


_BACKENDS: dict[str, tuple[Callable, Callable, Callable]] = {
    "numba": (_k.face_fluxes, _k.outflow_factors, _k.update_depths),
    "numba-serial": (_k.face_fluxes_serial, _k.outflow_factors_serial, _k.update_depths_serial),
    "numpy": (reference_face_fluxes, reference_outflow_factors, reference_update_depths),
}
#: below this many active cells in a step the serial kernels win: starting threads costs more
PARALLEL_MIN_CELLS = 40_000


# ------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class MassBalance:
    """Volumes in m^3 over one ``run``: ``error = initial + inflow - outflow - final``."""

    initial: float
    inflow: float
    outflow: float
    final: float
    clipped: float = 0.0

    @property
    def error(self) -> float:
        """``initial + inflow - outflow - final`` (m^3): water the scheme created or lost."""
        return self.initial + self.inflow - self.outflow - self.final

    @property
    def relative_error(self) -> float:
        """``|error|`` over the larger of the water put in (initial + inflow) and the final volume."""
        scale = max(abs(self.initial) + abs(self.inflow), abs(self.final), 1e-300)
        return abs(self.error) / scale


@dataclass(frozen=True)
class InertialResult:
    """Outputs of :meth:`InertialModel.run`. Depth rasters lie on the DEM grid (NaN = no data)."""

    times: np.ndarray
    depths: list[Raster]
    max_depth: Raster
    first_wet_s: Raster  # NaN where never wetter than the depth threshold
    mass: MassBalance
    n_steps: int
    wall_s: float
    cell_updates_per_s: float

    def depth_at(self, t_s: float) -> Raster:
        """Depth at ``t_s``: linear in time between the two stored outputs around it, the
        first/last output outside their range. Store outputs as densely as the use needs: a
        wave front between two outputs is smeared, not moved."""
        ts = self.times
        if t_s <= ts[0]:
            return self.depths[0]
        if t_s >= ts[-1]:
            return self.depths[-1]
        k = int(np.searchsorted(ts, t_s, side="right")) - 1
        if t_s == ts[k]:
            return self.depths[k]
        w = (t_s - ts[k]) / (ts[k + 1] - ts[k])
        a, b = self.depths[k].values, self.depths[k + 1].values
        return self.depths[k].like(a + w * (b - a))


# --------------------------------------------------------------------------------------- model
@dataclass
class _Stage:
    side: int  # 0 west, 1 east, 2 south, 3 north
    idx: np.ndarray  # rows (west/east) or columns (south/north) of the edge cells
    zedge: np.ndarray
    hyd: Hydrograph


@dataclass
class _Cells:
    flat: np.ndarray  # flat cell indices, unique
    hyd: Hydrograph


class InertialModel:
    """Local-inertial flood model on ``dem``; see the module docstring for the scheme.

    ``manning_n``: a number, a :class:`Raster` on the DEM grid or an array of its shape.
    ``initial_depth`` / ``initial_level`` (water surface): number, Raster or array; at most one.
    ``backend``: ``"numba"`` (kernels, threaded over rows in steps that visit at least
    ``PARALLEL_MIN_CELLS`` cells), ``"numba-serial"``, or ``"numpy"`` (the full-grid reference,
    for tests and benchmarks). All give the same results: no pass has a cross-row reduction.

    Parameters
    ----------
    dem
        Bed elevation (m); NaN cells are walls.
    manning_n
        Manning's n (s m^-1/3, ≥ 0): a number, a Raster on the DEM grid or an array of its shape.
    alpha
        Courant factor of the time step, in (0, 1].
    theta
        de Almeida weighting in [0, 1] (1: plain Bates).
    depth_threshold
        Depth (m) below which a face carries no flow and a cell counts as dry.
    max_dt
        Longest time step (s).
    g
        Gravity (m s^-2).
    initial_depth, initial_level
        Starting water as a depth or a surface level (number, Raster or array); at most one.
    start_s
        Model time at the start (s).
    backend
        ``"numba"``, ``"numba-serial"`` or ``"numpy"``.

    Raises
    ------
    InputError
        On a DEM that is not a Raster, not 2-D or all no-data; a parameter out of range; an
        unknown backend; a roughness or initial-water grid that does not match the DEM, has
        no data where the DEM has, or is negative; both initial depth and level.
    """

    def __init__(
        self,
        dem: Raster,
        manning_n: float | Raster | np.ndarray = 0.03,
        *,
        alpha: float = 0.7,
        theta: float = 1.0,
        depth_threshold: float = 1e-3,
        max_dt: float = 10.0,
        g: float = G,
        initial_depth: float | Raster | np.ndarray | None = None,
        initial_level: float | Raster | np.ndarray | None = None,
        start_s: float = 0.0,
        backend: str = "numba",
    ) -> None:
        z = self._check_dem(dem)
        self._check_numerics(alpha, theta, depth_threshold, max_dt, g, backend)
        self.dem = dem
        self.dx = float(dem.cellsize)
        self.alpha, self.theta, self.thr = float(alpha), float(theta), float(depth_threshold)
        self.max_dt, self.g = float(max_dt), float(g)
        self.backend = backend
        self._passes = _BACKENDS[backend]
        self.z = np.where(self.active, z, WALL_Z)
        self.n_active = int(self.active.sum())
        self._set_roughness(manning_n)
        self._set_initial_water(initial_depth, initial_level)
        self._allocate_fluxes()
        self._start_clock(start_s)

    # ------------------------------------------------------------------ construction steps
    def _check_dem(self, dem: Raster) -> np.ndarray:
        """The DEM's bed elevations, checked; marks its data cells ``active``."""
        if not isinstance(dem, Raster):
            raise InputError("dem: expected a Raster")
        z = np.array(dem.values, dtype=np.float64)
        if z.ndim != 2 or z.size == 0:
            raise InputError(f"dem: expected a non-empty 2-D grid, got shape {z.shape}")
        self.active = np.isfinite(z)
        if not self.active.any():
            raise InputError("dem: every cell is no-data (NaN)")
        return z

    @staticmethod
    def _check_numerics(alpha: float, theta: float, depth_threshold: float, max_dt: float, g: float,
                        backend: str) -> None:
        """The scheme's parameters and the backend name are valid."""
        for name, val, ok in (
            ("alpha", alpha, 0 < alpha <= 1),
            ("theta", theta, 0 <= theta <= 1),
            ("depth_threshold", depth_threshold, depth_threshold >= 0),
            ("max_dt", max_dt, max_dt > 0),
            ("g", g, g > 0),
        ):
            if not (np.isfinite(val) and ok):
                raise InputError(f"{name}: invalid value {val!r}")
        if backend not in _BACKENDS:
            raise InputError(f"backend: {backend!r} is not one of {sorted(_BACKENDS)}")

    def _set_roughness(self, manning_n: float | Raster | np.ndarray) -> None:
        """``n^2`` on the x and y faces: the mean of the two cells' n inside, the edge cell's on the edge."""
        nr, nc = self.z.shape
        n = self._grid_param(manning_n, "manning_n")
        if not np.isfinite(n[self.active]).all():
            raise InputError("manning_n: no-data (NaN) where the DEM has data")
        if (n[self.active] < 0).any():
            raise InputError("manning_n: Manning's n must be >= 0")
        n = np.where(self.active, n, 0.0)
        self.n2x = np.empty((nr, nc + 1))
        self.n2x[:, 1:nc] = (0.5 * (n[:, :-1] + n[:, 1:])) ** 2
        self.n2x[:, 0], self.n2x[:, nc] = n[:, 0] ** 2, n[:, -1] ** 2
        self.n2y = np.empty((nr + 1, nc))
        self.n2y[1:nr] = (0.5 * (n[:-1] + n[1:])) ** 2
        self.n2y[0], self.n2y[nr] = n[0] ** 2, n[-1] ** 2

    def _set_initial_water(self, initial_depth, initial_level) -> None:
        """The starting water surface ``eta`` from a depth or a level (dry by default)."""
        if initial_depth is not None and initial_level is not None:
            raise InputError("give initial_depth or initial_level, not both")
        if initial_level is not None:
            lev = self._grid_param(initial_level, "initial_level")
            self.eta = np.where(self.active, np.maximum(np.nan_to_num(lev, nan=-np.inf), self.z), WALL_Z)
        else:
            h0 = np.zeros(self.z.shape) if initial_depth is None else self._grid_param(initial_depth, "initial_depth")
            h0 = np.where(self.active, np.nan_to_num(h0, nan=0.0), 0.0)
            if (h0 < 0).any():
                raise InputError("initial_depth: depths must be >= 0")
            self.eta = np.where(self.active, self.z + h0, WALL_Z)

    def _allocate_fluxes(self) -> None:
        """Zero face fluxes and their scratch copies, closed (wall) boundaries, no sources yet."""
        nr, nc = self.z.shape
        self.qx = np.zeros((nr, nc + 1))
        self.qy = np.zeros((nr + 1, nc))
        self._qx2 = np.zeros_like(self.qx)
        self._qy2 = np.zeros_like(self.qy)
        self._fac = np.ones((nr, nc))
        self.bkx = np.zeros((nr, 2), np.int8)
        self.bvx = np.zeros((nr, 2))
        self.bky = np.zeros((2, nc), np.int8)
        self.bvy = np.zeros((2, nc))
        self._stages: list[_Stage] = []
        self._inflows: list[_Cells] = []
        self._fixed: list[_Cells] = []

    def _start_clock(self, start_s: float) -> None:
        """Model time, the depth statistics of the initial water, the active spans and the counters."""
        nr, nc = self.z.shape
        self.time = float(start_s)
        h = self.eta - self.z
        self.hmax = h.copy()
        self.t_wet = np.where(h > self.thr, self.time, np.nan)
        self._rowmax = np.zeros(nr)
        self._rowclip = np.zeros(nr)
        # active column spans (see inertial_kernels): wet extent per row, forced columns, and
        # the spans of the last step (where stored fluxes may be non-zero)
        self._wlo = np.full(nr, nc, np.int64)
        self._whi = np.full(nr, -1, np.int64)
        _row_stats(h, self.thr, self._rowmax, self._wlo, self._whi)
        self._flo = np.full(nr, nc, np.int64)
        self._fhi = np.full(nr, -1, np.int64)
        self._plo = np.full(nr, nc, np.int64)
        self._phi = np.full(nr, -1, np.int64)
        self.n_steps = 0
        self.cells_worked = 0  # cells the kernels visited (active spans), for throughput figures
        self.inflow_volume = 0.0  # cumulative since construction, m^3
        self.outflow_volume = 0.0
        self.clipped_volume = 0.0

    # ------------------------------------------------------------------ inputs
    def _grid_param(self, value, name: str) -> np.ndarray:
        shape = self.dem.shape
        if isinstance(value, Raster):
            if not self.dem.same_grid(value):
                raise InputError(f"{name}: raster grid {value.shape} at ({value.x0}, {value.y0}) cell "
                                 f"{value.cellsize} differs from the DEM's {shape} at ({self.dem.x0}, "
                                 f"{self.dem.y0}) cell {self.dem.cellsize}")
            return np.asarray(value.values, float)
        arr = np.asarray(value, float)
        if arr.ndim == 0:
            if not np.isfinite(arr):
                raise InputError(f"{name}: must be a finite number")
            return np.full(shape, float(arr))
        if arr.shape != shape:
            raise InputError(f"{name}: array shape {arr.shape} differs from the DEM's {shape}")
        return arr

    def _cells_at(self, points, what: str) -> np.ndarray:
        pts = np.asarray(points, float)
        if pts.ndim == 1:
            pts = pts.reshape(1, -1)
        if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) == 0:
            raise InputError(f"{what}: give an (x, y) point or a list of them")
        row, col = self.dem.cell_of(pts[:, 0], pts[:, 1])
        bad = np.flatnonzero(row < 0)
        if bad.size:
            xmin, xmax, ymin, ymax = self.dem.extent
            x, y = pts[bad[0]]
            raise InputError(f"{what}: point ({x:g}, {y:g}) lies outside the grid "
                             f"x {xmin:g}..{xmax:g}, y {ymin:g}..{ymax:g}")
        nodata = ~self.active[row, col]
        if nodata.any():
            x, y = pts[np.flatnonzero(nodata)[0]]
            raise InputError(f"{what}: point ({x:g}, {y:g}) lies on a no-data DEM cell")
        flat = np.ravel_multi_index((row, col), self.dem.shape)
        _, first = np.unique(flat, return_index=True)
        return flat[np.sort(first)]

    def add_inflow(self, points, discharge: HydrographLike) -> None:
        """Discharge (m^3/s vs s) into the cell(s) under ``points``, split equally between cells."""
        hyd = as_hydrograph(discharge, "inflow discharge")
        if (hyd.values < 0).any():
            raise InputError("inflow discharge: must be >= 0 (use a free outflow or stage boundary to remove water)")
        cells = _Cells(self._cells_at(points, "inflow"), hyd)
        self._force(cells.flat)
        self._inflows.append(cells)

    def add_line_inflow(self, start: Sequence[float], end: Sequence[float], discharge: HydrographLike) -> None:
        """Discharge spread equally over the cells the segment ``start``-``end`` crosses."""
        (x0, y0), (x1, y1) = start, end
        n = max(2, int(np.ceil(np.hypot(x1 - x0, y1 - y0) / (self.dx / 4))) + 1)
        f = np.linspace(0.0, 1.0, n)
        self.add_inflow(np.column_stack([x0 + f * (x1 - x0), y0 + f * (y1 - y0)]), discharge)

    def _edge(self, side: str, span: tuple[float, float] | None, what: str) -> tuple[int, np.ndarray]:
        if side not in _SIDES:
            raise InputError(f"{what}: side {side!r} is not one of {', '.join(_SIDES)}")
        s = _SIDES.index(side)
        xc, yc = self.dem.cell_centres()
        along = yc if s < 2 else xc
        idx = np.arange(along.size)
        if span is not None:
            lo, hi = sorted(span)
            idx = idx[(along >= lo) & (along <= hi)]
        nr, nc = self.dem.shape
        if s < 2:
            edge_active = self.active[idx, 0 if s == 0 else nc - 1]
        else:
            edge_active = self.active[0 if s == 2 else nr - 1, idx]
        idx = idx[edge_active]
        if idx.size == 0:
            raise InputError(f"{what}: no data cells on the {side} edge within span {span}")
        kinds = self.bkx[idx, s] if s < 2 else self.bky[s - 2, idx]
        if (kinds != WALL).any():
            raise InputError(f"{what}: part of the {side} edge already has a boundary")
        return s, idx

    def add_stage_boundary(self, side: str, stage: HydrographLike, *, span: tuple[float, float] | None = None) -> None:
        """Water level (m, same datum as the DEM) vs time beyond edge faces of ``side``
        (``west``/``east``/``south``/``north``), optionally only where the edge cell centre
        lies within ``span`` (y range for west/east, x range for south/north)."""
        hyd = as_hydrograph(stage, "stage boundary")
        s, idx = self._edge(side, span, "stage boundary")
        nr, nc = self.dem.shape
        if s < 2:
            self.bkx[idx, s] = STAGE
            col = 0 if s == 0 else nc - 1
            zedge = self.z[idx, col]
            self._force(np.ravel_multi_index((idx, np.full(idx.size, col)), (nr, nc)))
        else:
            self.bky[s - 2, idx] = STAGE
            row = 0 if s == 2 else nr - 1
            zedge = self.z[row, idx]
            self._force(np.ravel_multi_index((np.full(idx.size, row), idx), (nr, nc)))
        self._stages.append(_Stage(s, idx, zedge, hyd))

    def add_free_outflow(self, side: str, slope: float = 1e-3, *, span: tuple[float, float] | None = None) -> None:
        """Let water leave through ``side`` as if the surface kept falling at ``slope``."""
        if not (np.isfinite(slope) and slope > 0):
            raise InputError(f"free outflow: slope must be > 0, got {slope!r}")
        s, idx = self._edge(side, span, "free outflow")
        if s < 2:
            self.bkx[idx, s], self.bvx[idx, s] = FREE, slope
        else:
            self.bky[s - 2, idx], self.bvy[s - 2, idx] = FREE, slope

    def add_fixed_level(self, cells, stage: HydrographLike) -> None:
        """Hold cells at a water level hydrograph (a river channel, a lake). ``cells``: a boolean
        mask (array or Raster on the DEM grid) or points. Water they gain or lose counts as
        boundary inflow/outflow. A level below the bed leaves the cell dry."""
        hyd = as_hydrograph(stage, "fixed level")
        if isinstance(cells, Raster) or (isinstance(cells, np.ndarray) and cells.dtype == bool):
            mask = self._grid_param(cells, "fixed level cells") != 0
            flat = np.flatnonzero(mask & self.active)
            if flat.size == 0:
                raise InputError("fixed level: the mask selects no data cells")
        else:
            flat = self._cells_at(cells, "fixed level")
        self._fixed.append(_Cells(flat, hyd))
        self._force(flat)
        self._apply_fixed(self.time, record=False)

    # ------------------------------------------------------------------ stepping
    @property
    def depth(self) -> np.ndarray:
        """Current depth (m) per cell, NaN on no-data cells."""
        return np.where(self.active, self.eta - self.z, np.nan)

    @property
    def volume(self) -> float:
        """Water on the grid now (m^3)."""
        return float(np.sum(self.eta - self.z)) * self.dx * self.dx

    def _set_ghosts(self, t: float) -> float:
        """Stage ghost levels at ``t``; returns the deepest ghost/fixed depth (for dt)."""
        deepest = 0.0
        for st in self._stages:
            level = st.hyd.at(t)
            if st.side < 2:
                self.bvx[st.idx, st.side] = level
            else:
                self.bvy[st.side - 2, st.idx] = level
            deepest = max(deepest, float(np.max(level - st.zedge)))
        for fx in self._fixed:
            deepest = max(deepest, float(np.max(fx.hyd.at(t) - self.z.flat[fx.flat])))
        return deepest

    def _dt_for(self, h_max: float) -> float:
        if h_max <= 0.0:
            return self.max_dt
        return min(self.max_dt, self.alpha * self.dx / np.sqrt(self.g * h_max))

    def stable_dt(self) -> float:
        """``alpha dx / sqrt(g h_max)`` over wet cells and stage boundaries, capped by ``max_dt``.

        ``h_max`` also covers the depth a source cell reaches in the step (dry cells under a big
        inflow would otherwise get ``max_dt`` and a metre-deep spike)."""
        hm = max(float(self._rowmax.max()), self._set_ghosts(self.time))
        dt = self._dt_for(hm)
        for src in self._inflows:
            q = max(src.hyd.at(self.time), src.hyd.at(self.time + dt))
            if q > 0.0:
                h_src = float(np.max(self.eta.flat[src.flat] - self.z.flat[src.flat]))
                hm = max(hm, h_src + q * dt / (src.flat.size * self.dx * self.dx))
        return self._dt_for(hm)

    def _apply_fixed(self, t: float, record: bool = True) -> None:
        ef = self.eta.reshape(-1)
        for fx in self._fixed:
            old = ef[fx.flat]
            new = np.maximum(fx.hyd.at(t), self.z.flat[fx.flat])
            ef[fx.flat] = new
            if record:
                dv = (new - old) * (self.dx * self.dx)
                self.inflow_volume += float(dv[dv > 0].sum())
                self.outflow_volume -= float(dv[dv < 0].sum())
            h = new - self.z.flat[fx.flat]
            hm = self.hmax.reshape(-1)
            hm[fx.flat] = np.maximum(hm[fx.flat], h)
            tw = self.t_wet.reshape(-1)
            tw[fx.flat] = np.where((h > self.thr) & ~(tw[fx.flat] <= t), t, tw[fx.flat])
            rows, cols = np.divmod(fx.flat, self.dem.shape[1])
            wet = h > self.thr
            np.maximum.at(self._rowmax, rows[wet], h[wet])
            np.minimum.at(self._wlo, rows[wet], cols[wet])
            np.maximum.at(self._whi, rows[wet], cols[wet])

    def _force(self, flat: np.ndarray) -> None:
        """Always work on these cells (sources, boundaries): their rows' spans cover them."""
        rows, cols = np.divmod(flat, self.dem.shape[1])
        np.minimum.at(self._flo, rows, cols)
        np.maximum.at(self._fhi, rows, cols)

    def _spans(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Cell spans per row (wet columns of rows r-1..r+1 widened by one, plus forced ones)
        and y face-row spans (hull of the two rows' spans). O(rows), vectorised."""
        nr, nc = self.dem.shape
        wlo, whi = self._wlo, self._whi
        lo3, hi3 = wlo.copy(), whi.copy()
        np.minimum(lo3[1:], wlo[:-1], out=lo3[1:])
        np.minimum(lo3[:-1], wlo[1:], out=lo3[:-1])
        np.maximum(hi3[1:], whi[:-1], out=hi3[1:])
        np.maximum(hi3[:-1], whi[1:], out=hi3[:-1])
        some = hi3 >= lo3
        lo = np.minimum(np.where(some, np.maximum(lo3 - 1, 0), nc), self._flo)
        hi = np.maximum(np.where(some, np.minimum(hi3 + 1, nc - 1), -1), self._fhi)
        ylo = np.empty(nr + 1, np.int64)
        yhi = np.empty(nr + 1, np.int64)
        ylo[0], ylo[nr], yhi[0], yhi[nr] = lo[0], lo[-1], hi[0], hi[-1]
        np.minimum(lo[:-1], lo[1:], out=ylo[1:nr])
        np.maximum(hi[:-1], hi[1:], out=yhi[1:nr])
        return lo, hi, ylo, yhi

    def load_state(self, other: "InertialModel") -> None:
        """Copy the hydraulic state and statistics of a model on the same grid (benchmarks,
        restarts). Boundaries and sources stay this model's own."""
        if other.dem.shape != self.dem.shape:
            raise InputError("load_state: models are on different grids")
        for name in ("eta", "qx", "qy", "hmax", "t_wet", "_rowmax", "_wlo", "_whi"):
            getattr(self, name)[...] = getattr(other, name)
        self.time = other.time
        # stored fluxes may be non-zero anywhere: let the next step clear whole rows
        self._plo[:] = 0
        self._phi[:] = self.dem.shape[1] - 1

    def step(self, dt: float | None = None) -> float:
        """Advance one time step (``dt`` or the stable one); returns the step taken.

        Parameters
        ----------
        dt
            The step (s); default :meth:`stable_dt`. A given step is not checked for stability.

        Returns
        -------
        float
            The step taken (s).

        Raises
        ------
        InputError
            When ``dt`` is not a positive finite number.
        """
        if dt is None:
            dt = self.stable_dt()
        else:
            if not (np.isfinite(dt) and dt > 0):
                raise InputError(f"dt: a time step must be > 0, got {dt!r}")
            self._set_ghosts(self.time)
        t, dx = self.time, self.dx
        lo, hi, ylo, yhi = self._spans()
        work = int(np.maximum(hi - lo + 1, 0).sum())
        serial = self.backend == "numba" and work < PARALLEL_MIN_CELLS
        fluxes, factors, update = _BACKENDS["numba-serial"] if serial else self._passes
        fluxes(self.eta, self.z, self.qx, self.qy, self._qx2, self._qy2, self.n2x, self.n2y,
               self.bkx, self.bvx, self.bky, self.bvy, lo, hi, ylo, yhi, dt, dx, self.g, self.theta, self.thr)
        factors(self.eta, self.z, self._qx2, self._qy2, self._fac, lo, hi, dt, dx)
        # sources go in after the limiter: they only add water, so depths stay >= 0
        ef = self.eta.reshape(-1)
        for src in self._inflows:
            vol = src.hyd.integral(t, t + dt)
            ef[src.flat] += vol / (src.flat.size * dx * dx)
            self.inflow_volume += vol
        t_new = t + dt
        update(self.eta, self.z, self._qx2, self._qy2, self._fac, self.qx, self.qy, lo, hi, self._plo, self._phi,
               dt, dx, self.thr, t_new, self.hmax, self.t_wet, self._rowmax, self._rowclip, self._wlo, self._whi)
        self._plo, self._phi = lo, hi
        self.cells_worked += work
        # what crossed the domain edge (positive into the domain); O(perimeter), serial
        edge_in = np.concatenate([self.qx[:, 0], -self.qx[:, -1], self.qy[0], -self.qy[-1]]) * (dt * dx)
        self.inflow_volume += float(edge_in[edge_in > 0].sum())
        self.outflow_volume -= float(edge_in[edge_in < 0].sum())
        self.clipped_volume += float(self._rowclip.sum()) * dx * dx
        self.time = t_new
        if self._fixed:
            self._apply_fixed(t_new)
        self.n_steps += 1
        return dt

    def _depth_raster(self) -> Raster:
        return self.dem.like(self.depth)

    def run(self, until_s: float, output_times: Iterable[float] = ()) -> InertialResult:
        """Advance to ``until_s``; store depth rasters at the start, at ``output_times`` and at
        ``until_s`` (steps end exactly on those times).

        Parameters
        ----------
        until_s
            Model time to stop at (s), at or after the current time.
        output_times
            Times (s) within ``[current time, until_s]`` at which to store depths.

        Returns
        -------
        InertialResult
            The stored depths, maximum depth, first wetting time and the mass balance of this
            call, with its step count and speed.

        Raises
        ------
        InputError
            When ``until_s`` is before the model time or not finite, or an output time lies
            outside the run.
        """
        t0 = self.time
        if not (np.isfinite(until_s) and until_s >= t0):
            raise InputError(f"until_s: {until_s!r} must be a time >= the model time {t0:g}")
        outs = np.asarray(list(output_times), float)
        if outs.size and (~np.isfinite(outs) | (outs < t0) | (outs > until_s)).any():
            raise InputError(f"output_times: every time must lie within [{t0:g}, {until_s:g}]")
        times = np.unique(np.concatenate([[t0, float(until_s)], outs]))
        in0, out0, clip0, steps0 = self.inflow_volume, self.outflow_volume, self.clipped_volume, self.n_steps
        v0 = self.volume
        depths = [self._depth_raster()]
        wall = _time.perf_counter()
        for target in times[1:]:
            while self.time < target:
                dt = self.stable_dt()
                # land exactly on the target; avoid a sliver of a step just before it
                if self.time + dt >= target - 1e-9 * max(1.0, abs(target)):
                    dt = target - self.time
                self.step(dt)
                if abs(self.time - target) <= 1e-9 * max(1.0, abs(target)):
                    self.time = float(target)
            depths.append(self._depth_raster())
        wall = _time.perf_counter() - wall
        n = self.n_steps - steps0
        mass = MassBalance(v0, self.inflow_volume - in0, self.outflow_volume - out0, self.volume,
                           self.clipped_volume - clip0)
        nan = ~self.active
        return InertialResult(
            times=times,
            depths=depths,
            max_depth=self.dem.like(np.where(nan, np.nan, self.hmax)),
            first_wet_s=self.dem.like(np.where(nan, np.nan, self.t_wet)),
            mass=mass,
            n_steps=n,
            wall_s=wall,
            cell_updates_per_s=(n * self.n_active / wall) if wall > 0 else float("nan"),
        )


# ------------------------------------------------------------------------------------ ASC I/O
def _read_grid(value, name: str, dem: Raster):
    """A path becomes a Raster checked against the DEM grid; errors name the file."""
    if isinstance(value, (str, Path)):
        r = read_asc(value, crs=dem.crs)
        if not dem.same_grid(r):
            raise InputError(f"{value}: {name} grid {r.shape} at ({r.x0}, {r.y0}) cell {r.cellsize} "
                             f"differs from the DEM's {dem.shape} at ({dem.x0}, {dem.y0}) cell {dem.cellsize}")
        return r
    return value


def run_from_asc(
    dem_path: str | Path,
    *,
    until_s: float,
    manning_n: float | str | Path = 0.03,
    initial_depth: str | Path | None = None,
    inflows: Sequence[tuple] = (),
    stage_boundaries: Sequence[tuple] = (),
    free_outflows: Sequence[str] = (),
    output_times: Iterable[float] = (),
    out_dir: str | Path | None = None,
    **model_kwargs,
) -> InertialResult:
    """Run the model on ESRI ASCII grids, LISFLOOD-FP style.

    ``inflows``: ``((x, y), discharge)`` pairs; ``stage_boundaries``: ``(side, stage)`` pairs
    (discharge/stage: anything :func:`as_hydrograph` takes, including a two-column file);
    ``free_outflows``: side names. With ``out_dir``, writes ``depth_<t>s.asc`` for each output
    time, ``max_depth.asc`` and ``first_wet_s.asc`` (no-data where never wet).

    Parameters
    ----------
    dem_path
        The DEM grid (ESRI ASCII).
    until_s
        Time to run to (s).
    manning_n
        A number or a grid path on the DEM's grid.
    initial_depth
        A grid path on the DEM's grid (default: dry).
    inflows, stage_boundaries, free_outflows
        Sources and boundaries, as above.
    output_times
        Times (s) at which to store depths.
    out_dir
        Folder for the output grids (created); None writes nothing.
    **model_kwargs
        Further :class:`InertialModel` arguments (``alpha``, ``theta``, ``backend`` ...).

    Returns
    -------
    InertialResult

    Raises
    ------
    InputError
        On a grid that cannot be read or is not on the DEM's grid, and as
        :class:`InertialModel`, :meth:`InertialModel.add_inflow`,
        :meth:`~InertialModel.add_stage_boundary`, :meth:`~InertialModel.add_free_outflow` and
        :meth:`InertialModel.run`.
    """
    dem = read_asc(dem_path)
    model = InertialModel(dem, _read_grid(manning_n, "manning_n", dem),
                          initial_depth=_read_grid(initial_depth, "initial_depth", dem), **model_kwargs)
    for pt, q in inflows:
        model.add_inflow(pt, q)
    for side, stage in stage_boundaries:
        model.add_stage_boundary(side, stage)
    for side in free_outflows:
        model.add_free_outflow(side)
    res = model.run(until_s, output_times)
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for t, d in zip(res.times, res.depths):
            write_asc(d, out / f"depth_{t:g}s.asc")
        write_asc(res.max_depth, out / "max_depth.asc")
        write_asc(res.first_wet_s, out / "first_wet_s.asc", fmt="%.2f")
    return res
