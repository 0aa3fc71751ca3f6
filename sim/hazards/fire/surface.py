"""Rothermel (1972) surface fire spread, computed the way BehavePlus (the USFS Behave library)
computes it.

Equations: Rothermel 1972 (INT-115) with the Albini 1976 (INT-30) modifications, as summarised
in Andrews 2018 (RMRS-GTR-371); the algorithm choices (size-class weights, dynamic fuel load
transfer, wind/slope vector, effective wind speed, length-to-breadth ratio, wind adjustment
factor) follow the firelab/behave C++ sources (``surfaceFuelbedIntermediates.cpp``,
``surfaceFireReactionIntensity.cpp``, ``surfaceFire.cpp``, ``fireSize.cpp``,
``windAdjustmentFactor.cpp``), re-written here in numpy. Equation numbers "R72 (n)" are those
of Rothermel 1972.

Units: the model is evaluated in its native US customary units (lb, ft, min, Btu), as in
Behave, and every result is converted to SI at the end; the ``_FT_MIN_PER_M_S`` style
constants below are exact conversions (international foot, IT Btu).

Fuel models: the 13 of Anderson 1982 (``FM1``..``FM13``) and the 40 of Scott & Burgan 2005
(``GR1``.. ``SB4``), plus the non-burnable ``NB`` codes, from ``data/fuel_models.toml``.

Public API
----------
``rothermel(fuel_model, moisture, midflame_wind_m_s, slope_pct, *, wind_direction_deg=0,
effective_wind_limit=False)``: head/backing/flanking spread, intensities, flame length and the
fire ellipse, for one fuel model and scalar or numpy-array weather/terrain (broadcast).
``rothermel_table(...)``: the same with an array of fuel model codes (one per cell).
``ros_in_direction(result, direction_deg)``: spread rate at an angle from upslope.
``wind_adjustment_factor(...)``, ``midflame_wind(...)``: 20-ft / 10-m wind to midflame wind.
``get_fuel_model(code)``, ``fuel_model_codes()``: the fuel model table.
"""
from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from network.errors import InputError

__all__ = [
    "DEAD_MOISTURE_RANGE",
    "LIVE_MOISTURE_RANGE",
    "FuelModel",
    "fuel_model_codes",
    "get_fuel_model",
    "midflame_wind",
    "ros_in_direction",
    "rothermel",
    "rothermel_table",
    "wind_adjustment_factor",
]

FUEL_MODELS_TOML = Path(__file__).with_name("data") / "fuel_models.toml"

# --- unit conversions (exact: 1 ft = 0.3048 m, 1 Btu(IT) = 1055.05585262 J, 1 lb = 0.45359237 kg)
_FT = 0.3048
_BTU_KJ = 1.05505585262
_FT_MIN_PER_M_S = 60.0 / _FT                 # m/s -> ft/min (196.85)
_FT_MIN_PER_MPH = 88.0                       # mi/h -> ft/min
_KW_M_PER_BTU_FT_S = _BTU_KJ / _FT           # Btu/ft/s -> kW/m (3.4614)
_KJ_M2_PER_BTU_FT2 = _BTU_KJ / _FT**2        # Btu/ft2 -> kJ/m2 (11.357)
_KW_M2_PER_BTU_FT2_MIN = _KJ_M2_PER_BTU_FT2 / 60.0   # Btu/ft2/min -> kW/m2 (0.18928)
_LB_FT2_PER_T_AC = 2000.0 / 43560.0          # short ton/acre -> lb/ft2

# --- Rothermel / Albini constants
_RHO_P = 32.0            # oven-dry particle density, lb/ft3 (Albini 1976 p. 91)
_S_T = 0.0555            # total mineral content (R72 eq. 24)
_S_E = 0.010             # effective (silica-free) mineral content
_SAV_10H, _SAV_100H = 109.0, 30.0   # fixed SAV of 10-h and 100-h dead fuel, 1/ft

#: Accepted moisture ranges (fractions of oven-dry weight). Below 1 % dead fuel is not found in
#: the field; 60 % is above every dead moisture of extinction (the largest, FM7's, is 40 %), so
#: fuel at or past extinction is accepted and simply does not spread. Live fuel below 30 % is
#: fully cured (Scott & Burgan 2005): pass 0.30. 300 % is the top of BehavePlus' live range.
DEAD_MOISTURE_RANGE = (0.01, 0.60)
LIVE_MOISTURE_RANGE = (0.30, 3.00)
_MOISTURE_NAMES = ("1-h dead", "10-h dead", "100-h dead", "live herbaceous", "live woody")


