"""A manifest's ``[water]``: the river's centreline, its gauge (stage-frequency table and design
flood shape) and its dikes (lines with surveyed crest heights), turned into the district model's
river and dikes — the same parts the built-in model's flood runs on.

* **Course**: the lines of the rivers layer joined end to end (shapely's ``line_merge``); when
  they do not form one line, the longest is the modelled river (said in the notes). The course
  runs downstream: where the DEM rises along it, it is reversed.
* **Surface slope**: given, or fitted from the DEM along the course (least squares of the
  lowest ground within each kilometre against distance; a DEM's river cells record the water
  surface, not the bed).
* **Dikes**: ``crest_m`` is the crest's height above datum where the line stands; the model
  keeps crests as gauge-equivalent levels (:class:`network.district_spec.River`), so each is
  converted at the chainage of the line's midpoint.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .district_spec import Dike, Gauge, RatingSpec, ReservoirSpec, River
from .errors import InputError
from .geodata import read_layer
from .geometry import PolylineIndex
from .projection import to_projected
from .raster import Raster

#: a gauge farther than this from the river's course is refused (m)
GAUGE_MAX_OFF_COURSE_M = 1000.0
#: the DEM's lowest ground is taken per stretch of this length when fitting the slope (m)
SLOPE_WINDOW_M = 1000.0


class GaugeSection(BaseModel):
    """``[water.gauge]``: where, the warning stage and the stage-frequency table."""

    model_config = ConfigDict(extra="forbid")
    name: str = "gauge"
    name_zh: str | None = None
    name_en: str | None = None
    location: tuple[float, float]
    warning_stage_m: float
    stage_frequency: dict[float, float] = {}
    discharge_frequency: dict[float, float] = {}
    rating: RatingSpec | None = None
    reservoir: ReservoirSpec | None = None
    base_stage_m: float | None = None
    base_discharge_m3s: float = Field(400.0, ge=0)
    rise_h: float = Field(36.0, gt=0)
    recession_h: float = Field(34.0, gt=0)
    source: str = "estimate"


class WaterSection(BaseModel):
    """``[water]``: the river, its gauge and its dikes."""

    model_config = ConfigDict(extra="forbid")
    rivers: str
    name: str = "river"
    name_zh: str | None = None
    name_en: str | None = None
    channel_width_m: float = Field(gt=0, le=5000)
    surface_slope_m_per_km: float | None = Field(None, ge=0, le=5)
    gauge: GaugeSection
    dikes: str | None = None


@dataclass(frozen=True)
class Water:
    """The river and dikes of a manifest, ready for the district spec, and notes for readers."""

    river: River
    dikes: list[Dike]
    notes: list[str]


def read_water(section: WaterSection, rivers: Path, dikes: Path | None, dem: Raster, crs: str,
               manifest: str = "manifest") -> Water:
    """The district's river (course, channel, slope, gauge) and dikes from the manifest's files.

    Raises
    ------
    InputError
        Naming the file: no line features, a gauge off the course, a dike without a crest.
    """
    notes: list[str] = []
    lonlat = _course(rivers, notes)
    xy = np.column_stack(to_projected(lonlat[:, 0], lonlat[:, 1], crs))
    slope, reversed_, reach_m = _slope(xy, dem, section.channel_width_m)
    if reversed_:
        lonlat, xy = lonlat[::-1], xy[::-1]
    if section.surface_slope_m_per_km is not None:
        slope = section.surface_slope_m_per_km
    else:
        notes.append(f"water: surface slope {slope:.3f} m/km fitted from the DEM over {reach_m / 1000:.1f} km of river "
                     "(estimate: a DEM's heights are good to a metre or two, so over a short reach give "
                     "surface_slope_m_per_km from a survey or the gauges)")
    g = section.gauge
    gx, gy = to_projected(np.array([g.location[0]]), np.array([g.location[1]]), crs)
    index = PolylineIndex(xy)
    off, chain = index.query(gx, gy)
    if off[0] > GAUGE_MAX_OFF_COURSE_M:
        raise InputError(f"{manifest}: water.gauge.location: {off[0] / 1000:.1f} km from the river's course in {rivers} "
                         f"(at most {GAUGE_MAX_OFF_COURSE_M / 1000:g} km)")
    bed = float(np.nanmin(dem.sample(*_near(xy, index, float(chain[0]), section.channel_width_m))))
    base = g.base_stage_m if g.base_stage_m is not None else g.warning_stage_m - 1.0
    if g.base_stage_m is None and g.stage_frequency:
        notes.append(f"water: the design floods rise from {base:g} m, 1 m below the warning stage (estimate)")
    try:
        gauge = Gauge(name_zh=g.name_zh or g.name, name_en=g.name_en or g.name, location=g.location,
                      warning_stage_m=g.warning_stage_m, stage_frequency=g.stage_frequency,
                      discharge_frequency=g.discharge_frequency, rating=g.rating, reservoir=g.reservoir,
                      base_stage_m=base, base_discharge_m3s=g.base_discharge_m3s, rise_h=g.rise_h,
                      recession_h=g.recession_h, source=g.source)
    except ValidationError as exc:
        raise InputError(f"{manifest}: water.gauge: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None
    river = River(name_zh=section.name_zh or section.name, name_en=section.name_en or section.name,
                  course=[tuple(p) for p in lonlat.tolist()], channel_width_m=section.channel_width_m,
                  bed_elevation_at_gauge_m=bed, surface_slope_m_per_km=slope, gauge=gauge)
    out = [] if dikes is None else _dikes(dikes, index, float(chain[0]), slope, crs)
    return Water(river, out, notes)


def _course(path: Path, notes: list[str]) -> np.ndarray:
    """The river's course as (n, 2) lon/lat: the layer's lines joined, the longest part kept."""
    layer = read_layer(path, what="rivers", crs="EPSG:4326")
    lines = [g for g in layer.geometry if g is not None and g.geom_type in ("LineString", "MultiLineString")]
    if not lines:
        raise InputError(f"{path}: the rivers layer has no line features")
    merged = shapely.line_merge(shapely.union_all(lines))
    parts = list(merged.geoms) if hasattr(merged, "geoms") else [merged]
    if len(parts) > 1:
        lengths = [p.length for p in parts]
        notes.append(f"water: the rivers layer's lines form {len(parts)} separate courses; the longest is modelled")
        merged = parts[int(np.argmax(lengths))]
    return np.asarray(merged.coords, float)[:, :2]


def _slope(xy: np.ndarray, dem: Raster, width_m: float) -> tuple[float, bool, float]:
    """Fitted surface slope (m/km, ≥ 0), whether the course runs uphill as drawn, and the
    length of river the DEM covers (m).

    At each point of the course (a cell apart) the lowest ground across the channel's width is
    taken — a drawn centreline wanders off the DEM's lowest cells — then the lowest of those per
    :data:`SLOPE_WINDOW_M` stretch, and a straight line is fitted through them against distance.
    """
    index = PolylineIndex(xy, step=float(dem.cellsize))
    pts, s = index.points, index.chainage
    tangent = np.gradient(pts, axis=0)
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    normal /= np.maximum(np.hypot(normal[:, 0], normal[:, 1]), 1e-9)[:, None]
    offsets = np.linspace(-width_m / 2.0, width_m / 2.0, max(3, int(width_m / dem.cellsize) * 2 + 1))
    across = pts[:, None, :] + offsets[None, :, None] * normal[:, None, :]
    z = dem.sample(across[..., 0], across[..., 1])
    z = np.where(np.isfinite(z), z, np.inf).min(axis=1)
    ok = np.isfinite(z)
    if ok.sum() < 2:
        raise InputError("water: the DEM does not cover the river's course")
    bins = np.floor(s[ok] / SLOPE_WINDOW_M).astype(int)
    lows = np.array([(s[ok][bins == b].mean(), z[ok][bins == b].min()) for b in np.unique(bins)])
    if len(lows) < 3:
        lows = np.column_stack([s[ok], z[ok]])
    b = float(np.polyfit(lows[:, 0], lows[:, 1], 1)[0])
    return abs(b) * 1000.0, b > 0, float(s[ok].max() - s[ok].min())


def _near(xy: np.ndarray, index: PolylineIndex, chain: float, width_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Points of the course within a channel width of a chainage (where the bed is looked for)."""
    k = np.abs(index.chainage - chain) <= max(width_m, 50.0)
    return index.points[k, 0], index.points[k, 1]


