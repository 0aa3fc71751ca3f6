"""Hazard models: Chang River flood, forest fire, hazardous-chemical release."""
from .base import AffectedPeople, HazardState, combine_states

__all__ = ["AffectedPeople", "HazardState", "combine_states"]
