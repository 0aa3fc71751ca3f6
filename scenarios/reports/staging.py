"""Write a command's output folder all at once: files go to a scratch folder beside it and the
finished folder replaces the old one only when everything succeeded, so a failure leaves nothing
half-written and a rerun leaves no stale file from an earlier one. A command that writes one file
(a map, an exported network) writes it the same way through :func:`staged_file`.

Safety: a folder is replaced only if it is empty or yingji wrote it (it holds the marker file
:data:`MARKER`); any other existing folder is refused, so ``--out ~`` never wipes a home folder.
Scratch folders carry the writing process's id; one left by a killed command is removed by the
next command that writes beside it.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from network.errors import InputError

__all__ = ["MARKER", "check_out_dir", "staged_dir", "staged_file"]

#: the file that marks a folder as a yingji output (so a rerun may replace it)
MARKER = ".yingji-output"
_PREFIX = ".yingji-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:      # someone else's process: alive
        return True
    return True


def _clean_leftovers(parent: Path) -> None:
    """Remove scratch and set-aside folders of commands that were killed before they finished."""
    try:
        entries = list(parent.glob(f"{_PREFIX}*-*"))
    except OSError:
        return
    for p in entries:
        pid = p.name[len(_PREFIX):].split("-", 1)[0]
        if not (pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid))):
            continue
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)     # a single file's scratch (staged_file)


def check_out_dir(out_dir: Path, keep: Sequence[str] = ()) -> None:
    """An InputError unless ``out_dir`` is new, empty, a yingji output, or holds only ``keep``
    entries (call it before a long command starts writing there)."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir}: exists and is not a folder")
    if out_dir.is_dir() and not (out_dir / MARKER).is_file() and any(p.name not in keep for p in out_dir.iterdir()):
        raise InputError(f"--out {out_dir}: the folder holds files yingji did not write; choose a new or empty "
                         "folder (yingji replaces its own output folders whole)")


@contextmanager
def staged_dir(out_dir: Path, *, keep: Sequence[str] = ()) -> Iterator[Path]:
    """A scratch folder that becomes ``out_dir`` only when the block succeeds.

    An existing ``out_dir`` is replaced as a whole (no stale files survive), except the entries
    named in ``keep`` (a store a long command resumes from), which move into the new folder.

    Raises
    ------
    InputError
        ``out_dir`` is a file, a folder yingji did not write, or cannot be written (permissions,
        a full disk): one line naming ``--out``.
    """
    out_dir = Path(out_dir)
    check_out_dir(out_dir, keep)
    parent = out_dir.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _clean_leftovers(parent)
        scratch = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=parent))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(scratch, 0o777 & ~umask)  # mkdtemp makes it private; the output folder should not be
        (scratch / MARKER).write_text("written by yingji; the next run to this folder replaces it\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--out {out_dir}: cannot write there ({exc.strerror or exc})") from None
    aside: Path | None = None
    try:
        try:
            yield scratch
        except OSError as exc:
            # the environment, not the input (a full disk, a read-only folder): one line all the same
            raise InputError(f"--out {out_dir}: cannot write the output ({exc.strerror or exc})") from None
        aside = _swap(out_dir, scratch, parent, keep)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)


def _swap(out_dir: Path, scratch: Path, parent: Path, keep: Sequence[str]) -> Path | None:
    """Put the finished ``scratch`` in ``out_dir``'s place; the old folder goes aside (returned, to
    delete) with its ``keep`` entries carried over. On failure the old folder is put back whole."""
    if not out_dir.exists():
        try:
            os.replace(scratch, out_dir)  # one rename: the folder appears complete
        except OSError as exc:
            raise InputError(f"--out {out_dir}: cannot put the output in place ({exc.strerror or exc})") from None
        return None
    aside = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-old-", dir=parent))
    old = aside / "out"
    carried: list[str] = []
    try:
        os.replace(out_dir, old)
        for name in keep:
            if (old / name).exists():
                os.replace(old / name, scratch / name)
                carried.append(name)
        os.replace(scratch, out_dir)
    except OSError as exc:
        for name in carried:                  # undo: the old folder goes back as it was
            os.replace(scratch / name, old / name)
        if old.exists() and not out_dir.exists():
            os.replace(old, out_dir)
        shutil.rmtree(aside, ignore_errors=True)
        raise InputError(f"--out {out_dir}: cannot put the output in place ({exc.strerror or exc})") from None
    return aside


@contextmanager
def staged_file(out: Path) -> Iterator[Path]:
    """A scratch path beside ``out`` (same file ending, so writers that choose the format by it
    work) that replaces ``out`` in one rename only when the block succeeds.

    Raises
    ------
    InputError
        ``out`` is a folder, its folder does not exist, or it cannot be written (permissions, a
        full disk): one line naming ``--out``.
    """
    out = Path(out)
    if out.is_dir():
        raise InputError(f"--out {out}: is a folder; give a file name")
    parent = out.absolute().parent
    if not parent.is_dir():
        raise InputError(f"--out {out}: the folder {parent} does not exist")
    _clean_leftovers(parent)
    scratch = parent / f"{_PREFIX}{os.getpid()}-{time.time_ns()}-{out.name}"
    try:
        try:
            yield scratch
            os.replace(scratch, out)
        except OSError as exc:
            raise InputError(f"--out {out}: cannot write the file ({exc.strerror or exc})") from None
    finally:
        scratch.unlink(missing_ok=True)
