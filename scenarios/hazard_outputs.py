"""Maps, an animation, a GeoJSON footprint and a summary for one hazard on a district.

Used by ``yingji hazard flood|fire|chemical``. The base map is drawn once; each time step only
redraws the hazard overlay (field, closed roads, affected people), which keeps the animated GIF
cheap to make.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from network.district import District
from network.errors import InputError
from network.raster import Raster, mask_polygons
from sim.hazards.base import AFFECTED, LETHAL, HazardState

from .staging import staged_dir

_LABELS = {
    "zh": {
        "flood": "洪水淹没水深 (m)", "fire": "林火", "chemical": "地面浓度 (ppm)",
        "closed": "道路中断", "affected": "受影响人员", "t": "时间", "h": "小时", "min": "分钟",
        "burning": "燃烧中", "burned": "已过火",
    },
    "en": {
        "flood": "flood depth (m)", "fire": "forest fire", "chemical": "ground concentration (ppm)",
        "closed": "road closed", "affected": "people affected", "t": "time", "h": "h", "min": "min",
        "burning": "burning", "burned": "burned",
    },
}


@dataclass(frozen=True)
class Frame:
    time_s: float
    state: HazardState
    field: Raster | None


def _field(kind: str, hazard, state: HazardState, t: float) -> Raster | None:
    if kind == "flood":
        return state.fields.get("depth")
    if kind == "fire":
        return state.fields.get("state")
    return hazard.concentration_raster(t, cellsize_m=40.0, half_size_m=6000.0)


def evaluate(kind: str, hazard, times_s: np.ndarray) -> list[Frame]:
    """The hazard's state and map field at each time."""
    frames = []
    for t in times_s:
        s = hazard.state(float(t))
        frames.append(Frame(float(t), s, _field(kind, hazard, s, float(t))))
    return frames


def _people(state: HazardState, severity: int) -> float:
    a = state.affected
    return float(a.people[a.severity >= severity].sum())


