"""DESIGN §13 "Nothing lost" and "Report": a re-import never empties or moves what it does not name."""
import copy
import io
from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from tests.data.make_workbook import build, sheets
from tests.factories import CallFactory, ProjectFactory, UserFactory, valid_cui
from trainhub.attendance.models import AttendanceMark
from trainhub.courses.models import Cohort, Enrollment
from trainhub.demo import DEFAULT_RULES
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.imports.importers import run_import, summary
from trainhub.indicators.services import compute
from trainhub.participants.models import Participant

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
PERSON_COLUMNS = ("last_name", "first_name", "email", "phone", "enterprise_id", "job_title",
                  "county", "environment", "isced", "employment_status", "disability",
                  "minority_or_migrant")


@pytest.fixture
def project(app):
    call = CallFactory(code="POCU/3.12", rules=copy.deepcopy(DEFAULT_RULES))
    project = ProjectFactory(call=call, code="SMIS-1", regions=["RO11", "RO12"])
    db.session.commit()
    return project


def _with_contacts(sheets):
    for n, row in enumerate(sheets["participants"][1:]):
        row[3], row[4] = f"p{n}@example.ro", f"07220000{n:02d}"
        row[12] = "da" if n == 0 else "nu"


@pytest.fixture
def data():
    """The demo workbook's rows with contacts filled in, made once per test (CNPs are drawn
    afresh each time the rows are made)."""
    rows = sheets()
    _with_contacts(rows)
    return rows


def workbook(path, data, change=None) -> bytes:
    """`data` (changed by `change` on a copy) written as a workbook."""
    rows = copy.deepcopy(data)
    if change:
        change(rows)
    return build(path, lambda made: made.update(rows)).read_bytes()


@pytest.fixture
def world(project, tmp_path, data):
    """The demo workbook (3 firms, 4 people, one counted in March 2026), contacts filled in."""
    report = run_import(db.session, "workbook", workbook(tmp_path / "world.xlsx", data), project,
                        user_id=None)
    assert report.written, report.errors
    return project


def people() -> dict[str, tuple]:
    db.session.expire_all()
    return {p.cnp: tuple(getattr(p, name) for name in PERSON_COLUMNS)
            for p in db.session.scalars(select(Participant))}


def firms() -> dict[str, tuple]:
    db.session.expire_all()
    return {e.cui: (e.name, e.caen, e.county, e.locality, e.employees, e.turnover_eur,
                    e.balance_eur, e.contact_name, e.contact_email)
            for e in db.session.scalars(select(Enterprise))}


def total(project) -> int:
    return compute(db.session, project, *MARCH)["TOTAL"]["total"]


def four_columns(rows) -> bytes:
    return ("cnp,nume,prenume,cui_angajator\n" + "".join(
        f"{cnp},{last},{first},{cui}\n" for cnp, last, first, cui in rows)).encode()


def current_rows() -> list[tuple]:
    return [(p.cnp, p.last_name, p.first_name, p.enterprise.cui if p.enterprise else "")
            for p in db.session.scalars(select(Participant).order_by(Participant.cnp))]


def test_a_four_column_reimport_keeps_every_stored_value_and_the_total(world):
    before, counted = people(), total(world)
    assert counted == 1 and all(row[2] and row[3] and row[8] is not None for row in before.values())
    report = run_import(db.session, "participants", four_columns(current_rows()), world,
                        user_id=None)
    assert report.written and (report.created, report.updated, report.unchanged) == (0, 0, 4)
    assert people() == before
    assert total(world) == counted


def test_blank_cells_keep_the_stored_values(world):
    before = people()
    header = ("cnp,last_name,first_name,email,phone,enterprise_cui,job_title,county,environment,"
              "isced,employment_status,disability,minority_or_migrant\n")
    body = "".join(f"{cnp},{last},{first},,,,,,,,,,\n" for cnp, last, first, _ in current_rows())
    report = run_import(db.session, "participants", (header + body).encode(), world, user_id=None)
    assert report.written and report.unchanged == 4, report.errors
    assert people() == before


def test_a_new_person_from_a_partial_file_gets_the_defaults(world):
    from tests.factories import valid_cnp

    cnp = valid_cnp("F", date(1970, 1, 2))
    report = run_import(db.session, "participants", four_columns([(cnp, "Nou", "Ana", "")]),
                        world, user_id=None)
    assert report.created == 1
    person = db.session.scalar(select(Participant).where(Participant.cnp == cnp))
    assert (person.email, person.enterprise_id, person.isced) == ("", None, None)


