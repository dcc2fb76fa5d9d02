"""Per-response plumbing: security headers, escaping of translated text, the POST and
authority-read audit, request logs, database outages."""
import json
import logging
import time

from flask import Flask, abort, g, render_template, request
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

log = logging.getLogger(__name__)
request_log = logging.getLogger("trainhub.requests")

#: no inline script and no inline style anywhere (both live in trainhub/static; progress bars
#: are native <progress> elements); Bootstrap's CSS draws some icons from data: SVGs.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

HSTS = "max-age=31536000; includeSubDomains"


def security_headers(response, hsts: bool):
    """Add the security headers; a view that set a stricter policy of its own keeps it."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if hsts:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def discard_transaction() -> None:
    """Roll the request's transaction back; a connection the server dropped is discarded instead.

    When PostgreSQL terminates a connection (a restart), the ROLLBACK on it raises again; the
    session then drops its connections from the pool so the next request gets a fresh one.
    """
    from trainhub.extensions import db

    try:
        db.session.rollback()
    except DBAPIError:
        db.session().invalidate()  # (scoped_session does not proxy invalidate)


def _logged_in_user_id() -> int | None:
    """The user of this request when Flask-Login already loaded one; never queries."""
    user = g.get("_login_user")
    return user.id if user is not None and user.is_authenticated else None


def audit_post(response):
    """Record every POST by a logged-in user: method, endpoint and status, never the form."""
    from trainhub.audit.services import record
    from trainhub.extensions import db

    if request.method != "POST":
        return response
    user_id = g.get("post_user_id") or _logged_in_user_id()
    if user_id is None:
        return response
    try:
        db.session.rollback()  # what the view did not commit is not committed by the audit
        record(db.session, "http.post", None,
               {"method": request.method, "endpoint": request.endpoint or "",
                "path": request.path, "status": response.status_code}, user_id=user_id)
        db.session.commit()
    except DBAPIError:
        discard_transaction()
        log.exception("could not audit POST %s by user %s", request.path, user_id)
    return response


def audit_authority_read(response):
    """Record every page the managing authority reads (issue 7: its access is audited)."""
    from trainhub.audit.services import record
    from trainhub.auth.models import Role
    from trainhub.extensions import db

    user = g.get("_login_user")
    if (request.method != "GET" or response.status_code != 200 or not request.endpoint
            or request.endpoint.endswith("static") or user is None
            or not user.is_authenticated or user.role != Role.AUTHORITY):
        return response
    try:
        record(db.session, "authority.view", None, {"path": request.full_path.rstrip("?")},
               user_id=user.id)
        db.session.commit()
    except DBAPIError:
        discard_transaction()
        log.exception("could not audit the authority's read of %s", request.path)
    return response


def request_log_line(response) -> str:
    """The JSON line describing this request, for log shippers."""
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    return json.dumps({"method": request.method, "path": request.path,
                       "status": response.status_code, "duration_ms": duration_ms,
                       "user_id": _logged_in_user_id()}, separators=(",", ":"))


#: SQLITE_BUSY and SQLITE_LOCKED: another connection still held the database after the busy timeout
_SQLITE_CONTENDED = {5, 6}


def lost_to_a_concurrent_write(error: DBAPIError) -> bool:
    """Whether the database gave up on this transaction because of another one: a PostgreSQL
    deadlock or serialization failure (SQLSTATE class 40), or SQLite still locked after its
    busy timeout. Nothing was written, and the same request can simply be made again."""
    orig = error.orig
    return (str(getattr(orig, "sqlstate", None) or "").startswith("40")
            or getattr(orig, "sqlite_errorcode", None) in _SQLITE_CONTENDED)


def database_unavailable(error: DBAPIError):
    """A lost database connection answers the 503 page (JSON for the API), not a 500; a write
    the database aborted for a concurrent one answers 409 and asks to try again."""
    from trainhub.api.errors import error_response, is_api_request
    from trainhub.extensions import login_manager

    discard_transaction()
    conflict = lost_to_a_concurrent_write(error)
    unavailable = not conflict and (isinstance(error, OperationalError | InterfaceError)
                                    or error.connection_invalidated)
    if unavailable or g.get("_login_user") is None:
        # The layout must not query again: a user loaded before the outage was expired by the
        # rollback, and reading it would need the database that just went away.
        g._login_user = login_manager.anonymous_user()
    if conflict:
        log.warning("transaction aborted for a concurrent one: %s", error.orig)
        code, title, message = 409, _l("Changed at the same moment"), _l(
            "Someone else changed the same records at the same moment, so nothing was saved. "
            "Please try again.")
    elif unavailable:
        log.error("database unavailable: %s", error.orig or error)
        code, title, message = 503, _l("Service unavailable"), _l(
            "The service is temporarily unavailable.")
    else:
        log.exception("database error", exc_info=error)
        code, title, message = 500, _l("Something went wrong"), _l(
            "The error was logged. Please try again later.")
    if is_api_request():
        from werkzeug.exceptions import Conflict, InternalServerError, ServiceUnavailable

        return error_response({409: Conflict(), 503: ServiceUnavailable()}.get(
            code, InternalServerError()))
    return render_template("error.html", code=code, title=title, message=message), code


def text_not_markup(value):
    """What a template prints: a translated lazy string as plain text.

    Flask-Babel's LazyString says it is HTML (`__html__`), so Jinja would print it unescaped,
    and a message carrying a typed value ("'<script>…' is not a number") would reach the page
    as markup. None of our lazy strings holds markup, so all of them are escaped like any text.
    """
    return str(value) if isinstance(value, LazyString) else value


def has_nul_character() -> bool:
    """Whether any query or form value (or name), or URL part, of the request holds U+0000."""
    texts = [*request.args.items(multi=True), *request.form.items(multi=True)]
    parts = [text for pair in texts for text in pair]
    parts += [value for value in (request.view_args or {}).values() if isinstance(value, str)]
    return any("\x00" in part for part in parts)


def init_app(app: Flask) -> None:
    """Install the hooks on `app`."""
    app.jinja_env.finalize = text_not_markup
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    if app.config.get("REQUEST_LOG_JSON") and not request_log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        request_log.addHandler(handler)
        request_log.setLevel(logging.INFO)
        request_log.propagate = False

    @app.before_request
    def _refuse_nul_characters():
        # PostgreSQL text cannot hold U+0000: a value carrying one would fail in the database
        if has_nul_character():
            abort(400)

    @app.before_request
    def _remember_start_and_poster():
        g.request_started = time.perf_counter()
        if request.method == "POST" and request.endpoint != "static":
            # logout forgets the user before the response: remember who posted
            g.post_user_id = current_user.id if current_user.is_authenticated else None

    @app.after_request
    def _harden_audit_and_log(response):
        audit_post(response)
        audit_authority_read(response)
        security_headers(response, app.config.get("HSTS_ENABLED", False))
        if app.config.get("REQUEST_LOG_JSON"):
            request_log.info(request_log_line(response))
        return response

    app.register_error_handler(DBAPIError, database_unavailable)

    @app.teardown_appcontext
    def _end_transaction(_error=None) -> None:
        # Runs before Flask-SQLAlchemy's own teardown (teardowns run last-registered first),
        # whose ROLLBACK on a dropped connection would turn a finished response into a 500.
        discard_transaction()
