"""Gaussian plume at many receptors: yingji's numba kernel (2 threads) vs vectorised numpy.

Both evaluate the same reflected plume (1 kg/s released at 10 m, 3 m/s wind, class D, Briggs
rural sigmas) at the same receptors, at a breathing height of 1.5 m, scattered
over 12 km x 4 km around the source (some upwind, most downwind). The numpy side is
:func:`sim.hazards.chemical.model.gaussian_plume`; the numba side :func:`gaussian_plume_fast`
(``sim.hazards.chemical.kernels.plume_kernel``, ``prange`` over receptors). Results must agree to 1e-12
relative, and the benchmark checks that they do.

Full: 1,000,000 receptors, median of 7 runs. Quick: 200,000 receptors, 5 runs. Runs of the two
sides alternate, so both see the same load on a shared machine. The numba time on one thread is
reported too, for context.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numba  # noqa: E402

from sim.hazards.chemical.model import gaussian_plume, gaussian_plume_fast  # noqa: E402

THREADS = 2
CASE = dict(q_g_s=1000.0, u_m_s=3.0, release_height_m=10.0, stability="D", sigmas="briggs-rural")


def receptors(n: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """Downwind/crosswind receptor coordinates (m), deterministic for a seed."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-2000.0, 10_000.0, n), rng.uniform(-2000.0, 2000.0, n)


def run(quick: bool = False) -> dict:
    n = 200_000 if quick else 1_000_000
    reps = 5 if quick else 7
    x, y = receptors(n)
    z = 1.5
    fast = lambda: gaussian_plume_fast(x_m=x, y_m=y, z_m=z, **CASE)  # noqa: E731
    ref = lambda: gaussian_plume(x_m=x, y_m=y, z_m=z, **CASE)  # noqa: E731
    prev = numba.get_num_threads()
    threads = min(THREADS, numba.config.NUMBA_NUM_THREADS)
    t_yj, t_one, t_np = [], [], []
    try:
        gaussian_plume_fast(x_m=x[:10], y_m=y[:10], z_m=z, **CASE)  # compile / load the cache outside the timing
        # interleaved, so that both sides see the same machine load
        for _ in range(reps):
            numba.set_num_threads(threads)
            t0 = time.perf_counter()
            c_yj = fast()
            t_yj.append(time.perf_counter() - t0)
            numba.set_num_threads(1)  # for context: the fused loop alone, without the second thread
            t0 = time.perf_counter()
            fast()
            t_one.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            c_np = ref()
            t_np.append(time.perf_counter() - t0)
    finally:
        numba.set_num_threads(prev)

    nz = c_np > 0
    rel = float(np.max(np.abs(c_yj - c_np)[nz] / c_np[nz])) if nz.any() else 0.0
    equal = bool(rel <= 1e-12 and np.all(c_yj[~nz] == 0.0))
    med = lambda t: float(np.median(t))  # noqa: E731
    return {
        "figures": {
            "plume_receptors": n,
            "plume_case": "1 kg/s at 10 m, 3 m/s, class D, Briggs rural, receptors at 1.5 m",
            "plume_threads": threads,
            "plume_max_rel_diff": rel,
            "plume_equal_to_numpy": equal,
            "plume_yingji_s": round(med(t_yj), 5),
            "plume_yingji_1_thread_s": round(med(t_one), 5),
            "plume_numpy_s": round(med(t_np), 5),
            "plume_repeats": reps,
        },
        "ratios": {"plume_vs_numpy": round(med(t_np) / med(t_yj), 2) if equal else float("nan")},
    }


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2, ensure_ascii=False))
