"""The reports' interactive map: its data (GeoJSON in lon/lat) and what the page inlines.

The map is Leaflet 1.9.4, vendored under ``vendor/leaflet`` and inlined, so the report still opens
offline as one file. There are no tiles: the base map is the district's own roads. On it: the
hazard over the run (flood depth bands 0–0.5–1.5–3 m and arrival time, AEGL zones, burned area),
the plan's facilities with their load, the supply routes the trucks drove, and the groups of
people coloured by their relief time; a slider steps through the run in hours since it began
(the compare report: one run at a time, picked from a list; the drill handbook: in exercise time
``T+HH:MM`` from its T+00:00, :func:`map_data`'s ``clock_start_h``). The batch and sizing reports
draw a map without a slider (:func:`areas_map_context`): townships (areas drawn from their road
nodes, :mod:`.webmap_areas`) coloured by the share of runs that relieved all their affected people
in time, and a plan's facilities, new sites and what was added marked. Every inline script is allowed by its SHA-256 hash in the
page's Content Security Policy (:func:`script_hash`); the templates' ``_webmap`` macros place it, and
the data travels as a JSON data block escaped against ``</script>`` (:func:`json_for_script`).
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from functools import cache
from importlib.resources import files
from typing import Any

import numpy as np
import shapely
from markupsafe import Markup

from network.hazard import Footprint, Hazard, HazardModelWarning, Zone
from network.model import RoadNetwork, has_reverse_edge
from network.plan import Plan
from network.raster import Raster, mask_polygons
from network.roadclass import RoadClass
from scenarios.core.layers import hazard_times
from scenarios.core.runner import ScenarioRun

from .figures import supply_routes
from .tables import plan_summary
from .webmap_areas import area_features, band_legend

#: coordinates in the page: 5 decimals of a degree, about 1 m
DECIMALS = 5
#: simplification of hazard polygons before they go to lon/lat, metres (above half a 50 m cell: no staircases)
SIMPLIFY_M = 30.0
#: flood depth bands of the map (m) and their colours, shallow to deep
DEPTH_BANDS_M = (0.0, 0.5, 1.5, 3.0)
DEPTH_COLOURS = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")
#: flood arrival bands (h) and their colours, early to late
ARRIVAL_BANDS_H = (0.0, 3.0, 6.0, 12.0, 24.0)
ARRIVAL_COLOURS = ("#7a0177", "#c51b8a", "#f768a1", "#fbb4b9", "#feebe2")
#: most slider stops; the step is the smallest of these hours that keeps within it
MAX_STOPS = 13
_STEPS_H = (1, 2, 3, 6, 12, 24, 48)
_ROAD_STYLE = {RoadClass.MOTORWAY: ("#c0392b", 3.0), RoadClass.TRUNK: ("#e67e22", 2.6),
               RoadClass.PRIMARY: ("#d4ac0d", 2.2), RoadClass.SECONDARY: ("#7f8c8d", 1.6),
               RoadClass.TERTIARY: ("#95a5a6", 1.2), RoadClass.LOCAL: ("#b3b6b7", 0.8),
               RoadClass.SERVICE: ("#ccd1d1", 0.6)}
_VENDOR = "vendor/leaflet"


# ---------------------------------------------------------------------------------- packed coordinates
#: how deep the lines (point sequences) sit in each geometry type's coordinates
_LINE_DEPTH = {"LineString": 0, "MultiLineString": 1, "Polygon": 1, "MultiPolygon": 2}


def _pack_line(line: Sequence[Sequence[float]]) -> list[int]:
    """A point sequence as integers in units of 10^-DECIMALS degrees: the first point, then
    each step from the one before (a third of the text of decimal pairs)."""
    q = np.rint(np.asarray(line, dtype=np.float64)[:, :2] * 10 ** DECIMALS).astype(np.int64)
    q[1:] = np.diff(q, axis=0)
    return q.ravel().tolist()


def unpack_line(packed: Sequence[int]) -> list[list[float]]:
    """Inverse of :func:`_pack_line` (the page's script does the same)."""
    q = np.cumsum(np.asarray(packed, np.int64).reshape(-1, 2), axis=0)
    return (q / 10 ** DECIMALS).tolist()


def _nest(coords: Any, depth: int, fn: Any) -> Any:
    return fn(coords) if depth == 0 else [_nest(c, depth - 1, fn) for c in coords]


def unpack_geometry(geom: dict[str, Any]) -> dict[str, Any]:
    """A page geometry as plain GeoJSON (points are stored plain)."""
    if "packed" not in geom:
        return geom
    return {"type": geom["type"], "coordinates": _nest(geom["packed"], _LINE_DEPTH[geom["type"]], unpack_line)}


def _feature(geom: dict, props: dict[str, Any]) -> dict[str, Any]:
    """A feature for the page: lines and polygons packed (:func:`_pack_line`), points rounded."""
    kind = geom["type"]
    if kind == "Point":
        g = {"type": kind, "coordinates": [round(float(v), DECIMALS) for v in geom["coordinates"][:2]]}
    else:
        g = {"type": kind, "packed": _nest(geom["coordinates"], _LINE_DEPTH[kind], _pack_line)}
    return {"type": "Feature", "geometry": g, "properties": props}


# ---------------------------------------------------------------------------------- small helpers


def _lonlat_features(crs: str, zones: Sequence[Zone], extra: dict[str, Any]) -> list[dict[str, Any]]:
    """Zones, simplified in metres, as lon/lat features through :meth:`Footprint.to_geojson`."""
    slim = [Zone(shapely.simplify(z.geometry, SIMPLIFY_M, preserve_topology=True), z.label_zh, z.label_en,
                 z.colour, z.properties) for z in zones if z.geometry is not None]
    slim = [z for z in slim if not z.geometry.is_empty]  # to_geojson skips empty ones: keep the zip aligned
    out = []
    for z, f in zip(slim, Footprint("", crs, tuple(slim)).to_geojson()["features"]):
        props = {**{k: v for k, v in f["properties"].items() if _plain(v)}, **extra,
                 "colour": z.colour, "label_zh": z.label_zh, "label_en": z.label_en}
        out.append(_feature(f["geometry"], props))
    return out


def _plain(v: Any) -> bool:
    return v is None or isinstance(v, (str, bool, int)) or (isinstance(v, float) and math.isfinite(v))


def _h(seconds: float) -> float | None:
    """Seconds as hours (3 decimals); None when never."""
    return round(float(seconds) / 3600.0, 3) if seconds is not None and math.isfinite(seconds) else None


# ---------------------------------------------------------------------------------- base map
def _bounds(net: RoadNetwork) -> list[list[float]]:
    """The network's extent as Leaflet's [[south, west], [north, east]]."""
    return [[float(net.lat.min()), float(net.lon.min())], [float(net.lat.max()), float(net.lon.max())]]


def roads_layer(source: ScenarioRun | RoadNetwork) -> list[dict[str, Any]]:
    """The district's roads, one MultiLineString per class (each two-way road once), in lon/lat
    (``source``: a run, or anything else with a ``network``, or the road network itself)."""
    net = getattr(source, "network", source)
    src, dst = net.edge_source, net.indices
    once = (src < dst) | ~has_reverse_edge(net)
    out = []
    for cls in sorted(RoadClass, reverse=True):  # minor roads first, so major ones draw on top
        sel = np.flatnonzero(once & (net.road_class == int(cls)))
        if not len(sel):
            continue
        coords = np.stack([np.column_stack([net.lon[src[sel]], net.lat[src[sel]]]),
                           np.column_stack([net.lon[dst[sel]], net.lat[dst[sel]]])], axis=1)
        merged = shapely.line_merge(shapely.multilinestrings(coords))
        geom = shapely.geometry.mapping(shapely.simplify(merged, 10.0 ** -DECIMALS))
        colour, width = _ROAD_STYLE[cls]
        lines = geom["coordinates"] if geom["type"] == "MultiLineString" else [geom["coordinates"]]
        out.append(_feature({"type": "MultiLineString", "coordinates": lines}, {
            "label_zh": cls.name_zh, "label_en": cls.name_en, "colour": colour, "weight": width}))
    return out


# ---------------------------------------------------------------------------------- hazards
def slider_hours(duration_h: float) -> list[float]:
    """The slider's stops: 0, every step hours, and the end (at most :data:`MAX_STOPS`)."""
    step = next((s for s in _STEPS_H if duration_h / s <= MAX_STOPS - 1), _STEPS_H[-1])
    stops = [float(h) for h in np.arange(0.0, duration_h, step)]
    return [*stops, float(duration_h)]


class _Frames:
    """A hazard's zones at successive slider stops. A flood's deepest water is carried from one
    stop to the next (each stop reads only the hours since the last, not the whole run again)
    and banded 0–0.5–1.5–3 m; other hazards give their footprint over the hours so far."""

    def __init__(self, h: Hazard, times: np.ndarray):
        self.h, self.times, self.done_s = h, times, -math.inf
        self.deepest: Raster | None = None
        self.flood = h.water_on_roads and callable(getattr(h, "max_depth", None))

    def at(self, stop_s: float) -> tuple[str, tuple[Zone, ...], Footprint | None]:
        """(CRS, zones, footprint or None for a flood) of what the hazard reached by ``stop_s``."""
        upto = self.times[self.times <= stop_s + 1e-6]
        upto = upto if len(upto) else self.times[:1]
        if not self.flood:
            fp = self.h.footprint(upto)
            return fp.crs, fp.zones, fp
        new = upto[upto > self.done_s]
        if len(new):
            part = self.h.max_depth(new)
            self.deepest = part if self.deepest is None else part.like(np.fmax(self.deepest.values, part.values))
            self.done_s = float(new[-1])
        zones = _band_zones(self.deepest, DEPTH_BANDS_M, DEPTH_COLOURS, "水深", "depth", "m")
        return self.h.net.crs, zones, None


def _band_zones(field: Raster, bands: Sequence[float], colours: Sequence[str], zh: str, en: str,
                unit: str) -> tuple[Zone, ...]:
    """Polygons of a raster by value band (NaN and values below the first band left out)."""
    vals = np.asarray(field.values, dtype=np.float64)
    ok = np.isfinite(vals) & (vals > 0 if bands[0] == 0 else vals >= bands[0])
    zones = []
    for i, lo in enumerate(bands):
        hi = bands[i + 1] if i + 1 < len(bands) else math.inf
        mask = ok & (vals >= lo) & (vals < hi)
        if mask.any():
            span = f"{lo:g}–{hi:g} {unit}" if math.isfinite(hi) else f"≥ {lo:g} {unit}"
            zones.append(Zone(mask_polygons(mask, field), f"{zh} {span}", f"{en} {span}", colours[i],
                              {"band_min": lo, "band_max": None if math.isinf(hi) else hi,
                               "area_km2": round(float(mask.sum()) * field.cellsize ** 2 / 1e6, 3)}))
    return tuple(zones)


def hazard_layers(run: ScenarioRun, stops_h: Sequence[float]) -> list[dict[str, Any]]:
    """Each hazard's zones at each slider stop (what it had reached by then), shared between stops
    that look the same; a flood's arrival time as a layer of its own."""
    times = hazard_times(run.scenario.simulation.duration_h * 3600.0)
    layers = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HazardModelWarning)  # already in the run's notes
        for h in run.hazards:
            frames: list[list[dict]] = []
            index: list[int] = []
            reached = _Frames(h, times)
            for stop in stops_h:
                crs, zones, fp = reached.at(stop * 3600.0)
                feats = _lonlat_features(crs, zones, {"hazard_zh": h.label_zh, "hazard_en": h.label_en})
                if not frames or feats != frames[-1]:
                    frames.append(feats)
                index.append(len(frames) - 1)
            source = _source_point(fp) if fp is not None and fp.source_xy is not None else None
            layers.append({"kind": h.kind, "label_zh": h.label_zh, "label_en": h.label_en, "name": h.name,
                           "frames": frames, "at_stop": index, "source": source})
            arrival = arrival_layer(h, times)
            if arrival:
                layers.append(arrival)
    return layers


