"""The drill designer: a Master Scenario Events List (MSEL) derived from a simulated scenario.

Every inject is grounded: it fires at the simulated time of the thing it reports (the gauge
passing its warning stage, a road closing, the plume reaching a school, a shelter filling, a
rescue call, stock running low), names places, teams and facilities that exist in the district
and plan, and says which of the plan's drill types (抗洪抢险, 森林防灭火, 事故处置, 应急通信保障)
it tests. Difficulty adds twists drawn from a seeded generator; twists that change the physics
(a team unavailable, a road closing early, a second ignition, a wind shift) re-run the
simulation so that later injects follow from them.

``design_drill(run, ...)`` takes anything shaped like ``scenarios.core.runner.ScenarioRun``
(``district``, ``hazards``, ``plan``, ``result`` and a ``scenario`` that can ``build_hazards``);
``load_run(name_or_path, seed=)`` makes one.
"""
from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from network.district import District
from network.errors import InputError
from network.geometry import PolylineIndex, points_in_polygon
from network.hazard import Hazard, HazardModelWarning
from network.jsonsafe import json_safe
from network.projection import to_lonlat
from network.roadclass import RoadClass
from network.terrain import xy_of
from scenarios.core.naming import slug
from scenarios.core.inputs import build_hazards
from scenarios.core.runner import ScenarioRun, run_scenario
from scenarios.core.spec import load_scenario
from sim.api import run as sim_run
from sim.hazards.chemical.model import ChemicalRelease
from sim.hazards.fire.model import ForestFire
from sim.hazards.fire.scenario import default_ignition, forest_fire
from sim.hazards.flood.model import RiverFlood
from sim.hazards.road_damage import RoadDamage
from sim.params import SimParams

DIFFICULTIES = ("easy", "normal", "hard")
#: twists drawn per difficulty (capped by the twists that apply to the scenario)
TWIST_COUNT = {"easy": 1, "normal": 2, "hard": 4}

#: the plan's drill types (应急演练): key -> (zh, en)
OBJECTIVES: dict[str, tuple[str, str]] = {
    "flood_rescue": ("抗洪抢险", "flood rescue"),
    "forest_fire": ("森林防灭火", "forest fire fighting"),
    "accident_response": ("事故处置", "accident response"),
    "emergency_comms": ("应急通信保障", "emergency communications"),
}
#: who receives injects (players): key -> (zh, en); townships are added as "township:<id>"
ROLES: dict[str, tuple[str, str]] = {
    "command_hq": ("区应急指挥部", "district emergency command HQ"),
    "flood_hq": ("区防汛抗旱指挥部", "district flood control HQ"),
    "forest_fire_brigade": ("区森林消防专业队", "forest fire brigade"),
    "fire_rescue": ("消防救援站", "fire and rescue stations"),
    "hazmat_team": ("危化品应急处置队", "hazmat team"),
    "shelter_managers": ("避难场所管理组", "shelter managers"),
    "logistics": ("物资保障组", "logistics and supplies cell"),
    "comms": ("应急通信保障组", "emergency communications cell"),
    "medical": ("医疗救护组", "medical team"),
    "traffic": ("交通管制组", "traffic control cell"),
    "all": ("全体参演单位", "all participants"),
}
SOURCES: dict[str, tuple[str, str]] = {
    "controller": ("导调组", "exercise control"),
    "hydro_station": ("渡峰坑水文站", "Dufengkeng hydrological station"),
    "met_bureau": ("区气象局", "district meteorological bureau"),
    "village_officer": ("村（社区）信息员", "village information officer"),
    "call_110": ("110 报警电话", "110 police call"),
    "call_119": ("119 报警电话", "119 fire call"),
    "call_120": ("120 急救电话", "120 ambulance call"),
    "plant_operator": ("企业值班员", "plant operator"),
    "dike_patrol": ("堤防巡查员", "dike patrol"),
    "traffic_police": ("交警大队", "traffic police"),
    "shelter_manager": ("避难场所管理员", "shelter manager"),
    "warehouse_keeper": ("储备库管理员", "warehouse keeper"),
    "forest_ranger": ("护林员 / 瞭望塔", "forest ranger / lookout tower"),
    "team_leader": ("救援队带队人", "team leader"),
    "env_monitoring": ("生态环境监测站", "environmental monitoring station"),
    "telecom": ("通信运营商", "telecom operator"),
}
DELIVERY: dict[str, tuple[str, str]] = {
    "phone": ("电话", "phone call"),
    "radio": ("对讲机 / 电台", "radio"),
    "message": ("短信 / 工作群消息", "SMS / work-group message"),
    "notice": ("书面通报", "written notice"),
    "briefing": ("现场通报", "in-person briefing"),
}

_TEAM_TYPES_ZH = {"general": "综合救援", "flood": "防汛抢险", "water_rescue": "水上救援", "forest_fire": "森林消防",
                  "hazmat": "危化品处置", "medical": "医疗救护", "engineering": "工程抢险"}
_ITEMS = {"water_l": ("饮用水", "drinking water"), "food_rations": ("食品", "food rations"),
          "bedding_sets": ("被褥", "bedding sets"), "tents": ("帐篷", "tents")}
#: limits that keep an MSEL readable: the earliest N of each repeated kind
MAX_ROAD_INJECTS = 8
MAX_RESCUE_INJECTS = 6
#: the plan's timing standards used as target times (seconds after the triggering moment)
EVAC_ORDER_S = 30 * 60.0          # evacuation order within 30 min of the gauge warning level / first impact
DISPATCH_S = 10 * 60.0            # a rescue call is dispatched within 10 min
HAZMAT_ON_SCENE_S = 30 * 60.0     # hazmat team on scene, zones set up
PROTECT_S = 15 * 60.0             # shelter-in-place / evacuation of a place the plume reaches
DETOUR_S = 20 * 60.0              # detour set and teams re-routed after a closure
FIRE_ATTACK_S = 60 * 60.0         # first forest-fire crew on the line (打早打小)


def fmt_t(seconds: float) -> str:
    """``T+HH:MM`` (minutes rounded) from seconds after the start of the exercise."""
    m = math.floor(float(seconds) / 60.0 + 0.5)  # half-up: an int for numpy scalars too
    sign = "-" if m < 0 else "+"
    m = abs(m)
    return f"T{sign}{m // 60:02d}:{m % 60:02d}"


def parse_t(text: str) -> float:
    """Seconds from ``T+HH:MM`` (hours may exceed 99); raises ValueError on anything else."""
    m = re.fullmatch(r"\s*T([+-])(\d{1,4}):([0-5]\d)\s*", str(text))
    if not m:
        raise ValueError(f"expected T+HH:MM, found {text!r}")
    s = (int(m.group(2)) * 60 + int(m.group(3))) * 60.0
    return -s if m.group(1) == "-" else s


# ---------------------------------------------------------------------------------------------
# entities: places, teams and facilities an inject may name


