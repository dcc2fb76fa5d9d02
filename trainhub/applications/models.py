"""An SME's application to take part in a project, sent from the public form."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainhub.core.models import TimestampMixin, non_negative, one_of
from trainhub.extensions import db


class Channel(StrEnum):
    """How the SME heard of the project (the recruitment funnel's rows)."""

    EVENT = "event"
    SOCIAL_MEDIA = "social_media"
    NEWSLETTER = "newsletter"
    AWARENESS_CAMPAIGN = "awareness_campaign"
    PARTNER = "partner"
    OTHER = "other"


class ApplicationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Application(TimestampMixin, db.Model):
    """One SME's application to one project; a second one with the same CUI joins it."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("project_id", "cui"),
        one_of("channel", Channel),
        one_of("status", ApplicationStatus),
        non_negative("employees"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"),
                                            index=True)
    #: fiscal code, checked with stdnum.ro.cui and stored as digits without `RO`
    cui: Mapped[str] = mapped_column(String(10))
    company_name: Mapped[str] = mapped_column(String(300))
    #: main activity, CAEN rev. 2, four digits (the enterprise record needs it)
    caen: Mapped[str] = mapped_column(String(4))
    #: ISO 3166-2:RO code, e.g. `RO-B`
    county: Mapped[str] = mapped_column(String(5))
    employees: Mapped[int | None]
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    #: how the SME heard of the project
    channel: Mapped[str] = mapped_column(String(20))
    #: when the contact ticked the GDPR consent
    consent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: further contacts who applied again with the same CUI: [{name, email, phone, at}]
    extra_contacts: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default=ApplicationStatus.PENDING.value,
                                        index=True)
    #: why it was declined (e-mailed to the contact)
    decline_reason: Mapped[str] = mapped_column(String(1000), default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: the enterprise matched by CUI or created on acceptance
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="SET NULL"), index=True)
    #: the invitation sent to the contact on acceptance
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL"))

    project = relationship("Project")
    enterprise = relationship("Enterprise")
    invitation = relationship("Invitation")
    decided_by = relationship("User")

    def __repr__(self) -> str:
        return f"<Application {self.cui} to project {self.project_id}>"
