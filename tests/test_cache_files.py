"""Cache files are not trusted (issue 19, item 4): a missing, empty, truncated, bit-flipped,
stale or crafted cache entry is a miss — the district or flood record is regenerated and a good
entry written — never an exception or a crash in a numba kernel."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from network import cache
from network import district as district_module
from network.cache import HEADER_MEMBER, read_entry, write_entry
from network.district import (
    _NET_FIELDS,
    _cache_path,
    _save,
    generate_district,
    load_district,
)
from network.district_spec import read_district_spec

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- helpers
def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _bitflip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    i = len(data) // 3
    data[i] ^= 0x10
    path.write_bytes(bytes(data))


def _zero(path: Path) -> None:
    path.write_bytes(b"")


def _garbage(path: Path) -> None:
    path.write_bytes(b"not an npz at all" * 10)


def _members(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an entry, header included, read without any check."""
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _header(path: Path) -> dict:
    return json.loads(bytes(_members(path)[HEADER_MEMBER]).decode())


def _rewrite(path: Path, members: dict[str, np.ndarray]) -> None:
    """Write ``members`` as a plain npz (a valid zip) at ``path``, header as given."""
    with open(path, "wb") as f:
        np.savez(f, **members)


def _other_format(path: Path) -> None:
    m = _members(path)
    h = _header(path)
    h["format"] = cache.CACHE_FORMAT + 1
    m[HEADER_MEMBER] = np.frombuffer(json.dumps(h).encode(), np.uint8)
    _rewrite(path, m)


def _legacy(path: Path) -> None:
    """A cache file as written before cache entries had a header."""
    m = _members(path)
    del m[HEADER_MEMBER]
    _rewrite(path, m)


def _edited_array(path: Path) -> None:
    """A valid zip whose arrays no longer match the hash in its header."""
    m = _members(path)
    name = next(k for k in sorted(m) if k != HEADER_MEMBER and m[k].size)
    a = m[name].copy()
    a.reshape(-1).view(np.uint8)[0] ^= 1
    m[name] = a
    _rewrite(path, m)


DAMAGE = {
    "zero-byte": _zero,
    "truncated": _truncate,
    "bit-flipped": _bitflip,
    "not-a-zip": _garbage,
    "other-format-version": _other_format,
    "legacy-no-header": _legacy,
    "hash-mismatch": _edited_array,
}


# ---------------------------------------------------------------- network.cache
def _entry(path: Path) -> dict[str, np.ndarray]:
    arrays = {"a": np.arange(1000, dtype=np.int32), "b": np.linspace(0, 1, 300).reshape(3, 100)}
    write_entry(path, arrays, kind="test", info={"n": np.int64(3), "x": 1.5})
    return arrays


def test_entry_round_trip_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "sub" / "e.npz"
    arrays = _entry(path)
    entry = read_entry(path, kind="test")
    assert entry is not None and entry.info == {"n": 3, "x": 1.5}
    for k, a in arrays.items():
        np.testing.assert_array_equal(entry.arrays[k], a)
        assert entry.arrays[k].dtype == a.dtype
    assert sorted(p.name for p in path.parent.iterdir()) == ["e.npz"]
    h = _header(path)
    assert h["format"] == cache.CACHE_FORMAT and h["kind"] == "test" and len(h["sha256"]) == 64


def test_missing_entry_is_a_quiet_miss(tmp_path, capsys):
    assert read_entry(tmp_path / "none.npz", kind="test") is None
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_damaged_entry_is_a_miss_and_is_deleted(tmp_path, capsys, damage):
    path = tmp_path / "e.npz"
    _entry(path)
    DAMAGE[damage](path)
    assert read_entry(path, kind="test") is None
    assert not path.exists()
    err = capsys.readouterr().err
    if damage in ("other-format-version", "legacy-no-header"):
        assert err == ""               # stale, not damaged: replaced without a word
    else:
        assert err.count("\n") == 1 and "damaged" in err


def test_entry_of_another_kind_or_with_a_lying_shape_is_a_miss(tmp_path):
    path = tmp_path / "e.npz"
    _entry(path)
    assert read_entry(path, kind="district") is None and not path.exists()
    _entry(path)
    m = _members(path)
    h = _header(path)
    h["arrays"]["a"][1] = [2**40]             # header claims a huge array: refused before numpy allocates it
    m[HEADER_MEMBER] = np.frombuffer(json.dumps(h).encode(), np.uint8)
    _rewrite(path, m)
    assert read_entry(path, kind="test") is None and not path.exists()


