"""Reader for CVRPLIB instances (TSPLIB-style ``.vrp``) and solutions (``.sol``).

CVRPLIB (http://vrp.galgos.inf.puc-rio.br) stores capacitated vehicle routing instances in the
TSPLIB 95 format. Distances follow TSPLIB: for ``EUC_2D`` the Euclidean distance rounded to the
nearest integer, ``floor(sqrt(dx^2 + dy^2) + 0.5)``; published optima are in those units, so a
solver must use the same rounding to compare with them.

Solution files list one route per line, customers only, numbered ``1 .. n-1`` where customer
``k`` is the ``k``-th non-depot node (node ``k + 1`` when the depot is node 1), then
``Cost <value>``. Some copies in the wild instead give ``.vrp`` node ids (``2 .. n``) separated
by commas; :func:`read_sol` accepts both and, given the instance, tells them apart.

Every malformed input raises :class:`network.errors.InputError` naming the file, the line and
the field.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from network.errors import InputError

__all__ = [
    "CvrpInstance", "CvrpSolution", "read_vrp", "read_sol", "euc2d_matrix", "route_cost",
    "check_routes",
]

#: Most nodes a file may declare: distances are a dense n x n int64 matrix (800 MB at this
#: limit, twice that while the Euclidean distances are computed). CVRPLIB's X set stops at 1001.
MAX_DIMENSION = 10_000
#: Largest absolute coordinate or explicit edge weight: TSPLIB distances are rounded to int64,
#: and a route's cost, a sum of up to DIMENSION of them, must stay exact in a float.
MAX_COORD = 1e9
#: Largest CAPACITY or demand (OR-Tools holds loads as int64; sums must not overflow).
MAX_AMOUNT = 10 ** 12

_EXPLICIT_FORMATS = ("FULL_MATRIX", "LOWER_ROW", "LOWER_DIAG_ROW", "UPPER_ROW", "UPPER_DIAG_ROW")
_EDGE_TYPES = ("EUC_2D", "CEIL_2D", "EXPLICIT")


@dataclass(frozen=True)
class CvrpInstance:
    """A CVRP instance: node 0-based indices throughout (TSPLIB node ``i`` is index ``i - 1``)."""

    name: str
    dimension: int
    capacity: int
    demands: np.ndarray                     # (n,) int64, demand of the depot is 0
    depot: int                              # 0-based index of the depot
    edge_weight_type: str
    coords: np.ndarray | None = None        # (n, 2) float, absent for EXPLICIT weights
    weights: np.ndarray | None = field(default=None, repr=False)  # (n, n) for EXPLICIT
    comment: str = ""
    vehicles: int | None = None             # from the name's "-kN" or the COMMENT's "trucks"
    known_optimum: float | None = None      # from the COMMENT ("Optimal value" / "Best value")
    path: Path | None = None

    @property
    def customers(self) -> np.ndarray:
        """0-based indices of the non-depot nodes, in file order."""
        return np.array([i for i in range(self.dimension) if i != self.depot], dtype=np.int64)

    def distance_matrix(self) -> np.ndarray:
        """(n, n) int64 distances in the instance's own units (TSPLIB rounding)."""
        if self.edge_weight_type == "EXPLICIT":
            assert self.weights is not None
            return self.weights.astype(np.int64)
        assert self.coords is not None
        if self.edge_weight_type == "CEIL_2D":
            d = np.sqrt(((self.coords[:, None, :] - self.coords[None, :, :]) ** 2).sum(-1))
            return np.ceil(d).astype(np.int64)
        return euc2d_matrix(self.coords)


@dataclass(frozen=True)
class CvrpSolution:
    """Routes as 0-based node indices (customers only, depot left out) and the stated cost."""

    routes: list[list[int]]
    cost: float | None
    convention: str = "cvrplib"             # "cvrplib" (customers 1..n-1) or "node_ids" (2..n)
    path: Path | None = None


def euc2d_matrix(coords: np.ndarray) -> np.ndarray:
    """TSPLIB EUC_2D distances: ``floor(sqrt(dx^2 + dy^2) + 0.5)`` as int64."""
    xy = np.asarray(coords, dtype=float)
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    return np.floor(d + 0.5).astype(np.int64)


def route_cost(dist: np.ndarray, routes: Iterable[Sequence[int]], depot: int = 0) -> float:
    """Cost of closed routes ``depot -> route... -> depot`` under a distance matrix."""
    total = 0.0
    for r in routes:
        if len(r) == 0:
            continue
        path = [depot, *r, depot]
        total += float(sum(dist[a, b] for a, b in zip(path[:-1], path[1:])))
    return total


