"""Participant pages: filtered list, detail with each rule's outcome, forms, decision, register."""
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from trainhub.audit.services import record
from trainhub.auth.models import Role
from trainhub.auth.permissions import can, permission_required
from trainhub.auth.scoping import get_visible_or_404, scoped
from trainhub.core.errors import Problems
from trainhub.core.geography import county_choices, county_name
from trainhub.core.identifiers import mask_cnp
from trainhub.core.pagination import paginate
from trainhub.documents.services import checklist_for, requirement_title
from trainhub.enterprises.models import Enterprise
from trainhub.enterprises.services import FieldProblems
from trainhub.extensions import db
from trainhub.participants.eligibility import decide, evaluate_memberships
from trainhub.participants.forms import (
    EMPLOYMENT_LABELS,
    ENVIRONMENT_LABELS,
    ISCED_LABELS,
    DecisionForm,
    ParticipantForm,
)
from trainhub.participants.models import Membership, Participant
from trainhub.participants.register import register_workbook
from trainhub.participants.services import (
    AGE_BANDS,
    FLAG_FILTERS,
    PARTICIPANT_COLUMNS,
    default_project,
    memberships_by_participant,
    participant_list,
    save_participant,
)
from trainhub.programme.models import Project

bp = Blueprint("participants", __name__, url_prefix="/participants")


@bp.context_processor
def _helpers() -> dict:
    show_full = can(current_user, "participants.write")
    return {"county_name": county_name, "employment_labels": EMPLOYMENT_LABELS,
            "environment_labels": ENVIRONMENT_LABELS, "isced_labels": ISCED_LABELS,
            "cnp_shown": (lambda cnp: cnp) if show_full else mask_cnp,
            "requirement_title": requirement_title}


@bp.route("/")
@permission_required("participants.read")
def index():
    args = request.args
    stmt = participant_list(
        search=args.get("q", ""), enterprise_id=args.get("enterprise", type=int),
        county=args.get("county") or None, sex=args.get("sex") or None,
        age_band=args.get("age") or None, eligibility=args.get("eligibility") or None,
        flags=tuple(flag for flag in FLAG_FILTERS if args.get(flag)))
    page = paginate(scoped(stmt, Participant, current_user))
    enterprises = db.session.execute(scoped(
        select(Enterprise.id, Enterprise.name).order_by(Enterprise.name), Enterprise,
        current_user)).all() if current_user.role != Role.SME else []
    return render_template(
        "participants/list.html", page=page, today=date.today(), counties=county_choices(),
        enterprises=enterprises, age_bands=AGE_BANDS, flag_filters=FLAG_FILTERS,
        memberships=memberships_by_participant(db.session, [p.id for p in page.items]))


@bp.route("/<int:participant_id>")
@permission_required("participants.read")
def detail(participant_id: int):
    participant = get_visible_or_404(Participant, participant_id, current_user)
    today = date.today()
    memberships = memberships_by_participant(db.session, [participant.id])[participant.id]
    return render_template(
        "participants/detail.html", participant=participant, memberships=memberships,
        outcomes=evaluate_memberships(db.session, memberships, today), today=today,
        locale=str(get_locale()), decision_form=DecisionForm(),
        checklist=checklist_for(db.session, participant, today=today)
        if can(current_user, "documents.read") else None)


def _form_choices(form: ParticipantForm) -> None:
    if current_user.role != Role.SME:
        form.enterprise_id.choices = [(0, "—")] + [tuple(row) for row in db.session.execute(
            select(Enterprise.id, Enterprise.name).order_by(Enterprise.name))]
    form.project_id.choices = [tuple(row) for row in db.session.execute(
        select(Project.id, Project.code).order_by(Project.start_date.desc()))]


def _save(participant: Participant | None):
    form = ParticipantForm(obj=participant)
    _form_choices(form)
    if request.method == "GET":
        if participant is None and current_user.role != Role.SME:
            form.enterprise_id.data = request.args.get("enterprise_id", type=int) or 0
            project = default_project(db.session)
            form.project_id.data = project.id if project else None
        form.isced.data = "" if form.isced.data is None else str(form.isced.data)
    if current_user.role == Role.SME:
        del form.enterprise_id  # an SME registers its own employees only
    if current_user.role == Role.SME or participant is not None:
        del form.project_id  # SMEs' employees join the current project; members stay members
    if form.validate_on_submit():
        raw = {name: form[name].data for name in PARTICIPANT_COLUMNS
               if name in form and name != "enterprise_cui"}
        employer = db.session.get(Enterprise, form.enterprise_id.data or 0) \
            if "enterprise_id" in form else None
        raw["enterprise_cui"] = employer.cui if employer else None
        project = (db.session.get(Project, form.project_id.data) if "project_id" in form
                   else (None if participant else default_project(db.session)))
        try:
            participant = save_participant(
                db.session, participant, raw, project,
                only_enterprise_id=current_user.enterprise_id if current_user.role == Role.SME else None)
        except FieldProblems as problems:
            db.session.rollback()
            for name, message in problems.errors.items():
                form["enterprise_id" if name == "enterprise_cui" else name].errors.append(message)
        else:
            db.session.commit()
            flash(_("%(name)s saved.", name=participant.full_name), "success")
            return redirect(url_for("participants.detail", participant_id=participant.id))
    return render_template("participants/form.html", form=form, participant=participant)


@bp.route("/new", methods=["GET", "POST"])
@permission_required("participants.write")
def create():
    return _save(None)


@bp.route("/<int:participant_id>/edit", methods=["GET", "POST"])
@permission_required("participants.write")
def edit(participant_id: int):
    return _save(get_visible_or_404(Participant, participant_id, current_user))


@bp.route("/memberships/<int:membership_id>/decide", methods=["POST"])
@permission_required("participants.decide")
def decide_membership(membership_id: int):
    membership = get_visible_or_404(Membership, membership_id, current_user)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            decide(db.session, membership, form.status.data, user_id=current_user.id,
                   note=form.note.data or "", documents=_accepted_documents(membership))
        except Problems as problems:
            db.session.rollback()
            flash(str(problems), "danger")
        else:
            db.session.commit()
            flash(_("Decision recorded."), "success")
    else:
        flash(_("The decision was not recorded: choose eligible or ineligible."), "danger")
    return redirect(url_for("participants.detail", participant_id=membership.participant_id))


def _accepted_documents(membership: Membership) -> list[dict]:
    """Ids and hashes of the accepted documents of the person and the employer."""
    from trainhub.documents.models import Document, DocumentStatus

    person = membership.participant
    owners = Document.participant_id == person.id
    if person.enterprise_id:
        owners = owners | (Document.enterprise_id == person.enterprise_id)
    return [{"id": doc_id, "sha256": sha256} for doc_id, sha256 in db.session.execute(
        select(Document.id, Document.sha256).where(owners, Document.status == DocumentStatus.ACCEPTED)
        .order_by(Document.id))]


@bp.route("/register.xlsx")
@permission_required("participants.export")
def register_export():
    project = db.session.get(Project, request.args.get("project", type=int) or 0) \
        or default_project(db.session)
    if project is None:
        abort(404)
    full = bool(request.args.get("full")) and can(current_user, "participants.export_full")
    if full:
        record(db.session, "register.export_full", project, {"project": project.code})
        db.session.commit()
    stream = register_workbook(db.session, project, full_cnp=full, today=date.today())
    return send_file(stream, as_attachment=True,
                     download_name=f"target-group-{project.code}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
