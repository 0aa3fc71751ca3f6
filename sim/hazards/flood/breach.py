"""Dike breaches for the 2-D flood model: breach growth, weir discharge, coupling.

* **Growth** (docs/references/hazards.md §1.10): Verheij & van der Knaap (2003), as implemented
  in Deltares' D-Flow FM (``BREACH_GROWTH_VERHEIJVDKNAAP``) and described by 3Di and Tygron. Phase
  1: from the opening the breach bottom falls linearly from the crest to the bottom level over
  ``deepening_time_s`` at the initial width. Phase 2: the width grows at::

      dB/dt = f1 f2 / ln(10) * (g dH)^1.5 / u_c^2 / (1 + f2 g t / u_c)      [m/h, t in hours]

  with ``t`` the hours since phase 2 began and ``dH`` the head difference across the breach
  (levels above the breach bottom, 0 below it). Held constant over a step, ``dH`` lets the time
  factor integrate exactly: ``dB = f1 sqrt(g) dH^1.5 / u_c * log10((1 + a t1) / (1 + a t0))``
  with ``a = f2 g / u_c``; so a constant head gives the published closed form at any step. As
  in D-Flow FM the breach widens only while the flow through it is faster than ``u_c``.
* **Discharge** (§1.11): a broad-crested weir at the breach bottom, either way round. Free flow
  ``Q = cd (2/3) sqrt(2g/3) B H1^1.5`` (``H1`` the higher head above the crest); submerged flow
  by the Deltares simple-weir rule (``"modular"``: free while the lower head ``H2 <= 2/3 H1``,
  then ``Q = cd B H2 sqrt(2g (H1 - H2))``, continuous at the switch) or by Villemonte (1947)
  (``"villemonte"``: ``Q_free (1 - (H2/H1)^1.5)^0.385``, as ANUGA's river walls).
* **Coupling**: :class:`BreachCoupling` registers itself with an
  :class:`~sim.hazards.flood.inertial.InertialModel` as an exchange; every step it reads the
  river-side level (a callable) and the polder level (the cells behind the breach), puts the
  weir discharge x dt into those cells with :meth:`InertialModel.add_volume` (reverse flow takes
  it out) and grows the breach. The river is held at its level by the caller (fixed-level
  cells), so the breach does not draw it down.

numpy only; no kernels.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from network.checks import finite, non_negative, positive
from network.errors import InputError

from .inertial import HydrographLike, InertialModel, as_hydrograph

G = 9.81
#: Verheij & van der Knaap (2003) coefficients (docs/references/hazards.md §1.10)
F1, F2 = 1.3, 0.04
#: critical flow velocity of the dike material, m/s (§1.10)
U_CRIT = {"sand": 0.2, "clay": 0.5}
SUBMERGENCE = ("modular", "villemonte")
_LN10 = float(np.log(10.0))
_FREE = 2.0 / 3.0  # free-flow head fraction and modular limit of the broad-crested weir


# ------------------------------------------------------------------------------------- growth
def verheij_rate(head_m: float, hours: float, *, u_crit: float, f1: float = F1, f2: float = F2,
                 g: float = G) -> float:
    """Breach widening rate of Verheij & van der Knaap (2003), in m per hour.

    ``dB/dt = f1 f2 / ln(10) * (g dH)^1.5 / u_c^2 / (1 + f2 g t / u_c)`` with ``t`` in hours since
    the widening phase began (docs/references/hazards.md §1.10).

    Parameters
    ----------
    head_m
        Head difference across the breach ``dH`` (m, >= 0).
    hours
        Time since the widening phase began (h, >= 0).
    u_crit
        Critical flow velocity of the dike material (m/s, > 0).
    f1, f2
        The empirical coefficients (default 1.3 and 0.04).
    g
        Gravity (m/s^2).

    Returns
    -------
    float
        dB/dt in m/h.

    Raises
    ------
    InputError
        On a negative head or time, or coefficients that are not positive.
    """
    dh, t = non_negative("head_m", head_m), non_negative("hours", hours)
    uc, f1, f2, g = positive("u_crit", u_crit), positive("f1", f1), positive("f2", f2), positive("g", g)
    return f1 * f2 / _LN10 * (g * dh) ** 1.5 / uc**2 / (1.0 + f2 * g * t / uc)


def verheij_gain(head_m: float, hours_0: float, hours_1: float, *, u_crit: float, f1: float = F1,
                 f2: float = F2, g: float = G) -> float:
    """Width gained (m) between ``hours_0`` and ``hours_1`` of the widening phase, head held.

    The exact integral of :func:`verheij_rate` at a constant head:
    ``f1 sqrt(g) dH^1.5 / u_c * log10((1 + a t1) / (1 + a t0))``, ``a = f2 g / u_c`` (per hour);
    from ``t0 = 0`` it is Verheij & van der Knaap's ``B(t) - B0`` (§1.10).

    Parameters
    ----------
    head_m
        Head difference across the breach (m, >= 0).
    hours_0, hours_1
        Start and end of the interval (h since the widening began, ``0 <= hours_0 <= hours_1``).
    u_crit, f1, f2, g
        As :func:`verheij_rate`.

    Returns
    -------
    float
        The width gained (m).

    Raises
    ------
    InputError
        As :func:`verheij_rate`, or when ``hours_1 < hours_0``.
    """
    dh, t0, t1 = non_negative("head_m", head_m), non_negative("hours_0", hours_0), non_negative("hours_1", hours_1)
    if t1 < t0:
        raise InputError(f"hours_1: {t1:g} is before hours_0 {t0:g}")
    uc, f1, f2, g = positive("u_crit", u_crit), positive("f1", f1), positive("f2", f2), positive("g", g)
    a = f2 * g / uc
    # log1p keeps the small increments of short steps accurate
    return f1 * np.sqrt(g) * dh**1.5 / uc * (np.log1p(a * t1) - np.log1p(a * t0)) / _LN10


# ------------------------------------------------------------------------------------ discharge
def _finite_array(name: str, value) -> np.ndarray:
    arr = np.asarray(value, float)
    if arr.ndim == 0:
        finite(name, float(arr))
    elif not np.isfinite(arr).all():
        raise InputError(f"{name}: expected finite numbers")
    return arr


def weir_discharge(width_m, crest_level_m, upstream_level_m, downstream_level_m, cd: float = 1.0, *,
                   submergence: str = "modular", g: float = G):
    """Broad-crested weir discharge (m^3/s), signed: positive from side 1 to side 2.

    Heads are the levels above the crest (0 below it); ``H1`` the higher, ``H2`` the lower.
    Free flow ``cd (2/3) sqrt(2g/3) B H1^1.5``; submerged flow per ``submergence``: ``"modular"``
    (Deltares simple weir: free while ``H2 <= 2/3 H1``, then ``cd B H2 sqrt(2g (H1 - H2))``) or
    ``"villemonte"`` (``free * (1 - (H2/H1)^1.5)^0.385``). docs/references/hazards.md §1.11.

    Parameters
    ----------
    width_m
        Weir (breach) width (m, >= 0).
    crest_level_m
        Crest (breach bottom) level (m).
    upstream_level_m
        Water level on side 1 (m); the name follows the usual direction of flow.
    downstream_level_m
        Water level on side 2 (m).
    cd
        Discharge coefficient (> 0; 1 is the ideal critical-flow weir).
    submergence
        ``"modular"`` (default) or ``"villemonte"``.
    g
        Gravity (m/s^2).

    Returns
    -------
    float or numpy.ndarray
        The discharge; arrays broadcast. Zero at equal levels and with both sides at or below
        the crest.

    Raises
    ------
    InputError
        On values that are not finite, a negative width, a coefficient that is not positive, or
        an unknown submergence rule.
    """
    b = _finite_array("width_m", width_m)
    if (b < 0).any():
        raise InputError("width_m: must be >= 0")
    zc = _finite_array("crest_level_m", crest_level_m)
    h1 = np.maximum(_finite_array("upstream_level_m", upstream_level_m) - zc, 0.0)
    h2 = np.maximum(_finite_array("downstream_level_m", downstream_level_m) - zc, 0.0)
    cd, g = positive("cd", cd), positive("g", g)
    if submergence not in SUBMERGENCE:
        raise InputError(f"submergence: {submergence!r} is not one of {', '.join(SUBMERGENCE)}")
    hi, lo = np.maximum(h1, h2), np.minimum(h1, h2)
    free = cd * _FREE * np.sqrt(2.0 * g / 3.0) * b * hi**1.5
    if submergence == "modular":
        drowned = cd * b * lo * np.sqrt(2.0 * g * (hi - lo))
        q = np.where(lo <= _FREE * hi, free, drowned)
    else:
        ratio = np.divide(lo, hi, out=np.ones_like(hi), where=hi > 0)
        q = free * np.maximum(1.0 - ratio**1.5, 0.0) ** 0.385
    q = np.where(h1 >= h2, q, -q)
    return float(q) if q.ndim == 0 else q


def weir_flow_depth(crest_level_m: float, level_1_m: float, level_2_m: float) -> float:
    """Flow depth on the weir crest (m), for the mean velocity through a breach.

    ``max(2/3 H1, H2)``: the critical depth when free, the tailwater when drowned, as the wetted
    area of Deltares' simple weir (docs/references/hazards.md §1.11).

    Parameters
    ----------
    crest_level_m
        Crest (breach bottom) level (m).
    level_1_m, level_2_m
        The water levels on the two sides (m).

    Returns
    -------
    float
        The depth (m); 0 when no water stands above the crest.
    """
    h1, h2 = max(level_1_m - crest_level_m, 0.0), max(level_2_m - crest_level_m, 0.0)
    return max(_FREE * max(h1, h2), min(h1, h2))


# ------------------------------------------------------------------------------------- breach
@dataclass(frozen=True)
class Breach:
    """A dike breach: where and when it opens, its levels and widths, its material.

    Parameters
    ----------
    crest_level_m
        Dike crest at the breach (m): the weir crest when the breach opens.
    bottom_level_m
        Lowest breach bottom (m, <= crest), typically the polder-side ground.
    max_width_m
        Final (largest) width (m): the length of dike that can fail.
    open_time_s, trigger_level_m
        It opens at ``open_time_s`` or when the river-side level first reaches
        ``trigger_level_m``, whichever comes first; give at least one.
    initial_width_m
        Width while it deepens (m, B0; default 10 m, a project default).
    deepening_time_s
        Time to cut from the crest to the bottom level (s; default 600 s, a project default).
    material
        ``"sand"`` or ``"clay"``: the default critical velocity (0.2 or 0.5 m/s, §1.10).
    u_crit
        Critical flow velocity (m/s); overrides the material's.
    f1, f2
        Verheij & van der Knaap coefficients (1.3, 0.04).
    cd
        Weir discharge coefficient (§1.11).
    submergence
        ``"modular"`` or ``"villemonte"`` (see :func:`weir_discharge`).
    x, y
        Breach centre (m, DEM coordinates): the coupling puts the water into the polder cells
        within ``width / 2 + dx`` of it. None: into all the polder cells given.
    dike
        Name of the dike (for reports).

    Raises
    ------
    InputError
        Naming the field: values not finite or out of range, bottom above crest, initial width
        above the final one, no opening rule, unknown material or submergence rule.
    """

    crest_level_m: float
    bottom_level_m: float
    max_width_m: float
    open_time_s: float | None = None
    trigger_level_m: float | None = None
    initial_width_m: float = 10.0
    deepening_time_s: float = 600.0
    material: str = "sand"
    u_crit: float | None = None
    f1: float = F1
    f2: float = F2
    cd: float = 1.0
    submergence: str = "modular"
    x: float | None = None
    y: float | None = None
    dike: str = ""

    def __post_init__(self) -> None:
        crest, bottom = finite("crest_level_m", self.crest_level_m), finite("bottom_level_m", self.bottom_level_m)
        if bottom > crest:
            raise InputError(f"bottom_level_m: {bottom:g} is above the crest {crest:g}")
        b0, bmax = positive("initial_width_m", self.initial_width_m), positive("max_width_m", self.max_width_m)
        if b0 > bmax:
            raise InputError(f"initial_width_m: {b0:g} m exceeds max_width_m {bmax:g} m")
        non_negative("deepening_time_s", self.deepening_time_s)
        if self.open_time_s is None and self.trigger_level_m is None:
            raise InputError("open_time_s: give an opening time or a trigger_level_m (or both)")
        for name in ("open_time_s", "trigger_level_m", "x", "y"):
            if getattr(self, name) is not None:
                finite(name, getattr(self, name))
        if (self.x is None) != (self.y is None):
            raise InputError("x: give both x and y of the breach, or neither")
        if self.material not in U_CRIT:
            raise InputError(f"material: {self.material!r} is not one of {', '.join(U_CRIT)}")
        if self.u_crit is not None:
            positive("u_crit", self.u_crit)
        positive("f1", self.f1), positive("f2", self.f2), positive("cd", self.cd)
        if self.submergence not in SUBMERGENCE:
            raise InputError(f"submergence: {self.submergence!r} is not one of {', '.join(SUBMERGENCE)}")

    @property
    def critical_velocity(self) -> float:
        """``u_crit``, or the material's critical velocity (m/s)."""
        return float(self.u_crit) if self.u_crit is not None else U_CRIT[self.material]


