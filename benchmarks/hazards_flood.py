"""Connected flood fill: yingji's numba stack fill vs a vectorised scipy.ndimage.label fill.

Both answer the same question on the same grid: which cells are 4-connected to the river
channel through cells below the water level? The scipy side labels the below-level mask
(4-connected structure) and keeps the labels that touch a channel cell
(:func:`sim.hazards.flood.model.flood_fill_reference`). The benchmark checks that the two wet masks are
identical, and that the fast model's precomputed fill-level map gives the same mask by a
comparison (its one-off cost and the per-step comparison are reported as figures).

Landscape: a floodplain sloping up from a meandering river (about 1 m per 100 cells), rolling
hills, small closed depressions and a dike along part of the east bank; the level floods about
a third of the grid. Full: 2000 x 2000 cells; quick: 1000 x 1000.
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
from sim.hazards.flood.model import fill_level_map, flood_fill, flood_fill_reference  # noqa: E402


def floodplain(n: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """(ground, channel mask) of n x n cells, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    rows = np.arange(n)
    centre = n * (0.45 + 0.12 * np.sin(rows / n * 5.0))  # meandering river, north to south
    dist = np.abs(np.arange(n)[None, :] - centre[:, None])
    ground = 20.0 + dist * (100.0 / n) * 0.06 + 3.0 * smooth_noise(rng, n, max(n // 50, 2))
    ground += 0.6 * smooth_noise(rng, n, max(n // 8, 2))  # small closed depressions
    channel = dist < 2.0
    ground[channel] = 18.0
    dike = (np.abs(dist - n * 0.05) < 1.0) & (np.arange(n)[None, :] > centre[:, None]) & (rows[:, None] < n * 0.6)
    ground[dike] = 40.0
    return np.ascontiguousarray(ground), channel


def _median_time(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def run(quick: bool = False) -> dict:
    n = 1000 if quick else 2000
    repeats = 7 if quick else 5
    ground, channel = floodplain(n)
    level = float(np.quantile(ground, 0.35))
    flood_fill(ground[:8, :8], channel[:8, :8], level)  # compile / load the numba cache outside the timing
    fill_level_map(ground[:8, :8], channel[:8, :8])

    t_yj, wet_yj = _median_time(lambda: flood_fill(ground, channel, level), repeats)
    t_sp, wet_sp = _median_time(lambda: flood_fill_reference(ground, channel, level), repeats)
    t_fill, fill = _median_time(lambda: fill_level_map(ground, channel), 1 if not quick else 3)
    t_step, wet_fast = _median_time(lambda: fill < level, repeats)

    identical = bool(np.array_equal(wet_yj, wet_sp))
    fast_identical = bool(np.array_equal(wet_fast, wet_yj))
    below = int((ground < level).sum())
    return {
        "figures": {
            "flood_fill_grid": f"{n}x{n} cells, 4-connected, level {level:.2f} m",
            "flood_fill_wet_cells": int(wet_yj.sum()),
            "flood_fill_below_level_cells": below,
            "flood_fill_identical_to_scipy": identical,
            "flood_fill_yingji_s": round(t_yj, 4),
            "flood_fill_scipy_s": round(t_sp, 4),
            "flood_fill_repeats": repeats,
            "fill_level_map_s": round(t_fill, 3),
            "fill_level_step_s": round(t_step, 5),
            "fill_level_identical_to_fill": fast_identical,
        },
        "ratios": {"flood_fill_vs_scipy": round(t_sp / t_yj, 2) if identical else float("nan")},
    }


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2, ensure_ascii=False))
