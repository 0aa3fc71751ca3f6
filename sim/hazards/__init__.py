"""Hazard models: Chang River flood (fast fill and 2D local-inertial), forest fire, chemical release.

Each model turns simulation time into a :class:`HazardState` on a road network: per-edge
speed factors, per-node hazard levels and the people affected. ``sim.hazards.district`` builds
them from a district model.
"""
from .base import AFFECTED, LETHAL, THREATENED, AffectedPeople, HazardState, combine_states

__all__ = ["AffectedPeople", "HazardState", "combine_states", "THREATENED", "AFFECTED", "LETHAL"]
