"""Invitations by e-mail (DESIGN §14): the link arrives through a real SMTP server, sets the
password once, dies when expired, revoked or resent; who may invite whom."""
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import Auth
from tests.documents.test_reminders import smtp  # noqa: F401  (the aiosmtpd fixture)
from tests.factories import EnterpriseFactory, ProjectFactory, UserFactory, join_team
from trainhub.audit.models import AuditEvent
from trainhub.auth import invitations
from trainhub.auth.models import Invitation, User
from trainhub.core.errors import Problems
from trainhub.core.models import utcnow
from trainhub.extensions import db
from trainhub.programme.models import ProjectMember

NEW_PASSWORD = "fresh-secret-42"


def _wait_for(inbox, address, count=1):
    deadline = time.monotonic() + 5
    while len(inbox.to(address)) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return inbox.to(address)


def _path(message) -> str:
    link = re.search(r"http://\S+/invitation/\S+", message.get_content()).group(0)
    return link.split("localhost:5000", 1)[1]


@pytest.fixture
def world(app):
    project, other_project = ProjectFactory(), ProjectFactory()
    coordinator = UserFactory(email="coord@example.org", role="coordinator")
    join_team(coordinator, project)
    other_coordinator = UserFactory(email="other@example.org", role="coordinator")
    join_team(other_coordinator, other_project)
    admin = UserFactory(email="admin@example.org", role="admin")
    firm = EnterpriseFactory(name="Alfa SRL")
    db.session.commit()
    return type("World", (), {"project": project, "other_project": other_project,
                              "coordinator": coordinator, "other_coordinator": other_coordinator,
                              "admin": admin, "firm": firm})


def _accept(client, path, password=NEW_PASSWORD, full_name="Ana Pop"):
    token = Auth(client).csrf_token(path)
    return client.post(path, data={"full_name": full_name, "password": password,
                                    "confirm": password, "csrf_token": token})


def test_coordinator_invites_an_sme_contact_who_sets_a_password_once(app, client, auth, world,
                                                                     smtp):  # noqa: F811
    auth.login("coord@example.org")
    response = auth.post("/invitations/new", {"email": "Ana@Alfa.ro", "role": "sme",
                                              "enterprise_cui": "RO" + world.firm.cui,
                                              "full_name": "Ana Pop", "project_id": "0"})
    assert response.status_code == 302
    [message] = _wait_for(smtp, "ana@alfa.ro")
    path = _path(message)
    secret = path.rsplit("/", 1)[1]
    stored = db.session.scalar(select(Invitation))
    assert secret not in stored.token_hash and stored.invited_by_id == world.coordinator.id
    auth.logout()

    assert _accept(client, path).status_code == 302
    user = db.session.scalar(select(User).where(User.email == "ana@alfa.ro"))
    assert (user.role, user.enterprise_id, user.full_name) == ("sme", world.firm.id, "Ana Pop")
    page = client.get("/").get_data(as_text=True)
    assert "Alfa SRL" in page  # logged in, on its own company's dashboard
    auth.logout()
    # the link is used up: a Romanian page, the account not named
    second = client.get(path)
    assert second.status_code == 410
    body = second.get_data(as_text=True)
    assert "invitație nouă" in body and "ana@alfa.ro" not in body
    assert _accept(client, path, "other-secret-9").status_code == 410
    assert auth.login("ana@alfa.ro", NEW_PASSWORD).status_code == 302
    actions = set(db.session.scalars(select(AuditEvent.action)
                                     .where(AuditEvent.action.like("invitation.%"))))
    assert actions == {"invitation.invite", "invitation.accept"}


def test_admin_invites_a_coordinator_onto_a_project(app, client, auth, world, smtp):  # noqa: F811
    auth.login("admin@example.org")
    response = auth.post("/invitations/new", {"email": "new@example.org", "role": "coordinator",
                                              "project_id": str(world.project.id)})
    assert response.status_code == 302
    [message] = _wait_for(smtp, "new@example.org")
    auth.logout()
    assert _accept(client, _path(message), full_name="Nou Coord").status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert user.role == "coordinator"
    assert db.session.scalar(select(ProjectMember.project_id)
                             .where(ProjectMember.user_id == user.id)) == world.project.id


def test_an_eight_day_old_link_is_refused(app, client, world):
    sent = utcnow() - timedelta(days=8)
    invitations.invite(db.session, email="late@example.org", role="trainer",
                       invited_by=world.coordinator, project=world.project, now=sent)
    db.session.commit()
    invitation = db.session.scalar(select(Invitation))
    secret = "x"  # the secret is only in the e-mail: check the service with a known one
    invitation.token_hash = invitations._token_hash(secret)
    db.session.commit()
    assert invitation.status() == "expired"
    assert invitations.valid_invitation(db.session, secret) is None
    assert client.get("/invitation/x").status_code == 410
    with pytest.raises(Problems):
        invitations.accept(db.session, secret, NEW_PASSWORD)


