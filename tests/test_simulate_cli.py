"""`yingji simulate` and `yingji simulate queue` as a user runs them."""
from __future__ import annotations

import json

from .test_cli import yingji


def test_queue_check_json_matches_erlang_c():
    r = yingji("simulate", "queue", "--arrivals-per-hour", "6", "--service-minutes", "30", "--teams", "4",
               "--hours", "400", "--replications", "10", "--seed", "2", "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    for key in ("mean_wait_minutes", "mean_wait_ci", "p_wait", "p_wait_ci", "erlang_c"):
        assert key in res
    assert abs(res["erlang_c"]["mean_wait_minutes"] - 15.28) < 0.01 and abs(res["erlang_c"]["p_wait"] - 0.5094) < 1e-4
    lo, hi = res["mean_wait_ci"]
    assert lo <= res["erlang_c"]["mean_wait_minutes"] <= hi
    lo, hi = res["p_wait_ci"]
    assert lo <= res["erlang_c"]["p_wait"] <= hi


def test_simulate_prints_indicators_with_targets(tmp_path):
    r = yingji("simulate", "--engine", "fill", "--json", "--out", str(tmp_path / "run"))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    names = {row["indicator"] for row in out["indicators"]}
    assert {"relief_within_target", "warning_coverage", "forest_fire_damage_permille"} <= names
    assert all("target" in row and "pass" in row for row in out["indicators"])
    assert (tmp_path / "run" / "result.json").exists() and (tmp_path / "run" / "events.csv").exists()


def test_bad_plan_file_is_reported(tmp_path):
    (tmp_path / "plan.json").write_text("[]")
    r = yingji("simulate", "--plan", str(tmp_path / "plan.json"))
    assert r.returncode == 2 and "plan.json" in r.stderr and "Traceback" not in r.stderr
