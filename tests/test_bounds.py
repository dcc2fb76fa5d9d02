"""Extreme values never crash: ids past 64 bits, huge query numbers, amounts and far dates."""
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from tests.factories import (
    CohortFactory,
    CourseFactory,
    EnterpriseFactory,
    MembershipFactory,
    ProjectFactory,
    TrainingSessionFactory,
    UserFactory,
    valid_cui,
)
from trainhub.auth.services import issue_token
from trainhub.courses.models import Cohort, TrainingSession
from trainhub.enterprises.models import DeMinimisAid, Enterprise
from trainhub.extensions import db
from trainhub.participants.models import Membership
from trainhub.programme.models import ReportingPeriod

TOO_BIG = (2**31, 2**63, 2**64, 10**30)


def _int_rules(app):
    for rule in app.url_map.iter_rules():
        names = [name for name, converter in rule._converters.items()
                 if isinstance(converter, IntegerConverter)]
        if names:
            yield rule, names


def _url(rule, ints: list[str], number: int) -> str:
    values = {name: (number if name in ints else "x") for name in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def _outcome(client, method: str, url: str, **kwargs):
    try:
        return client.open(url, method=method, **kwargs).status_code
    except Exception as error:  # noqa: BLE001  (the crash is what the test reports)
        return f"{type(error).__name__}: {error}"


def test_the_map_has_routes_with_ids(app):
    assert len(list(_int_rules(app))) > 40


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_every_route_answers_404_for_ids_past_the_id_range(app, client, auth, who):
    headers = {}
    if who == "admin":
        admin = UserFactory(role="admin")
        db.session.commit()
        headers = {"Authorization": "Bearer " + issue_token(db.session, admin, "t")[1]}
        db.session.commit()
        auth.login(admin.email)
    failures = []
    for rule, ints in _int_rules(app):
        for number in TOO_BIG:
            url = _url(rule, ints, number)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                kwargs = {"headers": headers} if url.startswith("/api/") else {}
                if method != "GET" and not url.startswith("/api/") and who == "admin":
                    kwargs["data"] = {"csrf_token": auth.csrf_token("/")}
                status = _outcome(client, method, url, **kwargs)
                if status != 404:
                    failures.append((method, url, status))
    assert failures == [], "\n".join(map(str, failures))


# --- query-string numbers ---------------------------------------------------------------------

def test_request_numbers_are_read_through_the_bounded_parsers():
    """`type=int` lets 10**30 through to the database: ids use `an_id`, pages `a_page`."""
    package = Path(__file__).resolve().parent.parent / "trainhub"
    offenders = [f"{path.relative_to(package)}:{number}"
                 for path in sorted(package.rglob("*.py"))
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if "type=int" in line.replace(" ", "")]
    assert offenders == []


@pytest.fixture
def admin(app, auth):
    user = UserFactory(role="admin")
    db.session.commit()
    auth.login(user.email)
    return user


LIST_PAGES = ["/enterprises/", "/participants/", "/courses/", "/courses/cohorts",
              "/courses/sessions", "/admin/users", "/admin/audit/", "/documents/review",
              "/documents/board", "/indicators/"]
HUGE_QUERIES = ["page={n}", "enterprise={n}", "enterprise_id={n}", "project={n}",
                "requirement={n}", "entity_id={n}"]


@pytest.mark.parametrize("number", [2**63, 10**30, -(2**63) - 1])
def test_huge_query_numbers_are_ignored_or_refused(admin, client, number):
    ProjectFactory()
    db.session.commit()
    failures = []
    for url in [*LIST_PAGES, "/participants/new", "/participants/register.xlsx",
                "/indicators/export"]:
        for query in HUGE_QUERIES:
            status = _outcome(client, "GET", f"{url}?{query.format(n=number)}")
            if status not in (200, 400, 404):
                failures.append((url, query, status))
    assert failures == [], "\n".join(map(str, failures))


def test_huge_ids_in_posted_lists_are_refused(admin, client, auth):
    cohort = CohortFactory()
    db.session.commit()
    failures = []
    for url, name in ((f"/courses/cohorts/{cohort.id}/enroll", "membership_ids"),
                      ("/documents/review/accept", "document_ids"),
                      ("/indicators/periods", "project")):
        status = _outcome(auth.client, "POST", url, data={
            "csrf_token": auth.csrf_token("/"), name: str(2**64), "action": "accept"})
        if status not in (200, 302, 400, 404, 422):
            failures.append((url, status))
    assert failures == [], "\n".join(map(str, failures))


# --- amounts ----------------------------------------------------------------------------------

HUGE_AMOUNTS = ["1e30", "1e400", "9" * 20, "1000000000000", "-1e400"]


@pytest.mark.parametrize("field", ["turnover_eur", "balance_eur"])
@pytest.mark.parametrize("amount", HUGE_AMOUNTS)
def test_huge_amounts_get_a_romanian_field_error_naming_the_maximum(app, client, auth, field,
                                                                     amount):
    user = UserFactory(role="admin", locale="ro")
    db.session.commit()
    auth.login(user.email)
    response = auth.post("/enterprises/new", {
        "cui": valid_cui(3), "name": "Mare SRL", "caen": "6201", "county": "RO-CJ",
        "employees": "9", field: amount})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    if amount.startswith("-"):
        assert "negativ" in page
    else:
        assert "cel mult 999.999.999.999,99" in page, page[page.find("invalid-feedback"):][:300]
    assert db.session.scalar(select(func.count()).select_from(Enterprise)) == 0


def test_the_largest_amount_is_saved(app, client, auth):
    user = UserFactory(role="admin")
    db.session.commit()
    auth.login(user.email)
    response = auth.post("/enterprises/new", {
        "cui": valid_cui(4), "name": "Mare SRL", "caen": "6201", "county": "RO-CJ",
        "employees": "9", "turnover_eur": "999999999999.99"})
    assert response.status_code == 302
    assert db.session.scalar(select(Enterprise.turnover_eur)) == Decimal("999999999999.99")


@pytest.mark.parametrize("amount", ["1e30", "1e400", "9" * 20])
def test_huge_de_minimis_aid_is_refused(admin, client, auth, amount):
    firm = EnterpriseFactory()
    db.session.commit()
    response = auth.post(f"/enterprises/{firm.id}/aids", {
        "granted_on": "2026-01-05", "amount_eur": amount, "source": "x"}, follow_redirects=True)
    assert response.status_code == 200
    assert "999,999,999,999.99" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(DeMinimisAid)) == 0


