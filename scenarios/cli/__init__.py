"""The ``yingji`` command line: one module per command family, shared options in ``options``."""
from .main import app, main

__all__ = ["app", "main"]
