"""Shared by the browser tests: Debian's headless Chromium driven by playwright.

Without a browser the tests skip and say why; with ``CI`` set they fail instead (CI installs
chromium in .ci/run, so there the check must really run).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def no_browser_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install '.[test]')"
    if not CHROMIUM.exists():
        return f"no browser: {CHROMIUM} is missing (Debian: apt-get install chromium; .ci/run installs it)"
    return None


def fontconfig(folder: Path) -> Path:
    """A fontconfig file that adds the CJK fonts yingji already depends on (mplfonts), so the
    screenshot shows Chinese on a machine without system CJK fonts; the report embeds no font."""
    import mplfonts

    fonts = Path(mplfonts.__file__).parent / "fonts"
    conf = folder / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <dir>{fonts}</dir>\n  <cachedir>{folder / 'fc-cache'}</cachedir>\n</fontconfig>\n",
        encoding="utf-8")
    return conf


def open_page(browser, html: Path, *, init_script: str | None = None) -> dict:
    """Open ``html`` offline with console messages, page errors, requests and dialogs recorded
    (``init_script`` runs before the page's own scripts, e.g. a CSP-refusal probe)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    page = context.new_page()
    if init_script:
        page.add_init_script(init_script)
    seen: dict = {"console": [], "errors": [], "requests": [], "dialogs": [], "page": page, "context": context}
    page.on("console", lambda m: seen["console"].append((m.type, m.text)))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("request", lambda r: seen["requests"].append(r.url))

    def dialog(d):
        seen["dialogs"].append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.goto(html.as_uri(), wait_until="load")
    return seen


def open_report(browser, html: Path, shot: Path) -> dict:
    """:func:`open_page`, then the images' load states and a full-page screenshot in ``shot``."""
    seen = open_page(browser, html)
    page = seen["page"]
    seen["images"] = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight])")
    page.screenshot(path=str(shot), full_page=True)
    return seen


def launch_browser(tmp_path_factory):
    reason = no_browser_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so the browser test must run: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    conf = fontconfig(tmp_path_factory.mktemp("fonts"))
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS,
                              env={**os.environ, "FONTCONFIG_FILE": str(conf)})
        yield b
        b.close()
