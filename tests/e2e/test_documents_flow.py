"""Issue 5 end to end: an SME hands in a document, it is rejected with a reason, handed in
again and accepted; the SME's completeness reaches 100%."""
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.factories import (
    DocumentRequirementFactory,
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    UserFactory,
)
from trainhub.extensions import db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_role("button", name="EN", exact=True).click()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _hand_in(page: Page, base: str, tmp_path, name: str) -> None:
    page.goto(f"{base}/documents/")
    path = tmp_path / name
    path.write_bytes(PDF)
    file_input = page.get_by_label("File for ID card of Ionescu Maria")
    file_input.set_input_files(str(path))
    page.locator("form", has=file_input).get_by_role("button",
                                                     name="Upload the chosen files").click()


def test_document_from_upload_to_complete(live_app, live_server, page: Page, tmp_path):
    with live_app.app_context():
        project = ProjectFactory(code="SMIS-DOCS")
        DocumentRequirementFactory(call=project.call, level="participant", code="id_card",
                                   title_ro="Carte de identitate", title_en="ID card")
        firm = EnterpriseFactory(name="Alfa SRL")
        MembershipFactory(project=project, participant=ParticipantFactory(
            enterprise=firm, last_name="Ionescu", first_name="Maria", sex="F"))
        UserFactory(email="sme@alfa.ro", role="sme", enterprise=firm)
        UserFactory(email="coord@example.org", role="coordinator", projects=[project])
        db.session.commit()

    _log_in(page, live_server, "sme@alfa.ro")
    page.get_by_role("button", name="Registry").click()  # the navbar groups its entries
    page.get_by_role("link", name="Documents").click()
    expect(page.get_by_role("heading", name="What is missing")).to_be_visible()
    expect(page.get_by_test_id("status-missing")).to_be_visible()
    expect(page.get_by_test_id("overall-completeness")).to_have_text("0%")
    _hand_in(page, live_server, tmp_path, "buletin.pdf")
    expect(page.get_by_text("ID card uploaded (version 1); it waits for review.")).to_be_visible()
    expect(page.get_by_test_id("status-pending")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    _log_in(page, live_server, "coord@example.org")
    page.get_by_role("link", name="Review queue").click()
    page.get_by_label("Reason for rejecting buletin.pdf").fill("Blurry scan, please rescan.")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_text("ID card rejected; the SME sees the reason.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    _log_in(page, live_server, "sme@alfa.ro")
    page.goto(f"{live_server}/documents/")
    expect(page.get_by_test_id("status-rejected")).to_be_visible()
    expect(page.get_by_test_id("rejection-reason")).to_have_text("Blurry scan, please rescan.")
    _hand_in(page, live_server, tmp_path, "buletin-nou.pdf")
    expect(page.get_by_text("ID card uploaded (version 2); it waits for review.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    _log_in(page, live_server, "coord@example.org")
    page.goto(f"{live_server}/documents/review")
    expect(page.get_by_text("buletin-nou.pdf")).to_be_visible()
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.get_by_text("ID card accepted.")).to_be_visible()
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    _log_in(page, live_server, "sme@alfa.ro")
    page.goto(f"{live_server}/documents/")
    expect(page.get_by_test_id("status-accepted")).to_be_visible()
    expect(page.get_by_test_id("overall-completeness")).to_have_text("100%")
