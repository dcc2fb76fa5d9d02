"""QR self check-in: today's code only, last 6 CNP digits, replay-safe, rate-limited."""
from datetime import date, timedelta

import pytest

from tests.conftest import csrf_token_from
from tests.factories import (
    CohortFactory,
    EnrollmentFactory,
    MembershipFactory,
    ParticipantFactory,
    TrainingSessionFactory,
    UserFactory,
)
from trainhub.attendance.models import AttendanceMark
from trainhub.attendance.services import check_in_code
from trainhub.extensions import db

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here


@pytest.fixture
def today_session(app):
    cohort = CohortFactory()
    session = TrainingSessionFactory(cohort=cohort, date=date.today())
    person = ParticipantFactory(first_name="Ioana")
    EnrollmentFactory(cohort=cohort, enrolled_on=date.today() - timedelta(days=7),
                      membership=MembershipFactory(project=cohort.project, participant=person))
    db.session.commit()
    return session, person


def _check_in(app, client, session, digits, code=None):
    code = code or check_in_code(app.config["SECRET_KEY"], session)
    url = f"/check-in/{session.id}/{code}"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={"cnp_tail": digits, "csrf_token": token})


def test_trainee_checks_in_with_the_last_six_cnp_digits(app, client, today_session):
    session, person = today_session
    response = _check_in(app, client, session, person.cnp[-6:])
    assert response.status_code == 200 and "Ioana" in response.get_data(as_text=True)
    mark = db.session.query(AttendanceMark).one()
    assert (mark.status, mark.source, mark.hours) == ("present", "qr", session.hours)


def test_replayed_check_in_adds_nothing(app, client, today_session):
    session, person = today_session
    _check_in(app, client, session, person.cnp[-6:])
    assert _check_in(app, client, session, person.cnp[-6:]).status_code == 200
    assert db.session.query(AttendanceMark).count() == 1


def test_yesterdays_code_is_refused(app, client, today_session):
    _session, person = today_session
    yesterday = TrainingSessionFactory(cohort=_session.cohort, date=date.today() - timedelta(days=1))
    db.session.commit()
    response = _check_in(app, client, yesterday, person.cnp[-6:])
    assert response.status_code == 422
    assert "valabil doar pe" in response.get_data(as_text=True)  # trainees see Romanian
    assert db.session.query(AttendanceMark).count() == 0


@pytest.mark.parametrize("digits, message", [
    ("000000", "Nicio persoană așteptată la această sesiune nu are aceste cifre."),
    ("12ab", "Introduceți ultimele 6 cifre ale CNP-ului."),
])
def test_wrong_digits_are_refused(app, client, today_session, digits, message):
    session, _person = today_session
    response = _check_in(app, client, session, digits)
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_forged_code_is_refused(app, client, today_session):
    session, person = today_session
    response = _check_in(app, client, session, person.cnp[-6:], code="0" * 20)
    assert response.status_code == 422 and db.session.query(AttendanceMark).count() == 0


def test_a_code_in_another_script_is_refused_not_a_crash(app, client, today_session):
    session, person = today_session
    response = _check_in(app, client, session, person.cnp[-6:], code="\u0661" * 20)
    assert response.status_code == 422 and db.session.query(AttendanceMark).count() == 0


def test_check_in_is_rate_limited(app, client, today_session):
    session, _person = today_session
    statuses = [_check_in(app, client, session, "000000").status_code for _ in range(11)]
    assert statuses[:10] == [422] * 10 and statuses[10] == 429


def test_trainer_shows_the_qr_of_own_session(app, auth, client, today_session):
    session, _person = today_session
    trainer = UserFactory(email="t@example.org", role="trainer",
                          projects=[session.cohort.project])
    session.cohort.trainer = trainer
    db.session.commit()
    auth.login("t@example.org")
    html = client.get(f"/attendance/sessions/{session.id}/qr").get_data(as_text=True)
    assert "<svg" in html and check_in_code(app.config["SECRET_KEY"], session) in html
