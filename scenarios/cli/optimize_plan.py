"""``yingji optimize plan``: new team bases, shelters and warehouses for the built-in district.

Writes ``plan.json``, ``plan.geojson`` (QGIS points, Chinese and English names), ``plan_map.png``
(existing facilities hollow, new ones filled and labelled), ``before_after.csv`` and
``report.json``; prints the before/after table (rich) or, with ``--json``, one JSON object.
Everything is computed before anything is written, and the files are moved into ``--out`` only
once all of them exist, so a failed run leaves nothing half-written.
"""
from __future__ import annotations

import json
import math
import shutil
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from network.errors import YingjiError

from scenarios.reports.staging import staged_dir

#: ``flood:RP:breach``: the breach of the default event (sim.api.DEFAULT_FLOOD)
_BREACH = [{"dike": "xijiao-dike", "time_h": 18.0, "width_m": 150.0}]
_FLOOD_HOURS = 72.0


class _Lang(str, Enum):
    zh = "zh"
    en = "en"


class _Robust(str, Enum):
    expected = "expected"
    worst = "worst"
    regret = "regret"


def hazard_sets(tokens: str, district) -> tuple[list[list[Any]], list[str], float]:
    """``flood:RP``, ``flood:RP:breach`` or scenario names -> (hazard sets, labels, horizon hours)."""
    from sim.hazards.flood.scenario import river_flood

    sets, labels, horizon = [], [], 0.0
    names = [t.strip() for t in tokens.split(",") if t.strip()]
    if not names:
        raise YingjiError("--robust: give one or more scenarios, e.g. flood:50,flood:100:breach")
    for tok in names:
        if tok.startswith("flood:"):
            parts = tok.split(":")
            try:
                rp = float(parts[1])
            except (IndexError, ValueError):
                rp = float("nan")
            if len(parts) > 3 or (len(parts) == 3 and parts[2] != "breach") or not math.isfinite(rp) or rp <= 0:
                raise YingjiError(f"--robust: expected flood:YEARS or flood:YEARS:breach, found {tok!r}")
            sets.append([river_flood(district, return_period_years=rp, breaches=_BREACH if len(parts) == 3 else [])])
            horizon = max(horizon, _FLOOD_HOURS)
        else:
            from scenarios.core.inputs import build_hazards  # deferred: CLI modules load their engines on use
            from scenarios.core.spec import load_scenario

            sc = load_scenario(tok)
            sets.append(build_hazards(sc, district))
            horizon = max(horizon, float(sc.simulation.duration_h))
        labels.append(tok)
    return sets, labels, horizon


def flood_prone_people(district) -> Any:
    """People at nodes the default design flood (100-year, Xijiao dike breach) reaches within 72 h."""
    import numpy as np

    from sim.api import default_district_flood

    first = default_district_flood(district).first_flood_time_s()
    return np.where(np.isfinite(first) & (first <= _FLOOD_HOURS * 3600.0), district.network.population, 0.0)


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{v:.{digits}f}"


