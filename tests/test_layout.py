"""The kept layout (base.html): one per role, locale and script root, with this request's CSRF
token, path, e-mail, flashed messages and badge in its slots, never another user's or request's."""
import re

from sqlalchemy import select

from tests.conftest import csrf_token_from
from tests.factories import UserFactory, join_team, valid_cui
from tests.test_applications import _apply, world  # noqa: F401  (the world fixture)
from trainhub.applications.models import Application
from trainhub.extensions import db, limiter


def _badge(page: str) -> str | None:
    match = re.search(r'data-testid="nav-badge">(\d+)<', page)
    return match.group(1) if match else None


def _next(page: str) -> str:
    return re.search(r'name="next" value="([^"]*)"', page).group(1)


def _layouts(app) -> dict:
    """The kept layouts, by (role, locale, script root)."""
    return {key[1:]: parts for key, parts in app.extensions.get("trainhub.fragments", {}).items()
            if key[0] == "layout"}


def test_two_users_of_one_role_share_the_kept_layout_but_see_only_their_own_pieces(app, auth,
                                                                                     client):
    first = UserFactory(email="ana<b>@example.org", role="coordinator", locale="en")
    second = UserFactory(email="bogdan@example.org", role="coordinator", locale="en")
    db.session.commit()
    auth.login(first.email)
    with client.session_transaction() as session:
        session["_flashes"] = [("message", "Saved <b>A</b> & ț"), ("danger", "Refused")]
    page = client.get("/jobs/?q=<x>&page=2").get_data(as_text=True)
    assert 'title="ana&lt;b&gt;@example.org"' in page and ">ana&lt;b&gt;@example.org</a>" in page
    assert _next(page) == "/jobs/?q=&lt;x&gt;&amp;page=2"
    assert ('<div class="alert alert-info" role="alert">Saved &lt;b&gt;A&lt;/b&gt; &amp; ț</div>'
            in page)
    assert '<div class="alert alert-danger" role="alert">Refused</div>' in page
    first_token = csrf_token_from(page)
    again = client.get("/jobs/").get_data(as_text=True)
    assert "Saved" not in again and 'role="alert"' not in again  # shown once
    assert _next(again) == "/jobs/"
    auth.logout()

    auth.login(second.email)
    page = client.get("/jobs/").get_data(as_text=True)
    assert "bogdan@example.org" in page and "ana" not in page and "Saved" not in page
    assert csrf_token_from(page) != first_token
    assert [key[:2] for key in _layouts(app) if key[0]] == [("coordinator", "en")]  # kept once
    assert auth.logout().status_code == 302  # the token in the kept layout's slot is valid
    assert client.get("/jobs/").status_code == 302


def test_signed_out_roles_locales_and_script_roots_each_get_their_own_layout(app, auth, client):
    user = UserFactory(email="admin@example.org", role="admin", locale="ro")
    db.session.commit()
    auth.login(user.email)
    signed_in = client.get("/guide/").get_data(as_text=True)
    moved = client.get("/guide/", base_url="http://localhost/th/").get_data(as_text=True)
    auth.logout()
    signed_out = client.get("/guide/").get_data(as_text=True)
    assert 'href="/admin/users"' in signed_in and ">Ieșire<" in signed_in
    assert 'lang="ro"' in signed_in and 'data-testid="current-user"' in signed_in
    assert 'href="/th/admin/users"' in moved and 'href="/admin/users"' not in moved
    assert 'action="/th/logout"' in moved
    assert "/admin/users" not in signed_out and "/logout" not in signed_out
    assert "admin@example.org" not in signed_out and 'data-testid="current-user"' not in signed_out
    assert 'action="/language"' in signed_out
    assert {key for key in _layouts(app) if key[0]} == {("admin", "ro", ""), ("admin", "ro", "/th")}


def test_the_badge_follows_the_applications_and_the_team(app, auth, client, world):  # noqa: F811
    limiter.enabled = False
    try:
        auth.login("coord@example.org")
        assert _badge(client.get("/").get_data(as_text=True)) is None
        auth.logout()
        _apply(client)
        _apply(client, cui="RO" + valid_cui(78), contact_email="b@example.org")
        auth.login("coord@example.org")
        assert _badge(client.get("/jobs/").get_data(as_text=True)) == "2"
        application = db.session.scalar(select(Application).order_by(Application.id))
        assert auth.post(f"/applications/{application.id}/decline",
                         data={"reason": "Outside the target group"}).status_code == 302
        assert _badge(client.get("/jobs/").get_data(as_text=True)) == "1"
        auth.logout()

        auth.login("other@example.org")  # another project's coordinator
        assert _badge(client.get("/jobs/").get_data(as_text=True)) is None
        join_team(world.other, world.project)
        db.session.commit()
        assert _badge(client.get("/jobs/").get_data(as_text=True)) == "1"
        world.other.role = "trainer"  # a role that does not review applications
        db.session.commit()
        page = client.get("/jobs/").get_data(as_text=True)
        assert _badge(page) is None and "/applications" not in page
    finally:
        limiter.enabled = True


def test_the_layout_runs_the_same_queries_whatever_the_badge(app, auth, client, world,  # noqa: F811
                                                             page_queries):
    auth.login("coord@example.org")
    before = page_queries("/jobs/")
    auth.logout()
    _apply(client)
    auth.login("coord@example.org")
    assert page_queries("/jobs/") == before
    assert _badge(client.get("/jobs/").get_data(as_text=True)) == "1"


def test_the_badge_counts_the_sessions_own_unsaved_changes(app, client, world):  # noqa: F811
    from trainhub.applications.services import pending_count

    _apply(client)
    application = db.session.scalar(select(Application))
    assert pending_count(db.session, world.coordinator) == 1
    application.status = "declined"  # not flushed yet: the count flushes first, as the ORM would
    assert pending_count(db.session, world.coordinator) == 0
    assert pending_count(db.session, world.other) == 0
    db.session.rollback()
    assert pending_count(db.session, world.coordinator) == 1
