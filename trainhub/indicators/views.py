"""Indicator pages: the table with drill-down, targets, breakdowns, exports, locked periods."""
import secrets
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
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload, selectinload

from trainhub.audit.services import record
from trainhub.auth.permissions import can, permission_required
from trainhub.auth.scoping import get_visible_or_404, scoped, sees_every, visible_condition
from trainhub.core.bounds import MAX_ID, an_id, day_in_range
from trainhub.core.downloads import download_response
from trainhub.core.errors import Problems
from trainhub.core.identifiers import mask_cnp
from trainhub.core.pagination import paginate
from trainhub.extensions import db
from trainhub.indicators.exports import (
    CALL_FORMATS,
    FORMATS,
    MIME,
    call_export,
    export,
    export_name,
    export_size,
    report_pdf,
)
from trainhub.indicators.services import (
    BY_CODE,
    INDICATORS,
    TARGET_CODES,
    TARGET_LABELS,
    actual,
    breakdowns,
    call_table,
    compute,
    create_period,
    lock_period,
    members_behind,
    members_stmt,
    monthly_entries,
    not_counted,
    snapshot_diff,
    target_progress,
)
from trainhub.jobs.services import runs_as_job
from trainhub.jobs.views import start_job_page
from trainhub.participants.models import Membership, Participant
from trainhub.programme.identity import document_letterhead
from trainhub.programme.models import Call, Project, ReportingPeriod

bp = Blueprint("indicators", __name__, url_prefix="/indicators")


def _selection() -> tuple[Project, date, date]:
    """The project and period named by the query string (defaults: latest project, whole span)."""
    project_id = request.args.get("project", type=an_id)
    project = (get_visible_or_404(Project, project_id, current_user) if project_id else
               db.session.scalar(scoped(select(Project).order_by(Project.start_date.desc())
                                        .limit(1), Project, current_user)))
    if project is None:
        abort(404)
    try:
        start = date.fromisoformat(request.args.get("from") or project.start_date.isoformat())
        end = date.fromisoformat(request.args.get("to") or project.end_date.isoformat())
    except ValueError:
        abort(400)
    if not (day_in_range(start) and day_in_range(end)):
        abort(400)
    return project, start, end


@bp.route("/")
@permission_required("indicators.read")
def dashboard():
    project, start, end = _selection()
    values = compute(db.session, project, start, end)
    progress = target_progress({t.indicator_code: t.value for t in project.targets}, values)
    months = monthly_entries(db.session, project, start, end)
    periods = db.session.scalars(select(ReportingPeriod).options(
        joinedload(ReportingPeriod.snapshots)).where(ReportingPeriod.project_id == project.id)
        .order_by(ReportingPeriod.start_date)).unique().all()
    return render_template(
        "indicators/dashboard.html", project=project, start=start, end=end, values=values,
        indicators=INDICATORS, progress=progress, months=months,
        month_max=max((n for _, n in months), default=0),
        breakdowns=breakdowns(db.session, project, start, end),
        not_counted=not_counted(db.session, project, start, end), periods=periods,
        projects=db.session.scalars(scoped(select(Project).order_by(Project.code), Project,
                                           current_user)).all(),
        formats=FORMATS)


@bp.route("/cell")
@permission_required("indicators.read")
def cell():
    project, start, end = _selection()
    code = request.args.get("code") or "TOTAL"
    if code not in BY_CODE:
        abort(404)
    sex = request.args.get("sex") if request.args.get("sex") in ("M", "F") else None
    behind = members_stmt(project, start, end, code, sex)  # a subquery: no list of every id
    page = paginate(select(Membership).options(joinedload(Membership.participant)
                                               .joinedload(Participant.enterprise))
                    .join(Participant).where(Membership.id.in_(behind))
                    .order_by(Participant.last_name, Participant.first_name))
    show_full = can(current_user, "participants.export_full")
    return render_template("indicators/cell.html", project=project, start=start, end=end,
                           indicator=BY_CODE[code], sex=sex, page=page,
                           cnp_shown=(lambda cnp: cnp) if show_full else mask_cnp)


