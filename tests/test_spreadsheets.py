"""No export (CSV or XLSX, web or CLI) writes a live formula: every text cell goes through one helper."""
import ast
import csv
import io
import zipfile
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape
from python_calamine import CalamineWorkbook
from xlsxwriter.utility import _datetime_to_excel_datetime

from tests.conftest import xlsx_table
from tests.factories import EnterpriseFactory, MembershipFactory, ProjectFactory, UserFactory
from tests.indicators.test_computation import member
from trainhub.core.spreadsheets import (
    FORMULA_STARTS,
    MAX_CELL_TEXT,
    SafeWorkbook,
    csv_text,
    safe_cell,
    xlsx_bytes,
)
from trainhub.demo import seed_call
from trainhub.extensions import db

PACKAGE = Path(__file__).resolve().parent.parent / "trainhub"
HELPER = PACKAGE / "core" / "spreadsheets.py"
HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
           "\tTab", "\rReturn"]


def _writers_in(path: Path) -> list[str]:
    """What in `path` creates a csv writer or a spreadsheet workbook for output."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = {alias.name for alias in node.names}
            if node.module == "csv" and names & {"writer", "DictWriter"}:
                found.append(f"line {node.lineno}: from csv import {names}")
            if node.module.startswith("openpyxl") and "Workbook" in names:
                found.append(f"line {node.lineno}: from openpyxl import Workbook")
            if node.module.startswith("xlsxwriter"):
                found.append(f"line {node.lineno}: xlsxwriter")
        elif isinstance(node, ast.Import):
            if any(alias.name.startswith("xlsxwriter") for alias in node.names):
                found.append(f"line {node.lineno}: import xlsxwriter")
        elif isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else ""
            if node.attr == "Workbook" or (owner, node.attr) in {("csv", "writer"),
                                                                 ("csv", "DictWriter")}:
                found.append(f"line {node.lineno}: {owner or '...'}.{node.attr}")
    return found


def test_only_the_spreadsheet_helper_writes_csv_or_workbooks():
    offenders = {str(path.relative_to(PACKAGE)): found for path in sorted(PACKAGE.rglob("*.py"))
                 if path != HELPER and (found := _writers_in(path))}
    assert offenders == {}, "write spreadsheets through trainhub/core/spreadsheets.py"
    assert _writers_in(HELPER)  # the scan does see a writer where there is one


@pytest.mark.parametrize("value", HOSTILE)
def test_text_that_would_start_a_formula_gets_a_quote(value):
    assert safe_cell(value) == "'" + value
    assert next(csv.reader(io.StringIO(csv_text([[value, "x"]]))))[0] == "'" + value
    content = xlsx_bytes("s", [[value]])
    cell = load_workbook(io.BytesIO(content)).active["A1"]
    assert cell.data_type == "s" and cell.value.startswith("'")
    # the import's reader gets the text back exactly (a CR is stored as the escape _x000D_)
    assert CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0) \
        .to_python() == [["'" + value]]


def test_numbers_dates_and_plain_text_are_written_as_they_are():
    row = [-5, -2.5, Decimal("-7.25"), 0, date(2026, 1, 2), None, "Popescu", "a=b", ""]
    assert [safe_cell(value) for value in row] == row
    assert csv_text([row]) == "-5,-2.5,-7.25,0,2026-01-02,,Popescu,a=b,\r\n"
    cells = list(load_workbook(io.BytesIO(xlsx_bytes("s", [row]))).active.iter_rows())[0]
    assert [cell.data_type for cell in cells[:4]] == ["n"] * 4
    assert cells[0].value == -5 and cells[6].value == "Popescu"



def test_the_workbook_keeps_dates_blanks_and_every_sheet_title_excel_takes():
    workbook = SafeWorkbook()
    first = workbook.sheet("by county: [RO/CJ]?")
    first.header(["when", "at", "blank", "flag"])
    first.append([date(2026, 1, 2), datetime(2026, 1, 2, 9, 30), "", True])
    workbook.sheet("x" * 40).append(["long"])
    workbook.sheet("X" * 40).append(["same title, other case"])
    opened = load_workbook(io.BytesIO(workbook.to_bytes()))
    assert opened.sheetnames == ["by county_ _RO_CJ__", "x" * 31, "X" * 29 + " 2"]
    header, row = list(opened.worksheets[0].iter_rows())
    assert header[0].font.bold and opened.worksheets[0].freeze_panes == "A2"
    assert [cell.value for cell in row] == [datetime(2026, 1, 2), datetime(2026, 1, 2, 9, 30),
                                            None, True]
    assert row[0].is_date and row[1].is_date


# --- the sheet XML is written here: whatever the text, the file opens and reads back -------

def _parts_are_well_formed(content: bytes) -> list[str]:
    """Every part of the workbook parsed as XML (a file Excel cannot open is worse than a slow
    one); the names of the parts."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        for name in archive.namelist():
            ElementTree.fromstring(archive.read(name))
        return archive.namelist()


