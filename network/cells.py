"""Spreadsheet cells that never run: the one rule every CSV and XLSX writer of the project applies.

Township, facility and scenario names come from district files anyone can write. A CSV cell
that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before parsing) is read by Excel, LibreOffice and Google Sheets as a formula:
``=HYPERLINK(...)`` leaks data, ``=cmd|' /C calc'!A0`` runs a program (DDE). OWASP's rule
(https://owasp.org/www-community/attacks/CSV_Injection) is to put a single quote in front of
such a cell, which every spreadsheet shows as text. openpyxl, for its part, stores any string
that starts with ``=`` as a formula, so XLSX cells are typed as text explicitly.

The encoding of every CSV is chosen here too (:func:`open_csv`): UTF-8 with a byte-order mark
by default, because Excel opens a CSV without one in the system's code page (GBK on Chinese
Windows) and shows UTF-8 Chinese as garbage; plain UTF-8 for tools that do not skip a BOM; GBK
for old Excel macros and systems that read nothing else. :func:`decode_csv` reads what a user's
Excel saves back (UTF-8 with or without a BOM, or GBK).
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from .errors import InputError

#: the encodings a CSV may be written in (``--csv-encoding``); the first is the default
CSV_ENCODINGS = ("utf-8-sig", "utf-8", "gbk")
DEFAULT_CSV_ENCODING = CSV_ENCODINGS[0]
#: what a CSV the user saved may be in, tried in this order: UTF-8 (a BOM is skipped), then
#: GBK, what Excel on Chinese Windows saves "CSV" in
READ_ENCODINGS = ("utf-8-sig", "gbk")

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


def check_csv_encoding(encoding: str) -> str:
    """``encoding`` itself when it is one of :data:`CSV_ENCODINGS`; an InputError otherwise."""
    if encoding not in CSV_ENCODINGS:
        raise InputError(f"--csv-encoding: expected one of {', '.join(CSV_ENCODINGS)}, found {encoding!r}")
    return encoding


@contextmanager
def open_csv(path: str | Path, encoding: str = DEFAULT_CSV_ENCODING) -> Iterator[IO[str]]:
    """``path`` opened for writing a CSV in ``encoding`` (one of :data:`CSV_ENCODINGS`).

    Write it through :func:`csv_writer` or :func:`csv_dict_writer`: they turn a character the
    encoding lacks (GBK has no "䢺") into an InputError naming the file, row and column.
    """
    with Path(path).open("w", newline="", encoding=check_csv_encoding(encoding)) as f:
        yield f


def decode_csv(data: bytes, source: str) -> tuple[str, str]:
    """The text of a CSV file's bytes and the encoding it was read in (:data:`READ_ENCODINGS`).

    Raises
    ------
    InputError
        The bytes are neither UTF-8 nor GBK; the message names ``source`` and where each failed.
    """
    failures = []
    for enc in READ_ENCODINGS:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as exc:
            failures.append(f"{'UTF-8' if enc.startswith('utf') else enc.upper()}: {exc.reason} at byte {exc.start}")
    raise InputError(f"{source}: not UTF-8 or GBK text ({'; '.join(failures)}); save it as CSV UTF-8")


def _unencodable(f: Any, columns: list[str], row: list[Any], line: int) -> InputError:
    """The error for a row the file's encoding cannot hold: file, line, column and character."""
    enc = getattr(f, "encoding", "?")
    name = Path(str(getattr(f, "name", "CSV"))).name
    for col, v in zip(columns or [""] * len(row), row):
        try:
            str(v).encode(enc)
        except UnicodeEncodeError as exc:
            ch = str(v)[exc.start]
            where = f"column {col}" if col else "header"
            return InputError(f"{name}:{line}: {where}: {ch!r} (U+{ord(ch):04X}) has no {enc.upper()} code; "
                              "write the CSV with --csv-encoding utf-8-sig")
    return InputError(f"{name}:{line}: a character has no {enc.upper()} code; write the CSV with --csv-encoding utf-8-sig")


class _SafeWriter:
    """``csv.writer`` whose rows pass through :func:`safe_text`; the first row names the columns
    in errors."""

    def __init__(self, f: Any, **kw: Any) -> None:
        self._f = f
        self._w = csv.writer(f, **kw)
        self.dialect = self._w.dialect
        self._header: list[str] = []
        self._line = 0

    def writerow(self, row: Iterable[Any]) -> Any:
        """Write one row, every cell made safe."""
        cells = [safe_text(v) for v in row]
        self._line += 1
        try:
            out = self._w.writerow(cells)
        except UnicodeEncodeError:
            raise _unencodable(self._f, self._header, cells, self._line) from None
        if self._line == 1:
            self._header = [str(c) for c in cells]
        return out

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write rows, every cell made safe."""
        for row in rows:
            self.writerow(row)


class _SafeDictWriter:
    """``csv.DictWriter`` whose header and rows pass through :func:`safe_text`."""

    def __init__(self, f: Any, fieldnames: Iterable[str], **kw: Any) -> None:
        self._f = f
        self.fieldnames = list(fieldnames)
        self._w = csv.DictWriter(f, self.fieldnames, **kw)
        self._line = 0

    def writeheader(self) -> Any:
        """Write the header row; a column name is a cell like any other."""
        return self.writerow({k: k for k in self.fieldnames})

    def writerow(self, row: Mapping[str, Any]) -> Any:
        """Write one row, every value made safe (``extrasaction`` applies as for DictWriter)."""
        cells = {k: safe_text(v) for k, v in row.items()}
        self._line += 1
        try:
            return self._w.writerow(cells)
        except UnicodeEncodeError:
            cols = [k for k in self.fieldnames if k in cells]
            raise _unencodable(self._f, cols, [cells[k] for k in cols], self._line) from None

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
