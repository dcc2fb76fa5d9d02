"""Reference data, a believable demo programme, and benchmark-scale datasets of N SMEs."""
import random
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import islice

from flask import current_app, has_app_context
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session
from stdnum.ro import cui as stdnum_cui

from trainhub.applications.models import Application, ApplicationStatus, Channel
from trainhub.attendance.models import (
    ATTENDED_STATUSES,
    AttendanceMark,
    Certificate,
    MarkSource,
    MarkStatus,
)
from trainhub.attendance.services import close_cohort, issue_certificates
from trainhub.auth.models import Role, User
from trainhub.core.geography import COUNTIES, region_of
from trainhub.core.identifiers import age_on, cnp_birth_date, cnp_check_digit, cnp_sex
from trainhub.core.models import utcnow
from trainhub.courses.models import (
    Cohort,
    Course,
    CourseCategory,
    Enrollment,
    EnrollmentStatus,
    Modality,
    TrainingSession,
    session_hours,
)
from trainhub.enterprises.models import DeMinimisAid, Enterprise, size_class_of
from trainhub.participants.models import (
    Eligibility,
    EmploymentStatus,
    Environment,
    Membership,
    Participant,
)
from trainhub.programme.models import Call, Project, ProjectMember, ProjectTarget, ReportingPeriod
from trainhub.programme.presets import (  # noqa: F401 (re-exported: tests and tools read them here)
    CALL_CODE,
    CALL_NAMES,
    DEFAULT_CHECKLISTS,
    DEFAULT_RULES,
    seed_call,
)
from trainhub.selfservice.services import issue_link, link_is_live, link_token

DEMO_PROJECT_CODE = "SMIS-130512"
#: the second demo project of the same call, run by a team of its own (DESIGN §14)
DEMO_PROJECT_2_CODE = "SMIS-130513"
DEMO_REGIONS_2 = ["RO41", "RO42"]
DEMO_REGIONS = ["RO11", "RO12", "RO21", "RO31", "RO32"]
DEMO_SEED = 2026

#: the seeded catalogue, one course per category (DESIGN §4):
#: (category, code, title, planned hours, modality, description, competences)
COURSE_CATALOGUE: list[tuple[CourseCategory, str, str, int, Modality, str, str]] = [
    (CourseCategory.IOT_ENERGY, "C-IOT", "Managementul energiei cu platforme IoT", 60,
     Modality.BLENDED,
     "Monitorizarea consumurilor cu senzori și platforme IoT, analiza datelor și măsuri de "
     "eficiență energetică în atelier și birou.",
     "Configurarea senzorilor și a gateway-urilor IoT; interpretarea tablourilor de bord "
     "energetice; planificarea măsurilor de economisire."),
    (CourseCategory.QUALITY_INDUSTRY40, "C-QI40", "Managementul calității în Industria 4.0", 60,
     Modality.CLASSROOM,
     "Controlul statistic al proceselor, trasabilitatea digitală și sisteme de calitate "
     "conectate la linia de producție.",
     "Aplicarea SPC; documentarea neconformităților; utilizarea datelor din producție pentru "
     "îmbunătățirea continuă."),
    (CourseCategory.CYBER_SECURITY, "C-CYBER", "Securitate cibernetică pentru IMM", 40,
     Modality.ONLINE,
     "Riscurile informatice ale unei firme mici, parole și autentificare în doi pași, copii de "
     "siguranță, phishing și răspunsul la incidente.",
     "Recunoașterea atacurilor de tip phishing; configurarea copiilor de siguranță; aplicarea "
     "unei politici de securitate în firmă."),
    (CourseCategory.SALES_FORCE_AUTOMATION, "C-SFA", "Automatizarea forței de vânzări", 40,
     Modality.BLENDED,
     "Gestiunea ofertelor, a comenzilor și a agenților de vânzări cu aplicații mobile și "
     "raportare automată.",
     "Urmărirea pipeline-ului de vânzări; automatizarea ofertelor; analiza performanței "
     "agenților."),
    (CourseCategory.CAD_3D_PRINTING, "C-CAD3D", "Proiectare CAD pentru imprimare 3D", 80,
     Modality.CLASSROOM,
     "Modelarea pieselor pentru fabricația aditivă, pregătirea fișierelor și parametrii de "
     "imprimare 3D.",
     "Modelare parametrică; exportul și verificarea fișierelor STL; alegerea materialelor și a "
     "parametrilor de imprimare."),
    (CourseCategory.CNC_PROGRAMMING, "C-CNC", "Programarea mașinilor-unelte cu comandă numerică "
     "(CNC)", 80, Modality.CLASSROOM,
     "Programare în cod G, simularea traseelor de sculă și reglarea mașinilor CNC de frezat și "
     "strunjit.",
     "Scrierea și verificarea programelor CNC; alegerea sculelor și a regimurilor de așchiere; "
     "simularea prelucrărilor."),
    (CourseCategory.PROCESS_SIMULATION_ROBOTS, "C-ROBOT", "Simularea proceselor automatizate și "
     "programarea roboților industriali", 120, Modality.CLASSROOM,
     "Simularea celulelor robotizate, programarea traiectoriilor și integrarea roboților în "
     "fluxul de producție.",
     "Programarea roboților industriali; simularea și optimizarea ciclurilor; reguli de "
     "siguranță în celulele robotizate."),
    (CourseCategory.BUSINESS_IT, "C-BIT", "Aplicații IT pentru eficientizarea activității "
     "economice", 40, Modality.BLENDED,
     "Foi de calcul avansate, documente partajate și automatizarea sarcinilor administrative "
     "repetitive.",
     "Utilizarea avansată a foilor de calcul; lucrul colaborativ în cloud; automatizarea "
     "rapoartelor."),
    (CourseCategory.CRM, "C-CRM", "Gestiunea relației cu clienții (CRM)", 40, Modality.ONLINE,
     "Evidența clienților, a oportunităților și a campaniilor într-o aplicație CRM.",
     "Gestionarea contactelor și a oportunităților; segmentarea clienților; rapoarte de "
     "vânzări și fidelizare."),
    (CourseCategory.ERP, "C-ERP", "Planificarea resurselor întreprinderii (ERP)", 60,
     Modality.BLENDED,
     "Stocuri, achiziții, producție și contabilitate integrate într-un sistem ERP.",
     "Înregistrarea fluxurilor de aprovizionare și vânzare; planificarea producției; "
     "interpretarea rapoartelor ERP."),
    (CourseCategory.CAD, "C-CAD", "Aplicații de proiectare asistată de calculator (CAD)", 80,
     Modality.CLASSROOM,
     "Desen tehnic 2D, modelare 3D și documentație de execuție cu aplicații CAD.",
     "Realizarea desenelor de execuție; modelarea ansamblurilor; cotarea și documentarea "
     "proiectelor."),
]

