"""Cohort states (DESIGN §15): closing asks for confirmation, reopening needs a reason, closing
again recomputes completion, certificates (with their history) and exit dates."""
from datetime import date, time, timedelta
from decimal import Decimal

import pytest

from tests.factories import (
    AttendanceMarkFactory,
    CohortFactory,
    CourseFactory,
    EnrollmentFactory,
    MembershipFactory,
    ParticipantFactory,
    TrainingSessionFactory,
    UserFactory,
)
from trainhub.attendance.models import Certificate, CertificateRevision
from trainhub.attendance.services import (
    AttendanceError,
    ConfirmationNeeded,
    close_cohort,
    issue_certificates,
    load_grid,
    reopen_cohort,
    save_grid,
)
from trainhub.audit.models import AuditEvent
from trainhub.courses.models import CohortState
from trainhub.courses.services import cohort_state
from trainhub.extensions import db

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here

TODAY = date.today()


@pytest.fixture
def world(app):
    """10 planned hours (threshold 0.8 → 8 needed): three held 4-hour sessions, one ahead.
    Ana attends all three (12 h), Ion only one (4 h)."""
    UserFactory(email="coord@example.org", role="coordinator")
    cohort = CohortFactory(course=CourseFactory(planned_hours=Decimal(10)),
                           start_date=TODAY - timedelta(days=10), end_date=TODAY + timedelta(days=3))
    held = [TrainingSessionFactory(cohort=cohort, date=TODAY - timedelta(days=days),
                                   start_time=time(9), end_time=time(13), hours=Decimal(4))
            for days in (10, 6, 2)]
    future = TrainingSessionFactory(cohort=cohort, date=TODAY + timedelta(days=3),
                                    start_time=time(9), end_time=time(13), hours=Decimal(4))
    people = []
    for name in ("Ana", "Ion"):
        people.append(EnrollmentFactory(
            cohort=cohort, enrolled_on=TODAY - timedelta(days=20),
            membership=MembershipFactory(project=cohort.project,
                                         participant=ParticipantFactory(first_name=name))))
    ana, ion = people
    for session in held:
        AttendanceMarkFactory(session=session, enrollment=ana, status="present", hours=Decimal(4))
    AttendanceMarkFactory(session=held[0], enrollment=ion, status="present", hours=Decimal(4))
    AttendanceMarkFactory(session=held[1], enrollment=ion, status="absent", hours=Decimal(0))
    db.session.commit()
    return cohort, held, future, ana, ion


def test_states_follow_the_sessions_and_the_decisions(world, auth, client):
    cohort, _held, _future, _ana, _ion = world
    auth.login("coord@example.org")

    def shown() -> set[str]:
        return {page.split('data-testid="cohort-state">')[1].split("<")[0]
                for page in (client.get(url).get_data(as_text=True) for url in (
                    "/courses/cohorts", f"/courses/cohorts/{cohort.id}",
                    f"/attendance/cohorts/{cohort.id}"))}

    assert cohort_state(cohort, TODAY - timedelta(days=30)) == CohortState.PLANNED
    assert cohort_state(cohort, TODAY) == CohortState.RUNNING
    assert shown() == {"running"}
    close_cohort(db.session, cohort, TODAY, confirmed=True)
    assert cohort_state(cohort, TODAY) == CohortState.CLOSED
    assert shown() == {"closed"}
    reopen_cohort(db.session, cohort, "o prezență greșită")
    assert cohort_state(cohort, TODAY) == CohortState.REOPENED
    assert shown() == {"reopened"}


