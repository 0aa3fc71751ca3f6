"""A district from real data: a manifest over a real OSM extract (Aguascalientes, MX), with a
population raster, a DEM, census units and facilities that the tests write over the extract's
real coordinates — checked, and run end to end with a chemical release."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from network.errors import InputError

if TYPE_CHECKING:
    from scenarios.core.spec import Scenario

# rasterio's from_origin still multiplies affines with "*"
pytestmark = pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning")

OSM = Path(__file__).parent / "data" / "osm" / "aguascalientes.osm.pbf"
BBOX = (-102.320, 21.850, -102.254, 21.879)          # lon0, lat0, lon1, lat1 of the extract's file
MID = -102.270                                         # the roads' largest part spans -102.283 .. -102.258
CELL_DEG = 0.002                                       # about 200 m


def write_population(path: Path, people_per_cell: float = 50.0) -> float:
    """A WGS 84 GeoTIFF of people per cell over the extract; returns the total."""
    lon0, lat0, lon1, lat1 = BBOX
    ncols = int(round((lon1 - lon0) / CELL_DEG))
    nrows = int(round((lat1 - lat0) / CELL_DEG))
    vals = np.full((nrows, ncols), people_per_cell, np.float32)
    vals[0, :3] = -1.0                                 # nodata
    with rasterio.open(path, "w", driver="GTiff", width=ncols, height=nrows, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(lon0, lat1, CELL_DEG, CELL_DEG), nodata=-1.0) as ds:
        ds.write(vals, 1)
    return float(vals[vals >= 0].sum())


def write_dem(path: Path) -> None:
    """A WGS 84 GeoTIFF (square 0.001° cells) of ground heights rising to the north: 1,880 m at
    the extract's southern edge, 100 m more per 0.03° of latitude."""
    lon0, lat0, lon1, lat1 = BBOX
    pad, step = 0.01, 0.001
    ncols = int(round((lon1 - lon0 + 2 * pad) / step))
    nrows = int(round((lat1 - lat0 + 2 * pad) / step))
    lats = (lat1 + pad) - (np.arange(nrows) + 0.5) * step           # cell centres, north row first
    vals = (1880.0 + (lats[:, None] - lat0) / 0.03 * 100.0) * np.ones((nrows, ncols))
    with rasterio.open(path, "w", driver="GTiff", width=ncols, height=nrows, count=1, dtype="float64", crs="EPSG:4326",
                       transform=from_origin(lon0 - pad, lat1 + pad, step, step)) as ds:
        ds.write(vals, 1)


def point(fid: str, kind: str, lon: float, lat: float, **props) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"id": fid, "kind": kind, "name": fid, **props}}


def _on_roads(lon: float, lat: float) -> tuple[float, float]:
    """The road node nearest (lon, lat) on the extract, moved 0.0003° north (about 33 m)."""
    from network.osm import load_osm

    if not _NODES:
        net = load_osm(OSM)
        _NODES.extend([net.lon, net.lat])
    lons, lats = _NODES
    i = int(np.argmin((lons - lon) ** 2 + (lats - lat) ** 2))
    return float(lons[i]), float(lats[i]) + 0.0003


_NODES: list = []


def write_facilities(path: Path, extra: list[dict] | None = None) -> None:
    feats = [point("school-1", "shelter", *_on_roads(-102.275, 21.865), capacity=800),
             point("plaza", "shelter", *_on_roads(-102.265, 21.870), area_m2=3000, type="square"),
             point("store", "warehouse", *_on_roads(-102.270, 21.868), water_l=20000, food_rations=5000,
                   bedding_sets=2000),
             point("bomberos", "fire_station", *_on_roads(-102.272, 21.862), teams="general:12;hazmat:6"),
             point("planta", "chemical_site", *_on_roads(-102.260, 21.862), substances="chlorine"), *(extra or [])]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")


def write_units(path: Path) -> None:
    """Two census units splitting the extract at lon -102.270."""
    lon0, lat0, lon1, lat1 = BBOX
    mid = MID

    def poly(name, a, b, pop):
        return {"type": "Feature", "properties": {"name": name, "pop": pop},
                "geometry": {"type": "Polygon", "coordinates": [[[a, lat0], [b, lat0], [b, lat1], [a, lat1], [a, lat0]]]}}

    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        poly("West", lon0, mid, 30000), poly("East", mid, lon1, 20000)]}), encoding="utf-8")


def write_manifest(root: Path, body: str) -> Path:
    p = root / "district.toml"
    p.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("manifest")
    (d / "roads.osm.pbf").write_bytes(OSM.read_bytes())
    write_population(d / "pop.tif")
    write_dem(d / "dem.tif")
    write_facilities(d / "facilities.geojson")
    write_units(d / "units.geojson")
    return d


