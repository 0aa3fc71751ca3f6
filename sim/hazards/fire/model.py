"""Forest fire: the Alexandridis et al. (2008) cellular automaton on a vegetation raster.

Model (docs/references/hazards.md §2.1; wind §2.2, slope §2.3, parameters §2.4). Square cells, Moore neighbourhood. A cell is unburnable,
burnable, burning or burned; a burning cell burns for exactly one step and then is burned, and
during that step it ignites each burnable neighbour independently with

    p_burn = p_h (1 + p_veg)(1 + p_den) p_w p_s          (eq. 1)
    p_w    = exp(c1 V) exp(V c2 (cos θ - 1))              (eq. 3; θ between spread and wind)
    p_s    = exp(a θ_s),  θ_s = atan((E_target - E_burning) / l)   in degrees   (eqs. 4b, 5)

with l the cell side (l√2 for diagonal neighbours), p_veg and p_den from the *target* cell and
the published parameters p_h = 0.58, a = 0.078 /°, c1 = 0.045 s/m, c2 = 0.131 (Table 4).
The paper does not bound the product; dense pine down-wind exceeds 1, so **p_burn is clamped
to 1** here. Wind is meteorological: ``wind_from_deg`` is where it blows *from* (0 = north,
90 = east), so θ = 0 for spread towards ``wind_from_deg + 180``.

Time. The automaton advances at most one cell per step, so a step lasts the time a head fire
needs to cross one cell: ``step_s = cellsize / spread_rate`` with a nominal maximum spread rate
(default 3 m/min, a moderate surface fire in pine/shrub: about 2 km of head-fire run in 11 h,
the order of the Spetses fire's 5.9 km² in 11 h). Give ``step_s`` to override it. Cells ignite
at step boundaries: an ignition at ``t_s`` burns from the first step at or after it.

Randomness. Every ignition decision draws ``u = hash(key, step, cell)`` (a counter-based
splitmix64 hash); ``key`` comes from the seeded ``numpy.random.Generator``. The front-only
numba kernel and the whole-grid numpy reference :func:`_step_reference` therefore make the
same decisions, and a seed always gives the same burned map. Several burning neighbours are
independent trials, so a candidate ignites with ``1 - Π(1 - p_burn)`` on one draw.

Suppression. In cells where crews work (:meth:`ForestFire.set_suppression`) an ignition that
would happen succeeds only with probability ``factor``: the cell's ignition probability is
multiplied by it. Spotting (eqs. 6–7) is not modelled: the paper gives no values for λ, p_c0
and p_cd.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from network.checks import finite, non_negative, positive
from network.errors import InputError
from network.model import RoadNetwork
from network.raster import Raster

from . import kernels as K
from .record import (  # noqa: F401  (re-exported: the damage rate and grade were first defined here)
    BURNABLE, BURNED, BURNING, NEVER, UNBURNABLE, FireGrade, RasterFire, _buckets, combined_damage_rate_permille,
    damage_rate_permille, fire_grade,
)


class Vegetation(IntEnum):
    """Vegetation-type codes of the ``vegetation`` raster (Alexandridis 2008, Table 3).

    NaN cells count as NONE. Which types are forest for the damage rate: :data:`FOREST_TYPES`.
    """

    NONE = 0  #: water, built-up, roads, bare rock: no fuel, never burns
    AGRICULTURAL = 1  #: fields, orchards, grass (p_veg -0.3)
    THICKETS = 2  #: shrubland, maquis (p_veg 0)
    PINE = 3  #: forest: pine / conifer / mixed stands (paper: Hallepo pine, p_veg +0.4)
    SHRUB = 2  #: alias of THICKETS
    FOREST = 3  #: alias of PINE

#: types whose area counts as forest (森林面积) for the damage rate. China's statistics also count
#: specially designated shrub forest land; pass ``forest_types=(PINE, THICKETS)`` for that reading.
FOREST_TYPES: frozenset[Vegetation] = frozenset({Vegetation.PINE})


class Density(IntEnum):
    """Vegetation-density codes of the ``density`` raster (Alexandridis 2008, Table 2)."""

    SPARSE = 0  #: p_den -0.4
    NORMAL = 1  #: p_den 0
    DENSE = 2  #: p_den +0.3


@dataclass(frozen=True)
class AlexandridisParams:
    """Published parameters (Table 4, optimised on the Spetses 1990 fire) and Tables 2–3."""

    p_h: float = 0.58
    a: float = 0.078  # per degree of slope
    c1: float = 0.045  # s/m
    c2: float = 0.131  # s/m
    p_veg: Mapping[int, float] = field(default_factory=lambda: {
        Vegetation.AGRICULTURAL: -0.3, Vegetation.THICKETS: 0.0, Vegetation.PINE: 0.4})
    p_den: Mapping[int, float] = field(default_factory=lambda: {
        Density.SPARSE: -0.4, Density.NORMAL: 0.0, Density.DENSE: 0.3})


DEFAULT_PARAMS = AlexandridisParams()


# ---------------------------------------------------------------------- the published formulas
def wind_factor(wind_speed_m_s, theta_deg, params: AlexandridisParams = DEFAULT_PARAMS):
    """p_w = exp(c1 V) exp(V c2 (cos θ - 1)); θ between spread direction and wind (eq. 3)."""
    v = np.asarray(wind_speed_m_s, float)
    cos_t = np.cos(np.radians(theta_deg))
    return np.exp(params.c1 * v) * np.exp(v * params.c2 * (cos_t - 1.0))


def slope_angle_deg(dz_m, cellsize_m: float, diagonal=False):
    """θ_s = atan(dz / l) (adjacent) or atan(dz / (l√2)) (diagonal), in degrees (eq. 5).

    ``dz_m`` = elevation of the cell to be ignited minus that of the burning cell.
    """
    dist = cellsize_m * np.where(diagonal, np.sqrt(2.0), 1.0)
    return np.degrees(np.arctan(np.asarray(dz_m, float) / dist))


def slope_factor(slope_deg, params: AlexandridisParams = DEFAULT_PARAMS):
    """p_s = exp(a θ_s) with θ_s in degrees (eq. 4b)."""
    return np.exp(params.a * np.asarray(slope_deg, float))


def p_burn(vegetation, density, wind_speed_m_s=0.0, theta_deg=0.0, slope_deg=0.0,
           params: AlexandridisParams = DEFAULT_PARAMS):
    """p_burn of eq. 1 for a target cell's vegetation/density codes, **clamped to 1**.

    Unburnable vegetation (``Vegetation.NONE``) gives 0.
    """
    veg = np.asarray(vegetation, np.int64)
    den = np.asarray(density, np.int64)
    pveg = np.vectorize(lambda c: params.p_veg.get(int(c), -1.0), otypes=[float])(veg)
    pden = np.vectorize(lambda c: params.p_den.get(int(c), 0.0), otypes=[float])(den)
    p = (params.p_h * (1.0 + pveg) * (1.0 + pden)
         * wind_factor(wind_speed_m_s, theta_deg, params) * slope_factor(slope_deg, params))
    p = np.minimum(p, 1.0)
    return p if p.ndim else float(p)


def transition_table(veg: np.ndarray, den: np.ndarray, elev: np.ndarray, cellsize: float,
                     wind_speed_m_s: float, wind_from_deg: float,
                     params: AlexandridisParams = DEFAULT_PARAMS) -> np.ndarray:
    """``q[row, col, k] = 1 - p_burn`` for spread into (row, col) from its neighbour ``-k``.

    float32, shape (nrows, ncols, 8); the neighbour order is ``fire_kernels.DR/DC``. Cells
    that cannot burn get q = 1. Computed once per fire: wind and terrain are static.
    """
    nrows, ncols = veg.shape
    base = np.zeros(veg.shape)
    pv = np.full(veg.shape, np.nan)
    for code, val in params.p_veg.items():
        pv[veg == code] = val
    pd = np.zeros(veg.shape)
    for code, val in params.p_den.items():
        pd[den == code] = val
    burn = (veg != Vegetation.NONE) & np.isfinite(pv)
    base[burn] = params.p_h * (1.0 + pv[burn]) * (1.0 + pd[burn])
    e_pad = np.pad(np.where(np.isfinite(elev), elev, 0.0), 1, mode="edge")
    wind_to = np.radians(wind_from_deg + 180.0)
    q = np.empty((nrows, ncols, 8), np.float32)
    for k in range(8):
        dr, dc = int(K.DR[k]), int(K.DC[k])
        # spread azimuth (clockwise from north) of source -> target is atan2(east, north)
        theta = np.arctan2(dc, dr) - wind_to
        pw = float(wind_factor(wind_speed_m_s, np.degrees(theta), params))
        src_elev = e_pad[1 - dr:1 - dr + nrows, 1 - dc:1 - dc + ncols]
        ps = slope_factor(slope_angle_deg(elev - src_elev, cellsize, diagonal=bool(dr and dc)), params)
        p = np.minimum(base * pw * ps, 1.0)  # clamp: the paper's product can exceed 1
        q[:, :, k] = np.where(burn & np.isfinite(p), 1.0 - p, 1.0)
    return q



# ---------------------------------------------------------------------- numpy reference
def _mix_int(z: int) -> int:
    m = (1 << 64) - 1
    z &= m
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
    return z ^ (z >> 31)


def _mix_np(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _hash_uniform_np(key: int, step: int, cells: np.ndarray) -> np.ndarray:
    """numpy twin of ``fire_kernels.hash_uniform``: one uniform [0, 1) per (key, step, cell)."""
    h = np.uint64(_mix_int(int(key) + int(step) * 0x9E3779B97F4A7C15))
    z = _mix_np(h + np.asarray(cells).astype(np.uint64) * np.uint64(0xD1B54A32D192ED03))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def _q_by_direction(q_table: np.ndarray) -> np.ndarray:
    """(nrows, ncols, 8) -> contiguous (8, nrows, ncols), the layout whole-grid shifts want."""
    return np.ascontiguousarray(np.moveaxis(q_table, -1, 0))


def _step_reference(ign_step: np.ndarray, q_dir: np.ndarray, supp: np.ndarray, burnable: np.ndarray,
                    step: int, key: int, scheduled: Sequence[int] = ()) -> int:
    """One automaton step on the whole grid with numpy (the kernel's reference).

    ``ign_step`` (nrows, ncols) int32 is updated in place from ``step`` to ``step + 1``; cells
    with ``ign_step == step`` are burning. ``q_dir`` from :func:`_q_by_direction`. ``scheduled``
    are flat cells ignited at ``step + 1`` if still unburned. Returns the number ignited.
    """
    nrows, ncols = ign_step.shape
    burning = ign_step == step
    q = np.ones((nrows, ncols))
    for k in range(8):
        dr, dc = int(K.DR[k]), int(K.DC[k])
        # target (r, c) is reached from source (r - dr, c - dc)
        tr = slice(max(dr, 0), nrows + min(dr, 0))
        sr = slice(max(-dr, 0), nrows + min(-dr, 0))
        tc = slice(max(dc, 0), ncols + min(dc, 0))
        sc = slice(max(-dc, 0), ncols + min(-dc, 0))
        view = q[tr, tc]
        np.multiply(view, q_dir[k][tr, tc], out=view, where=burning[sr, sc])
    flat = ign_step.reshape(-1)
    cand = np.flatnonzero((q.reshape(-1) < 1.0) & burnable.reshape(-1) & (flat == NEVER))
    prob = (1.0 - q.reshape(-1)[cand]) * supp.reshape(-1)[cand]
    hit = cand[_hash_uniform_np(key, step + 1, cand) < prob]
    flat[hit] = step + 1
    n = len(hit)
    for c in scheduled:
        if flat[c] == NEVER:
            flat[c] = step + 1
            n += 1
    return n



# ---------------------------------------------------------------------- the hazard
class ForestFire(RasterFire):
    """A forest fire on a vegetation raster, as a hazard on a road network.

    ``dem``, ``vegetation`` and ``density`` share one grid (same shape, origin and cell size).
    ``ignitions`` are ``(x, y)`` or ``(x, y, t_s)`` in the network CRS; an ignition starts at
    the first step at or after ``t_s``. ``net`` may be None for a bare automaton.

    :meth:`state` advances the automaton as far as asked. Asking for an earlier time than
    before is answered exactly from the recorded ignition steps (every cell burns for exactly
    one step, so the record holds the whole history); only suppression set later does not
    rewrite the past. On the network: an edge is closed (factor 0) while a sample point along
    it lies within ``road_buffer_m`` of a burning cell's square; a node with people is
    THREATENED from the first step a burning cell comes within ``evacuation_m`` (and stays
    so), AFFECTED from the step its own cell or one of its 8 neighbours ignites, and with
    ``lethal=True`` LETHAL from the step the front reaches its own cell (the exposure proxy for
    people still there). Each node with people has one record, at the highest severity reached.

    Parameters
    ----------
    net
        The road network (None: the automaton alone, with no edges, nodes or people).
    dem, vegetation, density
        Rasters on one grid: elevation (m), :class:`Vegetation` codes (NaN: no fuel) and
        :class:`Density` codes.
    ignitions
        ``(x, y)`` or ``(x, y, t_s)`` points on burnable cells, in the network's CRS.
    wind_speed_m_s, wind_from_deg
        The 10-m wind and where it blows from (degrees clockwise from north); constant.
    step_s
        Seconds per automaton step (default: one cell at ``spread_rate_m_min``).
    spread_rate_m_min
        Nominal maximum spread rate that sets the default step.
    seed
        An integer or a ``numpy.random.Generator``; one key is drawn from it.
    params
        The automaton's parameters (default: the published ones).
    road_buffer_m
        An edge closes while a point on it lies this close to a burning cell.
    evacuation_m
        A node is THREATENED once a burning cell comes this close.
    forest_types
        Vegetation codes that count as forest for the damage rate (default
        :data:`FOREST_TYPES`).
    edge_step_m
        Spacing of the sample points along edges (default: half a cell).
    lethal
        Mark people in a burning cell LETHAL.

    Raises
    ------
    InputError
        On rasters that are not on one grid or CRS or hold unknown codes, a burnable cell
        without elevation, a negative wind, buffer or distance, a non-positive spread rate or
        step, bad parameters or seed, unknown forest types, or an ignition off the grid, on
        unburnable ground or at a negative time.
    """

    def __init__(
        self,
        net: RoadNetwork | None,
        dem: Raster,
        vegetation: Raster,
        density: Raster,
        ignitions: Iterable[Sequence[float]],
        *,
        wind_speed_m_s: float = 0.0,
        wind_from_deg: float = 0.0,
        step_s: float | None = None,
        spread_rate_m_min: float = 3.0,
        seed: int | np.random.Generator = 0,
        params: AlexandridisParams = DEFAULT_PARAMS,
        road_buffer_m: float = 50.0,
        evacuation_m: float = 1000.0,
        forest_types: Iterable[int] = FOREST_TYPES,
        edge_step_m: float | None = None,
        lethal: bool = False,
    ) -> None:
        veg, den, elev = self._check_rasters(net, dem, vegetation, density)
        self._elev = elev
        self.grid = vegetation
        self.shape: tuple[int, int] = veg.shape  # type: ignore[assignment]
        self.cellsize = float(vegetation.cellsize)
        self._set_spread(wind_speed_m_s, wind_from_deg, spread_rate_m_min, step_s)
        self.road_buffer_m = non_negative("road_buffer_m", road_buffer_m)
        self.evacuation_m = non_negative("evacuation_m", evacuation_m)
        self.lethal = bool(lethal)
        self.params = self._check_params(params)
        self.key = self._draw_key(seed)
        self._burnable = veg != Vegetation.NONE
        self._set_forest(veg, forest_types)
        self._q = transition_table(veg, den, elev, self.cellsize, self.wind_speed_m_s,
                                   self.wind_from_deg, params).reshape(-1, 8)
        self._start_automaton(veg.size, ignitions)
        self.net = net
        self._setup_network(net, edge_step_m)

    # ------------------------------------------------------------------ construction steps
    def _set_spread(self, wind_speed_m_s: float, wind_from_deg: float, spread_rate_m_min: float,
                    step_s: float | None) -> None:
        """Wind, and the step length: one cell at the nominal spread rate unless ``step_s`` is given."""
        self.wind_speed_m_s = non_negative("wind_speed_m_s", wind_speed_m_s)
        self.wind_from_deg = finite("wind_from_deg", wind_from_deg) % 360.0
        self.spread_rate_m_min = positive("spread_rate_m_min", spread_rate_m_min)
        self.step_s = (self.cellsize / (self.spread_rate_m_min / 60.0) if step_s is None
                       else positive("step_s", step_s))

    @staticmethod
    def _check_params(params: AlexandridisParams) -> AlexandridisParams:
        """The model parameters, checked (``p_h`` is a probability)."""
        if not isinstance(params, AlexandridisParams):
            raise InputError(f"params must be AlexandridisParams, got {type(params).__name__}")
        if not 0 < params.p_h <= 1:
            raise InputError(f"params.p_h must lie in (0, 1], got {params.p_h}")
        return params

    @staticmethod
    def _draw_key(seed: int | np.random.Generator) -> int:
        """The hash key of every ignition decision, drawn once from the seed."""
        if isinstance(seed, np.random.Generator):
            rng = seed
        else:
            try:
                rng = np.random.default_rng(seed)
            except (TypeError, ValueError) as exc:
                raise InputError(f"seed must be an integer or numpy Generator ({exc})") from None
        return int(rng.integers(0, 2**63, dtype=np.int64))

    def _set_forest(self, veg: np.ndarray, forest_types: Iterable[int]) -> None:
        """Which vegetation types count as forest, and the forest cells (for the damage rate)."""
        codes = {int(c) for c in Vegetation}
        try:
            ftypes = {int(c) for c in forest_types}
        except (TypeError, ValueError):
            raise InputError(f"forest_types must be vegetation codes, got {forest_types!r}") from None
        if not ftypes <= codes - {int(Vegetation.NONE)}:
            raise InputError(f"forest_types must be burnable vegetation codes, got {sorted(ftypes)}")
        self.forest_types = frozenset(Vegetation(c) for c in ftypes)
        self._forest = np.isin(veg, list(ftypes)).reshape(-1)

    def _start_automaton(self, n: int, ignitions: Iterable[Sequence[float]]) -> None:
        """Empty state arrays for ``n`` cells, the ignition schedule, and the ignitions at step 0."""
        self._supp = np.ones(n, np.float32)
        self._ign = np.full(n, NEVER, np.int32)
        self._log = np.zeros(n, np.int32)
        self._log_step = np.zeros(n, np.int32)
        self._nbmask = np.zeros(n, np.uint8)
        self._cand = np.zeros(n, np.int32)
        self._step = 0
        self._n_logged = 0
        self._sched_cell, self._sched_step = self._check_ignitions(ignitions)
        self._sched_ptr = 0
        # ignitions at step 0 burn from the start
        while self._sched_ptr < len(self._sched_cell) and self._sched_step[self._sched_ptr] == 0:
            c = int(self._sched_cell[self._sched_ptr])
            self._sched_ptr += 1
            if self._ign[c] == NEVER:
                self._ign[c] = 0
                self._log[self._n_logged] = c
                self._n_logged += 1
        self._front = (0, self._n_logged)

    # ------------------------------------------------------------------ validation
    @staticmethod
    def _check_rasters(net, dem, vegetation, density):
        for name, r in (("dem", dem), ("vegetation", vegetation), ("density", density)):
            if not isinstance(r, Raster):
                raise InputError(f"{name} must be a Raster, got {type(r).__name__}")
            if np.ndim(r.values) != 2 or min(r.shape) < 1:
                raise InputError(f"{name}: raster must be 2-D and non-empty, got shape {np.shape(r.values)}")
        if vegetation.values.size >= 2**31 - 1:
            raise InputError(f"vegetation: {vegetation.values.size} cells is too many (limit 2**31 - 1)")
        for name, r in (("dem", dem), ("density", density)):
            if not r.same_grid(vegetation):
                raise InputError(
                    f"{name}: grid {r.shape} at ({r.x0}, {r.y0}) cell {r.cellsize} m does not match vegetation's "
                    f"{vegetation.shape} at ({vegetation.x0}, {vegetation.y0}) cell {vegetation.cellsize} m")
            if r.crs and vegetation.crs and r.crs != vegetation.crs:
                raise InputError(f"{name}: CRS {r.crs} differs from vegetation's {vegetation.crs}")
        if net is not None:
            if not isinstance(net, RoadNetwork):
                raise InputError(f"net must be a RoadNetwork or None, got {type(net).__name__}")
            if vegetation.crs and net.crs and vegetation.crs != net.crs:
                raise InputError(f"vegetation: CRS {vegetation.crs} differs from the network's {net.crs}")
        try:
            v = np.asarray(vegetation.values, np.float64)
            d = np.asarray(density.values, np.float64)
            e = np.asarray(dem.values, np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(f"rasters must hold numbers ({exc})") from None
        known = np.array([int(c) for c in Vegetation], float)
        bad = np.isfinite(v) & ~np.isin(v, known)
        if bad.any():
            raise InputError(f"vegetation: {int(bad.sum())} cell(s) hold codes outside "
                             f"{[f'{c.name}={int(c)}' for c in Vegetation]}, e.g. {v[bad][0]!r}")
        veg = np.where(np.isfinite(v), v, 0).astype(np.int8)  # NaN: no data, no fuel
        burn = veg != Vegetation.NONE
        bad = burn & ~np.isin(d, np.array([int(c) for c in Density], float))
        if bad.any():
            raise InputError(f"density: {int(bad.sum())} burnable cell(s) hold codes outside "
                             f"{[f'{c.name}={int(c)}' for c in Density]}, e.g. {d[bad][0]!r}")
        bad = burn & ~np.isfinite(e)
        if bad.any():
            raise InputError(f"dem: {int(bad.sum())} burnable cell(s) have no elevation (NaN)")
        den = np.where(burn, d, 0).astype(np.int8)
        return veg, den, e

    def advance_to_step(self, n: int) -> None:
        """Run the automaton up to step ``n`` (no-op if already there)."""
        if n <= self._step:
            return
        (self._step, self._n_logged, lo, hi, self._sched_ptr) = K.advance(
            self._q, self._burnable.reshape(-1), self._supp, self._ign, self._log, self._log_step,
            self._nbmask, self._cand, self.shape[0], self.shape[1], self._step, self._n_logged,
            self._front[0], self._front[1], int(n), np.uint64(self.key),
            self._sched_cell, self._sched_step, self._sched_ptr)
        self._front = (lo, hi)
        self._mark_threatened()

    @property
    def is_out(self) -> bool:
        """No cell burning now and no ignition still to come."""
        return self._front[0] == self._front[1] and self._sched_ptr == len(self._sched_cell)

    # ------------------------------------------------------------------ suppression
    def set_suppression(self, mask, factor: float) -> None:
        """Crews work in ``mask`` (bool array of the grid's shape, or a Raster on the grid; None
        clears): from the next step on, ignition probability there is multiplied by ``factor``.

        Replaces any earlier suppression field.
        """
        f = non_negative("factor", factor)
        if f > 1:
            raise InputError(f"factor must lie in [0, 1], got {factor!r}")
        self._supp[:] = 1.0
        if mask is None:
            return
        if isinstance(mask, Raster):
            if not mask.same_grid(self.grid):
                raise InputError(f"mask: grid {mask.shape} does not match the fire grid {self.shape}")
            mask = np.nan_to_num(np.asarray(mask.values, float)) != 0
        m = np.asarray(mask)
        if m.shape != self.shape:
            raise InputError(f"mask has shape {m.shape}, expected the fire grid's {self.shape}")
        self._supp[m.reshape(-1).astype(bool)] = f

    def clear_suppression(self) -> None:
        """No crews anywhere from the next step on (the same as ``set_suppression(None, 1)``)."""
        self._supp[:] = 1.0

    def mask_near(self, x, y, radius_m: float) -> np.ndarray:
        """Cells whose centre lies within ``radius_m`` of any of the points (e.g. crew positions)."""
        r = non_negative("radius_m", radius_m)
        xs, ys = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float))
        cx, cy = self.grid.cell_centres()
        out = np.zeros(self.shape, bool)
        for px, py in zip(xs, ys):
            cols = np.flatnonzero(np.abs(cx - px) <= r)
            rows = np.flatnonzero(np.abs(cy - py) <= r)
            if len(cols) and len(rows):
                d2 = (cx[cols][None, :] - px) ** 2 + (cy[rows][:, None] - py) ** 2
                out[np.ix_(rows, cols)] |= d2 <= r * r
        return out

    def indicators(self, times_s: Sequence[float]) -> dict[str, Any]:
        """Burned area, damage rate and grade; the head rate is the automaton's nominal one (a cell
        per step), and containment is not modelled (crews only cut ignition round them)."""
        out = super().indicators(times_s)
        out.update(damage_permille=out["damage_rate_permille"], head_ros_m_min=self.spread_rate_m_min,
                   contained=None, contained_h=None,
                   containment_note="the automaton has no containment model: crews cut the ignition "
                                    "probability round their positions")
        return out

    def crews_on_line(self, time_s: float, crews: Sequence[tuple[float, float, int]], *,
                      radius_m: float, factor: float) -> None:
        """Crews cut the ignition probability to ``factor`` within ``radius_m`` of their positions
        from the next step on (:meth:`set_suppression`); no crews: no suppression."""
        if not crews:
            self.set_suppression(None, 1.0)
            return
        xs, ys = zip(*((c[0], c[1]) for c in crews))
        self.set_suppression(self.mask_near(np.array(xs), np.array(ys), radius_m), factor)

    def __repr__(self) -> str:
        return (f"ForestFire(grid={self.shape}, cell={self.cellsize} m, step={self.step_s:.0f} s, "
                f"wind {self.wind_speed_m_s} m/s from {self.wind_from_deg:.0f}°, at step {self._step})")
