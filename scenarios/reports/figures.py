"""Figures of a scenario run and of a comparison (matplotlib; each saved as PNG and SVG).

- :func:`map_figure`: district base map, the hazard footprint at its peak, the plan's facilities
  by kind, supply routes the trucks drove, and the groups left unrelieved at the end;
- :func:`relief_time_figure`: share of affected people relieved against time since they were
  affected (ECDF, weighted by people) with the target line; people never relieved in the run are
  drawn as their own bar, not dropped;
- :func:`timeline_figure`: people affected / evacuated / sheltered / relieved over time;
- :func:`gantt_figure`: what every team was doing when (travel, on scene, ...);
- :func:`compare_relief_figure`, :func:`compare_maps_figure`: the same for several runs.

Figures are built on :class:`matplotlib.figure.Figure` (no pyplot state), so they are safe to
make from threads. Labels are Chinese (``lang="zh"``) or English (``lang="en"``).
"""
from __future__ import annotations

import math
import re
import textwrap
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

import shapely
from matplotlib import colormaps
from matplotlib.collections import LineCollection
from matplotlib.text import Annotation
from matplotlib.colors import BoundaryNorm, ListedColormap, LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch

from network.basemap import draw_district, draw_roads
from network.map_furniture import declutter, finish_map
from network.checks import language
from network.district import ILLUSTRATIVE_NOTE_EN, ILLUSTRATIVE_NOTE_ZH, District
from network.errors import InputError, NetworkError
from network.fonts import use_cjk_font
from network.hazard import FieldStyle, Footprint, Hazard, Zone
from network.model import RoadNetwork
from network.paths import shortest_path
from network.plan import Plan
from sim.result import RunResult

_T = {
    "zh": {
        "relief_title": "基本生活救助时间分布", "relief_x": "受灾后至获得基本生活救助的时间 (h)",
        "relief_y": "已获救助的受灾人员比例", "target": "目标", "within": "{h:g} h 内获得救助 {share}",
        "unrelieved": "未获救助", "people": "人", "no_affected": "本次模拟无受灾人员",
        "all_at": "全部 {n} 名受灾人员均在受灾后 {h} 小时获得基本生活救助",
        "timeline_title": "受灾、转移、安置与救助人数", "time_h": "模拟时间 (h)", "persons": "人数",
        "affected": "受灾", "evacuated": "已转移", "sheltered": "已安置（待救助）", "relieved": "已获基本生活救助",
        "gantt_title": "救援队伍任务甘特图", "team": "队伍", "travel": "前往现场", "scene": "现场处置",
        "return": "返回", "rest": "休整", "other": "其他任务", "no_teams": "方案中没有救援队伍",
        "blocked": "护送途中道路中断，与群众一同等待", "standby": "与驻地道路中断，就地待命", "idle_teams": "未出动：{names}", "no_calls": "本次模拟中没有队伍出动",
        "team_base": "救援队驻地", "warehouse": "物资储备库", "shelter_existing": "避难场所（现有）",
        "shelter_new": "避难场所（新增）", "route": "物资配送路线", "unrelieved_groups": "未获救助人员",
        "flood": "最大淹没水深 (m)", "burned": "林火过火区", "burning": "燃烧中", "release": "泄漏源",
        "hazard_nodes": "受灾害影响节点", "map_title": "灾害范围、设施与救助情况",
        "x": "东向距离 (km)", "y": "北向距离 (km)", "compare_relief_title": "基本生活救助时间分布对比",
    },
    "en": {
        "relief_title": "Time to basic relief", "relief_x": "time from being affected to basic relief (h)",
        "relief_y": "share of affected people relieved", "target": "target", "within": "relieved within {h:g} h: {share}",
        "unrelieved": "not relieved", "people": "people", "no_affected": "no one was affected in this run",
        "all_at": "all {n} affected people received basic relief {h} h after being affected",
        "timeline_title": "People affected, evacuated, sheltered and relieved", "time_h": "simulation time (h)",
        "persons": "people", "affected": "affected", "evacuated": "evacuated",
        "sheltered": "sheltered (awaiting relief)", "relieved": "basic relief received",
        "gantt_title": "Team activity", "team": "team", "travel": "travelling to scene", "scene": "on scene",
        "return": "returning", "rest": "resting", "other": "other work", "no_teams": "the plan has no teams",
        "blocked": "escorting, no road on: waiting with them", "standby": "cut off from base: on standby where it is", "idle_teams": "not called out: {names}", "no_calls": "no team was called out in this run",
        "team_base": "team base", "warehouse": "relief warehouse", "shelter_existing": "shelter (existing)",
        "shelter_new": "shelter (new)", "route": "supply route", "unrelieved_groups": "people not relieved",
        "flood": "maximum flood depth (m)", "burned": "burned area", "burning": "burning", "release": "release point",
        "hazard_nodes": "nodes hit by the hazard", "map_title": "Hazard footprint, facilities and relief",
        "x": "easting (km)", "y": "northing (km)", "compare_relief_title": "Time to basic relief, compared",
    },
}
_ACTIVITY_COLOUR = {"travel": "#f5b041", "blocked": "#5d6d7e", "standby": "#aab7b8", "scene": "#c0392b",
                    "return": "#85c1e9", "rest": "#bdc3c7"}
_OTHER_COLOUR = "#7d3c98"


def plain(text: str) -> str:
    """``text`` as literal matplotlib text: a ``$`` in a scenario name must not start mathtext."""
    return str(text).replace("$", r"\$")


def texts(lang: str) -> dict[str, str]:
    """The figure labels in ``lang`` ('zh' or 'en')."""
    return _T[language(lang)]


def _figure(w: float, h: float) -> Figure:
    """A constrained-layout figure (no pyplot state) with the CJK font set up."""
    use_cjk_font()
    return Figure(figsize=(w, h), layout="constrained")


