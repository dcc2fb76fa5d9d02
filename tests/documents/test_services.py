"""Upload, review and completeness rules, called as plain functions (no web)."""
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from tests.documents.conftest import EXE, HTML, JPEG, PDF, PDF_WITH_JS, PNG
from tests.factories import (
    CallFactory,
    CohortFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
)
from trainhub.audit.models import AuditEvent
from trainhub.courses.services import EnrollmentRefused, enroll
from trainhub.documents import services, storage
from trainhub.documents.models import Document
from trainhub.documents.services import LineStatus, ReviewRefused, UploadRefused
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.participants.models import Participant

TODAY = date(2026, 6, 1)


def _upload(programme, code, owner, data=PDF, name="act.pdf", today=TODAY):
    return services.upload_document(db.session, programme.requirement(code), owner, data, name,
                                    programme.sme.id, today=today)


def _stored_files(app):
    from pathlib import Path

    return [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]


def test_upload_stores_a_pending_version_and_audits_it(app, programme):
    worker = programme.employees[0]
    first = _upload(programme, "id_card", worker, name="../../etc/passwd")
    second = _upload(programme, "id_card", worker, data=PNG, name="buletin.png")
    assert (first.version, second.version) == (1, 2)
    assert first.status == second.status == "pending"
    assert (first.original_name, first.content_type) == ("passwd.pdf", "application/pdf")
    assert second.content_type == "image/png"
    assert services.document_path(first).read_bytes() == PDF
    assert first.uploaded_by_id == programme.sme.id
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action == "document.upload")).all()
    assert len(actions) == 2


def test_validity_counts_from_the_upload_day(app, programme):
    document = _upload(programme, "employment_certificate", programme.employees[0])
    assert document.valid_until == TODAY + timedelta(days=30)
    assert _upload(programme, "id_card", programme.employees[0]).valid_until is None


@pytest.mark.parametrize("data, name, message", [
    (EXE, "factura.pdf", "not a PDF, JPEG or PNG"),
    (HTML, "poza.png", "not a PDF, JPEG or PNG"),
    (b"", "gol.pdf", "The file is empty."),
])
def test_bad_files_are_refused_and_nothing_is_stored(app, programme, data, name, message):
    with pytest.raises(UploadRefused) as refused:
        _upload(programme, "id_card", programme.employees[0], data=data, name=name)
    assert message in str(refused.value)
    assert db.session.scalar(select(func.count(Document.id))) == 0
    assert _stored_files(app) == []


def test_size_limit_is_the_smaller_of_the_line_and_the_config(app, programme):
    requirement = programme.requirement("id_card")
    requirement.max_size = 1000
    db.session.commit()
    with pytest.raises(UploadRefused) as refused:
        _upload(programme, "id_card", programme.employees[0], data=PDF + b"x" * 2000)
    assert "at most 1000 bytes" in str(refused.value)
    app.config["UPLOAD_MAX_BYTES"] = 50
    with pytest.raises(UploadRefused):
        _upload(programme, "diploma", programme.employees[0], data=PDF + b"x" * 60)
    assert _stored_files(app) == []


def test_a_line_accepts_only_its_types(app, programme):
    programme.requirement("id_card").accepted_types = ["application/pdf"]
    db.session.commit()
    with pytest.raises(UploadRefused, match="does not accept PNG"):
        _upload(programme, "id_card", programme.employees[0], data=PNG)
    assert _upload(programme, "diploma", programme.employees[0], data=JPEG).version == 1


def test_pdf_with_javascript_is_accepted_but_not_previewable(app, programme):
    document = _upload(programme, "id_card", programme.employees[0], data=PDF_WITH_JS)
    assert document.content_type == "application/pdf"
    assert not storage.previewable(document.content_type,
                                   services.document_path(document).read_bytes())


def test_only_lines_of_the_owner_checklist_take_uploads(app, programme):
    healthy, disabled = programme.employees
    with pytest.raises(UploadRefused, match="not on the checklist"):
        _upload(programme, "registration_certificate", healthy)  # an enterprise line
    with pytest.raises(UploadRefused, match="not on the checklist"):
        _upload(programme, "id_card", programme.firm)  # a participant line
    with pytest.raises(UploadRefused, match="not on the checklist"):
        _upload(programme, "disability_certificate", healthy)  # condition not met
    assert _upload(programme, "disability_certificate", disabled).version == 1
    assert db.session.scalar(select(func.count(Document.id))) == 1


def _decide(programme, document, accept=True, reason=""):
    if accept:
        return services.accept(db.session, document, programme.coordinator.id)
    return services.reject(db.session, document, reason, programme.coordinator.id)


