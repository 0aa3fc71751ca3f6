"""Benchmark: many-to-many travel-time matrices, yingji vs scipy and networkx.

For each input network, ~200 random sources to all nodes:

* yingji ``travel_time_matrix`` on 1 and on 2 threads (numba kernels, :mod:`network.kernels`);
* ``scipy.sparse.csgraph.dijkstra(A, indices=sources)`` on the same graph (``net.to_scipy(w)``);
* networkx ``single_source_dijkstra_path_length`` on a ``DiGraph`` of the same matrix, for a
  few sources only, extrapolated to all of them (and labelled so).

Times are medians of repeats, interleaved so background load hits every contender alike.
Ratios use wall-clock time; ``*_cpu`` ratios use process CPU time, which for single-threaded
runs is much less disturbed by other work on a shared machine.
Results are checked against scipy (max abs difference over finite entries, +inf pattern).

Usage (from the repository root)::

    python benchmarks/bench_paths.py            # full run, a few minutes
    python benchmarks/bench_paths.py --quick    # under a minute
    python benchmarks/bench_paths.py --json     # one JSON object on stdout, notes on stderr

Ratios are peer time / yingji time: > 1 means yingji is faster.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the repo root importable
    sys.path.insert(0, str(ROOT))

import numba  # noqa: E402
from scipy.sparse import csgraph  # noqa: E402

from benchmarks.synthetic_roads import synthetic_road_network  # noqa: E402
from network import paths  # noqa: E402
from network.model import RoadNetwork  # noqa: E402

OSM_DIR = ROOT.parent / "shared" / "data" / "osm"


def _note(msg: str, *, as_json: bool) -> None:
    print(msg, file=sys.stderr if as_json else sys.stdout, flush=True)


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall-clock and process CPU seconds of one call, and its result.

    CPU seconds of a single-threaded run barely depend on what else the machine is doing,
    so they are reported next to the wall-clock times the ratios use.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - t0, time.process_time() - c0, out


# ---------------------------------------------------------------------------- inputs
def load_inputs(quick: bool, as_json: bool) -> list[tuple[str, RoadNetwork]]:
    """The networks to run on; an input whose loader is missing is skipped with a note."""
    nets: list[tuple[str, RoadNetwork]] = []
    try:
        from network.district import load_district

        d = load_district()
        nets.append(("district", getattr(d, "network", d)))
    except Exception as exc:  # another module still in progress: skip, do not fail the benchmark
        _note(f"note: skipping the built-in district ({type(exc).__name__}: {exc})", as_json=as_json)
    pbf = OSM_DIR / "liechtenstein.osm.pbf"
    try:
        from network.osm import load_osm

        if not pbf.is_file():
            raise FileNotFoundError(pbf)
        nets.append(("liechtenstein", load_osm(pbf)))
    except Exception as exc:
        _note(f"note: skipping liechtenstein.osm.pbf ({type(exc).__name__}: {exc})", as_json=as_json)
    t0 = time.perf_counter()
    nets.append(("synthetic_250k", synthetic_road_network(250_000)))
    _note(f"generated the synthetic network in {time.perf_counter() - t0:.1f} s", as_json=as_json)
    return nets


# ---------------------------------------------------------------------------- one input
def bench_network(
    name: str, net: RoadNetwork, *, n_sources: int, repeats: int, nx_sources: int, seed: int, as_json: bool
) -> dict[str, Any]:
    """Time yingji (1 and 2 threads), scipy and networkx on one network."""
    w = net.travel_times()
    a = net.to_scipy(w)
    rng = np.random.default_rng(seed)
    k = min(n_sources, net.n_nodes)
    src = np.sort(rng.choice(net.n_nodes, k, replace=False))
    two = min(2, numba.config.NUMBA_NUM_THREADS)

    paths.travel_time_matrix(net, src[:2], weights=w, threads=1)  # warm up numba (load or compile)
    runs = {
        "scipy": lambda: csgraph.dijkstra(a, indices=src),
        "yingji_1thread": lambda: paths.travel_time_matrix(net, src, weights=w, threads=1),
        f"yingji_{two}threads": lambda: paths.travel_time_matrix(net, src, weights=w, threads=two),
    }
    times: dict[str, list[float]] = {key: [] for key in runs}
    cpu: dict[str, list[float]] = {key: [] for key in runs}
    out: dict[str, np.ndarray] = {}
    for _ in range(repeats):  # interleaved, so load changes hit all three alike
        for key, fn in runs.items():
            t, c, out[key] = _timed(fn)
            times[key].append(t)
            cpu[key].append(c)
    ref, y1, y2 = out.pop("scipy"), out.pop("yingji_1thread"), out.pop(f"yingji_{two}threads")
    fin = np.isfinite(ref)
    max_diff = max(float(np.max(np.abs(y[fin] - ref[fin]), initial=0.0)) for y in (y1, y2))
    inf_mismatch = int(sum(np.count_nonzero(np.isinf(y) != ~fin) for y in (y1, y2)))
    del y2

    # networkx on the same simple graph, a few sources, extrapolated to all k
    import networkx as nx

    t0 = time.perf_counter()
    g = nx.from_scipy_sparse_array(a, create_using=nx.DiGraph)
    nx_build = time.perf_counter() - t0
    nx_k = min(nx_sources, k)
    nx_times, nx_cpu, nx_diff = [], [], 0.0
    for i in range(nx_k):
        t, c, d = _timed(lambda: nx.single_source_dijkstra_path_length(g, int(src[i]), weight="weight"))
        nx_times.append(t)
        nx_cpu.append(c)
        nodes = np.fromiter(d.keys(), np.int64, len(d))
        vals = np.fromiter(d.values(), np.float64, len(d))
        nx_diff = max(nx_diff, float(np.max(np.abs(y1[i, nodes] - vals))))
        if len(d) != int(np.isfinite(y1[i]).sum()):
            inf_mismatch += 1
    g = None  # free the graph (the lambdas above close over the name)

    med = {key: float(np.median(v)) for key, v in times.items()}
    med_cpu = {key: float(np.median(v)) for key, v in cpu.items()}
    nx_est = float(np.median(nx_times)) * k
    nx_cpu_est = float(np.median(nx_cpu)) * k
    ratios = {
        "vs_scipy_1thread": med["scipy"] / med["yingji_1thread"],
        f"vs_scipy_{two}threads": med["scipy"] / med[f"yingji_{two}threads"],
        "vs_networkx": nx_est / med["yingji_1thread"],
        "vs_scipy_1thread_cpu": med_cpu["scipy"] / med_cpu["yingji_1thread"],
        "vs_networkx_cpu": nx_cpu_est / med_cpu["yingji_1thread"],
    }
    return {
        "network": repr(net),
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "sources": k,
        "repeats": repeats,
        "seconds_median": med,
        "seconds_all": times,
        "cpu_seconds_median": med_cpu,
        "networkx_seconds_extrapolated": nx_est,
        "networkx_cpu_seconds_extrapolated": nx_cpu_est,
        "networkx_sources_timed": nx_k,
        "networkx_graph_build_seconds": nx_build,
        "max_abs_diff_vs_scipy": max_diff,
        "max_abs_diff_networkx_vs_yingji": nx_diff,
        "inf_pattern_mismatches": inf_mismatch,
        "ratios": ratios,
    }


def _print_result(name: str, r: dict[str, Any]) -> None:
    med, cpu, ra = r["seconds_median"], r["cpu_seconds_median"], r["ratios"]
    print(f"\n== {name}: {r['network']}, {r['sources']} sources -> all nodes, median of {r['repeats']}")
    print(f"  {'':<16} {'wall':>8}   {'cpu':>8}")
    for key, t in med.items():
        print(f"  {key:<16} {t:8.3f} s {cpu[key]:8.3f} s")
    print(
        f"  networkx         {r['networkx_seconds_extrapolated']:8.3f} s "
        f"{r['networkx_cpu_seconds_extrapolated']:8.3f} s  (EXTRAPOLATED from {r['networkx_sources_timed']} "
        f"sources; graph build {r['networkx_graph_build_seconds']:.1f} s not counted)"
    )
    print(
        f"  check: max |yingji - scipy| = {r['max_abs_diff_vs_scipy']:.3g}, "
        f"max |networkx - yingji| = {r['max_abs_diff_networkx_vs_yingji']:.3g}, "
        f"+inf mismatches = {r['inf_pattern_mismatches']}"
    )
    print("  ratios (peer / yingji, >1 = yingji faster): " + ", ".join(f"{k} {v:.2f}x" for k, v in ra.items()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer sources and repeats: under a minute")
    ap.add_argument("--json", action="store_true", help="print one JSON object (notes go to stderr)")
    ap.add_argument("--sources", type=int, default=None, help="sources per network (default 200; quick: 200/40)")
    ap.add_argument("--repeats", type=int, default=None, help="timed repeats (default 5; quick: 1)")
    ap.add_argument("--seed", type=int, default=7, help="seed for choosing the sources")
    args = ap.parse_args(argv)
    as_json = args.json
    repeats = args.repeats or (1 if args.quick else 5)

    load = os.getloadavg()[0]
    _note(
        f"numba {numba.__version__}, {numba.config.NUMBA_NUM_THREADS} threads available, "
        f"{os.cpu_count()} CPUs, load average {load:.2f}",
        as_json=as_json,
    )
    results: dict[str, Any] = {}
    for name, net in load_inputs(args.quick, as_json):
        big = net.n_nodes >= 100_000
        k = args.sources or (40 if args.quick and big else 200)
        nx_k = 2 if args.quick else 5
        r = bench_network(name, net, n_sources=k, repeats=repeats, nx_sources=nx_k, seed=args.seed, as_json=as_json)
        results[name] = r
        if not as_json:
            _print_result(name, r)

    # headline ratios: the largest network; each input's own ratios follow as "<input>:<ratio>"
    headline = max(results, key=lambda n: results[n]["nodes"])
    ratios = dict(results[headline]["ratios"])
    for name, r in results.items():
        ratios.update({f"{name}:{k}": v for k, v in r["ratios"].items()})
    summary = {
        "benchmark": "many-to-many travel-time matrix",
        "quick": args.quick,
        "headline_input": headline,
        "ratios": ratios,
        "inputs": results,
        "load_average_start": load,
        "load_average_end": os.getloadavg()[0],
        "cpus": os.cpu_count(),
        "numba_threads": numba.config.NUMBA_NUM_THREADS,
        "python": platform.python_version(),
        "numba": numba.__version__,
    }
    if as_json:
        print(json.dumps(summary))
    else:
        print(
            f"\nheadline ({headline}): "
            + ", ".join(f"{k} {v:.2f}x" for k, v in results[headline]["ratios"].items())
            + f"   [load average {summary['load_average_start']:.2f} -> {summary['load_average_end']:.2f}"
            f" on {os.cpu_count()} CPUs; timings on a shared machine are noisy]"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
