"""A Plan: where teams, warehouses and shelters are, and who goes where. Plain data.

The simulation reads a Plan; the optimisation models write one. It round-trips through JSON
(``to_json``/``from_json``) and is written as GeoJSON points that QGIS opens. Node indices refer
to the road network the plan was made on; ``check_against`` verifies a plan fits a network.
"""
from __future__ import annotations

import json
import math
import numbers
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .checks import parse_json, read_text_file
from .errors import InputError
from .model import RoadNetwork
from .snap import snap_points
from .terrain import xy_of

# delivery trucks a warehouse keeps when its plan entry leaves them open (sim.params reads it too)
DEFAULT_TRUCKS_PER_WAREHOUSE = 3

#: the most people a shelter or a team may be given (China's largest cities hold ~2e7)
MAX_PEOPLE = 10_000_000


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


TEAM_TYPES = ("general", "flood", "water_rescue", "forest_fire", "hazmat", "medical", "engineering")
#: team type -> (zh, en)
TEAM_TYPE_NAMES: dict[str, tuple[str, str]] = {
    "general": ("综合救援", "general rescue"), "flood": ("防汛抢险", "flood control"),
    "water_rescue": ("水上救援", "water rescue"), "forest_fire": ("森林消防", "forest fire"),
    "hazmat": ("危化品处置", "hazmat"), "medical": ("医疗救护", "medical"), "engineering": ("工程抢险", "engineering"),
}
#: relief item -> (zh, en, unit zh, unit en); an empty unit: the item is counted
STOCK_ITEMS: dict[str, tuple[str, str, str, str]] = {
    "water_l": ("饮用水", "drinking water", "L", "L"), "food_rations": ("食品", "food rations", "份", ""),
    "bedding_sets": ("被褥", "bedding sets", "套", ""), "tents": ("帐篷", "tents", "顶", ""),
    "clothing_sets": ("衣物", "clothing sets", "套", ""),
}


@dataclass(frozen=True)
class Team:
    """A team at a base: its type (one of :data:`TEAM_TYPES`) and how many people it has."""

    type: str
    people: int


@dataclass(frozen=True)
class TeamBase:
    """Where teams are stationed; ``existing`` marks today's bases (False: placed by a plan)."""

    id: str
    name_zh: str
    name_en: str
    node: int
    lon: float
    lat: float
    teams: tuple[Team, ...] = ()
    existing: bool = False


@dataclass(frozen=True)
class Warehouse:
    """A relief-supply warehouse; ``existing`` marks today's warehouses (False: placed by a plan)."""

    id: str
    name_zh: str
    name_en: str
    node: int
    lon: float
    lat: float
    stock: dict[str, float] = field(default_factory=dict)
    existing: bool = False
    trucks: int | None = None     # delivery trucks kept here (None: the simulation's trucks_per_warehouse)


@dataclass(frozen=True)
class Shelter:
    """An evacuation shelter and the people it takes; ``existing`` marks today's shelters (False: placed by a plan)."""

    id: str
    name_zh: str
    name_en: str
    node: int
    lon: float
    lat: float
    capacity: int
    kind: str = "school"
    existing: bool = False


@dataclass(frozen=True)
class SupplySource:
    """Relief supplies from above the district (see :class:`network.district_spec.SupplySourceSpec`):
    ``node`` is where its vehicles enter the district's roads."""

    id: str
    name_zh: str
    name_en: str
    kind: str
    node: int
    lon: float
    lat: float
    items: dict[str, float]
    trigger: str = "activation"
    trigger_value: float = 0.0
    lead_time_h: float = 0.0
    daily_capacity_kg: float = 1.0
    vehicles: int = 1
    vehicle_capacity_kg: float = 8000.0
    deliver_to: str | None = None
    source: str = "estimate"

    def __post_init__(self) -> None:
        where = f"supply source {self.id!r}"
        for k, q in self.items.items():
            if not q >= 0:
                raise InputError(f"{where}: items.{k}: quantity must be >= 0, found {q!r}")
        for name in ("lead_time_h", "trigger_value"):
            if not getattr(self, name) >= 0:
                raise InputError(f"{where}: {name} must be >= 0, found {getattr(self, name)!r}")
        for name in ("daily_capacity_kg", "vehicle_capacity_kg"):
            if not getattr(self, name) > 0:
                raise InputError(f"{where}: {name} must be above 0, found {getattr(self, name)!r}")
        if not (isinstance(self.vehicles, int) and self.vehicles >= 1):
            raise InputError(f"{where}: vehicles must be a whole number >= 1, found {self.vehicles!r}")
        if self.trigger not in ("activation", "affected_people", "stock_below"):
            raise InputError(f"{where}: trigger must be activation, affected_people or stock_below, found {self.trigger!r}")


