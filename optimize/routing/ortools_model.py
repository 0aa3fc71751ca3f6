"""The OR-Tools routing model: integer arc costs, capacity and time dimensions, vehicles allowed
per stop, drop penalties, and the search parameters of each metaheuristic and ruin-and-recreate
variant.

OR-Tools works in int64: costs, demands and times are scaled (:func:`int_scale`) and rounded so
that plans recomputed in floating point from the input matrices keep to the windows.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2 as enums, routing_ils_pb2 as ils_pb
from ortools.constraint_solver.routing_heuristic_parameters_pb2 import LocalCheapestInsertionParameters as _LCI

from .model import RoutingProblem

# Integer resolution: OR-Tools works in int64. Fractional inputs are scaled so that the largest
# finite value keeps about this many units (7 significant digits) — ample for seconds or metres.
_INT_RANGE = 10_000_000
_BOOL_FALSE, _BOOL_TRUE = 2, 3                  # ortools.util.OptionalBoolean
# Ruin-and-recreate variants, one per parallel worker (worker k runs variant k, cycling).
# "sisr_routes": each iteration ruins either SISR strings or two spatially close routes (one
#   picked at random), reinserts the removed stops in random order, then a local search
#   polishes the rebuilt plan. Removing whole routes lets the search repartition stops between
#   routes, and the random order rebuilds them differently each time; with both, A-n48-k7 went
#   from a trap at 1084 (every single setting before) to its optimum 1073 in most runs.
# "sisr_ls": SISR strings, stops reinserted in OR-Tools' fixed order, the local search (the
#   single-search default before); alone it did best on the larger set-A instances.
# "sisr": SISR strings only and no local search on the rebuilt plans, as in the SISR paper:
#   more iterations per second, but the weakest of the three alone on set A.
# Measured on the seven hardest set-A instances, 10 s each on a loaded 2-core machine: any
# variant alone ends in traps on some instances (mean gap 0.6-1.2 %, worst 1.5-2.2 %), but
# the traps of the first two rarely coincide: their best of two had mean 0.38 %, worst
# 0.78 %. A third worker on two cores starved the other two and did worse (worst 1.45 %).
ILS_VARIANTS = ("sisr_routes", "sisr_ls", "sisr")
_RANDOM_ORDER = {"sisr_routes"}


def int_scale(values: Sequence[np.ndarray]) -> float:
    """1 when every finite value is whole, else a power of ten keeping ~7 significant digits."""
    finite = [v[np.isfinite(v)] for v in values]
    finite = np.concatenate([f.ravel() for f in finite]) if finite else np.zeros(0)
    if finite.size == 0 or np.all(finite == np.round(finite)):
        return 1.0
    top = max(float(np.abs(finite).max()), 1e-12)
    return float(10.0 ** max(0, min(9, math.floor(math.log10(_INT_RANGE / top)))))


def typical_arc(c: np.ndarray) -> float:
    """Mean cost from a location to its (up to) 10 nearest others; 1 when there are none."""
    c = c.copy()
    np.fill_diagonal(c, np.inf)
    k = min(10, c.shape[0] - 1)
    if k < 1:
        return 1.0
    near = np.sort(c, axis=1)[:, :k]
    near = near[np.isfinite(near)]
    return float(near.mean()) if near.size and near.mean() > 0 else 1.0


def int_costs(model: RoutingProblem, servable: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Model nodes (the distinct depots, then the servable stops), their integer arc costs
    (arcs with no path: a cost above any plan), which arcs have no path, and the scale."""
    depots = sorted(set(model.vehicle_depots.tolist()))
    nodes = np.array(depots + servable, dtype=np.int64)
    sub = np.ix_(nodes, nodes)
    cost, travel = model.cost[sub], model.travel[sub]
    blocked = ~(np.isfinite(cost) & np.isfinite(travel))
    cscale = int_scale([cost])
    ci = np.where(blocked, 0, np.round(np.where(blocked, 0, cost) * cscale)).astype(np.int64)
    big = int(ci.max(initial=0)) * len(nodes) + 1
    ci[blocked] = big              # never used: the arcs are also removed from the domains
    return nodes, ci, blocked, cscale


def forbid(model: RoutingProblem, routing: Any, manager: Any, blocked: np.ndarray, n_depots: int) -> None:
    """Remove arcs with no path from the successor domains: they can never be chosen."""
    ends_at: dict[int, list[int]] = {}
    for v in range(model.num_vehicles):
        ends_at.setdefault(manager.IndexToNode(routing.End(v)), []).append(routing.End(v))

    def targets(j: int) -> list[int]:
        return ends_at.get(j, []) if j < n_depots else [manager.NodeToIndex(j)]

    froms: list[tuple[int, int]] = [(routing.Start(v), manager.IndexToNode(routing.Start(v)))
                                    for v in range(model.num_vehicles)]
    froms += [(manager.NodeToIndex(i), i) for i in range(n_depots, blocked.shape[0])]
    for idx, i in froms:
        bad = [t for j in np.flatnonzero(blocked[i]) for t in targets(int(j))]
        if bad:
            routing.NextVar(idx).RemoveValues(bad)


