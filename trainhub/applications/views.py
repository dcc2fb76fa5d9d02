"""The public application form `/apply/<project code>` and the coordinator's queue."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from trainhub.applications.forms import AcceptForm, ApplicationForm, DeclineForm
from trainhub.applications.models import Application, ApplicationStatus
from trainhub.applications.services import (
    accept_application,
    application_list,
    decline_application,
    project_by_code,
    submit_application,
)
from trainhub.auth.permissions import permission_required, public
from trainhub.auth.scoping import get_visible_or_404, scoped
from trainhub.core.errors import Problems
from trainhub.core.pagination import paginate
from trainhub.enterprises.services import FieldProblems
from trainhub.extensions import db, limiter
from trainhub.programme.models import Project

bp = Blueprint("applications", __name__)


def _apply_rate_limit() -> str:
    return current_app.config["APPLY_RATE_LIMIT"]


@bp.route("/apply/<project_code>", methods=["GET", "POST"])
@limiter.limit(_apply_rate_limit, methods=["POST"])
@public
def apply(project_code: str):
    project = project_by_code(db.session, project_code)
    if project is None:
        abort(404)
    form = ApplicationForm()
    if request.method == "POST" and form.website.data:
        # a bot filled the hidden field: the same answer as a person gets, nothing stored
        return render_template("applications/thanks.html", project=project)
    if form.validate_on_submit():
        try:
            submit_application(db.session, project, {name: field.data for name, field
                                                     in form._fields.items()})
        except FieldProblems as problems:
            db.session.rollback()
            for name, message in problems.errors.items():
                form[name].errors.append(str(message))
        else:
            db.session.commit()
            return render_template("applications/thanks.html", project=project)
    status = 422 if request.method == "POST" else 200
    return render_template("applications/apply.html", form=form, project=project), status


@bp.route("/applications")
@permission_required("applications.review")
def queue():
    status = request.args.get("status", ApplicationStatus.PENDING.value)
    if status not in {s.value for s in ApplicationStatus} | {"all"}:
        status = ApplicationStatus.PENDING.value
    page = paginate(application_list(current_user, None if status == "all" else status))
    projects = db.session.scalars(scoped(select(Project), Project, current_user)
                                  .order_by(Project.code)).all()
    return render_template("applications/queue.html", page=page, status=status,
                           statuses=[s.value for s in ApplicationStatus], projects=projects,
                           base_url=current_app.config["BASE_URL"].rstrip("/"))


@bp.route("/applications/<int:application_id>")
@permission_required("applications.review")
def detail(application_id: int):
    application = get_visible_or_404(Application, application_id, current_user)
    return render_template("applications/detail.html", application=application,
                           accept_form=AcceptForm(), decline_form=DeclineForm())


@bp.route("/applications/<int:application_id>/accept", methods=["POST"])
@permission_required("applications.review")
def accept(application_id: int):
    application = get_visible_or_404(Application, application_id, current_user)
    if AcceptForm().validate_on_submit():
        try:
            accept_application(db.session, application, by=current_user._get_current_object())
        except Problems as problems:
            db.session.rollback()
            flash(str(problems), "danger")
        else:
            db.session.commit()
            if application.invitation_id:
                flash(_("Application accepted; %(email)s was invited.",
                        email=application.contact_email), "success")
            else:
                flash(_("Application accepted; %(email)s already has an account.",
                        email=application.contact_email), "success")
    return redirect(url_for("applications.detail", application_id=application.id))


@bp.route("/applications/<int:application_id>/decline", methods=["POST"])
@permission_required("applications.review")
def decline(application_id: int):
    application = get_visible_or_404(Application, application_id, current_user)
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            decline_application(db.session, application, form.reason.data,
                                by=current_user._get_current_object())
        except Problems as problems:
            db.session.rollback()
            flash(str(problems), "danger")
        else:
            db.session.commit()
            flash(_("Application declined; the contact was told why."), "success")
    else:
        flash(_("Say why the application is declined."), "danger")
    return redirect(url_for("applications.detail", application_id=application.id))
