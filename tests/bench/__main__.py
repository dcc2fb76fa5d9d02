"""`make bench`: builds the scale dataset and prints each figure as one line (bench/results.json)."""
import argparse
import json
import resource
import tempfile
import time

from tests.bench.results import keep_results
from tests.conftest import make_app
from trainhub import demo
from trainhub.extensions import db


def _peak_mb() -> float:
    """This process's peak resident memory. Linux keeps ru_maxrss across exec, so a figure run
    in its own process would report the parent's peak: read the high-water mark instead."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def analyze() -> None:
    """Planner statistics for the whole database, as production keeps them (autovacuum on
    PostgreSQL, `PRAGMA optimize` on SQLite): the scale dataset goes in with bulk inserts,
    which leave none, and without them the planner guesses the scoping subqueries' costs."""
    from sqlalchemy import text

    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")
        return
    db.session.execute(text("ANALYZE"))
    db.session.execute(text("PRAGMA optimize"))
    db.session.commit()


def bench_scale_build(n_smes: int, database_url: str) -> dict:
    """Time `demo --scale N` (target: N=5,000 in under 600 s on the 2-core machine)."""
    app = make_app(SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        counts = demo.build_scale(db.session, n_smes)
        seconds = time.perf_counter() - started
        analyze()  # after the clock: the build figure stays comparable with earlier runs
    return {"figure": "demo --scale", "smes": n_smes, "seconds": round(seconds, 1),
            "target_seconds": 600, "ratio_to_target": round(seconds / 600, 3),
            "peak_mb": round(_peak_mb()), **counts}


def bench_cohort_paperwork() -> list[dict]:
    """A 30-person × 40-session cohort: save the full grid in one request (target: constant
    queries, asserted in tests) and generate its 30 certificates as a ZIP (target ≤ 10 s)."""
    from datetime import date, timedelta
    from datetime import time as clock_time
    from decimal import Decimal

    from tests.factories import (
        CohortFactory,
        CourseFactory,
        EnrollmentFactory,
        MembershipFactory,
        TrainingSessionFactory,
        UserFactory,
        join_team,
    )

    app = make_app(WTF_CSRF_ENABLED=False)
    with app.app_context():
        db.create_all()
        bench_user = UserFactory(email="bench@example.org", role="coordinator")
        cohort = CohortFactory(course=CourseFactory(planned_hours=Decimal(160)))
        join_team(bench_user, cohort.project)
        sessions = [TrainingSessionFactory(cohort=cohort, date=date(2026, 1, 5) + timedelta(days=n),
                                           start_time=clock_time(9), end_time=clock_time(13),
                                           hours=Decimal(4)) for n in range(40)]
        enrollments = [EnrollmentFactory(cohort=cohort, enrolled_on=date(2026, 1, 1),
                                         membership=MembershipFactory(project=cohort.project))
                       for _ in range(30)]
        db.session.commit()
        cells = {f"status-{s.id}-{e.id}": "present" for s in sessions for e in enrollments}
        client = app.test_client()
        client.post("/login", data={"email": "bench@example.org", "password": "correct-horse-9"})
        started = time.perf_counter()
        assert client.post(f"/attendance/cohorts/{cohort.id}", data=cells).status_code == 302
        grid_seconds = time.perf_counter() - started
        client.post(f"/attendance/cohorts/{cohort.id}/close", data={"confirm": "yes"})
        started = time.perf_counter()
        response = client.post(f"/attendance/cohorts/{cohort.id}/certificates.zip")
        certificate_seconds = time.perf_counter() - started
        assert response.status_code == 200
    return [
        {"figure": "attendance grid save 30x40", "seconds": round(grid_seconds, 2)},
        {"figure": "certificates for 30 (zip)", "seconds": round(certificate_seconds, 2),
         "target_seconds": 10, "ratio_to_target": round(certificate_seconds / 10, 3)},
    ]


def bench_participant_import_isolated(rows: int = 10_000) -> dict:
    """The import bench in a fresh process, so its peak memory is the import's, not the bench's."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "tests.bench", "--only", "import"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_participant_import(rows: int = 10_000) -> dict:
    """Import `rows` participants from XLSX in one go (target: ≤ 10 s, ≤ 300 MB peak)."""
    import copy
    import io
    from datetime import date

    from openpyxl import Workbook

    from tests.factories import CallFactory, EnterpriseFactory, ProjectFactory, valid_cnp
    from trainhub.imports.importers import run_import

    app = make_app(SQLALCHEMY_DATABASE_URI="sqlite://")
    with app.app_context():
        db.create_all()
        call = CallFactory(code="POCU/3.12", rules=copy.deepcopy(demo.DEFAULT_RULES))
        project = ProjectFactory(call=call, code="BENCH", regions=["RO11"])
        firms = [EnterpriseFactory() for _ in range(rows // 20)]
        db.session.commit()
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("participants")
        sheet.append(["cnp", "last_name", "first_name", "enterprise_cui", "county", "environment",
                      "isced", "employment_status"])
        for index in range(rows):
            birth = date(1960 + index % 40, 1 + index % 12, 1 + index % 28)
            sheet.append([valid_cnp("F" if index % 2 else "M", birth, 1 + index % 40),
                          f"Nume{index}", "Prenume", firms[index % len(firms)].cui, "Cluj",
                          "urban", 3, "employed"])
        stream = io.BytesIO()
        workbook.save(stream)
        before = _peak_mb()
        started = time.perf_counter()
        report = run_import(db.session, "participants", stream.getvalue(), project, user_id=None)
        seconds = time.perf_counter() - started
    assert report.written and report.created == rows, report.errors[:5]
    return {"figure": "participant import (XLSX)", "rows": rows, "seconds": round(seconds, 1),
            "target_seconds": 10, "ratio_to_target": round(seconds / 10, 3),
            "peak_mb": round(_peak_mb()), "peak_growth_mb": round(_peak_mb() - before),
            "target_peak_mb": 300}

def _xlsx_rows(content: bytes, reader: str) -> int:
    """Every row of the first sheet of `content` read with `reader` (openpyxl read-only or
    python-calamine), the way the import reads it: values only, one row at a time."""
    import io

    if reader == "openpyxl":
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        count = sum(1 for _row in workbook.worksheets[0].iter_rows(values_only=True))
        workbook.close()
        return count
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return sum(1 for _row in workbook.get_sheet_by_index(0).iter_rows())


def bench_register_import(rows: int = 10_000, database_url: str = "sqlite://") -> list[dict]:
    """A target-group register of `rows` people in the outside format (title rows, Romanian
    headers, text dates: tests/imports/hand_made.py), read by openpyxl and by python-calamine
    side by side, then imported (target: ≤ 3 s, ≤ 300 MB peak) into a fresh schema at
    `database_url` (default: an in-memory SQLite)."""
    import copy

    from tests.factories import CallFactory, EnterpriseFactory, ProjectFactory
    from tests.imports.hand_made import FIRMS, people, register_xlsx
    from trainhub.imports.importers import run_import

    content = register_xlsx(people(rows))
    readers = {}
    for reader in ("openpyxl", "calamine"):
        started = time.perf_counter()
        _xlsx_rows(content, reader)
        readers[reader] = time.perf_counter() - started
    app = make_app(SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        _fresh_schema()
        call = CallFactory(code="POCU/3.12", rules=copy.deepcopy(demo.DEFAULT_RULES))
        project = ProjectFactory(call=call, code="BENCH", regions=["RO11", "RO12", "RO31"])
        for firm in FIRMS:
            EnterpriseFactory(cui=firm.cui)
        db.session.commit()
        before = _peak_mb()
        started, cpu = time.perf_counter(), time.process_time()
        report = run_import(db.session, "participants", content, project, user_id=None)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    assert report.written and report.created == rows, report.errors[:5]
    return [{"figure": "register XLSX read, openpyxl read-only vs python-calamine", "rows": rows,
             "openpyxl_seconds": round(readers["openpyxl"], 2),
             "calamine_seconds": round(readers["calamine"], 2),
             "ratio": round(readers["calamine"] / readers["openpyxl"], 3)},
            {"figure": "register import, outside format (XLSX)", "rows": rows,
             "bytes": len(content), "seconds": round(seconds, 2),
             "cpu_seconds": round(cpu_seconds, 2), "target_seconds": 3,
             "ratio_to_target": round(seconds / 3, 3), "peak_mb": round(_peak_mb()),
             "peak_growth_mb": round(_peak_mb() - before), "target_peak_mb": 300}]


def _fresh_schema() -> None:
    """The tables created afresh, so a PostgreSQL database can be run against again and again."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    else:
        db.drop_all()
    db.create_all()


def bench_xlsx_writers(rows: int = 100_000) -> dict:
    """`rows` register-like rows (36 columns: text, numbers, dates, blanks) written by
    openpyxl's write-only mode and XlsxWriter's constant-memory mode (the writers before) and
    by `SafeWorkbook` (the one writer now: the sheet XML written directly), side by side."""
    import io
    import tempfile as temporary
    from datetime import date, datetime
    from decimal import Decimal

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from trainhub.core.spreadsheets import SafeWorkbook, safe_cell

    def row(index: int) -> list:
        return ["BENCH", f"1******{index:06d}", f"Nume{index}", "Prenume", "F", date(1980, 1, 2),
                44, "RO-CJ", "urban", 3, "employed", "no", "", "a@b.ro", "", "",
                "12345678", "Firma SRL", "RO-CJ", "RO11", "micro", "no", "yes", "no", "no",
                "", "", "eligible", "no", datetime(2026, 1, 2, 3, 4), "", date(2026, 1, 5),
                None, "", Decimal("12.5"), "=1+1"]

    def with_openpyxl() -> int:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("register")
        for index in range(rows):
            cells = []
            for value in row(index):
                cell = WriteOnlyCell(sheet, value=safe_cell(value))
                if isinstance(cell.value, str):
                    cell.data_type = "s"
                cells.append(cell)
            sheet.append(cells)
        with temporary.TemporaryFile() as spool:
            workbook.save(spool)
            return spool.tell()

    def with_xlsxwriter() -> int:  # SafeWorkbook's writing before, cell by cell
        import xlsxwriter

        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {
            "constant_memory": True, "remove_timezone": True, "strings_to_numbers": False,
            "strings_to_formulas": False, "strings_to_urls": False})
        formats = {name: workbook.add_format({"num_format": pattern}) for name, pattern in
                   (("date", "yyyy-mm-dd"), ("datetime", "yyyy-mm-dd hh:mm:ss"))}
        sheet = workbook.add_worksheet("register")
        for index in range(rows):
            for column, value in enumerate(row(index)):
                if value is None or value == "":
                    continue
                if isinstance(value, str):
                    sheet.write_string(index, column, safe_cell(value))
                elif isinstance(value, datetime):
                    sheet.write_datetime(index, column, value, formats["datetime"])
                elif isinstance(value, date):
                    sheet.write_datetime(index, column, value, formats["date"])
                else:
                    sheet.write_number(index, column, value)
        workbook.close()
        return len(output.getvalue())

    def with_safe_workbook() -> int:
        workbook = SafeWorkbook()
        sheet = workbook.sheet("register")
        for index in range(rows):
            sheet.append(row(index))
        return len(workbook.to_bytes())

    figures = {}
    for name, write in (("openpyxl", with_openpyxl), ("xlsxwriter", with_xlsxwriter),
                        ("safe_workbook", with_safe_workbook)):
        started, cpu = time.perf_counter(), time.process_time()
        size = write()
        figures[name] = (time.perf_counter() - started, time.process_time() - cpu, size)
    return {"figure": "XLSX writers, openpyxl write-only vs XlsxWriter constant_memory vs "
                      "SafeWorkbook", "rows": rows,
            **{f"{name}_{unit}": round(figure[position], 1) for name, figure in figures.items()
               for position, unit in ((0, "seconds"), (1, "cpu_seconds"))},
            **{f"{name}_bytes": figure[2] for name, figure in figures.items()},
            "ratio": round(figures["xlsxwriter"][1] / figures["openpyxl"][1], 3),
            "safe_workbook_ratio_to_xlsxwriter": round(
                figures["safe_workbook"][1] / figures["xlsxwriter"][1], 3)}


