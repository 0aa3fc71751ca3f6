"""Uncertain inputs: validation messages, exact bounds, distribution shapes, reproducible seeds."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from network.errors import InputError
from scenarios.batch.uncertainty import check_paths, parse_uncertain, run_seeds, sample


def draws(table: dict, n: int, seed: int = 1) -> list:
    dists = parse_uncertain({"x": table})
    rng = np.random.default_rng(seed)
    return [sample(dists, rng)["x"] for _ in range(n)]


@pytest.mark.parametrize("table, field, reason", [
    ({"dist": "normal", "mean": 1, "sd": -1}, 'uncertain."x".sd', "greater than 0"),
    ({"dist": "nrm"}, 'uncertain."x".dist', "expected one of"),
    ({"dist": "uniform", "low": 2, "high": 1}, 'uncertain."x"', "low must be below high"),
    ({"dist": "uniform", "low": 1, "high": 2, "hgih": 3}, 'uncertain."x".hgih', "Extra inputs"),
    ({"dist": "choice", "values": [1, 2], "weights": [1]}, 'uncertain."x"', "1 given for 2 values"),
    ({"dist": "triangular", "low": 0, "mode": 5, "high": 4}, 'uncertain."x"', "low <= mode <= high"),
    ({"dist": "return_period", "min_years": 50, "max_years": 20}, 'uncertain."x"', "max_years must exceed"),
    ({"dist": "bernoulli", "p": 1.5}, 'uncertain."x".p', "less than or equal to 1"),
    ({"dist": "lognormal", "median": 2}, 'uncertain."x".sigma', "required"),
    ({"dist": "normal", "mean": 0, "sd": 1, "low": 50, "high": 60}, 'uncertain."x"', "hold no probability"),
    ("3.0", 'uncertain."x"', "expected a table"),
])
def test_bad_tables_name_file_field_and_reason(table, field, reason):
    with pytest.raises(InputError) as exc:
        parse_uncertain({"x": table}, source="my.toml")
    msg = str(exc.value)
    assert msg.startswith(f"my.toml: {field}") and reason in msg, msg


def test_bounds_are_exact_and_integers_are_integers():
    for table in ({"dist": "normal", "mean": 5, "sd": 3, "low": 4, "high": 6},
                  {"dist": "lognormal", "median": 2, "sigma": 1, "low": 1, "high": 3},
                  {"dist": "gumbel", "loc": 33, "scale": 1.5, "low": 32, "high": 36},
                  {"dist": "triangular", "low": 1, "mode": 2, "high": 9}):
        lo, hi = table.get("low"), table.get("high")
        xs = draws(table, 400)
        assert min(xs) >= lo and max(xs) <= hi
        ints = draws({**table, "integer": True}, 50)
        assert all(isinstance(v, int) for v in ints)
    u = draws({"dist": "uniform", "low": 1, "high": 3, "integer": True}, 600)
    assert set(u) == {1, 2, 3}  # both ends inclusive


def test_truncated_normal_matches_scipy():
    xs = np.array(draws({"dist": "normal", "mean": 0, "sd": 1, "low": -0.5, "high": 2.0}, 4000))
    ref = stats.truncnorm(-0.5, 2.0)
    assert stats.kstest(xs, ref.cdf).pvalue > 0.01
    assert abs(xs.mean() - ref.mean()) < 0.03


def test_return_period_follows_annual_maximum_law():
    # P(T > t | T >= 20) = 20 / t, capped at 200 years
    xs = np.array(draws({"dist": "return_period", "min_years": 20, "max_years": 200}, 4000))
    assert xs.min() >= 20 and xs.max() <= 200
    cdf = lambda t: (1 - 20 / np.asarray(t)) / (1 - 20 / 200)
    assert stats.kstest(xs, cdf).pvalue > 0.01
    assert abs((xs > 100).mean() - (20 / 100 - 20 / 200) / (1 - 20 / 200)) < 0.02


def test_choice_weights_bernoulli_binomial_subset():
    c = draws({"dist": "choice", "values": ["a", "b", "c"], "weights": [1, 0, 3]}, 4000)
    assert "b" not in c and abs(c.count("c") / len(c) - 0.75) < 0.03
    b = draws({"dist": "bernoulli", "p": 0.2, "values": ["dry", "wet"]}, 4000)
    assert set(b) == {"dry", "wet"} and abs(b.count("wet") / len(b) - 0.2) < 0.02
    n = draws({"dist": "binomial", "n": 10, "p": 0.8}, 2000)
    assert all(0 <= v <= 10 for v in n) and abs(np.mean(n) - 8) < 0.1
    s = draws({"dist": "subset", "values": ["base-a", "base-b"], "p": 0.5}, 2000)
    assert all(v in ([], ["base-a"], ["base-b"], ["base-a", "base-b"]) for v in s)
    assert abs(np.mean([len(v) for v in s]) - 1.0) < 0.06


def test_run_seeds_depend_only_on_batch_seed_and_index():
    table = {"b": {"dist": "uniform", "low": 0, "high": 1}, "a": {"dist": "normal", "mean": 0, "sd": 1}}
    forward = [sample(table, run_seeds(7, i)[0]) | {"seed": run_seeds(7, i)[1]} for i in range(6)]
    backward = [sample(table, run_seeds(7, i)[0]) | {"seed": run_seeds(7, i)[1]} for i in reversed(range(6))][::-1]
    assert forward == backward
    assert len({f["seed"] for f in forward}) == 6 and all(0 <= f["seed"] < 2**63 for f in forward)
    assert forward[0] != sample(table, run_seeds(8, 0)[0]) | {"seed": run_seeds(8, 0)[1]}
    # the order of the table in the file does not change the draws
    reordered = dict(reversed(list(table.items())))
    assert sample(reordered, run_seeds(7, 3)[0]) == sample(table, run_seeds(7, 3)[0])


def test_paths_must_exist_in_the_scenario():
    from scenarios.core.spec import load_scenario

    sc = load_scenario("flood-50y")
    ok = parse_uncertain({"hazards.flood.return_period_years": {"dist": "uniform", "low": 10, "high": 100},
                          "simulation.params.help_share": {"dist": "uniform", "low": 0, "high": 0.1},
                          "resources.team_share": {"dist": "uniform", "low": 0.5, "high": 1}})
    check_paths(ok, sc)
    for path, bad in (("hazards.flod.return_period_years", "flod"), ("hazards.fire.wind_speed_m_s", "wind_speed_m_s"),
                      ("simulation.params.x.y", "x")):
        with pytest.raises(InputError, match=f'uncertain."{path}": no field .{bad}.'):
            check_paths(parse_uncertain({path: {"dist": "uniform", "low": 0, "high": 1}}), sc, source="f.toml")


@pytest.mark.parametrize("name", ["flood-50y", "flood-100y-breach", "forest-fire-north", "chlorine-night"])
def test_builtin_uncertain_tables_sample_and_apply(name):
    from scenarios.core.spec import load_scenario
    from scenarios.batch.uncertainty import check_paths, parse_uncertain, run_seeds, sample

    sc = load_scenario(name)
    dists = parse_uncertain(sc.uncertain, source=sc.source)
    assert dists, f"{name} declares no uncertain inputs"
    check_paths(dists, sc, source=sc.source)
    draws = [sample(dists, run_seeds(7, k)[0]) for k in range(3)]
    assert draws[0] != draws[1]
    changed = sc.with_overrides(draws[0])
    assert changed.model_dump() != sc.model_dump()
