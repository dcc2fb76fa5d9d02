"""Document pages: the SME "what is missing" portal, uploads, downloads, review, board, editor."""
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from trainhub.auth.models import Role
from trainhub.auth.permissions import permission_required
from trainhub.auth.scoping import get_visible_or_404, scoped
from trainhub.core.bounds import an_id, ids_in
from trainhub.core.counts import kept_value
from trainhub.core.downloads import download_response
from trainhub.core.formats import options_markup
from trainhub.core.pagination import paginate, paginate_list
from trainhub.documents import services, storage
from trainhub.documents.forms import (
    CONDITION_LABELS,
    LEVEL_LABELS,
    TYPE_LABELS,
    RequirementForm,
)
from trainhub.documents.models import Document, DocumentRequirement
from trainhub.documents.review_markup import review_rows_markup
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.jobs.services import runs_as_job
from trainhub.jobs.views import start_job_page
from trainhub.participants.models import Participant
from trainhub.programme.models import Call

bp = Blueprint("documents", __name__, url_prefix="/documents")


@bp.context_processor
def _labels() -> dict:
    return {"status_labels": services.STATUS_LABELS, "type_labels": TYPE_LABELS,
            "level_labels": LEVEL_LABELS, "condition_labels": CONDITION_LABELS,
            "human_size": services.human_size, "requirement_title": services.requirement_title}


def _back(default: str):
    """Redirect to the form's `next` (a path on this site only) or to `default`."""
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return redirect(target)
    return redirect(default)


# --- the SME portal ---------------------------------------------------------------------------

@bp.route("/")
@permission_required("documents.read")
def index():
    """An SME lands on its own "what is missing" page; everybody else on the board."""
    if current_user.role == Role.SME and current_user.enterprise_id:
        return redirect(url_for("documents.portal", enterprise_id=current_user.enterprise_id))
    return redirect(url_for("documents.board"))


@bp.route("/enterprises/<int:enterprise_id>")
@permission_required("documents.read")
def portal(enterprise_id: int):
    """What is missing: the enterprise's checklist and each employee's, with completeness."""
    enterprise = get_visible_or_404(Enterprise, enterprise_id, current_user)
    employees = db.session.scalars(scoped(
        select(Participant).where(Participant.enterprise_id == enterprise.id)
        .order_by(Participant.last_name, Participant.first_name, Participant.id),
        Participant, current_user)).all()
    checklists = services.checklists_for(db.session, [enterprise], employees)
    return render_template(
        "documents/portal.html", enterprise=enterprise, employees=employees,
        checklists=checklists, own=checklists[services.owner_key(enterprise)],
        cells=line_cells(line.requirement for checklist in checklists.values()
                         for line in checklist.lines),
        overall=services.overall_completeness(checklists.values()))


@dataclass(frozen=True)
class LineCells:
    """What a checklist line shows of its requirement, whoever's line it is."""

    title: Markup
    accept: str
    hint: Markup


def line_cells(requirements: Iterable[DocumentRequirement]) -> dict[int, LineCells]:
    """Each requirement's title, accepted types and upload hint, made once per page, not once
    per owner. The title is text typed in by a person: escaped."""
    cells = {}
    for requirement in requirements:
        if requirement.id in cells:
            continue
        types = requirement.accepted_types
        cells[requirement.id] = LineCells(
            title=escape(str(services.requirement_title(requirement))),
            accept=",".join(types),
            hint=Markup(", ").join(TYPE_LABELS.get(kind, kind) for kind in types)
            + Markup(" · ") + Markup(escape(_("at most %(size)s",
                                              size=services.human_size(requirement.max_size)))))
    return cells


def _upload(owner, back: str):
    """Store each chosen file (`file-<requirement id>`) as the next version of its line."""
    files = {key: storage_file for key, storage_file in request.files.items(multi=True)
             if key.startswith("file-") and storage_file and storage_file.filename}
    lines = {requirement.id: requirement
             for requirement in services.checklist_lines(db.session, owner)}
    wanted = []
    for key, upload in files.items():
        requirement_id = key.removeprefix("file-")
        if not requirement_id.isdigit() or int(requirement_id) not in lines:
            abort(404)  # a line of somebody else's checklist: nothing is stored
        wanted.append((lines[int(requirement_id)], upload))
    if not wanted:
        flash(_("Choose at least one file to upload."), "warning")
        return redirect(back)
    for requirement, upload in wanted:
        title = services.requirement_title(requirement)
        data = upload.read()  # the request itself is capped by MAX_CONTENT_LENGTH
        try:
            document = services.upload_document(db.session, requirement, owner, data,
                                                upload.filename, current_user.id)
        except services.UploadRefused as refused:
            db.session.rollback()
            flash(_("%(title)s was not uploaded: %(problems)s", title=title,
                    problems=str(refused)), "danger")
        else:
            flash(_("%(title)s uploaded (version %(version)s); it waits for review.",
                    title=title, version=document.version), "success")
    return redirect(back)


