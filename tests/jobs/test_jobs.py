"""Background jobs (DESIGN §14): lifecycle, progress, owner-only pages, long exports and big
import previews through a job, the clean-up of old results."""
import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import app_with_schema, xlsx_table
from tests.factories import (
    DocumentRequirementFactory,
    ProjectFactory,
    UserFactory,
    valid_cui,
)
from tests.indicators.test_computation import member
from trainhub.core.models import utcnow
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.imports import importers as importers_module
from trainhub.jobs import kinds
from trainhub.jobs.models import Job, JobStatus
from trainhub.jobs.queue import app_huey
from trainhub.jobs.services import (
    JobFailed,
    JobResult,
    remove_old_results,
    report_progress,
    run_job,
    start_job,
)
from trainhub.scheduler import run_jobs_cleanup

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here


@pytest.fixture
def coordinator(app, auth):
    user = UserFactory(role="coordinator")
    db.session.commit()
    auth.login(user.email)
    return user


@pytest.fixture
def fake_kind(monkeypatch):
    """A job kind whose body the test gives: `fake_kind(body)`."""

    def install(body):
        monkeypatch.setitem(kinds.KINDS, "test.fake", body)
        return "test.fake"

    return install


def _cells(content: bytes) -> dict[str, list]:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in workbook.worksheets}


def _job_id(location: str) -> int:
    assert "/jobs/" in location, location
    return int(location.rstrip("/").rsplit("/", 1)[1])


# --- lifecycle -------------------------------------------------------------------------------

def test_a_job_goes_from_queued_to_running_to_done_with_its_file(app, fake_kind):
    seen = []

    def body(db_session, job, owner, _config):
        seen.append((job.status, owner.email))
        report_progress(db_session, job, 1, 2)
        return JobResult(b"a,b\r\n", "result.csv", "text/csv")

    kind = fake_kind(body)
    owner = UserFactory(role="coordinator")
    job = Job(kind=kind, owner_id=owner.id, params={})
    db.session.add(job)
    db.session.commit()
    assert job.status == JobStatus.QUEUED and job.percent is None

    run_job(db.session, job.id, app.config)
    db.session.refresh(job)
    assert seen == [(JobStatus.RUNNING, owner.email)]
    assert job.status == JobStatus.DONE and job.finished_at and job.percent == 100
    assert job.done == job.total == 2
    path = Path(app.config["UPLOAD_DIR"]) / job.result_path
    assert job.result_path.startswith(f"jobs/{job.id}/") and path.read_bytes() == b"a,b\r\n"
    run_job(db.session, job.id, app.config)  # a task delivered twice does nothing more
    assert seen == [(JobStatus.RUNNING, owner.email)]


def test_the_queue_keeps_a_job_for_the_worker_when_not_immediate(tmp_path, fake_kind):
    """Without HUEY_IMMEDIATE the request only queues; the worker (here: one task taken from
    the SQLite queue by hand) runs it in an app context of its own."""
    kind = fake_kind(lambda *_args: JobResult(b"{}", "r.json", "application/json"))
    with app_with_schema(UPLOAD_DIR=str(tmp_path / "up"), HUEY_IMMEDIATE=False,
                         HUEY_SQLITE_PATH=str(tmp_path / "huey.db")) as app:
        owner = UserFactory(role="coordinator")
        db.session.commit()
        job = start_job(db.session, kind, owner, {})
        assert job.status == JobStatus.QUEUED
        huey = app_huey(app)
        assert huey.pending_count() == 1
        huey.execute(huey.dequeue())
        db.session.expire_all()
        assert db.session.get(Job, job.id).status == JobStatus.DONE


