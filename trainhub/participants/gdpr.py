"""Data-protection rules for a person: consent, retention hold, data-subject export, erasure."""
import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from trainhub.attendance.models import AttendanceMark, SignInSheet
from trainhub.audit.models import AuditEvent
from trainhub.audit.services import record
from trainhub.core.errors import Problems
from trainhub.core.models import utcnow
from trainhub.courses.models import Cohort, Enrollment, TrainingSession
from trainhub.documents import storage
from trainhub.documents.models import Document, DocumentStatus
from trainhub.participants.models import Eligibility, Membership, Participant
from trainhub.participants.services import subject_view
from trainhub.programme.models import Project

log = logging.getLogger(__name__)

#: what replaces the names of an erased person
PSEUDONYM_NAME = "Pseudonymised"
#: personal fields blanked on erasure; their values are also scrubbed from old audit entries
#: and evidence snapshots
IDENTIFYING_FIELDS = ("cnp", "last_name", "first_name", "email", "phone", "job_title")
#: note left on a document row whose file was deleted on erasure
FILE_DELETED_NOTE = "File deleted on erasure request"


class ConsentRefused(Problems):
    """The consent could not be recorded; each reason says why."""


class ErasureRefused(Problems):
    """The erasure was refused; the reason names the legal ground (retention) or the state."""


# --- consent -------------------------------------------------------------------------------

def record_consent(db_session: Session, membership: Membership, *, given_at: datetime,
                   text_version: str, method: str, document_id: int | None,
                   user_id: int | None, now: datetime | None = None) -> Membership:
    """Store when, on which consent text and how a person consented for one project."""
    now = now or utcnow()
    problems = []
    text_version, method = (text_version or "").strip(), (method or "").strip()
    if given_at is None:
        problems.append(_l("Say when the consent was given."))
    elif given_at > now:
        problems.append(_l("The consent date cannot be in the future."))
    if not text_version:
        problems.append(_l("Say which version of the consent text was accepted."))
    if not method:
        problems.append(_l("Say how the consent was obtained."))
    if len(text_version) > 40 or len(method) > 200:
        problems.append(_l("The consent version or method is too long."))
    if document_id:
        document = db_session.get(Document, document_id)
        if document is None or document.participant_id != membership.participant_id:
            problems.append(_l("The consent document must be one of this person's documents."))
        elif document.status != DocumentStatus.ACCEPTED:
            problems.append(_l("The consent document must be accepted first."))
    if problems:
        raise ConsentRefused(problems)
    membership.consent_given_at = given_at
    membership.consent_text_version = text_version
    membership.consent_method = method
    membership.consent_document_id = document_id or None
    record(db_session, "consent.record", membership,
           {"text_version": text_version, "method": method, "document_id": document_id or None},
           user_id=user_id)
    return membership


def consent_documents(db_session: Session, participant: Participant) -> list[Document]:
    """The person's accepted documents, any of which may carry the signed consent."""
    return list(db_session.scalars(
        select(Document).options(joinedload(Document.requirement))
        .where(Document.participant_id == participant.id,
               Document.status == DocumentStatus.ACCEPTED).order_by(Document.id)))


# --- retention -----------------------------------------------------------------------------

def add_years(day: date, years: int) -> date:
    """The same day `years` later (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def retention_years_of(project: Project, years: int) -> int:
    """How many years after its end a project's records are kept: its own figure, else the
    instance's `years` (RETENTION_YEARS)."""
    return project.retention_years or years


def retention_date(project: Project, years: int) -> date:
    """Until when a project's records must be kept: its end date plus its retention years
    (`years`, the instance's default, when the project names none)."""
    return add_years(project.end_date, retention_years_of(project, years))


@dataclass(frozen=True)
class Hold:
    """One project whose records of the person must still be kept."""

    project: Project
    until: date


def retention_holds(db_session: Session, participant: Participant, years: int,
                    today: date) -> list[Hold]:
    """The projects keeping the person under retention hold (retention date in the future)."""
    projects = db_session.scalars(
        select(Project).join(Membership, Membership.project_id == Project.id)
        .where(Membership.participant_id == participant.id).order_by(Project.end_date.desc()))
    return [Hold(project, retention_date(project, years)) for project in projects
            if retention_date(project, years) > today]


def past_retention(db_session: Session, years: int, today: date) -> list[tuple[Participant, date]]:
    """People not yet pseudonymised whose every project is past its retention date, with the
    latest retention date, oldest first."""
    # one row per (person, end date, retention years): a handful per person
    rows = db_session.execute(
        select(Participant, Project.end_date, Project.retention_years)
        .join(Membership, Membership.participant_id == Participant.id)
        .join(Project, Project.id == Membership.project_id)
        .where(Participant.pseudonymised_at.is_(None))
        .group_by(Participant.id, Project.end_date, Project.retention_years)).all()
    latest: dict[Participant, date] = {}
    for participant, end, own_years in rows:
        until = add_years(end, own_years or years)
        latest[participant] = max(until, latest.get(participant, until))
    return sorted(((participant, until) for participant, until in latest.items()
                   if until <= today), key=lambda pair: (pair[1], pair[0].id))


