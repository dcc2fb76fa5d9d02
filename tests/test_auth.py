"""Login, logout, rate limiting, CSRF, language choice, user administration."""

import pytest

from tests.conftest import PASSWORD, Auth
from tests.factories import EnterpriseFactory, UserFactory
from trainhub.auth.models import User
from trainhub.extensions import db

GENERIC_FAILURE = "Wrong e-mail or password, or the account is disabled."


@pytest.fixture
def english(client):
    """Most assertions read English text; the language is switched like a user would."""
    client.post("/language", data={"locale": "en", "csrf_token": Auth(client).csrf_token()})


def test_login_and_logout(app, auth, client, english):
    UserFactory(email="coord@example.org")
    db.session.commit()
    response = auth.login("Coord@Example.org")
    assert response.status_code == 302 and response.location.endswith("/")
    assert "coord@example.org" in client.get("/").get_data(as_text=True)
    auth.logout()
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("case", ["wrong password", "unknown user", "disabled user"])
def test_every_login_failure_says_the_same(app, auth, client, english, case):
    UserFactory(email="ana@example.org", active=case != "disabled user")
    db.session.commit()
    email = "nobody@example.org" if case == "unknown user" else "ana@example.org"
    password = "wrong-password" if case == "wrong password" else PASSWORD
    response = auth.login(email, password)
    assert response.status_code == 200
    assert GENERIC_FAILURE in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still logged out


def test_login_is_rate_limited_per_account(app, auth, english):
    UserFactory(email="ana@example.org")
    db.session.commit()
    statuses = [auth.login("ana@example.org", "wrong").status_code for _ in range(10)]
    assert statuses == [200] * 10
    # The 11th attempt is refused even with the right password.
    response = auth.login("ana@example.org", PASSWORD)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_rate_limit_counts_failures_for_unknown_accounts_too(app, auth):
    for _ in range(10):
        auth.login("ghost@example.org", "x")
    assert auth.login("ghost@example.org", "x").status_code == 429


def test_login_post_without_csrf_token_is_refused(app, client):
    UserFactory(email="ana@example.org")
    db.session.commit()
    response = client.post("/login", data={"email": "ana@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # not logged in


def test_logout_requires_csrf(app, auth, client):
    UserFactory(email="ana@example.org")
    db.session.commit()
    auth.login("ana@example.org")
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still logged in


def test_session_is_renewed_at_login(app, auth, client):
    UserFactory(email="ana@example.org")
    db.session.commit()
    client.get("/login")
    before = client.get_cookie("session").value
    auth.login("ana@example.org")
    assert client.get_cookie("session").value != before


def test_next_parameter_cannot_redirect_off_site(app, client):
    UserFactory(email="ana@example.org")
    db.session.commit()
    response = client.post("/login?next=//evil.example/x", data={
        "email": "ana@example.org", "password": PASSWORD, "csrf_token": Auth(client).csrf_token()})
    assert response.location == "/"


def test_romanian_is_the_default_and_the_choice_is_remembered(app, auth, client):
    user = UserFactory(email="ana@example.org", locale="ro")
    db.session.commit()
    assert "Autentificare" in client.get("/login").get_data(as_text=True)
    auth.login("ana@example.org")
    assert "Panou" in client.get("/").get_data(as_text=True)
    auth.post("/language", {"locale": "en", "next": "/"})
    assert db.session.get(User, user.id).locale == "en"
    auth.logout()
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)  # kept after logout
    browser = Auth(app.test_client())  # another browser: Romanian until the account logs in
    assert 'lang="ro"' in browser.client.get("/login").get_data(as_text=True)
    browser.login("ana@example.org")
    html = browser.client.get("/").get_data(as_text=True)
    assert 'lang="en"' in html and "Dashboard" in html


def test_admin_creates_an_sme_user_with_field_errors_first(app, auth, client, english):
    UserFactory(email="admin@example.org", role="admin")
    firm = EnterpriseFactory()
    db.session.commit()
    auth.login("admin@example.org")
    response = auth.post("/admin/users/new", {"email": "not-an-email", "role": "sme",
                                              "password": "short"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "is-invalid" in html
    response = auth.post("/admin/users/new", {"email": "boss@firma.ro", "role": "sme",
                                              "password": "long-enough-1",
                                              "enterprise_cui": f"RO {firm.cui}"})
    assert response.status_code == 302
    created = db.session.query(User).filter_by(email="boss@firma.ro").one()
    assert created.enterprise_id == firm.id


def test_admin_disables_a_user_who_then_cannot_log_in(app, auth, client, english):
    UserFactory(email="admin@example.org", role="admin")
    target = UserFactory(email="t@example.org")
    db.session.commit()
    auth.login("admin@example.org")
    assert auth.post(f"/admin/users/{target.id}/active", {}).status_code == 302
    assert db.session.get(User, target.id).active is False
    auth.logout()
    assert GENERIC_FAILURE in auth.login("t@example.org").get_data(as_text=True)


def test_users_list_runs_a_constant_number_of_queries(app, auth, client, page_queries):
    UserFactory(email="admin@example.org", role="admin")
    db.session.commit()
    auth.login("admin@example.org")

    def queries_with(total_users: int) -> int:
        while db.session.query(User).count() < total_users:
            UserFactory(role="sme", enterprise=EnterpriseFactory())
        db.session.commit()
        return page_queries("/admin/users?page=1")

    assert queries_with(10) == queries_with(100)
    html = client.get("/admin/users?page=2").get_data(as_text=True)
    assert "page=3" in html and "page=1" in html and "100 records" in html
