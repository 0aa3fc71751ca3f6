"""How every ``yingji`` command prints: results on stdout, progress on stderr.

Keeping progress on stderr leaves stdout to the result alone, so ``--json`` output is one
parseable object and ``yingji ... > file`` captures only the table.
"""
from __future__ import annotations

import json
import re
import signal
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from scenarios.reports import numbers

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


def label(zh: str, en: str, lang: str = "zh") -> str:
    """A heading in the terminal's language: ``指标 / indicator`` in Chinese (English beside it),
    ``indicator`` alone with ``--lang en``."""
    return en if lang == "en" else f"{zh} / {en}"


def pick(zh: str, en: str, lang: str = "zh") -> str:
    """One of two names (a place, a title) in the terminal's language."""
    return en if lang == "en" else zh


#: a Chinese name with its English after it, ``园区氯碱化工厂 / `` in ``园区氯碱化工厂 / Industrial park ...``
_ZH_BEFORE_EN = re.compile(r"[^\x00-\x7f]*[\u4e00-\u9fff][^/:;,\n]*?\s/\s")


def name_in(name: str, lang: str = "zh") -> str:
    """Text that writes names ``中文 / English`` in the terminal's language: with ``--lang en``
    each such name keeps its English part only; otherwise the text is kept as it is."""
    if lang != "en":
        return name
    return _ZH_BEFORE_EN.sub("", name)


def print_items(title: str, items: dict[str, Any], *, skip: tuple[str, ...] = (), lang: str = "zh") -> None:
    """A two-column table of a result's scalar items; lists and tables are left to ``--json``.
    Floats are rates to 3 significant figures, integers counts (:mod:`scenarios.reports.numbers`)."""
    t = Table(title=escape(title))
    t.add_column(label("指标", "indicator", lang))
    t.add_column(label("数值", "value", lang), justify="right")
    for key, value in items.items():
        if key in skip or isinstance(value, (list, dict)) or (lang == "en" and str(key).endswith("_zh")):
            continue  # with --lang en the Chinese twin of a name is left out
        t.add_row(escape(str(key)), escape(number(value)))
    out_console.print(t)


def number(value: Any) -> str:
    """A bare figure of unknown kind: a whole number as a count (exact: an objective of 5819.0
    stays 5,819), any other float as a rate (3 significant figures), anything else as text."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    whole = isinstance(value, int) or (numbers.finite(value) is not None and float(value).is_integer())
    return numbers.count(value) if whole else numbers.rate(value)


def print_result(res: dict[str, Any], as_json: bool, title: str, lang: str = "zh") -> None:
    """A result dict as one JSON object (``--json``) or as a table."""
    if as_json:
        print_json(res)
    else:
        print_items(title, res, lang=lang)


def verdict(ok: bool | None, lang: str = "zh") -> str:
    """A target's pass/fail cell: green pass, red fail, a dash when the target does not apply."""
    if ok is None:
        return "—"
    if lang == "en":
        return "[green]pass[/green]" if ok else "[red]fail[/red]"
    return "[green]达标 pass[/green]" if ok else "[red]未达标 fail[/red]"


def written(out: Any, files: list[str], lang: str = "zh") -> None:
    """The closing line naming the folder and the files a command wrote there (not the staging
    writer's hidden marker, which is bookkeeping, not output)."""
    shown = [f for f in files if not f.startswith(".")]
    out_console.print(f"{label('输出', 'written to', lang)} {escape(str(out))}: {escape(', '.join(shown))}")


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
