"""The import pipeline every area shares: read CSV/XLSX, parse cells, report row errors.

A file is read into rows of {column: raw value}; an importer turns each row into a change
or a list of `sheet:row: column: message` errors. Nothing is written unless every row is
valid, or only the valid rows when the caller asks for a partial import.

Files made by hand are read as they are (DESIGN §13): the header is found below title rows,
column names match their synonyms, unknown columns are reported as not imported, total rows
are skipped, and values are read in their Romanian spellings.
"""
import codecs
import csv
import io
import logging
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from itertools import chain

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from python_calamine import CalamineError, CalamineWorkbook

from trainhub.core.errors import Problems

log = logging.getLogger(__name__)

#: a run of this many empty rows ends a sheet (files "formatted" down to row 1,048,576)
MAX_EMPTY_ROWS = 1000
#: the header is the first of these rows that names at least two known columns
HEADER_SCAN_ROWS = 15
#: files larger than this, or with more data rows, are refused (DESIGN §13 "Size")
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000


def import_max_bytes() -> int:
    """The largest file an import reads: the IMPORT_MAX_BYTES setting, else MAX_FILE_BYTES."""
    configured = current_app.config.get("IMPORT_MAX_BYTES") if has_app_context() else None
    return configured or MAX_FILE_BYTES
#: the longest CSV field read (Python's default, set explicitly: a longer one is refused)
CSV_FIELD_LIMIT = 131_072
csv.field_size_limit(CSV_FIELD_LIMIT)
#: numbers with more digits before the decimal point than this are refused as too large
MAX_INTEGER_DIGITS = 15
#: reading a file reports its progress every this many rows (see `reading_progress`)
PROGRESS_ROWS = 1000
_row_progress: ContextVar[Callable[[str, int], None] | None] = ContextVar(
    "import_row_progress", default=None)


@contextmanager
def reading_progress(callback: Callable[[str, int], None]) -> Iterator[None]:
    """Inside the block, reading a file calls `callback(sheet, rows read so far)` every
    PROGRESS_ROWS rows (a background job's progress bar)."""
    token = _row_progress.set(callback)
    try:
        yield
    finally:
        _row_progress.reset(token)


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


class NumberTooLarge(CellError):
    """A number with more whole digits than any column holds (1e30, twenty 9s)."""


#: why a file column is not imported: no field has that name, the CNP already says it, or
#: the column mapping says to ignore it
UNKNOWN, DERIVED, IGNORED = "unknown", "derived", "ignored"
#: the field name synonyms map a column to when the CNP already says what it holds
DERIVED_FIELD = "~derived"
#: the field name a column mapping gives a column it ignores (null in the JSON file)
IGNORED_FIELD = "~ignored"


@dataclass(frozen=True)
class NotImported:
    """A column of the file that is not imported, as its header is typed, and why."""

    sheet: str
    column: str
    reason: str  # UNKNOWN or DERIVED

    def __str__(self) -> str:
        if self.reason == DERIVED:
            return str(_l("%(sheet)s: column '%(column)s' is not imported: it is derived from"
                          " the CNP", sheet=self.sheet, column=self.column))
        if self.reason == IGNORED:
            return str(_l("%(sheet)s: column '%(column)s' is not imported: the column mapping"
                          " ignores it", sheet=self.sheet, column=self.column))
        return str(_l("%(sheet)s: column '%(column)s' is not imported: no field has this name",
                      sheet=self.sheet, column=self.column))


@dataclass
class Table:
    """One sheet: its name, its normalised header, and its non-empty rows with row numbers."""

    sheet: str
    columns: list[str]
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    #: columns of the file that no field takes
    not_imported: list[NotImported] = field(default_factory=list)
    #: total / footer rows left out
    skipped: int = 0
    #: columns whose header says the amounts are in lei ("Cifra de afaceri (lei)")
    lei_columns: set[str] = field(default_factory=set)
    #: the row number of the header (1 = the first row)
    header_row: int = 1
    #: the header cells as typed, one per column
    headers: list[str] = field(default_factory=list)