def entity_catalogue(district: Any, plan: Any) -> dict[str, tuple[str, str]]:
    """Every entity key an MSEL may reference -> (zh, en) name.

    Keys: ``township:ID``, ``facility:ID``, ``shelter:ID`` (existing and candidate sites),
    ``team:BASE/TYPE`` (from the plan), ``warehouse:ID``, ``road:SLUG``, ``dike:ID``,
    ``gauge:SLUG``, ``forest:ID``.
    """
    spec = district.spec
    cat: dict[str, tuple[str, str]] = {}
    for t in spec.townships:
        cat[f"township:{t.id}"] = (t.name_zh, t.name_en)
    for f in spec.facilities:
        cat[f"facility:{f.id}"] = (f.name_zh, f.name_en)
    for s in spec.shelters:
        cat[f"shelter:{s.id}"] = (s.name_zh, s.name_en)
    for s in plan.shelters:
        cat[f"shelter:{s.id}"] = (s.name_zh, s.name_en)
    for w in plan.warehouses:
        cat[f"warehouse:{w.id}"] = (w.name_zh, w.name_en)
    for b in plan.team_bases:
        for t in b.teams:
            cat[f"team:{b.id}/{t.type}"] = (f"{b.name_zh}{_TEAM_TYPES_ZH.get(t.type, t.type)}队",
                                            f"{b.name_en} {t.type.replace('_', ' ')} team")
    for r in spec.roads:
        cat[f"road:{slug(r.name_en)}"] = (r.name_zh, r.name_en)
    for d in spec.dikes:
        cat[f"dike:{d.id}"] = (d.name_zh, d.name_en)
    g = spec.river.gauge
    cat[f"gauge:{slug(g.name_en)}"] = (g.name_zh, g.name_en)
    for f in spec.forests:
        cat[f"forest:{f.id or slug(f.name_en)}"] = (f.name_zh, f.name_en)
    return cat


def recipient_catalogue(district: Any) -> dict[str, tuple[str, str]]:
    """Roles and townships that may receive injects."""
    out = dict(ROLES)
    for t in district.spec.townships:
        out[f"township:{t.id}"] = (t.name_zh, t.name_en)
    return out


# ---------------------------------------------------------------------------------------------
# data


@dataclass(frozen=True)
class Inject:
    """One timed inject. Times are seconds after the start of the exercise."""

    id: str
    t_s: float
    phase: str
    kind: str
    inject_zh: str
    inject_en: str
    source: str
    delivery: str
    recipient: str
    action_zh: str
    action_en: str
    target_s: float
    target_basis_zh: str
    target_basis_en: str
    objective: str
    entities: tuple[str, ...] = ()
    basis: str = ""          # what grounds it: "event:<index>", "hazard:<what>", "twist:<kind>", "scenario"
    sim_t_s: float = math.nan  # the simulated time it reports (exercise start + t_s)
    benchmark_zh: str = ""   # what the simulated response achieved, for evaluators
    benchmark_en: str = ""
    twist: str = ""

    def text(self, what: str, lang: str) -> str:
        return getattr(self, f"{what}_{lang}")


@dataclass(frozen=True)
class Twist:
    kind: str
    t_s: float                # simulation time it takes effect
    zh: str
    en: str
    physics: bool
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Phase:
    key: str
    zh: str
    en: str
    t0_s: float
    t1_s: float


@dataclass
class Msel:
    """The exercise script and what it was made from."""

    scenario: str
    title_zh: str
    title_en: str
    kind: str
    difficulty: str
    seed: int
    start_s: float               # simulation time of T+00:00
    duration_s: float
    objectives: list[str]
    phases: list[Phase]
    injects: list[Inject]
    twists: list[Twist]
    participants: list[str]
    kpis: dict[str, Any] = field(default_factory=dict)
    source: str = ""             # where the scenario came from (a file, or the built-in library)

    def to_dict(self) -> dict[str, Any]:
        """The MSEL as JSON-safe data, each inject with its ``T+HH:MM`` times."""
        d = asdict(self)
        for inj in d["injects"]:
            inj["time"] = fmt_t(inj["t_s"])
            inj["target_time"] = fmt_t(inj["target_s"])
        return json_safe(d)


@dataclass
class Drill:
    """An MSEL with the run it came from (for maps and evaluation)."""

    msel: Msel
    district: Any
    plan: Any
    hazards: list[Any]
    result: Any
    base_result: Any


# ---------------------------------------------------------------------------------------------
# loading a scenario run


def load_run(name_or_path: str, *, seed: int | None = None) -> ScenarioRun:
    """Run a scenario (built-in name or TOML file) with the scenarios runner."""
    return run_scenario(load_scenario(name_or_path), seed=seed)


def hazard_kinds(hazards: Sequence[Hazard]) -> list[str]:
    """The kinds of the hazards a drill has injects for ("other" when it has none of them)."""
    return [k for k in dict.fromkeys(h.kind for h in hazards) if k in ("flood", "fire", "chemical")] or ["other"]


def scenario_objectives(kinds: Sequence[str]) -> list[str]:
    """The drill types a scenario tests: one per hazard kind, plus emergency communications."""
    out = []
    for k in kinds:
        o = {"flood": "flood_rescue", "fire": "forest_fire", "chemical": "accident_response"}.get(k)
        if o and o not in out:
            out.append(o)
    return out + ["emergency_comms"]


# ---------------------------------------------------------------------------------------------
# twists


def road_edges(district: Any) -> dict[str, np.ndarray]:
    """Edges of each named main road (same class, midpoint within 60 m of its line)."""
    net, spec = district.network, district.spec
    mx = 0.5 * (net.x[net.edge_source] + net.x[net.indices])
    my = 0.5 * (net.y[net.edge_source] + net.y[net.indices])
    out = {}
    for r in spec.roads:
        cls = int(RoadClass[r.road_class.upper()])
        sel = np.flatnonzero(net.road_class == cls)
        d, _ = PolylineIndex(xy_of(r.line, spec.district.crs)).query(mx[sel], my[sel])
        out[slug(r.name_en)] = sel[d < 60.0]
    return out


def _second_fire(district: Any, fire: ForestFire, at_s: float, rng: np.random.Generator) -> tuple[ForestFire, str, tuple]:
    """A new ignition at ``at_s`` in a randomly drawn forest area, same weather as ``fire``."""
    spec = district.spec
    forest = spec.forests[int(rng.integers(len(spec.forests)))]
    poly = np.asarray(forest.polygon)
    w = rng.dirichlet(np.ones(len(poly)))
    x, y = default_ignition(district, near=(w @ poly).tolist())
    lon, lat = to_lonlat(np.array([x]), np.array([y]), spec.district.crs)
    new = forest_fire(district, ignitions=[(float(lon[0]), float(lat[0]), float(at_s))],
                      wind_speed_m_s=fire.wind_speed_m_s, wind_from_deg=fire.wind_from_deg,
                      seed=int(rng.integers(2**31)))
    return new, forest.id or slug(forest.name_en), (float(lon[0]), float(lat[0]))


def _team_pool(plan: Any, kinds: Sequence[str]) -> list[tuple[str, str]]:
    wanted = {"flood": ("water_rescue", "flood", "general"), "fire": ("forest_fire",),
              "chemical": ("hazmat", "general"), "other": ("general",)}
    types = {t for k in kinds for t in wanted.get(k, ("general",))}
    return [(b.id, t.type) for b in plan.team_bases for t in b.teams if t.type in types]


def _drop_squad(plan: Any, base_id: str, team_type: str, squad: int) -> Any:
    """The plan with one squad of ``team_type`` at ``base_id`` unavailable."""
    bases = []
    for b in plan.team_bases:
        if b.id == base_id:
            teams = []
            for t in b.teams:
                if t.type == team_type:
                    left = t.people - squad
                    if left >= 1:
                        teams.append(replace(t, people=left))
                else:
                    teams.append(t)
            b = replace(b, teams=tuple(teams))
        bases.append(b)
    return replace(plan, team_bases=tuple(bases))


