"""Attendance rules: default hours, the grid of marks, completion and certificates."""
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from trainhub.attendance import pdf
from trainhub.attendance.models import (
    ATTENDED_STATUSES,
    AttendanceMark,
    Certificate,
    CertificateRevision,
    MarkSource,
    MarkStatus,
    SignInSheet,
)
from trainhub.audit.services import record
from trainhub.auth.scoping import narrowed
from trainhub.core.errors import Problems
from trainhub.core.formats import number as format_number
from trainhub.core.identifiers import InvalidIdentifier, normalise_cnp
from trainhub.core.models import utcnow
from trainhub.courses.models import Cohort, Enrollment, EnrollmentStatus, TrainingSession
from trainhub.courses.services import cohort_write_problem
from trainhub.imports.services import (
    CellError,
    ImportReport,
    RowError,
    Table,
    fold,
    parse_date,
    parse_vocabulary,
    require_columns,
    synonyms,
    text,
)
from trainhub.participants.locks import lock_enrollments
from trainhub.participants.models import Membership, Participant
from trainhub.programme.identity import (
    DEFAULT_WORDING,
    fill,
    letterhead_for,
    template_for,
    wording_of,
)
from trainhub.programme.models import Project


def default_hours(status: str, session: TrainingSession) -> Decimal:
    """DESIGN §7: the session's hours when present or late, else 0."""
    return session.hours if status in ATTENDED_STATUSES else Decimal(0)


def is_expected(session: TrainingSession, enrollment: Enrollment) -> bool:
    """Sessions before a person enrolled are 'not expected', never absences."""
    return session.date >= enrollment.enrolled_on


def sessions_of_week(grid: "Grid", session: TrainingSession) -> list[TrainingSession]:
    """The cohort's sessions in the ISO week of `session`, in order (for a week's sheet)."""
    week = session.date.isocalendar()[:2]
    return sorted((s for s in grid.sessions if s.date.isocalendar()[:2] == week),
                  key=lambda s: (s.date, s.start_time)) or [session]


@dataclass
class Grid:
    """A cohort's sessions × enrollments with the existing marks, loaded in fixed queries.

    `marks` holds AttendanceMark objects, or GridMark tuples of the same `status`, `hours`
    and `remark` when loaded read-only.
    """

    cohort: Cohort
    sessions: list[TrainingSession]
    enrollments: list  # Enrollment objects, or GridEnrollment rows when loaded read-only
    marks: dict[tuple[int, int], AttendanceMark] = field(default_factory=dict)

    @cached_property
    def expected(self) -> dict[int, frozenset[int]]:
        """Per enrollment id, the ids of the sessions it is expected at (see is_expected);
        the enrollments of one enrollment day share one set, made once."""
        of_day, result = {}, {}
        for enrollment in self.enrollments:
            expected = of_day.get(enrollment.enrolled_on)
            if expected is None:
                expected = of_day[enrollment.enrolled_on] = frozenset(
                    s.id for s in self.sessions if is_expected(s, enrollment))
            result[enrollment.id] = expected
        return result

    def totals(self, today: date) -> dict[int, tuple[Decimal, float | None]]:
        """(attended hours, attendance rate) per enrollment id, in one pass over the marks.

        The rate is attended hours ÷ hours of the sessions held by `today` at which the person
        was expected (None before any); only marks of those sessions count, each at most its
        session's hours, so the rate is never above 100 % (DESIGN §15).
        """
        held_hours = {s.id: s.hours for s in self.sessions if s.date <= today}
        expected_at = self.expected
        attended = dict.fromkeys(expected_at, Decimal(0))
        for (session_id, enrollment_id), mark in self.marks.items():
            cap = held_hours.get(session_id)
            if cap is not None and mark.status in ATTENDED_STATUSES:
                expected = expected_at.get(enrollment_id)
                if expected is not None and session_id in expected:
                    hours = mark.hours
                    attended[enrollment_id] += hours if hours <= cap else cap  # min()
        held_of = {}  # the held hours of each distinct set of expected sessions, summed once
        result = {}
        for enrollment_id, expected in expected_at.items():
            held = held_of.get(expected)
            if held is None:
                held = held_of[expected] = sum(
                    (hours for s_id, hours in held_hours.items() if s_id in expected), Decimal(0))
            hours = attended[enrollment_id]
            result[enrollment_id] = (hours, float(hours / held) if held else None)
        return result


class GridMark(NamedTuple):
    """A stored mark of a read-only grid: what the grid, its register and totals read of it."""

    status: str
    hours: Decimal
    remark: str


class GridPerson(NamedTuple):
    """The name and CNP of a person of a read-only grid."""

    last_name: str
    first_name: str
    cnp: str

    full_name = property(Participant.full_name.fget)


class GridMembership(NamedTuple):
    """The membership of a read-only grid's enrollment: only its participant."""

    participant: GridPerson


class GridEnrollment(NamedTuple):
    """An enrollment of a read-only grid: what the grid, its register and its rules read of it."""

    id: int
    enrolled_on: date
    membership: GridMembership


