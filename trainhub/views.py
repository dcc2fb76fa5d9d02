"""Wires the blueprints, the home dashboard, error pages and per-request context."""
from flask import (
    Blueprint,
    Flask,
    get_flashed_messages,
    jsonify,
    render_template,
    request,
)
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from markupsafe import Markup, escape

from trainhub.api.errors import error_response, is_api_request
from trainhub.auth.models import Role
from trainhub.auth.permissions import can, permission_required, public
from trainhub.core.fragments import kept_parts, slot
from trainhub.documents.services import enterprise_completeness
from trainhub.extensions import db
from trainhub.programme.services import overview_for

bp = Blueprint("main", __name__)

#: the navigation bar: (group label, [(endpoint, label, permission), ...]), filled in register();
#: a group shows as a dropdown of the entries the user may open (as a plain link when only
#: one is), so the bar fits at 1366 px in every role and language
NAV_ITEMS: list[tuple[str, list[tuple[str, str, str]]]] = []


@bp.route("/")
@permission_required("dashboard.read")
def dashboard():
    completeness = None
    if current_user.role == Role.SME and current_user.enterprise is not None:
        completeness = enterprise_completeness(db.session, current_user.enterprise)
    funnel = None
    if can(current_user, "applications.review"):
        from trainhub.applications.services import FUNNEL_STAGES, recruitment_funnel

        funnel = (FUNNEL_STAGES, recruitment_funnel(db.session, current_user))
    return render_template("dashboard.html", overview=overview_for(current_user),
                           completeness=completeness, funnel=funnel)


@bp.route("/healthz")
@public
def healthz():
    """For the load balancer: 200 when the database answers `SELECT 1`, else 503."""
    from trainhub.core.health import database_is_up

    if database_is_up():
        return jsonify(status="ok", database="ok")
    return jsonify(status="unavailable", database="unreachable"), 503


#: the entries that carry a badge (`_nav_badge`), counted on each request, never kept
_BADGE_ENDPOINTS = frozenset({"applications.queue"})
_FLASH = '\n      <div class="alert alert-{}" role="alert">{}</div>\n    '


def _nav_groups(user) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """The navigation groups with only the entries `user` may open; empty groups go."""
    groups = []
    for label, entries in NAV_ITEMS:
        allowed = [entry for entry in entries if can(user, entry[2])]
        if allowed:
            groups.append((label, allowed))
    return groups


def _nav_badge(user, endpoint: str) -> int | None:
    """The number shown beside a menu entry: the applications waiting for a decision."""
    if endpoint == "applications.queue" and can(user, "applications.review"):
        from trainhub.applications.services import pending_count

        return pending_count(db.session, user)
    return None


def _kept_layout(user, signed_in: bool) -> tuple[str, ...]:
    """The layout's HTML for the user's role (none when signed out), locale and script root,
    split at its slots (the odd parts are the slots' names): made once per app and kept, as it
    holds nothing else of the user (permissions are the role's) nor of the request."""
    return kept_parts(
        ("layout", user.role if signed_in else None, str(get_locale()), request.script_root),
        lambda: render_template(
            "_partials/layout.html", groups=_nav_groups(user) if signed_in else [], slot=slot,
            badge_slot=lambda endpoint: slot(endpoint) if endpoint in _BADGE_ENDPOINTS else ""))


def page_layout() -> tuple[Markup, Markup, Markup]:
    """base.html: the kept layout of this role, locale and script root around the page's title
    and content (the HTML before the title, between title and content, after the content),
    with this request's CSRF token, path, e-mail, flashed messages and badges in its slots."""
    user = current_user._get_current_object()
    signed_in = user.is_authenticated
    parts = _kept_layout(user, signed_in)
    values = {"csrf": escape(generate_csrf()), "next": escape(request.full_path.rstrip("?")),
              "email": escape(user.email) if signed_in else "",
              "flashes": "".join(
                  _FLASH.format(escape(category if category != "message" else "info"),
                                escape(message))
                  for category, message in get_flashed_messages(with_categories=True))}
    pieces, out = [], [parts[0]]
    for index in range(1, len(parts), 2):
        name = parts[index]
        if name in ("title", "content"):
            pieces.append(Markup("".join(out)))
            out = []
        elif name in values:
            out.append(values[name])
        else:
            badge = _nav_badge(user, name)
            out.append(f' <span class="badge text-bg-warning" data-testid="nav-badge">{badge}</span>'
                       if badge else "")
        out.append(parts[index + 1])
    pieces.append(Markup("".join(out)))
    return tuple(pieces)


def _error_page(code: int, title: str, message: str):
    def handler(error):
        if is_api_request():
            return error_response(error)
        return render_template("error.html", code=code, title=title, message=message), code

    return handler


