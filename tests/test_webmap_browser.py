"""The run report's interactive map in a real browser: Debian's headless Chromium via playwright.

The report is opened from disk with the network cut off: Leaflet draws the layers as SVG paths,
switching a layer off removes its paths, the time slider changes what is shown, a click opens a
popup with the feature's figures, the groups' colours follow their relief time, and nothing is
logged, refused by the Content Security Policy or requested beyond the file itself. Without a
browser the tests skip and say why; with ``CI`` set they fail instead.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from .browser import launch_browser, open_page
from .test_report import shared_reports
from .test_webmap import (
    HOSTILE,
    _hostile_html,
    make_batch_store,
    write_hand_sized_report,
)

#: records Content Security Policy refusals (an init script is not itself subject to the page's policy)
_CSP_PROBE = ("window.__csp = []; document.addEventListener('securitypolicyviolation', "
              "function (e) { window.__csp.push(e.violatedDirective + ' ' + e.blockedURI); });")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    yield from launch_browser(tmp_path_factory)


@pytest.fixture(scope="module")
def shared(district, tmp_path_factory):
    return shared_reports(district, tmp_path_factory)


def _open(browser, html: Path) -> dict:
    """Open ``html`` offline with console, errors, requests, dialogs and CSP refusals recorded."""
    seen = open_page(browser, html, init_script=_CSP_PROBE)
    page = seen["page"]
    page.wait_for_selector("#yingji-map[data-ready='1']", timeout=30000)
    page.locator("#webmap").scroll_into_view_if_needed()
    return seen


def _clean(seen: dict, html: Path, *, images: bool = False) -> None:
    """No console error or warning, no CSP refusal, no dialog, and no request but the file itself
    (``images``: and the page's own data: images, as the drill handbook's phase maps)."""
    page = seen["page"]
    assert [m for m in seen["console"] if m[0] in ("error", "warning")] == [] and seen["errors"] == []
    assert page.evaluate("window.__csp") == []
    requests = [u for u in seen["requests"] if not (images and u.startswith("data:image/"))]
    assert requests == [html.as_uri()], seen["requests"]  # not even a data: image: no tiles, no icons
    assert seen["dialogs"] == []


def _count(page, cls: str) -> int:
    return page.locator(f"#yingji-map path.{cls}").count()


def _slide(page, stop: int) -> None:
    page.fill("#yingji-map-time", str(stop))
    page.dispatch_event("#yingji-map-time", "input")


def test_map_renders_toggles_and_slides(browser, shared, tmp_path):
    from scenarios.reports.webmap import GROUP_COLOURS, map_data, relief_class

    run = shared["runs"][0]
    html = shared["run"]["report.html"]
    seen = _open(browser, html)
    page = seen["page"]
    try:
        data = map_data(run, "zh")
        counts = {c: _count(page, c) for c in ("ym-road", "ym-hazard", "ym-facility", "ym-group")}
        assert counts["ym-road"] == len(data["roads"]) and counts["ym-hazard"] > 0
        assert counts["ym-facility"] == len(data["facilities"]) and counts["ym-group"] > 0
        page.locator("#webmap").screenshot(path=str(tmp_path / "webmap.png"))

        # at the end every group that appeared is coloured by its relief time
        cols = data["group_columns"]
        want = Counter()
        for row in data["groups"]:
            g = dict(zip(cols, row))
            if g["threat_h"] is not None or g["affected_h"] is not None:
                want[GROUP_COLOURS[relief_class(g["relief_time_h"], g["affected_h"], data["target_h"])]] += 1
        fills = page.eval_on_selector_all("#yingji-map path.ym-group", "els => els.map(e => e.getAttribute('fill'))")
        assert Counter(fills) == want

        # switching a layer off in the layer control removes its paths; on again, they are back
        roads = page.locator(".leaflet-control-layers-overlays label", has_text="道路").locator("input")
        roads.click()
        assert _count(page, "ym-road") == 0 and _count(page, "ym-group") == counts["ym-group"]
        roads.click()
        assert _count(page, "ym-road") == counts["ym-road"]

        # the slider: at the start nobody is relieved yet, so the colours change, and the time shown too
        _slide(page, 0)
        assert page.get_attribute("#yingji-map", "data-time-h") == "0"
        assert page.inner_text("#yingji-map-time-label") == "模拟第 0 小时"   # simulation time, not the drill's T+
        at_start = page.eval_on_selector_all("#yingji-map path.ym-group", "els => els.map(e => e.getAttribute('fill'))")
        assert Counter(at_start) != Counter(fills) and len(at_start) <= len(fills)
        assert GROUP_COLOURS["within"] not in at_start and GROUP_COLOURS["late"] not in at_start
        _slide(page, len(data["stops_h"]) - 1)
        assert _count(page, "ym-group") == counts["ym-group"] and _count(page, "ym-hazard") == counts["ym-hazard"]
        back = page.eval_on_selector_all("#yingji-map path.ym-group", "els => els.map(e => e.getAttribute('fill'))")
        assert Counter(back) == want

        # a click on a shelter opens its figures
        page.locator("#yingji-map path.ym-shelter").first.click()
        popup = page.locator(".leaflet-popup-content").inner_text()
        assert "容量" in popup and "安置峰值" in popup
        page.wait_for_timeout(400)  # the popup fades in
        page.locator("#webmap").screenshot(path=str(tmp_path / "webmap-popup.png"))
        _clean(seen, html)
    finally:
        seen["context"].close()


def test_hostile_name_shows_as_text_in_a_popup(browser, shared, tmp_path):
    run = shared["runs"][0]
    html = tmp_path / "hostile.html"
    html.write_text(_hostile_html(run), encoding="utf-8")
    seen = _open(browser, html)
    page = seen["page"]
    try:
        assert page.evaluate("document.scripts.length") == 3
        page.locator("#yingji-map path.ym-shelter").first.click()
        assert HOSTILE in page.locator(".leaflet-popup-content").inner_text()
        assert page.locator(".leaflet-popup-content script").count() == 0
        _clean(seen, html)
    finally:
        seen["context"].close()


def test_compare_map_switches_runs(browser, shared, tmp_path):
    runs = shared["runs"]
    html = shared["compare"]["report.html"]
    seen = _open(browser, html)
    page = seen["page"]
    try:
        n_facilities = [len(r.plan.team_bases) + len(r.plan.warehouses) + len(r.plan.shelters) for r in runs]
        assert page.get_attribute("#yingji-map", "data-run") == "0"
        assert _count(page, "ym-facility") == n_facilities[0] and _count(page, "ym-road") > 0
        page.select_option("#yingji-map-run", "1")
        assert page.get_attribute("#yingji-map", "data-run") == "1"
        assert _count(page, "ym-facility") == n_facilities[1]
        assert _count(page, "ym-road") > 0 and _count(page, "ym-hazard") > 0  # roads and hazard shared with run 0
        assert page.locator(".leaflet-control-layers").count() == 1  # the old map went with its controls
        _slide(page, 0)
        assert page.get_attribute("#yingji-map", "data-time-h") == "0"
        page.locator("#webmap").screenshot(path=str(tmp_path / "compare-webmap.png"))
        _clean(seen, html)
    finally:
        seen["context"].close()


def _popup_of(page, selector: str) -> str:
    """Click the first feature matching ``selector`` (a click event on its path: the centre of a
    concave township's box may lie outside it) and return its popup's text."""
    page.locator(selector).first.dispatch_event("click")
    page.wait_for_selector(".leaflet-popup-content", timeout=5000)
    return page.locator(".leaflet-popup-content").last.inner_text()   # the one before may still be fading out


def test_batch_map_colours_townships_and_picks_plans(browser, district, tmp_path):
    from scenarios.batch.report import write_batch_report

    store = make_batch_store(tmp_path / "b.sqlite")
    write_batch_report(store, tmp_path / "out", lang="en")
    html = tmp_path / "out" / "report.html"
    seen = _open(browser, html)
    page = seen["page"]
    try:
        assert page.locator("#yingji-map-time").count() == 0            # no slider
        assert _count(page, "ym-area") == 7 and _count(page, "ym-road") > 0 and _count(page, "ym-facility") > 0
        assert _count(page, "ym-area-unaffected") == 1 and _count(page, "ym-area-band1") == 1   # Hetang; Xinfeng 50 %
        legend = page.inner_text(".ym-legend")
        assert "not affected in any run" in legend and "< 50 %" in legend
        page.locator("#webmap").screenshot(path=str(tmp_path / "batch-webmap.png"))
        text = _popup_of(page, "#yingji-map path.ym-area-band1")
        assert "Xinfeng" in text and "runs affected" in text and "50 %" in text and "cut off, waiting for a boat" in text
        text = _popup_of(page, "#yingji-map path.ym-area-unaffected")
        assert "not affected in any run" in text
        page.select_option("#yingji-map-run", "1")                        # the optimized plan
        assert page.get_attribute("#yingji-map", "data-run") == "1"
        assert _count(page, "ym-area") == 7 and _count(page, "ym-facility") == 0 and _count(page, "ym-area-band1") == 0
        assert page.locator(".leaflet-control-layers").count() == 1
        _clean(seen, html)
    finally:
        seen["context"].close()


def test_sizing_map_rings_new_sites(browser, district, tmp_path):
    result, html = write_hand_sized_report(district, tmp_path)
    seen = _open(browser, html)
    page = seen["page"]
    try:
        assert page.locator("#yingji-map-time").count() == 0 and page.locator("#yingji-map-run").count() == 0
        n = len(result.plan.team_bases) + len(result.plan.warehouses) + len(result.plan.shelters)
        assert _count(page, "ym-facility") == n and _count(page, "ym-new") == 1 and _count(page, "ym-added") == 2
        assert _count(page, "ym-area") == 7 and _count(page, "ym-area-band1") == 1
        page.locator("#webmap").screenshot(path=str(tmp_path / "sizing-webmap.png"))
        text = _popup_of(page, "#yingji-map path.ym-new")
        assert "新增设施" in text and "shelter_places" in text and "+500" in text
        text = _popup_of(page, "#yingji-map path.ym-area-band1")
        assert "受灾的运行次数" in text and "75 %" in text
        _clean(seen, html)
    finally:
        seen["context"].close()


def test_drill_slider_reads_the_handbooks_exercise_time(browser, tmp_path):
    import json
    import re

    from scenarios.cli import main
    from scenarios.drill.catalogue import fmt_t

    out = tmp_path / "drill"
    assert main(["drill", "chlorine-night", "--difficulty", "normal", "--seed", "1", "--out", str(out), "-q"]) == 0
    html = out / "drill.html"
    block = re.search(r'<script type="application/json" id="yingji-map-data">(.*?)</script>',
                      html.read_text(encoding="utf-8"), re.DOTALL).group(1)
    data = json.loads(block)
    seen = _open(browser, html)
    page = seen["page"]
    try:
        start = data["clock"]["start_h"]
        for i, h in enumerate(data["stops_h"]):
            _slide(page, i)
            label = page.inner_text("#yingji-map-time-label")
            assert re.fullmatch(r"T[+-]\d{2}:\d{2}.*", label), label
            assert label.startswith(fmt_t((h - start) * 3600.0)), (h, label)   # the handbook's own format
        assert page.inner_text("#yingji-map-time-label") == fmt_t((data["stops_h"][-1] - start) * 3600.0)
        page.locator("#yingji-map path.ym-group").first.dispatch_event("click")
        assert "T+" in page.locator(".leaflet-popup-content").inner_text()   # the group's state at exercise time
        _clean(seen, html, images=True)
    finally:
        seen["context"].close()

    # an exercise that starts an hour into the run: the run's start reads as before T+00:00 (the
    # data block is JSON, not a script: the CSP's hashes still hold)
    later = tmp_path / "later.html"
    shifted = json.dumps({**data, "clock": {"start_h": start + 1.0}}, ensure_ascii=False)
    later.write_text(html.read_text(encoding="utf-8").replace(block, shifted.replace("<", "\\u003c")), encoding="utf-8")
    seen = _open(browser, later)
    page = seen["page"]
    try:
        _slide(page, 0)
        assert page.inner_text("#yingji-map-time-label") == fmt_t(-3600.0) + "（演练开始前）" == "T-01:00（演练开始前）"
        _slide(page, len(data["stops_h"]) - 1)
        assert page.inner_text("#yingji-map-time-label") == fmt_t((data["stops_h"][-1] - start - 1.0) * 3600.0)
        _clean(seen, later, images=True)
    finally:
        seen["context"].close()
