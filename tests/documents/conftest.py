"""Fixtures of the documents tests: the POCU/3.12 checklists, an SME with employees, files."""
import zlib
from dataclasses import dataclass

import pytest

from tests.factories import (
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    UserFactory,
)
from trainhub.demo import seed_call
from trainhub.documents.models import DocumentRequirement
from trainhub.extensions import db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
HTML = b"<!doctype html><html><script>alert(1)</script></html>"
PDF_WITH_JS = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /OpenAction 2 0 R >>\nendobj\n"
               b"2 0 obj\n<< /S /JavaScript /JS (app.alert(1)) >>\nendobj\n%%EOF\n")


def pdf_with_hidden_js() -> bytes:
    """A PDF whose script sits in a compressed object stream."""
    body = zlib.compress(b"<< /S /JavaScript /JS (app.alert(1)) >>")
    return (b"%PDF-1.5\n3 0 obj\n<< /Type /ObjStm /Filter /FlateDecode >>\nstream\n" + body
            + b"\nendstream\nendobj\n%%EOF\n")


@dataclass
class Programme:
    """The POCU/3.12 call with its seeded checklists, one project, SME A (2 employees) and B."""

    call: object
    project: object
    firm: object
    other_firm: object
    employees: list
    other_employee: object
    sme: object
    sme_other: object
    coordinator: object

    def requirement(self, code: str) -> DocumentRequirement:
        return next(r for r in self.call.requirements if r.code == code)


@pytest.fixture
def programme(app) -> Programme:
    call = seed_call(db.session)
    project = ProjectFactory(call=call)
    firm = EnterpriseFactory(name="Alfa SRL", contact_email="sme@alfa.ro")
    other_firm = EnterpriseFactory(name="Beta SRL", contact_email="sme@beta.ro")
    employees = [ParticipantFactory(enterprise=firm, last_name="Ionescu", first_name="Maria",
                                    sex="F"),
                 ParticipantFactory(enterprise=firm, last_name="Popa", first_name="Dan",
                                    disability=True)]
    other_employee = ParticipantFactory(enterprise=other_firm, last_name="Stan")
    for participant in [*employees, other_employee]:
        MembershipFactory(project=project, participant=participant)
    programme = Programme(
        call=call, project=project, firm=firm, other_firm=other_firm, employees=employees,
        other_employee=other_employee,
        sme=UserFactory(role="sme", enterprise=firm, email="sme@alfa.ro"),
        sme_other=UserFactory(role="sme", enterprise=other_firm, email="sme@beta.ro"),
        coordinator=UserFactory(role="coordinator", email="coord@example.org"),
    )
    db.session.commit()
    return programme