def draw_plan_map(district, plan, out: Path, lang: str) -> Path:
    """The district base map with the plan's facilities: existing hollow, new filled and labelled."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from network.basemap import draw_district
    from network.district import ILLUSTRATIVE_NOTE_EN, ILLUSTRATIVE_NOTE_ZH
    from network.fonts import use_cjk_font

    use_cjk_font()
    net = district.network
    fig, ax = plt.subplots(figsize=(10, 10.5), constrained_layout=True)
    draw_district(ax, district, lang=lang, show_facilities=False)
    styles = (("team_bases", "P", "#c0392b", "救援队驻地", "team base"),
              ("warehouses", "s", "#8e44ad", "物资储备库", "relief warehouse"),
              ("shelters", "o", "#2874a6", "避难场所", "shelter"))
    for attr, marker, colour, zh, en in styles:
        items = getattr(plan, attr)
        for existing in (True, False):
            sel = [it for it in items if it.existing == existing]
            if not sel:
                continue
            xy = [(net.x[it.node] / 1000.0, net.y[it.node] / 1000.0) for it in sel]
            xs, ys = zip(*xy)
            tag = ("现有" if existing else "新增") if lang == "zh" else ("existing" if existing else "new")
            label = f"{zh}（{tag}）" if lang == "zh" else f"{en} ({tag})"
            if existing:
                ax.scatter(xs, ys, marker=marker, s=70, facecolors="white", edgecolors=colour, linewidths=1.6,
                           zorder=12, label=label)
            else:
                ax.scatter(xs, ys, marker=marker, s=150, c=colour, edgecolors="black", linewidths=1.2, zorder=13,
                           label=label)
                for it, (x, y) in zip(sel, xy):
                    ax.annotate(it.name_zh if lang == "zh" else it.name_en, (x, y), xytext=(6, 6),
                                textcoords="offset points", fontsize=8, zorder=14,
                                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": colour, "alpha": 0.85})
    name = district.spec.district.name_zh if lang == "zh" else district.spec.district.name_en
    what = "应急资源优化布局（现有 + 新增）" if lang == "zh" else "optimized emergency facilities (existing + new)"
    note = ILLUSTRATIVE_NOTE_ZH if lang == "zh" else ILLUSTRATIVE_NOTE_EN
    ax.set_title(f"{name} — {what}\n{note}", fontsize=12)
    ax.set_xlabel(("东向距离 (km)" if lang == "zh" else "easting (km)") + f" — {net.crs}")
    ax.set_ylabel("北向距离 (km)" if lang == "zh" else "northing (km)")
    ax.set_aspect("equal")
    ax.legend(loc="lower right", fontsize=7.5, framealpha=0.85, ncol=2)
    fig.savefig(out, dpi=130)
    plt.close(fig)
    return out


def _print_table(report, lang: str) -> None:
    """The before/after table (rich), the solves and the notes."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    zh = lang == "zh"
    t = Table(title=("应急响应时间：现有 → 优化后（分钟）" if zh else "Response times: existing -> optimized (minutes)"),
              caption=("平均/P90/最大按可达需求计；不可达需求（人或点）单列" if zh else
                       "mean, p90 and max over the demand reachable by road; unreachable demand (people or points) counted apart"))
    for col in (("图层", "layer"), ("路网", "network"), ("加权平均", "mean"), ("P90", "p90"), ("最大", "max"),
                ("30分钟内占比", "within 30 min"), ("不可达", "unreachable")):
        t.add_column(col[0] if zh else col[1], justify="left" if col[1] in ("layer", "network") else "right")
    for r in report.rows:
        share = (lambda v: "–" if v is None or not math.isfinite(v) else f"{100 * v:.1f}%")
        net = r["network"].split(" / ")[0 if zh else -1]  # the free-flow label is bilingual
        t.add_row(escape(r["layer_zh"] if zh else r["layer_en"]), escape(net),
                  f"{_fmt(r['before_mean_min'])} → {_fmt(r['after_mean_min'])}",
                  f"{_fmt(r['before_p90_min'])} → {_fmt(r['after_p90_min'])}",
                  f"{_fmt(r['before_max_min'])} → {_fmt(r['after_max_min'])}",
                  f"{share(r['before_within_share'])} → {share(r['after_within_share'])}",
                  f"{_fmt(r['before_unreachable'], 0)} → {_fmt(r['after_unreachable'], 0)}")
    console = Console(width=max(shutil.get_terminal_size((130, 24)).columns, 130), emoji=False)  # "flood:100:" is no emoji
    console.print(t)
    for s in report.solves:
        gap = "–" if s["gap"] is None else f"{100 * s['gap']:.2f}%"
        console.print(escape(f"{s['layer']}: {s['status']}, gap {gap}, {s['seconds']:.1f} s, {s['solver']} → "
                             + ", ".join(s["new"])))
    sh = report.shelter
    if "capacity_after" in sh:
        console.print(("避难场所：需求 {d:,.0f} 人，容量 {a:,.0f} → {b:,.0f}，缺口 {s:,.0f} 人" if zh else
                       "shelters: demand {d:,.0f} people, capacity {a:,.0f} -> {b:,.0f}, short {s:,.0f}").format(
            d=sh["demand"], a=sh["capacity_before"], b=sh["capacity_after"], s=sh.get("short_after", 0.0)))
    for note in report.notes:
        console.print("[yellow]note:[/yellow] " + escape(note))


