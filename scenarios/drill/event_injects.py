"""Injects from the simulation's event log: warnings needed, first impacts, people trapped in
danger zones, rescue calls, shelters opening and filling, no room left, stock running low.

Each inject cites the event it comes from (``basis = "event:<index>"``) and fires at its time;
where the run says how the simulated response went, the inject carries it as a benchmark.
"""
from __future__ import annotations

import math
from collections.abc import Callable

from network.district_spec import ShelterSite
from network.plan import Shelter

from .catalogue import DISPATCH_S, EVAC_ORDER_S, PRESENT_AT_START, fmt_t
from .context import DrillContext

#: limit that keeps an MSEL readable: the earliest N rescue calls
MAX_RESCUE_INJECTS = 6
#: what reaches a village, by the drill's main objective: (zh, en)
_AGENT = {"flood_rescue": ("洪水", "flood water"), "forest_fire": ("林火", "the fire"),
          "accident_response": ("有毒气体", "the toxic gas")}
#: relief items in the warehouses' stock: (zh, en)
_ITEMS = {"water_l": ("饮用水", "drinking water"), "food_rations": ("食品", "food rations"),
          "bedding_sets": ("被褥", "bedding sets"), "tents": ("帐篷", "tents")}
#: rescue request kind -> (source, inject zh, inject en, action zh, action en); {town} is the township
_CALLS = {
    "trapped": ("call_110", "110 报警：{town}有一户群众被困，请求救援。",
                "110 call: a household is trapped in {town} and asks for rescue.",
                "调派最近的救援队伍营救并转移至避难场所。", "Send the nearest capable team; bring the people to a shelter."),
    "casualty": ("call_120", "120 来电：{town}有人员受伤，需要急救。", "120 call: an injured person in {town} needs first aid.",
                 "调派医疗救护力量到场救治，必要时转运医院。", "Send a medical team; take the patient to hospital if needed."),
}


def add_event_injects(ctx: DrillContext) -> None:
    """Gather the injects the run's event log grounds."""
    _warnings_needed(ctx)
    _first_impacts(ctx)
    _lethal_zones(ctx)
    _rescue_calls(ctx)
    _shelters(ctx)
    _no_shelter(ctx)
    _stock_low(ctx)


def _news(ctx: DrillContext) -> Callable[[dict], bool]:
    """A filter of events worth an inject: for a hazard present at the start as its normal state
    (a river in its bed), what it does at t <= 0 is not news."""
    baseline = not PRESENT_AT_START.isdisjoint(ctx.kinds)
    return lambda e: not (baseline and e["t_s"] <= 0.0)


def _warnings_needed(ctx: DrillContext) -> None:
    """The first threat to each township: the warning must go out (benchmark: the coverage)."""
    p = ctx.params
    what_zh, what_en = _AGENT.get(ctx.main_objective, ("灾情", "the hazard"))
    cov = ctx.result.kpis.get("warning_coverage")
    known = isinstance(cov, float) and math.isfinite(cov)
    for i, e, z in ctx.first_by_township("threatened"):
        people = sum(x["people"] for _, x in ctx.events("threatened") if ctx.township(x["node"]) == z)
        ctx.add(e["t_s"], "warning_needed", f"预测{what_zh}将影响{ctx.name('township:' + z, 'zh')}，受威胁人口约 {people:,} 人。",
                f"{what_en.capitalize()} is forecast to reach {ctx.name('township:' + z, 'en')}; about {people:,} people at risk.",
                "controller", "notice", "comms", "通过应急广播、手机短信、村村响和网格员发布预警，核实覆盖率。",
                "Issue the warning by emergency broadcast, cell SMS, village loudspeakers and grid workers; check coverage.",
                e["t_s"] + p.warning_issue_delay_min * 60.0, f"{p.warning_issue_delay_min:.0f} 分钟内发布预警，覆盖率 ≥ 90 %",
                f"warning issued within {p.warning_issue_delay_min:.0f} min, coverage ≥ 90 %", "emergency_comms",
                [f"township:{z}"], f"event:{i}",
                f"模拟：预警覆盖率 {cov:.0%}" if known else "", f"simulation: warning coverage {cov:.0%}" if known else "")


def _first_impacts(ctx: DrillContext) -> None:
    """The hazard reaching each township: the village officer asks for the evacuation."""
    what_zh, what_en = _AGENT.get(ctx.main_objective, ("灾情", "the hazard"))
    for i, e, z in ctx.first_by_township("affected", _news(ctx)):
        ctx.add(e["t_s"], "first_impact", f"{ctx.name('township:' + z, 'zh')}信息员报告：{what_zh}已到达村（社区），约 {e['people']:,} 人受影响，部分老人行动不便。",
                f"Information officer, {ctx.name('township:' + z, 'en')}: {what_en} has reached the village; about {e['people']:,} people affected, some elderly cannot leave alone.",
                "village_officer", "phone", f"township:{z}",
                "组织群众转移，逐户核查，帮扶行动不便人员，上报转移人数。",
                "Move people out, check house by house, help those who cannot leave alone, report the numbers moved.",
                e["t_s"] + EVAC_ORDER_S, "30 分钟内启动转移并上报", "evacuation under way and reported within 30 min",
                ctx.main_objective, [f"township:{z}"], f"event:{i}")


