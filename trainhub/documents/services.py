"""Document rules: uploads and versions, review decisions, checklists and completeness."""
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cached_property, lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import NamedTuple

from flask import current_app
from flask_babel import get_locale, ngettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from markupsafe import escape
from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from trainhub.audit.services import record
from trainhub.auth.scoping import scoped
from trainhub.core.counts import kept_value
from trainhub.core.errors import Problems
from trainhub.core.formats import number
from trainhub.core.identifiers import age_on
from trainhub.core.labels import DOCUMENT_STATUS_LABELS
from trainhub.core.models import utcnow
from trainhub.core.spreadsheets import csv_text, xlsx_bytes
from trainhub.documents import storage
from trainhub.documents.models import (
    Document,
    DocumentRequirement,
    DocumentStatus,
    RequirementLevel,
)
from trainhub.enterprises.models import Enterprise
from trainhub.participants.models import Membership, Participant, target_group_flags
from trainhub.programme.models import Call, Project

#: an accepted document whose validity ends within this many days is "expiring soon"
EXPIRING_WITHIN_DAYS = 14

#: ready-made rejection reasons the reviewer may pick (and edit)
REJECTION_TEMPLATES = [
    _l("The document is illegible; please upload a clearer scan."),
    _l("The document is incomplete: pages are missing."),
    _l("The document is not signed."),
    _l("The document has expired; please upload a recent one."),
    _l("This is not the requested document."),
    _l("The name on the document does not match the person."),
]

Owner = Enterprise | Participant


class UploadRefused(Problems):
    """The file was not stored; `problems` says why (type, size, emptiness, wrong line)."""


class ReviewRefused(Problems):
    """A review decision could not be taken; `problems` says why."""


class LineStatus(StrEnum):
    MISSING = "missing"
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRING = "expiring"
    EXPIRED = "expired"


#: statuses that count as done for completeness (expiring is still valid today)
DONE_STATUSES = {LineStatus.ACCEPTED, LineStatus.EXPIRING}
#: statuses the SME has to act upon
ACTION_STATUSES = {LineStatus.MISSING, LineStatus.REJECTED, LineStatus.EXPIRED}

STATUS_LABELS = DOCUMENT_STATUS_LABELS


def _current_locale() -> str:
    try:
        return str(get_locale() or "ro")
    except RuntimeError:  # outside an app context
        return "ro"


class _TitleText(LazyString):
    """A lazy title typed in by a user: Flask-Babel's LazyString tells Jinja it is safe HTML
    (its `__html__` is the text as it is), which holds for a translator's string, not for this."""

    def __html__(self) -> str:
        return str(escape(str(self)))


def requirement_title(requirement: DocumentRequirement) -> LazyString:
    """The line's title in the language of whoever reads it (escaped wherever HTML shows it)."""
    return _TitleText(lambda: requirement.title(_current_locale()))


def owner_key(owner: Owner) -> tuple[str, int]:
    """("enterprise", id) or ("participant", id): how checklists are keyed."""
    if isinstance(owner, Enterprise):
        return RequirementLevel.ENTERPRISE.value, owner.id
    return RequirementLevel.PARTICIPANT.value, owner.id


def _owner_filter(owner: Owner):
    kind, owner_id = owner_key(owner)
    column = Document.enterprise_id if kind == RequirementLevel.ENTERPRISE else Document.participant_id
    return column == owner_id


# --- checklists and completeness -------------------------------------------------------------

@dataclass
class ChecklistLine:
    """One requirement for one owner: its status and the latest version handed in."""

    requirement: DocumentRequirement
    status: LineStatus
    document: Document | None = None

    @property
    def required(self) -> bool:
        return self.requirement.required

    @property
    def done(self) -> bool:
        return self.status in DONE_STATUSES

    @property
    def reason(self) -> str:
        """Why the latest version was rejected ('' otherwise)."""
        return self.document.review_reason if self.status == LineStatus.REJECTED else ""


@dataclass
class Checklist:
    """The lines that apply to one enterprise or participant (conditions applied).

    Its lines are complete when `checklists_for` returns it; the counts are then worked out
    once (the board sorts and sums a thousand checklists several times per page).
    """

    kind: str
    owner_id: int
    lines: list[ChecklistLine] = field(default_factory=list)

    @cached_property
    def required_count(self) -> int:
        return sum(1 for line in self.lines if line.required)

    @cached_property
    def done_count(self) -> int:
        return sum(1 for line in self.lines if line.required and line.done)

    @property
    def missing_count(self) -> int:
        return self.required_count - self.done_count

    @property
    def completeness(self) -> float:
        """Accepted required lines ÷ required lines (1.0 when nothing is required)."""
        return self.done_count / self.required_count if self.required_count else 1.0

    @property
    def to_do(self) -> list[ChecklistLine]:
        """Required lines not done: missing, pending, rejected or expired."""
        return [line for line in self.lines if line.required and not line.done]