def bench_reminders(database_url: str) -> dict:
    """The daily reminder job over the scale dataset (target: 5,000 SMEs in ≤ 60 s, SMTP time
    excluded: the mailer only counts what it is handed)."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func, select

    from trainhub.core.models import utcnow
    from trainhub.documents.models import MailLog
    from trainhub.documents.reminders import send_reminders
    from trainhub.enterprises.models import Enterprise

    class CountingMailer:
        def __init__(self):
            self.messages = 0

        def send(self, _to, _subject, _body):
            self.messages += 1

        def __enter__(self):
            return self

        def __exit__(self, *_exc):
            pass

    app = make_app(SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        db.create_all()  # the mail log table, when the dataset came from an older build
        enterprises = db.session.scalar(select(func.count(Enterprise.id)))
        mailer = CountingMailer()
        last = db.session.scalar(select(func.max(MailLog.sent_at)))
        now: datetime = utcnow()
        if last is not None:  # a dataset reminded before: run as if a year later
            now = max(now, last.replace(tzinfo=last.tzinfo or UTC) + timedelta(days=365))
        started = time.perf_counter()
        report = send_reminders(db.session, app.config, now=now, mailer=mailer)
        seconds = time.perf_counter() - started
        items = sum(len(items) for items in db.session.scalars(
            select(MailLog.items).where(MailLog.sent_at == now)))
        started = time.perf_counter()  # the next day: every item was reminded yesterday
        next_day = send_reminders(db.session, app.config, now=now + timedelta(days=1),
                                  mailer=mailer)
        next_day_seconds = time.perf_counter() - started
    return {"figure": "reminder job", "enterprises": enterprises, "mails": report.sent,
            "items": items, "seconds": round(seconds, 1), "target_seconds": 60,
            "ratio_to_target": round(seconds / 60, 3),
            "next_day_mails": next_day.sent, "next_day_seconds": round(next_day_seconds, 1),
            "peak_mb": round(_peak_mb())}


def bench_indicators(database_url: str) -> list[dict]:
    """On the scale dataset: the full-period indicator table against one hand-written SQL query
    of the TOTAL men/women counts (target ratio ≤ 1.5), and the dashboard page (target ≤ 2 s)."""
    from sqlalchemy import select, text

    from tests.conftest import PASSWORD, Auth
    from tests.factories import UserFactory
    from trainhub.indicators.services import compute
    from trainhub.programme.models import Project

    hand_written = text("""
        SELECT SUM(CASE WHEN p.sex = 'M' THEN 1 ELSE 0 END), SUM(CASE WHEN p.sex = 'F' THEN 1 ELSE 0 END)
        FROM memberships m JOIN participants p ON p.id = m.participant_id
        WHERE m.project_id = :project AND m.eligibility_status = 'eligible'
          AND m.entry_date IS NOT NULL AND m.entry_date BETWEEN :start AND :end
          AND p.employment_status IS NOT NULL AND p.isced IS NOT NULL""")
    app = make_app(SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        project = db.session.scalar(select(Project).order_by(Project.id.desc()))
        start, end = project.start_date, project.end_date

        def best_of(run, times=3) -> float:
            timings = []
            for _ in range(times):
                started = time.perf_counter()
                run()
                timings.append(time.perf_counter() - started)
            return min(timings)

        sql_seconds = best_of(lambda: db.session.execute(hand_written, {
            "project": project.id, "start": start, "end": end}).one())
        table_seconds = best_of(lambda: compute(db.session, project, start, end))
        user = UserFactory(role="coordinator", email="bench-coordinator@trainhub.local",
                           password=PASSWORD, projects=[project])
        db.session.commit()
        client = app.test_client()
        Auth(client).login(user.email)
        url = f"/indicators/?project={project.id}"
        assert client.get(url).status_code == 200
        page_seconds = best_of(lambda: client.get(url))
        db.session.delete(user)
        db.session.commit()
    return [
        {"figure": "indicator table vs hand-written SQL", "table_seconds": round(table_seconds, 3),
         "sql_seconds": round(sql_seconds, 3), "ratio": round(table_seconds / sql_seconds, 2),
         "target_ratio": 1.5},
        {"figure": "indicator dashboard page", "seconds": round(page_seconds, 2),
         "target_seconds": 2, "ratio_to_target": round(page_seconds / 2, 3)},
    ]


def bench_register_export(database_url: str) -> dict:
    """The target-group register of the scale project as XLSX (streamed, write-only)."""
    from datetime import date

    from sqlalchemy import func, select

    from trainhub.participants.models import Membership
    from trainhub.participants.register import register_workbook
    from trainhub.programme.models import Project

    app = make_app(SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        project = db.session.scalar(select(Project).order_by(Project.id.desc()))
        rows = db.session.scalar(select(func.count(Membership.id))
                                 .where(Membership.project_id == project.id))
        before = _peak_mb()
        started = time.perf_counter()
        size = len(register_workbook(db.session, project, full_cnp=False,
                                     today=date.today()).getvalue())
        seconds = time.perf_counter() - started
    return {"figure": "register export (XLSX)", "rows": rows, "seconds": round(seconds, 1),
            "bytes": size, "peak_mb": round(_peak_mb()), "peak_growth_mb": round(_peak_mb() - before)}


def bench_indicator_export(database_url: str) -> dict:
    """The full-period indicator XLSX of the scale project: table, breakdowns and the people
    behind every number (target: ≤ 300 MB peak for 100,000 participants)."""
    from sqlalchemy import select

    from trainhub.indicators.exports import to_xlsx
    from trainhub.programme.models import Project

    app = make_app(SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        project = db.session.scalar(select(Project).order_by(Project.id.desc()))
        before = _peak_mb()
        started = time.perf_counter()
        size = len(to_xlsx(db.session, project, project.start_date, project.end_date))
        seconds = time.perf_counter() - started
    return {"figure": "indicator export (XLSX)", "seconds": round(seconds, 1), "bytes": size,
            "peak_mb": round(_peak_mb()), "peak_growth_mb": round(_peak_mb() - before),
            "target_peak_mb": 300}

def _isolated(only: str, database_url: str) -> dict:
    """A figure measured in a fresh process, so its peak memory is its own."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "tests.bench", "--only", only,
                          "--database-url", database_url],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _isolated_lines(only: str) -> list[dict]:
    """Every figure (one JSON line each) of `--only` run in a fresh process."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "tests.bench", "--only", only],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.strip().splitlines() if line.startswith("{")]


def _session_cookie(base: str) -> str:
    """The `Cookie` header of a session logged in through wsgi_bench's /bench-login (sent
    without a User-Agent, like the load clients, so Flask-Login's session check holds)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", "/bench-login")
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"/bench-login answered {response.status}")
    return response.getheader("Set-Cookie").split(";", 1)[0]


