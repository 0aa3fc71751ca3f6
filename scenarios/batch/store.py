"""The embedded SQLite store of a batch: one row per finished run, written in one transaction.

Only the batch client writes (workers return results over Dask), so there is one writer. WAL
journaling with ``synchronous=FULL`` makes every committed run survive a killed client; a run
in flight when the client dies is simply absent and ``missing()`` hands it to ``--resume``.
``UNIQUE(run_index, plan)`` with ``INSERT OR IGNORE`` means a run is never stored twice, even if
Dask delivers a result twice after a worker is lost.

One writer per store, across processes: :meth:`BatchStore.begin_batch` takes an exclusive lock
on ``STORE.lock`` (``flock``, released by the system when the process ends, however it ends)
and holds it until the store is closed. A batch is identified by its scenario text and seed. A
second writer of the same batch waits for the first and then goes on as a resume would (so no
run is computed twice); a writer of another batch is refused at once, naming the batch that
holds the store. Readers (reports, replays) take no lock.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from network.errors import InputError
from network.jsonsafe import json_safe
from sim.result import INDICATORS

try:  # POSIX; elsewhere a store has no cross-process lock (one writer at a time is then the user's care)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

SCHEMA_VERSION = 1
#: the most runs per plan a batch takes (its to-do list is built in memory; a million is far past
#: what a Wilson interval needs)
MAX_RUNS = 1_000_000
#: indicator keys that also get their own columns (value REAL, <key>_pass INTEGER)
KPI_COLUMNS: tuple[str, ...] = tuple(key for key, *_ in INDICATORS)
#: the headline indicator (relief within the target time): the progress bar's and report's pass rate
HEADLINE = "relief_within_target"

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS batch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    schema_version INTEGER NOT NULL,
    scenario_name TEXT NOT NULL,
    scenario_origin TEXT NOT NULL,
    scenario_source TEXT NOT NULL,
    scenario_sha256 TEXT NOT NULL,
    seed INTEGER NOT NULL,
    runs INTEGER NOT NULL,
    plans TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_index INTEGER NOT NULL,
    plan TEXT NOT NULL,
    seed INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    inputs TEXT NOT NULL,
    kpis TEXT,
    {", ".join(f"{k} REAL, {k}_pass INTEGER" for k in KPI_COLUMNS)},
    all_pass INTEGER,
    error TEXT,
    seconds REAL,
    worker TEXT,
    finished_at TEXT NOT NULL,
    UNIQUE (run_index, plan)
);
"""


def _now() -> str:
    """The current UTC time, to the second, as ISO 8601 text."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def source_digest(text: str) -> str:
    """SHA-256 of a scenario's source text (what a resume must match)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class BatchInfo:
    """The batch a store belongs to."""

    scenario_name: str
    scenario_origin: str
    scenario_source: str
    scenario_sha256: str
    seed: int
    runs: int
    plans: tuple[str, ...]
    created: str
    updated: str


@dataclass(frozen=True)
class PassCounts:
    """Runs by status and, among the ok runs, how many met the headline target and all targets."""

    ok: int
    failed: int
    headline_pass: int
    all_pass: int


