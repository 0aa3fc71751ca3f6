"""The ``yingji`` command line: the app, its command families and :func:`main`.

Each family of commands lives in its own module with a ``register(app)``; the options they
share are defined once in :mod:`.options`. Errors in input are printed as one readable line
(``yingji: error: ...``) with exit status 2, never as a traceback. Set ``YINGJI_DEBUG=1`` to see
tracebacks.
"""
from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperOption

from . import batch, drill, hazard, network, optimize, run, simulate


def _flags_show_no_type() -> None:
    """Render on/off switches in rich help as bare flags, not ``--json <bool>``.

    typer 0.29 (which carries its own copy of click, so the installed click plays no part) builds
    the rich help's type column from ``TyperOption.display_type_rich``, which gives every option,
    flags included, a type label. typer <= 0.28 dropped labels containing "bool" there, and its
    plain-text help still leaves flags bare; declaring ``is_flag=True`` does not help. This wraps
    that one method so that flags show no type again, on any typer version that has it.
    """
    shown = getattr(TyperOption, "display_type_rich", None)
    if shown is None or getattr(shown, "flags_bare", False):
        return  # typer <= 0.28: flags are already bare

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        """No type for a flag (it takes no value); typer's own label for any other option."""
        return None if self.is_flag else shown(self, ctx)

    display_type_rich.flags_bare = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


def _version() -> str:
    """The installed package's version, or ``source`` when yingji runs from a checkout."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("yingji")
    except PackageNotFoundError:
        return "source"


def _print_version(value: bool) -> None:
    """``--version``: print the version and stop before any command runs."""
    if value:
        print(f"yingji {_version()}")
        raise typer.Exit()


_flags_show_no_type()
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
for family in (network, hazard, simulate, optimize, run, batch, drill):
    family.register(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning errors into one-line messages and exit codes."""
    debug = os.environ.get("YINGJI_DEBUG") == "1"
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
        # an engine bug: still one readable line, traceback on request
        print(f"yingji: internal error: {type(exc).__name__}: {exc} (set YINGJI_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