def test_a_job_that_fails_shows_a_safe_message(app, client, auth, coordinator, fake_kind):
    def refused(*_args):
        raise JobFailed(["The project is closed."])

    job = start_job(db.session, fake_kind(refused), coordinator, {})
    assert (job.status, job.error) == (JobStatus.FAILED, "The project is closed.")
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "The project is closed." in page

    def crashes(*_args):
        raise RuntimeError("connection to /srv/secret/db refused")

    job = start_job(db.session, fake_kind(crashes), coordinator, {})
    assert job.status == JobStatus.FAILED and job.error is None
    for url in (f"/jobs/{job.id}", f"/jobs/{job.id}/status"):
        text = client.get(url).get_data(as_text=True)
        assert "/srv/secret" not in text and "The job failed" in text
    assert client.get(f"/jobs/{job.id}/download").status_code == 404


def test_the_status_json_reports_progress(app, client, coordinator, fake_kind):
    job = Job(kind=fake_kind(lambda *_args: None), owner_id=coordinator.id, params={})
    db.session.add(job)
    db.session.commit()
    state = client.get(f"/jobs/{job.id}/status").get_json()
    assert (state["status"], state["percent"], state["finished"]) == ("queued", None, False)
    job.status = JobStatus.RUNNING.value
    report_progress(db.session, job, 0, 6000)
    state = client.get(f"/jobs/{job.id}/status").get_json()
    assert (state["percent"], state["message"]) == (None, "Working on it…")
    report_progress(db.session, job, 1500, 6000)
    state = client.get(f"/jobs/{job.id}/status").get_json()
    assert (state["status"], state["done"], state["total"], state["percent"]) == (
        "running", 1500, 6000, 25)
    assert state["message"] == "1,500 of 6,000 rows" and state["next_url"] is None
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert 'value="25"' in page and "js/job-progress.js" in page and "<script>" not in page


def test_only_the_owner_and_an_admin_see_a_job(app, client, auth, fake_kind):
    owner, other, admin = (UserFactory(role="coordinator"), UserFactory(role="coordinator"),
                           UserFactory(role="admin"))
    db.session.commit()
    job = start_job(db.session, fake_kind(lambda *_a: JobResult(b"x", "x.csv", "text/csv")),
                    owner, {})
    urls = [f"/jobs/{job.id}", f"/jobs/{job.id}/status", f"/jobs/{job.id}/download"]
    auth.login(other.email)
    assert [client.get(url).status_code for url in urls] == [404, 404, 404]
    assert f"/jobs/{job.id}" not in client.get("/jobs/").get_data(as_text=True)
    auth.logout()
    auth.login(admin.email)
    assert [client.get(url).status_code for url in urls] == [200, 200, 200]
    auth.logout()
    auth.login(owner.email)
    assert f"/jobs/{job.id}" in client.get("/jobs/").get_data(as_text=True)
    download = client.get(f"/jobs/{job.id}/download")
    assert download.data == b"x" and "no-store" in download.headers["Cache-Control"]


def test_the_jobs_list_runs_as_many_queries_for_twenty_jobs_as_for_three(
        app, client, coordinator, fake_kind, page_queries):
    kind = fake_kind(lambda *_args: None)
    project = ProjectFactory()

    def jobs(count):
        for _ in range(count):
            db.session.add(Job(kind=kind, owner_id=coordinator.id, project_id=project.id,
                               params={}))
        db.session.commit()

    jobs(3)
    few = page_queries("/jobs/")
    jobs(17)
    assert page_queries("/jobs/") == few


# --- long exports ----------------------------------------------------------------------------

@pytest.fixture
def members(app):
    project = ProjectFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    for day in (3, 4, 5):
        member(project, entry=date(2026, 2, day))
    return project


def _filename(response) -> str:
    return response.headers["Content-Disposition"].partition("filename=")[2].strip('"')