@dataclass
class BreachState:
    """A breach as it develops: closed, deepening (phase 1) or widening (phase 2).

    Parameters
    ----------
    breach
        The breach described.
    """

    breach: Breach
    opened_s: float | None = None
    width_m: float = field(init=False)
    bottom_m: float = field(init=False)

    def __post_init__(self) -> None:
        self.width_m = float(self.breach.initial_width_m)
        self.bottom_m = float(self.breach.crest_level_m)

    @property
    def is_open(self) -> bool:
        """Whether the breach has opened."""
        return self.opened_s is not None

    def phase(self, t: float) -> int:
        """The phase at time ``t`` (s).

        Returns
        -------
        int
            0 closed, 1 deepening, 2 widening.
        """
        if self.opened_s is None:
            return 0
        return 1 if t < self.opened_s + self.breach.deepening_time_s else 2

    def open_if_due(self, t: float, river_level_m: float) -> bool:
        """Open at ``t`` if the opening time has come or the river reached the trigger level.

        A breach opened by its time starts at ``open_time_s`` exactly (the coupling ends a step
        there); one opened by the trigger starts at ``t``.

        Parameters
        ----------
        t
            Model time (s).
        river_level_m
            River-side water level now (m).

        Returns
        -------
        bool
            Whether the breach is open (now or before).
        """
        b = self.breach
        if self.opened_s is None:
            if b.open_time_s is not None and t >= b.open_time_s:
                self.opened_s = float(b.open_time_s)
            elif b.trigger_level_m is not None and river_level_m >= b.trigger_level_m:
                self.opened_s = float(t)
        return self.opened_s is not None

    def discharge(self, level_1_m: float, level_2_m: float) -> float:
        """Weir discharge through the breach as it is now (:func:`weir_discharge`).

        Parameters
        ----------
        level_1_m, level_2_m
            Water levels on the river side and the polder side (m).

        Returns
        -------
        float
            m^3/s, positive from the river into the polder; 0 while closed.
        """
        if self.opened_s is None:
            return 0.0
        b = self.breach
        return weir_discharge(self.width_m, self.bottom_m, level_1_m, level_2_m, b.cd, submergence=b.submergence)

    def head(self, level_1_m: float, level_2_m: float) -> float:
        """Head difference across the breach, as D-Flow FM's ``calculate_water_level_jump``.

        Parameters
        ----------
        level_1_m, level_2_m
            Water levels on the two sides (m).

        Returns
        -------
        float
            ``|max(h1 - z_b, 0) - max(h2 - z_b, 0)|`` (m), ``z_b`` the breach bottom now.
        """
        return abs(max(level_1_m - self.bottom_m, 0.0) - max(level_2_m - self.bottom_m, 0.0))

    def _bottom_at(self, t: float) -> float:
        """Breach bottom (m) at ``t`` once open: linear from the crest to the bottom level."""
        b = self.breach
        frac = 1.0 if b.deepening_time_s == 0 else min(max((t - self.opened_s) / b.deepening_time_s, 0.0), 1.0)
        return b.crest_level_m - frac * (b.crest_level_m - b.bottom_level_m)

    def advance(self, t: float, dt: float, level_1_m: float, level_2_m: float,
                velocity_ms: float | None = None) -> None:
        """Grow the breach over ``[t, t + dt]`` with the levels held at their values at ``t``.

        Deepening follows the clock; widening uses :func:`verheij_gain` over the part of the
        step after the deepening, and only while ``velocity_ms`` exceeds the critical velocity,
        as D-Flow FM does.

        Parameters
        ----------
        t, dt
            Start and length of the step (s).
        level_1_m, level_2_m
            Water levels on the two sides at ``t`` (m).
        velocity_ms
            Mean flow speed through the breach (m/s); None: not checked.

        Raises
        ------
        InputError
            On a step that is not positive.
        """
        positive("dt", dt)
        if self.opened_s is None:
            return
        b = self.breach
        t_deep = self.opened_s + b.deepening_time_s
        t1 = t + dt
        start = max(t, t_deep)  # the widening part of the step
        self.bottom_m = self._bottom_at(start)  # the head of the widening is over this bottom
        head = self.head(level_1_m, level_2_m)
        self.bottom_m = self._bottom_at(t1)
        if t1 <= start or self.width_m >= b.max_width_m:
            return
        uc = b.critical_velocity
        if velocity_ms is not None and velocity_ms <= uc:
            return  # the flow is too slow to erode the breach sides
        gain = verheij_gain(head, (start - t_deep) / 3600.0, (t1 - t_deep) / 3600.0, u_crit=uc, f1=b.f1, f2=b.f2)
        self.width_m = min(self.width_m + gain, b.max_width_m)


