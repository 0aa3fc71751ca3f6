"""The numbers of a batch store: how often each target is met, what drives failures, worst runs,
paired plan differences (what ``summary.json`` holds and the batch report shows).

Statistics come from scipy: Wilson score intervals (``binomtest(...).proportion_ci``), Spearman
rank correlation, t intervals and BCa bootstrap intervals of paired differences (seeded).
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats
from scipy.stats import binomtest, spearmanr

from network.errors import InputError
from sim.shortfall import cause_names

from .store import HEADLINE, BatchInfo, BatchStore

#: the relief-time indicator whose distribution the report draws
P95 = "relief_p95_h"
#: outcomes whose drivers are ranked (column in the runs table; higher is better?)
DRIVER_OUTCOMES = (
    ("relief_within_target", "10 小时内获救助比例", "share relieved within the target time", True),
    ("unrelieved_people", "未获救助人数", "people not relieved", False),
    ("exposure_people", "致死区域暴露人数", "people exposed in lethal zones", False),
)
#: outcomes compared between plans, run by run
PAIRED_OUTCOMES = (*DRIVER_OUTCOMES, ("warning_coverage", "预警覆盖率", "warning coverage", True))


# ------------------------------------------------------------------------------- statistics
def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion k/n (scipy.stats.binomtest)."""
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n > 0, found k={k}, n={n}")
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def exceedance(values: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Empirical exceedance curve: sorted finite values x and P(X > x) just after each (inf counts
    as exceeding everything). Non-increasing by construction."""
    v = np.asarray(values, float)
    v = v[~np.isnan(v)]
    if not len(v):
        return np.zeros(0), np.zeros(0)
    x = np.sort(v[np.isfinite(v)])
    p = 1.0 - np.searchsorted(np.sort(v), x, side="right") / len(v)
    return x, p


def _as_numbers(path: str, raw: list[Any]) -> tuple[str, np.ndarray] | None:
    """An input's values across runs as numbers, with the name it is ranked under; None for text."""
    if all(isinstance(v, (list, tuple)) for v in raw):
        return f"{path} (count)", np.array([len(v) for v in raw], float)
    if all(isinstance(v, (bool, int, float)) and v is not None for v in raw):
        return path, np.array([float(v) for v in raw], float)
    return None


def spearman_drivers(inputs: Sequence[dict[str, Any]], outcome: Sequence[float]) -> list[dict[str, Any]]:
    """Spearman rank correlation of every numeric input with ``outcome`` (scipy.stats.spearmanr).

    Booleans count as 0/1 and lists (a subset of facilities) by their length; text inputs and
    inputs or outcomes that do not vary are left out. Sorted by |rho|, strongest first.
    """
    y = np.asarray(outcome, float)
    keep = np.isfinite(y)
    out: list[dict[str, Any]] = []
    if keep.sum() < 3 or np.ptp(y[keep]) == 0:
        return out
    for path in sorted({p for d in inputs for p in d}):
        numbers = _as_numbers(path, [d.get(path) for d in inputs])
        if numbers is None:
            continue
        name, x = numbers
        m = keep & np.isfinite(x)
        if m.sum() < 3 or np.ptp(x[m]) == 0:
            continue
        res = spearmanr(x[m], y[m])
        out.append({"input": name, "rho": float(res.statistic), "p_value": float(res.pvalue), "n": int(m.sum())})
    out.sort(key=lambda r: -abs(r["rho"]))
    return out


def paired_difference(a: Sequence[float], b: Sequence[float], *, seed: int = 0) -> dict[str, Any]:
    """Mean of per-run differences b - a with a t interval and a BCa bootstrap interval (95 %)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    d = d[np.isfinite(d)]
    n = len(d)
    out: dict[str, Any] = {"n": n, "mean": float(d.mean()) if n else None, "t_ci": None, "bootstrap_ci": None}
    if n < 2:
        return out
    if np.ptp(d) == 0:  # every pair differs by the same amount: the interval is that point
        out["t_ci"] = out["bootstrap_ci"] = [float(d[0]), float(d[0])]
        return out
    ci = stats.ttest_1samp(d, 0.0).confidence_interval(0.95)
    out["t_ci"] = [float(ci.low), float(ci.high)]
    out["bootstrap_ci"] = _bootstrap_ci(d, seed)
    return out


def _bootstrap_ci(d: np.ndarray, seed: int) -> list[float]:
    """The 95 % BCa bootstrap interval of the mean of ``d``, or the percentile one where BCa fails."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # BCa warns on degenerate resamples; the percentile fallback covers it
        bs = stats.bootstrap((d,), np.mean, confidence_level=0.95, n_resamples=2000, method="BCa",
                             rng=np.random.default_rng(seed))
    lo, hi = float(bs.confidence_interval.low), float(bs.confidence_interval.high)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = (float(v) for v in np.percentile(bs.bootstrap_distribution, [2.5, 97.5]))
    return [lo, hi]


# ------------------------------------------------------------------------------- the store's runs
@dataclass
class BatchData:
    """A batch store read into memory: the batch's description and every stored run."""

    info: BatchInfo
    rows: list[dict[str, Any]]
    store: Path

    @property
    def plans(self) -> list[str]:
        """The batch's plans, then any plan found only among the runs (sorted)."""
        seen = list(self.info.plans)
        return seen + sorted({r["plan"] for r in self.rows} - set(seen))


def load_batch(store: str | Path) -> BatchData:
    """A batch store's description and runs.

    Parameters
    ----------
    store : str or Path
        A batch store written by :func:`scenarios.batch.runs.run_batch`.

    Returns
    -------
    BatchData
        The batch's description and its stored runs (as :meth:`BatchStore.rows` gives them).

    Raises
    ------
    InputError
        When the file is missing, is not a batch store, or holds no batch yet.
    """
    with BatchStore(store, create=False) as st:
        info = st.info()
        if info is None:
            raise InputError(f"{store}: the store holds no batch yet")
        return BatchData(info, st.rows(), Path(store))


def run_metric(row: dict[str, Any], key: str) -> float:
    """A run's number: its KPI column (inf kept) or its metrics JSON; NaN when it has none."""
    v = row.get(key)
    if v is None and row.get("kpis"):
        v = row["kpis"].get("metrics", {}).get(key)
        if v is None and key == P95 and row["kpis"]["metrics"].get("affected_people"):
            v = math.inf  # JSON dropped inf: someone stayed unrelieved
    return math.nan if v is None else float(v)


# ------------------------------------------------------------------------------- the summary
def summarise(data: BatchData) -> dict[str, Any]:
    """Every number the report shows (also written as summary.json).

    Parameters
    ----------
    data : BatchData
        A batch store as :func:`load_batch` reads it.

    Returns
    -------
    dict
        ``scenario``, ``origin``, ``seed``, ``runs_planned``, ``plans``, ``created``, ``store``;
        by plan: ``per_plan`` (runs by status, each target's share met with its Wilson 95 %
        interval, all targets together, the relief-time P95 across runs, and ``causes``: the
        unrelieved by cause across runs), ``drivers`` (Spearman
        correlation of each input with each outcome) and ``worst`` (the ten worst runs);
        ``failed_runs``; and ``paired``: each plan against the first, run by run (mean
        difference, t and BCa bootstrap intervals), when there are several plans.
    """
    info = data.info
    plans = data.plans
    out: dict[str, Any] = {
        "scenario": info.scenario_name, "origin": info.scenario_origin, "seed": info.seed, "runs_planned": info.runs,
        "plans": plans, "created": info.created, "store": str(data.store), "per_plan": {}, "paired": [],
        "drivers": {}, "worst": {}, "failed_runs": [],
    }
    for plan in plans:
        rows = [r for r in data.rows if r["plan"] == plan]
        ok = [r for r in rows if r["status"] == "ok"]
        out["per_plan"][plan] = _plan_numbers(rows, ok)
        out["drivers"][plan] = _drivers(ok)
        out["worst"][plan] = _worst_runs(ok)
        out["failed_runs"] += [{"run_index": r["run_index"], "plan": plan, "seed": r["seed"], "error": r["error"],
                                "inputs": r["inputs"]} for r in rows if r["status"] == "failed"]
    if len(plans) > 1:
        out["paired"] = _paired(data.rows, plans, info.seed)
    return out


def _share(met: int, n: int) -> dict[str, Any]:
    """``met`` of ``n`` as counts, the share and its Wilson interval (None when ``n`` is 0)."""
    return {"n": n, "met": met, "p": met / n if n else None, "wilson": list(wilson_interval(met, n)) if n else None}


def _plan_numbers(rows: list[dict[str, Any]], ok: list[dict[str, Any]]) -> dict[str, Any]:
    """One plan's runs by status, how often each target and all targets were met, the relief P95."""
    all_n = sum(1 for r in ok if r["all_pass"] is not None)
    all_k = sum(1 for r in ok if r["all_pass"])
    return {"stored": len(rows), "ok": len(ok), "failed": len(rows) - len(ok), "targets": _target_shares(ok),
            "all_targets": _share(all_k, all_n), "relief_p95": _relief_p95(ok), "causes": _causes(ok)}


def _causes(ok: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What holds relief down across the runs: per cause, the mean and largest number of people
    it left unrelieved, and in how many runs it was the biggest cause (runs with nobody
    unrelieved count for none); biggest mean first."""
    per_run = [(r.get("kpis") or {}).get("metrics", {}).get("unrelieved_by_cause") for r in ok]
    per_run = [c for c in per_run if c is not None]  # stores written before the shortfall existed have none
    if not per_run:
        return []
    names = sorted({c for run in per_run for c in run})
    out = []
    for c in names:
        v = np.array([run.get(c, 0) for run in per_run], float)
        top = sum(1 for run in per_run if run and max(run, key=lambda k: (run[k], k)) == c)
        zh, en = cause_names(c)
        out.append({"cause": c, "zh": zh, "en": en, "runs": len(per_run), "mean_people": float(v.mean()),
                    "max_people": float(v.max()), "biggest_in_runs": top})
    return sorted(out, key=lambda d: (-d["mean_people"], d["cause"]))


def _target_shares(ok: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each indicator with a target: the ok runs that judged it, those that met it, share and interval."""
    targets: dict[str, dict[str, Any]] = {}
    for r in ok:
        for ind in r["kpis"]["indicators"]:
            t = targets.setdefault(ind["indicator"], {"indicator": ind["indicator"], "zh": ind["zh"], "en": ind["en"],
                                                      "target": ind.get("target", ""), "n": 0, "met": 0})
            if ind.get("pass") is not None:
                t["n"] += 1
                t["met"] += int(bool(ind["pass"]))
    for t in targets.values():
        t.update(_share(t["met"], t["n"]))
    return list(targets.values())


def _relief_p95(ok: list[dict[str, Any]]) -> dict[str, Any]:
    """The relief-time P95 across runs: runs, runs that never reached it, median and 90th percentile."""
    p95 = [run_metric(r, P95) for r in ok]
    fin = [v for v in p95 if math.isfinite(v)]
    return {"runs": len(p95), "never_reached": sum(1 for v in p95 if math.isinf(v)),
            "median_h": float(np.median(fin)) if fin else None,
            "p90_of_runs_h": float(np.percentile(fin, 90)) if fin else None}


def _drivers(ok: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Spearman drivers of each outcome, and of the headline target's pass/fail, over the ok runs."""
    inputs = [r["inputs"] for r in ok]
    drivers = {key: {"zh": zh, "en": en, "rows": spearman_drivers(inputs, [run_metric(r, key) for r in ok])}
               for key, zh, en, _ in DRIVER_OUTCOMES}
    # the headline target met or not (0/1): which inputs make a run fail it, not only lower its share
    passed = [np.nan if r.get(f"{HEADLINE}_pass") is None else r[f"{HEADLINE}_pass"] for r in ok]
    drivers[f"{HEADLINE}_pass"] = {"zh": "10 小时目标达成（0/1）", "en": "10-hour target met (0/1)",
                                   "rows": spearman_drivers(inputs, passed)}
    return drivers


def _worst_runs(ok: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ten runs with the lowest headline share (then the most people unrelieved), and their inputs."""
    worst = sorted(ok, key=lambda r: (np.nan_to_num(run_metric(r, HEADLINE), nan=2.0), -np.nan_to_num(
        run_metric(r, "unrelieved_people"))))[:10]
    return [{"run_index": r["run_index"], "seed": r["seed"], "inputs": r["inputs"],
             "relief_within_target": run_metric(r, HEADLINE), "relief_p95_h": run_metric(r, P95),
             "unrelieved_people": run_metric(r, "unrelieved_people"),
             "exposure_people": run_metric(r, "exposure_people")} for r in worst]


def _paired(rows: list[dict[str, Any]], plans: list[str], seed: int) -> list[dict[str, Any]]:
    """Each plan after the first against the first, over the runs both ran ok (common random numbers)."""
    ref = plans[0]
    by = {(r["run_index"], r["plan"]): r for r in rows if r["status"] == "ok"}
    out = []
    for other in plans[1:]:
        idx = sorted(i for i, p in by if p == ref and (i, other) in by)
        for key, zh, en, higher_better in PAIRED_OUTCOMES:
            a = [run_metric(by[(i, ref)], key) for i in idx]
            b = [run_metric(by[(i, other)], key) for i in idx]
            out.append({"reference": ref, "plan": other, "metric": key, "zh": zh, "en": en,
                        "higher_is_better": higher_better, **paired_difference(a, b, seed=seed)})
        ka = [by[(i, ref)].get(f"{HEADLINE}_pass") for i in idx]
        kb = [by[(i, other)].get(f"{HEADLINE}_pass") for i in idx]
        pairs = [(x, y) for x, y in zip(ka, kb) if x is not None and y is not None]
        d = paired_difference([x for x, _ in pairs], [y for _, y in pairs], seed=seed)
        out.append({"reference": ref, "plan": other, "metric": f"{HEADLINE}_pass",
                    "zh": "10 小时目标达成率", "en": "10-hour target met (rate)", "higher_is_better": True, **d})
    return out
