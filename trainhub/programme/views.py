"""Admin pages of the programme: calls, their eligibility rule parameters, EUR/RON rates."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired

from trainhub.auth.permissions import permission_required
from trainhub.core.errors import Problems
from trainhub.enterprises.models import EurRonRate
from trainhub.enterprises.services import set_rate
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


class RateForm(FlaskForm):
    year = IntegerField(_l("Financial year"), validators=[DataRequired()])
    rate = StringField(_l("Lei for one euro (annual average)"), validators=[DataRequired()])


@bp.route("/rates", methods=["GET"])
@permission_required("calls.read")
def rates(form=None, problems=None):
    """The annual average EUR/RON rates that convert amounts in lei in imported files."""
    return render_template("programme/rates.html", form=form or RateForm(), problems=problems or [],
                           rates=db.session.scalars(select(EurRonRate)
                                                    .order_by(EurRonRate.year.desc())).all())


@bp.route("/rates", methods=["POST"])
@permission_required("calls.write")
def save_rate():
    form = RateForm()
    if not form.validate_on_submit():
        return rates(form=form), 422
    try:
        row = set_rate(db.session, form.year.data, form.rate.data)
    except Problems as problems:
        db.session.rollback()
        return rates(form=form, problems=problems.problems), 422
    db.session.commit()
    flash(_("The EUR/RON rate of %(year)s is now %(rate)s lei.", year=row.year,
            rate=row.ron_per_eur), "success")
    return redirect(url_for("programme.rates"))
