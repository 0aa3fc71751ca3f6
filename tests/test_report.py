"""Figures and the HTML reports of ``yingji run`` / ``yingji compare`` (no browser; see test_report_browser)."""
from __future__ import annotations

import base64
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from network.errors import InputError

XSS = "<script>alert(1)</script>"

#: a short 100-year flood (the quick-look fill engine); the name, titles and description are hostile on purpose
FLOOD_TOML = f'''
name = "{XSS}"
title_zh = "洪水 <b>测试</b> $5"
title_en = "Flood test & <i>co</i>"
description_zh = "五十年一遇洪水。<img src=x onerror=alert(2)>"
description_en = "A 100-year flood peaking 6 hours in, 12 hours."
[hazards.flood]
return_period_years = 100
peak_h = 6
engine = "fill"
[simulation]
duration_h = 12
'''
#: the same flood with two more shelters opened; a '$' in the name must not start mathtext
MORE_SHELTERS_TOML = '''
name = "flood $50 more-shelters"
title_zh = "洪水（增设避难场所）"
title_en = "Flood, more shelters"
[hazards.flood]
return_period_years = 100
peak_h = 6
engine = "fill"
[resources]
open_shelters = ["xinfeng-park", "west-stadium"]
[simulation]
duration_h = 12
'''
RUN_FILES = {f"{s}.{e}" for s in ("map", "relief_time", "timeline", "teams_gantt") for e in ("png", "svg")} | {"report.html"}
COMPARE_FILES = {f"{s}.{e}" for s in ("relief_compare", "maps") for e in ("png", "svg")} | {"report.html"}


def make_run(toml: str, district):
    from scenarios.core.runner import run_scenario
    from scenarios.core.spec import parse_scenario

    return run_scenario(parse_scenario(toml, "test-scenario.toml"), district=district)


