"""The huey queue of the app, built from its config: SQLite by default, Redis when configured."""
from pathlib import Path

from flask import Flask, current_app
from huey import Huey, SqliteHuey

#: where create_app keeps the queue and its one task in app.extensions
EXTENSION_KEY = "trainhub.huey"


def make_huey(config) -> Huey:
    """The queue: a SQLite file under the instance folder, or Redis when HUEY_REDIS_URL is set
    (the `redis` package is then needed); HUEY_IMMEDIATE runs each task at once, inline."""
    immediate = bool(config.get("HUEY_IMMEDIATE"))
    if config.get("HUEY_REDIS_URL") and not immediate:
        from huey import RedisHuey  # needs the optional `redis` package

        return RedisHuey("trainhub", url=config["HUEY_REDIS_URL"])
    if not immediate:
        Path(config["HUEY_SQLITE_PATH"]).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("trainhub", filename=config["HUEY_SQLITE_PATH"], immediate=immediate)


def init_app(app: Flask) -> None:
    """Build the app's queue and register the task that runs a job inside this app."""
    huey = make_huey(app.config)

    def run_job_task(job_id: int) -> None:
        """Runs in the worker (or inline): the task makes its own app context and session."""
        from trainhub.extensions import db
        from trainhub.jobs.services import run_job

        with app.app_context():
            try:
                run_job(db.session, job_id, app.config)
            finally:
                db.session.remove()

    task = huey.task(name="trainhub.run_job")(run_job_task)
    app.extensions[EXTENSION_KEY] = (huey, task)


def app_huey(app: Flask | None = None) -> Huey:
    return (app or current_app).extensions[EXTENSION_KEY][0]


def enqueue(job_id: int) -> None:
    """Hand the job to the worker (in immediate mode: run it now)."""
    _huey, task = current_app.extensions[EXTENSION_KEY]
    task(job_id)