def save_figure(fig, out_dir: Path, stem: str, *, dpi: int = 120) -> dict[str, Path]:
    """Save ``fig`` as ``stem.png`` and ``stem.svg`` in ``out_dir``; returns {file name: path}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for ext, meta in (("png", {"Software": None}), ("svg", {"Date": None})):  # no dates: same run, same file
        path = out_dir / f"{stem}.{ext}"
        fig.savefig(path, dpi=dpi, metadata=meta)
        written[path.name] = path
    return written


# ---------------------------------------------------------------------------------- relief times
@dataclass(frozen=True)
class ReliefSamples:
    """Relief times of the affected people of one run, in batches.

    ``hours[i]`` is the time from being affected to basic relief of ``people[i]`` people and
    ``left_h[i]`` the hours the run still had after they were affected; ``unrelieved`` people
    were affected but not relieved by the end of the run. ``group_people`` and ``group_left_h``
    give the same per affected group (the denominators of :meth:`share_within`).
    """

    hours: np.ndarray
    people: np.ndarray
    unrelieved: float
    affected: float
    left_h: np.ndarray
    group_people: np.ndarray
    group_left_h: np.ndarray

    def share_within(self, hours: float) -> float:
        """Share relieved within ``hours`` of the people whose deadline (affected + ``hours``)
        fell inside the run, as the run's indicator counts it (NaN when there are none)."""
        judged = self.group_people[self.group_left_h >= hours].sum()
        if judged <= 0:
            return math.nan
        return float(self.people[(self.hours <= hours) & (self.left_h >= hours)].sum() / judged)

    def ecdf(self) -> tuple[np.ndarray, np.ndarray]:
        """(sorted hours, share of affected people relieved by then)."""
        order = np.argsort(self.hours, kind="stable")
        return self.hours[order], np.cumsum(self.people[order]) / max(self.affected, 1e-300)


def relief_samples(result: Any) -> ReliefSamples:
    """Per-batch relief times of the affected people of a RunResult.

    Exact where a group carries its parties' relief records (``party_records[i]["relief"]``:
    ``[time_s, people]`` pairs). Otherwise from the event log: a party that got its full relief
    logs a ``relieved`` event with its time, and people relieved in part are placed at their
    group's last relief time, an upper bound (without an event log, every relieved person is).
    People told to shelter in place are left out, as in the indicator.
    """
    end_s = _duration_h(result) * 3600.0
    groups = {g["group"]: g for g in result.groups}
    hours, people, left = [], [], []
    full: Counter = Counter()
    for e in result.events:
        if e.get("event") != "relieved":
            continue
        g = groups.get(e.get("group"))
        if g is None or "party_records" in g or not math.isfinite(g["affected_s"]):
            continue
        hours.append(max(0.0, e["t_s"] - g["affected_s"]) / 3600.0)
        people.append(float(e["people"]))
        left.append((end_s - g["affected_s"]) / 3600.0)
        full[g["group"]] += e["people"]
    affected = unrelieved = 0.0
    g_people, g_left = [], []
    for g in result.groups:
        if not math.isfinite(g["affected_s"]):
            continue
        needing = g["people"] - _sheltering(g)
        affected += needing
        unrelieved += needing - g["relieved"]
        g_people.append(float(needing))
        g_left.append((end_s - g["affected_s"]) / 3600.0)
        if "party_records" in g:
            for q in g["party_records"]:
                for t, n in q.get("relief") or ():
                    hours.append(max(0.0, t - g["affected_s"]) / 3600.0)
                    people.append(float(n))
                    left.append(g_left[-1])
            continue
        rest = g["relieved"] - full[g["group"]]
        if rest > 0 and math.isfinite(g["relief_done_s"]):
            hours.append(max(0.0, g["relief_done_s"] - g["affected_s"]) / 3600.0)
            people.append(float(rest))
            left.append(g_left[-1])
    return ReliefSamples(np.asarray(hours, float), np.asarray(people, float), float(unrelieved), float(affected),
                         np.asarray(left, float), np.asarray(g_people, float), np.asarray(g_left, float))


def _sheltering(group: dict[str, Any]) -> int:
    """People of a group record told to shelter in place (not displaced: not in relief)."""
    return sum(q["people"] for q in group.get("party_records") or () if q.get("sheltering"))


def _target_h(result: Any) -> float:
    return float(result.kpis.get("relief_time", {}).get("target_h", 10.0))


def _duration_h(result: Any) -> float:
    d = result.params.get("duration_h")
    if d:
        return float(d)
    t = result.time_series.get("t_h") or [0.0]
    return float(max(t)) or 1.0


def _draw_ecdf(ax, samples: ReliefSamples, x_max: float, *, colour: str, label: str | None, lw: float = 2.0) -> float:
    """Step curve of the share relieved by time; returns the share relieved by the end."""
    h, share = samples.ecdf()
    xs = np.concatenate([[0.0], h, [x_max]])
    ys = np.concatenate([[0.0], share, [share[-1] if len(share) else 0.0]])
    ax.step(xs, ys, where="post", color=colour, lw=lw, label=label)
    return float(ys[-1])


def relief_time_figure(result: Any, *, lang: str = "zh", title: str | None = None):
    """Share of the affected people relieved against time since they were affected, with the
    target line; the people never relieved in the run are a hatched bar at the right. When there
    is no distribution to draw (nobody affected, or everyone relieved at one moment) the figure is
    the number itself, not a flat line."""
    t = texts(lang)
    s = relief_samples(result)
    moments = np.unique(np.round(s.hours, 2))
    if s.affected <= 0 or (len(moments) <= 1 and s.unrelieved <= 0):
        return _relief_card(s, moments, _target_h(result), t, title or t["relief_title"])
    return compare_relief_figure([("", result)], lang=lang, title=title or t["relief_title"])


def _relief_card(s: ReliefSamples, moments: np.ndarray, target: float, t: dict[str, str], title: str) -> Figure:
    """The relief figure as one line of text: the share within the target and when it came."""
    fig = _figure(9, 2.2)
    ax = fig.add_subplot()
    ax.set_axis_off()
    if s.affected <= 0:
        big, small = t["no_affected"], ""
    else:
        big = t["within"].format(h=target, share=f"{s.share_within(target):.1%}")
        small = t["all_at"].format(n=f"{s.affected:,.0f}", h=f"{float(moments[0]) if len(moments) else 0.0:.1f}")
    ax.text(0.5, 0.62, plain(big), ha="center", va="center", fontsize=20, transform=ax.transAxes)
    if small:
        ax.text(0.5, 0.22, plain(small), ha="center", va="center", fontsize=11, color="#555555", transform=ax.transAxes)
    ax.set_title(plain(title), fontsize=12)
    return fig


