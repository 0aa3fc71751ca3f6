"""The ``yingji`` command line: the app, its command families and :func:`main`.

Each family of commands lives in its own module with a ``register(app)``; the options they
share are defined once in :mod:`.options`. Errors in input are printed as one readable line
(``yingji: error: ...``) with exit status 2, never as a traceback. Set ``YINGJI_DEBUG=1`` to see
tracebacks.
"""
from __future__ import annotations

import errno
import os
import sys
import warnings
from typing import Annotated

import typer

from scenarios.core.version import yingji_version

from . import batch, district, drill, hazard, network, optimize, run, simulate


def _print_version(value: bool) -> None:
    """``--version``: print the version and stop before any command runs."""
    if value:
        print(f"yingji {yingji_version()}")
        raise typer.Exit()


app = typer.Typer(
    name="yingji",
    help="应急 yingji — emergency simulation and resource optimisation for district planners "
    "(built-in model: 昌江区 Changjiang District, Jingdezhen).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", "-V", is_eager=True, callback=_print_version,
                                          help="print the version and exit / 显示版本")] = False,
) -> None:
    """The app's own options, read before any command."""


# the order of the families in `yingji --help`
for family in (network, district, hazard, simulate, optimize, run, batch, drill):
    family.register(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning errors into one-line messages and exit codes."""
    debug = os.environ.get("YINGJI_DEBUG") == "1"
    with warnings.catch_warnings(record=not debug) as caught:
        if not debug:
            warnings.simplefilter("default")
        code = _run(argv, debug)
    if caught and code == 0:
        # after the output, one line each (Python's own format names source lines); on an error the
        # one-line message stands alone
        for message in dict.fromkeys(str(w.message) for w in caught):
            print(f"yingji: warning: {message}", file=sys.stderr)
    return code


def _run(argv: list[str] | None, debug: bool) -> int:
    """The command itself, its errors as one line and an exit status."""
    try:
        app(args=argv, prog_name="yingji")  # click's standalone mode: usage errors exit 2 with a message
        return 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        print("yingji: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # deferred: the network package loads numpy and scipy, which `yingji --help` must not pay for
        from network.errors import YingjiError

        if debug:
            raise
        if isinstance(exc, YingjiError):
            print(f"yingji: error: {exc}", file=sys.stderr)
            return 2
        env = _environment_problem(exc)
        if env is not None:
            print(f"yingji: error: {env}", file=sys.stderr)
            return 2
        # an engine bug: still one readable line, traceback on request
        print(f"yingji: internal error: {type(exc).__name__}: {exc} (set YINGJI_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return 1


#: errno values that are the machine's state, not a bug: a full disk or quota, no permission, a
#: read-only file system, too many open files
_ENVIRONMENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EMFILE,
                                 errno.ENFILE})
#: SQLite's words for the same (it raises OperationalError without an errno)
_SQLITE_ENVIRONMENT = ("disk is full", "readonly database", "unable to open database", "disk i/o error",
                       "database is locked")


def _environment_problem(exc: BaseException) -> str | None:
    """One line for an error the machine caused (disk full, permissions) wherever a command met
    it, or None when ``exc`` is not one (then it is an engine bug)."""
    if isinstance(exc, OSError) and exc.errno in _ENVIRONMENT_ERRNOS:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc} (the machine, not the input: free space or fix permissions, then rerun)"
    if type(exc).__name__ == "OperationalError" and type(exc).__module__ == "sqlite3":
        text = str(exc)
        if any(w in text.lower() for w in _SQLITE_ENVIRONMENT):
            return f"SQLite: {text} (the machine, not the input: free space or fix permissions, then rerun)"
    return None


if __name__ == "__main__":
    sys.exit(main())
