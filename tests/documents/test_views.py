"""The documents pages as users meet them: portal, uploads, downloads, review, board, editor."""
import csv
import html
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.documents.conftest import EXE, PDF, PDF_WITH_JS, PNG
from tests.factories import MembershipFactory, ParticipantFactory, UserFactory
from trainhub.documents import services
from trainhub.documents.models import Document, DocumentRequirement
from trainhub.extensions import db

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here


def _doc_count() -> int:
    return db.session.scalar(select(func.count(Document.id)))


def _files(app) -> list[Path]:
    return [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]


def _upload_as_sme(programme, code, owner, data=PDF, name="act.pdf"):
    return services.upload_document(db.session, programme.requirement(code), owner, data, name,
                                    programme.sme.id)


def _post_files(auth, url, files: dict):
    data = {key: (io.BytesIO(content), name) for key, (content, name) in files.items()}
    return auth.post(url, data=data, content_type="multipart/form-data",
                     follow_redirects=True)


def test_sme_lands_on_what_is_missing_for_its_own_people(app, client, auth, programme):
    auth.login(programme.sme.email)
    response = client.get("/documents/", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "What is missing" in html and "Alfa SRL" in html
    assert "Ionescu Maria" in html and "Popa Dan" in html
    assert "Stan" not in html and "Beta SRL" not in html
    assert "Disability certificate" in html  # Popa declared a disability
    assert html.count('data-testid="status-missing"') == 5 + 5 + 6
    assert 'data-testid="overall-completeness">0%' in html
    assert client.get(f"/documents/enterprises/{programme.other_firm.id}").status_code == 404


def test_upload_several_files_at_once_then_see_them_pending(app, client, auth, programme):
    worker = programme.employees[0]
    auth.login(programme.sme.email)
    response = _post_files(auth, f"/documents/participants/{worker.id}/upload", {
        f"file-{programme.requirement('id_card').id}": (PDF, "buletin.pdf"),
        f"file-{programme.requirement('diploma').id}": (PNG, "Diplomă bacalaureat.png"),
    })
    html = response.get_data(as_text=True)
    assert "Copy of the identity card uploaded (version 1); it waits for review." in html
    assert html.count('data-testid="status-pending"') == 2
    names = set(db.session.scalars(select(Document.original_name)))
    assert names == {"buletin.pdf", "Diplomă_bacalaureat.png"}


@pytest.mark.parametrize("data, name, message", [
    (EXE, "factura.pdf", "not a PDF, JPEG or PNG"),
    (b"<html><body>hi</body></html>", "poza.png", "not a PDF, JPEG or PNG"),
    (b"", "gol.pdf", "The file is empty."),
])
def test_bad_files_are_refused_with_the_reason(app, client, auth, programme, data, name,
                                               message):
    auth.login(programme.sme.email)
    response = _post_files(auth, f"/documents/enterprises/{programme.firm.id}/upload", {
        f"file-{programme.requirement('sme_declaration').id}": (data, name)})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _doc_count() == 0 and _files(app) == []


def test_a_file_over_the_limit_gets_a_message_and_a_huge_request_the_413_page(
        app, client, auth, programme):
    auth.login(programme.sme.email)
    app.config["UPLOAD_MAX_BYTES"] = 2000
    url = f"/documents/enterprises/{programme.firm.id}/upload"
    field = f"file-{programme.requirement('sme_declaration').id}"
    response = _post_files(auth, url, {field: (PDF + b"0" * 3000, "mare.pdf")})
    assert "The file is 3 KB; at most 2 KB are allowed." in response.get_data(as_text=True)
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = _post_files(auth, url, {field: (PDF + b"0" * 20_000, "imens.pdf")})
    assert response.status_code == 413
    assert "File too large" in response.get_data(as_text=True)
    assert _doc_count() == 0 and _files(app) == []


def test_another_enterprise_ids_are_404_and_nothing_is_stored(app, client, auth, programme):
    auth.login(programme.sme.email)
    id_card = programme.requirement("id_card").id
    assert _post_files(auth, f"/documents/participants/{programme.other_employee.id}/upload",
                       {f"file-{id_card}": (PDF, "a.pdf")}).status_code == 404
    assert _post_files(auth, f"/documents/enterprises/{programme.other_firm.id}/upload", {
        f"file-{programme.requirement('sme_declaration').id}": (PDF, "a.pdf")}).status_code == 404
    worker = programme.employees[0]
    foreign_line = DocumentRequirement(call=programme.call, level="participant", code="x",
                                       title_ro="x", title_en="x", condition="disability")
    db.session.add(foreign_line)
    db.session.commit()
    for requirement_id in (programme.requirement("sme_declaration").id, foreign_line.id, 99999):
        assert _post_files(auth, f"/documents/participants/{worker.id}/upload", {
            f"file-{id_card}": (PDF, "ok.pdf"),
            f"file-{requirement_id}": (PDF, "a.pdf")}).status_code == 404
    assert _doc_count() == 0 and _files(app) == []


def test_download_is_an_attachment_behind_the_access_check(app, client, auth, programme):
    document = _upload_as_sme(programme, "id_card", programme.employees[0],
                              name="Паспорт Ионеску.pdf")
    other = _upload_as_sme(programme, "id_card", programme.other_employee)
    auth.login(programme.sme.email)
    response = client.get(f"/documents/{document.id}/download")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"] == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%D0%9F%D0%B0%D1%81" in disposition
    for tampered in (other.id, document.id + 1000, "abc", -1):
        assert client.get(f"/documents/{tampered}/download").status_code == 404
    assert client.get(f"/documents/{other.id}").status_code == 404


def test_preview_is_inline_only_for_images_and_script_free_pdfs(app, client, auth, programme):
    worker = programme.employees[0]
    clean = _upload_as_sme(programme, "id_card", worker)
    image = _upload_as_sme(programme, "diploma", worker, data=PNG, name="d.png")
    scripted = _upload_as_sme(programme, "registration_form", worker, data=PDF_WITH_JS)
    auth.login(programme.coordinator.email)
    for document, disposition in ((clean, "inline"), (image, "inline"),
                                  (scripted, "attachment")):
        response = client.get(f"/documents/{document.id}/preview")
        assert response.headers["Content-Disposition"].startswith(disposition)
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_review_reject_with_reason_then_new_version_then_accept(app, client, auth, programme):
    worker = programme.employees[0]
    first = _upload_as_sme(programme, "id_card", worker)
    auth.login(programme.coordinator.email)
    response = auth.post(f"/documents/{first.id}/reject", {"reason": " "},
                         follow_redirects=True)
    assert "Give the reason for the rejection" in response.get_data(as_text=True)
    assert db.session.get(Document, first.id).status == "pending"
    auth.post(f"/documents/{first.id}/reject", {"reason": "Blurry photo"})
    auth.logout()

    auth.login(programme.sme.email)
    html = client.get(f"/documents/enterprises/{programme.firm.id}").get_data(as_text=True)
    assert "Blurry photo" in html and 'data-testid="status-rejected"' in html
    _post_files(auth, f"/documents/participants/{worker.id}/upload",
                {f"file-{programme.requirement('id_card').id}": (PNG, "nou.png")})
    auth.logout()

    auth.login(programme.coordinator.email)
    second = db.session.scalar(select(Document).where(Document.version == 2))
    html = client.get(f"/documents/{second.id}").get_data(as_text=True)
    assert "v1" in html and "v2" in html and "Blurry photo" in html  # old versions listed
    response = auth.post(f"/documents/{first.id}/accept", follow_redirects=True)
    assert "A newer version (2) has been uploaded" in response.get_data(as_text=True)
    auth.post(f"/documents/{second.id}/accept")
    assert db.session.get(Document, second.id).status == "accepted"


def test_review_queue_oldest_first_filters_and_bulk_accept(app, client, auth, programme):
    firm_doc = _upload_as_sme(programme, "sme_declaration", programme.firm)
    worker_doc = _upload_as_sme(programme, "id_card", programme.employees[0])
    other_doc = _upload_as_sme(programme, "id_card", programme.other_employee)
    auth.login(programme.coordinator.email)
    html = client.get("/documents/review").get_data(as_text=True)
    assert html.index("SME self-declaration") < html.index("Ionescu Maria") < html.index("Stan")
    html = client.get(f"/documents/review?enterprise={programme.other_firm.id}").get_data(
        as_text=True)
    assert "Stan" in html and "Ionescu Maria" not in html
    html = client.get(f"/documents/review?requirement={programme.requirement('id_card').id}"
                      ).get_data(as_text=True)
    assert html.count('name="document_ids"') == 2 and "Stan" in html
    response = auth.post("/documents/review/accept",
                         {"document_ids": [str(firm_doc.id), str(worker_doc.id)]},
                         follow_redirects=True)
    assert "2 documents accepted." in response.get_data(as_text=True)
    assert [db.session.get(Document, d.id).status for d in (firm_doc, worker_doc, other_doc)] \
        == ["accepted", "accepted", "pending"]


def test_each_upload_of_the_review_queue_links_to_its_own_pages(app, client, auth, programme):
    documents = [_upload_as_sme(programme, "id_card", person)
                 for person in programme.employees[:2]]
    auth.login(programme.coordinator.email)
    html = client.get("/documents/review").get_data(as_text=True)
    for document in documents:
        assert f'href="/documents/{document.id}"' in html
        assert f'href="/documents/{document.id}/preview"' in html
        assert f'action="/documents/{document.id}/accept"' in html
        assert f'action="/documents/{document.id}/reject"' in html


def _employees_with_documents(programme, n):
    for _ in range(n):
        person = ParticipantFactory(enterprise=programme.firm, disability=True)
        MembershipFactory(project=programme.project, participant=person)
        db.session.commit()
        for code in ("id_card", "diploma"):
            _upload_as_sme(programme, code, person)


def test_portal_runs_a_constant_number_of_queries(app, client, auth, programme, page_queries):
    auth.login(programme.sme.email)
    url = f"/documents/enterprises/{programme.firm.id}"
    _employees_with_documents(programme, 8)
    ten = page_queries(url)
    _employees_with_documents(programme, 90)
    assert page_queries(url) == ten
    _employees_with_documents(programme, 100)  # 200 employees × 6 lines
    assert page_queries(url) == ten <= 15


def test_review_and_board_run_a_constant_number_of_queries(app, client, auth, programme,
                                                           page_queries):
    auth.login(programme.coordinator.email)
    _employees_with_documents(programme, 5)
    counts = [page_queries(url) for url in ("/documents/review", "/documents/board",
                                            "/documents/board?show=participants")]
    _employees_with_documents(programme, 50)
    assert [page_queries(url) for url in ("/documents/review", "/documents/board",
                                          "/documents/board?show=participants")] == counts


def test_board_orders_by_missing_and_exports(app, client, auth, programme):
    for line in services.checklist_for(db.session, programme.other_employee).lines:
        document = _upload_as_sme(programme, line.requirement.code, programme.other_employee)
        services.accept(db.session, document, programme.coordinator.id)
    auth.login(programme.coordinator.email)
    html = client.get("/documents/board").get_data(as_text=True)
    assert html.index("Alfa SRL") < html.index("Beta SRL")  # 16 missing before 5
    html = client.get("/documents/board?show=participants").get_data(as_text=True)
    assert html.index("Popa Dan") < html.index("Ionescu Maria") < html.index("Stan")
    rows = list(csv.reader(io.StringIO(
        client.get("/documents/board/export").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["kind", "enterprise_cui", "enterprise"]
    assert [row[2] for row in rows[1:3]] == ["Alfa SRL", "Beta SRL"]
    stan = next(row for row in rows if row[3].startswith("Stan"))
    assert stan[6:8] == ["0", "100"]
    workbook = load_workbook(io.BytesIO(client.get("/documents/board/export?format=xlsx").data))
    assert workbook.active.max_row == len(rows)


def test_sme_board_holds_only_its_own_rows(app, client, auth, programme):
    auth.login(programme.sme.email)
    text = client.get("/documents/board/export").get_data(as_text=True)
    assert "Alfa SRL" in text and "Beta SRL" not in text and "Stan" not in text


def test_admin_edits_the_checklist_with_validation(app, client, auth, programme):
    admin = UserFactory(role="admin")
    db.session.commit()
    auth.login(admin.email)
    assert "Disability certificate" in client.get("/documents/checklists").get_data(as_text=True)
    url = f"/documents/calls/{programme.call.id}/requirements/new"
    good = {"level": "participant", "code": "medical", "title_ro": "Adeverință medicală",
            "title_en": "Medical certificate", "required": "y", "condition": "age_55_64",
            "validity_days": "90", "accepted_types": ["application/pdf"], "max_size_mb": "2",
            "position": "9"}
    for changes, message in (
        ({"level": "enterprise"}, "Only participant lines can have a condition."),
        ({"code": "id_card"}, "already has a line with the code id_card"),
        ({"accepted_types": []}, "Choose at least one type."),
        ({"max_size_mb": "500"}, "At most 10.0 MB"),
        ({"validity_days": "-3"}, "Number must be between 1 and 3650"),
        ({"code": "../x"}, "Letters, digits or underscore only."),
    ):
        response = auth.post(url, good | changes)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True), changes
    assert auth.post(url, good).status_code == 302
    line = db.session.scalar(select(DocumentRequirement).where(
        DocumentRequirement.code == "medical"))
    assert (line.max_size, line.validity_days, line.condition) == (2 * 1024 * 1024, 90,
                                                                   "age_55_64")
    edit = f"/documents/requirements/{line.id}/edit"
    assert 'value="2.0"' in client.get(edit).get_data(as_text=True)
    assert auth.post(edit, good | {"required": "", "title_en": "Medical note"}).status_code == 302
    db.session.refresh(line)
    assert (line.required, line.title_en) == (False, "Medical note")


def test_sme_dashboard_shows_the_same_completeness_as_the_portal(app, client, auth, programme):
    document = _upload_as_sme(programme, "sme_declaration", programme.firm)
    services.accept(db.session, document, programme.coordinator.id)
    auth.login(programme.sme.email)
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="documents-completeness">6%' in html  # 1 of 16 lines
    portal = client.get(f"/documents/enterprises/{programme.firm.id}").get_data(as_text=True)
    assert 'data-testid="overall-completeness">6%' in portal


@pytest.mark.parametrize("locale, label", [("en", "Reason for rejecting"),
                                           ("ro", "Motivul respingerii pentru")])
def test_a_review_row_links_its_document_and_names_it_escaped(app, client, auth, programme,
                                                              locale, label):
    """Each row's links and the reject field's label, made once per page and filled per row."""
    from flask import url_for
    from markupsafe import escape

    document = _upload_as_sme(programme, "id_card", programme.employees[0])
    document.original_name = 'act <b>&</b> "co".pdf'  # as an older upload could have kept it
    programme.coordinator.locale = locale
    db.session.commit()
    auth.login(programme.coordinator.email)
    html = client.get("/documents/review").get_data(as_text=True)
    with app.test_request_context():
        urls = [url_for(f"documents.{endpoint}", document_id=document.id)
                for endpoint in ("detail", "preview", "accept", "reject")]
    for url in urls:
        assert f'"{url}"' in html
    name = escape('act <b>&</b> "co".pdf')
    assert f'aria-label="{label} {name}"' in html


def test_the_board_pages_show_the_export_rows_in_its_order(app, client, auth, programme):
    """The page counts every visible row but works out the lines of its own rows only: page by
    page, the names, counts and lines to do are the export's, in the export's order."""
    popa = programme.employees[1]
    accepted = _upload_as_sme(programme, "id_card", popa)
    services.accept(db.session, accepted, programme.coordinator.id)
    _upload_as_sme(programme, "diploma", programme.other_employee)  # pending
    app.config["PAGE_SIZE"] = 2
    auth.login(programme.coordinator.email)
    rows = list(csv.reader(io.StringIO(
        client.get("/documents/board/export").get_data(as_text=True).lstrip("\ufeff"))))
    for kind, show in (("enterprise", ""), ("participant", "show=participants&")):
        expected = [row for row in rows[1:] if row[0] == kind]
        shown = []
        for page in (1, 2):
            text = html.unescape(client.get(f"/documents/board?{show}page={page}")
                                 .get_data(as_text=True))
            shown += re.findall(r'<td data-testid="missing">(\d+)</td>\s*'
                                + (r'<td class="small">(.*?)</td>' if kind == "participant"
                                   else r'<td>(\d+) / \d+</td>'), text)
            assert all((row[2] if kind == "enterprise" else row[3]) in text
                       for row in expected[2 * (page - 1):2 * page])
        assert shown == [(row[6], row[8] if kind == "participant" else row[5])
                         for row in expected]


def test_each_portal_line_shows_its_types_size_and_labelled_input_in_romanian(
        app, client, auth, programme):
    """The line's title and upload hint are made once per page and shown on every owner's line."""
    requirement = programme.requirement("id_card")
    requirement.accepted_types, requirement.max_size = ["application/pdf", "image/png"], 1572864
    programme.sme.locale = "ro"
    db.session.commit()
    auth.login(programme.sme.email)
    page = client.get(f"/documents/enterprises/{programme.firm.id}").get_data(as_text=True)
    title = requirement.title("ro")
    for person in programme.employees:
        assert (f'type="file" name="file-{requirement.id}"\n                 '
                f'accept="application/pdf,image/png"\n                 aria-label="Fișier pentru '
                f'{title} – {person.full_name}">\n          <div class="form-text">PDF, PNG · '
                f'cel mult 1,5 MB</div>') in page


def test_a_line_title_typed_in_is_text_on_every_page_that_shows_it(app, client, auth, programme):
    """A checklist line's title is written by a person: the portal, the board's to-do column
    and the review queue show it as text, never as markup."""
    line = programme.requirement("id_card")
    line.title_en = line.title_ro = '<img src=x onerror="alert(1)">ID & <b>card</b>'
    db.session.commit()
    _upload_as_sme(programme, "id_card", programme.employees[1])
    escaped = "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;ID &amp; &lt;b&gt;card&lt;/b&gt;"
    auth.login(programme.sme.email)
    portal = client.get("/documents/", follow_redirects=True).get_data(as_text=True)
    assert escaped in portal and "<img src=x" not in portal
    auth.logout()
    auth.login(programme.coordinator.email)
    for url in ("/documents/board?show=participants", "/documents/review"):
        page = client.get(url).get_data(as_text=True)
        assert "<img src=x" not in page and "<b>card</b>" not in page, url
        assert "ID &amp; &lt;b&gt;card" in page, url
