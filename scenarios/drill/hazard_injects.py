"""Injects a hazard reports itself: per hazard kind, chosen through :data:`HAZARD_INJECTS`.

A flood reports its gauge (warning stage, crest), its dike breaches and the shelters it
floods; a fire its ignition and the villages its front nears; a chemical release its start and
the places its plume reaches. Each entry also says when the hazard first becomes news (the
exercise starts half an hour before the first such moment), which role leads the response and
what the meteorological bureau says about it. A kind without an entry gets only the generic
injects (event log, roads, twists). Each entry reads the model of its own kind: the kind a
hazard declares names its model.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from network.geometry import PolylineIndex, points_in_polygon
from network.hazard import Hazard
from network.plan import Plan
from network.terrain import xy_of
from scenarios.core.naming import slug
from sim.hazards.chemical.model import ChemicalRelease
from sim.hazards.fire.record import RasterFire
from sim.hazards.fire.attack import load_params as attack_params
from sim.hazards.flood.model import RiverFlood

from .catalogue import (
    EVAC_ORDER_S,
    FIRE_ATTACK_S,
    HAZMAT_ON_SCENE_S,
    KIND_OBJECTIVE,
    PROTECT_S,
    fmt_t,
)
from .context import DrillContext

#: the plume reaching more places than this is one story: the earliest ones are injects
MAX_PLUME_INJECTS = 4


@dataclass(frozen=True)
class KindInjects:
    """What a drill reads from one hazard kind.

    Each callable takes the hazard model of its own kind (hence ``Any``): ``injects(ctx, h)``
    gathers its injects, ``first_moment(ctx, h)`` is the simulation time it first becomes news
    (None: never), ``bulletin(h)`` the met bureau's ``(zh, en)`` words on the weather it runs
    under. ``lead`` is the role that leads the response; ``first_only``: only the first hazard
    of the kind reports itself (a second fire comes with the twist that lit it).
    """

    injects: Callable[[DrillContext, Any], None]
    first_moment: Callable[[DrillContext, Any], float | None]
    bulletin: Callable[[Any], tuple[str, str]]
    lead: str
    first_only: bool = False


def add_hazard_injects(ctx: DrillContext, hazards: Sequence[Hazard]) -> None:
    """Gather the injects each hazard with an entry in :data:`HAZARD_INJECTS` reports."""
    done: set[str] = set()
    for h in hazards:
        entry = HAZARD_INJECTS.get(h.kind)
        if entry is not None and not (entry.first_only and h.kind in done):
            entry.injects(ctx, h)
        done.add(h.kind)


def first_moment(ctx: DrillContext) -> float:
    """The first simulated moment worth an inject: first event, gauge warning, ignition or release."""
    cands = [e["t_s"] for e in ctx.result.events[:1]]
    for h in ctx.hazards:
        entry = HAZARD_INJECTS.get(h.kind)
        t = entry.first_moment(ctx, h) if entry is not None else None
        if t is not None:
            cands.append(t)
    return float(min(cands)) if cands else 0.0


def add_met_bulletin(ctx: DrillContext, hazards: Sequence[Hazard]) -> None:
    """The meteorological bureau's bulletin at the start: the weather the first hazard with an
    entry runs under (none when no hazard has one)."""
    h = next((h for h in hazards if h.kind in HAZARD_INJECTS), None)
    if h is None:
        return
    entry = HAZARD_INJECTS[h.kind]
    zh, en = entry.bulletin(h)
    t = ctx.start_s + 300.0
    ctx.add(t, "met_bulletin", zh, en, "met_bureau", "message", entry.lead, "研判气象条件，调整力量部署并向各单位通报。",
            "Assess the weather, adjust the deployment, brief all units.", t + 1800.0, "30 分钟内完成研判通报",
            "assessment briefed within 30 min", KIND_OBJECTIVE[h.kind], [], "scenario")


def _teams_of_type(plan: Plan, team_type: str) -> list[str]:
    """Entity keys of the plan's teams of ``team_type``."""
    return [f"team:{b.id}/{team_type}" for b in plan.team_bases for t in b.teams if t.type == team_type]


