"""Cache files: one way to write and read the arrays the engine keeps between runs.

The generated district (:mod:`network.district`) and the 2-D flood records
(:mod:`sim.hazards.flood.two_d`) are stored as ``.npz`` files under ``$YINGJI_CACHE``. A cache
file is only a shortcut: whatever is wrong with one, reading it is a miss, never an error,
and the caller regenerates and rewrites it.

Format
------
An entry is an ordinary ``.npz`` (zip of ``.npy`` members, no pickles) holding the caller's
arrays plus one extra member, :data:`HEADER_MEMBER` (``__yingji_cache__``): a ``uint8`` array
of UTF-8 JSON::

    {"format": 1, "kind": "district", "sha256": "<64 hex>",
     "arrays": {"name": ["<dtype.str>", [shape...]], ...}, "info": {...}}

* ``format`` is :data:`CACHE_FORMAT`; an entry of another format (or an older file without a
  header) is a stale entry: a silent miss, deleted so that it is rewritten.
* ``kind`` names what the entry is for (``"district"``, ``"flood2d"``); another kind is a miss.
* ``sha256`` is :func:`content_hash` of the arrays and ``info``: for each array in name order,
  a JSON line ``[name, dtype.str, shape]`` and the array's C-order bytes, then the canonical JSON
  of ``info``. Truncation, bit flips and edits that keep the zip valid all change it.
* ``info`` is a small JSON object the caller stores beside its arrays (e.g. run statistics).

Writing goes to a temporary file in the same folder, is flushed and ``fsync``'d, then renamed
over the entry (``os.replace``, atomic on POSIX and Windows): a reader sees the old entry or the
new one, never half of one.

Reading (:func:`read_entry`) returns None when the file is missing, empty, truncated, not a
zip, of another format or kind, or when its hash does not match; a damaged file is deleted
(one line on stderr says so) so that the next write replaces it. A hash only proves that the
file is the one some writer wrote, not that its contents make sense: callers check shapes,
ranges and dtypes of what they get (see :func:`network.district._check_district_arrays`) and
call :func:`discard` when the check fails.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

#: bump when the layout of cache entries (header, hash) changes; other versions are misses
CACHE_FORMAT = 1
#: the npz member that holds the entry's JSON header
HEADER_MEMBER = "__yingji_cache__"
#: the largest header accepted (bytes of JSON)
_MAX_HEADER_BYTES = 1 << 20


@dataclass(frozen=True)
class CacheEntry:
    """What :func:`read_entry` returns for a sound entry.

    Attributes
    ----------
    arrays
        The stored arrays by name (fresh, writeable arrays, not views of the file).
    info
        The JSON object stored with them (``{}`` when none was).
    """

    arrays: dict[str, np.ndarray]
    info: dict[str, Any] = field(default_factory=dict)


def content_hash(arrays: Mapping[str, np.ndarray], info: Mapping[str, Any] | None = None) -> str:
    """SHA-256 (hex) of named arrays (names, dtypes, shapes and bytes) and a JSON ``info`` object.

    Parameters
    ----------
    arrays
        The arrays by name.
    info
        JSON-serialisable metadata covered by the same hash.

    Returns
    -------
    str
        64 hex digits.
    """
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(json.dumps([name, a.dtype.str, list(a.shape)]).encode() + b"\n")
        h.update(a.tobytes())
    h.update(_canonical_json(info or {}).encode())
    return h.hexdigest()


def _canonical_json(obj: Any) -> str:
    """``obj`` as JSON with sorted keys and no spaces (numpy scalars and arrays as numbers and lists)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=_plain)


def _plain(obj: Any) -> Any:
    """A numpy scalar or array as the Python number or list JSON can hold."""
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.tolist()
    raise TypeError(f"cache entry info: {type(obj).__name__} is not JSON-serialisable")


def write_entry(path: Path, arrays: Mapping[str, np.ndarray], *, kind: str,
                info: Mapping[str, Any] | None = None) -> None:
    """Write a cache entry atomically: temporary file in the same folder, fsync, rename.

    Parameters
    ----------
    path
        The entry's file (``.npz``); its folder is created when missing.
    arrays
        The arrays by name (numeric or string dtypes; object arrays are refused).
    kind
        What the entry is for; :func:`read_entry` must be asked for the same kind.
    info
        A small JSON-serialisable object stored (and hashed) with the arrays.

    Raises
    ------
    OSError
        When the folder or file cannot be written (the temporary file is removed).
    ValueError
        For an array name that clashes with the header, an object array, or an ``info`` whose
        JSON passes 1 MiB.
    TypeError
        When ``info`` holds something JSON cannot (numpy scalars and arrays are converted).
    """
    path = Path(path)
    arrays = {k: np.ascontiguousarray(a) for k, a in arrays.items()}
    if HEADER_MEMBER in arrays:
        raise ValueError(f"cache entry: array name {HEADER_MEMBER!r} is reserved")
    for k, a in arrays.items():
        if a.dtype.hasobject:
            raise ValueError(f"cache entry: array {k!r} has dtype object")
    info = dict(info or {})
    header = {
        "format": CACHE_FORMAT,
        "kind": kind,
        "sha256": content_hash(arrays, info),
        "arrays": {k: [a.dtype.str, list(a.shape)] for k, a in arrays.items()},
        "info": info,
    }
    header_bytes = np.frombuffer(_canonical_json(header).encode(), dtype=np.uint8)
    if header_bytes.size > _MAX_HEADER_BYTES:
        raise ValueError(f"cache entry: header of {header_bytes.size} bytes (info too large)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays, **{HEADER_MEMBER: header_bytes})
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):   # the scratch file may be gone already
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable where the platform allows it (best effort)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):   # some file systems cannot fsync a folder
            os.fsync(fd)
    finally:
        os.close(fd)


