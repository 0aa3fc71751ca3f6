"""``yingji optimize size``: the least-cost additions that make a plan meet its targets with a
stated probability, the simulation as the judge (method and references: ``docs/sizing.md``).

Each iteration simulates the current plan on the in-sample ensemble of every scenario (the same
members every time: common random numbers), reads the people each cause held back at the relief
deadline by township, takes the quantile of that shortfall the asked probability needs (with a
margin), lets CP-SAT buy the cheapest units that cover it (:func:`optimize.sizing.cheapest_cover`),
re-estimates each lever's effect from what the last purchase achieved, and repeats until the
lower end of the 95 % Wilson interval of P(targets met) reaches the asked probability in every
scenario, the budget is spent, or nothing left to buy answers what binds. The final plan is then
simulated on fresh members (out of sample).
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from distributed import Client, Security

from network.costs import cost_summary, load_costs, plan_additions
from network.district import District
from network.errors import InputError
from network.plan import Plan
from network.plan_sites import place_sites
from optimize.sizing import Demand, Lever, cheapest_cover
from scenarios.batch.cluster import check_cluster
from scenarios.batch.summary import wilson_interval
from scenarios.core.inputs import load_scenario_network
from scenarios.core.plans import _known_sites, plan_json
from scenarios.core.runner import sim_params
from scenarios.core.spec import Scenario
from sim.shortfall import cause_names

from .ensemble import RELIEF_TARGETS, EvaluationStore, Evaluator, Member, members
from .levers import apply_units, build_levers, explicit_trucks, lever_family

Progress = Callable[[dict[str, Any]], None]


@dataclass
class SizingResult:
    """What the search found: probabilities, the costed additions, the curve and what binds."""

    target_probability: float
    targets: list[str]
    runs: int
    reached: bool
    baseline_probability: float
    final_probability: float
    out_of_sample_probability: float
    scenarios: list[dict[str, Any]]
    cost: dict[str, Any]
    additions: list[dict[str, Any]]
    curve: list[dict[str, Any]]
    binding: list[dict[str, Any]]
    simulations: int
    reused: int
    budget_cny: float | None
    seed: int
    stop: str
    plan: Plan
    base_plan: Plan
    notes: list[dict[str, str]] = field(default_factory=list)
    #: the district's roads (the report's map; not in result.json)
    network: Any = None
    #: per scenario, the chosen plan's out-of-sample runs as by-township rows (zone, affected,
    #: waiting_at_target_by_cause), None where stored results lack them (the report's map; not in result.json)
    township_runs: list[Any] = field(default_factory=list)

    def to_dict(self, plan_file: str | None = None) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k not in ("plan", "base_plan", "network", "township_runs")}
        d["plan_file"] = plan_file
        return d


def needed_share(n: int, p: float) -> float:
    """The smallest share k/n of members that must meet the targets for the lower end of the
    95 % Wilson interval to reach ``p`` (1.0 when even n/n does not)."""
    for k in range(n + 1):
        if wilson_interval(k, n)[0] >= p:
            return k / n
    return 1.0


def min_runs(p: float) -> int:
    """The fewest runs whose 95 % Wilson lower bound can reach ``p`` (all of them met): the
    bound of n/n is n / (n + z²), so n >= p z² / (1 - p), checked against the interval itself."""
    z2 = 1.959963984540054 ** 2
    n = max(1, math.ceil(p * z2 / (1.0 - p)) - 1)
    while wilson_interval(n, n)[0] < p:
        n += 1
    return n


def _probability(results: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in results if r.get("status") == "ok"]
    met = sum(1 for r in ok if r["all_pass"])
    n = len(results)
    lo, hi = wilson_interval(met, n) if n else (0.0, 1.0)
    shares = [r["relief_within_target"] for r in ok if r.get("relief_within_target") is not None]
    p95 = [r["relief_p95_h"] for r in ok if r.get("relief_p95_h") is not None]
    failing: dict[str, int] = {}
    for r in ok:
        for t, v in r["pass"].items():
            if v is False:
                failing[t] = failing.get(t, 0) + 1
    return {"met": met, "runs": n, "failed_runs": n - len(ok), "probability": met / n if n else 0.0,
            "runs_failing_target": failing,
            "wilson_low": lo, "wilson_high": hi,
            "relief_within_target_mean": float(np.mean(shares)) if shares else None,
            "relief_p95_h_median": float(np.median(p95)) if p95 else None,
            "waiting_at_target_mean": float(np.mean([sum(r["waiting"].values()) for r in ok])) if ok else None}


def _demands(results: list[dict[str, Any]], scenario: int, share: float, margin: float) -> list[Demand]:
    """Per cause and township: the people held back at the quantile ``share`` of the members,
    times ``1 + margin`` (members without that cause count 0)."""
    ok = [r for r in results if r.get("status") == "ok"]
    keys = sorted({(c, int(z)) for r in ok for z, causes in r["waiting_by_zone"].items() for c in causes})
    out = []
    for cause, zone in keys:
        v = [float(r["waiting_by_zone"].get(str(zone), {}).get(cause, 0)) for r in ok]
        q = float(np.quantile(v, share, method="higher")) if v else 0.0
        if q > 0:
            out.append(Demand(cause, zone, q * (1.0 + margin)))
    return out


def _merge_demands(demands: list[Demand]) -> list[Demand]:
    """Scenarios' demands for the same cause and township: the largest (one plan meets each)."""
    best: dict[tuple[str, int], float] = {}
    for d in demands:
        best[d.cause, d.zone] = max(best.get((d.cause, d.zone), 0.0), d.people)
    return [Demand(c, z, p) for (c, z), p in sorted(best.items())]


