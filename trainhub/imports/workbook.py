"""The workbook import (DESIGN §9): a whole project's records from one XLSX, in one transaction.

Sheets are imported in dependency order inside one transaction, each one seeing the rows the
earlier sheets wrote; if any row of any sheet is bad (and the import is not partial), or on a
dry run, the whole transaction is rolled back, so the database is left as it was. An empty
optional cell keeps what is stored (DESIGN §13 "Nothing lost").
"""
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from trainhub.attendance.services import ATTENDANCE_ALIASES, import_attendance
from trainhub.auth.models import Role, User
from trainhub.core import cleaning
from trainhub.core.cleaning import Cleaned, bounded_text, whole_number
from trainhub.courses.models import (
    Cohort,
    Course,
    Enrollment,
    EnrollmentStatus,
    TrainingSession,
)
from trainhub.courses.services import (
    CourseError,
    cohort_write_problem,
    course_category,
    save_session,
)
from trainhub.enterprises.models import Enterprise
from trainhub.enterprises.services import ENTERPRISE_ALIASES, lei_to_eur
from trainhub.imports.importers import (
    CHUNK,
    NEW,
    UNCHANGED,
    UPDATED,
    Change,
    as_typed,
    count_changes,
    duplicate_key,
    import_enterprises,
    import_participants,
    upsert,
)
from trainhub.imports.services import (
    CellError,
    ImportReport,
    RowError,
    Table,
    parse_choice,
    parse_date,
    parse_decimal,
    parse_time,
    require_columns,
    synonyms,
    text,
)
from trainhub.journey.services import VoucherOverBudget, charge_voucher, refund_voucher
from trainhub.participants.locks import lock_people, takes_row_locks
from trainhub.participants.models import Membership, Participant
from trainhub.participants.services import PARTICIPANT_ALIASES
from trainhub.programme.models import Project

SHEETS = {
    "enterprises": ENTERPRISE_ALIASES, "participants": PARTICIPANT_ALIASES,
    "courses": synonyms({"code": ["cod", "cod curs"], "category": ["categorie", "categoria"],
                         "title": ["titlu", "denumire", "denumire curs"],
                         "planned_hours": ["ore planificate", "nr. ore", "număr ore", "ore"]}),
    "cohorts": synonyms({"code": ["cod", "grupa", "cod grupă"],
                         "course_code": ["cod curs", "curs"],
                         "capacity": ["capacitate", "locuri", "nr. locuri"],
                         "trainer_email": ["e-mail formator", "email formator", "formator"]}),
    "sessions": synonyms({"cohort_code": ["grupa", "cod grupă"], "date": ["data"],
                          "start": ["ora început", "început", "de la"],
                          "end": ["ora sfârșit", "sfârșit", "până la"]}),
    "enrollments": synonyms({"cohort_code": ["grupa", "cod grupă"], "cnp": [],
                             "enrolled_on": ["data înscrierii", "înscris la"],
                             "status": ["stare", "statut"],
                             "withdrawn_on": ["data retragerii", "retras la"]}),
    "attendance": ATTENDANCE_ALIASES,
}


def _hours(value: object) -> Decimal:
    hours = parse_decimal(value)
    if not 1 <= hours <= 1000:
        raise CellError(_l("planned hours must be between 1 and 1000"))
    return hours


def _errors(report: ImportReport, table: Table, number: int, cleaned: Cleaned) -> bool:
    for column, message in cleaned.errors.items():
        report.errors.append(RowError(table.sheet, number, column, message))
    return bool(cleaned.errors)


def _courses(db_session: Session, table: Table, report: ImportReport) -> None:
    require_columns(table, ["code", "category", "title", "planned_hours"])
    existing = {c.code: c for c in db_session.scalars(select(Course))}
    seen: dict = {}
    for number, row in table.rows:
        cleaned = Cleaned()
        cleaned.take(row, "code", lambda v: bounded_text(40)(v).upper(), required=True)
        cleaned.take(row, "category", course_category, required=True)
        cleaned.take(row, "title", bounded_text(300), required=True)
        cleaned.take(row, "planned_hours", _hours, required=True)
        if _errors(report, table, number, cleaned) or duplicate_key(
                report, seen, cleaned.values["code"], table, number, "code"):
            continue
        values = cleaned.values
        action = upsert(db_session, existing.get(values["code"]), values,
                        lambda values=values: Course(**values))
        count_changes(report, [Change(table.sheet, number, values["code"], action)])
    db_session.flush()


