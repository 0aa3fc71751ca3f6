"""Robust placement across scenarios: brute force on small instances, robustness properties, bad input."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from network import InputError
from optimize.location import PMedian
from optimize.result import SolveStatus
from optimize.robust import RobustPMedian


def _instance(seed: int, n: int = 11, m: int = 7, S: int = 3, holes: float = 0.15):
    rng = np.random.default_rng(seed)
    costs = [rng.integers(1, 80, (n, m)).astype(float) for _ in range(S)]
    costs[-1][rng.random((n, m)) < holes] = np.inf  # a damaged network: some pairs cut
    return costs, rng.integers(1, 9, n).astype(float), rng.random(S) + 0.1


def _brute(model: RobustPMedian, optima=None) -> float:
    m, p = model.n_sites, model.p
    fixed = set(model.fixed.tolist())
    return min(model.evaluate(X, optima) for X in itertools.combinations(range(m), p) if fixed <= set(X))


def _optima(model: RobustPMedian) -> np.ndarray:
    return np.array([PMedian.from_cost_matrix(c, model.weights, p=model.p, fixed=model.fixed).solve().objective
                     for c in model.costs])


@pytest.mark.parametrize("objective", ["expected", "worst", "regret", "center"])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("how", ["mip+warm", "mip", "auto"])
def test_matches_brute_force(objective, seed, how):
    costs, w, pi = _instance(seed)
    fixed = [2] if seed == 1 else None
    model = RobustPMedian.from_cost_matrices(costs, w, p=3, probabilities=pi, fixed=fixed, objective=objective,
                                             unreachable_penalty=150.0)
    res = model.solve(time_limit_s=20, warm_start=how != "mip", method="auto" if how == "auto" else "mip")
    if objective in ("worst", "regret"):
        assert ("enumeration" in res.solver) == (how == "auto")
    assert res.status is SolveStatus.OPTIMAL and res.gap == 0.0
    optima = _optima(model) if objective == "regret" else None
    assert res.objective == pytest.approx(_brute(model, optima), rel=1e-9)
    assert len(res.sites) == 3 and (fixed is None or 2 in res.sites)
    A = res.stats["assignments"]
    assert A.shape == (3, 11) and np.array_equal(res.assignment, A[0])
    assert set(np.unique(A)) <= set(res.sites.tolist())
    c = res.stats["scenario_costs"]
    assert res.stats["worst_cost"] == pytest.approx(c.max())
    assert res.stats["expected_cost"] == pytest.approx(np.dot(pi / pi.sum(), c))


def test_robust_beats_single_scenario_plans_on_their_own_terms():
    costs, w, pi = _instance(7, n=14, m=8)
    worst = RobustPMedian.from_cost_matrices(costs, w, p=2, objective="worst", unreachable_penalty=150.0)
    regret = RobustPMedian.from_cost_matrices(costs, w, p=2, objective="regret", unreachable_penalty=150.0)
    rw, rr = worst.solve(time_limit_s=20), regret.solve(time_limit_s=20)
    optima = rr.stats["scenario_optima"]
    assert np.allclose(optima, _optima(regret))
    for s, c in enumerate(worst.costs):
        single = PMedian.from_cost_matrix(c, w, p=2).solve()
        # the plan best for one scenario is no better in the worst case, nor in max regret
        assert rw.objective <= worst.evaluate(single.sites) + 1e-9
        assert rr.objective <= regret.evaluate(single.sites, optima) + 1e-9
        assert worst.scenario_costs(single.sites)[s] == pytest.approx(single.objective)
    assert rr.objective >= -1e-9 and np.all(rr.stats["regrets"] >= -1e-9)
    expected = RobustPMedian.from_cost_matrices(costs, w, p=2, probabilities=pi, unreachable_penalty=150.0).solve()
    assert expected.objective <= worst.scenario_costs(rw.sites) @ (pi / pi.sum()) + 1e-9
    assert expected.stats["worst_cost"] >= rw.objective - 1e-9


def test_one_scenario_is_the_plain_p_median():
    costs, w, _ = _instance(3, S=1, holes=0.0)
    for objective in ("expected", "worst"):
        res = RobustPMedian.from_cost_matrices(costs, w, p=3, objective=objective).solve()
        assert res.objective == pytest.approx(PMedian.from_cost_matrix(costs[0], w, p=3).solve().objective)
    regret = RobustPMedian.from_cost_matrices(costs, w, p=3, objective="regret").solve()
    assert regret.objective == pytest.approx(0.0, abs=1e-9)


def test_unreachable_pairs_are_forbidden_or_priced():
    costs, w, _ = _instance(4, S=2, holes=0.0)
    costs[1][5, :] = np.inf
    with pytest.raises(InputError, match=r"scenario 'flood': 1 demand\(s\) cannot reach any candidate site.*demand 5"):
        RobustPMedian.from_cost_matrices(costs, w, p=2, scenario_labels=["dry", "flood"])
    model = RobustPMedian.from_cost_matrices(costs, w, p=2, objective="worst", unreachable_penalty=500.0)
    res = model.solve(time_limit_s=10)
    assert res.status is SolveStatus.OPTIMAL
    assert res.stats["scenario_costs"][1] >= 500.0 * w[5]
    # forbidden pairs: a demand reachable from one site only forces that site open
    costs2, w2, _ = _instance(5, S=2, holes=0.0)
    costs2[1][3, :] = np.inf
    costs2[1][3, 6] = 10.0
    for objective in ("worst", "regret", "expected"):
        res = RobustPMedian.from_cost_matrices(costs2, w2, p=2, objective=objective).solve(time_limit_s=10)
        assert 6 in res.sites and np.isfinite(res.objective)


def test_bad_input_is_named():
    costs, w, _ = _instance(0, S=2)
    with pytest.raises(InputError, match="larger than the number of candidate sites"):
        RobustPMedian.from_cost_matrices(costs, w, p=99)
    with pytest.raises(InputError, match="differs from costs"):
        RobustPMedian.from_cost_matrices([costs[0], costs[1][:, :3]], w, p=2)
    bad = costs[0].copy()
    bad[0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        RobustPMedian.from_cost_matrices([bad], w, p=2)
    with pytest.raises(InputError, match="objective"):
        RobustPMedian.from_cost_matrices(costs, w, p=2, objective="average")
    with pytest.raises(InputError, match="probabilities"):
        RobustPMedian.from_cost_matrices(costs, w, p=2, probabilities=[0, 0])
    with pytest.raises(InputError, match="unreachable_penalty"):
        RobustPMedian.from_cost_matrices(costs, w, p=2, unreachable_penalty=-1)
    with pytest.raises(InputError, match="at least one scenario"):
        RobustPMedian.from_cost_matrices([], w, p=2)
    with pytest.raises(InputError, match="time_limit_s"):
        RobustPMedian.from_cost_matrices(costs, w, p=2, unreachable_penalty=90).solve(time_limit_s=0)


def test_center_leaves_out_demands_nothing_reaches():
    costs, w, _ = _instance(6, S=2, holes=0.0)
    costs[1][4, :] = np.inf  # cut off in scenario 1 whatever opens
    model = RobustPMedian.from_cost_matrices(costs, w, p=2, objective="center", unreachable_penalty=10_000.0)
    res = model.solve(time_limit_s=10)
    assert res.status is SolveStatus.OPTIMAL and res.objective < 10_000.0
    assert res.objective == pytest.approx(_brute(model))
    reachable = [np.delete(c, 4, axis=0) if s == 1 else c for s, c in enumerate(costs)]
    w_cut = [np.delete(w, 4) if s == 1 else w for s in range(2)]
    best = min(max(np.max(wc * c[:, list(X)].min(axis=1)) for c, wc in zip(reachable, w_cut))
               for X in itertools.combinations(range(7), 2))
    assert res.objective == pytest.approx(best)
