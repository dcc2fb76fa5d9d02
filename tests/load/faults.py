"""The restart in the middle of the load: PostgreSQL stops and starts while probing readers
time the answers; pages answer 503, then 200."""
import os
import subprocess
import threading
import time
from dataclasses import dataclass

import requests

from tests.load.client import behind_the_proxy, csrf_token

PROBE_TIMEOUT = 15
#: what the app's error page (templates/error.html) shows for a 503
ERROR_PAGE_503 = '<p class="display-5 text-muted">503</p>'
#: added to the locust name of a request answered by that page, so its time is counted apart
OUTAGE_SUFFIX = "[503 during the outage]"
CONSECUTIVE_OK_TO_RECOVER = 3
RECOVERY_LIMIT_SECONDS = 60


@dataclass
class Probe:
    """One request of a probing reader: when it started and ended, what it got."""

    started: float
    ended: float
    path: str
    outcome: str  # the status code, or the name of the exception (timeout, refused)
    error_page: bool


class Prober(threading.Thread):
    """A logged-in coordinator reading pages in a loop, recording every answer."""

    def __init__(self, base: str, email: str, password: str, paths: list[str]):
        super().__init__(daemon=True)
        self.base, self.paths = base, paths
        self.probes: list[Probe] = []
        self.stopping = threading.Event()
        self.client = requests.Session()
        behind_the_proxy(self.client, base)
        self._log_in(email, password)

    def _log_in(self, email: str, password: str) -> None:
        page = self.client.get(self.base + "/login", timeout=PROBE_TIMEOUT)
        token = csrf_token(page.text)
        answer = self.client.post(self.base + "/login", allow_redirects=False,
                                  timeout=PROBE_TIMEOUT,
                                  data={"csrf_token": token, "email": email,
                                        "password": password})
        if answer.status_code != 302:
            raise RuntimeError(f"the prober could not log in as {email}: {answer.status_code}")

    def run(self) -> None:
        while not self.stopping.is_set():
            for path in self.paths:
                started = time.monotonic()
                try:
                    answer = self.client.get(self.base + path, allow_redirects=False,
                                             timeout=PROBE_TIMEOUT)
                    outcome, error_page = str(answer.status_code), ERROR_PAGE_503 in answer.text
                except requests.RequestException as error:
                    outcome, error_page = type(error).__name__, False
                self.probes.append(Probe(started, time.monotonic(), path, outcome, error_page))
                time.sleep(0.1)

    def recovered_since(self, moment: float) -> bool:
        """Whether the last few answers, all started after `moment`, were 200."""
        last = self.probes[-CONSECUTIVE_OK_TO_RECOVER:]
        return len(last) == CONSECUTIVE_OK_TO_RECOVER and all(
            probe.started >= moment and probe.outcome == "200" for probe in last)


def _pg_ctl(*arguments: str) -> None:
    """pg_ctl on the throw-away server of tests/throwaway_postgres.sh (as postgres when root)."""
    command = [os.path.join(os.environ["THROWAWAY_PG_BIN"], "pg_ctl"),
               "-D", os.path.join(os.environ["THROWAWAY_PG_DIR"], "data"), *arguments]
    if os.getuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def worker_pids(master_pid: int) -> set[int]:
    """The gunicorn workers forked by `master_pid` now."""
    out = subprocess.run(["ps", "--ppid", str(master_pid), "-o", "pid="], capture_output=True,
                         text=True).stdout
    return {int(pid) for pid in out.split()}


def restart_postgres_under_load(base: str, accounts: dict, gunicorn_pid: int,
                                outage_seconds: float = 5, baseline_seconds: float = 5,
                                clients: int = 4) -> dict:
    """Stop PostgreSQL for `outage_seconds` while `clients` read pages, then start it again.

    Returns the figures: answers during the outage (503 with the error page, anything else),
    the seconds from PostgreSQL accepting connections again to the app answering 200 on every
    client, and whether gunicorn or any of its workers was restarted.
    """
    paths = ["/participants/?page=1", f"/attendance/cohorts/{accounts['probe_cohort_id']}",
             "/indicators/", "/documents/board"]
    workers_before = worker_pids(gunicorn_pid)
    probers = [Prober(base, accounts["probe_accounts"][n % len(accounts["probe_accounts"])],
                      accounts["password"], paths[n % len(paths):] + paths[:n % len(paths)])
               for n in range(clients)]
    for prober in probers:
        prober.start()
    time.sleep(baseline_seconds)
    down = time.monotonic()
    _pg_ctl("stop", "-m", "fast", "-w")
    time.sleep(outage_seconds)
    _pg_ctl("start", "-w", "-o", os.environ["THROWAWAY_PG_OPTIONS"], "-l",
            os.path.join(os.environ["THROWAWAY_PG_DIR"], "log"))
    up = time.monotonic()
    deadline = up + RECOVERY_LIMIT_SECONDS
    while time.monotonic() < deadline and not all(p.recovered_since(up) for p in probers):
        time.sleep(0.2)
    time.sleep(2)
    for prober in probers:
        prober.stopping.set()
    for prober in probers:
        prober.join(timeout=PROBE_TIMEOUT + 5)
    probes = sorted((probe for prober in probers for probe in prober.probes),
                    key=lambda probe: probe.started)
    return _figures(probes, down, up, gunicorn_pid, workers_before)


def _figures(probes: list[Probe], down: float, up: float, gunicorn_pid: int,
             workers_before: set[int]) -> dict:
    baseline = [p for p in probes if p.ended < down]
    outage = [p for p in probes if down <= p.started < up]
    after = [p for p in probes if p.started >= up]
    failed_after = [p for p in after if p.outcome != "200"]
    last_failure = max((p.ended for p in failed_after), default=up)
    first_ok = next((p for p in after if p.outcome == "200" and p.started >= last_failure), None)
    with_page = [p for p in probes if p.outcome == "503" and p.error_page]
    other_errors = [p for p in probes
                    if p.outcome != "200" and not (p.outcome == "503" and p.error_page)]
    gunicorn_alive = os.path.exists(f"/proc/{gunicorn_pid}")
    return {
        "requests": len(probes),
        "outage_seconds": round(up - down, 1),
        "baseline_failures": sum(p.outcome != "200" for p in baseline),
        "requests_during_outage": len(outage),
        "responses_503": len(with_page),
        "other_errors": len(other_errors),
        "other_error_kinds": sorted({p.outcome for p in other_errors}),
        "slowest_outage_answer_s": round(max((p.ended - p.started for p in outage), default=0), 2),
        "failures_after_restart": len(failed_after),
        "recovery_seconds": round(first_ok.ended - up, 2) if first_ok else None,
        "gunicorn_restarted": not gunicorn_alive,
        "workers_restarted": len(workers_before - worker_pids(gunicorn_pid)),
    }


def passed(figures: dict) -> bool:
    """The issue's rule: 503 pages during the outage, nothing else, then 200 without a restart."""
    return (figures["baseline_failures"] == 0 and figures["responses_503"] > 0
            and figures["other_errors"] == 0 and figures["recovery_seconds"] is not None
            and not figures["gunicorn_restarted"] and figures["workers_restarted"] == 0)