def _source_point(fp: Footprint) -> dict[str, Any]:
    """The release point of a footprint as a lon/lat feature."""
    geo = Footprint("", fp.crs, (Zone(shapely.Point(fp.source_xy), "", "", ""),)).to_geojson()
    return _feature(geo["features"][0]["geometry"], {"label_zh": fp.source_label_zh, "label_en": fp.source_label_en})


def arrival_layer(h: Hazard, times: np.ndarray) -> dict[str, Any] | None:
    """A flood's arrival time in bands (hours until the cell first holds the affected depth);
    None for a hazard that has no arrival map (only floods with ``flood_maps``)."""
    maps = getattr(h, "flood_maps", None)
    if not h.water_on_roads or maps is None:
        return None
    arrival = maps(times, step_s=3600.0)["arrival_h"]  # hourly, as the slider: bands are hours wide
    zones = _band_zones(arrival, ARRIVAL_BANDS_H, ARRIVAL_COLOURS, "淹没到达时间", "arrival", "h")
    feats = _lonlat_features(h.net.crs, zones, {"hazard_zh": h.label_zh, "hazard_en": h.label_en})
    if not feats:
        return None
    return {"kind": "arrival", "label_zh": f"{h.label_zh}到达时间", "label_en": f"{h.label_en} arrival time",
            "name": h.name, "frames": [feats], "at_stop": None, "source": None}


