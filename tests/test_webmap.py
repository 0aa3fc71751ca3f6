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


# ---------------------------------------------------------------------------------- township maps
def test_township_polygons_hold_their_nodes_and_do_not_overlap(district):
    import shapely

    from scenarios.reports.webmap_areas import township_polygons

    net = district.network
    polys = township_polygons(net)
    zones = sorted({int(z) for z in net.zone} - {-1})
    assert sorted(polys) == zones and len(zones) == len(net.zone_names)
    xy = np.column_stack([net.x, net.y])
    for z, g in polys.items():
        assert g.geom_type in ("Polygon", "MultiPolygon") and g.is_valid
        assert shapely.covers(g, shapely.points(xy[net.zone == z])).all(), z
    for i in zones:
        for j in zones:
            if i < j:
                assert polys[i].intersection(polys[j]).area < 1.0, (i, j)  # m²: shared edges only
    # nodes outside every township stay outside every area; nothing reaches far past the outermost node
    union = shapely.union_all(list(polys.values()))
    assert not shapely.within(shapely.points(xy[net.zone < 0]), union).any()
    assert union.within(shapely.convex_hull(shapely.multipoints(xy)).buffer(501.0))


def test_township_areas_are_lon_lat_features(district):
    from scenarios.reports.webmap import _feature
    from scenarios.reports.webmap_areas import area_features

    net = district.network
    feats = area_features(net)
    assert [f["properties"]["zone"] for f in feats] == list(range(len(net.zone_names)))
    assert [f["properties"]["name_en"] for f in feats] == [n[1] for n in net.zone_names]
    for f in feats:
        pts = _points(_feature(f["geometry"], {})["geometry"])
        assert (pts[:, 0] > net.lon.min() - 0.01).all() and (pts[:, 0] < net.lon.max() + 0.01).all()
        assert (pts[:, 1] > net.lat.min() - 0.01).all() and (pts[:, 1] < net.lat.max() + 0.01).all()


def _kpis(rows):
    """A run's indicators as the simulation writes them, with only the by-township rows filled."""
    return {"shortfall": {"by_township": rows}}


def test_township_share_counts_only_the_runs_it_was_affected_in():
    from scenarios.reports.webmap_areas import (
        SHARE_BANDS,
        share_band,
        township_outcomes,
    )

    names = [("甲", "A"), ("乙", "B"), ("丙", "C"), ("丁", "D")]
    kpis = [
        _kpis([{"zone": 0, "affected": 10, "waiting_at_target_by_cause": {}},
               {"zone": 1, "affected": 5, "waiting_at_target_by_cause": {"waiting_for_boat": 3, "not_delivered": 1}},
               {"zone": -1, "affected": 4, "waiting_at_target_by_cause": {"cut_off": 4}}]),
        _kpis([{"zone": 0, "affected": 10, "waiting_at_target_by_cause": {"cut_off": 0}},  # a cause of 0: relieved
               {"zone": 1, "affected": 5, "waiting_at_target_by_cause": {}},
               {"zone": 3, "affected": 0, "waiting_at_target_by_cause": {}}]),              # nobody affected there
        _kpis([{"zone": 1, "affected": 6, "waiting_at_target_by_cause": {"waiting_for_boat": 6}}]),
        None,                                                                              # a failed run
    ]
    out = township_outcomes([None if k is None else k["shortfall"]["by_township"] for k in kpis], names)
    assert sorted(out) == [0, 1, 2, 3]                        # zone -1 (outside) is no township
    a, b, c, d = (out[z] for z in range(4))
    assert (a["runs_affected"], a["runs_all_relieved"], a["share"]) == (2, 2, 1.0)
    assert a["band"] == len(SHARE_BANDS) - 1 and a["causes"] == [] and a["waiting_max"] == 0
    assert (b["runs_affected"], b["runs_all_relieved"]) == (3, 1) and b["share"] == pytest.approx(1 / 3, abs=1e-4)
    assert b["band"] == 0 and b["name_en"] == "B"
    assert [x[0] for x in b["causes"]] == ["waiting_for_boat", "not_delivered"] and b["causes"][0][3] == 9
    assert b["causes"][0][2] == "cut off, waiting for a boat"          # sim.shortfall.cause_names
    assert (b["waiting_median"], b["waiting_max"]) == (4.0, 6.0)
    for t in (c, d):   # never affected (or affected by nobody): no share, never a pass
        assert t["runs_affected"] == 0 and t["share"] is None and t["band"] == -1 and t["waiting_max"] is None
    assert [share_band(x) for x in (0.0, 0.49, 0.5, 0.8, 0.95, 0.999, 1.0, None)] == [0, 0, 1, 2, 3, 3, 4, -1]


