"""``yingji drill NAME|FILE`` (write an exercise script) and ``yingji drill check msel.csv``.

``drill`` is a group whose default command is ``run``: ``yingji drill flood-50y`` is
``yingji drill run flood-50y``. Output files are written to a hidden folder next to ``--out``
and moved in only when everything succeeded, so an error leaves nothing half-written.
"""
from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from network.errors import InputError

from scenarios.reports.staging import staged_dir


class Difficulty(str, Enum):
    easy = "easy"
    normal = "normal"
    hard = "hard"


class _Lang(str, Enum):
    zh = "zh"
    en = "en"


class _DefaultRun(TyperGroup):
    """A group that treats ``drill NAME ...`` as ``drill run NAME ...``."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


drill_app = typer.Typer(
    cls=_DefaultRun, no_args_is_help=True,
    help="Exercise scripts (MSEL) from simulated scenarios: `yingji drill NAME|FILE`, `yingji drill check msel.csv`. "
         "演练脚本：由模拟情景生成主情景事件清单。",
)


def _progress(quiet: bool):
    from rich.console import Console

    console = Console(stderr=True)
    if quiet:
        return lambda msg: None
    return lambda msg: console.print(f"[dim]· {msg}[/dim]")


@drill_app.command("run")
def drill_run(
    scenario: Annotated[str, typer.Argument(help="built-in scenario name (yingji scenarios list) or a scenario TOML file")],
    difficulty: Annotated[Difficulty, typer.Option("--difficulty", help="easy | normal | hard: more twists when harder")] = Difficulty.normal,
    seed: Annotated[int, typer.Option("--seed", help="seed for the twists (and the simulation, when given)")] = 0,
    duration: Annotated[float | None, typer.Option("--duration", help="exercise window in hours (default: the simulated run)")] = None,
    participants: Annotated[str | None, typer.Option("--participants", help="comma-separated recipients to keep, e.g. flood_hq,shelter_managers,township:xijiao")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder")] = Path("drill"),
    lang: Annotated[_Lang, typer.Option("--lang", help="language of msel.csv, evaluation.csv and the maps (the handbook carries both)")] = _Lang.zh,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON summary")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress messages")] = False,
) -> None:
    """Run a scenario and write its exercise script. 运行情景并生成演练脚本。"""
    from scenarios.drill.design import design_drill, entity_catalogue, load_run, recipient_catalogue
    from scenarios.drill.handbook import write_handbook
    from scenarios.drill.msel import (
        write_evaluation_csv,
        write_msel_csv,
        write_msel_json,
        write_msel_xlsx,
    )

    say = _progress(quiet or as_json)
    if duration is not None and not duration > 0:
        raise InputError(f"--duration: expected a positive number of hours, found {duration}")
    if seed < 0:
        raise InputError(f"--seed: expected a non-negative integer, found {seed}")
    plist = [p for p in (participants or "").split(",") if p.strip()] or None
    say(f"模拟情景 / simulating {scenario}")
    run = load_run(scenario, seed=seed)
    say("生成演练脚本 / designing the MSEL" + (" (twists re-simulated)" if difficulty != Difficulty.easy else ""))
    drill = design_drill(run, difficulty=difficulty.value, seed=seed, duration_h=duration, participants=plist,
                         scenario_name=getattr(run, "name", scenario))
    names = {**entity_catalogue(drill.district, drill.plan), **recipient_catalogue(drill.district)}
    out = Path(out)
    with staged_dir(out) as tmp:
        say("写出文件与地图 / writing files and maps")
        m = drill.msel
        write_msel_csv(m, names, tmp / "msel.csv", lang.value)
        write_msel_xlsx(m, names, tmp / "msel.xlsx")
        write_evaluation_csv(m, tmp / "evaluation.csv", lang.value)
        write_msel_json(m, names, tmp / "msel.json")
        write_handbook(drill, names, tmp, lang.value)
        written = [str(out / f.name) for f in sorted(tmp.iterdir())]
    summary = {"scenario": m.scenario, "difficulty": m.difficulty, "seed": m.seed, "injects": len(m.injects),
               "twists": [t.kind for t in m.twists], "objectives": m.objectives,
               "duration": m.to_dict()["injects"][-1]["time"] if m.injects else "T+00:00", "files": written}
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.markup import escape

    c = Console()
    c.print(f"[bold]{escape(m.title_zh)}[/bold] / {escape(m.title_en)}")
    c.print(f"{len(m.injects)} 条注入 injects · {len(m.twists)} 个突发变化 twists ({', '.join(summary['twists']) or '—'}) · "
            f"{summary['duration']}")
    for f in written:
        c.print(f"  {escape(f)}")


@drill_app.command("check")
def drill_check(
    msel: Annotated[Path, typer.Argument(help="an msel.csv (edited or not)")],
    scenario: Annotated[str | None, typer.Option("--scenario", help="scenario to check against (default: the one in msel.json beside the file, else the built-in district)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the problems as a JSON list")] = False,
) -> None:
    """Check an edited MSEL: times, references, objectives. 校验演练脚本。"""
    from scenarios.drill.msel import check_msel

    problems = check_msel(msel, scenario)
    if as_json:
        print(json.dumps({"file": str(msel), "problems": problems}, ensure_ascii=False))
    elif problems:
        for p in problems:
            print(p, file=sys.stderr)
    else:
        print(f"{msel}: ok")
    if problems:
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    """Add ``yingji drill`` to the main app."""
    app.add_typer(drill_app, name="drill")
