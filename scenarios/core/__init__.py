"""Scenario specs and the built-in library, the runner, and the Python API (``scenarios.core.api``)."""
