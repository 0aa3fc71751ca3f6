"""``yingji optimize``: reference instances (``orlib pmedian|pcenter``, ``pmedcap``, ``cvrp``), ``plan``
and ``size`` (:mod:`scenarios.cli.size`).

The four reference-instance commands share one body (:func:`reference_command`): a file in, a
solve under ``--time-limit``, the result as a table or one JSON object.

``plan`` places new team bases, shelters and warehouses on the built-in district and writes
``plan.json``, ``plan.geojson`` (QGIS points, Chinese and English names), ``plan_map.png``
(existing facilities hollow, new ones filled and labelled), ``before_after.csv``, ``costs.csv``
(what the plan adds to today's, each addition costed from :mod:`network.costs`) and
``report.json``; it prints the before/after table and the costs or, with ``--json``, one JSON
object.
Everything is computed before anything is written, and the files move into ``--out`` only once
all of them exist, so a failed run leaves nothing half-written.

This module does not use ``from __future__ import annotations``: typer reads the annotations of
the commands that :func:`reference_command` builds, and those name the factory's arguments,
which postponed (string) annotations could not resolve.
"""
import json
import math
import shutil
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from scenarios.reports.numbers import count, money, share

from .options import CsvEncoding, CsvEncodingOpt, EngineOpt, FloodEngine, JsonOpt, Lang, LangOpt, TimeLimitOpt, input_error, out_option
from .output import label, name_in, print_json, print_result
from .size import optimize_size

_FLOOD_HOURS = 72.0


def _reference_solver(name: str) -> Callable[..., dict[str, Any]]:
    """The solver behind a reference-instance command: ``solve(path, time_limit_s=...) -> dict``."""
    # deferred: the solvers import OR-Tools (~1 s), which `yingji --help` must not pay for
    if name == "cvrp":
        from optimize.routing import solve_cvrplib

        return solve_cvrplib
    from optimize.reference import solve_orlib_pcenter, solve_orlib_pmedian, solve_pmedcap

    return {"pmedian": solve_orlib_pmedian, "pcenter": solve_orlib_pcenter, "pmedcap": solve_pmedcap}[name]


def check_time_limit(value: float) -> float:
    """``--time-limit`` itself, or an input error unless it is a finite number of seconds above zero."""
    if not (math.isfinite(value) and value > 0):
        raise input_error(f"--time-limit must be a positive, finite number of seconds, found {value:g}")
    return value


def reference_command(solver: str, title: str, file_help: str, doc: str, time_limit_s: float) -> Callable[..., None]:
    """A command that solves one reference-instance file with ``solver`` and prints the result."""

    def command(
        file: Annotated[Path, typer.Argument(help=file_help)],
        time_limit: TimeLimitOpt = time_limit_s,
        as_json: JsonOpt = False,
    ) -> None:
        """Solve one reference-instance file (typer shows the factory's ``doc`` instead)."""
        limit = check_time_limit(time_limit)
        # deferred: the network package loads numpy and scipy, which `yingji --help` must not pay for
        from network.errors import InputError

        try:
            result = _reference_solver(solver)(file, time_limit_s=limit)
        except InputError as exc:
            if str(file) in str(exc):
                raise
            # the model's own checks (e.g. no vehicle needed) do not know the file: name it
            raise input_error(f"{file}: {exc}") from None
        print_result(result, as_json, f"{title} {file.name}")

    command.__doc__ = doc
    command.__name__ = f"optimize_{solver}"
    return command


class _Robust(str, Enum):
    """How robust placement weighs the hazard scenarios."""

    expected = "expected"
    worst = "worst"
    regret = "regret"