def compare_relief_figure(labelled: Sequence[tuple[str, Any]], *, lang: str = "zh", title: str | None = None):
    """Relief-time ECDFs of several runs overlaid, each run's unrelieved share as its own bar."""
    t = texts(lang)
    if not labelled:
        raise InputError("compare: no runs to draw")
    fig = _figure(9, 5.2)
    ax = fig.add_subplot()
    colours = [f"C{i % 10}" for i in range(len(labelled))]
    x_max = max(max(_duration_h(r) for _, r in labelled), _target_h(labelled[0][1]) * 1.2)
    target = _target_h(labelled[0][1])
    n = len(labelled)
    bar_w = x_max * 0.1 / n
    bar_x0 = x_max * 1.03
    empty = []
    for i, ((label, result), colour) in enumerate(zip(labelled, colours)):
        s = relief_samples(result)
        if s.affected <= 0:
            empty.append(f"{plain(label)}: {t['no_affected']}" if label else t["no_affected"])
            continue
        miss = s.unrelieved / s.affected
        line = (t["within"].format(h=target, share=f"{s.share_within(target):.1%}")
                + f" · {t['unrelieved']} {s.unrelieved:,.0f} {t['people']} ({miss:.1%})")
        top = _draw_ecdf(ax, s, x_max, colour=colour, label=f"{plain(label)}: {line}" if label else line)
        ax.bar(bar_x0 + (i + 0.5) * bar_w, miss, width=bar_w * 0.9, bottom=top, color=colour, alpha=0.35,
               hatch="//", edgecolor=colour, align="center")
    ax.axvline(target, color="#c0392b", ls="--", lw=1.5)
    ax.text(target, 1.01, f"{t['target']} {target:g} h", color="#c0392b", ha="center", va="bottom",
            transform=ax.get_xaxis_transform(), fontsize=10)
    ax.axvspan(x_max, x_max * 1.16, color="#f2f3f4", zorder=0)
    ax.set_xlim(0, x_max * 1.16)
    ax.set_ylim(0, 1.0)
    ticks = [v for v in ax.get_xticks() if 0 <= v <= x_max]
    ax.set_xticks(ticks + [bar_x0 + n * bar_w / 2])
    ax.set_xticklabels([f"{v:g}" for v in ticks] + [t["unrelieved"]])
    ax.yaxis.set_major_formatter("{x:.0%}")
    ax.set_xlabel(t["relief_x"])
    ax.set_ylabel(t["relief_y"])
    ax.grid(alpha=0.3)
    if empty:
        ax.text(0.5, 0.5, "\n".join(empty), ha="center", va="center", transform=ax.transAxes, fontsize=10)
    if len(empty) < n:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=9, frameon=False)
    ax.set_title(plain(title) if title else t["compare_relief_title"], fontsize=12, pad=16)
    return fig


# ---------------------------------------------------------------------------------- time series
def timeline_figure(result: Any, *, lang: str = "zh", title: str | None = None):
    """People affected, evacuated, sheltered (awaiting relief) and relieved over the run."""
    t = texts(lang)
    ts = result.time_series
    hours = np.asarray(ts.get("t_h", []), float)
    fig = _figure(9, 4.8)
    ax = fig.add_subplot()
    styles = (("affected", "#7d3c98", "-"), ("evacuated", "#2874a6", "-"), ("sheltered", "#f39c12", "--"),
              ("relieved", "#27ae60", "-"))
    for key, colour, ls in styles:
        if key in ts and len(ts[key]) == len(hours):
            ax.plot(hours, ts[key], color=colour, ls=ls, lw=2, label=t[key])
    ax.set_xlabel(t["time_h"])
    ax.set_ylabel(t["persons"])
    ax.yaxis.set_major_formatter("{x:,.0f}")
    if len(hours):
        ax.set_xlim(0, max(hours.max(), 1e-9))
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    _mark_ran_out(ax, result, lang)
    ax.legend(loc="center right", fontsize=9)
    ax.set_title(plain(title) if title else t["timeline_title"], fontsize=12)
    return fig


def _ran_out_phrase(r: dict[str, Any], lang: str) -> str:
    """What it means for this resource to 'run out': roads are cut, fleets and teams all busy,
    stocks and places used up."""
    name = r["zh"] if lang == "zh" else r["en"]
    if r["resource"] == "roads":
        return "首条道路中断" if lang == "zh" else "first road cut"
    if r["resource"] in ("rescue_teams", "boats", "trucks"):
        return f"{name}全部在用，需求开始排队" if lang == "zh" else f"all {name} busy: calls queue"
    return f"{name}用尽" if lang == "zh" else f"{name} ran out"


def _mark_ran_out(ax, result: Any, lang: str) -> None:
    """A dotted line where each resource ran out or was first blocked (``kpis.shortfall``), labelled
    with its name and the people it still held back at the end, so a flat stretch of the relieved
    line says why."""
    resources = (getattr(result, "kpis", {}) or {}).get("shortfall", {}).get("resources", [])
    held = [r for r in resources if r.get("ran_out_h") is not None and math.isfinite(r["ran_out_h"])]
    x1 = ax.get_xlim()[1]
    for k, r in enumerate(sorted(held, key=lambda r: r["ran_out_h"])):
        x = float(r["ran_out_h"])
        if not 0 <= x <= x1:
            continue
        ax.axvline(x, color="#7b241c", ls=":", lw=1.2, zorder=1)
        n = r.get("people_held_back", 0)
        label = _ran_out_phrase(r, lang) + ((f"（{n:,} 人至结束仍因此未获救助）" if lang == "zh"
                                             else f" ({n:,} still held back at the end)") if n else "")
        ax.annotate(plain(label), xy=(x, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -12 - 11 * (k % 4)),
                    textcoords="offset points", fontsize=7.5, color="#7b241c", ha="left", va="top",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})


