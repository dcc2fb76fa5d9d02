"""Locust users of the load test: SMEs uploading documents, attendance markers, report readers.

Run by `python -m tests.load` (which seeds the accounts and serves the app); it reads the
accounts from LOAD_ACCOUNTS and writes the attendance cells it wrote to LOAD_MARKS at the end.
Every request goes to the --host given to locust, which the runner keeps on 127.0.0.1. With
LOAD_EXPECT_OUTAGE set (the runner stops PostgreSQL mid-run), the app's 503 page is the right
answer and is counted apart; any other error still fails.
"""
import itertools
import json
import os
import random
import re
from urllib.parse import urlsplit

from fpdf import FPDF
from locust import HttpUser, between, events, task

from tests.load.client import behind_the_proxy, csrf_token
from tests.load.faults import ERROR_PAGE_503, OUTAGE_SUFFIX

REQUEST_TIMEOUT = 30
STATUSES = ("present", "late", "excused", "absent")  # trainhub.attendance.models.MarkStatus
CELLS_PER_SAVE = 5

_CELL = re.compile(r'name="status-(\d+)-(\d+)"')
_UPLOAD_FORM = re.compile(r'<form method="post" action="(/documents/(?:enterprises|participants)/'
                          r'\d+/upload)"(.*?)</form>', re.S)
_FILE_INPUT = re.compile(r'type="file" name="(file-\d+)"')
_SUCCESS_ALERT = 'class="alert alert-success"'

with open(os.environ["LOAD_ACCOUNTS"]) as accounts_file:
    ACCOUNTS = json.load(accounts_file)

#: "session-enrollment" -> {"acknowledged": last status answered with success,
#:                          "unanswered": statuses sent after it without a success answer}
CELLS: dict[str, dict] = {}
ACKNOWLEDGED_WRITES = [0]
ACKNOWLEDGED_UPLOADS = [0]
OUTAGE_ANSWERS = [0]
EXPECT_OUTAGE = bool(os.environ.get("LOAD_EXPECT_OUTAGE"))


def outage_answer(response) -> bool:
    """Whether `response` is the 503 page of the database outage the runner causes (counted,
    under a name of its own so its time stays out of the load's figures, and not a failure);
    without an expected outage it never is."""
    if EXPECT_OUTAGE and response.status_code == 503 and ERROR_PAGE_503 in response.text:
        response.request_meta["name"] = f"{response.request_meta['name']} {OUTAGE_SUFFIX}"
        response.success()
        OUTAGE_ANSWERS[0] += 1
        return True
    return False


def pdf_bytes(text: str) -> bytes:
    """A small real PDF (the documents area sniffs the bytes, not the name)."""
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text=text)
    return bytes(document.output())


class ProgrammeUser(HttpUser):
    """A logged-in user of the served app; subclasses say which accounts they take."""

    abstract = True
    wait_time = between(1, 4)
    accounts: list[dict] = []
    _next_account = None

    def on_start(self) -> None:
        cls = type(self)
        if cls._next_account is None:
            cls._next_account = itertools.cycle(cls.accounts)
        self.account = next(cls._next_account)
        behind_the_proxy(self.client, self.host)
        self.log_in()

    def log_in(self) -> None:
        page = self.client.get("/login", name="/login", timeout=REQUEST_TIMEOUT)
        with self.client.post("/login", name="/login [POST]", allow_redirects=False,
                              timeout=REQUEST_TIMEOUT, catch_response=True,
                              data={"csrf_token": csrf_token(page.text),
                                    "email": self.account["email"],
                                    "password": ACCOUNTS["password"]}) as response:
            if response.status_code != 302 and not outage_answer(response):
                response.failure(f"login of {self.account['email']} answered "
                                 f"{response.status_code}")

    def get_page(self, path: str, name: str):
        with self.client.get(path, name=name, timeout=REQUEST_TIMEOUT,
                             catch_response=True) as response:
            if response.status_code == 200 and urlsplit(response.url).path == "/login":
                response.failure("logged out")
            outage_answer(response)
            return response


