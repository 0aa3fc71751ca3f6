"""Benchmark: local-inertial flood solver, numba kernels (2 threads) vs the numpy reference step.

Input: a synthetic river valley (1000 x 1000 cells of 10 m; quick: 300 x 300) - a floodplain
sloping 1:1000 down-valley, valley sides rising 20 m, a meandering channel 3 m deep, metre-scale
bumps. Two states, both with a line inflow across the channel at the upstream (north) edge and a
free outflow downstream (south):

* ``valley``: the channel 2 m deep and the upper 40 % of the valley flooded 1 m above bankfull,
  its front advancing - a realistic flood with most of the grid dry; the kernels only visit each
  row's active span, the numpy reference sweeps the whole grid (as a vectorised code must).
* ``dense``: water 0.5 m deep over every cell - the full-grid throughput of both.

Both backends run the same sequence of time steps from the same state (after a short numba
spin-up, so fluxes are non-zero); figures are grid cells x steps / time, median of the repeats,
and the two results are checked equal.
"""
from __future__ import annotations

import copy
import os
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    # OpenMP workers spin while idle; on a busy machine they steal the core the other thread
    # needs and a parallel region costs milliseconds instead of microseconds. Only takes effect
    # before the OpenMP runtime loads (numba imports it lazily).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from network.raster import Raster  # noqa: E402
from sim.hazards.flood.inertial import InertialModel  # noqa: E402


def synthetic_valley(n: int, *, dx: float = 10.0, seed: int = 7) -> tuple[Raster, np.ndarray]:
    """(DEM, initial water level) for an ``n x n`` valley; the same seed gives the same DEM."""
    rng = np.random.default_rng(seed)
    x = (np.arange(n) + 0.5) * dx
    y = (np.arange(n) + 0.5) * dx
    X, Y = np.meshgrid(x, y)  # row = y (south to north)
    width = n * dx
    centre = 0.5 * width + 0.12 * width * np.sin(2 * np.pi * Y / (0.8 * width))
    dist = np.abs(X - centre)
    channel = dist < 3 * dx
    # floodplain sloping 1:1000 down-valley, sides rising 20 m at the valley edges, channel 3 m deep
    z = 20.0 + 1e-3 * Y + 20.0 * (dist / (0.5 * width)) ** 2 - np.where(channel, 3.0, 0.0)
    # smooth bumps: random noise filtered by a few box passes
    noise = rng.normal(0.0, 1.0, (n, n))
    for _ in range(3):
        noise = (noise + np.roll(noise, 1, 0) + np.roll(noise, -1, 0) + np.roll(noise, 1, 1) + np.roll(noise, -1, 1)) / 5
    z += 0.8 * noise / noise.std()
    bankfull = 20.0 + 1e-3 * Y
    level = np.where(channel, bankfull - 1.0, -np.inf)  # about 2 m deep in the channel
    level = np.where(Y > 0.6 * width, bankfull + 1.0, level)  # a flood spreading downstream
    return Raster(z, 0.0, 0.0, dx), level


def _model(dem: Raster, level: np.ndarray, backend: str) -> InertialModel:
    m = InertialModel(dem, 0.035, initial_level=level, backend=backend)
    top = dem.y0 + dem.shape[0] * dem.cellsize - 0.5 * dem.cellsize
    xs, _ = dem.cell_centres()
    c0 = int(np.argmin(dem.values[-1]))  # the channel at the upstream edge
    across = xs[max(c0 - 2, 0)], xs[min(c0 + 2, xs.size - 1)]
    m.add_line_inflow((across[0], top), (across[1], top), ([0.0, 3600.0], [50.0, 400.0]))
    m.add_free_outflow("south", slope=1e-3)
    return m


def _timed_steps(m: InertialModel, dts: list[float]) -> float:
    t0 = time.perf_counter()
    for dt in dts:
        m.step(dt)
    return time.perf_counter() - t0


def _compare(dem: Raster, level: np.ndarray, steps: int, repeats: int) -> dict:
    base = _model(dem, level, "numba")
    for _ in range(30):  # spin-up: non-zero fluxes, moving fronts (also loads/compiles the kernels)
        base.step()
    probe = copy.deepcopy(base)
    dts = [probe.step() for _ in range(steps)]
    fast, ref = _model(dem, level, "numba"), _model(dem, level, "numpy")
    t_fast, t_ref, worked = [], [], 0
    for _ in range(repeats):
        fast.load_state(base)
        w0 = fast.cells_worked
        t_fast.append(_timed_steps(fast, dts))
        worked = fast.cells_worked - w0
        ref.load_state(base)
        t_ref.append(_timed_steps(ref, dts))
    diff = max(float(np.max(np.abs(fast.eta - ref.eta))), float(np.max(np.abs(fast.qx - ref.qx))),
               float(np.max(np.abs(fast.qy - ref.qy))))
    return {"t_fast": float(np.median(t_fast)), "t_ref": float(np.median(t_ref)), "diff": diff,
            "worked": worked, "wet": float(np.mean(fast.depth > fast.thr))}


def run(quick: bool = False) -> dict:
    import numba

    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    n = 300 if quick else 1000
    steps, repeats = (20, 3) if quick else (10, 3)
    dem, level = synthetic_valley(n)
    cells = dem.shape[0] * dem.shape[1]
    valley = _compare(dem, level, steps, repeats)
    dense = _compare(dem, dem.values + 0.5, steps, repeats)
    diff = max(valley["diff"], dense["diff"])
    return {
        "name": "hazards_inertial",
        "params": {"grid": f"{n}x{n}", "cellsize_m": dem.cellsize, "steps": steps, "repeats": repeats,
                   "numba_threads": numba.get_num_threads(), "valley_wet_fraction": round(valley["wet"], 3),
                   "valley_cells_visited_fraction": round(valley["worked"] / (cells * steps), 3)},
        "figures": {
            "cell_updates_per_s": cells * steps / valley["t_fast"],
            "numpy_cell_updates_per_s": cells * steps / valley["t_ref"],
            "dense_cell_updates_per_s": cells * steps / dense["t_fast"],
            "dense_numpy_cell_updates_per_s": cells * steps / dense["t_ref"],
            "ms_per_step": 1e3 * valley["t_fast"] / steps,
            "numpy_ms_per_step": 1e3 * valley["t_ref"] / steps,
            "max_abs_diff": diff,
        },
        "ratios": {"inertial_vs_numpy": valley["t_ref"] / valley["t_fast"],
                   "inertial_vs_numpy_dense": dense["t_ref"] / dense["t_fast"]},
        "equal": diff <= 1e-10,
    }


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
