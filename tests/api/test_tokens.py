"""API tokens: issued once in clear, stored as a hash, revoked for good, managed on a page."""
import hashlib
import re

from sqlalchemy import select

from tests.conftest import csrf_token_from
from tests.factories import UserFactory
from trainhub.audit.models import AuditEvent
from trainhub.auth.models import ApiToken
from trainhub.auth.services import issue_token, own_token, revoke_token, user_for_token
from trainhub.extensions import db


def test_issued_token_is_stored_only_as_its_hash(app):
    user = UserFactory()
    token, secret = issue_token(db.session, user, "  report script ")
    assert len(secret) >= 40
    assert token.name == "report script"
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:8]
    stored = db.session.execute(select(ApiToken.__table__)).one()._asdict()
    assert secret not in {str(value) for value in stored.values()}
    # the audit trail records the token's creation but not its hash
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "api_tokens"))
    assert all("token_hash" not in event.changes for event in events)


def test_each_token_is_different(app):
    user = UserFactory()
    secrets = {issue_token(db.session, user, "t")[1] for _ in range(5)}
    assert len(secrets) == 5


def test_token_finds_its_user_until_revoked(app):
    user = UserFactory()
    token, secret = issue_token(db.session, user, "script")
    assert user_for_token(db.session, secret) == user
    assert token.last_used_at is not None
    revoke_token(db.session, token)
    assert user_for_token(db.session, secret) is None


def test_unknown_empty_or_disabled_owner_token_finds_nobody(app):
    user = UserFactory()
    _token, secret = issue_token(db.session, user, "script")
    assert user_for_token(db.session, "") is None
    assert user_for_token(db.session, secret + "x") is None
    assert user_for_token(db.session, secret[:-1]) is None
    user.active = False
    db.session.commit()
    assert user_for_token(db.session, secret) is None


def test_using_a_token_does_not_fill_the_audit_trail(app):
    _token, secret = issue_token(db.session, UserFactory(), "script")
    before = db.session.scalar(select(db.func.count()).select_from(AuditEvent))
    for _ in range(3):
        user_for_token(db.session, secret)
    assert db.session.scalar(select(db.func.count()).select_from(AuditEvent)) == before


def test_revoking_twice_keeps_the_first_date(app):
    token, _secret = issue_token(db.session, UserFactory(), "script")
    revoke_token(db.session, token)
    first = token.revoked_at
    revoke_token(db.session, token)
    assert token.revoked_at == first


def test_own_token_is_none_for_another_users_token(app):
    owner, other = UserFactory(), UserFactory()
    token, _secret = issue_token(db.session, owner, "script")
    assert own_token(db.session, owner, token.id) == token
    assert own_token(db.session, other, token.id) is None


def test_token_page_shows_a_new_token_once(app, client, auth):
    user = UserFactory(role="authority", email="ana@example.org")
    db.session.commit()
    auth.login("ana@example.org")
    page = client.get("/account/tokens")
    assert page.status_code == 200
    response = client.post("/account/tokens", data={
        "name": "quarterly", "csrf_token": csrf_token_from(page.get_data(as_text=True))})
    html = response.get_data(as_text=True)
    secret = re.search(r'data-testid="new-token">([^<]+)<', html).group(1)
    assert user_for_token(db.session, secret).id == user.id
    again = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in again and "quarterly" in again and secret[:8] in again


def test_token_page_refuses_a_nameless_token(app, client, auth):
    UserFactory(email="ana@example.org")
    db.session.commit()
    auth.login("ana@example.org")
    response = auth.post("/account/tokens", {"name": "  "})
    assert response.status_code == 200
    assert db.session.scalar(select(db.func.count()).select_from(ApiToken)) == 0


def test_token_is_revoked_from_the_page(app, client, auth):
    user = UserFactory(email="ana@example.org")
    token, secret = issue_token(db.session, user, "script")
    auth.login("ana@example.org")
    response = auth.post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 302
    assert user_for_token(db.session, secret) is None


def test_another_users_token_cannot_be_revoked(app, client, auth):
    UserFactory(email="ana@example.org")
    token, secret = issue_token(db.session, UserFactory(), "theirs")
    auth.login("ana@example.org")
    assert auth.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert user_for_token(db.session, secret) is not None


def test_token_pages_need_csrf(app, client, auth):
    user = UserFactory(email="ana@example.org")
    token, _secret = issue_token(db.session, user, "script")
    auth.login("ana@example.org")
    assert client.post("/account/tokens", data={"name": "x"}).status_code == 400
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 400
    assert db.session.get(ApiToken, token.id).revoked_at is None
