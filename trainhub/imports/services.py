"""The import pipeline every area shares: read CSV/XLSX, parse cells, report row errors.

A file is read into rows of {column: raw value}; an importer turns each row into a change
or a list of `sheet:row: column: message` errors. Nothing is written unless every row is
valid, or only the valid rows when the caller asks for a partial import.
"""
import csv
import io
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from openpyxl import load_workbook

from trainhub.core.errors import Problems

#: a run of this many empty rows ends a sheet (files "formatted" down to row 1,048,576)
MAX_EMPTY_ROWS = 1000


class ImportFailed(Problems):
    """The file as a whole cannot be imported (not a spreadsheet, a column missing…)."""


@dataclass(frozen=True)
class RowError:
    """One problem (or warning) of one cell; `message` may be a lazy string, translated
    when shown."""

    sheet: str
    row: int
    column: str
    message: object

    def __str__(self) -> str:
        return f"{self.sheet}:{self.row}: {self.column}: {self.message}"


class CellError(ValueError):
    """A cell that cannot be read as the type its column needs; str() says why."""


@dataclass
class Table:
    """One sheet: its name, its normalised header, and its non-empty rows with row numbers."""

    sheet: str
    columns: list[str]
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    #: rows left out on purpose (footer / TOTAL rows); the report shows them as skipped
    skipped: int = 0


def normalise_column(name: object) -> str:
    """`Județ ` → `judet`: lower case, no diacritics, spaces and dashes as underscores."""
    text = unicodedata.normalize("NFKD", str(name or "").strip().lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return "_".join(text.replace("-", " ").split())


def _is_empty(values) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


def _rows_to_table(sheet: str, rows: Iterator[tuple], aliases: dict[str, str]) -> Table:
    header = next(rows, None)
    if header is None or _is_empty(header):
        raise ImportFailed([f"{sheet}: the first row must name the columns"])
    columns = [aliases.get(normalise_column(name), normalise_column(name)) for name in header]
    table = Table(sheet, columns)
    empty_run = 0
    for number, values in enumerate(rows, start=2):
        if _is_empty(values):
            empty_run += 1
            if empty_run >= MAX_EMPTY_ROWS:
                break
            continue
        empty_run = 0
        table.rows.append((number, {col: values[i] if i < len(values) else None
                                    for i, col in enumerate(columns) if col}))
    return table


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1250"):  # Romanian Excel saves CSV as Windows-1250
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFailed(["the file is neither UTF-8 nor Windows-1250 text"])


def read_table(content: bytes, *, sheet: str | None = None,
               aliases: dict[str, str] | None = None) -> Table:
    """The first (or the named) sheet of an XLSX workbook, or a CSV file, as a Table."""
    aliases = aliases or {}
    if not content:
        raise ImportFailed(["the file is empty"])
    if content[:4] == b"PK\x03\x04":
        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError):
            raise ImportFailed(["the file is not a readable XLSX workbook"]) from None
        try:
            if sheet is not None and sheet not in workbook.sheetnames:
                raise ImportFailed([f"the workbook has no sheet named {sheet!r}"])
            worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
            return _rows_to_table(worksheet.title, worksheet.iter_rows(values_only=True), aliases)
        finally:
            workbook.close()
    if b"\x00" in content[:4096]:
        raise ImportFailed(["the file is neither an XLSX workbook nor a CSV text file"])
    text = _decode(content)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return _rows_to_table(sheet or "csv", iter(csv.reader(io.StringIO(text), dialect)), aliases)


def read_workbook(content: bytes, sheets: dict[str, dict[str, str]]) -> dict[str, Table]:
    """The named sheets of an XLSX workbook (those present), read in one pass of the file."""
    if content[:4] != b"PK\x03\x04":
        raise ImportFailed(["a workbook import needs an XLSX file"])
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise ImportFailed(["the file is not a readable XLSX workbook"]) from None
    try:
        names = {normalise_column(name): name for name in workbook.sheetnames}
        tables = {sheet: _rows_to_table(sheet, workbook[names[sheet]].iter_rows(values_only=True),
                                        aliases)
                  for sheet, aliases in sheets.items() if sheet in names}
    finally:
        workbook.close()
    if not tables:
        raise ImportFailed([f"the workbook has none of the sheets {', '.join(sheets)}"])
    return tables


def require_columns(table: Table, required: list[str]) -> None:
    missing = [column for column in required if column not in table.columns]
    if missing:
        raise ImportFailed([f"{table.sheet}: missing column(s): {', '.join(missing)}"])


# --- cell parsers: each returns the value or raises CellError with a readable reason -------

def text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def parse_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise CellError(f"{raw!r} is not a date (YYYY-MM-DD or DD.MM.YYYY)")


def parse_time(value: object) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, datetime):
        return value.time()
    raw = text(value)
    try:
        return datetime.strptime(raw, "%H:%M").time()
    except ValueError:
        raise CellError(f"{raw!r} is not a time (HH:MM)") from None


def parse_bool(value: object) -> bool:
    raw = text(value).lower()
    if raw in {"yes", "da", "true", "1"}:
        return True
    if raw in {"no", "nu", "false", "0"}:
        return False
    raise CellError(f"{raw!r} is not yes/no")


def parse_decimal(value: object) -> Decimal:
    raw = text(value).replace(",", ".")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise CellError(f"{raw!r} is not a number") from None
    if not number.is_finite():
        raise CellError(f"{raw!r} is not a number")
    return number


def parse_choice(choices: set[str]) -> Callable[[object], str]:
    def parse(value: object) -> str:
        raw = text(value).lower()
        if raw not in choices:
            raise CellError(f"{raw!r} is not one of {', '.join(sorted(choices))}")
        return raw

    return parse


@dataclass
class ImportReport:
    """What an import found and did; `written` is False when nothing was stored."""

    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = False
    #: what each valid row does (importers.Change), for the preview page
    changes: list = field(default_factory=list)
    #: rows read from the file(s)
    rows: int = 0
    #: rows the reader left out on purpose (footer / TOTAL rows), not part of `rows`
    skipped: int = 0
    #: rows that would move a person to another employer (RowError warnings); applied only
    #: when the import was asked to (DESIGN §13 "Nothing lost")
    employer_changes: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rows_with_errors(self) -> int:
        """Rows with at least one error: a row with three bad cells counts once."""
        return len({(error.sheet, error.row) for error in self.errors})
