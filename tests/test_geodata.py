"""Real GIS files onto a real network: GeoTIFF and vector reading, reprojection, population allocation.

The rasters and layers are written with rasterio and pyogrio into ``tmp_path`` over the true
coordinates of the Aguascalientes OSM extract (network in UTM zone 13N, EPSG:32613).
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import rasterio
import shapely
from pyproj import Transformer
from rasterio.transform import Affine

from network.errors import InputError
from network.geodata import Layer, raster_to_grid, read_layer, read_points_csv, read_raster
from network.osm import load_osm
from network.population import allocate_polygons, allocate_raster, zones_from_units
from network.raster import Raster

OSM = Path(__file__).resolve().parent / "data" / "osm" / "aguascalientes.osm.pbf"

# population grid over the extract's bbox: 66 x 29 cells of 0.001 degree (about 100 m)
LON0, LAT_TOP, DEG = -102.320, 21.879, 0.001
NCOLS, NROWS = 66, 29
NODATA_CELLS = [(2, 5), (10, 40), (28, 65)]  # (file row from the north, column)

# a planar DEM in the network's UTM grid
UTM = "EPSG:32613"
DEM_X0, DEM_YTOP, DEM_CS, DEM_NX, DEM_NY = 779_500.0, 2_423_000.0, 30.0, 180, 140


def plane(x, y):
    """The DEM's exact elevation at UTM x/y."""
    return 1800.0 + 0.01 * (np.asarray(x) - 780_000.0) - 0.02 * (np.asarray(y) - 2_420_000.0)


def from_origin(west: float, north: float, xsize: float, ysize: float) -> Affine:
    """A north-up geotransform (rasterio's own builds it with a deprecated operator)."""
    return Affine(xsize, 0.0, west, 0.0, -ysize, north)


def write_tif(path: Path, rows_north_first: np.ndarray, transform: Affine, crs, nodata=None) -> Path:
    """One float64 band, rows from north to south as GDAL stores them."""
    nrows, ncols = rows_north_first.shape
    with rasterio.open(
        path, "w", driver="GTiff", height=nrows, width=ncols, count=1, dtype="float64",
        crs=crs, transform=transform, nodata=nodata,
    ) as dst:
        dst.write(rows_north_first, 1)
    return path


def pop_cells() -> np.ndarray:
    """People per cell, rows north to south: 1..17 in a pattern, NaN on the no-data cells."""
    values = 1.0 + (np.arange(NROWS * NCOLS).reshape(NROWS, NCOLS) % 17)
    values[0, 0] = 123.0  # north-west corner, looked for after reading
    for r, c in NODATA_CELLS:
        values[r, c] = np.nan
    return values


@pytest.fixture(scope="module")
def net():
    return load_osm(OSM)


@pytest.fixture
def pop_tif(tmp_path) -> Path:
    values = np.where(np.isnan(pop_cells()), -9999.0, pop_cells())
    return write_tif(tmp_path / "pop.tif", values, from_origin(LON0, LAT_TOP, DEG, DEG), "EPSG:4326", -9999.0)


@pytest.fixture
def dem_tif(tmp_path) -> Path:
    x = DEM_X0 + (np.arange(DEM_NX) + 0.5) * DEM_CS
    y = DEM_YTOP - (np.arange(DEM_NY) + 0.5) * DEM_CS
    transform = from_origin(DEM_X0, DEM_YTOP, DEM_CS, DEM_CS)
    return write_tif(tmp_path / "dem.tif", plane(*np.meshgrid(x, y)), transform, UTM)


def one_line_error(exc: pytest.ExceptionInfo, path: Path) -> str:
    """The message, checked to be one line that names the file."""
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith(str(path)), msg
    return msg


# ---------------------------------------------------------------------- rasters


def test_read_raster_orientation_values_and_nodata(pop_tif):
    r = read_raster(pop_tif, what="population raster")
    assert r.crs == "EPSG:4326" and r.shape == (NROWS, NCOLS) and r.values.dtype == np.float64
    assert r.x0 == pytest.approx(LON0) and r.y0 == pytest.approx(LAT_TOP - NROWS * DEG)
    assert r.cellsize == pytest.approx(DEG)
    # the north-west cell holds 123: row 0 of the Raster is the south edge, so it is the top row
    lon, lat = LON0 + 0.5 * DEG, LAT_TOP - 0.5 * DEG
    assert r.sample(lon, lat, method="nearest") == 123.0
    row, col = r.cell_of(lon, lat)
    assert (int(row), int(col)) == (NROWS - 1, 0)
    np.testing.assert_array_equal(r.values, pop_cells()[::-1])  # NaN where the file has -9999
    assert np.isnan(r.values).sum() == len(NODATA_CELLS)


