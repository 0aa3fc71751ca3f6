"""Reading real GIS files: GeoTIFF (any raster GDAL reads) and vector layers (GeoJSON, GeoPackage, Shapefile).

Rasters come back as :class:`~network.raster.Raster` (row 0 at the south edge, NaN for no
data); vector layers as a :class:`Layer` of shapely geometries and plain numpy field arrays,
read with pyogrio and without geopandas. Every error names the file and the problem on one line.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyogrio
import pyogrio.errors
import rasterio
import rasterio.errors
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from rasterio.transform import Affine
from rasterio.warp import Resampling, reproject

from .errors import InputError
from .projection import _transformer
from .raster import Raster

_RESAMPLING = {
    "nearest": Resampling.nearest,
    "bilinear": Resampling.bilinear,
    "average": Resampling.average,
    # GDAL weights each source cell by the fraction of it inside the target cell, so totals hold
    "sum": Resampling.sum,
}

# GeoJSON without a "crs" member is WGS 84 by RFC 7946
_GEOJSON_SUFFIXES = (".geojson", ".json", ".geojsonl", ".geojsons")


@dataclass(frozen=True, eq=False)
class Layer:
    """Features of a vector file.

    ``geometry`` holds one shapely geometry per feature (None where the feature has none),
    ``fields`` one array per attribute, ``crs`` the CRS of the coordinates as a string
    pyproj reads, and ``source`` the file they came from (for error messages).
    """

    geometry: np.ndarray
    fields: dict[str, np.ndarray]
    crs: str
    source: str

    def __len__(self) -> int:
        return len(self.geometry)


def _one_line(exc: BaseException) -> str:
    """An exception's message on one line (GDAL messages can span several)."""
    return " ".join(str(exc).split())


def _coord(v: float) -> str:
    """A coordinate for a message: whole metres, or six significant digits of degrees."""
    return f"{v:.0f}" if abs(v) >= 1000 else f"{v:.6g}"


def _crs_string(crs) -> str:
    """``"EPSG:nnnn"`` when the CRS has an EPSG code, else its WKT: both are what pyproj reads."""
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def _check_units(path: Path, crs: str, bounds: tuple[float, float, float, float]) -> None:
    """Raise InputError when the CRS's units contradict the coordinates (degrees vs metres).

    Parameters
    ----------
    path : Path
        The file, for the message.
    crs : str
        Its CRS.
    bounds : (left, bottom, right, top)
        The extent of its coordinates.
    """
    try:
        pcrs = CRS.from_user_input(crs)
    except CRSError as exc:
        raise InputError(f"{path}: the CRS is not one PROJ understands ({_one_line(exc)})") from None
    left, bottom, right, top = bounds
    where = f"x {_coord(left)}..{_coord(right)}, y {_coord(bottom)}..{_coord(top)}"
    within_degrees = -180 <= left and right <= 180 and -90 <= bottom and top <= 90
    if pcrs.is_projected and within_degrees and max(right - left, top - bottom) < 5:
        unit = pcrs.axis_info[0].unit_name if pcrs.axis_info else "metre"
        units = "metres" if unit == "metre" else unit
        raise InputError(
            f"{path}: the CRS says {units} ({pcrs.name}) but the coordinates look like degrees ({where}); "
            "assign the right CRS, e.g. EPSG:4326"
        )
    # 0-360 longitudes are a legitimate geographic convention; a metre grid is far beyond both
    if pcrs.is_geographic and not (-180.5 <= left and right <= 360.5 and -90.5 <= bottom and top <= 90.5):
        raise InputError(
            f"{path}: the CRS says degrees ({pcrs.name}) but the coordinates look like metres ({where}); "
            "assign the projected CRS the data were made in"
        )


def _check_grid(path: Path, what: str, t: Affine, nrows: int, ncols: int) -> None:
    """Raise InputError unless the geotransform is an unrotated grid of (near) square cells."""
    if t.b != 0 or t.d != 0 or t.a <= 0 or t.e == 0:
        terms = ", ".join(f"{v:.6g}" for v in tuple(t)[:6])
        raise InputError(
            f"{path}: the {what} is not a north-up grid (geotransform {terms}); warp it north-up first (gdalwarp)"
        )
    # square within a tenth of a cell accumulated across the whole grid
    if abs(t.a - abs(t.e)) * max(nrows, ncols) > 0.1 * t.a:
        raise InputError(
            f"{path}: the {what} has non-square cells ({t.a:.6g} by {abs(t.e):.6g}); "
            "resample it to square cells (gdalwarp -tr)"
        )


