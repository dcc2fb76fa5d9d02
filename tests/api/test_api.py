"""The REST API: token auth, scoping per role, CNP masking, one error shape, pagination."""
from datetime import date

import pytest

from tests.factories import (
    CohortFactory,
    EnrollmentFactory,
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    UserFactory,
)
from trainhub.auth.services import issue_token, revoke_token
from trainhub.core.identifiers import mask_cnp
from trainhub.extensions import db
from trainhub.indicators.models import IndicatorSnapshot
from trainhub.programme.models import ProjectTarget, ReportingPeriod

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here

ENDPOINTS = ["/api/v1/projects", "/api/v1/projects/{project}", "/api/v1/projects/{project}/periods",
             "/api/v1/enterprises", "/api/v1/enterprises/{firm}", "/api/v1/participants",
             "/api/v1/participants/{person}"]


def bearer(user) -> dict:
    return {"Authorization": "Bearer " + issue_token(db.session, user, "test")[1]}


def assert_error(response, status: int, error: str) -> None:
    assert response.status_code == status
    assert response.is_json, response.get_data(as_text=True)[:200]
    body = response.get_json()
    assert body["status"] == status and body["error"] == error
    assert isinstance(body["message"], str) and body["message"]


@pytest.fixture
def world(app):
    """Two SMEs with one employee each, both members of one project; a trainer of A's cohort."""
    firm_a, firm_b = EnterpriseFactory(name="Alfa SRL"), EnterpriseFactory(name="Beta SRL")
    project = ProjectFactory()
    person_a = ParticipantFactory(enterprise=firm_a, last_name="Avram", disability=True)
    person_b = ParticipantFactory(enterprise=firm_b, last_name="Barbu")
    member_a = MembershipFactory(project=project, participant=person_a, eligibility_status="eligible")
    MembershipFactory(project=project, participant=person_b, eligibility_status="pending")
    trainer = UserFactory(role="trainer")
    EnrollmentFactory(cohort=CohortFactory(project=project, trainer=trainer), membership=member_a)
    users = {role: UserFactory(role=role) for role in ("admin", "coordinator", "authority")}
    users |= {"trainer": trainer, "sme": UserFactory(role="sme", enterprise=firm_a),
              "sme_other": UserFactory(role="sme", enterprise=firm_b)}
    db.session.commit()
    return {"users": users, "firm_a": firm_a.id, "firm_b": firm_b.id, "project": project.id,
            "person_a": person_a.id, "person_b": person_b.id, "cnp_a": person_a.cnp}


def _url(template: str, world: dict) -> str:
    return template.format(project=world["project"], firm=world["firm_a"],
                           person=world["person_a"])


@pytest.mark.parametrize("template", ENDPOINTS)
def test_every_endpoint_needs_a_token(client, world, template):
    url = _url(template, world)
    response = client.get(url)
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert_error(client.get(url, headers={"Authorization": "Bearer nonsense"}), 401, "unauthorized")
    assert_error(client.get(url, headers={"Authorization": "Basic abc"}), 401, "unauthorized")
    assert client.get(url, headers=bearer(world["users"]["admin"])).status_code == 200


def test_revoked_token_is_refused(client, world):
    token, secret = issue_token(db.session, world["users"]["authority"], "script")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/projects", headers=headers).status_code == 200
    revoke_token(db.session, token)
    assert_error(client.get("/api/v1/projects", headers=headers), 401, "unauthorized")


def test_a_logged_in_browser_session_is_not_enough(client, auth, world):
    auth.login(world["users"]["admin"].email)
    assert client.get("/").status_code == 200
    assert_error(client.get("/api/v1/projects"), 401, "unauthorized")


def test_the_api_needs_no_csrf_token_and_refuses_writes_with_json(client, world):
    response = client.post("/api/v1/projects", headers=bearer(world["users"]["admin"]))
    assert_error(response, 405, "method_not_allowed")


def test_unknown_api_url_is_a_json_404_but_pages_keep_their_html(client, world):
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    page = client.get("/nothing-here")
    assert page.status_code == 404 and not page.is_json


