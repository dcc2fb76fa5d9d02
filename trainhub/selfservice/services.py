"""Trainee self-service rules: the personal link, photos as PDF, typed-name consent, own data."""
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from trainhub.attendance.models import Certificate
from trainhub.attendance.services import load_grid
from trainhub.audit.services import record
from trainhub.core.errors import Problems
from trainhub.core.models import utcnow
from trainhub.courses.models import Cohort, Enrollment
from trainhub.documents import storage
from trainhub.documents.models import Document, DocumentRequirement
from trainhub.documents.services import UploadRefused, check_file, upload_document
from trainhub.participants import gdpr
from trainhub.participants.models import Membership, Participant

#: keeps these signatures apart from every other use of the secret key
LINK_SALT = "trainhub.trainee-link"
#: what the consent record says about how the consent was obtained (DESIGN §16)
CONSENT_METHOD = "link personal"
#: the version of CONSENT_TEXT; change it together with the text
CONSENT_TEXT_VERSION = "2026-11"
#: the consent the person gives on their page (Romanian is the text of record)
CONSENT_TEXT = (
    "Sunt de acord ca datele mele personale (nume, CNP, date de contact, studii, situația pe "
    "piața muncii, date privind apartenența la grupuri vulnerabile) să fie prelucrate de "
    "beneficiarul proiectului și transmise autorității de management, în scopul "
    "implementării, monitorizării, raportării și controlului proiectului finanțat din fonduri "
    "europene, conform Regulamentului (UE) 2016/679 (GDPR). Datele se păstrează pe durata "
    "prevăzută de regulile de finanțare. Pot cere oricând acces la date, rectificarea sau, în "
    "limitele legii, ștergerea lor, adresându-mă coordonatorului proiectului."
)


class LinkNotFound(Exception):
    """The token is not one of ours (tampered, truncated, made up): answer 404."""


class LinkGone(Exception):
    """A genuine link that no longer opens the page (expired, revoked, replaced): answer 410."""


class ConsentRefused(Problems):
    """The consent was not recorded; each reason says why."""


# --- the personal link -----------------------------------------------------------------------

def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=LINK_SALT)


def link_token(secret_key: str, membership: Membership) -> str:
    """The token of the membership's current link (the same token until it is reissued)."""
    return _serializer(secret_key).dumps([membership.id, membership.link_version])


def link_expires_at(membership: Membership, days: int) -> datetime | None:
    """When the live link stops working (None when there is no live link)."""
    if membership.link_issued_at is None:
        return None
    issued = membership.link_issued_at
    if issued.tzinfo is None:  # SQLite hands timestamps back without their zone
        issued = issued.replace(tzinfo=utcnow().tzinfo)
    return issued + timedelta(days=days)


def link_is_live(membership: Membership, days: int, now: datetime | None = None) -> bool:
    expires = link_expires_at(membership, days)
    return expires is not None and (now or utcnow()) < expires


def issue_link(db_session: Session, membership: Membership, user_id: int | None) -> Membership:
    """A new personal link for the person; every link issued before stops working."""
    membership.link_version = (membership.link_version or 0) + 1
    membership.link_issued_at = utcnow()
    record(db_session, "trainee_link.issue", membership, {"version": membership.link_version},
           user_id=user_id)
    return membership


def revoke_link(db_session: Session, membership: Membership, user_id: int | None) -> Membership:
    """No link of the person works any more, until a new one is issued."""
    membership.link_version = (membership.link_version or 0) + 1
    membership.link_issued_at = None
    record(db_session, "trainee_link.revoke", membership, {"version": membership.link_version},
           user_id=user_id)
    return membership


def resolve_link(db_session: Session, secret_key: str, token: str, days: int,
                 now: datetime | None = None) -> Membership:
    """The membership a token opens; LinkNotFound (not ours) or LinkGone (no longer valid)."""
    try:
        payload = _serializer(secret_key).loads(token)
    except BadData:
        raise LinkNotFound from None
    if (not isinstance(payload, list) or len(payload) != 2
            or not all(isinstance(part, int) and not isinstance(part, bool) for part in payload)):
        raise LinkNotFound
    membership_id, version = payload
    membership = db_session.get(Membership, membership_id)
    if membership is None:
        raise LinkNotFound
    if (version != membership.link_version or not link_is_live(membership, days, now)
            or membership.participant.pseudonymised_at is not None):
        raise LinkGone
    return membership


# --- photos become PDF -----------------------------------------------------------------------

IMAGE_TYPES = {"image/jpeg", "image/png"}
#: the pixels of an A4 page at 300 dpi: a photo is never stored larger
A4_300_DPI = (2480, 3508)


def image_to_pdf(data: bytes) -> bytes:
    """A one-page A4 PDF holding the photo, turned upright and fitted inside the margins."""
    from PIL import Image, ImageOps

    from trainhub.core.pdf import picture_pdf

    try:
        with Image.open(BytesIO(data)) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened)
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.thumbnail(A4_300_DPI)  # sharp on paper, a fraction of a phone photo's bytes
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise UploadRefused([_l("The photo could not be read; please take it again.")]) from None
    buffer = BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return picture_pdf(buffer.getvalue(), *image.size)