# ---------------------------------------------------------------------------------- plan and people
def facility_layer(run: ScenarioRun) -> list[dict[str, Any]]:
    """Team bases, warehouses and shelters as points, with their load in the run."""
    plan, res = run.plan, run.result
    summary = plan_summary(plan)
    trips = Counter(e.get("warehouse") for e in res.events if str(e.get("event", "")).startswith("truck_load"))
    teams_at: dict[int, list[dict]] = {}
    for t in res.teams:
        teams_at.setdefault(int(t["base_node"]), []).append(t)
    out = []
    for b, s in zip(plan.team_bases, summary["bases"]):
        mine = teams_at.get(int(b.node), [])
        util = [float(t["utilisation"]) for t in mine if _plain(t["utilisation"])]
        out.append(_point(b, "base", s, {"teams": [[t["zh"], t["en"], t["people"]] for t in s["teams"]],
                                         "jobs": sum(int(t["jobs"]) for t in mine),
                                         "utilisation": round(float(np.mean(util)), 3) if util else None}))
    for w, s in zip(plan.warehouses, summary["warehouses"]):
        out.append(_point(w, "warehouse", s, {"stock": [[x["zh"], x["en"], x["amount"]] for x in s["stock"]],
                                              "truck_loads": trips.get(w.id, 0)}))
    load = {r["shelter"]: r for r in res.shelters}
    for sh, s in zip(plan.shelters, summary["shelters"]):
        r = load.get(sh.id, {})
        out.append(_point(sh, "shelter", s, {"capacity": int(sh.capacity), "existing": bool(sh.existing),
                                             "peak": int(r.get("peak_occupancy", 0)), "reserved": int(r.get("reserved", 0))}))
    return out


