"""What holds relief down: the resources that ran out, the unrelieved people by cause and by
township, and a plain-language verdict in Chinese and English.

Every affected person not relieved by the end of the run has exactly one cause, read from
where they are and what they wait for:

- in a shelter: the first item of their kit the district has run out of (``no_water_l``,
  ``no_food_rations``, ...), else ``not_delivered`` (the district still has it: trucks or roads);
- ``no_shelter_place``: every shelter with room is full (stranded);
- ``cut_off``: no shelter can be reached by road, and no kit reached them where they are (or
  the in-place kit's item ran out: ``no_<item>``);
- ``waiting_for_boat``: cut off, a shelter with room can be reached by water, and the boat
  crews have not come yet;
- ``upstairs``: cut off at home by flood water, they stay upstairs (multi-storey housing) and
  no kit reached them yet;
- ``waiting_for_rescue``: they cannot leave alone and no team has come yet;
- ``rescue_cut_off``: they cannot leave alone and no team that goes by road can reach them
  from its base: only a boat crew can take them out;
- ``on_the_way``: travelling to a shelter; ``not_evacuated``: still at home (unwarned, or
  getting ready).

So the causes sum exactly to the unrelieved count, overall and per township. The same causes
are read at each group's relief deadline (affected + target, at the first hazard step on or
after it) for the people not relieved by then: ``waiting_at_target_by_cause`` says what held
down the target itself, including the people relieved later in the run. People told to
shelter in place from a toxic cloud stay at home with their own supplies: they are not in the
relief indicator (they count for warnings and exposure).
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Any

from network.plan import STOCK_ITEMS
from network.relief_standard import DEFAULT_STANDARD

#: cause -> (zh, en)
CAUSES: dict[str, tuple[str, str]] = {
    "no_shelter_place": ("无避难场所位置", "no shelter place"),
    "not_delivered": ("物资未送达（车辆或道路）", "supplies not delivered (trucks or roads)"),
    "cut_off": ("道路中断、无法到达", "cut off by the hazard"),
    "waiting_for_rescue": ("等待救援队伍", "waiting for a rescue team"),
    "rescue_cut_off": ("无法自行转移且道路中断，只有舟艇队伍能到达", "cannot leave alone, cut off: only a boat crew can reach them"),
    "waiting_for_boat": ("被困、等待舟艇转移", "cut off, waiting for a boat"),
    "upstairs": ("楼上避险、等待物资送达", "sheltering upstairs, waiting for supplies"),
    "on_the_way": ("转移途中", "on the way to a shelter"),
    "not_evacuated": ("尚未撤离（未收到预警或正在准备）", "not yet evacuated (unwarned or getting ready)"),
    "sheltering_in_place": ("室内避险，之后才由队伍转移", "sheltering indoors, taken out by a team only later"),
}


def item_names(item: str) -> tuple[str, str]:
    """An item's (zh, en) name from the relief standard or the stock catalogue."""
    it = DEFAULT_STANDARD.item(item)
    if it is not None:
        return it.name_zh, it.name_en
    zh, en, *_ = STOCK_ITEMS.get(item, (item, item, "", ""))
    return zh, en


def cause_names(cause: str) -> tuple[str, str]:
    """A cause's (zh, en) label (``no_<item>`` causes are named after the item)."""
    if cause in CAUSES:
        return CAUSES[cause]
    if cause.startswith("no_"):
        zh, en = item_names(cause[3:])
        return f"缺{zh}", f"no {en}"
    return cause, cause


def _h(t: float) -> float | None:
    return round(t / 3600.0, 2) if t is not None and math.isfinite(t) else None