# ---------------------------------------------------------------------------------- team activity
def team_activity(result: Any) -> dict[str, list[dict[str, Any]]]:
    """Each team's activity bars ``{"start_s", "end_s", "kind", "request"}``.

    Uses ``teams[i]["activity"]`` when the result carries it; otherwise derives travel
    (dispatch → arrive) and on-scene work (arrive → done) from the event log. Work still open at
    the end of the run ends there.
    """
    teams = [tm["team"] for tm in result.teams]
    if any("activity" in tm for tm in result.teams):
        return {tm["team"]: [dict(a) for a in tm.get("activity", [])] for tm in result.teams}
    end = _duration_h(result) * 3600.0
    out: dict[str, list[dict[str, Any]]] = {tm: [] for tm in teams}
    open_: dict[tuple[str, Any], tuple[str, float]] = {}
    for e in result.events:
        ev, team = e.get("event"), e.get("team")
        if team is None or ev not in ("dispatch", "arrive", "done"):
            continue
        key = (team, e.get("id"))
        if ev in ("arrive", "done") and key in open_:
            kind, start = open_.pop(key)
            out.setdefault(team, []).append({"start_s": start, "end_s": e["t_s"], "kind": kind, "request": e.get("id")})
        if ev == "dispatch":
            open_[key] = ("travel", e["t_s"])
        elif ev == "arrive":
            open_[key] = ("scene", e["t_s"])
    for (team, req), (kind, start) in open_.items():
        out.setdefault(team, []).append({"start_s": start, "end_s": end, "kind": kind, "request": req})
    return out


def team_label(team_id: str, plan: Plan | None, lang: str) -> str:
    """A team as a person names it (:meth:`network.plan.Plan.squad_names`) in ``lang``; the id
    itself without a plan."""
    if plan is None:
        return team_id
    zh, en = plan.squad_names(team_id)
    return zh if lang == "zh" else en


def gantt_figure(result: Any, *, lang: str = "zh", title: str | None = None, plan: Plan | None = None):
    """One row per team that was called out, a bar per activity, coloured by kind; the teams never
    called out are named under the chart instead of as empty rows. With ``plan``, rows carry the
    bases' names."""
    t = texts(lang)
    act = {name: bars for name, bars in team_activity(result).items() if bars}
    idle = [name for name in team_activity(result) if name not in act]
    names = list(act)
    n = len(names)
    fig = _figure(11, min(2.6 + 0.3 * max(n, 1), 60))
    ax = fig.add_subplot()
    end_h = _duration_h(result)
    if not n:
        ax.text(0.5, 0.5, t["no_teams"] if not idle else t["no_calls"], ha="center", va="center",
                transform=ax.transAxes)
    kinds_seen: list[str] = []
    for row, name in enumerate(names):
        by_kind: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for a in act[name]:
            s, e = float(a["start_s"]) / 3600.0, float(a["end_s"]) / 3600.0
            if e > s:
                by_kind[str(a["kind"])].append((s, e - s))
        for kind, spans in by_kind.items():
            ax.broken_barh(spans, (row - 0.4, 0.8), facecolors=_ACTIVITY_COLOUR.get(kind, _OTHER_COLOUR), linewidth=0)
            if kind not in kinds_seen:
                kinds_seen.append(kind)
    ax.set_yticks(range(n))
    ax.set_yticklabels([plain(team_label(x, plan, lang)) for x in names], fontsize=7 if n > 30 else 8)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(0, end_h)
    ax.set_xlabel(t["time_h"])
    ax.set_ylabel(t["team"])
    ax.grid(axis="x", alpha=0.3)
    order = [k for k in _ACTIVITY_COLOUR if k in kinds_seen] + [k for k in kinds_seen if k not in _ACTIVITY_COLOUR]
    labels = {t.get(k, k): k for k in reversed(order)}        # one entry per label (waits out and back share one)
    handles = [Patch(color=_ACTIVITY_COLOUR.get(k, _OTHER_COLOUR), label=lab) for lab, k in
               sorted(labels.items(), key=lambda item: order.index(item[1]))]
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.08 - 0.4 / max(n, 4)),
                  ncol=len(handles), fontsize=9, frameon=False)
    if idle and n:
        shown = [team_label(x, plan, lang) for x in idle]
        listed = "、".join(shown) if lang == "zh" else "; ".join(shown)
        line = t["idle_teams"].format(names=listed)
        width = 80 if lang == "zh" else 160     # characters a line, CJK glyphs being twice as wide
        # supxlabel: constrained layout keeps it below the legend instead of over it
        fig.supxlabel(plain("\n".join(textwrap.wrap(line, width))), fontsize=7.5, color="#555555", x=0.01,
                      ha="left")
    ax.set_title(plain(title) if title else t["gantt_title"], fontsize=12)
    return fig


# ---------------------------------------------------------------------------------- map
def draw_field(ax, field, style: FieldStyle, *, vmax: float | None = None, alpha: float = 0.8):
    """Draw a hazard's raster as its style says (categories, or a capped or logarithmic scale)."""
    ext = [v / 1000.0 for v in field.extent]
    vals = np.asarray(field.values, float)
    if style.classes:
        codes = [c.value for c in style.classes]
        shown = np.where(np.isin(vals, codes), vals, np.nan)
        cmap = ListedColormap([c.colour for c in style.classes])
        norm = BoundaryNorm([codes[0] - 0.5] + [c + 0.5 for c in codes], len(codes))
        return ax.imshow(shown, origin="lower", extent=ext, cmap=cmap, norm=norm, zorder=8, alpha=alpha,
                         interpolation="nearest")
    shown = np.where(vals > style.threshold, vals, np.nan)
    if style.bands:
        return _draw_bands(ax, shown, ext, style, alpha)
    peak = float(np.nanmax(shown)) if np.isfinite(shown).any() else 1.0
    top = vmax if vmax is not None else peak
    if style.cap is not None:
        top = max(0.5, min(top, style.cap))
    if style.log:
        norm = LogNorm(vmin=max(1e-2, top * 1e-4), vmax=max(top, 1e-1))
        return ax.imshow(shown, origin="lower", extent=ext, cmap=style.cmap, norm=norm, zorder=8, alpha=alpha)
    return ax.imshow(shown, origin="lower", extent=ext, cmap=style.cmap, vmin=0, vmax=top, zorder=8, alpha=alpha)