def test_an_unwritable_cache_folder_raises_oserror_and_leaves_nothing(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError):
        write_entry(blocker / "e.npz", {"a": np.zeros(3)}, kind="test")


# ---------------------------------------------------------------- the district cache
@pytest.fixture(scope="module")
def fresh():
    """A freshly generated built-in district, and the bytes of its good cache entry."""
    spec, digest = read_district_spec()
    d = generate_district(spec)
    return d, digest


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    """An empty ``$YINGJI_CACHE`` and an empty in-process district memo (emptied again after)."""
    monkeypatch.setenv("YINGJI_CACHE", str(tmp_path))
    district_module._load_cached.cache_clear()
    yield tmp_path
    district_module._load_cached.cache_clear()


def _same_district(a, b) -> None:
    na, nb = a.network, b.network
    assert na.n_nodes == nb.n_nodes and na.n_edges == nb.n_edges
    for k in ("x", "y", "indptr", "indices", "length", "rev_edge", "population", "road_class", "zone"):
        np.testing.assert_array_equal(getattr(na, k), getattr(nb, k))
    np.testing.assert_array_equal(a.terrain.dem.values, b.terrain.dem.values)
    np.testing.assert_array_equal(a.terrain.landcover.values, b.terrain.landcover.values)
    assert na.dropped_nodes == nb.dropped_nodes


def _crafted(fresh_district, path: Path, **changes) -> None:
    """A hash-valid entry (written by the cache module itself) with some arrays changed."""
    _save(path, fresh_district)
    entry = read_entry(path, kind="district")
    arrays = {**entry.arrays, **changes}
    write_entry(path, arrays, kind="district", info=entry.info)