@bp.route("/enterprises/<int:enterprise_id>/upload", methods=["POST"])
@permission_required("documents.upload")
def upload_enterprise(enterprise_id: int):
    enterprise = get_visible_or_404(Enterprise, enterprise_id, current_user)
    return _upload(enterprise, url_for("documents.portal", enterprise_id=enterprise.id))


@bp.route("/participants/<int:participant_id>/upload", methods=["POST"])
@permission_required("documents.upload")
def upload_participant(participant_id: int):
    participant = get_visible_or_404(Participant, participant_id, current_user)
    back = (url_for("documents.portal", enterprise_id=participant.enterprise_id,
                    _anchor=f"participant-{participant.id}")
            if participant.enterprise_id else url_for("documents.index"))
    return _upload(participant, back)


# --- one document: versions, download, preview ------------------------------------------------

@bp.route("/<int:document_id>")
@permission_required("documents.read")
def detail(document_id: int):
    document = get_visible_or_404(Document, document_id, current_user)
    return render_template("documents/detail.html", document=document,
                           versions=services.versions_of(db.session, document),
                           templates=services.REJECTION_TEMPLATES)


#: an image shown inline may draw itself and nothing else
IMAGE_ONLY = "default-src 'none'; img-src 'self'"


def _file_response(document: Document, inline: bool):
    path = services.stored_file(document)
    if path is None:
        abort(404)
    image = inline and document.content_type.startswith("image/")
    return download_response(path, document.original_name, document.content_type, inline=inline,
                             content_security_policy=IMAGE_ONLY if image else None)


@bp.route("/<int:document_id>/download")
@permission_required("documents.read")
def download(document_id: int):
    """The file as an attachment, only after the access check."""
    return _file_response(get_visible_or_404(Document, document_id, current_user), inline=False)


@bp.route("/<int:document_id>/preview")
@permission_required("documents.read")
def preview(document_id: int):
    """Images and script-free PDFs inline; anything else only as an attachment."""
    document = get_visible_or_404(Document, document_id, current_user)
    try:
        data = services.document_path(document).read_bytes()
    except (ValueError, OSError):
        abort(404)
    return _file_response(document, inline=storage.previewable(document.content_type, data))


# --- review ----------------------------------------------------------------------------------

@bp.route("/review")
@permission_required("documents.review")
def review():
    """Pending documents, oldest first, filtered by enterprise and line."""
    enterprise_id = request.args.get("enterprise", type=an_id)
    requirement_id = request.args.get("requirement", type=an_id)
    statements = services.review_statements(current_user, enterprise_id, requirement_id)
    page = paginate(statements.rows, per_page=50, rows=True, kept_count=statements.queue,
                    kept_rows=True)
    requirements = services.requirement_titles(db.session)
    titles = {line_id: title for line_id, _code, title in requirements}
    enterprises = statements.enterprises
    return render_template(
        "documents/review.html", page=page,
        rows=review_rows_markup(page.items, titles, generate_csrf(), request.full_path),
        # hundreds of options: kept while no upload, enterprise, person or team changes
        enterprise_options=kept_value(db.session, enterprises, lambda: options_markup(
            db.session.execute(enterprises).all(), enterprise_id), enterprise_id),
        requirement_options=options_markup([(line_id, f"{code} · {title}")
                                            for line_id, code, title in requirements],
                                           requirement_id),
        templates=services.REJECTION_TEMPLATES)


@bp.route("/<int:document_id>/accept", methods=["POST"])
@permission_required("documents.review")
def accept(document_id: int):
    document = get_visible_or_404(Document, document_id, current_user)
    try:
        services.accept(db.session, document, current_user.id)
    except services.ReviewRefused as refused:
        db.session.rollback()
        flash(str(refused), "danger")
    else:
        flash(_("%(title)s accepted.", title=services.requirement_title(document.requirement)),
              "success")
    return _back(url_for("documents.review"))


