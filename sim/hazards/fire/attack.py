"""Forest-fire detection, initial attack and containment, as crews do it in the field.

Four pieces, each with its parameters in ``data/initial_attack.toml`` (every value there names
its source; a source beginning ``estimate:`` is a labelled estimate):

1. **Detection** (:func:`detection_time_min`): lookout towers, video cameras, ground patrols,
   public calls and satellite hotspots (Himawari-8/9 AHI every 10 min, MODIS and VIIRS
   overpasses). Each method present draws its own time from its own child stream of the
   caller's :class:`numpy.random.Generator`; the fastest method wins.
2. **Dispatch and travel** (:func:`dispatch_delay_min`, :func:`hike_minutes`,
   :func:`arrival_time_min`): report → order, the crew's turnout, the road minutes the caller
   supplies, then the hike from the road node to the fire at Tobler's (1993) walking speed with a
   load factor.
3. **Line production** (:func:`line_rate_m_h`): sustained rates of 20-person crews from the NWCG
   Incident Response Pocket Guide table by resistance to control; Chinese crew types as labelled
   estimates relative to them.
4. **Containment** (:func:`containment`, :class:`AttackState`): Fried & Fried (1996), "Simulating
   wildfire containment with realistic tactics", Forest Science 42(3):267–281, for an elliptical
   fire growing linearly in time and attacked from its rear along both flanks; and a per-step
   perimeter rule a raster fire model can drive with its measured perimeter.

The containment model (Fried & Fried's "general formulation" for an expanding ellipse)
-------------------------------------------------------------------------------------
The free-burning fire is an ellipse with head rate ``h``, backing rate ``b`` (m/min) and
length-to-breadth ratio ``lb`` (Anderson 1983; Mees 1985: about 2 for a forest fire under a
canopy, 4 for grass). At time ``t`` after ignition its semi-axes are ``A = (h+b)t/2`` and
``B = A/lb`` and its centre lies ``(h-b)t/2`` ahead of the ignition point, so every point of the
boundary moves on a ray from the ignition point: ``X(φ, t) = t·x₁(φ)`` with
``x₁(φ) = (c₁ − A₁cos φ, B₁ sin φ)``, ``A₁ = (h+b)/2``, ``B₁ = A₁/lb``, ``c₁ = (h−b)/2``; ``φ = 0``
is the rear, ``φ = π`` the head.

Direct attack from the rear ("一点突破、两翼推进": break in at the tail, advance along both
flanks): at ``t_a`` the force anchors at the rear point and splits, each half building line on
one flank at the edge of the fire. A crew at parameter ``φ(t)`` stands at ``P = t·x₁(φ)``; the
line it builds is its own track, so its ground speed is the line rate ``v`` of that flank:

    |x₁(φ) + t·x₁'(φ)·φ'| = v.

With ``u = ln t`` and ``w = dφ/du`` this is a quadratic in ``w`` whose coefficients depend on ``φ``
only, ``q w² + 2 p w + r − v² = 0`` with ``q = |x₁'|²``, ``p = x₁·x₁'``, ``r = |x₁|²``; the forward
root is

    w(φ) = (−p + √(q (v² − ρₙ(φ)²))) / q,     ρₙ(φ) = |x₁ × x₁'| / |x₁'|,

``ρₙ`` being the fire's normal rate of spread at ``φ``. For a constant line rate the containment
time is a quadrature (Fried & Fried's "simple quadrature" for the expanding ellipse):

    ln(t_c / t_a) = ∫₀^π dφ / w(φ)          (both flanks; one crew going round: ∫₀^{2π})

and the contained area is the area inside the crews' tracks. A flank can only keep to the fire's
edge where ``v > ρₙ``; ``ρₙ`` rises from ``b`` at the rear to ``h`` at the head, so a flank force
slower than the head rate can never pinch the head off: the fire escapes. With several crews
arriving, ``v`` is piecewise constant and the same equation is integrated numerically
(:func:`scipy.integrate.solve_ivp`); a flank force slower than the spread at its position holds
there (a simplification: it is out-run, its line does not advance) until reinforcements arrive.

Closed form for a circle (``h = b = R``, ``lb = 1``, ignition at the centre): ``x₁ = R(−cos φ,
sin φ)``, so ``p = 0``, ``q = r = R²``, ``ρₙ = R`` and ``w = k = √(v² − R²)/R`` is constant. The
track is a logarithmic spiral ``ρ(φ) = R t_a e^{φ/k}``; with a total rate ``V`` split on two
flanks (``v = V/2``)

    t_c = t_a exp(π/k),      area = 2 ∫₀^π ½ρ² dφ = (R t_a)² (k/2) (e^{2π/k} − 1),
    line held = 2 v (t_c − t_a),

and one crew going all the way round (``v = V``): ``t_c = t_a exp(2π/k)``, area
``(R t_a)² (k/4)(e^{4π/k} − 1)``. Containment is possible only if ``v > R``.

The older "simple" rule (Mees 1985's simple model; the containment algorithm of the planning
models that Fried & Fried replace) contains the fire when the line built equals the perimeter of
the free-burning ellipse: ``V (t − t_a) = P₁ t`` ⇒ ``t_c = V t_a / (V − P₁)``, escaped unless
``V > P₁`` (the perimeter growth rate, from Ramanujan's perimeter). It is kept as
``method="perimeter"`` and is what :class:`AttackState` applies to a measured perimeter; it gives
larger fires than the realistic model, as Fried & Fried report.
"""
from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from network.checks import finite, non_negative, positive
from network.errors import InputError