class SmeUser(ProgrammeUser):
    """An SME's contact person: opens the "what is missing" portal and uploads PDFs to it."""

    weight = 3
    accounts = ACCOUNTS["smes"]
    uploads = 0

    @task(3)
    def upload_a_document(self) -> None:
        portal = self.get_page("/documents/", "/documents/enterprises/[id]")
        if portal.status_code != 200:
            return
        forms = [(action, _FILE_INPUT.findall(body))
                 for action, body in _UPLOAD_FORM.findall(portal.text)]
        forms = [(action, inputs) for action, inputs in forms if inputs]
        if not forms:
            return
        action, inputs = random.choice(forms)
        self.uploads += 1
        content = pdf_bytes(f"{self.account['email']} upload {self.uploads}")
        kind = "enterprises" if "/enterprises/" in action else "participants"
        with self.client.post(action, name=f"/documents/{kind}/[id]/upload",
                              timeout=REQUEST_TIMEOUT, catch_response=True,
                              data={"csrf_token": csrf_token(portal.text)},
                              files={random.choice(inputs): ("scan.pdf", content,
                                                             "application/pdf")}) as response:
            if response.status_code == 200 and _SUCCESS_ALERT in response.text:
                ACKNOWLEDGED_UPLOADS[0] += 1
            elif response.status_code == 200:
                response.failure("the upload was refused")
            else:
                outage_answer(response)

    @task(1)
    def read_own_participants(self) -> None:
        self.get_page("/participants/", "/participants/")


class MarkerUser(ProgrammeUser):
    """A trainer (or coordinator) saving attendance on one cohort's grid, its own cells only."""

    weight = 4
    accounts = ACCOUNTS["markers"]

    @task
    def mark_attendance(self) -> None:
        path = f"/attendance/cohorts/{self.account['cohort_id']}"
        grid = self.get_page(path, "/attendance/cohorts/[id]")
        cells = sorted(set(_CELL.findall(grid.text)))
        if grid.status_code != 200 or not cells:
            return
        chosen = {f"{session}-{enrollment}": random.choice(STATUSES)
                  for session, enrollment in random.sample(cells, min(CELLS_PER_SAVE, len(cells)))}
        form = {"csrf_token": csrf_token(grid.text)}
        for key, status in chosen.items():
            form[f"status-{key}"] = status
            form[f"hours-{key}"] = ""
            CELLS.setdefault(key, {"acknowledged": None, "unanswered": []})["unanswered"].append(
                status)
        with self.client.post(path, name="/attendance/cohorts/[id] [POST]", data=form,
                              allow_redirects=False, timeout=REQUEST_TIMEOUT,
                              catch_response=True) as response:
            if response.status_code == 302 and urlsplit(response.headers.get(
                    "Location", "")).path == path:
                for key, status in chosen.items():
                    CELLS[key] = {"acknowledged": status, "unanswered": []}
                ACKNOWLEDGED_WRITES[0] += len(chosen)
            elif not outage_answer(response):
                response.failure(f"saving marks answered {response.status_code}")


class ReportReader(ProgrammeUser):
    """The managing authority or a coordinator reading the reports."""

    weight = 3
    accounts = ACCOUNTS["readers"]

    @task(2)
    def indicators(self) -> None:
        self.get_page("/indicators/", "/indicators/")

    @task(2)
    def participants(self) -> None:
        self.get_page(f"/participants/?page={random.randint(1, 30)}", "/participants/?page=[n]")

    @task(1)
    def document_board(self) -> None:
        self.get_page("/documents/board", "/documents/board")

    @task(1)
    def document_board_by_participant(self) -> None:
        self.get_page(f"/documents/board?show=participants&page={random.randint(1, 30)}",
                      "/documents/board?show=participants")


@events.test_stop.add_listener
def _write_cells(**_kwargs) -> None:
    cohorts = sorted({account["cohort_id"] for account in ACCOUNTS["markers"]})
    with open(os.environ["LOAD_MARKS"], "w") as out:
        json.dump({"cells": CELLS, "acknowledged_writes": ACKNOWLEDGED_WRITES[0],
                   "acknowledged_uploads": ACKNOWLEDGED_UPLOADS[0],
                   "outage_answers": OUTAGE_ANSWERS[0], "cohorts": cohorts}, out)
