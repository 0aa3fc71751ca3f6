"""Issue 19's hostile data files: OR-Library, CVRPLIB, ESRI ASCII grids, OSM and GraphML.

Each reproducer is now an :class:`InputError` whose one line names the file and the field, raised
before anything is sized by a header, and the CLI prints it and exits 2.
"""
from __future__ import annotations

import bz2
import gzip
import tracemalloc
from pathlib import Path

import networkx as nx
import pytest

from network import osm, raster
from network.errors import InputError
from network.graphml import load_graphml
from network.osm import load_osm
from network.raster import read_asc
from optimize import orlib
from optimize.cvrplib import read_vrp
from optimize.orlib import read_cap, read_pmed, read_pmedcap

from .cli_checks import one_line_exit_2

OSM_DATA = Path(__file__).resolve().parent / "data" / "osm"


def refused(reader, path: Path, *needles: str, max_mib: float = 20.0, **kwargs) -> str:
    """The reader's InputError message (one line, naming the file and each needle); it must not
    have allocated more than ``max_mib`` on the way."""
    tracemalloc.start()
    try:
        with pytest.raises(InputError) as e:
            reader(path, **kwargs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    msg = str(e.value)
    assert str(path) in msg and "\n" not in msg, msg
    for n in needles:
        assert n in msg, msg
    assert peak < max_mib * 2**20, f"{peak / 2**20:.0f} MiB allocated before refusing"
    return msg


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="ascii")
    return p


# ---------------------------------------------------------------------------- OR-Library
def test_pmed_vertex_count_is_limited_before_allocating(tmp_path):
    p = write(tmp_path, "pmed_big.txt", "1000000000 1 1\n1 2 3\n")
    refused(read_pmed, p, "pmed_big.txt:1:", "n=1000000000 vertices", f"{orlib.MAX_NODES:,}")


def test_pmed_limit_is_the_module_constant(tmp_path, monkeypatch):
    p = write(tmp_path, "pmed3.txt", "3 1 1\n1 2 3\n")
    assert read_pmed(p).n == 3
    monkeypatch.setattr(orlib, "MAX_NODES", 2)
    refused(read_pmed, p, "n=3 vertices")


def test_pmedcap_node_count_is_checked_against_the_lines(tmp_path, monkeypatch):
    p = write(tmp_path, "pmedcap_big.txt", "1 100\n1000000000 1 1\n")
    refused(read_pmedcap, p, "header says n=1000000000 nodes but 0 node lines follow")
    q = write(tmp_path, "pmedcap3.txt", "1 10\n3 1 5\n1 0 0 1\n2 1 1 1\n3 2 2 1\n")
    assert read_pmedcap(q).n == 3
    monkeypatch.setattr(orlib, "MAX_NODES", 2)
    refused(read_pmedcap, q, "pmedcap3.txt:2:", "n=3 nodes")


def test_cap_header_is_checked_against_the_numbers_present(tmp_path):
    p = write(tmp_path, "cap_big.txt", "1000000000 1 1\n")
    refused(read_cap, p, "cap_big.txt:1:", "file ends early, expected fixed cost of site 1",
            "m=1000000000 sites and n=1 customers", "3,000,000,001 numbers")
    q = write(tmp_path, "cap_wide.txt", "1 1000000000\n10 5\n3\n1.0\n")
    refused(read_cap, q, "m=1 sites and n=1000000000 customers", "file ends early, expected demand of customer 2")
    r = write(tmp_path, "cap_long.txt", "1 1\n10 5\n3\n1.0\n7 8\n")
    refused(read_cap, r, "cap_long.txt:5:", "unexpected data after the last customer ('7'")


# ---------------------------------------------------------------------------- CVRPLIB
VRP = """NAME : hostile-n3-k1
TYPE : CVRP
DIMENSION : 3
EDGE_WEIGHT_TYPE : EUC_2D
CAPACITY : 10
NODE_COORD_SECTION
1 0 0
2 1 1
3 2 2
DEMAND_SECTION
1 0
2 5
3 5
DEPOT_SECTION
1
-1
EOF
"""


def vrp(tmp_path: Path, *changes: tuple[str, str], name: str = "bad.vrp") -> Path:
    text = VRP
    for old, new in changes:
        assert old in text
        text = text.replace(old, new, 1)
    return write(tmp_path, name, text)


