"""Security headers, no inline script or style, the POST audit, request logs, /healthz and outages."""
import json
import logging
import os
import re

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from tests.conftest import Auth, app_with_schema, make_app
from tests.factories import UserFactory
from tests.test_access_matrix import ACCESS, _url, build_world
from trainhub.audit.models import AuditEvent
from trainhub.auth.services import issue_token
from trainhub.extensions import db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|<[^>]+\sstyle\s*=", re.IGNORECASE)


def test_the_patterns_catch_what_they_should():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/x.js"></script>')
    assert EVENT_ATTRIBUTE.search('<button type="button" onclick="go()">')
    assert not EVENT_ATTRIBUTE.search('<input name="online" value="on">')
    assert INLINE_STYLE.search('<div class="bar" style="width: 5%">')
    assert INLINE_STYLE.search("<style>p { color: red }</style>")
    assert not INLINE_STYLE.search('<td data-style="x">list-style</td>')


def test_every_page_has_no_inline_script_and_sends_the_headers(app, client, auth):
    world = build_world()
    assert auth.login(world.users["admin"]).status_code == 302
    checked = 0
    for method, endpoint in sorted(ACCESS):
        if method != "GET" or endpoint.startswith(("api.", "api-docs.")):
            continue
        response = client.get(_url(app, endpoint, world))
        assert response.status_code < 500, endpoint
        assert "Content-Security-Policy" in response.headers, endpoint
        assert response.headers["X-Content-Type-Options"] == "nosniff", endpoint
        if response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            assert not INLINE_SCRIPT.search(html), f"inline <script> on {endpoint}"
            assert not EVENT_ATTRIBUTE.search(html), f"on*= handler on {endpoint}"
            assert not INLINE_STYLE.search(html), f"inline style on {endpoint}"
            checked += 1
    assert checked > 30


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "style-src 'self'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # not in development/tests


def test_production_sends_hsts_and_secure_cookies(monkeypatch, tmp_path):
    from config import ProductionConfig

    monkeypatch.setenv("SECRET_KEY", "a-long-production-secret")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    monkeypatch.setenv("UPLOAD_DIR", str(tmp_path / "uploads"))
    config = ProductionConfig()
    app = make_app()
    app.config.from_object(config)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REQUEST_LOG_JSON"] is True
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_every_post_by_a_logged_in_user_is_audited_without_the_form(app, auth):
    user = UserFactory(email="ana@example.org")
    db.session.commit()
    auth.login("ana@example.org")
    auth.post("/language", {"locale": "en"})
    auth.logout()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "http.post")
                                .order_by(AuditEvent.id)).all()
    assert [(e.user_id, e.changes["endpoint"], e.changes["status"]) for e in events] == [
        (user.id, "auth.login", 302), (user.id, "auth.set_language", 302),
        (user.id, "auth.logout", 302)]
    assert all("password" not in json.dumps(e.changes) for e in events)


def test_anonymous_posts_are_not_audited(app, auth):
    auth.login("nobody@example.org", "wrong-password-1")
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "http.post")) is None


def test_json_request_log_line(tmp_path):
    from trainhub.web import request_log

    app = make_app(UPLOAD_DIR=str(tmp_path))
    app.config["REQUEST_LOG_JSON"] = True  # set late: no stderr handler of its own in tests
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    request_log.addHandler(handler)
    level, disabled = request_log.level, request_log.disabled
    request_log.setLevel(logging.INFO)
    request_log.disabled = False  # Alembic's fileConfig (migration tests) disables loggers
    try:
        app.test_client().get("/login?next=/")
    finally:
        request_log.removeHandler(handler)
        request_log.setLevel(level)
        request_log.disabled = disabled
    line = json.loads(lines[-1])
    assert line["method"] == "GET" and line["path"] == "/login" and line["status"] == 200
    assert line["user_id"] is None and line["duration_ms"] >= 0


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok", "database": "ok"}


def test_healthz_and_pages_when_the_database_is_unreachable(tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://x@127.0.0.1:1/x",
                   UPLOAD_DIR=str(tmp_path))
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json["database"] == "unreachable"
    with client.session_transaction() as session:
        session["_user_id"] = "1:1"  # a logged-in visitor: loading the user needs the database
    response = client.get("/")
    assert response.status_code == 503 and "<h1" in response.get_data(as_text=True)


@pytest.fixture
def database_down(app):
    """While `state["down"]` is true every SQL statement fails as if the server had gone;
    `state["after_the_user"]` brings it down right after the request has loaded its user."""
    state = {"down": False, "after_the_user": False}

    def fail(_connection, _cursor, statement, *_args):
        if state["after_the_user"] and "FROM users" in statement:
            state.update(after_the_user=False, down=True)
            return
        if state["down"]:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("server closed"))

    event.listen(db.engine, "before_cursor_execute", fail)
    yield state
    event.remove(db.engine, "before_cursor_execute", fail)