def line_status(document: Document | None, today: date) -> LineStatus:
    """The status of a line whose latest version is `document` (expired counts as missing)."""
    if document is None:
        return LineStatus.MISSING
    if document.status == DocumentStatus.REJECTED:
        return LineStatus.REJECTED
    if document.status == DocumentStatus.PENDING:
        return LineStatus.PENDING
    if document.valid_until is not None:
        if document.valid_until < today:
            return LineStatus.EXPIRED
        if document.valid_until < today + timedelta(days=EXPIRING_WITHIN_DAYS):
            return LineStatus.EXPIRING
    return LineStatus.ACCEPTED


def requirement_applies(requirement: DocumentRequirement, flags: dict[str, bool] | None) -> bool:
    """A line applies when it has no condition, or the participant flag it names is set."""
    if not requirement.condition:
        return True
    return bool(flags and flags.get(requirement.condition))


#: ids per IN list: one query per this many owners keeps big jobs under driver limits
CHUNK = 1000


#: owner ids: a list, or a SELECT of them (the database then finds them itself)
Ids = list[int] | Select


def _chunks(ids: Ids) -> Iterable[Ids]:
    if isinstance(ids, Select):
        yield ids
        return
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _among(column, ids: Ids):
    """`column IN (ids)` with the ids written into the SQL: one bound parameter per id made the
    driver parse a statement of a thousand placeholders per chunk (psycopg does it in Python);
    a SELECT of ids is used as it stands."""
    if isinstance(ids, Select):
        return column.in_(ids)
    return column.in_(bindparam(None, [int(value) for value in ids], expanding=True,
                                literal_execute=True))


def _calls_of(session: Session, enterprise_ids: Ids,
              participant_ids: Ids) -> dict[tuple[str, int], set[int]]:
    """The calls each owner takes part in, through the projects of its (employees') memberships."""
    calls: dict[tuple[str, int], set[int]] = defaultdict(set)
    for ids in _chunks(participant_ids):
        for participant_id, call_id in session.execute(
                select(Membership.participant_id, Project.call_id).join(Project)
                .where(_among(Membership.participant_id, ids))):
            calls[(RequirementLevel.PARTICIPANT.value, participant_id)].add(call_id)
    for ids in _chunks(enterprise_ids):
        for enterprise_id, call_id in session.execute(
                select(Participant.enterprise_id, Project.call_id).distinct()
                .join(Membership, Membership.participant_id == Participant.id)
                .join(Project, Project.id == Membership.project_id)
                .where(_among(Participant.enterprise_id, ids))):
            calls[(RequirementLevel.ENTERPRISE.value, enterprise_id)].add(call_id)
    return calls


def _listed(ids: Iterable[int] | Select) -> Ids:
    return ids if isinstance(ids, Select) else list(ids)


def _latest_ranked(column, ids: Ids):
    """The ids of the latest version of every line of the owners `ids` in `column`."""
    ranked = (
        select(Document.id, func.row_number().over(
            partition_by=(Document.requirement_id, column),
            order_by=Document.version.desc()).label("rank"))
        .where(_among(column, ids)).subquery()
    )
    return select(ranked.c.id).where(ranked.c.rank == 1)


def latest_documents(session: Session, enterprise_ids: Iterable[int] | Select,
                     participant_ids: Iterable[int] | Select, *, columns: tuple = ()) -> list:
    """The latest version of every line of the given owners (one query per CHUNK owners, or
    per SELECT of ids); with `columns`, rows of those Document columns instead of documents."""
    documents = []
    for column, ids in ((Document.enterprise_id, _listed(enterprise_ids)),
                        (Document.participant_id, _listed(participant_ids))):
        for chunk in _chunks(ids):
            latest = _latest_ranked(column, chunk).subquery()
            stmt = select(*columns) if columns else select(Document)
            documents.extend(session.execute(
                stmt.select_from(Document).join(latest, latest.c.id == Document.id))
                if columns else session.scalars(stmt.join(latest, latest.c.id == Document.id)))
    return documents


def checklists_for(session: Session, enterprises: Iterable[Enterprise] = (),
                   participants: Iterable[Participant] = (), *, today: date | None = None,
                   call_ids: Iterable[int] | None = None) -> dict[tuple[str, int], Checklist]:
    """The checklist of every given enterprise and participant, in a constant number of queries.

    The one place that decides line statuses and completeness: the portal, the participant
    page, the enrollment gate, the board and the reminders all call it. An owner's lines come
    from the calls of its projects (an enterprise: its employees' projects); an owner in no
    project yet gets the lines of every call, so it can start handing documents in. With
    `call_ids`, the lines of those calls are used for every owner. Conditional lines appear
    only for participants whose flag is set; enterprise lines with a condition never apply.
    Keys are `owner_key(owner)`.
    """
    today = today or date.today()
    enterprises, participants = list(enterprises), list(participants)
    if not enterprises and not participants:
        return {}
    applicable = _applicable_lines(session, enterprises, participants, today, call_ids)
    latest = {
        (document.requirement_id,
         RequirementLevel.ENTERPRISE.value if document.enterprise_id else
         RequirementLevel.PARTICIPANT.value,
         document.enterprise_id or document.participant_id): document
        for document in latest_documents(session, [e.id for e in enterprises],
                                         [p.id for p in participants])
    }
    result = {}
    for key, requirements in applicable.items():
        kind, owner_id = key
        checklist = Checklist(kind=kind, owner_id=owner_id)
        for requirement in requirements:
            document = latest.get((requirement.id, kind, owner_id))
            checklist.lines.append(ChecklistLine(requirement, line_status(document, today),
                                                 document))
        result[key] = checklist
    return result