__all__ = [
    "DETECTION_METHODS",
    "containment_by_schedule",
    "RESISTANCES",
    "AttackParams",
    "AttackState",
    "AttackStep",
    "Detection",
    "arrival_time_min",
    "containment",
    "detection_samples",
    "detection_time_min",
    "dispatch_delay_min",
    "ellipse_perimeter_m",
    "free_fire",
    "hike_minutes",
    "line_rate_m_h",
    "load_params",
    "resistance_of_vegetation",
    "tobler_speed_kmh",
]

DATA_TOML = Path(__file__).with_name("data") / "initial_attack.toml"

#: detection methods in the order their child streams are spawned (fixed, so that a method's
#: draws do not depend on which other methods are present: common random numbers)
DETECTION_METHODS: tuple[str, ...] = ("lookout", "camera", "patrol", "public", "himawari", "modis", "viirs")
#: resistance-to-control classes, easiest first
RESISTANCES: tuple[str, ...] = ("low", "medium", "high", "extreme")
#: z of the 90th percentile of the standard normal: lognormal sigma = ln(p90/median) / Z90
Z90 = 1.2815515655446004


# ------------------------------------------------------------------------------ parameters
@dataclass(frozen=True)
class AttackParams:
    """The parsed ``initial_attack.toml``: plain dicts keyed as in the file."""

    detection: Mapping[str, Mapping[str, Any]]
    dispatch: Mapping[str, Any]
    hike: Mapping[str, Any]
    line: Mapping[str, Any]
    crews: Mapping[str, Mapping[str, Any]]
    resistance_by_vegetation: Mapping[str, str]
    path: str = ""


def _require(table: Mapping[str, Any], keys: Iterable[str], where: str) -> None:
    for k in keys:
        if k not in table:
            raise InputError(f"{where}: missing key {k!r}")


def load_params(path: str | Path | None = None) -> AttackParams:
    """The parameters in ``path`` (default: ``data/initial_attack.toml`` next to this module).

    Raises :class:`InputError` naming the file and the table when a required key is missing or a
    detection kind is unknown.
    """
    if path is None:
        return _default_params()
    return _parse(Path(path))


@lru_cache(maxsize=1)
def _default_params() -> AttackParams:
    return _parse(DATA_TOML)


def _parse(p: Path) -> AttackParams:
    try:
        d = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{p}: not valid TOML ({exc})") from None
    for sec in ("detection", "dispatch", "hike", "line", "crews", "resistance_by_vegetation"):
        if sec not in d:
            raise InputError(f"{p}: missing table [{sec}]")
    for name, m in d["detection"].items():
        kind = m.get("kind")
        need = {"delay": ("median_min", "p90_min", "p_sees"), "revisit": ("interval_min", "p_sees"),
                "satellite": ("interval_min", "threshold_m2", "latency_min", "p_clear")}.get(kind)
        if need is None:
            raise InputError(f"{p}: [detection.{name}] kind: expected delay, revisit or satellite, found {kind!r}")
        _require(m, (*need, "source"), f"{p}: [detection.{name}]")
    _require(d["dispatch"], ("median_min", "p90_min"), f"{p}: [dispatch]")
    _require(d["hike"], ("w_max_kmh", "decay", "s_best", "off_path_factor", "load_factor"), f"{p}: [hike]")
    _require(d["line"], ("chain_m", "crew_persons", "resistance"), f"{p}: [line]")
    for r in RESISTANCES:
        _require(d["line"]["resistance"].get(r, {}), ("type1_ch_h", "type2_ch_h"), f"{p}: [line.resistance.{r}]")
    for name, c in d["crews"].items():
        _require(c, ("base", "factor", "persons", "turnout_median_min", "turnout_p90_min", "source"),
                 f"{p}: [crews.{name}]")
    rv = {k: v for k, v in d["resistance_by_vegetation"].items() if k != "source"}
    return AttackParams(detection=d["detection"], dispatch=d["dispatch"], hike=d["hike"], line=d["line"],
                        crews=d["crews"], resistance_by_vegetation=rv, path=str(p))


def _lognormal(rng: np.random.Generator, median: float, p90: float) -> float:
    """One lognormal draw with the given median and 90th percentile (p90 ≥ median)."""
    sigma = math.log(p90 / median) / Z90 if p90 > median else 0.0
    return float(median * math.exp(sigma * rng.standard_normal()))


