"""Tables for Excel and pandas (issue 20, item 3): every CSV in UTF-8 with a BOM by default, or
plain UTF-8, or GBK (``--csv-encoding``); groups.csv with JSON fields and hours; events.csv with
hours, lon/lat and no empty columns; msel.xlsx with durations, headers in both languages, drop-down
lists and print titles; ``drill check`` reading GBK CSV, old and new workbooks and the tool's own
msel.csv / msel.xlsx / msel.json. Files are written for real and read back with openpyxl, pandas
and as raw bytes."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from network.cells import CSV_ENCODINGS, decode_csv, open_csv
from network.errors import InputError

BOM = b"\xef\xbb\xbf"
EVIL = '=HYPERLINK("http://x","y")'
#: a character of real Chinese place names that GBK has no code for (䢺溪, Chongqing)
NOT_GBK = "䢺"


@pytest.fixture(scope="module")
def chlorine():
    """The chlorine-night run (a few seconds)."""
    from scenarios.drill.design import load_run

    return load_run("chlorine-night", seed=0)


@pytest.fixture(scope="module")
def drill(chlorine):
    """The chlorine drill, easy (its twists are re-simulated: a few seconds)."""
    from scenarios.drill.design import design_drill

    return design_drill(chlorine, difficulty="easy", seed=1)


@pytest.fixture(scope="module")
def drill_dir(drill, tmp_path_factory):
    """msel.csv/.xlsx/.json, evaluation.csv and the handbook as ``yingji drill chlorine-night``
    writes them (its own writer, default encoding)."""
    from scenarios.cli.drill import _write_drill

    out = tmp_path_factory.mktemp("tables") / "drill"
    _write_drill(drill, out, "zh", "utf-8-sig")
    return out


@pytest.fixture(scope="module")
def run_files(chlorine, tmp_path_factory):
    """The run's data files in each encoding: encoding -> folder."""
    from scenarios.reports.outputs import write_run_files

    root = tmp_path_factory.mktemp("runs")
    return {enc: write_run_files(root / enc, chlorine, encoding=enc)["groups.csv"].parent for enc in CSV_ENCODINGS}


def _runs_data() -> SimpleNamespace:
    """What the batch report's runs.csv is written from: two stored runs."""
    rows = [{"run_index": i, "plan": "现有预案", "seed": i, "status": "ok", "relief_within_target": 0.5,
             "relief_within_target_pass": False, "all_pass": False, "seconds": 1.0, "error": None,
             "inputs": {"hazards.flood.return_period_years": 50 + i, "teams": [1, 2]}} for i in range(2)]
    return SimpleNamespace(rows=rows)


def _every_csv(folder: Path, run, enc: str) -> list[Path]:
    """Every kind of CSV the project writes, into ``folder`` in ``enc``."""
    from network.costs import write_additions_csv
    from optimize.district_plan import DistrictPlanReport
    from scenarios.batch.report import _runs_csv
    from scenarios.reports.outputs import write_compare_outputs

    folder.mkdir(parents=True)
    write_compare_outputs(folder / "cmp", [run, run], report=False, csv_encoding=enc)
    _runs_csv(_runs_data(), folder / "runs.csv", enc)
    write_additions_csv(folder / "costs.csv", [{"lever": "避难场所", "site": "竟成镇", "amount": 1.0, "unit": "处",
                                                "one_off_cny": 1.5, "annual_cny": 0.0, "source": "估算"}], enc)
    report = SimpleNamespace(rows=[{"layer_zh": "综合救援", "layer_en": "general", "network": "自由流 / free flow"}],
                             COLUMNS=DistrictPlanReport.COLUMNS)
    DistrictPlanReport.write_csv(report, folder / "before_after.csv", enc)
    return sorted(folder.rglob("*.csv"))