def upload_own_document(db_session: Session, membership: Membership,
                        requirement: DocumentRequirement, data: bytes,
                        filename: str | None) -> Document:
    """The person hands in a file for one line of their checklist: the same checks as every
    upload (type by content, size, the line is theirs); a JPEG/PNG photo is stored as a
    one-page PDF, so the reviewer gets a PDF."""
    check_file(requirement, data)
    content_type = storage.sniff_type(data)
    if content_type in IMAGE_TYPES and "application/pdf" in (requirement.accepted_types or []):
        data = image_to_pdf(data)
        filename = f"{Path(filename or 'photo').stem or 'photo'}.pdf"
    return upload_document(db_session, requirement, membership.participant, data, filename,
                           None)


# --- consent ---------------------------------------------------------------------------------

def _name_words(text: str) -> list[str]:
    """Words of a name without case, diacritics (ș ş s alike), hyphens or extra spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    for separator in "-‐–—,.;":
        plain = plain.replace(separator, " ")
    return sorted(plain.casefold().split())


def names_match(typed: str, participant: Participant) -> bool:
    """The typed name is the person's, in either order, tolerant of case and diacritics."""
    return bool(_name_words(typed)) and _name_words(typed) == _name_words(
        f"{participant.last_name} {participant.first_name}")


def give_consent(db_session: Session, membership: Membership, typed_name: str, ticked: bool,
                 now: datetime | None = None) -> Membership:
    """Store the person's consent given on their page (typed name + tick + time) and audit it."""
    now = now or utcnow()
    if membership.consent_given_at is not None:  # a signed form's record is never overwritten
        raise ConsentRefused([_l("Your consent is already recorded.")])
    problems = []
    if not ticked:
        problems.append(_l("Tick the box to say you agree."))
    if not names_match(typed_name, membership.participant):
        problems.append(_l("The name you typed is not the name we have for you; type your "
                           "surname and given name."))
    if problems:
        raise ConsentRefused(problems)
    gdpr.record_consent(db_session, membership, given_at=now, text_version=CONSENT_TEXT_VERSION,
                        method=CONSENT_METHOD, document_id=None, user_id=None, now=now)
    record(db_session, "trainee_link.consent", membership,
           {"text_version": CONSENT_TEXT_VERSION, "typed_name": typed_name.strip()[:200]},
           user_id=None)
    return membership


# --- what the page shows ---------------------------------------------------------------------

@dataclass
class SessionLine:
    """One session of a cohort as the person sees it."""

    day: date
    times: str
    hours: Decimal
    status: str | None
    attended: Decimal


@dataclass
class CourseAttendance:
    """A person's enrollment: its sessions, attended hours, rate and certificate."""

    enrollment: Enrollment
    sessions: list[SessionLine] = field(default_factory=list)
    hours: Decimal = Decimal(0)
    rate: float | None = None
    certificate: Certificate | None = None


def attendance_of(db_session: Session, membership: Membership,
                  today: date | None = None) -> list[CourseAttendance]:
    """The person's enrollments in the membership's project with the grid's own figures
    (sessions held that they were expected at, marks, hours, rate) and live certificates."""
    today = today or date.today()
    enrollments = db_session.scalars(
        select(Enrollment).options(joinedload(Enrollment.cohort).joinedload(Cohort.course),
                                   joinedload(Enrollment.certificate))
        .where(Enrollment.membership_id == membership.id)
        .order_by(Enrollment.enrolled_on.desc(), Enrollment.id)).unique().all()
    result = []
    for enrollment in enrollments:
        grid = load_grid(db_session, enrollment.cohort, Enrollment.id == enrollment.id,
                         read_only=True)
        line = CourseAttendance(enrollment)
        if grid.enrollments:
            line.hours, line.rate = grid.totals(today)[enrollment.id]
            expected = grid.expected[enrollment.id]
            for session in grid.sessions:
                if session.id not in expected or session.date > today:
                    continue
                mark = grid.marks.get((session.id, enrollment.id))
                line.sessions.append(SessionLine(
                    session.date, f"{session.start_time:%H:%M}–{session.end_time:%H:%M}",
                    session.hours, mark.status if mark else None,
                    min(mark.hours, session.hours) if mark else Decimal(0)))
        certificate = enrollment.certificate
        if certificate is not None and certificate.revoked_at is None:
            line.certificate = certificate
        result.append(line)
    return result


def own_document(db_session: Session, membership: Membership, document_id: int) -> Document | None:
    """One of the person's own documents, or None (somebody else's is never found)."""
    document = db_session.get(Document, document_id)
    if document is None or document.participant_id != membership.participant_id:
        return None
    return document


def own_certificate(db_session: Session, membership: Membership,
                    certificate_id: int) -> Certificate | None:
    """A live certificate of one of the membership's enrollments, or None."""
    certificate = db_session.get(Certificate, certificate_id)
    if (certificate is None or certificate.revoked_at is not None
            or certificate.enrollment.membership_id != membership.id):
        return None
    return certificate


def record_link_mailed(db_session: Session, membership: Membership, user_id: int | None) -> None:
    """Audit that the live link was e-mailed to the person's address."""
    record(db_session, "trainee_link.mail", membership, {"version": membership.link_version},
           user_id=user_id)
