"""Location models against brute-force enumeration on tiny instances; heuristics against their
numpy references; warm starts, time limits, solver choice and bad input."""
from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from network.errors import InputError
from optimize import heuristics as H
from optimize.location import (CapacitatedFacilityLocation, CapacitatedPMedian, LocationSetCovering,
                               MaximalCovering, PCenter, PMedian)
from optimize.orlib import read_pmed
from optimize.result import LocationResult, SolveStatus, relative_gap
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "orlib"


def rand_cost(seed: int, n: int, m: int, hi: int = 30, inf_share: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.integers(0, hi, size=(n, m)).astype(float)
    if inf_share:
        c[rng.random((n, m)) < inf_share] = np.inf
        c[np.arange(n), rng.integers(0, m, n)] = rng.integers(0, hi, n)  # every demand reaches one site
    return c


def subsets(m: int, p: int, fixed=()):
    fixed = set(fixed)
    for s in itertools.combinations(range(m), p):
        if fixed <= set(s):
            yield np.array(s, dtype=np.int64)


# ---------------------------------------------------------------------------- p-median
def weighted(c, w):
    with np.errstate(invalid="ignore"):
        return np.where(w[:, None] == 0, 0.0, w[:, None] * c)  # a zero weight ignores the demand


def brute_pmedian(c, w, p, fixed=()):
    W = weighted(c, w)
    return min(W[:, s].min(axis=1).sum() for s in subsets(c.shape[1], p, fixed))


@pytest.mark.parametrize("seed", range(8))
def test_pmedian_matches_brute_force(seed):
    rng = np.random.default_rng(100 + seed)
    n, m = int(rng.integers(4, 12)), int(rng.integers(3, 8))
    p = int(rng.integers(1, m + 1))
    c = rand_cost(seed, n, m, inf_share=0.2 if seed % 2 else 0.0)
    w = rng.integers(0, 5, n).astype(float) if seed % 3 else None
    fixed = [int(rng.integers(0, m))] if seed % 4 == 1 and p > 1 else None
    wv = np.ones(n) if w is None else w
    best = brute_pmedian(c, wv, p, fixed or ())
    for kw in ({}, {"warm_start": False}, {"reduce": False}):
        res = PMedian.from_cost_matrix(c, w, p=p, fixed=fixed).solve(time_limit_s=30, **kw)
        if not math.isfinite(best):
            assert res.status is SolveStatus.INFEASIBLE
            continue
        assert res.status is SolveStatus.OPTIMAL, (res, kw)
        assert res.objective == pytest.approx(best)
        assert len(res.sites) == p and res.gap == 0.0
        if fixed:
            assert set(fixed) <= set(res.sites.tolist())
        # every demand goes to an allowed, open, cheapest site
        a = res.assignment
        assert set(a.tolist()) <= set(res.sites.tolist())
        assert np.isfinite(c[np.arange(n), a]).all()
        assert np.allclose(c[np.arange(n), a], c[:, res.sites].min(axis=1))


def test_pmedian_weighted_objective_and_labels():
    c = np.array([[0, 10], [10, 0], [1, 9]], float)
    res = PMedian.from_cost_matrix(c, [1, 5, 1], p=1, demand_labels=["a", "b", "c"]).solve()
    assert res.sites.tolist() == [1] and res.objective == 10 + 0 + 9


def test_pmedian_unservable_with_p_sites_is_infeasible():
    inf = np.inf
    c = np.array([[0, inf], [inf, 0]])  # two separate components, one site
    res = PMedian.from_cost_matrix(c, p=1).solve()
    assert res.status is SolveStatus.INFEASIBLE and res.objective is None and "+inf" in res.message


@pytest.mark.parametrize("solver", ["highs", "scip", "cp-sat"])
def test_pmedian_solvers_agree(solver):
    c = rand_cost(7, 25, 12)
    best = brute_pmedian(c, np.ones(25), 3)
    for reduce in (True, False):
        res = PMedian.from_cost_matrix(c, p=3).solve(solver=solver, reduce=reduce, time_limit_s=60)
        assert res.optimal and res.objective == best


def test_pmedian_trivial_cases():
    c = rand_cost(3, 6, 3)
    r = PMedian.from_cost_matrix(c, p=3).solve()
    assert r.optimal and r.sites.tolist() == [0, 1, 2]
    r = PMedian.from_cost_matrix(c, p=2, fixed=[2, 0]).solve()
    assert r.optimal and r.sites.tolist() == [0, 2]
    r = PMedian.from_cost_matrix(c, np.zeros(6), p=1).solve()
    assert r.optimal and r.objective == 0


def test_pmedian_time_limit_returns_plan_with_gap():
    inst = read_pmed(DATA / "pmed" / "pmed2.txt")
    res = PMedian.from_cost_matrix(inst.distances(), p=inst.p).solve(time_limit_s=1e-4)
    assert res.status is SolveStatus.FEASIBLE
    assert res.objective >= 4093 and res.best_bound < res.objective and res.gap > 0
    assert len(res.sites) == inst.p and "time limit" in res.message


def test_pmedian_radius_formulation_on_pmed1_without_reductions():
    inst = read_pmed(DATA / "pmed" / "pmed1.txt")
    res = PMedian.from_cost_matrix(inst.distances(), p=inst.p).solve(reduce=False, time_limit_s=60)
    assert res.optimal and res.objective == 5819 and "radius" in res.solver


# ---------------------------------------------------------------------------- p-center
def brute_pcenter(c, w, p, fixed=()):
    W = weighted(c, w)
    return min(W[:, s].min(axis=1).max() for s in subsets(c.shape[1], p, fixed))


@pytest.mark.parametrize("seed", range(8))
def test_pcenter_matches_brute_force(seed):
    rng = np.random.default_rng(200 + seed)
    n, m = int(rng.integers(4, 12)), int(rng.integers(3, 8))
    p = int(rng.integers(1, m + 1))
    c = rand_cost(seed, n, m, inf_share=0.2 if seed % 2 else 0.0)
    w = rng.integers(1, 4, n).astype(float) if seed % 3 == 0 else np.ones(n)
    fixed = [int(rng.integers(0, m))] if seed % 4 == 1 and p > 1 else None
    best = brute_pcenter(c, w, p, fixed or ())
    for ws in (True, False):
        res = PCenter.from_cost_matrix(c, w, p=p, fixed=fixed).solve(warm_start=ws, time_limit_s=30)
        if not math.isfinite(best):
            assert res.status is SolveStatus.INFEASIBLE
            continue
        assert res.optimal and res.objective == best and len(res.sites) == p
        if fixed:
            assert set(fixed) <= set(res.sites.tolist())


def test_pcenter_time_limit():
    inst = read_pmed(DATA / "pmed" / "pmed1.txt")
    res = PCenter.from_cost_matrix(inst.distances(), p=inst.p).solve(time_limit_s=1e-4)
    assert res.status is SolveStatus.FEASIBLE and res.gap > 0 and res.objective >= 127


# ---------------------------------------------------------------------------- covering
def brute_mclp(c, w, r, p, fixed=()):
    B = c <= r
    return max(w[B[:, s].any(axis=1)].sum() for s in subsets(c.shape[1], p, fixed))


@pytest.mark.parametrize("seed", range(6))
def test_maximal_covering_matches_brute_force(seed):
    rng = np.random.default_rng(300 + seed)
    n, m = int(rng.integers(5, 14)), int(rng.integers(3, 8))
    p = int(rng.integers(1, m + 1))
    c = rand_cost(seed, n, m, inf_share=0.2 if seed % 2 else 0.0)
    w = rng.integers(0, 9, n).astype(float)
    fixed = [0] if seed % 3 == 1 and p > 1 else None
    r = float(rng.integers(5, 15))
    best = brute_mclp(c, w, r, p, fixed or ())
    res = MaximalCovering.from_cost_matrix(c, w, service_radius=r, p=p, fixed=fixed).solve()
    assert res.optimal and res.objective == pytest.approx(best) and len(res.sites) == p
    cov = np.asarray(res.stats["covered"])
    assert w[cov].sum() == pytest.approx(best)


def brute_lscp(c, r, fixed=()):
    B = c <= r
    m = c.shape[1]
    for k in range(len(fixed), m + 1):
        for s in subsets(m, k, fixed):
            if B[:, s].any(axis=1).all():
                return k
    return None


@pytest.mark.parametrize("seed", range(6))
def test_set_covering_matches_brute_force(seed):
    rng = np.random.default_rng(400 + seed)
    n, m = int(rng.integers(5, 14)), int(rng.integers(3, 9))
    c = rand_cost(seed, n, m)
    r = float(np.sort(c, axis=1)[:, 0].max() + rng.integers(0, 8))  # every demand coverable
    fixed = [1] if seed % 2 else None
    best = brute_lscp(c, r, fixed or ())
    res = LocationSetCovering.from_cost_matrix(c, service_radius=r, fixed=fixed).solve()
    assert res.optimal and res.objective == best
    assert (c[:, res.sites] <= r).any(axis=1).all()


def test_set_covering_infeasible_names_demands():
    c = np.array([[1, 2], [50, 60], [3, 1]], float)
    res = LocationSetCovering.from_cost_matrix(c, service_radius=10, demand_labels=["x", "far", "z"]).solve()
    assert res.status is SolveStatus.INFEASIBLE and "far" in res.message and "nearest site 50" in res.message
    # a zero weight means "need not be covered"
    res = LocationSetCovering.from_cost_matrix(c, [1, 0, 1], service_radius=10).solve()
    assert res.optimal and res.objective == 1


# ---------------------------------------------------------------------------- capacitated
def brute_cpmp(c, d, q, p, w=None):
    n, m = c.shape
    w = np.ones(n) if w is None else w
    best = np.inf
    for s in subsets(m, p):
        for a in itertools.product(s, repeat=n):
            a = np.array(a)
            load = np.bincount(a, weights=d, minlength=m)
            if (load <= q + 1e-9).all() and np.isfinite(c[np.arange(n), a]).all():
                best = min(best, float((w * c[np.arange(n), a]).sum()))
    return best


@pytest.mark.parametrize("seed", range(5))
def test_capacitated_pmedian_matches_brute_force(seed):
    rng = np.random.default_rng(500 + seed)
    n, m, p = 6, 4, 2
    c = rand_cost(seed, n, m, inf_share=0.15 if seed % 2 else 0.0)
    d = rng.integers(1, 6, n).astype(float)
    q = np.full(m, float(max(d.sum() / p + 2, d.max())))
    best = brute_cpmp(c, d, q, p)
    res = CapacitatedPMedian.from_cost_matrix(c, demand=d, capacity=q, p=p).solve()
    if not math.isfinite(best):
        assert res.status is SolveStatus.INFEASIBLE and res.message
        return
    assert res.optimal and res.objective == pytest.approx(best)
    load = np.bincount(res.assignment, weights=d, minlength=m)
    assert (load <= q + 1e-9).all() and set(res.assignment.tolist()) <= set(res.sites.tolist())
    cold = CapacitatedPMedian.from_cost_matrix(c, demand=d, capacity=q, p=p).solve(warm_start=False)
    assert cold.optimal and cold.objective == pytest.approx(best)


def test_capacitated_infeasible_messages():
    c = np.zeros((3, 2))
    d = np.array([6.0, 6.0, 6.0])
    # total demand above total capacity
    r = CapacitatedPMedian.from_cost_matrix(c, demand=d, capacity=8, p=2).solve()
    assert r.status is SolveStatus.INFEASIBLE and "total demand 18" in r.message and "2 cannot be served" in r.message
    # one demand larger than every site
    r = CapacitatedPMedian.from_cost_matrix(c, demand=[20, 1, 1], capacity=10, p=2,
                                            demand_labels=["big", "a", "b"]).solve()
    assert r.status is SolveStatus.INFEASIBLE and "big needs 20" in r.message
    # totals fit (18 <= 20) but single sourcing cannot pack 3 x 6 into 2 x 10
    r = CapacitatedPMedian.from_cost_matrix(c, demand=d, capacity=10, p=2).solve()
    assert r.status is SolveStatus.INFEASIBLE and "6 of 18" in r.message


def brute_cflp(c, d, q, f, single):
    n, m = c.shape
    best = np.inf
    for k in range(1, m + 1):
        for s in itertools.combinations(range(m), k):
            s = list(s)
            if single:
                for a in itertools.product(s, repeat=n):
                    load = np.bincount(np.array(a), weights=d, minlength=m)
                    if (load <= q + 1e-9).all():
                        best = min(best, f[s].sum() + c[np.arange(n), list(a)].sum())
    return best


@pytest.mark.parametrize("seed", range(3))
def test_cflp_single_sourcing_matches_brute_force(seed):
    rng = np.random.default_rng(600 + seed)
    n, m = 6, 3
    c = rand_cost(seed, n, m, hi=20)
    d = rng.integers(1, 5, n).astype(float)
    q = rng.integers(6, 12, m).astype(float)
    f = rng.integers(5, 30, m).astype(float)
    best = brute_cflp(c, d, q, f, True)
    res = CapacitatedFacilityLocation.from_cost_matrix(c, demand=d, capacity=q, opening_cost=f,
                                                       single_sourcing=True).solve()
    assert res.optimal and res.objective == pytest.approx(best)


def test_cflp_split_is_no_worse_than_single_and_respects_capacity():
    rng = np.random.default_rng(9)
    c = rand_cost(9, 8, 4, hi=20)
    d = rng.integers(1, 6, 8).astype(float)
    q = np.full(4, 9.0)
    f = np.array([10.0, 12, 8, 15])
    split = CapacitatedFacilityLocation.from_cost_matrix(c, demand=d, capacity=q, opening_cost=f).solve()
    single = CapacitatedFacilityLocation.from_cost_matrix(c, demand=d, capacity=q, opening_cost=f,
                                                          single_sourcing=True).solve()
    assert split.optimal and single.optimal and split.objective <= single.objective + 1e-9
    loads = np.zeros(4)
    for (i, j), share in split.stats["shares"].items():
        loads[j] += share * d[i]
    assert (loads <= q + 1e-6).all()
    short = CapacitatedFacilityLocation.from_cost_matrix(c, demand=d, capacity=q, opening_cost=f, p=3).solve()
    assert short.status is SolveStatus.INFEASIBLE and "total demand 28" in short.message  # 3 x 9 < 28
    fixed = CapacitatedFacilityLocation.from_cost_matrix(c, demand=d, capacity=q + 1, opening_cost=f, p=3,
                                                         fixed=[3]).solve()
    assert fixed.optimal and len(fixed.sites) == 3 and 3 in fixed.sites


# ---------------------------------------------------------------------------- heuristics vs numpy
@pytest.mark.parametrize("seed", range(12))
def test_heuristic_kernels_match_numpy_reference(seed):
    rng = np.random.default_rng(700 + seed)
    n, m = int(rng.integers(5, 40)), int(rng.integers(3, 30))
    p = int(rng.integers(1, min(m, 6) + 1))
    W = rand_cost(seed, n, m, hi=25, inf_share=0.1 if seed % 3 == 0 else 0.0)
    fixed = list(rng.choice(m, size=int(rng.integers(0, p)), replace=False)) if p > 1 else []
    g = H.greedy_pmedian(W, p, fixed)
    assert np.array_equal(g, H.greedy_reference(W, p, fixed))
    s, cost = H.interchange(W, g, fixed)
    s_ref, cost_ref = H.interchange_reference(W, g, fixed)
    assert np.array_equal(s, s_ref) and cost == cost_ref
    assert cost <= H.assignment_costs(H.penalised(W), g).sum()
    st = H.greedy_pcenter(W, p, fixed)
    a, ra = H.interchange_pcenter(W, st, fixed)
    b, rb = H.interchange_pcenter_reference(W, st, fixed)
    assert np.array_equal(a, b) and ra == rb
    Wf = np.where(np.isfinite(W), W, 1e3)
    lam0 = H.initial_multipliers(Wf)
    lb = H.lagrangian_pmedian(Wf, p, cost, lam0=lam0, max_iter=150)
    ref, _ = H.lagrangian_reference(Wf, p, cost, lam0, max_iter=150)
    assert lb.bound == pytest.approx(ref, abs=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_lagrangian_bound_is_a_lower_bound(seed):
    c = rand_cost(seed, 10, 6)
    for p in (1, 2, 3):
        best = brute_pmedian(c, np.ones(10), p)
        ub = H.pmedian_heuristic(c, p)[1]
        lb = H.lagrangian_pmedian(c, p, ub)
        assert lb.bound <= best + 1e-6 and ub >= best


# ---------------------------------------------------------------------------- results and bad input
def test_result_to_dict_is_json():
    res = PMedian.from_cost_matrix(rand_cost(1, 6, 4), p=2).solve()
    d = res.to_dict()
    json.dumps(d)
    assert d["status"] == "optimal" and d["optimal"] is True and d["gap"] == 0.0
    assert isinstance(res, LocationResult) and "p-median" in repr(res)
    assert relative_gap(10.0, 9.0) == pytest.approx(0.1) and relative_gap(None, 1.0) is None


@pytest.mark.parametrize("build, match", [
    (lambda: PMedian.from_cost_matrix([[1, np.nan]], p=1), "NaN at demand 0, site 1"),
    (lambda: PMedian.from_cost_matrix([[1, -2]], p=1), "negative value -2"),
    (lambda: PMedian.from_cost_matrix(np.zeros((0, 3)), p=1), "empty matrix"),
    (lambda: PMedian.from_cost_matrix([1, 2, 3], p=1), "2-D matrix"),
    (lambda: PMedian.from_cost_matrix([["a"]], p=1), "not a numeric matrix"),
    (lambda: PMedian.from_cost_matrix([[1, 2]], p=3), "p=3 is larger than the number of candidate sites"),
    (lambda: PMedian.from_cost_matrix([[1, 2]], p=0), "at least 1"),
    (lambda: PMedian.from_cost_matrix([[1, 2]], p=1.5), "positive integer"),
    (lambda: PMedian.from_cost_matrix([[1, 2]], p=1, fixed=[5]), "site index 5 outside"),
    (lambda: PMedian.from_cost_matrix([[1, 2]], p=1, fixed=[0, 1]), "2 sites must open but p=1"),
    (lambda: PMedian.from_cost_matrix([[1, 2]], [1, 2], p=1), "expected 1 values"),
    (lambda: PMedian.from_cost_matrix([[1, 2]], [-1], p=1), "negative value"),
    (lambda: PMedian.from_cost_matrix([[1, 2]], [np.inf], p=1), "not a finite number"),
    (lambda: PMedian.from_cost_matrix([[1, 2], [np.inf, np.inf]], p=1, demand_labels=["a", "Lüyang"]),
     "cannot reach any candidate site.*Lüyang"),
    (lambda: PCenter.from_cost_matrix([[np.inf]], p=1), "demand 0"),
    (lambda: MaximalCovering.from_cost_matrix([[1]], service_radius=-1, p=1), "service_radius"),
    (lambda: MaximalCovering.from_cost_matrix([[1]], service_radius=np.nan, p=1), "service_radius"),
    (lambda: CapacitatedPMedian.from_cost_matrix([[1]], demand=[1], capacity=[1, 2], p=1), "capacity: expected 1"),
    (lambda: CapacitatedPMedian.from_cost_matrix([[1]], demand=None, capacity=1, p=1), "demand: required"),
    (lambda: CapacitatedFacilityLocation.from_cost_matrix([[1]], demand=[1], capacity=1, opening_cost=[-1]),
     "opening_cost: negative"),
])
def test_bad_input_raises_input_error(build, match):
    with pytest.raises(InputError, match=match):
        build()


def test_bad_solve_arguments():
    m = PMedian.from_cost_matrix([[1, 2]], p=1)
    with pytest.raises(InputError, match="time_limit_s"):
        m.solve(time_limit_s=0)
    with pytest.raises(InputError, match="unknown 'gurobi'"):
        m.solve(solver="gurobi")


def test_maximal_covering_uncoverable_and_padding():
    c = np.array([[1, np.inf, 9], [np.inf, np.inf, np.inf], [2, 3, 1]], float)
    res = MaximalCovering.from_cost_matrix(c, [5, 7, 1], service_radius=2, p=3).solve()
    assert res.optimal and res.objective == 6 and len(res.sites) == 3
    assert res.stats["uncovered_demands"] == 1 and res.assignment[1] == -1


def test_network_cost_matrix_directions():
    from network.model import RoadNetwork
    from optimize.location import network_cost_matrix

    # a one-way chain 0 -> 1 -> 2 (100 m each at 36 km/h = 10 s) plus 2 -> 0 (1000 m)
    u, v = np.array([0, 1, 2]), np.array([1, 2, 0])
    net = RoadNetwork.from_edges(x=np.array([0.0, 100, 200]), y=np.zeros(3), lon=np.array([117.2, 117.201, 117.202]),
                                 lat=np.full(3, 29.3), u=u, v=v, length=np.array([100.0, 100, 1000]),
                                 speed_kmh=np.full(3, 36.0), road_class=np.full(3, 5), crs="EPSG:32650",
                                 spatial_order=False)
    to_site = network_cost_matrix(net, [0, 1], [2])          # demand -> site
    from_site = network_cost_matrix(net, [0, 1], [2], direction="from_sites")
    assert to_site.shape == (2, 1) and to_site[0, 0] == pytest.approx(20) and to_site[1, 0] == pytest.approx(10)
    assert from_site[0, 0] == pytest.approx(100) and from_site[1, 0] == pytest.approx(110)
    res = PMedian.from_cost_matrix(network_cost_matrix(net, [0, 1, 2], [0, 2]), p=1).solve()
    assert res.optimal and res.sites.tolist() == [1]  # site index 1 = node 2
    with pytest.raises(InputError, match="direction"):
        network_cost_matrix(net, [0], [1], direction="sideways")


def test_pmedian_with_unreachable_sites_filling_p():
    inf = np.inf
    c = np.array([[1, 5, inf, inf], [4, 1, inf, inf], [2, 2, inf, inf]])  # sites 2, 3 serve no one
    res = PMedian.from_cost_matrix(c, p=3).solve()
    assert res.optimal and res.objective == 1 + 1 + 2 and {0, 1} <= set(res.sites.tolist())


@pytest.mark.parametrize("seed", range(4))
def test_cpmp_knapsack_kernels_match_reference_and_bound(seed):
    rng = np.random.default_rng(800 + seed)
    n, m, p = 7, 4, 2
    c = rand_cost(seed, n, m, hi=20, inf_share=0.1 if seed % 2 else 0.0)
    d = rng.integers(0, 6, n)
    q = np.full(m, int(max(d.sum() // p + 3, d.max())))
    allowed = np.isfinite(c) & (d[:, None] <= q[None, :])
    lam = H.initial_multipliers(np.where(allowed, c, np.inf)) + rng.random(n) * 5
    v, delta = H.cpmp_site_values(c, d, q, allowed, lam)
    v_ref, delta_ref = H.cpmp_site_values_reference(np.where(allowed, c, 1e300), d, q, allowed, lam)
    assert np.allclose(v, v_ref)
    assert np.array_equal(np.isinf(delta), np.isinf(delta_ref)) and np.allclose(delta[np.isfinite(delta)],
                                                                                 delta_ref[np.isfinite(delta_ref)])
    best = brute_cpmp(c, d.astype(float), q.astype(float), p)
    L, _, _ = H.lagrangian_cpmp(c, d, q, p, 1e4, forced=np.zeros(m, bool), closed=np.zeros(m, bool),
                                allowed=allowed, lam0=H.initial_multipliers(np.where(allowed, c, np.inf)))
    assert L <= best + 1e-6


def test_capacitated_time_limit_keeps_a_plan():
    rng = np.random.default_rng(5)
    c = rand_cost(5, 60, 30, hi=100)
    d = rng.integers(1, 10, 60).astype(float)
    res = CapacitatedPMedian.from_cost_matrix(c, demand=d, capacity=60, p=6).solve(time_limit_s=0.05)
    assert res.status is SolveStatus.FEASIBLE and res.gap > 0 and res.best_bound <= res.objective
    load = np.bincount(res.assignment, weights=d, minlength=30)
    assert (load <= 60 + 1e-9).all() and len(res.sites) == 6
