"""The river flood on the 2-D local-inertial solver: water that travels, fills and stays.

The connected fill (:mod:`.model`) puts water wherever the river's level can reach, at once.
Here the same river, DEM, dikes and breaches drive :class:`~.inertial.InertialModel`
(docs/references/hazards.md §1.4, §1.10–§1.12):

* **Channel.** The river's cells (and any ``channel`` mask) are held at the gauge stage plus
  the surface slope to each place (``add_fixed_level``); water leaves them over the banks and
  returns to them when the river falls.
* **Ground and dikes.** The DEM, with every dike cell raised to its crest: a dike holds until
  the water overtops it, then the water crosses the crest as the solver carries it.
* **Roughness.** Manning's n per cell from the land cover (:data:`MANNING_BY_LANDCOVER`).
* **Breaches.** Each opens at its time, deepens to the ground behind the dike and widens with
  the Verheij–van der Knaap (2003) relation up to its width; a broad-crested weir carries the
  river-side water level into the polder cells behind it (:class:`~.breach.BreachCoupling`).
* **Start.** The floodplain holds the connected-fill water of the first stage (the river was
  steady before); a design flood starts from base flow, below the banks.
* **Record.** Depths at the cells that can ever be wet are kept every ``frame_s`` (float32),
  with the largest speed and depth × speed each cell sees at those times (with the rise rate,
  the inputs of the mortality function, :mod:`.mortality`). Between frames depths are
  linear in time; after the run the last frame holds (ponded water stays: no pumping).

A run of the built-in district's 100-year flood takes tens of seconds; its record is cached on
disk (``network.district.cache_dir() / "flood2d"``) under a hash of every input, so a batch of
scenarios pays for each distinct hazard once, and a second process finds it ready.
"""
from __future__ import annotations

import hashlib
import time as _time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from scipy import ndimage

from network.checks import finite
from network.errors import InputError
from network.raster import Raster
from network.terrain import LandCover

from .breach import Breach as BreachSpec
from .breach import BreachCoupling
from .inertial import Hydrograph as Series
from .inertial import InertialModel
from .model import RiverFlood, _same_grid

#: Manning's n (s m^-1/3) per land-cover class. Channel, farmland, shrub and forest from the
#: ranges of Chow (1959) Table 5-6 (natural channel 0.030–0.040; mature field crops
#: 0.030–0.050; light brush and trees 0.040–0.080; heavy timber 0.080–0.120); built-up and
#: industrial land 0.08 is an estimate for buildings at a 50 m cell (docs/references/hazards.md §1.12).
MANNING_BY_LANDCOVER = {
    LandCover.BARE: 0.030,
    LandCover.WATER: 0.035,
    LandCover.URBAN: 0.080,
    LandCover.FARMLAND: 0.045,
    LandCover.SHRUB: 0.060,
    LandCover.FOREST_BROADLEAF: 0.100,
    LandCover.FOREST_CONIFER: 0.100,
    LandCover.INDUSTRIAL: 0.080,
}

#: bump when the engine's results change for the same inputs (invalidates cached records)
ENGINE_VERSION = 1
#: how far above the highest river level a cell may still be counted as possibly wet (m):
#: the inertial solver can overshoot a still level by centimetres
_MARGIN_M = 0.1
_MEMO: dict[str, FloodRecord] = {}
_MEMO_SIZE = 8


def manning_from_landcover(landcover: Raster, table: dict[int, float] | None = None) -> Raster:
    """Manning's n per cell from a land-cover raster (:data:`MANNING_BY_LANDCOVER` by default).

    Parameters
    ----------
    landcover
        Land-cover classes (:class:`network.terrain.LandCover` values).
    table
        n per class; classes it does not list are refused.

    Returns
    -------
    Raster
        Manning's n on the land cover's grid.

    Raises
    ------
    InputError
        On a class the table does not list.
    """
    table = MANNING_BY_LANDCOVER if table is None else table
    lc = np.asarray(landcover.values)
    n = np.full(lc.shape, np.nan)
    for cls, value in table.items():
        n[lc == int(cls)] = value
    missing = np.unique(lc[np.isnan(n)])
    if missing.size:
        raise InputError(f"landcover: no Manning's n for class(es) {missing.tolist()}")
    return landcover.like(n)


