"""Hazard kernels side by side with vectorised numpy/scipy implementations of the same models.

One run, same inputs, equality checked for each pair:
- forest fire cellular automaton (2000×2000 cells, 500 steps; target ≥ 20× numpy),
- minimum-travel-time fire spread, 1000×1000 cells, 16-move stencil (vs scipy's Dijkstra on the
  same graph, graph build included),
- Gaussian plume at 1,000,000 receptors (both cores; target ≥ 3× numpy),
- connected flood fill on a 4,000,000-cell DEM (vs scipy.ndimage.label),
- the local-inertial 2D solver's cell updates per second (vs the numpy reference step),
- the 2D run of the district's 100-year flood with the Xijiao breach (cells, steps, seconds),
  and its steps at the peak vs the numpy reference step.

    python benchmarks/bench_hazards.py [--quick] [--json]

``--json`` prints one object whose ``ratios`` map holds peer time / yingji time (above 1 means
yingji is faster).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

# numba's OpenMP workers spin while idle by default, stealing the other core on a shared machine
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import (  # noqa: E402
    hazards_chemical, hazards_district_flood, hazards_fire, hazards_fire_mtt, hazards_flood, hazards_inertial,
)

PARTS = {
    "fire": hazards_fire,
    "fire_mtt": hazards_fire_mtt,
    "plume": hazards_chemical,
    "flood_fill": hazards_flood,
    "inertial": hazards_inertial,
    "district_flood": hazards_district_flood,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, under a minute in all")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--only", choices=sorted(PARTS), action="append", help="run only these parts")
    args = parser.parse_args(argv)
    figures: dict = {}
    ratios: dict = {}
    for name in args.only or PARTS:
        out = PARTS[name].run(quick=args.quick)
        figures[name] = out.get("figures", {})
        for k in ("params", "equal"):
            if k in out:
                figures[name][k] = out[k]
        ratios.update(out.get("ratios", {}))
        if not args.json:
            print(f"== {name} ==")
            for k, v in figures[name].items():
                print(f"  {k}: {v}")
            for k, v in out.get("ratios", {}).items():
                print(f"  ratio {k}: {v:.2f}x (peer time / yingji time)")
    result = {"benchmark": "hazards", "quick": args.quick, "figures": figures, "ratios": ratios}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