# ------------------------------------------------------------------------------------ encodings
@pytest.mark.parametrize("enc", CSV_ENCODINGS)
def test_every_csv_in_the_encoding_asked(chlorine, tmp_path, enc):
    """compare.csv, each run's groups.csv and events.csv, runs.csv, costs.csv and before_after.csv:
    a BOM by default and only then, Chinese text that reads back in the encoding asked."""
    files = _every_csv(tmp_path / enc, chlorine, enc)
    names = {p.name for p in files}
    assert names == {"compare.csv", "groups.csv", "events.csv", "runs.csv", "costs.csv", "before_after.csv"}
    for p in files:
        raw = p.read_bytes()
        assert raw.startswith(BOM) == (enc == "utf-8-sig"), p
        text = raw.decode(enc)
        assert not text.startswith("\ufeff"), p       # one BOM, never two
        if p.name != "events.csv":                   # chlorine's events carry ids, not names
            assert any("\u4e00" <= ch <= "\u9fff" for ch in text), p
        # pandas reads each with the encoding it was written in, the header as the first row
        frame = pd.read_csv(p, encoding=enc)
        assert len(frame.columns) > 1 and not frame.columns[0].startswith("\ufeff"), p


def test_default_csv_is_utf8_with_bom_as_excel_reads_it(drill_dir, run_files):
    """The CSVs the commands write by default start with the UTF-8 BOM (msel.csv, evaluation.csv
    as ``yingji drill`` writes them; groups.csv and events.csv of a run)."""
    for p in (drill_dir / "msel.csv", drill_dir / "evaluation.csv", run_files["utf-8-sig"] / "groups.csv",
              run_files["utf-8-sig"] / "events.csv"):
        assert p.read_bytes().startswith(BOM), p
    assert not (run_files["utf-8"] / "groups.csv").read_bytes().startswith(BOM)
    gbk = pd.read_csv(run_files["gbk"] / "groups.csv", encoding="gbk")
    utf = pd.read_csv(run_files["utf-8-sig"] / "groups.csv")      # pandas skips the BOM itself
    assert list(gbk["township_zh"]) == list(utf["township_zh"]) and "竟成镇" in set(utf["township_zh"])


@pytest.mark.parametrize("enc", CSV_ENCODINGS)
def test_a_formula_looking_name_is_neutralised_in_every_encoding(tmp_path, enc):
    from scenarios.reports.outputs import write_groups_csv

    net = SimpleNamespace(zone_names=[(EVIL, "@SUM(1+1)")], zone=np.array([0]), lon=np.array([117.1]),
                          lat=np.array([29.2]))
    run = SimpleNamespace(network=net, result=SimpleNamespace(groups=[{"group": 0, "node": 0, "people": -5}]))
    p = write_groups_csv(run, tmp_path / "groups.csv", encoding=enc)
    rows = list(csv.DictReader(io.StringIO(p.read_bytes().decode(enc).removeprefix("\ufeff"))))
    assert rows[0]["township_zh"] == "'" + EVIL and rows[0]["township_en"] == "'@SUM(1+1)"
    assert rows[0]["people"] == "-5"


def test_a_character_gbk_lacks_is_an_input_error_naming_file_row_and_column(tmp_path):
    from scenarios.reports.outputs import write_groups_csv

    net = SimpleNamespace(zone_names=[(f"{NOT_GBK}溪镇", "Xixi")], zone=np.array([0]), lon=np.array([117.1]),
                          lat=np.array([29.2]))
    run = SimpleNamespace(network=net, result=SimpleNamespace(groups=[{"group": 0, "node": 0, "people": 5}]))
    with pytest.raises(InputError) as exc:
        write_groups_csv(run, tmp_path / "groups.csv", encoding="gbk")
    msg = str(exc.value)
    assert msg.startswith("groups.csv:2: column township_zh: '䢺' (U+48BA) has no GBK code")
    assert "--csv-encoding utf-8-sig" in msg and "\n" not in msg
    # the same name in UTF-8 is fine, and a plain csv.writer header names its line too
    write_groups_csv(run, tmp_path / "ok.csv", encoding="utf-8-sig")
    from network.cells import csv_writer

    with pytest.raises(InputError, match=r"^x\.csv:1: header: '䢺'"), open_csv(tmp_path / "x.csv", "gbk") as f:
        csv_writer(f).writerow(["a", NOT_GBK])


