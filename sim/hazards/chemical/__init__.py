"""The chemical release: Gaussian plume and puffs with AEGL threat zones (``model``), the
substance table (``chemicals.toml``), numba kernels, and the release in a scenario (``scenario``)."""
from .model import ChemicalRelease
from .scenario import CHEMICAL, chemical_release

__all__ = ["ChemicalRelease", "chemical_release", "CHEMICAL"]