# ------------------------------------------------------------------------------ detection
@dataclass(frozen=True)
class Detection:
    """When the fire is first reported (minutes after ignition; ``inf`` if no method sees it within
    the horizon), by which method, and each method's own time."""

    time_min: float
    method: str | None
    by_method: dict[str, float] = field(default_factory=dict)


def _method_names(methods: Iterable[str] | str) -> list[str]:
    if isinstance(methods, str):
        methods = [methods]
    names = list(methods)
    if not names:
        raise InputError("methods: expected at least one detection method")
    for m in names:
        if m not in DETECTION_METHODS:
            raise InputError(f"methods: unknown detection method {m!r} (known: {', '.join(DETECTION_METHODS)})")
    return names


def _threshold_time(area_m2_at: Callable[[float], float], threshold: float, horizon: float) -> float:
    """First time the (non-decreasing) fire area reaches ``threshold`` m², or inf after ``horizon``."""
    if area_m2_at(0.0) >= threshold:
        return 0.0
    if area_m2_at(horizon) < threshold:
        return math.inf
    return float(brentq(lambda t: area_m2_at(t) - threshold, 0.0, horizon, xtol=1e-6))


def _one_method(m: Mapping[str, Any], rng: np.random.Generator, area_m2_at, horizon: float) -> float:
    kind = m["kind"]
    if kind == "delay":
        if rng.random() >= m["p_sees"]:
            return math.inf
        t = _lognormal(rng, m["median_min"], m["p90_min"])
    elif kind == "revisit":
        # first pass at a uniform phase, then every interval; each pass sees with p_sees
        t = rng.uniform(0.0, m["interval_min"])
        while t <= horizon and rng.random() >= m["p_sees"]:
            t += m["interval_min"]
    else:  # satellite
        interval = m["interval_min"]
        t_thr = _threshold_time(area_m2_at, m["threshold_m2"], horizon)
        if not math.isfinite(t_thr):
            return math.inf
        phase = rng.uniform(0.0, interval)
        # first scan at or after the fire reaches the threshold
        t = phase + math.ceil(max(t_thr - phase, 0.0) / interval) * interval
        while t <= horizon and rng.random() >= m["p_clear"]:
            t += interval
        lo, hi = m["latency_min"]
        t += rng.uniform(lo, hi)
    return t if t <= horizon else math.inf


def detection_time_min(methods: Iterable[str] | str, rng: np.random.Generator, *,
                       area_m2_at: Callable[[float], float] | None = None, horizon_min: float = 2880.0,
                       params: AttackParams | None = None) -> Detection:
    """When a fire that ignited at time 0 is first reported, given the detection ``methods`` present.

    Parameters
    ----------
    methods
        Names from :data:`DETECTION_METHODS` (``"camera"``, ``"lookout"``, ``"patrol"``,
        ``"public"``, ``"himawari"``, ``"modis"``, ``"viirs"``).
    rng
        The seeded generator; each of the seven methods gets its own child stream
        (``rng.spawn``) in the fixed order of :data:`DETECTION_METHODS`, so a method's time
        depends on the seed only, never on which other methods are present.
    area_m2_at
        The fire's area (m²) at a time (min), non-decreasing; needed by satellite methods, whose
        detection threshold is a fire area (e.g. ``lambda t: free_fire(h, b, lb, t)["area_m2"]``).
    horizon_min
        Times beyond it count as not detected (``inf``).

    Returns
    -------
    Detection
        The minimum over the methods present, the winning method and each method's time.
    """
    names = _method_names(methods)
    horizon = positive("horizon_min", horizon_min)
    p = params or load_params()
    if area_m2_at is None and any(p.detection[n]["kind"] == "satellite" for n in names):
        raise InputError("area_m2_at: satellite methods need the fire's area as a function of time")
    children = rng.spawn(len(DETECTION_METHODS))
    by = {n: _one_method(p.detection[n], children[DETECTION_METHODS.index(n)], area_m2_at, horizon)
          for n in names}
    best = min(by, key=lambda n: by[n])
    t = by[best]
    return Detection(time_min=t, method=best if math.isfinite(t) else None, by_method=by)


def detection_samples(methods: Iterable[str] | str, rng: np.random.Generator, n: int, **kwargs) -> np.ndarray:
    """``n`` independent detection times (min; ``inf`` where undetected) — the distribution of
    :func:`detection_time_min` for the same ``methods`` and keyword arguments."""
    if int(n) != n or n < 1:
        raise InputError(f"n: expected a positive whole number, found {n!r}")
    return np.array([detection_time_min(methods, r, **kwargs).time_min for r in rng.spawn(int(n))])


# ------------------------------------------------------------------------------ dispatch and hike
def _crew(crew_type: str, params: AttackParams) -> Mapping[str, Any]:
    if not isinstance(crew_type, str) or crew_type not in params.crews:
        raise InputError(f"crew_type: unknown crew type {crew_type!r} (known: {', '.join(params.crews)})")
    return params.crews[crew_type]


