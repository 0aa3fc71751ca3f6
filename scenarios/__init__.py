"""Scenarios, reports, batch runs, drills and the ``yingji`` command line: the layer that uses all others.

Subpackages by concern: ``core`` (specs, library, runner, Python API), ``reports``, ``batch``,
``drill`` and ``cli``. Notebooks start from ``scenarios.api`` (``scenarios.core.api``).
"""
from __future__ import annotations

from importlib import import_module
from types import ModuleType


def __getattr__(name: str) -> ModuleType:
    # deferred: the API imports the whole engine (~2 s), and `yingji --help` imports this package
    if name == "api":
        return import_module(".core.api", __name__)
    raise AttributeError(f"module 'scenarios' has no attribute {name!r}")
