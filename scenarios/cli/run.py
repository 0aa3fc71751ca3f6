"""``yingji scenarios list|show``, ``yingji run`` and ``yingji compare``.

Text from scenario files is printed with rich markup escaped: a title such as ``[red]`` is text.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from scenarios.reports.numbers import money

from .options import (
    CsvEncoding,
    CsvEncodingOpt,
    JsonOpt,
    Lang,
    LangOpt,
    PlanOpt,
    PlansOpt,
    QuietOpt,
    check_seed,
    input_error,
    load_checked_scenario,
    out_option,
    plan_arg,
    plan_list,
    seed_option,
)
from .output import Say, label, name_in, number, out_console, print_json, progress, verdict, written

ScenarioSeedOpt = Annotated[Optional[int], seed_option("the scenario's simulation.seed")]


def _indicator_table(rows: list[dict], title: str, lang: str) -> Table:
    """One run's indicators with their targets and verdicts, labelled in ``lang``."""
    # deferred: the report tables import the reports package (numpy)
    from scenarios.reports.tables import format_target, format_value

    t = Table(title=escape(title))
    for zh, en in (("指标", "indicator"), ("数值", "value"), ("目标", "target"), ("结果", "result")):
        t.add_column(label(zh, en, lang))
    for row in rows:
        value = "—" if row["value"] is None else format_value(row["value"], row["unit"])
        note = f" ({escape(row['note'])})" if row.get("note") and row["value"] is None and row["pass"] is not None else ""
        t.add_row(escape(row["zh"] if lang == "zh" else row["en"]), value + note,
                  format_target(row["target"], row["unit"]), verdict(row["pass"], lang))
    return t


def scenarios_list(as_json: JsonOpt = False, lang: LangOpt = Lang.zh) -> None:
    """The built-in scenarios. 内置情景。"""
    # deferred: the spec module imports pydantic and the network package
    from scenarios.core.spec import list_scenarios

    items = list_scenarios()
    if as_json:
        print_json([{"name": n, "title_zh": zh, "title_en": en} for n, zh, en in items])
        return
    t = Table(title=label("内置情景", "built-in scenarios", lang.value))
    cols = ("名称 / name", "标题", "title") if lang is Lang.zh else ("name", "title")
    for col in cols:
        t.add_column(col)
    for n, zh, en in items:
        t.add_row(escape(n), *((escape(zh), escape(en)) if lang is Lang.zh else (escape(en),)))
    out_console.print(t)
    out_console.print("[dim]yingji scenarios show NAME > my.toml  ·  yingji run NAME|my.toml --out DIR[/dim]")


def scenarios_show(name: Annotated[str, typer.Argument(help="a built-in scenario name or a scenario .toml")]) -> None:
    """Print a scenario's TOML (a built-in one to copy and edit). 打印情景文件。"""
    # deferred: the spec module imports pydantic and the network package
    from scenarios.core.spec import load_scenario

    # read and validated first: only a scenario is printed, never an arbitrary file
    sys.stdout.write(load_scenario(name).text)


def _replay(text: str) -> tuple[Any, str, int, dict[str, Any]]:
    """``STORE:RUN[:PLAN]`` -> (scenario with the run's sampled inputs, plan label, seed, the
    inputs the run drew by their ``[uncertain]`` path)."""
    # deferred: the batch store imports the runner
    from scenarios.batch.runs import load_replay
    from scenarios.batch.store import BatchStore

    parts = text.split(":")
    if len(parts) >= 2 and parts[-1].isdigit():
        store, run_index, plan = ":".join(parts[:-1]), parts[-1], None
    elif len(parts) >= 3 and parts[-2].isdigit():
        store, run_index, plan = ":".join(parts[:-2]), parts[-2], parts[-1]
    else:
        raise input_error(f"--replay: expected STORE:RUN or STORE:RUN:PLAN (e.g. batch.sqlite:17), found {text!r}")
    if not Path(store).is_file():
        raise input_error(f"--replay: no batch store at {store}")
    sc, label_, seed = load_replay(store, int(run_index), plan)
    with BatchStore(store, create=False) as st:   # the same row load_replay read: its drawn inputs
        drawn = st.run(int(run_index), plan)["inputs"] or {}
    return sc, label_, seed, dict(drawn)


def _run_input(scenario: str | None, plan: str | None, seed: int | None,
               replay: str | None) -> tuple[Any, Any, int | None, dict[str, Any] | None]:
    """The scenario, plan and seed to run, and the drawn inputs of a replayed batch run (None
    when not replaying): from the arguments, or all from ``--replay``."""

    if replay is not None:
        if scenario is not None or plan is not None or seed is not None:
            raise input_error("--replay: the stored run fixes the scenario, plan and seed; give none of them")
        return _replay(replay)
    if scenario is None:
        raise input_error("run: name a scenario (yingji scenarios list) or a .toml file, or give --replay STORE:RUN")
    if plan is not None and "," in plan and not Path(plan).exists():
        raise input_error(f"--plan {plan}: 'yingji run' takes one plan; 'yingji compare NAME --plan A,B' runs several")
    return load_checked_scenario(scenario), plan, check_seed(seed), None


