"""Reminder digests through a real SMTP server (aiosmtpd on 127.0.0.1), the mail log, the
scheduler lock and the CLI."""
import email
import logging
import socket
from datetime import UTC, date, datetime, time, timedelta
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from tests.conftest import make_app
from tests.factories import UserFactory
from trainhub.documents import services
from trainhub.documents.models import MailLog
from trainhub.documents.reminders import send_reminders
from trainhub.extensions import db
from trainhub.scheduler import acquire_lock, release_lock, start_scheduler, stop_scheduler

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here

TODAY = date(2026, 6, 1)


class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, _server, _session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"

    def to(self, address):
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app):
    """A real SMTP server on 127.0.0.1; the app's MAIL_PORT points at it."""
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield inbox
    controller.stop()


def _run(app, today=TODAY, **kwargs):
    now = datetime.combine(today, time(7, 0), UTC)
    return send_reminders(db.session, app.config, now=now, **kwargs)


def test_each_sme_contact_gets_one_digest_and_coordinators_the_queue(app, smtp, programme):
    worker = programme.employees[0]
    rejected = services.upload_document(db.session, programme.requirement("id_card"), worker,
                                        b"%PDF-1.4\n", "a.pdf", None, today=TODAY)
    services.reject(db.session, rejected, "Blurry photo", programme.coordinator.id)
    services.upload_document(db.session, programme.requirement("diploma"), worker,
                             b"%PDF-1.4\n", "d.pdf", None, today=TODAY)
    report = _run(app)
    assert (report.sent, report.failed) == (3, 0)  # Alfa, Beta, one coordinator
    [alfa] = smtp.to(programme.firm.contact_email)
    assert alfa["Subject"] == "TrainHub: 15 documents need attention for Alfa SRL"
    body = alfa.get_content()
    assert "Ionescu Maria: Copy of the identity card — rejected (Blurry photo)" in body
    assert "Popa Dan: Disability certificate — missing" in body
    assert "Latest annual financial statement" in body
    assert "Ionescu Maria: Copy of the latest diploma" not in body  # pending: nothing to do
    assert "Stan" not in body
    assert f"http://localhost:5000/documents/enterprises/{programme.firm.id}" in body
    [beta] = smtp.to(programme.other_firm.contact_email)
    assert "Stan" in beta.get_content() and "Ionescu" not in beta.get_content()
    [digest] = smtp.to(programme.coordinator.email)
    assert digest["Subject"] == "TrainHub: 1 document waits for review"
    assert "Ionescu Maria: Copy of the latest diploma" in digest.get_content()
    logs = db.session.scalars(select(MailLog).order_by(MailLog.id)).all()
    assert [log.to for log in logs] == [programme.firm.contact_email,
                                        programme.other_firm.contact_email,
                                        programme.coordinator.email]
    assert len(logs[0].items) == 15 and all(log.status == "sent" for log in logs)


def test_an_item_is_not_reminded_again_within_the_interval(app, smtp, programme):
    app.config["REMINDER_INTERVAL_DAYS"] = 3
    assert _run(app).sent == 2
    assert _run(app).sent == 0  # same day, same items
    assert _run(app, today=TODAY + timedelta(days=2)).sent == 0
    services.upload_document(db.session, programme.requirement("id_card"),
                             programme.employees[0], b"%PDF-1.4\n", "a.pdf", None)
    report = _run(app, today=TODAY + timedelta(days=2))  # only the coordinator's new item
    assert report.sent == 1 and smtp.messages[-1]["To"] == programme.coordinator.email
    assert _run(app, today=TODAY + timedelta(days=3)).sent == 2  # the interval is over
    assert len(smtp.messages) == 5


def test_expiring_and_expired_documents_are_reminded(app, smtp, programme):
    worker = programme.employees[0]
    for day in (TODAY - timedelta(days=20), TODAY - timedelta(days=40)):
        document = services.upload_document(
            db.session, programme.requirement("employment_certificate"), worker,
            b"%PDF-1.4\n" + day.isoformat().encode(), "a.pdf", None, today=day)
        services.accept(db.session, document, None)
        _run(app)
        body = smtp.to(programme.firm.contact_email)[-1].get_content()
        status = "expiring soon" if day == TODAY - timedelta(days=20) else "expired"
        valid_until = (day + timedelta(days=30)).isoformat()
        assert (f"Ionescu Maria: Employment certificate (issued at most 30 days before entry) — "
                f"{status} (valid until {valid_until})") in body


