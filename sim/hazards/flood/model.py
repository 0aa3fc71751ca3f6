"""Chang River flood: a fast inundation model for ensembles.

River stage at a gauge (design hydrograph by return period, or observed stages from CSV) →
a water surface sloping along the river → inundation of the DEM cells hydraulically connected
to the channel (not a bare bathtub), with dikes that hold until overtopped or breached → depth
at road nodes and edges → edge speed by the Pregnolato et al. (2017) depth–disruption function
→ people affected, threatened (warning lead) and in a lethal depth.

Conventions (documented once, used everywhere):

* **Surface.** The river is a projected polyline; chainage ``s`` grows downstream. With the
  gauge at ``s_g`` the surface is ``stage(t) + slope × (s_g − s)``. Every DEM cell takes the
  surface of its nearest river cell (Euclidean distance transform on the grid), so the surface
  offset ``off`` of a cell does not depend on time.
* **Stage-equivalent ground** ``e = ground − off`` (dike cells: ``max(ground, crest) − off``)
  is the gauge stage at which the local surface reaches the ground. A cell is wet at stage
  ``H`` when it is 4-connected to the channel through cells with ``e < H``; its depth is
  ``H − e``. Water crosses cell edges, not corners (4-connectivity); dikes are rasterised as
  8-connected lines of cells, which 4-connected water cannot slip through diagonally.
* **The fast model's trick.** ``F = fill level`` is computed once per dike state by a
  priority-flood from the channel: the lowest stage at which each cell becomes connected (the
  minimax of ``e`` over paths). Wet at ``H`` ⇔ ``F < H`` exactly, so each time step is a
  vectorised comparison. A scheduled breach lowers its cells to the ground and starts a new
  *epoch* with its own ``F``.
* **Ponding.** When the river falls, connected water recedes with it, but water in a basin
  behind a sill (or behind an overtopped dike) can only drain down to its spill level ``F``;
  it stays there (no infiltration, pumping or evaporation). Ponded water keeps the river's
  surface slope, a small error over a pond's extent. ``ponding=False`` gives the instantaneous
  model.
* **Depth on the network.** A node takes the depth of its cell; an edge the deepest of points
  sampled every ``edge_step_m`` along its straight line. Points outside the DEM are dry.
* **Speed.** Dry edges keep their free-flow speed; wet edges are capped by the
  depth–disruption speed: ``factor = min(1, v(w) / v_free)``; ``v = 0`` (closed) at ≥ 300 mm.

This is the quick-look engine: water levels follow the river instantly, with no travel time
over the floodplain and a breach open to its full width at once. The built-in scenarios run on
the 2-D engine (:mod:`.two_d`), which this one is checked against. Design floods come from
:mod:`.frequency` (docs/references/hazards.md §1.1).
"""
from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from scipy import ndimage

from network.checks import finite, read_text_file
from network.elevation import edge_sample_points
from network.errors import InputError
from network.hazard import (
    AFFECTED,
    LETHAL,
    THREATENED,
    AffectedPeople,
    FieldStyle,
    Footprint,
    Hazard,
    HazardState,
    Zone,
)
from network.model import RoadNetwork
from network.raster import Raster, mask_polygons, read_asc

from .breach import U_CRIT
from .kernels import fill_level_kernel, flood_fill_kernel, flood_level_kernel

__all__ = [
    "CLOSED_DEPTH_MM",
    "FOOTPRINT_BANDS_M",
    "Breach",
    "DesignHydrograph",
    "Dike",
    "Hydrograph",
    "ObservedHydrograph",
    "RiverFlood",
    "depth_disruption_speed",
    "depth_zones",
    "edge_speed_factor",
    "fill_level_map",
    "fill_to_volume",
    "flood_fill",
    "flood_fill_reference",
    "footprint_geojson",
    "max_rise_rate",
    "read_stage_csv",
    "write_stage_csv",
]

# ---------------------------------------------------------------------------------------------
# Depth–disruption (Pregnolato et al. 2017, Transp. Res. D 55:67–81; docs/references/hazards.md §1.6)

#: Depth at which a road is closed (mm).
CLOSED_DEPTH_MM = 300.0


def depth_disruption_speed(depth_mm):
    """Vehicle speed (km/h) on a road under ``depth_mm`` of water; 0 (closed) at ≥ 300 mm.

    ``v(w) = 0.0009 w² − 0.5529 w + 86.9448`` for ``0 ≤ w < 300``. Vectorised; a scalar in gives
    a float out. Negative or NaN depths raise :class:`InputError`.
    """
    w = np.asarray(depth_mm, dtype=np.float64)
    if np.any(~(w >= 0)):
        raise InputError("depth_mm: depths must be non-negative numbers (mm)")
    v = np.where(w < CLOSED_DEPTH_MM, 0.0009 * w * w - 0.5529 * w + 86.9448, 0.0)
    return float(v) if v.ndim == 0 else v


def edge_speed_factor(depth_m: np.ndarray, free_speed_kmh: np.ndarray) -> np.ndarray:
    """Per-edge speed factor in [0, 1]: 1 when dry, else ``min(1, v(depth) / v_free)``.

    The depth–disruption speed is a cap on the link's own speed (a 30 km/h street under 10 cm of
    water stays at 30 km/h; a 100 km/h road drops to 40.65 km/h).
    """
    d = np.asarray(depth_m, dtype=np.float64)
    v = depth_disruption_speed(np.maximum(d, 0.0) * 1000.0)
    factor = np.minimum(1.0, v / np.asarray(free_speed_kmh, dtype=np.float64))
    return np.where(d > 0.0, factor, 1.0)


# ---------------------------------------------------------------------------------------------
# Hydrographs

@runtime_checkable
class Hydrograph(Protocol):
    """River stage (m) at the gauge over simulation time (s)."""

    start_s: float
    end_s: float

    def stage(self, t_s):
        """Stage (m) at time(s) ``t_s``: a float for a scalar, an array for an array."""
        ...

    def knots(self) -> np.ndarray:
        """Times between which the stage is monotone (peaks and breakpoints)."""
        ...


@dataclass(frozen=True)
class DesignHydrograph:
    """A gamma-shaped stage hydrograph given by its base and peak stages (a what-if or a test
    flood; floods of a return period come from :func:`.frequency.design_flood`).

    Rising limb ``g(u) = u^a · exp(a (1 − u))``, ``u = (t − start) / time_to_peak``, rises
    smoothly from the base stage to the peak at ``start + time_to_peak``; the recession is the
    same shape mirrored and stretched to ``recession_s``, so the stage is back at base at
    ``start + time_to_peak + recession_s``. ``shape`` (a) sets how peaked the flood is.
    """

    base_stage_m: float
    peak_stage_m: float
    time_to_peak_s: float
    recession_s: float
    start_s: float = 0.0
    shape: float = 3.0

    def __post_init__(self) -> None:
        for name in ("base_stage_m", "peak_stage_m", "time_to_peak_s", "recession_s", "start_s", "shape"):
            object.__setattr__(self, name, finite(name, getattr(self, name)))
        if self.base_stage_m < 0:
            raise InputError(f"base_stage_m: stages cannot be negative, found {self.base_stage_m}")
        if self.peak_stage_m < self.base_stage_m:
            raise InputError(f"peak_stage_m: {self.peak_stage_m} is below base_stage_m {self.base_stage_m}")
        for name in ("time_to_peak_s", "recession_s", "shape"):
            if getattr(self, name) <= 0:
                raise InputError(f"{name}: must be positive, found {getattr(self, name)}")

    @property
    def peak_time_s(self) -> float:
        """When the stage peaks (s)."""
        return self.start_s + self.time_to_peak_s

    @property
    def end_s(self) -> float:
        """When the stage is back at base (s)."""
        return self.peak_time_s + self.recession_s

    def stage(self, t_s):
        """Stage (m) at time(s) ``t_s``; the base stage before the start and after the end."""
        t = np.asarray(t_s, dtype=np.float64)
        a = self.shape
        u = np.clip((t - self.start_s) / self.time_to_peak_s, 0.0, 1.0)
        w = np.clip((t - self.peak_time_s) / self.recession_s, 0.0, 1.0)
        g = np.where(t <= self.peak_time_s, u**a * np.exp(a * (1.0 - u)), (1.0 - w) ** a * np.exp(a * w))
        h = self.base_stage_m + (self.peak_stage_m - self.base_stage_m) * g
        return float(h) if h.ndim == 0 else h

    def knots(self) -> np.ndarray:
        """Start, peak and end: the stage is monotone between them."""
        return np.array([self.start_s, self.peak_time_s, self.end_s])


