"""Input checks shared by every layer: numbers, [lon, lat] pairs and strict TOML sections.

Model constructors check their arguments with :func:`finite`, :func:`non_negative` and
:func:`positive`, so a bad value is refused with one message naming the argument. TOML sections
(the district file, scenario files, hazard sections) derive from :class:`StrictModel`: unknown
keys are errors, so a typo never passes silently.
"""
from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict

from .errors import InputError

#: a point in degrees: (longitude, latitude)
LonLat = tuple[float, float]


def finite(name: str, value: Any) -> float:
    """``value`` as a float, or an :class:`InputError` naming ``name`` if it is not a finite number.

    Parameters
    ----------
    name
        The argument's name, used in the message.
    value
        Anything ``float()`` accepts.

    Returns
    -------
    float

    Raises
    ------
    InputError
        When ``value`` is not a number, or is infinite or NaN.
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected a number, found {value!r}") from None
    if not math.isfinite(v):
        raise InputError(f"{name}: expected a finite number, found {value!r}")
    return v


def non_negative(name: str, value: Any) -> float:
    """``value`` as a finite float ≥ 0 (see :func:`finite`)."""
    v = finite(name, value)
    if v < 0:
        raise InputError(f"{name}: expected a number ≥ 0, found {v:g}")
    return v


def positive(name: str, value: Any) -> float:
    """``value`` as a finite float > 0 (see :func:`finite`)."""
    v = finite(name, value)
    if v <= 0:
        raise InputError(f"{name}: expected a positive number, found {v:g}")
    return v


def lonlat_points(points: list[LonLat]) -> list[LonLat]:
    """``points`` unchanged if each is a [lon, lat] pair in degrees; ValueError otherwise (for pydantic)."""
    for lon, lat in points:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError(f"[{lon}, {lat}] is not a [lon, lat] pair in degrees")
    return points


def lonlat_point(point: LonLat | None) -> LonLat | None:
    """One optional [lon, lat] pair (see :func:`lonlat_points`)."""
    if point is not None:
        lonlat_points([point])
    return point


class StrictModel(BaseModel):
    """A TOML section: unknown keys are errors and a validated section is immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


#: the languages of outputs: Chinese first, or English first (the other shown beside it)
LANGUAGES = ("zh", "en")


def language(lang: str) -> str:
    """``lang`` if it is "zh" or "en"; an InputError naming ``--lang`` otherwise."""
    if lang not in LANGUAGES:
        raise InputError(f"--lang must be 'zh' or 'en', found {lang!r}")
    return lang
