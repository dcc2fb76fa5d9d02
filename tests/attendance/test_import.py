"""Attendance import (CSV/XLSX, DESIGN §9): every bad row reported, all or nothing."""
from datetime import date, time
from decimal import Decimal

import pytest
from openpyxl import Workbook

from tests.factories import (
    CohortFactory,
    EnrollmentFactory,
    MembershipFactory,
    ParticipantFactory,
    TrainingSessionFactory,
)
from trainhub.attendance.models import AttendanceMark
from trainhub.extensions import db


@pytest.fixture
def cohort_world(app):
    cohort = CohortFactory(code="G-IMP")
    sessions = [TrainingSessionFactory(cohort=cohort, date=date(2026, 3, day), start_time=time(16),
                                       end_time=time(20), hours=Decimal(4)) for day in (3, 5)]
    people = [ParticipantFactory() for _ in range(2)]
    for person in people:
        EnrollmentFactory(cohort=cohort, enrolled_on=date(2026, 3, 1),
                          membership=MembershipFactory(project=cohort.project, participant=person))
    outsider = ParticipantFactory()
    db.session.commit()
    return cohort, sessions, people, outsider


def _run(runner, tmp_path, project_code, content: bytes, name="a.csv", *extra):
    path = tmp_path / name
    path.write_bytes(content)
    return runner.invoke(args=["import", "attendance", str(path), "--project", project_code, *extra])


def test_valid_csv_imports_every_mark(runner, tmp_path, cohort_world):
    cohort, _sessions, (ana, ion), _outsider = cohort_world
    csv = (f"cohort_code;date;cnp;status;hours\n"
           f"G-IMP;2026-03-03;{ana.cnp};present;\n"
           f"G-IMP;05.03.2026;{ion.cnp};late;3,5\n").encode("utf-8-sig")
    result = _run(runner, tmp_path, cohort.project.code, csv)
    assert result.exit_code == 0, result.output
    assert "2 new" in result.output
    marks = sorted((m.status, m.hours, m.source) for m in db.session.query(AttendanceMark))
    assert marks == [("late", Decimal("3.5"), "csv"), ("present", Decimal(4), "csv")]
    again = _run(runner, tmp_path, cohort.project.code, csv)
    assert "0 new, 0 updated, 2 unchanged" in again.output


def test_every_bad_row_is_reported_and_nothing_written(runner, tmp_path, cohort_world):
    cohort, _sessions, (ana, ion), outsider = cohort_world
    csv = "\n".join([
        "Cohort_Code,Date,CNP,Status,Hours",
        f"G-IMP,2026-03-03,{ana.cnp},present,",
        f"G-NONE,2026-03-03,{ana.cnp},present,",
        f"G-IMP,2026-03-04,{ana.cnp},present,",
        f"G-IMP,2026-03-03,{outsider.cnp},present,",
        f"G-IMP,2026-03-05,{ion.cnp},present,9",
        "G-IMP,2026-03-05,1234567890123,present,",
        f"G-IMP,2026-03-03,{ana.cnp},absent,",
    ]).encode()
    result = _run(runner, tmp_path, cohort.project.code, csv)
    assert result.exit_code == 1
    for line in ("csv:3: cohort_code: no cohort «G-NONE»", "csv:4: date: cohort G-IMP has no session on 2026-03-04",
                 "csv:5: cnp: not enrolled in cohort G-IMP", "csv:6: hours: hours must be between 0 and 4",
                 "csv:7: cnp: CNP", "csv:8: cnp: same person and date as row 2"):
        assert line in result.output
    assert "nothing was written" in result.output
    assert db.session.query(AttendanceMark).count() == 0
    partial = _run(runner, tmp_path, cohort.project.code, csv, "a.csv", "--partial")
    assert partial.exit_code == 0 and db.session.query(AttendanceMark).count() == 1


def test_xlsx_with_date_cells_and_windows_1250_csv(runner, tmp_path, cohort_world):
    cohort, _sessions, (ana, ion), _outsider = cohort_world
    book = Workbook()
    sheet = book.active
    sheet.title = "prezenta"
    sheet.append(["grupa", "data", "cnp", "stare", "ore"])
    sheet.append(["G-IMP", date(2026, 3, 3), int(ana.cnp), "present", None])
    for _ in range(5):
        sheet.append([None] * 5)
    sheet.append(["G-IMP", "2026-03-05", ion.cnp, "excused", 0])
    path = tmp_path / "a.xlsx"
    book.save(path)
    result = runner.invoke(args=["import", "attendance", str(path), "--project", cohort.project.code])
    assert result.exit_code == 0, result.output
    assert db.session.query(AttendanceMark).count() == 2
    csv = f"cohort_code;date;cnp;status;hours\nG-IMP;2026-03-03;{ana.cnp};absent;0 ş\n".encode("cp1250")  # Excel writes the cedilla form
    bad = _run(runner, tmp_path, cohort.project.code, csv)
    assert "csv:2: hours: hours must be a number" in bad.output


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (b"\x00\x01\x02binary", "neither an XLSX workbook nor a CSV text file"),
    (b"PK\x03\x04broken zip", "not a readable XLSX workbook"),
    (b"cohort_code,date,cnp\nG-IMP,2026-03-03,1\n", "missing column(s): status"),
])
def test_file_level_problems_give_one_clear_message(runner, tmp_path, cohort_world, content, message):
    cohort = cohort_world[0]
    result = _run(runner, tmp_path, cohort.project.code, content)
    assert result.exit_code == 1 and message in result.output


def test_unknown_project_is_refused(runner, tmp_path, cohort_world):
    result = _run(runner, tmp_path, "NOPE", b"x")
    assert result.exit_code == 1 and "no project with code NOPE" in result.output