def _arrival(ctx: DrillContext, request: dict | None) -> str | None:
    """``T+HH:MM`` at which the simulation's team reached ``request`` (None: no request or no arrival)."""
    if request and math.isfinite(request["arrived_s"] or math.nan):
        return fmt_t(request["arrived_s"] - ctx.start_s)
    return None


# ---------------------------------------------------------------------------------------------
# flood


def _flood_injects(ctx: DrillContext, h: RiverFlood) -> None:
    """The gauge at its warning stage and at its crest, dike breaches, shelters taking water."""
    ts = np.arange(0.0, ctx.run_end_s + 1.0, 60.0)
    stage = np.array([h.stage(t) for t in ts])
    _gauge_warning(ctx, h, ts, stage)
    _gauge_crest(ctx, ts, stage)
    _dike_breaches(ctx, h)
    _shelters_flooded(ctx, h)


def _gauge_key(ctx: DrillContext) -> str:
    """The entity key of the river gauge."""
    return f"gauge:{slug(ctx.district.spec.river.gauge.name_en)}"


def _gauge_warning(ctx: DrillContext, h: RiverFlood, ts: np.ndarray, stage: np.ndarray) -> None:
    """The hydrological station calls when the gauge reaches its warning stage."""
    g = ctx.district.spec.river.gauge
    above = np.flatnonzero(stage >= g.warning_stage_m)
    if not len(above):
        return
    threatened = sorted({ctx.township(e["node"]) for _, e in ctx.events("threatened")} - {None})
    t = float(ts[above[0]])
    tw = ", ".join(ctx.name(f"township:{x}", "zh") for x in threatened[:4]) or "沿河乡镇"
    twe = ", ".join(ctx.name(f"township:{x}", "en") for x in threatened[:4]) or "riverside townships"
    ctx.add(t, "gauge_warning",
            f"{g.name_zh}水位 {h.stage(t):.2f} m，达到警戒水位 {g.warning_stage_m:.1f} m，仍在上涨。",
            f"{g.name_en}: stage {h.stage(t):.2f} m, at the warning stage {g.warning_stage_m:.1f} m and rising.",
            "hydro_station", "phone", "flood_hq",
            f"启动防汛应急响应；对受威胁乡镇（{tw}）下达转移令，组织人员撤离。",
            f"Activate the flood response; order evacuation of the threatened townships ({twe}).",
            t + EVAC_ORDER_S, "超警戒水位后 30 分钟内下达转移令", "evacuation order within 30 min of the warning stage",
            "flood_rescue", [_gauge_key(ctx)] + [f"township:{x}" for x in threatened[:4]],
            "hazard:gauge stage ≥ warning stage")


def _gauge_crest(ctx: DrillContext, ts: np.ndarray, stage: np.ndarray) -> None:
    """The hydrological station reports the crest (when it falls inside the run)."""
    spec = ctx.district.spec
    g = spec.river.gauge
    k = int(np.argmax(stage))
    if not 0 < k < len(ts) - 1:
        return
    t = float(ts[k])
    ctx.add(t, "gauge_peak", f"{g.name_zh}出现洪峰，水位 {stage[k]:.2f} m（超警戒 {stage[k] - g.warning_stage_m:.2f} m）。",
            f"{g.name_en}: flood crest {stage[k]:.2f} m ({stage[k] - g.warning_stage_m:.2f} m above warning).",
            "hydro_station", "phone", "flood_hq", "加强堤防巡查，险工险段 24 小时值守，抢险队伍预置。",
            "Step up dike patrols, man weak dike sections round the clock, pre-position repair teams.",
            t + EVAC_ORDER_S, "洪峰通报后 30 分钟内完成巡堤部署", "dike patrols deployed within 30 min of the crest report",
            "flood_rescue", [_gauge_key(ctx)] + [f"dike:{d.id}" for d in spec.dikes], "hazard:gauge crest")


