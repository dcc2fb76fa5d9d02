"""What each kind of background job does: it calls the area's own export or reader."""
from collections.abc import Callable
from datetime import date
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from trainhub.auth.permissions import can
from trainhub.auth.scoping import scoped
from trainhub.jobs.models import Job
from trainhub.jobs.services import JobFailed, JobResult, report_progress
from trainhub.programme.models import Project


def _project(db_session: Session, job: Job, owner) -> Project:
    """The job's project, when its owner (still) may see it."""
    project = db_session.scalar(scoped(select(Project).where(Project.id == job.project_id),
                                       Project, owner))
    if project is None:
        raise JobFailed([_l("The project is not there any more, or you cannot see it.")])
    return project


def export_register(db_session: Session, job: Job, owner, _config) -> JobResult:
    """The target-group register of the job's project (participants.register)."""
    from trainhub.participants.register import XLSX_TYPE, register_name, register_workbook
    from trainhub.participants.services import disclosure_for

    project = _project(db_session, job, owner)
    full = bool(job.params.get("full")) and can(owner, "participants.export_full")
    stream = register_workbook(db_session, project, full_cnp=full,
                               today=date.fromisoformat(job.params["today"]),
                               special_categories=disclosure_for(owner).special_categories)
    return JobResult(stream.getvalue(), register_name(project), XLSX_TYPE)


def export_board(db_session: Session, job: Job, owner, _config) -> JobResult:
    """The documents board of what the owner may see (documents.services)."""
    from trainhub.documents.services import board_export_table, board_file

    name, mimetype, content = board_file(board_export_table(db_session, owner),
                                         job.params.get("format", "csv"))
    return JobResult(content, name, mimetype)


def export_indicators(db_session: Session, job: Job, owner, _config) -> JobResult:
    """The indicator export of the job's project and period (indicators.exports)."""
    from trainhub.indicators.exports import FORMATS, MIME, export, export_name

    project = _project(db_session, job, owner)
    fmt = job.params["format"]
    if fmt not in FORMATS:
        raise ValueError(f"not an export format: {fmt!r}")
    start, end = date.fromisoformat(job.params["from"]), date.fromisoformat(job.params["to"])
    full = bool(job.params.get("full")) and can(owner, "participants.export_full")
    content = export(db_session, project, start, end, fmt, full_cnp=full)
    return JobResult(content, export_name(project, start, end, fmt), MIME[fmt])


def import_preview(db_session: Session, job: Job, owner, config) -> None:
    """Read a big staged upload once, reporting every 1,000 rows, keep the tables for the
    confirm step, and keep the dry run's report for the preview page (imports.staging).

    With a column `mapping` in the params (the preview's mapping form), the file is read with
    it, and only when it reads is the mapping saved for the project and taken by the staged
    upload (otherwise the job fails with the reason and the upload stays as it was)."""
    from trainhub.imports.importers import read_import, run_import
    from trainhub.imports.mappings import save_mapping
    from trainhub.imports.services import ImportFailed, reading_progress
    from trainhub.imports.staging import staged_upload

    staged = staged_upload(Path(config["UPLOAD_DIR"]) / "imports", job.params.get("token", ""),
                           owner.id)
    if staged is None:
        raise JobFailed([_l("The uploaded file is not there any more; upload it again.")])
    content = staged.path.read_bytes()
    is_csv = not content.startswith(b"PK\x03\x04")
    report_progress(db_session, job, 0, max(content.count(b"\n") - 1, 1) if is_csv else None)
    read: dict[str, int] = {}

    def progress(sheet: str, rows: int) -> None:
        read[sheet] = rows
        report_progress(db_session, job, sum(read.values()))

    mapping = job.params["mapping"] if "mapping" in job.params else staged.mapping
    with reading_progress(progress):
        tables = read_import(staged.kind, content, sheet=staged.sheet, mapping=mapping)
    if "mapping" in job.params:
        save_mapping(db_session, staged.project_id, staged.kind, mapping, user_id=owner.id)
        staged.mapping, staged.mapping_saved = mapping, False
    staged.keep_tables(content, tables)
    project = _project(db_session, job, owner)
    try:
        report, failure = run_import(
            db_session, staged.kind, None, project, user_id=owner.id, partial=staged.partial,
            dry_run=True, fiscal_year=staged.fiscal_year, tables=tables), None
    except ImportFailed as refused:  # e.g. a column missing: the preview says so
        report, failure = None, str(refused)
    db_session.rollback()  # a dry run writes nothing
    staged.keep_report(content, report, failure)
    staged.job_id = job.id  # the preview now shows what this job found
    staged.save_settings()
    rows = sum(len(table.rows) for table in tables.values())
    report_progress(db_session, job, rows, rows)
    return None


#: kind -> what it does: (session, job, owner, config) -> JobResult (a file) or None
KINDS: dict[str, Callable] = {
    "export.register": export_register,
    "export.board": export_board,
    "export.indicators": export_indicators,
    "import.preview": import_preview,
}

#: what the jobs pages call each kind
KIND_LABELS = {
    "export.register": _l("Target-group register export"),
    "export.board": _l("Documents board export"),
    "export.indicators": _l("Indicator export"),
    "import.preview": _l("Reading an import file"),
}
