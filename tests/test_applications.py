"""Public SME applications (DESIGN §16): the anonymous form, honeypot, rate limit, duplicate CUI;
the coordinator's queue (accept invites the contact, decline e-mails the reason); the funnel."""
import time

import pytest
from sqlalchemy import func, select

from tests.conftest import ON_POSTGRES, Auth, run_in_threads
from tests.documents.test_reminders import smtp  # noqa: F401  (the aiosmtpd fixture)
from tests.factories import (
    CohortFactory,
    EnrollmentFactory,
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    UserFactory,
    join_team,
    valid_cui,
)
from tests.test_invitations import _accept, _path, _wait_for
from trainhub.applications.models import Application
from trainhub.applications.services import accept_application, recruitment_funnel
from trainhub.audit.models import AuditEvent
from trainhub.auth.models import Invitation, User
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db

CUI = valid_cui(77)


@pytest.fixture
def world(app):
    project, other_project = ProjectFactory(code="SMIS-1"), ProjectFactory(code="SMIS-2")
    coordinator = UserFactory(email="coord@example.org", role="coordinator")
    join_team(coordinator, project)
    other = UserFactory(email="other@example.org", role="coordinator")
    join_team(other, other_project)
    db.session.commit()
    return type("World", (), {"project": project, "other_project": other_project,
                              "coordinator": coordinator, "other": other})


def _form(**changes) -> dict:
    return {"cui": "RO" + CUI, "company_name": "Gama Soft SRL", "caen": "6201",
            "county": "RO-CJ", "employees": "14", "contact_name": "Dana Ionescu",
            "contact_email": "dana@gama.ro", "contact_phone": "0722 000 111",
            "channel": "event", "consent": "y"} | changes


def _apply(client, code="SMIS-1", **changes):
    token = Auth(client).csrf_token(f"/apply/{code}")
    return client.post(f"/apply/{code}", data=_form(**changes) | {"csrf_token": token})


def _applications() -> int:
    return db.session.scalar(select(func.count(Application.id)))


def test_an_anonymous_sme_applies_in_romanian(app, client, world):
    page = client.get("/apply/SMIS-1")
    assert page.status_code == 200 and "Cum ați aflat de proiect" in page.get_data(as_text=True)
    response = _apply(client)
    assert response.status_code == 200
    assert 'data-testid="application-thanks"' in response.get_data(as_text=True)
    application = db.session.scalar(select(Application))
    assert (application.cui, application.channel, application.status) == (CUI, "event", "pending")
    assert application.consent_at is not None
    assert db.session.scalar(select(func.count(User.id))) == 2  # no account was made


def test_a_bot_filling_the_honeypot_gets_the_same_page_and_nothing_is_stored(app, client, world):
    response = _apply(client, website="http://spam.example")
    assert response.status_code == 200
    assert 'data-testid="application-thanks"' in response.get_data(as_text=True)
    assert _applications() == 0


@pytest.mark.parametrize("changes, message", [
    ({"cui": "RO" + CUI[:-1] + str((int(CUI[-1]) + 1) % 10)}, "cifra de control"),
    ({"consent": ""}, None),
    ({"channel": "tv"}, None),
    ({"caen": "62"}, "CAEN"),
])
def test_bad_input_is_refused_and_nothing_is_stored(app, client, world, changes, message):
    response = _apply(client, **changes)
    assert response.status_code == 422
    if message:
        assert message in response.get_data(as_text=True)
    assert _applications() == 0


def test_an_unknown_project_code_is_not_found(app, client, world):
    assert client.get("/apply/NOPE").status_code == 404
    assert _apply(client, code="NOPE").status_code in (400, 404)


def test_applications_are_rate_limited(app, client, world):
    app.config["APPLY_RATE_LIMIT"] = "3 per minute"
    statuses = [_apply(client, cui=valid_cui(n)).status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert _applications() == 3


def test_a_second_application_with_the_same_cui_joins_the_first(app, client, world):
    _apply(client)
    _apply(client, cui=CUI, contact_name="Radu Pop", contact_email="radu@gama.ro",
           channel="newsletter")
    _apply(client, contact_email="radu@gama.ro")  # the same person again: noted once
    [application] = db.session.scalars(select(Application))
    assert application.contact_email == "dana@gama.ro"
    assert [extra["email"] for extra in application.extra_contacts] == ["radu@gama.ro"]
    _apply(client, code="SMIS-2")  # another project: an application of its own
    assert _applications() == 2


def test_accepting_invites_the_contact_who_sees_only_its_company(app, client, auth, world,
                                                                  smtp):  # noqa: F811
    EnterpriseFactory(name="Alta Firma SRL")
    db.session.commit()
    _apply(client)
    application = db.session.scalar(select(Application))
    auth.login("coord@example.org")
    queue = client.get("/applications").get_data(as_text=True)
    assert "Gama Soft SRL" in queue and 'data-testid="nav-badge">1<' in queue
    assert "http://localhost:5000/apply/SMIS-1" in queue and "/apply/SMIS-2" not in queue
    assert auth.post(f"/applications/{application.id}/accept").status_code == 302
    enterprise = db.session.scalar(select(Enterprise).where(Enterprise.cui == CUI))
    assert enterprise.name == "Gama Soft SRL" and enterprise.caen == "6201"
    assert db.session.get(Application, application.id).status == "accepted"
    [message] = _wait_for(smtp, "dana@gama.ro")
    auth.logout()

    assert _accept(client, _path(message)).status_code == 302
    user = db.session.scalar(select(User).where(User.email == "dana@gama.ro"))
    assert (user.role, user.enterprise_id) == ("sme", enterprise.id)
    listing = client.get("/enterprises/").get_data(as_text=True)
    assert "Gama Soft SRL" in listing and "Alta Firma SRL" not in listing
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "application.accept")) == "application.accept"


