"""The folder ``yingji optimize size`` writes: ``plan.json`` (the sized plan, which ``yingji run
--plan`` and ``yingji batch --plan`` take), ``costs.csv`` (the costed additions),
``cost_probability.png``/``.svg`` (one point per iteration's plan), ``result.json`` (everything
the search found) and ``report.html`` (one self-contained page).

Everything is built in a scratch folder and moves into ``--out`` at once
(:func:`scenarios.reports.staging.staged_dir`); the simulation store already there is kept.
"""
from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from network.cells import DEFAULT_CSV_ENCODING
from network.checks import language
from network.costs import write_additions_csv
from network.fonts import use_cjk_font
from network.jsonsafe import json_safe
from scenarios.core.version import yingji_version
from scenarios.reports.html import data_uri, environment
from scenarios.reports.staging import staged_dir
from scenarios.reports.webfont import embed_cjk_font
from scenarios.reports.webmap import areas_map_context, plan_facility_layer
from scenarios.reports.webmap_areas import township_outcomes

from .search import SizingResult

#: the files of a sizing folder, report first
FILES = ("report.html", "plan.json", "costs.csv", "cost_probability.png", "cost_probability.svg", "result.json")


def sized_plan(result: SizingResult):
    """The result's plan named and annotated as the sized plan (what ``plan.json`` holds)."""
    names = [s["scenario"] for s in result.scenarios]
    meta = {**result.plan.meta, "sized_by": "yingji optimize size", "scenarios": names,
            "target_probability": result.target_probability, "targets": result.targets,
            "reached": result.reached, "horizon_cny": result.cost["horizon_cny"]}
    return replace(result.plan, name=f"sized-{'+'.join(names)}", meta=meta)


