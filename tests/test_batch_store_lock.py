"""One writer per batch store: a batch of another scenario or seed is refused while one writes,
the same batch waits and goes on where the first stopped, and two batch processes started on one
new store never mix their runs. A scenario's name never chooses where the default store goes."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from network.errors import InputError
from scenarios.batch.runs import run_inputs
from scenarios.batch.store import BatchStore, source_digest
from scenarios.core.spec import load_scenario

from .cli_checks import SHORT_CHEMICAL

TEXT = 'name = "t"\n'
KW = dict(scenario_name="t", scenario_source=TEXT, runs=2, plans=["existing"], resume=False)


def _run(i: int, seed: int) -> dict:
    return {"run_index": i, "plan": "existing", "seed": seed * 100 + i, "status": "failed", "inputs": {},
            "error": "x"}


def test_a_second_writer_of_another_batch_is_refused_while_the_first_writes(tmp_path):
    p = tmp_path / "s.sqlite"
    first = BatchStore(p)
    first.begin_batch(seed=5, **KW)                      # holds the store, no run stored yet
    second = BatchStore(p)
    t0 = time.monotonic()
    with pytest.raises(InputError, match=r"a batch of 't' \(seed 5\) is being written to this store by another "
                                         r"process; wait for it to finish or choose another --store"):
        second.begin_batch(seed=6, **KW)
    assert time.monotonic() - t0 < 5
    second.close()
    first.record(_run(0, 5))
    info = first.info()
    assert info.seed == 5 and info.scenario_sha256 == source_digest(TEXT)    # not replaced by seed 6
    first.close()
    # once the first writer is gone, the store is free again (its batch now needs --resume)
    third = BatchStore(p)
    with pytest.raises(InputError, match="already holds a batch of 't' \\(seed 5\\)"):
        third.begin_batch(seed=6, **KW)
    third.close()


def test_a_second_writer_of_the_same_batch_waits_and_goes_on_where_the_first_stopped(tmp_path):
    p = tmp_path / "s.sqlite"
    first = BatchStore(p)
    first.begin_batch(seed=5, **KW)
    got: dict = {}

    def resume() -> None:
        with BatchStore(p) as st:
            got["info"] = st.begin_batch(seed=5, **{**KW, "resume": True})
            got["missing"] = st.missing(2, ["existing"])
            got["at"] = time.monotonic()

    th = threading.Thread(target=resume)
    th.start()
    time.sleep(0.5)
    assert th.is_alive() and "info" not in got           # waiting for the first writer
    first.record(_run(0, 5))
    released = time.monotonic()
    first.close()
    th.join(10)
    assert not th.is_alive() and got["at"] >= released
    assert got["info"].seed == 5 and got["missing"] == [(1, "existing")]      # only what is left


def test_a_dead_writer_frees_the_store(tmp_path):
    """The lock is the operating system's: a writer killed before storing a run leaves nothing held."""
    p = tmp_path / "s.sqlite"
    code = ("import sys, os; from scenarios.batch.store import BatchStore; st = BatchStore(sys.argv[1]); "
            "st.begin_batch(scenario_name='t', scenario_source='name = \"t\"\\n', seed=5, runs=2, "
            "plans=['existing'], resume=False); os._exit(0)")
    subprocess.run([sys.executable, "-c", code, str(p)], check=True, env=_env())
    with BatchStore(p) as st:
        info = st.begin_batch(seed=6, **KW)           # the dead writer's run-less batch counts as none
        assert info.seed == 6


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1]) + os.pathsep + env.get("PYTHONPATH", "")
    return env


BATCH = SHORT_CHEMICAL.replace('name = "hostile"', 'name = "../../lock-test/escaped"') + """
[uncertain."hazards.chemical.rate_kg_s"]
dist = "uniform"
low = 0.5
high = 2.0
"""


def test_two_batch_processes_on_one_new_store_never_mix(tmp_path):
    """The reproducer of the issue: two batches with seeds 5 and 6 started 0.3 s apart on one
    store. One writes its batch; the other is refused with one line; every stored run carries the
    winner's seeds. The store's default name is the slug of the scenario's name, in the folder."""
    scenario = tmp_path / "sc.toml"
    scenario.write_text(BATCH, encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    cmd = [sys.executable, "-m", "scenarios.cli", "batch", str(scenario), "--runs", "3", "--workers", "1", "--quiet"]
    a = subprocess.Popen([*cmd, "--seed", "5"], cwd=work, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(0.3)
    b = subprocess.Popen([*cmd, "--seed", "6"], cwd=work, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    outs = [p.communicate(timeout=300) for p in (a, b)]
    codes = sorted((a.returncode, b.returncode))
    assert codes == [0, 2], outs
    loser_err = next(err for p, (_, err) in zip((a, b), outs) if p.returncode == 2)
    # refused while the winner writes (or, on a machine slow to start the second, once it has written)
    assert ("is being written to this store by another process" in loser_err
            or "already holds a batch" in loser_err) and "Traceback" not in loser_err
    assert sorted(x.name for x in work.iterdir() if x.suffix == ".sqlite") == ["batch-lock-test-escaped.sqlite"]
    assert not (tmp_path / "lock-test").exists()
    with BatchStore(work / "batch-lock-test-escaped.sqlite", create=False) as st:
        seed = st.info().seed
        rows = st.rows()
    winner = 5 if a.returncode == 0 else 6
    assert seed == winner and len(rows) == 3
    sc = load_scenario(scenario)
    assert [r["seed"] for r in rows] == [run_inputs(sc, winner, i)[1] for i in range(3)]


def test_a_damaged_or_foreign_store_is_one_line(tmp_path, capsys):
    import sqlite3

    from scenarios.cli.main import main

    p = tmp_path / "s.sqlite"
    with BatchStore(p) as st:
        st.begin_batch(seed=5, **KW)
        st.record({**_run(0, 5), "inputs": {"a": 1}})
    db = sqlite3.connect(p)
    db.execute("UPDATE batch SET plans = '{not json'")
    db.execute("UPDATE runs SET inputs = '[1, 2'")
    db.commit()
    db.close()
    with BatchStore(p, create=False) as st:
        with pytest.raises(InputError, match=r"s.sqlite: the store is damaged \(batch.plans is not JSON"):
            st.info()
        with pytest.raises(InputError, match=r"the store is damaged \(runs\[0, existing\].inputs is not JSON"):
            st.rows()
    assert main(["batch", "report", str(p), "--out", str(tmp_path / "r")]) == 2
    assert "the store is damaged" in capsys.readouterr().err
    noise = tmp_path / "noise.sqlite"
    noise.write_bytes(os.urandom(8192))
    assert main(["batch", "report", str(noise), "--out", str(tmp_path / "r2")]) == 2
    err = capsys.readouterr().err
    assert "not a yingji batch store" in err and "Traceback" not in err
    with BatchStore(tmp_path / "big.sqlite") as st:
        with pytest.raises(InputError, match=r"--runs: expected 1 to 1,000,000 runs per plan, found 100,000,000"):
            st.begin_batch(seed=1, **{**KW, "runs": 100_000_000})
