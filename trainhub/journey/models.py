"""Maturity questionnaires and assessments, skills vouchers and their charges, exit situations
and six-month follow-ups (DESIGN §17)."""
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Numeric,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainhub.core.models import TimestampMixin, non_negative, one_of
from trainhub.extensions import db


class Dimension(StrEnum):
    """The six dimensions of the EU Digital Maturity Assessment (DMA)."""

    STRATEGY = "strategy"
    READINESS = "readiness"
    HUMAN = "human"
    DATA = "data"
    AUTOMATION = "automation"
    GREEN = "green"


class AssessmentKind(StrEnum):
    ENTRY = "entry"
    EXIT = "exit"


#: the most points one answer can give (the 0–5 scale)
MAX_POINTS = 5


class Questionnaire(db.Model):
    """One version of the maturity questionnaire; a new version never rewrites an older one."""

    __tablename__ = "maturity_questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 1, 2, ...: the latest is offered, answers keep the one they were given on
    version: Mapped[int] = mapped_column(unique=True)
    published_on: Mapped[date] = mapped_column(Date)

    questions: Mapped[list["Question"]] = relationship(
        back_populates="questionnaire", order_by="Question.position")


class Question(db.Model):
    """A question of one questionnaire version, on one DMA dimension."""

    __tablename__ = "maturity_questions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "code"),
                      one_of("dimension", Dimension))

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("maturity_questionnaires.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(20))
    dimension: Mapped[str] = mapped_column(String(20))
    text_ro: Mapped[str] = mapped_column(String(500))
    text_en: Mapped[str] = mapped_column(String(500))
    #: empty: a 0–5 scale; otherwise the choices, each {"points": 0..5, "ro": ..., "en": ...}
    choices: Mapped[list] = mapped_column(JSON, default=list)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="questions")


class Assessment(TimestampMixin, db.Model):
    """An enterprise's self-assessment in a project, at entry or at exit."""

    __tablename__ = "maturity_assessments"
    __table_args__ = (UniqueConstraint("project_id", "enterprise_id", "kind"),
                      one_of("kind", AssessmentKind))

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"),
                                            index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"),
                                               index=True)
    #: the version the answers were given on
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("maturity_questionnaires.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(10))
    taken_on: Mapped[date] = mapped_column(Date)
    #: dimension -> score 0–100, computed from the answers when they are saved
    scores: Mapped[dict] = mapped_column(JSON, default=dict)
    filled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    project = relationship("Project")
    enterprise = relationship("Enterprise")
    questionnaire: Mapped[Questionnaire] = relationship()
    answers: Mapped[list["Answer"]] = relationship(back_populates="assessment",
                                                   cascade="all, delete-orphan")


class Answer(db.Model):
    """The points given to one question in one assessment."""

    __tablename__ = "maturity_answers"
    __table_args__ = (UniqueConstraint("assessment_id", "question_id"),
                      CheckConstraint(f"points BETWEEN 0 AND {MAX_POINTS}", name="points_in_scale"))

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("maturity_assessments.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("maturity_questions.id", ondelete="RESTRICT"), index=True)
    points: Mapped[int]

    assessment: Mapped[Assessment] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()


class Voucher(TimestampMixin, db.Model):
    """A skills-voucher budget a project grants an SME; its employees' enrollments spend it."""

    __tablename__ = "vouchers"
    __table_args__ = (UniqueConstraint("project_id", "enterprise_id"),
                      non_negative("budget_eur"))

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"),
                                            index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"),
                                               index=True)
    budget_eur: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    #: the last day an enrollment may spend it; an expired voucher consumes nothing
    expires_on: Mapped[date] = mapped_column(Date)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    project = relationship("Project")
    enterprise = relationship("Enterprise")


class VoucherCharge(TimestampMixin, db.Model):
    """The value one enrollment took from a voucher (given back on an early withdrawal)."""

    __tablename__ = "voucher_charges"
    __table_args__ = (non_negative("amount_eur"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id", ondelete="CASCADE"),
                                            index=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"),
                                               unique=True)
    #: cost per participant-hour × planned hours of the cohort, when charged
    amount_eur: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    #: set when a withdrawal before the cohort's start gave the value back
    refunded_on: Mapped[date | None] = mapped_column(Date)
    #: why the coordinator let the enrollment go over the balance (audited)
    override_reason: Mapped[str] = mapped_column(String(500), default="")

    voucher: Mapped[Voucher] = relationship()
    enrollment = relationship("Enrollment")


class ExitSituation(TimestampMixin, db.Model):
    """A person's situation at exit from the project, recorded by the coordinator."""

    __tablename__ = "exit_situations"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"),
                                               unique=True)
    qualification_obtained: Mapped[bool] = mapped_column(default=False)
    employed: Mapped[bool] = mapped_column(default=False)
    better_job: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    membership = relationship("Membership")


class FollowUp(TimestampMixin, db.Model):
    """The six-month follow-up questionnaire of a person: sent once, answered once."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"),
                                               unique=True)
    #: when the link was e-mailed (None: not sent yet, e.g. the mail server refused it)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: set on the first answer: the link is single-use
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    employed: Mapped[bool | None]
    better_job: Mapped[bool | None]
    qualification_used: Mapped[bool | None]

    membership = relationship("Membership")


@event.listens_for(Question.__table__, "after_create")
def _seed_new_table(_target, connection, **_kw) -> None:
    from trainhub.journey.seed import seed_questionnaire

    seed_questionnaire(connection)
