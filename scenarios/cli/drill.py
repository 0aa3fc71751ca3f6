"""``yingji drill NAME|FILE`` (write an exercise script) and ``yingji drill check msel.csv``.

``drill`` is a group whose default command is ``run``: ``yingji drill flood-50y`` is
``yingji drill run flood-50y``. Output files are written to a hidden folder next to ``--out``
and moved in only when everything succeeded, so an error leaves nothing half-written. Without
``--out`` nothing is written: the exercise's summary (title, phases, injects) is printed, with the
line that says how to get the files.
"""
from __future__ import annotations

import shlex
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from typer.core import TyperGroup

from scenarios.reports.numbers import count

from .options import CsvEncoding, CsvEncodingOpt, JsonOpt, Lang, LangOpt, QuietOpt, SeedOpt, check_positive, check_seed, out_option
from .output import label, out_console, print_json, progress


class Difficulty(str, Enum):
    """How many twists an exercise gets."""

    easy = "easy"
    normal = "normal"
    hard = "hard"


class _DefaultRun(TyperGroup):
    """A group that treats ``drill NAME ...`` as ``drill run NAME ...``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Put ``run`` in front of arguments that do not start with a subcommand or ``--help``."""
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


def _write_drill(drill: Any, out: Path, lang: str, csv_encoding: str) -> list[str]:
    """Write the MSEL (csv, xlsx, json), the evaluation sheet and the handbook into ``out`` at once."""
    # deferred: the writers import openpyxl, matplotlib and the report templates
    from scenarios.drill.design import entity_catalogue, recipient_catalogue
    from scenarios.drill.handbook import write_handbook
    from scenarios.drill.msel import write_evaluation_csv, write_msel_csv, write_msel_json, write_msel_xlsx
    from scenarios.reports.staging import staged_dir

    names = {**entity_catalogue(drill.district, drill.plan), **recipient_catalogue(drill.district)}
    m = drill.msel
    with staged_dir(out) as tmp:
        write_msel_csv(m, names, tmp / "msel.csv", lang, encoding=csv_encoding)
        write_msel_xlsx(m, names, tmp / "msel.xlsx")
        write_evaluation_csv(m, tmp / "evaluation.csv", lang, encoding=csv_encoding)
        write_msel_json(m, names, tmp / "msel.json")
        write_handbook(drill, names, tmp, lang)
        return [str(out / f.name) for f in sorted(tmp.iterdir())]


def drill_run(
    scenario: Annotated[str, typer.Argument(help="built-in scenario name (yingji scenarios list) or a scenario TOML file")],
    difficulty: Annotated[Difficulty, typer.Option("--difficulty", help="easy | normal | hard: more twists when harder")] = Difficulty.normal,
    seed: SeedOpt = 0,
    duration: Annotated[Optional[float], typer.Option("--duration", help="exercise window in hours (default: the simulated run)")] = None,
    participants: Annotated[Optional[str], typer.Option("--participants", help="comma-separated recipients to keep, e.g. flood_hq,shelter_managers,township:xijiao")] = None,
    out: Annotated[Optional[Path], out_option(
        "folder for msel.csv/.xlsx/.json, evaluation.csv and the handbook; without it nothing is written: "
        "the exercise's summary is printed only")] = None,
    lang: LangOpt = Lang.zh,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    csv_encoding: CsvEncodingOpt = CsvEncoding.utf_8_sig,
) -> None:
    """Run a scenario and write its exercise script (the handbook carries both languages). 运行情景并生成演练脚本。

    Without --out it writes nothing: the exercise's title, phases and injects are printed.
    """
    # deferred: designing a drill runs the scenario through the whole engine (~2 s to load)
    from scenarios.drill.design import design_drill, load_run

    if duration is not None:
        check_positive("--duration", duration)
    check_seed(seed)
    plist = [p for p in (participants or "").split(",") if p.strip()] or None
    with progress(not (quiet or as_json)) as say:
        say("simulate", f"{label('模拟情景', 'simulating', lang.value)} {scenario}")
        run = load_run(scenario, seed=seed)
        say("design", label("生成演练脚本", "designing the MSEL", lang.value) + (" (twists re-simulated)" if difficulty != Difficulty.easy else ""))
        drill = design_drill(run, difficulty=difficulty.value, seed=seed, duration_h=duration, participants=plist,
                             scenario_name=getattr(run, "name", scenario))
        files: list[str] = []
        if out is not None:   # without --out nothing is written: the user did not ask for files
            say("write", label("写出文件与地图", "writing files and maps", lang.value))
            files = _write_drill(drill, Path(out), lang.value, csv_encoding.value)
    m = drill.msel
    summary = {"scenario": m.scenario, "difficulty": m.difficulty, "seed": m.seed, "injects": len(m.injects),
               "twists": [t.kind for t in m.twists], "objectives": m.objectives,
               "duration": m.to_dict()["injects"][-1]["time"] if m.injects else "T+00:00",
               "out": None if out is None else str(out), "files": files}
    if as_json:
        print_json(summary)
    elif not quiet:
        _print_drill(m, summary, files, lang.value)
        if out is None:
            same = [scenario] + ([f"--difficulty {difficulty.value}"] if difficulty != Difficulty.normal else []) \
                + ([f"--seed {seed}"] if seed else []) + ([f"--duration {duration:g}"] if duration is not None else []) \
                + ([f"--participants {shlex.quote(participants)}"] if plist else [])
            hint = "yingji drill " + " ".join([shlex.quote(same[0]), *same[1:]]) + " --out DIR"
            out_console.print(escape(f"{label('演练脚本与手册', 'MSEL and handbook files', lang.value)}: {hint}"))


