"""The batch report: figures (PNG and SVG), ``summary.json``, ``runs.csv`` and one self-contained
HTML report (jinja2, autoescaped; figures embedded as base64 PNG) from the numbers of
:mod:`scenarios.batch.summary`.
"""
from __future__ import annotations

import json
import math
import os
import re
import tempfile
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from network.cells import DEFAULT_CSV_ENCODING, csv_writer, open_csv
from network.checks import language
from network.district import District
from network.errors import InputError, YingjiError
from network.fonts import use_cjk_font
from network.jsonsafe import json_safe
from scenarios.core.inputs import load_scenario_network
from scenarios.core.plans import build_plan
from scenarios.core.spec import BUILTIN_PREFIX, Scenario, parse_scenario
from scenarios.core.version import yingji_version
from scenarios.reports.html import data_uri, environment
from scenarios.reports.staging import staged_dir
from scenarios.reports.tables import format_target
from scenarios.reports.webfont import embed_cjk_font
from scenarios.reports.webmap import areas_map_context, plan_facility_layer
from scenarios.reports.webmap_areas import township_outcomes

from .input_names import input_name
from .runs import plan_arg
from .store import HEADLINE
from .summary import P95, BatchData, exceedance, load_batch, run_metric, summarise

__all__ = ["load_batch", "summarise", "write_batch_report"]

_T = {
    "zh": {"prob_title": "各目标的达成概率（Wilson 95% 区间）", "prob_x": "达成概率", "exc_title": "基本生活救助时间 P95 的超越概率",
           "exc_x": "救助时间 P95 (h)", "exc_y": "超过该时间的运行比例", "target": "目标", "never": "有人始终未获救助",
           "tornado_title": "失败驱动因素：Spearman 秩相关", "tornado_x": "Spearman ρ（与 {o}）", "hist_y": "运行次数",
           "no_finite": "所有运行中均有人未获救助（P95 未达到）", "runs": "次运行"},
    "en": {"prob_title": "Probability of meeting each target (Wilson 95 % interval)", "prob_x": "probability",
           "exc_title": "Exceedance of the relief-time P95", "exc_x": "relief time P95 (h)",
           "exc_y": "share of runs above", "target": "target", "never": "someone never relieved",
           "tornado_title": "Drivers of failure: Spearman rank correlation", "tornado_x": "Spearman ρ (with {o})",
           "hist_y": "runs", "no_finite": "every run left someone unrelieved (P95 not reached)", "runs": "runs"},
}


# ------------------------------------------------------------------------------- figures
def _save(fig: Figure, out: Path, stem: str) -> tuple[Path, Path]:
    """Write ``fig`` as ``stem``.png and ``stem``.svg in ``out``."""
    png, svg = out / f"{stem}.png", out / f"{stem}.svg"
    fig.savefig(png, dpi=130, bbox_inches="tight")
    fig.savefig(svg, bbox_inches="tight")
    return png, svg


#: the probability axis runs past 100 % to this, so "100 % (12/12)" sits beside its bar, not on it
_PROB_MARGIN = 1.32
#: a number and the unit after it, kept together when a label wraps
_NUMBER_UNIT = re.compile(r"(\d) (?=(?:h|km|m|min|kg/s|m/s)\b|[%‰])")


def _target_figure(summary: dict[str, Any], lang: str, units: dict[str, str]) -> Figure:
    """Bars of each target's share met per plan, with Wilson intervals; each bar's figure is
    written right of its interval, in a margin kept clear of bars (past 100 %)."""
    t = _T[lang]
    plans = summary["plans"]
    names = []
    for plan in plans:
        for row in summary["per_plan"][plan]["targets"]:
            if row["n"] and row["indicator"] not in names:
                names.append(row["indicator"])
    fig = Figure(figsize=(8.5, 1.0 + 0.55 * max(1, len(names)) * max(1, len(plans))))
    ax = fig.subplots()
    h = 0.8 / max(1, len(plans))
    labels = {}
    legend_done = set()
    for j, plan in enumerate(plans):
        rows = {r["indicator"]: r for r in summary["per_plan"][plan]["targets"]}
        for i, key in enumerate(names):
            r = rows.get(key)
            if not r or not r["n"]:
                continue
            labels[i] = f"{_wrap(r[lang], lang, 38)}\n{t['target']} {format_target(r['target'], units.get(key, ''))}"
            y = i + (j - (len(plans) - 1) / 2) * h
            lo, hi = r["wilson"]
            ax.barh(y, r["p"], height=h * 0.9, color=f"C{j}", label=None if plan in legend_done else plan)
            legend_done.add(plan)
            ax.errorbar(r["p"], y, xerr=[[r["p"] - lo], [hi - r["p"]]], fmt="none", ecolor="k", capsize=3)
            ax.text(hi + 0.025, y, f"{100 * r['p']:.0f} % ({r['met']}/{r['n']})", va="center", ha="left", fontsize=8)
    ax.set_yticks(range(len(names)), [labels.get(i, names[i]) for i in range(len(names))], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, _PROB_MARGIN)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0", "25 %", "50 %", "75 %", "100 %"])
    ax.axvspan(1.0, _PROB_MARGIN, color="#f4f6f6", zorder=0)   # the figures' margin, not a scale
    ax.set_xlabel(t["prob_x"])
    ax.set_title(t["prob_title"])
    if len(plans) > 1:
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.25 / max(1, len(names))),
                  ncol=len(plans), frameon=False)
    return fig


