"""Every CSV and XLSX file TrainHub writes goes through here, so no cell is ever a live formula.

Convention (OWASP "CSV injection"): a text cell that starts with `=`, `+`, `-`, `@`, a tab or a
carriage return is written with a single quote `'` in front of it (`=HYPERLINK(...)` becomes
`'=HYPERLINK(...)`), in CSV and in XLSX alike, and XLSX cells holding text are always written as
text, never as formulas. Numbers (int, float, Decimal, negative ones too), dates and blanks are
written as they are. The importers strip that one leading quote again when a file comes back,
so an export re-imports to the same values. No other module creates a csv writer or a
workbook for output, with XlsxWriter or openpyxl (tests/test_spreadsheets.py checks the
sources): the XLSX files are written here as their XML parts, in a zip.
"""
import csv
import functools
import io
import math
import re
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal

#: the first characters that make a spreadsheet program read a text cell as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_START_CHARACTERS = "".join(FORMULA_STARTS)


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


#: the characters Excel refuses in a sheet title, and those XML cannot hold
_SHEET_TITLE_REFUSED = re.compile(r"[\[\]:*?/\\\x00-\x1f\ufffe\uffff\ud800-\udfff]")
#: how dates and times read in the written workbook (and read back as dates by any reader)
_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss", "time": "hh:mm:ss"}
#: the longest text a cell holds (Excel's limit, in UTF-16 units); longer text is cut
MAX_CELL_TEXT = 32_767
#: the rows and columns a sheet holds; cells beyond them are left out, as Excel would
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384

#: what a text cell cannot hold as it is: XML's specials, the control characters XML refuses
#: (written as Excel's `_xHHHH_` escapes: `\r` becomes `_x000D_`) and a literal `_xHHHH_`
#: (its `_` written `_x005F_`, so it reads back as itself)
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_LITERAL_ESCAPE = re.compile(r"_(?=x[0-9a-fA-F]{4}_)")  # overlapping ones too: _x0000_x0000_
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")


