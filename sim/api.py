"""``sim.run(...)`` (this module is sim.api): the Python API, and the default district run behind ``yingji simulate``."""
from __future__ import annotations

from typing import Any, Sequence

from network.errors import InputError

from .engine import Simulation
from .params import SimParams
from .result import RunResult, indicator_table

#: the default event of ``yingji simulate``: a 100-year Chang River flood with a breach of the
#: Xijiao urban dike 18 h in
DEFAULT_FLOOD = {"return_period_years": 100.0, "breaches": [{"dike": "xijiao-dike", "time_h": 18.0, "width_m": 150.0}]}


def run(network: Any, hazards: Sequence[Any], plan: Any, params: SimParams | dict | None = None,
        *, seed: int | None = None) -> RunResult:
    """Simulate the response to ``hazards`` on ``network`` (a RoadNetwork or a District) with ``plan``.

    ``plan`` is read duck-typed (team_bases, warehouses, shelters, demand_shelter,
    shelter_warehouse). ``seed`` overrides ``params.seed``; the same seed gives identical results.
    """
    if isinstance(params, dict) or params is None:
        params = SimParams.from_dict(params)
    if not isinstance(params, SimParams):
        raise InputError(f"params: expected SimParams or a dict, found {type(params).__name__}")
    if seed is not None:
        params = params.with_(seed=seed)
    net = getattr(network, "network", network)
    if not hasattr(net, "indptr"):
        raise InputError("network: expected a RoadNetwork or a District")
    return Simulation(net, list(hazards), plan, params).run()


def default_district_flood(district: Any | None = None, **flood: Any):
    """The default flood on the built-in district (see :data:`DEFAULT_FLOOD`)."""
    from network.district import load_district

    from .hazards.district import river_flood

    district = district or load_district()
    return river_flood(district, **{**DEFAULT_FLOOD, **flood})


def simulate_district(plan: Any | None = None, params: SimParams | dict | None = None, *, district: Any | None = None,
                      hazards: Sequence[Any] | None = None, seed: int | None = None
                      ) -> tuple[RunResult, list[dict[str, Any]]]:
    """Run the built-in district (default: 100-year flood with a dike breach, today's plan) and
    return the RunResult and the indicator table for ``yingji simulate``.

    ``plan=None`` needs the existing plan, which lives in ``optimize``; the import is local and
    lazy so ``sim`` does not import ``optimize`` at module level (callers may pass their own).
    """
    from network.district import load_district

    district = district or load_district()
    if plan is None:
        from optimize.plan import Plan  # noqa: PLC0415 — only the convenience default needs it

        plan = Plan.existing(district)
    if hazards is None:
        hazards = [default_district_flood(district)]
    result = run(district, hazards, plan, params, seed=seed)
    return result, indicator_table(result)
