"""The run's verdict with the scenario's other targets: the relief verdict
(:func:`sim.shortfall.verdict`) with one sentence for each other target the run misses —
warnings, flood deaths, forest-fire damage — and the figures that hold it down."""
from __future__ import annotations

from typing import Any

from sim.shortfall import verdict


_OPS = {">=": "≥", "<=": "≤", "<": "<"}


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
        zh.append(f"洪水死亡风险每百万人每年 {r['value']:.2f}，未达目标（{r['target']}）：本次洪水预计死亡 "
                  f"{kpis.get('expected_deaths') or 0:.0f} 人，水到时 {fd.get('people_home_when_flooded', 0):,} 人仍在家中。")
        en.append(f"Flood deaths {r['value']:.2f} per million residents a year miss the target ({r['target']}): "
                  f"{kpis.get('expected_deaths') or 0:.0f} expected deaths in this flood, "
                  f"{fd.get('people_home_when_flooded', 0):,} people still home when the water came.")
    r = _missed(rows, "forest_fire_damage_permille")
    if r is not None:
        zh.append(f"森林火灾受害率 {r['value']:.3f}‰，未达目标（{r['target']} ‰）。")
        en.append(f"The forest fire damage rate {r['value']:.3f} ‰ misses its target ({r['target']} ‰).")
    return verdict(kpis["relief_time"], kpis["shortfall"], (zh, en))
