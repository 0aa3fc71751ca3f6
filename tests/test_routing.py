"""Supply routing (optimize.routing) and the CVRPLIB reader (optimize.cvrplib)."""
from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from network.errors import InputError, UnreachableError
from optimize.cvrplib import check_routes, euc2d_matrix, read_sol, read_vrp, route_cost
from optimize.routing import RoutingResult, RoutingStatus, VehicleRouting, solve_cvrplib
from optimize.routing.presolve import presolve
from optimize.routing.recombination import from_recombination, pool_routes, sp_inputs
from optimize.routing.route_pool import PoolRoute, Recombination, RoutePool, recombine, vehicle_classes
from optimize.routing.search import search_once

DATA = Path(__file__).resolve().parent / "data" / "cvrplib"
SET_A = Path(__file__).resolve().parents[2] / "shared" / "data" / "cvrplib" / "A"
OPTIMA = {"A-n32-k5": 784, "A-n33-k5": 661, "A-n34-k5": 778}
FAST = dict(time_limit_s=1.0, metaheuristic="greedy_descent")   # hand-made cases: any local optimum


def check_plan(model: VehicleRouting, res: RoutingResult, tol: float = 1e-6) -> None:
    """Every stop served once or reported unserved; loads, depots, windows and cost consistent."""
    assert res.solved
    seen: dict[int, int] = {}
    for r in res.routes:
        depot = int(model.vehicle_depots[r.vehicle])
        assert r.stops[0] == r.stops[-1] == depot == r.depot
        for s in r.customers:
            assert s not in set(model.vehicle_depots.tolist())
            seen[s] = seen.get(s, 0) + 1
        delivered = model.demands[list(r.customers)].sum(axis=0)
        assert np.all(delivered <= model.capacities[r.vehicle] + tol)
        loads = r.loads.reshape(len(r.stops), -1)
        assert np.allclose(loads[0], delivered) and np.allclose(loads[-1], 0)
        assert np.all(loads <= model.capacities[r.vehicle] + tol)
        # Times: each arrival follows from the previous one; windows hold.
        for k in range(1, len(r.stops)):
            a, b = r.stops[k - 1], r.stops[k]
            assert r.arrivals[k] >= r.arrivals[k - 1] + model.service[a] + model.travel[a, b] - tol
            if model.windows is not None:
                lo, hi = model.windows[b]
                if k < len(r.stops) - 1:
                    assert lo - tol <= r.arrivals[k] <= hi + tol, (b, r.arrivals[k], lo, hi)
                else:
                    assert r.arrivals[k] <= hi + tol
        if model.windows is not None:
            assert r.arrivals[0] >= model.windows[depot, 0] - tol
        if model.max_route_time is not None:
            assert r.duration <= model.max_route_time[r.vehicle] + tol
        cost = sum(model.cost[a, b] for a, b in zip(r.stops[:-1], r.stops[1:]))
        assert np.isfinite(cost) and cost == pytest.approx(r.cost)
    assert all(c == 1 for c in seen.values())
    unserved = {u.stop for u in res.unserved}
    assert set(seen) | unserved == set(model.stops.tolist()) and not set(seen) & unserved
    assert res.objective == pytest.approx(sum(r.cost for r in res.routes))
    assert set(res.arrival) == set(seen)
    json.dumps(res.to_dict())


# --- reader ---------------------------------------------------------------------------------

def test_read_vrp_small_instance():
    inst = read_vrp(DATA / "A-n32-k5.vrp")
    assert (inst.name, inst.dimension, inst.capacity, inst.depot) == ("A-n32-k5", 32, 100, 0)
    assert inst.vehicles == 5 and inst.known_optimum == 784
    assert inst.demands[0] == 0 and inst.demands[1] == 19 and inst.demands[-1] == 9
    assert inst.demands.sum() == 410 and inst.coords.shape == (32, 2)
    d = inst.distance_matrix()
    assert d.dtype == np.int64 and d[0, 1] == 35          # sqrt(14^2 + 32^2) = 34.93 -> 35
    assert (d == d.T).all() and (np.diag(d) == 0).all()


def test_euc2d_rounds_half_up_like_tsplib():
    # numpy's round() would give 2 (round half to even); TSPLIB's nint gives 3
    d = euc2d_matrix(np.array([[0.0, 0.0], [2.5, 0.0], [0.0, 3.5]]))
    assert d[0, 1] == 3 and d[0, 2] == 4 and d[1, 2] == 4   # sqrt(6.25 + 12.25) = 4.30 -> 4


