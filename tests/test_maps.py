"""Maps render Chinese without missing glyphs, in PNG and SVG."""
from __future__ import annotations

import warnings

import pytest


def test_chinese_labels_render_without_missing_glyphs(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from network.fonts import use_cjk_font

    family = use_cjk_font()
    assert "CJK" in family or "SC" in family
    fig, ax = plt.subplots()
    ax.set_title("昌江区 应急避难场所 鲇鱼山镇 荷塘乡 −5")
    ax.text(0.5, 0.5, "受灾人员基本生活得到有效救助的时间 < 10 小时")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(tmp_path / "zh.png")
    plt.close(fig)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]
    assert missing == []


@pytest.mark.parametrize("lang, suffix", [("zh", ".png"), ("en", ".svg")])
def test_district_map_png_and_svg(district, tmp_path, lang, suffix):
    from network.basemap import render_map

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = render_map(district, tmp_path / f"map{suffix}", lang=lang, dpi=60)
    assert out.stat().st_size > 10_000
    assert not [w for w in caught if "Glyph" in str(w.message)]
    if suffix == ".svg":
        text = out.read_text(encoding="utf-8")
        assert text.lstrip().startswith("<?xml") and "<svg" in text
    else:
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
