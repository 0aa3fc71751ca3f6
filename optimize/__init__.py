"""Placement and logistics optimisation with OR-Tools (models in submodules).

* :mod:`optimize.result`     — :class:`SolveStatus` and :class:`LocationResult`, shared by all models
* :mod:`optimize.location`   — p-median, p-center, maximal covering, set covering, capacitated models
* :mod:`optimize.heuristics` — greedy + interchange warm starts, Lagrangian bounds
* :mod:`optimize.orlib`      — OR-Library readers (pmed, pmedcap, cap)
* :mod:`optimize.reference`  — solve a reference instance file, compare with its published optimum

Names are imported lazily so that ``import optimize`` stays cheap (OR-Tools loads on first use).
"""
from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "SolveStatus": "optimize.result",
    "LocationResult": "optimize.result",
    "PMedian": "optimize.location",
    "PCenter": "optimize.location",
    "MaximalCovering": "optimize.location",
    "LocationSetCovering": "optimize.location",
    "CapacitatedPMedian": "optimize.location",
    "CapacitatedFacilityLocation": "optimize.location",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'optimize' has no attribute {name!r}")
