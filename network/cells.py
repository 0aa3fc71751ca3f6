"""Spreadsheet cells that never run: the one rule every CSV and XLSX writer of the project applies.

Township, facility and scenario names come from district files anyone can write. A CSV cell
that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before parsing) is read by Excel, LibreOffice and Google Sheets as a formula:
``=HYPERLINK(...)`` leaks data, ``=cmd|' /C calc'!A0`` runs a program (DDE). OWASP's rule
(https://owasp.org/www-community/attacks/CSV_Injection) is to put a single quote in front of
such a cell, which every spreadsheet shows as text. openpyxl, for its part, stores any string
that starts with ``=`` as a formula, so XLSX cells are typed as text explicitly.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

#: the first characters that make a spreadsheet parse a cell as a formula (OWASP)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# a plain number ("-1.5", "+3", "2e-3") cannot be a formula; quoting it would turn a number
# column into text. ASCII digits only: "\d" would let other scripts' digits through.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def is_formula(value: Any) -> bool:
    """Whether ``value`` is a string a spreadsheet would parse as a formula."""
    return (isinstance(value, str) and value.startswith(FORMULA_PREFIXES)
            and _NUMBER.fullmatch(value) is None)


def safe_text(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is a string a spreadsheet would run as a formula.

    Plain numbers ("-1.5") and non-strings are returned unchanged.
    """
    return "'" + value if is_formula(value) else value


def plain_text(value: Any) -> Any:
    """The inverse of :func:`safe_text`: a quoted formula-like string without its quote.

    Checks of files the project wrote compare names with the district's; the quote was added
    on writing and is no part of the name.
    """
    if isinstance(value, str) and value.startswith("'") and is_formula(value[1:]):
        return value[1:]
    return value


class _SafeWriter:
    """``csv.writer`` whose rows pass through :func:`safe_text`."""

    def __init__(self, f: Any, **kw: Any) -> None:
        self._w = csv.writer(f, **kw)
        self.dialect = self._w.dialect

    def writerow(self, row: Iterable[Any]) -> Any:
        """Write one row, every cell made safe."""
        return self._w.writerow([safe_text(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write rows, every cell made safe."""
        for row in rows:
            self.writerow(row)


class _SafeDictWriter:
    """``csv.DictWriter`` whose header and rows pass through :func:`safe_text`."""

    def __init__(self, f: Any, fieldnames: Iterable[str], **kw: Any) -> None:
        self.fieldnames = list(fieldnames)
        self._w = csv.DictWriter(f, self.fieldnames, **kw)

    def writeheader(self) -> Any:
        """Write the header row; a column name is a cell like any other."""
        return self._w.writerow({k: safe_text(k) for k in self.fieldnames})

    def writerow(self, row: Mapping[str, Any]) -> Any:
        """Write one row, every value made safe (``extrasaction`` applies as for DictWriter)."""
        return self._w.writerow({k: safe_text(v) for k, v in row.items()})

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Write rows, every value made safe."""
        for row in rows:
            self.writerow(row)


def csv_writer(f: Any, **kw: Any) -> _SafeWriter:
    """A ``csv.writer(f, **kw)`` that writes every cell through :func:`safe_text`."""
    return _SafeWriter(f, **kw)


def csv_dict_writer(f: Any, fieldnames: Iterable[str], **kw: Any) -> _SafeDictWriter:
    """A ``csv.DictWriter(f, fieldnames, **kw)`` that writes the header and every cell through
    :func:`safe_text`."""
    return _SafeDictWriter(f, fieldnames, **kw)


def formula_cells(rows: Iterable[Mapping[Any, Any]]) -> Iterator[tuple[int, str, str]]:
    """``(row, column, value)`` of every cell of a read table that would run as a formula.

    ``rows`` are dicts as ``csv.DictReader`` gives them; rows are numbered from 2, as a
    spreadsheet shows them under a header in row 1. Cells beyond the header (DictReader's
    ``None`` key, a list) are reported under the column name "(extra)".
    """
    for n, row in enumerate(rows, 2):
        for col, value in row.items():
            values = value if isinstance(value, list) else [value]
            for v in values:
                if is_formula(v):
                    yield n, "(extra)" if col is None else str(col), v


def xlsx_text(cell: Any, value: Any) -> None:
    """Set an openpyxl cell to ``value``, a string always as text and never as a formula."""
    cell.value = value
    if isinstance(value, str):
        # openpyxl types any str starting with "=" as a formula ("f"); "s" writes it as a string
        cell.data_type = "s"
        if is_formula(value):
            # Excel's "quote prefix": re-entering the cell by hand keeps it text
            cell.quotePrefix = True
