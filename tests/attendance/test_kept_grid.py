"""The attendance grid's kept rows and headers follow every write that changes them, and are
never shown to another reader, in another language or on another day."""
import re
from datetime import date, time
from decimal import Decimal

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.sql.util import find_tables

from tests.factories import (
    AttendanceMarkFactory,
    CohortFactory,
    EnrollmentFactory,
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    TrainingSessionFactory,
    UserFactory,
)
from trainhub.attendance import services, views
from trainhub.attendance.models import AttendanceMark, SignInSheet
from trainhub.auth.models import Role, User
from trainhub.auth.scoping import narrowed, visible_condition
from trainhub.core import counts
from trainhub.courses.models import Cohort, Enrollment, TrainingSession
from trainhub.extensions import db
from trainhub.participants.models import Participant
from trainhub.programme.models import ProjectMember

pytestmark = pytest.mark.usefixtures("one_team")


@pytest.fixture
def world(app):
    """A cohort with two sessions held and one to come, two people of two firms, one mark;
    its trainer and a reader of each firm."""
    trainer = UserFactory(email="trainer@example.org", role="trainer")
    cohort = CohortFactory(trainer=trainer)
    sessions = [TrainingSessionFactory(cohort=cohort, date=day, start_time=time(16),
                                       end_time=time(20), hours=Decimal(4))
                for day in (date(2026, 3, 3), date(2026, 3, 5), date(2099, 1, 5))]
    firms = [EnterpriseFactory(), EnterpriseFactory()]
    people = [EnrollmentFactory(cohort=cohort, enrolled_on=date(2026, 3, 1),
                                membership=MembershipFactory(
                                    project=cohort.project,
                                    participant=ParticipantFactory(last_name=last, enterprise=firm)))
              for last, firm in (("Avram", firms[0]), ("Popa", firms[1]))]
    AttendanceMarkFactory(session=sessions[0], enrollment=people[0], status="late",
                          hours=Decimal("2.5"), remark="bus")
    for number, firm in enumerate(firms, start=1):
        UserFactory(email=f"sme{number}@example.org", role="sme", enterprise=firm)
    UserFactory(email="coordinator@example.org", role="coordinator")
    db.session.commit()
    return cohort, sessions, people


def _page(client, cohort) -> str:
    response = client.get(f"/attendance/cohorts/{cohort.id}")
    assert response.status_code == 200
    return re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))


def _made_afresh(client, cohort, monkeypatch) -> str:
    """The same page with nothing kept: no version, so every row is read and made."""
    with monkeypatch.context() as patched:
        patched.setattr(counts, "data_version", lambda *_args: None)
        return _page(client, cohort)


def _mark_saved(cohort, sessions, people, auth):
    response = auth.post(f"/attendance/cohorts/{cohort.id}",
                         {f"status-{sessions[1].id}-{people[1].id}": "present"},
                         follow_redirects=True)  # the page that shows the flashed message
    assert "1 mark saved." in response.get_data(as_text=True)


def _mark_by_plain_sql(cohort, sessions, people, auth):
    db.session.execute(text("UPDATE attendance_marks SET remark = 'train & <bus>' "
                            "WHERE enrollment_id = :id"), {"id": people[0].id})


def _mark_deleted(cohort, sessions, people, auth):
    db.session.execute(delete(AttendanceMark))


def _session_added(cohort, sessions, people, auth):
    TrainingSessionFactory(cohort=cohort, date=date(2026, 3, 10), start_time=time(9),
                           end_time=time(12), hours=Decimal(3))


def _session_moved(cohort, sessions, people, auth):
    db.session.execute(update(TrainingSession).where(TrainingSession.id == sessions[1].id)
                       .values(date=date(2026, 3, 6)))


def _person_enrolled(cohort, sessions, people, auth):
    EnrollmentFactory(cohort=cohort, enrolled_on=date(2026, 3, 4), membership=MembershipFactory(
        project=cohort.project, participant=ParticipantFactory(last_name="Ionescu")))


def _person_put_on_waiting_list(cohort, sessions, people, auth):
    db.session.execute(update(Enrollment).where(Enrollment.id == people[1].id)
                       .values(status="waiting"))


def _enrolled_later(cohort, sessions, people, auth):
    db.session.execute(update(Enrollment).where(Enrollment.id == people[1].id)
                       .values(enrolled_on=date(2026, 3, 4)))


def _person_renamed(cohort, sessions, people, auth):
    db.session.execute(update(Participant)
                       .where(Participant.id == people[1].membership.participant_id)
                       .values(last_name="O'Neil <b>"))


def _sheet_scanned(cohort, sessions, people, auth):
    db.session.add(SignInSheet(session_id=sessions[0].id, scan_key="ab" * 32,
                               scan_original_name="sheet.pdf"))


def _cohort_closed(cohort, sessions, people, auth):
    db.session.execute(update(Cohort).where(Cohort.id == cohort.id)
                       .values(closed_at=db.func.now(), closed_on=date(2026, 3, 20)))


