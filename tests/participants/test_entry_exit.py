"""Entry and exit dates follow the marks and enrollments, whatever writes them (DESIGN §7)."""
from datetime import date, timedelta

from sqlalchemy import update

from tests.factories import (
    AttendanceMarkFactory,
    EnrollmentFactory,
    MembershipFactory,
    TrainingSessionFactory,
)
from trainhub.extensions import db
from trainhub.participants.entry_exit import exit_date_of
from trainhub.participants.models import Membership


def test_entry_is_the_first_session_attended_present_or_late(app):
    membership = MembershipFactory()
    enrollment = EnrollmentFactory(membership=membership, cohort__project=membership.project)
    sessions = [TrainingSessionFactory(cohort=enrollment.cohort, date=date(2026, 3, day))
                for day in (2, 4, 6)]
    AttendanceMarkFactory(session=sessions[0], enrollment=enrollment, status="absent", hours=0)
    AttendanceMarkFactory(session=sessions[1], enrollment=enrollment, status="excused", hours=0)
    db.session.commit()
    assert membership.entry_date is None  # absent and excused are not participation
    AttendanceMarkFactory(session=sessions[2], enrollment=enrollment, status="late")
    db.session.commit()
    assert membership.entry_date == date(2026, 3, 6) and membership.exit_date is None
    enrollment.status = "completed"
    db.session.commit()
    assert membership.exit_date == date(2026, 3, 6)


def test_exit_waits_for_every_enrollment_to_end():
    last = date(2026, 5, 1)
    assert exit_date_of([("completed", None, last), ("enrolled", None, None)]) is None
    assert exit_date_of([("completed", None, last), ("withdrawn", date(2026, 6, 2), None)]) == date(2026, 6, 2)
    assert exit_date_of([("not_completed", None, last)]) == last
    assert exit_date_of([]) is None


def test_a_rolled_back_change_leaves_the_dates_alone(app):
    enrollment = EnrollmentFactory()
    session = TrainingSessionFactory(cohort=enrollment.cohort)
    db.session.commit()
    AttendanceMarkFactory(session=session, enrollment=enrollment)
    db.session.rollback()
    db.session.commit()
    assert enrollment.membership.entry_date is None


def test_refresh_dates_repairs_an_exit_stored_after_today(app, runner):
    enrollment = EnrollmentFactory(status="withdrawn", withdrawn_on=date(2026, 3, 10))
    session = TrainingSessionFactory(cohort=enrollment.cohort, date=date(2026, 3, 2))
    AttendanceMarkFactory(session=session, enrollment=enrollment, status="present")
    db.session.commit()
    membership = enrollment.membership
    assert membership.exit_date == date(2026, 3, 10)
    # as the old rule (or a hand edit) could have left it
    db.session.execute(update(Membership).where(Membership.id == membership.id)
                       .values(exit_date=date.today() + timedelta(days=40)))
    db.session.commit()
    result = runner.invoke(args=["indicators", "refresh-dates"])
    assert result.exit_code == 0 and "1 membership(s) changed" in result.output
    db.session.refresh(membership)
    assert membership.exit_date == date(2026, 3, 10)
