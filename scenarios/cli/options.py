"""The options that every ``yingji`` command spells and means the same way, defined once.

Each common option is an ``Annotated`` type to put on a command's parameter; where the help must
say what one command writes (``--out``) or where its default comes from (``--seed``), a small
factory builds the option with that text. The spelling of each option lives only here.

| option | meaning |
| --- | --- |
| ``--lang zh|en`` | language of labels, tables, maps and reports (default zh); the terminal too: Chinese with English beside the headings, or English only |
| ``--json`` | print the result as one JSON object on stdout, and nothing else there |
| ``--out/-o`` | where the files go |
| ``--seed`` | random seed, an integer >= 0 |
| ``--quiet/-q`` | no progress and no table: files, errors and exit status only |
| ``--plan`` | one plan: existing, optimized or a plan JSON file; repeatable or comma-separated on the commands that run several (``compare``, ``batch``), where ``--plans`` is kept as the older spelling |
| ``--time-limit`` | solver seconds |
| ``--csv-encoding utf-8-sig|utf-8|gbk`` | the encoding of every CSV a command writes: UTF-8 with a BOM (default; Excel opens it right), plain UTF-8, or GBK (old Excel macros; a character GBK lacks is an input error naming the file and column) |
| ``--engine 2d|fill`` | the flood engine: the 2-D local-inertial solver (default) or the connected fill (a quick look) |
| ``--workers/-w``, ``--scheduler``, ``--tls-ca``, ``--tls-cert``, ``--tls-key`` | where batch simulations run: local worker processes, or a running Dask scheduler (``tls://`` with the cluster's CA and a client certificate) |

Values are checked here too, so every command words a bad value the same way; those errors are
:class:`network.errors.InputError`, printed as one line with exit status 2 by ``main()``.
"""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

__all__ = [
    "Lang", "LangOpt", "CsvEncoding", "CsvEncodingOpt", "WorkersOpt", "SchedulerOpt", "TlsCaOpt", "TlsCertOpt", "TlsKeyOpt", "FloodEngine", "EngineOpt", "JsonOpt", "QuietOpt", "SeedOpt", "TimeLimitOpt", "PlanOpt", "PlansOpt",
    "out_option", "seed_option", "plan_option", "input_error", "check_seed", "check_positive", "plan_arg", "plan_list",
]


class Lang(str, Enum):
    """Language of labels, tables, maps and reports."""

    zh = "zh"
    en = "en"


LangOpt = Annotated[Lang, typer.Option("--lang", help="语言 / language of labels, tables, maps and reports: zh or en")]


class CsvEncoding(str, Enum):
    """The encoding of the CSV files a command writes (:data:`network.cells.CSV_ENCODINGS`)."""

    utf_8_sig = "utf-8-sig"
    utf_8 = "utf-8"
    gbk = "gbk"


CsvEncodingOpt = Annotated[CsvEncoding, typer.Option(
    "--csv-encoding", help="CSV 编码 / encoding of the CSV files written: utf-8-sig (UTF-8 with a BOM, what Excel "
                           "opens right; default), utf-8, or gbk (a character GBK lacks is an error naming the file and column)")]


class FloodEngine(str, Enum):
    """The flood engine (see :data:`sim.hazards.flood.scenario.ENGINES`)."""

    two_d = "2d"
    fill = "fill"


EngineOpt = Annotated[FloodEngine, typer.Option(
    "--engine", help="洪水引擎 / flood engine: 2d (local-inertial solver, about a minute a flood) or fill (a quick look)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print the result as one JSON object on stdout (no table, no progress)")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="no progress and no table: files, errors and exit status only")]
TimeLimitOpt = Annotated[
    float, typer.Option("--time-limit", help="solver seconds, all solves together; when time runs out the best plan so far and its gap are reported")
]
WorkersOpt = Annotated[Optional[int], typer.Option("--workers", "-w", help="local worker processes (default: CPU count)")]
SchedulerOpt = Annotated[Optional[str], typer.Option(
    "--scheduler", help="address of a running Dask scheduler: tcp://HOST:PORT, or tls://HOST:PORT with --tls-ca and --tls-cert")]