def dispatch_delay_min(crew_type: str, rng: np.random.Generator, *, params: AttackParams | None = None) -> float:
    """Minutes from the report to the crew leaving its base: the order (verification and command,
    ``[dispatch]``) plus the crew's turnout (``[crews.<type>]``), each lognormal (estimates)."""
    p = params or load_params()
    c = _crew(crew_type, p)
    order = _lognormal(rng, p.dispatch["median_min"], p.dispatch["p90_min"])
    return order + _lognormal(rng, c["turnout_median_min"], c["turnout_p90_min"])


def tobler_speed_kmh(slope, *, off_path: bool = False, load_factor: float | None = None,
                     params: AttackParams | None = None):
    """Walking speed (km/h) on gradient ``slope`` = dh/dx (rise over horizontal run; negative down).

    Tobler (1993): ``W = 6 exp(−3.5 |S + 0.05|)`` — 5.04 km/h on the flat, the most, 6 km/h, at
    S = −0.05 (about −2.9°), slower uphill and on steep descents; × 3/5 off path (Tobler 1993).
    ``load_factor`` (default the file's 0.85, an estimate for crews carrying tools) multiplies it.
    """
    p = params or load_params()
    h = p.hike
    lf = h["load_factor"] if load_factor is None else positive("load_factor", load_factor)
    s = np.asarray(slope, dtype=float)
    if not np.all(np.isfinite(s)):
        raise InputError("slope: expected finite numbers")
    w = h["w_max_kmh"] * np.exp(-h["decay"] * np.abs(s - h["s_best"])) * lf
    if off_path:
        w = w * h["off_path_factor"]
    return float(w) if w.ndim == 0 else w


def hike_minutes(distance_m, climb_m, *, off_path: bool = False, load_factor: float | None = None,
                 params: AttackParams | None = None) -> float:
    """Minutes to walk from the road node to the fire.

    ``distance_m`` is the horizontal length of the walk and ``climb_m`` its rise (negative for a
    descent); either may be arrays of legs (a profile), which are summed. Speed from
    :func:`tobler_speed_kmh` on each leg's gradient.
    """
    d = np.atleast_1d(np.asarray(distance_m, dtype=float))
    z = np.atleast_1d(np.asarray(climb_m, dtype=float))
    if d.shape != z.shape:
        raise InputError(f"climb_m: expected the shape of distance_m {d.shape}, found {z.shape}")
    if not np.all(np.isfinite(d)) or np.any(d < 0):
        raise InputError("distance_m: expected finite numbers ≥ 0")
    if not np.all(np.isfinite(z)):
        raise InputError("climb_m: expected finite numbers")
    slope = np.divide(z, d, out=np.zeros_like(d), where=d > 0)
    v_m_min = np.asarray(tobler_speed_kmh(slope, off_path=off_path, load_factor=load_factor, params=params)) * 1000 / 60
    return float(np.sum(d / v_m_min))


def arrival_time_min(detected_min: float, crew_type: str, rng: np.random.Generator, *, road_min: float,
                     hike_distance_m: float = 0.0, hike_climb_m: float = 0.0, off_path: bool = False,
                     params: AttackParams | None = None) -> float:
    """Minutes after ignition at which ``crew_type`` reaches the fire: detection + order + turnout
    (:func:`dispatch_delay_min`) + ``road_min`` (the caller's road travel) + the hike."""
    t0 = non_negative("detected_min", detected_min)
    road = non_negative("road_min", road_min)
    hike = hike_minutes(hike_distance_m, hike_climb_m, off_path=off_path, params=params)
    return t0 + dispatch_delay_min(crew_type, rng, params=params) + road + hike


# ------------------------------------------------------------------------------ line production
def line_rate_m_h(crew_type: str, resistance: str, *, persons: int | None = None, slope_deg: float = 0.0,
                  params: AttackParams | None = None) -> float:
    """Sustained fireline production of one crew, m/h (horizontal).

    The IRPG 20-person crew rate (chains/h) of the crew type's base column for the resistance
    class, × the crew's factor, × ``persons / 20`` (rate per person constant, an assumption), ×
    cos(slope) for the horizontal projection on sloping ground (as FARSITE's ground attack,
    Finney 1998).
    """
    p = params or load_params()
    c = _crew(crew_type, p)
    if resistance not in RESISTANCES:
        raise InputError(f"resistance: unknown class {resistance!r} (known: {', '.join(RESISTANCES)})")
    n = c["persons"] if persons is None else positive("persons", persons)
    slope = finite("slope_deg", slope_deg)
    if not 0 <= slope < 90:
        raise InputError(f"slope_deg: expected 0 ≤ slope < 90, found {slope:g}")
    ch_h = p.line["resistance"][resistance][f"{c['base']}_ch_h"]
    per_person = ch_h * p.line["chain_m"] / p.line["crew_persons"]
    return float(per_person * n * c["factor"] * math.cos(math.radians(slope)))


