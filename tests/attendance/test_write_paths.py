"""Every path that writes marks (grid, mark all present, QR check-in, CSV and workbook imports)
refuses a closed cohort and a session not held yet, and writes nothing (DESIGN §15)."""
import io
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from openpyxl import Workbook

from tests.attendance.test_check_in import _check_in
from tests.factories import (
    CohortFactory,
    EnrollmentFactory,
    MembershipFactory,
    TrainingSessionFactory,
    UserFactory,
)
from trainhub.attendance.models import AttendanceMark
from trainhub.attendance.services import close_cohort
from trainhub.extensions import db
from trainhub.imports.importers import run_import

TODAY = date.today()
FUTURE = TODAY + timedelta(days=5)


@pytest.fixture
def world(app):
    """A cohort with a session today (4 h) and one in five days; Ana enrolled a week ago."""
    trainer = UserFactory(email="trainer@example.org", role="trainer")
    cohort = CohortFactory(code="G-PATHS", trainer=trainer, start_date=TODAY, end_date=FUTURE)
    sessions = {when: TrainingSessionFactory(cohort=cohort, date=day, start_time=time(16),
                                             end_time=time(20), hours=Decimal(4))
                for when, day in (("today", TODAY), ("future", FUTURE))}
    ana = EnrollmentFactory(cohort=cohort, enrolled_on=TODAY - timedelta(days=7),
                            membership=MembershipFactory(project=cohort.project))
    db.session.commit()
    return cohort, sessions, ana


def _grid(app, auth, client, cohort, session, enrollment) -> bool:
    auth.login("trainer@example.org")
    return auth.post(f"/attendance/cohorts/{cohort.id}", {
        f"status-{session.id}-{enrollment.id}": "present"}).status_code == 422


def _all_present(app, auth, client, cohort, session, enrollment) -> bool:
    auth.login("trainer@example.org")
    return auth.post(f"/attendance/cohorts/{cohort.id}",
                     {"all_present": str(session.id)}).status_code == 422


def _qr(app, auth, client, cohort, session, enrollment) -> bool:
    return _check_in(app, client, session,
                     enrollment.membership.participant.cnp[-6:]).status_code == 422


def _row(session, enrollment) -> list:
    return ["G-PATHS", session.date.isoformat(), enrollment.membership.participant.cnp,
            "prezent", ""]


def _csv(app, auth, client, cohort, session, enrollment) -> bool:
    content = ("cohort_code,date,cnp,status,hours\n" + ",".join(_row(session, enrollment))).encode()
    return not run_import(db.session, "attendance", content, cohort.project, user_id=None).written


def _workbook(app, auth, client, cohort, session, enrollment) -> bool:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "attendance"
    sheet.append(["cohort_code", "date", "cnp", "status", "hours"])
    sheet.append(_row(session, enrollment))
    stream = io.BytesIO()
    workbook.save(stream)
    return not run_import(db.session, "workbook", stream.getvalue(), cohort.project,
                          user_id=None).written


PATHS = {"grid": _grid, "mark all present": _all_present, "QR check-in": _qr,
         "CSV import": _csv, "workbook import": _workbook}


@pytest.mark.parametrize("write", PATHS.values(), ids=PATHS.keys())
@pytest.mark.parametrize("case", ["closed cohort", "future session", "accepted"])
def test_every_write_path_refuses_a_closed_cohort_and_a_future_session(
        world, app, auth, client, write, case):
    cohort, sessions, ana = world
    session = sessions["future" if case == "future session" else "today"]
    if case == "closed cohort":
        close_cohort(db.session, cohort, TODAY, confirmed=True)
    refused = write(app, auth, client, cohort, session, ana)
    db.session.rollback()
    marks = {(m.session_id, m.enrollment_id, m.status) for m in db.session.query(AttendanceMark)}
    if case == "accepted":  # the same write on an open cohort's held session goes through
        assert not refused and marks == {(session.id, ana.id, "present")}
        return
    assert refused, f"{case}: the write was not refused"
    assert marks == set(), f"{case}: a refused write left a mark"
