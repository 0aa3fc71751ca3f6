"""``yingji scenarios list|show``, ``yingji run`` and ``yingji compare``.

Registered on the main app by :func:`register` (scenarios/cli.py). Progress goes to stderr so
``--json`` output on stdout stays one parseable object; text from scenario files is printed
with rich markup escaped.
"""
from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Iterator, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from network.errors import InputError

out_console = Console()
err_console = Console(stderr=True)


class RunLang(str, Enum):
    zh = "zh"
    en = "en"


PlanOpt = Annotated[Optional[str], typer.Option("--plan", help="existing | optimized | a plan JSON file (default: the scenario's [plan])")]
SeedOpt = Annotated[Optional[int], typer.Option("--seed", help="random seed (default: the scenario's simulation.seed)")]
LangOpt = Annotated[RunLang, typer.Option("--lang", help="language of labels, figures and the report")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="no progress and no table (files and exit status only)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON object")]


def _plan_arg(text: str | None) -> str | Path | None:
    if text is None or text in ("existing", "optimized", "optimised"):
        return "optimized" if text == "optimised" else text
    return Path(text)


@contextmanager
def _progress(enabled: bool) -> Iterator:
    """A rich spinner with the current stage and elapsed time (stderr), or a no-op."""
    if not enabled:
        yield lambda stage, msg: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as prog:
        task = prog.add_task("…", total=None)
        yield lambda stage, msg: prog.update(task, description=escape(msg))


def _indicator_table(rows: list[dict], title: str, lang: str) -> Table:
    from scenarios.reports.tables import format_target, format_value

    t = Table(title=escape(title))
    for col in ("指标 / indicator", "数值 / value", "目标 / target", "结果 / result"):
        t.add_column(col)
    for row in rows:
        verdict = "—" if row["pass"] is None else ("[green]达标 pass[/green]" if row["pass"] else "[red]未达标 fail[/red]")
        value = "—" if row["value"] is None else format_value(row["value"], row["unit"])
        note = f" ({escape(row['note'])})" if row.get("note") and row["value"] is None and row["pass"] is not None else ""
        t.add_row(escape(row["zh"] if lang == "zh" else row["en"]), value + note,
                  format_target(row["target"], row["unit"]), verdict)
    return t


def _fails(rows: list[dict]) -> bool:
    return any(r["pass"] is False for r in rows)


def scenarios_list(as_json: JsonOpt = False) -> None:
    """The built-in scenarios. 内置情景。"""
    from scenarios.core.spec import list_scenarios

    items = list_scenarios()
    if as_json:
        print(json.dumps([{"name": n, "title_zh": zh, "title_en": en} for n, zh, en in items], ensure_ascii=False))
        return
    t = Table(title="内置情景 / built-in scenarios")
    for col in ("名称 / name", "标题", "title"):
        t.add_column(col)
    for n, zh, en in items:
        t.add_row(escape(n), escape(zh), escape(en))
    out_console.print(t)
    out_console.print("[dim]yingji scenarios show NAME > my.toml  ·  yingji run NAME|my.toml --out DIR[/dim]")


def scenarios_show(name: Annotated[str, typer.Argument(help="a built-in scenario name")]) -> None:
    """Print a built-in scenario's TOML, to copy and edit. 打印情景文件。"""
    from scenarios.core.spec import builtin_text, library_names

    if name not in library_names() and Path(name).is_file():
        sys.stdout.write(Path(name).read_text(encoding="utf-8"))
        return
    sys.stdout.write(builtin_text(name))


def run_command(
    scenario: Annotated[Optional[str], typer.Argument(help="a built-in scenario name (yingji scenarios list) or a scenario .toml")] = None,
    plan: PlanOpt = None,
    seed: SeedOpt = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="folder for report.html, kpis.json, CSV, GeoJSON and figures")] = None,
    lang: LangOpt = RunLang.zh,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    fail_on_target: Annotated[bool, typer.Option("--fail-on-target", help="exit 1 when a target is missed (for CI)")] = False,
    replay: Annotated[Optional[str], typer.Option("--replay", help="re-run one stored batch run exactly: STORE:RUN[:PLAN]")] = None,
) -> None:
    """Run a scenario and check the plan's targets. 运行情景并检验规划目标。"""
    from scenarios.reports.outputs import write_run_outputs
    from scenarios.core.runner import run_scenario
    from scenarios.core.spec import load_scenario

    if replay is not None:
        if scenario is not None or plan is not None or seed is not None:
            raise InputError("--replay: the stored run fixes the scenario, plan and seed; give none of them")
        sc, plan, seed = _replay(replay)
    elif scenario is None:
        raise InputError("run: name a scenario (yingji scenarios list) or a .toml file, or give --replay STORE:RUN")
    else:
        sc = load_scenario(scenario)
    if seed is not None and seed < 0:
        raise InputError(f"--seed: expected a non-negative integer, found {seed}")
    with _progress(not (quiet or as_json)) as say:
        run = run_scenario(sc, plan=_plan_arg(plan), seed=seed, progress=say)
        files: list[str] = []
        if out is not None:
            say("report", "写入报告 / writing report")
            files = write_run_outputs(out, run, lang=lang.value)
    if as_json:
        from scenarios.reports.outputs import run_summary

        summary = {k: v for k, v in run_summary(run).items() if k != "kpis"}
        summary.update(out=None if out is None else str(out), files=files)
        print(json.dumps(summary, ensure_ascii=False))
    elif not quiet:
        title = run.title_zh if lang is RunLang.zh else run.title_en
        out_console.print(_indicator_table(run.kpis, f"{title} [{run.plan_label}] — 规划指标 / plan indicators", lang.value))
        for note in run.notes:
            out_console.print(f"[yellow]注意 / note:[/yellow] {escape(note)}")
        if out is not None:
            out_console.print(f"输出 / written to {escape(str(out))}: {escape(', '.join(f for f in files if '/' not in f))}")
        if getattr(run.network, "meta", {}).get("illustrative"):
            out_console.print("[dim]示意模型 / illustrative model[/dim]")
    if fail_on_target and _fails(run.kpis):
        raise typer.Exit(1)


