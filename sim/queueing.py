"""Erlang C (M/M/c) closed form and the dispatcher's queueing check against it (docs/references/hazards.md §4).

The check runs the engine's own :class:`~sim.dispatch.Dispatcher` with hazards off: Poisson
arrivals, exponential on-scene times, ``c`` identical teams at one base and zero travel. The
mean wait and P(wait) over independent replications should bracket the closed form.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import simpy
from scipy import stats

from network.errors import InputError

from .dispatch import Dispatcher, Request, Team


def erlang_c(arrivals_per_hour: float, service_minutes: float, teams: int) -> dict[str, float]:
    """P(wait) and mean wait (minutes) of an M/M/c queue (docs/references/hazards.md §4).

    Parameters
    ----------
    arrivals_per_hour
        Poisson arrival rate.
    service_minutes
        Mean (exponential) service time.
    teams
        Servers ``c``.

    Returns
    -------
    dict
        ``p_wait``, ``mean_wait_minutes``, ``offered_load_erlang`` (``a = λ/μ``) and
        ``occupancy`` (``a / c``).

    Raises
    ------
    InputError
        When the offered load is ``c`` Erlang or more: the queue has no steady state.
    """
    lam = float(arrivals_per_hour)
    mu = 60.0 / float(service_minutes)
    c = int(teams)
    a = lam / mu
    if a >= c:
        raise InputError(f"teams: offered load {a:.3g} Erlang needs more than {c} teams for a steady state")
    top = a ** c / math.factorial(c) * c / (c - a)
    p_w = top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)
    w_q_h = p_w / (c * mu - lam)
    return {"p_wait": p_w, "mean_wait_minutes": w_q_h * 60.0, "offered_load_erlang": a, "occupancy": a / c}


def _one_replication(lam_s: float, service_s: float, c: int, horizon_s: float, warmup_s: float,
                     rng: np.random.Generator) -> tuple[float, float, int]:
    env = simpy.Environment()
    disp = Dispatcher(env, [Team(f"t{i}", "general", 0, 1) for i in range(c)], policy="fifo")
    capable = ("general",)

    def arrivals():
        i = 0
        while True:
            yield env.timeout(rng.exponential(1.0 / lam_s))
            if env.now >= horizon_s:
                return
            disp.submit(Request(i, "call", 0, 0, capable, env.now, rng.exponential(service_s)))
            i += 1

    env.process(arrivals())
    env.run()  # runs until every admitted request is served
    waits = np.array([r.wait_s for r in disp.requests if r.created_s >= warmup_s])
    return float(waits.mean()), float((waits > 1e-9).mean()), len(waits)


def queue_check(arrivals_per_hour: float, service_minutes: float, teams: int, hours: float = 1000.0,
                replications: int = 20, seed: int = 0, warmup_hours: float | None = None) -> dict[str, Any]:
    """Simulated mean wait and P(wait) with 95 % replication CIs beside the Erlang C values.

    Parameters
    ----------
    arrivals_per_hour, service_minutes, teams
        The M/M/c queue, as in :func:`erlang_c`.
    hours
        Simulated time per replication.
    replications
        Independent replications (at least 2), each from its own stream spawned from ``seed``.
    seed
        Non-negative integer; the same seed gives the same figures.
    warmup_hours
        Requests created before this are left out (default: 10 % of ``hours``).

    Returns
    -------
    dict
        ``mean_wait_minutes``, ``p_wait`` and their 95 % CIs (``mean_wait_ci``, ``p_wait_ci``),
        the ``erlang_c`` values and whether each lies inside its CI (``erlang_c_inside_ci``),
        the offered load and occupancy, the inputs, and ``requests_per_replication``.

    Raises
    ------
    InputError
        On a non-positive rate, service time or horizon, fewer than one team or two
        replications, a negative seed, a warm-up outside ``[0, hours)``, or an offered load
        with no steady state.
    """
    for name, v in (("arrivals_per_hour", arrivals_per_hour), ("service_minutes", service_minutes), ("hours", hours)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise InputError(f"{name}: must be a positive number, found {v!r}")
    if not isinstance(teams, int) or teams < 1:
        raise InputError(f"teams: must be a positive integer, found {teams!r}")
    if not isinstance(replications, int) or replications < 2:
        raise InputError(f"replications: need at least 2 for a confidence interval, found {replications!r}")
    if not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed: must be a non-negative integer, found {seed!r}")
    warm = 0.1 * hours if warmup_hours is None else float(warmup_hours)
    if not 0 <= warm < hours:
        raise InputError(f"warmup_hours: must lie in [0, hours), found {warmup_hours!r}")
    theory = erlang_c(arrivals_per_hour, service_minutes, teams)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(replications)]
    reps = [_one_replication(arrivals_per_hour / 3600.0, service_minutes * 60.0, teams, hours * 3600.0,
                             warm * 3600.0, r) for r in rngs]
    w = np.array([r[0] for r in reps]) / 60.0
    p = np.array([r[1] for r in reps])
    tq = float(stats.t.ppf(0.975, replications - 1))

    def ci(x: np.ndarray) -> list[float]:
        h = tq * x.std(ddof=1) / math.sqrt(len(x))
        return [float(x.mean() - h), float(x.mean() + h)]

    w_ci, p_ci = ci(w), ci(p)
    return {
        "mean_wait_minutes": float(w.mean()),
        "mean_wait_ci": w_ci,
        "p_wait": float(p.mean()),
        "p_wait_ci": p_ci,
        "erlang_c": {"mean_wait_minutes": theory["mean_wait_minutes"], "p_wait": theory["p_wait"]},
        "erlang_c_inside_ci": {"mean_wait_minutes": w_ci[0] <= theory["mean_wait_minutes"] <= w_ci[1],
                               "p_wait": p_ci[0] <= theory["p_wait"] <= p_ci[1]},
        "offered_load_erlang": theory["offered_load_erlang"],
        "occupancy": theory["occupancy"],
        "arrivals_per_hour": float(arrivals_per_hour), "service_minutes": float(service_minutes),
        "teams": teams, "hours": float(hours), "warmup_hours": warm, "replications": replications, "seed": seed,
        "requests_per_replication": float(np.mean([r[2] for r in reps])),
    }