def _applicable_lines(session: Session, enterprises: list, participants: list, today: date,
                      call_ids: Iterable[int] | None = None, *,
                      owner_ids: tuple[Select, Select] | None = None
                      ) -> dict[tuple[str, int], list[DocumentRequirement]]:
    """The lines that apply to each owner, in checklist order, keyed by `owner_key` (see
    checklists_for). Owners with the same calls (and flags) share one list, worked out once.
    `owner_ids`: SELECTs of the enterprises' and participants' ids, to read their calls by."""
    owners = ([((RequirementLevel.ENTERPRISE.value, e.id), e) for e in enterprises]
              + [((RequirementLevel.PARTICIPANT.value, p.id), p) for p in participants])
    if call_ids is not None:
        fixed = set(call_ids)
        calls_of = dict.fromkeys((key for key, _owner in owners), fixed)
        requirement_filter = DocumentRequirement.call_id.in_(fixed)
    else:
        calls_of = _calls_of(session, *(owner_ids or ([e.id for e in enterprises],
                                                      [p.id for p in participants])))
        requirement_filter = None
    stmt = select(DocumentRequirement).order_by(DocumentRequirement.level,
                                                DocumentRequirement.position,
                                                DocumentRequirement.id)
    if requirement_filter is not None:
        stmt = stmt.where(requirement_filter)
    requirements = list(session.scalars(stmt))
    all_calls = frozenset(requirement.call_id for requirement in requirements)
    by_level_call: dict[tuple[str, int], list[DocumentRequirement]] = defaultdict(list)
    for requirement in requirements:
        by_level_call[(requirement.level, requirement.call_id)].append(requirement)
    needs_flags = any(requirement.condition for requirement in requirements)
    shared: dict[tuple, list[DocumentRequirement]] = {}
    result = {}
    for key, owner in owners:
        kind = key[0]
        flags = owner.flags(today) if needs_flags and kind == RequirementLevel.PARTICIPANT \
            else None
        calls = frozenset(calls_of.get(key) or all_calls)
        same = (kind, calls, tuple(sorted(flags.items())) if flags else None)
        if same not in shared:
            shared[same] = [
                requirement for call_id in sorted(calls)
                for requirement in by_level_call.get((kind, call_id), [])
                if not (kind == RequirementLevel.ENTERPRISE and requirement.condition)
                and requirement_applies(requirement, flags)]
        result[key] = shared[same]
    return result


def checklist_for(session: Session, owner: Owner, *, today: date | None = None) -> Checklist:
    """The checklist of one enterprise or participant."""
    enterprises = [owner] if isinstance(owner, Enterprise) else []
    participants = [owner] if isinstance(owner, Participant) else []
    return checklists_for(session, enterprises, participants, today=today)[owner_key(owner)]


def completeness_of(session: Session, owner: Owner, *, today: date | None = None) -> float:
    """Accepted required lines ÷ required lines of one owner, conditions applied."""
    return checklist_for(session, owner, today=today).completeness


def overall_completeness(checklists: Iterable) -> float:
    """Completeness of several checklists (or board rows) taken together (every required line
    weighs the same)."""
    checklists = list(checklists)
    required = sum(checklist.required_count for checklist in checklists)
    done = sum(checklist.done_count for checklist in checklists)
    return done / required if required else 1.0


def enterprise_completeness(session: Session, enterprise: Enterprise,
                            *, today: date | None = None) -> float:
    """Completeness of an enterprise's own lines and its employees' lines taken together."""
    employees = session.scalars(select(Participant).where(
        Participant.enterprise_id == enterprise.id)).all()
    return overall_completeness(checklists_for(session, [enterprise], employees,
                                               today=today).values())


def missing_documents(db_session: Session, membership: Membership) -> list:
    """What keeps the participant's and the employer's checklists from being complete.

    Only the lines of the membership's call count; each problem names the line and its status.
    """
    return missing_documents_for(db_session, [membership])[membership.id]