def test_every_status_a_line_can_have(app, programme):
    worker = programme.employees[0]
    pending = _upload(programme, "id_card", worker)
    _decide(programme, _upload(programme, "registration_form", worker))
    _decide(programme, _upload(programme, "diploma", worker), accept=False, reason="Illegible")
    soon = _upload(programme, "employment_certificate", worker, today=TODAY - timedelta(days=20))
    _decide(programme, soon)
    late = _upload(programme, "no_double_financing", worker)
    _decide(programme, late)
    late.valid_until = TODAY - timedelta(days=1)
    db.session.commit()
    checklist = services.checklist_for(db.session, worker, today=TODAY)
    statuses = {line.requirement.code: line.status for line in checklist.lines}
    assert statuses == {
        "id_card": LineStatus.PENDING, "employment_certificate": LineStatus.EXPIRING,
        "registration_form": LineStatus.ACCEPTED, "diploma": LineStatus.REJECTED,
        "no_double_financing": LineStatus.EXPIRED,
    }  # no disability certificate: the condition is not met
    assert next(line for line in checklist.lines if line.requirement.code == "diploma").reason \
        == "Illegible"
    assert pending.status == "pending"
    assert checklist.completeness == pytest.approx(2 / 5)  # expired counts as missing
    assert services.completeness_of(db.session, worker, today=TODAY) == pytest.approx(2 / 5)


def test_the_latest_version_wins(app, programme):
    worker = programme.employees[0]
    _decide(programme, _upload(programme, "id_card", worker))
    _upload(programme, "id_card", worker, data=PNG)
    line = services.checklist_for(db.session, worker, today=TODAY).lines[0]
    assert (line.requirement.code, line.status, line.document.version) == (
        "id_card", LineStatus.PENDING, 2)


def test_conditional_and_optional_lines_in_completeness(app, programme):
    disabled = programme.employees[1]
    programme.requirement("diploma").required = False
    db.session.commit()
    checklist = services.checklist_for(db.session, disabled, today=TODAY)
    assert [line.requirement.code for line in checklist.lines][-1] == "disability_certificate"
    assert checklist.required_count == 5  # 6 lines, the diploma optional
    for code in ("id_card", "employment_certificate", "registration_form",
                 "no_double_financing", "disability_certificate"):
        _decide(programme, _upload(programme, code, disabled))
    assert services.completeness_of(db.session, disabled, today=TODAY) == 1.0
    firm = services.checklist_for(db.session, programme.firm, today=TODAY)
    assert firm.required_count == 5 and firm.completeness == 0


def test_checklists_of_many_owners_take_a_constant_number_of_queries(app, programme,
                                                                     count_queries):
    def measure(n):
        people = [ParticipantFactory(enterprise=programme.firm) for _ in range(n)]
        for person in people:
            MembershipFactory(project=programme.project, participant=person)
            _upload(programme, "id_card", person)
        db.session.commit()
        ids = [person.id for person in people]
        db.session.expire_all()
        people = db.session.scalars(select(Participant).where(Participant.id.in_(ids))).all()
        firm = db.session.get(Enterprise, programme.firm.id)
        with count_queries() as counter:
            result = services.checklists_for(db.session, [firm], people, today=TODAY)
        assert all(result[("participant", p.id)].lines[0].status == LineStatus.PENDING
                   for p in people)
        return counter.count

    assert measure(3) == measure(30)


def test_checklists_write_the_owner_ids_into_the_sql_not_one_parameter_each(app, programme):
    """The board asks for every visible owner: a bound parameter per id made the driver parse a
    statement of a thousand placeholders per chunk (a third of the board's CPU on PostgreSQL)."""
    people = [ParticipantFactory(enterprise=programme.firm) for _ in range(40)]
    for person in people:
        MembershipFactory(project=programme.project, participant=person)
    _upload(programme, "id_card", people[0])
    db.session.commit()
    parameters = []

    def listener(_conn, _cursor, _statement, params, *_args):
        parameters.append(len(params or ()))

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = services.checklists_for(db.session, [programme.firm], people, today=TODAY)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert max(parameters) < 10
    assert result[("participant", people[0].id)].lines[0].status == LineStatus.PENDING
    assert result[("participant", people[1].id)].lines[0].status == LineStatus.MISSING


def test_checklist_counts_are_read_once_built_and_new_after_a_decision(app, programme):
    worker = programme.employees[0]
    document = _upload(programme, "id_card", worker)
    before = services.checklist_for(db.session, worker, today=TODAY)
    missing = before.missing_count
    assert before.missing_count == missing and before.done_count == 0
    _decide(programme, document)
    after = services.checklist_for(db.session, worker, today=TODAY)
    assert after.done_count == 1 and after.missing_count == missing - 1
    assert before.done_count == 0  # a checklist is the state it was built from


