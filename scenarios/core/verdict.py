"""The run's verdict with the scenario's other targets: the relief verdict
(:func:`sim.shortfall.verdict`) with one sentence for each other target the run misses —
warnings, flood deaths, forest-fire damage — and the figures that hold it down."""
from __future__ import annotations

from typing import Any

from scenarios.reports.numbers import rate
from sim.shortfall import verdict


_OPS = {">=": "≥", "<=": "≤", "<": "<"}


_METHOD_ZH = {"lookout": "瞭望塔", "camera": "视频监控", "patrol": "护林员巡护", "public": "群众报警",
              "himawari": "葵花卫星热点", "modis": "MODIS 卫星热点", "viirs": "VIIRS 卫星热点"}
_METHOD_EN = {"lookout": "a lookout tower", "camera": "a camera", "patrol": "a ranger patrol",
              "public": "a caller", "himawari": "a Himawari hotspot", "modis": "a MODIS hotspot",
              "viirs": "a VIIRS hotspot"}


def fire_causes(fires: list[dict[str, Any]]) -> tuple[str, str]:
    """What held each escaped fire: when it was reported and by what, when the first crew reached
    the line, and why the line did not close (Chinese, English)."""
    zh, en = [], []
    for f in fires:
        if f.get("contained") is not False:
            continue
        det, crew = f.get("detected_h"), f.get("first_crew_h")
        by = f.get("detected_by")
        if det is None:
            zh.append("火情在模拟结束前未被发现。")
            en.append(" Nobody reported the fire within the run.")
            continue
        found_zh = f"起火后 {det:.1f} 小时由{_METHOD_ZH[by]}发现" if by in _METHOD_ZH else "起火即被发现"
        found_en = f"Reported {det:.1f} h after ignition by {_METHOD_EN[by]}" if by in _METHOD_EN else \
            "Reported at ignition"
        zh.append(found_zh +
                  (f"，首支扑火力量 {crew:.1f} 小时到达火线" if crew is not None else "，无扑火力量到达火线") +
                  f"；失控原因：{f.get('escape_reason_zh', f.get('escape_reason', ''))}。")
        en.append(f" {found_en}, " +
                  (f"first crew on the line at {crew:.1f} h" if crew is not None else "no crew reached the line") +
                  f"; it escaped because {f.get('escape_reason', '')}.")
    return "".join(zh), "".join(en)


def _missed(rows: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    """The row of indicator ``key`` when the run misses its target, with ``target`` spelled for people."""
    r = next((r for r in rows if r["indicator"] == key and r["pass"] is False), None)
    if r is None:
        return None
    tv = r["target_value"]
    return {**r, "target": f"{_OPS[r['op']]} {tv:.0%}" if r["unit"] == "share" else f"{_OPS[r['op']]} {tv:g}"}


def with_targets(rows: list[dict[str, Any]], kpis: dict[str, Any]) -> dict[str, str]:
    """The run's verdict ({"zh", "en"}) with a sentence for each missed target other than relief.

    Parameters
    ----------
    rows
        The scenario's indicator rows (:func:`scenarios.core.runner.kpi_rows`).
    kpis
        The run's indicators.
    """
    zh, en = [], []
    r = _missed(rows, "warning_coverage")
    if r is not None:
        everyone = kpis["relief_time"]["affected_people"] + kpis.get("sheltered_in_place_people", 0)
        late = round((1.0 - r["value"]) * everyone)
        zh.append(f"预警覆盖率 {r['value']:.0%}，未达目标（{r['target']}）：{late:,} 名受影响人员在灾害到达前未收到预警。")
        en.append(f"Warning coverage {r['value']:.0%} misses its target ({r['target']}): {late:,} affected people "
                  "had no warning before the hazard reached them.")
    r = _missed(rows, "flood_deaths_per_million")
    if r is not None:
        fd = kpis.get("flood_deaths") or {}
        zh.append(f"洪水死亡风险每百万人每年 {rate(r['value'])}，未达目标（{r['target']}）：本次洪水预计死亡 "
                  f"{kpis.get('expected_deaths') or 0:.0f} 人，水到时 {fd.get('people_home_when_flooded', 0):,} 人仍在家中。")
        en.append(f"Flood deaths {rate(r['value'])} per million residents a year miss the target ({r['target']}): "
                  f"{kpis.get('expected_deaths') or 0:.0f} expected deaths in this flood, "
                  f"{fd.get('people_home_when_flooded', 0):,} people still home when the water came.")
    r = _missed(rows, "forest_fire_damage_permille")
    if r is not None:
        why_zh, why_en = fire_causes(kpis.get("forest_fires") or [])
        zh.append(f"森林火灾受害率 {r['value']:.3f}‰，未达目标（{r['target']} ‰）。" + why_zh)
        en.append(f"The forest fire damage rate {r['value']:.3f} ‰ misses its target ({r['target']} ‰)." + why_en)
    return verdict(kpis["relief_time"], kpis["shortfall"], (zh, en))
