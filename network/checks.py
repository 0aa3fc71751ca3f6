"""Input checks shared by every layer: numbers, [lon, lat] pairs and strict TOML sections.

Model constructors check their arguments with :func:`finite`, :func:`non_negative` and
:func:`positive`, so a bad value is refused with one message naming the argument. TOML sections
(the district file, scenario files, hazard sections) derive from :class:`StrictModel`: unknown
keys are errors, so a typo never passes silently.
"""
from __future__ import annotations

import math
import stat
import tomllib
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

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
    """A TOML section: unknown keys are errors, numbers are finite and never booleans (``rate = true``
    is not 1.0), and a validated section is immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool) and info.field_name is not None:
            annotation = cls.model_fields[info.field_name].annotation
            if bool not in _types_in(annotation) and _types_in(annotation) & {int, float}:
                raise ValueError("a number, not a boolean")
        return value


def _types_in(annotation: Any) -> set[Any]:
    """The plain types an annotation admits (``float | None`` → {float, NoneType})."""
    args = get_args(annotation)
    if not args:
        return {annotation}
    out: set[Any] = set()
    for a in args:
        out |= _types_in(a)
    return out


#: the languages of outputs: Chinese first, or English first (the other shown beside it)
LANGUAGES = ("zh", "en")


#: the largest text input yingji reads whole (a scenario, a plan, a stage table, a standard):
#: far above any real one, and a bound on what a wrong path (/dev/zero, a disk image) can cost
MAX_TEXT_BYTES = 64 * 2**20


def read_text_file(path: str | Path, what: str, *, limit: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes; an InputError naming the file
    and ``what`` it should be otherwise (a folder, a device, too large, unreadable, not UTF-8)."""
    p = Path(path)
    data = read_bytes_file(p, what, limit=limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: {what} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def read_bytes_file(path: str | Path, what: str, *, limit: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (a reader that decodes them itself,
    e.g. a CSV in UTF-8 or GBK); an InputError naming the file and ``what`` it should be otherwise."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise InputError(f"{p}: {what} not found ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise InputError(f"{p}: expected {what}, found {kind}")
    try:
        with p.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{p}: cannot read {what} ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise InputError(f"{p}: {what} is larger than {limit // 2**20} MiB; this is not a file yingji reads")
    return data


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """TOML text as a dict; an InputError naming ``source`` when it is not valid TOML, including
    tables nested past Python's recursion limit (a hostile file, not a scenario)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:
        raise InputError(f"{source}: not valid TOML: tables or arrays nested too deeply") from None


def _finite_float(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):
        raise ValueError(f"the number {text} is too large to hold")
    return v


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a file may hold")


def parse_json(text: str, source: str) -> Any:
    """JSON text as Python values; an InputError naming ``source`` when it is not valid JSON,
    nests past Python's recursion limit, or holds a number that is not finite (``NaN``,
    ``Infinity``, or a literal such as ``1e400`` that overflows a float): no file of ours
    needs one, and an infinite count or capacity breaks every sum it enters."""
    import json

    try:
        return json.loads(text, parse_float=_finite_float, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: not valid JSON ({exc})") from None
    except ValueError as exc:
        raise InputError(f"{source}: not valid JSON: {exc}") from None
    except RecursionError:
        raise InputError(f"{source}: not valid JSON: objects or arrays nested too deeply") from None


def language(lang: str) -> str:
    """``lang`` if it is "zh" or "en"; an InputError naming ``--lang`` otherwise."""
    if lang not in LANGUAGES:
        raise InputError(f"--lang must be 'zh' or 'en', found {lang!r}")
    return lang
