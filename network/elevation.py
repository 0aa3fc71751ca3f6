"""Sampling an elevation raster onto a network's nodes and edges."""
from __future__ import annotations

import numpy as np

from .errors import InputError
from .model import RoadNetwork
from .raster import Raster


def edge_sample_points(net: RoadNetwork, step_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points every ``step_m`` along each edge's straight line: (x, y, edge index of each point).

    Both ends are included, so every edge has at least two points.
    """
    src, dst = net.edge_source, net.indices
    n_pts = np.maximum(2, np.ceil(net.length / step_m).astype(np.int64) + 1)
    edge_of = np.repeat(np.arange(net.n_edges), n_pts)
    start = np.concatenate([[0], np.cumsum(n_pts)[:-1]])
    frac = (np.arange(len(edge_of)) - start[edge_of]) / (n_pts[edge_of] - 1)
    x = net.x[src[edge_of]] + frac * (net.x[dst[edge_of]] - net.x[src[edge_of]])
    y = net.y[src[edge_of]] + frac * (net.y[dst[edge_of]] - net.y[src[edge_of]])
    return x, y, edge_of


def add_elevation(net: RoadNetwork, dem: Raster, *, step_m: float = 25.0, source: str = "DEM") -> RoadNetwork:
    """Node elevations (bilinear) and each edge's lowest elevation along its line, from ``dem``.

    Parameters
    ----------
    net : RoadNetwork
        The network.
    dem : Raster
        Elevations in metres, in the network's CRS; it must cover every node with data.
    step_m : float
        Spacing of the points sampled along each edge.
    source : str
        Name of the raster in error messages.

    Returns
    -------
    RoadNetwork
        A copy with ``elevation`` and ``min_elevation`` replaced.

    Raises
    ------
    InputError
        When the raster's CRS differs from the network's, or it does not cover every node
        (the message says how many nodes fall outside and where the first one is).
    """
    if dem.crs and net.crs and dem.crs != net.crs:
        raise InputError(f"{source}: raster CRS {dem.crs} differs from the network's {net.crs}")
    z = dem.sample(net.x, net.y)
    missing = ~np.isfinite(z)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        xmin, xmax, ymin, ymax = dem.extent
        raise InputError(
            f"{source}: raster does not cover the network: {int(missing.sum())} of {net.n_nodes} nodes "
            f"lie outside it or on no-data cells (first at lon {net.lon[i]:.5f}, lat {net.lat[i]:.5f}; "
            f"raster extent x {xmin:.0f}..{xmax:.0f}, y {ymin:.0f}..{ymax:.0f} in {dem.crs or 'the network CRS'})"
        )
    px, py, edge_of = edge_sample_points(net, step_m)
    zp = dem.sample(px, py)
    zp = np.where(np.isfinite(zp), zp, np.inf)
    low = np.full(net.n_edges, np.inf)
    np.minimum.at(low, edge_of, zp)
    low = np.minimum(low, np.minimum(z[net.edge_source], z[net.indices]))
    return net.with_node_values(elevation=z, min_elevation=low)