def _cohorts(db_session: Session, project: Project, table: Table, report: ImportReport) -> None:
    require_columns(table, ["code", "course_code"])
    courses = {c.code: c for c in db_session.scalars(select(Course))}
    trainers = {u.email: u for u in db_session.scalars(select(User).where(User.role == Role.TRAINER))}
    existing = {c.code: c for c in db_session.scalars(select(Cohort))}
    seen: dict = {}
    for number, row in table.rows:
        cleaned = Cleaned()
        cleaned.take(row, "code", bounded_text(40), required=True)
        cleaned.take(row, "course_code", lambda v: text(v).upper(), required=True)
        cleaned.take(row, "capacity", whole_number(1, 500), default=25)
        cleaned.take(row, "trainer_email", lambda v: text(v).lower())
        course = courses.get(cleaned.values.get("course_code"))
        if "course_code" not in cleaned.errors and course is None:
            cleaned.errors["course_code"] = _l("no course %(code)s",
                                               code=as_typed(row.get("course_code")))
        trainer_email = cleaned.values.get("trainer_email")
        if trainer_email and trainer_email not in trainers:
            cleaned.errors["trainer_email"] = _l("no trainer account %(email)s",
                                                 email=as_typed(row.get("trainer_email")))
        cohort = existing.get(cleaned.values.get("code"))
        if cohort is not None and cohort.project_id != project.id:
            cleaned.errors["code"] = _l("this cohort code belongs to another project")
        if _errors(report, table, number, cleaned) or duplicate_key(
                report, seen, cleaned.values["code"], table, number, "code"):
            continue
        values = {"course_id": course.id, "capacity": cleaned.values["capacity"],
                  "trainer_id": trainers[trainer_email].id if trainer_email else None}
        given = dict(values)  # an empty cell keeps the stored capacity and trainer
        if "capacity" in cleaned.blank:
            del given["capacity"]
        if "trainer_email" in cleaned.blank:
            del given["trainer_id"]
        code = cleaned.values["code"]
        action = upsert(db_session, cohort, given, lambda values=values, code=code: Cohort(
            project_id=project.id, code=code, **values))
        count_changes(report, [Change(table.sheet, number, cleaned.values["code"], action)])
    db_session.flush()


def _no_cohort(row: dict, project: Project):
    return _l("no cohort %(code)s in project %(project)s", code=as_typed(row.get("cohort_code")),
              project=project.code)


def _project_cohorts(db_session: Session, project: Project) -> dict[str, Cohort]:
    return {c.code: c for c in db_session.scalars(select(Cohort).where(Cohort.project_id == project.id))}


#: the sheet's column of a field save_session names
SESSION_COLUMNS = {"date": "date", "end_time": "end", "start_time": "start"}