def _short_item(sim, kit: dict[str, float], stock: dict[str, float] | None) -> str | None:
    """The kit item the district ran out of first (and still lacks), if any."""
    sup = sim.supplies
    out = []
    for order, (k, per) in enumerate(kit.items()):
        if stock is not None and stock.get(k, 0.0) >= per - 1e-9:
            continue  # the shelter has it: not what they wait for
        left = sum(w.stock.get(k, 0.0) for w in sim.warehouses)
        if k in sup.ran_out_s and left < per - 1e-9:
            out.append((sup.ran_out_s[k], order, k))  # ties (a kit's items together): the standard's order
    return f"no_{min(out)[2]}" if out else None


def party_cause(sim, q) -> str:
    """The one cause that keeps party ``q``'s unrelieved people waiting (see the module notes)."""
    sup = sim.supplies
    if q.state == "sheltered":
        s = sim.shelters[q.shelter]
        return _short_item(sim, sup.needs, s.stock) or "not_delivered"
    if q.state == "stranded":
        return "no_shelter_place"
    if q.state == "waiting_help":
        reach = sim.road_team_reach()
        return "waiting_for_rescue" if reach[q.node] else "rescue_cut_off"
    if q.state == "evacuating":
        return "on_the_way"
    if q.cut_off and q.boat_called:
        return "waiting_for_boat"
    if q.cut_off and q.upstairs:
        return _short_item(sim, sup.needs_in_place, None) or "upstairs"
    if q.cut_off:
        return _short_item(sim, sup.needs_in_place, None) or "cut_off"
    return "not_evacuated"


def _waiting_at_deadline(sim) -> tuple[Counter[str], dict[int, Counter[str]]]:
    """The people not relieved by their group's deadline, by cause, overall and by township,
    from the engine's reads at each deadline. People sheltering in place then and taken out by
    a team later (the parties split off them) count as ``sheltering_in_place``; those still
    indoors at the end are left out, as they are of the relief indicator."""
    total: Counter[str] = Counter()
    by_zone: dict[int, Counter[str]] = {}
    for g, deadline, causes in getattr(sim, "deadline_reads", ()):
        late = sum(max(0, q.people - sum(n for tr, n in q.relief if tr <= deadline))
                   for q in g.parties if not q.sheltering)
        row = Counter(causes)
        if late > sum(causes.values()):
            row["sheltering_in_place"] += late - sum(causes.values())
        total.update(row)
        by_zone.setdefault(int(sim.net.zone[g.node]), Counter()).update(row)
    return total, by_zone


