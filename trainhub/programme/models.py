"""Calls for proposals, funded projects, their targets and reporting periods."""
from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainhub.core.models import TimestampMixin, non_negative, one_of
from trainhub.extensions import db


class Call(TimestampMixin, db.Model):
    """A call for proposals (e.g. POCU/3.12) with its eligibility rules and checklists."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the call's public code, e.g. `POCU/3.12`
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    #: eligibility rule set as data (DESIGN §5.1): a list of {code, kind, params, severity, message}
    rules: Mapped[list] = mapped_column(JSON, default=list)

    projects: Mapped[list["Project"]] = relationship(back_populates="call")
    requirements = relationship(
        "DocumentRequirement", back_populates="call", order_by="DocumentRequirement.position"
    )

    def __repr__(self) -> str:
        return f"<Call {self.code}>"


class Project(TimestampMixin, db.Model):
    """A funded project of a call: trains employees of SMEs within a period and regions."""

    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="dates_ordered"),
        CheckConstraint(
            "completion_threshold > 0 AND completion_threshold <= 1", name="threshold_range"
        ),
        CheckConstraint(
            "retention_years IS NULL OR retention_years BETWEEN 1 AND 100", name="retention_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="RESTRICT"), index=True)
    #: the project's code, e.g. its SMIS code
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(400))
    #: the organisation that signed the financing contract
    beneficiary: Mapped[str] = mapped_column(String(300), default="")
    #: names of the partner organisations, in the contract's order
    partners: Mapped[list] = mapped_column(JSON, default=list)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    #: NUTS2 codes of the regions where employers must be (e.g. ["RO11", "RO12"])
    regions: Mapped[list] = mapped_column(JSON, default=list)
    #: share of a course's planned hours a trainee must attend to complete it
    completion_threshold: Mapped[Decimal] = mapped_column(Numeric(4, 3), default=Decimal("0.800"))
    #: years the records are kept after the end date; None = the instance's RETENTION_YEARS
    retention_years: Mapped[int | None]

    call: Mapped[Call] = relationship(back_populates="projects")
    targets: Mapped[list["ProjectTarget"]] = relationship(
        back_populates="project", cascade="all, delete-orphan"
    )
    periods: Mapped[list["ReportingPeriod"]] = relationship(
        back_populates="project", order_by="ReportingPeriod.start_date"
    )
    team: Mapped[list["ProjectMember"]] = relationship(
        back_populates="project", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Project {self.code}>"


class ProjectTarget(db.Model):
    """The number a project promised for one indicator (e.g. TOTAL 1200, AGE55_64 200)."""

    __tablename__ = "project_targets"
    __table_args__ = (
        UniqueConstraint("project_id", "indicator_code"),
        non_negative("value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    indicator_code: Mapped[str] = mapped_column(String(20))
    value: Mapped[int]

    project: Mapped[Project] = relationship(back_populates="targets")


class ReportingPeriod(TimestampMixin, db.Model):
    """A period the project reports indicators for; locking it freezes a snapshot (DESIGN §8)."""

    __tablename__ = "reporting_periods"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="dates_ordered"),
        UniqueConstraint("project_id", "label"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(80))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)

    project: Mapped[Project] = relationship(back_populates="periods")
    snapshots = relationship(
        "IndicatorSnapshot", back_populates="period", order_by="IndicatorSnapshot.version"
    )

    @property
    def locked(self) -> bool:
        return bool(self.snapshots)


class TeamRole(StrEnum):
    COORDINATOR = "coordinator"
    TRAINER = "trainer"


class ProjectMember(TimestampMixin, db.Model):
    """A coordinator or trainer on a project's team: they see and change only their projects."""

    __tablename__ = "project_members"
    __table_args__ = (
        UniqueConstraint("project_id", "user_id"),
        one_of("role", TeamRole),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: the member's role in the team: the same as the user's role (coordinator or trainer)
    role: Mapped[str] = mapped_column(String(20))

    project: Mapped[Project] = relationship(back_populates="team")
    user = relationship("User")


class CallIdentity(TimestampMixin, db.Model):
    """A call's visual identity: the mandatory texts (ro/en) and the logos on every document."""

    __tablename__ = "call_identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    #: {"ro": {"union", "fund", "programme", "cofinancing"}, "en": {...}}; a blank one is the default
    texts: Mapped[dict] = mapped_column(JSON, default=dict)
    #: the logos, in order: [{"key", "sha256", "content_type", "name"}] (bytes in the upload store)
    logos: Mapped[list] = mapped_column(JSON, default=list)

    call: Mapped[Call] = relationship()


class Orientation(StrEnum):
    PORTRAIT = "P"
    LANDSCAPE = "L"


class CertificateTemplate(TimestampMixin, db.Model):
    """The wording of the certificates of a call, or of one project (which then wins)."""

    __tablename__ = "certificate_templates"
    __table_args__ = (
        CheckConstraint("(call_id IS NULL) <> (project_id IS NULL)", name="one_owner"),
        one_of("orientation", Orientation),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"),
                                                unique=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"),
                                                   unique=True)
    title: Mapped[str] = mapped_column(String(200))
    #: the body with placeholders ({name} {course} {hours} ...; see programme/identity.py)
    body: Mapped[str] = mapped_column(String(2000))
    #: the signature lines: [{"name", "role"}]
    signatures: Mapped[list] = mapped_column(JSON, default=list)
    orientation: Mapped[str] = mapped_column(String(1), default=Orientation.LANDSCAPE.value)
    #: 1 at creation, +1 on every saved change; a certificate keeps the version it was issued with
    version: Mapped[int] = mapped_column(default=1)