def add_capacities(model: RoutingProblem, routing: Any, nodes: np.ndarray) -> None:
    """Capacity: one dimension per commodity that some vehicle limits."""
    dscale = int_scale([model.demands, model.capacities])
    for k in range(model.demands.shape[1]):
        caps = model.capacities[:, k]
        if np.isinf(caps).all():
            continue
        dem = np.ceil(model.demands[nodes, k] * dscale - 1e-9).astype(np.int64)
        cap = np.where(np.isinf(caps), dem.sum(), np.floor(caps * dscale + 1e-9)).astype(np.int64)
        cb = routing.RegisterUnaryTransitVector(dem.tolist())
        routing.AddDimensionWithVehicleCapacity(cb, 0, cap.tolist(), True, f"load{k}")


def add_time(model: RoutingProblem, routing: Any, manager: Any, nodes: np.ndarray, blocked: np.ndarray,
             n_depots: int) -> float:
    """Time dimension: windows, service times, tour length limits. Returns the time scale."""
    w = model.windows if model.windows is not None else np.column_stack([np.zeros(model.n), np.full(model.n, np.inf)])
    trans = model.transit()[np.ix_(nodes, nodes)]
    tscale = int_scale([trans, w[nodes], model.max_route_time if model.max_route_time is not None else np.zeros(0)])
    # Round travel up and deadlines down: times recomputed in floating point then never
    # exceed the solver's, so every reported arrival is inside its window.
    ti = np.ceil(np.where(blocked, 0, trans) * tscale - 1e-9).astype(np.int64)
    opens = np.ceil(w[nodes, 0] * tscale - 1e-9).astype(np.int64)
    finite_close = np.isfinite(w[nodes, 1])
    reach_bound = int(opens.max(initial=0) + ti.max(axis=1).sum() + 1)
    closes_f = np.floor(np.where(finite_close, w[nodes, 1], 0) * tscale + 1e-9).astype(np.int64)
    horizon = int(max(reach_bound if not finite_close.all() else 0, closes_f.max(initial=0), opens.max(initial=0)))
    closes = np.where(finite_close, closes_f, horizon)
    ti[blocked] = horizon + 1
    cb = routing.RegisterTransitMatrix(ti.tolist())
    routing.AddDimension(cb, horizon, horizon, False, "time")
    dim = routing.GetDimensionOrDie("time")
    for k in range(n_depots, len(nodes)):
        dim.CumulVar(manager.NodeToIndex(k)).SetRange(int(opens[k]), int(closes[k]))
    for v in range(model.num_vehicles):
        k = manager.IndexToNode(routing.Start(v))
        dim.CumulVar(routing.Start(v)).SetRange(int(opens[k]), int(closes[k]))
        dim.CumulVar(routing.End(v)).SetRange(int(opens[k]), int(closes[k]))
        if model.max_route_time is not None and np.isfinite(model.max_route_time[v]):
            dim.SetSpanUpperBoundForVehicle(int(math.floor(model.max_route_time[v] * tscale + 1e-9)), v)
        # Earliest schedule: leave as soon as the depot opens, arrive as early as possible.
        routing.AddVariableMinimizedByFinalizer(dim.CumulVar(routing.Start(v)))
        routing.AddVariableMinimizedByFinalizer(dim.CumulVar(routing.End(v)))
    return tscale


def restrict_vehicles(model: RoutingProblem, routing: Any, manager: Any, allowed: np.ndarray,
                      servable: list[int], pos: dict[int, int]) -> None:
    """Stops that only some vehicles can serve: say so, which also prunes the search."""
    stop_col = {int(s): k for k, s in enumerate(model.stops)}
    for loc in servable:
        ok = np.flatnonzero(allowed[:, stop_col[loc]])
        if len(ok) < model.num_vehicles:
            # SetAllowedVehiclesForIndex rejects Python lists in OR-Tools 9.15 (absl::Span);
            # restricting the vehicle variable is the same constraint (-1: not performed)
            routing.VehicleVar(manager.NodeToIndex(pos[loc])).SetValues([-1] + [int(v) for v in ok])


