"""Putting people onto road nodes: from a population raster or from census units (polygons).

People are moved, never resampled: every person in the input either lands on one node or is
counted as unallocated, so ``allocated + unallocated == total`` and the node totals add up to
``allocated`` exactly (to float rounding). The report line in :attr:`Allocation.note` says
how many were left out and why.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from .errors import InputError
from .geodata import Layer, transform_geometry
from .model import RoadNetwork
from .projection import _transformer
from .raster import Raster
from .snap import node_tree


@dataclass(frozen=True, eq=False)
class Allocation:
    """People per road node and the bookkeeping of how they got there.

    ``people`` has one value per node; ``total`` is the people in the input, ``allocated``
    those placed on nodes (``people.sum()``), ``unallocated`` those too far from every road.
    ``max_distance_m`` is the farthest any allocated people were moved; ``note`` is one line
    for reports.
    """

    people: np.ndarray
    total: float
    allocated: float
    unallocated: float
    max_distance_m: float
    note: str


def _fmt(people: float) -> str:
    """People as a whole number with thousands separators (the form reports use)."""
    return f"{people:,.0f}"


def _share(part: float, total: float) -> str:
    """``part`` as a percentage of ``total`` (0 % for an empty total)."""
    return f"{100.0 * part / total:.1f} %" if total > 0 else "0.0 %"


def allocate_raster(
    net: RoadNetwork, pop: Raster, *, reach_m: float = 1000.0, source: str = "population raster"
) -> Allocation:
    """People of each raster cell onto the road node nearest the cell centre.

    Parameters
    ----------
    net : RoadNetwork
        The network (node x/y in metres in ``net.crs``).
    pop : Raster
        People per cell (NaN counts as nobody), in any CRS; a raster without a CRS is
        taken to be in the network's. Cell centres are transformed, the raster is not
        warped, so no person is gained or lost.
    reach_m : float
        The people of a cell whose centre lies farther than this from every node stay
        unallocated.
    source : str
        Name of the raster in error messages and the note.

    Returns
    -------
    Allocation
        Per-node people and the totals; ``max_distance_m`` is the farthest cell centre
        from the node it went to.

    Raises
    ------
    InputError
        For a non-positive ``reach_m`` or negative cell values.
    """
    if not reach_m > 0:
        raise InputError(f"reach_m must be positive, got {reach_m!r}")
    values = np.asarray(pop.values, np.float64)
    bad = values < 0  # NaN compares False: no data is not an error
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputError(
            f"{source}: {int(bad.sum())} cell(s) have negative people (first at row {r}, column {c}, "
            f"counted from the south-west corner: {float(values[r, c]):g})"
        )
    row, col = np.nonzero(np.isfinite(values) & (values > 0))
    people = values[row, col]
    x = pop.x0 + (col + 0.5) * pop.cellsize
    y = pop.y0 + (row + 0.5) * pop.cellsize
    if pop.crs and pop.crs != net.crs:
        x, y = _transformer(pop.crs, net.crs).transform(x, y)
    d, node = node_tree(net).query(np.column_stack([x, y]), distance_upper_bound=reach_m)
    ok = np.isfinite(d)  # cKDTree answers inf (and node == n) beyond the bound
    per_node = np.bincount(node[ok], weights=people[ok], minlength=net.n_nodes).astype(np.float64)
    total = float(people.sum())
    allocated = float(per_node.sum())
    unallocated = float(people[~ok].sum())
    max_d = float(d[ok].max()) if ok.any() else 0.0
    note = (
        f"{source}: {_fmt(allocated)} of {_fmt(total)} people from {int(ok.sum()):,} cells put on "
        f"{int(np.count_nonzero(per_node)):,} road nodes (cell centres moved at most {max_d:.0f} m)"
    )
    if (~ok).any():
        note += (
            f"; {_fmt(unallocated)} people ({_share(unallocated, total)}) in {int((~ok).sum()):,} cells "
            f"farther than {reach_m:.0f} m from any road are unallocated"
        )
    return Allocation(per_node, total, allocated, unallocated, max_d, note)


def _field(units: Layer, field: str) -> np.ndarray:
    """The values of ``field``, or InputError naming it and the fields there are."""
    if field not in units.fields:
        raise InputError(
            f"{units.source}: no field '{field}'; the fields are: {', '.join(units.fields) or '(none)'}"
        )
    return units.fields[field]


def _counts(units: Layer, field: str) -> np.ndarray:
    """The non-negative numbers of ``field``, or InputError naming the first bad unit."""
    raw = _field(units, field)
    out = np.empty(len(raw))
    for i, v in enumerate(raw):
        where = f"{units.source}: unit {i}, field '{field}'"
        try:
            out[i] = float(v)
        except (TypeError, ValueError):
            out[i] = np.nan
        if v is None or (out[i] != out[i] and not isinstance(v, str)):  # null, or a NaN from a float column
            raise InputError(f"{where} is empty; give every unit a count (0 for nobody)")
        shown = repr(v) if isinstance(v, str) else str(v)  # str: numpy scalars without their type name
        if not np.isfinite(out[i]):
            raise InputError(f"{where}: {shown} is not a number")
        if out[i] < 0:
            raise InputError(f"{where}: {shown} is negative")
    return out


def _in_crs(units: Layer, crs: str) -> np.ndarray:
    """The unit geometries in ``crs``."""
    return units.geometry if units.crs == crs else transform_geometry(units.geometry, units.crs, crs)


def _nodes_in(net: RoadNetwork, geometry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unit, node) pairs of every node inside or on the boundary of every unit."""
    tree = shapely.STRtree(shapely.points(net.x, net.y))
    # "intersects", not "contains": a node on a unit's edge still belongs to it
    unit, node = tree.query(geometry, predicate="intersects")
    return unit.astype(np.int64), node.astype(np.int64)


