"""GraphML (OSMnx's shape) in and out, and GeoJSON export."""
from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from network.errors import InputError
from network.graphml import load_graphml, save_geojson, save_graphml
from network.osm import load_osm
from network.roadclass import RoadClass

DATA = Path(__file__).resolve().parent / "data" / "osm"
WEST_OAKLAND = DATA / "west-oakland_drive_osmnx.graphml"
HELSINKI = DATA / "helsinki-crop_drive_osmnx.graphml"


@pytest.fixture(scope="module")
def aguascalientes():
    return load_osm(DATA / "aguascalientes.osm.pbf")


def by_id(net):
    """Node fields keyed by id, and edges as sorted tuples of ids and values."""
    order = np.argsort(net.node_id)
    nodes = {k: getattr(net, k)[order] for k in ("node_id", "lon", "lat", "x", "y", "elevation", "population", "zone")}
    ids = net.node_id
    edges = sorted(
        zip(ids[net.edge_source].tolist(), ids[net.indices].tolist(), net.length.tolist(), net.speed_kmh.tolist(),
            net.road_class.tolist(), net.min_elevation.tolist())
    )
    return nodes, edges


# ----------------------------------------------------------------------------- reading OSMnx files
def test_reads_osmnx_west_oakland():
    net = load_graphml(WEST_OAKLAND)
    # numbers computed by osmnx/networkx when the file was written (tests/data/osm/README.md)
    assert (net.n_nodes, net.n_edges, net.dropped_nodes) == (22, 51, 4)
    assert net.length.sum() / 1000 == pytest.approx(10.961980, abs=1e-6)
    assert net.travel_times().sum() == pytest.approx(986.578160, abs=1e-5)
    assert net.crs == "EPSG:32610"
    assert set(net.road_class.tolist()) <= {RoadClass.LOCAL, RoadClass.TERTIARY, RoadClass.SECONDARY,
                                            RoadClass.PRIMARY, RoadClass.TRUNK, RoadClass.MOTORWAY}
    # simplified-graph nodes are OSM nodes of the unsimplified drive graph
    full = load_osm(DATA / "West-Oakland.osm.bz2", keep="wcc")
    assert set(net.node_id.tolist()) <= set(full.node_id.tolist())
    assert net.meta["graph_nodes"] == 26 and net.meta["graph_edges"] == 55


def test_reads_osmnx_lists_and_speeds():
    net = load_graphml(HELSINKI)
    assert (net.n_nodes, net.n_edges, net.dropped_nodes) == (10, 20, 2)
    assert net.length.sum() / 1000 == pytest.approx(2.232890, abs=1e-6)
    assert net.travel_times().sum() == pytest.approx(241.977313, abs=1e-5)
    assert net.crs == "EPSG:32635"


def test_maxspeed_lists_used_when_speed_kph_is_missing(tmp_path):
    text = HELSINKI.read_text(encoding="utf-8")
    key = text.split('attr.name="speed_kph"')[0].rsplit('<key id="', 1)[1].split('"')[0]
    stripped = "\n".join(line for line in text.splitlines() if f'key="{key}"' not in line)
    assert "['40', '30']" in stripped
    path = tmp_path / "no_speed.graphml"
    path.write_text(stripped, encoding="utf-8")
    net = load_graphml(path)
    # maxspeed is 30, 40 or a list of both (mean 35) on every edge of this crop
    assert set(np.unique(net.speed_kmh).tolist()) <= {30.0, 35.0, 40.0}
    assert 35.0 in net.speed_kmh


def test_highway_list_takes_first_value(tmp_path):
    text = WEST_OAKLAND.read_text(encoding="utf-8")
    text = text.replace(">residential<", ">['tertiary', 'residential']<", 1)
    path = tmp_path / "list.graphml"
    path.write_text(text, encoding="utf-8")
    net = load_graphml(path, keep="wcc")
    assert RoadClass.TERTIARY in net.road_class


def test_elevation_and_projected_osmnx_graph(tmp_path):
    """A graph projected with osmnx.project_graph: x/y in metres, lon/lat kept, elevation set."""
    g = nx.read_graphml(WEST_OAKLAND, force_multigraph=True)
    for i, (_, d) in enumerate(g.nodes(data=True)):
        d["lon"], d["lat"] = d["x"], d["y"]
        d["x"], d["y"] = str(560000.0 + i), str(4180000.0 + i)  # any metres: lon/lat win
        d["elevation"] = str(10.0 + i)
    g.graph["crs"] = "EPSG:32610"
    path = tmp_path / "projected.graphml"
    nx.write_graphml(g, path)
    net = load_graphml(path)
    ref = load_graphml(WEST_OAKLAND)
    assert np.array_equal(np.sort(net.node_id), np.sort(ref.node_id))
    assert np.allclose(np.sort(net.lon), np.sort(ref.lon))
    assert net.elevation.min() >= 10.0
    assert np.all(net.min_elevation <= net.elevation[net.edge_source])


