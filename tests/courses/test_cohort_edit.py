"""Cohort edit (trainer, seats, location, online link) and adding or removing its sessions."""
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import (
    AttendanceMarkFactory,
    CohortFactory,
    EnrollmentFactory,
    MembershipFactory,
    ProjectFactory,
    TrainingSessionFactory,
    UserFactory,
    join_team,
)
from trainhub.audit.models import AuditEvent
from trainhub.auth.models import User
from trainhub.courses.models import Cohort, TrainingSession
from trainhub.courses.services import (
    CohortClosed,
    CourseError,
    save_session,
    update_cohort,
)
from trainhub.extensions import db

TODAY = date(2026, 3, 10)


def _cohort(**kwargs) -> Cohort:
    cohort = CohortFactory(location="Cluj", **kwargs)
    TrainingSessionFactory(cohort=cohort, date=date(2026, 3, 3), start_time=time(16),
                           end_time=time(20), hours=Decimal(4))
    return cohort


def _change(cohort, **changes):
    values = {"trainer": cohort.trainer, "capacity": cohort.capacity,
              "location": cohort.location, "online_link": cohort.online_link,
              "today": TODAY} | changes
    return update_cohort(db.session, cohort, **values)


# --- services ---------------------------------------------------------------------------------

def test_the_coordinator_changes_trainer_seats_location_and_link_audited(app):
    cohort = _cohort()
    trainer = UserFactory(role="trainer")
    join_team(trainer, cohort.project)
    db.session.commit()
    _change(cohort, trainer=trainer, capacity=30, location="  Cluj,  str. Horea 3 ",
            online_link="https://meet.example.org/g1")
    db.session.expire_all()
    cohort = db.session.get(Cohort, cohort.id)
    assert (cohort.trainer_id, cohort.capacity, cohort.location, cohort.online_link) == (
        trainer.id, 30, "Cluj, str. Horea 3", "https://meet.example.org/g1")
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "cohorts", AuditEvent.entity_id == cohort.id,
        AuditEvent.action == "update")).all()[-1]
    assert event.changes["capacity"] == [20, 30]
    assert event.changes["online_link"] == ["", "https://meet.example.org/g1"]


def test_only_a_trainer_of_the_projects_team_may_teach_the_cohort(app):
    cohort = _cohort()
    stranger = UserFactory(role="trainer")  # on no team of this project
    join_team(stranger, ProjectFactory())
    coordinator = UserFactory(role="coordinator")
    join_team(coordinator, cohort.project)  # on the team, but no trainer
    db.session.commit()
    for user in (stranger, coordinator):
        with pytest.raises(CourseError) as refused:
            _change(cohort, trainer=user)
        assert refused.value.field == "trainer_id"
    db.session.rollback()
    assert db.session.get(Cohort, cohort.id).trainer_id is None


def test_seats_never_fall_below_those_taken_and_the_refusal_says_how_many(app):
    cohort = _cohort(capacity=5)
    for _ in range(3):
        EnrollmentFactory(cohort=cohort, membership=MembershipFactory(project=cohort.project))
    EnrollmentFactory(cohort=cohort, status="withdrawn", withdrawn_on=date(2026, 3, 5),
                      membership=MembershipFactory(project=cohort.project))
    db.session.commit()
    with pytest.raises(CourseError) as refused:
        _change(cohort, capacity=2)
    assert refused.value.field == "capacity"
    assert str(refused.value) == "3 seats are already taken: the cohort cannot have fewer."
    db.session.rollback()
    _change(cohort, capacity=3)  # the withdrawn person holds no seat
    assert db.session.get(Cohort, cohort.id).capacity == 3


@pytest.mark.parametrize("capacity", [0, -1, 501])
def test_seats_outside_the_bounds_are_refused(app, capacity):
    cohort = _cohort()
    db.session.commit()
    with pytest.raises(CourseError) as refused:
        _change(cohort, capacity=capacity)
    assert refused.value.field == "capacity"


def test_more_seats_take_the_first_people_waiting(app):
    cohort = _cohort(capacity=1)
    EnrollmentFactory(cohort=cohort, membership=MembershipFactory(project=cohort.project))
    first = EnrollmentFactory(cohort=cohort, status="waiting", enrolled_on=date(2026, 3, 2),
                              membership=MembershipFactory(project=cohort.project))
    second = EnrollmentFactory(cohort=cohort, status="waiting", enrolled_on=date(2026, 3, 4),
                               membership=MembershipFactory(project=cohort.project))
    db.session.commit()
    _overlaps, promoted = _change(cohort, capacity=2)
    assert promoted == [first]
    assert (first.status, first.enrolled_on, second.status) == ("enrolled", TODAY, "waiting")


