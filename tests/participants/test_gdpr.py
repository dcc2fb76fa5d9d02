"""Data protection: consent, retention hold, data-subject export, erasure, retention review."""
import io
import json
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.conftest import xlsx_table
from tests.factories import (
    AttendanceMarkFactory,
    DocumentRequirementFactory,
    EnrollmentFactory,
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    TrainingSessionFactory,
    UserFactory,
    join_team,
)
from trainhub.attendance.models import Certificate
from trainhub.attendance.services import store_signed_sheet
from trainhub.audit.models import AuditEvent
from trainhub.documents.models import Document
from trainhub.documents.services import accept, document_path, upload_document
from trainhub.extensions import db
from trainhub.imports.importers import run_import
from trainhub.indicators.services import compute
from trainhub.participants import gdpr
from trainhub.participants.eligibility import decide
from trainhub.participants.models import Membership, Participant
from trainhub.scheduler import add_jobs

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here

PDF = b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"scan-bytes"
TODAY = date.today()


def _person(project, *, firm=None, disability=True, entry=date(2026, 3, 3),
            last_name="Ștefănescu", email="ioana@example.ro", phone="0722000111", **fields):
    """A counted member of `project` who attended one session on `entry`."""
    participant = ParticipantFactory(
        enterprise=firm or EnterpriseFactory(), last_name=last_name, first_name="Ioana",
        sex="F", birth=date(1966, 4, 9), email=email, phone=phone,
        job_title="Contabilă", disability=disability, minority_or_migrant=True, **fields)
    membership = MembershipFactory(project=project, participant=participant)
    enrollment = EnrollmentFactory(membership=membership, cohort__project=project,
                                   enrolled_on=entry, status="completed")
    session = TrainingSessionFactory(cohort=enrollment.cohort, date=entry)
    AttendanceMarkFactory(enrollment=enrollment, session=session, status="present")
    db.session.commit()
    return participant, membership, enrollment, session


def _accepted_document(app, participant, data=PDF, name="formular înscriere.pdf"):
    requirement = DocumentRequirementFactory(call=participant.memberships[0].project.call)
    db.session.commit()
    document = upload_document(db.session, requirement, participant, data, name, None,
                               upload_dir=app.config["UPLOAD_DIR"])
    return accept(db.session, document, None)


@pytest.fixture
def ended_project(app):
    """A project that ended more than RETENTION_YEARS (10) ago: nothing holds its records."""
    return ProjectFactory(code="SMIS-OLD", start_date=date(2010, 1, 1), end_date=date(2012, 6, 30))


@pytest.fixture
def running_project(app):
    return ProjectFactory(code="SMIS-NOW", start_date=date(2026, 1, 1),
                          end_date=date(2027, 12, 31))


def _login(auth, role, **fields):
    user = UserFactory(role=role, **fields)
    db.session.commit()
    assert auth.login(user.email).status_code == 302
    return user


# --- consent ---------------------------------------------------------------------------------

def test_a_coordinator_records_consent_with_the_signed_registration_form(app, auth, client,
                                                                        running_project):
    participant, membership, _e, _s = _person(running_project)
    document = _accepted_document(app, participant)
    _login(auth, "coordinator")
    page = client.get(f"/participants/{participant.id}").get_data(as_text=True)
    assert "Record consent" in page and "not recorded" in page
    assert "records kept until 2037-12-31" in page
    response = auth.post(f"/participants/memberships/{membership.id}/consent", {
        "given_on": "2026-02-10", "text_version": "2026-01", "method": "signed registration form",
        "document_id": str(document.id)})
    assert response.status_code == 302
    membership = db.session.get(Membership, membership.id)
    assert membership.consent_given_at.date() == date(2026, 2, 10)
    assert (membership.consent_text_version, membership.consent_method) == (
        "2026-01", "signed registration form")
    assert membership.consent_document_id == document.id
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "consent.record"))
    page = client.get(f"/participants/{participant.id}").get_data(as_text=True)
    assert "given on 2026-02-10, text version 2026-01" in page


