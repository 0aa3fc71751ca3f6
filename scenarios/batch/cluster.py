"""The Dask cluster a batch or a sizing search runs on.

Either a LocalCluster of worker processes that only this process can use: bound to 127.0.0.1,
spoken to over mutual TLS with a certificate authority made for it and held in memory (another
local user's process cannot submit work or read results; raw bytes sent to its ports end in the
TLS handshake), with no HTTP server at all. Or a running scheduler given by address: plain
``tcp://`` on a trusted network, or ``tls://`` with a CA, a client certificate and its key
(Dask's :class:`distributed.Security`), so that only holders of a certificate the cluster's CA
signed can use it -- the shared secret of a remote cluster.
"""
from __future__ import annotations

import logging
import os
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from distributed import Client, LocalCluster, Security

from network.errors import InputError, YingjiError

#: address schemes a remote scheduler may use
SCHEMES = ("tcp://", "tls://", "ucx://", "inproc://")


def check_cluster(workers: int | None, scheduler: str | None, client: Client | None = None) -> None:
    """Refuse worker counts and scheduler addresses that cannot make a cluster, or that come
    with a ready client (which brings its own cluster): InputError."""
    if client is not None and (workers or scheduler):
        raise InputError("a Dask client brings its own cluster: give it without workers or a scheduler")
    if scheduler and workers:
        raise InputError("--workers and --scheduler exclude each other (a remote cluster has its own workers)")
    if workers is not None and workers < 1:
        raise InputError(f"--workers: expected a positive number of worker processes, found {workers}")
    if scheduler and not str(scheduler).startswith(SCHEMES):
        raise InputError(f"--scheduler: expected an address such as tcp://HOST:PORT, found {scheduler!r}")


def _pem_file(option: str, path: Path | None) -> str | None:
    """``path`` as a string once it is a readable PEM file (InputError naming ``option`` if not)."""
    if path is None:
        return None
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{option} {p}: no such file" if not p.exists() else f"{option} {p}: not a file")
    try:
        head = p.open("rb").read(4096)
    except OSError as exc:
        raise InputError(f"{option} {p}: cannot be read ({exc.strerror or exc})") from None
    if b"-----BEGIN " not in head:
        raise InputError(f"{option} {p}: not a PEM file (expected a '-----BEGIN ...' block)")
    return str(p)


def remote_security(scheduler: str | None, ca: Path | None = None, cert: Path | None = None,
                    key: Path | None = None) -> Security | None:
    """The TLS settings for a remote ``scheduler`` from the ``--tls-*`` options.

    A ``tls://`` scheduler needs the cluster's CA certificate and a client certificate it signed
    (with its key, unless the certificate file holds it too); a ``tcp://`` scheduler takes none.

    Parameters
    ----------
    scheduler
        The ``--scheduler`` address, or None for a local cluster.
    ca, cert, key
        PEM files: the CA that signed the scheduler's and workers' certificates, this client's
        certificate, and its private key.

    Returns
    -------
    distributed.Security or None
        Settings that require encryption, or None for a plain ``tcp://`` scheduler.

    Raises
    ------
    InputError
        A TLS option without a ``tls://`` scheduler, a ``tls://`` scheduler without the CA or the
        client certificate, or a file that is missing or not PEM.
    """
    given = {o: v for o, v in (("--tls-ca", ca), ("--tls-cert", cert), ("--tls-key", key)) if v is not None}
    tls = bool(scheduler) and str(scheduler).startswith("tls://")
    if given and not tls:
        where = f"--scheduler {scheduler}" if scheduler else "a local cluster (no --scheduler)"
        raise InputError(f"{', '.join(given)}: TLS needs a tls://HOST:PORT scheduler; {where} does not use it "
                         "(a local cluster makes its own certificates)")
    if not tls:
        return None
    missing = [o for o, v in (("--tls-ca", ca), ("--tls-cert", cert)) if v is None]
    if missing:
        raise InputError(f"--scheduler {scheduler}: a tls:// scheduler needs {' and '.join(missing)} "
                         "(the cluster's CA certificate and a client certificate it signed, PEM)")
    cert_s = _pem_file("--tls-cert", cert)
    return Security(require_encryption=True, tls_ca_file=_pem_file("--tls-ca", ca), tls_client_cert=cert_s,
                    tls_client_key=_pem_file("--tls-key", key) or cert_s)


def connect(workers: int | None, scheduler: str | None,
            security: Security | None = None) -> tuple[Client, LocalCluster | None]:
    """A Dask client: to ``scheduler`` if given (with ``security``), else to a private LocalCluster
    (see the module docstring). Returns the client and the cluster this call started, if any.

    Raises
    ------
    YingjiError
        The scheduler cannot be reached, or refuses the TLS handshake (one line saying which).
    """
    if scheduler:
        try:
            return Client(scheduler, timeout="20s", security=security), None
        except (OSError, TimeoutError, ValueError, TypeError, ssl.SSLError) as exc:
            raise YingjiError(f"--scheduler {scheduler}: cannot connect ({_why(exc)})") from None
    n = workers or max(1, (os.cpu_count() or 1))
    private = Security.temporary()     # a fresh CA in memory: only this process holds a client certificate
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1", protocol="tls://",
                           security=private, dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster, security=private)
    _no_http(client, cluster)
    return client, cluster


def _why(exc: BaseException) -> str:
    """What a failed connection says, with a hint where Dask's own words are about TLS."""
    text = str(exc) or type(exc).__name__
    if "TLS" in text or "ssl" in text.lower() or "certificate" in text.lower():
        return f"{text}; check --tls-ca, --tls-cert and --tls-key against the cluster's certificates"
    return text


async def _stop_worker_http(dask_worker: Any) -> None:
    dask_worker.http_server.stop()


def _no_http(client: Client, cluster: LocalCluster) -> None:
    """Close the HTTP servers a LocalCluster opens even without a dashboard (the scheduler's on
    8787 and one per worker: health and metrics pages). A batch needs none, and every open port
    on the machine is one more thing that answers strangers. Stopped in their own event loops."""
    async def stop_scheduler_http() -> None:
        cluster.scheduler.http_server.stop()

    cluster.sync(stop_scheduler_http)
    client.run(_stop_worker_http)


@contextmanager
def cluster_client(workers: int | None, scheduler: str | None, security: Security | None = None,
                   client: Client | None = None) -> Iterator[Client]:
    """A client for the block: the caller's own ``client`` (left open: it is theirs, as in a
    notebook), or one :func:`connect` makes and closes afterwards."""
    if client is not None:
        yield client
        return
    made, cluster = connect(workers, scheduler, security)
    try:
        yield made
    finally:
        close(made, cluster)


def close(client: Client, cluster: LocalCluster | None) -> None:
    """Close the client, then the LocalCluster if :func:`connect` started one."""
    try:
        client.close(timeout=10)
    finally:
        if cluster is not None:
            cluster.close(timeout=10)