@pytest.mark.parametrize("name", sorted(OPTIMA))
def test_read_sol_cost_and_feasibility(name):
    inst = read_vrp(DATA / f"{name}.vrp")
    sol = read_sol(DATA / f"{name}.sol", inst)
    assert sol.convention == "cvrplib" and sol.cost == OPTIMA[name]
    assert route_cost(inst.distance_matrix(), sol.routes, inst.depot) == OPTIMA[name]
    assert check_routes(inst, sol.routes) == []


def test_read_sol_node_id_variant():
    inst = read_vrp(DATA / "A-n32-k5.vrp")
    sol = read_sol(DATA / "A-n32-k5.nodeids.sol", inst)
    assert sol.convention == "node_ids" and sol.cost == 784
    assert route_cost(inst.distance_matrix(), sol.routes) == 784 and check_routes(inst, sol.routes) == []


VALID = """NAME : tiny
TYPE : CVRP
DIMENSION : 3
EDGE_WEIGHT_TYPE : EUC_2D
CAPACITY : 10
NODE_COORD_SECTION
1 0 0
2 3 4
3 6 8
DEMAND_SECTION
1 0
2 4
3 5
DEPOT_SECTION
1
-1
EOF
"""


@pytest.mark.parametrize("old, new, field, line", [
    ("CAPACITY : 10\n", "", "CAPACITY", None),
    ("3 5\n", "3 five\n", "DEMAND_SECTION", 13),
    ("3 5\n", "3 -5\n", "DEMAND_SECTION", 13),
    ("3 6 8\n", "4 6 8\n", "NODE_COORD_SECTION", 9),
    ("3 6 8\n", "3 6\n", "NODE_COORD_SECTION", 9),
    ("EUC_2D", "GEO", "EDGE_WEIGHT_TYPE", 4),
    ("DIMENSION : 3", "DIMENSION : three", "DIMENSION", 3),
    ("1 0\n2 4", "1 3\n2 4", "DEMAND_SECTION", 11),
    ("TYPE : CVRP\n", "TYPE : CVRP\nthis is not a header\n", "header", 3),
])
def test_malformed_vrp_names_file_line_field(tmp_path, old, new, field, line):
    p = tmp_path / "bad.vrp"
    p.write_text(VALID.replace(old, new, 1))
    with pytest.raises(InputError) as e:
        read_vrp(p)
    msg = str(e.value)
    assert str(p) in msg and field in msg
    if line is not None:
        assert f"bad.vrp:{line}:" in msg


def test_valid_tiny_vrp_and_missing_file(tmp_path):
    p = tmp_path / "ok.vrp"
    p.write_text(VALID)
    inst = read_vrp(p)
    assert inst.distance_matrix()[0, 2] == 10 and inst.vehicles is None
    with pytest.raises(InputError, match="cannot read"):
        read_vrp(tmp_path / "absent.vrp")


def test_explicit_lower_row(tmp_path):
    p = tmp_path / "x.vrp"
    p.write_text("NAME : x\nTYPE : CVRP\nDIMENSION : 3\nEDGE_WEIGHT_TYPE : EXPLICIT\n"
                 "EDGE_WEIGHT_FORMAT : LOWER_ROW\nCAPACITY : 5\nEDGE_WEIGHT_SECTION\n7\n8 9\n"
                 "DEMAND_SECTION\n1 0\n2 1\n3 1\nDEPOT_SECTION\n1\n-1\nEOF\n")
    d = read_vrp(p).distance_matrix()
    assert d.tolist() == [[0, 7, 8], [7, 0, 9], [8, 9, 0]]


def test_malformed_sol(tmp_path):
    inst = read_vrp(DATA / "A-n32-k5.vrp")
    p = tmp_path / "bad.sol"
    p.write_text("Route #1: 1 2 x\nCost 10\n")
    with pytest.raises(InputError, match=r"bad.sol:1: Route #1"):
        read_sol(p, inst)
    p.write_text("Route #1: 1 2 99\nCost 10\n")
    with pytest.raises(InputError, match=r"bad.sol:1: Route.*outside"):
        read_sol(p, inst)
    p.write_text("Route #1: 1 2\nTotal 10\n")
    with pytest.raises(InputError, match=r"bad.sol:2: line"):
        read_sol(p, inst)


# --- CVRPLIB solve --------------------------------------------------------------------------