#: every table the grid page's rows read, for every reader's scope (auth.scoping): its rendered
#: rows are kept while none of them changes (attendance.views, core.counts.kept_named_value)
GRID_TABLES = frozenset({"cohorts", "training_sessions", "enrollments", "memberships",
                         "participants", "attendance_marks", "sign_in_sheets", "project_members"})


def load_grid(db_session: Session, cohort: Cohort, enrollment_filter=None, *,
              read_only: bool = False, with_marks: bool = True) -> Grid:
    """The grid of `cohort`; `enrollment_filter` (a WHERE condition) narrows the rows.

    Without `with_marks` the grid holds no marks: enough for save_grid of given cells, which
    reads the marks it writes itself (not for mark_all_present, which skips the marked).

    `read_only` loads the enrollments (GridEnrollment) and the marks (GridMark) from Core
    rows, several times cheaper than ORM objects; save_grid takes either (it loads
    the marks it writes as objects itself). Rows are in the order of the people's names.
    """
    sessions = db_session.scalars(_SESSIONS_OF_COHORT, {"cohort_id": cohort.id}).all()
    if read_only:
        # Core rows on the session's connection: the ORM's per-row work on three joined
        # entities was most of this query's time, and the grid reads four columns
        stmt = _ENROLLMENT_ROWS_OF_COHORT
    else:
        stmt = (select(Enrollment)
                .options(joinedload(Enrollment.membership).load_only(Membership.participant_id)
                         .joinedload(Membership.participant)
                         .load_only(Participant.last_name, Participant.first_name,
                                    Participant.cnp))
                .where(Enrollment.cohort_id == cohort.id,
                       Enrollment.status != EnrollmentStatus.WAITING))
    if enrollment_filter is not None:
        # the read-only statement is built once, so narrowed keeps it per reader's condition
        stmt = (narrowed(stmt, enrollment_filter) if read_only
                else stmt.where(enrollment_filter))
    if read_only:
        enrollments = [GridEnrollment(id_, enrolled_on, GridMembership(GridPerson(*person)))
                       for id_, enrolled_on, *person in db_session.connection().execute(
                           stmt, {"cohort_id": cohort.id}).all()]
    else:
        enrollments = list(db_session.scalars(stmt).unique())
    enrollments.sort(key=lambda e: (e.membership.participant.full_name, e.id))
    return Grid(cohort, sessions, enrollments,
                _marks_of(db_session, cohort, enrollments, read_only) if with_marks else {})


# The grid's fixed statements, built once: a statement keeps its cache key, so a request
# neither builds the statement nor its key again (about 0.1 ms each per page).
_SESSIONS_OF_COHORT = (select(TrainingSession)
                       .where(TrainingSession.cohort_id == bindparam("cohort_id"))
                       .order_by(TrainingSession.date, TrainingSession.start_time))
_ENROLLMENT_ROWS_OF_COHORT = (
    select(Enrollment.id, Enrollment.enrolled_on, Participant.last_name, Participant.first_name,
           Participant.cnp)
    .join(Membership, Membership.id == Enrollment.membership_id)
    .join(Participant, Participant.id == Membership.participant_id)
    .where(Enrollment.cohort_id == bindparam("cohort_id"),
           Enrollment.status != EnrollmentStatus.WAITING))
_MARK_ROWS_OF_COHORT = (select(AttendanceMark.session_id, AttendanceMark.enrollment_id,
                               AttendanceMark.status, AttendanceMark.hours, AttendanceMark.remark)
                        .join(TrainingSession, TrainingSession.id == AttendanceMark.session_id)
                        .where(TrainingSession.cohort_id == bindparam("cohort_id")))


def _marks_of(db_session: Session, cohort: Cohort, enrollments,
              read_only: bool = False) -> dict[tuple[int, int], AttendanceMark]:
    """The marks of `enrollments` (of `cohort`), by (session id, enrollment id)."""
    if read_only:
        # Core rows of the cohort's marks in one fetch, by a statement built once; only the
        # given enrollments' are kept (the others' never leave this function)
        # as GridMark tuples, whose fields read several times faster than a Row's
        ids = {e.id for e in enrollments}
        return {(session_id, enrollment_id): GridMark(status, hours, remark)
                for session_id, enrollment_id, status, hours, remark in db_session.connection()
                .execute(_MARK_ROWS_OF_COHORT, {"cohort_id": cohort.id}).all()
                if enrollment_id in ids}
    return {(m.session_id, m.enrollment_id): m for m in db_session.scalars(
        select(AttendanceMark).where(AttendanceMark.enrollment_id.in_([e.id for e in enrollments])))}


