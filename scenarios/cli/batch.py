"""``yingji batch``: randomised batch runs on dask.distributed, and ``yingji batch report``.

``yingji batch NAME|FILE --runs N [--workers K | --scheduler tcp://HOST:PORT] [--store F.sqlite]
[--resume] [--seed S] [--plans existing,optimized,...] [--quiet] [--json]`` and
``yingji batch report STORE [--out DIR] [--lang zh|en]``.
"""
from __future__ import annotations

import json
import math
import signal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from network.errors import InputError

err_console = Console(stderr=True)
console = Console()


class _BatchGroup(TyperGroup):
    """``batch`` takes a scenario as its own argument and has subcommands (``report``): a first
    word that names a subcommand goes to it instead of becoming the scenario, and options may
    follow the scenario (``yingji batch flood-50y --runs 100``)."""

    allow_interspersed_args = True

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        if args and args[0] in self.commands:
            import click

            click.Command.parse_args(self, ctx, [])  # the group's own options keep their defaults
            ctx._protected_args, ctx.args = args[:1], args[1:]
            return ctx.args
        return super().parse_args(ctx, args)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def batch_command(
    ctx: typer.Context,
    scenario: Annotated[str | None, typer.Argument(help="built-in scenario name or scenario .toml (with \\[uncertain.*] tables)")] = None,
    runs: Annotated[int | None, typer.Option("--runs", "-n", help="randomised runs per plan (on --resume: default the stored count)")] = None,
    workers: Annotated[int | None, typer.Option("--workers", "-w", help="local worker processes (default: CPU count)")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="address of a running Dask scheduler, tcp://HOST:PORT")] = None,
    store: Annotated[Path | None, typer.Option("--store", help="SQLite results file (default: batch-NAME.sqlite)")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="continue the batch in --store: run only what is missing")] = False,
    seed: Annotated[int | None, typer.Option("--seed", help="batch seed (default 0; on --resume the stored one)")] = None,
    plans: Annotated[str, typer.Option("--plans", help="comma-separated: existing, optimized or plan JSON files")] = "existing",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar or table")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON summary object")] = False,
) -> None:
    """Run a scenario many times with its uncertain inputs sampled; store every run. 批量随机验证。"""
    if ctx.invoked_subcommand is not None:
        return
    if scenario is None:
        raise InputError("batch: name a scenario (built-in name or .toml file), or use 'yingji batch report STORE'")
    from scenarios.batch.runs import run_batch
    from scenarios.batch.store import BatchStore
    from scenarios.core.spec import load_scenario

    sc = load_scenario(scenario)
    store = store or Path(f"batch-{sc.name}.sqlite")
    if resume:
        if not store.is_file():
            raise InputError(f"--resume: {store}: no such batch store")
        with BatchStore(store, create=False) as st:
            info = st.info()
        if info is not None:
            runs = info.runs if runs is None else runs
            seed = info.seed if seed is None else seed
    if runs is None:
        raise InputError("--runs: give the number of runs (e.g. --runs 200)")
    seed = 0 if seed is None else seed
    show = not (quiet or as_json)
    progress_cb = None
    bar = None
    if show:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        bar = Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("{task.fields[rates]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                       console=err_console, transient=True)
        task = bar.add_task(f"{sc.name}", total=None, rates="")

        def progress_cb(state: dict[str, Any]) -> None:
            if not bar.live.is_started:  # first call: the batch is validated and starting
                bar.start()
            rates = (f"10 h {_pct(state['headline_pass'])} · {'全部 all'} {_pct(state['all_pass'])}"
                     + (f" · [red]失败 failed {state['failed']}[/red]" if state["failed"] else ""))
            bar.update(task, total=state["total"], completed=state["done"], rates=rates)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        summary = run_batch(sc, runs=runs, store=store, seed=seed, plans=plans.split(","), workers=workers,
                            scheduler=scheduler, resume=resume, progress=progress_cb)
    except KeyboardInterrupt:
        if bar is not None:
            bar.stop()
        n = _stored(store)
        err_console.print(f"中断 / interrupted: {n} runs stored in {store}; "
                          f"continue with: yingji batch {scenario} --store {store} --resume")
        raise typer.Exit(130)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if bar is not None:
            bar.stop()
    if as_json:
        print(json.dumps(summary.to_dict(), ensure_ascii=False,
                         default=lambda x: None if isinstance(x, float) and not math.isfinite(x) else str(x)))
        return
    if quiet:
        return
    from rich.table import Table

    t = Table(title=f"批量验证 / batch: {sc.name} (seed {summary.seed}, {summary.runs} runs × {len(summary.plans)} plans)")
    for col in ("方案 / plan", "10 h 目标达成 / 10-h target met", "全部目标 / all targets"):
        t.add_column(col)
    for p in summary.plans:
        t.add_row(p, _pct(summary.headline_pass.get(p)), _pct(summary.all_pass.get(p)))
    console.print(t)
    console.print(f"已存储 / stored: {summary.stored} ({summary.ok} ok, {summary.failed} failed) in {store}; "
                  f"this call ran {summary.recorded} on {summary.workers} worker(s) in {summary.seconds:.1f} s")
    console.print(f"报告 / report: yingji batch report {store} --out DIR")


def _terminate(signum, frame) -> None:
    """SIGTERM stops a batch like Ctrl-C: stored runs stay, the cluster is shut down."""
    raise KeyboardInterrupt


def _stored(store: Path) -> int:
    from scenarios.batch.store import BatchStore

    try:
        with BatchStore(store, create=False) as st:
            return st.counts()["stored"]
    except Exception:  # noqa: BLE001 — only for the interrupt message
        return 0


def batch_report_command(
    store: Annotated[Path, typer.Argument(help="a batch store written by 'yingji batch'")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="output folder (default: STORE name + '-report')")] = None,
    lang: Annotated[str, typer.Option("--lang", help="figure language: zh or en (the HTML shows both)")] = "zh",
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as one JSON object")] = False,
) -> None:
    """Probabilities of meeting each target, drivers of failure, worst runs, plan differences. 批量结果报告。"""
    from scenarios.batch.report import write_batch_report

    out = out or store.with_name(store.stem + "-report")
    res = write_batch_report(store, out, lang=lang)
    if as_json:
        print(json.dumps(res, ensure_ascii=False))
        return
    s = res["summary"]
    from rich.table import Table

    t = Table(title=f"{s['scenario']}: 目标达成概率 / probability of meeting each target (Wilson 95 %)")
    for col in ("方案 / plan", "指标 / indicator", "达成 / met", "概率 / p", "95 % CI"):
        t.add_column(col)
    for plan in s["plans"]:
        for r in s["per_plan"][plan]["targets"]:
            if not r["n"]:
                continue
            lo, hi = r["wilson"]
            t.add_row(plan, r["zh"] if lang == "zh" else r["en"], f"{r['met']}/{r['n']}", _pct(r["p"]),
                      f"{_pct(lo)} – {_pct(hi)}")
    console.print(t)
    console.print(f"输出 / written to {out}: " + ", ".join(res["files"]))


def register(app: typer.Typer) -> None:
    """Add ``yingji batch`` and ``yingji batch report`` to the app."""
    batch_app = typer.Typer(cls=_BatchGroup, invoke_without_command=True,
                            help="Randomised batch validation on dask.distributed. 批量随机验证。")
    batch_app.callback()(batch_command)
    batch_app.command("report")(batch_report_command)
    app.add_typer(batch_app, name="batch")
