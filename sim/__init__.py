"""Hazards and the SimPy response simulation.

``sim.run(network, hazards, plan, params) -> RunResult``; ``sim.simulate_district()`` for the
built-in district; ``sim.queueing.queue_check`` for the Erlang C check. Names load lazily so
``import sim.hazards`` stays light.
"""
from __future__ import annotations

from typing import Any

__all__ = ["run", "simulate_district", "SimParams", "WarningChannel", "RunResult", "indicator_table",
           "Simulation", "queue_check", "erlang_c"]

_WHERE = {"run": "api", "simulate_district": "api", "SimParams": "params", "WarningChannel": "params",
          "RunResult": "result", "indicator_table": "result", "Simulation": "engine",
          "queue_check": "queueing", "erlang_c": "queueing"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
