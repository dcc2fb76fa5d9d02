"""Issue 18 end to end on a phone (390×844): a trainee opens their link, sends a photo of their
ID card, gives consent and sees their attendance."""
from datetime import date
from io import BytesIO

from playwright.sync_api import Page, expect

from tests.factories import (
    AttendanceMarkFactory,
    CallFactory,
    CohortFactory,
    EnrollmentFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    TrainingSessionFactory,
)
from trainhub.extensions import db
from trainhub.programme.presets import POCU_3_12, apply_preset
from trainhub.selfservice import services


def _photo(path) -> None:
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (640, 480), (30, 90, 200)).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())


def test_trainee_sends_a_photo_gives_consent_and_sees_attendance(live_app, live_server,
                                                                 page: Page, tmp_path):
    with live_app.app_context():
        call = CallFactory()
        apply_preset(db.session, call, POCU_3_12)
        project = ProjectFactory(call=call, code="SMIS-PHONE")
        membership = MembershipFactory(project=project, participant=ParticipantFactory(
            last_name="Ștefănescu", first_name="Ana", sex="F"))
        cohort = CohortFactory(project=project)
        enrollment = EnrollmentFactory(cohort=cohort, membership=membership,
                                       enrolled_on=date(2026, 3, 1))
        session = TrainingSessionFactory(cohort=cohort, date=date(2026, 3, 3))
        AttendanceMarkFactory(session=session, enrollment=enrollment, status="present",
                              hours=session.hours)
        services.issue_link(db.session, membership, None)
        db.session.commit()
        url = f"{live_server}/t/{services.link_token(live_app.config['SECRET_KEY'], membership)}"

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url)
    expect(page.get_by_test_id("trainee-name")).to_have_text("Ștefănescu Ana")
    # nothing wider than the phone: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    line = page.get_by_test_id("line-id_card")
    photo = tmp_path / "IMG_0001.jpg"
    _photo(photo)
    line.get_by_label("Faceți o fotografie sau alegeți un PDF").set_input_files(str(photo))
    line.get_by_role("button", name="Trimite").click()
    expect(page.get_by_text("a fost primit; echipa proiectului îl va verifica")).to_be_visible()
    expect(page.get_by_test_id("line-id_card").get_by_test_id("status-pending")).to_be_visible()
    expect(page.get_by_test_id("line-id_card").get_by_role("link")).to_contain_text(
        "IMG_0001.pdf")

    page.get_by_label("Numele și prenumele dumneavoastră").fill("ana stefanescu")
    page.get_by_label("Am citit textul de mai sus și sunt de acord.").check()
    page.get_by_role("button", name="Îmi exprim acordul").click()
    expect(page.get_by_test_id("consent-given")).to_be_visible()
    expect(page.get_by_test_id("consent-receipt")).to_be_visible()

    expect(page.get_by_role("heading", name="Prezența dumneavoastră")).to_be_visible()
    expect(page.get_by_test_id("attendance-total")).to_contain_text("100%")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