def _twist_catalogue(kinds: Sequence[str]) -> list[str]:
    out = ["team_unavailable", "road_early", "comms_outage", "shelter_overflow"]
    if "fire" in kinds:
        out.append("second_ignition")
    if "chemical" in kinds:
        out.append("wind_shift")
    return out


# ---------------------------------------------------------------------------------------------
# the design


@dataclass
class _Ctx:
    district: Any
    plan: Any
    hazards: list[Any]
    result: Any
    params: SimParams
    kinds: list[str]
    start_s: float = 0.0
    end_s: float = 0.0
    items: list[dict] = field(default_factory=list)

    @property
    def net(self):
        return self.district.network

    def township(self, node: int) -> str | None:
        z = int(self.net.zone[int(node)])
        return self.district.spec.townships[z].id if z >= 0 else None

    def name(self, key: str, lang: str) -> str:
        cat = self.cat
        return cat[key][0 if lang == "zh" else 1]

    @property
    def cat(self) -> dict[str, tuple[str, str]]:
        if not hasattr(self, "_cat"):
            self._cat = {**entity_catalogue(self.district, self.plan), **recipient_catalogue(self.district)}
        return self._cat

    def add(self, t: float, kind: str, zh: str, en: str, source: str, delivery: str, recipient: str,
            act_zh: str, act_en: str, target: float, basis_zh: str, basis_en: str, objective: str,
            entities: Sequence[str] = (), basis: str = "", bench_zh: str = "", bench_en: str = "",
            twist: str = "") -> None:
        self.items.append({"t": float(t), "kind": kind, "inject_zh": zh, "inject_en": en, "source": source, "delivery": delivery,
                               "recipient": recipient, "action_zh": act_zh, "action_en": act_en, "target": float(target),
                               "target_basis_zh": basis_zh, "target_basis_en": basis_en, "objective": objective,
                               "entities": tuple(entities), "basis": basis, "benchmark_zh": bench_zh, "benchmark_en": bench_en,
                               "twist": twist})


def _main_objective(ctx: _Ctx) -> str:
    return scenario_objectives(ctx.kinds)[0]


def _events(ctx: _Ctx, name: str) -> list[tuple[int, dict]]:
    return [(i, e) for i, e in enumerate(ctx.result.events) if e["event"] == name]


def _flood_injects(ctx: _Ctx, h: RiverFlood) -> None:
    spec = ctx.district.spec
    g = spec.river.gauge
    gauge = f"gauge:{slug(g.name_en)}"
    end = ctx.params.duration_h * 3600.0
    ts = np.arange(0.0, end + 1.0, 60.0)
    stage = np.array([h.stage(t) for t in ts])
    above = np.flatnonzero(stage >= g.warning_stage_m)
    threatened = sorted({ctx.township(e["node"]) for _, e in _events(ctx, "threatened")} - {None})
    if len(above):
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
                "flood_rescue", [gauge] + [f"township:{x}" for x in threatened[:4]], "hazard:gauge stage ≥ warning stage")
    k = int(np.argmax(stage))
    if 0 < k < len(ts) - 1:
        t = float(ts[k])
        ctx.add(t, "gauge_peak", f"{g.name_zh}出现洪峰，水位 {stage[k]:.2f} m（超警戒 {stage[k] - g.warning_stage_m:.2f} m）。",
                f"{g.name_en}: flood crest {stage[k]:.2f} m ({stage[k] - g.warning_stage_m:.2f} m above warning).",
                "hydro_station", "phone", "flood_hq", "加强堤防巡查，险工险段 24 小时值守，抢险队伍预置。",
                "Step up dike patrols, man weak dike sections round the clock, pre-position repair teams.",
                t + EVAC_ORDER_S, "洪峰通报后 30 分钟内完成巡堤部署", "dike patrols deployed within 30 min of the crest report",
                "flood_rescue", [gauge] + [f"dike:{d.id}" for d in spec.dikes], "hazard:gauge crest")
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
    first = h.first_flood_time_s()
    for s in ctx.plan.shelters:
        t = float(first[int(s.node)])
        if math.isfinite(t) and t <= end:
            ctx.add(t, "shelter_flooded", f"避难场所{s.name_zh}进水，场地积水超过 {h.affected_depth_m:.2f} m。",
                    f"Shelter {s.name_en} is taking water (deeper than {h.affected_depth_m:.2f} m).",
                    "shelter_manager", "phone", "shelter_managers", "转移场所内人员至备用避难场所，停止向该点引导群众。",
                    "Move the people in it to another shelter; stop sending evacuees there.",
                    t + EVAC_ORDER_S, "30 分钟内完成转移", "relocation within 30 min", "flood_rescue",
                    [f"shelter:{s.id}"], "hazard:flood depth at the shelter")


def _fire_injects(ctx: _Ctx, h: ForestFire) -> None:
    t0, _, _ = h.first_ignition()
    reqs = [r for r in ctx.result.requests if r["kind"] == "fire_line"]
    first = min(reqs, key=lambda r: r["created_s"]) if reqs else None
    forest = _forest_at(ctx, h)
    bench_zh = bench_en = ""
    if first and math.isfinite(first["arrived_s"] or math.nan):
        bench_zh = f"模拟：首支扑火队 {fmt_t(first['arrived_s'] - ctx.start_s)} 到达火线"
        bench_en = f"simulation: first crew on the fire line at {fmt_t(first['arrived_s'] - ctx.start_s)}"
    ents = [forest] if forest else []
    ents += [f"team:{b.id}/forest_fire" for b in ctx.plan.team_bases for t in b.teams if t.type == "forest_fire"]
    ctx.add(t0, "fire_report", "瞭望塔发现林区起火，烟柱明显，火势随风蔓延。" + (f"（{ctx.name(forest, 'zh')}）" if forest else ""),
            "A lookout tower reports a forest fire with a clear smoke column, spreading with the wind." + (f" ({ctx.name(forest, 'en')})" if forest else ""),
            "forest_ranger", "phone", "forest_fire_brigade", "核实火情，森林消防队出动扑救，向区指挥部报告。",
            "Confirm the fire, send the forest fire brigade, report to the command HQ.",
            t0 + FIRE_ATTACK_S, "发现后 1 小时内扑火力量到达火线（打早打小）", "first crew on the line within 1 h (attack early and small)",
            "forest_fire", ents, "hazard:ignition", bench_zh, bench_en)


def _forest_at(ctx: _Ctx, h: ForestFire) -> str | None:
    """The forest the fire starts in (an entity key), if any."""
    spec = ctx.district.spec
    _, x, y = h.first_ignition()
    for f in spec.forests:
        if points_in_polygon(np.array([x]), np.array([y]), xy_of(f.polygon, spec.district.crs))[0]:
            return f"forest:{f.id or slug(f.name_en)}"
    return None