def base_plan(scenario: Scenario, district: District) -> Plan:
    """The plan the search starts from: the scenario's ``existing`` plan or its plan file
    (without the scenario's resource changes, which each simulation applies itself)."""
    kind = scenario.plan.kind
    if kind == "existing":
        return Plan.existing(district)
    if kind == "file":
        path = scenario.resolve(scenario.plan.file)
        if not Path(path).is_file():
            raise InputError(f"{scenario.where('plan.file')}: plan file not found: {path}")
        d = place_sites(plan_json(Path(path), scenario.where('plan.file')), district.network, _known_sites(district), str(path))
        plan = Plan.from_dict(d, source=str(path))
        plan.check_against(district.network, source=str(path))
        return plan
    raise InputError(f"{scenario.where('plan.kind')}: optimize size starts from today's plan ('existing') or a plan "
                     f"file; found {kind!r}")


def check_scenarios(scenarios: Sequence[Scenario]) -> District:
    """The one district every scenario runs on (InputError when they differ or it is a bare network)."""
    keys = {("builtin" if s.network.source == "builtin" else str(s.resolve(s.network.source))) for s in scenarios}
    if len(keys) > 1:
        raise InputError("scenarios: optimize size sizes one district's plan; these scenarios run on "
                         f"{len(keys)} networks ({', '.join(sorted(keys))})")
    district = load_scenario_network(scenarios[0])
    if not isinstance(district, District):
        raise InputError(f"{scenarios[0].where('network.source')}: optimize size needs a district (built-in, a "
                         "district file or a manifest), not a bare road network")
    for s in scenarios:
        if not s.uncertain:
            raise InputError(f"{s.where('uncertain')}: optimize size needs the scenario's [uncertain] inputs "
                             "(every run would otherwise be the same)")
    return district


