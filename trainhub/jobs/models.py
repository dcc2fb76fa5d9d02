"""A background job: who started it, how far it got, and the file it left behind."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainhub.core.models import non_negative, one_of, utcnow
from trainhub.extensions import db


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(db.Model):
    """Work too long for a request (DESIGN §14 "Background jobs"): only its owner (and an admin)
    sees it; its result file lives in the shared upload storage, under `jobs/`."""

    __tablename__ = "jobs"
    __table_args__ = (one_of("status", JobStatus), non_negative("done"), non_negative("total"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what the job does (a key of trainhub.jobs.kinds.KINDS, e.g. `export.register`)
    kind: Mapped[str] = mapped_column(String(40))
    #: who started it: the only user (with admins) who sees it
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: the project it works on, when it works on one (a deleted project leaves the job, so
    #: the clean-up still finds its file)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    #: what the kind needs to run (ids, formats, dates as text)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.QUEUED.value)
    #: progress: `done` of `total` (total None: not known yet)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    #: the file the job made, relative to UPLOAD_DIR (`jobs/<id>/<random>.<ext>`); None once
    #: removed by the clean-up
    result_path: Mapped[str | None] = mapped_column(String(200))
    #: the name and type the result is downloaded with
    result_name: Mapped[str | None] = mapped_column(String(200))
    result_type: Mapped[str | None] = mapped_column(String(100))
    #: why it failed, in the owner's language, safe to show (None: an unexpected error, logged)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    owner = relationship("User")
    project = relationship("Project")

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def percent(self) -> int | None:
        """How far it got, 0–100 (None while unknown: no total yet, or nothing counted)."""
        if self.status == JobStatus.DONE:
            return 100
        if not self.total or not self.done:
            return None
        return min(100, self.done * 100 // self.total)
