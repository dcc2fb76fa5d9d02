"""The trigger-kept facts table answers what the source tables answer, after any kind of write."""
import threading
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from tests.conftest import ON_POSTGRES, run_in_threads
from tests.factories import EnterpriseFactory, ProjectFactory, valid_cnp
from tests.indicators.test_computation import PERIOD, member, people, reference
from trainhub.attendance.models import AttendanceMark
from trainhub.courses.models import Enrollment
from trainhub.extensions import db
from trainhub.indicators import facts
from trainhub.indicators.models import IndicatorFact
from trainhub.indicators.services import (
    breakdowns,
    compute,
    compute_live,
    counted_subquery,
    monthly_entries,
)
from trainhub.participants.models import Membership, Participant

PERIODS = (PERIOD, (date(2026, 7, 1), date(2026, 12, 31)))


def facts_rows() -> list[tuple]:
    return [tuple(row) for row in db.session.execute(
        select(IndicatorFact.__table__).order_by(IndicatorFact.membership_id))]


def assert_in_step(project):
    kept = facts_rows()
    with db.session.begin_nested() as savepoint:
        facts.rebuild(db.session.connection())
        assert kept == facts_rows(), "the triggers left rows a rebuild writes differently"
        savepoint.rollback()
    for period in PERIODS:
        assert compute(db.session, project, *period) == compute_live(db.session, project, *period)
        assert compute(db.session, project, *period) == reference(project, *period)
        live = counted_subquery(project.id)  # the dashboard's breakdowns and trend too
        assert breakdowns(db.session, project, *period) == breakdowns(
            db.session, project, *period, counted=live)
        assert monthly_entries(db.session, project, *period) == monthly_entries(
            db.session, project, *period, counted=live)


changes = st.lists(st.tuples(
    st.sampled_from(["status", "isced", "born", "eligibility", "employer", "completed",
                     "sql_disability", "sql_rural", "drop_enrollments"]),
    st.integers(0, 7), st.integers(0, 8)), max_size=6)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=people, edits=changes)
def test_every_kind_of_write_keeps_the_facts_in_step(app, rows, edits):
    from tests.conftest import _empty_database

    _empty_database()
    project = ProjectFactory()
    firms = [EnterpriseFactory() for _ in range(4)]
    memberships = [member(project, entry=row["entry"], sex=row["sex"], birth=row["birth"],
                          status=row["status"], isced=row["isced"], eligibility=row["eligibility"],
                          environment=row["environment"], enterprise=firms[row["employer"]],
                          completed_exit=date(2026, 10, 5) if row["completed"] and row["entry"]
                          else None)
                   for row in rows]
    for kind, which, value in edits:
        if not memberships:
            break
        membership = memberships[which % len(memberships)]
        person = membership.participant
        if kind == "status":
            person.employment_status = ["employed", "unemployed", "inactive", None][value % 4]
        elif kind == "isced":
            person.isced = value if value < 8 else None
        elif kind == "born":  # a corrected CNP: sex and birth date follow it
            person.cnp = valid_cnp("MF"[value % 2], date(1960 + 4 * value, 2, 29 if value % 2 else 1))
        elif kind == "eligibility":
            membership.eligibility_status = ["eligible", "ineligible", "pending"][value % 3]
        elif kind == "employer":
            person.enterprise = firms[value % 4]
        elif kind == "completed":
            for enrollment in membership.enrollments:
                enrollment.status = "completed" if value % 2 else "not_completed"
        elif kind == "sql_disability":  # writes that bypass the ORM are caught too
            db.session.execute(update(Participant).where(Participant.id == person.id)
                               .values(disability=bool(value % 2)))
        elif kind == "sql_rural":
            db.session.execute(update(Participant).where(Participant.id == person.id)
                               .values(environment="rural" if value % 2 else None))
        elif kind == "drop_enrollments":
            ids = [enrollment.id for enrollment in membership.enrollments]
            db.session.execute(delete(AttendanceMark).where(AttendanceMark.enrollment_id.in_(ids)))
            db.session.execute(delete(Enrollment).where(Enrollment.id.in_(ids)))
        db.session.commit()
        db.session.expire_all()
    assert_in_step(project)


def _sql(model, row_id, **values):
    db.session.execute(update(model).where(model.id == row_id).values(**values))