@dataclass(frozen=True)
class ObservedHydrograph:
    """Observed (or externally modelled) stages, linear between points, constant beyond the ends."""

    times_s: np.ndarray
    stages_m: np.ndarray
    source: str = "stages"

    def __post_init__(self) -> None:
        t = np.asarray(self.times_s, dtype=np.float64)
        h = np.asarray(self.stages_m, dtype=np.float64)
        if t.ndim != 1 or t.shape != h.shape or len(t) < 2:
            raise InputError(f"{self.source}: need at least two (time, stage) pairs of equal length")
        if not np.all(np.isfinite(t)):
            raise InputError(f"{self.source}: time: values must be finite")
        bad = np.flatnonzero(np.diff(t) <= 0)
        if len(bad):
            raise InputError(f"{self.source}: time: not increasing at point {int(bad[0]) + 1} ({t[bad[0] + 1]} s)")
        bad = np.flatnonzero(~(h >= 0))
        if len(bad):
            raise InputError(f"{self.source}: stage_m: negative or missing stage at point {int(bad[0])} ({h[bad[0]]})")
        t.flags.writeable = False
        h.flags.writeable = False
        object.__setattr__(self, "times_s", t)
        object.__setattr__(self, "stages_m", h)

    @property
    def start_s(self) -> float:
        """The first observation's time (s)."""
        return float(self.times_s[0])

    @property
    def end_s(self) -> float:
        """The last observation's time (s)."""
        return float(self.times_s[-1])

    def stage(self, t_s):
        """Stage (m) at time(s) ``t_s``, linear between observations, held beyond the ends."""
        h = np.interp(np.asarray(t_s, dtype=np.float64), self.times_s, self.stages_m)
        return float(h) if np.ndim(h) == 0 else h

    def knots(self) -> np.ndarray:
        """The observation times: the stage is linear, so monotone, between them."""
        return self.times_s


def read_stage_csv(path: str | Path) -> ObservedHydrograph:
    """Read ``time_h,stage_m`` rows (hours since the simulation origin, stage in m).

    Blank lines and lines starting with ``#`` are skipped. Errors name the file, the line and the
    field: missing header, non-numbers, times that do not increase, negative stages.

    Parameters
    ----------
    path
        The CSV file (UTF-8), header ``time_h,stage_m``.

    Returns
    -------
    ObservedHydrograph
        Times in seconds; its ``source`` is the path.

    Raises
    ------
    InputError
        When the file is missing or empty, the header is wrong, a row has other than two
        fields, a value is not a finite number, times do not increase, a stage is negative,
        or there are fewer than two rows.
    """
    path = Path(path)
    content = read_text_file(path, "a stage table (CSV time_h,stage_m)")
    times: list[float] = []
    stages: list[float] = []
    header_seen = False
    for lineno, row in enumerate(csv.reader(io.StringIO(content, newline="")), start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in row]
        if not header_seen:
            if [c.lower() for c in cells] != ["time_h", "stage_m"]:
                raise InputError(
                    f"{path}: line {lineno}: header must be 'time_h,stage_m', found {','.join(cells)!r}"
                )
            header_seen = True
            continue
        if len(cells) != 2:
            raise InputError(f"{path}: line {lineno}: expected 2 fields (time_h, stage_m), found {len(cells)}")
        values = []
        for name, text in zip(("time_h", "stage_m"), cells):
            try:
                v = float(text)
            except ValueError:
                raise InputError(f"{path}: line {lineno}: field '{name}' is not a number: {text!r}") from None
            if not math.isfinite(v):
                raise InputError(f"{path}: line {lineno}: field '{name}' is not finite: {text!r}")
            values.append(v)
        t_h, h = values
        if times and t_h * 3600.0 <= times[-1]:
            raise InputError(
                f"{path}: line {lineno}: field 'time_h' = {t_h:g} does not increase "
                f"(previous {times[-1] / 3600.0:g}); times must be strictly increasing"
            )
        if h < 0:
            raise InputError(f"{path}: line {lineno}: field 'stage_m' is negative: {h:g}")
        times.append(t_h * 3600.0)
        stages.append(h)
    if not header_seen:
        raise InputError(f"{path}: empty file: expected a 'time_h,stage_m' header and rows")
    if len(times) < 2:
        raise InputError(f"{path}: need at least two rows of stages, found {len(times)}")
    return ObservedHydrograph(np.array(times), np.array(stages), source=str(path))


def write_stage_csv(hydrograph: Hydrograph, path: str | Path, times_s: Sequence[float] | None = None) -> Path:
    """Write stages as ``time_h,stage_m`` (observed hydrographs: at their own times; else hourly)."""
    path = Path(path)
    if times_s is None:
        if isinstance(hydrograph, ObservedHydrograph):
            times_s = hydrograph.times_s
        else:
            times_s = np.arange(hydrograph.start_s, hydrograph.end_s + 3600.0, 3600.0)
    t = np.asarray(times_s, dtype=np.float64)
    h = np.atleast_1d(hydrograph.stage(t))
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("time_h,stage_m\n")
        for ti, hi in zip(t, h):
            fh.write(f"{float(ti) / 3600.0!r},{float(hi)!r}\n")
    return path


# ---------------------------------------------------------------------------------------------
# Dikes, breaches and polylines


@dataclass(frozen=True)
class Dike:
    """A raised barrier along a polyline (projected x/y, m) with a crest elevation (m).

    ``crest_m`` is one value or one per vertex (linear between vertices along the dike).
    """

    xy: Any
    crest_m: Any
    name: str = ""


@dataclass(frozen=True)
class Breach:
    """A dike breach at ``time_s``: the dike cells within ``width_m / 2`` of (x, y) drop to the ground.

    The fill engine opens the full width at once; the 2-D engine (:mod:`.two_d`) grows the breach
    to ``width_m`` with the Verheij–van der Knaap relation for the dike's ``material``
    (``"sand"`` or ``"clay"``).
    """

    time_s: float
    x: float
    y: float
    width_m: float = 50.0
    material: str = "sand"