@dataclass(frozen=True)
class FuelModel:
    """One standard fuel model (US customary units, as published)."""

    code: str
    number: int
    name: str
    source: str
    depth_ft: float
    mx_dead: float                       # dead moisture of extinction, fraction
    heat_dead: float                     # Btu/lb
    heat_live: float
    loads_lb_ft2: tuple[float, float, float, float, float]   # 1h, 10h, 100h, live herb, live woody
    sav_1h: float                        # 1/ft
    sav_herb: float
    sav_woody: float
    dynamic: bool
    burnable: bool

    @property
    def depth_m(self) -> float:
        return self.depth_ft * _FT


@lru_cache(maxsize=4)
def _load_table(path: str) -> dict[str, FuelModel]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: cannot read the fuel model table: {exc}") from None
    table: dict[str, FuelModel] = {}
    for code, m in data.get("models", {}).items():
        try:
            if "load_t_ac" in m:
                loads = tuple(float(x) * _LB_FT2_PER_T_AC for x in m["load_t_ac"])
            else:
                loads = tuple(float(x) for x in m["load_lb_ft2"])
            sav = [float(x) for x in m["sav_ft"]]
            if len(loads) != 5 or len(sav) != 3:
                raise ValueError("loads need 5 values and sav_ft 3")
            table[code.upper()] = FuelModel(
                code=code.upper(), number=int(m["number"]), name=str(m["name"]),
                source=str(m["source"]), depth_ft=float(m["depth_ft"]),
                mx_dead=float(m["mx_dead"]), heat_dead=float(m["heat_dead"]),
                heat_live=float(m["heat_live"]), loads_lb_ft2=loads,  # type: ignore[arg-type]
                sav_1h=sav[0], sav_herb=sav[1], sav_woody=sav[2],
                dynamic=bool(m["dynamic"]), burnable=bool(m.get("burnable", True)))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{path}: [models.{code}]: {exc}") from None
    return table


def _table() -> dict[str, FuelModel]:
    return _load_table(str(FUEL_MODELS_TOML))


def fuel_model_codes() -> list[str]:
    """All known codes, in fuel-model-number order."""
    return [fm.code for fm in sorted(_table().values(), key=lambda f: f.number)]


def _known_codes_text() -> str:
    groups: dict[str, list[int]] = {}
    for code in fuel_model_codes():
        prefix = code.rstrip("0123456789")
        groups.setdefault(prefix, []).append(int(code[len(prefix):]))
    parts = [f"{p}{min(n)}..{p}{max(n)}" for p, n in groups.items()]
    return ", ".join(parts) + " (or the standard numbers 1-13, 91-99, 101-204)"


def get_fuel_model(code: str | int) -> FuelModel:
    """The fuel model for a code (``"FM4"``, ``"gs4"``, ``"4"``) or its standard number
    (``4``, ``124``); an unknown code raises :class:`InputError` naming ``fuel_model``."""
    table = _table()
    if isinstance(code, (bool, np.bool_)):
        raise InputError(f"fuel_model: {code!r} is not a fuel model code; known: {_known_codes_text()}")
    if isinstance(code, (int, np.integer)) or (isinstance(code, str) and code.strip().isdigit()):
        number = int(code)
        for fm in table.values():
            if fm.number == number:
                return fm
    elif isinstance(code, str):
        fm = table.get(code.strip().upper())
        if fm is not None:
            return fm
    raise InputError(f"fuel_model: unknown code {code!r}; known: {_known_codes_text()}")


# ------------------------------------------------------------------------------------------
# input checks


def _float_array(name: str, value: Any) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{name}: {value!r} is not a number or an array of numbers") from None
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name}: must be finite (got NaN or infinity)")
    return arr


def _first_bad(arr: np.ndarray, bad: np.ndarray) -> float:
    return float(np.broadcast_to(arr, bad.shape)[bad].flat[0])


def _check_moisture(moisture: Any) -> list[np.ndarray]:
    if isinstance(moisture, (str, bytes)) or not isinstance(moisture, (Sequence, np.ndarray)) \
            or len(moisture) != 5:
        raise InputError("moisture: give 5 fractions (1-h, 10-h, 100-h dead, live herbaceous, "
                         f"live woody), got {moisture!r}")
    out = []
    for i, (value, label) in enumerate(zip(moisture, _MOISTURE_NAMES)):
        arr = _float_array(f"moisture[{i}] ({label})", value)
        lo, hi = DEAD_MOISTURE_RANGE if i < 3 else LIVE_MOISTURE_RANGE
        bad = (arr < lo) | (arr > hi)
        if np.any(bad):
            hint = " (fully cured herbaceous fuel: pass 0.30)" if i == 3 and _first_bad(arr, bad) < lo \
                else ""
            raise InputError(f"moisture[{i}] ({label}): {_first_bad(arr, bad):g} is outside "
                             f"{lo:.2f}..{hi:.2f} (fractions of dry weight, not percent){hint}")
        out.append(arr)
    return out


def _check_non_negative(name: str, value: Any, what: str) -> np.ndarray:
    arr = _float_array(name, value)
    bad = arr < 0
    if np.any(bad):
        raise InputError(f"{name}: {_first_bad(arr, bad):g} is negative; {what}")
    return arr


