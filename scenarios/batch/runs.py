"""Batch runs of a scenario on dask.distributed, stored run by run in SQLite.

The client samples every run's uncertain inputs (seeded from the batch seed and the run index,
see :func:`scenarios.batch.uncertainty.run_seeds`), submits one Dask task per (run, plan) with a
bounded number in flight, and writes each result to the :class:`~scenarios.batch.store.BatchStore`
as it arrives. All plans of a run get the same inputs and the same simulation seed (common
random numbers), so plan differences are paired. Workers are a LocalCluster of processes on
127.0.0.1 (private: mutual TLS, no HTTP) by default, or any scheduler given by address; a worker keeps the district it loaded
for the next run (district models and manifest networks are loaded once per process).
"""
from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distributed import Client, Future, Security, as_completed, get_worker

from network.district import District
from network.model import RoadNetwork
from network.errors import InputError, YingjiError
from scenarios.batch.cluster import check_cluster, cluster_client
from scenarios.core.inputs import load_scenario_network
from scenarios.core.runner import run_scenario
from scenarios.core.spec import BUILTIN_PREFIX, Scenario, parse_scenario
from sim.result import RunResult

from .store import BatchStore
from .uncertainty import Distribution, check_paths, parse_uncertain, run_seeds, sample

#: what ``run_batch`` hands its progress callback after each stored run (see :func:`_progress_state`)
Progress = Callable[[dict[str, Any]], None]


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
        """The summary's fields as a dict."""
        return dict(self.__dict__)


# ------------------------------------------------------------------------------- the inputs
def validated_uncertain(scenario: Scenario) -> dict[str, Distribution]:
    """The scenario's uncertain table, parsed and checked against its fields."""
    dists = parse_uncertain(scenario.uncertain, source=scenario.source or scenario.name)
    check_paths(dists, scenario, source=scenario.source or scenario.name)
    return dists


def run_inputs(scenario: Scenario, batch_seed: int, run_index: int,
               dists: dict[str, Distribution] | None = None) -> tuple[dict[str, Any], int]:
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
_SCENARIOS: dict[tuple[str, str, str], Scenario] = {}


def _scenario_from_text(text: str, source: str, base_dir: str) -> Scenario:
    """Parse a scenario once per worker process."""
    key = (text, source, base_dir)
    sc = _SCENARIOS.get(key)
    if sc is None:
        sc = parse_scenario(text, source, base_dir=Path(base_dir) if base_dir else None)
        _SCENARIOS.clear()  # one batch at a time per worker: keep one
        _SCENARIOS[key] = sc
    return sc


_NETWORKS: dict[str, District | RoadNetwork] = {}


def _district_for(scenario: Scenario) -> District | RoadNetwork | None:
    """The scenario's district model or manifest network (loaded once per worker process), or
    None for an OSM/GraphML network, which the runner loads itself."""
    net = scenario.network
    if not net.is_district:
        return None
    key = "builtin" if net.source == "builtin" else str(scenario.resolve(net.source))
    if key not in _NETWORKS:
        _NETWORKS.clear()  # one batch at a time per worker: keep one
        _NETWORKS[key] = load_scenario_network(scenario)
    return _NETWORKS[key]


def run_metrics(result: RunResult) -> dict[str, Any]:
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
        "unrelieved_by_cause": dict(k["shortfall"]["unrelieved_by_cause"]),
        "sheltered_in_place_people": k.get("sheltered_in_place_people", 0),
        # per township: the people affected and those each cause held at the deadline (the batch report's map)
        "by_township": [{"zone": t["zone"], "affected": t["affected"],
                         "waiting_at_target_by_cause": dict(t.get("waiting_at_target_by_cause") or {})}
                        for t in k["shortfall"].get("by_township", ())],
    }


def _worker_name() -> str:
    """The Dask worker's address, or this process's id outside Dask (the benchmark's plain loop)."""
    try:
        return get_worker().address
    except ValueError:
        return f"pid {os.getpid()}"


def _error_line(exc: Exception) -> str:
    """A failed run's error as stored: the exception type and the first line of its message."""
    msg = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {msg[0] if msg else ''}"[:2000]


