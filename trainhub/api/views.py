"""API endpoints under /api/v1 (read only, token auth, scoped like the pages) and /api/docs."""
from flask import Blueprint, abort, current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Blueprint as ApiBlueprint
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from trainhub.api.schemas import (
    EnterprisePageSchema,
    EnterpriseSchema,
    IndicatorArgsSchema,
    IndicatorTableSchema,
    MembershipSchema,
    PageArgsSchema,
    ParticipantPageSchema,
    ParticipantSchema,
    ProjectPageSchema,
    ProjectSchema,
    ReportingPeriodPageSchema,
    SnapshotListSchema,
)
from trainhub.auth.permissions import permission_required, public
from trainhub.auth.scoping import get_visible_or_404, scoped
from trainhub.auth.services import user_for_token
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.journey.schemas import MaturityReportSchema, VoucherReportSchema
from trainhub.participants.models import Participant
from trainhub.participants.services import (
    disclosure_for,
    memberships_by_participant,
    reader_view,
)
from trainhub.programme.models import Project, ReportingPeriod

blp = ApiBlueprint("api", __name__, url_prefix="/api/v1",
                   description="Read access, scoped to what the token's owner may see.")
reference_bp = Blueprint("api_reference", __name__, url_prefix="/api")

PAGE_ARGS = {"location": "query", "as_kwargs": True}


@blp.before_request
def _authenticate() -> None:
    """Only the bearer token logs in here: a browser's session cookie is ignored."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    user = user_for_token(db.session, secret.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        abort(401)
    g._login_user = user  # Flask-Login's per-request user: current_user and the audit read it


def _page(stmt: Select, page: int, per_page: int, items=None) -> dict:
    pagination = db.paginate(stmt, page=page, per_page=per_page, max_per_page=200,
                             error_out=False)
    return {"items": pagination.items if items is None else items(pagination.items),
            "pagination": {"page": page, "per_page": per_page, "total": pagination.total,
                           "pages": pagination.pages}}


@blp.route("/projects")
@permission_required("dashboard.read")
@blp.arguments(PageArgsSchema, **PAGE_ARGS)
@blp.response(200, ProjectPageSchema)
def projects(page: int, per_page: int):
    """Projects, newest first."""
    stmt = scoped(select(Project).options(joinedload(Project.call), selectinload(Project.targets))
                  .order_by(Project.start_date.desc(), Project.id), Project, current_user)
    return _page(stmt, page, per_page)


@blp.route("/projects/<int:project_id>")
@permission_required("dashboard.read")
@blp.response(200, ProjectSchema)
def project(project_id: int):
    """One project with its targets."""
    return get_visible_or_404(Project, project_id, current_user)


@blp.route("/projects/<int:project_id>/periods")
@permission_required("dashboard.read")
@blp.arguments(PageArgsSchema, **PAGE_ARGS)
@blp.response(200, ReportingPeriodPageSchema)
def project_periods(project_id: int, page: int, per_page: int):
    """The project's reporting periods in date order."""
    project = get_visible_or_404(Project, project_id, current_user)
    stmt = scoped(select(ReportingPeriod).options(selectinload(ReportingPeriod.snapshots))
                  .where(ReportingPeriod.project_id == project.id)
                  .order_by(ReportingPeriod.start_date, ReportingPeriod.id),
                  ReportingPeriod, current_user)
    return _page(stmt, page, per_page)


@blp.route("/enterprises")
@permission_required("enterprises.read")
@blp.arguments(PageArgsSchema, **PAGE_ARGS)
@blp.response(200, EnterprisePageSchema)
def enterprises(page: int, per_page: int):
    """Enterprises by name (an SME sees only its own)."""
    stmt = scoped(select(Enterprise).order_by(Enterprise.name, Enterprise.id), Enterprise,
                  current_user)
    return _page(stmt, page, per_page)


@blp.route("/enterprises/<int:enterprise_id>")
@permission_required("enterprises.read")
@blp.response(200, EnterpriseSchema)
def enterprise(enterprise_id: int):
    """One enterprise."""
    return get_visible_or_404(Enterprise, enterprise_id, current_user)


#: participant columns every reader of the record sees as they are
_PLAIN_FIELDS = [name for name in ParticipantSchema().fields
                 if name not in {"cnp", "disability", "minority_or_migrant", "memberships"}]
#: membership columns every reader of the record sees as they are (reasons go through the view)
_MEMBERSHIP_FIELDS = [name for name in MembershipSchema().fields
                      if name not in {"project_code", "reasons", "double_financing_override"}]


def _override(membership) -> dict | None:
    """What every reader of the membership is told of a double-financing override."""
    override = membership.double_financing_override
    return override and {"reason": override["reason"], "at": override["at"]}


def _participant_records(participants: list[Participant]) -> list[dict]:
    memberships = memberships_by_participant(db.session, [p.id for p in participants],
                                             user=current_user)
    disclosure = disclosure_for(current_user)
    view = reader_view(db.session, current_user,
                       [[m.reasons, _override(m)] for each in memberships.values() for m in each])
    records = []
    for participant in participants:
        record = {name: getattr(participant, name) for name in _PLAIN_FIELDS}
        record["cnp"] = disclosure.cnp(participant.cnp)
        if disclosure.special_categories:
            record["disability"] = participant.disability
            record["minority_or_migrant"] = participant.minority_or_migrant
        record["memberships"] = [
            {**{name: getattr(m, name) for name in _MEMBERSHIP_FIELDS}, "project": m.project,
             "reasons": view.reasons(m.reasons),
             "double_financing_override": view.text(_override(m))}
            for m in memberships[participant.id]]
        records.append(record)
    return records


