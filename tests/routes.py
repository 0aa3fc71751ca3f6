"""Shared check for the simulation's routes: each is a real path and as short as a fresh search."""
from __future__ import annotations

import numpy as np
import pytest

from network.errors import UnreachableError
from network.paths import shortest_path
from sim.roads import ROAD


def check_route(net, roads, src: int, dst: int) -> bool:
    """Assert ``roads.route(src, dst)`` is a path of ``net`` with the shortest time (or None when
    ``dst`` is unreachable); return whether a route was checked."""
    r = roads.route(src, dst, ROAD)
    try:
        ref = shortest_path(net, src, dst, roads.weights)
    except UnreachableError:
        assert r is None
        return False
    nodes, edges = r
    assert nodes[0] == src and nodes[-1] == dst and len(edges) == len(nodes) - 1
    assert np.all(np.asarray(net.indices)[edges] == nodes[1:])
    assert roads.weights[edges].sum() == pytest.approx(ref.time, rel=1e-12)
    assert roads.time(src, dst) == pytest.approx(ref.time, rel=1e-12)
    return True
