"""Benchmark: a 72-hour response simulation of a large flood on the built-in district.

A 100-year Chang River flood with a breach of the Xijiao dike, today's plan (``Plan.existing``),
default parameters. Reports the run time after a warm-up run, SimPy events per second, and, in
the same process, a bare SimPy event loop with the same number of events as the ceiling.
``--quick`` runs 24 hours; ``--json`` prints one JSON object with a ``ratios`` map.

The yingji time is split into the hazard model (the flood's ``state`` per hazard step, code in
``sim/hazards``), path searches (numba Dijkstra trees, searches stopped at a target, and repairs
of cached hub trees after the travel times changed) and the rest (SimPy processes, dispatch,
evacuation, supplies, bookkeeping), so the cost per event can be read against the ceiling.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import simpy  # noqa: E402

from network.district import load_district  # noqa: E402
from network.plan import Plan  # noqa: E402
from sim import SimParams  # noqa: E402
from sim.engine import Simulation  # noqa: E402
from sim.api import default_district_flood  # noqa: E402


def bare_simpy(n_events: int) -> float:
    """Seconds for a bare SimPy loop processing ``n_events`` timeout events (ten processes)."""
    env = simpy.Environment()
    def proc(k):
        for _ in range(n_events // 10 + (k < n_events % 10)):  # n_events timeouts in all
            yield env.timeout(1.0 + k * 1e-3)

    for k in range(10):
        env.process(proc(k))
    t = time.perf_counter()
    env.run()
    return time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="24 h instead of 72 h, fewer repeats")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    hours = 24.0 if a.quick else 72.0
    repeats = 1 if a.quick else 3
    district = load_district()
    plan = Plan.existing(district)
    flood = default_district_flood(district)
    params = SimParams(duration_h=hours, seed=0)
    net = district.network
    Simulation(net, [flood], plan, params).run()  # warm-up: numba caches, flood epochs
    best, res, sim = float("inf"), None, None
    for _ in range(repeats):
        t = time.perf_counter()
        s = Simulation(net, [flood], plan, params)
        r = s.run()
        dt = time.perf_counter() - t
        if dt < best:
            best, res, sim = dt, r, s
    hazard_s, search_s = sim.hazard_s, sim.roads.search_s
    rest_s = best - hazard_s - search_s
    n = int(res.kpis["simpy_events"])
    bare = min(bare_simpy(n) for _ in range(repeats))
    cost_y, cost_b = best / n, bare / n
    out = {
        "benchmark": "sim", "hours": hours, "run_s": best, "target_run_s": 2.0, "simpy_events": n,
        "events_per_s": n / best, "logged_events": res.kpis["events"], "path_searches": res.kpis["path_searches"],
        "tree_repairs": sim.roads.repairs,
        "bare_simpy_s": bare, "bare_simpy_events_per_s": n / bare,
        "cost_per_event_us": {"yingji": cost_y * 1e6, "bare_simpy": cost_b * 1e6},
        "cost_ratio_yingji_over_bare": cost_y / cost_b, "target_cost_ratio": 3.0,
        "ratios": {"sim_vs_bare_simpy": cost_b / cost_y},
        "affected_people": res.kpis["relief_time"]["affected_people"],
        "breakdown_s": {"hazard_model": hazard_s, "path_searches": search_s, "engine_rest": rest_s},
        "cost_per_event_excluding_hazard_model_us": (best - hazard_s) / n * 1e6,
        # The hazard model and the path kernels alone, before any SimPy process or decision:
        # a floor under the cost per event that no event-handling work can go below.
        "kernel_floor_ratio_over_bare": (hazard_s + search_s) / bare,
    }
    if a.json:
        print(json.dumps(out))
    else:
        print(f"response simulation, {hours:.0f} h flood (100-year, Xijiao dike breach), existing plan")
        print(f"  yingji run        {best:8.3f} s   (target < 2 s)   {n} SimPy events, {n / best:,.0f} events/s")
        print(f"  bare SimPy loop   {bare:8.3f} s   {n / bare:,.0f} events/s")
        print(f"  cost per event    yingji {cost_y * 1e6:.1f} µs, bare {cost_b * 1e6:.2f} µs: "
              f"ratio {cost_y / cost_b:.1f}x (target ≤ 3x)")
        print(f"  of which         hazard model {hazard_s:.3f} s, path searches and tree repairs {search_s:.3f} s, "
              f"rest of the engine {rest_s:.3f} s")
        print(f"  without the hazard model: {(best - hazard_s) / n * 1e6:.1f} µs per event, "
              f"ratio {(best - hazard_s) / bare:.1f}x")
        print(f"  floor: hazard model + path kernels alone {(hazard_s + search_s) / n * 1e6:.1f} µs per event, "
              f"ratio {(hazard_s + search_s) / bare:.1f}x before any event is handled")
        print(f"  path searches {res.kpis['path_searches']}, tree repairs {sim.roads.repairs}, "
              f"affected people {out['affected_people']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
