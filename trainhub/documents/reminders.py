"""The daily reminder digests: SME contacts hear what is missing, coordinators what waits."""
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, joinedload

from trainhub.auth.models import Role, User
from trainhub.auth.scoping import visible_condition
from trainhub.core.models import utcnow
from trainhub.documents.models import Document, DocumentStatus, MailLog, MailStatus
from trainhub.documents.services import (
    STATUS_LABELS,
    Checklist,
    LineStatus,
    checklists_for,
    owner_key,
    requirement_title,
)
from trainhub.enterprises.models import Enterprise
from trainhub.mail import Mailer, MailError
from trainhub.participants.models import Participant

log = logging.getLogger(__name__)

#: line statuses an SME contact is reminded of (required lines only)
REMINDED_STATUSES = {LineStatus.MISSING, LineStatus.REJECTED, LineStatus.EXPIRED,
                     LineStatus.EXPIRING}
#: enterprises handled per round of queries
BATCH = 200
#: pending documents listed in a coordinator's digest (the count covers them all)
DIGEST_LIST_LIMIT = 50


@dataclass
class Reminder:
    """One e-mail to send: its recipient, subject, the items it names and its text."""

    to: str
    subject: str
    items: list[dict]
    body: str


@dataclass
class ReminderReport:
    sent: int = 0
    failed: int = 0
    #: reminders not tried because the SMTP server was unreachable (next run tries again)
    postponed: int = 0
    reminders: list[Reminder] = field(default_factory=list)


def _since(today: date, interval_days: int) -> datetime:
    """Items sent on or after this moment are not reminded again (interval counted in days)."""
    return datetime.combine(today - timedelta(days=max(interval_days, 1) - 1), time.min, UTC)


def recently_reminded(session: Session, since: datetime,
                      addresses: Iterable[str] | None = None) -> dict[str, set[str]]:
    """Address -> keys of the items successfully mailed to it since `since` (one query),
    for the given addresses only (None: every address)."""
    reminded: dict[str, set[str]] = defaultdict(set)
    stmt = select(MailLog.to, MailLog.items).where(MailLog.status == MailStatus.SENT,
                                                   MailLog.sent_at >= since)
    if addresses is not None:
        addresses = list(set(addresses))
        if not addresses:
            return reminded
        stmt = stmt.where(MailLog.to.in_(addresses))
    for to, items in session.execute(stmt):
        reminded[to].update(item["key"] for item in items or [])
    return reminded


def _item_key(checklist: Checklist, line) -> str:
    version = line.document.version if line.document else 0
    return (f"{checklist.kind}:{checklist.owner_id}:{line.requirement.id}:"
            f"{line.status.value}:v{version}")


def _item_text(owner_label: str, line, locale: str, labels: dict) -> str:
    """The line as the mail shows it; titles and status labels are rendered once per locale
    (`labels` is the run's cache: a run names hundreds of thousands of lines)."""
    key = (locale, line.requirement.id, line.status)
    if key not in labels:
        labels[key] = f"{line.requirement.title(locale)} — {STATUS_LABELS[line.status]}"
    text = f"{owner_label}: {labels[key]}"
    if line.status == LineStatus.REJECTED:
        text += f" ({line.reason})"
    elif line.status in (LineStatus.EXPIRING, LineStatus.EXPIRED) and line.document.valid_until:
        text += " " + _("(valid until %(day)s)", day=line.document.valid_until.isoformat())
    return text


def enterprise_items(enterprise: Enterprise, employees: list[Participant],
                     checklists: dict) -> list[tuple[str, object, object]]:
    """(key, owner label, line) of everything the enterprise's contact should hear about."""
    items = []
    for label, owner in [(enterprise.name, enterprise)] + [(p.full_name, p) for p in employees]:
        checklist = checklists[owner_key(owner)]
        for line in checklist.lines:
            if line.required and line.status in REMINDED_STATUSES:
                items.append((_item_key(checklist, line), label, line))
    return items


