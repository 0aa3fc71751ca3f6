"""The river flood: the fast connected-fill model (``model``), the 2D local-inertial solver
(``inertial``), their numba kernels, dike breaches for the 2D solver (``breach``), and the flood
in a scenario (``scenario``)."""
from .model import RiverFlood
from .scenario import FLOOD, river_flood

__all__ = ["FLOOD", "RiverFlood", "river_flood"]