def hazard_sets(tokens: str, district: Any, engine: str = "2d") -> tuple[list[list[Any]], list[str], float]:
    """``flood:RP``, ``flood:RP:breach`` or scenario names -> (hazard sets, labels, horizon hours)."""
    # deferred: the flood solver loads numpy, scipy and numba kernels
    from sim.api import DEFAULT_FLOOD
    from sim.hazards.flood.scenario import river_flood

    sets, labels, horizon = [], [], 0.0
    names = [t.strip() for t in tokens.split(",") if t.strip()]
    if not names:
        raise input_error("--robust: give one or more scenarios, e.g. flood:50,flood:100:breach")
    for tok in names:
        if tok.startswith("flood:"):
            parts = tok.split(":")
            try:
                rp = float(parts[1])
            except (IndexError, ValueError):
                rp = float("nan")
            if len(parts) > 3 or (len(parts) == 3 and parts[2] != "breach") or not math.isfinite(rp) or rp <= 0:
                raise input_error(f"--robust: expected flood:YEARS or flood:YEARS:breach, found {tok!r}")
            sets.append([river_flood(district, return_period_years=rp, engine=engine,
                                     breaches=DEFAULT_FLOOD["breaches"] if len(parts) == 3 else [])])
            horizon = max(horizon, _FLOOD_HOURS)
        else:
            # deferred: a scenario name brings in the whole runner
            from scenarios.core.inputs import build_hazards
            from scenarios.core.spec import load_scenario

            sc = load_scenario(tok)
            if sc.hazards.flood is not None:
                sc = sc.with_overrides({"hazards.flood.engine": engine})
            sets.append(build_hazards(sc, district))
            horizon = max(horizon, float(sc.simulation.duration_h))
        labels.append(tok)
    return sets, labels, horizon


def flood_prone_people(district: Any, engine: str = "2d") -> Any:
    """People at nodes the default design flood (100-year, Xijiao dike breach) reaches within 72 h."""
    # deferred: numpy and the flood solver load only when a plan is optimised
    import numpy as np

    from sim.api import default_district_flood

    first = default_district_flood(district, engine=engine).first_flood_time_s()
    return np.where(np.isfinite(first) & (first <= _FLOOD_HOURS * 3600.0), district.network.population, 0.0)


def _fmt(v: Any, digits: int = 1) -> str:
    """A number for the table, or an en dash when there is none (None, NaN, infinite)."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{v:.{digits}f}"


def _save_plan_map(district: Any, plan: Any, out: Path, lang: str) -> Path:
    """The plan map as a PNG."""
    # deferred: matplotlib loads only when a map is drawn
    from scenarios.reports.figures import plan_map_figure

    plan_map_figure(district, plan, lang=lang).savefig(out, dpi=130)
    return out


def _share(v: float | None) -> str:
    """A share as a percentage, or an en dash when there is none."""
    return "–" if v is None or not math.isfinite(v) else share(v)


def _print_table(report: Any, lang: str) -> None:
    """The before/after table (rich), the solves and the notes."""
    zh = lang == "zh"
    t = Table(title=("应急响应时间：现有 → 优化后（分钟）" if zh else "Response times: existing -> optimized (minutes)"),
              caption=("平均/P90/最大按可达需求计；不可达需求（人或点）单列" if zh else
                       "mean, p90 and max over the demand reachable by road; unreachable demand (people or points) counted apart"))
    for col in (("图层", "layer"), ("路网", "network"), ("加权平均", "mean"), ("P90", "p90"), ("最大", "max"),
                ("30分钟内占比", "within 30 min"), ("不可达", "unreachable")):
        t.add_column(col[0] if zh else col[1], justify="left" if col[1] in ("layer", "network") else "right")
    for r in report.rows:
        net = r["network"].split(" / ")[0 if zh else -1]  # the free-flow label is bilingual
        t.add_row(escape(r["layer_zh"] if zh else r["layer_en"]), escape(net),
                  f"{_fmt(r['before_mean_min'])} → {_fmt(r['after_mean_min'])}",
                  f"{_fmt(r['before_p90_min'])} → {_fmt(r['after_p90_min'])}",
                  f"{_fmt(r['before_max_min'])} → {_fmt(r['after_max_min'])}",
                  f"{_share(r['before_within_share'])} → {_share(r['after_within_share'])}",
                  f"{_fmt(r['before_unreachable'], 0)} → {_fmt(r['after_unreachable'], 0)}")
    # wide enough for the seven columns; emoji off because "flood:100:" is no emoji
    console = Console(width=max(shutil.get_terminal_size((130, 24)).columns, 130), emoji=False)
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
        for x in sh.get("new_sized", ()):
            console.print(escape(("新建避难场所 {i}：分配 {n:,.0f} 人，配置 {c:,} 个位置（场地可容 {m:,}）" if zh else
                                  "new shelter {i}: {n:,.0f} people assigned, fitted out for {c:,} (the site holds {m:,})")
                                 .format(i=x["id"], n=x["assigned"], c=x["capacity"], m=x["site_capacity"])))
    for note in report.notes:
        console.print(f"[yellow]{label('注意', 'note', lang)}:[/yellow] " + escape(name_in(note, lang)))


def _team_layers(team_types: str) -> list[str]:
    """The ``--team-types`` to place, each checked against the district plan's team layers."""
    # deferred: the district-plan module imports OR-Tools
    from optimize.district_plan import TEAM_LAYERS

    layers = [t.strip() for t in team_types.split(",") if t.strip()]
    bad = [t for t in layers if t not in TEAM_LAYERS]
    if bad:
        raise input_error(f"--team-types: unknown {bad[0]!r}; choose from {', '.join(TEAM_LAYERS)}")
    return layers


