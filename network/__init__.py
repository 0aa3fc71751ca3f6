"""Road network layer: data model, loaders, path kernels, snapping and base maps.

This package imports none of ``sim``, ``optimize`` or ``scenarios``.
"""
from .errors import InputError, NetworkError, UnreachableError, YingjiError
from .model import RoadNetwork
from .roadclass import RoadClass

__all__ = ["RoadNetwork", "RoadClass", "YingjiError", "InputError", "NetworkError", "UnreachableError"]
