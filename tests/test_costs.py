"""Unit costs as data and the costed additions of a plan."""
from __future__ import annotations

from dataclasses import replace

import pytest

from network.costs import cost_summary, load_costs, plan_additions
from network.errors import InputError
from network.plan import Plan, Shelter, Team, TeamBase


def test_every_lever_has_a_cost_with_a_source():
    c = load_costs()
    assert c.horizon.years == 5
    for group in (c.items, c.team_members, c.shelter_places, c.relief_craft):
        assert all(u.source for u in group.values())
    assert c.items["bedding_sets"].source.startswith("estimate")


def test_a_districts_costs_override_entry_by_entry():
    c = load_costs({"items": {"bedding_sets": {"one_off_cny": 260, "source": "2024 county tender"}}})
    assert c.items["bedding_sets"].one_off_cny == 260 and c.items["bedding_sets"].annual_cny == 5.0   # kept
    assert c.items["bedding_sets"].source == "2024 county tender" and c.items["water_l"].one_off_cny == 1.0


@pytest.mark.parametrize("override, message", [
    ({"items": {"tents": {"one_off_cny": -1}}}, r"district: costs: items.tents.one_off_cny"),
    ({"items": {"tents": {"source": ""}}}, r"items.tents.source"),
    ({"team_base": {"price": 3}}, r"team_base.price: unknown key"),
    ({"team_members": {"medical": None}}, r"team_members.medical"),
])
def test_bad_costs_get_one_line(override, message):
    with pytest.raises(InputError, match=message) as exc:
        load_costs(override, source="district")
    assert "\n" not in str(exc.value)


def test_additions_are_what_a_plan_adds_and_nothing_else(district):
    base = Plan.existing(district)
    c = load_costs()
    assert plan_additions(base, base, c) == []
    b0 = base.team_bases[0]
    w0 = base.warehouses[0]
    s0 = base.shelters[0]
    grown = replace(
        base,
        team_bases=(replace(b0, teams=(*b0.teams, Team("hazmat", 4))), *base.team_bases[1:],
                    TeamBase("new-base", "新", "new", 0, 0.0, 0.0, (Team("general", 10),))),
        warehouses=(replace(w0, stock={**w0.stock, "tents": w0.stock.get("tents", 0) + 20}), *base.warehouses[1:]),
        shelters=(replace(s0, capacity=s0.capacity + 100), *base.shelters[1:],
                  Shelter("new-square", "新", "new", 0, 0.0, 0.0, 400, "square")),
    )
    adds = {(a.lever, a.site): a for a in plan_additions(grown, base, c)}
    assert set(adds) == {("team_members:hazmat", b0.id), ("team_base", "new-base"), ("team_members:general", "new-base"),
                         ("stock:tents", w0.id), (f"shelter_places:{s0.kind}", s0.id), ("shelter_places:square", "new-square")}
    assert adds[("team_members:hazmat", b0.id)].one_off_cny == 4 * c.team_members["hazmat"].one_off_cny
    assert adds[("stock:tents", w0.id)].amount == 20
    assert adds[(f"shelter_places:{s0.kind}", s0.id)].amount == 100
    total = cost_summary(list(adds.values()), c)
    one_off = (4 * 60000 + 2_000_000 + 10 * 20000 + 20 * 3500 + 100 * c.shelter_places[s0.kind].one_off_cny + 400 * 800)
    assert total["one_off_cny"] == pytest.approx(one_off)
    assert total["horizon_cny"] == pytest.approx(one_off + 5 * total["annual_cny"])


def test_trucks_above_what_a_warehouse_kept_are_costed(district):
    base = Plan.existing(district)
    c = load_costs()
    w0 = base.warehouses[0]
    same = replace(base, warehouses=(replace(w0, trucks=3), *base.warehouses[1:]))
    assert plan_additions(same, base, c) == []              # 3 is what an unset warehouse keeps
    more = replace(base, warehouses=(replace(w0, trucks=5), *base.warehouses[1:]))
    (a,) = plan_additions(more, base, c)
    assert (a.lever, a.site, a.amount) == ("truck", w0.id, 2)
    assert a.one_off_cny == 2 * c.truck.one_off_cny and c.truck.source.startswith("estimate")


def test_every_run_says_what_its_plan_adds_and_costs(district, tmp_path):
    """kpis.json's plan_cost: nothing for today's plan; a plan file that fits out a candidate
    site costs its places."""
    import json

    from scenarios.core.runner import run_scenario
    from scenarios.core.spec import load_scenario
    from scenarios.reports.outputs import run_summary

    sc = load_scenario("chlorine-night").with_overrides({"simulation.duration_h": 1})
    today = run_summary(run_scenario(sc))["plan_cost"]
    assert today["additions"] == [] and today["one_off_cny"] == 0
    site = next(s for s in district.spec.shelters if not s.existing)
    plan = Plan.existing(district).to_dict()
    plan["shelters"] = [*plan["shelters"], {"id": site.id, "capacity": 500, "kind": site.kind}]
    (tmp_path / "p.json").write_text(json.dumps(plan), encoding="utf-8")
    cost = run_summary(run_scenario(sc, plan=str(tmp_path / "p.json")))["plan_cost"]
    (a,) = cost["additions"]
    unit = load_costs().shelter_places[site.kind].one_off_cny
    assert (a["lever"], a["site"], a["amount"], a["one_off_cny"]) == (f"shelter_places:{site.kind}", site.id, 500, 500 * unit)