class _Miss(Exception):
    """Why an entry was not used; ``damaged`` says whether to tell the user."""

    def __init__(self, reason: str, damaged: bool = True) -> None:
        super().__init__(reason)
        self.damaged = damaged


def read_entry(path: Path, *, kind: str) -> CacheEntry | None:
    """The entry at ``path``, or None (a miss) when there is none that can be trusted.

    Never raises. A missing file is a quiet miss. A file of another :data:`CACHE_FORMAT`
    (or an older, header-less cache file) is a quiet miss and is deleted. A file that is empty,
    truncated, not a zip, of another ``kind``, not laid out as its header says, or whose
    content hash does not match is deleted with one line on stderr.

    Parameters
    ----------
    path
        The entry's file.
    kind
        What the caller expects (as given to :func:`write_entry`).

    Returns
    -------
    CacheEntry or None
        The arrays and info, or None.
    """
    path = Path(path)
    identity = None
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            identity = (st.st_dev, st.st_ino)
            return _read_open(f, st.st_size, kind)
    except _Miss as miss:
        discard(path, str(miss), quiet=not miss.damaged, _identity=identity)
    except Exception as exc:  # noqa: BLE001 - a cache read must never raise: anything else is damage
        if identity is not None:  # not a file that could not be opened (missing: a quiet miss)
            discard(path, f"{type(exc).__name__}: {exc}", _identity=identity)
    return None


def _read_open(f, size: int, kind: str) -> CacheEntry:
    """The entry in the open file ``f``; raises :class:`_Miss` (or anything) when it is not sound."""
    if size == 0:
        raise _Miss("empty file")
    z = np.load(f, allow_pickle=False)
    if not isinstance(z, np.lib.npyio.NpzFile):
        raise _Miss("not an npz archive")
    with z:
        names = set(z.files)
        if HEADER_MEMBER not in names:
            raise _Miss("no cache header (older cache format)", damaged=False)
        dtype, shape = _member_layout(z, HEADER_MEMBER)
        if dtype != np.uint8 or len(shape) != 1 or shape[0] > _MAX_HEADER_BYTES:
            raise _Miss("cache header is not a short byte string")
        header = json.loads(bytes(z[HEADER_MEMBER]).decode("utf-8"))
        if not isinstance(header, dict):
            raise _Miss("cache header is not a JSON object")
        if header.get("format") != CACHE_FORMAT:
            raise _Miss(f"cache format {header.get('format')!r}, not {CACHE_FORMAT}", damaged=False)
        if header.get("kind") != kind:
            raise _Miss(f"cache entry of kind {header.get('kind')!r}, not {kind!r}")
        layout, info, digest = header.get("arrays"), header.get("info", {}), header.get("sha256")
        if not isinstance(layout, dict) or not isinstance(info, dict) or not isinstance(digest, str):
            raise _Miss("cache header lacks its fields")
        if set(layout) != names - {HEADER_MEMBER}:
            raise _Miss("arrays differ from the cache header")
        arrays = {}
        for k in sorted(layout):
            _check_member(z, k, layout[k])
            a = z[k]
            if [a.dtype.str, list(a.shape)] != layout[k] or a.dtype.hasobject:
                raise _Miss(f"array {k!r} differs from the cache header")
            arrays[k] = a
    if content_hash(arrays, info) != digest:
        raise _Miss("content hash does not match")
    return CacheEntry(arrays=arrays, info=info)


def _member_layout(z: np.lib.npyio.NpzFile, name: str) -> tuple[np.dtype, tuple[int, ...]]:
    """The dtype and shape member ``name`` declares, read from its npy header before numpy
    allocates the array; raises :class:`_Miss` when the zip does not hold exactly that many bytes."""
    fmt = np.lib.format
    info = z.zip.getinfo(f"{name}.npy")
    with z.zip.open(info) as m:
        version = fmt.read_magic(m)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(m)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(m)
        else:
            raise _Miss(f"array {name!r}: npy format {version}")
        offset = m.tell()
    if fortran or dtype.hasobject:
        raise _Miss(f"array {name!r}: Fortran order or object dtype")
    if info.file_size - offset != math.prod(shape) * dtype.itemsize:
        raise _Miss(f"array {name!r}: member size does not match its shape")
    return dtype, tuple(shape)


def _check_member(z: np.lib.npyio.NpzFile, name: str, expected: Any) -> None:
    """Raise :class:`_Miss` unless member ``name`` declares the dtype and shape the header gives."""
    dtype, shape = _member_layout(z, name)
    if [dtype.str, list(shape)] != expected:
        raise _Miss(f"array {name!r} differs from the cache header")


def discard(path: Path, reason: str, *, quiet: bool = False, _identity: tuple[int, int] | None = None) -> None:
    """Delete a cache entry that is damaged or stale, so that it is regenerated; never raises.

    Parameters
    ----------
    path
        The entry's file.
    reason
        Why; printed as one line on stderr unless ``quiet``.
    quiet
        Say nothing (a stale entry is expected after an upgrade).
    _identity
        ``(st_dev, st_ino)`` of the file that was read: a file that another process has
        since renamed into place is left alone.
    """
    path = Path(path)
    try:
        if _identity is not None:
            st = os.stat(path)
            if (st.st_dev, st.st_ino) != _identity:
                return
        os.unlink(path)
    except OSError:
        pass  # already gone, or a read-only cache: still a miss
    if not quiet:
        with contextlib.suppress(Exception):  # a closed stderr must not turn a miss into an error
            print(f"yingji: cache file {path} is damaged ({reason}); regenerating it", file=sys.stderr)
