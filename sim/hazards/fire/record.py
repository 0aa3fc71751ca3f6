"""What a raster fire leaves behind and what it means on the road network: the record of
ignitions shared by the fire models, and the forest damage rate and fire grade.

A fire model (the Alexandridis automaton in :mod:`.model`, the Rothermel minimum-travel-time
fire in :mod:`.spread`) logs every cell it ignites with the step it ignited at, in order; a cell
burns for ``_burn_steps`` steps from then. Everything else is read from that record: the
burning front, the burned area, the forest damage rate (森林火灾受害率), road closures near
burning cells, people threatened within the evacuation distance, affected where the fire reaches
their cell or a neighbour, and the maps. Asking for an earlier time than the fire has run to is
answered exactly from the record.

Detection: a fire is reported ``detected_s()`` after ignition (:mod:`.attack` draws it by
method; a model without detection methods reports at its first ignition); crews are sent only
from then on.
"""
from __future__ import annotations

import math
from abc import abstractmethod
from enum import IntEnum
from typing import Any, Sequence

import numpy as np

from network.checks import positive
from network.elevation import edge_sample_points
from network.errors import InputError
from network.hazard import (
    AFFECTED, LETHAL, THREATENED, AffectedPeople, FieldClass, FieldStyle, FireLine, Footprint, Hazard,
    HazardState, Zone,
)
from network.model import RoadNetwork
from network.raster import Raster, mask_polygons

from . import kernels as K
from .attack import hike_minutes

NEVER = int(K.NEVER)
#: cell states in the ``state`` raster
UNBURNABLE, BURNABLE, BURNING, BURNED = 0, 1, 2, 3


# ---------------------------------------------------------------------- damage rate and grading
class FireGrade(IntEnum):
    """森林火灾等级 (森林防火条例 2008 第四十条; §2.4, tagged [M] there)."""

    GENERAL = 1  # 一般: < 1 ha, or 1–2 deaths, 1–9 serious injuries
    LARGE = 2  # 较大: 1–100 ha, 3–9 deaths, 10–49 injuries
    MAJOR = 3  # 重大: 100–1000 ha, 10–29 deaths, 50–99 injuries
    ESPECIALLY_MAJOR = 4  # 特别重大: ≥ 1000 ha, ≥ 30 deaths, ≥ 100 injuries

    @property
    def zh(self) -> str:
        """The grade's Chinese name as the regulation writes it."""
        return {1: "一般森林火灾", 2: "较大森林火灾", 3: "重大森林火灾", 4: "特别重大森林火灾"}[int(self)]


def fire_grade(burned_forest_ha: float, deaths: int = 0, serious_injuries: int = 0) -> FireGrade:
    """Grade of a forest fire; the highest grade any criterion reaches.

    The regulation's "以上" includes the bound and "以下" excludes it: 1 ha is 较大, 100 ha 重大.
    """
    by_area = 1 + int(burned_forest_ha >= 1) + int(burned_forest_ha >= 100) + int(burned_forest_ha >= 1000)
    by_deaths = 1 + int(deaths >= 3) + int(deaths >= 10) + int(deaths >= 30)
    by_injuries = 1 + int(serious_injuries >= 10) + int(serious_injuries >= 50) + int(serious_injuries >= 100)
    return FireGrade(max(by_area, by_deaths, by_injuries))


def damage_rate_permille(burned_forest_area: float, forest_area: float) -> float:
    """森林火灾受害率 = burned forest area / forest area × 1000 (‰); 0 where there is no forest."""
    if forest_area <= 0:
        return 0.0
    return 1000.0 * burned_forest_area / forest_area


def combined_damage_rate_permille(fires: Sequence[RasterFire], time_s: float) -> float:
    """The district's 森林火灾受害率 (‰) when several fires burn: the forest any of them burned
    by ``time_s`` over the forest area. Fires on one raster count a cell they both burned once;
    fires on different rasters add their rates. NaN without fires."""
    if not fires:
        return math.nan
    by_grid: dict[tuple, list[RasterFire]] = {}
    for f in fires:
        by_grid.setdefault((f.shape, f.grid.x0, f.grid.y0, f.cellsize), []).append(f)
    total = 0.0
    for group in by_grid.values():
        burned = np.unique(np.concatenate([f.burned_forest_cells(time_s) for f in group]))
        total += damage_rate_permille(burned.size * group[0].cellsize**2 / 1e4, group[0].forest_area_ha)
    return total


