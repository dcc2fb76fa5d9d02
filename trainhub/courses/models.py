"""Course catalogue, cohorts (groups of a course), their sessions, and enrollments."""
from datetime import date, datetime, time
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
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainhub.core.models import TimestampMixin, one_of
from trainhub.extensions import db


class CourseCategory(StrEnum):
    """The eleven course categories of the POCU 3.12 projects (DESIGN §4)."""

    IOT_ENERGY = "iot_energy"
    QUALITY_INDUSTRY40 = "quality_industry40"
    CYBER_SECURITY = "cyber_security"
    SALES_FORCE_AUTOMATION = "sales_force_automation"
    CAD_3D_PRINTING = "cad_3d_printing"
    CNC_PROGRAMMING = "cnc_programming"
    PROCESS_SIMULATION_ROBOTS = "process_simulation_robots"
    BUSINESS_IT = "business_it"
    CRM = "crm"
    ERP = "erp"
    CAD = "cad"


class Modality(StrEnum):
    CLASSROOM = "classroom"
    ONLINE = "online"
    BLENDED = "blended"


class EnrollmentStatus(StrEnum):
    WAITING = "waiting"
    ENROLLED = "enrolled"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"
    NOT_COMPLETED = "not_completed"


#: statuses that hold (or wait for) a seat
OPEN_ENROLLMENT_STATUSES = (EnrollmentStatus.WAITING.value, EnrollmentStatus.ENROLLED.value)


class Course(TimestampMixin, db.Model):
    """A course of the catalogue."""

    __tablename__ = "courses"
    __table_args__ = (
        one_of("category", CourseCategory),
        one_of("modality", Modality),
        CheckConstraint("planned_hours > 0", name="planned_hours_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    category: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(300))
    planned_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    modality: Mapped[str] = mapped_column(String(10), default=Modality.CLASSROOM.value)
    description: Mapped[str] = mapped_column(Text, default="")
    competences: Mapped[str] = mapped_column(Text, default="")
    #: what one participant-hour costs, in EUR: a skills voucher is charged this × the
    #: cohort's planned hours (DESIGN §17)
    cost_per_hour_eur: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(0))
    #: competence tags: the digital-maturity dimensions the course builds (journey.Dimension)
    dimensions: Mapped[list] = mapped_column(JSON, default=list)

    cohorts: Mapped[list["Cohort"]] = relationship(back_populates="course")


class Cohort(TimestampMixin, db.Model):
    """One run of a course in a project: a group of trainees with a trainer and sessions."""

    __tablename__ = "cohorts"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
            name="dates_ordered",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="RESTRICT"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="RESTRICT"), index=True)
    #: unique across the programme, used by imports (`cohort_code`)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    trainer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    capacity: Mapped[int] = mapped_column(default=25)
    location: Mapped[str] = mapped_column(String(300), default="")
    #: the http(s) link of the online classroom ('' when taught in a room only)
    online_link: Mapped[str] = mapped_column(String(500), default="")
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    #: set when a coordinator closes the cohort (completion is decided then)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: the day it was closed: sessions after it were never held (its certificates stop there)
    closed_on: Mapped[date | None] = mapped_column(Date)
    #: when a coordinator last reopened the closed cohort, and why (audited)
    reopened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reopen_reason: Mapped[str] = mapped_column(String(500), default="")

    project = relationship("Project")
    course: Mapped[Course] = relationship(back_populates="cohorts")
    trainer = relationship("User")
    sessions: Mapped[list["TrainingSession"]] = relationship(
        back_populates="cohort", order_by="(TrainingSession.date, TrainingSession.start_time)"
    )
    enrollments: Mapped[list["Enrollment"]] = relationship(back_populates="cohort")


class CohortState(StrEnum):
    """DESIGN §15: planned, running (a session has been held), closed, reopened."""

    PLANNED = "planned"
    RUNNING = "running"
    CLOSED = "closed"
    REOPENED = "reopened"


class TrainingSession(db.Model):
    """A dated session of a cohort; its hours are derived from start and end time."""

    __tablename__ = "training_sessions"
    __table_args__ = (
        UniqueConstraint("cohort_id", "date", "start_time"),
        CheckConstraint("end_time > start_time", name="times_ordered"),
        CheckConstraint("hours > 0", name="hours_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    date: Mapped[date] = mapped_column(Date, index=True)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    topic: Mapped[str] = mapped_column(String(300), default="")

    cohort: Mapped[Cohort] = relationship(back_populates="sessions")
    marks = relationship("AttendanceMark", back_populates="session")


def session_hours(start: time, end: time) -> Decimal:
    """Hours between two times of the same day, to two decimals."""
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


class Enrollment(TimestampMixin, db.Model):
    """A member of the project's target group in a cohort."""

    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("cohort_id", "membership_id"),
        one_of("status", EnrollmentStatus),
        CheckConstraint(
            "withdrawn_on IS NULL OR withdrawn_on >= enrolled_on", name="withdrawal_after_enrollment"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="RESTRICT"), index=True)
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(15), default=EnrollmentStatus.ENROLLED.value)
    enrolled_on: Mapped[date] = mapped_column(Date)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    #: why the coordinator let the person in despite missing documents (audited)
    override_reason: Mapped[str] = mapped_column(String(500), default="")
    override_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    cohort: Mapped[Cohort] = relationship(back_populates="enrollments")
    membership = relationship("Membership", back_populates="enrollments")
    override_by = relationship("User", foreign_keys=[override_by_id])
    marks = relationship("AttendanceMark", back_populates="enrollment")
    certificate = relationship("Certificate", back_populates="enrollment", uselist=False)
