"""Detailed flood model: a LISFLOOD-FP-style local-inertial 2-D solver on a DEM raster.

Scheme (Bates, Horritt & Fewtrell 2010; docs/references/hazards.md §1.4), per unit width on
the raster faces::

    q(t+dt) = [ q(t) - g h_flow dt d(h+z)/dx ] / [ 1 + g dt n^2 |q(t)| / h_flow^(7/3) ]
    h_flow  = max(eta_i, eta_j) - max(z_i, z_j)          (eta = h + z, the water surface)
    h(t+dt) = h(t) + dt (q_in - q_out) / dx              (per cell, all four faces)
    dt      = alpha dx / sqrt(g h_max),  capped by ``max_dt`` and by the next output time
    (h_max over the cells whose levels the solver computes and the faces from fixed-level cells
    to them, not over fixed-level cells themselves; see ``InertialModel.stable_dt``)

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
  ``add_fixed_level`` holds cells anywhere (e.g. a river channel) at a stage hydrograph plus a
  per-cell offset (a sloping water surface). Hydrographs are piecewise linear and held at their
  end values outside their time range; the volume a source adds in a step is the exact integral
  of its hydrograph over that step.
* **Exchanges** (a dike breach, :mod:`sim.hazards.flood.breach`): ``add_exchange`` registers an
  object that may shorten each step and moves water at its start with ``add_volume`` (counted as
  boundary inflow/outflow; removal stops at the bed); ``level_at`` reads water levels.

The numba kernels live in :mod:`sim.hazards.flood.inertial_kernels`; the numpy functions
``reference_*`` here are the plain reference of the same three passes (``backend="numpy"``).
"""
from __future__ import annotations

import time as _time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

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
    def constant(cls, value: float) -> Hydrograph:
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
                            hmax, t_wet, rowmax, rowclip, wlo, whi, dtw):
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
    _row_stats(h, thr, rowmax, wlo, whi, dtw)


def _row_stats(h: np.ndarray, thr: float, rowmax: np.ndarray, wlo: np.ndarray, whi: np.ndarray,
               dtw: np.ndarray) -> None:
    """Per row: max depth over wet cells with ``dtw != 0`` (0 if none), first and last wet column
    (nc / -1)."""
    nc = h.shape[1]
    wet = h > thr
    any_wet = wet.any(axis=1)
    rowmax[:] = np.where(wet & (dtw != 0), h, 0.0).max(axis=1)
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
    offset: np.ndarray | float = 0.0  # fixed levels: per-cell level = hyd(t) + offset