class MarkRefused(ValueError):
    """One mark breaks a rule; `reason` says which (a lazy, translatable string)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def resolve_mark(session: TrainingSession, enrollment: Enrollment, status: str,
                 hours_text: object, today: date) -> Decimal:
    """The hours of a mark after the DESIGN §7 and §15 rules, or MarkRefused with the reason.

    The one check every path that writes a mark calls (grid, mark all present, QR check-in,
    CSV and workbook imports): the cohort is not closed, the session has started (its date
    is not after `today`), the person was expected, the hours fit in the session.
    """
    closed = cohort_write_problem(session.cohort)
    if closed is not None:
        raise MarkRefused(closed)
    if status not in {choice.value for choice in MarkStatus}:
        raise MarkRefused(_l("unknown status %(status)s.", status=status))
    if session.date > today:
        raise MarkRefused(_l("the session of %(day)s has not taken place yet.",
                             day=session.date.isoformat()))
    if not is_expected(session, enrollment):
        raise MarkRefused(_l("the session is before the enrollment date."))
    raw = "" if hours_text is None else str(hours_text).strip().replace(",", ".")
    try:
        hours = Decimal(raw) if raw else default_hours(status, session)
    except InvalidOperation:
        raise MarkRefused(_l("hours must be a number.")) from None
    if not hours.is_finite() or hours < 0 or hours > session.hours:
        raise MarkRefused(_l("hours must be between 0 and %(max)s.", max=f"{session.hours:g}"))
    if status not in ATTENDED_STATUSES and hours:
        raise MarkRefused(_l("excused or absent means 0 hours."))
    return hours


class AttendanceError(Problems):
    """Marks that cannot be saved; `problems` lists every one, nothing is written."""


def save_grid(db_session: Session, grid: Grid, entries: dict[tuple[int, int], tuple],
              user_id: int | None, source: str = MarkSource.MANUAL,
              today: date | None = None) -> int:
    """Save (status, hours text[, remark]) per (session id, enrollment id); all or nothing.

    An empty status removes nothing and adds nothing; an empty hours text takes the default;
    a missing remark keeps the stored one. Returns how many marks were created or changed.
    """
    today = today or date.today()
    closed = cohort_write_problem(grid.cohort)
    if closed is not None:
        raise AttendanceError([closed])
    sessions = {s.id: s for s in grid.sessions}
    enrollments = {e.id: e for e in grid.enrollments}
    problems, changes = [], []
    for (session_id, enrollment_id), (status, hours_text, *rest) in sorted(entries.items()):
        if not status:
            continue
        session, enrollment = sessions.get(session_id), enrollments.get(enrollment_id)
        if session is None or enrollment is None:
            problems.append(_l("A mark names a session or person that is not in this cohort."))
            continue
        try:
            hours = resolve_mark(session, enrollment, status, hours_text, today)
            remark = clean_remark(rest[0]) if rest else None
        except MarkRefused as refused:
            who = f"{enrollment.membership.participant.full_name}, {session.date.isoformat()}"
            problems.append(_l("%(who)s: %(problem)s", who=who, problem=refused.reason))
            continue
        changes.append((session, enrollment, status, hours, remark))
    if problems:
        raise AttendanceError(problems)
    for attempt in (1, 2):
        # only the marks this save touches are loaded as objects (the grid's may be rows)
        stored = _stored_marks(db_session, [(s.id, e.id) for s, e, *_rest in changes])
        outcomes = [store_mark(db_session, stored, session, enrollment, status, hours,
                               user_id, source, remark)
                    for session, enrollment, status, hours, remark in changes]
        try:
            db_session.commit()
        except IntegrityError:
            # Another request created one of these marks meanwhile: build on it, once.
            db_session.rollback()
            if attempt == 2:
                raise
            continue
        grid.marks.update(stored)
        return sum(outcome != "unchanged" for outcome in outcomes)
    raise AssertionError("unreachable")


def _stored_marks(db_session: Session,
                  pairs: list[tuple[int, int]]) -> dict[tuple[int, int], AttendanceMark]:
    """The stored marks of (session id, enrollment id) `pairs`, as objects, in one query."""
    if not pairs:
        return {}
    wanted = set(pairs)
    return {key: mark for mark in db_session.scalars(
        select(AttendanceMark).where(
            AttendanceMark.enrollment_id.in_({enrollment_id for _s, enrollment_id in wanted}),
            AttendanceMark.session_id.in_({session_id for session_id, _e in wanted})))
        if (key := (mark.session_id, mark.enrollment_id)) in wanted}


#: the longest remark a mark keeps
REMARK_LENGTH = 300


def clean_remark(value: object) -> str:
    """A mark's remark as stored: trimmed text; MarkRefused when it is too long."""
    remark = "" if value is None else " ".join(str(value).split())
    if len(remark) > REMARK_LENGTH:
        raise MarkRefused(_l("the remark is longer than %(n)s characters.", n=REMARK_LENGTH))
    return remark


def store_mark(db_session: Session, marks: dict[tuple[int, int], AttendanceMark],
               session: TrainingSession, enrollment: Enrollment, status: str, hours: Decimal,
               user_id: int | None, source: str, remark: str | None = None) -> str:
    """Create or update the one mark of (session, enrollment): 'created', 'updated', 'unchanged'.

    `remark` None keeps the stored remark.
    """
    mark = marks.get((session.id, enrollment.id))
    if mark is not None and (mark.status, mark.hours) == (status, hours) and (
            remark is None or remark == mark.remark):
        return "unchanged"
    outcome = "updated"
    if mark is None:
        mark = AttendanceMark(session_id=session.id, enrollment_id=enrollment.id, remark="")
        db_session.add(mark)
        marks[(session.id, enrollment.id)] = mark
        outcome = "created"
    mark.status, mark.hours, mark.source = status, hours, source
    if remark is not None:
        mark.remark = remark
    mark.marked_by_id, mark.marked_at = user_id, utcnow()
    return outcome


