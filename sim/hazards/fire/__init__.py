"""The forest fire: Rothermel surface spread (``surface``), minimum-travel-time propagation
(``travel_time`` and its kernels), detection and initial attack (``attack``), the Alexandridis
cellular automaton (``model``) with its numba kernels, and the fire in a scenario on a
district's fuels (``scenario``)."""
from .model import ForestFire
from .scenario import FIRE, forest_fire
from .surface import rothermel

__all__ = ["ForestFire", "forest_fire", "FIRE", "rothermel"]
