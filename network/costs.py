"""What a plan's additions cost: unit costs as data (``network/data/costs.toml``, every figure a
labelled estimate unless a district gives its own) and the costed list of what one plan adds to
another — new team bases and members, new warehouses and stock, shelter places fitted out,
agreement suppliers, boats and aircraft.

A district file or manifest overrides entries with a ``[costs]`` table of the same shape
(:func:`load_costs` merges it over the defaults, entry by entry).
"""
from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .cells import DEFAULT_CSV_ENCODING, csv_writer, open_csv
from .district_spec import format_validation_error
from .errors import InputError
from .plan import DEFAULT_TRUCKS_PER_WAREHOUSE, STOCK_ITEMS, TEAM_TYPES, Plan


class UnitCost(BaseModel):
    """One unit of a lever: what it costs once and every year, and where the figure comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    one_off_cny: float = Field(ge=0)
    annual_cny: float = Field(ge=0)
    source: str = Field(min_length=1)


class Horizon(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    years: float = Field(gt=0, le=50)
    source: str = ""


class CostTable(BaseModel):
    """Unit costs of every lever (see ``network/data/costs.toml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    horizon: Horizon
    items: dict[str, UnitCost]
    warehouse: UnitCost
    truck: UnitCost
    team_base: UnitCost
    team_members: dict[str, UnitCost]
    shelter_places: dict[str, UnitCost]
    agreement_supplier: UnitCost
    relief_craft: dict[str, UnitCost]

    def check_complete(self, source: str) -> None:
        """Every relief item, team type and shelter kind has a cost (a lever without one is refused)."""
        for group, names in (("items", STOCK_ITEMS), ("team_members", TEAM_TYPES),
                             ("shelter_places", ("school", "park", "square", "stadium", "community_centre")),
                             ("relief_craft", ("boat", "helicopter", "drone"))):
            missing = [n for n in names if n not in getattr(self, group)]
            if missing:
                raise InputError(f"{source}: costs.{group}: no cost for {', '.join(missing)}")


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
    return out


@lru_cache(maxsize=1)
def _default_costs() -> dict[str, Any]:
    """The packaged unit costs as read (never changed: :func:`_merge` builds new tables)."""
    return tomllib.loads(resources.files("network").joinpath("data/costs.toml").read_text(encoding="utf-8"))


def load_costs(overrides: dict[str, Any] | None = None, *, source: str = "costs") -> CostTable:
    """The default unit costs with a district's ``[costs]`` entries merged over them.

    Raises
    ------
    InputError
        One line naming the entry: a negative or missing figure, an unknown key, an entry
        without a source, or a lever left without a cost.
    """
    raw = _merge(_default_costs(), overrides or {})
    try:
        table = CostTable.model_validate(raw)
    except ValidationError as exc:
        raise InputError(format_validation_error(exc, f"{source}: costs").splitlines()[0]) from None
    table.check_complete(source)
    return table


@dataclass(frozen=True)
class Addition:
    """One costed addition: the lever, where, how much, and what it costs."""

    lever: str
    site: str
    amount: float
    unit: str
    one_off_cny: float
    annual_cny: float
    source: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def plan_additions(plan: Plan, base: Plan, costs: CostTable, *,
                   default_trucks: int = DEFAULT_TRUCKS_PER_WAREHOUSE) -> list[Addition]:
    """What ``plan`` adds to ``base``, each addition costed (nothing for what it keeps or removes).

    New team bases cost the base and their members; members added at a kept base cost the
    members; new warehouses cost the store; trucks above what a warehouse kept cost the trucks;
    stock above what the same warehouse held costs the items; shelter places above a kept
    shelter's capacity (or all of a new shelter's) cost the fitting out for its kind; new
    agreement suppliers their contract; craft above a fleet's count their units. A warehouse
    whose trucks are left open keeps ``default_trucks`` (the simulation's ``trucks_per_warehouse``).
    """
    out: list[Addition] = []

    def add(lever: str, site: str, amount: float, unit: str, c: UnitCost) -> None:
        if amount > 0:
            out.append(Addition(lever, site, float(amount), unit, amount * c.one_off_cny, amount * c.annual_cny, c.source))

    old_bases = {b.id: b for b in base.team_bases}
    for b in plan.team_bases:
        if b.id not in old_bases:
            add("team_base", b.id, 1, "base", costs.team_base)
        for ttype, people in _people_by_type(b).items():
            before = _people_by_type(old_bases[b.id]).get(ttype, 0) if b.id in old_bases else 0
            add(f"team_members:{ttype}", b.id, people - before, "people", costs.team_members[ttype])
    old_wh = {w.id: w for w in base.warehouses}
    for w in plan.warehouses:
        held = old_wh[w.id].stock if w.id in old_wh else {}
        if w.id not in old_wh:
            add("warehouse", w.id, 1, "store", costs.warehouse)
        trucks_before = _trucks(old_wh[w.id], default_trucks) if w.id in old_wh else 0
        add("truck", w.id, _trucks(w, default_trucks) - trucks_before, "trucks", costs.truck)
        for item, q in w.stock.items():
            unit = STOCK_ITEMS.get(item, ("", "", "", "unit"))[3] or "units"
            add(f"stock:{item}", w.id, q - held.get(item, 0.0), unit, costs.items[item])
    old_sh = {s.id: s.capacity for s in base.shelters}
    for s in plan.shelters:
        add(f"shelter_places:{s.kind}", s.id, s.capacity - old_sh.get(s.id, 0), "places", costs.shelter_places[s.kind])
    old_src = {x.id for x in base.supply_sources}
    for x in plan.supply_sources:
        if x.id not in old_src and x.kind == "agreement":
            add("agreement_supplier", x.id, 1, "contract", costs.agreement_supplier)
    old_craft = {c.id: c.count for c in base.relief_craft}
    for c in plan.relief_craft:
        add(f"relief_craft:{c.kind}", c.id, c.count - old_craft.get(c.id, 0), "units", costs.relief_craft[c.kind])
    return out




def _trucks(w, default: int) -> int:
    return default if w.trucks is None else int(w.trucks)


def _people_by_type(base) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in base.teams:
        out[t.type] = out.get(t.type, 0) + t.people
    return out


def cost_summary(additions: list[Addition], costs: CostTable) -> dict[str, Any]:
    """One-off, annual and horizon totals of a list of additions (CNY)."""
    one_off = sum(a.one_off_cny for a in additions)
    annual = sum(a.annual_cny for a in additions)
    years = costs.horizon.years
    return {"one_off_cny": round(one_off, 2), "annual_cny": round(annual, 2), "horizon_years": years,
            "horizon_cny": round(one_off + annual * years, 2),
            "estimates": sorted({a.lever for a in additions if a.source.startswith("estimate")})}


def write_additions_csv(path: Path, additions: list[dict[str, Any]], encoding: str = DEFAULT_CSV_ENCODING) -> Path:
    """One row per costed addition (by default UTF-8 with a BOM, as Excel on Chinese Windows reads it)."""
    keys = ["lever", "site", "amount", "unit", "one_off_cny", "annual_cny", "source"]
    with open_csv(path, encoding) as f:
        w = csv_writer(f)  # site names come from district files
        w.writerow(keys)
        w.writerows([round(a[k], 2) if isinstance(a[k], float) else a[k] for k in keys] for a in additions)
    return Path(path)
