"""``yingji optimize size``: the CP-SAT cover against brute force, Wilson sample sizes, lever
costs that agree with the plan's costed additions, the effect re-estimates, and the whole search
as a user runs it on the 50-year flood (fill engine): the files, the store that resumes, the
plan that ``yingji run --plan`` takes, the out-of-sample check, several scenarios, the same
result on one worker and on a Dask cluster, and bad input."""
from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest

from network.costs import cost_summary, load_costs, plan_additions
from network.errors import InputError
from network.plan import Plan
from optimize.sizing import Demand, Lever, cheapest_cover
from scenarios.batch.summary import wilson_interval
from scenarios.sizing.levers import apply_units, build_levers, explicit_trucks, lever_family
from scenarios.sizing.search import _best_point, _improved, _rescale, min_runs, needed_share
from sim import SimParams

from .test_cli import yingji

LIBRARY = Path(__file__).parents[1] / "scenarios" / "core" / "library"


# ---------------------------------------------------------------------------------------------
# the cover model


def _brute_force(levers: list[Lever], demands: list[Demand]) -> float:
    """The least cost of units (earmarked per township) covering every demand, by enumeration."""
    slots = [(lv, z) for lv in levers for z in lv.townships]
    best = np.inf
    for ys in itertools.product(*[range(lv.max_units + 1) for lv, _ in slots]):
        units = {lv.key: 0 for lv in levers}
        for (lv, _), y in zip(slots, ys):
            units[lv.key] += y
        if any(units[lv.key] > lv.max_units for lv in levers):
            continue
        if all(sum(lv.effect.get(d.cause, 0) * y for (lv, z), y in zip(slots, ys) if z == d.zone) >= d.people
               for d in demands):
            best = min(best, sum(lv.cost_cny * units[lv.key] for lv in levers))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_cheapest_cover_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    causes = ["not_delivered", "waiting_for_rescue"]
    levers = [Lever(f"l{i}@s{i}", "x", f"s{i}", "u", 1, float(rng.integers(1, 50)) * 1000,
                    {c: float(rng.integers(1, 30)) for c in rng.choice(causes, size=rng.integers(1, 3), replace=False)},
                    tuple(sorted(rng.choice([0, 1], size=rng.integers(1, 3), replace=False).tolist())), 3)
              for i in range(3)]
    demands = [Demand(c, z, float(rng.integers(5, 40))) for c in causes for z in (0, 1)
               if any(c in lv.effect and z in lv.townships for lv in levers)]
    best = _brute_force(levers, demands)
    sel = cheapest_cover(levers, demands)
    if np.isfinite(best):
        assert sel.cost_cny == pytest.approx(best) and not sel.uncovered
    else:  # nothing covers it all: the model says what it leaves
        assert sel.uncovered


def test_a_budget_below_the_cover_leaves_the_rest_uncovered():
    lv = Lever("truck@w", "truck", "w", "truck", 1, 100.0, {"not_delivered": 10.0}, (0,), 10)
    full = cheapest_cover([lv], [Demand("not_delivered", 0, 55.0)])
    assert full.units == {"truck@w": 6} and full.cost_cny == 600
    capped = cheapest_cover([lv], [Demand("not_delivered", 0, 55.0)], budget_cny=350)
    assert capped.units == {"truck@w": 3} and capped.uncovered[0][1] == pytest.approx(25.0)
    nobody = cheapest_cover([lv], [Demand("waiting_for_rescue", 0, 5.0)])
    assert nobody.units == {} and nobody.uncovered[0][1] == pytest.approx(5.0)


def test_units_earmarked_for_one_township_do_not_count_twice():
    lv = Lever("boat@f", "relief_craft:boat", "f", "units", 1, 10.0, {"cut_off": 10.0}, (0, 1), 5)
    sel = cheapest_cover([lv], [Demand("cut_off", 0, 10.0), Demand("cut_off", 1, 10.0)])
    assert sel.units == {"boat@f": 2}


# ---------------------------------------------------------------------------------------------
# sample sizes, effects and the chosen point


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8, 0.9, 0.95])
def test_sample_sizes_follow_the_wilson_interval(p):
    n = min_runs(p)
    assert wilson_interval(n, n)[0] >= p and (n == 1 or wilson_interval(n - 1, n - 1)[0] < p)
    for runs in (n, 2 * n):
        k = round(needed_share(runs, p) * runs)
        assert wilson_interval(k, runs)[0] >= p and (k == 0 or wilson_interval(k - 1, runs)[0] < p)


def test_effects_are_rescaled_from_what_the_last_purchase_achieved():
    truck = Lever("truck@w", "truck", "w", "truck", 1, 1.0, {"not_delivered": 10.0}, (0,), 9)
    squad = Lever("squad_rescue#general@b", "team_members:general", "b", "people", 6, 1.0,
                  {"waiting_for_rescue": 10.0}, (0,), 9)
    before = {"not_delivered": 100.0, "waiting_for_rescue": 100.0}
    # the trucks relieved half what was expected; the squads nothing: retired
    scale, useless = _rescale({}, [(truck, 4), (squad, 4)], before, {"not_delivered": 80.0, "waiting_for_rescue": 99.0})
    assert scale["truck"] == pytest.approx(0.5) and useless == {"squad_rescue"}
    # a cause cleared says only that the effect was enough: never lowered
    scale, useless = _rescale({}, [(truck, 9)], before, {"waiting_for_rescue": 100.0})
    assert scale["truck"] >= 1.0 and not useless