def _dikes(path: Path, river: PolylineIndex, gauge_chainage: float, slope_m_per_km: float, crs: str) -> list[Dike]:
    """Dikes from a line layer: ``id``, ``name``, ``crest_m`` (above datum), ``standard_years``."""
    layer = read_layer(path, what="dikes", crs="EPSG:4326")
    f = layer.fields
    for need in ("id", "crest_m"):
        if need not in f:
            raise InputError(f"{path}: dikes need a {need!r} field (fields there: {sorted(f)})")
    out = []
    for i, geom in enumerate(layer.geometry):
        fid = str(f["id"][i])
        where = f"{path}: feature {i} ({fid})"
        if geom is None or geom.geom_type != "LineString":
            raise InputError(f"{where}: a dike is one line")
        try:
            crest = float(f["crest_m"][i])
        except (TypeError, ValueError):
            raise InputError(f"{where}: crest_m: expected a number, found {f['crest_m'][i]!r}") from None
        if not np.isfinite(crest):
            raise InputError(f"{where}: crest_m: expected a number, found {f['crest_m'][i]!r}")
        ll = np.asarray(geom.coords, float)[:, :2]
        mid = shapely.LineString(np.column_stack(to_projected(ll[:, 0], ll[:, 1], crs))).interpolate(0.5, normalized=True)
        _, s = river.query(np.array([mid.x]), np.array([mid.y]))       # the midpoint in metres, not degrees
        name = str(f["name"][i]) if "name" in f and f["name"][i] else fid
        years = _optional(f, "standard_years", i)
        out.append(Dike(id=fid, name_zh=name, name_en=name, line=[tuple(p) for p in ll.tolist()],
                        crest_m=crest - slope_m_per_km / 1000.0 * (gauge_chainage - float(s[0])),
                        standard_years=years if years and years > 1 else None,
                        freeboard_m=_optional(f, "freeboard_m", i)))
    return out


def _optional(fields: dict[str, np.ndarray], name: str, i: int) -> float | None:
    if name not in fields or fields[name][i] is None:
        return None
    try:
        v = float(fields[name][i])
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def channel_mask(river: River, like: Raster) -> np.ndarray:
    """Cells within half the channel width of the river's course (at least the cells it crosses)."""
    xy = np.column_stack(to_projected(*np.asarray(river.course, float).T, like.crs))
    index = PolylineIndex(xy, step=float(like.cellsize) / 2.0)
    xc, yc = like.cell_centres()
    d, _ = index.query(*np.meshgrid(xc, yc))
    return d <= max(river.channel_width_m / 2.0, like.cellsize * 0.75)