TlsCaOpt = Annotated[Optional[Path], typer.Option("--tls-ca", help="PEM: the CA certificate of a tls:// scheduler's cluster")]
TlsCertOpt = Annotated[Optional[Path], typer.Option(
    "--tls-cert", help="PEM: this client's certificate, signed by the cluster's CA (may hold the key too)")]
TlsKeyOpt = Annotated[Optional[Path], typer.Option("--tls-key", help="PEM: the private key of --tls-cert")]


def out_option(what: str) -> Any:
    """``--out/-o``, with help that says what the command writes there."""
    return typer.Option("--out", "-o", help=f"输出 / output: {what}")


def seed_option(default: str | None = None) -> Any:
    """``--seed``; ``default`` says where the seed comes from when it is not given."""
    return typer.Option("--seed", help="随机种子 / random seed, an integer >= 0" + (f" (default: {default})" if default else ""))


def plan_option(what: str = "existing | optimized | a plan JSON file (default: the scenario's \\[plan])") -> Any:
    """``--plan`` naming one plan."""
    return typer.Option("--plan", help=f"预案 / plan: {what}")


SeedOpt = Annotated[int, seed_option()]
PlanOpt = Annotated[Optional[str], plan_option()]
# --plans was the spelling of compare and batch; it stays accepted so existing scripts keep working
PlansOpt = Annotated[Optional[list[str]], typer.Option(
    "--plan", "--plans", metavar="<plan,...>",
    help="预案 / plans to run, repeatable or comma-separated: existing, optimized or plan JSON files "
         "(default: existing); --plans is the older spelling, still accepted")]


def input_error(message: str) -> Exception:
    """An :class:`network.errors.InputError` to raise: ``main()`` prints it as one line, exit status 2."""
    # deferred: the network package loads numpy and scipy (~0.8 s), which `yingji --help` must not pay
    from network.errors import InputError

    return InputError(message)


def check_seed(seed: int | None) -> int | None:
    """``seed`` itself, or an input error when it is negative (numpy refuses negative seeds)."""
    if seed is not None and not 0 <= seed <= 2**63 - 1:
        raise input_error(f"--seed: expected an integer from 0 to 2**63 - 1, found {seed}")
    return seed


def check_positive(option: str, value: float) -> float:
    """``value`` itself, or an input error naming ``option`` when it is not above zero."""
    if not value > 0:
        raise input_error(f"{option} must be positive, found {value:g}")
    return value


def plan_arg(text: str | None) -> str | Path | None:
    """A ``--plan`` value as the runner takes it: ``existing``, ``optimized``, a file, or None."""
    if text is None or text in ("existing", "optimized", "optimised"):
        return "optimized" if text == "optimised" else text
    return Path(text)


def plan_list(values: list[str] | None, default: str = "existing") -> list[str]:
    """Repeated and comma-separated ``--plan`` values, in order; ``default`` when none is given."""
    plans = [p.strip() for v in (values or [default]) for p in v.split(",") if p.strip()]
    if not plans:
        raise input_error("--plan: name at least one plan (existing, optimized or a plan JSON file)")
    return plans


def load_checked_scenario(name: str) -> Any:
    """A scenario as ``load_scenario`` reads it, with its ``[uncertain]`` tables checked as a batch
    would check them (an unknown path or distribution is an input error for a single run too)."""
    # deferred: the spec imports pydantic and the network package; the distributions scipy
    from scenarios.batch.uncertainty import check_paths, parse_uncertain
    from scenarios.core.spec import load_scenario

    sc = load_scenario(name)
    if sc.uncertain:
        where = sc.source or sc.name
        check_paths(parse_uncertain(sc.uncertain, source=where), sc, source=where)
    return sc
