"""Batch runs of a scenario on dask.distributed, stored run by run in SQLite.

The client samples every run's uncertain inputs (seeded from the batch seed and the run index,
see :func:`scenarios.batch.uncertainty.run_seeds`), submits one Dask task per (run, plan) with a
bounded number in flight, and writes each result to the :class:`~scenarios.batch.store.BatchStore`
as it arrives. All plans of a run get the same inputs and the same simulation seed (common
random numbers), so plan differences are paired. Workers are a LocalCluster of processes on
127.0.0.1 by default, or any scheduler given by address; a worker keeps the district it loaded
for the next run (``load_district`` is cached per process).
"""
from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from network.errors import InputError, YingjiError

from .store import BatchStore
from .uncertainty import check_paths, parse_uncertain, run_seeds, sample

log = logging.getLogger(__name__)

#: the indicator the progress bar reports as the headline pass rate (relief within 10 h)
HEADLINE = "relief_within_target"


@dataclass
class RunInput:
    """What one (run, plan) task needs besides the scenario."""

    run_index: int
    plan: str
    seed: int
    inputs: dict[str, Any]


@dataclass
class BatchSummary:
    """What a batch call did and what the store holds afterwards."""

    store: str
    scenario: str
    seed: int
    runs: int
    plans: list[str]
    submitted: int = 0
    recorded: int = 0
    duplicates: int = 0
    stored: int = 0
    ok: int = 0
    failed: int = 0
    headline_pass: dict[str, float | None] = field(default_factory=dict)
    all_pass: dict[str, float | None] = field(default_factory=dict)
    seconds: float = 0.0
    workers: int = 0
    scheduler: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# ------------------------------------------------------------------------------- the inputs
def validated_uncertain(scenario: Any) -> dict[str, Any]:
    """The scenario's uncertain table, parsed and checked against its fields."""
    dists = parse_uncertain(scenario.uncertain, source=scenario.source or scenario.name)
    check_paths(dists, scenario, source=scenario.source or scenario.name)
    return dists


def run_inputs(scenario: Any, batch_seed: int, run_index: int, dists: dict[str, Any] | None = None) -> tuple[dict[str, Any], int]:
    """The sampled inputs and simulation seed of run ``run_index`` (the same for every plan)."""
    dists = validated_uncertain(scenario) if dists is None else dists
    rng, sim_seed = run_seeds(batch_seed, run_index)
    return sample(dists, rng), sim_seed


def plan_arg(plan: str) -> str | Path:
    """A stored plan label as run_scenario takes it: 'existing', 'optimized' or a plan file."""
    return plan if plan in ("existing", "optimized") else Path(plan)


def check_plans(plans: Sequence[str]) -> list[str]:
    """Plan labels from ``--plans``: 'existing', 'optimized' or plan JSON files that exist."""
    out = []
    for p in plans:
        p = p.strip()
        if not p:
            continue
        if p not in ("existing", "optimized"):
            if not Path(p).expanduser().is_file():
                raise InputError(f"--plans: {p!r} is neither 'existing', 'optimized' nor an existing plan file")
            p = str(Path(p).expanduser().resolve())  # workers may run in another folder
        if p in out:
            raise InputError(f"--plans: {p!r} named twice")
        out.append(p)
    if not out:
        raise InputError("--plans: name at least one plan (existing, optimized or a plan JSON file)")
    return out


# ------------------------------------------------------------------------------- the worker side
_SCENARIOS: dict[tuple[str, str, str], Any] = {}


def _scenario_from_text(text: str, source: str, base_dir: str) -> Any:
    """Parse a scenario once per worker process."""
    key = (text, source, base_dir)
    sc = _SCENARIOS.get(key)
    if sc is None:
        from scenarios.core.spec import parse_scenario

        sc = parse_scenario(text, source, base_dir=Path(base_dir) if base_dir else None)
        _SCENARIOS.clear()  # one batch at a time per worker: keep one
        _SCENARIOS[key] = sc
    return sc


def _district_for(scenario: Any) -> Any | None:
    """The scenario's district model (cached per process by ``load_district``), or None for an
    OSM/GraphML network, which the runner loads itself."""
    net = scenario.network
    if not net.is_district:
        return None
    from network.district import load_district

    return load_district(None if net.source == "builtin" else scenario.resolve(net.source))


def run_metrics(result: Any) -> dict[str, Any]:
    """Numbers of a RunResult the report uses beyond the indicator rows (inf kept)."""
    k = result.kpis
    rt = k["relief_time"]
    return {
        "relief_within_target": rt["share_within_target"], "relief_p95_h": rt["p95_h"],
        "relief_p50_h": rt["p50_h"], "relief_p90_h": rt["p90_h"], "relief_max_h": rt["max_h"],
        "affected_people": rt["affected_people"], "unrelieved_people": rt["unrelieved_people"],
        "warning_coverage": k["warning_coverage"], "exposure_people": k["exposure_people"],
        "forest_fire_damage_permille": k["forest_fire_damage_permille"],
        "response_mean_min": k["response_time"]["mean_min"], "response_unserved": k["response_time"]["unserved"],
    }


