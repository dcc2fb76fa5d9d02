"""Project teams: who changes a team, and a coordinator of project A never sees project B's
people, in lists, exports, the indicator pages or the API."""
import io
from datetime import date, time

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.factories import (
    CallFactory,
    CourseFactory,
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    UserFactory,
)
from trainhub.audit.models import AuditEvent
from trainhub.auth.services import issue_token
from trainhub.courses.services import create_cohort
from trainhub.extensions import db
from trainhub.programme.models import Project, ProjectMember


def _team(project) -> set[str]:
    return set(db.session.scalars(select(ProjectMember.user_id)
                                  .where(ProjectMember.project_id == project.id)))


@pytest.fixture
def two_projects(app):
    """Projects A and B of one call; A's coordinator and B's, each with a person of their own."""
    call = CallFactory()
    project_a = ProjectFactory(call=call, code="SMIS-A")
    project_b = ProjectFactory(call=call, code="SMIS-B")
    coordinator_a = UserFactory(email="a@example.org", role="coordinator", projects=[project_a])
    coordinator_b = UserFactory(email="b@example.org", role="coordinator", projects=[project_b])
    person_a = MembershipFactory(project=project_a, participant=ParticipantFactory(
        last_name="Albescu", enterprise=EnterpriseFactory(name="Alfa SRL"))).participant
    person_b = MembershipFactory(project=project_b, participant=ParticipantFactory(
        last_name="Bratianu", enterprise=EnterpriseFactory(name="Beta SRL"))).participant
    db.session.commit()
    return project_a, project_b, coordinator_a, coordinator_b, person_a, person_b


# --- changing the team -----------------------------------------------------------------------

def test_the_projects_coordinator_adds_and_removes_a_trainer_audited(two_projects, auth, client):
    project_a, _b, coordinator_a, *_ = two_projects
    trainer = UserFactory(role="trainer", full_name="Radu Formatorul")
    db.session.commit()
    auth.login("a@example.org")
    page = client.get(f"/projects/{project_a.id}").get_data(as_text=True)
    assert 'data-testid="team-add"' in page and "Radu Formatorul" in page
    response = auth.post(f"/projects/{project_a.id}/team", {"user_id": str(trainer.id)})
    assert response.status_code == 302
    assert _team(project_a) == {coordinator_a.id, trainer.id}
    member = db.session.scalar(select(ProjectMember).where(ProjectMember.user_id == trainer.id))
    assert member.role == "trainer"
    response = auth.post(f"/projects/{project_a.id}/team/{member.id}/remove")
    assert response.status_code == 302
    assert _team(project_a) == {coordinator_a.id}
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "projects", AuditEvent.entity_id == project_a.id)).all()
    assert "project.team_add" in actions and "project.team_remove" in actions


def test_only_active_coordinators_and_trainers_join_a_team(two_projects, auth, client):
    project_a, _b, coordinator_a, *_ = two_projects
    sme = UserFactory(role="sme", enterprise=EnterpriseFactory())
    gone = UserFactory(role="trainer", active=False)
    db.session.commit()
    auth.login("a@example.org")
    for value in (str(sme.id), str(gone.id), "999999", "x", str(2**70), ""):
        response = auth.post(f"/projects/{project_a.id}/team", {"user_id": value},
                             follow_redirects=True)
        assert response.status_code == 200
        assert "Only an active coordinator or trainer" in response.get_data(as_text=True)
    assert _team(project_a) == {coordinator_a.id}


def test_another_projects_member_cannot_be_removed_through_this_project(two_projects, auth):
    project_a, project_b, _ca, coordinator_b, *_ = two_projects
    member_b = db.session.scalar(select(ProjectMember).where(
        ProjectMember.user_id == coordinator_b.id))
    auth.login("a@example.org")
    response = auth.post(f"/projects/{project_a.id}/team/{member_b.id}/remove",
                         follow_redirects=True)
    assert "not on the project" in response.get_data(as_text=True)
    assert _team(project_b) == {coordinator_b.id}


def test_another_projects_coordinator_gets_404_and_changes_nothing(two_projects, auth, client):
    project_a, _b, coordinator_a, *_ = two_projects
    trainer = UserFactory(role="trainer")
    db.session.commit()
    auth.login("b@example.org")
    assert client.get(f"/projects/{project_a.id}").status_code == 404
    response = auth.post(f"/projects/{project_a.id}/team", {"user_id": str(trainer.id)})
    assert response.status_code == 404
    assert _team(project_a) == {coordinator_a.id}


def test_a_coordinator_who_creates_a_project_is_on_its_team(app, auth, client):
    call = CallFactory()
    creator = UserFactory(email="c@example.org", role="coordinator")
    db.session.commit()
    auth.login("c@example.org")
    response = auth.post("/projects/new", {
        "call_id": str(call.id), "code": "SMIS-NEW", "title": "Proiect nou",
        "start_date": "2026-02-10", "end_date": "2027-04-15", "regions": ["RO11"],
        "completion_threshold": "80", "periods": "quarterly"})
    assert response.status_code == 302
    project = db.session.scalar(select(Project).where(Project.code == "SMIS-NEW"))
    assert _team(project) == {creator.id}
    assert client.get(response.location).status_code == 200