def _dike_breaches(ctx: DrillContext, h: RiverFlood) -> None:
    """The dike patrol radios each breach, naming the dike and the township behind it."""
    spec = ctx.district.spec
    for b in h.breaches:
        d = min(spec.dikes, key=lambda dk: PolylineIndex(xy_of(dk.line, spec.district.crs)).query(
            np.array([b.x]), np.array([b.y]))[0][0])
        zone = ctx.township(int(np.argmin((ctx.net.x - b.x) ** 2 + (ctx.net.y - b.y) ** 2)))
        ents = [f"dike:{d.id}"] + ([f"township:{zone}"] if zone else [])
        ctx.add(b.time_s, "dike_breach", f"{d.name_zh}发生决口，口门宽约 {b.width_m:.0f} m，洪水涌入堤内。",
                f"{d.name_en} has breached, about {b.width_m:.0f} m wide; water is flowing in behind the dike.",
                "dike_patrol", "radio", "flood_hq", "立即组织堤后群众转移；调派工程抢险和水上救援力量封堵口门、搜救被困人员。",
                "Evacuate everyone behind the dike at once; send engineering and water-rescue teams to close the breach and search.",
                b.time_s + EVAC_ORDER_S, "决口后 30 分钟内完成堤后转移令", "evacuation behind the dike ordered within 30 min",
                "flood_rescue", ents, "hazard:dike breach")


def _shelters_flooded(ctx: DrillContext, h: RiverFlood) -> None:
    """A shelter manager calls when the water reaches the plan's shelter."""
    first = h.first_flood_time_s()
    for s in ctx.plan.shelters:
        t = float(first[int(s.node)])
        if math.isfinite(t) and t <= ctx.run_end_s:
            ctx.add(t, "shelter_flooded", f"避难场所{s.name_zh}进水，场地积水超过 {h.affected_depth_m:.2f} m。",
                    f"Shelter {s.name_en} is taking water (deeper than {h.affected_depth_m:.2f} m).",
                    "shelter_manager", "phone", "shelter_managers", "转移场所内人员至备用避难场所，停止向该点引导群众。",
                    "Move the people in it to another shelter; stop sending evacuees there.",
                    t + EVAC_ORDER_S, "30 分钟内完成转移", "relocation within 30 min", "flood_rescue",
                    [f"shelter:{s.id}"], "hazard:flood depth at the shelter")


def _flood_first_moment(ctx: DrillContext, h: RiverFlood) -> float | None:
    """The first 5-minute step at which the gauge reaches its warning stage."""
    w = ctx.district.spec.river.gauge.warning_stage_m
    ts = np.arange(0.0, ctx.run_end_s, 300.0)
    return next((float(t) for t in ts if h.stage(t) >= w), None)


def _flood_bulletin(h: RiverFlood) -> tuple[str, str]:
    """The rainstorm warning."""
    return "区气象局：暴雨橙色预警，未来 24 小时流域内仍有强降雨。", "Met bureau: orange rainstorm warning; heavy rain over the basin for the next 24 h."


# ---------------------------------------------------------------------------------------------
# forest fire


def _fire_injects(ctx: DrillContext, h: RasterFire) -> None:
    """The lookout's report of the ignition; village officers reporting the front at their village."""
    _fire_report(ctx, h)
    _fire_at_villages(ctx)


#: who reports a fire, by detection method (English; the Chinese label is in the attack data)
_REPORTER_EN = {"lookout": "A lookout tower", "camera": "The forest-fire camera network", "patrol": "A ranger patrol",
                "public": "A caller on 12119", "himawari": "The Himawari satellite hotspot service",
                "modis": "A MODIS satellite hotspot", "viirs": "A VIIRS satellite hotspot"}


def _fire_report(ctx: DrillContext, h: RasterFire) -> None:
    """The fire is reported when the fire model says it was detected, by the method that saw it
    first; benchmark: the first crew on the fire line. A fire nobody saw within the run has no report."""
    t0 = h.detected_s()
    if not math.isfinite(t0):
        return
    det = getattr(h, "detection", None)
    method = det.method if det is not None else "lookout"
    who_zh = attack_params().detection[method]["label_zh"]
    reqs = [r for r in ctx.result.requests if r["kind"] == "fire_line"]
    on_line = _arrival(ctx, min(reqs, key=lambda r: r["created_s"]) if reqs else None)
    bench_zh = f"模拟：首支扑火队 {on_line} 到达火线" if on_line else ""
    bench_en = f"simulation: first crew on the fire line at {on_line}" if on_line else ""
    forest = _forest_at(ctx, h)
    ents = ([forest] if forest else []) + _teams_of_type(ctx.plan, "forest_fire")
    ctx.add(t0, "fire_report", f"{who_zh}报告林区起火，烟柱明显，火势随风蔓延。" + (f"（{ctx.name(forest, 'zh')}）" if forest else ""),
            f"{_REPORTER_EN[method]} reports a forest fire with a clear smoke column, spreading with the wind." + (f" ({ctx.name(forest, 'en')})" if forest else ""),
            "forest_ranger", "phone", "forest_fire_brigade", "核实火情，森林消防队出动扑救，向区指挥部报告。",
            "Confirm the fire, send the forest fire brigade, report to the command HQ.",
            t0 + FIRE_ATTACK_S, "发现后 1 小时内扑火力量到达火线（打早打小）", "first crew on the line within 1 h (attack early and small)",
            "forest_fire", ents, "hazard:ignition", bench_zh, bench_en)


