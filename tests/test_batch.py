"""Batch runs on real dask.distributed: determinism across worker counts, a separately started
scheduler and worker (plain and TLS), the private local cluster, a killed worker, an interrupted or killed client and --resume, failed
runs, loopback binding. A short flood (a few simulated hours) keeps each batch to seconds."""
from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from network.errors import InputError
from scenarios.batch.runs import load_replay, run_batch, run_inputs
from scenarios.batch.store import BatchStore
from scenarios.core.spec import load_scenario

N = 10
SEED = 11
SCENARIO = """
name = "batch-test-flood"
title_zh = "批量测试：短时洪水"
title_en = "Batch test: short flood"

[hazards.flood]
return_period_years = 100.0
peak_h = 3.0
engine = "fill"

[[hazards.flood.breaches]]
dike = "xijiao-dike"
time_h = 1.0
width_m = 150.0

[simulation]
duration_h = 5.0
step_s = 900.0

[uncertain."hazards.flood.return_period_years"]
dist = "return_period"
min_years = 20
max_years = 200

[uncertain."hazards.flood.breaches.0.width_m"]
dist = "uniform"
low = 50
high = 300

[uncertain."resources.team_share"]
dist = "triangular"
low = 0.5
mode = 0.9
high = 1.0

# an id the district does not know: the runs that draw it fail inside the runner
[uncertain."resources.unavailable"]
dist = "subset"
values = ["no-such-base"]
p = 0.35
"""
IGNORED = ("seconds", "finished_at", "worker")


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("batch") / "batch-test-flood.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def canon(store: Path) -> list[tuple]:
    """Every stored row without its timings and worker address."""
    db = sqlite3.connect(store)
    db.row_factory = sqlite3.Row
    # sqlite3.Row iterates its values, so the column names come from keys()
    rows = [tuple((k, r[k]) for k in r.keys() if k not in IGNORED)  # noqa: SIM118
            for r in db.execute("SELECT * FROM runs ORDER BY run_index, plan")]
    db.close()
    return rows


@pytest.fixture(scope="module")
def reference(scenario_file, tmp_path_factory) -> Path:
    """An uninterrupted batch on a LocalCluster with one worker."""
    store = tmp_path_factory.mktemp("ref") / "ref.sqlite"
    summary = run_batch(load_scenario(scenario_file), runs=N, store=store, seed=SEED, workers=1)
    assert summary.stored == N and summary.recorded == N
    assert summary.scheduler.startswith("tls://127.0.0.1:")  # the private LocalCluster: loopback and TLS
    return store


def test_reference_has_ok_and_failed_runs(reference):
    rows = BatchStore(reference, create=False).rows()
    assert [r["run_index"] for r in rows] == list(range(N))
    failed = [r for r in rows if r["status"] == "failed"]
    ok = [r for r in rows if r["status"] == "ok"]
    # runs that drew the unknown id failed with the runner's message, and kept their seed and inputs
    assert failed and ok
    for r in rows:
        bad = "no-such-base" in r["inputs"]["resources.unavailable"]
        assert (r["status"] == "failed") == bad
    for r in failed:
        assert "InputError" in r["error"] and "no-such-base" in r["error"]
        assert r["seed"] > 0 and r["kpis"] is None
    for r in ok:
        assert r["kpis"]["indicators"] and r["relief_within_target"] is not None
        assert r["worker"].startswith("tls://127.0.0.1:")


def test_seeds_and_inputs_come_from_run_index(reference, scenario_file):
    sc = load_scenario(scenario_file)
    for r in BatchStore(reference, create=False).rows():
        inputs, seed = run_inputs(sc, SEED, r["run_index"])
        assert r["seed"] == seed
        assert r["inputs"] == json.loads(json.dumps(inputs))


def test_resume_refuses_another_batch(reference, scenario_file, tmp_path):
    sc = load_scenario(scenario_file)
    with pytest.raises(InputError, match="--resume"):
        run_batch(sc, runs=N, store=reference, seed=SEED, workers=1)
    with pytest.raises(InputError, match="batch seed is 11, not 12"):
        run_batch(sc, runs=N, store=reference, seed=SEED + 1, workers=1, resume=True)
    other = load_scenario("flood-50y")
    with pytest.raises(InputError, match="different text"):
        run_batch(other, runs=N, store=reference, seed=SEED, resume=True)


def test_nothing_missing_means_no_cluster(reference, scenario_file, tmp_path):
    copy = tmp_path / "copy.sqlite"
    src = sqlite3.connect(reference)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()
    summary = run_batch(load_scenario(scenario_file), runs=N, store=copy, seed=SEED, resume=True)
    assert summary.submitted == 0 and summary.stored == N and summary.workers == 0


