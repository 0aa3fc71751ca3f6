"""Spreadsheet formula injection: network.cells, the CSV/XLSX writers and ``drill check``."""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from openpyxl import Workbook, load_workbook

from network.cells import (
    FORMULA_PREFIXES,
    csv_dict_writer,
    csv_writer,
    formula_cells,
    is_formula,
    plain_text,
    safe_text,
    xlsx_text,
)

EVIL = '=HYPERLINK("http://x","y")'
ATTACKS = [EVIL, "=cmd|' /C calc'!A0", "@SUM(1+1)", "+1+1", "-1+1", "\t=1+1", "\r=1+1", "=1+1"]
NUMBERS = ["-1.5", "+3", "2e-3", "-0", "+.5", "1E+10", "42", "-7."]


def _formula_like(value: str) -> bool:
    """A cell a spreadsheet would parse as a formula, whatever the module under test says."""
    if not value.startswith(FORMULA_PREFIXES):
        return False
    try:
        float(value)
        return False
    except ValueError:
        return True


# ------------------------------------------------------------------------------------ safe_text
@pytest.mark.parametrize("value", ATTACKS)
def test_every_formula_prefix_gets_a_quote(value):
    assert safe_text(value) == "'" + value
    assert is_formula(value) and plain_text(safe_text(value)) == value


@pytest.mark.parametrize("value", NUMBERS)
def test_plain_numbers_are_left_alone(value):
    assert safe_text(value) == value and not is_formula(value)


@pytest.mark.parametrize("value", [None, 1, -1.5, float("-inf"), True, ["=1+1"], {"a": "=1"}, b"=1+1"])
def test_non_strings_are_returned_unchanged(value):
    assert safe_text(value) is value


@pytest.mark.parametrize("value", ["", "text", "西郊镇", "T+00:30", "1.50 h", " =1", "a=b", "1-2", "'text", "'-1.5"])
def test_ordinary_text_is_left_alone(value):
    assert safe_text(value) == value and plain_text(value) == value


def test_safe_text_does_not_quote_twice():
    assert safe_text("'=already quoted") == "'=already quoted"


def test_a_number_in_another_script_is_not_a_plain_number():
    assert safe_text("-١٢") == "'-١٢"   # Arabic-Indic digits: not what the number rule means


# ------------------------------------------------------------------------------------ CSV writers
def test_csv_writer_round_trips():
    buf = io.StringIO()
    w = csv_writer(buf)
    w.writerow(["name", "=header"])
    w.writerows([[EVIL, 1.5], ["-1.5", -2], ["ok", None]])
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    assert rows == [["name", "'=header"], ["'" + EVIL, "1.5"], ["-1.5", "-2"], ["ok", ""]]
    assert not any(_formula_like(c) for r in rows for c in r)


def test_csv_dict_writer_round_trips_header_and_cells():
    buf = io.StringIO()
    w = csv_dict_writer(buf, ["name", "@col"], extrasaction="ignore")
    w.writeheader()
    w.writerow({"name": "+1+1", "@col": "-3", "extra": "=ignored"})
    w.writerows([{"name": "plain", "@col": "@SUM(1+1)"}])
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    assert rows == [["name", "'@col"], ["'+1+1", "-3"], ["plain", "'@SUM(1+1)"]]
    assert [plain_text(c) for c in rows[2]] == ["plain", "@SUM(1+1)"]


def test_csv_dict_writer_keeps_dictwriter_errors():
    with pytest.raises(ValueError):
        csv_dict_writer(io.StringIO(), ["a"]).writerow({"a": 1, "b": 2})


def test_formula_cells_of_a_read_table():
    text = "a,b\nok,=1+1\n-2,+x\nfine,fine,@extra\n"
    found = list(formula_cells(csv.DictReader(io.StringIO(text))))
    assert found == [(2, "b", "=1+1"), (3, "b", "+x"), (4, "(extra)", "@extra")]
    assert list(formula_cells([{"a": "'=1+1", "b": None, "c": 3}])) == []


# ------------------------------------------------------------------------------------ XLSX
def test_xlsx_text_stores_text_never_formulas(tmp_path):
    wb = Workbook()
    ws = wb.active
    values = [*ATTACKS, "text", 3.5, None, "-1.5"]
    for j, v in enumerate(values, 1):
        xlsx_text(ws.cell(row=1, column=j), v)
    p = tmp_path / "t.xlsx"
    wb.save(p)
    back = load_workbook(p).active
    for j, v in enumerate(values, 1):
        c = back.cell(row=1, column=j)
        # XML reads a carriage return back as a line feed (openpyxl, not this rule)
        assert c.value == (v.replace("\r", "\n") if isinstance(v, str) else v), j
        if isinstance(v, str):
            assert c.data_type == "s", (j, v)
            assert c.quotePrefix == is_formula(v)   # Excel keeps it text when the cell is edited
    assert "<f>" not in _sheet_xml(p) and "<f " not in _sheet_xml(p)