def _load(url: str, seconds: float, cookie: str, threads: int = 4) -> tuple[float, str]:
    """Requests per second of `threads` clients hitting `url` on 127.0.0.1 only, and the client
    used: wrk (Debian package; C, so the server gets the CPU) when installed, else a Python loop
    (which competes with the server for the 2 cores and undercounts fast routes);
    BENCH_LOAD_CLIENT=python forces the loop, to compare with figures taken with it."""
    import os
    import shutil
    import subprocess
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1", "the load loop only ever targets this machine"
    _python_load(parts, 0, cookie, 1)  # one request must answer 200: wrk counts a 302 as done
    if shutil.which("wrk") and os.environ.get("BENCH_LOAD_CLIENT") != "python":
        out = subprocess.run(["wrk", "-t2", f"-c{threads}", f"-d{seconds:g}s", "-H",
                              f"Cookie: {cookie}", url],
                             check=True, capture_output=True, text=True).stdout
        if "Non-2xx" in out or "Socket errors" in out:
            raise RuntimeError(f"{url} under wrk: {out}")
        return float(out.split("Requests/sec:")[1].split()[0]), "wrk"
    return _python_load(parts, seconds, cookie, threads), "python"


def _python_load(parts, seconds: float, cookie: str, threads: int) -> float:
    """Requests per second of `threads` Python clients (each makes at least one request); any
    answer but 200 fails the figure."""
    import http.client
    import threading

    counts, refusals = [0] * threads, []
    stop = time.perf_counter() + seconds
    path = parts.path + (f"?{parts.query}" if parts.query else "")

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while not counts[index] or time.perf_counter() < stop:
            connection.request("GET", path, headers={"Cookie": cookie})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                refusals.append(response.status)
                return
            counts[index] += 1

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if refusals:
        raise RuntimeError(f"{path} answered {refusals[0]}")
    return sum(counts) / seconds if seconds else 0.0


