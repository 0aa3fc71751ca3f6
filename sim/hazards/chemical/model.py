"""Hazardous-chemical release: Gaussian plume and puffs, AEGL threat zones, and the hazard.

Physics (plain functions, numpy, usable alone): :func:`gaussian_plume` (continuous point source
with ground reflection), :func:`gaussian_puff` (instantaneous release), :func:`sigma_y` /
:func:`sigma_z` (Briggs rural/urban, ISC3 curve fits, CCPS puff coefficients),
:func:`pasquill_gifford_class`, ppm conversion, and :func:`plume_threat_zones` (ALOHA-style
red/orange/yellow polygons). :func:`gaussian_plume_fast` is the numba twin of
:func:`gaussian_plume` (same answers to 1e-12 relative).

:class:`ChemicalRelease` puts them on a road network: a steady plume for a continuous release in
a steady wind (front travelling at the wind speed, tail leaving after the release stops), a
single puff for an instantaneous release, and a train of puffs when the wind shifts. Formulas and
reference values: ``docs/references/hazards.md`` §3.

Model limits (as ALOHA states them): Gaussian dispersion of a neutrally buoyant gas over flat
terrain, no chemical reaction, no heavy-gas slumping; wind below 1 m/s is refused; low wind
(< 1.3 m/s), very stable air (F with wind < 2 m/s), releases longer than 60 min, times more than
60 min after the release began, and zones reaching 10 km are warned about and recorded in
``ChemicalRelease.warnings``; nothing is computed beyond 10 km from the source.
"""
from __future__ import annotations

import json
import math
import tomllib
import warnings as _warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numba
import numpy as np
from scipy.sparse.csgraph import dijkstra
from shapely import unary_union
from shapely.geometry import Polygon

from network.checks import finite, non_negative, positive
from network.errors import InputError
from network.hazard import (
    AFFECTED, LETHAL, THREATENED, AffectedPeople, FieldStyle, Footprint, Hazard, HazardModelWarning, HazardState,
    IncidentSite, Zone,
)
from network.model import RoadNetwork
from network.raster import Raster, mask_polygons

from . import kernels as _k

# ---------------------------------------------------------------------------------- constants
#: litres per mole of ideal gas at 25 degC, 1 atm: ppm = mg/m3 * 24.45 / MW
MOLAR_VOLUME_L = 24.45
STABILITY_CLASSES = ("A", "B", "C", "D", "E", "F")
#: dispersion-coefficient sets for plumes (and puff trains); "ccps-puff" is for single puffs
PLUME_SIGMAS = ("briggs-rural", "briggs-urban", "isc3")
PUFF_SIGMAS = ("ccps-puff",) + PLUME_SIGMAS
AEGL_DURATIONS = ("10min", "30min", "60min", "4h", "8h")
#: ALOHA-style limits
CALM_WIND_M_S = 1.0
LOW_WIND_M_S = 1.3
MAX_DISTANCE_M = 10_000.0
MAX_MINUTES = 60.0
ZONE_COLOURS = ("red", "orange", "yellow")  # AEGL-3, AEGL-2, AEGL-1

_CHEMICALS_TOML = Path(__file__).with_name("chemicals.toml")


#: evaluations (receptors x puffs) below which one thread beats waking the thread pool
_SERIAL_WORK = 100_000


@contextmanager
def _threads_for(work: int):
    """Run small kernel calls on one thread: a parallel launch costs more than it saves there
    (and, on a busy machine, can wait a whole scheduler tick for the second thread)."""
    if work >= _SERIAL_WORK:
        yield
        return
    prev = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(prev)


class ChemicalModelWarning(HazardModelWarning):
    """A chemical-release input or time lies outside the range where the model is trusted."""


# ---------------------------------------------------------------------------------- sigma tables
# Briggs (1973) via CCPS (1999): sigma = a*x*(1+b*x)^p, p in {0, -1/2, +1/2, -1}; x in metres.
_BRIGGS: dict[str, dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]]] = {
    "briggs-rural": {
        "A": ((0.22, 1e-4, -0.5), (0.20, 0.0, 0.0)),
        "B": ((0.16, 1e-4, -0.5), (0.12, 0.0, 0.0)),
        "C": ((0.11, 1e-4, -0.5), (0.08, 2e-4, -0.5)),
        "D": ((0.08, 1e-4, -0.5), (0.06, 1.5e-3, -0.5)),
        "E": ((0.06, 1e-4, -0.5), (0.03, 3e-4, -1.0)),
        "F": ((0.04, 1e-4, -0.5), (0.016, 3e-4, -1.0)),
    },
    "briggs-urban": {
        "A": ((0.32, 4e-4, -0.5), (0.24, 1e-3, 0.5)),
        "B": ((0.32, 4e-4, -0.5), (0.24, 1e-3, 0.5)),
        "C": ((0.22, 4e-4, -0.5), (0.20, 0.0, 0.0)),
        "D": ((0.16, 4e-4, -0.5), (0.14, 3e-4, -0.5)),
        "E": ((0.11, 4e-4, -0.5), (0.08, 1.5e-3, -0.5)),
        "F": ((0.11, 4e-4, -0.5), (0.08, 1.5e-3, -0.5)),
    },
}
# ISC3 rural curve fits (EPA-454/B-95-003b), x in km:
# sigma_y = 465.11628 x tan(0.017453293 (c - d ln x)); sigma_z = a x^b on pieces x <= upper bound.
_ISC3_Y = {"A": (24.1670, 2.5334), "B": (18.3330, 1.8096), "C": (12.5000, 1.0857),
           "D": (8.3330, 0.72382), "E": (6.2500, 0.54287), "F": (4.1667, 0.36191)}
_INF = math.inf
_ISC3_Z: dict[str, tuple[list[float], list[float], list[float], float]] = {
    "A": ([0.10, 0.15, 0.20, 0.25, 0.30, 0.40, 0.50, _INF],
          [122.800, 158.080, 170.220, 179.520, 217.410, 258.890, 346.750, 453.850],
          [0.94470, 1.05420, 1.09320, 1.12620, 1.26440, 1.40940, 1.72830, 2.11660], 5000.0),
    "B": ([0.20, 0.40, _INF], [90.673, 98.483, 109.300], [0.93198, 0.98332, 1.09710], 5000.0),
    "C": ([_INF], [61.141], [0.91465], 5000.0),
    "D": ([0.30, 1.00, 3.00, 10.00, 30.00, _INF],
          [34.459, 32.093, 32.093, 33.504, 36.650, 44.053],
          [0.86974, 0.81066, 0.64403, 0.60486, 0.56589, 0.51179], _INF),
    "E": ([0.10, 0.30, 1.00, 2.00, 4.00, 10.00, 20.00, 40.00, _INF],
          [24.260, 23.331, 21.628, 21.628, 22.534, 24.703, 26.970, 35.420, 47.618],
          [0.83660, 0.81956, 0.75660, 0.63077, 0.57154, 0.50527, 0.46713, 0.37615, 0.29592], _INF),
    "F": ([0.20, 0.70, 1.00, 2.00, 3.00, 7.00, 15.00, 30.00, 60.00, _INF],
          [15.209, 14.457, 13.953, 13.953, 14.823, 16.187, 17.836, 22.651, 27.074, 34.219],
          [0.81558, 0.78407, 0.68465, 0.63227, 0.54503, 0.46490, 0.41507, 0.32681, 0.27436, 0.21716], _INF),
}
# CCPS (1999) puff coefficients, sigma_x = sigma_y = a x^b, sigma_z = c x^d (x in m).
_CCPS_PUFF = {"A": (0.18, 0.92, 0.60, 0.75), "B": (0.14, 0.92, 0.53, 0.73), "C": (0.10, 0.92, 0.34, 0.71),
              "D": (0.06, 0.92, 0.15, 0.70), "E": (0.04, 0.92, 0.10, 0.65), "F": (0.02, 0.89, 0.05, 0.61)}
_MODE_POWER = 2  # numpy-only layout for the CCPS puff set


def _check_class(stability: str) -> str:
    s = str(stability).strip().upper()
    if s not in STABILITY_CLASSES:
        raise InputError(f"stability: unknown Pasquill-Gifford class {stability!r}; use one of A, B, C, D, E, F")
    return s


@lru_cache(maxsize=64)
def sigma_params(stability: str, sigmas: str) -> tuple[int, np.ndarray]:
    """(mode, parameters) of a dispersion-coefficient set, shared by numpy and numba code.

    mode 0 (Briggs): ``[ay, by, py, az, bz, pz]``; mode 1 (ISC3): ``[c, d, cap, n, upper(n),
    a(n), b(n)]``; mode 2 (CCPS puff, numpy only): ``[a, b, c, d]``.
    """
    s = _check_class(stability)
    if sigmas in _BRIGGS:
        (ay, by, py), (az, bz, pz) = _BRIGGS[sigmas][s]
        p, mode = np.array([ay, by, py, az, bz, pz], float), _k.MODE_BRIGGS
    elif sigmas == "isc3":
        c, d = _ISC3_Y[s]
        upper, a, b, cap = _ISC3_Z[s]
        p, mode = np.array([c, d, cap, len(upper), *upper, *a, *b], float), _k.MODE_ISC3
    elif sigmas == "ccps-puff":
        p, mode = np.array(_CCPS_PUFF[s], float), _MODE_POWER
    else:
        raise InputError(f"sigmas: unknown dispersion-coefficient set {sigmas!r}; use one of {', '.join(PUFF_SIGMAS)}")
    p.flags.writeable = False
    return mode, p