def _chemical_injects(ctx: _Ctx, h: ChemicalRelease) -> None:
    spec = ctx.district.spec
    site = min((f for f in spec.facilities if f.kind in ("hazmat_site", "fireworks_site")),
               key=lambda f: float(np.hypot(*(xy_of([f.location], spec.district.crs)[0] - np.array(h.source_xy)))))
    sk = f"facility:{site.id}"
    hz = [r for r in ctx.result.requests if r["kind"] == "hazmat"]
    bench_zh = bench_en = ""
    if hz and math.isfinite(hz[0]["arrived_s"] or math.nan):
        bench_zh = f"模拟：危化品处置队 {fmt_t(hz[0]['arrived_s'] - ctx.start_s)} 到场"
        bench_en = f"simulation: hazmat team on scene at {fmt_t(hz[0]['arrived_s'] - ctx.start_s)}"
    hazmat_teams = [f"team:{b.id}/hazmat" for b in ctx.plan.team_bases for t in b.teams if t.type == "hazmat"]
    u, d = h.wind_at(h.start_s)
    ctx.add(h.start_s, "release", f"{site.name_zh}报告{h.chemical.name_zh}泄漏，现场有刺激性气味，风向 {d:.0f}°、风速 {u:.1f} m/s。",
            f"{site.name_en} reports a {h.chemical.name_en.lower()} leak; strong smell on site; wind from {d:.0f}° at {u:.1f} m/s.",
            "plant_operator", "phone", "hazmat_team", "危化品处置队出动，划定警戒区，组织下风向人员防护或撤离，开展监测。",
            "Send the hazmat team, set up the cordon, protect or evacuate people downwind, start monitoring.",
            h.start_s + HAZMAT_ON_SCENE_S, "30 分钟内处置队到场并划定警戒区", "hazmat team on scene and cordon set within 30 min",
            "accident_response", [sk] + hazmat_teams, "hazard:release start", bench_zh, bench_en)
    # the plume reaching schools and shelters: concentration at each site over the run
    end = ctx.params.duration_h * 3600.0
    sites = list(spec.shelters)
    xy = xy_of([s.location for s in sites], spec.district.crs)
    step = max(60.0, min(ctx.params.hazard_step_s, 300.0))
    ts = np.arange(h.start_s, min(end, h.start_s + 4 * 3600.0) + 1.0, step)
    a1, a2, _ = h.levels_ppm
    first = np.full(len(sites), np.inf)
    peak = np.zeros(len(sites))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # beyond ALOHA's range the model warns; the first times are still right
        for t in ts:
            c = np.asarray(h.concentration_ppm(xy[:, 0], xy[:, 1], float(t)))
            peak = np.maximum(peak, c)
            hit = (c >= a1) & ~np.isfinite(first)
            first[hit] = t
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
        if len([x for x in ctx.items if x["kind"] == "plume_site"]) >= 4:
            break


def _road_injects(ctx: _Ctx, edges_by_road: dict[str, np.ndarray]) -> None:
    """Named roads and bridges as they close in the run (speed factor 0 on any of their edges)."""
    spec, p = ctx.district.spec, ctx.params
    end = p.duration_h * 3600.0
    first = {k: math.inf for k in edges_by_road}
    baseline: np.ndarray | None = None  # edges shut at the start (bridges over the channel) are not news
    quiet = [h.quiet_after_s for h in ctx.hazards]
    t = 0.0
    while t <= end + 1e-6:
        factor = np.ones(ctx.net.n_edges)
        for h, q in zip(ctx.hazards, quiet):
            if t > q:
                continue
            s = h.state(t, fields=False)
            np.minimum(factor, s.edge_speed_factor, out=factor)
        if baseline is None:
            baseline = factor == 0
        for k, e in edges_by_road.items():
            if math.isinf(first[k]) and len(e) and ((factor[e] == 0) & ~baseline[e]).any():
                first[k] = t
        if all(math.isfinite(v) for v in first.values()):
            break
        t += p.hazard_step_s
    names = {slug(r.name_en): r for r in spec.roads}
    twisted = {x["entities"][0] for x in ctx.items if x["kind"] == "twist_road_early"}
    for k in sorted((k for k in first if math.isfinite(first[k]) and f"road:{k}" not in twisted), key=first.get)[:MAX_ROAD_INJECTS]:
        r = names[k]
        ctx.add(first[k], "road_closed", f"{r.name_zh}部分路段因灾中断，车辆无法通行。",
                f"Part of {r.name_en} is cut by the hazard; vehicles cannot pass.",
                "traffic_police", "phone", "traffic", "实施交通管制，设置绕行路线，通知救援队伍和物资车辆改道。",
                "Close the road, sign a detour, re-route rescue teams and supply trucks.",
                first[k] + DETOUR_S, "20 分钟内完成绕行方案并通报", "detour set and announced within 20 min",
                _main_objective(ctx), [f"road:{k}"], "hazard:road closed (speed factor 0)")