def summarise(kind: str, hazard, district: District, frames: list[Frame]) -> dict[str, Any]:
    """Peak affected people, roads closed, and the hazard's own indicators."""
    net = district.network
    closed = [f.state.edge_speed_factor == 0 for f in frames]
    closed_km = [float(net.length[c].sum()) / 2000.0 for c in closed]  # two-way roads counted once
    series = [
        {
            "time_h": round(f.time_s / 3600.0, 3),
            "people_affected": round(_people(f.state, AFFECTED)),
            "people_threatened_or_worse": round(f.state.affected.total),
            "people_in_lethal_zone": round(_people(f.state, LETHAL)),
            "roads_closed_km": round(km, 2),
        }
        for f, km in zip(frames, closed_km)
    ]
    last = frames[-1].state.affected
    out: dict[str, Any] = {
        "hazard": kind,
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
    if kind == "flood":
        stages = [float(hazard.stage(f.time_s)) for f in frames]
        out["peak_stage_m"] = round(max(stages), 3)
        out["warning_stage_m"] = district.spec.river.gauge.warning_stage_m
    elif kind == "fire":
        s = hazard.summary(frames[-1].time_s)
        out.update({k: s[k] for k in ("burned_ha", "burned_forest_ha", "forest_ha", "damage_rate_permille", "grade", "grade_zh")})
        out["damage_rate_target_permille"] = 0.9
    else:
        out["chemical"] = hazard.chemical.name_en
        out["chemical_zh"] = hazard.chemical.name_zh
        out["stability"] = hazard.stability
        out["model_warnings"] = list(hazard.warnings)
    return out


def _time_label(t: float, lang: str) -> str:
    lab = _LABELS[lang]
    if t < 3 * 3600:
        return f"{lab['t']} T+{t / 60:.0f} {lab['min']}"
    return f"{lab['t']} T+{t / 3600:.1f} {lab['h']}"


class _MapCanvas:
    """A district base map with a replaceable hazard overlay."""

    def __init__(self, district: District, kind: str, lang: str, title: str):
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        from network.basemap import draw_district
        from network.fonts import use_cjk_font

        use_cjk_font()
        self.plt = plt
        self.kind, self.lang, self.district = kind, lang, district
        self.fig, self.ax = plt.subplots(figsize=(9, 9.5), constrained_layout=True)
        draw_district(self.ax, district, lang=lang)
        self.title = title
        self.overlay: list = []
        self.colorbar = None
        self.ax.set_aspect("equal")

    def draw(self, frame: Frame, vmax: float | None) -> None:
        from matplotlib.collections import LineCollection
        from matplotlib.colors import ListedColormap

        for artist in self.overlay:
            artist.remove()
        self.overlay = []
        ax, lab, net = self.ax, _LABELS[self.lang], self.district.network
        f = frame.field
        if f is not None:
            ext = [v / 1000.0 for v in f.extent]
            if self.kind == "fire":
                vals = np.where(f.values >= 2, f.values, np.nan)  # 2 burning, 3 burned
                im = ax.imshow(vals, origin="lower", extent=ext, cmap=ListedColormap(["#ff5500", "#3b3b3b"]),
                               vmin=1.5, vmax=3.5, zorder=8, alpha=0.85, interpolation="nearest")
            else:
                vals = np.where(f.values > (0.01 if self.kind == "flood" else 1e-3), f.values, np.nan)
                cmap = "Blues" if self.kind == "flood" else "YlOrRd"
                norm = None
                if self.kind == "chemical":
                    from matplotlib.colors import LogNorm

                    norm = LogNorm(vmin=max(1e-2, (vmax or 1.0) * 1e-4), vmax=max(vmax or 1.0, 1e-1))
                    im = ax.imshow(vals, origin="lower", extent=ext, cmap=cmap, norm=norm, zorder=8, alpha=0.8)
                else:
                    im = ax.imshow(vals, origin="lower", extent=ext, cmap=cmap, vmin=0, vmax=vmax or 1.0,
                                   zorder=8, alpha=0.8)
                if self.colorbar is None:
                    self.colorbar = self.fig.colorbar(im, ax=ax, shrink=0.6, label=lab[self.kind])
            self.overlay.append(im)
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
        self.fig.savefig(path, dpi=110)

    def close(self) -> None:
        self.plt.close(self.fig)


def _vmax(kind: str, frames: list[Frame]) -> float | None:
    if kind == "fire":
        return None
    peaks = [float(np.nanmax(f.field.values)) for f in frames if f.field is not None and np.isfinite(f.field.values).any()]
    if not peaks:
        return None
    # river-channel depths would wash out the floodplain's colours: cap the scale at 5 m
    return min(max(peaks), 5.0) if kind == "flood" else max(peaks)


def footprint(kind: str, hazard, district: District, frames: list[Frame], path: Path) -> Path:
    """GeoJSON of the footprint that QGIS opens: inundation, burned area or threat zones."""
    if kind == "flood":
        from sim.hazards.flood import footprint_geojson

        depth = np.nanmax(np.stack([f.field.values for f in frames if f.field is not None]), axis=0)
        footprint_geojson(frames[0].field.like(depth), path, name="maximum flood depth")
        return path
    if kind == "chemical":
        return hazard.write_geojson(path)
    import shapely
    from shapely.geometry import mapping

    from network.projection import to_lonlat

    state = frames[-1].field
    features = []
    crs = district.spec.district.crs
    for code, label_en, label_zh in ((3, "burned", "已过火"), (2, "burning", "燃烧中")):
        mask = state.values == code
        if not mask.any():
            continue
        geom = mask_polygons(mask, state)
        area_ha = float(geom.area) / 1e4

        def lonlat(c: np.ndarray) -> np.ndarray:
            lon, lat = to_lonlat(c[:, 0], c[:, 1], crs)
            return np.round(np.column_stack([lon, lat]), 7)

        geom = shapely.orient_polygons(shapely.transform(geom, lonlat))
        features.append({"type": "Feature", "geometry": mapping(geom),
                         "properties": {"state": label_en, "state_zh": label_zh, "area_ha": round(area_ha, 2),
                                        "time_h": round(frames[-1].time_s / 3600.0, 3)}})
    path.write_text(json.dumps({"type": "FeatureCollection", "name": "forest fire footprint", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


def write_outputs(
    kind: str, hazard, district: District, times_s: np.ndarray, map_times_s: np.ndarray, out_dir: Path,
    *, lang: str = "zh", title: str = "", gif: bool = True,
) -> dict[str, Any]:
    """Evaluate the hazard and write maps (PNG), ``evolution.gif``, ``footprint.geojson`` and ``summary.json``."""
    if lang not in _LABELS:
        raise InputError(f"--lang must be 'zh' or 'en', found {lang!r}")
    times_s = np.round(np.asarray(times_s, float), 3)
    map_times_s = np.round(np.asarray(map_times_s, float), 3)
    all_times = np.unique(np.concatenate([times_s, map_times_s]))
    frames = evaluate(kind, hazard, all_times)
    by_time = {f.time_s: f for f in frames}
    summary = summarise(kind, hazard, district, frames)
    written = []
    vmax = _vmax(kind, frames)
    canvas = _MapCanvas(district, kind, lang, title)
    with staged_dir(out_dir) as scratch:  # a failure leaves nothing half-written in out_dir
        try:
            for t in map_times_s:
                canvas.draw(by_time[float(t)], vmax)
                minutes = int(round(t / 60.0))
                path = scratch / f"map_T+{minutes // 60:02d}h{minutes % 60:02d}.png"
                canvas.save(path)
                written.append(path.name)
            if gif:
                from matplotlib.animation import PillowWriter

                writer = PillowWriter(fps=4)
                gif_path = scratch / "evolution.gif"
                with writer.saving(canvas.fig, str(gif_path), dpi=60):
                    for t in times_s:
                        canvas.draw(by_time[float(t)], vmax)
                        writer.grab_frame()
                written.append(gif_path.name)
            footprint(kind, hazard, district, frames, scratch / "footprint.geojson")
        finally:
            canvas.close()
        written.append("footprint.geojson")
        summary["files"] = written + ["summary.json"]
        (scratch / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return summary