def missing_documents_for(db_session: Session, memberships: Iterable[Membership]) -> dict[int, list]:
    """`missing_documents` of each membership, by membership id, in a constant number of
    queries per call (a list page of people asks it once)."""
    by_call: dict[int, list[Membership]] = defaultdict(list)
    for membership in memberships:
        by_call[membership.project.call_id].append(membership)
    result: dict[int, list] = {}
    for call_id, group in by_call.items():
        participants = {m.participant.id: m.participant for m in group}
        enterprises = {p.enterprise.id: p.enterprise for p in participants.values() if p.enterprise}
        checklists = checklists_for(db_session, enterprises.values(), participants.values(),
                                    call_ids=[call_id])
        for membership in group:
            participant = membership.participant
            keys = ([owner_key(participant.enterprise)] if participant.enterprise else []) \
                + [owner_key(participant)]
            problems = []
            for key in keys:
                checklist = checklists[key]
                for line in checklist.to_do:
                    title = requirement_title(line.requirement)
                    label = STATUS_LABELS[line.status]
                    if checklist.kind == RequirementLevel.ENTERPRISE:
                        problems.append(_l("Employer document %(title)s: %(status)s.",
                                           title=title, status=label))
                    else:
                        problems.append(_l("Document %(title)s: %(status)s.", title=title,
                                           status=label))
            result[membership.id] = problems
    return result


# --- uploads ---------------------------------------------------------------------------------

def applicable_requirement(session: Session, owner: Owner, requirement_id: int,
                           *, today: date | None = None) -> DocumentRequirement | None:
    """The requirement with that id if it is a line of the owner's checklist, else None."""
    for requirement in checklist_lines(session, owner, today=today):
        if requirement.id == requirement_id:
            return requirement
    return None


def checklist_lines(session: Session, owner: Owner, *, today: date | None = None
                    ) -> list[DocumentRequirement]:
    """The requirements of one owner's checklist (conditions applied), its documents unread."""
    enterprises = [owner] if isinstance(owner, Enterprise) else []
    participants = [owner] if isinstance(owner, Participant) else []
    return _applicable_lines(session, enterprises, participants,
                             today or date.today())[owner_key(owner)]


def check_file(requirement: DocumentRequirement, data: bytes, max_bytes: int | None = None) -> str:
    """The sniffed content type of an acceptable file; UploadRefused listing every reason."""
    limit = min(requirement.max_size, max_bytes) if max_bytes else requirement.max_size
    if not data:
        raise UploadRefused([_l("The file is empty.")])
    problems = []
    content_type = storage.sniff_type(data)
    if content_type is None:
        problems.append(_l("The file is not a PDF, JPEG or PNG (its content was checked, not "
                           "its name)."))
    elif content_type not in (requirement.accepted_types or []):
        problems.append(_l("This line does not accept %(type)s files.",
                           type=storage.EXTENSIONS[content_type].lstrip(".").upper()))
    if len(data) > limit:
        problems.append(_l("The file is %(size)s; at most %(limit)s are allowed.",
                           size=human_size(len(data)), limit=human_size(limit)))
    if problems:
        raise UploadRefused(problems)
    return content_type


def human_size(size: int) -> str:
    """1.5 MB, 320 KB, 12 bytes, in the reader's number format and words (1,5 MB in Romanian)."""
    if size >= 1024 * 1024:
        return f"{number(Decimal(size) / (1024 * 1024), 1)} MB"
    if size >= 1024:
        return f"{number(round(size / 1024), 0)} KB"
    return ngettext("%(num)s byte", "%(num)s bytes", size)


def upload_document(session: Session, requirement: DocumentRequirement, owner: Owner,
                    data: bytes, filename: str | None, user_id: int | None, *,
                    upload_dir: str | Path | None = None, max_bytes: int | None = None,
                    today: date | None = None) -> Document:
    """Store a file as the next version of the owner's line (pending review) and audit it.

    The caller has checked the owner is visible to the user; this checks the line belongs to
    the owner's checklist and the file itself. Nothing is stored when refused.
    """
    today = today or date.today()
    expected_level = owner_key(owner)[0]
    if requirement.level != expected_level or applicable_requirement(
            session, owner, requirement.id, today=today) is None:
        raise UploadRefused([_l("This document is not on the checklist of %(owner)s.",
                                owner=_owner_name(owner))])
    upload_dir = upload_dir or current_app.config["UPLOAD_DIR"]
    max_bytes = max_bytes or current_app.config["UPLOAD_MAX_BYTES"]
    content_type = check_file(requirement, data, max_bytes)
    key, digest = storage.store(upload_dir, data)
    version = (session.scalar(select(func.max(Document.version)).where(
        Document.requirement_id == requirement.id, _owner_filter(owner))) or 0) + 1
    document = Document(
        requirement=requirement, version=version, storage_key=key, sha256=digest,
        size=len(data), content_type=content_type,
        original_name=storage.safe_filename(filename, content_type),
        status=DocumentStatus.PENDING.value, uploaded_by_id=user_id, uploaded_at=utcnow(),
        valid_until=(today + timedelta(days=requirement.validity_days)
                     if requirement.validity_days else None),
    )
    if isinstance(owner, Enterprise):
        document.enterprise = owner
    else:
        document.participant = owner
    session.add(document)
    try:
        session.flush()
    except IntegrityError:  # another upload of the same line took this version number
        session.rollback()
        raise UploadRefused([_l("Another upload of this document arrived at the same moment; "
                                "please try again.")]) from None
    record(session, "document.upload", document,
           {"requirement": requirement.code, "version": version, "sha256": digest},
           user_id=user_id)
    session.commit()
    return document