# ---------------------------------------------------------------------------------- the batch map
FLOOD_SOURCE = "flood-50y"


def make_batch_store(path, runs: int = 6):
    """A small batch store of made-up runs on the built-in flood-50y scenario, each with its
    per-township rows: Hetang (zone 6) is never affected, Xinfeng (zone 1) waits in odd runs."""
    from scenarios.batch.store import BatchStore
    from scenarios.core.spec import builtin_text

    from .test_batch_report import _indicators

    with BatchStore(path) as st:
        st.begin_batch(scenario_name=FLOOD_SOURCE, scenario_source=builtin_text(FLOOD_SOURCE), seed=1, runs=runs,
                       plans=["existing", "optimized"], resume=False, scenario_origin=f"builtin:{FLOOD_SOURCE}")
        for i in range(runs):
            for plan in ("existing", "optimized"):
                towns = [{"zone": z, "affected": 0 if (z == 6 or (z == 5 and i % 2)) else 40,
                          "waiting_at_target_by_cause": {"waiting_for_boat": 7} if z == 1 and i % 2 and plan == "existing"
                          else {}} for z in range(7)]
                st.record({"run_index": i, "plan": plan, "seed": 100 + i, "status": "ok", "inputs": {"x": float(i)},
                           "indicators": _indicators(0.9, 6.0, 0.95),
                           "metrics": {"relief_within_target": 0.9, "relief_p95_h": 6.0, "affected_people": 240,
                                       "unrelieved_people": 0, "exposure_people": 0, "unrelieved_by_cause": {},
                                       "by_township": towns}})
    return path


def test_batch_map_colours_townships_per_plan(district, tmp_path):
    from scenarios.batch.report import batch_map, load_batch

    data = load_batch(make_batch_store(tmp_path / "b.sqlite"))
    ctx, note = batch_map(data, "en")
    assert note is None and ctx["mode"] == "areas" and ctx["stops"] == 0 and ctx["runs"] == ["existing", "optimized"]
    d = json.loads(str(ctx["data"]))
    assert len(d["areas"]) == 7 and d["roads"] and d["legend"]["bands"]
    existing, optimized = d["runs"]
    towns = existing["townships"]
    assert towns["1"]["runs_affected"] == 6 and towns["1"]["runs_all_relieved"] == 3 and towns["1"]["band"] == 1
    assert towns["1"]["causes"][0][:1] == ["waiting_for_boat"] and towns["1"]["causes"][0][3] == 21
    assert towns["5"]["runs_affected"] == 3 and towns["5"]["share"] == 1.0
    assert towns["6"]["share"] is None and towns["6"]["band"] == -1            # not affected in any run
    assert optimized["townships"]["1"]["share"] == 1.0
    n_existing = len(district.spec.facilities) + sum(1 for s in district.spec.shelters if s.existing)
    assert len(existing["facilities"]) > 0 and optimized["facilities"] == [] and optimized["notes"]
    assert all(f["properties"]["new"] is None for f in existing["facilities"]) and n_existing > 0
    assert any("not official boundaries" in n[1] for n in ctx["notes"])