def test_small_cvrplib_instance_within_one_percent():
    out = solve_cvrplib(DATA / "A-n32-k5.vrp", time_limit_s=3.0)
    assert out["feasible"] and out["known_optimum"] == 784 and out["optimal"] is False
    assert out["workers"] == min(2, os.cpu_count() or 1)
    assert out["gap_pct"] <= 1.0, out
    assert out["seconds"] < 4.0
    inst = read_vrp(DATA / "A-n32-k5.vrp")
    routes = [[int(inst.customers[c - 1]) for c in r] for r in out["routes"]]
    assert route_cost(inst.distance_matrix(), routes) == out["objective"]
    json.dumps(out)


def test_cvrplib_model_validity():
    model = VehicleRouting.from_cvrplib(DATA / "A-n33-k5.vrp")
    res = model.solve(time_limit_s=1.0)
    check_plan(model, res)
    assert res.status is RoutingStatus.FEASIBLE and not res.unserved and not res.optimal


@pytest.mark.slow
def test_set_a_within_one_percent():
    if not SET_A.is_dir():
        pytest.skip(f"CVRPLIB set A not found at {SET_A} (../shared/data is only beside the checkout)")
    optima = {r["name"]: float(r["optimum"]) for r in csv.DictReader(open(SET_A / "optima.csv"))}
    rows = []
    for path in sorted(SET_A.glob("*.vrp")):
        out = solve_cvrplib(path, time_limit_s=10.0)
        assert out["feasible"]
        assert out["known_optimum"] == optima[out["instance"]]
        rows.append((out["instance"], out["objective"], out["known_optimum"], out["gap_pct"], out["seconds"]))
    print("\ninstance     cost  optimum  gap%  seconds")
    for row in rows:
        print("%-10s %6d %8d %5.2f %8.2f" % row)
    mean_gap = sum(r[3] for r in rows) / len(rows)
    print(f"mean gap {mean_gap:.3f} % over {len(rows)} instances")
    assert len(rows) == 27
    assert all(r[3] <= 1.0 for r in rows), [r for r in rows if r[3] > 1.0]
    assert all(r[4] <= 10.5 for r in rows), [r for r in rows if r[4] > 10.5]


def test_solution_limit_runs_are_reproducible():
    model = VehicleRouting.from_cvrplib(DATA / "A-n34-k5.vrp")
    runs = [model.solve(time_limit_s=60.0, solution_limit=300) for _ in range(2)]
    assert [r.stops for r in runs[0].routes] == [r.stops for r in runs[1].routes]
    assert runs[0].objective == runs[1].objective and runs[0].seconds < 30
    check_plan(model, runs[0])


def test_parallel_workers_keep_the_best_plan():
    model = VehicleRouting.from_cvrplib(DATA / "A-n34-k5.vrp")
    kw = dict(time_limit_s=60.0, solution_limit=150, recombine=False)
    single = model.solve(**kw)
    runs = [model.solve(workers=3, **kw) for _ in range(2)]
    par = runs[0]
    check_plan(model, par)
    objs = par.search["worker_objectives"]
    # worker 0 is the single search with the same settings; the others are other variants
    assert objs[0] == single.objective and len(objs) == 3 and None not in objs
    ils = [w["ils"] for w in par.search["worker_settings"]]
    assert ils[0] == single.search["ils"] and len(set(ils)) == 3     # three different searches
    assert par.objective == min(objs) and par.search["best_worker"] == objs.index(min(objs))
    assert par.search["ils"] == par.search["worker_settings"][par.search["best_worker"]]["ils"]
    # each worker ends on its solution limit, so the pick is reproducible
    assert [r.stops for r in runs[1].routes] == [r.stops for r in par.routes]
    assert runs[1].search["worker_objectives"] == objs
    assert "worker_errors" not in par.search


def test_recombining_workers_pool_restart_and_keep_the_best_plan():
    model = VehicleRouting.from_cvrplib(DATA / "A-n34-k5.vrp")
    kw = dict(time_limit_s=60.0, solution_limit=150)
    plain = model.solve(recombine=False, **kw)
    runs = [model.solve(workers=2, **kw) for _ in range(2)]
    par = runs[0]
    check_plan(model, par)
    rc = par.search["recombination"]
    objs = par.search["worker_objectives"]
    # worker 0 searches to the end exactly as alone (recording routes does not steer it)
    assert objs[0] == plain.objective and None not in objs
    # worker 1 searched twice: before and after the hand-over, restarting from the recombined plan
    phases = rc["phase_objectives"][1]
    assert len(phases) == 2 and objs[1] == min(phases)
    restart = rc["restarts"][0]
    assert restart["objective"] is not None and restart["objective"] <= restart["start"]
    assert rc["pool_routes"] >= rc["final"]["columns"] > 0 and rc["routes_offered"] >= rc["pool_routes"]
    # the final recombination starts from the best worker's plan: never worse, better when it says so
    assert rc["final"]["objective"] <= rc["final"]["start"] == min(objs)
    assert par.objective <= min(objs)
    assert rc["improved"] == (par.objective < min(objs))
    # the hand-over comes after a number of plans in solution-limited runs: reproducible
    assert [r.stops for r in runs[1].routes] == [r.stops for r in par.routes]
    assert runs[1].search["worker_objectives"] == objs
    assert "worker_errors" not in par.search


