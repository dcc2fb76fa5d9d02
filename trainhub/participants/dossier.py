"""The audit dossier: a person's record as PDF, and ZIP files of everything behind it."""
import json
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import IO

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from trainhub.attendance.models import Certificate, SignInSheet
from trainhub.attendance.services import certificate_document
from trainhub.core.labels import label
from trainhub.core.pdf import Letterhead, new_document
from trainhub.courses.models import Cohort, Enrollment, TrainingSession
from trainhub.documents import storage
from trainhub.documents.models import Document, DocumentStatus
from trainhub.participants.gdpr import subject_data
from trainhub.participants.models import Membership, Participant
from trainhub.programme.identity import letterhead_for
from trainhub.programme.models import Project

#: how a certificate's public verification address is made from its token (the caller knows)
VerifyUrl = Callable[[str], str]


def _line(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def person_letterhead(db_session: Session, participant: Participant,
                      upload_dir: str | Path) -> Letterhead:
    """The identity on a person's papers: that of the project the person joined first."""
    project = db_session.scalar(select(Project).join(Membership, Membership.project_id == Project.id)
                                .where(Membership.participant_id == participant.id)
                                .order_by(Membership.id).limit(1))
    return letterhead_for(db_session, project, upload_dir)


def record_pdf(data: dict, letterhead: Letterhead | None = None) -> bytes:
    """The person's data (as from `subject_data`) as a readable PDF, diacritics included; the
    headings and stored codes in the reader's language, the field names as stored."""
    document = new_document(letterhead)
    width = document.w - document.l_margin - document.r_margin

    def heading(text: str) -> None:
        document.ln(3)
        document.set_font("DejaVu", "B", 12)
        document.multi_cell(width, 7, text, new_x="LMARGIN", new_y="NEXT")
        document.set_font("DejaVu", "", 9)

    def pairs(values: dict, indent: str = "") -> None:
        for key, value in values.items():
            if isinstance(value, dict) and value:
                document.multi_cell(width, 5, f"{indent}{key}:", new_x="LMARGIN", new_y="NEXT")
                pairs(value, indent + "    ")
            else:
                document.multi_cell(width, 5, f"{indent}{key}: {_line(value)}",
                                    new_x="LMARGIN", new_y="NEXT")

    person = data["participant"]
    document.set_font("DejaVu", "B", 15)
    document.multi_cell(width, 9, f"{person['last_name']} {person['first_name']}".strip(),
                        new_x="LMARGIN", new_y="NEXT")
    document.set_font("DejaVu", "", 9)
    document.multi_cell(width, 5, _("Generated on %(day)s", day=data["generated_on"]),
                        new_x="LMARGIN", new_y="NEXT")
    heading(_("Personal data"))
    pairs(person)
    for membership in data["memberships"]:
        heading(_("Project %(code)s: %(status)s", code=membership["project"],
                  status=label(membership["eligibility"], "eligibility")))
        evidence = membership.get("evidence") or {}
        pairs({key: value for key, value in membership.items() if key != "evidence"})
        document.multi_cell(width, 5, _("Evidence snapshot of the decision:")
                            + ("" if evidence else " —"), new_x="LMARGIN", new_y="NEXT")
        pairs(evidence, "    ")
    heading(_("Enrollments and attendance"))
    for enrollment in data["enrollments"]:
        pairs({key: value for key, value in enrollment.items() if key != "attendance"})
        for mark in enrollment["attendance"]:
            document.multi_cell(width, 5, f"    {mark['date']} {mark['start']}–{mark['end']}: "
                                f"{label(mark['status'], 'mark')}, {mark['hours']} h "
                                f"({label(mark['source'], 'mark_source')})",
                                new_x="LMARGIN", new_y="NEXT")
    if not data["enrollments"]:
        document.multi_cell(width, 5, "—", new_x="LMARGIN", new_y="NEXT")
    heading(_("Documents"))
    for item in data["documents"]:
        document.multi_cell(width, 5, f"#{item['id']} {item['title']} v{item['version']}: "
                            f"{label(item['status'], 'document_status')} — "
                            f"{item['original_name']} ({item['sha256']})",
                            new_x="LMARGIN", new_y="NEXT")
    if not data["documents"]:
        document.multi_cell(width, 5, "—", new_x="LMARGIN", new_y="NEXT")
    heading(_("Certificates"))
    for item in data["certificates"]:
        pairs(item)
    if not data["certificates"]:
        document.multi_cell(width, 5, "—", new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())


def _safe(name: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^\w.-]", "_", name)).strip("._") or "x"


def folder_name(participant: Participant) -> str:
    """`<id>-<Last>_<First>`: one folder per person, unique by the id."""
    return _safe(f"{participant.id}-{participant.last_name}_{participant.first_name}")


def _add_file(archive: zipfile.ZipFile, upload_dir: str | Path, key: str | None,
              name: str) -> bool:
    """Copy a stored file into the archive (streamed from disk); False when it is gone."""
    try:
        path = storage.stored_path(upload_dir, key or "")
    except ValueError:
        return False
    if not path.is_file():
        return False
    archive.write(path, name)
    return True


def add_person(archive: zipfile.ZipFile, db_session: Session, participant: Participant, *,
               folder: str, years: int, today: date, upload_dir: str | Path,
               verify_url: VerifyUrl) -> None:
    """One person's folder: record PDF, accepted documents, sign-in sheets, certificates."""
    data = subject_data(db_session, participant, years=years, today=today)
    archive.writestr(f"{folder}/record.pdf", record_pdf(
        data, person_letterhead(db_session, participant, upload_dir)))
    missing = []
    for document in db_session.scalars(
            select(Document).where(Document.participant_id == participant.id,
                                   Document.status == DocumentStatus.ACCEPTED)
            .order_by(Document.id)):
        name = f"{folder}/documents/{document.id}-{storage.safe_filename(document.original_name, document.content_type)}"
        if not _add_file(archive, upload_dir, document.storage_key, name):
            missing.append(_("document %(id)s: file not stored", id=document.id))
    enrollments = list(db_session.scalars(
        select(Enrollment).join(Membership, Membership.id == Enrollment.membership_id)
        .options(joinedload(Enrollment.cohort).joinedload(Cohort.course),
                 joinedload(Enrollment.certificate))
        .where(Membership.participant_id == participant.id).order_by(Enrollment.id)))
    for enrollment in enrollments:
        cohort = enrollment.cohort
        for session, sheet in db_session.execute(
                select(TrainingSession, SignInSheet)
                .join(SignInSheet, SignInSheet.session_id == TrainingSession.id)
                .where(TrainingSession.cohort_id == cohort.id, SignInSheet.scan_key.is_not(None))
                .order_by(TrainingSession.date, TrainingSession.start_time)):
            extension = storage.EXTENSIONS.get(sheet.scan_content_type or "", "")
            name = (f"{folder}/attendance/{_safe(cohort.code)}/"
                    f"{session.date.isoformat()}-{session.id}-signed-sheet{extension}")
            if not _add_file(archive, upload_dir, sheet.scan_key, name):
                missing.append(_("sign-in sheet of session %(id)s: file not stored",
                                 id=session.id))
        if enrollment.certificate is not None:
            archive.writestr(f"{folder}/certificates/{_safe(enrollment.certificate.serial)}.pdf",
                             certificate_pdf(db_session, enrollment.certificate, verify_url,
                                             upload_dir))
    if missing:
        archive.writestr(f"{folder}/MISSING.txt", "\n".join(missing) + "\n")


def certificate_pdf(db_session: Session, certificate: Certificate, verify_url: VerifyUrl,
                    upload_dir: str | Path) -> bytes:
    """The certificate PDF as issued (the attendance area's one builder)."""
    return certificate_document(db_session, certificate, verify_url(certificate.token),
                                upload_dir=str(upload_dir))


def dossier_zip(db_session: Session, participants: Iterable[Participant], *, years: int,
                today: date, upload_dir: str | Path, verify_url: VerifyUrl) -> IO[bytes]:
    """A ZIP with one folder per person, written to a temporary file (not held in memory).

    The caller streams the returned file, positioned at its start, and closes it.
    """
    spool = tempfile.TemporaryFile()
    try:
        with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
            for participant in participants:
                add_person(archive, db_session, participant, folder=folder_name(participant),
                           years=years, today=today, upload_dir=upload_dir,
                           verify_url=verify_url)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def cohort_people(db_session: Session, cohort: Cohort) -> list[Participant]:
    """The people enrolled in a cohort (any status), by name."""
    return list(db_session.scalars(
        select(Participant).join(Membership, Membership.participant_id == Participant.id)
        .join(Enrollment, Enrollment.membership_id == Membership.id)
        .where(Enrollment.cohort_id == cohort.id)
        .order_by(Participant.last_name, Participant.first_name, Participant.id).distinct()))