def _net_indices_huge(d, path):
    idx = d.network.indices.copy()
    idx[len(idx) // 2] = 2**30
    _crafted(d, path, net_indices=idx)


def _indptr_not_monotone(d, path):
    p = d.network.indptr.copy()
    p[5], p[6] = p[6] + 3, p[5]
    _crafted(d, path, net_indptr=p)


def _rev_edge_out_of_range(d, path):
    r = d.network.rev_edge.copy()
    r[0] = -7
    _crafted(d, path, net_rev_edge=r)


def _nan_coordinate(d, path):
    x = d.network.x.copy()
    x[3] = np.nan
    _crafted(d, path, net_x=x)


def _wrong_dtype(d, path):
    _crafted(d, path, net_indices=d.network.indices.astype(np.int64))


def _short_edge_field(d, path):
    _crafted(d, path, net_length=d.network.length[:-1].copy())


def _damaged(how):
    def make(d, path):
        _save(path, d)
        DAMAGE[how](path)
    return make


BAD_DISTRICT = {
    "zero-byte": _damaged("zero-byte"),
    "truncated": _damaged("truncated"),
    "bit-flipped": _damaged("bit-flipped"),
    "other-format-version": _damaged("other-format-version"),
    "hash-mismatch": _damaged("hash-mismatch"),
    "crafted-net_indices-2**30": _net_indices_huge,
    "crafted-indptr-not-monotone": _indptr_not_monotone,
    "crafted-rev_edge-negative": _rev_edge_out_of_range,
    "crafted-nan-x": _nan_coordinate,
    "crafted-wrong-dtype": _wrong_dtype,
    "crafted-short-length": _short_edge_field,
}
#: the ones that really regenerate (seconds each); the others are checked by _load alone
REGENERATED = ("zero-byte", "truncated", "bit-flipped", "other-format-version", "crafted-net_indices-2**30")


@pytest.mark.parametrize("bad", REGENERATED)
def test_bad_district_entry_is_regenerated_and_rewritten(private_cache, fresh, bad, capsys, monkeypatch):
    d, digest = fresh
    path = _cache_path(digest)
    BAD_DISTRICT[bad](d, path)
    capsys.readouterr()
    again = load_district()
    _same_district(again, d)
    err = capsys.readouterr().err
    assert err.count("\n") <= 1
    # a good entry was written: the next process-level load reads it without generating
    entry = read_entry(path, kind="district")
    assert entry is not None
    district_module._load_cached.cache_clear()

    def no_generation(spec):
        raise AssertionError("the district was regenerated although a good cache entry exists")

    monkeypatch.setattr(district_module, "generate_district", no_generation)
    _same_district(load_district(), d)


@pytest.mark.parametrize("bad", list(BAD_DISTRICT), ids=list(BAD_DISTRICT))
def test_bad_district_entry_is_a_miss_and_is_deleted(private_cache, fresh, bad, capsys):
    d, digest = fresh
    path = _cache_path(digest)
    BAD_DISTRICT[bad](d, path)
    capsys.readouterr()
    assert district_module._load(path, d.spec) is None
    assert not path.exists()
    err = capsys.readouterr().err
    assert err.count("\n") <= 1


def test_good_district_entry_loads_equal(private_cache, fresh):
    d, digest = fresh
    path = _cache_path(digest)
    _save(path, d)
    loaded = district_module._load(path, d.spec)
    _same_district(loaded, d)
    assert all(not getattr(loaded.network, k).flags.writeable for k in _NET_FIELDS)


def test_cli_network_info_survives_a_crafted_district_entry(tmp_path, fresh):
    d, digest = fresh
    env = {**os.environ, "YINGJI_CACHE": str(tmp_path)}
    path = tmp_path / _cache_path(digest).name
    _net_indices_huge(d, path)
    res = subprocess.run([sys.executable, "-m", "scenarios.cli", "network", "info", "--json"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["nodes"] == d.network.n_nodes and summary["edges"] == d.network.n_edges
    assert res.stderr.count("damaged") == 1
    assert read_entry(path, kind="district") is not None       # rewritten, good


# ---------------------------------------------------------------- the 2-D flood cache
@pytest.fixture
def flood_cache(tmp_path, monkeypatch):
    from sim.hazards.flood import two_d

    monkeypatch.setenv("YINGJI_CACHE", str(tmp_path))
    monkeypatch.setattr(two_d, "_MEMO", {})
    return tmp_path


def _cached_flood():
    from tests.test_flood_2d import flood

    f = flood(peak=26.5)
    f.cache = True
    return f


def _crafted_record(path: Path, **changes) -> None:
    entry = read_entry(path, kind="flood2d")
    write_entry(path, {**entry.arrays, **changes}, kind="flood2d", info=entry.info)


def _cells_off_grid(path):
    e = read_entry(path, kind="flood2d")
    c = e.arrays["cells"].copy()
    c[-1] = 2**40
    _crafted_record(path, cells=c)


def _cells_other(path):
    e = read_entry(path, kind="flood2d")
    c = e.arrays["cells"].copy()
    c[-1] = c[-1] + 1                          # still sorted and (here) on the grid, but not this run's
    _crafted_record(path, cells=c)


def _depth_short(path):
    e = read_entry(path, kind="flood2d")
    _crafted_record(path, depth=e.arrays["depth"][:, :-1].copy())


def _times_unsorted(path):
    e = read_entry(path, kind="flood2d")
    _crafted_record(path, times_s=e.arrays["times_s"][::-1].copy())


BAD_FLOOD = {
    **{k: DAMAGE[k] for k in ("zero-byte", "truncated", "bit-flipped", "other-format-version", "hash-mismatch")},
    "crafted-cells-off-grid": _cells_off_grid,
    "crafted-other-cells": _cells_other,
    "crafted-depth-shape": _depth_short,
    "crafted-times-unsorted": _times_unsorted,
}


@pytest.mark.parametrize("bad", list(BAD_FLOOD), ids=list(BAD_FLOOD))
def test_bad_flood_entry_is_rerun_and_rewritten(flood_cache, bad, capsys):
    from sim.hazards.flood import two_d

    rec = _cached_flood().record
    (path,) = (flood_cache / "flood2d").glob("*.npz")
    BAD_FLOOD[bad](path)
    two_d._MEMO.clear()
    capsys.readouterr()
    again = _cached_flood().record
    assert capsys.readouterr().err.count("\n") <= 1
    assert again is not rec
    for k in two_d.FloodRecord._ARRAYS:
        np.testing.assert_array_equal(getattr(again, k), getattr(rec, k))
    good = read_entry(path, kind="flood2d")
    assert good is not None
    np.testing.assert_array_equal(good.arrays["depth"], rec.depth)


def test_flood_entry_round_trip_keeps_stats(flood_cache):
    from sim.hazards.flood import two_d

    rec = _cached_flood().record
    two_d._MEMO.clear()
    again = _cached_flood().record
    assert again is not rec and again.stats == rec.stats
    (path,) = (flood_cache / "flood2d").glob("*.npz")
    assert zipfile.is_zipfile(path) and HEADER_MEMBER + ".npy" in zipfile.ZipFile(path).namelist()
