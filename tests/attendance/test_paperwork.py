"""Paperwork that passes an audit: every generated PDF carries the call's identity, the
project title and SMIS code; sign-in sheets as auditors expect them; certificates keep the
wording they were issued with."""
import io
import shutil
import subprocess
import zipfile
from datetime import date, time
from decimal import Decimal

import pypdf
import pytest
from PIL import Image

from tests.factories import (
    AttendanceMarkFactory,
    CohortFactory,
    CourseFactory,
    EnrollmentFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    TrainingSessionFactory,
    UserFactory,
)
from trainhub.attendance.models import Certificate
from trainhub.attendance.services import close_cohort, issue_certificates
from trainhub.core.pdf import emblem_stars, emblem_svg
from trainhub.extensions import db
from trainhub.programme.identity import save_identity_texts, save_template

pytestmark = pytest.mark.usefixtures("one_team")

IDENTITY = ("Uniunea Europeană", "Fondul Social European",
            "Programul Operațional Capital Uman 2014–2020",
            "Proiect cofinanțat din Fondul Social European prin Programul Operațional Capital "
            "Uman 2014-2020")


def pages_text(content: bytes) -> list[str]:
    return [" ".join(page.extract_text().split())
            for page in pypdf.PdfReader(io.BytesIO(content)).pages]


def assert_identity(text: str, project) -> None:
    for line in IDENTITY:
        assert " ".join(line.split()) in text
    assert project.title in text and f"Cod SMIS: {project.code}" in text


@pytest.fixture
def cohort(app, auth):
    UserFactory(email="coord@example.org", role="coordinator")
    project = ProjectFactory(code="SMIS-127405", title="Competențe digitale pentru IMM din Centru")
    cohort = CohortFactory(project=project, code="G-CYB-1", course=CourseFactory(
        planned_hours=Decimal(8), title="Securitate cibernetică"),
        trainer=UserFactory(role="trainer", full_name="Radu Formatorescu"))
    sessions = [TrainingSessionFactory(cohort=cohort, date=date(2026, 3, day), start_time=time(9),
                                       end_time=time(13), hours=Decimal(4)) for day in (2, 3, 4)]
    db.session.commit()
    auth.login("coord@example.org")
    return cohort, sessions


def enroll(cohort, count: int, *, present: list | None = None):
    enrollments = []
    for number in range(count):
        person = ParticipantFactory(last_name=f"Ștefănescu{number:03d}", first_name="Ioana")
        enrollment = EnrollmentFactory(cohort=cohort, enrolled_on=date(2026, 1, 1),
                                       membership=MembershipFactory(project=cohort.project,
                                                                    participant=person))
        for session in present or []:
            AttendanceMarkFactory(session=session, enrollment=enrollment, status="present",
                                  hours=session.hours)
        enrollments.append(enrollment)
    db.session.commit()
    return enrollments


def test_the_emblem_follows_the_official_geometry():
    stars = emblem_stars(0, 0, 180)
    assert len(stars) == 12 and all(len(star) == 10 for star in stars)
    centres = [(sum(x for x, _ in s) / 10, sum(y for _, y in s) / 10) for s in stars]
    # the circle: radius 1/3 of the height, around the flag's centre (135, 90)
    assert all(abs(((x - 135) ** 2 + (y - 90) ** 2) ** 0.5 - 60) < 0.01 for x, y in centres)
    top = stars[0]
    assert abs(top[0][1] - (30 - 10)) < 0.01  # one point up, star radius 1/18 of the height
    svg = emblem_svg(60)
    assert svg.count("<polygon") == 12 and "#003399" in svg and "#FFCC00" in svg


def test_sign_in_sheet_as_auditors_expect_it(cohort, client):
    cohort, sessions = cohort
    people = enroll(cohort, 2)
    response = client.get(f"/attendance/sessions/{sessions[0].id}/sign-in-sheet.pdf")
    assert response.status_code == 200
    (text,) = pages_text(response.data)
    assert_identity(text, cohort.project)
    assert "Securitate cibernetică" in text and "G-CYB-1" in text
    assert "02.03.2026" in text and "09:00–13:00" in text and "4 ore" in text
    assert "Radu Formatorescu" in text and "Semnătura formatorului" in text
    assert "Pagina 1 din 1" in text
    cnp = people[0].membership.participant.cnp
    assert f"…{cnp[-3:]}" in text and cnp not in text and cnp[-6:] not in text


