"""Catalogue, cohort and enrollment rules: codes, session planning, the enrollment gate."""
from datetime import date, time, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel.speaklater import LazyString
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload

from trainhub.attendance.models import AttendanceMark
from trainhub.audit.services import record
from trainhub.auth.models import Role, User
from trainhub.auth.scoping import scoped
from trainhub.core.bounds import DAY_OUT_OF_RANGE, day_in_range
from trainhub.core.errors import Problems
from trainhub.core.labels import CATEGORY_LABELS
from trainhub.courses.models import (
    OPEN_ENROLLMENT_STATUSES,
    Cohort,
    CohortState,
    Course,
    CourseCategory,
    Enrollment,
    EnrollmentStatus,
    TrainingSession,
    session_hours,
)
from trainhub.documents.services import missing_documents_for
from trainhub.enterprises.models import Enterprise
from trainhub.imports.services import CellError, fold, text
from trainhub.journey.models import Dimension
from trainhub.journey.services import VoucherOverBudget, charge_voucher, refund_voucher
from trainhub.participants.models import Eligibility, Membership, Participant
from trainhub.programme.models import Project, ProjectMember

#: the most seats a cohort may have (the cohort form's bound)
MAX_SEATS = 500


def course_category(value: object) -> str:
    """A course category (DESIGN §4) named by its slug or by its label in Romanian or English
    ("CNC programming", "Programare CNC", "cnc_programming"); a refusal lists the labels."""
    from flask_babel import force_locale

    raw = text(value)
    spellings = {fold(category.value): category.value for category in CourseCategory}
    for locale in ("en", "ro"):
        with force_locale(locale):
            spellings.update({fold(str(label)): category.value
                              for category, label in CATEGORY_LABELS.items()})
    if fold(raw) in spellings:
        return spellings[fold(raw)]
    raise CellError(_l("'%(value)s' is not a course category (accepted: %(accepted)s)",
                       value=raw,
                       accepted="; ".join(str(label) for label in CATEGORY_LABELS.values())))


