"""Validated parameters of the response simulation.

Defaults are traceable: relief needs one day of supplies per person as the relief standard
(``network/data/relief_standard.toml``: Sphere's 3 L drinking and 3 L cooking water, one 2,100 kcal
ration, and a bedding set in public shelters; docs/references/hazards.md §5.3–§5.4), the 10-hour target
comes from the plan (docs/references/targets.md §2), the channel figures and the other
assumptions are planning estimates a planner should replace with local ones (listed in
docs/references/hazards.md §6.5).
Every bad value raises :class:`~network.errors.InputError` naming the field.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from network.errors import InputError
from network.plan import DEFAULT_TRUCKS_PER_WAREHOUSE

from network.relief_standard import DEFAULT_STANDARD

#: which team types may serve which request kinds (dispatch picks the nearest capable one)
DEFAULT_CAPABLE: dict[str, tuple[str, ...]] = {
    "trapped": ("water_rescue", "flood", "general"),
    "casualty": ("medical", "general"),
    "assist": ("general", "flood", "water_rescue", "engineering"),
    "fire_line": ("forest_fire",),
    "hazmat": ("hazmat",),
    "evacuate": ("water_rescue", "flood"),
}
#: priority class per request kind (0 = most urgent)
#: (the cut-off who can move themselves are taken out by boat last: the vulnerable first)
DEFAULT_PRIORITY: dict[str, int] = {"trapped": 0, "hazmat": 0, "casualty": 1, "fire_line": 1, "assist": 2,
                                    "evacuate": 3}
#: mean on-scene minutes per request kind (durations are exponential around it)
DEFAULT_SCENE_MIN: dict[str, float] = {"trapped": 45.0, "casualty": 30.0, "assist": 30.0,
                                       "fire_line": 240.0, "hazmat": 120.0, "evacuate": 15.0}


def _num(name: str, value: Any, lo: float = 0.0, hi: float = math.inf, *, open_lo: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected a number, found {value!r}") from None
    if not math.isfinite(v) and not (hi == math.inf and v == math.inf):
        raise InputError(f"{name}: must be finite, found {value!r}")
    if v < lo or (open_lo and v == lo) or v > hi:
        rng = f"({lo}, {hi}]" if open_lo else f"[{lo}, {hi}]"
        raise InputError(f"{name}: must lie in {rng}, found {value!r}")
    return v


@dataclass(frozen=True)
class WarningChannel:
    """A public warning channel: mean delay after issue, share of people it reaches, and whether
    it fails where the hazard already is (power or communications lost)."""

    name: str
    name_zh: str
    delay_min: float
    reach: float
    fails_in_hazard: bool = True
    failure_prob: float = 0.0

    def __post_init__(self) -> None:
        _num(f"warning channel {self.name}: delay_min", self.delay_min)
        _num(f"warning channel {self.name}: reach", self.reach, 0.0, 1.0)
        _num(f"warning channel {self.name}: failure_prob", self.failure_prob, 0.0, 1.0)


DEFAULT_CHANNELS: tuple[WarningChannel, ...] = (
    WarningChannel("emergency broadcast", "应急广播", 15.0, 0.45, True, 0.05),
    WarningChannel("cell broadcast SMS", "手机预警短信", 10.0, 0.75, True, 0.05),
    WarningChannel("village loudspeakers", "村村响大喇叭", 20.0, 0.50, True, 0.10),
    WarningChannel("door-to-door grid workers", "网格员入户", 90.0, 0.90, False, 0.0),
)

#: items a person needs for one day of basic relief in a shelter, and where they are (in place),
#: from the relief standard; and the items' shipping mass (kg per unit)
DEFAULT_NEEDS: dict[str, float] = DEFAULT_STANDARD.kit("shelter")
DEFAULT_NEEDS_IN_PLACE: dict[str, float] = DEFAULT_STANDARD.kit("in_place")
#: share of evacuees who stay with relatives or friends (分散安置, 投亲靠友) by township kind;
#: planning estimates (docs/references/hazards.md §6.5), "other" for nodes outside any township
DEFAULT_RELATIVES_SHARE: dict[str, float] = {"subdistrict": 0.4, "town": 0.5, "township": 0.6, "other": 0.4}
#: share of evacuees whose household drives them out (the rest walk), by township kind; planning
#: estimates of the order of national household-survey car ownership (docs/references/hazards.md §6.5)
DEFAULT_CAR_SHARE: dict[str, float] = {"subdistrict": 0.5, "town": 0.4, "township": 0.35, "other": 0.4}
#: share of people cut off at home by flood water who stay upstairs in their (multi-storey)
#: house rather than wait for a boat, by township kind; planning estimates (§6.5)
DEFAULT_UPSTAIRS_SHARE: dict[str, float] = {"subdistrict": 0.6, "town": 0.4, "township": 0.3, "other": 0.3}
DEFAULT_ITEM_KG: dict[str, float] = {"water_l": 1.0, "food_rations": 0.5, "bedding_sets": 3.0, "tents": 25.0}


@dataclass(frozen=True)
class SimParams:
    """Everything the response simulation takes besides the network, hazards and plan.

    Fields by group (the defaults and their sources: the module notes):

    - **run**: ``duration_h``, ``hazard_step_s`` (how often the hazards are read), ``seed``;
    - **warnings**: ``channels`` (:class:`WarningChannel`), ``warning_issue_delay_min``;
    - **people**: ``help_share``, ``prep_min``; ``car_share`` by township kind (the rest
      walk), ``evac_speed_factor`` (cars: share of the current road speed in evacuation
      traffic), ``walk_speed_kmh``; ``upstairs_share`` by township kind (cut off at home by
      flood water, they stay upstairs and wait for supplies rather than a boat);
    - **rescue requests**: ``rescue_rate_per_1000_h``, ``trapped_share``, and per request kind
      ``capable`` team types, ``priority`` and mean ``scene_min``; ``dispatch_policy``;
    - **teams**: ``squad_size``, ``shift_h``, ``rest_h``;
    - **water rescue**: ``boat_types``, ``boat_speed_kmh``, ``rescue_capacity``;
    - **dispersed shelter**: ``relatives_share`` by township kind (evacuees hosted by relatives
      or friends: relieved on arrival, no public kit);
    - **supplies**: ``needs_per_person`` (in a shelter), ``needs_in_place``, ``item_kg``, ``trucks_per_warehouse``,
      ``truck_capacity_kg``, ``load_min``, ``unload_min``; ``supply_routing`` ("rule" or
      "optimiser") with ``routing_time_limit_s`` and ``routing_solution_limit``;
    - **fire suppression**: ``suppression_radius_m``, ``suppression_factor``;
    - **indicators and output**: ``relief_target_h``, ``log_events``.

    Raises
    ------
    InputError
        On construction, for the first field out of its range, naming the field.
    """

    duration_h: float = 72.0
    hazard_step_s: float = 900.0
    seed: int = 0
    # warnings
    channels: tuple[WarningChannel, ...] = DEFAULT_CHANNELS
    warning_issue_delay_min: float = 20.0
    # people
    help_share: float = 0.05          # share who cannot leave alone (elderly, disabled, trapped)
    prep_min: float = 30.0            # mean time to get ready once warned or hit
    evac_speed_factor: float = 0.5    # evacuees by car move at this share of the current road speed
    walk_speed_kmh: float = 4.0       # evacuees on foot (about 1.1 m/s), never faster than the road
    car_share: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_CAR_SHARE))
    upstairs_share: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_UPSTAIRS_SHARE))
    # rescue requests: Poisson, rate per 1,000 affected people still in place, per hour
    rescue_rate_per_1000_h: float = 0.2
    trapped_share: float = 0.7        # the rest are casualties
    capable: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_CAPABLE))
    priority: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PRIORITY))
    scene_min: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SCENE_MIN))
    dispatch_policy: str = "priority"  # "priority" (class, then arrival) or "fifo"
    # teams
    squad_size: int = 6               # a plan team of N people fields max(1, N // squad_size) squads
    shift_h: float = 12.0
    rest_h: float = 8.0
    # water rescue: these team types carry boats; on edges under flood water they travel at the
    # boat speed (elsewhere by road), so they reach people whose roads are flooded
    boat_types: tuple[str, ...] = ("water_rescue", "flood")
    boat_speed_kmh: float = 8.0
    rescue_capacity: int = 12         # people a squad brings out of a "trapped" call per trip
    # dispersed shelter: share of evacuees who go to relatives or friends, by township kind
    relatives_share: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RELATIVES_SHARE))
    # supplies
    needs_per_person: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_NEEDS))
    needs_in_place: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_NEEDS_IN_PLACE))
    item_kg: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_ITEM_KG))
    trucks_per_warehouse: int = DEFAULT_TRUCKS_PER_WAREHOUSE
    truck_capacity_kg: float = 8000.0
    load_min: float = 30.0
    unload_min: float = 20.0
    # shelters' supplies: "rule" (nearest warehouse with a free truck, one shelter a trip) or
    # "optimiser" (multi-depot rounds with relief-window time windows, planned per hazard step)
    supply_routing: str = "rule"
    routing_time_limit_s: float = 2.0
    routing_solution_limit: int = 40  # a search that stops on this count is reproducible
    # fire suppression: crews cut ignition probability within this radius of their position
    suppression_radius_m: float = 300.0
    suppression_factor: float = 0.2
    # KPI
    relief_target_h: float = 10.0
    log_events: bool = True

    def __post_init__(self) -> None:
        _num("duration_h", self.duration_h, 0.0, 24 * 365, open_lo=True)
        _num("hazard_step_s", self.hazard_step_s, 0.0, 86400, open_lo=True)
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            raise InputError(f"seed: expected a non-negative integer, found {self.seed!r}")
        if not self.channels or not all(isinstance(c, WarningChannel) for c in self.channels):
            raise InputError("channels: expected one or more WarningChannel")
        _num("warning_issue_delay_min", self.warning_issue_delay_min)
        _num("help_share", self.help_share, 0.0, 1.0)
        _num("prep_min", self.prep_min)
        _num("evac_speed_factor", self.evac_speed_factor, 0.0, 1.0, open_lo=True)
        _num("walk_speed_kmh", self.walk_speed_kmh, 0.0, 20.0, open_lo=True)
        for name in ("car_share", "upstairs_share", "relatives_share"):
            shares = getattr(self, name)
            if not isinstance(shares, dict):
                raise InputError(f"{name}: expected a mapping of township kind to a share, found {shares!r}")
            for k, v in shares.items():
                _num(f"{name}[{k!r}]", v, 0.0, 1.0)
        _num("rescue_rate_per_1000_h", self.rescue_rate_per_1000_h)
        _num("trapped_share", self.trapped_share, 0.0, 1.0)
        for kind in DEFAULT_CAPABLE:
            if not self.capable.get(kind):
                raise InputError(f"capable[{kind!r}]: name at least one team type")
            if kind not in self.priority:
                raise InputError(f"priority[{kind!r}]: missing")
            _num(f"scene_min[{kind!r}]", self.scene_min.get(kind, -1), 0.0)
        if self.dispatch_policy not in ("priority", "fifo"):
            raise InputError(f"dispatch_policy: 'priority' or 'fifo', found {self.dispatch_policy!r}")
        if not isinstance(self.squad_size, int) or self.squad_size < 1:
            raise InputError(f"squad_size: expected a positive integer, found {self.squad_size!r}")
        _num("shift_h", self.shift_h, 0.0, open_lo=True)
        _num("rest_h", self.rest_h)
        if not isinstance(self.boat_types, (tuple, list)) or not all(isinstance(t, str) for t in self.boat_types):
            raise InputError(f"boat_types: expected a list of team types, found {self.boat_types!r}")
        _num("boat_speed_kmh", self.boat_speed_kmh, 0.0, open_lo=True)
        if not isinstance(self.rescue_capacity, int) or isinstance(self.rescue_capacity, bool) or self.rescue_capacity < 1:
            raise InputError(f"rescue_capacity: expected a positive integer, found {self.rescue_capacity!r}")
        for name in ("needs_per_person", "needs_in_place"):
            needs = getattr(self, name)
            if not isinstance(needs, dict) or not _num(f"{name}['water_l']", needs.get("water_l", 0.0)) > 0:
                raise InputError(f"{name}['water_l']: a relief standard needs drinking water above 0 L "
                                 f"per person-day, found {needs.get('water_l', 0.0) if isinstance(needs, dict) else needs!r}")
            for k, v in needs.items():
                _num(f"{name}[{k!r}]", v)
                if k not in self.item_kg:
                    raise InputError(f"item_kg[{k!r}]: missing shipping mass for a needed item")
        for k, v in self.item_kg.items():
            _num(f"item_kg[{k!r}]", v, 0.0, open_lo=True)
        if not isinstance(self.trucks_per_warehouse, int) or self.trucks_per_warehouse < 0:
            raise InputError(f"trucks_per_warehouse: expected a non-negative integer, found {self.trucks_per_warehouse!r}")
        _num("truck_capacity_kg", self.truck_capacity_kg, 0.0, open_lo=True)
        _num("load_min", self.load_min)
        _num("unload_min", self.unload_min)
        if self.supply_routing not in ("rule", "optimiser"):
            raise InputError(f"supply_routing: 'rule' or 'optimiser', found {self.supply_routing!r}")
        _num("routing_time_limit_s", self.routing_time_limit_s, 0.0, 3600.0, open_lo=True)
        if (not isinstance(self.routing_solution_limit, int) or isinstance(self.routing_solution_limit, bool)
                or self.routing_solution_limit < 1):
            raise InputError(f"routing_solution_limit: expected a positive integer, found {self.routing_solution_limit!r}")
        _num("suppression_radius_m", self.suppression_radius_m, 0.0, open_lo=True)
        _num("suppression_factor", self.suppression_factor, 0.0, 1.0)
        _num("relief_target_h", self.relief_target_h, 0.0, open_lo=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "SimParams":
        """Parameters from a plain mapping (e.g. a scenario file); unknown keys are errors.

        Parameters
        ----------
        d
            Field names to values; missing fields keep their defaults (None: all defaults).
            ``boat_types`` may be a list, ``channels`` a list of mappings of
            :class:`WarningChannel` fields.

        Returns
        -------
        SimParams

        Raises
        ------
        InputError
            On an unknown key (the message lists the known ones), a channel with unknown or
            missing fields, or a value out of its range.
        """
        d = dict(d or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise InputError(f"{unknown[0]}: unknown simulation parameter; known: {sorted(known)}")
        for name, default in (("capable", DEFAULT_CAPABLE), ("priority", DEFAULT_PRIORITY),
                              ("scene_min", DEFAULT_SCENE_MIN)):
            if name in d and not isinstance(d[name], dict):
                raise InputError(f"{name}: expected a mapping of request kind to a value, found {d[name]!r}")
            if name in d:  # a scenario names the kinds it changes; the rest keep their defaults
                d[name] = {**default, **d[name]}
        if "capable" in d:
            d["capable"] = {k: tuple(v) if isinstance(v, list) else v for k, v in d["capable"].items()}
        if "boat_types" in d and isinstance(d["boat_types"], list):
            d["boat_types"] = tuple(d["boat_types"])
        if "channels" in d:
            try:
                d["channels"] = tuple(c if isinstance(c, WarningChannel) else WarningChannel(**c) for c in d["channels"])
            except TypeError as exc:
                raise InputError(f"channels: {exc}") from None
        try:
            return cls(**d)
        except (TypeError, AttributeError, ValueError) as exc:
            # a value of the wrong kind where a check above does not reach it: still one line, exit 2
            raise InputError(f"simulation parameters: a value has the wrong type ({exc})") from None

    def with_(self, **kw: Any) -> "SimParams":
        """A copy with the fields in ``kw`` replaced (checked again)."""
        return replace(self, **kw)
