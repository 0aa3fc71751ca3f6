"""Benchmark: batch throughput on dask.distributed with 1 and 2 workers, and Dask's overhead.

The built-in 50-year flood (``flood-50y``) with its own uncertain inputs (return period,
share of team members who report, share of village roads cut) runs as a batch on a LocalCluster of
1 and then 2 worker processes, and the same runs go through a plain loop in this process.
Throughput is measured in steady state: from the first stored run to the last, so cluster
start-up and each worker's one-off warm-up (imports, numba caches, district load) are reported
apart. Scaling efficiency = runs/s with 2 workers / runs/s with 1 (target >= 1.8x). Dask's
overhead is measured directly, as the time between stored runs on one worker minus the time the
runs took inside the worker (scheduling, transfer, the client's SQLite commit), and against the
plain loop (seconds per run on 1 worker - seconds per run in the loop; on a loaded machine this
one mostly measures the load).

``--quick`` (under a minute on a quiet machine): 24 simulated hours, 8 runs. ``--json`` prints
one object with a ``ratios`` map (above 1: the first is faster).
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scenarios.batch.runs import execute_run, run_batch, run_inputs, validated_uncertain
from scenarios.core.spec import builtin_text, parse_scenario

def scenario(hours: float):
    """flood-50y (with its own [uncertain] inputs) for the simulated duration of this benchmark."""
    text = builtin_text("flood-50y").replace("duration_h = 72.0", f"duration_h = {hours:.1f}")
    return parse_scenario(text, "builtin:flood-50y (bench_batch)")


def dask_batch(sc, runs: int, workers: int, folder: Path) -> dict:
    stamps: list[float] = []
    t0 = time.perf_counter()

    def progress(state):
        if len(stamps) < state["done"]:  # one stamp per stored run (the first call is the start)
            stamps.append(time.perf_counter())

    store = folder / f"w{workers}.sqlite"
    summary = run_batch(sc, runs=runs, store=store, seed=1, workers=workers, progress=progress)
    total = time.perf_counter() - t0
    # steady state: skip each worker's first run (its warm-up), count from the last of those
    skip = min(workers, len(stamps) - 2)
    span = stamps[-1] - stamps[skip]
    steady = (len(stamps) - 1 - skip) / span if len(stamps) - 1 > skip else float("nan")
    db = sqlite3.connect(store)
    task_s = [r[0] for r in db.execute("SELECT seconds FROM runs ORDER BY rowid")][skip + 1:]
    db.close()
    # time between stored runs that the runs themselves did not use, per run and worker: the
    # scheduler, transfers, the client's SQLite commit (in one worker's sequence of runs)
    overhead = (span * workers - sum(task_s)) / len(task_s) if task_s else float("nan")
    return {"workers": workers, "runs": runs, "total_s": total, "first_result_s": stamps[0] - t0,
            "steady_runs_per_s": steady, "task_s_mean": sum(task_s) / max(1, len(task_s)),
            "overhead_s_per_run": overhead, "ok": summary.ok, "failed": summary.failed}


def plain_loop(sc, runs: int) -> dict:
    dists = validated_uncertain(sc)
    inputs0, seed0 = run_inputs(sc, 1, 0, dists)
    t = time.perf_counter()
    execute_run(sc.text, sc.source, "", 0, "existing", seed0, inputs0)  # warm-up: district, numba caches
    warm = time.perf_counter() - t
    t = time.perf_counter()
    for i in range(1, runs):
        inputs, seed = run_inputs(sc, 1, i, dists)
        rec = execute_run(sc.text, sc.source, "", i, "existing", seed, inputs)
        assert rec["status"] == "ok", rec.get("error")
    dt = time.perf_counter() - t
    return {"runs": runs - 1, "seconds": dt, "runs_per_s": (runs - 1) / dt, "warm_up_s": warm}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="24 simulated hours and 8 runs (under a minute)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    hours, runs = (24.0, 8) if a.quick else (72.0, 16)
    sc = scenario(hours)
    loop = plain_loop(sc, runs)
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        one = dask_batch(sc, runs, 1, Path(tmp))
        two = dask_batch(sc, runs, 2, Path(tmp))
    scaling = two["steady_runs_per_s"] / one["steady_runs_per_s"]
    overhead_s = one["overhead_s_per_run"]
    out = {
        "benchmark": "batch", "scenario": "flood-50y + uncertain", "hours": hours, "runs": runs,
        "cpu_count": os.cpu_count(), "load_average": list(os.getloadavg()),
        "plain_loop": loop, "dask_1_worker": one, "dask_2_workers": two,
        "scaling_2_over_1": scaling, "target_scaling": 1.8,
        "dask_overhead_s_per_run": overhead_s,
        "loop_vs_dask_1_worker_s_per_run": 1 / one["steady_runs_per_s"] - 1 / loop["runs_per_s"],
        "ratios": {"dask_2_workers_vs_1_worker": scaling,
                   "plain_loop_vs_dask_1_worker": one["steady_runs_per_s"] / loop["runs_per_s"]},
    }
    if a.json:
        print(json.dumps(out))
        return 0
    print(f"batch of flood-50y ({hours:.0f} h simulated, its uncertain inputs: return period, team share, road damage), {runs} runs")
    print(f"  machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          "(shared: other jobs compete for the cores)")
    print(f"  plain loop, 1 process      {loop['runs_per_s']:6.2f} runs/s  ({1 / loop['runs_per_s']:.2f} s/run; "
          f"warm-up {loop['warm_up_s']:.1f} s)")
    for r in (one, two):
        print(f"  dask, {r['workers']} worker(s)           {r['steady_runs_per_s']:6.2f} runs/s steady  "
              f"(batch {r['total_s']:.1f} s, first result after {r['first_result_s']:.1f} s)")
    print(f"  scaling 2 vs 1 workers     {scaling:.2f}x  (target >= 1.8x)")
    print(f"  Dask overhead per run      {overhead_s * 1000:+.0f} ms between stored runs beyond the run itself "
          f"({100 * overhead_s / one['task_s_mean']:+.1f} % of a {one['task_s_mean']:.2f} s run on the worker)")
    print(f"  1 worker vs plain loop     {(1 / one['steady_runs_per_s'] - 1 / loop['runs_per_s']) * 1000:+.0f} ms per run "
          "(includes the load on the shared machine)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
