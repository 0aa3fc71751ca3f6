"""Issue 19: property-based fuzzing of the files the ``yingji`` command line reads.

Seeds are valid inputs from the project itself: the built-in scenarios (shortened to a couple of
simulated hours, floods on the quick ``fill`` engine), a plan JSON, an MSEL written by
``yingji drill``, an OSM extract, OSMnx and yingji GraphML, an ESRI ASCII DEM under a file-network
scenario, and CVRPLIB and OR-Library instances. Hypothesis mutates them (truncation, flipped,
inserted and deleted bytes, a hostile value put in one key, field or cell, dropped and duplicated
lines and keys, foreign lines added) and every command on the result must:

* exit with status 0 or 2 (2: a readable error),
* print no traceback and no ``internal error`` (an engine bug),
* not die of a signal (a few cases run in a subprocess; the rest run in-process for speed, under a
  watchdog that turns a command that does not return into a failure),
* leave no output half-written: after exit 2 an ``--out`` folder (or file) is as it was before
  (absent, empty, or the earlier yingji output, unchanged), and no ``.yingji-*`` scratch folder
  is left beside it.

The default run draws a few derandomized examples per property (the same ones every run); the
``slow``-marked twins draw many more: ``pytest -m slow tests/test_fuzz.py``.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from scenarios.cli.main import main

from .cli_checks import write_file_network

TEST_DATA = Path(__file__).resolve().parent / "data"

# ------------------------------------------------------------------------------------ settings
_COMMON = dict(deadline=None, derandomize=True, database=None, print_blob=False,
               suppress_health_check=list(HealthCheck))
#: the default suite: a handful of examples per property, the same ones every run
FAST = settings(max_examples=10, **_COMMON)
#: ``-m slow``: the long runs of the same properties; YINGJI_FUZZ_EXPLORE=1 draws new examples on
#: each run instead of the same ones (to look further; a failure then prints the example to keep)
SLOW = settings(max_examples=150, **{**_COMMON, "derandomize": os.environ.get("YINGJI_FUZZ_EXPLORE") != "1"})
#: an in-process command that has not returned after this many seconds is a failure
WATCHDOG_S = 120.0


# ----------------------------------------------------------------------------- running the CLI
class _NoExit(BaseException):
    """Raised by the watchdog inside a command that did not return in time (a BaseException, so
    the CLI's own ``except Exception`` cannot swallow it)."""


@dataclass
class Outcome:
    """One CLI invocation: exit status (None when it did not exit), streams, time, and what went
    wrong beyond the status (an exception that escaped ``main``, a signal, no exit in time)."""

    args: list[str]
    code: int | None
    out: str
    err: str
    seconds: float
    crash: str | None = None


def _watchdog(signum, frame):
    raise _NoExit()


def cli(*args: str | Path, timeout: float = WATCHDOG_S) -> Outcome:
    """``yingji ARGS`` in this process, stdout and stderr captured, under a watchdog."""
    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _watchdog)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    t0 = time.perf_counter()
    code, crash = None, None
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    except _NoExit:
        crash = f"no exit after {timeout:.0f} s"
    except BaseException:  # noqa: BLE001 - anything that escapes main() is a finding
        crash = "escaped main():\n" + traceback.format_exc()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return Outcome(argv, code, out.getvalue(), err.getvalue(), time.perf_counter() - t0, crash)


