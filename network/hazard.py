"""The hazard interface: what every hazard model tells the layers above it.

A hazard (a river flood, a forest fire, a chemical release, road damage, ...) turns simulation
time into a :class:`HazardState` on a road network: a speed factor per edge, its own intensity
per node and the people it affects. Beyond that it *declares* what it is and what it exposes,
so the simulation, the plan optimiser, the outputs, the figures and the drills read the
declaration instead of guessing from attributes or class names:

============================  ==================================================================
``kind``, ``label_zh/en``     its registry key (``"flood"``) and its name for people
``water_on_roads``            roads it closes are under water that rescue boats cross
``level_floor``               ``node_level`` above which the hazard "is" at a node
``fire_line()``               crews can fight it on a line: the front and suppression
``incident_site()``           a point that calls a response to itself (a leak: the hazmat team)
``quiet_after_s``             after this time it cannot change the network any more
``warning_issue_delay_s``     its own delay from THREATENED to the warning's issue (None: the
                              simulation's ``warning_issue_delay_min``)
``sheltering_nodes()``        where people are told to shelter in place rather than leave
``model_notes``               inputs beyond the range the model's reference supports
``map_field()``, ``field_style``  the raster to draw at a time, and how to colour it
``footprint(times)``          what it left on the ground: zones for GeoJSON layers and maps
``indicators(times)``         its own figures for summaries (peak stage, burned area, ...)
============================  ==================================================================

Every method but :meth:`Hazard.state` has a default that suits a hazard without that feature,
so a new hazard implements ``state`` and overrides only what it has. The interface lives in the
base layer because every layer reads it: ``sim`` implements it, ``optimize`` and ``scenarios``
consume it (docs/design.md, "The hazard interface").
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, Sequence

import numpy as np
import shapely
from shapely.geometry import mapping

from .model import RoadNetwork
from .projection import to_lonlat
from .raster import Raster

#: severity levels of an affected record
THREATENED, AFFECTED, LETHAL = 0, 1, 2


class HazardModelWarning(UserWarning):
    """A hazard model used beyond the range its reference supports (the run's notes list it)."""


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
        """Nobody affected."""
        return cls(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0, np.int8))

    @property
    def total(self) -> float:
        """People in every record, whatever their severity."""
        return float(self.people.sum())

    def people_at_least(self, severity: int) -> float:
        """People whose node has reached ``severity`` or worse."""
        return float(self.people[self.severity >= severity].sum())


@dataclass(frozen=True)
class HazardState:
    """What a hazard does to the network at ``time_s``.

    ``edge_speed_factor`` in [0, 1] per edge (0 = closed); ``node_level`` is the hazard's own
    intensity per node (flood depth in m, fire: 1 burning / 0, chemical: concentration in ppm);
    ``fields`` holds the rasters a hazard computed on the way (only when asked for).
    """

    time_s: float
    edge_speed_factor: np.ndarray
    node_level: np.ndarray
    affected: AffectedPeople
    fields: dict[str, Raster] = field(default_factory=dict)


def combine_states(states: Sequence[HazardState], net: RoadNetwork) -> np.ndarray:
    """Per-edge speed factor of several hazards at once: the smallest factor wins."""
    factor = np.ones(net.n_edges)
    for s in states:
        np.minimum(factor, s.edge_speed_factor, out=factor)
    return factor


# ---------------------------------------------------------------------------------- drawing data
@dataclass(frozen=True)
class FieldClass:
    """One value of a categorical field (a fire's cell states) and how to show it."""

    value: float
    colour: str
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class FieldStyle:
    """How to colour a hazard's map field: a continuous scale, or categories (``classes``).

    Values at or below ``threshold`` are left transparent; ``cap`` caps the colour scale (flood
    depths in the river channel would wash out the floodplain's colours); ``log`` uses a
    logarithmic scale (concentrations over orders of magnitude); ``bands`` draws discrete bands
    between these edges (above ``threshold``; the last band is open), so the values that matter
    to a decision -- wading depth, a storey -- are told apart at a glance.
    """

    label_zh: str
    label_en: str
    cmap: str = "Blues"
    threshold: float = 0.0
    cap: float | None = None
    log: bool = False
    classes: tuple[FieldClass, ...] = ()
    bands: tuple[float, ...] = ()

    def label(self, lang: str) -> str:
        """The colour bar's label in ``lang`` ("zh" or "en")."""
        return self.label_zh if lang == "zh" else self.label_en


@dataclass(frozen=True)
class Zone:
    """One layer of a footprint: a geometry in the network's projected CRS, with its legend
    entry and the properties written to GeoJSON."""

    geometry: Any
    label_zh: str
    label_en: str
    colour: str
    properties: dict[str, Any] = field(default_factory=dict)

    def label(self, lang: str) -> str:
        """The legend entry in ``lang`` ("zh" or "en")."""
        return self.label_zh if lang == "zh" else self.label_en


@dataclass(frozen=True)
class Footprint:
    """What a hazard left on the ground over some times: zones (mildest first, so the worst
    draws on top), optionally the peak field it was drawn from, and its source point.

    :meth:`to_geojson` gives an RFC 7946 FeatureCollection in lon/lat that QGIS opens.
    """

    name: str
    crs: str
    zones: tuple[Zone, ...] = ()
    field: Raster | None = None
    style: FieldStyle | None = None
    source_xy: tuple[float, float] | None = None
    source_label_zh: str = "源"
    source_label_en: str = "source"

    def to_geojson(self, properties: dict[str, Any] | None = None) -> dict:
        """The zones as GeoJSON features in lon/lat (7 decimals, polygons counter-clockwise).

        Parameters
        ----------
        properties
            Added to every feature's properties (e.g. which hazard it belongs to).

        Returns
        -------
        dict
            ``{"type": "FeatureCollection", "name": ..., "features": [...]}``.
        """
        def lonlat(coords: np.ndarray) -> np.ndarray:
            lon, lat = to_lonlat(coords[:, 0], coords[:, 1], self.crs)
            return np.round(np.column_stack([lon, lat]), 7)

        features = []
        for z in self.zones:
            if z.geometry is None or z.geometry.is_empty:
                continue
            geom = shapely.orient_polygons(shapely.transform(z.geometry, lonlat))
            features.append({"type": "Feature", "properties": {**z.properties, **(properties or {})},
                             "geometry": mapping(geom)})
        return {"type": "FeatureCollection", "name": self.name, "features": features}


