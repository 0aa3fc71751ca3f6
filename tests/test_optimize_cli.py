"""`yingji optimize ...` reference-instance commands, run as a user runs them."""
from __future__ import annotations

import json
from pathlib import Path

from .test_cli import yingji

DATA = Path(__file__).parent / "data"


def test_cvrp_command_prints_objective_and_gap():
    r = yingji("optimize", "cvrp", str(DATA / "cvrplib" / "A-n32-k5.vrp"), "--time-limit", "3", "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["optimal"] is False and res["seconds"] <= 4.0
    assert res["objective"] <= 784 * 1.01 and res["known_optimum"] == 784


def test_cvrp_command_bad_input():
    r = yingji("optimize", "cvrp", "missing.vrp")
    assert r.returncode == 2 and "missing.vrp" in r.stderr and "Traceback" not in r.stderr
    r = yingji("optimize", "cvrp", str(DATA / "cvrplib" / "A-n32-k5.vrp"), "--time-limit", "0")
    assert r.returncode == 2 and "--time-limit" in r.stderr


def test_orlib_pmedian_and_pcenter_commands_reach_the_published_optima():
    pmed1 = DATA / "orlib" / "pmed" / "pmed1.txt"
    r = yingji("optimize", "orlib", "pmedian", str(pmed1), "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["objective"] == 5819 and res["optimal"] is True and "seconds" in res
    r = yingji("optimize", "orlib", "pcenter", str(pmed1), "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["objective"] == 127 and res["optimal"] is True


def test_pmedcap_command_reaches_the_published_optimum():
    r = yingji("optimize", "pmedcap", str(DATA / "orlib" / "pmedcap" / "pmedcap01.txt"), "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["objective"] == 713 and res["optimal"] is True


def test_orlib_bad_file_is_one_line(tmp_path):
    bad = tmp_path / "pmed99.txt"
    bad.write_text("100 200\n1 2 x\n")
    r = yingji("optimize", "orlib", "pmedian", str(bad))
    assert r.returncode == 2 and "pmed99.txt" in r.stderr and "Traceback" not in r.stderr
