"""The run report's interactive map (scenarios/reports/webmap.py): its data and its place in the page
(no browser; test_webmap_browser opens it in Chromium)."""
from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import replace

import numpy as np
import pytest

from .test_report import shared_reports

#: a name that tries to close the data block and run a script of its own
HOSTILE = "</script><script>alert(1)</script><!--"


@pytest.fixture(scope="module")
def shared(district, tmp_path_factory):
    return shared_reports(district, tmp_path_factory)


@pytest.fixture(scope="module")
def run(shared):
    return shared["runs"][0]


@pytest.fixture(scope="module")
def data(run):
    from scenarios.reports.webmap import map_data

    return map_data(run, "zh")


def _points(geom: dict) -> np.ndarray:
    from scenarios.reports.webmap import unpack_geometry

    flat: list = []

    def walk(c):
        if isinstance(c[0], (int, float)):
            flat.append(c[:2])
        else:
            for x in c:
                walk(x)

    walk(unpack_geometry(geom)["coordinates"])
    return np.asarray(flat, float)


def test_every_layer_is_there(data, run):
    assert data["roads"] and {f["properties"]["label_en"] for f in data["roads"]}
    kinds = [h["kind"] for h in data["hazards"]]
    assert "flood" in kinds
    flood = data["hazards"][kinds.index("flood")]
    assert len(flood["at_stop"]) == len(data["stops_h"]) and max(flood["at_stop"]) < len(flood["frames"])
    labels = {f["properties"]["label_en"] for fr in flood["frames"] for f in fr}
    assert labels <= {"depth 0–0.5 m", "depth 0.5–1.5 m", "depth 1.5–3 m", "depth ≥ 3 m"} and labels
    assert {f["properties"]["kind"] for f in data["facilities"]} == {"base", "warehouse", "shelter"}
    assert len(data["facilities"]) == len(run.plan.team_bases) + len(run.plan.warehouses) + len(run.plan.shelters)
    assert len(data["groups"]) == len(run.result.groups) > 0
    assert data["stops_h"][0] == 0 and data["stops_h"][-1] == run.scenario.simulation.duration_h
    assert len(data["stops_h"]) <= 13


def test_shelter_popups_carry_their_load(data, run):
    peak = {r["shelter"]: r["peak_occupancy"] for r in run.result.shelters}
    by_name = {s.name_en: s for s in run.plan.shelters}
    for f in data["facilities"]:
        p = f["properties"]
        if p["kind"] == "shelter":
            s = by_name[p["name_en"]]
            assert p["capacity"] == s.capacity and p["peak"] == peak[s.id]


def test_coordinates_are_lon_lat_inside_the_district(data, run):
    net = run.network
    lon0, lon1, lat0, lat1 = net.lon.min(), net.lon.max(), net.lat.min(), net.lat.max()
    pad = 0.02  # hazard rasters reach a little beyond the outermost road node
    feats = [*data["roads"], *data["facilities"], *data["routes"],
             *[f for h in data["hazards"] for fr in h["frames"] for f in fr]]
    for f in feats:
        pts = _points(f["geometry"])
        assert len(pts)
        assert (pts[:, 0] >= lon0 - pad).all() and (pts[:, 0] <= lon1 + pad).all(), f["properties"]
        assert (pts[:, 1] >= lat0 - pad).all() and (pts[:, 1] <= lat1 + pad).all(), f["properties"]
    roads = np.vstack([_points(f["geometry"]) for f in data["roads"]])
    assert abs(roads[:, 0].min() - lon0) < 1e-4 and abs(roads[:, 1].max() - lat1) < 1e-4  # not shifted or swapped
    cols = data["group_columns"]
    for row in data["groups"]:
        g = dict(zip(cols, row))
        assert lon0 <= g["lon"] <= lon1 and lat0 <= g["lat"] <= lat1