def test_replay_rebuilds_the_run(reference):
    from scenarios.core.runner import run_scenario

    row = next(r for r in BatchStore(reference, create=False).rows() if r["status"] == "ok")
    sc, plan, seed = load_replay(reference, row["run_index"])
    assert plan == "existing" and seed == row["seed"]
    assert sc.hazards.flood.return_period_years == pytest.approx(row["inputs"]["hazards.flood.return_period_years"])
    run = run_scenario(sc, plan=plan, seed=seed)
    again = {k["indicator"]: k["value"] for k in run.kpis}
    stored = {k["indicator"]: k["value"] for k in row["kpis"]["indicators"]}
    assert again == stored


def test_cli_replay_reproduces_a_stored_run(reference, tmp_path):
    row = next(r for r in BatchStore(reference, create=False).rows() if r["status"] == "ok")
    out = subprocess.run(_cli("run", "--replay", f"{reference}:{row['run_index']}", "--json"),
                         capture_output=True, text=True, env=_env(), timeout=300)
    assert out.returncode == 0, out.stderr
    got = {k["indicator"]: k["value"] for k in json.loads(out.stdout)["indicators"]}
    stored = {k["indicator"]: k["value"] for k in row["kpis"]["indicators"]}
    assert got == stored
    bad = subprocess.run(_cli("run", "flood-50y", "--replay", f"{reference}:0"), capture_output=True, text=True,
                         env=_env(), timeout=300)
    assert bad.returncode == 2 and "--replay" in bad.stderr and "Traceback" not in bad.stderr
    missing = subprocess.run(_cli("run", "--replay", str(tmp_path / "none.sqlite:3")), capture_output=True,
                             text=True, env=_env(), timeout=300)
    assert missing.returncode == 2 and "no batch store" in missing.stderr


# --------------------------------------------------------------------------- separate processes
def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1]) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "scenarios.cli", *args]


def _stored(store: Path) -> int:
    try:
        db = sqlite3.connect(store, timeout=5)
        n = db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        db.close()
        return int(n)
    except sqlite3.OperationalError:  # not created yet
        return 0


def _wait(cond, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _stop(proc: subprocess.Popen) -> None:
    """End a process this test started, and its children, by pid."""
    if proc.poll() is not None:
        return
    try:
        kids = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        kids = []
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
    for k in kids:
        try:
            k.kill()
        except psutil.NoSuchProcess:
            pass


@contextmanager
def _remote_cluster(tmp_path: Path, workers: int, tls: dict[str, Path] | None = None) -> Iterator[str]:
    """A Dask scheduler and ``workers`` worker processes started as ``dask scheduler`` and
    ``dask worker`` would be on a cluster (on loopback); yields the scheduler's address. With
    ``tls`` (PEM files ``ca``, ``cert``, ``key``) both require TLS with certificates the CA signed."""
    sched_file = tmp_path / "scheduler.json"
    tls_args = [] if tls is None else ["--tls-ca-file", str(tls["ca"]), "--tls-cert", str(tls["cert"]),
                                       "--tls-key", str(tls["key"])]
    sched = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                              "--port", "0", "--no-dashboard", "--scheduler-file", str(sched_file), *tls_args,
                              *(["--protocol", "tls"] if tls else [])],
                             env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    try:
        _wait(sched_file.exists, 60, "the scheduler file")
        _wait(lambda: "address" in sched_file.read_text() if sched_file.stat().st_size else False, 30, "the address")
        address = json.loads(sched_file.read_text())["address"]
        if workers:
            worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file",
                                       str(sched_file), "--nthreads", "1", "--nworkers", str(workers),
                                       "--no-dashboard", "--host", "127.0.0.1", *tls_args],
                                      env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        yield address
    finally:
        if worker is not None:
            _stop(worker)
        _stop(sched)


