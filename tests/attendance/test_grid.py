"""The attendance grid: defaults, validation all-or-nothing, not expected, scoping, queries."""
import threading
from datetime import date, time
from decimal import Decimal

import pytest

from tests.conftest import ON_POSTGRES, run_in_threads
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
from trainhub.attendance.models import AttendanceMark
from trainhub.attendance.services import load_grid, save_grid
from trainhub.courses.models import Cohort, Enrollment
from trainhub.extensions import db

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here


@pytest.fixture
def cohort_world(app):
    trainer = UserFactory(email="trainer@example.org", role="trainer")
    cohort = CohortFactory(trainer=trainer)
    sessions = [TrainingSessionFactory(cohort=cohort, date=date(2026, 3, day),
                                       start_time=time(16), end_time=time(20), hours=Decimal(4))
                for day in (3, 5, 10)]
    firm = EnterpriseFactory()
    early = EnrollmentFactory(cohort=cohort, enrolled_on=date(2026, 3, 1), membership=MembershipFactory(
        project=cohort.project, participant=ParticipantFactory(last_name="Ionescu", enterprise=firm)))
    late = EnrollmentFactory(cohort=cohort, enrolled_on=date(2026, 3, 5), membership=MembershipFactory(
        project=cohort.project, participant=ParticipantFactory(last_name="Popa")))
    db.session.commit()
    return cohort, sessions, early, late, firm


def _marks() -> dict:
    return {(m.session_id, m.enrollment_id): (m.status, m.hours, m.marked_by_id)
            for m in db.session.query(AttendanceMark)}


def test_trainer_saves_a_full_grid_with_default_hours(cohort_world, auth):
    cohort, (s1, s2, s3), early, late, _firm = cohort_world
    auth.login("trainer@example.org")
    response = auth.post(f"/attendance/cohorts/{cohort.id}", {
        f"status-{s1.id}-{early.id}": "present",
        f"status-{s2.id}-{early.id}": "late", f"hours-{s2.id}-{early.id}": "3,5",
        f"status-{s3.id}-{early.id}": "absent",
        f"status-{s2.id}-{late.id}": "excused",
    })
    assert response.status_code == 302
    marks = _marks()
    assert marks[(s1.id, early.id)][:2] == ("present", Decimal(4))
    assert marks[(s2.id, early.id)][:2] == ("late", Decimal("3.5"))
    assert marks[(s3.id, early.id)][:2] == ("absent", Decimal(0))
    assert marks[(s2.id, late.id)][:2] == ("excused", Decimal(0))
    assert len(marks) == 4


@pytest.mark.parametrize("cell, message", [
    ({"status": "present", "hours": "5"}, "hours must be between 0 and 4"),
    ({"status": "absent", "hours": "2"}, "excused or absent means 0 hours"),
    ({"status": "present", "hours": "lots"}, "hours must be a number"),
    ({"status": "asleep", "hours": ""}, "unknown status asleep"),
])
def test_one_bad_cell_saves_nothing_and_says_why(cohort_world, auth, cell, message):
    cohort, (s1, s2, _s3), early, _late, _firm = cohort_world
    auth.login("trainer@example.org")
    response = auth.post(f"/attendance/cohorts/{cohort.id}", {
        f"status-{s1.id}-{early.id}": "present",
        f"status-{s2.id}-{early.id}": cell["status"], f"hours-{s2.id}-{early.id}": cell["hours"],
    })
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _marks() == {}


def test_sessions_before_enrollment_are_not_expected(cohort_world, auth, client):
    cohort, (s1, _s2, _s3), _early, late, _firm = cohort_world
    auth.login("trainer@example.org")
    response = auth.post(f"/attendance/cohorts/{cohort.id}", {f"status-{s1.id}-{late.id}": "absent"})
    assert "before the enrollment date" in response.get_data(as_text=True)
    assert _marks() == {}
    assert 'title="not expected"' in client.get(f"/attendance/cohorts/{cohort.id}").get_data(as_text=True)


def test_marks_for_a_session_of_another_cohort_are_refused(cohort_world, auth):
    cohort, _sessions, early, _late, _firm = cohort_world
    foreign = TrainingSessionFactory()
    db.session.commit()
    auth.login("trainer@example.org")
    response = auth.post(f"/attendance/cohorts/{cohort.id}", {f"status-{foreign.id}-{early.id}": "present"})
    assert response.status_code == 422 and _marks() == {}


def test_mark_all_present_marks_only_expected_unmarked_people(cohort_world, auth):
    cohort, (s1, _s2, _s3), early, late, _firm = cohort_world
    auth.login("trainer@example.org")
    auth.post(f"/attendance/cohorts/{cohort.id}", {"all_present": str(s1.id)})
    assert _marks() == {(s1.id, early.id): ("present", Decimal(4), _marks()[(s1.id, early.id)][2])}


