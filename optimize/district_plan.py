"""The district plan optimiser: where new team bases, shelters and warehouses go.

:func:`optimize_district_plan` keeps every existing facility (``Plan.existing``) and places new
ones on the district's road network:

* **team bases**, one demand layer per team type, travel times *from* the base *to* the demand:
  general rescue — residents; water rescue — people at flood risk (``flood_prone``);
  forest fire — forest-edge road nodes (within 300 m of forest land, where crews reach a fire);
  hazmat — the chemical and fireworks sites of the district file. Objective ``median``
  (population-weighted time, :class:`~optimize.location.PMedian`), ``center`` (worst time,
  :class:`~optimize.location.PCenter`) or ``cover:MINUTES`` (people within the standard,
  :class:`~optimize.location.MaximalCovering`). Candidate sites: junctions of the tertiary and
  larger roads, one per ``candidate_cell_m`` square (the best-connected one).
* **shelters**, capacitated location-allocation with single sourcing
  (:class:`~optimize.location.CapacitatedPMedian`; capacity = area / area per person), travel
  times *from* home *to* the shelter; candidates are the district file's candidate sites. When
  capacity cannot hold everyone, an explicit "no place" column (priced far above any travel
  time) takes the rest, so the plan still houses as many as possible and the report says which
  townships lack how many places. A new shelter is fitted out for the people assigned to it
  plus a margin (``SHELTER_SIZING_MARGIN``, rounded up to 50 places), never beyond its site's
  capacity: the plan opens what it needs, not the whole park.
* **warehouses**, township coverage first (the plan asks for a warehouse in every township):
  townships without one get one, largest population first, each at the site of that township
  that minimises its population-weighted delivery time; warehouses beyond that go by p-median
  over all residents. Each shelter is then supplied by its nearest warehouse, and each new
  warehouse is stocked by need: one day of the relief standard's shelter kit for the people in
  need it reaches first (:func:`stock_by_need`).

Robust runs (``hazards_sets``): each set of hazard objects (``state(t).edge_speed_factor``) gives
one damaged network. The state used is the **peak** of the set: at each of ``state_hours`` the
hazards' speed factors are combined (the smallest wins) and the time with the most damaged road
length (sum of length x (1 - factor)) is kept. The elementwise minimum over all times would close
roads together that are never closed at the same moment, so it is not used. Team bases and
warehouses then go to :class:`~optimize.robust.RobustPMedian` (``robust`` = expected, worst or
regret; unreachable pairs count as ``unreachable_minutes``). Water-rescue crews carry boats: on
the flood's wet roads they move at ``boat_speed_kmh`` (8 km/h, the simulation's default), so
their times use the boat network. People reach shelters before the water (free-flow roads); a
shelter whose roads are all closed at a scenario's peak is unusable there. Shelters use one cost
per pair combined over the scenarios (probability-weighted mean for ``expected``, the maximum
for ``worst``/``regret``), since the capacitated model has no scenario-wise form here. Without
``flood_prone``, the people at flood risk are those the hazard sets affect (severity AFFECTED or
worse at any of ``state_hours``, the largest number over the sets).

The optimisation runs on demand aggregated to ``demand_cell_m`` squares within each township
(the most populated node stands for its square); the report's before/after figures are
computed on every node.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.ndimage import distance_transform_edt

from network.cells import DEFAULT_CSV_ENCODING, csv_dict_writer, open_csv
from network.errors import InputError
from network.hazard import AFFECTED, Hazard
from network.model import RoadNetwork
from network.paths import nearest_facility, travel_time_matrix
from network.plan import Plan, Shelter, Team, TeamBase, Warehouse
from network.relief_standard import DEFAULT_STANDARD
from network.roadclass import RoadClass
from network.terrain import FOREST_CLASSES
from network.travel import boat_free_times, boat_times

from .location import CapacitatedPMedian, MaximalCovering, PCenter, PMedian
from .result import LocationResult
from .robust import RobustPMedian

__all__ = ["optimize_district_plan", "DistrictPlanReport", "TEAM_LAYERS", "parse_objective",
           "ScenarioNetwork", "damaged_network", "response_stats", "candidate_sites", "team_demand_layers"]

#: team layer -> (team types of existing bases that serve it, Chinese and English names)
TEAM_LAYERS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "general": (("general",), "综合救援", "general rescue"),
    "water_rescue": (("water_rescue", "flood"), "水域救援", "water rescue"),
    "forest_fire": (("forest_fire",), "森林消防", "forest fire"),
    "hazmat": (("hazmat",), "危化品救援", "hazmat"),
}
#: team size of a new base when the district has no team of that type to copy
_DEFAULT_PEOPLE = {"general": 20, "water_rescue": 8, "forest_fire": 30, "hazmat": 6}
_FOREST_EDGE_M = 300.0
_SHELTER_CHUNK = 300        # people per shelter demand unit (single sourcing packs these)
_SHELTER_UNIT = 50          # shelter demand is counted in fifties of people (keeps the knapsack bound small)
#: a new shelter is fitted out for its assigned people plus this share (a planning estimate:
#: room for people the estimate missed; docs/references/hazards.md §6.5)
SHELTER_SIZING_MARGIN = 0.2
ROBUST_MODES = ("expected", "worst", "regret")


# ============================================================================ inputs
def parse_objective(text: str) -> tuple[str, float | None]:
    """``median`` | ``center`` | ``cover:MINUTES`` -> (kind, minutes)."""
    t = str(text).strip().lower()
    if t in ("median", "center"):
        return t, None
    if t.startswith("cover:"):
        try:
            minutes = float(t.split(":", 1)[1])
        except ValueError:
            minutes = float("nan")
        if not math.isfinite(minutes) or minutes <= 0:
            raise InputError(f"objective: cover needs a positive number of minutes (cover:30), got {text!r}")
        return "cover", minutes
    raise InputError(f"objective: expected median, center or cover:MINUTES, got {text!r}")


def _count(value: Any, what: str) -> int:
    """A whole number >= 0 (``what`` names it in the error)."""
    try:
        v = int(value)
        if float(value) != v:
            raise ValueError
    except (TypeError, ValueError):
        raise InputError(f"{what}: expected a whole number >= 0, got {value!r}") from None
    if v < 0:
        raise InputError(f"{what}: must be >= 0, got {v}")
    return v


def _team_counts(teams: int | Mapping[str, int]) -> dict[str, int]:
    """New bases per team layer, from one number for all layers or a mapping."""
    if isinstance(teams, Mapping):
        unknown = sorted(set(teams) - set(TEAM_LAYERS))
        if unknown:
            raise InputError(f"teams: unknown team layer {unknown[0]!r}; known: {', '.join(TEAM_LAYERS)}")
        return {k: _count(v, f"teams[{k}]") for k, v in teams.items()}
    n = _count(teams, "teams")
    return {k: n for k in TEAM_LAYERS}


# ============================================================================ network pieces
@dataclass(frozen=True)
class ScenarioNetwork:
    """One hazard set's damaged network: edge times (s) at its peak, and the people it affects."""

    label: str
    weights: np.ndarray
    boat_weights: np.ndarray
    time_s: float | None
    closed_edges: int
    slowed_edges: int
    affected: np.ndarray
    cut_nodes: np.ndarray   # nodes whose every road is closed at the peak (a shelter there is unusable)