def cli_subprocess(*args: str | Path, cwd: Path, timeout: float = 300.0) -> Outcome:
    """``python -m scenarios.cli ARGS`` in a child process: the one way to see a signal."""
    argv = [str(a) for a in args]
    env = {k: v for k, v in os.environ.items() if k != "YINGJI_DEBUG"}
    t0 = time.perf_counter()
    try:
        p = subprocess.run([sys.executable, "-m", "scenarios.cli", *argv], cwd=cwd, env=env, capture_output=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        return Outcome(argv, None, (exc.stdout or b"").decode("utf-8", "replace"),
                       (exc.stderr or b"").decode("utf-8", "replace"), time.perf_counter() - t0,
                       f"no exit after {timeout:.0f} s")
    crash = None
    if p.returncode < 0:
        crash = f"killed by signal {signal.Signals(-p.returncode).name}"
    return Outcome(argv, p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"),
                   time.perf_counter() - t0, crash)


def _excerpt(mutated: bytes, seed: bytes | None) -> str:
    """Where ``mutated`` first differs from ``seed``: a short repr to read in a failure."""
    if seed is None:
        return repr(mutated[:300])
    i = next((k for k, (a, b) in enumerate(zip(mutated, seed)) if a != b), min(len(mutated), len(seed)))
    return (f"{len(seed)} -> {len(mutated)} bytes; first difference at byte {i}: "
            f"{mutated[max(0, i - 80):i + 160]!r}")


#: bugs the fuzzing found and not yet fixed, each with a strict-xfail reproducer (``test_known_bug_*``;
#: the fixed ones are ``test_found_*`` below): name ->
#: the one line the CLI prints for it. A property that may meet one passes ``known=(name, ...)``: the
#: example is counted (``--hypothesis-show-statistics``) instead of failing, so the property goes on
#: looking for other bugs. Remove an entry once its reproducer passes.
KNOWN_BUGS: dict[str, str] = {}


def expect_clean(o: Outcome, *inputs: tuple[Path, bytes | None], known: tuple[str, ...] = ()) -> None:
    """Exit 0 or 2, no traceback, no internal error, no signal, no hang; the message names the
    command and, for each mutated input (path, seed bytes), where it was changed. A failure that
    is one of the ``known`` bugs is counted, not raised."""
    if currently_in_test_context():
        event(f"{' '.join(a for a in o.args[:3] if not a.startswith('/'))}: exit {o.code}")
    problems = []
    if o.crash:
        problems.append(o.crash)
    elif o.code not in (0, 2):
        problems.append(f"exit status {o.code}")
    for stream, text in (("stderr", o.err), ("stdout", o.out)):
        if "Traceback" in text:
            problems.append(f"a traceback on {stream}")
    if "internal error" in o.err:
        problems.append("'internal error' on stderr")
    if problems and not o.crash and o.code == 1:
        for name in known:
            if re.search(KNOWN_BUGS[name], o.err) and currently_in_test_context():
                event(f"known bug: {name}")
                return
    if problems:
        where = "\n".join(f"  {p} ({_excerpt(p.read_bytes(), seed)})" for p, seed in inputs if p.is_file())
        raise AssertionError(f"yingji {' '.join(o.args)}: {'; '.join(problems)} (exit {o.code}, {o.seconds:.1f} s)\n"
                             f"inputs:\n{where}\nstderr tail:\n{o.err[-3000:]}")


# ------------------------------------------------------------------------------------- mutations
class Lit(bytes):
    """A hostile value; its repr stays short in Hypothesis' reports (some are 100 kB)."""

    def __repr__(self) -> str:
        return bytes.__repr__(self) if len(self) <= 60 else f"{bytes.__repr__(self[:40])}...<{len(self)} bytes>"


class Cell(str):
    """A hostile spreadsheet cell, with a short repr."""

    def __repr__(self) -> str:
        return str.__repr__(self) if len(self) <= 60 else f"{str.__repr__(self[:40])}...<{len(self)} chars>"


#: hostile TOML values for one key (the right-hand side of ``key = ...``)
TOML_VALUES = [
    b"-1", b"0", b"-0.0", b"0.5", b"1e300", b"-1e300", b"1e400", b"inf", b"-inf", b"nan",
    b"9223372036854775808", b"-9223372036854775809", b"340282366920938463463374607431768211456", b"true", b"false",
    b'""', b'" "', b'"\\u0000"', b'"\\u0007"', b'"<script>alert(1)</script>"',
    b'"=HYPERLINK(\\"http://example.invalid\\",\\"x\\")"', b'"[red]x[/red]"', b'"\\u202eevil"',
    b'"../../../../etc/passwd"', b'"/dev/zero"', b'"/dev/stdin"', b'"/"', b'"."', b'"%s%n{0}"',
    b'"' + b"x" * 100_000 + b'"', b'"' + "长".encode() * 30_000 + b'"',
    b"[]", b"{}", b"[1, 2, 3]", b'["a", 1, 1.5, true]', b"{a = 1}", b'{site = "x", time_h = -1}',
    b"[" * 40 + b"]" * 40, b"[" * 5000 + b"]" * 5000,
    b"1979-05-27T07:32:00Z", b"1979-05-27", b"07:32:00",
]
#: whole lines (and small tables) a scenario does not have, put in at a line boundary
TOML_LINES = [
    b"params = {boat_types = 5}", b"seed = 9223372036854775808", b'relief_standard = "/dev/zero"',
    b'unavailable = ["district-rescue-team", "no-such-base"]', b'open_shelters = ["no-such-site"]',
    b"team_share = 1e-300", b"[targets]\nrelief_within_h = nan",
    b'[resources]\nunavailable = ["district-rescue-team", "xijiao-fire-station", "jingcheng-fire-station", '
    b'"forest-fire-brigade"]',
    b'[uncertain."hazards.chemical.rate_kg_s"]\ndist = "uniform"\nlow = 1.0\nhigh = 0.5',
    b'[uncertain."simulation.duration_h"]\ndist = "normal"\nmean = 1\nsd = -1',
    b'[network]\nsource = "/dev/zero"', b'[network]\nsource = "builtin"\ndem = "nope.asc"',
    b'[plan]\nkind = "file"\nfile = "/etc/passwd"', b'[plan]\nkind = "file"\nfile = "."',
    b'name = "[bold red]x[/]"', b'title_en = "<script>alert(1)</script>"',
    b'title_zh = "=HYPERLINK(\\"http://example.invalid\\",\\"x\\")"',
    b"location = [1e300, -1e300]", b"location = [117.1, 29.2]", b'site = "no-such-site"',
    b'substance = "unobtainium"', b"mass_kg = 1e300", b'[[hazards.fire.ignitions]]\nsite = "no-such-site"\ntime_h = -1',
    b"[[hazards.flood.breaches]]\ntime_h = 0.5\nwidth_m = 1e300",
]
#: hostile JSON values for one member or item
JSON_VALUES = [
    b"-1", b"0", b"-0", b"0.5", b"1e300", b"-1e300", b"1e400", b"Infinity", b"-Infinity", b"NaN",
    b"123456789012345678901234567890", b"true", b"false", b"null", b'""', b'"\\u0000"', b'"\\u0007"', b'"\\ud800"',
    b'"<script>alert(1)</script>"', b'"=HYPERLINK(\\"http://example.invalid\\",\\"x\\")"', b'"[red]x[/red]"',
    b'"/dev/zero"', b'"' + b"x" * 100_000 + b'"', b"[]", b"{}", b'[1, "a", null]', b'{"a": {"b": []}}',
    b"[" * 40 + b"]" * 40, b"[" * 100_000 + b"]" * 100_000,
]
#: hostile whitespace-separated tokens (ESRI ASCII, CVRPLIB, OR-Library)
TOKENS = [
    b"-1", b"0", b"1", b"0.5", b"-0", b"nan", b"NaN", b"inf", b"-inf", b"1e308", b"1e999", b"-1e999", b"1e-320",
    b"-9999", b"2147483648", b"9223372036854775808", b"99999999999999999999999", b"1000000000", b"abc", b"EOF",
    b"\x00", b"", b"0x10", b"1_000", b"\xe9",
]
#: hostile XML attribute values and element texts (already escaped for XML)
XML_VALUES = [
    b"", b"nan", b"NaN", b"inf", b"-inf", b"1e300", b"-1e300", b"-1", b"0", b"99999999999999999999",
    b"-9223372036854775809", b"abc", b"&lt;script&gt;alert(1)&lt;/script&gt;", b"&#x0;", b"&#7;", b"&amp;&amp;",
    b"&undefined;", b"180.0000001", b"-90.5", b"91", b"x" * 20_000, b"True", b"[1, 2]", b"POINT (0 0)",
    b"LINESTRING (nan nan, 1 1)", b"LINESTRING (1e300 1e300, 0 0)", b"{'a': 1}",
]
#: hostile spreadsheet cells (msel.csv and msel.xlsx)
CELLS = [
    "", " ", "=HYPERLINK(\"http://example.invalid\",\"x\")", "=1+1", "+cmd|' /C calc'!A0", "-1", "@SUM(A1)",
    "T+99:99", "T-01:00", "T+00:00", "T+9999999999:00", "T+00:60", "T+1e300:00", "<script>alert(1)</script>",
    "\x00", "\x07", "x" * 50_000, "nan", "inf", "1e300", "I001", "endex", "startex", "[red]x[/red]",
    "team:no-such-team", "township:nowhere", "facility:chlor-alkali-plant; facility:chlor-alkali-plant",
]
TOML_VALUES, TOML_LINES, JSON_VALUES, TOKENS, XML_VALUES = (
    [Lit(v) for v in vs] for vs in (TOML_VALUES, TOML_LINES, JSON_VALUES, TOKENS, XML_VALUES))
CELLS = [Cell(v) for v in CELLS]
#: bytes put in at a random place
INSERTS = [b"\x00", b"\xff\xfe", b"\n", b"\r", b'"', b"'", b"[", b"{", b"<", b"&", b"\xe4\xb8", b"]]]", b"\\",
           b"\t", b"=", b":", b",", b"#"]

POS = st.integers(0, 2**20)

_BYTE_OPS = [
    st.tuples(st.just("truncate"), POS),
    st.tuples(st.just("flip"), POS, st.integers(0, 7)),
    st.tuples(st.just("insert"), POS, st.sampled_from(INSERTS) | st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), POS, st.integers(1, 64)),
]
_LINE_OPS = [st.tuples(st.just("drop"), POS), st.tuples(st.just("dup"), POS)]


