"""What a report shows of a run's shortfall: the verdict, what ran out and when, the
unrelieved by cause and by township, the outside supplies, and the indicator's definition."""
from __future__ import annotations

from typing import Any

from network.plan import STOCK_ITEMS
from sim.shortfall import cause_names, item_names


def item_amounts(amounts: dict[str, float]) -> tuple[str, str]:
    """Relief items with their amounts as people read them, (zh, en): ``饮用水 60,000 L、食品 30,000 份``
    and ``drinking water 60,000 L, food rations 30,000`` ("—" for none)."""
    zh, en = [], []
    for k, v in amounts.items():
        name_zh, name_en = item_names(k)
        unit_zh, unit_en = STOCK_ITEMS[k][2:] if k in STOCK_ITEMS else ("", "")
        n = f"{v:,.0f}" if abs(v - round(v)) < 1e-9 else f"{v:,.1f}"
        zh.append(f"{name_zh} {n}{' ' + unit_zh if unit_zh else ''}")
        en.append(f"{name_en} {n}{' ' + unit_en if unit_en else ''}")
    return "、".join(zh) or "—", ", ".join(en) or "—"


def relief_definition(kpis: dict[str, Any]) -> dict[str, str]:
    """Who counts as affected and what counts as relieved, with this run's kit, in zh and en."""
    sup = kpis.get("supplies", {})
    kit = sup.get("needs_per_person", {})
    in_place = sup.get("needs_in_place", {})
    target = kpis.get("relief_time", {}).get("target_h", 10.0)

    kit_zh, kit_en = item_amounts(kit)
    ip_zh, ip_en = item_amounts(in_place)
    return {
        "zh": (f"受灾人员：灾害到达其所在路网节点（洪水达到受灾水深、火线或危化品 AEGL-2 浓度）的居民。"
               f"获得基本生活救助：在避难场所领到一人一日份的全部物资（{kit_zh}），或被困原地时由车辆送到"
               f"（{ip_zh}），或投亲靠友到达亲友处；时间自受灾起算，目标 {target:g} 小时。"
               "按指令就地避险（危化品毒气团）的人员留在家中、自备物资，计入预警和暴露指标，不计入救助指标。"
               "物资标准见 network/data/relief_standard.toml（Sphere 最低标准；未找到国内人均数量标准）。"),
        "en": (f"Affected: residents of a road node the hazard reaches (flood water at the affected depth, the fire, "
               f"or a chemical at AEGL-2). Relieved: handed one person's day of every item at a shelter ({kit_en}), "
               f"or brought to them where they are cut off ({ip_en}), or arrived at relatives or friends; "
               f"timed from when they were affected, target {target:g} h. People told to shelter in place from a "
               "toxic cloud stay at home with their own supplies: they count for warnings and exposure, not for "
               "relief. The standard is "
               "network/data/relief_standard.toml (Sphere minimums; no Chinese per-person quantity norm was found)."),
    }


def _num(v: float | None, unit: str = "") -> str:
    return "—" if v is None else f"{v:,.1f}{unit}"


def _causes(by_cause: dict[str, int]) -> tuple[str, str]:
    """People by cause, biggest first, in zh and en ("—" for none)."""
    return ("；".join(f"{cause_names(c)[0]} {n:,}" for c, n in by_cause.items()) or "—",
            "; ".join(f"{cause_names(c)[1]} {n:,}" for c, n in by_cause.items()) or "—")


def shortfall_context(kpis: dict[str, Any]) -> dict[str, Any] | None:
    """Rows for the report's "what holds relief down" section (None when the run has none)."""
    short = kpis.get("shortfall")
    if not short:
        return None
    causes = [{"zh": cause_names(c)[0], "en": cause_names(c)[1], "people": f"{n:,}"}
              for c, n in short["unrelieved_by_cause"].items()]
    resources = [{"zh": r["zh"], "en": r["en"], "ran_out": _num(r["ran_out_h"], " h"),
                  "held": f"{r['people_held_back']:,}"} for r in short["resources"]]
    towns = [{"zh": t["name_zh"], "en": t["name_en"], "affected": f"{t['affected']:,}",
              "unrelieved": f"{t['unrelieved']:,}", "causes_zh": _causes(t["unrelieved_by_cause"])[0],
              "causes": _causes(t["unrelieved_by_cause"])[1],
              "at_target": f"{sum(t.get('waiting_at_target_by_cause', {}).values()):,}",
              "at_target_causes_zh": _causes(t.get("waiting_at_target_by_cause", {}))[0],
              "at_target_causes": _causes(t.get("waiting_at_target_by_cause", {}))[1]}
             for t in short["by_township"]]
    sources = [{"zh": s["name_zh"], "en": s["name_en"], "triggered": _num(s["triggered_h"], " h"),
                "arrival": _num(s["first_arrival_h"], " h"),
                "delivered_zh": item_amounts(s["delivered"])[0], "delivered": item_amounts(s["delivered"])[1],
                "note": s["data_source"]} for s in short["supply_sources"]]
    craft = [{"zh": c["name_zh"], "en": c["name_en"], "kind": c["kind"], "count": c["count"], "trips": c["trips"],
              "kits": f"{c['kits_handed_out']:,}", "first": _num(c["first_delivery_h"], " h"), "note": c["data_source"]}
             for c in short.get("relief_craft", ())]
    held = [{"zh": t["zh"], "en": t["en"], "first": _num(t["first_h"], " h"), "escorting": _num(t["escorting_h"], " h"),
             "standby": _num(t["standby_h"], " h"), "handed_back": t["handed_back"]}
            for t in (short.get("teams_held") or {}).get("held", ())]
    return {"verdict": kpis.get("verdict") or {"zh": "", "en": ""}, "causes": causes, "resources": resources,
            "townships": towns, "sources": sources, "craft": craft, "teams_held": held, "unrelieved": f"{short['unrelieved_people']:,}",
            "late": f"{short['relieved_after_target_people']:,}",
            "relatives": f"{short['relieved_with_relatives_people']:,}",
            "sheltering": f"{short.get('sheltered_in_place_people', 0):,}"
            if short.get("sheltered_in_place_people") else "", "definition": relief_definition(kpis)}


def compare_shortfall(labels: list[str], kpis: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The compare report's "what holds relief down": each run's verdict, and the unrelieved
    by cause side by side (a cause one run lacks shows 0). None when no run has a shortfall."""
    shorts = [k.get("shortfall") for k in kpis]
    if not any(shorts):
        return None
    order: list[str] = []
    for sh in shorts:
        for c in (sh or {}).get("unrelieved_by_cause", {}):
            if c not in order:
                order.append(c)
    rows = [{"zh": cause_names(c)[0], "en": cause_names(c)[1], "total": False,
             "values": [f"{(sh or {}).get('unrelieved_by_cause', {}).get(c, 0):,}" if sh else "—" for sh in shorts]}
            for c in order]
    rows.append({"zh": "合计（模拟结束时未获救助）", "en": "total (not relieved by the end)", "total": True,
                 "values": [f"{sh['unrelieved_people']:,}" if sh else "—" for sh in shorts]})
    verdicts = [{"label": lab, **(k.get("verdict") or {"zh": "", "en": ""})} for lab, k in zip(labels, kpis)]
    return {"rows": rows, "verdicts": verdicts}
