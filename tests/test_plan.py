"""Plan: plain data built from the district, JSON and GeoJSON round trips, validation."""
from __future__ import annotations

import json

import pytest

from network import InputError
from network.plan import Plan


def test_existing_plan_of_the_district(district):
    plan = Plan.existing(district)
    assert plan.shelters and all(s.existing for s in plan.shelters)
    assert plan.shelter_capacity == sum(district.spec.shelter_capacity(s) for s in district.spec.shelters if s.existing)
    assert plan.team_count("forest_fire") == 1 and plan.team_count("hazmat") >= 1
    general = sum(t.people for b in plan.team_bases for t in b.teams if t.type == "general")
    assert general >= 20  # the plan's district comprehensive rescue team of at least 20 people
    assert {w.id for w in plan.warehouses} >= {"district-warehouse"}
    plan.check_against(district.network)


def test_json_round_trip_is_exact(district, tmp_path):
    plan = Plan.existing(district)
    plan = plan.with_assignments({5: plan.shelters[0].id, 9: plan.shelters[1].id},
                                 {plan.shelters[0].id: plan.warehouses[0].id})
    back = Plan.from_json(plan.to_json(tmp_path / "plan.json"))
    assert back == plan


def test_geojson_points_in_lonlat(district, tmp_path):
    plan = Plan.existing(district)
    data = json.loads(plan.to_geojson(tmp_path / "plan.geojson").read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == len(plan.team_bases) + len(plan.warehouses) + len(plan.shelters) + len(plan.supply_sources)
    for f in data["features"]:
        lon, lat = f["geometry"]["coordinates"]
        assert 116.9 < lon < 117.4 and 29.1 < lat < 29.5


def test_plan_not_on_the_network_is_named(district, tmp_path):
    plan = Plan.existing(district)
    d = plan.to_dict()
    d["shelters"][0]["node"] = district.network.n_nodes + 5
    d["demand_shelter"] = {"3": "no-such-shelter"}
    bad = Plan.from_dict(d)
    with pytest.raises(InputError, match=r"shelter '.*' is at node \d+, not on the network.*unknown shelter 'no-such-shelter'"):
        bad.check_against(district.network, source="my-plan.json")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(InputError, match="broken.json: not valid JSON"):
        Plan.from_json(tmp_path / "broken.json")
    with pytest.raises(InputError, match="not a valid plan"):
        Plan.from_dict({"shelters": []}, source="x")


def test_existing_flags_and_new_facilities_round_trip(district, tmp_path):
    from dataclasses import replace

    from network.plan import Team, TeamBase, Warehouse

    plan = Plan.existing(district)
    assert all(b.existing for b in plan.team_bases) and all(w.existing for w in plan.warehouses)
    net = district.network
    new_base = TeamBase("new-1", "新增综合救援队驻地1", "New general rescue team base 1", 7, float(net.lon[7]),
                        float(net.lat[7]), (Team("general", 20),))
    new_wh = Warehouse("new-w", "新增物资储备点", "New relief warehouse", 9, float(net.lon[9]), float(net.lat[9]),
                       {"water_l": 10.0})
    assert not new_base.existing and not new_wh.existing
    plan = replace(plan, team_bases=plan.team_bases + (new_base,), warehouses=plan.warehouses + (new_wh,))
    assert Plan.from_json(plan.to_json(tmp_path / "p.json")) == plan
    data = json.loads(plan.to_geojson(tmp_path / "p.geojson").read_text(encoding="utf-8"))
    props = {f["properties"]["id"]: f["properties"] for f in data["features"]}
    assert props["new-1"]["existing"] is False and props["district-warehouse"]["existing"] is True
    assert props["new-1"]["name"] == "新增综合救援队驻地1 / New general rescue team base 1"


def test_plan_json_written_before_the_existing_flag_still_loads(district):
    d = Plan.existing(district).to_dict()
    for b in d["team_bases"]:
        b.pop("existing")
    for w in d["warehouses"]:
        w.pop("existing")
    old = Plan.from_dict(d)
    assert old.team_bases and not any(b.existing for b in old.team_bases)