def _value(values):
    return st.tuples(st.just("value"), POS, st.sampled_from(values))


#: per kind of file, what may be done to it (a structure-aware op is listed more than once to be drawn more often)
OPS = {
    "toml": _BYTE_OPS + _LINE_OPS + [_value(TOML_VALUES)] * 4 + [st.tuples(st.just("line"), POS, st.sampled_from(TOML_LINES))] * 2,
    "json": _BYTE_OPS + _LINE_OPS + [_value(JSON_VALUES)]
    + [st.tuples(st.just("json"), POS, st.sampled_from(JSON_VALUES))] * 3 + [st.tuples(st.just("json-drop"), POS)],
    "csv": _BYTE_OPS + _LINE_OPS + [st.tuples(st.just("cell"), POS, POS, st.sampled_from(CELLS))] * 4,
    "xlsx": _BYTE_OPS[:2] + [st.tuples(st.just("xlsx"), POS, POS, POS, st.sampled_from(CELLS)
                                       | st.sampled_from([None, -1, 0, 1e300, float("nan"), True])
                                       | st.datetimes())] * 5 + [st.tuples(st.just("xlsx-drop"), POS)],
    "xml": _BYTE_OPS + _LINE_OPS + [st.tuples(st.just("xml"), POS, st.sampled_from(XML_VALUES))] * 4,
    "text": _BYTE_OPS + _LINE_OPS + [st.tuples(st.just("token"), POS, st.sampled_from(TOKENS))] * 4,
    "binary": _BYTE_OPS,
}


def ops(kind: str, max_size: int = 3):
    """One to ``max_size`` mutations of a ``kind`` file."""
    return st.lists(st.one_of(*OPS[kind]), min_size=1, max_size=max_size)


_KEY_VALUE = re.compile(rb'^(\s*(?:"[^"\n]*"|[A-Za-z0-9_.\-]+)\s*[=:]\s*)(\S.*?)(,?)\s*$')
_XML_VALUE = re.compile(rb'="([^"]*)"|>([^<]+)<')
_SENTINEL = "\u0001fuzz\u0001"


def _pick(seq, k):
    return seq[k % len(seq)] if seq else None