def _cut(text: str) -> str:
    """`text` cut to MAX_CELL_TEXT UTF-16 units, never inside a character."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > MAX_CELL_TEXT:
            return text[:index]
    return text


def _text_cell(reference: str, text: str, style: str = "") -> str:
    """A text cell (an inline string, never a formula) that reads back as `text`."""
    if len(text) > MAX_CELL_TEXT // 2:
        text = _cut(text)
    if _NEEDS_ESCAPE.search(text) is not None:
        text = _LITERAL_ESCAPE.sub("_x005F_", text)
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = _CONTROL.sub(lambda match: f"_x{ord(match[0]):04X}_", text)
    if text[:1].isspace() or text[-1:].isspace():
        return f'<c r="{reference}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    return f'<c r="{reference}"{style} t="inlineStr"><is><t>{text}</t></is></c>'


_EPOCH = datetime(1899, 12, 31)


def _serial(value: date | datetime | time) -> str:
    """The Excel serial number of a date, date-time or time (1900 date system; a time zone
    dropped, the clock time kept), as XlsxWriter wrote it."""
    if getattr(value, "tzinfo", None) is not None:
        value = value.replace(tzinfo=None)
    return _naive_serial(value)


@functools.lru_cache(maxsize=8192)
def _naive_serial(value: date | datetime | time) -> str:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.fromordinal(value.toordinal())
    else:
        moment = datetime.combine(_EPOCH, value)
    delta = moment - _EPOCH
    serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86_400
    if isinstance(value, datetime) and moment.isocalendar() == (1900, 1, 1):
        serial -= 1  # a time alone, given on 1900-01-01
    if serial > 59:  # Excel counts a 29 February 1900
        serial += 1
    return f"{serial:.16G}"


def _number(value) -> str:
    return str(value) if type(value) is int and -2**53 < value < 2**53 else f"{value:.16G}"


def _finite(value) -> bool:
    return value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)


_COLUMN_NAMES: list[str] = []
_COLUMN_NAMES_GROWING = threading.Lock()


def _column_names(count: int) -> list[str]:
    """The names of the first `count` columns (or more): `A`, …, `Z`, `AA`, … (grown under a
    lock: two threads never append the same name twice)."""
    if len(_COLUMN_NAMES) < count:
        with _COLUMN_NAMES_GROWING:
            while len(_COLUMN_NAMES) < count:
                number, name = len(_COLUMN_NAMES) + 1, ""
                while number:
                    number, rest = divmod(number - 1, 26)
                    name = chr(65 + rest) + name
                _COLUMN_NAMES.append(name)
    return _COLUMN_NAMES


_column_names(26 * 27)  # A to ZZ


#: the style attribute of each kind of cell (its index in _STYLES' cellXfs)
_STYLE = {"date": ' s="1"', "datetime": ' s="2"', "time": ' s="3"', "bold": ' s="4"',
          "header": ' s="5"'}
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="3">'
    + "".join(f'<numFmt numFmtId="{164 + index}" formatCode="{pattern}"/>'
              for index, pattern in enumerate(_FORMATS.values()))
    + '</numFmts><fonts count="3">'
    '<font><sz val="11"/><color theme="1"/><name val="Calibri"/><family val="2"/>'
    '<scheme val="minor"/></font>'
    '<font><b/><sz val="11"/><color theme="1"/><name val="Calibri"/><family val="2"/>'
    '<scheme val="minor"/></font>'
    '<font><b/><sz val="11"/><color rgb="FFFFFFFF"/><name val="Calibri"/><family val="2"/>'
    '<scheme val="minor"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FF305496"/><bgColor indexed="64"/>'
    '</patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="2" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    '</cellStyles><dxfs count="0"/><tableStyles count="0"/></styleSheet>')
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
#: rows written to a sheet's spool at a time
_ROWS_PER_WRITE = 500


def _attribute(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


class Sheet:
    """A worksheet of a `SafeWorkbook`: rows go in through `append` only, top to bottom. Its
    rows are written as XML straight away, into a spool (memory, then a temporary file)."""

    def __init__(self, title: str):
        self.title = title
        self._spool = tempfile.SpooledTemporaryFile(max_size=1 << 20)
        self._pending: list[str] = []
        self._row = 0
        self._frozen = 0

    def _cells(self, row: list, number: str, style: str = "") -> list[str]:
        """The XML of the row's cells; blanks left out. The common cells (short plain text,
        small whole numbers, dates) are written inline: this runs for every cell of a file."""
        cells = []
        names = _column_names(len(row))
        for column, value in enumerate(row):
            kind = type(value)
            if kind is str:  # text is always text, never a formula
                if not value:  # an empty cell, as a blank
                    continue
                if value[0] in _FORMULA_START_CHARACTERS:
                    value = "'" + value
                if (value.isprintable() and "&" not in value and "<" not in value
                        and ">" not in value and "_x" not in value and value.strip() is value
                        and len(value) <= MAX_CELL_TEXT // 2):  # nothing to escape or keep
                    cells.append(f'<c r="{names[column]}{number}"{style} t="inlineStr"><is><t>'
                                 f'{value}</t></is></c>')
                else:
                    cells.append(_text_cell(names[column] + number, value, style))
            elif value is None:
                continue
            elif kind is int and -2**53 < value < 2**53:
                cells.append(f'<c r="{names[column]}{number}"{style}><v>{value}</v></c>')
            elif kind is date:
                cells.append(f'<c r="{names[column]}{number}"{_STYLE["date"]}><v>'
                             f'{_naive_serial(value)}</v></c>')
            else:
                cell = self._other_cell(names[column] + number, value, style)
                if cell:
                    cells.append(cell)
        return cells

    @staticmethod
    def _other_cell(reference: str, value, style: str) -> str:
        """The cell of any value but plain text, a small whole number or a date ("" for a
        blank)."""
        kind = type(value)
        if kind is bool:
            return f'<c r="{reference}"{style} t="b"><v>{int(value)}</v></c>'
        if isinstance(value, datetime):
            return f'<c r="{reference}"{_STYLE["datetime"]}><v>{_serial(value)}</v></c>'
        if isinstance(value, date):
            return f'<c r="{reference}"{_STYLE["date"]}><v>{_serial(value)}</v></c>'
        if isinstance(value, time):
            return f'<c r="{reference}"{_STYLE["time"]}><v>{_serial(value)}</v></c>'
        if isinstance(value, int | float | Decimal) and _finite(value):
            return f'<c r="{reference}"{style}><v>{_number(value)}</v></c>'
        # other text (a str subclass, a lazy string), NaN: as its text
        text = safe_cell(str.__str__(value) if isinstance(value, str) else str(value))
        return _text_cell(reference, text, style) if text else ""

    def _write(self, row: Iterable, style: str = "") -> None:
        if self._row >= MAX_ROWS:
            return
        self._row += 1
        number = str(self._row)
        row = row if type(row) is list else list(row)
        cells = self._cells(row[:MAX_COLUMNS] if len(row) > MAX_COLUMNS else row, number, style)
        self._pending.append(f'<row r="{number}">{"".join(cells)}</row>' if cells else "")
        if len(self._pending) >= _ROWS_PER_WRITE:
            self._flush()

    def _flush(self) -> None:
        text = "".join(self._pending)
        self._pending.clear()
        try:
            self._spool.write(text.encode())
        except UnicodeEncodeError:  # a lone surrogate, which UTF-8 cannot hold
            self._spool.write(text.encode(errors="replace"))

    def append(self, row: Iterable) -> None:
        self._write(row)

    def letterhead(self, lines: Iterable[str]) -> None:
        """The identity lines (EU texts, project title, SMIS code), one per row in bold, and a
        blank row, above the header row; the importers find the header row below them."""
        for line in lines:
            self._write([str(line)], _STYLE["bold"])
        self._write([])
        self._frozen = self._row + 1  # below the header row that follows

    def header(self, names: Iterable[str]) -> None:
        """A bold, shaded first row, kept in view when scrolling."""
        self._write([str(name) for name in names], _STYLE["header"])
        self._frozen = self._row

    def _head(self, selected: bool) -> str:
        view = ' tabSelected="1"' if selected else ""
        if self._frozen:
            pane = (f'<pane ySplit="{self._frozen}" topLeftCell="A{self._frozen + 1}" '
                    'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/>')
            view = f'<sheetView{view} workbookViewId="0">{pane}</sheetView>'
        else:
            view = f'<sheetView{view} workbookViewId="0"/>'
        return (f'{_XML_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}">'
                f'<sheetViews>{view}</sheetViews><sheetFormatPr defaultRowHeight="15"/>'
                '<sheetData>')

    def _copy_to(self, archive: zipfile.ZipFile, name: str, selected: bool) -> None:
        """The whole worksheet part into `archive`, the spooled rows copied once."""
        self._flush()
        size = self._spool.tell()
        self._spool.seek(0)
        with archive.open(name, "w", force_zip64=size > 1 << 30) as part:
            part.write(self._head(selected).encode())
            shutil.copyfileobj(self._spool, part, 1 << 20)
            part.write(b"</sheetData></worksheet>")
        self._spool.close()


class SafeWorkbook:
    """An XLSX workbook written as a stream: each row becomes its worksheet XML as it is
    appended (spooled to a temporary file past 1 MB), so memory stays flat at any size; the
    other parts (workbook, styles, content types) are written once at the end. Text cells are
    inline strings, never formulas (docs/performance.md: about three times faster than
    XlsxWriter's constant-memory mode, which wrote these files before)."""

    def __init__(self):
        self._sheets: list[Sheet] = []
        self._titles: set[str] = set()
        self._content: bytes | None = None

    def sheet(self, title: str) -> Sheet:
        """A new sheet (titles are cut to the 31 characters Excel allows, the characters it
        refuses replaced, and a repeated title numbered)."""
        title = _SHEET_TITLE_REFUSED.sub("_", title)[:31]
        if title.startswith("'") or title.endswith("'"):  # Excel refuses an apostrophe there
            title = "_" + title[1:-1] + "_" if len(title) > 1 else "_"
        title = title or "sheet"
        base, number = title, 1
        while title.lower() in self._titles or title.lower() == "history":
            number += 1
            title = f"{base[:31 - len(str(number)) - 1]} {number}"
        self._titles.add(title.lower())
        self._sheets.append(Sheet(title))
        return self._sheets[-1]

    def to_bytes(self) -> bytes:
        """The workbook file; written once, the same bytes on a second call."""
        if self._content is not None:
            return self._content
        if not self._sheets:
            self.sheet("sheet")  # a workbook has at least one sheet
        count = len(self._sheets)
        output = io.BytesIO()
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            archive.writestr("[Content_Types].xml", _XML_HEAD + (
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" '
                'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/styles.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                + "".join(f'<Override PartName="/xl/worksheets/sheet{number}.xml" '
                          'ContentType="application/'
                          'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                          for number in range(1, count + 1))
                + "</Types>"))
            archive.writestr("_rels/.rels", _XML_HEAD + (
                f'<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}"><Relationship Id="rId1" '
                f'Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>'
                '</Relationships>'))
            archive.writestr("xl/workbook.xml", _XML_HEAD + (
                f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}">'
                '<bookViews><workbookView/></bookViews><sheets>'
                + "".join(f'<sheet name="{_attribute(sheet.title)}" sheetId="{number}" '
                          f'r:id="rId{number}"/>'
                          for number, sheet in enumerate(self._sheets, start=1))
                + "</sheets></workbook>"))
            archive.writestr("xl/_rels/workbook.xml.rels", _XML_HEAD + (
                f'<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
                + "".join(f'<Relationship Id="rId{number}" Type="{_RELATIONSHIPS}/worksheet" '
                          f'Target="worksheets/sheet{number}.xml"/>'
                          for number in range(1, count + 1))
                + f'<Relationship Id="rId{count + 1}" Type="{_RELATIONSHIPS}/styles" '
                'Target="styles.xml"/></Relationships>'))
            archive.writestr("xl/styles.xml", _STYLES)
            for number, sheet in enumerate(self._sheets, start=1):
                sheet._copy_to(archive, f"xl/worksheets/sheet{number}.xml", number == 1)
        self._content = output.getvalue()
        return self._content


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