def _check_plan_options(out: Path, counts: dict[str, int], time_limit: float) -> None:
    """Input errors before any solve: ``--out`` a file, a negative count, a time limit not above zero."""
    if out.exists() and not out.is_dir():
        raise input_error(f"--out {out}: exists and is not a folder")
    for name, v in counts.items():
        if v < 0:
            raise input_error(f"{name} must be >= 0, found {v}")
    check_time_limit(time_limit)


def _write_plan_files(out: Path, district: Any, plan: Any, report: Any, lang: str, csv_encoding: str) -> dict[str, Any]:
    """Write the plan's six files into ``out`` at once (the CSVs in ``csv_encoding``); the summary
    that ``report.json`` holds."""
    # deferred: staging imports the network package (numpy, scipy)
    from network.costs import write_additions_csv
    from scenarios.core.plans import plan_cost
    from scenarios.reports.staging import staged_dir

    cost = plan_cost(plan, district)
    additions = cost.pop("additions")
    with staged_dir(out) as tmp:
        files = {
            "plan": plan.to_json(tmp / "plan.json"),
            "geojson": plan.to_geojson(tmp / "plan.geojson"),
            "map": _save_plan_map(district, plan, tmp / "plan_map.png", lang),
            "table": report.write_csv(tmp / "before_after.csv", csv_encoding),
            "costs": write_additions_csv(tmp / "costs.csv", additions, csv_encoding),
        }
        summary = {**report.to_dict(), "cost": cost, "additions": additions,
                   "files": [str(out / p.name) for p in files.values()] + [str(out / "report.json")]}
        (tmp / "report.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return summary


def optimize_plan(
    out: Annotated[Path, out_option("folder for plan.json, plan.geojson, the map and the before/after table")],
    teams: Annotated[int, typer.Option("--teams", help="new team bases per team type")] = 1,
    team_types: Annotated[str, typer.Option("--team-types", help="team layers to place: general, water_rescue, forest_fire, hazmat")] = "general,water_rescue,forest_fire,hazmat",
    shelters: Annotated[int, typer.Option("--shelters", help="new shelters (from the district file's candidate sites)")] = 2,
    warehouses: Annotated[int, typer.Option("--warehouses", help="new relief warehouses (townships without one first)")] = 1,
    objective: Annotated[str, typer.Option("--objective", help="median | center | cover:MINUTES (team bases)")] = "median",
    robust: Annotated[Optional[str], typer.Option("--robust", help="hazard scenarios, comma-separated: flood:YEARS, flood:YEARS:breach or scenario names")] = None,
    robust_objective: Annotated[_Robust, typer.Option("--robust-objective", help="across scenarios: expected, worst or regret")] = _Robust.expected,
    time_limit: TimeLimitOpt = 120.0,
    unreachable_minutes: Annotated[float, typer.Option("--unreachable-minutes", help="time counted for a pair the damaged roads cut off (robust runs)")] = 240.0,
    shelter_share: Annotated[float, typer.Option("--shelter-share", help="share of the people at flood risk who need a public shelter place")] = 1.0,
    engine: EngineOpt = FloodEngine.two_d,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
    csv_encoding: CsvEncodingOpt = CsvEncoding.utf_8_sig,
) -> None:
    """Where new team bases, shelters and warehouses go; before/after response times. 应急资源布局优化。"""
    # deferred: the district and the district-plan solver load numpy, scipy and OR-Tools
    from network.district import load_district
    from optimize.district_plan import TEAM_LAYERS, optimize_district_plan

    _check_plan_options(out, {"--teams": teams, "--shelters": shelters, "--warehouses": warehouses}, time_limit)
    layers = _team_layers(team_types)
    district = load_district()
    kwargs: dict[str, Any] = {}
    if robust:
        sets, labels, horizon = hazard_sets(robust, district, engine.value)
        kwargs.update(hazards_sets=sets, hazard_labels=labels, robust=robust_objective.value,
                      state_hours=[h for h in range(3, int(horizon) + 1, 3)] or [horizon])
    else:
        # called once the settings are checked: the 2-D flood run takes about a minute
        kwargs["flood_prone"] = lambda: flood_prone_people(district, engine.value)
    plan, report = optimize_district_plan(
        district, teams={t: (teams if t in layers else 0) for t in TEAM_LAYERS}, shelters=shelters,
        warehouses=warehouses, objective=objective, time_limit_s=time_limit,
        unreachable_minutes=unreachable_minutes, shelter_share=shelter_share, **kwargs)
    summary = _write_plan_files(out, district, plan, report, lang.value, csv_encoding.value)
    if as_json:
        print_json(summary)
        return
    _print_table(report, lang.value)
    _print_costs(summary, lang.value)


def _print_costs(summary: dict[str, Any], lang: str) -> None:
    """What the plan's additions cost, by lever, with the totals and the estimates they rest on."""
    zh = lang == "zh"
    t = Table(title="新增内容及费用（元）" if zh else "What the plan adds and costs (CNY)")
    for col in (("措施", "lever"), ("地点", "site"), ("数量", "amount"), ("一次性", "one-off"), ("每年", "annual")):
        t.add_column(col[0] if zh else col[1], justify="right" if col[1] in ("amount", "one-off", "annual") else "left")
    for a in summary["additions"]:
        t.add_row(escape(a["lever"]), escape(name_in(a["site"], lang)), f"{count(a['amount'])} {escape(a['unit'])}",
                  count(a["one_off_cny"]), count(a["annual_cny"]))
    c = summary["cost"]
    console = Console(width=max(shutil.get_terminal_size((130, 24)).columns, 130), emoji=False)
    console.print(t)
    console.print(("合计：一次性 {o}，每年 {a}；{y:g} 年合计 {h}" if zh else
                   "total: {o} one-off, {a} a year; {h} over {y:g} years").format(
        o=money(c["one_off_cny"], lang), a=money(c["annual_cny"], lang), y=c["horizon_years"],
        h=money(c["horizon_cny"], lang)))
    if c["estimates"]:
        console.print(f"[yellow]{label('注意', 'note', lang)}:[/yellow] " + escape(
            ("单价为规划估计值（network/data/costs.toml），请以本区采购价替换：" if zh else
             "unit costs are planning estimates (network/data/costs.toml); replace with the district's prices: ")
            + ", ".join(c["estimates"])))


_REFERENCE = (
    # (solver, group, command name, title, file help, docstring, default time limit)
    ("pmedian", "orlib", "pmedian", "p-median", "an OR-Library pmedN.txt file",
     "p-median (sum of distances) on an OR-Library pmed instance. p-中位问题。", 600.0),
    ("pcenter", "orlib", "pcenter", "p-center", "an OR-Library pmedN.txt file",
     "Vertex p-center (worst distance) on an OR-Library pmed instance. p-中心问题。", 600.0),
    ("pmedcap", None, "pmedcap", "capacitated p-median", "an Osman-Christofides pmedcapNN.txt file",
     "Capacitated p-median (single sourcing) on an Osman-Christofides instance. 带容量 p-中位问题。", 600.0),
    ("cvrp", None, "cvrp", "CVRP", "a CVRPLIB .vrp file",
     "Capacitated vehicle routing on a CVRPLIB instance (OR-Tools routing). 车辆路径问题。", 10.0),
)


def register(app: typer.Typer) -> None:
    """Add ``yingji optimize`` with its reference-instance commands and ``plan``."""
    optimize_app = typer.Typer(help="OR-Tools optimisation: reference instances and district plans. 优化。", no_args_is_help=True)
    orlib_app = typer.Typer(help="OR-Library p-median and p-center instances (pmed1-40).", no_args_is_help=True)
    for solver, group, name, title, file_help, doc, limit in _REFERENCE:
        target = orlib_app if group == "orlib" else optimize_app
        target.command(name)(reference_command(solver, title, file_help, doc, limit))
    optimize_app.add_typer(orlib_app, name="orlib")
    optimize_app.command("plan")(optimize_plan)
    optimize_app.command("size")(optimize_size)
    app.add_typer(optimize_app, name="optimize")