def resistance_of_vegetation(vegetation: str, *, params: AttackParams | None = None) -> str:
    """Resistance class of one of the fire model's vegetation names (``agricultural``,
    ``thickets``, ``pine``), from ``[resistance_by_vegetation]`` (estimates)."""
    p = params or load_params()
    key = str(vegetation).lower()
    if key not in p.resistance_by_vegetation:
        raise InputError(f"vegetation: unknown class {vegetation!r} (known: {', '.join(p.resistance_by_vegetation)})")
    return p.resistance_by_vegetation[key]


# ------------------------------------------------------------------------------ ellipse geometry
def ellipse_perimeter_m(a: float, b: float) -> float:
    """Perimeter of an ellipse with semi-axes ``a``, ``b`` (Ramanujan's second approximation:
    π(a+b)(1 + 3λ²/(10 + √(4 − 3λ²))), λ = (a−b)/(a+b); exact for a circle)."""
    if a + b <= 0:
        return 0.0
    lam = (a - b) / (a + b)
    return math.pi * (a + b) * (1 + 3 * lam * lam / (10 + math.sqrt(4 - 3 * lam * lam)))


def _check_fire(head_ros_m_min: float, back_ros_m_min: float, lb: float) -> tuple[float, float, float]:
    h = positive("head_ros_m_min", head_ros_m_min)
    b = non_negative("back_ros_m_min", back_ros_m_min)
    if b > h:
        raise InputError(f"back_ros_m_min: expected ≤ head_ros_m_min ({h:g}), found {b:g}")
    e = finite("lb", lb)
    if e < 1:
        raise InputError(f"lb: expected a length-to-breadth ratio ≥ 1, found {e:g}")
    return h, b, e


def free_fire(head_ros_m_min: float, back_ros_m_min: float, lb: float, t_min: float) -> dict[str, float]:
    """The free-burning ellipse ``t_min`` after ignition: ``area_m2`` (πAB), ``perimeter_m``
    (Ramanujan) and ``perimeter_growth_m_min`` (the perimeter grows linearly: P(t)/t)."""
    h, b, e = _check_fire(head_ros_m_min, back_ros_m_min, lb)
    t = non_negative("t_min", t_min)
    a1 = (h + b) / 2
    p1 = ellipse_perimeter_m(a1, a1 / e)
    return {"area_m2": math.pi * a1 * (a1 / e) * t * t, "perimeter_m": p1 * t, "perimeter_growth_m_min": p1}


class _Ellipse:
    """The unit-time shape x₁(φ) relative to the ignition point (see the module docstring)."""

    def __init__(self, h: float, b: float, lb: float) -> None:
        self.a1 = (h + b) / 2
        self.b1 = self.a1 / lb
        self.c1 = (h - b) / 2

    def x(self, phi):
        return self.c1 - self.a1 * np.cos(phi), self.b1 * np.sin(phi)

    def dx(self, phi):
        return self.a1 * np.sin(phi), self.b1 * np.cos(phi)

    def normal_rate(self, phi):
        """ρₙ(φ) = |x₁ × x₁'| / |x₁'|: the fire's outward spread normal to its edge."""
        x, y = self.x(phi)
        dx, dy = self.dx(phi)
        return np.abs(x * dy - y * dx) / np.hypot(dx, dy)

    def w(self, phi: float, v: float) -> float:
        """dφ/d(ln t) of a crew building line at ``v`` at the edge (forward root); nan if v < ρₙ."""
        x, y = self.x(phi)
        dx, dy = self.dx(phi)
        q = dx * dx + dy * dy
        p = x * dx + y * dy
        disc = q * v * v - (x * dy - y * dx) ** 2
        if disc < 0:
            return math.nan
        return (-p + math.sqrt(disc)) / q

    def max_normal_rate(self, phi0: float, phi1: float) -> float:
        grid = np.linspace(phi0, phi1, 721)
        return float(np.max(self.normal_rate(grid)))


# ------------------------------------------------------------------------------ containment
def _crew_rates(crews: Sequence[tuple[float, str | float]], resistance: str, params: AttackParams,
                arg: str = "crews") -> list[tuple[float, float]]:
    """[(arrival_min, rate_m_min)] sorted by arrival; a crew is a crew type or a rate in m/h."""
    out = []
    for i, item in enumerate(crews):
        try:
            arrival, kind = item
        except (TypeError, ValueError):
            raise InputError(f"{arg}[{i}]: expected (arrival_min, crew_type or rate_m_h), found {item!r}") from None
        t = non_negative(f"{arg}[{i}] arrival_min", arrival)
        if isinstance(kind, str):
            rate = line_rate_m_h(kind, resistance, params=params)
        else:
            rate = non_negative(f"{arg}[{i}] rate_m_h", kind)
        out.append((t, rate / 60.0))
    return sorted(out)