@bp.route("/sample")
@permission_required("indicators.read")
def sample():
    """A participant drawn at random from behind a number, to verify their file (audited)."""
    project, start, end = _selection()
    code = request.args.get("code") or "TOTAL"
    if code not in BY_CODE:
        abort(404)
    ids = members_behind(db.session, project, start, end, code)
    if not ids:
        flash(_("Nobody is behind this number."), "warning")
        return redirect(url_for("indicators.cell", project=project.id, code=code,
                                **{"from": start.isoformat(), "to": end.isoformat()}))
    membership = db.session.get(Membership, secrets.SystemRandom().choice(ids))
    record(db.session, "indicators.sample", membership, {"code": code, "out_of": len(ids)})
    db.session.commit()
    return redirect(url_for("participants.detail", participant_id=membership.participant_id))


@bp.route("/export")
@permission_required("indicators.export")
def download():
    project, start, end = _selection()
    fmt = request.args.get("format", "csv")
    if fmt not in FORMATS:
        abort(404)
    full = bool(request.args.get("full")) and can(current_user, "participants.export_full")
    rows = export_size(db.session, project, fmt)
    if runs_as_job(rows, current_app.config):
        record(db.session, "indicators.export", project,
               {"format": fmt, "from": start.isoformat(), "to": end.isoformat(),
                "full_cnp": full})
        return start_job_page("export.indicators",
                              {"format": fmt, "from": start.isoformat(), "to": end.isoformat(),
                               "full": full}, project_id=project.id, total=rows)
    content = export(db.session, project, start, end, fmt, full_cnp=full)
    record(db.session, "indicators.export", project,
           {"format": fmt, "from": start.isoformat(), "to": end.isoformat(), "full_cnp": full})
    db.session.commit()
    name = export_name(project, start, end, fmt)
    return download_response(content, name, MIME[fmt])


@bp.route("/report.pdf")
@permission_required("indicators.export")
def report():
    """The indicator report as a PDF with the project's letterhead (audited as an export)."""
    project, start, end = _selection()
    content = report_pdf(db.session, project, start, end, today=date.today(),
                         letterhead=document_letterhead(db.session, project))
    record(db.session, "indicators.export", project,
           {"format": "pdf", "from": start.isoformat(), "to": end.isoformat()})
    db.session.commit()
    name = export_name(project, start, end, "pdf")
    return download_response(content, name, MIME["pdf"])


@bp.route("/periods", methods=["POST"])
@permission_required("indicators.lock")
def period_new():
    project_id = request.form.get("project", type=an_id)
    project = project_id and db.session.scalar(scoped(
        select(Project).where(Project.id == project_id), Project, current_user))
    if not project:
        flash(_("Choose the project of the period."), "danger")
        return redirect(url_for("indicators.dashboard"))
    try:
        start = date.fromisoformat(request.form.get("start", ""))
        end = date.fromisoformat(request.form.get("end", ""))
        create_period(db.session, project, request.form.get("label", ""), start, end)
    except Problems as problems:  # (a ValueError too: caught first)
        db.session.rollback()
        flash(str(problems), "danger")
    except ValueError:
        flash(_("Give the period's first and last day."), "danger")
    else:
        db.session.commit()
        flash(_("Period created."), "success")
    return redirect(url_for("indicators.dashboard", project=project.id))


@bp.route("/periods/<int:period_id>")
@permission_required("indicators.read")
def period(period_id: int):
    period = get_visible_or_404(ReportingPeriod, period_id, current_user)
    snapshots = list(period.snapshots)
    diff = snapshot_diff(snapshots[-2], snapshots[-1]) if len(snapshots) > 1 else []
    live = compute(db.session, period.project, period.start_date, period.end_date)
    return render_template("indicators/period.html", period=period, snapshots=snapshots,
                           latest=snapshots[-1] if snapshots else None, diff=diff, live=live,
                           indicators=INDICATORS, today=date.today())