# ------------------------------------------------------------------------------------ coupling
def _level_source(river_level) -> Callable[[float], float]:
    if callable(river_level):
        return river_level
    hyd = as_hydrograph(river_level, "river_level")
    return hyd.at


class BreachCoupling:
    """A breach between a river-side level and polder cells of an :class:`InertialModel`.

    On construction it registers itself with the model (:meth:`InertialModel.add_exchange`);
    from then on every step of the model (``step`` or ``run``) does, at the step's start ``t``:

    1. read the river-side level ``L1 = river_level(t)``; open the breach if due;
    2. pick the receiving cells (the polder cells within ``width / 2 + dx`` of the breach
       centre, at least the nearest) and their mean water level ``L2``;
    3. weir discharge ``Q`` (:meth:`BreachState.discharge`), volume ``Q dt`` limited so the
       receiving cells cannot pass the other side's level in one step (the weir has an
       infinite slope at equal levels; an explicit step would overshoot), put in (or, when the
       polder is higher, taken out) with :meth:`InertialModel.add_volume`;
    4. grow the breach over the step (:meth:`BreachState.advance`).

    Before each step it may shorten it: to end exactly at the opening time, and so the depth the
    step adds to the receiving cells stays within the Courant limit.

    Parameters
    ----------
    model
        The 2-D model; the polder cells must be data cells that hold no fixed level.
    breach
        The breach.
    river_level
        The river-side water level (m) vs time: a callable ``f(t_s) -> level`` (e.g. the fixed
        river level at the breach) or anything :func:`as_hydrograph` takes.
    polder_cells
        The cells just behind the dike on the polder side: a boolean mask (array or Raster on
        the DEM grid) or (x, y) points (see :meth:`InertialModel.flat_cells`).

    Raises
    ------
    InputError
        On polder cells the model refuses (no data, fixed level, outside the grid).
    """

    def __init__(self, model: InertialModel, breach: Breach, river_level: Callable[[float], float] | HydrographLike,
                 polder_cells) -> None:
        if not isinstance(model, InertialModel):
            raise InputError("model: expected an InertialModel")
        if not isinstance(breach, Breach):
            raise InputError("breach: expected a Breach")
        self.model, self.breach = model, breach
        self.state = BreachState(breach)
        self._river = _level_source(river_level)
        self.cells = model.check_flat_cells(model.flat_cells(polder_cells, "polder_cells"), "polder_cells",
                                            computed=True)
        xc, yc = model.dem.cell_centres()
        rows, cols = np.divmod(self.cells, model.dem.shape[1])
        if breach.x is None:
            self._dist = np.zeros(self.cells.size)
        else:
            self._dist = np.hypot(xc[cols] - breach.x, yc[rows] - breach.y)
        self.volume_m3 = 0.0  # net volume put into the polder so far
        self._rows: list[tuple[float, ...]] = []
        model.add_exchange(self)

    # ---------------------------------------------------------------- helpers
    def _level_1(self, t: float) -> float:
        lev = float(self._river(t))
        if not np.isfinite(lev):
            raise InputError(f"river_level: not a finite level at t = {t:g} s")
        return lev

    def receiving_cells(self) -> np.ndarray:
        """The polder cells that take the breach's water at its present width.

        Returns
        -------
        numpy.ndarray
            Flat indices: the polder cells within ``width / 2 + dx`` of the breach centre (all of
            them when the breach has no centre), at least the nearest.
        """
        reach = 0.5 * self.state.width_m + self.model.dx
        near = self._dist <= reach
        if not near.any():
            near = self._dist == self._dist.min()
        return self.cells[near]

    def _exchange_volume(self, dt: float, level_1: float) -> tuple[np.ndarray, float, float, float]:
        """(receiving cells, their mean level, weir discharge, limited volume for ``dt``)."""
        cells = self.receiving_cells()
        level_2 = float(np.mean(self.model.level_at(cells)))
        q = self.state.discharge(level_1, level_2)
        area = cells.size * self.model.dx * self.model.dx
        vol = q * dt
        if vol > 0.0:  # fill the receiving cells at most to the river's level
            vol = min(vol, max(level_1 - level_2, 0.0) * area)
        elif vol < 0.0:  # drain them at most to the river's level (or the breach bottom)
            vol = -min(-vol, max(level_2 - max(level_1, self.state.bottom_m), 0.0) * area)
        return cells, level_2, q, vol

    # ---------------------------------------------------------------- Exchange protocol
    def max_dt(self, model: InertialModel, dt: float) -> float:
        """The model's step ``dt``, shortened to end at the opening time and so the water added
        to the receiving cells keeps them within the Courant limit."""
        t = model.time
        b = self.breach
        if not self.state.is_open and b.open_time_s is not None and t < b.open_time_s:
            dt = min(dt, b.open_time_s - t)
        if not self.state.is_open:
            return dt
        cells, _, _, vol = self._exchange_volume(dt, self._level_1(t))
        if vol > 0.0:
            h = float(np.max(model.level_at(cells) - model.z.flat[cells]))
            dt = min(dt, model.courant_dt(h + vol / (cells.size * model.dx * model.dx)))
        return dt

    def before_step(self, model: InertialModel, dt: float) -> None:
        """Exchange the water of ``[t, t + dt]`` and grow the breach (see the class docstring)."""
        t = model.time
        level_1 = self._level_1(t)
        if not self.state.open_if_due(t, level_1):
            self._rows.append((t, dt, 0.0, self.state.width_m, self.state.bottom_m, level_1, np.nan))
            return
        cells, level_2, q, vol = self._exchange_volume(dt, level_1)
        added = model.add_volume(cells, vol) if vol != 0.0 else 0.0
        self.volume_m3 += added
        depth = weir_flow_depth(self.state.bottom_m, level_1, level_2)
        velocity = abs(q) / (self.state.width_m * depth) if depth > 0.0 else 0.0
        self._rows.append((t, dt, added / dt, self.state.width_m, self.state.bottom_m, level_1, level_2))
        self.state.advance(t, dt, level_1, level_2, velocity)

    # ---------------------------------------------------------------- results
    def series(self) -> dict[str, np.ndarray]:
        """What the breach did, one row per model step.

        Returns
        -------
        dict of str to numpy.ndarray
            ``time_s`` (step start), ``dt_s``, ``discharge_m3s`` (volume exchanged / dt, positive
            into the polder), ``width_m`` and ``bottom_m`` (during the step), ``river_level_m``
            and ``polder_level_m`` (mean over the receiving cells; NaN while closed).
        """
        names = ("time_s", "dt_s", "discharge_m3s", "width_m", "bottom_m", "river_level_m", "polder_level_m")
        data = np.array(self._rows, float).reshape(-1, len(names))
        return {n: data[:, i].copy() for i, n in enumerate(names)}
