"""``yingji optimize size``: the least-cost additions that make a plan meet its targets with a
stated probability (:mod:`scenarios.sizing`).

``yingji optimize size SCENARIO[,SCENARIO...] --target-probability P --runs N [--budget CNY]
[--seed S] [--workers K | --scheduler ADDR [--tls-ca CA.pem --tls-cert CLIENT.pem [--tls-key KEY.pem]]] [--targets relief|all] --out DIR [--lang zh|en]
[--quiet] [--json]``

The simulations are kept in ``DIR/sizing.sqlite``: the same command again (after an interruption,
or with a higher ``--target-probability``) reruns only what is not stored.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Callable, Iterator, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from scenarios.reports.numbers import count, money, share

from .options import (
    CsvEncoding, CsvEncodingOpt, JsonOpt, Lang, LangOpt, QuietOpt, SchedulerOpt, TlsCaOpt, TlsCertOpt, TlsKeyOpt, WorkersOpt, check_seed, input_error,
    load_checked_scenario, out_option, seed_option,
)
from .output import err_console, interruptible, name_in, out_console, print_json, written



class Targets(str, Enum):
    """Which targets a run must meet: the relief targets the levers move, or every target."""

    relief = "relief"
    all = "all"


def _money(x: float) -> str:
    return f"{x / 1e6:,.1f} M" if abs(x) >= 1e5 else f"{x:,.0f}"


def _pct(x: float | None) -> str:
    """A probability as every command writes a share: percent, one decimal."""
    return share(x)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[dict[str, Any]], None] | None]:
    """A bar on stderr: iteration, simulations so far, current probability and cost."""
    if not enabled:
        yield None
        return
    bar = Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[state]}"), TimeElapsedColumn(), console=err_console, transient=True)
    task = bar.add_task("", total=None, state="")
    last: dict[str, Any] = {"p": None, "cost": 0.0}

    def update(s: dict[str, Any]) -> None:
        if not bar.live.is_started:
            bar.start()
        if s["stage"] == "iteration":
            last.update(p=s["probability"], low=s["wilson_low"], cost=s["horizon_cny"])
            return
        name = (f"iteration {s['iteration']}" if s["stage"] == "simulate" else "out of sample")
        p = "" if last["p"] is None else f" · p {_pct(last['p'])} (≥ {_pct(last['low'])})"
        bar.update(task, description=name, total=s["total"], completed=s["done"],
                   state=f"simulations {s['simulations']}{p} · CNY {_money(last['cost'])}")

    try:
        yield update
    finally:
        bar.stop()


def _scenarios(text: str) -> list[Any]:
    # deferred: the scenario loader imports the engine

    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise input_error("SCENARIO: name at least one scenario (built-in name or .toml file)")
    if len(set(names)) < len(names):
        raise input_error(f"SCENARIO: {text!r} names a scenario twice")
    return [load_checked_scenario(n) for n in names]


def _check(target_probability: float, budget: float | None, runs: int, out: Path) -> None:
    if not (math.isfinite(target_probability) and 0.0 < target_probability < 1.0):
        raise input_error(f"--target-probability: expected a probability in (0, 1), found {target_probability:g}")
    if budget is not None and not (math.isfinite(budget) and budget >= 0):
        raise input_error(f"--budget: expected a non-negative amount of CNY, found {budget:g}")
    if runs < 1:
        raise input_error(f"--runs: expected at least 1, found {runs}")
    if out.exists() and not out.is_dir():
        raise input_error(f"--out {out}: exists and is not a folder")


def optimize_size(
    scenario: Annotated[str, typer.Argument(help="scenarios, comma-separated: built-in names or .toml files with \\[uncertain.*] tables, on one district")],
    target_probability: Annotated[float, typer.Option("--target-probability", "-p", help="probability in (0, 1) that a run meets the targets: the lower end of the 95 % Wilson interval must reach it in every scenario")],
    runs: Annotated[int, typer.Option("--runs", "-n", help="randomised runs per scenario for the search (as many again, fresh, for the out-of-sample check)")],
    out: Annotated[Path, out_option("folder for plan.json, costs.csv, the cost–probability curve, report.html, result.json and the store sizing.sqlite")],
    budget: Annotated[Optional[float], typer.Option("--budget", help="cap on the additions' cost in CNY over the costs' planning horizon (one-off + annual × years)")] = None,
    seed: Annotated[int, seed_option("0")] = 0,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    tls_ca: TlsCaOpt = None,
    tls_cert: TlsCertOpt = None,
    tls_key: TlsKeyOpt = None,
    targets: Annotated[Targets, typer.Option("--targets", help="targets a run must meet: relief (the 10-hour relief targets, default) or all")] = Targets.relief,
    max_iterations: Annotated[int, typer.Option("--max-iterations", help="rounds of buying and re-simulating at most")] = 8,
    lang: LangOpt = Lang.zh,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    csv_encoding: CsvEncodingOpt = CsvEncoding.utf_8_sig,
) -> None:
    """Cheapest additions that meet the targets with a stated probability; simulation in the loop. 预案规模测算。"""
    _check(target_probability, budget, runs, out)
    check_seed(seed)
    if max_iterations < 0:
        raise input_error(f"--max-iterations: expected 0 or more, found {max_iterations}")
    if workers is not None and workers < 1:
        raise input_error(f"--workers: expected at least 1, found {workers}")
    # deferred: the search imports the engine, OR-Tools and dask.distributed
    from scenarios.batch.cluster import remote_security
    from scenarios.sizing.ensemble import RELIEF_TARGETS
    from scenarios.reports.staging import check_out_dir
    from scenarios.sizing.outputs import FILES, STORE_FILES, STORE_NAME, write_sizing_outputs
    from scenarios.sizing.search import size_plan

    security = remote_security(scheduler, tls_ca, tls_cert, tls_key)
    scs = _scenarios(scenario)
    check_out_dir(out, keep=STORE_FILES)     # before hours of simulation, not after
    store = out / STORE_NAME
    with interruptible(lambda: f"中断 / interrupted: the simulations so far are stored in {store}; "
                               "run the same command again to continue"):
        with _progress(not (quiet or as_json)) as update:
            result = size_plan(scs, target_probability=target_probability, runs=runs, store=store, budget_cny=budget,
                               seed=seed, workers=workers, scheduler=scheduler, security=security,
                               targets=RELIEF_TARGETS if targets is Targets.relief else ("all",),
                               max_iterations=max_iterations, progress=update)
    summary = write_sizing_outputs(result, out, lang=lang.value, csv_encoding=csv_encoding.value)
    if as_json:
        print_json(summary)
    elif not quiet:
        _print(summary, lang.value)
        written(out, [*FILES, STORE_NAME], lang.value)


def _print(s: dict[str, Any], lang: str) -> None:
    """The verdict, the probabilities before and after, the costed additions and what binds."""
    zh = lang == "zh"
    note = s["notes"][0]
    out_console.print(("[green]" if s["reached"] else "[yellow]") + escape(note["zh" if zh else "en"]) + "[/]")
    t = Table(title="目标全部达成的概率 / P(targets met)" if zh else "P(targets met)")
    for col in (("情景", "scenario"), ("现有预案", "today"), ("测算后（样本内）", "sized, in sample"),
                ("测算后（样本外）", "sized, out of sample")):
        t.add_column(col[0] if zh else col[1])
    for row in s["scenarios"]:
        cells = [f"{_pct(row[k]['probability'])} ({count(row[k]['met'])}/{count(row[k]['runs'])}, "
                 f"≥ {_pct(row[k]['wilson_low'])})"
                 for k in ("baseline", "final", "out_of_sample")]
        t.add_row(escape(row["scenario"]), *cells)
    out_console.print(t)
    a = Table(title="新增内容及费用（元）" if zh else "What to add and what it costs (CNY)")
    for col in (("措施", "lever"), ("地点", "site"), ("数量", "amount"), ("规划期合计", "over the horizon")):
        a.add_column(col[0] if zh else col[1], justify="right" if col[1] in ("amount", "over the horizon") else "left")
    for x in s["additions"]:
        a.add_row(escape(x["lever"]), escape(name_in(x["site"], lang)), f"{count(x['amount'])} {escape(x['unit'])}",
                  count(x["cost"]))
    c = s["cost"]
    a.caption = (f"合计 {money(c['horizon_cny'], 'zh')}（{c['horizon_years']:g} 年）；模拟 {count(s['simulations'])} 次，"
                 f"另用已存储 {count(s['reused'])} 次"
                 if zh else f"total {money(c['horizon_cny'])} over {c['horizon_years']:g} years; "
                 f"{count(s['simulations'])} simulations run, {count(s['reused'])} taken from the store")
    out_console.print(a)
    for b in s["binding"][:3]:
        out_console.print(("仍制约：" if zh else "still binds: ") + escape(
            f"{b['zh'] if zh else b['en']} — {count(b['people'])} "
            + ("人" if zh else "people")
            + (f" ({'无效' if zh else 'did not help'}: {', '.join(b['did_not_help'])})" if b["did_not_help"] else "")))
