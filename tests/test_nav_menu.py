"""The kept navigation menu: one per role and locale, only the entries the role may open, and
badges counted on every request (never kept)."""
import re

import pytest

from tests.factories import EnterpriseFactory, UserFactory
from tests.test_applications import _apply, world  # noqa: F401  (the world fixture)
from trainhub.auth.models import Role
from trainhub.auth.permissions import can
from trainhub.extensions import db
from trainhub.views import NAV_ITEMS


def _nav(page: str) -> str:
    return page[page.index('<ul class="navbar-nav'):page.index("</ul>\n      <form")]


def _user(role: str, locale: str):
    email = f"{role}-{locale}@example.org"
    enterprise = EnterpriseFactory() if role == "sme" else None
    user = UserFactory(email=email, role=role, locale=locale, enterprise=enterprise)
    db.session.commit()
    return user


def test_each_role_and_locale_sees_its_own_menu_and_only_links_it_may_use(app, auth, client):
    """Every role in both languages, one after the other in one process: the menu kept for the
    one before never leaks into the next."""
    menus = {}
    for locale in ("en", "ro"):
        for role in Role:
            user = _user(role.value, locale)
            auth.login(user.email)
            for _visit in range(2):  # the second one is served from the kept menu
                nav = _nav(client.get("/").get_data(as_text=True))
                with app.test_request_context():
                    from flask import url_for

                    allowed = {url_for("main.dashboard")} | {
                        url_for(endpoint) for _label, entries in NAV_ITEMS
                        for endpoint, _entry, permission in entries if can(user, permission)}
                shown = set(re.findall(r'href="(/[^"]*)"', nav))
                assert shown == allowed, f"{role} {locale}"
                menus.setdefault((role, locale), nav)
                assert menus[(role, locale)] == nav
            auth.logout()
    assert ">Projects<" in menus[(Role.COORDINATOR, "en")]
    assert ">Proiecte<" in menus[(Role.COORDINATOR, "ro")]
    assert ">Projects<" not in menus[(Role.COORDINATOR, "ro")]
    assert menus[(Role.ADMIN, "en")] != menus[(Role.TRAINER, "en")]
    assert "/admin/users" in menus[(Role.ADMIN, "en")]
    assert "/admin/users" not in menus[(Role.TRAINER, "en")]


def test_the_badge_is_counted_on_every_request(app, auth, client, world):  # noqa: F811
    auth.login("coord@example.org")
    assert 'data-testid="nav-badge"' not in client.get("/").get_data(as_text=True)
    auth.logout()
    assert _apply(client).status_code in (200, 302)
    auth.login("coord@example.org")
    assert 'data-testid="nav-badge">1<' in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login("other@example.org")  # another project's coordinator: not theirs to decide
    assert 'data-testid="nav-badge"' not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["trainer", "sme", "authority"])
def test_a_role_that_may_not_review_never_gets_the_applications_entry(app, auth, client, world,  # noqa: F811
                                                                      role):
    _apply(client)
    user = _user(role, "en")
    auth.login(user.email)
    page = client.get("/").get_data(as_text=True)
    assert "/applications" not in _nav(page) and 'data-testid="nav-badge"' not in page
