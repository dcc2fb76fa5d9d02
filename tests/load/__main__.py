"""`make loadtest`: locust against gunicorn on throw-away PostgreSQL, marks counted, a restart.

    python -m tests.load [--users 50] [--minutes 2] [--no-restart-postgres]

Starts a throw-away PostgreSQL (tests/throwaway_postgres.sh, PG_PORT 5447 unless set), migrates
it with `flask db upgrade`, seeds the demo programme plus --smes scale SMEs with one account per
load user, serves the production config under gunicorn on 127.0.0.1, runs locust headless,
stops PostgreSQL for a few seconds halfway through (four probing readers time the 503 pages and
the recovery), and counts the attendance marks in the database afterwards. Prints one line of
figures for the load and one for the restart, keeps them in bench/results.json and exits
non-zero on any failed request, any lost mark or a restart the app did not ride out.
"""
import argparse
import csv
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.bench.results import keep_results

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
DEFAULT_PG_PORT = "5447"
LOAD_FIGURE = "load test on PostgreSQL (locust, SME uploads + attendance marks + reports)"
RESTART_FIGURE = "PostgreSQL restart in the middle of the load (503 page, recovery, no app restart)"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_served(base: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited before serving")
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer /healthz within {seconds:.0f} s")


def _app_environment(database_url: str, folder: Path) -> dict:
    """The production settings of docs/deploy.md, behind one proxy that the load clients play."""
    return os.environ | {
        "TRAINHUB_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": database_url,
        "UPLOAD_DIR": str(folder / "uploads"),
        "TRAINHUB_INSTANCE": str(folder / "instance"),
        "TRUSTED_PROXIES": "1",
        "SCHEDULER_ENABLED": "false",
        "REQUEST_LOG_JSON": "false",
        # every load user logs in from 127.0.0.1: the per-address login limit would refuse them
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "PYTHONPATH": str(ROOT),
    }


def _percentile(endpoints: list[dict], share: float) -> int:
    """The response time (ms) under which `share` of the endpoints' requests answered."""
    times: dict[float, int] = {}
    for endpoint in endpoints:
        for milliseconds, count in endpoint["response_times"].items():
            times[float(milliseconds)] = times.get(float(milliseconds), 0) + count
    wanted, seen = share * sum(times.values()), 0
    for milliseconds, count in sorted(times.items()):
        seen += count
        if seen >= wanted:
            return round(milliseconds)
    return 0


def _locust_totals(stats_file: Path) -> dict:
    """Requests, failures, rate and percentiles over every endpoint of locust's final stats;
    prints one line per endpoint.

    The median and p95 are those of every request but the 503 pages of the database outage
    (the locustfile names those apart): `outage_answers_p95_ms` is theirs.
    """
    from tests.load.faults import OUTAGE_SUFFIX

    endpoints = json.loads(stats_file.read_text())
    for endpoint in sorted(endpoints, key=lambda endpoint: endpoint["name"]):
        print(f"  {endpoint['method']:5} {endpoint['name']:55} {endpoint['num_requests']:6} "
              f"requests {endpoint['num_failures']:4} failed  median "
              f"{_percentile([endpoint], 0.5):5} ms  p95 {_percentile([endpoint], 0.95):5} ms")
    served = [endpoint for endpoint in endpoints if not endpoint["name"].endswith(OUTAGE_SUFFIX)]
    outage = [endpoint for endpoint in endpoints if endpoint["name"].endswith(OUTAGE_SUFFIX)]
    requests = sum(endpoint["num_requests"] for endpoint in endpoints)
    span = (max(endpoint["last_request_timestamp"] or 0 for endpoint in endpoints)
            - min(endpoint["start_time"] for endpoint in endpoints)) if endpoints else 0
    return {"requests": requests,
            "served_requests": sum(endpoint["num_requests"] for endpoint in served),
            "failures": sum(endpoint["num_failures"] for endpoint in endpoints),
            "requests_per_s": round(requests / span, 1) if span else 0.0,
            "median_ms": _percentile(served, 0.5), "p95_ms": _percentile(served, 0.95),
            "outage_answers_p95_ms": _percentile(outage, 0.95)}


def _print_failures(prefix: Path) -> None:
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        for row in list(csv.DictReader(failures.open()))[:20]:
            print(f"  failure: {row['Method']} {row['Name']}: {row['Error']} "
                  f"x{row['Occurrences']}")


def _line(figure: dict) -> str:
    return " ".join(f"{key}={value}" for key, value in figure.items())


def _cpu_seconds(master_pid: int) -> float:
    """CPU time (user + system) used so far by gunicorn's workers: a figure the other processes
    of a shared machine do not inflate the way they do response times."""
    from tests.load.faults import worker_pids

    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in worker_pids(master_pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def _serve(base: str, workers: int, threads: int, environment: dict) -> subprocess.Popen:
    """gunicorn as `make serve` runs it (docs/deploy.md, with trainhub.serving's hooks), bound to
    127.0.0.1 only."""
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", base.removeprefix("http://"),
         "--workers", str(workers), "--worker-class", "gthread" if threads > 1 else "sync",
         "--threads", str(threads), "--keep-alive", "0",
         "--timeout", "60", "--graceful-timeout", "30",
         "--forwarded-allow-ips", "127.0.0.1", "--log-level", "warning",
         "--config", "python:trainhub.serving", "wsgi:app"],
        cwd=ROOT, env=environment)
    print(f"gunicorn (pid {server.pid}, {workers} workers of {threads} threads) on {base}",
          flush=True)
    return server


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=40)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _load_phase(args: argparse.Namespace, base: str, environment: dict, folder: Path,
                database_url: str, server_pid: int, outage=None) -> tuple[dict, dict | None]:
    """Locust headless against `base`; its figures and the marks counted afterwards.

    `outage` (a function returning the restart figures) is called halfway through the run:
    PostgreSQL stops in the middle of the full load, and locust counts the 503 pages apart.
    """
    from tests.load import dataset

    prefix = folder / "locust"
    load_before, cpu_before = os.getloadavg()[0], _cpu_seconds(server_pid)
    locust = subprocess.Popen(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", base,
         "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
         "--run-time", f"{round(args.minutes * 60)}s", "--stop-timeout", "20",
         "--csv", str(prefix), "--json-file", str(prefix), "--only-summary",
         "--loglevel", "WARNING"],
        cwd=ROOT, env=environment | {"LOAD_ACCOUNTS": str(folder / "accounts.json"),
                                     "LOAD_MARKS": str(folder / "marks.json")}
        | ({"LOAD_EXPECT_OUTAGE": "1"} if outage else {}))
    restart = None
    if outage:
        time.sleep(args.minutes * 60 / 2)
        restart = outage()
    locust.wait()
    app_cpu = _cpu_seconds(server_pid) - cpu_before
    figures = {"figure": LOAD_FIGURE, "users": args.users, "minutes": args.minutes,
               "gunicorn_workers": args.workers,
               "gunicorn_threads": args.threads, "smes": args.smes,
               **_locust_totals(Path(f"{prefix}.json")),
               # the machine's 1-minute load average as the load began and as it ended
               "load_average": f"{load_before:.1f}-{os.getloadavg()[0]:.1f}",
               "app_cpu_s": round(app_cpu, 1),
               **dataset.count_marks(database_url, folder / "marks.json"),
               # non-zero on a failed request and on an exception in a user's task
               "locust_exit_code": locust.returncode,
               "target_failures": 0, "target_lost": 0}
    print(_line(figures), flush=True)
    _print_failures(prefix)
    return figures, restart


