"""Self-contained HTML reports of a scenario run and of a comparison of runs.

One HTML file each, made from jinja2 templates with autoescaping on: every text that comes from
a scenario file (its name, titles, description, plan names) is escaped, and a Content Security
Policy forbids any network access and every script but the interactive map's, allowed by hash
(``webmap``). Figures are embedded as base64 PNG data URIs
(the PNG and SVG files are written beside the report too), so the report opens offline,
prints on A4 and can be mailed as one file. ``lang`` picks the primary language; the other
one is shown beside it.
"""
from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from matplotlib.figure import Figure

from network.checks import language
from network.district import ILLUSTRATIVE_NOTE_EN, ILLUSTRATIVE_NOTE_ZH, District
from network.errors import InputError
from scenarios.core.runner import ScenarioRun
from scenarios.core.spec import BUILTIN_PREFIX
from scenarios.core.version import yingji_version

from . import figures as F
from .shortfall_view import compare_shortfall, shortfall_context
from .tables import (compare_table, display_labels, format_diff, format_target, format_value, indicator_rows, key_numbers,
                     plan_name, plan_summary, run_labels)
from .webfont import embed_cjk_font
from .webmap import compare_map_context, map_context

_OTHER = {"zh": "en", "en": "zh"}
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



#: C0 control characters other than tab, line feed and carriage return, and DEL: not text, and
#: HTML forbids them (a NUL or BEL in a district's names must not reach a page raw)
_CONTROL = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def strip_controls(text: str) -> str:
    """``text`` without C0 control characters (tab, line feed and carriage return kept) and DEL."""
    return text.translate(_CONTROL)


def _printable(value: object) -> object:
    """What a template prints: strings without control characters (markup from the templates as it is)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return strip_controls(value)
    return value


def environment() -> Environment:
    """The jinja2 environment of every HTML page yingji writes: autoescaped, strict about undefined
    names, control characters dropped from every printed value."""
    return Environment(loader=PackageLoader("scenarios.reports", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, finalize=_printable)


def data_uri(png: Path) -> str:
    """A PNG file as a ``data:`` URI to embed in a page."""
    return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")


def write_atomic(path: Path, text: str) -> Path:
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


def _run_context(run: ScenarioRun) -> dict[str, Any]:
    """What the templates show of one run."""
    sc = run.scenario
    res = run.result
    return {
        "name": run.name, "title_zh": run.title_zh, "title_en": run.title_en, "plan_label": run.plan_label,
        "source": sc.source, "builtin": sc.source.startswith(BUILTIN_PREFIX),
        "description_zh": paragraphs(sc.description_zh, cjk=True),
        "description_en": paragraphs(sc.description_en, cjk=False),
        "seed": res.params.get("seed", ""), "duration_h": f"{float(res.params.get('duration_h', 0.0)):g}",
        "seconds": f"{float(run.seconds):.1f}", "network": res.meta.get("network", ""),
        "hazards": ", ".join(str(h) for h in res.meta.get("hazards", [])),
        "indicators": indicator_rows(run.kpis), "key_numbers": key_numbers(res), "plan": plan_summary(run.plan),
        "notes": [str(n) for n in run.notes],
        "illustrative": isinstance(run.district, District) and run.district.illustrative,
        "shortfall": shortfall_context(res.kpis),
    }


def _common(lang: str) -> dict[str, Any]:
    """What every page shows: languages, version, time of writing, the illustrative-model note."""
    return {"lang": lang, "other": _OTHER[lang], "version": yingji_version(),
            "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "note_zh": ILLUSTRATIVE_NOTE_ZH, "note_en": ILLUSTRATIVE_NOTE_EN}


def _figure_entries(table: Sequence[tuple[str, str, str]], pngs: dict[str, Path]) -> list[dict[str, str]]:
    return [{"stem": stem, "zh": zh, "en": en, "src": data_uri(Path(pngs[stem])), "svg": f"{stem}.svg"}
            for stem, zh, en in table if stem in pngs]


def render_run_html(run: ScenarioRun, pngs: dict[str, Path], *, lang: str = "zh") -> str:
    """The run report's HTML; ``pngs`` maps figure stems (map, relief_time, ...) to PNG files to embed."""
    lang = language(lang)
    ctx = {**_common(lang), "run": _run_context(run), "figures": _figure_entries(_FIGURES, pngs),
           "webmap": map_context(run, lang)}
    return environment().get_template("run.html.j2").render(**ctx)