class Page(HTMLParser):
    """What the tests look at in a report: tags with attributes, text per element id, table rows."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.title = ""
        self.text: list[str] = []
        self.rows: list[dict] = []  # rows of table.indicators: class and cell texts
        self._stack: list[str] = []
        self._in_ind = False
        self._row: dict | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag in ("meta", "img", "br", "link", "input"):
            return
        self._stack.append(tag)
        if tag == "table" and "indicators" in (a.get("class") or ""):
            self._in_ind = True
        if self._in_ind and tag == "tr":
            self._row = {"class": a.get("class", ""), "cells": []}
        if self._row is not None and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("meta", "img", "br", "link", "input"):
            return
        if self._stack:
            self._stack.pop()
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row["cells"].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        if tag == "table":
            self._in_ind = False

    def handle_data(self, data):
        if self._stack and self._stack[-1] == "title":
            self.title += data
        if self._cell is not None:
            self._cell.append(data)
        self.text.append(data)

    def all(self, tag: str) -> list[dict]:
        return [a for t, a in self.tags if t == tag]


_SHARED: dict = {}


def shared_reports(district, tmp_path_factory) -> dict:
    """Two runs, a run report (zh) and a compare report (en), made once per test session:
    this module and the browser test look at the same files."""
    if not _SHARED:
        from scenarios.reports.html import write_compare_report, write_run_report

        a, b = make_run(FLOOD_TOML, district), make_run(MORE_SHELTERS_TOML, district)
        root = tmp_path_factory.mktemp("reports")
        _SHARED.update(runs=(a, b), run=write_run_report(root / "run", a, lang="zh"),
                       compare=write_compare_report(root / "compare", [a, b], lang="en"))
    return _SHARED


@pytest.fixture(scope="module")
def shared(district, tmp_path_factory):
    return shared_reports(district, tmp_path_factory)


@pytest.fixture(scope="module")
def runs(shared):
    return shared["runs"]


@pytest.fixture(scope="module")
def run_report(shared):
    return shared["run"]


@pytest.fixture(scope="module")
def compare_report(shared):
    return shared["compare"]


# ---------------------------------------------------------------------------------- files
def test_run_report_writes_every_figure_as_png_and_svg(run_report):
    assert set(run_report) == RUN_FILES
    for name, path in run_report.items():
        assert path.exists() and path.stat().st_size > 1000, name
        if name.endswith(".png"):
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if name.endswith(".svg"):
            assert ET.parse(path).getroot().tag.endswith("svg")


def test_run_report_is_self_contained(run_report):
    html = run_report["report.html"].read_text(encoding="utf-8")
    page = Page(html)
    imgs = page.all("img")
    assert len(imgs) == 4  # the four figures and nothing injected
    for img, stem in zip(imgs, ("map", "relief_time", "timeline", "teams_gantt")):
        assert img["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(img["src"].split(",", 1)[1]) == run_report[f"{stem}.png"].read_bytes()
    assert not page.all("link") and not page.all("iframe")
    # the interactive map's data block and its two inline scripts (allowed by hash), nothing from outside
    assert [(a.get("type"), a.get("src")) for a in page.all("script")] == [("application/json", None), (None, None), (None, None)]
    for tag, attrs in page.tags:
        for key in ("src", "href"):
            v = attrs.get(key) or ""
            assert not re.match(r"^\s*(https?:|//|ftp:)", v), (tag, v)
    assert "@import" not in html
    styles = re.sub(r"<script\b.*?</script>", "", html, flags=re.DOTALL)  # Leaflet's script names an IE-only VML url()
    assert re.findall(r"url\(\s*(?!data:)", styles) == []   # the font and the map's images, all data: URIs
    csp = [m for m in page.all("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]["content"] and "font-src data:" in csp[0]["content"]
    assert "@media print" in html


def test_report_embeds_the_chinese_glyphs_it_uses(run_report):
    import io

    from fontTools.ttLib import TTFont

    html = run_report["report.html"].read_text(encoding="utf-8")
    fonts = re.findall(r"url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)", html)
    assert len(fonts) == 1
    cmap = TTFont(io.BytesIO(base64.b64decode(fonts[0]))).getBestCmap()
    from network.fonts import noto_cjk_regular

    full = set(TTFont(noto_cjk_regular(), lazy=True).getBestCmap())
    needed = {ord(c) for c in html if ord(c) > 127 and not c.isspace()} & full
    assert {ord(c) for c in "昌江区洪水达标"} <= needed <= set(cmap)   # every CJK glyph the page uses
    assert len(cmap) < len(needed) + 50              # and hardly more: a subset, not the whole font


def test_scenario_text_is_escaped(run_report, runs):
    html = run_report["report.html"].read_text(encoding="utf-8")
    assert XSS not in html and html.lower().count("<script") == 3  # the map's data and scripts, nothing injected
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<b>测试</b>" not in html and "<i>co</i>" not in html
    page = Page(html)
    assert page.title == f"{runs[0].title_zh} — {XSS} · yingji"
    assert XSS in "".join(page.text)


def test_indicator_table_has_a_verdict_per_target(run_report, runs):
    from scenarios.reports.tables import format_target, format_value

    page = Page(run_report["report.html"].read_text(encoding="utf-8"))
    body = [r for r in page.rows if r["class"]]  # the header row has no class
    kpis = runs[0].kpis
    assert len(body) == len(kpis)
    for row, k in zip(body, kpis):
        want = "na" if k["pass"] is None else ("pass" if k["pass"] else "fail")
        assert row["class"] == want
        name, value, target, verdict, _note = row["cells"]
        assert name.startswith(k["zh"]) and k["en"] in name
        assert value == format_value(k["value"], k["unit"])
        assert target == format_target(k["target"], k["unit"])
        assert verdict.split()[0] == {"na": "—", "pass": "✓", "fail": "✗"}[want]


def test_both_languages_with_the_primary_first(runs, run_report):
    from scenarios.reports.html import render_run_html

    pngs = {s: run_report[f"{s}.png"] for s in ("map", "relief_time", "timeline", "teams_gantt")}
    run = runs[0]
    for lang, first, second, html_lang in (("zh", run.title_zh, run.title_en, "zh-CN"), ("en", run.title_en, run.title_zh, "en")):
        html = render_run_html(run, pngs, lang=lang)
        page = Page(html)
        assert [a.get("lang") for t, a in page.tags if t == "html"] == [html_lang]
        h1 = "".join(page.text)
        assert h1.index(first) < h1.index(second)
        text = " ".join(page.text)
        assert "关键数字" in text and "Key numbers" in text
        assert ("达标" in text or "未达标" in text) and ("pass" in text or "fail" in text)
        if lang == "en":
            assert text.index("Key numbers") < text.index("关键数字")
    with pytest.raises(InputError, match="--lang"):
        render_run_html(run, pngs, lang="fr")


# ---------------------------------------------------------------------------------- compare
def test_compare_table_differences(runs):
    from scenarios.reports.tables import compare_table, run_labels

    rows = compare_table(list(runs))
    a, b = run_labels(list(runs))
    assert a != b and len(rows) == len(runs[0].kpis)
    for row, ka, kb in zip(rows, runs[0].kpis, runs[1].kpis):
        assert row["indicator"] == ka["indicator"] == kb["indicator"]
        assert row["values"] == {a: ka["value"], b: kb["value"]}
        assert row["pass"] == {a: ka["pass"], b: kb["pass"]}
        if ka["value"] is None or kb["value"] is None:
            assert row["diff"] == {b: None}
        else:
            assert row["diff"][b] == pytest.approx(kb["value"] - ka["value"])


def _fake_run(name: str, plan: str, rows: list[dict]):
    return SimpleNamespace(name=name, plan_label=plan, kpis=rows)


def _row(key, value, target=">= 0.9", ok=None, unit="share"):
    return {"indicator": key, "zh": key + "（中）", "en": key, "unit": unit, "value": value, "target": target,
            "pass": ok, "note": ""}


def test_compare_table_by_hand():
    from scenarios.reports.tables import compare_table, run_labels

    r1 = _fake_run("a", "existing", [_row("cover", 0.5, ok=False), _row("p95", 12.0, "<= 10", False, "h")])
    r2 = _fake_run("a", "existing", [_row("cover", 0.8, ok=False), _row("p95", None, "<= 10", False, "h")])
    r3 = _fake_run("b", "plan.json", [_row("cover", 0.95, ">= 0.95", True), _row("extra", 3.0, "<= 5", True, "people")])
    labels = run_labels([r1, r2, r3])
    assert labels == ["a [existing]", "a [existing] #2", "b [plan.json]"]
    rows = {r["indicator"]: r for r in compare_table([r1, r2, r3])}
    assert list(rows) == ["cover", "p95", "extra"]
    assert rows["cover"]["diff"]["a [existing] #2"] == pytest.approx(0.3)
    assert rows["cover"]["diff"]["b [plan.json]"] == pytest.approx(0.45)
    assert rows["cover"]["targets"]["b [plan.json]"] == ">= 0.95" and rows["cover"]["target"] == ">= 0.9"
    assert rows["p95"]["diff"] == {"a [existing] #2": None, "b [plan.json]": None}
    assert rows["extra"]["values"] == {"a [existing]": None, "a [existing] #2": None, "b [plan.json]": 3.0}
    assert rows["extra"]["pass"]["b [plan.json]"] is True and rows["extra"]["pass"]["a [existing]"] is None
    with pytest.raises(InputError):
        compare_table([])


def test_formatting_of_values_targets_and_differences():
    from scenarios.reports.tables import format_diff, format_target, format_value

    assert format_value(0.9123, "share") == "91.2 %"
    assert format_value(20362.0, "people") == "20,362"
    assert format_value(None, "h") == "—" and format_value(math.inf, "h") == "—" and format_value(math.nan, "‰") == "—"
    assert format_target(">= 0.9", "share") == "≥ 90 %" and format_target("<= 10", "h") == "≤ 10 h"
    assert format_target("< 1", "per million") == "< 1 per million" and format_target(">= 1", "share") == "≥ 100 %"
    assert format_target("whatever", "h") == "whatever"
    assert format_diff(0.031, "share") == "+3.1 pp" and format_diff(-120.0, "people") == "-120"


def test_descriptions_become_paragraphs():
    from scenarios.reports.html import paragraphs

    assert paragraphs("\nA flood\nthat rises.\n\n  Illustrative.\n", cjk=False) == ["A flood that rises.", "Illustrative."]
    assert paragraphs("水位上涨，\n堤防未溃决。\n风速 5\nm/s", cjk=True) == ["水位上涨，堤防未溃决。风速 5 m/s"]
    assert paragraphs("", cjk=True) == []


def test_compare_report(compare_report, runs):
    from scenarios.reports.tables import compare_table, display_labels, format_diff, run_labels

    assert set(compare_report) == COMPARE_FILES
    html = compare_report["report.html"].read_text(encoding="utf-8")
    page = Page(html)
    assert [a.get("lang") for t, a in page.tags if t == "html"] == ["en"]
    assert len(page.all("img")) == 2 and all(i["src"].startswith("data:image/png;base64,") for i in page.all("img"))
    assert XSS not in html and html.lower().count("<script") == 3 and "&lt;script&gt;" in html  # the map's, nothing injected
    labels = display_labels(list(runs), "en")
    keys = run_labels(list(runs))
    header, *body = [r for r in page.rows]
    assert header["cells"][2:] == labels + [f"Δ {labels[1]}"]
    for row, want in zip(body, compare_table(list(runs))):
        assert row["cells"][-1] == format_diff(want["diff"][keys[1]], want["unit"])
    # what holds relief down, run by run: each verdict, and the causes summing to each run's unrelieved
    section = html.split('<section id="shortfall">')[1].split("</section>")[0]
    for r in runs:
        assert escape(r.result.kpis["verdict"]["en"]) in section
    total = section.split('class="total"')[1].split("</tr>")[0]
    assert re.findall(r'<td class="num">([^<]*)</td>', total) == [
        f"{r.result.kpis['shortfall']['unrelieved_people']:,}" for r in runs]
    with pytest.raises(InputError, match="two runs"):
        from scenarios.reports.html import write_compare_report

        write_compare_report(Path("/nonexistent-never-written"), list(runs)[:1])


def test_run_labels_for_people_name_title_and_plan():
    """Reports name a run by its title and plan, never by a code name or a builtin: source."""
    from scenarios.reports.tables import display_labels

    flood = SimpleNamespace(name="flood-100y-breach", title_zh="昌江100年一遇洪水", title_en="100-year flood",
                            plan_label="existing")
    better = SimpleNamespace(**{**vars(flood), "plan_label": "optimized"})
    mine = SimpleNamespace(**{**vars(flood), "plan_label": "my-plan.json", "title_en": ""})
    assert display_labels([flood, better, mine, flood], "en") == [
        "100-year flood · existing plan", "100-year flood · optimized plan", "flood-100y-breach · my-plan.json",
        "100-year flood · existing plan #2"]
    assert display_labels([flood, better], "zh") == ["昌江100年一遇洪水 · 现有预案", "昌江100年一遇洪水 · 优化预案"]


def test_compare_page_keeps_names_and_targets_whole(compare_report, runs):
    html = compare_report["report.html"].read_text(encoding="utf-8")
    assert "break-all" not in html and "word-break: keep-all" in html   # no code name broken mid-word
    assert re.search(r"\.target[^{]*\{ white-space: nowrap; \}", html)
    page = Page(html)
    targets = [a for t, a in page.tags if t == "td" and "target" in (a.get("class") or "")]
    assert len(targets) == len(runs[0].kpis)
    assert "builtin:" not in "".join(page.text)


def _rendered(fig):
    """The figure drawn on an Agg canvas, and its renderer (to measure text)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def test_compare_maps_ring_and_name_new_sites_with_one_facility_legend(runs):
    from matplotlib.text import Annotation

    from scenarios.reports.figures import compare_maps_figure, new_sites
    from scenarios.reports.tables import display_labels

    labels = display_labels(list(runs), "en")
    fig = compare_maps_figure([(lab, r.district, r.hazards, r.plan, r.result) for lab, r in zip(labels, runs)],
                              lang="en")
    renderer = _rendered(fig)
    maps = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in maps] == labels
    added = [new_sites(r.plan) for r in runs]
    assert not added[0] and len(added[1]) >= 2   # the second run opened two shelters
    for ax, sites in zip(maps, added):
        names = [a for a in ax.texts if isinstance(a, Annotation) and a.get_text() in
                 {s.name_en.split(" (")[0] for s in sites}]
        assert len(names) == len(sites)
        boxes = [a.get_window_extent(renderer) for a in names]
        assert not [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes)) if boxes[i].overlaps(boxes[j])]
    legends = {lg.get_title().get_text(): [t.get_text() for t in lg.get_texts()] for lg in fig.legends}
    facilities = legends["facilities and relief"]
    assert {"team base", "relief warehouse", "shelter (existing)", "new site (added by this plan)"} <= set(facilities)
    assert "river" not in facilities and "river" in legends["base map"]
    boxes = [lg.get_window_extent(renderer) for lg in fig.legends]
    assert not boxes[0].overlaps(boxes[1])