FULL = """
    [district]
    name = "Aguascalientes centro"
    [roads]
    file = "roads.osm.pbf"
    [population]
    raster = "pop.tif"
    [terrain]
    dem = "dem.tif"
    [facilities]
    file = "facilities.geojson"
    [admin]
    units = "units.geojson"
    name_field = "name"
"""


def test_a_full_manifest_is_read_and_summarised(root):
    from network.manifest import load_manifest, summary
    from network.plan import Plan

    total = write_population(root / "pop.tif")
    md = load_manifest(write_manifest(root, FULL))
    s = summary(md)
    net = md.network
    assert (s["nodes"], s["edges"]) == (1276, net.n_edges)             # the extract's largest SCC (README)
    # every person is on the network or reported out of reach: the total is kept
    assert s["population"] + s["population_unallocated"] == pytest.approx(total, rel=1e-9)
    assert net.population.sum() == pytest.approx(s["population"], rel=1e-9)
    # the raster covers the whole file's box, the roads only its east: the rest is out of reach, and said
    assert s["population_unallocated"] > 0 and "unallocated" in s["population_note"]
    assert s["facilities"] == {"shelter": 2, "warehouse": 1, "fire_station": 1, "chemical_site": 1}
    assert 25 < s["max_snap_m"] < 40                                    # each 0.0003° north of a node
    # the DEM rises 100 m per 0.03° of latitude: node elevations follow it
    lat = net.lat
    assert np.allclose(net.elevation, 1880.0 + (lat - BBOX[1]) / 0.03 * 100.0, atol=1.0)
    assert s["zones"] == [["West", "West"], ["East", "East"]]
    west = net.zone == 0
    assert np.all(net.lon[west] < MID) and np.all(net.lon[net.zone == 1] > MID)
    assert [m.split(":")[0] for m in s["missing"]] == ["landcover", "water"]
    assert [f.split(":")[0] for f in s["fallbacks"]] == ["admin"]          # no kind_field: towns
    assert s["hazards"] == ["chemical"]
    plan = Plan.existing(md)
    assert {x.id: (x.capacity, x.kind) for x in plan.shelters} == {"school-1": (800, "school"), "plaza": (1500, "square")}
    from network.gpkg import road_segments

    assert s["road_km"] == pytest.approx(net.length[road_segments(net)[0]].sum() / 1000, abs=1e-3)
    assert net.length.sum() / 2000 < s["road_km"] < net.length.sum() / 1000        # some streets are one-way
    assert plan.warehouses[0].stock == {"water_l": 20000.0, "food_rations": 5000.0, "bedding_sets": 2000.0}
    assert [(t.type, t.people) for t in plan.team_bases[0].teams] == [("general", 12), ("hazmat", 6)]
    plan.check_against(net)


def test_census_units_instead_of_a_raster_keep_each_units_people(root):
    from network.manifest import load_manifest, summary

    md = load_manifest(write_manifest(root, FULL.replace('raster = "pop.tif"',
                                                         'polygons = "units.geojson"\n    field = "pop"')))
    net = md.network
    assert summary(md)["population"] + summary(md)["population_unallocated"] == pytest.approx(50000)
    assert net.population[net.lon < MID].sum() == pytest.approx(30000)
    assert net.population[net.lon > MID].sum() == pytest.approx(20000)


def test_a_manifest_with_roads_only_says_what_is_missing(root):
    from network.manifest import load_manifest, summary

    md = load_manifest(write_manifest(root, '[district]\nname = "roads only"\n[roads]\nfile = "roads.osm.pbf"\n'))
    s = summary(md)
    assert s["population"] == 0 and s["facilities"] == {} and s["hazards"] == ["chemical"]
    assert [m.split(":")[0] for m in s["missing"]] == ["admin", "population", "terrain", "water", "facilities"]


