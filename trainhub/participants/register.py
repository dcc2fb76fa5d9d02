"""The target-group register: one XLSX row per member of a project, written as a stream."""
import io
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from trainhub.core.identifiers import mask_cnp, mask_cnps_in
from trainhub.core.spreadsheets import xlsx_bytes
from trainhub.participants.models import Membership, Participant
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
    for row in _all_rows(db_session, project, full_cnp=full_cnp, today=today):
        yield [row[index] for index in keep]


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


def _all_rows(db_session: Session, project: Project, *, full_cnp: bool, today: date):
    yield _flag_header()  # each column once: a re-import reads the answers, not the flags
    stmt = (select(Membership)
            .options(joinedload(Membership.participant).joinedload(Participant.enterprise))
            .join(Participant).where(Membership.project_id == project.id)
            .order_by(Participant.last_name, Participant.first_name, Membership.id)
            .execution_options(yield_per=1000))
    for membership in db_session.scalars(stmt):
        person, employer = membership.participant, membership.participant.enterprise
        flags = person.flags(today)
        yield [
            project.code, person.cnp if full_cnp else mask_cnp(person.cnp), person.last_name,
            person.first_name, person.sex, person.birth_date, person.age_on(today),
            person.county or "", person.environment or "", person.isced,
            person.employment_status or "", _yes_no(person.disability),
            _yes_no(person.minority_or_migrant), person.email, person.phone, person.job_title,
            employer.cui if employer else "", employer.name if employer else "",
            employer.county if employer else "", employer.nuts2 if employer else "",
            employer.size_class if employer else "",
            *[_yes_no(flags[name]) for name in FLAGS],
            membership.eligibility_status, _yes_no(membership.decision_stale),
            membership.decided_at.replace(tzinfo=None) if membership.decided_at else None,
            _reasons(membership.reasons, full_cnp=full_cnp),
            membership.entry_date, membership.exit_date, membership.exit_reason,
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