def _body_bytes(url: str, cookie: str) -> int:
    """The size of the page at `url` (on 127.0.0.1) as the load client receives it."""
    import urllib.request

    assert url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookie})) as page:
        return len(page.read())


def bench_served_pages(database_url: str, seconds: float = 10) -> list[dict]:
    """Requests/s of the participants list, the attendance grid and the document review queue
    under gunicorn, each as a ratio to the floor of any signed-in page of its size (a page that
    only loads the user and queries once; target ≥ 0.3), and to a hello-world route."""
    import os
    import socket
    import subprocess
    import sys
    import urllib.request

    from sqlalchemy import delete, select

    from tests.bench import ensure_bench_user, pending_documents
    from trainhub.courses.models import Cohort
    from trainhub.documents.models import Document

    app = make_app(SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        cohort_id = db.session.scalar(select(Cohort.id).order_by(Cohort.id))
        ensure_bench_user()
        documents = pending_documents()
        analyze()  # a database built before the build ran ANALYZE, and the new uploads
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--config", "python:trainhub.serving", "--log-level", "warning",
         "tests.bench.wsgi_bench:app"],
        env=os.environ | {"BENCH_DATABASE_URL": database_url})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/bench-hello", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not answer within 30 s")
        cookie = _session_cookie(base)
        hello, client = _load(base + "/bench-hello", seconds, cookie)
        results = []
        for name, path in (("participants list page", "/participants/?page=1"),
                           ("attendance grid page", f"/attendance/cohorts/{cohort_id}"),
                           ("document review queue page", "/documents/review")):
            rate, _client = _load(base + path, seconds, cookie)
            # the floor: a page of the same size that only loads the signed-in user and queries once
            floor, _client = _load(f"{base}/bench-signed-in?bytes={_body_bytes(base + path, cookie)}",
                                   seconds, cookie)
            results.append({"figure": f"{name} under gunicorn", "requests_per_s": round(rate, 1),
                            "signed_in_floor_requests_per_s": round(floor, 1),
                            "ratio_to_floor": round(rate / floor, 3), "target_ratio_to_floor": 0.3,
                            "hello_world_requests_per_s": round(hello, 1),
                            "ratio": round(rate / hello, 3),
                            "signed_in_floor_ratio": round(floor / hello, 3),
                            "load_client": client})
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)
        with app.app_context():
            db.session.execute(delete(Document).where(Document.id.in_(documents)))
            db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=5000, help="SMEs of the scale dataset")
    parser.add_argument("--database-url", help="default: a new SQLite file in a temp folder")
    parser.add_argument("--only", choices=["reminders", "indicators", "import", "register-import",
                                           "register", "indicator-export", "served", "writers",
                                           "call"],
                        help="run one figure (reminders and indicators: against an existing "
                             "--database-url)")
    parser.add_argument("--scale-only", action="store_true",
                        help="only the scale dataset figures (build, indicators, reminders)")
    parser.add_argument("--rows", type=int, help="rows of --only register-import (10,000) or"
                        " --only writers (100,000)")
    parser.add_argument("--seconds", type=float, default=10,
                        help="load time of each served page (--only served)")
    parser.add_argument("--label", default="sqlite", help="database name put on each result")
    parser.add_argument("--call-people", type=int, default=100_000,
                        help="people of the call-scale dataset (--only call; 72 projects)")
    args = parser.parse_args()
    if args.only == "call":
        from tests.bench.call_scale import bench_call

        with tempfile.TemporaryDirectory() as folder:
            results = [{"database": args.label, **result} for result in bench_call(
                args.database_url or f"sqlite:///{folder}/call.db", args.call_people)]
        for result in results:
            print(" ".join(f"{key}={value}" for key, value in result.items()))
        keep_results(results, replaces=lambda entry: entry.get("database") == args.label
                     and str(entry.get("figure", "")).startswith("call "))
        return
    if args.only == "import":
        print(json.dumps(bench_participant_import()))
        return
    if args.only == "register-import":
        if args.database_url is None:
            for result in bench_register_import(args.rows or 10_000):
                print(json.dumps(result))
            return
        # a database of its own (`make bench`: the throw-away PostgreSQL), kept under its kind
        from sqlalchemy.engine import make_url

        label = make_url(args.database_url).get_backend_name()
        results = [{"database": label, **result} for result in
                   bench_register_import(args.rows or 10_000, args.database_url)]
        for result in results:
            print(json.dumps(result))
        figures = {result["figure"] for result in results}
        keep_results(results, replaces=lambda entry: entry.get("database") == label
                     and entry.get("figure") in figures)
        return
    if args.only == "writers":
        print(json.dumps(bench_xlsx_writers(args.rows or 100_000)))
        return
    if args.only == "register":
        print(json.dumps(bench_register_export(args.database_url)))
        return
    if args.only == "indicator-export":
        print(json.dumps(bench_indicator_export(args.database_url)))
        return
    if args.only == "served":
        for result in bench_served_pages(args.database_url, args.seconds):
            print(" ".join(f"{key}={value}" for key, value in result.items()))
        return
    if args.only == "indicators":
        if not args.database_url:
            parser.error("--only indicators needs --database-url of a built scale dataset")
        for result in bench_indicators(args.database_url):
            print(" ".join(f"{key}={value}" for key, value in result.items()))
        return
    if args.only == "reminders":
        if not args.database_url:
            parser.error("--only reminders needs --database-url of a built scale dataset")
        print(" ".join(f"{key}={value}" for key, value in
                       bench_reminders(args.database_url).items()))
        return
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        local = [] if args.scale_only else [bench_participant_import_isolated(),
                                            *_isolated_lines("register-import"),
                                            _isolated("writers", url), *bench_cohort_paperwork()]
        results = [*local, bench_scale_build(args.scale, url), *bench_indicators(url),
                   _isolated("register", url), _isolated("indicator-export", url),
                   *bench_served_pages(url), bench_reminders(url)]
    results = [{"database": args.label, **result} for result in results]
    for result in results:
        print(" ".join(f"{key}={value}" for key, value in result.items()))
    # a run replaces the figures of its database; the load test's entries (no database) stay
    keep_results(results, replaces=lambda entry: entry.get("database") == args.label)


if __name__ == "__main__":
    main()
