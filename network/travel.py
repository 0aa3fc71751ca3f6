"""Travel modes on a damaged road network: vehicles on roads, rescue boats on flood water, and
evacuees on foot.

The simulation's boat crews and the plan optimiser's water-rescue layer use the same rule:
on an edge under flood water a boat goes at the boat speed whatever the road's state (a road
closed to vehicles is open water to a boat), but never faster than free-flow driving; on dry
edges a boat crew drives like any vehicle.
"""
from __future__ import annotations

import numpy as np

from .model import RoadNetwork


def boat_free_times(net: RoadNetwork, boat_speed_kmh: float) -> np.ndarray:
    """Seconds per edge for a boat on open water: length at ``boat_speed_kmh``, never below free-flow driving.

    Parameters
    ----------
    net
        The road network.
    boat_speed_kmh
        A rescue boat's speed over flooded ground (8 km/h by default in the simulation).

    Returns
    -------
    numpy.ndarray
        One time per edge, in seconds.
    """
    return np.maximum(np.asarray(net.length, np.float64) / (boat_speed_kmh / 3.6), net.travel_times())


def boat_times(road_s: np.ndarray, free_s: np.ndarray, boat_free_s: np.ndarray, water: np.ndarray) -> np.ndarray:
    """Seconds per edge for a boat crew: by boat on ``water`` edges, by road elsewhere.

    Parameters
    ----------
    road_s
        Current road travel times per edge (``+inf`` = closed to vehicles).
    free_s
        Free-flow road times per edge.
    boat_free_s
        Boat times per edge (:func:`boat_free_times`).
    water
        Boolean per edge: under flood water that boats can cross.

    Returns
    -------
    numpy.ndarray
        A new array: ``road_s`` with water edges at ``max(free, min(road, boat))``.
    """
    boat = np.array(road_s, dtype=np.float64)
    if water.any():
        boat[water] = np.maximum(free_s[water], np.minimum(road_s[water], boat_free_s[water]))
    return boat


def walk_times(road_s: np.ndarray, length_m: np.ndarray, walk_speed_kmh: float) -> np.ndarray:
    """Seconds per edge on foot: the length at ``walk_speed_kmh``, never faster than the road's
    current travel time, and closed (+inf) where the road is closed.

    Parameters
    ----------
    road_s
        Current road travel times per edge (``+inf`` = closed).
    length_m
        Edge lengths (m).
    walk_speed_kmh
        Walking speed (4 km/h by default in the simulation: about 1.1 m/s).
    """
    return np.maximum(np.asarray(road_s, np.float64), np.asarray(length_m, np.float64) / (walk_speed_kmh / 3.6))