# ------------------------------------------------------------------------------------------
# the fuel bed (R72 eqs. 24-80 with Albini 1976's weighting), vectorised over cells


def _size_bin(sav: float) -> int:
    """Behave's SAV size class used for the net-load weights g_ij (Albini 1976 p. 15):
    >=1200, 192-1200, 96-192, 48-96, 16-48 1/ft; -1 = none."""
    for k, edge in enumerate((1200.0, 192.0, 96.0, 48.0, 16.0)):
        if sav >= edge:
            return k
    return -1


def _same_bin_matrix(savs: Sequence[float]) -> np.ndarray:
    bins = [_size_bin(s) for s in savs]
    return np.array([[1.0 if (bj == bi and bi >= 0) else 0.0 for bi in bins] for bj in bins])


def _area_fractions(loads: np.ndarray, savs: np.ndarray, counted: bool) -> tuple[np.ndarray, np.ndarray]:
    """Surface-area weights f_ij within a life category (R72 eqs. 53-56) and its total area."""
    area = loads * savs / _RHO_P
    total = area.sum(axis=-1)
    if not counted:        # Behave skips a category that had no load before any transfer
        return np.zeros_like(area), np.zeros_like(total)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(total[..., None] > 1e-7, area / total[..., None], 0.0)
    return f, total