@bp.route("/<int:document_id>/reject", methods=["POST"])
@permission_required("documents.review")
def reject(document_id: int):
    document = get_visible_or_404(Document, document_id, current_user)
    reason = request.form.get("reason", "").strip() or request.form.get("template", "").strip()
    try:
        services.reject(db.session, document, reason, current_user.id)
    except services.ReviewRefused as refused:
        db.session.rollback()
        flash(str(refused), "danger")
    else:
        flash(_("%(title)s rejected; the SME sees the reason.",
                title=services.requirement_title(document.requirement)), "success")
    return _back(url_for("documents.review"))


@bp.route("/review/accept", methods=["POST"])
@permission_required("documents.review")
def bulk_accept():
    ids = ids_in(request.form.getlist("document_ids"))
    documents = db.session.scalars(scoped(select(Document).where(Document.id.in_(ids))
                                          .order_by(Document.id), Document,
                                          current_user)).all() if ids else []
    if not documents:
        flash(_("Choose at least one document."), "warning")
        return _back(url_for("documents.review"))
    accepted, problems = services.bulk_accept(db.session, documents, current_user.id)
    flash(ngettext("%(num)s document accepted.", "%(num)s documents accepted.", accepted),
          "success")
    for problem in problems:
        flash(str(problem), "warning")
    return _back(url_for("documents.review"))


# --- the board -------------------------------------------------------------------------------

@bp.route("/board")
@permission_required("documents.read")
def board():
    """Enterprises (or participants) ordered by missing documents; an SME sees its own."""
    show = "participants" if request.args.get("show") == "participants" else "enterprises"
    enterprise_rows, participant_rows = services.visible_board_counts(db.session, current_user)
    rows = participant_rows if show == "participants" else enterprise_rows
    page = paginate_list(rows)
    if show == "participants":
        services.with_to_do(db.session, page.items)
    enterprise_names = {row.owner.id: row.owner.name for row in enterprise_rows}
    return render_template("documents/board.html", page=page, show=show,
                           enterprise_names=enterprise_names,
                           overall=services.overall_completeness(enterprise_rows))


@bp.route("/board/export")
@permission_required("documents.read")
def board_export():
    """The board as CSV (default) or XLSX (?format=xlsx); a large board as a background job."""
    fmt = "xlsx" if request.args.get("format") == "xlsx" else "csv"
    rows = services.board_size(db.session, current_user)
    if runs_as_job(rows, current_app.config):
        return start_job_page("export.board", {"format": fmt}, total=rows)
    name, mimetype, content = services.board_file(
        services.board_export_table(db.session, current_user), fmt)
    return download_response(content, name, mimetype)


# --- the checklist editor --------------------------------------------------------------------

@bp.route("/checklists")
@permission_required("calls.read")
def checklists():
    """Every call with its checklist lines."""
    calls = db.session.scalars(select(Call).options(joinedload(Call.requirements))
                               .order_by(Call.code)).unique().all()
    return render_template("documents/checklists.html", calls=calls)


def _save_requirement(call: Call, requirement: DocumentRequirement | None):
    form = RequirementForm(obj=requirement)
    if request.method == "GET" and requirement is not None:
        form.max_size_mb.data = (Decimal(requirement.max_size) / (1024 * 1024)).quantize(
            Decimal("0.1"))
        form.condition.data = requirement.condition or ""
    if form.validate_on_submit():
        try:
            requirement = services.save_requirement(
                db.session, call, requirement, level=form.level.data, code=form.code.data,
                title_ro=form.title_ro.data, title_en=form.title_en.data,
                required=form.required.data, condition=form.condition.data,
                validity_days=form.validity_days.data, accepted_types=form.accepted_types.data,
                max_size=int(form.max_size_mb.data * 1024 * 1024), position=form.position.data)
        except services.RequirementError as error:
            db.session.rollback()
            form[error.field].errors.append(str(error))
        else:
            flash(_("Checklist line %(code)s saved.", code=requirement.code), "success")
            return redirect(url_for("documents.checklists", _anchor=f"call-{call.id}"))
    return render_template("documents/requirement_form.html", form=form, call=call,
                           requirement=requirement)


@bp.route("/calls/<int:call_id>/requirements/new", methods=["GET", "POST"])
@permission_required("calls.write")
def requirement_new(call_id: int):
    return _save_requirement(db.get_or_404(Call, call_id), None)


@bp.route("/requirements/<int:requirement_id>/edit", methods=["GET", "POST"])
@permission_required("calls.write")
def requirement_edit(requirement_id: int):
    requirement = db.get_or_404(DocumentRequirement, requirement_id)
    return _save_requirement(requirement.call, requirement)
