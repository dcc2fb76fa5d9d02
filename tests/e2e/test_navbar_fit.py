"""At 1366 px the navigation bar of every role holds on one line, "log out" included."""
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.factories import EnterpriseFactory, ProjectFactory, UserFactory
from trainhub.extensions import db


@pytest.mark.parametrize("role", ["admin", "coordinator", "trainer", "sme", "authority"])
def test_the_navbar_fits_at_1366_px_in_romanian(live_app, live_server, page: Page, role,
                                                 tmp_path):
    email = f"{role}.cu.un.nume.destul.de.lung@exemplu-de-firma.ro"
    with live_app.app_context():
        project = ProjectFactory(code="SMIS-150001")
        UserFactory(email=email, role=role, locale="ro",
                    enterprise=EnterpriseFactory() if role == "sme" else None,
                    projects=[project] if role == "coordinator" else [])
        db.session.commit()
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Parolă").fill(PASSWORD)
    page.get_by_role("button", name="Autentificare").click()
    expect(page.get_by_role("heading", name="Panou")).to_be_visible()
    page.screenshot(path=str(tmp_path / f"navbar-{role}.png"))
    logout = page.get_by_role("button", name="Ieșire")
    expect(logout).to_be_visible()
    box = logout.bounding_box()
    assert box["x"] + box["width"] <= 1366
    nav = page.locator("nav.navbar").bounding_box()
    assert nav["height"] < 80, f"{role}: the navbar wraps ({nav['height']} px)"
    if role in ("admin", "coordinator", "authority"):
        page.locator("#nav").get_by_role("button", name="Program", exact=True).click()
        page.locator("#nav").get_by_role("link", name="Proiecte").click()
        expect(page.get_by_role("heading", name="Proiecte")).to_be_visible()
        expect(page.get_by_role("link", name="SMIS-150001")).to_be_visible()
