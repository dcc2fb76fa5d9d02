"""DESIGN §15 invariants on every write path: no mark before its session, none longer than it,
nothing written into a closed cohort, a rate never above 100 %, exit dates never after today."""
import io
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from openpyxl import Workbook

from tests.attendance.test_check_in import _check_in
from tests.factories import (
    AttendanceMarkFactory,
    CohortFactory,
    EnrollmentFactory,
    MembershipFactory,
    ParticipantFactory,
    TrainingSessionFactory,
    UserFactory,
)
from trainhub.attendance.models import AttendanceMark
from trainhub.attendance.services import close_cohort, load_grid, save_grid
from trainhub.courses.models import Enrollment, TrainingSession
from trainhub.extensions import db
from trainhub.imports.importers import run_import

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here

TODAY = date.today()
PAST, FUTURE = TODAY - timedelta(days=2), TODAY + timedelta(days=5)


@pytest.fixture
def world(app):
    """A cohort with one held session (4 h) and one in the future, two people enrolled."""
    UserFactory(email="coord@example.org", role="coordinator")
    trainer = UserFactory(email="trainer@example.org", role="trainer")
    cohort = CohortFactory(code="G-INV", trainer=trainer, start_date=PAST, end_date=FUTURE)
    held = TrainingSessionFactory(cohort=cohort, date=PAST, start_time=time(16),
                                  end_time=time(20), hours=Decimal(4))
    future = TrainingSessionFactory(cohort=cohort, date=FUTURE, start_time=time(16),
                                    end_time=time(20), hours=Decimal(4))
    ana = EnrollmentFactory(cohort=cohort, enrolled_on=PAST - timedelta(days=7),
                            membership=MembershipFactory(project=cohort.project, participant=(
                                ParticipantFactory(last_name="Ana"))))
    ion = EnrollmentFactory(cohort=cohort, enrolled_on=PAST - timedelta(days=7),
                            membership=MembershipFactory(project=cohort.project, participant=(
                                ParticipantFactory(last_name="Ion"))))
    db.session.commit()
    return cohort, held, future, ana, ion


def _marks() -> set:
    return {(m.session_id, m.enrollment_id, m.status) for m in db.session.query(AttendanceMark)}


def _close(cohort) -> None:
    close_cohort(db.session, cohort, TODAY, confirmed=True)


# -- the grid, mark all present ----------------------------------------------------------------

def test_grid_refuses_a_mark_for_a_session_not_held_yet(world, auth):
    cohort, held, future, ana, _ion = world
    auth.login("trainer@example.org")
    response = auth.post(f"/attendance/cohorts/{cohort.id}", {
        f"status-{held.id}-{ana.id}": "present", f"status-{future.id}-{ana.id}": "present"})
    assert response.status_code == 422
    assert "has not taken place yet" in response.get_data(as_text=True)
    assert _marks() == set()


def test_mark_all_present_refuses_a_future_session(world, auth):
    cohort, _held, future, _ana, _ion = world
    auth.login("trainer@example.org")
    response = auth.post(f"/attendance/cohorts/{cohort.id}", {"all_present": str(future.id)})
    assert response.status_code == 422 and _marks() == set()


def test_the_grid_offers_no_input_for_a_future_session(world, auth, client):
    cohort, held, future, ana, _ion = world
    auth.login("trainer@example.org")
    html = client.get(f"/attendance/cohorts/{cohort.id}").get_data(as_text=True)
    assert f'name="status-{held.id}-{ana.id}"' in html
    assert f'name="status-{future.id}-{ana.id}"' not in html


def test_a_closed_cohort_takes_no_marks_from_the_grid(world, auth, client):
    cohort, held, _future, ana, _ion = world
    _close(cohort)
    auth.login("trainer@example.org")
    response = auth.post(f"/attendance/cohorts/{cohort.id}", {f"status-{held.id}-{ana.id}": "present"})
    assert response.status_code == 422 and "is closed" in response.get_data(as_text=True)
    assert _marks() == set()
    assert f'name="status-{held.id}-{ana.id}"' not in client.get(
        f"/attendance/cohorts/{cohort.id}").get_data(as_text=True)
    with pytest.raises(Exception, match="is closed"):
        save_grid(db.session, load_grid(db.session, cohort),
                  {(held.id, ana.id): ("present", "")}, user_id=None)