def register(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from trainhub.applications.views import bp as applications_bp
    from trainhub.attendance.views import bp as attendance_bp
    from trainhub.attendance.views import verification_bp
    from trainhub.audit.views import bp as audit_bp
    from trainhub.auth.views import bp as auth_bp
    from trainhub.core import i18n
    from trainhub.core.formats import register_filters
    from trainhub.core.labels import ELIGIBILITY_LABELS, FLAG_LABELS, SEX_LABELS, SIZE_LABELS
    from trainhub.core.urls import url_for_any_id, url_for_any_value
    from trainhub.courses.views import bp as courses_bp
    from trainhub.documents.views import bp as documents_bp
    from trainhub.enterprises.views import bp as enterprises_bp
    from trainhub.imports.views import bp as imports_bp
    from trainhub.indicators.views import bp as indicators_bp
    from trainhub.jobs.views import bp as jobs_bp
    from trainhub.journey.views import bp as journey_bp
    from trainhub.journey.views import follow_up_bp
    from trainhub.participants.views import bp as participants_bp
    from trainhub.programme.views import bp as programme_bp
    from trainhub.selfservice.views import bp as selfservice_bp

    for blueprint in (bp, auth_bp, audit_bp, courses_bp, attendance_bp, verification_bp,
                      enterprises_bp, participants_bp, imports_bp, programme_bp, indicators_bp,
                      documents_bp, jobs_bp, selfservice_bp, applications_bp, journey_bp,
                      follow_up_bp):
        app.register_blueprint(blueprint)
    NAV_ITEMS[:] = [
        (_l("Programme"), [
            ("programme.projects", _l("Projects"), "projects.read"),
            ("programme.calls", _l("Eligibility rules"), "calls.read"),
            ("documents.checklists", _l("Document checklists"), "calls.read"),
            ("indicators.dashboard", _l("Indicators"), "indicators.read"),
            ("indicators.calls", _l("Call indicators"), "indicators.read"),
        ]),
        (_l("Registry"), [
            ("enterprises.index", _l("Enterprises"), "enterprises.read"),
            ("participants.index", _l("Participants"), "participants.read"),
            ("documents.index", _l("Documents"), "documents.read"),
            ("applications.queue", _l("Applications"), "applications.review"),
        ]),
        (_l("Training"), [
            ("courses.catalogue_page", _l("Courses"), "courses.read"),
            ("courses.cohorts", _l("Cohorts"), "courses.read"),
            ("courses.calendar", _l("Calendar"), "courses.read"),
            ("journey.index", _l("Digital journey"), "journey.read"),
        ]),
        (_l("Administration"), [
            ("auth.users", _l("Users"), "users.read"),
            ("auth.invitation_list", _l("Invitations"), "users.invite"),
            ("audit.events", _l("Audit trail"), "audit.read"),
            ("participants.retention", _l("Retention"), "participants.retention"),
            ("jobs.index", _l("Background jobs"), "dashboard.read"),
        ]),
    ]

    register_filters(app)
    i18n.install(app)
    app.add_template_global(url_for_any_id)
    app.add_template_global(url_for_any_value)

    @app.context_processor
    def _template_helpers() -> dict:
        return {"can": lambda permission: can(current_user, permission), "page_layout": page_layout,
                "get_locale": get_locale,
                "size_labels": SIZE_LABELS, "eligibility_labels": ELIGIBILITY_LABELS,
                "flag_labels": FLAG_LABELS, "sex_labels": SEX_LABELS}

    for code, title, message in (
        (400, _l("Bad request"), _l("The request could not be understood.")),
        (403, _l("Not allowed"), _l("You do not have permission to do this.")),
        (404, _l("Not found"), _l("The page or record does not exist, or you cannot see it.")),
        (405, _l("Not allowed"), _l("This action is not available here.")),
        (413, _l("File too large"), _l("The upload is larger than the allowed size.")),
        (429, _l("Too many attempts"), _l("Too many attempts. Wait a minute and try again.")),
        (500, _l("Something went wrong"), _l("The error was logged. Please try again later.")),
        (503, _l("Service unavailable"), _l("The service is temporarily unavailable.")),
    ):
        app.register_error_handler(code, _error_page(code, title, message))
    app.register_error_handler(
        CSRFError,
        _error_page(400, _l("Form expired"), _l("The form was too old or incomplete. Reload the page and try again.")),
    )


@bp.route("/guide/")
@bp.route("/guide/<page>")
@public
def guide(page: str = "index"):
    """The user guide (docs/guide), in the reader's language, rendered from its Markdown."""
    from flask import abort, url_for

    from trainhub.core.guide import PAGES, page_text, render_markdown

    language = "en" if str(get_locale()) == "en" else "ro"
    text = page_text(language, page)
    if text is None:
        abort(404)
    title, _newline, body = text.partition("\n")
    return render_template(
        "guide.html", title=title.lstrip("# ").strip(), pages=PAGES, page=page,
        body=render_markdown(body, image_base=url_for("main.guide_image", name="x")[:-1],
                             page_base=url_for("main.guide")))


@bp.route("/guide/img/<name>")
@public
def guide_image(name: str):
    from flask import abort, send_file

    from trainhub.core.guide import image_path

    path = image_path(name)
    if path is None:
        abort(404)
    return send_file(path, mimetype="image/png", max_age=3600)