def _sessions(db_session: Session, project: Project, table: Table, report: ImportReport) -> None:
    require_columns(table, ["cohort_code", "date", "start", "end"])
    cohorts = _project_cohorts(db_session, project)
    existing = {(s.cohort_id, s.date, s.start_time): s for s in db_session.scalars(
        select(TrainingSession).where(TrainingSession.cohort_id.in_([c.id for c in cohorts.values()])))}
    for number, row in table.rows:
        cleaned = Cleaned()
        cleaned.take(row, "cohort_code", text, required=True)
        cleaned.take(row, "date", parse_date, required=True)
        cleaned.take(row, "start", parse_time, required=True)
        cleaned.take(row, "end", parse_time, required=True)
        cohort = cohorts.get(cleaned.values.get("cohort_code"))
        if "cohort_code" not in cleaned.errors and cohort is None:
            cleaned.errors["cohort_code"] = _no_cohort(row, project)
        if cohort is not None and (closed := cohort_write_problem(cohort)) is not None:
            cleaned.errors["cohort_code"] = closed
        if _errors(report, table, number, cleaned):
            continue
        start, end = cleaned.values["start"], cleaned.values["end"]
        key = (cohort.id, cleaned.values["date"], start)
        session = existing.get(key)
        action = NEW if session is None else UPDATED if session.end_time != end else UNCHANGED
        if action != UNCHANGED:
            try:  # the one function that adds or changes a session, as on the cohort page
                save_session(db_session, cohort, session, day=key[1], start=start, end=end,
                             topic=session.topic if session is not None else "", commit=False)
            except CourseError as refused:
                report.errors.append(RowError(table.sheet, number,
                                              SESSION_COLUMNS.get(refused.field, "date"),
                                              refused.message))
                continue
            if session is None:
                existing[key] = db_session.scalar(select(TrainingSession).where(
                    TrainingSession.cohort_id == cohort.id, TrainingSession.date == key[1],
                    TrainingSession.start_time == start))
        count_changes(report, [Change(table.sheet, number, f"{cohort.code} {key[1]} {start:%H:%M}", action)])


def _enrollments(db_session: Session, project: Project, table: Table, report: ImportReport) -> None:
    require_columns(table, ["cohort_code", "cnp", "enrolled_on", "status"])
    cohorts = _project_cohorts(db_session, project)
    members = {cnp: m for cnp, m in db_session.execute(
        select(Participant.cnp, Membership).join(Membership.participant)
        .where(Membership.project_id == project.id))}
    existing = {(e.cohort_id, e.membership_id): e for e in db_session.scalars(
        select(Enrollment).where(Enrollment.cohort_id.in_([c.id for c in cohorts.values()])))}
    seen: dict = {}
    for number, row in table.rows:
        cleaned = Cleaned()
        cleaned.take(row, "cohort_code", text, required=True)
        cleaned.take(row, "cnp", cleaning.cnp, required=True)
        cleaned.take(row, "enrolled_on", parse_date, required=True)
        cleaned.take(row, "status", parse_choice({s.value for s in EnrollmentStatus}), required=True)
        cleaned.take(row, "withdrawn_on", parse_date)
        cohort = cohorts.get(cleaned.values.get("cohort_code"))
        if "cohort_code" not in cleaned.errors and cohort is None:
            cleaned.errors["cohort_code"] = _no_cohort(row, project)
        if cohort is not None and (closed := cohort_write_problem(cohort)) is not None:
            cleaned.errors["cohort_code"] = closed
        membership = members.get(cleaned.values.get("cnp"))
        if "cnp" not in cleaned.errors and membership is None:
            cleaned.errors["cnp"] = _l("not a member of project %(code)s", code=project.code)
        enrollment = existing.get((cohort.id, membership.id)) if cohort and membership else None
        withdrawn_on, enrolled_on = cleaned.values.get("withdrawn_on"), cleaned.values.get("enrolled_on")
        if (withdrawn_on is None and enrollment is not None
                and cleaned.values.get("status") == EnrollmentStatus.WITHDRAWN):
            withdrawn_on = enrollment.withdrawn_on  # an empty cell keeps the stored date
        if withdrawn_on and enrolled_on and withdrawn_on < enrolled_on:
            cleaned.errors["withdrawn_on"] = _l("before the enrollment date")
        charge = None
        if (not cleaned.errors and cohort and membership
                and cleaned.values["status"] != EnrollmentStatus.WITHDRAWN
                and (enrollment is None or enrollment.status == EnrollmentStatus.WITHDRAWN)):
            # a new (or returning) enrollment spends the employer's skills voucher, as every
            # enrollment path does; a row that re-imports a stored enrollment spends nothing
            try:
                charge = charge_voucher(db_session, cohort, membership, enrollment, enrolled_on)
            except VoucherOverBudget as over:
                cleaned.errors["cnp"] = over.problems[0]
        if _errors(report, table, number, cleaned) or duplicate_key(
                report, seen, f"{cohort.code}/{membership.id}", table, number, "cnp"):
            continue
        values = {"status": cleaned.values["status"], "enrolled_on": enrolled_on,
                  "withdrawn_on": withdrawn_on}
        target = enrollment or Enrollment(cohort=cohort, membership=membership, **values)
        action = upsert(db_session, enrollment, values, lambda target=target: target)
        if charge is not None:
            charge.enrollment = target
            db_session.add(charge)
        elif enrollment is not None and values["status"] == EnrollmentStatus.WITHDRAWN:
            refund_voucher(db_session, enrollment, withdrawn_on or enrolled_on)
        count_changes(report, [Change(table.sheet, number, f"{cohort.code} {cleaned.values['cnp']}", action)])
    db_session.flush()



