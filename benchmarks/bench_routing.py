"""Supply routing: yingji's OR-Tools CVRP vs a plain Clarke–Wright savings heuristic, CVRPLIB set A.

For every instance: yingji's cost, its gap to the published optimum and its time (the search
runs to its time limit: 10 s full, 4 s quick, wall clock, with solve_cvrplib's default number of
parallel searches: two where there are two cores), next to the cost and time of the parallel
Clarke–Wright savings algorithm (Clarke & Wright 1964) — what a planner might write in numpy in
an afternoon: savings ``d(0,i) + d(0,j) - d(i,j)`` for all pairs at once, sorted, then routes
merged end to end while the load fits. Both use CVRPLIB's rounded EUC_2D distances.

``ratios`` are peer cost / yingji cost (above 1 = yingji's plans are cheaper): the geometric
mean over the instances run, and the worst instance.

Route-pool recombination (see :mod:`optimize.routing.route_pool`): per instance, the routes pooled, whether
the recombined plan a worker restarted from was below that worker's own plan, whether the final
recombination beat every search, and the seconds the pool recorder took; in the summary, the
count of instances within 1 % and the worst gap, how often each recombination step helped, and
the recorder's share of the workers' time.

Full: all 27 set-A instances at 10 s each. Quick: 6 instances across the size range at 4 s.
Data: ``../shared/data/cvrplib/A`` beside the checkout, else the three small copies in
``tests/data/cvrplib``.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimize.cvrplib import check_routes, read_sol, read_vrp, route_cost  # noqa: E402
from optimize.routing import solve_cvrplib  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SET_A = REPO.parent / "shared" / "data" / "cvrplib" / "A"
QUICK = ("A-n32-k5", "A-n39-k5", "A-n45-k7", "A-n54-k7", "A-n63-k10", "A-n80-k10")


def clarke_wright(dist: np.ndarray, demands: np.ndarray, capacity: float, depot: int = 0) -> list[list[int]]:
    """Parallel savings: merge route ends in order of decreasing saving while the load fits."""
    n = len(dist)
    cust = np.array([i for i in range(n) if i != depot])
    i, j = np.triu_indices(len(cust), 1)
    a, b = cust[i], cust[j]
    saving = dist[depot, a] + dist[depot, b] - dist[a, b]
    order = np.argsort(-saving, kind="stable")
    route_of = {int(c): [int(c)] for c in cust}          # customer -> its route (shared list)
    load = {id(r): float(demands[r[0]]) for r in route_of.values()}
    for k in order:
        if saving[k] <= 0:
            break
        u, v = int(a[k]), int(b[k])
        ru, rv = route_of[u], route_of[v]
        if ru is rv or load[id(ru)] + load[id(rv)] > capacity:
            continue
        # u and v must be route ends; orient so that ru ends with u and rv starts with v
        if ru[-1] != u:
            if ru[0] != u:
                continue
            ru.reverse()
        if rv[0] != v:
            if rv[-1] != v:
                continue
            rv.reverse()
        merged_load = load.pop(id(ru)) + load.pop(id(rv))
        ru.extend(rv)
        load[id(ru)] = merged_load
        for c in rv:
            route_of[c] = ru
    seen, routes = set(), []
    for r in route_of.values():
        if id(r) not in seen:
            seen.add(id(r))
            routes.append(r)
    return routes


def _pool_figures(rc: dict | None) -> dict:
    """Route-pool recombination per instance: pooled routes, whether a worker's restart from the
    recombined plan started below that worker's own plan, whether the final recombination beat
    every search, and the seconds the pool recorder took in all workers together."""
    if not rc:
        return {}
    restarts = [r for r in rc.get("restarts") or [] if r and r.get("objective") is not None]
    return {
        "pool_routes": rc["pool_routes"],
        "restart_recombined_better": any(r["objective"] < r["start"] for r in restarts),
        "final_recombined_better": bool(rc["improved"]),
        "pool_callback_s": rc["callback_s"],
    }


def run(quick: bool = False) -> dict:
    folder = SET_A if SET_A.is_dir() else REPO / "tests" / "data" / "cvrplib"
    paths = sorted(folder.glob("*.vrp"))
    if quick:
        paths = [p for p in paths if p.stem in QUICK] or paths[:3]
    limit = 4.0 if quick else 10.0
    rows, workers = [], set()
    for p in paths:
        inst = read_vrp(p)
        dist = inst.distance_matrix()
        t0 = time.perf_counter()
        cw = clarke_wright(dist.astype(float), inst.demands, inst.capacity, inst.depot)
        t_cw = time.perf_counter() - t0
        assert not check_routes(inst, cw), "Clarke-Wright produced an infeasible plan"
        cw_cost = route_cost(dist, cw, inst.depot)
        out = solve_cvrplib(p, time_limit_s=limit)
        assert out["feasible"]
        workers.add(out["workers"])
        opt = out["known_optimum"]
        if opt is None and p.with_suffix(".sol").exists():
            opt = read_sol(p.with_suffix(".sol"), inst).cost
        rows.append({
            "instance": inst.name, "optimum": opt,
            "yingji_cost": out["objective"], "yingji_gap_pct": out["gap_pct"], "yingji_s": out["seconds"],
            "cw_cost": cw_cost, "cw_gap_pct": round(100 * (cw_cost - opt) / opt, 3) if opt else None,
            "cw_s": round(t_cw, 4),
            **_pool_figures(out.get("recombination")),
        })
    ratio = np.array([r["cw_cost"] / r["yingji_cost"] for r in rows])
    gaps = [r["yingji_gap_pct"] for r in rows]
    return {
        "figures": {
            "cvrp_set": (f"CVRPLIB set A from {folder}, {len(rows)} instances, time limit {limit:g} s each, "
                         f"{'/'.join(map(str, sorted(workers)))} parallel search(es) each"),
            "cvrp_yingji_mean_gap_pct": round(float(np.mean(gaps)), 3),
            "cvrp_yingji_max_gap_pct": round(float(np.max(gaps)), 3),
            "cvrp_yingji_within_1pct": int(sum(g <= 1.0 for g in gaps)),
            "cvrp_yingji_total_s": round(sum(r["yingji_s"] for r in rows), 2),
            "cvrp_cw_mean_gap_pct": round(float(np.mean([r["cw_gap_pct"] for r in rows])), 3),
            "cvrp_cw_total_s": round(sum(r["cw_s"] for r in rows), 4),
            "cvrp_pool_routes_mean": (round(float(np.mean([r["pool_routes"] for r in rows])), 1)
                                      if all("pool_routes" in r for r in rows) else None),
            "cvrp_restart_recombined_better": sum(bool(r.get("restart_recombined_better")) for r in rows),
            "cvrp_final_recombined_better": sum(bool(r.get("final_recombined_better")) for r in rows),
            # recorder seconds over all workers' seconds (each worker runs the whole budget)
            "cvrp_pool_callback_share_pct": round(100 * sum(r.get("pool_callback_s", 0) for r in rows)
                                                  / (sum(r["yingji_s"] for r in rows) * max(workers)), 2),
            "instances": rows,
        },
        "ratios": {
            "cvrp_cost_cw_vs_yingji_geomean": round(float(np.exp(np.log(ratio).mean())), 4),
            "cvrp_cost_cw_vs_yingji_min": round(float(ratio.min()), 4),
        },
    }


def _table(res: dict) -> str:
    lines = [res["figures"]["cvrp_set"],
             f"{'instance':<11}{'optimum':>8}{'yingji':>8}{'gap %':>7}{'s':>7}{'C-W':>8}{'gap %':>7}{'s':>8}"]
    for r in res["figures"]["instances"]:
        lines.append(f"{r['instance']:<11}{r['optimum']:>8g}{r['yingji_cost']:>8g}{r['yingji_gap_pct']:>7.2f}"
                     f"{r['yingji_s']:>7.2f}{r['cw_cost']:>8g}{r['cw_gap_pct']:>7.2f}{r['cw_s']:>8.4f}")
    f = res["figures"]
    lines.append(f"mean gap: yingji {f['cvrp_yingji_mean_gap_pct']:.3f} %, "
                 f"Clarke-Wright {f['cvrp_cw_mean_gap_pct']:.3f} %; yingji within 1 %: "
                 f"{f['cvrp_yingji_within_1pct']}/{len(f['instances'])}, worst {f['cvrp_yingji_max_gap_pct']:.2f} %")
    lines.append(f"route pool: {f['cvrp_pool_routes_mean']} routes per instance on average; recombined plan "
                 f"below the restarting worker's own on {f['cvrp_restart_recombined_better']}, final "
                 f"recombination beat every search on {f['cvrp_final_recombined_better']}; recording took "
                 f"{f['cvrp_pool_callback_share_pct']} % of the workers' time")
    lines.append("ratios (C-W cost / yingji cost): " + json.dumps(res["ratios"]))
    return "\n".join(lines)


if __name__ == "__main__":
    result = run(quick="--quick" in sys.argv)
    print(json.dumps(result, ensure_ascii=False) if "--json" in sys.argv else _table(result))