def _json_paths(obj, path=()):
    yield path
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _json_paths(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _json_paths(v, (*path, i))


def _apply(data: bytes, op: tuple) -> bytes:
    """``data`` with one mutation applied (a structural one that finds nothing to change is a no-op)."""
    kind, k = op[0], op[1]
    n = len(data)
    if kind == "truncate":
        return data[: k % (n + 1)]
    if kind == "flip":
        return data if not n else data[: k % n] + bytes([data[k % n] ^ (1 << op[2])]) + data[k % n + 1:]
    if kind == "insert":
        return data[: k % (n + 1)] + op[2] + data[k % (n + 1):]
    if kind == "delete":
        return data[: k % (n + 1)] + data[k % (n + 1) + op[2]:]
    lines = data.split(b"\n")
    if kind in ("drop", "dup"):
        i = _pick([i for i, line in enumerate(lines) if line.strip()], k)
        if i is None:
            return data
        lines[i:i + 1] = [] if kind == "drop" else [lines[i], lines[i]]
        return b"\n".join(lines)
    if kind == "line":
        i = k % (len(lines) + 1)
        return b"\n".join([*lines[:i], op[2], *lines[i:]])
    if kind == "value":
        i = _pick([i for i, line in enumerate(lines)
                   if (m := _KEY_VALUE.match(line)) and m.group(2) not in (b"[", b"{")], k)
        if i is None:
            return data
        m = _KEY_VALUE.match(lines[i])
        lines[i] = m.group(1) + op[2] + m.group(3)
        return b"\n".join(lines)
    if kind == "token":
        m = _pick(list(re.finditer(rb"\S+", data)), k)
        return data if m is None else data[:m.start()] + op[2] + data[m.end():]
    if kind == "xml":
        m = _pick(list(_XML_VALUE.finditer(data)), k)
        if m is None:
            return data
        g = 1 if m.group(1) is not None else 2
        return data[:m.start(g)] + op[2] + data[m.end(g):]
    if kind in ("json", "json-drop"):
        try:
            doc = json.loads(data)
        except (ValueError, RecursionError):
            return data
        path = _pick([p for p in _json_paths(doc) if p], k)
        if path is None:
            return data
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if kind == "json-drop":
            del parent[path[-1]]
            return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8", "surrogatepass")
        parent[path[-1]] = _SENTINEL
        text = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8", "surrogatepass")
        return text.replace(json.dumps(_SENTINEL).encode(), op[2], 1)
    if kind == "cell":
        bom = data.startswith(b"\xef\xbb\xbf")
        try:
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        except (UnicodeDecodeError, csv.Error):
            return data
        if not rows:
            return data
        row = rows[k % len(rows)]
        if not row:
            return data
        row[op[2] % len(row)] = op[3]
        buf = io.StringIO(newline="")
        csv.writer(buf).writerows(rows)
        return (b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8")
    if kind in ("xlsx", "xlsx-drop"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data))
        except Exception:  # noqa: BLE001 - an earlier mutation broke the workbook: nothing to edit
            return data
        ws = wb.worksheets[k % len(wb.worksheets)]
        if kind == "xlsx-drop":
            if len(wb.worksheets) < 2:
                return data
            wb.remove(ws)
            if all(w.sheet_state != "visible" for w in wb.worksheets):
                wb.worksheets[0].sheet_state = "visible"   # a workbook shows a sheet; Excel opens no other kind
        else:
            try:
                ws.cell(row=1 + op[2] % (ws.max_row + 1), column=1 + op[3] % (ws.max_column + 1), value=op[4])
            except Exception:  # noqa: BLE001 - openpyxl refuses some values (control characters): no-op
                return data
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    raise ValueError(op)


def mutate(data: bytes, operations: list[tuple]) -> bytes:
    for op in operations:
        data = _apply(data, op)
    return data


# ------------------------------------------------------------------------------------------ seeds
def short_scenario(name: str) -> str:
    """A built-in scenario over a couple of simulated hours (the breach scenario until just after
    its breach), floods on the quick ``fill`` engine: each run takes a second or two."""
    from scenarios.core.spec import builtin_text

    text = builtin_text(name)
    hours = 31.0 if "[[hazards.flood.breaches]]" in text else 2.0  # the breach opens at 30 h
    text = re.sub(r"(?m)^duration_h = .*$", f"duration_h = {hours}", text)
    text = re.sub(r'(?m)^engine = "2d"', 'engine = "fill"', text)
    if "[hazards.flood]\n" in text and 'engine = "fill"' not in text:
        text = text.replace("[hazards.flood]\n", '[hazards.flood]\nengine = "fill"\n', 1)
    return text


def _file_network(folder: Path) -> Path:
    """A file-network scenario on the small Bavarian OSM extract (see ``write_file_network``)."""
    return write_file_network(folder, TEST_DATA / "osm" / "planet_10.068_48.135_10.071_48.137.osm", plan_name="fuzz",
                              duration_h=1, osm_name="net.osm")


class Seeds(SimpleNamespace):
    """The seed files (bytes) and folders; a short repr for Hypothesis' failure reports."""

    def __repr__(self) -> str:
        return "<fuzz seeds>"


class SeedFiles(dict):
    """name -> seed bytes, with a short repr."""

    def __repr__(self) -> str:
        return f"<seed files {sorted(self)}>"


def _ok(o: Outcome) -> Outcome:
    assert o.code == 0 and not o.crash, f"seed command failed: yingji {' '.join(o.args)}\n{o.crash}\n{o.err[-2000:]}"
    return o


@pytest.fixture(scope="module")
def seeds(tmp_path_factory, district):
    """Every seed file, valid as it is, and a folder for the cases."""
    from network.plan import Plan
    from scenarios.core.spec import library_names

    root = tmp_path_factory.mktemp("fuzz-seeds")
    scen = {name: short_scenario(name).encode("utf-8") for name in library_names()}
    Plan.existing(district).to_json(root / "plan.json")
    filenet = _file_network(root / "filenet")
    _ok(cli("network", "export", "--format", "graphml", "--source", filenet.parent / "net.osm",
            "--out", root / "yingji.graphml"))
    with open(TEST_DATA / "orlib" / "pmed" / "pmed1.txt", "rb") as fh:
        pmed = fh.read()
    return Seeds(
        root=root, cases=tmp_path_factory.mktemp("fuzz-cases"), scenarios=scen, filenet=filenet.parent,
        plan=(root / "plan.json").read_bytes(), short_chlorine=scen["chlorine-night"],
        network=SeedFiles({"net.osm": (filenet.parent / "net.osm").read_bytes(),
                 "helsinki.graphml": (TEST_DATA / "osm" / "helsinki-crop_drive_osmnx.graphml").read_bytes(),
                 "yingji.graphml": (root / "yingji.graphml").read_bytes()}),
        compressed={"West-Oakland.osm.bz2": (TEST_DATA / "osm" / "West-Oakland.osm.bz2").read_bytes(),
                    "aguascalientes.osm.pbf": (TEST_DATA / "osm" / "aguascalientes.osm.pbf").read_bytes()},
        reference={"A-n32-k5.vrp": (TEST_DATA / "cvrplib" / "A-n32-k5.vrp").read_bytes(), "pmed1.txt": pmed,
                   "pmedcap01.txt": (TEST_DATA / "orlib" / "pmedcap" / "pmedcap01.txt").read_bytes()},
    )


@pytest.fixture(scope="module")
def msel_seed(tmp_path_factory):
    """msel.csv, msel.xlsx and msel.json as ``yingji drill chlorine-night`` writes them."""
    out = tmp_path_factory.mktemp("fuzz-msel") / "drill"
    _ok(cli("drill", "chlorine-night", "--out", out, "--quiet"))
    return SeedFiles({name: (out / name).read_bytes() for name in ("msel.csv", "msel.xlsx", "msel.json")})


@pytest.fixture(scope="module")
def optimized_plan(tmp_path_factory):
    """A plan with additions, as ``yingji optimize plan`` writes it (a few seconds)."""
    out = tmp_path_factory.mktemp("fuzz-opt") / "opt"
    _ok(cli("optimize", "plan", "--out", out, "--time-limit", "5", "--engine", "fill", "--json"))
    return SeedFiles({"plan.json": (out / "plan.json").read_bytes()})


@pytest.fixture(autouse=True, scope="module")
def _no_debug():
    """YINGJI_DEBUG=1 would let errors out as tracebacks; the properties are about the user's view."""
    saved = os.environ.pop("YINGJI_DEBUG", None)
    yield
    if saved is not None:
        os.environ["YINGJI_DEBUG"] = saved


@contextlib.contextmanager
def case(seeds):
    """A fresh folder for one example; removed when the example passes, kept to inspect when it fails."""
    d = Path(tempfile.mkdtemp(prefix="case-", dir=seeds.cases))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _would_be_slow(data: bytes) -> bool:
    """A mutated scenario that would legitimately run for minutes: a flood on the 2-D engine (no
    longer ``fill``) or an optimised plan. Those examples are not run (they are not errors)."""
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return False
    hazards = doc.get("hazards")
    flood = hazards.get("flood") if isinstance(hazards, dict) else None
    plan = doc.get("plan")
    return ((isinstance(flood, dict) and flood.get("engine", "2d") != "fill")
            or (isinstance(plan, dict) and plan.get("kind") in ("optimized", "optimised")))


# ------------------------------------------------------------------------------- out-folder checks
PRIOR_STATES = ["absent", "absent", "empty", "yingji-output", "foreign"]


def _prepare_out(out: Path, state: str) -> dict[str, bytes] | None:
    """Put ``out`` in ``state`` before a command; returns its snapshot (None: absent)."""
    if state == "empty":
        out.mkdir()
    elif state == "yingji-output":
        out.mkdir()
        (out / ".yingji-output").write_text("written by yingji; the next run to this folder replaces it\n")
        (out / "old-report.txt").write_text("an earlier run\n")
    elif state == "foreign":
        out.mkdir()
        (out / "thesis.docx").write_text("not yingji's\n")
    return _snapshot(out)


def _snapshot(out: Path) -> dict[str, bytes] | None:
    if not out.exists():
        return None
    if not out.is_dir():
        return {"": out.read_bytes()}
    return {str(p.relative_to(out)): (p.read_bytes() if p.is_file() else b"<dir>") for p in sorted(out.rglob("*"))}


def expect_out_intact(o: Outcome, out: Path, before: dict[str, bytes] | None, state: str) -> None:
    """No scratch folder beside ``out``; after a failure ``out`` is as it was, after success it is
    a whole yingji output (the earlier one replaced, a foreign folder never touched)."""
    left = sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".yingji-"))
    assert not left, f"yingji {' '.join(o.args)} (exit {o.code}): scratch left beside --out: {left}"
    after = _snapshot(out)
    if o.code != 0:
        assert after == before, (f"yingji {' '.join(o.args)} exited {o.code} but changed --out "
                                 f"({state}): before {sorted(before or [])}, after {sorted(after or [])}\n{o.err[-2000:]}")
    else:
        assert state != "foreign", f"yingji {' '.join(o.args)} wrote into a folder it did not write before"
        assert after is not None and ".yingji-output" in after and "old-report.txt" not in after, (
            f"yingji {' '.join(o.args)} exited 0 but --out is not one whole output: {sorted(after or [])}")