@pytest.mark.parametrize("link", [
    "javascript:alert(1)", "ftp://files.example.org/x", "meet.example.org/g1", "http://",
    "https://meet.example.org/a b", "https://meet.example.org/\nx", "http://[::1",
    "data:text/html,<b>x</b>", "https://" + "a" * 500 + ".org",
])
def test_the_online_link_is_an_http_address_only(app, link):
    cohort = _cohort()
    db.session.commit()
    with pytest.raises(CourseError) as refused:
        _change(cohort, online_link=link)
    assert refused.value.field == "online_link"


@pytest.mark.parametrize("link", ["", "http://meet.example.org", "HTTPS://zoom.us/j/123?pwd=x"])
def test_an_http_link_or_none_is_accepted(app, link):
    cohort = _cohort()
    db.session.commit()
    _change(cohort, online_link=f"  {link} ")
    assert db.session.get(Cohort, cohort.id).online_link == link


def test_a_new_trainer_busy_at_the_same_time_gives_a_warning(app):
    cohort = _cohort(code="G-NEW")
    trainer = UserFactory(role="trainer")
    busy = CohortFactory(trainer=trainer, code="G-BUSY", project=cohort.project)
    TrainingSessionFactory(cohort=busy, date=date(2026, 3, 3), start_time=time(18),
                           end_time=time(21), hours=Decimal(3))
    db.session.commit()
    overlaps, _promoted = _change(cohort, trainer=trainer)
    assert overlaps == [(date(2026, 3, 3), "G-BUSY")]
    assert db.session.get(Cohort, cohort.id).trainer_id == trainer.id


def _close(cohort):
    cohort.closed_at, cohort.closed_on = datetime(2026, 4, 1, 12, tzinfo=UTC), date(2026, 4, 1)
    db.session.commit()


def test_a_closed_cohort_is_read_only(app):
    cohort = _cohort()
    _close(cohort)
    with pytest.raises(CohortClosed):
        _change(cohort, capacity=40)
    with pytest.raises(CourseError) as refused:
        save_session(db.session, cohort, None, day=date(2026, 3, 20), start=time(9),
                     end=time(12))
    assert refused.value.field == "date"
    db.session.rollback()
    assert db.session.get(Cohort, cohort.id).capacity == 20
    assert db.session.query(TrainingSession).filter_by(cohort_id=cohort.id).count() == 1


def test_an_added_session_counts_its_hours_and_moves_the_cohorts_dates(app):
    cohort = _cohort()
    db.session.commit()
    save_session(db.session, cohort, None, day=date(2026, 3, 20), start=time(9, 30),
                 end=time(12), topic=" Recapitulare ")
    added = db.session.scalars(select(TrainingSession).where(
        TrainingSession.cohort_id == cohort.id, TrainingSession.date == date(2026, 3, 20))).one()
    assert (added.hours, added.topic) == (Decimal("2.50"), "Recapitulare")
    assert (cohort.start_date, cohort.end_date) == (date(2026, 3, 3), date(2026, 3, 20))
    save_session(db.session, cohort, None, day=date(2026, 2, 24), start=time(9), end=time(12))
    assert cohort.start_date == date(2026, 2, 24)


@pytest.mark.parametrize("day, start, end, field", [
    (date(2026, 3, 20), time(12), time(9), "end_time"),
    (date(2026, 3, 20), time(12), time(12), "end_time"),
    (date(2026, 3, 3), time(16), time(18), "date"),  # the cohort has a session then
])
def test_an_impossible_session_is_refused_on_the_field(app, day, start, end, field):
    cohort = _cohort()
    db.session.commit()
    with pytest.raises(CourseError) as refused:
        save_session(db.session, cohort, None, day=day, start=start, end=end)
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.query(TrainingSession).filter_by(cohort_id=cohort.id).count() == 1


# --- pages ------------------------------------------------------------------------------------

