"""Admin pages of the programme: calls and their eligibility rule parameters."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from trainhub.auth.permissions import permission_required
from trainhub.core.errors import Problems
from trainhub.extensions import db
from trainhub.participants.eligibility import SEVERITIES
from trainhub.programme.models import Call, Project
from trainhub.programme.services import rules_from_form

bp = Blueprint("programme", __name__, url_prefix="/admin/calls")


@bp.route("/")
@permission_required("calls.read")
def calls():
    return render_template("programme/calls.html",
                           calls=db.session.scalars(select(Call).order_by(Call.code)).all(),
                           projects=db.session.scalars(select(Project).order_by(Project.code)).all())


@bp.route("/<int:call_id>/rules", methods=["GET"])
@permission_required("calls.read")
def rules(call_id: int, problems=None):
    call = db.get_or_404(Call, call_id)
    return render_template("programme/rules.html", call=call, problems=problems or [],
                           posted=request.form, severities=SEVERITIES, locale=str(get_locale()))


@bp.route("/<int:call_id>/rules", methods=["POST"])
@permission_required("calls.write")
def save_rules(call_id: int):
    call = db.get_or_404(Call, call_id)  # CSRFProtect has already checked the token
    try:
        call.rules = rules_from_form(call.rules, request.form)
    except Problems as problems:
        return rules(call_id, problems=problems.problems), 422
    _refresh_call(call)
    db.session.commit()
    flash(_("The rules of %(code)s were saved; decisions they contradict are marked for review.",
            code=call.code), "success")
    return redirect(url_for("programme.rules", call_id=call.id))


def _refresh_call(call: Call) -> None:
    from trainhub.participants.eligibility import refresh
    from trainhub.participants.models import Membership

    memberships = db.session.scalars(select(Membership).join(Project)
                                     .where(Project.call_id == call.id)).all()
    refresh(db.session, list(memberships))
