"""The numbers of reports and terminal tables: formatted values, targets and differences, the
compare table, a run's headline figures and its plan at a glance."""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from network.errors import InputError
from network.plan import STOCK_ITEMS, TEAM_TYPE_NAMES, Plan
from scenarios.core.runner import ScenarioRun
from sim.result import RunResult

from . import numbers

_TARGET = re.compile(r"^\s*(>=|<=|<|>|==)\s*([-+0-9.eE]+)\s*$")
_OP_SIGN = {">=": "≥", "<=": "≤", "<": "<", ">": ">", "==": "="}


#: a finite float, or None (missing, NaN or infinite)
_num = numbers.finite


def format_value(value: Any, unit: str) -> str:
    """An indicator value for people (:func:`scenarios.reports.numbers.value`: shares as
    percentages, people as whole numbers, rates to 3 significant figures)."""
    return numbers.value(value, unit)


def format_diff(diff: float | None, unit: str) -> str:
    """A signed difference; shares in percentage points (:func:`scenarios.reports.numbers.diff`)."""
    return numbers.diff(diff, unit)


def _compact(v: float, unit: str) -> str:
    """A target's number as people write it: no trailing zeros (``100 %``, ``10 h``, ``0.9 ‰``)."""
    if unit == "share":
        return f"{v * 100:.4g} %"
    if unit == "people":
        return f"{v:,.0f}"
    return f"{v:g} {unit}".strip()


def format_target(target: Any, unit: str) -> str:
    """A target as a person reads it, the same in every table, chart and terminal: ``">= 1"``
    with unit "share" → ``"≥ 100 %"``, ``"<= 10"`` in hours → ``"≤ 10 h"``, ``"< 1"`` per million
    → ``"< 1 per million"``; anything unparsable is shown as it is."""
    m = _TARGET.match(str(target))
    if not m:
        return str(target)
    return f"{_OP_SIGN[m.group(1)]} {_compact(float(m.group(2)), unit)}"


def run_labels(runs: Sequence[ScenarioRun]) -> list[str]:
    """A unique label per run (``name [plan]``; repeats get ``#2``, ``#3``)."""
    labels, seen = [], {}
    for r in runs:
        base = f"{r.name} [{r.plan_label}]"
        seen[base] = seen.get(base, 0) + 1
        labels.append(base if seen[base] == 1 else f"{base} #{seen[base]}")
    return labels


#: plan labels of the built-in plans, as people call them (Chinese, English)
_PLAN_NAMES = {"existing": ("现有预案", "existing plan"), "optimized": ("优化预案", "optimized plan")}


def plan_name(plan_label: str, lang: str) -> str:
    """A run's plan as people call it: 现有预案 / existing plan, 优化预案 / optimized plan, or
    the plan file's name as it is."""
    names = _PLAN_NAMES.get(plan_label)
    return plan_label if names is None else names[0 if lang == "zh" else 1]


def display_labels(runs: Sequence[ScenarioRun], lang: str) -> list[str]:
    """A unique label per run for reports: the scenario's title in ``lang`` and the plan's name
    (``氯气夜间泄漏 · 优化预案``), never a code name or a ``builtin:`` source; repeats get
    ``#2``, ``#3``. :func:`run_labels` stays the key of tables and files."""
    labels, seen = [], {}
    for r in runs:
        title = (r.title_zh if lang == "zh" else r.title_en) or r.name
        base = f"{title} · {plan_name(r.plan_label, lang)}"
        seen[base] = seen.get(base, 0) + 1
        labels.append(base if seen[base] == 1 else f"{base} #{seen[base]}")
    return labels


def compare_table(runs: Sequence[ScenarioRun]) -> list[dict[str, Any]]:
    """Indicators side by side: one row per indicator with each run's value, target and
    pass/fail, and each later run's difference from the first (None where either is missing).

    Row keys: indicator, zh, en, unit, target (the first run's), targets, values, diff, pass,
    notes — the per-run ones are dicts keyed by :func:`run_labels`.
    """
    if not runs:
        raise InputError("compare: no runs given")
    labels = run_labels(runs)
    order: list[str] = []
    by_run: list[dict[str, dict]] = []
    for r in runs:
        rows = {row["indicator"]: row for row in r.kpis}
        by_run.append(rows)
        order += [k for k in rows if k not in order]
    first_label = labels[0]
    table = []
    for key in order:
        meta = next(rows[key] for rows in by_run if key in rows)
        values = {lab: (_num(rows[key]["value"]) if key in rows else None) for lab, rows in zip(labels, by_run)}
        base = values[first_label]
        table.append({
            "indicator": key, "zh": meta["zh"], "en": meta["en"], "unit": meta["unit"],
            "target": by_run[0][key]["target"] if key in by_run[0] else meta["target"],
            "targets": {lab: rows[key]["target"] for lab, rows in zip(labels, by_run) if key in rows},
            "values": values,
            "diff": {lab: (None if base is None or values[lab] is None else values[lab] - base) for lab in labels[1:]},
            "pass": {lab: (rows[key]["pass"] if key in rows else None) for lab, rows in zip(labels, by_run)},
            "notes": {lab: rows[key].get("note", "") for lab, rows in zip(labels, by_run) if key in rows},
        })
    return table


