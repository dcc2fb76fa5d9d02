"""The enrollment gate, the waiting list, withdrawal with promotion, bulk enrollment."""
import threading
from datetime import date

import pytest

from tests.conftest import ON_POSTGRES, run_in_threads
from tests.factories import (
    AttendanceMarkFactory,
    CohortFactory,
    EnrollmentFactory,
    MembershipFactory,
    TrainingSessionFactory,
    UserFactory,
)
from trainhub.audit.models import AuditEvent
from trainhub.courses.models import Cohort, Enrollment
from trainhub.courses.services import EnrollmentRefused, enroll, withdraw
from trainhub.extensions import db
from trainhub.participants.models import Membership

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here

TODAY = date(2026, 3, 1)


def _member(cohort, status="eligible"):
    return MembershipFactory(project=cohort.project, eligibility_status=status)


def test_ineligible_person_is_refused_with_the_reason(app):
    cohort = CohortFactory()
    with pytest.raises(EnrollmentRefused) as refused:
        enroll(db.session, cohort, _member(cohort, "ineligible"), TODAY)
    assert "Eligibility is ineligible" in str(refused.value)
    assert db.session.query(Enrollment).count() == 0


def test_member_of_another_project_is_refused(app):
    cohort = CohortFactory()
    with pytest.raises(EnrollmentRefused, match="not a member of this cohort's project"):
        enroll(db.session, cohort, MembershipFactory(), TODAY)


def test_one_active_enrollment_per_course(app):
    cohort = CohortFactory(code="G-A")
    twin = CohortFactory(code="G-B", course=cohort.course, project=cohort.project)
    member = _member(cohort)
    enroll(db.session, cohort, member, TODAY)
    with pytest.raises(EnrollmentRefused, match=r"cohort G-A"):
        enroll(db.session, twin, member, TODAY)


def test_full_cohort_puts_people_on_the_waiting_list_and_withdrawal_promotes(app):
    cohort = CohortFactory(capacity=1)
    first, second, third = (_member(cohort) for _ in range(3))
    seat = enroll(db.session, cohort, first, TODAY)
    waiting = enroll(db.session, cohort, second, TODAY)
    later = enroll(db.session, cohort, third, TODAY)
    assert (seat.status, waiting.status, later.status) == ("enrolled", "waiting", "waiting")
    promoted = withdraw(db.session, seat, date(2026, 3, 10))
    assert promoted.id == waiting.id and promoted.status == "enrolled"
    assert (seat.status, seat.withdrawn_on) == ("withdrawn", date(2026, 3, 10))
    assert later.status == "waiting"


def test_document_override_is_recorded_with_its_reason(app):
    cohort = CohortFactory()
    coordinator = UserFactory(role="coordinator")
    enrollment = enroll(db.session, cohort, _member(cohort), TODAY,
                        override_reason="Adeverința vine mâine", user_id=coordinator.id)
    assert enrollment.override_reason == "Adeverința vine mâine"
    event = db.session.query(AuditEvent).filter_by(action="enrollment.override_documents").one()
    assert (event.user_id, event.changes) == (coordinator.id, {"reason": "Adeverința vine mâine"})


def test_bulk_enrollment_reports_each_person(app, auth, client):
    UserFactory(email="coord@example.org", role="coordinator")
    cohort = CohortFactory(capacity=1)
    good, waiting, bad = _member(cohort), _member(cohort), _member(cohort, "pending")
    db.session.commit()
    auth.login("coord@example.org")
    response = auth.post(f"/courses/cohorts/{cohort.id}/enroll",
                         {"membership_ids": [str(good.id), str(waiting.id), str(bad.id)]},
                         follow_redirects=True)
    html = response.get_data(as_text=True)
    assert f"{good.participant.full_name} enrolled." in html
    assert "waiting list: the cohort is full" in html
    assert "was not enrolled: Eligibility is pending" in html
    statuses = {e.membership_id: e.status for e in db.session.query(Enrollment)}
    assert statuses == {good.id: "enrolled", waiting.id: "waiting"}


def test_withdraw_twice_is_refused(app):
    cohort = CohortFactory()
    enrollment = EnrollmentFactory(cohort=cohort, membership=_member(cohort), status="withdrawn",
                                   withdrawn_on=TODAY, enrolled_on=TODAY)
    with pytest.raises(EnrollmentRefused):
        withdraw(db.session, enrollment, TODAY)


@pytest.mark.skipif(not ON_POSTGRES, reason="row locks are a PostgreSQL matter; SQLite serialises writes")
def test_two_requests_for_the_last_seat_take_it_once(app):
    cohort = CohortFactory(capacity=1)
    first, second = _member(cohort), _member(cohort)
    db.session.commit()
    start = threading.Barrier(2)

    def take_seat(membership_id: int):
        def job(session) -> None:
            own_cohort = session.get(Cohort, cohort.id)
            membership = session.get(Membership, membership_id)
            start.wait(timeout=10)
            enroll(session, own_cohort, membership, TODAY)
        return job

    errors = run_in_threads(app, take_seat(first.id), take_seat(second.id))
    assert errors == []
    assert sorted(e.status for e in db.session.query(Enrollment)) == ["enrolled", "waiting"]


