"""Snapping coordinates to the nearest network node (scipy's cKDTree)."""
from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .errors import NetworkError
from .model import RoadNetwork
from .projection import to_projected

_TREES: "weakref.WeakKeyDictionary[RoadNetwork, cKDTree]" = weakref.WeakKeyDictionary()


def node_tree(net: RoadNetwork) -> cKDTree:
    """The KD-tree over a network's projected node coordinates (built once per network)."""
    tree = _TREES.get(net)
    if tree is None:
        tree = cKDTree(np.column_stack([net.x, net.y]))
        _TREES[net] = tree
    return tree


@dataclass(frozen=True)
class Snapped:
    """Nearest node of each point and the straight-line distance to it (metres)."""

    node: np.ndarray
    distance_m: np.ndarray


def snap_points(
    net: RoadNetwork, x, y, *, max_distance_m: float | None = None, names: list[str] | None = None
) -> Snapped:
    """Nearest node to projected points.

    Parameters
    ----------
    net : RoadNetwork
        The network.
    x, y : float or array of float
        Point coordinates in the network's CRS (metres).
    max_distance_m : float, optional
        Points farther than this from every node are an error.
    names : list of str, optional
        Point names for the error message (default "point k").

    Returns
    -------
    Snapped
        The nearest node position and the straight-line distance of each point.

    Raises
    ------
    NetworkError
        For NaN or infinite coordinates, or points beyond ``max_distance_m`` (the first
        five are named).
    """
    x = np.atleast_1d(np.asarray(x, float))
    y = np.atleast_1d(np.asarray(y, float))
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise NetworkError("cannot snap points with NaN or infinite coordinates")
    d, i = node_tree(net).query(np.column_stack([x, y]))
    if max_distance_m is not None and np.any(d > max_distance_m):
        bad = np.flatnonzero(d > max_distance_m)
        label = (lambda k: names[k]) if names else (lambda k: f"point {k}")
        listed = ", ".join(f"{label(k)} ({d[k]:.0f} m)" for k in bad[:5])
        raise NetworkError(
            f"{len(bad)} point(s) lie more than {max_distance_m:.0f} m from any road of {net.name}: {listed}"
        )
    return Snapped(node=i.astype(np.int64), distance_m=d)


def snap_lonlat(net: RoadNetwork, lon, lat, **kwargs) -> Snapped:
    """Nearest node to WGS 84 lon/lat points.

    Parameters
    ----------
    net : RoadNetwork
        The network.
    lon, lat : float or array of float
        Point coordinates in degrees.
    **kwargs
        ``max_distance_m`` and ``names``, as for :func:`snap_points`.

    Returns
    -------
    Snapped
        As :func:`snap_points`.

    Raises
    ------
    NetworkError
        As :func:`snap_points`.
    """
    x, y = to_projected(np.atleast_1d(lon), np.atleast_1d(lat), net.crs)
    return snap_points(net, x, y, **kwargs)