def retention_check(db_session: Session, years: int, today: date) -> list[int]:
    """The daily job: record which people are past retention (ids only) for an admin to
    confirm on the retention page; nothing is deleted without that confirmation."""
    due = [participant.id for participant, _until in past_retention(db_session, years, today)]
    if due:
        log.info("%d participants past retention await an admin's confirmation", len(due))
        record(db_session, "retention.due", None, {"participants": due, "on": today.isoformat()})
    return due


# --- data-subject export -------------------------------------------------------------------

def _plain(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def subject_data(db_session: Session, participant: Participant, *, years: int,
                 today: date) -> dict:
    """Everything kept about the person (GDPR art. 15), as plain JSON-ready data.

    Nobody else's data: another person's CNP in a note or reason is hidden, and a possible
    duplicate warning (which would name someone else) is left out.
    """
    view = subject_view(participant)
    employer = participant.enterprise
    memberships = list(db_session.scalars(
        select(Membership).options(joinedload(Membership.project))
        .where(Membership.participant_id == participant.id).order_by(Membership.id)))
    enrollments = list(db_session.scalars(
        select(Enrollment).options(joinedload(Enrollment.cohort).joinedload(Cohort.course),
                                   joinedload(Enrollment.certificate))
        .where(Enrollment.membership_id.in_([m.id for m in memberships]))
        .order_by(Enrollment.enrolled_on, Enrollment.id)))
    marks: dict[int, list] = {e.id: [] for e in enrollments}
    for mark, session in db_session.execute(
            select(AttendanceMark, TrainingSession)
            .join(TrainingSession, TrainingSession.id == AttendanceMark.session_id)
            .where(AttendanceMark.enrollment_id.in_(list(marks)))
            .order_by(TrainingSession.date, TrainingSession.start_time)):
        marks[mark.enrollment_id].append({
            "date": session.date, "start": session.start_time.strftime("%H:%M"),
            "end": session.end_time.strftime("%H:%M"), "status": mark.status,
            "hours": mark.hours, "source": mark.source})
    documents = db_session.scalars(
        select(Document).options(joinedload(Document.requirement))
        .where(Document.participant_id == participant.id)
        .order_by(Document.requirement_id, Document.version))
    project_of = {m.id: m.project.code for m in memberships}
    return view.text(_plain({
        "generated_on": today,
        "participant": {
            **{name: getattr(participant, name) for name in (
                "cnp", "last_name", "first_name", "sex", "birth_date", "email", "phone",
                "county", "environment", "isced", "employment_status", "disability",
                "minority_or_migrant", "job_title", "pseudonymised_at")},
            "employer": None if employer is None else {"cui": employer.cui, "name": employer.name},
        },
        "memberships": [{
            "project": m.project.code, "project_title": m.project.title,
            "eligibility": m.eligibility_status, "decided_at": m.decided_at,
            "decision_stale": m.decision_stale, "reasons": view.reasons(m.reasons),
            "evidence": view.evidence(m.evidence),
            "entry_date": m.entry_date, "exit_date": m.exit_date, "exit_reason": m.exit_reason,
            "consent": {"given_at": m.consent_given_at, "text_version": m.consent_text_version,
                        "method": m.consent_method, "document_id": m.consent_document_id},
            "retained_until": retention_date(m.project, years),
        } for m in memberships],
        "enrollments": [{
            "project": project_of[e.membership_id], "cohort": e.cohort.code,
            "course": e.cohort.course.title, "status": e.status, "enrolled_on": e.enrolled_on,
            "withdrawn_on": e.withdrawn_on, "attendance": marks[e.id],
        } for e in enrollments],
        "documents": [{
            "id": d.id, "requirement": d.requirement.code, "title": d.requirement.title_en,
            "version": d.version, "status": d.status, "review_reason": d.review_reason,
            "original_name": d.original_name, "content_type": d.content_type, "size": d.size,
            "sha256": d.sha256, "uploaded_at": d.uploaded_at, "valid_until": d.valid_until,
        } for d in documents],
        "certificates": [{
            "serial": e.certificate.serial, "course": e.cohort.course.title,
            "issued_on": e.certificate.issued_on, "revoked_at": e.certificate.revoked_at,
        } for e in enrollments if e.certificate is not None],
    }))


# --- erasure -------------------------------------------------------------------------------

def pseudonym_token(participant_id: int) -> str:
    """A stable, non-identifying 13-character stand-in for the CNP (`P` + the internal id)."""
    return f"P{participant_id:012d}"


def is_pseudonymised(participant: Participant) -> bool:
    return participant.pseudonymised_at is not None


ERASED = "[erased]"


def _scrub(value: object, secrets: set[str]) -> object:
    """`value` (plain JSON) with every string equal to one of `secrets` replaced by ERASED."""
    if isinstance(value, str):
        return ERASED if value in secrets else value
    if isinstance(value, dict):
        return {key: _scrub(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, secrets) for item in value]
    return value


def _shared_keys(db_session: Session, keys: set[str], document_ids: list[int]) -> set[str]:
    """Storage keys still used by documents of others or by sign-in sheet scans."""
    if not keys:
        return set()
    shared = set(db_session.scalars(select(Document.storage_key).where(
        Document.storage_key.in_(keys), Document.id.not_in(document_ids))))
    shared |= set(db_session.scalars(select(SignInSheet.scan_key).where(
        SignInSheet.scan_key.in_(keys))))
    return shared


def erase(db_session: Session, participant: Participant, *, years: int, today: date,
          upload_dir: str | Path, user_id: int | None, reason: str = "request") -> dict:
    """Pseudonymise a person (GDPR art. 17) unless a project still holds their records.

    The CNP becomes a token, names "Pseudonymised", contacts blank; sex, birth date, county,
    environment, ISCED and employment status stay so the indicators do not change;
    disability and minority status stay only while the person is counted somewhere.
    Uploaded files are deleted, their rows kept with a note. The audit entry names no value.
    """
    if is_pseudonymised(participant):
        raise ErasureRefused([_l("This person's data was already erased.")])
    holds = retention_holds(db_session, participant, years, today)
    if holds:
        raise ErasureRefused([_l(
            "Refused: the records must be kept until %(day)s for project %(project)s "
            "(retention of %(years)s years after the project ends, funding rules of the "
            "managing authority).", day=hold.until.isoformat(), project=hold.project.code,
            years=retention_years_of(hold.project, years)) for hold in holds])
    db_session.flush()
    counted = db_session.scalar(select(func.count()).select_from(Membership).where(
        Membership.participant_id == participant.id,
        Membership.eligibility_status == Eligibility.ELIGIBLE,
        Membership.entry_date.is_not(None))) > 0
    now = utcnow()
    secrets = {value for value in (getattr(participant, name) for name in IDENTIFYING_FIELDS)
               if isinstance(value, str) and value.strip()}
    secrets |= {participant.full_name, f"{participant.first_name} {participant.last_name}"}
    values = {"cnp": pseudonym_token(participant.id), "last_name": PSEUDONYM_NAME,
              "first_name": "", "email": "", "phone": "", "job_title": "",
              "pseudonymised_at": now}
    if not counted:
        values |= {"disability": None, "minority_or_migrant": None}
    # Core-level updates: the CNP mapper event and the row-change audit (which would copy
    # the erased values into the trail) are bypassed on purpose.
    db_session.execute(update(Participant).where(Participant.id == participant.id)
                       .values(**values).execution_options(synchronize_session=False))
    membership_ids = []
    for membership_id, evidence in db_session.execute(
            select(Membership.id, Membership.evidence)
            .where(Membership.participant_id == participant.id)).all():
        membership_ids.append(membership_id)
        scrubbed = _scrub(evidence or {}, secrets)
        if scrubbed != (evidence or {}):
            db_session.execute(update(Membership).where(Membership.id == membership_id)
                               .values(evidence=scrubbed)
                               .execution_options(synchronize_session=False))
    documents = db_session.execute(select(Document.id, Document.storage_key).where(
        Document.participant_id == participant.id)).all()
    document_ids = [doc_id for doc_id, _key in documents]
    # earlier audit entries of the person, their memberships and documents keep the actions
    # but lose the erased values
    for event_id, changes in db_session.execute(
            select(AuditEvent.id, AuditEvent.changes).where(or_(
                and_(AuditEvent.entity_type == Participant.__tablename__,
                     AuditEvent.entity_id == participant.id),
                and_(AuditEvent.entity_type == Membership.__tablename__,
                     AuditEvent.entity_id.in_(membership_ids)),
                and_(AuditEvent.entity_type == Document.__tablename__,
                     AuditEvent.entity_id.in_(document_ids))))).all():
        scrubbed = _scrub(changes or {}, secrets)
        if scrubbed != (changes or {}):
            db_session.execute(update(AuditEvent).where(AuditEvent.id == event_id)
                               .values(changes=scrubbed)
                               .execution_options(synchronize_session=False))
    keys = {key for _doc_id, key in documents}
    deleted = 0
    for key in keys - _shared_keys(db_session, keys, document_ids):
        try:
            path = storage.stored_path(upload_dir, key)
        except ValueError:
            continue
        if path.is_file():
            path.unlink()
            deleted += 1
    if document_ids:
        note = f"{FILE_DELETED_NOTE} ({today.isoformat()})"
        db_session.execute(update(Document).where(Document.id.in_(document_ids))
                           .values(review_reason=note, original_name="erased")
                           .execution_options(synchronize_session=False))
    summary = {"reason": reason, "token": values["cnp"], "documents": len(document_ids),
               "files_deleted": deleted, "special_categories_kept": counted}
    record(db_session, "participant.erase", participant, summary, user_id=user_id)
    db_session.flush()
    db_session.expire_all()
    return summary

