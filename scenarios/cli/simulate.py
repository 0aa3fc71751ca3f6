"""``yingji simulate`` (the default event on the built-in district) and ``yingji simulate queue``."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from .options import CsvEncoding, CsvEncodingOpt, EngineOpt, Lang, LangOpt, FloodEngine, JsonOpt, QuietOpt, SeedOpt, check_seed, input_error, out_option, plan_arg, plan_option
from .output import label, out_console, print_json, progress, verdict


def _plan(text: str | None, district: Any) -> Any:
    """The ``--plan`` to simulate, checked against the district's roads."""
    # deferred: plans import numpy and the network model
    from network.plan import Plan

    plan = plan_arg(text)
    if plan == "optimized":
        raise input_error("--plan optimized: 'yingji simulate' takes existing or a plan JSON file; "
                          "'yingji run SCENARIO --plan optimized' optimises first")
    result = Plan.existing(district) if plan in (None, "existing") else Plan.from_json(plan)
    result.check_against(district.network, source=str(plan if isinstance(plan, Path) else "existing plan"))
    return result


def _indicator_table(rows: list[dict], lang: str) -> Table:
    """The indicators with their targets and verdicts, each figure written as ``yingji run`` writes it."""
    # deferred: the report tables import the runner (numpy)
    from scenarios.reports.tables import format_target, format_value

    t = Table(title=label("规划指标（示意模型）", "plan indicators (illustrative district model)", lang))
    for zh, en in (("指标", "indicator"), ("数值", "value"), ("目标", "target"), ("结果", "result")):
        t.add_column(label(zh, en, lang))
    for row in rows:
        name = row["en"] if lang == "en" else f"{row['zh']} / {row['en']}"
        value = format_value(row["value"], row["unit"]) + (f" ({row['note']})" if row["note"] else "")
        t.add_row(escape(name), escape(value), format_target(row["target"], row["unit"]), verdict(row["pass"], lang))
    return t


def simulate_district_command(
    ctx: typer.Context,
    out: Annotated[Optional[Path], out_option("folder for result.json and events.csv")] = None,
    plan: Annotated[Optional[str], plan_option("existing | a plan JSON file (default: existing)")] = None,
    seed: SeedOpt = 0,
    engine: EngineOpt = FloodEngine.two_d,
    lang: LangOpt = Lang.zh,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    csv_encoding: CsvEncodingOpt = CsvEncoding.utf_8_sig,
) -> None:
    """Simulate the default event (100-year flood with a dike breach) and print the indicator table."""
    if ctx.invoked_subcommand is not None:
        return
    # deferred: the district and the simulation engine load numpy, scipy, simpy and numba kernels
    from network.district import load_district
    from sim.api import simulate_district
    from scenarios.reports.staging import check_out_dir, staged_dir

    check_seed(seed)
    if out is not None:
        check_out_dir(out)            # before the run, not after it
    district = load_district()
    chosen = _plan(plan, district)
    with progress(not (quiet or as_json)) as say:
        say("simulate", label("模拟中", "simulating…", lang.value))
        result, table = simulate_district(chosen, district=district, seed=seed, engine=engine.value)
    if out is not None:
        with staged_dir(out) as tmp:   # complete or absent, never cut short on a full disk
            result.to_json(tmp / "result.json")
            result.events_to_csv(tmp / "events.csv", district.network, encoding=csv_encoding.value)
    if as_json:
        print_json({"indicators": table, "kpis": result.to_dict()["kpis"]})
    elif not quiet:
        out_console.print(_indicator_table(table, lang.value))


def simulate_queue(
    arrivals_per_hour: Annotated[float, typer.Option("--arrivals-per-hour", help="Poisson request rate λ")],
    service_minutes: Annotated[float, typer.Option("--service-minutes", help="mean on-scene time 1/μ")],
    teams: Annotated[int, typer.Option("--teams", help="identical teams c")],
    hours: Annotated[float, typer.Option("--hours", help="simulated hours per replication")] = 1000.0,
    replications: Annotated[int, typer.Option("--replications", help="independent replications")] = 20,
    seed: SeedOpt = 0,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
) -> None:
    """M/M/c check of the dispatcher against Erlang C (hazards off, zero travel). 排队论校验。"""
    # deferred: the queue check runs the SimPy engine
    from sim.queueing import queue_check

    res = queue_check(arrivals_per_hour, service_minutes, teams, hours=hours, replications=replications,
                      seed=check_seed(seed))
    if as_json:
        print_json(res)
        return
    t = Table(title=f"M/M/{teams}: λ={arrivals_per_hour:g}/h, service {service_minutes:g} min")
    for col in ("", label("模拟", "simulated", lang.value), "95 % CI", "Erlang C"):
        t.add_column(col)
    ci = res["mean_wait_ci"]
    t.add_row(label("平均等待", "mean wait (min)", lang.value), f"{res['mean_wait_minutes']:.3f}", f"[{ci[0]:.3f}, {ci[1]:.3f}]",
              f"{res['erlang_c']['mean_wait_minutes']:.3f}")
    ci = res["p_wait_ci"]
    t.add_row(label("需等待概率", "P(wait)", lang.value), f"{res['p_wait']:.4f}", f"[{ci[0]:.4f}, {ci[1]:.4f}]",
              f"{res['erlang_c']['p_wait']:.4f}")
    out_console.print(t)


def register(app: typer.Typer) -> None:
    """Add ``yingji simulate`` and ``yingji simulate queue``."""
    simulate_app = typer.Typer(
        help="Response simulation on the built-in district, and the Erlang C queueing check. 应急响应模拟。",
        invoke_without_command=True,
    )
    simulate_app.callback()(simulate_district_command)
    simulate_app.command("queue")(simulate_queue)
    app.add_typer(simulate_app, name="simulate")