def test_server_error_inside_the_api_is_json(app, client, world, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("trainhub.api.views.memberships_by_participant", broken)
    response = client.get("/api/v1/participants", headers=bearer(world["users"]["admin"]))
    assert_error(response, 500, "internal_server_error")
    assert "boom" not in response.get_data(as_text=True)


def test_sme_sees_only_its_own_enterprise_and_employees(client, world):
    headers = bearer(world["users"]["sme"])
    firms = client.get("/api/v1/enterprises", headers=headers).get_json()
    assert [firm["id"] for firm in firms["items"]] == [world["firm_a"]]
    assert firms["pagination"]["total"] == 1
    people = client.get("/api/v1/participants", headers=headers).get_json()
    assert [person["id"] for person in people["items"]] == [world["person_a"]]
    assert_error(client.get(f"/api/v1/enterprises/{world['firm_b']}", headers=headers),
                 404, "not_found")
    assert_error(client.get(f"/api/v1/participants/{world['person_b']}", headers=headers),
                 404, "not_found")


def test_trainer_sees_only_the_people_of_own_cohorts(client, world):
    headers = bearer(world["users"]["trainer"])
    people = client.get("/api/v1/participants", headers=headers).get_json()
    assert [person["id"] for person in people["items"]] == [world["person_a"]]
    assert_error(client.get(f"/api/v1/participants/{world['person_b']}", headers=headers),
                 404, "not_found")


def test_authority_sees_everyone_with_masked_cnp_and_no_special_categories(client, world):
    headers = bearer(world["users"]["authority"])
    people = client.get("/api/v1/participants", headers=headers).get_json()["items"]
    assert {person["id"] for person in people} == {world["person_a"], world["person_b"]}
    person_a = next(person for person in people if person["id"] == world["person_a"])
    assert person_a["cnp"] == mask_cnp(world["cnp_a"]) != world["cnp_a"]
    assert "disability" not in person_a and "minority_or_migrant" not in person_a
    detail = client.get(f"/api/v1/participants/{world['person_a']}", headers=headers).get_json()
    assert detail["cnp"] == mask_cnp(world["cnp_a"]) and "disability" not in detail


@pytest.mark.parametrize("role, full_cnp, special", [
    ("admin", True, True), ("coordinator", True, True), ("sme", False, False),
    ("trainer", False, False), ("authority", False, False)])
def test_what_each_role_sees_of_a_person(client, world, role, full_cnp, special):
    headers = bearer(world["users"][role])
    person = client.get(f"/api/v1/participants/{world['person_a']}", headers=headers).get_json()
    assert person["cnp"] == (world["cnp_a"] if full_cnp else mask_cnp(world["cnp_a"]))
    assert ("disability" in person) is special
    if special:
        assert person["disability"] is True and person["minority_or_migrant"] is False


def test_participant_carries_its_memberships_eligibility(client, world):
    person = client.get(f"/api/v1/participants/{world['person_b']}",
                        headers=bearer(world["users"]["coordinator"])).get_json()
    assert person["last_name"] == "Barbu" and person["enterprise_id"] == world["firm_b"]
    assert [(m["project_id"], m["eligibility_status"]) for m in person["memberships"]] == [
        (world["project"], "pending")]
    assert person["memberships"][0]["project_code"].startswith("SMIS-")


def test_project_with_targets_and_periods(client, world):
    db.session.add(ProjectTarget(project_id=world["project"], indicator_code="TOTAL", value=1200))
    later = ReportingPeriod(project_id=world["project"], label="T2", start_date=date(2026, 4, 1),
                            end_date=date(2026, 6, 30))
    earlier = ReportingPeriod(project_id=world["project"], label="T1",
                              start_date=date(2026, 1, 1), end_date=date(2026, 3, 31))
    db.session.add_all([later, earlier])
    db.session.flush()
    db.session.add(IndicatorSnapshot(period_id=earlier.id, values={}, members={}))
    db.session.commit()
    headers = bearer(world["users"]["sme"])
    project = client.get(f"/api/v1/projects/{world['project']}", headers=headers).get_json()
    assert project["targets"] == [{"indicator_code": "TOTAL", "value": 1200}]
    assert project["start_date"] == "2026-01-01" and project["regions"] == ["RO11", "RO12"]
    periods = client.get(f"/api/v1/projects/{world['project']}/periods",
                         headers=headers).get_json()["items"]
    assert [(p["label"], p["locked"]) for p in periods] == [("T1", True), ("T2", False)]
    assert_error(client.get("/api/v1/projects/999999", headers=headers), 404, "not_found")
    assert_error(client.get("/api/v1/projects/999999/periods", headers=headers), 404, "not_found")


def test_pagination(client, app):
    for n in range(23):
        EnterpriseFactory(name=f"Firma {n:02d}")
    headers = bearer(UserFactory(role="authority"))
    body = client.get("/api/v1/enterprises?page=3&per_page=10", headers=headers).get_json()
    assert [firm["name"] for firm in body["items"]] == ["Firma 20", "Firma 21", "Firma 22"]
    assert body["pagination"] == {"page": 3, "per_page": 10, "total": 23, "pages": 3}
    assert client.get("/api/v1/enterprises?page=9", headers=headers).get_json()["items"] == []
    default = client.get("/api/v1/enterprises", headers=headers).get_json()["pagination"]
    assert default["per_page"] == 25 and len(default) == 4
    for bad in ("per_page=0", "per_page=201", "page=0", "page=x"):
        response = client.get(f"/api/v1/enterprises?{bad}", headers=headers)
        assert_error(response, 422, "unprocessable_entity")
        assert "query" in response.get_json()["errors"]


@pytest.mark.parametrize("url", ["/api/v1/projects", "/api/v1/enterprises",
                                 "/api/v1/participants", "/api/v1/projects/{project}/periods"])
def test_list_endpoints_run_a_constant_number_of_queries(client, count_queries, url):
    project = ProjectFactory()
    headers = bearer(UserFactory(role="coordinator"))
    url = url.format(project=project.id)

    def add_rows(n: int) -> None:
        for i in range(n):
            firm = EnterpriseFactory()
            other = ProjectFactory()
            db.session.add(ProjectTarget(project=other, indicator_code="TOTAL", value=10))
            period = ReportingPeriod(project=project, label=f"P{firm.id}-{i}",
                                     start_date=date(2026, 1, 1), end_date=date(2026, 3, 31))
            db.session.add(period)
            db.session.flush()
            db.session.add(IndicatorSnapshot(period_id=period.id, values={}, members={}))
            MembershipFactory(project=project, participant=ParticipantFactory(enterprise=firm))
        db.session.commit()

    def measure() -> int:
        with count_queries() as counter:
            response = client.get(url + "?per_page=200", headers=headers)
            assert response.status_code == 200
        return counter.count, len(response.get_json()["items"])

    add_rows(10)
    small, small_rows = measure()
    add_rows(40)
    large, large_rows = measure()
    assert large_rows > small_rows >= 10
    assert small == large


def test_ids_too_large_for_the_database_are_not_found(client, auth, world):
    huge = 2**63
    headers = bearer(world["users"]["admin"])
    for url in (f"/api/v1/projects/{huge}", f"/api/v1/participants/{huge}",
                f"/api/v1/enterprises/{huge}", f"/api/v1/projects/{huge}/periods"):
        assert_error(client.get(url, headers=headers), 404, "not_found")
    auth.login(world["users"]["admin"].email)
    assert client.get(f"/participants/{huge}").status_code == 404


def test_a_role_without_the_read_permission_gets_a_json_403(client, world, monkeypatch):
    from trainhub.auth import permissions

    trainer = world["users"]["trainer"]
    monkeypatch.setitem(permissions.PERMISSIONS, "trainer",
                        permissions.PERMISSIONS["trainer"] - {"participants.read"})
    headers = bearer(trainer)
    assert_error(client.get("/api/v1/participants", headers=headers), 403, "forbidden")
    assert_error(client.get(f"/api/v1/participants/{world['person_a']}", headers=headers),
                 403, "forbidden")
    assert client.get("/api/v1/enterprises", headers=headers).status_code == 200
