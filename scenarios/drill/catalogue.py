"""The drill's tables: drill types, roles, sources, delivery channels, the plan's timing standards,
the hazard kinds a drill has injects for, what an inject may name, and the ``T+HH:MM`` times.

Everything here is data or a lookup over the district and the plan; the inject builders, the
twists, the MSEL files and the handbook all read it, and it reads none of them.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from network.district import District
from network.geometry import PolylineIndex
from network.hazard import Hazard
from network.plan import TEAM_TYPE_NAMES, Plan
from network.roadclass import RoadClass
from network.terrain import xy_of
from scenarios.core.naming import slug

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
#: where an inject comes from: key -> (zh, en)
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
#: how an inject reaches its recipient: key -> (zh, en)
DELIVERY: dict[str, tuple[str, str]] = {
    "phone": ("电话", "phone call"),
    "radio": ("对讲机 / 电台", "radio"),
    "message": ("短信 / 工作群消息", "SMS / work-group message"),
    "notice": ("书面通报", "written notice"),
    "briefing": ("现场通报", "in-person briefing"),
}
#: a plan team type in a Chinese team name (森林消防队)
TEAM_TYPES_ZH = {kind: names[0] for kind, names in TEAM_TYPE_NAMES.items()}

#: the plan's timing standards used as target times (seconds after the triggering moment)
EVAC_ORDER_S = 30 * 60.0          # evacuation order within 30 min of the gauge warning level / first impact
DISPATCH_S = 10 * 60.0            # a rescue call is dispatched within 10 min
HAZMAT_ON_SCENE_S = 30 * 60.0     # hazmat team on scene, zones set up
PROTECT_S = 15 * 60.0             # shelter-in-place / evacuation of a place the plume reaches
DETOUR_S = 20 * 60.0              # detour set and teams re-routed after a closure
FIRE_ATTACK_S = 60 * 60.0         # first forest-fire crew on the line (打早打小)

#: the hazard kinds a drill has injects for, and the drill type each one tests
KIND_OBJECTIVE: dict[str, str] = {"flood": "flood_rescue", "fire": "forest_fire", "chemical": "accident_response"}
#: kinds present at the start of a run as their normal state (a river in its bed): what the
#: event log reports at t <= 0 for them is not news
PRESENT_AT_START: frozenset[str] = frozenset({"flood"})


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


def hazard_kinds(hazards: Sequence[Hazard]) -> list[str]:
    """The kinds of the hazards a drill has injects for ("other" when it has none of them)."""
    return [k for k in dict.fromkeys(h.kind for h in hazards) if k in KIND_OBJECTIVE] or ["other"]


def scenario_objectives(kinds: Sequence[str]) -> list[str]:
    """The drill types a scenario tests: one per hazard kind, plus emergency communications."""
    out = []
    for k in kinds:
        o = KIND_OBJECTIVE.get(k)
        if o and o not in out:
            out.append(o)
    return out + ["emergency_comms"]


# ---------------------------------------------------------------------------------------------
# entities: places, teams and facilities an inject may name


def entity_catalogue(district: District, plan: Plan) -> dict[str, tuple[str, str]]:
    """Every entity key an MSEL may reference, with its names.

    Parameters
    ----------
    district
        The district model: townships, facilities, shelter sites, roads, dikes, the river
        gauge and the forests.
    plan
        The plan: its shelters (existing and candidate sites), warehouses and team bases.

    Returns
    -------
    dict
        Key -> ``(zh, en)``. Keys: ``township:ID``, ``facility:ID``, ``shelter:ID``,
        ``team:BASE/TYPE``, ``warehouse:ID``, ``road:SLUG``, ``dike:ID``, ``gauge:SLUG``,
        ``forest:ID``.
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
            cat[f"team:{b.id}/{t.type}"] = (f"{b.name_zh}{TEAM_TYPES_ZH.get(t.type, t.type)}队",
                                            f"{b.name_en} {t.type.replace('_', ' ')} team")
    for r in spec.roads:
        cat[f"road:{slug(r.name_en)}"] = (r.name_zh, r.name_en)
    for d in spec.dikes:
        cat[f"dike:{d.id}"] = (d.name_zh, d.name_en)
    if spec.river is not None:
        g = spec.river.gauge
        cat[f"gauge:{slug(g.name_en)}"] = (g.name_zh, g.name_en)
    for f in spec.forests:
        cat[f"forest:{f.id or slug(f.name_en)}"] = (f.name_zh, f.name_en)
    return cat


def recipient_catalogue(district: District) -> dict[str, tuple[str, str]]:
    """Roles and townships that may receive injects: key -> ``(zh, en)``."""
    out = dict(ROLES)
    for t in district.spec.townships:
        out[f"township:{t.id}"] = (t.name_zh, t.name_en)
    return out


def road_edges(district: District) -> dict[str, np.ndarray]:
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
