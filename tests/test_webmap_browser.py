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
from .test_webmap import HOSTILE, _hostile_html

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


def _clean(seen: dict, html: Path) -> None:
    page = seen["page"]
    assert [m for m in seen["console"] if m[0] in ("error", "warning")] == [] and seen["errors"] == []
    assert page.evaluate("window.__csp") == []
    assert seen["requests"] == [html.as_uri()], seen["requests"]  # not even a data: image: no tiles, no icons
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
        assert page.inner_text("#yingji-map-time-label").startswith("T+0")
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
