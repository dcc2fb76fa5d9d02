"""A cohort's whole life as a hypothesis state machine (DESIGN §7, §15): whatever the order of
enrolments, withdrawals, backdated enrollment dates, marks, moved or added sessions, closings,
reopenings and certificates on a clock that moves forward, the invariants hold after every step."""
import io
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from openpyxl import Workbook
from sqlalchemy import select

from tests.conftest import _empty_database
from tests.factories import (
    CohortFactory,
    CourseFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.indicators.test_facts import assert_in_step
from trainhub.attendance.models import ATTENDED_STATUSES, AttendanceMark, Certificate
from trainhub.attendance.services import (
    AttendanceError,
    attended_hours_by_enrollment,
    certificate_figures,
    close_cohort,
    cohort_figures,
    issue_certificates,
    load_grid,
    mark_all_present,
    reopen_cohort,
    save_grid,
)
from trainhub.courses.models import Cohort, Enrollment, EnrollmentStatus, TrainingSession
from trainhub.courses.services import (
    CohortClosed,
    CourseError,
    EnrollmentRefused,
    change_enrollment_date,
    enroll,
    save_session,
    withdraw,
)
from trainhub.extensions import db
from trainhub.imports.importers import run_import
from trainhub.participants import entry_exit
from trainhub.participants.models import Membership

#: the first day of the clock: a fixed day inside the facts test's reporting periods
BASE = date(2026, 9, 7)
PEOPLE = 4
#: (days from BASE, start, end): 4 h, 2 h, 1.5 h and 3 h
SLOTS = [(-3, time(16), time(20)), (2, time(16), time(18)), (6, time(16), time(17, 30)),
         (10, time(9), time(12))]
#: mostly the default hours, sometimes part of a session, sometimes too many or not a number
HOURS = ["", "", "", "1,5", "2", "4", "0", "5", "x"]
STATUSES = ["present", "present", "late", "absent", "excused"]
OPEN = {EnrollmentStatus.ENROLLED.value, EnrollmentStatus.WAITING.value}
ENDED = {EnrollmentStatus.COMPLETED.value, EnrollmentStatus.NOT_COMPLETED.value}


class Clock(date):
    """`date` whose today() is the machine's clock, for the code that cannot be told the day
    (the commit hook keeping entry and exit dates)."""

    now = BASE

    @classmethod
    def today(cls):
        return cls.now


def _snapshot(cohort_id: int) -> tuple:
    """Everything a refused write must leave as it was."""
    db.session.rollback()
    db.session.expire_all()
    return (
        sorted(db.session.execute(select(
            AttendanceMark.session_id, AttendanceMark.enrollment_id, AttendanceMark.status,
            AttendanceMark.hours, AttendanceMark.remark)).all()),
        sorted(db.session.execute(select(
            Enrollment.id, Enrollment.status, Enrollment.enrolled_on, Enrollment.withdrawn_on)).all()),
        sorted(db.session.execute(select(
            TrainingSession.id, TrainingSession.date, TrainingSession.start_time,
            TrainingSession.end_time, TrainingSession.hours)).all()),
        sorted(db.session.execute(select(
            Certificate.id, Certificate.serial, Certificate.hours_attended,
            Certificate.revoked_at)).all()),
        db.session.execute(select(Cohort.closed_at, Cohort.reopened_at)
                           .where(Cohort.id == cohort_id)).one(),
        sorted(db.session.execute(select(
            Membership.id, Membership.entry_date, Membership.exit_date)).all()),
    )


class CohortLife(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        _empty_database()
        Clock.now = self.today = BASE
        #: the day of the last closing, None while the cohort is open
        self.closed_on: date | None = None
        #: certificates were issued since the last closing
        self.issued = False
        self.user = UserFactory(role="coordinator")
        self.project = ProjectFactory()
        self.cohort = CohortFactory(project=self.project, code="G-LIFE", capacity=3,
                                    course=CourseFactory(planned_hours=Decimal(4)),
                                    start_date=BASE + timedelta(days=SLOTS[0][0]))
        for days, start, end in SLOTS:
            TrainingSessionFactory(cohort=self.cohort, date=BASE + timedelta(days=days),
                                   start_time=start, end_time=end)
        self.memberships = [MembershipFactory(project=self.project,
                                              participant=ParticipantFactory(last_name=f"P{n}"))
                            for n in range(PEOPLE)]
        db.session.commit()
        for membership in self.memberships[:2]:  # two people from the start, marks need them
            enroll(db.session, self.cohort, membership, BASE - timedelta(days=5),
                   override_reason="documente pe drum", user_id=self.user.id)
        self.cohort_id = self.cohort.id

    def teardown(self):
        db.session.rollback()

    # -- helpers -----------------------------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        return self.closed_on is not None

    def sessions(self) -> list[TrainingSession]:
        return list(db.session.scalars(select(TrainingSession).where(
            TrainingSession.cohort_id == self.cohort_id).order_by(TrainingSession.id)))

    def enrollment(self, person: int) -> Enrollment | None:
        return db.session.scalar(select(Enrollment).where(
            Enrollment.cohort_id == self.cohort_id,
            Enrollment.membership_id == self.memberships[person].id))

    def refused(self, before: tuple) -> None:
        """A refused write: rolled back, nothing changed."""
        assert _snapshot(self.cohort_id) == before, "a refused write changed something"

    def expect_closed_refusal(self, before: tuple, outcome) -> None:
        assert outcome == "refused", "a write into a closed cohort was accepted"
        self.refused(before)

    # -- the clock -----------------------------------------------------------------------------

    @rule(days=st.integers(1, 4))
    def advance(self, days):
        Clock.now = self.today = self.today + timedelta(days=days)

    # -- enrollments ---------------------------------------------------------------------------

    @rule(person=st.integers(0, PEOPLE - 1))
    def enroll_person(self, person):
        before = _snapshot(self.cohort_id)
        try:
            enroll(db.session, self.cohort, self.memberships[person], self.today,
                   override_reason="documente pe drum", user_id=self.user.id)
            outcome = "done"
        except CohortClosed:
            outcome = "refused"
        except EnrollmentRefused:  # already enrolled or waiting
            self.refused(before)
            return
        if self.is_closed:
            self.expect_closed_refusal(before, outcome)
        else:
            assert outcome == "done"

    @rule(person=st.integers(0, PEOPLE - 1))
    def withdraw_person(self, person):
        enrollment = self.enrollment(person)
        if enrollment is None:
            return
        before = _snapshot(self.cohort_id)
        try:
            withdraw(db.session, enrollment, self.today)
            outcome = "done"
        except CohortClosed:
            outcome = "refused"
        except EnrollmentRefused:
            assert enrollment.status not in OPEN
            self.refused(before)
            return
        if self.is_closed:
            self.expect_closed_refusal(before, outcome)

    @rule(person=st.integers(0, PEOPLE - 1), days=st.integers(0, 14))
    def backdate(self, person, days):
        enrollment = self.enrollment(person)
        if enrollment is None:
            return
        before = _snapshot(self.cohort_id)
        try:
            change_enrollment_date(db.session, enrollment, self.today - timedelta(days=days),
                                   "a venit la prima sesiune", user_id=self.user.id)
            outcome = "done"
        except CohortClosed:
            outcome = "refused"
        except EnrollmentRefused:  # marks before that day, or after the withdrawal
            self.refused(before)
            return
        if self.is_closed:
            self.expect_closed_refusal(before, outcome)

    # -- marks ---------------------------------------------------------------------------------

    @rule(slot=st.integers(0, 9), person=st.integers(0, PEOPLE - 1),
          status=st.sampled_from(STATUSES), hours=st.sampled_from(HOURS))
    def mark(self, slot, person, status, hours):
        sessions, enrollment = self.sessions(), self.enrollment(person)
        if enrollment is None or enrollment.status == EnrollmentStatus.WAITING:
            return
        session = sessions[slot % len(sessions)]
        before = _snapshot(self.cohort_id)
        grid = load_grid(db.session, self.cohort)
        try:
            save_grid(db.session, grid, {(session.id, enrollment.id): (status, hours, "")},
                      self.user.id, today=self.today)
        except AttendanceError:
            self.refused(before)
            return
        assert not self.is_closed, "a mark was written into a closed cohort"
        assert session.date <= self.today, "a mark was written for a session not held yet"

    @rule(slot=st.integers(0, 9))
    def mark_everyone_present(self, slot):
        sessions = self.sessions()
        session = sessions[slot % len(sessions)]
        before = _snapshot(self.cohort_id)
        try:
            written = mark_all_present(db.session, load_grid(db.session, self.cohort), session.id,
                                       self.user.id, today=self.today)
        except AttendanceError:
            self.refused(before)
            return
        assert not self.is_closed and (written == 0 or session.date <= self.today)

    # -- sessions ------------------------------------------------------------------------------

    @rule(slot=st.integers(0, 9), shift=st.integers(-3, 3),
          end=st.sampled_from([time(17), time(18), time(21)]))
    def move_session(self, slot, shift, end):
        sessions = self.sessions()
        session = sessions[slot % len(sessions)]
        before = _snapshot(self.cohort_id)
        try:
            save_session(db.session, session.cohort, session,
                         day=session.date + timedelta(days=shift), start=time(16), end=end)
            outcome = "done"
        except CourseError:
            outcome = "refused"
            self.refused(before)
        if self.is_closed:
            self.expect_closed_refusal(before, outcome)

    @rule(days=st.integers(-6, 14), end=st.sampled_from(["17:00", "18:30", "20:00"]))
    def add_session(self, days, end):
        day = self.today + timedelta(days=days)
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "sessions"
        sheet.append(["cohort_code", "date", "start", "end"])
        sheet.append([self.cohort.code, day.isoformat(), "16:00", end])
        stream = io.BytesIO()
        workbook.save(stream)
        before = _snapshot(self.cohort_id)
        report = run_import(db.session, "workbook", stream.getvalue(), self.project,
                            user_id=self.user.id)
        if not report.written:
            self.refused(before)
        if self.is_closed:
            self.expect_closed_refusal(before, "done" if report.written else "refused")

    # -- closing, reopening, certificates --------------------------------------------------------

    @rule()
    def close(self):
        before = _snapshot(self.cohort_id)
        try:
            close_cohort(db.session, self.cohort, self.today, confirmed=True, user_id=self.user.id)
        except AttendanceError:
            assert self.is_closed
            self.refused(before)
            return
        assert not self.is_closed
        self.closed_on, self.issued = self.today, False

    @precondition(lambda self: self.is_closed)
    @rule()
    def reopen(self):
        before = _snapshot(self.cohort_id)
        try:
            reopen_cohort(db.session, self.cohort, "o prezență trecută greșit", user_id=self.user.id)
        except AttendanceError:
            assert not self.is_closed
            self.refused(before)
            return
        assert self.is_closed
        self.closed_on = None

    @precondition(lambda self: self.is_closed)
    @rule()
    def issue(self):
        before = _snapshot(self.cohort_id)
        try:
            issued = issue_certificates(db.session, self.cohort, self.today)
        except AttendanceError:
            assert not self.is_closed
            self.refused(before)
            return
        self.issued = True
        event("issue: certificates issued" if issued else "issue: nothing to issue")
        if issued and self.today > self.closed_on:
            event("issue: certificates issued days after the closing")

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def marks_only_for_held_sessions_and_within_their_hours(self):
        db.session.expire_all()
        for day, hours, session_hours in db.session.execute(
                select(TrainingSession.date, AttendanceMark.hours, TrainingSession.hours)
                .join(AttendanceMark, AttendanceMark.session_id == TrainingSession.id)):
            assert day <= self.today, f"a mark for {day}, after today {self.today}"
            assert 0 <= hours <= session_hours

    @invariant()
    def rates_never_above_100_percent(self):
        totals = load_grid(db.session, self.cohort, read_only=True).totals(self.today)
        for hours, rate in totals.values():
            assert rate is None or 0 <= rate <= 1, (hours, rate)

    @invariant()
    def the_cohort_is_closed_exactly_when_the_machine_closed_it(self):
        assert (self.cohort.closed_at is not None) == self.is_closed

    @invariant()
    def exit_dates_are_the_last_session_attended_or_the_withdrawal(self):
        for membership in self.memberships:
            db.session.refresh(membership)
            enrollment = self.enrollment(self.memberships.index(membership))
            attended = sorted(db.session.scalars(
                select(TrainingSession.date).join(AttendanceMark)
                .join(Enrollment, Enrollment.id == AttendanceMark.enrollment_id)
                .where(Enrollment.membership_id == membership.id,
                       AttendanceMark.status.in_(list(ATTENDED_STATUSES)))))
            assert membership.entry_date == (attended[0] if attended else None)
            expected = None
            if attended and enrollment is not None and enrollment.status not in OPEN:
                expected = (enrollment.withdrawn_on
                            if enrollment.status == EnrollmentStatus.WITHDRAWN else attended[-1])
            assert membership.exit_date == expected, (enrollment.status, attended)
            assert membership.exit_date is None or membership.exit_date <= self.today

    @invariant()
    def completion_follows_the_hours_attended_when_closed(self):
        if not self.is_closed:
            assert all(e.status not in ENDED for e in self.cohort.enrollments)
            return
        needed = self.project.completion_threshold * self.cohort.course.planned_hours
        attended = attended_hours_by_enrollment(db.session, self.cohort, self.closed_on)
        for enrollment in self.cohort.enrollments:
            assert enrollment.status != EnrollmentStatus.ENROLLED
            if enrollment.status in ENDED:
                completed = attended.get(enrollment.id, Decimal(0)) >= needed
                assert (enrollment.status == EnrollmentStatus.COMPLETED) == completed

    @invariant()
    def certificates_state_the_sessions_held_and_the_hours_attended(self):
        if not self.is_closed:
            return
        figures = cohort_figures(db.session, self.cohort, self.closed_on)
        for enrollment in self.cohort.enrollments:
            certificate = enrollment.certificate
            valid = certificate is not None and certificate.revoked_at is None
            if enrollment.status == EnrollmentStatus.COMPLETED and self.issued:
                assert valid, "a completed enrollment has no certificate"
            if valid:
                assert enrollment.status == EnrollmentStatus.COMPLETED
                assert certificate_figures(db.session, certificate) == figures[enrollment.id]

    @invariant()
    def indicator_facts_equal_a_recomputation(self):
        assert_in_step(self.project)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_the_cohort_lifecycle_keeps_its_invariants(app, monkeypatch):
    monkeypatch.setattr(entry_exit, "date", Clock)
    run_state_machine_as_test(CohortLife, settings=settings(
        max_examples=25, stateful_step_count=20, deadline=None, derandomize=True))