def _wrap(text: str, lang: str, width_en: int) -> str:
    """``text`` broken into lines of about ``width_en`` Latin characters (half as many CJK ones)."""
    width = width_en // 2 if lang == "zh" else width_en
    glued = _NUMBER_UNIT.sub("\\1\u00a0", text)     # "10 h" stays on one line (textwrap never breaks at U+00A0)
    return "\n".join(textwrap.wrap(glued, width, break_long_words=lang == "zh", break_on_hyphens=False)) or text



def _exceedance_figure(data: BatchData, summary: dict[str, Any], lang: str, target_h: float) -> Figure:
    """The relief-time P95 across runs: exceedance curves (left) and histograms (right) per plan."""
    t = _T[lang]
    fig = Figure(figsize=(8.5, 4.2))
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    top = target_h * 2
    any_finite = False
    for j, plan in enumerate(summary["plans"]):
        vals = [run_metric(r, P95) for r in data.rows if r["plan"] == plan and r["status"] == "ok"]
        if vals:
            top, finite = _plot_relief_p95(ax1, ax2, vals, j, plan, top, t)
            any_finite = any_finite or finite
    _dress_exceedance(ax1, ax2, t, target_h, top, any_finite)
    fig.tight_layout()
    return fig


def _plot_relief_p95(ax1: Axes, ax2: Axes, vals: list[float], j: int, plan: str, top: float,
                     t: dict[str, str]) -> tuple[float, bool]:
    """Draw one plan's curve and histogram; returns the x range so far and whether any run reached P95."""
    x, p = exceedance(vals)
    never = sum(1 for v in vals if math.isinf(v)) / len(vals)
    if len(x):
        top = max(top, float(x.max()) * 1.1)
        # a right-continuous step: P(X > x) drops at each run's value, then stays at the
        # never-relieved share to the edge of the plot
        xs = np.concatenate([[0.0], np.repeat(x, 2), [top * 10]])
        ps = np.concatenate([[1.0], [1.0], np.repeat(p, 2)[:-1], [p[-1]], [p[-1]]])[: len(xs)]
        ax1.plot(xs, ps, color=f"C{j}", label=f"{plan} ({t['never']}: {100 * never:.0f} %)")
    else:
        ax1.plot([0, top], [1.0, 1.0], color=f"C{j}", label=f"{plan} ({t['never']}: 100 %)")
    finite = [v for v in vals if math.isfinite(v)]
    bins = np.linspace(0, top, 21)
    ax2.hist(finite, bins=bins, color=f"C{j}", alpha=0.6, label=plan)
    ax2.bar(top * 1.08, len(vals) - len(finite), width=top * 0.07, color=f"C{j}", hatch="//", alpha=0.6)
    return top, bool(len(x))


def _dress_exceedance(ax1: Axes, ax2: Axes, t: dict[str, str], target_h: float, top: float, any_finite: bool) -> None:
    """The target line, axes, labels and legend of the exceedance figure."""
    for ax in (ax1, ax2):
        ax.axvline(target_h, color="crimson", ls="--", lw=1.2, label=f"{t['target']} {target_h:g} h" if ax is ax1 else None)
    ax1.set_xlim(0, top)
    ax1.set_ylim(0, 1.02)
    ax1.set_xlabel(t["exc_x"])
    ax1.set_ylabel(t["exc_y"])
    ax1.set_title(t["exc_title"], fontsize=10)
    # the legend (and the note that no run reached P95) under the axes: inside, it ran across the target line
    ax1.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False,
               title=None if any_finite else t["no_finite"], title_fontsize=8)
    ax2.set_xlabel(t["exc_x"])
    ax2.set_ylabel(t["hist_y"])
    ax2.set_xticks(list(ax2.get_xticks()[:-1]) + [top * 1.08], [f"{v:g}" for v in ax2.get_xticks()[:-1]] + ["∞"])
    ax2.set_xlim(0, top * 1.15)


