"""The workbook import adds and changes sessions through courses.services.save_session, so a
session the cohort page would refuse is a row error there too, and nothing is written."""
from datetime import date, time, timedelta

import pytest

from tests.attendance.test_invariants import FUTURE, _workbook, world  # noqa: F401
from trainhub.courses.models import TrainingSession
from trainhub.courses.services import CourseError, save_session
from trainhub.extensions import db
from trainhub.imports.importers import run_import

pytestmark = pytest.mark.usefixtures("one_team")

HEADER = ["cohort_code", "date", "start", "end"]
LATER = FUTURE + timedelta(days=1)


def _sessions_of(cohort) -> set:
    return {(s.date, s.start_time, s.end_time) for s in db.session.query(TrainingSession)
            .filter_by(cohort_id=cohort.id)}


def test_a_session_the_service_refuses_is_a_row_error_and_nothing_is_written(world):  # noqa: F811
    cohort = world[0]
    before, dates = _sessions_of(cohort), (cohort.start_date, cohort.end_date)
    content = _workbook({"sessions": [HEADER, ["G-INV", LATER.isoformat(), "09:00", "12:00"],
                                      ["G-INV", "1900-01-01", "09:00", "12:00"]]})
    report = run_import(db.session, "workbook", content, cohort.project, user_id=None)
    assert not report.written
    assert [(e.sheet, e.row, e.column) for e in report.errors] == [("sessions", 3, "date")]
    assert "2000-01-01" in str(report.errors[0].message)
    db.session.expire_all()
    assert _sessions_of(cohort) == before
    assert (cohort.start_date, cohort.end_date) == dates


def test_with_partial_the_valid_session_is_added_through_the_service(world):  # noqa: F811
    cohort = world[0]
    content = _workbook({"sessions": [HEADER, ["G-INV", LATER.isoformat(), "09:00", "12:00"],
                                      ["G-INV", "1900-01-01", "09:00", "12:00"]]})
    report = run_import(db.session, "workbook", content, cohort.project, user_id=None,
                        partial=True)
    assert report.written and len(report.errors) == 1
    db.session.expire_all()
    added = db.session.query(TrainingSession).filter_by(cohort_id=cohort.id, date=LATER).one()
    assert added.hours == 3 and cohort.end_date == LATER  # the cohort's dates follow


def test_the_service_refuses_a_day_no_form_would_take(world):  # noqa: F811
    cohort = world[0]
    with pytest.raises(CourseError) as refused:
        save_session(db.session, cohort, None, day=date(1900, 1, 1),
                     start=time(9), end=time(12))
    assert refused.value.field == "date"