def test_the_coordinator_sets_the_enrollment_date_with_an_audited_reason(app, auth, client):
    UserFactory(email="coord-date@example.org", role="coordinator")
    enrollment = EnrollmentFactory(enrolled_on=date(2026, 3, 1))
    early = TrainingSessionFactory(cohort=enrollment.cohort, date=date(2026, 3, 2))
    TrainingSessionFactory(cohort=enrollment.cohort, date=date(2026, 3, 9))
    db.session.commit()
    auth.login("coord-date@example.org")
    url = f"/courses/enrollments/{enrollment.id}/enrolled-on"
    for form in ({"enrolled_on": "2026-03-05", "reason": ""},
                 {"enrolled_on": "not a date", "reason": "x"},
                 {"enrolled_on": "", "reason": "x"}):
        assert auth.post(url, form).status_code == 302
        db.session.refresh(enrollment)
        assert enrollment.enrolled_on == date(2026, 3, 1)
    auth.post(url, {"enrolled_on": "2026-03-05", "reason": "a venit din a doua săptămână"})
    db.session.refresh(enrollment)
    assert enrollment.enrolled_on == date(2026, 3, 5)
    event = db.session.query(AuditEvent).filter_by(action="enrollment.enrolled_on").one()
    assert event.changes == {"from": "2026-03-01", "to": "2026-03-05",
                             "reason": "a venit din a doua săptămână"}
    grid = client.get(f"/attendance/cohorts/{enrollment.cohort_id}").get_data(as_text=True)
    assert f'name="status-{early.id}-{enrollment.id}"' not in grid  # not expected any more
    # a mark on a session before the new date blocks moving it past that session
    AttendanceMarkFactory(session=early, enrollment=enrollment, status="present")
    enrollment.enrolled_on = date(2026, 3, 1)
    db.session.commit()
    page = auth.post(url, {"enrolled_on": "2026-03-05", "reason": "greșit"},
                     follow_redirects=True).get_data(as_text=True)
    assert "marks before that date (2026-03-02)" in page
    db.session.refresh(enrollment)
    assert enrollment.enrolled_on == date(2026, 3, 1)


def test_enrolling_takes_the_date_chosen(app, auth):
    UserFactory(email="coord-date@example.org", role="coordinator")
    cohort = CohortFactory()
    membership = MembershipFactory(project=cohort.project, eligibility_status="eligible")
    db.session.commit()
    auth.login("coord-date@example.org")
    auth.post(f"/courses/cohorts/{cohort.id}/enroll", {
        "membership_ids": str(membership.id), "enrolled_on": "2026-02-20",
        "override_reason": "documente în curs"})
    assert db.session.query(Enrollment).one().enrolled_on == date(2026, 2, 20)


# --- a person who withdrew comes back ---------------------------------------------------------

def _withdrawn_with_a_mark(cohort):
    member = _member(cohort)
    enrollment = enroll(db.session, cohort, member, TODAY, enrolled_on=date(2026, 2, 1))
    held = TrainingSessionFactory(cohort=cohort, date=date(2026, 2, 10))
    AttendanceMarkFactory(session=held, enrollment=enrollment, status="present")
    withdraw(db.session, enrollment, date(2026, 2, 20))
    return member, enrollment


def test_coming_back_needs_a_reason_and_changes_nothing_without_it(app):
    cohort = CohortFactory()
    member, enrollment = _withdrawn_with_a_mark(cohort)
    with pytest.raises(EnrollmentRefused, match="withdrew from this cohort on 2026-02-20"):
        enroll(db.session, cohort, member, TODAY)
    db.session.rollback()
    db.session.refresh(enrollment)
    assert (enrollment.status, enrollment.withdrawn_on) == ("withdrawn", date(2026, 2, 20))


def test_coming_back_reactivates_the_enrollment_keeping_its_date_marks_and_history(app):
    cohort = CohortFactory()
    member, enrollment = _withdrawn_with_a_mark(cohort)
    back = enroll(db.session, cohort, member, TODAY, user_id=None,
                  enrolled_on=TODAY, reactivation_reason="s-a vindecat, revine la curs")
    assert back.id == enrollment.id and back.status == "enrolled" and back.withdrawn_on is None
    assert back.enrolled_on == date(2026, 2, 1)  # the mark of 10 Feb stays an expected session
    assert len(back.marks) == 1
    event = db.session.query(AuditEvent).filter_by(action="enrollment.reactivated").one()
    assert event.entity_id == enrollment.id
    assert event.changes["withdrawn_on"] == "2026-02-20"
    assert event.changes["reason"] == "s-a vindecat, revine la curs"
    assert db.session.query(Enrollment).filter_by(membership_id=member.id).count() == 1


def test_the_cohort_page_takes_a_returning_person_back_with_the_reason(app, auth):
    cohort = CohortFactory()
    member, enrollment = _withdrawn_with_a_mark(cohort)
    UserFactory(email="coord@example.org", role="coordinator", locale="ro")
    db.session.commit()
    auth.login("coord@example.org")
    page = auth.post(f"/courses/cohorts/{cohort.id}/enroll",
                     {"membership_ids": str(member.id)}, follow_redirects=True)
    assert "s-a retras din această grupă pe 2026-02-20" in page.get_data(as_text=True)
    assert 'name="reactivation_reason"' in page.get_data(as_text=True)
    auth.post(f"/courses/cohorts/{cohort.id}/enroll",
              {"membership_ids": str(member.id), "reactivation_reason": "revine"})
    db.session.refresh(enrollment)
    assert enrollment.status == "enrolled" and enrollment.withdrawn_on is None
