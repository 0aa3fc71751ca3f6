"""The dispatcher on roads the hazard closes: a team whose road to a job goes under water hands
the job back and is redeployed; a team cut off from its base stands by where it is, takes the
jobs it can reach, and heads home when a road reopens (sim/dispatch.py, as sim/engine.py wires it)."""
from __future__ import annotations

import numpy as np
import pytest
import simpy

from network.model import RoadNetwork
from sim.dispatch import Dispatcher, Request, Team
from sim.roads import Roads


def _line(n: int) -> RoadNetwork:
    """Nodes 0..n-1 on a line 1 km apart, two-way, 36 km/h: 100 s an edge."""
    x = np.arange(n) * 1000.0
    u = np.concatenate([np.arange(n - 1), np.arange(1, n)])
    v = np.concatenate([np.arange(1, n), np.arange(n - 1)])
    return RoadNetwork.from_edges(x=x, y=np.zeros(n), lon=120 + x / 1e5, lat=np.full(n, 29.0), u=u, v=v,
                                  length=np.full(len(u), 1000.0), speed_kmh=np.full(len(u), 36.0),
                                  road_class=np.full(len(u), 5), crs="EPSG:32650", spatial_order=False)


def _world(n: int, teams: list[Team]):
    net = _line(n)
    env = simpy.Environment()
    roads = Roads(env, net)

    def mover(team: Team, dst: int):  # as sim.engine.Simulation._move
        def moved(node: int) -> None:
            team.node = node
        node = yield from roads.drive(team.node, dst, on_move=moved, wait=False)
        team.node = node
        return node

    disp = Dispatcher(env, teams, travel_time=roads.time, mover=mover, times_from=lambda t: roads.tree_from(t.node),
                      roads_reopen=lambda: roads.opened_event)
    return net, env, roads, disp


def _cut(net: RoadNetwork, roads: Roads, *pairs: tuple[int, int]) -> None:
    """Close the two-way edges between each pair of nodes (and reopen every other)."""
    factor = np.ones(net.n_edges)
    for a, b in pairs:
        factor[((net.edge_source == a) & (net.indices == b)) | ((net.edge_source == b) & (net.indices == a))] = 0.0
    roads.update(factor)


def _at(env: simpy.Environment, t: float, fn) -> None:
    env.timeout(t).callbacks.append(lambda _ev: fn())


def _job(rid: int, node: int, created: float = 0.0, service: float = 100.0) -> Request:
    return Request(rid, "trapped", node, 1, ("general",), created, service)


def test_a_team_whose_road_to_the_job_floods_hands_it_back_and_another_team_takes_it():
    """A (base 0) is nearest to the job at node 2 and sets off; at 60 s the water closes 1–2.
    A reaches node 1 (100 s), finds no road on and hands the job back; B (base 6, 400 s away
    by 6–5–4–3–2) takes it at once and arrives at 500 s. A goes home (1–0 is open)."""
    a, b = Team("a", "general", 0, 5), Team("b", "general", 6, 5)
    net, env, roads, disp = _world(7, [a, b])
    job = _job(1, 2)
    disp.submit(job)
    _at(env, 60.0, lambda: _cut(net, roads, (1, 2)))
    env.run(until=1.0)
    assert job.team == "a"
    env.run(until=2000.0)
    assert job.handed_back == 1 and a.turned_back == 1 and a.jobs == 0
    assert job.team == "b" and job.assigned_s == pytest.approx(100.0)
    assert job.arrived_s == pytest.approx(500.0) and b.jobs == 1
    assert a.node == 0 and a.status == "idle" and a in disp.idle


def test_a_handed_back_job_keeps_its_place_in_the_queue():
    """The job handed back goes ahead of a later call of the same priority."""
    a, b = Team("a", "general", 0, 5), Team("b", "general", 6, 5)
    net, env, roads, disp = _world(7, [a, b])
    first = _job(1, 2)
    disp.submit(first)
    second = _job(2, 5, created=0.0)
    disp.submit(second)          # b takes it: the only free team
    _at(env, 60.0, lambda: _cut(net, roads, (1, 2)))
    later = _job(3, 4, created=80.0)
    _at(env, 80.0, lambda: disp.submit(later))  # queued: both teams busy
    env.run(until=1.0)
    assert second.team == "b"
    env.run(until=3000.0)
    # b finishes at 100 s travel + 100 s scene = 200 s; by then the handed-back job (created 0 s) waits ahead
    assert first.team == "b" and later.assigned_s > first.assigned_s


def test_a_team_cut_off_from_its_base_stands_by_takes_a_job_it_can_reach_and_goes_home_when_the_water_falls():
    """A works at node 2 (arrives 200 s, done 300 s); the water closes 0–1 at 250 s, so it cannot
    go home: it stands by at node 2, takes a call at node 3 (400 s, on scene at 500 s), stands by
    again at 3, and when the road reopens at 2000 s drives home (3 km: at 2300 s)."""
    a = Team("a", "general", 0, 5)
    net, env, roads, disp = _world(5, [a])
    disp.submit(_job(1, 2))
    _at(env, 250.0, lambda: _cut(net, roads, (0, 1)))
    call = _job(2, 3, created=400.0)
    _at(env, 400.0, lambda: disp.submit(call))
    _at(env, 2000.0, lambda: _cut(net, roads))
    env.run(until=5000.0)
    assert call.team == "a" and call.arrived_s == pytest.approx(500.0)
    kinds = [(round(x["start_s"]), round(x["end_s"]), x["kind"]) for x in a.activity(5000.0)]
    assert (300, 400, "standby") in kinds and (600, 2000, "standby") in kinds
    assert kinds[-1] == (2000, 2300, "return")
    assert a.node == 0 and a.status == "idle"


def test_a_team_on_standby_is_not_counted_busy():
    """Stand-by time is not work: the utilisation counts travel, escorts and scenes only."""
    from sim.measure import _teams

    a = Team("a", "general", 0, 5)
    net, env, roads, disp = _world(5, [a])
    disp.submit(_job(1, 2))
    _at(env, 250.0, lambda: _cut(net, roads, (0, 1)))
    env.run(until=3600.0)
    records, _ = _teams([a], 3600.0)
    assert records[0]["utilisation"] == pytest.approx(300.0 / 3600.0)
    assert records[0]["status_at_end"] == "standby"