def mark_all_present(db_session: Session, grid: Grid, session_id: int, user_id: int | None,
                     today: date | None = None) -> int:
    """Mark every expected, not yet marked person present at one session of the grid."""
    entries = {
        (session_id, enrollment.id): (MarkStatus.PRESENT.value, "")
        for enrollment in grid.enrollments
        if (session_id, enrollment.id) not in grid.marks
        and any(s.id == session_id and is_expected(s, enrollment) for s in grid.sessions)
    }
    return save_grid(db_session, grid, entries, user_id, today=today)


def attended_hours_by_enrollment(db_session: Session, cohort: Cohort,
                                 today: date | None = None) -> dict[int, Decimal]:
    """Σ hours of present/late marks per enrollment of the cohort, in one query.

    Only sessions held by `today` at which the person was expected count, each mark at most
    its session's hours: the same figures as the grid (Grid.totals).
    """
    today = today or date.today()
    capped = case((AttendanceMark.hours > TrainingSession.hours, TrainingSession.hours),
                  else_=AttendanceMark.hours)
    rows = db_session.execute(
        select(AttendanceMark.enrollment_id, func.sum(capped))
        .join(Enrollment, Enrollment.id == AttendanceMark.enrollment_id)
        .join(TrainingSession, TrainingSession.id == AttendanceMark.session_id)
        .where(Enrollment.cohort_id == cohort.id, AttendanceMark.status.in_(ATTENDED_STATUSES),
               TrainingSession.date <= today, TrainingSession.date >= Enrollment.enrolled_on)
        .group_by(AttendanceMark.enrollment_id)
    )
    return {enrollment_id: Decimal(total) for enrollment_id, total in rows}


@dataclass
class ClosingPreview:
    """What closing a cohort would leave behind: sessions not held yet, marks never given."""

    future_sessions: list[TrainingSession]
    #: (participant's name, session) of held sessions without a mark for an expected person
    missing_marks: list[tuple[str, TrainingSession]]

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.future_sessions or self.missing_marks)


def closing_preview(db_session: Session, cohort: Cohort, today: date) -> ClosingPreview:
    """The future sessions and missing marks of `cohort` (DESIGN §15), in fixed queries."""
    grid = load_grid(db_session, cohort, Enrollment.status == EnrollmentStatus.ENROLLED,
                     read_only=True)
    held = [s for s in grid.sessions if s.date <= today]
    missing = [(e.membership.participant.full_name, s) for s in held for e in grid.enrollments
               if s.id in grid.expected[e.id] and (s.id, e.id) not in grid.marks]
    return ClosingPreview([s for s in grid.sessions if s.date > today], missing)


class ConfirmationNeeded(AttendanceError):
    """Closing would leave future sessions or missing marks: the caller must confirm."""

    def __init__(self, preview: ClosingPreview):
        super().__init__([_l("Closing needs a confirmation: %(future)s sessions are still in "
                             "the future and %(missing)s marks are missing.",
                             future=len(preview.future_sessions),
                             missing=len(preview.missing_marks))])
        self.preview = preview


def close_cohort(db_session: Session, cohort: Cohort, today: date | None = None, *,
                 confirmed: bool = False, user_id: int | None = None) -> dict[str, int]:
    """Decide completion of every enrolled person (DESIGN §7) and close the cohort.

    Completed when attended hours ≥ the project's threshold × the course's planned hours.
    Future sessions or missing marks need `confirmed` (ConfirmationNeeded otherwise). Closing
    again after a reopening also brings the certificates in line (see refresh_certificates);
    exit dates follow on commit (participants.entry_exit).
    """
    today = today or date.today()
    if cohort.closed_at is not None:
        raise AttendanceError([_l("The cohort is already closed.")])
    preview = closing_preview(db_session, cohort, today)
    if preview.needs_confirmation and not confirmed:
        raise ConfirmationNeeded(preview)
    needed = Decimal(cohort.project.completion_threshold) * cohort.course.planned_hours
    lock_enrollments(db_session, db_session.scalars(select(Enrollment.id).where(
        Enrollment.cohort_id == cohort.id, Enrollment.status == EnrollmentStatus.ENROLLED)))
    attended = attended_hours_by_enrollment(db_session, cohort, today)
    outcome = {EnrollmentStatus.COMPLETED.value: 0, EnrollmentStatus.NOT_COMPLETED.value: 0}
    for enrollment in cohort.enrollments:
        if enrollment.status != EnrollmentStatus.ENROLLED:
            continue
        done = attended.get(enrollment.id, Decimal(0)) >= needed
        enrollment.status = (EnrollmentStatus.COMPLETED if done else EnrollmentStatus.NOT_COMPLETED).value
        outcome[enrollment.status] += 1
    cohort.closed_at, cohort.closed_on = utcnow(), today
    changed = refresh_certificates(db_session, cohort, today, user_id=user_id)
    record(db_session, "cohort.close", cohort,
           {"needed_hours": str(needed), **outcome, "certificates_changed": changed,
            "future_sessions": len(preview.future_sessions),
            "missing_marks": len(preview.missing_marks)}, user_id=user_id)
    db_session.commit()
    return outcome