def allocate_polygons(net: RoadNetwork, units: Layer, field: str, *, reach_m: float = 1000.0) -> Allocation:
    """People of census units spread evenly over the road nodes inside each unit.

    Parameters
    ----------
    net : RoadNetwork
        The network.
    units : Layer
        Census units (polygons; points work too, as units with no node inside), in any CRS.
    field : str
        The field holding each unit's people.
    reach_m : float
        A unit with no node inside gives its people to the node nearest its representative
        point when that node is within this distance; otherwise they stay unallocated.

    Returns
    -------
    Allocation
        Per-node people and the totals. People of a unit with nodes inside stay inside it
        (distance 0); ``max_distance_m`` is the farthest representative point of a unit
        without nodes from the node its people went to.

    Raises
    ------
    InputError
        Naming the file: a missing field (listing the fields there are), a count that is
        not a non-negative number or a unit without geometry (naming the unit index), or
        a non-positive ``reach_m``.
    """
    if not reach_m > 0:
        raise InputError(f"reach_m must be positive, got {reach_m!r}")
    counts = _counts(units, field)
    missing = shapely.is_missing(units.geometry) | shapely.is_empty(units.geometry)
    if missing.any():
        raise InputError(f"{units.source}: unit {int(np.flatnonzero(missing)[0])} has no geometry")
    geometry = _in_crs(units, net.crs)
    unit, node = _nodes_in(net, geometry)
    k = np.bincount(unit, minlength=len(counts))
    # astype: bincount of nothing is an int array
    per_node = np.bincount(node, weights=counts[unit] / k[unit], minlength=net.n_nodes).astype(np.float64)
    # units without a node inside: everyone to the nearest node, if it is near enough
    empty = np.flatnonzero(k == 0)
    rep = shapely.point_on_surface(geometry[empty])
    xy = np.column_stack([shapely.get_x(rep), shapely.get_y(rep)]).reshape(-1, 2)
    d, nearest = node_tree(net).query(xy, distance_upper_bound=reach_m)
    ok = np.isfinite(d)
    per_node += np.bincount(nearest[ok], weights=counts[empty[ok]], minlength=net.n_nodes)
    total = float(counts.sum())
    allocated = float(per_node.sum())
    unallocated = float(counts[empty[~ok]].sum())
    max_d = float(d[ok].max()) if ok.any() else 0.0
    note = (
        f"{units.source}: {_fmt(allocated)} of {_fmt(total)} people in {len(counts):,} units put on "
        f"{int(np.count_nonzero(per_node)):,} road nodes"
    )
    if len(empty):
        note += (
            f"; {len(empty):,} units have no road node inside: {int(ok.sum()):,} gave their people to the "
            f"nearest node (at most {max_d:.0f} m away)"
        )
    if (~ok).any():
        note += (
            f", {int((~ok).sum()):,} ({_fmt(unallocated)} people, {_share(unallocated, total)}) lie farther "
            f"than {reach_m:.0f} m from any road and are unallocated"
        )
    return Allocation(per_node, total, allocated, unallocated, max_d, note)


def zones_from_units(net: RoadNetwork, units: Layer, name_field: str) -> tuple[np.ndarray, list[str]]:
    """Zone of each node from admin units (townships), for reports.

    Parameters
    ----------
    net : RoadNetwork
        The network.
    units : Layer
        Admin units (polygons), in any CRS.
    name_field : str
        The field holding each unit's name.

    Returns
    -------
    zone : numpy.ndarray of int32
        Index into ``names`` for each node; -1 for nodes outside every unit. A node in
        several (overlapping) units gets the first of them in file order.
    names : list of str
        The distinct unit names in file order; features sharing a name (the parts of one
        township) are one zone.

    Raises
    ------
    InputError
        For a missing field, naming it and the fields there are.
    """
    raw = _field(units, name_field)
    labels = [f"unit {i}" if v is None else str(v) for i, v in enumerate(raw)]
    index = {name: i for i, name in enumerate(dict.fromkeys(labels))}
    names = list(index)
    zone_of_unit = np.array([index[s] for s in labels], np.int64).reshape(-1)
    unit, node = _nodes_in(net, _in_crs(units, net.crs))
    first = np.full(net.n_nodes, len(labels), np.int64)
    np.minimum.at(first, node, unit)  # the lowest unit index wins where units overlap
    zone = np.full(net.n_nodes, -1, np.int32)
    inside = first < len(labels)
    zone[inside] = zone_of_unit[first[inside]]
    return zone, names
