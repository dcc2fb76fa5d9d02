"""Attendance rules: default hours, the grid of marks, completion and certificates."""
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cached_property

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from trainhub.attendance.models import (
    ATTENDED_STATUSES,
    AttendanceMark,
    Certificate,
    MarkSource,
    MarkStatus,
    SignInSheet,
)
from trainhub.audit.services import record
from trainhub.core.errors import Problems
from trainhub.core.identifiers import InvalidIdentifier, normalise_cnp
from trainhub.core.models import utcnow
from trainhub.courses.models import Cohort, Enrollment, EnrollmentStatus, TrainingSession
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
from trainhub.programme.models import Project


def default_hours(status: str, session: TrainingSession) -> Decimal:
    """DESIGN §7: the session's hours when present or late, else 0."""
    return session.hours if status in ATTENDED_STATUSES else Decimal(0)


def is_expected(session: TrainingSession, enrollment: Enrollment) -> bool:
    """Sessions before a person enrolled are 'not expected', never absences."""
    return session.date >= enrollment.enrolled_on


@dataclass
class Grid:
    """A cohort's sessions × enrollments with the existing marks, loaded in fixed queries.

    `marks` holds AttendanceMark objects, or rows with the same `status` and `hours` when
    loaded read-only.
    """

    cohort: Cohort
    sessions: list[TrainingSession]
    enrollments: list[Enrollment]
    marks: dict[tuple[int, int], AttendanceMark] = field(default_factory=dict)

    @cached_property
    def expected(self) -> dict[int, set[int]]:
        """Per enrollment id, the ids of the sessions it is expected at (see is_expected)."""
        return {e.id: {s.id for s in self.sessions if is_expected(s, e)} for e in self.enrollments}

    def totals(self, today: date) -> dict[int, tuple[Decimal, float | None]]:
        """(attended hours, attendance rate) per enrollment id, in one pass over the marks.

        The rate is attended hours ÷ hours of the sessions held by `today` since enrollment
        (None before any).
        """
        attended = dict.fromkeys((e.id for e in self.enrollments), Decimal(0))
        for (_session_id, enrollment_id), mark in self.marks.items():
            if mark.status in ATTENDED_STATUSES and enrollment_id in attended:
                attended[enrollment_id] += mark.hours
        result = {}
        for enrollment in self.enrollments:
            expected = self.expected[enrollment.id]
            held = sum((s.hours for s in self.sessions if s.date <= today and s.id in expected),
                       Decimal(0))
            hours = attended[enrollment.id]
            result[enrollment.id] = (hours, float(hours / held) if held else None)
        return result


def load_grid(db_session: Session, cohort: Cohort, enrollment_filter=None, *,
              read_only: bool = False) -> Grid:
    """The grid of `cohort`; `enrollment_filter` (a WHERE condition) narrows the rows.

    `read_only` (pages that only show the grid) loads the marks as (status, hours) rows,
    several times cheaper than ORM objects; save_grid needs the objects.
    """
    sessions = list(db_session.scalars(
        select(TrainingSession).where(TrainingSession.cohort_id == cohort.id)
        .order_by(TrainingSession.date, TrainingSession.start_time)))
    stmt = (select(Enrollment)
            .options(joinedload(Enrollment.membership).load_only(Membership.participant_id)
                     .joinedload(Membership.participant)
                     .load_only(Participant.last_name, Participant.first_name, Participant.cnp))
            .where(Enrollment.cohort_id == cohort.id,
                   Enrollment.status != EnrollmentStatus.WAITING))
    if enrollment_filter is not None:
        stmt = stmt.where(enrollment_filter)
    enrollments = sorted(db_session.scalars(stmt).unique(),
                         key=lambda e: e.membership.participant.full_name)
    return Grid(cohort, sessions, enrollments, _marks_of(db_session, enrollments, read_only))


def _marks_of(db_session: Session, enrollments,
              read_only: bool = False) -> dict[tuple[int, int], AttendanceMark]:
    ids = [e.id for e in enrollments]
    if read_only:
        return {(row[0], row[1]): row for row in db_session.execute(
            select(AttendanceMark.session_id, AttendanceMark.enrollment_id, AttendanceMark.status,
                   AttendanceMark.hours).where(AttendanceMark.enrollment_id.in_(ids)))}
    return {(m.session_id, m.enrollment_id): m for m in db_session.scalars(
        select(AttendanceMark).where(AttendanceMark.enrollment_id.in_(ids)))}