# ---------------------------------------------------------------------- helpers
def _buckets(px: np.ndarray, py: np.ndarray, min_size: float):
    """Points bucketed on a square grid (CSR) for :func:`fire_kernels.mark_near_cells`."""
    if len(px) == 0:
        return np.zeros(2, np.int64), np.zeros(0, np.int64), 0.0, 0.0, 1.0, 1, 1
    bx0, by0 = float(px.min()), float(py.min())
    span = max(float(np.ptp(px)), float(np.ptp(py)), 1.0)
    size = max(min_size, span / 1000.0)  # at most ~1000 x 1000 buckets
    nbx = int(np.ptp(px) // size) + 1
    nby = int(np.ptp(py) // size) + 1
    bid = np.floor((py - by0) / size).astype(np.int64) * nbx + np.floor((px - bx0) / size).astype(np.int64)
    order = np.argsort(bid, kind="stable")
    indptr = np.zeros(nbx * nby + 1, np.int64)
    np.cumsum(np.bincount(bid, minlength=nbx * nby), out=indptr[1:])
    return indptr, order.astype(np.int64), bx0, by0, size, nbx, nby



# ---------------------------------------------------------------------- the record
class RasterFire(Hazard):
    """A fire on a raster as a hazard on a road network, read from its record of ignitions.

    Subclasses set ``grid`` (the fuel raster), ``shape``, ``cellsize``, ``step_s``, ``_elev``,
    ``_burnable`` and ``_forest`` (bool per cell), ``_burn_steps`` (how many steps a cell burns),
    ``road_buffer_m``, ``evacuation_m``, ``lethal``, the record arrays (``_ign`` step per cell,
    ``_log`` cells in ignition order, ``_log_step`` their steps, ``_n_logged``, ``_step``) and
    the ignition schedule (``_sched_cell``, ``_sched_step``); they implement
    :meth:`advance_to_step` (calling :meth:`_mark_threatened` after logging) and
    :meth:`crews_on_line`.

    On the network: an edge is closed (factor 0) while a sample point along it lies within
    ``road_buffer_m`` of a burning cell's square; a node with people is THREATENED from the
    first step a burning cell comes within ``evacuation_m`` (and stays so), AFFECTED from the
    step its own cell or one of its 8 neighbours ignites, and with ``lethal=True`` LETHAL from
    the step the front reaches its own cell. Each node with people has one record, at the
    highest severity reached.
    """

    kind = "fire"
    label_zh, label_en = "森林火灾", "forest fire"
    name = "forest fire"
    _burn_steps: int = 1
    _detected_s: float | None = None

    @abstractmethod
    def advance_to_step(self, n: int) -> None:
        """Run the fire up to step ``n`` (no-op if already there)."""

    @abstractmethod
    def crews_on_line(self, time_s: float, crews: Sequence[tuple[float, float, int]], *,
                      radius_m: float, factor: float) -> None:
        """The crews working on the line from ``time_s``: ``(x, y, persons)`` each (empty: none).

        ``radius_m`` and ``factor`` are the simulation's suppression parameters for models that
        suppress round the crews' positions; a model with line production ignores them.
        """

    def detected_s(self) -> float:
        """When the fire is reported (s): its first ignition unless the model draws a delay."""
        return self.first_ignition()[0] if self._detected_s is None else self._detected_s

    def line_point(self, time_s: float, rng: np.random.Generator) -> tuple[float, float] | None:
        """A random cell of the burning front (None when nothing burns): the automaton's crews
        suppress round the point they stand on."""
        fx, fy = self.front_xy(time_s)
        if not len(fx):
            return None
        k = int(rng.integers(len(fx)))
        return float(fx[k]), float(fy[k])

    def hike_s(self, from_xy: tuple[float, float], to_xy: tuple[float, float]) -> float:
        """Seconds to walk from a road node to the fire line (Tobler's hiking function, off
        path, with the climb from the DEM)."""
        (x0, y0), (x1, y1) = from_xy, to_xy
        z = [self._elevation_at(x0, y0), self._elevation_at(x1, y1)]
        return 60.0 * hike_minutes(math.hypot(x1 - x0, y1 - y0), z[1] - z[0], off_path=True)

    def _elevation_at(self, x: float, y: float) -> float:
        row, col = self.grid.cell_of(x, y)
        if row < 0 or not np.isfinite(self._elev[row, col]):
            return 0.0
        return float(self._elev[row, col])

    def attack_summary(self, time_s: float) -> dict[str, Any]:
        """When the fire was reported; a model without a containment model says so."""
        t = self.detected_s()
        return {"detected_h": round(t / 3600.0, 3) if math.isfinite(t) else None, "detected_by": None,
                "contained": None, "contained_h": None,
                "note": "the automaton has no containment model: crews cut the ignition probability round them"}

    def _mark_threatened(self) -> None:
        """The first time a burning cell comes within the evacuation distance of each node."""
        if self.net is not None and self._n_logged > self._thr_done:
            px, py, *b = self._nodes
            K.mark_near_cells(self._log[self._thr_done:self._n_logged], self._log_step[self._thr_done:self._n_logged],
                              self.shape[1], self.grid.x0, self.grid.y0, self.cellsize, px, py, *b,
                              self.evacuation_m, self._thr_step)
            self._thr_done = self._n_logged


    def _check_ignitions(self, ignitions) -> tuple[np.ndarray, np.ndarray]:
        try:
            items = list(ignitions)
        except TypeError:
            raise InputError(f"ignitions must be a list of (x, y) or (x, y, t_s), got {ignitions!r}") from None
        if not items:
            raise InputError("ignitions: at least one ignition point is needed")
        cells, steps = [], []
        xmin, xmax, ymin, ymax = self.grid.extent
        for i, item in enumerate(items):
            try:
                vals = [float(v) for v in item]
            except (TypeError, ValueError):
                raise InputError(f"ignitions[{i}] must be (x, y) or (x, y, t_s) numbers, got {item!r}") from None
            if len(vals) not in (2, 3) or not all(np.isfinite(vals)):
                raise InputError(f"ignitions[{i}] must be (x, y) or (x, y, t_s) finite numbers, got {item!r}")
            x, y = vals[0], vals[1]
            t = vals[2] if len(vals) == 3 else 0.0
            if t < 0:
                raise InputError(f"ignitions[{i}]: time {t} s is negative")
            if t / self.step_s > 2**31 - 16:
                raise InputError(f"ignitions[{i}]: time {t} s is beyond the automaton's range of steps")
            row, col = self.grid.cell_of(x, y)
            if row < 0:
                raise InputError(f"ignitions[{i}]: ({x:.1f}, {y:.1f}) lies outside the vegetation raster "
                                 f"(x {xmin:.0f}..{xmax:.0f}, y {ymin:.0f}..{ymax:.0f})")
            cell = int(row) * self.shape[1] + int(col)
            if not self._burnable.reshape(-1)[cell]:
                raise InputError(f"ignitions[{i}]: ({x:.1f}, {y:.1f}) lies on unburnable ground "
                                 f"(vegetation NONE: water, built-up or bare)")
            cells.append(cell)
            steps.append(int(np.ceil(t / self.step_s - 1e-9)))
        order = np.argsort(steps, kind="stable")
        return np.asarray(cells, np.int32)[order], np.asarray(steps, np.int32)[order]

    def _setup_network(self, net: RoadNetwork | None, edge_step_m: float | None) -> None:
        nrows, ncols = self.shape
        if net is None:
            self._thr_step = np.zeros(0, np.int32)
            return
        step_m = self.cellsize / 2 if edge_step_m is None else positive("edge_step_m", edge_step_m)
        px, py, self._edge_of = edge_sample_points(net, step_m)
        self._pts = (px, py, *_buckets(px, py, self.road_buffer_m + self.cellsize))
        self._nodes = (net.x, net.y, *_buckets(net.x, net.y, self.evacuation_m + self.cellsize))
        self._thr_step = np.full(net.n_nodes, NEVER, np.int32)
        self._thr_done = 0
        # the node's cell and its 8 neighbours (-1: outside the grid)
        row, col = self.grid.cell_of(net.x, net.y)
        nb = np.full((net.n_nodes, 9), -1, np.int64)
        inside = row >= 0
        j = 0
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                r, c = row + dr, col + dc
                ok = inside & (r >= 0) & (r < nrows) & (c >= 0) & (c < ncols)
                nb[ok, j] = r[ok] * ncols + c[ok]
                j += 1
        self._node_nb = nb
        self._node_cell = np.where(inside, row * ncols + col, -1)

    # ------------------------------------------------------------------ time
    def step_of(self, time_s: float) -> int:
        """The automaton step in force at ``time_s`` (step n covers [n, n+1) × step_s)."""
        try:
            t = float(time_s)
        except (TypeError, ValueError):
            raise InputError(f"time_s must be a number, got {time_s!r}") from None
        if not np.isfinite(t) or t < 0:
            raise InputError(f"time_s must be finite and >= 0, got {time_s!r}")
        return int(np.floor(t / self.step_s + 1e-9))

    @property
    def current_step(self) -> int:
        """The step the automaton has been run to."""
        return self._step

    # ------------------------------------------------------------------ queries
    def _count_by(self, n: int) -> int:
        """Cells ignited at or before step n."""
        return int(np.searchsorted(self._log_step[:self._n_logged], n, side="right"))

    def _front_at(self, n: int) -> np.ndarray:
        """Cells burning at step ``n``: ignited in the last ``_burn_steps`` steps."""
        lo = int(np.searchsorted(self._log_step[:self._n_logged], n - self._burn_steps + 1, side="left"))
        return self._log[lo:self._count_by(n)]

    def front_cells(self, time_s: float | None = None) -> np.ndarray:
        """Flat indices of the cells burning at ``time_s`` (default: the current step)."""
        n = self._step if time_s is None else self.step_of(time_s)
        self.advance_to_step(n)
        return self._front_at(n).copy()

    def front_xy(self, time_s: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Centres of the burning cells."""
        c = self.front_cells(time_s)
        ncols = self.shape[1]
        return (self.grid.x0 + (c % ncols + 0.5) * self.cellsize, self.grid.y0 + (c // ncols + 0.5) * self.cellsize)

    def burned_area_m2(self, time_s: float | None = None) -> float:
        """Area ignited so far (burning + burned)."""
        n = self._step if time_s is None else self.step_of(time_s)
        self.advance_to_step(n)
        return self._count_by(n) * self.cellsize**2

    def burned_area_series(self) -> tuple[np.ndarray, np.ndarray]:
        """(time_s, burned area m²) for every step from 0 to the current one."""
        counts = np.bincount(self._log_step[:self._n_logged], minlength=self._step + 1)[: self._step + 1]
        return np.arange(self._step + 1) * self.step_s, np.cumsum(counts) * self.cellsize**2

    @property
    def forest_area_ha(self) -> float:
        """Forest on the raster (cells of ``forest_types``), in ha."""
        return float(self._forest.sum()) * self.cellsize**2 / 1e4

    def burned_forest_ha(self, time_s: float | None = None) -> float:
        """Forest ignited by ``time_s`` (default: the current step), in ha."""
        return float(self.burned_forest_cells(time_s).size) * self.cellsize**2 / 1e4

    def burned_forest_cells(self, time_s: float | None = None) -> np.ndarray:
        """Flat indices of the forest cells ignited by ``time_s`` (default: the current step)."""
        n = self._step if time_s is None else self.step_of(time_s)
        self.advance_to_step(n)
        cells = self._log[:self._count_by(n)]
        return cells[self._forest[cells]]

    def damage_rate_permille(self, time_s: float | None = None) -> float:
        """This event's 森林火灾受害率: burned forest / forest on the raster, in ‰.

        Parameters
        ----------
        time_s
            Simulation time (default: the current step); the automaton runs on to it.

        Returns
        -------
        float
            ``1000 × burned forest / forest``; 0 when the raster has no forest.

        Raises
        ------
        InputError
            When ``time_s`` is negative or not a finite number.
        """
        return damage_rate_permille(self.burned_forest_ha(time_s), self.forest_area_ha)

    def grade(self, time_s: float | None = None, deaths: int = 0, serious_injuries: int = 0) -> FireGrade:
        """The fire's grade (:func:`fire_grade`) from the forest burned by ``time_s`` and the casualties given."""
        return fire_grade(self.burned_forest_ha(time_s), deaths, serious_injuries)

    def summary(self, time_s: float | None = None) -> dict:
        """Burned area, forest damage rate and grade at ``time_s``, for reports.

        Parameters
        ----------
        time_s
            Simulation time (default: the current step); the automaton runs on to it.

        Returns
        -------
        dict
            ``time_s`` (the start of the step in force), ``burned_ha``, ``burning_cells``,
            ``burned_forest_ha``, ``forest_ha``, ``damage_rate_permille``, ``grade`` (the
            :class:`FireGrade` name in lower case) and ``grade_zh``.

        Raises
        ------
        InputError
            When ``time_s`` is negative or not a finite number.
        """
        g = self.grade(time_s)
        return {
            "time_s": float(self._step if time_s is None else self.step_of(time_s)) * self.step_s,
            "burned_ha": self.burned_area_m2(time_s) / 1e4,
            "burning_cells": int(len(self.front_cells(time_s))),
            "burned_forest_ha": self.burned_forest_ha(time_s),
            "forest_ha": self.forest_area_ha,
            "damage_rate_permille": self.damage_rate_permille(time_s),
            "grade": g.name.lower(),
            "grade_zh": g.zh,
        }

    def state(self, time_s: float, *, fields: bool = True) -> HazardState:
        """Road closures, burning nodes, people affected/threatened and (with ``fields``) the
        ``state`` and ``burned_at_s`` rasters at ``time_s``.

        Parameters
        ----------
        time_s
            Simulation time; the automaton runs on to its step, or an earlier step is read
            from the record.
        fields
            Also build the rasters (the simulation asks without).

        Returns
        -------
        HazardState
            Edge factor 0 on edges near a burning cell, node level 1 on nodes whose cell burns,
            the people by severity (all empty without a network), and the rasters.

        Raises
        ------
        InputError
            When ``time_s`` is negative or not a finite number.
        """
        n = self.step_of(time_s)
        self.advance_to_step(n)
        front = self._front_at(n)
        rasters = self._rasters(n, front) if fields else {}
        if self.net is None:
            return HazardState(float(time_s), np.ones(0), np.zeros(0), AffectedPeople.empty(), rasters)
        return HazardState(float(time_s), self._edge_factor(front), self._node_level(n),
                           self._affected(n), rasters)

    def _rasters(self, n: int, front: np.ndarray) -> dict[str, Raster]:
        """Cell states (0 unburnable, 1 burnable, 2 burning, 3 burned) and ignition times at step ``n``."""
        ignited = self._log[:self._count_by(n)]
        state = np.where(self._burnable, BURNABLE, UNBURNABLE).astype(np.int8)
        state.reshape(-1)[ignited] = BURNED
        state.reshape(-1)[front] = BURNING
        burned_at = np.full(self.shape, np.nan)
        burned_at.reshape(-1)[ignited] = self._log_step[:len(ignited)] * self.step_s
        return {"state": self.grid.like(state), "burned_at_s": self.grid.like(burned_at)}

    # ------------------------------------------------------------------ the hazard interface
    def fire_line(self) -> FireLine:
        """Crews fight this fire on its front (:meth:`front_xy`, :meth:`set_suppression`)."""
        return self

    @property
    def field_style(self) -> FieldStyle:
        """Burning cells in orange, burned cells in dark grey."""
        return FieldStyle("林火", "forest fire", classes=(
            FieldClass(BURNING, "#ff5500", "燃烧中", "burning"), FieldClass(BURNED, "#3b3b3b", "已过火", "burned")))

    def map_field(self, state: HazardState, time_s: float) -> Raster | None:
        """The cell-state raster of ``state``."""
        return state.fields.get("state")

    def footprint(self, times_s: Sequence[float]) -> Footprint:
        """The burned and the burning area at the last of ``times_s``."""
        t = float(max(times_s))
        state = self.state(t).fields["state"]
        zones = []
        for code, label_en, label_zh, legend_zh, legend_en, colour in (
                (BURNED, "burned", "已过火", "林火过火区", "burned area", "#3b3b3b"),
                (BURNING, "burning", "燃烧中", "燃烧中", "burning", "#ff5500")):
            mask = state.values == code
            if not mask.any():
                continue
            geom = mask_polygons(mask, state)
            zones.append(Zone(geom, legend_zh, legend_en, colour, {
                "state": label_en, "state_zh": label_zh, "area_ha": round(float(geom.area) / 1e4, 2),
                "time_h": round(t / 3600.0, 3)}))
        crs = self.net.crs if self.net is not None else self.grid.crs
        return Footprint("forest fire footprint", crs, tuple(zones), field=state, style=self.field_style)

    def indicators(self, times_s: Sequence[float]) -> dict[str, Any]:
        """Burned area, forest damage rate (‰) and fire grade at the last of ``times_s``."""
        s = self.summary(float(max(times_s)))
        return {k: s[k] for k in ("burned_ha", "burned_forest_ha", "forest_ha", "damage_rate_permille", "grade",
                                  "grade_zh")}

    def first_ignition(self) -> tuple[float, float, float]:
        """``(time_s, x, y)`` of the earliest scheduled ignition."""
        k = int(np.argmin(self._sched_step))
        c = int(self._sched_cell[k])
        ncols = self.shape[1]
        return (float(self._sched_step[k]) * self.step_s,
                self.grid.x0 + (c % ncols + 0.5) * self.cellsize, self.grid.y0 + (c // ncols + 0.5) * self.cellsize)

    def _edge_factor(self, front: np.ndarray) -> np.ndarray:
        factor = np.ones(self.net.n_edges)
        if len(front) == 0:
            return factor
        px, py, *b = self._pts
        hit = np.full(len(px), NEVER, np.int32)
        K.mark_near_cells(front, np.zeros(len(front), np.int32), self.shape[1], self.grid.x0, self.grid.y0,
                          self.cellsize, px, py, *b, self.road_buffer_m, hit)
        factor[self._edge_of[hit != NEVER]] = 0.0
        return factor

    def _node_level(self, n: int) -> np.ndarray:
        cell = self._node_cell
        level = np.zeros(len(cell))
        inside = cell >= 0
        ign = self._ign[cell[inside]]
        level[inside] = ((ign <= n) & (ign > n - self._burn_steps)).astype(float)
        return level

    def _affected(self, n: int) -> AffectedPeople:
        nb = self._node_nb
        aff_step = np.where(nb >= 0, self._ign[np.maximum(nb, 0)], NEVER).min(axis=1)
        aff = aff_step <= n
        thr = self._thr_step <= n
        cell = self._node_cell
        own_step = np.where(cell >= 0, self._ign[np.maximum(cell, 0)], NEVER)
        leth = (own_step <= n) if self.lethal else np.zeros(len(cell), bool)
        pop = self.net.population
        node = np.flatnonzero((aff | thr) & (pop > 0))
        since = np.select([leth[node], aff[node]], [own_step[node], aff_step[node]], self._thr_step[node])
        since = since.astype(float) * self.step_s
        sev = np.select([leth[node], aff[node]], [LETHAL, AFFECTED], THREATENED).astype(np.int8)
        return AffectedPeople(node.astype(np.int64), pop[node].astype(float), since, sev)

