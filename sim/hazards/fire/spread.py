"""The forest fire as a fire-behaviour analyst models it: Rothermel surface spread in every cell,
elliptical shapes from wind and slope, minimum-travel-time propagation over the raster, wind
changes re-propagated from the front, detection by method, and containment by line production.

Per cell (docs/references/hazards.md §2.10–§2.13):

1. the fuel model, canopy and moisture of the cell's vegetation type (:mod:`.fuels`);
2. slope (percent) and the upslope bearing from the DEM (central differences);
3. the midflame wind: the 10-m wind → 20-ft (÷ 1.15) × the wind adjustment factor of the fuel
   bed, sheltered by the canopy where trees close over it (Albini & Baughman 1979);
4. Rothermel (1972, Albini 1976, as BehavePlus: :func:`.surface.rothermel_table`) with the wind
   at its angle to upslope: the head rate, the direction of maximum spread (wind and slope added
   as vectors) and the length-to-breadth ratio of Anderson (1983) from the effective wind;
5. minimum travel time (Finney 2002; :func:`.travel_time.arrival_times`, 16-move stencil by
   default) gives each cell its arrival time; at each wind change the fire is re-propagated from
   its front at that instant (:func:`.travel_time.propagate`).

Attack (:mod:`.attack`): the fire is reported after the detection delay of the methods present
(lookout, camera, patrol, public, satellites). Crews on the line build line at the IRPG rate of
their crew type for the resistance of the fuel where they work, anchored at the rear and
advancing up both flanks (Fried & Fried 1996, :func:`.attack.containment_by_schedule`): the fire
they meet is the ellipse of the cells burning when the first crew starts (median head and
backing rates and L/B under the wind then), the total line rate changes as crews arrive and
leave, and the line closes at the head only if each flank's crews out-pace the spread ahead of
them. Crews come from the simulation (:meth:`crews_on_line`) or from a schedule (``crews``:
arrival time and line rate, the stand-alone initial attack). Once contained, the raster fire
stops at Fried & Fried's contained area, taking the cells it reaches first (its own shape); an
escaped fire keeps growing to the end of the run, and the summary says why it escaped.

A cell counts as burning (closing roads, drawing crews) for ``burning_min`` after the front
reaches it: flaming and smouldering behind the front (an estimate; Rothermel's residence time
of the flaming front itself is under a minute in these fuels).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from network.checks import non_negative, positive
from network.errors import InputError
from network.model import RoadNetwork
from network.raster import Raster

from .attack import Detection, containment_by_schedule, detection_time_min, line_rate_m_h
from .fuels import FuelLayers, moisture_scenario
from .record import NEVER, RasterFire
from .surface import TEN_METRE_TO_TWENTY_FOOT, get_fuel_model, rothermel_table, wind_adjustment_factor
from .travel_time import SpreadRates, arrival_times, propagate

#: fuel model of cells without fuel (Scott & Burgan NB9, bare ground: never burns)
NO_FUEL = "NB9"


def slope_and_aspect(dem: np.ndarray, cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Slope (percent) and upslope bearing (degrees clockwise from north) per cell of a DEM whose
    row 0 is the SOUTH edge (the :class:`~network.raster.Raster` convention); central differences
    inside, one-sided at the edges. NaN elevations count as their neighbours' (filled by the mean)."""
    z = np.asarray(dem, float)
    z = np.where(np.isfinite(z), z, np.nanmean(z) if np.isfinite(z).any() else 0.0)
    if min(z.shape) < 2:
        return np.zeros(z.shape), np.zeros(z.shape)
    dz_north, dz_east = np.gradient(z, cell_m)
    slope = 100.0 * np.hypot(dz_north, dz_east)
    upslope = np.degrees(np.arctan2(dz_east, dz_north)) % 360.0
    return slope, upslope


