"""Enterprise pages: searchable list, detail with size class and de minimis, create and edit."""
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from trainhub.auth.models import Role
from trainhub.auth.permissions import can, permission_required
from trainhub.auth.scoping import get_visible_or_404, scoped
from trainhub.core.errors import Problems
from trainhub.core.geography import NUTS2_REGIONS, county_choices, county_name
from trainhub.core.pagination import paginate
from trainhub.documents.services import (
    checklists_for,
    overall_completeness,
    owner_key,
    requirement_title,
)
from trainhub.enterprises.forms import AidForm, EnterpriseForm
from trainhub.enterprises.models import Enterprise, SizeClass
from trainhub.enterprises.services import (
    ENTERPRISE_COLUMNS,
    FieldProblems,
    add_aid,
    de_minimis_total,
    employee_counts,
    enterprise_list,
    save_enterprise,
    size_reason,
)
from trainhub.extensions import db
from trainhub.participants.models import Participant
from trainhub.participants.services import memberships_by_participant

bp = Blueprint("enterprises", __name__, url_prefix="/enterprises")

DE_MINIMIS_CEILING_EUR = 200000


@bp.context_processor
def _helpers() -> dict:
    return {"county_name": county_name, "regions": NUTS2_REGIONS, "size_classes": list(SizeClass),
            "requirement_title": requirement_title}


@bp.route("/")
@permission_required("enterprises.read")
def index():
    args = request.args
    stmt = scoped(enterprise_list(args.get("q", ""), args.get("county") or None,
                                  args.get("size") or None, args.get("eligibility") or None),
                  Enterprise, current_user)
    page = paginate(stmt)
    return render_template("enterprises/list.html", page=page, counties=county_choices(),
                           counts=employee_counts(db.session, [e.id for e in page.items]))


def _ceiling_and_years(enterprise: Enterprise) -> tuple[int, int]:
    """The de minimis ceiling of the call the enterprise's employees are trained under."""
    from trainhub.participants.models import Membership
    from trainhub.programme.models import Call, Project

    rules = db.session.scalar(
        select(Call.rules).join(Project).join(Membership).join(Participant)
        .where(Participant.enterprise_id == enterprise.id).limit(1)) or []
    for rule in rules:
        if rule.get("kind") == "de_minimis_ceiling":
            return rule["params"].get("ceiling_eur", DE_MINIMIS_CEILING_EUR), rule["params"].get("years", 3)
    return DE_MINIMIS_CEILING_EUR, 3


@bp.route("/<int:enterprise_id>")
@permission_required("enterprises.read")
def detail(enterprise_id: int):
    enterprise = get_visible_or_404(Enterprise, enterprise_id, current_user)
    employees = db.session.scalars(scoped(
        select(Participant).where(Participant.enterprise_id == enterprise.id)
        .order_by(Participant.last_name, Participant.first_name), Participant, current_user)).all()
    ceiling, years = _ceiling_and_years(enterprise)
    checklists = checklists_for(db.session, [enterprise], employees) \
        if can(current_user, "documents.read") else {}
    return render_template(
        "enterprises/detail.html", enterprise=enterprise, employees=employees,
        memberships=memberships_by_participant(db.session, [p.id for p in employees],
                                               user=current_user),
        size_reason=size_reason(enterprise), ceiling=ceiling, years=years,
        aid_total=de_minimis_total(enterprise, date.today(), years), aid_form=AidForm(),
        checklist=checklists.get(owner_key(enterprise)),
        documents_overall=overall_completeness(checklists.values()) if checklists else None)


def _save(enterprise: Enterprise | None):
    form = EnterpriseForm(obj=enterprise)
    if form.validate_on_submit():
        try:
            enterprise = save_enterprise(db.session, enterprise,
                                         {name: form[name].data for name in ENTERPRISE_COLUMNS})
        except FieldProblems as problems:
            db.session.rollback()
            for name, message in problems.errors.items():
                form[name].errors.append(message)
        else:
            db.session.commit()
            flash(_("Enterprise %(name)s saved.", name=enterprise.name), "success")
            return redirect(url_for("enterprises.detail", enterprise_id=enterprise.id))
    return render_template("enterprises/form.html", form=form, enterprise=enterprise)


@bp.route("/new", methods=["GET", "POST"])
@permission_required("enterprises.create")
def create():
    return _save(None)


@bp.route("/<int:enterprise_id>/edit", methods=["GET", "POST"])
@permission_required("enterprises.write")
def edit(enterprise_id: int):
    return _save(get_visible_or_404(Enterprise, enterprise_id, current_user))


@bp.route("/<int:enterprise_id>/aids", methods=["POST"])
@permission_required("enterprises.write")
def aid(enterprise_id: int):
    enterprise = get_visible_or_404(Enterprise, enterprise_id, current_user)
    if current_user.role == Role.SME:
        abort(403)  # the project team records aids, checked against the state-aid register
    form = AidForm()
    if not form.validate_on_submit():
        flash(_("The aid was not recorded: %(errors)s",
                errors="; ".join(f"{form[name].label.text}: {' '.join(errors)}"
                                 for name, errors in form.errors.items())), "danger")
    else:
        try:
            add_aid(db.session, enterprise, form.granted_on.data, form.amount_eur.data,
                    form.source.data or "")
        except Problems as problems:
            db.session.rollback()
            flash(_("The aid was not recorded: %(errors)s", errors=str(problems)), "danger")
        else:
            db.session.commit()
            flash(_("De minimis aid recorded."), "success")
    return redirect(url_for("enterprises.detail", enterprise_id=enterprise.id))