def key_numbers(result: RunResult) -> list[dict[str, str]]:
    """The headline figures of a run: people affected and relieved, shelters, rescue, teams."""
    k = result.kpis
    rt = k.get("relief_time", {})
    resp = k.get("response_time", {})
    out = []

    def add(zh: str, en: str, text: str) -> None:
        out.append({"zh": zh, "en": en, "value": text})

    affected = _num(rt.get("affected_people"))
    add("受灾人数", "people affected", format_value(affected, "people"))
    within = _num(rt.get("share_within_target"))
    target_h = _num(rt.get("target_h")) or 10.0
    add(f"{target_h:g} h 内获得基本生活救助", f"relieved within {target_h:g} h", format_value(within, "share"))
    add("模拟结束时仍未获救助", "not relieved by the end", format_value(rt.get("unrelieved_people"), "people"))
    if "relieved_in_place_people" in k:  # results that model kits taken to people who stay home
        add("就地获得救助", "relieved in place", format_value(k["relieved_in_place_people"], "people"))
    if "cut_off_people" in k:
        add("无法到达有空位的避难场所、尚未获救助", "cut off from shelters with room, not relieved",
            format_value(k["cut_off_people"], "people"))
    add("预警覆盖率", "warning coverage", format_value(k.get("warning_coverage"), "share"))
    peak, cap = _num(k.get("shelter_peak_occupancy")), _num(k.get("shelter_capacity"))
    add("避难场所峰值安置 / 容量", "shelter peak / capacity",
        f"{format_value(peak, 'people')} / {format_value(cap, 'people')}")
    served, req = _num(resp.get("served")), _num(resp.get("requests"))
    add("救援请求（已到场 / 总数）", "rescue requests (reached / all)",
        f"{format_value(served, 'people')} / {format_value(req, 'people')}")
    mean = _num(resp.get("mean_min"))
    add("平均响应时间", "mean response time", numbers.minutes(mean))
    util = _num(k.get("team_utilisation", {}).get("all"))
    add("队伍平均利用率", "mean team utilisation", format_value(util, "share"))
    add("致死区域暴露人数", "people exposed in lethal zones", format_value(k.get("exposure_people"), "people"))
    deaths = _num(k.get("expected_deaths"))
    if deaths is not None:
        add("本次洪水期望死亡人数", "expected deaths in this flood", f"{deaths:.2f}")
        add("洪涝年均期望死亡率 (每百万人)", "expected annual flood deaths per million",
            numbers.rate(k.get("expected_annual_deaths_per_million")))
    fire = _num(k.get("forest_fire_damage_permille"))
    if fire is not None:
        add("森林火灾受害率", "forest fire damage rate", format_value(fire, "‰"))
    return out


def _stock_name(item: str, lang: int) -> str:
    """``饮用水 (L)`` / ``drinking water (L)``: a relief item with its unit (the key when unknown)."""
    if item not in STOCK_ITEMS:
        return item
    name, unit = STOCK_ITEMS[item][lang], STOCK_ITEMS[item][2 + lang]
    return f"{name} ({unit})" if unit else name


def plan_summary(plan: Plan) -> dict[str, Any]:
    """Counts and lists of the plan's team bases, warehouses and shelters for the report."""
    bases = []
    for b in plan.team_bases:
        teams = [{"zh": TEAM_TYPE_NAMES.get(t.type, (t.type, t.type))[0],
                  "en": TEAM_TYPE_NAMES.get(t.type, (t.type, t.type))[1], "people": int(t.people)} for t in b.teams]
        bases.append({"id": b.id, "zh": b.name_zh, "en": b.name_en, "teams": teams})
    warehouses = []
    for w in plan.warehouses:
        stock = [{"zh": _stock_name(k, 0), "en": _stock_name(k, 1), "amount": f"{float(v):,.0f}"}
                 for k, v in w.stock.items()]
        warehouses.append({"id": w.id, "zh": w.name_zh, "en": w.name_en, "stock": stock})
    shelters = [{"id": s.id, "zh": s.name_zh, "en": s.name_en, "capacity": f"{int(s.capacity):,}",
                 "existing": s.existing} for s in plan.shelters]
    people = sum(t["people"] for b in bases for t in b["teams"])
    return {
        "name": plan.name, "bases": bases, "warehouses": warehouses, "shelters": shelters,
        "team_people": f"{people:,}", "shelter_capacity": f"{plan.shelter_capacity:,}",
        "new_shelters": sum(1 for s in shelters if not s["existing"]),
        "assignments": len(plan.demand_shelter),
    }


def indicator_rows(kpis: Sequence[dict]) -> list[dict[str, Any]]:
    """Indicator rows formatted for the report."""
    return [{"zh": r["zh"], "en": r["en"], "value": format_value(r.get("value"), r.get("unit", "")),
             "target": format_target(r.get("target", ""), r.get("unit", "")), "pass": r.get("pass"),
             "note": r.get("note", "") or ""} for r in kpis]