@dataclass(frozen=True)
class ReliefCraft:
    """A fleet of boats, helicopters or drones that carries in-place relief kits from its
    ``base`` warehouse (see :class:`network.district_spec.ReliefCraftSpec`); ``node`` is the
    base's road node."""

    id: str
    name_zh: str
    name_en: str
    kind: str
    base: str
    node: int
    count: int = 1
    payload_kg: float = 500.0
    speed_kmh: float | None = None
    range_km: float | None = None
    load_min: float = 20.0
    unload_min: float = 15.0
    ready_h: float = 0.0
    source: str = "estimate"

    def __post_init__(self) -> None:
        where = f"relief craft {self.id!r}"
        if self.kind not in ("boat", "helicopter", "drone"):
            raise InputError(f"{where}: kind must be boat, helicopter or drone, found {self.kind!r}")
        if not (isinstance(self.count, int) and self.count >= 1):
            raise InputError(f"{where}: count must be a whole number >= 1, found {self.count!r}")
        for name in ("payload_kg", "speed_kmh", "range_km"):
            v = getattr(self, name)
            if v is not None and not v > 0:
                raise InputError(f"{where}: {name} must be above 0, found {v!r}")
        if self.kind != "boat" and self.speed_kmh is None:
            raise InputError(f"{where}: speed_kmh: a {self.kind} needs its cruise speed")
        for name in ("load_min", "unload_min", "ready_h"):
            if not getattr(self, name) >= 0:
                raise InputError(f"{where}: {name} must be >= 0, found {getattr(self, name)!r}")

    @property
    def airborne(self) -> bool:
        """Flies straight over the hazard (helicopters, drones) rather than following roads and water."""
        return self.kind != "boat"


#: a supply source's entry point farther than this from every road node is off the network
ENTRY_MAX_DISTANCE_M = 3000.0