def _pem_files(folder: Path, security) -> dict[str, Path]:
    """A distributed.Security's CA, certificate and key written as PEM files, as an operator hands them out."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"ca": folder / "ca.pem", "cert": folder / "cert.pem", "key": folder / "key.pem"}
    files["ca"].write_text(security.tls_ca_file)
    files["cert"].write_text(security.tls_client_cert)
    files["key"].write_text(security.tls_client_key)
    return files


@pytest.mark.slow  # separate processes: 30-40 s on a loaded 2-core machine
def test_scheduler_and_worker_as_separate_processes(reference, scenario_file, tmp_path):
    with _remote_cluster(tmp_path, workers=2) as address:
        assert address.startswith("tcp://127.0.0.1:")
        store = tmp_path / "remote.sqlite"
        res = subprocess.run(_cli("batch", str(scenario_file), "--runs", str(N), "--seed", str(SEED), "--scheduler",
                                  address, "--store", str(store), "--json"),
                             env=_env(), capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr
        summary = json.loads(res.stdout)
        assert summary["scheduler"] == address and summary["workers"] == 2
        assert canon(store) == canon(reference)


def test_a_tls_scheduler_takes_only_its_certificates(reference, scenario_file, tmp_path):
    """A remote cluster that requires TLS: the batch with the cluster's CA and a client certificate
    stores what the local reference stored; without certificates, or with another CA's, the CLI
    says so in one line (exit 2) and leaves no store behind."""
    from distributed import Security

    certs = _pem_files(tmp_path / "cluster", Security.temporary())
    strangers = _pem_files(tmp_path / "stranger", Security.temporary())
    runs = 3
    with _remote_cluster(tmp_path, workers=1, tls=certs) as address:
        assert address.startswith("tls://127.0.0.1:")
        store = tmp_path / "tls.sqlite"
        base = ["batch", str(scenario_file), "--runs", str(runs), "--seed", str(SEED), "--scheduler", address]
        res = subprocess.run(_cli(*base, "--tls-ca", str(certs["ca"]), "--tls-cert", str(certs["cert"]),
                                  "--tls-key", str(certs["key"]), "--store", str(store), "--json"),
                             env=_env(), capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr
        assert json.loads(res.stdout)["scheduler"] == address
        assert canon(store) == canon(reference)[:runs]
        for extra, says in [([], "needs --tls-ca and --tls-cert"),
                            (["--tls-ca", str(strangers["ca"]), "--tls-cert", str(strangers["cert"]),
                              "--tls-key", str(strangers["key"])], "cannot connect")]:
            other = tmp_path / "refused.sqlite"
            res = subprocess.run(_cli(*base, *extra, "--store", str(other)), env=_env(), capture_output=True,
                                 text=True, timeout=120)
            lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
            assert res.returncode == 2 and len(lines) == 1 and says in lines[0], res.stderr
            assert lines[0].startswith("yingji: error:") and not other.exists()


def test_tls_options_are_checked(tmp_path):
    """--tls-* only with a tls:// scheduler, and only PEM files that exist."""
    from scenarios.batch.cluster import remote_security

    pem = tmp_path / "ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    not_pem = tmp_path / "ca.txt"
    not_pem.write_text("hello")
    assert remote_security(None) is None and remote_security("tcp://10.0.0.1:8786") is None
    for args, says in [((None, pem), "TLS needs a tls://HOST:PORT scheduler; a local cluster"),
                       (("tcp://10.0.0.1:8786", pem, pem), "--tls-ca, --tls-cert: TLS needs a tls://"),
                       (("tls://10.0.0.1:8786",), "needs --tls-ca and --tls-cert"),
                       (("tls://10.0.0.1:8786", pem), "needs --tls-cert"),
                       (("tls://10.0.0.1:8786", tmp_path / "missing.pem", pem), "--tls-ca"),
                       (("tls://10.0.0.1:8786", pem, not_pem), "--tls-cert"),
                       (("tls://10.0.0.1:8786", pem, tmp_path), "--tls-cert")]:
        with pytest.raises(InputError, match=re.escape(says)):
            remote_security(*args)
    sec = remote_security("tls://10.0.0.1:8786", pem, pem)
    assert sec.require_encryption and sec.tls_client_key == str(pem)   # the certificate file holds the key


def _tls_talks(host: str, port: int, security) -> bool:
    """Whether a TLS client (with ``security``'s certificate, or none) gets a byte back from the
    scheduler after sending it something: the server refuses the handshake otherwise."""
    import socket
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if security is not None:
        folder = Path(tempfile.mkdtemp())
        files = _pem_files(folder, security)
        ctx.load_cert_chain(files["cert"], files["key"])
    try:
        with socket.create_connection((host, port), timeout=5) as raw, ctx.wrap_socket(raw) as s:
            s.sendall(b"\x00" * 64)
            return bool(s.recv(16))
    except (ssl.SSLError, OSError):
        return False


def test_the_local_cluster_is_private(tmp_path):
    """The local cluster speaks TLS with certificates only this process holds: a client without
    them, or with another CA's, cannot connect."""
    from distributed import Security

    from scenarios.batch.cluster import close, connect

    client, cluster = connect(1, None)
    try:
        address = cluster.scheduler_address
        assert address.startswith("tls://127.0.0.1:")
        assert client.submit(sum, [1, 2], pure=False).result(timeout=60) == 3
        host, port = address.removeprefix("tls://").rsplit(":", 1)
        stranger = Security.temporary()
        for cert in (None, stranger):        # no client certificate, or one another CA signed
            assert not _tls_talks(host, int(port), cert), cert
    finally:
        close(client, cluster)