def test_an_employer_change_is_a_warning_and_applied_only_when_confirmed(world):
    rows = current_rows()
    moved_cnp, _, _, old_cui = rows[0]
    new_cui = next(cui for *_, cui in rows if cui != old_cui)
    rows[0] = (*rows[0][:3], new_cui)
    before = people()
    report = run_import(db.session, "participants", four_columns(rows), world, user_id=None)
    assert report.written
    assert [(w.row, w.column) for w in report.employer_changes] == [(2, "enterprise_cui")]
    assert old_cui in str(report.employer_changes[0]) and new_cui in str(report.employer_changes[0])
    assert people() == before  # the employer stays, nothing else changed either
    confirmed = run_import(db.session, "participants", four_columns(rows), world, user_id=None,
                           allow_employer_change=True)
    assert confirmed.updated == 1 and len(confirmed.employer_changes) == 1
    moved = db.session.scalar(select(Participant).where(Participant.cnp == moved_cnp))
    assert moved.enterprise.cui == new_cui
    assert {cnp: row for cnp, row in people().items() if cnp != moved_cnp} == {
        cnp: row for cnp, row in before.items() if cnp != moved_cnp}


def test_a_move_and_another_change_applies_the_other_change_only(world):
    rows = current_rows()
    new_cui = next(cui for *_, cui in rows if cui != rows[0][3])
    rows[0] = (rows[0][0], "Schimbat", rows[0][2], new_cui)
    report = run_import(db.session, "participants", four_columns(rows[:1]), world, user_id=None)
    assert report.updated == 1 and len(report.employer_changes) == 1
    person = db.session.scalar(select(Participant).where(Participant.cnp == rows[0][0]))
    assert person.last_name == "Schimbat" and person.enterprise.cui != new_cui


def test_enterprises_missing_columns_and_blank_cells_keep_stored_values(world):
    before = firms()
    partial = "cui,name,caen,county\n" + "".join(
        f"{cui},{name},{caen},{county}\n" for cui, (name, caen, county, *_rest) in before.items())
    report = run_import(db.session, "enterprises", partial.encode(), world, user_id=None)
    assert report.unchanged == 3 and firms() == before
    blanks = ("cui,name,caen,county,locality,employees,turnover_eur,balance_eur,contact_name,"
              "contact_email\n" + "".join(f"{cui},{name},{caen},{county},,,,,,\n"
                                          for cui, (name, caen, county, *_rest) in before.items()))
    report = run_import(db.session, "enterprises", blanks.encode(), world, user_id=None)
    assert report.unchanged == 3 and firms() == before


def test_workbook_blank_cells_keep_capacity_trainer_and_withdrawal(world, tmp_path, data):
    trainer = UserFactory(role="trainer", email="trainer@example.ro")
    db.session.commit()
    data["cohorts"][1][3] = "trainer@example.ro"
    report = run_import(db.session, "workbook", workbook(tmp_path / "t.xlsx", data), world,
                        user_id=None)
    assert report.updated == 1, report.errors
    before = people()

    def blanks(rows):
        rows["cohorts"][1][2:4] = [None, None]
        rows["enrollments"][2][4] = None
        for row in rows["participants"][1:]:
            row[3:13] = [None] * 10

    report = run_import(db.session, "workbook", workbook(tmp_path / "b.xlsx", data, blanks),
                        world, user_id=None)
    assert report.written and report.updated == 0, (report.errors, report.changes)
    cohort = db.session.scalar(select(Cohort))
    assert (cohort.capacity, cohort.trainer_id) == (20, trainer.id)
    withdrawn = db.session.scalar(select(Enrollment).where(Enrollment.status == "withdrawn"))
    assert withdrawn.withdrawn_on == date(2026, 3, 3)
    assert people() == before


def test_blank_hours_keep_an_existing_mark_and_default_a_new_one(world, tmp_path, data):
    late = db.session.scalar(select(AttendanceMark).where(AttendanceMark.status == "late"))
    assert late.hours == Decimal(3)

    def blank_hours(rows):
        for row in rows["attendance"][1:]:
            row[4] = None

    report = run_import(db.session, "workbook", workbook(tmp_path / "h.xlsx", data, blank_hours),
                        world, user_id=None)
    assert report.written and (report.updated, report.unchanged) == (0, 16), report.changes
    db.session.expire_all()
    assert late.hours == Decimal(3)
    cnp = db.session.scalar(select(Participant.cnp).where(Participant.last_name == "Ștefănescu"))
    csv = f"cohort_code,date,cnp,status,hours\nWB-G1,2026-03-02,{cnp},late,\n".encode()
    changed = run_import(db.session, "attendance", csv, world, user_id=None)
    assert changed.updated == 1
    mark = db.session.scalar(select(AttendanceMark).join(Enrollment).where(
        AttendanceMark.status == "late", AttendanceMark.id != late.id))
    assert mark.hours == Decimal(4)  # a changed status takes the default of DESIGN §7