def shortfall(sim, target_h: float) -> dict[str, Any]:
    """The ``shortfall`` section of a run's indicators: resources, causes, townships, sources.

    Parameters
    ----------
    sim
        A finished :class:`sim.engine.Simulation` (read through :class:`sim.measure.FinishedRun`).
    target_h
        The relief target (h), to count the people relieved after it.
    """
    causes: Counter[str] = Counter()
    by_zone: dict[int, dict[str, Any]] = {}
    late = staying = 0
    net = sim.net
    for g in sim.groups.values():
        if not math.isfinite(g.affected_s):
            continue
        z = int(net.zone[g.node])
        row = by_zone.setdefault(z, {"affected": 0, "relieved": 0, "causes": Counter()})
        row["affected"] += g.people
        for q in g.parties:
            if q.sheltering:  # indoors at home, not displaced: not in the relief indicator
                row["affected"] -= q.people
                staying += q.people
                continue
            row["relieved"] += q.relieved
            late += sum(n for t, n in q.relief if t - g.affected_s > target_h * 3600.0)
            left = q.people - q.relieved
            if left > 0:
                c = party_cause(sim, q)
                causes[c] += left
                row["causes"][c] += left
    sup = sim.supplies
    first_stranded = min((q.state_s.get("stranded", math.inf) for q in sim.parties), default=math.inf)
    first_cut = min((q.cut_off_s for q in sim.parties if not math.isnan(q.cut_off_s)), default=math.inf)
    waited = {kind: min((r.created_s for r in sim.dispatcher.requests
                         if r.kind in kinds and not (r.assigned_s <= r.created_s)), default=math.inf)
              for kind, kinds in (("teams", ("trapped", "casualty", "assist")), ("boats", ("evacuate",)))}
    resources = [{"resource": "shelter_places", "ran_out_h": _h(first_stranded),
                  "people_held_back": causes["no_shelter_place"]}]
    for k in {**sup.needs, **sup.needs_in_place}:
        resources.append({"resource": k, "ran_out_h": _h(sup.ran_out_s.get(k, math.inf)),
                          "people_held_back": causes[f"no_{k}"]})
    resources += [
        {"resource": "trucks", "ran_out_h": _h(sup.trucks_saturated_s), "people_held_back": causes["not_delivered"]},
        {"resource": "rescue_teams", "ran_out_h": _h(waited["teams"]),
         "people_held_back": causes["waiting_for_rescue"]},
        {"resource": "boats", "ran_out_h": _h(waited["boats"]),
         "people_held_back": causes["waiting_for_boat"] + causes["rescue_cut_off"]},
        {"resource": "roads", "ran_out_h": _h(first_cut), "people_held_back": causes["cut_off"] + causes["upstairs"]},
    ]
    for r in resources:
        r["zh"], r["en"] = resource_names(r["resource"])
    names = getattr(net, "zone_names", ()) or ()
    at_target, late_by_zone = _waiting_at_deadline(sim)
    townships = []
    for z in sorted(by_zone):
        row = by_zone[z]
        zh, en = names[z] if 0 <= z < len(names) else ("区外", "outside the townships")
        townships.append({"zone": z, "name_zh": zh, "name_en": en, "affected": row["affected"],
                          "relieved": row["relieved"], "unrelieved": row["affected"] - row["relieved"],
                          "unrelieved_by_cause": dict(row["causes"].most_common()),
                          "waiting_at_target_by_cause": dict(late_by_zone.get(z, Counter()).most_common())})
    return {"resources": resources, "unrelieved_by_cause": dict(causes.most_common()),
            "unrelieved_people": sum(causes.values()), "relieved_after_target_people": late,
            "waiting_at_target_by_cause": dict(at_target.most_common()),
            "waiting_at_target_people": sum(at_target.values()),
            "relieved_with_relatives_people": sum(q.relieved for q in sim.parties if q.hosted),
            "sheltered_in_place_people": staying,
            "by_township": townships, "supply_sources": sim.resupply.summary(), "teams_held": team_holdups(sim),
            "relief_craft": sup.craft.summary() if sup.craft is not None else []}


def team_holdups(sim) -> dict[str, Any]:
    """How the hazard held the rescue teams: each team held an hour or more (``held``, longest
    first) with its hours ``escorting_h`` (waiting with the people it escorts for a boat or a
    road), ``standby_h`` (cut off from its base, available where it stood) and jobs
    ``handed_back`` (the water closed every road to them on the way); ``teams`` in all."""
    end = sim.p.duration_h * 3600.0
    held = []
    for t in sim.teams:
        spans = {"blocked": 0.0, "standby": 0.0}
        first = math.inf
        for a in t.activity(end):
            if a["kind"] in spans:
                spans[a["kind"]] += a["end_s"] - a["start_s"]
                first = min(first, a["start_s"])
        if spans["blocked"] + spans["standby"] < 3600.0 and not t.turned_back:
            continue
        zh, en = sim.plan.squad_names(t.id)
        held.append({"team": t.id, "zh": zh, "en": en, "escorting_h": round(spans["blocked"] / 3600.0, 2),
                     "standby_h": round(spans["standby"] / 3600.0, 2), "handed_back": t.turned_back,
                     "first_h": _h(first)})
    held.sort(key=lambda r: (-(r["escorting_h"] + r["standby_h"]), r["team"]))
    return {"teams": len(sim.teams), "held": held}


