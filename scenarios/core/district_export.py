"""A generated district written out as a manifest over its layers (``yingji district export``).

The built-in Changjiang model (or any district spec) is generated into a
:class:`network.district_model.District`; this writes what it is made of in the formats a
planner's own data comes in — roads as GraphML, people as points, the DEM, land cover and
canopy as GeoTIFF, the river, dikes, forests, townships and facilities as GeoJSON, supply
sources and relief craft as TOML tables — and a manifest naming them. Reading that manifest
back gives the same district through the path every real district takes (docs/manifest.md,
"One way in"), and a planner gets a complete template to replace file by file.

The gauge's design floods go as data — the rating curve, the natural peak discharges (a Gumbel
line, written at 2–200 years), the hydrograph's shape and the Wuxikou reservoir — so the same
floods come back. What does not carry over exactly: the DEM is resampled onto the manifest's
grid (same cell size), moving heights by hundredths of a millimetre; a forest-fire brigade
becomes a team base.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from network.district_model import District
from network.errors import InputError
from network.geodata import write_geotiff
from network.geometry import PolylineIndex
from network.graphml import save_graphml
from network.manifest_sites import SPEC_KIND
from network.projection import to_lonlat
from network.terrain import LandCover, xy_of
from scenarios.reports.staging import staged_dir
from sim.hazards.flood.frequency import dufengkeng

#: the district model's facility kind -> the manifest's (a forest-fire brigade is a team base)
MANIFEST_KIND = {v: k for k, v in SPEC_KIND.items()} | {"forest_fire_brigade": "team_base"}
#: return periods of the exported discharge-frequency table (years; Gumbel, so any two would do)
TABLE_YEARS = (2, 10, 50, 100, 200)


def export_manifest(district: District, out: str | Path) -> Path:
    """Write ``district``'s layers and a manifest naming them into the folder ``out``.

    Returns
    -------
    Path
        The manifest, ``out/district.toml``.

    Raises
    ------
    InputError
        When ``out`` is a file or a folder yingji did not write (not empty, no marker), cannot be
        written (permissions, a full disk), or the district has no terrain or river. The folder is
        written whole through the staging writer (:func:`scenarios.reports.staging.staged_dir`):
        a failure leaves nothing half-written, and an earlier export there is replaced.
    """
    out = Path(out)
    if district.terrain is None or district.spec.river is None:
        raise InputError("district export: the district has no terrain or river to write")
    with staged_dir(out) as scratch:
        manifest = _write(district, scratch)
    return out / manifest.name


def _write(d: District, out: Path) -> Path:
    spec, net, terrain = d.spec, d.network, d.terrain
    save_graphml(net, out / "roads.graphml")
    has = np.flatnonzero(net.population > 0)
    _features(out / "people.geojson", [("Point", [float(net.lon[i]), float(net.lat[i])], {"pop": float(net.population[i])})
                                        for i in has])
    write_geotiff(terrain.dem, out / "dem.tif")
    write_geotiff(terrain.landcover, out / "landcover.tif")
    write_geotiff(terrain.canopy.like(terrain.canopy.values * 100.0), out / "canopy.tif")
    river = spec.river
    _features(out / "river.geojson", [("LineString", [list(p) for p in river.course], {"name": river.name_en})])
    _features(out / "dikes.geojson", _dikes(d))
    _features(out / "forests.geojson", [("Polygon", [[*map(list, f.polygon), list(f.polygon[0])]],
                                         {"id": f.id, "name_zh": f.name_zh, "name_en": f.name_en})
                                        for f in spec.forests])
    _features(out / "townships.geojson", _townships(d))
    _features(out / "facilities.geojson", _facilities(d))
    manifest = out / "district.toml"
    manifest.write_text(_manifest_text(d), encoding="utf-8")
    return manifest


def _features(path: Path, features: list[tuple[str, Any, dict]]) -> None:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": kind, "coordinates": coords}, "properties": props}
        for kind, coords, props in features]}, ensure_ascii=False), encoding="utf-8")


def _dikes(d: District) -> list[tuple[str, Any, dict]]:
    """Dikes with their crest above datum at each line's midpoint (the manifest's convention)."""
    spec = d.spec
    crs = spec.district.crs
    river_xy = xy_of(spec.river.course, crs)
    index = PolylineIndex(river_xy)
    g = xy_of([spec.river.gauge.location], crs)
    _, sg = index.query(g[:, 0], g[:, 1])
    slope = spec.river.surface_slope_m_per_km / 1000.0
    out = []
    for dike in spec.dikes:
        line = shapely.LineString(xy_of(dike.line, crs))
        mid = line.interpolate(0.5, normalized=True)
        _, s = index.query(np.array([mid.x]), np.array([mid.y]))
        props: dict[str, Any] = {"id": dike.id, "name": dike.name_en, "crest_m": dike.crest_m + slope * float(sg[0] - s[0])}
        if dike.standard_years is not None:
            props["standard_years"] = dike.standard_years
        if dike.freeboard_m is not None:
            props["freeboard_m"] = dike.freeboard_m
        out.append(("LineString", [list(p) for p in dike.line], props))
    return out


def _townships(d: District) -> list[tuple[str, Any, dict]]:
    """Each township's area: the part of the district's outline nearer its centre than any
    other's, in metres of the district's CRS (the generator's rule for zones)."""
    spec = d.spec
    crs = spec.district.crs
    outline = shapely.Polygon(xy_of(spec.district.boundary, crs))
    centres = xy_of([t.centre for t in spec.townships], crs)
    cells = shapely.voronoi_polygons(shapely.multipoints(centres), extend_to=outline.buffer(1000.0))

    def lonlat(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(to_lonlat(xy[:, 0], xy[:, 1], crs))

    out = []
    for t, c in zip(spec.townships, centres):
        cell = next(g for g in cells.geoms if g.contains(shapely.Point(c)))
        area = shapely.transform(shapely.segmentize(cell.intersection(outline), 100.0), lonlat)
        polys = [p for p in getattr(area, "geoms", [area]) if p.geom_type == "Polygon"]
        coords = [[[list(p) for p in poly.exterior.coords]] for poly in polys]
        out.append(("MultiPolygon", coords, {"name": t.name_zh, "name_en": t.name_en, "kind": t.kind}))
    return out


def _facilities(d: District) -> list[tuple[str, Any, dict]]:
    spec = d.spec
    out = []
    for f in spec.facilities:
        props: dict[str, Any] = {"id": f.id, "kind": MANIFEST_KIND[f.kind], "name_zh": f.name_zh, "name_en": f.name_en,
                                 **{k: v for k, v in f.stock.items()}}
        if f.teams:
            props["teams"] = ";".join(f"{t.type}:{t.people}" for t in f.teams)
        if f.substances:
            props["substances"] = ";".join(f.substances)
        out.append(("Point", list(f.location), props))
    for s in spec.shelters:
        out.append(("Point", list(s.location), {
            "id": s.id, "kind": "shelter", "name_zh": s.name_zh, "name_en": s.name_en, "type": s.kind,
            "capacity": spec.shelter_capacity(s), "status": "existing" if s.existing else "candidate"}))
    return out


def _manifest_text(d: District) -> str:
    spec = d.spec
    river, gauge = spec.river, spec.river.gauge
    chain = dufengkeng()
    res = chain.reservoir
    lc_names = {str(int(c)): c.name.lower() for c in LandCover}
    lines = [
        "# The district written out as a manifest over its layers (yingji district export).",
        f"# From: {d.network.meta.get('source', 'a district spec')}; every figure as in the district spec.",
        "[district]", f"name_zh = {_toml(spec.district.name_zh)}", f"name_en = {_toml(spec.district.name_en)}",
        "[roads]", 'file = "roads.graphml"',
        "[population]", 'polygons = "people.geojson"', 'field = "pop"', "reach_m = 50",
        "[terrain]", 'dem = "dem.tif"', f"cell_m = {float(d.terrain.dem.cellsize):g}",
        "[landcover]", 'raster = "landcover.tif"', 'canopy = "canopy.tif"', f"classes = {_toml(lc_names)}",
        "[water]", 'rivers = "river.geojson"', f"name_zh = {_toml(river.name_zh)}", f"name_en = {_toml(river.name_en)}",
        f"channel_width_m = {river.channel_width_m:g}", f"surface_slope_m_per_km = {river.surface_slope_m_per_km:g}",
        'dikes = "dikes.geojson"',
        "[water.gauge]", f"name_zh = {_toml(gauge.name_zh)}", f"name_en = {_toml(gauge.name_en)}",
        f"location = {_toml(list(gauge.location))}", f"warning_stage_m = {gauge.warning_stage_m:g}",
        "# the Dufengkeng chain as data: rating, natural peak discharges (a Gumbel line through two points),",
        "# the hydrograph's shape and the Wuxikou reservoir (docs/references/hazards.md §1.1)",
        f"rating = {_toml({'datum_m': chain.rating.datum_m, 'coefficient': chain.rating.coefficient, 'exponent': chain.rating.exponent})}",
        f"discharge_frequency = {_toml({str(t): chain.peaks.peak(t) for t in TABLE_YEARS})}",
        f"reservoir = {_toml({'share': res.share, 'release_m3s': res.release_m3s, 'flood_storage_m3': res.flood_storage_m3})}",
        f"base_discharge_m3s = {chain.shape.base_m3s!r}", f"rise_h = {chain.shape.rise_h!r}",
        f"recession_h = {chain.shape.recession_h!r}",
        'source = "Dufengkeng frequency chain of the built-in model (estimates, docs/references/changjiang.md)"',
        "[facilities]", 'file = "facilities.geojson"',
        "[admin]", 'units = "townships.geojson"', 'name_field = "name"', 'name_en_field = "name_en"', 'kind_field = "kind"',
        "[forests]", 'file = "forests.geojson"',
    ]
    for table, items in (("supply_sources", spec.supply_sources), ("relief_craft", spec.relief_craft)):
        for item in items:
            lines.append(f"[[{table}]]")
            lines += [f"{k} = {_toml(v)}" for k, v in item.model_dump(exclude_none=True).items()]
    return "\n".join(lines) + "\n"


def _toml(v: Any) -> str:
    """A TOML value of a string, number, boolean, list or table (inline)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)} = {_toml(x)}" for k, x in v.items()) + " }"
    raise InputError(f"district export: cannot write {v!r} as TOML")