def execute_run(text: str, source: str, base_dir: str, run_index: int, plan: str, seed: int,
                inputs: dict[str, Any]) -> dict[str, Any]:
    """One (run, plan) of a batch; runs on a Dask worker. Never raises for a failing run: the
    error comes back as a 'failed' record, with its seed and inputs, for the client to store."""
    t0 = time.perf_counter()
    out: dict[str, Any] = {"run_index": run_index, "plan": plan, "seed": seed, "inputs": inputs}
    try:
        from distributed import get_worker

        out["worker"] = get_worker().address
    except ValueError:  # not on a Dask worker (the plain loop of the benchmark)
        out["worker"] = f"pid {os.getpid()}"
    try:
        from scenarios.core.runner import run_scenario

        base = _scenario_from_text(text, source, base_dir)
        sc = base.with_overrides(inputs) if inputs else base
        run = run_scenario(sc, plan=plan_arg(plan), seed=seed, district=_district_for(sc))
        out.update(status="ok", indicators=run.kpis, metrics=run_metrics(run.result))
    except Exception as exc:  # noqa: BLE001 — any failure of one run is data, not the batch's end
        msg = str(exc).strip().splitlines()
        out.update(status="failed", error=f"{type(exc).__name__}: {msg[0] if msg else ''}"[:2000])
    out["seconds"] = time.perf_counter() - t0
    return out