def _through_a_job(app, client, url: str) -> tuple[bytes, bytes]:
    """`url` downloaded as it is, then again with a threshold that makes it a job."""
    immediate = client.get(url)
    assert immediate.status_code == 200, immediate.status_code
    app.config["EXPORT_JOB_ROWS"] = 2
    started = client.get(url)
    assert started.status_code == 302
    job = db.session.get(Job, _job_id(started.location))
    assert job.status == JobStatus.DONE, job.error
    page = client.get(started.location).get_data(as_text=True)
    assert f"/jobs/{job.id}/download" in page
    download = client.get(f"/jobs/{job.id}/download")
    assert download.status_code == 200
    assert _filename(download) == _filename(immediate)
    return immediate.data, download.data


def test_a_big_register_export_runs_as_a_job_and_gives_the_same_file(app, client, coordinator,
                                                                     members):
    immediate, through_job = _through_a_job(
        app, client, f"/participants/register.xlsx?project={members.id}")
    assert _cells(through_job) == _cells(immediate)
    assert len(xlsx_table(immediate)) == 4  # the header row and three people


def test_a_big_indicator_export_runs_as_a_job_and_gives_the_same_file(app, client, coordinator,
                                                                      members):
    url = f"/indicators/export?project={members.id}&format=xlsx"
    immediate, through_job = _through_a_job(app, client, url)
    assert _cells(through_job) == _cells(immediate)


def test_a_big_documents_board_export_runs_as_a_job_and_gives_the_same_file(
        app, client, coordinator, members):
    DocumentRequirementFactory(call=members.call)
    db.session.commit()
    immediate, through_job = _through_a_job(app, client, "/documents/board/export")
    assert through_job == immediate
    assert len(list(csv.reader(io.StringIO(immediate.decode("utf-8-sig"))))) == 7


def test_a_small_export_stays_immediate(app, client, coordinator, members):
    response = client.get(f"/participants/register.xlsx?project={members.id}")
    assert response.status_code == 200
    assert db.session.scalar(select(Job)) is None


# --- big import previews ---------------------------------------------------------------------

@pytest.fixture
def reads(monkeypatch):
    """How many times a file is parsed (the reader of the single-sheet kinds)."""
    calls = []
    real = importers_module.read_table

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(importers_module, "read_table", counting)
    return calls


def firms_csv(count: int) -> bytes:
    lines = ["cui;name;caen;county;locality"]
    lines += [f"{valid_cui(2000 + n)};Firma {n} SRL;6201;RO-AG;Pitești" for n in range(count)]
    return ("\n".join(lines) + "\n").encode()


