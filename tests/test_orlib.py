"""OR-Library readers and the published optima.

The default run uses the small copies in tests/data/orlib (pmed1, pmed2, pmedcap01, cap41);
the full sweeps over ../shared/data/orlib are marked slow and skip when it is absent.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from network.errors import InputError
from optimize.reference import solve_orlib_cap, solve_orlib_pcenter, solve_orlib_pmedian, solve_pmedcap
from optimize.location import CapacitatedFacilityLocation, CapacitatedPMedian, PCenter, PMedian
from optimize.orlib import pmed_distances, read_cap, read_optima, read_pmed, read_pmedcap

DATA = Path(__file__).resolve().parent / "data" / "orlib"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "orlib"


def shared_orlib() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"OR-Library reference data {SHARED} not present (../shared/data sits beside the checkout in CI)")
    return SHARED


# ---------------------------------------------------------------------------- pmed reader
def test_read_pmed1():
    inst = read_pmed(DATA / "pmed" / "pmed1.txt")
    assert (inst.name, inst.n, inst.p) == ("pmed1", 100, 5)
    # 200 edge lines, some repeated: fewer distinct edges
    assert inst.edges.shape[1] == 3 and inst.edges.shape[0] < 200
    d = inst.distances()
    assert d.shape == (100, 100)
    assert np.allclose(d, d.T) and np.all(np.diag(d) == 0) and np.isfinite(d).all()


def test_pmed_last_listing_wins(tmp_path):
    f = tmp_path / "tiny.txt"
    f.write_text(" 3 3 1 \n 1 2 5 \n 2 3 7 \n 2 1 2 \n")
    inst = read_pmed(f)
    d = inst.distances()
    assert d[0, 1] == 2 and d[0, 2] == 9  # the later "2 1 2" replaced "1 2 5"


def test_pmed_zero_cost_edge_is_kept():
    d = pmed_distances(3, np.array([[0, 1, 0.0], [1, 2, 4.0]]))
    assert d[0, 2] == 4 and d[0, 1] == 0


def test_pmed_known_duplicates_reproduce_optimum():
    # with "min" instead of "last" pmed1 would give 5718 (see the shared README)
    inst = read_pmed(DATA / "pmed" / "pmed1.txt")
    res = PMedian.from_cost_matrix(inst.distances(), p=inst.p).solve(time_limit_s=60)
    assert res.optimal and res.objective == 5819


@pytest.mark.parametrize("text, match", [
    ("", "empty file"),
    (" 3 2 \n 1 2 3\n", "expected 'n m p'"),
    (" 3 2 1\n 1 2 3\n", "promises m=2 edges"),
    (" 3 1 1\n 1 x 3\n", ":2: vertex j must be a number"),
    (" 3 1 1\n 1 4 3\n", ":2: vertex 4 outside 1..3"),
    (" 3 1 1\n 1 2 -3\n", ":2: negative edge cost"),
    (" 3 1 4\n 1 2 3\n", "p=4 is larger"),
    (" 3 1 1\n 1 2 3\n 2 3 4\n", ":3: more than the m=1"),
    (" 3 1 1\n 1 2\n", ":2: expected an edge"),
    (" 3 1 1\n 1 2 nan\n", ":2: edge cost must be finite"),
])
def test_pmed_malformed(tmp_path, text, match):
    f = tmp_path / "bad.txt"
    f.write_text(text)
    with pytest.raises(InputError, match=match):
        read_pmed(f)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_pmed(tmp_path / "nope.txt")
    b = tmp_path / "bin.txt"
    b.write_bytes(b"\x89PNG\x00\xff")
    with pytest.raises(InputError, match="not a plain-text"):
        read_pmedcap(b)


# ---------------------------------------------------------------------------- pmedcap reader
def test_read_pmedcap01_crlf():
    inst = read_pmedcap(DATA / "pmedcap" / "pmedcap01.txt")
    assert (inst.n, inst.p, inst.capacity, inst.best_known) == (50, 5, 120, 713)
    assert inst.demand.shape == (50,) and inst.demand.sum() <= 5 * 120
    d = inst.distances()
    assert np.all(d == np.floor(d)) and np.all(np.diag(d) == 0)


@pytest.mark.parametrize("text, match", [
    (" 1 10\n", "expected 'problem best'"),
    (" 1 10\n 2 1\n", ":2: expected 'n p capacity'"),
    (" 1 10\n 2 1 5\n 1 0 0 1\n", "header says n=2 nodes but 1"),
    (" 1 10\n 2 1 5\n 1 0 0 1\n 2 1 1 -1\n", ":4: negative demand"),
    (" 1 10\n 2 1 5\n 1 0 0 1\n 2 1 1\n", ":4: expected a node"),
    (" 1 10\n 2 3 5\n 1 0 0 1\n 2 1 1 1\n", "p=3 is larger"),
])
def test_pmedcap_malformed(tmp_path, text, match):
    f = tmp_path / "bad.txt"
    f.write_text(text)
    with pytest.raises(InputError, match=match):
        read_pmedcap(f)


# ---------------------------------------------------------------------------- cap reader
def test_read_cap41():
    inst = read_cap(DATA / "cap" / "cap41.txt")
    assert (inst.m, inst.n) == (16, 50)
    assert inst.capacity[0] == 5000 and inst.opening_cost[0] == 7500 and inst.opening_cost[10] == 0
    assert inst.demand[0] == 146 and inst.cost[0, 0] == pytest.approx(6739.725)
    over = read_cap(DATA / "cap" / "cap41.txt", capacity=8000)
    assert np.all(over.capacity == 8000) and over.name == "cap41_8000"


def test_cap_literal_capacity_needs_override(tmp_path):
    f = tmp_path / "capx.txt"
    f.write_text(" 1 1\n capacity 10.\n 5\n 3.0\n")
    with pytest.raises(InputError, match="pass the capacity"):
        read_cap(f)
    inst = read_cap(f, capacity=7)
    assert inst.capacity[0] == 7


@pytest.mark.parametrize("text, match", [
    (" 1 2\n 10 5\n 3\n 1.0\n", "file ends early, expected demand of customer 2"),
    (" 1 1\n 10 5\n 3\n 1.0 9\n", "unexpected data after the last customer"),
    (" 1 1\n 10 x\n 3\n 1.0\n", ":2: fixed cost of site 1 must be a number"),
    (" 0 1\n", "need at least one site"),
])
def test_cap_malformed(tmp_path, text, match):
    f = tmp_path / "bad.txt"
    f.write_text(text)
    with pytest.raises(InputError, match=match):
        read_cap(f)


# ---------------------------------------------------------------------------- optima tables
def test_read_optima_tables():
    assert read_optima(DATA / "pmed" / "optima.csv")["pmed40"] == 5128
    assert read_optima(DATA / "pcenter_optima.csv")["pmed1"] == 127      # '#' comment lines skipped
    assert read_optima(DATA / "pmedcap" / "optima.csv")["pmedcap20"] == 1005
    cap = read_optima(DATA / "cap" / "optima.csv")
    assert cap["cap41"] == pytest.approx(1040444.375) and cap["capa_8000"] == pytest.approx(19240822.449)


def test_read_optima_bad(tmp_path):
    f = tmp_path / "o.csv"
    f.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="expected columns"):
        read_optima(f)


# ---------------------------------------------------------------------------- solving the copies
def test_small_instances_at_their_optima():
    for name in ("pmed1", "pmed2"):
        inst = read_pmed(DATA / "pmed" / f"{name}.txt")
        d = inst.distances()
        pm = PMedian.from_cost_matrix(d, p=inst.p).solve(time_limit_s=60)
        pc = PCenter.from_cost_matrix(d, p=inst.p).solve(time_limit_s=60)
        assert pm.optimal and pm.objective == read_optima(DATA / "pmed" / "optima.csv")[name]
        assert pc.optimal and pc.objective == read_optima(DATA / "pcenter_optima.csv")[name]
    cap = read_pmedcap(DATA / "pmedcap" / "pmedcap01.txt")
    r = CapacitatedPMedian.from_cost_matrix(cap.distances(), demand=cap.demand, capacity=cap.capacity,
                                            p=cap.p).solve(time_limit_s=60)
    assert r.optimal and r.objective == 713
    load = np.bincount(r.assignment, weights=cap.demand, minlength=cap.n)
    assert load.max() <= cap.capacity and len(r.sites) == cap.p
    w = read_cap(DATA / "cap" / "cap41.txt")
    r = CapacitatedFacilityLocation.from_cost_matrix(w.cost, demand=w.demand, capacity=w.capacity,
                                                     opening_cost=w.opening_cost).solve(time_limit_s=60)
    assert r.optimal and r.objective == pytest.approx(1040444.375, rel=1e-9)


def test_reference_dicts():
    a = solve_orlib_pmedian(DATA / "pmed" / "pmed2.txt")
    b = solve_orlib_pcenter(DATA / "pmed" / "pmed2.txt")
    c = solve_pmedcap(DATA / "pmedcap" / "pmedcap01.txt")
    d = solve_orlib_cap(DATA / "cap" / "cap41.txt")
    for out, known in ((a, 4093), (b, 98), (c, 713), (d, 1040444.375)):
        json.dumps(out)
        assert out["optimal"] is True and out["matches_known"] is True
        assert out["known_optimum"] == pytest.approx(known) and out["seconds"] >= 0
        for key in ("instance", "n", "p", "objective", "optimal", "seconds", "known_optimum"):
            assert key in out
    assert (a["instance"], a["n"], a["p"]) == ("pmed2", 100, 10)
    assert min(a["sites"]) >= 1  # 1-based, as in the file


def test_reference_bad_file(tmp_path):
    with pytest.raises(InputError):
        solve_orlib_pmedian(tmp_path / "missing.txt")


# ---------------------------------------------------------------------------- full sweeps (slow)
@pytest.mark.slow
def test_all_pmed_optimal():
    root = shared_orlib() / "pmed"
    optima = read_optima(root / "optima.csv")
    total = 0.0
    for k in range(1, 41):
        out = solve_orlib_pmedian(root / f"pmed{k}.txt")
        total += out["seconds"]
        assert out["optimal"], out
        assert out["objective"] == optima[f"pmed{k}"], out
    print(f"pmed1-40 proven optimal in {total:.1f} s")


@pytest.mark.slow
def test_all_pcenter_optimal():
    root = shared_orlib()
    optima = read_optima(root / "pcenter_optima.csv")
    for k in range(1, 41):
        out = solve_orlib_pcenter(root / "pmed" / f"pmed{k}.txt")
        assert out["optimal"] and out["objective"] == optima[f"pmed{k}"], out


@pytest.mark.slow
def test_all_pmedcap_optimal():
    root = shared_orlib() / "pmedcap"
    optima = read_optima(root / "optima.csv")
    for k in range(1, 21):
        out = solve_pmedcap(root / f"pmedcap{k:02d}.txt")
        assert out["optimal"] and out["objective"] == optima[f"pmedcap{k:02d}"], out


@pytest.mark.slow
def test_all_cap_optimal():
    root = shared_orlib() / "cap"
    optima = read_optima(root / "optima.csv")
    for name in sorted(k for k in optima if not k.startswith(("capa", "capb", "capc"))):
        out = solve_orlib_cap(root / f"{name}.txt")
        assert out["optimal"], out
        assert math.isclose(out["objective"], optima[name], rel_tol=1e-6), out


def test_read_optima_names_the_line(tmp_path):
    f = tmp_path / "o.csv"
    f.write_text("# comment\nname,optimum\npmed1,5819\npmed2,oops\n")
    with pytest.raises(InputError, match=r"o.csv:4: optimum of pmed2 must be a number"):
        read_optima(f)
