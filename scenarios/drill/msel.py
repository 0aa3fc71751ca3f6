"""MSEL files: msel.csv, msel.xlsx, msel.json, evaluation.csv, and ``check_msel`` for edited copies.

msel.csv has one row per inject, first column ``time`` (``T+HH:MM`` from the start of the
exercise), text in one language; msel.xlsx holds a Chinese and an English sheet and the
evaluation checklist, headers in both languages, times as Excel durations shown ``T+[h]:mm``,
drop-down lists on the categorical columns (:mod:`.workbook`). evaluation.csv follows the HSEEP
exercise evaluation guide layout: per objective and expected action a core capability, a
critical task, a performance target, and blank columns for the evaluator's observations.

Every CSV is written in the encoding asked for (UTF-8 with a BOM by default,
:func:`network.cells.open_csv`); ``check_msel`` reads a CSV in UTF-8 (with or without a BOM) or
GBK, what Excel on Chinese Windows saves.
"""
from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from network.cells import (
    DEFAULT_CSV_ENCODING,
    csv_dict_writer,
    decode_csv,
    formula_cells,
    is_formula,
    open_csv,
    plain_text,
    safe_text,
)
from network.checks import MAX_TEXT_BYTES, language, read_bytes_file, read_text_file
from network.district import District, load_district
from network.errors import InputError
from network.model import RoadNetwork
from network.plan import Plan
from scenarios.core.inputs import load_scenario_network
from scenarios.core.plans import build_plan
from scenarios.core.runner import ScenarioRun
from scenarios.core.spec import BUILTIN_PREFIX, load_scenario
from sim.hazards import HAZARD_TYPES

from .catalogue import (
    DELIVERY,
    OBJECTIVES,
    ROLES,
    SOURCES,
    entity_catalogue,
    fmt_t,
    hazard_kinds,
    parse_t,
    recipient_catalogue,
    scenario_objectives,
)
from .design import Msel
from .workbook import (
    DURATION_FORMAT,
    HOURS_FORMAT,
    add_list,
    cell_text,
    duration_days,
    fill_sheet,
    format_column,
    header,
    lists_sheet,
)

#: msel.csv columns, in order; the first seven after ``id`` are what ``check_msel`` requires
COLUMNS = ("time", "id", "phase", "inject", "source", "delivery", "recipient", "expected_action", "target_time",
           "target_basis", "objective", "entities", "entity_names", "kind", "sim_time", "basis", "benchmark", "twist")
REQUIRED = ("time", "id", "inject", "source", "recipient", "expected_action", "target_time", "objective", "entities", "kind")
#: evaluation.csv columns (HSEEP EEG style; the last four are left blank for evaluators)
EVAL_COLUMNS = ("objective", "core_capability", "critical_task", "injects", "target_time", "performance_target",
                "simulation_benchmark", "observed_time", "met", "observations", "evaluator")
_HEADERS_ZH = {
    "time": "时间", "id": "编号", "phase": "阶段", "inject": "情景信息（注入）", "source": "信息来源", "delivery": "传递方式",
    "recipient": "接收单位", "expected_action": "预期处置行动", "target_time": "目标时限", "target_basis": "时限依据",
    "objective": "演练科目", "entities": "引用对象", "entity_names": "对象名称", "kind": "类型", "sim_time": "模拟时刻",
    "basis": "依据", "benchmark": "模拟基准", "twist": "突发变化",
}
_EVAL_HEADERS_ZH = {
    "objective": "演练科目", "core_capability": "核心能力", "critical_task": "关键任务", "injects": "相关注入",
    "target_time": "目标时限", "performance_target": "绩效目标", "simulation_benchmark": "模拟基准",
    "observed_time": "实际时刻", "met": "是否达成", "observations": "观察记录", "evaluator": "评估人",
}
#: the columns msel.xlsx holds as durations (``T+[h]:mm``), and what ``check_msel`` reads back as T+HH:MM
TIME_COLUMNS = ("time", "target_time")
#: the evaluator's verdicts offered in the Evaluation sheet's "met" column
MET_CHOICES = ("是", "部分", "否", "yes", "partly", "no")
#: HSEEP core capability per inject kind: (zh, en)
CAPABILITY: dict[str, tuple[str, str]] = {
    "startex": ("运行通信", "Operational Communications"),
    "met_bulletin": ("态势研判", "Situational Assessment"),
    "gauge_warning": ("运行协调", "Operational Coordination"),
    "gauge_peak": ("态势研判", "Situational Assessment"),
    "dike_breach": ("运行协调", "Operational Coordination"),
    "shelter_flooded": ("群众安置", "Mass Care Services"),
    "warning_needed": ("公众信息与预警", "Public Information and Warning"),
    "first_impact": ("大规模搜救", "Mass Search and Rescue Operations"),
    "fire_village": ("大规模搜救", "Mass Search and Rescue Operations"),
    "lethal_zone": ("大规模搜救", "Mass Search and Rescue Operations"),
    "call_trapped": ("大规模搜救", "Mass Search and Rescue Operations"),
    "call_casualty": ("医疗救护", "Public Health, Healthcare and Emergency Medical Services"),
    "shelter_open": ("群众安置", "Mass Care Services"),
    "shelter_full": ("群众安置", "Mass Care Services"),
    "no_shelter": ("群众安置", "Mass Care Services"),
    "stock_low": ("物资保障", "Logistics and Supply Chain Management"),
    "road_closed": ("交通保障", "Critical Transportation"),
    "fire_report": ("火灾扑救", "Fire Management and Suppression"),
    "release": ("环境应急与安全防护", "Environmental Response/Health and Safety"),
    "plume_site": ("环境应急与安全防护", "Environmental Response/Health and Safety"),
    "twist_team_unavailable": ("运行协调", "Operational Coordination"),
    "twist_road_early": ("交通保障", "Critical Transportation"),
    "twist_comms_outage": ("运行通信", "Operational Communications"),
    "twist_shelter_overflow": ("群众安置", "Mass Care Services"),
    "twist_second_ignition": ("火灾扑救", "Fire Management and Suppression"),
    "twist_wind_shift": ("环境应急与安全防护", "Environmental Response/Health and Safety"),
}


