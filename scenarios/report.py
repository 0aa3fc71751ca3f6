"""Self-contained HTML reports of a scenario run and of a comparison of runs.

One HTML file each, made from jinja2 templates with autoescaping on: every text that comes from
a scenario file (its name, titles, description, plan names) is escaped, and a Content Security
Policy forbids scripts and any network access. Figures are embedded as base64 PNG data URIs
(the PNG and SVG files are written beside the report too), so the report opens offline,
prints on A4 and can be mailed as one file. ``lang`` picks the primary language; the other
one is shown beside it.
"""
from __future__ import annotations

import base64
import math
import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from network.errors import InputError

from . import figures as F
from .webfont import embed_cjk_font

_LANGS = ("zh", "en")
_OTHER = {"zh": "en", "en": "zh"}
_TARGET = re.compile(r"^\s*(>=|<=|<|>|==)\s*([-+0-9.eE]+)\s*$")
_OP_SIGN = {">=": "≥", "<=": "≤", "<": "<", ">": ">", "==": "="}

TEAM_TYPE_NAMES = {
    "general": ("综合救援", "general rescue"), "flood": ("防汛抢险", "flood control"),
    "water_rescue": ("水上救援", "water rescue"), "forest_fire": ("森林消防", "forest fire"),
    "hazmat": ("危化品处置", "hazmat"), "medical": ("医疗救护", "medical"), "engineering": ("工程抢险", "engineering"),
}
STOCK_NAMES = {
    "water_l": ("饮用水 (L)", "water (L)"), "food_rations": ("食品 (份)", "food rations"),
    "bedding_sets": ("被褥 (套)", "bedding sets"), "tents": ("帐篷 (顶)", "tents"),
}
_FIGURES = (  # stem, caption zh, caption en
    ("map", "灾害范围（峰值）、预案设施、物资配送路线与未获救助人员",
     "Hazard footprint at its peak, the plan's facilities, supply routes and people not relieved"),
    ("relief_time", "受灾人员获得基本生活救助的时间分布（虚线：目标时限；阴影柱：模拟结束时仍未获救助）",
     "Time to basic relief of the affected people (dashed: the target; hatched bar: not relieved by the end)"),
    ("timeline", "受灾、已转移、已安置与已获救助人数随时间变化",
     "People affected, evacuated, sheltered and relieved over time"),
    ("teams_gantt", "救援队伍任务甘特图", "Team activity (Gantt chart)"),
)
_COMPARE_FIGURES = (
    ("relief_compare", "基本生活救助时间分布对比（阴影柱：未获救助）",
     "Time to basic relief, overlaid (hatched bars: not relieved)"),
    ("maps", "各方案地图对比", "Maps side by side"),
)


def _check_lang(lang: str) -> str:
    if lang not in _LANGS:
        raise InputError(f"--lang must be 'zh' or 'en', found {lang!r}")
    return lang


# ---------------------------------------------------------------------------------- numbers
def _num(v: Any) -> float | None:
    """A finite float, or None (missing, NaN or infinite)."""
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def format_value(value: Any, unit: str) -> str:
    """An indicator value for people: shares as percentages, people as whole numbers."""
    v = _num(value)
    if v is None:
        return "—"
    if unit == "share":
        return f"{v * 100:.1f} %"
    if unit == "people":
        return f"{v:,.0f}"
    if unit == "h":
        return f"{v:.1f} h"
    if unit == "‰":
        return f"{v:.3f} ‰"
    return f"{v:g} {unit}".strip()


def format_diff(diff: float | None, unit: str) -> str:
    """A signed difference; shares in percentage points."""
    if diff is None:
        return "—"
    if unit == "share":
        return f"{diff * 100:+.1f} pp"
    if unit == "people":
        return f"{diff:+,.0f}"
    if unit == "h":
        return f"{diff:+.1f} h"
    if unit == "‰":
        return f"{diff:+.3f} ‰"
    return f"{diff:+g} {unit}".strip()


def format_target(target: Any, unit: str) -> str:
    """``">= 0.9"`` with unit "share" → ``"≥ 90.0 %"``; anything unparsable is shown as it is."""
    m = _TARGET.match(str(target))
    if not m:
        return str(target)
    return f"{_OP_SIGN[m.group(1)]} {format_value(float(m.group(2)), unit)}"