def _forest_at(ctx: DrillContext, h: RasterFire) -> str | None:
    """The forest the fire starts in (an entity key), if any."""
    spec = ctx.district.spec
    _, x, y = h.first_ignition()
    for f in spec.forests:
        if points_in_polygon(np.array([x]), np.array([y]), xy_of(f.polygon, spec.district.crs))[0]:
            return f"forest:{f.id or slug(f.name_en)}"
    return None


def _fire_at_villages(ctx: DrillContext) -> None:
    """The front nearing a village edge: the first "threatened" event of each township (the
    fire model threatens people within its evacuation distance of the front)."""
    for i, e, z in ctx.first_by_township("threatened"):
        ctx.add(e["t_s"], "fire_village", f"{ctx.name('township:' + z, 'zh')}信息员报告：火线逼近村庄边缘，约 {e['people']:,} 人需转移。",
                f"Information officer, {ctx.name('township:' + z, 'en')}: the fire is nearing the village edge; about {e['people']:,} people must leave.",
                "village_officer", "phone", f"township:{z}", "组织村民撤离到安全区域，清理村边可燃物，配合扑火队开设隔离带。",
                "Move the villagers to safety, clear fuel at the village edge, help the crews cut a fire break.",
                e["t_s"] + EVAC_ORDER_S, "30 分钟内完成村庄边缘人员撤离", "village edge evacuated within 30 min",
                "forest_fire", [f"township:{z}"], f"event:{i}")


def _fire_first_moment(ctx: DrillContext, h: RasterFire) -> float | None:
    """The report of the fire (the first ignition if it was never reported)."""
    t = h.detected_s()
    return t if math.isfinite(t) else h.first_ignition()[0]


def _fire_bulletin(h: RasterFire) -> tuple[str, str]:
    """Fire danger and the wind the fire spreads with."""
    return (f"区气象局：森林火险等级高，风速 {h.wind_speed_m_s:.0f} m/s，风从 {h.wind_from_deg:.0f}° 方向吹来。",
            f"Met bureau: high forest fire danger; wind {h.wind_speed_m_s:.0f} m/s from {h.wind_from_deg:.0f}°.")


# ---------------------------------------------------------------------------------------------
# chemical release


def _chemical_injects(ctx: DrillContext, h: ChemicalRelease) -> None:
    """The plant reports the release; the monitoring station reports the plume at shelter sites."""
    _release_report(ctx, h)
    _plume_at_sites(ctx, h)


def _release_report(ctx: DrillContext, h: ChemicalRelease) -> None:
    """The operator of the hazmat site nearest the source reports the leak; benchmark: the
    hazmat team on scene."""
    spec = ctx.district.spec
    src = h.incident_site()
    site = min((f for f in spec.facilities if f.kind in ("hazmat_site", "fireworks_site")),
               key=lambda f: float(np.hypot(*(xy_of([f.location], spec.district.crs)[0] - np.array((src.x, src.y))))))
    hz = [r for r in ctx.result.requests if r["kind"] == "hazmat"]
    on_scene = _arrival(ctx, hz[0] if hz else None)
    bench_zh = f"模拟：危化品处置队 {on_scene} 到场" if on_scene else ""
    bench_en = f"simulation: hazmat team on scene at {on_scene}" if on_scene else ""
    u, d = h.wind_at(h.start_s)
    ctx.add(h.start_s, "release", f"{site.name_zh}报告{h.chemical.name_zh}泄漏，现场有刺激性气味，风向 {d:.0f}°、风速 {u:.1f} m/s。",
            f"{site.name_en} reports a {h.chemical.name_en.lower()} leak; strong smell on site; wind from {d:.0f}° at {u:.1f} m/s.",
            "plant_operator", "phone", "hazmat_team", "危化品处置队出动，划定警戒区，组织下风向人员防护或撤离，开展监测。",
            "Send the hazmat team, set up the cordon, protect or evacuate people downwind, start monitoring.",
            h.start_s + HAZMAT_ON_SCENE_S, "30 分钟内处置队到场并划定警戒区", "hazmat team on scene and cordon set within 30 min",
            "accident_response", [f"facility:{site.id}"] + _teams_of_type(ctx.plan, "hazmat"), "hazard:release start",
            bench_zh, bench_en)