# ---------------------------------------------------------------------------------- figures
def _without(result, table: str, key: str):
    """The result with ``key`` dropped from every row of ``result.<table>`` (an older RunResult)."""
    return replace(result, **{table: [{k: v for k, v in row.items() if k != key} for row in getattr(result, table)]})


def test_relief_samples_match_the_run_kpis(runs):
    from scenarios.reports.figures import relief_samples

    for run in runs:
        rt = run.result.kpis["relief_time"]
        exact = "party_records" in run.result.groups[0]
        for res, is_exact in ((run.result, exact), (_without(run.result, "groups", "party_records"), False)):
            s = relief_samples(res)
            assert s.affected == rt["affected_people"]
            assert s.unrelieved == rt["unrelieved_people"]
            assert s.people.sum() == pytest.approx(rt["relieved_people"])
            h, share = s.ecdf()
            assert np.all(np.diff(h) >= 0) and np.all(np.diff(share) >= -1e-15)
            assert share[-1] == pytest.approx(rt["relieved_people"] / rt["affected_people"])
            if is_exact:
                assert s.share_within(rt["target_h"]) == pytest.approx(rt["share_within_target"], rel=1e-12)
            else:  # from the event log: partial reliefs sit at their group's last relief time, never earlier
                assert s.share_within(rt["target_h"]) <= rt["share_within_target"] + 1e-12
                assert s.share_within(rt["target_h"]) == pytest.approx(rt["share_within_target"], abs=0.02)


