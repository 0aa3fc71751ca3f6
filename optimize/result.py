"""The typed result every optimisation model returns, and the status they share.

A solve never raises on an answer the planner must hear ("infeasible", "no plan in the time
given"): it returns a :class:`LocationResult` whose :class:`SolveStatus` says so and whose
``message`` explains it. Bad *input* raises :class:`network.errors.InputError` instead.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

__all__ = ["SolveStatus", "LocationResult", "relative_gap"]


class SolveStatus(str, Enum):
    """Outcome of a solve, shared by all models (location and routing)."""

    #: the plan is proven optimal (gap within the solver's tolerance)
    OPTIMAL = "optimal"
    #: a plan was found, not proven optimal (time limit); ``gap`` bounds how far off it can be
    FEASIBLE = "feasible"
    #: proven that no plan satisfies the constraints; ``message`` says why
    INFEASIBLE = "infeasible"
    #: the time limit ran out before any plan was found
    NO_SOLUTION_IN_TIME = "no_solution_in_time"

    @property
    def has_solution(self) -> bool:
        """A plan came back (OPTIMAL or FEASIBLE)."""
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """|objective - bound| / max(|objective|, 1e-9): 0 when proven, None when either is unknown."""
    if objective is None or bound is None or not (math.isfinite(objective) and math.isfinite(bound)):
        return None
    diff = abs(objective - bound)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / max(abs(objective), 1e-9)


def _plain(value: Any) -> Any:
    """JSON-friendly copy of numpy scalars/arrays and nested containers."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class LocationResult:
    """What a location model's ``solve`` returns.

    Attributes
    ----------
    model : str
        The model's name, e.g. ``"p-median"`` or ``"robust-p-median (worst)"``.
    status : SolveStatus
        How the solve ended.
    objective, best_bound : float or None
        The plan's value and the proven bound, in the model's own units (weighted cost,
        worst cost, covered weight, number of sites); None when unknown.
    sites : ndarray of int
        Chosen site indices (columns of the cost matrix), ascending.
    assignment : ndarray of int
        ``assignment[i]``: the site serving demand i, or -1 when none does (uncovered in a
        covering model, or no plan).
    seconds : float
        Wall-clock time of the solve.
    solver : str
        What produced the answer (engine and formulation, or the reduction that proved it).
    message : str
        Why the status is not OPTIMAL (time limit, infeasibility), else empty.
    stats : dict
        Model-specific figures: reductions applied, radius, covered weight, loads, ...
    """

    model: str
    status: SolveStatus
    objective: float | None
    best_bound: float | None
    sites: np.ndarray
    assignment: np.ndarray
    seconds: float
    solver: str
    message: str = ""
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        """Relative gap between objective and bound (0.0 when proven optimal)."""
        if self.status is SolveStatus.OPTIMAL:
            return 0.0
        return relative_gap(self.objective, self.best_bound)

    @property
    def optimal(self) -> bool:
        """The plan is proven optimal."""
        return self.status is SolveStatus.OPTIMAL

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary (lists, not arrays)."""
        return {
            "model": self.model,
            "status": self.status.value,
            "optimal": self.optimal,
            "objective": _plain(self.objective),
            "best_bound": _plain(self.best_bound),
            "gap": _plain(self.gap),
            "sites": _plain(self.sites),
            "assignment": _plain(self.assignment),
            "seconds": round(self.seconds, 4),
            "solver": self.solver,
            "message": self.message,
            "stats": _plain(self.stats),
        }

    def __repr__(self) -> str:  # arrays can be long: keep the repr one line
        obj = "None" if self.objective is None else f"{self.objective:.6g}"
        gap = self.gap
        return (f"LocationResult({self.model}, {self.status.value}, objective={obj}, "
                f"gap={'None' if gap is None else f'{gap:.3%}'}, sites={len(self.sites)}, "
                f"{self.seconds:.2f} s, {self.solver})")