def test_attended_hours_and_rate_are_shown(cohort_world, auth, client):
    cohort, (s1, s2, _s3), early, _late, _firm = cohort_world
    AttendanceMarkFactory(session=s1, enrollment=early, status="present", hours=Decimal(4))
    AttendanceMarkFactory(session=s2, enrollment=early, status="absent", hours=Decimal(0))
    db.session.commit()
    auth.login("trainer@example.org")
    html = client.get(f"/attendance/cohorts/{cohort.id}").get_data(as_text=True)
    # all three sessions are in the past: 4 attended of 12 held hours since enrollment
    assert ">4</td>" in html and ">33%</td>" in html


def test_read_only_grid_has_the_marks_and_totals_of_the_full_one(cohort_world):
    cohort, (s1, s2, _s3), early, late, _firm = cohort_world
    save_grid(db.session, load_grid(db.session, cohort), {
        (s1.id, early.id): ("present", ""), (s2.id, early.id): ("late", "2"),
        (s2.id, late.id): ("absent", "")}, user_id=None)
    full, lean = load_grid(db.session, cohort), load_grid(db.session, cohort, read_only=True)
    assert ({key: (m.status, m.hours) for key, m in lean.marks.items()}
            == {key: (m.status, m.hours) for key, m in full.marks.items()})
    # the same people, in the same order, with the same names, CNPs and enrollment days
    assert [(e.id, e.enrolled_on, e.membership.participant.full_name,
             e.membership.participant.cnp) for e in lean.enrollments] == [
        (e.id, e.enrolled_on, e.membership.participant.full_name, e.membership.participant.cnp)
        for e in full.enrollments] == [
        (early.id, date(2026, 3, 1), early.membership.participant.full_name,
         early.membership.participant.cnp),
        (late.id, date(2026, 3, 5), late.membership.participant.full_name,
         late.membership.participant.cnp)]
    # 6 attended of the 12 hours held since 1 March; the late one missed 8 since 5 March
    assert lean.totals(date(2026, 3, 31)) == {early.id: (Decimal(6), 0.5),
                                             late.id: (Decimal(0), 0.0)}
    # before any session is held nothing counts yet (DESIGN §15: never above 100 %)
    assert lean.totals(date(2026, 2, 1)) == {early.id: (Decimal(0), None),
                                            late.id: (Decimal(0), None)}


def test_refused_grid_shows_what_was_typed_and_readers_see_marks_as_text(cohort_world, auth, client):
    cohort, (s1, s2, _s3), early, _late, firm = cohort_world
    auth.login("trainer@example.org")
    html = auth.post(f"/attendance/cohorts/{cohort.id}", {
        f"status-{s1.id}-{early.id}": "late", f"hours-{s1.id}-{early.id}": "3",
        f"status-{s2.id}-{early.id}": "absent", f"hours-{s2.id}-{early.id}": "2",
    }).get_data(as_text=True)
    typed = html[html.index(f'name="status-{s1.id}-{early.id}"'):]
    assert typed.index('value="late" selected') < typed.index(f'name="hours-{s1.id}-{early.id}"')
    assert f'name="hours-{s1.id}-{early.id}" inputmode="decimal"' in html and 'value="3"' in typed
    auth.post(f"/attendance/cohorts/{cohort.id}", {f"status-{s1.id}-{early.id}": "late",
                                                   f"hours-{s1.id}-{early.id}": "3"})
    auth.logout()
    UserFactory(email="sme@example.org", role="sme", enterprise=firm)
    db.session.commit()
    auth.login("sme@example.org")
    html = client.get(f"/attendance/cohorts/{cohort.id}").get_data(as_text=True)
    assert ">late · 3</td>" in html and "<select" not in html


def test_other_trainer_gets_404_and_sme_sees_only_own_employees(cohort_world, auth, client):
    cohort, _sessions, _early, _late, firm = cohort_world
    UserFactory(email="other@example.org", role="trainer")
    UserFactory(email="sme@example.org", role="sme", enterprise=firm)
    db.session.commit()
    auth.login("other@example.org")
    assert client.get(f"/attendance/cohorts/{cohort.id}").status_code == 404
    assert auth.post(f"/attendance/cohorts/{cohort.id}", {}).status_code == 404
    auth.logout()
    auth.login("sme@example.org")
    html = client.get(f"/attendance/cohorts/{cohort.id}").get_data(as_text=True)
    assert "Ionescu" in html and "Popa" not in html and "<select" not in html


def test_a_narrowed_grid_holds_only_its_peoples_marks(cohort_world, auth, client):
    """The marks are read per cohort and kept per visible enrollment: another firm's marks
    never reach the SME's grid, its totals or its "no scan" warnings."""
    cohort, (s1, s2, _s3), early, late, firm = cohort_world
    save_grid(db.session, load_grid(db.session, cohort), {
        (s1.id, early.id): ("present", ""), (s2.id, late.id): ("late", "2")}, user_id=None)
    own = Enrollment.id == early.id
    for read_only in (True, False):
        grid = load_grid(db.session, cohort, own, read_only=read_only)
        assert list(grid.marks) == [(s1.id, early.id)]
        assert grid.totals(date(2026, 3, 31)) == {early.id: (Decimal(4), 1 / 3)}
    UserFactory(email="sme@example.org", role="sme", enterprise=firm)
    db.session.commit()
    auth.login("sme@example.org")
    html = client.get(f"/attendance/cohorts/{cohort.id}").get_data(as_text=True)
    assert f'data-testid="unbacked-{s1.id}"' in html
    assert f'data-testid="unbacked-{s2.id}"' not in html and "late · 2" not in html