#: (role, email, password, full name, index of the SME in DEMO_ENTERPRISES or None)
DEMO_USERS: list[tuple[str, str, str, str, int | None]] = [
    (Role.ADMIN.value, "admin@trainhub.local", "demo-admin-2026", "Administrator TrainHub", None),
    (Role.COORDINATOR.value, "coordinator@trainhub.local", "demo-coordinator-2026",
     "Elena Marinescu", None),
    (Role.TRAINER.value, "trainer@trainhub.local", "demo-trainer-2026", "Radu Georgescu", None),
    (Role.AUTHORITY.value, "authority@trainhub.local", "demo-authority-2026",
     "Cristina Dobre", None),
    (Role.SME.value, "sme1@trainhub.local", "demo-sme1-2026", "Andrei Mureșan", 0),
    (Role.SME.value, "sme2@trainhub.local", "demo-sme2-2026", "Oana Ciobanu", 7),
    (Role.COORDINATOR.value, "coordinator2@trainhub.local", "demo-coordinator2-2026",
     "Mihaela Stoica", None),
    (Role.TRAINER.value, "trainer2@trainhub.local", "demo-trainer2-2026", "Sorin Vlăduț", None),
]

#: the project whose team each demo coordinator and trainer is on
DEMO_TEAMS = {
    "coordinator@trainhub.local": DEMO_PROJECT_CODE, "trainer@trainhub.local": DEMO_PROJECT_CODE,
    "coordinator2@trainhub.local": DEMO_PROJECT_2_CODE,
    "trainer2@trainhub.local": DEMO_PROJECT_2_CODE,
}

#: the second project's SME: (name, CAEN, county, locality, employees, turnover EUR,
#: balance EUR, trainees, web domain), as in DEMO_ENTERPRISES
DEMO_ENTERPRISE_2 = ("Banat Digital Services SRL", "6209", "RO-TM", "Timișoara", 22, "1600000",
                     "800000", 8, "banatdigital.ro")

#: (name, CAEN, county, locality, employees, turnover EUR, balance EUR, trainees, web domain)
DEMO_ENTERPRISES: list[tuple[str, str, str, str, int | None, str | None, str | None, int, str]] = [
    ("Tehnoplast Industries SRL", "2229", "RO-CJ", "Cluj-Napoca", 85, "6200000", "4100000", 14,
     "tehnoplast.ro"),
    ("Softlab Consulting SRL", "6201", "RO-CJ", "Florești", 8, "650000", "310000", 5,
     "softlab.ro"),
    ("Carpatica Mobila SRL", "3109", "RO-BH", "Oradea", 42, "3800000", "2100000", 10,
     "carpaticamobila.ro"),
    ("Nordic Transport Logistic SRL", "4941", "RO-MM", "Baia Mare", 27, "2900000", "1500000", 8,
     "nordictransport.ro"),
    ("Precizia Mecanică SRL", "2562", "RO-BV", "Brașov", 120, "9500000", "7200000", 14,
     "precizia.ro"),
    ("Transilvania Print SRL", "1812", "RO-SB", "Sibiu", 15, "1100000", "640000", 6,
     "transilvaniaprint.ro"),
    ("Dentalmed Laborator SRL", "3250", "RO-MS", "Târgu Mureș", 6, "420000", "230000", 4,
     "dentalmed.ro"),
    ("Moldova Textil Confecții SRL", "1413", "RO-IS", "Iași", 160, "12000000", "8300000", 14,
     "moldovatextil.ro"),
    ("Panifcom Bacău SRL", "1071", "RO-BC", "Bacău", 38, "2400000", "1300000", 7, "panifcom.ro"),
    ("Bucovina Soft SRL", "6202", "RO-SV", "Suceava", 4, "180000", "95000", 3, "bucovinasoft.ro"),
    ("Prahova Automatizări SRL", "3320", "RO-PH", "Ploiești", 55, "7800000", "5100000", 9,
     "prahova-automatizari.ro"),
    ("Argeș Auto Componente SRL", "2932", "RO-AG", "Mioveni", 190, "31000000", "22000000", 12,
     "argesauto.ro"),
    ("Dâmbovița Construct SRL", "4120", "RO-DB", "Târgoviște", None, None, None, 4,
     "dambovitaconstruct.ro"),
    ("Digital Nexus Solutions SRL", "6201", "RO-B", "București", 9, "900000", "420000", 5,
     "digitalnexus.ro"),
    ("Ilfov Logistic Hub SRL", "5210", "RO-IF", "Voluntari", 70, "14000000", "9800000", 5,
     "ilfovlogistic.ro"),
]

#: (index in DEMO_ENTERPRISES, days before today, amount EUR, source)
DEMO_AIDS: list[tuple[int, int, str, str]] = [
    (0, 700, "45000", "Programul Start-Up Nation"),
    (0, 260, "20000", "Schema de minimis pentru digitalizarea IMM"),
    (2, 540, "120000", "POC Axa 2 — granturi pentru capital de lucru"),
    (7, 400, "150000", "Granturi pentru capital de lucru (OUG 130/2020)"),
    (8, 900, "30000", "PNDR Submăsura 4.2"),
]

MALE_FIRST_NAMES = [
    "Andrei", "Mihai", "Ștefan", "Ion", "Gheorghe", "Alexandru", "Cristian", "Florin", "Bogdan",
    "Adrian", "Răzvan", "Marius", "Vlad", "Sorin", "Dănuț", "Cătălin", "Ovidiu", "Tudor", "Radu",
    "Nicolae", "Lucian", "Iulian", "Dorin", "Costin",
]
FEMALE_FIRST_NAMES = [
    "Ioana", "Maria", "Elena", "Ana", "Andreea", "Mihaela", "Cristina", "Alexandra", "Gabriela",
    "Raluca", "Roxana", "Simona", "Ștefania", "Cătălina", "Irina", "Daniela", "Larisa", "Oana",
    "Alina", "Loredana", "Mădălina", "Georgiana", "Anișoara", "Florentina",
]
LAST_NAMES = [
    "Popescu", "Ionescu", "Popa", "Pop", "Radu", "Dumitru", "Stan", "Stoica", "Gheorghe", "Matei",
    "Ciobanu", "Constantin", "Rusu", "Mihai", "Lazăr", "Munteanu", "Ștefănescu", "Dumitrescu",
    "Marinescu", "Georgescu", "Tănase", "Bălan", "Nistor", "Moldovan", "Vasile", "Oprea",
    "Florea", "Toma", "Diaconu", "Sârbu", "Mureșan", "Țurcanu", "Zăvoianu", "Ene", "Avram",
    "Manole", "Coman", "Neagu", "Văduva", "Bucur", "Niculescu", "Pîrvu", "Stănescu", "Iordache",
    "Cojocaru", "Andrieș", "Bălănescu", "Crăciun",
]
JOB_TITLES = [
    "Operator CNC", "Contabil", "Inginer proiectant", "Tehnician mentenanță", "Agent vânzări",
    "Specialist resurse umane", "Programator", "Manager de producție", "Operator introducere date",
    "Șef de echipă", "Economist", "Merceolog", "Designer grafic", "Inginer calitate",
    "Operator mașini-unelte", "Gestionar depozit", "Asistent manager", "Dispecer transport",
    "Tehnician electronist", "Responsabil achiziții",
]
COMPANY_NAME_STEMS = [
    "Tehno", "Agro", "Euro", "Nova", "Delta", "Carpat", "Dacia", "Metal", "Info", "Eco", "Poli",
    "Elect", "Mobil", "Transilvan", "Dunărea", "Olt", "Mureș", "Someș", "Prut", "Siret",
]
COMPANY_NAME_TAILS = [
    "Serv", "Prod", "Tech", "Construct", "Trans", "Industries", "Consult", "Com", "Soft", "Impex",
    "Design", "Logistic", "Plast", "Mec", "Print",
]