def test_check_cli_prints_the_summary_as_json(root, capsys):
    from scenarios.cli import main

    path = write_manifest(root, FULL)
    assert main(["district", "check", str(path), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["nodes"] == 1276 and s["facilities"]["shelter"] == 2


@pytest.mark.parametrize("change, message", [
    (('file = "roads.osm.pbf"', 'file = "nowhere.pbf"'), r"roads.file: file not found"),
    (('raster = "pop.tif"', 'raster = "pop.tif"\n    polygons = "units.geojson"'), r"exactly one of raster or polygons"),
    (('name_field = "name"', 'name_field = "nom"'), r"nom"),
])
def test_bad_manifests_get_one_line_naming_file_and_field(root, change, message):
    from network.manifest import load_manifest

    path = write_manifest(root, FULL.replace(*change))
    with pytest.raises(InputError, match=message) as exc:
        load_manifest(path)
    msg = str(exc.value)
    assert "\n" not in msg and ("district.toml" in msg or "units.geojson" in msg)


def test_a_facility_far_from_any_road_is_refused(root, tmp_path):
    from network.manifest import load_manifest

    for f in ("roads.osm.pbf", "pop.tif", "dem.tif", "units.geojson"):
        (tmp_path / f).write_bytes((root / f).read_bytes())
    write_facilities(tmp_path / "facilities.geojson", [point("far-away", "shelter", -102.0, 21.6, capacity=10)])
    with pytest.raises(InputError, match=r"facilities.geojson: feature 5 \(far-away\): .* km from the nearest road node"):
        load_manifest(write_manifest(tmp_path, FULL))


def test_a_bad_dem_is_placed_at_its_field_in_manifest_and_scenario(root, tmp_path, capsys):
    """A DEM that does not read is named with the field that gave it: the manifest's terrain.dem,
    and, for a scenario on that manifest, the scenario's network.source before it; a bare road
    file's DEM at network.dem, with the grid's own line."""
    from network.manifest import load_manifest
    from tests.cli_checks import one_line_exit_2

    for f in ("roads.osm.pbf", "pop.tif", "facilities.geojson", "units.geojson"):
        (tmp_path / f).write_bytes((root / f).read_bytes())
    (tmp_path / "dem.tif").write_bytes(b"not a GeoTIFF at all")
    manifest = write_manifest(tmp_path, FULL)
    with pytest.raises(InputError, match=r"district.toml: terrain.dem: .*dem.tif") as exc:
        load_manifest(manifest)
    assert "\n" not in str(exc.value) and str(exc.value).count("terrain.dem") == 1
    chlorine_scenario(tmp_path, "on-manifest")
    one_line_exit_2(capsys, ["run", str(tmp_path / "on-manifest.toml"), "--out", str(tmp_path / "o1")],
                    "on-manifest.toml:6: network.source: ", "district.toml: terrain.dem: ")
    (tmp_path / "bad.asc").write_text("ncols 2\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize inf\n1 2\n")
    text = (tmp_path / "on-manifest.toml").read_text(encoding="utf-8")
    (tmp_path / "on-osm.toml").write_text(text.replace('source = "district.toml"',
                                                       'source = "roads.osm.pbf"\ndem = "bad.asc"'), encoding="utf-8")
    one_line_exit_2(capsys, ["run", str(tmp_path / "on-osm.toml"), "--out", str(tmp_path / "o2")],
                    "on-osm.toml:7: network.dem: ", "bad.asc: line 5: cellsize must be finite")
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o2").exists()


def chlorine_scenario(root: Path, name: str, *, extra: str = "", hours: float = 6) -> "Scenario":
    """A night-time chlorine leak at the extract's plant on the manifest ``district.toml``."""
    from scenarios.core.spec import parse_scenario

    text = textwrap.dedent(f"""
        name = "{name}"
        title_zh = "氯气泄漏"
        title_en = "chlorine leak at the plant"
        [network]
        source = "district.toml"
        [hazards.chemical]
        location = [-102.260, 21.862]
        substance = "chlorine"
        rate_kg_s = 2.0
        duration_min = 30
        wind_speed_m_s = 2.0
        wind_from_deg = 90
        stability = "F"
        time_of_day = "night"
        protective_action = "evacuate"
        [simulation]
        duration_h = {hours}
        step_s = 300
    """) + textwrap.dedent(extra)
    (root / f"{name}.toml").write_text(text, encoding="utf-8")
    return parse_scenario(text, str(root / f"{name}.toml"), base_dir=root)


def test_a_chemical_release_runs_on_the_manifest_with_its_facilities(root):
    from scenarios.core.runner import run_scenario

    write_manifest(root, FULL)
    sc = chlorine_scenario(root, "planta-chlorine")
    run = run_scenario(sc)
    k = run.result.kpis
    assert run.plan_label == "existing"
    assert {s.id for s in run.plan.shelters} == {"school-1", "plaza"}
    assert k["relief_time"]["affected_people"] > 0                    # people from the raster, reached by the gas
    assert k["warning_coverage"] is not None
    assert not any("no population" in n for n in run.notes)


def test_a_network_without_people_says_so_in_every_run(root):
    from scenarios.core.runner import run_scenario
    from scenarios.core.spec import parse_scenario

    text = textwrap.dedent("""
        name = "bare-osm"
        title_zh = "无人口路网"
        title_en = "roads without people"
        [network]
        source = "roads.osm.pbf"
        [hazards.chemical]
        location = [-102.260, 21.862]
        substance = "chlorine"
        rate_kg_s = 2.0
        duration_min = 30
        wind_from_deg = 90
        [plan]
        kind = "file"
        file = "empty-plan.json"
        [simulation]
        duration_h = 2
    """)
    (root / "empty-plan.json").write_text(json.dumps({"name": "empty"}), encoding="utf-8")
    run = run_scenario(parse_scenario(text, str(root / "s.toml"), base_dir=root))
    assert any("carries no population" in n for n in run.notes)
    assert all(r["pass"] is None for r in run.kpis)                    # nothing measured is never a pass
    notes = {r["indicator"]: r["note"] for r in run.kpis}
    assert notes["relief_within_target"] == "not applicable: the network carries no population, so nobody can be affected"
    assert notes["forest_fire_damage_permille"] == "not applicable: no forest fire in this run"


def test_batch_and_compare_run_on_the_manifest(root, tmp_path):
    """Batch workers and compare load a manifest like the runner does (not as a district model)."""
    from scenarios.batch.runs import _district_for
    from scenarios.core.api import compare

    write_manifest(root, FULL)
    sc = chlorine_scenario(root, "planta", hours=3, extra="""
        [uncertain."hazards.chemical.rate_kg_s"]
        dist = "uniform"
        low = 1.0
        high = 3.0
    """)
    district = _district_for(sc)
    net = district.network
    assert net.meta["manifest"].endswith("district.toml") and net.population.sum() > 0
    assert _district_for(sc) is district                                 # loaded once per worker
    runs = compare([str(root / "planta.toml")], plans=["existing", "existing"])
    assert len(runs) == 2 and runs[0].result.kpis == runs[1].result.kpis


def test_plan_files_name_sites_by_id_or_by_lon_lat(root):
    from network.manifest import load_manifest
    from scenarios.core.plans import build_plan

    write_manifest(root, FULL)
    md = load_manifest(root / "district.toml")
    nodes = {s.id: s.node for s in md.inputs.sites}
    lon, lat = _on_roads(-102.262, 21.874)
    lat -= 0.0003                                                              # right on the node
    plan_file = root / "by-name.json"
    plan_file.write_text(json.dumps({"name": "by name", "shelters": [
        {"id": "school-1", "capacity": 1200},                                   # a site the manifest knows
        {"id": "new-gym", "lon": lon, "lat": lat, "capacity": 400}],           # a new one, by place
        "warehouses": [{"id": "store", "stock": {"water_l": 5000}}]}), encoding="utf-8")
    sc = chlorine_scenario(root, "by-name", extra=f"""
        [plan]
        kind = "file"
        file = "{plan_file.name}"
    """)
    net = md.network
    plan, label = build_plan(sc, _network(sc))
    assert label == plan_file.name
    shelters = {s.id: s for s in plan.shelters}
    assert shelters["school-1"].node == nodes["school-1"] and shelters["school-1"].capacity == 1200
    assert shelters["school-1"].name_en == "school-1"
    i = shelters["new-gym"].node
    assert abs(net.lon[i] - lon) < 1e-9 and abs(net.lat[i] - lat) < 1e-9      # snapped to that node
    assert plan.warehouses[0].node == nodes["store"]
    bad = root / "bad-plan.json"
    for entry, message in (({"id": "nowhere", "capacity": 5}, r"shelters.0 \(nowhere\): give node, lon and lat, or "
                                                               r"the id of a site the district knows \(bomberos"),
                           ({"id": "far", "lon": -102.0, "lat": 21.6, "capacity": 5}, r"shelters.0 \(far\): .* km from")):
        bad.write_text(json.dumps({"name": "bad", "shelters": [entry]}), encoding="utf-8")
        with pytest.raises(InputError, match=message):
            build_plan(sc.with_overrides({"plan.file": bad.name}), _network(sc))


def _network(sc):
    from scenarios.core.inputs import load_scenario_network

    return load_scenario_network(sc)


def test_map_draws_the_people_and_every_facility(root, tmp_path, capsys):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from network.basemap import draw_district
    from network.manifest import load_manifest
    from scenarios.cli import main

    md = load_manifest(write_manifest(root, FULL))
    ax = Figure().add_subplot()
    drawn = draw_district(ax, md, lang="en")
    assert drawn == {"people_nodes": int((md.network.population > 0).sum()), "sites": 5}
    labels = {h.get_label() for h in ax.get_legend_handles_labels()[0]}
    assert {"shelter (existing)", "relief warehouse", "fire and rescue station", "hazardous-chemical site",
            "people (road nodes)"} <= labels
    for suffix in ("png", "svg"):
        out = tmp_path / f"m.{suffix}"
        assert main(["district", "map", str(root / "district.toml"), "--out", str(out), "--lang", "en", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["files"] == [str(out)] and out.stat().st_size > 10_000
    folder = tmp_path / "maps"                                                # the issue's `--out DIR`
    assert main(["district", "map", str(root / "district.toml"), "--out", str(folder), "--json"]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert files == [str(folder / "district_map.png"), str(folder / "district_map.svg")]
    assert all(Path(f).stat().st_size > 10_000 for f in files)