#: which facility kind each costed lever adds to (:func:`network.costs.plan_additions`)
_LEVER_KIND = {"team_base": "base", "team_members": "base", "warehouse": "warehouse", "truck": "warehouse",
               "stock": "warehouse", "shelter_places": "shelter"}


def plan_facility_layer(plan: Plan, *, base: Plan | None = None,
                        additions: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """Team bases, warehouses and shelters as points without a run's loads (the batch and sizing
    maps): what each holds, and with ``base`` (the plan before) whether it is ``new`` there, and
    what ``additions`` (rows with ``lever``, ``site``, ``amount``, ``unit``) add to it."""
    summary = plan_summary(plan)
    old = {"base": {b.id for b in base.team_bases}, "warehouse": {w.id for w in base.warehouses},
           "shelter": {s.id for s in base.shelters}} if base is not None else None
    added: dict[tuple[str, str], list[list[Any]]] = {}
    for a in additions:
        kind = _LEVER_KIND.get(str(a["lever"]).split(":", 1)[0])
        if kind:
            amount = float(a["amount"])
            added.setdefault((kind, str(a["site"])), []).append(
                [str(a["lever"]), int(amount) if amount.is_integer() else round(amount, 1), str(a.get("unit", ""))])

    def extra(kind: str, site: Any) -> dict[str, Any]:
        return {"new": None if old is None else site.id not in old[kind], "added": added.get((kind, site.id), [])}

    out = []
    for b, s in zip(plan.team_bases, summary["bases"]):
        out.append(_point(b, "base", s, {"teams": [[t["zh"], t["en"], t["people"]] for t in s["teams"]],
                                         **extra("base", b)}))
    for w, s in zip(plan.warehouses, summary["warehouses"]):
        out.append(_point(w, "warehouse", s, {"stock": [[x["zh"], x["en"], x["amount"]] for x in s["stock"]],
                                              "trucks": w.trucks, **extra("warehouse", w)}))
    for sh, s in zip(plan.shelters, summary["shelters"]):
        out.append(_point(sh, "shelter", s, {"capacity": int(sh.capacity), "existing": bool(sh.existing),
                                             **extra("shelter", sh)}))
    return out


def _point(site: Any, kind: str, names: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    return _feature({"type": "Point", "coordinates": [float(site.lon), float(site.lat)]},
                    {"kind": kind, "name_zh": names["zh"], "name_en": names["en"], **props})


def route_layer(run: ScenarioRun) -> list[dict[str, Any]]:
    """The supply routes the trucks drove (warehouse to shelter or to people at home), with trips."""
    net = run.network
    out = []
    for nodes, count in supply_routes(run.result, run.plan, net):
        line = shapely.simplify(shapely.LineString(np.column_stack([net.lon[nodes], net.lat[nodes]])),
                                10.0 ** -DECIMALS)
        out.append(_feature(shapely.geometry.mapping(line), {"trips": int(count)}))
    return out


#: the columns of a group row in the page (hours from the start; None: never)
GROUP_COLUMNS = ("lon", "lat", "people", "threat_h", "affected_h", "relieved_h", "relief_time_h", "relieved",
                 "township")


def group_rows(run: ScenarioRun) -> tuple[list[list[Any]], list[list[str]]]:
    """One compact row per group (:data:`GROUP_COLUMNS`) and the township names the rows index."""
    net = run.network
    names = [list(n) for n in (net.zone_names or ())]
    rows = []
    for g in run.result.groups:
        node = int(g["node"])
        zone = int(net.zone[node]) if net.zone is not None else -1
        rt = g.get("relief_time_h")
        done = g.get("relief_done_s")
        rows.append([round(float(net.lon[node]), DECIMALS), round(float(net.lat[node]), DECIMALS), int(g["people"]),
                     _h(g["threat_s"]), _h(g["affected_s"]),
                     _h(done) if done is not None and int(g["relieved"]) >= int(g["people"]) else None,
                     round(float(rt), 3) if rt is not None and math.isfinite(rt) else None,
                     int(g["relieved"]), zone if 0 <= zone < len(names) else -1])
    return rows, names


def relief_class(relief_time_h: float | None, affected_h: float | None, target_h: float) -> str:
    """How a group is coloured at the end (the same rule as the page's script): ``within``
    the target, ``late``, ``never`` relieved, or ``threatened`` only."""
    if affected_h is None:
        return "threatened"
    if relief_time_h is None:
        return "never"
    return "within" if relief_time_h <= target_h else "late"


#: colours of the group classes, shared with the script through the data
GROUP_COLOURS = {"threatened": "#f4d03f", "waiting": "#e74c3c", "never": "#922b21", "within": "#1e8449",
                 "late": "#e67e22"}


# ---------------------------------------------------------------------------------- the page
def map_data(run: ScenarioRun, lang: str, *, stops_h: Sequence[float] | None = None,
             clock_start_h: float | None = None) -> dict[str, Any]:
    """Everything the map script draws, JSON-ready.

    ``stops_h`` are the slider's stops in simulation hours (default :func:`slider_hours`);
    ``clock_start_h`` the simulation hour of an exercise clock's T+00:00 (the drill handbook),
    with which the slider reads in exercise time ``T+HH:MM`` (``T−HH:MM`` before the start)
    instead of hours into the run."""
    net = run.network
    duration = float(run.scenario.simulation.duration_h)
    stops = [float(h) for h in stops_h] if stops_h else slider_hours(duration)
    groups, townships = group_rows(run)
    hazards = hazard_layers(run, stops)
    notes = [] if hazards else [["本次运行没有灾害范围可绘制。", "The run has no hazard footprint to draw."]]
    if not groups:
        notes.append(["本次运行没有受威胁或受灾的人员组。", "No group of people was threatened or affected in the run."])
    return {
        "lang": lang, "scale": 10 ** DECIMALS, "bounds": _bounds(net),
        "stops_h": stops, "end_h": duration, "target_h": float(run.scenario.targets.relief_within_h),
        "clock": None if clock_start_h is None else {"start_h": round(float(clock_start_h), 6)},
        "roads": roads_layer(run), "hazards": hazards, "facilities": facility_layer(run),
        "routes": route_layer(run), "group_columns": list(GROUP_COLUMNS), "groups": groups,
        "townships": townships, "group_colours": GROUP_COLOURS, "notes": notes,
    }


def json_for_script(data: Any) -> str:
    """``data`` as JSON that is safe inside a ``<script>`` element: ``<``, ``>`` and ``&`` as
    ``\\u003c`` etc., so no text (a hostile name) can close the element or open a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@cache
def leaflet_js() -> str:
    """Leaflet's script as it is inlined: the vendored file without its source-map comment."""
    text = files("scenarios.reports").joinpath(f"{_VENDOR}/leaflet.js").read_text(encoding="utf-8")
    return re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", text)


@cache
def leaflet_css() -> str:
    """Leaflet's stylesheet with its images as data URIs (anything else it points to: ``none``),
    so the page's ``img-src data:`` allows every resource."""
    root = files("scenarios.reports").joinpath(_VENDOR)
    css = root.joinpath("leaflet.css").read_text(encoding="utf-8")

    def inline(m: re.Match) -> str:
        name = m.group(1).strip("'\"")
        img = root.joinpath(name)
        if name.startswith("images/") and name.endswith(".png") and img.is_file():
            return "url(data:image/png;base64," + base64.b64encode(img.read_bytes()).decode("ascii") + ")"
        return "none"

    return re.sub(r"url\(([^)]*)\)", inline, css)


@cache
def map_js() -> str:
    """The page's own script (``webmap.js``): builds the layers, the slider and the popups."""
    return files("scenarios.reports").joinpath("webmap.js").read_text(encoding="utf-8")


def script_hash(text: str) -> str:
    """The CSP source of an inline script: ``sha256-`` and the base64 digest of its exact text."""
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


#: what the picker above a map picks: (zh, en)
PICK_RUN = ("运行", "run")
PICK_PLAN = ("方案", "plan")


def _context(data: dict[str, Any], notes: list, stops: int, runs: list[str] | None, *,
             mode: str = "run", pick: tuple[str, str] = PICK_RUN) -> dict[str, Any]:
    """What the templates' ``_webmap`` macros need: the inline CSS, scripts and data, and the
    hashes that the Content Security Policy allows. ``stops`` 0: no time slider (``mode``
    "areas": the batch and sizing maps); ``pick`` names what the list above the map picks."""
    scripts = [leaflet_js(), map_js()]
    return {"css": Markup(leaflet_css()), "leaflet_js": Markup(scripts[0]), "map_js": Markup(scripts[1]),
            "data": Markup(json_for_script(data)), "script_hashes": [script_hash(s) for s in scripts],
            "notes": notes, "stops": stops, "runs": runs, "mode": mode, "pick": pick,
            "clock": bool(data.get("clock"))}


def map_context(run: ScenarioRun, lang: str, *, stops_h: Sequence[float] | None = None,
                clock_start_h: float | None = None) -> dict[str, Any]:
    """The run report's map (and the drill handbook's, on the exercise clock: :func:`map_data`)."""
    data = map_data(run, lang, stops_h=stops_h, clock_start_h=clock_start_h)
    return _context(data, data["notes"], len(data["stops_h"]), None)


def compare_map_context(runs: Sequence[ScenarioRun], labels: Sequence[str], lang: str) -> dict[str, Any]:
    """The compare report's map: one run at a time, picked from a list; roads and hazards equal to
    the first run's are sent once (``null``: the first run's)."""
    sets = []
    for lab, r in zip(labels, runs):
        d = map_data(r, lang)
        if sets:
            for key in ("roads", "hazards"):
                if d[key] == sets[0][key]:
                    d[key] = None
        sets.append({"label": lab, **d})
    notes = [[f"{s['label']}：{zh}", f"{s['label']}: {en}"] for s in sets for zh, en in s["notes"]]
    data = {"lang": lang, "scale": 10 ** DECIMALS, "runs": sets}
    return _context(data, notes, len(sets[0]["stops_h"]), [s["label"] for s in sets])


# ---------------------------------------------------------------------------------- township maps
#: the note every township map carries: where its areas come from
AREAS_NOTE = ["乡镇街道范围由其道路节点推算（各节点 Voronoi 单元的并集），仅为示意，并非官方行政边界。",
              ("Township areas are drawn from their road nodes (the union of the nodes' Voronoi cells): a sketch, "
               "not official boundaries.")]


def areas_map_context(net: RoadNetwork, lang: str, sets: Sequence[dict[str, Any]], *,
                      notes: Sequence[Sequence[str]] = (), pick: tuple[str, str] = PICK_PLAN) -> dict[str, Any]:
    """A map without a time slider (the batch and sizing reports): the district's roads, its
    townships coloured by the share of runs in which all their affected people were relieved in
    time (:func:`scenarios.reports.webmap_areas.township_outcomes`), and a plan's facilities.

    ``sets``: one per plan to pick from, each ``label``, ``facilities`` (features of
    :func:`plan_facility_layer`, may be empty) and ``townships`` (zone -> outcome, or None when
    there are no per-township figures: the areas are then drawn uncoloured), and optionally
    ``notes`` ([zh, en] pairs about that plan)."""
    areas = [_feature(f["geometry"], f["properties"]) for f in area_features(net)]
    runs = []
    for s in sets:
        towns = s.get("townships")
        runs.append({"label": str(s["label"]), "facilities": list(s.get("facilities") or []),
                     "townships": None if towns is None else {str(z): t for z, t in towns.items()},
                     "notes": [list(n) for n in s.get("notes") or ()]})
    all_notes = [AREAS_NOTE, *[list(n) for n in notes]]
    if len(runs) > 1:
        all_notes += [[f"{r['label']}：{zh}", f"{r['label']}: {en}"] for r in runs for zh, en in r["notes"]]
    else:
        all_notes += [list(n) for r in runs for n in r["notes"]]
    data = {"mode": "areas", "lang": lang, "scale": 10 ** DECIMALS,
            "bounds": _bounds(net),
            "roads": roads_layer(net), "areas": areas, "legend": band_legend(), "runs": runs}
    return _context(data, all_notes, 0, [r["label"] for r in runs] if len(runs) > 1 else None, mode="areas",
                    pick=pick)