@dataclass(frozen=True)
class Plan:
    """Facilities and assignments. ``demand_shelter`` maps a demand node to a shelter id;
    ``shelter_warehouse`` maps a shelter id to the warehouse that supplies it."""

    name: str
    team_bases: tuple[TeamBase, ...] = ()
    warehouses: tuple[Warehouse, ...] = ()
    shelters: tuple[Shelter, ...] = ()
    demand_shelter: dict[int, str] = field(default_factory=dict)
    shelter_warehouse: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    supply_sources: tuple[SupplySource, ...] = ()
    relief_craft: tuple[ReliefCraft, ...] = ()

    # ------------------------------------------------------------------ construction
    @classmethod
    def existing(cls, district) -> "Plan":
        """Today's plan of a district: its facilities and its existing shelters, no assignments.

        Parameters
        ----------
        district
            A :class:`network.district.District`: its spec's facilities with teams become team
            bases, its relief warehouses warehouses, its existing shelters shelters, each at
            the network node nearest to it.

        Returns
        -------
        Plan
            Named ``"existing"``, every facility marked ``existing``, no assignments.
        """
        spec = district.spec
        nodes = district.facility_nodes()
        bases, warehouses = [], []
        for f, node in zip(spec.facilities, nodes):
            if f.teams:
                bases.append(TeamBase(f.id, f.name_zh, f.name_en, int(node), f.location[0], f.location[1],
                                      tuple(Team(t.type, t.people) for t in f.teams), True))
            if f.kind == "relief_warehouse":
                warehouses.append(Warehouse(f.id, f.name_zh, f.name_en, int(node), f.location[0], f.location[1],
                                            dict(f.stock), True))
        sites = [s for s in spec.shelters if s.existing]
        shelter_nodes = district.facility_nodes(sites)
        shelters = tuple(
            Shelter(s.id, s.name_zh, s.name_en, int(n), s.location[0], s.location[1], spec.shelter_capacity(s),
                    s.kind, True)
            for s, n in zip(sites, shelter_nodes)
        )
        wh_node = {w.id: w.node for w in warehouses}
        craft = tuple(ReliefCraft(c.id, c.name_zh, c.name_en, c.kind, c.base, wh_node[c.base], c.count,
                                  float(c.payload_kg), c.speed_kmh, c.range_km, float(c.load_min),
                                  float(c.unload_min), float(c.ready_h), c.source)
                      for c in spec.relief_craft)
        return cls("existing", tuple(bases), tuple(warehouses), shelters, meta={"source": "district spec"},
                   supply_sources=_supply_sources(district), relief_craft=craft)

    def with_assignments(self, demand_shelter: dict[int, str], shelter_warehouse: dict[str, str] | None = None) -> "Plan":
        """A copy with these assignments (demand node -> shelter id; shelter id -> warehouse id, kept when None)."""
        return replace(self, demand_shelter=dict(demand_shelter),
                       shelter_warehouse=dict(shelter_warehouse or self.shelter_warehouse))

    # ------------------------------------------------------------------ queries
    @property
    def shelter_capacity(self) -> int:
        """People all the plan's shelters take together."""
        return int(sum(s.capacity for s in self.shelters))

    def shelter(self, shelter_id: str) -> Shelter:
        """The shelter with this id; :class:`InputError` when the plan has none."""
        for s in self.shelters:
            if s.id == shelter_id:
                return s
        raise InputError(f"plan {self.name!r} has no shelter {shelter_id!r}")

    def squad_names(self, squad_id: str) -> tuple[str, str]:
        """A squad of the simulation (``base/type/number``, e.g. ``district-rescue-team/general/1``)
        as a person names it, (zh, en): its base's name, its type and its number; the id itself
        for an id of another form, the base's id when the plan does not know the base."""
        parts = squad_id.split("/")
        if len(parts) != 3:
            return squad_id, squad_id
        base_id, kind, number = parts
        base = next((b for b in self.team_bases if b.id == base_id), None)
        kind_zh, kind_en = TEAM_TYPE_NAMES.get(kind, (kind, kind))
        zh, en = (base.name_zh, base.name_en) if base is not None else (base_id, base_id)
        return f"{zh} {kind_zh} {number}", f"{en} {kind_en} {number}"

    def team_count(self, team_type: str | None = None) -> int:
        """Teams of ``team_type`` over all bases (every team when None)."""
        return sum(1 for b in self.team_bases for t in b.teams if team_type in (None, t.type))

    def check_against(self, net: RoadNetwork, source: str = "plan") -> None:
        """Raise if a facility's node is not on ``net`` or an assignment names a missing facility.

        Parameters
        ----------
        net
            The road network the plan's node indices should refer to.
        source
            Where the plan came from (a file name), to begin the message with.

        Raises
        ------
        InputError
            Listing up to ten problems: facilities or demand nodes off the network,
            assignments to unknown shelters or warehouses, ids that appear twice.
        """
        problems = []
        for kind, items in (("team base", self.team_bases), ("warehouse", self.warehouses), ("shelter", self.shelters),
                            ("supply source", self.supply_sources)):
            for item in items:
                if not isinstance(item.node, int) or isinstance(item.node, bool) or not 0 <= item.node < net.n_nodes:
                    problems.append(f"{kind} {item.id!r} is at node {item.node!r}, not on the network (0..{net.n_nodes - 1})")
        for kind, items in (("team base", self.team_bases), ("warehouse", self.warehouses), ("shelter", self.shelters)):
            for item in items:
                if not all(_is_number(v) and math.isfinite(v) for v in (item.lon, item.lat)):
                    problems.append(f"{kind} {item.id!r}: lon/lat must be finite numbers, found {item.lon!r}, {item.lat!r}")
        for s in self.shelters:
            if not (isinstance(s.capacity, numbers.Integral) and not isinstance(s.capacity, bool)
                    and 0 <= s.capacity <= MAX_PEOPLE):
                problems.append(f"shelter {s.id!r}: capacity must be a whole number of people from 0 to {MAX_PEOPLE:,}, "
                                f"found {s.capacity!r}")
        for w in self.warehouses:
            bad = {k: q for k, q in (w.stock.items() if isinstance(w.stock, dict) else [("stock", w.stock)])
                   if not (_is_number(q) and math.isfinite(q) and q >= 0)}
            if bad:
                problems.append(f"warehouse {w.id!r}: stock must be finite quantities >= 0, found {bad!r}")
        for b in self.team_bases:
            for t in b.teams:
                if not isinstance(t.type, str) or t.type not in TEAM_TYPES:
                    problems.append(f"team base {b.id!r}: team type {t.type!r} is not one of {', '.join(TEAM_TYPES)}")
                if not isinstance(t.people, int) or isinstance(t.people, bool) or not 0 <= t.people <= MAX_PEOPLE:
                    problems.append(f"team base {b.id!r}: team people {t.people!r} is not a whole number from 0 to "
                                    f"{MAX_PEOPLE:,}")
        shelter_ids = {s.id for s in self.shelters}
        warehouse_ids = {w.id for w in self.warehouses}
        for node, sid in self.demand_shelter.items():
            if sid not in shelter_ids:
                problems.append(f"demand node {node} is assigned to unknown shelter {sid!r}")
            if not 0 <= node < net.n_nodes:
                problems.append(f"demand node {node} is not on the network")
        for sid, wid in self.shelter_warehouse.items():
            if sid not in shelter_ids or wid not in warehouse_ids:
                problems.append(f"shelter {sid!r} -> warehouse {wid!r}: unknown id")
        for src in self.supply_sources:
            if src.deliver_to is not None and src.deliver_to not in warehouse_ids:
                problems.append(f"supply source {src.id!r} delivers to unknown warehouse {src.deliver_to!r}")
        for w in self.warehouses:
            if w.trucks is not None and not (isinstance(w.trucks, int) and not isinstance(w.trucks, bool)
                                             and 0 <= w.trucks <= 10_000):
                problems.append(f"warehouse {w.id!r}: trucks must be a whole number from 0 to 10,000, "
                                f"found {w.trucks!r}")
        for c in self.relief_craft:
            if c.base not in warehouse_ids:
                problems.append(f"relief craft {c.id!r} loads at unknown warehouse {c.base!r}")
        for label, items in (("team base", self.team_bases), ("warehouse", self.warehouses), ("shelter", self.shelters)):
            ids = [i.id for i in items]
            for dup in sorted({i for i in ids if ids.count(i) > 1}):
                problems.append(f"{label} id {dup!r} appears twice")
        if problems:
            raise InputError(f"{source}: " + "; ".join(problems[:10]) + (" …" if len(problems) > 10 else ""))

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """The plan as plain JSON-ready data (demand nodes as string keys)."""
        d = asdict(self)
        d["demand_shelter"] = {str(k): v for k, v in self.demand_shelter.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str = "plan") -> "Plan":
        """The plan :meth:`to_dict` wrote; :class:`InputError` naming ``source`` when ``d`` is not one."""
        try:
            return cls(
                name=str(d["name"]),
                team_bases=tuple(
                    TeamBase(**{**b, "teams": tuple(Team(**t) for t in b.get("teams", ()))}) for b in d.get("team_bases", ())
                ),
                warehouses=tuple(Warehouse(**w) for w in d.get("warehouses", ())),
                shelters=tuple(Shelter(**s) for s in d.get("shelters", ())),
                demand_shelter={int(k): str(v) for k, v in d.get("demand_shelter", {}).items()},
                shelter_warehouse={str(k): str(v) for k, v in d.get("shelter_warehouse", {}).items()},
                meta=dict(d.get("meta", {})),
                supply_sources=tuple(SupplySource(**src) for src in d.get("supply_sources", ())),
                relief_craft=tuple(ReliefCraft(**c) for c in d.get("relief_craft", ())),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{source}: not a valid plan ({type(exc).__name__}: {exc})") from None

    def to_json(self, path: str | Path) -> Path:
        """Write the plan as JSON (UTF-8, Chinese names as they are) to ``path``; returns the path."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
        return path

    @classmethod
    def from_json(cls, path: str | Path) -> "Plan":
        """Read a plan file that :meth:`to_json` wrote.

        Parameters
        ----------
        path
            The JSON file.

        Returns
        -------
        Plan

        Raises
        ------
        InputError
            When the file is missing, is not valid JSON, or does not hold a plan; the message
            names the file.
        """
        path = Path(path)
        data = parse_json(read_text_file(path, "a plan file (JSON)"), str(path))
        return cls.from_dict(data, source=str(path))

    def geojson(self) -> dict[str, Any]:
        """Facilities as a GeoJSON FeatureCollection of points (lon/lat) with their kind, names,
        capacities and ``existing`` flag."""
        feats = []
        for kind, items in (("team_base", self.team_bases), ("warehouse", self.warehouses), ("shelter", self.shelters),
                            ("supply_entry", self.supply_sources)):
            for it in items:
                props = {k: v for k, v in asdict(it).items() if k not in ("lon", "lat")}
                props["facility"] = kind
                props.setdefault("existing", True)  # supply entries are the district's, never placed
                props["name"] = f"{it.name_zh} / {it.name_en}"  # one label field for QGIS
                if kind == "team_base":
                    props["teams"] = ", ".join(f"{t.type}×{t.people}" for t in it.teams)
                feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [it.lon, it.lat]},
                              "properties": props})
        return {"type": "FeatureCollection", "name": self.name, "features": feats}

    def to_geojson(self, path: str | Path) -> Path:
        """Write :meth:`geojson` to ``path``."""
        path = Path(path)
        path.write_text(json.dumps(self.geojson(), ensure_ascii=False), encoding="utf-8")
        return path



def _supply_sources(district) -> tuple[SupplySource, ...]:
    """The district's supply sources, each entering at the road node nearest its entry point.

    Raises
    ------
    InputError
        When an entry point lies farther than :data:`ENTRY_MAX_DISTANCE_M` from every road node.
    """
    specs = district.spec.supply_sources
    if not specs:
        return ()
    net = district.network
    xy = xy_of([s.entry for s in specs], district.spec.district.crs)
    snapped = snap_points(net, xy[:, 0], xy[:, 1])
    out = []
    for i, (s, node, dist) in enumerate(zip(specs, snapped.node, snapped.distance_m)):
        if dist > ENTRY_MAX_DISTANCE_M:
            raise InputError(f"district file: supply_sources.{i}.entry: {s.entry} is {dist / 1000:.1f} km from "
                             f"the nearest road node (at most {ENTRY_MAX_DISTANCE_M / 1000:g} km): off the network")
        out.append(SupplySource(s.id, s.name_zh, s.name_en, s.kind, int(node), s.entry[0], s.entry[1],
                                {k: float(v) for k, v in s.items.items()}, s.trigger, float(s.trigger_value),
                                float(s.lead_time_h), float(s.daily_capacity_kg), int(s.vehicles),
                                float(s.vehicle_capacity_kg), s.deliver_to, s.source))
    return tuple(out)
