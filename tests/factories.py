"""factory-boy factories for every domain model, with valid CNPs and CUIs."""
import itertools
from datetime import date, time, timedelta
from decimal import Decimal

import factory
from stdnum.ro import cui as stdnum_cui

from trainhub.attendance.models import AttendanceMark
from trainhub.auth.models import User
from trainhub.core.identifiers import cnp_check_digit
from trainhub.courses.models import Cohort, Course, Enrollment, TrainingSession, session_hours
from trainhub.documents.models import Document, DocumentRequirement
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.participants.models import Membership, Participant
from trainhub.programme.models import Call, Project, ProjectMember

_serials = itertools.count(100)


def valid_cnp(sex: str = "M", birth: date = date(1980, 5, 17), county: int = 12) -> str:
    century_digit = {("M", 19): "1", ("F", 19): "2", ("M", 20): "5", ("F", 20): "6"}
    first = century_digit[(sex, birth.year // 100)]
    body = f"{first}{birth:%y%m%d}{county:02d}{next(_serials) % 1000:03d}"
    return body + cnp_check_digit(body)


def valid_cui(n: int) -> str:
    body = f"{1000000 + n:07d}"
    return body + stdnum_cui.calc_check_digit(body)


class _Base(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class CallFactory(_Base):
    class Meta:
        model = Call

    code = factory.Sequence(lambda n: f"POCU/3.{12 + n}")
    name = "Competențe digitale pentru angajații IMM"
    rules = factory.LazyFunction(list)


class ProjectFactory(_Base):
    class Meta:
        model = Project

    call = factory.SubFactory(CallFactory)
    code = factory.Sequence(lambda n: f"SMIS-{130000 + n}")
    title = "Competențe digitale în IMM"
    start_date = date(2026, 1, 1)
    end_date = date(2027, 12, 31)
    regions = factory.LazyFunction(lambda: ["RO11", "RO12"])


class EnterpriseFactory(_Base):
    class Meta:
        model = Enterprise

    cui = factory.Sequence(valid_cui)
    name = factory.Sequence(lambda n: f"Firma {n} SRL")
    caen = "6201"
    county = "RO-CJ"
    locality = "Cluj-Napoca"
    employees = 12
    turnover_eur = Decimal("900000")
    balance_eur = Decimal("500000")
    contact_email = factory.Sequence(lambda n: f"contact{n}@firma.ro")


class UserFactory(_Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = "Test User"
    role = "coordinator"
    locale = "en"  # assertions read English; the Romanian tests ask for "ro"
    active = True
    password_hash = ""

    @factory.post_generation
    def password(user, create, value, **_kwargs):
        user.set_password(value or "correct-horse-9", "pbkdf2:sha256:1000")

    @factory.post_generation
    def projects(user, create, value, **_kwargs):
        """`UserFactory(role="coordinator", projects=[project])`: on those projects' teams."""
        for project in value or ():
            join_team(user, project)


class ParticipantFactory(_Base):
    class Meta:
        model = Participant

    class Params:
        sex = "M"
        birth = date(1980, 5, 17)

    cnp = factory.LazyAttribute(lambda o: valid_cnp(o.sex, o.birth))
    last_name = "Popescu"
    first_name = factory.Sequence(lambda n: f"Ion{n}")
    county = "RO-CJ"
    environment = "urban"
    isced = 3
    employment_status = "employed"
    disability = False
    minority_or_migrant = False
    enterprise = factory.SubFactory(EnterpriseFactory)


class MembershipFactory(_Base):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    participant = factory.SubFactory(ParticipantFactory)
    eligibility_status = "eligible"


class CourseFactory(_Base):
    class Meta:
        model = Course

    code = factory.Sequence(lambda n: f"C-{n}")
    category = "cyber_security"
    title = "Securitate cibernetică"
    planned_hours = Decimal("40")


class CohortFactory(_Base):
    class Meta:
        model = Cohort

    project = factory.SubFactory(ProjectFactory)
    course = factory.SubFactory(CourseFactory)
    code = factory.Sequence(lambda n: f"G{n}")
    capacity = 20
    start_date = date(2026, 3, 3)

    @factory.post_generation
    def trainer_on_team(cohort, create, value, **_kwargs):
        """The cohort's trainer is on its project's team, as `create_cohort` makes them."""
        if cohort.trainer is not None:
            join_team(cohort.trainer, cohort.project)


class TrainingSessionFactory(_Base):
    class Meta:
        model = TrainingSession

    cohort = factory.SubFactory(CohortFactory)
    date = factory.Sequence(lambda n: date(2026, 3, 3) + timedelta(days=n))
    start_time = time(16, 0)
    end_time = time(20, 0)
    hours = factory.LazyAttribute(lambda o: session_hours(o.start_time, o.end_time))


class EnrollmentFactory(_Base):
    class Meta:
        model = Enrollment

    cohort = factory.SubFactory(CohortFactory)
    membership = factory.SubFactory(MembershipFactory)
    status = "enrolled"
    enrolled_on = date(2026, 3, 1)


class AttendanceMarkFactory(_Base):
    class Meta:
        model = AttendanceMark

    session = factory.SubFactory(TrainingSessionFactory)
    enrollment = factory.SubFactory(EnrollmentFactory)
    status = "present"
    hours = Decimal("4")


class DocumentRequirementFactory(_Base):
    class Meta:
        model = DocumentRequirement

    call = factory.SubFactory(CallFactory)
    level = "participant"
    code = factory.Sequence(lambda n: f"doc{n}")
    title_ro = "Carte de identitate"
    title_en = "ID card"


class DocumentFactory(_Base):
    class Meta:
        model = Document

    requirement = factory.SubFactory(DocumentRequirementFactory)
    participant = factory.SubFactory(ParticipantFactory)
    storage_key = "ab/abcdef"
    sha256 = "a" * 64
    size = 1000
    content_type = "application/pdf"
    original_name = "act.pdf"


def join_team(user, project) -> ProjectMember:
    """Put `user` on `project`'s team (once), as the team form does."""
    db.session.flush()
    for member in project.team:
        if member.user_id == user.id:
            return member
    member = ProjectMember(project=project, user=user, role=user.role)
    db.session.add(member)
    db.session.flush()
    return member
