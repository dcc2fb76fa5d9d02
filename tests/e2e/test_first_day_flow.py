"""A project's first day from an empty database (issues 16, 18): the admin made on the command
line creates a call and a project and invites a coordinator by e-mail; the coordinator sets a
password through the link, registers an SME, invites its contact, creates a course and a cohort,
enrolls a person and exports the first indicator table."""
import re
import time
from datetime import date, timedelta

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.documents.test_reminders import Inbox, _free_port
from tests.factories import valid_cnp, valid_cui


@pytest.fixture
def inbox(live_app, live_server):
    """A real SMTP server; the served app mails through it, with links to itself."""
    box = Inbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    live_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, BASE_URL=live_server)
    yield box
    controller.stop()


def _link(inbox, address: str) -> str:
    deadline = time.monotonic() + 10
    while not inbox.to(address) and time.monotonic() < deadline:
        time.sleep(0.05)
    [message] = inbox.to(address)
    return re.search(r"http://\S+/invitation/\S+", message.get_content()).group(0)


def _log_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_role("button", name="EN", exact=True).click()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="EN", exact=True).click()  # the account's own language


def test_first_day_from_an_empty_database(live_app, live_server, inbox, page: Page):
    result = live_app.test_cli_runner().invoke(args=[
        "create-user", "admin@example.org", "--role", "admin", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    base = live_server
    today = date.today()
    page.set_default_timeout(8000)

    # the admin: a call from the preset, a project with targets, a coordinator invited
    _log_in(page, base, "admin@example.org")
    page.goto(f"{base}/admin/calls/new")
    page.get_by_label("Code").fill("POCU/3.12")
    page.get_by_label("Name").fill("Competențe digitale pentru angajații IMM")
    page.get_by_role("button", name="Create call").click()
    page.goto(f"{base}/projects/new")
    page.get_by_label("Code (SMIS)").fill("SMIS-1")
    page.get_by_label("Title", exact=True).fill("Digital în Nord-Vest")
    page.get_by_label("Start date").fill((today - timedelta(days=60)).isoformat())
    page.get_by_label("End date").fill((today + timedelta(days=600)).isoformat())
    page.get_by_label(re.compile("^RO11")).check()
    page.get_by_label(re.compile("^TOTAL")).fill("100")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("SMIS-1"))).to_be_visible()

    page.goto(f"{base}/invitations/new")
    page.get_by_label("E-mail").fill("coord@example.org")
    page.get_by_label("Role").select_option("coordinator")
    page.get_by_label("Project").select_option(label="SMIS-1 · Digital în Nord-Vest")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Invitation sent to coord@example.org.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # the coordinator sets a password through the e-mailed link
    page.goto(_link(inbox, "coord@example.org"))
    page.get_by_label("Full name").fill("Corina Pop")
    page.get_by_label("New password", exact=True).fill("coordinator-pass-1")
    page.get_by_label("Repeat the new password").fill("coordinator-pass-1")
    page.get_by_role("button", name="Set the password").click()
    expect(page.get_by_test_id("current-user")).to_have_text("coord@example.org")
    page.get_by_role("button", name="EN", exact=True).click()

    # an SME and its contact
    cui = valid_cui(4242)
    page.goto(f"{base}/enterprises/new")
    page.get_by_label("CUI (fiscal code)").fill("RO" + cui)
    page.get_by_label("Name").fill("Beta Logistic SRL")
    page.get_by_label("Main CAEN code").fill("4941")
    page.get_by_label("County").select_option("RO-CJ")
    page.get_by_label("Employees (annual average)").fill("25")
    page.get_by_label("Annual turnover (EUR)").fill("1200000")
    page.get_by_label("Balance sheet total (EUR)").fill("800000")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Beta Logistic SRL")).to_be_visible()
    page.goto(f"{base}/invitations/new")
    page.get_by_label("E-mail").fill("office@beta.ro")
    page.get_by_label("Role").select_option("sme")
    page.get_by_label("Enterprise CUI (SME contacts)").fill(cui)
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Invitation sent to office@beta.ro.")).to_be_visible()
    assert "/invitation/" in _link(inbox, "office@beta.ro")

    # a person of the SME, eligible
    page.goto(f"{base}/participants/new")
    page.get_by_label("CNP").fill(valid_cnp("F", date(1985, 3, 9)))
    page.get_by_label("Last name").fill("Ionescu")
    page.get_by_label("First name").fill("Maria")
    page.get_by_label("Employer").select_option(label="Beta Logistic SRL")
    page.get_by_label("County of residence").select_option("RO-CJ")
    page.get_by_label("Environment").select_option("urban")
    page.get_by_label("Education (ISCED)").select_option("3")
    page.get_by_label("Employment status").select_option("employed")
    page.get_by_role("button", name="Save").click()
    page.get_by_label("Decision").select_option("eligible")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()

    # a course, a cohort, the person enrolled
    page.goto(f"{base}/courses/new")
    page.get_by_label("Code").fill("C-SEC")
    page.get_by_label("Title").fill("Securitate cibernetică")
    page.get_by_label("Planned hours").fill("8")
    page.get_by_role("button", name="Save").click()
    page.goto(f"{base}/courses/cohorts/new")
    page.get_by_label("Code").fill("G1")
    page.get_by_label("First day").fill((today + timedelta(days=7)).isoformat())
    page.get_by_label("Start time").fill("09:00")
    page.get_by_label("End time").fill("13:00")
    page.get_by_label("Monday").check()
    page.get_by_role("button", name="Create cohort").click()
    expect(page.get_by_text(re.compile("Cohort G1 created"))).to_be_visible()
    page.get_by_label("Ionescu Maria").check()
    page.get_by_label(re.compile("Override the documents check")).fill(
        "Documentele vin la prima sesiune.")
    page.get_by_role("button", name="Enroll selected").click()
    expect(page.get_by_text("Ionescu Maria enrolled.")).to_be_visible()

    # the first indicator table
    page.goto(f"{base}/indicators/")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").first.click()
    assert download.value.suggested_filename.endswith(".csv")
    content = open(download.value.path(), encoding="utf-8-sig").read()
    assert content.splitlines()[0] == "code,label,men,women,total"
