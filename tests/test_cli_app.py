"""The ``yingji`` app itself: help for every command, ``--version``, and a fast ``--help``."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer

from scenarios.cli import app, main


def _command_paths(group=None, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group of the app, as the words that name it (the app itself is ())."""
    group = group or typer.main.get_command(app)
    paths = [prefix]
    for name, cmd in getattr(group, "commands", {}).items():
        paths += _command_paths(cmd, (*prefix, name)) if hasattr(cmd, "commands") else [(*prefix, name)]
    return paths


PATHS = _command_paths()


def test_every_command_is_reached():
    names = {" ".join(p) for p in PATHS}
    assert {"", "run", "compare", "network map", "hazard fire", "simulate queue", "optimize orlib pmedian",
            "optimize pmedcap", "optimize cvrp", "optimize plan", "batch report", "drill run", "drill check"} <= names


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "yingji")
def test_help_shows_switches_as_flags(capsys, path):
    """``--json``, ``--quiet``, ``--help`` take no value, so help shows no ``<bool>`` after them."""
    assert main([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert "--help" in out
    assert "<bool>" not in out and "<boolean>" not in out.lower()


def test_flag_pairs_and_values_still_show(capsys):
    assert main(["hazard", "flood", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--gif" in out and "--no-gif" in out and "--json" in out and "--quiet" in out
    assert "<zh|en>" in out and "<float>" in out  # options that take a value keep their type


def test_help_keeps_square_brackets(capsys):
    assert main(["run", "--help"]) == 0
    assert "[plan]" in capsys.readouterr().out  # not swallowed as rich markup


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(capsys, flag):
    from importlib.metadata import PackageNotFoundError, version

    try:
        expected = version("yingji")
    except PackageNotFoundError:
        expected = "source"
    assert main([flag]) == 0
    assert capsys.readouterr().out.strip() == f"yingji {expected}"


def test_version_from_a_checkout(capsys, monkeypatch):
    import importlib.metadata as md

    def not_installed(name):
        raise md.PackageNotFoundError(name)

    monkeypatch.setattr(md, "version", not_installed)
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "yingji source"


def test_version_runs_no_command(capsys):
    assert main(["--version", "run", "no-such-scenario"]) == 0
    cap = capsys.readouterr()
    assert cap.out.startswith("yingji ") and cap.err == ""


def test_help_loads_no_engine():
    """``yingji --help`` stays fast: the engine (numpy, scipy, network, sim, optimize, dask) loads on use."""
    code = ("import contextlib, io, json, sys\n"
            "from scenarios.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    main(['--help'])\n"
            "heavy = {'numpy', 'scipy', 'network', 'sim', 'optimize', 'dask', 'matplotlib', 'ortools'}\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []


def _readme_command_lines() -> list[list[str]]:
    """The ``yingji ...`` command lines of the README, as argument lists (comments and redirections cut)."""
    import shlex
    from pathlib import Path

    lines = []
    for line in (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8").splitlines():
        text = line.split("&& .venv/bin/")[-1].strip()
        if text.startswith("yingji "):
            words = shlex.split(text.split("  #")[0].split(" > ")[0])
            lines.append(words[1:])
    return lines


@pytest.mark.parametrize("args", _readme_command_lines(), ids=" ".join)
def test_readme_command_lines_parse(args):
    """Every command line in the README names a command and options that exist (parsed, not run)."""
    cmd = typer.main.get_command(app)
    try:
        ctx = cmd.make_context("yingji", list(args), resilient_parsing=False)
    except typer.Exit as stop:  # an eager option (--version) answers while parsing
        assert stop.exit_code == 0
        return
    while hasattr(cmd, "commands"):
        words = ctx._protected_args + ctx.args  # the words a group leaves to its subcommand
        if not words or words[0] not in cmd.commands:
            break  # a group with its own arguments: `batch NAME`, `drill NAME`, `simulate`
        cmd = cmd.commands[words[0]]
        ctx = cmd.make_context(words[0], words[1:], parent=ctx)


def test_plan_lists_are_repeatable_and_comma_separated():
    from network.errors import InputError
    from scenarios.cli.options import plan_list

    assert plan_list(None) == ["existing"]
    assert plan_list(["existing,optimized", " p.json "]) == ["existing", "optimized", "p.json"]
    with pytest.raises(InputError, match="--plan"):
        plan_list([" , "])


def test_run_takes_one_plan(capsys):
    assert main(["run", "chlorine-night", "--plan", "existing,optimized"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("yingji: error: --plan") and "compare" in err and len(err.strip().splitlines()) == 1


def test_negative_seed_is_one_line_everywhere(capsys, tmp_path):
    for args in (["simulate", "queue", "--arrivals-per-hour", "6", "--service-minutes", "30", "--teams", "4"],
                 ["hazard", "fire", "--out", str(tmp_path / "never")], ["simulate"]):
        assert main([*args, "--seed", "-1"]) == 2, args
        err = capsys.readouterr().err
        assert err.strip() == "yingji: error: --seed: expected an integer from 0 to 2**63 - 1, found -1", args
    assert not any(tmp_path.iterdir())
