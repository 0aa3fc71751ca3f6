"""The response simulation: hazard clock, warnings, evacuation, rescue requests, dispatch,
supplies and relief in one SimPy environment.

Hazards are read through their declared interface (:class:`network.hazard.Hazard`): the flood
puts water on roads that boats cross, a fire has a line crews fight on, a release calls the
hazmat team to its source. The Plan (:class:`network.plan.Plan`) is plain data.
"""
from __future__ import annotations

import heapq
import math
import time
from collections import Counter
from typing import Any, Sequence

import numpy as np
import simpy

from network.errors import InputError
from network.hazard import AFFECTED, LETHAL, FireLine, Hazard
from network.kernels import one_to_all as _k_one_to_all
from network.model import RoadNetwork
from network.plan import Plan

from .dispatch import Dispatcher, Request, Team
from .evacuation import STATES, Group, Ledger, Party, ShelterState, choose_shelter
from .measure import build_result
from .params import SimParams
from .relief_craft import ReliefCraftFleets
from .resupply import Resupply
from .result import RunResult
from .roads import BOAT, ROAD, WALK, Roads
from .shortfall import party_cause
from .supplies import Supplies, WarehouseState
from .supply_routes import RoundRouter
from .warnings import warn_group

_IN_PLACE = frozenset(("home", "waiting_help", "stranded"))