def reopen_cohort(db_session: Session, cohort: Cohort, reason: str, *,
                  user_id: int | None = None) -> None:
    """Make a closed cohort writable again, with a reason (audited).

    Completion is undecided again (completed / not completed → enrolled) until it is closed
    anew; certificates stay as issued until then.
    """
    reason = " ".join((reason or "").split())
    if cohort.closed_at is None:
        raise AttendanceError([_l("Only a closed cohort can be reopened.")])
    if not reason:
        raise AttendanceError([_l("Say why the cohort is reopened.")])
    if len(reason) > 500:
        raise AttendanceError([_l("The reason is longer than %(n)s characters.", n=500)])
    decided = {}
    for enrollment in cohort.enrollments:
        if enrollment.status in (EnrollmentStatus.COMPLETED, EnrollmentStatus.NOT_COMPLETED):
            decided[str(enrollment.id)] = enrollment.status
            enrollment.status = EnrollmentStatus.ENROLLED.value
    cohort.closed_at, cohort.closed_on = None, None
    cohort.reopened_at, cohort.reopen_reason = utcnow(), reason
    record(db_session, "cohort.reopen", cohort, {"reason": reason, "decided_before": decided},
           user_id=user_id)
    db_session.commit()


@dataclass(frozen=True)
class CertificateFigures:
    """What a certificate states, printed and on its verification page alike."""

    first_day: date | None
    last_day: date | None
    hours_attended: Decimal
    hours_planned: Decimal


def cohort_figures(db_session: Session, cohort: Cohort, today: date) -> dict[int, CertificateFigures]:
    """The figures a certificate states today, per enrollment id of the cohort (two queries):
    first and last day of the cohort's sessions held, hours attended (as the grid counts
    them) and the course's planned hours. A closed cohort held no session after its closing
    day, whatever `today` is."""
    if cohort.closed_on is not None:
        today = min(today, cohort.closed_on)
    first, last = db_session.execute(
        select(func.min(TrainingSession.date), func.max(TrainingSession.date))
        .where(TrainingSession.cohort_id == cohort.id, TrainingSession.date <= today)).one()
    attended = attended_hours_by_enrollment(db_session, cohort, today)
    planned = Decimal(cohort.course.planned_hours).quantize(Decimal("0.01"))
    return {enrollment.id: CertificateFigures(
        first, last, Decimal(attended.get(enrollment.id, 0)).quantize(Decimal("0.01")), planned)
        for enrollment in cohort.enrollments}


def certificate_figures(db_session: Session, certificate: Certificate) -> CertificateFigures:
    """The figures stored on `certificate` at issue (worked out for one issued before they
    were stored): the PDF and the verification page both show these."""
    if certificate.hours_attended is None:
        enrollment = certificate.enrollment
        return cohort_figures(db_session, enrollment.cohort, date.today())[enrollment.id]
    return CertificateFigures(certificate.first_day, certificate.last_day,
                              certificate.hours_attended, certificate.hours_planned)


def certificate_values(certificate: Certificate, figures: CertificateFigures) -> dict[str, str]:
    """What the placeholders of a certificate's wording stand for."""
    enrollment = certificate.enrollment
    cohort, person = enrollment.cohort, enrollment.membership.participant
    period = " – ".join(day.isoformat() if day else "" for day in (figures.first_day,
                                                                    figures.last_day))
    return {"name": f"{person.first_name} {person.last_name}", "course": cohort.course.title,
            "hours": format_number(figures.hours_attended, locale="ro"),
            "planned_hours": format_number(figures.hours_planned, locale="ro"),
            "period": period, "serial": certificate.serial, "project": cohort.project.title}


def certificate_document(db_session: Session, certificate: Certificate, verify_url: str, *,
                         upload_dir: str) -> bytes:
    """The certificate's PDF, with the figures its verification page shows and the wording it
    was issued with (one builder for the download, the cohort ZIP and the audit dossier)."""
    wording = certificate.template or DEFAULT_WORDING
    values = certificate_values(certificate, certificate_figures(db_session, certificate))
    return pdf.certificate(
        letterhead=letterhead_for(db_session, certificate.enrollment.cohort.project, upload_dir),
        title=fill(wording["title"], values), body=fill(wording["body"], values),
        signatures=wording.get("signatures") or [], orientation=wording.get("orientation", "L"),
        serial=certificate.serial, issued_on=certificate.issued_on, verify_url=verify_url)


def _stamp(certificate: Certificate, figures: CertificateFigures) -> None:
    certificate.first_day, certificate.last_day = figures.first_day, figures.last_day
    certificate.hours_attended, certificate.hours_planned = (figures.hours_attended,
                                                             figures.hours_planned)


def issue_certificates(db_session: Session, cohort: Cohort, today: date) -> list[Certificate]:
    """A certificate for every completed enrollment of the cohort that has none yet.

    Issued on `today`, it states the sessions held by the closing day (see cohort_figures).
    """
    if cohort.closed_at is None:
        raise AttendanceError([_l("Certificates are issued once the cohort is closed.")])
    issued, figures_of = [], cohort_figures(db_session, cohort, today)
    wording = wording_of(template_for(db_session, cohort.project))
    for enrollment in cohort.enrollments:
        if enrollment.status == EnrollmentStatus.COMPLETED and enrollment.certificate is None:
            figures = figures_of[enrollment.id]
            certificate = Certificate(enrollment=enrollment, issued_on=today,
                                      serial=f"TH-{today.year}-{enrollment.id:06d}",
                                      token=secrets.token_urlsafe(24), template=wording)
            _stamp(certificate, figures)
            db_session.add(certificate)
            issued.append(certificate)
    db_session.commit()
    return issued


