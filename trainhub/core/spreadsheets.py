"""Every CSV and XLSX file TrainHub writes goes through here, so no cell is ever a live formula.

Convention (OWASP "CSV injection"): a text cell that starts with `=`, `+`, `-`, `@`, a tab or a
carriage return is written with a single quote `'` in front of it (`=HYPERLINK(...)` becomes
`'=HYPERLINK(...)`), in CSV and in XLSX alike, and XLSX cells holding text are always written as
text, never as formulas. Numbers (int, float, Decimal, negative ones too), dates and blanks are
written as they are. The importers strip that one leading quote again when a file comes back,
so an export re-imports to the same values. No other module creates a csv writer or a
workbook for output, with XlsxWriter or openpyxl (tests/test_spreadsheets.py checks the
sources).
"""
import csv
import io
import math
import re
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal

import xlsxwriter

#: the first characters that make a spreadsheet program read a text cell as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """`value` as it may be written to a spreadsheet: text that would start a formula
    gets a leading `'`; anything that is not text is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Iterable) -> list:
    return [safe_cell(value) for value in row]


def csv_text(rows: Iterable[Iterable], *, lineterminator: str = "\r\n") -> str:
    """The rows as CSV text, every text cell neutralised."""
    stream = io.StringIO()
    csv.writer(stream, lineterminator=lineterminator).writerows(safe_row(row) for row in rows)
    return stream.getvalue()


#: the characters Excel refuses in a sheet title
_SHEET_TITLE_REFUSED = re.compile(r"[\[\]:*?/\\]")
#: how dates and times read in the written workbook (and read back as dates by any reader)
_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss", "time": "hh:mm:ss"}


class Sheet:
    """A worksheet of a `SafeWorkbook`: rows go in through `append` only, top to bottom."""

    def __init__(self, worksheet, formats: dict):
        self._worksheet = worksheet
        self._formats = formats
        self._row = 0

    def append(self, row: Iterable) -> None:
        worksheet, formats, index = self._worksheet, self._formats, self._row
        for column, value in enumerate(row):
            if value is None or value == "":  # an empty cell, as a blank
                continue
            kind = type(value)
            if kind is str or isinstance(value, str):  # text is always text, never a formula
                worksheet.write_string(index, column, safe_cell(str(value)))
            elif kind is bool:
                worksheet.write_boolean(index, column, value)
            elif isinstance(value, int) or (isinstance(value, float | Decimal)
                                            and math.isfinite(value)):
                worksheet.write_number(index, column, value)
            elif isinstance(value, datetime):
                worksheet.write_datetime(index, column, value, formats["datetime"])
            elif isinstance(value, date):
                worksheet.write_datetime(index, column, value, formats["date"])
            elif isinstance(value, time):
                worksheet.write_datetime(index, column, value, formats["time"])
            else:  # anything else (a lazy string, NaN) as its text
                worksheet.write_string(index, column, safe_cell(str(value)))
        self._row = index + 1

    def letterhead(self, lines: Iterable[str]) -> None:
        """The identity lines (EU texts, project title, SMIS code), one per row in bold, and a
        blank row, above the header row; the importers find the header row below them."""
        lines = list(lines)
        for line in lines:
            self._worksheet.write_string(self._row, 0, safe_cell(str(line)), self._formats["bold"])
            self._row += 1
        self._row += 1
        self._worksheet.freeze_panes(self._row + 1, 0)  # below the header row that follows

    def header(self, names: Iterable[str]) -> None:
        """A bold, shaded first row, kept in view when scrolling."""
        for column, name in enumerate(names):
            self._worksheet.write_string(self._row, column, safe_cell(str(name)),
                                         self._formats["header"])
        self._worksheet.freeze_panes(self._row + 1, 0)
        self._row += 1


class SafeWorkbook:
    """An XLSX workbook written as a stream: XlsxWriter in constant-memory mode, each row
    flushed to a temporary file once written, so memory stays flat at any size (and it is
    about four times faster than openpyxl's write-only mode, docs/performance.md)."""

    def __init__(self):
        self._output = io.BytesIO()
        self._workbook = xlsxwriter.Workbook(self._output, {
            "constant_memory": True, "remove_timezone": True, "strings_to_numbers": False,
            "strings_to_formulas": False, "strings_to_urls": False})
        self._formats = {name: self._workbook.add_format({"num_format": pattern})
                         for name, pattern in _FORMATS.items()}
        self._formats["bold"] = self._workbook.add_format({"bold": True})
        self._formats["header"] = self._workbook.add_format(
            {"bold": True, "font_color": "#FFFFFF", "bg_color": "#305496", "pattern": 1})
        self._titles: set[str] = set()

    def sheet(self, title: str) -> Sheet:
        """A new sheet (titles are cut to the 31 characters Excel allows, the characters it
        refuses replaced, and a repeated title numbered)."""
        title = _SHEET_TITLE_REFUSED.sub("_", title)[:31] or "sheet"
        base, number = title, 1
        while title.lower() in self._titles:
            number += 1
            title = f"{base[:31 - len(str(number)) - 1]} {number}"
        self._titles.add(title.lower())
        return Sheet(self._workbook.add_worksheet(title), self._formats)

    def to_bytes(self) -> bytes:
        if not self._titles:
            self.sheet("sheet")  # a workbook has at least one sheet
        self._workbook.close()
        return self._output.getvalue()


def xlsx_bytes(title: str, rows: Iterable[Iterable], letterhead: Iterable[str] = ()) -> bytes:
    """A one-sheet workbook of `rows` (below the `letterhead` lines, if any), every text cell
    neutralised."""
    workbook = SafeWorkbook()
    sheet = workbook.sheet(title)
    if letterhead:
        sheet.letterhead(letterhead)
    for row in rows:
        sheet.append(row)
    return workbook.to_bytes()
