"""Shared fixtures: the app on SQLite or PostgreSQL (TEST_DATABASE_URL), clients, query counter."""
import io
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import DateTime, Engine, event, insert, literal, select, text, true
from sqlalchemy.orm import Session
from werkzeug.routing import Rule

from config import TestingConfig
from trainhub import create_app
from trainhub.auth.models import User
from trainhub.core.models import utcnow
from trainhub.enterprises.models import seed_rates
from trainhub.extensions import db
from trainhub.indicators.facts import TRIGGERS
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
    connection = db.session.connection()
    if ON_POSTGRES:
        with _triggers_off(connection):
            _delete_every_row(connection)
        connection.exec_driver_sql(_RESTART_OWNED_SEQUENCES)
    else:
        _delete_every_row(connection)
    seed_rates(connection)  # reference data every test starts with
    seed_questionnaire(connection)
    db.session.commit()


_RESTART_OWNED_SEQUENCES = """
    SELECT setval(sequence.oid, 1, false)
    FROM pg_class AS sequence
    JOIN pg_depend AS owner ON owner.objid = sequence.oid
     AND owner.classid = 'pg_class'::regclass AND owner.deptype IN ('a', 'i')
    WHERE sequence.relkind = 'S'
"""

# The schema of an in-memory SQLite database as `create_all` leaves it (tables, triggers, seeded
# reference data), built once per run and copied into each test's database: a copy takes a
# millisecond where `create_all` takes a tenth of a second, some minutes over the suite.
_sqlite_template: sqlite3.Connection | None = None


def _create_schema(app: Flask) -> None:
    """Give the app's database the tables `create_all` makes, as quickly as it can be done."""
    global _sqlite_template
    if app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://":
        if _sqlite_template is None:
            db.create_all()
            _sqlite_template = _sqlite_copy()
        else:
            _sqlite_restore(_sqlite_template)
    elif not (ON_POSTGRES and _postgres_schema_in_place()):
        db.create_all()


def _postgres_schema_in_place() -> bool:
    """Whether every table and trigger `create_all` makes is there (a test may drop them all)."""
    tables, triggers = db.session.execute(text(
        "SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()),"
        " (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal)")).one()
    db.session.rollback()
    return tables == len(db.metadata.tables) and triggers >= len(TRIGGERS)


def _keep_compiled_url_builders() -> None:
    """Werkzeug compiles two URL builders (Python code, from an AST) for each of an app's some
    1,700 rules; the suite makes an app per test, so each builder is compiled once per run and
    reused. A builder is a plain function of the rule it is bound to; what its code depends on
    (the rule's parsed parts, its defaults, whether unknown arguments are appended) is the key.
    """
    compile_builder = Rule._compile_builder
    kept: dict[tuple, Callable] = {}

    def kept_builder(rule: Rule, append_unknown: bool = True) -> Callable:
        key = (append_unknown, rule.rule, tuple(rule._trace),
               tuple((name, type(value), repr(value))
                     for name, value in (rule.defaults or {}).items()),
               tuple((name, type(converter)) for name, converter in rule._converters.items()))
        if key not in kept:
            kept[key] = compile_builder(rule, append_unknown)
        return kept[key]

    Rule._compile_builder = kept_builder


_keep_compiled_url_builders()


class _KeptEngines:
    """Engines kept for the whole run, instead of one per test's app: SQLAlchemy keeps each
    statement's compiled SQL per engine, and compiling the same statements again in every test
    cost about a fifth of the suite. An app takes a free engine of its database and options (or
    a new one) and `app_with_schema` gives it back after disposing of its connections (an
    in-memory SQLite database goes with its connection, so the next test starts empty). Two apps
    alive at once never share one: each has a database of its own, as before."""

    def __init__(self) -> None:
        self.make_engine = db._make_engine
        self.shared_urls = {"sqlite://", os.environ.get("TEST_DATABASE_URL") or "sqlite://"}
        self.free: dict[str, list[Engine]] = {}
        self.keys: dict[Engine, str] = {}
        db._make_engine = self.take

    def take(self, bind_key, options, app) -> Engine:
        if bind_key is not None or str(options.get("url")) not in self.shared_urls:
            return self.make_engine(bind_key, options, app)
        key = repr(sorted(options.items(), key=lambda item: item[0]))
        free = self.free.setdefault(key, [])
        engine = free.pop() if free else self.make_engine(bind_key, options, app)
        self.keys[engine] = key
        return engine

    def give_back(self, engine: Engine) -> None:
        if engine in self.keys:
            self.free[self.keys[engine]].append(engine)