def resource_names(resource: str) -> tuple[str, str]:
    """A resource's (zh, en) name."""
    fixed = {"shelter_places": ("避难场所位置", "shelter places"), "trucks": ("运输车辆", "trucks"),
             "rescue_teams": ("救援队伍", "rescue teams"),
             "boats": ("水上救援舟艇", "rescue boats"),
             "roads": ("道路通行", "roads")}
    return fixed.get(resource) or item_names(resource)


#: the resource each non-item cause waits on, and how the verdict says it
_CAUSE_RESOURCE = {"not_delivered": "trucks", "waiting_for_rescue": "rescue_teams", "cut_off": "roads", "upstairs": "roads",
                   "waiting_for_boat": "boats", "rescue_cut_off": "boats"}
_PHRASES = {
    "cut_off": ("{n} 人因道路中断无法转移，物资也未送达", "{n} people are cut off by the hazard and no supplies reached them"),
    "waiting_for_rescue": ("{n} 名无法自行转移的人员仍在等待救援队伍", "{n} people who cannot leave alone still wait for a rescue team"),
    "upstairs": ("{n} 人在楼上避险，物资尚未送达", "{n} people sheltering upstairs have had no supplies yet"),
    "waiting_for_boat": ("{n} 名被困人员等待舟艇转移", "{n} cut-off people wait for a boat to take them out"),
    "rescue_cut_off": ("{n} 名无法自行转移的人员被道路中断围困，只有舟艇队伍能到达",
                       "{n} people who cannot leave alone are cut off where no road team can reach them: they wait for a boat crew"),
    "not_delivered": ("{n} 名避难场所内人员等待物资送达", "{n} people in shelters wait for deliveries"),
    "on_the_way": ("{n} 人仍在转移途中", "{n} people are still on the way to a shelter"),
    "not_evacuated": ("{n} 人仍在家中（未收到预警或正在准备）", "{n} people are still at home (unwarned or getting ready)"),
}


def _fmt_h(t: float) -> str:
    return f"{t:.1f}"


def _teams_sentence(teams: dict[str, Any] | None) -> tuple[list[str], list[str]]:
    """What cut roads did to the rescue teams, in a sentence (none when they held none)."""
    held = (teams or {}).get("held") or []
    if not held:
        return [], []
    escort = [r for r in held if r["escorting_h"] >= 1.0]
    standby = [r for r in held if r["standby_h"] >= 1.0]
    back = sum(r["handed_back"] for r in held)
    zh, en = [], []
    if escort:
        top = max(escort, key=lambda r: r["escorting_h"])
        zh.append(f"{len(escort)} 支护送群众途中道路中断，随群众等待舟艇或道路共 {_fmt_h(sum(r['escorting_h'] for r in escort))} "
                  f"队·小时（最长：{top['zh']}，{_fmt_h(top['escorting_h'])} 小时）")
        en.append(f"cut roads held {len(escort)} with the people they escorted, waiting for a boat or a road, "
                  f"{_fmt_h(sum(r['escorting_h'] for r in escort))} team-hours (longest: {top['en']}, "
                  f"{_fmt_h(top['escorting_h'])} h)")
    if standby:
        zh.append(f"{len(standby)} 支与驻地道路中断，就地待命共 {_fmt_h(sum(r['standby_h'] for r in standby))} 队·小时"
                  "（可接其能到达的任务）")
        en.append(f"{len(standby)} stood by cut off from their base, {_fmt_h(sum(r['standby_h'] for r in standby))} "
                  "team-hours (taking the jobs they could reach)")
    if back:
        zh.append(f"{back} 项任务因前方道路中断、队伍折返而重新派给其他队伍")
        en.append(f"{back} job{'s' if back != 1 else ''} went back to the queue when the hazard cut the road ahead "
                  "of the team")
    first = min(r["first_h"] for r in held if r["first_h"] is not None) if any(r["first_h"] is not None for r in held) else None
    since_zh = f"自 {_fmt_h(first)} 小时起" if first is not None else ""
    since_en = f", from {_fmt_h(first)} h" if first is not None else ""
    return ([f"救援队伍共 {teams['teams']} 支，{since_zh}：" + "；".join(zh) + "。"],
            [f"Of the {teams['teams']} rescue teams{since_en}: " + "; ".join(en) + "."])