def test_read_raster_utm_dem_samples_the_plane(net, dem_tif):
    dem = read_raster(dem_tif, what="DEM")
    assert dem.crs == net.crs == UTM
    np.testing.assert_allclose(dem.sample(net.x, net.y), plane(net.x, net.y), rtol=1e-12)


def test_read_raster_bad_files(tmp_path, dem_tif):
    values = np.ones((4, 5))
    no_crs = write_tif(tmp_path / "nocrs.tif", values, from_origin(780_000, 2_420_000, 30, 30), None)
    with pytest.raises(InputError) as exc:
        read_raster(no_crs)
    assert "the raster has no CRS" in one_line_error(exc, no_crs)

    degrees_as_metres = write_tif(tmp_path / "deg.tif", values, from_origin(LON0, LAT_TOP, DEG, DEG), UTM)
    with pytest.raises(InputError) as exc:
        read_raster(degrees_as_metres)
    assert "the CRS says metres" in one_line_error(exc, degrees_as_metres)
    assert "look like degrees" in str(exc.value)

    metres_as_degrees = write_tif(tmp_path / "m.tif", values, from_origin(780_000, 2_420_000, 30, 30), "EPSG:4326")
    with pytest.raises(InputError) as exc:
        read_raster(metres_as_degrees)
    assert "look like metres" in one_line_error(exc, metres_as_degrees)

    rotated = write_tif(
        tmp_path / "rot.tif", values, from_origin(780_000, 2_420_000, 30, 30) @ Affine.rotation(10), UTM
    )
    with pytest.raises(InputError) as exc:
        read_raster(rotated)
    assert "not a north-up grid" in one_line_error(exc, rotated)

    oblong = write_tif(tmp_path / "oblong.tif", values, from_origin(780_000, 2_420_000, 30, 20), UTM)
    with pytest.raises(InputError) as exc:
        read_raster(oblong)
    assert "non-square cells" in one_line_error(exc, oblong)

    missing = tmp_path / "absent.tif"
    with pytest.raises(InputError) as exc:
        read_raster(missing)
    assert one_line_error(exc, missing) == f"{missing}: file not found"

    with pytest.raises(InputError) as exc:
        read_raster(dem_tif, band=2)
    assert "band 2" in one_line_error(exc, dem_tif)

    not_tif = tmp_path / "text.tif"
    not_tif.write_text("not a raster")
    with pytest.raises(InputError) as exc:
        read_raster(not_tif)
    one_line_error(exc, not_tif)


def _exact_overlap_total(pop: Raster, like: Raster) -> float:
    """People of the source cells pro rata to the area of each inside the target extent (in UTM)."""
    row, col = np.nonzero(np.isfinite(pop.values))
    cells = shapely.box(
        pop.x0 + col * pop.cellsize, pop.y0 + row * pop.cellsize,
        pop.x0 + (col + 1) * pop.cellsize, pop.y0 + (row + 1) * pop.cellsize,
    )
    tr = Transformer.from_crs(pop.crs, like.crs, always_xy=True)
    cells = shapely.transform(
        shapely.segmentize(cells, pop.cellsize / 10),
        lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])),
    )
    xmin, xmax, ymin, ymax = like.extent
    inside = shapely.area(shapely.intersection(cells, shapely.box(xmin, ymin, xmax, ymax))) / shapely.area(cells)
    return float(np.sum(pop.values[row, col] * inside))


def test_raster_to_grid_sum_preserves_people(pop_tif):
    pop = read_raster(pop_tif)
    # a 100 m UTM grid over part of the area: the sum matches the people inside its extent
    part = Raster(np.zeros((25, 40)), 778_000.0, 2_418_900.0, 100.0, UTM)
    moved = raster_to_grid(pop, part, resampling="sum")
    assert moved.same_grid(part) and moved.crs == UTM
    expected = _exact_overlap_total(pop, part)
    assert abs(np.nansum(moved.values) / expected - 1) < 0.005
    # a 250 m grid over all of it (and beyond): every person arrives; cells beyond the data are NaN
    whole = Raster(np.zeros((15, 31)), 776_500.0, 2_418_500.0, 250.0, UTM)
    moved = raster_to_grid(pop, whole, resampling="sum")
    assert abs(np.nansum(moved.values) / np.nansum(pop.values) - 1) < 1e-4
    assert np.isnan(moved.values[0, 0]) and np.isnan(moved.values[-1, -1])