def _print_drill(m: Any, summary: dict[str, Any], files: list[str], lang: str) -> None:
    """The drill's title, its size, its phases (each with its time span and injects) and the
    files written, in ``lang``."""
    # deferred: the catalogue imports the drill package
    from scenarios.drill.catalogue import fmt_t

    if lang == "en":
        out_console.print(f"[bold]{escape(m.title_en)}[/bold]")
    else:
        out_console.print(f"[bold]{escape(m.title_zh)}[/bold] / {escape(m.title_en)}")
    size = (f"{count(len(m.injects))} injects · {count(len(m.twists))} twists" if lang == "en" else
            f"{count(len(m.injects))} 条注入 injects · {count(len(m.twists))} 个突发变化 twists")
    out_console.print(f"{size} ({escape(', '.join(summary['twists'])) or '—'}) · {summary['duration']}")
    for ph in getattr(m, "phases", None) or ():
        n = sum(1 for i in m.injects if i.phase == ph.key)
        name = ph.en if lang == "en" else f"{ph.zh} / {ph.en}"
        injects = f"{count(n)} injects" if lang == "en" else f"{count(n)} 条注入 injects"
        out_console.print(f"  {escape(name)}: {fmt_t(ph.t0_s)} – {fmt_t(ph.t1_s)} · {injects}")
    for f in files:
        if not Path(f).name.startswith("."):   # the staging writer's marker is bookkeeping, not output
            out_console.print(f"  {escape(f)}")


def drill_check(
    msel: Annotated[Path, typer.Argument(help="an msel.csv, msel.xlsx or msel.json (edited or not)")],
    scenario: Annotated[Optional[str], typer.Option("--scenario", help="scenario to check against (default: the one in msel.json beside the file, else the built-in district)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check an edited MSEL: times, references, objectives. 校验演练脚本。"""
    # deferred: the check loads the scenario's district
    from scenarios.drill.msel import check_msel

    problems = check_msel(msel, scenario)
    if as_json:
        print_json({"file": str(msel), "problems": problems})
    elif problems:
        for p in problems:
            print(p, file=sys.stderr)
    else:
        print(f"{msel}: ok")
    if problems:
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    """Add ``yingji drill`` (default command ``run``) and ``yingji drill check``."""
    drill_app = typer.Typer(
        cls=_DefaultRun, no_args_is_help=True,
        help="Exercise scripts (MSEL) from simulated scenarios: `yingji drill NAME|FILE`, `yingji drill check msel.csv`. "
             "演练脚本：由模拟情景生成主情景事件清单。",
    )
    drill_app.command("run")(drill_run)
    drill_app.command("check")(drill_check)
    app.add_typer(drill_app, name="drill")
