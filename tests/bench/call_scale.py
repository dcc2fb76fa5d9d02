"""Call-scale bench (DESIGN §14): one call of 72 projects and ~100,000 people, and the call view.

`python -m tests.bench --only call [--call-people N] [--database-url URL]` builds the dataset
(bulk Core inserts with the indicator-facts triggers off, the facts rebuilt once at the end) and
times the call-wide indicator table against hand-written SQL of the same counts (each person
once per call: target ratio ≤ 1.5), the per-project rows, and the call page. Run the full size
under `flock /tmp/trainhub-bench.lock`; `--call-people 5000` is the quick run.
"""
import random
import time
from datetime import date, timedelta

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from trainhub.core.geography import COUNTIES
from trainhub.courses.models import Cohort, Enrollment
from trainhub.demo import (
    DEMO_REGIONS,
    _scale_enterprise,
    _scale_participant,
    _ScaleContext,
    seed_courses,
)
from trainhub.enterprises.models import Enterprise
from trainhub.indicators import facts
from trainhub.participants.models import Membership, Participant
from trainhub.programme.models import Call, Project, ProjectTarget

PROJECTS = 72
PEOPLE = 100_000
#: share of the people who are in a second project of the call (double financing let through)
SHARED = 0.05
EMPLOYEES_PER_SME = 20
BATCH = 10_000
START = date(2024, 1, 1)