def test_batch_map_says_why_when_the_network_is_missing(tmp_path):
    from scenarios.batch.report import batch_map, load_batch
    from scenarios.batch.store import BatchStore
    from scenarios.core.spec import builtin_text

    text = builtin_text(FLOOD_SOURCE).replace('source = "builtin"', 'source = "gone.osm"')
    assert 'source = "gone.osm"' in text
    with BatchStore(tmp_path / "b.sqlite") as st:
        st.begin_batch(scenario_name="x", scenario_source=text, seed=1, runs=1, plans=["existing"], resume=False,
                       scenario_origin=str(tmp_path / "x.toml"))
    ctx, note = batch_map(load_batch(tmp_path / "b.sqlite"), "en")
    assert ctx is None and "could not be loaded" in note[1] and "gone.osm" in note[1]


# ---------------------------------------------------------------------------------- the sizing map
def hand_sized(district):
    """A SizingResult made by hand (no search): today's plan plus one new shelter and two more
    trucks at the first warehouse, with out-of-sample township rows."""
    from dataclasses import replace as dc_replace

    from network.costs import cost_summary, load_costs, plan_additions
    from network.plan import Plan
    from scenarios.sizing.search import SizingResult

    base = Plan.existing(district)
    base = dc_replace(base, warehouses=(dc_replace(base.warehouses[0], trucks=3), *base.warehouses[1:]))
    sh = base.shelters[0]
    new = dc_replace(sh, id="sized-shelter-1", name_zh="新增避难场所", name_en="added shelter", capacity=500, existing=False)
    wh = dc_replace(base.warehouses[0], trucks=5)
    plan = dc_replace(base, shelters=(*base.shelters, new), warehouses=(wh, *base.warehouses[1:]))
    costs = load_costs(district.spec.costs, source="district")
    adds = plan_additions(plan, base, costs)
    additions = [{"lever": a.lever, "site": a.site, "amount": a.amount, "unit": a.unit, "cost": a.one_off_cny,
                  "one_off_cny": a.one_off_cny, "annual_cny": a.annual_cny, "source": a.source} for a in adds]
    p = {"met": 3, "runs": 4, "failed_runs": 0, "probability": 0.75, "runs_failing_target": {}, "wilson_low": 0.3,
         "wilson_high": 0.95, "relief_within_target_mean": 0.9, "relief_p95_h_median": 8.0, "waiting_at_target_mean": 3.0}
    rows = [[{"zone": z, "affected": 30, "waiting_at_target_by_cause": {"not_delivered": 4} if z == 2 and k == 0 else {}}
             for z in range(5)] for k in range(4)]
    return SizingResult(
        target_probability=0.3, targets=["relief_within_target"], runs=4, reached=True, baseline_probability=0.5,
        final_probability=0.75, out_of_sample_probability=0.75,
        scenarios=[{"scenario": "flood-50y", "title_zh": "洪水", "title_en": "flood", "baseline": p, "final": p,
                    "out_of_sample": p}],
        cost=cost_summary(adds, costs), additions=additions,
        curve=[{"iteration": 0, "horizon_cny": 0.0, "one_off_cny": 0.0, "annual_cny": 0.0, "probability": 0.75,
                "wilson_low": 0.3, "scenarios": [p], "held_back_people": 0.0, "chosen": True}],
        binding=[], simulations=0, reused=8, budget_cny=None, seed=0, stop="reached", plan=plan, base_plan=base,
        network=district.network, township_runs=[rows])


def write_hand_sized_report(district, folder):
    """The sizing report of :func:`hand_sized` (report.html in ``folder``)."""
    from network.jsonsafe import json_safe
    from scenarios.sizing.outputs import curve_figure, render_sizing_html

    result = hand_sized(district)
    summary = json_safe(result.to_dict(plan_file=str(folder / "plan.json")), infinity_as_text=True)
    png = folder / "cost_probability.png"
    curve_figure(result, "zh").savefig(png, dpi=40)
    html = folder / "report.html"
    html.write_text(render_sizing_html(result, summary, png, "zh"), encoding="utf-8")
    return result, html


