"""The plan a scenario runs with: today's facilities from the district, the optimiser's plan, or a
plan file, with the scenario's resource changes (facilities out of action, shelters opened,
the share of team members who report)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from network.costs import cost_summary, load_costs, plan_additions
from network.district import District
from network.checks import parse_json, read_text_file
from network.errors import InputError, at_field
from network.model import RoadNetwork
from network.plan import Plan, Shelter, Team
from network.plan_sites import KnownSite, place_sites
from optimize.district_plan import optimize_district_plan

from .inputs import build_hazards
from .spec import PlanSpec, Scenario


def _apply_resources(plan: Plan, scenario: Scenario, district: District | RoadNetwork) -> Plan:
    """Facilities, supply sources and relief craft out of action, extra shelters opened, the
    share of team members who report, and the outside supplies' lead times and capacities scaled.
    A supply source whose warehouse is out delivers to the nearest one it can reach; a craft
    whose base is out is out too."""
    r = scenario.resources
    if not (r.unavailable or r.open_shelters or r.team_share < 1.0 or r.supply_lead_time_factor != 1.0
            or r.supply_capacity_factor != 1.0):
        return plan
    known = {x.id for x in (*plan.team_bases, *plan.warehouses, *plan.shelters, *plan.supply_sources,
                            *plan.relief_craft)}
    if isinstance(district, District):
        known |= {f.id for f in district.spec.facilities} | {s.id for s in district.spec.shelters}
    for i, fid in enumerate(r.unavailable):
        if fid not in known:
            raise InputError(f"{scenario.where(f'resources.unavailable.{i}')}: expected the id of a facility, "
                             f"shelter, supply source or relief craft; found {fid!r}")
    out = set(r.unavailable)
    bases = []
    for b in plan.team_bases:
        if b.id in out:
            continue
        teams = tuple(Team(t.type, max(1, int(round(t.people * r.team_share)))) for t in b.teams)
        bases.append(replace(b, teams=teams))
    shelters = [s for s in plan.shelters if s.id not in out]
    if r.open_shelters:
        if not isinstance(district, District):
            raise InputError(f"{scenario.where('resources.open_shelters')}: needs a district model network")
        sites = {s.id: s for s in district.spec.shelters}
        have = {s.id for s in shelters}
        new_sites = []
        for i, sid in enumerate(r.open_shelters):
            if sid not in sites:
                raise InputError(f"{scenario.where(f'resources.open_shelters.{i}')}: expected a shelter site of the "
                                 f"district ({', '.join(sorted(sites))}); found {sid!r}")
            if sid not in have and sid not in out:
                new_sites.append(sites[sid])
        nodes = district.facility_nodes(new_sites)
        for s, n in zip(new_sites, nodes):
            shelters.append(Shelter(s.id, s.name_zh, s.name_en, int(n), s.location[0], s.location[1],
                                    district.spec.shelter_capacity(s), s.kind, False))
    warehouses = [w for w in plan.warehouses if w.id not in out]
    sids, wids = {s.id for s in shelters}, {w.id for w in warehouses}
    sources = tuple(replace(src, lead_time_h=src.lead_time_h * r.supply_lead_time_factor,
                            daily_capacity_kg=src.daily_capacity_kg * r.supply_capacity_factor,
                            deliver_to=src.deliver_to if src.deliver_to in wids else None)
                    for src in plan.supply_sources if src.id not in out)
    craft = tuple(c for c in plan.relief_craft if c.id not in out and c.base in wids)
    return replace(
        plan, team_bases=tuple(bases), warehouses=tuple(warehouses), shelters=tuple(shelters),
        supply_sources=sources, relief_craft=craft,
        demand_shelter={n: s for n, s in plan.demand_shelter.items() if s in sids},
        shelter_warehouse={s: w for s, w in plan.shelter_warehouse.items() if s in sids and w in wids},
        meta={**plan.meta, "resources": scenario.resources.model_dump()},
    )


def build_plan(scenario: Scenario, district: District | RoadNetwork,
               choice: str | Path | None = None) -> tuple[Plan, str]:
    """The plan to simulate and its label: ``existing``, ``optimized`` or a plan JSON file.

    ``choice`` None takes the scenario's ``[plan]``; a file path is relative to the working directory.
    """
    p = scenario.plan
    if choice is None:
        choice = p.kind if p.kind != "file" else scenario.resolve(p.file)
        field_ = "plan"
    else:
        field_ = "--plan"
    net = district.network if isinstance(district, District) else district
    if isinstance(choice, str) and choice == "existing":
        if not isinstance(district, District):
            raise InputError(f"{scenario.where('network.source')}: the existing plan comes from a district's "
                             "facilities; on a bare OSM/GraphML network give a plan file (--plan FILE), or describe "
                             "the district in a manifest with a [facilities] layer (docs/manifest.md)")
        return _apply_resources(Plan.existing(district), scenario, district), "existing"
    if isinstance(choice, str) and choice in ("optimized", "optimised"):
        if not isinstance(district, District):
            raise InputError(f"{field_}: 'optimized' places facilities on a district model's candidate sites; "
                             "on an OSM/GraphML network use 'existing' or a plan file")
        # fresh hazard objects: a fire automaton queried by the optimiser would otherwise keep a
        # history without the suppression the simulation applies later
        hazards = build_hazards(scenario, district)
        try:
            plan, _report = optimize_district_plan(
                district, teams=p.teams, shelters=p.shelters, warehouses=p.warehouses, objective=p.objective,
                hazards_sets=[hazards], hazard_labels=[scenario.name], time_limit_s=p.time_limit_s)
        except InputError as exc:
            # the optimiser names its own argument (objective, teams, ...): point at that key
            head, _, rest = str(exc).partition(":")
            key = head.split("[")[0].strip()
            if key in PlanSpec.model_fields and rest:
                raise InputError(f"{scenario.where(f'plan.{key}')}:{rest}") from None
            raise InputError(f"{scenario.where('plan')}: {exc}") from None
        return _apply_resources(plan, scenario, district), "optimized"
    path = Path(choice)
    where = scenario.where("plan.file") if field_ == "plan" else "--plan"
    if not path.exists():
        raise InputError(f"{where}: plan file not found: {path} (or use 'existing' / 'optimized')")
    try:
        plan = Plan.from_dict(place_sites(plan_json(path, where), net, _known_sites(district), str(path)),
                              source=str(path))
        plan.check_against(net, source=str(path))
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        # a value of the wrong kind where the plan's own checks do not reach it: still one line
        raise InputError(f"{where}: {path}: not a valid plan ({type(exc).__name__}: {exc})") from None
    return _apply_resources(plan, scenario, district), path.name


def plan_json(path: Path, where: str) -> dict:
    """The plan file's JSON object (one-line errors naming the scenario field and the file)."""
    with at_field(where):
        d = parse_json(read_text_file(path, "a plan file (JSON)"), str(path))
    if not isinstance(d, dict):
        raise InputError(f"{path}: not a plan (expected a JSON object)")
    return d


def _known_sites(district: District | RoadNetwork) -> dict[str, KnownSite]:
    """Sites a plan file may name by id: the district's facilities and shelter sites (from its
    spec file or its manifest's facilities layer); none on a bare road network."""
    if not isinstance(district, District):
        return {}
    spec = district.spec
    items = [*spec.facilities, *spec.shelters]
    nodes = district.facility_nodes(items) if items else []
    return {f.id: KnownSite(int(n), f.location[0], f.location[1], f.name_zh, f.name_en) for f, n in zip(items, nodes)}




def plan_cost(plan: Plan, district: District | RoadNetwork) -> dict | None:
    """What ``plan`` adds to the district's plan of today, each addition costed, and the totals
    (:mod:`network.costs`); None on a bare road network (no plan of today to add to)."""
    if not isinstance(district, District):
        return None
    costs = load_costs(district.spec.costs, source="district")
    additions = plan_additions(plan, Plan.existing(district), costs)
    return {**cost_summary(additions, costs), "additions": [a.to_dict() for a in additions]}