def add_drops(model: RoutingProblem, routing: Any, manager: Any, servable: list[int], pos: dict[int, int],
              ci: np.ndarray, blocked: np.ndarray, cscale: float) -> None:
    """Let the search leave each servable stop out at its penalty."""
    for loc, p in zip(servable, penalties(model, servable, np.where(blocked, 0, ci), cscale)):
        routing.AddDisjunction([manager.NodeToIndex(pos[loc])], int(p))


def penalties(model: RoutingProblem, servable: list[int], ci: np.ndarray, cscale: float) -> np.ndarray:
    """Integer drop penalties per servable stop; ``ci``: integer costs, 0 on blocked arcs."""
    if model.drop_penalty is not None:
        return np.round(model.drop_penalty[servable] * cscale).astype(np.int64)
    # Every index has one successor, so no plan costs more than the sum of the largest finite
    # outgoing arcs: above that, dropping a stop never pays while it fits somewhere.
    finite_max = ci.max(axis=1)
    bound = int(finite_max.sum() + model.num_vehicles * finite_max.max(initial=0)) + 1
    d = model.demands[servable].sum(axis=1)
    # Unmet demand first (in 1 % steps of the largest stop), then the number of stops left out.
    weight = 1.0 + (100.0 * d / d.max() if d.max() > 0 else 0.0)
    return np.round(bound * weight).astype(np.int64)


def search_parameters(first_solution: str, metaheuristic: str, time_left: float, log: bool,
                      arc_scale: float = 1.0, ils: str = ILS_VARIANTS[0]) -> Any:
    """OR-Tools search parameters; ``arc_scale`` is a typical arc cost (integer units),
    ``ils`` the ruin-and-recreate variant (see :data:`ILS_VARIANTS`)."""
    p = pywrapcp.DefaultRoutingSearchParameters()
    p.first_solution_strategy = getattr(enums.FirstSolutionStrategy, first_solution.upper())
    p.use_full_propagation = False
    p.log_search = log
    p.time_limit.FromMilliseconds(max(1, int(time_left * 1000)))
    if metaheuristic != "ruin_recreate":
        p.local_search_metaheuristic = getattr(enums.LocalSearchMetaheuristic, metaheuristic.upper())
        return p
    # Iterated local search: SISR ruin (and, per variant, whole-route ruin), cheapest-insertion
    # recreate, a quick local search on each rebuilt plan (per variant), simulated-annealing
    # acceptance.
    p.use_iterated_local_search = True
    p.local_search_metaheuristic = enums.LocalSearchMetaheuristic.GREEDY_DESCENT
    ops = p.local_search_operators
    keep = {"use_relocate", "use_exchange", "use_cross", "use_two_opt", "use_or_opt",
            "use_make_active", "use_make_inactive", "use_swap_active"}   # the last three: drops
    for f in ops.DESCRIPTOR.fields:
        setattr(ops, f.name, _BOOL_TRUE if f.name in keep else _BOOL_FALSE)
    ils_p = p.iterated_local_search_parameters
    ils_p.perturbation_strategy = ils_pb.PerturbationStrategy.RUIN_AND_RECREATE
    ils_p.improve_perturbed_solution = ils != "sisr"
    rr = ils_p.ruin_recreate_parameters
    del rr.ruin_strategies[:]
    sisr = rr.ruin_strategies.add().sisr
    sisr.max_removed_sequence_size = 10                 # SISR's published settings
    sisr.avg_num_removed_visits = 10
    sisr.bypass_factor = 0.01
    if ils == "sisr_routes":
        rr.ruin_strategies.add().spatially_close_routes.num_ruined_routes = 2
        # one ruin per iteration, picked by OR-Tools' own fixed-seed generator: deterministic
        rr.ruin_composition_strategy = ils_pb.RuinCompositionStrategy.RUN_ONE_RANDOMLY
    rr.recreate_strategy.heuristic = enums.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
    if ils in _RANDOM_ORDER:
        # Reinsert the removed stops in random order (OR-Tools' fixed-seed generator), as
        # SISR mostly does, not in a fixed order that rebuilds the same routes each time.
        rr.recreate_strategy.parameters.local_cheapest_insertion.insertion_sorting_properties.append(
            _LCI.SORTING_PROPERTY_RANDOM)
    sa = ils_p.reference_solution_acceptance_strategy.simulated_annealing
    sa.cooling_schedule_strategy = ils_pb.CoolingScheduleStrategy.EXPONENTIAL   # over time or solutions
    # Temperatures relative to a typical arc (mean distance to the 10 nearest stops), so the
    # schedule does not depend on the cost unit; 1.5 -> 0.015 arcs was best on set A.
    sa.initial_temperature = 1.5 * arc_scale
    sa.final_temperature = 0.015 * arc_scale
    sa.automatic_temperatures = False
    return p