@pytest.mark.parametrize("given_on, version, method, other_document, message", [
    ((TODAY + timedelta(days=2)).isoformat(), "v1", "signed form", False, "in the future"),
    ("2026-02-10", "v1", "signed form", True, "one of this person"),
    ("2026-02-10", "", "signed form", False, "not recorded"),
    ("not a date", "v1", "signed form", False, "not recorded"),
])
def test_bad_consent_is_refused_with_the_reason(app, auth, client, running_project, given_on,
                                                version, method, other_document, message):
    participant, membership, _e, _s = _person(running_project)
    stranger, *_rest = _person(running_project)
    document = _accepted_document(app, stranger if other_document else participant)
    _login(auth, "coordinator")
    response = auth.post(f"/participants/memberships/{membership.id}/consent", {
        "given_on": given_on, "text_version": version, "method": method,
        "document_id": str(document.id)}, follow_redirects=True)
    assert message in response.get_data(as_text=True)
    assert db.session.get(Membership, membership.id).consent_given_at is None


def test_an_sme_cannot_record_consent_and_another_company_gets_404(app, auth, client,
                                                                   running_project):
    firm, other = EnterpriseFactory(), EnterpriseFactory()
    _participant, membership, _e, _s = _person(running_project, firm=firm)
    _login(auth, "sme", enterprise=other)
    data = {"given_on": "2026-02-10", "text_version": "v1", "method": "signed form"}
    assert auth.post(f"/participants/memberships/{membership.id}/consent", data).status_code == 404
    auth.logout()
    _login(auth, "sme", enterprise=firm)
    assert auth.post(f"/participants/memberships/{membership.id}/consent", data).status_code == 403


# --- retention -------------------------------------------------------------------------------

def test_retention_date_is_the_end_date_plus_the_configured_years(app, running_project):
    assert app.config["RETENTION_YEARS"] == 10
    assert gdpr.retention_date(running_project, 10) == date(2037, 12, 31)
    leap = ProjectFactory(start_date=date(2023, 1, 1), end_date=date(2024, 2, 29))
    assert gdpr.retention_date(leap, 1) == date(2025, 2, 28)


def test_a_person_is_held_while_any_project_is_within_retention(app, ended_project,
                                                                running_project):
    participant, *_rest = _person(ended_project)
    assert gdpr.retention_holds(db.session, participant, 10, TODAY) == []
    MembershipFactory(project=running_project, participant=participant)
    db.session.commit()
    holds = gdpr.retention_holds(db.session, participant, 10, TODAY)
    assert [(hold.project.code, hold.until) for hold in holds] == [("SMIS-NOW", date(2037, 12, 31))]
    assert gdpr.retention_holds(db.session, participant, 10, date(2038, 1, 1)) == []


# --- export ----------------------------------------------------------------------------------

