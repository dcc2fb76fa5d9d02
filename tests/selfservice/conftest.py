"""A project with two people of two firms, each with documents, marks and a certificate."""
from dataclasses import dataclass
from datetime import date
from io import BytesIO

import pytest

from tests.factories import (
    AttendanceMarkFactory,
    CallFactory,
    CohortFactory,
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
from trainhub.documents.models import DocumentRequirement
from trainhub.documents.services import upload_document
from trainhub.extensions import db
from trainhub.participants.models import Membership
from trainhub.programme.presets import POCU_3_12, apply_preset
from trainhub.selfservice import services


def _blank_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    return bytes(pdf.output())


PDF = _blank_pdf()


def jpeg_bytes(size=(120, 80)) -> bytes:
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


@dataclass
class Trainees:
    """`mine` opens the page; `other` is somebody else in the same project and cohort."""

    mine: Membership
    other: Membership
    coordinator_email: str
    sme_email: str
    other_sme_email: str
    other_document_id: int
    other_certificate_id: int
    my_certificate_id: int
    cohort_id: int

    def requirement(self, code: str, level: str = "participant") -> DocumentRequirement:
        return next(r for r in self.mine.project.call.requirements
                    if r.code == code and r.level == level)


def issue(app, membership: Membership) -> str:
    """A live link for `membership`; returns its path."""
    services.issue_link(db.session, membership, None)
    db.session.commit()
    return "/t/" + services.link_token(app.config["SECRET_KEY"], membership)


@pytest.fixture
def trainees(app) -> Trainees:
    call = CallFactory()
    apply_preset(db.session, call, POCU_3_12)
    project = ProjectFactory(call=call, code="SMIS-777001")
    coordinator = UserFactory(role="coordinator")
    join_team(coordinator, project)
    firm_a = EnterpriseFactory(name="Alfa Soft SRL")
    firm_b = EnterpriseFactory(name="Beta Print SRL")
    sme = UserFactory(role="sme", enterprise=firm_a)
    other_sme = UserFactory(role="sme", enterprise=firm_b)
    ana = ParticipantFactory(last_name="Ștefănescu", first_name="Ana", sex="F",
                             enterprise=firm_a, email="ana@example.org")
    bogdan = ParticipantFactory(last_name="Vulpescu", first_name="Bogdan", enterprise=firm_b,
                                email="bogdan@example.org")
    mine = MembershipFactory(project=project, participant=ana)
    other = MembershipFactory(project=project, participant=bogdan)
    cohort = CohortFactory(project=project, start_date=date(2026, 3, 3))
    sessions = [TrainingSessionFactory(cohort=cohort, date=date(2026, 3, 3 + n))
                for n in range(3)]
    certificates = []
    for membership in (mine, other):
        enrollment = EnrollmentFactory(cohort=cohort, membership=membership,
                                       enrolled_on=date(2026, 3, 1))
        for session in sessions[:2]:
            AttendanceMarkFactory(session=session, enrollment=enrollment, status="present",
                                  hours=session.hours)
        certificate = Certificate(enrollment=enrollment,
                                  serial=f"TH-{membership.participant.last_name[:3]}",
                                  issued_on=date(2026, 4, 1),
                                  token=f"tok-{membership.participant.first_name}")
        db.session.add(certificate)
        certificates.append(certificate)
    db.session.commit()
    id_card = next(r for r in call.requirements if r.code == "id_card")
    other_document = upload_document(db.session, id_card, bogdan, PDF, "bogdan-ci.pdf", None)
    upload_document(db.session, id_card, ana, PDF, "ana-ci.pdf", None)
    return Trainees(mine=mine, other=other, coordinator_email=coordinator.email,
                    sme_email=sme.email, other_sme_email=other_sme.email,
                    other_document_id=other_document.id,
                    other_certificate_id=certificates[1].id,
                    my_certificate_id=certificates[0].id, cohort_id=cohort.id)
