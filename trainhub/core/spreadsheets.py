"""Every CSV and XLSX file TrainHub writes goes through here, so no cell is ever a live formula.

Convention (OWASP "CSV injection"): a text cell that starts with `=`, `+`, `-`, `@`, a tab or a
carriage return is written with a single quote `'` in front of it (`=HYPERLINK(...)` becomes
`'=HYPERLINK(...)`), in CSV and in XLSX alike, and XLSX cells holding text are always written as
text, never as formulas. Numbers (int, float, Decimal, negative ones too), dates and blanks are
written as they are. The importers strip that one leading quote again when a file comes back,
so an export re-imports to the same values. No other module creates a csv writer or an
openpyxl workbook for output (tests/test_spreadsheets.py checks the sources).
"""
import csv
import io
import tempfile
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

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


class Sheet:
    """A worksheet of a `SafeWorkbook`: rows go in through `append` only."""

    def __init__(self, worksheet):
        self._worksheet = worksheet
        self._rows = 0

    def append(self, row: Iterable) -> None:
        cells = []
        for value in row:
            cell = WriteOnlyCell(self._worksheet, value=safe_cell(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl would otherwise take "=..." for a formula
            cells.append(cell)
        self._worksheet.append(cells)
        self._rows += 1

    def letterhead(self, lines: Iterable[str]) -> None:
        """The identity lines (EU texts, project title, SMIS code), one per row in bold, and a
        blank row, above the header row; the importers find the header row below them."""
        lines = list(lines)
        if self._rows == 0:  # a streamed sheet takes its view settings before the first row
            self._worksheet.freeze_panes = f"A{len(lines) + 3}"
        bold = Font(bold=True)
        for line in lines:
            cell = WriteOnlyCell(self._worksheet, value=safe_cell(line))
            cell.data_type = "s"
            cell.font = bold
            self._worksheet.append([cell])
        self._worksheet.append([])
        self._rows += len(lines) + 1

    def header(self, names: Iterable[str]) -> None:
        """A bold, shaded first row, kept in view when scrolling."""
        bold, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="305496")
        cells = []
        for name in names:
            cell = WriteOnlyCell(self._worksheet, value=safe_cell(name))
            cell.data_type = "s"
            cell.font, cell.fill = bold, fill
            cells.append(cell)
        if self._rows == 0:
            self._worksheet.freeze_panes = "A2"
        self._worksheet.append(cells)
        self._rows += 1


class SafeWorkbook:
    """An XLSX workbook written as a stream (write-only: memory stays flat at any size)."""

    def __init__(self):
        self._workbook = Workbook(write_only=True)

    def sheet(self, title: str) -> Sheet:
        """A new sheet (titles are cut to the 31 characters Excel allows)."""
        return Sheet(self._workbook.create_sheet(title[:31]))

    def to_bytes(self) -> bytes:
        with tempfile.TemporaryFile() as spool:
            self._workbook.save(spool)
            spool.seek(0)
            return spool.read()


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