def _worker_pids(client_pid: int) -> list[int]:
    """Worker processes a LocalCluster spawned under the batch client."""
    try:
        kids = psutil.Process(client_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [k.pid for k in kids if "spawn_main" in " ".join(k.cmdline()) and "resource_tracker" not in " ".join(k.cmdline())]


@pytest.mark.slow  # separate processes: 30-40 s on a loaded 2-core machine
def test_killed_worker_is_survived(reference, scenario_file, tmp_path):
    store = tmp_path / "killworker.sqlite"
    proc = subprocess.Popen(_cli("batch", str(scenario_file), "--runs", str(N), "--seed", str(SEED), "--workers", "2",
                                 "--store", str(store), "--quiet"), env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait(lambda: len(_worker_pids(proc.pid)) == 2, 120, "two workers")
        # kill one worker once runs are under way but before the batch is done
        _wait(lambda: _stored(store) >= 1 or proc.poll() is not None, 120, "the first stored run")
        assert proc.poll() is None and _stored(store) < N, "the batch ended before a worker could be killed"
        victim = _worker_pids(proc.pid)[0]
        os.kill(victim, signal.SIGKILL)
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert not psutil.pid_exists(victim) or psutil.Process(victim).status() == psutil.STATUS_ZOMBIE
    finally:
        _stop(proc)
    assert canon(store) == canon(reference)


@pytest.mark.slow  # separate processes: 30-40 s on a loaded 2-core machine
def test_ctrl_c_then_resume(reference, scenario_file, tmp_path):
    store = tmp_path / "ctrlc.sqlite"
    # a shell without job control starts background jobs with SIGINT ignored, and children
    # inherit that: give the client the default handling a terminal's Ctrl-C meets
    proc = subprocess.Popen(_cli("batch", str(scenario_file), "--runs", str(N), "--seed", str(SEED), "--workers", "1",
                                 "--store", str(store), "--quiet"), env=_env(),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait(lambda: _stored(store) >= 1 or proc.poll() is not None, 120, "the first stored run")
        assert proc.poll() is None and _stored(store) < N, "the batch ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        _stop(proc)
    assert proc.returncode == 130, err
    assert "--resume" in err
    partial = _stored(store)
    assert 1 <= partial <= N
    db = sqlite3.connect(store)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    summary = run_batch(load_scenario(scenario_file), runs=N, store=store, seed=SEED, workers=1, resume=True)
    assert summary.recorded == N - partial and summary.duplicates == 0
    assert canon(store) == canon(reference)


@pytest.mark.slow  # separate processes: 30-40 s on a loaded 2-core machine
def test_killed_client_then_resume(reference, scenario_file, tmp_path):
    store = tmp_path / "crash.sqlite"
    # its own session, so the kill takes the client and the workers it spawned, like a crash
    proc = subprocess.Popen(_cli("batch", str(scenario_file), "--runs", str(N), "--seed", str(SEED), "--workers", "2",
                                 "--store", str(store), "--quiet"), env=_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: _stored(store) >= 1 or proc.poll() is not None, 120, "the first stored run")
        assert proc.poll() is None and _stored(store) < N, "the batch ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        _stop(proc)
    partial = _stored(store)
    assert 1 <= partial <= N
    # the CLI resumes with the stored seed and run count
    res = subprocess.run(_cli("batch", str(scenario_file), "--workers", "1", "--store", str(store), "--resume", "--json"),
                         env=_env(), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["recorded"] == N - partial and summary["stored"] == N
    assert canon(store) == canon(reference)


# --------------------------------------------------------------------------- the CLI's errors
def test_cli_errors_are_one_line(tmp_path, scenario_file, capsys):
    cases = [
        (["batch", "no-such-scenario", "--runs", "3", "--store", str(tmp_path / "a.sqlite")], "unknown scenario"),
        (["batch", str(scenario_file), "--store", str(tmp_path / "b.sqlite")], "--runs"),
        (["batch", str(scenario_file), "--runs", "2", "--plans", "nope.json", "--store", str(tmp_path / "c.sqlite")],
         "nope.json"),
        (["batch", "report", str(tmp_path / "missing.sqlite")], "no such batch store"),
    ]
    bad = tmp_path / "bad.toml"
    bad.write_text(SCENARIO + '\n[uncertain."simulation.duration_h"]\ndist = "normal"\nmean = 3\n', encoding="utf-8")
    cases.append((["batch", str(bad), "--runs", "2", "--store", str(tmp_path / "d.sqlite")],
                  'uncertain."simulation.duration_h".sd'))
    cases.append((["batch", str(scenario_file), "--runs", "2", "--workers", "0", "--store", str(tmp_path / "e.sqlite")],
                  "--workers"))
    cases.append((["batch", str(scenario_file), "--runs", "2", "--scheduler", "127.0.0.1:8786",
                   "--store", str(tmp_path / "f.sqlite")], "tcp://HOST:PORT"))
    from scenarios.cli import main

    for args, text in cases:
        code = main(args)
        err = capsys.readouterr().err
        assert code == 2, (args, err)
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("yingji: error:") and text in lines[0], (args, err)


def test_two_workers_two_plans(reference, scenario_file, tmp_path):
    """Two workers store exactly what one worker stored (ignoring timings). Common random
    numbers: every plan of a run gets the same inputs and seed, so the same plan given twice
    (built in and as a file) gives the same KPIs run by run, and the paired differences in the
    report are exactly zero."""
    from network.district import load_district
    from network.plan import Plan
    from scenarios.batch.report import load_batch, summarise

    plan_file = Plan.existing(load_district()).to_json(tmp_path / "same-as-existing.json")
    store = tmp_path / "plans.sqlite"
    summary = run_batch(load_scenario(scenario_file), runs=N, store=store, seed=SEED, workers=2, max_in_flight=3,
                        plans=["existing", str(plan_file)])
    assert summary.stored == 2 * N and summary.workers == 2
    assert [r for r in canon(store) if dict(r)["plan"] == "existing"] == canon(reference)
    rows = BatchStore(store, create=False).rows()
    by = {}
    for r in rows:
        by.setdefault(r["run_index"], []).append(r)
    for a, b in by.values():
        assert a["inputs"] == b["inputs"] and a["seed"] == b["seed"] and a["status"] == b["status"]
        if a["status"] == "ok":
            assert a["kpis"]["metrics"] == b["kpis"]["metrics"]
    ok_pairs = sum(1 for a, _ in by.values() if a["status"] == "ok")
    paired = summarise(load_batch(store))["paired"]
    share = next(p for p in paired if p["metric"] == "relief_within_target")
    assert share["n"] == ok_pairs
    if ok_pairs:
        assert share["mean"] == 0.0


def _answers_http(port: int) -> bool:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.settimeout(2)
        s.sendall(b"GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n")
        try:
            return s.recv(16).startswith(b"HTTP/")
        except (TimeoutError, ConnectionError):
            return False


def test_the_local_cluster_serves_no_http(scenario_file, tmp_path, capfd):
    """A local batch opens only Dask's own comm ports on loopback: no dashboard on 8787, no
    scheduler or worker HTTP pages; and the HTTP bytes sent to its ports end in the TLS
    handshake, not as tracebacks in the batch's stderr."""
    seen: list[tuple[str, int]] = []
    http: list[int] = []

    def probe(_state):
        me = psutil.Process()
        workers = me.children(recursive=True)
        if seen or not workers:          # once, while the cluster is up (its worker process exists)
            return
        for p in [me, *workers]:
            for c in p.net_connections(kind="tcp"):
                if c.status == psutil.CONN_LISTEN:
                    seen.append((c.laddr.ip, c.laddr.port))
        http.extend(port for _, port in seen if _answers_http(port))

    run_batch(load_scenario(scenario_file), runs=3, store=tmp_path / "s.sqlite", seed=SEED, workers=1, progress=probe)
    assert seen and all(ip == "127.0.0.1" for ip, _ in seen)
    assert 8787 not in {port for _, port in seen} and http == []
    assert "Traceback" not in capfd.readouterr().err


def test_a_batch_runs_on_a_client_you_hold_and_leaves_it_open(reference, scenario_file, tmp_path):
    """A notebook's own Dask client: the batch stores what the reference stored, and the client
    is still usable afterwards; a client with workers or a scheduler is refused."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        store = tmp_path / "client.sqlite"
        summary = run_batch(load_scenario(scenario_file), runs=3, store=store, seed=SEED, client=client)
        assert summary.scheduler == cluster.scheduler_address and canon(store) == canon(reference)[:3]
        assert client.submit(sum, [1, 2], pure=False).result(timeout=60) == 3       # still open
        with pytest.raises(InputError, match="brings its own cluster"):
            run_batch(load_scenario(scenario_file), runs=3, store=tmp_path / "x.sqlite", seed=SEED, client=client,
                      workers=2)