def test_a_remark_is_kept_with_the_mark_and_shown(world, auth, client):
    cohort, held, _future, ana, _ion = world
    auth.login("trainer@example.org")
    auth.post(f"/attendance/cohorts/{cohort.id}", {
        f"status-{held.id}-{ana.id}": "excused", f"remark-{held.id}-{ana.id}": "  certificat   medical "})
    assert db.session.query(AttendanceMark).one().remark == "certificat medical"
    assert 'value="certificat medical"' in client.get(
        f"/attendance/cohorts/{cohort.id}").get_data(as_text=True)


# -- the rate ----------------------------------------------------------------------------------

def test_rate_never_exceeds_100_percent_even_with_a_stray_future_mark(world, auth, client):
    cohort, held, future, ana, _ion = world
    AttendanceMarkFactory(session=held, enrollment=ana, status="present", hours=Decimal(4))
    AttendanceMarkFactory(session=future, enrollment=ana, status="present", hours=Decimal(4))
    db.session.commit()  # written before the rule existed
    totals = load_grid(db.session, cohort, read_only=True).totals(TODAY)
    assert totals[ana.id] == (Decimal(4), 1.0)
    auth.login("trainer@example.org")
    html = client.get(f"/attendance/cohorts/{cohort.id}").get_data(as_text=True)
    assert "100%" in html and "200%" not in html


# -- QR check-in -------------------------------------------------------------------------------

def test_check_in_into_a_closed_cohort_is_refused(app, client):
    cohort = CohortFactory()
    session = TrainingSessionFactory(cohort=cohort, date=TODAY)
    person = ParticipantFactory()
    EnrollmentFactory(cohort=cohort, enrolled_on=TODAY - timedelta(days=7),
                      membership=MembershipFactory(project=cohort.project, participant=person))
    db.session.commit()
    _close(cohort)
    response = _check_in(app, client, session, person.cnp[-6:])
    assert response.status_code == 422 and _marks() == set()


# -- CSV import --------------------------------------------------------------------------------

def _csv(rows: list[str]) -> bytes:
    return ("cohort_code,date,cnp,status,hours,observații\n" + "\n".join(rows)).encode()


def test_csv_import_refuses_a_future_session(world):
    cohort, _held, _future, ana, _ion = world
    person = ana.membership.participant
    report = run_import(db.session, "attendance", _csv([
        f"G-INV,{PAST.isoformat()},{person.cnp},present,,",
        f"G-INV,{FUTURE.isoformat()},{person.cnp},present,,"]), cohort.project, user_id=None)
    assert not report.written and "has not taken place yet" in str(report.errors)
    assert _marks() == set()


def test_csv_import_refuses_a_closed_cohort(world):
    cohort, _held, _future, ana, _ion = world
    _close(cohort)
    report = run_import(db.session, "attendance", _csv([
        f"G-INV,{PAST.isoformat()},{ana.membership.participant.cnp},present,,"]),
        cohort.project, user_id=None)
    assert not report.written and "is closed" in str(report.errors)
    assert _marks() == set()


def test_csv_import_takes_the_remark_column(world):
    cohort, _held, _future, ana, _ion = world
    report = run_import(db.session, "attendance", _csv([
        f"G-INV,{PAST.isoformat()},{ana.membership.participant.cnp},absent,,motivat - boală"]),
        cohort.project, user_id=None)
    assert report.written, report.errors
    assert db.session.query(AttendanceMark).one().remark == "motivat - boală"


# -- workbook import ---------------------------------------------------------------------------

