"""A job's page follows the job by itself (the local, CSP-safe script polls its status) and
shows the download link when it ends."""
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.factories import UserFactory
from trainhub.extensions import db
from trainhub.jobs import kinds
from trainhub.jobs.models import Job
from trainhub.jobs.services import JobResult, run_job


def test_the_job_page_shows_the_download_link_when_the_job_ends(live_app, live_server,
                                                               page: Page, monkeypatch):
    monkeypatch.setitem(kinds.KINDS, "test.fake",
                        lambda *_args: JobResult(b"a,b\r\n", "result.csv", "text/csv"))
    with live_app.app_context():
        user = UserFactory(email="coordinator@example.org", role="coordinator", locale="en")
        job = Job(kind="test.fake", owner_id=user.id, params={})
        db.session.add(job)
        db.session.commit()
        job_id = job.id

    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill("coordinator@example.org")
    page.get_by_label("Parolă").fill(PASSWORD)  # the login page speaks the default language
    page.get_by_role("button", name="Autentificare").click()
    page.goto(f"{live_server}/jobs/{job_id}")
    expect(page.get_by_test_id("job-message")).to_have_text("Waiting for its turn.")
    expect(page.get_by_test_id("job-next")).to_be_hidden()

    with live_app.app_context():  # the worker runs it while the page is open
        run_job(db.session, job_id, live_app.config)
        db.session.remove()

    expect(page.get_by_test_id("job-message")).to_have_text("Done.", timeout=15_000)
    link = page.get_by_test_id("job-next")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", f"/jobs/{job_id}/download")