def test_an_unknown_encoding_is_refused(tmp_path):
    with pytest.raises(InputError, match="--csv-encoding: expected one of utf-8-sig, utf-8, gbk, found 'latin-1'"):
        with open_csv(tmp_path / "x.csv", "latin-1"):
            pass


def test_decode_csv_tries_utf8_then_gbk():
    assert decode_csv("时间".encode("utf-8-sig"), "x.csv") == ("时间", "utf-8-sig")
    assert decode_csv("时间".encode("utf-8"), "x.csv") == ("时间", "utf-8-sig")
    assert decode_csv("时间".encode("gbk"), "x.csv") == ("时间", "gbk")
    with pytest.raises(InputError, match=r"^x\.csv: not UTF-8 or GBK text \(UTF-8: .*; GBK: .*\)"):
        decode_csv(b"time\n\xff\xff\n", "x.csv")


@pytest.mark.parametrize("command", [["run"], ["compare"], ["batch", "report"], ["drill", "run"],
                                     ["optimize", "plan"], ["optimize", "size"], ["simulate"]])
def test_every_command_that_writes_csv_takes_csv_encoding(command, capsys):
    from scenarios.cli import main

    assert main([*command, "--help"]) == 0
    assert "--csv-encoding" in capsys.readouterr().out


def test_run_and_drill_pass_the_encoding_on(monkeypatch, tmp_path):
    """``--csv-encoding gbk`` reaches the writers of ``run`` and ``drill``."""
    import scenarios.cli.drill as drill_cli
    import scenarios.drill.design as design
    import scenarios.reports.outputs as outputs
    from scenarios.cli import main

    # the drill's design (seconds of twist simulation) is not what this checks
    fake = SimpleNamespace(msel=SimpleNamespace(scenario="x", difficulty="easy", seed=0, injects=[], twists=[],
                                                objectives=[]))
    monkeypatch.setattr(design, "load_run", lambda *a, **kw: None)
    monkeypatch.setattr(design, "design_drill", lambda *a, **kw: fake)
    seen = {}
    monkeypatch.setattr(outputs, "write_run_outputs", lambda out, run, **kw: seen.setdefault("run", kw) and [])
    monkeypatch.setattr(drill_cli, "_write_drill", lambda drill, out, lang, enc: seen.setdefault("drill", enc) and [])
    assert main(["run", "chlorine-night", "--out", str(tmp_path / "r"), "-q", "--csv-encoding", "gbk"]) == 0
    assert main(["drill", "chlorine-night", "--difficulty", "easy", "--out", str(tmp_path / "d"), "-q",
                 "--csv-encoding", "gbk"]) == 0
    assert seen == {"run": {"lang": "zh", "csv_encoding": "gbk"}, "drill": "gbk"}


# ------------------------------------------------------------------------------------ groups.csv, events.csv
def test_groups_csv_has_json_fields_and_hours(chlorine, run_files):
    from network.jsonsafe import json_safe

    frame = pd.read_csv(run_files["utf-8-sig"] / "groups.csv")
    groups = chlorine.result.groups
    assert len(frame) == len(groups)
    cols = list(frame.columns)
    for k in ("threat", "affected", "relief_done"):
        assert cols.index(f"{k}_h") == cols.index(f"{k}_s") + 1
    for row, g in zip(frame.to_dict("records"), groups):
        assert json.loads(row["state_times"]) == json_safe(g["state_times"])
        assert json.loads(row["party_records"]) == json_safe(g["party_records"])
        for k in ("threat", "affected", "relief_done"):
            s = float(g[f"{k}_s"])
            if math.isfinite(s):
                assert row[f"{k}_h"] == pytest.approx(s / 3600.0, abs=1e-4) and row[f"{k}_s"] == pytest.approx(s)
            else:                                 # never: an empty cell, not the text "inf"
                assert math.isnan(row[f"{k}_h"]) and math.isnan(row[f"{k}_s"])
    assert frame["threat_h"].dtype.kind == "f" and frame["lon"].between(116, 118).all()


