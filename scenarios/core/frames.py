"""A run's tables as pandas DataFrames and GeoPandas GeoDataFrames, for notebooks.

The same records the CSV and GeoJSON files hold, with their native types: times as floats
(``inf`` where a time never came), structured fields (``state_times``, ``party_records``) as
Python objects, places as lon/lat (EPSG:4326). ``ScenarioRun.to_frame`` and
``ScenarioRun.to_geodataframe`` call these.

| layer | one row per | geometry |
| --- | --- | --- |
| ``groups`` | population group (its people, when they were affected, warned, relieved) | its road node |
| ``events`` | logged event (``time_h``, ``event``, the fields it carries) | its node, where it has one |
| ``facilities`` | team base, warehouse, shelter, supply entry of the plan (+ supply assignments) | point (line) |
| ``teams`` | team (type, base, jobs, utilisation, status at the end) | none |
| ``hazard`` | footprint zone (flood depth band, burned area, AEGL zone) | polygon |
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from network.errors import InputError

if TYPE_CHECKING:  # pandas and geopandas load only when a frame is asked for
    import geopandas as gpd
    import pandas as pd


#: the layers :func:`to_frame` knows, and which of them have places
LAYERS = ("groups", "events", "facilities", "teams", "hazard")
GEO_LAYERS = ("groups", "events", "facilities", "hazard")


def _check(layer: str, known: tuple[str, ...]) -> str:
    if layer not in known:
        raise InputError(f"layer: expected one of {', '.join(known)}, found {layer!r}")
    return layer


def _records(run: Any, layer: str) -> list[dict[str, Any]]:
    """The layer's rows as dicts (no geometry)."""
    from sim.result import event_row

    from .layers import group_places

    if layer == "groups":
        return [{**g, **place} for g, place in group_places(run)]
    if layer == "events":
        return [event_row(e, run.network, blank=None) for e in run.result.events]
    if layer == "teams":
        return [{k: v for k, v in t.items() if k != "activity"} for t in run.result.teams]
    return [f["properties"] for f in _features(run, layer)]


def _features(run: Any, layer: str) -> list[dict[str, Any]]:
    from .layers import hazard_features, plan_features

    return (plan_features(run) if layer == "facilities" else hazard_features(run))["features"]


def to_frame(run: Any, layer: str = "groups") -> "pd.DataFrame":
    """One of the run's tables (:data:`LAYERS`) as a pandas DataFrame.

    Raises
    ------
    InputError
        An unknown layer.
    """
    import pandas as pd

    return pd.DataFrame.from_records(_records(run, _check(layer, LAYERS)))


def to_geodataframe(run: Any, layer: str = "groups") -> "gpd.GeoDataFrame":
    """One of the run's placed tables (:data:`GEO_LAYERS`) as a GeoDataFrame in EPSG:4326: groups
    and events as points at their road node (events without a node have no geometry),
    facilities and hazard zones as the GeoJSON files draw them.

    Raises
    ------
    InputError
        An unknown layer, or ``teams`` (no place of its own).
    """
    import geopandas as gpd

    _check(layer, GEO_LAYERS)
    if layer in ("facilities", "hazard"):
        feats = _features(run, layer)
        if not feats:
            return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
        return gpd.GeoDataFrame.from_features(feats, crs="EPSG:4326")
    import numpy as np
    import shapely

    frame = to_frame(run, layer)
    lon = pd_numbers(frame, "lon")
    lat = pd_numbers(frame, "lat")
    placed = np.isfinite(lon) & np.isfinite(lat)
    geometry = np.full(len(frame), None, dtype=object)
    geometry[placed] = shapely.points(lon[placed], lat[placed])   # an event without a node has no place
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def pd_numbers(frame: "pd.DataFrame", column: str):
    """A column as floats (NaN where it is empty or missing)."""
    import numpy as np
    import pandas as pd

    if column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