def _owner_name(owner: Owner) -> str:
    return owner.name if isinstance(owner, Enterprise) else owner.full_name


def document_path(document: Document, upload_dir: str | Path | None = None) -> Path:
    """Where the document's bytes are kept."""
    return storage.stored_path(upload_dir or current_app.config["UPLOAD_DIR"],
                               document.storage_key)


def stored_file(document: Document, upload_dir: str | Path | None = None) -> Path | None:
    """The document's file to hand out, None when it is not there (a bad key, a file gone)."""
    try:
        path = document_path(document, upload_dir)
    except ValueError:
        return None
    return path if path.is_file() else None


def versions_of(session: Session, document: Document) -> list[Document]:
    """Every version of the same line for the same owner, newest first."""
    owner = document.enterprise if document.enterprise_id else document.participant
    return list(session.scalars(
        select(Document).where(Document.requirement_id == document.requirement_id,
                               _owner_filter(owner))
        .order_by(Document.version.desc())))


# --- review ----------------------------------------------------------------------------------

def _check_decidable(session: Session, document: Document, new_status: DocumentStatus) -> None:
    if document.status == new_status:
        raise ReviewRefused([_l("Version %(v)s is already %(status)s.", v=document.version,
                                status=STATUS_LABELS[LineStatus(new_status.value)])])
    newest = session.scalar(select(func.max(Document.version)).where(
        Document.requirement_id == document.requirement_id,
        Document.enterprise_id == document.enterprise_id if document.enterprise_id
        else Document.participant_id == document.participant_id))
    if newest is not None and newest > document.version:
        raise ReviewRefused([_l("A newer version (%(v)s) has been uploaded; review that one.",
                                v=newest)])


def accept(session: Session, document: Document, user_id: int | None) -> Document:
    """Accept the latest version of a line; audited."""
    _check_decidable(session, document, DocumentStatus.ACCEPTED)
    _decide(session, document, DocumentStatus.ACCEPTED, "", user_id)
    session.commit()
    return document


def reject(session: Session, document: Document, reason: str, user_id: int | None) -> Document:
    """Reject the latest version of a line with the reason the SME will read; audited."""
    reason = (reason or "").strip()
    problems = []
    if not reason:
        problems.append(_l("Give the reason for the rejection; the SME will read it."))
    elif len(reason) > 500:
        problems.append(_l("The reason is too long (at most 500 characters)."))
    if problems:
        raise ReviewRefused(problems)
    _check_decidable(session, document, DocumentStatus.REJECTED)
    _decide(session, document, DocumentStatus.REJECTED, reason, user_id)
    session.commit()
    return document


def _decide(session: Session, document: Document, status: DocumentStatus, reason: str,
            user_id: int | None) -> None:
    before = document.status
    document.status, document.review_reason = status.value, reason
    document.reviewed_by_id, document.reviewed_at = user_id, utcnow()
    record(session, f"document.{'accept' if status == DocumentStatus.ACCEPTED else 'reject'}",
           document, {"status": [before, status.value], "reason": reason}, user_id=user_id)


def bulk_accept(session: Session, documents: Iterable[Document],
                user_id: int | None) -> tuple[int, list]:
    """Accept each pending document that is the latest of its line; (accepted, problems)."""
    accepted, problems = 0, []
    for document in documents:
        try:
            _check_decidable(session, document, DocumentStatus.ACCEPTED)
        except ReviewRefused as refused:
            problems.extend(refused.problems)
            continue
        _decide(session, document, DocumentStatus.ACCEPTED, "", user_id)
        accepted += 1
    session.commit()
    return accepted, problems


def review_queue(enterprise_id: int | None = None, requirement_id: int | None = None):
    """Pending documents, oldest first, optionally of one enterprise (and its employees) or line."""
    stmt = (select(Document).where(Document.status == DocumentStatus.PENDING)
            .order_by(Document.uploaded_at, Document.id))
    if enterprise_id:
        stmt = stmt.where(or_(
            Document.enterprise_id == enterprise_id,
            Document.participant_id.in_(
                select(Participant.id).where(Participant.enterprise_id == enterprise_id))))
    if requirement_id:
        stmt = stmt.where(Document.requirement_id == requirement_id)
    return stmt


#: made once: a new alias per page would make each page's statement new to the statement cache
_REVIEW_OWNER, _REVIEW_PERSON, _REVIEW_EMPLOYER = (aliased(Enterprise), aliased(Participant),
                                                   aliased(Enterprise))


