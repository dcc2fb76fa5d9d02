"""Sessions end for real: a session cookie replayed after logout, a password change or reset,
a deactivation or "log out everywhere" is an anonymous visitor's (the remember-me cookie too)."""
from datetime import timedelta

import pytest
from flask_login.utils import encode_cookie

from tests.conftest import PASSWORD, Auth, csrf_token_from
from tests.factories import EnterpriseFactory, UserFactory
from trainhub.auth.models import User
from trainhub.auth.services import (
    UserError,
    authenticate,
    change_password,
    issue_token,
    request_password_reset,
)
from trainhub.core.models import utcnow
from trainhub.extensions import db

NEW_PASSWORD = "brand-new-pass-7"


@pytest.fixture
def sme(app):
    """An SME user (reading Romanian, the product's language) and its enterprise."""
    enterprise = EnterpriseFactory(name="Firma Secretă SRL")
    user = UserFactory(email="ana@example.org", role="sme", enterprise=enterprise, locale="ro")
    db.session.commit()
    return user


def _signed_in(app, email: str = "ana@example.org") -> Auth:
    auth = Auth(app.test_client())
    assert auth.login(email).status_code == 302
    return auth


def _cookie(auth: Auth) -> str:
    return auth.client.get_cookie("session").value


def _replay(app, cookie: str, url: str = "/", name: str = "session"):
    """GET `url` from a browser that holds only the copied cookie."""
    thief = app.test_client()
    thief.set_cookie(name, cookie)
    return thief.get(url)


def _is_anonymous(response) -> bool:
    return response.status_code == 302 and "/login?next=" in response.location


def test_replayed_cookie_after_logout_shows_nothing(app, sme):
    auth = _signed_in(app)
    page = f"/enterprises/{sme.enterprise_id}"
    cookie = _cookie(auth)
    assert "Firma Secretă SRL" in _replay(app, cookie, page).get_data(as_text=True)
    auth.logout()
    response = _replay(app, cookie, page)
    assert _is_anonymous(response)
    assert "Firma Secretă SRL" not in response.get_data(as_text=True)
    api = _replay(app, cookie, "/api/v1/projects")
    assert api.status_code == 401 and api.is_json


def test_replayed_remember_me_cookie_after_logout_is_refused(app, sme):
    with app.test_request_context():
        remember = encode_cookie(db.session.get(User, sme.id).get_id())
    assert _replay(app, remember, name="remember_token").status_code == 200  # the path is live
    auth = _signed_in(app)
    auth.logout()
    assert _is_anonymous(_replay(app, remember, name="remember_token"))


def test_a_remember_cookie_without_the_version_is_refused(app, sme):
    with app.test_request_context():
        old_style = encode_cookie(str(sme.id))
    assert _is_anonymous(_replay(app, old_style, name="remember_token"))