def test_the_valid_vrp_reads(tmp_path):
    inst = read_vrp(vrp(tmp_path, name="ok.vrp"))
    assert inst.dimension == 3 and inst.capacity == 10


@pytest.mark.parametrize("changes, needles", [
    ([("DIMENSION : 3", "DIMENSION : 1000000000")], ["bad.vrp:3: DIMENSION", "1000000000 nodes is more than"]),
    ([("DIMENSION : 3", "DIMENSION : 5000")], ["bad.vrp:3: DIMENSION", "only 17 non-blank lines"]),
    ([("DIMENSION : 3", "DIMENSION : 1"), ("2 1 1\n3 2 2\n", ""), ("2 5\n3 5\n", "")],
     ["bad.vrp:3: DIMENSION", "at least 2 (the depot and one customer), got 1"]),
    ([("2 1 1\n", "2 4e18 1\n")], ["bad.vrp:8: NODE_COORD_SECTION", "node 2 x = 4e18 is not within"]),
    ([("3 2 2\n", "3 2 -1e10\n")], ["bad.vrp:9: NODE_COORD_SECTION", "node 3 y = -1e10"]),
    ([("CAPACITY : 10", "CAPACITY : 4")],
     ["bad.vrp:12: DEMAND_SECTION", "node 2 has demand 5, more than the vehicle CAPACITY 4", "no vehicle can serve it"]),
    ([("CAPACITY : 10", "CAPACITY : 1e30")], ["bad.vrp:5: CAPACITY", "got 1e30"]),
    ([("3 5\n", "3 1e30\n")], ["bad.vrp:13: DEMAND_SECTION", "node 3 has demand 1e30"]),
])
def test_hostile_vrp_is_one_line_naming_file_line_field(tmp_path, changes, needles):
    refused(read_vrp, vrp(tmp_path, *changes), *needles)


def test_explicit_weights_are_bounded(tmp_path):
    p = write(tmp_path, "w.vrp", "NAME : w\nTYPE : CVRP\nDIMENSION : 3\nEDGE_WEIGHT_TYPE : EXPLICIT\n"
                                 "EDGE_WEIGHT_FORMAT : LOWER_ROW\nCAPACITY : 5\nEDGE_WEIGHT_SECTION\n7\n8 1e300\n"
                                 "DEMAND_SECTION\n1 0\n2 1\n3 1\nDEPOT_SECTION\n1\n-1\nEOF\n")
    refused(read_vrp, p, "w.vrp:9: EDGE_WEIGHT_SECTION", "edge weight = 1e300")


def test_cvrp_cli_refuses_with_exit_2(tmp_path, capsys):
    low = vrp(tmp_path, ("CAPACITY : 10", "CAPACITY : 4"), name="low.vrp")
    one_line_exit_2(capsys, ["optimize", "cvrp", str(low), "--json"], str(low), "node 2 has demand 5")
    one = vrp(tmp_path, ("DIMENSION : 3", "DIMENSION : 1"), ("2 1 1\n3 2 2\n", ""), ("2 5\n3 5\n", ""), name="one.vrp")
    one_line_exit_2(capsys, ["optimize", "cvrp", str(one)], str(one), "DIMENSION")
    far = vrp(tmp_path, ("2 1 1\n", "2 4e18 1\n"), name="far.vrp")
    one_line_exit_2(capsys, ["optimize", "cvrp", str(far)], "far.vrp:8: NODE_COORD_SECTION")


def test_a_model_error_names_the_file(tmp_path, capsys):
    # no customer has demand and the name gives no fleet: the routing model needs no vehicle
    p = vrp(tmp_path, ("NAME : hostile-n3-k1", "NAME : nofleet"), ("2 5\n3 5\n", "2 0\n3 0\n"), name="zero.vrp")
    one_line_exit_2(capsys, ["optimize", "cvrp", str(p), "--time-limit", "1"], str(p), "vehicle")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-3"])
@pytest.mark.parametrize("command", [["optimize", "cvrp"], ["optimize", "orlib", "pmedian"], ["optimize", "pmedcap"]])
def test_time_limit_must_be_positive_and_finite(tmp_path, capsys, value, command):
    p = vrp(tmp_path, name="ok.vrp")
    one_line_exit_2(capsys, [*command, str(p), "--time-limit", value], "--time-limit", "positive, finite")