def _sheet_xml(p: Path) -> str:
    with zipfile.ZipFile(p) as z:
        return "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))


# ------------------------------------------------------------------------------------ writers end to end
def test_groups_csv_quotes_a_hostile_township(tmp_path):
    from scenarios.reports.outputs import write_groups_csv

    net = SimpleNamespace(zone_names=[(EVIL, "@SUM(1+1)")], zone=np.array([0]), lon=np.array([118.1]),
                          lat=np.array([-30.2]))
    run = SimpleNamespace(network=net, result=SimpleNamespace(groups=[{"group": 0, "node": 0, "people": -5}]))
    p = write_groups_csv(run, tmp_path / "groups.csv")
    rows = list(csv.DictReader(p.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0]["township_zh"] == "'" + EVIL and rows[0]["township_en"] == "'@SUM(1+1)"
    assert rows[0]["lat"] == "-30.2" and rows[0]["people"] == "-5"     # numbers stay numbers


def test_additions_csv_keeps_its_bom_and_quotes_names(tmp_path):
    from network.costs import write_additions_csv

    p = write_additions_csv(tmp_path / "costs.csv", [{"lever": "shelter", "site": EVIL, "amount": 2.0, "unit": "site",
                                                      "one_off_cny": -1.234, "annual_cny": 0.0, "source": "estimate"}])
    raw = p.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[1][1] == "'" + EVIL and rows[1][4] == "-1.23"


def test_events_csv_quotes_event_fields(tmp_path):
    from sim.result import RunResult

    r = RunResult.__new__(RunResult)
    r.events = [{"t_s": 1.0, "event": "arrive_shelter", "shelter": "=cmd|' /C calc'!A0", "people": -3}]
    rows = list(csv.DictReader(r.events_to_csv(tmp_path / "events.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows == [{"time_h": "0.0003", "t_s": "1.0", "event": "arrive_shelter", "node": "", "lon": "", "lat": "",
                     "people": "-3", "shelter": "'=cmd|' /C calc'!A0"}]


@pytest.fixture(scope="module")
def hostile_drill():
    """The chlorine drill on the built-in district with every township and facility renamed to a
    formula: Jingcheng, the township the gas reaches first (a recipient of injects), is
    ``=HYPERLINK("http://x","y")``."""
    from scenarios.drill.design import design_drill, load_run

    run = load_run("chlorine-night", seed=0)
    spec = run.district.spec
    prefixes = "=+-@"
    towns = [t.model_copy(update={"name_zh": EVIL if t.id == "jingcheng" else f"{prefixes[i % 4]}SUM({i}+1)",
                                  "name_en": EVIL if t.id == "jingcheng" else f"{prefixes[i % 4]}town{i}"})
             for i, t in enumerate(spec.townships)]
    facs = [f.model_copy(update={"name_zh": f"=cmd|' /C calc'!A{i}", "name_en": f"@SUM({i})"})
            for i, f in enumerate(spec.facilities)]
    district = dataclasses.replace(run.district, spec=spec.model_copy(update={"townships": towns, "facilities": facs}))
    run = dataclasses.replace(run, district=district)
    drill = design_drill(run, difficulty="easy", seed=1)
    assert "township:jingcheng" in {i.recipient for i in drill.msel.injects}
    return run, drill


def _names(drill) -> dict:
    from scenarios.drill.catalogue import entity_catalogue, recipient_catalogue

    return {**entity_catalogue(drill.district, drill.plan), **recipient_catalogue(drill.district)}


def _write_all(drill, out: Path) -> Path:
    from scenarios.drill.msel import write_evaluation_csv, write_msel_csv, write_msel_json, write_msel_xlsx

    names = _names(drill)
    out.mkdir(parents=True, exist_ok=True)
    write_msel_csv(drill.msel, names, out / "msel.csv", "en")
    write_msel_xlsx(drill.msel, names, out / "msel.xlsx")
    write_evaluation_csv(drill.msel, out / "evaluation.csv")
    write_msel_json(drill.msel, names, out / "msel.json")
    return out


def test_hostile_names_reach_no_spreadsheet_as_formulas(hostile_drill, tmp_path):
    from scenarios.drill.msel import check_msel, write_msel_csv

    run, drill = hostile_drill
    out = _write_all(drill, tmp_path / "d")
    (tmp_path / "zh").mkdir()
    text = (out / "msel.csv").read_text(encoding="utf-8-sig")
    assert "'" + EVIL.replace('"', '""') in text      # the name is there, quoted (and CSV-escaped)
    for name in ("msel.csv", "evaluation.csv"):
        for row in csv.reader((out / name).read_text(encoding="utf-8-sig").splitlines()):
            assert not any(_formula_like(c) for c in row), (name, row)
    wb = load_workbook(out / "msel.xlsx")
    cells = [c for ws in wb.worksheets for r in ws.iter_rows() for c in r if c.value is not None]
    assert not any(c.data_type == "f" for c in cells)
    assert any(c.value == EVIL and c.data_type == "s" and c.quotePrefix for c in cells)
    assert "<f>" not in _sheet_xml(out / "msel.xlsx") and "<f " not in _sheet_xml(out / "msel.xlsx")
    # the tool's own files pass the check, in every form
    for name in ("msel.csv", "msel.xlsx", "msel.json"):
        assert check_msel(out / name, run) == [], name
    zh = write_msel_csv(drill.msel, _names(drill), tmp_path / "zh" / "msel.csv", "zh")
    assert "'" + EVIL.replace('"', '""') in zh.read_text(encoding="utf-8-sig") and check_msel(zh, run) == []


def test_check_reports_a_formula_in_an_edited_msel(hostile_drill, tmp_path):
    from scenarios.drill.msel import check_msel

    run, drill = hostile_drill
    out = _write_all(drill, tmp_path / "d")
    rows = list(csv.DictReader((out / "msel.csv").read_text(encoding="utf-8-sig").splitlines()))
    rows[1]["expected_action"] = "=1+1"
    with (out / "msel.csv").open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.DictWriter(f, list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    problems = check_msel(out / "msel.csv", run)
    assert problems == ["msel.csv:3: column expected_action: '=1+1' would run as a spreadsheet formula; "
                        "start it with ' to keep it text"]

    wb = load_workbook(out / "msel.xlsx")
    wb["MSEL English"]["H4"] = "=1+1"      # typed into Excel: a formula
    wb.save(out / "msel.xlsx")
    problems = check_msel(out / "msel.xlsx", run)
    assert len(problems) == 1 and problems[0].startswith("msel.xlsx[MSEL English]:4: column H (expected_action): '=1+1'")
    assert "spreadsheet formula" in problems[0]

    data = json.loads((out / "msel.json").read_text(encoding="utf-8"))
    data["injects"][2]["action_en"] = "@SUM(1+1)"
    (out / "msel.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    problems = check_msel(out / "msel.json", run)
    assert problems == ["msel.json:inject 3: column action_en: '@SUM(1+1)' would run as a spreadsheet formula; "
                        "start it with ' to keep it text"]


def test_check_reads_xlsx_and_json_rows(hostile_drill, tmp_path):
    """An msel.xlsx and an msel.json are checked like msel.csv, not only for formulas."""
    from network.errors import InputError
    from scenarios.drill.msel import check_msel

    run, drill = hostile_drill
    out = _write_all(drill, tmp_path / "d")
    wb = load_workbook(out / "msel.xlsx")
    wb["MSEL 中文"]["G3"] = "the mayor"
    wb.save(out / "msel.xlsx")
    problems = check_msel(out / "msel.xlsx", run)
    assert len(problems) == 1 and problems[0].startswith("msel.xlsx[MSEL 中文]:3: recipient 'the mayor' is neither")
    data = json.loads((out / "msel.json").read_text(encoding="utf-8"))
    data["injects"][1]["time"] = "12:00"
    (out / "msel.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert any(p.startswith("msel.json:inject 2: time: expected T+HH:MM") for p in check_msel(out / "msel.json", run))
    (out / "bad.xlsx").write_text("not a workbook", encoding="utf-8")
    with pytest.raises(InputError, match="not an .xlsx workbook"):
        check_msel(out / "bad.xlsx", run)


def test_cli_drill_check_exits_2_on_a_formula(tmp_path, capsys):
    """``yingji drill check`` on the tool's own msel.csv passes; with ``=1+1`` typed into a cell
    it names the file, row and column on stderr and exits 2, as on any other problem."""
    from scenarios.cli import main

    out = tmp_path / "drill"
    assert main(["drill", "chlorine-night", "--difficulty", "easy", "--seed", "1", "--out", str(out), "-q"]) == 0
    assert main(["drill", "check", str(out / "msel.csv")]) == 0
    assert main(["drill", "check", str(out / "msel.xlsx")]) == 0
    assert main(["drill", "check", str(out / "msel.json")]) == 0
    capsys.readouterr()
    lines = (out / "msel.csv").read_text(encoding="utf-8-sig").splitlines()
    row = next(csv.reader([lines[2]]))
    row[3] = "=1+1"                                           # column 4: inject
    buf = io.StringIO()
    csv.writer(buf).writerow(row)
    lines[2] = buf.getvalue().rstrip("\r\n")
    (out / "msel.csv").write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    assert main(["drill", "check", str(out / "msel.csv")]) == 2
    err = capsys.readouterr().err
    assert "msel.csv:3: column inject: '=1+1' would run as a spreadsheet formula" in err
    assert main(["drill", "check", str(out / "msel.csv"), "--json"]) == 2
    assert any("column inject" in p for p in json.loads(capsys.readouterr().out)["problems"])