def _sme_recipients(enterprise: Enterprise, users: list[User]) -> list[tuple[str, str]]:
    """(address, locale): the contact e-mail, else the enterprise's active SME users."""
    locales = {user.email.lower(): user.locale or "ro" for user in users}
    contact = (enterprise.contact_email or "").strip().lower()
    if contact:
        return [(contact, locales.get(contact, "ro"))]
    return sorted(locales.items())


def _sme_reminders(session: Session, config, today: date,
                   since: datetime) -> Iterator[Reminder]:
    last_id, labels = 0, {}
    while True:
        enterprises = session.scalars(select(Enterprise).where(Enterprise.id > last_id)
                                      .order_by(Enterprise.id).limit(BATCH)).all()
        if not enterprises:
            return
        last_id = enterprises[-1].id
        ids = [enterprise.id for enterprise in enterprises]
        employees = session.scalars(select(Participant).where(Participant.enterprise_id.in_(ids))
                                    .order_by(Participant.last_name, Participant.first_name,
                                              Participant.id)).all()
        users = session.scalars(select(User).where(
            User.enterprise_id.in_(ids), User.role == Role.SME, User.active)).all()
        checklists = checklists_for(session, enterprises, employees, today=today)
        staff, accounts = defaultdict(list), defaultdict(list)
        for participant in employees:
            staff[participant.enterprise_id].append(participant)
        for user in users:
            accounts[user.enterprise_id].append(user)
        due = [(enterprise, items) for enterprise in enterprises
               if (items := enterprise_items(enterprise, staff[enterprise.id], checklists))]
        recipients = {enterprise.id: _sme_recipients(enterprise, accounts[enterprise.id])
                      for enterprise, _items in due}
        reminded = recently_reminded(session, since, (to for pairs in recipients.values()
                                                      for to, _locale in pairs))
        batch = []  # built in full before yielding: the sender commits between batches
        for enterprise, items in due:
            for to, locale in recipients[enterprise.id]:
                fresh = [(key, label, line) for key, label, line in items
                         if key not in reminded.get(to, ())]
                if fresh:
                    batch.append(_sme_mail(config, enterprise, to, locale, fresh, labels))
        yield from batch


def _sme_mail(config, enterprise: Enterprise, to: str, locale: str, items,
              labels: dict) -> Reminder:
    link = f"{config['BASE_URL'].rstrip('/')}/documents/enterprises/{enterprise.id}"
    with force_locale(locale):
        texts = [_item_text(label, line, locale, labels) for _key, label, line in items]
        subject = ngettext("TrainHub: %(num)s document needs attention for %(name)s",
                           "TrainHub: %(num)s documents need attention for %(name)s", len(items),
                           name=enterprise.name)
        body = "\n".join([
            _("Hello,"), "",
            _("These documents of %(name)s and its employees are missing, were rejected or "
              "expire soon:", name=enterprise.name), "",
            *(f"- {text}" for text in texts), "",
            _("Hand them in on the portal: %(link)s", link=link), "", "TrainHub",
        ])
    return Reminder(to=to, subject=subject[:300],
                    items=[{"key": key, "text": text}
                           for (key, _label, _line), text in zip(items, texts, strict=True)],
                    body=body)


def _coordinator_reminders(session: Session, config, since: datetime) -> Iterator[Reminder]:
    coordinators = session.scalars(select(User).where(User.role == Role.COORDINATOR,
                                                      User.active).order_by(User.email)).all()
    if not coordinators:
        return
    pending = session.scalars(
        select(Document).options(joinedload(Document.requirement), joinedload(Document.enterprise),
                                 joinedload(Document.participant))
        .where(Document.status == DocumentStatus.PENDING)
        .order_by(Document.uploaded_at, Document.id)).all()
    if not pending:
        return
    link = f"{config['BASE_URL'].rstrip('/')}/documents/review"
    reminded = recently_reminded(session, since, (c.email.lower() for c in coordinators))
    for coordinator in coordinators:
        # a coordinator hears only of their projects' documents (DESIGN §14)
        seen = set(session.scalars(select(Document.id).where(
            Document.status == DocumentStatus.PENDING, visible_condition(Document, coordinator))))
        theirs = [document for document in pending if document.id in seen]
        if any(f"review:{d.id}" not in reminded.get(coordinator.email.lower(), ())
               for d in theirs):
            yield _coordinator_mail(coordinator, theirs, link, reminded)