def test_undirected_graphml_gives_two_way_roads(tmp_path):
    g = nx.Graph()
    g.add_node(1, x="117.20", y="29.30")
    g.add_node(2, x="117.21", y="29.30")
    g.add_node(3, x="117.21", y="29.31")
    g.add_edge(1, 2, highway="primary")
    g.add_edge(2, 3, highway="residential", maxspeed="40")
    path = tmp_path / "undirected.graphml"
    nx.write_graphml(g, path)
    net = load_graphml(path)
    assert (net.n_nodes, net.n_edges) == (3, 4)
    assert net.crs == "EPSG:32650"
    assert sorted(net.speed_kmh.tolist()) == [40.0, 40.0, 60.0, 60.0]  # maxspeed, then primary's default
    assert net.length.min() > 900  # great-circle length filled in


# ----------------------------------------------------------------------------- writing
def test_round_trip_equals(tmp_path, aguascalientes):
    net = aguascalientes
    rng = np.random.default_rng(1)
    net = net.with_node_values(
        population=rng.integers(0, 500, net.n_nodes).astype(float),
        elevation=rng.random(net.n_nodes) * 300,
        min_elevation=rng.random(net.n_edges) * 100,
        zone=rng.integers(0, 2, net.n_nodes),
    )
    net = replace(net, name='Aguascalientes <"&"> 测试', zone_names=(("西区", "West"), ("东区", "East")))
    path = save_graphml(net, tmp_path / "net.graphml")
    back = load_graphml(path)
    a_nodes, a_edges = by_id(net)
    b_nodes, b_edges = by_id(back)
    for k in ("node_id", "lon", "lat", "elevation", "population", "zone"):
        assert np.array_equal(a_nodes[k], b_nodes[k]), k
    assert np.allclose(a_nodes["x"], b_nodes["x"], rtol=0, atol=1e-6)
    assert np.allclose(a_nodes["y"], b_nodes["y"], rtol=0, atol=1e-6)
    assert a_edges == b_edges
    assert (back.crs, back.name, back.zone_names, back.dropped_nodes) == (
        net.crs, net.name, net.zone_names, net.dropped_nodes
    )


def test_saved_file_has_osmnx_shape(tmp_path, aguascalientes):
    path = save_graphml(aguascalientes, tmp_path / "ags.graphml")
    text = path.read_text(encoding="utf-8")
    assert 'attr.type="string"' in text and 'attr.type="double"' not in text  # OSMnx stringifies all
    g = nx.read_graphml(path, force_multigraph=True)
    assert isinstance(g, nx.MultiDiGraph)
    assert g.graph["crs"] == "epsg:4326" and g.graph["simplified"] == "False"
    assert g.number_of_nodes() == aguascalientes.n_nodes
    assert g.number_of_edges() == aguascalientes.n_edges
    node = next(iter(g.nodes(data=True)))[1]
    assert {"x", "y", "street_count", "elevation"} <= node.keys()
    assert -103 < float(node["x"]) < -102 and 21 < float(node["y"]) < 22
    for u, v, d in g.edges(data=True):
        assert {"length", "speed_kph", "travel_time", "highway", "oneway"} <= d.keys()
        assert float(d["travel_time"]) == pytest.approx(float(d["length"]) / (float(d["speed_kph"]) / 3.6))
        assert d["oneway"] == str(not g.has_edge(v, u))
    assert all(int(c) >= 1 for _, c in g.nodes(data="street_count"))


def test_osmnx_reads_saved_file(tmp_path, aguascalientes):
    ox = pytest.importorskip("osmnx", reason="osmnx is not a dependency; this check runs where it is installed")
    path = save_graphml(aguascalientes, tmp_path / "ags.graphml")
    g = ox.load_graphml(path)
    nodes, edges = ox.graph_to_gdfs(g)
    assert len(nodes) == aguascalientes.n_nodes and len(edges) == aguascalientes.n_edges


# ----------------------------------------------------------------------------- GeoJSON
def test_geojson_is_valid_lonlat(tmp_path, aguascalientes):
    net = replace(aguascalientes.with_node_values(zone=np.zeros(aguascalientes.n_nodes)),
                  zone_names=(("昌江区", "Changjiang"),))
    path = save_geojson(net, tmp_path / "ags.geojson")

    def no_nan(token):
        raise AssertionError(f"non-JSON number {token} in GeoJSON")

    doc = json.loads(path.read_text(encoding="utf-8"), parse_constant=no_nan)
    assert doc["type"] == "FeatureCollection"
    feats = doc["features"]
    edges = [f for f in feats if f["properties"]["kind"] == "edge"]
    nodes = [f for f in feats if f["properties"]["kind"] == "node"]
    assert (len(edges), len(nodes)) == (net.n_edges, net.n_nodes)
    for f in feats:
        assert f["type"] == "Feature"
        g = f["geometry"]
        coords = g["coordinates"] if g["type"] == "LineString" else [g["coordinates"]]
        for lon, lat in coords:
            assert -180 <= lon <= 180 and -90 <= lat <= 90
            assert -102.33 < lon < -102.24 and 21.84 < lat < 21.89  # lon first (RFC 7946)
    e = edges[0]
    assert e["geometry"]["type"] == "LineString" and len(e["geometry"]["coordinates"]) == 2
    assert {"u", "v", "length_m", "speed_kmh", "road_class", "name_zh", "name_en"} <= e["properties"].keys()
    assert e["properties"]["name_zh"] == RoadClass(e["properties"]["road_class"]).name_zh
    ids = set(net.node_id.tolist())
    assert all(f["properties"]["u"] in ids and f["properties"]["v"] in ids for f in edges)
    n = nodes[0]
    assert n["geometry"]["type"] == "Point"
    assert {"population", "elevation", "zone"} <= n["properties"].keys()
    assert n["properties"]["zone_zh"] == "昌江区"
    total = sum(f["properties"]["length_m"] for f in edges)
    assert total == pytest.approx(net.length.sum(), abs=0.005 * net.n_edges)  # rounded to cm


