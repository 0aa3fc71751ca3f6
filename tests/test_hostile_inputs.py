"""Issue 19's reproducers of wrong accepts and internal errors: each is now one line naming the
file and field (or option), exit status 2, and nothing written."""
from __future__ import annotations

import errno
import sqlite3

import pytest

from scenarios.cli.main import main

from .cli_checks import SHORT_CHEMICAL, one_line_exit_2

BASE = SHORT_CHEMICAL


def scenario(tmp_path, text: str, name: str = "s.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("change, needles", [
    (("[simulation]", "[targets]\nrelief_within_h = inf\n\n[simulation]"), ["targets.relief_within_h", "finite"]),
    (("duration_h = 1.0", "duration_h = 1.0\nstep_s = 1e-9"), ["simulation.step_s"]),
    (("duration_h = 1.0", "duration_h = 1.0\nparams = {boat_types = 5}"), ["simulation.params", "boat_types"]),
    (("duration_h = 1.0", "duration_h = 1.0\nparams = {capable = 3}"), ["simulation.params", "capable"]),
    (("rate_kg_s = 1.0", "rate_kg_s = true"), ["hazards.chemical.rate_kg_s", "not a boolean"]),
    (("duration_h = 1.0", "duration_h = 1.0\nseed = 9223372036854775808"), ["simulation.seed"]),
    (("duration_h = 1.0", 'duration_h = 1.0\n\n[uncertain."hazards.chemical.nope"]\ndist = "uniform"\nlow = 1\nhigh = 2'),
     ['uncertain."hazards.chemical.nope"', "no field 'nope'"]),
    (("duration_h = 1.0", 'duration_h = 1.0\n\n[uncertain."hazards.chemical.rate_kg_s"]\ndist = "cauchy"'),
     ['uncertain."hazards.chemical.rate_kg_s".dist']),
])
def test_a_bad_scenario_value_is_refused_by_run(tmp_path, capsys, change, needles):
    p = scenario(tmp_path, BASE.replace(*change, 1))
    one_line_exit_2(capsys, ["run", str(p), "--out", str(tmp_path / "out")], "s.toml", *needles)
    assert not (tmp_path / "out").exists()


def test_files_that_are_not_what_a_field_names(tmp_path, capsys):
    p = scenario(tmp_path, BASE)
    one_line_exit_2(capsys, ["run", str(p), "--plan", str(tmp_path)], "--plan", "found a folder")
    one_line_exit_2(capsys, ["run", str(p), "--plan", "/dev/zero"], "--plan", "not a regular file")
    one_line_exit_2(capsys, ["run", str(tmp_path)], "expected a scenario file (TOML), found a folder")
    big = tmp_path / "big.json"
    with big.open("wb") as fh:                      # sparse: 65 MiB claimed, nothing allocated
        fh.truncate(65 * 2**20)
    one_line_exit_2(capsys, ["run", str(p), "--plan", str(big)], "--plan", "larger than 64 MiB")
    flood = scenario(tmp_path, BASE.replace('[hazards.chemical]\nsite = "chlor-alkali-plant"\nrate_kg_s = 1.0\n'
                                            'duration_min = 10.0\n', '[hazards.flood]\nhydrograph = "/dev/zero"\n'),
                     "flood.toml")
    one_line_exit_2(capsys, ["run", str(flood)], "flood.toml", "hazards.flood", "/dev/zero", "stage table")


def test_scenarios_show_prints_only_scenarios(tmp_path, capsys):
    one_line_exit_2(capsys, ["scenarios", "show", "/etc/passwd"], "/etc/passwd", "not valid TOML")
    latin = tmp_path / "latin.toml"
    latin.write_bytes('name = "x"\ntitle_zh = "é"\n'.encode("latin-1"))
    one_line_exit_2(capsys, ["scenarios", "show", str(latin)], "latin.toml", "not UTF-8")
    assert main(["scenarios", "show", "flood-50y"]) == 0
    assert 'name = "flood-50y"' in capsys.readouterr().out


