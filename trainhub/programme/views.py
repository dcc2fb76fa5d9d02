"""Programme pages: calls (new call from a preset, rule parameters) and projects (list, page,
form with targets and reporting periods), EUR/RON rates."""
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
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from trainhub.attendance import pdf as attendance_pdf
from trainhub.auth.models import User
from trainhub.auth.permissions import can, permission_required
from trainhub.auth.scoping import get_visible_or_404, scoped
from trainhub.core.bounds import an_id
from trainhub.core.downloads import PDF, download_response
from trainhub.core.errors import Problems
from trainhub.core.geography import NUTS2_REGIONS
from trainhub.core.pagination import paginate
from trainhub.core.pdf import TEXT_KEYS, emblem_svg
from trainhub.documents.services import human_size
from trainhub.enterprises.models import EurRonRate
from trainhub.enterprises.services import set_rate
from trainhub.extensions import db
from trainhub.indicators.services import compute, target_progress
from trainhub.participants.eligibility import SEVERITIES
from trainhub.participants.gdpr import retention_date, retention_years_of
from trainhub.participants.models import Membership
from trainhub.programme.forms import PERIOD_LABELS, CallForm, ProjectForm, RateForm
from trainhub.programme.identity import (
    LANGUAGES,
    MAX_LOGO_BYTES,
    MAX_SIGNATURES,
    PLACEHOLDERS,
    add_logo,
    document_letterhead,
    fill,
    identity_of,
    identity_texts,
    logo_bytes,
    remove_logo,
    save_identity_texts,
    save_template,
    template_for,
    template_problems,
    wording_of,
)
from trainhub.programme.models import (
    Call,
    CertificateTemplate,
    Project,
    ProjectMember,
    ReportingPeriod,
)
from trainhub.programme.presets import PRESETS
from trainhub.programme.services import (
    FieldProblems,
    add_team_member,
    create_call,
    may_manage_team,
    remove_team_member,
    rules_from_form,
    save_project,
    team_candidates,
)

bp = Blueprint("programme", __name__)


@bp.route("/admin/calls/")
@permission_required("calls.read")
def calls():
    return render_template("programme/calls.html",
                           calls=db.session.scalars(select(Call).order_by(Call.code)).all(),
                           projects=db.session.scalars(scoped(select(Project).order_by(Project.code),
                                                              Project, current_user)).all())


@bp.route("/admin/calls/<int:call_id>/rules", methods=["GET"])
@permission_required("calls.read")
def rules(call_id: int, problems=None):
    call = db.get_or_404(Call, call_id)
    return render_template("programme/rules.html", call=call, problems=problems or [],
                           posted=request.form, severities=SEVERITIES, locale=str(get_locale()))


@bp.route("/admin/calls/<int:call_id>/rules", methods=["POST"])
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


@bp.route("/admin/calls/new", methods=["GET", "POST"])
@permission_required("calls.write")
def call_new():
    form = CallForm()
    if form.validate_on_submit():
        try:
            call = create_call(db.session, code=form.code.data, name=form.name.data,
                               preset=form.preset.data, user_id=current_user.id)
        except FieldProblems as problems:
            db.session.rollback()
            _show_on_fields(form, problems)
        else:
            db.session.commit()
            flash(_("Call %(code)s created.", code=call.code), "success")
            return redirect(url_for("programme.rules", call_id=call.id))
    return render_template("programme/call_form.html", form=form, presets=PRESETS), (
        422 if form.errors else 200)


# --- projects ------------------------------------------------------------------------------

@bp.route("/projects/")
@permission_required("projects.read")
def projects():
    page = paginate(scoped(select(Project).options(joinedload(Project.call),
                                                   selectinload(Project.targets))
                           .order_by(Project.start_date.desc(), Project.code),
                           Project, current_user))
    members = dict(db.session.execute(
        select(Membership.project_id, func.count(Membership.id))
        .where(Membership.project_id.in_([project.id for project in page.items]))
        .group_by(Membership.project_id)).all())
    return render_template("programme/projects.html", page=page, members=members,
                           regions=NUTS2_REGIONS)