class CourseError(ValueError):
    """A course could not be saved; `field` names the form field at fault."""

    def __init__(self, field: str, message):
        super().__init__(message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return str(self.message)  # a lazy string is translated when shown


def catalogue(category: str | None = None) -> Select:
    """Courses by category then title; optionally one category only."""
    stmt = select(Course).order_by(Course.category, Course.title)
    if category:
        stmt = stmt.where(Course.category == category)
    return stmt


def cohort_counts(session: Session, courses: list[Course]) -> dict[int, int]:
    """How many cohorts each of `courses` has, in one query."""
    rows = session.execute(
        select(Cohort.course_id, func.count(Cohort.id))
        .where(Cohort.course_id.in_([course.id for course in courses]))
        .group_by(Cohort.course_id)
    )
    return dict(rows.all())


def save_course(session: Session, course: Course | None, *, code: str, category: str,
                title: str, planned_hours: Decimal, modality: str, description: str = "",
                competences: str = "", cost_per_hour_eur: Decimal | None = None,
                dimensions: list[str] | None = None) -> Course:
    """Create (course=None) or update a course; CourseError when the code is taken.

    `cost_per_hour_eur` and `dimensions` (competence tags, DESIGN §17) stay as stored when
    None."""
    code = code.strip().upper()
    clash = session.scalar(select(Course.id).where(Course.code == code))
    if clash is not None and (course is None or clash != course.id):
        raise CourseError("code", _l("Another course already has the code %(code)s.", code=code))
    if course is None:
        course = Course()
        session.add(course)
    course.code, course.category, course.title = code, category, title.strip()
    course.planned_hours, course.modality = planned_hours, modality
    course.description, course.competences = description.strip(), competences.strip()
    if cost_per_hour_eur is not None:
        if cost_per_hour_eur < 0:
            raise CourseError("cost_per_hour_eur", _l("The cost cannot be negative."))
        course.cost_per_hour_eur = cost_per_hour_eur
    if dimensions is not None:
        course.dimensions = [d.value for d in Dimension if d.value in set(dimensions)]
    session.commit()
    return course


def plan_sessions(first_day: date, weekdays: set[int], start: time, end: time,
                  planned_hours: Decimal, max_sessions: int = 200) -> list[tuple[date, time, time]]:
    """Session slots on `weekdays` (0 = Monday) from `first_day` until `planned_hours` are reached.

    The last session may run over the planned hours rather than leave them short.
    """
    if not weekdays:
        raise CourseError("weekdays", _l("Choose at least one weekday."))
    if end <= start:
        raise CourseError("end_time", _l("The session must end after it starts."))
    hours_each = session_hours(start, end)
    slots, total, day = [], Decimal(0), first_day
    while total < planned_hours:
        if day.weekday() in weekdays:
            slots.append((day, start, end))
            total += hours_each
            if len(slots) > max_sessions:
                raise CourseError("end_time", LazyString(lambda: ngettext(
                    "That would need more than %(num)s session.",
                    "That would need more than %(num)s sessions.", max_sessions)))
        day += timedelta(days=1)
    return slots


def create_cohort(session: Session, *, project: Project, course: Course, code: str,
                  capacity: int, location: str, trainer: User | None,
                  slots: list[tuple[date, time, time]]) -> Cohort:
    """A cohort with its sessions; CourseError when the code is taken."""
    code = code.strip().upper()
    if session.scalar(select(Cohort.id).where(Cohort.code == code)) is not None:
        raise CourseError("code", _l("Another cohort already has the code %(code)s.", code=code))
    cohort = Cohort(project=project, course=course, code=code, capacity=capacity,
                    location=location.strip(), trainer=trainer,
                    start_date=slots[0][0] if slots else None,
                    end_date=slots[-1][0] if slots else None)
    session.add(cohort)
    if trainer is not None:  # the cohort's trainer works on the project: on its team
        from trainhub.programme.services import add_team_member

        add_team_member(session, project, trainer, user_id=None)
    for day, start, end in slots:
        session.add(TrainingSession(cohort=cohort, date=day, start_time=start, end_time=end,
                                    hours=session_hours(start, end)))
    session.commit()
    return cohort


def trainer_overlaps(session: Session, trainer: User | None,
                     slots: list[tuple[date, time, time]]) -> list[tuple[date, str]]:
    """(date, cohort code) of the trainer's existing sessions that overlap the given slots."""
    if trainer is None or not slots:
        return []
    rows = session.execute(
        select(TrainingSession.date, TrainingSession.start_time, TrainingSession.end_time,
               Cohort.code)
        .join(Cohort)
        .where(Cohort.trainer_id == trainer.id,
               TrainingSession.date.in_({day for day, _s, _e in slots}))
    ).all()
    by_day: dict[date, list[tuple[time, time]]] = {}
    for day, start, end in slots:
        by_day.setdefault(day, []).append((start, end))
    return sorted({
        (day, code) for day, start, end, code in rows
        if any(start < other_end and other_start < end for other_start, other_end in by_day[day])
    })


def cohort_trainers(db_session: Session, project: Project) -> list[User]:
    """The active trainers on the project's team: the trainers a cohort of it may have."""
    return list(db_session.scalars(
        select(User).join(ProjectMember, ProjectMember.user_id == User.id)
        .where(ProjectMember.project_id == project.id, User.role == Role.TRAINER, User.active)
        .order_by(User.full_name, User.email)))


def online_link_problem(link: str):
    """Why `link` cannot be a cohort's online link (a lazy string), or None: '' or an http(s)
    address of a host, at most 500 characters, without spaces."""
    if not link:
        return None
    refused = _l("Give an address that starts with http:// or https://.")
    if len(link) > 500:
        return _l("At most %(count)s characters.", count=500)
    if any(character.isspace() or ord(character) < 32 for character in link):
        return refused
    try:
        parts = urlsplit(link)
    except ValueError:
        return refused
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return refused
    return None


def update_cohort(db_session: Session, cohort: Cohort, *, trainer: User | None, capacity: int,
                  location: str, online_link: str, today: date) -> tuple[list, list[Enrollment]]:
    """Change a cohort's trainer, seats, location and online link (the audit trail records
    each change). Returns the new trainer's overlapping sessions (a warning) and the people
    moved from the waiting list into the seats added.

    CohortClosed in a closed cohort; CourseError on the field at fault: a new trainer not on
    the project's team, fewer seats than are taken, a link that is not an http(s) address.
    """
    assert_cohort_writable(cohort)
    if trainer is not None and trainer.id != cohort.trainer_id \
            and trainer not in cohort_trainers(db_session, cohort.project):
        raise CourseError("trainer_id", _l("Choose a trainer of the project's team."))
    if not 1 <= capacity <= MAX_SEATS:
        raise CourseError("capacity", _l("Give a number of seats between %(min)s and %(max)s.",
                                         min=1, max=MAX_SEATS))
    location, online_link = " ".join(location.split()), online_link.strip()
    if len(location) > 300:
        raise CourseError("location", _l("At most %(count)s characters.", count=300))
    problem = online_link_problem(online_link)
    if problem is not None:
        raise CourseError("online_link", problem)
    db_session.execute(select(Cohort.id).where(Cohort.id == cohort.id).with_for_update())
    taken = _seats_taken(db_session, cohort)
    if capacity < taken:
        raise CourseError("capacity", LazyString(lambda: ngettext(
            "%(num)s seat is already taken: the cohort cannot have fewer.",
            "%(num)s seats are already taken: the cohort cannot have fewer.", taken)))
    overlaps = []
    if trainer is not None and trainer.id != cohort.trainer_id:
        overlaps = [(day, code) for day, code in trainer_overlaps(
            db_session, trainer, [(s.date, s.start_time, s.end_time) for s in cohort.sessions])
            if code != cohort.code]
    cohort.trainer, cohort.capacity = trainer, capacity
    cohort.location, cohort.online_link = location, online_link
    promoted = list(db_session.scalars(
        select(Enrollment).where(Enrollment.cohort_id == cohort.id,
                                 Enrollment.status == EnrollmentStatus.WAITING)
        .order_by(Enrollment.enrolled_on, Enrollment.id).limit(capacity - taken)))
    for enrollment in promoted:
        enrollment.status, enrollment.enrolled_on = EnrollmentStatus.ENROLLED.value, today
    db_session.commit()
    return overlaps, promoted


class EnrollmentRefused(Problems):
    """The person cannot be enrolled; `problems` says everything that is missing."""


class CohortClosed(EnrollmentRefused):
    """A write into a closed cohort (marks, enrollments, withdrawals, sessions) was refused."""


def cohort_state(cohort: Cohort, today: date) -> CohortState:
    """DESIGN §15: closed, reopened, running (a session has been held by `today`) or planned."""
    if cohort.closed_at is not None:
        return CohortState.CLOSED
    if cohort.reopened_at is not None:
        return CohortState.REOPENED
    if cohort.start_date is not None and cohort.start_date <= today:
        return CohortState.RUNNING
    return CohortState.PLANNED


def cohort_write_problem(cohort: Cohort):
    """Why nothing may be written into `cohort` (a lazy string), or None when it is writable.

    The one rule every path that writes marks, enrollments, withdrawals or sessions calls.
    """
    if cohort.closed_at is not None:
        return _l("Cohort %(code)s is closed: reopen it (with a reason) to change it.",
                  code=cohort.code)
    return None


def assert_cohort_writable(cohort: Cohort) -> None:
    """CohortClosed when `cohort` is closed (see cohort_write_problem)."""
    problem = cohort_write_problem(cohort)
    if problem is not None:
        raise CohortClosed([problem])


def enrollment_gate(db_session: Session, cohort: Cohort, membership: Membership,
                    *, override_documents: bool = False) -> list:
    """Every reason the member cannot take a seat in the cohort (empty: the gate is open).

    The seat itself is not checked here: a full cohort puts the person on the waiting list.
    """
    return enrollment_gates(db_session, cohort, [membership],
                            override_documents=override_documents)[membership.id]


#: why a member who is not eligible (yet) cannot take a seat, by eligibility status
NOT_ELIGIBLE = {
    Eligibility.PENDING: _l("Eligibility is pending: it has not been decided yet."),
    Eligibility.INELIGIBLE: _l("Eligibility is ineligible: the person does not meet the "
                               "call's rules."),
}


def enrollment_gates(db_session: Session, cohort: Cohort, memberships: list[Membership],
                     *, override_documents: bool = False) -> dict[int, list]:
    """`enrollment_gate` of each member, by membership id, in a constant number of queries:
    the one enrollment rule, asked for one person or for a page of the enroll picker."""
    missing = {} if override_documents else missing_documents_for(db_session, memberships)
    active_elsewhere: dict[int, str] = {}
    ids = [membership.id for membership in memberships]
    for start in range(0, len(ids), 1000):
        active_elsewhere.update(db_session.execute(
            select(Enrollment.membership_id, Cohort.code).join(Cohort)
            .where(Enrollment.membership_id.in_(ids[start:start + 1000]),
                   Cohort.course_id == cohort.course_id,
                   Enrollment.status.in_(OPEN_ENROLLMENT_STATUSES))
            .order_by(Cohort.code.desc())).all())
    gates = {}
    for membership in memberships:
        problems = []
        if membership.project_id != cohort.project_id:
            problems.append(_l("The person is not a member of this cohort's project."))
        if membership.eligibility_status != Eligibility.ELIGIBLE:
            problems.append(NOT_ELIGIBLE.get(membership.eligibility_status,
                                             NOT_ELIGIBLE[Eligibility.PENDING]))
        problems.extend(missing.get(membership.id, []))
        if membership.id in active_elsewhere:
            problems.append(_l("Already enrolled in this course (cohort %(code)s).",
                               code=active_elsewhere[membership.id]))
        gates[membership.id] = problems
    return gates


#: the longest text the enroll picker searches for
MAX_SEARCH = 100


def enrollment_candidates(cohort: Cohort, user, *, search: str = "",
                          enterprise_id: int | None = None,
                          eligibility: str | None = None) -> Select:
    """The members of the cohort's project that `user` may see and that hold no open seat in
    the cohort, by name, person and employer loaded: the enroll picker's rows.

    `search` is part of a name, or the last digits of a CNP; `eligibility` one status.
    """
    stmt = (select(Membership).join(Membership.participant)
            .options(joinedload(Membership.participant).joinedload(Participant.enterprise))
            .where(Membership.project_id == cohort.project_id,
                   Membership.id.not_in(select(Enrollment.membership_id).where(
                       Enrollment.cohort_id == cohort.id,
                       Enrollment.status.in_(OPEN_ENROLLMENT_STATUSES))))
            .order_by(Participant.last_name, Participant.first_name, Participant.id))
    search = " ".join(search.split())[:MAX_SEARCH]
    if search.isdigit():
        stmt = stmt.where(Participant.cnp.endswith(search))
    elif search:
        stmt = stmt.where(or_(*(name.icontains(search, autoescape=True) for name in (
            Participant.last_name + " " + Participant.first_name,
            Participant.first_name + " " + Participant.last_name))))
    if enterprise_id is not None:
        stmt = stmt.where(Participant.enterprise_id == enterprise_id)
    if eligibility in set(Eligibility):
        stmt = stmt.where(Membership.eligibility_status == eligibility)
    return scoped(scoped(stmt, Membership, user), Participant, user)


def candidate_employers(db_session: Session, cohort: Cohort) -> list[Enterprise]:
    """The employers of the cohort's project members, by name: the picker's company filter."""
    return list(db_session.scalars(
        select(Enterprise).where(Enterprise.id.in_(
            select(Participant.enterprise_id).join(Membership)
            .where(Membership.project_id == cohort.project_id)))
        .order_by(Enterprise.name, Enterprise.id)))


def with_documents(db_session: Session, memberships: list[Membership],
                   complete: bool) -> list[Membership]:
    """The members whose (and whose employer's) documents are complete, or are not."""
    missing = missing_documents_for(db_session, memberships)
    return [membership for membership in memberships
            if (not missing[membership.id]) == complete]


def _seats_taken(db_session: Session, cohort: Cohort) -> int:
    return db_session.scalar(select(func.count(Enrollment.id)).where(
        Enrollment.cohort_id == cohort.id, Enrollment.status == EnrollmentStatus.ENROLLED))


def enroll(db_session: Session, cohort: Cohort, membership: Membership, today: date,
           *, override_reason: str = "", user_id: int | None = None,
           enrolled_on: date | None = None, voucher_override_reason: str = "",
           reactivation_reason: str = "") -> Enrollment:
    """Enroll when the gate is open (waiting list when only the seat is missing).

    A coordinator may override the document check with a reason (audited). The cohort row
    is locked while seats are counted, so two requests never take the last seat twice.
    `enrolled_on` defaults to `today`; sessions before it are not expected. The employer's
    skills voucher is charged (journey.services.charge_voucher): over its balance the
    enrollment is refused unless `voucher_override_reason` is given (audited).

    A person who withdrew from this cohort comes back by reactivating their enrollment (one
    per person and cohort: their marks stay with it), only with a `reactivation_reason`
    (like reopening a cohort, DESIGN §15). It keeps its enrollment date (the sessions missed
    while away are expected of them, the marks before stay counted); the withdrawal date it
    had and the reason are kept in the audit trail (enrollment.reactivated).
    """
    assert_cohort_writable(cohort)
    problems = enrollment_gate(db_session, cohort, membership,
                               override_documents=bool(override_reason.strip()))
    if problems:
        raise EnrollmentRefused(problems)
    db_session.execute(select(Cohort.id).where(Cohort.id == cohort.id).with_for_update())
    status = (EnrollmentStatus.ENROLLED if _seats_taken(db_session, cohort) < cohort.capacity
              else EnrollmentStatus.WAITING)
    enrollment = db_session.scalar(select(Enrollment).where(
        Enrollment.cohort_id == cohort.id, Enrollment.membership_id == membership.id))
    returning = enrollment is not None and enrollment.status == EnrollmentStatus.WITHDRAWN
    reason = " ".join((reactivation_reason or "").split())
    if returning and not reason:
        raise EnrollmentRefused([_l(
            "The person withdrew from this cohort on %(day)s: say why they return to take "
            "their enrollment back.", day=enrollment.withdrawn_on.isoformat())])
    if returning and len(reason) > 500:
        raise EnrollmentRefused([_l("The reason is longer than %(n)s characters.", n=500)])
    try:
        charge = charge_voucher(db_session, cohort, membership, enrollment, enrolled_on or today,
                                override_reason=voucher_override_reason, user_id=user_id)
    except VoucherOverBudget as over:
        raise EnrollmentRefused(over.problems) from over
    if enrollment is None:
        enrollment = Enrollment(cohort=cohort, membership=membership)
        db_session.add(enrollment)
    if charge is not None:
        charge.enrollment = enrollment
        db_session.add(charge)
    if returning:
        withdrawn_on = enrollment.withdrawn_on
        enrollment.status, enrollment.withdrawn_on = status.value, None
        db_session.flush()
        record(db_session, "enrollment.reactivated", enrollment,
               {"withdrawn_on": withdrawn_on.isoformat(),
                "enrolled_on": enrollment.enrolled_on.isoformat(), "status": status.value,
                "reason": reason}, user_id=user_id)
    else:
        enrollment.status, enrollment.withdrawn_on = status.value, None
        enrollment.enrolled_on = enrolled_on or today
    if override_reason.strip():
        enrollment.override_reason, enrollment.override_by_id = override_reason.strip(), user_id
        db_session.flush()
        record(db_session, "enrollment.override_documents", enrollment,
               {"reason": override_reason.strip()}, user_id=user_id)
    db_session.commit()
    return enrollment


def change_enrollment_date(db_session: Session, enrollment: Enrollment, enrolled_on: date,
                           reason: str, *, user_id: int | None = None) -> None:
    """Set the date a person joined the cohort, with a reason (audited).

    Sessions before it are not expected; refused while a mark exists for such a session,
    after a withdrawal date, or in a closed cohort.
    """
    assert_cohort_writable(enrollment.cohort)
    reason = " ".join((reason or "").split())
    problems = []
    if not reason:
        problems.append(_l("Say why the enrollment date changes."))
    elif len(reason) > 500:
        problems.append(_l("The reason is longer than %(n)s characters.", n=500))
    if enrollment.withdrawn_on is not None and enrolled_on > enrollment.withdrawn_on:
        problems.append(_l("The enrollment date cannot be after the withdrawal (%(day)s).",
                           day=enrollment.withdrawn_on.isoformat()))
    marked = sorted(db_session.scalars(
        select(TrainingSession.date).join(AttendanceMark)
        .where(AttendanceMark.enrollment_id == enrollment.id, TrainingSession.date < enrolled_on)))
    if marked:
        problems.append(_l("The person has marks before that date (%(days)s).",
                           days=", ".join(day.isoformat() for day in marked)))
    if problems:
        raise EnrollmentRefused(problems)
    before = enrollment.enrolled_on
    enrollment.enrolled_on = enrolled_on
    record(db_session, "enrollment.enrolled_on", enrollment,
           {"from": before.isoformat(), "to": enrolled_on.isoformat(), "reason": reason},
           user_id=user_id)
    db_session.commit()


def withdraw(db_session: Session, enrollment: Enrollment, today: date) -> Enrollment | None:
    """Withdraw; the freed seat goes to the first person waiting, who is returned."""
    assert_cohort_writable(enrollment.cohort)
    if enrollment.status not in OPEN_ENROLLMENT_STATUSES:
        raise EnrollmentRefused([_l("Only an open enrollment can be withdrawn.")])
    freed_seat = enrollment.status == EnrollmentStatus.ENROLLED
    enrollment.status = EnrollmentStatus.WITHDRAWN.value
    enrollment.withdrawn_on = max(today, enrollment.enrolled_on)
    refund_voucher(db_session, enrollment, enrollment.withdrawn_on)
    promoted = None
    if freed_seat:
        promoted = db_session.scalar(
            select(Enrollment).where(Enrollment.cohort_id == enrollment.cohort_id,
                                     Enrollment.status == EnrollmentStatus.WAITING)
            .order_by(Enrollment.enrolled_on, Enrollment.id).limit(1))
        if promoted is not None:
            promoted.status, promoted.enrolled_on = EnrollmentStatus.ENROLLED.value, today
    db_session.commit()
    return promoted


def enroll_many(db_session: Session, cohort: Cohort, memberships: list[Membership], today: date,
                user_id: int | None = None, enrolled_on: date | None = None,
                voucher_override_reason: str = "",
                reactivation_reason: str = "") -> list[tuple[Membership, str, list]]:
    """Enroll each member in turn: (membership, 'enrolled' | 'waiting' | 'refused', problems)."""
    results = []
    for membership in memberships:
        try:
            enrollment = enroll(db_session, cohort, membership, today, user_id=user_id,
                                enrolled_on=enrolled_on,
                                voucher_override_reason=voucher_override_reason,
                                reactivation_reason=reactivation_reason)
        except EnrollmentRefused as refused:
            db_session.rollback()
            results.append((membership, "refused", refused.problems))
        else:
            results.append((membership, enrollment.status, []))
    return results


def refresh_cohort_dates(db_session: Session, cohort: Cohort) -> None:
    """The cohort's first and last day follow its sessions, whichever path added, moved or
    removed one (the cohort list and its state read them)."""
    db_session.flush()
    first, last = db_session.execute(
        select(func.min(TrainingSession.date), func.max(TrainingSession.date))
        .where(TrainingSession.cohort_id == cohort.id)).one()
    cohort.start_date, cohort.end_date = first or cohort.start_date, last or cohort.end_date


def delete_session(db_session: Session, training_session: TrainingSession) -> None:
    """Remove a planned session; refused once anybody has a mark for it."""
    assert_cohort_writable(training_session.cohort)
    marked = db_session.scalar(select(func.count(AttendanceMark.id))
                               .where(AttendanceMark.session_id == training_session.id))
    if marked:
        raise EnrollmentRefused([LazyString(lambda: ngettext(
            "The session has %(num)s attendance mark; it cannot be deleted.",
            "The session has %(num)s attendance marks; it cannot be deleted.", marked))])
    db_session.delete(training_session)
    refresh_cohort_dates(db_session, training_session.cohort)
    db_session.commit()


def shorter_than_marks_problem(db_session: Session, training_session: TrainingSession,
                               hours: Decimal):
    """Why the session cannot last only `hours` (a lazy string), or None: no mark may count
    more hours than its session (DESIGN §15)."""
    if training_session.id is None:
        return None
    longest = db_session.scalar(select(func.max(AttendanceMark.hours))
                                .where(AttendanceMark.session_id == training_session.id))
    if longest is not None and longest > hours:
        return _l("A mark of this session counts %(hours)s hours; the session cannot be shorter.",
                  hours=f"{longest:g}")
    return None


def save_session(db_session: Session, cohort: Cohort, training_session: TrainingSession | None,
                 *, day: date, start: time, end: time, topic: str = "",
                 commit: bool = True) -> list[tuple[date, str]]:
    """Add a session to `cohort` (training_session=None) or move or retitle one of its sessions;
    returns the trainer's overlapping sessions elsewhere (a warning). The cohort's dates follow.
    Every path that adds or changes a session calls this (the cohort and session pages, the
    workbook import with commit=False: it commits or rolls back the whole file).

    Refused (CourseError on the field at fault, nothing changed) in a closed cohort, on a day
    outside FIRST_DAY..LAST_DAY, when the session would end before it starts, clash with
    another session of the cohort, or be shorter than a mark of it. A session that already has
    marks keeps its day: the marks were given for that day.
    """
    problem = cohort_write_problem(cohort)
    if problem is not None:
        raise CourseError("date", problem)
    if not day_in_range(day):
        raise CourseError("date", DAY_OUT_OF_RANGE)
    if end <= start:
        raise CourseError("end_time", _l("The session must end after it starts."))
    if training_session is not None and day != training_session.date and db_session.scalar(
            select(func.count(AttendanceMark.id))
            .where(AttendanceMark.session_id == training_session.id)):
        raise CourseError("date", _l("The session has attendance marks; its day cannot change."))
    if len((topic or "").strip()) > 300:
        raise CourseError("topic", _l("At most %(count)s characters.", count=300))
    clash = select(TrainingSession.id).where(TrainingSession.cohort_id == cohort.id,
                                             TrainingSession.date == day,
                                             TrainingSession.start_time == start)
    if training_session is not None:
        clash = clash.where(TrainingSession.id != training_session.id)
    if db_session.scalar(clash) is not None:
        raise CourseError("date", _l("The cohort already has a session on %(day)s at %(start)s.",
                                     day=day.isoformat(), start=start.strftime("%H:%M")))
    if training_session is None:
        training_session = TrainingSession(cohort=cohort)
        db_session.add(training_session)
    else:
        shorter = shorter_than_marks_problem(db_session, training_session,
                                             session_hours(start, end))
        if shorter is not None:
            raise CourseError("end_time", shorter)
    training_session.date, training_session.start_time, training_session.end_time = day, start, end
    training_session.hours = session_hours(start, end)
    training_session.topic = (topic or "").strip()
    overlaps = [(d, code) for d, code in trainer_overlaps(
        db_session, cohort.trainer, [(day, start, end)]) if code != cohort.code]
    refresh_cohort_dates(db_session, cohort)
    if commit:
        db_session.commit()
    return overlaps
