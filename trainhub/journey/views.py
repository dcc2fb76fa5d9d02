"""Digital journey pages: an SME's maturity, recommendations and voucher; the project overview;
exit situations; the public six-month follow-up questionnaire."""
from datetime import date

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
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from trainhub.auth.models import Role
from trainhub.auth.permissions import can, permission_required, public
from trainhub.auth.scoping import get_visible_or_404, scoped
from trainhub.core.errors import Problems
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.journey.forms import ExitSituationForm, FollowUpForm, VoucherForm
from trainhub.journey.models import AssessmentKind, ExitSituation, Voucher
from trainhub.journey.services import (
    DIMENSION_LABELS,
    answer_follow_up,
    assessments_of,
    enterprise_projects,
    follow_up_for_token,
    grant_voucher,
    latest_questionnaire,
    long_term_results,
    maturity_rows,
    project_change,
    project_enterprises,
    project_vouchers,
    radar_svg,
    recommended_courses,
    record_exit_situation,
    save_assessment,
    score_change,
    training_aid,
    voucher_lines,
    weakest_dimensions,
)
from trainhub.participants.models import Membership
from trainhub.programme.models import Project

bp = Blueprint("journey", __name__, url_prefix="/journey")
follow_up_bp = Blueprint("follow_up", __name__)

ENTRY_COLOUR, EXIT_COLOUR = "#0d6efd", "#198754"


@bp.context_processor
def _helpers() -> dict:
    return {"dimension_labels": DIMENSION_LABELS,
            "kind_labels": {"entry": _("Entry"), "exit": _("Exit")}}


def _project_and_enterprise(project_id: int, enterprise_id: int) -> tuple[Project, Enterprise]:
    """Both visible to the user and the enterprise taking part in the project (else 404)."""
    project = get_visible_or_404(Project, project_id, current_user)
    enterprise = get_visible_or_404(Enterprise, enterprise_id, current_user)
    if db.session.scalar(project_enterprises(db.session, project)
                         .where(Enterprise.id == enterprise.id)) is None:
        abort(404)
    return project, enterprise


@bp.route("/")
@permission_required("journey.read")
def index():
    if current_user.role == Role.SME:
        enterprise = current_user.enterprise
        projects = [] if enterprise is None else db.session.scalars(
            enterprise_projects(enterprise)).all()
        return render_template("journey/index.html", projects=projects, enterprise=enterprise)
    projects = db.session.scalars(scoped(select(Project).order_by(Project.code), Project,
                                         current_user)).all()
    return render_template("journey/index.html", projects=projects, enterprise=None)


@bp.route("/projects/<int:project_id>")
@permission_required("journey.overview")
def project(project_id: int):
    project = get_visible_or_404(Project, project_id, current_user)
    enterprises = db.session.scalars(project_enterprises(db.session, project)).all()
    rows = maturity_rows(db.session, project, enterprises)
    vouchers = {line.voucher.enterprise_id: line
                for line in voucher_lines(db.session, project_vouchers(project))}
    return render_template("journey/project.html", project=project, rows=rows,
                           vouchers=vouchers, change=project_change(rows), today=date.today())


@bp.route("/projects/<int:project_id>/enterprises/<int:enterprise_id>")
@permission_required("journey.read")
def enterprise(project_id: int, enterprise_id: int):
    project, enterprise = _project_and_enterprise(project_id, enterprise_id)
    found = assessments_of(db.session, project.id, [enterprise.id])[enterprise.id]
    entry, exit_ = found.get("entry"), found.get("exit")
    series = [(a.scores, colour) for a, colour in ((entry, ENTRY_COLOUR), (exit_, EXIT_COLOUR))
              if a is not None]
    latest = exit_ or entry
    weakest, courses = recommended_courses(db.session, latest.scores if latest else {})
    lines = voucher_lines(db.session, select(Voucher).where(
        Voucher.project_id == project.id, Voucher.enterprise_id == enterprise.id))
    form = VoucherForm(obj=lines[0].voucher if lines else None)
    return render_template(
        "journey/enterprise.html", project=project, enterprise=enterprise, entry=entry,
        exit=exit_, change=score_change(entry, exit_),
        radar=radar_svg(series, DIMENSION_LABELS) if series else None,
        entry_colour=ENTRY_COLOUR, exit_colour=EXIT_COLOUR, weakest=weakest, courses=courses,
        voucher=lines[0] if lines else None, form=form, today=date.today())


@bp.route("/projects/<int:project_id>/enterprises/<int:enterprise_id>/assessment/"
          "<assessment_kind>", methods=["GET", "POST"])
@permission_required("journey.assess")
def assess(project_id: int, enterprise_id: int, assessment_kind: str):
    project, enterprise = _project_and_enterprise(project_id, enterprise_id)
    if assessment_kind not in {kind.value for kind in AssessmentKind}:
        abort(404)
    questionnaire = latest_questionnaire(db.session)
    problems, given = [], {}
    if request.method == "POST":
        given = {q.code: request.form.get(q.code) for q in questionnaire.questions}
        try:
            save_assessment(db.session, project, enterprise, assessment_kind, given,
                            date.today(), user_id=current_user.id)
        except Problems as refused:
            db.session.rollback()
            problems = refused.problems
        else:
            flash(_("The self-assessment was saved."), "success")
            return redirect(url_for("journey.enterprise", project_id=project.id,
                                    enterprise_id=enterprise.id))
    return render_template("journey/assess.html", project=project, enterprise=enterprise,
                           kind=assessment_kind, questionnaire=questionnaire,
                           problems=problems, given=given,
                           english=str(get_locale()) == "en"), 422 if problems else 200


