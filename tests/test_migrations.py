"""The Alembic history builds the schema the models describe, and tears it down again."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from tests.conftest import ON_POSTGRES, make_app
from trainhub.extensions import db


@pytest.fixture
def empty_database_url(tmp_path):
    """A database of its own, apart from the one the other tests use."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    base = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"trainhub_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


def test_upgrade_matches_the_models_and_downgrade_removes_everything(empty_database_url):
    app = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert differences == [], f"models and migrations differ: {differences}"
        assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()  # and back up again, so a downgrade leaves nothing behind that blocks it
        db.engine.dispose()


def test_cohorts_closed_before_0013_get_their_closing_day(empty_database_url):
    from datetime import UTC, date, datetime

    from tests.factories import CohortFactory
    from trainhub.courses.models import Cohort

    app = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade()
        closed = CohortFactory(closed_at=datetime(2026, 6, 30, 15, 0, tzinfo=UTC))
        still_open = CohortFactory()
        db.session.commit()
        ids = closed.id, still_open.id
        db.session.remove()
        downgrade(revision="0012")
        upgrade()
        assert [db.session.get(Cohort, i).closed_on for i in ids] == [date(2026, 6, 30), None]
        db.session.remove()
        db.engine.dispose()


def _facts_triggers() -> dict[str, str]:
    """The indicator facts' triggers as the database holds them (on PostgreSQL with their
    functions' bodies)."""
    if ON_POSTGRES:
        query = ("SELECT t.tgname, pg_get_triggerdef(t.oid) || ' ' || p.prosrc FROM pg_trigger t"
                 " JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgname LIKE 'indicator_facts_%'")
    else:
        query = ("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                 " AND name LIKE 'indicator_facts_%'")
    with db.engine.connect() as connection:
        return dict(connection.execute(text(query)).all())


def test_the_migrations_install_the_facts_triggers_create_all_installs(empty_database_url):
    app = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade()
        migrated = _facts_triggers()
        downgrade(revision="0030")
        before_0031 = _facts_triggers()
        downgrade(revision="base")
        db.create_all()
        created = _facts_triggers()
        db.drop_all()
        db.engine.dispose()
    assert len(migrated) == 6 and migrated == created
    inserted = "indicator_facts_membership_insert"
    if ON_POSTGRES:  # 0031: once per statement there, once per row before
        assert "FOR EACH STATEMENT" in migrated[inserted]
        assert "FOR EACH ROW" in before_0031[inserted]
    else:
        assert before_0031 == migrated