def _briggs_np(a: float, b: float, p: float, x: np.ndarray) -> np.ndarray:
    # Same operation order as the kernel (chemical_kernels._briggs), so both round alike.
    if p == 0.0:
        return a * x
    if p == -0.5:
        return a * x / np.sqrt(1.0 + b * x)
    if p == 0.5:
        return a * x * np.sqrt(1.0 + b * x)
    return a * x / (1.0 + b * x)


def _sigmas_np(x: np.ndarray, mode: int, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sigma_y, sigma_z) at x > 0 (the caller masks x <= 0)."""
    if mode == _k.MODE_BRIGGS:
        return _briggs_np(p[0], p[1], p[2], x), _briggs_np(p[3], p[4], p[5], x)
    if mode == _MODE_POWER:
        return p[0] * x ** p[1], p[2] * x ** p[3]
    xkm = x / 1000.0
    sy = 465.11628 * xkm * np.tan(0.017453293 * (p[0] - p[1] * np.log(xkm)))
    n = int(p[3])
    upper, a, b = p[4:4 + n], p[4 + n:4 + 2 * n], p[4 + 2 * n:4 + 3 * n]
    k = np.minimum(np.searchsorted(upper, xkm, side="left"), n - 1)
    sz = np.minimum(a[k] * xkm ** b[k], p[2])
    return sy, sz


def _exp_cut(a: np.ndarray) -> np.ndarray:
    """exp(a), with 0 for a below ``EXP_CUT`` (~1e-304), as the kernels do."""
    return np.where(a >= _k.EXP_CUT, np.exp(np.maximum(a, _k.EXP_CUT)), 0.0)


def _sigma(x_m, stability: str, sigmas: str, which: int) -> np.ndarray | float:
    x = np.asarray(x_m, dtype=float)
    mode, p = sigma_params(stability, sigmas)
    pos = x > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(pos, _sigmas_np(np.where(pos, x, 1.0), mode, p)[which], 0.0)
    return float(out) if out.ndim == 0 else out


def sigma_y(x_m, stability: str = "D", sigmas: str = "briggs-rural") -> np.ndarray | float:
    """Crosswind spread sigma_y (m) at downwind distance ``x_m`` (0 where x <= 0)."""
    return _sigma(x_m, stability, sigmas, 0)


def sigma_z(x_m, stability: str = "D", sigmas: str = "briggs-rural") -> np.ndarray | float:
    """Vertical spread sigma_z (m) at downwind distance ``x_m`` (0 where x <= 0)."""
    return _sigma(x_m, stability, sigmas, 1)


# ---------------------------------------------------------------------------------- stability
# Turner (1970) table; columns are 10-m wind < 2, 2-3, 3-5, 5-6, > 6 m/s.
_PG_DAY = {"strong": ("A", "A-B", "B", "C", "C"), "moderate": ("A-B", "B", "B-C", "C-D", "D"),
           "slight": ("B", "C", "C", "D", "D")}
# Night: "cloudy" = thin overcast or >= 4/8 low cloud, "clear" = <= 3/8 cloud. Turner leaves
# < 2 m/s blank; tools use E / F there, as here.
_PG_NIGHT = {"cloudy": ("E", "E", "D", "D", "D"), "clear": ("F", "F", "E", "D", "D")}


def _wind_bin(u: float) -> int:
    return 0 if u < 2.0 else 1 if u < 3.0 else 2 if u < 5.0 else 3 if u <= 6.0 else 4


def pasquill_gifford_class(
    wind_speed_m_s: float,
    *,
    day: bool = True,
    insolation: str = "moderate",
    cloud_oktas: float | None = None,
    mixed: str = "stable",
) -> str:
    """Pasquill-Gifford class from the 10-m wind and insolation (day) or cloud cover (night).

    ``insolation``: "strong", "moderate", "slight" or "overcast" (heavy overcast: D, day or
    night). ``cloud_oktas`` (night, 0-8): >= 4 is the "thin overcast or >= 4/8 low cloud"
    column, 8 is heavy overcast (D); default clear. Table cells such as "A-B" resolve to the more
    stable class with ``mixed="stable"`` (narrower, more concentrated ground-level plumes: the
    protective choice for ground releases), the less stable with ``"unstable"``; ``"keep"``
    returns the cell as written.

    Parameters
    ----------
    wind_speed_m_s
        Wind at 10 m (m/s, ≥ 0).
    day
        Day (insolation decides) or night (cloud cover decides).
    insolation
        By day: "strong", "moderate", "slight" or "overcast".
    cloud_oktas
        By night: cloud cover in eighths, 0-8 (default 0, clear).
    mixed
        How to resolve a two-class cell: "stable", "unstable" or "keep".

    Returns
    -------
    str
        A class "A" to "F" (or a cell such as "A-B" with ``mixed="keep"``).

    Raises
    ------
    InputError
        On a negative or non-finite wind, an unknown ``insolation`` or ``mixed``, or
        ``cloud_oktas`` outside 0-8.
    """
    u = finite("wind_speed_m_s", wind_speed_m_s)
    if u < 0:
        raise InputError(f"wind_speed_m_s must not be negative (got {u})")
    if mixed not in ("stable", "unstable", "keep"):
        raise InputError(f"mixed: use 'stable', 'unstable' or 'keep' (got {mixed!r})")
    if day:
        ins = str(insolation).lower()
        if ins == "overcast":
            return "D"
        if ins not in _PG_DAY:
            raise InputError(f"insolation: use 'strong', 'moderate', 'slight' or 'overcast' (got {insolation!r})")
        cell = _PG_DAY[ins][_wind_bin(u)]
    else:
        oktas = 0.0 if cloud_oktas is None else finite("cloud_oktas", cloud_oktas)
        if not 0.0 <= oktas <= 8.0:
            raise InputError(f"cloud_oktas must lie in 0..8 (got {oktas})")
        if oktas >= 8.0:
            return "D"
        cell = _PG_NIGHT["cloudy" if oktas >= 4.0 else "clear"][_wind_bin(u)]
    if mixed == "keep" or len(cell) == 1:
        return cell
    return cell[-1] if mixed == "stable" else cell[0]


# ---------------------------------------------------------------------------------- units
def mg_m3_to_ppm(c_mg_m3, molecular_weight: float):
    """ppm (v/v) from mg/m3 at 25 degC, 1 atm."""
    return np.asarray(c_mg_m3, float) * MOLAR_VOLUME_L / molecular_weight


def ppm_to_mg_m3(c_ppm, molecular_weight: float):
    """mg/m3 from ppm (v/v) at 25 degC, 1 atm."""
    return np.asarray(c_ppm, float) * molecular_weight / MOLAR_VOLUME_L


def g_m3_to_ppm(c_g_m3, molecular_weight: float):
    """ppm (v/v) from g/m3 (the unit the dispersion functions return for g/s or g)."""
    return mg_m3_to_ppm(np.asarray(c_g_m3, float) * 1000.0, molecular_weight)


# ---------------------------------------------------------------------------------- dispersion
def _plume_args(q, u, h, sigmas):
    q = non_negative("q_g_s", q)
    u = positive("u_m_s", u)
    h = non_negative("release_height_m", h)
    if sigmas not in PLUME_SIGMAS:
        raise InputError(f"sigmas: unknown plume dispersion set {sigmas!r}; use one of {', '.join(PLUME_SIGMAS)}")
    return q, u, h


def gaussian_plume(
    q_g_s: float,
    u_m_s: float,
    x_m,
    y_m,
    z_m=0.0,
    release_height_m: float = 0.0,
    stability: str = "D",
    sigmas: str = "briggs-rural",
) -> np.ndarray | float:
    """Steady Gaussian plume with ground reflection, g/m3 for ``q_g_s`` in g/s (numpy reference).

    ``x_m`` downwind, ``y_m`` crosswind, ``z_m`` height above ground (m); broadcast together.
    ``u_m_s`` is the wind at release height. Zero where x <= 0 (upwind and at the source), and
    a term whose exponent is below -700 (a factor ~1e-304) counts as zero.

    Parameters
    ----------
    q_g_s
        Release rate (g/s, ≥ 0).
    u_m_s
        Wind speed (m/s, > 0).
    x_m, y_m, z_m
        Receptors: downwind, crosswind and height above ground (m); broadcast together.
    release_height_m
        Height of the source (m, ≥ 0).
    stability
        Pasquill-Gifford class "A" to "F".
    sigmas
        Dispersion coefficient set, one of :data:`PLUME_SIGMAS`.

    Returns
    -------
    float or numpy.ndarray
        Concentration (g/m3) in the broadcast shape of the receptors; a float for scalars.

    Raises
    ------
    InputError
        On a negative rate or height, a wind that is not positive, an unknown class or sigma set.
    """
    q, u, h = _plume_args(q_g_s, u_m_s, release_height_m, sigmas)
    mode, p = sigma_params(stability, sigmas)
    x, y, z = np.broadcast_arrays(np.asarray(x_m, float), np.asarray(y_m, float), np.asarray(z_m, float))
    pos = x > 0
    with np.errstate(invalid="ignore", divide="ignore", over="ignore", under="ignore"):
        sy, sz = _sigmas_np(np.where(pos, x, 1.0), mode, p)
        ay = -(y * y) / (2.0 * sy * sy)
        am = ay + -((z - h) * (z - h)) / (2.0 * sz * sz)  # direct term
        ap = ay + -((z + h) * (z + h)) / (2.0 * sz * sz)  # ground-reflected term
        c = q / (2.0 * math.pi * u * sy * sz) * (_exp_cut(am) + _exp_cut(ap))
    out = np.where(pos, c, 0.0)
    return float(out) if out.ndim == 0 else out


def gaussian_plume_fast(
    q_g_s: float,
    u_m_s: float,
    x_m,
    y_m,
    z_m=0.0,
    release_height_m: float = 0.0,
    stability: str = "D",
    sigmas: str = "briggs-rural",
    *,
    x_lo_m: float = 0.0,
    x_hi_m: float = math.inf,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`gaussian_plume` on the parallel numba kernel (1-D receptor arrays).

    Receptors outside ``x_lo_m < x <= x_hi_m`` get 0: the hazard uses this for the plume's
    travelling front and its tail after the release stops.
    """
    q, u, h = _plume_args(q_g_s, u_m_s, release_height_m, sigmas)
    mode, p = sigma_params(stability, sigmas)
    x = np.ascontiguousarray(np.ravel(x_m), dtype=np.float64)
    y = np.ascontiguousarray(np.ravel(y_m), dtype=np.float64)
    if y.shape != x.shape:
        y = np.ascontiguousarray(np.broadcast_to(y, x.shape))
    z = np.ascontiguousarray(np.ravel(z_m), dtype=np.float64)
    if z.size not in (1, x.size):
        raise InputError(f"z_m must hold one height or one per receptor ({x.size}), not {z.size}")
    if out is None:
        out = np.empty_like(x)
    elif out.shape != x.shape or out.dtype != np.float64 or not out.flags.c_contiguous:
        raise InputError(f"out must be a contiguous float64 array of shape {x.shape}")
    with _threads_for(x.size):
        _k.plume_kernel(q, u, x, y, z, h, mode, p, float(x_lo_m), float(x_hi_m), out)
    return out


