"""The ``yingji network`` commands, run as a user runs them (a subprocess)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TEST_OSM = Path(__file__).parent / "data" / "osm"


def yingji(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run(
        [sys.executable, "-m", "scenarios.cli", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


def test_info_json_on_builtin_district(district):
    r = yingji("network", "info", "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["nodes"] == district.network.n_nodes and info["edges"] == district.network.n_edges
    assert info["illustrative"] is True and info["population"] > 100_000


def test_info_table_is_bilingual():
    r = yingji("network", "info")
    assert r.returncode == 0, r.stderr
    assert "节点 / nodes" in r.stdout and "昌江区" in r.stdout


def test_info_on_osm_file_reports_dropped_nodes():
    r = yingji("network", "info", "--json", "--source", str(TEST_OSM / "West-Oakland.osm.bz2"))
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["nodes"] == 78 and info["dropped_nodes"] == 106 - 78


def test_map_and_exports(tmp_path):
    png = tmp_path / "m.png"
    assert yingji("network", "map", "--lang", "en", "--out", str(png)).returncode == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    gj = tmp_path / "roads.geojson"
    r = yingji("network", "export", "--format", "geojson", "--out", str(gj))
    assert r.returncode == 0, r.stderr
    data = json.loads(gj.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection" and len(data["features"]) > 1000
    gml = tmp_path / "roads.graphml"
    r = yingji("network", "export", "--format", "graphml", "--out", str(gml), "--source", str(TEST_OSM / "West-Oakland.osm.bz2"))
    assert r.returncode == 0, r.stderr
    r = yingji("network", "info", "--json", "--source", str(gml))
    assert r.returncode == 0, r.stderr and json.loads(r.stdout)["nodes"] == 78


@pytest.mark.parametrize(
    "args, message",
    [
        (("network", "info", "--source", "missing.pbf"), "missing.pbf: file not found"),
        (("network", "info", "--source", "README.md"), "unknown network format"),
        (("network", "map", "--out", "map.jpg"), "must end in .png or .svg"),
    ],
)
def test_bad_input_is_one_line_without_traceback(tmp_path, args, message):
    (tmp_path / "README.md").write_text("not a network")
    r = yingji(*args, cwd=tmp_path)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_truncated_osm_file_is_reported(tmp_path):
    data = (TEST_OSM / "aguascalientes.osm.pbf").read_bytes()
    bad = tmp_path / "cut.osm.pbf"
    bad.write_bytes(data[: len(data) // 2])
    r = yingji("network", "info", "--source", str(bad))
    assert r.returncode == 2 and "cut.osm.pbf" in r.stderr and "Traceback" not in r.stderr


def test_unknown_option_value_is_a_usage_error():
    r = yingji("network", "map", "--lang", "fr", "--out", "x.png")
    assert r.returncode == 2 and "Traceback" not in r.stderr