def test_parallel_workers_with_time_windows():
    rng = np.random.default_rng(11)
    n = 20
    cost = _euclid(rng.uniform(0, 1000, (n, 2)))
    opens = rng.uniform(0, 2000, n)
    windows = np.column_stack([opens, opens + 800])
    windows[0] = [0, 4000]
    demands = np.r_[0, rng.integers(1, 10, n - 1)]
    model = VehicleRouting.from_matrix(cost, demands, [25] * 3, time_windows=windows, service_times=60)
    res = model.solve(time_limit_s=1.5, workers=2)
    check_plan(model, res)
    objs = res.search["worker_objectives"]
    rc = res.search["recombination"]
    assert len(objs) == 2
    if rc["improved"]:          # the final recombination beat both searches (objective: with penalties)
        assert rc["final"]["objective"] < rc["final"]["start"]
    else:
        assert res.objective == objs[res.search["best_worker"]]


def test_parallel_workers_of_other_metaheuristics_start_differently():
    model = VehicleRouting.from_cvrplib(DATA / "A-n33-k5.vrp")
    res = model.solve(time_limit_s=30.0, metaheuristic="guided_local_search", solution_limit=60, workers=2)
    check_plan(model, res)
    starts = [w["first_solution"] for w in res.search["worker_settings"]]
    assert starts[0] == "savings" and starts[1] != "savings"
    assert res.objective == min(o for o in res.search["worker_objectives"] if o is not None)


# --- hand-made cases ------------------------------------------------------------------------

def _euclid(xy) -> np.ndarray:
    xy = np.asarray(xy, dtype=float)
    return np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))


def test_time_windows_force_order_and_waiting():
    # depot (0,0); B at (30,0) must be served by t=50; A at (0,40) not before t=100
    cost = _euclid([[0, 0], [0, 40], [30, 0]])
    windows = [[0, 1000], [100, 200], [0, 50]]
    model = VehicleRouting.from_matrix(cost, [0, 1, 1], [5], time_windows=windows, service_times=10)
    res = model.solve(**FAST)
    check_plan(model, res)
    (route,) = res.routes
    assert route.stops == (0, 2, 1, 0)
    assert route.arrivals == pytest.approx((0, 30, 100, 150))   # waits at A until it opens
    assert res.arrival == pytest.approx({2: 30, 1: 100})
    assert res.objective == pytest.approx(120)


def test_vrptw_random_plan_is_valid():
    rng = np.random.default_rng(7)
    n = 25
    cost = _euclid(rng.uniform(0, 1000, (n, 2)))
    opens = rng.uniform(0, 2000, n)
    windows = np.column_stack([opens, opens + 1500])
    windows[0] = [0, 6000]
    demands = np.r_[0, rng.integers(1, 10, n - 1)]
    model = VehicleRouting.from_matrix(cost, demands, [40] * 4, time_windows=windows, service_times=60,
                                       max_route_time=5000)
    res = model.solve(time_limit_s=2.0)
    check_plan(model, res)
    assert len(res.unserved) <= 3


def test_multi_depot_vehicles_return_to_their_own_depot():
    rng = np.random.default_rng(3)
    west = rng.uniform(0, 100, (6, 2))
    east = rng.uniform(0, 100, (6, 2)) + [5000, 0]
    xy = np.vstack([[50, 50], [5050, 50], west, east])     # depots 0 (west) and 1 (east)
    cost = _euclid(xy)
    demands = np.r_[0, 0, np.full(12, 2)]
    model = VehicleRouting.from_matrix(cost, demands, [20, 20, 20], depots=[0, 1, 1])
    res = model.solve(time_limit_s=1.0)
    check_plan(model, res)
    assert res.status is RoutingStatus.FEASIBLE
    for r in res.routes:
        side = set(range(2, 8)) if r.depot == 0 else set(range(8, 14))
        assert set(r.customers) <= side
    assert {r.depot for r in res.routes} == {0, 1}


