"""Requests, teams and the dispatcher: nearest capable free team by current travel time.

The dispatcher knows nothing of roads or hazards: it is given ``travel_time(a, b)`` and a
``mover(team, node)`` sub-process (None: teams teleport, as in the Erlang C check). That keeps
the queueing logic one piece of code, verified against M/M/c, and reused by the full engine.

When the hazard closes every road to a job while a team is on its way, the team does not wait
at the water's edge: it reports back, the job goes back into the queue (for a boat crew, or a
team that can still reach it) and the team takes what it can reach from where it stands, as a
commander would redeploy it. A team cut off from its base on the way back stands by where it
is, available for any job it can reach, and heads home when a road reopens.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Callable, Generator, Iterable

import numpy as np
import simpy

#: ``mover(team, node)``: drive there on the roads as they are; returns the node reached, short
#: of ``node`` when no road leads on (it never waits for the water to fall)
Mover = Callable[["Team", int], Generator[simpy.Event, object, int]]


@dataclass(eq=False)
class Request:
    """A job for one team: go to ``node``, work ``service_s`` seconds, then ``after_scene``."""

    id: int
    kind: str
    node: int
    priority: int
    capable: tuple[str, ...]
    created_s: float
    service_s: float
    after_scene: Callable[["Team", "Request"], Generator] | None = None
    on_arrive: Callable[["Team", "Request"], None] | None = None
    on_done: Callable[["Team", "Request"], None] | None = None
    assigned_s: float = math.nan
    arrived_s: float = math.nan
    done_s: float = math.nan
    team: str = ""
    group: int = -1
    handed_back: int = 0  # times a team turned back because the hazard closed every road to it

    @property
    def wait_s(self) -> float:
        """Seconds from the call to a team being assigned (NaN while queued)."""
        return self.assigned_s - self.created_s

    @property
    def response_s(self) -> float:
        """Seconds from the call to the team on scene (NaN until it arrives)."""
        return self.arrived_s - self.created_s


@dataclass(eq=False)
class Team:
    """One squad: where it is based, where it is now, and what it is doing."""

    id: str
    type: str
    base_node: int
    people: int
    node: int = -1
    status: str = "idle"  # idle | travel | scene | blocked (with the people it escorts, no road on) | returning | standby | resting
    busy_s: float = 0.0
    jobs: int = 0
    turned_back: int = 0  # jobs handed back because the hazard closed every road to them
    dispatches: int = 0   # every assignment, handed back or not (tells a stale stand-by from a new one)
    shift_start_s: float = 0.0
    request: int = -1     # the request it is working on (or last worked on, while returning)
    history: list[tuple[float, str, int, int]] = field(default_factory=list)   # (time, status, node, request)

    def __post_init__(self) -> None:
        if self.node < 0:
            self.node = self.base_node

    def set(self, now: float, status: str, node: int | None = None) -> None:
        """Enter ``status`` at time ``now`` (at ``node`` when given) and record it in ``history``."""
        self.status = status
        if node is not None:
            self.node = node
        self.history.append((now, status, self.node, self.request))

    def activity(self, end_s: float) -> list[dict]:
        """Bars for a Gantt chart: ``{"start_s", "end_s", "kind", "request"}`` with kind travel,
        scene (on-scene work, escorts included), blocked (escorting people, no road on: waiting
        with them for one), return, standby (cut off from its base: available where it stands)
        or rest; idle time at base has no bar. Work still open at ``end_s`` ends there."""
        kinds = {"travel": "travel", "blocked": "blocked", "scene": "scene", "returning": "return",
                 "standby": "standby", "resting": "rest"}
        out: list[dict] = []
        h = self.history
        for i, (t, status, _, req) in enumerate(h):
            kind = kinds.get(status)
            if kind is None or t >= end_s:
                continue
            stop = min(h[i + 1][0] if i + 1 < len(h) else end_s, end_s)
            if stop <= t:
                continue
            if out and out[-1]["kind"] == kind and out[-1]["request"] == req and out[-1]["end_s"] == t:
                out[-1]["end_s"] = stop  # one bar for a stretch of the same work
            else:
                out.append({"start_s": t, "end_s": stop, "kind": kind, "request": req})
        return out


class _Queue:
    """Requests that the same team types can serve, most urgent first, with their nodes as an array."""

    __slots__ = ("capable", "keys", "reqs", "nodes")

    def __init__(self, capable: tuple[str, ...]) -> None:
        self.capable = frozenset(capable)
        self.keys: list[tuple] = []
        self.reqs: list[Request] = []
        self.nodes = np.zeros(0, np.int64)

    def insert(self, key: tuple, req: Request) -> None:
        i = bisect.bisect_right(self.keys, key)
        self.keys.insert(i, key)
        self.reqs.insert(i, req)
        self.nodes = np.insert(self.nodes, i, req.node)

    def pop(self, i: int) -> Request:
        del self.keys[i]
        self.nodes = np.delete(self.nodes, i)
        return self.reqs.pop(i)


class Dispatcher:
    """Queues requests and assigns each to the nearest capable idle team.

    Travel times come from ``times_from(team)`` (the team's current travel time to every node,
    as an array: one cached search per team position and road epoch, looked up for the whole
    queue at once) or, failing that, from ``travel_time(a, b)`` pair by pair.
    """

    def __init__(self, env: simpy.Environment, teams: Iterable[Team], *,
                 travel_time: Callable[[int, int], float] | None = None, mover: Mover | None = None,
                 policy: str = "priority", shift_s: float = math.inf, rest_s: float = 0.0,
                 log: Callable[..., None] | None = None,
                 times_from: Callable[[Team], np.ndarray] | None = None,
                 roads_reopen: Callable[[], simpy.Event] | None = None) -> None:
        self.env = env
        self.teams = list(teams)
        self.idle: list[Team] = list(self.teams)
        self.travel_time = travel_time or (lambda a, b: 0.0)
        self.times_from = times_from
        self.mover = mover
        self.policy = policy
        self.shift_s = shift_s
        self.rest_s = rest_s
        self.log = log or (lambda *a, **k: None)
        #: the event of some road getting faster or reopening (a team cut off from base waits for it)
        self.roads_reopen = roads_reopen
        self._queues: dict[tuple[str, ...], _Queue] = {}
        self.requests: list[Request] = []
        for t in self.teams:
            t.set(env.now, "idle")

    # ------------------------------------------------------------------ public
    def submit(self, req: Request) -> None:
        """Queue ``req`` under its capability class and assign whatever free teams can now serve."""
        self.requests.append(req)
        self._enqueue(req)
        self.log("request", kind=req.kind, node=req.node, id=req.id, priority=req.priority)
        self.match()

    def _enqueue(self, req: Request) -> None:
        # the key keeps the call's own time: a job handed back keeps its place in the queue
        key = (req.priority, req.created_s, req.id) if self.policy == "priority" else (req.created_s, req.id)
        q = self._queues.get(req.capable)
        if q is None:
            q = self._queues[req.capable] = _Queue(req.capable)
        q.insert(key, req)

    @property
    def queued(self) -> int:
        """Requests waiting for a team."""
        return sum(len(q.reqs) for q in self._queues.values())

    def _first(self, q: _Queue, teams: list[Team]) -> tuple[int, Team] | None:
        """The most urgent request of ``q`` some team of ``teams`` can reach, and its nearest
        such team (ties: the lower team id)."""
        if self.times_from is None:
            for i, req in enumerate(q.reqs):
                best, best_t = None, math.inf
                for t in teams:
                    tt = self.travel_time(t.node, req.node)
                    if tt < best_t or (tt == best_t and best is not None and t.id < best.id):
                        best, best_t = t, tt
                if best is not None:
                    return i, best
            return None
        tm = np.stack([self.times_from(t)[q.nodes] for t in teams])
        ok = np.isfinite(tm).any(axis=0)
        if not ok.any():
            return None
        i = int(np.argmax(ok))
        col = tm[:, i]
        j = min(range(len(teams)), key=lambda j: (col[j], teams[j].id))
        return i, teams[j]

    def match(self) -> None:
        """Assign queued requests, most urgent first, while capable teams are free.

        Equivalent to walking one queue in key order and giving each request its nearest
        capable idle team: per capability class the first reachable request is found at once,
        and the most urgent of those is assigned, until no idle team can serve any request.
        """
        while self.idle:
            best: tuple | None = None
            for q in self._queues.values():
                if not q.reqs:
                    continue
                teams = [t for t in self.idle if t.type in q.capable]
                if not teams:
                    continue
                hit = self._first(q, teams)
                if hit is not None and (best is None or q.keys[hit[0]] < best[0]):
                    best = (q.keys[hit[0]], q, hit[0], hit[1])
            if best is None:  # nobody free can do (or reach) any queued request
                return
            _, q, i, team = best
            req = q.pop(i)
            self.idle.remove(team)
            self.env.process(self._work(team, req))

    # ------------------------------------------------------------------ team life
    def _work(self, team: Team, req: Request) -> Generator:
        env = self.env
        start = env.now
        req.assigned_s = start
        req.team = team.id
        team.request = req.id
        team.jobs += 1
        team.dispatches += 1
        self.log("dispatch", kind=req.kind, node=req.node, id=req.id, team=team.id)
        if self.mover is not None and team.node != req.node:
            team.set(start, "travel")
            reached = yield from self.mover(team, req.node)
            if reached != req.node:
                self._hand_back(team, req)
                yield from self._release(team)
                return
        team.set(env.now, "scene", req.node)
        req.arrived_s = env.now
        if req.on_arrive is not None:
            req.on_arrive(team, req)
        self.log("arrive", kind=req.kind, node=req.node, id=req.id, team=team.id)
        yield env.timeout(req.service_s)
        if req.after_scene is not None:
            yield from req.after_scene(team, req)
        req.done_s = env.now
        team.busy_s += env.now - start
        if req.on_done is not None:
            req.on_done(team, req)
        self.log("done", kind=req.kind, node=team.node, id=req.id, team=team.id)
        yield from self._release(team)

    def _hand_back(self, team: Team, req: Request) -> None:
        """The hazard closed every road to ``req`` while ``team`` was on its way: the job goes
        back into the queue at its old place, unassigned."""
        req.assigned_s, req.team = math.nan, ""
        req.handed_back += 1
        team.jobs -= 1
        team.turned_back += 1
        self._enqueue(req)
        self.log("turned_back", kind=req.kind, node=req.node, id=req.id, team=team.id, at=team.node)

    def _release(self, team: Team) -> Generator:
        env = self.env
        tired = env.now - team.shift_start_s >= self.shift_s
        if not tired:
            self.idle.append(team)
            team.set(env.now, "idle")
            self.match()
            if team not in self.idle:
                return  # took the next job from where it stands
            self.idle.remove(team)
        while team.node != team.base_node and self.mover is not None:
            team.set(env.now, "returning")
            reached = yield from self.mover(team, team.base_node)
            if reached == team.base_node:
                break
            # cut off from base: rest (if due) and stand by where it is, for any job it can reach
            if tired:
                team.set(env.now, "resting")
                yield env.timeout(self.rest_s)
                team.shift_start_s, tired = env.now, False
            if not (yield from self._stand_by(team)):
                return  # it took a job; that job's own release brings it home
        team.node = team.base_node
        if tired:
            team.set(env.now, "resting")
            yield env.timeout(self.rest_s)
            team.shift_start_s = env.now
        self.idle.append(team)
        team.set(env.now, "idle")
        self.match()

    def _stand_by(self, team: Team) -> Generator:
        """``team``, cut off from its base, waits where it is in the free pool until a road
        reopens; True if it is still free then (it heads home), False if it took a job."""
        self.idle.append(team)
        team.set(self.env.now, "standby")
        self.match()
        if team not in self.idle:
            return False
        if self.roads_reopen is None:  # nothing will ever reopen: stay
            return False
        mine = team.dispatches
        while True:
            yield self.roads_reopen()
            if team.dispatches != mine or team not in self.idle:
                return False
            home = (self.times_from(team)[team.base_node] if self.times_from is not None
                    else self.travel_time(team.node, team.base_node))
            if math.isfinite(home):
                self.idle.remove(team)
                return True
