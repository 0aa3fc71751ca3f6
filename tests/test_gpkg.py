"""The road network as a GeoPackage: one line per road segment with its directions, nodes as
points, each layer with its CRS — read back with pyogrio as a GIS would."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely

from network.errors import InputError
from network.osm import load_osm

OSM = Path(__file__).parent / "data" / "osm" / "aguascalientes.osm.pbf"


@pytest.fixture(scope="module")
def net():
    return load_osm(OSM)


def test_two_way_roads_become_one_segment(net):
    """Counted another way: per street (its two ends, length, class), n1 edges one way and n2
    the other make max(n1, n2) segments, min(n1, n2) of them two-way."""
    from collections import Counter

    from network.gpkg import road_segments

    seg, both = road_segments(net)
    src, dst = net.edge_source, net.indices
    count = Counter()
    for e in range(net.n_edges):
        u, v = int(src[e]), int(dst[e])
        count[(min(u, v), max(u, v), round(float(net.length[e]), 2), int(net.road_class[e]), u < v)] += 1
    streets = {k[:4] for k in count}
    assert len(seg) == sum(max(count[(*k, True)], count[(*k, False)]) for k in streets)
    assert int(both.sum()) == sum(min(count[(*k, True)], count[(*k, False)]) for k in streets)
    for e in seg[both].tolist():                                       # a two-way segment has its twin
        assert ((dst == src[e]) & (src == dst[e])).any()
    assert both.any() and (~both).any()                               # the extract has both kinds


def test_gpkg_layers_read_back_with_crs_and_attributes(net, tmp_path):
    from network.gpkg import road_segments, save_gpkg

    path = save_gpkg(net, tmp_path / "roads.gpkg")
    layers = {name: gtype for name, gtype in pyogrio.list_layers(path)}
    assert layers == {"roads": "LineString", "nodes": "Point"}
    meta, _, geom, fields = pyogrio.raw.read(path, layer="roads")
    assert meta["crs"] == net.crs
    seg, both = road_segments(net)
    assert len(geom) == len(seg)
    f = dict(zip(meta["fields"], fields))
    assert sorted(set(f["directions"])) == ["both", "forward"] and (f["directions"] == "both").sum() == both.sum()
    lines = shapely.from_wkb(geom)
    # straight from end to end in UTM: never longer than the edge (OSM lengths are great-circle,
    # UTM distorts by < 0.1 % here) and most much the same (straight streets)
    chord, length = shapely.length(lines), np.asarray(net.length)[seg]
    assert np.all(chord <= length * 1.005) and np.all(chord > 0) and np.median(chord / length) > 0.99
    meta, _, geom, fields = pyogrio.raw.read(path, layer="nodes")
    f = dict(zip(meta["fields"], fields))
    assert len(geom) == net.n_nodes and np.array_equal(f["id"], np.asarray(net.node_id))
    with pytest.raises(InputError, match="folder .* does not exist"):
        save_gpkg(net, tmp_path / "nowhere" / "roads.gpkg")
    assert not list(tmp_path.glob(".roads-*"))                         # no temporary file left behind


def test_cli_exports_a_gpkg(tmp_path, capsys):
    from scenarios.cli import main

    out = tmp_path / "r.gpkg"
    assert main(["network", "export", "--format", "gpkg", "--source", str(OSM), "--out", str(out), "--json"]) == 0
    assert {n for n, _ in pyogrio.list_layers(out)} == {"roads", "nodes"}


def test_feature_layers_split_by_geometry_type_and_keep_fields(tmp_path):
    """Mixed geometry types go to one layer each (a GeoPackage layer holds one); numbers stay
    numbers, lists become JSON text, and each layer has the fields of its own features."""
    from network.gpkg import save_feature_layers

    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    feats = [{"type": "Feature", "geometry": square, "properties": {"depth": 1.5, "band": "deep"}},
             {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
              "properties": {"band": "axis", "teams": [1, 2]}}]
    pts = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [0.5, 0.5]}, "properties": {"n": 3}}]
    path = save_feature_layers({"hazard": feats, "sites": pts}, tmp_path / "run.gpkg")
    assert dict(pyogrio.list_layers(path)) == {"hazard_polygons": "MultiPolygon", "hazard_lines": "MultiLineString",
                                               "sites": "Point"}
    meta, _, geom, fields = pyogrio.raw.read(path, layer="hazard_lines")
    f = dict(zip(meta["fields"], fields))
    assert meta["crs"] == "EPSG:4326" and f["band"][0] == "axis" and f["teams"][0] == "[1, 2]"
    assert "depth" not in f                                  # each layer has the fields its features have
    meta, _, geom, fields = pyogrio.raw.read(path, layer="hazard_polygons")
    assert dict(zip(meta["fields"], fields))["depth"][0] == 1.5
    assert shapely.from_wkb(geom[0]).area == pytest.approx(1.0)
    assert not list(tmp_path.glob(".layers-*"))
