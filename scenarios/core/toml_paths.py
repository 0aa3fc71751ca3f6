"""Dotted field paths in scenario TOML: the line a key is written on, setting a value by path,
and pydantic's errors as ``file:line: field: expected ...; found ...`` messages."""
from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import ValidationError

from network.errors import InputError

_SEG = re.compile(r'"([^"]*)"|\'([^\']*)\'|([^.\s]+)')


def split_path(path: str) -> list[str | int]:
    """``hazards.flood.breaches.0.dike`` as keys and list indices (quoted keys may hold dots)."""
    parts: list[str | int] = []
    for m in _SEG.finditer(path):
        s = m.group(1) if m.group(1) is not None else m.group(2) if m.group(2) is not None else m.group(3)
        parts.append(int(s) if s.isdigit() else s)
    return parts


def set_path(data: dict, parts: list[str | int], value: Any, source: str) -> None:
    """Set ``value`` at ``parts`` in nested dicts/lists, creating tables that are missing."""
    if not parts:
        raise InputError(f"{source} (overrides): empty field path")
    cur: Any = data
    for i, key in enumerate(parts[:-1]):
        nxt = cur[key] if isinstance(cur, list) and isinstance(key, int) and key < len(cur) else (
            cur.get(key) if isinstance(cur, dict) else None)
        if nxt is None:
            if not isinstance(cur, dict):
                kind = "list item" if isinstance(cur, list) else "item"
                raise InputError(f"{source} (overrides): {'.'.join(map(str, parts[:i + 1]))}: no such {kind}")
            nxt = cur[key] = {}
        cur = nxt
    last = parts[-1]
    if isinstance(cur, list):
        if not isinstance(last, int) or last >= len(cur):
            raise InputError(f"{source} (overrides): {'.'.join(map(str, parts))}: no such list item")
        cur[last] = copy.deepcopy(value)
    elif isinstance(cur, dict):
        cur[last] = copy.deepcopy(value)
    else:
        raise InputError(f"{source} (overrides): {'.'.join(map(str, parts[:-1]))} is not a table")


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r'^\s*((?:"[^"]*"|\'[^\']*\'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|\'[^\']*\'|[A-Za-z0-9_\-]+))*)\s*=')


def toml_line(text: str, loc: list[str | int]) -> int | None:
    """Best-effort 1-based line of the key at ``loc`` (pydantic's error location) in TOML text.

    Tracks table headers (with array-of-table indices) and ``key =`` lines; when the exact key
    is not written (a missing field, or an inline table), the line of the longest matching
    prefix is returned: the table that lacks it.
    """
    want = [str(p) for p in loc]
    best, best_len = None, -1
    current: list[str] = []
    counts: dict[tuple[str, ...], int] = {}
    in_multiline = False
    for no, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                in_multiline = False
            continue
        m = _HEADER.match(line)
        if m:
            path = [p for p in split_path(m.group(2))]
            path_s = [str(p) for p in path]
            if m.group(1) == "[[":
                key = tuple(path_s)
                counts[key] = counts.get(key, -1) + 1
                # nested arrays of tables restart their count under a new parent
                for k in [k for k in counts if len(k) > len(key) and k[: len(key)] == key]:
                    del counts[k]
                current = path_s + [str(counts[key])]
            else:
                current = path_s
            full = current
        else:
            k = _KEY.match(line)
            if not k:
                continue
            full = current + [str(p) for p in split_path(k.group(1))]
            rest = line[k.end():]
            if rest.count('"""') % 2 == 1 or rest.count("'''") % 2 == 1:
                in_multiline = True
        n = 0
        while n < min(len(full), len(want)) and full[n] == want[n]:
            n += 1
        if n == len(full) and n > best_len:  # a line whose whole path is a prefix of what we want
            best, best_len = no, n
            if n == len(want):
                return no
    return best


def _describe(err: dict) -> str:
    """One pydantic error as "expected ...; found ..."."""
    found = err.get("input")
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        return f"unknown key (check the spelling; found {found!r})"
    if err["type"] == "missing":
        return "required field is missing"
    if isinstance(found, (dict, list)):
        return f"expected: {msg}"
    return f"expected: {msg}; found {found!r}"


def format_scenario_error(exc: ValidationError, source: str, text: str) -> str:
    """One line per problem: ``FILE:LINE: FIELD: expected ...; found ...``."""
    lines = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        field = ".".join(str(p) for p in loc) or "(top level)"
        line = toml_line(text, loc) if text else None
        where = f"{source}:{line}" if line else source
        lines.append(f"{where}: {field}: {_describe(err).replace('Value error, ', '')}")
    return "\n".join(lines)