def _input_value(value: Any) -> str:
    """A drawn input as the terminal shows it: numbers by :func:`.output.number`, lists joined."""
    if isinstance(value, (list, tuple)):
        return ", ".join(_input_value(v) for v in value) or "—"
    return number(value)


def _print_drawn(drawn: dict[str, Any], replay: str, lang: Lang) -> None:
    """The inputs a replayed batch run drew from the scenario's ``[uncertain]`` tables."""
    # deferred: the names module reads network.checks (numpy)
    from scenarios.batch.input_names import input_name

    t = Table(title=escape(f"{label('抽样输入', 'drawn inputs', lang.value)}: {replay}"))
    t.add_column(label("输入", "input", lang.value))
    t.add_column(label("数值", "value", lang.value), justify="right")
    t.add_column(escape("[uncertain]"))
    for path, value in drawn.items():
        t.add_row(escape(input_name(path, lang.value)), escape(_input_value(value)), escape(path))
    out_console.print(t)


def _print_run(run: Any, out: Path | None, files: list[str], lang: Lang) -> None:
    """The indicator table, the verdict, what the plan's additions cost, the run's notes and
    where its files went."""
    title = run.title_zh if lang is Lang.zh else run.title_en
    heading = f"{title} [{run.plan_label}] — {label('规划指标', 'plan indicators', lang.value)}"
    out_console.print(_indicator_table(run.kpis, heading, lang.value))
    verdict = run.result.kpis.get("verdict")
    if verdict:
        out_console.print(f"[bold]{label('结论', 'verdict', lang.value)}:[/bold] {escape(verdict[lang.value])}")
        if lang is Lang.zh:  # Chinese keeps the English beside it; English stands alone
            out_console.print(f"[dim]{escape(verdict['en'])}[/dim]")
    _print_cost(run.plan_cost, lang)
    for note in run.notes:
        out_console.print(f"[yellow]{label('注意', 'note', lang.value)}:[/yellow] {escape(name_in(note, lang.value))}")
    if out is not None:
        written(out, [f for f in files if "/" not in f], lang.value)
    if getattr(run.network, "meta", {}).get("illustrative"):
        out_console.print(f"[dim]{label('示意模型', 'illustrative model', lang.value)}[/dim]")


def _print_cost(cost: dict[str, Any] | None, lang: Lang) -> None:
    """One line on what the plan's additions cost (nothing when it adds nothing)."""
    if not (cost and cost["additions"]):
        return
    en = (f"the plan's additions: {money(cost['one_off_cny'])} one-off, {money(cost['annual_cny'])} a year "
          f"({len(cost['additions'])} additions, kpis.json → plan_cost; unit costs are estimates unless the "
          "district gives its own)")
    zh = f"预案新增内容一次性 {money(cost['one_off_cny'], 'zh')}、每年 {money(cost['annual_cny'], 'zh')} / "
    out_console.print(f"[bold]{label('费用', 'cost', lang.value)}:[/bold] {'' if lang is Lang.en else zh}{en}")


def run_command(
    scenario: Annotated[Optional[str], typer.Argument(help="a built-in scenario name (yingji scenarios list) or a scenario .toml")] = None,
    plan: PlanOpt = None,
    seed: ScenarioSeedOpt = None,
    out: Annotated[Optional[Path], out_option("folder for report.html, kpis.json, CSV, GeoJSON and figures")] = None,
    lang: LangOpt = Lang.zh,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    fail_on_target: Annotated[bool, typer.Option("--fail-on-target", help="exit 1 when a target is missed (for CI)")] = False,
    replay: Annotated[Optional[str], typer.Option("--replay", help="re-run one stored batch run exactly: STORE:RUN[:PLAN]; prints the inputs that run drew first (--json: drawn_inputs)")] = None,
    csv_encoding: CsvEncodingOpt = CsvEncoding.utf_8_sig,
) -> None:
    """Run a scenario and check the plan's targets. 运行情景并检验规划目标。"""
    # deferred: the runner and the report writers load the whole engine (~2 s)
    from scenarios.core.runner import run_scenario
    from scenarios.reports.outputs import run_summary, write_run_outputs

    sc, plan, seed, drawn = _run_input(scenario, plan, seed, replay)
    if drawn is not None and not (quiet or as_json):
        _print_drawn(drawn, replay or "", lang)   # before the run: what it was drawn with
    with progress(not (quiet or as_json)) as say:
        run = run_scenario(sc, plan=plan_arg(plan), seed=seed, progress=say)
        files: list[str] = []
        if out is not None:
            say("report", label("写入报告", "writing report", lang.value))
            files = write_run_outputs(out, run, lang=lang.value, csv_encoding=csv_encoding.value)
    if as_json:
        summary = {k: v for k, v in run_summary(run).items() if k != "kpis"}
        extra = {} if drawn is None else {"replay": replay, "drawn_inputs": drawn}
        print_json({**summary, **extra, "out": None if out is None else str(out), "files": files})
    elif not quiet:
        _print_run(run, out, files, lang)
    if fail_on_target and any(r["pass"] is False for r in run.kpis):
        raise typer.Exit(1)