# ---------------------------------------------------------------------------- ESRI ASCII grids
ASC = "ncols 2\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 1\nNODATA_value -9999\n1 2\n"


@pytest.mark.parametrize("line, needles", [
    ("ncols inf", ["line 1: ncols must be finite, found 'inf'"]),
    ("ncols nan", ["line 1: ncols must be finite, found 'nan'"]),
    ("ncols 10.9", ["line 1: ncols must be a whole number from 1 to 50,000,000, found '10.9'"]),
    ("ncols 1e300", ["line 1: ncols must be a whole number"]),
    ("ncols 0", ["line 1: ncols must be a whole number"]),
    ("nrows -2", ["line 2: nrows must be a whole number"]),
    ("xllcorner nan", ["line 3: xllcorner must be finite, found 'nan'"]),
    ("yllcorner 1e300", ["line 4: yllcorner must lie within"]),
    ("cellsize inf", ["line 5: cellsize must be finite, found 'inf'"]),
    ("cellsize 0", ["cellsize must be positive"]),
    ("NODATA_value inf", ["line 6: NODATA_value must be finite"]),
])
def test_hostile_asc_header(tmp_path, line, needles):
    key = line.split()[0]
    text = "\n".join(line if ln.split()[0] == key else ln for ln in ASC.splitlines()) + "\n"
    refused(read_asc, write(tmp_path, "bad.asc", text), *needles)


def test_asc_nodata_nan_is_fair_and_the_plain_grid_reads(tmp_path):
    r = read_asc(write(tmp_path, "ok.asc", ASC.replace("-9999", "nan")))
    assert r.shape == (1, 2) and r.values.tolist() == [[1.0, 2.0]]


def test_asc_declared_cells_are_limited_and_counted_before_allocating(tmp_path, monkeypatch):
    big = ASC.replace("ncols 2", "ncols 40000000").replace("nrows 1", "nrows 40000000")
    refused(read_asc, write(tmp_path, "huge.asc", big), "40000000 x 40000000", "more than this reader takes")
    refused(read_asc, write(tmp_path, "short.asc", ASC.replace("nrows 1", "nrows 3")), "expected 3 x 2 = 6 values, found 2")
    monkeypatch.setattr(raster, "MAX_CELLS", 1)
    refused(read_asc, write(tmp_path, "two.asc", ASC), "ncols must be a whole number from 1 to 1")


# ---------------------------------------------------------------------------- OSM
BAD_NODE = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <node id="7" lat="48.1" lon="10.0"/>
 <node id="8" lat="abc" lon="10.001"/>
 <way id="10"><nd ref="7"/><nd ref="8"/><tag k="highway" v="residential"/></way>
