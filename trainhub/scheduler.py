"""The scheduled work (daily reminders, retention check, old job results, follow-ups): one
scheduler per host, file-locked."""
import atexit
import fcntl
import logging
from pathlib import Path
from typing import IO

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

log = logging.getLogger(__name__)

#: where create_app keeps the running scheduler (and its lock) in app.extensions
EXTENSION_KEY = "trainhub.scheduler"


def acquire_lock(path: str | Path) -> IO | None:
    """An open, exclusively locked file, or None when another process holds the lock."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # kept open: the lock lives as long as the handle
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def release_lock(handle: IO | None) -> None:
    if handle is not None and not handle.closed:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def run_reminders(app: Flask) -> None:
    """The daily job: send the document reminders; a failure is logged, never raised."""
    from trainhub.audit.services import acting_as
    from trainhub.documents.reminders import send_reminders
    from trainhub.extensions import db

    with app.app_context():
        try:
            with acting_as(None):
                send_reminders(db.session, app.config)
        except Exception:
            log.exception("document reminders failed; the next run tries again")
            db.session.rollback()
        finally:
            db.session.remove()


def run_retention_check(app: Flask) -> None:
    """The daily job: list the people past retention for an admin; logged, never raised."""
    from datetime import date

    from trainhub.audit.services import acting_as
    from trainhub.extensions import db
    from trainhub.participants.gdpr import retention_check

    with app.app_context():
        try:
            with acting_as(None):
                retention_check(db.session, app.config["RETENTION_YEARS"], date.today())
                db.session.commit()
        except Exception:
            log.exception("retention check failed; the next run tries again")
            db.session.rollback()
        finally:
            db.session.remove()


def run_jobs_cleanup(app: Flask) -> None:
    """The daily job: remove old background-job results and staged import uploads left
    behind; logged, never raised."""
    from trainhub.extensions import db
    from trainhub.jobs.services import clean_up

    with app.app_context():
        try:
            removed = clean_up(db.session, app.config)
            log.info("job results removed: %(results)s, staged uploads removed: "
                     "%(staged_uploads)s", removed)
        except Exception:
            log.exception("job results clean-up failed; the next run tries again")


def run_follow_ups(app: Flask) -> None:
    """The daily job: e-mail the six-month follow-up links (DESIGN §17); logged, never raised."""
    from datetime import date

    from trainhub.audit.services import acting_as
    from trainhub.extensions import db
    from trainhub.journey.services import send_follow_ups

    base = app.config["BASE_URL"].rstrip("/")
    with app.app_context():
        try:
            with acting_as(None):
                sent = send_follow_ups(db.session, app.config, date.today(),
                                       lambda token: f"{base}/follow-up/{token}")
            log.info("follow-up questionnaires sent: %s", sent)
        except Exception:
            log.exception("follow-up questionnaires failed; the next run tries again")
            db.session.rollback()
        finally:
            db.session.remove()


def add_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """The reminder job daily at REMINDER_TIME, the retention check at RETENTION_CHECK_TIME,
    the clean-up of old job results at JOB_CLEANUP_TIME."""
    hour, minute = (int(part) for part in app.config["REMINDER_TIME"].split(":"))
    scheduler.add_job(run_reminders, "cron", args=[app], id="document_reminders",
                      hour=hour, minute=minute, replace_existing=True, coalesce=True,
                      misfire_grace_time=3600, max_instances=1)
    hour, minute = (int(part) for part in app.config["RETENTION_CHECK_TIME"].split(":"))
    scheduler.add_job(run_retention_check, "cron", args=[app], id="retention_check",
                      hour=hour, minute=minute, replace_existing=True, coalesce=True,
                      misfire_grace_time=3600, max_instances=1)
    hour, minute = (int(part) for part in app.config["JOB_CLEANUP_TIME"].split(":"))
    scheduler.add_job(run_jobs_cleanup, "cron", args=[app], id="job_results_cleanup",
                      hour=hour, minute=minute, replace_existing=True, coalesce=True,
                      misfire_grace_time=3600, max_instances=1)
    hour, minute = (int(part) for part in app.config["REMINDER_TIME"].split(":"))
    scheduler.add_job(run_follow_ups, "cron", args=[app], id="follow_ups",
                      hour=hour, minute=(minute + 30) % 60, replace_existing=True,
                      coalesce=True, misfire_grace_time=3600, max_instances=1)


def start_scheduler(app: Flask) -> BackgroundScheduler | None:
    """Start the background scheduler unless another process of this host already runs one."""
    lock = acquire_lock(app.config["SCHEDULER_LOCK_FILE"])
    if lock is None:
        log.info("scheduler not started: another process holds %s",
                 app.config["SCHEDULER_LOCK_FILE"])
        return None
    scheduler = BackgroundScheduler(daemon=True)
    add_jobs(scheduler, app)
    scheduler.start()
    app.extensions[EXTENSION_KEY] = (scheduler, lock)
    atexit.register(stop_scheduler, app)
    log.info("scheduler started: document reminders daily at %s", app.config["REMINDER_TIME"])
    return scheduler


def stop_scheduler(app: Flask) -> None:
    """Stop the app's scheduler (if it runs one) and free the lock for another process."""
    scheduler, lock = app.extensions.pop(EXTENSION_KEY, (None, None))
    if scheduler is not None and scheduler.running:
        scheduler.shutdown(wait=False)
    release_lock(lock)