def test_events_csv_has_hours_places_and_no_empty_column(chlorine, run_files):
    from sim.result import EVENT_CORE

    frame = pd.read_csv(run_files["utf-8-sig"] / "events.csv")
    events = chlorine.result.events
    assert tuple(frame.columns[:len(EVENT_CORE)]) == EVENT_CORE and len(frame) == len(events)
    extra = list(frame.columns[len(EVENT_CORE):])
    assert extra == sorted(extra) and not frame[extra].isna().all().any()
    assert frame["time_h"].to_numpy() == pytest.approx(frame["t_s"].to_numpy() / 3600.0, abs=1e-4)
    net = chlorine.network
    with_node = frame["node"].notna()
    assert with_node.any() and frame.loc[with_node, "lon"].notna().all()
    nodes = frame.loc[with_node, "node"].astype(int).to_numpy()
    assert frame.loc[with_node, "lon"].to_numpy() == pytest.approx(net.lon[nodes], abs=1e-6)
    assert frame.loc[with_node, "lat"].to_numpy() == pytest.approx(net.lat[nodes], abs=1e-6)
    assert frame.loc[~with_node, "lon"].isna().all()


def test_events_csv_leaves_out_a_field_no_event_fills(tmp_path):
    from sim.result import RunResult

    r = RunResult.__new__(RunResult)
    r.events = [{"t_s": 7200.0, "event": "x", "node": 1, "note": None}, {"t_s": 3.0, "event": "y", "shelter": "s1"}]
    net = SimpleNamespace(lon=np.array([117.0, 117.5]), lat=np.array([29.0, 29.5]))
    rows = list(csv.DictReader(io.StringIO(r.events_to_csv(tmp_path / "e.csv", net).read_text(encoding="utf-8-sig"))))
    assert list(rows[0]) == ["time_h", "t_s", "event", "node", "lon", "lat", "shelter"]
    assert rows[0] == {"time_h": "2.0", "t_s": "7200.0", "event": "x", "node": "1", "lon": "117.5", "lat": "29.5",
                       "shelter": ""}
    assert rows[1]["node"] == rows[1]["lon"] == "" and rows[1]["shelter"] == "s1"


# ------------------------------------------------------------------------------------ msel.xlsx
def _msel_sheets(wb):
    return [wb["MSEL 中文"], wb["MSEL English"]]


def test_msel_xlsx_times_are_durations(drill_dir):
    from scenarios.drill.catalogue import fmt_t

    wb = load_workbook(drill_dir / "msel.xlsx")
    injects = json.loads((drill_dir / "msel.json").read_text(encoding="utf-8"))["injects"]
    for ws in _msel_sheets(wb):
        for n, inj in enumerate(injects, 2):
            for col, key in ((1, "time"), (9, "target_time")):
                cell = ws.cell(n, col)
                assert cell.number_format == '"T+"[h]:mm' and isinstance(cell.value, dt.timedelta), (ws.title, n)
                assert fmt_t(cell.value.total_seconds()) == inj[key]
            assert isinstance(ws.cell(n, 15).value, (int, float)) and ws.cell(n, 15).number_format == '0.00" h"'
    ev = wb["评估 Evaluation"]
    assert isinstance(ev.cell(2, 5).value, dt.timedelta) and ev.cell(2, 8).number_format == '"T+"[h]:mm'
    # pandas reads the durations as Timedeltas, sorted as the MSEL runs
    frame = pd.read_excel(drill_dir / "msel.xlsx", sheet_name="MSEL English")
    times = frame.iloc[:, 0]
    assert times.map(type).eq(pd.Timedelta).all() and times.is_monotonic_increasing


