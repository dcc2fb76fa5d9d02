"""The target-group register: one XLSX row per member of a project, written as a stream."""
import io
from datetime import date
from operator import itemgetter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trainhub.core.identifiers import age_on, mask_cnp, mask_cnps_in
from trainhub.core.spreadsheets import xlsx_bytes
from trainhub.enterprises.models import Enterprise
from trainhub.participants.models import Membership, Participant, target_group_flags
from trainhub.programme.identity import letterhead_for
from trainhub.programme.models import Project

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FLAGS = ("age_55_64", "woman", "rural", "isced_low", "disability", "minority_or_migrant")
HEADER = ["project", "cnp", "last_name", "first_name", "sex", "birth_date", "age", "county",
          "environment", "isced", "employment_status", "disability", "minority_or_migrant",
          "email", "phone", "job_title", "enterprise_cui", "enterprise_name", "enterprise_county",
          "region", "size_class", *FLAGS, "eligibility", "decision_stale", "decided_at",
          "reasons", "entry_date", "exit_date", "exit_reason"]


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


#: special-category columns (GDPR art. 9), left out for readers who may not see them
SPECIAL_COLUMNS = {"disability", "minority_or_migrant", "flag_disability",
                   "flag_minority_or_migrant"}


def register_rows(db_session: Session, project: Project, *, full_cnp: bool, today: date,
                  special_categories: bool = True):
    """The header, then one row per member of `project`, read in batches; the
    special-category columns only when `special_categories`."""
    header = _flag_header()
    keep = [index for index, name in enumerate(header)
            if special_categories or name not in SPECIAL_COLUMNS]
    rows = _all_rows(db_session, project, full_cnp=full_cnp, today=today)
    if len(keep) == len(header):
        yield from rows
    else:
        pick = itemgetter(*keep)
        for row in rows:
            yield pick(row)


def _flag_header() -> list[str]:
    """HEADER with the flag columns told apart from the answers (`flag_disability`)."""
    flag_start = HEADER.index("size_class") + 1
    return [f"flag_{name}" if flag_start <= index < flag_start + len(FLAGS) else name
            for index, name in enumerate(HEADER)]


def _reasons(reasons: list[dict], *, full_cnp: bool) -> str:
    """The failed rules in one cell; a CNP in a coordinator's note is masked like the column."""
    text = "; ".join(f"{r['code']}: {r.get('message_en') or r.get('message', '')}"
                     for r in reasons if not r.get("passed", False))
    return text if full_cnp else mask_cnps_in(text)


#: the columns the register reads, in one query: plain rows, not objects
_COLUMNS = (Participant.cnp, Participant.last_name, Participant.first_name, Participant.sex,
            Participant.birth_date, Participant.county, Participant.environment, Participant.isced,
            Participant.employment_status, Participant.disability,
            Participant.minority_or_migrant, Participant.email, Participant.phone,
            Participant.job_title, Enterprise.cui, Enterprise.name, Enterprise.county,
            Enterprise.nuts2, Enterprise.size_class, Membership.eligibility_status,
            Membership.decision_stale, Membership.decided_at, Membership.reasons,
            Membership.entry_date, Membership.exit_date, Membership.exit_reason)


def _all_rows(db_session: Session, project: Project, *, full_cnp: bool, today: date):
    yield _flag_header()  # each column once: a re-import reads the answers, not the flags
    stmt = (select(*_COLUMNS).select_from(Membership)
            .join(Participant, Participant.id == Membership.participant_id)
            .outerjoin(Enterprise, Enterprise.id == Participant.enterprise_id)
            .where(Membership.project_id == project.id)
            .order_by(Participant.last_name, Participant.first_name, Membership.id)
            # a server-side cursor on PostgreSQL: rows come in batches, never all at once
            .execution_options(yield_per=1000))
    code = project.code
    for (cnp, last_name, first_name, sex, birth_date, county, environment, isced, employment,
         disability, minority, email, phone, job_title, cui, employer_name, employer_county,
         region, size_class, eligibility, stale, decided_at, reasons, entry_date, exit_date,
         exit_reason) in db_session.execute(stmt):
        age = age_on(birth_date, today)
        flags = target_group_flags(age, sex, environment, isced, disability, minority)
        yield [
            code, cnp if full_cnp else mask_cnp(cnp), last_name, first_name, sex, birth_date,
            age, county or "", environment or "", isced, employment or "", _yes_no(disability),
            _yes_no(minority), email, phone, job_title, cui or "", employer_name or "",
            employer_county or "", region or "", size_class or "",
            *[_yes_no(flags[name]) for name in FLAGS],
            eligibility, _yes_no(stale), decided_at.replace(tzinfo=None) if decided_at else None,
            _reasons(reasons, full_cnp=full_cnp) if reasons else "",
            entry_date, exit_date, exit_reason,
        ]


def register_workbook(db_session: Session, project: Project, *, full_cnp: bool,
                      today: date, special_categories: bool = True) -> io.BytesIO:
    """The register as an XLSX file in memory (written row by row, write-only mode)."""
    return io.BytesIO(xlsx_bytes("register", register_rows(
        db_session, project, full_cnp=full_cnp, today=today,
        special_categories=special_categories),
        letterhead=letterhead_for(db_session, project, None).lines()))


def register_size(db_session: Session, project: Project) -> int:
    """How many rows the register of `project` has (one per member)."""
    return db_session.scalar(select(func.count()).select_from(Membership)
                             .where(Membership.project_id == project.id)) or 0


def register_name(project: Project) -> str:
    """The name the register of `project` is downloaded with."""
    return f"target-group-{project.code}.xlsx"