def test_multi_commodity_capacities():
    rng = np.random.default_rng(5)
    cost = _euclid(rng.uniform(0, 100, (9, 2)))
    demands = np.array([[0, 0]] + [[3, 1], [1, 3]] * 4)      # water, food
    caps = [[6, 6], [6, 6], [6, 6], [6, 6]]
    model = VehicleRouting.from_matrix(cost, demands, caps)
    res = model.solve(**FAST)
    check_plan(model, res)
    assert res.status is RoutingStatus.FEASIBLE
    assert all(r.loads.shape == (len(r.stops), 2) for r in res.routes)


def test_unreachable_arcs_are_never_used():
    cost = _euclid([[0, 0], [10, 0], [20, 0], [10, 10]])
    cost[1, 2] = cost[2, 1] = np.inf          # road cut between 1 and 2
    model = VehicleRouting.from_matrix(cost, [0, 1, 1, 1], [10])
    res = model.solve(**FAST)
    check_plan(model, res)
    assert res.status is RoutingStatus.FEASIBLE and np.isfinite(res.objective)


def test_unreachable_stop_is_an_error_or_reported():
    cost = _euclid([[0, 0], [10, 0], [20, 0]])
    cost[:, 2] = np.inf
    cost[2, 2] = 0
    with pytest.raises(UnreachableError, match="1 stop.*: 2"):
        VehicleRouting.from_matrix(cost, [0, 1, 4], [10]).solve(**FAST)
    model = VehicleRouting.from_matrix(cost, [0, 1, 4], [10], unreachable="drop")
    res = model.solve(**FAST)
    check_plan(model, res)
    assert res.status is RoutingStatus.INFEASIBLE
    assert [(u.stop, u.demand, u.proven) for u in res.unserved] == [(2, 4.0, True)]
    assert res.unserved_demand == 4.0


def test_infeasible_demand_and_window_reported_as_unserved():
    cost = _euclid([[0, 0], [10, 0], [0, 10], [30, 40]])
    demands = [0, 3, 25, 2]                            # stop 2 is bigger than any vehicle
    windows = [[0, 1000], [0, 1000], [0, 1000], [0, 20]]   # stop 3 is 50 s away, due by 20 s
    model = VehicleRouting.from_matrix(cost, demands, [10, 12], time_windows=windows)
    res = model.solve(**FAST)
    check_plan(model, res)
    assert res.status is RoutingStatus.INFEASIBLE and not res.optimal
    got = {u.stop: u for u in res.unserved}
    assert set(got) == {2, 3}
    assert got[2].demand == 25 and "capacity" in got[2].reason and got[2].proven
    assert got[3].demand == 2 and "time window" in got[3].reason and got[3].proven
    assert res.unserved_demand == 27
    assert res.routes[0].customers == (1,)


def test_capacity_conflict_drops_the_smaller_demand():
    cost = _euclid([[0, 0], [10, 0], [0, 10]])
    model = VehicleRouting.from_matrix(cost, [0, 4, 7], [10])
    res = model.solve(**FAST)
    check_plan(model, res)
    assert [(u.stop, u.demand, u.proven) for u in res.unserved] == [(1, 4.0, False)]
    assert "dropped" in res.unserved[0].reason
    mandatory = VehicleRouting.from_matrix(cost, [0, 4, 7], [10], allow_drop=False)
    res = mandatory.solve(time_limit_s=0.5, metaheuristic="greedy_descent")
    assert res.status is RoutingStatus.NO_SOLUTION and res.objective is None and "mandatory" in res.message


def test_fractional_costs_and_demands():
    rng = np.random.default_rng(11)
    cost = _euclid(rng.uniform(0, 1, (10, 2))) * 3.7        # sub-unit costs
    demands = np.r_[0, rng.uniform(0.1, 0.9, 9)]
    model = VehicleRouting.from_matrix(cost, demands, [1.5] * 5)
    res = model.solve(**FAST)
    check_plan(model, res)
    assert res.status is RoutingStatus.FEASIBLE


def test_trivial_cases_are_optimal():
    cost = _euclid([[0, 0], [3, 4]])
    res = VehicleRouting.from_matrix(cost, [0, 1], [5]).solve(**FAST)
    assert res.optimal and res.status is RoutingStatus.OPTIMAL and res.objective == pytest.approx(10)
    res = VehicleRouting.from_matrix(np.zeros((1, 1)), [0], [5]).solve(**FAST)
    assert res.optimal and res.routes == [] and res.objective == 0