def curve_figure(result: SizingResult, lang: str) -> Figure:
    """Cost over the horizon (x) against P(targets met) with its Wilson interval (y), one point
    per iteration's plan; the asked probability dashed, the chosen plan ringed."""
    use_cjk_font()
    zh = language(lang) == "zh"
    fig = Figure(figsize=(7.2, 4.2), layout="constrained")
    ax = fig.add_subplot()
    xs = [c["horizon_cny"] / 1e6 for c in result.curve]
    ps = [c["probability"] for c in result.curve]
    lo = [c["probability"] - c["wilson_low"] for c in result.curve]
    hi = [max(0.0, min(c["scenarios"], key=lambda s: s["probability"])["wilson_high"] - c["probability"])
          for c in result.curve]
    ax.errorbar(xs, ps, yerr=[lo, hi], fmt="o-", color="#2e86c1", ecolor="#aed6f1", capsize=3, lw=1.2,
                label="各轮方案（95% Wilson 区间）" if zh else "each iteration's plan (95 % Wilson interval)")
    for c, x, p in zip(result.curve, xs, ps):
        ax.annotate(str(c["iteration"]), (x, p), textcoords="offset points", xytext=(5, -12), fontsize=8,
                    color="#566573")
    chosen = next((c for c in result.curve if c.get("chosen")), result.curve[-1])
    ax.plot([chosen["horizon_cny"] / 1e6], [chosen["probability"]], "o", ms=13, mfc="none", mec="#c0392b", mew=2,
            label="所选方案" if zh else "chosen plan")
    ax.axhline(result.target_probability, color="#c0392b", ls="--", lw=1,
               label=(f"要求概率 {result.target_probability:g}（区间下限）" if zh else
                      f"asked probability {result.target_probability:g} (interval's lower end)"))
    ax.set_xlabel(f"新增费用（百万元，{result.cost['horizon_years']:g} 年）" if zh else
                  f"cost of the additions (CNY million over {result.cost['horizon_years']:g} years)")
    ax.set_ylabel("目标全部达成的概率" if zh else "P(targets met)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(left=min(0.0, min(xs)) - 0.5)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8.5)
    return fig


#: the simulation store in the output folder (kept when the outputs are rewritten: a rerun resumes from it)
STORE_NAME = "sizing.sqlite"
STORE_FILES = (STORE_NAME, f"{STORE_NAME}-wal", f"{STORE_NAME}-shm", f"{STORE_NAME}-journal")


def write_sizing_outputs(result: SizingResult, out: Path, *, lang: str = "zh",
                         csv_encoding: str = DEFAULT_CSV_ENCODING) -> dict[str, Any]:
    """Write the sizing folder (module notes) into ``out``, costs.csv in ``csv_encoding``; returns
    what ``--json`` prints: the result as a dict with ``plan_file`` and ``files``."""
    out = Path(out)
    summary = json_safe(result.to_dict(plan_file=str(out / "plan.json")), infinity_as_text=True)
    summary["files"] = [str(out / f) for f in FILES]
    fig = curve_figure(result, lang)
    with staged_dir(out, keep=STORE_FILES) as tmp:
        sized_plan(result).to_json(tmp / "plan.json")
        write_additions_csv(tmp / "costs.csv", result.additions, csv_encoding)
        for ext in ("png", "svg"):
            fig.savefig(tmp / f"cost_probability.{ext}", dpi=120, metadata={"Software": None} if ext == "png" else
                        {"Date": None})
        (tmp / "result.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
        (tmp / "report.html").write_text(render_sizing_html(result, summary, tmp / "cost_probability.png", lang),
                                         encoding="utf-8")
    return summary


def _pct(x: Any) -> str:
    return "—" if x is None else f"{100 * float(x):.0f} %"


def _cny(x: Any) -> str:
    return "—" if x is None else f"{float(x):,.0f}"


def _num(x: Any, digits: int = 1) -> str:
    if x is None or (isinstance(x, str) and x != "inf"):
        return "—"
    v = float(x)
    return "∞" if math.isinf(v) else f"{v:,.{digits}f}"


def sizing_map(result: SizingResult, lang: str) -> tuple[dict[str, Any] | None, tuple[str, str] | None]:
    """The sizing report's map (:func:`scenarios.reports.webmap.areas_map_context`): the sized
    plan's facilities over the district's roads, new sites and sites added to ringed with what
    was added; townships coloured by the share of the sized plan's out-of-sample runs that
    relieved all their affected people in time (one scenario at a time, picked from a list,
    when there are several). None and why (zh, en) without the district's network."""
    net = result.network
    if net is None:
        return None, ("本结果未带路网（例如由 result.json 读回），故不显示地图。",
                      "The result carries no road network (read back from result.json, say), so there is no map.")
    plan = sized_plan(result)
    facilities = plan_facility_layer(plan, base=result.base_plan, additions=result.additions)
    names = list(net.zone_names or ())
    runs = list(result.township_runs) or [None] * len(result.scenarios)
    sets = []
    for sc, rows in zip(result.scenarios, runs):
        notes = [] if rows is not None else [[
            "结果库中的模拟未记录分乡镇受灾人数（由较早版本写入），乡镇未着色。",
            ("The stored simulations carry no people affected by township (written by an earlier yingji): the "
             "townships are not coloured.")]]
        sets.append({"label": sc["scenario"], "facilities": facilities, "notes": notes,
                     "townships": None if rows is None else township_outcomes(rows, names)})
    note = ["乡镇着色依据测算后方案在新抽取运行（样本外）中的结果。",
            "Townships are coloured from the sized plan's fresh (out-of-sample) runs."]
    return areas_map_context(net, lang, sets, notes=[note], pick=("情景", "scenario")), None


def render_sizing_html(result: SizingResult, summary: dict[str, Any], png: Path, lang: str) -> str:
    """The sizing report page (autoescaped, the figure embedded, CJK font subset; its only
    scripts are the map's, allowed by their hashes)."""
    env = environment()
    env.filters.update(pct=_pct, cny=_cny, num=_num)
    webmap, map_note = sizing_map(result, language(lang))
    html = env.get_template("sizing.html.j2").render(
        lang=language(lang), version=yingji_version(), r=summary, figure=data_uri(png), webmap=webmap, map_note=map_note,
        target_names={"relief_within_target": ("10 小时内获得基本生活救助", "basic relief within the target"),
                      "relief_p95_h": ("救助时间 P95", "relief time P95")})
    return embed_cjk_font(html)