def review_rows(queue):
    """`queue` (review_queue, scoped) read as plain rows of what the review page shows: the
    upload's id, time, line, version and file name, its enterprise's name, or its person's names
    and employer's name. The joins read aliases, so no subquery of the queue's filters or
    scoping correlates with them."""
    owner, person, employer = _REVIEW_OWNER, _REVIEW_PERSON, _REVIEW_EMPLOYER
    return (queue.with_only_columns(
        Document.id, Document.uploaded_at, Document.requirement_id, Document.version,
        Document.original_name, Document.enterprise_id, owner.name.label("enterprise_name"),
        person.last_name, person.first_name, employer.name.label("employer_name"),
        maintain_column_froms=False)
        .select_from(Document)
        .outerjoin(owner, owner.id == Document.enterprise_id)
        .outerjoin(person, person.id == Document.participant_id)
        .outerjoin(employer, employer.id == person.enterprise_id))


class ReviewStatements(NamedTuple):
    """The review queue's statements for one reader and filters."""

    #: the pending uploads, scoped (what the page counts)
    queue: Select
    #: the same as the page's plain rows (review_rows)
    rows: Select
    #: the enterprise filter's options (review_enterprises)
    enterprises: Select


def review_statements(user, enterprise_id: int | None,
                      requirement_id: int | None) -> ReviewStatements:
    """The review queue's statements for `user` and the filters, built once per reader and
    filters and reused: building them and their cache keys costs more than running them. They
    hold only the reader's id, role and enterprise (as scoping's conditions do), no data."""
    return _review_statements(user.role, user.id, user.enterprise_id, enterprise_id,
                              requirement_id)


@lru_cache(maxsize=1024)
def _review_statements(role: str, user_id: int, user_enterprise_id: int | None,
                       enterprise_id: int | None, requirement_id: int | None) -> ReviewStatements:
    user = SimpleNamespace(id=user_id, role=role, enterprise_id=user_enterprise_id)
    queue = scoped(review_queue(enterprise_id, requirement_id), Document, user)
    return ReviewStatements(queue, review_rows(queue), review_enterprises(user))


def review_enterprises(user) -> Select:
    """(id, name) of each enterprise `user` sees that has a pending upload of its own or of an
    employee, by name: the review queue's enterprise filter."""
    pending_owner = (select(func.coalesce(Document.enterprise_id, Participant.enterprise_id))
                     .outerjoin(Participant, Participant.id == Document.participant_id)
                     .where(Document.status == DocumentStatus.PENDING))
    return scoped(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(pending_owner))
                  .order_by(Enterprise.name), Enterprise, user)


def requirement_titles(session: Session) -> list[tuple[int, str, str]]:
    """(id, its call's code, its title in the reader's language) of every checklist line, in
    checklist order (call, level, position): the review queue's line filter and its rows'
    titles. Read as plain rows, and kept while no line or call changes (core/counts.py)."""
    locale = _current_locale()
    # a row has the line's two titles: the model's own rule picks the reader's
    return kept_value(session, _REQUIREMENT_TITLES, lambda: [
        (row.id, row.code, DocumentRequirement.title(row, locale))
        for row in session.execute(_REQUIREMENT_TITLES)], locale)


#: built once, so its cache key is too
_REQUIREMENT_TITLES = (select(DocumentRequirement.id, DocumentRequirement.title_en,
                              DocumentRequirement.title_ro, Call.code)
                       .join(Call, Call.id == DocumentRequirement.call_id)
                       .order_by(DocumentRequirement.call_id, DocumentRequirement.level,
                                 DocumentRequirement.position))


# --- the coordinator board -------------------------------------------------------------------

@dataclass
class BoardRow:
    """An enterprise (its own lines and its employees') or a participant, with what is missing:
    its required and accepted line counts and, once worked out, the required lines not done."""

    owner: Owner
    required: int
    done: int
    to_do: list[ChecklistLine] | None = None

    @property
    def missing(self) -> int:
        return self.required - self.done

    @property
    def completeness(self) -> float:
        return overall_completeness([self])

    @property
    def required_count(self) -> int:  # what overall_completeness sums
        return self.required

    @property
    def done_count(self) -> int:
        return self.done


class BoardEnterprise(NamedTuple):
    """The columns of an enterprise the board shows (a plain row, not an ORM object)."""

    id: int
    name: str
    cui: str


class BoardParticipant(NamedTuple):
    """The columns of a participant the board shows and its checklist's conditions read."""

    id: int
    enterprise_id: int | None
    last_name: str
    first_name: str
    birth_date: date
    sex: str
    environment: str | None
    isced: int | None
    disability: bool | None
    minority_or_migrant: bool | None

    @property
    def full_name(self) -> str:
        return f"{self.last_name} {self.first_name}"

    def flags(self, when: date) -> dict[str, bool]:
        return target_group_flags(age_on(self.birth_date, when), self.sex, self.environment,
                                  self.isced, self.disability, self.minority_or_migrant)