def refresh_certificates(db_session: Session, cohort: Cohort, today: date, *,
                         user_id: int | None = None) -> int:
    """Bring the cohort's issued certificates in line with its (re)decided completion.

    A certificate whose person no longer completed is revoked; one whose figures changed is
    reissued: the old serial, token and figures stay as a CertificateRevision (its link then
    names the new serial) and the new serial is the old one with `-2`, `-3`... Returns how
    many certificates changed.
    """
    changed, figures_of = 0, cohort_figures(db_session, cohort, today)
    for enrollment in cohort.enrollments:
        certificate = enrollment.certificate
        if certificate is None:
            continue
        if enrollment.status != EnrollmentStatus.COMPLETED:
            if certificate.revoked_at is None:
                certificate.revoked_at = utcnow()
                certificate.revoked_reason = "not completed when the cohort was closed again"
                record(db_session, "certificate.revoke", certificate,
                       {"serial": certificate.serial, "reason": certificate.revoked_reason},
                       user_id=user_id)
                changed += 1
            continue
        figures = figures_of[enrollment.id]
        if certificate.revoked_at is None and certificate_figures(db_session, certificate) == figures:
            continue
        reissue_certificate(db_session, certificate, figures, today, user_id=user_id)
        changed += 1
    return changed


def reissue_certificate(db_session: Session, certificate: Certificate,
                        figures: CertificateFigures, today: date, *,
                        user_id: int | None = None) -> None:
    """Replace a certificate's serial, token and figures, keeping the old ones on record."""
    old = certificate_figures(db_session, certificate)
    db_session.add(CertificateRevision(
        certificate=certificate, serial=certificate.serial, token=certificate.token,
        issued_on=certificate.issued_on, first_day=old.first_day, last_day=old.last_day,
        hours_attended=old.hours_attended, hours_planned=old.hours_planned,
        reason="reissued when the cohort was closed again"))
    base = certificate.serial.rsplit("-R", 1)[0]
    previous_serial = certificate.serial
    certificate.serial = f"{base}-R{len(certificate.revisions) + 1}"
    certificate.token = secrets.token_urlsafe(24)
    certificate.issued_on, certificate.revoked_at, certificate.revoked_reason = today, None, ""
    _stamp(certificate, figures)
    db_session.flush()
    record(db_session, "certificate.reissue", certificate,
           {"serial": certificate.serial, "replaces": previous_serial,
            "hours_attended": str(figures.hours_attended)}, user_id=user_id)


def enrollments_of(db_session: Session, participant_id: int) -> list[Enrollment]:
    """Every enrollment of a person with its cohort, course and certificate (one query)."""
    return list(db_session.scalars(
        select(Enrollment).join(Membership, Membership.id == Enrollment.membership_id)
        .options(joinedload(Enrollment.cohort).joinedload(Cohort.course),
                 joinedload(Enrollment.certificate))
        .where(Membership.participant_id == participant_id)
        .order_by(Enrollment.enrolled_on.desc(), Enrollment.id)).unique())


def initials(first_name: str, last_name: str) -> str:
    """`I. Ș.`: all the public verification page shows of a name."""
    return " ".join(f"{part[0]}." for part in (first_name, last_name) if part)


def check_in_code(secret_key: str, session: TrainingSession) -> str:
    """The code printed in a session's QR: tied to the session and its day, unguessable."""
    message = f"check-in:{session.id}:{session.date.isoformat()}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:20]


def check_in(db_session: Session, session: TrainingSession, code: str, cnp_tail: str,
             secret_key: str, today: date) -> str:
    """Mark the person whose CNP ends in `cnp_tail` present (source qr); returns their name.

    Refused (Problems) for a wrong code, another day, or nobody expected with those digits.
    Checking in twice changes nothing.
    """
    # compared as bytes: compare_digest refuses str with non-ASCII characters (a typed URL)
    if not hmac.compare_digest(code.encode(), check_in_code(secret_key, session).encode()):
        raise AttendanceError([_l("This check-in code is not valid.")])
    if session.date != today:
        raise AttendanceError([_l("This check-in code is valid only on %(day)s.",
                                  day=session.date.isoformat())])
    cnp_tail = cnp_tail.strip()
    if len(cnp_tail) != 6 or not cnp_tail.isdigit():
        raise AttendanceError([_l("Enter the last 6 digits of your CNP.")])
    grid = load_grid(db_session, session.cohort)
    matches = [e for e in grid.enrollments if e.membership.participant.cnp.endswith(cnp_tail)
               and e.status == EnrollmentStatus.ENROLLED and is_expected(session, e)]
    if len(matches) != 1:
        raise AttendanceError([_l("Nobody expected at this session has those digits.")])
    enrollment = matches[0]
    if (session.id, enrollment.id) not in grid.marks:
        save_grid(db_session, grid, {(session.id, enrollment.id): (MarkStatus.PRESENT.value, "")},
                  user_id=None, source=MarkSource.QR, today=today)
    return enrollment.membership.participant.first_name


