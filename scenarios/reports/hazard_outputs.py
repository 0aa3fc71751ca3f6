"""Maps, an animation, a GeoJSON footprint and a summary for one hazard on a district.

Used by ``yingji hazard flood|fire|chemical``. The base map is drawn once; each time step only
redraws the hazard overlay (field, closed roads, affected people), which keeps the animated GIF
cheap to make.
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.animation import PillowWriter
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from network.basemap import draw_district
from network.map_furniture import finish_map
from network.checks import language
from network.district import District
from network.fonts import use_cjk_font
from network.hazard import (
    AFFECTED,
    LETHAL,
    FieldStyle,
    Hazard,
    HazardModelWarning,
    HazardState,
)
from network.geodata import write_geotiff
from network.raster import Raster, write_asc
from scenarios.core.spec import Targets
from sim.hazards.flood.impact import flood_impact, gauge_context
from sim.hazards.flood.model import RiverFlood

from .figures import add_colorbar, draw_field, wind_arrow
from .staging import staged_dir

_LABELS = {
    "zh": {"closed": "道路中断", "affected": "受影响人员", "t": "时间", "h": "小时", "min": "分钟"},
    "en": {"closed": "road closed", "affected": "people affected", "t": "time", "h": "h", "min": "min"},
}



@dataclass(frozen=True)
class Frame:
    """A hazard at one time: its state and the raster its map shows."""

    time_s: float
    state: HazardState
    field: Raster | None


def evaluate(hazard: Hazard, times_s: np.ndarray) -> list[Frame]:
    """The hazard's state and map field at each time."""
    frames = []
    for t in times_s:
        s = hazard.state(float(t))
        frames.append(Frame(float(t), s, hazard.map_field(s, float(t))))
    return frames


def summarise(hazard: Hazard, district: District, frames: list[Frame]) -> dict[str, Any]:
    """Peak affected people, roads closed, and the hazard's own indicators (with the plan's
    target where one applies)."""
    net = district.network
    closed = [f.state.edge_speed_factor == 0 for f in frames]
    closed_km = [float(net.length[c].sum()) / 2000.0 for c in closed]  # two-way roads counted once
    series = [
        {
            "time_h": round(f.time_s / 3600.0, 3),
            "people_affected": round(f.state.affected.people_at_least(AFFECTED)),
            "people_threatened_or_worse": round(f.state.affected.total),
            "people_in_lethal_zone": round(f.state.affected.people_at_least(LETHAL)),
            "roads_closed_km": round(km, 2),
        }
        for f, km in zip(frames, closed_km)
    ]
    last = frames[-1].state.affected
    out: dict[str, Any] = {
        "hazard": hazard.kind,
        "district": district.spec.district.name_en,
        "illustrative": True,
        "times_h": [s["time_h"] for s in series],
        "people_affected_peak": max(s["people_affected"] for s in series),
        "people_threatened_or_worse_peak": max(s["people_threatened_or_worse"] for s in series),
        "exposure_people_lethal_zone": max(s["people_in_lethal_zone"] for s in series),
        "roads_closed_km_peak": max(closed_km),
        "roads_closed_edges_peak": int(max(c.sum() for c in closed)),
        "nodes_affected_total": int((last.severity >= AFFECTED).sum()),
        "series": series,
    }
    indicators = hazard.indicators([f.time_s for f in frames])
    out.update(indicators)
    if "damage_rate_permille" in indicators:
        out["damage_rate_target_permille"] = Targets().forest_fire_damage_permille
    if isinstance(hazard, RiverFlood):
        out.update(flood_impact(hazard, district, [f.time_s for f in frames]).as_dict())
        out["exposed_note"] = "every resident of a flooded node (no evacuation)"
        out["gauge"] = gauge_context(district, out["peak_stage_m"])
    return out


def _time_label(t: float, lang: str) -> str:
    lab = _LABELS[lang]
    if t < 3 * 3600:
        return f"{lab['t']} T+{t / 60:.0f} {lab['min']}"
    return f"{lab['t']} T+{t / 3600:.1f} {lab['h']}"