def test_pages_answer_503_while_the_database_is_down_and_recover(app, client, auth,
                                                                  database_down):
    UserFactory(email="ana@example.org")
    db.session.commit()
    auth.login("ana@example.org")
    assert client.get("/enterprises/").status_code == 200
    database_down["down"] = True
    response = client.get("/enterprises/")
    assert response.status_code == 503
    assert "<h1" in response.get_data(as_text=True)  # the error page in the layout
    api = client.get("/api/v1/enterprises", headers={"Authorization": "Bearer some-token"})
    assert api.status_code == 503 and api.json["status"] == 503
    assert client.get("/healthz").status_code == 503
    database_down["down"] = False
    assert client.get("/enterprises/").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_an_outage_after_the_user_was_loaded_answers_503_not_500(app, client, auth,
                                                                 database_down):
    UserFactory(email="ana@example.org")
    db.session.commit()
    auth.login("ana@example.org")
    database_down["after_the_user"] = True  # the rollback expires the user the layout shows
    response = client.get("/enterprises/")
    assert response.status_code == 503 and "<h1" in response.get_data(as_text=True)
    database_down["down"] = False
    assert client.get("/enterprises/").status_code == 200


class _Deadlock(Exception):
    sqlstate = "40P01"  # what psycopg reports for PostgreSQL's "deadlock detected"


class _SqliteBusy(Exception):
    sqlite_errorcode = 5  # SQLITE_BUSY: "database is locked" after the busy timeout


@pytest.mark.parametrize("lost", [_Deadlock("deadlock detected"), _SqliteBusy("database is locked")])
def test_a_write_aborted_for_a_concurrent_one_asks_to_try_again(app, client, auth, lost):
    user = UserFactory(email="ana@example.org")
    token = issue_token(db.session, user, "test")[1]
    db.session.commit()
    auth.login("ana@example.org")

    def lose(_connection, _cursor, statement, *_args):
        if "FROM enterprises" in statement:
            raise OperationalError(statement, {}, lost)

    event.listen(db.engine, "before_cursor_execute", lose)
    try:
        response = client.get("/enterprises/")
        api = client.get("/api/v1/enterprises", headers={"Authorization": f"Bearer {token}"})
    finally:
        event.remove(db.engine, "before_cursor_execute", lose)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "nothing was saved. Please try again." in page
    assert "ana@example.org" in page  # the database is up: the layout still shows who is signed in
    assert api.status_code == 409 and api.json["status"] == 409
    assert client.get("/enterprises/").status_code == 200


@pytest.fixture
def durable_app(tmp_path):
    """The app on a database that outlives a discarded connection: PostgreSQL, or an SQLite
    file (the in-memory one dies with its only connection)."""
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'trainhub.db'}"
    with app_with_schema(SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path / "uploads")) as app:
        yield app


def test_a_connection_dropped_under_the_closing_rollback_still_answers(durable_app,
                                                                       monkeypatch):
    """PostgreSQL restarting terminates the connection; the ROLLBACK that ends the request
    then fails, and must neither turn the finished page into a 500 nor poison the pool."""
    UserFactory(email="ana@example.org")
    db.session.commit()
    client = durable_app.test_client()
    Auth(client).login("ana@example.org")
    dialect = db.engine.dialect
    rollback, dropped = dialect.do_rollback, []

    def terminated_by_the_server(dbapi_connection):
        if not dropped:
            dropped.append(dbapi_connection)
            raise dialect.loaded_dbapi.OperationalError(
                "terminating connection due to administrator command")
        rollback(dbapi_connection)

    monkeypatch.setattr(dialect, "do_rollback", terminated_by_the_server)
    assert client.get("/enterprises/").status_code == 200
    assert dropped
    assert client.get("/enterprises/").status_code == 200


def test_trusted_proxy_sets_the_client_address_and_scheme(tmp_path):
    from flask import request

    app = make_app(TRUSTED_PROXIES=1, UPLOAD_DIR=str(tmp_path))
    seen = {}

    @app.get("/_probe")
    def _probe():
        seen.update(addr=request.remote_addr, scheme=request.scheme)
        return "ok"

    _probe.permission = "public"
    app.test_client().get("/_probe", headers={"X-Forwarded-For": "203.0.113.9",
                                              "X-Forwarded-Proto": "https"})
    assert seen == {"addr": "203.0.113.9", "scheme": "https"}


def test_gunicorn_is_a_dependency_and_wsgi_builds_the_production_app(monkeypatch, tmp_path):
    import importlib
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    dependencies = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(d.startswith("gunicorn") for d in dependencies)
    assert "gunicorn" in (root / "Makefile").read_text().split("serve:")[1].split("\n\n")[0]
    assert "docs/deploy.md" in (root / "README.md").read_text()
    monkeypatch.setenv("TRAINHUB_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-production-secret")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    monkeypatch.setenv("UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("REQUEST_LOG_JSON", "false")
    import wsgi

    app = importlib.reload(wsgi).app
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["HSTS_ENABLED"]


def test_a_typed_value_inside_a_translated_message_is_escaped(app, client, auth):
    """A field error quotes what was typed through a lazy translated string; it is text."""
    coordinator = UserFactory(role="coordinator")
    db.session.commit()
    auth.login(coordinator.email)
    page = auth.post("/enterprises/new", {"cui": "1", "name": "X", "caen": "6201",
                                          "county": "RO-CJ",
                                          "employees": "<script>alert(1)</script>"})
    html = page.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("url", ["/participants/?q=a%00b", "/enterprises/?county=%00",
                                 "/admin/audit/?entity_type=%00"])
def test_a_nul_character_is_a_bad_request_on_every_database(app, client, auth, url):
    """PostgreSQL text cannot hold U+0000: such a value is refused before any query."""
    admin = UserFactory(role="admin")
    db.session.commit()
    auth.login(admin.email)
    assert client.get(url).status_code == 400
    assert auth.post("/enterprises/new", {"name": "a\x00b"}).status_code == 400