ATTENDANCE_COLUMNS = ["cohort_code", "date", "cnp", "status", "hours", "remark"]
#: every column under its Romanian and English names (DESIGN §13 "Synonyms")
ATTENDANCE_ALIASES = synonyms({
    "cohort_code": ["grupa", "cod grupă", "grupă", "cod grupa", "cohort", "group"],
    "date": ["data", "data sesiunii", "ziua", "data cursului", "session date"],
    "cnp": ["cod numeric personal", "cnp cursant", "cnp participant"],
    "status": ["prezent", "prezență", "prezenta", "prezent da/nu", "stare",
               "attendance", "present"],
    "hours": ["ore", "nr. ore", "număr ore", "ore prezență", "ore efectuate", "hours attended"],
    "remark": ["observații", "observatii", "mențiuni", "motiv", "remarks", "notes"],
    "last_name": ["nume", "nume de familie"],
    "first_name": ["prenume"],
})
#: what a sign-in list says about a person, ro + en (DESIGN §13 "Values")
_MARK_WORDS = {
    "present": MarkStatus.PRESENT, "prezent": MarkStatus.PRESENT, "da": MarkStatus.PRESENT,
    "p": MarkStatus.PRESENT, "x": MarkStatus.PRESENT, "yes": MarkStatus.PRESENT,
    "prezenta": MarkStatus.PRESENT, "1": MarkStatus.PRESENT,
    "absent": MarkStatus.ABSENT, "absenta": MarkStatus.ABSENT, "nu": MarkStatus.ABSENT,
    "a": MarkStatus.ABSENT, "no": MarkStatus.ABSENT, "0": MarkStatus.ABSENT,
    "excused": MarkStatus.EXCUSED, "motivat": MarkStatus.EXCUSED, "motivata": MarkStatus.EXCUSED,
    "absent motivat": MarkStatus.EXCUSED, "absenta motivata": MarkStatus.EXCUSED,
    "m": MarkStatus.EXCUSED,
    "late": MarkStatus.LATE, "intarziat": MarkStatus.LATE, "intarziata": MarkStatus.LATE,
    "i": MarkStatus.LATE, "intarziere": MarkStatus.LATE,
}
_mark_word = parse_vocabulary({word: status.value for word, status in _MARK_WORDS.items()},
                              "DA, NU, prezent, absent, motivat, întârziat, P, A, M, I")


def mark_status(value: object, remark: object = None) -> str:
    """The status a sign-in list's cell means: DA/prezent/P, NU/absent/A, motivat/M (also
    "motivat - concediu medical"), întârziat/I; NU with a remark saying "motivat" is excused."""
    status = _mark_word(value)
    if status == MarkStatus.ABSENT and "motivat" in fold(text(remark)):
        return MarkStatus.EXCUSED.value
    return status