# ---------------------------------------------------------------------------------- tables
def run_labels(runs: Sequence[Any]) -> list[str]:
    """A unique label per run (``name [plan]``; repeats get ``#2``, ``#3``)."""
    labels, seen = [], {}
    for r in runs:
        base = getattr(r, "label", None) or f"{r.name} [{r.plan_label}]"
        seen[base] = seen.get(base, 0) + 1
        labels.append(base if seen[base] == 1 else f"{base} #{seen[base]}")
    return labels


def compare_table(runs: Sequence[Any]) -> list[dict[str, Any]]:
    """Indicators side by side: one row per indicator with each run's value, target and
    pass/fail, and each later run's difference from the first (None where either is missing).

    Row keys: indicator, zh, en, unit, target (the first run's), targets, values, diff, pass,
    notes — the per-run ones are dicts keyed by :func:`run_labels`.
    """
    if not runs:
        raise InputError("compare: no runs given")
    labels = run_labels(runs)
    order: list[str] = []
    by_run: list[dict[str, dict]] = []
    for r in runs:
        rows = {row["indicator"]: row for row in r.kpis}
        by_run.append(rows)
        order += [k for k in rows if k not in order]
    first_label = labels[0]
    table = []
    for key in order:
        meta = next(rows[key] for rows in by_run if key in rows)
        values = {lab: (_num(rows[key]["value"]) if key in rows else None) for lab, rows in zip(labels, by_run)}
        base = values[first_label]
        table.append({
            "indicator": key, "zh": meta["zh"], "en": meta["en"], "unit": meta["unit"],
            "target": by_run[0][key]["target"] if key in by_run[0] else meta["target"],
            "targets": {lab: rows[key]["target"] for lab, rows in zip(labels, by_run) if key in rows},
            "values": values,
            "diff": {lab: (None if base is None or values[lab] is None else values[lab] - base) for lab in labels[1:]},
            "pass": {lab: (rows[key]["pass"] if key in rows else None) for lab, rows in zip(labels, by_run)},
            "notes": {lab: rows[key].get("note", "") for lab, rows in zip(labels, by_run) if key in rows},
        })
    return table


def key_numbers(result: Any) -> list[dict[str, str]]:
    """The headline figures of a run: people affected and relieved, shelters, rescue, teams."""
    k = result.kpis
    rt = k.get("relief_time", {})
    resp = k.get("response_time", {})
    out = []

    def add(zh: str, en: str, text: str) -> None:
        out.append({"zh": zh, "en": en, "value": text})

    affected = _num(rt.get("affected_people"))
    add("受灾人数", "people affected", format_value(affected, "people"))
    within = _num(rt.get("share_within_target"))
    target_h = _num(rt.get("target_h")) or 10.0
    add(f"{target_h:g} h 内获得基本生活救助", f"relieved within {target_h:g} h", format_value(within, "share"))
    add("模拟结束时仍未获救助", "not relieved by the end", format_value(rt.get("unrelieved_people"), "people"))
    if "relieved_in_place_people" in k:  # results that model kits taken to people who stay home
        add("就地获得救助", "relieved in place", format_value(k["relieved_in_place_people"], "people"))
    if "cut_off_people" in k:
        add("无法到达有空位的避难场所、尚未获救助", "cut off from shelters with room, not relieved",
            format_value(k["cut_off_people"], "people"))
    add("预警覆盖率", "warning coverage", format_value(k.get("warning_coverage"), "share"))
    peak, cap = _num(k.get("shelter_peak_occupancy")), _num(k.get("shelter_capacity"))
    add("避难场所峰值安置 / 容量", "shelter peak / capacity",
        f"{format_value(peak, 'people')} / {format_value(cap, 'people')}")
    served, req = _num(resp.get("served")), _num(resp.get("requests"))
    add("救援请求（已到场 / 总数）", "rescue requests (reached / all)",
        f"{format_value(served, 'people')} / {format_value(req, 'people')}")
    mean = _num(resp.get("mean_min"))
    add("平均响应时间", "mean response time", "—" if mean is None else f"{mean:.0f} min")
    util = _num(k.get("team_utilisation", {}).get("all"))
    add("队伍平均利用率", "mean team utilisation", format_value(util, "share"))
    add("致死区域暴露人数", "people exposed in lethal zones", format_value(k.get("exposure_people"), "people"))
    fire = _num(k.get("forest_fire_damage_permille"))
    if fire is not None:
        add("森林火灾受害率", "forest fire damage rate", format_value(fire, "‰"))
    return out


