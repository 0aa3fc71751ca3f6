"""A CJK font for matplotlib that works on a fresh machine.

The project depends on ``mplfonts``, which ships Noto Sans CJK SC (SIL Open Font License).
:func:`use_cjk_font` registers it with matplotlib once and puts it first in the sans-serif
list, so Chinese place names render instead of empty boxes.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from matplotlib import font_manager, rcParams

try:
    import mplfonts
except ImportError:  # a broken install can still use a CJK font the system has
    mplfonts = None

#: family names tried in order; the first that matplotlib can find is used
_PREFERRED = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "SimHei")


def _bundled_font_files() -> list[Path]:
    """The Noto Sans CJK font files that mplfonts ships (none when it is missing)."""
    if mplfonts is None:
        return []
    folder = Path(mplfonts.__file__).parent / "fonts"
    return sorted(folder.glob("NotoSansCJK*.otf")) + sorted(folder.glob("NotoSansMonoCJK*.otf"))


def noto_cjk_regular() -> Path:
    """The Noto Sans CJK SC Regular file that mplfonts ships (embedded, subset, in HTML reports)."""
    if mplfonts is None:
        raise RuntimeError("mplfonts is not installed: reinstall yingji (it ships Noto Sans CJK SC)")
    return Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"


@lru_cache(maxsize=1)
def use_cjk_font() -> str:
    """Register a CJK font with matplotlib and make it the default; returns its family name.

    Raises ``RuntimeError`` if no CJK font can be found (the install is incomplete).
    """
    for path in _bundled_font_files():
        font_manager.fontManager.addfont(str(path))
    available = {f.name for f in font_manager.fontManager.ttflist}
    for family in _PREFERRED:
        if family in available:
            rcParams["font.sans-serif"] = [family] + [f for f in rcParams["font.sans-serif"] if f != family]
            rcParams["font.family"] = "sans-serif"
            rcParams["axes.unicode_minus"] = False  # the CJK font lacks U+2212
            return family
    raise RuntimeError(
        "no CJK font found for matplotlib: reinstall yingji (it depends on 'mplfonts', which ships Noto Sans CJK SC)"
    )
