"""The forest fire: the Alexandridis cellular automaton (``model``), its numba kernels, and the
fire in a scenario on a district's fuels (``scenario``)."""
from .model import ForestFire
from .scenario import FIRE, forest_fire

__all__ = ["ForestFire", "forest_fire", "FIRE"]