def _compare_items(items: list[str], plans: list[str]) -> list[tuple[str, str | Path | None]]:
    """(scenario, plan) pairs to run: each ``NAME@PLAN`` as written, every other name under each of ``plans``."""
    pairs: list[tuple[str, str | Path | None]] = []
    for item in items:
        name, at, plan = item.partition("@")
        if at and not plan:
            raise input_error(f"{item}: expected NAME@PLAN (existing, optimized or a plan file)")
        for p in ([plan] if at else plans):
            pairs.append((name, plan_arg(p)))
    if len(pairs) < 2:
        raise input_error("compare: needs at least two runs: two scenarios, or --plan existing,optimized, or NAME@PLAN")
    return pairs


def _run_pairs(pairs: list[tuple[str, Any]], seed: int | None, say: Say) -> list[Any]:
    """Run every (scenario, plan) pair; each district file is loaded once and shared."""
    # deferred: the runner loads the whole engine (~2 s)
    from scenarios.core.inputs import load_scenario_network
    from scenarios.core.runner import run_scenario

    loaded = {name: load_checked_scenario(name) for name, _ in pairs}  # every name checked before any run
    districts: dict[str, object] = {}
    runs = []
    for i, (name, plan) in enumerate(pairs, start=1):
        sc = loaded[name]
        district = None
        if sc.network.is_district:
            key = "builtin" if sc.network.source == "builtin" else str(sc.resolve(sc.network.source))
            if key not in districts:
                districts[key] = load_scenario_network(sc)  # a district model, or a manifest's network
            district = districts[key]
        step = lambda stage, msg, i=i: say(stage, f"[{i}/{len(pairs)}] {msg}")  # noqa: E731
        runs.append(run_scenario(sc, plan=plan, seed=seed, district=district, progress=step))
    return runs


def _comparison_table(rows: list[dict], labels: list[str], lang: Lang) -> Table:
    """Indicators down, runs across; every run after the first shows its difference to the first."""
    # deferred: the report tables import the reports package (numpy)
    from scenarios.reports.tables import format_diff, format_target, format_value

    t = Table(title=label("情景对比", "comparison", lang.value))
    t.add_column(label("指标", "indicator", lang.value))
    t.add_column(label("目标", "target", lang.value))
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
        t.add_row(escape(row["zh"] if lang is Lang.zh else row["en"]), format_target(row["target"], row["unit"]), *cells)
    return t


def compare_command(
    items: Annotated[list[str], typer.Argument(help="scenarios (names or .toml), each optionally NAME@PLAN")],
    plans: PlansOpt = None,
    seed: ScenarioSeedOpt = None,
    out: Annotated[Optional[Path], out_option("folder for report.html, compare.json/csv, figures and each run's files")] = None,
    lang: LangOpt = Lang.zh,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    csv_encoding: CsvEncodingOpt = CsvEncoding.utf_8_sig,
) -> None:
    """Compare scenarios and plans side by side. 情景与预案对比。"""
    # deferred: the report writers load the whole engine (~2 s)
    from scenarios.reports.outputs import compare_rows, run_summary, write_compare_outputs
    from scenarios.reports.tables import run_labels

    pairs = _compare_items(items, plan_list(plans))
    check_seed(seed)
    with progress(not (quiet or as_json)) as say:
        runs = _run_pairs(pairs, seed, say)
        files: list[str] = []
        if out is not None:
            say("report", label("写入报告", "writing report", lang.value))
            files = write_compare_outputs(out, runs, lang=lang.value, csv_encoding=csv_encoding.value)
    rows = compare_rows(runs)
    labels = run_labels(runs)
    if as_json:
        print_json({"runs": [{"label": lab, **{k: v for k, v in run_summary(r).items() if k != "kpis"}}
                             for lab, r in zip(labels, runs)],
                    "indicators": rows, "out": None if out is None else str(out), "files": files})
    elif not quiet:
        out_console.print(_comparison_table(rows, labels, lang))
        if out is not None:
            written(out, ["report.html", "compare.json", "compare.csv", "runs/"], lang.value)


def register(app: typer.Typer) -> None:
    """Add ``scenarios list|show``, ``run`` and ``compare`` to the ``yingji`` app."""
    scenarios_app = typer.Typer(help="Built-in scenario library: list, show. 内置情景库。", no_args_is_help=True)
    scenarios_app.command("list")(scenarios_list)
    scenarios_app.command("show")(scenarios_show)
    app.add_typer(scenarios_app, name="scenarios")
    app.command("run")(run_command)
    app.command("compare")(compare_command)