def _tornado_figure(drivers: dict[str, Any], lang: str, outcome_key: str) -> Figure:
    """Spearman rho of the strongest twelve inputs with one outcome, as a tornado chart: inputs
    by their names for people (wrapped), the figure as tall as its labels need."""
    t = _T[lang]
    d = drivers[outcome_key]
    rows = d["rows"][:12]
    labels = [_wrap(input_name(r["input"], lang), lang, 30) for r in rows]
    lines = sum(label.count("\n") + 1 for label in labels)
    fig = Figure(figsize=(8.5, 1.3 + 0.32 * max(1, lines) + 0.12 * len(rows)))
    ax = fig.subplots()
    if rows:
        ys = np.arange(len(rows))
        rho = [r["rho"] for r in rows]
        ax.barh(ys, rho, height=0.7, color=["#b03a2e" if v < 0 else "#1e8449" for v in rho])
        ax.set_yticks(ys, labels, fontsize=8.5)
        ax.invert_yaxis()
        for y, r in zip(ys, rows):
            # on the other side of zero from the bar: never clipped, never on the axis labels
            ax.text(-0.02 if r["rho"] >= 0 else 0.02, y, f"{r['rho']:+.2f} (p = {r['p_value']:.2g})", va="center",
                    fontsize=7.5, color="0.25", ha="right" if r["rho"] >= 0 else "left")
    else:
        ax.text(0, 0, "—", ha="center")
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlim(-1.05, 1.05)
    ax.set_xlabel(t["tornado_x"].format(o=d[lang]))
    ax.set_title(t["tornado_title"], fontsize=10)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------- writing
def write_batch_report(store: str | Path, out: str | Path, *, lang: str = "zh",
                       csv_encoding: str = DEFAULT_CSV_ENCODING) -> dict[str, Any]:
    """Write report.html, summary.json, runs.csv and the figures (PNG + SVG) for a batch store.

    Everything is computed before the first file is written, and the folder is built in a scratch
    folder beside ``out`` that replaces it whole (:func:`scenarios.reports.staging.staged_dir`), so a
    failure leaves no half-written report and a rerun no stale file.

    Parameters
    ----------
    store : str or Path
        A batch store written by :func:`scenarios.batch.runs.run_batch`.
    out : str or Path
        The output folder (created if missing).
    lang : {"zh", "en"}, default "zh"
        The figures' language (the HTML shows both).
    csv_encoding : {"utf-8-sig", "utf-8", "gbk"}, default "utf-8-sig"
        The encoding of runs.csv (:data:`network.cells.CSV_ENCODINGS`).

    Returns
    -------
    dict
        ``out`` (the folder), ``files`` (names written, report.html first) and ``summary`` (as
        :func:`summarise` gives it, JSON-safe with infinity as text).

    Raises
    ------
    InputError
        When ``lang`` is not 'zh' or 'en', the store is not a batch store or holds no runs yet,
        or ``out`` exists and is not a folder or holds files yingji did not write.
    """
    language(lang)
    data = load_batch(store)
    if not data.rows:
        raise InputError(f"{store}: the store holds no finished runs yet")
    summary = summarise(data)
    target_h = _target_h(data)
    first = summary["plans"][0]
    drivers = summary["drivers"][first]
    outcome = _tornado_outcome(drivers)
    units = _target_units(data)
    use_cjk_font()
    figs = {"target_probability": _target_figure(summary, lang, units),
            "relief_p95_exceedance": _exceedance_figure(data, summary, lang, target_h),
            "drivers_tornado": _tornado_figure(drivers, lang, outcome)}
    out = Path(out)
    with staged_dir(out) as tmp:      # the folder appears complete, or not at all
        written, figures = _save_figures(figs, tmp, _captions(target_h, first, drivers[outcome]))
        (tmp / "summary.json").write_text(json.dumps(json_safe(summary, infinity_as_text=True), ensure_ascii=False,
                                                     indent=1, default=_json_default), encoding="utf-8")
        _runs_csv(data, tmp / "runs.csv", csv_encoding)
        written += ["summary.json", "runs.csv"]
        webmap, map_note = batch_map(data, lang)
        html = _render_html(lang, summary, figures, drivers, first, Path(store).name, target_h, units, webmap, map_note)
        _write_shared(tmp / "report.html", html)
        written.insert(0, "report.html")
    return {"out": str(out), "files": written, "summary": json_safe(summary, infinity_as_text=True)}