def _event_injects(ctx: _Ctx) -> None:
    """Injects from the simulation's event log: warnings, impacts, calls, shelters, stock."""
    res, p, plan = ctx.result, ctx.params, ctx.plan
    main = _main_objective(ctx)
    src_hit = {"flood": "village_officer", "fire": "village_officer", "chemical": "village_officer"}
    what_zh = {"flood_rescue": "洪水", "forest_fire": "林火", "accident_response": "有毒气体"}[main] if main in (
        "flood_rescue", "forest_fire", "accident_response") else "灾情"
    what_en = {"flood_rescue": "flood water", "forest_fire": "the fire", "accident_response": "the toxic gas"}.get(main, "the hazard")
    seen_thr: set[str] = set()
    cov = res.kpis.get("warning_coverage")
    for i, e in _events(ctx, "threatened"):
        z = ctx.township(e["node"])
        if z is None or z in seen_thr:
            continue
        seen_thr.add(z)
        people = sum(x["people"] for _, x in _events(ctx, "threatened") if ctx.township(x["node"]) == z)
        ctx.add(e["t_s"], "warning_needed", f"预测{what_zh}将影响{ctx.name('township:' + z, 'zh')}，受威胁人口约 {people:,} 人。",
                f"{what_en.capitalize()} is forecast to reach {ctx.name('township:' + z, 'en')}; about {people:,} people at risk.",
                "controller", "notice", "comms", "通过应急广播、手机短信、村村响和网格员发布预警，核实覆盖率。",
                "Issue the warning by emergency broadcast, cell SMS, village loudspeakers and grid workers; check coverage.",
                e["t_s"] + p.warning_issue_delay_min * 60.0, f"{p.warning_issue_delay_min:.0f} 分钟内发布预警，覆盖率 ≥ 90 %",
                f"warning issued within {p.warning_issue_delay_min:.0f} min, coverage ≥ 90 %", "emergency_comms",
                [f"township:{z}"], f"event:{i}",
                f"模拟：预警覆盖率 {cov:.0%}" if isinstance(cov, float) and math.isfinite(cov) else "",
                f"simulation: warning coverage {cov:.0%}" if isinstance(cov, float) and math.isfinite(cov) else "")
    if "fire" in ctx.kinds:  # the fire front nearing a village edge (the evacuation distance of the fire model)
        seen_edge: set[str] = set()
        for i, e in _events(ctx, "threatened"):
            z = ctx.township(e["node"])
            if z is None or z in seen_edge:
                continue
            seen_edge.add(z)
            ctx.add(e["t_s"], "fire_village", f"{ctx.name('township:' + z, 'zh')}信息员报告：火线逼近村庄边缘，约 {e['people']:,} 人需转移。",
                    f"Information officer, {ctx.name('township:' + z, 'en')}: the fire is nearing the village edge; about {e['people']:,} people must leave.",
                    "village_officer", "phone", f"township:{z}", "组织村民撤离到安全区域，清理村边可燃物，配合扑火队开设隔离带。",
                    "Move the villagers to safety, clear fuel at the village edge, help the crews cut a fire break.",
                    e["t_s"] + EVAC_ORDER_S, "30 分钟内完成村庄边缘人员撤离", "village edge evacuated within 30 min",
                    "forest_fire", [f"township:{z}"], f"event:{i}")
    seen_aff: set[str] = set()
    baseline = "flood" in ctx.kinds  # land already wet at the start of the run is the river's normal state
    for i, e in _events(ctx, "affected"):
        z = ctx.township(e["node"])
        if z is None or z in seen_aff or (baseline and e["t_s"] <= 0.0):
            continue
        seen_aff.add(z)
        ctx.add(e["t_s"], "first_impact", f"{ctx.name('township:' + z, 'zh')}信息员报告：{what_zh}已到达村（社区），约 {e['people']:,} 人受影响，部分老人行动不便。",
                f"Information officer, {ctx.name('township:' + z, 'en')}: {what_en} has reached the village; about {e['people']:,} people affected, some elderly cannot leave alone.",
                src_hit.get(ctx.kinds[0], "village_officer"), "phone", f"township:{z}",
                "组织群众转移，逐户核查，帮扶行动不便人员，上报转移人数。",
                "Move people out, check house by house, help those who cannot leave alone, report the numbers moved.",
                e["t_s"] + EVAC_ORDER_S, "30 分钟内启动转移并上报", "evacuation under way and reported within 30 min",
                main, [f"township:{z}"], f"event:{i}")
    seen_leth: set[str] = set()
    for i, e in _events(ctx, "lethal"):
        z = ctx.township(e["node"])
        if z is None or z in seen_leth or not e.get("exposed") or (baseline and e["t_s"] <= 0.0):
            continue
        seen_leth.add(z)
        ctx.add(e["t_s"], "lethal_zone", f"110 报警：{ctx.name('township:' + z, 'zh')}有群众被困于危险区域，约 {e['exposed']:,} 人尚未撤出。",
                f"110 call: people trapped in the danger zone in {ctx.name('township:' + z, 'en')}; about {e['exposed']:,} not yet out.",
                "call_110", "phone", "command_hq", "调派救援力量优先营救被困人员，指挥部跟踪直至清零。",
                "Send rescue teams to the trapped first; the HQ tracks the count to zero.",
                e["t_s"] + DISPATCH_S, "10 分钟内调派救援力量", "rescue dispatched within 10 min", main,
                [f"township:{z}"], f"event:{i}")
    # rescue calls (the earliest), with the team the simulation sent
    dispatched = {e["id"]: e for _, e in _events(ctx, "dispatch")}
    arrived = {e["id"]: e for _, e in _events(ctx, "arrive")}
    n = 0
    for i, e in _events(ctx, "request"):
        if e["kind"] not in ("trapped", "casualty") or n >= MAX_RESCUE_INJECTS:
            continue
        z = ctx.township(e["node"])
        if z is None:
            continue
        n += 1
        d = dispatched.get(e["id"])
        team = "/".join(d["team"].split("/")[:2]) if d else ""
        ents = [f"township:{z}"] + ([f"team:{team}"] if team and f"team:{team}" in ctx.cat else [])
        bz = be = ""
        if d:
            a = arrived.get(e["id"])
            bz = f"模拟：{ctx.name('team:' + team, 'zh')} {fmt_t(d['t_s'] - ctx.start_s)} 出动" + (
                f"，{fmt_t(a['t_s'] - ctx.start_s)} 到达" if a else "")
            be = f"simulation: {ctx.name('team:' + team, 'en')} sent at {fmt_t(d['t_s'] - ctx.start_s)}" + (
                f", on scene at {fmt_t(a['t_s'] - ctx.start_s)}" if a else "")
        if e["kind"] == "trapped":
            zh = f"110 报警：{ctx.name('township:' + z, 'zh')}有一户群众被困，请求救援。"
            en = f"110 call: a household is trapped in {ctx.name('township:' + z, 'en')} and asks for rescue."
            src, act_zh, act_en = "call_110", "调派最近的救援队伍营救并转移至避难场所。", "Send the nearest capable team; bring the people to a shelter."
        else:
            zh = f"120 来电：{ctx.name('township:' + z, 'zh')}有人员受伤，需要急救。"
            en = f"120 call: an injured person in {ctx.name('township:' + z, 'en')} needs first aid."
            src, act_zh, act_en = "call_120", "调派医疗救护力量到场救治，必要时转运医院。", "Send a medical team; take the patient to hospital if needed."
        ctx.add(e["t_s"], f"call_{e['kind']}", zh, en, src, "phone", "command_hq", act_zh, act_en,
                e["t_s"] + DISPATCH_S, "10 分钟内完成调派", "team dispatched within 10 min", main, ents, f"event:{i}", bz, be)
    # shelters: first arrivals, full, and no room left
    sh = {s.id: s for s in plan.shelters}
    occ: dict[str, int] = {}
    first_unload = {}
    for _, e in _events(ctx, "truck_unload"):
        first_unload.setdefault(e["shelter"], e["t_s"])
    full_done: set[str] = set()
    for i, e in _events(ctx, "arrive_shelter"):
        sid = e["shelter"]
        if sid not in sh:
            continue
        if sid not in occ:
            fu = first_unload.get(sid)
            ctx.add(e["t_s"], "shelter_open", f"{sh[sid].name_zh}：首批 {e['people']:,} 名转移群众到达，请求物资保障。",
                    f"{sh[sid].name_en}: the first {e['people']:,} evacuees have arrived; supplies requested.",
                    "shelter_manager", "phone", "shelter_managers", "开放场所、登记人员；物资保障组调拨饮用水、食品和被褥。",
                    "Open the shelter and register arrivals; logistics sends water, food and bedding.",
                    e["t_s"] + p.relief_target_h * 3600.0, f"到达后 {p.relief_target_h:.0f} 小时内得到基本生活救助",
                    f"basic relief within {p.relief_target_h:.0f} h of arrival", main, [f"shelter:{sid}"], f"event:{i}",
                    f"模拟：首批物资 {fmt_t(fu - ctx.start_s)} 送达" if fu is not None else "模拟：运行期内未送达物资",
                    f"simulation: first supplies at {fmt_t(fu - ctx.start_s)}" if fu is not None else "simulation: no supplies arrived in the run")
        occ[sid] = occ.get(sid, 0) + int(e["people"])
        if sid not in full_done and occ[sid] >= sh[sid].capacity:
            full_done.add(sid)
            cand = _nearest_candidate(ctx, sh[sid])
            ents = [f"shelter:{sid}"] + ([f"shelter:{cand.id}"] if cand else [])
            ctx.add(e["t_s"], "shelter_full", f"{sh[sid].name_zh}已满员（{occ[sid]:,}/{sh[sid].capacity:,} 人）。",
                    f"{sh[sid].name_en} is full ({occ[sid]:,}/{sh[sid].capacity:,} people).",
                    "shelter_manager", "phone", "command_hq",
                    "启用备用避难场所" + (f"（如{cand.name_zh}）" if cand else "") + "，引导后续群众分流。",
                    "Open a reserve shelter" + (f" (e.g. {cand.name_en})" if cand else "") + " and divert further arrivals.",
                    e["t_s"] + EVAC_ORDER_S, "30 分钟内开放备用场所", "reserve shelter open within 30 min", main, ents, f"event:{i}")
    ns = _events(ctx, "no_shelter")
    if ns:
        i, e = ns[0]
        total = sum(x["people"] for _, x in ns)
        ctx.add(e["t_s"], "no_shelter", f"各避难场所已无空位，{e['people']:,} 名群众无处安置（运行期内累计 {total:,} 人）。",
                f"No shelter has room left: {e['people']:,} people cannot be placed ({total:,} over the run).",
                "shelter_manager", "phone", "command_hq", "紧急开设临时安置点，协调学校、体育场馆等场地，调拨帐篷。",
                "Open temporary sites at once (schools, sports halls), send tents.",
                e["t_s"] + EVAC_ORDER_S, "30 分钟内落实临时安置点", "temporary sites arranged within 30 min", main, [], f"event:{i}")
    # warehouse stock falling low (20 %) from the loads the trucks took
    stock = {w.id: {k: float(v) for k, v in w.stock.items()} for w in plan.warehouses}
    left = {w: dict(s) for w, s in stock.items()}
    low: set[str] = set()  # one inject per warehouse: the first item to run low
    for i, e in _events(ctx, "truck_load"):
        w = e["warehouse"]
        for item in list(left.get(w, {})):
            if item in e:
                left[w][item] -= float(e[item])
                if w not in low and stock[w][item] > 0 and left[w][item] <= 0.2 * stock[w][item]:
                    low.add(w)
                    iz, ie = _ITEMS.get(item, (item, item))
                    ctx.add(e["t_s"], "stock_low", f"{ctx.name('warehouse:' + w, 'zh')}{iz}库存降至 {max(left[w][item], 0):,.0f}（不足 20 %）。",
                            f"{ctx.name('warehouse:' + w, 'en')}: {ie} down to {max(left[w][item], 0):,.0f} (below 20 %).",
                            "warehouse_keeper", "message", "logistics", "向市级储备申请调拨，组织社会捐赠和邻近储备点调剂。",
                            "Request city reserves, arrange donations and transfers from neighbouring depots.",
                            e["t_s"] + 2 * 3600.0, "2 小时内落实补充来源", "resupply source confirmed within 2 h", main,
                            [f"warehouse:{w}"], f"event:{i}")