def test_the_data_subject_export_holds_everything_and_is_audited(app, auth, client,
                                                                 running_project):
    participant, membership, enrollment, _session = _person(running_project)
    document = _accepted_document(app, participant)
    db.session.add(Certificate(enrollment=enrollment, serial="TH-77", issued_on=date(2026, 5, 1),
                               token="tok-77"))
    db.session.commit()
    _login(auth, "coordinator")
    response = client.get(f"/participants/{participant.id}/export.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["participant"]["cnp"] == participant.cnp
    assert data["participant"]["last_name"] == "Ștefănescu"
    assert data["participant"]["disability"] is True
    [member] = data["memberships"]
    assert member["project"] == "SMIS-NOW" and member["eligibility"] == "eligible"
    assert member["retained_until"] == "2037-12-31" and "evidence" in member
    [course] = data["enrollments"]
    assert course["status"] == "completed" and course["attendance"][0]["status"] == "present"
    assert [d["id"] for d in data["documents"]] == [document.id]
    assert data["certificates"][0]["serial"] == "TH-77"
    pdf = client.get(f"/participants/{participant.id}/export.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Ștefănescu" in text and "TH-77" in text and "SMIS-NOW" in text
    formats = db.session.scalars(select(AuditEvent.changes).where(
        AuditEvent.action == "participant.export", AuditEvent.entity_id == participant.id)).all()
    assert sorted(change["format"] for change in formats) == ["json", "pdf"]


@pytest.mark.parametrize("url", ["/participants/{id}/export.json", "/participants/{id}/export.pdf",
                                 "/participants/{id}/dossier.zip"])
def test_personal_data_downloads_are_for_the_project_team_only(app, auth, client,
                                                               running_project, url):
    firm, other = EnterpriseFactory(), EnterpriseFactory()
    participant, *_rest = _person(running_project, firm=firm)
    _login(auth, "sme", enterprise=other)
    assert client.get(url.format(id=participant.id)).status_code == 404
    auth.logout()
    _login(auth, "sme", enterprise=firm)
    assert client.get(url.format(id=participant.id)).status_code == 403
    auth.logout()
    _login(auth, "authority")
    assert client.get(url.format(id=participant.id)).status_code == 403
    assert client.get(url.format(id=999999)).status_code == 404
    assert not db.session.scalar(select(AuditEvent).where(AuditEvent.action.in_(
        ["participant.export", "dossier.download"])))


# --- erasure ---------------------------------------------------------------------------------

def test_erasure_under_retention_is_refused_with_project_and_date(app, auth, client,
                                                                  running_project):
    participant, *_rest = _person(running_project)
    cnp = participant.cnp
    _login(auth, "coordinator")
    response = auth.post(f"/participants/{participant.id}/erase", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Erasure refused" in page and "SMIS-NOW" in page and "2037-12-31" in page
    assert db.session.get(Participant, participant.id).cnp == cnp
    assert not db.session.scalar(select(AuditEvent).where(AuditEvent.action == "participant.erase"))


def test_erasure_pseudonymises_keeps_indicators_and_leaves_no_trace_in_the_audit(
        app, auth, client, ended_project):
    participant, membership, _e, _s = _person(ended_project)
    other, *_rest = _person(ended_project, disability=False, last_name="Ionescu",
                            email="other@example.ro", phone="0733000222")
    document = _accepted_document(app, participant)
    path = document_path(document, app.config["UPLOAD_DIR"])
    decide(db.session, membership, "eligible", user_id=None, note="")
    db.session.commit()
    erased = {"cnp": participant.cnp, "last": participant.last_name, "email": participant.email,
              "phone": participant.phone}
    sex, birth = participant.sex, participant.birth_date
    period = (date(2010, 1, 1), date(2030, 12, 31))
    before = compute(db.session, ended_project, *period)
    assert before["TOTAL"]["women"] == 2 and before["CO16"]["women"] == 1
    assert path.is_file()
    _login(auth, "coordinator")
    response = auth.post(f"/participants/{participant.id}/erase", follow_redirects=True)
    assert "pseudonymised" in response.get_data(as_text=True)

    person = db.session.get(Participant, participant.id)
    assert person.cnp == gdpr.pseudonym_token(participant.id) and len(person.cnp) == 13
    assert (person.last_name, person.first_name, person.email, person.phone, person.job_title) == (
        "Pseudonymised", "", "", "", "")
    assert (person.sex, person.birth_date) == (sex, birth)
    assert person.disability is True  # counted in CO16: kept for the count
    assert person.pseudonymised_at is not None
    assert compute(db.session, ended_project, *period) == before
    assert not path.exists()
    row = db.session.get(Document, document.id)
    assert gdpr.FILE_DELETED_NOTE in row.review_reason and row.original_name == "erased"
    assert db.session.get(Participant, other.id).last_name == "Ionescu"  # others untouched
    evidence = json.dumps(db.session.get(Membership, membership.id).evidence, ensure_ascii=False)
    assert erased["cnp"] not in evidence and "Ștefănescu" not in evidence
    trail = json.dumps([e.changes for e in db.session.scalars(select(AuditEvent))],
                       ensure_ascii=False)
    for value in erased.values():
        assert value not in trail
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "participant.erase"))
    assert event.entity_id == participant.id and event.changes["files_deleted"] == 1
    # a second request is refused, and so is the edit form
    again = auth.post(f"/participants/{participant.id}/erase", follow_redirects=True)
    assert "already erased" in again.get_data(as_text=True)
    edit = client.get(f"/participants/{participant.id}/edit", follow_redirects=True)
    assert "can no longer be edited" in edit.get_data(as_text=True)
    # a change to the row keeps the stored sex and birth date (the token is not a CNP)
    person.county = "RO-B"
    db.session.commit()
    assert (db.session.get(Participant, participant.id).birth_date) == birth


def test_re_importing_an_erased_person_creates_a_new_person(app, ended_project):
    participant, *_rest = _person(ended_project)
    cnp, cui = participant.cnp, participant.enterprise.cui
    gdpr.erase(db.session, participant, years=10, today=TODAY, upload_dir=app.config["UPLOAD_DIR"],
               user_id=None)
    db.session.commit()
    rows = ("cnp,last_name,first_name,enterprise_cui,county,environment,isced,employment_status\n"
            f"{cnp},Ștefănescu,Ioana,{cui},Cluj,urban,3,employed\n")
    report = run_import(db.session, "participants", rows.encode(), ended_project, user_id=None)
    assert report.written and (report.created, report.updated) == (1, 0), report.errors
    returning = db.session.scalar(select(Participant).where(Participant.cnp == cnp))
    assert returning.id != participant.id and returning.last_name == "Ștefănescu"
    erased = db.session.get(Participant, participant.id)
    assert gdpr.is_pseudonymised(erased) and erased.last_name == "Pseudonymised"


def test_erasure_drops_special_categories_of_someone_never_counted(app, ended_project):
    participant = ParticipantFactory(disability=True, minority_or_migrant=True)
    MembershipFactory(project=ended_project, participant=participant, eligibility_status="pending")
    db.session.commit()
    summary = gdpr.erase(db.session, participant, years=10, today=TODAY,
                         upload_dir=app.config["UPLOAD_DIR"], user_id=None)
    db.session.commit()
    person = db.session.get(Participant, participant.id)
    assert summary["special_categories_kept"] is False
    assert person.disability is None and person.minority_or_migrant is None


def test_a_file_shared_with_someone_else_is_kept(app, ended_project):
    first, *_rest = _person(ended_project)
    second, *_rest = _person(ended_project)
    _accepted_document(app, first)
    shared = _accepted_document(app, second)
    gdpr.erase(db.session, first, years=10, today=TODAY, upload_dir=app.config["UPLOAD_DIR"],
               user_id=None)
    db.session.commit()
    assert document_path(shared, app.config["UPLOAD_DIR"]).is_file()


# --- retention review ------------------------------------------------------------------------

def test_the_daily_job_lists_people_past_retention_for_an_admin_to_confirm(app, auth, client,
                                                                         ended_project,
                                                                         running_project):
    due, *_rest = _person(ended_project)
    held, *_rest = _person(ended_project)
    MembershipFactory(project=running_project, participant=held)
    db.session.commit()
    assert gdpr.retention_check(db.session, 10, TODAY) == [due.id]
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.due"))
    assert event.changes["participants"] == [due.id]

    _login(auth, "admin")
    page = client.get("/participants/retention").get_data(as_text=True)
    assert f'data-testid="due-{due.id}"' in page and f'data-testid="due-{held.id}"' not in page
    refused = auth.post(f"/participants/{held.id}/retention-delete", follow_redirects=True)
    assert "Deletion refused" in refused.get_data(as_text=True)
    auth.post(f"/participants/{due.id}/retention-delete")
    assert db.session.get(Participant, due.id).last_name == "Pseudonymised"
    assert f'data-testid="due-{due.id}"' not in client.get("/participants/retention").get_data(
        as_text=True)
    assert gdpr.retention_check(db.session, 10, TODAY) == []


def test_the_retention_check_is_a_daily_job(app):
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler()
    add_jobs(scheduler, app)
    job = scheduler.get_job("retention_check")
    assert job is not None and "hour='6', minute='30'" in str(job.trigger)


# --- special categories ----------------------------------------------------------------------

@pytest.mark.parametrize("role, sees", [("admin", True), ("coordinator", True),
                                        ("trainer", False), ("authority", False),
                                        ("sme", False)])
def test_special_categories_only_for_the_roles_that_need_them(app, auth, client,
                                                              running_project, role, sees):
    firm = EnterpriseFactory()
    participant, _m, enrollment, _s = _person(running_project, firm=firm)
    user = _login(auth, role, **({"enterprise": firm} if role == "sme" else {}))
    if role == "trainer":
        enrollment.cohort.trainer_id = user.id
        join_team(user, running_project)
        db.session.commit()
    for url in (f"/participants/{participant.id}", "/participants/"):
        page = client.get(url)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert ("Disability" in text) is sees, url
        assert ("Minority/migrant" in text) is sees, url
    detail = client.get(f"/participants/{participant.id}").get_data(as_text=True)
    assert (participant.cnp in detail) is (role in ("admin", "coordinator", "sme"))


@pytest.mark.parametrize("role, sees", [("coordinator", True), ("authority", False)])
def test_the_register_export_leaves_special_categories_out_for_the_authority(
        app, auth, client, running_project, role, sees):
    participant, *_rest = _person(running_project)
    _login(auth, role)
    response = client.get(f"/participants/register.xlsx?project={running_project.id}")
    header, first, *_rest = xlsx_table(response.data)
    header = list(header)
    row = dict(zip(header, first, strict=True))
    assert ("disability" in header) is sees and ("minority_or_migrant" in header) is sees
    assert header.count("disability") == (1 if sees else 0)  # the answer; the flag is apart
    assert ("flag_disability" in header) is sees and len(header) == len(set(header))
    assert row["cnp"] != participant.cnp or role == "coordinator"
    assert row["last_name"] == "Ștefănescu"


# --- audit dossier ---------------------------------------------------------------------------

def test_the_dossier_zip_holds_record_documents_sheets_and_certificate(app, auth, client,
                                                                       running_project):
    participant, membership, enrollment, session = _person(running_project)
    document = _accepted_document(app, participant)
    decide(db.session, membership, "eligible", user_id=None, note="")
    store_signed_sheet(db.session, session, PNG, "foaie.png", user_id=None,
                       upload_dir=app.config["UPLOAD_DIR"], max_bytes=10**6)
    db.session.add(Certificate(enrollment=enrollment, serial="TH-9", issued_on=date(2026, 5, 1),
                               token="tok-9"))
    colleague, *_rest = _person(running_project)
    other_enrollment = EnrollmentFactory(
        membership=colleague.memberships[0], cohort=enrollment.cohort, enrolled_on=date(2026, 3, 1))
    db.session.commit()
    _login(auth, "coordinator")
    grid = client.get(f"/attendance/cohorts/{enrollment.cohort_id}").get_data(as_text=True)
    assert f"/participants/cohorts/{enrollment.cohort_id}/dossier.zip" in grid
    response = client.get(f"/participants/{participant.id}/dossier.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    folder = f"{participant.id}-Ștefănescu_Ioana"
    assert f"{folder}/record.pdf" in names
    assert archive.read(f"{folder}/documents/{document.id}-formular_înscriere.pdf") == PDF
    [sheet] = [name for name in names if "/attendance/" in name]
    assert archive.read(sheet) == PNG and sheet.endswith("signed-sheet.png")
    assert archive.read(f"{folder}/certificates/TH-9.pdf").startswith(b"%PDF")
    record = PdfReader(io.BytesIO(archive.read(f"{folder}/record.pdf")))
    text = "".join(page.extract_text() for page in record.pages)
    assert "Evidence snapshot" in text and "Ștefănescu" in text
    cohort_zip = client.get(f"/participants/cohorts/{enrollment.cohort_id}/dossier.zip")
    folders = {Path(name).parts[0] for name in zipfile.ZipFile(io.BytesIO(cohort_zip.data)).namelist()}
    assert folders == {folder, f"{colleague.id}-Ștefănescu_Ioana"}
    assert other_enrollment.id
    downloads = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "dossier.download")).all()
    assert [event.entity_type for event in downloads] == ["participants", "cohorts"]


