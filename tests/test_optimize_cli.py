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