def _sorted_board(enterprise_rows: list[BoardRow], participant_rows: list[BoardRow]
                  ) -> tuple[list[BoardRow], list[BoardRow]]:
    """Most missing documents first, then by name."""
    enterprise_rows.sort(key=lambda row: (-row.missing, row.owner.name.lower()))
    participant_rows.sort(key=lambda row: (-row.missing, row.owner.full_name.lower()))
    return enterprise_rows, participant_rows


def board_rows(session: Session, enterprises: Iterable[Enterprise],
               participants: Iterable[Participant], *, today: date | None = None
               ) -> tuple[list[BoardRow], list[BoardRow]]:
    """Enterprises and participants, most missing documents first (then by name), each with
    the lines it has to do."""
    enterprises, participants = list(enterprises), list(participants)
    checklists = checklists_for(session, enterprises, participants, today=today)
    staff: dict[int, list[Checklist]] = defaultdict(list)
    for participant in participants:
        if participant.enterprise_id is not None:
            staff[participant.enterprise_id].append(checklists[owner_key(participant)])

    def row(owner: Owner, owned: list[Checklist]) -> BoardRow:
        return BoardRow(owner, sum(checklist.required_count for checklist in owned),
                        sum(checklist.done_count for checklist in owned),
                        [line for checklist in owned for line in checklist.to_do])

    return _sorted_board(
        [row(e, [checklists[owner_key(e)], *staff[e.id]]) for e in enterprises],
        [row(p, [checklists[owner_key(p)]]) for p in participants])


def visible_board(session: Session, user) -> tuple[list[BoardRow], list[BoardRow]]:
    """The board of the enterprises and participants `user` may see, each row with its lines."""
    enterprises = session.scalars(scoped(select(Enterprise), Enterprise, user)).all()
    participants = session.scalars(scoped(select(Participant), Participant, user)).all()
    return board_rows(session, enterprises, participants)


def visible_board_counts(session: Session, user, *, today: date | None = None
                         ) -> tuple[list[BoardRow], list[BoardRow]]:
    """`visible_board`'s rows in the same order with their counts only (`to_do` None), read
    from plain rows: the board page works out the lines of the rows it shows
    (`with_to_do`)."""
    today = today or date.today()
    owner_ids = (scoped(select(Enterprise.id), Enterprise, user),
                 scoped(select(Participant.id), Participant, user))
    enterprises = [BoardEnterprise(*row) for row in session.execute(scoped(
        select(Enterprise.id, Enterprise.name, Enterprise.cui), Enterprise, user))]
    participants = [BoardParticipant(*row) for row in session.execute(scoped(
        select(Participant.id, Participant.enterprise_id, Participant.last_name,
               Participant.first_name, Participant.birth_date, Participant.sex,
               Participant.environment, Participant.isced, Participant.disability,
               Participant.minority_or_migrant), Participant, user))]
    if not enterprises and not participants:
        return [], []
    applicable = _applicable_lines(session, enterprises, participants, today,
                                   owner_ids=owner_ids)
    done = {(requirement_id, enterprise_id or participant_id)
            for requirement_id, enterprise_id, participant_id, status, valid_until in
            latest_documents(session, *owner_ids, columns=(Document.requirement_id, Document.enterprise_id,
                                      Document.participant_id, Document.status,
                                      Document.valid_until))
            if _done(status, valid_until, today)}
    required_ids: dict[int, list[int]] = {}  # owners of one shape share their list of lines
    counts = {}
    for key, lines in applicable.items():
        wanted = required_ids.get(id(lines))
        if wanted is None:
            wanted = required_ids[id(lines)] = [line.id for line in lines if line.required]
        owner_id = key[1]
        counts[key] = (len(wanted), sum(1 for requirement_id in wanted
                                        if (requirement_id, owner_id) in done))
    staff: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for participant in participants:
        if participant.enterprise_id is not None:
            staff[participant.enterprise_id].append(
                counts[(RequirementLevel.PARTICIPANT.value, participant.id)])

    def row(owner, owned: list[tuple[int, int]]) -> BoardRow:
        return BoardRow(owner, sum(required for required, _done in owned),
                        sum(done for _required, done in owned))

    return _sorted_board(
        [row(e, [counts[(RequirementLevel.ENTERPRISE.value, e.id)], *staff[e.id]])
         for e in enterprises],
        [row(p, [counts[(RequirementLevel.PARTICIPANT.value, p.id)]]) for p in participants])


def _done(status: str, valid_until: date | None, today: date) -> bool:
    """Whether a latest version with this status and validity counts as done (line_status)."""
    return line_status(_Version(status, valid_until), today) in DONE_STATUSES


class _Version(NamedTuple):
    status: str
    valid_until: date | None


def with_to_do(session: Session, rows: list[BoardRow], *, today: date | None = None) -> None:
    """Fill in the required lines not done of the given participant rows (a page of them)."""
    ids = [row.owner.id for row in rows]
    participants = session.scalars(select(Participant).where(_among(Participant.id, ids))).all() \
        if ids else []
    checklists = checklists_for(session, (), participants, today=today)
    for row in rows:
        row.to_do = checklists[(RequirementLevel.PARTICIPANT.value, row.owner.id)].to_do


