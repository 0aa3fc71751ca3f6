"""Erlang C closed form and the dispatcher's M/M/c check against it (docs/references/hazards.md §4)."""
from __future__ import annotations

import pytest

from network.errors import InputError
from sim.queueing import erlang_c, queue_check


@pytest.mark.parametrize("lam,s,c,p_w,w_q", [
    (6, 30, 4, 0.5094, 15.28), (6, 30, 5, 0.2362, 3.54), (6, 30, 6, 0.0991, 0.99),
])
def test_erlang_c_worked_examples(lam, s, c, p_w, w_q):
    r = erlang_c(lam, s, c)
    assert r["p_wait"] == pytest.approx(p_w, abs=5e-5)
    assert r["mean_wait_minutes"] == pytest.approx(w_q, abs=5e-3)


def test_erlang_c_textbook():
    assert erlang_c(4, 30, 3)["p_wait"] == pytest.approx(4 / 9)        # A=2, c=3
    assert erlang_c(3, 30, 2)["p_wait"] == pytest.approx(0.6429, abs=1e-4)  # A=1.5, c=2
    # call-centre example: A = 48, 55 agents
    assert erlang_c(720, 4, 55)["p_wait"] == pytest.approx(0.2387, abs=1e-3)


def test_simulated_dispatcher_matches_erlang_c():
    r = queue_check(6, 30, 4, hours=1000, replications=20, seed=1)
    lo, hi = r["mean_wait_ci"]
    assert lo <= r["erlang_c"]["mean_wait_minutes"] <= hi
    lo, hi = r["p_wait_ci"]
    assert lo <= r["erlang_c"]["p_wait"] <= hi
    assert set(r) >= {"mean_wait_minutes", "mean_wait_ci", "p_wait", "p_wait_ci", "erlang_c"}


def test_queue_check_deterministic_and_validates():
    a = queue_check(6, 30, 5, hours=200, replications=3, seed=7)
    b = queue_check(6, 30, 5, hours=200, replications=3, seed=7)
    assert a == b
    with pytest.raises(InputError, match="teams"):
        queue_check(6, 30, 3, hours=10, replications=3)   # A = 3 needs more than 3 teams
    with pytest.raises(InputError, match="replications"):
        queue_check(6, 30, 4, hours=10, replications=1)


@pytest.mark.slow
@pytest.mark.parametrize("c", [5, 6])
def test_simulated_dispatcher_matches_erlang_c_more_teams(c):
    r = queue_check(6, 30, c, hours=3000, replications=20, seed=2)
    assert r["erlang_c_inside_ci"]["mean_wait_minutes"] and r["erlang_c_inside_ci"]["p_wait"]
