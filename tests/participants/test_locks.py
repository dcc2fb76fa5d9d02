"""Writers over many people lock them up front in one order, so they queue instead of deadlocking."""
import threading
from datetime import date, time
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests.conftest import ON_POSTGRES, run_in_threads
from tests.factories import (
    CohortFactory,
    EnrollmentFactory,
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    TrainingSessionFactory,
)
from trainhub.attendance import services as attendance
from trainhub.attendance.models import AttendanceMark
from trainhub.attendance.services import load_grid, save_grid
from trainhub.courses.models import Cohort, Enrollment
from trainhub.extensions import db
from trainhub.imports import importers
from trainhub.imports.services import Table
from trainhub.imports.workbook import _named_people
from trainhub.participants.locks import lock_people
from trainhub.participants.models import Membership, Participant
from trainhub.programme.models import Project

postgres_only = pytest.mark.skipif(not ON_POSTGRES,
                                   reason="row locks are a PostgreSQL matter; SQLite serialises writes")


@postgres_only
def test_an_import_and_an_attendance_save_over_the_same_people_both_succeed(app, monkeypatch):
    """The import writes the people in file order (here the later membership first), the grid
    saves their entry dates in id order: without up-front locks each would hold a membership
    the other waits for, and PostgreSQL would abort one of them."""
    firm = EnterpriseFactory()
    session_day = TrainingSessionFactory(cohort=CohortFactory(), date=date(2026, 3, 3),
                                         start_time=time(9), end_time=time(13), hours=Decimal(4))
    cohort = session_day.cohort
    first, second = (EnrollmentFactory(cohort=cohort, membership=MembershipFactory(
        project=cohort.project, participant=ParticipantFactory(enterprise=firm)))
        for _ in range(2))
    assert first.membership_id < second.membership_id
    db.session.commit()
    rows = [(number, {"cnp": enrollment.membership.participant.cnp, "last_name": "Popescu",
                      "first_name": enrollment.membership.participant.first_name,
                      "enterprise_cui": firm.cui, "isced": 5})
            for number, enrollment in ((2, second), (3, first))]
    table = Table("participants", ["cnp", "last_name", "first_name", "enterprise_cui", "isced"],
                  rows)
    cohort_id, project_id, session_id = cohort.id, cohort.project_id, session_day.id
    marks = {(session_id, first.id): ("present", ""), (session_id, second.id): ("present", "")}
    import_wrote_one, save_started = threading.Event(), threading.Event()
    write_people = importers._write_people

    def write_one_then_pause(*args, **kwargs):
        write_people(*args, **kwargs)
        if not import_wrote_one.is_set():
            import_wrote_one.set()
            save_started.wait(timeout=10)
            threading.Event().wait(0.5)  # the save is now waiting on a lock

    monkeypatch.setattr(importers, "WRITE_BATCH", 1)
    monkeypatch.setattr(importers, "_write_people", write_one_then_pause)

    def run_import(session):
        report = importers.import_participants(session, session.get(Project, project_id), table,
                                               user_id=None)
        assert report.errors == [] and report.updated == 2

    def save_marks(session):
        grid = load_grid(session, session.get(Cohort, cohort_id))
        import_wrote_one.wait(timeout=10)
        save_started.set()
        save_grid(session, grid, marks, user_id=None)

    errors = run_in_threads(app, run_import, save_marks)
    assert errors == []
    db.session.expire_all()
    assert set(db.session.scalars(select(Participant.isced).where(Participant.id.in_(
        [first.membership.participant_id, second.membership.participant_id])))) == {5}
    assert set(db.session.scalars(select(Membership.entry_date).where(Membership.id.in_(
        [first.membership_id, second.membership_id])))) == {date(2026, 3, 3)}


def _locked(app, statement) -> bool:
    """Whether another transaction holds a lock that `statement` (with NOWAIT) conflicts with."""
    with app.app_context(), Session(db.engine) as other:
        try:
            other.execute(statement)
        except OperationalError as error:
            assert "could not obtain lock" in str(error)
            return True
        finally:
            other.rollback()
    return False


@postgres_only
def test_lock_people_holds_the_people_their_enrollments_and_memberships(app):
    enrollment = EnrollmentFactory()
    session_day = TrainingSessionFactory(cohort=enrollment.cohort)
    membership = enrollment.membership
    db.session.commit()
    lock_people(db.session, [membership.participant_id], enrollments=True)
    assert _locked(app, select(Participant.id).where(Participant.id == membership.participant_id)
                   .with_for_update(nowait=True, key_share=True))
    assert _locked(app, select(Enrollment.id).where(Enrollment.id == enrollment.id)
                   .with_for_update(nowait=True, key_share=True))
    assert _locked(app, select(Membership.id).where(Membership.id == membership.id)
                   .with_for_update(nowait=True, key_share=True))
    # a new mark only needs its enrollment to stay (KEY SHARE): it is not held up
    with app.app_context(), Session(db.engine) as other:
        other.execute(text("SET LOCAL lock_timeout = '2s'"))  # fail, not hang, if it were held up
        other.execute(select(Enrollment.id).where(Enrollment.id == enrollment.id)
                      .with_for_update(nowait=True, read=True, key_share=True))
        other.add(AttendanceMark(session_id=session_day.id, enrollment_id=enrollment.id,
                                 status="present", hours=Decimal(1), source="manual"))
        other.flush()
        other.rollback()
    db.session.rollback()
    assert not _locked(app, select(Membership.id).where(Membership.id == membership.id)
                       .with_for_update(nowait=True))


@postgres_only
def test_closing_a_cohort_locks_its_enrollments_and_memberships_before_writing(app, monkeypatch):
    enrollment = EnrollmentFactory(status="enrolled")
    TrainingSessionFactory(cohort=enrollment.cohort)
    db.session.commit()
    seen = {}
    hours_of = attendance.attended_hours_by_enrollment

    def look_from_outside(db_session, cohort, *args):  # right after the locks, before any write
        seen["enrollment"] = _locked(app, select(Enrollment.id).where(
            Enrollment.id == enrollment.id).with_for_update(nowait=True, key_share=True))
        seen["membership"] = _locked(app, select(Membership.id).where(
            Membership.id == enrollment.membership_id).with_for_update(nowait=True, key_share=True))
        return hours_of(db_session, cohort, *args)

    monkeypatch.setattr(attendance, "attended_hours_by_enrollment", look_from_outside)
    attendance.close_cohort(db.session, enrollment.cohort, confirmed=True)
    assert seen == {"enrollment": True, "membership": True}


def test_a_workbook_locks_the_people_it_names_and_the_employees_of_its_enterprises(app):
    firm = EnterpriseFactory()
    named, employee, _other = (ParticipantFactory(), ParticipantFactory(enterprise=firm),
                               ParticipantFactory())
    db.session.commit()
    tables = {
        "participants": Table("participants", ["cnp"],
                              [(2, {"cnp": named.cnp}), (3, {"cnp": "not a CNP"})]),
        "enterprises": Table("enterprises", ["cui"], [(2, {"cui": f"RO{firm.cui}"})]),
    }
    assert _named_people(db.session, tables) == sorted([named.id, employee.id])  # not `other`