def test_team_activity(runs):
    from scenarios.reports.figures import team_activity

    res = runs[0].result
    end = res.params["duration_h"] * 3600.0
    if "activity" in res.teams[0]:  # the simulation's own bars are drawn as they are
        assert team_activity(res) == {t["team"]: t["activity"] for t in res.teams}
    # an older result: travel and on-scene bars from the event log
    old = _without(res, "teams", "activity")
    act = team_activity(old)
    assert set(act) == {t["team"] for t in res.teams}
    arrivals = sum(1 for e in res.events if e["event"] == "arrive" and "team" in e)
    scenes = [a for bars in act.values() for a in bars if a["kind"] == "scene"]
    assert len(scenes) == arrivals > 0
    for bars in act.values():
        assert {a["kind"] for a in bars} <= {"travel", "scene"}
        for a in bars:
            assert 0 <= a["start_s"] <= a["end_s"] <= end + 1e-6


def test_timeline_and_gantt_draw_the_result(runs):
    from scenarios.reports.figures import gantt_figure, timeline_figure

    from scenarios.reports.figures import team_label

    res, plan = runs[0].result, runs[0].plan
    ax = timeline_figure(res, lang="en").axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}
    assert set(lines) == {"affected", "evacuated", "sheltered (awaiting relief)", "basic relief received"}
    assert np.array_equal(lines["affected"].get_ydata(), res.time_series["affected"])
    # a dotted line where each resource ran out or was first blocked, at its hour
    ran_out = sorted(r["ran_out_h"] for r in res.kpis["shortfall"]["resources"] if r["ran_out_h"] is not None)
    marks = sorted(ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_label().startswith("_"))
    assert marks == pytest.approx(ran_out) and ran_out
    fig = gantt_figure(res, lang="zh", plan=plan)
    ax = fig.axes[0]
    called = [t["team"] for t in res.teams if t["activity"]]
    assert [t.get_text() for t in ax.get_yticklabels()] == [team_label(x, plan, "zh") for x in called]
    base = plan.team_bases[0]
    assert team_label(f"{base.id}/general/2", plan, "zh") == f"{base.name_zh} 综合救援 2"
    assert team_label(f"{base.id}/general/2", plan, "en") == f"{base.name_en} general rescue 2"
    idle = [t["team"] for t in res.teams if not t["activity"]]
    assert bool(idle) == (fig._supxlabel is not None)
    assert ax.get_legend() is not None