# ==================================================================================== properties
def test_seeds_run_as_they_are(seeds, msel_seed):
    """The seeds are valid: the mutations start from inputs that reach deep into the engine."""
    for name, text in seeds.scenarios.items():
        with case(seeds) as d:
            p = d / f"{name}.toml"
            p.write_bytes(text)
            o = _ok(cli("run", p, "--quiet"))
            assert o.seconds < 60, f"{name}: the short seed took {o.seconds:.0f} s"
    _ok(cli("run", seeds.filenet / "s.toml", "--quiet"))
    with case(seeds) as d:
        (d / "s.toml").write_bytes(seeds.short_chlorine)
        (d / "plan.json").write_bytes(seeds.plan)
        _ok(cli("run", d / "s.toml", "--plan", d / "plan.json", "--quiet"))
        for name, data in msel_seed.items():
            (d / name).write_bytes(data)
            _ok(cli("drill", "check", d / name))


# --- scenario TOML: scenarios show, run
SCENARIO_NAMES = st.sampled_from(["chlorine-night"] * 3 + ["compound-flood-chemical", "fireworks-explosion",
                                                          "flood-100y-breach", "flood-50y", "forest-fire-north"])


def _scenario_case(seeds, name, operations, *, run: bool):
    seed = seeds.scenarios[name]
    data = mutate(seed, operations)
    with case(seeds) as d:
        p = d / f"{name}.toml"
        p.write_bytes(data)
        o = cli("scenarios", "show", p)
        expect_clean(o, (p, seed))
        if o.code == 0:
            assert o.out == data.decode("utf-8"), "scenarios show printed something else than the file"
        if run and not _would_be_slow(data):
            expect_clean(cli("run", p, "--quiet"), (p, seed))


@FAST
@given(name=SCENARIO_NAMES, operations=ops("toml"))
def test_fuzzed_scenario_show_and_run(seeds, name, operations):
    _scenario_case(seeds, name, operations, run=True)


@pytest.mark.slow
@SLOW
@given(name=SCENARIO_NAMES, operations=ops("toml", 4))
def test_fuzzed_scenario_show_and_run_long(seeds, name, operations):
    _scenario_case(seeds, name, operations, run=True)


@pytest.mark.slow
@settings(SLOW, max_examples=1000)
@given(name=SCENARIO_NAMES, operations=ops("toml", 5))
def test_fuzzed_scenario_show_many(seeds, name, operations):
    """Only ``scenarios show`` (parse and validate): cheap, so many examples."""
    _scenario_case(seeds, name, operations, run=False)