def _replay(text: str) -> tuple[Any, str, int]:
    """``STORE:RUN[:PLAN]`` -> (scenario with the run's sampled inputs, plan label, seed)."""
    from scenarios.batch.runs import load_replay

    parts = text.split(":")
    if len(parts) >= 2 and parts[-1].isdigit():
        store, run_index, plan = ":".join(parts[:-1]), parts[-1], None
    elif len(parts) >= 3 and parts[-2].isdigit():
        store, run_index, plan = ":".join(parts[:-2]), parts[-2], parts[-1]
    else:
        raise InputError(f"--replay: expected STORE:RUN or STORE:RUN:PLAN (e.g. batch.sqlite:17), found {text!r}")
    if not Path(store).is_file():
        raise InputError(f"--replay: no batch store at {store}")
    return load_replay(store, int(run_index), plan)


def _compare_items(items: list[str], plans: str) -> list[tuple[str, str | Path | None]]:
    default_plans = [p.strip() for p in plans.split(",") if p.strip()]
    if not default_plans:
        raise InputError("--plans: name at least one plan (existing, optimized or a plan JSON file)")
    pairs: list[tuple[str, str | Path | None]] = []
    for item in items:
        name, at, plan = item.partition("@")
        if at and not plan:
            raise InputError(f"{item}: expected NAME@PLAN (existing, optimized or a plan file)")
        for p in ([plan] if at else default_plans):
            pairs.append((name, _plan_arg(p)))
    if len(pairs) < 2:
        raise InputError("compare: needs at least two runs: two scenarios, or --plans existing,optimized, or NAME@PLAN")
    return pairs


def compare_command(
    items: Annotated[list[str], typer.Argument(help="scenarios (names or .toml), each optionally NAME@PLAN")],
    plans: Annotated[str, typer.Option("--plans", help="comma-separated plans for every scenario, e.g. existing,optimized")] = "existing",
    seed: SeedOpt = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="folder for report.html, compare.json/csv, figures and each run's files")] = None,
    lang: LangOpt = RunLang.zh,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Compare scenarios and plans side by side. 情景与预案对比。"""
    from network.district import load_district

    from scenarios.reports.outputs import compare_rows, run_summary, write_compare_outputs
    from scenarios.reports.tables import run_labels
    from scenarios.core.runner import run_scenario
    from scenarios.core.spec import load_scenario

    pairs = _compare_items(items, plans)
    if seed is not None and seed < 0:
        raise InputError(f"--seed: expected a non-negative integer, found {seed}")
    loaded = {name: load_scenario(name) for name, _ in pairs}  # every name checked before any run
    runs = []
    with _progress(not (quiet or as_json)) as say:
        districts: dict[str, object] = {}
        for i, (name, plan) in enumerate(pairs, start=1):
            sc = loaded[name]
            district = None
            if sc.network.is_district:
                key = "builtin" if sc.network.source == "builtin" else str(sc.resolve(sc.network.source))
                if key not in districts:
                    districts[key] = load_district(None if key == "builtin" else key)
                district = districts[key]
            step = lambda stage, msg, i=i: say(stage, f"[{i}/{len(pairs)}] {msg}")  # noqa: E731
            runs.append(run_scenario(sc, plan=plan, seed=seed, district=district, progress=step))
        files: list[str] = []
        if out is not None:
            say("report", "写入报告 / writing report")
            files = write_compare_outputs(out, runs, lang=lang.value)
    rows = compare_rows(runs)
    labels = run_labels(runs)
    if as_json:
        print(json.dumps({"runs": [{"label": lab, **{k: v for k, v in run_summary(r).items() if k != "kpis"}}
                                   for lab, r in zip(labels, runs)],
                          "indicators": rows, "out": None if out is None else str(out), "files": files},
                         ensure_ascii=False))
        return
    if quiet:
        return
    from scenarios.reports.tables import format_diff, format_target, format_value

    t = Table(title="情景对比 / comparison")
    t.add_column("指标 / indicator")
    t.add_column("目标 / target")
    for k, lab in enumerate(labels):
        t.add_column(escape(lab) + ("" if k == 0 else " (Δ)"))
    for row in rows:
        cells = []
        for k, lab in enumerate(labels):
            v, ok = row["values"][lab], row["pass"][lab]
            mark = "" if ok is None else (" [green]✓[/green]" if ok else " [red]✗[/red]")
            text = ("—" if v is None else format_value(v, row["unit"])) + mark
            if k:
                text += f" ({format_diff(row['diff'][lab], row['unit'])})"
            cells.append(text)
        t.add_row(escape(row["zh"] if lang is RunLang.zh else row["en"]), format_target(row["target"], row["unit"]), *cells)
    out_console.print(t)
    if out is not None:
        out_console.print(f"输出 / written to {escape(str(out))}: report.html, compare.json, compare.csv, runs/")


def register(app: typer.Typer) -> None:
    """Add ``scenarios list|show``, ``run`` and ``compare`` to the ``yingji`` app."""
    scenarios_app = typer.Typer(help="Built-in scenario library: list, show. 内置情景库。", no_args_is_help=True)
    scenarios_app.command("list")(scenarios_list)
    scenarios_app.command("show")(scenarios_show)
    app.add_typer(scenarios_app, name="scenarios")
    app.command("run")(run_command)
    app.command("compare")(compare_command)