def gaussian_puff(
    mass_g: float,
    u_m_s: float,
    x_m,
    y_m,
    t_s: float,
    z_m=0.0,
    release_height_m: float = 0.0,
    stability: str = "D",
    sigmas: str = "ccps-puff",
) -> np.ndarray | float:
    """Instantaneous Gaussian puff with ground reflection, g/m3 for ``mass_g`` in g.

    The puff centre is at ``x = u t``; sigma_x = sigma_y and sigma_z are evaluated at that
    distance (CCPS 1999 puff coefficients by default). Zero for ``t_s <= 0``.

    Parameters
    ----------
    mass_g
        Mass released (g, ≥ 0).
    u_m_s, x_m, y_m
        As :func:`gaussian_plume`: wind speed and receptors downwind and crosswind (m).
    t_s
        Seconds since the release.
    z_m, release_height_m, stability
        As :func:`gaussian_plume`.
    sigmas
        Dispersion coefficient set, one of :data:`PUFF_SIGMAS`.

    Returns
    -------
    float or numpy.ndarray
        g/m3, shaped as for :func:`gaussian_plume`.

    Raises
    ------
    InputError
        On a negative mass or height, a wind that is not positive, a time that is not finite,
        an unknown class or sigma set.
    """
    m = non_negative("mass_g", mass_g)
    u = positive("u_m_s", u_m_s)
    t = finite("t_s", t_s)
    h = non_negative("release_height_m", release_height_m)
    if sigmas not in PUFF_SIGMAS:
        raise InputError(f"sigmas: unknown puff dispersion set {sigmas!r}; use one of {', '.join(PUFF_SIGMAS)}")
    x, y, z = np.broadcast_arrays(np.asarray(x_m, float), np.asarray(y_m, float), np.asarray(z_m, float))
    if t <= 0:
        out = np.zeros(x.shape)
        return float(out) if out.ndim == 0 else out
    xc = u * t
    mode, p = sigma_params(stability, sigmas)
    sy, sz = (float(s) for s in _sigmas_np(np.array(xc), mode, p))
    c = (
        m / ((2.0 * math.pi) ** 1.5 * sy * sy * sz)
        * np.exp(-((x - xc) ** 2) / (2.0 * sy * sy))
        * np.exp(-(y * y) / (2.0 * sy * sy))
        * (np.exp(-((z - h) ** 2) / (2.0 * sz * sz)) + np.exp(-((z + h) ** 2) / (2.0 * sz * sz)))
    )
    return float(c) if c.ndim == 0 else c


def puff_sum(
    rx, ry, cx, cy, mass_g, sy, sz, *, z_m: float = 0.0, release_height_m: float = 0.0, cutoff: float = 10.0,
) -> np.ndarray:
    """Concentration (g/m3) of many puffs (sigma_x = sigma_y) at receptors, on the numba kernel.

    ``cx, cy, mass_g, sy, sz`` are per puff; puffs more than ``cutoff`` sigma_y away are skipped.
    """
    rx = np.ascontiguousarray(rx, dtype=np.float64)
    ry = np.ascontiguousarray(ry, dtype=np.float64)
    amp, inv2s2, cut2 = _puff_constants(np.asarray(mass_g, float), np.asarray(sy, float), np.asarray(sz, float),
                                        z_m, release_height_m, cutoff)
    out = np.empty_like(rx)
    with _threads_for(rx.size * amp.size):
        _k.puff_train_kernel(rx, ry, np.ascontiguousarray(cx, dtype=np.float64),
                             np.ascontiguousarray(cy, dtype=np.float64), amp, inv2s2, cut2, out)
    return out


def _puff_constants(mass, sy, sz, z, h, cutoff):
    vz = np.exp(-((z - h) ** 2) / (2.0 * sz * sz)) + np.exp(-((z + h) ** 2) / (2.0 * sz * sz))
    amp = mass / ((2.0 * math.pi) ** 1.5 * sy * sy * sz) * vz
    return (np.ascontiguousarray(amp), np.ascontiguousarray(1.0 / (2.0 * sy * sy)),
            np.ascontiguousarray((cutoff * sy) ** 2))


# ---------------------------------------------------------------------------------- chemicals
@dataclass(frozen=True)
class Chemical:
    """One substance of ``chemicals.toml``: molecular weight and AEGL-1/2/3 in ppm."""

    key: str
    name_en: str
    name_zh: str
    cas: str
    formula: str
    molecular_weight: float
    aegl_ppm: dict[int, tuple[float, ...]]
    provenance: str
    source: str
    aliases: tuple[str, ...] = ()

    def aegl(self, level: int, duration: str | float = "60min") -> float:
        """AEGL-``level`` (1, 2, 3) in ppm for an exposure duration (default 60 min)."""
        if level not in (1, 2, 3):
            raise InputError(f"AEGL level must be 1, 2 or 3 (got {level!r})")
        return self.aegl_ppm[level][_duration_index(duration)]

    def levels_of_concern(self, duration: str | float = "60min") -> tuple[float, float, float]:
        """(AEGL-1, AEGL-2, AEGL-3) in ppm: ALOHA's default yellow / orange / red LOCs."""
        return tuple(self.aegl(k, duration) for k in (1, 2, 3))  # type: ignore[return-value]

    def label(self) -> str:
        """English name, Chinese name and formula, for messages and legends."""
        return f"{self.name_en} ({self.name_zh}, {self.formula})"


_DURATION_ALIASES = {
    "10min": 0, "10 min": 0, "600": 0, "30min": 1, "30 min": 1, "1800": 1,
    "60min": 2, "60 min": 2, "1h": 2, "1 h": 2, "3600": 2, "4h": 3, "4 h": 3, "240min": 3, "14400": 3,
    "8h": 4, "8 h": 4, "480min": 4, "28800": 4,
}


def _duration_index(duration: str | float) -> int:
    key = str(int(duration)) if isinstance(duration, (int, float)) and float(duration).is_integer() else str(duration)
    key = key.strip().lower()
    if key not in _DURATION_ALIASES:
        raise InputError(f"aegl_duration: use one of {', '.join(AEGL_DURATIONS)} (or 600/1800/3600/14400/28800 s), "
                         f"not {duration!r}")
    return _DURATION_ALIASES[key]


def load_chemicals(path: str | Path | None = None) -> dict[str, Chemical]:
    """The chemical table (``chemicals.toml`` next to this module unless ``path`` is given)."""
    return dict(_load_chemicals(str(path or _CHEMICALS_TOML)))


@lru_cache(maxsize=8)
def _load_chemicals(path: str) -> tuple[tuple[str, Chemical], ...]:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{p}: chemical table not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{p}: not valid TOML ({exc})") from None
    durations = data.get("durations")
    if list(durations or []) != list(AEGL_DURATIONS):
        raise InputError(f"{p}: 'durations' must be {list(AEGL_DURATIONS)}")
    out = []
    for key, d in data.items():
        if not isinstance(d, dict):
            continue
        try:
            aegl = {k: tuple(float(v) for v in d[f"aegl{k}"]) for k in (1, 2, 3)}
            mw = float(d["molecular_weight"])
            chem = Chemical(key=key, name_en=d["name_en"], name_zh=d["name_zh"], cas=d["cas"], formula=d["formula"],
                            molecular_weight=mw, aegl_ppm=aegl, provenance=d.get("provenance", "M"),
                            source=d.get("source", ""), aliases=tuple(d.get("aliases", ())))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{p}: chemical [{key}] is incomplete or malformed ({exc!r})") from None
        if not mw > 0 or any(len(v) != len(AEGL_DURATIONS) for v in aegl.values()):
            raise InputError(f"{p}: chemical [{key}] needs a positive molecular_weight and 5 values per AEGL level")
        out.append((key, chem))
    return tuple(out)


def _norm_name(s: str) -> str:
    return str(s).strip().lower().replace("_", " ").replace("-", " ")


def get_chemical(substance: str | Chemical, *, path: str | Path | None = None) -> Chemical:
    """A chemical by key, English or Chinese name, alias, CAS number or formula."""
    if isinstance(substance, Chemical):
        return substance
    table = load_chemicals(path)
    want = _norm_name(substance)
    for chem in table.values():
        names = (chem.key, chem.name_en, chem.name_zh, chem.cas, chem.formula, *chem.aliases)
        if want in {_norm_name(n) for n in names}:
            return chem
    known = "; ".join(c.label() for c in table.values())
    raise InputError(f"substance: unknown chemical {substance!r}; known: {known}")