def execute_run(text: str, source: str, base_dir: str, run_index: int, plan: str, seed: int,
                inputs: dict[str, Any]) -> dict[str, Any]:
    """One (run, plan) of a batch; runs on a Dask worker. Never raises for a failing run: the
    error comes back as a 'failed' record, with its seed and inputs, for the client to store."""
    t0 = time.perf_counter()
    out: dict[str, Any] = {"run_index": run_index, "plan": plan, "seed": seed, "inputs": inputs}
    out["worker"] = _worker_name()
    try:
        base = _scenario_from_text(text, source, base_dir)
        sc = base.with_overrides(inputs) if inputs else base
        run = run_scenario(sc, plan=plan_arg(plan), seed=seed, district=_district_for(sc))
        out.update(status="ok", indicators=run.kpis, metrics=run_metrics(run.result))
    except Exception as exc:  # noqa: BLE001 — any failure of one run is data, not the batch's end
        out.update(status="failed", error=_error_line(exc))
    out["seconds"] = time.perf_counter() - t0
    return out


# ------------------------------------------------------------------------------- the client side
def run_batch(scenario: Scenario, *, runs: int, store: str | Path, seed: int = 0, plans: Sequence[str] = ("existing",),
              workers: int | None = None, scheduler: str | None = None, security: Security | None = None,
              client: Client | None = None, resume: bool = False, max_in_flight: int | None = None, retries: int = 2, progress: Progress | None = None) -> BatchSummary:
    """Run ``runs`` randomised runs of ``scenario`` for each plan and store them in ``store``.

    Ctrl-C stops the batch: stored runs stay, in-flight runs are lost and ``resume=True`` runs
    them later.

    Parameters
    ----------
    scenario : Scenario
        A scenario read from TOML (its text is stored, and sent to the workers), with its
        ``[uncertain]`` tables.
    runs : int
        Runs per plan.
    store : str or Path
        The SQLite store (created if missing).
    seed : int, default 0
        The batch seed; run ``k`` draws from ``SeedSequence(seed, spawn_key=(k,))``.
    plans : sequence of str, default ("existing",)
        'existing', 'optimized' or plan JSON files; every plan of a run gets the same inputs.
    workers : int, optional
        Worker processes of a LocalCluster (default: the CPU count).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://HOST:PORT`` or ``tls://HOST:PORT``) instead of
        a private LocalCluster (see :mod:`scenarios.batch.cluster`).
    security : distributed.Security, optional
        TLS settings for a ``tls://`` scheduler (:func:`scenarios.batch.cluster.remote_security`
        builds them from PEM files).
    client : distributed.Client, optional
        A client you already hold (a notebook's, on any cluster): the batch runs on it and leaves
        it open. Excludes ``workers`` and ``scheduler``.
    resume : bool, default False
        Continue the batch in ``store``: run only the runs it lacks.
    max_in_flight : int, optional
        Tasks submitted at once (default: twice the cluster's threads).
    retries : int, default 2
        Dask retries of a task whose worker was lost.
    progress : callable, optional
        Called once when the runs start and after each stored run with ``done``, ``total``,
        ``ok``, ``failed``, ``headline_pass`` and ``all_pass`` (the CLI draws its bar from it).

    Returns
    -------
    BatchSummary
        What this call ran and what the store holds afterwards.

    Raises
    ------
    InputError
        When the scenario was not read from TOML, an argument is invalid, the uncertain inputs
        do not fit the scenario, or the store holds another batch (see :meth:`BatchStore.begin_batch`).
    YingjiError
        When the scheduler cannot be reached or cancels a run (stored runs are kept).
    """
    check_cluster(workers, scheduler, client)
    plans = _checked_plans(scenario, seed, plans, workers, scheduler)
    dists = _checked_dists(scenario, seed)
    here = scenario.resolve(".")
    base_dir = str(here) if here.is_absolute() else ""
    job = _Job(scenario, base_dir, seed, dists, runs * len(plans), workers, scheduler, security, client, max_in_flight,
               retries, progress)
    t0 = time.perf_counter()
    created = not Path(store).exists()
    try:
        return _run_in_store(store, scenario, job, runs, seed, plans, resume, progress, t0)
    except BaseException:
        if created:
            BatchStore.remove_if_unused(Path(store))   # a batch that stored nothing leaves no file behind
        raise


