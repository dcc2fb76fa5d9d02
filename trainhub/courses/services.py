"""Course catalogue rules: category names, saving a course with a unique code."""
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from trainhub.courses.models import Cohort, Course, CourseCategory

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
