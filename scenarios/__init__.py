"""Scenarios, reports, batch runs, drills and the ``yingji`` command line: the layer that uses all others.

Subpackages by concern: ``core`` (specs, library, runner, Python API), ``reports``, ``batch``,
``drill`` and ``cli``. Notebooks start from ``scenarios.api`` (``scenarios.core.api``).
"""
from __future__ import annotations