# ---------------------------------------------------------------------------------- threat zones
@dataclass(frozen=True)
class ThreatZone:
    """One ALOHA-style threat zone: where ground-level concentration exceeds ``threshold_ppm``.

    ``polygon`` is a shapely geometry in the projected CRS; ``extent_m`` its farthest distance
    from the source; ``truncated`` when it reaches the 10-km model limit.
    """

    colour: str
    level: str
    threshold_ppm: float
    polygon: Any
    extent_m: float
    truncated: bool


def _run_polygons(x: np.ndarray, hw: np.ndarray, inside: np.ndarray,
                  lnr: np.ndarray) -> list[list[tuple[float, float]]]:
    """Outlines (in plume coordinates) of each contiguous run of ``inside`` along x."""
    rings = []
    idx = np.flatnonzero(inside)
    if idx.size == 0:
        return rings
    breaks = np.flatnonzero(np.diff(idx) > 1)
    for run in np.split(idx, breaks + 1):
        i0, i1 = int(run[0]), int(run[-1])
        # tips: where ln(C/LOC) crosses zero between grid points (linear interpolation)
        x0 = x[i0] if i0 == 0 else x[i0 - 1] + (x[i0] - x[i0 - 1]) * (-lnr[i0 - 1]) / (lnr[i0] - lnr[i0 - 1])
        x1 = x[i1] if i1 == len(x) - 1 else x[i1] + (x[i1 + 1] - x[i1]) * lnr[i1] / (lnr[i1] - lnr[i1 + 1])
        xs, ys = x[run], hw[run]
        ring = [(float(x0), 0.0)] + list(zip(xs.tolist(), ys.tolist())) + [(float(x1), 0.0)]
        ring += list(zip(xs[::-1].tolist(), (-ys[::-1]).tolist()))
        rings.append(ring)
    return rings


def _downwind_unit(direction_deg: float) -> tuple[float, float]:
    """(east, north) unit vector the wind blows towards; ``direction_deg`` is where it comes FROM."""
    th = math.radians(direction_deg)
    return -math.sin(th), -math.cos(th)


def _nest(zones: dict[str, ThreatZone]) -> dict[str, ThreatZone]:
    """Make red within orange within yellow (ALOHA draws each zone over the milder ones)."""
    out: dict[str, ThreatZone] = {}
    inner: ThreatZone | None = None
    for colour in ZONE_COLOURS:
        z = zones[colour]
        if inner is not None and not inner.polygon.is_empty:
            z = ThreatZone(z.colour, z.level, z.threshold_ppm, unary_union([z.polygon, inner.polygon]),
                           max(z.extent_m, inner.extent_m), z.truncated or inner.truncated)
        out[colour] = inner = z
    return out


def plume_threat_zones(
    q_g_s: float,
    u_m_s: float,
    direction_deg: float,
    source_xy: tuple[float, float],
    molecular_weight: float,
    levels_ppm: Sequence[float],
    *,
    release_height_m: float = 0.0,
    stability: str = "D",
    sigmas: str = "briggs-rural",
    x_max_m: float = MAX_DISTANCE_M,
    n_points: int = 1500,
) -> dict[str, ThreatZone]:
    """Red/orange/yellow footprints of a steady plume for (AEGL-1, AEGL-2, AEGL-3) in ppm.

    Footprint of a level L: ``{C(x, y, 0) >= L}``; at each x on a log-spaced grid its half-width
    is ``sigma_y * sqrt(2 ln(C(x,0,0)/L))``. ``x_max_m`` cuts the zones (10 km model limit, or
    the plume front). Polygons are in the projected CRS around ``source_xy``.
    """
    if len(levels_ppm) != 3 or not all(np.isfinite(levels_ppm)) or min(levels_ppm) <= 0:
        raise InputError(f"levels_ppm must be three positive values (AEGL-1, -2, -3), got {levels_ppm!r}")
    mw = positive("molecular_weight", molecular_weight)
    direction = finite("direction_deg", direction_deg)
    x_max = min(positive("x_max_m", x_max_m), MAX_DISTANCE_M)
    x = np.geomspace(min(0.5, x_max / 10), x_max, int(n_points))
    c0 = g_m3_to_ppm(gaussian_plume(q_g_s, u_m_s, x, 0.0, 0.0, release_height_m, stability, sigmas), mw)
    sy = sigma_y(x, stability, sigmas)
    ex, ey = _downwind_unit(direction)
    sx0, sy0 = float(source_xy[0]), float(source_xy[1])
    zones = {}
    for colour, level, loc in zip(ZONE_COLOURS, ("AEGL-3", "AEGL-2", "AEGL-1"), levels_ppm[::-1]):
        with np.errstate(divide="ignore"):
            lnr = np.log(np.maximum(c0, 1e-300) / loc)
        inside = lnr >= 0
        hw = sy * np.sqrt(2.0 * np.maximum(lnr, 0.0))
        polys, rings = [], _run_polygons(x, hw, inside, lnr)
        for ring in rings:
            a = np.asarray(ring)
            wx = sx0 + a[:, 0] * ex - a[:, 1] * ey
            wy = sy0 + a[:, 0] * ey + a[:, 1] * ex
            polys.append(Polygon(np.column_stack([wx, wy])).buffer(0))
        poly = unary_union(polys) if polys else Polygon()
        extent = max((float(np.hypot(*np.asarray(r).T).max()) for r in rings), default=0.0)
        truncated = bool(inside[-1] and x_max >= MAX_DISTANCE_M)
        zones[colour] = ThreatZone(colour, level, float(loc), poly, extent, truncated)
    return _nest(zones)


#: fill colours of the threat zones on maps
ZONE_FILL = {"red": "#e74c3c", "orange": "#f39c12", "yellow": "#f7dc6f"}


def threat_zone_layers(zones: dict[str, ThreatZone], *, properties: dict | None = None) -> tuple[Zone, ...]:
    """Threat zones as footprint zones, mildest first (yellow under orange under red)."""
    out = []
    for colour in ZONE_COLOURS[::-1]:
        z = zones[colour]
        props = {"zone": colour, "level": z.level, "threshold_ppm": z.threshold_ppm,
                 "extent_m": round(z.extent_m, 1), "truncated_at_10km": z.truncated, **(properties or {})}
        label = f"{z.level} ≥ {z.threshold_ppm:g} ppm"
        out.append(Zone(z.polygon, label, label, ZONE_FILL[colour], props))
    return tuple(out)


def threat_zones_geojson(zones: dict[str, ThreatZone], crs: str, *, properties: dict | None = None) -> dict:
    """A GeoJSON FeatureCollection (lon/lat, WGS 84) of threat zones, mildest first."""
    return Footprint("threat zones", crs, threat_zone_layers(zones, properties=properties)).to_geojson()


def write_threat_zones_geojson(zones: dict[str, ThreatZone], path: str | Path, crs: str, *,
                               properties: dict | None = None) -> Path:
    """Write threat zones as GeoJSON in lon/lat (QGIS opens it directly)."""
    path = Path(path)
    doc = threat_zones_geojson(zones, crs, properties=properties)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------- the hazard
@dataclass
class _History:
    """Exceedance record at fixed receptors, advanced over the hazard's time grid."""

    rx: np.ndarray
    ry: np.ndarray
    t: float                                      # end of the last complete step
    first: np.ndarray = field(init=False)         # (3, n) outdoor first time >= AEGL-1/2/3
    first_in: np.ndarray = field(init=False)      # (3, n) the same indoors (shelter in place)
    c_in: np.ndarray = field(init=False)          # indoor concentration, ppm
    cmax: np.ndarray = field(init=False)          # running outdoor maximum, ppm

    def __post_init__(self) -> None:
        n = len(self.rx)
        self.first = np.full((3, n), np.inf)
        self.first_in = np.full((3, n), np.inf)
        self.c_in = np.zeros(n)
        self.cmax = np.zeros(n)


