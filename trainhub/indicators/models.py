"""Frozen indicator snapshots of locked reporting periods (DESIGN §8), and the facts table behind the live indicator table."""
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainhub.core.models import utcnow
from trainhub.extensions import db


class IndicatorSnapshot(db.Model):
    """The values of a locked period and the participants behind them; never edited.

    A correction is a new row with the next version, compared against the previous one.
    """

    __tablename__ = "indicator_snapshots"
    __table_args__ = (
        UniqueConstraint("period_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(
        ForeignKey("reporting_periods.id", ondelete="RESTRICT"), index=True
    )
    version: Mapped[int] = mapped_column(default=1)
    locked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: why a correction was made (empty for version 1)
    note: Mapped[str] = mapped_column(String(500), default="")
    #: {code: {"men": n, "women": n, "total": n}}
    values: Mapped[dict] = mapped_column(JSON)
    #: {code: {"men": [membership ids], "women": [...]}}
    members: Mapped[dict] = mapped_column(JSON)

    period = relationship("ReportingPeriod", back_populates="snapshots")
    locked_by = relationship("User")


class IndicatorFact(db.Model):
    """The facts of one counted membership, packed into a profile; written only by triggers.

    See `trainhub.indicators.facts`: the indicator table is one GROUP BY over these rows.
    """

    __tablename__ = "indicator_facts"
    __table_args__ = (
        Index("ix_indicator_facts_profile", "project_id", "profile", "entry_date", "exit_date"),
        Index("ix_indicator_facts_employer", "project_id", "enterprise_id", "entry_date"),
    )

    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    project_id: Mapped[int]
    profile: Mapped[int]
    enterprise_id: Mapped[int | None]
    entry_date: Mapped[date]
    exit_date: Mapped[date | None]
