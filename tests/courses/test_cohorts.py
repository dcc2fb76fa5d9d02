"""Cohorts: sessions generated until the planned hours, trainer overlaps, scoped views."""
from datetime import date, time
from decimal import Decimal

import pytest

from tests.factories import (
    CohortFactory,
    CourseFactory,
    ProjectFactory,
    TrainingSessionFactory,
    UserFactory,
)
from trainhub.courses.models import Cohort, TrainingSession
from trainhub.courses.services import CourseError, plan_sessions
from trainhub.extensions import db

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here


def test_sessions_are_planned_on_the_weekdays_until_the_hours_are_reached():
    slots = plan_sessions(date(2026, 3, 2), {1, 3}, time(16), time(20), Decimal(40))
    assert len(slots) == 10
    assert {day.weekday() for day, _s, _e in slots} == {1, 3}
    assert slots[0][0] == date(2026, 3, 3) and slots[-1][0] == date(2026, 4, 2)


def test_last_session_covers_the_remaining_hours():
    slots = plan_sessions(date(2026, 3, 2), {0}, time(9), time(12), Decimal(10))
    assert len(slots) == 4  # 3 + 3 + 3 + 3 >= 10


@pytest.mark.parametrize("weekdays, start, end, field", [
    (set(), time(9), time(12), "weekdays"),
    ({0}, time(12), time(9), "end_time"),
])
def test_impossible_plans_are_refused_on_the_field(weekdays, start, end, field):
    with pytest.raises(CourseError) as error:
        plan_sessions(date(2026, 3, 2), weekdays, start, end, Decimal(10))
    assert error.value.field == field


@pytest.fixture
def coordinator(app, auth):
    UserFactory(email="coord@example.org", role="coordinator")
    db.session.commit()
    auth.login("coord@example.org")


def _form(project, course, trainer=None, **changes):
    data = {"project_id": project.id, "course_id": course.id, "code": "g-cyb-1",
            "trainer_id": trainer.id if trainer else 0, "capacity": "20",
            "location": "Cluj-Napoca, str. Memorandumului 28", "first_day": "2026-03-02",
            "weekdays": ["1", "3"], "start_time": "16:00", "end_time": "20:00"}
    return data | changes


def test_coordinator_creates_a_cohort_with_generated_sessions(app, auth, client, coordinator):
    project, course = ProjectFactory(), CourseFactory(planned_hours=Decimal(40))
    trainer = UserFactory(role="trainer")
    db.session.commit()
    response = auth.post("/courses/cohorts/new", _form(project, course, trainer))
    assert response.status_code == 302
    cohort = db.session.query(Cohort).filter_by(code="G-CYB-1").one()
    assert (cohort.trainer_id, cohort.start_date, cohort.end_date) == (
        trainer.id, date(2026, 3, 3), date(2026, 4, 2))
    assert db.session.query(TrainingSession).filter_by(cohort_id=cohort.id).count() == 10
    html = client.get(response.location).get_data(as_text=True)
    assert "2026-04-02" in html and "16:00–20:00" in html


def test_overlapping_trainer_sessions_give_a_warning(app, auth, client, coordinator):
    trainer = UserFactory(role="trainer")
    busy = CohortFactory(trainer=trainer, code="G-BUSY")
    TrainingSessionFactory(cohort=busy, date=date(2026, 3, 5), start_time=time(18),
                           end_time=time(21), hours=Decimal(3))
    project, course = ProjectFactory(), CourseFactory(planned_hours=Decimal(8))
    db.session.commit()
    response = auth.post("/courses/cohorts/new", _form(project, course, trainer), follow_redirects=True)
    assert "also teaches G-BUSY on 2026-03-05" in response.get_data(as_text=True)


def test_bad_cohort_input_writes_nothing(app, auth, coordinator):
    project, course = ProjectFactory(), CourseFactory()
    CohortFactory(code="G-TAKEN")
    db.session.commit()
    for changes, message in (
        ({"code": "g-taken"}, "Another cohort already has the code G-TAKEN."),
        ({"weekdays": []}, "Choose at least one weekday."),
        ({"end_time": "15:00"}, "The session must end after it starts."),
        ({"capacity": "0"}, "Number must be between 1 and 500."),
        ({"first_day": "2026-02-30"}, "Not a valid date value."),
    ):
        response = auth.post("/courses/cohorts/new", _form(project, course, **changes))
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    assert db.session.query(Cohort).count() == 1


def test_trainer_sees_only_own_cohorts(app, auth, client):
    trainer = UserFactory(email="trainer@example.org", role="trainer")
    own, other = CohortFactory(trainer=trainer, code="G-OWN"), CohortFactory(code="G-OTHER")
    db.session.commit()
    auth.login("trainer@example.org")
    html = client.get("/courses/cohorts").get_data(as_text=True)
    assert "G-OWN" in html and "G-OTHER" not in html
    page = client.get(f"/courses/cohorts/{own.id}").get_data(as_text=True)
    assert "<title>G-OWN · TrainHub</title>" in page
    assert client.get(f"/courses/cohorts/{other.id}").status_code == 404