def check_routes(instance: CvrpInstance, routes: Sequence[Sequence[int]]) -> list[str]:
    """Problems with a CVRP solution (empty list = feasible): coverage and capacity."""
    problems = []
    seen: dict[int, int] = {}
    for k, r in enumerate(routes):
        for c in r:
            if c == instance.depot or not 0 <= c < instance.dimension:
                problems.append(f"route {k + 1}: {c} is not a customer")
            seen[c] = seen.get(c, 0) + 1
        load = int(sum(instance.demands[c] for c in r if 0 <= c < instance.dimension))
        if load > instance.capacity:
            problems.append(f"route {k + 1}: load {load} exceeds capacity {instance.capacity}")
    for c in instance.customers:
        if seen.get(int(c), 0) != 1:
            problems.append(f"customer node {int(c) + 1} visited {seen.get(int(c), 0)} times")
    return problems


# --- .vrp -----------------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*([A-Z_]+)\s*:\s*(.*?)\s*$")
_SECTION = re.compile(r"^\s*([A-Z_]+_SECTION)\s*:?\s*$")
#: node id -> (line number, the row's values as written)
_Rows = dict[int, tuple[int, list[str]]]


class _Lines:
    """Numbered non-blank lines of a file with an error helper that names file and line."""

    def __init__(self, path: Path):
        self.path = path
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
        self.items = [(i + 1, s.strip()) for i, s in enumerate(text.splitlines()) if s.strip()]
        self.pos = 0

    def error(self, lineno: int | None, fld: str, msg: str) -> InputError:
        where = f"{self.path}:{lineno}" if lineno else str(self.path)
        return InputError(f"{where}: {fld}: {msg}")

    def peek(self) -> tuple[int, str] | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def next(self) -> tuple[int, str]:
        item = self.items[self.pos]
        self.pos += 1
        return item


def _int(lines: _Lines, lineno: int, fld: str, s: str) -> int:
    try:
        v = float(s)
    except ValueError:
        raise lines.error(lineno, fld, f"{s!r} is not a number") from None
    if not math.isfinite(v) or v != int(v):
        raise lines.error(lineno, fld, f"{s!r} is not an integer")
    return int(v)


