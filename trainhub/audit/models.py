"""The audit trail: who changed what, and when."""
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainhub.core.models import utcnow
from trainhub.extensions import db


class AuditEvent(db.Model):
    """One recorded change or sensitive action; rows are only ever added."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    #: the acting user; None for the system (scheduler, CLI without a user)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: `create`, `update`, `delete`, or a domain action such as `eligibility.decide`
    action: Mapped[str] = mapped_column(String(60), index=True)
    entity_type: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[int | None]
    #: {"field": [before, after]} for changes; free-form details for actions
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    user = relationship("User")
