"""The simulations that judge a plan in ``yingji optimize size``: an ensemble of randomised runs
per scenario, the same members for every plan (common random numbers), each result kept in a
SQLite store under a digest of everything it depends on, so an interrupted search resumes
where it stopped and no simulation runs twice.

Member ``k`` of a scenario draws its uncertain inputs and simulation seed from
``SeedSequence(seed, spawn_key=(k,))`` (:func:`scenarios.batch.uncertainty.run_seeds`), as batch
run ``k`` does. The search uses members ``0 .. N-1``; the out-of-sample check members
``N .. 2N-1``: fresh draws of the same uncertain inputs.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distributed import Client, Security, as_completed

from network.errors import InputError
from scenarios.batch.cluster import close, connect
from scenarios.batch.runs import _district_for, _error_line, _scenario_from_text, run_inputs, validated_uncertain
from scenarios.core.runner import run_scenario
from scenarios.core.spec import Scenario

#: the relief targets, which the levers move (``--targets all`` adds every other target)
RELIEF_TARGETS = ("relief_within_target", "relief_p95_h")


@dataclass(frozen=True)
class Member:
    """One randomised run of one scenario: its index, drawn inputs and simulation seed."""

    scenario: int
    index: int
    inputs: dict[str, Any]
    seed: int


def members(scenario: Scenario, scenario_index: int, seed: int, indices: Sequence[int]) -> list[Member]:
    """The ensemble members ``indices`` of ``scenario`` (inputs and seeds as batch runs draw them)."""
    dists = validated_uncertain(scenario)
    out = []
    for k in indices:
        inputs, sim_seed = run_inputs(scenario, seed, k, dists)
        out.append(Member(scenario_index, int(k), inputs, sim_seed))
    return out


def evaluate_member(text: str, source: str, base_dir: str, inputs: dict[str, Any], seed: int, plan_json: str,
                    targets: Sequence[str]) -> dict[str, Any]:
    """Simulate one member with one plan (on a Dask worker or here): whether each target is met
    and the people each cause held back at the relief deadline, overall and by township."""
    try:
        base = _scenario_from_text(text, source, base_dir)
        sc = base.with_overrides(inputs) if inputs else base
        fd, path = tempfile.mkstemp(suffix=".json", prefix="yingji-size-plan-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(plan_json)
            run = run_scenario(sc, plan=Path(path), seed=seed, district=_district_for(sc))
        finally:
            os.unlink(path)
    except Exception as exc:  # noqa: BLE001 — a failed run is data: the search reports it
        return {"status": "failed", "error": _error_line(exc)}
    rows = {r["indicator"]: r for r in run.kpis}
    want = [t for t in (rows if "all" in targets else targets) if t in rows]
    passed = {t: rows[t]["pass"] for t in want}
    short = run.result.kpis["shortfall"]
    zones = {str(t["zone"]): t.get("waiting_at_target_by_cause", {}) for t in short["by_township"]
             if t.get("waiting_at_target_by_cause")}
    rt = run.result.kpis["relief_time"]
    return {"status": "ok", "pass": passed, "all_pass": all(v is not False for v in passed.values()),
            "waiting": short.get("waiting_at_target_by_cause", {}), "waiting_by_zone": zones,
            "affected_by_zone": {str(t["zone"]): t["affected"] for t in short["by_township"] if t.get("affected")},
            "relief_within_target": rt["share_within_target"], "relief_p95_h": rt["p95_h"],
            "affected_people": rt["affected_people"]}


class EvaluationStore:
    """Simulation results by digest, in SQLite (one row per scenario, member and plan)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{self.path.parent}: cannot create the folder for the sizing store ({exc.strerror})") from None
        try:
            self.db = sqlite3.connect(self.path)
            self.db.execute("CREATE TABLE IF NOT EXISTS evaluations (key TEXT PRIMARY KEY, result TEXT NOT NULL)")
            self.db.commit()
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{self.path}: not a sizing store ({exc})") from None

    def get(self, key: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT result FROM evaluations WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, result: dict[str, Any]) -> None:
        self.db.execute("INSERT OR REPLACE INTO evaluations VALUES (?, ?)", (key, json.dumps(result)))
        self.db.commit()

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0])

    def close(self) -> None:
        self.db.close()


def evaluation_key(scenario: Scenario, member: Member, plan_json: str, targets: Sequence[str]) -> str:
    """The digest a result is stored under: scenario text, member, seed, plan and targets."""
    h = hashlib.sha256()
    for part in (scenario.text, scenario.source or "", json.dumps(member.inputs, sort_keys=True, default=str),
                 str(member.index), str(member.seed), plan_json, ",".join(targets)):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


class Evaluator:
    """Runs (scenario, member, plan) simulations here (one worker) or on Dask, through the store."""

    def __init__(self, scenarios: Sequence[Scenario], store: EvaluationStore, targets: Sequence[str], *,
                 workers: int | None = None, scheduler: str | None = None, security: Security | None = None,
                 client: Client | None = None) -> None:
        self.scenarios = list(scenarios)
        self.store = store
        self.targets = tuple(targets)
        self.simulations = 0     # run by this call
        self.reused = 0          # found in the store
        self._client = self._cluster = None
        self._own = client is None          # a caller's client is theirs to close
        if client is not None:
            self._client = client
        elif scheduler or (workers or os.cpu_count() or 1) > 1:
            self._client, self._cluster = connect(workers, scheduler, security)

    def close(self) -> None:
        if self._client is not None and self._own:
            close(self._client, self._cluster)
        self._client = None

    def _args(self, m: Member, plan_json: str) -> tuple:
        sc = self.scenarios[m.scenario]
        here = sc.resolve(".")
        return (sc.text, sc.source or sc.name, str(here) if here.is_absolute() else "", m.inputs, m.seed, plan_json,
                self.targets)

    def evaluate(self, plan_json: str, ensemble: Sequence[Member],
                 on_result: Callable[[int, int], None] | None = None) -> list[dict[str, Any]]:
        """Results of ``plan_json`` on every member of ``ensemble``, in order; ``on_result(done,
        total)`` after each one (stored ones count at once)."""
        keys = [evaluation_key(self.scenarios[m.scenario], m, plan_json, self.targets) for m in ensemble]
        out: list[dict[str, Any] | None] = [self.store.get(k) for k in keys]
        todo = [i for i, r in enumerate(out) if r is None]
        self.reused += len(ensemble) - len(todo)
        done = len(ensemble) - len(todo)
        if on_result:
            on_result(done, len(ensemble))
        if self._client is None:
            for i in todo:
                out[i] = self._keep(keys[i], evaluate_member(*self._args(ensemble[i], plan_json)))
                done += 1
                if on_result:
                    on_result(done, len(ensemble))
        elif todo:
            futures = {self._client.submit(evaluate_member, *self._args(ensemble[i], plan_json), pure=False): i
                       for i in todo}
            for fut in as_completed(futures):
                i = futures[fut]
                out[i] = self._keep(keys[i], fut.result())
                done += 1
                if on_result:
                    on_result(done, len(ensemble))
        return [r for r in out if r is not None]

    def _keep(self, key: str, result: dict[str, Any]) -> dict[str, Any]:
        self.simulations += 1
        if result.get("status") == "ok":  # a failure is retried on resume, not remembered
            self.store.put(key, result)
        return result
