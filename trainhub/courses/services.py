"""Catalogue and cohort rules: category names, unique codes, planning a cohort's sessions."""
from datetime import date, time, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from trainhub.auth.models import User
from trainhub.courses.models import Cohort, Course, CourseCategory, TrainingSession, session_hours
from trainhub.programme.models import Project

#: display names of the eleven POCU 3.12 categories (DESIGN §4)
CATEGORY_LABELS = {
    CourseCategory.IOT_ENERGY: _l("Energy management with IoT platforms"),
    CourseCategory.QUALITY_INDUSTRY40: _l("Quality management in Industry 4.0"),
    CourseCategory.CYBER_SECURITY: _l("Cyber security"),
    CourseCategory.SALES_FORCE_AUTOMATION: _l("Sales force automation"),
    CourseCategory.CAD_3D_PRINTING: _l("CAD for 3D printing"),
    CourseCategory.CNC_PROGRAMMING: _l("CNC programming"),
    CourseCategory.PROCESS_SIMULATION_ROBOTS: _l(
        "Simulation of automated processes and industrial robot programming"),
    CourseCategory.BUSINESS_IT: _l("IT applications for business efficiency"),
    CourseCategory.CRM: _l("CRM"),
    CourseCategory.ERP: _l("ERP"),
    CourseCategory.CAD: _l("CAD applications"),
}


class CourseError(ValueError):
    """A course could not be saved; `field` names the form field at fault."""

    def __init__(self, field: str, message):
        super().__init__(message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return str(self.message)  # a lazy string is translated when shown


def catalogue(category: str | None = None) -> Select:
    """Courses by category then title; optionally one category only."""
    stmt = select(Course).order_by(Course.category, Course.title)
    if category:
        stmt = stmt.where(Course.category == category)
    return stmt


def cohort_counts(session: Session, courses: list[Course]) -> dict[int, int]:
    """How many cohorts each of `courses` has, in one query."""
    rows = session.execute(
        select(Cohort.course_id, func.count(Cohort.id))
        .where(Cohort.course_id.in_([course.id for course in courses]))
        .group_by(Cohort.course_id)
    )
    return dict(rows.all())


def save_course(session: Session, course: Course | None, *, code: str, category: str,
                title: str, planned_hours: Decimal, modality: str, description: str = "",
                competences: str = "") -> Course:
    """Create (course=None) or update a course; CourseError when the code is taken."""
    code = code.strip().upper()
    clash = session.scalar(select(Course.id).where(Course.code == code))
    if clash is not None and (course is None or clash != course.id):
        raise CourseError("code", _l("Another course already has the code %(code)s.", code=code))
    if course is None:
        course = Course()
        session.add(course)
    course.code, course.category, course.title = code, category, title.strip()
    course.planned_hours, course.modality = planned_hours, modality
    course.description, course.competences = description.strip(), competences.strip()
    session.commit()
    return course


def plan_sessions(first_day: date, weekdays: set[int], start: time, end: time,
                  planned_hours: Decimal, max_sessions: int = 200) -> list[tuple[date, time, time]]:
    """Session slots on `weekdays` (0 = Monday) from `first_day` until `planned_hours` are reached.

    The last session may run over the planned hours rather than leave them short.
    """
    if not weekdays:
        raise CourseError("weekdays", _l("Choose at least one weekday."))
    if end <= start:
        raise CourseError("end_time", _l("The session must end after it starts."))
    hours_each = session_hours(start, end)
    slots, total, day = [], Decimal(0), first_day
    while total < planned_hours:
        if day.weekday() in weekdays:
            slots.append((day, start, end))
            total += hours_each
            if len(slots) > max_sessions:
                raise CourseError("end_time", _l("That would need more than %(n)s sessions.",
                                                 n=max_sessions))
        day += timedelta(days=1)
    return slots


def create_cohort(session: Session, *, project: Project, course: Course, code: str,
                  capacity: int, location: str, trainer: User | None,
                  slots: list[tuple[date, time, time]]) -> Cohort:
    """A cohort with its sessions; CourseError when the code is taken."""
    code = code.strip().upper()
    if session.scalar(select(Cohort.id).where(Cohort.code == code)) is not None:
        raise CourseError("code", _l("Another cohort already has the code %(code)s.", code=code))
    cohort = Cohort(project=project, course=course, code=code, capacity=capacity,
                    location=location.strip(), trainer=trainer,
                    start_date=slots[0][0] if slots else None,
                    end_date=slots[-1][0] if slots else None)
    session.add(cohort)
    for day, start, end in slots:
        session.add(TrainingSession(cohort=cohort, date=day, start_time=start, end_time=end,
                                    hours=session_hours(start, end)))
    session.commit()
    return cohort


def trainer_overlaps(session: Session, trainer: User | None,
                     slots: list[tuple[date, time, time]]) -> list[tuple[date, str]]:
    """(date, cohort code) of the trainer's existing sessions that overlap the given slots."""
    if trainer is None or not slots:
        return []
    rows = session.execute(
        select(TrainingSession.date, TrainingSession.start_time, TrainingSession.end_time,
               Cohort.code)
        .join(Cohort)
        .where(Cohort.trainer_id == trainer.id,
               TrainingSession.date.in_({day for day, _s, _e in slots}))
    ).all()
    by_day: dict[date, list[tuple[time, time]]] = {}
    for day, start, end in slots:
        by_day.setdefault(day, []).append((start, end))
    return sorted({
        (day, code) for day, start, end, code in rows
        if any(start < other_end and other_start < end for other_start, other_end in by_day[day])
    })