def fold(value: object) -> str:
    """`Județul  Argeș!` → `judetul arges`: lower case, no diacritics (ș/ş, ț/ţ alike),
    punctuation as spaces, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", str(value or "").lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[\W_]+", " ", plain).split())


def normalise_column(name: object) -> str:
    """`Nivel de educație (ISCED)` → `nivel_de_educatie`: folded, text in parentheses dropped,
    words joined by underscores (so `turnover_eur` and `Turnover EUR` are one name)."""
    return "_".join(fold(re.sub(r"\([^)]*\)", " ", str(name or ""))).split())


def synonyms(names: dict[str, list[str]]) -> dict[str, str]:
    """{normalised column name: field} for every field under its own name and its synonyms."""
    table = {}
    for target, others in names.items():
        for name in (target, *others):
            table[normalise_column(name)] = target
    return table


def fields_of(aliases: dict[str, str]) -> list[str]:
    """The fields a file kind takes (those a column may be mapped to), in their table order."""
    return list(dict.fromkeys(name for name in aliases.values() if not name.startswith("~")))


class MappingRefused(ImportFailed):
    """A column mapping that names a field the file kind does not take."""


def check_mapping(mapping: object, aliases: dict[str, str],
                  label: Callable[[str], object] = str) -> dict[str, str | None]:
    """`mapping` ({file column as typed: field or None}) checked against the fields of
    `aliases`; a field the kind does not take is refused, listing the accepted fields as
    `label` names them."""
    if not isinstance(mapping, dict) or not all(
            isinstance(column, str) and (name is None or isinstance(name, str))
            for column, name in mapping.items()):
        raise MappingRefused([_l("a column mapping is a JSON object of file column names to"
                                 " field names or null")])
    accepted = fields_of(aliases)
    unknown = [(column, name) for column, name in mapping.items()
               if name is not None and name not in accepted]
    if unknown:
        listed = ", ".join(str(label(name)) for name in accepted)
        raise MappingRefused([_l("column '%(column)s' is mapped to '%(field)s', which is not a"
                                 " field of this file; accepted fields: %(accepted)s",
                                 column=column, field=name, accepted=listed)
                              for column, name in unknown])
    return {column.strip(): name for column, name in mapping.items() if column.strip()}


def with_mapping(aliases: dict[str, str], mapping: dict[str, str | None] | None) -> dict[str, str]:
    """The synonyms table with a column mapping laid over it: a mapped column takes its field,
    a column mapped to None is ignored."""
    if not mapping:
        return aliases
    return aliases | {normalise_column(column): name or IGNORED_FIELD
                      for column, name in mapping.items() if normalise_column(column)}


def used_mapping(table: "Table") -> dict[str, str | None]:
    """The mapping a read used, for `--save-mapping`: every named column of the file as typed
    and the field it went to (matched by synonym or mapping), None for the ones not imported."""
    return {header: column or None
            for header, column in zip(table.headers, table.columns, strict=True) if header}


def _is_empty(values) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


_FORMULA_STARTS = ("=", "+", "-", "@")


def _unescape(value: object) -> object:
    """A text cell without the one apostrophe an export put before = + - @ (CSV injection)."""
    if isinstance(value, str) and value.startswith("'") and value[1:2] in _FORMULA_STARTS:
        return value[1:]
    return value


def _known_count(values, aliases: dict[str, str]) -> int:
    return sum(1 for value in values
               if isinstance(value, str | int) and normalise_column(value) in aliases)


def _says_lei(header: object) -> bool:
    return bool({"lei", "ron"} & set(fold(header).split()))


_NUMBER_LIKE = re.compile(r"[-+]?[\d.,\s]+")


def _is_footer(row: dict[str, object], values, key: str | None) -> bool:
    """A total row: no identifier, and a "total" label, a formula or numbers only."""
    if key is not None and text(row.get(key)):
        return False
    cells = [value for value in values if not _is_empty([value])]
    if any(isinstance(value, str) and (fold(value).startswith("total")
                                        or value.strip().startswith("=")) for value in cells):
        return True
    return key is not None and all(isinstance(value, int | float | Decimal)
                                   or _NUMBER_LIKE.fullmatch(str(value).strip())
                                   for value in cells)


def _rows_to_table(sheet: str, rows: Iterator[tuple], aliases: dict[str, str],
                   key: str | None = None, max_rows: int = MAX_ROWS,
                   mapping: dict[str, str | None] | None = None) -> Table:
    mapped = {normalise_column(column) for column in mapping or {}}
    aliases = with_mapping(aliases, mapping)
    progress = _row_progress.get()
    head = []
    for values in rows:
        head.append(tuple(_unescape(value) for value in values))
        if len(head) >= HEADER_SCAN_ROWS:
            break
    at = next((i for i, values in enumerate(head) if _known_count(values, aliases) >= 2),
              next((i for i, values in enumerate(head) if not _is_empty(values)), None))
    if at is None:
        raise ImportFailed([_l("%(sheet)s: no row names the columns", sheet=sheet)])
    header = head[at]
    columns, not_imported, lei = [], [], set()
    for name in header:
        normalised = normalise_column(name)
        column = aliases.get(normalised, normalised)
        if column == DERIVED_FIELD:
            not_imported.append(NotImported(sheet, text(name), DERIVED))
            column = ""
        elif column == IGNORED_FIELD:
            not_imported.append(NotImported(sheet, text(name), IGNORED))
            column = ""
        elif normalised and normalised not in aliases and aliases:
            not_imported.append(NotImported(sheet, text(name), UNKNOWN))
            column = ""
        if column and _says_lei(name):
            lei.add(column)
        columns.append(column)
    taken = Counter(column for column in columns if column)
    for name in header:
        column = aliases.get(normalise_column(name))
        if normalise_column(name) in mapped and taken[column] > 1:
            raise ImportFailed([_l("%(sheet)s: the column mapping gives field '%(field)s' to"
                                   " column '%(column)s', but another column already holds it",
                                   sheet=sheet, field=column, column=text(name))])
    table = Table(sheet, columns, not_imported=not_imported, lei_columns=lei, header_row=at + 1,
                  headers=[text(name) for name in header])
    empty_run = 0
    numbered = enumerate(head[at + 1:], start=at + 2)
    for number, values in chain(numbered, enumerate(rows, start=len(head) + 1)):
        values = tuple(_unescape(value) for value in values)
        if _is_empty(values):
            empty_run += 1
            if empty_run >= MAX_EMPTY_ROWS:
                break
            continue
        empty_run = 0
        row = {col: values[i] if i < len(values) else None for i, col in enumerate(columns) if col}
        if _is_footer(row, values, key if key in columns else None):
            table.skipped += 1
            continue
        if len(table.rows) >= max_rows:
            raise ImportFailed([_l("%(sheet)s: the file has more than %(limit)s rows; split it"
                                   " into smaller files", sheet=sheet, limit=f"{max_rows:,}")])
        table.rows.append((number, row))
        if progress is not None and len(table.rows) % PROGRESS_ROWS == 0:
            progress(sheet, len(table.rows))
    return table


#: the CSV text is checked and read in pieces of this many bytes
_DECODE_CHUNK = 1024 * 1024


def _encoding(content: bytes) -> str:
    """The encoding the whole of `content` decodes in, checked piece by piece (the text is
    never held whole next to the bytes)."""
    for encoding in ("utf-8-sig", "cp1250"):  # Romanian Excel saves CSV as Windows-1250
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with memoryview(content) as view:
                for start in range(0, len(view), _DECODE_CHUNK):
                    decoder.decode(view[start:start + _DECODE_CHUNK])
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise ImportFailed([_l("the file is neither UTF-8 nor Windows-1250 text")])


def _csv_lines(content: bytes) -> tuple[Iterator[str], str]:
    """The CSV text of `content`, decoded as it is read, and its delimiter (found in the
    first lines)."""
    encoding = _encoding(content)
    head = codecs.getincrementaldecoder(encoding)(errors="ignore").decode(content[:65536])
    return io.TextIOWrapper(io.BytesIO(content), encoding=encoding, newline=""), _delimiter(head)


def _delimiter(text_: str) -> str:
    """The delimiter that splits most lines into the same number of cells (; on Romanian
    Windows, where the comma is the decimal mark)."""
    lines = [line for line in text_[:65536].splitlines()[:50] if line.strip()]
    best, best_score = ",", (0, 0)
    for candidate in (";", ",", "\t"):
        counts = Counter(line.count(candidate) for line in lines)
        counts.pop(0, None)
        if counts:
            width, lines_ = max(counts.items(), key=lambda item: (item[1], item[0]))
            if (lines_, width) > best_score:
                best, best_score = candidate, (lines_, width)
    return best


_READ_ERRORS = (csv.Error, zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError,
                SyntaxError, TypeError, AttributeError, IndexError, LookupError)


def _too_large(content: bytes, max_bytes: int | None) -> None:
    max_bytes = max_bytes or import_max_bytes()
    if len(content) > max_bytes:
        raise ImportFailed([_l("the file is larger than %(limit)s MB; split it into smaller"
                               " files", limit=max_bytes // (1024 * 1024))])


def _calamine(call, problem: object):
    """`call()` on python-calamine; any failure of the reader, including a panic of its Rust
    code (a BaseException), is the refusal `problem`, never a traceback."""
    try:
        return call()
    except ImportFailed:
        raise
    except (CalamineError, *_READ_ERRORS) as error:
        log.info("unreadable workbook: %r", error)
        raise ImportFailed([problem]) from None
    except BaseException as error:
        if type(error).__name__ != "PanicException":  # pyo3's, not importable by name
            raise
        log.warning("the XLSX reader panicked: %r", error)
        raise ImportFailed([problem]) from None


def _open_workbook(content: bytes) -> CalamineWorkbook:
    """The XLSX reader (python-calamine: about ten times faster than openpyxl read-only on a
    10,000-row register, docs/performance.md); its sheets are read one at a time."""
    return _calamine(lambda: CalamineWorkbook.from_filelike(io.BytesIO(content)),
                     _l("the file is not a readable XLSX workbook"))


_EXACT_FLOAT = 2 ** 53


def _cell(value: object) -> object:
    """A calamine cell as openpyxl gave it, which the parsers expect: an empty cell is None, a
    whole number an int, a date cell a datetime."""
    if value == "":
        return None
    kind = type(value)
    if kind is float and value.is_integer() and -_EXACT_FLOAT < value < _EXACT_FLOAT:
        return int(value)
    if kind is date:
        return datetime(value.year, value.month, value.day)
    return value


def _sheet_rows(workbook: CalamineWorkbook, name: str) -> Iterator[tuple]:
    """The rows of sheet `name`, one at a time, from the first row of the sheet (so a row's
    number is its position)."""
    worksheet = _calamine(lambda: workbook.get_sheet_by_name(name), _l(
        "%(sheet)s: the sheet is damaged and cannot be read; open the file in Excel and save it"
        " again", sheet=name))
    for values in worksheet.iter_rows():
        yield tuple(map(_cell, values))


def _read_sheet(workbook: CalamineWorkbook, name: str, aliases: dict[str, str], key: str | None,
                max_rows: int, mapping: dict[str, str | None] | None = None,
                label: str | None = None) -> Table:
    label = label or name
    return _calamine(
        lambda: _rows_to_table(label, _sheet_rows(workbook, name), aliases, key, max_rows,
                               mapping),
        _l("%(sheet)s: the sheet is damaged and cannot be read; open the file in Excel and save"
           " it again", sheet=label))


def read_table(content: bytes, *, sheet: str | None = None,
               aliases: dict[str, str] | None = None, key: str | None = None,
               max_bytes: int | None = None, max_rows: int = MAX_ROWS,
               mapping: dict[str, str | None] | None = None) -> Table:
    """The first (or the named) sheet of an XLSX workbook, or a CSV file, as a Table.

    `key` names the identifier column: a row without it that reads as a total is skipped.
    `mapping` ({file column as typed: field or None to ignore it}, see `check_mapping`) is laid
    over the synonyms: the one place a column mapping is applied, for the web and the CLI.
    """
    aliases = aliases or {}
    if not content:
        raise ImportFailed([_l("the file is empty")])
    _too_large(content, max_bytes)
    if content[:4] == b"PK\x03\x04":
        workbook = _open_workbook(content)
        try:
            names = workbook.sheet_names
            if sheet is not None and sheet not in names:
                raise ImportFailed([_l("the workbook has no sheet named '%(sheet)s'", sheet=sheet)])
            if not names:
                raise ImportFailed([_l("the file is not a readable XLSX workbook")])
            return _read_sheet(workbook, sheet or names[0], aliases, key, max_rows, mapping)
        finally:
            workbook.close()
    if b"\x00" in content[:4096]:
        raise ImportFailed([_l("the file is neither an XLSX workbook nor a CSV text file")])
    lines, delimiter = _csv_lines(content)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        return _rows_to_table(sheet or "csv", reader, aliases, key, max_rows, mapping)
    except csv.Error as problem:
        line = reader.line_num
        if "field larger" in str(problem):
            raise ImportFailed([_l("csv:%(row)s: a cell is longer than %(limit)s characters",
                                   row=line, limit=f"{CSV_FIELD_LIMIT:,}")]) from None
        raise ImportFailed([_l("csv:%(row)s: the line cannot be read as CSV", row=line)]) from None


def read_workbook(content: bytes, sheets: dict[str, dict[str, str]], *,
                  max_bytes: int | None = None, max_rows: int = MAX_ROWS) -> dict[str, Table]:
    """The named sheets of an XLSX workbook (those present), read in one pass of the file."""
    if content[:4] != b"PK\x03\x04":
        raise ImportFailed([_l("a workbook import needs an XLSX file")])
    _too_large(content, max_bytes)
    workbook = _open_workbook(content)
    try:
        names = {normalise_column(name): name for name in workbook.sheet_names}
        tables = {sheet: _read_sheet(workbook, names[sheet], aliases, None, max_rows, label=sheet)
                  for sheet, aliases in sheets.items() if sheet in names}
    finally:
        workbook.close()
    if not tables:
        raise ImportFailed([_l("the workbook has none of the sheets %(sheets)s",
                               sheets=", ".join(sheets))])
    if sum(len(table.rows) for table in tables.values()) > max_rows:
        raise ImportFailed([_l("the workbook has more than %(limit)s rows; split it into smaller"
                               " files", limit=f"{max_rows:,}")])
    return tables


def require_columns(table: Table, required: list[str]) -> None:
    missing = [column for column in required if column not in table.columns]
    if missing:
        raise ImportFailed([f"{table.sheet}: missing column(s): {', '.join(missing)}"])


# --- cell parsers: each returns the value or raises CellError with a readable reason -------
# A refused value is quoted exactly as typed, and the message says what is accepted.

def text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


#: the date forms of a text cell; the third character of each is its separator
_DATE_PATTERNS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%Y.%m.%d")


def parse_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    day = raw.split(" ")[0] if " " in raw else raw
    for pattern in _DATE_PATTERNS:
        if pattern[2] not in day:
            continue  # its separator is not there: it cannot match
        try:
            return datetime.strptime(day, pattern).date()
        except ValueError:
            continue
    raise CellError(_l("'%(value)s' is not a date (DD.MM.YYYY, DD/MM/YYYY or YYYY-MM-DD)",
                       value=raw))


def parse_time(value: object) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, datetime):
        return value.time()
    raw = text(value)
    for pattern in ("%H:%M", "%H.%M", "%H:%M:%S"):
        try:
            return datetime.strptime(raw, pattern).time()
        except ValueError:
            continue
    raise CellError(_l("'%(value)s' is not a time (HH:MM)", value=raw))


_TRUE = {"yes", "da", "true", "1", "x", "y", "d", "adevarat"}
_FALSE = {"no", "nu", "false", "0", "n", "fals"}


def parse_bool(value: object) -> bool:
    raw = text(value)
    folded = fold(raw)
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise CellError(_l("'%(value)s' is not yes or no (accepted: da, nu, x, 1, 0, yes, no)",
                       value=raw))


#: words that name a currency in an amount cell ("1.250.000,50 lei", "€ 1,000.00")
_CURRENCY = re.compile(r"(?i)\b(lei|ron|leu|eur|euro|euri)\b|€|\blei\.")


def says_lei(value: object) -> bool:
    """Whether an amount cell names lei / RON ("1.250.000 lei")."""
    return isinstance(value, str) and bool({"lei", "ron", "leu"} & set(fold(value).split()))


def says_eur(value: object) -> bool:
    """Whether an amount cell names euros ("12.000 EUR")."""
    return isinstance(value, str) and (
        "€" in value or bool({"eur", "euro", "euri"} & set(fold(value).split())))


def _number_text(raw: str) -> str:
    """`1.250.000,50` → `1250000.50`: Romanian (and English) digit grouping undone."""
    cleaned = _CURRENCY.sub("", raw).replace("\u00a0", "").replace(" ", "").replace("'", "")
    if "," in cleaned and "." in cleaned:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        grouping = "." if decimal_mark == "," else ","
        return cleaned.replace(grouping, "").replace(decimal_mark, ".")
    for mark in (",", "."):
        if cleaned.count(mark) > 1:  # 1.250.000 or 1,250,000: digit groups
            return cleaned.replace(mark, "")
    if "," in cleaned:
        return cleaned.replace(",", ".")
    if re.fullmatch(r"-?\d{1,3}\.\d{3}", cleaned):  # 1.250 is one thousand two hundred fifty
        return cleaned.replace(".", "")
    return cleaned


def parse_decimal(value: object) -> Decimal:
    raw = text(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        candidate = str(value)
    else:
        candidate = _number_text(raw)
    try:
        number = Decimal(candidate)
    except InvalidOperation:
        raise CellError(_l("'%(value)s' is not a number", value=raw)) from None
    if not number.is_finite():
        raise CellError(_l("'%(value)s' is not a number", value=raw))
    if number and number.adjusted() >= MAX_INTEGER_DIGITS:
        raise NumberTooLarge(_l("'%(value)s' is too large", value=raw))
    return number


def parse_choice(choices: set[str]) -> Callable[[object], str]:
    def parse(value: object) -> str:
        raw = text(value)
        if raw.lower() not in choices:
            raise CellError(_l("'%(value)s' is not one of %(accepted)s", value=raw,
                               accepted=", ".join(sorted(choices))))
        return raw.lower()

    return parse


def parse_vocabulary(words: dict[str, str], accepted) -> Callable[[object], str]:
    """A parser of a coded column: the cell, folded, looked up among `words` (folded spellings
    → value); the longest spelling the cell starts with wins ("somer de lunga durata" before
    "somer"). `accepted` (lazy) lists what a user may type."""
    table = {fold(word): value for word, value in words.items()}
    by_length = sorted(table, key=len, reverse=True)

    def parse(value: object) -> str:
        raw = text(value)
        folded = fold(raw)
        if folded in table:
            return table[folded]
        for word in by_length:
            if folded.startswith(word + " "):
                return table[word]
        raise CellError(_l("'%(value)s' is not accepted here (accepted: %(accepted)s)",
                           value=raw, accepted=accepted))

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
    #: total / footer rows left out on purpose (DESIGN §13), not part of `rows`
    skipped: int = 0
    #: rows that would move a person to another employer (RowError warnings); applied only
    #: when the import was asked to (DESIGN §13 "Nothing lost")
    employer_changes: list = field(default_factory=list)
    #: file columns no field takes, or that the CNP already says (NotImported)
    not_imported: list[NotImported] = field(default_factory=list)
    #: the EUR/RON rate amounts in lei were converted at: (financial year, RON per EUR)
    lei_rate: tuple[int, Decimal] | None = None
    #: each named file column as typed and the field it went to (None: not imported)
    columns_read: dict[str, str | None] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rows_with_errors(self) -> int:
        """Rows with at least one error: a row with three bad cells counts once."""
        return len({(error.sheet, error.row) for error in self.errors})

    def read_from(self, *tables: Table) -> None:
        """Note what reading these tables found: rows, skipped rows, columns not imported."""
        for table in tables:
            self.rows += len(table.rows)
            self.skipped += table.skipped
            self.not_imported.extend(table.not_imported)
            self.columns_read.update(used_mapping(table))