def test_a_step_that_raised_the_probability_keeps_its_units():
    """Units of a family that relieved less than expected are taken back only when the step
    did not raise the probability (the lower Wilson bound first, then the share met)."""
    before = {"wilson_low": 0.07, "probability": 0.25}
    assert _improved([before, {"wilson_low": 0.215, "probability": 0.5}])
    assert not _improved([before, dict(before)])
    assert not _improved([before, {"wilson_low": 0.02, "probability": 0.125}])
    assert _improved([before, {"wilson_low": 0.07, "probability": 0.3}])


def test_the_chosen_plan_is_the_cheapest_that_reached_else_the_best():
    curve = [{"iteration": i, "wilson_low": w, "probability": p, "horizon_cny": c}
             for i, (w, p, c) in enumerate([(0.0, 0.1, 0), (0.3, 0.6, 50), (0.2, 0.5, 40), (0.3, 0.6, 45)])]
    assert _best_point(curve, 0.9) == 3
    assert _best_point(curve, 0.25) == 3
    assert _best_point(curve, 0.15) == 2


# ---------------------------------------------------------------------------------------------
# levers on the district


def test_each_levers_cost_is_what_the_plan_costs_say_it_adds(district):
    params = SimParams()
    costs = load_costs(district.spec.costs, source="district")
    start = explicit_trucks(Plan.existing(district), params)
    levers = build_levers(district, start, params, costs)
    families = {lever_family(lv) for lv in levers}
    assert {"truck", "stock", "squad_rescue", "squad_boat", "boat", "drone", "shelter"} <= families
    for lv in levers:
        n = min(2, lv.max_units)
        plan = apply_units(start, levers, {lv.key: n}, district, params)
        total = cost_summary(plan_additions(plan, start, costs), costs)["horizon_cny"]
        assert total == pytest.approx(n * lv.cost_cny), lv.key
    zones = set(np.unique(district.network.zone).tolist())   # -1: outside the townships
    for family in ("truck", "squad_rescue", "boat"):             # every township is some site's to serve
        assert set().union(*(lv.townships for lv in levers if lever_family(lv) == family)) == zones


def test_a_lever_without_a_cost_is_refused_by_name(district):
    costs = load_costs(district.spec.costs, source="district")
    members = {k: v for k, v in costs.team_members.items() if k != "general"}
    with pytest.raises(InputError, match=r"costs\.team_members\.general: no unit cost"):
        build_levers(district, Plan.existing(district), SimParams(), costs.model_copy(update={"team_members": members}))


# ---------------------------------------------------------------------------------------------
# the search as a user runs it


def _flood_file(folder: Path) -> Path:
    """The built-in 50-year flood on the quick fill engine (a few seconds a run)."""
    text = (LIBRARY / "flood-50y.toml").read_text(encoding="utf-8")
    text = text.replace('engine = "2d"', 'engine = "fill"').replace('name = "flood-50y"', 'name = "flood-50y-fill"')
    path = folder / "flood-50y-fill.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _size(*args: str) -> tuple[dict, str]:
    r = yingji("optimize", "size", *args, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout), r.stderr


@pytest.fixture(scope="module")
def sized(tmp_path_factory):
    folder = tmp_path_factory.mktemp("size")
    flood = _flood_file(folder)
    out = folder / "out"
    args = (str(flood), "-p", "0.3", "-n", "4", "--workers", "1", "--max-iterations", "1", "--out", str(out))
    first, _ = _size(*args)
    return {"flood": flood, "out": out, "args": args, "result": first}