def _cell_limit(text: str) -> str:
    """`text` as a cell keeps it: at most MAX_CELL_TEXT UTF-16 units, no character split."""
    return text.encode("utf-16-le")[:2 * MAX_CELL_TEXT].decode("utf-16-le", errors="ignore")


#: any text XML can carry once escaped (U+FFFE and U+FFFF, which XML refuses and no reader
#: turns back, are written as Excel's escapes `_xFFFE_`, `_xFFFF_`)
_TEXT_CHARACTERS = st.characters(exclude_characters="\ufffe\uffff")
_TEXTS = st.one_of(
    st.text(_TEXT_CHARACTERS),
    st.text(st.sampled_from("_x0Dd9AF&<>\"' \t\r\n\x00\x01\x1f=+-@ăîșț😀")),
    st.builds(lambda start, rest: start + rest, st.sampled_from([*FORMULA_STARTS, " ", "'"]),
              st.text(_TEXT_CHARACTERS)),
    st.builds(lambda text: "_x005F" + text, st.from_regex(r"_x[0-9a-fA-F]{4}_", fullmatch=True)),
    # around the cell limit, characters of one and of two UTF-16 units
    st.builds(lambda char, length, tail: char * length + tail, st.sampled_from("aș😀<\r"),
              st.integers(MAX_CELL_TEXT - 3, MAX_CELL_TEXT + 3), st.text(max_size=3)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(_TEXTS, min_size=1, max_size=4))
def test_any_text_reads_back_as_its_safe_value_in_both_readers(values):
    content = xlsx_bytes("s", [["first", *values]])  # a first cell: the readers start at A
    _parts_are_well_formed(content)
    expected = ["first", *(_cell_limit(safe_cell(value)) for value in values)]
    sheet = load_workbook(io.BytesIO(content)).active
    # openpyxl hands an inline string over as stored, in Excel's `_xHHHH_` escapes
    assert [unescape(sheet.cell(1, column).value or "")
            for column in range(1, len(expected) + 1)] == expected
    assert all(sheet.cell(1, column).data_type == "s"
               for column, value in enumerate(expected, start=1) if value)
    cells = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0) \
        .to_python()[0]
    assert [cells[index] if index < len(cells) else "" for index in range(len(expected))] \
        == expected


def test_every_part_is_well_formed_xml_and_names_what_excel_needs():
    workbook = SafeWorkbook()
    first = workbook.sheet('a&b <"quoted"> \x01')
    first.letterhead(["Uniunea Europeană & <Guvernul>"])
    first.header(["name", "when"])
    first.append(["<r>not rich</r>", date(2026, 1, 2), "\x00\x1f\ufffe\uffff", "_x0041_"])
    workbook.sheet("second").append([1, 2.5, Decimal("3.25"), True, time(9, 30)])
    names = _parts_are_well_formed(workbook.to_bytes())
    assert names[0] == "[Content_Types].xml" and {
        "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
        "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"} <= set(names)
    opened = load_workbook(io.BytesIO(workbook.to_bytes()))
    assert opened.sheetnames == ["a&b <\"quoted\"> _", "second"]
    assert opened.worksheets[0].freeze_panes == "A4"  # below the header, under the letterhead
    assert opened.worksheets[0]["A4"].value == "<r>not rich</r>"  # text, never raw XML
    assert [cell.value for cell in opened.worksheets[1][1]] == [1, 2.5, 3.25, True, time(9, 30)]
    assert workbook.sheet("'quoted'").title == "_quoted_"  # Excel refuses ' at either end
    assert workbook.sheet("History").title == "History 2"  # and keeps this name for itself


DATES = [date(1900, 1, 1), date(1900, 2, 28), date(1900, 3, 1), date(1980, 5, 17),
         date(2026, 11, 30), datetime(2026, 1, 2, 9, 30, 15, 250_000), datetime(1900, 1, 1, 6),
         datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=3))),
         datetime(2026, 3, 29, 1, 30, tzinfo=UTC), time(0, 0), time(23, 59, 59, 999_999)]


def test_dates_and_times_are_the_serial_numbers_xlsxwriter_wrote():
    content = xlsx_bytes("s", [DATES])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    written = [float(cell.find(f"{main}v").text) for cell in sheet.iter(f"{main}c")]
    assert written == [_datetime_to_excel_datetime(value, False, True) for value in DATES]
    # the same clock time, whatever the zone: a zone-aware value never serves another's serial
    assert written[7] == written[8]
    row = [cell.value for cell in load_workbook(io.BytesIO(content)).active[1]]
    assert row[3] == datetime(1980, 5, 17) and row[5] == datetime(2026, 1, 2, 9, 30, 15, 250_000)