@bp.route("/projects/<int:project_id>")
@permission_required("projects.read")
def project(project_id: int):
    project = get_visible_or_404(Project, project_id, current_user)
    values = compute(db.session, project, project.start_date, project.end_date)
    periods = db.session.scalars(
        select(ReportingPeriod).options(selectinload(ReportingPeriod.snapshots))
        .where(ReportingPeriod.project_id == project.id)
        .order_by(ReportingPeriod.start_date)).all()
    team = db.session.scalars(
        select(ProjectMember).join(ProjectMember.user).options(joinedload(ProjectMember.user))
        .where(ProjectMember.project_id == project.id)
        .order_by(ProjectMember.role, User.full_name, User.email)).all()
    manages_team = may_manage_team(current_user, project)
    years = current_app.config["RETENTION_YEARS"]
    return render_template(
        "programme/project.html", project=project, periods=periods, team=team,
        manages_team=manages_team,
        candidates=team_candidates(db.session, project) if manages_team else [], progress=target_progress(
            {t.indicator_code: t.value for t in project.targets}, values),
        members=db.session.scalar(select(func.count(Membership.id))
                                  .where(Membership.project_id == project.id)),
        regions=NUTS2_REGIONS, retained_until=retention_date(project, years),
        retention_years=retention_years_of(project, years),
        default_years=years, today=date.today())


def _show_on_fields(form, problems: FieldProblems) -> None:
    """Put each refused value's messages under its field (the form-wide ones under periods)."""
    for name, messages in problems.fields.items():
        target = form[name] if name in form else form.periods
        target.errors = list(target.errors) + [str(message) for message in messages]


def _save_project(project: Project | None):
    calls = db.session.scalars(select(Call).order_by(Call.code)).all()
    form = ProjectForm(obj=project)
    form.call_id.choices = [(call.id, f"{call.code} · {call.name}") for call in calls]
    if project is None:
        form.periods.choices = [item for item in PERIOD_LABELS.items() if item[0]]
    if request.method == "GET":
        if project is not None:
            form.fill_from(project)
        else:
            form.periods.data = "quarterly"
    if form.validate_on_submit():
        try:
            project = save_project(db.session, project, form.project_data(),
                                   user_id=current_user.id)
        except FieldProblems as problems:
            db.session.rollback()
            _show_on_fields(form, problems)
        except Problems as problems:  # custom period rows that cannot be read
            db.session.rollback()
            form.custom_periods.errors = [str(problem) for problem in problems.problems]
        else:
            db.session.commit()
            flash(_("Project %(code)s saved.", code=project.code), "success")
            return redirect(url_for("programme.project", project_id=project.id))
    status = 422 if request.method == "POST" else 200
    return render_template("programme/project_form.html", form=form, project=project,
                           calls=calls), status


@bp.route("/projects/new", methods=["GET", "POST"])
@permission_required("projects.write")
def project_new():
    return _save_project(None)


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@permission_required("projects.write")
def project_edit(project_id: int):
    return _save_project(get_visible_or_404(Project, project_id, current_user))


def _team_project(project_id: int) -> Project:
    """The project whose team the current user may change: 404 when unseen, 403 when not theirs."""
    project = get_visible_or_404(Project, project_id, current_user)
    if not may_manage_team(current_user, project):
        abort(403)
    return project


@bp.route("/projects/<int:project_id>/team", methods=["POST"])
@permission_required("projects.write")
def team_add(project_id: int):
    project = _team_project(project_id)
    user_id = request.form.get("user_id", type=an_id)
    user = db.session.get(User, user_id) if user_id else None
    try:
        add_team_member(db.session, project, user, user_id=current_user.id)
    except Problems as problems:
        db.session.rollback()
        for problem in problems.problems:
            flash(str(problem), "danger")
    else:
        db.session.commit()
        flash(_("%(name)s is now on the team of %(code)s.", name=user.full_name or user.email,
                code=project.code), "success")
    return redirect(url_for("programme.project", project_id=project.id))