def test_msel_xlsx_headers_lists_and_printing(drill_dir):
    from scenarios.drill.msel import COLUMNS, EVAL_COLUMNS

    wb = load_workbook(drill_dir / "msel.xlsx")
    assert wb["列表 Lists"].sheet_state == "hidden"
    for ws, keys in ((wb["MSEL 中文"], COLUMNS), (wb["MSEL English"], COLUMNS), (wb["评估 Evaluation"], EVAL_COLUMNS)):
        heads = [c.value for c in ws[1]]
        assert len(heads) == len(keys)
        for h, key in zip(heads, keys):
            zh, en = h.split("\n") if ws.title != "MSEL English" else h.split("\n")[::-1]
            assert en == key and any("\u4e00" <= ch <= "\u9fff" for ch in zh), (ws.title, h)
        assert ws.print_title_rows == "$1:$1" and ws.freeze_panes == "B2"
        assert ws.page_setup.orientation == "landscape"
    # every value of a categorical column is in the drop-down list over it; the lists' own
    # (hidden) sheet is headed in both languages too
    lists = wb["列表 Lists"]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in c.value) and any(ch.isascii() and ch.isalpha() for ch in c.value)
               for c in lists[1])
    for ws in [*_msel_sheets(wb), wb["评估 Evaluation"]]:
        dvs = ws.data_validations.dataValidation
        assert dvs and all(dv.type == "list" for dv in dvs)
        heads = [c.value.split("\n")[0 if ws.title == "MSEL English" else 1] for c in ws[1]]
        for dv in dvs:
            col = str(dv.sqref).split(":")[0].rstrip("0123456789")
            ref = dv.formula1.split("!")[1].replace("$", "")
            allowed = {c.value for row in lists[ref] for c in row}
            values = {c.value for c in ws[col][1:] if c.value is not None}
            assert values <= allowed, (ws.title, heads[ord(col) - 65], values - allowed)
        named = {heads[ord(str(dv.sqref)[0]) - 65] for dv in dvs}
        assert named == ({"met"} if ws.title.startswith("评估") else
                         {"source", "delivery", "recipient", "objective", "kind"})


def test_drill_check_accepts_the_tools_own_files(drill_dir, capsys):
    from scenarios.cli import main

    for name in ("msel.csv", "msel.xlsx", "msel.json"):
        assert main(["drill", "check", str(drill_dir / name)]) == 0, capsys.readouterr().err
        assert capsys.readouterr().out.strip().endswith(f"{name}: ok")


def _copy(drill_dir: Path, tmp_path: Path, *names: str) -> Path:
    """The drill's msel.json and ``names`` in a fresh folder (the check finds its scenario there)."""
    for n in ("msel.json", *names):
        (tmp_path / n).write_bytes((drill_dir / n).read_bytes())
    return tmp_path


def test_drill_check_reads_an_older_workbook_with_text_times(drill_dir, tmp_path):
    """Workbooks written before times were durations: T+HH:MM text, "时间 time" / "time" headers."""
    from scenarios.drill.catalogue import fmt_t
    from scenarios.drill.msel import check_msel

    d = _copy(drill_dir, tmp_path, "msel.xlsx")
    wb = load_workbook(d / "msel.xlsx")
    for ws in _msel_sheets(wb):
        for c in ws[1]:
            zh, key = c.value.split("\n")[:: 1 if ws.title == "MSEL 中文" else -1]
            c.value = f"{zh} {key}" if ws.title == "MSEL 中文" else key
        for col in ("A", "I"):
            for c in ws[col][1:]:
                c.value, c.number_format = fmt_t(c.value.total_seconds()), "General"
    wb.save(d / "msel.xlsx")
    assert check_msel(d / "msel.xlsx") == []