def _rate_schedule(rates: list[tuple[float, float]], t_a: float) -> list[tuple[float, float]]:
    """[(from_min, total rate m/min)] from the attack start on, one entry per change."""
    times = sorted({t_a} | {max(t, t_a) for t, _ in rates})
    return [(s, sum(r for t, r in rates if max(t, t_a) <= s)) for s in times]


def _fried(geom: _Ellipse, t_a: float, schedule, flanks: int, horizon: float):
    """Integrate one flank's track in u = ln t: state (φ, signed area, line held).

    dφ/du = w(φ); the area swept about the ignition point, ½(x dy − y dx), is
    ½ e^{2u} w (x₁ × x₁') du; the line held grows by v dt = v e^u du. While a flank force is
    out-run it holds its place on the fire's shape, moving out radially with it (no area swept,
    the track lengthens by |x₁| dt). Returns (t_c or None, |area| of one flank's side, line held on
    one flank, reason).
    """
    phi_end = math.pi if flanks == 2 else 2 * math.pi
    phi, area, held, reason = 0.0, 0.0, 0.0, ""
    for i, (t0, total) in enumerate(schedule):
        t1 = min(schedule[i + 1][0] if i + 1 < len(schedule) else horizon, horizon)
        if t1 <= t0:
            continue
        v = total / flanks
        last = i + 1 >= len(schedule) or schedule[i + 1][0] >= horizon
        ahead = geom.max_normal_rate(phi, phi_end)
        if last and v <= ahead:
            # the final force cannot out-run the spread somewhere ahead (at the latest, the head)
            reason = (f"line rate per flank {v * 60:.0f} m/h ≤ the fire's spread ahead of the crews "
                      f"(up to {ahead * 60:.0f} m/h; the head rate at the head)")
        if v <= geom.normal_rate(phi) + 1e-12:
            if phi > 0:  # out-run where it stands: holds (at the rear, φ = 0, it simply waits)
                held += float(np.hypot(*geom.x(phi))) * (t1 - t0)
            continue

        def rhs(u, y, v=v):
            w = geom.w(y[0], v)
            w = w if math.isfinite(w) else 0.0
            x, yy = geom.x(y[0])
            dx, dy = geom.dx(y[0])
            return [w, 0.5 * math.exp(2 * u) * w * (x * dy - yy * dx), v * math.exp(u)]

        def reached(_u, y):
            return y[0] - phi_end
        reached.terminal, reached.direction = True, 1

        def stalled(_u, y, v=v):
            return v - geom.normal_rate(y[0]) - 1e-9
        stalled.terminal, stalled.direction = True, -1

        sol = solve_ivp(rhs, (math.log(t0), math.log(t1)), [phi, area, held], method="DOP853",
                        rtol=1e-11, atol=1e-12, events=(reached, stalled))
        if sol.t_events[0].size:
            y = sol.y_events[0][0]
            return math.exp(float(sol.t_events[0][0])), abs(float(y[1])), float(y[2]), ""
        phi, area, held = (float(c) for c in sol.y[:, -1])
        t_stop = math.exp(float(sol.t[-1]))
        if t_stop < t1:  # stalled: holds until the next arrival
            held += float(np.hypot(*geom.x(phi))) * (t1 - t_stop)
    return None, abs(area), held, reason or f"not contained within the horizon ({horizon:g} min)"


