"""Relief supplies: warehouse stock, trucks to shelters, and relief of the people sheltered there.

Rule-based routing (no optimiser needed): a shelter's uncovered need is what its reserved
people need for one day minus what it holds, has on the way or has handed out. The assigned
warehouse (plan.shelter_warehouse) serves it first, else the nearest warehouse with a free
truck and stock. Trucks load, drive (re-routing round closures), unload and return.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import simpy

from .evacuation import Ledger, ShelterState
from .params import SimParams
from .roads import Roads


@dataclass(eq=False)
class WarehouseState:
    idx: int
    id: str
    node: int
    stock: dict[str, float]
    initial: dict[str, float]
    trucks: int
    idle: int = field(init=False)
    trips: int = 0

    def __post_init__(self) -> None:
        self.idle = self.trucks


class Supplies:
    def __init__(self, env: simpy.Environment, roads: Roads, params: SimParams, shelters: list[ShelterState],
                 warehouses: list[WarehouseState], assigned: dict[int, int], ledger: Ledger,
                 log: Callable[..., None]) -> None:
        self.env, self.roads, self.p = env, roads, params
        self.shelters, self.warehouses, self.assigned = shelters, warehouses, assigned
        self.ledger, self.log = ledger, log
        self.needs = {k: v for k, v in params.needs_per_person.items() if v > 0}
        self.cap_kg = params.truck_capacity_kg
        self._kit_kg = sum(per * params.item_kg[k] for k, per in self.needs.items()) or 1.0
        for s in shelters:
            for k in self.needs:
                s.stock.setdefault(k, 0.0)
                s.in_transit.setdefault(k, 0.0)
                s.consumed.setdefault(k, 0.0)
                s.delivered.setdefault(k, 0.0)
        self.in_transit_total = dict.fromkeys(self.needs, 0.0)

    # ------------------------------------------------------------------ needs
    def uncovered(self, s: ShelterState) -> dict[str, float]:
        return {k: s.reserved * per - s.stock[k] - s.in_transit[k] - s.consumed[k] for k, per in self.needs.items()}

    def dispatch(self) -> None:
        """Send free trucks to shelters with uncovered needs (oldest need first)."""
        order = sorted((s for s in self.shelters if s.reserved > 0), key=lambda s: (s.first_need_s, s.idx))
        for s in order:
            while True:
                need = {k: v for k, v in self.uncovered(s).items() if v > 1e-9}
                if not need:
                    break
                w = self._pick(s, need)
                if w is None:
                    break
                # whole relief kits (one person's day of every item) when the warehouse has them all,
                # so a truck never leaves a shelter with water but no bedding
                kits = min(min(need.get(k, 0.0), w.stock.get(k, 0.0)) / per for k, per in self.needs.items())
                kits = min(math.floor(kits), math.floor(self.cap_kg / self._kit_kg))
                if kits >= 1:
                    load = {k: kits * per for k, per in self.needs.items()}
                else:
                    load = {k: min(v, w.stock.get(k, 0.0)) for k, v in need.items()}
                mass = sum(load[k] * self.p.item_kg[k] for k in load)
                if mass > self.cap_kg:  # scale every item down alike, in whole units
                    f = self.cap_kg / mass
                    load = {k: math.floor(v * f) for k, v in load.items()}
                load = {k: v for k, v in load.items() if v > 0}
                if not load:
                    break
                for k, v in load.items():
                    w.stock[k] -= v
                    s.in_transit[k] += v
                    self.in_transit_total[k] += v
                w.idle -= 1
                w.trips += 1
                self.env.process(self._truck(w, s, load))

    def _pick(self, s: ShelterState, need: dict[str, float]) -> WarehouseState | None:
        def usable(w: WarehouseState) -> bool:
            return w.idle > 0 and any(w.stock.get(k, 0.0) >= 1 for k in need)

        first = self.assigned.get(s.idx, -1)
        if first >= 0 and usable(self.warehouses[first]) and math.isfinite(self.roads.time(self.warehouses[first].node, s.node)):
            return self.warehouses[first]
        best, best_t = None, math.inf
        for w in self.warehouses:
            if usable(w):
                t = self.roads.time(w.node, s.node)
                if t < best_t:
                    best, best_t = w, t
        return best

    def _truck(self, w: WarehouseState, s: ShelterState, load: dict[str, float]):
        env = self.env
        self.log("truck_load", warehouse=w.id, shelter=s.id, **{k: float(v) for k, v in load.items()})
        yield env.timeout(self.p.load_min * 60.0)
        yield from self.roads.drive(w.node, s.node)
        yield env.timeout(self.p.unload_min * 60.0)
        for k, v in load.items():
            s.in_transit[k] -= v
            self.in_transit_total[k] -= v
            s.stock[k] += v
            s.delivered[k] += v
        self.log("truck_unload", warehouse=w.id, shelter=s.id, **{k: float(v) for k, v in load.items()})
        self.relieve(s)
        yield from self.roads.drive(s.node, w.node)
        w.idle += 1
        self.dispatch()

    # ------------------------------------------------------------------ relief
    def relieve(self, s: ShelterState) -> None:
        """Hand one day's supplies to the people waiting at ``s``, first come first served."""
        now = self.env.now
        while s.queue:
            party = s.queue[0]
            left = party.people - party.relieved
            k = left
            for item, per in self.needs.items():
                k = min(k, int(s.stock[item] // per + 1e-9))
            if k <= 0:
                return
            for item, per in self.needs.items():
                s.stock[item] -= k * per
                s.consumed[item] += k * per
            party.relieved += k
            party.relief.append((now, k))
            self.ledger.shift("sheltered", "relieved", k)
            if party.relieved == party.people:
                party.state = "relieved"
                s.queue.popleft()
                self.log("relieved", group=party.group.id, party=party.id, shelter=s.id, people=party.people)
            else:
                return
