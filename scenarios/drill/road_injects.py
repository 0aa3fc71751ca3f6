"""Injects for the district's named roads and bridges as the hazards close them in the run."""
from __future__ import annotations

import math

import numpy as np

from network.hazard import combine_states
from scenarios.core.naming import slug

from .catalogue import DETOUR_S
from .context import DrillContext

#: limit that keeps an MSEL readable: the earliest N road closures
MAX_ROAD_INJECTS = 8


def add_road_injects(ctx: DrillContext) -> None:
    """Traffic police report each named road as it closes (speed factor 0 on any of its edges);
    a road a twist closed early already has its inject."""
    first = _first_closures(ctx)
    names = {slug(r.name_en): r for r in ctx.district.spec.roads}
    twisted = {x["entities"][0] for x in ctx.items if x["kind"] == "twist_road_early"}
    closed = sorted((k for k in first if math.isfinite(first[k]) and f"road:{k}" not in twisted), key=first.get)
    for k in closed[:MAX_ROAD_INJECTS]:
        r = names[k]
        ctx.add(first[k], "road_closed", f"{r.name_zh}部分路段因灾中断，车辆无法通行。",
                f"Part of {r.name_en} is cut by the hazard; vehicles cannot pass.",
                "traffic_police", "phone", "traffic", "实施交通管制，设置绕行路线，通知救援队伍和物资车辆改道。",
                "Close the road, sign a detour, re-route rescue teams and supply trucks.",
                first[k] + DETOUR_S, "20 分钟内完成绕行方案并通报", "detour set and announced within 20 min",
                ctx.main_objective, [f"road:{k}"], "hazard:road closed (speed factor 0)")


def _first_closures(ctx: DrillContext) -> dict[str, float]:
    """The first hazard step at which each named road has a closed edge (inf: never); edges shut
    at the start (bridges over the channel) are not news."""
    first = {k: math.inf for k in ctx.road_edges}
    baseline: np.ndarray | None = None
    quiet = [h.quiet_after_s for h in ctx.hazards]
    t = 0.0
    while t <= ctx.run_end_s + 1e-6:
        factor = combine_states([h.state(t, fields=False) for h, q in zip(ctx.hazards, quiet) if t <= q], ctx.net)
        if baseline is None:
            baseline = factor == 0
        for k, e in ctx.road_edges.items():
            if math.isinf(first[k]) and len(e) and ((factor[e] == 0) & ~baseline[e]).any():
                first[k] = t
        if all(math.isfinite(v) for v in first.values()):
            break
        t += ctx.params.hazard_step_s
    return first