def register(optimize_app: typer.Typer) -> None:
    """Add ``plan`` to the ``yingji optimize`` group."""

    @optimize_app.command("plan")
    def optimize_plan(
        out: Annotated[Path, typer.Option("--out", "-o", help="output folder (plan.json, plan.geojson, map, table)")],
        teams: Annotated[int, typer.Option("--teams", help="new team bases per team type")] = 1,
        team_types: Annotated[str, typer.Option("--team-types", help="team layers to place: general, water_rescue, forest_fire, hazmat")] = "general,water_rescue,forest_fire,hazmat",
        shelters: Annotated[int, typer.Option("--shelters", help="new shelters (from the district file's candidate sites)")] = 2,
        warehouses: Annotated[int, typer.Option("--warehouses", help="new relief warehouses (townships without one first)")] = 1,
        objective: Annotated[str, typer.Option("--objective", help="median | center | cover:MINUTES (team bases)")] = "median",
        robust: Annotated[str | None, typer.Option("--robust", help="hazard scenarios, comma-separated: flood:YEARS, flood:YEARS:breach or scenario names")] = None,
        robust_objective: Annotated[_Robust, typer.Option("--robust-objective", help="across scenarios: expected, worst or regret")] = _Robust.expected,
        time_limit: Annotated[float, typer.Option("--time-limit", help="seconds for all solves together")] = 120.0,
        unreachable_minutes: Annotated[float, typer.Option("--unreachable-minutes", help="time counted for a pair the damaged roads cut off (robust runs)")] = 240.0,
        shelter_share: Annotated[float, typer.Option("--shelter-share", help="share of the people at flood risk who need a public shelter place")] = 1.0,
        lang: Annotated[_Lang, typer.Option("--lang", help="label language of the map and table")] = _Lang.zh,
        as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    ) -> None:
        """Where new team bases, shelters and warehouses go; before/after response times. 应急资源布局优化。"""
        from network.district import load_district
        from optimize.district_plan import TEAM_LAYERS, optimize_district_plan

        if out.exists() and not out.is_dir():
            raise YingjiError(f"--out {out}: exists and is not a folder")
        for name, v in (("--teams", teams), ("--shelters", shelters), ("--warehouses", warehouses)):
            if v < 0:
                raise YingjiError(f"{name} must be >= 0, found {v}")
        if not time_limit > 0:
            raise YingjiError("--time-limit must be positive")
        layers = [t.strip() for t in team_types.split(",") if t.strip()]
        bad = [t for t in layers if t not in TEAM_LAYERS]
        if bad:
            raise YingjiError(f"--team-types: unknown {bad[0]!r}; choose from {', '.join(TEAM_LAYERS)}")
        district = load_district()
        kwargs: dict[str, Any] = {}
        if robust:
            sets, labels, horizon = hazard_sets(robust, district)
            kwargs.update(hazards_sets=sets, hazard_labels=labels, robust=robust_objective.value,
                          state_hours=[h for h in range(3, int(horizon) + 1, 3)] or [horizon])
        else:
            kwargs["flood_prone"] = flood_prone_people(district)
        plan, report = optimize_district_plan(
            district, teams={t: (teams if t in layers else 0) for t in TEAM_LAYERS}, shelters=shelters,
            warehouses=warehouses, objective=objective, time_limit_s=time_limit,
            unreachable_minutes=unreachable_minutes, shelter_share=shelter_share, **kwargs)

        with staged_dir(out) as tmp:
            files = {
                "plan": plan.to_json(tmp / "plan.json"),
                "geojson": plan.to_geojson(tmp / "plan.geojson"),
                "map": draw_plan_map(district, plan, tmp / "plan_map.png", lang.value),
                "table": report.write_csv(tmp / "before_after.csv"),
            }
            summary = {**report.to_dict(), "files": [str(out / p.name) for p in files.values()] + [str(out / "report.json")]}
            (tmp / "report.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
        if as_json:
            print(json.dumps(summary, ensure_ascii=False))
            return
        _print_table(report, lang.value)