class Exchange(Protocol):
    """Something that moves water into or out of the grid between steps (a breach, a culvert).

    :meth:`InertialModel.add_exchange` registers it; the model asks :meth:`max_dt` for the
    longest step it tolerates whenever it chooses a step, and calls :meth:`before_step` once at
    the start of every step, before the fluxes, with the step about to be taken. The exchange
    adds or removes its water with :meth:`InertialModel.add_volume`, so the mass balance counts
    it as boundary inflow or outflow.
    """

    def max_dt(self, model: InertialModel, dt: float) -> float:
        """The longest step (s) this exchange tolerates, given the model's stable step ``dt``."""

    def before_step(self, model: InertialModel, dt: float) -> None:
        """Exchange the water of the step ``[model.time, model.time + dt]``."""


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
    fixed_levels_set_dt
        False (default): the time step is set by the cells whose levels the solver computes and
        by the faces between them and fixed-level cells (a deep channel held at a stage does not
        shorten the floodplain's step). True: the rule before issue 14, ``h_max`` over every wet
        cell including fixed-level ones; kept for comparison. See :meth:`stable_dt`.

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
        fixed_levels_set_dt: bool = False,
    ) -> None:
        z = self._check_dem(dem)
        self._check_numerics(alpha, theta, depth_threshold, max_dt, g, backend)
        self.dem = dem
        self.dx = float(dem.cellsize)
        self.alpha, self.theta, self.thr = float(alpha), float(theta), float(depth_threshold)
        self.max_dt, self.g = float(max_dt), float(g)
        self.backend = backend
        self.fixed_levels_set_dt = bool(fixed_levels_set_dt)
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
        self._exchanges: list[Exchange] = []
        # 1 where a cell's depth sets the time step; 0 on fixed-level cells (see stable_dt)
        self._dtw = np.ones((nr, nc), np.uint8)
        self._fixed_mask = np.zeros((nr, nc), bool)
        # faces between a fixed-level cell and a computed one: (fixed, other) flat indices
        self._mix_fixed = np.zeros(0, np.int64)
        self._mix_other = np.zeros(0, np.int64)

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
        _row_stats(h, self.thr, self._rowmax, self._wlo, self._whi, self._dtw)
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

    def _first_points(self, points) -> np.ndarray:
        """Indices of the points that :meth:`_cells_at` keeps (the first point in each cell)."""
        pts = np.asarray(points, float).reshape(-1, 2)
        row, col = self.dem.cell_of(pts[:, 0], pts[:, 1])
        _, first = np.unique(np.ravel_multi_index((row, col), self.dem.shape), return_index=True)
        return np.sort(first)

    @staticmethod
    def _is_mask(cells) -> bool:
        return isinstance(cells, Raster) or (isinstance(cells, np.ndarray) and cells.dtype == bool)

    def flat_cells(self, cells, what: str = "cells") -> np.ndarray:
        """Flat (row-major) indices of the data cells that ``cells`` selects.

        Parameters
        ----------
        cells
            A boolean mask (array of the DEM's shape or a Raster on its grid; no-data cells are
            dropped) or (x, y) point(s) (one cell per point, duplicates dropped, in order).
        what
            The argument's name, for messages.

        Returns
        -------
        numpy.ndarray
            Unique flat indices: row-major for a mask, in point order for points.

        Raises
        ------
        InputError
            On a mask that does not match the DEM or selects no data cell, or a point outside
            the grid or on a no-data cell.
        """
        if self._is_mask(cells):
            mask = self._grid_param(cells, what) != 0
            flat = np.flatnonzero(mask & self.active)
            if flat.size == 0:
                raise InputError(f"{what}: the mask selects no data cells")
            return flat
        return self._cells_at(cells, what)

    def check_flat_cells(self, flat_cells, what: str = "flat_cells", *, computed: bool = False) -> np.ndarray:
        """``flat_cells`` checked: integer flat (row-major) indices on the grid.

        Parameters
        ----------
        flat_cells
            Flat cell indices (a 1-D array or list of integers).
        what
            The argument's name, for messages.
        computed
            Also require unique data cells that hold no fixed level (cells whose water the
            solver computes, e.g. to add water to).

        Returns
        -------
        numpy.ndarray
            The indices as int64.

        Raises
        ------
        InputError
            Naming ``what``: not integers, outside the grid, or (with ``computed``) repeated,
            no-data or fixed-level cells.
        """
        flat = np.atleast_1d(np.asarray(flat_cells))
        if flat.ndim != 1 or flat.size == 0 or not np.issubdtype(flat.dtype, np.integer):
            raise InputError(f"{what}: give a non-empty 1-D array of flat cell indices (integers)")
        flat = flat.astype(np.int64)
        if flat.min() < 0 or flat.max() >= self.z.size:
            raise InputError(f"{what}: flat cell indices must lie in 0..{self.z.size - 1}")
        if computed:
            if np.unique(flat).size != flat.size:
                raise InputError(f"{what}: flat cell indices repeat")
            if not self.active.flat[flat].all():
                raise InputError(f"{what}: cell {int(flat[~self.active.flat[flat]][0])} is a no-data cell")
            fixed = self._fixed_mask.flat[flat]
            if fixed.any():
                raise InputError(f"{what}: cell {int(flat[fixed][0])} holds a fixed level (its water "
                                 "would be overwritten)")
        return flat

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

    def add_fixed_level(self, cells, stage: HydrographLike, offsets=None) -> None:
        """Hold cells at ``stage(t) + offset`` (a river channel, a lake).

        Water the cells gain or lose to keep their level counts as boundary inflow/outflow; a
        level below the bed leaves the cell dry. A river reach: ``stage`` the gauge hydrograph and
        ``offsets`` the water-surface slope x distance upstream of the gauge.

        Parameters
        ----------
        cells
            A boolean mask (array or Raster on the DEM grid) or (x, y) point(s); see
            :meth:`flat_cells`.
        stage
            Water level (m) vs time (s): anything :func:`as_hydrograph` takes.
        offsets
            Added to the stage per cell (m): None (0), one number, one value per selected cell
            (row-major order for a mask, one per point for points), or a grid of the DEM's
            shape / a Raster on its grid, read at the cells.

        Raises
        ------
        InputError
            On cells :meth:`flat_cells` refuses, a stage :func:`as_hydrograph` refuses, or
            offsets of the wrong length or not finite.
        """
        hyd = as_hydrograph(stage, "fixed level")
        flat = self.flat_cells(cells, "fixed level cells")
        off = self._fixed_offsets(offsets, cells, flat)
        self._fixed.append(_Cells(flat, hyd, off))
        self._fixed_mask.flat[flat] = True
        if not self.fixed_levels_set_dt:
            self._dtw.flat[flat] = 0
        self._mixed_faces()
        self._force(flat)
        self._apply_fixed(self.time, record=False)

    def _fixed_offsets(self, offsets, cells, flat: np.ndarray) -> np.ndarray | float:
        """Per-cell offsets of a fixed level (see :meth:`add_fixed_level`)."""
        if offsets is None:
            return 0.0
        if isinstance(offsets, Raster) or np.ndim(offsets) == 2:
            off = self._grid_param(offsets, "offsets").reshape(-1)[flat]
        elif np.ndim(offsets) == 0:
            off = np.full(flat.size, float(offsets))
        else:
            off = np.asarray(offsets, float).reshape(-1)
            if self._is_mask(cells):
                if off.size != flat.size:
                    raise InputError(f"offsets: {off.size} values for {flat.size} selected cells")
            else:
                if off.size != np.asarray(cells, float).reshape(-1, 2).shape[0]:
                    raise InputError(f"offsets: give one value per point ({off.size} for "
                                     f"{np.asarray(cells, float).reshape(-1, 2).shape[0]} points)")
                off = off[self._first_points(cells)]
        if not np.isfinite(off).all():
            raise InputError("offsets: must be finite numbers")
        return off

    def _mixed_faces(self) -> None:
        """The faces between a fixed-level cell and a data cell whose level the solver computes."""
        nr, nc = self.z.shape
        idx = np.arange(nr * nc).reshape(nr, nc)
        fixed, free = self._fixed_mask, self.active & ~self._fixed_mask
        f_parts, o_parts = [], []
        for a, b in ((np.s_[:, :-1], np.s_[:, 1:]), (np.s_[:-1, :], np.s_[1:, :])):
            for fa, fb in ((a, b), (b, a)):  # fixed on one side, computed on the other
                sel = fixed[fa] & free[fb]
                f_parts.append(idx[fa][sel])
                o_parts.append(idx[fb][sel])
        self._mix_fixed = np.concatenate(f_parts).astype(np.int64)
        self._mix_other = np.concatenate(o_parts).astype(np.int64)

    def level_at(self, flat_cells) -> np.ndarray:
        """The water surface (m) now at flat cell indices (NaN on no-data cells).

        Parameters
        ----------
        flat_cells
            Flat (row-major) cell indices, e.g. from :meth:`flat_cells`.

        Returns
        -------
        numpy.ndarray

        Raises
        ------
        InputError
            On indices that are not integers or lie outside the grid.
        """
        flat = self.check_flat_cells(flat_cells, "level_at", computed=False)
        return np.where(self.active.flat[flat], self.eta.flat[flat], np.nan)

    def add_volume(self, flat_cells, volume_m3) -> float:
        """Put water into (or, negative, take it out of) cells now, between two steps.

        The mass balance counts what goes in as boundary inflow and what comes out as outflow.
        Removal stops at the bed: a cell gives at most the water it holds.

        Parameters
        ----------
        flat_cells
            Unique flat indices of data cells that hold no fixed level.
        volume_m3
            One total, split equally between the cells, or one volume per cell (m^3).

        Returns
        -------
        float
            The net volume actually added (m^3; less than asked when a removal meets the bed).

        Raises
        ------
        InputError
            On bad, repeated, no-data or fixed-level cells, or volumes that are not finite or do
            not match the cells.
        """
        flat = self.check_flat_cells(flat_cells, "add_volume flat_cells", computed=True)
        vol = np.asarray(volume_m3, float)
        if vol.ndim == 0:
            vol = np.full(flat.size, float(vol) / flat.size)
        elif vol.shape != flat.shape:
            raise InputError(f"volume_m3: {vol.size} volumes for {flat.size} cells")
        if not np.isfinite(vol).all():
            raise InputError("volume_m3: must be finite numbers")
        area = self.dx * self.dx
        ef, zf = self.eta.reshape(-1), self.z.reshape(-1)
        old = ef[flat]
        h_old = old - zf[flat]
        new = np.where(vol / area <= -h_old, zf[flat], old + vol / area)  # never below the bed
        ef[flat] = new
        dv = (new - old) * area
        self.inflow_volume += float(dv[dv > 0].sum())
        self.outflow_volume -= float(dv[dv < 0].sum())
        self._note_depths(flat, new - zf[flat], self.time, for_dt=True)
        return float(dv.sum())

    def add_exchange(self, exchange: Exchange) -> None:
        """Register an :class:`Exchange` (e.g. a breach coupling): it may shorten every step and
        moves its water at the start of every step.

        Parameters
        ----------
        exchange
            An object with ``max_dt(model, dt) -> float`` and ``before_step(model, dt)``.

        Raises
        ------
        InputError
            When ``exchange`` lacks ``max_dt`` or ``before_step``.
        """
        if not (callable(getattr(exchange, "max_dt", None)) and callable(getattr(exchange, "before_step", None))):
            raise InputError("exchange: needs max_dt(model, dt) and before_step(model, dt) methods")
        self._exchanges.append(exchange)

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
        """Stage ghost levels at ``t``; returns the deepest ghost depth (and, with
        ``fixed_levels_set_dt``, fixed-level depth) for the time step."""
        deepest = 0.0
        for st in self._stages:
            level = st.hyd.at(t)
            if st.side < 2:
                self.bvx[st.idx, st.side] = level
            else:
                self.bvy[st.side - 2, st.idx] = level
            deepest = max(deepest, float(np.max(level - st.zedge)))
        if self.fixed_levels_set_dt:
            for fx in self._fixed:
                deepest = max(deepest, float(np.max(fx.hyd.at(t) + fx.offset - self.z.flat[fx.flat])))
        return deepest

    def _mixed_face_depth(self) -> float:
        """Deepest flow depth ``max(eta) - max(z)`` now on faces between fixed and computed cells."""
        if self._mix_fixed.size == 0:
            return 0.0
        ef, zf = self.eta.reshape(-1), self.z.reshape(-1)
        f, o = self._mix_fixed, self._mix_other
        hf = np.maximum(ef[f], ef[o]) - np.maximum(zf[f], zf[o])
        return max(float(hf.max()), 0.0)

    def courant_dt(self, h_max: float) -> float:
        """The Courant step for a depth.

        Parameters
        ----------
        h_max
            Depth (m).

        Returns
        -------
        float
            ``alpha dx / sqrt(g h_max)`` capped by ``max_dt`` (``max_dt`` when ``h_max <= 0``).
        """
        if h_max <= 0.0:
            return self.max_dt
        return min(self.max_dt, self.alpha * self.dx / np.sqrt(self.g * h_max))

    def stable_dt(self) -> float:
        """``alpha dx / sqrt(g h_max)``, capped by ``max_dt`` and by each exchange's ``max_dt``.

        ``h_max`` is the deepest of: the wet cells whose levels the solver computes, the stage
        boundary ghosts, the faces between a fixed-level cell and a computed cell (flow depth
        ``max(eta) - max(z)``), and the depth a source cell reaches in the step (dry cells under
        a big inflow would otherwise get ``max_dt`` and a metre-deep spike).

        Fixed-level cells themselves do not count (unless ``fixed_levels_set_dt``): their levels
        are re-imposed after every step, so whatever the fluxes between two of them do changes
        only water that is overwritten and booked as boundary in/outflow; with the levels on
        both sides imposed, the semi-implicit momentum update of such a face is a contraction
        for any step (it relaxes to normal flow), so it cannot grow. A face between a fixed and
        a computed cell does move water into a computed cell, so its flow depth stays in
        ``h_max``. tests/test_breach.py checks stability and mass on a deep fixed channel
        beside a shallow floodplain (docs/references/hazards.md §1.4, "the time step beside fixed-level cells").
        """
        hm = max(float(self._rowmax.max()), self._set_ghosts(self.time), self._mixed_face_depth())
        dt = self.courant_dt(hm)
        for src in self._inflows:
            q = max(src.hyd.at(self.time), src.hyd.at(self.time + dt))
            if q > 0.0:
                h_src = float(np.max(self.eta.flat[src.flat] - self.z.flat[src.flat]))
                hm = max(hm, h_src + q * dt / (src.flat.size * self.dx * self.dx))
        dt = self.courant_dt(hm)
        for ex in self._exchanges:
            dt = min(dt, float(ex.max_dt(self, dt)))
        return dt

    def _apply_fixed(self, t: float, record: bool = True) -> None:
        ef = self.eta.reshape(-1)
        for fx in self._fixed:
            old = ef[fx.flat]
            new = np.maximum(fx.hyd.at(t) + fx.offset, self.z.flat[fx.flat])
            ef[fx.flat] = new
            if record:
                dv = (new - old) * (self.dx * self.dx)
                self.inflow_volume += float(dv[dv > 0].sum())
                self.outflow_volume -= float(dv[dv < 0].sum())
            self._note_depths(fx.flat, new - self.z.flat[fx.flat], t, for_dt=self.fixed_levels_set_dt)

    def _note_depths(self, flat: np.ndarray, h: np.ndarray, t: float, *, for_dt: bool) -> None:
        """Statistics after a level was set outside the kernels: max depth, first wetting, the
        row's wet extent (active spans) and, with ``for_dt``, the row's depth for the time step."""
        hm = self.hmax.reshape(-1)
        hm[flat] = np.maximum(hm[flat], h)
        tw = self.t_wet.reshape(-1)
        tw[flat] = np.where((h > self.thr) & ~(tw[flat] <= t), t, tw[flat])
        rows, cols = np.divmod(flat, self.dem.shape[1])
        wet = h > self.thr
        if for_dt:
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

    def load_state(self, other: InertialModel) -> None:
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
        for ex in self._exchanges:  # before the fluxes: water taken out is not there to flow
            ex.before_step(self, dt)
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
               dt, dx, self.thr, t_new, self.hmax, self.t_wet, self._rowmax, self._rowclip, self._wlo, self._whi,
               self._dtw)
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

    def advance(self, until_s: float) -> None:
        """Step (stable steps) until the model time is exactly ``until_s``; nothing is stored.

        Parameters
        ----------
        until_s
            Model time to stop at (s); nothing happens when it is not after the model time.
        """
        target = float(until_s)
        while self.time < target:
            dt = self.stable_dt()
            # land exactly on the target; avoid a sliver of a step just before it
            if self.time + dt >= target - 1e-9 * max(1.0, abs(target)):
                dt = target - self.time
            self.step(dt)
            if abs(self.time - target) <= 1e-9 * max(1.0, abs(target)):
                self.time = target

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
            self.advance(float(target))
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