@bp.route("/projects/<int:project_id>/team/<int:member_id>/remove", methods=["POST"])
@permission_required("projects.write")
def team_remove(project_id: int, member_id: int):
    project = _team_project(project_id)
    try:
        member = remove_team_member(db.session, project, member_id, user_id=current_user.id)
    except Problems as problems:
        db.session.rollback()
        for problem in problems.problems:
            flash(str(problem), "danger")
    else:
        db.session.commit()
        flash(_("Removed from the team of %(code)s.", code=project.code), "success")
        still_seen = db.session.scalar(scoped(select(Project.id).where(Project.id == project.id),
                                              Project, current_user))
        if member.user_id == current_user.id and still_seen is None:
            return redirect(url_for("programme.projects"))  # the project is no longer theirs
    return redirect(url_for("programme.project", project_id=project.id))


# --- EUR/RON rates ---------------------------------------------------------------------------

@bp.route("/admin/calls/rates", methods=["GET"])
@permission_required("calls.read")
def rates(form=None, problems=None):
    """The annual average EUR/RON rates that convert amounts in lei in imported files."""
    return render_template("programme/rates.html", form=form or RateForm(), problems=problems or [],
                           rates=db.session.scalars(select(EurRonRate)
                                                    .order_by(EurRonRate.year.desc())).all())


@bp.route("/admin/calls/rates", methods=["POST"])
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


# --- visual identity and certificate templates ----------------------------------------------

@bp.route("/admin/calls/<int:call_id>/identity", methods=["GET"])
@permission_required("calls.read")
def identity(call_id: int, problems=None, posted=None):
    """The call's mandatory texts, logos and certificate template."""
    call = db.get_or_404(Call, call_id)
    own = identity_of(db.session, call)
    template = db.session.scalar(select(CertificateTemplate)
                                 .where(CertificateTemplate.call_id == call.id))
    return render_template(
        "programme/identity.html", call=call, own=own, problems=problems or [],
        posted=posted, texts={language: identity_texts(own, language) for language in LANGUAGES},
        emblem=Markup(emblem_svg(48)), text_keys=TEXT_KEYS, languages=LANGUAGES,
        template=template, max_logo=human_size(MAX_LOGO_BYTES)), 422 if problems else 200


@bp.route("/admin/calls/<int:call_id>/identity", methods=["POST"])
@permission_required("calls.write")
def identity_save(call_id: int):
    call = db.get_or_404(Call, call_id)
    texts = {language: {key: request.form.get(f"{language}-{key}", "") for key in TEXT_KEYS}
             for language in LANGUAGES}
    try:
        save_identity_texts(db.session, call, texts, user_id=current_user.id)
    except Problems as refused:
        db.session.rollback()
        return identity(call_id, problems=refused.problems, posted=request.form)
    db.session.commit()
    flash(_("The texts of %(code)s were saved.", code=call.code), "success")
    return redirect(url_for("programme.identity", call_id=call.id))


@bp.route("/admin/calls/<int:call_id>/logos", methods=["POST"])
@permission_required("calls.write")
def logo_add(call_id: int):
    call = db.get_or_404(Call, call_id)
    upload = request.files.get("file")
    data = upload.read() if upload else b""  # the request itself is capped by MAX_CONTENT_LENGTH
    try:
        add_logo(db.session, call, data, upload.filename if upload else "",
                 current_app.config["UPLOAD_DIR"], user_id=current_user.id)
    except Problems as refused:
        db.session.rollback()
        return identity(call_id, problems=refused.problems)
    db.session.commit()
    flash(_("Logo added."), "success")
    return redirect(url_for("programme.identity", call_id=call.id))


@bp.route("/admin/calls/<int:call_id>/logos/<int:number>/remove", methods=["POST"])
@permission_required("calls.write")
def logo_remove(call_id: int, number: int):
    """Remove the call's logo `number` (1 = the first)."""
    call = db.get_or_404(Call, call_id)
    if not remove_logo(db.session, call, number - 1, user_id=current_user.id):
        abort(404)
    db.session.commit()
    flash(_("Logo removed."), "success")
    return redirect(url_for("programme.identity", call_id=call.id))


