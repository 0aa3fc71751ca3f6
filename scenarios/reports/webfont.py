"""Embed the Chinese glyphs a report uses, so it reads the same on a machine without a CJK font.

The figures carry their own font (matplotlib draws the glyphs); HTML text is drawn by the
browser from the viewer's fonts, and a bare Linux install has no Chinese one. So each report
embeds a subset of Noto Sans CJK SC — the font the ``mplfonts`` dependency ships (SIL Open Font
License 1.1) — holding only the characters on that page, as a WOFF data URI (about 100 KB for a
run report). No network access is needed and the page's Content Security Policy allows exactly
``font-src data:``.
"""
from __future__ import annotations

import base64
import io

from fontTools import subset
from fontTools.ttLib import TTFont

from network.fonts import noto_cjk_regular

__all__ = ["FONT_FAMILY", "embed_cjk_font"]

#: the family the report templates name first; the embedded subset answers to it
FONT_FAMILY = "Noto Sans CJK SC"


def _subset_woff(chars: str) -> bytes:
    """A WOFF font holding only the glyphs of ``chars``."""
    opts = subset.Options()
    opts.flavor = "woff"
    opts.layout_features = ["*"]
    font = TTFont(noto_cjk_regular(), lazy=True)
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=sorted({ord(c) for c in chars}))
    sub.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


def embed_cjk_font(html: str) -> str:
    """``html`` with an ``@font-face`` (before ``</head>``) holding the glyphs of its non-ASCII
    characters; the CSP meta, if any, gains ``font-src data:``. Pages with only ASCII are
    returned unchanged."""
    chars = "".join(sorted({c for c in html if ord(c) > 127 and not c.isspace()}))
    if not chars or "</head>" not in html:
        return html
    data = base64.b64encode(_subset_woff(chars)).decode("ascii")
    face = (f'<style>@font-face {{ font-family: "{FONT_FAMILY}"; font-style: normal; font-weight: 400 700; '
            f'src: url(data:font/woff;base64,{data}) format("woff"); }}</style>\n')
    html = html.replace("img-src data:;", "img-src data:; font-src data:;", 1)
    return html.replace("</head>", face + "</head>", 1)
