"""The terminal follows ``--lang`` and writes each figure one way in every command (issue 20, item 4):
English only with ``--lang en``, the same formatter for shares, counts, hours, rates and money,
nothing written where the user did not ask, and ``run --replay`` showing the inputs it drew."""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from scenarios.cli import main
from scenarios.cli.output import number, out_console
from scenarios.reports import numbers
from tests.cli_checks import SHORT_CHEMICAL

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    """A wide console, so no figure is wrapped across two lines of a table cell."""
    monkeypatch.setattr(out_console, "_width", 400)
    monkeypatch.setattr(out_console, "_height", 50)


def _flood_text(hours: float = 4.0) -> str:
    """flood-50y with its [uncertain] tables, on the quick fill engine and for ``hours``."""
    from scenarios.core.spec import load_scenario

    text = load_scenario("flood-50y").text
    text = re.sub(r'engine = "2d"', 'engine = "fill"', text, count=1)
    return re.sub(r"duration_h = [0-9.]+", f"duration_h = {hours}", text, count=1)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The short chemical and flood scenarios, and a two-run batch store of the flood."""
    d = tmp_path_factory.mktemp("terminal")
    (d / "chem.toml").write_text(SHORT_CHEMICAL, encoding="utf-8")
    (d / "flood.toml").write_text(_flood_text(), encoding="utf-8")
    store = d / "store" / "b.sqlite"
    store.parent.mkdir()
    assert main(["batch", str(d / "flood.toml"), "--runs", "2", "--workers", "1", "--store", str(store), "-q"]) == 0
    return {"chem": d / "chem.toml", "flood": d / "flood.toml", "store": store}


def _stdout(capsys, args: list[str], code: int = 0) -> str:
    """Run the CLI, check its exit status, return its stdout."""
    got = main(args)
    cap = capsys.readouterr()
    assert got == code, cap.err
    return cap.out


# ----------------------------------------------------------------------------- one formatter

def test_each_kind_of_figure_has_one_form():
    assert numbers.share(0.1183) == "11.8 %"
    assert numbers.count(20362.0) == "20,362"
    assert numbers.hours(7.44) == "7.4 h"
    assert numbers.rate(2.84306, "per million") == "2.84 per million"
    assert numbers.rate(20362.0) == "20,400" and "e+" not in numbers.rate(1.5e7)
    assert numbers.rate(0.000123456) == "0.000123"
    assert numbers.money(1250000) == "CNY 1,250,000" and numbers.money(1250000, "zh") == "1,250,000 元"
    assert numbers.value(0.118, "share") == "11.8 %" and numbers.value(2.84306, "per million") == "2.84 per million"
    assert numbers.value(None, "h") == numbers.value(float("nan"), "share") == "—"
    assert numbers.diff(-0.5, "per million") == "-0.500 per million"


def test_run_and_simulate_print_each_figure_the_same_way(capsys, files):
    from scenarios.reports.tables import format_target, format_value

    for args in (["run", str(files["flood"])], ["simulate", "--engine", "fill"]):
        text = _stdout(capsys, [*args, "--lang", "en"])
        rows = json.loads(_stdout(capsys, [*args, "--json"]))["indicators"]
        for row in rows:
            assert format_value(row["value"], row["unit"]) in text, (args, row)
            assert format_target(row["target"], row["unit"]) in text, (args, row)
        assert not re.search(r"\d\.\d+e[+-]\d", text), text   # no 2.04e+04
        assert not re.search(r"\b0\.\d{3}\b(?! ‰)", text.split("verdict")[0]), text  # no bare 0.118 share
    run = json.loads(_stdout(capsys, ["run", str(files["flood"]), "--json"]))
    deaths = next(r for r in run["indicators"] if r["indicator"] == "flood_deaths_per_million")
    assert deaths["pass"] is False, deaths
    figure = numbers.rate(deaths["value"])
    assert f"Flood deaths {figure} per million" in run["verdict"]["en"]   # the verdict says what the table says


# ----------------------------------------------------------------------------- --lang en

def _commands(files, tmp: Path) -> dict[str, list[str]]:
    return {
        "run": ["run", str(files["flood"]), "--out", str(tmp / "run")],
        "compare": ["compare", f"{files['chem']}@existing", f"{files['chem']}@existing", "--out", str(tmp / "cmp")],
        "simulate": ["simulate", "--engine", "fill"],
        "replay": ["run", "--replay", f"{files['store']}:1"],
        "batch report": ["batch", "report", str(files["store"]), "--out", str(tmp / "rep")],
        "drill": ["drill", str(files["chem"]), "--difficulty", "easy", "--out", str(tmp / "drill")],
        "hazard": ["hazard", "chemical", "--site", "chlor-alkali-plant", "--minutes", "10", "--no-gif",
                   "--out", str(tmp / "hz")],
        "optimize plan": ["optimize", "plan", "--teams", "1", "--shelters", "1", "--warehouses", "1",
                          "--time-limit", "5", "--engine", "fill", "--out", str(tmp / "plan")],
        "network info": ["network", "info"],
        "scenarios list": ["scenarios", "list"],
    }


@pytest.mark.parametrize("name", ["run", "compare", "simulate", "replay", "batch report", "drill", "hazard",
                                  "optimize plan", "network info", "scenarios list"])
def test_lang_en_prints_no_chinese(capsys, files, tmp_path, name):
    args = _commands(files, tmp_path)[name]
    out = _stdout(capsys, [*args, "--lang", "en"])
    assert out.strip() and not CJK.search(out), out
    if name in ("network info", "scenarios list"):   # the default keeps Chinese
        assert CJK.search(_stdout(capsys, args))


def test_district_check_prints_english_with_lang_en(capsys, tmp_path):
    _stdout(capsys, ["district", "export", "--out", str(tmp_path / "d"), "--json"])
    out = _stdout(capsys, ["district", "check", str(tmp_path / "d" / "district.toml"), "--lang", "en"])
    assert "population on the network" in out and not CJK.search(out), out


def test_batch_prints_english_with_lang_en(capsys, files, tmp_path):
    store = tmp_path / "again.sqlite"
    out = _stdout(capsys, ["batch", str(files["flood"]), "--runs", "1", "--workers", "1", "--store", str(store),
                           "--lang", "en"])
    assert "10-h target met" in out and not CJK.search(out), out


# ----------------------------------------------------------------------------- nothing unasked

@pytest.mark.parametrize("extra", [["--json"], []], ids=["json", "table"])
def test_batch_report_without_out_writes_nothing(capsys, files, tmp_path, monkeypatch, extra):
    monkeypatch.chdir(tmp_path)
    beside = set(files["store"].parent.iterdir())
    out = _stdout(capsys, ["batch", "report", str(files["store"]), "--lang", "en", *extra])
    assert list(tmp_path.iterdir()) == []
    assert not [p for p in files["store"].parent.iterdir() if p not in beside and not p.name.endswith(".lock")]
    if extra:
        res = json.loads(out)
        assert res["out"] is None and res["files"] == [] and res["summary"]["plans"] == ["existing"]
    else:
        assert "--out DIR" in out


def test_batch_report_help_says_so(capsys):
    out = _stdout(capsys, ["batch", "report", "--help"])
    assert "Without --out it writes nothing" in " ".join(out.split())


# ----------------------------------------------------------------------------- replay

def test_replay_shows_the_drawn_inputs(capsys, files):
    from scenarios.batch.input_names import input_name
    from scenarios.batch.store import BatchStore

    with BatchStore(files["store"], create=False) as st:
        drawn = st.run(1)["inputs"]
    assert drawn
    text = _stdout(capsys, ["run", "--replay", f"{files['store']}:1", "--lang", "en"])
    assert text.index("drawn inputs") < text.index("plan indicators")
    for path, value in drawn.items():
        assert input_name(path, "en") in text and path in text
        assert number(value) in text
    res = json.loads(_stdout(capsys, ["run", "--replay", f"{files['store']}:1", "--json"]))
    assert res["drawn_inputs"] == pytest.approx(drawn) and res["replay"] == f"{files['store']}:1"


# ----------------------------------------------------------------------------- README

def test_readme_fail_on_target_example_fails(capsys):
    """The README's ``--fail-on-target`` example is one that misses a target today: exit status 1."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    line = next(x for x in readme.splitlines() if x.startswith("yingji ") and "--fail-on-target" in x)
    words = shlex.split(line.split("  #")[0])[1:]
    assert main(words) == 1
    assert capsys.readouterr().out == ""   # --quiet: the exit status says it