@bp.route("/admin/calls/<int:call_id>/logos/<int:number>")
@permission_required("calls.read")
def logo(call_id: int, number: int):
    """The call's logo `number` (1 = the first), for its page."""
    position = number - 1
    call = db.get_or_404(Call, call_id)
    own = identity_of(db.session, call)
    logos = own.logos if own else []
    data = logo_bytes(logos[position], current_app.config["UPLOAD_DIR"]) if (
        0 <= position < len(logos)) else None
    if data is None:
        abort(404)
    return download_response(data, None, logos[position]["content_type"], inline=True)


def _template_owner(kind: str, owner_id: int):
    if kind == "call":
        return db.get_or_404(Call, owner_id)
    return get_visible_or_404(Project, owner_id, current_user)


def _template_form() -> dict:
    form = request.form
    return {"title": form.get("title", ""), "body": form.get("body", ""),
            "orientation": form.get("orientation", ""),
            "signatures": [{"name": form.get(f"signature-{n}-name", ""),
                            "role": form.get(f"signature-{n}-role", "")}
                           for n in range(MAX_SIGNATURES)]}


@bp.route("/admin/calls/<int:call_id>/certificate-template", methods=["GET", "POST"])
@permission_required("calls.read")
def call_certificate_template(call_id: int):
    return _certificate_template("call", call_id)


@bp.route("/projects/<int:project_id>/certificate-template", methods=["GET", "POST"])
@permission_required("calls.read")
def project_certificate_template(project_id: int):
    return _certificate_template("project", project_id)


def _certificate_template(kind: str, owner_id: int):
    """The certificate template of a call or project: edit (admins), or preview as PDF."""
    if request.method == "POST" and not can(current_user, "calls.write"):
        abort(403)
    owner = _template_owner(kind, owner_id)
    column = CertificateTemplate.call_id if kind == "call" else CertificateTemplate.project_id
    template = db.session.scalar(select(CertificateTemplate).where(column == owner.id))
    problems = []
    if request.method == "POST":
        values = _template_form()
        if request.form.get("action") == "preview":
            problems = template_problems(values["title"], values["body"],
                                         [s for s in values["signatures"] if s["name"] or s["role"]],
                                         values["orientation"])
            if not problems:
                return _preview(owner, values)
        else:
            try:
                save_template(db.session, owner, **values, user_id=current_user.id)
            except Problems as refused:
                db.session.rollback()
                problems = refused.problems
            else:
                db.session.commit()
                flash(_("Certificate template saved."), "success")
                return redirect(url_for(f"programme.{kind}_certificate_template",
                                        **{f"{kind}_id": owner.id}))
    shown = template or (template_for(db.session, owner) if kind == "project" else None)
    return render_template(
        "programme/certificate_template.html", owner=owner, kind=kind, template=template,
        shown=wording_of(shown), posted=request.form if problems else None, problems=problems,
        placeholders=PLACEHOLDERS, max_signatures=MAX_SIGNATURES), 422 if problems else 200


def _preview(owner, values: dict):
    project = owner if isinstance(owner, Project) else None
    sample = {"name": "Ioana Popescu", "course": "Securitate cibernetică", "hours": "38",
              "planned_hours": "40", "period": "2026-03-02 – 2026-03-27",
              "serial": "TH-2026-000001",
              "project": project.title if project else "Titlul proiectului"}
    content = attendance_pdf.certificate(
        letterhead=document_letterhead(db.session, project,
                                       call=owner if project is None else None),
        title=fill(values["title"], sample), body=fill(values["body"], sample),
        signatures=[s for s in values["signatures"] if s["name"] or s["role"]],
        orientation=values["orientation"], serial=sample["serial"], issued_on=date.today(),
        verify_url=url_for("verification.verify", token="preview", _external=True))
    return download_response(content, "certificate-preview.pdf", PDF, inline=True)