# --- run --out: nothing half-written
def _out_case(seeds, name, operations, state, command="run"):
    seed = seeds.scenarios[name]
    data = mutate(seed, operations)
    if _would_be_slow(data):
        return
    with case(seeds) as d:
        p = d / f"{name}.toml"
        p.write_bytes(data)
        out = d / "parent" / "out"
        out.parent.mkdir()
        before = _prepare_out(out, state)
        o = cli(command, p, "--out", out, "--quiet")
        expect_clean(o, (p, seed))
        expect_out_intact(o, out, before, state)


@FAST
@given(operations=ops("toml"), state=st.sampled_from(PRIOR_STATES))
def test_fuzzed_scenario_run_out_is_all_or_nothing(seeds, operations, state):
    _out_case(seeds, "chlorine-night", operations, state)


@pytest.mark.slow
@settings(SLOW, max_examples=40)
@given(name=SCENARIO_NAMES, operations=ops("toml"), state=st.sampled_from(PRIOR_STATES),
       command=st.sampled_from(["run", "run", "drill"]))
def test_fuzzed_scenario_run_out_is_all_or_nothing_long(seeds, name, operations, state, command):
    _out_case(seeds, name, operations, state, command)


# --- plan JSON: run SCENARIO --plan FILE
PLAN_BUGS: tuple[str, ...] = ()
def _plan_case(seeds, seed, operations, scenario: bytes | None):
    data = mutate(seed, operations)
    with case(seeds) as d:
        if scenario is None:  # the file-network scenario and its own files
            for f in seeds.filenet.iterdir():
                shutil.copyfile(f, d / f.name)
        else:
            (d / "s.toml").write_bytes(scenario)
        plan = d / "fuzzed-plan.json"
        plan.write_bytes(data)
        expect_clean(cli("run", d / "s.toml", "--plan", plan, "--quiet"), (plan, seed), known=PLAN_BUGS)


@FAST
@given(network=st.sampled_from(["district", "district", "file"]), operations=ops("json"))
def test_fuzzed_plan(seeds, network, operations):
    if network == "district":
        _plan_case(seeds, seeds.plan, operations, seeds.short_chlorine)
    else:
        _plan_case(seeds, (seeds.filenet / "plan.json").read_bytes(), operations, None)


@pytest.mark.slow
@SLOW
@given(which=st.sampled_from(["existing", "optimized", "optimized", "file"]), operations=ops("json", 4))
def test_fuzzed_plan_long(seeds, optimized_plan, which, operations):
    if which == "file":
        _plan_case(seeds, (seeds.filenet / "plan.json").read_bytes(), operations, None)
    else:
        _plan_case(seeds, seeds.plan if which == "existing" else optimized_plan["plan.json"], operations, seeds.short_chlorine)


# --- file network: the scenario, its OSM roads, its DEM and its plan, all under one run
FILENET_FILES = {"s.toml": "toml", "net.osm": "xml", "dem.asc": "text", "plan.json": "json"}


@st.composite
def filenet_mutation(draw, max_size=3):
    target = draw(st.sampled_from(["dem.asc", "dem.asc", "s.toml", "net.osm", "plan.json"]))
    return target, draw(ops(FILENET_FILES[target], max_size))


def _filenet_case(seeds, mutation):
    target, operations = mutation
    seed = (seeds.filenet / target).read_bytes()
    with case(seeds) as d:
        for f in seeds.filenet.iterdir():
            shutil.copyfile(f, d / f.name)
        (d / target).write_bytes(mutate(seed, operations))
        expect_clean(cli("run", d / "s.toml", "--quiet"), (d / target, seed),
                     known=PLAN_BUGS if target == "plan.json" else ())


@FAST
@given(mutation=filenet_mutation())
def test_fuzzed_file_network_with_dem(seeds, mutation):
    _filenet_case(seeds, mutation)


@pytest.mark.slow
@SLOW
@given(mutation=filenet_mutation(4))
def test_fuzzed_file_network_with_dem_long(seeds, mutation):
    _filenet_case(seeds, mutation)


# --- MSEL: drill check
MSEL_BUGS: tuple[str, ...] = ()
MSEL_KIND = {"msel.csv": "csv", "msel.xlsx": "xlsx", "msel.json": "json"}


@st.composite
def msel_mutation(draw, max_size=3):
    """(file to check, whether the original msel.json lies beside it, which file is mutated, ops)."""
    checked = draw(st.sampled_from(sorted(MSEL_KIND)))
    beside = checked == "msel.json" or draw(st.booleans())
    target = checked if not beside or checked == "msel.json" else draw(st.sampled_from([checked, checked, "msel.json"]))
    return checked, beside, target, draw(ops(MSEL_KIND[target], max_size))


def _msel_case(seeds, msel_seed, mutation):
    checked, beside, target, operations = mutation
    with case(seeds) as d:
        for name in {checked} | ({"msel.json"} if beside else set()):
            (d / name).write_bytes(msel_seed[name])
        (d / target).write_bytes(mutate(msel_seed[target], operations))
        o = cli("drill", "check", d / checked, "--json")
        expect_clean(o, (d / target, msel_seed[target]), known=MSEL_BUGS)
        if o.code == 0 or o.out.strip():
            json.loads(o.out)  # --json: one object on stdout, problems or none


@FAST
@given(mutation=msel_mutation())
def test_fuzzed_msel_check(seeds, msel_seed, mutation):
    _msel_case(seeds, msel_seed, mutation)


@pytest.mark.slow
@SLOW
@given(mutation=msel_mutation(4))
def test_fuzzed_msel_check_long(seeds, msel_seed, mutation):
    _msel_case(seeds, msel_seed, mutation)


# --- network files: network info, network export
@st.composite
def network_mutation(draw, max_size=3):
    name = draw(st.sampled_from(["net.osm", "helsinki.graphml", "yingji.graphml"]))
    return name, draw(ops("xml", max_size))