def size_plan(scenarios: Sequence[Scenario], *, target_probability: float, runs: int, store: Path,
              budget_cny: float | None = None, seed: int = 0, workers: int | None = None,
              scheduler: str | None = None, security: Security | None = None, client: Client | None = None,
              targets: Sequence[str] = RELIEF_TARGETS, max_iterations: int = 8,
              margin: float = 0.2, progress: Progress | None = None) -> SizingResult:
    """Search the least-cost additions to the scenarios' plan that meet ``targets`` with
    probability ``target_probability`` in every scenario (module notes).

    Parameters
    ----------
    scenarios
        Scenarios read from TOML, on one district, each with ``[uncertain]`` inputs.
    target_probability
        In (0, 1): the lower end of the 95 % Wilson interval of P(targets met) to reach.
    runs
        In-sample members per scenario (as many again for the out-of-sample check).
    store
        SQLite file of simulation results (created; reused to resume).
    budget_cny
        Cap on the additions' cost over the planning horizon (one-off + annual × years).
    workers, scheduler, security, client
        Local worker processes, a running Dask scheduler's address and its TLS settings, or a
        client you hold (left open), as :func:`scenarios.batch.runs.run_batch` takes them.
    targets
        Indicator keys that must pass in a run (``("all",)``: every target).

    Returns
    -------
    SizingResult
        An unreachable probability is a result (``reached`` False, with what still binds).
    """
    if not 0.0 < target_probability < 1.0:
        raise InputError(f"--target-probability: expected a probability in (0, 1), found {target_probability!r}")
    if budget_cny is not None and not budget_cny >= 0:
        raise InputError(f"--budget: expected a non-negative amount of CNY, found {budget_cny!r}")
    if runs < 1:
        raise InputError(f"--runs: expected at least 1, found {runs}")
    if wilson_interval(runs, runs)[0] < target_probability:
        raise InputError(f"--runs {runs}: too few to show P >= {target_probability:g} (even {runs}/{runs} met gives a "
                         f"95 % lower bound of {wilson_interval(runs, runs)[0]:.3f}); give at least "
                         f"--runs {min_runs(target_probability)}")
    check_cluster(workers, scheduler, client)
    district = check_scenarios(scenarios)
    params = sim_params(scenarios[0])
    costs = load_costs(district.spec.costs, source="district")
    start = explicit_trucks(base_plan(scenarios[0], district), params)
    build_levers(district, start, params, costs)   # a lever without a cost is an input error, before any run
    inside = [m for i, s in enumerate(scenarios) for m in members(s, i, seed, range(runs))]
    outside = [m for i, s in enumerate(scenarios) for m in members(s, i, seed, range(runs, 2 * runs))]
    share = needed_share(runs, target_probability)
    say = progress or (lambda state: None)
    st = EvaluationStore(store)
    ev = Evaluator(scenarios, st, targets, workers=workers, scheduler=scheduler, security=security, client=client)
    try:
        return _search(scenarios, district, params, costs, start, inside, outside, ev, share, target_probability,
                       runs, budget_cny, targets, max_iterations, margin, seed, say)
    finally:
        ev.close()
        st.close()


def _plan_text(plan: Plan) -> str:
    return json.dumps(plan.to_dict(), ensure_ascii=False, sort_keys=True)


def _by_scenario(results: list[dict[str, Any]], ensemble: list[Member], n: int) -> list[list[dict[str, Any]]]:
    out: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    for m, r in zip(ensemble, results):
        out[m.scenario].append(r)
    return out