def test_grid_runs_a_constant_number_of_queries(app, auth, client, page_queries):
    UserFactory(email="coord@example.org", role="coordinator")
    cohort = CohortFactory()
    sessions = [TrainingSessionFactory(cohort=cohort) for _ in range(4)]
    db.session.commit()
    auth.login("coord@example.org")

    def queries_with(people: int) -> int:
        while len(cohort.enrollments) < people:
            enrollment = EnrollmentFactory(cohort=cohort, membership=MembershipFactory(project=cohort.project))
            for session in sessions:
                AttendanceMarkFactory(session=session, enrollment=enrollment)
            db.session.commit()
            db.session.refresh(cohort)
        return page_queries(f"/attendance/cohorts/{cohort.id}")

    assert queries_with(3) == queries_with(30)


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent writers need PostgreSQL")
def test_same_cell_saved_twice_at_once_gives_one_mark(app, cohort_world):
    cohort, (s1, _s2, _s3), early, _late, _firm = cohort_world
    start = threading.Barrier(2)

    def save(status: str):
        def job(session) -> None:
            grid = load_grid(session, session.get(Cohort, cohort.id))
            start.wait(timeout=10)
            save_grid(session, grid, {(s1.id, early.id): (status, "")}, user_id=None)
        return job

    errors = run_in_threads(app, save("present"), save("late"))
    assert errors == []
    (mark,) = db.session.query(AttendanceMark).all()
    assert mark.status in {"present", "late"}


def test_saving_a_read_only_grid_writes_only_the_marks_it_names(cohort_world):
    """The grid page posts onto a grid of Core rows: save_grid loads as objects just the marks
    it changes, updates and creates them with who and when, and leaves the others alone."""
    cohort, (s1, s2, s3), early, late, _firm = cohort_world
    kept = AttendanceMarkFactory(session=s1, enrollment=early, status="present", hours=Decimal(4),
                                 remark="a fost")
    AttendanceMarkFactory(session=s2, enrollment=early, status="absent", hours=Decimal(0))
    db.session.commit()
    marker = UserFactory(role="trainer")
    db.session.commit()
    grid = load_grid(db.session, cohort, read_only=True)
    changed = save_grid(db.session, grid, {
        (s2.id, early.id): ("late", "3"), (s3.id, late.id): ("present", ""),
        (s1.id, early.id): ("present", "")}, user_id=marker.id, today=date(2026, 3, 31))
    assert changed == 2
    db.session.expire_all()
    stored = {(m.session_id, m.enrollment_id): m for m in db.session.scalars(db.select(AttendanceMark))}
    assert {key: (m.status, m.hours, m.marked_by_id) for key, m in stored.items()} == {
        (s1.id, early.id): ("present", Decimal(4), kept.marked_by_id),
        (s2.id, early.id): ("late", Decimal(3), marker.id),
        (s3.id, late.id): ("present", Decimal(4), marker.id)}
    assert stored[(s1.id, early.id)].remark == "a fost"
    # the grid shows what was saved, for a page drawn from it afterwards
    assert {key: (m.status, m.hours) for key, m in grid.marks.items()} == {
        key: (m.status, m.hours) for key, m in stored.items()}
    # saving the same again changes nothing, also on a grid read without its marks
    assert save_grid(db.session, load_grid(db.session, cohort, read_only=True), {
        (s2.id, early.id): ("late", "3")}, user_id=marker.id, today=date(2026, 3, 31)) == 0
    bare = load_grid(db.session, cohort, read_only=True, with_marks=False)
    assert bare.marks == {} and save_grid(db.session, bare, {
        (s2.id, early.id): ("late", "3"), (s3.id, early.id): ("excused", "")},
        user_id=marker.id, today=date(2026, 3, 31)) == 1
    assert db.session.scalar(db.select(db.func.count(AttendanceMark.id))) == 4


def test_readers_of_one_cohort_never_share_a_narrowed_statement(cohort_world, auth, client):
    """The read-only grid's scoped enrollment statement is kept per reader's scope: readers of
    two firms, taking turns on the same cohort, each keep seeing only their own people."""
    cohort, _sessions, _early, late, firm = cohort_world
    UserFactory(email="one@example.org", role="sme", enterprise=firm)
    UserFactory(email="two@example.org", role="sme", enterprise=late.membership.participant.enterprise)
    db.session.commit()
    for email, shown, hidden in [("one@example.org", "Ionescu", "Popa"),
                                 ("two@example.org", "Popa", "Ionescu")] * 2:
        auth.login(email)
        html = client.get(f"/attendance/cohorts/{cohort.id}").get_data(as_text=True)
        auth.logout()
        assert shown in html and hidden not in html, email