def test_sizing_map_marks_new_sites_and_what_was_added(district, tmp_path):
    from scenarios.sizing.outputs import sizing_map

    result = hand_sized(district)
    assert "network" not in result.to_dict() and "township_runs" not in result.to_dict()   # not in result.json
    ctx, note = sizing_map(result, "zh")
    assert note is None and ctx["runs"] is None and ctx["stops"] == 0
    d = json.loads(str(ctx["data"]))
    (only,) = d["runs"]
    feats = {f["properties"]["name_en"]: f["properties"] for f in only["facilities"]}
    assert feats["added shelter"]["new"] is True
    assert feats["added shelter"]["added"] == [["shelter_places:" + result.plan.shelters[-1].kind, 500, "places"]]
    wh = feats[result.plan.warehouses[0].name_en]
    assert wh["new"] is False and ["truck", 2, "trucks"] in wh["added"]
    assert sum(1 for p in feats.values() if p["new"]) == 1
    towns = only["townships"]
    assert towns["2"]["runs_affected"] == 4 and towns["2"]["runs_all_relieved"] == 3 and towns["2"]["band"] == 1
    assert towns["0"]["band"] == 4 and towns["6"]["band"] == -1
    _, html = write_hand_sized_report(district, tmp_path)
    text = html.read_text(encoding="utf-8")
    assert text.count('id="yingji-map-data"') == 1 and 'id="yingji-map-time"' not in text


# ---------------------------------------------------------------------------------- the drill clock
def test_drill_map_stops_read_in_exercise_time():
    from types import SimpleNamespace

    from scenarios.drill.design import Phase
    from scenarios.drill.handbook import map_stops_h

    msel = SimpleNamespace(start_s=5400.0, duration_s=4 * 3600.0,
                           phases=[Phase("a", "甲", "a", 0.0, 900.0), Phase("b", "乙", "b", 900.0, 4 * 3600.0)])
    stops = map_stops_h(msel, 24.0)
    assert stops[0] == 0.0                       # before the start: T-01:30
    assert 1.5 in stops and 1.75 in stops and 5.5 == stops[-1]
    assert [h for h in stops if h > 1.5 and h != 1.75] == [2.5, 3.5, 4.5, 5.5]  # whole exercise hours


@pytest.fixture(scope="module")
def drill_html(tmp_path_factory):
    from scenarios.cli import main

    out = tmp_path_factory.mktemp("drill") / "drill"
    assert main(["drill", "chlorine-night", "--difficulty", "normal", "--seed", "1", "--out", str(out), "-q"]) == 0
    return out


def test_drill_map_clock_starts_at_the_handbooks_t0(drill_html):
    from scenarios.drill.catalogue import fmt_t

    html = (drill_html / "drill.html").read_text(encoding="utf-8")
    msel = json.loads((drill_html / "msel.json").read_text(encoding="utf-8"))
    block = re.search(r'<script type="application/json" id="yingji-map-data">(.*?)</script>', html, re.DOTALL).group(1)
    data = json.loads(block)
    assert data["clock"]["start_h"] == pytest.approx(msel["start_s"] / 3600.0)
    for ph in msel["phases"]:       # each phase's start and end is a stop
        for t in (ph["t0_s"], ph["t1_s"]):
            assert any(abs(h - (msel["start_s"] + t) / 3600.0) < 1e-6 for h in data["stops_h"]), fmt_t(t)
    assert "演练时间" in html and "exercise time" in html


def test_run_and_compare_maps_keep_simulation_time(data, shared):
    assert data["clock"] is None and data["end_h"] == data["stops_h"][-1]
    html = shared["compare"]["report.html"].read_text(encoding="utf-8")
    section = html[html.index('<section id="webmap">'):]
    section = section[:section.index("</section>")]
    assert "time in the run" in section and "hours since the run began" in section and "exercise time" not in section