def containment(head_ros_m_min: float, back_ros_m_min: float, lb: float, attack_start_min: float,
                crews: Sequence[tuple[float, str | float]], *, resistance: str = "high",
                horizon_min: float = 1440.0, flanks: int = 2, method: str = "fried",
                params: AttackParams | None = None) -> dict[str, Any]:
    """Containment of an elliptical fire attacked from its rear (see the module docstring).

    Parameters
    ----------
    head_ros_m_min, back_ros_m_min, lb
        The free-burning fire: head and backing rates of spread (m/min) and length-to-breadth
        ratio; the ellipse grows linearly from ignition at time 0.
    attack_start_min
        When line construction starts at the rear (crews arriving earlier wait until then; if
        no crew is there yet, the first to arrive starts from the rear point at its arrival).
    crews
        ``(arrival_min, crew_type)`` pairs — or ``(arrival_min, rate_m_h)`` for a given line rate.
        Each crew builds line from ``max(arrival, attack_start)`` at :func:`line_rate_m_h` for
        ``resistance``.
    horizon_min
        Not contained by then → escaped.
    flanks
        2: the force splits at the rear and works both flanks to meet at the head (the common
        tactic); 1: all crews go round one way back to the anchor.
    method
        ``"fried"`` (Fried & Fried 1996 general formulation, direct attack at the fire's edge) or
        ``"perimeter"`` (the simple rule: line built = perimeter of the free-burning ellipse).

    Returns
    -------
    dict
        ``contained`` (bool), ``contained_min`` (None when escaped), ``area_ha`` and
        ``perimeter_m`` (of the contained fire; of the free-burning ellipse at the horizon when
        escaped), ``line_built_m`` (all crews' production until containment or the horizon),
        ``line_held_m`` (length of line on the final boundary), ``area_at_attack_ha``,
        ``reason`` (why it escaped, else ""), ``method``.
    """
    h, b, e = _check_fire(head_ros_m_min, back_ros_m_min, lb)
    t_a = non_negative("attack_start_min", attack_start_min)
    horizon = positive("horizon_min", horizon_min)
    if flanks not in (1, 2):
        raise InputError(f"flanks: expected 1 or 2, found {flanks!r}")
    if method not in ("fried", "perimeter"):
        raise InputError(f"method: expected 'fried' or 'perimeter', found {method!r}")
    if resistance not in RESISTANCES:
        raise InputError(f"resistance: unknown class {resistance!r} (known: {', '.join(RESISTANCES)})")
    p = params or load_params()
    rates = _crew_rates(crews, resistance, p)
    if not rates:
        raise InputError("crews: expected at least one (arrival_min, crew_type)")
    at_attack = free_fire(h, b, e, min(t_a, horizon))
    out: dict[str, Any] = {"method": method, "area_at_attack_ha": at_attack["area_m2"] / 1e4, "reason": ""}
    if t_a >= horizon:
        return _escaped(out, h, b, e, horizon, 0.0, "attack starts after the horizon")
    if t_a == 0.0:
        # self-similar growth from a point: a crew on the spot at ignition holds it at once
        return {**out, "contained": True, "contained_min": 0.0, "area_ha": 0.0, "perimeter_m": 0.0,
                "line_built_m": 0.0, "line_held_m": 0.0}
    schedule = _rate_schedule(rates, t_a)
    if method == "perimeter":
        return _perimeter_rule(out, h, b, e, t_a, schedule, horizon)
    tc, area, held, reason = _fried(_Ellipse(h, b, e), t_a, schedule, flanks, horizon)
    if tc is None:
        return _escaped(out, h, b, e, horizon, _built(schedule, horizon), reason)
    if flanks == 2:  # the other flank is the mirror image
        area, held, perim = 2 * area, 2 * held, 2 * held
    else:  # the crew closes on the axis behind its anchor: the backed-off strip closes the loop
        perim = held + b * (tc - t_a)
    return {**out, "contained": True, "contained_min": tc, "area_ha": area / 1e4, "perimeter_m": perim,
            "line_built_m": _built(schedule, tc), "line_held_m": held}


def containment_by_schedule(head_ros_m_min: float, back_ros_m_min: float, lb: float,
                            schedule: Sequence[tuple[float, float]], *, horizon_min: float,
                            flanks: int = 2) -> dict[str, Any]:
    """Fried & Fried containment with the total line rate given as it changes, crews leaving
    included: ``schedule`` is ``[(from_min, total_rate_m_h)]`` (sorted; the attack starts at the
    first entry with a rate above 0). Returns ``contained``, ``contained_min``, ``area_m2`` (inside
    the line; the free-burning ellipse at the horizon when escaped) and ``reason``."""
    h, b, e = _check_fire(head_ros_m_min, back_ros_m_min, lb)
    horizon = positive("horizon_min", horizon_min)
    steps = [(non_negative("schedule from_min", t), non_negative("schedule rate_m_h", r) / 60.0) for t, r in schedule]
    start = next((i for i, (_, r) in enumerate(steps) if r > 0), None)
    if start is None or steps[start][0] >= horizon:
        f = free_fire(h, b, e, horizon)
        return {"contained": False, "contained_min": None, "area_m2": f["area_m2"], "reason": "no line built"}
    steps = steps[start:]
    if steps[0][0] == 0.0:
        return {"contained": True, "contained_min": 0.0, "area_m2": 0.0, "reason": ""}
    tc, area, _, reason = _fried(_Ellipse(h, b, e), steps[0][0], steps, flanks, horizon)
    if tc is None:
        f = free_fire(h, b, e, horizon)
        return {"contained": False, "contained_min": None, "area_m2": f["area_m2"], "reason": reason}
    return {"contained": True, "contained_min": tc, "area_m2": area * (2 if flanks == 2 else 1), "reason": ""}


def _built(schedule, t_end: float) -> float:
    """Line produced (m) by all crews from the attack start to ``t_end``."""
    total = 0.0
    for i, (t0, rate) in enumerate(schedule):
        t1 = schedule[i + 1][0] if i + 1 < len(schedule) else t_end
        total += rate * max(min(t1, t_end) - t0, 0.0)
    return total


def _escaped(out: dict, h: float, b: float, e: float, horizon: float, built: float, reason: str) -> dict:
    f = free_fire(h, b, e, horizon)
    return {**out, "contained": False, "contained_min": None, "area_ha": f["area_m2"] / 1e4,
            "perimeter_m": f["perimeter_m"], "line_built_m": built, "line_held_m": 0.0, "reason": reason}