# ------------------------------------------------------------------------------- the map
def batch_scenario(data: BatchData) -> Scenario:
    """The batch's scenario as stored (its relative paths resolve from the folder it came from)."""
    origin = data.info.scenario_origin
    base_dir = None if origin.startswith(BUILTIN_PREFIX) else Path(origin).resolve().parent
    return parse_scenario(data.info.scenario_source, origin, base_dir=base_dir)


def township_runs(data: BatchData, plan: str) -> list[list[dict[str, Any]]] | None:
    """Each ok run's per-township rows for ``plan`` (``metrics.by_township``); None when the
    store's runs carry none (stored by a yingji before the map)."""
    rows = [r for r in data.rows if r["plan"] == plan and r["status"] == "ok"]
    towns = [((r.get("kpis") or {}).get("metrics") or {}).get("by_township") for r in rows]
    if not rows or any(t is None for t in towns):
        return None
    return towns


def _plan_facilities(scenario: Scenario, district: District, plan: str) -> tuple[list[dict[str, Any]], list[list[str]]]:
    """A plan's facilities without a run (``existing`` or a plan file), or none with a note why."""
    if plan == "optimized":
        return [], [["“optimized”方案的设施由每次运行的优化求得，图中不显示。",
                     "The 'optimized' plan's facilities come from the optimiser in each run: not drawn."]]
    try:
        built, _label = build_plan(scenario, district, plan_arg(plan))
    except (YingjiError, OSError, ValueError) as exc:
        return [], [[f"无法读取方案设施：{exc}", f"the plan's facilities could not be read: {exc}"]]
    return plan_facility_layer(built), []


def batch_map(data: BatchData, lang: str) -> tuple[dict[str, Any] | None, tuple[str, str] | None]:
    """The batch report's map (:func:`scenarios.reports.webmap.areas_map_context`): townships by
    the share of runs that relieved all their affected people in time, per plan (picked from a
    list), with the plan's facilities over the district's roads; or None and why (zh, en) when
    the district's network cannot be had for this store."""
    try:
        scenario = batch_scenario(data)
        district = load_scenario_network(scenario)
    except (YingjiError, OSError, ValueError) as exc:
        return None, (f"无法载入本批次情景的路网，故不显示地图：{exc}",
                      f"The batch scenario's road network could not be loaded, so there is no map: {exc}")
    net = district.network if isinstance(district, District) else district
    if net.zone is None or not (np.asarray(net.zone) >= 0).any():
        return None, ("路网没有乡镇街道划分（节点无 zone），故不显示地图。",
                      "The road network has no townships (no node has a zone), so there is no map.")
    names = list(net.zone_names or ())
    sets = []
    for plan in data.plans:
        runs = township_runs(data, plan)
        facilities, notes = (_plan_facilities(scenario, district, plan) if isinstance(district, District)
                             else ([], []))
        if runs is None:
            notes.append(["本结果库的运行未记录分乡镇数据（由较早版本的 yingji 写入），乡镇未着色。",
                          ("This store's runs carry no figures by township (written by an earlier yingji): "
                           "the townships are not coloured.")])
        sets.append({"label": Path(plan).name, "facilities": facilities, "notes": notes,
                     "townships": None if runs is None else township_outcomes(runs, names)})
    return areas_map_context(net, lang, sets), None


def _target_h(data: BatchData) -> float:
    """The scenario's relief target in hours (10 when its text does not say)."""
    try:
        return float(tomllib.loads(data.info.scenario_source).get("targets", {}).get("relief_within_h", 10.0))
    except (ValueError, TypeError):
        return 10.0


def _target_units(data: BatchData) -> dict[str, str]:
    """Each indicator's unit ("share", "h", ...), from the stored runs' indicator rows."""
    units: dict[str, str] = {}
    for r in data.rows:
        for ind in (r.get("kpis") or {}).get("indicators", ()):
            units.setdefault(ind["indicator"], ind.get("unit", ""))
    return units