def test_routes_on_road_network_travel_times():
    from network.load import load_network
    from network.paths import travel_time_matrix

    net = load_network(Path(__file__).resolve().parent / "data" / "osm" / "West-Oakland.osm.bz2")
    nodes = np.arange(0, net.summary()["nodes"], 7)
    seconds = travel_time_matrix(net, nodes, nodes)
    model = VehicleRouting.from_matrix(seconds, np.r_[0, np.ones(len(nodes) - 1)], [5, 5, 5], service_times=60)
    res = model.solve(**FAST)
    check_plan(model, res)
    assert res.status is RoutingStatus.FEASIBLE


# --- bad inputs -----------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, match", [
    (dict(cost=[[0, np.nan], [1, 0]]), r"cost\[0, 1\] is NaN"),
    (dict(cost=[[0, -1], [1, 0]]), r"cost\[0, 1\] is negative"),
    (dict(cost=[[0, 1, 2], [1, 0, 1]]), "square"),
    (dict(demands=[0, -2]), r"demands\[1\]"),
    (dict(demands=[0, np.nan]), r"demands\[1\]"),
    (dict(demands=[3, 1]), "depot"),
    (dict(vehicle_capacities=[5, 5], depots=[0, 0, 0]), "vehicle count disagrees"),
    (dict(depots=7), "outside"),
    (dict(time_windows=[[0, 10], [20, 5]]), r"time_windows\[1\]: closes at 5"),
    (dict(time_windows=[[0, 10]]), "time_windows"),
    (dict(service_times=[0, -1]), r"service_times\[1\]"),
    (dict(unreachable="ignore"), "unreachable"),
])
def test_bad_inputs(kwargs, match):
    args = dict(cost=[[0, 1], [1, 0]], demands=[0, 1], vehicle_capacities=[5])
    args.update(kwargs)
    with pytest.raises(InputError, match=match):
        VehicleRouting.from_matrix(args.pop("cost"), **args)


def test_bad_solve_options():
    model = VehicleRouting.from_matrix([[0, 1], [1, 0]], [0, 1], [5])
    with pytest.raises(InputError, match="metaheuristic"):
        model.solve(metaheuristic="magic")
    with pytest.raises(InputError, match="time_limit_s"):
        model.solve(time_limit_s=0)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(InputError, match="workers"):
            model.solve(workers=bad)


def test_stop_too_big_for_some_vehicles_goes_to_one_that_can_carry_it():
    rng = np.random.default_rng(0)
    xy = rng.random((6, 2)) * 10
    D = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    demands = [0, 3, 8, 2, 4, 1]
    m = VehicleRouting.from_matrix(D, demands=demands, vehicle_capacities=[5, 20], depots=0)
    res = m.solve(time_limit_s=2)
    assert res.solved
    by_vehicle = {r.vehicle: r.customers for r in res.routes}
    assert 2 not in by_vehicle.get(0, ())                       # the 8-unit stop exceeds vehicle 0's 5
    assert sorted(c for r in res.routes for c in r.customers) == [1, 2, 3, 4, 5]
    for r in res.routes:
        assert sum(demands[c] for c in r.customers) <= [5, 20][r.vehicle]


# --- route pool and set-partitioning recombination ------------------------------------------

def _pool_route(cost: np.ndarray, stops, vclass: int = 0, depot: int = 0) -> PoolRoute:
    seq = [depot, *stops, depot]
    return PoolRoute(vclass, tuple(stops), int(sum(cost[a, b] for a, b in zip(seq[:-1], seq[1:]))))


def test_recombination_takes_the_good_route_of_each_plan():
    # Three tight pairs of stops on three sides of the depot; each plan pairs one side right
    # and crosses the other two, so each has one good route and the best plan takes all three.
    xy = [[0, 0], [100, 0], [100, 5], [-50, 87], [-55, 84], [-50, -87], [-55, -84]]
    cost = np.round(_euclid(xy)).astype(np.int64)
    a, b, c = (1, 2), (3, 4), (5, 6)
    plans = [[a, (3, 5), (4, 6)], [b, (1, 5), (2, 6)], [c, (1, 3), (2, 4)]]
    pool = RoutePool()
    for plan in plans:
        for r in plan:
            pool.add(_pool_route(cost, r))
    best_single = min(sum(_pool_route(cost, r).cost for r in plan) for plan in plans)
    rec = recombine(pool, range(1, 7), {0: 3}, time_limit_s=5.0)
    assert rec is not None and rec.optimal
    assert sorted(r.stops for r in rec.routes) == [a, b, c]
    assert rec.objective == sum(_pool_route(cost, r).cost for r in (a, b, c)) < best_single
    # the model agrees: the recombined plan is valid and costs what the pool says
    model = VehicleRouting.from_matrix(cost, [0] + [1] * 6, [2, 2, 2])
    servable = [int(s) for s in model.stops]
    allowed, reasons = presolve(model)
    res = from_recombination(model, rec, allowed, reasons, servable, False, time.perf_counter(), {})
    check_plan(model, res)
    assert res.objective == rec.objective and res.status is RoutingStatus.FEASIBLE


