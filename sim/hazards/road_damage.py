"""Road damage: a seeded random share of roads cut (landslides, debris, collapsed culverts).

Not a physical model: it stands for the damage the flood, fire and chemical models do not
produce, so that batch runs can vary it (``[uncertain."hazards.road_damage.closed_share"]``).
A road is cut in both directions; the cut roads are drawn once, from the seed, among the road
classes named, and stay closed from ``start_s`` to the end of the run.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from network.errors import InputError
from network.model import RoadNetwork
from network.roadclass import RoadClass

from .base import AffectedPeople, HazardState


class RoadDamage:
    """Close ``closed_share`` of the roads of ``road_classes`` (all classes when empty)."""

    def __init__(self, net: RoadNetwork, closed_share: float, *, road_classes: Sequence[str] = (),
                 seed: int | np.random.Generator = 0, start_s: float = 0.0, name: str = "road damage") -> None:
        if not 0.0 <= closed_share <= 1.0:
            raise InputError(f"closed_share: expected a share in [0, 1], found {closed_share}")
        if not start_s >= 0.0:
            raise InputError(f"start_s: expected a time >= 0, found {start_s}")
        classes = []
        for c in road_classes:
            try:
                classes.append(RoadClass[str(c).upper()])
            except KeyError:
                raise InputError(f"road_classes: unknown class {c!r}; one of "
                                 f"{', '.join(r.name.lower() for r in RoadClass)}") from None
        self.net, self.name, self.start_s = net, name, float(start_s)
        tails = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
        heads = np.asarray(net.indices)
        eligible = np.isin(net.road_class, classes) if classes else np.ones(net.n_edges, bool)
        # a road = an unordered pair of nodes; both directions (and parallel edges) go together
        lo, hi = np.minimum(tails, heads), np.maximum(tails, heads)
        key = lo.astype(np.int64) * net.n_nodes + hi
        roads = np.unique(key[eligible])
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        cut = rng.choice(roads, size=int(round(closed_share * len(roads))), replace=False)
        self.closed_edges = np.flatnonzero(np.isin(key, cut) & eligible)
        self._closed = np.ones(net.n_edges)
        self._closed[self.closed_edges] = 0.0
        self._open = np.ones(net.n_edges)
        self._no_level = np.zeros(net.n_nodes)

    @property
    def roads_cut(self) -> int:
        """Roads cut (each counted once, whatever its directions)."""
        net = self.net
        tails = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))[self.closed_edges]
        heads = np.asarray(net.indices)[self.closed_edges]
        return int(len(np.unique(np.minimum(tails, heads).astype(np.int64) * net.n_nodes + np.maximum(tails, heads))))

    def state(self, time_s: float) -> HazardState:
        factor = self._closed if time_s >= self.start_s else self._open
        return HazardState(float(time_s), factor, self._no_level, AffectedPeople.empty())
