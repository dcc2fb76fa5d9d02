"""Issue 6 end to end: cohort with generated sessions, gated enrollment, grid, certificates."""
from datetime import date, timedelta
from decimal import Decimal

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.factories import (
    CourseFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    UserFactory,
)
from trainhub.attendance.models import Certificate
from trainhub.extensions import db


def _log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_role("button", name="EN", exact=True).click()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_cohort_from_creation_to_verified_certificate(live_app, live_server, page: Page):
    with live_app.app_context():
        project = ProjectFactory(code="SMIS-E2E")
        CourseFactory(code="C-CYB", title="Securitate cibernetică", planned_hours=Decimal(8))
        UserFactory(email="coord@example.org", role="coordinator", projects=[project])
        UserFactory(email="trainer@example.org", role="trainer", full_name="Radu Georgescu")
        MembershipFactory(project=project, participant=ParticipantFactory(
            last_name="Ștefănescu", first_name="Ioana", sex="F"))
        MembershipFactory(project=project, eligibility_status="ineligible",
                          participant=ParticipantFactory(last_name="Vasile", first_name="Dan"))
        db.session.commit()

    _log_in(page, live_server, "coord@example.org")
    page.goto(f"{live_server}/courses/cohorts/new")
    page.get_by_label("Code").fill("G-E2E")
    page.get_by_label("Trainer").select_option(label="Radu Georgescu")
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    page.get_by_label("First day").fill(yesterday)  # yesterday's and today's sessions are held
    page.get_by_label("Start time").fill("09:00")
    page.get_by_label("End time").fill("13:00")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        page.get_by_label(day).check()
    page.get_by_role("button", name="Create cohort").click()
    expect(page.get_by_text("Cohort G-E2E created with 2 sessions.")).to_be_visible()

    page.get_by_label("Ștefănescu Ioana").check()
    expect(page.get_by_label("Vasile Dan")).to_be_disabled()  # the gate keeps him out
    expect(page.get_by_text("Cannot be enrolled: Eligibility is ineligible")).to_be_visible()
    page.get_by_label("Enrollment date").fill(yesterday)
    page.get_by_role("button", name="Enroll selected").click()
    expect(page.get_by_text("Ștefănescu Ioana enrolled.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    _log_in(page, live_server, "trainer@example.org")
    page.goto(f"{live_server}/courses/cohorts")
    page.get_by_role("link", name="G-E2E").click()
    page.get_by_role("link", name="Attendance").click()
    for select in page.locator("select[name^=status-]").all():
        select.select_option("present")
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_text("2 marks saved.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    _log_in(page, live_server, "coord@example.org")
    page.goto(f"{live_server}/courses/cohorts")
    page.get_by_role("link", name="G-E2E").click()
    page.get_by_role("link", name="Attendance").click()
    page.get_by_role("link", name="Close cohort and decide completion").click()
    expect(page.get_by_test_id("nothing-missing")).to_be_visible()
    page.get_by_role("button", name="Confirm: close the cohort and decide completion").click()
    expect(page.get_by_text("Cohort closed: 1 completed, 0 not completed.")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Certificates (ZIP)").click()
    assert download.value.suggested_filename == "certificate-G-E2E.zip"

    with live_app.app_context():
        token = db.session.query(Certificate).one().token
    page.goto(f"{live_server}/verify/{token}")
    expect(page.get_by_test_id("certificate-status")).to_have_text("Valid")
    expect(page.get_by_text("I. Ș.")).to_be_visible()
