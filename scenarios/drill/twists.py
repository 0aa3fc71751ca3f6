"""Twists: what exercise control throws in on top of the scenario, drawn from a seeded generator.

The catalogue holds four twists every drill may draw (a team unavailable, a road closing early,
a communications outage, a shelter overflowing) and one per hazard kind (a second ignition for
a fire, a wind shift for a chemical release). Difficulty sets how many are drawn. Twists that
change the physics (a squad less in the plan, a road closed, a second fire, the wind turning)
re-run the simulation, so that the injects after them follow from them.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

import numpy as np

from network.district import District
from network.hazard import Hazard
from network.plan import Plan
from network.projection import to_lonlat
from scenarios.core.naming import slug
from sim.api import run as sim_run
from sim.hazards.chemical.model import ChemicalRelease
from sim.hazards.fire.model import ForestFire
from sim.hazards.fire.record import RasterFire
from sim.hazards.fire.spread import SurfaceFire
from sim.hazards.fire.scenario import default_ignition, forest_fire
from sim.hazards.road_damage import RoadDamage

from .catalogue import DETOUR_S, FIRE_ATTACK_S, PROTECT_S, TEAM_TYPES_ZH
from .context import DrillContext

DIFFICULTIES = ("easy", "normal", "hard")
#: twists drawn per difficulty (capped by the twists that apply to the scenario)
TWIST_COUNT = {"easy": 1, "normal": 2, "hard": 4}
#: the twists every drill may draw, in catalogue order
_COMMON_TWISTS = ("team_unavailable", "road_early", "comms_outage", "shelter_overflow")
#: twists that come with a hazard kind: (twist, kind), in catalogue order
_KIND_TWISTS = (("second_ignition", "fire"), ("wind_shift", "chemical"))
#: the team types a hazard kind calls on (one of them may lose a squad)
_TEAMS_CALLED = {"flood": ("water_rescue", "flood", "general"), "fire": ("forest_fire",),
                 "chemical": ("hazmat", "general"), "other": ("general",)}
#: twist kind -> (zh, en) name, for the handbook
TWIST_NAMES: dict[str, tuple[str, str]] = {
    "team_unavailable": ("队伍无法出动", "team unavailable"), "road_early": ("道路提前中断", "road closing early"),
    "comms_outage": ("通信中断", "communications outage"), "shelter_overflow": ("避难场所超员", "shelter overflowing"),
    "second_ignition": ("第二火点", "second ignition"), "wind_shift": ("风向突变", "wind shift"),
}
#: twist kind -> source, delivery, recipient, action zh, action en, target after, objective (None: the main one)
_TWIST_INJECT = {
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


@dataclass(frozen=True)
class Twist:
    """One twist: what happens at simulation time ``t_s``, its texts, and whether it re-runs the
    simulation (``physics``); ``detail`` holds what was drawn and the entity it names."""

    kind: str
    t_s: float
    zh: str
    en: str
    physics: bool
    detail: dict[str, Any] = field(default_factory=dict)


def twist_catalogue(kinds: Sequence[str]) -> list[str]:
    """The twists a drill with hazards of ``kinds`` may draw, in catalogue order."""
    return list(_COMMON_TWISTS) + [twist for twist, kind in _KIND_TWISTS if kind in kinds]


def _of_kind(hazards: Sequence[Hazard], kind: str) -> int:
    """Index of the first hazard of ``kind``."""
    return next(i for i, h in enumerate(hazards) if h.kind == kind)


# ---------------------------------------------------------------------------------------------
# drawing


def draw_twists(ctx: DrillContext, difficulty: str, rng: np.random.Generator, base_first_s: float) -> list[Twist]:
    """Pick and parameterise the twists (all draws from ``rng``, in a fixed order)."""
    cat = twist_catalogue(ctx.kinds)
    k = min(TWIST_COUNT[difficulty], len(cat))
    chosen = [cat[int(i)] for i in sorted(rng.choice(len(cat), size=k, replace=False))]
    window = max(ctx.end_s - ctx.start_s, 3600.0)
    twists = []
    for kind in chosen:
        # every twist draws a time in the first part of the window, used or not: the stream stays put
        t = float(ctx.start_s + np.round(rng.uniform(0.1, 0.6) * window / 300.0) * 300.0)
        tw = _DRAW[kind](ctx, rng, t, base_first_s)
        if tw is not None:
            twists.append(tw)
    return twists


def _draw_team_unavailable(ctx: DrillContext, rng: np.random.Generator, t: float, first_s: float) -> Twist | None:
    """A squad of a team the hazards call on, early in the exercise (None: the plan has none)."""
    pool = _team_pool(ctx.plan, ctx.kinds)
    if not pool:
        return None
    base, ttype = pool[int(rng.integers(len(pool)))]
    return Twist("team_unavailable", ctx.start_s + 300.0 * int(rng.integers(1, 4)), "", "", True,
                 {"base": base, "type": ttype})


def _team_pool(plan: Plan, kinds: Sequence[str]) -> list[tuple[str, str]]:
    """``(base id, team type)`` of the plan's teams the hazards of ``kinds`` call on."""
    types = {t for k in kinds for t in _TEAMS_CALLED.get(k, ("general",))}
    return [(b.id, t.type) for b in plan.team_bases for t in b.teams if t.type in types]