def plan_summary(plan: Any) -> dict[str, Any]:
    """Counts and lists of the plan's team bases, warehouses and shelters for the report."""
    bases = []
    for b in getattr(plan, "team_bases", ()):
        teams = [{"zh": TEAM_TYPE_NAMES.get(t.type, (t.type, t.type))[0],
                  "en": TEAM_TYPE_NAMES.get(t.type, (t.type, t.type))[1], "people": int(t.people)} for t in b.teams]
        bases.append({"id": b.id, "zh": b.name_zh, "en": b.name_en, "teams": teams})
    warehouses = []
    for w in getattr(plan, "warehouses", ()):
        stock = [{"zh": STOCK_NAMES.get(k, (k, k))[0], "en": STOCK_NAMES.get(k, (k, k))[1], "amount": f"{float(v):,.0f}"}
                 for k, v in w.stock.items()]
        warehouses.append({"id": w.id, "zh": w.name_zh, "en": w.name_en, "stock": stock})
    shelters = [{"id": s.id, "zh": s.name_zh, "en": s.name_en, "capacity": f"{int(s.capacity):,}",
                 "existing": bool(getattr(s, "existing", True))} for s in getattr(plan, "shelters", ())]
    people = sum(t["people"] for b in bases for t in b["teams"])
    return {
        "name": getattr(plan, "name", ""), "bases": bases, "warehouses": warehouses, "shelters": shelters,
        "team_people": f"{people:,}", "shelter_capacity": f"{sum(int(s.capacity) for s in getattr(plan, 'shelters', ())):,}",
        "new_shelters": sum(1 for s in shelters if not s["existing"]),
        "assignments": len(getattr(plan, "demand_shelter", {}) or {}),
    }


def indicator_rows(kpis: Sequence[dict]) -> list[dict[str, Any]]:
    """Indicator rows formatted for the report."""
    return [{"zh": r["zh"], "en": r["en"], "value": format_value(r.get("value"), r.get("unit", "")),
             "target": format_target(r.get("target", ""), r.get("unit", "")), "pass": r.get("pass"),
             "note": r.get("note", "") or ""} for r in kpis]