def test_a_seed_beyond_64_bits_is_an_input_error(tmp_path, capsys):
    p = scenario(tmp_path, BASE)
    one_line_exit_2(capsys, ["run", str(p), "--seed", str(2**63)], "--seed", "2**63 - 1")


def test_drill_check_on_files_that_are_not_an_msel(tmp_path, capsys):
    import csv

    assert main(["drill", "chlorine-night", "--out", str(tmp_path / "d"), "--difficulty", "easy", "-q"]) == 0
    capsys.readouterr()
    rows = list(csv.reader((tmp_path / "d" / "msel.csv").open(encoding="utf-8-sig")))

    def edited(name, change):
        r = [list(x) for x in rows]
        change(r)
        p = tmp_path / name
        with p.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(r)
        return p

    one_line_exit_2(capsys, ["drill", "check", str(tmp_path)], "expected an MSEL", "found a folder")
    big = edited("big.csv", lambda r: r[1].__setitem__(3, "x" * 200_000))
    one_line_exit_2(capsys, ["drill", "check", str(big)], "big.csv", "not a readable CSV row")
    lst = tmp_path / "list.json"
    lst.write_text("[1, 2]", encoding="utf-8")
    one_line_exit_2(capsys, ["drill", "check", str(lst)], "list.json", "not an MSEL JSON file")
    extra = edited("extra.csv", lambda r: [x.append("v") for x in r])
    assert main(["drill", "check", str(extra)]) == 2
    assert "extra.csv:1: unknown column(s) 'v'" in capsys.readouterr().err
    # a line separator inside a cell is text in its cell, not a new row
    sep = edited("sep.csv", lambda r: r[1].__setitem__(3, r[1][3] + "\u2028second line"))
    assert main(["drill", "check", str(sep)]) == 0


def test_control_characters_never_reach_a_page():
    from scenarios.drill.handbook import _md_text
    from scenarios.reports.html import environment

    page = environment().from_string("<p>{{ name }}</p>").render(name="Lü\x00meng\x07 <b>\u2028x\ty")
    assert page == "<p>Lümeng &lt;b&gt;\u2028x\ty</p>"
    assert _md_text("a\x00b\x1bc<script>") == "abc&lt;script&gt;"


def test_a_huge_release_rate_is_refused_on_its_own_key(tmp_path, capsys):
    p = scenario(tmp_path, BASE.replace("rate_kg_s = 1.0", "rate_kg_s = 1e308"))
    one_line_exit_2(capsys, ["run", str(p)], "hazards.chemical.rate_kg_s", "less than or equal to 1000000")


@pytest.mark.parametrize("problem, needles", [
    (OSError(errno.ENOSPC, "No space left on device", "/data/out.graphml"),
     ["/data/out.graphml: No space left on device", "the machine, not the input"]),
    (OSError(errno.EACCES, "Permission denied", "/data"), ["/data: Permission denied"]),
    (sqlite3.OperationalError("database or disk is full"), ["SQLite: database or disk is full"]),
    (sqlite3.OperationalError("attempt to write a readonly database"), ["readonly database"]),
])
def test_the_machines_problems_are_one_line_exit_2_wherever_met(monkeypatch, capsys, problem, needles):
    """A full disk or a permission met anywhere in a command (not only where a writer expects it)
    is one line with exit status 2, not an internal error."""
    import network.load

    def fails(*args, **kwargs):
        raise problem

    monkeypatch.setattr(network.load, "load_network", fails)
    one_line_exit_2(capsys, ["network", "info"], *needles)


def test_an_engine_bug_stays_an_internal_error(monkeypatch, capsys):
    import network.load

    def fails(*args, **kwargs):
        raise OSError(errno.EINVAL, "Invalid argument")       # not the machine's state: a bug to report

    monkeypatch.setattr(network.load, "load_network", fails)
    assert main(["network", "info"]) == 1
    assert "internal error: OSError" in capsys.readouterr().err
