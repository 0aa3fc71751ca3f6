"""Regular rasters in a projected CRS, ESRI ASCII grid (``.asc``) I/O, and sampling onto networks.

The ``.asc`` format is the one LISFLOOD-FP and most GIS tools read and write: a six-line
header (``ncols``, ``nrows``, ``xllcorner``/``xllcenter``, ``yllcorner``/``yllcenter``,
``cellsize``, optional ``NODATA_value``) followed by rows from north to south.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from .errors import InputError

_HEADER_KEYS = ("ncols", "nrows", "xllcorner", "yllcorner", "xllcenter", "yllcenter", "cellsize", "nodata_value")

#: Most cells an ``.asc`` grid may declare (400 MB of float64 values; a 7,000 x 7,000 DEM).
MAX_CELLS = 50_000_000
#: Largest absolute corner coordinate or cell size (metres of a projected CRS, or degrees).
MAX_COORD = 1e9


@dataclass(frozen=True, eq=False)
class Raster:
    """A north-up grid. ``values[row, col]`` with row 0 at the **south** edge (y grows with row).

    ``x0``/``y0`` are the coordinates of the lower-left corner of cell (0, 0); cells are square.
    NaN marks no data.
    """

    values: np.ndarray
    x0: float
    y0: float
    cellsize: float
    crs: str | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the grid."""
        return self.values.shape  # type: ignore[return-value]

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(xmin, xmax, ymin, ymax), the form matplotlib's ``imshow(extent=...)`` takes."""
        nrows, ncols = self.shape
        return (self.x0, self.x0 + ncols * self.cellsize, self.y0, self.y0 + nrows * self.cellsize)

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """x of each column centre and y of each row centre."""
        nrows, ncols = self.shape
        return (self.x0 + (np.arange(ncols) + 0.5) * self.cellsize, self.y0 + (np.arange(nrows) + 0.5) * self.cellsize)

    def cell_of(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) of the cells holding points; -1 where outside."""
        col = np.floor((np.asarray(x, float) - self.x0) / self.cellsize).astype(np.int64)
        row = np.floor((np.asarray(y, float) - self.y0) / self.cellsize).astype(np.int64)
        nrows, ncols = self.shape
        outside = (col < 0) | (col >= ncols) | (row < 0) | (row >= nrows)
        return np.where(outside, -1, row), np.where(outside, -1, col)

    def covers(self, x, y) -> np.ndarray:
        """True where a point lies inside the grid on a cell with data."""
        row, col = self.cell_of(x, y)
        inside = row >= 0
        ok = np.zeros(np.shape(row), bool)
        ok[inside] = np.isfinite(self.values[row[inside], col[inside]])
        return ok

    def sample(self, x, y, *, method: str = "bilinear") -> np.ndarray:
        """Values at points, interpolated between cell centres.

        Parameters
        ----------
        x, y : float or array of float
            Point coordinates in the raster's CRS.
        method : {"bilinear", "nearest"}
            Bilinear interpolation between the four surrounding cell centres (clamped at
            the edge cells), or the value of the cell holding the point.

        Returns
        -------
        numpy.ndarray of float
            One value per point, NaN outside the grid (and where no-data cells take part).

        Raises
        ------
        InputError
            For an unknown ``method``.
        """
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        nrows, ncols = self.shape
        if method == "nearest":
            row, col = self.cell_of(x, y)
            out = np.full(x.shape, np.nan)
            inside = row >= 0
            out[inside] = self.values[row[inside], col[inside]]
            return out
        if method != "bilinear":
            raise InputError(f"unknown sampling method {method!r}: use 'bilinear' or 'nearest'")
        fc = (x - self.x0) / self.cellsize - 0.5
        fr = (y - self.y0) / self.cellsize - 0.5
        inside = (fc >= -0.5) & (fc <= ncols - 0.5) & (fr >= -0.5) & (fr <= nrows - 0.5)
        fc = np.clip(fc, 0, ncols - 1)
        fr = np.clip(fr, 0, nrows - 1)
        c0 = np.minimum(np.floor(fc).astype(np.int64), max(ncols - 2, 0))
        r0 = np.minimum(np.floor(fr).astype(np.int64), max(nrows - 2, 0))
        c1 = np.minimum(c0 + 1, ncols - 1)
        r1 = np.minimum(r0 + 1, nrows - 1)
        tc, tr = fc - c0, fr - r0
        v = self.values
        top = v[r0, c0] * (1 - tc) + v[r0, c1] * tc
        bottom = v[r1, c0] * (1 - tc) + v[r1, c1] * tc
        out = top * (1 - tr) + bottom * tr
        return np.where(inside, out, np.nan)

    def like(self, values: np.ndarray) -> "Raster":
        """A raster on the same grid with other values.

        Parameters
        ----------
        values : array, shape ``self.shape``
            The new cell values (row 0 at the south edge).

        Returns
        -------
        Raster
            Same origin, cell size and CRS.

        Raises
        ------
        InputError
            When ``values`` has another shape.
        """
        values = np.asarray(values)
        if values.shape != self.shape:
            raise InputError(f"raster values have shape {values.shape}, expected {self.shape}")
        return Raster(values, self.x0, self.y0, self.cellsize, self.crs)

    def same_grid(self, other: "Raster") -> bool:
        """True when ``other`` has the same shape, origin and cell size (to a tiny fraction of a cell)."""
        return (
            self.shape == other.shape
            # absolute tolerances: relative ones accept metres of offset at UTM coordinates
            and abs(self.x0 - other.x0) <= 1e-6 * self.cellsize
            and abs(self.y0 - other.y0) <= 1e-6 * self.cellsize
            and abs(self.cellsize - other.cellsize) <= 1e-9 * self.cellsize
        )


def _asc_header(path: Path, lines: list[str]) -> tuple[dict[str, float], int]:
    """The header of an ESRI ASCII grid (lower-case keys) and the index of the first data line."""
    header: dict[str, float] = {}
    i = 0
    while i < len(lines) and lines[i].strip() and lines[i].split()[0].lower() in _HEADER_KEYS:
        parts = lines[i].split()
        if len(parts) != 2:
            raise InputError(f"{path}: line {i + 1}: header line must be 'key value', found {lines[i]!r}")
        key = parts[0].lower()
        try:
            value = float(parts[1])
        except ValueError:
            raise InputError(f"{path}: line {i + 1}: {parts[0]} must be a number, found {parts[1]!r}") from None
        # NaN is a fair no-data marker (no cell equals it, so none is masked); anything else must be finite
        if not (math.isfinite(value) or (key == "nodata_value" and math.isnan(value))):
            raise InputError(f"{path}: line {i + 1}: {parts[0]} must be finite, found {parts[1]!r}")
        if key in ("ncols", "nrows") and not (value == int(value) and 1 <= value <= MAX_CELLS):
            raise InputError(f"{path}: line {i + 1}: {parts[0]} must be a whole number from 1 to {MAX_CELLS:,}, "
                             f"found {parts[1]!r}")
        if key not in ("ncols", "nrows", "nodata_value") and abs(value) > MAX_COORD:
            raise InputError(f"{path}: line {i + 1}: {parts[0]} must lie within +-{MAX_COORD:,.0f}, found {parts[1]!r}")
        header[key] = value
        i += 1
    return header, i


def _lower_left(path: Path, header: dict[str, float], axis: str, cellsize: float) -> float:
    """The grid's lower-left edge along ``axis`` ("x" or "y"), from its ``corner`` or ``center`` header line."""
    if f"{axis}llcorner" in header:
        return header[f"{axis}llcorner"]
    if f"{axis}llcenter" in header:
        return header[f"{axis}llcenter"] - cellsize / 2
    raise InputError(f"{path}: header lacks '{axis}llcorner' or '{axis}llcenter'")


