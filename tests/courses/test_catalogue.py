"""The course catalogue: filter by category, create and edit with field errors."""
from decimal import Decimal

import pytest

from tests.factories import CourseFactory, UserFactory
from trainhub.courses.models import Course
from trainhub.extensions import db


@pytest.fixture
def coordinator(app, auth):
    UserFactory(email="coord@example.org", role="coordinator")
    db.session.commit()
    auth.login("coord@example.org")


def test_catalogue_filters_by_category(app, client, coordinator):
    CourseFactory(title="Securitate cibernetică", category="cyber_security")
    CourseFactory(title="Programare CNC", category="cnc_programming")
    db.session.commit()
    html = client.get("/courses/?category=cnc_programming").get_data(as_text=True)
    assert "Programare CNC" in html and "Securitate cibernetică" not in html
    html = client.get("/courses/?category=no-such-category").get_data(as_text=True)
    assert "Programare CNC" in html and "Securitate cibernetică" in html


def test_empty_category_shows_the_empty_state(app, client, coordinator):
    html = client.get("/courses/?category=erp").get_data(as_text=True)
    assert 'data-testid="empty-state"' in html


def test_coordinator_creates_a_course(app, auth, coordinator):
    response = auth.post("/courses/new", {
        "code": "c-crm-2", "category": "crm", "title": "CRM pentru vânzări",
        "planned_hours": "48", "modality": "online"})
    assert response.status_code == 302
    course = db.session.query(Course).filter_by(code="C-CRM-2").one()
    assert (course.planned_hours, course.modality) == (Decimal("48"), "online")


@pytest.mark.parametrize("field, value, message", [
    ("planned_hours", "0", "Number must be between 1 and 1000"),
    ("planned_hours", "many", "Not a valid decimal value"),
    ("code", "a b/c", "Letters, digits, dot, dash or underscore only."),
    ("title", "", "This field is required."),
    ("category", "astrology", "Not a valid choice"),
])
def test_bad_course_input_shows_field_errors_and_writes_nothing(app, auth, coordinator,
                                                                field, value, message):
    data = {"code": "C-NEW", "category": "crm", "title": "CRM", "planned_hours": "40",
            "modality": "online"} | {field: value}
    response = auth.post("/courses/new", data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.query(Course).count() == 0


def test_duplicate_code_is_refused_on_the_field(app, auth, coordinator):
    existing = CourseFactory(code="C-ERP")
    other = CourseFactory(code="C-CAD")
    db.session.commit()
    response = auth.post(f"/courses/{other.id}/edit", {
        "code": "c-erp", "category": "cad", "title": "CAD", "planned_hours": "40",
        "modality": "classroom"})
    assert "Another course already has the code C-ERP." in response.get_data(as_text=True)
    assert db.session.get(Course, other.id).code == "C-CAD"
    assert auth.post(f"/courses/{existing.id}/edit", {
        "code": "C-ERP", "category": "erp", "title": "ERP nou", "planned_hours": "60",
        "modality": "blended"}).status_code == 302
    assert db.session.get(Course, existing.id).title == "ERP nou"


def test_catalogue_runs_a_constant_number_of_queries(app, client, coordinator, page_queries):
    def queries_with(total: int) -> int:
        while db.session.query(Course).count() < total:
            CourseFactory()
        db.session.commit()
        return page_queries("/courses/")

    assert queries_with(10) == queries_with(100)