# ------------------------------------------------------------------------------- the client side
def _cluster_client(workers: int | None, scheduler: str | None):
    """A Dask client: to ``scheduler`` if given, else to a LocalCluster of worker processes on loopback."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout="20s"), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise YingjiError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    n = workers or max(1, (os.cpu_count() or 1))
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, silence_logs=logging.ERROR)
    return Client(cluster), cluster


def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


def run_batch(scenario: Any, *, runs: int, store: str | Path, seed: int = 0, plans: Sequence[str] = ("existing",),
              workers: int | None = None, scheduler: str | None = None, resume: bool = False,
              max_in_flight: int | None = None, retries: int = 2,
              progress: Callable[[dict[str, Any]], None] | None = None) -> BatchSummary:
    """Run ``runs`` randomised runs of ``scenario`` for each plan and store them in ``store``.

    ``progress`` is called after each stored run with counts and pass rates (the CLI draws its
    progress bar from it). Ctrl-C stops the batch: stored runs stay, in-flight runs are lost and
    ``resume=True`` runs them later.
    """
    if not getattr(scenario, "text", ""):
        raise InputError(f"{scenario.name}: a batch needs a scenario read from TOML (its text is stored for --resume)")
    if seed < 0:
        raise InputError(f"--seed: expected a non-negative integer, found {seed}")
    plans = check_plans(plans)
    if scheduler and workers:
        raise InputError("--workers and --scheduler exclude each other (a remote cluster has its own workers)")
    if workers is not None and workers < 1:
        raise InputError(f"--workers: expected a positive number of worker processes, found {workers}")
    if scheduler and not str(scheduler).startswith(("tcp://", "tls://", "ucx://", "inproc://")):
        raise InputError(f"--scheduler: expected an address such as tcp://HOST:PORT, found {scheduler!r}")
    dists = validated_uncertain(scenario)
    # one draw applied up front, so a typo in a path or a distribution the spec cannot take
    # fails now with the spec's own message rather than in every run
    first, _ = run_inputs(scenario, seed, 0, dists)
    if first:
        scenario.with_overrides(first)
    base_dir = str(scenario.resolve(".")) if scenario.resolve(".").is_absolute() else ""
    t0 = time.perf_counter()
    with BatchStore(store) as st:
        info = st.begin_batch(scenario_name=scenario.name, scenario_source=scenario.text, seed=seed, runs=runs,
                              plans=plans, resume=resume, scenario_origin=scenario.source)
        todo = st.missing(runs, plans)
        summary = BatchSummary(store=str(store), scenario=scenario.name, seed=seed, runs=runs, plans=plans)
        if todo and progress is not None:  # everything is validated: the caller may show its bar now
            progress(_progress_state(st, runs * len(plans) - len(todo), runs * len(plans)))
        if todo:
            _execute(st, scenario, base_dir, seed, todo, dists, summary, workers, scheduler, max_in_flight,
                     retries, progress, runs * len(plans))
        _finish_summary(st, summary, plans)
        summary.runs = max(runs, info.runs)
    summary.seconds = time.perf_counter() - t0
    return summary


def _finish_summary(st: BatchStore, summary: BatchSummary, plans: Sequence[str]) -> None:
    c = st.counts()
    summary.stored, summary.ok, summary.failed = c["stored"], c["ok"], c["failed"]
    for p in plans:
        rows = st.db.execute(f"SELECT COUNT(*), SUM({HEADLINE}_pass), SUM(all_pass) FROM runs "
                             "WHERE plan = ? AND status = 'ok'", (p,)).fetchone()
        summary.headline_pass[p] = _rate(int(rows[1] or 0), int(rows[0]))
        summary.all_pass[p] = _rate(int(rows[2] or 0), int(rows[0]))


def _execute(st: BatchStore, scenario: Any, base_dir: str, seed: int, todo: list[tuple[int, str]],
             dists: dict[str, Any], summary: BatchSummary, workers: int | None, scheduler: str | None,
             max_in_flight: int | None, retries: int, progress: Callable | None, total: int) -> None:
    from distributed import as_completed

    inputs_of: dict[int, tuple[dict[str, Any], int]] = {}
    client, cluster = _cluster_client(workers, scheduler)
    try:
        nthreads = sum(client.nthreads().values()) or 1
        summary.workers = len(client.nthreads())
        summary.scheduler = client.scheduler.address
        limit = max_in_flight or 2 * nthreads
        token = f"{os.getpid()}-{time.time_ns()}"
        queue = list(todo)
        plan_no = {p: k for k, p in enumerate(dict.fromkeys(p for _, p in todo))}

        def submit(item: tuple[int, str]):
            i, plan = item
            if i not in inputs_of:
                inputs_of[i] = run_inputs(scenario, seed, i, dists)
            inputs, sim_seed = inputs_of[i]
            return client.submit(execute_run, scenario.text, scenario.source, base_dir, i, plan, sim_seed, inputs,
                                 key=f"yingji-run-{token}-{i}-{plan_no[plan]}", pure=False, retries=retries)

        pending = {}
        for item in queue[:limit]:
            pending[submit(item)] = item
        queue = queue[limit:]
        summary.submitted = len(pending)
        done_before = total - len(todo)
        ac = as_completed(list(pending))
        for fut in ac:
            i, plan = pending.pop(fut)
            if fut.status == "finished":
                rec = fut.result()
            elif fut.status == "cancelled":  # the scheduler dropped it: not this run's fault, leave it for --resume
                raise YingjiError(f"the Dask scheduler cancelled run {i} ({plan}); stored runs are kept, --resume continues")
            else:  # the task itself failed (e.g. its worker died too often): still a stored, failed run
                exc = fut.exception() if fut.status == "error" else None
                inputs, sim_seed = inputs_of[i]
                rec = {"run_index": i, "plan": plan, "seed": sim_seed, "inputs": inputs, "status": "failed",
                       "error": f"{type(exc).__name__}: {exc}" if exc is not None else f"task {fut.status}"}
            if st.record(rec):
                summary.recorded += 1
            else:
                summary.duplicates += 1
            fut.release()
            if queue:
                nxt = queue.pop(0)
                f2 = submit(nxt)
                pending[f2] = nxt
                ac.add(f2)
                summary.submitted += 1
            if progress is not None:
                progress(_progress_state(st, done_before + summary.recorded + summary.duplicates, total))
    finally:
        try:
            client.close(timeout=10)
        finally:
            if cluster is not None:
                cluster.close(timeout=10)


def _progress_state(st: BatchStore, done: int, total: int) -> dict[str, Any]:
    row = st.db.execute(f"SELECT SUM(status = 'ok'), SUM(status = 'failed'), SUM({HEADLINE}_pass), SUM(all_pass) "
                        "FROM runs").fetchone()
    ok = int(row[0] or 0)
    return {"done": done, "total": total, "ok": ok, "failed": int(row[1] or 0),
            "headline_pass": _rate(int(row[2] or 0), ok), "all_pass": _rate(int(row[3] or 0), ok)}


# ------------------------------------------------------------------------------- replay
def load_replay(store_path: str | Path, run_index: int, plan: str | None = None) -> tuple[Any, str, int]:
    """A stored run as (scenario with its sampled inputs applied, plan label, simulation seed).

    ``run_scenario(scenario, plan=plan_arg(label), seed=seed)`` reproduces it exactly.
    """
    from scenarios.core.spec import BUILTIN_PREFIX, parse_scenario

    with BatchStore(store_path, create=False) as st:
        info = st.info()
        if info is None:
            raise InputError(f"{store_path}: the store holds no batch")
        row = st.run(run_index, plan)
    origin = info.scenario_origin
    # a file's relative paths (hydrograph, plan) resolve from its folder, as in the batch
    base_dir = None if origin.startswith(BUILTIN_PREFIX) else Path(origin).resolve().parent
    base = parse_scenario(info.scenario_source, origin, base_dir=base_dir)
    sc = base.with_overrides(row["inputs"]) if row["inputs"] else base
    return sc, row["plan"], int(row["seed"])


def summary_json(summary: BatchSummary) -> str:
    return json.dumps(summary.to_dict(), ensure_ascii=False, default=lambda x: None if isinstance(x, float) and not math.isfinite(x) else str(x))
