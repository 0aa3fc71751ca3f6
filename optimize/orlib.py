"""Readers for OR-Library location instances (J.E. Beasley, OR-Library).

* ``pmed1..40`` (Beasley 1985): ``n m p`` then ``m`` lines ``i j cost`` of an undirected graph
  (1-based). The files repeat some edges; the **last** listing wins, which is the convention
  that reproduces the published optima. Distances are all-pairs shortest paths.
* ``pmedcap01..20`` (Osman & Christofides 1994): ``problem best`` / ``n p Q`` / ``n`` lines
  ``id x y demand``. Distances are ``floor`` of the Euclidean distance.
* ``cap41..cap134``, ``capa/b/c`` (Beasley 1988): ``m n`` / ``m`` lines ``capacity fixed_cost`` /
  per customer ``demand`` then ``m`` costs (cost of serving *all* of that customer's demand from
  each site), free-format over lines. capa/b/c write the literal word ``capacity``: the caller
  sets it.

Every reader raises :class:`network.errors.InputError` naming the file and line on malformed
input; none ever lets a ``ValueError`` or ``IndexError`` escape.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from network.errors import InputError

__all__ = [
    "PMedInstance", "PMedCapInstance", "CapInstance",
    "read_pmed", "read_pmedcap", "read_cap", "read_optima", "pmed_distances", "MAX_NODES",
]

#: Most vertices (pmed) or nodes (pmedcap) a file may declare: their distances are a dense
#: n x n float64 matrix (800 MB at this limit). OR-Library's largest is pmed40, n = 900.
MAX_NODES = 10_000


# ---------------------------------------------------------------------------- tokens
def _read_text(path: str | Path) -> tuple[Path, list[str]]:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: file not found")
    try:
        text = p.read_text(encoding="ascii", errors="strict")
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: not a plain-text OR-Library file (byte {exc.start} is not ASCII)") from None
    return p, text.splitlines()


def _tokens(path: Path, lines: list[str]) -> list[tuple[str, int]]:
    """Every whitespace-separated token with its 1-based line number."""
    return [(tok, no) for no, line in enumerate(lines, 1) for tok in line.split()]


def _number(path: Path, tok: str, line: int, what: str, integer: bool = False) -> float:
    try:
        value = float(tok)
    except (TypeError, ValueError):
        raise InputError(f"{path}:{line}: {what} must be a number, found {tok!r}") from None
    if not math.isfinite(value):
        raise InputError(f"{path}:{line}: {what} must be finite, found {tok!r}")
    if integer and value != int(value):
        raise InputError(f"{path}:{line}: {what} must be an integer, found {tok!r}")
    return value


def _data_lines(path: Path, lines: list[str]) -> list[tuple[int, list[str]]]:
    """Non-blank lines as (line number, fields)."""
    return [(no, line.split()) for no, line in enumerate(lines, 1) if line.strip()]


# ---------------------------------------------------------------------------- pmed
@dataclass(frozen=True)
class PMedInstance:
    """An OR-Library p-median graph: ``edges[k] = (i, j, cost)`` 0-based, duplicates resolved."""

    name: str
    n: int
    p: int
    edges: np.ndarray = field(repr=False)

    def distances(self) -> np.ndarray:
        """All-pairs shortest-path distances (n x n, float64; inf where disconnected)."""
        return pmed_distances(self.n, self.edges)


def read_pmed(path: str | Path) -> PMedInstance:
    """Read a ``pmedN.txt`` file; a repeated edge keeps its last listed cost.

    Parameters
    ----------
    path : str or Path
        The OR-Library p-median graph file.

    Returns
    -------
    PMedInstance
        ``n``, ``p`` and the edges (0-based); :meth:`PMedInstance.distances` gives the costs.

    Raises
    ------
    InputError
        The file cannot be read, a header or edge line is malformed, or n exceeds
        :data:`MAX_NODES` (file and line named).
    """
    p, lines = _read_text(path)
    rows = _data_lines(p, lines)
    if not rows:
        raise InputError(f"{p}: empty file (expected 'n m p' on the first line)")
    no, head = rows[0]
    if len(head) != 3:
        raise InputError(f"{p}:{no}: expected 'n m p' (three integers), found {' '.join(head)!r}")
    n, m, pp = (int(_number(p, t, no, w, integer=True)) for t, w in zip(head, ("n", "m", "p")))
    if n < 1 or m < 0 or pp < 1:
        raise InputError(f"{p}:{no}: need n >= 1, m >= 0, p >= 1, found n={n} m={m} p={pp}")
    if n > MAX_NODES:
        raise InputError(f"{p}:{no}: n={n} vertices is more than this reader takes ({MAX_NODES:,}; "
                         "the distances are a dense n x n matrix)")
    if pp > n:
        raise InputError(f"{p}:{no}: p={pp} is larger than the number of vertices n={n}")
    body = rows[1:]
    if len(body) < m:
        raise InputError(f"{p}: header promises m={m} edges but only {len(body)} edge lines follow")
    last: dict[tuple[int, int], float] = {}
    for no, f in body[:m]:
        if len(f) != 3:
            raise InputError(f"{p}:{no}: expected an edge 'i j cost', found {' '.join(f)!r}")
        i = int(_number(p, f[0], no, "vertex i", integer=True))
        j = int(_number(p, f[1], no, "vertex j", integer=True))
        c = _number(p, f[2], no, "edge cost")
        for v in (i, j):
            if not 1 <= v <= n:
                raise InputError(f"{p}:{no}: vertex {v} outside 1..{n}")
        if c < 0:
            raise InputError(f"{p}:{no}: negative edge cost {c:g}")
        key = (min(i, j), max(i, j))
        last.pop(key, None)  # re-insert so the dict keeps the order of the winning listing
        last[key] = c
    if len(body) > m:
        no, f = body[m]
        raise InputError(f"{p}:{no}: more than the m={m} edge lines the header announces")
    edges = np.array([(i - 1, j - 1, c) for (i, j), c in last.items()], dtype=float).reshape(-1, 3)
    return PMedInstance(p.stem, n, pp, edges)


def pmed_distances(n: int, edges: np.ndarray) -> np.ndarray:
    """All-pairs shortest paths of an undirected graph given as rows ``(i, j, cost)``."""
    i, j, c = edges[:, 0].astype(np.int64), edges[:, 1].astype(np.int64), edges[:, 2]
    loop = i == j
    i, j, c = i[~loop], j[~loop], c[~loop]
    # csgraph drops explicit zeros as "no edge"; a tiny epsilon keeps zero-cost edges, rounded back below
    g = csr_matrix((np.where(c == 0, 1e-300, c), (i, j)), shape=(n, n))
    d = shortest_path(g, method="D", directed=False)
    d[d < 1e-200] = 0.0
    return d


# ---------------------------------------------------------------------------- pmedcap
@dataclass(frozen=True)
class PMedCapInstance:
    """An Osman–Christofides capacitated p-median instance (every node client and site)."""

    name: str
    n: int
    p: int
    capacity: float
    xy: np.ndarray = field(repr=False)
    demand: np.ndarray = field(repr=False)
    best_known: float | None = None

    def distances(self) -> np.ndarray:
        """floor(Euclidean) distances, the convention of the published optima."""
        diff = self.xy[:, None, :] - self.xy[None, :, :]
        return np.floor(np.sqrt((diff ** 2).sum(-1)))


def read_pmedcap(path: str | Path) -> PMedCapInstance:
    """Read a ``pmedcapNN.txt`` file (CRLF or LF).

    Parameters
    ----------
    path : str or Path
        The Osman–Christofides capacitated p-median file.

    Returns
    -------
    PMedCapInstance
        Coordinates, demands, ``p``, the capacity and the best value the file states.

    Raises
    ------
    InputError
        The file cannot be read, a header or node line is malformed, a value is out of range,
        or n differs from the node lines present or exceeds :data:`MAX_NODES`.
    """
    p, lines = _read_text(path)
    rows = _data_lines(p, lines)
    if len(rows) < 2:
        raise InputError(f"{p}: expected 'problem best' and 'n p Q' header lines")
    no, h1 = rows[0]
    if len(h1) != 2:
        raise InputError(f"{p}:{no}: expected 'problem_number best_value', found {' '.join(h1)!r}")
    best = _number(p, h1[1], no, "best value")
    no, h2 = rows[1]
    if len(h2) != 3:
        raise InputError(f"{p}:{no}: expected 'n p capacity', found {' '.join(h2)!r}")
    n = int(_number(p, h2[0], no, "n", integer=True))
    pp = int(_number(p, h2[1], no, "p", integer=True))
    q = _number(p, h2[2], no, "capacity")
    if n < 1 or pp < 1 or q <= 0:
        raise InputError(f"{p}:{no}: need n >= 1, p >= 1, capacity > 0, found n={n} p={pp} Q={q:g}")
    if pp > n:
        raise InputError(f"{p}:{no}: p={pp} is larger than the number of nodes n={n}")
    body = rows[2:]
    if len(body) != n:
        raise InputError(f"{p}: header says n={n} nodes but {len(body)} node lines follow")
    if n > MAX_NODES:
        raise InputError(f"{p}:{no}: n={n} nodes is more than this reader takes ({MAX_NODES:,}; "
                         "the distances are a dense n x n matrix)")
    xy = np.empty((n, 2))
    dem = np.empty(n)
    for k, (no, f) in enumerate(body):
        if len(f) != 4:
            raise InputError(f"{p}:{no}: expected a node 'id x y demand', found {' '.join(f)!r}")
        xy[k, 0] = _number(p, f[1], no, "x")
        xy[k, 1] = _number(p, f[2], no, "y")
        dem[k] = _number(p, f[3], no, "demand")
        if dem[k] < 0:
            raise InputError(f"{p}:{no}: negative demand {dem[k]:g}")
    return PMedCapInstance(p.stem, n, pp, q, xy, dem, best)


# ---------------------------------------------------------------------------- cap
@dataclass(frozen=True)
class CapInstance:
    """An OR-Library capacitated warehouse location instance.

    ``cost[i, j]`` is the cost of serving all of customer i's demand from site j.
    """

    name: str
    capacity: np.ndarray = field(repr=False)
    opening_cost: np.ndarray = field(repr=False)
    demand: np.ndarray = field(repr=False)
    cost: np.ndarray = field(repr=False)

    @property
    def m(self) -> int:
        """Number of sites."""
        return len(self.capacity)

    @property
    def n(self) -> int:
        """Number of customers."""
        return len(self.demand)


def read_cap(path: str | Path, capacity: float | None = None) -> CapInstance:
    """Read a ``capNNN.txt`` / ``capa.txt`` file.

    Parameters
    ----------
    path : str or Path
        The OR-Library capacitated warehouse location file.
    capacity : float, optional
        Every site's capacity: required for capa/b/c, whose files write the word ``capacity``
        instead of a number; overrides the file's values otherwise (the name gets ``_capacity``).

    Returns
    -------
    CapInstance
        Capacities, opening costs, demands and the customer x site cost matrix.

    Raises
    ------
    InputError
        The file cannot be read, holds fewer or more numbers than its ``m n`` header needs
        (checked before anything is allocated), a malformed or negative number, or writes
        ``capacity`` without ``capacity=`` given.
    """
    p, lines = _read_text(path)
    toks = _tokens(p, lines)
    pos = 0

    def take(what: str, integer: bool = False, literal_ok: bool = False) -> float:
        nonlocal pos
        if pos >= len(toks):
            last = toks[-1][1] if toks else 0
            raise InputError(f"{p}:{last}: file ends early, expected {what}")
        tok, no = toks[pos]
        pos += 1
        if literal_ok and tok.lower() == "capacity":
            if capacity is None:
                raise InputError(f"{p}:{no}: site capacity is the word 'capacity' (capa/b/c): "
                                 "pass the capacity to use, e.g. capacity=8000")
            return float(capacity)
        return _number(p, tok, no, what, integer)

    m = int(take("number of sites m", integer=True))
    n = int(take("number of customers n", integer=True))
    if m < 1 or n < 1:
        raise InputError(f"{p}:1: need at least one site and one customer, found m={m} n={n}")
    # the header fixes how many numbers follow: check it against the file before allocating
    need, have = 2 * m + n * (1 + m), len(toks) - pos
    if have < need:
        raise InputError(f"{p}:{toks[-1][1]}: file ends early, expected {_cap_item(have, m)} (the header's "
                         f"m={m} sites and n={n} customers take {need:,} numbers, the file holds {have:,})")
    if have > need:
        tok, no = toks[pos + need]
        raise InputError(f"{p}:{no}: unexpected data after the last customer ({tok!r}; the header's "
                         f"m={m} sites and n={n} customers take {need:,} numbers, the file holds {have:,})")
    cap = np.empty(m)
    fixed = np.empty(m)
    for j in range(m):
        cap[j] = take(f"capacity of site {j + 1}", literal_ok=True)
        fixed[j] = take(f"fixed cost of site {j + 1}")
    if capacity is not None:
        cap[:] = capacity
    dem = np.empty(n)
    cost = np.empty((n, m))
    for i in range(n):
        dem[i] = take(f"demand of customer {i + 1}")
        for j in range(m):
            cost[i, j] = take(f"cost of customer {i + 1} from site {j + 1}")
    if pos < len(toks):
        raise InputError(f"{p}:{toks[pos][1]}: unexpected data after the last customer ({toks[pos][0]!r})")
    for what, arr in (("capacity", cap), ("fixed cost", fixed), ("demand", dem)):
        if (arr < 0).any():
            raise InputError(f"{p}: negative {what} at index {int(np.argmax(arr < 0)) + 1}")
    name = p.stem if capacity is None else f"{p.stem}_{capacity:g}"
    return CapInstance(name, cap, fixed, dem, cost)


def _cap_item(k: int, m: int) -> str:
    """What the ``k``-th number (0-based) after a cap file's ``m n`` header is."""
    if k < 2 * m:
        return f"{'capacity' if k % 2 == 0 else 'fixed cost'} of site {k // 2 + 1}"
    i, j = divmod(k - 2 * m, 1 + m)
    return f"demand of customer {i + 1}" if j == 0 else f"cost of customer {i + 1} from site {j}"