def test_a_cohorts_trainer_joins_the_projects_team(two_projects):
    project_a, *_ = two_projects
    trainer = UserFactory(role="trainer")
    create_cohort(db.session, project=project_a, course=CourseFactory(), code="g-team",
                  capacity=10, location="Cluj", trainer=trainer,
                  slots=[(date(2026, 3, 3), time(16), time(20))])
    assert trainer.id in _team(project_a)


# --- nothing of project B reaches project A's coordinator -------------------------------------

def test_lists_show_only_the_coordinators_projects(two_projects, auth, client):
    project_a, project_b, *_ = two_projects
    auth.login("a@example.org")
    for url in ("/participants/", "/enterprises/", "/projects/", "/", "/cohorts",
                "/indicators/", "/documents/board"):
        page = client.get(url).get_data(as_text=True)
        assert "Bratianu" not in page and "Beta SRL" not in page and "SMIS-B" not in page, url
    page = client.get("/participants/").get_data(as_text=True)
    assert "Albescu" in page
    assert "SMIS-A" in client.get("/projects/").get_data(as_text=True)


def test_pages_of_another_project_answer_404(two_projects, auth, client):
    project_a, project_b, _ca, _cb, _person_a, person_b = two_projects
    auth.login("a@example.org")
    for url in (f"/participants/{person_b.id}", f"/enterprises/{person_b.enterprise_id}",
                f"/projects/{project_b.id}", f"/indicators/?project={project_b.id}",
                f"/indicators/cell?project={project_b.id}&code=TOTAL",
                f"/indicators/export?project={project_b.id}&format=csv",
                f"/participants/register.xlsx?project={project_b.id}"):
        assert client.get(url).status_code == 404, url


def test_exports_hold_only_the_coordinators_people(two_projects, auth, client):
    project_a, *_ = two_projects
    auth.login("a@example.org")
    response = client.get("/participants/register.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    text = " ".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row)
    assert "Albescu" in text and "Bratianu" not in text
    csv = client.get("/indicators/export?format=csv").get_data(as_text=True)
    assert "SMIS-A" in client.get("/indicators/").get_data(as_text=True)
    assert "Bratianu" not in csv


def test_the_api_shows_only_the_coordinators_projects(two_projects, client):
    project_a, project_b, coordinator_a, _cb, person_a, person_b = two_projects
    headers = {"Authorization": "Bearer " + issue_token(db.session, coordinator_a, "t")[1]}
    db.session.commit()
    projects = client.get("/api/v1/projects", headers=headers).get_json()["items"]
    assert [project["code"] for project in projects] == ["SMIS-A"]
    people = client.get("/api/v1/participants", headers=headers).get_json()["items"]
    assert [person["id"] for person in people] == [person_a.id]
    firms = client.get("/api/v1/enterprises", headers=headers).get_json()["items"]
    assert [firm["name"] for firm in firms] == ["Alfa SRL"]
    for url in (f"/api/v1/projects/{project_b.id}", f"/api/v1/projects/{project_b.id}/periods",
                f"/api/v1/projects/{project_b.id}/indicators",
                f"/api/v1/participants/{person_b.id}",
                f"/api/v1/enterprises/{person_b.enterprise_id}"):
        assert client.get(url, headers=headers).status_code == 404, url


def test_a_coordinators_review_digest_names_only_their_projects_documents(two_projects, app):
    from tests.factories import DocumentFactory
    from trainhub.documents.reminders import build_reminders

    _a, _b, coordinator_a, coordinator_b, person_a, person_b = two_projects
    DocumentFactory(participant=person_a, status="pending")
    DocumentFactory(participant=person_b, status="pending")
    db.session.commit()
    digests = {reminder.to: reminder for reminder in build_reminders(db.session, app.config)
               if reminder.to in (coordinator_a.email, coordinator_b.email)}
    assert "Albescu" in digests[coordinator_a.email].body
    assert "Bratianu" not in digests[coordinator_a.email].body
    assert "Bratianu" in digests[coordinator_b.email].body
    assert "Albescu" not in digests[coordinator_b.email].body


def test_a_coordinator_who_leaves_the_team_lands_on_their_project_list(two_projects, auth,
                                                                        client):
    project_a, _b, coordinator_a, *_ = two_projects
    own = db.session.scalar(select(ProjectMember).where(ProjectMember.user_id == coordinator_a.id))
    auth.login("a@example.org")
    response = auth.post(f"/projects/{project_a.id}/team/{own.id}/remove")
    assert response.status_code == 302 and response.location.endswith("/projects/")
    assert client.get(f"/projects/{project_a.id}").status_code == 404


def test_a_team_coordinators_lists_run_a_constant_number_of_queries(two_projects, auth,
                                                                     page_queries):
    project_a, project_b, *_ = two_projects
    auth.login("a@example.org")

    def queries_with(extra: int) -> list[int]:
        for project in (project_a, project_b):
            for _ in range(extra):
                MembershipFactory(project=project)
        db.session.commit()
        return [page_queries(url) for url in ("/participants/", "/enterprises/", "/projects/",
                                              "/documents/board", "/")]

    assert queries_with(3) == queries_with(20)
