"""The spopt p-median peer of bench_location.py, run in its own process.

spopt solves through PuLP with highspy, whose HiGHS library clashes with the copy of HiGHS inside
OR-Tools when both are loaded into one process (OR-Tools' HighsSolveProto then segfaults). So the
peer never shares a process with yingji: bench_location.py runs this script once per instance.

    python benchmarks/spopt_peer.py DISTANCES.npy P TIME_LIMIT_S   -> one JSON object on stdout
"""
from __future__ import annotations

import json
import os
import sys
import time

import numpy as np


def main(argv: list[str]) -> None:
    path, p, limit = argv[0], int(argv[1]), float(argv[2])
    D = np.load(path)
    import pulp
    from spopt.locate import PMedian as SpoptPMedian

    # highspy prints banners on fd 1: keep stdout for the JSON object
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        t = time.perf_counter()
        model = SpoptPMedian.from_cost_matrix(D, np.ones(D.shape[0]), p)
        model = model.solve(pulp.HiGHS(msg=False, timeLimit=limit), results=False)
        secs = time.perf_counter() - t
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
    prob = model.problem
    # PuLP reports "Optimal" for any incumbent after a time limit: check the solution status too
    proven = prob.status == pulp.LpStatusOptimal and prob.sol_status == pulp.LpSolutionOptimal and secs < limit
    obj = pulp.value(prob.objective)
    print(json.dumps({"seconds": round(secs, 4), "objective": None if obj is None else round(float(obj), 6),
                      "optimal": bool(proven), "status": pulp.LpStatus[prob.status]}))


if __name__ == "__main__":
    main(sys.argv[1:])
