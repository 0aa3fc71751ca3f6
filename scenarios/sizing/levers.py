"""The levers ``yingji optimize size`` may pull on a district's plan, their unit costs and the
causes of delay each answers, and how chosen units change a :class:`~network.plan.Plan`.

One unit of each lever, and the cause it answers (:mod:`sim.shortfall`):

============================  ==========================  ==========================================
lever                         unit                        answers
============================  ==========================  ==========================================
``truck``                     one truck at a warehouse    ``not_delivered``
``stock:<item>``              the item for 100 people     ``no_<item>``
``team_members:<type>``       one squad at a team base    ``waiting_for_rescue`` (rescue types),
                                                          ``waiting_for_boat``, ``rescue_cut_off``
                                                          (boat crews)
``relief_craft:<kind>``       one boat or drone more in   ``cut_off``, ``upstairs``
                              an existing fleet
``shelter_places:<kind>``     a candidate shelter opened  ``no_shelter_place``
============================  ==========================  ==========================================

The people one unit relieves in time (its *effect*) starts from the planning guesses in
:data:`FIRST_EFFECT` and is re-estimated from the simulations after every iteration
(:mod:`scenarios.sizing.search`). ``not_evacuated`` and ``on_the_way`` (warnings and the
journey) have no lever here: they are reported as what still binds.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from network.costs import CostTable, UnitCost
from network.district import District
from network.errors import InputError
from network.plan import Plan, Shelter, Team
from optimize.sizing import Lever
from sim.params import SimParams

#: people one unit is first assumed to relieve in time, per cause (planning guesses, re-estimated
#: from the simulations after each iteration)
FIRST_EFFECT: dict[str, dict[str, float]] = {
    "truck": {"not_delivered": 60.0},
    "squad_rescue": {"waiting_for_rescue": 15.0},
    "squad_boat": {"waiting_for_boat": 20.0, "rescue_cut_off": 10.0, "waiting_for_rescue": 10.0},
    "boat": {"cut_off": 40.0, "upstairs": 40.0},
    "drone": {"cut_off": 10.0, "upstairs": 10.0},
}
#: people one unit of stock is for
STOCK_BLOCK = 100
#: at most this many units of one lever at one site in one iteration (and at most what it has)
MAX_UNITS = 40


def lever_family(lever: Lever) -> str:
    """The effect family of a lever (a key of :data:`FIRST_EFFECT`, or ``stock``/``shelter``)."""
    return lever.key.split("@", 1)[0].split("#", 1)[0]


def _horizon(c: UnitCost, costs: CostTable, amount: float = 1.0) -> float:
    return amount * (c.one_off_cny + c.annual_cny * costs.horizon.years)


def unit_cost(costs: CostTable, table: str, key: str) -> UnitCost:
    """The unit cost of ``costs.<table>[key]``; an :class:`InputError` naming it when the table
    has none (a lever without a cost cannot be weighed against the others)."""
    entry = getattr(costs, table).get(key)
    if entry is None:
        raise InputError(f"district: costs.{table}.{key}: no unit cost for a lever optimize size can add; give "
                         f"[costs.{table}.{key}] one_off_cny, annual_cny and source")
    return entry


def zone_centres(district: District) -> dict[int, tuple[float, float]]:
    """Each township's population-weighted centre (x, y in the network's metres)."""
    net = district.network
    out = {}
    for z in np.unique(net.zone):
        m = net.zone == z
        w = net.population[m].astype(float)
        w = w if w.sum() > 0 else np.ones(int(m.sum()))
        out[int(z)] = (float(np.average(net.x[m], weights=w)), float(np.average(net.y[m], weights=w)))
    return out


def _nearest_site(sites: list[tuple[str, int]], district: District, centres: dict[int, tuple[float, float]]
                  ) -> dict[str, tuple[int, ...]]:
    """For every site (id, node): the townships it is the nearest site to."""
    net = district.network
    serve: dict[str, list[int]] = {sid: [] for sid, _ in sites}
    if not sites:
        return {}
    xy = np.array([(net.x[n], net.y[n]) for _, n in sites])
    for z, (cx, cy) in centres.items():
        i = int(np.argmin(np.hypot(xy[:, 0] - cx, xy[:, 1] - cy)))
        serve[sites[i][0]].append(z)
    return {k: tuple(v) for k, v in serve.items() if v}


def build_levers(district: District, plan: Plan, params: SimParams, costs: CostTable,
                 effect_scale: dict[str, float] | None = None, retired: frozenset[str] = frozenset()) -> list[Lever]:
    """Every lever that can be added to ``plan`` on ``district``, each with its unit cost over
    the planning horizon and its effect (the first guesses times ``effect_scale`` per family).

    A step at most doubles what a site has (a trust region: the effects are re-estimated from
    the simulations before the next step); families in ``retired`` (more of them did not help)
    are left out."""
    scale = effect_scale or {}
    centres = zone_centres(district)
    everything = _levers(district, plan, params, costs, scale, centres)
    return [lv for lv in everything if lever_family(lv) not in retired]


def _levers(district, plan, params, costs, scale, centres) -> list[Lever]:
    out: list[Lever] = []

    def eff(family: str, base: dict[str, float]) -> dict[str, float]:
        return {c: v * scale.get(family, 1.0) for c, v in base.items()}

    wh = [(w.id, w.node) for w in plan.warehouses]
    for sid, zones in _nearest_site(wh, district, centres).items():
        w = next(w for w in plan.warehouses if w.id == sid)
        trucks = params.trucks_per_warehouse if w.trucks is None else w.trucks
        out.append(Lever(f"truck@{sid}", "truck", sid, "truck", 1, _horizon(costs.truck, costs),
                         eff("truck", FIRST_EFFECT["truck"]), zones, max(1, min(MAX_UNITS, trucks))))
        kits = {**params.needs_per_person, **params.needs_in_place}
        for item in kits:
            per = max(params.needs_per_person.get(item, 0.0), params.needs_in_place.get(item, 0.0))
            if per <= 0:
                continue
            amount = per * STOCK_BLOCK
            out.append(Lever(f"stock#{item}@{sid}", f"stock:{item}", sid, item, amount,
                             _horizon(unit_cost(costs, "items", item), costs, amount),
                             {f"no_{item}": STOCK_BLOCK * scale.get("stock", 1.0)}, zones, 10 * MAX_UNITS))
    rescue = set(params.capable.get("trapped", ())) | set(params.capable.get("assist", ()))
    boats = set(params.boat_types) & set(params.capable.get("evacuate", ()))
    for family, types in (("squad_rescue", rescue - boats), ("squad_boat", boats)):
        bases = [(b.id, b.node) for b in plan.team_bases if any(t.type in types for t in b.teams)]
        for sid, zones in _nearest_site(bases, district, centres).items():
            base = next(b for b in plan.team_bases if b.id == sid)
            ttype = next(t.type for t in base.teams if t.type in types)
            squads = sum(t.people for t in base.teams if t.type == ttype) // params.squad_size
            out.append(Lever(f"{family}#{ttype}@{sid}", f"team_members:{ttype}", sid, "people", params.squad_size,
                             _horizon(unit_cost(costs, "team_members", ttype), costs, params.squad_size),
                             eff(family, FIRST_EFFECT[family]), zones, max(1, min(MAX_UNITS, squads))))
    for kind in ("boat", "drone"):
        fleets = [(c.id, c.node) for c in plan.relief_craft if c.kind == kind]
        for sid, zones in _nearest_site(fleets, district, centres).items():
            count = next(c.count for c in plan.relief_craft if c.id == sid)
            out.append(Lever(f"{kind}@{sid}", f"relief_craft:{kind}", sid, "units", 1,
                             _horizon(unit_cost(costs, "relief_craft", kind), costs), eff(kind, FIRST_EFFECT[kind]), zones,
                             max(1, min(MAX_UNITS, count))))
    have = {s.id for s in plan.shelters}
    candidates = [s for s in district.spec.shelters if s.id not in have]
    nodes = district.facility_nodes(candidates) if candidates else []
    for s, node in zip(candidates, nodes):
        cap = district.spec.shelter_capacity(s)
        if cap <= 0:
            continue
        near = _nearest_zones(district, int(node), centres, 2)
        out.append(Lever(f"shelter@{s.id}", f"shelter_places:{s.kind}", s.id, "places", cap,
                         _horizon(unit_cost(costs, "shelter_places", s.kind), costs, cap),
                         {"no_shelter_place": float(cap)}, near, 1))
    return out


def _nearest_zones(district: District, node: int, centres: dict[int, tuple[float, float]], k: int) -> tuple[int, ...]:
    net = district.network
    d = sorted((math.hypot(net.x[node] - cx, net.y[node] - cy), z) for z, (cx, cy) in centres.items())
    return tuple(z for _, z in d[:k])


def apply_units(plan: Plan, levers: list[Lever], units: dict[str, int], district: District,
                params: SimParams) -> Plan:
    """``plan`` with the chosen units added (trucks, stock, squads, craft, shelters opened)."""
    by_key = {lv.key: lv for lv in levers}
    warehouses = {w.id: w for w in plan.warehouses}
    bases = {b.id: b for b in plan.team_bases}
    craft = {c.id: c for c in plan.relief_craft}
    shelters = list(plan.shelters)
    for key, n in sorted(units.items()):
        lv, n = by_key[key], int(n)
        if n <= 0:
            continue
        if lv.lever == "truck":
            w = warehouses[lv.site]
            warehouses[lv.site] = replace(w, trucks=(params.trucks_per_warehouse if w.trucks is None else w.trucks) + n)
        elif lv.lever.startswith("stock:"):
            w = warehouses[lv.site]
            item = lv.lever.split(":", 1)[1]
            warehouses[lv.site] = replace(w, stock={**w.stock, item: w.stock.get(item, 0.0) + n * lv.unit_amount})
        elif lv.lever.startswith("team_members:"):
            ttype = lv.lever.split(":", 1)[1]
            b = bases[lv.site]
            teams = list(b.teams)
            i = next(i for i, t in enumerate(teams) if t.type == ttype)
            teams[i] = Team(ttype, teams[i].people + n * int(lv.unit_amount))
            bases[lv.site] = replace(b, teams=tuple(teams))
        elif lv.lever.startswith("relief_craft:"):
            craft[lv.site] = replace(craft[lv.site], count=craft[lv.site].count + n)
        elif lv.lever.startswith("shelter_places:"):
            site = next(s for s in district.spec.shelters if s.id == lv.site)
            node = int(district.facility_nodes([site])[0])
            shelters.append(Shelter(site.id, site.name_zh, site.name_en, node, site.location[0], site.location[1],
                                    int(lv.unit_amount), site.kind, False))
    return replace(plan, warehouses=tuple(warehouses.values()), team_bases=tuple(bases.values()),
                   relief_craft=tuple(craft.values()), shelters=tuple(shelters))


def explicit_trucks(plan: Plan, params: SimParams) -> Plan:
    """``plan`` with every warehouse's trucks written out (the scenario's default where unset),
    so the plan file means the same under any simulation parameters."""
    return replace(plan, warehouses=tuple(
        w if w.trucks is not None else replace(w, trucks=params.trucks_per_warehouse) for w in plan.warehouses))