class ChemicalRelease(Hazard):
    """A toxic-gas release on a road network, evaluated over simulation time.

    Give either ``rate_g_s`` with ``duration_s`` (continuous) or ``mass_kg`` (instantaneous; with
    ``duration_s`` it is released evenly over that time). ``wind`` is ``(speed_m_s,
    direction_deg)`` (direction the wind blows FROM, degrees clockwise from north) or, for a
    wind shift, a list of ``(from_time_s, speed_m_s, direction_deg)`` in simulation time (the
    first entry also applies before its time). ``stability`` is a Pasquill-Gifford class, or it
    is derived from the (first) wind speed and ``day``/``insolation``/``cloud_oktas``.

    ``state(t)`` gives node concentrations in ppm at ``receptor_height_m``, people reaching
    AEGL-1/2/3 (THREATENED / AFFECTED / LETHAL) with the time first reached, and a speed factor
    of 0 on edges inside the current AEGL-3 zone (hazmat teams only). With
    ``protective_action="shelter"`` severity follows the indoor concentration of a one-box
    building with ``air_changes_per_hour``; people in the outdoor AEGL-1 zone are still at
    least THREATENED. With "auto" each node of the forecast zone shelters or evacuates, the
    latter only where the evacuation finishes before the gas arrives. Once the release is detected (``start_s + detection_delay_s``) every node
    of the zone the model forecasts to reach AEGL-1 within 60 min (ALOHA's threat zone) is at
    least THREATENED from that moment: the warning goes to the forecast zone at detection, not
    to each place as the gas arrives.

    Models: steady plume (continuous release, steady wind: the front travels at the wind speed
    and the tail leaves ``duration_s`` later), single puff (instantaneous release), train of
    puffs (wind shift; puffs carry the plume sigma set so that in a steady wind they rebuild the
    plume). Puff histories advance on a grid of ``time_step_s`` (plus the wind-change times);
    for a single puff each step takes the puff's closest approach, so peaks between grid times
    are not missed. First-reached times are exact for the plume (front arrival ``x / u``, or the
    indoor build-up after it) and the end of the step in which the level was reached for puffs.
    The UTM grid's small convergence from true north is ignored in the wind direction.

    Parameters
    ----------
    net
        The road network; the source must lie within its extent.
    source_xy
        Release point (m, the network's CRS).
    substance
        A :class:`Chemical` or its key, name (English or Chinese), alias, CAS number or formula.
    wind
        ``(speed_m_s, direction_deg)`` or a schedule of ``(from_time_s, speed_m_s,
        direction_deg)``; speeds of at least 1 m/s.
    rate_g_s, mass_kg, duration_s
        A continuous release (``rate_g_s`` with ``duration_s``) or an instantaneous one
        (``mass_kg``, spread over ``duration_s`` when given).
    release_height_m
        Height of the source above ground (m).
    stability
        Pasquill-Gifford class; default from the first wind speed and the three below.
    day, insolation, cloud_oktas
        As :func:`pasquill_gifford_class`, when ``stability`` is not given.
    sigmas
        Dispersion coefficient set, one of :data:`PLUME_SIGMAS`.
    start_s
        When the release begins (simulation time, s).
    detection_delay_s
        From the release to its detection (s): warnings to the forecast zone start then.
    protective_action
        "evacuate" (outdoor concentrations decide), "shelter" (indoor ones) or "auto": evacuate
        only where an order given at detection clears the forecast AEGL-2 zone before AEGL-2
        arrives, shelter in place everywhere else in the forecast zone (:meth:`sheltering_nodes`).
    evacuation_lead_min
        For "auto": minutes from detection until people are on the move (the warning reaching
        them and getting ready).
    evacuation_speed_factor
        For "auto": evacuees' share of the free-flow road speed.
    receptor_height_m
        Height above ground at which concentrations are evaluated (m).
    aegl_duration
        Exposure duration whose AEGLs are the levels of concern (default 60 min).
    air_changes_per_hour
        Indoor air exchange when sheltering.
    time_step_s, puff_spacing_m, max_puffs
        Numerics of the puff histories.
    model
        "auto", "plume", "puff" or "puff-train".
    name
        Name in outputs (default: the substance's English name and "release").

    Raises
    ------
    InputError
        On an unknown substance, class, sigma set, protective action, duration or model; a
        source off the network's extent; neither or both of rate and mass; a calm or
        malformed wind; a model that does not fit the release; values out of range.
    """

    kind = "chemical"
    label_zh, label_en = "危化品泄漏", "chemical release"

    def __init__(
        self,
        net: RoadNetwork,
        source_xy: tuple[float, float],
        substance: str | Chemical,
        *,
        wind,
        rate_g_s: float | None = None,
        mass_kg: float | None = None,
        duration_s: float | None = None,
        release_height_m: float = 0.0,
        stability: str | None = None,
        day: bool = True,
        insolation: str = "moderate",
        cloud_oktas: float | None = None,
        sigmas: str = "briggs-rural",
        start_s: float = 0.0,
        detection_delay_s: float = 600.0,
        protective_action: str = "evacuate",
        evacuation_lead_min: float = 40.0,
        evacuation_speed_factor: float = 0.5,
        receptor_height_m: float = 0.0,
        aegl_duration: str | float = "60min",
        air_changes_per_hour: float = 0.5,
        time_step_s: float = 30.0,
        puff_spacing_m: float = 20.0,
        max_puffs: int = 400,
        model: str = "auto",
        name: str | None = None,
    ) -> None:
        if not isinstance(net, RoadNetwork):
            raise InputError(f"net must be a RoadNetwork (got {type(net).__name__})")
        self.net = net
        self.warnings: list[str] = []
        self.chemical = get_chemical(substance)
        self.mw = self.chemical.molecular_weight
        self.locs = np.array(self.chemical.levels_of_concern(aegl_duration))
        self.aegl_duration = AEGL_DURATIONS[_duration_index(aegl_duration)]
        self.source_xy = self._source_on(net, source_xy)
        self._set_release(rate_g_s, mass_kg, duration_s)
        self.release_height_m = non_negative("release_height_m", release_height_m)
        self.receptor_height_m = non_negative("receptor_height_m", receptor_height_m)
        self.start_s = finite("start_s", start_s)
        self.detected_s = self.start_s + non_negative("detection_delay_s", detection_delay_s)
        self._set_numerics(time_step_s, puff_spacing_m, max_puffs)
        self.ach = positive("air_changes_per_hour", air_changes_per_hour)
        if protective_action not in ("evacuate", "shelter", "auto"):
            raise InputError(f"protective_action: use 'evacuate', 'shelter' or 'auto' (got {protective_action!r})")
        self.protective_action = protective_action
        self.evacuation_lead_s = non_negative("evacuation_lead_min", evacuation_lead_min) * 60.0
        self.evacuation_speed_factor = positive("evacuation_speed_factor", evacuation_speed_factor)
        self._sheltering: np.ndarray | None = None
        self._forecast_history: _History | None = None
        if sigmas not in PLUME_SIGMAS:
            raise InputError(f"sigmas: unknown dispersion set {sigmas!r}; use one of {', '.join(PLUME_SIGMAS)}")
        self.sigmas = sigmas
        self._wt, self._wu, self._wd = self._parse_wind(wind)
        if stability is None:
            stability = pasquill_gifford_class(float(self._wu[0]), day=day, insolation=insolation,
                                               cloud_oktas=cloud_oktas)
        self.stability = _check_class(stability)
        self.model = self._choose_model(model)
        self.name = name or f"{self.chemical.name_en} release"
        self._build_puffs()
        self._warn_outside_aloha_limits()
        self._history: _History | None = None
        self._edge_mid: tuple[np.ndarray, np.ndarray] | None = None
        self._warned_late = False
        self._first_static = self._plume_first_times() if self.model == "plume" else None
        self._check_reach()

    # ------------------------------------------------------------------ construction steps
    @staticmethod
    def _source_on(net: RoadNetwork, source_xy: tuple[float, float]) -> tuple[float, float]:
        """The source point, checked to be finite and within the network's extent."""
        try:
            sx, sy = (float(v) for v in source_xy)
        except (TypeError, ValueError):
            raise InputError(f"source_xy must be (x, y) in metres of the network's CRS (got {source_xy!r})") from None
        if not (math.isfinite(sx) and math.isfinite(sy)):
            raise InputError(f"source_xy must be finite (got {source_xy!r})")
        xmin, xmax, ymin, ymax = net.x.min(), net.x.max(), net.y.min(), net.y.max()
        if not (xmin <= sx <= xmax and ymin <= sy <= ymax):
            raise InputError(f"source_xy ({sx:.1f}, {sy:.1f}) lies outside the network's extent "
                             f"x {xmin:.1f}..{xmax:.1f}, y {ymin:.1f}..{ymax:.1f} ({net.crs})")
        return sx, sy

    def _set_release(self, rate_g_s: float | None, mass_kg: float | None, duration_s: float | None) -> None:
        """Release rate, mass and duration from a continuous or an instantaneous release."""
        if (rate_g_s is None) == (mass_kg is None):
            raise InputError("give exactly one of rate_g_s (continuous) or mass_kg (instantaneous)")
        if rate_g_s is not None:
            self.rate_g_s = positive("rate_g_s", rate_g_s)
            if duration_s is None:
                raise InputError("duration_s is required with rate_g_s (seconds the release lasts)")
            self.duration_s = positive("duration_s", duration_s)
            self.mass_g = self.rate_g_s * self.duration_s
        else:
            self.mass_g = positive("mass_kg", mass_kg) * 1000.0
            self.duration_s = 0.0 if duration_s is None else non_negative("duration_s", duration_s)
            self.rate_g_s = self.mass_g / self.duration_s if self.duration_s > 0 else math.inf

    def _set_numerics(self, time_step_s: float, puff_spacing_m: float, max_puffs: int) -> None:
        """The puff histories' time step, puff spacing and puff budget."""
        self.time_step_s = positive("time_step_s", time_step_s)
        self.puff_spacing_m = positive("puff_spacing_m", puff_spacing_m)
        self.max_puffs = int(positive("max_puffs", max_puffs))
        if self.max_puffs < 1:
            raise InputError(f"max_puffs must be at least 1 (got {max_puffs!r})")

    def _choose_model(self, model: str) -> str:
        """Plume for a continuous release in a steady wind, a puff for an instantaneous one,
        a train of puffs when the wind shifts (``model="auto"``), or the model asked for."""
        shift = len(self._wu) > 1 and (np.ptp(self._wu) > 0 or np.ptp(self._wd) > 0)
        auto = "puff" if self.duration_s == 0 else "puff-train" if shift else "plume"
        if model not in ("auto", "plume", "puff", "puff-train"):
            raise InputError(f"model: use 'auto', 'plume', 'puff' or 'puff-train' (got {model!r})")
        if model == "plume" and (self.duration_s == 0 or shift):
            raise InputError("model: 'plume' needs a continuous release in a steady wind; use 'auto'")
        if model == "puff" and self.duration_s > 0:
            raise InputError("model: 'puff' is for instantaneous releases (mass_kg without duration_s)")
        return auto if model == "auto" else model

    def _warn_outside_aloha_limits(self) -> None:
        """Record (and warn of) inputs beyond the range ALOHA's Gaussian models support."""
        for u in self._wu:
            if u < LOW_WIND_M_S:
                self._warn(f"wind {u:.2f} m/s is below 1.3 m/s (3 mph): ALOHA warns that Gaussian "
                           "dispersion is unreliable in such low wind")
                break
        u0 = float(self._wu[0])
        if self.stability == "F" and u0 < 2.0:
            self._warn(f"very stable air (class F) with low wind ({u0:.2f} m/s): concentrations near the "
                       "source are patchy and the plume may meander; treat the zones as indicative")
        if self.duration_s > MAX_MINUTES * 60:
            self._warn(f"release lasts {self.duration_s / 60:.0f} min; ALOHA limits releases and results "
                       "to 60 min, later times are extrapolated")

    # ------------------------------------------------------------------ construction helpers
    @staticmethod
    def _parse_wind(wind) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if isinstance(wind, np.ndarray):
            wind = wind.tolist()
        entries = list(wind) if isinstance(wind, (list, tuple)) else None
        if not entries:
            raise InputError("wind must be (speed_m_s, direction_deg) or a list of "
                             "(from_time_s, speed_m_s, direction_deg)")
        if all(np.isscalar(v) for v in entries):
            if len(entries) != 2:
                raise InputError(f"wind must be (speed_m_s, direction_deg), got {wind!r}")
            entries = [(-math.inf, entries[0], entries[1])]
        rows = []
        for e in entries:
            try:
                t, u, d = e
            except (TypeError, ValueError):
                raise InputError("wind schedule entries must be (from_time_s, speed_m_s, direction_deg), "
                                 f"got {e!r}") from None
            u = finite("wind speed_m_s", u)
            if u <= 0:
                raise InputError(f"wind speed_m_s must be positive (got {u})")
            if u < CALM_WIND_M_S:
                raise InputError(f"wind speed_m_s {u} is calm (< 1 m/s): Gaussian plume and puff models "
                                 "are not valid there (ALOHA needs at least 1 m/s)")
            d = finite("wind direction_deg", d) % 360.0
            t = float(t) if t is not None else -math.inf
            if math.isnan(t):
                raise InputError("wind schedule from_time_s must be a number")
            rows.append((t, u, d))
        rows.sort(key=lambda r: r[0])
        a = np.array(rows, float)
        return a[:, 0], a[:, 1], a[:, 2]

    def _warn(self, msg: str) -> None:
        msg = f"{self.name}: {msg}"
        if msg not in self.warnings:
            self.warnings.append(msg)
            _warnings.warn(msg, ChemicalModelWarning, stacklevel=3)

    def _wind_at(self, t: float) -> tuple[float, float]:
        i = max(int(np.searchsorted(self._wt, t, side="right")) - 1, 0)
        return float(self._wu[i]), float(self._wd[i])

    def _knots(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Times from start_s where the wind changes, with cumulative displacement and travel."""
        tk = np.concatenate([[self.start_s], self._wt[self._wt > self.start_s]])
        ux, uy, us = [], [], []
        for t in tk:
            u, d = self._wind_at(t)
            ex, ey = _downwind_unit(d)
            ux.append(u * ex), uy.append(u * ey), us.append(u)
        ux, uy, us = np.array(ux), np.array(uy), np.array(us)
        dt = np.diff(tk)
        cx = np.concatenate([[0.0], np.cumsum(ux[:-1] * dt)])
        cy = np.concatenate([[0.0], np.cumsum(uy[:-1] * dt)])
        cs = np.concatenate([[0.0], np.cumsum(us[:-1] * dt)])
        return tk, np.stack([ux, uy, us]), cx, cy, cs

    def _integrals(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Wind displacement (x, y) and travel distance from start_s to times ``t``."""
        tk, vel, cx, cy, cs = self._kn
        i = np.maximum(np.searchsorted(tk, t, side="right") - 1, 0)
        dt = t - tk[i]
        return cx[i] + vel[0, i] * dt, cy[i] + vel[1, i] * dt, cs[i] + vel[2, i] * dt

    def _build_puffs(self) -> None:
        self._kn = self._knots()
        if self.model == "puff":
            self._pt = np.array([self.start_s])
            self._pm = np.array([self.mass_g])
            return
        u_max = float(self._wu.max())
        n = int(min(max(math.ceil(u_max * self.duration_s / self.puff_spacing_m), 1), self.max_puffs))
        dt = self.duration_s / n
        self._pt = self.start_s + (np.arange(n) + 0.5) * dt
        self._pm = np.full(n, self.rate_g_s * dt)

    # ------------------------------------------------------------------ plume (steady wind)
    def _plume_local(self, px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u, d = self._wind_at(self.start_s)
        ex, ey = _downwind_unit(d)
        dx, dy = px - self.source_xy[0], py - self.source_xy[1]
        return dx * ex + dy * ey, -dx * ey + dy * ex

    def _plume_ppm(self, px, py, x_lo: float, x_hi: float) -> np.ndarray:
        u, _ = self._wind_at(self.start_s)
        xl, yl = self._plume_local(px, py)
        c = gaussian_plume_fast(self.rate_g_s, u, xl, yl, self.receptor_height_m, self.release_height_m,
                                self.stability, self.sigmas, x_lo_m=x_lo, x_hi_m=min(x_hi, MAX_DISTANCE_M))
        return g_m3_to_ppm(c, self.mw)

    def _plume_first_times(self) -> tuple[np.ndarray, np.ndarray]:
        """Exact first times each node reaches AEGL-1/2/3, outdoors and indoors (plume model)."""
        u, _ = self._wind_at(self.start_s)
        xl, _ = self._plume_local(self.net.x, self.net.y)
        c = self._plume_ppm(self.net.x, self.net.y, 0.0, math.inf)
        arrive = self.start_s + np.where(xl > 0, xl, 0.0) / u
        first = np.where(c[None, :] >= self.locs[:, None], arrive[None, :], np.inf)
        # one-box building: C_in = C (1 - exp(-lam t)) while the plume is over it
        lam = self.ach / 3600.0
        peak_in = c * -np.expm1(-lam * self.duration_s)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            delay = -np.log1p(-self.locs[:, None] / np.where(c > 0, c, np.inf)[None, :]) / lam
        first_in = np.where(peak_in[None, :] >= self.locs[:, None], arrive[None, :] + delay, np.inf)
        return first, first_in

    # ------------------------------------------------------------------ puffs
    def _puffs_at(self, t: float, t_from: float | None = None):
        """Puffs released by ``t``: centres and travel at ``t`` and at ``max(t_from, release)``."""
        live = self._pt <= t
        tr, m = self._pt[live], self._pm[live]
        bx, by, bs = self._integrals(np.concatenate([tr, [t]]))
        ox, oy, os_ = bx[:-1], by[:-1], bs[:-1]
        end = (bx[-1] - ox, by[-1] - oy, bs[-1] - os_)
        if t_from is None:
            start = end
        else:
            ax, ay, as_ = self._integrals(np.maximum(tr, t_from))
            start = (ax - ox, ay - oy, as_ - os_)
        keep = end[2] <= MAX_DISTANCE_M  # ALOHA reports nothing beyond 10 km
        if not keep.all():
            self._warn("puffs have travelled beyond 10 km; ALOHA does not model that far, they are dropped")
        sx0, sy0 = self.source_xy
        return (m[keep], sx0 + start[0][keep], sy0 + start[1][keep], start[2][keep],
                sx0 + end[0][keep], sy0 + end[1][keep], end[2][keep])

    def _puff_sig(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sig = "ccps-puff" if self.model == "puff" else self.sigmas
        mode, p = sigma_params(self.stability, sig)
        return _sigmas_np(np.maximum(s, 1.0), mode, p)  # 1 m floor: a fresh puff is not a point

    def _puff_ppm(self, px: np.ndarray, py: np.ndarray, t: float) -> np.ndarray:
        m, _, _, _, bx, by, bs = self._puffs_at(t)
        if m.size == 0:
            return np.zeros(len(px))
        sy, sz = self._puff_sig(bs)
        c = puff_sum(px, py, bx, by, m, sy, sz, z_m=self.receptor_height_m, release_height_m=self.release_height_m)
        return g_m3_to_ppm(c, self.mw)

    def _puff_step(self, px: np.ndarray, py: np.ndarray, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        """(level, mean) in ppm over the step (t0, t1] for the exceedance test and the indoor model."""
        if self.model == "puff-train":
            c = self._puff_ppm(px, py, t1)  # quasi-steady: the value at the step end
            return c, c
        m, ax, ay, sa, bx, by, sb = self._puffs_at(t1, t0)
        if m.size == 0:
            z = np.zeros(len(px))
            return z, z
        sya, sza = self._puff_sig(sa)
        syb, szb = self._puff_sig(sb)
        peak, mean = np.empty(len(px)), np.empty(len(px))
        with _threads_for(len(px) * m.size):
            _k.puff_segment_kernel(np.ascontiguousarray(px, dtype=float), np.ascontiguousarray(py, dtype=float),
                                   self.receptor_height_m, self.release_height_m, ax, ay, bx, by, m,
                                   sya, syb, sza, szb, 10.0, peak, mean)
        return g_m3_to_ppm(peak, self.mw), g_m3_to_ppm(mean, self.mw)

    def _grid_times(self, t_end: float) -> np.ndarray:
        """Step ends after start_s up to ``t_end``: a regular grid plus wind-change times."""
        n = int(math.floor((t_end - self.start_s) / self.time_step_s + 1e-9))
        reg = self.start_s + self.time_step_s * np.arange(1, n + 1)
        shifts = self._wt[(self._wt > self.start_s) & (self._wt <= t_end)]
        return np.unique(np.concatenate([reg, shifts]))

    def _advance(self, h: _History, t_end: float) -> None:
        """Advance ``h`` over complete grid steps ending at or before ``t_end``."""
        grid = self._grid_times(t_end)
        lam = self.ach / 3600.0
        for t1 in grid[grid > h.t]:
            self._apply_step(h, h.t, float(t1), lam)
            h.t = float(t1)

    def _apply_step(self, h: _History, t0: float, t1: float, lam: float, *, commit: bool = True):
        level, mean = self._puff_step(h.rx, h.ry, t0, t1)
        first = np.where((h.first == np.inf) & (level[None, :] >= self.locs[:, None]), t1, h.first)
        c_in = mean + (h.c_in - mean) * math.exp(-lam * (t1 - t0))
        peak_in = np.maximum(c_in, h.c_in)
        first_in = np.where((h.first_in == np.inf) & (peak_in[None, :] >= self.locs[:, None]), t1, h.first_in)
        if not commit:
            return first, first_in
        h.first, h.first_in, h.c_in = first, first_in, c_in
        np.maximum(h.cmax, level, out=h.cmax)
        return first, first_in

    def _first_times(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """First times (3, n) each node reached AEGL-1/2/3 by ``t``, outdoors and indoors."""
        if self._first_static is not None:
            return self._first_static
        if self._history is None or self._history.t > t:
            self._history = _History(self.net.x.copy(), self.net.y.copy(), self.start_s)
        h = self._history
        self._advance(h, t)
        if t > h.t:  # the partial step up to t, not kept: a later call redoes the full step
            return self._apply_step(h, h.t, t, self.ach / 3600.0, commit=False)
        return h.first, h.first_in

    # ------------------------------------------------------------------ public API
    def concentration_ppm(self, px, py, t_s: float) -> np.ndarray:
        """Outdoor concentration (ppm) at points (projected metres) at simulation time ``t_s``.

        Parameters
        ----------
        px, py
            Receptor coordinates (m, the network's CRS), flattened.
        t_s
            Simulation time (s).

        Returns
        -------
        numpy.ndarray
            ppm per point at ``receptor_height_m``; zeros until the release starts.

        Raises
        ------
        InputError
            When ``t_s`` is not a finite number.
        """
        px = np.ascontiguousarray(np.ravel(px), dtype=float)
        py = np.ascontiguousarray(np.ravel(py), dtype=float)
        t = finite("t_s", t_s)
        if t <= self.start_s:
            return np.zeros(len(px))
        if self.model == "plume":
            u, _ = self._wind_at(self.start_s)
            el = t - self.start_s
            return self._plume_ppm(px, py, u * (el - self.duration_s), u * el)
        return self._puff_ppm(px, py, t)

    def state(self, time_s: float, *, fields: bool = True) -> HazardState:
        """Node concentrations, affected people and edge closures at simulation time ``time_s``
        (the release computes no rasters on the way: ``fields`` is accepted and ignored).

        Parameters
        ----------
        time_s
            Simulation time (s); past 60 min after the start it warns once that results are
            extrapolated.
        fields
            Ignored.

        Returns
        -------
        HazardState
            Concentration (ppm) per node as ``node_level``; edge factor 0 inside the AEGL-3
            zone; people who reached AEGL-1/2/3 as THREATENED/AFFECTED/LETHAL, with when.

        Raises
        ------
        InputError
            When ``time_s`` is not a finite number.
        """
        t = finite("time_s", time_s)
        net = self.net
        if t > self.start_s + MAX_MINUTES * 60 and not self._warned_late:
            self._warned_late = True
            self._warn(f"t = {t:.0f} s is more than 60 min after the release began ({self.start_s:.0f} s); "
                       "ALOHA reports no results that late, these are extrapolated")
        level = self.concentration_ppm(net.x, net.y, t)
        factor = self._edge_factor(t, level)
        if t <= self.start_s:
            return HazardState(t, factor, level, AffectedPeople.empty())
        first, first_in = self._first_times(t)
        return HazardState(t, factor, level, self._affected(first, first_in, t))

    def forecast_first(self, until_s: float | None = None) -> np.ndarray:
        """(3, n) when the model forecasts each node to reach AEGL-1/2/3 outdoors, up to
        ``until_s`` (default 60 min after the start, ALOHA's horizon; inf: not by then): what a
        responder computes, as ALOHA would, and updates as the release goes on."""
        until = self.start_s + MAX_MINUTES * 60.0 if until_s is None else float(until_s)
        if self._first_static is not None:
            first = self._first_static[0]
        else:  # a separate history, kept ahead of the run's own
            if self._forecast_history is None:
                self._forecast_history = _History(self.net.x.copy(), self.net.y.copy(), self.start_s)
            self._advance(self._forecast_history, until)
            first = self._forecast_history.first
        return np.where(first <= until, first, np.inf)

    def sheltering_nodes(self) -> np.ndarray | None:
        """Where people shelter in place (bool per node): everywhere with "shelter", nowhere
        with "evacuate" (None); with "auto", the forecast zone except where an evacuation ordered
        at detection clears the forecast AEGL-2 zone before AEGL-2 arrives (docs/references/hazards.md §3.10)."""
        if self.protective_action == "evacuate":
            return None
        if self._sheltering is None:
            n = self.net.n_nodes
            if self.protective_action == "shelter":
                self._sheltering = np.ones(n, bool)
            else:
                first = self.forecast_first()
                zone2 = np.isfinite(first[1])
                leave_s = self._time_out_of(zone2)
                evacuate = zone2 & (self.detected_s + self.evacuation_lead_s + leave_s < first[1])
                self._sheltering = np.isfinite(first[0]) & ~evacuate
        return self._sheltering

    def _time_out_of(self, zone: np.ndarray) -> np.ndarray:
        """Seconds from each node to the nearest node outside ``zone`` at the evacuees' speed
        (free-flow road time / ``evacuation_speed_factor``; inf: no road out)."""
        out = np.flatnonzero(~zone)
        if not len(out):
            return np.full(len(zone), np.inf)
        graph = self.net.to_scipy(self.net.travel_times() / self.evacuation_speed_factor)
        return dijkstra(graph.T.tocsr(), indices=out, min_only=True)

    def hazmat_only_edges(self, t_s: float) -> np.ndarray:
        """Edges (CSR indices) inside the current AEGL-3 zone: closed to all but hazmat teams."""
        t = finite("t_s", t_s)
        return np.flatnonzero(self._edge_factor(t, self.concentration_ppm(self.net.x, self.net.y, t)) == 0)

    def _edge_factor(self, t: float, node_ppm: np.ndarray) -> np.ndarray:
        net = self.net
        if t <= self.start_s:
            return np.ones(net.n_edges)
        if self._edge_mid is None:
            src, dst = net.edge_source, net.indices
            self._edge_mid = (0.5 * (net.x[src] + net.x[dst]), 0.5 * (net.y[src] + net.y[dst]))
        mid = self.concentration_ppm(*self._edge_mid, t)
        red = self.locs[2]
        closed = (node_ppm[net.edge_source] >= red) | (node_ppm[net.indices] >= red) | (mid >= red)
        return np.where(closed, 0.0, 1.0)

    def _affected(self, first: np.ndarray, first_in: np.ndarray, t: float) -> AffectedPeople:
        inside = self.sheltering_nodes()
        exposure = first if inside is None else np.where(inside[None, :], first_in, first)
        reached = exposure <= t
        sev = np.full(self.net.n_nodes, -1, np.int8)
        since = np.full(self.net.n_nodes, np.nan)
        for k, code in ((0, THREATENED), (1, AFFECTED), (2, LETHAL)):
            sev[reached[k]] = code
            since[reached[k]] = exposure[k][reached[k]]
        # people inside the outdoor AEGL-1 zone need a warning even when sheltered
        zone = (first[0] <= t) & (sev < 0)
        sev[zone], since[zone] = THREATENED, first[0][zone]
        if t >= self.detected_s:
            # detected: every node the forecast brings to AEGL-1 within the next 60 min is
            # warned, from detection on (the forecast is updated as the release goes on)
            look = MAX_MINUTES * 60.0
            warn_at = np.maximum(self.detected_s, self.forecast_first(t + look)[0] - look)
            ahead = (warn_at <= t) & (sev < 0)
            sev[ahead], since[ahead] = THREATENED, warn_at[ahead]
        nodes = np.flatnonzero(sev >= 0)
        return AffectedPeople(nodes.astype(np.int64), self.net.population[nodes].astype(float), since[nodes],
                              sev[nodes].astype(np.int8))

    # ------------------------------------------------------------------ zones and maps
    def threat_zones(self, horizon_s: float = MAX_MINUTES * 60, *, cellsize_m: float = 25.0) -> dict[str, ThreatZone]:
        """ALOHA-style zones: where outdoor ground-level ppm exceeds AEGL-3/2/1 at some time
        within ``horizon_s`` of the release start (default 60 min). The plume model is exact
        (analytic outline); puff models take the maximum over time on a raster of ``cellsize_m``.

        Parameters
        ----------
        horizon_s
            How long after the release start to look (s); beyond 60 min it warns of
            extrapolation.
        cellsize_m
            Raster cell of the puff models (coarsened if the raster would be too large).

        Returns
        -------
        dict of str to ThreatZone
            ``"red"`` (AEGL-3), ``"orange"`` (AEGL-2) and ``"yellow"`` (AEGL-1), each drawn
            over the milder ones.

        Raises
        ------
        InputError
            When ``horizon_s`` or ``cellsize_m`` is not positive.
        """
        horizon = positive("horizon_s", horizon_s)
        if horizon > MAX_MINUTES * 60:
            self._warn(f"threat zones over {horizon / 60:.0f} min: ALOHA limits results to 60 min "
                       "after the release began, these are extrapolated")
        if self.model == "plume":
            u, d = self._wind_at(self.start_s)
            return plume_threat_zones(self.rate_g_s, u, d, self.source_xy, self.mw, self.locs,
                                      release_height_m=self.release_height_m, stability=self.stability,
                                      sigmas=self.sigmas, x_max_m=min(u * horizon, MAX_DISTANCE_M))
        return self._raster_zones(horizon, positive("cellsize_m", cellsize_m))

    def _raster_zones(self, horizon: float, cell: float) -> dict[str, ThreatZone]:
        t_end = self.start_s + horizon
        grid = self._grid_times(t_end)
        xs, ys, reach = [self.source_xy[0]], [self.source_xy[1]], 0.0
        for t in grid:  # bounding box of every puff centre, plus spread
            _, _, _, _, bx, by, bs = self._puffs_at(float(t))
            if bx.size:
                xs += [bx.min(), bx.max()]
                ys += [by.min(), by.max()]
                reach = max(reach, float(bs.max()))
        pad = 4.0 * float(self._puff_sig(np.array([max(reach, 1.0)]))[0][0]) + 2 * cell
        x0, x1 = min(xs) - pad, max(xs) + pad
        y0, y1 = min(ys) - pad, max(ys) + pad
        ncol, nrow = int(math.ceil((x1 - x0) / cell)), int(math.ceil((y1 - y0) / cell))
        if ncol * nrow > 250_000:  # keep the raster affordable; coarser cells, same area
            cell *= math.sqrt(ncol * nrow / 250_000)
            ncol, nrow = int(math.ceil((x1 - x0) / cell)), int(math.ceil((y1 - y0) / cell))
        cxs, cys = x0 + (np.arange(ncol) + 0.5) * cell, y0 + (np.arange(nrow) + 0.5) * cell
        gx, gy = np.meshgrid(cxs, cys)
        h = _History(gx.ravel().copy(), gy.ravel().copy(), self.start_s)
        self._advance(h, t_end)
        cmax = h.cmax.reshape(nrow, ncol)
        dist = np.hypot(gx - self.source_xy[0], gy - self.source_xy[1])
        zones = {}
        for colour, level, loc in zip(ZONE_COLOURS, ("AEGL-3", "AEGL-2", "AEGL-1"), self.locs[::-1]):
            mask = cmax >= loc
            ext = float(dist[mask].max()) if mask.any() else 0.0
            zones[colour] = ThreatZone(colour, level, float(loc), mask_polygons(mask, Raster(cmax, x0, y0, cell)), ext,
                                       ext >= MAX_DISTANCE_M - 2 * cell)
        return _nest(zones)

    # ------------------------------------------------------------------ the hazard interface
    @property
    def level_floor(self) -> float:
        """The release is present where the concentration reaches AEGL-1."""
        return float(self.locs[0])

    @property
    def warning_issue_delay_s(self) -> float:
        """Warnings go out at detection (the plant's alarm, the park's broadcast): the forecast
        zone is THREATENED from ``detected_s``, so no further issue delay."""
        return 0.0

    @property
    def levels_ppm(self) -> tuple[float, float, float]:
        """AEGL-1, -2 and -3 for the release's exposure duration, in ppm."""
        return float(self.locs[0]), float(self.locs[1]), float(self.locs[2])

    def incident_site(self) -> IncidentSite:
        """The source calls the hazmat team once the release starts."""
        return IncidentSite(self.source_xy[0], self.source_xy[1], self.start_s, "hazmat")

    @property
    def quiet_after_s(self) -> float:
        """Once the tail has passed the model's 10 km range nothing more is computed."""
        u = max(float(np.min(self._wu)), 0.1)
        return self.start_s + self.duration_s + MAX_DISTANCE_M / u + 2.0 * self.time_step_s

    @property
    def model_notes(self) -> tuple[str, ...]:
        """The ALOHA limits this release goes beyond (also warned as ChemicalModelWarning)."""
        return tuple(self.warnings)

    def wind_at(self, time_s: float) -> tuple[float, float]:
        """``(speed_m_s, from_deg)`` of the wind at ``time_s``."""
        return self._wind_at(float(time_s))

    @property
    def field_style(self) -> FieldStyle:
        """Ground-level ppm in the AEGL bands (yellow AEGL-1 to -2, orange to -3, red above), as
        ALOHA colours its threat zones; a logarithmic scale when the substance has no such levels."""
        levels = [v for v in self.levels_ppm if math.isfinite(v) and v > 0]
        if len(levels) >= 2 and all(a < b for a, b in zip(levels, levels[1:])):
            return FieldStyle("地面浓度 (ppm)，按 AEGL 分级", "ground concentration (ppm) in AEGL bands", cmap="YlOrRd",
                              threshold=levels[0], bands=tuple(levels[1:]))
        return FieldStyle("地面浓度 (ppm)", "ground concentration (ppm)", cmap="YlOrRd", threshold=1e-3, log=True)

    def map_field(self, state: HazardState, time_s: float) -> Raster:
        """Outdoor ppm on a 12 km square round the source, 40 m cells."""
        return self.concentration_raster(time_s, cellsize_m=40.0, half_size_m=6000.0)

    def footprint(self, times_s: Sequence[float] = (), horizon_s: float = MAX_MINUTES * 60) -> Footprint:
        """The AEGL threat zones within ``horizon_s`` of the release start (as ALOHA draws them),
        tagged with the chemical; ``times_s`` is not needed (the zones span the release)."""
        props = {"chemical": self.chemical.name_en, "chemical_zh": self.chemical.name_zh,
                 "aegl_duration": self.aegl_duration, "stability": self.stability, "model": self.model}
        return Footprint("threat zones", self.net.crs, threat_zone_layers(self.threat_zones(horizon_s), properties=props),
                         source_xy=self.source_xy, source_label_zh="泄漏源", source_label_en="release")

    def write_geojson(self, path: str | Path, horizon_s: float = MAX_MINUTES * 60) -> Path:
        """Threat zones as GeoJSON in lon/lat, tagged with the chemical and its thresholds."""
        path = Path(path)
        doc = self.footprint(horizon_s=horizon_s).to_geojson()
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    def indicators(self, times_s: Sequence[float]) -> dict[str, Any]:
        """The substance, the stability class and the model's warnings."""
        return {"chemical": self.chemical.name_en, "chemical_zh": self.chemical.name_zh,
                "stability": self.stability, "model_warnings": list(self.warnings)}

    def with_wind_turn(self, at_s: float, turn_deg: float) -> "ChemicalRelease":
        """The same release with the wind turning by ``turn_deg`` at ``at_s`` (a train of puffs)."""
        sched = [(float(t), float(u), float(d)) for t, u, d in zip(self._wt, self._wu, self._wd) if t < at_s]
        u_now, d_now = sched[-1][1:] if sched else (float(self._wu[0]), float(self._wd[0]))
        sched = sched or [(float(self.start_s), u_now, d_now)]
        sched.append((float(at_s), u_now, (d_now + turn_deg) % 360.0))
        kw = {"wind": sched, "release_height_m": self.release_height_m, "stability": self.stability,
              "sigmas": self.sigmas, "start_s": self.start_s, "protective_action": self.protective_action,
              "receptor_height_m": self.receptor_height_m, "aegl_duration": self.aegl_duration,
              "air_changes_per_hour": self.ach, "time_step_s": self.time_step_s,
              "puff_spacing_m": self.puff_spacing_m, "max_puffs": self.max_puffs, "name": self.name}
        if self.duration_s > 0:
            kw.update(rate_g_s=self.rate_g_s, duration_s=self.duration_s)
        else:
            kw.update(mass_kg=self.mass_g / 1000.0)
        return ChemicalRelease(self.net, self.source_xy, self.chemical, **kw)

    def concentration_raster(self, t_s: float, *, cellsize_m: float = 50.0, half_size_m: float = 3000.0) -> Raster:
        """Outdoor ppm on a square raster centred on the source (for maps)."""
        cell = positive("cellsize_m", cellsize_m)
        half = positive("half_size_m", half_size_m)
        n = int(math.ceil(2 * half / cell))
        x0, y0 = self.source_xy[0] - n * cell / 2, self.source_xy[1] - n * cell / 2
        c = x0 + (np.arange(n) + 0.5) * cell
        r = y0 + (np.arange(n) + 0.5) * cell
        gx, gy = np.meshgrid(c, r)
        vals = self.concentration_ppm(gx.ravel(), gy.ravel(), t_s).reshape(n, n)
        return Raster(vals, x0, y0, cell, self.net.crs)

    def _check_reach(self) -> None:
        """Warn when the AEGL-1 zone of the steady plume would pass the 10-km limit."""
        if self.model != "plume":
            return
        u, _ = self._wind_at(self.start_s)
        c = gaussian_plume(self.rate_g_s, u, MAX_DISTANCE_M, 0.0, 0.0, self.release_height_m,
                           self.stability, self.sigmas)
        if g_m3_to_ppm(c, self.mw) >= self.locs[0]:
            self._warn("the AEGL-1 zone reaches beyond 10 km; ALOHA does not model that far, "
                       "concentrations beyond 10 km are not computed")

    def __repr__(self) -> str:
        return (f"ChemicalRelease({self.chemical.key}, model={self.model}, stability={self.stability}, "
                f"mass={self.mass_g / 1000:.1f} kg, start_s={self.start_s})")


__all__ = [
    "AEGL_DURATIONS", "Chemical", "ChemicalModelWarning", "ChemicalRelease", "PLUME_SIGMAS", "PUFF_SIGMAS",
    "STABILITY_CLASSES", "ThreatZone", "g_m3_to_ppm", "gaussian_plume", "gaussian_plume_fast", "gaussian_puff",
    "get_chemical", "load_chemicals", "mg_m3_to_ppm", "pasquill_gifford_class", "plume_threat_zones",
    "ppm_to_mg_m3", "puff_sum", "sigma_params", "sigma_y", "sigma_z", "threat_zones_geojson",
    "write_threat_zones_geojson", "threat_zone_layers", "ZONE_FILL",
]
