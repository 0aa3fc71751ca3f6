"""The Python API for notebooks and scripts (everything lives in :mod:`scenarios.core.api`):

    from scenarios.api import load_scenario, run_scenario, compare, comparison, run_batch, size_plan
"""
from __future__ import annotations

from scenarios.core.api import *  # noqa: F401,F403 (the API's names, one place to keep them)
from scenarios.core.api import __all__  # noqa: F401