def _search(scenarios, district, params, costs, start, inside, outside, ev, share, p_target, runs, budget,
            targets, max_iterations, margin, seed, say) -> SizingResult:
    n_sc = len(scenarios)
    plan, scale = start, {}
    retired: set[str] = set()
    bought: dict[str, int] = {}         # lever key -> units added to the starting plan
    lever_of: dict[str, Lever] = {}
    curve: list[dict[str, Any]] = []
    tried: list[tuple[Plan, list[dict[str, Any]]]] = []   # each iteration's plan and its results
    last_buy: list[tuple[Lever, int]] = []
    last_demand: dict[str, float] = {}
    stop = ""
    for it in range(max_iterations + 1):
        cost = cost_summary(plan_additions(plan, start, costs, default_trucks=params.trucks_per_warehouse), costs)

        def tick(done: int, total: int, it=it, cost=cost) -> None:
            say({"stage": "simulate", "iteration": it, "done": done, "total": total,
                 "simulations": ev.simulations + ev.reused, "cost_cny": cost["horizon_cny"],
                 "probability": curve[-1]["probability"] if curve else None})

        results = ev.evaluate(_plan_text(plan), inside, tick)
        per = [_probability(r) for r in _by_scenario(results, inside, n_sc)]
        demands = _merge_demands([d for i, r in enumerate(_by_scenario(results, inside, n_sc))
                                  for d in _demands(r, i, share, 0.0)])
        point = {"iteration": it, "horizon_cny": cost["horizon_cny"], "one_off_cny": cost["one_off_cny"],
                 "annual_cny": cost["annual_cny"], "probability": min(p["probability"] for p in per),
                 "wilson_low": min(p["wilson_low"] for p in per), "scenarios": per,
                 "held_back_people": round(sum(d.people for d in demands), 1)}
        curve.append(point)
        tried.append((plan, results))
        say({"stage": "iteration", **{k: v for k, v in point.items() if k != "scenarios"},
             "simulations": ev.simulations + ev.reused})
        if point["wilson_low"] >= p_target:
            stop = "reached"
            break
        if it == max_iterations:
            stop = "iterations"
            break
        by_cause = _sum_by_cause(demands)
        if last_buy:
            scale, useless = _rescale(scale, last_buy, last_demand, by_cause)
            retired |= useless
            if useless and not _improved(curve):
                # take back what did not help; the plan without it is simulated next (a step that
                # raised the probability keeps its units: the family is only not bought again)
                for lv, n in last_buy:
                    if lever_family(lv) in useless:
                        bought[lv.key] -= n
                plan = apply_units(start, list(lever_of.values()), bought, district, params)
                last_buy = []
                continue
        left = None if budget is None else budget - cost["horizon_cny"]
        levers = build_levers(district, plan, params, costs, scale, frozenset(retired))
        want = [Demand(d.cause, d.zone, d.people * (1.0 + margin)) for d in demands]
        sel = cheapest_cover(levers, want, budget_cny=left, seed=seed)
        if not sel.units:
            stop = "budget" if left is not None and any(
                d.cause in lv.effect for d in want for lv in levers) else "no_lever"
            break
        by_key = {lv.key: lv for lv in levers}
        last_buy = [(by_key[k], n) for k, n in sel.units.items()]
        for lv, n in last_buy:
            bought[lv.key] = bought.get(lv.key, 0) + n
            lever_of[lv.key] = lv
        last_demand = by_cause
        plan = apply_units(start, list(lever_of.values()), bought, district, params)
    best = _best_point(curve, p_target)
    curve[best]["chosen"] = True
    final_in, (plan, results) = curve[best], tried[best]
    results_out = ev.evaluate(_plan_text(plan), outside,
                              lambda d, t: say({"stage": "out_of_sample", "done": d, "total": t,
                                                "simulations": ev.simulations + ev.reused}))
    per_out = [_probability(r) for r in _by_scenario(results_out, outside, n_sc)]
    adds = plan_additions(plan, start, costs, default_trucks=params.trucks_per_warehouse)
    years = costs.horizon.years
    additions = [{"lever": a.lever, "site": a.site, "amount": a.amount, "unit": a.unit,
                  "cost": round(a.one_off_cny + a.annual_cny * years, 2), "one_off_cny": round(a.one_off_cny, 2),
                  "annual_cny": round(a.annual_cny, 2), "source": a.source} for a in adds]
    reached = stop == "reached"
    sc_rows = [{"scenario": s.name, "title_zh": s.title_zh, "title_en": s.title_en, "baseline": curve[0]["scenarios"][i],
                "final": final_in["scenarios"][i], "out_of_sample": per_out[i]} for i, s in enumerate(scenarios)]
    notes = [_stop_note(stop, p_target, runs, budget)]
    if any(p["failed_runs"] for row in sc_rows for p in (row["final"], row["out_of_sample"])):
        notes.append({"zh": "部分模拟失败，按未达成计（见结果库）",
                      "en": "some simulations failed and count as not meeting the targets (see the store)"})
    return SizingResult(
        target_probability=p_target, targets=list(targets), runs=runs, reached=reached,
        baseline_probability=curve[0]["probability"], final_probability=final_in["probability"],
        out_of_sample_probability=min(p["probability"] for p in per_out), scenarios=sc_rows,
        cost=cost_summary(adds, costs), additions=additions, curve=curve,
        binding=_binding(_sum_by_cause(_merge_demands([d for i, r in enumerate(_by_scenario(results, inside, n_sc))
                                                       for d in _demands(r, i, share, 0.0)])),
                         build_levers(district, plan, params, costs, scale), retired),
        simulations=ev.simulations, reused=ev.reused, budget_cny=budget, seed=seed, stop=stop, plan=plan, base_plan=start, notes=notes,
        network=district.network, township_runs=[_township_rows(r) for r in _by_scenario(results_out, outside, n_sc)])


def _township_rows(results: list[dict[str, Any]]) -> list[list[dict[str, Any]]] | None:
    """Each ok member's people affected and held at the deadline by township, as the rows of a
    run's ``shortfall.by_township``; None when a stored result predates ``affected_by_zone``."""
    ok = [r for r in results if r.get("status") == "ok"]
    if any("affected_by_zone" not in r for r in ok):
        return None
    return [[{"zone": int(z), "affected": a, "waiting_at_target_by_cause": r["waiting_by_zone"].get(z, {})}
             for z, a in r["affected_by_zone"].items()] for r in ok]


