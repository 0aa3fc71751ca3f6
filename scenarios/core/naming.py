"""One way to turn names into ids and file names."""
from __future__ import annotations

import re


def slug(text: str, *, fallback: str = "run") -> str:
    """A lowercase id safe in file names and keys: ASCII letters, digits, ``_`` and ``-``.

    Anything else (spaces, Chinese, path separators, dots) becomes ``-``; at most 60
    characters; ``fallback`` when nothing is left.
    """
    s = re.sub(r"[^a-z0-9_]+", "-", str(text).lower()).strip("-_")
    return s[:60].rstrip("-_") or fallback