def _run_in_store(store: str | Path, scenario: Scenario, job: "_Job", runs: int, seed: int, plans: list[str],
                  resume: bool, progress: Progress | None, t0: float) -> BatchSummary:
    """The batch in its store, once the arguments are checked (see :func:`run_batch`)."""
    with BatchStore(store) as st:
        info = st.begin_batch(scenario_name=scenario.name, scenario_source=scenario.text, seed=seed, runs=runs,
                              plans=plans, resume=resume, scenario_origin=scenario.source)
        todo = st.missing(runs, plans)
        summary = BatchSummary(store=str(store), scenario=scenario.name, seed=seed, runs=runs, plans=plans)
        if todo and progress is not None:  # everything is validated: the caller may show its bar now
            progress(_progress_state(st, job.total - len(todo), job.total))
        if todo:
            _execute(st, job, todo, summary)
        _finish_summary(st, summary, plans)
        summary.runs = max(runs, info.runs)
    summary.seconds = time.perf_counter() - t0
    return summary


def _checked_plans(scenario: Scenario, seed: int, plans: Sequence[str], workers: int | None,
                   scheduler: str | None) -> list[str]:
    """The checked plan labels, once the scenario, seed, workers and scheduler are known to fit a batch."""
    if not scenario.text:
        raise InputError(f"{scenario.name}: a batch needs a scenario read from TOML (its text is stored for --resume)")
    if seed < 0:
        raise InputError(f"--seed: expected a non-negative integer, found {seed}")
    checked = check_plans(plans)
    check_cluster(workers, scheduler)
    return checked


def _checked_dists(scenario: Scenario, seed: int) -> dict[str, Distribution]:
    """The scenario's distributions, once run 0's draw has been applied to it."""
    dists = validated_uncertain(scenario)
    # one draw applied up front, so a typo in a path or a distribution the spec cannot take
    # fails now with the spec's own message rather than in every run
    first, _ = run_inputs(scenario, seed, 0, dists)
    if first:
        scenario.with_overrides(first)
    return dists


@dataclass
class _Job:
    """One batch call as its steps share it: the scenario and its settings, and the inputs drawn so far."""

    scenario: Scenario
    base_dir: str
    seed: int
    dists: dict[str, Distribution]
    total: int
    workers: int | None
    scheduler: str | None
    security: Security | None
    client: Client | None
    max_in_flight: int | None
    retries: int
    progress: Progress | None
    inputs_of: dict[int, tuple[dict[str, Any], int]] = field(default_factory=dict)

    def inputs(self, run_index: int) -> tuple[dict[str, Any], int]:
        """Run ``run_index``'s sampled inputs and simulation seed, drawn once for all its plans."""
        if run_index not in self.inputs_of:
            self.inputs_of[run_index] = run_inputs(self.scenario, self.seed, run_index, self.dists)
        return self.inputs_of[run_index]


def _execute(st: BatchStore, job: _Job, todo: list[tuple[int, str]], summary: BatchSummary) -> None:
    """Run the missing (run, plan) pairs ``todo`` on a Dask cluster, storing each as it arrives."""
    with cluster_client(job.workers, job.scheduler, job.security, job.client) as client:
        threads = client.nthreads()
        summary.workers = len(threads)
        summary.scheduler = client.scheduler.address
        limit = job.max_in_flight or 2 * (sum(threads.values()) or 1)
        _run_tasks(st, _Tasks(client, job, todo), todo, summary, limit)


class _Tasks:
    """Submits a batch call's (run, plan) tasks under Dask keys unique to the call."""

    def __init__(self, client: Client, job: _Job, todo: list[tuple[int, str]]) -> None:
        """Tasks of ``job`` on ``client``; each plan of ``todo`` gets a number for the keys."""
        self.client = client
        self.job = job
        self.token = f"{os.getpid()}-{time.time_ns()}"
        self.plan_no = {p: k for k, p in enumerate(dict.fromkeys(p for _, p in todo))}

    def submit(self, item: tuple[int, str]) -> Future:
        """Submit (run_index, plan) with the run's inputs and seed."""
        i, plan = item
        inputs, sim_seed = self.job.inputs(i)
        sc = self.job.scenario
        return self.client.submit(execute_run, sc.text, sc.source, self.job.base_dir, i, plan, sim_seed, inputs,
                                  key=f"yingji-run-{self.token}-{i}-{self.plan_no[plan]}", pure=False,
                                  retries=self.job.retries)