#: sessions (weekdays Monday=0, start, end) of the four demo cohorts and their first day offset
DEMO_COHORTS: list[tuple[str, tuple[int, ...], time, time, int, str]] = [
    ("C-CYBER", (1, 3), time(16, 0), time(20, 0), -84, "Online (Microsoft Teams)"),
    ("C-ERP", (0, 2), time(16, 0), time(20, 0), -42, "Iași, Bd. Carol I nr. 11, sala 204"),
    ("C-CNC", (4, 5), time(9, 0), time(13, 0), -28, "Brașov, Str. Lungă nr. 45, atelier CNC"),
    ("C-CRM", (1, 3), time(16, 0), time(20, 0), 14, "Cluj-Napoca, Str. Memorandumului nr. 28"),
]

SCALE_PARTICIPANTS_PER_SME = 20
SCALE_SESSIONS_PER_COHORT = 20
SCALE_SMES_PER_BATCH = 250
INSERT_ROWS_PER_BATCH = 10_000

#: CNP serials 001-499 are the demo's, 500-999 the scale datasets'
_SCALE_SERIAL_FIRST = 500
_SCALE_BIRTH_FIRST = date(1962, 1, 1)
_SCALE_BIRTH_DAYS = (date(2005, 12, 31) - _SCALE_BIRTH_FIRST).days + 1
_SCALE_CNP_COUNTIES = 46
_SCALE_CNP_SPACE = _SCALE_CNP_COUNTIES * _SCALE_BIRTH_DAYS * (1000 - _SCALE_SERIAL_FIRST)
#: a prime larger than the space, so multiplying by it permutes the space
_SCALE_CNP_SCRAMBLE = 2_654_435_761
#: scale CUIs are 8 digits + check digit; the demo's are 9 + 1, so they never meet
_SCALE_CUI_BASE = 10_000_000

_SCALE_TABLES: list[Table] = [
    Enterprise.__table__, Participant.__table__, Cohort.__table__, TrainingSession.__table__,
    Membership.__table__, Enrollment.__table__, AttendanceMark.__table__,
]