def test_the_report_counts_rows_not_messages(world):
    header = "cnp,last_name,first_name,county,isced,environment\n"
    rows = current_rows()
    body = (f"{rows[0][0]},{rows[0][1]},{rows[0][2]},Atlantis,x,beach\n"
            f"{rows[1][0]},{rows[1][1]},{rows[1][2]},,,\n")
    report = run_import(db.session, "participants", (header + body).encode(), world, user_id=None)
    assert len(report.errors) == 3 and report.rows_with_errors == 1
    assert [f"{e.sheet}:{e.row}: {e.column}" for e in report.errors] == [
        "csv:2: county", "csv:2: environment", "csv:2: isced"]
    assert str(summary(report)) == "2 rows: 0 new, 0 updated, 1 unchanged, 0 skipped, 1 with errors"
    with force_locale("ro"):
        assert str(summary(report)) == (
            "2 rânduri — noi: 0, actualizate: 0, neschimbate: 1, sărite: 0, cu erori: 1")


def test_a_refused_attendance_status_lists_the_accepted_values(world):
    cnp = db.session.scalar(select(Participant.cnp).where(Participant.last_name == "Ștefănescu"))
    csv = f"cohort_code,date,cnp,status,hours\nWB-G1,2026-03-02,{cnp},Sleeping,\n".encode()
    report = run_import(db.session, "attendance", csv, world, user_id=None)
    (error,) = report.errors
    assert error.column == "status" and "'Sleeping'" in str(error)
    for status in ("DA", "NU", "prezent", "absent", "motivat", "întârziat"):
        assert status in str(error)


def test_unknown_cui_is_quoted_exactly(world):
    cui = valid_cui(777)
    from tests.factories import valid_cnp

    csv = f"cnp,last_name,first_name,enterprise_cui\n{valid_cnp()},Pop,Ana,RO{cui}\n"
    report = run_import(db.session, "participants", csv.encode(), world, user_id=None)
    (error,) = report.errors
    assert error.column == "enterprise_cui" and f"«RO{cui}»" in str(error)
    with force_locale("ro"):
        assert f"«RO{cui}»" in str(error) and "înregistrat" in str(error)


def _moved_file(tmp_path):
    rows = current_rows()
    new_cui = next(cui for *_, cui in rows if cui != rows[0][3])
    path = tmp_path / "moved.csv"
    path.write_bytes(four_columns([(*rows[0][:3], new_cui)]))
    return path, rows[0][0], rows[0][3], new_cui


def employer_of(cnp: str) -> str:
    db.session.expire_all()
    return db.session.scalar(select(Participant).where(Participant.cnp == cnp)).enterprise.cui


def test_cli_warns_of_a_move_applies_it_with_the_flag_and_speaks_romanian(world, runner,
                                                                          tmp_path):
    path, cnp, old_cui, new_cui = _moved_file(tmp_path)
    args = ["import", "participants", str(path), "--project", world.code]
    kept = runner.invoke(args=[*args, "--lang", "en"])
    assert kept.exit_code == 0, kept.output
    assert "warning: csv:2: enterprise_cui:" in kept.output and old_cui in kept.output
    assert "1 row: 0 new, 0 updated, 1 unchanged, 0 skipped, 0 with errors" in kept.output
    assert employer_of(cnp) == old_cui
    moved = runner.invoke(args=[*args, "--allow-employer-change", "--lang", "ro"])
    assert moved.exit_code == 0, moved.output
    assert "1 rând — noi: 0, actualizate: 1" in moved.output and "trece de la angajatorul" in moved.output
    assert employer_of(cnp) == new_cui


def test_cli_lang_defaults_from_lang_and_translates_row_errors(world, runner, tmp_path,
                                                               monkeypatch):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"cnp,last_name,first_name,enterprise_cui\n1800517125431,Pop,Ana,\n"
                     b",Pop,Ion,\n")
    monkeypatch.setenv("LANG", "ro_RO.UTF-8")
    result = runner.invoke(args=["import", "participants", str(path), "--project", world.code])
    assert result.exit_code == 1
    assert "csv:3: cnp: este obligatoriu" in result.output
    assert "2 rânduri — noi: 0, actualizate: 0, neschimbate: 0, sărite: 0, cu erori: 2" in result.output
    assert "nu s-a scris nimic" in result.output


