"""``yingji drill`` without ``--out`` writes nothing where the user did not ask (issue 20, item 4):
it prints the exercise's summary and says how to get the files, like ``batch report``."""
from __future__ import annotations

import json
import re

import pytest

from scenarios.cli import main
from scenarios.cli.output import out_console
from tests.cli_checks import SHORT_CHEMICAL

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    """A wide console, so the hint is not wrapped across two lines."""
    monkeypatch.setattr(out_console, "_width", 400)
    monkeypatch.setattr(out_console, "_height", 50)


@pytest.fixture()
def scenario(tmp_path_factory):
    path = tmp_path_factory.mktemp("drill-scenario") / "chem.toml"
    path.write_text(SHORT_CHEMICAL, encoding="utf-8")
    return path


def test_drill_without_out_prints_the_summary_and_writes_nothing(scenario, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    beside = set(scenario.parent.iterdir())
    assert main(["drill", str(scenario), "--difficulty", "easy", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []                      # no ./drill/, nothing else
    assert set(scenario.parent.iterdir()) == beside            # nor beside the scenario
    assert "emergency exercise" in out and "injects" in out and "warning and activation" in out
    assert f"yingji drill {scenario} --difficulty easy --out DIR" in out
    assert not CJK.search(out), out
    # --json: the summary says nothing was written
    assert main(["drill", str(scenario), "--difficulty", "easy", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["out"] is None and res["files"] == [] and res["injects"] > 0
    assert list(tmp_path.iterdir()) == []


def test_drill_help_says_out_is_needed_for_files(capsys):
    assert main(["drill", "run", "--help"]) == 0
    assert "Without --out it writes nothing" in " ".join(capsys.readouterr().out.split())
