"""``yingji batch``: randomised batch runs on dask.distributed, and ``yingji batch report``.

``yingji batch NAME|FILE --runs N [--workers K | --scheduler tcp://HOST:PORT |
--scheduler tls://HOST:PORT --tls-ca CA.pem --tls-cert CLIENT.pem [--tls-key KEY.pem]] [--store F.sqlite] [--resume] [--seed S] [--plan existing,optimized,...] [--quiet] [--json]`` and
``yingji batch report STORE [--out DIR] [--lang zh|en] [--json]`` (without ``--out`` it writes nothing).
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Callable, Iterator, Optional

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from scenarios.reports.numbers import count, share

from .options import (
    CsvEncoding, CsvEncodingOpt, JsonOpt, Lang, LangOpt, PlansOpt, QuietOpt, SchedulerOpt, TlsCaOpt, TlsCertOpt, TlsKeyOpt, WorkersOpt, check_seed,
    input_error, out_option, plan_list, seed_option,
)
from .output import err_console, interruptible, label, out_console, print_json, written


class _BatchGroup(TyperGroup):
    """``batch`` takes a scenario as its own argument and has subcommands (``report``): a first
    word that names a subcommand goes to it instead of becoming the scenario, and options may
    follow the scenario (``yingji batch flood-50y --runs 100``)."""

    allow_interspersed_args = True

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Send ``report ...`` to the subcommand; parse anything else as the batch's own arguments."""
        if args and args[0] in self.commands:
            super().parse_args(ctx, [])  # the group's own options keep their defaults
            ctx._protected_args, ctx.args = args[:1], args[1:]
            return ctx.args
        return super().parse_args(ctx, args)


def _pct(x: float | None) -> str:
    """A probability as every command writes a share (percent, one decimal), or a dash."""
    return share(x)


def _resumed(store: Path, runs: int | None, seed: int | None) -> tuple[int | None, int | None]:
    """``--runs`` and ``--seed`` for ``--resume``: the stored ones unless given again."""
    # deferred: the batch store imports the runner
    from scenarios.batch.store import BatchStore

    if not store.is_file():
        raise input_error(f"--resume: {store}: no such batch store")
    with BatchStore(store, create=False) as st:
        info = st.info()
    if info is None:
        return runs, seed
    return (info.runs if runs is None else runs), (info.seed if seed is None else seed)


@contextmanager
def _progress_bar(enabled: bool, name: str) -> Iterator[Callable[[dict[str, Any]], None] | None]:
    """A progress bar on stderr fed by ``run_batch``'s progress callback; None when disabled."""
    if not enabled:
        yield None
        return
    bar = Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rates]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                   console=err_console, transient=True)
    task = bar.add_task(name, total=None, rates="")

    def update(state: dict[str, Any]) -> None:
        """Advance the bar to ``state``'s counts and show its pass rates."""
        if not bar.live.is_started:  # first call: the batch is validated and starting, so nothing else prints
            bar.start()
        rates = (f"10 h {_pct(state['headline_pass'])} · all {_pct(state['all_pass'])}"
                 + (f" · [red]failed {state['failed']}[/red]" if state["failed"] else ""))
        bar.update(task, total=state["total"], completed=state["done"], rates=rates)

    try:
        yield update
    finally:
        bar.stop()


def _stored(store: Path) -> int:
    """How many runs ``store`` holds, for the interrupt message (0 when it cannot be read)."""
    # deferred: the batch store imports the runner
    from scenarios.batch.store import BatchStore

    try:
        with BatchStore(store, create=False) as st:
            return st.counts()["stored"]
    except Exception:  # noqa: BLE001 — only for the interrupt message
        return 0


def _print_batch(summary: Any, name: str, store: Path, lang: str) -> None:
    """Pass rates per plan, what was stored and how to get the report."""
    t = Table(title=escape(f"{label('批量验证', 'batch', lang)}: {name} (seed {summary.seed}, "
                           f"{count(summary.runs)} runs × {len(summary.plans)} plans)"))
    for zh, en in (("方案", "plan"), ("10 h 目标达成", "10-h target met"), ("全部目标", "all targets")):
        t.add_column(label(zh, en, lang))
    for p in summary.plans:
        t.add_row(escape(p), _pct(summary.headline_pass.get(p)), _pct(summary.all_pass.get(p)))
    out_console.print(t)
    out_console.print(escape(f"{label('已存储', 'stored', lang)}: {count(summary.stored)} ({count(summary.ok)} ok, "
                             f"{count(summary.failed)} failed) in {store}; this call ran {count(summary.recorded)} on "
                             f"{summary.workers} worker(s) in {summary.seconds:.1f} s"))
    out_console.print(escape(f"{label('报告', 'report', lang)}: yingji batch report {store} --out DIR"))


