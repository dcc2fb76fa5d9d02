"""Web import: upload a file, see every bad row and what would change, then confirm."""
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from trainhub.auth.permissions import permission_required
from trainhub.auth.scoping import get_visible_or_404, scoped
from trainhub.extensions import db
from trainhub.imports.importers import importers, read_import, run_import, summary
from trainhub.imports.mappings import (
    field_label,
    mappable_columns,
    merged_mapping,
    save_mapping,
    saved_mapping,
)
from trainhub.imports.models import MAPPED_KINDS
from trainhub.imports.services import ImportFailed, fields_of
from trainhub.imports.staging import Staged, stage, staged_upload, staging_directory
from trainhub.jobs.models import JobStatus
from trainhub.jobs.services import start_job, visible_job
from trainhub.programme.models import Project

bp = Blueprint("imports", __name__, url_prefix="/imports")

KIND_LABELS = {"enterprises": _l("Enterprises"), "participants": _l("Participants"),
               "attendance": _l("Attendance"), "workbook": _l("Project workbook (all sheets)")}
PREVIEW_ROWS = 200


class UploadForm(FlaskForm):
    kind = SelectField(_l("What the file holds"), choices=list(KIND_LABELS.items()))
    project_id = SelectField(_l("Project"), coerce=int)
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired()])
    partial = BooleanField(_l("Import the valid rows even if some rows are bad"))
    fiscal_year = IntegerField(
        _l("Financial year of amounts in lei"), validators=[Optional(), NumberRange(1990, 2100)],
        description=_l("Amounts in lei are converted to EUR at that year's average rate; blank"
                       " means last year."))


class ConfirmForm(FlaskForm):
    allow_employer_change = BooleanField(_l("Also apply the employer changes listed above"))