def damaged_network(net: RoadNetwork, hazards: Sequence[Hazard], times_s: Sequence[float], label: str,
                    boat_speed_kmh: float = 8.0) -> ScenarioNetwork:
    """The peak state of a set of hazards (most damaged road length over ``times_s``).

    Parameters
    ----------
    net : network.model.RoadNetwork
        The road network the hazards act on.
    hazards : sequence of network.hazard.Hazard
        Their states give ``edge_speed_factor`` per edge and the ``affected`` people; the roads
        closed by hazards that declare ``water_on_roads`` (floods) are water boats cross.
    times_s : sequence of float
        Times to sample, in seconds; the one with the most damaged road length is kept.
    label : str
        The scenario's name.
    boat_speed_kmh : float
        Boat speed on flooded roads (never faster than free-flow driving), as in the
        simulation's boat mode.

    Returns
    -------
    ScenarioNetwork
        Road and boat edge times at the peak, its time, closed and slowed edge counts, the
        people affected per node (largest over the times) and the nodes cut off at the peak.

    Raises
    ------
    InputError
        ``hazards`` is empty.
    """
    if not hazards:
        raise InputError(f"hazard set {label!r}: no hazards")
    best, best_t, best_score, best_water = None, None, -1.0, None
    affected = np.zeros(net.n_nodes)
    for t in times_s:
        factor = np.ones(net.n_edges)
        water = np.zeros(net.n_edges, bool)
        for hz in hazards:
            st = hz.state(float(t), fields=False)
            f = np.asarray(st.edge_speed_factor, float)
            np.minimum(factor, f, out=factor)
            if hz.water_on_roads:
                water |= f < 1.0
            a = st.affected
            # people who need rescue, shelter and relief; merely warned (THREATENED) people are left out
            hit = np.asarray(a.severity) >= AFFECTED
            if hit.any():
                per = np.zeros(net.n_nodes)
                np.add.at(per, np.asarray(a.node, np.int64)[hit], np.asarray(a.people, float)[hit])
                np.maximum(affected, per, out=affected)
        score = float((net.length * (1.0 - factor)).sum())
        if score > best_score:
            best, best_t, best_score, best_water = factor, float(t), score, water
    road = net.travel_times(best)
    boat = boat_times(road, net.travel_times(), boat_free_times(net, boat_speed_kmh), best_water)
    open_edge = best > 0
    touched = np.bincount(net.edge_source[open_edge], minlength=net.n_nodes) + np.bincount(
        net.indices[open_edge], minlength=net.n_nodes)
    return ScenarioNetwork(label, road, boat, best_t, int((best == 0).sum()), int(((best > 0) & (best < 1)).sum()),
                           affected, touched == 0)


def candidate_sites(district, cell_m: float = 1500.0) -> np.ndarray:
    """Junctions of tertiary and larger roads inside the district, the best-connected per square."""
    net = district.network
    main = net.road_class <= int(RoadClass.TERTIARY)
    deg = np.bincount(net.edge_source[main], minlength=net.n_nodes) + np.bincount(net.indices[main], minlength=net.n_nodes)
    ok = np.flatnonzero((deg > 0) & (net.zone >= 0))
    if ok.size == 0:
        raise InputError("the district has no main-road nodes inside its boundary to place facilities on")
    cx = np.floor(net.x[ok] / cell_m).astype(np.int64)
    cy = np.floor(net.y[ok] / cell_m).astype(np.int64)
    order = np.lexsort((ok, -deg[ok], cy, cx))
    keys = np.stack([cx[order], cy[order]], axis=1)
    first = np.ones(len(order), bool)
    first[1:] = np.any(keys[1:] != keys[:-1], axis=1)
    return np.sort(ok[order[first]])


def team_demand_layers(district, flood_prone: np.ndarray) -> dict[str, np.ndarray]:
    """Per-node demand weight of each team layer (see the module docstring)."""
    net = district.network
    lc = district.terrain.landcover
    forest = np.isin(lc.values, [int(c) for c in FOREST_CLASSES])
    dist = lc.like(distance_transform_edt(~forest) * lc.cellsize)
    near = dist.sample(net.x, net.y, method="nearest")
    edge = np.where(np.isfinite(near) & (near <= _FOREST_EDGE_M) & (net.zone >= 0), 1.0, 0.0)
    sites = [f for f in district.spec.facilities if f.kind in ("hazmat_site", "fireworks_site")]
    hazmat = np.zeros(net.n_nodes)
    if sites:
        np.add.at(hazmat, district.facility_nodes(sites), 1.0)
    return {"general": np.asarray(net.population, float), "water_rescue": flood_prone,
            "forest_fire": edge, "hazmat": hazmat}