def _draw_road_early(ctx: DrillContext, rng: np.random.Generator, t: float, first_s: float) -> Twist | None:
    """A named road, closing at ``t`` (None: the district names no roads, as a manifest's does not)."""
    roads = [slug(r.name_en) for r in ctx.district.spec.roads]
    if not roads:
        return None
    return Twist("road_early", t, "", "", True, {"road": roads[int(rng.integers(len(roads)))]})


def _draw_comms_outage(ctx: DrillContext, rng: np.random.Generator, t: float, first_s: float) -> Twist:
    """A township's public networks, down for 2, 4 or 6 hours."""
    towns = [x.id for x in ctx.district.spec.townships]
    return Twist("comms_outage", t, "", "", False, {"township": towns[int(rng.integers(len(towns)))],
                                                    "hours": float(rng.choice([2.0, 4.0, 6.0]))})


def _draw_shelter_overflow(ctx: DrillContext, rng: np.random.Generator, t: float, first_s: float) -> Twist | None:
    """300-800 self-evacuated people at a plan shelter (None: the plan has no shelter)."""
    sh = [s.id for s in ctx.plan.shelters]
    if not sh:
        return None
    return Twist("shelter_overflow", t, "", "", False, {"shelter": sh[int(rng.integers(len(sh)))],
                                                        "extra": int(rng.integers(3, 9)) * 100})


def _draw_second_ignition(ctx: DrillContext, rng: np.random.Generator, t: float, first_s: float) -> Twist | None:
    """A second fire, at least half an hour after the first moment of the scenario (None: the
    district names no forest areas to start it in)."""
    if not ctx.district.spec.forests:
        return None
    return Twist("second_ignition", max(t, first_s + 1800.0), "", "", True, {"seed": int(rng.integers(2**31))})


def _draw_wind_shift(ctx: DrillContext, rng: np.random.Generator, t: float, first_s: float) -> Twist:
    """The wind turning 45-100° while the gas is out: 10-40 min after the release starts."""
    chem = cast(ChemicalRelease, ctx.hazards[_of_kind(ctx.hazards, "chemical")])
    turn = float(rng.choice([-1.0, 1.0]) * rng.uniform(45.0, 100.0))
    at = float(chem.start_s + 300.0 * int(rng.integers(2, 9)))
    return Twist("wind_shift", at, "", "", True, {"turn_deg": round(turn)})


_DRAW: dict[str, Callable[[DrillContext, np.random.Generator, float, float], Twist | None]] = {
    "team_unavailable": _draw_team_unavailable, "road_early": _draw_road_early, "comms_outage": _draw_comms_outage,
    "shelter_overflow": _draw_shelter_overflow, "second_ignition": _draw_second_ignition,
    "wind_shift": _draw_wind_shift,
}


# ---------------------------------------------------------------------------------------------
# applying and re-running


