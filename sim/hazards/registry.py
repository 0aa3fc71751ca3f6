"""What a hazard kind is to a scenario: its TOML section and how it is built on a district.

Each hazard package declares one :class:`HazardType` (``sim/hazards/flood/scenario.py`` declares
``FLOOD``); :data:`HAZARD_TYPES` in ``sim/hazards/__init__.py`` lists them, in build order. The
scenario spec reads its ``[hazards.<kind>]`` sections from that list and the runner calls each
type's ``build``; nothing else needs to know which kinds exist (docs/design.md, "Adding a
hazard").
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from network.checks import StrictModel
from network.district import District
from network.errors import InputError, YingjiError
from network.hazard import Hazard
from network.model import RoadNetwork


@dataclass
class BuildContext:
    """What a hazard builder is given besides its own section.

    Parameters
    ----------
    district
        A district model (terrain, river, land cover, facilities) or a bare road network
        (OSM, GraphML).
    seed
        The scenario's seed for this run; a builder that draws derives its own stream from it.
    duration_s
        Length of the simulated run.
    where
        ``where("hazards.flood.breaches.0.dike")`` gives ``file:line: field`` for messages.
    resolve
        ``resolve("stages.csv")`` gives a path relative to the scenario file.
    built
        The scenario's hazards built so far, by kind (a release may start when the flood
        reaches its site).
    notes
        Builders append what a reader of the run must know (model warnings, a release that
        never happens).
    """

    district: District | RoadNetwork
    seed: int
    duration_s: float
    where: Callable[[str], str]
    resolve: Callable[[str], Path]
    built: dict[str, Hazard] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def network(self) -> RoadNetwork:
        """The road network the hazards act on."""
        return self.district.network if isinstance(self.district, District) else self.district

    @property
    def has_terrain(self) -> bool:
        """True for a district model with terrain (a DEM and land cover on one grid)."""
        return isinstance(self.district, District) and self.district.terrain is not None

    def fail(self, field_: str, message: str) -> InputError:
        """An InputError about ``field_`` of the scenario (``file:line: field: message``)."""
        return InputError(f"{self.where(field_)}: {message}")

    def wrap(self, field_: str, exc: YingjiError) -> InputError:
        """A model's own error, placed at ``field_`` of the scenario."""
        return self.fail(field_, str(exc))


@dataclass(frozen=True)
class HazardType:
    """One kind of hazard a scenario can name.

    Parameters
    ----------
    kind
        The TOML section ``[hazards.<kind>]`` and the hazard's ``kind``.
    section
        The pydantic model of the section (unknown keys are errors).
    build
        ``build(section, ctx)`` returns the hazard, or None when it does not happen in this
        run (with a note in ``ctx.notes`` saying why).
    needs_terrain
        The model needs a district model's terrain (a DEM, a river, land cover): refused on
        a bare road network with a message naming the section.
    summary
        One line for listings.
    """

    kind: str
    section: type[StrictModel]
    build: Callable[[Any, BuildContext], Hazard | None]
    needs_terrain: bool = False
    summary: str = ""

    @property
    def field(self) -> str:
        """The section's dotted path in a scenario file."""
        return f"hazards.{self.kind}"