def test_packing_keeps_coordinates_to_a_metre():
    from scenarios.reports.webmap import _feature, unpack_geometry

    line = [[117.123456, 29.654321], [117.2, 29.7], [117.19999, 29.70001]]
    f = _feature({"type": "LineString", "coordinates": line}, {})
    back = unpack_geometry(f["geometry"])["coordinates"]
    assert np.allclose(back, line, atol=6e-6)
    poly = {"type": "MultiPolygon", "coordinates": [[[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]]}
    assert unpack_geometry(_feature(poly, {})["geometry"]) == poly


def test_group_colour_follows_relief_time(data):
    from scenarios.reports.webmap import relief_class

    cols = data["group_columns"]
    target = data["target_h"]
    seen = set()
    for row in data["groups"]:
        g = dict(zip(cols, row))
        cls = relief_class(g["relief_time_h"], g["affected_h"], target)
        seen.add(cls)
        if g["affected_h"] is None:
            assert cls == "threatened"
        elif g["relief_time_h"] is None:
            assert cls == "never" and g["relieved"] < g["people"]
        else:
            assert cls == ("within" if g["relief_time_h"] <= target else "late")
            assert g["relieved"] == g["people"]
    assert len(seen) >= 2
    assert relief_class(3.0, 1.0, 10.0) == "within" and relief_class(12.0, 1.0, 10.0) == "late"
    assert relief_class(None, 1.0, 10.0) == "never" and relief_class(None, None, 10.0) == "threatened"


def test_slider_stops():
    from scenarios.reports.webmap import slider_hours

    assert slider_hours(12) == [float(h) for h in range(13)]
    assert slider_hours(72) == [float(h) for h in range(0, 73, 6)]
    assert slider_hours(5.5) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 5.5]


def _hostile_html(run) -> str:
    """The run report with a shelter named to break out of the map's data block."""
    from scenarios.reports.html import render_run_html

    sh = list(run.plan.shelters)
    sh[0] = replace(sh[0], name_zh=HOSTILE, name_en=HOSTILE)
    return render_run_html(replace(run, plan=replace(run.plan, shelters=tuple(sh))), {}, lang="en")


def test_hostile_name_stays_inside_the_data(run):
    html = _hostile_html(run)
    assert HOSTILE not in html
    assert html.lower().count("<script") == 3 and html.lower().count("</script>") == 3
    block = re.search(r'<script type="application/json" id="yingji-map-data">(.*?)</script>', html, re.DOTALL).group(1)
    assert "<" not in block and ">" not in block and "&" not in block
    names = [f["properties"]["name_en"] for f in json.loads(block)["facilities"]]
    assert HOSTILE in names  # the same text, read back by JSON.parse in the page


def test_json_for_script_escapes_markup():
    from scenarios.reports.webmap import json_for_script

    text = json_for_script({"a": "</script><!-- & -->"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><!-- & -->"}


@pytest.mark.parametrize("report", ["run", "compare"])
def test_csp_allows_exactly_the_inline_scripts(shared, report):
    html = shared[report]["report.html"].read_text(encoding="utf-8")
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html).group(1)
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'" and "unsafe" not in directives["script-src"]
    allowed = set(re.findall(r"'(sha256-[A-Za-z0-9+/=]+)'", directives["script-src"]))
    assert all(s.startswith("'sha256-") for s in directives["script-src"].split())  # hashes only
    scripts = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    hashes = {"sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode() for s in scripts}
    assert len(scripts) == 2 and hashes == allowed
    assert "sourceMappingURL" not in html  # no request for a map file when developer tools open


def test_compare_map_picks_one_run_at_a_time(shared):
    from scenarios.reports.tables import display_labels

    runs = shared["runs"]
    html = shared["compare"]["report.html"].read_text(encoding="utf-8")
    block = re.search(r'<script type="application/json" id="yingji-map-data">(.*?)</script>', html, re.DOTALL).group(1)
    data = json.loads(block)
    labels = display_labels(list(runs), "en")
    assert [r["label"] for r in data["runs"]] == labels and data["lang"] == "en"
    assert data["runs"][0]["roads"] and data["runs"][1]["roads"] is None  # one district: its roads sent once
    assert [len(r["groups"]) for r in data["runs"]] == [len(r.result.groups) for r in runs]
    shelters = [sum(f["properties"]["kind"] == "shelter" for f in r["facilities"]) for r in data["runs"]]
    assert shelters == [len(r.plan.shelters) for r in runs] and shelters[1] > shelters[0]  # two more opened
    options = re.findall(r'<option value="(\d+)">(.*?)</option>', html)
    assert [int(v) for v, _ in options] == [0, 1] and "&lt;i&gt;co&lt;/i&gt;" in options[0][1]  # the title, escaped


def test_leaflet_is_vendored_with_its_licence():
    from importlib.resources import files

    from scenarios.reports.webmap import leaflet_css, leaflet_js

    root = files("scenarios.reports").joinpath("vendor/leaflet")
    assert "BSD 2-Clause" in root.joinpath("LICENSE").read_text(encoding="utf-8")
    assert 't.version="1.9.4"' in leaflet_js()
    css = leaflet_css()
    assert re.findall(r"url\((?!data:image/png;base64,)", css) == []