def _polyline(xy: Any, name: str) -> np.ndarray:
    try:
        p = np.asarray(xy, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected a sequence of (x, y) points") from None
    if p.ndim != 2 or p.shape[1] != 2 or len(p) < 2:
        raise InputError(f"{name}: expected at least two (x, y) points, found shape {p.shape}")
    if not np.all(np.isfinite(p)):
        raise InputError(f"{name}: coordinates must be finite")
    keep = np.r_[True, np.any(np.diff(p, axis=0) != 0, axis=1)]
    p = p[keep]
    if len(p) < 2:
        raise InputError(f"{name}: all points coincide")
    return p


def _densify(p: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points every ≤ ``step`` along a polyline: (x, y, chainage); vertices included."""
    seg = np.hypot(*np.diff(p, axis=0).T)
    chain = np.r_[0.0, np.cumsum(seg)]
    k = np.maximum(1, np.ceil(seg / step).astype(np.int64))
    seg_of = np.repeat(np.arange(len(seg)), k)
    frac = (np.arange(len(seg_of)) - np.r_[0, np.cumsum(k)[:-1]][seg_of]) / k[seg_of]
    x = np.r_[p[seg_of, 0] + frac * (p[seg_of + 1, 0] - p[seg_of, 0]), p[-1, 0]]
    y = np.r_[p[seg_of, 1] + frac * (p[seg_of + 1, 1] - p[seg_of, 1]), p[-1, 1]]
    s = np.r_[chain[seg_of] + frac * seg[seg_of], chain[-1]]
    return x, y, s


def _as_dike(d: Any, i: int) -> Dike:
    if isinstance(d, Dike):
        return d
    if isinstance(d, dict):
        try:
            return Dike(**d)
        except TypeError as exc:
            raise InputError(f"dikes[{i}]: {exc}") from None
    raise InputError(f"dikes[{i}]: expected a Dike or a mapping with 'xy' and 'crest_m'")


def _as_breach(b: Any, i: int) -> Breach:
    if isinstance(b, Breach):
        out = b
    elif isinstance(b, dict):
        try:
            out = Breach(**b)
        except TypeError as exc:
            raise InputError(f"breaches[{i}]: {exc}") from None
    else:
        raise InputError(f"breaches[{i}]: expected a Breach or a mapping with time_s, x, y, width_m")
    for f in ("time_s", "x", "y", "width_m"):
        finite(f"breaches[{i}].{f}", getattr(out, f))
    if out.width_m <= 0:
        raise InputError(f"breaches[{i}].width_m: must be positive, found {out.width_m}")
    if out.material not in U_CRIT:
        raise InputError(f"breaches[{i}].material: {out.material!r} is not one of {', '.join(U_CRIT)}")
    return out


# ---------------------------------------------------------------------------------------------
# Connected fill on a grid (public helpers; also the test and benchmark references)


def _flat_seeds(source: np.ndarray, shape: tuple[int, int], name: str = "source") -> np.ndarray:
    s = np.asarray(source)
    if s.shape != shape:
        raise InputError(f"{name}: mask has shape {s.shape}, expected the DEM's {shape}")
    return np.ascontiguousarray(s, dtype=np.bool_).ravel()


def fill_level_map(e: np.ndarray, source: np.ndarray) -> np.ndarray:
    """Lowest level at which each cell is 4-connected to ``source`` below that level (+inf: never)."""
    e = np.ascontiguousarray(e, dtype=np.float64)
    nrows, ncols = e.shape
    return fill_level_kernel(e.ravel(), _flat_seeds(source, e.shape), nrows, ncols).reshape(e.shape)


def flood_fill(e: np.ndarray, source: np.ndarray, level: float) -> np.ndarray:
    """Cells 4-connected to ``source`` through cells with ``e < level`` (numba stack fill)."""
    e = np.ascontiguousarray(e, dtype=np.float64)
    nrows, ncols = e.shape
    return flood_fill_kernel(e.ravel(), _flat_seeds(source, e.shape), float(level), nrows, ncols).reshape(e.shape)


_FOUR = ndimage.generate_binary_structure(2, 1)


def flood_fill_reference(e: np.ndarray, source: np.ndarray, level: float) -> np.ndarray:
    """The same connected fill in plain numpy/scipy: label the below-level mask, keep source labels."""
    below = np.asarray(e) < level
    labels, n = ndimage.label(below, structure=_FOUR)
    keep = np.zeros(n + 1, bool)
    keep[labels[np.asarray(source, bool) & below]] = True
    keep[0] = False
    return keep[labels]


def fill_to_volume(dem: Raster, volume_m3: float, source: np.ndarray | None = None) -> tuple[float, Raster]:
    """Pour ``volume_m3`` in at ``source`` (default: the lowest cell): (level, depth raster).

    Exact, no bisection: sorted by fill level, the stored volume is piecewise linear in the
    level with jumps where a depression behind a sill opens. When the volume ends inside such a
    jump the level stays at the sill and the depressions opening there share the remainder at
    one lower level. Stored volume equals ``volume_m3`` to rounding.
    """
    v_in = finite("volume_m3", volume_m3)
    if v_in < 0:
        raise InputError(f"volume_m3: must be non-negative, found {v_in}")
    z = np.asarray(dem.values, dtype=np.float64)
    if source is None:
        if not np.isfinite(z).any():
            raise InputError("dem: no cell has data")
        source = np.zeros(z.shape, bool)
        source.flat[int(np.nanargmin(z))] = True
    fill = fill_level_map(z, source)
    area = dem.cellsize**2
    depth = np.where(np.isfinite(z), 0.0, np.nan)
    cells = np.flatnonzero(np.isfinite(fill))
    if len(cells) == 0:
        raise InputError("source: no source cell has ground data")
    order = cells[np.argsort(fill.flat[cells], kind="stable")]
    fs, zs = fill.flat[order], z.flat[order]
    target = v_in / area
    if target == 0:
        return float(fs[0]), dem.like(depth)
    starts = np.flatnonzero(np.r_[True, fs[1:] != fs[:-1]])  # groups of equal fill level
    u = fs[starts]
    csum = np.r_[0.0, np.cumsum(zs)]
    k = starts.astype(np.float64)  # cells wet just below each group's level
    before = k * u - csum[starts]
    ends = np.r_[starts[1:], len(fs)]
    after = before + (ends - starts) * u - (csum[ends] - csum[starts])
    g = int(np.searchsorted(after, target, side="left"))
    if g == len(u):
        level = (target + csum[-1]) / len(fs)
        depth.flat[order] = level - zs
    elif target <= before[g]:
        level = (target + csum[starts[g]]) / starts[g]
        depth.flat[order[: starts[g]]] = level - zs[: starts[g]]
    else:  # inside the jump at sill u[g]: earlier cells at the sill, the opening cells share the rest
        level = float(u[g])
        depth.flat[order[: starts[g]]] = level - zs[: starts[g]]
        grp = order[starts[g]: ends[g]]
        zg = np.sort(z.flat[grp])
        cg = np.r_[0.0, np.cumsum(zg)]
        vz = np.arange(len(zg)) * zg - cg[:-1]  # volume (per area) when the pond level is zg[m]
        m = int(np.searchsorted(vz, target - before[g], side="right"))
        pond = (target - before[g] + cg[m]) / m
        depth.flat[grp] = np.maximum(0.0, pond - z.flat[grp])
    return float(level), dem.like(depth)


# ---------------------------------------------------------------------------------------------
# The hazard


def _same_grid(a: Raster, b: Raster) -> bool:
    """Equal shape, and origins and cell sizes within a millionth of a cell (absolute, not relative:
    projected coordinates are large numbers)."""
    tol = 1e-6 * float(a.cellsize)
    return (
        a.shape == b.shape
        and abs(a.x0 - b.x0) <= tol and abs(a.y0 - b.y0) <= tol and abs(a.cellsize - b.cellsize) <= tol
    )


class _Terrain:
    """Everything that does not depend on the hydrograph or on breach times."""

    def __init__(self, net, dem, river_xy, gauge_chainage_m, slope_m_per_km, dikes, channel, edge_step_m):
        dem, channel, z = self._read_grids(net, dem, channel)
        self.dem = dem
        self.shape = z.shape
        self.z = np.ascontiguousarray(z).ravel()
        on_river = self._surface_offset(river_xy, gauge_chainage_m, slope_m_per_km)
        self.seeds = self._channel_seeds(on_river, channel)
        self._rasterise_dikes(dikes)
        self._cache: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}
        self._pt_cache: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}
        self._sample_network(net, edge_step_m)
        self.pt_raise = self._bridge_decks()

    def _bridge_decks(self) -> np.ndarray:
        """How far each node and edge point stands above its cell's ground: a road point in the
        river's channel is on a bridge, whose deck is taken at the bank's ground: the highest ground
        around the nearest cell outside the channel (so a bank cell the DEM's resampling has half
        cut into does not set it; docs/references/hazards.md §1.3); 0 everywhere else. A road in
        the channel is wet only when the water stands above that deck — not from the base flow."""
        z2 = self.z.reshape(self.shape)
        channel = self.seeds.reshape(self.shape) | ~np.isfinite(z2)
        out = np.zeros(len(self.pt_cell))
        if channel.all() or not channel.any():
            return out
        rows, cols = ndimage.distance_transform_edt(channel, return_distances=False, return_indices=True)
        around = ndimage.maximum_filter(np.where(channel, -np.inf, z2), size=3)
        bank = around[rows, cols].ravel()
        on = (self.pt_cell >= 0) & self.seeds[np.maximum(self.pt_cell, 0)]
        cell = self.pt_cell[on]
        out[on] = np.maximum(bank[cell] - self.z[cell], 0.0)
        return out

    @staticmethod
    def _read_grids(net, dem, channel) -> tuple[Raster, Any, np.ndarray]:
        """The DEM (and channel mask) read from paths if need be; the DEM checked; its values."""
        if isinstance(dem, (str, Path)):
            dem = read_asc(dem, crs=net.crs)
        if isinstance(channel, (str, Path)):
            channel = read_asc(channel, crs=net.crs)
        if not isinstance(dem, Raster):
            raise InputError(f"dem: expected a network.raster.Raster, found {type(dem).__name__}")
        z = np.asarray(dem.values, dtype=np.float64)
        if z.ndim != 2 or min(z.shape) < 2:
            raise InputError(f"dem: expected a 2-D grid of at least 2 × 2 cells, found shape {z.shape}")
        if not np.isfinite(z).any():
            raise InputError("dem: no cell has data")
        if dem.crs and net.crs and dem.crs != net.crs:
            raise InputError(f"dem: raster CRS {dem.crs} differs from the network's {net.crs}")
        return dem, channel, z

    def _surface_offset(self, river_xy, gauge_chainage_m, slope_m_per_km) -> np.ndarray:
        """Sets the river's length and every cell's surface ``offset`` (from the chainage of its
        nearest river cell); returns the river cells as a grid mask."""
        dem = self.dem
        nrows, ncols = self.shape
        river = _polyline(river_xy, "river_xy")
        rx, ry, rs = _densify(river, float(dem.cellsize) / 4.0)
        self.river_length_m = float(rs[-1])
        gauge = finite("gauge_chainage_m", gauge_chainage_m)
        if not 0.0 <= gauge <= self.river_length_m:
            raise InputError(
                f"gauge_chainage_m: {gauge:g} m is not on the river (chainage 0–{self.river_length_m:.0f} m)"
            )
        slope = finite("surface_slope_m_per_km", slope_m_per_km)
        if slope < 0:
            raise InputError(
                f"surface_slope_m_per_km: must be ≥ 0 (water flows toward increasing chainage), found {slope}"
            )
        row, col = dem.cell_of(rx, ry)
        inside = row >= 0
        if not inside.any():
            xmin, xmax, ymin, ymax = dem.extent
            raise InputError(
                f"river_xy: the river lies outside the DEM (extent x {xmin:.0f}..{xmax:.0f}, y {ymin:.0f}..{ymax:.0f})"
            )
        rcell = row[inside] * ncols + col[inside]
        count = np.bincount(rcell, minlength=nrows * ncols)
        mean_s = np.bincount(rcell, weights=rs[inside], minlength=nrows * ncols) / np.maximum(count, 1)
        on_river = (count > 0).reshape(self.shape)
        idx = ndimage.distance_transform_edt(~on_river, return_distances=False, return_indices=True)
        nearest = (idx[0] * ncols + idx[1]).ravel()
        self.offset = (slope / 1000.0) * (gauge - mean_s[nearest])
        return on_river

    def _channel_seeds(self, on_river: np.ndarray, channel) -> np.ndarray:
        """The cells water starts from: the river's, plus the ``channel`` mask's, where there is ground data."""
        dem = self.dem
        seeds = on_river.ravel().copy()
        if channel is not None:
            if not isinstance(channel, Raster) or not _same_grid(dem, channel):
                raise InputError(
                    "channel: raster does not match the DEM (shape, origin and cell size must be equal; "
                    f"DEM {self.shape} at ({dem.x0:g}, {dem.y0:g}) cell {float(dem.cellsize):g} m)"
                )
            cv = np.asarray(channel.values)
            seeds |= (np.isfinite(cv) & (cv != 0)).ravel()
        seeds &= np.isfinite(self.z)
        if not seeds.any():
            raise InputError("river_xy: every river cell of the DEM has no ground data")
        return seeds

    def _rasterise_dikes(self, dikes) -> None:
        """Crest per cell (max where several points fall in a cell) and which dike owns it."""
        dem = self.dem
        cs = float(dem.cellsize)
        nrows, ncols = self.shape
        self.dikes = [_as_dike(d, i) for i, d in enumerate(dikes)]
        self.crest = np.full(nrows * ncols, -np.inf)
        self.dike_id = np.full(nrows * ncols, -1, np.int32)
        for i, d in enumerate(self.dikes):
            p = _polyline(d.xy, f"dikes[{i}].xy")
            crest = np.atleast_1d(np.asarray(d.crest_m, dtype=np.float64))
            if crest.size not in (1, len(p)) or not np.all(np.isfinite(crest)):
                raise InputError(f"dikes[{i}].crest_m: expected one finite value or one per vertex ({len(p)})")
            dx, dy, ds = _densify(p, cs / 4.0)
            vchain = np.r_[0.0, np.cumsum(np.hypot(*np.diff(p, axis=0).T))]
            c = np.full(len(ds), crest[0]) if crest.size == 1 else np.interp(ds, vchain, crest)
            r, cc = dem.cell_of(dx, dy)
            ok = r >= 0
            if not ok.any():
                raise InputError(f"dikes[{i}]: the dike lies outside the DEM")
            cell = r[ok] * ncols + cc[ok]
            np.maximum.at(self.crest, cell, c[ok])
            self.dike_id[cell] = i
        # a dike never blocks the channel itself
        self.crest[self.seeds] = -np.inf
        self.dike_id[self.seeds] = -1

    def _sample_network(self, net, edge_step_m) -> None:
        """The cell of every node, then of the edge sample points (contiguous per edge)."""
        cs = float(self.dem.cellsize)
        step = cs if edge_step_m is None else finite("edge_step_m", edge_step_m)
        if step <= 0:
            raise InputError(f"edge_step_m: must be positive, found {step}")
        px, py, edge_of = edge_sample_points(net, step)
        r, c = self.dem.cell_of(np.r_[net.x, px], np.r_[net.y, py])
        self.pt_cell = np.where(r >= 0, r * self.shape[1] + c, -1)
        self.n_nodes = net.n_nodes
        self.edge_starts = np.flatnonzero(np.r_[True, edge_of[1:] != edge_of[:-1]])

    def breach_cells(self, b: Breach, i: int) -> np.ndarray:
        dike_cells = np.flatnonzero(self.dike_id >= 0)
        if len(dike_cells) == 0:
            raise InputError(f"breaches[{i}]: there is no dike to breach")
        ncols = self.shape[1]
        cs = self.dem.cellsize
        cx = self.dem.x0 + (dike_cells % ncols + 0.5) * cs
        cy = self.dem.y0 + (dike_cells // ncols + 0.5) * cs
        dist = np.hypot(cx - b.x, cy - b.y)
        k = int(np.argmin(dist))
        if dist[k] > b.width_m / 2 + cs:
            raise InputError(
                f"breaches[{i}]: ({b.x:g}, {b.y:g}) is not on a dike (nearest dike cell {dist[k]:.0f} m away)"
            )
        same = self.dike_id[dike_cells] == self.dike_id[dike_cells[k]]
        pick = same & (dist <= b.width_m / 2)
        pick[k] = True
        return dike_cells[pick]

    def _key(self, opened: np.ndarray) -> bytes:
        return np.unique(opened).astype(np.int64).tobytes()

    def grid(self, opened: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(e, F) over all cells with the cells ``opened`` by breaches at ground level."""
        key = self._key(opened)
        if key not in self._cache:
            crest = self.crest.copy()
            crest[opened] = -np.inf
            e = np.where(crest > self.z, crest, self.z) - self.offset
            nrows, ncols = self.shape
            self._cache[key] = (e, fill_level_kernel(e, self.seeds, nrows, ncols))
        return self._cache[key]

    def points(self, opened: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(e, F) at nodes then edge points; outside the DEM or on no data: e = F = +inf (dry)."""
        key = self._key(opened)
        if key not in self._pt_cache:
            e, fill = self.grid(opened)
            inside = self.pt_cell >= 0
            ep = np.full(len(self.pt_cell), np.inf)
            fp = np.full(len(self.pt_cell), np.inf)
            ep[inside] = e[self.pt_cell[inside]] + self.pt_raise[inside]   # a bridge deck stands above its cell
            fp[inside] = fill[self.pt_cell[inside]]
            ep[~np.isfinite(ep)] = np.inf
            self._pt_cache[key] = (ep, fp)
        return self._pt_cache[key]


class RiverFlood(Hazard):
    """The Chang River flood on a DEM and a road network (see the module notes for the model).

    ``dem`` (and the optional ``channel`` mask of extra channel cells, nonzero = channel) are
    rasters or ESRI ASCII grid paths, in the network's CRS; ``hydrograph`` may be a stage CSV
    path (:func:`read_stage_csv`). ``state(t)`` gives node depths (m), edge speed factors and
    affected people; ``fields`` holds the ``'depth'`` raster. The terrain work (surface offsets,
    fill-level maps per dike state, network sampling) is done once; :meth:`with_hydrograph`
    reuses it for other floods of an ensemble.

    Parameters
    ----------
    net
        The road network; node and edge depths are sampled on it.
    dem
        Ground elevation (m): a Raster or an ESRI ASCII grid path, in the network's CRS.
    river_xy
        The river's centre line, ``(x, y)`` points in flow order (chainage grows downstream).
    hydrograph
        Stage at the gauge over time: a :class:`DesignHydrograph`, an
        :class:`ObservedHydrograph`, or a stage CSV path.
    gauge_chainage_m
        Where the gauge is along the river (m from its first point).
    surface_slope_m_per_km
        Fall of the water surface downstream (≥ 0).
    dikes
        :class:`Dike` or mappings of its fields.
    breaches
        :class:`Breach` or mappings of its fields; each must lie on a dike and start no
        earlier than the hydrograph.
    affected_depth_m, lethal_depth_m
        Node depths from which people are AFFECTED and in a LETHAL zone (lethal > affected > 0).
    warning_lead_s
        People are THREATENED this long before their node is affected.
    channel
        Extra channel cells (nonzero), a Raster or path on the DEM's grid.
    ponding
        Keep water in basins behind sills when the river falls (False: the instantaneous model).
    edge_step_m
        Spacing of the depth samples along edges (default: the cell size).
    time_step_s
        Grid of times on which first-flood times are bracketed before bisection.
    warning_stage_m
        The gauge's warning stage, reported by :meth:`indicators` (optional).
    design_floods
        ``design(return_period_years, regime)`` giving the gauge's design flood of a return
        period, for the annual risk (default: the Dufengkeng chain of :mod:`.frequency`).

    Raises
    ------
    InputError
        On a DEM, channel or hydrograph that cannot be read or does not fit (grid, CRS, no
        data), a river or dike off the DEM, a gauge off the river, a negative slope, a breach
        off a dike or before the flood, or depths, lead time or steps out of range.
    """

    kind = "flood"
    label_zh, label_en = "洪水", "flood"
    water_on_roads = True
    name = "river flood"
    #: which flood engine: the connected fill here, the 2-D solver in :mod:`.two_d`
    engine = "fill"
    #: attributes a flood of :meth:`with_hydrograph` shares with this one (the terrain work)
    _shared: tuple[str, ...] = ("net", "design_floods", "affected_depth_m", "lethal_depth_m", "warning_lead_s",
                                "time_step_s", "ponding", "_terrain", "warning_stage_m")

    def __init__(
        self,
        net: RoadNetwork,
        dem: Raster | str | Path,
        river_xy: Any,
        hydrograph: Hydrograph | str | Path,
        gauge_chainage_m: float,
        surface_slope_m_per_km: float = 0.3,
        dikes: Iterable[Dike | dict] = (),
        breaches: Iterable[Breach | dict] = (),
        affected_depth_m: float = 0.15,
        lethal_depth_m: float = 1.5,
        warning_lead_s: float = 6 * 3600.0,
        *,
        channel: Raster | str | Path | None = None,
        ponding: bool = True,
        edge_step_m: float | None = None,
        time_step_s: float = 300.0,
        warning_stage_m: float | None = None,
        design_floods: Any = None,
    ) -> None:
        self.net = net
        # design(return_period_years, regime) -> hydrograph of the river's gauge (annual risk);
        # None: the Dufengkeng chain of .frequency
        self.design_floods = design_floods
        self.warning_stage_m = None if warning_stage_m is None else finite("warning_stage_m", warning_stage_m)
        self.affected_depth_m = finite("affected_depth_m", affected_depth_m)
        self.lethal_depth_m = finite("lethal_depth_m", lethal_depth_m)
        self.warning_lead_s = finite("warning_lead_s", warning_lead_s)
        self.time_step_s = finite("time_step_s", time_step_s)
        if self.affected_depth_m <= 0:
            raise InputError(f"affected_depth_m: must be positive, found {self.affected_depth_m}")
        if self.lethal_depth_m <= self.affected_depth_m:
            raise InputError(
                f"lethal_depth_m: {self.lethal_depth_m} must exceed affected_depth_m {self.affected_depth_m}"
            )
        if self.warning_lead_s < 0:
            raise InputError(f"warning_lead_s: must be ≥ 0, found {self.warning_lead_s}")
        if self.time_step_s <= 0:
            raise InputError(f"time_step_s: must be positive, found {self.time_step_s}")
        self.ponding = bool(ponding)
        self._terrain = _Terrain(
            net, dem, river_xy, gauge_chainage_m, surface_slope_m_per_km, list(dikes), channel, edge_step_m
        )
        self._setup(hydrograph, list(breaches))

    # ------------------------------------------------------------------ setup
    def with_hydrograph(self, hydrograph: Hydrograph | str | Path, breaches: Iterable[Breach | dict] | None = None) -> RiverFlood:
        """The same river, DEM, dikes and network under another flood (terrain work is shared).

        Parameters
        ----------
        hydrograph
            The other flood's stage hydrograph (or stage CSV path).
        breaches
            Its breaches (default: this flood's).

        Returns
        -------
        RiverFlood
            A new flood sharing this one's terrain, depth thresholds and options.

        Raises
        ------
        InputError
            On a hydrograph that cannot be read or has negative stages, or a breach that is
            malformed, off a dike or before the flood starts.
        """
        new = object.__new__(type(self))
        for k in self._shared:
            setattr(new, k, getattr(self, k))
        new._setup(hydrograph, list(self.breaches if breaches is None else breaches))
        return new

    def _setup(self, hydrograph: Hydrograph | str | Path, breaches: list) -> None:
        if isinstance(hydrograph, (str, Path)):
            hydrograph = read_stage_csv(hydrograph)
        if not isinstance(hydrograph, Hydrograph):
            raise InputError("hydrograph: expected a DesignHydrograph or ObservedHydrograph (stage, start_s, "
                             f"end_s, knots), found {type(hydrograph).__name__}")
        knots = np.asarray(hydrograph.knots(), dtype=np.float64)
        if np.any(~(np.atleast_1d(hydrograph.stage(knots)) >= 0)):
            raise InputError("hydrograph: stages cannot be negative")
        self.hydrograph = hydrograph
        t = self._terrain
        self.breaches = [_as_breach(b, i) for i, b in enumerate(breaches)]
        for i, b in enumerate(self.breaches):
            if b.time_s < hydrograph.start_s:
                raise InputError(
                    f"breaches[{i}].time_s: {b.time_s:g} s is before the flood starts ({hydrograph.start_s:g} s)"
                )
        cells = [t.breach_cells(b, i) for i, b in enumerate(self.breaches)]
        # epochs: one per distinct breach time; epoch j has every breach up to its start open
        times = np.array(sorted({b.time_s for b in self.breaches}))
        self._e_bounds = times
        self._e_opened = [np.zeros(0, np.int64)] + [
            np.concatenate([np.zeros(0, np.int64)] + [c for b, c in zip(self.breaches, cells) if b.time_s <= tb])
            for tb in times
        ]
        self._e_origin = min(0.0, float(hydrograph.start_s))
        t_hi = max([float(hydrograph.end_s), self._e_origin] + list(times))
        grid = np.r_[np.arange(self._e_origin, t_hi, self.time_step_s), knots, times, t_hi]
        self._e_grid = np.unique(grid[np.isfinite(grid)])
        self._e_grid_stage = np.asarray(hydrograph.stage(self._e_grid), dtype=np.float64)
        self._e_pond_pts: dict[int, np.ndarray] = {}
        self._e_pond_grid: dict[int, np.ndarray] = {}
        self._e_first: dict[float, np.ndarray] = {}
        self._e_active: dict[int, tuple] = {}
        self._e_people: tuple | None = None

    # ------------------------------------------------------------------ time
    @property
    def n_epochs(self) -> int:
        """Dike states over the flood: one, plus one per distinct breach time."""
        return len(self._e_bounds) + 1

    def epoch_of(self, time_s: float) -> int:
        """Index of the dike state at ``time_s`` (0: intact; a breach counts from its time on)."""
        return int(np.searchsorted(self._e_bounds, time_s, side="right"))

    def _epoch_start(self, j: int) -> float:
        return self._e_origin if j == 0 else float(self._e_bounds[j - 1])

    def stage(self, time_s: float) -> float:
        """River stage at the gauge (m) at ``time_s``."""
        return float(self.hydrograph.stage(float(time_s)))

    def _max_stage(self, t0: float, t1: float) -> float:
        """Highest stage over [t0, t1] (exact: the grid holds every peak of the hydrograph)."""
        if t1 <= t0:
            return self.stage(t1)
        g = self._e_grid
        lo, hi = np.searchsorted(g, t0, side="right"), np.searchsorted(g, t1, side="left")
        inner = self._e_grid_stage[lo:hi]
        return max(self.stage(t0), self.stage(t1), float(inner.max()) if len(inner) else -np.inf)

    # ------------------------------------------------------------------ levels and depths
    def _levels(self, j: int, time_s: float, on_grid: bool) -> tuple[np.ndarray, np.ndarray]:
        """(level, depth) at all cells (``on_grid``) or at nodes + edge points, epoch ``j``."""
        t = self._terrain
        e, fill = t.grid(self._e_opened[j]) if on_grid else t.points(self._e_opened[j])
        h = self.stage(time_s)
        m = self._max_stage(self._epoch_start(j), time_s)
        pond = self._pond(j, on_grid) if self.ponding else np.zeros(0)
        if not self.ponding:
            m = -np.inf
        level = np.empty_like(fill)
        depth = np.empty_like(fill)
        flood_level_kernel(fill, e, h, m, pond, level, depth)
        return level, depth

    def _pond(self, j: int, on_grid: bool) -> np.ndarray:
        """Water levels left at the end of epoch j − 1 (empty for the first epoch)."""
        if j == 0:
            return np.zeros(0)
        cache = self._e_pond_grid if on_grid else self._e_pond_pts
        if j not in cache:
            cache[j] = self._levels(j - 1, float(self._e_bounds[j - 1]), on_grid)[0]
        return cache[j]

    def depth(self, time_s: float) -> Raster:
        """Inundation depth (m) on the DEM grid at ``time_s``; NaN where the DEM has no data.

        Parameters
        ----------
        time_s
            Simulation time (s); the dike state is the one in force then.

        Returns
        -------
        Raster
            Depth on the DEM's grid (0 where dry), ponded water included when ``ponding``.
        """
        _, d = self._levels(self.epoch_of(time_s), float(time_s), True)
        return self._terrain.dem.like(d.reshape(self._terrain.shape))

    def wet_mask(self, time_s: float) -> np.ndarray:
        """Cells connected to the river at ``time_s`` (fill level below the stage; no ponding)."""
        _, fill = self._terrain.grid(self._e_opened[self.epoch_of(time_s)])
        return (fill < self.stage(time_s)).reshape(self._terrain.shape)

    def direct_wet_mask(self, time_s: float) -> np.ndarray:
        """The same as :meth:`wet_mask` by a direct flood fill (for checks)."""
        t = self._terrain
        e, _ = t.grid(self._e_opened[self.epoch_of(time_s)])
        nrows, ncols = t.shape
        return flood_fill_kernel(e, t.seeds, self.stage(time_s), nrows, ncols).reshape(t.shape)

    def fill_level(self, epoch: int = 0) -> Raster:
        """Stage at the gauge at which each cell joins the river in a dike state (+inf: never)."""
        return self._terrain.dem.like(self._terrain.grid(self._e_opened[epoch])[1].reshape(self._terrain.shape))

    def stage_equivalent_ground(self, epoch: int = 0) -> Raster:
        """Ground (or dike crest) minus the surface offset: what the fill compares with the stage."""
        return self._terrain.dem.like(self._terrain.grid(self._e_opened[epoch])[0].reshape(self._terrain.shape))

    def surface_offset(self) -> Raster:
        """Water surface minus gauge stage at each cell (m): slope × (gauge chainage − chainage)."""
        return self._terrain.dem.like(self._terrain.offset.reshape(self._terrain.shape))

    def network_depths(self, time_s: float) -> tuple[np.ndarray, np.ndarray]:
        """(node depth, edge depth) in m at ``time_s``; an edge takes its deepest sampled point.

        Only the points that can ever be wet in the current dike state are evaluated: a point
        whose fill level is at or above the highest stage of the whole hydrograph never joins
        the river, never holds ponded water (fill levels only fall as breaches open) and stays
        dry. The result equals :meth:`network_depths_reference` exactly.

        Parameters
        ----------
        time_s
            Simulation time (s).

        Returns
        -------
        tuple of numpy.ndarray
            Depth (m) per node, and per edge (CSR order); 0 where dry or off the DEM.
        """
        t = float(time_s)
        j = self.epoch_of(t)
        h, m = self.stage(t), self._max_stage(self._epoch_start(j), t)
        if not (h <= self._stage_cap and m <= self._stage_cap):  # outside what the active sets assume
            return self.network_depths_reference(t)
        pts, node_pos, edge_idx, seg_starts, e, fill, pond = self._active(j)
        tn = self._terrain
        level = np.empty(len(pts))
        depth = np.empty(len(pts))
        flood_level_kernel(fill, e, h, m if self.ponding else -np.inf, pond, level, depth)
        node_depth = np.zeros(tn.n_nodes)
        node_depth[pts[:node_pos]] = depth[:node_pos]
        edge_depth = np.zeros(len(tn.edge_starts))
        if len(edge_idx):
            edge_depth[edge_idx] = np.maximum.reduceat(depth[node_pos:], seg_starts)
        return node_depth, edge_depth

    def network_depths_reference(self, time_s: float) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`network_depths` evaluated at every node and edge sample point (for checks)."""
        _, d = self._levels(self.epoch_of(time_s), float(time_s), False)
        n = self._terrain.n_nodes
        return d[:n], np.maximum.reduceat(d[n:], self._terrain.edge_starts)

    @property
    def _stage_cap(self) -> float:
        return float(self._e_grid_stage.max())

    def _active(self, j: int) -> tuple:
        """Per dike epoch: the node and edge sample points that can be wet, with their terrain,
        fill levels and ponded levels, and how the edge points group into edges."""
        hit = self._e_active.get(j)
        if hit is None:
            tn = self._terrain
            e_all, f_all = tn.points(self._e_opened[j])
            n = tn.n_nodes
            wet = f_all < self._stage_cap
            node_pts = np.flatnonzero(wet[:n])
            edge_pts = n + np.flatnonzero(wet[n:])
            pts = np.concatenate([node_pts, edge_pts])
            edge_of = np.searchsorted(tn.edge_starts, edge_pts - n, side="right") - 1
            first = np.r_[True, edge_of[1:] != edge_of[:-1]] if len(edge_of) else np.zeros(0, bool)
            pond = self._pond(j, False)[pts] if (self.ponding and j > 0) else np.zeros(0)
            e, fill = e_all[pts], f_all[pts]
            for a in (pts, e, fill, pond):
                a.flags.writeable = False
            hit = (pts, len(node_pts), edge_of[first], np.flatnonzero(first), e, fill, pond)
            self._e_active[j] = hit
        return hit

    # ------------------------------------------------------------------ first times and people
    def first_flood_time_s(self, depth_m: float | None = None) -> np.ndarray:
        """First time each node's depth reaches ``depth_m`` (default: the affected depth); +inf never.

        Per dike epoch the node needs the stage ``S = max(F, e + depth)``; the first grid time at
        which the running maximum of the stage reaches S brackets the crossing, then bisection on
        the (monotone between knots) hydrograph pins it to well under a second.

        Parameters
        ----------
        depth_m
            The depth to reach (m, ≥ 0); default ``affected_depth_m``.

        Returns
        -------
        numpy.ndarray
            Seconds per node, read-only (cached per depth); +inf where never reached.

        Raises
        ------
        InputError
            When ``depth_m`` is negative or not a finite number.
        """
        d = self.affected_depth_m if depth_m is None else finite("depth_m", depth_m)
        if d < 0:
            raise InputError(f"depth_m: must be ≥ 0, found {d}")
        if d in self._e_first:
            return self._e_first[d]
        n = self._terrain.n_nodes
        first = np.full(n, np.inf)
        g, gh = self._e_grid, self._e_grid_stage
        for j in range(self.n_epochs):
            e, fill = self._terrain.points(self._e_opened[j])
            need = np.maximum(fill[:n], e[:n] + d)
            need = np.where(np.isfinite(need), need, np.inf)
            t0 = self._epoch_start(j)
            t1 = float(self._e_bounds[j]) if j < len(self._e_bounds) else g[-1]
            lo, hi = np.searchsorted(g, t0, side="left"), np.searchsorted(g, t1, side="right")
            run = np.maximum.accumulate(gh[lo:hi])
            k = np.searchsorted(run, need, side="left")
            todo = np.isinf(first) & (k < len(run))
            if not todo.any():
                continue
            kk = k[todo]
            t_hit = g[lo + kk].astype(np.float64)
            # bisection between the last grid time below S and the first at or above it
            inner = kk > 0
            a = g[lo + kk[inner] - 1].astype(np.float64)
            b = t_hit[inner]
            s_need = need[todo][inner]
            for _ in range(40):
                mid = 0.5 * (a + b)
                up = np.asarray(self.hydrograph.stage(mid)) >= s_need
                b = np.where(up, mid, b)
                a = np.where(up, a, mid)
            t_hit[inner] = b
            first[np.flatnonzero(todo)] = t_hit
        first.flags.writeable = False
        self._e_first[d] = first
        return first

    def warning_time_s(self) -> np.ndarray:
        """When each node becomes THREATENED: ``warning_lead_s`` before it is affected (not before the origin)."""
        return np.maximum(self.first_flood_time_s() - self.warning_lead_s, self._e_origin)

    def affected(self, time_s: float) -> AffectedPeople:
        """Residents by the highest severity their node has reached by ``time_s``.

        THREATENED from ``warning_lead_s`` before the node's depth reaches ``affected_depth_m``;
        AFFECTED from then; LETHAL once the depth reaches ``lethal_depth_m``. Nodes without
        residents are left out.
        """
        t = float(time_s)
        # the three first-times of every resident node, ordered by warning time (computed once):
        # the nodes reached by t are a prefix of that order, listed in node order as before
        tab = self._e_people
        if tab is None:
            pop = self.net.population
            cand = np.flatnonzero(pop > 0)
            t_warn = self.warning_time_s()[cand]
            order = np.argsort(t_warn, kind="stable")
            tab = self._e_people = (cand[order], t_warn[order], self.first_flood_time_s()[cand[order]],
                                    self.first_flood_time_s(self.lethal_depth_m)[cand[order]],
                                    pop[cand[order]].astype(np.float64), [-1, None])
        cand, t_warn, t_aff, t_leth, pop, last = tab
        k = int(np.searchsorted(t_warn, t, side="right"))
        if last[0] != k:  # successive steps mostly reach the same nodes: keep the last ordering
            last[0], last[1] = k, np.argsort(cand[:k], kind="stable")
        pick = last[1]
        node = cand[pick]
        ta, tl, tw = t_aff[pick], t_leth[pick], t_warn[pick]
        sev = np.where(tl <= t, LETHAL, np.where(ta <= t, AFFECTED, THREATENED)).astype(np.int8)
        since = np.where(sev == LETHAL, tl, np.where(sev == AFFECTED, ta, tw))
        return AffectedPeople(node.astype(np.int64), pop[pick], since.astype(np.float64), sev)

    def state(self, time_s: float, *, fields: bool = True) -> HazardState:
        """The flood at ``time_s``: node depth (m), edge speed factor, affected people, depth raster.

        Parameters
        ----------
        time_s
            Simulation time (s).
        fields
            Also compute the ``'depth'`` raster on the DEM grid (the simulation asks without).

        Returns
        -------
        HazardState
            Node depth as ``node_level``; the depth–disruption speed factor per edge (1 when
            dry); people by severity (:meth:`affected`); ``fields['depth']`` when asked.
        """
        t = float(time_s)
        node_depth, edge_depth = self.network_depths(t)
        factor = np.ones(len(edge_depth))
        wet = np.flatnonzero(edge_depth > 0.0)  # dry edges keep factor 1
        factor[wet] = edge_speed_factor(edge_depth[wet], np.asarray(self.net.speed_kmh)[wet])
        return HazardState(
            time_s=t,
            edge_speed_factor=factor,
            node_level=node_depth,
            affected=self.affected(t),
            fields={"depth": self.depth(t)} if fields else {},
        )

    # ------------------------------------------------------------------ what people face
    def node_hazard(self, times_s: Sequence[float], step_s: float = 600.0) -> dict[str, np.ndarray]:
        """What the water does at each node between the first and last of ``times_s``.

        Depths are sampled every ``step_s`` (and at ``times_s``); the rise rate is the largest
        rise over one hour. The connected fill has no velocities: ``max_speed`` and ``max_hv``
        are 0 (so no node falls in a breach zone; the 2-D engine gives them).

        Parameters
        ----------
        times_s
            The run's times (s); only their span is used.
        step_s
            Sampling interval of the depths (s).

        Returns
        -------
        dict of str to numpy.ndarray
            Per node: ``max_depth`` (m), ``max_rise`` (m/h), ``max_speed`` (m/s), ``max_hv`` (m²/s):
            the inputs of :func:`.mortality.mortality_fraction`.
        """
        t = np.asarray([float(v) for v in times_s])
        if t.size == 0:
            raise InputError("times_s: give at least one time")
        grid = np.unique(np.r_[np.arange(t.min(), t.max(), float(step_s)), t])
        depths = np.vstack([self.network_depths(float(ti))[0] for ti in grid])
        speed, hv = self._node_velocities()
        return {"max_depth": depths.max(axis=0), "max_rise": max_rise_rate(grid, depths),
                "max_speed": speed, "max_hv": hv}

    def flood_maps(self, times_s: Sequence[float], depth_m: float | None = None,
                   step_s: float = 600.0) -> dict[str, Raster]:
        """The planner's three maps between the first and last of ``times_s`` (sampled every ``step_s``).

        Parameters
        ----------
        times_s
            The run's times (s); only their span is used.
        depth_m
            The depth that counts as flooded for arrival and duration (default: the affected depth).
        step_s
            Sampling interval (s).

        Returns
        -------
        dict of str to Raster
            ``max_depth`` (m; 0 dry), ``arrival_h`` (hours from t = 0 at which the cell first
            holds ``depth_m``; NaN never) and ``duration_h`` (hours it holds at least
            ``depth_m``; 0 never); NaN off the DEM's data.
        """
        d = self.affected_depth_m if depth_m is None else finite("depth_m", depth_m)
        t = np.asarray([float(v) for v in times_s])
        if t.size == 0:
            raise InputError("times_s: give at least one time")
        grid = np.unique(np.r_[np.arange(t.min(), t.max(), float(step_s)), t])
        first = self.depth(float(grid[0]))
        deepest = np.nan_to_num(first.values).copy()
        arrival = np.where(deepest >= d, grid[0], np.inf)
        duration = np.zeros_like(deepest)
        was = deepest >= d
        for a, b in zip(grid[:-1], grid[1:]):
            now = np.nan_to_num(self.depth(float(b)).values)
            np.maximum(deepest, now, out=deepest)
            over = now >= d
            arrival = np.where(over & np.isinf(arrival), b, arrival)
            duration += (over & was) * (b - a)
            was = over
        nodata = ~np.isfinite(first.values)
        return {
            "max_depth": first.like(np.where(nodata, np.nan, deepest)),
            "arrival_h": first.like(np.where(nodata | np.isinf(arrival), np.nan, arrival / 3600.0)),
            "duration_h": first.like(np.where(nodata, np.nan, duration / 3600.0)),
        }

    def _node_velocities(self) -> tuple[np.ndarray, np.ndarray]:
        """(largest speed, largest depth × speed) per node; the fill has none."""
        n = self._terrain.n_nodes
        return np.zeros(n), np.zeros(n)

    # ------------------------------------------------------------------ the hazard interface
    @property
    def field_style(self) -> FieldStyle:
        """Depth in blues, the scale capped at 5 m (the channel would wash out the floodplain)."""
        # bands: ankle-deep, wading limit (~0.5 m), a storey's floor to window (1.5 m), over a storey (3 m)
        return FieldStyle("洪水淹没水深 (m)", "flood depth (m)", cmap="Blues", threshold=0.01, cap=5.0,
                          bands=(0.5, 1.5, 3.0))

    def map_field(self, state: HazardState, time_s: float) -> Raster | None:
        """The depth raster of ``state``."""
        return state.fields.get("depth")

    def max_depth(self, times_s: Sequence[float]) -> Raster:
        """The deepest water each cell saw at any of ``times_s``."""
        times = [float(t) for t in times_s]
        first = self.depth(times[0])
        depth = first.values.copy()
        for t in times[1:]:
            np.fmax(depth, self.depth(t).values, out=depth)
        return first.like(depth)

    def footprint(self, times_s: Sequence[float]) -> Footprint:
        """Depth bands of the deepest water over ``times_s``, and that depth as the field."""
        depth = self.max_depth(times_s)
        return Footprint("maximum flood depth", self.net.crs, depth_zones(depth), field=depth, style=self.field_style)

    def indicators(self, times_s: Sequence[float]) -> dict[str, Any]:
        """Peak gauge stage over ``times_s`` and the gauge's warning stage (when known)."""
        out: dict[str, Any] = {"peak_stage_m": round(max(self.stage(float(t)) for t in times_s), 3)}
        if self.warning_stage_m is not None:
            out["warning_stage_m"] = self.warning_stage_m
        return out


def max_rise_rate(times_s: np.ndarray, depths: np.ndarray, window_s: float = 3600.0) -> np.ndarray:
    """Largest rise of each column of ``depths`` (one row per time) over ``window_s``, in m/h.

    Each time is compared with the first time at most ``window_s`` before it; a shorter span
    (at the start) counts as a whole window, so a sudden jump reads as its size per window.
    """
    t = np.asarray(times_s, dtype=np.float64)
    d = np.asarray(depths, dtype=np.float64)
    back = np.searchsorted(t, t - window_s, side="left")
    span_h = np.maximum(t - t[back], window_s) / 3600.0
    rise = (d - d[back]) / span_h[:, None]
    return np.maximum(rise.max(axis=0), 0.0)


# ---------------------------------------------------------------------------------------------
# Footprint polygons

#: depth bands of a footprint: passable water, roads closed (≥ 0.3 m), the lethal zone (≥ 1.5 m)
FOOTPRINT_BANDS_M = (0.0, 0.3, 1.5)
_BAND_COLOURS = ("#aed6f1", "#3498db", "#1b4f72")


def depth_zones(depth: Raster, bands_m: Sequence[float] = FOOTPRINT_BANDS_M) -> tuple[Zone, ...]:
    """Inundation polygons of a depth raster by depth band, shallowest first.

    Band i covers wet cells with ``bands_m[i] ≤ depth < bands_m[i+1]`` (the last band is open).

    Parameters
    ----------
    depth
        Water depth (m) per cell; NaN or 0 = dry.
    bands_m
        Increasing non-negative band edges, in metres.

    Returns
    -------
    tuple of Zone
        One zone per band that has wet cells; properties ``depth_min_m``, ``depth_max_m``,
        ``area_m2`` and ``cells``.

    Raises
    ------
    InputError
        When ``bands_m`` is empty, negative or not increasing.
    """
    bands = [float(b) for b in bands_m]
    if not bands or any(b < 0 for b in bands) or any(b2 <= b1 for b1, b2 in zip(bands, bands[1:])):
        raise InputError(f"bands_m: expected increasing non-negative depths, found {list(bands_m)}")
    vals = np.asarray(depth.values, dtype=np.float64)
    wet = np.isfinite(vals) & (vals > 0)
    zones = []
    for i, lo in enumerate(bands):
        hi = bands[i + 1] if i + 1 < len(bands) else math.inf
        mask = wet & (vals >= lo) & (vals < hi)
        if not mask.any():
            continue
        geom = mask_polygons(mask, depth)
        span = f"{lo:g}–{hi:g} m" if math.isfinite(hi) else f"≥ {lo:g} m"
        zones.append(Zone(geom, f"水深 {span}", f"depth {span}", _BAND_COLOURS[min(i, len(_BAND_COLOURS) - 1)], {
            "depth_min_m": lo, "depth_max_m": None if math.isinf(hi) else hi,
            "area_m2": round(float(geom.area), 1), "cells": int(mask.sum()),
        }))
    return tuple(zones)


def footprint_geojson(
    depth: Raster,
    path: str | Path | None = None,
    *,
    crs: str | None = None,
    bands_m: Sequence[float] = FOOTPRINT_BANDS_M,
    name: str = "flood footprint",
) -> dict:
    """Inundation polygons by depth band (:func:`depth_zones`) as an RFC 7946 GeoJSON
    FeatureCollection in lon/lat; written to ``path`` when given (QGIS opens it directly).

    ``crs`` defaults to the raster's.
    """
    crs = crs or depth.crs
    if not crs:
        raise InputError("crs: the depth raster has no CRS; pass crs= (e.g. 'EPSG:32650')")
    out = Footprint(name, crs, depth_zones(depth, bands_m)).to_geojson()
    if path is not None:
        Path(path).write_text(json.dumps(out), encoding="utf-8")
    return out