def test_closing_lists_future_sessions_and_missing_marks_and_needs_confirmation(world, auth, client):
    cohort, held, future, ana, ion = world
    with pytest.raises(ConfirmationNeeded) as refused:
        close_cohort(db.session, cohort, TODAY)
    assert refused.value.preview.future_sessions == [future]
    assert [(name, session) for name, session in refused.value.preview.missing_marks] == [
        (ion.membership.participant.full_name, held[2])]
    assert cohort.closed_at is None

    auth.login("coord@example.org")
    page = client.get(f"/attendance/cohorts/{cohort.id}/close").get_data(as_text=True)
    assert future.date.isoformat() in page
    assert f"{held[2].date.isoformat()}</strong>: {ion.membership.participant.full_name}<" in page
    assert 'data-testid="future-sessions"' in page and 'data-testid="missing-marks"' in page
    unconfirmed = auth.post(f"/attendance/cohorts/{cohort.id}/close")
    assert unconfirmed.status_code == 200  # the confirmation page again, nothing decided
    db.session.refresh(cohort)
    assert cohort.closed_at is None and ana.status == "enrolled"
    auth.post(f"/attendance/cohorts/{cohort.id}/close", {"confirm": "yes"})
    db.session.refresh(cohort)
    db.session.refresh(ana)
    db.session.refresh(ion)
    assert cohort.closed_at is not None and (ana.status, ion.status) == ("completed", "not_completed")


def test_reopening_needs_a_reason_and_is_audited(world, auth):
    cohort, _held, _future, ana, _ion = world
    close_cohort(db.session, cohort, TODAY, confirmed=True)
    with pytest.raises(AttendanceError, match="Say why"):
        reopen_cohort(db.session, cohort, "   ")
    auth.login("coord@example.org")
    page = auth.post(f"/attendance/cohorts/{cohort.id}/reopen", {"reason": ""},
                     follow_redirects=True).get_data(as_text=True)
    assert "Say why" in page
    db.session.refresh(cohort)
    assert cohort.closed_at is not None
    auth.post(f"/attendance/cohorts/{cohort.id}/reopen", {"reason": "prezență introdusă greșit"})
    db.session.refresh(cohort)
    db.session.refresh(ana)
    assert cohort.closed_at is None and cohort.reopen_reason == "prezență introdusă greșit"
    assert ana.status == "enrolled" and ana.membership.exit_date is None
    event = db.session.query(AuditEvent).filter_by(action="cohort.reopen").one()
    assert event.changes["reason"] == "prezență introdusă greșit"
    assert event.changes["decided_before"][str(ana.id)] == "completed"
    assert event.user_id is not None


def test_closing_again_recomputes_completion_certificates_and_exit_dates(world, client):
    cohort, held, _future, ana, ion = world
    close_cohort(db.session, cohort, TODAY, confirmed=True)
    (certificate,) = issue_certificates(db.session, cohort, TODAY)
    first_serial, first_token = certificate.serial, certificate.token
    assert certificate.hours_attended == Decimal(12)
    assert ana.membership.exit_date == held[2].date

    reopen_cohort(db.session, cohort, "Ana a lipsit în ultima zi; Ion a fost prezent")
    ana_last = next(m for m in ana.marks if m.session_id == held[2].id)
    ana_last.status, ana_last.hours = "absent", Decimal(0)
    AttendanceMarkFactory(session=held[2], enrollment=ion, status="present", hours=Decimal(4))
    db.session.commit()
    close_cohort(db.session, cohort, TODAY, confirmed=True)

    assert (ana.status, ion.status) == ("completed", "completed")
    assert ana.membership.exit_date == held[1].date  # the last session she attended
    assert ion.membership.exit_date == held[2].date
    db.session.refresh(certificate)
    assert certificate.hours_attended == Decimal(8) and certificate.revoked_at is None
    assert certificate.serial == f"{first_serial}-R2" and certificate.token != first_token
    (revision,) = certificate.revisions
    assert (revision.serial, revision.token, revision.hours_attended) == (
        first_serial, first_token, Decimal(12))
    old_page = client.get(f"/verify/{first_token}").get_data(as_text=True)
    assert f"Înlocuit de certificatul {certificate.serial}" in old_page  # the public sees Romanian
    assert 'data-testid="certificate-hours">12<' in old_page
    assert 'data-testid="certificate-hours">8<' in client.get(
        f"/verify/{certificate.token}").get_data(as_text=True)