def _best_point(curve: list[dict[str, Any]], p_target: float) -> int:
    """The iteration whose plan is the result: the cheapest that reached the probability, else
    the one with the highest (lowest Wilson bound, then probability), the cheaper on a tie. The
    simulation is not monotone in resources (another truck may send the others elsewhere), so the
    last plan tried is not always the best."""
    reached = [i for i, c in enumerate(curve) if c["wilson_low"] >= p_target]
    if reached:
        return min(reached, key=lambda i: curve[i]["horizon_cny"])
    return min(range(len(curve)), key=lambda i: (-curve[i]["wilson_low"], -curve[i]["probability"],
                                                 curve[i]["horizon_cny"]))


def _improved(curve: list[dict[str, Any]]) -> bool:
    """Whether the last plan of the curve met the targets more often than the one before."""
    a, b = curve[-2], curve[-1]
    return (b["wilson_low"], b["probability"]) > (a["wilson_low"], a["probability"])


def _sum_by_cause(demands: list[Demand]) -> dict[str, float]:
    out: dict[str, float] = {}
    for d in demands:
        out[d.cause] = out.get(d.cause, 0.0) + d.people
    return out


#: a family that relieved less than this share of what it was expected to is retired
USELESS_RATIO = 0.2


def _rescale(scale: dict[str, float], bought: list[tuple[Lever, int]], before: dict[str, float],
             after: dict[str, float]) -> tuple[dict[str, float], set[str]]:
    """Each bought family's effect times (people it relieved / people it was expected to), the
    drop of a cause shared among the families that answered it by their expected share. A cause
    cleared entirely says only that the effect was at least enough: it never lowers the estimate.
    Families that relieved under :data:`USELESS_RATIO` of the expected are returned to retire:
    what holds those people is not the amount of that resource."""
    expected: dict[tuple[str, str], float] = {}
    for lv, n in bought:
        for c, e in lv.effect.items():
            if c in before:
                expected[lever_family(lv), c] = expected.get((lever_family(lv), c), 0.0) + n * e
    out = dict(scale)
    useless: set[str] = set()
    for fam in sorted({f for f, _ in expected}):
        exp = obs = 0.0
        cleared = True
        for (f, c), e in expected.items():
            if f != fam:
                continue
            total = sum(v for (_, c2), v in expected.items() if c2 == c)
            drop = max(0.0, before.get(c, 0.0) - after.get(c, 0.0))
            exp += e
            obs += drop * e / total if total else 0.0
            cleared &= after.get(c, 0.0) <= 0.0
        if exp <= 0:
            continue
        ratio = obs / exp
        if cleared:
            ratio = max(ratio, 1.0)
        if ratio < USELESS_RATIO:
            useless.add(fam)
        out[fam] = out.get(fam, 1.0) * min(2.0, max(0.25, ratio))
    return out, useless


def _binding(by_cause: dict[str, float], levers: list[Lever], retired: set[str]) -> list[dict[str, Any]]:
    """What still holds people back at the deadline in the final plan (at the quantile the
    probability needs), biggest first: the levers that answer it, and those tried that did not help."""
    out = []
    for cause, people in sorted(by_cause.items(), key=lambda kv: -kv[1]):
        zh, en = cause_names(cause)
        answer = [lv for lv in levers if cause in lv.effect]
        out.append({"cause": cause, "zh": zh, "en": en, "people": round(people, 1),
                    "levers": sorted({lv.lever for lv in answer if lever_family(lv) not in retired}),
                    "did_not_help": sorted({lv.lever for lv in answer if lever_family(lv) in retired})})
    return out


def _stop_note(stop: str, p: float, runs: int, budget: float | None) -> dict[str, str]:
    """Why the search stopped, in Chinese and English."""
    if stop == "reached":
        return {"zh": f"已达到：每个情景的 95% Wilson 区间下限均不低于 {p:g}",
                "en": f"reached: the lower end of the 95 % Wilson interval is at least {p:g} in every scenario"}
    if stop == "budget":
        return {"zh": f"预算（{budget:,.0f} 元，规划期合计）用尽，未达到要求概率",
                "en": f"the budget (CNY {budget:,.0f} over the horizon) is spent before the probability is reached"}
    if stop == "no_lever":
        return {"zh": "停止：仍然制约的因素没有可加的措施，或措施已加到上限（见制约因素）",
                "en": "stopped: what still holds people back has no lever here, or none is left to add (see what binds)"}
    return {"zh": "已到允许的最大轮次，未达到要求概率",
            "en": "stopped after the last iteration allowed without reaching the probability"}
