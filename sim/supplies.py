"""Relief supplies: warehouse stock, trucks to shelters, and relief of the people sheltered there.

Rule-based routing (no optimiser needed): a shelter's uncovered need is what its reserved
people need for one day minus what it holds, has on the way or has handed out. The assigned
warehouse (plan.shelter_warehouse) serves it first, else the nearest warehouse with a free
truck and stock. Trucks load, drive (re-routing round closures), unload and return.

Relief in place: people cut off from every shelter with room (all full, or none reachable)
but reachable by road from a warehouse get whole relief kits brought to where they are (the
in-place kit of the relief standard: no bedding, they have their own). Each
need (a shelter, or a node with cut-off people) is served oldest first; a truck to a node
carries kits for everyone cut off there, and brings back what it could not hand out.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import simpy

from .evacuation import Ledger, Party, ShelterState
from .params import SimParams
from .roads import Roads
from .supply_routes import RoundRouter, plan_rounds


@dataclass(eq=False)
class WarehouseState:
    """A warehouse during a run: what is left on its shelves and its trucks."""

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
    """Warehouses, trucks and relief at shelters and in place (see the module notes).

    ``router`` solves the optimiser mode's delivery rounds (``supply_routing="optimiser"``);
    the rule mode needs none.
    """

    def __init__(self, env: simpy.Environment, roads: Roads, params: SimParams, shelters: list[ShelterState],
                 warehouses: list[WarehouseState], assigned: dict[int, int], ledger: Ledger,
                 log: Callable[..., None], relieve_in_place: Callable[[Party, int, float | None], None] | None = None,
                 router: RoundRouter | None = None) -> None:
        self.env, self.roads, self.p = env, roads, params
        self.router = router
        self.shelters, self.warehouses, self.assigned = shelters, warehouses, assigned
        self.ledger, self.log = ledger, log
        self.needs = {k: v for k, v in params.needs_per_person.items() if v > 0}
        self.needs_in_place = {k: v for k, v in params.needs_in_place.items() if v > 0}
        self.cap_kg = params.truck_capacity_kg
        self._kit_kg = sum(per * params.item_kg[k] for k, per in self.needs.items()) or 1.0
        self._kit_kg_in_place = sum(per * params.item_kg[k] for k, per in self.needs_in_place.items()) or 1.0
        # what binds: when the district's stock of an item first could not make one person's
        # share while people waited, and when every truck was first out while a need waited
        self.ran_out_s: dict[str, float] = {}
        self.trucks_saturated_s = math.inf
        for s in shelters:
            for k in self.needs:
                s.stock.setdefault(k, 0.0)
                s.in_transit.setdefault(k, 0.0)
                s.consumed.setdefault(k, 0.0)
                s.delivered.setdefault(k, 0.0)
        self.in_transit_total = dict.fromkeys({**self.needs, **self.needs_in_place}, 0.0)
        # relief in place: cut-off parties per node (insertion order = oldest need first)
        self.relieve_in_place = relieve_in_place
        self.cut_off: dict[int, list[Party]] = {}
        self.cut_off_since: dict[int, float] = {}
        self.consumed_in_place = dict.fromkeys(self.needs_in_place, 0.0)
        self.delivered_in_place = dict.fromkeys(self.needs_in_place, 0.0)
        self.in_place_trips = 0
        self.rounds = 0                    # optimiser rounds sent
        # boats and aircraft for the cut-off people trucks cannot serve (sim.relief_craft), set by the engine
        self.craft: Any = None

    # ------------------------------------------------------------------ relief in place
    def add_cut_off(self, q: Party) -> None:
        """Register party ``q`` (cut off from shelters) for relief where it stands."""
        if self.relieve_in_place is None:
            return
        lst = self.cut_off.setdefault(q.node, [])
        if q not in lst:
            lst.append(q)
            self.cut_off_since.setdefault(q.node, self.env.now)

    def _waiting(self, node: int) -> list[Party]:
        """Cut-off parties at ``node`` that are affected and still need kits (prunes the rest)."""
        now = self.env.now
        keep, ready = [], []
        for q in self.cut_off.get(node, ()):
            if not q.cut_off or q.node != node or q.state not in ("home", "waiting_help", "stranded", "evacuating"):
                continue
            if q.people - q.relieved - q.kits_coming <= 0:
                keep.append(q)  # kits on the way: keep it until they are handed out
                continue
            keep.append(q)
            if q.group.affected_s <= now:
                ready.append(q)
        if keep:
            self.cut_off[node] = keep
        else:
            self.cut_off.pop(node, None)
            self.cut_off_since.pop(node, None)
        return ready

    def _kits(self, w: WarehouseState, needs: dict[str, float] | None = None) -> int:
        """Whole relief kits (one person's day of every item in ``needs``, default the shelter
        kit) the warehouse can load."""
        needs = self.needs if needs is None else needs
        if not needs:
            return 0
        return int(min(w.stock.get(k, 0.0) / per for k, per in needs.items()) + 1e-9)

    def _ready_warehouses(self) -> list[WarehouseState]:
        return [w for w in self.warehouses if w.idle > 0 and self._kits(w, self.needs_in_place) >= 1]

    def note_stock(self) -> None:
        """Record the first time the warehouses together cannot make one person's share of an item."""
        items = {**self.needs, **self.needs_in_place}
        if len(self.ran_out_s) == len(items):
            return  # every item has run out once: nothing left to record (dispatch is a hot path)
        now = self.env.now
        for k, per in items.items():
            if k not in self.ran_out_s and sum(w.stock.get(k, 0.0) for w in self.warehouses) < per - 1e-9:
                self.ran_out_s[k] = now

    def _someone_waits(self) -> bool:
        return bool(self.cut_off_since) or any(s.queue for s in self.shelters) or any(
            any(v > 1e-9 for v in self.uncovered(s).values()) for s in self.shelters if s.reserved > 0)

    def _dispatch_in_place(self, node: int, ready_wh: list[WarehouseState]) -> bool:
        """Send one truck from ``ready_wh`` with kits for the cut-off people at ``node``;
        False when there is nobody to serve there or no truck can reach them."""
        if not self._waiting(node):
            return False
        best, best_t = None, math.inf
        for w in ready_wh:
            t = self.roads.time(w.node, node)
            if t < best_t:
                best, best_t = w, t
        if best is None:
            return False
        plan, kits = self.claim_in_place(node, best, max(1, math.floor(self.cap_kg / self._kit_kg_in_place)))
        if not kits:
            return False
        best.idle -= 1
        best.trips += 1
        self.in_place_trips += 1
        self.env.process(self._relief_run(best, node, plan, kits))
        return True

    def waiting_nodes(self) -> list[int]:
        """Nodes with cut-off people who still need kits that nothing carries yet, oldest need first."""
        return [n for n in list(self.cut_off_since) if self._waiting(n)]

    def kit_mass_in_place(self) -> float:
        """Shipping mass (kg) of one in-place relief kit."""
        return self._kit_kg_in_place

    def kits_in_place(self, w: WarehouseState) -> int:
        """Whole in-place relief kits warehouse ``w`` can load."""
        return self._kits(w, self.needs_in_place)

    def claim_in_place(self, node: int, w: WarehouseState, max_kits: int) -> tuple[list[tuple[Party, int]], int]:
        """Load up to ``max_kits`` in-place kits at ``w`` for the cut-off people waiting at ``node``.

        Returns the kits promised to each party and the kits loaded (0: nothing to do); the
        kits are in transit until :meth:`hand_out_in_place` and :meth:`return_in_place`.
        """
        ready = self._waiting(node)
        want = sum(q.people - q.relieved - q.kits_coming for q in ready)
        kits = min(want, self.kits_in_place(w), max_kits)
        if kits < 1:
            return [], 0
        plan: list[tuple[Party, int]] = []
        left = kits
        for q in ready:
            k = min(left, q.people - q.relieved - q.kits_coming)
            if k > 0:
                q.kits_coming += k
                plan.append((q, k))
                left -= k
        for k, per in self.needs_in_place.items():
            w.stock[k] -= kits * per
            self.in_transit_total[k] += kits * per
        return plan, kits

    def hand_out_in_place(self, node: int, plan: list[tuple[Party, int]], reached: bool,
                          lower_bound_s: float | None = None) -> int:
        """At ``node`` (when ``reached``), hand the promised kits to the parties still there and
        still cut off (a crew may have taken them out meanwhile); returns the kits handed out.
        ``lower_bound_s``: the soonest this carrier could bring relief (None: a truck's)."""
        given = 0
        for q, k in plan:
            q.kits_coming -= k
            if reached and q.cut_off and q.node == node and q.state in ("home", "waiting_help", "stranded", "evacuating"):
                k = min(k, q.people - q.relieved)
                if k > 0:
                    self.relieve_in_place(q, k, lower_bound_s)
                    given += k
        for item, per in self.needs_in_place.items():
            self.in_transit_total[item] -= given * per
            self.consumed_in_place[item] += given * per
            self.delivered_in_place[item] += given * per
        return given

    def return_in_place(self, w: WarehouseState, kits: int) -> None:
        """Kits brought back unused go back on ``w``'s shelves."""
        for item, per in self.needs_in_place.items():
            self.in_transit_total[item] -= kits * per
            w.stock[item] += kits * per

    def _relief_run(self, w: WarehouseState, node: int, plan: list[tuple[Party, int]], kits: int):
        env = self.env
        self.log("truck_load_in_place", warehouse=w.id, node=node, kits=kits)
        yield env.timeout(self.p.load_min * 60.0)
        reached = yield from self.roads.drive(w.node, node, wait=False)
        if reached == node:
            yield env.timeout(self.p.unload_min * 60.0)
        given = self.hand_out_in_place(node, plan, reached == node)
        self.log("truck_unload_in_place", warehouse=w.id, node=node, kits=given, reached=reached == node)
        if reached != w.node:
            yield from self.roads.drive(reached, w.node)
        self.return_in_place(w, kits - given)
        w.idle += 1
        self.dispatch()

    # ------------------------------------------------------------------ needs
    def uncovered(self, s: ShelterState) -> dict[str, float]:
        """Per item, what the people reserved at ``s`` need beyond its stock, deliveries under way and use so far."""
        return {k: s.reserved * per - s.stock[k] - s.in_transit[k] - s.consumed[k] for k, per in self.needs.items()}

    def dispatch(self, *, rule_for_shelters: bool | None = None) -> None:
        """Send free trucks to shelters with uncovered needs and to cut-off people (oldest need
        first), then free relief craft to the cut-off people no truck took.

        Shelters are served by the simple rule unless ``supply_routing`` is "optimiser", whose
        rounds are planned once per hazard step (:meth:`plan_rounds`); cut-off people always
        by the rule.
        """
        self._dispatch_trucks(rule_for_shelters)
        if self.craft is not None and self.cut_off_since:
            self.craft.dispatch()

    def _dispatch_trucks(self, rule_for_shelters: bool | None) -> None:
        if rule_for_shelters is None:
            rule_for_shelters = self.p.supply_routing == "rule"
        needs = self.needs
        self.note_stock()
        if not any(w.idle > 0 for w in self.warehouses):
            if self.warehouses and math.isinf(self.trucks_saturated_s) and self._someone_waits():
                self.trucks_saturated_s = self.env.now
            return
        if not any(w.idle > 0 and any(w.stock.get(k, 0.0) >= 1 for k in needs) for w in self.warehouses):
            return  # no free truck with anything to load
        order = sorted(((s.first_need_s, 0, s.idx, s) for s in self.shelters if s.reserved > 0),
                       key=lambda x: x[:3]) if rule_for_shelters else []
        ready_wh = self._ready_warehouses() if self.cut_off_since else []
        if ready_wh:  # only then is it worth looking at the cut-off people: those a truck can reach now
            nodes = np.fromiter(self.cut_off_since, np.int64, len(self.cut_off_since))
            reach = np.zeros(len(nodes), bool)
            for w in ready_wh:
                reach |= np.isfinite(self.roads.tree_from(w.node)[nodes])
            # cut_off_since is in registration order, so already oldest first: merge, not sort
            in_place = [(self.cut_off_since[n], 1, n, n) for n in nodes[reach].tolist()]
            order = list(heapq.merge(order, in_place, key=lambda x: x[:2]))
        for _, kind, _, s in order:
            if kind == 1:
                while ready_wh and self._dispatch_in_place(s, ready_wh):
                    ready_wh = self._ready_warehouses()
                continue
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

    def plan_rounds(self) -> None:
        """Optimiser mode, once per hazard step: send the free trucks on the router's multi-stop
        rounds (:mod:`sim.supply_routes`), then serve what the rounds left out by the rule."""
        if self.needs and any(w.idle > 0 and self._kits(w) >= 1 for w in self.warehouses):
            for w, stops in self._rounds():
                kits = sum(k for _, k in stops)
                for s, k in stops:
                    for item, per in self.needs.items():
                        w.stock[item] -= k * per
                        s.in_transit[item] += k * per
                        self.in_transit_total[item] += k * per
                w.idle -= 1
                w.trips += 1
                self.rounds += 1
                self.env.process(self._round(w, stops, kits))
        self.dispatch(rule_for_shelters=True)

    def _rounds(self) -> list[tuple[WarehouseState, list[tuple[ShelterState, int]]]]:
        """The router's rounds for the shelters in need (oldest need first) and the free trucks."""
        p, now = self.p, self.env.now
        cap_kits = max(1, math.floor(self.cap_kg / self._kit_kg))
        stops: list[tuple[ShelterState, int]] = []
        for s in sorted((s for s in self.shelters if s.reserved > 0), key=lambda s: (s.first_need_s, s.idx)):
            unc = self.uncovered(s)
            kits = math.floor(min(unc[k] / per for k, per in self.needs.items()) + 1e-9)
            if kits >= 1:
                stops.append((s, min(kits, cap_kits)))
        trucks: list[tuple[WarehouseState, int]] = []
        for w in self.warehouses:
            left = self._kits(w)
            for _ in range(w.idle):
                c = min(cap_kits, left)
                if c < 1:
                    break
                trucks.append((w, c))
                left -= c
        if not stops or not trucks:
            return []
        rounds = plan_rounds(
            [s.node for s, _ in stops], [k for _, k in stops],
            [s.first_need_s + p.relief_target_h * 3600.0 - now for s, _ in stops],
            [w.node for w, _ in trucks], [c for _, c in trucks], self.roads.time,
            load_s=p.load_min * 60.0, unload_s=p.unload_min * 60.0, time_limit_s=p.routing_time_limit_s,
            solution_limit=p.routing_solution_limit, router=self.router)
        return [(trucks[v][0], [(stops[i][0], k) for i, k in visits]) for v, visits in rounds]

    def _round(self, w: WarehouseState, stops: list[tuple[ShelterState, int]], kits: int):
        env = self.env
        self.log("truck_load", warehouse=w.id, shelter=stops[0][0].id, round=" > ".join(s.id for s, _ in stops), kits=kits,
                 **{k: float(kits * per) for k, per in self.needs.items()})
        yield env.timeout(self.p.load_min * 60.0)
        at = w.node
        for s, k in stops:
            at = yield from self.roads.drive(at, s.node)
            yield env.timeout(self.p.unload_min * 60.0)
            for item, per in self.needs.items():
                s.in_transit[item] -= k * per
                self.in_transit_total[item] -= k * per
                s.stock[item] += k * per
                s.delivered[item] += k * per
            self.log("truck_unload", warehouse=w.id, shelter=s.id, kits=k,
                     **{item: float(k * per) for item, per in self.needs.items()})
            self.relieve(s)
        yield from self.roads.drive(at, w.node)
        w.idle += 1
        self.dispatch()

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
