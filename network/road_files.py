"""Road networks from files: OpenStreetMap (XML, .bz2, .gz, PBF) or GraphML as OSMnx saves it."""
from __future__ import annotations

from pathlib import Path

from .errors import InputError
from .graphml import load_graphml
from .model import RoadNetwork
from .osm import OSM_SUFFIXES, load_osm


def is_road_file(path: str | Path) -> bool:
    """True for a file name this module reads (OSM or GraphML)."""
    name = Path(path).name.lower()
    return name.endswith(tuple(OSM_SUFFIXES)) or name.endswith(".graphml")


def load_road_file(path: str | Path) -> RoadNetwork:
    """The largest strongly connected part of the roads in an OSM or GraphML file.

    Raises
    ------
    InputError
        For a missing file, another file type, or whatever the reader rejects.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.name.lower().endswith(".graphml"):
        return load_graphml(path)
    if is_road_file(path):
        return load_osm(path)
    raise InputError(f"{path}: unknown road file type; use .osm, .osm.bz2, .osm.gz, .pbf or .graphml")