WRITES = {"mark saved": _mark_saved, "mark by plain SQL": _mark_by_plain_sql,
          "mark deleted": _mark_deleted, "session added": _session_added,
          "session moved": _session_moved, "person enrolled": _person_enrolled,
          "person put on the waiting list": _person_put_on_waiting_list,
          "enrolled later": _enrolled_later, "person renamed": _person_renamed,
          "sheet scanned": _sheet_scanned, "cohort closed": _cohort_closed}


@pytest.mark.parametrize("write", WRITES)
def test_the_kept_grid_follows_every_write(world, auth, client, monkeypatch, write):
    cohort, sessions, people = world
    auth.login("trainer@example.org")
    before = _page(client, cohort)
    assert _page(client, cohort) == before == _made_afresh(client, cohort, monkeypatch)
    WRITES[write](cohort, sessions, people, auth)
    db.session.commit()
    after = _page(client, cohort)
    assert after != before
    assert after == _made_afresh(client, cohort, monkeypatch)


def test_each_reader_sees_their_own_rows_whoever_came_first(world, auth, client):
    cohort, _sessions, _people = world
    shown = {}
    for email in ("sme1@example.org", "sme2@example.org", "trainer@example.org",
                  "sme1@example.org"):
        auth.login(email)
        shown.setdefault(email, []).append(_page(client, cohort))
        auth.logout()
    assert "Avram" in shown["sme1@example.org"][0] and "Popa" not in shown["sme1@example.org"][0]
    assert "Popa" in shown["sme2@example.org"][0] and "Avram" not in shown["sme2@example.org"][0]
    assert "Avram" in shown["trainer@example.org"][0] and "Popa" in shown["trainer@example.org"][0]
    first, again = shown["sme1@example.org"]
    assert first == again


def test_a_reader_moved_to_another_firm_sees_its_rows(world, auth, client):
    cohort, _sessions, people = world
    auth.login("sme1@example.org")
    assert "Avram" in _page(client, cohort)
    db.session.execute(update(User).where(User.email == "sme1@example.org")
                       .values(enterprise_id=people[1].membership.participant.enterprise_id))
    db.session.commit()
    html = _page(client, cohort)
    assert "Popa" in html and "Avram" not in html


def test_a_coordinator_who_leaves_the_team_no_longer_sees_the_grid(world, auth, client):
    cohort, _sessions, _people = world
    auth.login("coordinator@example.org")
    assert "Avram" in _page(client, cohort)
    db.session.execute(delete(ProjectMember).where(ProjectMember.project_id == cohort.project_id,
                                                   ProjectMember.user_id != cohort.trainer_id))
    db.session.commit()
    assert client.get(f"/attendance/cohorts/{cohort.id}").status_code == 404


def test_each_language_and_day_gets_its_own_grid(world, auth, client, monkeypatch):
    cohort, sessions, _people = world
    auth.login("trainer@example.org")
    auth.post("/language", {"locale": "ro", "next": "/"})
    romanian = _page(client, cohort)
    auth.post("/language", {"locale": "en", "next": "/"})
    english = _page(client, cohort)
    assert "Prezență" in romanian and "Attendance" in english
    assert english == _made_afresh(client, cohort, monkeypatch)

    class OnTheDay(date):
        @classmethod
        def today(cls):
            return date(2026, 3, 4)  # the second session is not held yet

    monkeypatch.setattr(views, "date", OnTheDay)
    earlier = _page(client, cohort)
    assert earlier != english
    assert f"status-{sessions[1].id}-" not in earlier and f"status-{sessions[1].id}-" in english
    assert earlier == _made_afresh(client, cohort, monkeypatch)


def test_a_refused_save_shows_what_was_typed_not_the_kept_grid(world, auth, client):
    cohort, sessions, people = world
    auth.login("trainer@example.org")
    _page(client, cohort)
    response = auth.post(f"/attendance/cohorts/{cohort.id}",
                         {f"status-{sessions[0].id}-{people[0].id}": "present",
                          f"hours-{sessions[0].id}-{people[0].id}": "99"})
    assert response.status_code == 422
    assert 'value="99"' in response.get_data(as_text=True)
    assert 'value="99"' not in _page(client, cohort)


def test_a_kept_grid_runs_three_queries(world, auth, client, page_queries):
    cohort, _sessions, _people = world
    auth.login("trainer@example.org")
    url = f"/attendance/cohorts/{cohort.id}"
    made = page_queries(url)
    # the user, the cohort (its scope), the data version (a trainer's layout has no badge)
    assert page_queries(url) == 3 < made


@pytest.mark.parametrize("role", list(Role))
def test_the_grid_reads_only_tables_that_change_the_version(app, role):
    """What the grid reads, for every reader's scope, is in GRID_TABLES, and every write of
    those changes the data version (SQLite's triggers; PostgreSQL's snapshot)."""
    user = UserFactory(role=role.value,
                       enterprise=EnterpriseFactory() if role is Role.SME else None)
    db.session.commit()
    statements = [services._SESSIONS_OF_COHORT, services._MARK_ROWS_OF_COHORT,
                  services._SCANNED,
                  narrowed(services._ENROLLMENT_ROWS_OF_COHORT,
                           visible_condition(Enrollment, user))]
    read = {table.name for stmt in statements for table in find_tables(stmt)}
    assert read <= services.GRID_TABLES <= set(counts.VERSIONED_TABLES)