def _lethal_zones(ctx: DrillContext) -> None:
    """People still in a lethal zone of each township: a 110 call."""
    news = _news(ctx)
    for i, e, z in ctx.first_by_township("lethal", lambda e: bool(e.get("exposed")) and news(e)):
        ctx.add(e["t_s"], "lethal_zone", f"110 报警：{ctx.name('township:' + z, 'zh')}有群众被困于危险区域，约 {e['exposed']:,} 人尚未撤出。",
                f"110 call: people trapped in the danger zone in {ctx.name('township:' + z, 'en')}; about {e['exposed']:,} not yet out.",
                "call_110", "phone", "command_hq", "调派救援力量优先营救被困人员，指挥部跟踪直至清零。",
                "Send rescue teams to the trapped first; the HQ tracks the count to zero.",
                e["t_s"] + DISPATCH_S, "10 分钟内调派救援力量", "rescue dispatched within 10 min", ctx.main_objective,
                [f"township:{z}"], f"event:{i}")


def _rescue_calls(ctx: DrillContext) -> None:
    """The earliest rescue calls (people trapped, casualties), with the team the simulation sent."""
    dispatched = {e["id"]: e for _, e in ctx.events("dispatch")}
    arrived = {e["id"]: e for _, e in ctx.events("arrive")}
    n = 0
    for i, e in ctx.events("request"):
        if e["kind"] not in _CALLS or n >= MAX_RESCUE_INJECTS:
            continue
        z = ctx.township(e["node"])
        if z is None:
            continue
        n += 1
        d = dispatched.get(e["id"])
        team = "/".join(d["team"].split("/")[:2]) if d else ""
        ents = [f"township:{z}"] + ([f"team:{team}"] if team and f"team:{team}" in ctx.names else [])
        bz, be = _rescue_benchmark(ctx, team, d, arrived.get(e["id"])) if d else ("", "")
        src, zh, en, act_zh, act_en = _CALLS[e["kind"]]
        ctx.add(e["t_s"], f"call_{e['kind']}", zh.format(town=ctx.name("township:" + z, "zh")),
                en.format(town=ctx.name("township:" + z, "en")), src, "phone", "command_hq", act_zh, act_en,
                e["t_s"] + DISPATCH_S, "10 分钟内完成调派", "team dispatched within 10 min", ctx.main_objective, ents,
                f"event:{i}", bz, be)


def _rescue_benchmark(ctx: DrillContext, team: str, dispatch: dict, arrival: dict | None) -> tuple[str, str]:
    """When the simulation sent ``team`` to a call and when it got there: ``(zh, en)``."""
    sent = fmt_t(dispatch["t_s"] - ctx.start_s)
    there = fmt_t(arrival["t_s"] - ctx.start_s) if arrival else None
    return (f"模拟：{ctx.name('team:' + team, 'zh')} {sent} 出动" + (f"，{there} 到达" if there else ""),
            f"simulation: {ctx.name('team:' + team, 'en')} sent at {sent}" + (f", on scene at {there}" if there else ""))


def _shelters(ctx: DrillContext) -> None:
    """Each plan shelter's first arrivals and the moment it is full."""
    sh = {s.id: s for s in ctx.plan.shelters}
    first_unload: dict[str, float] = {}
    for _, e in ctx.events("truck_unload"):
        first_unload.setdefault(e["shelter"], e["t_s"])
    occ: dict[str, int] = {}
    full: set[str] = set()
    for i, e in ctx.events("arrive_shelter"):
        sid = e["shelter"]
        if sid not in sh:
            continue
        if sid not in occ:
            _shelter_open(ctx, i, e, sh[sid], first_unload.get(sid))
        occ[sid] = occ.get(sid, 0) + int(e["people"])
        if sid not in full and occ[sid] >= sh[sid].capacity:
            full.add(sid)
            _shelter_full(ctx, i, e, sh[sid], occ[sid])