def test_map_shows_each_hazard_kind(district):
    from matplotlib.image import AxesImage

    from scenarios.reports.figures import map_figure, relief_samples, relief_time_figure

    fire = make_run('name = "fire"\ntitle_zh = "林火"\ntitle_en = "fire"\n[hazards.fire]\nwind_speed_m_s = 8\n'
                    '[simulation]\nduration_h = 6\n', district)
    chem = make_run('name = "chem"\ntitle_zh = "氯气"\ntitle_en = "chlorine"\n[hazards.chemical]\n'
                    'site = "chlor-alkali-plant"\nrate_kg_s = 1.0\nduration_min = 30\ntime_of_day = "night"\n'
                    '[simulation]\nduration_h = 3\n', district)
    for run, legend_text in ((fire, "burned area"), (chem, "AEGL-3")):
        ax = map_figure(run.district, run.hazards, run.plan, run.result, lang="en").axes[0]
        texts = [t.get_text() for lg in [c for c in ax.get_children() if type(c).__name__ == "Legend"]
                 for t in lg.get_texts()]
        assert any(legend_text in t for t in texts), texts
    # on a bare road network (an OSM/GraphML source) the map has roads and the hazard, no terrain
    ax = map_figure(chem.district.network, chem.hazards, chem.plan, chem.result, lang="en").axes[0]
    main = {t.get_text() for t in ax.get_legend().get_texts()}
    assert not ax.get_images() and {"expressway", "team base", "relief warehouse"} <= main
    assert any("AEGL-3" in t.get_text() for c in ax.get_children() if type(c).__name__ == "Legend" for t in c.get_texts())
    # a run where nobody was affected says so instead of drawing an empty curve
    nobody = relief_samples(fire.result).affected == 0
    said = [x.get_text() for x in relief_time_figure(fire.result, lang="en").axes[0].texts]
    assert ("no one was affected in this run" in said) == nobody
    fire_ax = map_figure(fire.district, fire.hazards, fire.plan, fire.result, lang="en").axes[0]
    burned = fire.hazards[0].summary(6 * 3600.0)["burned_ha"]
    top = [im for im in fire_ax.get_images() if isinstance(im, AxesImage)][-1]
    cell = fire.hazards[0].cellsize
    assert np.isfinite(np.asarray(top.get_array(), float)).sum() * cell**2 / 1e4 == pytest.approx(burned)


