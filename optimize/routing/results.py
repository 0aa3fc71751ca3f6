"""What a routing solve returns: its status, the vehicles' routes, the stops left unserved, the plan.

Plain data, independent of the model and the search, so that every other module of
:mod:`optimize.routing` may use it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np


class RoutingStatus(str, Enum):
    """Outcome of a solve (values match the location models' statuses)."""

    OPTIMAL = "optimal"          # only when trivially provable (routing never proves optimality)
    FEASIBLE = "feasible"        # every stop served
    INFEASIBLE = "infeasible"    # a plan was found, but some demand is not met (see ``unserved``)
    NO_SOLUTION = "no_solution"  # no plan within the time limit (or none exists with all stops mandatory)


@dataclass(frozen=True)
class Route:
    """One vehicle's tour: ``stops[0]`` and ``stops[-1]`` are its depot.

    ``arrivals[k]`` is when unloading starts at ``stops[k]`` (after waiting for a window to
    open); at the depot it is the departure, at the end the return. ``loads[k]`` is the load on
    board when leaving ``stops[k]`` (one column per commodity when there are several).
    """

    vehicle: int
    depot: int
    stops: tuple[int, ...]
    arrivals: tuple[float, ...]
    loads: np.ndarray
    cost: float

    @property
    def customers(self) -> tuple[int, ...]:
        """The delivery stops, depots left out."""
        return self.stops[1:-1]

    @property
    def duration(self) -> float:
        """Seconds from departure to return."""
        return self.arrivals[-1] - self.arrivals[0]

    def to_dict(self) -> dict[str, Any]:
        """The route as JSON-ready data."""
        return {"vehicle": self.vehicle, "depot": self.depot, "stops": list(self.stops),
                "arrivals": [round(a, 6) for a in self.arrivals], "loads": self.loads.tolist(),
                "cost": self.cost}


@dataclass(frozen=True)
class UnservedStop:
    """A stop left without delivery, its demand, and why."""

    stop: int
    demand: float | tuple[float, ...]
    reason: str
    proven: bool          # True: no vehicle could serve it in any plan; False: the search dropped it

    def to_dict(self) -> dict[str, Any]:
        """The unserved stop as JSON-ready data."""
        return {"stop": self.stop, "demand": self.demand, "reason": self.reason, "proven": self.proven}


@dataclass(frozen=True)
class RoutingResult:
    """A routing plan. ``objective`` is the total route cost in the cost matrix's units.

    Attributes
    ----------
    status : RoutingStatus
        Outcome of the solve.
    routes : list of Route
        The tours of the vehicles used (vehicles that stay at their depot have none).
    objective : float or None
        Total route cost; None when no plan was found.
    optimal : bool
        True only in trivial cases (nothing to route, or a single stop at its lower bound):
        routing search proves nothing.
    arrival : dict of int to float
        When unloading starts at each served stop.
    unserved : list of UnservedStop
        Stops left without delivery, with their demand and why.
    unserved_demand : float or tuple of float
        Demand not met, in total (one value per commodity when there are several).
    seconds : float
        Wall-clock time of the solve.
    vehicles : int
        Vehicles in the fleet.
    message : str
        What went wrong, or which stops were left unserved; empty otherwise.
    search : dict
        The search settings and what the search did (workers, recombination, OR-Tools status).
    """

    status: RoutingStatus
    routes: list[Route]
    objective: float | None
    optimal: bool
    arrival: dict[int, float]
    unserved: list[UnservedStop]
    unserved_demand: float | tuple[float, ...]
    seconds: float
    vehicles: int
    message: str = ""
    search: dict[str, Any] = field(default_factory=dict)

    @property
    def total_cost(self) -> float | None:
        """The plan's cost (the objective; None when no plan was found)."""
        return self.objective

    @property
    def solved(self) -> bool:
        """A plan was found (feasible, partly infeasible or trivially optimal)."""
        return self.status is not RoutingStatus.NO_SOLUTION

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data (status, objective, routes, unserved stops, search stats)."""
        return {
            "status": self.status.value, "objective": self.objective, "optimal": self.optimal,
            "seconds": round(self.seconds, 3), "vehicles": self.vehicles,
            "vehicles_used": len(self.routes), "routes": [r.to_dict() for r in self.routes],
            "arrival": {str(k): round(v, 6) for k, v in self.arrival.items()},
            "unserved": [u.to_dict() for u in self.unserved], "unserved_demand": self.unserved_demand,
            "message": self.message, "search": self.search,
        }


def amount(a: np.ndarray) -> float | tuple[float, ...]:
    """A demand or capacity as reported: one float for one commodity, else a tuple."""
    vals = tuple(float(x) for x in np.ravel(a))
    return vals[0] if len(vals) == 1 else vals


def rank(r: RoutingResult) -> tuple[float, ...]:
    """Sort key of a plan: one at all, then fewest stops and least demand unserved, then cost."""
    if r.objective is None:
        return (1.0, math.inf, math.inf, math.inf)
    return (0.0, float(len(r.unserved)), float(np.sum(r.unserved_demand)), r.objective)