def _coordinator_mail(coordinator: User, pending: list[Document], link: str,
                      reminded: dict[str, set[str]]) -> Reminder:
    to = coordinator.email.lower()
    fresh = [d for d in pending if f"review:{d.id}" not in reminded.get(to, ())]
    with force_locale(coordinator.locale or "ro"):
        texts = [
            f"{d.uploaded_at:%Y-%m-%d} · "
            f"{d.enterprise.name if d.enterprise_id else d.participant.full_name}: "
            f"{requirement_title(d.requirement)} (v{d.version})" for d in fresh]
        subject = ngettext("TrainHub: %(num)s document waits for review",
                           "TrainHub: %(num)s documents wait for review", len(pending))
        body = "\n".join([
            _("Hello,"), "",
            ngettext("%(num)s document waits for review; new since the last digest:",
                     "%(num)s documents wait for review; new since the last digest:",
                     len(pending)),
            "", *(f"- {text}" for text in texts[:DIGEST_LIST_LIMIT]),
            *([ngettext("… and %(num)s more.", "… and %(num)s more.",
                        len(texts) - DIGEST_LIST_LIMIT)]
              if len(texts) > DIGEST_LIST_LIMIT else []), "",
            _("Review queue: %(link)s", link=link), "", "TrainHub",
        ])
    return Reminder(to=to, subject=subject[:300],
                    items=[{"key": f"review:{d.id}", "text": text}
                           for d, text in zip(fresh, texts, strict=True)],
                    body=body)


def build_reminders(session: Session, config, *, today: date | None = None) -> Iterator[Reminder]:
    """Every digest due today, and the attendance warnings, leaving out items mailed within
    REMINDER_INTERVAL_DAYS."""
    today = today or date.today()
    since = _since(today, config["REMINDER_INTERVAL_DAYS"])
    from trainhub.attendance.warnings import attendance_warnings

    yield from _sme_reminders(session, config, today, since)
    yield from _coordinator_reminders(session, config, since)
    yield from attendance_warnings(session, config, today, recently_reminded(session, since))


def send_reminders(session: Session, config, *, now: datetime | None = None,
                   dry_run: bool = False, mailer: Mailer | None = None) -> ReminderReport:
    """Build and send the day's digests, recording each mail (sent or failed) in the mail log.

    A failed mail is not counted as reminded, so the next run tries again. When the SMTP server
    cannot be reached the rest of the run is postponed rather than tried one by one. With
    `dry_run`, nothing is sent or recorded: the report lists what would be sent. `now` (UTC)
    sets the day the statuses and the reminder interval are reckoned from.
    """
    now = now or utcnow()
    report = ReminderReport()
    reminders = build_reminders(session, config, today=now.date())
    if dry_run:
        report.reminders = list(reminders)
        return report
    mailer = mailer or Mailer.from_config(config)
    rows, unreachable = [], False
    with mailer:
        for reminder in reminders:
            if unreachable:
                report.postponed += 1
                continue
            status, error = MailStatus.SENT, ""
            try:
                mailer.send(reminder.to, reminder.subject, reminder.body)
            except MailError as failure:
                status, error = MailStatus.FAILED, str(failure)[:500]
                unreachable = isinstance(failure.__cause__, OSError)
            rows.append({"to": reminder.to, "subject": reminder.subject,
                         "items": reminder.items, "sent_at": now,
                         "status": status.value, "error": error})
            if status == MailStatus.SENT:
                report.sent += 1
            else:
                report.failed += 1
            if len(rows) >= BATCH:
                session.execute(insert(MailLog), rows)
                session.commit()
                rows = []
    if rows:
        session.execute(insert(MailLog), rows)
    session.commit()
    if report.failed or report.postponed:
        log.error("document reminders: %s sent, %s failed, %s postponed to the next run",
                  report.sent, report.failed, report.postponed)
    else:
        log.info("document reminders: %s sent", report.sent)
    return report
