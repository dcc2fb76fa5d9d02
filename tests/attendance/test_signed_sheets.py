"""Signed sign-in sheets: uploaded scans back the marks; sessions without one are flagged."""
import io

import pytest

from tests.factories import (
    AttendanceMarkFactory,
    EnrollmentFactory,
    TrainingSessionFactory,
    UserFactory,
)
from trainhub.attendance.models import SignInSheet
from trainhub.extensions import db

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here

PDF = b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\n%%EOF\n"


def test_marks_without_a_scan_are_flagged_until_the_signed_sheet_is_uploaded(app, auth, client):
    coordinator = UserFactory(role="coordinator")
    enrollment = EnrollmentFactory()
    session = TrainingSessionFactory(cohort=enrollment.cohort)
    TrainingSessionFactory(cohort=enrollment.cohort)  # not marked yet: nothing to back
    AttendanceMarkFactory(session=session, enrollment=enrollment)
    db.session.commit()
    auth.login(coordinator.email)
    url = f"/attendance/cohorts/{enrollment.cohort_id}"
    page = client.get(url).get_data(as_text=True)
    assert page.count('data-testid="unbacked-') == 1 and f"unbacked-{session.id}" in page
    refused = auth.post(f"/attendance/sessions/{session.id}/signed-sheet",
                        {"scan": (io.BytesIO(b"MZ\x90\x00 not a scan"), "sheet.pdf")},
                        content_type="multipart/form-data")
    assert refused.status_code == 302 and db.session.query(SignInSheet).count() == 0
    assert "neither" in client.get(url).get_data(as_text=True)
    auth.post(f"/attendance/sessions/{session.id}/signed-sheet",
              {"scan": (io.BytesIO(PDF), "../../foaie semnată.pdf")},
              content_type="multipart/form-data")
    page = client.get(url).get_data(as_text=True)
    assert "unbacked-" not in page and f"scan-{session.id}" in page
    download = client.get(f"/attendance/sessions/{session.id}/signed-sheet")
    assert download.data == PDF and download.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download.headers["Content-Disposition"]
    assert ".." not in download.headers["Content-Disposition"]


def test_the_grid_knows_the_sessions_whose_sheet_has_a_signed_scan(app):
    from trainhub.attendance.services import scanned_sessions

    enrollment = EnrollmentFactory()
    scanned, generated_only, bare = (TrainingSessionFactory(cohort=enrollment.cohort)
                                     for _ in range(3))
    db.session.add_all([SignInSheet(session=scanned, scan_key="ab" * 32),
                        SignInSheet(session=generated_only)])
    db.session.commit()
    assert scanned_sessions(db.session, [scanned.id, generated_only.id, bare.id]) == {scanned.id}
    assert scanned_sessions(db.session, [generated_only.id, bare.id]) == set()