@blp.route("/participants")
@permission_required("participants.read")
@blp.arguments(PageArgsSchema, **PAGE_ARGS)
@blp.response(200, ParticipantPageSchema)
def participants(page: int, per_page: int):
    """Participants by name with their memberships' eligibility (an SME sees its employees)."""
    stmt = scoped(select(Participant).order_by(Participant.last_name, Participant.first_name,
                                               Participant.id), Participant, current_user)
    return _page(stmt, page, per_page, items=_participant_records)


@blp.route("/participants/<int:participant_id>")
@permission_required("participants.read")
@blp.response(200, ParticipantSchema)
def participant(participant_id: int):
    """One participant with the memberships' eligibility."""
    return _participant_records([get_visible_or_404(Participant, participant_id, current_user)])[0]


def _indicator_rows(values: dict) -> list[dict]:
    from trainhub.indicators.services import INDICATORS

    return [{"code": i.code, "label": i.label, **values[i.code]} for i in INDICATORS]


@blp.route("/projects/<int:project_id>/indicators")
@permission_required("indicators.read")
@blp.arguments(IndicatorArgsSchema, location="query")
@blp.response(200, IndicatorTableSchema)
def project_indicators(args: dict, project_id: int):
    """The DESIGN §8 indicator table of the project for a period, computed now."""
    from trainhub.indicators.services import compute

    project = get_visible_or_404(Project, project_id, current_user)
    start, end = args.get("from_") or project.start_date, args.get("to") or project.end_date
    if end < start:
        abort(422, description="'to' is before 'from'")
    return {"project": project.code, "from_": start, "to": end,
            "indicators": _indicator_rows(compute(db.session, project, start, end))}


@blp.route("/periods/<int:period_id>/snapshots")
@permission_required("indicators.read")
@blp.response(200, SnapshotListSchema)
def period_snapshots(period_id: int):
    """Every locked version of a reporting period, oldest first (never changed once locked)."""
    period = get_visible_or_404(ReportingPeriod, period_id, current_user)
    return {"period": period,
            "snapshots": [{"version": s.version, "locked_at": s.locked_at, "note": s.note,
                           "indicators": _indicator_rows(s.values)} for s in period.snapshots]}


@blp.route("/projects/<int:project_id>/vouchers")
@permission_required("journey.overview")
@blp.response(200, VoucherReportSchema)
def project_vouchers(project_id: int):
    """Budget, spent and balance of each SME's skills voucher in the project (EUR)."""
    from trainhub.journey.services import voucher_report

    project = get_visible_or_404(Project, project_id, current_user)
    keys = ("cui", "name", "budget_eur", "spent_eur", "balance_eur")
    return {"project": project.code,
            "vouchers": [dict(zip(keys, row, strict=True))
                         for row in voucher_report(db.session, project)]}


@blp.route("/projects/<int:project_id>/maturity")
@permission_required("journey.overview")
@blp.response(200, MaturityReportSchema)
def project_maturity(project_id: int):
    """Entry and exit digital-maturity score (0–100) of each SME on each dimension."""
    from trainhub.journey.services import maturity_report

    project = get_visible_or_404(Project, project_id, current_user)
    keys = ("cui", "dimension", "score_entry", "score_exit")
    return {"project": project.code,
            "scores": [dict(zip(keys, row, strict=True))
                       for row in maturity_report(db.session, project)]}


#: what each path answers, for the reference page in the reader's language (the OpenAPI
#: description keeps the English docstrings)
SUMMARIES = {
    "/api/v1/projects": _l("Projects, newest first."),
    "/api/v1/projects/{project_id}": _l("One project with its targets."),
    "/api/v1/projects/{project_id}/periods": _l("The project's reporting periods in date order."),
    "/api/v1/enterprises": _l("Enterprises by name (an SME sees only its own)."),
    "/api/v1/enterprises/{enterprise_id}": _l("One enterprise."),
    "/api/v1/participants": _l("Participants by name with their memberships' eligibility "
                               "(an SME sees its employees)."),
    "/api/v1/participants/{participant_id}": _l("One participant with the memberships' "
                                                "eligibility."),
    "/api/v1/projects/{project_id}/indicators": _l("The indicator table of the project for a "
                                                   "period, computed now."),
    "/api/v1/periods/{period_id}/snapshots": _l("Every locked version of a reporting period, "
                                                "oldest first (never changed once locked)."),
    "/api/v1/projects/{project_id}/vouchers": _l("Budget, spent and balance of each SME's "
                                                 "skills voucher in the project."),
    "/api/v1/projects/{project_id}/maturity": _l("Entry and exit digital-maturity score of "
                                                 "each SME on each dimension."),
}


@reference_bp.route("/docs")
@public
def page():
    api = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]  # this app's Api
    return render_template("api/docs.html", spec=api.spec.to_dict(), summaries=SUMMARIES)
