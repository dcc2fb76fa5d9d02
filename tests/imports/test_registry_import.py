"""Importing enterprises, participants and whole workbooks: bad input, all-or-nothing, updates."""
import copy
import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from tests.data.make_workbook import WORKBOOK, build
from tests.factories import CallFactory, ProjectFactory, valid_cnp, valid_cui
from trainhub.attendance.models import AttendanceMark
from trainhub.courses.models import Enrollment
from trainhub.demo import DEFAULT_RULES
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.imports.importers import run_import
from trainhub.imports.services import ImportFailed
from trainhub.participants.models import Membership, Participant

ENTERPRISE_HEADER = "cui,name,caen,county,employees,turnover_eur,balance_eur\n"


@pytest.fixture
def project(app):
    call = CallFactory(code="POCU/3.12", rules=copy.deepcopy(DEFAULT_RULES))
    project = ProjectFactory(call=call, code="SMIS-1", regions=["RO11", "RO12"])
    db.session.commit()  # a failed workbook import rolls back its own transaction only
    return project


def counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Enterprise, Participant, Membership))


def firm_csv(cui: str | None = None) -> str:
    return ENTERPRISE_HEADER + f"{cui or valid_cui(1)},Firma Test SRL,6201,Cluj,12,900000,\n"


def people_csv(*rows: str, cui: str | None = None) -> bytes:
    header = "cnp,last_name,first_name,enterprise_cui,county,environment,isced,employment_status\n"
    return (header + "".join(row + "\n" for row in rows)).encode()


def person(cnp: str, cui: str, *, county="Cluj", isced="3", last="Ionescu") -> str:
    return f"{cnp},{last},Maria,{cui},{county},urban,{isced},employed"


def test_enterprises_are_created_then_updated_by_cui_never_duplicated(project):
    cui = valid_cui(1)
    report = run_import(db.session, "enterprises", firm_csv(f"RO {cui}").encode(), project, user_id=None)
    assert (report.created, report.written) == (1, True)
    again = run_import(db.session, "enterprises", firm_csv(cui).replace("12,", "14,").encode(),
                       project, user_id=None)
    assert (again.created, again.updated) == (0, 1)
    enterprise = db.session.scalar(select(Enterprise))
    assert (enterprise.cui, enterprise.employees, enterprise.nuts2) == (cui, 14, "RO11")
    assert counts()[0] == 1


@pytest.mark.parametrize(("row", "column", "message"), [
    ("{cnp}", None, None),
    ("1800517125431", "cnp", "check digit"),
    ("18005171254", "cnp", "13 digits"),
    (valid_cnp("M", date(2025, 1, 1)).replace("5250101", "5990101")[:12] + "0", "cnp", None),
])
def test_bad_cnp_is_reported_with_sheet_row_and_column(project, row, column, message):
    run_import(db.session, "enterprises", firm_csv().encode(), project, user_id=None)
    cnp = row.format(cnp=valid_cnp())
    report = run_import(db.session, "participants", people_csv(person(cnp, valid_cui(1))), project,
                        user_id=None)
    if column is None:
        assert report.ok and report.written
        return
    assert not report.written and report.errors[0].row == 2 and report.errors[0].column == "cnp"
    if message:
        assert message in str(report.errors[0])
    assert str(report.errors[0]).startswith("csv:2: cnp: ")


def test_a_cnp_born_in_the_future_is_refused(project):
    body = "6" + f"{date(2027, 1, 1):%y%m%d}" + "12001"
    from trainhub.core.identifiers import cnp_check_digit

    future = body + cnp_check_digit(body)
    report = run_import(db.session, "participants", people_csv(person(future, "")), project,
                        user_id=None)
    assert any(e.column == "cnp" for e in report.errors), report.errors


def test_every_bad_row_is_listed_and_nothing_is_written(project):
    run_import(db.session, "enterprises", firm_csv().encode(), project, user_id=None)
    before = counts()
    good = valid_cnp()
    report = run_import(db.session, "participants", people_csv(
        person(good, valid_cui(1)),
        person(valid_cnp(), valid_cui(1), county="Atlantis"),
        person(valid_cnp(), valid_cui(1), isced="9"),
        person(good, valid_cui(1)),
        person(valid_cnp(), "12345678"),
    ), project, user_id=None)
    assert [str(e) for e in report.errors] == [
        "csv:3: county: 'Atlantis' is not a Romanian county (a name such as Argeș, a plate code"
        " such as AG or an ISO code such as RO-AG)",
        "csv:4: isced: '9' is not an ISCED level (0 to 8, or primar, gimnaziu, liceu, postliceal,"
        " licență, master, doctorat)",
        "csv:5: cnp: same CNP as row 2",
        "csv:6: enterprise_cui: CUI check digit is wrong",
    ]
    assert not report.written and counts() == before


def test_partial_imports_only_the_valid_rows(project):
    run_import(db.session, "enterprises", firm_csv().encode(), project, user_id=None)
    report = run_import(db.session, "participants", people_csv(
        person(valid_cnp(), valid_cui(1)), person(valid_cnp(), valid_cui(1), isced="x")),
        project, user_id=None, partial=True)
    assert report.written and report.created == 1 and len(report.errors) == 1
    assert counts()[1:] == (1, 1)