class MapCanvas:
    """A district base map with a replaceable hazard overlay (drawn once, redrawn per frame)."""

    def __init__(self, district: District, hazard: Hazard | None, lang: str, title: str):
        use_cjk_font()
        self.hazard, self.lang, self.district = hazard, lang, district
        self.fig = Figure(figsize=(9, 9.5), layout="constrained")
        self.ax = self.fig.add_subplot()
        draw_district(self.ax, district, lang=lang)
        self.title = title
        self.overlay: list = []
        self.colorbar = None
        self.ax.legend(loc="lower right", fontsize=7.5, framealpha=0.85, ncol=2)   # the base map's symbols
        finish_map(self.ax, district.network.crs, lang=lang)

    def draw(self, frame: Frame, vmax: float | None) -> None:
        """Replace the overlay with ``frame``: its field, closed roads and affected people."""
        for artist in self.overlay:
            artist.remove()
        self.overlay = []
        ax, lab, net = self.ax, _LABELS[self.lang], self.district.network
        style = self.hazard.field_style if self.hazard is not None else None
        if frame.field is not None and style is not None:
            im = draw_field(ax, frame.field, style, vmax=vmax, alpha=0.85 if style.classes else 0.8)
            if self.colorbar is None and not style.classes:
                self.colorbar = add_colorbar(self.fig, im, ax, style.label(self.lang), shrink=0.6)
            self.overlay.append(im)
        self.overlay += wind_arrow(ax, self.hazard, frame.time_s, self.lang)
        closed = frame.state.edge_speed_factor == 0
        if closed.any():
            s, t = net.edge_source[closed], net.indices[closed]
            segs = np.stack([np.column_stack([net.x[s], net.y[s]]), np.column_stack([net.x[t], net.y[t]])], axis=1) / 1000.0
            lc = LineCollection(segs, colors="#e60000", linewidths=1.6, zorder=9)
            ax.add_collection(lc)
            self.overlay.append(lc)
        a = frame.state.affected
        hit = a.severity >= AFFECTED
        if hit.any():
            sc = ax.scatter(net.x[a.node[hit]] / 1000.0, net.y[a.node[hit]] / 1000.0, s=4 + 2 * np.sqrt(a.people[hit]),
                            c="#7d3c98", alpha=0.6, zorder=9, linewidths=0)
            self.overlay.append(sc)
        people = float(a.people[hit].sum())
        closed_km = float(net.length[closed].sum()) / 2000.0
        self.ax.set_title(
            f"{self.title}\n{_time_label(frame.time_s, self.lang)} · {lab['affected']} {people:,.0f} · "
            f"{lab['closed']} {closed_km:,.1f} km",
            fontsize=12,
        )

    def save(self, path: Path) -> None:
        """The canvas as a PNG."""
        self.fig.savefig(path, dpi=110)


def colour_top(hazard: Hazard, frames: list[Frame]) -> float | None:
    """The top of a continuous colour scale over all frames (None for categories or no field)."""
    style = hazard.field_style
    if style is None or style.classes:
        return None
    peaks = [float(np.nanmax(f.field.values)) for f in frames if f.field is not None and np.isfinite(f.field.values).any()]
    return max(peaks) if peaks else None