def test_revoked_link_is_refused_and_resend_kills_the_old_link(app, client, auth, world,
                                                               smtp):  # noqa: F811
    auth.login("coord@example.org")
    auth.post("/invitations/new", {"email": "t@example.org", "role": "trainer",
                                   "project_id": str(world.project.id)})
    [first] = _wait_for(smtp, "t@example.org")
    invitation = db.session.scalar(select(Invitation))
    auth.post(f"/invitations/{invitation.id}/resend")
    second = _wait_for(smtp, "t@example.org", 2)[1]
    old_path, new_path = _path(first), _path(second)
    assert old_path != new_path
    assert client.get(old_path).status_code == 410
    assert client.get(new_path).status_code == 200
    auth.post(f"/invitations/{invitation.id}/revoke")
    assert db.session.get(Invitation, invitation.id).status() == "revoked"
    auth.logout()
    assert client.get(new_path).status_code == 410
    assert _accept(client, new_path).status_code == 410
    assert db.session.scalar(select(User).where(User.email == "t@example.org")) is None
    actions = list(db.session.scalars(select(AuditEvent.action)
                                      .where(AuditEvent.action.like("invitation.%"))
                                      .order_by(AuditEvent.id)))
    assert actions == ["invitation.invite", "invitation.resend", "invitation.revoke"]


def test_a_made_up_link_answers_in_romanian(app, client):
    response = client.get("/invitation/not-a-real-secret")
    assert response.status_code == 410
    assert "Cereți" in response.get_data(as_text=True)


def test_an_address_with_an_account_gets_a_clear_message_and_no_mail(app, client, auth, world,
                                                                     smtp):  # noqa: F811
    auth.login("coord@example.org")
    response = auth.post("/invitations/new", {"email": "OTHER@example.org", "role": "trainer",
                                              "project_id": str(world.project.id)})
    assert response.status_code == 422
    assert "account with this e-mail address already exists" in response.get_data(as_text=True)
    assert db.session.scalar(select(Invitation)) is None
    time.sleep(0.2)
    assert smtp.messages == []


def test_mail_is_not_sent_when_the_transaction_rolls_back(app, world, smtp):  # noqa: F811
    invitations.invite(db.session, email="x@example.org", role="trainer",
                       invited_by=world.coordinator, project=world.project)
    db.session.rollback()
    db.session.commit()
    time.sleep(0.2)
    assert smtp.messages == [] and db.session.scalar(select(Invitation)) is None


@pytest.mark.parametrize("who, role, target, allowed", [
    ("coordinator", "sme", "firm", True),
    ("coordinator", "trainer", "project", True),
    ("coordinator", "coordinator", "project", False),  # only admins invite coordinators
    ("coordinator", "trainer", "other_project", False),  # another team's project
    ("admin", "coordinator", "project", True),
    ("admin", "coordinator", "other_project", True),
])
def test_who_may_invite_whom(app, world, who, role, target, allowed):
    kwargs = {"enterprise": world.firm} if target == "firm" else {"project": getattr(world, target)}
    inviter = getattr(world, who)
    if allowed:
        assert invitations.invite(db.session, email="n@example.org", role=role,
                                  invited_by=inviter, **kwargs).id
    else:
        with pytest.raises(invitations.NotAllowed):
            invitations.invite(db.session, email="n@example.org", role=role,
                               invited_by=inviter, **kwargs)


@pytest.mark.parametrize("role", ["trainer", "sme", "authority"])
def test_trainers_smes_and_the_authority_may_not_invite(app, world, role):
    user = UserFactory(role=role, enterprise=world.firm if role == "sme" else None)
    with pytest.raises(invitations.NotAllowed):
        invitations.invite(db.session, email="n@example.org", role="sme", invited_by=user,
                           enterprise=world.firm)


def test_a_coordinator_may_not_invite_for_an_enterprise_it_cannot_see(app, world):
    from tests.factories import MembershipFactory, ParticipantFactory

    # the firm's employee is in the other project's target group: the firm is theirs
    MembershipFactory(project=world.other_project,
                      participant=ParticipantFactory(enterprise=world.firm))
    db.session.commit()
    with pytest.raises(invitations.NotAllowed):
        invitations.invite(db.session, email="n@example.org", role="sme",
                           invited_by=world.coordinator, enterprise=world.firm)
    assert invitations.invite(db.session, email="n@example.org", role="sme",
                              invited_by=world.other_coordinator, enterprise=world.firm).id


def test_another_teams_coordinator_does_not_find_the_invitation(app, client, auth, world):
    invitation = invitations.invite(db.session, email="t@example.org", role="trainer",
                                    invited_by=world.coordinator, project=world.project)
    db.session.commit()
    auth.login("other@example.org")
    assert "t@example.org" not in client.get("/invitations").get_data(as_text=True)
    assert auth.post(f"/invitations/{invitation.id}/revoke").status_code == 404
    assert db.session.get(Invitation, invitation.id).revoked_at is None


def test_the_invitation_list_runs_a_constant_number_of_queries(app, auth, world, page_queries):
    auth.login("coord@example.org")

    def add(count):
        for _ in range(count):
            firm = EnterpriseFactory()
            invitations.invite(db.session, email=f"c{firm.id}@example.org", role="sme",
                               invited_by=world.coordinator, enterprise=firm,
                               project=world.project)
        db.session.commit()

    add(3)
    few = page_queries("/invitations")
    add(17)
    assert page_queries("/invitations") == few


def test_a_coordinator_leaves_the_admins_invitation_of_a_coordinator_alone(app, client, auth,
                                                                           world):
    invitation = invitations.invite(db.session, email="c2@example.org", role="coordinator",
                                    invited_by=world.admin, project=world.project)
    db.session.commit()
    auth.login("coord@example.org")
    page = client.get("/invitations").get_data(as_text=True)
    assert "c2@example.org" in page and "/revoke" not in page
    auth.post(f"/invitations/{invitation.id}/revoke")
    auth.post(f"/invitations/{invitation.id}/resend")
    assert db.session.get(Invitation, invitation.id).status() == "pending"
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.action.in_(["invitation.revoke", "invitation.resend"]))) is None