def _workbook(sheets: dict[str, list[list]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def test_workbook_import_refuses_future_marks_and_writes_into_a_closed_cohort(world):
    cohort, _held, _future, ana, _ion = world
    cnp = ana.membership.participant.cnp
    future_mark = _workbook({"attendance": [["cohort_code", "date", "cnp", "status", "hours"],
                                            ["G-INV", FUTURE.isoformat(), cnp, "present", None]]})
    report = run_import(db.session, "workbook", future_mark, cohort.project, user_id=None)
    assert not report.written and "has not taken place yet" in str(report.errors)
    _close(cohort)
    newcomer = MembershipFactory(project=cohort.project)
    db.session.commit()
    closed = _workbook({
        "sessions": [["cohort_code", "date", "start", "end"], ["G-INV", PAST.isoformat(), "09:00", "12:00"]],
        "enrollments": [["cohort_code", "cnp", "enrolled_on", "status"],
                        ["G-INV", newcomer.participant.cnp, PAST.isoformat(), "enrolled"]],
    })
    report = run_import(db.session, "workbook", closed, cohort.project, user_id=None)
    assert not report.written
    assert {(error.sheet, error.column) for error in report.errors} == {
        ("sessions", "cohort_code"), ("enrollments", "cohort_code")}
    assert db.session.query(TrainingSession).filter_by(cohort_id=cohort.id).count() == 2
    assert db.session.query(Enrollment).filter_by(cohort_id=cohort.id).count() == 2


# -- enrollments, withdrawals, sessions of a closed cohort -------------------------------------

def test_a_closed_cohort_refuses_enrollment_withdrawal_and_session_changes(world, auth):
    cohort, held, future, ana, _ion = world
    newcomer = MembershipFactory(project=cohort.project, eligibility_status="eligible")
    db.session.commit()
    _close(cohort)
    auth.login("coord@example.org")
    page = auth.post(f"/courses/cohorts/{cohort.id}/enroll", {
        "membership_ids": str(newcomer.id), "override_reason": "documente pe drum"},
        follow_redirects=True).get_data(as_text=True)
    assert "is closed" in page
    assert db.session.query(Enrollment).filter_by(membership_id=newcomer.id).count() == 0
    auth.post(f"/courses/enrollments/{ana.id}/withdraw")
    db.session.refresh(ana)
    assert ana.status == "completed" or ana.status == "not_completed"
    assert ana.withdrawn_on is None
    page = auth.post(f"/courses/sessions/{future.id}/delete", follow_redirects=True)
    assert "is closed" in page.get_data(as_text=True)
    assert db.session.get(TrainingSession, future.id) is not None
    response = auth.post(f"/courses/sessions/{held.id}/edit", {
        "date": held.date.isoformat(), "start_time": "16:00", "end_time": "17:00", "topic": "x"})
    assert response.status_code == 200 and "is closed" in response.get_data(as_text=True)
    db.session.refresh(held)
    assert held.hours == Decimal(4)


def test_a_session_cannot_become_shorter_than_its_marks(world, auth):
    _cohort, held, _future, ana, _ion = world
    AttendanceMarkFactory(session=held, enrollment=ana, status="present", hours=Decimal(4))
    db.session.commit()
    auth.login("coord@example.org")
    response = auth.post(f"/courses/sessions/{held.id}/edit", {
        "date": held.date.isoformat(), "start_time": "16:00", "end_time": "18:00", "topic": ""})
    assert "cannot be shorter" in response.get_data(as_text=True)
    db.session.refresh(held)
    assert held.hours == Decimal(4)


# -- exit dates --------------------------------------------------------------------------------

def test_exit_is_the_last_session_attended_and_never_after_today(world):
    cohort, held, _future, ana, ion = world
    earlier = TrainingSessionFactory(cohort=cohort, date=PAST - timedelta(days=1))
    db.session.flush()
    AttendanceMarkFactory(session=earlier, enrollment=ana, status="present")
    AttendanceMarkFactory(session=held, enrollment=ana, status="absent", hours=Decimal(0))
    AttendanceMarkFactory(session=earlier, enrollment=ion, status="present")
    AttendanceMarkFactory(session=held, enrollment=ion, status="present")
    db.session.commit()
    _close(cohort)  # the cohort's last session is in the future
    assert ana.membership.exit_date == earlier.date
    assert ion.membership.exit_date == held.date
    assert ion.membership.exit_date <= TODAY


def test_a_withdrawal_dated_in_the_future_exits_today_at_the_latest(world):
    _cohort, held, _future, ana, _ion = world
    AttendanceMarkFactory(session=held, enrollment=ana, status="present")
    ana.status, ana.withdrawn_on = "withdrawn", FUTURE  # e.g. from a workbook
    db.session.commit()
    assert ana.membership.exit_date == TODAY


def test_a_workbook_cannot_make_a_session_shorter_than_its_marks(world):
    cohort, held, _future, ana, _ion = world
    AttendanceMarkFactory(session=held, enrollment=ana, status="present", hours=Decimal(4))
    db.session.commit()
    shorter = _workbook({"sessions": [["cohort_code", "date", "start", "end"],
                                      ["G-INV", held.date.isoformat(), "16:00", "18:00"]]})
    report = run_import(db.session, "workbook", shorter, cohort.project, user_id=None)
    assert not report.written and "cannot be shorter" in str(report.errors)
    db.session.refresh(held)
    assert held.hours == Decimal(4)


def test_a_remark_too_long_saves_nothing_and_says_why(world, auth):
    cohort, held, _future, ana, _ion = world
    auth.login("trainer@example.org")
    response = auth.post(f"/attendance/cohorts/{cohort.id}", {
        f"status-{held.id}-{ana.id}": "excused", f"remark-{held.id}-{ana.id}": "x" * 301})
    assert response.status_code == 422 and "longer than 300" in response.get_data(as_text=True)
    assert _marks() == set()