def build_call(session: Session, people: int = PEOPLE, projects: int = PROJECTS,
               seed: str = "call-bench") -> dict:
    """A new call CALL-<people> with `projects` projects sharing `people` people; returns counts."""
    rng = random.Random(seed)
    code = f"CALL-{people}"
    suffix = 1 + session.scalar(select(func.count(Call.id)).where(Call.code.like(f"{code}%")))
    code = code if suffix == 1 else f"{code}-{suffix}"
    call = Call(code=code, name=f"Apel pentru măsurători: {people} persoane", rules=[])
    session.add(call)
    course_id = seed_courses(session)[0].id
    project_rows = []
    for number in range(projects):
        project = Project(call=call, code=f"{code}-P{number + 1:02d}",
                          title=f"Proiectul {number + 1} al apelului", start_date=START,
                          end_date=START + timedelta(days=730), regions=list(DEMO_REGIONS))
        per_project = people // projects
        project.targets = [ProjectTarget(indicator_code=indicator, value=value) for indicator, value
                           in (("TOTAL", per_project), ("WOMEN", per_project * 2 // 5),
                               ("AGE55_64", per_project // 6))]
        session.add(project)
        project_rows.append(project)
    session.flush()
    cohorts = [Cohort(project_id=project.id, course_id=course_id, code=f"{project.code}-G1",
                      capacity=people, start_date=START, end_date=project.end_date)
               for project in project_rows]
    session.add_all(cohorts)
    session.commit()
    project_ids = [project.id for project in project_rows]
    cohort_of = {cohort.project_id: cohort.id for cohort in cohorts}

    connection = session.connection()
    facts.uninstall(connection)  # one rebuild at the end instead of a trigger per row
    next_id = {model: (session.scalar(select(func.max(model.id))) or 0) + 1
               for model in (Enterprise, Participant, Membership, Enrollment)}
    context = _ScaleContext(project_id=0, project_code=code, trainer_id=None,
                            course_ids=[course_id], today=START,
                            counties=[iso for iso, county in COUNTIES.items()
                                      if county.nuts2 in DEMO_REGIONS])
    counts = dict.fromkeys(["enterprises", "participants", "memberships", "enrollments"], 0)
    for first in range(0, people, BATCH):
        rows = _batch(rng, context, first, min(BATCH, people - first), project_ids, cohort_of,
                      next_id)
        for model, batch in rows.items():
            if batch:
                session.execute(insert(model.__table__), batch)
            counts[model.__tablename__] += len(batch)
    facts.rebuild(connection)
    facts.install(connection)
    if connection.dialect.name == "postgresql":
        for model in (Enterprise, Participant, Membership, Enrollment):
            table = model.__tablename__
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"max(id)) FROM {table} HAVING max(id) IS NOT NULL"))
        session.execute(text("ANALYZE"))
    session.commit()
    return {"call": code, "projects": projects, **counts}


def _batch(rng: random.Random, context: _ScaleContext, first: int, size: int,
           project_ids: list[int], cohort_of: dict[int, int], next_id: dict) -> dict:
    """The rows of people first … first + size − 1, their employers, memberships, enrollments."""
    rows = {Enterprise: [], Participant: [], Membership: [], Enrollment: []}
    enterprise = None
    for index in range(first, first + size):
        if enterprise is None or index % EMPLOYEES_PER_SME == 0:
            enterprise = _scale_enterprise(rng, context, index // EMPLOYEES_PER_SME,
                                           _take(next_id, Enterprise))
            rows[Enterprise].append(enterprise)
        person = _scale_participant(rng, enterprise, _take(next_id, Participant))
        if rng.random() < 0.02:
            person["isced"] = None  # not counted: education level missing
        rows[Participant].append(person)
        home = index % len(project_ids)
        joined = [home]
        if rng.random() < SHARED and len(project_ids) > 1:
            joined.append((home + 1 + rng.randrange(len(project_ids) - 1)) % len(project_ids))
        for position in joined:
            project_id = project_ids[position]
            draw = rng.random()
            status = "eligible" if draw < 0.92 else "pending" if draw < 0.97 else "ineligible"
            entry = (START + timedelta(days=rng.randrange(600))) if rng.random() < 0.95 else None
            exit_ = (entry + timedelta(days=rng.randint(20, 90))
                     if entry and rng.random() < 0.6 else None)
            membership_id = _take(next_id, Membership)
            rows[Membership].append({
                "id": membership_id, "project_id": project_id, "participant_id": person["id"],
                "eligibility_status": status, "reasons": [], "evidence": {},
                "decision_stale": False, "entry_date": entry, "exit_date": exit_,
                "exit_reason": "", "consent_text_version": "", "consent_method": ""})
            if entry:
                rows[Enrollment].append({
                    "id": _take(next_id, Enrollment), "cohort_id": cohort_of[project_id],
                    "membership_id": membership_id, "enrolled_on": entry,
                    "status": "completed" if exit_ and rng.random() < 0.8 else "enrolled",
                    "override_reason": ""})
    return rows


def _take(next_id: dict, model) -> int:
    taken = next_id[model]
    next_id[model] = taken + 1
    return taken


#: the call's table written by hand over the source tables, each counted person once (their
#: first entry, age on that day, final exit, any completion): the same counts as compute_call
_CONDITIONS = {
    "TOTAL": "1 = 1", "CO01": "status IN ('unemployed', 'long_term_unemployed')",
    "CO02": "status = 'long_term_unemployed'", "CO03": "status = 'inactive'",
    "CO05": "status IN ('employed', 'self_employed')", "CO06": "age < 25", "CO07": "age > 54",
    "AGE55_64": "age BETWEEN 55 AND 64", "CO09": "isced IN (1, 2)", "CO10": "isced IN (3, 4)",
    "CO11": "isced BETWEEN 5 AND 8", "CO15": "minority IS TRUE", "CO16": "disability IS TRUE",
    "CO19": "environment = 'rural'", "CR03": "completed = 1",
}
_AGE = {"sqlite": "(CAST(substr(entry_date, 1, 4) AS INTEGER) - CAST(substr(birth_date, 1, 4) "
                  "AS INTEGER) - (substr(entry_date, 6, 5) < substr(birth_date, 6, 5)))",
        "postgresql": "CAST(EXTRACT(YEAR FROM age(entry_date, birth_date)) AS INTEGER)"}
_COUNTED = """
    SELECT m.participant_id, p.sex, p.employment_status AS status, p.isced,
           p.minority_or_migrant AS minority, p.disability, p.environment, p.birth_date,
           p.enterprise_id, m.entry_date, m.exit_date,
           CASE WHEN EXISTS (SELECT 1 FROM enrollments e WHERE e.membership_id = m.id
                             AND e.status = 'completed') THEN 1 ELSE 0 END AS completed
    FROM memberships m JOIN participants p ON p.id = m.participant_id
    JOIN projects pr ON pr.id = m.project_id
    WHERE pr.call_id = :call AND m.eligibility_status = 'eligible' AND m.entry_date IS NOT NULL
      AND p.employment_status IS NOT NULL AND p.isced IS NOT NULL"""


def _cells() -> str:
    cells = []
    for code, condition in _CONDITIONS.items():
        day = "exit_date" if code == "CR03" else "entry_date"
        for key, sex in (("men", "M"), ("women", "F")):
            cells.append(f"SUM(CASE WHEN sex = '{sex}' AND {day} BETWEEN :start AND :end "
                         f"AND {condition} THEN 1 ELSE 0 END) AS {code.lower()}_{key}")
    return ", ".join(cells)


def hand_written(dialect: str):
    """The hand-written SQL of the whole call table: one row, `<code>_men`, `<code>_women`
    columns, codes in lower case (CO23: `co23_total`)."""
    return text(f"""
        WITH counted AS ({_COUNTED}),
        people AS (
            SELECT sex, status, isced, minority, disability, environment, birth_date,
                   MIN(entry_date) AS entry_date, MAX(completed) AS completed,
                   CASE WHEN COUNT(exit_date) = COUNT(*) THEN MAX(exit_date) END AS exit_date
            FROM counted
            GROUP BY participant_id, sex, status, isced, minority, disability, environment,
                     birth_date),
        aged AS (SELECT people.*, {_AGE[dialect]} AS age FROM people)
        SELECT {_cells()},
               (SELECT COUNT(*) FROM (SELECT enterprise_id FROM counted
                                      WHERE enterprise_id IS NOT NULL GROUP BY enterprise_id
                                      HAVING MIN(entry_date) BETWEEN :start AND :end) AS firms)
               AS co23_total
        FROM aged""")


def hand_written_by_project(dialect: str):
    """The same table for every project of the call (one row each, with `project_id`)."""
    return text(f"""
        WITH counted AS ({_COUNTED.replace("SELECT m.participant_id", "SELECT m.project_id, m.participant_id")}),
        aged AS (SELECT counted.*, {_AGE[dialect]} AS age FROM counted),
        firms AS (SELECT project_id, COUNT(*) AS n FROM (
                      SELECT project_id, enterprise_id FROM counted
                      WHERE enterprise_id IS NOT NULL GROUP BY project_id, enterprise_id
                      HAVING MIN(entry_date) BETWEEN :start AND :end) AS first_entries
                  GROUP BY project_id)
        SELECT aged.project_id, {_cells()}, MIN(firms.n) AS co23_total
        FROM aged LEFT JOIN firms ON firms.project_id = aged.project_id
        GROUP BY aged.project_id""")


def _as_table(row) -> dict[str, dict]:
    """The hand-written row in compute_call's shape."""
    values = {}
    for code in _CONDITIONS:
        men, women = int(row[f"{code.lower()}_men"] or 0), int(row[f"{code.lower()}_women"] or 0)
        values[code] = {"men": men, "women": women, "total": men + women}
    values["CO23"] = {"men": None, "women": None, "total": int(row["co23_total"] or 0)}
    return values


def _best_of(run, times: int = 3) -> float:
    timings = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return min(timings)


def bench_call(database_url: str, people: int = PEOPLE) -> list[dict]:
    """Build the call dataset, then time the call table (checked cell by cell against the
    hand-written SQL), the project rows and the call page."""
    from tests.conftest import PASSWORD, Auth, make_app
    from tests.factories import UserFactory
    from trainhub.extensions import db
    from trainhub.indicators.services import compute_by_project, compute_call

    app = make_app(SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        counts = build_call(db.session, people)
        build_seconds = time.perf_counter() - started
        call = db.session.scalar(select(Call).where(Call.code == counts["call"]))
        ids = [project.id for project in call.projects]
        start, end = START, START + timedelta(days=730)
        args = {"call": call.id, "start": start, "end": end}
        by_hand = hand_written(db.engine.dialect.name)
        whole = compute_call(db.session, ids, start, end)
        assert whole == _as_table(db.session.execute(by_hand, args).one()._mapping)
        sql_seconds = _best_of(lambda: db.session.execute(by_hand, args).one())
        table_seconds = _best_of(lambda: compute_call(db.session, ids, start, end))
        rows_by_hand = hand_written_by_project(db.engine.dialect.name)
        by_project = compute_by_project(db.session, ids, start, end)
        for row in db.session.execute(rows_by_hand, args):
            assert by_project[row.project_id] == _as_table(row._mapping), row.project_id
        rows_sql_seconds = _best_of(lambda: db.session.execute(rows_by_hand, args).all())
        rows_seconds = _best_of(lambda: compute_by_project(db.session, ids, start, end))
        user = UserFactory(role="authority", email="bench-authority@trainhub.local",
                           password=PASSWORD)
        db.session.commit()
        client = app.test_client()
        Auth(client).login(user.email)
        url = f"/indicators/calls/{call.id}"
        assert client.get(url).status_code == 200
        page_seconds = _best_of(lambda: client.get(url))
        db.session.delete(user)
        db.session.commit()
    return [
        {"figure": "call dataset build", "people": people, "seconds": round(build_seconds, 1),
         **counts},
        {"figure": "call indicator table vs hand-written SQL", "people": people,
         "table_seconds": round(table_seconds, 3), "sql_seconds": round(sql_seconds, 3),
         "ratio": round(table_seconds / sql_seconds, 2), "target_ratio": 1.5},
        {"figure": "call project rows vs hand-written SQL", "people": people,
         "table_seconds": round(rows_seconds, 3), "sql_seconds": round(rows_sql_seconds, 3),
         "ratio": round(rows_seconds / rows_sql_seconds, 2), "target_ratio": 1.5},
        {"figure": "call indicator page", "people": people, "seconds": round(page_seconds, 2)},
    ]
