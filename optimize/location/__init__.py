"""Facility location models: one class per model, one shape for all.

Every model is built with ``Model.from_cost_matrix(cost, weights=None, ..., fixed=...)`` from a
cost matrix (demands x candidate sites; ``+inf`` = the pair is not allowed, e.g. unreachable)
and solved with ``model.solve(time_limit_s=..., solver=..., warm_start=True)``, which returns a
:class:`~optimize.result.LocationResult`.

=============================  ==========================================================
:class:`PMedian`               min sum_i w_i * cost(i, its site); p sites
:class:`PCenter`               min max_i w_i * cost(i, its site); p sites
:class:`MaximalCovering`       max weight within ``service_radius`` of an open site; p sites
:class:`LocationSetCovering`   fewest sites putting every demand within ``service_radius``
:class:`CapacitatedPMedian`    p-median with site capacities, single sourcing
:class:`CapacitatedFacilityLocation`  fixed opening cost + capacity (split or single source)
=============================  ==========================================================

How they are solved (all MIPs through OR-Tools; HiGHS by default, SCIP or CP-SAT on request):

* **p-median** — Elloumi's (2010) radius formulation: per demand, one continuous variable per
  distinct cost level, so the model has O(levels) rows instead of O(demands x sites).
  Before the MIP, greedy + interchange gives an incumbent, the Lagrangian dual (= LP bound)
  gives a lower bound, and Lagrangian reduced-cost fixing plus probing closes sites and
  forbids (demand, site) pairs that cannot appear in a plan better than the incumbent. Often
  this alone proves the incumbent optimal; otherwise the much smaller MIP does, with the
  incumbent's cost as cutoff.
* **p-center** — binary search over the sorted distinct costs; each step a set-covering
  decision MIP ("can p sites cover everyone within r?") after dominated rows and columns are
  dropped; an interchange heuristic gives the starting upper bound.
* covering and capacitated models — compact MIPs with dominance reductions and heuristic
  warm starts.

A time limit returns the best plan so far with its bound and gap (status FEASIBLE), never an
exception. Bad input raises :class:`network.errors.InputError` naming the field.
"""
from __future__ import annotations

from ._base import SOLVERS, network_cost_matrix
from .capacitated import CapacitatedFacilityLocation, CapacitatedPMedian
from .center import PCenter
from .covering import LocationSetCovering, MaximalCovering
from .median import PMedian

__all__ = [
    "PMedian", "PCenter", "MaximalCovering", "LocationSetCovering", "CapacitatedPMedian",
    "CapacitatedFacilityLocation", "SOLVERS", "network_cost_matrix",
]