def _network_case(seeds, mutation, fmt):
    name, operations = mutation
    seed = seeds.network[name]
    with case(seeds) as d:
        src = d / "src" / name
        src.parent.mkdir()
        src.write_bytes(mutate(seed, operations))
        o = cli("network", "info", "--source", src, "--json")
        expect_clean(o, (src, seed))
        if o.code == 0:
            json.loads(o.out)
        out = d / "out" / f"net.{fmt}"
        out.parent.mkdir()
        o = cli("network", "export", "--format", fmt, "--source", src, "--out", out)
        expect_clean(o, (src, seed))
        left = sorted(p.name for p in out.parent.iterdir())
        assert left == ([out.name] if o.code == 0 else []), f"yingji {' '.join(o.args)} (exit {o.code}) left {left}"


@FAST
@given(mutation=network_mutation(), fmt=st.sampled_from(["graphml", "geojson", "gpkg"]))
def test_fuzzed_network_file(seeds, mutation, fmt):
    _network_case(seeds, mutation, fmt)


@pytest.mark.slow
@SLOW
@given(mutation=network_mutation(4), fmt=st.sampled_from(["graphml", "geojson", "gpkg"]))
def test_fuzzed_network_file_long(seeds, mutation, fmt):
    _network_case(seeds, mutation, fmt)


# --- reference instances: optimize cvrp, optimize orlib pmedian|pcenter, optimize pmedcap
REFERENCE_COMMANDS = {
    "A-n32-k5.vrp": [["optimize", "cvrp"]],
    "pmed1.txt": [["optimize", "orlib", "pmedian"], ["optimize", "orlib", "pcenter"]],
    "pmedcap01.txt": [["optimize", "pmedcap"]],
}


@st.composite
def reference_mutation(draw, max_size=3):
    name = draw(st.sampled_from(sorted(REFERENCE_COMMANDS)))
    command = draw(st.sampled_from(REFERENCE_COMMANDS[name]))
    return name, command, draw(ops("text", max_size))


def _reference_case(seeds, mutation):
    name, command, operations = mutation
    seed = seeds.reference[name]
    with case(seeds) as d:
        p = d / name
        p.write_bytes(mutate(seed, operations))
        o = cli(*command, p, "--time-limit", "2", "--json")
        expect_clean(o, (p, seed))
        if o.code == 0:
            json.loads(o.out)


@FAST
@given(mutation=reference_mutation())
def test_fuzzed_reference_instance(seeds, mutation):
    _reference_case(seeds, mutation)


@pytest.mark.slow
@SLOW
@given(mutation=reference_mutation(4))
def test_fuzzed_reference_instance_long(seeds, mutation):
    _reference_case(seeds, mutation)


# --- in a child process: signals (native readers: pyosmium, expat, the solvers)
@st.composite
def subprocess_case(draw):
    kind = draw(st.sampled_from(["compressed", "compressed", "network", "reference", "scenario"]))
    if kind == "compressed":
        name = draw(st.sampled_from(["West-Oakland.osm.bz2", "aguascalientes.osm.pbf"]))
        return kind, name, draw(ops("binary"))
    if kind == "network":
        name = draw(st.sampled_from(["net.osm", "helsinki.graphml", "yingji.graphml"]))
        return kind, name, draw(ops("xml"))
    if kind == "reference":
        name = draw(st.sampled_from(sorted(REFERENCE_COMMANDS)))
        return kind, name, draw(ops("text"))
    return kind, "chlorine-night.toml", draw(ops("toml"))


def _subprocess_case(seeds, example):
    kind, name, operations = example
    seed = {"compressed": seeds.compressed, "network": seeds.network, "reference": seeds.reference}.get(
        kind, {"chlorine-night.toml": seeds.short_chlorine})[name]
    data = mutate(seed, operations)
    with case(seeds) as d:
        p = d / name
        p.write_bytes(data)
        if kind in ("compressed", "network"):
            args = ["network", "info", "--source", p, "--json"]
        elif kind == "reference":
            args = [*REFERENCE_COMMANDS[name][0], p, "--time-limit", "2", "--json"]
        elif _would_be_slow(data):
            args = ["scenarios", "show", p]
        else:
            args = ["run", p, "--quiet"]
        expect_clean(cli_subprocess(*args, cwd=d), (p, seed))


@settings(FAST, max_examples=4)
@given(example=subprocess_case())
def test_fuzzed_inputs_in_a_child_process(seeds, example):
    _subprocess_case(seeds, example)


@pytest.mark.slow
@settings(SLOW, max_examples=60)
@given(example=subprocess_case())
def test_fuzzed_inputs_in_a_child_process_long(seeds, example):
    _subprocess_case(seeds, example)


# ============================================================= what the fuzzing found, as tests
def expect_refused(o: Outcome) -> None:
    """A hostile input is an input error: exit 2, no internal error, no traceback."""
    assert not o.crash and o.code == 2 and "internal error" not in o.err and "Traceback" not in o.err, (
        f"yingji {' '.join(o.args)}: exit {o.code} {o.crash or ''}\n{o.err[-2000:]}")


def _plan_with(seed: bytes, d: Path, change) -> Path:
    doc = json.loads(seed)
    change(doc)
    p = d / "fuzzed-plan.json"
    p.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return p


@pytest.mark.parametrize("value", [-1, "\u0000", [5], ["ab"]])
def test_found_plan_facility_list_of_another_kind_is_refused(seeds, tmp_path, value):
    """Found by fuzzing (``"team_bases": -1`` or ``"\\u0000"``): TypeError/ValueError in
    network.plan_sites.place_sites, exit 1; fixed in 0bca6f1."""
    (tmp_path / "s.toml").write_bytes(seeds.short_chlorine)
    p = _plan_with(seeds.plan, tmp_path, lambda doc: doc.__setitem__("team_bases", value))
    expect_refused(cli("run", tmp_path / "s.toml", "--plan", p, "--quiet"))


