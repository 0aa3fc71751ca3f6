"""In-place relief by boat, helicopter or drone: kits to the people the hazard has cut off.

Trucks serve the cut-off people they can reach by road (:mod:`sim.supplies`); the plan's
relief craft (``Plan.relief_craft``) serve the rest, oldest need first, each waiting node by
the fleet that gets there soonest. A craft loads at its base warehouse (``load_min``), goes
out — boats by water and road as the rescue boats do, aircraft straight at their cruise
speed, a round trip within their range — hands out the kits (``unload_min``) and comes back
for the next load. Kits come off the base's shelves like a truck's and go back when nobody
is left to take them, so supplies are conserved.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import simpy

from network.model import RoadNetwork
from network.plan import ReliefCraft

from .evacuation import Party
from .roads import BOAT, Roads
from .supplies import Supplies, WarehouseState


@dataclass(eq=False)
class CraftFleet:
    """One declared fleet during a run: how many are free, and what they did."""

    craft: ReliefCraft
    base: WarehouseState
    idle: int
    ready_s: float
    trips: int = 0
    kits: int = 0                     # kits handed out
    first_s: float = math.inf         # first kits handed out


class ReliefCraftFleets:
    """The plan's relief craft, called after the trucks each time supplies are dispatched."""

    def __init__(self, env: simpy.Environment, roads: Roads, net: RoadNetwork, supplies: Supplies,
                 warehouses: list[WarehouseState], craft: tuple[ReliefCraft, ...],
                 log: Callable[..., Any]) -> None:
        self.env, self.roads, self.net, self.supplies, self.log = env, roads, net, supplies, log
        base = {w.id: w for w in warehouses}
        self.fleets = [CraftFleet(c, base[c.base], c.count, c.ready_h * 3600.0) for c in craft if c.base in base]
        kit_kg = supplies.kit_mass_in_place()
        self._per_trip = [max(1, math.floor(f.craft.payload_kg / kit_kg)) for f in self.fleets]
        for ready in sorted({f.ready_s for f in self.fleets if f.ready_s > 0}):
            env.timeout(ready).callbacks.append(lambda _ev: supplies.dispatch())

    def one_way_s(self, fleet: CraftFleet, node: int) -> float:
        """Seconds from the fleet's base to ``node`` now (inf: out of reach or range)."""
        c = fleet.craft
        if not c.airborne:
            return float(self.roads.tree_from(fleet.base.node, BOAT)[node])
        b = fleet.base.node
        d = math.hypot(float(self.net.x[node] - self.net.x[b]), float(self.net.y[node] - self.net.y[b]))
        if c.range_km is not None and 2.0 * d > c.range_km * 1000.0:
            return math.inf
        return d / (c.speed_kmh * 1000.0 / 3600.0)

    def _soonest_s(self, fleet: CraftFleet, node: int) -> float:
        """The soonest this fleet could bring kits to ``node`` once asked: loading, the trip on
        free-flow roads (a boat is never faster than driving) or in the air, unloading."""
        c = fleet.craft
        if c.airborne:
            trip = self.one_way_s(fleet, node)
        else:
            trip = float(self.roads.free_from(fleet.base.node)[node])
        return (c.load_min + c.unload_min) * 60.0 + trip

    def _ready(self) -> list[int]:
        now, sup = self.env.now, self.supplies
        return [i for i, f in enumerate(self.fleets)
                if f.idle > 0 and now >= f.ready_s and sup.kits_in_place(f.base) >= 1]

    def dispatch(self) -> None:
        """Send free craft to the cut-off people nothing carries kits to yet, oldest need first."""
        ready = self._ready()
        if not ready:
            return
        for node in self.supplies.waiting_nodes():
            while ready:
                times = np.array([self.one_way_s(self.fleets[i], node) for i in ready])
                if not np.isfinite(times).any():
                    break
                j = int(np.argmin(times))
                f = self.fleets[ready[j]]
                plan, kits = self.supplies.claim_in_place(node, f.base, self._per_trip[ready[j]])
                if not kits:
                    break
                f.idle -= 1
                f.trips += 1
                self.env.process(self._trip(f, node, plan, kits, float(times[j])))
                ready = self._ready()
            if not ready:
                return

    def _trip(self, f: CraftFleet, node: int, plan: list[tuple[Party, int]], kits: int, one_way_s: float):
        env, c = self.env, f.craft
        self.log("craft_load", craft=c.id, kind=c.kind, warehouse=f.base.id, node=node, kits=kits)
        yield env.timeout(c.load_min * 60.0)
        if c.airborne:
            yield env.timeout(one_way_s)
            at = node
        else:
            at = yield from self.roads.drive(f.base.node, node, mode=BOAT, wait=False)
        if at == node:
            yield env.timeout(c.unload_min * 60.0)
        given = self.supplies.hand_out_in_place(node, plan, at == node, self._soonest_s(f, node))
        if given:
            f.kits += given
            f.first_s = min(f.first_s, env.now)
        self.log("craft_unload", craft=c.id, kind=c.kind, node=node, kits=given, reached=at == node)
        if c.airborne:
            yield env.timeout(one_way_s)
        elif at != f.base.node:
            yield from self.roads.drive(at, f.base.node, mode=BOAT)
        self.supplies.return_in_place(f.base, kits - given)
        f.idle += 1
        self.supplies.dispatch()

    def summary(self) -> list[dict[str, Any]]:
        """Per fleet: kind, names, count, trips, kits handed out, first delivery (h), data source."""
        return [{"id": f.craft.id, "kind": f.craft.kind, "name_zh": f.craft.name_zh, "name_en": f.craft.name_en,
                 "count": f.craft.count, "payload_kg": f.craft.payload_kg, "trips": f.trips, "kits_handed_out": f.kits,
                 "first_delivery_h": round(f.first_s / 3600.0, 2) if math.isfinite(f.first_s) else None,
                 "data_source": f.craft.source} for f in self.fleets]