@pytest.fixture
def coordinator(app, auth):
    """A coordinator reading Romanian, on the team of the cohort returned."""
    cohort = _cohort(code="G-ED")
    trainer = UserFactory(role="trainer", full_name="Radu Georgescu")
    join_team(trainer, cohort.project)
    UserFactory(email="coord-ed@example.org", role="coordinator", locale="ro",
                projects=[cohort.project])
    db.session.commit()
    auth.login("coord-ed@example.org")
    return cohort


def _edit_form(cohort, **changes):
    return {"trainer_id": str(cohort.trainer_id or 0), "capacity": str(cohort.capacity),
            "location": cohort.location, "online_link": cohort.online_link} | changes


def test_the_edit_page_saves_and_the_cohort_page_links_the_online_classroom(coordinator, auth,
                                                                              client):
    cohort = coordinator
    trainer = db.session.scalar(select(User).where(User.full_name == "Radu Georgescu"))
    page = client.get(f"/courses/cohorts/{cohort.id}/edit").get_data(as_text=True)
    assert "Radu Georgescu" in page and "Link online" in page
    response = auth.post(f"/courses/cohorts/{cohort.id}/edit", _edit_form(
        cohort, trainer_id=str(trainer.id), capacity="25",
        online_link="https://meet.example.org/g-ed"))
    assert response.status_code == 302
    html = client.get(response.location).get_data(as_text=True)
    assert "Grupa G-ED a fost salvată." in html
    assert '<a href="https://meet.example.org/g-ed"' in html
    assert db.session.get(Cohort, cohort.id).capacity == 25


def test_the_trainer_sees_the_online_link_of_their_cohort(app, auth, client):
    trainer = UserFactory(email="trainer-ed@example.org", role="trainer")
    cohort = _cohort(trainer=trainer)
    cohort.online_link = "https://meet.example.org/own"
    db.session.commit()
    auth.login("trainer-ed@example.org")
    html = client.get(f"/courses/cohorts/{cohort.id}").get_data(as_text=True)
    assert 'href="https://meet.example.org/own"' in html
    assert f"/courses/cohorts/{cohort.id}/edit" not in html  # reading only
    grid = client.get(f"/attendance/cohorts/{cohort.id}").get_data(as_text=True)
    assert 'href="https://meet.example.org/own"' in grid


@pytest.mark.parametrize("changes, field_error", [
    ({"online_link": "javascript:alert(1)"},
     "Indicați o adresă care începe cu http:// sau https://."),
    ({"capacity": "0"}, None),
    ({"capacity": "abc"}, None),
    ({"capacity": "99999999999999999999"}, None),
    ({"trainer_id": "abc"}, None),
    ({"trainer_id": "999999"}, None),
    ({"location": "x" * 301}, None),
])
def test_bad_values_give_field_errors_in_romanian_never_a_500(coordinator, auth, changes,
                                                              field_error):
    cohort = coordinator
    response = auth.post(f"/courses/cohorts/{cohort.id}/edit", _edit_form(cohort, **changes))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Corectați câmpurile marcate mai jos." in html or "invalid-feedback" in html
    if field_error:
        assert field_error in html
    db.session.expire_all()
    assert (db.session.get(Cohort, cohort.id).capacity,
            db.session.get(Cohort, cohort.id).online_link) == (20, "")


def test_too_few_seats_are_refused_with_the_number_in_romanian(coordinator, auth):
    cohort = coordinator
    for _ in range(2):
        EnrollmentFactory(cohort=cohort, membership=MembershipFactory(project=cohort.project))
    db.session.commit()
    html = auth.post(f"/courses/cohorts/{cohort.id}/edit",
                     _edit_form(cohort, capacity="1")).get_data(as_text=True)
    assert "2 locuri sunt deja ocupate: grupa nu poate avea mai puține." in html


def test_a_closed_cohort_cannot_be_edited_nor_get_sessions(coordinator, auth, client):
    cohort = coordinator
    _close(cohort)
    for url in (f"/courses/cohorts/{cohort.id}/edit", f"/courses/cohorts/{cohort.id}/sessions/new"):
        assert client.get(url).status_code == 302
    response = auth.post(f"/courses/cohorts/{cohort.id}/edit", _edit_form(cohort, capacity="40"),
                         follow_redirects=True)
    assert "Grupa G-ED este închisă" in response.get_data(as_text=True)
    auth.post(f"/courses/cohorts/{cohort.id}/sessions/new",
              {"date": "2026-03-20", "start_time": "09:00", "end_time": "12:00"})
    db.session.expire_all()
    assert db.session.get(Cohort, cohort.id).capacity == 20
    assert db.session.query(TrainingSession).filter_by(cohort_id=cohort.id).count() == 1
    page = client.get(f"/courses/cohorts/{cohort.id}").get_data(as_text=True)
    assert 'data-testid="add-session"' not in page and "/edit" not in page