def test_imported_people_are_members_evaluated_against_the_rules(project):
    run_import(db.session, "enterprises", (firm_csv() + f"{valid_cui(2)},Departe SRL,6201,Timiș,5,1000,\n").encode(),
               project, user_id=None)
    run_import(db.session, "participants", people_csv(
        person(valid_cnp(), valid_cui(1), last="Avram"), person(valid_cnp(), valid_cui(2), last="Bucur")),
        project, user_id=None)
    reasons = {m.participant.enterprise.cui: [r["code"] for r in m.reasons]
               for m in db.session.scalars(select(Membership))}
    assert reasons == {valid_cui(1): [], valid_cui(2): ["employer_region"]}


def test_romanian_aliases_windows_1250_and_semicolons(project):
    run_import(db.session, "enterprises", firm_csv().encode(), project, user_id=None)
    # Excel's Windows-1250 has only the cedilla forms (ş, ţ) of the Romanian letters
    text = ("CNP;Nume;Prenume;CUI angajator;Judeţ;Mediu;ISCED;Statut\n"
            f"{valid_cnp()};Ştefănescu;Ioana;{valid_cui(1)};Braşov;rural;3;angajat\n")
    for content in (text.encode("cp1250"), b"\xef\xbb\xbf" + text.encode("utf-8")):
        db.session.query(Membership).delete()
        db.session.query(Participant).delete()
        report = run_import(db.session, "participants", content, project, user_id=None)
        assert report.written, report.errors
        person_row = db.session.scalar(select(Participant))
        assert (person_row.last_name, person_row.county, person_row.environment) == (
            "Ştefănescu", "RO-BV", "rural")


def _xlsx(fill) -> bytes:
    workbook = Workbook()
    fill(workbook.active)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def test_xlsx_formulas_merged_cells_and_a_million_empty_rows(project):
    cui = valid_cui(1)

    def fill(sheet):
        sheet.append(["cui", "name", "caen", "county", "employees", "turnover_eur"])
        sheet.append([cui, '=CONCAT("Formula", " SRL")', "6201", "Cluj", 4, 1000])
        sheet.append([valid_cui(3), "Merged SRL", "6201", "Cluj", 4, 1000])
        sheet.merge_cells("B3:C3")
        sheet.cell(row=1_048_576, column=1, value=" ")

    report = run_import(db.session, "enterprises", _xlsx(fill), project, user_id=None)
    # a formula never calculated by Excel has no value, and a merge keeps only its first
    # cell: both are reported as missing, not guessed; the empty tail is not read to the end
    assert [str(e) for e in report.errors] == ["Sheet:2: name: is required",
                                               "Sheet:3: caen: is required"]
    assert not report.written


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    (b"%PDF-1.7 binary\x00\x00", "neither an XLSX workbook nor a CSV"),
    (b"PK\x03\x04 broken zip", "not a readable XLSX"),
    (b"name,caen\nX,6201\n", "missing column(s): cui, county"),
])
def test_a_file_that_cannot_be_imported_gets_one_clear_message(project, content, message):
    with pytest.raises(ImportFailed, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_import(db.session, "enterprises", content, project, user_id=None)


def test_the_demo_workbook_brings_a_whole_project_and_reimports_without_duplicates(project):
    report = run_import(db.session, "workbook", WORKBOOK.read_bytes(), project, user_id=None)
    assert report.ok and report.written, report.errors
    assert counts() == (3, 4, 4)
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 2
    assert db.session.scalar(select(func.count()).select_from(AttendanceMark)) == 3
    statuses = {m.participant.last_name: (m.eligibility_status, m.evidence.get("source"))
                for m in db.session.scalars(select(Membership))}
    assert statuses["Ștefănescu"] == ("eligible", "imported")
    assert statuses["Popa"] == ("pending", None)
    assert statuses["Dumitru"] == ("ineligible", "imported")
    again = run_import(db.session, "workbook", WORKBOOK.read_bytes(), project, user_id=None)
    assert again.ok and again.created == 0 and counts() == (3, 4, 4)


def test_one_bad_row_in_any_sheet_leaves_the_database_unchanged(project, tmp_path):
    def break_attendance(sheets):
        sheets["attendance"][1][3] = "sleeping"

    path = build(tmp_path / "bad.xlsx", break_attendance)
    report = run_import(db.session, "workbook", path.read_bytes(), project, user_id=None)
    assert [str(e) for e in report.errors] == [
        "attendance:2: status: 'sleeping' is not accepted here (accepted: DA, NU, prezent, absent,"
        " motivat, întârziat, P, A, M, I)"
    ] or report.errors[0].sheet == "attendance"
    assert not report.written and counts() == (0, 0, 0)
    fixed = run_import(db.session, "workbook", WORKBOOK.read_bytes(), project, user_id=None)
    assert fixed.written and counts() == (3, 4, 4)