def _label(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    """``key``'s name in ``lang`` from a ``key -> (zh, en)`` table (the key itself when unknown)."""
    zh, en = table.get(key, (key, key))
    return zh if lang == "zh" else en


def _phase_label(msel: Msel, key: str, lang: str) -> str:
    """The name of phase ``key`` in ``lang``."""
    for p in msel.phases:
        if p.key == key:
            return p.zh if lang == "zh" else p.en
    return key


def msel_rows(msel: Msel, names: dict[str, tuple[str, str]], lang: str = "zh") -> list[dict[str, str]]:
    """The MSEL as rows of text (one language), in :data:`COLUMNS` order."""
    language(lang)
    rows = []
    for i in msel.injects:
        rows.append({
            "time": fmt_t(i.t_s), "id": i.id, "phase": _phase_label(msel, i.phase, lang),
            "inject": i.text("inject", lang), "source": _label(SOURCES, i.source, lang),
            "delivery": _label(DELIVERY, i.delivery, lang), "recipient": _label(names, i.recipient, lang),
            "expected_action": i.text("action", lang), "target_time": fmt_t(i.target_s),
            "target_basis": i.text("target_basis", lang), "objective": _label(OBJECTIVES, i.objective, lang),
            "entities": "; ".join(i.entities), "entity_names": "; ".join(_label(names, e, lang) for e in i.entities),
            "kind": i.kind, "sim_time": f"{(msel.start_s + i.t_s) / 3600.0:.2f} h", "basis": i.basis,
            "benchmark": i.text("benchmark", lang), "twist": i.twist,
        })
    return rows


def evaluation_rows(msel: Msel, lang: str = "zh") -> list[dict[str, str]]:
    """One row per objective and expected action (inject kind), HSEEP EEG style."""
    groups: dict[tuple[str, str], list] = {}
    for i in msel.injects:
        if i.kind == "endex":
            continue
        groups.setdefault((i.objective, i.kind), []).append(i)
    rows = []
    for obj in msel.objectives:
        for (o, kind), items in groups.items():
            if o != obj:
                continue
            first = min(items, key=lambda x: x.t_s)
            delay = first.target_s - first.t_s
            measure = (f"{first.text('target_basis', lang)}（每条注入后 {delay / 60:.0f} 分钟内）" if lang == "zh"
                       else f"{first.text('target_basis', lang)} (within {delay / 60:.0f} min of each inject)")
            bench = "; ".join(x.text("benchmark", lang) for x in items if x.text("benchmark", lang))
            rows.append({
                "objective": _label(OBJECTIVES, obj, lang), "core_capability": _label(CAPABILITY, kind, lang),
                "critical_task": first.text("action", lang), "injects": " ".join(x.id for x in items),
                "target_time": fmt_t(first.target_s), "performance_target": measure, "simulation_benchmark": bench,
                "observed_time": "", "met": "", "observations": "", "evaluator": "",
            })
    return rows


def _write_csv(path: Path, columns: Iterable[str], rows: list[dict[str, str]], encoding: str) -> Path:
    """Write ``rows`` under a header of ``columns`` in ``encoding``, no cell a spreadsheet formula."""
    with open_csv(path, encoding) as f:
        w = csv_dict_writer(f, list(columns))
        w.writeheader()
        w.writerows(rows)
    return path


def write_msel_csv(msel: Msel, names: dict[str, tuple[str, str]], path: str | Path, lang: str = "zh", *,
                   encoding: str = DEFAULT_CSV_ENCODING) -> Path:
    """Write msel.csv: one row per inject, in :data:`COLUMNS` order, text in one language.

    Parameters
    ----------
    msel
        The exercise script.
    names
        Entity and recipient key -> ``(zh, en)`` (:func:`~.catalogue.entity_catalogue` and
        :func:`~.catalogue.recipient_catalogue`).
    path
        The file to write.
    lang
        "zh" or "en".
    encoding
        One of :data:`network.cells.CSV_ENCODINGS` (default UTF-8 with a BOM).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputError
        ``lang`` is neither "zh" nor "en", or a name has no code in ``encoding``.
    """
    return _write_csv(Path(path), COLUMNS, msel_rows(msel, names, lang), encoding)


def write_evaluation_csv(msel: Msel, path: str | Path, lang: str = "zh", *, encoding: str = DEFAULT_CSV_ENCODING) -> Path:
    """Write evaluation.csv: the HSEEP-style checklist, one row per objective and expected action.

    Parameters
    ----------
    msel
        The exercise script.
    path
        The file to write.
    lang
        "zh" or "en".
    encoding
        One of :data:`network.cells.CSV_ENCODINGS` (default UTF-8 with a BOM).

    Returns
    -------
    Path
        ``path``.
    """
    return _write_csv(Path(path), EVAL_COLUMNS, evaluation_rows(msel, lang), encoding)


def write_msel_json(msel: Msel, names: dict[str, tuple[str, str]], path: str | Path) -> Path:
    """Write msel.json: the whole MSEL, the names of the entities and recipients it uses, and the
    msel.csv columns (``check_msel`` reads it to find the scenario). Inject texts that would run
    as spreadsheet formulas carry a leading ``'``, as in msel.csv.

    Parameters
    ----------
    msel
        The exercise script.
    names
        Entity and recipient key -> ``(zh, en)``.
    path
        The file to write.

    Returns
    -------
    Path
        ``path``.
    """
    d = msel.to_dict()
    # the injects are msel.csv's cells in both languages: the same rule as the CSV writer, so a
    # name such as "=HYPERLINK(...)" reaches no spreadsheet that imports the file as a formula
    d["injects"] = [{k: safe_text(v) for k, v in inj.items()} for inj in d["injects"]]
    used = sorted({e for i in msel.injects for e in i.entities} | {i.recipient for i in msel.injects})
    d["names"] = {k: {"zh": names[k][0], "en": names[k][1]} for k in used if k in names}
    d["columns"] = list(COLUMNS)
    Path(path).write_text(json.dumps(d, ensure_ascii=False, indent=1), encoding="utf-8")
    return Path(path)


#: msel.xlsx column widths (characters)
_XLSX_WIDTHS = {"time": 9, "id": 7, "phase": 14, "inject": 50, "source": 18, "delivery": 14, "recipient": 20,
                "expected_action": 50, "target_time": 10, "target_basis": 28, "objective": 14, "entities": 30,
                "entity_names": 30, "kind": 16, "sim_time": 10, "basis": 18, "benchmark": 32, "twist": 14}


def write_msel_xlsx(msel: Msel, names: dict[str, tuple[str, str]], path: str | Path) -> Path:
    """Write msel.xlsx, a workbook for drill staff: MSEL in Chinese, MSEL in English, the
    evaluation checklist (both languages); twist rows are shaded.

    Every sheet has headers in both languages, a frozen header row repeated on each printed
    page, times as Excel durations (``T+[h]:mm``) and drop-down lists on the columns with a fixed
    set of values (source, delivery, recipient, objective, kind; the evaluator's "met"), kept on
    a hidden sheet.

    Parameters
    ----------
    msel
        The exercise script.
    names
        Entity and recipient key -> ``(zh, en)``.
    path
        The file to write.

    Returns
    -------
    Path
        ``path``.
    """
    wb = Workbook()
    refs = lists_sheet(wb, _xlsx_lists(msel, names))
    twist_fill = PatternFill("solid", fgColor="FCE4D6")
    for k, lang in enumerate(("zh", "en")):
        ws = wb.active if k == 0 else wb.create_sheet(index=k)
        ws.title = "MSEL 中文" if lang == "zh" else "MSEL English"
        rows = _xlsx_rows(msel, names, lang)
        fill_sheet(ws, COLUMNS, [header(_HEADERS_ZH[c], c, lang) for c in COLUMNS], rows,
                   lambda c: _XLSX_WIDTHS.get(c, 14), {"time": DURATION_FORMAT, "target_time": DURATION_FORMAT,
                                                        "sim_time": HOURS_FORMAT})
        for col in ("source", "delivery", "recipient", "objective", "kind"):
            add_list(ws, COLUMNS.index(col) + 1, refs[_list_name(col, lang if col != "kind" else "")],
                     f"{_HEADERS_ZH[col]} {col}")
        for r, row in enumerate(rows, 2):
            if row["twist"]:
                for c in range(1, len(COLUMNS) + 1):
                    ws.cell(row=r, column=c).fill = twist_fill
    _evaluation_sheet(wb.create_sheet("评估 Evaluation", index=2), msel, refs[_list_name("met")])
    wb.save(path)
    return Path(path)


def _xlsx_rows(msel: Msel, names: dict[str, tuple[str, str]], lang: str) -> list[dict[str, Any]]:
    """:func:`msel_rows` with the times as numbers: durations in days, the simulated clock in
    hours (a time before T+00:00 stays text: Excel shows no negative duration)."""
    rows: list[dict[str, Any]] = msel_rows(msel, names, lang)
    for row, i in zip(rows, msel.injects):
        for col, seconds in (("time", i.t_s), ("target_time", i.target_s)):
            if seconds >= 0:
                # whole minutes rounded half up, as fmt_t shows them in msel.csv
                row[col] = duration_days(math.floor(seconds / 60.0 + 0.5) * 60.0)
        row["sim_time"] = round((msel.start_s + i.t_s) / 3600.0, 4)
    return rows


def _list_name(column: str, lang: str = "") -> str:
    """A drop-down list's name, its header on the hidden sheet: "信息来源 source (zh)", "类型 kind"."""
    zh = {**_HEADERS_ZH, **_EVAL_HEADERS_ZH}[column]
    return f"{zh} {column}" + (f" ({lang})" if lang else "")


def _xlsx_lists(msel: Msel, names: dict[str, tuple[str, str]]) -> dict[str, list[str]]:
    """The drop-down lists: per language the sources, channels, recipients and objectives by
    name; the inject kinds; the evaluator's verdicts."""
    recipients = {k: v for k, v in names.items() if k in ROLES or k.startswith("township:")}
    lists: dict[str, list[str]] = {}
    for n, lang in enumerate(("zh", "en")):
        for col, table in (("source", SOURCES), ("delivery", DELIVERY), ("recipient", recipients),
                           ("objective", OBJECTIVES)):
            lists[_list_name(col, lang)] = list(dict.fromkeys(v[n] for v in table.values()))
    lists[_list_name("kind")] = list(dict.fromkeys([*CAPABILITY, "endex", *(i.kind for i in msel.injects)]))
    lists[_list_name("met")] = list(MET_CHOICES)
    return lists


def _evaluation_sheet(ws: Worksheet, msel: Msel, met_list: str) -> None:
    """The HSEEP checklist in both languages (Chinese rows, then English), target times as
    durations, the observed time formatted for one, a drop-down on "met"."""
    rows: list[dict[str, Any]] = evaluation_rows(msel, "zh") + evaluation_rows(msel, "en")
    for row in rows:
        seconds = parse_t(row["target_time"])
        if seconds >= 0:                  # Excel shows no negative duration: such a time stays text
            row["target_time"] = duration_days(seconds)
    wide = ("critical_task", "performance_target", "simulation_benchmark", "observations")
    fill_sheet(ws, EVAL_COLUMNS, [header(_EVAL_HEADERS_ZH[c], c, "zh") for c in EVAL_COLUMNS], rows,
               lambda c: 40 if c in wide else 16, {"target_time": DURATION_FORMAT})
    format_column(ws, EVAL_COLUMNS.index("observed_time") + 1, DURATION_FORMAT, len(rows))
    add_list(ws, EVAL_COLUMNS.index("met") + 1, met_list, "是否达成 met")


# ---------------------------------------------------------------------------------------------
# checking an edited MSEL


def _reverse(table: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Key, Chinese name, English name and its lower case -> key."""
    out = {}
    for k, (zh, en) in table.items():
        out[k] = k
        out[zh] = k
        out[en] = k
        out[en.lower()] = k
    return out


def _source_of(meta: dict) -> str | None:
    """The scenario an msel.json came from: its file if it still exists, else its built-in name."""
    src = str(meta.get("source") or "")
    if src.startswith(BUILTIN_PREFIX):
        return src[len(BUILTIN_PREFIX):]
    if src and Path(src).is_file():
        return src
    return meta.get("scenario") or None


def _sidecar(path: Path) -> dict[str, Any]:
    """The msel.json next to ``path`` ({} when there is none or it does not read)."""
    sidecar = path.with_name("msel.json")
    if not sidecar.exists():
        return {}
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError, OSError):
        return {}
    if not isinstance(meta, dict):
        return {}
    # only well-formed entries count: an edited sidecar cannot steer the check with odd values
    objs = meta.get("objectives")
    if not (isinstance(objs, list) and all(isinstance(o, str) for o in objs)):
        meta.pop("objectives", None)
    dur = meta.get("duration_s")
    if not (isinstance(dur, (int, float)) and not isinstance(dur, bool) and math.isfinite(dur) and dur > 0):
        meta.pop("duration_s", None)
    if not isinstance(meta.get("source"), (str, type(None))) or not isinstance(meta.get("scenario"), (str, type(None))):
        meta.pop("source", None)
        meta.pop("scenario", None)
    return meta


def _district_of(source: District | RoadNetwork) -> District:
    """The district model an MSEL names places of; a bare road network has none to check against."""
    if not isinstance(source, District):
        raise InputError("drill check: the scenario runs on a bare road network; an MSEL names the townships, "
                         "facilities and shelters of a district model (the built-in district, a district .toml or a manifest)")
    return source


def _context(path: Path, scenario: str | Path | ScenarioRun | None) -> tuple[District, Plan, list[str] | None, float | None]:
    """(district, plan, objectives or None, duration_s or None) to check against."""
    meta = _sidecar(path)
    if isinstance(scenario, ScenarioRun):
        return _district_of(scenario.district), scenario.plan, scenario_objectives(hazard_kinds(scenario.hazards)), None
    name = scenario if scenario is not None else _source_of(meta)
    if name:
        sc = load_scenario(name)
        district = _district_of(load_scenario_network(sc))
        plan, _ = build_plan(sc, district, None)
        # the scenario's [hazards] sections are the fields named by the registry's kinds
        objectives = scenario_objectives([t.kind for t in HAZARD_TYPES if getattr(sc.hazards, t.kind) is not None])
        if scenario is None and meta.get("objectives"):
            objectives = list(meta["objectives"])
        return district, plan, objectives, meta.get("duration_s") if scenario is None else None
    district = load_district()
    return district, Plan.existing(district), meta.get("objectives"), meta.get("duration_s")


@dataclass(frozen=True)
class _Known:
    """What the rows of an MSEL may reference: entity keys, and recipients and objectives by key
    or name."""

    entities: dict[str, tuple[str, str]]
    recipients: dict[str, str]
    objectives: dict[str, str]


def check_msel(path: str | Path, scenario: str | Path | ScenarioRun | None = None) -> list[str]:
    """Problems in an (edited) msel.csv, msel.xlsx or msel.json, one line each with its place.

    Checks: cells a spreadsheet would run as formulas (a name such as ``=HYPERLINK(...)``);
    required columns; ``time`` and ``target_time`` as T+HH:MM, times in order, inside the
    exercise (T+00:00 to the ENDEX row) and targets not before their inject; unique ids;
    recipients, objectives and entity references that exist in the scenario's district and plan;
    every objective of the exercise has at least one inject. An msel.xlsx is checked sheet by
    sheet (each MSEL sheet in full, every sheet for formulas); an msel.json inject by inject.

    Parameters
    ----------
    path
        The msel.csv (UTF-8, with or without a BOM, or GBK), msel.xlsx (times as durations or
        T+HH:MM text) or msel.json (by its suffix).
    scenario
        A scenario name or file, or a ScenarioRun, to check against; None: the scenario named
        in msel.json next to the file, else the built-in district with today's plan.

    Returns
    -------
    list of str
        ``file:line: problem`` lines (``msel.xlsx[sheet]:row: ...``, ``msel.json:inject N: ...``);
        [] when the file is sound.

    Raises
    ------
    InputError
        The file does not exist or does not read (neither UTF-8 nor GBK text, not a workbook,
        not JSON), or
        the scenario does not load.
    """
    path = Path(path)
    tables, problems = _read_tables(path)
    for t in tables:
        problems += _header_problems(t.name, t.header) if t.header is not None else []
    tables = [t for t in tables if t.header is None or all(c in t.header for c in REQUIRED)]
    if not tables:
        return problems
    district, plan, objectives, duration_s = _context(path, scenario)
    if objectives is not None:
        # an edited msel.json may name objectives the tool does not have: say so, check the rest
        unknown = [o for o in objectives if o not in OBJECTIVES]
        problems += [f"{path.with_name('msel.json').name}: objectives: {o!r} is not an exercise objective "
                     f"(known: {', '.join(OBJECTIVES)})" for o in unknown]
        objectives = [o for o in objectives if o in OBJECTIVES]
    known = _Known(entity_catalogue(district, plan), _reverse(recipient_catalogue(district)), _reverse(OBJECTIVES))
    for t in tables:
        problems += _table_problems(t, known, objectives, duration_s)
    return problems


def _table_problems(t: _Table, known: _Known, objectives: list[str] | None, duration_s: float | None) -> list[str]:
    """The problems of one table's rows: ENDEX, every row, objectives without injects."""
    if not t.rows:
        return [f"{t.name}: no injects"]
    problems = []
    end = _end_of(t.rows, duration_s)
    if end is None:
        problems.append(f"{t.name}: no ENDEX row (kind = endex): the end of the exercise is unknown")
    found, covered = _rows_problems(t, end, known)
    problems += found
    for o in objectives or []:
        if o not in covered:
            problems.append(f"{t.name}: objective {OBJECTIVES[o][0]} {OBJECTIVES[o][1]} has no inject")
    return problems


@dataclass(frozen=True)
class _Table:
    """The injects of one MSEL table as msel.csv rows, and how problems name each row."""

    name: str                     # "msel.csv", "msel.xlsx[MSEL English]", "msel.json"
    header: list[str] | None      # None: the table has no header row (msel.json)
    rows: list[dict[str, str]]
    wheres: list[str]             # per row: the start of its problem lines, "msel.csv:5"
    refs: list[str]               # per row: how another row's problem names it, "line 5"


def _formula_problem(where: str, column: str, value: str, fix: str) -> str:
    """A cell that would run as a spreadsheet formula (long values cut short)."""
    shown = value if len(value) <= 60 else value[:57] + "..."
    return f"{where}: column {column}: {shown!r} would run as a spreadsheet formula; {fix}"


def _regular_file(path: Path) -> None:
    """An InputError unless ``path`` is a regular file of a size yingji reads."""
    if not path.is_file():
        raise InputError(f"{path}: expected an MSEL (CSV, XLSX or JSON), found {'a folder' if path.is_dir() else 'not a regular file'}")
    if path.stat().st_size > MAX_TEXT_BYTES:
        raise InputError(f"{path}: larger than {MAX_TEXT_BYTES // 2**20} MiB; not an MSEL")


def _read_tables(path: Path) -> tuple[list[_Table], list[str]]:
    """The MSEL tables of ``path`` (by suffix) and the formula problems of its cells."""
    if not path.exists():
        raise InputError(f"{path}: MSEL file not found")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix == ".json":
        return _read_json(path)
    return _read_msel(path)


def _read_msel(path: Path) -> tuple[list[_Table], list[str]]:
    """An msel.csv as a table, and its cells that would run as formulas (InputError when it is
    neither UTF-8 nor GBK, what Excel on Chinese Windows saves a CSV in)."""
    text, _ = decode_csv(read_bytes_file(path, "an MSEL (CSV, XLSX or JSON)"), str(path))
    text = text.removeprefix("\ufeff")
    # rows end at CR/LF only: a line separator (U+2028) inside a cell stays in its cell
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = list(reader.fieldnames or [])
        raw = list(reader)
    except csv.Error as exc:
        raise InputError(f"{path}: line {reader.line_num}: not a readable CSV row ({exc})") from None
    fix = "start it with ' to keep it text"
    problems = [_formula_problem(f"{path.name}:1", repr(h), h, fix) for h in header if is_formula(h)]
    problems += [_formula_problem(f"{path.name}:{n}", col, v, fix) for n, col, v in formula_cells(raw)]
    # the writers quote formula-like names ("'=x"); the district's name is the text after the quote
    rows = [{k: plain_text(v) for k, v in r.items()} for r in raw]
    lines = range(2, len(rows) + 2)
    return [_Table(path.name, header, rows, [f"{path.name}:{n}" for n in lines], [f"line {n}" for n in lines])], problems


def _column_key(head: Any) -> str:
    """An msel.xlsx header cell's column key: "时间\ntime", "time\n时间" (headers in both
    languages) and "时间 time" (older workbooks) -> "time"; an unknown header as it is."""
    text = "" if head is None else str(head).strip()
    return next((w for w in text.split() if w in COLUMNS), text)


def _read_xlsx(path: Path) -> tuple[list[_Table], list[str]]:
    """The MSEL sheets of an msel.xlsx as tables (header keys as in msel.csv), and every sheet's
    formula cells."""
    import zlib
    from xml.etree.ElementTree import ParseError
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    _regular_file(path)
    try:
        wb = load_workbook(path)
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError, zlib.error, ParseError) as exc:
        raise InputError(f"{path}: not an .xlsx workbook ({exc})") from None
    tables, problems = [], []
    for ws in wb.worksheets:
        name = f"{path.name}[{ws.title}]"
        header = [_column_key(c.value) for c in next(ws.iter_rows(max_row=1), ())]
        rows, lines = [], []
        for cells in ws.iter_rows():
            for c in cells:
                # a formula cell holds its formula as "=..."; a text cell is text whatever it starts with
                if c.data_type == "f":
                    col = header[c.column - 1] if c.column <= len(header) and header[c.column - 1] else "?"
                    formula = getattr(c.value, "text", None) or str(c.value)  # an array formula keeps it in .text
                    problems.append(_formula_problem(f"{name}:{c.row}", f"{c.column_letter} ({col})", formula,
                                                     "enter it as text (start it with ')"))
            # a time is a duration cell (msel.xlsx), a number of days, or T+HH:MM text (older workbooks)
            values = [cell_text(c.value, header[c.column - 1] if c.column <= len(header) else "", TIME_COLUMNS)
                      for c in cells]
            if cells and cells[0].row > 1 and any(v.strip() for v in values):
                rows.append({h: plain_text(v) for h, v in zip(header, values) if h})
                lines.append(cells[0].row)
        if "time" in header or "inject" in header:  # an MSEL sheet (the evaluation sheet has neither)
            tables.append(_Table(name, header, rows, [f"{name}:{n}" for n in lines], [f"row {n}" for n in lines]))
    return tables, problems


def _read_json(path: Path) -> tuple[list[_Table], list[str]]:
    """An msel.json's injects as msel.csv rows (keys for recipients and objectives, a text
    counted only when both languages have it), and the inject texts that would run as formulas
    once in a spreadsheet."""
    try:
        data = json.loads(read_text_file(path, "an MSEL (CSV, XLSX or JSON)"))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{path}: not an MSEL JSON file ({exc})") from None
    injects = data.get("injects") if isinstance(data, dict) else None
    if not isinstance(injects, list) or not all(isinstance(i, dict) for i in injects):
        raise InputError(f"{path}: not an MSEL JSON file (no list of injects)")
    text = lambda i, k: "" if i.get(k) is None else str(i.get(k))
    both = lambda i, k: text(i, f"{k}_zh") if text(i, f"{k}_zh").strip() and text(i, f"{k}_en").strip() else ""
    rows, problems = [], []
    for n, i in enumerate(injects, 1):
        for k, v in i.items():
            for x in (v if isinstance(v, list) else [v]):
                if is_formula(x):
                    problems.append(_formula_problem(f"{path.name}:inject {n}", k, x, "start it with ' to keep it text"))
        ents = i.get("entities")
        rows.append({k: plain_text(v) for k, v in {
            "time": text(i, "time"), "id": text(i, "id"), "phase": text(i, "phase"), "inject": both(i, "inject"),
            "source": text(i, "source"), "delivery": text(i, "delivery"), "recipient": text(i, "recipient"),
            "expected_action": both(i, "action"), "target_time": text(i, "target_time"),
            "objective": text(i, "objective"), "kind": text(i, "kind"),
            "entities": "; ".join(map(str, ents)) if isinstance(ents, list) else text(i, "entities"),
        }.items()})
    wheres = [f"{path.name}:inject {n}" for n in range(1, len(rows) + 1)]
    return [_Table(path.name, None, rows, wheres, [f"inject {n}" for n in range(1, len(rows) + 1)])], problems


def _header_problems(name: str, header: list[str]) -> list[str]:
    """Missing required columns, columns the MSEL does not have, and a first column that is not ``time``."""
    problems = []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.append(f"{name}:1: missing column(s) {', '.join(missing)} (found: {', '.join(header) or 'none'})")
    unknown = [c for c in header if c and c not in COLUMNS]
    if unknown:
        problems.append(f"{name}:1: unknown column(s) {', '.join(map(repr, unknown))}; an MSEL has {', '.join(COLUMNS)}")
    if header and header[0] != "time":
        problems.append(f"{name}:1: the first column must be 'time', found {header[0]!r}")
    return problems


def _end_of(rows: list[dict[str, str]], duration_s: float | None) -> float | None:
    """The end of the exercise: the last readable ENDEX row's time, else ``duration_s``."""
    end = None
    for row in rows:
        if (row.get("kind") or "").strip() == "endex":
            try:
                end = parse_t(row["time"])
            except ValueError:
                pass  # an unreadable ENDEX time is reported with its line in the row checks
    return end if end is not None else (float(duration_s) if duration_s is not None else None)


def _rows_problems(t: _Table, end: float | None, known: _Known) -> tuple[list[str], set[str]]:
    """Problems of every row, and the objectives the rows but ENDEX cover."""
    problems: list[str] = []
    covered: set[str] = set()
    seen_ids: dict[str, str] = {}
    prev: tuple[float, str] | None = None
    for where, ref, row in zip(t.wheres, t.refs, t.rows):
        problems += _id_problems(where, row, ref, seen_ids)
        tm, found = _time_problems(where, row, end, prev)
        problems += found
        if tm is not None:
            prev = (tm, ref)
        problems += _content_problems(where, row, known, covered)
    return problems, covered


def _id_problems(where: str, row: dict[str, str], ref: str, seen_ids: dict[str, str]) -> list[str]:
    """An empty or repeated id (``seen_ids`` records where each id was first, "line 4")."""
    rid = (row.get("id") or "").strip()
    if not rid:
        return [f"{where}: id is empty"]
    if rid in seen_ids:
        return [f"{where}: id {rid!r} repeats {seen_ids[rid]}"]
    seen_ids[rid] = ref
    return []


def _time_problems(where: str, row: dict[str, str], end: float | None,
                   prev: tuple[float, str] | None) -> tuple[float | None, list[str]]:
    """The row's time (None: unreadable) and its problems: unreadable, outside the exercise,
    earlier than the row before (``prev``: its time and "line N"), a target before the inject."""
    problems = []
    t = None
    try:
        t = parse_t(row.get("time", ""))
    except ValueError as exc:
        problems.append(f"{where}: time: {exc}")
    if t is not None:
        if t < 0:
            problems.append(f"{where}: time {row['time']} is before the start of the exercise (T+00:00)")
        if end is not None and t > end:
            problems.append(f"{where}: time {row['time']} is after the end of the exercise ({fmt_t(end)})")
        if prev is not None and t < prev[0]:
            problems.append(f"{where}: time {row['time']} is earlier than {prev[1]} ({fmt_t(prev[0])}): times must be in order")
    try:
        tt = parse_t(row.get("target_time", ""))
        if t is not None and tt < t:
            problems.append(f"{where}: target_time {row['target_time']} is before the inject's time {row['time']}")
    except ValueError as exc:
        problems.append(f"{where}: target_time: {exc}")
    return t, problems


def _content_problems(where: str, row: dict[str, str], known: _Known, covered: set[str]) -> list[str]:
    """Empty texts, unknown recipient, objective or entities; adds the row's objective to ``covered``."""
    problems = [f"{where}: {col} is empty" for col in ("inject", "expected_action", "source")
                if not (row.get(col) or "").strip()]
    rec = (row.get("recipient") or "").strip()
    if rec not in known.recipients and rec.lower() not in known.recipients:
        problems.append(f"{where}: recipient {rec!r} is neither a role ({', '.join(ROLES)}) nor a township of the district")
    obj = (row.get("objective") or "").strip()
    key = known.objectives.get(obj) or known.objectives.get(obj.lower())
    if key is None:
        problems.append(f"{where}: objective {obj!r} is not one of the drill types "
                        f"({', '.join(f'{zh} {en}' for zh, en in OBJECTIVES.values())})")
    elif (row.get("kind") or "").strip() != "endex":
        covered.add(key)
    for ref in filter(None, (x.strip() for x in (row.get("entities") or "").split(";"))):
        if ref not in known.entities:
            problems.append(f"{where}: entity {ref!r} does not exist in the scenario{_entity_hint(ref, known.entities)}")
    return problems


def _entity_hint(ref: str, entities: dict[str, tuple[str, str]]) -> str:
    """The known entities of ``ref``'s kind (the first 12), or the entity kinds when none."""
    kind = ref.split(":", 1)[0]
    known = sorted(k.split(":", 1)[1] for k in entities if k.startswith(kind + ":"))
    if known:
        return f"; known {kind}s: {', '.join(known[:12])}{' …' if len(known) > 12 else ''}"
    return f"; entity kinds: {', '.join(sorted({k.split(':', 1)[0] for k in entities}))}"