def _tornado_outcome(drivers: dict[str, Any]) -> str:
    """The outcome whose drivers the tornado shows: the first of the headline ones that has any."""
    return next((k for k in (f"{HEADLINE}_pass", HEADLINE, "unrelieved_people", "exposure_people")
                 if drivers.get(k, {}).get("rows")), HEADLINE)


def _captions(target_h: float, first: str, outcome: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Each figure's caption (zh, en); ``outcome`` is the tornado's outcome with its names."""
    return {
        "target_probability": ("各目标达成概率及 Wilson 95% 置信区间", "Probability of meeting each target, with Wilson 95 % intervals"),
        "relief_p95_exceedance": (f"各次运行的救助时间 P95：超越概率曲线（红色虚线：{target_h:g} 小时）与分布（斜线柱：未达到）",
                                  f"Relief-time P95 across runs: exceedance curve (red dashed: {target_h:g} h) and distribution (hatched: not reached)"),
        "drivers_tornado": (f"失败驱动因素（方案 {first}）：各不确定输入与“{outcome['zh']}”的 Spearman 秩相关",
                            f"Drivers (plan {first}): Spearman rank correlation of each uncertain input with '{outcome['en']}'"),
    }


def _save_figures(figs: dict[str, Figure], out: Path,
                  captions: dict[str, tuple[str, str]]) -> tuple[list[str], list[dict[str, str]]]:
    """Write each figure as PNG and SVG; returns the file names and what the HTML shows of each."""
    written = []
    figures = []
    for stem, fig in figs.items():
        png, svg = _save(fig, out, stem)
        written += [png.name, svg.name]
        figures.append({"stem": stem, "src": data_uri(png), "svg": svg.name, "zh": captions[stem][0],
                        "en": captions[stem][1]})
    return written, figures


def _json_default(x: Any) -> Any:
    """numpy numbers as Python numbers, anything else JSON cannot take as text."""
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    return str(x)


def _runs_csv(data: BatchData, path: Path, encoding: str = DEFAULT_CSV_ENCODING) -> None:
    """One CSV row per stored run: status, indicators, pass/fail and every input."""
    paths = sorted({p for r in data.rows for p in r["inputs"]})
    keys = ["run_index", "plan", "seed", "status", *[c for c in data.rows[0] if c.endswith("_pass") or c in (
        "relief_within_target", "relief_p95_h", "warning_coverage", "forest_fire_damage_permille", "exposure_people",
        "all_pass")], "seconds", "error"] if data.rows else []
    keys = list(dict.fromkeys(keys))
    with open_csv(path, encoding) as f:
        w = csv_writer(f)  # plan names and input values come from the user's files
        w.writerow(keys + [f"input:{p}" for p in paths])
        for r in data.rows:
            w.writerow([r.get(k) for k in keys] + [_csv_cell(r["inputs"].get(p)) for p in paths])


def _csv_cell(v: Any) -> Any:
    """An input's value as a CSV cell: lists and tables as JSON, anything else as it is."""
    return json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v


def _fmt(v: Any, digits: int = 3) -> str:
    """A number as the HTML shows it: 3 significant digits, ∞, or — for none."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, float) and math.isinf(v):
        return "∞"
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return str(v)


def _fmt_p(x: float | None) -> str:
    """A share as a percentage with one decimal, or — for none."""
    return "—" if x is None else f"{100 * x:.1f} %"


def _render_html(lang: str, summary: dict[str, Any], figures: list[dict[str, str]], drivers: dict[str, Any],
                 first: str, store_name: str, target_h: float, units: dict[str, str],
                 webmap: dict[str, Any] | None = None, map_note: tuple[str, str] | None = None) -> str:
    """The report page, with the CJK web font it needs embedded."""
    env = environment()
    env.filters["fmt"] = _fmt
    env.filters["pct"] = _fmt_p
    html = env.get_template("batch_report.html.j2").render(
        lang=lang, version=yingji_version(), s=summary, figures=figures, drivers_first=drivers, first_plan=first,
        store_name=store_name, target_h=target_h, webmap=webmap, map_note=map_note,
        format_target=lambda row: format_target(row["target"], units.get(row["indicator"], "")),
        input_name=input_name,
        inputs_json=lambda d: json.dumps(d, ensure_ascii=False, sort_keys=True, default=_json_default),
    )
    return embed_cjk_font(html)


def _write_shared(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it, readable by all (mode 644)."""
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
