"""The HTML reports in a real browser: Debian's headless Chromium driven by playwright.

Each report is opened from disk with the network cut off, screenshotted and checked: title,
indicator table, every image decoded, no console errors, no request but the file itself and
data: URIs, the hostile scenario name shown as text with no script run, and a PDF printed.
Without a browser the tests skip and say why; with ``CI`` set they fail instead.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from .browser import launch_browser, open_report
from .test_report import XSS, shared_reports


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    yield from launch_browser(tmp_path_factory)


@pytest.fixture(scope="module")
def reports(district, tmp_path_factory):
    shared = shared_reports(district, tmp_path_factory)
    return {"run": (shared["runs"][0], shared["run"]), "compare": (list(shared["runs"]), shared["compare"])}


def _check_common(seen: dict, html: Path, n_images: int, shot: Path, n_scripts: int = 0) -> None:
    page = seen["page"]
    assert len(seen["images"]) == n_images
    assert all(done and w > 0 and h > 0 for done, w, h in seen["images"]), seen["images"]
    assert [m for m in seen["console"] if m[0] == "error"] == [] and seen["errors"] == []
    assert all(u == html.as_uri() or u.startswith("data:") for u in seen["requests"]), seen["requests"]
    assert seen["dialogs"] == []
    assert page.evaluate("document.scripts.length") == n_scripts  # the run report's map: data block and two hashed scripts
    from PIL import Image

    with Image.open(shot) as im:
        assert im.width == 1280 and im.height > 2000  # the whole page, figures included
        lo, hi = im.convert("L").getextrema()
        assert hi - lo > 100  # not a blank page
    pdf = page.pdf(format="A4")
    assert pdf[:5] == b"%PDF-" and len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) > 1  # printed on several A4 pages


def test_run_report_renders_in_chromium(browser, reports, tmp_path):
    run, files = reports["run"]
    html = files["report.html"]
    shot = tmp_path / "run-report.png"
    seen = open_report(browser, html, shot)
    page = seen["page"]
    try:
        assert page.title() == f"{run.title_zh} — {XSS} · yingji"
        rows = page.locator("table.indicators tbody tr")
        assert rows.count() == len(run.kpis)
        assert page.locator("table.indicators").is_visible()
        first = rows.nth(0).inner_text()
        assert run.kpis[0]["en"] in first
        assert page.inner_text("code.scenario-name") == XSS
        assert page.inner_text("h1").startswith(run.title_zh)  # '<b>' stayed text, not markup
        assert page.locator("h1 b").count() == 0
        _check_common(seen, html, 4, shot, n_scripts=3)
    finally:
        seen["context"].close()


def test_compare_report_renders_in_chromium(browser, reports, tmp_path):
    from scenarios.reports.tables import display_labels

    runs, files = reports["compare"]
    html = files["report.html"]
    shot = tmp_path / "compare-report.png"
    seen = open_report(browser, html, shot)
    page = seen["page"]
    try:
        labels = display_labels(runs, "en")
        assert page.title() == f"Scenario comparison — {' vs '.join(labels)} · yingji"
        head = page.locator("table.indicators thead th").all_inner_texts()
        assert head[2:] == labels + [f"Δ {labels[1]}"]
        assert page.locator("table.indicators tbody tr").count() == len(runs[0].kpis)
        assert page.locator(".run-label").all_inner_texts() == labels
        # targets and code names stay whole: no wrapping inside a target, no breaking inside a word
        assert page.eval_on_selector("table.indicators td.target", "e => getComputedStyle(e).whiteSpace") == "nowrap"
        assert page.eval_on_selector("code.code", "e => getComputedStyle(e).wordBreak") == "keep-all"
        _check_common(seen, html, 2, shot, n_scripts=3)
    finally:
        seen["context"].close()