def test_password_change_ends_the_other_sessions_and_keeps_this_one(app, sme):
    here, there = _signed_in(app), _signed_in(app)
    other_cookie = _cookie(there)
    response = here.post("/account", {"current_password": PASSWORD, "password": NEW_PASSWORD,
                                      "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/account")
    assert "Parola a fost schimbată" in here.client.get("/account").get_data(as_text=True)
    assert here.client.get("/").status_code == 200
    assert _is_anonymous(there.client.get("/"))
    assert _is_anonymous(_replay(app, other_cookie))
    assert authenticate("ana@example.org", PASSWORD) is None
    assert authenticate("ana@example.org", NEW_PASSWORD) is not None


def test_password_change_needs_the_current_password_and_counts_a_wrong_one(app, sme):
    auth = _signed_in(app)
    version = sme.session_version
    response = auth.post("/account", {"current_password": "wrong-password", "password": NEW_PASSWORD,
                                      "confirm": NEW_PASSWORD})
    assert response.status_code == 200
    assert "Parola actuală este greșită." in response.get_data(as_text=True)
    user = db.session.get(User, sme.id)
    assert user.failed_login_count == 1 and user.session_version == version
    assert authenticate("ana@example.org", PASSWORD) is not None


@pytest.mark.parametrize("new, confirm", [("short", "short"), ("1234567890123", "1234567890123"),
                                          (NEW_PASSWORD, NEW_PASSWORD + "x"), ("", "")])
def test_a_refused_new_password_changes_nothing(app, sme, new, confirm):
    auth = _signed_in(app)
    cookie = _cookie(auth)
    response = auth.post("/account", {"current_password": PASSWORD, "password": new,
                                      "confirm": confirm})
    assert response.status_code == 200
    assert 'class="invalid-feedback' in response.get_data(as_text=True)
    assert _replay(app, cookie).status_code == 200
    assert authenticate("ana@example.org", PASSWORD) is not None


def test_change_password_service_refuses_a_locked_account(app, sme):
    sme.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    with pytest.raises(UserError):
        change_password(db.session, sme, PASSWORD, NEW_PASSWORD)
    assert db.session.get(User, sme.id).check_password(PASSWORD)


def test_replayed_cookie_after_reset_is_refused(app, sme):
    auth = _signed_in(app)
    cookie = _cookie(auth)
    _user, secret = request_password_reset(db.session, "ana@example.org")
    stranger = Auth(app.test_client())
    path = f"/reset-password/{secret}"
    response = stranger.client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                                "csrf_token": stranger.csrf_token(path)})
    assert response.status_code == 302
    assert _is_anonymous(auth.client.get("/"))
    assert _is_anonymous(_replay(app, cookie))


def test_replayed_cookie_after_deactivation_is_refused_and_so_is_the_api_token(app, sme):
    admin = UserFactory(email="admin@example.org", role="admin")
    db.session.commit()
    _token, secret = issue_token(db.session, sme, "script")
    bearer = {"Authorization": f"Bearer {secret}"}
    cookie = _cookie(_signed_in(app))
    assert app.test_client().get("/api/v1/projects", headers=bearer).status_code == 200
    admin_auth = _signed_in(app, admin.email)
    admin_auth.post(f"/admin/users/{sme.id}/active", {})
    assert _is_anonymous(_replay(app, cookie))
    assert app.test_client().get("/api/v1/projects", headers=bearer).status_code == 401


def test_log_out_everywhere_ends_every_session_with_a_romanian_message(app, sme):
    here, there = _signed_in(app), _signed_in(app)
    cookies = [_cookie(here), _cookie(there)]
    _token, secret = issue_token(db.session, sme, "script")
    page = here.client.get("/account").get_data(as_text=True)
    assert 'action="/account/logout-everywhere"' in page
    response = here.client.post("/account/logout-everywhere",
                                data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302 and response.location.endswith("/login")
    assert "Ați ieșit din cont pe toate dispozitivele." in here.client.get(
        "/login").get_data(as_text=True)
    for cookie in cookies:
        assert _is_anonymous(_replay(app, cookie))
    assert _is_anonymous(there.client.get("/"))
    # API tokens are separate credentials: revoked one by one on the tokens page
    api = app.test_client().get("/api/v1/projects", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200


def test_log_out_everywhere_needs_the_csrf_token(app, sme):
    auth = _signed_in(app)
    assert auth.client.post("/account/logout-everywhere").status_code == 400
    assert auth.client.get("/").status_code == 200


def test_next_is_followed_after_logging_in_again(app, sme):
    auth = _signed_in(app)
    cookie = _cookie(auth)
    auth.logout()
    page = f"/enterprises/{sme.enterprise_id}"
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    response = thief.get(page)
    assert _is_anonymous(response)
    login = Auth(thief)
    token = login.csrf_token(response.location)
    response = thief.post(response.location, data={"email": "ana@example.org",
                                                    "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and response.location == page


def test_the_account_page_shows_the_user_and_links_the_tokens(app, sme):
    auth = _signed_in(app)
    page = auth.client.get("/account").get_data(as_text=True)
    assert "ana@example.org" in page and 'href="/account/tokens"' in page
    assert 'href="/account"' in auth.client.get("/").get_data(as_text=True)
