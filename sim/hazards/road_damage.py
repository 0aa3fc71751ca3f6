"""Road damage: a seeded random share of roads cut (landslides, debris, collapsed culverts).

Not a physical model: it stands for the damage the flood, fire and chemical models do not
produce, so that batch runs can vary it (``[uncertain."hazards.road_damage.closed_share"]``).
A road is cut in both directions; the cut roads are drawn once, from the seed, among the road
classes named, and stay closed from ``start_s`` to the end of the run. :meth:`RoadDamage.of_edges`
closes given edges instead (a drill's twist: a named road closing early).
"""
from __future__ import annotations

from typing import Literal, Sequence

import numpy as np
import shapely
from pydantic import Field

from network.checks import StrictModel
from network.errors import InputError
from network.hazard import AffectedPeople, Footprint, Hazard, HazardState, Zone
from network.model import RoadNetwork
from network.roadclass import RoadClass

from .registry import BuildContext, HazardType


class RoadDamage(Hazard):
    """Close ``closed_share`` of the roads of ``road_classes`` (all classes when empty).

    Parameters
    ----------
    net
        The road network.
    closed_share
        Share of the eligible roads to cut, in [0, 1] (rounded to a whole number of roads).
    road_classes
        Names of :class:`network.roadclass.RoadClass` members (any case) whose roads may be cut.
    seed
        An integer or a ``numpy.random.Generator``: which roads are cut.
    start_s
        When the roads close (s, ≥ 0); they stay closed.
    name
        Name in outputs.

    Raises
    ------
    InputError
        On a share outside [0, 1], an unknown road class, or a negative start.
    """

    kind = "road_damage"
    label_zh, label_en = "道路损毁", "road damage"

    def __init__(self, net: RoadNetwork, closed_share: float, *, road_classes: Sequence[str] = (),
                 seed: int | np.random.Generator = 0, start_s: float = 0.0, name: str = "road damage") -> None:
        if not 0.0 <= closed_share <= 1.0:
            raise InputError(f"closed_share: expected a share in [0, 1], found {closed_share}")
        classes = []
        for c in road_classes:
            try:
                classes.append(RoadClass[str(c).upper()])
            except KeyError:
                raise InputError(f"road_classes: unknown class {c!r}; one of "
                                 f"{', '.join(r.name.lower() for r in RoadClass)}") from None
        tails, heads = self._ends(net)
        eligible = np.isin(net.road_class, classes) if classes else np.ones(net.n_edges, bool)
        # a road = an unordered pair of nodes; both directions (and parallel edges) go together
        key = self._road_key(net, tails, heads)
        roads = np.unique(key[eligible])
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        cut = rng.choice(roads, size=int(round(closed_share * len(roads))), replace=False)
        self._close(net, np.flatnonzero(np.isin(key, cut) & eligible), start_s, name)

    @classmethod
    def of_edges(cls, net: RoadNetwork, edges: np.ndarray, start_s: float, name: str = "road closure") -> "RoadDamage":
        """Close exactly ``edges`` (CSR edge indices) from ``start_s`` on."""
        new = object.__new__(cls)
        new._close(net, np.asarray(edges, np.int64), start_s, name)
        return new

    def _close(self, net: RoadNetwork, edges: np.ndarray, start_s: float, name: str) -> None:
        """Record the closed edges and the two factor arrays the state switches between."""
        if not start_s >= 0.0:
            raise InputError(f"start_s: expected a time >= 0, found {start_s}")
        self.net, self.name, self.start_s = net, name, float(start_s)
        self.closed_edges = edges
        self._closed = np.ones(net.n_edges)
        self._closed[edges] = 0.0
        self._open = np.ones(net.n_edges)
        self._no_level = np.zeros(net.n_nodes)

    @staticmethod
    def _ends(net: RoadNetwork) -> tuple[np.ndarray, np.ndarray]:
        """Tail and head node of every edge."""
        return np.repeat(np.arange(net.n_nodes), np.diff(net.indptr)), np.asarray(net.indices)

    @staticmethod
    def _road_key(net: RoadNetwork, tails: np.ndarray, heads: np.ndarray) -> np.ndarray:
        """One key per unordered node pair, shared by both directions and parallel edges."""
        return np.minimum(tails, heads).astype(np.int64) * net.n_nodes + np.maximum(tails, heads)

    @property
    def roads_cut(self) -> int:
        """Roads cut (each counted once, whatever its directions)."""
        tails, heads = self._ends(self.net)
        return int(len(np.unique(self._road_key(self.net, tails[self.closed_edges], heads[self.closed_edges]))))

    def state(self, time_s: float, *, fields: bool = True) -> HazardState:
        """Every cut road closed from ``start_s`` on; nobody is affected by the damage itself."""
        factor = self._closed if time_s >= self.start_s else self._open
        return HazardState(float(time_s), factor, self._no_level, AffectedPeople.empty())

    def footprint(self, times_s: Sequence[float]) -> Footprint:
        """The cut edges as lines (one feature per edge), when any of ``times_s`` is after the cut."""
        net = self.net
        zones: tuple[Zone, ...] = ()
        if len(times_s) and max(times_s) >= self.start_s:
            tails, heads = self._ends(net)
            zones = tuple(
                Zone(shapely.linestrings([[net.x[tails[e]], net.y[tails[e]]], [net.x[heads[e]], net.y[heads[e]]]]),
                     "道路中断", "road cut", "#e60000", {"edge": int(e), "closed_from_h": self.start_s / 3600.0})
                for e in self.closed_edges)
        return Footprint("road damage", net.crs, zones)


class RoadDamageSection(StrictModel):
    """Roads cut by landslides or debris: a seeded random share of roads closed (both ways)."""

    closed_share: float = Field(0.0, ge=0, le=1)
    road_classes: list[Literal["motorway", "trunk", "primary", "secondary", "tertiary", "local", "service"]] = []
    start_h: float = Field(0.0, ge=0)


def build_road_damage(rd: RoadDamageSection, ctx: BuildContext) -> RoadDamage:
    """The section's damage on the scenario's network, from its own stream of the run's seed
    (so adding road damage leaves the other hazards' draws alone)."""
    return RoadDamage(ctx.network, rd.closed_share, road_classes=rd.road_classes, start_s=rd.start_h * 3600.0,
                      seed=np.random.default_rng([ctx.seed, 0x0AD]))


ROAD_DAMAGE = HazardType("road_damage", RoadDamageSection, build_road_damage,
                         summary="roads cut by landslides or debris: a seeded share of roads closed")
