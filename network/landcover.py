"""Land cover from a planner's raster: its classes mapped to the district model's classes
(:class:`network.terrain.LandCover`), which the hazard models map on to fuels (fire) and
Manning's n (flood), and a canopy density for the fire model.

The default mapping reads ESA WorldCover (10 m, 2020/2021; Zanaga et al. 2021/2022, class
codes in its product user manual). WorldCover has one "tree cover" class; in the hills of
Jingdezhen the forest is mostly Masson pine and Chinese fir plantation (docs/references/
changjiang.md §2), so tree cover is taken as conifer forest — a labelled estimate a planner
with a forest inventory should replace (``classes`` in the manifest's ``[landcover]``).
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .errors import InputError
from .raster import Raster
from .terrain import LandCover

#: ESA WorldCover class code -> district land-cover class (module notes)
WORLDCOVER = {
    10: LandCover.FOREST_CONIFER,    # tree cover (estimate: pine and fir plantations)
    20: LandCover.SHRUB,             # shrubland
    30: LandCover.FARMLAND,          # grassland: burns like the fire model's agricultural class (estimate)
    40: LandCover.FARMLAND,          # cropland
    50: LandCover.URBAN,             # built-up
    60: LandCover.BARE,              # bare / sparse vegetation
    70: LandCover.BARE,              # snow and ice
    80: LandCover.WATER,             # permanent water bodies
    90: LandCover.FARMLAND,          # herbaceous wetland (estimate: rough like grass, sparse fuel)
    95: LandCover.FOREST_BROADLEAF,  # mangroves
    100: LandCover.BARE,             # moss and lichen
}
#: canopy density (0–1) of each district class where no canopy raster is given: forest at the
#: fire model's "normal" density, shrub sparse, the rest sparse (estimates)
CANOPY_OF_CLASS = {
    LandCover.FOREST_CONIFER: 0.6, LandCover.FOREST_BROADLEAF: 0.6, LandCover.SHRUB: 0.4,
    LandCover.FARMLAND: 0.3, LandCover.BARE: 0.0, LandCover.WATER: 0.0, LandCover.URBAN: 0.0,
    LandCover.INDUSTRIAL: 0.0,
}


def class_table(classes: str | Mapping[str | int, str]) -> dict[int, LandCover]:
    """The code -> class table: ``"worldcover"`` or a mapping of codes to class names.

    Class names are :class:`LandCover` names in lower case (``forest_conifer``, ``shrub``,
    ``farmland``, ``urban``, ``water``, ``bare``, ``forest_broadleaf``, ``industrial``).

    Raises
    ------
    InputError
        On an unknown table name, a code that is not an integer or an unknown class name.
    """
    if isinstance(classes, str):
        if classes.lower() != "worldcover":
            raise InputError(f"classes: expected \"worldcover\" or a table of code = class; found {classes!r}")
        return dict(WORLDCOVER)
    names = {c.name.lower(): c for c in LandCover}
    table = {}
    for code, name in classes.items():
        try:
            key = int(code)
        except ValueError:
            raise InputError(f"classes: {code!r} is not an integer class code") from None
        if str(name).lower() not in names:
            raise InputError(f"classes.{code}: expected one of {', '.join(names)}; found {name!r}")
        table[key] = names[str(name).lower()]
    return table


def reclassify(codes: Raster, table: Mapping[int, LandCover], *, what: str = "land cover") -> Raster:
    """The district classes of a raster of class codes (no data becomes bare ground).

    Raises
    ------
    InputError
        When codes present in the raster have no class in ``table`` (naming them).
    """
    v = codes.values
    known = np.isfinite(v)
    present = np.unique(v[known]).astype(np.int64)
    unknown = sorted(set(present.tolist()) - set(table))
    if unknown:
        raise InputError(f"{what}: class codes {', '.join(map(str, unknown[:8]))} have no class in the table "
                         "(give classes = {code = \"class\", ...} in [landcover])")
    out = np.full(v.shape, float(LandCover.BARE))
    for code, cls in table.items():
        out[known & (v == code)] = float(cls)
    return codes.like(out)


def canopy_from_classes(landcover: Raster) -> Raster:
    """Canopy density per cell from the district classes (:data:`CANOPY_OF_CLASS`)."""
    out = np.zeros(landcover.shape)
    for cls, density in CANOPY_OF_CLASS.items():
        out[landcover.values == int(cls)] = density
    return landcover.like(out)


def canopy_from_percent(cover: Raster) -> Raster:
    """Canopy density (0–1) from a tree-cover raster in percent (no data: 0).

    Raises
    ------
    InputError
        When values lie outside 0–100.
    """
    v = np.nan_to_num(cover.values, nan=0.0)
    if v.min() < 0 or v.max() > 100.0 + 1e-9:
        raise InputError(f"canopy: expected tree cover in percent (0–100), found {v.min():g} to {v.max():g}")
    return cover.like(v / 100.0)