</osm>
"""


@pytest.mark.parametrize("name", ["bad.osm", "bad.osm.bz2", "bad.osm.gz"])
def test_osm_bad_coordinate_names_file_and_node(tmp_path, name):
    data = BAD_NODE.encode()
    data = bz2.compress(data) if name.endswith(".bz2") else gzip.compress(data) if name.endswith(".gz") else data
    p = tmp_path / name
    p.write_bytes(data)
    refused(load_osm, p, "node 8", "invalid node coordinate", "abc")


def test_osm_bad_coordinate_through_the_cli(tmp_path, capsys):
    p = write(tmp_path, "bad.osm", BAD_NODE)
    one_line_exit_2(capsys, ["network", "info", "--source", str(p)], str(p), "node 8")


def bomb(path: Path, mib: int, prefix: bytes = b'<?xml version="1.0"?>\n<osm version="0.6">\n',
         suffix: bytes = b"</osm>\n") -> Path:
    """A small compressed file that inflates to ``mib`` MiB of spaces inside the document."""
    c = bz2.BZ2Compressor(9) if path.name.endswith(".bz2") else None
    block = b" " * 2**20
    if c is not None:
        parts = [c.compress(prefix), *(c.compress(block) for _ in range(mib)), c.compress(suffix), c.flush()]
        path.write_bytes(b"".join(parts))
    else:
        with gzip.open(path, "wb", compresslevel=9) as fh:
            fh.write(prefix)
            for _ in range(mib):
                fh.write(block)
            fh.write(suffix)
    return path


@pytest.mark.parametrize("name", ["bomb.osm.bz2", "bomb.osm.gz"])
def test_osm_decompression_bomb_is_refused(tmp_path, monkeypatch, name):
    monkeypatch.setattr(osm, "MAX_INFLATED_BYTES", 2**20)
    p = bomb(tmp_path / name, 8)
    assert p.stat().st_size < 20_000
    refused(load_osm, p, "likely decompression bomb", f"{osm.MAX_INFLATE_RATIO}x the file")


def test_real_compressed_extracts_pass_the_guard(monkeypatch):
    # aguascalientes inflates 11x: within 100x even when the absolute floor is lowered to 1 MiB
    monkeypatch.setattr(osm, "MAX_INFLATED_BYTES", 2**20)
    assert load_osm(OSM_DATA / "aguascalientes.osm.bz2").n_nodes > 1000


def test_a_corrupt_compressed_osm_is_still_an_input_error(tmp_path):
    p = tmp_path / "cut.osm.gz"
    p.write_bytes(gzip.compress(BAD_NODE.encode())[:40])
    refused(load_osm, p, "truncated")


@pytest.mark.slow
def test_osm_bomb_at_the_default_limit(tmp_path):
    p = bomb(tmp_path / "big.osm.bz2", 1100)
    refused(load_osm, p, "likely decompression bomb", "1,073,741,824 bytes")


# ---------------------------------------------------------------------------- GraphML
def graphml(tmp_path: Path, name: str = "g.graphml", crs: str = "epsg:4326", xy=((117.2, 29.3), (117.201, 29.3)),
            edge: dict | None = None, node: dict | None = None) -> Path:
    g = nx.MultiDiGraph(crs=crs)
    for i, (x, y) in enumerate(xy, 1):
        g.add_node(i, x=str(x), y=str(y), **(node or {}))
    g.add_edge(1, 2, **(edge or {}))
    g.add_edge(2, 1, length="100")
    path = tmp_path / name
    nx.write_graphml(g, path)
    return path


@pytest.mark.parametrize("length", ["1e308", "inf", "nan", "-5", "abc", "10000001"])
def test_graphml_edge_length_must_be_finite_and_bounded(tmp_path, length):
    p = graphml(tmp_path, edge={"length": length})
    refused(load_graphml, p, "edge 1 -> 2", f"length '{length}'", "0 .. 10,000,000")


def test_graphml_plain_length_still_reads(tmp_path):
    net = load_graphml(graphml(tmp_path, edge={"length": "97.5"}))
    assert sorted(net.length.tolist()) == [97.5, 100.0]


def test_graphml_huge_length_through_the_cli_is_exit_2_not_infinity(tmp_path, capsys):
    p = graphml(tmp_path, edge={"length": "1e308"})
    err = one_line_exit_2(capsys, ["network", "info", "--json", "--source", str(p)], str(p), "length")
    assert "Infinity" not in err


def test_graphml_degrees_under_a_projected_crs_are_refused(tmp_path, capsys):
    p = graphml(tmp_path, crs="EPSG:32650")
    refused(load_graphml, p, "crs='EPSG:32650'", "look like lon/lat degrees")
    one_line_exit_2(capsys, ["network", "info", "--source", str(p)], str(p), "EPSG:32650")


def test_graphml_metres_under_a_projected_crs_still_read(tmp_path):
    net = load_graphml(graphml(tmp_path, crs="EPSG:32650", xy=((500000.0, 3240000.0), (500100.0, 3240000.0))))
    assert net.n_nodes == 2 and abs(net.lon[0] - 117.0) < 0.01


@pytest.mark.parametrize("node, needles", [
    ({"population": "1e308"}, ["node 1: population '1e308'"]),
    ({"elevation": "-1e308"}, ["node 1: elevation '-1e308'"]),
    ({"zone": "1e300"}, ["node 1: zone '1e300'"]),
])
def test_graphml_node_values_are_bounded(tmp_path, node, needles):
    refused(load_graphml, graphml(tmp_path, node=node), *needles)


def test_graphml_bomb_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(osm, "MAX_INFLATED_BYTES", 2**20)
    p = bomb(tmp_path / "bomb.graphml.bz2", 8, prefix=b'<?xml version="1.0"?>\n<graphml>', suffix=b"</graphml>\n")
    refused(load_graphml, p, "likely decompression bomb")