def test_closing_again_revokes_the_certificate_of_someone_no_longer_completing(world):
    cohort, held, _future, ana, _ion = world
    close_cohort(db.session, cohort, TODAY, confirmed=True)
    (certificate,) = issue_certificates(db.session, cohort, TODAY)
    reopen_cohort(db.session, cohort, "prezențe trecute greșit")
    for mark in ana.marks:
        if mark.session_id != held[0].id:
            mark.status, mark.hours = "absent", Decimal(0)
    db.session.commit()
    close_cohort(db.session, cohort, TODAY, confirmed=True)
    assert ana.status == "not_completed"
    assert certificate.revoked_at is not None
    assert db.session.query(CertificateRevision).count() == 0
    assert db.session.query(Certificate).count() == 1


def _pdf_text(data: bytes) -> str:
    import io

    import pypdf

    return " ".join(pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text().split())


def test_certificate_and_its_check_page_state_the_same_figures(world, auth, client):
    cohort, held, future, ana, _ion = world
    close_cohort(db.session, cohort, TODAY, confirmed=True)
    (certificate,) = issue_certificates(db.session, cohort, TODAY)
    auth.login("coord@example.org")
    text = _pdf_text(client.get(f"/attendance/certificates/{certificate.id}.pdf").data)
    period = f"{held[0].date.isoformat()} – {held[2].date.isoformat()}"
    assert period in text and future.date.isoformat() not in text  # sessions held only
    assert "12 ore frecventate din 10 ore planificate" in text
    page = client.get(f"/verify/{certificate.token}").get_data(as_text=True)
    assert f'data-testid="certificate-period">{period}<' in page
    assert 'data-testid="certificate-hours">12<' in page
    assert 'data-testid="certificate-planned">10<' in page


def test_person_and_cohort_pages_link_each_certificate_pdf(world, auth, client):
    cohort, _held, _future, ana, _ion = world
    close_cohort(db.session, cohort, TODAY, confirmed=True)
    (certificate,) = issue_certificates(db.session, cohort, TODAY)
    link = f'href="/attendance/certificates/{certificate.id}.pdf"'
    auth.login("coord@example.org")
    assert link in client.get(f"/courses/cohorts/{cohort.id}").get_data(as_text=True)
    person_page = client.get(f"/participants/{ana.membership.participant_id}").get_data(as_text=True)
    assert link in person_page and certificate.serial in person_page


def test_cohort_and_register_pages_run_a_constant_number_of_queries(world, auth, page_queries):
    cohort, held, _future, _ana, _ion = world
    auth.login("coord@example.org")

    def queries_with(total: int) -> dict[str, int]:
        while len(cohort.enrollments) < total:
            enrollment = EnrollmentFactory(cohort=cohort,
                                           enrolled_on=TODAY - timedelta(days=20),
                                           membership=MembershipFactory(project=cohort.project))
            AttendanceMarkFactory(session=held[0], enrollment=enrollment, remark="x")
            db.session.add(Certificate(enrollment=enrollment, serial=f"S-{enrollment.id}",
                                       issued_on=TODAY, token=f"t-{enrollment.id}"))
            db.session.commit()
        return {url: page_queries(url) for url in (
            f"/courses/cohorts/{cohort.id}", f"/attendance/cohorts/{cohort.id}/close",
            f"/attendance/cohorts/{cohort.id}/register.csv")}

    assert queries_with(10) == queries_with(40)


def _figures_in_pdf(text: str) -> tuple[str, str, str]:
    import re

    match = re.search(r"în perioada (\S+ – \S+): (\S+) ore frecventate din (\S+) ore planificate",
                      text)
    assert match, text
    return match.groups()


def _figures_on_page(html: str) -> tuple[str, str, str]:
    return tuple(html.split(f'data-testid="certificate-{name}">')[1].split("<")[0]
                 for name in ("period", "hours", "planned"))


