"""The cheapest additions that cover measured shortfalls: one CP-SAT model per iteration of
``yingji optimize size`` (see ``docs/sizing.md``).

Each *lever* is a unit that can be added at a site (a truck at a warehouse, a squad at a team
base, a boat in a fleet, a block of stock, a candidate shelter opened) with a cost and an
*effect*: the people one unit is expected to relieve in time, per cause of delay it answers.
Each *demand* is the people a cause held back past the target in one township (a quantile of
the ensemble, with a margin). Units are earmarked for townships (``y[l, z]``) so one unit
never counts twice; a lever's units are the sum of its earmarks.

    minimise  sum_l cost_l * x_l  +  penalty * sum_d slack_d
    subject to  sum_l effect_l,c * y_l,z  >=  demand_c,z - slack_c,z       for every demand
                x_l = sum_z y_l,z,  0 <= x_l <= max_l,  sum_l cost_l * x_l <= budget

Slack makes every instance feasible: a demand no lever answers, or the budget cannot buy, is
left as slack, and the caller reports it as what still binds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model


@dataclass(frozen=True)
class Lever:
    """One kind of addition at one site: what a unit costs (CNY over the horizon, for the
    objective) and whom it relieves (``effect``: cause -> people per unit)."""

    key: str                    # e.g. "truck@cangqiao-wh"
    lever: str                  # the cost table's lever ("truck", "team_members:general", ...)
    site: str
    unit: str
    unit_amount: float          # how much of the lever one unit is (e.g. 10 people, 2,400 L)
    cost_cny: float             # one unit over the planning horizon
    effect: dict[str, float]    # cause -> people relieved in time per unit
    townships: tuple[int, ...]  # townships this site can serve
    max_units: int


@dataclass(frozen=True)
class Demand:
    """People held back past the target by ``cause`` in township ``zone``."""

    cause: str
    zone: int
    people: float


@dataclass
class Selection:
    """What the model chose: units per lever key, the cost, and the demand left uncovered."""

    units: dict[str, int] = field(default_factory=dict)
    cost_cny: float = 0.0
    uncovered: list[tuple[Demand, float]] = field(default_factory=list)
    status: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"units": self.units, "cost_cny": self.cost_cny, "status": self.status,
                "uncovered": [{"cause": d.cause, "zone": d.zone, "people": round(s, 1)} for d, s in self.uncovered]}


def cheapest_cover(levers: list[Lever], demands: list[Demand], *, budget_cny: float | None = None,
                   time_limit_s: float = 10.0, seed: int = 0) -> Selection:
    """The least-cost units of ``levers`` covering ``demands`` within ``budget_cny``.

    Costs are in whole yuan, people in tenths (CP-SAT is integer). Uncovered people cost more
    than any addition (a penalty above the largest lever cost per person it relieves), so the
    model buys every answer the budget allows before leaving slack; ties go to the cheaper.
    The search is single-threaded with a fixed seed: the same input gives the same choice.
    """
    m = cp_model.CpModel()
    x = {lv.key: m.NewIntVar(0, lv.max_units, lv.key) for lv in levers}
    y: dict[tuple[str, int], cp_model.IntVar] = {}
    for lv in levers:
        for z in lv.townships:
            y[lv.key, z] = m.NewIntVar(0, lv.max_units, f"{lv.key}@{z}")
        m.Add(x[lv.key] == sum(y[lv.key, z] for z in lv.townships))
    cost = {lv.key: int(round(lv.cost_cny)) for lv in levers}
    per_person = max((lv.cost_cny / max(e, 1e-9) for lv in levers for e in lv.effect.values()), default=1.0)
    penalty = int(min(10 * per_person + 1, 1e12) / 10) + 1  # per tenth of a person
    slack = []
    for i, d in enumerate(demands):
        need = int(round(10 * d.people))
        if need <= 0:
            continue
        s = m.NewIntVar(0, need, f"slack{i}")
        terms = [int(round(10 * lv.effect[d.cause])) * y[lv.key, d.zone] for lv in levers
                 if d.cause in lv.effect and (lv.key, d.zone) in y and lv.effect[d.cause] > 0]
        m.Add(sum(terms) + s >= need)
        slack.append((d, s))
    spend = sum(cost[k] * v for k, v in x.items())
    if budget_cny is not None:
        m.Add(spend <= int(budget_cny))
    m.Minimize(spend + penalty * sum(s for _, s in slack))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit_s)
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = int(seed)
    status = solver.Solve(m)
    out = Selection(status=solver.StatusName(status))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        out.uncovered = [(d, d.people) for d, _ in slack]
        return out
    out.units = {k: int(solver.Value(v)) for k, v in x.items() if solver.Value(v) > 0}
    out.cost_cny = float(sum(cost[k] * n for k, n in out.units.items()))
    out.uncovered = [(d, solver.Value(s) / 10.0) for d, s in slack if solver.Value(s) > 0]
    return out
