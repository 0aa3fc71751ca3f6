"""One entry point for every network source: the built-in district, OSM files, GraphML."""
from __future__ import annotations

from pathlib import Path

from .errors import InputError
from .model import RoadNetwork

OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".pbf", ".osm.pbf", ".xml")

# Deferred: each loader is imported in the branch that uses it. All three at the top would
# add ~0.35 s to importing this module (district generator ~0.23 s, GraphML with networkx
# ~0.13 s, OSM with osmium ~0.04 s), and a call needs only one of them.


def load_network(source: str | Path | None = None) -> RoadNetwork:
    """A road network from a file, or the built-in Changjiang District when ``source`` is None.

    Parameters
    ----------
    source : str or Path, optional
        Recognised by name: ``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.pbf``, ``.xml``
        (OpenStreetMap, via pyosmium, see :func:`network.osm.load_osm`), ``.graphml`` (as
        OSMnx saves it, see :func:`network.graphml.load_graphml`), ``.toml`` (a district
        spec like the built-in one). None: the built-in district.

    Returns
    -------
    RoadNetwork
        The largest strongly connected part of the road network.

    Raises
    ------
    InputError
        For a missing file, an unknown file type, or whatever the loader rejects.
    """
    if source is None:
        from .district import load_district

        return load_district().network
    path = Path(source)
    name = path.name.lower()
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if name.endswith(OSM_SUFFIXES):
        from .osm import load_osm

        return load_osm(path)
    if name.endswith(".graphml"):
        from .graphml import load_graphml

        return load_graphml(path)
    if name.endswith(".toml"):
        from .district import load_district

        return load_district(path).network
    raise InputError(
        f"{path}: unknown network format; use .osm, .osm.bz2, .osm.gz, .pbf, .graphml or a district .toml"
    )


def load_map_source(source: str | Path | None = None):
    """What ``yingji network map`` draws: a District (with terrain and facilities) or a bare network.

    Parameters
    ----------
    source : str or Path, optional
        A district ``.toml`` or None (the built-in district), else any file
        :func:`load_network` reads.

    Returns
    -------
    District or RoadNetwork
        A :class:`~network.district.District` for a district spec, else the network.

    Raises
    ------
    InputError
        As :func:`load_network` and :func:`~network.district.load_district` raise it.
    """
    if source is None or str(source).lower().endswith(".toml"):
        from .district import load_district

        return load_district(source)
    return load_network(source)
