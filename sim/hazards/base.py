"""The common shape every hazard model hands to the simulation at a time t."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from network.model import RoadNetwork
from network.raster import Raster

#: severity levels of an affected record
THREATENED, AFFECTED, LETHAL = 0, 1, 2


@dataclass(frozen=True)
class AffectedPeople:
    """People affected or threatened at network nodes.

    ``since_s`` is the simulation time at which each node first reached its ``severity``
    (THREATENED = warned/at risk, AFFECTED = needs relief, LETHAL = exposure proxy).
    """

    node: np.ndarray
    people: np.ndarray
    since_s: np.ndarray
    severity: np.ndarray

    @classmethod
    def empty(cls) -> "AffectedPeople":
        return cls(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0, np.int8))

    @property
    def total(self) -> float:
        return float(self.people.sum())


@dataclass(frozen=True)
class HazardState:
    """What a hazard does to the network at ``time_s``.

    ``edge_speed_factor`` in [0, 1] per edge (0 = closed); ``node_level`` is the hazard's own
    intensity per node (flood depth in m, fire: 1 burning / 0, chemical: concentration in ppm).
    """

    time_s: float
    edge_speed_factor: np.ndarray
    node_level: np.ndarray
    affected: AffectedPeople
    fields: dict[str, Raster] = field(default_factory=dict)


class Hazard(Protocol):
    """A hazard evaluated on a road network over simulation time."""

    name: str

    def state(self, time_s: float) -> HazardState: ...


def combine_states(states: list[HazardState], net: RoadNetwork) -> np.ndarray:
    """Per-edge speed factor of several hazards at once: the smallest factor wins."""
    factor = np.ones(net.n_edges)
    for s in states:
        np.minimum(factor, s.edge_speed_factor, out=factor)
    return factor
