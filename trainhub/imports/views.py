"""Web import: upload a file, see every bad row and what would change, then confirm."""
import secrets
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
from trainhub.imports.importers import run_import, summary
from trainhub.imports.services import ImportFailed
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
    path = Path(current_app.config["UPLOAD_DIR"]) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _staged(token: str) -> tuple[Path, dict]:
    """The staged file of `token` and its settings; only its uploader may use it."""
    if not token.isalnum():
        abort(404)
    path = _staging_dir() / token
    meta_path = path.with_suffix(".meta")
    if not path.exists() or not meta_path.exists():
        abort(404)
    kind, project_id, partial, user_id, *rest = meta_path.read_text().split(":")
    if int(user_id) != current_user.id:
        abort(404)
    fiscal_year = int(rest[0]) if rest and rest[0].isdigit() else None
    return path, {"kind": kind, "project_id": int(project_id), "partial": partial == "1",
                  "fiscal_year": fiscal_year}


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
        token = secrets.token_hex(16)
        path = _staging_dir() / token
        form.file.data.save(path)
        path.with_suffix(".meta").write_text(
            f"{form.kind.data}:{form.project_id.data}:{int(form.partial.data)}:{current_user.id}"
            f":{form.fiscal_year.data or ''}")
        return redirect(url_for("imports.preview", token=token))
    return render_template("imports/upload.html", form=form)


def _run(token: str, *, dry_run: bool, allow_employer_change: bool = False):
    path, meta = _staged(token)
    project = get_visible_or_404(Project, meta["project_id"], current_user)
    report = run_import(db.session, meta["kind"], path.read_bytes(), project,
                        user_id=current_user.id, partial=meta["partial"], dry_run=dry_run,
                        allow_employer_change=allow_employer_change,
                        fiscal_year=meta["fiscal_year"])
    return path, meta, project, report


@bp.route("/<token>")
@permission_required("imports.run")
def preview(token: str):
    try:
        path, meta, project, report = _run(token, dry_run=True)
    except ImportFailed as failure:
        db.session.rollback()
        return render_template("imports/preview.html", failure=failure, meta=None, token=token,
                               kind_labels=KIND_LABELS), 422
    db.session.rollback()
    return render_template("imports/preview.html", report=report, meta=meta, project=project,
                           token=token, failure=None, form=ConfirmForm(),
                           kind_labels=KIND_LABELS, shown=report.changes[:PREVIEW_ROWS])


@bp.route("/<token>/confirm", methods=["POST"])
@permission_required("imports.run")
def confirm(token: str):
    form = ConfirmForm()
    try:
        path, meta, project, report = _run(
            token, dry_run=False, allow_employer_change=bool(form.allow_employer_change.data))
    except ImportFailed as failure:
        db.session.rollback()
        flash(str(failure), "danger")
        return redirect(url_for("imports.upload"))
    if not report.written:
        db.session.rollback()
        flash(_("Nothing was imported: %(count)s rows have errors.",
                count=report.rows_with_errors), "danger")
        return redirect(url_for("imports.preview", token=token))
    path.unlink(missing_ok=True)
    path.with_suffix(".meta").unlink(missing_ok=True)
    flash(_("Imported: %(summary)s", summary=summary(report)), "success")
    target = {"enterprises": "enterprises.index", "attendance": "courses.cohorts"}.get(
        meta["kind"], "participants.index")
    return redirect(url_for(target))
