"""Write a worked example of a district from real data: a real OpenStreetMap extract (the centre
of Aguascalientes, Mexico; map data © OpenStreetMap contributors, ODbL 1.0) with the other
layers a planner would bring — a population raster, a DEM, ESA WorldCover land cover, a river
centreline with a gauge, a dike, township polygons and a facilities layer — and a manifest and
three scenarios (a 50-year flood, a forest fire, a chlorine leak) that run on it.

The roads are real; the other layers are written here over the extract's real coordinates, in
the formats and CRSs the real products come in (WorldPop/GHS-POP people per cell, Copernicus
GLO-30 heights, WorldCover class codes, all WGS 84 GeoTIFF). The ground is a valley falling
eastwards with a river along it; the people are 50 a cell. Replace any file with the real one
and the rest works the same: every figure then follows from the planner's data.

Usage::

    python examples/real-district/build.py OUT_DIR
    yingji district check OUT_DIR/district.toml
    yingji run OUT_DIR/flood-50y.toml --out flood-report
"""
from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import Affine

HERE = Path(__file__).resolve().parent
OSM = HERE.parent.parent / "tests" / "data" / "osm" / "aguascalientes.osm.pbf"
BBOX = (-102.320, 21.850, -102.254, 21.879)        # the extract's box: lon0, lat0, lon1, lat1
RIVER_LAT = 21.862                 # the river runs west to east along this latitude
WEST, EAST = -102.300, -102.240    # its ends
KM_PER_DEG_LON = 111.32 * np.cos(np.radians(RIVER_LAT))
KM_PER_DEG_LAT = 110.75
DOWN_M_PER_KM = 0.5                # the valley falls eastwards
ACROSS = 0.005                     # and rises 0.5 % away from the river
CHANNEL_DEPTH_M = 3.0
CHANNEL_WIDTH_M = 100.0
GAUGE = (-102.270, RIVER_LAT)
DIKE_LAT = RIVER_LAT + 0.0009      # about 100 m north of the river
DIKE_CREST_M = 1882.0              # above datum
STAGES = {2: 1879.0, 10: 1881.2, 50: 1882.1, 100: 1882.6}     # peak stage at the gauge by return period
FOREST = (-102.284, 21.871, -102.274, 21.878)      # a patch of tree cover in the north-west
MID = -102.270                     # the two townships meet here
PEOPLE_PER_CELL = 50.0
POP_CELL_DEG = 0.002


def ground(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The valley: falling eastwards along the river, rising away from it, the channel cut in."""
    down = (lon - WEST) * KM_PER_DEG_LON * DOWN_M_PER_KM
    off_m = np.abs(lat - RIVER_LAT) * KM_PER_DEG_LAT * 1000.0
    z = 1880.0 - down + ACROSS * off_m
    return np.where(off_m < CHANNEL_WIDTH_M / 2, z - CHANNEL_DEPTH_M, z)


def worldcover(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """ESA WorldCover codes: water (80) along the river, tree cover (10) in the patch, built-up (50) elsewhere."""
    out = np.full(lon.shape, 50)
    out[np.abs(lat - RIVER_LAT) * KM_PER_DEG_LAT * 1000.0 < CHANNEL_WIDTH_M / 2] = 80
    lo0, la0, lo1, la1 = FOREST
    out[(lon > lo0) & (lon < lo1) & (lat > la0) & (lat < la1)] = 10
    return out


def people(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """People per cell where the extract has streets (its western part has none), no data (-1)
    in three cells of the north-west corner."""
    out = np.where((lon > -102.286) & (lon < -102.256), PEOPLE_PER_CELL, 0.0)
    out[0, :3] = -1.0
    return out


def write_grid(path: Path, values_of, step: float, *, pad: float = 0.01, dtype: str = "float64",
               nodata: float | None = None) -> None:
    """A WGS 84 GeoTIFF over the extract's box (plus ``pad``) with ``values_of(lon, lat)`` at cell centres."""
    lon0, lat0, lon1, lat1 = BBOX
    ncols, nrows = int(round((lon1 - lon0 + 2 * pad) / step)), int(round((lat1 - lat0 + 2 * pad) / step))
    lons = (lon0 - pad) + (np.arange(ncols) + 0.5) * step
    lats = (lat1 + pad) - (np.arange(nrows) + 0.5) * step
    vals = values_of(*np.meshgrid(lons, lats)).astype(dtype)
    transform = Affine(step, 0.0, lon0 - pad, 0.0, -step, lat1 + pad)
    with rasterio.open(path, "w", driver="GTiff", width=ncols, height=nrows, count=1, dtype=dtype, crs="EPSG:4326",
                       transform=transform, nodata=nodata) as ds:
        ds.write(vals, 1)


def feature_collection(path: Path, features: list[tuple[str, list, dict]]) -> None:
    """A GeoJSON file of (geometry type, coordinates, properties)."""
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": {"type": kind, "coordinates": coords}}
        for kind, coords, props in features]}, ensure_ascii=False), encoding="utf-8")


