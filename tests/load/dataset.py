"""The load test's dataset (demo, scale SMEs, an account per load user) and the mark count."""
import json
from pathlib import Path

from sqlalchemy import create_engine, select, text, update
from werkzeug.security import generate_password_hash

from config import TestingConfig
from trainhub import create_app, demo
from trainhub.auth.models import Role, User
from trainhub.courses.models import Cohort
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.programme.models import Project, ProjectMember

LOAD_PASSWORD = "load-test-password-2026"
TRAINERS = 10
COORDINATORS = 3
AUTHORITIES = 3
#: one cohort in this many is marked by a coordinator rather than its trainer
COORDINATOR_MARKS_EVERY = 5


def _app_on(database_url: str, upload_dir: str):
    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = database_url
    config.UPLOAD_DIR = upload_dir
    return create_app(config)


def _account(email: str, role: Role, password_hash: str, enterprise_id: int | None = None) -> User:
    return User(email=email, full_name=email.split("@")[0], role=role.value, active=True,
                locale="en", password_hash=password_hash, enterprise_id=enterprise_id)


def seed(database_url: str, upload_dir: str, n_smes: int) -> dict:
    """Load the demo programme and `n_smes` scale SMEs, add the load accounts; return them.

    Every scale SME gets an SME account of its own, every scale cohort one marker (its
    trainer, or a coordinator for one cohort in COORDINATOR_MARKS_EVERY), so no two load users
    ever write the same document line or attendance cell.
    """
    app = _app_on(database_url, upload_dir)
    with app.app_context():
        session = db.session
        demo.load_demo(session)
        demo.build_scale(session, n_smes)
        project_id = session.scalar(select(Project.id).where(Project.code.like("SCALE-%"))
                                    .order_by(Project.id.desc()).limit(1))
        cohort_ids = list(session.scalars(select(Cohort.id).where(Cohort.project_id == project_id)
                                          .order_by(Cohort.id)))
        enterprise_ids = list(session.scalars(
            select(Enterprise.id).where(Enterprise.contact_email.like("%@scale.trainhub.test"))
            .order_by(Enterprise.id)))[-n_smes:]
        password_hash = generate_password_hash(LOAD_PASSWORD)  # the production default method
        trainers = [_account(f"load-trainer{n}@trainhub.test", Role.TRAINER, password_hash)
                    for n in range(TRAINERS)]
        coordinators = [_account(f"load-coordinator{n}@trainhub.test", Role.COORDINATOR,
                                 password_hash) for n in range(COORDINATORS)]
        authorities = [_account(f"load-authority{n}@trainhub.test", Role.AUTHORITY,
                                password_hash) for n in range(AUTHORITIES)]
        smes = [_account(f"load-sme{n}@trainhub.test", Role.SME, password_hash, enterprise_id)
                for n, enterprise_id in enumerate(enterprise_ids)]
        session.add_all([*trainers, *coordinators, *authorities, *smes])
        session.flush()
        # the load's coordinators and trainers are the scale project's team (DESIGN §14)
        session.add_all([ProjectMember(project_id=project_id, user_id=user.id, role=user.role)
                         for user in (*trainers, *coordinators)])
        markers = []
        for position, cohort_id in enumerate(cohort_ids):
            trainer = trainers[position % TRAINERS]
            session.execute(update(Cohort).where(Cohort.id == cohort_id)
                            .values(trainer_id=trainer.id))
            marker = (coordinators[position % COORDINATORS]
                      if position % COORDINATOR_MARKS_EVERY == 0 else trainer)
            markers.append({"email": marker.email, "cohort_id": cohort_id})
        session.commit()
        readers = [{"email": user.email}
                   for pair in zip(authorities, coordinators, strict=True) for user in pair]
        accounts = {
            "password": LOAD_PASSWORD,
            "smes": [{"email": user.email, "enterprise_id": user.enterprise_id} for user in smes],
            "markers": markers,
            "readers": readers,
            "probe_cohort_id": cohort_ids[0],
            "probe_accounts": [user.email for user in coordinators],
        }
        db.session.remove()
        db.engine.dispose()
    return accounts


def count_marks(database_url: str, marks_file: Path) -> dict:
    """Compare the marks (and the number of uploads) answered with success to the database.

    `marks_file` (written by the locustfile) maps "session-enrollment" to the last value
    acknowledged and the values sent after it whose answer never came (either may be stored).
    """
    intended = json.loads(marks_file.read_text()) if marks_file.exists() else {}
    cells = {tuple(map(int, key.split("-"))): value for key, value in intended["cells"].items()} \
        if intended else {}
    engine = create_engine(database_url)
    stored = {}
    with engine.connect() as connection:
        uploads_found = connection.scalar(text(
            "SELECT count(*) FROM documents WHERE uploaded_by_id IN "
            "(SELECT id FROM users WHERE email LIKE 'load-sme%')"))
        for session_id, enrollment_id, status in connection.execute(text(
                "SELECT session_id, enrollment_id, status FROM attendance_marks "
                "WHERE enrollment_id IN (SELECT id FROM enrollments WHERE cohort_id = ANY(:c))"),
                {"c": sorted({cohort for cohort in intended.get("cohorts", [])})}):
            stored[(session_id, enrollment_id)] = status
    engine.dispose()
    found = lost = unsure = 0
    for cell, value in cells.items():
        acceptable = {value["acknowledged"], *value["unanswered"]} - {None}
        if value["unanswered"]:
            unsure += 1
        if stored.get(cell) in acceptable:
            found += 1
        elif value["acknowledged"] is not None:
            lost += 1
    uploads = intended.get("acknowledged_uploads", 0)
    return {"marks_sent": intended.get("acknowledged_writes", 0), "cells_written": len(cells),
            "marks_found": found, "lost": lost, "cells_unanswered": unsure,
            "uploads_acknowledged": uploads, "uploads_found": uploads_found,
            "uploads_lost": max(0, uploads - uploads_found),
            "outage_answers": intended.get("outage_answers", 0)}