@dataclass(frozen=True, eq=False)
class FloodRecord:
    """What a 2-D run leaves: depth frames at the cells that can be wet, and per-cell maxima.

    Attributes
    ----------
    times_s
        Frame times (s).
    cells
        Flat DEM indices of the recorded cells (the ones that can ever be wet).
    depth
        Depth (m, float32), one row per frame, one column per recorded cell.
    max_speed
        Largest depth-averaged speed (m/s) at the frames.
    max_hv
        Largest depth × speed (m²/s) at the frames.
    stats
        Run statistics: ``cells`` (data cells), ``steps``, ``seconds``, ``cell_updates``,
        ``mass_error_rel``, and per breach its ``peak_discharge_m3s``, ``volume_m3``, ``width_m``.
    """

    times_s: np.ndarray
    cells: np.ndarray
    depth: np.ndarray
    max_speed: np.ndarray
    max_hv: np.ndarray
    stats: dict

    _ARRAYS = ("times_s", "cells", "depth", "max_speed", "max_hv")

    #: dtype of each array in a cache entry
    _DTYPES: ClassVar[dict[str, type]] = {"times_s": np.float64, "cells": np.int64, "depth": np.float32,
               "max_speed": np.float32, "max_hv": np.float32}

    def save(self, path: Path) -> None:
        """Write the record as a cache entry (:func:`network.cache.write_entry`: atomic, hashed).

        Raises
        ------
        OSError
            When the cache folder cannot be written.
        """
        from network.cache import write_entry

        arrays = {k: np.asarray(getattr(self, k), self._DTYPES[k]) for k in self._ARRAYS}
        write_entry(path, arrays, kind="flood2d", info={"engine_version": ENGINE_VERSION, "stats": self.stats})

    @classmethod
    def load(cls, path: Path, *, cells: np.ndarray | None = None, n_grid_cells: int | None = None,
             span_s: tuple[float, float] | None = None) -> FloodRecord | None:
        """The record at ``path``, or None when it is missing, damaged or not for this run; never raises.

        The entry's hash is checked by :func:`network.cache.read_entry`; then its arrays must
        hold together: dtypes, ``depth`` of shape (frames, cells), the maxima one per cell,
        frame times finite and increasing, cells distinct flat indices (sorted) of the grid.
        An entry that fails is deleted (one line on stderr) so the run is redone and rewritten.

        Parameters
        ----------
        path
            The cache file.
        cells
            The recorded cells the run must have (flat DEM indices); checked when given.
        n_grid_cells
            Cells in the DEM grid: every recorded cell must be below it.
        span_s
            (first, last) frame time the run must have.
        """
        from network.cache import discard, read_entry

        entry = read_entry(path, kind="flood2d")
        if entry is None:
            return None
        reason = cls._invalid(entry.arrays, entry.info, cells, n_grid_cells, span_s)
        if reason:
            discard(path, f"not a valid flood record: {reason}")
            return None
        return cls(stats=entry.info["stats"], **{k: entry.arrays[k] for k in cls._ARRAYS})

    @classmethod
    def _invalid(cls, arrays: dict[str, np.ndarray], info: dict, cells: np.ndarray | None,
                 n_grid_cells: int | None, span_s: tuple[float, float] | None) -> str:
        """Why a cache entry's arrays are not a record for this run ('' when they are)."""
        if set(arrays) != set(cls._ARRAYS) or not isinstance(info.get("stats"), dict):
            return "wrong members"
        for k, dtype in cls._DTYPES.items():
            if arrays[k].dtype != dtype:
                return f"{k} has dtype {arrays[k].dtype}"
        t, c = arrays["times_s"], arrays["cells"]
        if t.ndim != 1 or c.ndim != 1 or t.size == 0:
            return "times_s or cells not one-dimensional"
        n_t, n_c = len(t), len(c)
        if arrays["depth"].shape != (n_t, n_c) or any(arrays[k].shape != (n_c,) for k in ("max_speed", "max_hv")):
            return "shapes do not agree"
        if not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
            return "frame times not finite and increasing"
        if span_s is not None and (t[0] != span_s[0] or t[-1] != span_s[1]):
            return "frame times not the run's span"
        if n_c and (c[0] < 0 or np.any(np.diff(c) <= 0)):
            return "cells not distinct sorted indices"
        if n_grid_cells is not None and n_c and c[-1] >= n_grid_cells:
            return "cells outside the grid"
        if cells is not None and not np.array_equal(c, cells):
            return "cells not the run's recorded cells"
        return ""

    def frame_weights(self, time_s: float) -> tuple[int, int, float]:
        """(frame before, frame after, weight of the after frame) at ``time_s``, held at the ends."""
        t = self.times_s
        if time_s <= t[0]:
            return 0, 0, 0.0
        if time_s >= t[-1]:
            k = len(t) - 1
            return k, k, 0.0
        k = int(np.searchsorted(t, time_s, side="right")) - 1
        return k, k + 1, float((time_s - t[k]) / (t[k + 1] - t[k]))

    def depth_at(self, time_s: float, columns: np.ndarray | None = None) -> np.ndarray:
        """Depth (m) at the recorded cells (or the ``columns`` of them) at ``time_s``."""
        a, b, w = self.frame_weights(float(time_s))
        cols = slice(None) if columns is None else columns
        da = self.depth[a, cols].astype(np.float64)
        return da if w == 0.0 else da + w * (self.depth[b, cols] - da)

    def first_time(self, depth_m: float | np.ndarray, columns: np.ndarray) -> np.ndarray:
        """First time each of ``columns`` reaches ``depth_m`` (one for all, or one per column;
        linear between frames; +inf never)."""
        depth_m = np.broadcast_to(np.asarray(depth_m, np.float64), (len(columns),))
        d = self.depth[:, columns]
        reached = d >= depth_m
        hit = reached.any(axis=0)
        k = np.argmax(reached, axis=0)
        out = np.full(len(columns), np.inf)
        t = self.times_s
        j = np.flatnonzero(hit)
        kk = k[j]
        out[j] = t[kk]
        inner = kk > 0
        j, kk = j[inner], kk[inner]
        d0, d1 = d[kk - 1, j].astype(np.float64), d[kk, j].astype(np.float64)
        frac = np.clip((depth_m[j] - d0) / np.maximum(d1 - d0, 1e-12), 0.0, 1.0)
        out[j] = t[kk - 1] + frac * (t[kk] - t[kk - 1])
        return out


