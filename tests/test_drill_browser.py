"""The controller's handbook (drill.html) in a real browser: Debian's headless Chromium via playwright.

Opened from disk with the network cut off: title, one MSEL table per phase, every phase map
decoded, no console errors, no request but the file and data: URIs, a hostile scenario name
shown as text with no script run. Without a browser the test skips and says why; with ``CI``
set it fails instead.
"""
from __future__ import annotations

import pytest

from .browser import launch_browser, open_report

XSS = "<script>alert('drill')</script>"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    yield from launch_browser(tmp_path_factory)


def test_handbook_renders_in_chromium(browser, tmp_path):
    from scenarios.cli import main
    from scenarios.core.spec import builtin_text

    src = tmp_path / "hostile.toml"
    src.write_text(builtin_text("chlorine-night").replace('name = "chlorine-night"', f'name = "{XSS}"', 1), encoding="utf-8")
    out = tmp_path / "drill"
    assert main(["drill", str(src), "--difficulty", "normal", "--seed", "1", "--out", str(out), "-q"]) == 0
    html = out / "drill.html"
    shot = tmp_path / "drill.png"
    seen = open_report(browser, html, shot)
    page = seen["page"]
    try:
        assert XSS in page.title()
        assert page.inner_text("code.scenario-name") == XSS
        # the map's scripts only (data, Leaflet, the map): the hostile name ran nowhere
        assert page.evaluate("document.scripts.length") == 3 and seen["dialogs"] == []
        assert page.locator("#yingji-map .leaflet-overlay-pane path").count() > 0        # the map drew
        assert page.locator("section.phase").count() == 3
        assert page.locator("table.msel tbody tr").count() > 5
        imgs = seen["images"]
        assert len(imgs) == 3 and all(done and w > 0 and h > 0 for done, w, h in imgs), imgs
        assert [m for m in seen["console"] if m[0] == "error"] == [] and seen["errors"] == []
        assert all(u == html.as_uri() or u.startswith("data:") for u in seen["requests"]), seen["requests"]
        assert shot.stat().st_size > 10_000
    finally:
        seen["context"].close()
