"""The controller's handbook: drill.html (self-contained) and drill.md, with a map per phase.

Each phase map shows the hazard as it stands at the end of the phase (the simulation's own
state), closed roads, affected people, and the places the phase's injects name, numbered by
inject id. Figures are embedded in the HTML as base64 PNG; the Markdown links PNG files
written next to it.
"""
from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from network.hazard import AffectedPeople, Hazard, HazardState
from network.map_furniture import declutter
from network.terrain import xy_of
from scenarios.core.naming import slug
from scenarios.reports.hazard_outputs import Frame, MapCanvas, colour_top, evaluate
from scenarios.reports.html import environment, strip_controls
from scenarios.reports.webfont import embed_cjk_font
from scenarios.reports.webmap import map_context, slider_hours
from sim.hazards.chemical.model import ChemicalRelease

from .catalogue import DELIVERY, OBJECTIVES, SOURCES, fmt_t
from .design import Drill, Inject, Msel, Phase
from .msel import CAPABILITY, evaluation_rows
from .twists import TWIST_NAMES


def entity_xy(drill: Drill) -> dict[str, tuple[float, float]]:
    """Projected (x, y) of every entity with a location (for map markers)."""
    spec = drill.district.spec
    crs = spec.district.crs

    def p(lonlat: Sequence[float]) -> tuple[float, float]:
        """Projected (x, y) of a (lon, lat)."""
        v = xy_of([lonlat], crs)[0]
        return float(v[0]), float(v[1])

    out: dict[str, tuple[float, float]] = {}
    for t in spec.townships:
        out[f"township:{t.id}"] = p(t.centre)
    for f in spec.facilities:
        out[f"facility:{f.id}"] = p(f.location)
        out[f"warehouse:{f.id}"] = p(f.location)
    for s in spec.shelters:
        out[f"shelter:{s.id}"] = p(s.location)
    for b in drill.plan.team_bases:
        for t in b.teams:
            out[f"team:{b.id}/{t.type}"] = p((b.lon, b.lat))
    for r in spec.roads:
        out[f"road:{slug(r.name_en)}"] = p(r.line[len(r.line) // 2])
    for d in spec.dikes:
        out[f"dike:{d.id}"] = p(d.line[len(d.line) // 2])
    if spec.river is not None:
        out[f"gauge:{slug(spec.river.gauge.name_en)}"] = p(spec.river.gauge.location)
    for f in spec.forests:
        poly = np.asarray(f.polygon)
        out[f"forest:{f.id or slug(f.name_en)}"] = p(poly.mean(axis=0).tolist())
    return out


def _frames(hazards: list[Hazard], times: np.ndarray) -> list[Frame]:
    """Map frames of the first hazard, with every hazard's road closures and affected people;
    a categorical field merges the fields of the hazards of the same kind (a second fire shows)."""
    main, others = hazards[0], hazards[1:]
    style = main.field_style
    out = []
    for fr in evaluate(main, times):
        t = fr.time_s
        states = [fr.state] + [h.state(t) for h in others]
        factor = np.minimum.reduce([s.edge_speed_factor for s in states])
        aff = [s.affected for s in states]
        merged = AffectedPeople(np.concatenate([a.node for a in aff]), np.concatenate([a.people for a in aff]),
                                np.concatenate([a.since_s for a in aff]), np.concatenate([a.severity for a in aff]))
        field = fr.field
        if field is not None and style is not None and style.classes:
            same = [h.map_field(s, t) for h, s in zip(others, states[1:]) if h.kind == main.kind]
            same = [f.values for f in same if f is not None and f.shape == field.shape]
            if same:
                field = field.like(np.maximum.reduce([field.values, *same]))
        out.append(Frame(t, HazardState(t, factor, fr.state.node_level, merged), field))
    return out


def _release_end(h: ChemicalRelease) -> float:
    """The end of a gas release."""
    return float(h.start_s + h.duration_s)


#: hazard kind -> the time its picture is best drawn by (it is gone soon after): each entry
#: takes the model of its own kind
_DRAW_BY: dict[str, Callable[[Any], float]] = {"chemical": _release_end}


def _map_time(hazard: Hazard | None, t0: float, t1: float) -> float:
    """When to draw a phase: its end; for a hazard that is gone soon after a moment (the plume
    after the release ends) that moment if it falls in the phase, else the phase's end (the
    map would show nothing)."""
    draw_by = _DRAW_BY.get(hazard.kind) if hazard is not None else None
    if draw_by is not None:
        peak = draw_by(hazard)
        if peak <= t1:
            return max(t0, peak) if peak >= t0 else t1
    return t1


def phase_maps(drill: Drill, lang: str = "zh") -> list[bytes]:
    """One PNG per phase: hazard state at the phase's end, plus the phase's inject places."""
    m = drill.msel
    main = drill.hazards[0] if drill.hazards else None
    end_s = drill.result.params["duration_h"] * 3600.0
    times = np.array([_map_time(main, m.start_s + ph.t0_s, min(m.start_s + ph.t1_s, end_s)) for ph in m.phases])
    frames = _frames(drill.hazards, times) if main is not None else []
    vmax = colour_top(main, frames) if frames else None
    xy = entity_xy(drill)
    title = m.title_zh if lang == "zh" else m.title_en
    canvas = MapCanvas(drill.district, main, lang, title)
    pngs = []
    for ph, frame in zip(m.phases, frames):
        canvas.draw(frame, vmax)
        ax = canvas.ax
        _mark_places(canvas, [i for i in m.injects if ph.t0_s <= i.t_s <= ph.t1_s and i.entities], xy)
        phase_name = ph.zh if lang == "zh" else ph.en
        at = "地图时刻" if lang == "zh" else "map at"
        ax.set_title(f"{title}\n{phase_name} · {fmt_t(ph.t0_s)} – {fmt_t(ph.t1_s)} · {at} {fmt_t(frame.time_s - m.start_s)}",
                     fontsize=12)
        buf = io.BytesIO()
        canvas.fig.savefig(buf, format="png", dpi=75, pil_kwargs={"compress_level": 4})
        pngs.append(buf.getvalue())
    return pngs


def map_stops_h(msel: Msel, run_end_h: float) -> list[float]:
    """The drill map's slider stops in simulation hours: the run's start when the exercise
    starts later (a stop before T+00:00), then the start and end of each phase and whole hours
    of exercise time between (T+01:00, T+02:00, ... at the run report's step), within the run."""
    start_h = msel.start_s / 3600.0
    stops = {round(start_h + t / 3600.0, 6) for ph in msel.phases for t in (ph.t0_s, ph.t1_s)}
    stops |= {round(start_h + h, 6) for h in slider_hours(max(msel.duration_s, 0.0) / 3600.0)}
    if start_h > 0:
        stops.add(0.0)
    return sorted(h for h in stops if 0.0 <= h <= run_end_h + 1e-9)


def _webmap(drill: Drill, lang: str) -> dict[str, Any] | None:
    """The interactive map of the run the injects report on (twists applied), as the run report
    draws it but on the exercise clock: its slider stops at the phases' start and end and reads
    in the handbook's T+HH:MM (T+00:00 at ``msel.start_s``); None without the scenario's run (a
    Drill built by hand)."""
    if drill.run is None:
        return None
    run = replace(drill.run, hazards=drill.hazards, result=drill.result)
    stops = map_stops_h(drill.msel, float(run.scenario.simulation.duration_h))
    return map_context(run, lang, stops_h=stops, clock_start_h=drill.msel.start_s / 3600.0)


def _mark_places(canvas: MapCanvas, injects: list[Inject], xy: dict[str, tuple[float, float]]) -> None:
    """A red ring at each place the injects name, labelled with their ids (the first three)."""
    pts: dict[tuple[float, float], list[str]] = {}
    for i in injects:
        for e in i.entities:
            if e in xy:
                pts.setdefault(xy[e], [])
                if i.id not in pts[xy[e]]:
                    pts[xy[e]].append(i.id)
    labels = []
    for (x, y), ids in pts.items():
        sc = canvas.ax.scatter([x / 1000.0], [y / 1000.0], s=90, marker="o", facecolors="none", edgecolors="#c0392b",
                               linewidths=2.0, zorder=12)
        label = ", ".join(ids[:3]) + (" …" if len(ids) > 3 else "")
        tx = canvas.ax.annotate(label, (x / 1000.0, y / 1000.0), xytext=(6, 6), textcoords="offset points", fontsize=8,
                                color="#7b241c", zorder=13,
                                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "#c0392b", "alpha": 0.85})
        canvas.overlay.extend([sc, tx])
        labels.append(tx)
    declutter(canvas.ax, labels)    # injects at places close together would otherwise pile their ids up


def _both(table: dict[str, tuple[str, str]], key: str) -> dict[str, str]:
    """``key``'s names from a ``key -> (zh, en)`` table as ``{"zh", "en"}`` (the key when unknown)."""
    zh, en = table.get(key, (key, key))
    return {"zh": zh, "en": en}


def _num(v: Any, fmt: str) -> str:
    """``v`` formatted, or a dash when it is missing or not finite."""
    return "—" if v is None or (isinstance(v, float) and not np.isfinite(v)) else fmt.format(v)


def _phase_rows(m: Msel, phase: Phase, names: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """The handbook's rows of the injects in ``phase``, with both languages."""
    rows = []
    for i in m.injects:
        if i.phase != phase.key:
            continue
        rows.append({"id": i.id, "time": fmt_t(i.t_s), "target": fmt_t(i.target_s), "kind": i.kind,
                     "inject": {"zh": i.inject_zh, "en": i.inject_en}, "source": _both(SOURCES, i.source),
                     "delivery": _both(DELIVERY, i.delivery), "recipient": _both(names, i.recipient),
                     "action": {"zh": i.action_zh, "en": i.action_en},
                     "basis": {"zh": i.target_basis_zh, "en": i.target_basis_en},
                     "objective": _both(OBJECTIVES, i.objective), "twist": i.twist,
                     "benchmark": {"zh": i.benchmark_zh, "en": i.benchmark_en},
                     "places": [_both(names, e) for e in i.entities]})
    return rows


def _kpi_rows(k: dict[str, Any]) -> list[dict[str, str]]:
    """The simulation benchmark: the run's indicators, formatted."""
    return [
        {"zh": "受灾人数", "en": "affected people", "v": _num(k.get("affected_people"), "{:,.0f}")},
        {"zh": "预警覆盖率", "en": "warning coverage", "v": _num(k.get("warning_coverage"), "{:.1%}")},
        {"zh": "10 小时内得到救助比例", "en": "relieved within 10 h", "v": _num(k.get("share_within_target"), "{:.1%}")},
        {"zh": "救助时间 P95", "en": "relief time P95", "v": _num(k.get("relief_p95_h"), "{:.1f} h")},
        {"zh": "森林火灾受害率", "en": "forest fire damage", "v": _num(k.get("forest_fire_damage_permille"), "{:.3f} ‰")},
        {"zh": "致死区暴露人数", "en": "people exposed in lethal zones", "v": _num(k.get("exposure_people"), "{:,.0f}")},
    ]


def _context(drill: Drill, names: dict[str, tuple[str, str]], maps: list[str]) -> dict[str, Any]:
    """What the handbook templates (HTML and Markdown) show, in both languages."""
    m = drill.msel
    phases = [{"zh": ph.zh, "en": ph.en, "t0": fmt_t(ph.t0_s), "t1": fmt_t(ph.t1_s), "rows": _phase_rows(m, ph, names),
               "map": maps[k] if k < len(maps) else None, "map_file": f"drill_phase{k + 1}.png"}
              for k, ph in enumerate(m.phases)]
    ev_zh, ev_en = evaluation_rows(m, "zh"), evaluation_rows(m, "en")
    return {
        "m": m, "duration": fmt_t(m.duration_s), "start_h": f"{m.start_s / 3600.0:.2f}",
        "objectives": [{"zh": OBJECTIVES[o][0], "en": OBJECTIVES[o][1],
                        "n": sum(1 for i in m.injects if i.objective == o and i.kind != "endex")} for o in m.objectives],
        "twists": [{"zh": t.zh, "en": t.en, "name": _both(TWIST_NAMES, t.kind),
                    "time": fmt_t(t.t_s - m.start_s), "physics": t.physics} for t in m.twists],
        "participants": [_both(names, p) for p in m.participants if p != "all"],
        "kpis": _kpi_rows(m.kpis), "phases": phases, "evaluation": [{"zh": a, "en": b} for a, b in zip(ev_zh, ev_en)],
        "capabilities": sorted({CAPABILITY[i.kind] for i in m.injects if i.kind in CAPABILITY}),
        "n_injects": len(m.injects),
    }


def write_handbook(drill: Drill, names: dict[str, tuple[str, str]], out_dir: str | Path, lang: str = "zh") -> list[Path]:
    """Write the controller's handbook into ``out_dir``: drill.html (self-contained, maps
    embedded), drill.md and the phase maps it links (drill_phaseN.png).

    Parameters
    ----------
    drill
        The drill (:func:`~.design.design_drill`).
    names
        Entity and recipient key -> ``(zh, en)``.
    out_dir
        An existing folder.
    lang
        "zh" or "en": the language of the maps and the one shown first.

    Returns
    -------
    list of Path
        The files written: the phase maps, drill.html, drill.md.
    """
    out_dir = Path(out_dir)
    pngs = phase_maps(drill, lang)
    files = []
    for k, png in enumerate(pngs, 1):
        p = out_dir / f"drill_phase{k}.png"
        p.write_bytes(png)
        files.append(p)
    uris = ["data:image/png;base64," + base64.b64encode(b).decode("ascii") for b in pngs]
    ctx = _context(drill, names, uris)
    ctx["webmap"] = _webmap(drill, lang)
    html = environment().get_template("drill.html.j2").render(lang=lang, **ctx)
    (out_dir / "drill.html").write_text(embed_cjk_font(html), encoding="utf-8")
    (out_dir / "drill.md").write_text(_markdown(ctx, lang), encoding="utf-8")
    return files + [out_dir / "drill.html", out_dir / "drill.md"]


def _md_text(text: Any) -> str:
    """User text (names from a district file) safe in Markdown: no raw HTML reaches a renderer."""
    return html.escape(strip_controls(str(text)), quote=False).replace("\n", " ")


def _md_cell(text: Any) -> str:
    """``text`` safe in a Markdown table cell."""
    return _md_text(text).replace("|", "\\|")


def _markdown(ctx: dict[str, Any], lang: str) -> str:
    """The handbook as Markdown (both languages; the chosen one first)."""
    m = ctx["m"]
    a, b = ("zh", "en") if lang == "zh" else ("en", "zh")

    def bi(d: dict[str, str]) -> str:
        """Both languages, the chosen one first (once when they are the same)."""
        return f"{_md_text(d[a])} / {_md_text(d[b])}" if d[a] != d[b] else _md_text(d[a])

    title = {"zh": m.title_zh, "en": m.title_en}
    scenario = _md_text(m.scenario).replace("`", "'")
    out = [f"# {bi(title)}", "",
           (f"- {bi({'zh': '情景', 'en': 'scenario'})}: `{scenario}` · {bi({'zh': '难度', 'en': 'difficulty'})}: "
            f"{m.difficulty} · {bi({'zh': '随机种子', 'en': 'seed'})}: {m.seed}"),
           (f"- {bi({'zh': '演练时长', 'en': 'exercise window'})}: T+00:00 – {ctx['duration']}"
            f" ({bi({'zh': '对应模拟时刻', 'en': 'simulation time at T+00:00'})}: {ctx['start_h']} h)"),
           f"- {bi({'zh': '注入条数', 'en': 'injects'})}: {ctx['n_injects']}", ""]
    out += [f"## {bi({'zh': '演练科目', 'en': 'Objectives'})}", ""]
    out += [f"- {bi(o)} ({o['n']})" for o in ctx["objectives"]] + [""]
    if ctx["twists"]:
        out += [f"## {bi({'zh': '导调突发变化', 'en': 'Twists'})}", ""]
        out += [f"- {t['time']} **{bi(t['name'])}**: {_md_text(t[a])}" + (" *(re-simulated)*" if t["physics"] else "") for t in ctx["twists"]]
        out += [""]
    out += [f"## {bi({'zh': '模拟基准', 'en': 'Simulation benchmark'})}", "", "| | |", "|---|---|"]
    out += [f"| {_md_cell(bi(k))} | {k['v']} |" for k in ctx["kpis"]] + [""]
    for k, ph in enumerate(ctx["phases"], 1):
        out += [f"## {k}. {bi(ph)} ({ph['t0']} – {ph['t1']})", "", f"![{_md_cell(ph[a])}]({ph['map_file']})", ""]
        out += [f"| time | id | {a}: inject | source | recipient | expected action | target | objective |",
                "|---|---|---|---|---|---|---|---|"]
        for r in ph["rows"]:
            out.append("| " + " | ".join(_md_cell(x) for x in (
                r["time"], r["id"] + (" ⚡" if r["twist"] else ""), r["inject"][a], r["source"][a], r["recipient"][a],
                r["action"][a], f"{r['target']} ({r['basis'][a]})", r["objective"][a])) + " |")
        out.append("")
    out += [f"## {bi({'zh': '评估清单', 'en': 'Evaluation checklist'})}", "",
            "| objective | core capability | critical task | injects | target |", "|---|---|---|---|---|"]
    for e in ctx["evaluation"]:
        r = e[a]
        out.append("| " + " | ".join(_md_cell(x) for x in (r["objective"], r["core_capability"], r["critical_task"],
                                                               r["injects"], r["performance_target"])) + " |")
    return "\n".join(out) + "\n"
