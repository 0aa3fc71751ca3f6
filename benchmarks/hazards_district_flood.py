"""Benchmark: the 2-D run of the built-in district's 100-year flood with the Xijiao breach.

The whole event as the engine runs it for a scenario (``RiverFlood2D``: channel held at the
river's level, dikes raised, the breach through its weir, depth frames every 10 minutes; no
cache), timed end to end: cells, steps, seconds, cell updates per second. Beside it, the same
steps from the same mid-flood state (the peak, 36 h in) on the numba kernels and on the numpy
reference step, equality checked: the peer a user would otherwise write.

``--quick`` runs the first 24 hours of the event (the river rising, before the breach) and
compares at 24 h.
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
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from network.district import load_district  # noqa: E402
from sim.api import DEFAULT_FLOOD  # noqa: E402
from sim.hazards.flood.scenario import river_flood  # noqa: E402

H = 3600.0


def _event(district, backend: str, until_s: float | None, breaches=DEFAULT_FLOOD["breaches"]):
    flood = {**DEFAULT_FLOOD, "breaches": breaches}
    return river_flood(district, **flood, engine="2d", cache=False, backend=backend, run_until_s=until_s)


def _timed_steps(model, dts) -> float:
    t0 = time.perf_counter()
    for dt in dts:
        model.step(dt)
    return time.perf_counter() - t0


def run(quick: bool = False) -> dict:
    district = load_district()
    until = 24 * H if quick else None
    compare_at = 24 * H if quick else 36 * H
    steps, repeats = (5, 3) if quick else (20, 3)

    # the whole run, as a scenario pays for it
    flood = _event(district, "numba", until)
    t0 = time.perf_counter()
    stats = flood.record.stats
    wall = time.perf_counter() - t0

    # the same steps from the same state, numba kernels vs the numpy reference; the breach's
    # weir lives outside the model (its width is the coupling's state), so both step without it
    event, _ = flood.build_model()
    event.advance(compare_at)
    fast, _ = _event(district, "numba", until, breaches=[]).build_model()
    fast.load_state(event)
    snapshot = copy.deepcopy(fast)
    dts = [fast.step() for _ in range(steps)]
    ref, _ = _event(district, "numpy", until, breaches=[]).build_model()
    t_fast, t_ref = [], []
    for _ in range(repeats):
        fast.load_state(snapshot)
        t_fast.append(_timed_steps(fast, dts))
        ref.load_state(snapshot)
        t_ref.append(_timed_steps(ref, dts))
    diff = float(np.max(np.abs(np.nan_to_num(fast.eta - ref.eta))))
    return {
        "name": "hazards_district_flood",
        "params": {"event": "100-year flood, Xijiao breach at 30 h, 150 m", "grid": "x".join(map(str, district.dem.shape)),
                   "cellsize_m": float(district.dem.cellsize), "run_until_h": (until or flood._t_end) / H,
                   "compare_at_h": compare_at / H, "compare_steps": steps, "repeats": repeats},
        "figures": {
            "cells": stats["cells"], "recorded_cells": stats["recorded_cells"], "steps": stats["steps"],
            "run_seconds": round(wall, 1), "solver_seconds": stats["seconds"],
            "cell_updates_per_s": stats["cell_updates"] / stats["seconds"],
            "mass_error_rel": stats["mass_error_rel"],
            "breach": stats["breaches"][0] if stats["breaches"] else None,
            "ms_per_step_at_compare": 1e3 * float(np.median(t_fast)) / steps,
            "numpy_ms_per_step_at_compare": 1e3 * float(np.median(t_ref)) / steps,
            "max_abs_diff": diff,
        },
        "ratios": {"district_flood_step_vs_numpy": float(np.median(t_ref)) / float(np.median(t_fast))},
        "equal": diff <= 1e-9,
    }


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
