"""Job pages: the user's jobs, one job's progress (polled as JSON) and its result file."""
from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from trainhub.auth.permissions import permission_required
from trainhub.core.downloads import download_response
from trainhub.core.formats import number
from trainhub.extensions import db
from trainhub.jobs.kinds import KIND_LABELS
from trainhub.jobs.models import Job, JobStatus
from trainhub.jobs.services import jobs_of, result_file, start_job, visible_job

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def start_job_page(kind: str, params: dict, *, project_id: int | None = None,
                   total: int | None = None):
    """Start a job of `kind` for the current user and send them to its page."""
    job = start_job(db.session, kind, current_user, params, project_id=project_id, total=total)
    return redirect(url_for("jobs.detail", job_id=job.id))


def _job_or_404(job_id: int) -> Job:
    job = visible_job(db.session, job_id, current_user)
    if job is None:
        abort(404)
    return job


def _next_url(job: Job) -> str | None:
    """Where a finished job leads: its download, or the import preview (which also says
    why a file could not be read, or shows the file as it was before a refused mapping)."""
    if job.kind == "import.preview":  # a staged upload is its uploader's alone
        return (url_for("imports.preview", token=job.params.get("token", ""))
                if job.finished and job.owner_id == current_user.id else None)
    if job.status != JobStatus.DONE:
        return None
    if result_file(job, current_app.config["UPLOAD_DIR"]) is not None:
        return url_for("jobs.download", job_id=job.id)
    return None


def _state(job: Job) -> dict:
    """What the page shows of the job (also its JSON for the polling script)."""
    if job.status == JobStatus.FAILED:
        message = job.error or _("The job failed. The error was logged; please try again.")
    elif job.status == JobStatus.DONE:
        message = (_("Done.") if _next_url(job) or job.kind == "import.preview"
                   else _("Done. The file was removed after some days; start the export again."))
    elif job.status == JobStatus.RUNNING and not job.done:
        message = _("Working on it…")
    elif job.status == JobStatus.RUNNING:
        message = (ngettext("%(done)s of %(total)s row", "%(done)s of %(total)s rows",
                            job.total, done=number(job.done), total=number(job.total))
                   if job.total else ngettext("%(done)s row read", "%(done)s rows read",
                                              job.done, done=number(job.done)))
    else:
        message = _("Waiting for its turn.")
    return {"id": job.id, "status": job.status, "done": job.done, "total": job.total,
            "percent": job.percent, "finished": job.finished, "message": message,
            "next_url": _next_url(job),
            # the import preview is the next step of the same task: the page goes there itself
            "opens_next": job.kind == "import.preview" and job.status == JobStatus.DONE}


@bp.route("/")
@permission_required("dashboard.read")
def index():
    jobs = jobs_of(db.session, current_user)
    return render_template("jobs/list.html", jobs=jobs, kind_labels=KIND_LABELS,
                           states={job.id: _state(job) for job in jobs})


@bp.route("/<int:job_id>")
@permission_required("dashboard.read")
def detail(job_id: int):
    job = _job_or_404(job_id)
    return render_template("jobs/detail.html", job=job, state=_state(job),
                           kind_labels=KIND_LABELS)


@bp.route("/<int:job_id>/status")
@permission_required("dashboard.read")
def status(job_id: int):
    """The job's progress as JSON, polled by the job page's script."""
    response = jsonify(_state(_job_or_404(job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:job_id>/download")
@permission_required("dashboard.read")
def download(job_id: int):
    """The job's result file as an attachment, only after the access check."""
    job = _job_or_404(job_id)
    path = result_file(job, current_app.config["UPLOAD_DIR"])
    if path is None:
        abort(404)
    return download_response(path, job.result_name, job.result_type)