def test_the_search_says_what_to_add_what_it_costs_and_how_sure(sized):
    res, out = sized["result"], sized["out"]
    for key in ("baseline_probability", "final_probability", "out_of_sample_probability", "cost", "additions",
                "simulations", "plan_file", "curve", "binding", "reached"):
        assert key in res
    assert res["simulations"] == 4 * len(res["curve"]) + 4          # each iteration, then the fresh members
    assert 1 <= len(res["curve"]) <= 2 and res["curve"][0]["horizon_cny"] == 0
    assert sum(1 for c in res["curve"] if c.get("chosen")) == 1
    chosen = next(c for c in res["curve"] if c.get("chosen"))
    assert res["final_probability"] == chosen["probability"] and res["cost"]["horizon_cny"] == chosen["horizon_cny"]
    assert sum(a["cost"] for a in res["additions"]) == pytest.approx(res["cost"]["horizon_cny"])
    for a in res["additions"]:
        assert set(a) >= {"lever", "site", "amount", "cost"} and a["amount"] > 0 and a["cost"] > 0
    assert res["reached"] == (chosen["wilson_low"] >= 0.3)
    if not res["reached"]:
        assert res["binding"] and all(b["people"] > 0 for b in res["binding"])
    assert {f.split("/")[-1] for f in res["files"]} == {"report.html", "plan.json", "costs.csv", "cost_probability.png",
                                                         "cost_probability.svg", "result.json"}
    assert all(Path(f).is_file() for f in res["files"]) and (out / "sizing.sqlite").is_file()
    assert json.loads((out / "result.json").read_text(encoding="utf-8"))["curve"] == res["curve"]
    rows = (out / "costs.csv").read_bytes()
    assert rows.startswith(b"\xef\xbb\xbf") and rows.count(b"\n") == len(res["additions"]) + 1
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html and "费用—概率曲线" in html
    # its only scripts are the interactive map's (data, Leaflet, the map; tests/test_webmap*.py check them)
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts == [' type="application/json" id="yingji-map-data"', "", ""]
    data = json.loads(re.search(r'id="yingji-map-data">(.*?)</script>', html, re.DOTALL).group(1))
    towns = data["runs"][0]["townships"]       # coloured from the sized plan's fresh runs
    assert towns and sum(t["runs_affected"] for t in towns.values()) > 0
    assert max(t["runs_affected"] for t in towns.values()) <= 4


def test_a_second_run_takes_every_simulation_from_the_store(sized):
    again, _ = _size(*sized["args"])
    assert again["simulations"] == 0 and again["reused"] == sized["result"]["simulations"]
    assert again["curve"] == sized["result"]["curve"] and again["additions"] == sized["result"]["additions"]


def test_the_sized_plan_runs_with_yingji_run_and_costs_the_same(sized, tmp_path):
    plan = Path(sized["result"]["plan_file"])
    r = yingji("run", str(sized["flood"]), "--plan", str(plan), "--out", str(tmp_path / "run"), "--json")
    assert r.returncode == 0, r.stderr
    cost = json.loads((tmp_path / "run" / "kpis.json").read_text(encoding="utf-8"))["plan_cost"]
    assert cost["horizon_cny"] == pytest.approx(sized["result"]["cost"]["horizon_cny"])
    assert json.loads(plan.read_text(encoding="utf-8"))["meta"]["sized_by"] == "yingji optimize size"


def test_several_scenarios_are_met_together_and_dask_gives_the_same(sized, tmp_path):
    both = f"{sized['flood']},chlorine-night"
    one, _ = _size(both, "-p", "0.2", "-n", "3", "--workers", "1", "--max-iterations", "0", "--out", str(tmp_path / "a"))
    assert [s["scenario"] for s in one["scenarios"]] == ["flood-50y-fill", "chlorine-night"]
    assert one["final_probability"] == min(s["final"]["probability"] for s in one["scenarios"])
    assert one["out_of_sample_probability"] == min(s["out_of_sample"]["probability"] for s in one["scenarios"])
    assert one["simulations"] == 2 * 3 * 2
    two, _ = _size(both, "-p", "0.2", "-n", "3", "--workers", "2", "--max-iterations", "0", "--out", str(tmp_path / "b"))
    assert two["scenarios"] == one["scenarios"] and two["curve"] == one["curve"]


@pytest.mark.parametrize("args, message", [
    (("-p", "1.5", "-n", "4"), "--target-probability: expected a probability in (0, 1)"),
    (("-p", "0", "-n", "4"), "--target-probability"),
    (("-p", "0.5", "-n", "4", "--budget", "-1"), "--budget: expected a non-negative amount"),
    (("-p", "0.9", "-n", "8"), "--runs 8: too few to show P >= 0.9"),
    (("-p", "0.5", "-n", "0"), "--runs: expected at least 1"),
    (("-p", "0.5", "-n", "4", "--tls-ca", "ca.pem"), "--tls-ca: TLS needs a tls://HOST:PORT scheduler"),
    (("-p", "0.5", "-n", "4", "--scheduler", "tls://127.0.0.1:9"), "a tls:// scheduler needs --tls-ca and --tls-cert"),
    (("-p", "0.5", "-n", "4", "--scheduler", "tcp://127.0.0.1:9", "-w", "2"), "--workers and --scheduler exclude"),
])
def test_bad_input_is_one_line_and_exit_2(sized, tmp_path, args, message):
    r = yingji("optimize", "size", str(sized["flood"]), *args, "--out", str(tmp_path / "o"))
    assert r.returncode == 2, r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_a_scenario_without_uncertain_inputs_is_refused(tmp_path):
    text = (LIBRARY / "chlorine-night.toml").read_text(encoding="utf-8").split("[uncertain")[0]
    path = tmp_path / "fixed.toml"
    path.write_text(text, encoding="utf-8")
    r = yingji("optimize", "size", str(path), "-p", "0.5", "-n", "4", "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "uncertain" in r.stderr and "Traceback" not in r.stderr