def test_geojson_writes_null_for_unknown_elevation(tmp_path, aguascalientes):
    elev = np.full(aguascalientes.n_nodes, np.nan)
    net = aguascalientes.with_node_values(elevation=elev)
    doc = json.loads(save_geojson(net, tmp_path / "nan.geojson").read_text(encoding="utf-8"))
    node = next(f for f in doc["features"] if f["properties"]["kind"] == "node")
    assert node["properties"]["elevation"] is None


# ----------------------------------------------------------------------------- bad input
def assert_input_error(path, *fragments, **kwargs):
    with pytest.raises(InputError) as info:
        load_graphml(path, **kwargs)
    msg = str(info.value)
    for fragment in fragments:
        assert fragment in msg, msg
    return msg


def test_missing_file(tmp_path):
    path = tmp_path / "missing.graphml"
    assert_input_error(path, str(path), "not found")


def test_wrong_extension(tmp_path):
    path = tmp_path / "net.json"
    path.write_text("{}")
    assert_input_error(path, str(path), "extension")


def test_truncated_graphml(tmp_path):
    data = WEST_OAKLAND.read_bytes()
    path = tmp_path / "half.graphml"
    path.write_bytes(data[: len(data) // 2])
    assert_input_error(path, str(path), "truncated")


@pytest.mark.parametrize(
    "content",
    [b"\x00\x01\x02 binary", b"not xml", b"", (DATA / "planet_10.068_48.135_10.071_48.137.osm").read_bytes()],
    ids=["binary", "text", "empty", "osm-xml"],
)
def test_corrupt_graphml(tmp_path, content):
    path = tmp_path / "bad.graphml"
    path.write_bytes(content)
    assert_input_error(path, str(path), "GraphML")


def graphml_of(tmp_path, g, name="g.graphml"):
    path = tmp_path / name
    nx.write_graphml(g, path)
    return path


def test_graph_without_nodes_or_edges(tmp_path):
    assert_input_error(graphml_of(tmp_path, nx.MultiDiGraph(), "empty.graphml"), "no nodes")
    g = nx.MultiDiGraph()
    g.add_node(1, x="117.2", y="29.3")
    assert_input_error(graphml_of(tmp_path, g, "lonely.graphml"), "no edges")


def test_node_without_coordinates(tmp_path):
    g = nx.MultiDiGraph()
    g.add_node(1, x="117.2", y="29.3")
    g.add_node(2, x="117.3")
    g.add_edge(1, 2)
    assert_input_error(graphml_of(tmp_path, g), "node 2", "x/y")


def test_metres_without_crs(tmp_path):
    g = nx.MultiDiGraph()
    g.add_node(1, x="560000", y="4180000")
    g.add_node(2, x="560100", y="4180000")
    g.add_edge(1, 2)
    g.add_edge(2, 1)
    assert_input_error(graphml_of(tmp_path, g), "lon/lat")


def test_bad_crs(tmp_path):
    g = nx.MultiDiGraph(crs="EPSG:not-a-code")
    g.add_node(1, x="117.2", y="29.3")
    g.add_node(2, x="117.3", y="29.3")
    g.add_edge(1, 2)
    assert_input_error(graphml_of(tmp_path, g), "crs")


def test_one_way_only_graph_needs_wcc(tmp_path):
    g = nx.MultiDiGraph()
    g.add_node(1, x="117.2", y="29.3")
    g.add_node(2, x="117.3", y="29.3")
    g.add_edge(1, 2)
    path = graphml_of(tmp_path, g)
    assert_input_error(path, "keep='wcc'")
    assert load_graphml(path, keep="wcc").n_edges == 1


def test_save_into_missing_folder(tmp_path, aguascalientes):
    with pytest.raises(InputError, match="does not exist"):
        save_graphml(aguascalientes, tmp_path / "no" / "such" / "net.graphml")
    with pytest.raises(InputError, match="does not exist"):
        save_geojson(aguascalientes, tmp_path / "no" / "net.geojson")


def test_no_nan_in_saved_graphml_for_finite_network(tmp_path, aguascalientes):
    text = save_graphml(aguascalientes, tmp_path / "a.graphml").read_text(encoding="utf-8")
    assert ">nan<" not in text and ">inf<" not in text
    assert not math.isnan(load_graphml(tmp_path / "a.graphml").length.sum())