def read_asc(path: str | Path, *, crs: str | None = None) -> Raster:
    """Read an ESRI ASCII grid (``.asc``).

    Parameters
    ----------
    path : str or Path
        The file: header lines, then ``nrows`` rows of ``ncols`` values from north to south.
    crs : str, optional
        The CRS to record on the raster (the format does not carry one).

    Returns
    -------
    Raster
        Row 0 at the south edge; no-data cells are NaN.

    Raises
    ------
    InputError
        Naming the file and the problem: missing or unreadable file, a malformed or
        incomplete header, a header value that is not finite (NaN no-data aside) or beyond
        :data:`MAX_COORD`, ``ncols``/``nrows`` that are not whole numbers, non-positive sizes,
        more than :data:`MAX_CELLS` cells, the wrong count of values (checked before they are
        converted) or non-numeric ones.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: raster file not found")
    try:
        text = path.read_text(encoding="ascii", errors="strict")
    except (UnicodeDecodeError, OSError) as exc:
        raise InputError(f"{path}: not a readable ESRI ASCII grid ({exc})") from None
    lines = text.splitlines()
    header, i = _asc_header(path, lines)
    for key in ("ncols", "nrows", "cellsize"):
        if key not in header:
            raise InputError(f"{path}: header lacks '{key}'")
    ncols, nrows, cs = int(header["ncols"]), int(header["nrows"]), header["cellsize"]
    if not cs > 0:
        raise InputError(f"{path}: cellsize must be positive, found {cs:g}")
    if ncols * nrows > MAX_CELLS:
        raise InputError(f"{path}: ncols x nrows = {ncols} x {nrows} = {ncols * nrows:,} cells, more than "
                         f"this reader takes ({MAX_CELLS:,})")
    x0 = _lower_left(path, header, "x", cs)
    y0 = _lower_left(path, header, "y", cs)
    tokens = " ".join(lines[i:]).split()
    if len(tokens) != nrows * ncols:  # before any array is sized
        raise InputError(f"{path}: expected {nrows} x {ncols} = {nrows * ncols} values, found {len(tokens)}")
    try:
        data = np.array(tokens, dtype=np.float64)
    except ValueError as exc:
        raise InputError(f"{path}: grid values are not all numbers ({exc})") from None
    grid = data.reshape(nrows, ncols)[::-1].copy()  # file rows run north to south
    if "nodata_value" in header:
        grid[grid == header["nodata_value"]] = np.nan
    return Raster(grid, x0, y0, cs, crs)


def write_asc(raster: Raster, path: str | Path, *, nodata: float = -9999.0, fmt: str = "%.4f") -> Path:
    """Write an ESRI ASCII grid (``xllcorner`` form, rows north to south).

    Parameters
    ----------
    raster : Raster
        The grid to write; NaN and infinite cells are written as ``nodata``.
    path : str or Path
        The file to write (replaced if it exists).
    nodata : float
        The ``NODATA_value``.
    fmt : str
        ``numpy.savetxt`` format of each value.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    nrows, ncols = raster.shape
    values = np.where(np.isfinite(raster.values), raster.values, nodata)[::-1]
    with path.open("w", encoding="ascii") as fh:
        # repr of a Python float round-trips exactly; numpy scalars' repr is "np.float64(...)"
        x0, y0, cs = float(raster.x0), float(raster.y0), float(raster.cellsize)
        fh.write(f"ncols {ncols}\nnrows {nrows}\nxllcorner {x0!r}\nyllcorner {y0!r}\n")
        fh.write(f"cellsize {cs!r}\nNODATA_value {nodata:g}\n")
        np.savetxt(fh, values, fmt=fmt)
    return path


def mask_polygons(mask: np.ndarray, grid: Raster):
    """A (Multi)Polygon covering the True cells: row runs as boxes, dissolved.

    Parameters
    ----------
    mask : array of bool, shape ``grid.shape``
        The cells to cover (row 0 at the south edge).
    grid : Raster
        The grid the mask lies on.

    Returns
    -------
    shapely.Geometry
        A valid Polygon or MultiPolygon in the grid's coordinates (an empty geometry
        when no cell is True).
    """
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), np.int8)
    padded[:, 1:-1] = mask
    step = np.diff(padded, axis=1)
    r0, c0 = np.nonzero(step == 1)
    r1, c1 = np.nonzero(step == -1)  # same row order, so runs pair up
    cs = grid.cellsize
    boxes = shapely.box(grid.x0 + c0 * cs, grid.y0 + r0 * cs, grid.x0 + c1 * cs, grid.y0 + (r0 + 1) * cs)
    # union_all, not coverage_union_all: cells meeting only at a corner make the latter's rings
    # self-touch (invalid); simplify(0) then drops the collinear run ends
    return shapely.simplify(shapely.union_all(boxes), 0.0)