# --- far dates --------------------------------------------------------------------------------

FAR_DAYS = ["9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01"]


def test_every_form_date_is_a_bounded_day_field():
    package = Path(__file__).resolve().parent.parent / "trainhub"
    offenders = [str(path.relative_to(package)) for path in sorted(package.rglob("*.py"))
                 if path.name != "bounds.py" and "DateField" in path.read_text(encoding="utf-8")]
    assert offenders == [], "use trainhub.core.bounds.DayField"


@pytest.mark.parametrize("day", FAR_DAYS)
def test_far_dates_get_a_field_error_on_every_date_form(admin, client, auth, day):
    project, course = ProjectFactory(), CourseFactory(planned_hours=Decimal(8))
    session = TrainingSessionFactory()
    firm = EnterpriseFactory()
    membership = MembershipFactory(project=project)
    db.session.commit()
    forms = [
        ("/courses/cohorts/new", {"project_id": project.id, "course_id": course.id,
                                  "code": "G-FAR", "trainer_id": 0, "capacity": "20",
                                  "first_day": day, "weekdays": ["1", "3"],
                                  "start_time": "16:00", "end_time": "20:00"}),
        (f"/courses/sessions/{session.id}/edit", {"date": day, "start_time": "16:00",
                                                 "end_time": "20:00"}),
        (f"/enterprises/{firm.id}/aids", {"granted_on": day, "amount_eur": "100",
                                          "source": "x"}),
        (f"/participants/memberships/{membership.id}/consent", {
            "given_on": day, "text_version": "2026-01", "method": "signed"}),
        ("/indicators/periods", {"project": project.id, "label": "T-far", "start": "2026-01-01",
                                 "end": day}),
    ]
    failures = []
    for url, data in forms:
        status = _outcome(client, "POST", url, data={"csrf_token": auth.csrf_token("/")} | data,
                          follow_redirects=True)
        if status != 200:
            failures.append((url, status))
            continue
        page = client.open(url, method="POST", data={"csrf_token": auth.csrf_token("/")} | data,
                           follow_redirects=True).get_data(as_text=True)
        if "2000-01-01" not in page or "2100-12-31" not in page:
            failures.append((url, "no message naming the range"))
    assert failures == [], "\n".join(map(str, failures))
    assert db.session.scalar(select(func.count()).select_from(Cohort)) == 1
    assert db.session.get(TrainingSession, session.id).date != date.fromisoformat(day)
    assert db.session.scalar(select(func.count()).select_from(ReportingPeriod)) == 0
    assert db.session.scalar(select(func.count()).select_from(DeMinimisAid)) == 0
    assert db.session.get(Membership, membership.id).consent_given_at is None


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_far_dates_in_the_query_string_do_not_crash(admin, client, day):
    project = ProjectFactory()
    db.session.commit()
    failures = []
    for url in (f"/indicators/?project={project.id}&from=2026-01-01&to={day}",
                f"/indicators/?project={project.id}&from={day}&to={day}",
                f"/indicators/export?project={project.id}&from=2026-01-01&to={day}",
                f"/courses/sessions?from={day}"):
        status = _outcome(client, "GET", url)
        if status not in (200, 400):
            failures.append((url, status))
    assert failures == [], "\n".join(map(str, failures))
