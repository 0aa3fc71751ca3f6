"""Road classes shared by the loaders, the generator, the maps and the hazard models."""
from __future__ import annotations

from enum import IntEnum


class RoadClass(IntEnum):
    """Functional road class, ordered from fastest to slowest.

    The Chinese names follow the administrative classes a district planner uses
    (高速公路, 国道, 省道, 县道, 乡道/村道); OSM ``highway`` values map onto them.
    """

    MOTORWAY = 0
    TRUNK = 1
    PRIMARY = 2
    SECONDARY = 3
    TERTIARY = 4
    LOCAL = 5
    SERVICE = 6

    @property
    def name_zh(self) -> str:
        """The Chinese name of the class, e.g. 省道/主干路."""
        return _NAMES_ZH[self]

    @property
    def name_en(self) -> str:
        """The English name of the class, e.g. provincial / arterial road."""
        return _NAMES_EN[self]

    @property
    def default_speed_kmh(self) -> float:
        """Free-flow speed in km/h when no ``maxspeed`` is known."""
        return _DEFAULT_SPEED_KMH[self]


_NAMES_ZH = {
    RoadClass.MOTORWAY: "高速公路",
    RoadClass.TRUNK: "国道",
    RoadClass.PRIMARY: "省道/主干路",
    RoadClass.SECONDARY: "县道/次干路",
    RoadClass.TERTIARY: "乡道/支路",
    RoadClass.LOCAL: "村道/街巷",
    RoadClass.SERVICE: "专用道路",
}
_NAMES_EN = {
    RoadClass.MOTORWAY: "expressway",
    RoadClass.TRUNK: "national road",
    RoadClass.PRIMARY: "provincial / arterial road",
    RoadClass.SECONDARY: "county / collector road",
    RoadClass.TERTIARY: "township road",
    RoadClass.LOCAL: "village road / street",
    RoadClass.SERVICE: "service road",
}
# Free-flow speeds when no maxspeed is known; the same order of magnitude as OSMnx's
# fallbacks and Chinese design speeds (JTG B01-2014) for each class.
_DEFAULT_SPEED_KMH = {
    RoadClass.MOTORWAY: 100.0,
    RoadClass.TRUNK: 70.0,
    RoadClass.PRIMARY: 60.0,
    RoadClass.SECONDARY: 50.0,
    RoadClass.TERTIARY: 40.0,
    RoadClass.LOCAL: 30.0,
    RoadClass.SERVICE: 20.0,
}

#: OSM ``highway`` tag value -> road class.
OSM_HIGHWAY_CLASS: dict[str, RoadClass] = {
    "motorway": RoadClass.MOTORWAY,
    "motorway_link": RoadClass.MOTORWAY,
    "trunk": RoadClass.TRUNK,
    "trunk_link": RoadClass.TRUNK,
    "primary": RoadClass.PRIMARY,
    "primary_link": RoadClass.PRIMARY,
    "secondary": RoadClass.SECONDARY,
    "secondary_link": RoadClass.SECONDARY,
    "tertiary": RoadClass.TERTIARY,
    "tertiary_link": RoadClass.TERTIARY,
    "unclassified": RoadClass.LOCAL,
    "residential": RoadClass.LOCAL,
    "living_street": RoadClass.LOCAL,
    "road": RoadClass.LOCAL,
    "busway": RoadClass.LOCAL,
    "service": RoadClass.SERVICE,
    "track": RoadClass.SERVICE,
}