def test_a_big_import_preview_runs_as_a_job_and_the_confirm_does_not_parse_again(
        app, client, auth, coordinator, reads, monkeypatch):
    project = ProjectFactory()
    db.session.commit()
    progress = []
    monkeypatch.setattr(kinds, "report_progress", lambda session, job, done, total=None: (
        progress.append(done), report_progress(session, job, done, total)))
    app.config["IMPORT_JOB_BYTES"] = 1000
    response = auth.post("/imports/", {"kind": "enterprises", "project_id": str(project.id),
                                       "file": (io.BytesIO(firms_csv(2100)), "firme.csv")},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    job = db.session.get(Job, _job_id(response.location))
    assert (job.status, job.kind, job.done, job.total) == (JobStatus.DONE, "import.preview",
                                                           2100, 2100)
    assert progress == [0, 1000, 2000, 2100]  # every 1,000 rows
    state = client.get(f"/jobs/{job.id}/status").get_json()
    assert state["next_url"].startswith("/imports/") and state["opens_next"]
    dry_runs = counting_runs(monkeypatch)
    preview = client.get(state["next_url"])
    assert preview.status_code == 200 and "2100 new" in preview.get_data(as_text=True)
    assert dry_runs == []  # the preview shows what the job found
    assert auth.post(f"{state['next_url']}/confirm", {}).status_code == 302
    assert len(reads) == 1 and dry_runs == [False]
    assert db.session.query(Enterprise).count() == 2100


def counting_runs(monkeypatch) -> list[bool]:
    """The imports the web pages run themselves (True: a dry run)."""
    from trainhub.imports import views

    runs, real = [], views.run_import

    def counting(*args, **kwargs):
        runs.append(kwargs["dry_run"])
        return real(*args, **kwargs)

    monkeypatch.setattr(views, "run_import", counting)
    return runs


def test_the_preview_of_a_big_file_shows_the_rows_with_errors_the_job_found(
        app, client, auth, monkeypatch):
    user = UserFactory(role="coordinator", locale="ro")
    project = ProjectFactory()
    db.session.commit()
    auth.login(user.email)
    app.config["IMPORT_JOB_BYTES"] = 100
    content = firms_csv(3).replace(b"locality\n", b"locality;Observatii\n").replace(
        b";6201;", b";62x1;", 1)
    response = auth.post("/imports/", {"kind": "enterprises", "project_id": str(project.id),
                                       "file": (io.BytesIO(content), "firme.csv")},
                         content_type="multipart/form-data")
    job = db.session.get(Job, _job_id(response.location))
    dry_runs = counting_runs(monkeypatch)
    page = client.get(f"/imports/{job.params['token']}").get_data(as_text=True)
    assert dry_runs == []
    assert 'data-testid="row-errors"' in page and "csv:2: caen:" in page
    assert "coloana „Observatii” nu se importă" in page  # in the reader's language
    assert 'data-testid="mapping-form"' in page


def test_a_mapping_of_a_big_file_is_read_by_a_job_and_saved_only_when_it_reads(
        app, client, auth, coordinator, reads):
    from trainhub.imports.models import ImportMapping

    project = ProjectFactory()
    db.session.commit()
    app.config["IMPORT_JOB_BYTES"] = 100
    content = firms_csv(3).replace(b"locality\n", b"locality;Observatii\n").replace(
        b"Pite\xc8\x99ti\n", "Pitești;Brașov\n".encode())
    response = auth.post("/imports/", {"kind": "enterprises", "project_id": str(project.id),
                                       "file": (io.BytesIO(content), "firme.csv")},
                         content_type="multipart/form-data")
    token = db.session.get(Job, _job_id(response.location)).params["token"]
    preview = f"/imports/{token}"

    # refused: two columns for one field; nothing saved, the preview stays as it was
    response = auth.post(f"{preview}/mapping", {"column-0": "Observatii", "field-0": "locality"})
    job = db.session.get(Job, _job_id(response.location))
    assert job.status == JobStatus.FAILED and "another column already holds it" in job.error
    assert db.session.scalar(select(ImportMapping)) is None
    assert client.get(f"/jobs/{job.id}/status").get_json()["next_url"] == preview
    page = client.get(preview).get_data(as_text=True)
    assert "is not imported: no field has this name" in page

    # accepted: saved for the project, and the preview and confirm use what the job read
    response = auth.post(f"{preview}/mapping", {"column-0": "Observatii", "field-0": ""})
    job = db.session.get(Job, _job_id(response.location))
    assert job.status == JobStatus.DONE
    assert db.session.scalar(select(ImportMapping)).columns == {"Observatii": None}
    page = client.get(preview).get_data(as_text=True)
    assert "the column mapping ignores it" in page
    assert auth.post(f"{preview}/confirm", {}).status_code == 302
    assert len(reads) == 3  # the upload's job and the two mapping jobs; nothing else
    assert db.session.query(Enterprise).count() == 3


def test_a_big_file_without_a_needed_column_says_so_on_its_preview(app, client, auth,
                                                                    coordinator):
    project = ProjectFactory()
    db.session.commit()
    app.config["IMPORT_JOB_BYTES"] = 10
    content = b"cui;name\n" + b"".join(f"{valid_cui(n)};Firma\n".encode() for n in range(5))
    response = auth.post("/imports/", {"kind": "enterprises", "project_id": str(project.id),
                                       "file": (io.BytesIO(content), "firme.csv")},
                         content_type="multipart/form-data")
    job = db.session.get(Job, _job_id(response.location))
    assert job.status == JobStatus.DONE  # the file reads; it cannot be imported
    preview = client.get(f"/imports/{job.params['token']}")
    assert preview.status_code == 422
    assert "missing column(s): caen, county" in preview.get_data(as_text=True)


def test_a_big_file_that_cannot_be_read_fails_its_job_with_the_reason(
        app, client, auth, coordinator):
    project = ProjectFactory()
    db.session.commit()
    app.config["IMPORT_JOB_BYTES"] = 10
    response = auth.post("/imports/", {"kind": "enterprises", "project_id": str(project.id),
                                       "file": (io.BytesIO(b"\x00" * 100), "bad.csv")},
                         content_type="multipart/form-data")
    job = db.session.get(Job, _job_id(response.location))
    assert job.status == JobStatus.FAILED
    assert job.error == "the file is neither an XLSX workbook nor a CSV text file"
    assert job.error in client.get(f"/jobs/{job.id}").get_data(as_text=True)
    preview = client.get(f"/imports/{job.params['token']}")
    assert preview.status_code == 422 and job.error in preview.get_data(as_text=True)


# --- clean-up --------------------------------------------------------------------------------

def test_the_scheduled_clean_up_removes_old_results_only(app, fake_kind):
    kind = fake_kind(lambda *_args: JobResult(b"x", "x.csv", "text/csv"))
    owner = UserFactory(role="coordinator")
    db.session.commit()
    old, recent = start_job(db.session, kind, owner, {}), start_job(db.session, kind, owner, {})
    old_file = Path(app.config["UPLOAD_DIR"]) / old.result_path
    old.finished_at = utcnow() - timedelta(days=app.config["JOB_RESULT_DAYS"] + 1)
    db.session.commit()
    run_jobs_cleanup(app)
    db.session.expire_all()
    assert not old_file.exists() and not old_file.parent.exists()
    assert db.session.get(Job, old.id).result_path is None
    assert (Path(app.config["UPLOAD_DIR"]) / db.session.get(Job, recent.id).result_path).exists()
    assert remove_old_results(db.session, app.config["UPLOAD_DIR"], 0,
                              now=utcnow() + timedelta(seconds=1)) == 1


def test_the_scheduler_runs_the_clean_up_daily_at_its_time(app):
    from apscheduler.schedulers.background import BackgroundScheduler

    from trainhub.scheduler import add_jobs

    app.config["JOB_CLEANUP_TIME"] = "04:20"
    scheduler = BackgroundScheduler()
    add_jobs(scheduler, app)
    trigger = str(scheduler.get_job("job_results_cleanup").trigger)
    assert "hour='4'" in trigger and "minute='20'" in trigger


def test_the_worker_command_is_refused_when_jobs_run_inline(runner):
    result = runner.invoke(args=["jobs", "worker"])
    assert result.exit_code != 0 and "HUEY_IMMEDIATE" in result.output


def test_a_job_speaks_its_owners_language(app, client, auth):
    """The worker knows no request: it writes the reason in the owner's language, and the
    pages read in Romanian."""
    user = UserFactory(role="coordinator", locale="ro")
    project = ProjectFactory()
    db.session.commit()
    auth.login(user.email)
    app.config["IMPORT_JOB_BYTES"] = 10
    response = auth.post("/imports/", {"kind": "enterprises", "project_id": str(project.id),
                                       "file": (io.BytesIO(b"\x00" * 100), "rau.csv")},
                         content_type="multipart/form-data")
    job = db.session.get(Job, _job_id(response.location))
    assert job.error == "fișierul nu este nici registru XLSX, nici fișier text CSV"
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "Citirea unui fișier de import" in page and "Toate lucrările mele în fundal" in page
    assert "Lucrare" in client.get("/jobs/").get_data(as_text=True)