def board_size(session: Session, user) -> int:
    """How many rows the board export of `user` has (enterprises + participants seen)."""
    return sum(session.scalar(scoped(select(func.count()).select_from(model), model, user)) or 0
               for model in (Enterprise, Participant))


BOARD_EXPORT_HEADER = ["kind", "enterprise_cui", "enterprise", "participant", "required",
                       "accepted", "missing", "completeness_percent", "to_do"]


def board_export_table(session: Session, user) -> list[list]:
    """The board export of `user` as rows, header first (texts in the current locale)."""
    enterprise_rows, participant_rows = visible_board(session, user)
    cuis = {row.owner.id: (row.owner.cui, row.owner.name) for row in enterprise_rows}
    table = [BOARD_EXPORT_HEADER]
    for kind, rows in (("enterprise", enterprise_rows), ("participant", participant_rows)):
        for row in rows:
            enterprise_id = row.owner.id if kind == "enterprise" else row.owner.enterprise_id
            cui, name = cuis.get(enterprise_id, ("", ""))
            table.append([kind, cui, name, row.owner.full_name if kind == "participant" else "",
                          row.required, row.done, row.missing,
                          round(row.completeness * 100), "; ".join(
                              f"{requirement_title(line.requirement)} "
                              f"({STATUS_LABELS[line.status]})" for line in row.to_do)])
    return table


def board_file(table: list[list], fmt: str) -> tuple[str, str, bytes]:
    """The board export's file: (name, type, bytes)."""
    if fmt == "xlsx":
        return ("documents-board.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                xlsx_bytes("documents", table))
    return "documents-board.csv", "text/csv", ("\ufeff" + csv_text(table)).encode()


# --- the checklist editor --------------------------------------------------------------------

class RequirementError(ValueError):
    """A checklist line could not be saved; `field` names the form field at fault."""

    def __init__(self, field: str, message):
        super().__init__(message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


ACCEPTED_TYPES = list(storage.EXTENSIONS)


def condition_names() -> list[str]:
    """The participant flags a line may be conditioned on (Participant.flags())."""
    return list(Participant(cnp="1800517120018", sex="M",
                            birth_date=date(1980, 5, 17)).flags(date(2026, 1, 1)))


def save_requirement(session: Session, call, requirement: DocumentRequirement | None, *,
                     level: str, code: str, title_ro: str, title_en: str, required: bool,
                     condition: str, validity_days: int | None, accepted_types: list[str],
                     max_size: int, position: int, max_bytes: int | None = None
                     ) -> DocumentRequirement:
    """Create (requirement=None) or update a line of a call's checklist; RequirementError."""
    code = (code or "").strip().lower()
    condition = (condition or "").strip()
    max_bytes = max_bytes or current_app.config["UPLOAD_MAX_BYTES"]
    if level not in {item.value for item in RequirementLevel}:
        raise RequirementError("level", _l("Choose the enterprise or the participant level."))
    clash = session.scalar(select(DocumentRequirement.id).where(
        DocumentRequirement.call_id == call.id, DocumentRequirement.level == level,
        DocumentRequirement.code == code))
    if clash is not None and (requirement is None or clash != requirement.id):
        raise RequirementError("code", _l("The checklist already has a line with the code "
                                          "%(code)s.", code=code))
    if condition and condition not in condition_names():
        raise RequirementError("condition", _l("Unknown condition %(name)s.", name=condition))
    if condition and level != RequirementLevel.PARTICIPANT:
        raise RequirementError("condition", _l("Only participant lines can have a condition."))
    if validity_days is not None and not 0 < validity_days <= 3650:
        raise RequirementError("validity_days", _l("Between 1 and 3650 days, or empty for no "
                                                   "expiry."))
    if not accepted_types or not set(accepted_types) <= set(ACCEPTED_TYPES):
        raise RequirementError("accepted_types", _l("Choose at least one of PDF, JPEG, PNG."))
    if not 0 < max_size <= max_bytes:
        raise RequirementError("max_size_mb", _l("At most %(limit)s (the upload limit of the "
                                                 "site).", limit=human_size(max_bytes)))
    if requirement is not None and requirement.level != level and session.scalar(
            select(func.count(Document.id)).where(Document.requirement_id == requirement.id)):
        raise RequirementError("level", _l("Documents were handed in for this line; its level "
                                           "cannot change."))
    if requirement is None:
        requirement = DocumentRequirement(call=call)
        session.add(requirement)
    requirement.level, requirement.code = level, code
    requirement.title_ro, requirement.title_en = title_ro.strip(), title_en.strip()
    requirement.required, requirement.condition = bool(required), condition
    requirement.validity_days = validity_days
    requirement.accepted_types = [t for t in ACCEPTED_TYPES if t in accepted_types]
    requirement.max_size, requirement.position = max_size, position
    session.commit()
    return requirement