def test_certificate_pdf_and_verification_page_name_the_same_dates_and_hours(app, auth, client):
    """Read from both documents and compared with each other: half hours included (a 1 h 30
    session), before and after a reissue."""
    UserFactory(email="coord@example.org", role="coordinator")
    cohort = CohortFactory(course=CourseFactory(planned_hours=Decimal("7.5")),
                           start_date=TODAY - timedelta(days=9))
    slots = [(9, time(9), time(13)), (5, time(9), time(10, 30)), (2, time(9), time(12))]
    sessions = [TrainingSessionFactory(cohort=cohort, date=TODAY - timedelta(days=days),
                                       start_time=start, end_time=end)
                for days, start, end in slots]
    TrainingSessionFactory(cohort=cohort, date=TODAY + timedelta(days=4))  # never held
    ana = EnrollmentFactory(cohort=cohort, enrolled_on=TODAY - timedelta(days=20),
                            membership=MembershipFactory(project=cohort.project))
    for session in sessions:
        AttendanceMarkFactory(session=session, enrollment=ana, status="present", hours=session.hours)
    db.session.commit()
    close_cohort(db.session, cohort, TODAY, confirmed=True)
    (certificate,) = issue_certificates(db.session, cohort, TODAY)
    auth.login("coord@example.org")

    public = app.test_client()  # whoever scans the QR code: the page in Romanian, as the PDF

    def both() -> tuple[tuple, tuple]:
        pdf = _figures_in_pdf(_pdf_text(client.get(
            f"/attendance/certificates/{certificate.id}.pdf").data))
        return pdf, _figures_on_page(public.get(f"/verify/{certificate.token}").get_data(as_text=True))

    pdf, page = both()
    assert pdf == page
    assert page == (f"{sessions[0].date.isoformat()} – {sessions[2].date.isoformat()}", "8,5", "7,5")

    reopen_cohort(db.session, cohort, "ultima prezență era greșită")
    last = next(mark for mark in ana.marks if mark.session_id == sessions[2].id)
    last.status, last.hours = "late", Decimal("2.5")
    db.session.commit()
    close_cohort(db.session, cohort, TODAY, confirmed=True)
    db.session.refresh(certificate)
    pdf, page = both()
    assert pdf == page and page[1] == "8"


def test_closing_decides_completion_with_the_hours_attended_by_the_day_it_is_told(app):
    """close_cohort(today=...) counted the hours attended by the machine's date instead: marks
    of sessions between the two were left out and a person who completed was not_completed."""
    cohort = CohortFactory(course=CourseFactory(planned_hours=Decimal(8)))
    sessions = [TrainingSessionFactory(cohort=cohort, date=TODAY + timedelta(days=days),
                                       start_time=time(9), end_time=time(13))
                for days in (1, 3)]
    ana = EnrollmentFactory(cohort=cohort, enrolled_on=TODAY,
                            membership=MembershipFactory(project=cohort.project))
    db.session.commit()
    later = TODAY + timedelta(days=5)
    grid = load_grid(db.session, cohort)
    save_grid(db.session, grid, {(s.id, ana.id): ("present", "") for s in sessions}, None,
              today=later)
    close_cohort(db.session, cohort, later, confirmed=True)
    assert ana.status == "completed"
    (certificate,) = issue_certificates(db.session, cohort, later)
    assert certificate.hours_attended == Decimal(8)


def test_certificates_issued_days_after_the_closing_name_only_the_sessions_held(world):
    """Found by the lifecycle state machine: issued after the closing day, a certificate's
    period ran to a session planned after the closing, which was never held."""
    cohort, held, future, ana, _ion = world
    close_cohort(db.session, cohort, TODAY, confirmed=True)
    (certificate,) = issue_certificates(db.session, cohort, future.date + timedelta(days=2))
    assert (certificate.first_day, certificate.last_day) == (held[0].date, held[2].date)
    assert certificate.hours_attended == Decimal(12)
    assert certificate.issued_on == future.date + timedelta(days=2)