def _shelter_open(ctx: DrillContext, i: int, e: dict, s: Shelter, first_unload: float | None) -> None:
    """The first evacuees at a shelter ask for supplies (benchmark: the first truck unloading there)."""
    p = ctx.params
    ctx.add(e["t_s"], "shelter_open", f"{s.name_zh}：首批 {e['people']:,} 名转移群众到达，请求物资保障。",
            f"{s.name_en}: the first {e['people']:,} evacuees have arrived; supplies requested.",
            "shelter_manager", "phone", "shelter_managers", "开放场所、登记人员；物资保障组调拨饮用水、食品和被褥。",
            "Open the shelter and register arrivals; logistics sends water, food and bedding.",
            e["t_s"] + p.relief_target_h * 3600.0, f"到达后 {p.relief_target_h:.0f} 小时内得到基本生活救助",
            f"basic relief within {p.relief_target_h:.0f} h of arrival", ctx.main_objective, [f"shelter:{s.id}"], f"event:{i}",
            f"模拟：首批物资 {fmt_t(first_unload - ctx.start_s)} 送达" if first_unload is not None else "模拟：运行期内未送达物资",
            f"simulation: first supplies at {fmt_t(first_unload - ctx.start_s)}" if first_unload is not None
            else "simulation: no supplies arrived in the run")


def _shelter_full(ctx: DrillContext, i: int, e: dict, s: Shelter, occupants: int) -> None:
    """A shelter is full: open a reserve site (the nearest candidate site, when there is one)."""
    cand = _nearest_candidate(ctx, s)
    ents = [f"shelter:{s.id}"] + ([f"shelter:{cand.id}"] if cand else [])
    ctx.add(e["t_s"], "shelter_full", f"{s.name_zh}已满员（{occupants:,}/{s.capacity:,} 人）。",
            f"{s.name_en} is full ({occupants:,}/{s.capacity:,} people).",
            "shelter_manager", "phone", "command_hq",
            "启用备用避难场所" + (f"（如{cand.name_zh}）" if cand else "") + "，引导后续群众分流。",
            "Open a reserve shelter" + (f" (e.g. {cand.name_en})" if cand else "") + " and divert further arrivals.",
            e["t_s"] + EVAC_ORDER_S, "30 分钟内开放备用场所", "reserve shelter open within 30 min", ctx.main_objective,
            ents, f"event:{i}")


def _nearest_candidate(ctx: DrillContext, shelter: Shelter) -> ShelterSite | None:
    """The district's shelter site nearest ``shelter`` that the plan does not use (None: all used)."""
    used = {s.id for s in ctx.plan.shelters}
    cands = [s for s in ctx.district.spec.shelters if s.id not in used]
    if not cands:
        return None
    return min(cands, key=lambda s: (s.location[0] - shelter.lon) ** 2 + (s.location[1] - shelter.lat) ** 2)


def _no_shelter(ctx: DrillContext) -> None:
    """The first people no shelter has room for (with the total over the run)."""
    ns = ctx.events("no_shelter")
    if not ns:
        return
    i, e = ns[0]
    total = sum(x["people"] for _, x in ns)
    ctx.add(e["t_s"], "no_shelter", f"各避难场所已无空位，{e['people']:,} 名群众无处安置（运行期内累计 {total:,} 人）。",
            f"No shelter has room left: {e['people']:,} people cannot be placed ({total:,} over the run).",
            "shelter_manager", "phone", "command_hq", "紧急开设临时安置点，协调学校、体育场馆等场地，调拨帐篷。",
            "Open temporary sites at once (schools, sports halls), send tents.",
            e["t_s"] + EVAC_ORDER_S, "30 分钟内落实临时安置点", "temporary sites arranged within 30 min", ctx.main_objective,
            [], f"event:{i}")


def _stock_low(ctx: DrillContext) -> None:
    """Warehouse stock falling to 20 % from the loads the trucks took: one inject per warehouse,
    for the first item to run low."""
    stock = {w.id: {k: float(v) for k, v in w.stock.items()} for w in ctx.plan.warehouses}
    left = {w: dict(s) for w, s in stock.items()}
    low: set[str] = set()
    for i, e in ctx.events("truck_load"):
        w = e["warehouse"]
        for item in list(left.get(w, {})):
            if item not in e:
                continue
            left[w][item] -= float(e[item])
            if w in low or not (stock[w][item] > 0 and left[w][item] <= 0.2 * stock[w][item]):
                continue
            low.add(w)
            iz, ie = _ITEMS.get(item, (item, item))
            ctx.add(e["t_s"], "stock_low", f"{ctx.name('warehouse:' + w, 'zh')}{iz}库存降至 {max(left[w][item], 0):,.0f}（不足 20 %）。",
                    f"{ctx.name('warehouse:' + w, 'en')}: {ie} down to {max(left[w][item], 0):,.0f} (below 20 %).",
                    "warehouse_keeper", "message", "logistics", "向市级储备申请调拨，组织社会捐赠和邻近储备点调剂。",
                    "Request city reserves, arrange donations and transfers from neighbouring depots.",
                    e["t_s"] + 2 * 3600.0, "2 小时内落实补充来源", "resupply source confirmed within 2 h", ctx.main_objective,
                    [f"warehouse:{w}"], f"event:{i}")