class Simulation:
    """One run: ``Simulation(net, hazards, plan, params).run() -> RunResult``.

    Parameters
    ----------
    net
        The road network.
    hazards
        Hazard models (:class:`network.hazard.Hazard`) on ``net``, read every
        ``params.hazard_step_s``.
    plan
        Team bases, warehouses and shelters (:class:`network.plan.Plan`) with nodes on ``net``.
    params
        Simulation parameters (default: ``SimParams()``).
    router
        Solves the delivery rounds when ``params.supply_routing == "optimiser"``.
    zone_kinds
        The kind of each zone of ``net`` (township kinds: "subdistrict", "town", "township"),
        which sets the share of evacuees who go to relatives (``params.relatives_share``);
        nodes outside a known zone use the "other" share.

    Raises
    ------
    InputError
        When a hazard is not a :class:`network.hazard.Hazard`, the plan is not a Plan or has a
        facility off the network, or the optimiser mode has no router.
    """

    def __init__(self, net: RoadNetwork, hazards: Sequence[Hazard], plan: Plan, params: SimParams | None = None,
                 *, router: RoundRouter | None = None, zone_kinds: Sequence[str] = ()) -> None:
        self.p = params or SimParams()
        self.zone_kinds = tuple(zone_kinds)
        self.router = router
        self.net = net
        self.hazards = list(hazards)
        self.plan = plan
        self._check_inputs()
        self.env = simpy.Environment()
        ss = np.random.SeedSequence(self.p.seed).spawn(4)
        self.rng_people, self.rng_warn, self.rng_req, self.rng_scene = (np.random.default_rng(s) for s in ss)
        self.events: list[tuple] = []
        self.roads = Roads(self.env, net, boat_speed_kmh=self.p.boat_speed_kmh, walk_speed_kmh=self.p.walk_speed_kmh)
        self.roads_changed = self.env.event()
        self.ledger = Ledger()
        self.ledger.watch = self._sync
        self.groups: dict[int, Group] = {}
        self.parties: list[Party] = []
        # per party (by id): people still in place (home, waiting for help or stranded), group id
        self._ip_people = np.zeros(256)
        self._p_group = np.zeros(256, np.int64)
        self._g_affected = np.full(256, np.inf)   # per group: when it was affected
        n = net.n_nodes
        self._gid = np.full(n, -1, np.int64)      # group id per node (-1: none yet)
        self._no_group = np.zeros(n, bool)        # reached, but nobody lives there (rounds to 0)
        self._aff_seen = np.zeros(n, bool)
        self._leth_seen = np.zeros(n, bool)
        self._group_list: list[Group] = []
        self._affected_people = 0
        # groups by relief deadline (affected + target): what held back the people still waiting
        # at it is read at the first step on or after it (deadline_reads: group, deadline, causes)
        self._deadlines: list[tuple[float, int]] = []
        self.deadline_reads: list[tuple[Group, float, Counter[str]]] = []
        self.hazard_s = 0.0                       # wall time spent in the hazard models
        self._req_id = 0
        self.series: dict[str, list] = {k: [] for k in ("t_h", "threatened", "affected", *STATES)}
        self.events_processed: int | None = None   # SimPy events handled, once run() is done
        self._build_facilities()
        # floods put water on roads (boats cross it); other hazards close roads to boats as well
        self._floods = [h.water_on_roads for h in self.hazards]
        self._fires: list[FireLine] = [f for f in (h.fire_line() for h in self.hazards) if f is not None]
        self._crews: dict[int, tuple[int, float, float, int]] = {}   # request -> (fire, x, y, persons)
        self._fire_open = 0
        self._fires_reported: set[int] = set()
        self._last_stint: dict[str, tuple[int, float]] = {}   # squad -> (fire, when its last stint ended)
        self._sites_called: set[int] = set()
        self._level_floor = [h.level_floor for h in self.hazards]
        self._sheltering = [h.sheltering_nodes() for h in self.hazards]

    # ------------------------------------------------------------------ setup
    def _check_inputs(self) -> None:
        """Hazards implement the hazard interface; the plan is a Plan whose facilities are on the network."""
        for i, h in enumerate(self.hazards):
            if not isinstance(h, Hazard):
                raise InputError(f"hazards[{i}]: expected a network.hazard.Hazard, found {type(h).__name__}")
        if not isinstance(self.plan, Plan):
            raise InputError(f"plan: expected a network.plan.Plan, found {type(self.plan).__name__}")
        if self.p.supply_routing == "optimiser" and self.router is None:
            raise InputError("supply_routing: 'optimiser' needs a router to solve the delivery rounds "
                             "(sim.run(..., router=optimize.relief_rounds.relief_rounds))")
        n = self.net.n_nodes
        for kind in ("team_bases", "warehouses", "shelters"):
            for f in getattr(self.plan, kind):
                if not 0 <= int(f.node) < n:
                    raise InputError(f"plan.{kind}: {f.id!r} is at node {f.node}, not on the network (0..{n - 1})")

    def _build_facilities(self) -> None:
        p, plan, env = self.p, self.plan, self.env
        self.shelters = [ShelterState(i, s.id, int(s.node), int(s.capacity)) for i, s in enumerate(plan.shelters)]
        sid = {s.id: s.idx for s in self.shelters}
        self.assign_shelter = {int(k): sid[v] for k, v in plan.demand_shelter.items() if v in sid}
        self.warehouses = [
            WarehouseState(i, w.id, int(w.node), {k: float(v) for k, v in w.stock.items()},
                           {k: float(v) for k, v in w.stock.items()},
                           p.trucks_per_warehouse if w.trucks is None else int(w.trucks))
            for i, w in enumerate(plan.warehouses)
        ]
        wid = {w.id: w.idx for w in self.warehouses}
        assigned = {sid[s]: wid[w] for s, w in plan.shelter_warehouse.items() if s in sid and w in wid}
        self.supplies = Supplies(env, self.roads, p, self.shelters, self.warehouses, assigned, self.ledger, self.log,
                                 relieve_in_place=self._relieve_in_place, router=self.router)
        self.supplies.craft = ReliefCraftFleets(env, self.roads, self.net, self.supplies, self.warehouses,
                                                plan.relief_craft, self.log) if plan.relief_craft else None
        self.resupply = Resupply(env, self.roads, p, self.supplies, self.warehouses, plan.supply_sources, self.log)
        for s in self.shelters:
            s.closed_event = env.event()
        self._shelter_at: dict[int, list[ShelterState]] = {}
        for s in self.shelters:
            self._shelter_at.setdefault(s.node, []).append(s)
        self._shelter_node_arr = np.array(sorted(self._shelter_at), np.int64)
        teams = []
        for b in plan.team_bases:
            for t in b.teams:
                for k in range(max(1, int(t.people) // p.squad_size)):
                    teams.append(Team(f"{b.id}/{t.type}/{k + 1}", t.type, int(b.node),
                                      min(int(t.people), p.squad_size)))
        self.teams = teams
        # trees from these nodes are cached per road epoch and shared by many questions
        self._hubs = ({t.base_node for t in teams} | {s.node for s in self.shelters} | {w.node for w in self.warehouses}
                      | {src.node for src in plan.supply_sources})
        self.roads.hubs = frozenset(self._hubs)
        self._shelter_nodes = [s.node for s in self.shelters]
        self._boat = frozenset(p.boat_types)
        self._reach: tuple[int, np.ndarray] = (-1, np.zeros(0, bool))
        self._boat_crews = any(t.type in self._boat and t.type in p.capable["evacuate"] for t in teams)
        self.dispatcher = Dispatcher(env, teams, travel_time=self._tt, mover=self._move, policy=p.dispatch_policy,
                                     shift_s=p.shift_h * 3600.0, rest_s=p.rest_h * 3600.0, log=self.log,
                                     times_from=self._times_from, roads_reopen=lambda: self.roads.opened_event)
        # free-flow time to each shelter: the lower bound no relief can beat
        net, rw = self.net, self.roads.free[self.net.rev_edge]
        rw.flags.writeable = False
        self.free_to = [_k_one_to_all(net.rev_indptr, net.rev_indices, rw, np.int32(s.node), np.inf, False)[0]
                        for s in self.shelters]
        # free-flow time from the nearest warehouse: relief in place cannot come sooner
        self.free_from_wh = np.full(net.n_nodes, np.inf)
        for w in self.warehouses:
            np.minimum(self.free_from_wh, self.roads.free_from(w.node), out=self.free_from_wh)

    # ------------------------------------------------------------------ helpers
    def log(self, event: str, **kw: Any) -> None:
        """Record ``event`` at the current time with its fields (when ``params.log_events``)."""
        if self.p.log_events:
            self.events.append((self.env.now, event, kw))

    def _tt(self, a: int, b: int) -> float:
        return self.roads.time(a, b)

    def _mode(self, team: Team) -> int:
        return BOAT if team.type in self._boat else ROAD

    def road_team_reach(self) -> np.ndarray:
        """Which nodes a team that goes by road and can escort people (``capable["assist"]``)
        reaches from its base now; cached per road epoch. Where it does not, only a boat crew can
        take out those who cannot leave alone (:func:`sim.shortfall.party_cause`)."""
        if self._reach[0] != self.roads.epoch:
            reach = np.zeros(self.net.n_nodes, bool)
            for b in {t.base_node for t in self.teams if t.type in self.p.capable["assist"] and t.type not in self._boat}:
                reach |= np.isfinite(self.roads.tree_from(b, ROAD))
            self._reach = (self.roads.epoch, reach)
        return self._reach[1]

    def _times_from(self, team: Team) -> np.ndarray:
        """The team's current travel time to every node (its mode: boat crews cross flood water)."""
        return self.roads.tree_from(team.node, self._mode(team))

    def _move(self, team: Team, dst: int):
        """SimPy sub-process: ``team`` drives towards ``dst`` on the roads as they are; returns
        the node reached (short of ``dst`` when the hazard leaves no road on: the dispatcher
        then redeploys the team rather than leave it waiting at the water's edge)."""
        def moved(node: int) -> None:
            team.node = node

        node = yield from self.roads.drive(team.node, dst, on_move=moved, mode=self._mode(team), wait=False)
        team.node = node
        return node

    def _new_party(self, g: Group, people: int, needs_help: bool, kind: str, first_warn: float,
                   state: str = "home", node: int = -1, by_car: bool = True) -> Party:
        q = Party(len(self.parties), g, people, needs_help, state=state, node=node, by_car=by_car)
        q._kind = kind  # type: ignore[attr-defined]
        q._first_warn = first_warn  # type: ignore[attr-defined]
        self.parties.append(q)
        g.parties.append(q)
        if q.id >= len(self._ip_people):
            self._ip_people = np.concatenate([self._ip_people, np.zeros(len(self._ip_people))])
            self._p_group = np.concatenate([self._p_group, np.zeros(len(self._p_group), np.int64)])
        self._p_group[q.id] = g.id
        self._sync(q)
        return q

    def _sync(self, q: Party) -> None:
        """Refresh party ``q``'s in-place head count (after a state change or a split)."""
        self._ip_people[q.id] = q.people if q.state in _IN_PLACE else 0.0
        if q.state not in q.state_s:
            q.state_s[q.state] = self.env.now

    def _times_to_shelters(self, mode: int = ROAD) -> list[np.ndarray]:
        return self.roads.trees(self._shelter_nodes, mode, reverse=True)

    def _nearest_node(self, x: float, y: float) -> int:
        return int(np.argmin((self.net.x - x) ** 2 + (self.net.y - y) ** 2))

    def _new_request(self, kind: str, node: int, group: int = -1, **kw: Any) -> Request:
        p = self.p
        self._req_id += 1
        return Request(self._req_id, kind, int(node), p.priority[kind], tuple(p.capable[kind]), self.env.now,
                       float(self.rng_scene.exponential(p.scene_min[kind] * 60.0)), group=group, **kw)

    # ------------------------------------------------------------------ hazard clock
    def _clock(self):
        env, p = self.env, self.p
        end = p.duration_h * 3600.0
        while True:
            t = env.now
            t0 = time.perf_counter()
            states = [h.state(t, fields=False) for h in self.hazards]
            self.hazard_s += time.perf_counter() - t0
            flood = np.ones(self.net.n_edges)
            other = np.ones(self.net.n_edges)
            hazard_at = np.zeros(self.net.n_nodes, bool)
            for s, is_flood, floor in zip(states, self._floods, self._level_floor):
                np.minimum(flood if is_flood else other, s.edge_speed_factor, out=flood if is_flood else other)
                hazard_at |= np.asarray(s.node_level) > floor
            factor = np.minimum(flood, other)
            water = (flood < 1.0) & (other > 0.0)
            if self.roads.update(factor, water):
                ev, self.roads_changed = self.roads_changed, env.event()
                ev.succeed()
                self.dispatcher.match()
                self.supplies.dispatch()
            for h, s, inside in zip(self.hazards, states, self._sheltering):
                self._observe(s.affected, hazard_at, h.warning_issue_delay_s, inside)
            self._close_threatened(states, hazard_at)
            self._read_deadlines(t)
            self.resupply.check(self._affected_people)
            if self.p.supply_routing == "optimiser":
                self.supplies.plan_rounds()
            self._fire_lines_and_sites(t)
            self._snapshot(t)
            if t >= end:
                return
            step = min(p.hazard_step_s, end - t)
            self._rescue_arrivals(t, step)
            yield env.timeout(step)

    def _close_threatened(self, states: list, hazard_at: np.ndarray) -> None:
        """Close shelters the hazard has reached or lists as threatened: no new arrivals, and
        evacuees on their way there choose again (the people already inside stay)."""
        listed = hazard_at.copy()
        for st in states:
            listed[np.asarray(st.affected.node, np.int64)] = True
        for nd in self._shelter_node_arr[listed[self._shelter_node_arr]].tolist():
            for s in self._shelter_at[nd]:
                if not s.closed:
                    s.closed_s = self.env.now
                    s.closed_event.succeed()
                    self.log("shelter_closed", shelter=s.id, node=s.node, occupancy=s.occupancy)

    def _observe(self, aff, hazard_at: np.ndarray, issue_delay_s: float | None = None,
                 sheltering: np.ndarray | None = None) -> None:
        """Create groups for newly reached nodes; record when each reaches each severity.

        Only nodes with news (no group yet, or a severity not yet recorded) are visited, in the
        hazard's order, so a step costs array work plus Python per change, not per node.
        """
        now = self.env.now
        node = np.asarray(aff.node, np.int64)
        if not len(node):
            return
        sev = np.asarray(aff.severity)
        news = (((self._gid[node] < 0) & ~self._no_group[node])
                | ((sev >= AFFECTED) & ~self._aff_seen[node]) | ((sev >= LETHAL) & ~self._leth_seen[node]))
        idx = np.flatnonzero(news)
        if not len(idx):
            return
        people, since = np.asarray(aff.people), np.asarray(aff.since_s)
        for i in idx.tolist():
            nd, sv, si = int(node[i]), int(sev[i]), float(since[i])
            gi = int(self._gid[nd])
            if gi < 0:
                if self._no_group[nd]:
                    continue
                n = int(round(float(people[i])))
                if n <= 0:
                    self._no_group[nd] = True
                    continue
                g = Group(len(self.groups), nd, n, threat_s=min(si, now))
                self.groups[nd] = g
                self._gid[nd] = g.id
                self._group_list.append(g)
                if g.id >= len(self._g_affected):
                    self._g_affected = np.concatenate([self._g_affected, np.full(len(self._g_affected), np.inf)])
                self._start_group(g, bool(hazard_at[nd]), issue_delay_s,
                                  sheltering is not None and bool(sheltering[nd]))
            else:
                g = self._group_list[gi]
            if sv >= AFFECTED and not self._aff_seen[nd]:
                self._aff_seen[nd] = True
                g.affected_s = si
                g.present_when_affected = sum(q.people for q in g.parties if not (q.left_s <= si))
                self._g_affected[g.id] = si
                self._affected_people += g.people
                heapq.heappush(self._deadlines, (si + self.p.relief_target_h * 3600.0, g.id))
                self.log("affected", group=g.id, node=nd, people=g.people)
                self._hit(g)
            if sv >= LETHAL and not self._leth_seen[nd]:
                self._leth_seen[nd] = True
                g.lethal_s = si
                g.exposed = sum(q.people - q.relieved for q in g.parties
                                if not (q.left_s <= si))  # nan compares False: not left yet
                self.log("lethal", group=g.id, node=nd, exposed=g.exposed)

    def _start_group(self, g: Group, hazard_here: bool, issue_delay_s: float | None = None,
                     shelter_in_place: bool = False) -> None:
        """Warn the new group and split it into parties: the warned leave after the warning,
        the unwarned when the hazard hits, the helpless call for help; some go to relatives.
        Told to shelter in place, everyone stays indoors (warned or not)."""
        p = self.p
        delay = p.warning_issue_delay_min * 60.0 if issue_delay_s is None else issue_delay_s
        g.warnings = warn_group(g.people, g.threat_s, delay, hazard_here, p.channels,
                                self.rng_warn)
        warned = sum(n for _, n, _ in g.warnings)
        helpless = int(self.rng_people.binomial(g.people, p.help_share))
        mobile = g.people - helpless
        warned_mobile = int(round(warned * mobile / g.people)) if g.people else 0
        self.log("threatened", group=g.id, node=g.node, people=g.people, warned=warned)
        first_warn = g.warnings[0][0] if g.warnings else math.inf
        share = 0.0 if shelter_in_place else self._share(p.relatives_share, g.node)
        cars = self._share(p.car_share, g.node)
        parts = []
        for n, kind in ((warned_mobile, "warned"), (mobile - warned_mobile, "unwarned")):
            for m, relatives in self._split(n, share, True, False):
                parts += [(k, kind, relatives, by_car) for k, by_car in self._split(m, cars, True, False)]
        for n, kind, relatives, by_car in (*parts, (helpless, "help", False, False)):
            if n <= 0:
                continue
            q = self._new_party(g, n, kind == "help", kind, first_warn, by_car=by_car)
            q.relatives = relatives
            q.sheltering = shelter_in_place
            self.ledger.add("home", n)
            if shelter_in_place:
                continue
            if kind == "warned":
                self.env.process(self._leave_after(q, first_warn))
            elif kind == "help" and math.isfinite(first_warn):
                self._call_help_at(q, first_warn)

    def _share(self, shares: dict[str, float], node: int) -> float:
        """The share in ``shares`` for the kind of township ``node`` lies in ("other" outside any)."""
        z = int(self.net.zone[node])
        kind = self.zone_kinds[z] if 0 <= z < len(self.zone_kinds) else "other"
        return float(shares.get(kind, shares.get("other", 0.0)))

    def _split(self, n: int, share: float, yes, no) -> list[tuple[int, Any]]:
        """``n`` people split by a binomial draw with probability ``share``: [(k, yes), (n - k, no)]."""
        k = int(self.rng_people.binomial(n, share)) if n > 0 and share > 0 else 0
        return [(n - k, no), (k, yes)]

    def _hit(self, g: Group) -> None:
        """The hazard reached the group: the unwarned leave, the helpless call if not yet done."""
        for q in g.parties:
            kind = q._kind  # type: ignore[attr-defined]
            if q.sheltering:
                continue  # indoors until the all-clear
            if kind == "unwarned" and q.state == "home":
                self.env.process(self._leave_after(q, self.env.now))
            elif kind == "help" and not (q._first_warn < self.env.now) and q.state == "home":  # type: ignore[attr-defined]
                self._call_help(q)

    # ------------------------------------------------------------------ evacuation
    def _leave_after(self, q: Party, t0: float):
        env = self.env
        wait = max(t0 - env.now, 0.0) + self.rng_people.exponential(self.p.prep_min * 60.0)
        yield env.timeout(wait)
        if q.state == "home":  # not taken out by a rescue crew meanwhile
            yield from (self._to_relatives(q) if q.relatives else self._journey(q))

    def _evacuee_mode(self, q: Party) -> tuple[int, float]:
        """How ``q`` travels on its own: (mode, travel-time multiplier) — by car in evacuation
        traffic, or on foot."""
        return (ROAD, 1.0 / self.p.evac_speed_factor) if q.by_car else (WALK, 1.0)

    def _to_relatives(self, q: Party):
        """SimPy sub-process: ``q`` drives out to relatives or friends, who provide for them.

        Their hosts live on safe ground: the trip takes as long as the road to the nearest
        shelter site (room or not) at the evacuees' speed. With no road out they are cut off and
        take the public path (:meth:`_journey`).
        """
        env = self.env
        mode, scale = self._evacuee_mode(q)
        trees = self._times_to_shelters(mode)
        t = min((float(tr[q.node]) for tr in trees), default=0.0) * scale
        if math.isinf(t):
            q.relatives = False
            yield from self._journey(q)
            return
        q.left_s = env.now
        q.lower_bound_s = min((float(f[q.node]) for f in self.free_to), default=0.0)
        self.ledger.move(q, "evacuating")
        self.log("depart", group=q.group.id, party=q.id, people=q.people, to="relatives")
        yield env.timeout(t)
        if q.state != "evacuating":
            return
        q.hosted = True
        q.arrived_s = env.now
        self.ledger.move(q, "relieved")
        q.relief.append((env.now, q.people - q.relieved))
        q.relieved = q.people
        self.log("relieved", group=q.group.id, party=q.id, people=q.people, with_relatives=True)

    def _reserve(self, q: Party, mode: int = ROAD) -> tuple[int, str]:
        """Pick and reserve a shelter for ``q`` (splitting off who does not fit); ``mode``: how
        they travel (a boat crew reaches shelters that flooded roads cut off)."""
        g = q.group
        idx, why = choose_shelter(self.shelters, q.node, self._times_to_shelters(mode), self.assign_shelter.get(g.node, -1))
        if idx < 0:
            return idx, why
        s = self.shelters[idx]
        if s.free < q.people - q.relieved:
            rest = self._new_party(g, q.people - s.free, q.needs_help, q._kind, q._first_warn,  # type: ignore[attr-defined]
                                   state=q.state, node=q.node, by_car=q.by_car)
            rest.left_s = q.left_s
            q.people = s.free
            self._sync(q)
            if q.needs_help:
                self._call_help(rest)
            else:
                self.env.process(self._journey(rest))
        s.reserved += q.people
        q.cut_off = False
        s.first_need_s = min(s.first_need_s, self.env.now)
        q.shelter = idx
        q.lower_bound_s = float(self.free_to[idx][g.node])
        self.supplies.dispatch()
        return idx, ""

    def _journey(self, q: Party, team: Team | None = None):
        """SimPy sub-process: reserve a shelter for ``q`` and take it there (by car at
        ``evac_speed_factor`` of the road speed, on foot at the walking speed, or with ``team``
        in the team's mode).

        The trip re-routes when the road ahead closes; when the shelter is threatened or cannot
        be reached any more from where the party is, the reservation is given up and another
        shelter chosen from there. With no room anywhere the party is stranded; with no
        reachable room it waits for the roads to change. Either way it is cut off, and relief
        comes to it in place when a truck can reach it.
        """
        env = self.env
        mode, scale = self._evacuee_mode(q) if team is None else (self._mode(team), 1.0)
        if q.moving:
            return
        q.moving = True
        while True:
            if q.state not in ("home", "waiting_help", "evacuating"):  # relieved in place meanwhile
                q.moving = False
                return
            idx, why = self._reserve(q, mode)
            if idx < 0:
                self._cut_off(q, why, escorted=team is not None)
                q.moving = False
                if why == "full" or q.upstairs:
                    return
                if team is not None:  # the crew stays with the people it escorts
                    team.set(env.now, "blocked")
                yield self.roads_changed  # every shelter with room is cut off: wait for the roads
                if q.moving:  # a rescue crew took the party over meanwhile
                    return
                q.moving = True
                continue
            s = self.shelters[idx]
            if q.state != "evacuating":
                q.left_s = env.now
                q.sheltering = False  # taken out by a team: displaced now
                self.ledger.move(q, "evacuating")
                self.log("depart", group=q.group.id, party=q.id, shelter=s.id, people=q.people,
                         **({"team": team.id} if team is not None else {}))
            if team is not None:
                team.set(env.now, "travel")

            def moved(node: int) -> None:
                q.node = node
                if team is not None:
                    team.node = node

            node = yield from self.roads.drive(q.node, s.node, on_move=moved, mode=mode, scale=scale,
                                               abort=s.closed_event, wait=False)
            moved(node)
            if node == s.node:
                if team is not None:
                    team.set(env.now, "scene", s.node)
                self._arrive(q, s)
                q.moving = False
                return
            # cut short (shelter threatened, or no road on from here): choose again from here
            s.reserved -= q.people
            self.log("reassign", group=q.group.id, party=q.id, shelter=s.id, node=node,
                     reason="threatened" if s.closed else "unreachable")

    def _cut_off(self, q: Party, why: str, escorted: bool = False) -> None:
        """``q`` can reach no shelter with room: stranded when all are full; relief comes in place."""
        if not q.cut_off:
            q.cut_off = True
            if math.isnan(q.cut_off_s):
                q.cut_off_s = self.env.now
        if why == "full" and q.state != "stranded":
            self.ledger.move(q, "stranded")
            self.log("no_shelter", group=q.group.id, party=q.id, people=q.people, node=q.node)
        elif why != "full":
            self._upstairs(q)
            self._call_boat(q, escorted)
        self.supplies.add_cut_off(q)
        self.supplies.dispatch()

    def _upstairs(self, q: Party) -> None:
        """Cut off at home by flood water for the first time, a share of ``q``
        (``upstairs_share`` by township kind: multi-storey housing) stays upstairs and waits for
        supplies to come to them, rather than for a boat."""
        if (q.upstairs or q.needs_help or not any(self._floods) or q.state != "home" or q.node != q.group.node
                or q.cut_off_s != self.env.now):
            return
        (_, _), (k, _) = self._split(q.people, self._share(self.p.upstairs_share, q.node), True, False)
        if k <= 0:
            return
        up = q
        if k < q.people:
            q.people -= k
            self._sync(q)
            up = self._new_party(q.group, k, False, q._kind, q._first_warn, node=q.node, by_car=q.by_car)  # type: ignore[attr-defined]
            up.cut_off, up.cut_off_s = True, q.cut_off_s
            self.supplies.add_cut_off(up)
        up.upstairs = True
        self.log("upstairs", group=q.group.id, party=up.id, people=k, node=q.node)

    def _call_boat(self, q: Party, escorted: bool = False) -> None:
        """Ask the water-rescue crews to take cut-off party ``q`` out by boat.

        One open request per party; each trip takes up to ``rescue_capacity`` people and asks
        again for whoever is left. Those who cannot leave alone already wait for an escort
        (an "assist" request, served before these: the vulnerable first); once ``escorted`` by
        a crew that the water has cut off on the way, the crew calls a boat for them too.
        """
        if q.boat_called or (q.needs_help and not escorted) or q.upstairs or not self._boat_crews:
            return
        q.boat_called = True
        self.dispatcher.submit(self._new_request("evacuate", q.node, q.group.id,
                                                 after_scene=lambda team, req: self._boat_out(q, team, req)))

    def _boat_out(self, q: Party, team: Team, req: Request):
        """SimPy sub-process: the boat crew at ``q``'s node takes up to ``rescue_capacity`` of
        them to the nearest shelter with room it can reach by water or road."""
        q.boat_called = False
        if (not q.cut_off or q.moving or q.node != req.node or q.state not in ("home", "evacuating")
                or q.people - q.relieved <= 0):
            if q.cut_off and q.node != req.node and q.state in ("home", "evacuating"):
                self._call_boat(q)  # they moved on meanwhile: ask again where they are now
            return
        idx, _ = choose_shelter(self.shelters, q.node, self._times_to_shelters(BOAT), self.assign_shelter.get(q.group.node, -1))
        if idx < 0:
            return  # no room the boat can reach either: they wait in place (relief comes to them)
        k = min(self.p.rescue_capacity, q.people - q.relieved)
        out = q
        if k < q.people - q.relieved:  # split off the people the boat takes; the rest ask again
            q.people -= k
            self._sync(q)
            out = self._new_party(q.group, k, q.needs_help, q._kind, q._first_warn,  # type: ignore[attr-defined]
                                  state=q.state, node=q.node)
            out.left_s, out.cut_off, out.cut_off_s = q.left_s, True, q.cut_off_s
            self._call_boat(q)
        self.log("boat_evacuation", group=q.group.id, party=out.id, people=k, team=team.id, node=q.node)
        yield from self._journey(out, team)

    def _relieve_in_place(self, q: Party, k: int, lower_bound_s: float | None = None) -> None:
        """A truck (or a relief craft, whose soonest possible delivery is ``lower_bound_s``)
        hands ``k`` relief kits to cut-off party ``q`` where it stands."""
        if k < q.people - q.relieved:  # the relieved people become their own party
            q.people -= k
            self._sync(q)
            r = self._new_party(q.group, k, q.needs_help, q._kind, q._first_warn,  # type: ignore[attr-defined]
                                state=q.state, node=q.node)
            r.left_s, r.cut_off, r.cut_off_s = q.left_s, True, q.cut_off_s
            q = r
        q.in_place = True
        q.cut_off = False
        q.lower_bound_s = (float(self.free_from_wh[q.node]) + (self.p.load_min + self.p.unload_min) * 60.0
                           if lower_bound_s is None else lower_bound_s)
        self.ledger.move(q, "relieved")
        q.relief.append((self.env.now, q.people - q.relieved))
        q.relieved = q.people
        self.log("relieved", group=q.group.id, party=q.id, node=q.node, people=q.people, in_place=True)

    def _arrive(self, q: Party, s: ShelterState) -> None:
        q.arrived_s = self.env.now
        s.occupancy += q.people
        s.peak = max(s.peak, s.occupancy)
        self.ledger.move(q, "sheltered")
        s.queue.append(q)
        self.log("arrive_shelter", group=q.group.id, party=q.id, shelter=s.id, people=q.people)
        self.supplies.relieve(s)

    def _call_help_at(self, q: Party, t: float) -> None:
        """At time ``t`` party ``q`` calls for help if still at home (a timeout's callback: no process)."""
        def call(_ev: Any) -> None:
            if q.state == "home":
                self._call_help(q)

        self.env.timeout(max(t - self.env.now, 0.0)).callbacks.append(call)

    def _call_help(self, q: Party) -> None:
        self.ledger.move(q, "waiting_help")

        def escort(team: Team, req: Request):
            if q.state != "waiting_help":  # a rescue crew took them out, or relief came, meanwhile
                return
            yield from self._journey(q, team)

        self.dispatcher.submit(self._new_request("assist", q.node, q.group.id, after_scene=escort))

    def _rescue(self, team: Team, req: Request):
        """After a "trapped" call: the crew brings out up to ``rescue_capacity`` people still at
        the group's node (those waiting for help first) and takes them to a shelter."""
        g = self._group_list[req.group] if req.group >= 0 else None
        if g is None:
            return
        cands = [q for q in g.parties if q.state == "waiting_help" and q.node == g.node and not q.moving] + [
            q for q in g.parties if q.state == "home" and q.node == g.node and not q.moving]
        if not cands:
            return
        q = cands[0]
        k = min(self.p.rescue_capacity, q.people - q.relieved)
        if k < q.people - q.relieved:  # split off the people the crew takes
            q.people -= k
            self._sync(q)
            q = self._new_party(g, k, q.needs_help, q._kind, q._first_warn, state=q.state)  # type: ignore[attr-defined]
        self.log("rescue", group=g.id, party=q.id, people=k, team=team.id)
        yield from self._journey(q, team)

    # ------------------------------------------------------------------ rescue requests
    def _rescue_arrivals(self, t: float, step: float) -> None:
        """Piecewise-constant Poisson arrivals over [t, t + step), rate ∝ affected people in place."""
        n = len(self.parties)
        ng = len(self._group_list)
        w_all = self._ip_people[:n] * (self._g_affected[:ng][self._p_group[:n]] <= t)
        pick = np.flatnonzero(w_all > 0)
        if not len(pick):
            return
        w = w_all[pick]
        rate_s = self.p.rescue_rate_per_1000_h * w.sum() / 1000.0 / 3600.0
        n = int(self.rng_req.poisson(rate_s * step))
        if n == 0:
            return
        times = np.sort(self.rng_req.uniform(t, t + step, n))
        who = pick[self.rng_req.choice(len(pick), size=n, p=w / w.sum())]
        kinds = np.where(self.rng_req.random(n) < self.p.trapped_share, "trapped", "casualty")
        self.env.process(self._submit_at(times.tolist(), [self.parties[i].group for i in who.tolist()], kinds.tolist()))

    def _submit_at(self, times: list[float], groups: list[Group], kinds: list[str]):
        for t, g, k in zip(times, groups, kinds):
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            self.dispatcher.submit(self._new_request(k, g.node, g.id, after_scene=self._rescue if k == "trapped" else None))

    # ------------------------------------------------------------------ fire lines and hazmat zones
    def _fire_lines_and_sites(self, t: float) -> None:
        """Crews to the fire fronts once each fire is reported (one request per free fire crew),
        and a response to every incident site once it starts."""
        n_fire_teams = sum(1 for tm in self.teams if tm.type in self.p.capable["fire_line"])
        for i, fire in enumerate(self._fires):
            reported = fire.detected_s()
            if t < reported:
                continue
            if i not in self._fires_reported:
                self._fires_reported.add(i)
                self.log("fire_reported", fire=i, reported_s=reported)
            # one request per free crew, until the crews are all asked for or the fire has no line left
            while self._fire_open < n_fire_teams:
                if not self._submit_line(i, t):
                    break
        for i, h in enumerate(self.hazards):
            site = h.incident_site()
            if site is None or i in self._sites_called or t < site.start_s:
                continue
            self._sites_called.add(i)
            self.dispatcher.submit(self._new_request(site.response, self._nearest_node(site.x, site.y)))

    def _submit_line(self, fire: int, t: float, at: int | None = None) -> bool:
        """Ask for one crew where the fire model says crews join its line, driving to the road
        node ``at`` (default: the nearest one a crew can reach); False: nothing left to fight."""
        point = self._fires[fire].line_point(t, self.rng_req)
        if point is None:
            return False
        x, y = point
        self._fire_open += 1
        self.dispatcher.submit(self._new_request(
            "fire_line", self._line_node(x, y) if at is None else at,
            on_arrive=lambda team, req, x=x, y=y: self.env.process(self._hike_to_line(fire, team, req.id, (x, y))),
            on_done=lambda team, req: self._line_done(fire, team, req.id)))
        return True

    def _line_node(self, x: float, y: float) -> int:
        """The road node crews drive to for a point of a fire line: the nearest one a fire crew's
        base can reach now (roads by a burning front are shut); they hike in from there."""
        d2 = (self.net.x - x) ** 2 + (self.net.y - y) ** 2
        bases = {t.base_node for t in self.teams if t.type in self.p.capable["fire_line"]}
        if not bases:
            return int(np.argmin(d2))
        reach = np.zeros(self.net.n_nodes, bool)
        for b in bases:
            reach |= np.isfinite(self.roads.tree_from(b, ROAD))
        return int(np.argmin(np.where(reach, d2, np.inf))) if reach.any() else int(np.argmin(d2))

    def _line_done(self, fire: int, team: Team, rid: int) -> None:
        """A crew's stint on the line is over; while the fire burns its place is asked for again at
        once, so a squad stays on the line until its shift ends (then another takes over)."""
        self._crew(fire, rid, None)
        self._last_stint[team.id] = (fire, self.env.now)
        self._submit_line(fire, self.env.now, at=team.node)

    def _hike_to_line(self, fire: int, team: Team, rid: int, xy: tuple[float, float]):
        """The squad walks from the road node to its point of the line, then works there (a squad
        going straight on from its last stint on the same fire is already there)."""
        node = team.node
        walk = 0.0 if self._last_stint.get(team.id) == (fire, self.env.now) else \
            self._fires[fire].hike_s((float(self.net.x[node]), float(self.net.y[node])), xy)
        self._crews[rid] = (fire, xy[0], xy[1], 0)       # on its way: not yet building line
        if walk > 0:
            yield self.env.timeout(walk)
        if rid in self._crews:                            # still assigned (not relieved meanwhile)
            self._crew(fire, rid, (xy[0], xy[1], team.people))

    def _crew(self, fire: int, rid: int, crew: tuple[float, float, int] | None) -> None:
        """A squad starts or stops work on a fire's line; the fire model is told who is on it."""
        if crew is None:
            self._crews.pop(rid, None)
            self._fire_open -= 1
        else:
            self._crews[rid] = (fire, *crew)
        working = [(x, y, n) for f, x, y, n in self._crews.values() if f == fire and n > 0]
        self._fires[fire].crews_on_line(self.env.now, working, radius_m=self.p.suppression_radius_m,
                                        factor=self.p.suppression_factor)

    # ------------------------------------------------------------------ bookkeeping
    def _read_deadlines(self, t: float) -> None:
        """For every group whose relief deadline has passed: the people of its displaced parties
        not relieved by it, by the cause that holds them (:func:`sim.shortfall.party_cause`),
        read now, at most one hazard step after the deadline. People sheltering in place are
        left to the end of the run: they count only if a team takes them out later."""
        while self._deadlines and self._deadlines[0][0] <= t:
            deadline, gid = heapq.heappop(self._deadlines)
            g = self._group_list[gid]
            causes: Counter[str] = Counter()
            for q in g.parties:
                waiting = q.people - sum(n for tr, n in q.relief if tr <= deadline)
                if waiting > 0 and not q.sheltering:
                    causes[party_cause(self, q)] += waiting
            self.deadline_reads.append((g, deadline, causes))

    def _snapshot(self, t: float) -> None:
        s = self.series
        s["t_h"].append(t / 3600.0)
        s["threatened"].append(self.ledger.total)
        s["affected"].append(self._affected_people)
        for k in STATES:
            s[k].append(self.ledger.counts[k])

    def run(self) -> RunResult:
        """Simulate ``params.duration_h`` hours (once: the environment is not reset), count the
        SimPy events handled in ``events_processed``, and measure the run.

        Returns
        -------
        RunResult
            Indicators, time series, per-group, team, shelter and request records and the
            event log (:func:`sim.measure.build_result`).
        """
        env = self.env
        env.process(self._clock())
        until = self.p.duration_h * 3600.0 + 1e-6
        n = 0
        step, peek = env.step, env.peek
        while peek() < until:  # env.run(until) with a count of the events processed
            step()
            n += 1
        env._now = until  # noqa: SLF001 — as env.run(until=...) leaves the clock
        self.events_processed = n
        return build_result(self)