def _merge(total: ImportReport, part: ImportReport) -> None:
    total.errors.extend(part.errors)
    total.changes.extend(part.changes)
    total.employer_changes.extend(part.employer_changes)
    total.created += part.created
    total.updated += part.updated
    total.unchanged += part.unchanged
    total.skipped += part.skipped


def import_workbook(db_session: Session, project: Project, tables: dict[str, Table], *,
                    user_id: int | None, partial: bool = False, dry_run: bool = False,
                    allow_employer_change: bool = False,
                    fiscal_year: int | None = None) -> ImportReport:
    """Every sheet of a project workbook (`tables`, as `read_workbook` read them), all or
    nothing (valid rows only with `partial`); people change employer only with
    `allow_employer_change`."""
    report = ImportReport(lei_rate=lei_to_eur(db_session, tables.get("enterprises"), fiscal_year))
    report.read_from(*tables.values())
    steps = [
        ("enterprises", lambda t: import_enterprises(db_session, project, t, user_id=user_id,
                                                     partial=True, commit=False)),
        ("participants", lambda t: import_participants(
            db_session, project, t, user_id=user_id, partial=True, commit=False, decisions=True,
            allow_employer_change=allow_employer_change)),
        ("courses", lambda t: _sub(lambda r: _courses(db_session, t, r))),
        ("cohorts", lambda t: _sub(lambda r: _cohorts(db_session, project, t, r))),
        ("sessions", lambda t: _sub(lambda r: _sessions(db_session, project, t, r))),
        ("enrollments", lambda t: _sub(lambda r: _enrollments(db_session, project, t, r))),
        ("attendance", lambda t: import_attendance(db_session, project, t, user_id=user_id,
                                                   partial=True, commit=False)),
    ]
    try:
        if takes_row_locks(db_session):
            lock_people(db_session, _named_people(db_session, tables), enrollments=True)
        for sheet, step in steps:
            if sheet in tables:
                _merge(report, step(tables[sheet]))
    except Exception:
        db_session.rollback()
        raise
    if (report.errors and not partial) or dry_run:
        db_session.rollback()
        return report
    db_session.commit()
    report.written = True
    return report


def _named_people(db_session: Session, tables: dict[str, Table]) -> list[int]:
    """Ids of the registered people the import may change: those a sheet names by CNP, and
    the employees of the enterprises it names (a changed employer re-evaluates them)."""
    cnps = _cleaned(tables, ("participants", "enrollments", "attendance"), "cnp", cleaning.cnp)
    cuis = _cleaned(tables, ("enterprises",), "cui", cleaning.cui)
    found = set()
    for column, keys in ((Participant.cnp, cnps), (Enterprise.cui, cuis)):
        for start in range(0, len(keys), CHUNK):
            found.update(db_session.scalars(select(Participant.id).join(
                Enterprise, isouter=True).where(column.in_(keys[start:start + CHUNK]))))
    return sorted(found)


def _cleaned(tables: dict[str, Table], sheets: tuple[str, ...], column: str, clean) -> list[str]:
    """The valid, cleaned values of `column` on these sheets (each sheet's own step reports
    the invalid ones)."""
    values = set()
    for table in (tables[sheet] for sheet in sheets if sheet in tables):
        for _, row in table.rows:
            try:
                values.add(clean(row.get(column)))
            except CellError:
                continue
    return sorted(values)


def _sub(run) -> ImportReport:
    part = ImportReport()
    run(part)
    return part
