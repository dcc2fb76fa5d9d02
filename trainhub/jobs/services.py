"""Background jobs: start one, report its progress, run it, keep and clean up its result file.

The rules know nothing of the request: callers pass the acting user. A job runs in the worker
in its owner's language and acting as its owner; its result lands in the shared upload storage
(UPLOAD_DIR/jobs/<id>/...) so any app host can serve it.
"""
import logging
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from trainhub.auth.models import Role
from trainhub.core.errors import Problems
from trainhub.core.models import utcnow
from trainhub.jobs.models import Job, JobStatus

log = logging.getLogger(__name__)

#: the jobs list shows this many of the user's latest jobs
LIST_LIMIT = 50
_RESULT_PATH = re.compile(r"^jobs/[0-9]+/[0-9a-f]{16}\.(xlsx|csv|json)$")


class JobFailed(Problems):
    """A job could not do its work for a reason its owner may read (lazy strings welcome)."""


@dataclass
class JobResult:
    """The file a job made: its bytes, the name it is downloaded with and its type."""

    content: bytes
    name: str
    mimetype: str


def runs_as_job(rows: int, config) -> bool:
    """Whether an export of `rows` rows is long enough to run as a background job."""
    return rows > config["EXPORT_JOB_ROWS"]


def start_job(db_session: Session, kind: str, owner, params: dict, *,
              project_id: int | None = None, total: int | None = None) -> Job:
    """Queue a job of `kind` for `owner` (it runs at once, inline, when HUEY_IMMEDIATE)."""
    from trainhub.jobs.kinds import KINDS
    from trainhub.jobs.queue import enqueue

    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job(kind=kind, owner_id=owner.id, project_id=project_id, params=params, total=total,
              status=JobStatus.QUEUED.value, done=0)
    db_session.add(job)
    db_session.commit()  # the worker must find the row
    enqueue(job.id)
    db_session.refresh(job)
    return job


def report_progress(db_session: Session, job: Job, done: int, total: int | None = None) -> None:
    """Note how far the job got (committed at once: the owner's page polls it)."""
    job.done = max(0, done)
    if total is not None:
        job.total = max(0, total)
    db_session.commit()


def run_job(db_session: Session, job_id: int, config) -> None:
    """The worker's body: run a queued job once; a failure is recorded on the job, never
    raised (an unexpected one is logged and shown as a general failure)."""
    from trainhub.audit.services import acting_as
    from trainhub.jobs.kinds import KINDS

    job = db_session.get(Job, job_id)
    if job is None or job.status != JobStatus.QUEUED:
        return  # gone, or a task delivered twice: a job runs once
    job.status, job.started_at = JobStatus.RUNNING.value, utcnow()
    db_session.commit()
    owner = job.owner
    locale = owner.locale or config.get("BABEL_DEFAULT_LOCALE", "ro")
    try:
        with force_locale(locale), acting_as(owner.id):
            result = KINDS[job.kind](db_session, job, owner, config)
            if result is not None:
                _keep_result(config["UPLOAD_DIR"], job, result)
    except Exception as error:  # noqa: BLE001  (recorded on the job, the worker goes on)
        db_session.rollback()
        if isinstance(error, Problems):
            with force_locale(locale):
                safe = str(error)
        else:
            log.exception("job %s (%s) failed", job_id, job.kind)
            safe = None
        job = db_session.get(Job, job_id)
        job.status, job.error, job.finished_at = JobStatus.FAILED.value, safe, utcnow()
        db_session.commit()
        return
    job.status, job.finished_at = JobStatus.DONE.value, utcnow()
    if job.total is not None:
        job.done = job.total
    db_session.commit()


def _keep_result(upload_dir: str, job: Job, result: JobResult) -> None:
    """Write the result under UPLOAD_DIR/jobs/<id>/ (a temporary file renamed into place, so
    no host ever serves half a file)."""
    extension = result.name.rpartition(".")[2].lower()
    relative = f"jobs/{job.id}/{secrets.token_hex(8)}.{extension}"
    if not _RESULT_PATH.match(relative):
        raise ValueError(f"a job result may not be a .{extension} file")
    path = Path(upload_dir) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".job-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(result.content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    job.result_path, job.result_name, job.result_type = relative, result.name, result.mimetype


def result_file(job: Job, upload_dir: str | Path) -> Path | None:
    """The job's result file when it has one still on disk (None otherwise)."""
    if job.status != JobStatus.DONE or not _RESULT_PATH.match(job.result_path or ""):
        return None
    path = Path(upload_dir) / job.result_path
    return path if path.is_file() else None


def visible_job(db_session: Session, job_id: int, user) -> Job | None:
    """The job when `user` may see it: its owner, or an admin."""
    stmt = select(Job).where(Job.id == job_id)
    if user.role != Role.ADMIN:
        stmt = stmt.where(Job.owner_id == user.id)
    return db_session.scalar(stmt)


def jobs_of(db_session: Session, user) -> list[Job]:
    """The user's own latest jobs, newest first."""
    return list(db_session.scalars(
        select(Job).options(joinedload(Job.project)).where(Job.owner_id == user.id)
        .order_by(Job.created_at.desc(), Job.id.desc()).limit(LIST_LIMIT)))


def clean_up(db_session: Session, config) -> dict[str, int]:
    """The daily clean-up: job results older than JOB_RESULT_DAYS and the web imports' staged
    uploads nobody confirmed or cancelled within a day. Returns how many of each went."""
    from trainhub.imports.staging import remove_stale_uploads, staging_directory

    return {"results": remove_old_results(db_session, config["UPLOAD_DIR"],
                                          config["JOB_RESULT_DAYS"]),
            "staged_uploads": remove_stale_uploads(staging_directory(config["UPLOAD_DIR"]))}


def remove_old_results(db_session: Session, upload_dir: str | Path, days: int, *,
                       now: datetime | None = None) -> int:
    """Remove the result files of jobs that ended more than `days` days ago; the jobs stay
    (their page says the file is gone). Returns how many files were removed."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    removed = 0
    for job in db_session.scalars(select(Job).where(Job.result_path.is_not(None),
                                                    Job.finished_at < cutoff)):
        if _RESULT_PATH.match(job.result_path):
            path = Path(upload_dir) / job.result_path
            path.unlink(missing_ok=True)
            try:
                path.parent.rmdir()
            except OSError:
                pass  # not empty (or already gone): left alone
            removed += 1
        job.result_path = None
    db_session.commit()
    return removed
