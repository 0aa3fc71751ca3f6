"""Minimum-travel-time fire spread: yingji's numba Dijkstra vs scipy's on the same stencil graph.

Both solve Finney's (2002) minimum-travel-time problem on the same synthetic landscape
(patchy head rates with unburnable patches, a wind direction and length-to-breadth ratio that
vary across the grid, a rasterised road as a barrier, three ignitions at different times) with
the 16-move stencil. The peer is :func:`sim.hazards.fire.travel_time.arrival_times_reference`:
the stencil graph's edge weights built with vectorised numpy into a ``scipy.sparse`` matrix and
``scipy.sparse.csgraph.dijkstra`` from a virtual source; its time counts the graph build and the
solve. yingji's is the public :func:`~sim.hazards.fire.travel_time.arrival_times` call (input
checks, slowness coefficients and the kernel, which computes each move's time as it relaxes
it). The run checks that the two agree to 1e-9 min.

Full: 1000 x 1000 cells. Quick: 300 x 300 cells.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.landscapes import smooth_noise  # noqa: E402
from sim.hazards.fire.travel_time import arrival_times, arrival_times_reference  # noqa: E402

CELL_M = 30.0
NEIGHBOURS = 16


def landscape(n: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list]:
    """(ros m/min, head bearing °, lb, barrier, ignitions) of n x n cells, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    v = smooth_noise(rng, n, max(n // 30, 2))
    ros = np.where(v < 0.1, 0.0, 0.5 + 20.0 * v ** 2)  # water / rock patches, grass to shrub rates
    head_dir = 60.0 + 80.0 * smooth_noise(rng, n, 4)  # wind veering across the district
    lb = 1.0 + 3.0 * smooth_noise(rng, n, 5)
    barrier = np.zeros((n, n), bool)
    cols = np.arange(n)
    barrier[(n // 2 + (0.25 * cols - n // 8)).astype(int) % n, cols] = True  # a road, 8-connected
    barrier[:, n // 3] = False  # with a gap (a bridge)
    ign = []
    for fr, fc, t in ((0.3, 0.2, 0.0), (0.7, 0.3, 30.0), (0.5, 0.6, 90.0)):
        r, c = int(fr * n), int(fc * n)
        while not ros[r, c] > 0:
            c += 1
        ign.append((r, c, t))
    return ros, head_dir, lb, barrier, ign


def run(quick: bool = False) -> dict:
    n = 300 if quick else 1000
    reps_yj, reps_peer = (5, 3) if quick else (3, 2)
    ros, head_dir, lb, barrier, ign = landscape(n)
    kw = {"barrier": barrier, "neighbours": NEIGHBOURS}
    arrival_times(ros[:20, :20], 0.0, 1.0, CELL_M, [(0, 0, 0.0)])  # compile / load the cache untimed

    yj_times, t_yj_out = [], None
    for _ in range(reps_yj):
        t0 = time.perf_counter()
        t_yj_out = arrival_times(ros, head_dir, lb, CELL_M, ign, **kw)
        yj_times.append(time.perf_counter() - t0)
    peer_times, t_peer_out = [], None
    for _ in range(reps_peer):
        t0 = time.perf_counter()
        t_peer_out = arrival_times_reference(ros, head_dir, lb, CELL_M, ign, **kw)
        peer_times.append(time.perf_counter() - t0)

    fin = np.isfinite(t_yj_out)
    equal = bool(np.array_equal(fin, np.isfinite(t_peer_out))
                 and np.abs(t_yj_out[fin] - t_peer_out[fin]).max(initial=0.0) <= 1e-9)
    t_yj, t_peer = float(np.median(yj_times)), float(np.median(peer_times))
    return {
        "figures": {
            "fire_mtt_grid": f"{n}x{n} cells of {CELL_M:g} m, {NEIGHBOURS}-move stencil",
            "fire_mtt_reached_cells": int(fin.sum()),
            "fire_mtt_equal_to_scipy": equal,
            "fire_mtt_yingji_s": round(t_yj, 4),
            "fire_mtt_scipy_s": round(t_peer, 3),
            "fire_mtt_yingji_cells_per_s": round(n * n / t_yj),
            "fire_mtt_scipy_cells_per_s": round(n * n / t_peer),
            "fire_mtt_repeats": {"yingji": reps_yj, "scipy": reps_peer},
        },
        "ratios": {"fire_mtt_vs_scipy": round(t_peer / t_yj, 1) if equal else float("nan")},
    }


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2, ensure_ascii=False))