def import_attendance(db_session: Session, project: Project, table: Table, *, user_id: int | None,
                      partial: bool = False, dry_run: bool = False,
                      commit: bool = True, today: date | None = None) -> ImportReport:
    """Marks from a `cohort_code, date, cnp, status, hours[, remark]` table (DESIGN §9), all or
    nothing.

    Blank hours are the default of DESIGN §7 for a new mark and keep the stored hours of an
    existing mark whose status stays the same; a blank or absent remark keeps the stored one
    (DESIGN §13 "Nothing lost").
    """
    from trainhub.imports.importers import NEW, UNCHANGED, UPDATED, Change, as_typed, count_changes

    today = today or date.today()
    require_columns(table, ATTENDANCE_COLUMNS[:4])
    cohorts = {c.code: c for c in db_session.scalars(
        select(Cohort).where(Cohort.project_id == project.id))}
    sessions: dict[tuple[int, date], list[TrainingSession]] = {}
    for session in db_session.scalars(select(TrainingSession).where(
            TrainingSession.cohort_id.in_([c.id for c in cohorts.values()]))):
        sessions.setdefault((session.cohort_id, session.date), []).append(session)
    enrollments = {(e.cohort_id, e.membership.participant.cnp): e for e in db_session.scalars(
        select(Enrollment).options(joinedload(Enrollment.membership).joinedload(Membership.participant))
        .where(Enrollment.cohort_id.in_([c.id for c in cohorts.values()]))).unique()}
    marks = {(m.session_id, m.enrollment_id): m for m in db_session.scalars(
        select(AttendanceMark).where(AttendanceMark.enrollment_id.in_(
            [e.id for e in enrollments.values()])))}
    report, changes, seen = ImportReport(), [], {}
    for number, row in table.rows:
        def error(column: str, message: object, number=number) -> None:
            report.errors.append(RowError(table.sheet, number, column, str(message)))

        errors_before = len(report.errors)
        cohort = cohorts.get(text(row.get("cohort_code")))
        if cohort is None:
            error("cohort_code", _l("no cohort %(code)s in project %(project)s",
                                    code=as_typed(row.get("cohort_code")), project=project.code))
        try:
            day = parse_date(row.get("date"))
        except CellError as problem:
            error("date", problem)
            day = None
        try:
            cnp = normalise_cnp(row.get("cnp"))
        except InvalidIdentifier as problem:
            error("cnp", problem)
            cnp = None
        try:
            status = mark_status(row.get("status"), row.get("remark"))
        except CellError as problem:
            error("status", problem)
        if len(report.errors) > errors_before:
            continue
        day_sessions = sessions.get((cohort.id, day), [])
        enrollment = enrollments.get((cohort.id, cnp))
        if len(day_sessions) != 1:
            error("date", _l("cohort %(code)s has %(count)s sessions on %(day)s",
                             code=cohort.code, count=len(day_sessions), day=day.isoformat())
                  if day_sessions else _l("cohort %(code)s has no session on %(day)s",
                                          code=cohort.code, day=day.isoformat()))
            continue
        if enrollment is None:
            error("cnp", _l("not enrolled in cohort %(code)s", code=cohort.code))
            continue
        key = (day_sessions[0].id, enrollment.id)
        if key in seen:
            error("cnp", _l("same person and date as row %(row)s", row=seen[key]))
            continue
        seen[key] = number
        hours_text, stored = row.get("hours"), marks.get(key)
        if text(hours_text) == "" and stored is not None and stored.status == status:
            hours_text = stored.hours
        try:
            hours = resolve_mark(day_sessions[0], enrollment, status, hours_text, today)
        except MarkRefused as refused:
            error("hours" if is_expected(day_sessions[0], enrollment) else "date", refused.reason)
            continue
        try:
            remark = clean_remark(row.get("remark")) or None
        except MarkRefused as refused:
            error("remark", refused.reason)
            continue
        changes.append((number, day_sessions[0], enrollment, status, hours, remark))
    for number, session, enrollment, status, hours, remark in changes:
        mark = marks.get((session.id, enrollment.id))
        action = NEW if mark is None else (
            UNCHANGED if (mark.status, mark.hours) == (status, hours)
            and remark in (None, mark.remark) else UPDATED)
        key = f"{session.cohort.code} {session.date.isoformat()} {enrollment.membership.participant.cnp}"
        count_changes(report, [Change(table.sheet, number, key, action)])
    if (report.errors and not partial) or dry_run:
        return report
    for _number, session, enrollment, status, hours, remark in changes:
        store_mark(db_session, marks, session, enrollment, status, hours, user_id, MarkSource.CSV,
                   remark)
    if commit:
        db_session.commit()
    else:
        db_session.flush()
    report.written = True
    return report


def store_signed_sheet(db_session: Session, session: TrainingSession, data: bytes, filename: str,
                       *, user_id: int | None, upload_dir: str, max_bytes: int) -> SignInSheet:
    """Keep the signed scan of a session's sign-in sheet (PDF, JPEG or PNG sniffed from the
    bytes); a new scan replaces the reference to the old one, whose bytes stay stored."""
    from trainhub.documents.storage import safe_filename, sniff_type, store

    if not data:
        raise Problems([_l("The file is empty.")])
    if len(data) > max_bytes:
        raise Problems([_l("The file is larger than %(mb)s MB.", mb=max_bytes // (1024 * 1024))])
    content_type = sniff_type(data)
    if content_type is None:
        raise Problems([_l("Only PDF, JPEG or PNG scans are accepted; this file is neither.")])
    key, digest = store(upload_dir, data)
    sheet = db_session.scalar(select(SignInSheet).where(SignInSheet.session_id == session.id))
    if sheet is None:
        sheet = SignInSheet(session_id=session.id)
        db_session.add(sheet)
    sheet.scan_key, sheet.scan_sha256, sheet.scan_size = key, digest, len(data)
    sheet.scan_content_type = content_type
    sheet.scan_original_name = safe_filename(filename, content_type)
    sheet.uploaded_by_id, sheet.uploaded_at = user_id, utcnow()
    db_session.flush()
    return sheet


def sheet_scans(db_session: Session, session_ids: list[int]) -> dict[int, SignInSheet]:
    """The sign-in sheets with a signed scan, by session id (one query)."""
    return {sheet.session_id: sheet for sheet in db_session.scalars(
        select(SignInSheet).where(SignInSheet.session_id.in_(session_ids),
                                  SignInSheet.scan_key.is_not(None)))}


def scanned_sessions(db_session: Session, session_ids: list[int]) -> set[int]:
    """The ids of the sessions of `session_ids` whose sign-in sheet has a signed scan (one
    query of ids: the grid's headers need no more of the sheets)."""
    return set(db_session.connection().scalars(_SCANNED, {"ids": session_ids}).all())


#: scanned_sessions' statement, built once (see _SESSIONS_OF_COHORT)
_SCANNED = select(SignInSheet.session_id).where(
    SignInSheet.session_id.in_(bindparam("ids", expanding=True)), SignInSheet.scan_key.is_not(None))


def unbacked_sessions(grid: Grid, scans) -> set[int]:
    """Sessions that have marks but no signed sheet behind them (`scans`: the session ids
    with a signed scan): the audit asks for the scan."""
    marked = {session_id for session_id, _enrollment_id in grid.marks}
    return marked - set(scans)
