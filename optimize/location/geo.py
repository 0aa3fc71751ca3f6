"""Location models from GeoDataFrames (as spopt builds them), for notebooks.

Demand points (population centroids, villages) and candidate sites come as GeoDataFrames of
points; the cost of serving demand i from site j is the road travel time between their nearest
road nodes on a network (seconds), or, without a network, the straight-line distance in metres
in a projected CRS. Rows with +inf (no road between them) forbid the pair, as in a cost matrix.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from network.errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd

    from network.model import RoadNetwork

#: snapping farther than this from every road node is an error (a point in the wrong CRS, off the map)
MAX_SNAP_M = 5000.0


def _points(frame: "gpd.GeoDataFrame", what: str) -> "gpd.GeoDataFrame":
    """The frame, once it holds only points with a CRS."""
    if not hasattr(frame, "geometry") or frame.crs is None:
        raise InputError(f"{what}: expected a GeoDataFrame of points with a CRS")
    if len(frame) == 0:
        raise InputError(f"{what}: no rows")
    geom = frame.geometry
    bad = np.flatnonzero(~(geom.notna() & ~geom.is_empty & (geom.geom_type == "Point")).to_numpy())
    if len(bad):
        raise InputError(f"{what}: rows {', '.join(str(frame.index[k]) for k in bad[:5])} are not points "
                         "(use .centroid or .representative_point() for areas)")
    return frame


def _labels(frame: "gpd.GeoDataFrame", column: str | None, what: str) -> list[str]:
    if column is None:
        return [str(i) for i in frame.index]
    if column not in frame:
        raise InputError(f"{what}: no column {column!r} (columns: {', '.join(map(str, frame.columns))})")
    return [str(v) for v in frame[column]]


def geo_cost(demand: "gpd.GeoDataFrame", sites: "gpd.GeoDataFrame", network: "RoadNetwork | None" = None, *,
             max_snap_m: float = MAX_SNAP_M) -> np.ndarray:
    """The (n_demands, n_sites) cost matrix: road travel time (s) on ``network`` between the points'
    nearest nodes, or straight-line metres in the frames' projected CRS without one.

    Raises
    ------
    InputError
        Frames that are not points with a CRS, a point farther than ``max_snap_m`` from every
        road, or (without a network) a geographic CRS, in which distances are not metres.
    """
    demand, sites = _points(demand, "demand"), _points(sites, "sites")
    if network is None:
        if demand.crs.is_geographic:
            raise InputError("demand: a geographic CRS (degrees): give a network, or .to_crs() a projected CRS "
                             "(e.g. the UTM zone) for straight-line metres")
        s = sites.to_crs(demand.crs)
        dx = demand.geometry.x.to_numpy()[:, None] - s.geometry.x.to_numpy()[None, :]
        dy = demand.geometry.y.to_numpy()[:, None] - s.geometry.y.to_numpy()[None, :]
        return np.hypot(dx, dy)
    from network.errors import NetworkError
    from network.paths import travel_time_matrix
    from network.snap import snap_points

    def nodes(frame, what):
        g = frame.to_crs(network.crs).geometry
        try:
            return snap_points(network, g.x.to_numpy(), g.y.to_numpy(), max_distance_m=max_snap_m,
                               names=[str(i) for i in frame.index]).node
        except NetworkError as exc:
            raise InputError(f"{what}: {exc}") from None

    d_nodes, s_nodes = nodes(demand, "demand"), nodes(sites, "sites")
    # searches from the sites (fewer than demands as a rule), on the reverse graph: site -> demand
    # times of the reversed roads are demand -> site times on the real ones
    return travel_time_matrix(network, s_nodes, d_nodes, reverse=True).T.copy()


def from_geodataframe(cls: Any, demand: "gpd.GeoDataFrame", sites: "gpd.GeoDataFrame", *,
                      weights: str | None = None, network: "RoadNetwork | None" = None,
                      demand_label: str | None = None, site_label: str | None = None, **model: Any) -> Any:
    """A location model of class ``cls`` from demand and site points (see the module notes);
    ``weights`` names the demand column to weigh by (people), ``*_label`` the columns naming
    rows in messages (default the index); the rest are the model's own arguments (``p``,
    ``service_radius`` in the cost's unit ...)."""
    cost = geo_cost(demand, sites, network)
    w = None
    if weights is not None:
        if weights not in demand:
            raise InputError(f"demand: no column {weights!r} for the weights")
        w = demand[weights].to_numpy(dtype=float)
    return cls.from_cost_matrix(cost, w, demand_labels=_labels(demand, demand_label, "demand"),
                                site_labels=_labels(sites, site_label, "sites"), **model)