def test_recombination_respects_the_fleet_size():
    pool = RoutePool()
    for s in (1, 2, 3, 4):
        pool.add(PoolRoute(0, (s,), 10))            # 40 with four vehicles
    pool.add(PoolRoute(0, (1, 2), 22))
    pool.add(PoolRoute(0, (3, 4), 22))              # 44 with two
    pool.add(PoolRoute(0, (1, 2, 3, 4), 50))        # 50 with one
    got = {k: recombine(pool, [1, 2, 3, 4], {0: k}) for k in (4, 3, 2, 1)}
    assert [got[k].objective for k in (4, 3, 2, 1)] == [40, 42, 44, 50]
    assert all(len(got[k].routes) <= k for k in got)
    assert recombine(pool, [1, 2, 3, 4, 5], {0: 4}) is None          # stop 5 is in no route


def test_recombination_keeps_routes_on_their_own_vehicle_class():
    # class 0 (depot 0) has the cheap routes but one vehicle; class 1 (depot 1) must take the other
    pool = RoutePool()
    pool.add(PoolRoute(0, (2, 3), 5))
    pool.add(PoolRoute(0, (4, 5), 5))
    pool.add(PoolRoute(1, (2, 3), 20))
    pool.add(PoolRoute(1, (4, 5), 30))
    assert len(pool) == 4                            # same stops, other class: another column
    rec = recombine(pool, [2, 3, 4, 5], {0: 1, 1: 1})
    assert sorted((r.vclass, r.stops) for r in rec.routes) == [(0, (4, 5)), (1, (2, 3))]
    assert rec.objective == 25
    # classes from the vehicles: depot, capacities and tour limit
    caps = np.array([[10.0], [10.0], [10.0], [20.0]])
    assert vehicle_classes(np.array([0, 0, 1, 0]), caps, None).tolist() == [0, 0, 1, 2]
    assert vehicle_classes(np.array([0, 0, 0, 0]), caps, np.array([5.0, 6.0, 5.0, 5.0])).tolist() == [0, 1, 0, 2]


def test_recombination_with_droppable_stops_pays_their_penalty():
    pool = RoutePool()
    pool.add(PoolRoute(0, (1, 2), 10))
    pool.add(PoolRoute(0, (3,), 60))
    # serving 3 costs 60 but leaving it out 50: dropped; at a penalty of 70 it is served
    rec = recombine(pool, [1, 2, 3], {0: 2}, penalties={1: 1000, 2: 1000, 3: 50})
    assert [r.stops for r in rec.routes] == [(1, 2)] and rec.objective == 60
    rec = recombine(pool, [1, 2, 3], {0: 2}, penalties={1: 1000, 2: 1000, 3: 70})
    assert sorted(r.stops for r in rec.routes) == [(1, 2), (3,)] and rec.objective == 70


def test_pool_keeps_the_cheapest_sequence_per_stop_set():
    pool = RoutePool()
    pool.add(PoolRoute(0, (1, 2, 3), 30, plan_cost=500))
    pool.add(PoolRoute(0, (3, 2, 1), 25, plan_cost=520))
    pool.add(PoolRoute(0, (2, 1, 3), 40, plan_cost=480))
    (r,) = pool.routes.values()
    assert r.stops == (3, 2, 1) and r.cost == 25 and r.plan_cost == 480 and pool.offered == 3
    other = RoutePool()
    other.add(PoolRoute(0, (1, 3, 2), 20, plan_cost=490))
    other.add(PoolRoute(1, (1, 2, 3), 30))
    pool.merge(other)
    assert len(pool) == 2 and pool.routes[(0, frozenset((1, 2, 3)))].cost == 20