def _run_tasks(st: BatchStore, tasks: _Tasks, todo: list[tuple[int, str]], summary: BatchSummary, limit: int) -> None:
    """Keep ``limit`` tasks in flight: store each result as it arrives, then submit the next task."""
    job = tasks.job
    queue = list(todo)
    pending: dict[Future, tuple[int, str]] = {}
    for item in queue[:limit]:
        pending[tasks.submit(item)] = item
    queue = queue[limit:]
    summary.submitted = len(pending)
    done_before = job.total - len(todo)
    ac = as_completed(list(pending))
    for fut in ac:
        if st.record(_record_of(fut, pending.pop(fut), job)):
            summary.recorded += 1
        else:
            summary.duplicates += 1
        fut.release()
        if queue:
            nxt = queue.pop(0)
            f2 = tasks.submit(nxt)
            pending[f2] = nxt
            ac.add(f2)
            summary.submitted += 1
        if job.progress is not None:
            job.progress(_progress_state(st, done_before + summary.recorded + summary.duplicates, job.total))


def _record_of(fut: Future, item: tuple[int, str], job: _Job) -> dict[str, Any]:
    """The run record a done task brings: the worker's, or a failed run when the task itself failed."""
    i, plan = item
    if fut.status == "finished":
        return fut.result()
    if fut.status == "cancelled":  # the scheduler dropped it: not this run's fault, leave it for --resume
        raise YingjiError(f"the Dask scheduler cancelled run {i} ({plan}); stored runs are kept, --resume continues")
    # the task itself failed (e.g. its worker died too often): still a stored, failed run
    exc = fut.exception() if fut.status == "error" else None
    inputs, sim_seed = job.inputs(i)
    return {"run_index": i, "plan": plan, "seed": sim_seed, "inputs": inputs, "status": "failed",
            "error": f"{type(exc).__name__}: {exc}" if exc is not None else f"task {fut.status}"}


def _rate(num: int, den: int) -> float | None:
    """``num / den``, or None when there is nothing to divide by."""
    return num / den if den else None


def _finish_summary(st: BatchStore, summary: BatchSummary, plans: Sequence[str]) -> None:
    """Fill in what the store holds after the call: runs by status, each plan's pass rates."""
    c = st.counts()
    summary.stored, summary.ok, summary.failed = c["stored"], c["ok"], c["failed"]
    for p in plans:
        n = st.pass_counts(p)
        summary.headline_pass[p] = _rate(n.headline_pass, n.ok)
        summary.all_pass[p] = _rate(n.all_pass, n.ok)


def _progress_state(st: BatchStore, done: int, total: int) -> dict[str, Any]:
    """What the progress callback gets: runs done of ``total``, ok and failed, the pass rates so far."""
    n = st.pass_counts()
    return {"done": done, "total": total, "ok": n.ok, "failed": n.failed,
            "headline_pass": _rate(n.headline_pass, n.ok), "all_pass": _rate(n.all_pass, n.ok)}


# ------------------------------------------------------------------------------- replay
def load_replay(store_path: str | Path, run_index: int, plan: str | None = None) -> tuple[Scenario, str, int]:
    """A stored run, ready to run again.

    ``run_scenario(scenario, plan=plan_arg(label), seed=seed)`` reproduces it exactly.

    Parameters
    ----------
    store_path : str or Path
        A batch store.
    run_index : int
        The run's index in the batch.
    plan : str, optional
        The run's plan; may be omitted when that run was stored for one plan only.

    Returns
    -------
    tuple of (Scenario, str, int)
        The scenario with the run's sampled inputs applied, the plan label and the simulation seed.

    Raises
    ------
    InputError
        When the store is missing or holds no batch or no such run, or ``plan`` is omitted and
        the run has several plans.
    """
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
    """The summary as one line of JSON (what ``yingji batch --json`` prints)."""
    return json.dumps(summary.to_dict(), ensure_ascii=False, default=lambda x: None if isinstance(x, float) and not math.isfinite(x) else str(x))