class MarkRefused(ValueError):
    """One mark breaks a rule; `reason` says which (a lazy, translatable string)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def resolve_mark(session: TrainingSession, enrollment: Enrollment, status: str,
                 hours_text: object) -> Decimal:
    """The hours of a mark after the DESIGN §7 rules, or MarkRefused with the reason."""
    if status not in {choice.value for choice in MarkStatus}:
        raise MarkRefused(_l("unknown status %(status)s.", status=status))
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


def save_grid(db_session: Session, grid: Grid, entries: dict[tuple[int, int], tuple[str, str]],
              user_id: int | None, source: str = MarkSource.MANUAL) -> int:
    """Save (status, hours text) per (session id, enrollment id); all or nothing.

    An empty status removes nothing and adds nothing; an empty hours text takes the default.
    Returns how many marks were created or changed.
    """
    sessions = {s.id: s for s in grid.sessions}
    enrollments = {e.id: e for e in grid.enrollments}
    problems, changes = [], []
    for (session_id, enrollment_id), (status, hours_text) in sorted(entries.items()):
        if not status:
            continue
        session, enrollment = sessions.get(session_id), enrollments.get(enrollment_id)
        if session is None or enrollment is None:
            problems.append(_l("A mark names a session or person that is not in this cohort."))
            continue
        try:
            hours = resolve_mark(session, enrollment, status, hours_text)
        except MarkRefused as refused:
            who = f"{enrollment.membership.participant.full_name}, {session.date.isoformat()}"
            problems.append(_l("%(who)s: %(problem)s", who=who, problem=refused.reason))
            continue
        changes.append((session, enrollment, status, hours))
    if problems:
        raise AttendanceError(problems)
    for attempt in (1, 2):
        outcomes = [store_mark(db_session, grid.marks, session, enrollment, status, hours,
                               user_id, source) for session, enrollment, status, hours in changes]
        try:
            db_session.commit()
            return sum(outcome != "unchanged" for outcome in outcomes)
        except IntegrityError:
            # Another request created one of these marks meanwhile: build on it, once.
            db_session.rollback()
            if attempt == 2:
                raise
            grid.marks = _marks_of(db_session, grid.enrollments)
    raise AssertionError("unreachable")


def store_mark(db_session: Session, marks: dict[tuple[int, int], AttendanceMark],
               session: TrainingSession, enrollment: Enrollment, status: str, hours: Decimal,
               user_id: int | None, source: str) -> str:
    """Create or update the one mark of (session, enrollment): 'created', 'updated', 'unchanged'."""
    mark = marks.get((session.id, enrollment.id))
    if mark is not None and (mark.status, mark.hours) == (status, hours):
        return "unchanged"
    outcome = "updated"
    if mark is None:
        mark = AttendanceMark(session_id=session.id, enrollment_id=enrollment.id)
        db_session.add(mark)
        marks[(session.id, enrollment.id)] = mark
        outcome = "created"
    mark.status, mark.hours, mark.source = status, hours, source
    mark.marked_by_id, mark.marked_at = user_id, utcnow()
    return outcome


def mark_all_present(db_session: Session, grid: Grid, session_id: int, user_id: int | None) -> int:
    """Mark every expected, not yet marked person present at one session of the grid."""
    entries = {
        (session_id, enrollment.id): (MarkStatus.PRESENT.value, "")
        for enrollment in grid.enrollments
        if (session_id, enrollment.id) not in grid.marks
        and any(s.id == session_id and is_expected(s, enrollment) for s in grid.sessions)
    }
    return save_grid(db_session, grid, entries, user_id)


def attended_hours_by_enrollment(db_session: Session, cohort: Cohort) -> dict[int, Decimal]:
    """Σ hours of present/late marks per enrollment of the cohort, in one query."""
    rows = db_session.execute(
        select(AttendanceMark.enrollment_id, func.sum(AttendanceMark.hours))
        .join(Enrollment)
        .where(Enrollment.cohort_id == cohort.id, AttendanceMark.status.in_(ATTENDED_STATUSES))
        .group_by(AttendanceMark.enrollment_id)
    )
    return {enrollment_id: Decimal(total) for enrollment_id, total in rows}


def close_cohort(db_session: Session, cohort: Cohort) -> dict[str, int]:
    """Decide completion of every enrolled person (DESIGN §7) and close the cohort.

    Completed when attended hours ≥ the project's threshold × the course's planned hours.
    """
    if cohort.closed_at is not None:
        raise AttendanceError([_l("The cohort is already closed.")])
    needed = Decimal(cohort.project.completion_threshold) * cohort.course.planned_hours
    lock_enrollments(db_session, db_session.scalars(select(Enrollment.id).where(
        Enrollment.cohort_id == cohort.id, Enrollment.status == EnrollmentStatus.ENROLLED)))
    attended = attended_hours_by_enrollment(db_session, cohort)
    outcome = {EnrollmentStatus.COMPLETED.value: 0, EnrollmentStatus.NOT_COMPLETED.value: 0}
    for enrollment in cohort.enrollments:
        if enrollment.status != EnrollmentStatus.ENROLLED:
            continue
        done = attended.get(enrollment.id, Decimal(0)) >= needed
        enrollment.status = (EnrollmentStatus.COMPLETED if done else EnrollmentStatus.NOT_COMPLETED).value
        outcome[enrollment.status] += 1
    cohort.closed_at = utcnow()
    record(db_session, "cohort.close", cohort, {"needed_hours": str(needed), **outcome})
    db_session.commit()
    return outcome


def issue_certificates(db_session: Session, cohort: Cohort, today: date) -> list[Certificate]:
    """A certificate for every completed enrollment of the cohort that has none yet."""
    issued = []
    for enrollment in cohort.enrollments:
        if enrollment.status == EnrollmentStatus.COMPLETED and enrollment.certificate is None:
            certificate = Certificate(enrollment=enrollment, issued_on=today,
                                      serial=f"TH-{today.year}-{enrollment.id:06d}",
                                      token=secrets.token_urlsafe(24))
            db_session.add(certificate)
            issued.append(certificate)
    db_session.commit()
    return issued


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
    if not hmac.compare_digest(code, check_in_code(secret_key, session)):
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
                  user_id=None, source=MarkSource.QR)
    return enrollment.membership.participant.first_name


ATTENDANCE_COLUMNS = ["cohort_code", "date", "cnp", "status", "hours"]
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
                      commit: bool = True) -> ImportReport:
    """Marks from a `cohort_code, date, cnp, status, hours` table (DESIGN §9), all or nothing."""
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
            error("cohort_code", f"no cohort {text(row.get('cohort_code'))!r} in project {project.code}")
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
            error("date", f"cohort {cohort.code} has {len(day_sessions)} sessions on {day.isoformat()}"
                  if day_sessions else f"cohort {cohort.code} has no session on {day.isoformat()}")
            continue
        if enrollment is None:
            error("cnp", f"not enrolled in cohort {cohort.code}")
            continue
        key = (day_sessions[0].id, enrollment.id)
        if key in seen:
            error("cnp", f"same person and date as row {seen[key]}")
            continue
        seen[key] = number
        try:
            hours = resolve_mark(day_sessions[0], enrollment, status, row.get("hours"))
        except MarkRefused as refused:
            error("hours" if "hours" in str(refused.reason) else "status", refused.reason)
            continue
        changes.append((day_sessions[0], enrollment, status, hours))
    if (report.errors and not partial) or dry_run:
        for session, enrollment, status, hours in changes:
            mark = marks.get((session.id, enrollment.id))
            if mark is None:
                report.created += 1
            elif (mark.status, mark.hours) == (status, hours):
                report.unchanged += 1
            else:
                report.updated += 1
        return report
    for session, enrollment, status, hours in changes:
        outcome = store_mark(db_session, marks, session, enrollment, status, hours, user_id,
                             MarkSource.CSV)
        setattr(report, outcome, getattr(report, outcome) + 1)
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


def unbacked_sessions(grid: Grid, scans: dict[int, SignInSheet]) -> set[int]:
    """Sessions that have marks but no signed sheet behind them: the audit asks for the scan."""
    marked = {session_id for session_id, _enrollment_id in grid.marks}
    return marked - set(scans)