@bp.route("/projects/<int:project_id>/enterprises/<int:enterprise_id>/voucher",
          methods=["POST"])
@permission_required("journey.manage")
def voucher(project_id: int, enterprise_id: int):
    project, enterprise = _project_and_enterprise(project_id, enterprise_id)
    form = VoucherForm()
    if not form.validate_on_submit():
        flash(_("The voucher was not saved: %(errors)s",
                errors="; ".join(f"{form[name].label.text}: {' '.join(errors)}"
                                 for name, errors in form.errors.items())), "danger")
    else:
        try:
            grant_voucher(db.session, project, enterprise, form.budget_eur.data,
                          form.expires_on.data, user_id=current_user.id)
        except Problems as refused:
            db.session.rollback()
            flash(_("The voucher was not saved: %(errors)s", errors=str(refused)), "danger")
        else:
            flash(_("Voucher saved."), "success")
    return redirect(url_for("journey.enterprise", project_id=project.id,
                            enterprise_id=enterprise.id))


@bp.route("/memberships/<int:membership_id>/exit", methods=["GET", "POST"])
@permission_required("journey.manage")
def exit_situation(membership_id: int):
    membership = get_visible_or_404(Membership, membership_id, current_user)
    situation = db.session.scalar(select(ExitSituation)
                                  .where(ExitSituation.membership_id == membership.id))
    form = ExitSituationForm(obj=situation)
    problems = []
    if form.validate_on_submit():
        try:
            record_exit_situation(db.session, membership,
                                  qualification_obtained=form.qualification_obtained.data,
                                  employed=form.employed.data, better_job=form.better_job.data,
                                  user_id=current_user.id)
        except Problems as refused:
            db.session.rollback()
            problems = refused.problems
        else:
            flash(_("The situation at exit was saved."), "success")
            return redirect(url_for("participants.detail",
                                    participant_id=membership.participant_id))
    return render_template("journey/exit_situation.html", membership=membership, form=form,
                           problems=problems)


@follow_up_bp.route("/follow-up/<token>", methods=["GET", "POST"])
@public
def follow_up(token: str):
    follow_up = follow_up_for_token(db.session, current_app.config["SECRET_KEY"], token)
    if follow_up is None:
        return render_template("journey/follow_up_refused.html",
                               message=_("This link is not valid.")), 404
    if follow_up.answered_at is not None:
        return render_template("journey/follow_up_refused.html",
                               message=_("This questionnaire has already been answered.")), 409
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            answer_follow_up(db.session, follow_up, employed=form.employed.data,
                             better_job=form.better_job.data,
                             qualification_used=form.qualification_used.data)
        except Problems as refused:
            db.session.rollback()
            return render_template("journey/follow_up_refused.html", message=str(refused)), 409
        return render_template("journey/follow_up_thanks.html")
    return render_template("journey/follow_up.html", form=form, follow_up=follow_up)


@bp.app_context_processor
def _enroll_panel() -> dict:
    """`journey_enroll_panel(cohort, candidates)` for the cohort page's enroll form: the
    candidates' employers with their voucher balance and recommended courses."""

    def panel(cohort, candidates) -> list[dict]:
        if not can(current_user, "journey.manage"):
            return []
        enterprise_ids = sorted({m.participant.enterprise_id for m in candidates
                                 if m.participant.enterprise_id is not None})
        if not enterprise_ids:
            return []
        enterprises = db.session.scalars(select(Enterprise).where(
            Enterprise.id.in_(enterprise_ids)).order_by(Enterprise.name)).all()
        found = assessments_of(db.session, cohort.project_id, enterprise_ids)
        lines = {line.voucher.enterprise_id: line for line in voucher_lines(
            db.session, select(Voucher).where(Voucher.project_id == cohort.project_id,
                                              Voucher.enterprise_id.in_(enterprise_ids)))}
        rows = []
        for enterprise in enterprises:
            latest = found[enterprise.id].get("exit") or found[enterprise.id].get("entry")
            weakest = weakest_dimensions(latest.scores) if latest else []
            rows.append({"enterprise": enterprise, "voucher": lines.get(enterprise.id),
                         "weakest": weakest,
                         "recommended": bool(set(weakest) & set(cohort.course.dimensions or []))})
        return rows

    def long_term(project):
        return long_term_results(db.session, project)

    def training_aid_of(enterprise):
        return training_aid(db.session, enterprise)

    def projects_of(enterprise):
        return db.session.scalars(scoped(enterprise_projects(enterprise), Project,
                                         current_user)).all()

    return {"journey_enroll_panel": panel, "journey_long_term": long_term,
            "journey_training_aid": training_aid_of, "journey_projects_of": projects_of}


@bp.app_template_filter("dimension_label")
def _dimension_label(code: str) -> str:
    return str(DIMENSION_LABELS.get(code, code))


@bp.app_template_filter("scale_choice")
def _scale_choice(points: int) -> dict:
    """A point of the 0–5 scale as a choice of the questionnaire form."""
    return {"points": points, "ro": str(points), "en": str(points)}
