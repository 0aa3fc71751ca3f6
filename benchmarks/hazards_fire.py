"""Forest-fire automaton: yingji's front-only numba kernel vs a vectorised numpy implementation.

Both run the same Alexandridis (2008) automaton on the same synthetic landscape (patchy
vegetation and density, rolling hills, 5 m/s north-west wind, five ignitions) with the same
random field: every ignition decision draws ``hash(key, step, cell)``, so the two must end
with identical ignition-step maps, and the benchmark checks that they do. The numpy side is
:func:`sim.hazards.fire.model._step_reference`: per step, eight whole-grid neighbour shifts
multiply the no-ignition probabilities, then one hash per candidate cell. Only stepping is
timed; building the transition table (shared by both) is not.

Full: 2000 x 2000 cells, 500 steps. Quick: 500 x 500 cells, 200 steps.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from network.raster import Raster  # noqa: E402
from benchmarks.landscapes import smooth_noise  # noqa: E402
from sim.hazards.fire.model import (  # noqa: E402
    NEVER, Density, ForestFire, Vegetation, _q_by_direction, _step_reference)

CELL_M = 10.0


def landscape(n: int, seed: int = 7) -> tuple[Raster, Raster, Raster]:
    """(dem, vegetation, density) rasters of n x n cells, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    v = smooth_noise(rng, n, max(n // 40, 2))
    veg = np.select([v < 0.08, v < 0.3, v < 0.55], [Vegetation.NONE, Vegetation.AGRICULTURAL, Vegetation.THICKETS],
                    Vegetation.PINE).astype(float)
    d = smooth_noise(rng, n, max(n // 25, 2))
    den = np.select([d < 0.25, d < 0.75], [Density.SPARSE, Density.NORMAL], Density.DENSE).astype(float)
    yy, xx = np.mgrid[0:n, 0:n] * CELL_M
    dem = 120 + 40 * np.sin(xx / 900.0) * np.cos(yy / 700.0) + 0.01 * yy
    make = lambda a: Raster(a, 0.0, 0.0, CELL_M, "EPSG:32650")  # noqa: E731
    return make(dem), make(veg), make(den)


def _ignitions(veg: Raster, n: int) -> list[tuple[float, float, float]]:
    """Five burnable points around the centre."""
    pts = []
    for fx, fy in ((0.5, 0.5), (0.35, 0.4), (0.62, 0.36), (0.42, 0.66), (0.66, 0.62)):
        r, c = int(fy * n), int(fx * n)
        while veg.values[r, c] == Vegetation.NONE:
            c += 1
        pts.append(((c + 0.5) * CELL_M, (r + 0.5) * CELL_M, 0.0))
    return pts


def _fire(dem, veg, den, ign) -> ForestFire:
    return ForestFire(None, dem, veg, den, ign, wind_speed_m_s=5.0, wind_from_deg=315.0, seed=2024)


def run(quick: bool = False) -> dict:
    n, steps = (500, 200) if quick else (2000, 500)
    reps_yj, reps_np = (5, 3) if quick else (5, 1)
    dem, veg, den = landscape(n)
    ign = _ignitions(veg, n)
    _fire(dem, veg, den, ign).advance_to_step(2)  # compile / load the numba cache outside the timing

    yj_times, fire = [], None
    for _ in range(reps_yj):
        fire = _fire(dem, veg, den, ign)
        t0 = time.perf_counter()
        fire.advance_to_step(steps)
        yj_times.append(time.perf_counter() - t0)

    q_dir = _q_by_direction(fire._q.reshape(n, n, 8))
    supp = np.ones((n, n), np.float32)
    burnable = veg.values != Vegetation.NONE
    np_times, ign_np = [], None
    for _ in range(reps_np):
        ign_np = np.full((n, n), NEVER, np.int32)
        for c in fire._sched_cell:
            ign_np.reshape(-1)[c] = 0
        t0 = time.perf_counter()
        for s in range(steps):
            _step_reference(ign_np, q_dir, supp, burnable, s, fire.key)
        np_times.append(time.perf_counter() - t0)

    identical = bool(np.array_equal(ign_np.reshape(-1), fire._ign))
    t_yj, t_np = float(np.median(yj_times)), float(np.median(np_times))
    burned = int((fire._ign != NEVER).sum())
    return {
        "figures": {
            "fire_ca_grid": f"{n}x{n} cells of {CELL_M:g} m, {steps} steps",
            "fire_ca_burned_cells": burned,
            "fire_ca_burning_at_end": int(len(fire.front_cells())),
            "fire_ca_identical_to_numpy": identical,
            "fire_ca_yingji_s": round(t_yj, 4),
            "fire_ca_numpy_s": round(t_np, 3),
            "fire_ca_repeats": {"yingji": reps_yj, "numpy": reps_np},
        },
        "ratios": {"fire_ca_vs_numpy": round(t_np / t_yj, 1) if identical else float("nan")},
    }


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2, ensure_ascii=False))
