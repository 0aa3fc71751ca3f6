"""The district's fuels for the Rothermel fire: land cover to standard fuel models, the canopy
that shelters them from the wind, and the seasonal fuel moisture.

The table is ``data/district_fuels.toml``: each vegetation type of the Jingdezhen hills (Masson
pine, Chinese fir, evergreen broadleaf, moso bamboo, shrub and grass, tea, grassland, farmland)
names a Scott & Burgan (2005) fuel model, a canopy height and crown ratio (for the wind
adjustment factor), a resistance-to-control class (for line production) and whether it counts
as forest land; every entry carries its source, most of them labelled estimates. Moisture comes
as Scott & Burgan's standard scenarios (``"D2L2"``: low dead, two-thirds cured live) or as one
of the district's seasons that name one (``"spring-dry"``), or as five fractions.
"""
from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from network.errors import InputError
from network.raster import Raster
from network.terrain import LandCover, Terrain

from .surface import get_fuel_model

FUELS_TOML = Path(__file__).with_name("data") / "district_fuels.toml"


@dataclass(frozen=True)
class FuelType:
    """One vegetation type of the district and how it burns (see the module notes)."""

    key: str
    name_zh: str
    name_en: str
    fuel_model: str
    canopy_height_m: float
    crown_ratio: float
    resistance: str
    forest: bool
    source: str


@dataclass(frozen=True)
class FuelLayers:
    """The fuel rasters of a district, on the land-cover grid.

    ``index`` holds, per cell, the position in ``types`` of its fuel type (-1: no fuel: water,
    built-up, bare); ``canopy_cover`` is the canopy fraction 0..1.
    """

    types: tuple[FuelType, ...]
    index: Raster
    canopy_cover: Raster

    def per_cell(self, attribute: str, missing: Any) -> np.ndarray:
        """A fuel-type attribute per cell (``missing`` where there is no fuel)."""
        idx = np.asarray(self.index.values)
        values = np.array([getattr(t, attribute) for t in self.types] + [missing], dtype=object)
        out = values[np.where(idx >= 0, idx, len(self.types))]
        return out.astype(float) if isinstance(missing, (int, float)) and not isinstance(missing, bool) else out

    @property
    def burnable(self) -> np.ndarray:
        """Cells that carry a fuel type whose fuel model burns."""
        ok = np.array([get_fuel_model(t.fuel_model).burnable for t in self.types] + [False])
        idx = np.asarray(self.index.values)
        return ok[np.where(idx >= 0, idx, len(self.types))]


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    with open(FUELS_TOML, "rb") as f:
        return tomllib.load(f)


def fuel_types() -> dict[str, FuelType]:
    """The district's vegetation types by key (``masson_pine``, ``chinese_fir``, …)."""
    return {k: FuelType(key=k, **v) for k, v in _table()["fuel_types"].items()}


def landcover_fuel_types() -> dict[LandCover, str]:
    """The built-in mapping of land-cover classes to fuel-type keys."""
    table = {k: v for k, v in _table()["landcover"].items() if k != "source"}
    return {LandCover[k.upper()]: v for k, v in table.items()}


def seasons() -> dict[str, dict[str, str]]:
    """The district's fire-season moisture scenarios (name → names, standard scenario, source)."""
    return dict(_table()["seasons"])


def moisture_scenario(moisture: str | Sequence[float], *, name: str = "moisture") -> tuple[float, ...]:
    """Five moisture fractions (1-h, 10-h, 100-h dead, live herbaceous, live woody).

    ``moisture`` is a season of the district (``"spring-dry"``), a Scott & Burgan standard
    scenario (``"D2L2"``) or five fractions. Raises :class:`InputError` naming ``name``.
    """
    t = _table()["moisture"]
    if isinstance(moisture, str):
        key = seasons()[moisture]["scenario"] if moisture in seasons() else moisture
        dead, live = key[:2], key[2:]
        if dead not in t["dead"] or live not in t["live"]:
            raise InputError(f"{name}: unknown moisture scenario {moisture!r}; expected a season "
                             f"({', '.join(seasons())}), a standard scenario D1L1..D4L4, or 5 fractions")
        return tuple(v / 100.0 for v in (*t["dead"][dead], *t["live"][live]))
    try:
        values = tuple(float(v) for v in moisture)
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected a scenario name or 5 fractions, found {moisture!r}") from None
    if len(values) != 5:
        raise InputError(f"{name}: expected 5 fractions (1-h, 10-h, 100-h, herbaceous, woody), found {len(values)}")
    return values


def district_fuels(terrain: Terrain, landcover_map: Mapping[str, str] | None = None, *,
                   name: str = "fuels") -> FuelLayers:
    """The fuel rasters of a district's terrain.

    ``landcover_map`` re-maps land-cover classes (lower-case names such as ``forest_conifer``) to
    a fuel type of the table (``chinese_fir``) or straight to a standard fuel model code
    (``TU5``: the class keeps its canopy, resistance and forest status), over the built-in
    mapping; ``"none"`` makes a class unburnable. Raises :class:`InputError` naming ``name`` on an
    unknown class, type or code.
    """
    mapping = fuel_type_map(landcover_map, name=name)
    used = sorted({t.key: t for t in mapping.values()}.items())
    keys = [k for k, _ in used]
    lc_values = np.asarray(terrain.landcover.values)
    index = np.full(lc_values.shape, -1, np.int16)
    for lc, t in mapping.items():
        index[lc_values == int(lc)] = keys.index(t.key)
    canopy = np.clip(np.nan_to_num(np.asarray(terrain.canopy.values, float)), 0.0, 1.0)
    return FuelLayers(tuple(t for _, t in used), terrain.landcover.like(index), terrain.landcover.like(canopy))


def fuel_type_map(landcover_map: Mapping[str, str] | None = None, *, name: str = "fuels") -> dict[LandCover, FuelType]:
    """The fuel type of each burnable land-cover class: the built-in mapping with
    ``landcover_map``'s changes (see :func:`district_fuels`), each checked; errors name ``name``."""
    types = fuel_types()
    mapping = {lc: types[key] for lc, key in landcover_fuel_types().items()}
    for cls, key in (landcover_map or {}).items():
        where = f"{name} {cls}" if name.startswith("--") else f"{name}.{cls}"   # a CLI option or a TOML key
        try:
            lc = LandCover[str(cls).upper()]
        except KeyError:
            raise InputError(f"{where}: unknown land-cover class; expected one of "
                             f"{', '.join(c.name.lower() for c in LandCover)}") from None
        if key == "none":
            mapping.pop(lc, None)
        elif key in types:
            mapping[lc] = types[key]
        else:
            mapping[lc] = _standard_model(where, key, mapping.get(lc), types)
    return mapping


def _standard_model(where: str, code: str, replaced: FuelType | None, types: Mapping[str, FuelType]) -> FuelType:
    """A fuel type that is a bare standard fuel model, in place of the type a class had."""
    try:
        fm = get_fuel_model(code)
    except InputError as exc:
        raise InputError(f"{where}: {code!r} is neither a fuel type ({', '.join(types)}) nor a standard "
                         f"fuel model ({exc})") from None
    base = replaced or FuelType("", "", "", code, 0.0, 0.0, "high", False, "")
    return FuelType(fm.code, fm.code, f"fuel model {fm.code}", fm.code, base.canopy_height_m, base.crown_ratio,
                    base.resistance, base.forest, f"scenario: standard fuel model {fm.code} in place of "
                    f"{base.key or 'no fuel'}")