def make_cnp(sex: str, birth_date: date, county_code: int, serial: int) -> str:
    """A valid CNP for a Romanian citizen born in the 1900s or 2000s ('M' or 'F')."""
    first_digits = {("M", 19): "1", ("F", 19): "2", ("M", 20): "5", ("F", 20): "6"}
    first = first_digits.get((sex, birth_date.year // 100))
    if first is None:
        raise ValueError(f"no CNP for sex {sex!r} born in {birth_date.year}")
    if not (1 <= county_code <= 46 or county_code in (51, 52)):
        raise ValueError(f"{county_code} is not a CNP county code")
    if not 0 <= serial <= 999:
        raise ValueError(f"CNP serial {serial} is not 0–999")
    body = f"{first}{birth_date:%y%m%d}{county_code:02d}{serial:03d}"
    return body + cnp_check_digit(body)


def make_cui(digits: str) -> str:
    """A valid CUI: the given digits followed by their check digit."""
    return digits + stdnum_cui.calc_check_digit(digits)


def seed_courses(session: Session) -> list[Course]:
    """The catalogue courses (one per category), created when missing, in catalogue order."""
    codes = [entry[1] for entry in COURSE_CATALOGUE]
    existing = {course.code: course
                for course in session.scalars(select(Course).where(Course.code.in_(codes)))}
    courses = []
    for category, code, title, hours, modality, description, competences in COURSE_CATALOGUE:
        course = existing.get(code)
        if course is None:
            course = Course(code=code, category=category.value, title=title,
                            planned_hours=Decimal(hours), modality=modality.value,
                            description=description, competences=competences)
            session.add(course)
        courses.append(course)
    session.flush()
    return courses


def seed_reference_data(session: Session) -> Call:
    """The POCU/3.12 call with its rules and checklists, and the course catalogue (idempotent)."""
    seed_courses(session)
    return seed_call(session)


def demo_is_loaded(session: Session) -> bool:
    """Whether the demo project exists in the database."""
    return session.scalar(select(Project.id).where(Project.code == DEMO_PROJECT_CODE)) is not None


def demo_logins() -> list[tuple[str, str, str]]:
    """The (role, email, password) of every demo account."""
    return [(role, email, password) for role, email, password, _name, _sme in DEMO_USERS]


def login_line(role: str, email: str, password: str) -> str:
    """How `flask demo` prints an account (DESIGN §10): a coordinator's line ends with the code
    of the project whose team they are on."""
    line = f"login: {role} {email} {password}"
    if role == Role.COORDINATOR.value and email in DEMO_TEAMS:
        line += f" {DEMO_TEAMS[email]}"
    return line


def load_demo(session: Session, today: date | None = None) -> list[tuple[str, str, str]]:
    """Load the demo programme into an empty database; returns the logins it created.

    Does nothing (and returns []) when the database already holds a project.
    """
    if session.scalar(select(Project.id).limit(1)) is not None:
        return []
    today = today or date.today()
    rng = random.Random(DEMO_SEED)
    call = seed_reference_data(session)
    courses = {course.code: course for course in seed_courses(session)}
    project = _demo_project(call, today)
    session.add(project)
    enterprises = _demo_enterprises(rng, today)
    session.add_all(enterprises)
    users, logins = _demo_users(session, enterprises)
    session.add_all(users)
    participants = _demo_participants(rng, enterprises, today)
    session.add_all(participants)
    memberships = _demo_memberships(rng, project, participants, users, today)
    session.add_all(memberships)
    cohorts = _demo_cohorts(rng, project, courses, users, memberships, today)
    session.add_all(cohorts)
    second, second_cohort = _demo_second_project(rng, project, courses, users, today)
    session.add_all([second, second_cohort])
    _demo_teams(session, users, {project.code: project, second.code: second})
    session.add_all(_demo_applications(rng, project, enterprises, users, today))
    session.commit()
    _close_finished(session, cohorts, today)
    _demo_journey(session, rng, project, enterprises, today)
    return logins


def demo_trainee(session: Session, days: int) -> Membership | None:
    """The demo person whose personal link `flask demo` prints (DESIGN §16): the first with a
    certificate, so the page shows attendance and a certificate; the link is (re)issued when
    it is not live (`days`: how long a link lives)."""
    membership = session.scalar(
        select(Membership).join(Project, Project.id == Membership.project_id)
        .join(Enrollment, Enrollment.membership_id == Membership.id)
        .join(Certificate, Certificate.enrollment_id == Enrollment.id)
        .where(Project.code == DEMO_PROJECT_CODE).order_by(Membership.id).limit(1))
    if membership is not None and not link_is_live(membership, days):
        issue_link(session, membership, None)
        session.commit()
    return membership


def trainee_link_line(session: Session, secret_key: str, base_url: str, days: int) -> str | None:
    """`link: trainee <url>`: the demo person's own page, as `flask demo` prints it."""
    membership = demo_trainee(session, days)
    if membership is None:
        return None
    return f"link: trainee {base_url.rstrip('/')}/t/{link_token(secret_key, membership)}"


#: the demo courses' cost per participant-hour (EUR), by code; the others cost 10
DEMO_HOUR_COSTS = {"C-CYBER": 9, "C-ERP": 14, "C-CRM": 11, "C-ROBOT": 16, "C-CNC": 15}


def _demo_journey(session: Session, rng: random.Random, project: Project,
                  enterprises: list[Enterprise], today: date) -> None:
    """DESIGN §17 in the demo: course costs and tags, a voucher per SME partly spent by its
    employees' enrollments, entry self-assessments (exit for some), situations at exit and
    a few answered follow-ups."""
    from trainhub.journey.models import (
        ExitSituation,
        FollowUp,
        Voucher,
        VoucherCharge,
    )
    from trainhub.journey.seed import STARTER_COURSE_DIMENSIONS
    from trainhub.journey.services import cohort_value, latest_questionnaire, save_assessment

    for course in session.scalars(select(Course)):
        course.cost_per_hour_eur = Decimal(DEMO_HOUR_COSTS.get(course.code, 10))
        course.dimensions = course.dimensions or STARTER_COURSE_DIMENSIONS.get(course.code, [])
    session.flush()
    enrollments = session.scalars(
        select(Enrollment).join(Cohort).where(Cohort.project_id == project.id,
                                              Enrollment.status != EnrollmentStatus.WITHDRAWN)
        .order_by(Enrollment.id)).all()
    by_firm: dict[int, list[Enrollment]] = {}
    for enrollment in enrollments:
        firm_id = enrollment.membership.participant.enterprise_id
        if firm_id is not None:
            by_firm.setdefault(firm_id, []).append(enrollment)
    questions = latest_questionnaire(session).questions
    for number, enterprise in enumerate(enterprises):
        values = [(e, cohort_value(session, e.cohort)) for e in by_firm.get(enterprise.id, [])]
        spent = sum((value for _e, value in values), Decimal(0))
        budget = (spent * Decimal("1.4") / 1000).quantize(Decimal(1)) * 1000 + 2000
        voucher = Voucher(project=project, enterprise=enterprise, budget_eur=budget,
                          expires_on=project.end_date)
        session.add(voucher)
        session.add_all(VoucherCharge(voucher=voucher, enrollment=e, amount_eur=value)
                        for e, value in values)
        level = rng.randint(0, 2)
        for kind, lift in (("entry", 0), ("exit", 2)):
            if kind == "exit" and number % 2:
                continue  # half of the SMEs have not reached the end yet
            answers = {}
            for question in questions:
                allowed = [c["points"] for c in question.choices] or list(range(6))
                wanted = min(5, level + lift + rng.randint(0, 2))
                answers[question.code] = str(min(allowed, key=lambda p, w=wanted: abs(p - w)))
            save_assessment(session, project, enterprise, kind, answers,
                            today - timedelta(days=200 if kind == "entry" else 5), user_id=None)
    exited = session.scalars(select(Membership).where(Membership.project_id == project.id,
                                                      Membership.exit_date.is_not(None))
                             .order_by(Membership.id)).all()
    for number, membership in enumerate(exited):
        session.add(ExitSituation(membership=membership, employed=rng.random() < 0.9,
                                  qualification_obtained=rng.random() < 0.8,
                                  better_job=rng.random() < 0.25))
        if number % 3 == 0:  # the follow-up questionnaire went out; two in three answered
            answered = number % 2 == 0
            session.add(FollowUp(
                membership=membership, sent_at=utcnow(),
                answered_at=utcnow() if answered else None,
                employed=rng.random() < 0.9 if answered else None,
                better_job=rng.random() < 0.3 if answered else None,
                qualification_used=rng.random() < 0.7 if answered else None))
    session.commit()


def _demo_teams(session: Session, users: list[User], projects: dict[str, Project]) -> None:
    """Each demo coordinator and trainer on the team of their project (DEMO_TEAMS)."""
    for user in users:
        if user.email in DEMO_TEAMS:
            session.add(ProjectMember(project=projects[DEMO_TEAMS[user.email]], user=user,
                                      role=user.role))


def _demo_applications(rng: random.Random, project: Project, enterprises: list[Enterprise],
                       users: list[User], today: date) -> list[Application]:
    """Applications from the public form (DESIGN §16): a demo SME's, accepted, and a new
    company's, waiting in the coordinator's queue."""
    coordinator = _user_with_role(users, Role.COORDINATOR)
    firm = enterprises[0]
    accepted = Application(
        project=project, cui=firm.cui, company_name=firm.name, caen=firm.caen,
        county=firm.county, employees=firm.employees, contact_name=firm.contact_name,
        contact_email=firm.contact_email, contact_phone=firm.contact_phone,
        channel=Channel.EVENT.value, consent_at=_at(today - timedelta(days=40), time(10, 0)),
        extra_contacts=[], status=ApplicationStatus.ACCEPTED.value, enterprise=firm,
        decided_by=coordinator, decided_at=_at(today - timedelta(days=38), time(9, 0)))
    waiting = Application(
        project=project, cui=_random_cui(rng, {e.cui for e in enterprises}),
        company_name="Nova Print Design SRL", caen="1812", county="RO-CJ", employees=11,
        contact_name="Irina Mureșan", contact_email="irina@novaprint.ro",
        contact_phone=_random_phone(rng), channel=Channel.SOCIAL_MEDIA.value,
        consent_at=_at(today - timedelta(days=2), time(16, 30)), extra_contacts=[])
    return [accepted, waiting]


def _demo_second_project(rng: random.Random, first: Project, courses: dict[str, Course],
                         users: list[User], today: date) -> tuple[Project, Cohort]:
    """The call's second project, in the west: its own SME, 8 eligible employees and an
    upcoming cohort of its own trainer; its team sees none of the first project's people."""
    project = Project(
        call=first.call, code=DEMO_PROJECT_2_CODE,
        title="Competențe digitale pentru angajații IMM din regiunile Sud-Vest Oltenia și Vest",
        start_date=first.start_date, end_date=first.end_date, regions=list(DEMO_REGIONS_2))
    project.targets = [ProjectTarget(indicator_code=code, value=value) for code, value in
                       (("TOTAL", 40), ("AGE55_64", 6), ("WOMEN", 16), ("CR03", 30))]
    project.periods = [ReportingPeriod(label=label, start_date=start, end_date=end)
                       for label, start, end in _quarters(today)]
    name, caen, county, locality, employees, turnover, balance, trainees, domain = (
        DEMO_ENTERPRISE_2)
    contact_first, contact_last = _random_name(rng, rng.random() < 0.5)
    enterprise = Enterprise(
        cui=_random_cui(rng, set()), name=name, caen=caen, county=county, locality=locality,
        employees=employees, turnover_eur=Decimal(turnover), balance_eur=Decimal(balance),
        contact_name=f"{contact_first} {contact_last}", contact_email=f"office@{domain}",
        contact_phone=_random_phone(rng))
    team = {user.role: user for user in users if DEMO_TEAMS.get(user.email) == project.code}
    trainer = team[Role.TRAINER.value]
    course = courses["C-CYBER"]
    start, end = time(16, 0), time(20, 0)
    dates = _weekday_dates(today + timedelta(days=21), (1, 3),
                           int(course.planned_hours / session_hours(start, end)))
    cohort = Cohort(project=project, course=course, code=f"{project.code}-C-CYBER-01",
                    trainer=trainer, capacity=20, location="Timișoara, Bd. Revoluției nr. 5",
                    start_date=dates[0], end_date=dates[-1])
    cohort.sessions = [TrainingSession(date=day, start_time=start, end_time=end,
                                       hours=session_hours(start, end),
                                       topic=f"{course.title} — sesiunea {position}")
                       for position, day in enumerate(dates, start=1)]
    used_emails: set[str] = set()
    for index in range(trainees):
        woman = index % 5 in (1, 3)
        birth = today - timedelta(days=int(365.25 * rng.randint(24, 58)) + rng.randint(30, 330))
        first_name, last_name = _random_name(rng, woman)
        participant = Participant(
            cnp=make_cnp("F" if woman else "M", birth, 35, 201 + index),
            last_name=last_name, first_name=first_name,
            email=_unique_email(f"{_ascii(first_name)}.{_ascii(last_name)}", domain, used_emails),
            phone=_random_phone(rng), county=county, environment=Environment.URBAN.value,
            isced=rng.choice([3, 4, 6, 7]), employment_status=EmploymentStatus.EMPLOYED.value,
            disability=False, minority_or_migrant=False, enterprise=enterprise,
            job_title=rng.choice(JOB_TITLES))
        consent = _at(today - timedelta(days=rng.randint(5, 30)), time(9, 30))
        membership = Membership(
            project=project, participant=participant, reasons=[], evidence={"source": "demo"},
            consent_given_at=consent, consent_text_version="2026-01",
            consent_method="formular de înregistrare semnat",
            eligibility_status=Eligibility.ELIGIBLE.value, decided_at=consent + timedelta(days=1),
            decided_by=team[Role.COORDINATOR.value])
        cohort.enrollments.append(Enrollment(membership=membership,
                                             status=EnrollmentStatus.ENROLLED.value,
                                             enrolled_on=today))
    return project, cohort


def _close_finished(session: Session, cohorts: list[Cohort], today: date) -> None:
    """Close the cohorts whose sessions are all past and issue their certificates (DESIGN
    §15: the demo shows a closed cohort with certificates)."""
    for cohort in cohorts:
        if cohort.end_date is not None and cohort.end_date < today:
            close_cohort(session, cohort, today, confirmed=True)
            issue_certificates(session, cohort, today)


def _demo_project(call: Call, today: date) -> Project:
    """The demo project, running from a year before `today` to a year after, with targets."""
    start = date(today.year - 1, today.month, 1)
    end = _month_start(date(today.year + 1, today.month, 1) + timedelta(days=31)) - timedelta(days=1)
    project = Project(
        call=call, code=DEMO_PROJECT_CODE,
        title="Competențe digitale pentru angajații IMM din regiunile Nord-Vest, Centru, "
              "Nord-Est, Sud-Muntenia și București-Ilfov",
        start_date=start, end_date=end, regions=list(DEMO_REGIONS),
    )
    project.targets = [
        ProjectTarget(indicator_code=code, value=value)
        for code, value in (("TOTAL", 120), ("AGE55_64", 20), ("WOMEN", 50), ("CR03", 90))
    ]
    project.periods = [ReportingPeriod(label=label, start_date=first, end_date=last)
                       for label, first, last in _quarters(today)]
    return project


def _demo_enterprises(rng: random.Random, today: date) -> list[Enterprise]:
    """The demo SMEs with random valid CUIs and a few de minimis aids."""
    enterprises = []
    used_cuis: set[str] = set()
    for name, caen, county, locality, employees, turnover, balance, _trainees, domain in (
        DEMO_ENTERPRISES
    ):
        contact_first, contact_last = _random_name(rng, rng.random() < 0.5)
        enterprises.append(Enterprise(
            cui=_random_cui(rng, used_cuis), name=name, caen=caen, county=county,
            locality=locality, employees=employees,
            turnover_eur=Decimal(turnover) if turnover else None,
            balance_eur=Decimal(balance) if balance else None,
            contact_name=f"{contact_first} {contact_last}",
            contact_email=f"office@{domain}", contact_phone=_random_phone(rng),
        ))
    for enterprise_index, days_ago, amount, source in DEMO_AIDS:
        enterprises[enterprise_index].aids.append(DeMinimisAid(
            granted_on=today - timedelta(days=days_ago), amount_eur=Decimal(amount), source=source,
        ))
    for _role, _email, _password, full_name, sme_index in DEMO_USERS:
        if sme_index is not None:
            enterprises[sme_index].contact_name = full_name
    return enterprises


def _demo_users(
    session: Session, enterprises: list[Enterprise]
) -> tuple[list[User], list[tuple[str, str, str]]]:
    """The demo accounts and the logins of those created; accounts that exist are kept as is."""
    method = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
    users, logins = [], []
    for role, email, password, full_name, sme_index in DEMO_USERS:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, full_name=full_name, role=role,
                        enterprise=enterprises[sme_index] if sme_index is not None else None)
            user.set_password(password, method)
            logins.append((role, email, password))
        users.append(user)
    return users, logins


def _demo_participants(
    rng: random.Random, enterprises: list[Enterprise], today: date
) -> list[Participant]:
    """120 employees of the demo SMEs: 40 % women, 22 aged 55–63, one aged 66, one unemployed."""
    employers = [(enterprise, spec[8]) for enterprise, spec
                 in zip(enterprises, DEMO_ENTERPRISES, strict=True) for _ in range(spec[7])]
    count = len(employers)
    women = set(rng.sample(range(count), round(count * 0.4)))
    seniors = set(rng.sample(range(count), 22))
    ordinary = [index for index, (enterprise, _domain) in enumerate(employers)
                if index not in seniors and enterprise.employees is not None]
    too_old, unemployed, *self_employed = rng.sample(ordinary, 5)
    disabled = set(rng.sample(range(count), 3))
    minority = set(rng.sample(range(count), 4))
    used_emails: set[str] = set()
    participants = []
    for index, (employer, domain) in enumerate(employers):
        woman = index in women
        age = 66 if index == too_old else (
            rng.randint(55, 63) if index in seniors else rng.randint(22, 54))
        birth = today - timedelta(days=int(365.25 * age) + rng.randint(30, 330))
        first_name, last_name = _random_name(rng, woman)
        region = region_of(employer.county)
        status = (EmploymentStatus.UNEMPLOYED if index == unemployed
                  else EmploymentStatus.SELF_EMPLOYED if index in self_employed
                  else EmploymentStatus.EMPLOYED)
        participants.append(Participant(
            cnp=make_cnp("F" if woman else "M", birth, rng.randint(1, 46), index + 1),
            last_name=last_name, first_name=first_name,
            email=_unique_email(f"{_ascii(first_name)}.{_ascii(last_name)}", domain, used_emails),
            phone=_random_phone(rng),
            county=employer.county if rng.random() < 0.85 else rng.choice(
                [iso for iso, county in COUNTIES.items() if county.nuts2 == region]),
            environment=(Environment.URBAN if rng.random() < 0.7 else Environment.RURAL).value,
            isced=rng.choices([1, 2, 3, 4, 5, 6, 7, 8], weights=[2, 8, 40, 10, 5, 20, 12, 3])[0],
            employment_status=status.value,
            disability=index in disabled, minority_or_migrant=index in minority,
            enterprise=employer, job_title=rng.choice(JOB_TITLES),
        ))
    return participants


def _demo_memberships(
    rng: random.Random, project: Project, participants: list[Participant], users: list[User],
    today: date,
) -> list[Membership]:
    """Memberships in the demo project: most eligible, a few pending, two ineligible.

    Employees of the SME without size figures wait (pending), as do four others; the one aged
    over 64 and the one no longer employed are ineligible, with the failed rule as the reason.
    """
    rules = {rule["code"]: rule for rule in DEFAULT_RULES}
    allowed_statuses = rules["employment_status"]["params"]["values"]
    coordinator = _user_with_role(users, Role.COORDINATOR)
    failed_rules = [
        [rule for rule, failing in (
            (rules["age"], age_on(cnp_birth_date(participant.cnp), today) > 64),
            (rules["employment_status"], participant.employment_status not in allowed_statuses),
        ) if failing]
        for participant in participants
    ]
    decidable = [index for index, participant in enumerate(participants)
                 if participant.enterprise.employees is not None]
    more_pending = set(rng.sample([index for index in decidable if not failed_rules[index]], 4))
    memberships = []
    for index, (participant, failed) in enumerate(zip(participants, failed_rules, strict=True)):
        consent = _at(today - timedelta(days=rng.randint(20, 120)), time(9, 30))
        membership = Membership(project=project, participant=participant, reasons=[],
                                evidence={}, consent_given_at=consent,
                                consent_text_version="2026-01",
                                consent_method="formular de înregistrare semnat")
        if failed:
            membership.eligibility_status = Eligibility.INELIGIBLE.value
            membership.reasons = [{"code": rule["code"], "passed": False,
                                   "severity": rule["severity"], "message": rule["message_ro"]}
                                  for rule in failed]
        elif index in more_pending or index not in decidable:
            membership.eligibility_status = Eligibility.PENDING.value
        else:
            membership.eligibility_status = Eligibility.ELIGIBLE.value
        if membership.eligibility_status != Eligibility.PENDING.value:
            membership.evidence = {"source": "demo"}
            membership.decided_at = consent + timedelta(days=rng.randint(1, 5))
            membership.decided_by = coordinator
        memberships.append(membership)
    return memberships


def _demo_cohorts(
    rng: random.Random, project: Project, courses: dict[str, Course], users: list[User],
    memberships: list[Membership], today: date,
) -> list[Cohort]:
    """Four cohorts (one finished, two running, one upcoming) of 20 eligible members each."""
    trainer = _user_with_role(users, Role.TRAINER)
    eligible = [membership for membership in memberships
                if membership.eligibility_status == Eligibility.ELIGIBLE.value]
    rng.shuffle(eligible)
    cohorts = []
    for number, (course_code, weekdays, start, end, offset, location) in enumerate(DEMO_COHORTS):
        course = courses[course_code]
        count = int(course.planned_hours / session_hours(start, end))
        dates = _weekday_dates(today + timedelta(days=offset), weekdays, count)
        cohort = Cohort(project=project, course=course, code=f"{project.code}-{course_code}-01",
                        trainer=trainer, capacity=20, location=location,
                        start_date=dates[0], end_date=dates[-1])
        cohort.sessions = [
            TrainingSession(date=day, start_time=start, end_time=end,
                            hours=session_hours(start, end),
                            topic=f"{course.title} — sesiunea {position}")
            for position, day in enumerate(dates, start=1)
        ]
        for membership in eligible[number * 20:(number + 1) * 20]:
            membership.consent_given_at = _at(
                cohort.start_date - timedelta(days=rng.randint(20, 40)), time(9, 30))
            membership.decided_at = membership.consent_given_at + timedelta(days=rng.randint(1, 5))
            enrollment = Enrollment(membership=membership, status=EnrollmentStatus.ENROLLED.value,
                                    enrolled_on=cohort.start_date)
            attended = []
            for training_session in cohort.sessions:
                if training_session.date >= today:
                    continue
                status = _random_mark_status(rng)
                if status in ATTENDED_STATUSES:
                    attended.append(training_session.date)
                enrollment.marks.append(AttendanceMark(
                    session=training_session, status=status,
                    hours=training_session.hours if status in ATTENDED_STATUSES else Decimal(0),
                    source=MarkSource.MANUAL.value, marked_by=trainer,
                    marked_at=_at(training_session.date, training_session.end_time),
                ))
            membership.entry_date = min(attended, default=None)
            cohort.enrollments.append(enrollment)
        cohorts.append(cohort)
    return cohorts


def _user_with_role(users: list[User], role: Role) -> User:
    return next(user for user in users if user.role == role.value)


def build_scale(
    session: Session, n_smes: int, today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """A benchmark dataset: project SCALE-<n> with n SMEs of 20 trained employees each.

    Each SME's employees form one cohort of 20 past sessions, every enrollment marked at every
    session. Rows go in with bulk Core inserts per batch of SMEs (no ORM, no audit trail), their
    ids counted up from the current maxima; committed after each batch.
    """
    if n_smes < 1:
        raise ValueError("n_smes must be at least 1")
    today = today or date.today()
    call = seed_reference_data(session)
    courses = seed_courses(session)
    project = _scale_project(session, call, n_smes, today)
    trainer_id = session.scalar(
        select(User.id).where(User.role == Role.TRAINER.value).order_by(User.id).limit(1)
    )
    session.commit()
    next_ids = {table.name: (session.scalar(select(func.max(table.c.id))) or 0) + 1
                for table in _SCALE_TABLES}
    counts = dict.fromkeys(["enterprises", "participants", "memberships", "cohorts", "sessions",
                            "enrollments", "marks"], 0)
    context = _ScaleContext(
        project_id=project.id, project_code=project.code, trainer_id=trainer_id,
        course_ids=[course.id for course in courses], today=today,
        counties=[iso for iso, county in COUNTIES.items() if county.nuts2 in project.regions],
    )
    for first_sme in range(0, n_smes, SCALE_SMES_PER_BATCH):
        sme_count = min(SCALE_SMES_PER_BATCH, n_smes - first_sme)
        rng = random.Random(f"{DEMO_SEED}-{project.code}-{first_sme}")
        batch_counts = _insert_scale_batch(session, context, rng, first_sme, sme_count, next_ids)
        for key, value in batch_counts.items():
            counts[key] += value
        session.commit()
        if progress is not None:
            progress(first_sme + sme_count, n_smes)
    _sync_id_sequences(session)
    session.commit()
    return counts


@dataclass(frozen=True)
class _ScaleContext:
    """What every batch of a scale build shares."""

    project_id: int
    project_code: str
    trainer_id: int | None
    course_ids: list[int]
    today: date
    counties: list[str]


def _scale_project(session: Session, call: Call, n_smes: int, today: date) -> Project:
    """A new project SCALE-<n> (SCALE-<n>-2, … when taken) with targets and two quarters."""
    code = f"SCALE-{n_smes}"
    taken = set(session.scalars(select(Project.code).where(Project.code.like(f"{code}%"))))
    suffix = 1
    while code in taken:
        suffix += 1
        code = f"SCALE-{n_smes}-{suffix}"
    participants = n_smes * SCALE_PARTICIPANTS_PER_SME
    project = Project(
        call=call, code=code, title=f"Set de date pentru măsurători: {n_smes} IMM",
        start_date=today - timedelta(days=400), end_date=today + timedelta(days=365),
        regions=list(DEMO_REGIONS),
    )
    project.targets = [
        ProjectTarget(indicator_code=indicator, value=value)
        for indicator, value in (("TOTAL", participants), ("AGE55_64", participants // 6),
                                 ("WOMEN", participants * 2 // 5), ("CR03", participants * 3 // 4))
    ]
    project.periods = [ReportingPeriod(project=project, label=label, start_date=first,
                                       end_date=last) for label, first, last in _quarters(today)]
    session.add(project)
    session.flush()
    return project


def _insert_scale_batch(
    session: Session, context: _ScaleContext, rng: random.Random, first_sme: int,
    sme_count: int, next_ids: dict[str, int],
) -> dict[str, int]:
    """Generate and insert one batch of SMEs with everything that hangs off them."""
    now = utcnow()
    stamps = {"created_at": now, "updated_at": now}
    enterprises, participants, cohorts, sessions = [], [], [], []
    memberships, enrollments = [], []
    attendance: list[tuple[int, list[tuple[int, date]], list[str]]] = []
    start, end = time(16, 0), time(20, 0)
    hours = session_hours(start, end)
    for sme in range(first_sme, first_sme + sme_count):
        enterprise_id = _take_id(next_ids, Enterprise.__table__)
        enterprises.append(_scale_enterprise(rng, context, sme, enterprise_id) | stamps)
        cohort_id = _take_id(next_ids, Cohort.__table__)
        dates = _weekday_dates(context.today - timedelta(days=100 + sme % 200), (1, 3),
                               SCALE_SESSIONS_PER_COHORT)
        cohorts.append({
            "id": cohort_id, "project_id": context.project_id,
            "course_id": context.course_ids[sme % len(context.course_ids)],
            "code": f"{context.project_code}-G{sme + 1:05d}", "trainer_id": context.trainer_id,
            "capacity": SCALE_PARTICIPANTS_PER_SME, "location": enterprises[-1]["locality"],
            "start_date": dates[0], "end_date": dates[-1], "closed_at": None,
        } | stamps)
        cohort_sessions = []
        for position, day in enumerate(dates, start=1):
            session_id = _take_id(next_ids, TrainingSession.__table__)
            sessions.append({"id": session_id, "cohort_id": cohort_id, "date": day,
                             "start_time": start, "end_time": end, "hours": hours,
                             "topic": f"Sesiunea {position}"})
            cohort_sessions.append((session_id, day))
        for _ in range(SCALE_PARTICIPANTS_PER_SME):
            participant_id = _take_id(next_ids, Participant.__table__)
            participants.append(_scale_participant(rng, enterprises[-1], participant_id) | stamps)
            statuses = [_random_mark_status(rng) for _ in cohort_sessions]
            entry = next((day for (_id, day), status in zip(cohort_sessions, statuses, strict=True)
                          if status in ATTENDED_STATUSES), None)
            membership_id = _take_id(next_ids, Membership.__table__)
            decided = _at(dates[0] - timedelta(days=10), time(10))
            memberships.append({
                "id": membership_id, "project_id": context.project_id,
                "participant_id": participant_id,
                "eligibility_status": Eligibility.ELIGIBLE.value, "reasons": [],
                "evidence": {"source": "scale"}, "decision_stale": False, "decided_at": decided,
                "decided_by_id": None, "entry_date": entry, "exit_date": None, "exit_reason": "",
                "consent_given_at": decided - timedelta(days=4),
                "consent_text_version": "2026-01", "consent_method": "formular de înregistrare semnat",
            } | stamps)
            enrollment_id = _take_id(next_ids, Enrollment.__table__)
            enrollments.append({
                "id": enrollment_id, "cohort_id": cohort_id, "membership_id": membership_id,
                "status": EnrollmentStatus.ENROLLED.value, "enrolled_on": dates[0],
                "withdrawn_on": None, "override_reason": "", "override_by_id": None,
            } | stamps)
            attendance.append((enrollment_id, cohort_sessions, statuses))
    for table, rows in ((Enterprise.__table__, enterprises), (Participant.__table__, participants),
                        (Cohort.__table__, cohorts), (TrainingSession.__table__, sessions),
                        (Membership.__table__, memberships),
                        (Enrollment.__table__, enrollments)):
        _insert_rows(session, table, rows)
    first_mark_id = next_ids[AttendanceMark.__table__.name]
    marks = _insert_rows(session, AttendanceMark.__table__, _scale_marks(
        attendance, hours, first_mark_id, context.trainer_id, now))
    next_ids[AttendanceMark.__table__.name] = first_mark_id + marks
    return {"enterprises": len(enterprises), "participants": len(participants),
            "memberships": len(memberships), "cohorts": len(cohorts), "sessions": len(sessions),
            "enrollments": len(enrollments), "marks": marks}


def _scale_enterprise(rng: random.Random, context: _ScaleContext, sme: int,
                      enterprise_id: int) -> dict:
    county = context.counties[sme % len(context.counties)]
    employees = rng.randint(SCALE_PARTICIPANTS_PER_SME, 240)
    turnover = Decimal(rng.randint(employees * 40, employees * 120) * 1000)
    balance = (turnover * Decimal(rng.randint(40, 90)) / 100).quantize(Decimal("0.01"))
    name = f"{rng.choice(COMPANY_NAME_STEMS)}{rng.choice(COMPANY_NAME_TAILS).lower()} {sme + 1} SRL"
    return {
        "id": enterprise_id, "cui": make_cui(str(_SCALE_CUI_BASE + enterprise_id)),
        "name": name, "caen": rng.choice(["2229", "2562", "3109", "4120", "4941", "6201", "7022"]),
        "county": county, "locality": COUNTIES[county].name, "nuts2": region_of(county),
        "employees": employees, "turnover_eur": turnover, "balance_eur": balance,
        "size_class": size_class_of(employees, turnover, balance).value,
        "contact_name": "", "contact_email": f"office{enterprise_id}@scale.trainhub.test",
        "contact_phone": _random_phone(rng),
    }


def _scale_participant(rng: random.Random, enterprise: dict, participant_id: int) -> dict:
    woman = rng.random() < 0.42
    first_name, last_name = _random_name(rng, woman)
    cnp = scale_cnp(participant_id, "F" if woman else "M")
    return {
        "id": participant_id, "cnp": cnp, "last_name": last_name, "first_name": first_name,
        "sex": cnp_sex(cnp), "birth_date": cnp_birth_date(cnp),
        "email": f"{_ascii(first_name)}.{_ascii(last_name)}.{participant_id}@scale.trainhub.test",
        "phone": _random_phone(rng), "county": enterprise["county"],
        "environment": (Environment.URBAN if rng.random() < 0.7 else Environment.RURAL).value,
        "isced": rng.choices([1, 2, 3, 4, 5, 6, 7, 8], weights=[2, 8, 40, 10, 5, 20, 12, 3])[0],
        "employment_status": EmploymentStatus.EMPLOYED.value,
        "disability": rng.random() < 0.02, "minority_or_migrant": rng.random() < 0.03,
        "enterprise_id": enterprise["id"], "job_title": rng.choice(JOB_TITLES),
    }


def scale_cnp(index: int, sex: str) -> str:
    """The CNP of the `index`-th scale participant: distinct for every index below ~3.7e8.

    The index is scrambled over the space of (county, birth date 1962–2005, serial 500–999),
    so consecutive indexes get unrelated ages and counties.
    """
    position = (index * _SCALE_CNP_SCRAMBLE) % _SCALE_CNP_SPACE
    position, county = divmod(position, _SCALE_CNP_COUNTIES)
    serial, day = divmod(position, _SCALE_BIRTH_DAYS)
    return make_cnp(sex, _SCALE_BIRTH_FIRST + timedelta(days=day), county + 1,
                    _SCALE_SERIAL_FIRST + serial)


def _scale_marks(
    attendance: list[tuple[int, list[tuple[int, date]], list[str]]], hours: Decimal,
    first_id: int, trainer_id: int | None, marked_at: datetime,
) -> Iterator[dict]:
    zero = Decimal(0)
    mark_id = first_id
    for enrollment_id, cohort_sessions, statuses in attendance:
        for (session_id, _day), status in zip(cohort_sessions, statuses, strict=True):
            yield {"id": mark_id, "session_id": session_id, "enrollment_id": enrollment_id,
                   "status": status, "hours": hours if status in ATTENDED_STATUSES else zero,
                   "source": MarkSource.MANUAL.value, "marked_by_id": trainer_id,
                   "marked_at": marked_at}
            mark_id += 1


def _insert_rows(session: Session, table: Table, rows: Iterable[dict]) -> int:
    """Bulk-insert rows in batches of INSERT_ROWS_PER_BATCH; returns how many went in."""
    inserted = 0
    iterator = iter(rows)
    while batch := list(islice(iterator, INSERT_ROWS_PER_BATCH)):
        session.execute(insert(table), batch)
        inserted += len(batch)
    return inserted


def _take_id(next_ids: dict[str, int], table: Table) -> int:
    taken = next_ids[table.name]
    next_ids[table.name] = taken + 1
    return taken


def _sync_id_sequences(session: Session) -> None:
    """On PostgreSQL, move the id sequences past the ids the scale build assigned itself."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in _SCALE_TABLES:
        session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), max(id)) "
            f"FROM {table.name} HAVING max(id) IS NOT NULL"
        ))


def _random_mark_status(rng: random.Random) -> str:
    draw = rng.random()
    if draw < 0.82:
        return MarkStatus.PRESENT.value
    if draw < 0.89:
        return MarkStatus.LATE.value
    if draw < 0.96:
        return MarkStatus.ABSENT.value
    return MarkStatus.EXCUSED.value


def _random_name(rng: random.Random, woman: bool) -> tuple[str, str]:
    first_names = FEMALE_FIRST_NAMES if woman else MALE_FIRST_NAMES
    return rng.choice(first_names), rng.choice(LAST_NAMES)


def _random_phone(rng: random.Random) -> str:
    return f"07{rng.randint(20, 89)}{rng.randint(0, 999_999):06d}"


def _random_cui(rng: random.Random, used: set[str]) -> str:
    while True:
        cui = make_cui(f"{rng.randint(1, 9)}{rng.randint(0, 99_999_999):08d}")
        if cui not in used:
            used.add(cui)
            return cui


def _ascii(text: str) -> str:
    """Lower-case ASCII for e-mail addresses: `Ștefănescu` → `stefanescu`."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if ch.isascii() and (ch.isalnum() or ch in ".-"))


def _unique_email(local: str, domain: str, used: set[str]) -> str:
    email, number = f"{local}@{domain}", 1
    while email in used:
        number += 1
        email = f"{local}{number}@{domain}"
    used.add(email)
    return email


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=UTC)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _quarters(today: date) -> list[tuple[str, date, date]]:
    """(label, first day, last day) of the quarter before today's and of today's quarter."""
    current = _quarter_start(today)
    previous = _quarter_start(current - timedelta(days=1))
    following = _quarter_start(current + timedelta(days=95))
    return [
        (f"T{(first.month - 1) // 3 + 1} {first.year}", first, last)
        for first, last in ((previous, current - timedelta(days=1)),
                            (current, following - timedelta(days=1)))
    ]


def _weekday_dates(first_day: date, weekdays: tuple[int, ...], count: int) -> list[date]:
    """The first `count` dates on or after `first_day` that fall on one of `weekdays`."""
    dates = []
    day = first_day
    while len(dates) < count:
        if day.weekday() in weekdays:
            dates.append(day)
        day += timedelta(days=1)
    return dates
