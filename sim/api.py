"""``sim.run(...)`` (this module is sim.api): the Python API, and the default district run behind ``yingji simulate``."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from network.district import District, load_district
from network.errors import InputError
from network.hazard import Hazard
from network.model import RoadNetwork
from network.plan import Plan

from .engine import Simulation
from .hazards.flood.scenario import river_flood
from .params import SimParams
from .result import RunResult, indicator_table
from .supply_routes import RoundRouter

#: the default event of ``yingji simulate``: a 100-year Chang River flood with a breach of the
#: Xijiao urban dike 30 h in, six hours before the peak (as the built-in ``flood-100y-breach``)
DEFAULT_FLOOD = {"return_period_years": 100.0, "breaches": [{"dike": "xijiao-dike", "time_h": 30.0, "width_m": 150.0}]}


def run(network: RoadNetwork | District, hazards: Sequence[Hazard], plan: Plan,
        params: SimParams | dict | None = None, *, seed: int | None = None,
        router: RoundRouter | None = None) -> RunResult:
    """Simulate the response to ``hazards`` on ``network`` with ``plan``.

    Parameters
    ----------
    network
        A RoadNetwork, or a District (its network is used).
    hazards
        Hazard models (:class:`network.hazard.Hazard`) on that network.
    plan
        Where teams, warehouses and shelters are.
    params
        Simulation parameters (a :class:`SimParams` or a dict of its fields).
    seed
        Overrides ``params.seed``; the same seed gives identical results.
    router
        Solves the delivery rounds when ``params.supply_routing == "optimiser"``
        (e.g. :func:`optimize.relief_rounds.relief_rounds`).

    Returns
    -------
    RunResult

    Raises
    ------
    InputError
        On bad parameters, a network that is neither a RoadNetwork nor a District, a plan
        off the network, or the optimiser mode without a router.
    """
    if isinstance(params, dict) or params is None:
        params = SimParams.from_dict(params)
    if not isinstance(params, SimParams):
        raise InputError(f"params: expected SimParams or a dict, found {type(params).__name__}")
    if seed is not None:
        params = params.with_(seed=seed)
    net = network.network if isinstance(network, District) else network
    if not isinstance(net, RoadNetwork):
        raise InputError("network: expected a RoadNetwork or a District")
    kinds = tuple(t.kind for t in network.spec.townships) if isinstance(network, District) else ()
    return Simulation(net, list(hazards), plan, params, router=router, zone_kinds=kinds).run()


def default_district_flood(district: District | None = None, **flood: Any):
    """The default flood on the built-in district (see :data:`DEFAULT_FLOOD`)."""
    return river_flood(district or load_district(), **{**DEFAULT_FLOOD, **flood})


def simulate_district(plan: Plan | None = None, params: SimParams | dict | None = None, *,
                      district: District | None = None, hazards: Sequence[Hazard] | None = None,
                      seed: int | None = None, router: RoundRouter | None = None, engine: str = "2d"
                      ) -> tuple[RunResult, list[dict[str, Any]]]:
    """Run the built-in district (default: 100-year flood with a dike breach, today's plan) and
    return the RunResult and the indicator table for ``yingji simulate``.

    Parameters
    ----------
    plan
        The plan to run (default: :meth:`Plan.existing` of the district).
    params
        Simulation parameters (a :class:`SimParams` or a dict of its fields).
    district
        The district (default: the built-in one, :func:`network.district.load_district`).
    hazards
        The hazards (default: :data:`DEFAULT_FLOOD` on the district).
    seed
        Overrides ``params.seed``.
    router
        Solves the delivery rounds when ``params.supply_routing == "optimiser"``.
    engine
        The default flood's engine, ``"2d"`` or ``"fill"`` (unused when ``hazards`` are given).

    Returns
    -------
    tuple of (RunResult, list of dict)
        The result and its :func:`~sim.result.indicator_table`.

    Raises
    ------
    InputError
        As :func:`run`.
    """
    district = district or load_district()
    if plan is None:
        plan = Plan.existing(district)
    if hazards is None:
        hazards = [default_district_flood(district, engine=engine)]
    result = run(district, hazards, plan, params, seed=seed, router=router)
    return result, indicator_table(result)
