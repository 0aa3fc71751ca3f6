"""Relief supplies from outside the district: city and provincial reserves, agreement suppliers
and donations (the plan's ``supply_sources``).

A source is triggered once — the response is activated (the first person affected), the
affected people pass its ``trigger_value``, or the warehouses' stock of an item falls below
``trigger_value`` of what they held at the start. ``lead_time_h`` later its first day's tranche
(``daily_capacity_kg``) is ready at its entry point on the district's edge, and another each
day after, until its items are used up. Its own vehicles carry each load by road — waiting
where the roads are cut — to the warehouse it delivers to (``deliver_to``, else the nearest
one they can reach), where the district's trucks take over. Loads mix the items in proportion
to what the source has left, by mass. Nothing is created or lost: what a source held is what
it still holds, what is on its vehicles, and what it unloaded.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import simpy

from network.errors import InputError
from network.plan import SupplySource

from .params import SimParams
from .roads import Roads
from .supplies import Supplies, WarehouseState

_DAY_S = 86400.0


@dataclass(eq=False)
class SourceState:
    """A supply source during a run: what it still holds, has on the road and has unloaded."""

    source: SupplySource
    left: dict[str, float]
    triggered_s: float = math.inf
    ready_s: float = math.inf
    taken_kg: float = 0.0
    on_road: dict[str, float] = field(default_factory=dict)
    delivered: dict[str, float] = field(default_factory=dict)
    first_arrival_s: float = math.inf
    trips: int = 0
    first_held_up_s: float = 0.0      # the first load's time on the road beyond the free-flow drive


class Resupply:
    """The supply sources of a run (see the module notes); :meth:`check` is called every hazard step."""

    def __init__(self, env: simpy.Environment, roads: Roads, params: SimParams, supplies: Supplies,
                 warehouses: list[WarehouseState], sources: tuple[SupplySource, ...],
                 log: Callable[..., None]) -> None:
        self.env, self.roads, self.p, self.supplies, self.log = env, roads, params, supplies, log
        self.warehouses = warehouses
        for s in sources:
            missing = sorted(k for k in s.items if k not in params.item_kg)
            if missing:
                raise InputError(f"supply source {s.id!r}: items.{missing[0]}: no shipping mass (item_kg) for it")
        self.sources = [SourceState(s, {k: float(v) for k, v in s.items.items() if v > 0}) for s in sources]
        self._by_id = {w.id: w for w in warehouses}
        self._initial = {k: sum(w.initial.get(k, 0.0) for w in warehouses) for k in params.item_kg}

    # ------------------------------------------------------------------ triggers
    def _triggered(self, src: SupplySource, affected_people: int) -> bool:
        if src.trigger == "activation":
            return affected_people > 0
        if src.trigger == "affected_people":
            return affected_people >= max(src.trigger_value, 1.0)
        # stock_below: any item the district started with falls below the share
        return any(sum(w.stock.get(k, 0.0) for w in self.warehouses) < src.trigger_value * init
                   for k, init in self._initial.items() if init > 0)

    def check(self, affected_people: int) -> None:
        """Trigger the sources whose condition now holds and send their vehicles."""
        if not self.warehouses:
            return  # nowhere to deliver to
        now = self.env.now
        for st in self.sources:
            if math.isfinite(st.triggered_s) or not st.left or not self._triggered(st.source, affected_people):
                continue
            st.triggered_s = now
            st.ready_s = now + st.source.lead_time_h * 3600.0
            self.log("resupply_triggered", source=st.source.id, ready_h=st.ready_s / 3600.0)
            for v in range(st.source.vehicles):
                self.env.process(self._vehicle(st, v))

    # ------------------------------------------------------------------ vehicles
    def _released_kg(self, st: SourceState, t: float) -> float:
        """Mass the source has made ready by ``t``: one tranche a day from ``ready_s``."""
        if t < st.ready_s:
            return 0.0
        return st.source.daily_capacity_kg * (1 + math.floor((t - st.ready_s) / _DAY_S + 1e-9))

    def _load(self, st: SourceState, max_kg: float) -> dict[str, float]:
        """Take up to ``max_kg`` from what the source has left, items in proportion by mass."""
        kg = self.p.item_kg
        left_kg = {k: q * kg[k] for k, q in st.left.items()}
        total = sum(left_kg.values())
        if total <= 0 or max_kg <= 0:
            return {}
        share = min(1.0, max_kg / total)
        load = {}
        for k, q in st.left.items():
            take = q if share >= 1.0 else math.floor(q * share)
            if take > 0:
                load[k] = float(take)
        for k, q in load.items():
            st.left[k] -= q
            if st.left[k] <= 1e-9:
                del st.left[k]
        return load

    def _target(self, st: SourceState) -> WarehouseState:
        """Where a load goes: ``deliver_to``, else the warehouse nearest the entry now (by free
        line when none can be reached: the vehicle waits for the roads)."""
        if st.source.deliver_to is not None:
            return self._by_id[st.source.deliver_to]
        node = st.source.node
        times = [self.roads.time(node, w.node) for w in self.warehouses]
        best = min(range(len(times)), key=lambda i: (times[i], i))
        if math.isinf(times[best]):
            x, y = self.roads.net.x, self.roads.net.y
            best = min(range(len(self.warehouses)),
                       key=lambda i: (math.hypot(x[self.warehouses[i].node] - x[node], y[self.warehouses[i].node] - y[node]), i))
        return self.warehouses[best]

    def _vehicle(self, st: SourceState, k: int):
        env, src = self.env, st.source
        yield env.timeout(max(0.0, st.ready_s - env.now))
        while st.left:
            room = self._released_kg(st, env.now) - st.taken_kg
            if room < 1.0:  # today's tranche is gone: wait for tomorrow's
                nxt = st.ready_s + _DAY_S * (1 + math.floor((env.now - st.ready_s) / _DAY_S + 1e-9))
                yield env.timeout(max(nxt - env.now, 1.0))
                continue
            load = self._load(st, min(src.vehicle_capacity_kg, room))
            if not load:
                return
            mass = sum(q * self.p.item_kg[i] for i, q in load.items())
            st.taken_kg += mass
            for i, q in load.items():
                st.on_road[i] = st.on_road.get(i, 0.0) + q
            w = self._target(st)
            st.trips += 1
            self.log("resupply_depart", source=src.id, vehicle=k + 1, warehouse=w.id, **load)
            t0 = env.now
            yield from self.roads.drive(src.node, w.node)
            if math.isinf(st.first_arrival_s):  # how long cut or slow roads held the first load up
                st.first_held_up_s = max(0.0, env.now - t0 - float(self.roads.free_from(src.node)[w.node]))
            yield env.timeout(self.p.unload_min * 60.0)
            for i, q in load.items():
                st.on_road[i] -= q
                st.delivered[i] = st.delivered.get(i, 0.0) + q
                w.stock[i] = w.stock.get(i, 0.0) + q
            st.first_arrival_s = min(st.first_arrival_s, env.now)
            self.log("resupply_arrive", source=src.id, vehicle=k + 1, warehouse=w.id, **load)
            self.supplies.dispatch()
            if st.left:
                yield from self.roads.drive(w.node, src.node)

    # ------------------------------------------------------------------ results
    def summary(self) -> list[dict]:
        """Per source: when it was triggered and first delivered, what it unloaded, still holds
        and has on the road (items)."""
        def h(t: float) -> float | None:
            return t / 3600.0 if math.isfinite(t) else None

        return [{"source": st.source.id, "name_zh": st.source.name_zh, "name_en": st.source.name_en,
                 "kind": st.source.kind, "triggered_h": h(st.triggered_s), "ready_h": h(st.ready_s),
                 "first_arrival_h": h(st.first_arrival_s), "trips": st.trips,
                 "first_held_up_h": round(st.first_held_up_s / 3600.0, 2),
                 "delivered": dict(st.delivered), "left": dict(st.left),
                 "on_road": {k: v for k, v in st.on_road.items() if v > 1e-9},
                 "data_source": st.source.source} for st in self.sources]