# ---------------------------------------------------------------------------- optima tables
def read_optima(path: str | Path) -> dict[str, float]:
    """A CSV of published optima keyed by instance name ('#' lines are comments).

    The optimum column is the first of ``optimum``, ``optimum_in_header``; rows with a
    ``facility_capacity_override`` are keyed ``name_capacity`` (e.g. ``capa_8000``).

    Parameters
    ----------
    path : str or Path
        The CSV file.

    Returns
    -------
    dict of str to float
        Instance name -> published optimum.

    Raises
    ------
    InputError
        The file cannot be read, lacks the name or optimum column, or an optimum is not a number.
    """
    p, lines = _read_text(path)
    numbered = [(no, ln) for no, ln in enumerate(lines, 1) if ln.strip() and not ln.lstrip().startswith("#")]
    reader = csv.DictReader([ln for _, ln in numbered])
    cols = reader.fieldnames or []
    col = next((c for c in ("optimum", "optimum_in_header") if c in cols), None)
    if "name" not in cols or col is None:
        raise InputError(f"{p}: expected columns 'name' and 'optimum', found {cols}")
    out: dict[str, float] = {}
    for (k, _), row in zip(numbered[1:], reader):
        key = row["name"]
        override = (row.get("facility_capacity_override") or "").strip()
        if override:
            key = f"{key}_{float(override):g}"
        out[key] = _number(p, row[col], k, f"optimum of {row['name']}")
    return out