def read_raster(path: str | Path, *, what: str = "raster", band: int = 1) -> Raster:
    """Read one band of a GeoTIFF (or any raster GDAL reads).

    Parameters
    ----------
    path : str or Path
        The raster file.
    what : str
        What the raster is ("population raster", "DEM"), for error messages.
    band : int
        The band to read, from 1.

    Returns
    -------
    Raster
        float64 values with row 0 at the south edge, NaN where the file has no data (its
        nodata value or mask); ``crs`` is ``"EPSG:nnnn"`` when GDAL knows the code, else WKT.
        South-up files (positive y pixel size) are read too; rotated grids are refused.

    Raises
    ------
    InputError
        Naming the file: not found or unreadable, no such band, no CRS, rotated or
        non-square cells, or a CRS whose units contradict the coordinates.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    try:
        with rasterio.open(path) as src:
            if not 1 <= band <= src.count:
                raise InputError(f"{path}: the {what} has {src.count} band(s); band {band} was asked for")
            if src.crs is None or not src.crs.to_wkt():
                raise InputError(
                    f"{path}: the {what} has no CRS; assign one "
                    f"(e.g. gdal_edit.py -a_srs EPSG:4326 {path.name}) and read it again"
                )
            crs = _crs_string(src.crs)
            t = src.transform
            _check_grid(path, what, t, src.height, src.width)  # before reading what may be a large band
            values = src.read(band, masked=True).astype(np.float64).filled(np.nan)
    except rasterio.errors.RasterioError as exc:
        raise InputError(f"{path}: not a raster GDAL can read ({_one_line(exc)})") from None
    nrows, ncols = values.shape
    if t.e < 0:  # the usual case: file rows run north to south
        values = values[::-1]
        y0 = t.f + t.e * nrows
    else:  # a south-up file already has the Raster's row order
        y0 = t.f
    _check_units(path, crs, (t.c, y0, t.c + t.a * ncols, y0 + abs(t.e) * nrows))
    return Raster(np.ascontiguousarray(values), float(t.c), float(y0), float(t.a), crs)


def _north_up(r: Raster) -> tuple[np.ndarray, Affine]:
    """The values with rows north to south, and the GDAL geotransform that goes with them."""
    nrows, _ = r.shape
    transform = Affine(r.cellsize, 0.0, r.x0, 0.0, -r.cellsize, r.y0 + nrows * r.cellsize)
    return np.ascontiguousarray(r.values[::-1], dtype=np.float64), transform


def raster_to_grid(src: Raster, like: Raster, *, resampling: str = "bilinear") -> Raster:
    """Reproject and resample ``src`` onto the grid of ``like`` (in memory, with GDAL's warper).

    Parameters
    ----------
    src : Raster
        The values to move; NaN is no data.
    like : Raster
        The target grid: its origin, cell size, shape and CRS (its values are not used).
    resampling : {"nearest", "bilinear", "average", "sum"}
        ``"sum"`` is for counts (people per cell): each target cell gets the sum of the
        source cells over it, each weighted by the fraction of its area inside, so the
        target total equals the source people inside the target extent. Onto a coarser
        grid GDAL widens the bilinear kernel to the cell ratio, smoothing as it goes.

    Returns
    -------
    Raster
        On ``like``'s grid and CRS; NaN where no source data reaches a cell.

    Raises
    ------
    InputError
        For an unknown ``resampling``, or a raster without a CRS.
    """
    if resampling not in _RESAMPLING:
        raise InputError(f"unknown resampling {resampling!r}: use one of {', '.join(_RESAMPLING)}")
    for name, r in (("source", src), ("target", like)):
        if not r.crs:
            raise InputError(f"cannot reproject: the {name} raster has no CRS")
    source, src_transform = _north_up(src)
    _, dst_transform = _north_up(like)
    dst = np.full(like.shape, np.nan)
    reproject(
        source, dst,
        src_transform=src_transform, src_crs=src.crs, src_nodata=np.nan,
        dst_transform=dst_transform, dst_crs=like.crs, dst_nodata=np.nan,
        resampling=_RESAMPLING[resampling],
    )
    return Raster(np.ascontiguousarray(dst[::-1]), like.x0, like.y0, like.cellsize, like.crs)


def transform_geometry(geometry: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Geometries moved from CRS ``src`` to ``dst`` (x/y order on both sides; None stays None)."""
    tr = _transformer(src, dst)

    def move(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, move)


def read_layer(
    path: str | Path, *, what: str = "layer", crs: str | None = None, layer: str | int | None = None
) -> Layer:
    """Read a vector layer (GeoJSON, GeoPackage, Shapefile, or any format OGR reads).

    Parameters
    ----------
    path : str or Path
        The file.
    what : str
        What the layer is ("census units"), for error messages.
    crs : str, optional
        Transform the geometries into this CRS; default keep the file's.
    layer : str or int, optional
        The layer within a multi-layer file (a GeoPackage); default the first.

    Returns
    -------
    Layer
        Geometries (None for features without one), attribute arrays, the CRS and the path.

    Raises
    ------
    InputError
        Naming the file: not found or unreadable, no features, no CRS (GeoJSON without
        one is WGS 84), or a CRS whose units contradict the coordinates.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    try:
        meta, _, wkb, field_data = pyogrio.raw.read(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputError(f"{path}: not a {what} OGR can read ({_one_line(exc)})") from None
    if len(wkb) == 0:
        raise InputError(f"{path}: the {what} has no features")
    geometry = shapely.from_wkb(wkb)
    if shapely.is_missing(geometry).all() or shapely.is_empty(geometry[~shapely.is_missing(geometry)]).all():
        raise InputError(f"{path}: no feature of the {what} has a geometry")
    src_crs = meta.get("crs")
    if not src_crs and path.suffix.lower() in _GEOJSON_SUFFIXES:
        src_crs = "EPSG:4326"
    if not src_crs:
        raise InputError(
            f"{path}: the {what} has no CRS (a Shapefile needs its .prj); assign one "
            f"(e.g. ogr2ogr -a_srs EPSG:4326 out.gpkg {path.name})"
        )
    _check_units(path, src_crs, tuple(shapely.total_bounds(geometry)))
    if crs is not None and crs != src_crs:
        geometry = transform_geometry(geometry, src_crs, crs)
        src_crs = crs
    fields = {str(name): np.asarray(values) for name, values in zip(meta["fields"], field_data)}
    return Layer(geometry=geometry, fields=fields, crs=src_crs, source=str(path))


def _number(path: Path, row: int, column: str, text: str) -> float:
    """``text`` as a finite float, or InputError naming the row and column."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not np.isfinite(value):
        raise InputError(f"{path}: row {row}, column '{column}': {text!r} is not a number")
    return value


def read_points_csv(path: str | Path, *, what: str = "points") -> Layer:
    """Read points from a CSV file with ``lon`` and ``lat`` columns (WGS 84 degrees).

    Parameters
    ----------
    path : str or Path
        The CSV file: a header row, then one point per row. Column names are matched
        without regard to case or surrounding spaces.
    what : str
        What the points are ("shelters"), for error messages.

    Returns
    -------
    Layer
        Points in EPSG:4326; every other column as a field of strings.

    Raises
    ------
    InputError
        Naming the file: not found, no header or no rows, a missing ``lon``/``lat``
        column, or a value that is not a number or not a longitude/latitude (naming the
        row, counted from 1 after the header, and the column).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except (UnicodeDecodeError, OSError, csv.Error) as exc:
        raise InputError(f"{path}: not a readable CSV file ({_one_line(exc)})") from None
    if not rows:
        raise InputError(f"{path}: the file is empty; expected a header with lon and lat columns")
    header = [h.strip() for h in rows[0]]
    lower = [h.lower() for h in header]
    for name in ("lon", "lat"):
        if name not in lower:
            raise InputError(f"{path}: no '{name}' column; the columns are: {', '.join(header) or '(none)'}")
    data = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    if not data:
        raise InputError(f"{path}: the file has no {what}, only a header")
    ilon, ilat = lower.index("lon"), lower.index("lat")
    lon = np.empty(len(data))
    lat = np.empty(len(data))
    for k, r in enumerate(data, start=1):
        if len(r) != len(header):
            raise InputError(f"{path}: row {k} has {len(r)} values, the header {len(header)}")
        lon[k - 1] = _number(path, k, header[ilon], r[ilon])
        lat[k - 1] = _number(path, k, header[ilat], r[ilat])
        if not (-180 <= lon[k - 1] <= 180 and -90 <= lat[k - 1] <= 90):
            raise InputError(
                f"{path}: row {k}: lon {r[ilon].strip()}, lat {r[ilat].strip()} is not a longitude/latitude "
                "(columns swapped, or projected coordinates?)"
            )
    fields = {
        name: np.array([r[i].strip() for r in data], dtype=object)
        for i, name in enumerate(header) if i not in (ilon, ilat)
    }
    return Layer(geometry=shapely.points(lon, lat), fields=fields, crs="EPSG:4326", source=str(path))


def write_geotiff(raster: Raster, path: str | Path, *, nodata: float = -9999.0) -> Path:
    """Write ``raster`` as a single-band float32 GeoTIFF with its CRS (QGIS and GDAL read it),
    north row first as GeoTIFF stores it; NaN becomes ``nodata``.

    Raises
    ------
    InputError
        When the raster has no CRS (a GeoTIFF without one is the problem this module refuses
        to read) or the folder does not exist.
    """
    path = Path(path)
    if raster.crs is None:
        raise InputError(f"{path}: cannot write a GeoTIFF without a CRS")
    if not path.parent.is_dir():
        raise InputError(f"{path}: cannot write the GeoTIFF: folder {path.parent} does not exist")
    nrows, ncols = raster.shape
    top = raster.y0 + nrows * raster.cellsize
    values = np.where(np.isfinite(raster.values), raster.values, nodata)[::-1].astype(np.float32)
    transform = Affine(raster.cellsize, 0.0, raster.x0, 0.0, -raster.cellsize, top)
    with rasterio.open(path, "w", driver="GTiff", width=ncols, height=nrows, count=1, dtype="float32",
                       crs=raster.crs, transform=transform, nodata=nodata, compress="deflate") as ds:
        ds.write(values, 1)
    return path