def test_numbers_keep_their_value_and_odd_values_become_text():
    row = [2**53 + 1, -0.1, Decimal("1E+3"), float("nan"), Decimal("NaN"), Decimal("sNaN"),
           float("inf")]
    read = CalamineWorkbook.from_filelike(io.BytesIO(xlsx_bytes("s", [row]))) \
        .get_sheet_by_index(0).to_python()[0]
    assert read == [float(2**53 + 1), -0.1, 1000.0, "nan", "NaN", "sNaN", "inf"]


def test_a_wide_row_keeps_every_column_in_its_place():
    row = [*range(1, 704), "", None, "after the blanks"]
    sheet = load_workbook(io.BytesIO(xlsx_bytes("s", [row]))).active
    assert [cell.value for cell in sheet[1]] == [*range(1, 704), None, None, "after the blanks"]
    assert sheet["ZZ1"].value == 702 and sheet["AAA1"].value == 703


# --- every export, downloaded with a hostile name ---------------------------------------------

@pytest.fixture
def hostile(app):
    """A project whose enterprise and member carry names that would start formulas."""
    call = seed_call(db.session)
    project = ProjectFactory(call=call, code="SMIS-77", start_date=date(2026, 1, 1),
                             end_date=date(2026, 12, 31))
    firm = EnterpriseFactory(name="=HYPERLINK(\"http://evil\",\"firm\")")
    membership = MembershipFactory(project=project, participant__enterprise=firm,
                                   participant__last_name="=1+2", participant__first_name="@SUM(A1)",
                                   participant__job_title="-3+4", participant__phone="+40721000000")
    member(project, entry=date(2026, 2, 3), last_name="=CMD()")
    admin = UserFactory(role="admin")
    db.session.commit()
    return project, firm, membership, admin


def _cells(data: bytes, sheet: str | None = None) -> list:
    workbook = load_workbook(io.BytesIO(data))
    return [cell for row in (workbook[sheet] if sheet else workbook.active).iter_rows()
            for cell in row]


def _assert_no_formula(cells: list) -> None:
    assert cells, "the workbook is empty"
    for cell in cells:
        assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
        if isinstance(cell.value, str):
            assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r")), cell.value


def test_documents_board_export_neutralises_names(hostile, client, auth):
    _project, firm, _membership, admin = hostile
    auth.login(admin.email)
    rows = list(csv.reader(io.StringIO(
        client.get("/documents/board/export").get_data(as_text=True).lstrip("\ufeff"))))
    assert ["'" + firm.name] == [row[2] for row in rows if row[0] == "enterprise"
                                 and row[2].endswith("\"firm\")")]
    assert any(row[3] == "'=1+2 @SUM(A1)" for row in rows)
    assert all(not value.startswith(("=", "+", "@")) for row in rows for value in row)
    cells = _cells(client.get("/documents/board/export?format=xlsx").data)
    _assert_no_formula(cells)
    assert "'" + firm.name in [cell.value for cell in cells]
    assert any(cell.data_type == "n" for cell in cells)  # the counts stay numbers


def test_register_neutralises_names_and_keeps_numbers(hostile, client, auth):
    project, firm, _membership, admin = hostile
    auth.login(admin.email)
    response = client.get(f"/participants/register.xlsx?project={project.id}")
    assert response.status_code == 200
    cells = _cells(response.data)
    _assert_no_formula(cells)
    rows = xlsx_table(response.data)
    person = dict(zip(rows[0], next(row for row in rows if row[2] == "'=1+2"), strict=True))
    assert (person["first_name"], person["job_title"], person["phone"],
            person["enterprise_name"]) == ("'@SUM(A1)", "'-3+4", "'+40721000000", "'" + firm.name)
    assert isinstance(person["age"], int)


def test_indicator_exports_neutralise_names_on_the_web_and_the_cli(hostile, client, auth,
                                                                   runner, tmp_path):
    project, _firm, _membership, admin = hostile
    auth.login(admin.email)
    response = client.get(f"/indicators/export?project={project.id}&from=2026-01-01"
                          "&to=2026-06-30&format=xlsx")
    assert response.status_code == 200
    cells = _cells(response.data, "participants")
    _assert_no_formula(cells)
    assert "'=CMD()" in [cell.value for cell in cells]
    target = tmp_path / "out.xlsx"
    result = runner.invoke(args=["indicators", "export", "--project", project.code, "--from",
                                 "2026-01-01", "--to", "2026-06-30", "--format", "xlsx",
                                 "--output", str(target)])
    assert result.exit_code == 0, result.output
    cells = _cells(target.read_bytes(), "participants")
    _assert_no_formula(cells)
    assert "'=CMD()" in [cell.value for cell in cells]
