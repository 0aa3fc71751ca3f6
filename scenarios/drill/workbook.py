"""Sheets of msel.xlsx as drill staff use them in Excel: headers in both languages, times as real
durations, drop-down lists on the columns that take a fixed set of values, print titles.

Excel stores a duration as a number of days; the format ``"T+"[h]:mm`` shows 0.0104 as
``T+00:15`` and keeps counting hours past 24 (``[h]``), so the times sort, subtract and sum.
Reading a workbook back, :func:`cell_text` turns such a cell (openpyxl gives a ``timedelta``), a
bare number of days or text ``T+HH:MM`` (older workbooks, hand-typed cells) into ``T+HH:MM``.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from network.cells import xlsx_text

from .catalogue import fmt_t

#: how a duration cell shows: "T+" and hours:minutes, hours running past 24
DURATION_FORMAT = '"T+"[h]:mm'
#: how the simulated clock (hours) shows
HOURS_FORMAT = '0.00" h"'
#: the hidden sheet that holds the drop-down lists
LISTS_SHEET = "列表 Lists"
#: the last row a drop-down list covers: the whole column, so rows a user adds get it too
_LAST_ROW = 1048576


def duration_days(seconds: float) -> float:
    """Seconds as an Excel duration: a number of days."""
    return float(seconds) / 86400.0


def header(zh: str, key: str, lang: str) -> str:
    """A header cell in both languages, the sheet's language first; the column key (as in
    msel.csv) is the English part, so the header reads back as its key."""
    return f"{zh}\n{key}" if lang == "zh" else f"{key}\n{zh}"


def cell_text(value: Any, column: str, time_columns: Iterable[str]) -> str:
    """A read cell as msel.csv text: durations in ``time_columns`` as ``T+HH:MM``, else ``str``."""
    if value is None:
        return ""
    if column in time_columns:
        seconds = _seconds(value)
        if seconds is not None:
            return fmt_t(seconds)
    return str(value)


def _seconds(value: Any) -> float | None:
    """Seconds of a duration cell (a timedelta, a time of day, or a number of days), else None."""
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, dt.time):
        return value.hour * 3600.0 + value.minute * 60.0 + value.second
    # a number of days; past a million (2,700 years) it is no exercise time, and it must not overflow
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and abs(value) < 1e6:
        return float(value) * 86400.0
    return None


def fill_sheet(ws: Worksheet, columns: Sequence[str], headers: Sequence[str], rows: list[Mapping[str, Any]],
               width_of: Callable[[str], float], formats: Mapping[str, str]) -> None:
    """A header row in white on blue, the rows wrapped, column widths, frozen header, filters,
    print titles; every text cell text, never a formula (names come from district files).
    ``formats`` gives the number format of a column whose cells are numbers (durations)."""
    head_font = Font(bold=True, color="FFFFFF")
    head_fill = PatternFill("solid", fgColor="1F4E79")
    for c, h in enumerate(headers, 1):
        cell = ws.cell(row=1, column=c)
        xlsx_text(cell, h)
        cell.font, cell.fill = head_font, head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[1].height = 32        # the two languages on two lines
    wrap = Alignment(wrap_text=True, vertical="top")
    for n, r in enumerate(rows, 2):
        for c, col in enumerate(columns, 1):
            cell = ws.cell(row=n, column=c)
            xlsx_text(cell, r[col])
            cell.alignment = wrap
            if col in formats and not isinstance(r[col], str):
                cell.number_format = formats[col]
    for j, col in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(j)].width = width_of(col)
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = ws.dimensions
    _print_setup(ws)


def _print_setup(ws: Worksheet) -> None:
    """Landscape, one page wide, the header row repeated on every printed page."""
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0          # as many pages down as it takes


def format_column(ws: Worksheet, column: int, number_format: str, rows: int) -> None:
    """Give rows 2 to ``rows`` + 1 of a column a number format (cells an evaluator fills in)."""
    for n in range(2, rows + 2):
        ws.cell(row=n, column=column).number_format = number_format


def lists_sheet(wb: Workbook, lists: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """A hidden sheet with one column per named list; returns each list's range formula
    (``'列表 Lists'!$A$2:$A$9``) for :func:`add_list`."""
    ws = wb.create_sheet(LISTS_SHEET)
    ws.sheet_state = "hidden"
    refs = {}
    for j, (name, values) in enumerate(lists.items(), 1):
        xlsx_text(ws.cell(row=1, column=j), name)
        for i, v in enumerate(values, 2):
            xlsx_text(ws.cell(row=i, column=j), v)
        col = get_column_letter(j)
        refs[name] = f"{quote_sheetname(LISTS_SHEET)}!${col}$2:${col}${max(len(values), 1) + 1}"
        ws.column_dimensions[col].width = 30
    return refs


def add_list(ws: Worksheet, column: int, formula: str, title: str) -> None:
    """A drop-down list on a column below its header. A value not in the list is warned about,
    not refused: ``yingji drill check`` is what judges a row, and it also takes keys."""
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, errorStyle="warning",
                        showErrorMessage=True, showInputMessage=False, errorTitle=title[:32],
                        error=f"{title}: not in the list / 不在列表中"[:255])
    col = get_column_letter(column)
    dv.add(f"{col}2:{col}{_LAST_ROW}")
    ws.add_data_validation(dv)