@bp.route("/periods/<int:period_id>/lock", methods=["POST"])
@permission_required("indicators.lock")
def period_lock(period_id: int):
    period = get_visible_or_404(ReportingPeriod, period_id, current_user)
    try:
        snapshot = lock_period(db.session, period, user_id=current_user.id,
                               note=request.form.get("note", ""), today=date.today(),
                               confirmed=request.form.get("confirm_early") == "yes")
    except Problems as problems:
        db.session.rollback()
        flash(str(problems), "danger")
    else:
        db.session.commit()
        flash(_("Version %(version)s of %(label)s is locked.", version=snapshot.version,
                label=period.label), "success")
    return redirect(url_for("indicators.period", period_id=period.id))


# --- the call view (DESIGN §14): the authority's table of a whole call -------------------
# Coordinators see the call as far as their team's projects go (each person counted once
# across those): a beneficiary with several projects in one call gets its own call table,
# and nobody reads figures of a project they may not see. Trainers and SMEs: 404.

def _call_selection(call_id: int) -> tuple[Call, list[Project], date, date]:
    """The call, its projects the reader may see (targets loaded) and the period of the query
    string (default: the span of those projects); 404 when the reader sees none of them."""
    call = db.session.get(Call, call_id) if 0 < call_id <= MAX_ID else None
    if call is None:
        abort(404)
    projects = db.session.scalars(scoped(
        select(Project).options(selectinload(Project.targets)).where(Project.call_id == call.id)
        .order_by(Project.code), Project, current_user)).all()
    if not projects and not sees_every(Project, current_user):
        abort(404)
    try:
        start = date.fromisoformat(request.args.get("from") or min(
            (p.start_date for p in projects), default=date.today()).isoformat())
        end = date.fromisoformat(request.args.get("to") or max(
            (p.end_date for p in projects), default=date.today()).isoformat())
    except ValueError:
        abort(400)
    if not (day_in_range(start) and day_in_range(end)):
        abort(400)
    return call, projects, start, end


@bp.route("/calls")
@permission_required("indicators.read", refused=404)
def calls():
    """The calls whose projects the reader may see, with how many of them."""
    n_projects = func.count(Project.id)
    stmt = (select(Call, n_projects).outerjoin(Project, and_(
        Project.call_id == Call.id, visible_condition(Project, current_user)))
        .group_by(Call.id).order_by(Call.code))
    if not sees_every(Project, current_user):
        stmt = stmt.having(n_projects > 0)
    return render_template("indicators/calls.html", calls=db.session.execute(stmt).all())


@bp.route("/calls/<int:call_id>")
@permission_required("indicators.read", refused=404)
def call(call_id: int):
    call, projects, start, end = _call_selection(call_id)
    table = call_table(db.session, projects, start, end)
    return render_template("indicators/call.html", call=call, start=start, end=end,
                           table=table, codes=TARGET_CODES, labels=TARGET_LABELS,
                           actual=actual, formats=CALL_FORMATS)


@bp.route("/calls/<int:call_id>/export")
@permission_required("indicators.export", refused=404)
def call_download(call_id: int):
    fmt = request.args.get("format", "csv")
    if fmt not in CALL_FORMATS:
        abort(404)
    call, projects, start, end = _call_selection(call_id)
    content = call_export(call.code, call_table(db.session, projects, start, end), fmt)
    record(db.session, "indicators.export_call", call,
           {"format": fmt, "from": start.isoformat(), "to": end.isoformat(),
            "projects": [p.code for p in projects]})
    db.session.commit()
    name = f"indicators-{call.code.replace('/', '-')}-{start}-{end}.{fmt}"
    return download_response(content, name, MIME[fmt])