def _float(lines: _Lines, lineno: int, fld: str, s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise lines.error(lineno, fld, f"{s!r} is not a number") from None
    if not math.isfinite(v):
        raise lines.error(lineno, fld, f"{s!r} is not finite")
    return v


def _bounded(lines: _Lines, lineno: int, fld: str, s: str, what: str, low: float = -MAX_COORD) -> float:
    """A finite number in ``low .. MAX_COORD``, or an error naming the file, line, field and value."""
    v = _float(lines, lineno, fld, s)
    if not low <= v <= MAX_COORD:
        raise lines.error(lineno, fld, f"{what} = {s} is not within [{low:,.0f}, {MAX_COORD:,.0f}]")
    return v


def _node_rows(lines: _Lines, section: str, n: int, width: int) -> _Rows:
    """Rows ``id v1 .. v_width`` of a node section until the next keyword; checks ids 1..n once."""
    rows: _Rows = {}
    while (item := lines.peek()) is not None:
        lineno, s = item
        if re.match(r"^[A-Z_]+", s):
            break
        lines.next()
        parts = s.split()
        if len(parts) != width + 1:
            raise lines.error(lineno, section,
                              f"expected {width + 1} fields (node id and {width} values), got {len(parts)}")
        node = _int(lines, lineno, section, parts[0])
        if not 1 <= node <= n:
            raise lines.error(lineno, section, f"node id {node} outside 1..{n} (DIMENSION)")
        if node in rows:
            raise lines.error(lineno, section, f"node {node} listed twice")
        rows[node] = (lineno, parts[1:])
    if len(rows) < n:  # ids are distinct and within 1..n: one of the first len(rows) + 1 is missing
        first = next(i for i in range(1, len(rows) + 2) if i not in rows)
        where = lines.peek()[0] if lines.peek() else None
        raise lines.error(where, section, f"{n - len(rows)} of {n} nodes missing (first: node {first})")
    return rows


def _explicit(lines: _Lines, fmt: str, n: int) -> np.ndarray:
    """EDGE_WEIGHT_SECTION numbers in one of the TSPLIB matrix layouts, as a full matrix."""
    counts = {"FULL_MATRIX": n * n, "LOWER_ROW": n * (n - 1) // 2, "UPPER_ROW": n * (n - 1) // 2,
              "LOWER_DIAG_ROW": n * (n + 1) // 2, "UPPER_DIAG_ROW": n * (n + 1) // 2}
    need, vals = counts[fmt], []
    first = lines.peek()[0] if lines.peek() else None
    while len(vals) < need and (item := lines.peek()) is not None:
        lineno, s = item
        if re.match(r"^[A-Z_]+", s):
            break
        lines.next()
        vals.extend(_bounded(lines, lineno, "EDGE_WEIGHT_SECTION", t, "edge weight", 0.0) for t in s.split())
    if len(vals) != need:
        raise lines.error(first, "EDGE_WEIGHT_SECTION",
                          f"{fmt} with DIMENSION {n} needs {need} numbers, found {len(vals)}")
    if fmt == "FULL_MATRIX":
        return np.array(vals).reshape(n, n)
    w = np.zeros((n, n))
    it = iter(vals)
    for i in range(n):
        if fmt == "LOWER_ROW":
            js = range(i)
        elif fmt == "LOWER_DIAG_ROW":
            js = range(i + 1)
        elif fmt == "UPPER_ROW":
            js = range(i + 1, n)
        else:
            js = range(i, n)
        for j in js:
            w[i, j] = w[j, i] = next(it)
    return w


def read_vrp(path: str | Path) -> CvrpInstance:
    """Read a CVRPLIB ``.vrp`` file (TYPE CVRP, one depot; EUC_2D, CEIL_2D or EXPLICIT).

    Parameters
    ----------
    path : str or Path
        The TSPLIB-style instance file.

    Returns
    -------
    CvrpInstance
        Nodes 0-based; the vehicle count and known optimum are taken from the name and
        COMMENT when they state them.

    Raises
    ------
    InputError
        The file cannot be read, is of another TYPE or edge-weight kind, a header or section
        is missing or malformed, DIMENSION is below 2, above :data:`MAX_DIMENSION` or above the
        file's line count, a coordinate or weight is beyond :data:`MAX_COORD`, or a customer's
        demand exceeds CAPACITY (the message names the file, line and field).
    """
    path = Path(path)
    lines = _Lines(path)
    if not lines.items:
        raise lines.error(None, "file", "empty")
    head, coords_rows, demand_rows, weights, depots = _read_sections(lines)
    n, capacity, ewt = _header_values(lines, head)
    coords = None
    if coords_rows is not None:
        coords = np.array([[_bounded(lines, coords_rows[i][0], "NODE_COORD_SECTION", v, f"node {i} {xy}")
                            for xy, v in zip("xy", coords_rows[i][1])]
                           for i in range(1, n + 1)])
    if ewt in ("EUC_2D", "CEIL_2D") and coords is None:
        raise lines.error(None, "NODE_COORD_SECTION", f"missing (needed for {ewt})")
    if ewt == "EXPLICIT" and weights is None:
        raise lines.error(None, "EDGE_WEIGHT_SECTION", "missing (needed for EXPLICIT)")
    demands, depot = _demands_and_depot(lines, demand_rows, depots, n)
    _check_capacity(lines, demand_rows, demands, capacity)
    name = head.get("NAME", (None, path.stem))[1] or path.stem
    comment = head.get("COMMENT", (None, ""))[1]
    return CvrpInstance(
        name=name, dimension=n, capacity=capacity, demands=demands, depot=depot,
        edge_weight_type=ewt, coords=coords, weights=weights, comment=comment,
        vehicles=_vehicles(name, comment), known_optimum=_optimum(comment), path=path,
    )


def _read_sections(lines: _Lines) -> tuple[dict[str, tuple[int, str]], _Rows | None, _Rows | None,
                                            np.ndarray | None, list[int]]:
    """Headers and sections up to EOF: (headers, coordinate rows, demand rows, explicit weights, depots)."""
    head: dict[str, tuple[int, str]] = {}
    coords_rows = demand_rows = None
    weights = None
    depots: list[int] = []
    while (item := lines.peek()) is not None:
        lineno, s = item
        if s == "EOF":
            break
        if (m := _SECTION.match(s)) is not None:
            lines.next()
            sec = m.group(1)
            n = _need_dim(lines, head)
            if sec == "NODE_COORD_SECTION":
                coords_rows = _node_rows(lines, sec, n, 2)
            elif sec == "DEMAND_SECTION":
                demand_rows = _node_rows(lines, sec, n, 1)
            elif sec == "DEPOT_SECTION":
                depots = _depots(lines, n)
            elif sec == "EDGE_WEIGHT_SECTION":
                fmt = head.get("EDGE_WEIGHT_FORMAT", (None, ""))[1].upper()
                if fmt not in _EXPLICIT_FORMATS:
                    raise lines.error(lineno, "EDGE_WEIGHT_FORMAT",
                                      f"{fmt or 'missing'}; supported: {', '.join(_EXPLICIT_FORMATS)}")
                weights = _explicit(lines, fmt, n)
            else:  # e.g. DISPLAY_DATA_SECTION: skip its rows
                while (nxt := lines.peek()) is not None and not re.match(r"^[A-Z_]+", nxt[1]):
                    lines.next()
            continue
        if (m := _HEADER.match(s)) is None:
            raise lines.error(lineno, "header", f"cannot parse {s[:60]!r} (expected KEY : VALUE or a *_SECTION)")
        lines.next()
        head[m.group(1)] = (lineno, m.group(2))
    return head, coords_rows, demand_rows, weights, depots


def _header_values(lines: _Lines, head: dict[str, tuple[int, str]]) -> tuple[int, int, str]:
    """DIMENSION, CAPACITY and EDGE_WEIGHT_TYPE, checked (TYPE must be CVRP)."""
    n = _need_dim(lines, head)
    typ = head.get("TYPE", (None, "CVRP"))
    if typ[1].upper() != "CVRP":
        raise lines.error(typ[0], "TYPE", f"{typ[1]!r}; only CVRP is supported")
    if "CAPACITY" not in head:
        raise lines.error(None, "CAPACITY", "missing")
    cap_line, cap_s = head["CAPACITY"]
    capacity = _int(lines, cap_line, "CAPACITY", cap_s)
    if not 0 < capacity <= MAX_AMOUNT:
        raise lines.error(cap_line, "CAPACITY", f"must be in 1 .. {MAX_AMOUNT:,}, got {cap_s}")
    ewt_line, ewt = head.get("EDGE_WEIGHT_TYPE", (None, ""))
    ewt = ewt.upper()
    if ewt not in _EDGE_TYPES:
        raise lines.error(ewt_line, "EDGE_WEIGHT_TYPE", f"{ewt or 'missing'}; supported: {', '.join(_EDGE_TYPES)}")
    return n, capacity, ewt


def _demands_and_depot(lines: _Lines, demand_rows: _Rows | None, depots: list[int], n: int
                       ) -> tuple[np.ndarray, int]:
    """Demands (int64, >= 0) and the single depot's 0-based index (node 1 when no DEPOT_SECTION)."""
    if demand_rows is None:
        raise lines.error(None, "DEMAND_SECTION", "missing")
    demands = np.empty(n, dtype=np.int64)
    for i in range(1, n + 1):
        ln, (v,) = demand_rows[i]
        d = _int(lines, ln, "DEMAND_SECTION", v)
        if d < 0:
            raise lines.error(ln, "DEMAND_SECTION", f"node {i} has negative demand {d}")
        if d > MAX_AMOUNT:  # checked before it goes into an int64
            raise lines.error(ln, "DEMAND_SECTION", f"node {i} has demand {v}, more than {MAX_AMOUNT:,}")
        demands[i - 1] = d
    if len(depots) > 1:
        raise lines.error(None, "DEPOT_SECTION", f"{len(depots)} depots; only single-depot CVRP is supported")
    depot = depots[0] - 1 if depots else 0
    if demands[depot] != 0:
        raise lines.error(demand_rows[depot + 1][0], "DEMAND_SECTION",
                          f"depot node {depot + 1} has demand {demands[depot]} (must be 0)")
    return demands, depot


def _check_capacity(lines: _Lines, demand_rows: _Rows | None, demands: np.ndarray, capacity: int) -> None:
    """Every customer fits in one vehicle: a demand above CAPACITY makes the instance unservable."""
    over = np.flatnonzero(demands > capacity)
    if len(over):
        i = int(over[0]) + 1
        ln = demand_rows[i][0] if demand_rows else None
        raise lines.error(ln, "DEMAND_SECTION", f"node {i} has demand {demands[i - 1]}, more than the vehicle "
                          f"CAPACITY {capacity}: no vehicle can serve it")


def _need_dim(lines: _Lines, head: dict[str, tuple[int, str]]) -> int:
    """DIMENSION, checked against the limit and the file's length before anything is sized by it."""
    if "DIMENSION" not in head:
        raise lines.error(lines.peek()[0] if lines.peek() else None, "DIMENSION", "missing (must precede the sections)")
    ln, s = head["DIMENSION"]
    n = _int(lines, ln, "DIMENSION", s)
    if n < 2:
        raise lines.error(ln, "DIMENSION", f"must be at least 2 (the depot and one customer), got {n}")
    if n > MAX_DIMENSION:
        raise lines.error(ln, "DIMENSION", f"{n} nodes is more than this reader takes ({MAX_DIMENSION:,})")
    if n > len(lines.items):  # each node needs its own DEMAND_SECTION line
        raise lines.error(ln, "DIMENSION", f"{n} nodes, but the file has only {len(lines.items)} non-blank lines "
                          "(each node needs a DEMAND_SECTION line)")
    return n


def _depots(lines: _Lines, n: int) -> list[int]:
    """DEPOT_SECTION: node ids ending with -1."""
    out = []
    while (item := lines.peek()) is not None:
        lineno, s = item
        if re.match(r"^[A-Z_]+", s):
            break
        lines.next()
        for t in s.split():
            v = _int(lines, lineno, "DEPOT_SECTION", t)
            if v == -1:
                if not out:
                    raise lines.error(lineno, "DEPOT_SECTION", "no depot listed before -1")
                return out
            if not 1 <= v <= n:
                raise lines.error(lineno, "DEPOT_SECTION", f"depot node {v} outside 1..{n}")
            out.append(v)
    if not out:
        raise lines.error(None, "DEPOT_SECTION", "empty")
    return out


def _vehicles(name: str, comment: str) -> int | None:
    m = re.search(r"-k(\d+)\b", name) or re.search(r"(?:trucks|vehicles)\s*:\s*(\d+)", comment, re.I)
    return int(m.group(1)) if m else None


def _optimum(comment: str) -> float | None:
    m = re.search(r"(?:optimal|best)\s+value\s*:\s*([0-9.]+)", comment, re.I)
    return float(m.group(1)) if m else None


# --- .sol -----------------------------------------------------------------------------------

_ROUTE = re.compile(r"^route\s*#?\s*(\d+)\s*:(.*)$", re.I)
_COST = re.compile(r"^cost\s*:?\s*(\S+)\s*$", re.I)


def read_sol(path: str | Path, instance: CvrpInstance | None = None) -> CvrpSolution:
    """Read a CVRPLIB ``.sol`` file into 0-based node indices.

    Without the instance the depot is taken as node 1 (as in every CVRPLIB set) and ids as
    CVRPLIB customer numbers. With it, ids that reach ``n`` (impossible for customer numbers)
    are read as ``.vrp`` node ids, the convention of some copies, and ids are range-checked.

    Parameters
    ----------
    path : str or Path
        The ``.sol`` file: ``Route #k: ...`` lines and a ``Cost`` line.
    instance : CvrpInstance, optional
        The instance it solves, to tell the id conventions apart and check the ids.

    Returns
    -------
    CvrpSolution
        Routes of 0-based node indices (depot left out), the stated cost and the convention read.

    Raises
    ------
    InputError
        The file cannot be read, has no routes, a line is neither a route nor the cost, or a
        customer id is out of range.
    """
    path = Path(path)
    lines = _Lines(path)
    raw: list[tuple[int, list[int]]] = []
    cost = None
    for lineno, s in lines.items:
        if (m := _ROUTE.match(s)) is not None:
            toks = [t for t in re.split(r"[,\s]+", m.group(2).strip()) if t]
            raw.append((lineno, [_int(lines, lineno, f"Route #{m.group(1)}", t) for t in toks]))
        elif (m := _COST.match(s)) is not None:
            cost = _float(lines, lineno, "Cost", m.group(1))
        else:
            raise lines.error(lineno, "line", f"cannot parse {s[:60]!r} (expected 'Route #k: ...' or 'Cost X')")
    if not raw:
        raise lines.error(None, "Route", "no routes")

    ids = [v for _, r in raw for v in r]
    n = instance.dimension if instance is not None else None
    depot = instance.depot if instance is not None else 0
    convention = "cvrplib"
    if n is not None and ids and max(ids) == n and min(ids) >= 2 and depot == 0:
        convention = "node_ids"
    customers = [i for i in range(n) if i != depot] if n is not None else None
    routes = []
    for lineno, r in raw:
        out = []
        for v in r:
            if convention == "node_ids":
                idx = v - 1
            elif customers is not None:
                if not 1 <= v <= len(customers):
                    raise lines.error(lineno, "Route", f"customer {v} outside 1..{len(customers)}")
                idx = customers[v - 1]
            else:
                if v < 1:
                    raise lines.error(lineno, "Route", f"customer {v} must be at least 1")
                idx = v
            out.append(idx)
        routes.append(out)
    return CvrpSolution(routes=routes, cost=cost, convention=convention, path=path)