def render_compare_html(runs: Sequence[ScenarioRun], pngs: dict[str, Path], *, lang: str = "zh") -> str:
    """The comparison report's HTML; ``pngs`` maps figure stems (relief_compare, maps) to PNG files."""
    lang = language(lang)
    runs = list(runs)
    keys = run_labels(runs)               # the compare table's keys
    labels = display_labels(runs, lang)   # what people read
    rows = []
    for row in compare_table(runs):
        unit = row["unit"]
        rows.append({
            "zh": row["zh"], "en": row["en"], "target": format_target(row["target"], unit),
            "cells": [{"value": format_value(row["values"][k], unit), "pass": row["pass"][k],
                       "target": format_target(row["targets"].get(k, ""), unit),
                       "own_target": row["targets"].get(k, row["target"]) != row["target"],
                       "note": row["notes"].get(k, "")} for k in keys],
            "diffs": [format_diff(row["diff"][k], unit) for k in keys[1:]],
        })
    ctx = {
        **_common(lang), "labels": labels, "rows": rows, "figures": _figure_entries(_COMPARE_FIGURES, pngs),
        "runs": [{"label": lab, "plan_name": plan_name(r.plan_label, lang), **_run_context(r)}
                 for lab, r in zip(labels, runs)],
        "shortfall": compare_shortfall(labels, [r.result.kpis for r in runs]),
        "webmap": compare_map_context(runs, labels, lang),
    }
    return environment().get_template("compare.html.j2").render(**ctx)


def _write_report(out_dir: Path, table: Sequence[tuple[str, str, str]], makers: dict[str, Callable[[], Figure]],
                  render: Callable[[dict[str, Path]], str]) -> dict[str, Path]:
    """Each figure of ``table`` as PNG and SVG, then ``report.html`` rendered around the PNGs."""
    written: dict[str, Path] = {}
    for stem, _zh, _en in table:
        written.update(F.save_figure(makers[stem](), out_dir, stem))
    html = render({stem: written[f"{stem}.png"] for stem in makers})
    written["report.html"] = write_atomic(out_dir / "report.html", embed_cjk_font(html))
    return written


def write_run_report(out_dir: Path, run: ScenarioRun, *, lang: str = "zh") -> dict[str, Path]:
    """Figures (``map``, ``relief_time``, ``timeline``, ``teams_gantt``; PNG and SVG) and a
    self-contained ``report.html`` of one run in ``out_dir``; returns {file name: path}."""
    lang = language(lang)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    res = run.result
    makers = {
        "map": lambda: F.map_figure(run.district, run.hazards, run.plan, res, lang=lang),
        "relief_time": lambda: F.relief_time_figure(res, lang=lang),
        "timeline": lambda: F.timeline_figure(res, lang=lang),
        "teams_gantt": lambda: F.gantt_figure(res, lang=lang, plan=run.plan),
    }
    return _write_report(out_dir, _FIGURES, makers, lambda pngs: render_run_html(run, pngs, lang=lang))


def write_compare_report(out_dir: Path, runs: Sequence[ScenarioRun], *, lang: str = "zh") -> dict[str, Path]:
    """Side-by-side indicators with differences against the first run, overlaid relief-time
    distributions (``relief_compare``), maps side by side (``maps``) and ``report.html``."""
    lang = language(lang)
    runs = list(runs)
    if len(runs) < 2:
        raise InputError(f"compare: needs at least two runs, found {len(runs)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    labels = display_labels(runs, lang)
    makers = {
        "relief_compare": lambda: F.compare_relief_figure([(lab, r.result) for lab, r in zip(labels, runs)], lang=lang),
        "maps": lambda: F.compare_maps_figure(
            [(lab, r.district, r.hazards, r.plan, r.result) for lab, r in zip(labels, runs)], lang=lang),
    }
    return _write_report(out_dir, _COMPARE_FIGURES, makers, lambda pngs: render_compare_html(runs, pngs, lang=lang))