def test_raster_to_grid_bilinear_plane_is_exact(dem_tif):
    dem = read_raster(dem_tif)
    xmin, xmax, ymin, ymax = dem.extent
    margin = 2 * DEM_CS  # bilinear is exact for a plane wherever it need not extrapolate

    def check(like: Raster, rtol: float = 1e-6) -> None:
        out = raster_to_grid(dem, like, resampling="bilinear")
        cx, cy = like.cell_centres()
        x, y = np.meshgrid(cx, cy)
        if like.crs != UTM:
            x, y = Transformer.from_crs(like.crs, UTM, always_xy=True).transform(x, y)
        inner = (x > xmin + margin) & (x < xmax - margin) & (y > ymin + margin) & (y < ymax - margin)
        assert inner.sum() > 100
        err = np.abs(out.values - plane(x, y)) / np.abs(plane(x, y))
        assert np.all(np.isfinite(out.values[inner])) and err[inner].max() < rtol

    check(Raster(np.zeros((150, 200)), 779_713.0, 2_419_104.0, 17.0, UTM))  # finer, shifted grid
    check(Raster(np.zeros((30, 40)), -102.287, 21.857, 0.0002, "EPSG:4326"))  # into degrees
    # coarser grid: GDAL widens the bilinear kernel to the 2.5x cell ratio (anti-aliasing); its
    # discrete weights are not quite centred on the target, a few millimetres here
    check(Raster(np.zeros((40, 50)), 779_650.0, 2_419_030.0, 75.0, UTM), rtol=1e-5)
    with pytest.raises(InputError, match="unknown resampling 'cubic'"):
        raster_to_grid(dem, dem, resampling="cubic")


# ---------------------------------------------------------------------- population from a raster


def test_allocate_raster_keeps_totals_and_reach(net, pop_tif):
    pop = read_raster(pop_tif)
    a = allocate_raster(net, pop, reach_m=1000.0)
    assert a.people.shape == (net.n_nodes,)
    assert a.total == pytest.approx(np.nansum(pop.values), rel=1e-12)
    assert a.people.sum() == pytest.approx(a.allocated, rel=1e-12)
    assert a.allocated + a.unallocated == pytest.approx(a.total, rel=1e-12)
    assert 0 < a.max_distance_m <= 1000.0
    # brute force: each cell centre in UTM, its nearest node, and whether that is within reach
    cx, cy = pop.cell_centres()
    lon, lat = np.meshgrid(cx, cy)
    x, y = Transformer.from_crs("EPSG:4326", net.crs, always_xy=True).transform(lon.ravel(), lat.ravel())
    d2 = (x[:, None] - net.x[None, :]) ** 2 + (y[:, None] - net.y[None, :]) ** 2
    nearest, dist = d2.argmin(axis=1), np.sqrt(d2.min(axis=1))
    people = np.nan_to_num(pop.values.ravel())
    near = dist <= 1000.0
    np.testing.assert_allclose(a.people, np.bincount(nearest[near], people[near], net.n_nodes), atol=1e-9)
    assert a.max_distance_m == pytest.approx(dist[near & (people > 0)].max())
    # the raster reaches 3 km west of the roads: those people are left out and the note says so
    assert a.unallocated == pytest.approx(people[~near].sum()) and a.unallocated > 0
    assert "unallocated" in a.note and "\n" not in a.note

    tiny = allocate_raster(net, pop, reach_m=5.0)
    assert tiny.max_distance_m <= 5.0
    assert tiny.unallocated > 0.9 * tiny.total
    assert tiny.allocated + tiny.unallocated == pytest.approx(tiny.total, rel=1e-12)
    assert tiny.people.sum() == pytest.approx(tiny.allocated, rel=1e-12)
    assert "farther than 5 m from any road are unallocated" in tiny.note


# ---------------------------------------------------------------------- census units


def _square(lon0, lat0, lon1, lat1) -> list:
    return [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]]