def write_outputs(
    hazard: Hazard, district: District, times_s: np.ndarray, map_times_s: np.ndarray, out_dir: Path,
    *, lang: str = "zh", title: str = "", gif: bool = True,
) -> dict[str, Any]:
    """Evaluate the hazard and write maps (PNG), ``evolution.gif``, ``footprint.geojson``, the
    footprint's peak field as ``footprint_field.tif`` (when it has one) and ``summary.json``."""
    lang = language(lang)
    times_s = np.round(np.asarray(times_s, float), 3)
    map_times_s = np.round(np.asarray(map_times_s, float), 3)
    all_times = np.unique(np.concatenate([times_s, map_times_s]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HazardModelWarning)  # recorded in the summary's model notes
        frames = evaluate(hazard, all_times)
        fp = hazard.footprint(all_times)
        footprint, peak_field = fp.to_geojson(), fp.field
    by_time = {f.time_s: f for f in frames}
    summary = summarise(hazard, district, frames)
    written = []
    vmax = colour_top(hazard, frames)
    canvas = MapCanvas(district, hazard, lang, title)
    with staged_dir(out_dir) as scratch:  # a failure leaves nothing half-written in out_dir
        for t in map_times_s:
            canvas.draw(by_time[float(t)], vmax)
            minutes = int(round(t / 60.0))
            path = scratch / f"map_T+{minutes // 60:02d}h{minutes % 60:02d}.png"
            canvas.save(path)
            written.append(path.name)
        if gif:
            writer = PillowWriter(fps=4)
            gif_path = scratch / "evolution.gif"
            with writer.saving(canvas.fig, str(gif_path), dpi=60):
                for t in times_s:
                    canvas.draw(by_time[float(t)], vmax)
                    writer.grab_frame()
            written.append(gif_path.name)
        if isinstance(hazard, RiverFlood):
            written += write_flood_maps(hazard, district, times_s, scratch, lang=lang, title=title)
        (scratch / "footprint.geojson").write_text(json.dumps(footprint, ensure_ascii=False), encoding="utf-8")
        written.append("footprint.geojson")
        if peak_field is not None and peak_field.crs is not None:  # the peak field as a GeoTIFF with its CRS
            write_geotiff(peak_field, scratch / "footprint_field.tif")
            written.append("footprint_field.tif")
        summary["files"] = written + ["summary.json"]
        (scratch / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return summary


#: the planner's flood maps: file stem, style, colour-scale top
_FLOOD_MAPS = (
    ("max_depth", FieldStyle("最大淹没水深 (m)", "maximum flood depth (m)", cmap="Blues", threshold=0.01, cap=5.0,
                             bands=(0.5, 1.5, 3.0))),
    ("arrival_h", FieldStyle("洪水到达时间 (h, 水深 ≥ 0.15 m)", "flood arrival (h, depth ≥ 0.15 m)", cmap="viridis_r",
                             threshold=-1e9)),
    ("duration_h", FieldStyle("淹没历时 (h, 水深 ≥ 0.15 m)", "time flooded (h, depth ≥ 0.15 m)", cmap="magma_r",
                              threshold=0.0)),
)


def write_flood_maps(flood: RiverFlood, district: District, times_s: np.ndarray, out_dir: Path, *,
                     lang: str = "zh", title: str = "") -> list[str]:
    """Maps of the maximum depth, the arrival time and the duration of flooding over the run
    (PNG, on the district base map) and the same rasters as ESRI ASCII grids and as GeoTIFFs
    with their CRS (both open in QGIS).

    Returns
    -------
    list of str
        The file names written into ``out_dir``.
    """
    use_cjk_font()
    maps = flood.flood_maps(times_s)
    names = []
    for key, style in _FLOOD_MAPS:
        fig = Figure(figsize=(9, 9.5), layout="constrained")
        ax = fig.add_subplot()
        draw_district(ax, district, lang=lang)
        im = draw_field(ax, maps[key], style, alpha=0.85)
        add_colorbar(fig, im, ax, style.label(lang), shrink=0.6)
        ax.legend(loc="lower right", fontsize=7.5, framealpha=0.85, ncol=2)
        finish_map(ax, district.network.crs, lang=lang)
        ax.set_title(f"{title}\n{style.label(lang)}", fontsize=12)
        fig.savefig(out_dir / f"flood_{key}.png", dpi=110)
        write_asc(maps[key], out_dir / f"flood_{key}.asc")
        write_geotiff(maps[key], out_dir / f"flood_{key}.tif")
        names += [f"flood_{key}.png", f"flood_{key}.asc", f"flood_{key}.tif"]
    return names
