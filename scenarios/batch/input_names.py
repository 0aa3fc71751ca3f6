"""Names for people of the uncertain inputs a batch draws (``[uncertain."hazards.flood.return_period_years"]``):
what the batch report's driver chart and tables show instead of TOML paths."""
from __future__ import annotations

import re

from network.checks import language

#: TOML path of an uncertain input → (Chinese, English) name with its unit
INPUT_NAMES: dict[str, tuple[str, str]] = {
    "hazards.flood.return_period_years": ("洪水重现期（年）", "flood return period (years)"),
    "hazards.flood.peak_h": ("洪峰出现时间（h）", "time of the flood peak (h)"),
    "hazards.flood.dike_crest_offset_m": ("堤顶高程调整（m）", "dike crest offset (m)"),
    "hazards.road_damage.closed_share": ("道路损毁中断比例", "share of roads closed by damage"),
    "hazards.chemical.rate_kg_s": ("泄漏速率（kg/s）", "release rate (kg/s)"),
    "hazards.chemical.duration_min": ("泄漏持续时间（min）", "release duration (min)"),
    "hazards.chemical.wind_speed_m_s": ("泄漏时风速（m/s）", "wind speed at the release (m/s)"),
    "hazards.chemical.wind_from_deg": ("泄漏时风向（°，来向）", "wind direction at the release (° from)"),
    "hazards.fire.wind_speed_m_s": ("林火风速（m/s）", "wind speed at the fire (m/s)"),
    "hazards.fire.wind_from_deg": ("林火风向（°，来向）", "wind direction at the fire (° from)"),
    "resources.team_share": ("救援人员到岗比例", "share of rescuers who report"),
    "resources.supply_lead_time_factor": ("外部物资到达时间倍数", "outside supplies' lead-time factor"),
    "resources.supply_capacity_factor": ("外部物资日供应能力倍数", "outside supplies' daily-capacity factor"),
    "resources.unavailable": ("失效设施数量", "facilities out of action"),
    "resources.open_shelters": ("增开避难场所数量", "extra shelters opened"),
}

#: a path's unit suffix → the unit written after a humanised name (longest first)
_UNITS = (("_m_s", "m/s"), ("_kg_s", "kg/s"), ("_deg", "°"), ("_years", "years"), ("_min", "min"), ("_h", "h"),
          ("_km", "km"), ("_m", "m"), ("_s", "s"))
_COUNT = " (count)"


def humanise(path: str) -> str:
    """A path nobody named, as words: its last two parts, underscores as spaces, the unit in
    brackets (``hazards.flood.crest_m`` → ``flood crest (m)``)."""
    parts = [p for p in path.split(".") if p][-2:] or [path]
    unit = None
    for suffix, u in _UNITS:
        if parts[-1].endswith(suffix) and len(parts[-1]) > len(suffix):
            parts[-1], unit = parts[-1][: -len(suffix)], u
            break
    words = re.sub(r"[_\s]+", " ", " ".join(parts)).strip()
    return f"{words} ({unit})" if unit else words


def input_name(path: str, lang: str) -> str:
    """The name of an uncertain input (a driver row's ``input``: a path, or ``path (count)`` for a
    list drawn by how many it holds) in ``lang``; unknown paths are humanised."""
    i = 0 if language(lang) == "zh" else 1
    count = path.endswith(_COUNT)
    bare = path[: -len(_COUNT)] if count else path
    if bare in INPUT_NAMES:
        return INPUT_NAMES[bare][i]      # the lists named there read as counts already
    name = humanise(bare)
    if not count:
        return name
    return f"{name}（数量）" if i == 0 else f"{name} (count)"