@dataclass
class _Rerun:
    """What the physical twists change: the plan, and fresh hazards built on first need (fire
    models keep state, so a re-run needs new ones)."""

    plan: Plan
    build: Callable[[], list[Hazard]]
    hazards: list[Hazard] | None = None

    def fresh_hazards(self) -> list[Hazard]:
        """The hazards of the re-run, built the first time they are asked for."""
        if self.hazards is None:
            self.hazards = self.build()
        return self.hazards


def play_twists(ctx: DrillContext, twists: list[Twist],
                build_hazards: Callable[[], list[Hazard]]) -> tuple[DrillContext, list[Twist]]:
    """The twists with their texts, and the context of the run they lead to: ``ctx`` itself when
    no twist changes the physics, else the re-run with the changed plan and hazards."""
    rerun = _Rerun(ctx.plan, build_hazards)
    played = []
    for tw in twists:
        d = dict(tw.detail)
        zh, en = _APPLY[tw.kind](ctx, rerun, tw, d)
        played.append(replace(tw, zh=zh, en=en, detail=d))
    if rerun.plan is ctx.plan and rerun.hazards is None:
        return ctx, played
    hazards = rerun.hazards if rerun.hazards is not None else build_hazards()
    result = sim_run(ctx.district, hazards, rerun.plan, ctx.params)
    return replace(ctx, hazards=hazards, result=result), played


def _apply_team_unavailable(ctx: DrillContext, rerun: _Rerun, tw: Twist, d: dict[str, Any]) -> tuple[str, str]:
    """One squad fewer in the re-run's plan."""
    rerun.plan = _drop_squad(rerun.plan, d["base"], d["type"], ctx.params.squad_size)
    b = next(b for b in ctx.plan.team_bases if b.id == d["base"])
    d["entity"] = f"team:{d['base']}/{d['type']}"
    return (f"{b.name_zh}{TEAM_TYPES_ZH.get(d['type'], d['type'])}队报告：一个分队（{ctx.params.squad_size} 人）因车辆故障无法出动。",
            f"{b.name_en}: one {d['type'].replace('_', ' ')} squad ({ctx.params.squad_size} people) cannot deploy (vehicle breakdown).")


def _drop_squad(plan: Plan, base_id: str, team_type: str, squad: int) -> Plan:
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


def _apply_road_early(ctx: DrillContext, rerun: _Rerun, tw: Twist, d: dict[str, Any]) -> tuple[str, str]:
    """The road's edges closed from the twist's time on."""
    rerun.fresh_hazards().append(RoadDamage.of_edges(ctx.net, ctx.road_edges[d["road"]], tw.t_s))
    r = next(r for r in ctx.district.spec.roads if slug(r.name_en) == d["road"])
    d["entity"] = f"road:{d['road']}"
    return f"{r.name_zh}因山体滑坡/路基塌陷提前封闭。", f"{r.name_en} closes early (landslide / road-bed collapse)."


def _apply_comms_outage(ctx: DrillContext, rerun: _Rerun, tw: Twist, d: dict[str, Any]) -> tuple[str, str]:
    """Texts only: the simulation has no communications to cut."""
    town = next(t for t in ctx.district.spec.townships if t.id == d["township"])
    d["entity"] = f"township:{d['township']}"
    return (f"{town.name_zh}移动通信基站断电，公网通信中断，预计 {d['hours']:.0f} 小时。",
            f"Mobile base stations in {town.name_en} have lost power; public networks down for about {d['hours']:.0f} h.")


def _apply_shelter_overflow(ctx: DrillContext, rerun: _Rerun, tw: Twist, d: dict[str, Any]) -> tuple[str, str]:
    """Texts only: the extra people are not simulated."""
    s = next(s for s in ctx.plan.shelters if s.id == d["shelter"])
    d["entity"] = f"shelter:{d['shelter']}"
    return (f"{s.name_zh}涌入约 {d['extra']:,} 名自行转移群众，超出容量。",
            f"About {d['extra']:,} self-evacuated people arrive at {s.name_en}, beyond its capacity.")