def test_smtp_down_logs_the_failure_and_the_next_run_retries(app, programme, caplog):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())  # nobody listens
    with caplog.at_level(logging.WARNING):
        report = _run(app)
    assert (report.sent, report.failed, report.postponed) == (0, 1, 1)
    assert "1 failed, 1 postponed" in caplog.text
    [failed] = db.session.scalars(select(MailLog)).all()
    assert failed.status == "failed" and "ConnectionRefusedError" in failed.error
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=app.config["MAIL_PORT"])
    controller.start()
    try:
        assert _run(app).sent == 2
    finally:
        controller.stop()
    assert len(inbox.messages) == 2


def test_an_upload_never_talks_to_smtp(app, client, auth, programme, monkeypatch):
    def explode(*_args, **_kwargs):
        raise AssertionError("a web request tried to send mail")

    monkeypatch.setattr("smtplib.SMTP", explode)
    auth.login(programme.sme.email)
    import io

    response = auth.post(f"/documents/enterprises/{programme.firm.id}/upload",
                         data={f"file-{programme.requirement('sme_declaration').id}":
                               (io.BytesIO(b"%PDF-1.4\n"), "d.pdf")},
                         content_type="multipart/form-data")
    assert response.status_code == 302


def test_contacts_fall_back_to_the_sme_users_in_their_language(app, smtp, programme):
    programme.firm.contact_email = ""
    programme.sme.locale = "ro"
    UserFactory(role="sme", enterprise=programme.firm, email="second@alfa.ro", locale="en")
    db.session.commit()
    _run(app)
    assert smtp.to("sme@alfa.ro") and smtp.to("second@alfa.ro")
    assert smtp.to("second@alfa.ro")[0]["Subject"].startswith("TrainHub: 16 documents")


def test_dry_run_prints_and_sends_nothing(app, runner, programme, smtp):
    result = runner.invoke(args=["reminders", "send", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"to: {programme.firm.contact_email}" in result.output
    assert "Popa Dan: Disability certificate — missing" in result.output
    assert "2 e-mails would be sent (dry run: nothing was sent)" in result.output
    assert smtp.messages == [] and db.session.scalars(select(MailLog)).all() == []
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0 and "2 sent, 0 failed" in result.output
    assert len(smtp.messages) == 2


def test_one_scheduler_per_host(tmp_path):
    lock_file = tmp_path / "scheduler.lock"
    app = make_app(SCHEDULER_ENABLED=True, SCHEDULER_LOCK_FILE=str(lock_file),
                   REMINDER_TIME="06:45", UPLOAD_DIR=str(tmp_path / "uploads"))
    try:
        scheduler, _lock = app.extensions["trainhub.scheduler"]
        job = scheduler.get_job("document_reminders")
        assert "hour='6', minute='45'" in str(job.trigger)
        second = make_app(SCHEDULER_ENABLED=True, SCHEDULER_LOCK_FILE=str(lock_file),
                          UPLOAD_DIR=str(tmp_path / "uploads"))
        assert "trainhub.scheduler" not in second.extensions
        assert acquire_lock(lock_file) is None
        assert start_scheduler(second) is None
    finally:
        stop_scheduler(app)
    handle = acquire_lock(lock_file)
    assert handle is not None  # freed when the first one stopped
    release_lock(handle)


def test_the_scheduler_is_off_in_tests(app):
    assert "trainhub.scheduler" not in app.extensions


def test_scheduler_job_logs_failures_instead_of_raising(app, caplog, monkeypatch):
    from trainhub import scheduler

    def broken(*_args, **_kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr("trainhub.documents.reminders.send_reminders", broken)
    with caplog.at_level(logging.ERROR):
        scheduler.run_reminders(app)
    assert "document reminders failed" in caplog.text


def test_foreground_scheduler_refuses_when_another_holds_the_lock(app, runner, tmp_path):
    app.config["SCHEDULER_LOCK_FILE"] = str(tmp_path / "scheduler.lock")
    held = acquire_lock(app.config["SCHEDULER_LOCK_FILE"])
    try:
        result = runner.invoke(args=["scheduler"])
    finally:
        release_lock(held)
    assert result.exit_code == 1
    assert "another scheduler runs on this host" in result.output
