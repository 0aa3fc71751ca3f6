"""The routing model's data: costs, demands, fleet, windows, checked and built from a cost matrix
or a CVRPLIB instance.

:class:`RoutingProblem` holds the data and nothing that searches;
:class:`~optimize.routing.vehicle_routing.VehicleRouting` adds ``solve``. The search modules
read the data from here, and this module imports none of them.
"""
from __future__ import annotations

import math
from typing import Any, Self, Sequence

import numpy as np

from optimize.cvrplib import CvrpInstance, read_vrp

from .inputs import (check_capacities, check_demands, check_depots, check_matrix, check_max_route_time,
                     check_unreachable, check_windows, count_vehicles, per_location)
from .results import amount
from .route_pool import vehicle_classes


class RoutingProblem:
    """Capacitated vehicle routing with time windows, service times and several depots: the data.

    Build it with :meth:`from_matrix` (or :meth:`from_cvrplib`). Locations are the rows of the
    cost matrix; every location that is not a vehicle's depot is a stop to deliver to.
    """

    def __init__(self, cost: np.ndarray, travel: np.ndarray, demands: np.ndarray,
                 capacities: np.ndarray, vehicle_depots: np.ndarray, windows: np.ndarray | None,
                 service: np.ndarray, max_route_time: np.ndarray | None, allow_drop: bool,
                 drop_penalty: np.ndarray | None, unreachable: str, name: str = "") -> None:
        self.cost, self.travel = cost, travel
        self.demands, self.capacities = demands, capacities       # (n, c), (v, c)
        self.vehicle_depots = vehicle_depots
        self.windows, self.service, self.max_route_time = windows, service, max_route_time
        self.allow_drop, self.drop_penalty, self.unreachable = allow_drop, drop_penalty, unreachable
        self.name = name
        self.n = cost.shape[0]
        self.num_vehicles = len(vehicle_depots)
        depot_set = set(int(d) for d in vehicle_depots)
        self.stops = np.array([i for i in range(self.n) if i not in depot_set], dtype=np.int64)
        # Vehicles that may drive each other's routes (same depot, capacities, tour limit).
        self.vehicle_class = vehicle_classes(vehicle_depots, capacities, max_route_time)

    @classmethod
    def from_matrix(cls, cost: Any, demands: Any = None, vehicle_capacities: Any = None, *,
                    num_vehicles: int | None = None, depots: int | Sequence[int] = 0,
                    time_windows: Any = None, service_times: Any = None, travel_times: Any = None,
                    max_route_time: Any = None, allow_drop: bool = True, drop_penalty: Any = None,
                    unreachable: str = "error", name: str = "") -> Self:
        """Build a model from a cost matrix.

        Parameters
        ----------
        cost : array_like, shape (n, n)
            Arc costs, e.g. travel seconds; ``+inf`` = no path. NaN or negative entries are
            errors.
        demands : array_like, shape (n,) or (n, commodities), optional
            Demand per location; depots must have 0. Default: no demand (pure routing with
            windows).
        vehicle_capacities : float or array_like, optional
            A scalar for every vehicle, one value per vehicle, or one row of per-commodity
            capacities per vehicle, shape (vehicles, commodities). Default: unlimited.
        num_vehicles : int, optional
            Needed only when neither capacities nor depots list the vehicles.
        depots : int or sequence of int, default 0
            One location for all vehicles, or one location per vehicle (each vehicle starts
            and ends at its own depot: ``[0, 0, 7]`` = two at 0, one at 7).
        time_windows : array_like, shape (n, 2), optional
            Earliest/latest start of unloading, seconds from the plan's start (``inf`` = no
            deadline); a depot's row bounds departure and return.
        service_times : float or array_like, optional
            Unloading seconds per stop (scalar or per location).
        travel_times : array_like, shape (n, n), optional
            Seconds for the windows, if they differ from ``cost``.
        max_route_time : float or array_like, optional
            Longest tour, seconds (scalar or per vehicle).
        allow_drop : bool, default True
            Let the search leave stops unserved at ``drop_penalty`` when capacity or windows
            leave no room (reported in ``unserved``); False makes every servable stop mandatory
            (no plan at all when they do not fit).
        drop_penalty : float or array_like, optional
            Cost of leaving a stop unserved (scalar or per location). Default: more than any
            tour costs, growing with the stop's demand, so the search drops stops only when it
            must, and then leaves as little demand unmet as it can.
        unreachable : {"error", "drop"}, default "error"
            "error" makes ``solve`` raise :class:`~network.errors.UnreachableError` when a stop
            has no path from and back to any vehicle's depot; "drop" reports it as unserved.
        name : str, optional
            A name for the model (e.g. the CVRPLIB instance).

        Returns
        -------
        VehicleRouting
            The model (of the class this is called on).

        Raises
        ------
        InputError
            An argument has the wrong shape, a NaN or negative entry, a depot with demand, a
            window that closes before it opens, or the vehicle counts disagree.
        """
        c = check_matrix("cost", cost)
        n = c.shape[0]
        t = c.copy() if travel_times is None else check_matrix("travel_times", travel_times, n)
        dem = check_demands(demands, n)
        v, caps = count_vehicles(vehicle_capacities, depots, num_vehicles)
        caps = check_capacities(caps, v, dem.shape[1])
        dep = check_depots(depots, v, n, dem)
        windows = check_windows(time_windows, n)
        service = per_location("service_times", service_times, n)
        service[dep] = 0.0     # loading at the warehouse is not modelled
        mrt = check_max_route_time(max_route_time, v)
        pen = None
        if drop_penalty is not None:
            pen = per_location("drop_penalty", drop_penalty, n)
        check_unreachable(unreachable)
        return cls(c, t, dem, caps, dep, windows, service, mrt, bool(allow_drop), pen, unreachable, name)

    @classmethod
    def from_cvrplib(cls, instance: Any, vehicles: int | None = None) -> Self:
        """A CVRP from a CVRPLIB file or :class:`optimize.cvrplib.CvrpInstance`.

        Parameters
        ----------
        instance : str, Path or CvrpInstance
            A ``.vrp`` file, or an instance already read.
        vehicles : int, optional
            Fleet size. Default: the ``k`` in the instance name (the fleet of the published
            optimum; spare vehicles did not help the search on set A), at least the bin-packing
            bound ``ceil(total demand / capacity)``.

        Returns
        -------
        VehicleRouting
            The model (of the class this is called on); every customer is mandatory.

        Raises
        ------
        InputError
            The file cannot be read as a CVRPLIB instance.
        """
        inst = instance if isinstance(instance, CvrpInstance) else read_vrp(instance)
        if vehicles is None:
            lower = math.ceil(inst.demands.sum() / inst.capacity)
            vehicles = max(inst.vehicles or lower, lower)
        return cls.from_matrix(inst.distance_matrix(), inst.demands, inst.capacity,
                               num_vehicles=int(vehicles), depots=inst.depot, allow_drop=False,
                               name=inst.name)

    def transit(self) -> np.ndarray:
        """Seconds from the start of unloading at i to arriving at j."""
        return self.service[:, None] + self.travel

    def demand_of(self, stop: int) -> float | tuple[float, ...]:
        """A stop's demand as reported (a tuple with several commodities)."""
        return amount(self.demands[stop])

    def opens_at(self, loc: int) -> float:
        """When a location's window opens (0 without windows)."""
        return 0.0 if self.windows is None else float(self.windows[loc, 0])
