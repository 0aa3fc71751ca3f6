"""Hazard models: river flood (fast fill and 2D local-inertial), forest fire, chemical release,
road damage; and the registry of the kinds a scenario can name.

Each model implements :class:`network.hazard.Hazard`: it turns simulation time into a
:class:`~network.hazard.HazardState` on a road network and declares what it is. Each kind
lives in its own package or module with its scenario section and builder, and is registered
by one line in :data:`HAZARD_TYPES`.
"""
from __future__ import annotations

from .chemical.scenario import CHEMICAL
from .fire.scenario import FIRE
from .flood.scenario import FLOOD
from .registry import BuildContext, HazardType
from .road_damage import ROAD_DAMAGE

#: every hazard kind a scenario can name, in build order (a release may wait for the flood)
HAZARD_TYPES: tuple[HazardType, ...] = (FLOOD, FIRE, CHEMICAL, ROAD_DAMAGE)


def hazard_type(kind: str) -> HazardType:
    """The registered type of ``kind`` (KeyError names the known kinds)."""
    for t in HAZARD_TYPES:
        if t.kind == kind:
            return t
    raise KeyError(f"unknown hazard kind {kind!r}; known: {', '.join(t.kind for t in HAZARD_TYPES)}")


__all__ = ["HAZARD_TYPES", "HazardType", "BuildContext", "hazard_type"]