EDITS = {  # each changes at least one cell of the table
    "status": lambda m: setattr(m.participant, "employment_status", "inactive"),
    "isced": lambda m: setattr(m.participant, "isced", 1),
    "cnp (sex, age)": lambda m: setattr(m.participant, "cnp", valid_cnp("F", date(1968, 2, 29))),
    "eligibility": lambda m: setattr(m, "eligibility_status", "ineligible"),
    "enrollment": lambda m: setattr(m.enrollments[0], "status", "not_completed"),
    "employer (SQL)": lambda m: _sql(Participant, m.participant_id, enterprise_id=None),
    "disability (SQL)": lambda m: _sql(Participant, m.participant_id, disability=True),
    "minority (SQL)": lambda m: _sql(Participant, m.participant_id, minority_or_migrant=True),
    "environment (SQL)": lambda m: _sql(Participant, m.participant_id, environment="rural"),
    "birth date (SQL)": lambda m: _sql(Participant, m.participant_id, birth_date=date(2004, 1, 1)),
    "entry date (SQL)": lambda m: _sql(Membership, m.id, entry_date=date(2025, 12, 31)),
    "exit date (SQL)": lambda m: _sql(Membership, m.id, exit_date=date(2027, 1, 1)),
    "enrollment (SQL)": lambda m: _sql(Enrollment, m.enrollments[0].id, status="enrolled"),
}


@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_each_kind_of_change_reaches_the_table(app, edit):
    project = ProjectFactory()
    membership = member(project, entry=date(2026, 2, 2), completed_exit=date(2026, 3, 3))
    before = compute(db.session, project, *PERIOD)
    edit(membership)
    db.session.commit()
    db.session.expire_all()
    assert compute(db.session, project, *PERIOD) != before
    assert_in_step(project)


def test_a_deleted_membership_leaves_no_facts(app):
    project = ProjectFactory()
    kept, dropped = (member(project, entry=date(2026, 2, 2)) for _ in range(2))
    ids = [enrollment.id for enrollment in dropped.enrollments]
    db.session.execute(delete(AttendanceMark).where(AttendanceMark.enrollment_id.in_(ids)))
    db.session.execute(delete(Enrollment).where(Enrollment.id.in_(ids)))
    db.session.expire_all()
    db.session.delete(dropped)
    db.session.commit()
    assert db.session.scalars(select(IndicatorFact.membership_id)).all() == [kept.id]
    assert_in_step(project)


def test_rebuild_repairs_a_damaged_table(app):
    project = ProjectFactory()
    for day in (date(2026, 1, 1), date(2026, 3, 3), date(2026, 8, 8)):
        member(project, entry=day)
    db.session.execute(delete(IndicatorFact).where(
        IndicatorFact.membership_id == db.session.scalar(select(Membership.id).limit(1))))
    db.session.execute(update(IndicatorFact).values(profile=0))
    assert compute(db.session, project, *PERIOD) != compute_live(db.session, project, *PERIOD)
    facts.rebuild(db.session.connection())
    assert_in_step(project)


def test_rebuild_command_reports_and_repairs(app, runner):
    project = ProjectFactory()
    member(project, entry=date(2026, 1, 5))
    db.session.execute(delete(IndicatorFact))
    db.session.commit()
    result = runner.invoke(args=["indicators", "rebuild-facts"])
    assert result.exit_code == 0, result.output
    assert "1 counted membership" in result.output
    assert_in_step(project)


@pytest.mark.skipif(not ON_POSTGRES, reason="row locks are a PostgreSQL matter; SQLite serialises writes")
def test_two_transactions_changing_one_membership_leave_its_facts_right(app):
    """A participant's status and their enrollment's completion change at the same time: the
    second writer waits for the first and rewrites the row from what the first committed."""
    project = ProjectFactory()
    membership = member(project, entry=date(2026, 2, 2), completed_exit=None)
    person_id = membership.participant_id
    enrollment_id = db.session.scalar(select(Enrollment.id).where(
        Enrollment.membership_id == membership.id))
    db.session.commit()
    first_wrote, second_started = threading.Event(), threading.Event()

    def change_status(session):
        session.get(Participant, person_id).employment_status = "unemployed"
        session.flush()
        first_wrote.set()
        second_started.wait(timeout=10)
        threading.Event().wait(0.3)  # the second writer is now waiting on the lock
        session.commit()

    def complete_enrollment(session):
        first_wrote.wait(timeout=10)
        second_started.set()
        session.get(Enrollment, enrollment_id).status = "completed"
        session.commit()

    errors = run_in_threads(app, change_status, complete_enrollment)
    assert errors == []
    db.session.expire_all()
    everyone = (date(2026, 1, 1), date(2027, 12, 31))
    table = compute(db.session, project, *everyone)
    assert table == compute_live(db.session, project, *everyone)
    assert table["CO01"]["total"] == 1