class BatchStore:
    """A batch's SQLite file. Use as a context manager or call :meth:`close`.

    Parameters
    ----------
    path : str or Path
        The SQLite file.
    create : bool, default True
        Create the file and its tables when missing (its folder too). With False the file must
        exist and hold the store's tables.

    Raises
    ------
    InputError
        When ``create`` is False and there is no such file, or the file is not a batch store.
    """

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        """Open (or create) the store; see the class docstring."""
        self.path = Path(path)
        self._lock: Any = None
        if not create and not self.path.is_file():
            raise InputError(f"{self.path}: no such batch store")
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # autocommit off at the sqlite level: every write is an explicit BEGIN ... COMMIT
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            if create:
                self.db.executescript(_SCHEMA)
            else:
                self._check_is_store()
        except sqlite3.OperationalError as exc:
            # the environment (a read-only folder, a full disk, a locked file), not the file's content
            raise InputError(f"{self.path}: cannot open or write the batch store ({exc})") from None
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{self.path}: not a yingji batch store ({exc})") from None
        self.db.row_factory = sqlite3.Row

    def _check_is_store(self) -> None:
        """Refuse a SQLite file without the store's tables."""
        names = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"batch", "runs"} <= names:
            raise InputError(f"{self.path}: not a yingji batch store (tables 'batch' and 'runs' missing)")

    def __enter__(self) -> BatchStore:
        """The store itself; it is closed on leaving the block."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the store."""
        self.close()

    def close(self) -> None:
        """Close the SQLite connection (every run is already committed) and release the writer lock."""
        self.db.close()
        if self._lock is not None:
            self._lock.close()          # closing the descriptor releases the flock
            self._lock = None

    @staticmethod
    def remove_if_unused(path: Path) -> None:
        """Delete a store (with its WAL, shared-memory and lock files) that holds no run and that
        no other process is writing; anything else is left alone."""
        path = Path(path)
        if fcntl is not None and path.exists():
            with open(path.with_name(path.name + ".lock"), "a+") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return                      # another writer has it
                if not BatchStore._holds_no_run(path):
                    return
                for suffix in ("", "-wal", "-shm", "-journal", ".lock"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
        elif path.exists() and BatchStore._holds_no_run(path):
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    @staticmethod
    def _holds_no_run(path: Path) -> bool:
        try:
            db = sqlite3.connect(path, timeout=5.0)
            try:
                return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0
            finally:
                db.close()
        except sqlite3.DatabaseError:
            return False                        # not ours to judge: keep it

    # -- the writer lock ---------------------------------------------------------------------
    def _take_writer_lock(self, digest: str, seed: int, *, poll_s: float = 0.2, settle_s: float = 10.0) -> None:
        """Become the store's only writer: at once if nobody writes; after the current writer if it
        writes the same batch (text ``digest``, ``seed``); otherwise an InputError naming the
        batch that holds the store."""
        if fcntl is None or self._lock is not None:
            return
        lock = open(self.path.with_name(self.path.name + ".lock"), "a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._holder(settle_s, poll_s)
            if holder is None or holder.scenario_sha256 != digest or holder.seed != seed:
                lock.close()
                what = (f"a batch of {holder.scenario_name!r} (seed {holder.seed})" if holder is not None
                        else "another batch")
                raise InputError(f"{self.path}: {what} is being written to this store by another process; "
                                 "wait for it to finish or choose another --store") from None
            fcntl.flock(lock, fcntl.LOCK_EX)      # the same batch: wait for it, then go on where it stopped
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        self._lock = lock

    def _holder(self, settle_s: float, poll_s: float) -> BatchInfo | None:
        """The batch the current writer records (it may take a moment to write its row)."""
        deadline = time.monotonic() + settle_s
        while True:
            info = self.info()
            if info is not None or time.monotonic() >= deadline:
                return info
            time.sleep(poll_s)

    # -- the batch ---------------------------------------------------------------------------
    def info(self) -> BatchInfo | None:
        """The batch this store holds.

        Returns
        -------
        BatchInfo or None
            The batch's scenario, seed, run count and plans; None for a store without a batch.
        """
        row = self.db.execute("SELECT * FROM batch WHERE id = 1").fetchone()
        if row is None:
            return None
        plans = self._json(row["plans"], "batch.plans")
        try:
            if not isinstance(plans, list) or not all(isinstance(p, str) for p in plans):
                raise ValueError("batch.plans is not a list of plan labels")
            return BatchInfo(str(row["scenario_name"]), str(row["scenario_origin"]), str(row["scenario_source"]),
                             str(row["scenario_sha256"]), int(row["seed"]), int(row["runs"]), tuple(plans),
                             str(row["created"]), str(row["updated"]))
        except (TypeError, ValueError) as exc:
            raise InputError(f"{self.path}: the store is damaged ({exc}); start a new --store") from None

    def _json(self, text: Any, where: str) -> Any:
        """A JSON column's value; an InputError naming the store and the column when it is not JSON."""
        try:
            return json.loads(text)
        except (TypeError, ValueError, RecursionError) as exc:
            raise InputError(f"{self.path}: the store is damaged ({where} is not JSON: {exc}); "
                             "start a new --store") from None

    def begin_batch(self, *, scenario_name: str, scenario_source: str, seed: int, runs: int,
                    plans: Sequence[str], resume: bool, scenario_origin: str = "") -> BatchInfo:
        """Record a new batch, or check that a resumed one is the same batch.

        A store that already holds a batch is refused without ``resume`` (no silent mixing);
        with ``resume`` the scenario text and batch seed must match. The run count and plans may
        grow on resume: the extra runs use the same derived seeds as a single larger batch. A
        batch that never stored a run (its cluster did not start, say) counts as no batch. The
        caller becomes the store's one writer first (see the module notes): another process
        writing the same batch is waited for, one writing another batch makes this an error.

        Parameters
        ----------
        scenario_name : str
            The scenario's name.
        scenario_source : str
            The scenario's TOML text (stored, and compared by SHA-256 on resume).
        seed : int
            The batch seed.
        runs : int
            Runs per plan (at least 1).
        plans : sequence of str
            Plan labels: 'existing', 'optimized' or plan files (at least one).
        resume : bool
            Continue the batch the store holds instead of refusing it.
        scenario_origin : str, default ""
            Where the scenario came from (file path or ``builtin:NAME``); the name when empty.

        Returns
        -------
        BatchInfo
            The batch as stored now (on resume: the larger run count, the union of plans).

        Raises
        ------
        InputError
            When ``runs`` or ``plans`` is empty, the store holds another batch (any batch
            without ``resume``; with it, one of other text or seed), or another process is
            writing another batch to it.
        """
        if not 1 <= runs <= MAX_RUNS:
            raise InputError(f"--runs: expected 1 to {MAX_RUNS:,} runs per plan, found {runs:,}")
        if not plans:
            raise InputError("--plans: name at least one plan")
        digest = source_digest(scenario_source)
        self._take_writer_lock(digest, seed)
        old = self._batch_with_runs()
        if old is not None:
            self._check_resume(old, digest, seed, resume)
        now = _now()
        with self._tx():
            if old is None:
                self.db.execute(
                    "INSERT INTO batch (id, schema_version, scenario_name, scenario_origin, scenario_source, scenario_sha256,"
                    " seed, runs, plans, created, updated) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (SCHEMA_VERSION, scenario_name, scenario_origin or scenario_name, scenario_source, digest, seed, runs, json.dumps(list(plans)), now, now))
            else:
                all_plans = list(old.plans) + [p for p in plans if p not in old.plans]
                self.db.execute("UPDATE batch SET runs = ?, plans = ?, updated = ? WHERE id = 1",
                                (max(runs, old.runs), json.dumps(all_plans), now))
        info = self.info()
        assert info is not None
        return info

    def _batch_with_runs(self) -> BatchInfo | None:
        """The stored batch if it stored any run; a batch without runs is dropped as no batch yet."""
        old = self.info()
        if old is not None and not self.counts()["stored"]:
            with self._tx():
                self.db.execute("DELETE FROM batch")
            return None
        return old

    def _check_resume(self, old: BatchInfo, digest: str, seed: int, resume: bool) -> None:
        """Refuse to add to the stored batch ``old`` unless resuming it with its text and seed."""
        if not resume:
            raise InputError(f"{self.path}: already holds a batch of {old.scenario_name!r} (seed {old.seed}); "
                             "pass --resume to continue it or choose another --store")
        if old.scenario_sha256 != digest:
            raise InputError(f"{self.path}: cannot resume: the store's batch ran scenario {old.scenario_name!r} "
                             f"with different text (sha256 {old.scenario_sha256[:12]}, this {digest[:12]})")
        if old.seed != seed:
            raise InputError(f"{self.path}: cannot resume: the store's batch seed is {old.seed}, not {seed}")

    # -- runs --------------------------------------------------------------------------------
    @contextmanager
    def _tx(self) -> Iterator[None]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def record(self, run: dict[str, Any]) -> bool:
        """Store one finished run in one transaction.

        Parameters
        ----------
        run : dict
            ``run_index``, ``plan``, ``seed``, ``status`` ('ok' or 'failed') and ``inputs`` (a
            dict); for ok runs ``indicators`` (the runner's indicator rows) and ``metrics``
            (extra numbers, inf allowed); ``error``, ``seconds`` and ``worker`` when known.

        Returns
        -------
        bool
            True if stored, False if (run_index, plan) was already stored (the store keeps the first).

        Raises
        ------
        ValueError
            When ``status`` is neither 'ok' nor 'failed'.
        """
        status = run["status"]
        if status not in ("ok", "failed"):
            raise ValueError(f"status must be 'ok' or 'failed', found {status!r}")
        indicators = run.get("indicators") or []
        metrics = run.get("metrics") or {}
        cols, passes = _indicator_columns(indicators, metrics)
        kpis = None if status != "ok" else json.dumps(json_safe({"indicators": indicators, "metrics": metrics}),
                                                     ensure_ascii=False)
        values = {
            "run_index": int(run["run_index"]), "plan": str(run["plan"]), "seed": int(run["seed"]), "status": status,
            "inputs": json.dumps(json_safe(run.get("inputs") or {}), ensure_ascii=False, sort_keys=True),
            "kpis": kpis, **cols, "all_pass": (int(all(passes)) if passes else None) if status == "ok" else None,
            "error": run.get("error"), "seconds": run.get("seconds"), "worker": run.get("worker"),
            "finished_at": _now(),
        }
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self._tx():
            cur = self.db.execute(f"INSERT OR IGNORE INTO runs ({names}) VALUES ({marks})", tuple(values.values()))
        return cur.rowcount == 1

    def done(self) -> set[tuple[int, str]]:
        """The (run_index, plan) of every stored run, ok or failed."""
        return {(int(r[0]), r[1]) for r in self.db.execute("SELECT run_index, plan FROM runs")}

    def missing(self, runs: int, plans: Iterable[str]) -> list[tuple[int, str]]:
        """The runs of a batch not stored yet.

        Parameters
        ----------
        runs : int
            Runs per plan of the batch.
        plans : iterable of str
            The batch's plan labels.

        Returns
        -------
        list of (int, str)
            The (run_index, plan) pairs of ``runs`` x ``plans`` not stored, by run index then in
            the order of ``plans``.
        """
        have = self.done()
        plans = list(plans)
        return [(i, p) for i in range(runs) for p in plans if (i, p) not in have]

    def rows(self, *, plan: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        """Stored runs, ordered by run index then plan.

        Parameters
        ----------
        plan : str, optional
            Only this plan's runs.
        status : str, optional
            Only runs with this status ('ok' or 'failed').

        Returns
        -------
        list of dict
            One dict per run, by column name; ``inputs`` and ``kpis`` decoded from JSON (``kpis``
            None for a failed run).
        """
        sql, args = "SELECT * FROM runs", []
        where = []
        if plan is not None:
            where.append("plan = ?")
            args.append(plan)
        if status is not None:
            where.append("status = ?")
            args.append(status)
        if where:
            sql += " WHERE " + " AND ".join(where)
        out = []
        for r in self.db.execute(sql + " ORDER BY run_index, plan", args):
            d = dict(r)
            where = f"runs[{d.get('run_index')}, {d.get('plan')}]"
            d["inputs"] = self._json(d["inputs"], f"{where}.inputs")
            d["kpis"] = self._json(d["kpis"], f"{where}.kpis") if d["kpis"] else None
            out.append(d)
        return out

    def run(self, run_index: int, plan: str | None = None) -> dict[str, Any]:
        """One stored run.

        Parameters
        ----------
        run_index : int
            The run's index in the batch.
        plan : str, optional
            The run's plan; may be omitted when that run was stored for one plan only.

        Returns
        -------
        dict
            The run as :meth:`rows` gives it.

        Raises
        ------
        InputError
            When no such run is stored, or ``plan`` is omitted and the run has several plans.
        """
        rows = [r for r in self.rows() if r["run_index"] == run_index and (plan is None or r["plan"] == plan)]
        if not rows:
            raise InputError(f"{self.path}: no stored run {run_index}" + (f" for plan {plan!r}" if plan else ""))
        if len(rows) > 1:
            raise InputError(f"{self.path}: run {run_index} was run with plans {[r['plan'] for r in rows]}; name one")
        return rows[0]

    def counts(self) -> dict[str, int]:
        """Stored runs by status.

        Returns
        -------
        dict
            ``stored``, ``ok``, ``failed`` (runs), and ``all_pass`` (ok runs that met every target).
        """
        q = self.db.execute("SELECT COUNT(*), SUM(status = 'ok'), SUM(status = 'failed'), SUM(all_pass) FROM runs").fetchone()
        return {"stored": int(q[0]), "ok": int(q[1] or 0), "failed": int(q[2] or 0), "all_pass": int(q[3] or 0)}

    def pass_counts(self, plan: str | None = None) -> PassCounts:
        """Ok and failed runs and the target passes among the ok ones, of one plan or of all.

        Parameters
        ----------
        plan : str, optional
            Count only this plan's runs.

        Returns
        -------
        PassCounts
            Runs by status, and the ok runs that met the headline target and every target.
        """
        where, args = ("WHERE plan = ?", (plan,)) if plan is not None else ("", ())
        q = self.db.execute(f"SELECT SUM(status = 'ok'), SUM(status = 'failed'), "
                            f"SUM(CASE WHEN status = 'ok' THEN {HEADLINE}_pass END), "
                            f"SUM(CASE WHEN status = 'ok' THEN all_pass END) FROM runs {where}", args).fetchone()
        return PassCounts(*(int(v or 0) for v in q))


def _indicator_columns(indicators: list[dict[str, Any]], metrics: dict[str, Any]) -> tuple[dict[str, Any], list[bool]]:
    """The KPI columns (value, pass) of a run's indicator rows, and every pass/fail among the rows."""
    cols: dict[str, Any] = {}
    passes = []
    for row in indicators:
        key = row.get("indicator")
        if row.get("pass") is not None:
            passes.append(bool(row["pass"]))
        if key in KPI_COLUMNS:
            value = row.get("value")
            # the runner reports an unreachable value (never relieved) as None with a note; keep it as inf
            if value is None and key in metrics:
                value = metrics[key]
            cols[key] = value
            cols[f"{key}_pass"] = None if row.get("pass") is None else int(bool(row["pass"]))
    return cols, passes
