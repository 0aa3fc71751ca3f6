"""Hazards and the SimPy response simulation.

``sim.run(network, hazards, plan, params) -> RunResult``; ``sim.simulate_district()`` for the
built-in district; ``sim.queueing.queue_check`` for the Erlang C check. ``sim`` imports only
``network``: a Plan is plain data (:mod:`network.plan`), hazards are read through their declared
interface (:mod:`network.hazard`), and the vehicle-routing solver of the optimiser supply mode
is handed in by the caller (:class:`sim.supply_routes.RoundRouter`).
"""
from __future__ import annotations

from .api import run, simulate_district
from .engine import Simulation
from .params import SimParams, WarningChannel
from .queueing import erlang_c, queue_check
from .result import RunResult, indicator_table

__all__ = ["run", "simulate_district", "SimParams", "WarningChannel", "RunResult", "indicator_table",
           "Simulation", "queue_check", "erlang_c"]
