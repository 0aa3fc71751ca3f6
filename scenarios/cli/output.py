"""How every ``yingji`` command prints: results on stdout, progress on stderr.

Keeping progress on stderr leaves stdout to the result alone, so ``--json`` output is one
parseable object and ``yingji ... > file`` captures only the table.
"""
from __future__ import annotations

import json
import signal
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

out_console = Console()
err_console = Console(stderr=True)

#: ``say(stage, message)``: report what a command is doing now
Say = Callable[[str, str], None]


def print_json(obj: Any) -> None:
    """``obj`` as one line of JSON on stdout; Chinese stays readable, anything else prints as text."""
    print(json.dumps(obj, ensure_ascii=False, default=str))


@contextmanager
def progress(enabled: bool) -> Iterator[Say]:
    """A spinner on stderr with the current stage and the elapsed time, or a no-op when disabled."""
    if not enabled:
        yield lambda stage, msg: None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as prog:
        task = prog.add_task("…", total=None)
        yield lambda stage, msg: prog.update(task, description=escape(msg))


def print_items(title: str, items: dict[str, Any], *, skip: tuple[str, ...] = (), number: str = ",.4g") -> None:
    """A two-column table of a result's scalar items; lists and tables are left to ``--json``."""
    t = Table(title=escape(title))
    t.add_column("指标 / indicator")
    t.add_column("数值 / value", justify="right")
    for key, value in items.items():
        if key in skip or isinstance(value, (list, dict)):
            continue
        t.add_row(escape(str(key)), format(value, number) if isinstance(value, float) else escape(str(value)))
    out_console.print(t)


def print_result(res: dict[str, Any], as_json: bool, title: str) -> None:
    """A result dict as one JSON object (``--json``) or as a table."""
    if as_json:
        print_json(res)
    else:
        print_items(title, res)


def verdict(ok: bool | None) -> str:
    """A target's pass/fail cell: green pass, red fail, a dash when the target does not apply."""
    return "—" if ok is None else ("[green]达标 pass[/green]" if ok else "[red]未达标 fail[/red]")


def written(out: Any, files: list[str]) -> None:
    """The closing line naming the folder and the files a command wrote there (not the staging
    writer's hidden marker, which is bookkeeping, not output)."""
    shown = [f for f in files if not f.startswith(".")]
    out_console.print(f"输出 / written to {escape(str(out))}: {escape(', '.join(shown))}")


@contextmanager
def interruptible(message: Callable[[], str]) -> Iterator[None]:
    """SIGTERM stops the command like Ctrl-C; on either, print ``message()`` (what was stored
    and how to go on) and exit with status 130."""
    def terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    except KeyboardInterrupt:
        err_console.print(message())
        raise typer.Exit(130)
    finally:
        signal.signal(signal.SIGTERM, previous)
