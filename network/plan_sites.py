"""Plan files that name their sites as people do: by the id of a site the district already
knows, or by lon/lat, instead of by internal node numbers.

A plan JSON written by hand (or by another tool) may give each team base, warehouse or shelter
as ``{"id": "school-1", "capacity": 800}`` (a site of the district file or manifest) or as
``{"id": "new-depot", "lon": 117.15, "lat": 29.30, ...}`` (snapped to the nearest road node);
:func:`place_sites` fills in ``node``, ``lon``, ``lat`` and names before
:meth:`network.plan.Plan.from_dict` reads it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InputError
from .model import RoadNetwork
from .projection import to_projected
from .snap import snap_points

#: a site given by lon/lat farther than this from every road node is off the network
SNAP_MAX_M = 2000.0
_KINDS = ("team_bases", "warehouses", "shelters")


@dataclass(frozen=True)
class KnownSite:
    """A site the district knows: its road node, position and names."""

    node: int
    lon: float
    lat: float
    name_zh: str
    name_en: str


def place_sites(d: dict[str, Any], net: RoadNetwork, known: dict[str, KnownSite], source: str,
                *, snap_max_m: float = SNAP_MAX_M) -> dict[str, Any]:
    """The plan dict ``d`` with every facility's ``node``, ``lon``, ``lat`` and names filled.

    A facility keeps a ``node`` it gives; else its ``lon``/``lat`` are snapped to the nearest
    road node; else its ``id`` must be a site in ``known``.

    Raises
    ------
    InputError
        Naming ``source``, the list and entry: a place off the network (farther than
        ``snap_max_m``), or neither a place nor a known id.
    """
    out = dict(d)
    for kind in _KINDS:
        items = [dict(x) for x in d.get(kind, ())]
        for i, it in enumerate(items):
            where = f"{source}: {kind}.{i} ({it.get('id', 'no id')})"
            if "node" in it:
                continue
            if "lon" in it and "lat" in it:
                it["node"] = _snap(net, it["lon"], it["lat"], where, snap_max_m)
            elif it.get("id") in known:
                k = known[it["id"]]
                it.update(node=k.node, lon=k.lon, lat=k.lat)
                it.setdefault("name_zh", k.name_zh)
                it.setdefault("name_en", k.name_en)
            else:
                some = ", ".join(sorted(known)[:8]) + (" …" if len(known) > 8 else "")
                raise InputError(f"{where}: give node, lon and lat, or the id of a site the district knows"
                                 f" ({some or 'it knows none'})")
            it.setdefault("name_zh", str(it.get("id", "")))
            it.setdefault("name_en", str(it.get("id", "")))
        out[kind] = items
    return out


def _snap(net: RoadNetwork, lon: Any, lat: Any, where: str, snap_max_m: float) -> int:
    try:
        lo, la = float(lon), float(lat)
    except (TypeError, ValueError):
        raise InputError(f"{where}: lon and lat must be numbers, found {lon!r}, {lat!r}") from None
    if not (-180.0 <= lo <= 180.0 and -90.0 <= la <= 90.0):
        raise InputError(f"{where}: lon {lo} / lat {la} are not degrees (projected coordinates?)")
    x, y = to_projected(np.array([lo]), np.array([la]), net.crs)
    s = snap_points(net, x, y)
    if float(s.distance_m[0]) > snap_max_m:
        raise InputError(f"{where}: {float(s.distance_m[0]) / 1000:.1f} km from the nearest road node "
                         f"(at most {snap_max_m / 1000:g} km): off the network")
    return int(s.node[0])