def test_another_projects_cohort_is_not_found(coordinator, auth, client):
    other = _cohort(project=ProjectFactory())
    db.session.commit()
    for url in (f"/courses/cohorts/{other.id}/edit", f"/courses/cohorts/{other.id}/sessions/new"):
        assert client.get(url).status_code == 404
    assert auth.post(f"/courses/cohorts/{other.id}/edit",
                     _edit_form(other, capacity="40")).status_code == 404
    assert auth.post(f"/courses/cohorts/{other.id}/sessions/new", {
        "date": "2026-03-20", "start_time": "09:00", "end_time": "12:00"}).status_code == 404


def test_a_session_is_added_from_the_cohort_page(coordinator, auth, client):
    cohort = coordinator
    assert 'data-testid="add-session"' in client.get(
        f"/courses/cohorts/{cohort.id}").get_data(as_text=True)
    response = auth.post(f"/courses/cohorts/{cohort.id}/sessions/new", {
        "date": "2026-03-24", "start_time": "09:00", "end_time": "13:00", "topic": "Recapitulare"},
        follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Sesiunea a fost adăugată." in html and "2026-03-24" in html
    assert db.session.get(Cohort, cohort.id).end_date == date(2026, 3, 24)


@pytest.mark.parametrize("form, message", [
    ({"date": "2026-03-24", "start_time": "13:00", "end_time": "09:00"},
     "Sesiunea trebuie să se termine după ce începe."),
    ({"date": "9999-12-31", "start_time": "09:00", "end_time": "13:00"},
     "trebuie să fie între 2000-01-01 și 2100-12-31"),
    ({"date": "2026-13-45", "start_time": "09:00", "end_time": "13:00"}, None),
    ({"date": "2026-03-24", "start_time": "25:00", "end_time": "13:00"}, None),
    ({"date": "2026-03-24", "start_time": "09:00", "end_time": "13:00", "topic": "t" * 301},
     None),
    ({}, None),
])
def test_a_bad_session_gives_field_errors_in_romanian_never_a_500(coordinator, auth, form,
                                                                   message):
    cohort = coordinator
    response = auth.post(f"/courses/cohorts/{cohort.id}/sessions/new", form)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Corectați câmpurile marcate mai jos." in html
    if message:
        assert message in html
    assert db.session.query(TrainingSession).filter_by(cohort_id=cohort.id).count() == 1


def test_a_session_without_marks_is_removed_one_with_marks_is_kept(coordinator, auth):
    cohort = coordinator
    late = TrainingSessionFactory(cohort=cohort, date=date(2026, 3, 24), start_time=time(9),
                                  end_time=time(13), hours=Decimal(4))
    marked = cohort.sessions[0]
    AttendanceMarkFactory(session=marked, enrollment=EnrollmentFactory(
        cohort=cohort, membership=MembershipFactory(project=cohort.project)))
    cohort.end_date = date(2026, 3, 24)
    db.session.commit()
    late_id, marked_id = late.id, marked.id
    html = auth.post(f"/courses/sessions/{marked_id}/delete", follow_redirects=True).get_data(
        as_text=True)
    assert "nu poate fi ștearsă" in html
    auth.post(f"/courses/sessions/{late_id}/delete")
    db.session.expire_all()
    assert db.session.get(TrainingSession, late_id) is None
    assert db.session.get(TrainingSession, marked_id) is not None
    assert db.session.get(Cohort, cohort.id).end_date == date(2026, 3, 3)


def test_a_trainer_who_left_the_team_stays_until_someone_else_is_chosen(app):
    trainer = UserFactory(role="trainer")
    cohort = _cohort(trainer=trainer)
    db.session.commit()
    db.session.delete(cohort.project.team[0])
    db.session.commit()
    _change(cohort, capacity=22)  # the other changes are not held up by the trainer
    assert (cohort.trainer_id, cohort.capacity) == (trainer.id, 22)
