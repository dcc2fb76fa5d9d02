"""Password policy, lock-out after failed logins, sessions ended on deactivation, password
reset by e-mailed link (through a real SMTP server)."""
import logging
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, Auth
from tests.documents.test_reminders import smtp  # noqa: F401  (the aiosmtpd fixture)
from tests.factories import UserFactory
from trainhub.auth.models import PasswordResetToken, User
from trainhub.auth.services import (
    UserError,
    authenticate,
    password_problem,
    request_password_reset,
    reset_password,
    valid_reset_token,
)
from trainhub.core.models import utcnow
from trainhub.extensions import db

GENERIC_FAILURE = "Wrong e-mail or password, or the account is disabled."
SAME_ANSWER = "If an account with that e-mail exists"


@pytest.fixture
def english(client):
    client.post("/language", data={"locale": "en", "csrf_token": Auth(client).csrf_token()})


@pytest.mark.parametrize("password, problem", [
    ("short-1", "at least 10"),
    ("1234567890123", "only digits"),
    ("ana@example.org", "e-mail"),
    ("ANA@example.org ", "e-mail"),
    ("correct-horse-9", None),
])
def test_password_policy(app, password, problem):
    found = password_problem(password, "ana@example.org")
    assert (found is None) if problem is None else (problem in found)


def test_user_form_applies_the_policy(app, auth, english):
    UserFactory(email="admin@example.org", role="admin")
    db.session.commit()
    auth.login("admin@example.org")
    response = auth.post("/admin/users/new", {"email": "new@example.org", "role": "trainer",
                                              "password": "12345678901"})
    assert response.status_code == 200 and "only digits" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "new@example.org")) is None


# --- lock-out ---------------------------------------------------------------------------------

def test_five_failures_lock_the_account_for_fifteen_minutes(app):
    user = UserFactory(email="ana@example.org")
    db.session.commit()
    start = utcnow()
    for minute in range(5):
        assert authenticate("ana@example.org", "wrong", now=start + timedelta(minutes=minute)) is None
    assert authenticate("ana@example.org", PASSWORD, now=start + timedelta(minutes=5)) is None
    assert authenticate("ana@example.org", PASSWORD, now=start + timedelta(minutes=20)) == user


def test_failures_spread_beyond_the_window_do_not_lock(app):
    UserFactory(email="ana@example.org")
    db.session.commit()
    start = utcnow()
    for step in range(8):
        authenticate("ana@example.org", "wrong", now=start + timedelta(minutes=4 * step))
    assert authenticate("ana@example.org", PASSWORD, now=start + timedelta(minutes=33)) is not None


def test_locked_login_gives_the_generic_message_and_admin_unlocks(app, auth, client, english):
    admin = UserFactory(email="admin@example.org", role="admin")
    target = UserFactory(email="ana@example.org")
    db.session.commit()
    for _ in range(5):
        auth.login("ana@example.org", "wrong-password")
    response = auth.login("ana@example.org")
    assert response.status_code == 200 and GENERIC_FAILURE in response.get_data(as_text=True)
    assert db.session.get(User, target.id).locked_until is not None
    auth.login(admin.email)
    assert "Unlock" in client.get("/admin/users").get_data(as_text=True)
    auth.post(f"/admin/users/{target.id}/active", {"active": "y"})
    assert db.session.get(User, target.id).locked_until is None
    auth.logout()
    assert auth.login("ana@example.org").status_code == 302


def test_deactivating_a_user_ends_their_sessions_even_after_reactivation(app):
    admin = UserFactory(email="admin@example.org", role="admin")
    target = UserFactory(email="ana@example.org")
    db.session.commit()
    target_client, admin_client = app.test_client(), app.test_client()
    Auth(target_client).login("ana@example.org")
    assert target_client.get("/").status_code == 200
    admin_auth = Auth(admin_client)
    admin_auth.login(admin.email)
    admin_auth.post(f"/admin/users/{target.id}/active", {})
    assert target_client.get("/").status_code == 302
    admin_auth.post(f"/admin/users/{target.id}/active", {"active": "y"})
    assert target_client.get("/").status_code == 302  # the old session stays dead


# --- password reset ---------------------------------------------------------------------------

def _wait_for(inbox, address, count=1):
    deadline = time.monotonic() + 5
    while len(inbox.to(address)) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return inbox.to(address)


