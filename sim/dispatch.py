"""Requests, teams and the dispatcher: nearest capable free team by current travel time.

The dispatcher knows nothing of roads or hazards: it is given ``travel_time(a, b)`` and a
``mover(team, node)`` sub-process (None: teams teleport, as in the Erlang C check). That keeps
the queueing logic one piece of code, verified against M/M/c, and reused by the full engine.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Callable, Generator, Iterable

import simpy

Mover = Callable[["Team", int], Generator[simpy.Event, object, object]]


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

    @property
    def wait_s(self) -> float:
        return self.assigned_s - self.created_s

    @property
    def response_s(self) -> float:
        return self.arrived_s - self.created_s


@dataclass(eq=False)
class Team:
    """One squad: where it is based, where it is now, and what it is doing."""

    id: str
    type: str
    base_node: int
    people: int
    node: int = -1
    status: str = "idle"  # idle | travel | scene | returning | resting
    busy_s: float = 0.0
    jobs: int = 0
    shift_start_s: float = 0.0
    history: list[tuple[float, str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.node < 0:
            self.node = self.base_node

    def set(self, now: float, status: str, node: int | None = None) -> None:
        self.status = status
        if node is not None:
            self.node = node
        self.history.append((now, status, self.node))


class Dispatcher:
    """Queues requests and assigns each to the nearest capable idle team."""

    def __init__(self, env: simpy.Environment, teams: Iterable[Team], *,
                 travel_time: Callable[[int, int], float] | None = None, mover: Mover | None = None,
                 policy: str = "priority", shift_s: float = math.inf, rest_s: float = 0.0,
                 log: Callable[..., None] | None = None) -> None:
        self.env = env
        self.teams = list(teams)
        self.idle: list[Team] = list(self.teams)
        self.travel_time = travel_time or (lambda a, b: 0.0)
        self.mover = mover
        self.policy = policy
        self.shift_s = shift_s
        self.rest_s = rest_s
        self.log = log or (lambda *a, **k: None)
        self._queue: list[tuple[tuple, Request]] = []
        self.requests: list[Request] = []
        for t in self.teams:
            t.set(env.now, "idle")

    # ------------------------------------------------------------------ public
    def submit(self, req: Request) -> None:
        self.requests.append(req)
        key = (req.priority, req.created_s, req.id) if self.policy == "priority" else (req.created_s, req.id)
        bisect.insort(self._queue, (key, req), key=lambda kr: kr[0])
        self.log("request", kind=req.kind, node=req.node, id=req.id, priority=req.priority)
        self.match()

    @property
    def queued(self) -> int:
        return len(self._queue)

    def match(self) -> None:
        """Assign queued requests, most urgent first, while capable teams are free."""
        if not self.idle or not self._queue:
            return
        i = 0
        while i < len(self._queue) and self.idle:
            req = self._queue[i][1]
            best, best_t = None, math.inf
            for t in self.idle:
                if t.type in req.capable:
                    tt = self.travel_time(t.node, req.node)
                    if tt < best_t or (tt == best_t and best is not None and t.id < best.id):
                        best, best_t = t, tt
            if best is None:  # nobody free can do it (or reach it): try the next request
                i += 1
                continue
            del self._queue[i]
            self.idle.remove(best)
            self.env.process(self._work(best, req))

    # ------------------------------------------------------------------ team life
    def _work(self, team: Team, req: Request) -> Generator:
        env = self.env
        start = env.now
        req.assigned_s = start
        req.team = team.id
        team.jobs += 1
        self.log("dispatch", kind=req.kind, node=req.node, id=req.id, team=team.id)
        if self.mover is not None and team.node != req.node:
            team.set(start, "travel")
            yield from self.mover(team, req.node)
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
        if team.node != team.base_node and self.mover is not None:
            team.set(env.now, "returning")
            yield from self.mover(team, team.base_node)
        team.node = team.base_node
        if tired:
            team.set(env.now, "resting")
            yield env.timeout(self.rest_s)
            team.shift_start_s = env.now
        self.idle.append(team)
        team.set(env.now, "idle")
        self.match()
