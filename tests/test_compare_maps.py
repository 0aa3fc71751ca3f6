"""The compare report's maps read like the run report's: the flood's depth bands, the threat zones
and the burned area in one hazard legend shared by all maps (they share their scales)."""
from __future__ import annotations

import pytest

#: a short 100-year flood on the quick-look fill engine
FLOOD_TOML = '''
name = "flood"
title_zh = "洪水"
title_en = "flood"
[hazards.flood]
return_period_years = 100
peak_h = 6
engine = "fill"
[simulation]
duration_h = 12
'''
FIRE_TOML = '''
name = "fire"
title_zh = "林火"
title_en = "fire"
[hazards.fire]
wind_speed_m_s = 8
[simulation]
duration_h = 6
'''


def _run(toml: str, district):
    from scenarios.core.runner import run_scenario
    from scenarios.core.spec import parse_scenario

    return run_scenario(parse_scenario(toml, "test-scenario.toml"), district=district)


def _legends(ax) -> list:
    return [c for c in ax.get_children() if type(c).__name__ == "Legend"]


def test_band_entries_follow_the_field_style():
    from network.hazard import FieldStyle
    from scenarios.reports.figures import band_handles

    flood = FieldStyle("洪水淹没水深 (m)", "flood depth (m)", cmap="Blues", threshold=0.01, cap=5.0,
                       bands=(0.5, 1.5, 3.0))
    assert [h.get_label() for h in band_handles(flood, "en")] == [
        "flood depth (m)", "0.01–0.5 m", "0.5–1.5 m", "1.5–3 m", "≥ 3 m"]
    assert band_handles(flood, "zh")[0].get_label() == "洪水淹没水深 (m)"
    aegl = FieldStyle("地面浓度 (ppm)，按 AEGL 分级", "ground concentration (ppm) in AEGL bands", cmap="YlOrRd",
                      threshold=0.5, bands=(2.0, 20.0))
    assert [h.get_label() for h in band_handles(aegl, "zh")][1:] == ["0.5–2 ppm", "2–20 ppm", "≥ 20 ppm"]


def test_compare_maps_share_one_hazard_legend_with_the_depth_bands(district):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from scenarios.reports.figures import compare_maps_figure

    flood, fire = _run(FLOOD_TOML, district), _run(FIRE_TOML, district)
    fig = compare_maps_figure([(name, r.district, r.hazards, r.plan, r.result)
                               for name, r in (("flood", flood), ("fire", fire))], lang="en")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    legends = {lg.get_title().get_text(): [t.get_text() for t in lg.get_texts()] for lg in fig.legends}
    hazard = legends["hazard"]
    assert {"flood depth (m)", "0.01–0.5 m", "0.5–1.5 m", "1.5–3 m", "≥ 3 m"} <= set(hazard)
    assert "burned area" in hazard                       # the fire's layer, without one run's hectares
    # the bands are drawn in the colours of the map's own bands
    flood_ax, fire_ax = [ax for ax in fig.axes if ax.get_visible()]
    im = next(i for i in flood_ax.get_images() if getattr(i, "yingji_bands", None))
    lg = next(lg for lg in fig.legends if lg.get_title().get_text() == "hazard")
    swatch = {t.get_text(): h for t, h in zip(lg.get_texts(), lg.legend_handles)}
    drawn = im.cmap(im.norm(1.0))                         # 1 m: the 0.5–1.5 m band
    assert swatch["0.5–1.5 m"].get_facecolor()[:3] == pytest.approx(drawn[:3])
    # no map keeps a legend of its own for the flood; the fire's map keeps its burned hectares
    assert not _legends(flood_ax)
    own = [t.get_text() for lg in _legends(fire_ax) for t in lg.get_texts()]
    assert own and all(t.endswith(" ha") for t in own) and any(t.startswith("burned area ") for t in own)
    # the three legends under the maps stay clear of each other
    renderer = canvas.get_renderer()
    boxes = [lg.get_window_extent(renderer) for lg in fig.legends]
    assert len(boxes) == 3
    assert not [(i, j) for i in range(3) for j in range(i + 1, 3) if boxes[i].overlaps(boxes[j])]


def test_one_hazard_on_several_maps_is_one_column_of_the_legend():
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from scenarios.reports.figures import _merge_group

    groups: list = []
    _merge_group(groups, [Patch(label="AEGL-2"), Patch(label="AEGL-3"), Line2D([], [], label="release")])
    _merge_group(groups, [Patch(label="AEGL-1"), Patch(label="AEGL-2"), Line2D([], [], label="release")])
    _merge_group(groups, [Patch(label="ammonia AEGL-1"), Line2D([], [], label="release")])  # another plume
    assert [[h.get_label() for h in g] for g in groups] == [["AEGL-1", "AEGL-2", "AEGL-3", "release"],
                                                            ["ammonia AEGL-1", "release"]]