def _nearest_candidate(ctx: _Ctx, shelter: Any) -> Any:
    used = {s.id for s in ctx.plan.shelters}
    cands = [s for s in ctx.district.spec.shelters if s.id not in used]
    if not cands:
        return None
    return min(cands, key=lambda s: (s.location[0] - shelter.lon) ** 2 + (s.location[1] - shelter.lat) ** 2)


def _draw_twists(ctx: _Ctx, difficulty: str, rng: np.random.Generator, base_first_s: float) -> list[Twist]:
    """Pick and parameterise the twists (all draws from ``rng``)."""
    spec = ctx.district.spec
    cat = _twist_catalogue(ctx.kinds)
    k = min(TWIST_COUNT[difficulty], len(cat))
    chosen = [cat[int(i)] for i in sorted(rng.choice(len(cat), size=k, replace=False))]
    window = max(ctx.end_s - ctx.start_s, 3600.0)
    twists = []
    for kind in chosen:
        t = float(ctx.start_s + np.round(rng.uniform(0.1, 0.6) * window / 300.0) * 300.0)
        if kind == "team_unavailable":
            pool = _team_pool(ctx.plan, ctx.kinds)
            if not pool:
                continue
            base, ttype = pool[int(rng.integers(len(pool)))]
            twists.append(Twist(kind, ctx.start_s + 300.0 * int(rng.integers(1, 4)), "", "", True,
                                {"base": base, "type": ttype}))
        elif kind == "road_early":
            roads = [slug(r.name_en) for r in spec.roads]
            road = roads[int(rng.integers(len(roads)))]
            twists.append(Twist(kind, t, "", "", True, {"road": road}))
        elif kind == "comms_outage":
            towns = [x.id for x in spec.townships]
            twists.append(Twist(kind, t, "", "", False, {"township": towns[int(rng.integers(len(towns)))],
                                                           "hours": float(rng.choice([2.0, 4.0, 6.0]))}))
        elif kind == "shelter_overflow":
            sh = [s.id for s in ctx.plan.shelters]
            if not sh:
                continue
            twists.append(Twist(kind, t, "", "", False, {"shelter": sh[int(rng.integers(len(sh)))],
                                                           "extra": int(rng.integers(3, 9)) * 100}))
        elif kind == "second_ignition":
            twists.append(Twist(kind, max(t, base_first_s + 1800.0), "", "", True, {"seed": int(rng.integers(2**31))}))
        elif kind == "wind_shift":
            # while the gas is out: 10-40 min after the release starts
            chem = next(h for h in ctx.hazards if h.kind == "chemical")
            turn = float(rng.choice([-1.0, 1.0]) * rng.uniform(45.0, 100.0))
            at = float(chem.start_s + 300.0 * int(rng.integers(2, 9)))
            twists.append(Twist(kind, at, "", "", True, {"turn_deg": round(turn)}))
    return twists


def _apply_twists(ctx: _Ctx, twists: list[Twist], build_hazards: Callable[[], list], edges_by_road) -> tuple[Any, list, list[Twist]]:
    """The plan and hazards with the physical twists, and the twists with their texts."""
    plan = ctx.plan
    hazards = None
    out = []
    for tw in twists:
        d = dict(tw.detail)
        if tw.kind == "team_unavailable":
            plan = _drop_squad(plan, d["base"], d["type"], ctx.params.squad_size)
            b = next(b for b in ctx.plan.team_bases if b.id == d["base"])
            zh = f"{b.name_zh}{_TEAM_TYPES_ZH.get(d['type'], d['type'])}队报告：一个分队（{ctx.params.squad_size} 人）因车辆故障无法出动。"
            en = f"{b.name_en}: one {d['type'].replace('_', ' ')} squad ({ctx.params.squad_size} people) cannot deploy (vehicle breakdown)."
            d["entity"] = f"team:{d['base']}/{d['type']}"
        elif tw.kind == "road_early":
            hazards = hazards if hazards is not None else build_hazards()
            hazards.append(RoadDamage.of_edges(ctx.net, edges_by_road[d["road"]], tw.t_s))
            r = next(r for r in ctx.district.spec.roads if slug(r.name_en) == d["road"])
            zh, en = f"{r.name_zh}因山体滑坡/路基塌陷提前封闭。", f"{r.name_en} closes early (landslide / road-bed collapse)."
            d["entity"] = f"road:{d['road']}"
        elif tw.kind == "comms_outage":
            name = next(t for t in ctx.district.spec.townships if t.id == d["township"])
            zh = f"{name.name_zh}移动通信基站断电，公网通信中断，预计 {d['hours']:.0f} 小时。"
            en = f"Mobile base stations in {name.name_en} have lost power; public networks down for about {d['hours']:.0f} h."
            d["entity"] = f"township:{d['township']}"
        elif tw.kind == "shelter_overflow":
            s = next(s for s in ctx.plan.shelters if s.id == d["shelter"])
            zh = f"{s.name_zh}涌入约 {d['extra']:,} 名自行转移群众，超出容量。"
            en = f"About {d['extra']:,} self-evacuated people arrive at {s.name_en}, beyond its capacity."
            d["entity"] = f"shelter:{d['shelter']}"
        elif tw.kind == "second_ignition":
            hazards = hazards if hazards is not None else build_hazards()
            fire = next(h for h in hazards if h.kind == "fire")
            new, forest, lonlat = _second_fire(ctx.district, fire, tw.t_s, np.random.default_rng(d["seed"]))
            hazards.append(new)
            d.update(entity=f"forest:{forest}", lonlat=lonlat)
            f = next(f for f in ctx.district.spec.forests if (f.id or slug(f.name_en)) == forest)
            zh, en = f"{f.name_zh}发现第二处火点（复燃/飞火）。", f"A second fire is seen in the {f.name_en} (spot fire)."
        elif tw.kind == "wind_shift":
            hazards = hazards if hazards is not None else build_hazards()
            i = next(i for i, h in enumerate(hazards) if h.kind == "chemical")
            hazards[i] = hazards[i].with_wind_turn(tw.t_s, d["turn_deg"])
            zh = f"气象局：风向转变约 {abs(d['turn_deg'])}°（{'顺' if d['turn_deg'] > 0 else '逆'}时针），烟羽转向。"
            en = f"Met bureau: the wind turns about {abs(d['turn_deg'])}° ({'clockwise' if d['turn_deg'] > 0 else 'anticlockwise'}); the plume swings round."
        else:
            continue
        out.append(replace(tw, zh=zh, en=en, detail=d))
    return plan, hazards, out


