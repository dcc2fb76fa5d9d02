"""A fresh install (migrations only, no demo) has the eleven categories' starter catalogue."""
import importlib.util
from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from tests.conftest import make_app
from tests.test_migrations import empty_database_url  # noqa: F401 (fixture)
from trainhub import demo
from trainhub.courses.models import CourseCategory
from trainhub.extensions import db

MIGRATION = Path(__file__).parents[2] / "migrations" / "versions" / "0009_starter_catalogue.py"


def _migration():
    spec = importlib.util.spec_from_file_location("starter_catalogue", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _courses() -> list[tuple]:
    with db.engine.connect() as connection:
        return connection.execute(text(
            "SELECT code, category, title, planned_hours, description FROM courses ORDER BY code"
        )).all()


def test_the_migrations_seed_one_course_per_category_and_remove_only_theirs(
        empty_database_url):  # noqa: F811
    app = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade()
        courses = _courses()
        assert sorted(row.category for row in courses) == sorted(c.value for c in CourseCategory)
        assert all(40 <= row.planned_hours <= 120 and row.title and row.description
                   for row in courses)
        assert any("ă" in row.title or "ț" in row.title or "ș" in row.title for row in courses)
        # the demo finds the same catalogue and adds nothing
        assert {row.code for row in courses} == {entry[1] for entry in demo.COURSE_CATALOGUE}
        with db.engine.begin() as connection:
            assert _migration().seed_starter_catalogue(connection) == 0  # idempotent
            connection.execute(text(
                "INSERT INTO courses (code, category, title, planned_hours, modality, description,"
                " competences, created_at, updated_at) VALUES ('MY-1', 'crm', 'Al meu', 10,"
                " 'online', '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        downgrade(revision="0008")
        assert [row.code for row in _courses()] == ["MY-1"]
        upgrade()
        assert len(_courses()) == len(CourseCategory) + 1
        db.engine.dispose()


def test_the_demo_catalogue_and_the_migrations_agree():
    frozen = {row[0]: row for row in _migration().STARTER_CATALOGUE}
    for category, code, title, hours, modality, description, competences in (
            demo.COURSE_CATALOGUE):
        assert frozen[code][1:] == (category.value, title, hours, modality.value, description,
                                    competences)