#: facilities: id, kind, near (lon, lat), name, data; each is put 0.0003° (about 33 m) north of
#: the extract's road node nearest ``near``, as a building stands beside its street
FACILITIES = [
    ("school-1", "shelter", (-102.275, 21.865), "Escuela Primaria", {"capacity": 800}),
    ("plaza", "shelter", (-102.265, 21.870), "Plaza de la Patria", {"area_m2": 3000, "type": "square"}),
    ("gym-0", "shelter", (-102.262, 21.874), "Gimnasio Norte", {"capacity": 600, "status": "candidate",
                                                                 "type": "stadium"}),
    ("gym-1", "shelter", (-102.280, 21.858), "Gimnasio Sur", {"capacity": 600, "status": "candidate",
                                                               "type": "stadium"}),
    ("store", "warehouse", (-102.270, 21.868), "Almacén municipal", {"water_l": 20000, "food_rations": 5000,
                                                                     "bedding_sets": 2000}),
    ("bomberos", "fire_station", (-102.272, 21.862), "Bomberos Centro",
     {"teams": "general:12;hazmat:6;water_rescue:6;forest_fire:12"}),
    ("planta", "chemical_site", (-102.260, 21.862), "Planta de tratamiento", {"substances": "chlorine"}),
]


def beside_road(lon: float, lat: float) -> tuple[float, float]:
    """The extract's road node nearest (lon, lat), moved 0.0003° north."""
    from network.osm import load_osm

    net = load_osm(OSM)
    i = int(np.argmin((net.lon - lon) ** 2 + (net.lat - lat) ** 2))
    return float(net.lon[i]), float(net.lat[i]) + 0.0003

MANIFEST = """
    [district]
    name_zh = "阿瓜斯卡连特斯（示例）"
    name_en = "Aguascalientes (example)"
    [roads]
    file = "roads.osm.pbf"
    [population]
    raster = "pop.tif"
    [terrain]
    dem = "dem.tif"
    cell_m = 50
    [landcover]
    raster = "worldcover.tif"
    [water]
    rivers = "river.geojson"
    name = "Río San Pedro (example)"
    channel_width_m = 100
    surface_slope_m_per_km = 0.5      # from the gauges (without it: fitted from the DEM, said as an estimate)
    dikes = "dikes.geojson"
    [water.gauge]
    name = "Centro gauge"
    location = [-102.270, 21.862]
    warning_stage_m = 1878.8
    base_stage_m = 1877.0
    stage_frequency = { 2 = 1879.0, 10 = 1881.2, 50 = 1882.1, 100 = 1882.6 }
    rise_h = 4
    recession_h = 4
    source = "example table (replace with the gauge's frequency analysis)"
    [facilities]
    file = "facilities.geojson"
    [admin]
    units = "townships.geojson"
    name_field = "name"
    kind_field = "kind"
"""

#: scenario name -> (Chinese title, English title, sections)
SCENARIOS = {
    "flood-50y": ("50年一遇洪水", "50-year river flood", """
        [hazards.flood]
        return_period_years = 50
        [simulation]
        duration_h = 12
    """),
    "forest-fire": ("西北林地火灾", "forest fire in the north-west woods", f"""
        [hazards.fire]
        wind_speed_m_s = 3
        [[hazards.fire.ignitions]]
        at = [{(FOREST[0] + FOREST[2]) / 2:.4f}, {(FOREST[1] + FOREST[3]) / 2:.4f}]
        [simulation]
        duration_h = 6
    """),
    "chlorine": ("夜间氯气泄漏", "chlorine leak at night", """
        [hazards.chemical]
        location = [-102.260, 21.862]
        substance = "chlorine"
        rate_kg_s = 2.0
        duration_min = 30
        wind_speed_m_s = 2.0
        wind_from_deg = 90
        stability = "F"
        time_of_day = "night"
        [simulation]
        duration_h = 6
    """),
}


def build(out: str | Path) -> Path:
    """Write the example's layers, manifest and scenarios into ``out``; returns the manifest's path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(OSM, out / "roads.osm.pbf")
    write_grid(out / "pop.tif", people, POP_CELL_DEG, pad=0.0, dtype="float32", nodata=-1.0)
    write_grid(out / "dem.tif", ground, 0.0002)
    write_grid(out / "worldcover.tif", worldcover, 0.0002, dtype="uint8")
    feature_collection(out / "river.geojson", [    # drawn upstream, in two pieces: the reader joins and turns it
        ("LineString", [[EAST, RIVER_LAT], [GAUGE[0], RIVER_LAT]], {"name": "Río"}),
        ("LineString", [[GAUGE[0], RIVER_LAT], [WEST, RIVER_LAT]], {"name": "Río"})])
    feature_collection(out / "dikes.geojson", [("LineString", [[-102.292, DIKE_LAT], [-102.248, DIKE_LAT]], {
        "id": "north-dike", "name": "North dike", "crest_m": DIKE_CREST_M, "standard_years": 20})])
    lon0, lat0, lon1, lat1 = BBOX
    feature_collection(out / "townships.geojson", [
        ("Polygon", [[[a, lat0], [b, lat0], [b, lat1], [a, lat1], [a, lat0]]], {"name": name, "kind": kind})
        for name, kind, a, b in (("Poniente", "subdistrict", lon0, MID), ("Oriente", "town", MID, lon1))])
    feature_collection(out / "facilities.geojson", [
        ("Point", list(beside_road(*near)), {"id": fid, "kind": kind, "name": name, **data})
        for fid, kind, near, name, data in FACILITIES])
    manifest = out / "district.toml"
    manifest.write_text(textwrap.dedent(MANIFEST).lstrip(), encoding="utf-8")
    for name, (zh, en, body) in SCENARIOS.items():
        text = (f'name = "{name}"\ntitle_zh = "{zh}"\ntitle_en = "{en}"\n[network]\nsource = "district.toml"\n'
                + textwrap.dedent(body).lstrip())
        (out / f"{name}.toml").write_text(text, encoding="utf-8")
    return manifest


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python examples/real-district/build.py OUT_DIR")
    print(build(sys.argv[1]))