class SurfaceFire(RasterFire):
    """A Rothermel / minimum-travel-time forest fire on a district's fuels (see the module notes).

    Parameters
    ----------
    net
        The road network (None: the fire alone).
    dem
        Elevation (m) on the fuel grid.
    fuels
        The fuel rasters (:func:`.fuels.district_fuels`).
    ignitions
        ``(x, y)`` or ``(x, y, t_s)`` in the network CRS, on burnable cells.
    moisture
        A season (``"spring-dry"``), a standard scenario (``"D2L2"``) or 5 fractions.
    wind
        ``(t_s, speed_m_s, from_deg)`` of the 10-m wind from each time on (the first at 0);
        default a constant ``wind_speed_m_s`` from ``wind_from_deg``.
    horizon_s
        How far the spread is computed (the run's length).
    step_s
        The record's time step: arrival times are rounded up to it.
    burning_min
        Minutes a cell counts as burning after the front reaches it.
    neighbours
        Minimum-travel-time stencil: 16 or 32 (8 only to compare).
    detection
        Detection methods present (:data:`.attack.DETECTION_METHODS`); None: reported at ignition.
    crews
        ``(t_s, line_rate_m_h)`` of crews reaching the line on a schedule (stand-alone attack).
    crew_type
        The crew type of the simulation's forest-fire squads (``data/initial_attack.toml``).
    seed
        Seed or generator of the detection draws.
    """

    def __init__(
        self,
        net: RoadNetwork | None,
        dem: Raster,
        fuels: FuelLayers,
        ignitions: Iterable[Sequence[float]],
        *,
        moisture: str | Sequence[float] = "spring-dry",
        wind: Sequence[tuple[float, float, float]] | None = None,
        wind_speed_m_s: float = 0.0,
        wind_from_deg: float = 0.0,
        horizon_s: float = 48 * 3600.0,
        step_s: float = 300.0,
        burning_min: float = 60.0,
        neighbours: int = 16,
        detection: Sequence[str] | None = None,
        crews: Sequence[tuple[float, float]] = (),
        crew_type: str = "professional",
        seed: int | np.random.Generator = 0,
        road_buffer_m: float = 50.0,
        evacuation_m: float = 1000.0,
        edge_step_m: float | None = None,
        lethal: bool = False,
        effective_wind_limit: bool = False,
    ) -> None:
        if not isinstance(fuels, FuelLayers):
            raise InputError(f"fuels must be FuelLayers, got {type(fuels).__name__}")
        if not isinstance(dem, Raster) or not dem.same_grid(fuels.index):
            raise InputError("dem: must be a Raster on the fuel grid")
        self.grid = fuels.index
        self.shape = fuels.index.shape
        self.cellsize = float(fuels.index.cellsize)
        self.fuels = fuels
        self.moisture = moisture_scenario(moisture)
        self.moisture_name = moisture if isinstance(moisture, str) else None
        self.step_s = positive("step_s", step_s)
        self.horizon_s = positive("horizon_s", horizon_s)
        self._burn_steps = max(1, int(round(positive("burning_min", burning_min) * 60.0 / self.step_s)))
        self.road_buffer_m = non_negative("road_buffer_m", road_buffer_m)
        self.evacuation_m = non_negative("evacuation_m", evacuation_m)
        self.lethal = bool(lethal)
        self.neighbours = int(neighbours)
        self.crew_type = crew_type
        self.wind = self._check_wind(wind, wind_speed_m_s, wind_from_deg)
        self.wind_speed_m_s, self.wind_from_deg = self.wind[0][1], self.wind[0][2]
        self._elev = np.asarray(dem.values, float)
        self._burnable = fuels.burnable & np.isfinite(self._elev)
        self._forest = (fuels.per_cell("forest", False).astype(bool) & self._burnable).reshape(-1)
        self._resistance = fuels.per_cell("resistance", "")
        self._sched_cell, self._sched_step = self._check_ignitions(ignitions)
        self._ign_xy_t = [(int(c), float(s) * self.step_s) for c, s in zip(self._sched_cell, self._sched_step)]
        self._behaviour = self._spread_rates(bool(effective_wind_limit))
        self._arrival_s = self._propagate()
        self._start_record()
        self._setup_network(net, edge_step_m)
        self.net = net
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.detection: Detection | None = self._detect(detection, rng)
        self._crew_plan: list[list[float]] = []     # [start_s, end_s, rate_m_h]
        self._engine_crews: list[list[float]] = []
        #: the stand-alone initial attack's teams (:func:`.scenario.initial_attack`), for reports
        self.attack_plan: list[dict[str, Any]] = []
        self._geometry: tuple[float, float, float] | None = None
        self._prediction: dict[str, Any] | None = None
        self._stop_at: int | None = None
        self.contained_s: float | None = None
        self.contained_area_m2: float | None = None
        self.add_crews(crews)

    # ------------------------------------------------------------------ construction
    @staticmethod
    def _check_wind(wind, speed: float, from_deg: float) -> list[tuple[float, float, float]]:
        """The wind schedule: (t_s, speed, from_deg), sorted, starting at 0, each value checked."""
        items = [(0.0, speed, from_deg)] if wind is None else list(wind)
        if not items:
            raise InputError("wind: expected at least one (t_s, speed_m_s, from_deg)")
        out = []
        for i, w in enumerate(items):
            try:
                t, v, d = (float(x) for x in w)
            except (TypeError, ValueError):
                raise InputError(f"wind[{i}]: expected (t_s, speed_m_s, from_deg), found {w!r}") from None
            if not (math.isfinite(t) and t >= 0):
                raise InputError(f"wind[{i}]: time must be finite and >= 0, found {t!r}")
            if not (math.isfinite(v) and 0 <= v <= 60):
                raise InputError(f"wind[{i}]: speed must lie in 0..60 m/s, found {v!r}")
            if not math.isfinite(d):
                raise InputError(f"wind[{i}]: direction must be finite, found {d!r}")
            out.append((t, v, d % 360.0))
        out.sort()
        if out[0][0] > 0:
            out.insert(0, (0.0, out[0][1], out[0][2]))
        return out

    def _spread_rates(self, limit: bool) -> list[dict[str, np.ndarray]]:
        """Rothermel per burnable cell for each wind of the schedule (head rate, bearing, L/B)."""
        slope, upslope = slope_and_aspect(self._elev, self.cellsize)
        burn = self._burnable
        codes = self.fuels.per_cell("fuel_model", NO_FUEL)[burn]
        idx = np.asarray(self.fuels.index.values)[burn]
        depth = np.array([get_fuel_model(t.fuel_model).depth_m for t in self.fuels.types])[idx]
        waf = wind_adjustment_factor(depth, self.fuels.canopy_cover.values[burn],
                                     self.fuels.per_cell("canopy_height_m", 0.0)[burn],
                                     self.fuels.per_cell("crown_ratio", 0.0)[burn])
        out = []
        for _, speed, from_deg in self.wind:
            midflame = speed * TEN_METRE_TO_TWENTY_FOOT * waf
            towards = (from_deg + 180.0) % 360.0
            rel = (towards - upslope[burn]) % 360.0
            r = rothermel_table(codes, self.moisture, midflame, slope[burn], wind_direction_deg=rel,
                                effective_wind_limit=limit)
            full = {}
            for key in ("ros_m_min", "lb_ratio", "fireline_intensity_kw_m", "flame_length_m",
                        "backing_ros_m_min", "effective_wind_m_s"):
                a = np.zeros(self.shape)
                a[burn] = r[key]
                full[key] = a
            head = np.zeros(self.shape)
            head[burn] = (upslope[burn] + r["direction_of_max_spread_deg"]) % 360.0
            full["head_dir_deg"] = head
            full["lb_ratio"][~burn] = 1.0
            full["midflame_wind_m_s"] = np.zeros(self.shape)
            full["midflame_wind_m_s"][burn] = midflame
            out.append(full)
        return out

    def _propagate(self) -> np.ndarray:
        """Arrival time (s) per cell, south-up like the rasters (``inf``: not reached)."""
        flip = np.flipud  # the travel-time module's rasters have row 0 at the north
        nrows = self.shape[0]
        ign = [(nrows - 1 - c // self.shape[1], c % self.shape[1], t / 60.0) for c, t in self._ign_xy_t]
        until = self.horizon_s / 60.0
        arr, prior = None, None
        for k, (t0, _, _) in enumerate(self.wind):
            if t0 >= self.horizon_s:
                break
            b = self._behaviour[k]
            rates = [flip(b["ros_m_min"]), flip(b["head_dir_deg"]), flip(b["lb_ratio"])]
            if arr is None:
                arr = arrival_times(*rates, self.cellsize, ign, neighbours=self.neighbours, until_min=until)
            else:
                later = [g for g in ign if g[2] >= t0 / 60.0]
                arr = propagate(*rates, self.cellsize, t0=t0 / 60.0, prior_arrival=arr, prior_rates=prior,
                                ignitions=later, neighbours=self.neighbours, until_min=until)
            prior = SpreadRates.of(*rates, self.cellsize)
        return flip(arr) * 60.0

    def _start_record(self) -> None:
        """Cells in order of arrival, and the empty record the queries read."""
        flat = self._arrival_s.reshape(-1)
        reached = np.flatnonzero(np.isfinite(flat))
        order = reached[np.argsort(flat[reached], kind="stable")]
        self._order = order.astype(np.int32)
        self._order_t = flat[order]
        self._order_step = np.ceil(self._order_t / self.step_s - 1e-9).astype(np.int64)
        n = flat.size
        self._ign = np.full(n, NEVER, np.int32)
        self._log = np.zeros(n, np.int32)
        self._log_step = np.zeros(n, np.int32)
        self._n_logged = 0
        self._step = -1
        self._ptr = 0

    def _detect(self, methods: Sequence[str] | None, rng: np.random.Generator) -> Detection | None:
        """The detection draw (None without methods: reported at ignition)."""
        if methods is None:
            return None
        t0 = self._ign_xy_t[0][1] if self._ign_xy_t else 0.0
        cell2 = self.cellsize**2
        area = lambda t_min: float(np.searchsorted(self._order_t, t0 + t_min * 60.0, side="right")) * cell2
        det = detection_time_min(methods, rng, area_m2_at=area, horizon_min=self.horizon_s / 60.0)
        self._detected_s = t0 + det.time_min * 60.0
        return det

    def _ignition_resistance(self) -> str:
        """Resistance to control of the fuel the fire starts in."""
        if not self._ign_xy_t:
            return "high"
        c = self._ign_xy_t[0][0]
        return str(self._resistance.reshape(-1)[c]) or "high"

    # ------------------------------------------------------------------ the record
    def advance_to_step(self, n: int) -> None:
        """Log the cells the fire reaches up to step ``n``: no more than the area inside the line
        while the crews on it are on course to contain it, none after containment. Cells held back
        by a line the crews then left ignite when the fire breaks through (the step it resumes)."""
        if n <= self._step:
            return
        self._advance_attack(n * self.step_s)
        hi = int(np.searchsorted(self._order_step, n, side="right"))
        if self._stop_at is not None:
            hi = min(hi, self._stop_at)
        if hi > self._ptr:
            cells = self._order[self._ptr:hi]
            steps = np.maximum(self._order_step[self._ptr:hi], self._step + 1).astype(np.int32)
            self._log[self._n_logged:self._n_logged + len(cells)] = cells
            self._log_step[self._n_logged:self._n_logged + len(cells)] = steps
            self._ign[cells] = steps
            self._n_logged += len(cells)
            self._ptr = hi
        self._step = n
        self._mark_threatened()

    @property
    def is_out(self) -> bool:
        """Contained (or burned out) and the last cell's burning time over."""
        last = self._order_step[self._ptr - 1] if self._ptr else 0
        ended = self.contained_s is not None or self._ptr == len(self._order)
        return ended and self._step >= last + self._burn_steps

    # ------------------------------------------------------------------ attack
    def crews_on_line(self, time_s: float, crews: Sequence[tuple[float, float, int]], *,
                      radius_m: float = 0.0, factor: float = 1.0) -> None:
        """The simulation's crews on the line from ``time_s``: ``(x, y, persons)`` each; they
        build line at their crew type's rate in the fuel where they stand."""
        t = non_negative("time_s", time_s)
        self._advance_attack(t)
        for c in self._engine_crews:
            c[1] = min(c[1], t)
        self._engine_crews = [[t, math.inf, line_rate_m_h(self.crew_type, self.resistance_at(x, y),
                                                           persons=max(int(n), 1))] for x, y, n in crews]
        self._crew_plan.extend(self._engine_crews)
        self._predict()

    def add_crews(self, crews: Sequence[tuple[float, float]]) -> None:
        """Crews reaching the line on a schedule: ``(t_s, line_rate_m_h)`` each, staying on."""
        for i, (t, rate) in enumerate(crews):
            self._crew_plan.append([non_negative(f"crews[{i}] time", t), math.inf,
                                    non_negative(f"crews[{i}] line rate", rate)])
        self._predict()

    def anchor_xy(self) -> tuple[float, float]:
        """The fire's rear anchor point (its first ignition), where crews break in."""
        c = self._ign_xy_t[0][0]
        return (self.grid.x0 + (c % self.shape[1] + 0.5) * self.cellsize,
                self.grid.y0 + (c // self.shape[1] + 0.5) * self.cellsize)

    def line_point(self, time_s: float, rng: np.random.Generator) -> tuple[float, float] | None:
        """The anchor point at the fire's rear, where crews break in and build line up both
        flanks (the first ignition, burned out by the time they arrive); None once the fire is
        contained or nothing burns."""
        if self.contained_s is not None and self.contained_s <= time_s:
            return None
        if not len(self.front_cells(time_s)):
            return None
        return self.anchor_xy()

    def resistance_at(self, x: float, y: float) -> str:
        row, col = self.grid.cell_of(x, y)
        if row >= 0 and self._resistance[row, col]:
            return str(self._resistance[row, col])
        return self._ignition_resistance()

    def _schedule(self) -> list[tuple[float, float]]:
        """Total line rate (m/h) from each change on, minutes after the first ignition."""
        t0 = self._ign_xy_t[0][1] if self._ign_xy_t else 0.0
        marks = sorted({s for s, _, _ in self._crew_plan} | {e for _, e, _ in self._crew_plan if math.isfinite(e)})
        return [((m - t0) / 60.0, sum(r for s, e, r in self._crew_plan if s <= m < e)) for m in marks]

    def _attack_geometry(self, t_s: float) -> tuple[float, float, float]:
        """(head, backing, L/B) of the fire the crews meet: the median over the cells burning at
        ``t_s`` under the wind then (the first ignition's cell if none burns)."""
        k = max(i for i, w in enumerate(self.wind) if w[0] <= t_s)
        b = self._behaviour[k]
        lo = int(np.searchsorted(self._order_t, t_s - self._burn_steps * self.step_s, side="right"))
        hi = int(np.searchsorted(self._order_t, t_s, side="right"))
        cells = self._order[lo:hi] if hi > lo else np.array([self._ign_xy_t[0][0]])
        rows, cols = np.divmod(cells, self.shape[1])
        head = float(np.median(b["ros_m_min"][rows, cols]))
        back = min(float(np.median(b["backing_ros_m_min"][rows, cols])), head)
        return head, back, max(float(np.median(b["lb_ratio"][rows, cols])), 1.0)

    def _predict(self) -> None:
        """Fried & Fried containment under the crews as they now stand (valid until they change)."""
        if self.contained_s is not None:
            return
        schedule = self._schedule()
        start = next((m for m, r in schedule if r > 0), None)
        if start is None:
            self._prediction = None
            return
        t0 = self._ign_xy_t[0][1] if self._ign_xy_t else 0.0
        if self._geometry is None:
            self._geometry = self._attack_geometry(t0 + start * 60.0)
        h, b, lb = self._geometry
        if h <= 0:   # the fire does not spread where the crews meet it: held at once
            self._prediction = {"contained": True, "contained_min": start, "area_m2": 0.0, "reason": ""}
        else:
            self._prediction = containment_by_schedule(h, b, lb, schedule, horizon_min=(self.horizon_s - t0) / 60.0)
        # on course to close the line: the fire grows no further than the area it will enclose
        p = self._prediction
        self._stop_at = self._cells_inside(p["area_m2"], t0 + p["contained_min"] * 60.0) if p["contained"] else None

    def _cells_inside(self, area_m2: float, tc: float) -> int:
        """How many cells (in arrival order) the line encloses: Fried & Fried's area on the raster
        fire's own shape, no more than the fire reaches by ``tc``, never fewer than have burned."""
        n_inside = int(math.ceil(area_m2 / self.cellsize**2))
        by_time = int(np.searchsorted(self._order_t, tc, side="right"))
        return max(min(n_inside, by_time), self._ptr, 1)

    def _advance_attack(self, t: float) -> None:
        """Declare the fire contained once the predicted containment time has come; from then on
        it grows no further than the area inside the line (Fried & Fried's contained area, on
        the raster fire's own shape)."""
        p = self._prediction
        if self.contained_s is not None or p is None or not p["contained"]:
            return
        t0 = self._ign_xy_t[0][1] if self._ign_xy_t else 0.0
        tc = t0 + p["contained_min"] * 60.0
        if tc > t:
            return
        self.contained_s = tc
        self.contained_area_m2 = p["area_m2"]
        self._stop_at = self._cells_inside(p["area_m2"], tc)

    # ------------------------------------------------------------------ outputs
    def behaviour_at_ignition(self) -> dict[str, float]:
        """Rothermel's figures in the cell of the first ignition under the first wind."""
        if not self._ign_xy_t:
            return {}
        r, c = divmod(self._ign_xy_t[0][0], self.shape[1])
        b = self._behaviour[0]
        return {"head_ros_m_min": float(b["ros_m_min"][r, c]), "backing_ros_m_min": float(b["backing_ros_m_min"][r, c]),
                "lb_ratio": float(b["lb_ratio"][r, c]), "head_dir_deg": float(b["head_dir_deg"][r, c]),
                "fireline_intensity_kw_m": float(b["fireline_intensity_kw_m"][r, c]),
                "flame_length_m": float(b["flame_length_m"][r, c]),
                "midflame_wind_m_s": float(b["midflame_wind_m_s"][r, c]),
                "fuel_model": str(self.fuels.per_cell("fuel_model", NO_FUEL)[r, c])}

    def attack_summary(self, time_s: float) -> dict[str, Any]:
        """Detection, the crews, and containment by ``time_s`` (with why the fire escaped)."""
        self.advance_to_step(self.step_of(time_s))
        det = self.detection
        first_crew = min((s for s, _, r in self._crew_plan if r > 0), default=math.inf)
        contained = self.contained_s is not None and self.contained_s <= time_s
        t0 = self._ign_xy_t[0][1] if self._ign_xy_t else 0.0
        built = sum(r / 3600.0 * max(0.0, min(e, time_s, self.contained_s or math.inf) - s)
                    for s, e, r in self._crew_plan)
        out: dict[str, Any] = {
            "detected_h": _hours(self.detected_s()),
            "detected_by": det.method if det is not None else None,
            "first_crew_h": _hours(first_crew),
            "contained": contained,
            "contained_h": _hours(self.contained_s) if contained else None,
            "line_built_m": round(built, 1),
            "peak_line_rate_m_h": round(max((r for _, r in self._schedule() if _ <= (time_s - t0) / 60.0),
                                            default=0.0), 1),
            "resistance": self._ignition_resistance(),
        }
        if self._geometry is not None:
            h, b, lb = self._geometry
            out["attack_fire"] = {"head_ros_m_min": round(h, 3), "backing_ros_m_min": round(b, 3), "lb_ratio": round(lb, 3)}
        if contained:
            out["contained_area_ha"] = round(self.contained_area_m2 / 1e4, 3)
        elif not math.isfinite(self.detected_s()) or self.detected_s() > time_s:
            out["escape_reason"], out["escape_reason_zh"] = "not reported by the end of the run", "模拟结束前未发现火情"
        elif first_crew > time_s:
            out["escape_reason"], out["escape_reason_zh"] = "no crew reached the line", "无扑火力量到达火线"
        else:
            out["escape_reason"], out["escape_reason_zh"] = self._escape_reason(out["peak_line_rate_m_h"])
        return out

    def _escape_reason(self, peak_m_h: float) -> tuple[str, str]:
        """Why the crews that came did not close the line (English, Chinese)."""
        head = self._geometry[0] * 60.0 if self._geometry is not None else math.nan
        per_flank = peak_m_h / 2.0
        if per_flank <= head:
            return (f"the crews' line rate per flank ({per_flank:.0f} m/h at most) never out-paced the head fire "
                    f"({head:.0f} m/h): the line cannot close round the head",
                    f"每侧翼打线速度（最多 {per_flank:.0f} 米/时）始终低于火头蔓延速度（{head:.0f} 米/时），无法合围火头")
        return (f"the line was still open when the crews left the line or the run ended ({per_flank:.0f} m/h per "
                f"flank at most against a head fire of {head:.0f} m/h)",
                f"扑火队撤离火线或模拟结束时隔离带仍未合围（每侧翼最多 {per_flank:.0f} 米/时，火头 {head:.0f} 米/时）")

    def summary(self, time_s: float | None = None) -> dict:
        """:meth:`RasterFire.summary` with the fire's behaviour at ignition and its attack."""
        t = self._step * self.step_s if time_s is None else float(time_s)
        out = super().summary(t)
        out.update(self.behaviour_at_ignition())
        out.update(self.attack_summary(t))
        out["moisture"] = self.moisture_name or list(self.moisture)
        return out

    def indicators(self, times_s: Sequence[float]) -> dict[str, Any]:
        """Burned area, damage rate, grade, head spread rate, detection and containment."""
        s = self.summary(float(max(times_s)))
        keys = ("burned_ha", "burned_forest_ha", "forest_ha", "damage_rate_permille", "grade", "grade_zh",
                "head_ros_m_min", "fireline_intensity_kw_m", "flame_length_m", "lb_ratio", "fuel_model",
                "detected_h", "detected_by", "first_crew_h", "contained", "contained_h", "contained_area_ha",
                "line_built_m", "peak_line_rate_m_h", "escape_reason")
        out = {k: s[k] for k in keys if k in s}
        out["damage_permille"] = out["damage_rate_permille"]
        if self.attack_plan:
            out["crews"] = self.attack_plan
        return out

    def __repr__(self) -> str:
        return (f"SurfaceFire(grid={self.shape}, cell={self.cellsize} m, wind {self.wind_speed_m_s} m/s from "
                f"{self.wind_from_deg:.0f}°, {len(self.wind)} wind period(s), at step {self._step})")


def _hours(t_s: float | None) -> float | None:
    return None if t_s is None or not math.isfinite(t_s) else round(t_s / 3600.0, 3)