_kept_engines = _KeptEngines()


class DatabaseSnapshot:
    """The rows of a test's database and its uploaded files, taken once and put back into later
    tests' empty databases: for a world many tests start from, built once instead of per test.
    What comes back is what was taken, ids and sequences included."""

    def __init__(self, app: Flask):
        db.session.commit()
        upload_dir = Path(app.config["UPLOAD_DIR"])
        self.files = {path.relative_to(upload_dir): path.read_bytes()
                      for path in upload_dir.rglob("*") if path.is_file()}
        if ON_POSTGRES:
            connection = db.session.connection()
            self.rows = {table: [row._asdict() for row in connection.execute(select(table))]
                         for table in db.metadata.sorted_tables}
            self.sequences = connection.execute(text(_SEQUENCE_VALUES)).all()
            db.session.rollback()
        else:
            self.sqlite = _sqlite_copy()

    def restore(self, app: Flask) -> None:
        """Put the rows and files back into this (empty) test database."""
        db.session.rollback()
        upload_dir = Path(app.config["UPLOAD_DIR"])
        for path, content in self.files.items():
            (upload_dir / path).parent.mkdir(parents=True, exist_ok=True)
            (upload_dir / path).write_bytes(content)
        if ON_POSTGRES:
            connection = db.session.connection()
            with _triggers_off(connection):
                _delete_every_row(connection)
                for table, rows in self.rows.items():
                    if rows:
                        connection.execute(insert(table), rows)
            for name, last_value, is_called in self.sequences:
                connection.execute(text("SELECT setval(:name, :value, :called)"),
                                   {"name": name, "value": last_value, "called": is_called})
            db.session.commit()
        else:
            _sqlite_restore(self.sqlite)
        db.session.expire_all()


def _sqlite_copy() -> sqlite3.Connection:
    """A copy of the app's in-memory SQLite database, in memory."""
    copy = sqlite3.connect(":memory:", check_same_thread=False)
    with _raw_sqlite_connection() as connection:
        connection.backup(copy)
    return copy


def _sqlite_restore(copy: sqlite3.Connection) -> None:
    """The app's in-memory SQLite database made what `copy` holds, with a data version of its
    own (core.counts), as a database made afresh has: a page kept under the copy's version in
    one test is never another test's."""
    with _raw_sqlite_connection() as connection:
        copy.backup(connection)
        connection.execute("UPDATE change_counters SET version = random()")
        connection.commit()


@contextmanager
def _raw_sqlite_connection() -> Iterator[sqlite3.Connection]:
    """The DB-API connection of the app's in-memory SQLite database, outside any transaction."""
    db.session.commit()
    connection = db.engine.raw_connection()
    try:
        yield connection.driver_connection
    finally:
        connection.close()


_SEQUENCE_VALUES = """
    SELECT format('%I.%I', schemaname, sequencename), coalesce(last_value, start_value),
           last_value IS NOT NULL
    FROM pg_sequences WHERE schemaname = current_schema()
"""


def _delete_every_row(connection) -> None:
    """Every table emptied, those that refer to others first. On PostgreSQL, inside
    `_triggers_off`, this is what TRUNCATE does, some 20 times faster on tables of a test's few
    rows (TRUNCATE swaps files)."""
    statements = [f"DELETE FROM {table.name}" for table in reversed(db.metadata.sorted_tables)]
    if ON_POSTGRES:
        connection.exec_driver_sql("; ".join(statements))  # one round trip
    else:
        for statement in statements:  # sqlite3 runs one statement at a time
            connection.exec_driver_sql(statement)


@contextmanager
def _triggers_off(connection) -> Iterator[None]:
    """PostgreSQL: no trigger, foreign key check included, fires inside (this transaction)."""
    connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
    yield
    connection.exec_driver_sql("SET LOCAL session_replication_role = DEFAULT")


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
        _create_schema(app)
        try:
            yield app
        finally:
            db.session.rollback()
            if app.config["SQLALCHEMY_DATABASE_URI"] != "sqlite://":  # gone with its connection
                _empty_database()
            db.session.remove()
            db.engine.dispose()
            _kept_engines.give_back(db.engine)


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