def test_drill_check_reads_durations_typed_as_numbers_and_finds_their_order(drill_dir, tmp_path):
    from scenarios.drill.msel import check_msel

    d = _copy(drill_dir, tmp_path, "msel.xlsx")
    wb = load_workbook(d / "msel.xlsx")
    ws = wb["MSEL English"]
    third = ws["A4"].value.total_seconds() / 86400.0
    ws["A3"].value = third + 1 / 24          # a number of days, as typed into Excel: one hour after row 4
    ws["A3"].number_format = "General"
    wb.save(d / "msel.xlsx")
    problems = check_msel(d / "msel.xlsx")
    assert any(p.startswith("msel.xlsx[MSEL English]:4: time ") and "times must be in order" in p for p in problems), problems


def test_drill_check_reads_a_csv_excel_saved_in_gbk(drill_dir, tmp_path, capsys):
    """Excel on Chinese Windows saves "CSV" in GBK: the tool's own msel.csv, saved so, still passes."""
    from scenarios.cli import main

    d = _copy(drill_dir, tmp_path, "msel.csv")
    text = (drill_dir / "msel.csv").read_text(encoding="utf-8-sig")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text)
    (d / "msel.csv").write_bytes(text.encode("gbk"))
    assert main(["drill", "check", str(d / "msel.csv")]) == 0, capsys.readouterr().err
    capsys.readouterr()
    (d / "msel.csv").write_bytes(text.encode("gbk") + b"\xff\xff\n")       # neither UTF-8 nor GBK
    assert main(["drill", "check", str(d / "msel.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "msel.csv: not UTF-8 or GBK text (UTF-8:" in err and "; GBK:" in err


def test_msel_csv_written_in_gbk_passes_the_check(chlorine, drill, tmp_path):
    from scenarios.drill.catalogue import entity_catalogue, recipient_catalogue
    from scenarios.drill.msel import check_msel, write_evaluation_csv, write_msel_csv

    names = {**entity_catalogue(drill.district, drill.plan), **recipient_catalogue(drill.district)}
    p = write_msel_csv(drill.msel, names, tmp_path / "msel.csv", "zh", encoding="gbk")
    assert not p.read_bytes().startswith(BOM) and "演练" in p.read_bytes().decode("gbk")
    assert check_msel(p, chlorine) == []
    ev = write_evaluation_csv(drill.msel, tmp_path / "evaluation.csv", "zh", encoding="gbk")
    assert pd.read_csv(ev, encoding="gbk").shape[0] > 0


def test_cli_names_the_cell_gbk_cannot_hold_and_writes_nothing(drill, monkeypatch, tmp_path, capsys):
    """``yingji drill --csv-encoding gbk`` on a district whose township has a character GBK lacks:
    one line naming the file, line and column, exit 2, and no output folder."""
    import dataclasses

    import scenarios.drill.design as design
    from scenarios.cli import main

    spec = drill.district.spec
    towns = [t.model_copy(update={"name_zh": f"{NOT_GBK}溪镇"}) if t.id == "jingcheng" else t for t in spec.townships]
    district = dataclasses.replace(drill.district, spec=spec.model_copy(update={"townships": towns}))
    assert "township:jingcheng" in {i.recipient for i in drill.msel.injects}
    monkeypatch.setattr(design, "load_run", lambda *a, **kw: None)
    monkeypatch.setattr(design, "design_drill", lambda *a, **kw: dataclasses.replace(drill, district=district))
    out = tmp_path / "d"
    assert main(["drill", "chlorine-night", "--out", str(out), "-q", "--csv-encoding", "gbk"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    # the first cell that names the township: an inject's entity names or its recipient
    assert re.match(r"yingji: error: msel\.csv:\d+: column (entity_names|recipient): '䢺' \(U\+48BA\) has no GBK code; "
                    r"write the CSV with --csv-encoding utf-8-sig$", err), err
    assert not out.exists()
