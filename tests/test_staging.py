"""The one staging writer every output folder goes through (scenarios/reports/staging.py): the
folder appears complete or not at all, a rerun replaces it whole, a foreign folder is refused,
a killed command's scratch is cleaned by the next, and the environment's failures are one line.
A batch that stores nothing leaves no store file. One-file outputs (maps, exported networks,
the exported district) go the same way."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from network.errors import InputError
from scenarios.reports.staging import MARKER, check_out_dir, staged_dir, staged_file


def _write(out: Path, files: dict[str, str], **kw) -> None:
    with staged_dir(out, **kw) as tmp:
        for name, text in files.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(text, encoding="utf-8")


def test_a_rerun_replaces_the_folder_whole(tmp_path):
    out = tmp_path / "out"
    _write(out, {"a.txt": "1", "sub/b.txt": "2"})
    assert (out / MARKER).is_file() and (out / "sub" / "b.txt").read_text() == "2"
    _write(out, {"c.txt": "3"})
    assert sorted(p.name for p in out.iterdir()) == sorted([MARKER, "c.txt"])   # nothing stale survives
    assert not list(tmp_path.glob(".yingji-*"))


def test_a_file_where_a_folder_was_no_longer_fails_half_way(tmp_path):
    """The old writer moved file by file and failed at DIR/report.html being a folder, leaving a mix."""
    out = tmp_path / "out"
    _write(out, {"report.html/x": "a folder named like a file", "z.txt": "old"})
    _write(out, {"a.txt": "new", "report.html": "<html>"})
    assert (out / "report.html").is_file() and not (out / "z.txt").exists()


def test_a_failure_leaves_the_old_output_as_it_was(tmp_path):
    out = tmp_path / "out"
    _write(out, {"a.txt": "old"})
    with pytest.raises(RuntimeError):
        with staged_dir(out) as tmp:
            (tmp / "a.txt").write_text("half")
            raise RuntimeError("boom")
    assert (out / "a.txt").read_text() == "old" and not list(tmp_path.glob(".yingji-*"))


def test_a_folder_yingji_did_not_write_is_refused_untouched(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work")
    with pytest.raises(InputError, match=r"--out .*home: the folder holds files yingji did not write"):
        _write(home, {"a.txt": "x"})
    assert sorted(p.name for p in home.iterdir()) == ["thesis.tex"]
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(InputError, match="exists and is not a folder"):
        check_out_dir(f)
    empty = tmp_path / "empty"
    empty.mkdir()
    _write(empty, {"a.txt": "x"})                      # an empty folder is fine
    assert (empty / "a.txt").is_file()


def test_kept_entries_move_into_the_new_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "store.sqlite").write_text("simulations")       # a store the command resumes from
    check_out_dir(out, keep=["store.sqlite"])
    _write(out, {"plan.json": "{}"}, keep=["store.sqlite"])
    assert (out / "store.sqlite").read_text() == "simulations" and (out / "plan.json").is_file()


def test_a_killed_commands_scratch_is_cleaned_by_the_next(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    left = tmp_path / f".yingji-{pid}-abc123"
    left.mkdir()
    (left / "half.png").write_bytes(b"\x89PNG")
    mine = tmp_path / f".yingji-{os.getpid()}-live"      # this process's own: left alone
    mine.mkdir()
    _write(tmp_path / "out", {"a.txt": "x"})
    assert not left.exists() and mine.exists()


def test_a_write_error_is_one_line_naming_out(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(InputError, match=r"--out .*out: cannot write the output \(No space left on device\)"):
        with staged_dir(out):
            raise OSError(28, "No space left on device")
    assert not out.exists()


def test_a_failed_batch_leaves_no_store(tmp_path, capsys):
    from scenarios.cli.main import main

    sc = tmp_path / "s.toml"
    sc.write_text('name = "s"\ntitle_zh = "测"\ntitle_en = "t"\n\n[hazards.chemical]\nsite = "chlor-alkali-plant"\n'
                  'rate_kg_s = 1.0\nduration_min = 10.0\n\n[simulation]\nduration_h = 1.0\n', encoding="utf-8")
    store = tmp_path / "b.sqlite"
    assert main(["batch", str(sc), "--runs", "0", "--store", str(store)]) == 2
    assert "--runs: expected 1 to 1,000,000 runs per plan, found 0" in capsys.readouterr().err
    assert not list(tmp_path.glob("b.sqlite*"))


# ---------------------------------------------------------------------------- one-file outputs
def test_a_file_appears_whole_or_the_old_one_stays(tmp_path):
    out = tmp_path / "map.svg"
    out.write_text("old", encoding="utf-8")
    with pytest.raises(InputError, match=r"^--out .*map.svg: cannot write the file \(No space left on device\)$"):
        with staged_file(out) as scratch:
            assert scratch.suffix == ".svg" and scratch.parent == tmp_path   # writers choose the format by it
            scratch.write_text("half", encoding="utf-8")
            raise OSError(28, "No space left on device")
    assert out.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["map.svg"]
    with staged_file(out) as scratch:
        scratch.write_text("new", encoding="utf-8")
    assert out.read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["map.svg"]


def test_a_killed_commands_scratch_file_is_cleaned_by_the_next(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = tmp_path / f".yingji-{int(dead.stdout)}-123-roads.graphml"
    left.write_text("partial", encoding="utf-8")
    with staged_file(tmp_path / "roads.graphml") as scratch:
        scratch.write_text("whole", encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roads.graphml"]


@pytest.mark.parametrize("command", [["network", "map", "--out"], ["network", "export", "-f", "graphml", "--out"]])
def test_one_file_commands_refuse_a_folder_or_a_missing_folder(tmp_path, capsys, command):
    from tests.cli_checks import one_line_exit_2

    (tmp_path / "taken.png").mkdir()
    one_line_exit_2(capsys, [*command, str(tmp_path / "taken.png")], "is a folder; give a file name")
    one_line_exit_2(capsys, [*command, str(tmp_path / "no" / "such" / "x.svg")], "does not exist")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.png"]


def test_district_export_replaces_an_earlier_export_whole(tmp_path):
    from network.district import load_district
    from scenarios.core.district_export import export_manifest

    out = tmp_path / "export"
    manifest = export_manifest(load_district(), out)
    (out / "stale.txt").write_text("from before", encoding="utf-8")
    export_manifest(load_district(), out)
    assert manifest.is_file() and not (out / "stale.txt").exists() and (out / MARKER).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]