def test_a_long_sheet_repeats_the_header_on_every_page(cohort, client):
    cohort, sessions = cohort
    enroll(cohort, 45)
    pages = pages_text(client.get(f"/attendance/sessions/{sessions[0].id}/sign-in-sheet.pdf").data)
    assert len(pages) > 1
    for number, text in enumerate(pages, start=1):
        assert_identity(text, cohort.project)
        assert f"Pagina {number} din {len(pages)}" in text
        assert "LISTĂ DE PREZENȚĂ" in text and "G-CYB-1" in text and "02.03.2026" in text
        if "Ștefănescu" in text:  # the table's heading on every page of its rows
            assert "Nume și prenume" in text
    assert "Ștefănescu044 Ioana" in " ".join(pages) and "Semnătura formatorului" in pages[-1]


def test_a_week_sheet_puts_the_week_sessions_side_by_side(cohort, client):
    cohort, sessions = cohort
    TrainingSessionFactory(cohort=cohort, date=date(2026, 3, 10), start_time=time(9),
                           end_time=time(13), hours=Decimal(4))  # the next week
    db.session.commit()
    enroll(cohort, 3)
    response = client.get(f"/attendance/sessions/{sessions[1].id}/sign-in-sheet.pdf?week=1")
    (text,) = pages_text(response.data)
    assert all(f"0{day}.03 09:00–13:00" in text for day in (2, 3, 4))
    assert "10.03" not in text and "SĂPTĂMÂNALĂ" in text and "Total: 12 ore" in text
    assert "saptamana-2026-W10" in response.headers["Content-Disposition"]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize("kind", ["sheet", "certificate"])