def _staging_dir() -> Path:
    path = staging_directory(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def _staged(token: str) -> Staged:
    """The staged upload of `token`; only its uploader may use it."""
    staged = staged_upload(_staging_dir(), token, current_user.id)
    if staged is None:
        abort(404)
    return staged


@bp.route("/", methods=["GET", "POST"])
@permission_required("imports.run")
def upload():
    form = UploadForm()
    form.project_id.choices = [tuple(row) for row in db.session.execute(
        scoped(select(Project.id, Project.code).order_by(Project.start_date.desc()), Project,
               current_user))]
    if not form.is_submitted():
        form.kind.data = request.args.get("kind", "participants")
    if form.validate_on_submit():
        mapping = saved_mapping(db.session, form.project_id.data, form.kind.data)
        staged = stage(_staging_dir(), form.file.data.save, kind=form.kind.data,
                       project_id=form.project_id.data, user_id=current_user.id,
                       partial=bool(form.partial.data), fiscal_year=form.fiscal_year.data,
                       mapping=mapping, mapping_saved=mapping is not None)
        return _to_preview(staged)
    return render_template("imports/upload.html", form=form)


def _to_preview(staged: Staged):
    """On to the preview; a file over IMPORT_JOB_BYTES is first read once by a background job
    (the preview and the confirm step then use the tables it kept)."""
    staged.job_id = None
    staged.save_settings()  # before the job starts: it reads the file with these settings
    if not _read_by_a_job(staged):
        return redirect(url_for("imports.preview", token=staged.token))
    job = start_job(db.session, "import.preview", current_user, {"token": staged.token},
                    project_id=staged.project_id)
    staged.job_id = job.id
    staged.save_settings()
    return redirect(url_for("jobs.detail", job_id=job.id))


def _read_by_a_job(staged: Staged) -> bool:
    """Whether the file is big enough to be read by a background job (IMPORT_JOB_BYTES)."""
    return staged.path.stat().st_size > current_app.config["IMPORT_JOB_BYTES"]


def _run(staged: Staged, *, dry_run: bool, allow_employer_change: bool = False):
    """Run the import of `staged` on the tables its preview kept (read and kept when there
    are none that match the file and its settings)."""
    project = get_visible_or_404(Project, staged.project_id, current_user)
    content = staged.path.read_bytes()
    tables = staged.kept_tables(content)
    if tables is None:
        tables = read_import(staged.kind, content, sheet=staged.sheet, mapping=staged.mapping)
        staged.keep_tables(content, tables)
    report = run_import(db.session, staged.kind, None, project, user_id=current_user.id,
                        partial=staged.partial, dry_run=dry_run,
                        allow_employer_change=allow_employer_change,
                        fiscal_year=staged.fiscal_year, tables=tables)
    return project, report


@bp.route("/<token>")
@permission_required("imports.run")
def preview(token: str):
    """What the import would do; for a big file, what its background job found (the file is
    neither read nor checked again here)."""
    staged = _staged(token)
    kept = None
    if staged.job_id is not None:
        job = visible_job(db.session, staged.job_id, current_user)
        if job is None or not job.finished:
            return redirect(url_for("jobs.detail", job_id=staged.job_id))
        if job.status == JobStatus.FAILED:
            return _failed_preview(staged, job.error or _(
                "The file could not be read. Upload it again."))
        kept = staged.kept_report(staged.path.read_bytes())
    if kept is not None:
        project = get_visible_or_404(Project, staged.project_id, current_user)
        report, failure = kept
        if failure is not None:
            return _failed_preview(staged, failure)
    else:
        try:
            project, report = _run(staged, dry_run=True)
        except ImportFailed as failure:
            db.session.rollback()
            return _failed_preview(staged, failure)
        db.session.rollback()
    aliases = importers()[staged.kind].aliases
    return render_template("imports/preview.html", report=report, meta=staged, project=project,
                           token=token, failure=None, form=ConfirmForm(),
                           kind_labels=KIND_LABELS, shown=report.changes[:PREVIEW_ROWS],
                           mappable=mappable_columns(report, staged.mapping)
                           if staged.kind in MAPPED_KINDS else [],
                           fields=[(name, field_label(name)) for name in fields_of(aliases)])


def _failed_preview(staged: Staged, failure):
    return render_template("imports/preview.html", failure=failure, meta=staged,
                           token=staged.token, kind_labels=KIND_LABELS), 422


#: the most columns one mapping form may send
MAX_MAPPED_COLUMNS = 500


@bp.route("/<token>/mapping", methods=["POST"])
@permission_required("imports.run")
def mapping(token: str):
    """Save the columns' mapping for the project and kind when the file reads with it, and
    preview the file with it; with `clear`, preview the file without any mapping (nothing
    saved)."""
    staged = _staged(token)
    if request.form.get("clear"):
        staged.mapping, staged.mapping_saved = {}, False
        return _to_preview(staged)
    choices = {}
    for index in range(MAX_MAPPED_COLUMNS):
        column = request.form.get(f"column-{index}")
        if column is None:
            break
        choices[column] = request.form.get(f"field-{index}") or None
    try:
        merged = merged_mapping(db.session, staged.project_id, staged.kind,
                                importers()[staged.kind].aliases, choices)
        if _read_by_a_job(staged):  # it saves the mapping when the file reads with it
            job = start_job(db.session, "import.preview", current_user,
                            {"token": staged.token, "mapping": merged},
                            project_id=staged.project_id)
            return redirect(url_for("jobs.detail", job_id=job.id))
        content = staged.path.read_bytes()
        tables = read_import(staged.kind, content, sheet=staged.sheet, mapping=merged)
    except ImportFailed as refused:  # a field the kind lacks, or one given twice: not saved
        flash(str(refused), "danger")
        return redirect(url_for("imports.preview", token=token))
    save_mapping(db.session, staged.project_id, staged.kind, merged, user_id=current_user.id)
    staged.mapping, staged.mapping_saved, staged.job_id = merged, False, None
    staged.save_settings()
    staged.keep_tables(content, tables)
    flash(_("The column mapping is saved for this project's %(kind)s files.",
            kind=str(KIND_LABELS[staged.kind]).lower()), "success")
    return redirect(url_for("imports.preview", token=token))


@bp.route("/<token>/confirm", methods=["POST"])
@permission_required("imports.run")
def confirm(token: str):
    form = ConfirmForm()
    staged = _staged(token)
    try:
        _project, report = _run(
            staged, dry_run=False, allow_employer_change=bool(form.allow_employer_change.data))
    except ImportFailed as failure:
        db.session.rollback()
        staged.discard()  # the file cannot be imported: the next try is a new upload
        flash(str(failure), "danger")
        return redirect(url_for("imports.upload"))
    if not report.written:
        db.session.rollback()
        flash(_("Nothing was imported: %(count)s rows have errors.",
                count=report.rows_with_errors), "danger")
        return redirect(url_for("imports.preview", token=token))
    staged.discard()
    flash(_("Imported: %(summary)s", summary=summary(report)), "success")
    target = {"enterprises": "enterprises.index", "attendance": "courses.cohorts"}.get(
        staged.kind, "participants.index")
    return redirect(url_for(target))


@bp.route("/<token>/cancel", methods=["POST"])
@permission_required("imports.run")
def cancel(token: str):
    """Drop the staged upload: its file and what its preview kept are removed."""
    staged = _staged(token)
    staged.discard()
    flash(_("The import was cancelled and the uploaded file removed."), "info")
    return redirect(url_for("imports.upload", kind=staged.kind))