def test_recorder_pools_every_route_of_the_plans_found():
    model = VehicleRouting.from_cvrplib(DATA / "A-n33-k5.vrp")
    allowed, reasons = presolve(model)
    servable = [int(s) for s in model.stops]
    pool = RoutePool()
    search = dict(first_solution="savings", metaheuristic="ruin_recreate", solution_limit=200, ils="sisr_routes")
    res = search_once(model, allowed, reasons, servable, False, search, 30.0, False, time.perf_counter(), pool=pool)
    stats = res.search["pool_recorder"]
    assert stats["solutions"] >= 100 and 0 < stats["read"] <= stats["solutions"] and "error" not in stats
    dist = read_vrp(DATA / "A-n33-k5.vrp").distance_matrix()
    for r in pool.routes.values():           # every pooled route is feasible and costed right
        seq = [0, *r.stops, 0]
        assert r.cost == sum(dist[a, b] for a, b in zip(seq[:-1], seq[1:]))
        assert model.demands[list(r.stops)].sum() <= model.capacities[0, 0]
        assert r.plan_cost >= res.objective
    # the final plan's routes are in the pool
    for route in res.routes:
        assert (0, frozenset(route.customers)) in pool.routes


def test_restart_from_a_plan_rebuilds_it_first():
    model = VehicleRouting.from_cvrplib(DATA / "A-n32-k5.vrp")
    allowed, reasons = presolve(model)
    servable = [int(s) for s in model.stops]
    inst = read_vrp(DATA / "A-n32-k5.vrp")
    sol = read_sol(DATA / "A-n32-k5.sol", inst)
    start = [(v, tuple(r)) for v, r in enumerate(sol.routes)]
    search = dict(first_solution="savings", metaheuristic="greedy_descent", solution_limit=1, ils="sisr_routes")
    res = search_once(model, allowed, reasons, servable, False, search, 10.0, False, time.perf_counter(), start=start)
    check_plan(model, res)
    assert res.objective == 784                       # the optimum given as the start, as is
    assert sorted(r.customers for r in res.routes) == sorted(tuple(r) for r in sol.routes)


def test_recombining_search_on_the_general_model_stays_valid():
    # two depots, windows, two commodities, a tour limit, droppable stops: every plan valid
    rng = np.random.default_rng(21)
    n = 26
    xy = np.vstack([[250, 500], [750, 500], rng.uniform(0, 1000, (n - 2, 2))])
    cost = _euclid(xy)
    opens = rng.uniform(0, 1500, n)
    windows = np.column_stack([opens, opens + 900])
    windows[:2] = [0, 5000]
    demands = np.vstack([[0, 0], [0, 0], rng.integers(1, 6, (n - 2, 2))])
    caps = [[20, 15], [20, 15], [25, 20], [20, 15]]
    model = VehicleRouting.from_matrix(cost, demands, caps, depots=[0, 0, 1, 1], time_windows=windows,
                                       service_times=30, max_route_time=3500)
    assert model.vehicle_class.tolist() == [0, 0, 1, 2]
    for workers in (1, 2):
        res = model.solve(time_limit_s=2.0, workers=workers)
        check_plan(model, res)
        rc = res.search["recombination"]
        assert rc["final"]["start"] is not None and rc["final"]["objective"] <= rc["final"]["start"]
    res = model.solve(time_limit_s=2.0, workers=2, solution_limit=400)
    check_plan(model, res)
    assert res.search["recombination"]["restarts"][0]["objective"] is not None


def test_recombined_plan_with_windows_is_scheduled_by_ortools():
    # a plan taken apart into pool routes and put back: same routes, same cost, valid times
    # (departures found by OR-Tools' schedule, not assumed at the depot's opening)
    rng = np.random.default_rng(5)
    n = 18
    cost = _euclid(rng.uniform(0, 1000, (n, 2)))
    opens = rng.uniform(0, 3000, n)
    windows = np.column_stack([opens, opens + 600])
    windows[0] = [500, 8000]
    model = VehicleRouting.from_matrix(cost, np.r_[0, np.ones(n - 1)], [6] * 4, time_windows=windows,
                                       service_times=60, max_route_time=4000)
    res = model.solve(time_limit_s=1.0, recombine=False)
    check_plan(model, res)
    allowed, reasons = presolve(model)
    servable = [int(s) for s in model.stops if int(s) not in reasons]
    nodes, ci, _, _ = sp_inputs(model, servable)
    routes = pool_routes(model, res, nodes, ci)
    rec = Recombination(routes, sum(r.cost for r in routes), False, len(routes), 0.0)
    back = from_recombination(model, rec, allowed, reasons, servable, True, time.perf_counter(), {})
    check_plan(model, back)
    assert sorted(r.customers for r in back.routes) == sorted(r.customers for r in res.routes)
    assert back.objective == pytest.approx(res.objective)
    assert {u.stop for u in back.unserved} == {u.stop for u in res.unserved}