def _load_passed(figures: dict) -> bool:
    return (figures["failures"] == 0 and figures["lost"] == 0 and figures["uploads_lost"] == 0
            and figures["marks_sent"] > 0 and figures["locust_exit_code"] == 0)


def run(args: argparse.Namespace, database_url: str) -> int:
    """Every phase against `database_url` (the throw-away server); 0 when all of them passed."""
    from tests.load import dataset

    with tempfile.TemporaryDirectory(prefix="trainhub-load-") as folder_name:
        folder = Path(folder_name)
        environment = _app_environment(database_url, folder)
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                       cwd=ROOT, env=environment, check=True)
        started = time.monotonic()
        accounts = dataset.seed(database_url, environment["UPLOAD_DIR"], args.smes)
        print(f"seeded {args.smes} scale SMEs and {len(accounts['smes'])} SME, "
              f"{len(accounts['markers'])} marker and {len(accounts['readers'])} reader accounts "
              f"in {time.monotonic() - started:.0f} s", flush=True)
        (folder / "accounts.json").write_text(json.dumps(accounts))
        base = f"http://127.0.0.1:{args.port or _free_port()}"
        server = _serve(base, args.workers, args.threads, environment)
        try:
            _wait_until_served(base, server)
            outage = None
            if args.restart_postgres:
                from tests.load import faults

                def outage() -> dict:
                    return faults.restart_postgres_under_load(
                        base, accounts, server.pid, outage_seconds=args.outage_seconds)
            load, restart = _load_phase(args, base, environment, folder, database_url,
                                        server.pid, outage)
            ok, figures = _load_passed(load), [load]
            if restart is not None:
                restart = {"figure": RESTART_FIGURE, **restart}
                print(_line(restart), flush=True)
                ok = ok and faults.passed(restart)
                figures.append(restart)
            names = {figure["figure"] for figure in figures}
            keep_results(figures, replaces=lambda entry: entry.get("figure") in names)
        finally:
            _stop(server)
    print("load test passed" if ok else "load test FAILED", flush=True)
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50, help="locust users (default 50)")
    parser.add_argument("--minutes", type=float, default=2, help="length of the load phase")
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started per second")
    parser.add_argument("--smes", type=int, default=50,
                        help="scale SMEs seeded, at least --users (each with 20 employees "
                             "and a cohort of 20 sessions)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4,
                        help="threads per gunicorn worker (gthread workers; 1: sync workers)")
    parser.add_argument("--port", type=int, help="gunicorn's port on 127.0.0.1 (default: free)")
    parser.add_argument("--no-restart-postgres", dest="restart_postgres", action="store_false",
                        help="keep PostgreSQL up during the load")
    parser.add_argument("--outage-seconds", type=float, default=5,
                        help="how long PostgreSQL stays stopped mid-load")
    args = parser.parse_args()
    # one cohort per marker, one SME per uploader: no two users ever write the same cell or line
    args.smes = max(args.smes, args.users)
    if os.environ.get("TRAINHUB_LOAD_DATABASE_URL"):
        sys.exit(run(args, os.environ["TRAINHUB_LOAD_DATABASE_URL"]))
    # Re-run inside a throw-away PostgreSQL; the marker variable keeps a TEST_DATABASE_URL the
    # caller happens to have from being seeded (and restarted) by mistake.
    command = ["bash", str(ROOT / "tests" / "throwaway_postgres.sh"), "sh", "-c",
               'TRAINHUB_LOAD_DATABASE_URL="$TEST_DATABASE_URL" exec "$@"', "load",
               sys.executable, "-m", "tests.load", *sys.argv[1:]]
    environment = os.environ | {"PG_PORT": os.environ.get("PG_PORT", DEFAULT_PG_PORT)}
    sys.exit(subprocess.run(command, cwd=ROOT, env=environment).returncode)


if __name__ == "__main__":
    main()
