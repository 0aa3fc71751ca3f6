"""The district model as an object: spec, terrain, road network and (when read from a manifest)
what it was made of. Generated districts (:mod:`network.district`) and districts from real data
(:mod:`network.manifest`) are both this one class."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .district_spec import DistrictSpec, Facility, ShelterSite
from .model import RoadNetwork
from .raster import Raster
from .snap import snap_points
from .terrain import Terrain, xy_of


@dataclass(frozen=True, eq=False)
class District:
    """A district model: its spec, terrain rasters, road network and facility locations.

    ``terrain`` is None for a district from real data without a DEM; ``inputs`` (a
    :class:`network.manifest.DistrictInputs`) is set for one read from a manifest.
    """

    spec: DistrictSpec
    terrain: Terrain | None
    network: RoadNetwork
    inputs: Any = None

    @property
    def dem(self) -> Raster | None:
        """The digital elevation model (metres, the district's CRS), or None without terrain."""
        return None if self.terrain is None else self.terrain.dem

    @property
    def illustrative(self) -> bool:
        """True for a generated district (locations and roads approximated, not survey data)."""
        return bool(self.network.meta.get("illustrative"))

    @property
    def notes(self) -> tuple[str, ...]:
        """What a reader of every run on this district must know (parts missing, defaults used)."""
        return () if self.inputs is None else tuple(self.inputs.missing) + tuple(self.inputs.fallbacks)

    def zone_name(self, zone: int, lang: str = "zh") -> str:
        """Name of a zone (township) index in Chinese (``lang="zh"``) or English.

        Parameters
        ----------
        zone : int
            Zone index as in ``network.zone``; negative means outside the district.
        lang : {"zh", "en"}
            Language of the name; anything but ``"zh"`` gives English.

        Returns
        -------
        str
            The township's name, or "区外" / "outside the district" for a negative index.
        """
        if zone < 0:
            return "区外" if lang == "zh" else "outside the district"
        t = self.spec.townships[zone]
        return t.name_zh if lang == "zh" else t.name_en

    def facility_nodes(self, facilities: list[Facility] | list[ShelterSite] | None = None) -> np.ndarray:
        """Nearest network node of each facility.

        Parameters
        ----------
        facilities : list of Facility or ShelterSite, optional
            Default: all facilities in the spec (not the shelters).

        Returns
        -------
        numpy.ndarray of int64
            Node position of each facility, in the order given.
        """
        items = self.spec.facilities if facilities is None else facilities
        if not items:
            return np.zeros(0, np.int64)
        xy = xy_of([f.location for f in items], self.spec.district.crs)
        return snap_points(self.network, xy[:, 0], xy[:, 1], names=[f.id for f in items]).node

    def shelter_nodes(self) -> np.ndarray:
        """Nearest network node of each shelter site (existing and candidate) in the spec."""
        return self.facility_nodes(self.spec.shelters)