def test_accepting_matches_an_existing_enterprise_by_cui(app, world):
    firm = EnterpriseFactory(cui=CUI, name="Gama (registered)")
    # the firm already takes part in the other project: this team cannot see it in its registry
    MembershipFactory(project=world.other_project, participant=ParticipantFactory(enterprise=firm))
    application = Application(project=world.project, cui=CUI, company_name="Gama", caen="6201",
                              county="RO-CJ", contact_name="Dana", contact_email="dana@gama.ro",
                              channel="partner", consent_at=firm.created_at, extra_contacts=[])
    db.session.add(application)
    db.session.commit()
    accept_application(db.session, application, by=world.coordinator)
    db.session.commit()
    assert application.enterprise_id == firm.id
    assert db.session.scalar(select(func.count(Enterprise.id))) == 1
    invitation = db.session.scalar(select(Invitation))
    assert (invitation.enterprise_id, invitation.role) == (firm.id, "sme")


def test_declining_emails_the_reason(app, client, auth, world, smtp):  # noqa: F811
    _apply(client)
    application = db.session.scalar(select(Application))
    auth.login("coord@example.org")
    auth.post(f"/applications/{application.id}/decline", {"reason": ""})
    assert db.session.get(Application, application.id).status == "pending"
    auth.post(f"/applications/{application.id}/decline",
              {"reason": "Firma nu are sediul în regiunile proiectului."})
    assert db.session.get(Application, application.id).status == "declined"
    [message] = _wait_for(smtp, "dana@gama.ro")
    assert "Firma nu are sediul în regiunile proiectului." in message.get_content()
    assert "SMIS-1" in message["Subject"]
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "application.decline")) == "application.decline"
    time.sleep(0.1)
    assert db.session.scalar(select(func.count(User.id))) == 2


def test_another_projects_coordinator_does_not_find_the_application(app, client, auth, world):
    _apply(client)
    application = db.session.scalar(select(Application))
    auth.login("other@example.org")
    assert client.get(f"/applications/{application.id}").status_code == 404
    assert auth.post(f"/applications/{application.id}/accept").status_code == 404
    assert "Gama Soft SRL" not in client.get("/applications").get_data(as_text=True)
    assert db.session.get(Application, application.id).status == "pending"


def test_the_funnel_counts_each_stage_per_channel(app, world, count_queries):
    cohort = CohortFactory(project=world.project)
    firm = EnterpriseFactory(cui=CUI)
    statuses = [("eligible", "completed"), ("eligible", "enrolled"), ("eligible", "waiting"),
                ("pending", None)]
    for eligibility, enrollment in statuses:
        membership = MembershipFactory(project=world.project, eligibility_status=eligibility,
                                       participant=ParticipantFactory(enterprise=firm))
        if enrollment:
            EnrollmentFactory(cohort=cohort, membership=membership, status=enrollment)
    ParticipantFactory(enterprise=firm)  # registered, not (yet) in the project
    for cui, channel, status in ((CUI, "event", "accepted"), (valid_cui(1), "event", "pending"),
                                 (valid_cui(2), "partner", "declined")):
        db.session.add(Application(
            project=world.project, cui=cui, company_name="X", caen="6201", county="RO-CJ",
            contact_name="C", contact_email="c@x.ro", channel=channel, status=status,
            consent_at=firm.created_at, extra_contacts=[],
            enterprise=firm if status == "accepted" else None))
    db.session.commit()
    assert world.coordinator.role == "coordinator"  # loaded before counting
    with count_queries() as counter:
        rows = {row.channel: row for row in recruitment_funnel(db.session, world.coordinator)}
    assert counter.count == 1
    event = rows["event"]
    assert (event.applied, event.accepted, event.registered, event.eligible, event.enrolled,
            event.completed) == (2, 1, 5, 3, 2, 1)
    assert (rows["partner"].applied, rows["partner"].accepted) == (1, 0)
    assert rows["newsletter"].applied == 0
    assert all(row.applied == 0 for row in recruitment_funnel(db.session, world.other))


def test_the_dashboard_shows_the_funnel(app, client, auth, world):
    _apply(client, channel="social_media")
    auth.login("coord@example.org")
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="recruitment-funnel"' in page
    assert 'data-channel="social_media"><td>Social media</td><td class="text-end" ' \
           'data-stage="applied">1</td>' in page


def test_the_queue_runs_a_constant_number_of_queries(app, client, auth, world, page_queries):
    auth.login("coord@example.org")

    def add(first, count):
        for n in range(first, first + count):
            db.session.add(Application(
                project=world.project, cui=valid_cui(n), company_name=f"F{n}", caen="6201",
                county="RO-CJ", contact_name="C", contact_email=f"c{n}@x.ro", channel="event",
                consent_at=world.project.created_at, extra_contacts=[]))
        db.session.commit()

    add(0, 3)
    few = page_queries("/applications")
    add(3, 17)
    assert page_queries("/applications") == few


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent writers need PostgreSQL")
def test_the_same_cui_sent_at_the_same_moment_is_kept_as_one_application(app, world):
    from trainhub.applications.services import submit_application
    from trainhub.programme.models import Project

    def send(email):
        def job(session):
            project = session.get(Project, world.project.id)
            submit_application(session, project, _form(contact_email=email))
            session.commit()
        return job

    errors = run_in_threads(app, *(send(f"p{n}@gama.ro") for n in range(4)))
    assert errors == []
    [application] = db.session.scalars(select(Application))
    assert len(application.extra_contacts) == 3