def census_units(net) -> tuple[list[str], list, list[float]]:
    """Names, GeoJSON polygon rings (lon/lat) and people of four units.

    A and B hold roads (apart, so no node is in both); C is a 10 m square 40 m east of a node
    (no node inside, one within reach); D lies 3 km west of every road.
    """
    i = int(np.argmin(np.abs(net.lon - (-102.262)) + np.abs(net.lat - 21.875)))
    x, y = net.x[i] + 40.0, net.y[i]
    to_ll = Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True)
    (lon0, lon1), (lat0, lat1) = to_ll.transform([x - 5, x + 5], [y - 5, y + 5])
    rings = [
        _square(-102.275, 21.865, -102.2655, 21.872),
        _square(-102.282, 21.862, -102.276, 21.868),
        _square(lon0, lat0, lon1, lat1),
        _square(-102.318, 21.852, -102.312, 21.856),
    ]
    return ["A", "B", "C", "D"], rings, [1000.0, 500.0, 70.0, 40.0]


def write_geojson(path: Path, names, rings, people, *, crs_member: bool = False) -> Path:
    features = [
        {"type": "Feature", "properties": {"name": n, "pop": p}, "geometry": {"type": "Polygon", "coordinates": r}}
        for n, r, p in zip(names, rings, people)
    ]
    doc = {"type": "FeatureCollection", "features": features}
    if crs_member:
        doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    path.write_text(json.dumps(doc))
    return path


def write_gpkg(path: Path, names, rings, people, crs: str) -> Path:
    """The units transformed to ``crs`` in a GeoPackage."""
    geoms = shapely.polygons([np.array(r[0]) for r in rings])
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    geoms = shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    pyogrio.raw.write(
        path, shapely.to_wkb(geoms), [np.array(names, dtype=object), np.array(people)], ["name", "pop"],
        driver="GPKG", geometry_type="Polygon", crs=crs,
    )
    return path


def test_allocate_polygons(net, tmp_path):
    names, rings, people = census_units(net)
    units = read_layer(write_geojson(tmp_path / "units.geojson", names, rings, people), what="census units")
    assert isinstance(units, Layer) and units.crs == "EPSG:4326" and len(units) == 4
    assert list(units.fields) == ["name", "pop"]

    a = allocate_polygons(net, units, "pop", reach_m=1000.0)
    assert a.total == pytest.approx(1610.0)
    assert a.unallocated == pytest.approx(40.0)  # D: 3 km from the roads
    assert a.allocated == pytest.approx(1570.0) and a.people.sum() == pytest.approx(1570.0)
    assert "2 units have no road node inside: 1 gave their people to the nearest node" in a.note
    assert "unallocated" in a.note and "\n" not in a.note

    # unit A by hand: its nodes found independently, each with an equal share of its 1000 people
    to_utm = Transformer.from_crs("EPSG:4326", net.crs, always_xy=True)
    ax, ay = to_utm.transform(*np.array(rings[0][0]).T)
    in_a = shapely.contains_xy(shapely.Polygon(np.column_stack([ax, ay])), net.x, net.y)
    assert in_a.sum() >= 5
    np.testing.assert_allclose(a.people[in_a], 1000.0 / in_a.sum())
    # unit C has no node inside: its 70 people go to the node nearest it (40 m off at most)
    cx, cy = to_utm.transform(*np.array(rings[2][0]).T)
    c_poly = shapely.Polygon(np.column_stack([cx, cy]))
    assert not shapely.contains_xy(c_poly, net.x, net.y).any()
    rep = shapely.point_on_surface(c_poly)
    d = np.hypot(net.x - rep.x, net.y - rep.y)
    assert a.people[np.argmin(d)] == pytest.approx(70.0)
    assert a.max_distance_m == pytest.approx(d.min()) and 10 < a.max_distance_m <= 40

    # the same units from a GeoPackage in another projected CRS (Mexico LCC) give the same people
    gpkg = read_layer(write_gpkg(tmp_path / "units.gpkg", names, rings, people, "EPSG:6372"))
    assert gpkg.crs == "EPSG:6372"
    np.testing.assert_allclose(allocate_polygons(net, gpkg, "pop").people, a.people, atol=1e-9)
    # read straight into the network's CRS
    assert read_layer(tmp_path / "units.gpkg", crs=net.crs).crs == net.crs

    # with a short reach C's people stay unallocated too
    short = allocate_polygons(net, units, "pop", reach_m=10.0)
    assert short.unallocated == pytest.approx(110.0) and short.allocated == pytest.approx(1500.0)


