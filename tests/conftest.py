"""Shared fixtures: the app on SQLite or PostgreSQL (TEST_DATABASE_URL), clients, query counter."""
import io
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import DateTime, event, insert, literal, select, text, true
from sqlalchemy.orm import Session

from config import TestingConfig
from trainhub import create_app
from trainhub.auth.models import User
from trainhub.core.models import utcnow
from trainhub.enterprises.models import seed_rates
from trainhub.extensions import db
from trainhub.journey.seed import seed_questionnaire
from trainhub.programme.models import Project, ProjectMember

ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
PASSWORD = "correct-horse-9"


def run_in_threads(app: Flask, *jobs: Callable[[Session], None]) -> list[Exception]:
    """Run each job at the same time in a thread of its own, with its own app context and
    database session; returns what they raised (a thread cannot fail the test itself)."""
    errors = []

    def run(job) -> None:
        try:
            with app.app_context(), Session(db.engine) as session:
                job(session)
        except Exception as error:  # noqa: BLE001  (handed back to the test)
            errors.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


def _empty_database() -> None:
    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    if ON_POSTGRES:
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(text(f"DELETE FROM {table}"))
    seed_rates(db.session.connection())  # reference data every test starts with
    seed_questionnaire(db.session.connection())
    db.session.commit()


def make_app(**overrides) -> Flask:
    config = TestingConfig()
    for key, value in overrides.items():
        setattr(config, key, value)
    return create_app(config)


class FreshContextClient(FlaskClient):
    """Runs each request in its own app context, as a real server does.

    The test itself holds an app context for its database work; without this, requests would
    share its `g` (cached user, CSRF token) and its session. After each request the test's
    session forgets what it had loaded, so it sees what the request wrote.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


@contextmanager
def app_with_schema(**config) -> Iterator[Flask]:
    """An app with its tables created, emptied and disconnected afterwards."""
    app = make_app(**config)
    app.test_client_class = FreshContextClient
    with app.app_context():
        db.create_all()
        try:
            yield app
        finally:
            db.session.rollback()
            _empty_database()
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(tmp_path) -> Iterator[Flask]:
    with app_with_schema(UPLOAD_DIR=str(tmp_path / "uploads")) as app:
        yield app


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


class Auth:
    """Logs a test client in and out through the real login form."""

    def __init__(self, client: FlaskClient):
        self.client = client

    def csrf_token(self, url: str = "/login") -> str:
        return csrf_token_from(self.client.get(url).get_data(as_text=True))

    def login(self, email: str, password: str = PASSWORD):
        token = self.csrf_token("/login")
        return self.client.post("/login", data={"email": email, "password": password,
                                                "csrf_token": token})

    def logout(self):
        token = self.csrf_token("/")
        return self.client.post("/logout", data={"csrf_token": token})

    def post(self, url: str, data: dict | None = None, **kwargs):
        """POST with a CSRF token taken from the dashboard page."""
        payload = {"csrf_token": self.csrf_token("/")} | (data or {})
        return self.client.post(url, data=payload, **kwargs)


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as counter:` counts the SQL statements run inside the block."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def listener(_conn, _cursor, statement, *_args):
            counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)

    return counting


@pytest.fixture
def page_queries(client, count_queries):
    """`page_queries(url)`: how many SQL statements a successful GET of `url` runs.

    List pages must give the same number for 10 and 100 rows (DESIGN §12).
    """

    def measure(url: str) -> int:
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    return measure


def _team_rows(project_ids, user_ids):
    now = literal(utcnow(), DateTime(timezone=True))
    return insert(ProjectMember.__table__).from_select(
        ["project_id", "user_id", "role", "created_at", "updated_at"],
        select(Project.id, User.id, User.role, now, now).join_from(Project, User, true())
        .where(Project.id.in_(project_ids), User.id.in_(user_ids), User.role == "coordinator"))


@pytest.fixture
def one_team(app):
    """The world before project teams, for tests about something else: every coordinator is on
    every project's team, whichever was made first. Scoping by project is tested without it."""

    def new_project(_mapper, connection, project):
        connection.execute(_team_rows([project.id], select(User.id)))

    def new_user(_mapper, connection, user):
        if user.role == "coordinator":
            connection.execute(_team_rows(select(Project.id), [user.id]))

    event.listen(Project, "after_insert", new_project)
    event.listen(User, "after_insert", new_user)
    try:
        yield
    finally:
        event.remove(Project, "after_insert", new_project)
        event.remove(User, "after_insert", new_user)


def xlsx_table(data: bytes) -> list[tuple]:
    """The rows of an exported workbook's first sheet from its header row on (the identity
    lines above it, one cell each, and the blank row after them are left out)."""
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(data)).active.values)
    start = next((i for i, row in enumerate(rows)
                  if sum(value is not None for value in row) > 1), 0)
    return rows[start:]