def _perimeter_rule(out: dict, h: float, b: float, e: float, t_a: float, schedule, horizon: float) -> dict:
    """The simple rule: contained when the line built since ``t_a`` equals the free perimeter P₁t."""
    p1 = free_fire(h, b, e, 1.0)["perimeter_growth_m_min"]
    built = 0.0
    for i, (t0, rate) in enumerate(schedule):
        t1 = min(schedule[i + 1][0] if i + 1 < len(schedule) else horizon, horizon)
        # built + rate (t - t0) = p1 t  →  t = (built - rate t0) / (p1 - rate)
        if rate > p1:
            tc = max((built - rate * t0) / (p1 - rate), t0)
            if tc <= t1:
                f = free_fire(h, b, e, tc)
                return {**out, "contained": True, "contained_min": tc, "area_ha": f["area_m2"] / 1e4,
                        "perimeter_m": f["perimeter_m"], "line_built_m": f["perimeter_m"],
                        "line_held_m": f["perimeter_m"]}
        built += rate * max(t1 - t0, 0.0)
    final = schedule[-1][1]
    reason = (f"total line rate {final * 60:.0f} m/h ≤ perimeter growth {p1 * 60:.0f} m/h" if final <= p1
              else f"not contained within the horizon ({horizon:g} min)")
    return _escaped(out, h, b, e, horizon, built, reason)


# ------------------------------------------------------------------------------ per-step API
@dataclass(frozen=True)
class AttackStep:
    """What :meth:`AttackState.step` reports after a step."""

    t_min: float
    line_built_m: float       #: line held so far (capped at the perimeter; once contained, its length then)
    free_edge_m: float        #: perimeter not yet lined
    contained: bool
    contained_min: float | None
    losing: bool              #: the perimeter grows at least as fast as line is built


class AttackState:
    """Line building against a fire whose perimeter the caller measures (a raster fire model).

    Each :meth:`step` adds the line the crews on the line built since the previous step; the fire
    is contained when the line closes round the measured perimeter (line ≥ perimeter), the
    instant found within the step from ``perimeter_growth_m_min`` (the perimeter taken as linear in
    the step). Pass the perimeter of the fire as it burns *with* suppression where the raster
    model stops the fire at held line; with a free-burning perimeter this is the simple rule of
    :func:`containment` (``method="perimeter"``), which over-estimates fire size (Fried & Fried 1996).
    """

    def __init__(self, *, resistance: str = "high", params: AttackParams | None = None) -> None:
        if resistance not in RESISTANCES:
            raise InputError(f"resistance: unknown class {resistance!r} (known: {', '.join(RESISTANCES)})")
        self.resistance = resistance
        self.params = params or load_params()
        self.t_prev: float | None = None
        self.line_m = 0.0
        self.contained_min: float | None = None

    def rate_m_min(self, crews_on_line: Iterable[str | float] | Mapping[str, int]) -> float:
        """Total line rate (m/min) of the crews: crew-type names (or rates in m/h), or {type: count}."""
        if isinstance(crews_on_line, Mapping):
            items = []
            for k, n in crews_on_line.items():
                cnt = non_negative(f"crews_on_line[{k!r}]", n)
                items.append(line_rate_m_h(k, self.resistance, params=self.params) * cnt)
            return sum(items) / 60.0
        total = 0.0
        for i, c in enumerate(crews_on_line):
            total += (line_rate_m_h(c, self.resistance, params=self.params) if isinstance(c, str)
                      else non_negative(f"crews_on_line[{i}]", c))
        return total / 60.0

    def step(self, t_min: float, perimeter_m: float, perimeter_growth_m_min: float,
             crews_on_line: Iterable[str | float] | Mapping[str, int]) -> AttackStep:
        """Advance to ``t_min`` with the fire's measured ``perimeter_m`` there, its growth rate
        (m/min) and the crews that worked since the previous call."""
        t = non_negative("t_min", t_min)
        perim = non_negative("perimeter_m", perimeter_m)
        g = non_negative("perimeter_growth_m_min", perimeter_growth_m_min)
        v = self.rate_m_min(crews_on_line)
        if self.t_prev is not None and t < self.t_prev:
            raise InputError(f"t_min: {t:g} is before the previous step ({self.t_prev:g})")
        dt = 0.0 if self.t_prev is None else t - self.t_prev
        if self.contained_min is None:
            start = self.line_m
            self.line_m = min(start + v * dt, perim) if perim > 0 else start + v * dt
            if perim > 0 and start + v * dt >= perim and dt > 0:
                # line(s) = start + v (s − t_prev) meets P(s) = perim − g (t − s)
                s = self.t_prev + ((perim - g * dt - start) / (v - g) if v > g else dt)
                self.contained_min = min(max(s, self.t_prev), t)
                # the line closed at that instant: its length is the perimeter then
                self.line_m = min(start + v * (self.contained_min - self.t_prev), perim)
        self.t_prev = t
        free = 0.0 if self.contained_min is not None else max(perim - self.line_m, 0.0)
        return AttackStep(t_min=t, line_built_m=self.line_m, free_edge_m=free,
                          contained=self.contained_min is not None, contained_min=self.contained_min,
                          losing=g >= v)