@dataclass(frozen=True)
class IncidentSite:
    """A point source that calls a response to itself once it starts (``response``: the
    simulation's request kind, e.g. ``"hazmat"``)."""

    x: float
    y: float
    start_s: float
    response: str


class FireLine(Protocol):
    """A hazard crews fight on a line: when it is reported, where its front is, how long the walk
    from a road to it takes, and what the crews on the line do to it."""

    def detected_s(self) -> float:
        """When the fire is reported (``inf``: never within the run); no crew is sent before."""

    def front_xy(self, time_s: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates of the burning front at ``time_s``."""

    def line_point(self, time_s: float, rng: np.random.Generator) -> tuple[float, float] | None:
        """Where the next crew joins the line at ``time_s`` (None: nothing left to fight)."""

    def hike_s(self, from_xy: tuple[float, float], to_xy: tuple[float, float]) -> float:
        """Seconds to walk from a road node to a point of the line."""

    def crews_on_line(self, time_s: float, crews: Sequence[tuple[float, float, int]], *,
                      radius_m: float, factor: float) -> None:
        """The crews working from ``time_s``: ``(x, y, persons)`` each (empty: none). ``radius_m``
        and ``factor`` are the simulation's suppression parameters for a model that cuts spread
        round the crews; a model with line production builds line instead."""


# ---------------------------------------------------------------------------------- the interface
class Hazard(ABC):
    """A hazard evaluated on a road network over simulation time (see the module notes).

    Subclasses set the class attributes ``kind``, ``label_zh``, ``label_en`` (and
    ``water_on_roads`` for floods), keep the network in ``net`` and a display name in
    ``name``, implement :meth:`state` and override the other methods they have a use for.
    """

    kind: ClassVar[str]
    label_zh: ClassVar[str]
    label_en: ClassVar[str]
    #: the roads it closes are under water: boats cross them (the simulation's boat mode)
    water_on_roads: ClassVar[bool] = False

    name: str
    net: RoadNetwork

    @abstractmethod
    def state(self, time_s: float, *, fields: bool = True) -> HazardState:
        """The hazard at ``time_s``.

        Parameters
        ----------
        time_s
            Simulation time, seconds from the start of the run.
        fields
            Also compute the rasters in ``HazardState.fields`` (maps need them, the
            simulation does not).

        Returns
        -------
        HazardState
        """

    def label(self, lang: str) -> str:
        """The hazard's kind in ``lang`` ("zh" or "en")."""
        return self.label_zh if lang == "zh" else self.label_en

    @property
    def level_floor(self) -> float:
        """``node_level`` above which the hazard is present at a node (0: any level)."""
        return 0.0

    @property
    def model_notes(self) -> tuple[str, ...]:
        """What a reader of the run must know about this model's use (inputs beyond the range
        its reference supports); none by default."""
        return ()

    @property
    def quiet_after_s(self) -> float:
        """After this time the hazard cannot close or slow a road any more (inf: not known)."""
        return math.inf

    @property
    def warning_issue_delay_s(self) -> float | None:
        """Seconds from a node's THREATENED time to the warning's issue for this hazard; None
        (the default) leaves it to the simulation's ``warning_issue_delay_min``."""
        return None

    def sheltering_nodes(self) -> np.ndarray | None:
        """Nodes (bool per node) whose people are told to shelter in place rather than leave;
        None (the default) when the protective action is evacuation everywhere."""
        return None

    def fire_line(self) -> FireLine | None:
        """The front crews attack and the suppression they apply; None when it has no fire line."""
        return None

    def incident_site(self) -> IncidentSite | None:
        """The point source that calls a response to itself; None when there is none."""
        return None

    @property
    def field_style(self) -> FieldStyle | None:
        """How to colour :meth:`map_field`; None when the hazard has no field to draw."""
        return None

    def map_field(self, state: HazardState, time_s: float) -> Raster | None:
        """The raster to draw for ``state`` (computed with ``fields=True``); None by default."""
        return None

    def footprint(self, times_s: Sequence[float]) -> Footprint:
        """What the hazard left on the ground over ``times_s``.

        The default is the network nodes where it was present at any of the times (points);
        hazards with an area or a field override it.
        """
        reached = np.zeros(self.net.n_nodes, bool)
        for t in times_s:
            reached |= np.asarray(self.state(float(t), fields=False).node_level) > self.level_floor
        nodes = np.flatnonzero(reached)
        zones: tuple[Zone, ...] = ()
        if len(nodes):
            geom = shapely.multipoints(np.column_stack([self.net.x[nodes], self.net.y[nodes]]))
            zones = (Zone(geom, f"{self.label_zh}影响节点", f"nodes reached by the {self.label_en}", "#e67e22",
                          {"nodes": int(len(nodes))}),)
        return Footprint(f"{self.label_en} footprint", self.net.crs, zones)

    def indicators(self, times_s: Sequence[float]) -> dict[str, Any]:
        """The hazard's own figures over ``times_s`` for summaries (none by default)."""
        return {}
