"""One way to write each kind of figure, for every command's terminal output and the reports.

| kind | function | example |
| --- | --- | --- |
| share | :func:`share` | ``11.8 %`` (percent, one decimal) |
| count (people, kits, runs) | :func:`count` | ``20,362`` (thousands separators) |
| hours | :func:`hours` | ``7.4 h`` (one decimal) |
| minutes | :func:`minutes` | ``38 min`` |
| rate (anything else measured) | :func:`rate` | ``2.84 per million`` (3 significant figures) |
| money | :func:`money` | ``CNY 1,250,000`` / ``1,250,000 元`` |

:func:`value` picks the kind from an indicator's unit, so ``run``, ``simulate``, ``compare`` and
the HTML reports print the same figure the same way. Standard library only: the CLI imports it
without loading the engine.
"""
from __future__ import annotations

import math
from typing import Any

__all__ = ["finite", "share", "count", "hours", "minutes", "rate", "money", "permille", "value", "diff"]

DASH = "—"


def finite(v: Any) -> float | None:
    """``v`` as a finite float, or None (missing, not a number, NaN or infinite)."""
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def share(v: Any) -> str:
    """A share (0–1) as a percentage with one decimal: ``0.1183`` → ``11.8 %``."""
    f = finite(v)
    return DASH if f is None else f"{f * 100:.1f} %"


def count(v: Any) -> str:
    """A count with thousands separators: ``20362.0`` → ``20,362``."""
    f = finite(v)
    return DASH if f is None else f"{f:,.0f}"


def hours(v: Any) -> str:
    """Hours with one decimal: ``7.44`` → ``7.4 h``."""
    f = finite(v)
    return DASH if f is None else f"{f:.1f} h"


def minutes(v: Any) -> str:
    """Minutes, whole: ``37.6`` → ``38 min``."""
    f = finite(v)
    return DASH if f is None else f"{f:.0f} min"


def _sig3(f: float) -> str:
    """``f`` to 3 significant figures, never in exponent form (``2.84306`` → ``2.84``,
    ``20362`` → ``20,400``, ``0.000123`` → ``0.000123``)."""
    if f == 0:
        return "0"
    exponent = math.floor(math.log10(abs(f)))
    decimals = max(0, 2 - exponent)
    rounded = round(f, 2 - exponent)
    return f"{rounded:,.{decimals}f}"


def rate(v: Any, unit: str = "") -> str:
    """A measured figure to 3 significant figures with its unit: ``2.84306, "per million"`` →
    ``2.84 per million``."""
    f = finite(v)
    return DASH if f is None else f"{_sig3(f)} {unit}".strip()


def permille(v: Any) -> str:
    """A per-mille rate with three decimals (the forest-fire target is 0.9 ‰): ``0.12`` → ``0.120 ‰``."""
    f = finite(v)
    return DASH if f is None else f"{f:.3f} ‰"


def money(v: Any, lang: str = "en") -> str:
    """Yuan, whole: ``CNY 1,250,000`` in English, ``1,250,000 元`` in Chinese."""
    f = finite(v)
    if f is None:
        return DASH
    return f"{f:,.0f} 元" if lang == "zh" else f"CNY {f:,.0f}"


def value(v: Any, unit: str) -> str:
    """An indicator's value in the form its unit calls for (``share``, ``people``, ``h``, ``‰``,
    ``min``, ``CNY``; anything else is a rate to 3 significant figures)."""
    if unit == "share":
        return share(v)
    if unit == "people":
        return count(v)
    if unit == "h":
        return hours(v)
    if unit == "min":
        return minutes(v)
    if unit == "‰":
        return permille(v)
    if unit == "CNY":
        return money(v)
    return rate(v, unit)


def diff(d: Any, unit: str) -> str:
    """A signed difference between two values of ``unit``; shares in percentage points."""
    f = finite(d)
    if f is None:
        return DASH
    if unit == "share":
        return f"{f * 100:+.1f} pp"
    if unit == "people":
        return f"{f:+,.0f}"
    if unit == "h":
        return f"{f:+.1f} h"
    if unit == "‰":
        return f"{f:+.3f} ‰"
    sign = "+" if f >= 0 else "-"
    return f"{sign}{_sig3(abs(f))} {unit}".strip()
