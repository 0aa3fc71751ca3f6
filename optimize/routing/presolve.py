"""Presolve: which vehicle may serve which stop, and the stops no vehicle can ever serve (no path,
demand above every capacity, a window no vehicle can reach), each with the reason.

Stops found here are reported as unserved and proven so; the search only sees the others.
"""
from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import csgraph_from_dense, shortest_path

from network.errors import UnreachableError

from .model import RoutingProblem
from .results import amount


def presolve(model: RoutingProblem) -> tuple[np.ndarray, dict[int, tuple[str, bool]]]:
    """Which vehicle may serve which stop, and the stops no vehicle can ever serve."""
    s = model.stops
    usable = np.isfinite(model.cost) & np.isfinite(model.travel)
    trans = np.where(usable, model.transit(), np.inf)
    sp = shortest_path(csgraph_from_dense(trans, null_value=np.inf), method="D")
    dep = model.vehicle_depots
    to_s, back = sp[dep][:, s], sp[s][:, dep].T                           # (v, stops)
    reach = np.isfinite(to_s) & np.isfinite(back)
    cap_ok = np.all(model.demands[s][None, :, :] <= model.capacities[:, None, :] + 1e-9, axis=2)
    time_ok = np.ones_like(reach)
    if model.windows is not None:
        w = model.windows
        start = w[dep, 0][:, None] + to_s                                  # earliest arrival
        time_ok &= start <= w[s, 1][None, :] + 1e-9
        time_ok &= np.maximum(start, w[s, 0][None, :]) + back <= w[dep, 1][:, None] + 1e-9
    if model.max_route_time is not None:
        time_ok &= to_s + back <= model.max_route_time[:, None] + 1e-9
    allowed = reach & cap_ok & time_ok
    reasons: dict[int, tuple[str, bool]] = {}
    for k in np.flatnonzero(~allowed.any(axis=0)):
        stop = int(s[k])
        if not reach[:, k].any():
            why = "no path from and back to any vehicle's depot"
        elif not cap_ok[:, k].any():
            why = (f"demand {model.demand_of(stop)} exceeds every vehicle's capacity "
                   f"(largest {amount(model.capacities.max(axis=0))})")
        elif not (cap_ok[:, k] & reach[:, k]).any():
            why = "no vehicle that can carry its demand can reach it"
        else:
            why = "its time window cannot be met by any vehicle, even driving straight from its depot"
        reasons[stop] = (why, True)
    unreachable = [st for st, (why, _) in reasons.items() if why.startswith("no path")]
    if unreachable and model.unreachable == "error":
        shown = ", ".join(map(str, unreachable[:10])) + (" ..." if len(unreachable) > 10 else "")
        raise UnreachableError(f"{len(unreachable)} stop(s) have no path from and back to any vehicle's "
                               f"depot: {shown} (pass unreachable='drop' to report them as unserved)")
    return allowed, reasons