def _fuelbed(fm: FuelModel, m: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Fuel bed intermediates for every cell: characteristic SAV, packing ratios, per-category
    net loads, weighted moistures, moistures of extinction, heat sink and propagating flux."""
    m1, m10, m100, mh, mw = m
    shape = np.broadcast_shapes(*(a.shape for a in m))
    w1, w10, w100, wh, ww = fm.loads_lb_ft2
    has_dead = (w1 + w10 + w100) > 0
    has_live = (wh + ww) > 0
    # Dynamic models (Scott & Burgan 2005): cure the herbaceous load by its moisture, moving
    # the cured part into a dead herbaceous class that dries like 1-h fuel. Behave uses
    # 1.333 - 1.11 M (not the paper's (1.20 - M)/0.9) "to keep consistent with BehavePlus".
    herb_dead = np.zeros(shape)
    herb_live = np.full(shape, wh)
    if fm.dynamic and wh > 0:
        cured = np.where(mh < 0.30, 1.0, np.where(mh <= 1.20, 1.333 - 1.11 * mh, 0.0))
        herb_dead = np.broadcast_to(wh * cured, shape)
        herb_live = wh - herb_dead

    def b(x: Any) -> np.ndarray:
        return np.broadcast_to(np.asarray(x, dtype=float), shape)

    dead_w = np.stack([b(w1), b(w10), b(w100), herb_dead], axis=-1)
    live_w = np.stack([herb_live, b(ww)], axis=-1)
    dead_s = np.array([fm.sav_1h, _SAV_10H, _SAV_100H, fm.sav_herb])
    live_s = np.array([fm.sav_herb, fm.sav_woody])
    dead_m = np.stack([b(m1), b(m10), b(m100), b(m1)], axis=-1)   # dead herb dries like 1-h
    live_m = np.stack([b(mh), b(mw)], axis=-1)

    f_dead, a_dead = _area_fractions(dead_w, dead_s, has_dead)
    f_live, a_live = _area_fractions(live_w, live_s, has_live)
    a_all = a_dead + a_live
    with np.errstate(invalid="ignore", divide="ignore"):
        f_d = np.where(a_all > 0, a_dead / a_all, 0.0)            # R72 eq. 57
    f_l = 1.0 - f_d
    # Net loads weighted by size-class bins g_ij (Albini 1976), R72 eq. 24 mineral-free.
    g_dead = f_dead @ _same_bin_matrix(dead_s)
    g_live = f_live @ _same_bin_matrix(live_s)
    wn_dead = (g_dead * dead_w * (1.0 - _S_T)).sum(axis=-1)
    wn_live = (g_live * live_w * (1.0 - _S_T)).sum(axis=-1)
    sum_f_dead, sum_f_live = f_dead.sum(axis=-1), f_live.sum(axis=-1)   # 1, or 0 if empty
    sigma = f_d * (f_dead * dead_s).sum(axis=-1) + f_l * (f_live * live_s).sum(axis=-1)  # eq. 72
    depth = fm.depth_ft
    total_load = dead_w.sum(axis=-1) + live_w.sum(axis=-1)
    rho_b = total_load / depth                                     # eq. 40
    beta = total_load / (depth * _RHO_P)                           # eq. 31
    with np.errstate(invalid="ignore", divide="ignore"):
        beta_op = 3.348 * sigma ** -0.8189                         # eq. 37
        rel_beta = np.where(sigma > 0, beta / beta_op, 0.0)
    # Heat sink: rho_b * sum_j f_j sum_i f_ij exp(-138/sigma_ij) Q_ig,ij (eqs. 12, 77)
    q_dead = (f_dead * np.exp(-138.0 / dead_s) * (250.0 + 1116.0 * dead_m)).sum(axis=-1)
    q_live = (f_live * np.exp(-138.0 / live_s) * (250.0 + 1116.0 * live_m)).sum(axis=-1)
    heat_sink = rho_b * (f_d * q_dead + f_l * q_live)
    # Propagating flux ratio xi (eq. 42)
    with np.errstate(over="ignore"):
        xi = np.where(sigma > 1e-7, np.exp((0.792 + 0.681 * np.sqrt(sigma)) * (beta + 0.1))
                      / (192.0 + 0.2595 * sigma), 0.0)
    # Live moisture of extinction (Albini 1976 p. 89; R72 eq. 88 as revised)
    fine_dead_w = dead_w * np.exp(-138.0 / dead_s)
    fine_dead = fine_dead_w.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        m_fine_dead = np.where(fine_dead > 1e-7, (fine_dead_w * dead_m).sum(axis=-1) / fine_dead, 0.0)
        fine_live = (live_w * np.exp(-500.0 / live_s)).sum(axis=-1)
        ratio = np.where(fine_live > 1e-7, fine_dead / fine_live, 0.0)
    mx_live = 2.9 * ratio * (1.0 - m_fine_dead / fm.mx_dead) - 0.226
    mx_live = np.maximum(mx_live, fm.mx_dead) if has_live else np.zeros(shape)  # Behave: 0 if none
    return {
        "sigma": sigma, "beta": beta, "rel_beta": rel_beta, "rho_b": rho_b,
        "heat_sink": heat_sink, "xi": xi,
        "wn_dead": wn_dead, "wn_live": wn_live,
        "heat_dead": fm.heat_dead * sum_f_dead, "heat_live": fm.heat_live * sum_f_live,
        "silica_dead": _S_E * sum_f_dead, "silica_live": _S_E * sum_f_live,
        "m_dead": (f_dead * dead_m).sum(axis=-1), "m_live": (f_live * live_m).sum(axis=-1),
        "mx_dead": np.full(shape, fm.mx_dead), "mx_live": mx_live,
    }


def _eta_m(moist: np.ndarray, mx: np.ndarray) -> np.ndarray:
    """Moisture damping coefficient (R72 eq. 29); 0 at or past extinction."""
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(mx > 0, moist / mx, 0.0)
    eta = 1.0 - 2.59 * r + 5.11 * r * r - 3.52 * r ** 3
    return np.where((moist >= mx) | (r > 1.0), 0.0, eta)


def _eta_s(silica: np.ndarray) -> np.ndarray:
    """Mineral damping coefficient (R72 eq. 30), at most 1."""
    denom = np.power(silica, 0.19)
    with np.errstate(divide="ignore"):
        return np.where(denom < 1e-6, 0.0, np.minimum(1.0, 0.174 / np.where(denom < 1e-6, 1.0, denom)))


def _reaction_intensity(fb: dict[str, np.ndarray]) -> np.ndarray:
    """I_R, Btu/ft2/min (R72 eqs. 27, 36, 38, 39 with Albini's A = 133 sigma^-0.7913)."""
    sigma, rel = fb["sigma"], fb["rel_beta"]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        a = 133.0 * sigma ** -0.7913
        s15 = sigma ** 1.5
        gamma_max = s15 / (495.0 + 0.0594 * s15)
        gamma = np.where(sigma > 0, gamma_max * rel ** a * np.exp(a * (1.0 - rel)), 0.0)
    dead = fb["wn_dead"] * fb["heat_dead"] * _eta_m(fb["m_dead"], fb["mx_dead"]) * _eta_s(fb["silica_dead"])
    live = fb["wn_live"] * fb["heat_live"] * _eta_m(fb["m_live"], fb["mx_live"]) * _eta_s(fb["silica_live"])
    return gamma * (dead + live)


# ------------------------------------------------------------------------------------------
# spread


def _spread(fb: dict[str, np.ndarray], i_r: np.ndarray, u_ft_min: np.ndarray, tan_slope: np.ndarray,
            wind_dir_deg: np.ndarray, limit: bool) -> dict[str, np.ndarray]:
    """Head spread, its direction and the effective wind (surfaceFire.cpp's order of work)."""
    sigma, rel, beta = fb["sigma"], fb["rel_beta"], fb["beta"]
    with np.errstate(invalid="ignore", divide="ignore"):
        r0 = np.where(fb["heat_sink"] > 1e-7, i_r * fb["xi"] / fb["heat_sink"], 0.0)   # eq. 52
        c = 7.47 * np.exp(-0.133 * sigma ** 0.55)                  # eqs. 48-50
        b = 0.02526 * sigma ** 0.54
        e = 0.715 * np.exp(-3.59e-4 * sigma)
        rel_pow_e = np.where(rel > 0, rel ** e, 0.0)
        phi_w = np.where((u_ft_min >= 1e-7) & (rel > 0), c * u_ft_min ** b / rel_pow_e, 0.0)  # eq. 47
        phi_s = np.where(beta > 0, 5.275 * beta ** -0.3 * tan_slope ** 2, 0.0)                 # eq. 51
    # Behave caps phi_s at 0.9 I_R (calculateWindSpeedLimit); kept for fidelity, it never binds
    # at real slopes.
    phi_s = np.minimum(phi_s, 0.9 * i_r)
    # Wind and slope as vectors (calculateDirectionOfMaxSpread): slope along 0 deg (upslope),
    # wind along its direction; the head runs along their resultant.
    theta = np.radians(wind_dir_deg)
    x = r0 * phi_s + r0 * phi_w * np.cos(theta)
    y = r0 * phi_w * np.sin(theta)
    ros = r0 + np.hypot(x, y)
    az = np.degrees(np.arctan2(y, x))
    az = np.where(az < -1e-20, az + 360.0, az)
    az = np.where(np.abs(az) < 0.5, 0.0, az)       # BehavePlus' snap to upslope
    # Effective wind speed: the wind alone that would give this spread (eq. 87 inverted).
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        phi_e = np.where(r0 > 0, ros / np.where(r0 > 0, r0, 1.0) - 1.0, 0.0)
        u_eff = np.where((phi_e > 0) & (c > 0),
                         (np.maximum(phi_e, 0.0) * rel_pow_e / np.where(c > 0, c, 1.0))
                         ** (1.0 / np.where(b > 0, b, 1.0)), 0.0)
    u_limit = 0.9 * i_r                            # ft/min (Rothermel 1972, eq. 86 as in Behave)
    exceeded = u_eff > u_limit
    if limit:
        with np.errstate(invalid="ignore", divide="ignore"):
            phi_lim = np.where(rel > 0, c * u_limit ** b / rel_pow_e, 0.0)
        ros = np.where(exceeded, r0 * (1.0 + phi_lim), ros)
        u_eff = np.where(exceeded, u_limit, u_eff)
    return {"r0": r0, "ros": ros, "azimuth": az, "u_eff": u_eff, "phi_w": phi_w, "phi_s": phi_s,
            "limit_exceeded": exceeded & limit, "u_limit": u_limit}


def _ellipse(ros: np.ndarray, u_eff_ft_min: np.ndarray) -> tuple[np.ndarray, ...]:
    """Length-to-breadth ratio (Anderson 1983 as in Behave's fireSize.cpp, U in mi/h, capped at
    8), eccentricity, backing and flanking spread."""
    u = u_eff_ft_min / _FT_MIN_PER_MPH
    lb = np.where(u > 1e-7, np.minimum(8.0, 0.936 * np.exp(0.1147 * u) + 0.461 * np.exp(-0.0692 * u)
                                       - 0.397), 1.0)
    ecc = np.sqrt(np.maximum(lb * lb - 1.0, 0.0)) / lb
    backing = ros * (1.0 - ecc) / (1.0 + ecc)
    flanking = (ros + backing) / lb / 2.0
    return lb, ecc, backing, flanking


def _zeros_result(shape: tuple[int, ...], fm: FuelModel) -> dict[str, np.ndarray]:
    z = np.zeros(shape)
    out = {k: z.copy() for k in _RESULT_KEYS}
    out["lb_ratio"] = np.ones(shape)
    out["dead_moisture_of_extinction"] = np.full(shape, fm.mx_dead)
    out["wind_limit_exceeded"] = np.zeros(shape, dtype=bool)
    return out


_RESULT_KEYS = (
    "ros_m_min", "backing_ros_m_min", "flanking_ros_m_min", "direction_of_max_spread_deg",
    "reaction_intensity_kw_m2", "fireline_intensity_kw_m", "flame_length_m", "lb_ratio",
    "eccentricity", "effective_wind_m_s", "heat_per_unit_area_kj_m2", "residence_time_min",
    "live_moisture_of_extinction", "dead_moisture_of_extinction", "phi_w", "phi_s",
    "no_wind_no_slope_ros_m_min", "midflame_wind_m_s", "characteristic_sav_m_inv",
    "characteristic_dead_moisture", "characteristic_live_moisture", "packing_ratio",
    "relative_packing_ratio", "wind_limit_m_s", "wind_limit_exceeded",
)


def _compute(fm: FuelModel, m: list[np.ndarray], wind: np.ndarray, slope: np.ndarray,
             wdir: np.ndarray, limit: bool) -> dict[str, np.ndarray]:
    shape = np.broadcast_shapes(*(a.shape for a in m), wind.shape, slope.shape, wdir.shape)
    if not fm.burnable:
        out = _zeros_result(shape, fm)
        out["midflame_wind_m_s"] = np.broadcast_to(wind, shape).astype(float)
        return out
    fb = _fuelbed(fm, m)
    i_r = _reaction_intensity(fb)
    u = np.broadcast_to(wind * _FT_MIN_PER_M_S, shape)
    sp = _spread(fb, np.broadcast_to(i_r, shape), u, np.broadcast_to(slope / 100.0, shape),
                 np.broadcast_to(wdir, shape), limit)
    ros = sp["ros"]
    lb, ecc, backing, flanking = _ellipse(ros, sp["u_eff"])
    with np.errstate(divide="ignore"):
        t_r = np.where(fb["sigma"] > 1e-7, 384.0 / fb["sigma"], 0.0)   # Anderson 1969, min
    hpa = i_r * t_r                                   # Btu/ft2
    i_b = ros * i_r * t_r / 60.0                      # Byram's intensity, Btu/ft/s
    flame = np.where(i_b >= 1e-7, 0.45 * np.power(np.maximum(i_b, 1e-7), 0.46), 0.0)  # ft
    b = lambda a: np.broadcast_to(a, shape).astype(float)
    return {
        "ros_m_min": b(ros * _FT),
        "backing_ros_m_min": b(backing * _FT),
        "flanking_ros_m_min": b(flanking * _FT),
        "direction_of_max_spread_deg": b(sp["azimuth"]),
        "reaction_intensity_kw_m2": b(i_r * _KW_M2_PER_BTU_FT2_MIN),
        "fireline_intensity_kw_m": b(i_b * _KW_M_PER_BTU_FT_S),
        "flame_length_m": b(flame * _FT),
        "lb_ratio": b(lb),
        "eccentricity": b(ecc),
        "effective_wind_m_s": b(sp["u_eff"] / _FT_MIN_PER_M_S),
        "heat_per_unit_area_kj_m2": b(hpa * _KJ_M2_PER_BTU_FT2),
        "residence_time_min": b(t_r),
        "live_moisture_of_extinction": b(fb["mx_live"]),
        "dead_moisture_of_extinction": b(fb["mx_dead"]),
        "phi_w": b(sp["phi_w"]),
        "phi_s": b(sp["phi_s"]),
        "no_wind_no_slope_ros_m_min": b(sp["r0"] * _FT),
        "midflame_wind_m_s": b(wind),
        "characteristic_sav_m_inv": b(fb["sigma"] / _FT),
        "characteristic_dead_moisture": b(fb["m_dead"]),
        "characteristic_live_moisture": b(fb["m_live"]),
        "packing_ratio": b(fb["beta"]),
        "relative_packing_ratio": b(fb["rel_beta"]),
        "wind_limit_m_s": b(sp["u_limit"] / _FT_MIN_PER_M_S),
        "wind_limit_exceeded": np.broadcast_to(sp["limit_exceeded"], shape).copy(),
    }


def _scalarise(out: dict[str, np.ndarray]) -> dict[str, Any]:
    if next(iter(out.values())).shape == ():
        return {k: (bool(v) if v.dtype == bool else float(v)) for k, v in out.items()}
    return out


def rothermel(fuel_model: str | int, moisture: Sequence[Any], midflame_wind_m_s: Any,
              slope_pct: Any, *, wind_direction_deg: Any = 0.0,
              effective_wind_limit: bool = False) -> dict[str, Any]:
    """Rothermel surface fire spread for one fuel model, as BehavePlus computes it.

    Args:
        fuel_model: a standard code (``"FM1"``..``"FM13"``, ``"GR1"``..``"SB4"``, ``"NB1"``..)
            or its number (1-13, 91-99, 101-204).
        moisture: 5 fractions (1-h, 10-h, 100-h dead, live herbaceous, live woody); each may be a
            scalar or an array (all inputs broadcast together). Dead 0.01..0.60, live 0.30..3.00;
            fuel at or past its moisture of extinction is valid and gives no spread.
        midflame_wind_m_s: midflame wind speed, m/s, >= 0 (see :func:`midflame_wind`).
        slope_pct: slope, percent (rise/run x 100), >= 0.
        wind_direction_deg: direction the wind blows *towards*, degrees clockwise from upslope
            (0 = blowing upslope).
        effective_wind_limit: cap the effective wind at 0.9 I_R ft/min (Rothermel 1972 eq. 86;
            BehavePlus' option, off by default as in current BehavePlus practice).

    Returns:
        A dict (floats for scalar inputs, arrays otherwise): ``ros_m_min`` (head, direction of
        maximum spread), ``backing_ros_m_min``, ``flanking_ros_m_min``,
        ``direction_of_max_spread_deg`` (clockwise from upslope), ``reaction_intensity_kw_m2``,
        ``fireline_intensity_kw_m`` (Byram, head), ``flame_length_m`` (Byram 1959, head),
        ``lb_ratio``, ``eccentricity``, ``effective_wind_m_s``, ``heat_per_unit_area_kj_m2``,
        ``residence_time_min``, ``live_moisture_of_extinction`` (0 if the model has no live
        fuel, as in Behave), ``dead_moisture_of_extinction``, ``phi_w``, ``phi_s``, and
        ``no_wind_no_slope_ros_m_min``, ``midflame_wind_m_s``, ``characteristic_sav_m_inv``,
        ``characteristic_dead_moisture``, ``characteristic_live_moisture``, ``packing_ratio``,
        ``relative_packing_ratio``, ``wind_limit_m_s``, ``wind_limit_exceeded``.

    Raises:
        InputError: unknown fuel model, moisture out of range, negative wind or slope; the
            message names the argument.
    """
    fm = get_fuel_model(fuel_model)
    m = _check_moisture(moisture)
    wind = _check_non_negative("midflame_wind_m_s", midflame_wind_m_s,
                               "wind speed must be >= 0 (its direction goes in wind_direction_deg)")
    slope = _check_non_negative("slope_pct", slope_pct, "slope must be >= 0 (percent, upslope is "
                                "the reference direction)")
    wdir = _float_array("wind_direction_deg", wind_direction_deg)
    try:
        np.broadcast_shapes(*(a.shape for a in m), wind.shape, slope.shape, wdir.shape)
    except ValueError:
        raise InputError("moisture, midflame_wind_m_s, slope_pct, wind_direction_deg: array shapes "
                         "do not broadcast together") from None
    return _scalarise(_compute(fm, m, wind, slope, wdir, bool(effective_wind_limit)))


def rothermel_table(fuel_models: Any, moisture: Sequence[Any], midflame_wind_m_s: Any,
                    slope_pct: Any, *, wind_direction_deg: Any = 0.0,
                    effective_wind_limit: bool = False) -> dict[str, np.ndarray]:
    """:func:`rothermel` for many cells with a fuel model per cell (e.g. a raster of codes or
    numbers): evaluates each distinct fuel model once over its cells. All arguments broadcast
    to one shape; returns a dict of arrays of that shape."""
    codes = np.asarray(fuel_models, dtype=object)
    m = _check_moisture(moisture)
    wind = _check_non_negative("midflame_wind_m_s", midflame_wind_m_s, "wind speed must be >= 0")
    slope = _check_non_negative("slope_pct", slope_pct, "slope must be >= 0")
    wdir = _float_array("wind_direction_deg", wind_direction_deg)
    try:
        shape = np.broadcast_shapes(codes.shape, *(a.shape for a in m), wind.shape, slope.shape,
                                    wdir.shape)
    except ValueError:
        raise InputError("fuel_models, moisture, midflame_wind_m_s, slope_pct, wind_direction_deg: "
                         "array shapes do not broadcast together") from None
    codes = np.broadcast_to(codes, shape)
    models: dict[Any, FuelModel] = {}
    for c in codes.flat:
        if c not in models:
            models[c] = get_fuel_model(c)
    keys = np.array([models[c].code for c in codes.flat], dtype=object).reshape(shape)
    full = lambda a: np.broadcast_to(a, shape)
    m_full, w_full, s_full, d_full = [full(a) for a in m], full(wind), full(slope), full(wdir)
    out: dict[str, np.ndarray] = {}
    for code in sorted(set(keys.flat)):
        sel = keys == code
        part = _compute(get_fuel_model(code), [a[sel] for a in m_full], w_full[sel], s_full[sel],
                        d_full[sel], bool(effective_wind_limit))
        for k, v in part.items():
            if k not in out:
                out[k] = np.zeros(shape, dtype=v.dtype)
            out[k][sel] = v
    return out


def ros_in_direction(result: dict[str, Any], direction_deg: Any, *,
                     from_ignition_point: bool = True) -> Any:
    """Spread rate (m/min) at ``direction_deg`` (clockwise from upslope) on the fire ellipse of
    a :func:`rothermel` result.

    ``from_ignition_point=True``: along a ray from the ignition point (polar ellipse,
    R(1-e)/(1-e cos(beta)); Behave's ``FromIgnitionPoint``). ``False``: normal to the perimeter
    (Catchpole et al. 1982; Behave's ``FromPerimeter``), as used for fireline intensity."""
    ros = np.asarray(result["ros_m_min"], dtype=float)
    back = np.asarray(result["backing_ros_m_min"], dtype=float)
    flank = np.asarray(result["flanking_ros_m_min"], dtype=float)
    ecc = np.asarray(result["eccentricity"], dtype=float)
    beta = np.abs(np.asarray(result["direction_of_max_spread_deg"], dtype=float)
                  - np.mod(_float_array("direction_deg", direction_deg), 360.0))
    beta = np.radians(np.where(beta > 180.0, 360.0 - beta, beta))
    if from_ignition_point:
        out = ros * (1.0 - ecc) / (1.0 - ecc * np.cos(beta))
    else:
        f = (ros + back) / 2.0
        g = ros - f
        out = g * np.cos(beta) + np.sqrt((f * np.cos(beta)) ** 2 + (flank * np.sin(beta)) ** 2)
    out = np.where(ros > 0, out, 0.0)
    return float(out) if out.shape == () else out


# ------------------------------------------------------------------------------------------
# wind


def wind_adjustment_factor(fuel_bed_depth_m: Any, canopy_cover: Any = 0.0, canopy_height_m: Any = 0.0,
                           crown_ratio: Any = 0.0, *, use_crown_ratio: bool = True) -> Any:
    """Midflame wind / 20-ft wind (Albini & Baughman 1979; Andrews 2012 RMRS-GTR-266; Behave's
    ``windAdjustmentFactor.cpp``).

    Unsheltered (canopy cover 0, crown fill < 5 % or canopy under 6 ft):
    WAF = 1.83 / ln((20 + 0.36 H) / (0.13 H)), H = fuel bed depth in ft.
    Sheltered: WAF = 0.555 / (sqrt(f H_c) ln((20 + 0.36 H_c) / (0.13 H_c))), H_c canopy height in
    ft, f = crown_ratio x canopy_cover / 3 (crown fill with conical crowns), or
    canopy_cover x pi / 12 with ``use_crown_ratio=False`` (Finney 1998).
    ``canopy_cover`` and ``crown_ratio`` are fractions 0..1."""
    depth = _float_array("fuel_bed_depth_m", fuel_bed_depth_m)
    if np.any(depth <= 0):
        raise InputError(f"fuel_bed_depth_m: {_first_bad(depth, depth <= 0):g} must be > 0")
    cc = _float_array("canopy_cover", canopy_cover)
    cr = _float_array("crown_ratio", crown_ratio)
    for name, arr in (("canopy_cover", cc), ("crown_ratio", cr)):
        bad = (arr < 0) | (arr > 1)
        if np.any(bad):
            raise InputError(f"{name}: {_first_bad(arr, bad):g} is outside 0..1 (a fraction)")
    hc = _check_non_negative("canopy_height_m", canopy_height_m, "canopy height must be >= 0")
    h_ft, hc_ft = depth / _FT, hc / _FT
    fill = cr * cc / 3.0 if use_crown_ratio else cc * math.pi / 12.0
    sheltered = (cc >= 1e-7) & (fill >= 0.05) & (hc_ft >= 6.0)
    unsh = 1.83 / np.log((20.0 + 0.36 * h_ft) / (0.13 * h_ft))
    with np.errstate(invalid="ignore", divide="ignore"):
        hc_safe = np.where(sheltered, hc_ft, 20.0)
        sh = 0.555 / (np.sqrt(np.where(sheltered, fill, 1.0) * hc_safe)
                      * np.log((20.0 + 0.36 * hc_safe) / (0.13 * hc_safe)))
    out = np.where(sheltered, sh, unsh)
    return float(out) if out.shape == () else out


#: 10-m wind / 20-ft wind (Turner & Lawson 1978, as Behave uses: 20-ft = 10-m / 1.15).
TEN_METRE_TO_TWENTY_FOOT = 1.0 / 1.15


def midflame_wind(wind_m_s: Any, *, height: str = "20ft", waf: Any = None,
                  fuel_model: str | int | None = None, canopy_cover: Any = 0.0,
                  canopy_height_m: Any = 0.0, crown_ratio: Any = 0.0) -> Any:
    """Midflame wind (m/s) from a wind measured at 20 ft above the vegetation (``height="20ft"``,
    the US fire-weather standard) or at 10 m (``height="10m"``, the WMO standard; converted with
    20-ft = 10-m / 1.15, Turner & Lawson 1978). Give the wind adjustment factor ``waf``
    directly, or a ``fuel_model`` (its fuel bed depth) and the canopy for
    :func:`wind_adjustment_factor`."""
    w = _check_non_negative("wind_m_s", wind_m_s, "wind speed must be >= 0")
    if height not in ("20ft", "10m"):
        raise InputError(f"height: {height!r} must be '20ft' or '10m'")
    w20 = w * TEN_METRE_TO_TWENTY_FOOT if height == "10m" else w
    if waf is None:
        if fuel_model is None:
            raise InputError("waf: give a wind adjustment factor or a fuel_model (and canopy)")
        fm = get_fuel_model(fuel_model)
        waf = wind_adjustment_factor(fm.depth_m, canopy_cover, canopy_height_m, crown_ratio)
    waf_arr = _float_array("waf", waf)
    bad = (waf_arr <= 0) | (waf_arr > 1)
    if np.any(bad):
        raise InputError(f"waf: {_first_bad(waf_arr, bad):g} is outside (0, 1]")
    out = w20 * waf_arr
    return float(out) if out.shape == () else out