def test_rendered_pages_are_not_blank_and_carry_the_identity_band(cohort, client, tmp_path,
                                                                  kind):
    cohort, sessions = cohort
    (enrollment,) = enroll(cohort, 1, present=sessions)
    if kind == "sheet":
        content = client.get(f"/attendance/sessions/{sessions[0].id}/sign-in-sheet.pdf").data
    else:
        close_cohort(db.session, cohort, date(2026, 4, 1), confirmed=True)
        (certificate,) = issue_certificates(db.session, cohort, date(2026, 4, 1))
        content = client.get(f"/attendance/certificates/{certificate.id}.pdf").data
    (tmp_path / "page.pdf").write_bytes(content)
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1",
                    str(tmp_path / "page.pdf"), str(tmp_path / "page")], check=True)
    (png,) = tmp_path.glob("page*.png")
    picture = Image.open(png).convert("RGB")
    width, height = picture.size
    top_band = picture.crop((0, 0, width, height // 10))
    assert top_band.getextrema() != ((255, 255), (255, 255), (255, 255))  # not all white
    pixels = top_band.tobytes()
    blue = sum(1 for i in range(0, len(pixels), 3) if pixels[i + 2] > 120 and pixels[i] < 60)
    assert blue > 20  # the emblem's Reflex Blue
    assert picture.getextrema() != ((255, 255), (255, 255), (255, 255))


def test_every_generated_pdf_carries_the_identity(cohort, client, auth):
    cohort, sessions = cohort
    (enrollment,) = enroll(cohort, 1, present=sessions)
    close_cohort(db.session, cohort, date(2026, 4, 1), confirmed=True)
    (certificate,) = issue_certificates(db.session, cohort, date(2026, 4, 1))
    person = enrollment.membership.participant
    documents = {
        "certificate": client.get(f"/attendance/certificates/{certificate.id}.pdf").data,
        "register": client.get(f"/attendance/cohorts/{cohort.id}/register.pdf").data,
        "record": client.get(f"/participants/{person.id}/export.pdf").data,
    }
    dossier = zipfile.ZipFile(io.BytesIO(client.get(
        f"/participants/cohorts/{cohort.id}/dossier.zip").data))
    for name in dossier.namelist():
        if name.endswith(".pdf"):
            documents[name] = dossier.read(name)
    assert len(documents) == 5  # the dossier's record and certificate too
    for name, content in documents.items():
        text = " ".join(pages_text(content))
        assert_identity(text, cohort.project), name


def test_the_call_texts_replace_the_defaults(cohort, client):
    cohort, sessions = cohort
    save_identity_texts(db.session, cohort.project.call, {"ro": {
        "programme": "Programul Operațional Educație și Ocupare 2021–2027",
        "cofinancing": "Proiect cofinanțat din FSE+ prin PEO"}}, user_id=None)
    db.session.commit()
    (text,) = pages_text(client.get(f"/attendance/sessions/{sessions[0].id}/sign-in-sheet.pdf").data)
    assert "Programul Operațional Educație și Ocupare 2021–2027" in text
    assert "Proiect cofinanțat din FSE+ prin PEO" in text and "Capital Uman" not in text
    assert "Uniunea Europeană" in text  # the texts left blank keep their default


# --- certificate templates -------------------------------------------------------------------

def _issue(cohort, sessions):
    enroll(cohort, 1, present=sessions)
    close_cohort(db.session, cohort, date(2026, 4, 1), confirmed=True)
    (certificate,) = issue_certificates(db.session, cohort, date(2026, 4, 1))
    return certificate


def test_a_template_change_leaves_issued_certificates_as_issued(cohort, client):
    cohort, sessions = cohort
    template = save_template(db.session, cohort.project.call, title="ADEVERINȚĂ",
                             body="{name} a urmat {course} ({hours} din {planned_hours} ore, "
                                  "{period}), seria {serial}, în proiectul {project}.",
                             signatures=[{"name": "Maria Ionescu", "role": "Manager de proiect"}],
                             orientation="P", user_id=None)
    db.session.commit()
    certificate = _issue(cohort, sessions)
    url = f"/attendance/certificates/{certificate.id}.pdf"
    before = " ".join(pages_text(client.get(url).data))
    assert "ADEVERINȚĂ" in before and "Maria Ionescu" in before and "Manager de proiect" in before
    assert (f"Ioana Ștefănescu000 a urmat Securitate cibernetică (12 din 8 ore, 2026-03-02 – 2026-03-04), "
            f"seria {certificate.serial}, în proiectul {cohort.project.title}.") in before
    assert certificate.template["version"] == 1

    save_template(db.session, cohort.project.call, title="CERTIFICAT NOU", body="Altceva {name}",
                  signatures=[], orientation="L", user_id=None)
    db.session.commit()
    assert template.version == 2
    after = " ".join(pages_text(client.get(url).data))
    assert after == before
    page = client.get(f"/verify/{certificate.token}").get_data(as_text=True)
    assert "Valid" in page


def test_the_project_template_wins_over_the_call_one(cohort):
    cohort, sessions = cohort
    save_template(db.session, cohort.project.call, title="DIN APEL", body="{name}", signatures=[],
                  orientation="L", user_id=None)
    save_template(db.session, cohort.project, title="DIN PROIECT", body="{name}", signatures=[],
                  orientation="L", user_id=None)
    db.session.commit()
    assert _issue(cohort, sessions).template["title"] == "DIN PROIECT"


def test_certificates_issued_before_templates_keep_working(cohort, client):
    cohort, sessions = cohort
    certificate = _issue(cohort, sessions)
    certificate.template = None  # as issued before templates existed
    db.session.commit()
    save_template(db.session, cohort.project.call, title="ALTUL", body="{name}", signatures=[],
                  orientation="L", user_id=None)
    db.session.commit()
    text = " ".join(pages_text(client.get(f"/attendance/certificates/{certificate.id}.pdf").data))
    assert "CERTIFICAT DE ABSOLVIRE" in text and "ALTUL" not in text
    assert "Securitate cibernetică" in text and "12 ore frecventate din 8 ore planificate" in text


@pytest.mark.parametrize("body", ["{name} {nume}", "{name.__class__}", "{hours:>10}", "{name!r}",
                                  "Acolada { singură", "}"])
def test_bad_placeholders_are_refused(app, body):
    from trainhub.core.errors import Problems

    project = ProjectFactory()
    with pytest.raises(Problems) as refused:
        save_template(db.session, project, title="T", body=body, signatures=[],
                      orientation="L", user_id=None)
    message = str(refused.value)
    assert "{name} {course} {hours} {planned_hours} {period} {serial} {project}" in message
    assert db.session.query(Certificate).count() == 0
    from trainhub.programme.models import CertificateTemplate

    assert db.session.query(CertificateTemplate).count() == 0


def test_the_grid_links_each_session_to_its_sheet_and_its_week_sheet(cohort, client):
    cohort, sessions = cohort
    enroll(cohort, 1)
    page = client.get(f"/attendance/cohorts/{cohort.id}").get_data(as_text=True)
    assert f"/attendance/sessions/{sessions[0].id}/sign-in-sheet.pdf?week=1" in page


def test_only_the_one_document_class_makes_pdfs():
    """Every PDF goes through core/pdf.py, so none leaves without the letterhead."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "trainhub"
    makers = sorted(str(path.relative_to(root)) for path in root.rglob("*.py")
                    if "fpdf" in path.read_text(encoding="utf-8"))
    assert makers == ["core/pdf.py"]
