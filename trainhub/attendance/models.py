"""Attendance marks, signed sign-in sheets and certificates of completion."""
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainhub.core.models import non_negative, one_of, utcnow
from trainhub.extensions import db


class MarkStatus(StrEnum):
    PRESENT = "present"
    LATE = "late"
    EXCUSED = "excused"
    ABSENT = "absent"


#: statuses whose hours count as attended (and that make a person enter the project)
ATTENDED_STATUSES = (MarkStatus.PRESENT.value, MarkStatus.LATE.value)


class MarkSource(StrEnum):
    MANUAL = "manual"
    CSV = "csv"
    QR = "qr"
    SHEET = "sheet"


class AttendanceMark(db.Model):
    """One enrolled person's attendance at one session: exactly one mark per pair."""

    __tablename__ = "attendance_marks"
    __table_args__ = (
        UniqueConstraint("session_id", "enrollment_id"),
        one_of("status", MarkStatus),
        one_of("source", MarkSource),
        non_negative("hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="RESTRICT"), index=True
    )
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(10))
    #: hours attended (default: the session's hours when present/late, else 0)
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    source: Mapped[str] = mapped_column(String(10), default=MarkSource.MANUAL.value)
    #: the trainer's remark on this mark (e.g. "motivat: certificat medical")
    remark: Mapped[str] = mapped_column(String(300), default="")
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    session = relationship("TrainingSession", back_populates="marks")
    enrollment = relationship("Enrollment", back_populates="marks")
    marked_by = relationship("User")


class SignInSheet(db.Model):
    """The sign-in sheet of a session: generated PDF and the signed scan that backs the marks."""

    __tablename__ = "sign_in_sheets"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), unique=True
    )
    generated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: content-addressed storage key of the signed scan (see documents storage)
    scan_key: Mapped[str | None] = mapped_column(String(80))
    scan_sha256: Mapped[str | None] = mapped_column(String(64))
    scan_size: Mapped[int | None]
    scan_content_type: Mapped[str | None] = mapped_column(String(50))
    scan_original_name: Mapped[str] = mapped_column(String(255), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    session = relationship("TrainingSession")
    uploaded_by = relationship("User")


class Certificate(db.Model):
    """The certificate of a completed enrollment, verifiable publicly by its token."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="RESTRICT"), unique=True
    )
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    issued_on: Mapped[date] = mapped_column(Date)
    #: random, URL-safe; the QR code on the PDF links to /verify/<token>
    token: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str] = mapped_column(String(300), default="")
    #: the figures printed on the certificate and shown by its verification page, fixed at
    #: issue: first and last day of the sessions held, hours attended and planned
    first_day: Mapped[date | None] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)
    hours_attended: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    hours_planned: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    #: the wording it was issued with (title, body, signatures, orientation, template id and
    #: version), so a later template change never alters it; None: issued before templates
    template: Mapped[dict | None] = mapped_column(JSON)

    enrollment = relationship("Enrollment", back_populates="certificate")
    revisions: Mapped[list["CertificateRevision"]] = relationship(
        back_populates="certificate", order_by="CertificateRevision.id")


class CertificateRevision(db.Model):
    """A certificate as it was before a reissue: its serial, token and figures stay on record,
    and its verification link says which serial replaced it."""

    __tablename__ = "certificate_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("certificates.id", ondelete="CASCADE"), index=True)
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    issued_on: Mapped[date] = mapped_column(Date)
    first_day: Mapped[date | None] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)
    hours_attended: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    hours_planned: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    #: when and why it was replaced (re-closing the cohort changed the figures)
    replaced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reason: Mapped[str] = mapped_column(String(300), default="")

    certificate = relationship("Certificate", back_populates="revisions")