def _aggregate(net, w: np.ndarray, cell_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Demand squares within townships: (representative node, weight, group of each node or -1)."""
    sel = np.flatnonzero(w > 0)
    group = np.full(net.n_nodes, -1, np.int64)
    if sel.size == 0:
        return np.zeros(0, np.int64), np.zeros(0), group
    keys = np.stack([net.zone[sel], np.floor(net.x[sel] / cell_m), np.floor(net.y[sel] / cell_m)], axis=1)
    _, inv = np.unique(keys, axis=0, return_inverse=True)
    inv = inv.ravel()
    weight = np.bincount(inv, weights=w[sel])
    order = np.lexsort((sel, -w[sel], inv))
    first = np.ones(len(order), bool)
    first[1:] = inv[order][1:] != inv[order][:-1]
    rep = np.empty(weight.size, np.int64)
    rep[inv[order][first]] = sel[order][first]
    group[sel] = inv
    return rep, weight, group


def _minutes(net, sites: np.ndarray, demands: np.ndarray, weights: np.ndarray | None, reverse: bool) -> np.ndarray:
    """demands x sites minutes: from the site (teams) or, ``reverse``, to the site (people)."""
    M = travel_time_matrix(net, np.asarray(sites, np.int64), np.asarray(demands, np.int64), weights, reverse=reverse)
    return np.ascontiguousarray(M.T / 60.0)


def response_stats(net, facility_nodes: Sequence[int], node_weight: np.ndarray, weights: np.ndarray | None = None,
                   *, reverse: bool = False, standard_min: float = 30.0) -> dict[str, float]:
    """Weighted mean, p90 and max minutes to the nearest facility, and the share within the standard.

    Unreachable demand is left out of mean/p90/max, counted in ``unreachable`` and never
    within the standard.
    """
    w = np.asarray(node_weight, float)
    total = float(w[w > 0].sum())
    if total <= 0 or len(facility_nodes) == 0:
        return {"mean_min": math.nan, "p90_min": math.nan, "max_min": math.nan, "within_share": math.nan,
                "unreachable": total if len(facility_nodes) == 0 else 0.0, "demand": total}
    t = nearest_facility(net, np.asarray(facility_nodes, np.int64), weights, reverse=reverse).time / 60.0
    sel = w > 0
    ok = sel & np.isfinite(t)
    tt, ww = t[ok], w[ok]
    if ww.sum() <= 0:
        return {"mean_min": math.nan, "p90_min": math.nan, "max_min": math.nan, "within_share": 0.0,
                "unreachable": total, "demand": total}
    o = np.argsort(tt, kind="stable")
    cum = np.cumsum(ww[o])
    p90 = float(tt[o][np.searchsorted(cum, 0.9 * cum[-1] - 1e-9 * cum[-1])])
    return {"mean_min": float(np.average(tt, weights=ww)), "p90_min": p90, "max_min": float(tt.max()),
            "within_share": float(ww[tt <= standard_min].sum() / total), "unreachable": float(w[sel & ~np.isfinite(t)].sum()),
            "demand": total}


# ============================================================================ report
@dataclass
class DistrictPlanReport:
    """Before/after response figures per layer and network, and how each model was solved."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    solves: list[dict[str, Any]] = field(default_factory=list)
    shelter: dict[str, Any] = field(default_factory=dict)
    scenarios: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (non-finite numbers as None)."""
        return {"rows": [_plain(r) for r in self.rows], "solves": [_plain(s) for s in self.solves],
                "shelter": _plain(self.shelter), "scenarios": _plain(self.scenarios), "notes": list(self.notes),
                "settings": _plain(self.settings)}

    COLUMNS = ("layer_zh", "layer_en", "network", "demand", "before_mean_min", "after_mean_min", "before_p90_min",
               "after_p90_min", "before_max_min", "after_max_min", "before_within_share", "after_within_share",
               "before_unreachable", "after_unreachable")

    def write_csv(self, path: str | Path, encoding: str = DEFAULT_CSV_ENCODING) -> Path:
        """The before/after rows as CSV (:attr:`COLUMNS`; by default UTF-8 with a BOM, as Excel
        opens Chinese right); returns the path."""
        path = Path(path)
        with open_csv(path, encoding) as fh:
            wr = csv_dict_writer(fh, list(self.COLUMNS), extrasaction="ignore")  # text cells never run as formulas
            wr.writeheader()
            for r in self.rows:
                wr.writerow({k: (round(v, 3) if isinstance(v, float) and math.isfinite(v) else v) for k, v in r.items()})
        return path


def _plain(v: Any) -> Any:
    """A JSON-ready copy: numpy values as Python ones, non-finite floats as None."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, np.ndarray):
        return _plain(v.tolist())
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _solve_summary(layer: str, res: LocationResult, new: list[str]) -> dict[str, Any]:
    """How one placement was solved, for ``report.solves``."""
    return {"layer": layer, "model": res.model, "status": res.status.value, "objective": res.objective,
            "best_bound": res.best_bound, "gap": res.gap, "seconds": round(res.seconds, 3), "solver": res.solver,
            "message": res.message, "new": new}


class _Budget:
    """Splits one time limit over the solves still to run (unused time flows on)."""

    def __init__(self, total: float, solves: int) -> None:
        self.deadline = time.perf_counter() + total
        self.left = max(solves, 1)

    def next(self) -> float:
        share = max(0.5, (self.deadline - time.perf_counter()) / self.left)
        self.left = max(self.left - 1, 1)
        return share


# ============================================================================ placement
#: (label, road edge seconds, boat edge seconds, cut nodes); None for the free-flow network's arrays
_NetTuple = tuple[str, Any, Any, Any]
_FREE_FLOW: _NetTuple = ("正常路网 / free flow", None, None, None)


@dataclass
class _Ctx:
    """What every placement shares: the networks to plan on, the robust mode, the time budget, the report."""

    district: Any
    nets: list[_NetTuple]   # free flow alone when not robust
    robust: str | None
    probabilities: np.ndarray | None
    penalty_min: float
    budget: _Budget
    solver: str
    report: DistrictPlanReport
    nets_all: list[_NetTuple] = field(default_factory=list)  # free flow + scenarios, for the report


def _place(ctx: _Ctx, layer: str, sites: np.ndarray, demands: np.ndarray, w: np.ndarray, n_fixed: int, p_new: int,
           objective: tuple[str, float | None], reverse: bool = False, boat: bool = False
           ) -> tuple[np.ndarray, LocationResult]:
    """Open ``p_new`` of ``sites[n_fixed:]`` next to the fixed ``sites[:n_fixed]``; returns their indices."""
    net = ctx.district.network
    kind, minutes = objective
    costs = [_minutes(net, sites, demands, bw if boat else rw, reverse) for _, rw, bw, _ in ctx.nets]
    p = n_fixed + p_new
    fixed = list(range(n_fixed))
    if p > len(sites):
        raise InputError(f"{layer}: {p_new} new sites asked for but only {len(sites) - n_fixed} candidates exist")
    tl = ctx.budget.next()
    labels = [n[0] for n in ctx.nets]
    if ctx.robust is None:
        C = costs[0]
        if kind == "median":
            model = PMedian.from_cost_matrix(C, w, p=p, fixed=fixed)
        elif kind == "center":
            model = PCenter.from_cost_matrix(C, (w > 0).astype(float), p=p, fixed=fixed)
        else:
            model = MaximalCovering.from_cost_matrix(C, w, service_radius=minutes, p=p, fixed=fixed)
        res = model.solve(time_limit_s=tl, solver=ctx.solver)
    elif kind == "cover":
        if ctx.robust != "expected":
            raise InputError(f"objective cover:{minutes:g} is robust only in expectation; use --robust-objective "
                             "expected, or objective median/center for worst or regret")
        stacked = np.vstack([np.where(np.isfinite(c), c, ctx.penalty_min) for c in costs])
        sw = np.concatenate([pi * w for pi in ctx.probabilities])
        res = MaximalCovering.from_cost_matrix(stacked, sw, service_radius=minutes, p=p, fixed=fixed).solve(
            time_limit_s=tl, solver=ctx.solver)
    else:
        mode = ctx.robust if kind == "median" else "center"
        ww = w if kind == "median" else (w > 0).astype(float)
        res = RobustPMedian.from_cost_matrices(costs, ww, p=p, probabilities=ctx.probabilities, fixed=fixed,
                                               objective=mode, unreachable_penalty=ctx.penalty_min,
                                               scenario_labels=labels).solve(time_limit_s=tl, solver=ctx.solver)
    if not res.status.has_solution:
        raise InputError(f"{layer}: no placement found ({res.status.value}: {res.message})")
    new = np.array([j for j in res.sites if j >= n_fixed], np.int64)
    return new, res


def _zone_names(district, node: int) -> tuple[str, str]:
    """Chinese and English names of the township ``node`` lies in."""
    z = int(district.network.zone[node])
    return district.zone_name(z, "zh"), district.zone_name(z, "en")


def _stats_rows(ctx: _Ctx, layer_zh: str, layer_en: str, before: Sequence[int], after: Sequence[int],
                node_weight: np.ndarray, reverse: bool, standard_min: float, boat: bool = False,
                shelter: bool = False) -> None:
    """Before/after response figures of one layer on every network, appended to ``report.rows``."""
    net = ctx.district.network
    for label, rw, bw, cut in ctx.nets_all:
        wt = bw if boat else rw
        bef, aft = np.asarray(before, np.int64), np.asarray(after, np.int64)
        if shelter and cut is not None:
            # people reach shelters before the water (free-flow roads); a cut-off shelter is unusable
            wt = None
            bef, aft = bef[~cut[bef]], aft[~cut[aft]]
        b = response_stats(net, bef, node_weight, wt, reverse=reverse, standard_min=standard_min)
        a = response_stats(net, aft, node_weight, wt, reverse=reverse, standard_min=standard_min)
        row = {"layer_zh": layer_zh, "layer_en": layer_en, "network": label, "demand": b["demand"]}
        for key in ("mean_min", "p90_min", "max_min", "within_share", "unreachable"):
            row[f"before_{key}"], row[f"after_{key}"] = b[key], a[key]
        ctx.report.rows.append(row)


# ============================================================================ the optimiser
def optimize_district_plan(
    district, *, teams: int | Mapping[str, int] | None = 0, shelters: int = 0, warehouses: int = 0,
    objective: str = "median", hazards_sets: Sequence[Sequence[Any]] | None = None,
    hazard_labels: Sequence[str] | None = None, probabilities: Sequence[float] | None = None,
    robust: str = "expected", time_limit_s: float = 60.0,
    flood_prone: np.ndarray | Callable[[], np.ndarray] | None = None, shelter_share: float = 1.0, unreachable_minutes: float = 240.0, state_hours: Sequence[float] | None = None,
    standard_minutes: float = 30.0, demand_cell_m: float = 750.0, candidate_cell_m: float = 1500.0,
    solver: str = "auto",
) -> tuple[Plan, DistrictPlanReport]:
    """Place new team bases, shelters and warehouses next to the existing facilities (see the module docstring).

    Parameters
    ----------
    district : network.district.District
        Road network, townships, terrain, facilities and candidate shelter sites.
    teams : int or mapping of str to int, optional
        New bases per team layer: one number for every layer of :data:`TEAM_LAYERS`, or ``{"general": 2, ...}``.
    shelters, warehouses : int
        How many new shelters (among the district file's candidate sites) and relief warehouses.
    objective : str
        Team-base objective: ``median``, ``center`` or ``cover:MINUTES`` (:func:`parse_objective`).
    hazards_sets, hazard_labels, probabilities : sequences, optional
        For a robust plan: sets of hazard objects, each giving one damaged network at its peak
        (:func:`damaged_network`); a label and a weight (normalised; default equal) per set.
    robust : str
        ``expected``, ``worst`` or ``regret`` over the hazard sets.
    time_limit_s : float
        Wall-clock seconds shared by all the solves.
    flood_prone : ndarray or callable returning one, optional
        People at flood risk per node (water-rescue demand; times ``shelter_share``, shelter
        demand). Default: the people the hazard sets affect. A callable is called only once the
        settings are checked, so a costly flood run never precedes an input error.
    shelter_share : float
        Share of the flood-prone people who need a shelter place, in (0, 1].
    unreachable_minutes : float
        What a pair that a damaged network cuts off costs, in minutes.
    state_hours : sequence of float, optional
        Hours at which the hazard sets are sampled for their peak (default 3, 6, ..., 72).
    standard_minutes, demand_cell_m, candidate_cell_m : float
        Response standard of the report; squares demand is aggregated to and candidates are thinned to.
    solver : str
        MIP engine, a key of ``optimize.mip.SOLVERS``.

    None for ``teams``, ``shelters``, ``warehouses``, ``objective`` or ``time_limit_s`` means the default.

    Returns
    -------
    plan : Plan
        The existing facilities plus the new ones, demand-to-shelter and shelter-to-warehouse links.
    report : DistrictPlanReport
        Before/after response figures per layer and network, the solves, shelter figures, notes.

    Raises
    ------
    InputError
        A setting is out of range or malformed, ``flood_prone`` is needed but missing, more sites
        are asked for than there are candidates, or a model finds no placement.
    """
    t0 = time.perf_counter()
    req = _request(district, teams, shelters, warehouses, objective, robust, time_limit_s, shelter_share,
                   unreachable_minutes, standard_minutes, demand_cell_m, candidate_cell_m, solver)
    report = DistrictPlanReport()
    scenarios, pi, affected = _scenario_networks(district.network, hazards_sets, hazard_labels, probabilities,
                                                 state_hours, report)
    flood_prone = _flood_prone_people(district.network, flood_prone, affected, req)
    ctx = _context(district, req, scenarios, pi, report)
    base = Plan.existing(district)
    cands = candidate_sites(district, req.candidate_cell_m)
    team_bases = _team_bases_step(ctx, req, base, cands, team_demand_layers(district, flood_prone))
    shelter_list, demand_shelter = _shelters_step(ctx, req, base, flood_prone * float(req.shelter_share))
    warehouse_list = _warehouses_step(ctx, req, base, cands)
    warehouse_list = stock_by_need(district.network, warehouse_list, flood_prone * float(req.shelter_share), ctx.report)
    plan = replace(base, name="optimized", team_bases=tuple(team_bases), warehouses=tuple(warehouse_list),
                   shelters=tuple(shelter_list), demand_shelter=demand_shelter,
                   shelter_warehouse=_supplying_warehouses(district.network, warehouse_list, shelter_list),
                   meta=_plan_meta(req, scenarios))
    report.settings = _report_settings(req, scenarios is not None, len(cands), t0)
    return plan, report


@dataclass(frozen=True)
class _Request:
    """The optimiser's settings, checked, with None replaced by the defaults."""

    counts: dict[str, int]
    n_shelters: int
    n_warehouses: int
    objective: str
    obj: tuple[str, float | None]
    robust: str
    time_limit_s: float
    shelter_share: float
    unreachable_minutes: float
    standard_minutes: float
    demand_cell_m: float
    candidate_cell_m: float
    solver: str


def _request(district, teams, shelters, warehouses, objective, robust, time_limit_s, shelter_share,
             unreachable_minutes, standard_minutes, demand_cell_m, candidate_cell_m, solver) -> _Request:
    """Check the settings (in the order the errors are reported) and fill in the defaults."""
    teams = 0 if teams is None else teams
    shelters = 0 if shelters is None else shelters
    warehouses = 0 if warehouses is None else warehouses
    objective = "median" if objective is None else objective
    time_limit_s = 60.0 if time_limit_s is None else time_limit_s
    counts = _team_counts(teams)
    n_shelters, n_warehouses = _count(shelters, "shelters"), _count(warehouses, "warehouses")
    obj = parse_objective(objective)
    if robust not in ROBUST_MODES:
        raise InputError(f"robust: expected one of {', '.join(ROBUST_MODES)}, got {robust!r}")
    for name, v in (("time_limit_s", time_limit_s), ("unreachable_minutes", unreachable_minutes),
                    ("standard_minutes", standard_minutes), ("demand_cell_m", demand_cell_m),
                    ("candidate_cell_m", candidate_cell_m)):
        if not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            raise InputError(f"{name}: must be a positive number, got {v!r}")
    if not isinstance(shelter_share, (int, float)) or not 0 < float(shelter_share) <= 1:
        raise InputError(f"shelter_share: must lie in (0, 1], got {shelter_share!r}")
    n_cand = sum(1 for s in district.spec.shelters if not s.existing)
    if n_shelters > n_cand:
        raise InputError(f"shelters={n_shelters}: the district lists only {n_cand} candidate shelter sites "
                         "(existing = false in a district file; status = candidate in a manifest's facilities)")
    return _Request(counts, n_shelters, n_warehouses, objective, obj, robust, time_limit_s, shelter_share,
                    unreachable_minutes, standard_minutes, demand_cell_m, candidate_cell_m, solver)


def _scenario_networks(net, hazards_sets, hazard_labels, probabilities, state_hours, report: DistrictPlanReport
                       ) -> tuple[list[_NetTuple] | None, np.ndarray | None, np.ndarray | None]:
    """Each hazard set's damaged network at its peak: (networks, probabilities, people affected), all None
    without hazard sets; the scenarios' figures go to ``report.scenarios``."""
    if hazards_sets is None:
        return None, None, None
    sets = list(hazards_sets)
    if not sets:
        raise InputError("hazards_sets: give at least one set of hazards for a robust plan")
    labels = list(hazard_labels) if hazard_labels is not None else [f"scenario {k + 1}" for k in range(len(sets))]
    if len(labels) != len(sets):
        raise InputError(f"hazard_labels: expected {len(sets)} labels, got {len(labels)}")
    hours = list(state_hours) if state_hours is not None else [float(h) for h in range(3, 73, 3)]
    if not hours or any((not math.isfinite(h)) or h < 0 for h in hours):
        raise InputError(f"state_hours: expected hours >= 0, got {hours!r}")
    pi = np.ones(len(sets)) if probabilities is None else np.asarray(probabilities, float)
    if pi.shape != (len(sets),) or not np.isfinite(pi).all() or (pi < 0).any() or pi.sum() <= 0:
        raise InputError(f"probabilities: expected {len(sets)} numbers >= 0 with a positive sum, got {probabilities!r}")
    pi = pi / pi.sum()
    damaged = [damaged_network(net, hs, [h * 3600.0 for h in hours], lab) for hs, lab in zip(sets, labels)]
    report.scenarios = [{"label": d.label, "peak_h": d.time_s / 3600.0, "closed_edges": d.closed_edges,
                         "slowed_edges": d.slowed_edges, "affected_people": float(d.affected.sum()),
                         "probability": float(p)} for d, p in zip(damaged, pi)]
    nets = [(d.label, d.weights, d.boat_weights, d.cut_nodes) for d in damaged]
    return nets, pi, np.max([d.affected for d in damaged], axis=0)


def _flood_prone_people(net, flood_prone: np.ndarray | Callable[[], np.ndarray] | None, affected: np.ndarray | None, req: _Request) -> np.ndarray:
    """People at flood risk per node: as given, else the people the hazard sets affect (checked)."""
    if callable(flood_prone):
        flood_prone = flood_prone()
    if flood_prone is None:
        if affected is None and (req.n_shelters or req.counts.get("water_rescue", 0)):
            raise InputError("flood_prone: needed for water-rescue bases and shelters (people at flood risk per "
                             "node), or give hazards_sets so the affected people are used")
        flood_prone = affected if affected is not None else np.zeros(net.n_nodes)
    flood_prone = np.asarray(flood_prone, float)
    if flood_prone.shape != (net.n_nodes,) or not np.isfinite(flood_prone).all() or (flood_prone < 0).any():
        raise InputError(f"flood_prone: expected {net.n_nodes} finite numbers >= 0 (people per node)")
    return flood_prone


def _context(district, req: _Request, scenarios: list[_NetTuple] | None, pi: np.ndarray | None,
             report: DistrictPlanReport) -> _Ctx:
    """What every placement shares; the time limit is split over the solves still to run."""
    # at most one solve per team layer, one for shelters and one per new warehouse
    solves = sum(1 for v in req.counts.values() if v) + (1 if req.n_shelters else 0) + req.n_warehouses
    robust = scenarios is not None
    return _Ctx(district, scenarios if robust else [_FREE_FLOW], req.robust if robust else None, pi,
                float(req.unreachable_minutes), _Budget(float(req.time_limit_s), solves), req.solver, report,
                [_FREE_FLOW] + (scenarios if robust else []))


def _team_bases_step(ctx: _Ctx, req: _Request, base: Plan, cands: np.ndarray, layers: dict[str, np.ndarray]
                     ) -> list[TeamBase]:
    """Every team layer in turn: its new bases, then its before/after report rows."""
    team_bases = list(base.team_bases)
    for layer, (types, zh, en) in TEAM_LAYERS.items():
        have = [b for b in base.team_bases if any(t.type in types for t in b.teams)]
        existing_nodes = np.array(sorted({b.node for b in have}), np.int64)
        new = _new_team_bases(ctx, req, layer, have, existing_nodes, cands, layers[layer])
        team_bases += new
        added_nodes = [b.node for b in new]
        _stats_rows(ctx, f"{zh}队伍", f"{en} teams", existing_nodes,
                    np.concatenate([existing_nodes, added_nodes]).astype(np.int64),
                    layers[layer], False, req.standard_minutes, boat=layer == "water_rescue")
    return team_bases


def _new_team_bases(ctx: _Ctx, req: _Request, layer: str, have: list[TeamBase], existing_nodes: np.ndarray,
                    cands: np.ndarray, w_node: np.ndarray) -> list[TeamBase]:
    """One layer's new bases at the best candidates (none when none are asked for or nobody needs them)."""
    types, zh, en = TEAM_LAYERS[layer]
    p_new = req.counts.get(layer, 0)
    if p_new and w_node.sum() <= 0:
        ctx.report.notes.append(f"{en}: no demand in this district; no bases placed")
        p_new = 0
    if not p_new:
        return []
    rep, wr, _ = _aggregate(ctx.district.network, w_node, req.demand_cell_m)
    free_c = np.setdiff1d(cands, existing_nodes)
    sites = np.concatenate([existing_nodes, free_c])
    new, res = _place(ctx, en, sites, rep, wr, len(existing_nodes), p_new, req.obj, boat=layer == "water_rescue")
    # a new base gets the district's usual team size for the type
    sizes = [t.people for b in have for t in b.teams if t.type == types[0]]
    people = int(round(np.mean(sizes))) if sizes else _DEFAULT_PEOPLE[layer]
    bases = [_team_base(ctx.district, layer, k, int(sites[j]), people) for k, j in enumerate(new, start=1)]
    ctx.report.solves.append(_solve_summary(en, res, [b.id for b in bases]))
    return bases


def _team_base(district, layer: str, k: int, node: int, people: int) -> TeamBase:
    """The ``k``-th new base of ``layer`` at ``node``, named after its township."""
    types, zh, en = TEAM_LAYERS[layer]
    net = district.network
    zzh, zen = _zone_names(district, node)
    return TeamBase(f"new-{layer.replace('_', '-')}-base-{k}", f"新增{zh}队驻地{k}（{zzh}）",
                    f"New {en} team base {k} ({zen})", node, float(net.lon[node]), float(net.lat[node]),
                    (Team(types[0], people),), False)


def _shelters_step(ctx: _Ctx, req: _Request, base: Plan, shelter_people: np.ndarray
                   ) -> tuple[list[Shelter], dict[int, str]]:
    """New shelters among the candidate sites, the report's shelter figures and rows:
    (the plan's shelters, shelter of each demand node)."""
    spec = ctx.district.spec
    ex_sites = [s for s in spec.shelters if s.existing]
    all_sites = ex_sites + [s for s in spec.shelters if not s.existing]
    shelter_nodes = ctx.district.facility_nodes(all_sites) if all_sites else np.zeros(0, np.int64)
    caps = np.array([spec.shelter_capacity(s) for s in all_sites], float)
    n_fixed = len(ex_sites)
    plan_shelters = list(base.shelters)
    demand_shelter: dict[int, str] = {}
    demand_total = float(shelter_people.sum())
    ctx.report.shelter = {"demand": demand_total, "capacity_before": float(caps[:n_fixed].sum()),
                          "short_before_at_least": max(0.0, demand_total - float(caps[:n_fixed].sum()))}
    if req.n_shelters:
        new_idx, short_by_zone, demand_shelter, res, assigned = _place_shelters(
            ctx, shelter_people, shelter_nodes, caps, n_fixed, req.n_shelters, req.demand_cell_m, all_sites)
        sized = []
        for j in new_idx:
            s = all_sites[j]
            cap = sized_capacity(float(assigned.get(int(j), 0.0)), int(caps[j]))
            sized.append({"id": s.id, "site_capacity": int(caps[j]), "assigned": float(assigned.get(int(j), 0.0)),
                          "capacity": cap})
            plan_shelters.append(Shelter(s.id, s.name_zh, s.name_en, int(shelter_nodes[j]), s.location[0],
                                         s.location[1], cap, s.kind, False))
        ctx.report.shelter["new_sized"] = sized
        _shortage_figures(ctx.report, float(caps[:n_fixed].sum() + sum(x["capacity"] for x in sized)), short_by_zone)
        ctx.report.solves.append(_solve_summary("shelters", res, [all_sites[j].id for j in new_idx]))
    after_shelters = np.array([s.node for s in plan_shelters], np.int64)
    _stats_rows(ctx, "避难场所", "shelters", shelter_nodes[:n_fixed], after_shelters, shelter_people, True,
                req.standard_minutes, shelter=True)
    return plan_shelters, demand_shelter


def _shortage_figures(report: DistrictPlanReport, capacity_after: float, short_by_zone: dict[str, float]) -> None:
    """Capacity and shortage after placement in ``report.shelter``; a note naming the townships short of places."""
    short = float(sum(short_by_zone.values()))
    report.shelter.update(capacity_after=capacity_after, short_after=short, short_after_by_zone=short_by_zone)
    if short > 0:
        detail = ", ".join(f"{z} {v:,.0f}" for z, v in sorted(short_by_zone.items(), key=lambda kv: -kv[1]))
        report.notes.append(f"shelter capacity too small: {short:,.0f} people lack a place ({detail})")


def _warehouses_step(ctx: _Ctx, req: _Request, base: Plan, cands: np.ndarray) -> list[Warehouse]:
    """New warehouses, their before/after rows and the townships' coverage: the plan's warehouses."""
    district, net = ctx.district, ctx.district.network
    wh = list(base.warehouses)
    pop = np.asarray(net.population, float)
    if req.n_warehouses:
        wh += _place_warehouses(ctx, wh, cands, pop, req.n_warehouses, req.demand_cell_m)
    _stats_rows(ctx, "物资储备库", "relief warehouses", [w.node for w in base.warehouses], [w.node for w in wh], pop,
                False, req.standard_minutes)
    zones_with = sorted({int(net.zone[w.node]) for w in wh if net.zone[w.node] >= 0})
    ctx.report.shelter["townships_with_warehouse"] = [district.zone_name(z, "en") for z in zones_with]
    lacking = [district.zone_name(z, "zh") + " / " + district.zone_name(z, "en")
               for z in range(len(district.spec.townships)) if z not in zones_with]
    if lacking:
        ctx.report.notes.append("townships still without a relief warehouse: " + ", ".join(lacking))
    return wh


def stock_by_need(net: RoadNetwork, warehouses: list[Warehouse], need: np.ndarray,
                  report: "DistrictPlanReport | None" = None, days: float = 1.0) -> list[Warehouse]:
    """New warehouses stocked for the people they serve; existing ones keep their stock.

    Each node's people in need go to the warehouse that reaches it first (free flow); a new
    warehouse holds ``days`` of the relief standard's shelter kit
    (:data:`network.relief_standard.DEFAULT_STANDARD`) for its catchment, in whole units.

    Parameters
    ----------
    net
        The road network.
    warehouses
        The plan's warehouses, existing and new (``existing`` False).
    need
        People per node who need public relief.
    report
        Where to note each new warehouse's catchment (optional).
    days
        Days of supplies to hold.
    """
    if not any(not w.existing for w in warehouses):
        return list(warehouses)
    near = nearest_facility(net, [w.node for w in warehouses])
    kit = DEFAULT_STANDARD.kit("shelter")
    out = []
    for k, w in enumerate(warehouses):
        if w.existing:
            out.append(w)
            continue
        people = float(np.asarray(need, float)[near.facility == k].sum())
        stock = {item: float(math.ceil(per * people * days)) for item, per in kit.items()}
        out.append(replace(w, stock=stock))
        if report is not None:
            report.notes.append(f"warehouses: {w.id} stocked for the {people:,.0f} people in need it reaches first "
                                f"({days:g} day of the relief standard's shelter kit)")
    return out


def _supplying_warehouses(net, wh: list[Warehouse], shelters: list[Shelter]) -> dict[str, str]:
    """Shelter id -> id of its nearest warehouse (free flow, forward from the warehouse)."""
    shelter_warehouse: dict[str, str] = {}
    if wh and shelters:
        T = travel_time_matrix(net, [w.node for w in wh], [s.node for s in shelters])
        for k, s in enumerate(shelters):
            shelter_warehouse[s.id] = wh[int(np.argmin(T[:, k]))].id
    return shelter_warehouse


def _plan_meta(req: _Request, scenarios: list[_NetTuple] | None) -> dict[str, Any]:
    """How the plan was made, for ``Plan.meta``."""
    robust = scenarios is not None
    return {"source": "yingji optimize plan", "objective": req.objective,
            "robust": req.robust if robust else None,
            "scenarios": [n[0] for n in scenarios] if robust else [],
            "new": {"team_bases": req.counts, "shelters": req.n_shelters, "warehouses": req.n_warehouses}}


def _report_settings(req: _Request, robust: bool, n_candidates: int, t0: float) -> dict[str, Any]:
    """The settings the report states, with the run's seconds since ``t0``."""
    return {"teams": req.counts, "shelters": req.n_shelters, "warehouses": req.n_warehouses,
            "objective": req.objective, "robust": req.robust if robust else None,
            "time_limit_s": req.time_limit_s, "standard_minutes": req.standard_minutes,
            "unreachable_minutes": req.unreachable_minutes, "shelter_share": req.shelter_share,
            "demand_cell_m": req.demand_cell_m, "candidate_cell_m": req.candidate_cell_m,
            "candidates": int(n_candidates), "seconds": round(time.perf_counter() - t0, 2)}


# ============================================================================ shelters and warehouses
def sized_capacity(assigned: float, site_capacity: int, margin: float = SHELTER_SIZING_MARGIN) -> int:
    """Places to fit out at a new shelter: its assigned people plus ``margin``, rounded up to
    whole fifties, at most the site's capacity."""
    want = _SHELTER_UNIT * math.ceil(assigned * (1.0 + margin) / _SHELTER_UNIT - 1e-9)
    return int(min(site_capacity, max(want, _SHELTER_UNIT)))


def _place_shelters(ctx: _Ctx, people: np.ndarray, nodes: np.ndarray, caps: np.ndarray, n_fixed: int, m_new: int,
                    cell_m: float, sites: list
                    ) -> tuple[np.ndarray, dict[str, float], dict[int, str], LocationResult, dict[int, float]]:
    """Capacitated location-allocation with an explicit "no place" column; see the module docstring.
    Returns the new sites, the shortage by township, each demand node's shelter, the solver's
    result and the people assigned to each site used (by site index)."""
    net = ctx.district.network
    rep, wr, group = _aggregate(net, people, cell_m)
    owner_a, demand = _shelter_chunks(wr)
    if owner_a.size == 0:
        raise InputError("shelters: nobody needs a shelter place (flood_prone x shelter_share is zero everywhere)")
    C = _shelter_costs(ctx, nodes, rep)
    keep = _shelter_candidates(ctx, caps, n_fixed, m_new, float(demand.sum()))
    C = C[:, keep]
    # "no place": far above any real travel time, so housing one more person always comes first
    big = 100.0 * max(float(C[np.isfinite(C)].max(initial=1.0)), ctx.penalty_min)
    C = np.hstack([C, np.full((len(C), 1), big)])[owner_a]
    nk = len(keep)
    # the "no place" column needs room for the certain shortage plus what packing may leave over
    best_cap = caps[:n_fixed].sum() + np.sort(caps[keep[n_fixed:]])[::-1][:m_new].sum()
    room = max(0.0, demand.sum() - best_cap) + _SHELTER_CHUNK * (n_fixed + m_new + 1)
    cap = np.append(caps[keep], min(demand.sum(), _SHELTER_UNIT * math.ceil(room / _SHELTER_UNIT)))
    fixed = list(range(n_fixed)) + [nk]
    res = CapacitatedPMedian.from_cost_matrix(C, demand, demand=demand, capacity=cap, p=n_fixed + m_new + 1,
                                              fixed=fixed).solve(time_limit_s=ctx.budget.next(), solver=ctx.solver)
    if not res.status.has_solution:
        raise InputError(f"shelters: no allocation found ({res.status.value}: {res.message})")
    new = np.array([keep[j] for j in res.sites if n_fixed <= j < nk], np.int64)
    short, mapping = _read_allocation(ctx, res, keep, owner_a, demand, rep, group, sites)
    served = (res.assignment >= 0) & (res.assignment < nk)
    mean = float(np.average(C[served, res.assignment[served]], weights=demand[served])) if served.any() else math.nan
    ctx.report.shelter["assigned_mean_min"] = mean
    assigned: dict[int, float] = {}
    for k, j in enumerate(res.assignment):
        if 0 <= j < nk:
            assigned[int(keep[j])] = assigned.get(int(keep[j]), 0.0) + float(demand[k])
    return new, short, mapping, res, assigned


def _shelter_chunks(wr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Square demand in whole units, split into chunks: (square of each chunk, people in it)."""
    # largest-remainder rounding to whole units: small squares are not lost and the total is kept
    exact = wr / _SHELTER_UNIT
    units = np.floor(exact).astype(np.int64)
    extra = int(round(exact.sum())) - int(units.sum())
    if extra > 0:
        units[np.argsort(-(exact - units), kind="stable")[:extra]] += 1
    # split each square into chunks so single sourcing can still fill small shelters
    owner, size = [], []
    for g, u in enumerate(units):
        chunk = _SHELTER_CHUNK // _SHELTER_UNIT
        while u > 0:
            take = min(chunk, u)
            owner.append(g)
            size.append(take)
            u -= take
    return np.asarray(owner, np.int64), np.asarray(size, float) * _SHELTER_UNIT


def _shelter_costs(ctx: _Ctx, nodes: np.ndarray, rep: np.ndarray) -> np.ndarray:
    """Squares x shelters minutes, one matrix combined over the scenarios (see the module docstring)."""
    # people go to shelters before the water comes (free-flow roads); a shelter whose roads are
    # all closed at a scenario's peak is unusable there (counts as unreachable_minutes)
    free_c = _minutes(ctx.district.network, nodes, rep, None, True)
    costs = []
    for _, _, _, cut in ctx.nets:
        c = free_c.copy()
        if cut is not None:
            c[:, cut[nodes]] = ctx.penalty_min
        costs.append(c)
    if ctx.robust is None:
        return costs[0]
    if ctx.robust == "expected":
        return np.tensordot(ctx.probabilities, np.stack(costs), axes=1)
    return np.max(np.stack(costs), axis=0)


def _shelter_candidates(ctx: _Ctx, caps: np.ndarray, n_fixed: int, m_new: int, demand: float) -> np.ndarray:
    """Indices of the shelter sites the model may use (all, unless capacity is short; then a note says so)."""
    # When even the largest m_new candidates cannot house everyone, only they (and candidates of
    # equal size) can house the most people, up to the packing of 300-person units: keep those.
    keep = np.arange(len(caps))
    top = np.sort(caps[n_fixed:])[::-1][:m_new]
    if demand > caps[:n_fixed].sum() + top.sum() and len(top):
        keep = np.concatenate([np.arange(n_fixed), n_fixed + np.flatnonzero(caps[n_fixed:] >= top[-1])])
        ctx.report.notes.append(f"shelters: capacity is short even with the {m_new} largest candidates, so only "
                                "candidates that large were considered")
    return keep


def _read_allocation(ctx: _Ctx, res: LocationResult, keep: np.ndarray, owner_a: np.ndarray, demand: np.ndarray,
                     rep: np.ndarray, group: np.ndarray, sites: list) -> tuple[dict[str, float], dict[int, str]]:
    """People without a place per township, and each demand node's shelter (its square's largest chunk's)."""
    nk = len(keep)
    short: dict[str, float] = {}
    best: dict[int, tuple[float, int]] = {}
    for k, j in enumerate(res.assignment):
        g = int(owner_a[k])
        if j == nk or j < 0:
            zh, en = _zone_names(ctx.district, int(rep[g]))
            short[zh + " / " + en] = short.get(zh + " / " + en, 0.0) + float(demand[k])
            continue
        if g not in best or demand[k] > best[g][0]:
            best[g] = (float(demand[k]), int(keep[j]))
    mapping = {int(v): sites[best[int(group[v])][1]].id for v in np.flatnonzero(group >= 0) if int(group[v]) in best}
    return short, mapping


def _place_warehouses(ctx: _Ctx, existing: list[Warehouse], cands: np.ndarray, pop: np.ndarray, k_new: int,
                      cell_m: float) -> list[Warehouse]:
    """Township coverage first, then p-median over residents (see the module docstring)."""
    district, net = ctx.district, ctx.district.network
    spec = district.spec
    stock: dict[str, float] = {}   # stocked by need once every warehouse is placed (stock_by_need)
    covered = {int(net.zone[w.node]) for w in existing}
    bare = sorted((z for z in range(len(spec.townships)) if z not in covered), key=lambda z: -spec.townships[z].population)
    out: list[Warehouse] = []
    nodes = [w.node for w in existing]

    def add(node: int, why_zh: str, why_en: str) -> None:
        zzh, zen = _zone_names(district, node)
        k = len(out) + 1
        out.append(Warehouse(f"new-warehouse-{k}", f"新增物资储备点{k}（{zzh}{why_zh}）", f"New relief warehouse {k} ({zen}{why_en})",
                             node, float(net.lon[node]), float(net.lat[node]), dict(stock), False))
        nodes.append(node)

    for z in bare[:k_new]:
        in_zone = cands[net.zone[cands] == z]
        zone_pop = np.where(net.zone == z, pop, 0.0)
        if in_zone.size == 0 or zone_pop.sum() <= 0:
            ctx.report.notes.append(f"warehouses: {district.zone_name(z, 'en')} has no candidate site or residents")
            continue
        rep, wr, _ = _aggregate(net, zone_pop, cell_m)
        new, res = _place(ctx, f"warehouse in {district.zone_name(z, 'en')}", in_zone, rep, wr, 0, 1, ("median", None))
        add(int(in_zone[new[0]]), "，乡镇全覆盖", ", township coverage")
        ctx.report.solves.append(_solve_summary(f"warehouse ({district.zone_name(z, 'en')})", res, [out[-1].id]))
    rest = k_new - len(out)
    if rest > 0:
        fixed = np.array(sorted(set(nodes)), np.int64)
        free_c = np.setdiff1d(cands, fixed)
        sites = np.concatenate([fixed, free_c])
        rep, wr, _ = _aggregate(net, pop, cell_m)
        new, res = _place(ctx, "warehouses", sites, rep, wr, len(fixed), rest, ("median", None))
        for j in new:
            add(int(sites[j]), "", "")
        ctx.report.solves.append(_solve_summary("warehouses", res, [w.id for w in out[-len(new):]] if len(new) else []))
    return out