def test_rejection_needs_a_reason_and_only_the_latest_version_is_decided(app, programme):
    worker = programme.employees[0]
    first = _upload(programme, "id_card", worker)
    with pytest.raises(ReviewRefused, match="Give the reason"):
        _decide(programme, first, accept=False, reason="   ")
    with pytest.raises(ReviewRefused, match="too long"):
        _decide(programme, first, accept=False, reason="x" * 501)
    _decide(programme, first, accept=False, reason="Blurry photo")
    with pytest.raises(ReviewRefused, match="already rejected"):
        _decide(programme, first, accept=False, reason="again")
    _upload(programme, "id_card", worker)
    with pytest.raises(ReviewRefused, match="newer version"):
        _decide(programme, first)
    reject_event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "document.reject"))
    assert reject_event.user_id == programme.coordinator.id
    assert reject_event.changes["reason"] == "Blurry photo"


def test_bulk_accept_reports_what_it_skipped(app, programme):
    worker = programme.employees[0]
    old = _upload(programme, "id_card", worker)
    new = _upload(programme, "id_card", worker)
    other = _upload(programme, "diploma", worker)
    accepted, problems = services.bulk_accept(db.session, [old, new, other],
                                              programme.coordinator.id)
    assert accepted == 2 and len(problems) == 1
    assert (old.status, new.status, other.status) == ("pending", "accepted", "accepted")
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "document.accept")) == 2


def test_review_queue_is_oldest_first_and_filters(app, programme):
    firm_doc = _upload(programme, "registration_certificate", programme.firm)
    worker_doc = _upload(programme, "id_card", programme.employees[0])
    other_doc = _upload(programme, "id_card", programme.other_employee)
    queue = db.session.scalars(services.review_queue()).all()
    assert queue == [firm_doc, worker_doc, other_doc]
    assert db.session.scalars(services.review_queue(enterprise_id=programme.firm.id)).all() \
        == [firm_doc, worker_doc]
    assert db.session.scalars(services.review_queue(
        requirement_id=programme.requirement("id_card").id)).all() == [worker_doc, other_doc]


def test_the_enrollment_gate_names_the_missing_documents(app, programme):
    worker = programme.employees[0]
    membership = worker.memberships[0]
    cohort = CohortFactory(project=programme.project)
    db.session.commit()
    with pytest.raises(EnrollmentRefused) as refused:
        enroll(db.session, cohort, membership, TODAY)
    problems = [str(problem) for problem in refused.value.problems]
    assert "Document Copy of the identity card: missing." in problems
    assert "Employer document SME self-declaration: missing." in problems
    assert len(problems) == 10
    for line in services.checklist_for(db.session, worker, today=TODAY).lines:
        _decide(programme, _upload(programme, line.requirement.code, worker, today=date.today()))
    for line in services.checklist_for(db.session, programme.firm).lines:
        _decide(programme, _upload(programme, line.requirement.code, programme.firm))
    assert enroll(db.session, cohort, membership, TODAY).status == "enrolled"


def test_an_owner_in_no_project_sees_every_call_lines(app, programme):
    newcomer = ParticipantFactory(enterprise=programme.firm)
    other_call_project = ProjectFactory(call=CallFactory(code="POR/1.1"))
    db.session.commit()
    assert len(services.checklist_for(db.session, newcomer).lines) == 5
    assert other_call_project.call.requirements == []


def test_owners_beyond_one_chunk_get_the_same_checklists(app, programme, monkeypatch):
    people = [*programme.employees, programme.other_employee]
    for person in people:
        _decide(programme, _upload(programme, "id_card", person))
    firms = [programme.firm, programme.other_firm]
    whole = services.checklists_for(db.session, firms, people, today=TODAY)
    monkeypatch.setattr(services, "CHUNK", 1)
    chunked = services.checklists_for(db.session, firms, people, today=TODAY)
    assert {key: [(line.requirement.code, line.status) for line in checklist.lines]
            for key, checklist in chunked.items()} == {
        key: [(line.requirement.code, line.status) for line in checklist.lines]
        for key, checklist in whole.items()}
    assert chunked[("participant", people[2].id)].lines[0].status == LineStatus.ACCEPTED


def test_checklist_lines_are_the_checklists_lines_without_its_documents(app, programme):
    """The upload's check reads the lines that apply without the documents: the same lines,
    conditions applied (Popa has a disability, Ionescu not), in the same order."""
    for owner in (programme.firm, *programme.employees, programme.other_employee):
        assert services.checklist_lines(db.session, owner) == [
            line.requirement for line in services.checklist_for(db.session, owner).lines]
    popa, ionescu = programme.employees[1], programme.employees[0]
    assert len(services.checklist_lines(db.session, popa)) > len(
        services.checklist_lines(db.session, ionescu))