def _reproducer_plan(seeds, tmp_path: Path, network: str) -> bytes:
    """The short scenario and its plan in ``tmp_path``: on the built-in district, or on the OSM
    file network (with its DEM and plan.json); returns the plan's bytes to mutate."""
    if network == "district":
        (tmp_path / "s.toml").write_bytes(seeds.short_chlorine)
        return seeds.plan
    for f in seeds.filenet.iterdir():
        shutil.copyfile(f, tmp_path / f.name)
    return (seeds.filenet / "plan.json").read_bytes()


@pytest.mark.parametrize("network", ["district", "file"])
@pytest.mark.parametrize("mutate", [
    pytest.param(lambda doc: doc["team_bases"][0].__setitem__("node", None), id="node-null"),
    pytest.param(lambda doc: doc["team_bases"][0]["teams"][0].__setitem__("type", []), id="team-type-list"),
])
def test_found_plan_values_of_another_kind_are_refused(seeds, tmp_path, network, mutate):
    """Found by fuzzing: a plan whose team base node is null, or whose team type is a list,
    reached the simulation (TypeError, exit 1); fixed in 78ca5fe."""
    p = _plan_with(_reproducer_plan(seeds, tmp_path, network), tmp_path, mutate)
    expect_refused(cli("run", tmp_path / "s.toml", "--plan", p, "--quiet"))


@pytest.mark.parametrize("network", ["district", "file"])
@pytest.mark.parametrize("capacity", [b"1e400", b"NaN", b"-Infinity", b"1e300", b"-5", b"2.5", b"true"])
def test_found_plan_capacity_that_is_no_count_is_refused(seeds, tmp_path, network, capacity):
    """Found by fuzzing (YINGJI_FUZZ_EXPLORE=1, ``('value', 15, b'1e400')`` on a shelter's
    capacity): JSON reads 1e400 as infinity, OverflowError in the simulation, exit 1. Plan files
    now hold finite numbers only, and a capacity is a whole number of people."""
    seed = _reproducer_plan(seeds, tmp_path, network)
    doc = json.loads(seed)
    doc["shelters"][0]["capacity"] = 0          # a marker to put the raw literal in
    text = json.dumps(doc, ensure_ascii=False).replace('"capacity": 0', '"capacity": ' + capacity.decode(), 1)
    (tmp_path / "bad-plan.json").write_text(text, encoding="utf-8")
    o = cli("run", tmp_path / "s.toml", "--plan", tmp_path / "bad-plan.json", "--quiet")
    expect_refused(o)
    assert "bad-plan.json" in o.err and ("capacity" in o.err or "not valid JSON" in o.err), o.err


def test_found_xlsx_with_a_broken_deflate_stream_is_refused(msel_seed, tmp_path):
    """Found by fuzzing (a flipped byte in msel.xlsx): zlib.error escaped
    scenarios.drill.msel._read_xlsx, exit 1; fixed in 0bca6f1."""
    import zipfile

    data = bytearray(msel_seed["msel.xlsx"])
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = next(i for i in z.infolist() if i.filename == "[Content_Types].xml")
    assert info.compress_type == zipfile.ZIP_DEFLATED
    at = info.header_offset
    name_len = int.from_bytes(data[at + 26:at + 28], "little")
    extra_len = int.from_bytes(data[at + 28:at + 30], "little")
    data[at + 30 + name_len + extra_len] = 0xFF  # BFINAL=1, BTYPE=11: "invalid block type"
    p = tmp_path / "msel.xlsx"
    p.write_bytes(bytes(data))
    expect_refused(cli("drill", "check", p))


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "[Content_Types].xml"])
def test_found_xlsx_with_malformed_xml_is_refused(msel_seed, tmp_path, part):
    """Found by fuzzing: one flipped bit in msel.xlsx's compressed data (``('flip', 4489, 0)``)
    decompressed into malformed XML; here the part is cut in half and zipped again."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(msel_seed["msel.xlsx"])) as z, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            data = z.read(info.filename)
            out.writestr(info.filename, data[: len(data) // 2] if info.filename == part else data)
    p = tmp_path / "msel.xlsx"
    p.write_bytes(buf.getvalue())
    expect_refused(cli("drill", "check", p))


@pytest.mark.parametrize("sidecar", ["[]", '"x"', "[" * 100_000 + "]" * 100_000, "objectives"])
def test_found_msel_json_sidecar_of_another_kind(msel_seed, tmp_path, sidecar):
    """Found by fuzzing: ``drill check msel.csv`` with an msel.json beside it that is not an object
    (AttributeError), nested past the recursion limit (RecursionError), or whose objectives are a
    number (TypeError; also ``drill check msel.json`` itself), exit 1; fixed in 0bca6f1. The check
    runs on (exit 0 or 2), without an internal error."""
    (tmp_path / "msel.csv").write_bytes(msel_seed["msel.csv"])
    if sidecar == "objectives":
        doc = json.loads(msel_seed["msel.json"])
        doc["objectives"] = 5
        sidecar = json.dumps(doc, ensure_ascii=False)
    (tmp_path / "msel.json").write_text(sidecar, encoding="utf-8")
    for checked in ("msel.csv", "msel.json"):
        expect_clean(cli("drill", "check", tmp_path / checked))


@pytest.mark.parametrize("checked", ["msel.csv", "msel.json"])
def test_found_msel_json_unknown_objective(msel_seed, tmp_path, checked):
    """Found by fuzzing (YINGJI_FUZZ_EXPLORE=1): one flipped bit turned "accident_response" into
    "`ccident_response" in the msel.json beside msel.csv (``('flip', 335, 0)``): KeyError in
    ``_table_problems``, exit 1. Now the unknown objective is a problem naming msel.json (exit 2),
    and the known ones are still checked."""
    (tmp_path / "msel.csv").write_bytes(msel_seed["msel.csv"])
    doc = json.loads(msel_seed["msel.json"])
    doc["objectives"] = ["no_such_objective"] + list(doc["objectives"])
    (tmp_path / "msel.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    o = cli("drill", "check", tmp_path / checked)
    expect_clean(o)
    assert o.code == 2
    assert "msel.json: objectives: 'no_such_objective' is not an exercise objective" in o.out + o.err
