"""Delivery rounds from the optimiser: a multi-depot vehicle-routing plan per hazard step.

With ``SimParams(supply_routing="optimiser")`` the trucks stop following the one-shelter rule
for shelters: each hazard step, the free trucks and the shelters' uncovered needs (whole relief
kits) become a multi-depot VRP with time windows, solved by
:class:`optimize.routing.VehicleRouting`:

* depots: warehouses with free trucks; one vehicle per free truck, its capacity the kits one
  truck carries, the last truck of a warehouse limited to what is left on its shelves (so no
  plan ships stock a warehouse does not hold);
* stops: shelters needing at least one kit, demand capped at the smallest vehicle's load per
  round (the rest goes in later rounds); travel times are the current road times between them;
* windows: a stop must be reached before its relief deadline (when its first people were
  assigned there, plus the relief target), minus the loading time; unloading is the service.

Stops the plan leaves out (too late for any window, or unreachable) fall back to the simple
rule. ``optimize`` is imported only when this mode runs: ``sim`` does not depend on it.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .evacuation import ShelterState
    from .supplies import Supplies, WarehouseState


def plan_rounds(sup: "Supplies") -> list[tuple["WarehouseState", list[tuple["ShelterState", int]]]]:
    """Rounds for the free trucks now: ``[(warehouse, [(shelter, kits), ...]), ...]``."""
    from optimize.routing import VehicleRouting  # noqa: PLC0415 — optional mode, see the module notes

    p, now = sup.p, sup.env.now
    cap_kits = max(1, math.floor(sup.cap_kg / sup._kit_kg))
    stops: list[tuple[ShelterState, int]] = []
    for s in sorted((s for s in sup.shelters if s.reserved > 0), key=lambda s: (s.first_need_s, s.idx)):
        unc = sup.uncovered(s)
        kits = math.floor(min(unc[k] / per for k, per in sup.needs.items()) + 1e-9) if sup.needs else 0
        if kits >= 1:
            stops.append((s, min(kits, cap_kits)))
    if not stops:
        return []
    caps, owner = [], []
    for w in sup.warehouses:
        left = sup._kits(w)
        for _ in range(w.idle):
            c = min(cap_kits, left)
            if c < 1:
                break
            caps.append(c)
            owner.append(w)
            left -= c
    if not caps:
        return []
    # every truck can serve every stop: a stop asks at most what the smallest load can carry
    # this round (the rest comes in later rounds)
    stops = [(s, min(k, min(caps))) for s, k in stops]
    depots = list(dict.fromkeys(owner))               # warehouses with a vehicle, in order
    loc_nodes = [w.node for w in depots] + [s.node for s, _ in stops]
    n = len(loc_nodes)
    travel = np.zeros((n, n))
    for i, a in enumerate(loc_nodes):
        for j, b in enumerate(loc_nodes):
            if i != j:
                travel[i, j] = sup.roads.time(a, b)
    load_s, unload_s = p.load_min * 60.0, p.unload_min * 60.0
    windows = np.zeros((n, 2))
    windows[:, 1] = np.inf
    for k, (s, _) in enumerate(stops):
        deadline = s.first_need_s + p.relief_target_h * 3600.0 - now - load_s
        windows[len(depots) + k, 1] = max(0.0, deadline)
    demands = np.r_[np.zeros(len(depots)), [k for _, k in stops]]
    service = np.r_[np.zeros(len(depots)), np.full(len(stops), unload_s)]
    vr = VehicleRouting.from_matrix(travel, demands, np.array(caps, float),
                                    depots=[depots.index(w) for w in owner], time_windows=windows,
                                    service_times=service, unreachable="drop", name="relief rounds")
    # a handful of stops: the first local optimum is reached in milliseconds and, not ending on
    # the clock, is the same on every machine (the limits only bound pathological cases)
    res = vr.solve(p.routing_time_limit_s, metaheuristic="greedy_descent", solution_limit=p.routing_solution_limit)
    rounds = []
    for r in res.routes:
        if not r.customers:
            continue
        w = owner[r.vehicle]
        rounds.append((w, [stops[c - len(depots)] for c in r.customers]))
    return rounds