class RiverFlood2D(RiverFlood):
    """The river flood of :class:`~.model.RiverFlood` computed by the 2-D local-inertial solver.

    Same inputs and interface as the fill engine (node and edge depths, people by severity,
    depth rasters, footprint), from the solver's water instead of the instantaneous fill. The
    run happens on first use and is cached (module notes).

    Parameters
    ----------
    *args, **kwargs
        As :class:`~.model.RiverFlood`.
    manning_n
        Manning's n: a number, or a Raster on the DEM's grid (:func:`manning_from_landcover`).
    frame_s
        Spacing of the recorded depth frames (s).
    run_until_s
        End of the run (default: the end of the hydrograph or 12 h after the last breach,
        whichever is later).
    backend
        The solver's backend (``"numba"`` or ``"numpy"``, the reference).
    cache
        Keep and reuse records on disk (in-process memo either way).

    Raises
    ------
    InputError
        As :class:`~.model.RiverFlood`; and on a roughness grid that does not fit the DEM, a
        non-positive frame spacing, or a run end before the flood starts.
    """

    engine = "2d"
    _shared = RiverFlood._shared + ("manning_n", "frame_s", "run_until_s", "backend", "cache")

    def __init__(self, *args: Any, manning_n: float | Raster = 0.05, frame_s: float = 600.0,
                 run_until_s: float | None = None, backend: str = "numba", cache: bool = True, **kwargs: Any) -> None:
        self.manning_n = manning_n
        self.frame_s = finite("frame_s", frame_s)
        if self.frame_s <= 0:
            raise InputError(f"frame_s: must be positive, found {self.frame_s}")
        self.run_until_s = None if run_until_s is None else finite("run_until_s", run_until_s)
        self.backend = backend
        self.cache = bool(cache)
        super().__init__(*args, **kwargs)

    def _setup(self, hydrograph, breaches: list) -> None:
        super()._setup(hydrograph, breaches)
        self._record: FloodRecord | None = None
        self._pt_cols: tuple[np.ndarray, np.ndarray] | None = None
        self._first2d: dict[float, np.ndarray] = {}
        t_end = max([float(self.hydrograph.end_s)] + [b.time_s + 12 * 3600.0 for b in self.breaches])
        self._t_end = t_end if self.run_until_s is None else self.run_until_s
        if self._t_end <= self._e_origin:
            raise InputError(f"run_until_s: {self._t_end:g} s is not after the flood starts ({self._e_origin:g} s)")

    # ------------------------------------------------------------------ the run
    @property
    def record(self) -> FloodRecord:
        """The run's record (runs the solver, or reads the cache, on first use)."""
        if self._record is None:
            self._record = self._run_or_load()
        return self._record

    def _series(self) -> Series:
        """The gauge stage as the solver's piecewise-linear series (every 5 min and every knot)."""
        t0, t1 = self._e_origin, self._t_end
        t = np.unique(np.r_[np.arange(t0, t1, 300.0), self.hydrograph.knots(), t1])
        t = t[(t >= t0) & (t <= t1)]
        return Series(t, np.asarray(self.hydrograph.stage(t), dtype=np.float64))

    def _roughness(self) -> np.ndarray:
        tn = self._terrain
        if isinstance(self.manning_n, Raster):
            if not _same_grid(tn.dem, self.manning_n):
                raise InputError("manning_n: raster does not match the DEM (shape, origin and cell size)")
            return np.asarray(self.manning_n.values, dtype=np.float64)
        n = finite("manning_n", self.manning_n)
        if n < 0:
            raise InputError(f"manning_n: must be ≥ 0, found {n}")
        return np.full(tn.shape, n)

    def _bed(self) -> np.ndarray:
        """Ground with every dike cell raised to its crest (flat)."""
        tn = self._terrain
        return np.where(tn.crest > tn.z, tn.crest, tn.z)

    def _recorded_cells(self, series: Series) -> np.ndarray:
        """Cells that can be wet at some time: below the highest river level with every breach open."""
        tn = self._terrain
        opened = np.concatenate([np.zeros(0, np.int64)] + [tn.breach_cells(b, i) for i, b in enumerate(self.breaches)])
        _, fill = tn.grid(opened)
        return np.flatnonzero(fill < float(series.values.max()) + _MARGIN_M)

    def _key(self, series: Series, n: np.ndarray, cells: np.ndarray) -> str:
        h = hashlib.sha256()
        tn = self._terrain
        for a in (np.array([ENGINE_VERSION, self.frame_s, self._t_end, tn.dem.cellsize, tn.dem.x0, tn.dem.y0]),
                  self._bed(), tn.offset, tn.seeds, n, series.times, series.values, cells):
            h.update(np.ascontiguousarray(a).tobytes())
        h.update(repr([(b.time_s, b.x, b.y, b.width_m, b.material) for b in self.breaches]).encode())
        return h.hexdigest()[:32]

    def _run_or_load(self) -> FloodRecord:
        series = self._series()
        n = self._roughness()
        cells = self._recorded_cells(series)
        key = self._key(series, n, cells)
        if key in _MEMO:
            return _MEMO[key]
        from network.district import cache_dir

        path = cache_dir() / "flood2d" / f"{key}.npz"
        rec = None
        if self.cache:
            rec = FloodRecord.load(path, cells=cells, n_grid_cells=int(np.prod(self._terrain.shape)),
                                   span_s=(float(self._e_origin), float(self._t_end)))
        if rec is None:
            rec = self._solve(series, n, cells)
            if self.cache:
                try:
                    rec.save(path)
                except OSError:
                    pass  # a read-only cache only costs the next process a rerun
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[key] = rec
        return rec

    def build_model(self, series: Series | None = None) -> tuple[InertialModel, list[BreachCoupling]]:
        """The solver set up for this flood at its start: bed, roughness, channel, breaches.

        Returns
        -------
        tuple
            The :class:`~.inertial.InertialModel` and one :class:`~.breach.BreachCoupling` per breach.
        """
        series = self._series() if series is None else series
        tn = self._terrain
        bed = tn.dem.like(self._bed().reshape(tn.shape))
        _, start_depth = self._levels(0, self._e_origin, True)
        start_depth = np.where(np.isfinite(start_depth), start_depth, 0.0).reshape(tn.shape)
        model = InertialModel(bed, self._roughness(), initial_depth=np.where(np.isfinite(bed.values), start_depth, np.nan),
                              start_s=self._e_origin, max_dt=30.0, backend=self.backend)
        seeds = tn.seeds.reshape(tn.shape)
        model.add_fixed_level(seeds, series, offsets=tn.offset.reshape(tn.shape))
        couplings = [self._coupling(model, series, b, i) for i, b in enumerate(self.breaches)]
        return model, couplings

    def _coupling(self, model: InertialModel, series: Series, b, i: int) -> BreachCoupling:
        """A breach: its dike cells, the polder cells behind them and the river-side cells before them."""
        tn = self._terrain
        dike = tn.breach_cells(b, i)
        land, river = _sides(tn, dike)
        if land.size == 0:
            raise InputError(f"breaches[{i}]: no ground behind the dike at ({b.x:g}, {b.y:g})")
        if river.size == 0:
            raise InputError(f"breaches[{i}]: no ground in front of the dike at ({b.x:g}, {b.y:g})")
        crest = float(np.mean(tn.crest[dike]))
        on_bank = river[~tn.seeds[river]]
        bottom = float(np.median(tn.z[land]))
        if on_bank.size:
            bottom = max(bottom, float(np.min(tn.z[on_bank])))
        spec = BreachSpec(crest_level_m=crest, bottom_level_m=min(bottom, crest), max_width_m=b.width_m,
                          open_time_s=b.time_s, material=b.material, x=b.x, y=b.y,
                          initial_width_m=min(10.0, b.width_m), dike=tn.dikes[int(tn.dike_id[dike[0]])].name)
        z = model.z.reshape(-1)
        thr = model.thr

        def river_level(_t: float, cells=river) -> float:
            eta = model.eta.reshape(-1)[cells]
            wet = eta - z[cells] > thr
            return float(eta[wet].max()) if wet.any() else float(z[cells].min())

        mask = np.zeros(tn.shape, bool)
        mask.flat[land] = True
        return BreachCoupling(model, spec, river_level, mask)

    def _solve(self, series: Series, n: np.ndarray, cells: np.ndarray) -> FloodRecord:
        model, couplings = self.build_model(series)
        frames = np.unique(np.r_[np.arange(self._e_origin, self._t_end, self.frame_s), self._t_end])
        ncols = self._terrain.shape[1]
        rows, cols = np.divmod(cells, ncols)
        depth = np.empty((len(frames), len(cells)), np.float32)
        speed = np.zeros(len(cells))
        hv = np.zeros(len(cells))
        v0 = model.volume
        wall = _time.perf_counter()
        for k, t in enumerate(frames):
            model.advance(float(t))
            h = (model.eta[rows, cols] - model.z[rows, cols])
            depth[k] = h
            qx = 0.5 * (model.qx[rows, cols] + model.qx[rows, cols + 1])
            qy = 0.5 * (model.qy[rows, cols] + model.qy[rows + 1, cols])
            q = np.hypot(qx, qy)
            v = np.where(h > 0.01, q / np.maximum(h, 0.01), 0.0)
            np.maximum(speed, v, out=speed)
            np.maximum(hv, np.where(h > 0.01, q, 0.0), out=hv)
        wall = _time.perf_counter() - wall
        into = model.inflow_volume - model.outflow_volume
        err = (model.volume - v0 - into) / max(model.inflow_volume, 1.0)
        stats = {
            "cells": int(model.n_active), "recorded_cells": len(cells), "steps": int(model.n_steps),
            "seconds": round(wall, 2), "cell_updates": int(model.cells_worked),
            "mass_error_rel": float(err), "frame_s": self.frame_s,
            "breaches": [_breach_stats(c) for c in couplings],
        }
        return FloodRecord(frames, cells, depth, speed.astype(np.float32), hv.astype(np.float32), stats)

    # ------------------------------------------------------------------ depths
    def _point_columns(self) -> tuple[np.ndarray, np.ndarray]:
        """(points that are recorded cells, their record columns), nodes first then edge points."""
        if self._pt_cols is None:
            rec = self.record
            pos = np.full(int(np.prod(self._terrain.shape)), -1, np.int64)
            pos[rec.cells] = np.arange(len(rec.cells))
            pc = self._terrain.pt_cell
            col = np.where(pc >= 0, pos[np.maximum(pc, 0)], -1)
            pts = np.flatnonzero(col >= 0)
            self._pt_cols = (pts, col[pts])
        return self._pt_cols

    def depth(self, time_s: float) -> Raster:
        """Inundation depth (m) on the DEM grid at ``time_s`` (linear between frames); NaN off the data."""
        tn = self._terrain
        rec = self.record
        d = np.where(np.isfinite(tn.z), 0.0, np.nan)
        d[rec.cells] = rec.depth_at(float(time_s))
        return tn.dem.like(d.reshape(tn.shape))

    def wet_mask(self, time_s: float) -> np.ndarray:
        """Cells with water (deeper than 1 cm) at ``time_s``."""
        return np.nan_to_num(self.depth(time_s).values) > 0.01

    def network_depths(self, time_s: float) -> tuple[np.ndarray, np.ndarray]:
        """(node depth, edge depth) in m at ``time_s``: a node its cell's, an edge its deepest point's.

        Parameters
        ----------
        time_s
            Simulation time (s).

        Returns
        -------
        tuple of numpy.ndarray
            Depth (m) per node, and per edge (CSR order); 0 where dry or off the DEM.
        """
        tn = self._terrain
        pts, cols = self._point_columns()
        d = np.zeros(len(tn.pt_cell))
        d[pts] = np.maximum(self.record.depth_at(float(time_s), cols) - tn.pt_raise[pts], 0.0)   # bridge decks
        n = tn.n_nodes
        return d[:n], np.maximum.reduceat(d[n:], tn.edge_starts)

    def network_depths_reference(self, time_s: float) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`network_depths` read from the full depth raster (for checks)."""
        tn = self._terrain
        grid = np.nan_to_num(self.depth(time_s).values).reshape(-1)
        d = np.where(tn.pt_cell >= 0, np.maximum(grid[np.maximum(tn.pt_cell, 0)] - tn.pt_raise, 0.0), 0.0)
        n = tn.n_nodes
        return d[:n], np.maximum.reduceat(d[n:], tn.edge_starts)

    def first_flood_time_s(self, depth_m: float | None = None) -> np.ndarray:
        """First time each node's depth reaches ``depth_m`` (default: the affected depth); +inf never.

        Linear between the frames of the record (``frame_s`` apart). ``depth_m = 0`` means the
        first water (1 mm, the solver's wet threshold).

        Raises
        ------
        InputError
            When ``depth_m`` is negative or not a finite number.
        """
        d = self.affected_depth_m if depth_m is None else finite("depth_m", depth_m)
        if d < 0:
            raise InputError(f"depth_m: must be ≥ 0, found {d}")
        if d not in self._first2d:
            n = self._terrain.n_nodes
            pts, cols = self._point_columns()
            nodes = pts < n
            first = np.full(n, np.inf)
            first[pts[nodes]] = self.record.first_time(max(d, 1e-3) + self._terrain.pt_raise[pts[nodes]], cols[nodes])
            first.flags.writeable = False
            self._first2d[d] = first
        return self._first2d[d]

    # ------------------------------------------------------------------ planner's maps
    def _node_velocities(self) -> tuple[np.ndarray, np.ndarray]:
        """(largest speed, largest depth × speed) per node at the record's frames (whole run)."""
        rec = self.record
        n = self._terrain.n_nodes
        pts, cols = self._point_columns()
        nodes = pts < n
        speed, hv = np.zeros(n), np.zeros(n)
        deck = self._terrain.pt_raise[pts[nodes]] == 0     # the river under a bridge does not flow across its deck
        speed[pts[nodes][deck]] = rec.max_speed[cols[nodes][deck]]
        hv[pts[nodes][deck]] = rec.max_hv[cols[nodes][deck]]
        return speed, hv

    def indicators(self, times_s: Sequence[float]) -> dict[str, Any]:
        """The fill engine's indicators, the engine and the run's statistics."""
        out = super().indicators(times_s)
        s = self.record.stats
        out["flood_engine"] = "2d"
        out["flood_2d_run"] = {k: s[k] for k in ("cells", "steps", "seconds", "mass_error_rel")}
        if s["breaches"]:
            out["breach_peak_discharge_m3s"] = {b["dike"]: b["peak_discharge_m3s"] for b in s["breaches"]}
        return out


def _sides(tn, dike: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The data cells 4-adjacent to ``dike`` cells that are not dike cells: those farther from the
    channel than their dike cell (the polder side) and those nearer (the river side)."""
    dist = _channel_distance(tn)
    nrows, ncols = tn.shape
    r, c = np.divmod(dike, ncols)
    land, river = [], []
    for dr, dc in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        rr, cc = r + dr, c + dc
        ok = (rr >= 0) & (rr < nrows) & (cc >= 0) & (cc < ncols)
        nb = rr[ok] * ncols + cc[ok]
        own = dike[ok]
        keep = (tn.dike_id[nb] < 0) & np.isfinite(tn.z[nb])
        nb, own = nb[keep], own[keep]
        land.append(nb[dist[nb] > dist[own]])
        river.append(nb[dist[nb] < dist[own]])
    return np.unique(np.concatenate(land)), np.unique(np.concatenate(river))


def _channel_distance(tn) -> np.ndarray:
    """Distance (cells) from every cell to the nearest channel cell (cached on the terrain)."""
    dist = getattr(tn, "_channel_distance", None)
    if dist is None:
        dist = ndimage.distance_transform_edt(~tn.seeds.reshape(tn.shape)).reshape(-1)
        tn._channel_distance = dist
    return dist


def _breach_stats(c: BreachCoupling) -> dict:
    s = c.series()
    q = np.asarray(s.get("discharge_m3s", np.zeros(0)))
    return {
        "dike": c.breach.dike,
        "peak_discharge_m3s": round(float(np.nanmax(q)), 1) if q.size else 0.0,
        "volume_m3": round(float(c.volume_m3), 0),
        "width_m": round(float(c.state.width_m), 1),
    }
