"""One JSON-safe form for every file and record the project writes."""
from __future__ import annotations

import math
from typing import Any

import numpy as np


def json_safe(x: Any, *, infinity_as_text: bool = False) -> Any:
    """``x`` with numpy scalars as Python values and NaN as None (JSON has no NaN).

    Dicts (keys become strings), lists and tuples are cleaned recursively; anything else is
    returned as it is.

    Parameters
    ----------
    x
        A value, typically a dict of results.
    infinity_as_text
        ±inf becomes ``"inf"`` / ``"-inf"`` (a summary that must tell "never" from "unknown");
        by default it becomes None like NaN.
    """
    if isinstance(x, dict):
        return {str(k): json_safe(v, infinity_as_text=infinity_as_text) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_safe(v, infinity_as_text=infinity_as_text) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, (float, np.floating)):
        v = float(x)
        if math.isfinite(v):
            return v
        if infinity_as_text and not math.isnan(v):
            return "inf" if v > 0 else "-inf"
        return None
    return x