def _draw_bands(ax, shown: np.ndarray, ext: list[float], style: FieldStyle, alpha: float):
    """A field in discrete bands: threshold .. bands[0] .. bands[-1] .. open top."""
    edges = [style.threshold, *style.bands]
    top = max(float(np.nanmax(shown)) if np.isfinite(shown).any() else 0.0, edges[-1] * 1.5)
    edges.append(top)
    colours = colormaps[style.cmap](np.linspace(0.3, 0.95, len(edges) - 1))
    norm = BoundaryNorm(edges, len(edges) - 1)
    im = ax.imshow(np.clip(shown, None, top), origin="lower", extent=ext, cmap=ListedColormap(colours), norm=norm,
                   zorder=8, alpha=alpha, interpolation="nearest")
    im.yingji_bands = edges      # for the colour bar's ticks (see add_colorbar)
    return im


def add_colorbar(fig, im, ax, label: str, **kw):
    """A colour bar for ``im``; a banded field gets its band edges as ticks, the open top as '>'."""
    bar = fig.colorbar(im, ax=ax, label=label, **kw)
    edges = getattr(im, "yingji_bands", None)
    if edges is not None:
        bar.set_ticks(edges[:-1])
        bar.set_ticklabels([f"{e:g}" for e in edges[:-1]])
    return bar


def wind_arrow(ax, hazard: Any, time_s: float, lang: str) -> list:
    """An arrow in the map's upper left showing where the wind blows (for hazards that have a
    wind: a plume, a fire), with its speed; [] for others. Returns the artists drawn."""
    wind_at = getattr(hazard, "wind_at", None)
    if wind_at is None:
        return []
    speed, from_deg = wind_at(time_s)
    to = math.radians((from_deg + 180.0) % 360.0)      # compass: 0 north, clockwise
    dx, dy = 0.07 * math.sin(to), 0.07 * math.cos(to)
    cx, cy = 0.1, 0.86
    arrow = ax.annotate("", xy=(cx + dx, cy + dy), xytext=(cx - dx, cy - dy), xycoords="axes fraction", zorder=20,
                        arrowprops={"arrowstyle": "-|>", "color": "#1f618d", "lw": 2.2})
    label = f"风 {speed:.1f} m/s" if lang == "zh" else f"wind {speed:.1f} m/s"
    text = ax.text(cx, cy - 0.1, label, transform=ax.transAxes, ha="center", va="top", fontsize=9, color="#1f618d",
                   zorder=20, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})
    return [arrow, text]


def _draw_zone(ax, zone: Zone) -> None:
    """Fill a zone's polygons, stroke its lines, dot its points (map units: km)."""
    for g in shapely.get_parts(zone.geometry):
        if isinstance(g, shapely.Polygon):
            xy = np.asarray(g.exterior.coords) / 1000.0
            ax.fill(xy[:, 0], xy[:, 1], facecolor=zone.colour, edgecolor="#555555", lw=0.5, alpha=0.55, zorder=8)
        elif isinstance(g, shapely.LineString):
            xy = np.asarray(g.coords) / 1000.0
            ax.plot(xy[:, 0], xy[:, 1], color=zone.colour, lw=1.6, zorder=9)
        elif isinstance(g, shapely.Point):
            ax.scatter([g.x / 1000.0], [g.y / 1000.0], s=3, c=zone.colour, zorder=8, alpha=0.6, linewidths=0)


def _ring_if_small(ax, fp: Footprint, net: RoadNetwork) -> None:
    """A footprint of a few hectares is a speck at district scale: ring it so it can be found."""
    geoms = [z.geometry for z in fp.zones if z.geometry is not None and not z.geometry.is_empty]
    if not geoms:
        return
    union = shapely.union_all(geoms)
    area_km2 = float(union.area) / 1e6
    if union.area == 0 or area_km2 > 1e-3 * float(np.ptp(net.x) * np.ptp(net.y)) / 1e6:
        return
    minx, miny, maxx, maxy = union.bounds
    cx, cy = (minx + maxx) / 2000.0, (miny + maxy) / 2000.0
    r_km = max(np.hypot(maxx - minx, maxy - miny) / 2000.0 * 1.3, 0.6)
    ax.add_patch(Circle((cx, cy), r_km, fill=False, ec=fp.zones[-1].colour, lw=1.8, ls="--", zorder=9))


def _zone_handles(zones: Sequence[Zone], lang: str) -> list:
    """Legend entries of a footprint's zones, with the area where the zone reports one."""
    handles = []
    for z in zones:
        label = z.label(lang)
        if "area_ha" in z.properties:
            label = f"{label} {z.properties['area_ha']:,.1f} ha"
        patch = Patch(facecolor=z.colour, alpha=0.55, label=label)
        patch.yingji_key = z.label(lang)   # the entry without this run's area (a legend shared by runs)
        handles.append(patch)
    return handles


#: the unit in a field style's label: ``m`` in "flood depth (m)", ``ppm`` in "ground concentration (ppm) in ..."
_UNIT = re.compile(r"[(（]\s*([^()（）,，;；]+?)\s*[,，;；)）]")


def band_handles(style: FieldStyle, lang: str, *, alpha: float = 0.8) -> list:
    """Legend entries of a banded field (:func:`_draw_bands`'s colours): a heading with the
    style's label, then one swatch a band, ``0.5–1.5 m`` ... ``≥ 3 m`` for the open top."""
    edges = [style.threshold, *style.bands]
    colours = colormaps[style.cmap](np.linspace(0.3, 0.95, len(edges)))   # as drawn, whatever the field's top
    m = _UNIT.search(style.label(lang))
    unit = f" {m.group(1)}" if m else ""
    labels = [f"{a:g}–{b:g}{unit}" for a, b in pairwise(edges)] + [f"≥ {edges[-1]:g}{unit}"]
    heading = Patch(facecolor="none", edgecolor="none", label=style.label(lang))
    return [heading] + [Patch(facecolor=c, alpha=alpha, label=lab) for c, lab in zip(colours, labels)]