def batch_command(
    ctx: typer.Context,
    scenario: Annotated[Optional[str], typer.Argument(help="built-in scenario name or scenario .toml (with \\[uncertain.*] tables)")] = None,
    runs: Annotated[Optional[int], typer.Option("--runs", "-n", help="randomised runs per plan (on --resume: default the stored count)")] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    tls_ca: TlsCaOpt = None,
    tls_cert: TlsCertOpt = None,
    tls_key: TlsKeyOpt = None,
    store: Annotated[Optional[Path], typer.Option("--store", help="SQLite results file (default: batch-NAME.sqlite)")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="continue the batch in --store: run only what is missing")] = False,
    seed: Annotated[Optional[int], seed_option("0; on --resume the stored one")] = None,
    plans: PlansOpt = None,
    lang: LangOpt = Lang.zh,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Run a scenario many times with its uncertain inputs sampled; store every run. 批量随机验证。"""
    if ctx.invoked_subcommand is not None:
        return
    if scenario is None:
        raise input_error("batch: name a scenario (built-in name or .toml file), or use 'yingji batch report STORE'")
    # deferred: the batch runner imports dask.distributed and the whole engine
    from scenarios.batch.cluster import remote_security
    from scenarios.batch.runs import run_batch
    from scenarios.core.naming import slug
    from scenarios.core.spec import load_scenario

    security = remote_security(scheduler, tls_ca, tls_cert, tls_key)

    sc = load_scenario(scenario)
    store = store or Path(f"batch-{slug(sc.name, fallback='scenario')}.sqlite")   # a name is never a path
    if resume:
        runs, seed = _resumed(store, runs, seed)
    if runs is None:
        raise input_error("--runs: give the number of runs (e.g. --runs 200)")
    seed = check_seed(0 if seed is None else seed)
    chosen = plan_list(plans)
    with interruptible(lambda: f"{label('中断', 'interrupted', lang.value)}: {_stored(store)} runs stored in {store}; "
                               f"continue with: yingji batch {scenario} --store {store} --resume"):
        with _progress_bar(not (quiet or as_json), sc.name) as update:
            summary = run_batch(sc, runs=runs, store=store, seed=seed, plans=chosen, workers=workers,
                                scheduler=scheduler, security=security, resume=resume, progress=update)
    if as_json:
        print_json(summary.to_dict())
    elif not quiet:
        _print_batch(summary, sc.name, store, lang.value)


def batch_report_command(
    store: Annotated[Path, typer.Argument(help="a batch store written by 'yingji batch'")],
    out: Annotated[Optional[Path], out_option(
        "folder for report.html, summary.json, runs.csv and the figures; without it nothing is written: "
        "the table (or with --json the summary) is printed only")] = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
    csv_encoding: CsvEncodingOpt = CsvEncoding.utf_8_sig,
) -> None:
    """Probabilities of meeting each target, drivers of failure, worst runs, plan differences. 批量结果报告。

    Without --out it writes nothing: the table, or with --json the summary as JSON.
    """
    res = _batch_report(store, out, lang.value, csv_encoding.value)
    if as_json:
        print_json(res)
        return
    out_console.print(_target_table(res["summary"], lang.value))
    if out is not None:
        written(out, res["files"], lang.value)
    else:
        out_console.print(escape(f"{label('报告', 'report', lang.value)}: yingji batch report {store} --out DIR"))


def _batch_report(store: Path, out: Path | None, lang: str, csv_encoding: str) -> dict[str, Any]:
    """The report written to ``out``, or, without ``out``, its summary alone with nothing written
    (the user did not ask for files): ``{"out", "files", "summary"}`` either way."""
    # deferred: the batch report imports numpy, matplotlib and the report writers
    from network.checks import language
    from network.jsonsafe import json_safe
    from scenarios.batch.report import write_batch_report
    from scenarios.batch.summary import load_batch, summarise

    if out is not None:
        return write_batch_report(store, out, lang=lang, csv_encoding=csv_encoding)
    language(lang)
    data = load_batch(store)
    if not data.rows:
        raise input_error(f"{store}: the store holds no finished runs yet")
    return {"out": None, "files": [], "summary": json_safe(summarise(data), infinity_as_text=True)}


def _target_table(s: dict[str, Any], lang: str) -> Table:
    """Each plan's probability of meeting each target, with its Wilson 95 % interval."""
    t = Table(title=escape(f"{s['scenario']}: {label('目标达成概率', 'probability of meeting each target', lang)}"
                           " (Wilson 95 %)"))
    for zh, en in (("方案", "plan"), ("指标", "indicator"), ("达成", "met"), ("概率", "p")):
        t.add_column(label(zh, en, lang))
    t.add_column("95 % CI")
    for plan in s["plans"]:
        for r in s["per_plan"][plan]["targets"]:
            if not r["n"]:
                continue
            lo, hi = r["wilson"]
            t.add_row(escape(plan), escape(r["en"] if lang == "en" else r["zh"]), f"{count(r['met'])}/{count(r['n'])}",
                      _pct(r["p"]), f"{_pct(lo)} – {_pct(hi)}")
    return t


def register(app: typer.Typer) -> None:
    """Add ``yingji batch`` and ``yingji batch report`` to the app."""
    batch_app = typer.Typer(cls=_BatchGroup, invoke_without_command=True,
                            help="Randomised batch validation on dask.distributed. 批量随机验证。")
    batch_app.callback()(batch_command)
    batch_app.command("report")(batch_report_command)
    app.add_typer(batch_app, name="batch")