def test_a_dossier_notes_files_missing_from_storage(app, running_project):
    from trainhub.participants.dossier import dossier_zip

    participant, *_rest = _person(running_project)
    document = _accepted_document(app, participant)
    document_path(document, app.config["UPLOAD_DIR"]).unlink()
    with dossier_zip(db.session, [participant], years=10, today=TODAY,
                     upload_dir=app.config["UPLOAD_DIR"],
                     verify_url=lambda token: f"http://x/verify/{token}") as spool:
        archive = zipfile.ZipFile(spool)
        missing = [name for name in archive.namelist() if name.endswith("MISSING.txt")]
        assert missing and f"document {document.id}" in archive.read(missing[0]).decode()


def test_an_sme_edits_its_employee_without_seeing_or_losing_special_categories(
        app, auth, client, running_project):
    firm = EnterpriseFactory()
    participant, *_rest = _person(running_project, firm=firm)
    _login(auth, "sme", enterprise=firm)
    form = client.get(f"/participants/{participant.id}/edit").get_data(as_text=True)
    assert 'name="disability"' not in form and 'name="minority_or_migrant"' not in form
    response = auth.post(f"/participants/{participant.id}/edit", {
        "cnp": participant.cnp, "last_name": "Ștefănescu", "first_name": "Ioana Maria",
        "job_title": "Contabilă", "email": "ioana@example.ro", "phone": "0722000111",
        "county": "RO-CJ", "environment": "urban", "isced": "3",
        "employment_status": "employed"})
    assert response.status_code == 302
    person = db.session.get(Participant, participant.id)
    assert person.first_name == "Ioana Maria"
    assert person.disability is True and person.minority_or_migrant is True
