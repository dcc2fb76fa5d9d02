"""The admin's pages for a call's visual identity (texts, logos) and certificate templates."""
import io
from pathlib import Path

import pypdf
import pytest
from PIL import Image

from tests.factories import CohortFactory, ProjectFactory, TrainingSessionFactory, UserFactory
from trainhub.audit.models import AuditEvent
from trainhub.extensions import db
from trainhub.programme.identity import MAX_LOGO_BYTES, identity_of
from trainhub.programme.models import CallIdentity, CertificateTemplate


def png(width: int = 60, height: int = 30, colour=(200, 0, 0)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def admin(app, auth):
    UserFactory(email="admin@example.org", role="admin")
    project = ProjectFactory(code="SMIS-140001", title="Digitalizare în IMM")
    db.session.commit()
    auth.login("admin@example.org")
    return project


def upload(auth, call_id: int, data: bytes, name: str = "logo.png"):
    return auth.post(f"/admin/calls/{call_id}/logos",
                     {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


@pytest.mark.parametrize("data, name, reason", [
    (b"<html><script>alert(1)</script></html>", "logo.png", "PNG or JPEG"),
    (b"%PDF-1.4\n%%EOF\n", "logo.png", "PNG or JPEG"),
    (b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", "logo.png", "cannot be read"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "logo.svg",
     "PNG or JPEG"),
    (b"", "logo.png", "empty"),
])
def test_a_logo_that_is_not_a_picture_is_refused(admin, auth, data, name, reason):
    response = upload(auth, admin.call_id, data, name)
    assert response.status_code == 422 and reason in response.get_data(as_text=True)
    assert db.session.query(CallIdentity).count() == 0  # nothing half-written


def test_an_oversize_logo_is_refused(admin, auth):
    big = png() + b"\0" * MAX_LOGO_BYTES
    response = upload(auth, admin.call_id, big)
    assert response.status_code == 422 and "at most" in response.get_data(as_text=True)
    assert db.session.query(CallIdentity).count() == 0


def test_a_logo_goes_on_every_document_and_can_be_removed(admin, auth, client):
    response = upload(auth, admin.call_id, png(), "Sigla beneficiar.png")
    assert response.status_code == 302
    page = client.get(f"/admin/calls/{admin.call_id}/identity").get_data(as_text=True)
    assert f"/admin/calls/{admin.call_id}/logos/1" in page and "<polygon" in page
    served = client.get(f"/admin/calls/{admin.call_id}/logos/1")
    assert served.mimetype == "image/png" and served.data == png()

    cohort = CohortFactory(project=admin)
    session = TrainingSessionFactory(cohort=cohort)
    db.session.commit()
    sheet = client.get(f"/attendance/sessions/{session.id}/sign-in-sheet.pdf").data
    images = pypdf.PdfReader(io.BytesIO(sheet)).pages[0].images
    assert len(images) == 1

    assert auth.post(f"/admin/calls/{admin.call_id}/logos/1/remove").status_code == 302
    assert identity_of(db.session, admin.call).logos == []
    assert auth.post(f"/admin/calls/{admin.call_id}/logos/1/remove").status_code == 404
    sheet = client.get(f"/attendance/sessions/{session.id}/sign-in-sheet.pdf").data
    assert len(pypdf.PdfReader(io.BytesIO(sheet)).pages[0].images) == 0
    actions = {event.action for event in db.session.query(AuditEvent)}
    assert {"call.logo_add", "call.logo_remove"} <= actions


def test_the_texts_are_saved_per_language_blank_meaning_default(admin, auth, client):
    response = auth.post(f"/admin/calls/{admin.call_id}/identity", {
        "ro-programme": "Programul Educație și Ocupare 2021–2027", "en-fund": "ESF+",
        "ro-union": ""})
    assert response.status_code == 302
    page = client.get(f"/admin/calls/{admin.call_id}/identity").get_data(as_text=True)
    assert "Programul Educație și Ocupare 2021–2027" in page and "ESF+" in page
    assert "Uniunea Europeană" in page
    too_long = auth.post(f"/admin/calls/{admin.call_id}/identity", {"ro-fund": "x" * 301})
    assert too_long.status_code == 422
    assert identity_of(db.session, admin.call).texts["ro"] == {
        "programme": "Programul Educație și Ocupare 2021–2027"}


def test_the_template_form_refuses_unknown_placeholders_and_previews(admin, auth):
    url = f"/projects/{admin.id}/certificate-template"
    form = {"title": "CERTIFICAT", "body": "{nume} a absolvit {course}", "orientation": "L",
            "signature-0-role": "Manager de proiect", "signature-0-name": "Ana Pop",
            "action": "save"}
    refused = auth.post(url, form)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "{nume}" in text and "{planned_hours}" in text
    assert db.session.query(CertificateTemplate).count() == 0

    form["body"] = "{name} a absolvit {course} în proiectul {project}"
    preview = auth.post(url, form | {"action": "preview"})
    assert preview.mimetype == "application/pdf"
    content = " ".join(pypdf.PdfReader(io.BytesIO(preview.data)).pages[0].extract_text().split())
    assert "Ioana Popescu a absolvit Securitate cibernetică în proiectul Digitalizare" in content
    assert "Ana Pop" in content and "Cod SMIS: SMIS-140001" in content
    assert db.session.query(CertificateTemplate).count() == 0  # a preview saves nothing

    assert auth.post(url, form).status_code == 302
    template = db.session.query(CertificateTemplate).one()
    assert (template.project_id, template.version) == (admin.id, 1)
    assert template.signatures == [{"name": "Ana Pop", "role": "Manager de proiect"}]
    assert auth.post(url, form).status_code == 302 and template.version == 1  # unchanged
    auth.post(url, form | {"title": "CERTIFICAT DE ABSOLVIRE"})
    db.session.refresh(template)
    assert template.version == 2


def test_coordinators_read_the_identity_but_may_not_change_it(admin, auth, client):
    coordinator = UserFactory(role="coordinator")
    db.session.commit()
    auth.logout()
    auth.login(coordinator.email)
    page = client.get(f"/admin/calls/{admin.call_id}/identity")
    assert page.status_code == 200 and "Save texts" not in page.get_data(as_text=True)
    assert auth.post(f"/admin/calls/{admin.call_id}/identity", {"ro-fund": "X"}).status_code == 403


def test_a_logo_file_gone_from_the_store_does_not_stop_the_paperwork(admin, auth, client, app):
    upload(auth, admin.call_id, png())
    key = identity_of(db.session, admin.call).logos[0]["key"]
    (Path(app.config["UPLOAD_DIR"]) / key).write_bytes(b"damaged")
    session = TrainingSessionFactory(cohort=CohortFactory(project=admin))
    db.session.commit()
    response = client.get(f"/attendance/sessions/{session.id}/sign-in-sheet.pdf")
    assert response.status_code == 200
    assert len(pypdf.PdfReader(io.BytesIO(response.data)).pages[0].images) == 0
    assert client.get(f"/admin/calls/{admin.call_id}/logos/1").status_code == 200
