"""p-median on OR-Library pmed: yingji vs spopt, time to a proven optimum.

Both sides start from the same all-pairs shortest-path matrix (last listing of a repeated edge
wins) and must prove optimality; the clock covers model building and solving. yingji:
:class:`optimize.location.PMedian` (greedy + interchange, Lagrangian reductions, Elloumi radius
formulation on HiGHS through OR-Tools). Peer: ``spopt.locate.PMedian`` — the classic
assignment formulation (n^2 binaries) built in PuLP and solved by HiGHS (highspy), with a time
limit; an instance it does not prove in time is reported as such and gets no ratio. The peer
runs in its own process (benchmarks/spopt_peer.py): highspy's HiGHS and OR-Tools' must not share one.

Quick (under a minute): pmed1–5 (n = 100). Full: yingji on all 40; spopt on every instance with
n <= --spopt-max-n (default: all), --spopt-time-limit seconds each (default 300); once spopt
fails to prove an instance of size n, larger instances are not attempted.

    python benchmarks/bench_location.py [--quick] [--json] [--spopt-time-limit S] [--spopt-max-n N]

Needs the data in ../shared/data/orlib/pmed (falls back to tests/data/orlib/pmed for pmed1–2)
and, for the peer, ``pip install spopt pulp highspy``.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(ROOT))

from optimize.location import PMedian  # noqa: E402
from optimize.orlib import read_optima, read_pmed  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "orlib" / "pmed"
LOCAL = ROOT / "tests" / "data" / "orlib" / "pmed"


def _instance_path(k: int) -> Path | None:
    for folder in (SHARED, LOCAL):
        f = folder / f"pmed{k}.txt"
        if f.is_file():
            return f
    return None


def _spopt_available() -> str | None:
    # find, never import: loading highspy here would put its HiGHS beside OR-Tools' (see spopt_peer.py)
    for name in ("pulp", "spopt", "highspy"):
        if importlib.util.find_spec(name) is None:
            return f"peer not installed ({name}): pip install spopt pulp highspy"
    return None


@contextmanager
def _stdout_to_stderr():
    """Native libraries (highspy) print banners on fd 1; keep stdout for our one JSON object."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _spopt(D: np.ndarray, p: int, limit: float) -> dict:
    """Time spopt in its own process (see spopt_peer.py: its HiGHS must not meet OR-Tools')."""
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "D.npy"
        np.save(f, D)
        out = subprocess.run([sys.executable, str(Path(__file__).with_name("spopt_peer.py")), str(f), str(p), str(limit)],
                             capture_output=True, text=True, timeout=limit + 600)
    if out.returncode != 0:
        return {"skipped": f"spopt peer failed (exit {out.returncode}): {out.stderr.strip()[-300:]}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _yingji(D: np.ndarray, p: int) -> dict:
    with _stdout_to_stderr():
        t = time.perf_counter()
        res = PMedian.from_cost_matrix(D, p=p).solve(time_limit_s=600)
    return {"seconds": round(time.perf_counter() - t, 4), "objective": res.objective,
            "optimal": res.optimal, "solver": res.solver}


def run(quick: bool = False, spopt_limit: float = 300.0, spopt_max_n: int = 900, log=None) -> dict:
    ks = list(range(1, 6)) if quick else list(range(1, 41))
    if quick:
        spopt_limit = min(spopt_limit, 20.0)
    optima = {}
    for folder in (SHARED, LOCAL):
        if (folder / "optima.csv").is_file():
            optima = read_optima(folder / "optima.csv")
            break
    peer_missing = _spopt_available()
    # compile / load the numba kernels outside the timing
    PMedian.from_cost_matrix(np.random.default_rng(0).integers(0, 50, (30, 30)).astype(float), p=3).solve()
    rows, ratios = [], {}
    spopt_blocked_from = None   # after spopt fails at size n, larger instances are not attempted
    for k in ks:
        path = _instance_path(k)
        if path is None:
            rows.append({"name": f"pmed{k}", "skipped": "instance file not found"})
            continue
        inst = read_pmed(path)
        D = inst.distances()
        row = {"name": inst.name, "n": inst.n, "p": inst.p, "optimum": optima.get(inst.name)}
        row["yingji"] = _yingji(D, inst.p)
        if peer_missing:
            row["spopt"] = {"skipped": peer_missing}
        elif inst.n > spopt_max_n:
            row["spopt"] = {"skipped": f"n={inst.n} > --spopt-max-n {spopt_max_n} (n^2 = {inst.n ** 2} assignment binaries)"}
        elif spopt_blocked_from is not None and inst.n > spopt_blocked_from:
            row["spopt"] = {"skipped": f"spopt did not finish an instance with n={spopt_blocked_from}"}
        else:
            row["spopt"] = _spopt(D, inst.p, spopt_limit)
            if not row["spopt"].get("optimal"):  # not proven in time, or the peer failed
                spopt_blocked_from = inst.n
        y, s = row["yingji"], row["spopt"]
        if y["optimal"] and s.get("optimal"):
            row["ratio"] = round(s["seconds"] / max(y["seconds"], 1e-6), 1)
            ratios[inst.name] = row["ratio"]
        rows.append(row)
        if log:
            log(row)
    done = [r for r in rows if "yingji" in r]
    both = [r for r in done if "ratio" in r]
    y_total = sum(r["yingji"]["seconds"] for r in done)
    out = {
        "benchmark": "p-median on OR-Library pmed: time to proven optimum",
        "quick": quick,
        "machine": {"cpus": os.cpu_count(), "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()]},
        "yingji": "optimize.location.PMedian (Lagrangian reductions + Elloumi radius formulation, HiGHS via OR-Tools)",
        "peer": peer_missing or f"spopt.locate.PMedian (assignment formulation) + PuLP HiGHS, time limit {spopt_limit:g} s",
        "instances": rows,
        "yingji_total_seconds": round(y_total, 2),
        "yingji_all_optimal_at_published": all(r["yingji"]["optimal"] and (r["optimum"] is None or r["yingji"]["objective"] == r["optimum"]) for r in done),
        "spopt_attempted": sum(1 for r in done if "seconds" in r["spopt"]),
        "spopt_proven": len(both),
    }
    if both:
        ratios["geomean"] = round(math.exp(np.mean([math.log(r["ratio"]) for r in both])), 1)
        ratios["total_on_both"] = round(sum(r["spopt"]["seconds"] for r in both) / max(sum(r["yingji"]["seconds"] for r in both), 1e-6), 1)
    out["ratios"] = ratios
    return out


def _print_row(row: dict) -> None:
    if "yingji" not in row:
        print(f"{row['name']:8s} skipped: {row['skipped']}", flush=True)
        return
    y, s = row["yingji"], row["spopt"]
    ys = f"{y['objective']:>8.0f} {'proven' if y['optimal'] else 'NOT proven':10s} {y['seconds']:8.2f} s"
    if "seconds" in s:
        ss = f"{s['objective'] if s['objective'] is not None else float('nan'):>8.0f} {'proven' if s['optimal'] else 'not proven':10s} {s['seconds']:8.2f} s"
    else:
        ss = f"skipped ({s['skipped']})"
    ratio = f"{row['ratio']:8.1f}x" if "ratio" in row else "        -"
    print(f"{row['name']:8s} n={row['n']:<4d} p={row['p']:<4d} opt={row['optimum']!s:>6s} | yingji {ys} | spopt {ss} | {ratio}", flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="pmed1-5 only (under a minute)")
    ap.add_argument("--json", action="store_true", help="print exactly one JSON object")
    ap.add_argument("--spopt-time-limit", type=float, default=300.0)
    ap.add_argument("--spopt-max-n", type=int, default=900)
    a = ap.parse_args(argv)
    out = run(a.quick, a.spopt_time_limit, a.spopt_max_n, log=None if a.json else _print_row)
    if a.json:
        print(json.dumps(out, ensure_ascii=False))
        return
    print(f"yingji: {len(out['instances'])} instances, total {out['yingji_total_seconds']:.1f} s, "
          f"all optimal at the published value: {out['yingji_all_optimal_at_published']}")
    print(f"spopt: proven {out['spopt_proven']} of {out['spopt_attempted']} attempted")
    print("ratios (spopt time / yingji time):", json.dumps(out["ratios"]))


if __name__ == "__main__":
    main()