def _plume_arrivals(ctx: DrillContext, h: ChemicalRelease, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First time each point reaches AEGL-1 (inf: never) and its peak ppm, over the first 4 h of
    the release."""
    step = max(60.0, min(ctx.params.hazard_step_s, 300.0))
    ts = np.arange(h.start_s, min(ctx.run_end_s, h.start_s + 4 * 3600.0) + 1.0, step)
    a1 = h.levels_ppm[0]
    first = np.full(len(xy), np.inf)
    peak = np.zeros(len(xy))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # beyond ALOHA's range the model warns; the first times are still right
        for t in ts:
            c = np.asarray(h.concentration_ppm(xy[:, 0], xy[:, 1], float(t)))
            peak = np.maximum(peak, c)
            hit = (c >= a1) & ~np.isfinite(first)
            first[hit] = t
    return first, peak


def _plume_at_sites(ctx: DrillContext, h: ChemicalRelease) -> None:
    """The monitoring station reports the plume at the earliest shelter sites it reaches."""
    spec = ctx.district.spec
    sites = list(spec.shelters)
    first, peak = _plume_arrivals(ctx, h, xy_of([s.location for s in sites], spec.district.crs))
    a2 = h.levels_ppm[1]
    for i in np.argsort(first):
        if not math.isfinite(first[i]):
            break
        s = sites[int(i)]
        lvl = "AEGL-2" if peak[i] >= a2 else "AEGL-1"
        ctx.add(float(first[i]), "plume_site",
                f"{s.name_zh}附近闻到刺激性气味，监测浓度达到 {lvl} 水平（峰值约 {peak[i]:.1f} ppm）。",
                f"A strong smell near {s.name_en}; measured concentration at {lvl} level (peak about {peak[i]:.1f} ppm).",
                "env_monitoring", "phone", "command_hq",
                "通知该处人员就地关闭门窗避险或向侧风向撤离；暂停把该点作为避难场所。",
                "Tell people there to shelter in place (close windows) or leave crosswind; stop using the site as a shelter.",
                float(first[i]) + PROTECT_S, "烟羽到达后 15 分钟内完成防护指令", "protective action ordered within 15 min of arrival",
                "accident_response", [f"shelter:{s.id}"], "hazard:plume at the site")
        if sum(1 for x in ctx.items if x["kind"] == "plume_site") >= MAX_PLUME_INJECTS:
            break


def _chemical_first_moment(ctx: DrillContext, h: ChemicalRelease) -> float | None:
    """The start of the release."""
    return float(h.start_s)


def _chemical_bulletin(h: ChemicalRelease) -> tuple[str, str]:
    """The stability class and the wind at the start of the release."""
    u, d = h.wind_at(h.start_s)
    return (f"区气象局：大气稳定度 {h.stability} 类，风从 {d:.0f}° 方向吹来，风速 {u:.1f} m/s。",
            f"Met bureau: stability class {h.stability}; wind from {d:.0f}° at {u:.1f} m/s.")


#: hazard kind -> what a drill reads from it; keys match catalogue.KIND_OBJECTIVE
HAZARD_INJECTS: dict[str, KindInjects] = {
    "flood": KindInjects(_flood_injects, _flood_first_moment, _flood_bulletin, "flood_hq"),
    "fire": KindInjects(_fire_injects, _fire_first_moment, _fire_bulletin, "forest_fire_brigade", first_only=True),
    "chemical": KindInjects(_chemical_injects, _chemical_first_moment, _chemical_bulletin, "hazmat_team"),
}