def verdict(relief: dict[str, Any], short: dict[str, Any],
            other_targets: tuple[list[str], list[str]] = ([], [])) -> dict[str, Any]:
    """One paragraph in Chinese and one in English: the share relieved within the target and
    what held the rest down, biggest cause first, with the outside supplies' arrival and the
    relief craft; then ``other_targets`` (sentences on other missed targets, zh and en) and the
    planning estimates the figures rest on."""
    h = relief["target_h"]
    share = relief["share_within_target"]
    staying = short.get("sheltered_in_place_people", 0)
    stay_zh = f"{staying:,} 名受影响人员按指令就地避险（室内），未离家，不计入救助指标。" if staying else ""
    stay_en = (f"{staying:,} affected people sheltered in place indoors as told: not displaced, not in the "
               "relief indicator." if staying else "")
    if not relief["affected_people"]:
        if staying:
            zh, en = ["无人离家安置：基本生活救助指标不适用。", stay_zh], ["Nobody was displaced: the relief indicator does not apply.", stay_en]
        else:
            zh, en = ["本次模拟无受灾人员：基本生活救助指标不适用。"], ["Nobody was affected in this run: the relief indicator does not apply."]
        return _said(zh + other_targets[0], en + other_targets[1])
    undecided = relief.get("undecided_people", 0)
    if math.isnan(share):
        zh = [f"无人的 {h:g} 小时期限落在模拟时段内：无法判断是否按时救助。"]
        en = [f"Nobody's {h:g}-hour deadline fell inside the run: whether relief came in time cannot be told."]
    else:
        # written as every table writes a share (scenarios.reports.numbers.share): 99.6 %, never rounded up to 100%
        zh = [f"{h:g} 小时内获得基本生活救助：{share * 100:.1f} %。"]
        en = [f"Relief within {h:g} h: {share * 100:.1f} %."]
    if undecided:
        zh.append(f"{undecided:,} 人受灾时距模拟结束不足 {h:g} 小时，期限未到，不计入该比例（延长模拟时长可判断）。")
        en.append(f"{undecided:,} people were affected less than {h:g} h before the run ended, their deadline after "
                  "it: not in that share (a longer run would judge them).")
    if staying:
        zh.append(stay_zh)
        en.append(stay_en)
    ran = {r["resource"]: r["ran_out_h"] for r in short["resources"]}
    for cause, n in short["unrelieved_by_cause"].items():
        czh, cen = cause_names(cause)
        if cause.startswith("no_") and cause != "no_shelter_place":
            izh, ien = item_names(cause[3:])
            t = ran.get(cause[3:])
            when_zh = f"于 {_fmt_h(t)} 小时耗尽，" if t is not None else "不足，"
            when_en = f" runs out at {_fmt_h(t)} h;" if t is not None else " is short;"
            zh.append(f"{izh}{when_zh}{n:,} 人未领到。")
            en.append(f"{ien[0].upper() + ien[1:]}{when_en} {n:,} people have none.")
        elif cause == "no_shelter_place":
            t = ran.get("shelter_places")
            zh.append(f"避难场所{'于 ' + _fmt_h(t) + ' 小时' if t is not None else ''}满员，{n:,} 人无安置位置。")
            en.append(f"Shelters are full{' from ' + _fmt_h(t) + ' h' if t is not None else ''}; {n:,} people have no place.")
        else:
            t = ran.get(_CAUSE_RESOURCE.get(cause, ""))
            tzh, ten = _PHRASES.get(cause, (f"{{n}} 人{czh}", f"{{n}} people: {cen}"))
            zh.append(tzh.format(n=f"{n:,}") + (f"（{_fmt_h(t)} 小时起）" if t is not None else "") + "。")
            en.append(ten.format(n=f"{n:,}") + (f" (from {_fmt_h(t)} h)" if t is not None else "") + ".")
    if not short["unrelieved_by_cause"]:
        zh.append("模拟结束时受灾人员均已获救助。")
        en.append("Everyone affected was relieved by the end of the run.")
    late = short["relieved_after_target_people"]
    if late:
        zh.append(f"{late:,} 人在 {h:g} 小时后才获救助。")
        en.append(f"{late:,} people were relieved after {h:g} h.")
    at_target = short.get("waiting_at_target_by_cause") or {}
    if at_target:
        parts = [(cause_names(c), n) for c, n in list(at_target.items())[:3]]
        zh.append(f"到各自 {h:g} 小时期限时仍未获救助者的原因：" + "；".join(f"{z} {n:,} 人" for (z, _), n in parts) + "。")
        en.append(f"At their {h:g}-h deadline, those still waiting were held by: " + "; ".join(f"{e} ({n:,})" for (_, e), n in parts) + ".")
    tz, te = _teams_sentence(short.get("teams_held"))
    zh += tz
    en += te
    for s in short["supply_sources"]:
        if s["first_arrival_h"] is not None:
            held = s.get("first_held_up_h") or 0.0
            why_zh = f"（道路中断或受阻，耽搁 {_fmt_h(held)} 小时）" if held >= 1.0 else ""
            why_en = f" (held up {_fmt_h(held)} h by cut or slowed roads)" if held >= 1.0 else ""
            zh.append(f"{s['name_zh']}物资于 {_fmt_h(s['first_arrival_h'])} 小时到达{why_zh}。")
            en.append(f"{s['name_en']}: first supplies arrive at {_fmt_h(s['first_arrival_h'])} h{why_en}.")
        elif s["triggered_h"] is not None:
            zh.append(f"{s['name_zh']}已于 {_fmt_h(s['triggered_h'])} 小时启动，模拟结束前未送达。")
            en.append(f"{s['name_en']}: called at {_fmt_h(s['triggered_h'])} h, not delivered by the end.")
    for c in short.get("relief_craft", ()):
        if c["kits_handed_out"]:
            zh.append(f"{c['name_zh']}为 {c['kits_handed_out']:,} 名被困人员送去物资（{c['trips']} 趟，"
                      f"{_fmt_h(c['first_delivery_h'])} 小时起）。")
            en.append(f"{c['name_en']}: kits to {c['kits_handed_out']:,} cut-off people ({c['trips']} trips, "
                      f"from {_fmt_h(c['first_delivery_h'])} h).")
    zh += other_targets[0]
    en += other_targets[1]
    zh_est, en_est = ["每人每日物资标准（Sphere）"], ["the per-person kit (Sphere)"]
    if short.get("relieved_with_relatives_people"):
        zh_est.append("投亲靠友比例")
        en_est.append("the share going to relatives")
    if any(x["first_arrival_h"] is not None for x in short["supply_sources"]):
        zh_est.append("外部物资来源")
        en_est.append("the outside supply sources")
    if any(c["kits_handed_out"] for c in short.get("relief_craft", ())):
        zh_est.append("舟艇与航空器")
        en_est.append("the boats and aircraft")
    zh.append(f"以上结果依赖规划估计值（{'、'.join(zh_est)}），见 docs/references/hazards.md §6.5。")
    en.append(f"These figures rest on planning estimates ({', '.join(en_est)}): docs/references/hazards.md §6.5.")
    return _said(zh, en)


def _said(zh: list[str], en: list[str]) -> dict[str, Any]:
    """The verdict as one paragraph per language and, sentence by sentence, as ``points``
    ([zh, en] pairs, the headline first) for a report that lists them."""
    out: dict[str, Any] = {"zh": "".join(zh), "en": " ".join(en)}
    if len(zh) == len(en):
        out["points"] = [[z, e] for z, e in zip(zh, en)]
    return out