def test_web_preview_lists_the_moves_and_applies_them_only_when_ticked(world, auth, client,
                                                                       tmp_path):
    user = UserFactory(role="coordinator")
    db.session.commit()
    auth.login(user.email)
    path, cnp, old_cui, new_cui = _moved_file(tmp_path)

    def upload() -> str:
        response = auth.post("/imports/", {"kind": "participants", "project_id": str(world.id),
                                           "file": (io.BytesIO(path.read_bytes()), "m.csv")},
                             content_type="multipart/form-data")
        return response.location

    token_url = upload()
    preview = client.get(token_url).get_data(as_text=True)
    assert 'data-testid="employer-changes"' in preview and new_cui in preview
    assert 'name="allow_employer_change"' in preview
    assert auth.post(token_url + "/confirm").status_code == 302
    assert employer_of(cnp) == old_cui
    token_url = upload()
    assert auth.post(token_url + "/confirm", {"allow_employer_change": "y"}).status_code == 302
    assert employer_of(cnp) == new_cui


def test_the_preview_runs_a_constant_number_of_queries(project, auth, client, page_queries):
    from tests.factories import valid_cnp

    user = UserFactory(role="coordinator")
    db.session.commit()
    auth.login(user.email)
    cuis = [valid_cui(501), valid_cui(502)]
    run_import(db.session, "enterprises", "".join(
        ["cui,name,caen,county\n", *(f"{cui},Firma {cui},6201,Cluj\n" for cui in cuis)]).encode(),
        project, user_id=None)

    def preview_of(count: int) -> int:
        rows = [(valid_cnp("F", date(1970, 1, 1 + n % 28), 1 + n % 40), "Pop", f"Ana{n}", cuis[0])
                for n in range(count)]
        assert run_import(db.session, "participants", four_columns(rows), project,
                          user_id=None).written
        moved = [(cnp, last, first, cuis[n % 2]) for n, (cnp, last, first, _) in enumerate(rows)]
        response = auth.post("/imports/", {"kind": "participants", "project_id": str(project.id),
                                           "file": (io.BytesIO(four_columns(moved)), "m.csv")},
                             content_type="multipart/form-data")
        return page_queries(response.location)

    assert preview_of(10) == preview_of(100)


def test_a_kept_withdrawal_date_before_a_new_enrollment_date_is_a_row_error(world, tmp_path,
                                                                            data):
    def later(rows):
        rows["enrollments"][2][2] = "2026-03-10"  # withdrawn on 2026-03-03 is stored
        rows["enrollments"][2][4] = None

    report = run_import(db.session, "workbook", workbook(tmp_path / "w.xlsx", data, later),
                        world, user_id=None)
    assert [(e.sheet, e.row, e.column) for e in report.errors] == [
        ("enrollments", 3, "withdrawn_on")]
    assert not report.written


def test_a_refused_mark_names_its_column_in_any_language(world):
    cnp = db.session.scalar(select(Participant.cnp).where(Participant.last_name == "Ștefănescu"))
    csv = f"cohort_code,date,cnp,status,hours\nWB-G1,2026-03-02,{cnp},present,9\n".encode()
    with force_locale("ro"):
        report = run_import(db.session, "attendance", csv, world, user_id=None)
        (error,) = report.errors
        assert error.column == "hours" and str(error.message).startswith("orele trebuie")


def test_rows_the_reader_skips_are_counted_in_the_report(world, monkeypatch):
    from trainhub.imports import importers

    read = importers.read_table

    def skipping(*args, **kwargs):
        table = read(*args, **kwargs)
        table.skipped = 2  # as the reader does for a TOTAL row and a footer
        return table

    monkeypatch.setattr(importers, "read_table", skipping)
    report = run_import(db.session, "participants", four_columns(current_rows()), world,
                        user_id=None)
    assert str(summary(report)) == "6 rows: 0 new, 0 updated, 4 unchanged, 2 skipped, 0 with errors"


def test_the_preview_speaks_the_users_language(world, auth, client, tmp_path):
    user = UserFactory(role="coordinator", locale="ro")
    db.session.commit()
    auth.login(user.email)
    path, *_rest = _moved_file(tmp_path)
    bad = path.read_bytes() + b"1800517125431,Pop,Ana,\n,Pop,Ion,\n"
    response = auth.post("/imports/", {"kind": "participants", "project_id": str(world.id),
                                       "file": (io.BytesIO(bad), "m.csv")},
                         content_type="multipart/form-data")
    page = client.get(response.location).get_data(as_text=True)
    assert "Schimbări de angajator" in page and "ar trece de la angajatorul" in page
    assert "csv:4: cnp: este obligatoriu" in page
    assert "2 cu erori" in page and "0 sărite" in page