def test_allocate_polygons_bad_fields(net, tmp_path):
    names, rings, people = census_units(net)
    path = write_geojson(tmp_path / "units.geojson", names, rings, people)
    units = read_layer(path)
    with pytest.raises(InputError) as exc:
        allocate_polygons(net, units, "people")
    msg = one_line_error(exc, path)
    assert "no field 'people'" in msg and "name, pop" in msg
    bad = write_geojson(tmp_path / "bad.geojson", names, rings, [1.0, -3.0, 2.0, 4.0])
    with pytest.raises(InputError) as exc:
        allocate_polygons(net, read_layer(bad), "pop")
    assert "unit 1, field 'pop'" in one_line_error(exc, bad) and "negative" in str(exc.value)
    with pytest.raises(InputError) as exc:
        allocate_polygons(net, units, "name")
    assert "unit 0, field 'name': 'A' is not a number" in one_line_error(exc, path)


def test_zones_from_units(net, tmp_path):
    names, rings, people = census_units(net)
    units = read_layer(write_geojson(tmp_path / "units.geojson", names, rings, people, crs_member=True))
    zone, zone_names = zones_from_units(net, units, "name")
    assert zone_names == names and zone.shape == (net.n_nodes,)
    to_utm = Transformer.from_crs("EPSG:4326", net.crs, always_xy=True)
    polys = [shapely.Polygon(np.column_stack(to_utm.transform(*np.array(r[0]).T))) for r in rings]
    inside = [shapely.intersects_xy(p, net.x, net.y) for p in polys]
    assert np.all(zone[inside[0]] == 0) and np.all(zone[inside[1]] == 1)
    outside = ~np.any(inside, axis=0)
    assert outside.any() and np.all(zone[outside] == -1)
    with pytest.raises(InputError, match="no field 'township'"):
        zones_from_units(net, units, "township")


# ---------------------------------------------------------------------- bad layers and point CSVs


def test_read_layer_bad_files(tmp_path):
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(InputError) as exc:
        read_layer(empty)
    assert one_line_error(exc, empty) == f"{empty}: the layer has no features"

    shp = tmp_path / "noprj.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pyogrio warns that there is no CRS: the point
        pyogrio.raw.write(
            shp, shapely.to_wkb(shapely.points([1.0], [2.0])), [np.array([1.0])], ["v"],
            driver="ESRI Shapefile", geometry_type="Point", crs=None,
        )
    with pytest.raises(InputError) as exc:
        read_layer(shp)
    assert "has no CRS" in one_line_error(exc, shp)

    metres = tmp_path / "metres.geojson"
    metres.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [780000, 2420000]}}
    ]}))
    with pytest.raises(InputError) as exc:
        read_layer(metres)
    assert "look like metres" in one_line_error(exc, metres)

    missing = tmp_path / "absent.gpkg"
    with pytest.raises(InputError) as exc:
        read_layer(missing)
    assert one_line_error(exc, missing) == f"{missing}: file not found"


def test_read_points_csv(net, tmp_path):
    good = tmp_path / "villages.csv"
    good.write_text("name,Lon,lat,people\nEl Ojo,-102.270,21.869,250\nLejos,-102.318,21.853,30\n")
    pts = read_points_csv(good, what="villages")
    assert pts.crs == "EPSG:4326" and len(pts) == 2
    assert list(pts.fields) == ["name", "people"] and pts.fields["name"][1] == "Lejos"
    assert shapely.get_x(pts.geometry[0]) == -102.270
    # points are units with no node inside: the near village is placed, the far one is not
    a = allocate_polygons(net, pts, "people", reach_m=500.0)
    assert a.allocated == pytest.approx(250.0) and a.unallocated == pytest.approx(30.0)

    no_lat = tmp_path / "nolat.csv"
    no_lat.write_text("name,lon,latitude\nA,1,2\n")
    with pytest.raises(InputError) as exc:
        read_points_csv(no_lat)
    assert "no 'lat' column" in one_line_error(exc, no_lat) and "latitude" in str(exc.value)

    bad = tmp_path / "bad.csv"
    bad.write_text("lon,lat\n-102.27,21.86\n-102.27,north\n")
    with pytest.raises(InputError) as exc:
        read_points_csv(bad)
    assert "row 2, column 'lat': 'north' is not a number" in one_line_error(exc, bad)
