"""Closing a cohort decides completion; certificates, their public check, sign-in sheets."""
import io
import zipfile
from datetime import date, time
from decimal import Decimal

import pypdf
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
from trainhub.attendance.models import Certificate
from trainhub.extensions import db

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here


@pytest.fixture
def finished_cohort(app, auth):
    """40 planned hours, threshold 0.8: 32 hours needed. Ioana attends 32, Ion 28."""
    UserFactory(email="coord@example.org", role="coordinator")
    cohort = CohortFactory(course=CourseFactory(planned_hours=Decimal(40), title="Securitate cibernetică"))
    sessions = [TrainingSessionFactory(cohort=cohort, date=date(2026, 3, day), start_time=time(16),
                                       end_time=time(20), hours=Decimal(4)) for day in range(2, 12)]
    ioana = EnrollmentFactory(cohort=cohort, membership=MembershipFactory(
        project=cohort.project, participant=ParticipantFactory(
            last_name="Ștefănescu", first_name="Ioana", sex="F")))
    ion = EnrollmentFactory(cohort=cohort, membership=MembershipFactory(
        project=cohort.project, participant=ParticipantFactory(last_name="Popa", first_name="Ion")))
    for number, session in enumerate(sessions):
        AttendanceMarkFactory(session=session, enrollment=ioana,
                              status="present" if number < 8 else "absent",
                              hours=Decimal(4) if number < 8 else Decimal(0))
        AttendanceMarkFactory(session=session, enrollment=ion,
                              status="late" if number < 7 else "excused",
                              hours=Decimal(4) if number < 7 else Decimal(0))
    db.session.commit()
    auth.login("coord@example.org")
    return cohort, sessions, ioana, ion


def test_closing_decides_completion_by_the_threshold(finished_cohort, auth):
    cohort, _sessions, ioana, ion = finished_cohort
    response = auth.post(f"/attendance/cohorts/{cohort.id}/close", {"confirm": "yes"}, follow_redirects=True)
    assert "1 completed, 1 not completed" in response.get_data(as_text=True)
    db.session.refresh(ioana)
    db.session.refresh(ion)
    assert (ioana.status, ion.status) == ("completed", "not_completed")
    again = auth.post(f"/attendance/cohorts/{cohort.id}/close", {"confirm": "yes"}, follow_redirects=True)
    assert "already closed" in again.get_data(as_text=True)


def test_certificates_are_issued_once_and_verifiable(finished_cohort, auth, client):
    cohort, _sessions, ioana, _ion = finished_cohort
    auth.post(f"/attendance/cohorts/{cohort.id}/close", {"confirm": "yes"})
    response = auth.post(f"/attendance/cohorts/{cohort.id}/certificates.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    (name,) = archive.namelist()  # only the completed person
    text = pypdf.PdfReader(io.BytesIO(archive.read(name))).pages[0].extract_text()
    assert "Ioana Ștefănescu" in text and "Securitate cibernetică" in text and "32 ore" in text
    auth.post(f"/attendance/cohorts/{cohort.id}/certificates.zip")
    certificate = db.session.query(Certificate).one()
    assert certificate.enrollment_id == ioana.id and name == f"{certificate.serial}.pdf"

    page = client.get(f"/verify/{certificate.token}").get_data(as_text=True)
    assert "Valid" in page and "I. Ș." in page and "Ștefănescu" not in page
    assert client.get("/verify/forged-token").status_code == 404


def test_revoked_certificate_shows_revoked(finished_cohort, auth, client):
    cohort, _sessions, ioana, _ion = finished_cohort
    auth.post(f"/attendance/cohorts/{cohort.id}/close", {"confirm": "yes"})
    auth.post(f"/attendance/cohorts/{cohort.id}/certificates.zip")
    certificate = db.session.query(Certificate).one()
    from trainhub.core.models import utcnow

    certificate.revoked_at = utcnow()
    db.session.commit()
    assert "Revoked" in client.get(f"/verify/{certificate.token}").get_data(as_text=True)


def test_sign_in_sheet_renders_romanian_names(finished_cohort, client):
    _cohort, sessions, _ioana, _ion = finished_cohort
    response = client.get(f"/attendance/sessions/{sessions[0].id}/sign-in-sheet.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = pypdf.PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Ștefănescu Ioana" in text and "Popa Ion" in text
