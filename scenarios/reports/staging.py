"""Write a command's output folder all at once: files go to a scratch folder beside it and move in
only when everything succeeded, so a failure leaves nothing half-written."""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from network.errors import InputError

__all__ = ["staged_dir"]


@contextmanager
def staged_dir(out_dir: Path) -> Iterator[Path]:
    """A scratch folder whose files move into ``out_dir`` only when the block succeeds."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir}: exists and is not a folder")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".yingji-", dir=out_dir.parent))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(scratch, 0o777 & ~umask)  # mkdtemp makes it private; the output folder should not be
    except OSError as exc:
        raise InputError(f"--out {out_dir}: cannot write there ({exc.strerror or exc})") from None
    try:
        yield scratch
        if not out_dir.exists():
            os.replace(scratch, out_dir)  # one rename: the folder appears complete
            return
        for item in sorted(scratch.rglob("*"), key=lambda p: len(p.parts)):
            target = out_dir / item.relative_to(scratch)
            if item.is_dir():
                target.mkdir(exist_ok=True)
            else:
                os.replace(item, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
