"""Document checklists of a call and the files SMEs and trainees hand in against them."""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainhub.core.models import non_negative, one_of, utcnow
from trainhub.extensions import db


class RequirementLevel(StrEnum):
    ENTERPRISE = "enterprise"
    PARTICIPANT = "participant"


class DocumentStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class DocumentRequirement(db.Model):
    """One line of a call's checklist (e.g. the employment certificate of each trainee)."""

    __tablename__ = "document_requirements"
    __table_args__ = (
        UniqueConstraint("call_id", "level", "code"),
        one_of("level", RequirementLevel),
        non_negative("validity_days"),
        CheckConstraint("max_size > 0", name="max_size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(12))
    code: Mapped[str] = mapped_column(String(40))
    title_ro: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    #: name of a participant flag that makes this line apply (e.g. `disability`); empty = always
    condition: Mapped[str] = mapped_column(String(40), default="")
    #: days a document stays valid after upload (None = no expiry)
    validity_days: Mapped[int | None]
    #: accepted content types, sniffed from the bytes
    accepted_types: Mapped[list] = mapped_column(
        JSON, default=lambda: ["application/pdf", "image/jpeg", "image/png"]
    )
    max_size: Mapped[int] = mapped_column(default=10 * 1024 * 1024)
    position: Mapped[int] = mapped_column(default=0)

    call = relationship("Call", back_populates="requirements")

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_ro


class Document(db.Model):
    """One uploaded version of a checklist line for an enterprise or a participant."""

    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(
            "(enterprise_id IS NULL) <> (participant_id IS NULL)", name="exactly_one_owner"
        ),
        one_of("status", DocumentStatus),
        # the review queue: pending uploads, oldest first, read in order until a page is full
        Index("ix_documents_review_order", "status", "uploaded_at", "id"),
        CheckConstraint("version >= 1", name="version_positive"),
        non_negative("size"),
        CheckConstraint(
            "status <> 'rejected' OR length(review_reason) > 0", name="rejection_has_reason"
        ),
        Index(
            "uq_documents_enterprise_version", "requirement_id", "enterprise_id", "version",
            unique=True,
            sqlite_where=text("enterprise_id IS NOT NULL"),
            postgresql_where=text("enterprise_id IS NOT NULL"),
        ),
        Index(
            "uq_documents_participant_version", "requirement_id", "participant_id", "version",
            unique=True,
            sqlite_where=text("participant_id IS NOT NULL"),
            postgresql_where=text("participant_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(
        ForeignKey("document_requirements.id", ondelete="RESTRICT"), index=True
    )
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    #: 1 for the first upload; a re-upload is a new row with the next version
    version: Mapped[int] = mapped_column(default=1)
    #: where the bytes are kept under UPLOAD_DIR (derived from sha256, never from the user)
    storage_key: Mapped[str] = mapped_column(String(80))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    #: the type sniffed from the content, not the one the browser claimed
    content_type: Mapped[str] = mapped_column(String(50))
    #: sanitised original filename, used for downloads
    original_name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(10), default=DocumentStatus.PENDING.value, index=True)
    review_reason: Mapped[str] = mapped_column(String(500), default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    valid_until: Mapped[date | None] = mapped_column(Date)

    requirement: Mapped[DocumentRequirement] = relationship()
    enterprise = relationship("Enterprise")
    participant = relationship("Participant")
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    uploaded_by = relationship("User", foreign_keys=[uploaded_by_id])


class MailStatus(StrEnum):
    SENT = "sent"
    FAILED = "failed"


class MailLog(db.Model):
    """One reminder e-mail, sent or failed; the items it named are not reminded again soon."""

    __tablename__ = "mail_log"
    __table_args__ = (
        one_of("status", MailStatus),
        Index("ix_mail_log_to_sent_at", "to", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the recipient's address
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    #: what the mail reminded of: [{"key": stable item key, "text": the line shown}]
    items: Mapped[list] = mapped_column(JSON, default=list)
    #: when it was sent (or tried, when it failed)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(10), default=MailStatus.SENT.value)
    #: why sending failed ('' when sent)
    error: Mapped[str] = mapped_column(String(500), default="")