def test_bad_language_is_an_input_error(runs, tmp_path):
    from scenarios.reports.figures import timeline_figure
    from scenarios.reports.html import write_run_report

    with pytest.raises(InputError, match="--lang"):
        timeline_figure(runs[0].result, lang="de")
    with pytest.raises(InputError, match="--lang"):
        write_run_report(tmp_path, runs[0], lang="de")
    assert not any(tmp_path.iterdir())


def test_one_relief_moment_is_said_as_a_number_not_drawn_as_a_flat_line():
    """Everyone relieved at one moment has no distribution to draw: the figure is the number;
    two moments are a curve again."""
    from types import SimpleNamespace

    from scenarios.reports.figures import relief_time_figure

    def result(times_h):
        groups = [{"group": k, "node": 0, "affected_s": 0.0, "people": 10, "relieved": 10, "relief_done_s": h * 3600.0}
                  for k, h in enumerate(times_h)]
        events = [{"event": "relieved", "group": k, "t_s": h * 3600.0, "people": 10} for k, h in enumerate(times_h)]
        return SimpleNamespace(groups=groups, events=events, params={"duration_h": 24.0}, time_series={},
                               kpis={"relief_time": {"target_h": 10.0}})

    card = relief_time_figure(result([2.5, 2.5]), lang="en").axes[0]
    said = [x.get_text() for x in card.texts]
    assert not card.axison and not card.get_lines()
    assert said == ["relieved within 10 h: 100.0%", "all 20 affected people received basic relief 2.5 h after being affected"]
    curve = relief_time_figure(result([2.5, 12.0]), lang="en").axes[0]
    assert curve.axison and curve.get_lines()
