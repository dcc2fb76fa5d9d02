"""Column mappings saved per project and file kind: kept, offered to the next upload, labelled."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from trainhub.imports.models import MAPPED_KINDS, ImportMapping
from trainhub.imports.services import (
    IGNORED,
    UNKNOWN,
    ImportReport,
    MappingRefused,
    check_mapping,
    normalise_column,
)

#: the fields a column may be mapped to, as the forms and pages call them
FIELD_LABELS = {
    "cui": _l("CUI"), "name": _l("Company name"), "caen": _l("CAEN code"),
    "county": _l("County"), "locality": _l("Locality"), "employees": _l("Employees"),
    "turnover_eur": _l("Annual turnover (EUR)"), "balance_eur": _l("Balance sheet total (EUR)"),
    "contact_name": _l("Contact person"), "contact_email": _l("Contact e-mail"),
    "contact_phone": _l("Contact phone"),
    "cnp": _l("CNP"), "last_name": _l("Last name"), "first_name": _l("First name"),
    "email": _l("E-mail"), "phone": _l("Phone"), "enterprise_cui": _l("Employer CUI"),
    "job_title": _l("Job title"), "environment": _l("Environment"),
    "isced": _l("Education (ISCED)"), "employment_status": _l("Employment status"),
    "disability": _l("Disability"), "minority_or_migrant": _l("Minority/migrant"),
    "eligibility": _l("Eligibility"), "decided_on": _l("Decision date"), "sex": _l("Sex"),
    "birth_date": _l("Birth date"),
    "cohort_code": _l("Cohort"), "date": _l("Date"), "status": _l("Attendance"),
    "hours": _l("Hours"), "remark": _l("Remark"),
}


def field_label(name: str) -> object:
    """The field as the pages call it (its name when it has no label)."""
    return FIELD_LABELS.get(name, name)


def saved_mapping(db_session: Session, project_id: int, kind: str) -> dict | None:
    """The mapping `project_id` saved for files of `kind`, or None."""
    if kind not in MAPPED_KINDS:
        return None
    return db_session.scalar(select(ImportMapping.columns).where(
        ImportMapping.project_id == project_id, ImportMapping.kind == kind))


def merged_mapping(db_session: Session, project_id: int, kind: str, aliases: dict,
                   choices: dict[str, str | None]) -> dict[str, str | None]:
    """The mapping saved for `project_id` and `kind` with `choices` ({file column: field or
    None}) laid over it, not saved; a field the kind does not take is refused (MappingRefused,
    naming the accepted fields by their labels)."""
    if kind not in MAPPED_KINDS:
        raise MappingRefused([_l("a column mapping applies to one sheet of a single kind;"
                                 " the workbook's sheets take their own column names")])
    choices = check_mapping(choices, aliases, label=field_label)
    chosen = {normalise_column(column) for column in choices}
    kept = {column: name for column, name in (saved_mapping(db_session, project_id, kind)
                                              or {}).items()
            if normalise_column(column) not in chosen}
    return kept | choices


def save_mapping(db_session: Session, project_id: int, kind: str,
                 mapping: dict[str, str | None], *, user_id: int | None) -> None:
    """Keep `mapping` (as `merged_mapping` made it) for the next files of `kind`."""
    stored = db_session.scalar(select(ImportMapping).where(
        ImportMapping.project_id == project_id, ImportMapping.kind == kind))
    if stored is None:
        stored = ImportMapping(project_id=project_id, kind=kind)
        db_session.add(stored)
    stored.columns = dict(mapping)
    stored.updated_by_id = user_id
    db_session.commit()


def mappable_columns(report: ImportReport, mapping: dict | None) -> list[tuple[str, str | None]]:
    """The file columns the preview lets the user map, with the field each goes to now: those
    no field takes, those the mapping ignores, and those the mapping sends to a field."""
    mapped = {normalise_column(column) for column in mapping or {}}
    loose = {item.column for item in report.not_imported if item.reason in (UNKNOWN, IGNORED)}
    return [(column, name) for column, name in report.columns_read.items()
            if column in loose or normalise_column(column) in mapped]
