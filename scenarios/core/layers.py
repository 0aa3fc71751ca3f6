"""A run's records with their places, as the output files and the notebook frames share them:
groups with lon/lat and township, the plan's facilities and the hazards' footprints as GeoJSON
FeatureCollections in lon/lat."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from network.hazard import HazardModelWarning

def group_places(run: Any) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each group record of the run with its place: ``lon``, ``lat``, ``township_zh``,
    ``township_en`` (groups.csv and the notebook frames share it)."""
    net = run.network
    out = []
    for g in run.result.groups:
        node = int(g["node"])
        zh, en = township_of(net, node)
        out.append((g, {"lon": round(float(net.lon[node]), 6), "lat": round(float(net.lat[node]), 6),
                        "township_zh": zh, "township_en": en}))
    return out


def township_of(net, node: int) -> tuple[str, str]:
    """The Chinese and English names of a node's township ("" outside every one)."""
    names = net.zone_names or ()
    zone = int(net.zone[node]) if net.zone is not None else -1
    return names[zone] if 0 <= zone < len(names) else ("", "")


def plan_features(run: Any) -> dict[str, Any]:
    """plan.geojson's FeatureCollection: facilities and supply assignments, lon/lat."""
    plan = run.plan
    fc = plan.geojson()
    where = {s.id: (s.lon, s.lat) for s in (*plan.shelters, *plan.warehouses)}
    for sid, wid in plan.shelter_warehouse.items():
        if sid in where and wid in where:
            fc["features"].append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [
                list(where[wid]), list(where[sid])]}, "properties": {"facility": "supply_assignment",
                                                                    "warehouse": wid, "shelter": sid}})
    fc["name"] = f"{run.name} [{run.plan_label}]"
    return fc


def hazard_times(duration_s: float) -> np.ndarray:
    """Hourly times over a run, and its end: when footprints take the hazard's worst."""
    return np.unique(np.append(np.arange(0.0, duration_s, 3600.0), duration_s))


def hazard_features(run: Any) -> dict[str, Any]:
    """hazard.geojson's FeatureCollection: every hazard's footprint over the run, lon/lat."""
    times = hazard_times(run.scenario.simulation.duration_h * 3600.0)
    features = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HazardModelWarning)  # already in the run's notes
        for h in run.hazards:
            tags = {"hazard": h.kind, "hazard_zh": h.label_zh, "hazard_en": h.label_en, "hazard_name": h.name}
            features += h.footprint(times).to_geojson(tags)["features"]
    return {"type": "FeatureCollection", "name": run.name, "features": features}