def _apply_second_ignition(ctx: DrillContext, rerun: _Rerun, tw: Twist, d: dict[str, Any]) -> tuple[str, str]:
    """A second fire in the re-run, under the first fire's wind."""
    hazards = rerun.fresh_hazards()
    fire = cast(RasterFire, hazards[_of_kind(hazards, "fire")])
    new, forest, lonlat = _second_fire(ctx.district, fire, tw.t_s, np.random.default_rng(d["seed"]))
    hazards.append(new)
    d.update(entity=f"forest:{forest}", lonlat=lonlat)
    f = next(f for f in ctx.district.spec.forests if (f.id or slug(f.name_en)) == forest)
    return f"{f.name_zh}发现第二处火点（复燃/飞火）。", f"A second fire is seen in the {f.name_en} (spot fire)."


def _second_fire(district: District, fire: RasterFire, at_s: float,
                 rng: np.random.Generator) -> tuple[RasterFire, str, tuple[float, float]]:
    """A new ignition at ``at_s`` in a randomly drawn forest area, same model and weather as
    ``fire``, seen at once (the twist reports it): the fire, the forest's id and the ignition's
    (lon, lat)."""
    spec = district.spec
    forest = spec.forests[int(rng.integers(len(spec.forests)))]
    poly = np.asarray(forest.polygon)
    w = rng.dirichlet(np.ones(len(poly)))
    x, y = default_ignition(district, near=(w @ poly).tolist())
    lon, lat = to_lonlat(np.array([x]), np.array([y]), spec.district.crs)
    new = forest_fire(district, ignitions=[(float(lon[0]), float(lat[0]), float(at_s))],
                      wind_speed_m_s=fire.wind_speed_m_s, wind_from_deg=fire.wind_from_deg,
                      seed=int(rng.integers(2**31)), **_same_model(fire))
    return new, forest.id or slug(forest.name_en), (float(lon[0]), float(lat[0]))


def _same_model(fire: RasterFire) -> dict[str, Any]:
    """The model arguments that make a second fire burn like ``fire``."""
    if isinstance(fire, ForestFire):
        return {"model": "automaton"}
    f = cast(SurfaceFire, fire)
    return {"moisture": f.moisture, "wind_changes": f.wind[1:], "horizon_s": f.horizon_s, "detection": None,
            "neighbours": f.neighbours}


def _apply_wind_shift(ctx: DrillContext, rerun: _Rerun, tw: Twist, d: dict[str, Any]) -> tuple[str, str]:
    """The release in the re-run with its wind turning at the twist's time."""
    hazards = rerun.fresh_hazards()
    i = _of_kind(hazards, "chemical")
    hazards[i] = cast(ChemicalRelease, hazards[i]).with_wind_turn(tw.t_s, d["turn_deg"])
    turn = d["turn_deg"]
    return (f"气象局：风向转变约 {abs(turn)}°（{'顺' if turn > 0 else '逆'}时针），烟羽转向。",
            f"Met bureau: the wind turns about {abs(turn)}° ({'clockwise' if turn > 0 else 'anticlockwise'}); the plume swings round.")


_APPLY: dict[str, Callable[[DrillContext, _Rerun, Twist, dict[str, Any]], tuple[str, str]]] = {
    "team_unavailable": _apply_team_unavailable, "road_early": _apply_road_early,
    "comms_outage": _apply_comms_outage, "shelter_overflow": _apply_shelter_overflow,
    "second_ignition": _apply_second_ignition, "wind_shift": _apply_wind_shift,
}


def add_twist_injects(ctx: DrillContext, twists: Sequence[Twist]) -> None:
    """One inject per twist, at the time it takes effect, with exercise control's time limit."""
    for tw in twists:
        src, dlv, rcp, az, ae, after, obj = _TWIST_INJECT[tw.kind]
        ent = [tw.detail["entity"]] if "entity" in tw.detail else []
        ctx.add(tw.t_s, f"twist_{tw.kind}", tw.zh, tw.en, src, dlv, rcp, az, ae, tw.t_s + after,
                "导调要求的处置时限", "response time set by exercise control", obj or ctx.main_objective, ent,
                f"twist:{tw.kind}", twist=tw.kind)