def _link(message) -> str:
    return re.search(r"http://\S+/reset-password/\S+", message.get_content()).group(0)


def test_reset_by_email_sets_the_new_password_once(app, client, auth, english, smtp):  # noqa: F811
    UserFactory(email="ana@example.org")
    db.session.commit()
    token = auth.csrf_token("/forgot-password")
    response = client.post("/forgot-password", data={"email": "Ana@example.org",
                                                     "csrf_token": token})
    assert response.status_code == 302
    assert SAME_ANSWER in client.get("/login").get_data(as_text=True)
    [message] = _wait_for(smtp, "ana@example.org")
    path = _link(message).split("localhost:5000", 1)[1]
    secret = path.rsplit("/", 1)[1]
    stored = db.session.scalar(select(PasswordResetToken))
    assert secret not in stored.token_hash  # only a hash is kept

    form_token = auth.csrf_token(path)
    response = client.post(path, data={"password": "new-secret-pass", "confirm": "new-secret-pass",
                                       "csrf_token": form_token})
    assert response.status_code == 302
    assert auth.login("ana@example.org", "new-secret-pass").status_code == 302
    auth.logout()
    # the link is used up
    page = client.get(path).get_data(as_text=True)
    assert 'data-testid="reset-invalid"' in page
    assert client.post(path, data={"password": "other-secret-1", "confirm": "other-secret-1",
                                   "csrf_token": auth.csrf_token()}).status_code == 200
    assert auth.login("ana@example.org", "other-secret-1").status_code == 200


def test_unknown_address_gets_the_same_answer_and_no_mail(app, client, auth, english, smtp):  # noqa: F811
    token = auth.csrf_token("/forgot-password")
    response = client.post("/forgot-password", data={"email": "ghost@example.org",
                                                     "csrf_token": token})
    assert response.status_code == 302
    assert SAME_ANSWER in client.get("/login").get_data(as_text=True)
    time.sleep(0.2)
    assert smtp.messages == []


def test_reused_token_is_refused(app):
    UserFactory(email="ana@example.org")
    db.session.commit()
    _user, secret = request_password_reset(db.session, "ana@example.org")
    reset_password(db.session, secret, "first-new-pass")
    with pytest.raises(UserError, match="invalid, already used or expired"):
        reset_password(db.session, secret, "second-new-pass")


def test_expired_token_is_refused(app):
    UserFactory(email="ana@example.org")
    db.session.commit()
    issued_at = utcnow()
    _user, secret = request_password_reset(db.session, "ana@example.org", now=issued_at)
    assert valid_reset_token(db.session, secret, issued_at + timedelta(minutes=59)) is not None
    with pytest.raises(UserError):
        reset_password(db.session, secret, "too-late-pass", now=issued_at + timedelta(hours=1))
    assert authenticate("ana@example.org", PASSWORD) is not None


def test_reset_lifetime_is_configurable(app):
    app.config["PASSWORD_RESET_MAX_AGE"] = 60
    UserFactory(email="ana@example.org")
    db.session.commit()
    issued_at = utcnow()
    _user, secret = request_password_reset(db.session, "ana@example.org", now=issued_at)
    assert valid_reset_token(db.session, secret, issued_at + timedelta(seconds=61)) is None


def test_reset_ends_other_sessions_and_applies_the_policy(app):
    user = UserFactory(email="ana@example.org")
    db.session.commit()
    version = user.session_version
    _user, secret = request_password_reset(db.session, "ana@example.org")
    with pytest.raises(UserError, match="at least 10"):
        reset_password(db.session, secret, "short")
    reset_password(db.session, secret, "long-enough-pass")
    assert db.session.get(User, user.id).session_version == version + 1


def test_mail_failure_is_logged_and_the_page_answers_at_once(app, client, auth, caplog,
                                                             monkeypatch):
    # Alembic's fileConfig (the migration tests) disables the loggers that existed before it
    monkeypatch.setattr(logging.getLogger("trainhub.mail"), "disabled", False)
    UserFactory(email="ana@example.org")
    db.session.commit()
    token = auth.csrf_token("/forgot-password")
    started = time.monotonic()
    response = client.post("/forgot-password", data={"email": "ana@example.org",
                                                     "csrf_token": token})
    assert response.status_code == 302 and time.monotonic() - started < 2
    deadline = time.monotonic() + 5
    while "mail to ana@example.org failed" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "mail to ana@example.org failed" in caplog.text
