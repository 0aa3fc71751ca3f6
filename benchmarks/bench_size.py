"""Benchmark: ``yingji optimize size`` beside a naive search, on the same scenario and the same
budget of simulations.

Both judge plans on the same in-sample members (common random numbers) of the built-in 50-year
flood on the fill engine (its own uncertain inputs). The naive search is what a planner would do
without the shortfall: scale every resource of today's plan up together (trucks, team members,
boats and drones, stock; factors 1.25, 1.5, 2, 3, 4, 6) and stop at the first factor whose
95 % Wilson lower bound reaches the asked probability, or when it has used as many simulations
as yingji's search did.

Figures: for each search, the cheapest plan it found reaching the asked probability (cost over
the planning horizon), else its best probability. ``ratios.cost`` = naive cost / yingji cost at
the probability both reached (the cheaper plan of each whose in-sample probability is at least
the lower of the two searches' best); above 1, yingji's plan is the cheaper. When one search
never rose above today's plan there is no common level to price, and ``ratios.cost`` is null
with the reason in ``note``; ``naive_over_yingji_cost_by_level`` gives the same ratio at every
level both searches reached above today's plan. ``ratios.probability`` = yingji's best in-sample probability /
the naive search's (above 1, yingji got further on the same simulations). The searches are
deterministic: a rerun gives the same figures (only the seconds vary).

``--quick`` (about a minute): 4 members, 2 iterations. ``--json``: one object with ``ratios``.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from network.costs import cost_summary, load_costs, plan_additions
from scenarios.core.runner import sim_params
from scenarios.core.spec import builtin_text, parse_scenario
from scenarios.sizing.ensemble import RELIEF_TARGETS, EvaluationStore, Evaluator, members
from scenarios.sizing.levers import explicit_trucks
from scenarios.sizing.search import _plan_text, _probability, base_plan, check_scenarios, size_plan

FACTORS = (1.25, 1.5, 2.0, 3.0, 4.0, 6.0)


def scenario():
    text = builtin_text("flood-50y").replace('engine = "2d"', 'engine = "fill"')
    return parse_scenario(text, "builtin:flood-50y (bench_size, fill engine)")


def scaled(plan, f: float, squad: int):
    """Every resource of ``plan`` times ``f`` (rounded up; team members in whole squads)."""
    up = lambda n: math.ceil(n * f - 1e-9)  # noqa: E731
    return replace(
        plan,
        warehouses=tuple(replace(w, trucks=up(w.trucks), stock={k: v * f for k, v in w.stock.items()})
                         for w in plan.warehouses),
        team_bases=tuple(replace(b, teams=tuple(replace(t, people=squad * up(t.people / squad)) for t in b.teams))
                         for b in plan.team_bases),
        relief_craft=tuple(replace(c, count=up(c.count)) for c in plan.relief_craft))


def naive(sc, p: float, runs: int, budget_sims: int, seed: int, folder: Path) -> dict:
    district = check_scenarios([sc])
    params = sim_params(sc)
    costs = load_costs(district.spec.costs, source="district")
    start = explicit_trucks(base_plan(sc, district), params)
    inside = members(sc, 0, seed, range(runs))
    store = EvaluationStore(folder / "naive.sqlite")
    ev = Evaluator([sc], store, RELIEF_TARGETS, workers=1)
    curve = []
    t = time.perf_counter()
    try:
        for f in (1.0, *FACTORS):
            if ev.simulations + len(inside) > budget_sims:
                break
            plan = start if f == 1.0 else scaled(start, f, params.squad_size)
            prob = _probability(ev.evaluate(_plan_text(plan), inside))
            cost = cost_summary(plan_additions(plan, start, costs), costs)["horizon_cny"]
            curve.append({"factor": f, "horizon_cny": cost, "probability": prob["probability"],
                          "wilson_low": prob["wilson_low"]})
            if prob["wilson_low"] >= p:
                break
    finally:
        ev.close()
        store.close()
    return {"curve": curve, "simulations": ev.simulations, "seconds": time.perf_counter() - t}


def cheapest_at(curve: list[dict], level: float) -> float | None:
    costs = [c["horizon_cny"] for c in curve if c["probability"] >= level - 1e-12]
    return min(costs) if costs else None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="4 members, 2 iterations (about a minute)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    runs, iterations, p, seed = (4, 2, 0.3, 0) if a.quick else (8, 5, 0.5, 0)
    sc = scenario()
    with tempfile.TemporaryDirectory(prefix="bench-size-") as tmp:
        t = time.perf_counter()
        res = size_plan([sc], target_probability=p, runs=runs, store=Path(tmp) / "yingji.sqlite", seed=seed,
                        workers=1, max_iterations=iterations)
        ys = time.perf_counter() - t
        in_sample = len(res.curve) * runs
        nv = naive(sc, p, runs, in_sample, seed, Path(tmp))
    y_curve = [{k: c[k] for k in ("iteration", "horizon_cny", "probability", "wilson_low")} for c in res.curve]
    level = min(max(c["probability"] for c in y_curve), max(c["probability"] for c in nv["curve"]))
    y_cost, n_cost = cheapest_at(y_curve, level), cheapest_at(nv["curve"], level)
    baseline = y_curve[0]["probability"]
    y_best, n_best = max(c["probability"] for c in y_curve), max(c["probability"] for c in nv["curve"])
    if level > baseline:
        ratio, note = n_cost / y_cost, ""
    else:
        ratio = None
        note = ("no common level above today's plan: "
                + ("neither search" if max(y_best, n_best) <= baseline
                   else ("yingji's search" if y_best <= baseline else "the naive search"))
                + f" stayed at p {baseline:.2f} on these members")
    prob_ratio = (y_best / n_best) if n_best > 0 else None
    by_level = {f"{lv:.3f}": round(cheapest_at(nv["curve"], lv) / cheapest_at(y_curve, lv), 3)
                for lv in sorted({c["probability"] for c in y_curve + nv["curve"]})
                if baseline < lv <= level}
    out = {
        "benchmark": "size", "scenario": "flood-50y (fill engine) + uncertain", "target_probability": p,
        "runs": runs, "iterations": iterations,
        "yingji": {"curve": y_curve, "reached": res.reached, "final_probability": res.final_probability,
                   "out_of_sample_probability": res.out_of_sample_probability, "cost_cny": res.cost["horizon_cny"],
                   "in_sample_simulations": in_sample, "seconds": ys},
        "naive": {**nv, "reached": any(c["wilson_low"] >= p for c in nv["curve"])},
        "common_probability": level, "naive_over_yingji_cost_by_level": by_level, "yingji_cost_at_common": y_cost, "naive_cost_at_common": n_cost,
        "ratios": {"cost": ratio, "probability": prob_ratio}, "note": note,
    }
    if a.json:
        print(json.dumps(out))
        return 0
    print(f"sizing flood-50y (fill engine), asked P >= {p} (95 % Wilson lower bound), {runs} members, "
          f"{in_sample} in-sample simulations each")
    print("  yingji (shortfall-driven, CP-SAT):")
    for c in y_curve:
        print(f"    iteration {c['iteration']}: CNY {c['horizon_cny'] / 1e6:7.2f} M  p {c['probability']:.2f}  "
              f"(lower {c['wilson_low']:.2f})")
    print(f"    out of sample: p {res.out_of_sample_probability:.2f}; {ys:.0f} s")
    print("  naive (every resource times a factor):")
    for c in nv["curve"]:
        print(f"    x{c['factor']:<5g}: CNY {c['horizon_cny'] / 1e6:7.2f} M  p {c['probability']:.2f}  "
              f"(lower {c['wilson_low']:.2f})")
    print(f"    {nv['simulations']} simulations; {nv['seconds']:.0f} s")
    print(f"  best in-sample p: yingji {y_best:.2f}, naive {n_best:.2f}"
          + (f"; yingji / naive = {prob_ratio:.2f}x" if prob_ratio is not None else ""))
    for lv, r in by_level.items():
        print(f"  cheapest plan at p >= {float(lv):.2f}: naive / yingji cost = {r:.2f}x")
    if ratio is None:
        print(f"  cost: nothing to compare ({note})")
    else:
        print(f"  cheapest plan at p >= {level:.2f} (both reached): yingji CNY {y_cost / 1e6:.2f} M, "
              f"naive CNY {n_cost / 1e6:.2f} M; naive / yingji = {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
