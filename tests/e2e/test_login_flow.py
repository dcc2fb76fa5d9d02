"""A coordinator logs in, sees the dashboard, switches language and logs out."""
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.factories import UserFactory
from trainhub.extensions import db


def test_coordinator_logs_in_switches_language_and_logs_out(live_app, live_server, page: Page):
    with live_app.app_context():
        UserFactory(email="coordonator@example.org", role="coordinator", locale="ro")
        db.session.commit()

    page.goto(f"{live_server}/")
    expect(page.get_by_role("heading", name="Autentificare în TrainHub")).to_be_visible()
    page.get_by_label("E-mail").fill("coordonator@example.org")
    page.get_by_label("Parolă").fill(PASSWORD)
    page.get_by_role("button", name="Autentificare").click()

    expect(page.get_by_role("heading", name="Panou")).to_be_visible()
    expect(page.get_by_test_id("current-user")).to_contain_text("coordonator@example.org")
    expect(page.get_by_test_id("dashboard-figures")).to_contain_text("Participanți")

    page.get_by_role("button", name="EN", exact=True).click()  # not "Evidență" in the navbar
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have logged out.")).to_be_visible()
    page.goto(f"{live_server}/")
    expect(page).to_have_url(f"{live_server}/login?next=%2F")