def test_cohort_list_runs_a_constant_number_of_queries(app, client, coordinator, page_queries):
    def queries_with(total: int) -> int:
        while db.session.query(Cohort).count() < total:
            CohortFactory(trainer=UserFactory(role="trainer"))
        db.session.commit()
        return page_queries("/courses/cohorts")

    assert queries_with(10) == queries_with(100)


def test_session_with_marks_cannot_be_deleted(app, auth, client, coordinator):
    from tests.factories import AttendanceMarkFactory

    marked = AttendanceMarkFactory().session
    empty = TrainingSessionFactory(cohort=marked.cohort)
    db.session.commit()
    response = auth.post(f"/courses/sessions/{marked.id}/delete", follow_redirects=True)
    assert "has 1 attendance mark; it cannot be deleted" in response.get_data(as_text=True)
    auth.post(f"/courses/sessions/{empty.id}/delete")
    assert {s.id for s in db.session.query(TrainingSession)} == {marked.id}


def test_trainer_calendar_lists_own_sessions_by_day(app, auth, client, page_queries):
    trainer = UserFactory(email="trainer@example.org", role="trainer")
    own = CohortFactory(trainer=trainer, code="G-MINE")
    TrainingSessionFactory(cohort=own, date=date(2026, 12, 1))
    TrainingSessionFactory(cohort=own, date=date(2025, 1, 1))  # before the chosen day
    TrainingSessionFactory(cohort=CohortFactory(code="G-THEIRS"), date=date(2026, 12, 1))
    db.session.commit()
    auth.login("trainer@example.org")
    html = client.get("/courses/sessions?from=2026-11-01").get_data(as_text=True)
    assert "Tuesday, 1 December 2026" in html and "G-MINE" in html
    assert "G-THEIRS" not in html and "January 2025" not in html
    few = page_queries("/courses/sessions?from=2020-01-01")
    for _ in range(20):
        TrainingSessionFactory(cohort=CohortFactory(trainer=trainer), date=date(2026, 12, 2))
    db.session.commit()
    assert page_queries("/courses/sessions?from=2020-01-01") == few


def test_session_is_moved_and_its_hours_follow_the_times(app, auth, coordinator):
    session = TrainingSessionFactory(date=date(2026, 3, 3))
    db.session.commit()
    response = auth.post(f"/courses/sessions/{session.id}/edit", {
        "date": "2026-03-04", "start_time": "09:00", "end_time": "12:30", "topic": "Parole"})
    assert response.status_code == 302
    db.session.refresh(session)
    assert (session.date, session.hours, session.topic) == (date(2026, 3, 4), Decimal("3.50"), "Parole")


def test_the_cohort_dates_follow_its_sessions_when_one_moves_or_goes(app, auth, coordinator):
    first = TrainingSessionFactory(date=date(2026, 3, 3))
    cohort = first.cohort
    last = TrainingSessionFactory(cohort=cohort, date=date(2026, 3, 5))
    cohort.start_date, cohort.end_date = date(2026, 3, 3), date(2026, 3, 5)
    db.session.commit()
    response = auth.post(f"/courses/sessions/{last.id}/edit", {
        "date": "2026-03-10", "start_time": "09:00", "end_time": "12:00", "topic": ""})
    assert response.status_code == 302
    db.session.refresh(cohort)
    assert (cohort.start_date, cohort.end_date) == (date(2026, 3, 3), date(2026, 3, 10))
    assert auth.post(f"/courses/sessions/{first.id}/delete").status_code == 302
    db.session.refresh(cohort)
    assert (cohort.start_date, cohort.end_date) == (date(2026, 3, 10), date(2026, 3, 10))


def test_marked_session_keeps_its_day(app, auth, coordinator):
    from tests.factories import AttendanceMarkFactory

    session = AttendanceMarkFactory().session
    day = session.date
    db.session.commit()
    response = auth.post(f"/courses/sessions/{session.id}/edit", {
        "date": "2030-01-01", "start_time": "09:00", "end_time": "12:00", "topic": ""})
    assert "its day cannot change" in response.get_data(as_text=True)
    db.session.refresh(session)
    assert session.date == day


def test_a_session_cannot_move_onto_another_session_of_its_cohort(app, auth, coordinator):
    """Found by the lifecycle state machine: the move broke the one-session-per-start rule
    in the database and the page failed with a 500."""
    cohort = CohortFactory()
    kept = TrainingSessionFactory(cohort=cohort, date=date(2026, 3, 3), start_time=time(16))
    moved = TrainingSessionFactory(cohort=cohort, date=date(2026, 3, 5), start_time=time(9))
    db.session.commit()
    response = auth.post(f"/courses/sessions/{moved.id}/edit", {
        "date": "2026-03-03", "start_time": "16:00", "end_time": "17:00", "topic": ""})
    assert response.status_code == 200
    assert "already has a session on 2026-03-03 at 16:00" in response.get_data(as_text=True)
    db.session.refresh(moved)
    assert (moved.date, moved.start_time) == (date(2026, 3, 5), time(9))
    assert db.session.get(TrainingSession, kept.id).date == date(2026, 3, 3)