def draw_hazard(ax, hazard: Hazard, net: RoadNetwork, duration_s: float, *, lang: str = "zh", fig=None) -> list:
    """Draw the hazard's footprint over the run (sampled hourly): its peak field when it has one
    (with ``fig``, under a colour bar; without, a banded field's bands are legend entries), else
    its zones; a small footprint is ringed; a source is starred. Returns legend handles for it."""
    times = np.linspace(0.0, duration_s, max(2, int(duration_s // 3600) + 1))
    fp = hazard.footprint(times)
    handles: list = []
    if fp.field is not None and fp.style is not None:
        im = draw_field(ax, fp.field, fp.style, alpha=0.85 if fp.style.classes else 0.8)
        if fp.style.classes:
            handles += _zone_handles(fp.zones, lang)
            _ring_if_small(ax, fp, net)
        elif fig is not None:
            add_colorbar(fig, im, ax, fp.style.label(lang), shrink=0.5)
        elif fp.style.bands:  # maps side by side share no colour bar: the bands go in the legend
            handles += band_handles(fp.style, lang)
        else:  # a continuous scale without its bar: name the layer
            handles.append(Patch(color=colormaps[fp.style.cmap](0.7), alpha=0.8, label=fp.style.label(lang)))
    else:
        for z in fp.zones:
            _draw_zone(ax, z)
        handles += _zone_handles(fp.zones, lang)
        _ring_if_small(ax, fp, net)
    if fp.source_xy is not None:
        sx, sy = fp.source_xy
        ax.scatter([sx / 1000.0], [sy / 1000.0], marker="*", s=220, c="#7b241c", edgecolors="white", zorder=12)
        label = fp.source_label_zh if lang == "zh" else fp.source_label_en
        handles.append(Line2D([], [], marker="*", ls="none", markersize=12, color="#7b241c", label=label))
    return handles


def supply_routes(result: RunResult, plan: Plan, net: RoadNetwork) -> list[tuple[np.ndarray, int]]:
    """Road routes (node arrays) of the truck runs in the event log, with their trip counts."""
    w_node = {w.id: int(w.node) for w in plan.warehouses}
    s_node = {s.id: int(s.node) for s in plan.shelters}
    trips: Counter = Counter()
    for e in result.events:
        w = w_node.get(e.get("warehouse"))
        if w is None:
            continue
        if e.get("event") == "truck_load" and e.get("shelter") in s_node:
            trips[(w, s_node[e["shelter"]])] += 1
        elif e.get("event") == "truck_load_in_place" and e.get("node") is not None:  # kits to people at home
            trips[(w, int(e["node"]))] += 1
    routes = []
    for (a, b), count in sorted(trips.items()):
        if a == b:
            continue
        try:
            routes.append((shortest_path(net, a, b).nodes, count))
        except NetworkError:  # no road between them on the free-flow network: nothing to draw
            continue
    return routes


def _unrelieved_groups(result: RunResult) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and head counts of the affected groups not (fully) relieved by the end."""
    nodes, people = [], []
    for g in result.groups:
        if math.isfinite(g["affected_s"]) and g["people"] > g["relieved"]:
            nodes.append(int(g["node"]))
            people.append(float(g["people"] - g["relieved"]))
    return np.asarray(nodes, np.int64), np.asarray(people, float)


def draw_run_map(ax, district: District | RoadNetwork, hazards: Sequence[Hazard], plan: Plan, result: RunResult, *,
                 lang: str = "zh", fig=None, legend: bool = True, hazard_legend: bool = True) -> list[list]:
    """Base map, hazard footprints, supply routes, unrelieved people and the plan's facilities.
    Returns each hazard's legend handles; with ``hazard_legend`` False they are not drawn on the
    map (the caller draws one legend for several maps)."""
    t = texts(lang)
    net = district.network if isinstance(district, District) else district
    if isinstance(district, District):
        draw_district(ax, district, lang=lang, show_facilities=False)
    else:
        draw_roads(ax, net, lang=lang)  # an OSM/GraphML network: roads only, no terrain or towns
    duration_s = _duration_h(result) * 3600.0
    per_hazard = [draw_hazard(ax, h, net, duration_s, lang=lang, fig=fig) for h in hazards]
    hazard_handles = [x for hs in per_hazard for x in hs]
    if hazard_handles and hazard_legend:  # its own box, so it stays when the main legend is drawn (or moved to the figure)
        ax.add_artist(ax.legend(handles=hazard_handles, loc="upper left", fontsize=8, framealpha=0.85))
    routes = supply_routes(result, plan, net)
    if routes:
        segs = [np.column_stack([net.x[r], net.y[r]]) / 1000.0 for r, _ in routes]
        widths = [1.2 + 0.8 * math.log1p(c) for _, c in routes]
        ax.add_collection(LineCollection(segs, colors="#8e44ad", linewidths=widths, alpha=0.85, zorder=9,
                                         label=t["route"]))
    nodes, people = _unrelieved_groups(result)
    if len(nodes):
        ax.scatter(net.x[nodes] / 1000.0, net.y[nodes] / 1000.0, s=6 + 3 * np.sqrt(people), facecolors="none",
                   edgecolors="#e60000", linewidths=1.0, zorder=10, label=t["unrelieved_groups"])
    bases = list(plan.team_bases)
    if bases:
        b = np.array([x.node for x in bases])
        ax.scatter(net.x[b] / 1000.0, net.y[b] / 1000.0, marker="P", s=90, c="#2c3e50", edgecolors="white",
                   linewidths=0.8, zorder=12, label=t["team_base"])
    whs = list(plan.warehouses)
    if whs:
        w = np.array([x.node for x in whs])
        ax.scatter(net.x[w] / 1000.0, net.y[w] / 1000.0, marker="s", s=80, c="#8e44ad", edgecolors="white",
                   linewidths=0.8, zorder=12, label=t["warehouse"])
    for existing in (True, False):
        sh = [s for s in plan.shelters if s.existing == existing]
        if sh:
            n = np.array([s.node for s in sh])
            cap = np.array([float(s.capacity) for s in sh])
            ax.scatter(net.x[n] / 1000.0, net.y[n] / 1000.0, marker="o", s=25 + 60 * np.sqrt(cap / max(cap.max(), 1.0)),
                       facecolors="#2874a6" if existing else "#48c9b0", edgecolors="white", linewidths=0.8,
                       zorder=12, label=t["shelter_existing"] if existing else t["shelter_new"])
    if legend:
        ax.legend(loc="lower right", fontsize=7.5, framealpha=0.85, ncol=2)
    finish_map(ax, net.crs, lang=lang)
    return per_hazard


def _map_title(district: District | RoadNetwork, lang: str, heading: str) -> str:
    """The heading, with the illustrative-model note on a district model's map."""
    if isinstance(district, District):
        return f"{heading}\n{ILLUSTRATIVE_NOTE_ZH if lang == 'zh' else ILLUSTRATIVE_NOTE_EN}"
    return heading


def map_figure(district: District | RoadNetwork, hazards: Sequence[Hazard], plan: Plan, result: RunResult, *,
               lang: str = "zh", title: str | None = None) -> Figure:
    """The run's map: hazard footprint at its peak, facilities, supply routes, unrelieved people."""
    t = texts(lang)
    fig = _figure(10, 10.5)
    ax = fig.add_subplot()
    draw_run_map(ax, district, hazards, plan, result, lang=lang, fig=fig)
    ax.set_title(_map_title(district, lang, plain(title) if title else t["map_title"]), fontsize=12)
    return fig


def compare_maps_figure(maps: Sequence[tuple[str, Any, Sequence[Any], Any, Any]], *, lang: str = "zh"):
    """Maps of several runs, one per ``(label, district, hazards, plan, result)``, two a row at
    full width: each plan's new sites ringed and named, one legend of facilities, one of the
    hazards (a flood's depth bands, threat zones, burned area: the maps share their scales) and
    one of the base map for all of them. What is one run's own (a burned area in ha) stays in a
    small legend on its map."""
    if not maps:
        raise InputError("compare: no runs to draw")
    t = texts(lang)
    n = len(maps)
    ncols = min(n, 2)              # three a row left each map too small to read
    nrows = math.ceil(n / ncols)
    fig = _figure(8.2 * ncols, 8.6 * nrows + 1.4)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    seen: dict[str, Any] = {}
    hazard_groups: list[list] = []
    for ax, (label, district, hazards, plan, result) in zip(axes, maps):
        per_hazard = draw_run_map(ax, district, hazards, plan, result, lang=lang, fig=None, legend=False,
                                  hazard_legend=False)
        _shared_hazard_handles(ax, per_hazard, hazard_groups)
        net = district.network if isinstance(district, District) else district
        mark_new_sites(ax, net, plan, lang)
        ax.set_title(plain(label), fontsize=12)
        for handle, text in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(text, handle)  # one legend for all maps: a new site may be on one map only
    for ax in axes[n:]:
        ax.set_visible(False)
    _compare_legends(fig, seen, t, hazard_groups)
    if isinstance(maps[0][1], District):
        fig.suptitle(ILLUSTRATIVE_NOTE_ZH if lang == "zh" else ILLUSTRATIVE_NOTE_EN, fontsize=10)
    return fig


#: how a plan's new sites (``existing == False``) are marked over their own symbol
_NEW_SITE_COLOUR = "#e67e22"
_NEW_SITE_LABEL = {"zh": "新增设施（本预案新建或启用）", "en": "new site (added by this plan)"}


def new_sites(plan: Plan) -> list[Any]:
    """The plan's team bases, warehouses and shelters that are not today's (``existing`` False)."""
    return [it for items in (plan.team_bases, plan.warehouses, plan.shelters) for it in items if not it.existing]


def mark_new_sites(ax, net: RoadNetwork, plan: Plan, lang: str) -> list[Annotation]:
    """Ring each of the plan's new sites and name it, the names placed clear of each other and of
    the map's other text (:func:`network.map_furniture.declutter`). Returns the name labels."""
    sites = new_sites(plan)
    if not sites:
        return []
    limits = ax.get_xlim(), ax.get_ylim()   # the scale bar was sized to these: marks must not widen them
    xs = np.array([net.x[it.node] for it in sites]) / 1000.0
    ys = np.array([net.y[it.node] for it in sites]) / 1000.0
    ax.scatter(xs, ys, marker="o", s=380, facecolors="none", edgecolors=_NEW_SITE_COLOUR, linewidths=2.4, zorder=13)
    # the legend's entry: the ring at the size of the other symbols, not the map's
    ax.plot([], [], marker="o", ls="none", ms=11, mfc="none", mec=_NEW_SITE_COLOUR, mew=2.2, label=_NEW_SITE_LABEL[lang])
    labels = [ax.annotate(plain(_short_name(it.name_zh if lang == "zh" else it.name_en)), (x, y), xytext=(6, 6),
                          textcoords="offset points", fontsize=8.5, zorder=14, color="#6e2c00",
                          bbox={"boxstyle": "round,pad=0.18", "fc": "white", "ec": _NEW_SITE_COLOUR, "alpha": 0.9})
              for it, x, y in zip(sites, xs, ys)]
    declutter(ax, labels)
    ax.set_xlim(*limits[0])
    ax.set_ylim(*limits[1])
    return labels


def _short_name(name: str) -> str:
    """A site's name without its closing bracket (``… (Liyang Town)``): the map shows where it is,
    and the shorter name crowds the township names less."""
    return _TRAILING_BRACKET.sub("", name) or name


_TRAILING_BRACKET = re.compile(r"\s*[（(][^（）()]*[)）]\s*$")


def _shared_hazard_handles(ax, per_hazard: Sequence[Sequence[Any]], groups: list[list]) -> None:
    """Add one map's hazard legend entries to ``groups`` (one group a hazard, the same hazard on
    several maps once). An entry carrying this run's own figure (``yingji_key``: a burned area's
    ha) goes in the shared legend without it, and stays with it in a small legend on the map."""
    own = []
    for handles in per_hazard:
        shared = []
        for h in handles:
            key = getattr(h, "yingji_key", None)
            if key is not None and key != h.get_label():
                own.append(h)
                h = Patch(facecolor=h.get_facecolor(), edgecolor=h.get_edgecolor(), label=key)
            shared.append(h)
        if shared:
            _merge_group(groups, shared)
    if own:
        ax.add_artist(ax.legend(handles=own, loc="upper left", fontsize=8, framealpha=0.85))


def _merge_group(groups: list[list], new: list) -> None:
    """Add one map's entries of a hazard to ``groups``: into the group that has any of its entries
    (a plume that reached AEGL-3 on one map only), each missing entry after the one it follows
    on its own map; else as a group of its own."""
    labels = [h.get_label() for h in new]
    layers = {h.get_label() for h in new if isinstance(h, Patch)}   # not a source's star: two plumes share it
    for g in groups:
        have = [h.get_label() for h in g]
        if not layers & {h.get_label() for h in g if isinstance(h, Patch)}:
            continue
        for i, h in enumerate(new):
            if labels[i] in have:
                continue
            after = [k for k, x in enumerate(have) if i and x == labels[i - 1]]
            before = [have.index(x) for x in labels[i + 1:] if x in have]
            pos = after[0] + 1 if after else (before[0] if before else len(have))
            g.insert(pos, h)
            have.insert(pos, labels[i])
        return
    groups.append(list(new))


def _hazard_legend(fig: Figure, groups: Sequence[Sequence[Any]], t: dict[str, str]) -> None:
    """The hazards of all maps in one legend under them, a column a hazard (a banded field under
    its heading)."""
    if not groups:
        return
    rows = max(len(g) for g in groups)
    blank = Patch(facecolor="none", edgecolor="none", label=" ")
    handles = [h for g in groups for h in [*g, *[blank] * (rows - len(g))]]   # columns fill top to bottom
    fig.legend(handles, [h.get_label() for h in handles], loc="outside lower center", ncol=len(groups),
               fontsize=8.5, title="灾害" if t is _T["zh"] else "hazard", title_fontsize=9.5)


def _compare_legends(fig: Figure, seen: dict[str, Any], t: dict[str, str],
                     hazards: Sequence[Sequence[Any]] = ()) -> None:
    """Under the maps: the facilities and what the run did (routes, people not relieved), the
    hazards, then the base map's layers, each its own legend so the facilities are found at a
    glance."""
    ours = {t["team_base"], t["warehouse"], t["shelter_existing"], t["shelter_new"], t["route"],
            t["unrelieved_groups"], *_NEW_SITE_LABEL.values()}
    facilities = {k: v for k, v in seen.items() if k in ours}
    base = {k: v for k, v in seen.items() if k not in ours}
    title = "设施与救助" if t is _T["zh"] else "facilities and relief"
    # side by side under the maps (constrained layout stacks nothing in one corner: two centred legends overlap)
    if facilities:
        fig.legend(list(facilities.values()), list(facilities), loc="outside lower left",
                   ncol=min(3, len(facilities)), fontsize=9, title=title, title_fontsize=9.5)
    if base:
        fig.legend(list(base.values()), list(base), loc="outside lower right", ncol=min(3, len(base)), fontsize=8,
                   title="底图" if t is _T["zh"] else "base map", title_fontsize=9)
    _hazard_legend(fig, hazards, t)


# ---------------------------------------------------------------------------------- plan map
#: how each facility layer is drawn: plan attribute, marker, colour, Chinese and English name
_PLAN_MAP_STYLES = (("team_bases", "P", "#c0392b", "救援队驻地", "team base"),
               ("warehouses", "s", "#8e44ad", "物资储备库", "relief warehouse"),
               ("shelters", "o", "#2874a6", "避难场所", "shelter"))


def _draw_facilities(ax, net: RoadNetwork, items: Sequence[Any], style: tuple[str, ...], existing: bool,
                     lang: str) -> None:
    """One layer's existing (hollow) or new (filled, labelled) facilities on the map."""
    _, marker, colour, zh, en = style
    sel = [it for it in items if it.existing == existing]
    if not sel:
        return
    xy = [(net.x[it.node] / 1000.0, net.y[it.node] / 1000.0) for it in sel]
    xs, ys = zip(*xy)
    tag = ("现有" if existing else "新增") if lang == "zh" else ("existing" if existing else "new")
    label = f"{zh}（{tag}）" if lang == "zh" else f"{en} ({tag})"
    if existing:
        ax.scatter(xs, ys, marker=marker, s=70, facecolors="white", edgecolors=colour, linewidths=1.6,
                   zorder=12, label=label)
        return
    ax.scatter(xs, ys, marker=marker, s=150, c=colour, edgecolors="black", linewidths=1.2, zorder=13, label=label)
    for it, (x, y) in zip(sel, xy):
        ax.annotate(it.name_zh if lang == "zh" else it.name_en, (x, y), xytext=(6, 6),
                    textcoords="offset points", fontsize=8, zorder=14,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": colour, "alpha": 0.85})


def plan_map_figure(district: District, plan: Plan, *, lang: str = "zh") -> Figure:
    """The district base map with the plan's facilities: existing hollow, new filled and labelled."""
    texts(lang)
    fig = _figure(10, 10.5)
    ax = fig.add_subplot()
    net = district.network
    draw_district(ax, district, lang=lang, show_facilities=False)
    for style in _PLAN_MAP_STYLES:
        for existing in (True, False):
            _draw_facilities(ax, net, getattr(plan, style[0]), style, existing, lang)
    declutter(ax, [a for a in ax.texts if isinstance(a, Annotation)])   # new sites' names, clear of each other
    name = district.spec.district.name_zh if lang == "zh" else district.spec.district.name_en
    what = "应急资源优化布局（现有 + 新增）" if lang == "zh" else "optimized emergency facilities (existing + new)"
    ax.set_title(f"{name} — {what}\n{ILLUSTRATIVE_NOTE_ZH if lang == 'zh' else ILLUSTRATIVE_NOTE_EN}", fontsize=12)
    ax.legend(loc="lower right", fontsize=7.5, framealpha=0.85, ncol=2)
    finish_map(ax, net.crs, lang=lang)
    return fig


# ---------------------------------------------------------------------------------- notebooks
#: the figures :func:`plot_run` draws, as the run report names them
PLOTS = ("map", "relief_time", "timeline", "gantt")


def plot_run(run: Any, what: str = "map", *, lang: str = "zh") -> Figure:
    """One of a run's report figures (:data:`PLOTS`) as a Figure, for a notebook or a script."""
    makers = {
        "map": lambda: map_figure(run.district, run.hazards, run.plan, run.result, lang=lang),
        "relief_time": lambda: relief_time_figure(run.result, lang=lang),
        "timeline": lambda: timeline_figure(run.result, lang=lang),
        "gantt": lambda: gantt_figure(run.result, lang=lang, plan=run.plan),
    }
    if what not in makers:
        raise InputError(f"plot: expected one of {', '.join(PLOTS)}, found {what!r}")
    return makers[what]()