# ---------------------------------------------------------------------------------- rendering
def _env():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(loader=PackageLoader("scenarios", "templates"), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


def _data_uri(png: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("yingji")
    except PackageNotFoundError:
        return "source"


def _write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file, so a reader never sees half a report."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def paragraphs(text: str, *, cjk: bool) -> list[str]:
    """A TOML multi-line string as paragraphs: blank lines separate them, single line breaks
    are wrapping (joined with a space in English, with nothing between CJK characters)."""
    out = []
    for block in re.split(r"\n\s*\n", str(text).strip()):
        lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
        if not lines:
            continue
        para = lines[0]
        for ln in lines[1:]:
            glue = "" if cjk and not (para[-1].isascii() and ln[0].isascii()) else " "
            para += glue + ln
        out.append(para)
    return out


def _run_context(run: Any) -> dict[str, Any]:
    sc = run.scenario
    res = run.result
    return {
        "name": run.name, "title_zh": run.title_zh, "title_en": run.title_en, "plan_label": run.plan_label,
        "source": getattr(sc, "source", ""),
        "description_zh": paragraphs(getattr(sc, "description_zh", ""), cjk=True),
        "description_en": paragraphs(getattr(sc, "description_en", ""), cjk=False),
        "seed": res.params.get("seed", ""), "duration_h": f"{float(res.params.get('duration_h', 0.0)):g}",
        "seconds": f"{float(run.seconds):.1f}", "network": res.meta.get("network", ""),
        "hazards": ", ".join(str(h) for h in res.meta.get("hazards", [])),
        "indicators": indicator_rows(run.kpis), "key_numbers": key_numbers(res), "plan": plan_summary(run.plan),
        "notes": [str(n) for n in getattr(run, "notes", []) or []],
        "illustrative": hasattr(run.district, "spec"),
    }


def _common(lang: str) -> dict[str, Any]:
    from network.district import ILLUSTRATIVE_NOTE_EN, ILLUSTRATIVE_NOTE_ZH

    return {"lang": lang, "other": _OTHER[lang], "version": _version(),
            "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "note_zh": ILLUSTRATIVE_NOTE_ZH, "note_en": ILLUSTRATIVE_NOTE_EN}


def _figure_entries(table: Sequence[tuple[str, str, str]], pngs: dict[str, Path]) -> list[dict[str, str]]:
    return [{"stem": stem, "zh": zh, "en": en, "src": _data_uri(Path(pngs[stem])), "svg": f"{stem}.svg"}
            for stem, zh, en in table if stem in pngs]


def render_run_html(run: Any, pngs: dict[str, Path], *, lang: str = "zh") -> str:
    """The run report's HTML; ``pngs`` maps figure stems (map, relief_time, ...) to PNG files to embed."""
    lang = _check_lang(lang)
    ctx = {**_common(lang), "run": _run_context(run), "figures": _figure_entries(_FIGURES, pngs)}
    return _env().get_template("run.html.j2").render(**ctx)


def render_compare_html(runs: Sequence[Any], pngs: dict[str, Path], *, lang: str = "zh") -> str:
    """The comparison report's HTML; ``pngs`` maps figure stems (relief_compare, maps) to PNG files."""
    lang = _check_lang(lang)
    runs = list(runs)
    labels = run_labels(runs)
    rows = []
    for row in compare_table(runs):
        unit = row["unit"]
        rows.append({
            "zh": row["zh"], "en": row["en"], "target": format_target(row["target"], unit),
            "cells": [{"value": format_value(row["values"][lab], unit), "pass": row["pass"][lab],
                       "target": format_target(row["targets"].get(lab, ""), unit),
                       "own_target": row["targets"].get(lab, row["target"]) != row["target"],
                       "note": row["notes"].get(lab, "")} for lab in labels],
            "diffs": [format_diff(row["diff"][lab], unit) for lab in labels[1:]],
        })
    ctx = {
        **_common(lang), "labels": labels, "rows": rows, "figures": _figure_entries(_COMPARE_FIGURES, pngs),
        "runs": [{"label": lab, **_run_context(r)} for lab, r in zip(labels, runs)],
    }
    return _env().get_template("compare.html.j2").render(**ctx)


def write_run_report(out_dir: Path, run: Any, *, lang: str = "zh") -> dict[str, Path]:
    """Figures (``map``, ``relief_time``, ``timeline``, ``teams_gantt``; PNG and SVG) and a
    self-contained ``report.html`` of one run in ``out_dir``; returns {file name: path}."""
    lang = _check_lang(lang)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    res = run.result
    makers = {
        "map": lambda: F.map_figure(run.district, run.hazards, run.plan, res, lang=lang),
        "relief_time": lambda: F.relief_time_figure(res, lang=lang),
        "timeline": lambda: F.timeline_figure(res, lang=lang),
        "teams_gantt": lambda: F.gantt_figure(res, lang=lang),
    }
    written: dict[str, Path] = {}
    for stem, _zh, _en in _FIGURES:
        written.update(F.save_figure(makers[stem](), out_dir, stem))
    html = render_run_html(run, {stem: written[f"{stem}.png"] for stem in makers}, lang=lang)
    written["report.html"] = _write_atomic(out_dir / "report.html", embed_cjk_font(html))
    return written


def write_compare_report(out_dir: Path, runs: Sequence[Any], *, lang: str = "zh") -> dict[str, Path]:
    """Side-by-side indicators with differences against the first run, overlaid relief-time
    distributions (``relief_compare``), maps side by side (``maps``) and ``report.html``."""
    lang = _check_lang(lang)
    runs = list(runs)
    if len(runs) < 2:
        raise InputError(f"compare: needs at least two runs, found {len(runs)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    labels = run_labels(runs)
    makers = {
        "relief_compare": lambda: F.compare_relief_figure([(lab, r.result) for lab, r in zip(labels, runs)], lang=lang),
        "maps": lambda: F.compare_maps_figure(
            [(lab, r.district, r.hazards, r.plan, r.result) for lab, r in zip(labels, runs)], lang=lang),
    }
    written: dict[str, Path] = {}
    for stem, _zh, _en in _COMPARE_FIGURES:
        written.update(F.save_figure(makers[stem](), out_dir, stem))
    html = render_compare_html(runs, {stem: written[f"{stem}.png"] for stem in makers}, lang=lang)
    written["report.html"] = _write_atomic(out_dir / "report.html", embed_cjk_font(html))
    return written
