"""A MIP assembled from numpy blocks and solved through OR-Tools model_builder (HiGHS, SCIP or CP-SAT).

Shared by the location models (:mod:`optimize.location`) and robust placement.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

__all__ = ["Mip", "MipOutcome", "SOLVERS"]

#: accepted ``solver=`` names -> OR-Tools model_builder solver ids ("auto" picks per model)
SOLVERS = {"auto": "", "highs": "highs", "scip": "scip", "cp-sat": "sat", "cpsat": "sat", "sat": "sat"}


@dataclass
class MipOutcome:
    """What :meth:`Mip.solve` returns: status, variable values, objective, bound, engine."""

    status: str                 # optimal | feasible | infeasible | no_solution
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    solver: str


class Mip:
    """A MIP assembled from numpy blocks and handed to OR-Tools in one sparse call."""

    def __init__(self) -> None:
        self._vlb: list[np.ndarray] = []
        self._vub: list[np.ndarray] = []
        self._obj: list[np.ndarray] = []
        self._int: list[np.ndarray] = []
        self._rows: list[np.ndarray] = []
        self._cols: list[np.ndarray] = []
        self._vals: list[np.ndarray] = []
        self._rlb: list[np.ndarray] = []
        self._rub: list[np.ndarray] = []
        self.n_vars = 0
        self.n_rows = 0
        self.offset = 0.0
        self.maximize = False

    def add_vars(self, count: int, lb: Any = 0.0, ub: Any = 1.0, obj: Any = 0.0,
                 integer: bool = False) -> np.ndarray:
        """``count`` new variables with bounds, objective coefficients and integrality; their indices."""
        idx = np.arange(self.n_vars, self.n_vars + count, dtype=np.int64)
        self._vlb.append(np.broadcast_to(np.asarray(lb, float), (count,)).copy())
        self._vub.append(np.broadcast_to(np.asarray(ub, float), (count,)).copy())
        self._obj.append(np.broadcast_to(np.asarray(obj, float), (count,)).copy())
        self._int.append(np.full(count, integer))
        self.n_vars += count
        return idx

    def add_rows(self, row: np.ndarray, col: np.ndarray, val: Any, lb: Any, ub: Any,
                 count: int) -> np.ndarray:
        """Rows 0..count-1 of a block: entries (row[k], col[k], val[k]); bounds per row."""
        row = np.asarray(row, np.int64)
        self._rows.append(row + self.n_rows)
        self._cols.append(np.asarray(col, np.int64))
        self._vals.append(np.broadcast_to(np.asarray(val, float), row.shape).copy())
        self._rlb.append(np.broadcast_to(np.asarray(lb, float), (count,)).copy())
        self._rub.append(np.broadcast_to(np.asarray(ub, float), (count,)).copy())
        idx = np.arange(self.n_rows, self.n_rows + count, dtype=np.int64)
        self.n_rows += count
        return idx

    def set_lb(self, idx: np.ndarray, value: float) -> None:
        """Raise (or set) the lower bound of variables ``idx``, e.g. to fix sites open."""
        vlb = np.concatenate(self._vlb)
        vlb[idx] = value
        self._vlb = [vlb]

    def solve(self, solver: str, time_limit: float, *, hint: dict[int, float] | None = None,
              cutoff: float | None = None, integral_objective: bool = False,
              quiet_heuristics: bool = False, extra: str = "", verbose: bool = False) -> MipOutcome:
        """Solve with OR-Tools' model builder (``cutoff``: only plans better than it are wanted)."""
        # deferred, as the package promises (OR-Tools loads on first use): it adds ~45 ms (with
        # protobuf) to the ~450 ms of importing the location models, and only a solve needs it
        from ortools.linear_solver.python import model_builder_helper as mbh

        engine = SOLVERS[solver] or "highs"
        cat = lambda parts, dt=float: np.concatenate(parts).astype(dt) if parts else np.zeros(0, dt)  # noqa: E731
        obj = cat(self._obj)
        rows, cols, vals = cat(self._rows, np.int64), cat(self._cols, np.int64), cat(self._vals)
        rlb, rub = cat(self._rlb), cat(self._rub)
        n_rows = self.n_rows
        if cutoff is not None and engine != "highs":
            # other engines take the cutoff as an objective row
            nz = np.flatnonzero(obj)
            rows = np.concatenate([rows, np.full(nz.size, n_rows)])
            cols = np.concatenate([cols, nz])
            vals = np.concatenate([vals, obj[nz]])
            lo, hi = (cutoff - self.offset, np.inf) if self.maximize else (-np.inf, cutoff - self.offset)
            rlb, rub = np.append(rlb, lo), np.append(rub, hi)
            n_rows += 1
        A = csr_matrix((vals, (rows, cols)), shape=(n_rows, self.n_vars))
        A.sum_duplicates()
        integer = cat(self._int, bool)
        vlb, vub = cat(self._vlb), cat(self._vub)
        if engine == "sat":
            integer = np.ones(self.n_vars, bool)  # CP-SAT needs integer variables
        h = mbh.ModelBuilderHelper()
        h.fill_model_from_sparse_data(vlb, vub, obj, rlb, rub, A)
        for j in np.flatnonzero(integer):
            h.set_var_integrality(int(j), True)
        h.set_objective_offset(self.offset)
        if self.maximize:
            h.set_maximize(True)
        if engine != "highs":  # HiGHS through model_builder crashes on hints (OR-Tools 9.15): callers pass a cutoff
            for j, v in (hint or {}).items():
                h.add_hint(int(j), float(v))
        s = mbh.ModelSolverHelper(engine)
        s.set_time_limit_in_seconds(max(0.01, float(time_limit)))
        s.enable_output(bool(verbose))
        params = self._params(engine, cutoff, integral_objective, quiet_heuristics, verbose) + extra
        if params:
            s.set_solver_specific_parameters(params)
        s.solve(h)
        st = s.status()
        S = mbh.SolveStatus
        if st in (S.MODEL_INVALID, S.INVALID_SOLVER_PARAMETERS, S.SOLVER_TYPE_UNAVAILABLE,
                  S.INCOMPATIBLE_OPTIONS):
            raise RuntimeError(f"OR-Tools {engine} rejected the model: {st} {s.status_string()}")
        has = s.has_solution() and st in (S.OPTIMAL, S.FEASIBLE, S.NOT_SOLVED, S.UNKNOWN_STATUS,
                                           S.ABNORMAL, S.CANCELLED_BY_USER)
        x = np.asarray(s.variable_values(), float) if has else None
        bound = s.best_objective_bound() if st != S.INFEASIBLE else None
        if bound is not None and not math.isfinite(bound):
            bound = None
        if st == S.OPTIMAL:
            status = "optimal"
        elif st == S.INFEASIBLE:
            status = "infeasible"
        elif has:
            status = "feasible"
        else:
            status = "no_solution"
        return MipOutcome(status, x, s.objective_value() if has else None, bound, engine)

    def _params(self, engine: str, cutoff: float | None, integral: bool, quiet: bool, verbose: bool) -> str:
        # exact answers: no relative gap; integral objectives may stop within one unit
        abs_gap = 1.0 - 1e-6 if integral else 1e-9
        if engine == "highs":
            lines = ["mip_rel_gap=1e-9", f"mip_abs_gap={abs_gap}"]
            if not verbose:
                lines += ["output_flag=false", "log_to_console=false"]
            if cutoff is not None and not self.maximize:
                lines.append(f"objective_bound={cutoff!r}")
            if quiet:  # the incumbent is known: spend the time on the proof
                lines += ["mip_heuristic_effort=0", "mip_heuristic_run_rins=false",
                          "mip_heuristic_run_rens=false", "mip_heuristic_run_root_reduced_cost=false",
                          "mip_heuristic_run_zi_round=false", "mip_heuristic_run_shifting=false",
                          "mip_heuristic_run_feasibility_jump=false", "mip_pscost_minreliable=0"]
            return "\n".join(lines) + "\n"
        if engine == "scip":
            return f"limits/gap = 1e-9\nlimits/absgap = {abs_gap}\n"
        if engine == "sat":
            return f"num_workers:2 relative_gap_limit:0 absolute_gap_limit:{abs_gap} "
        return ""