_TWIST_INJECT = {  # kind: source, delivery, recipient, action zh, action en, target after, objective (None: main)
    "team_unavailable": ("team_leader", "phone", "command_hq", "调整力量部署，从其他站点或社会力量补位。",
                         "Re-plan the deployment; cover from other stations or volunteer teams.", 30 * 60.0, None),
    "road_early": ("traffic_police", "phone", "traffic", "实施交通管制，设置绕行路线，通知救援队伍和物资车辆改道。",
                   "Close the road, sign a detour, re-route rescue teams and supply trucks.", DETOUR_S, None),
    "comms_outage": ("telecom", "radio", "comms", "启用卫星电话、应急通信车和对讲机，派联络员，确认预警送达。",
                     "Use satellite phones, the emergency comms vehicle and radios; send runners; confirm warnings got through.",
                     30 * 60.0, "emergency_comms"),
    "shelter_overflow": ("shelter_manager", "phone", "shelter_managers", "启用备用场所分流，增调帐篷和物资。",
                         "Divert to a reserve shelter; send more tents and supplies.", 30 * 60.0, None),
    "second_ignition": ("forest_ranger", "phone", "forest_fire_brigade", "分兵扑救新火点，防止两火合围，必要时请求增援。",
                        "Split crews to attack the new fire; keep the fires from joining; ask for reinforcement if needed.",
                        FIRE_ATTACK_S, "forest_fire"),
    "wind_shift": ("met_bureau", "message", "hazmat_team", "调整警戒区和疏散方向，通知新的下风向区域。",
                   "Move the cordon and the evacuation direction; warn the new downwind area.", PROTECT_S, "accident_response"),
}


def _phases(start: float, end: float, first_impact: float | None) -> list[Phase]:
    a = first_impact if first_impact is not None and start < first_impact < end else start + (end - start) / 3.0
    b = a + (end - a) / 2.0
    return [Phase("warning", "预警与响应启动", "warning and activation", start, a),
            Phase("response", "抢险救援", "rescue and response", a, b),
            Phase("relief", "安置与救助", "shelter and relief", b, end)]


def design_drill(run: Any, *, difficulty: str = "normal", seed: int = 0, duration_h: float | None = None,
                 participants: Sequence[str] | None = None, scenario_name: str | None = None) -> Drill:
    """Derive the MSEL from a scenario run (see the module notes)."""
    with warnings.catch_warnings():
        # the runner already reports the models' range notes for this scenario
        warnings.simplefilter("ignore", HazardModelWarning)
        return _design(run, difficulty, seed, duration_h, participants, scenario_name)


def _design(run: Any, difficulty: str, seed: int, duration_h: float | None, participants: Sequence[str] | None,
            scenario_name: str | None) -> Drill:
    if difficulty not in DIFFICULTIES:
        raise InputError(f"--difficulty: expected one of {list(DIFFICULTIES)}, found {difficulty!r}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"--seed: expected a non-negative integer, found {seed!r}")
    if duration_h is not None and not (isinstance(duration_h, (int, float)) and math.isfinite(duration_h) and duration_h > 0):
        raise InputError(f"--duration: expected a positive number of hours, found {duration_h!r}")
    district, plan, result = run.district, run.plan, run.result
    if not isinstance(district, District):
        raise InputError("drill: the scenario runs on a bare road network; drills need a district model "
                         "(townships, facilities, shelters to name in injects): use the built-in district or a district .toml")
    hazards = list(run.hazards)
    params = SimParams.from_dict(result.params)
    kinds = hazard_kinds(hazards)
    recipients = recipient_catalogue(district)
    wanted = _participants(participants, recipients)
    name = scenario_name or run.scenario.name
    ctx = _Ctx(district, plan, hazards, result, params, kinds)
    edges_by_road = road_edges(district)

    # the exercise window from the base run: from 30 min before the first thing that happens
    first = _first_moment(ctx)
    ctx.start_s = max(0.0, math.floor((first - 1800.0) / 900.0) * 900.0)
    sim_end = params.duration_h * 3600.0
    ctx.end_s = min(sim_end, ctx.start_s + duration_h * 3600.0) if duration_h else sim_end

    # twists: draw, apply the physical ones, re-run
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), DIFFICULTIES.index(difficulty)]))
    twists = _draw_twists(ctx, difficulty, rng, first)
    build = _hazard_builder(run)
    new_plan, new_hazards, twists = _apply_twists(ctx, twists, build, edges_by_road)
    base_result = result
    if new_plan is not plan or new_hazards is not None:
        hz = new_hazards if new_hazards is not None else build()
        result = sim_run(district, hz, new_plan, params)
        ctx = _Ctx(district, new_plan, hz, result, params, kinds, ctx.start_s, ctx.end_s)
        plan, hazards = new_plan, hz
    ctx.plan = run.plan  # entities are named against the scenario's plan (a missing squad is still a team)

    # grounded injects
    for i, h in enumerate(hazards):
        if h.kind == "flood":
            _flood_injects(ctx, h)
        elif h.kind == "fire" and not any(x.kind == "fire" for x in hazards[:i]):
            _fire_injects(ctx, h)
        elif h.kind == "chemical":
            _chemical_injects(ctx, h)
    for tw in twists:
        src, dlv, rcp, az, ae, after, obj = _TWIST_INJECT[tw.kind]
        ent = [tw.detail["entity"]] if "entity" in tw.detail else []
        ctx.add(tw.t_s, f"twist_{tw.kind}", tw.zh, tw.en, src, dlv, rcp, az, ae, tw.t_s + after,
                "导调要求的处置时限", "response time set by exercise control", obj or _main_objective(ctx), ent,
                f"twist:{tw.kind}", twist=tw.kind)
    _road_injects(ctx, edges_by_road)
    _event_injects(ctx)
    _met_inject(ctx, hazards)

    objectives = scenario_objectives(kinds)
    items = [x for x in ctx.items if ctx.start_s <= x["t"] <= ctx.end_s]
    items.sort(key=lambda x: (x["t"], x["kind"]))
    end_rel = ctx.end_s - ctx.start_s
    impact = next((x["t"] for x in items if x["kind"] == "first_impact"), None)
    phases = _phases(0.0, end_rel, None if impact is None else impact - ctx.start_s)
    injects = []
    all_rows = [{"t": ctx.start_s, "kind": "startex", "inject_zh": f"演练开始：{_title(run, name, 'zh')}。导调组通报初始态势。",
                     "inject_en": f"STARTEX: {_title(run, name, 'en')}. Exercise control gives the initial situation.",
                     "source": "controller", "delivery": "briefing", "recipient": "all", "action_zh": "各参演单位报到，确认通信畅通，进入值守状态。",
                     "action_en": "All players check in, test communications, take up their posts.", "target": ctx.start_s + 900.0,
                     "target_basis_zh": "15 分钟内完成报到", "target_basis_en": "all checked in within 15 min", "objective": "emergency_comms",
                     "entities": (), "basis": "scenario", "benchmark_zh": "", "benchmark_en": "", "twist": ""}]
    all_rows += [x for x in items if wanted is None or x["recipient"] in wanted]
    all_rows.append({"t": ctx.end_s, "kind": "endex", "inject_zh": "演练结束（ENDEX）。各单位停止处置，提交记录。",
                         "inject_en": "ENDEX. Players stop, hand in their logs.", "source": "controller", "delivery": "briefing",
                         "recipient": "all", "action_zh": "汇总处置记录，参加热反馈（hot wash）。", "action_en": "Collect logs; join the hot wash.",
                         "target": ctx.end_s, "target_basis_zh": "—", "target_basis_en": "—", "objective": "emergency_comms", "entities": (),
                         "basis": "scenario", "benchmark_zh": "", "benchmark_en": "", "twist": ""})
    for n, x in enumerate(all_rows, 1):
        rel = x["t"] - ctx.start_s
        ph = next((p.key for p in phases if p.t0_s <= rel < p.t1_s), phases[-1].key)
        injects.append(Inject(f"I{n:03d}", rel, ph, x["kind"], x["inject_zh"], x["inject_en"], x["source"], x["delivery"],
                              x["recipient"], x["action_zh"], x["action_en"], max(x["target"] - ctx.start_s, rel),
                              x["target_basis_zh"], x["target_basis_en"], x["objective"], tuple(x["entities"]), x["basis"],
                              x["t"], x["benchmark_zh"], x["benchmark_en"], x["twist"]))
    # a participant filter can leave an objective without players: it is then not exercised
    objectives = [o for o in objectives if any(i.objective == o and i.kind != "endex" for i in injects)]
    kpis = {"warning_coverage": result.kpis.get("warning_coverage"),
            "relief_p95_h": result.kpis["relief_time"]["p95_h"],
            "share_within_target": result.kpis["relief_time"]["share_within_target"],
            "affected_people": result.kpis["relief_time"]["affected_people"],
            "forest_fire_damage_permille": result.kpis.get("forest_fire_damage_permille"),
            "exposure_people": result.kpis.get("exposure_people")}
    msel = Msel(name, _title(run, name, "zh"), _title(run, name, "en"), "+".join(kinds), difficulty, int(seed), ctx.start_s,
                end_rel, objectives, phases, injects, twists, sorted(wanted) if wanted else [], kpis,
                run.scenario.source)
    return Drill(msel, district, run.plan, hazards, result, base_result)


def _title(run: ScenarioRun, name: str, lang: str) -> str:
    t = (run.title_zh if lang == "zh" else run.title_en) or name
    return f"{t} 应急演练" if lang == "zh" else f"{t}: emergency exercise"


def _first_moment(ctx: _Ctx) -> float:
    """The first simulated moment worth an inject: first event, gauge warning, ignition or release."""
    cands = [e["t_s"] for e in ctx.result.events[:1]]
    for h in ctx.hazards:
        k = h.kind
        if k == "chemical":
            cands.append(float(h.start_s))
        elif k == "fire":
            cands.append(h.first_ignition()[0])
        elif k == "flood":
            w = ctx.district.spec.river.gauge.warning_stage_m
            ts = np.arange(0.0, ctx.params.duration_h * 3600.0, 300.0)
            up = [t for t in ts if h.stage(t) >= w]
            if up:
                cands.append(float(up[0]))
    return float(min(cands)) if cands else 0.0


def _met_inject(ctx: _Ctx, hazards: list) -> None:
    """The meteorological bureau's bulletin at the start: the weather the scenario runs under."""
    for h in hazards:
        k = h.kind
        t = ctx.start_s + 300.0
        if k == "fire":
            zh = f"区气象局：森林火险等级高，风速 {h.wind_speed_m_s:.0f} m/s，风从 {h.wind_from_deg:.0f}° 方向吹来。"
            en = f"Met bureau: high forest fire danger; wind {h.wind_speed_m_s:.0f} m/s from {h.wind_from_deg:.0f}°."
            obj, rcp = "forest_fire", "forest_fire_brigade"
        elif k == "chemical":
            u, d = h.wind_at(h.start_s)
            zh = f"区气象局：大气稳定度 {h.stability} 类，风从 {d:.0f}° 方向吹来，风速 {u:.1f} m/s。"
            en = f"Met bureau: stability class {h.stability}; wind from {d:.0f}° at {u:.1f} m/s."
            obj, rcp = "accident_response", "hazmat_team"
        elif k == "flood":
            zh, en = "区气象局：暴雨橙色预警，未来 24 小时流域内仍有强降雨。", "Met bureau: orange rainstorm warning; heavy rain over the basin for the next 24 h."
            obj, rcp = "flood_rescue", "flood_hq"
        else:
            continue
        ctx.add(t, "met_bulletin", zh, en, "met_bureau", "message", rcp, "研判气象条件，调整力量部署并向各单位通报。",
                "Assess the weather, adjust the deployment, brief all units.", t + 1800.0, "30 分钟内完成研判通报",
                "assessment briefed within 30 min", obj, [], "scenario")
        return


def _participants(participants: Sequence[str] | None, recipients: dict[str, tuple[str, str]]) -> set[str] | None:
    if not participants:
        return None
    by_label = {}
    for k, (zh, en) in recipients.items():
        by_label[k] = k
        by_label[zh] = k
        by_label[en.lower()] = k
        if k.startswith("township:"):
            by_label[k.split(":", 1)[1]] = k
    out = set()
    for p in participants:
        key = by_label.get(p.strip()) or by_label.get(p.strip().lower())
        if key is None:
            raise InputError(f"--participants: unknown participant {p!r}; known: {sorted(k for k in recipients)}")
        out.add(key)
    out.add("all")
    return out


def _hazard_builder(run: ScenarioRun) -> Callable[[], list[Hazard]]:
    """Fresh hazard objects for a re-run (fire models keep state, so they are rebuilt)."""
    return lambda: build_hazards(run.scenario, run.district)
