"""No CNP or person leaks through warnings, reasons, evidence, audit or exports (issue 20).

Two namesakes (same last name and birth date) work for two SMEs; the second is also a member of
another project of the call (double financing) and a coordinator's note names the first one's
CNP. Every page, API answer and export that shows reasons, evidence or audit changes is read as
each role: nobody sees a person they may not see, and CNPs are masked for the authority.
"""
import copy
import io
import json
import zipfile
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.factories import (
    CallFactory,
    CohortFactory,
    EnrollmentFactory,
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    UserFactory,
)
from trainhub.auth.models import Role
from trainhub.auth.permissions import PERMISSIONS
from trainhub.auth.services import issue_token
from trainhub.core.identifiers import mask_cnp, mask_cnps_in
from trainhub.demo import DEFAULT_RULES
from trainhub.extensions import db
from trainhub.participants.eligibility import decide, refresh
from trainhub.participants.services import HIDDEN_CNP, reader_view

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here

ROLES = ("admin", "coordinator", "authority", "trainer", "sme1", "sme2")
#: whom each role may see (DESIGN §11): the trainer teaches only the second person's cohort
SEES = {"admin": {"first", "second"}, "coordinator": {"first", "second"},
        "authority": {"first", "second"}, "trainer": {"second"}, "sme1": {"first"},
        "sme2": {"second"}}
#: roles that read every CNP masked (the SMEs see their own employees' CNPs in full)
MASKED = {"authority", "trainer"}


@pytest.fixture
def world(app):
    call = CallFactory(rules=copy.deepcopy(DEFAULT_RULES))
    project = ProjectFactory(call=call, code="SMIS-1", regions=["RO11"])
    other = ProjectFactory(call=call, code="SMIS-2", regions=["RO11"])
    firm1, firm2 = EnterpriseFactory(name="Unu SRL"), EnterpriseFactory(name="Doi SRL")
    birth = date(1970, 3, 4)
    first = ParticipantFactory(enterprise=firm1, last_name="Ionescu", first_name="Zamfira",
                               sex="F", birth=birth)
    second = ParticipantFactory(enterprise=firm2, last_name="IONESCU", first_name="Xenia",
                                sex="F", birth=birth)
    m_first = MembershipFactory(project=project, participant=first, eligibility_status="pending",
                                entry_date=date(2026, 3, 3))
    m_second = MembershipFactory(project=project, participant=second,
                                 eligibility_status="pending", entry_date=date(2026, 3, 3))
    MembershipFactory(project=other, participant=second, eligibility_status="eligible")
    trainer = UserFactory(role="trainer")
    EnrollmentFactory(cohort=CohortFactory(project=project, trainer=trainer), membership=m_second)
    coordinator = UserFactory(role="coordinator")
    db.session.flush()
    refresh(db.session, [m_first, m_second], date(2026, 11, 25))
    decide(db.session, m_second, "ineligible", user_id=coordinator.id,
           note=f"Financed in SMIS-2; compare with {first.cnp}", when=date(2026, 11, 25))
    users = {"admin": UserFactory(role="admin"), "coordinator": coordinator,
             "authority": UserFactory(role="authority"), "trainer": trainer,
             "sme1": UserFactory(role="sme", enterprise=firm1),
             "sme2": UserFactory(role="sme", enterprise=firm2)}
    db.session.commit()
    return {"users": users, "project": project.id, "cohort": m_second.enrollments[0].cohort_id,
            "people": {"first": first, "second": second},
            "ids": {"first": first.id, "second": second.id}}


def forbidden(world: dict, role: str) -> set[str]:
    """What must never appear for `role`: anything of the people it may not see, and every
    full CNP for the roles that read CNPs masked."""
    strings = set()
    for name, person in world["people"].items():
        if name not in SEES[role]:
            strings |= {person.cnp, mask_cnp(person.cnp), person.first_name}
        elif role in MASKED:
            strings.add(person.cnp)
    return strings


def _xlsx_text(data: bytes) -> str:
    sheets = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(" ".join(str(cell) for cell in row if cell is not None)
                     for sheet in sheets for row in sheet.iter_rows(values_only=True))


def _pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _zip_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(_pdf_text(archive.read(name)) if name.endswith(".pdf")
                         else archive.read(name).decode(errors="replace")
                         for name in archive.namelist())


def _as_text(response) -> str:
    kind = response.mimetype
    if kind == "application/pdf":
        return _pdf_text(response.data)
    if kind == "application/zip":
        return _zip_text(response.data)
    if "spreadsheetml" in kind:
        return _xlsx_text(response.data)
    return response.get_data(as_text=True)


#: every page, API answer and export that shows reasons, evidence or audit changes
SURFACES = {
    "page of the first": "/participants/{first}",
    "page of the second": "/participants/{second}",
    "API detail of the first": "api:/api/v1/participants/{first}",
    "API detail of the second": "api:/api/v1/participants/{second}",
    "API list": "api:/api/v1/participants?per_page=200",
    "participant list": "/participants/",
    "register export": "/participants/register.xlsx?project={project}",
    "register export, full data asked": "/participants/register.xlsx?project={project}&full=1",
    "GDPR export JSON": "/participants/{second}/export.json",
    "GDPR export PDF": "/participants/{second}/export.pdf",
    "audit dossier": "/participants/{second}/dossier.zip",
    "cohort dossier": "/participants/cohorts/{cohort}/dossier.zip",
    "indicators not counted": "/indicators/?project={project}",
    "people behind a number": "/indicators/cell?project={project}&code=TOTAL",
    "indicators export, full data asked": "/indicators/export?project={project}&format=csv&full=1",
    "audit view": "/admin/audit/",
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("surface", SURFACES)
def test_no_role_reads_a_person_it_may_not_see_nor_a_full_cnp_it_may_not_read(
        client, auth, world, role, surface):
    user = world["users"][role]
    url = SURFACES[surface].format(project=world["project"], cohort=world["cohort"],
                                   **world["ids"])
    if url.startswith("api:"):
        secret = issue_token(db.session, user, "probe")[1]
        db.session.commit()
        response = client.get(url.removeprefix("api:"),
                              headers={"Authorization": f"Bearer {secret}"})
    else:
        auth.login(user.email)
        response = client.get(url)
    assert response.status_code in (200, 403, 404), (surface, role, response.status_code)
    if response.status_code != 200:
        return
    text = _as_text(response)
    leaked = {value for value in forbidden(world, role) if value in text}
    assert not leaked, f"{surface} shows {role} {leaked}"


def test_an_sme_is_not_told_of_a_namesake_in_another_company(client, auth, world):
    """The probe of the issue: SME 2 opens its new person, a namesake of SME 1's employee."""
    auth.login(world["users"]["sme2"].email)
    page = client.get(f"/participants/{world['ids']['second']}").get_data(as_text=True)
    assert "Xenia" in page and "double_financing" in page
    assert "possible_duplicate" not in page
    secret = issue_token(db.session, world["users"]["sme2"], "probe")[1]
    db.session.commit()
    body = client.get(f"/api/v1/participants/{world['ids']['second']}",
                      headers={"Authorization": f"Bearer {secret}"}).get_json()
    codes = {reason["code"] for membership in body["memberships"]
             for reason in membership["reasons"]}
    assert "double_financing" in codes and "possible_duplicate" not in codes


def test_a_coordinator_is_told_who_the_namesake_is(client, auth, world):
    auth.login(world["users"]["coordinator"].email)
    page = client.get(f"/participants/{world['ids']['second']}").get_data(as_text=True)
    assert "possible_duplicate" in page and "Zamfira" in page
    assert world["people"]["first"].cnp in page  # full rights: the full CNP


def test_the_authority_reads_reasons_with_every_cnp_masked(client, world):
    secret = issue_token(db.session, world["users"]["authority"], "probe")[1]
    db.session.commit()
    body = client.get("/api/v1/participants?per_page=200",
                      headers={"Authorization": f"Bearer {secret}"}).get_json()
    first = world["people"]["first"]
    reasons = [reason for item in body["items"] for membership in item["memberships"]
               for reason in membership["reasons"]]
    text = json.dumps(body)
    assert first.cnp not in text and world["people"]["second"].cnp not in text
    note = next(reason for reason in reasons if reason["code"] == "coordinator_note")
    assert mask_cnp(first.cnp) in note["message_en"]
    duplicate = next(reason for reason in reasons if reason["code"] == "possible_duplicate")
    assert "Zamfira" in duplicate["detail"] and mask_cnp(first.cnp) in duplicate["detail"]


def test_double_financing_names_only_the_other_projects_code(client, world):
    secret = issue_token(db.session, world["users"]["sme2"], "probe")[1]
    db.session.commit()
    body = client.get(f"/api/v1/participants/{world['ids']['second']}",
                      headers={"Authorization": f"Bearer {secret}"}).get_json()
    reason = next(reason for membership in body["memberships"]
                  for reason in membership["reasons"] if reason["code"] == "double_financing")
    assert reason["detail"] == "member of SMIS-2"


def test_an_audit_reader_without_full_rights_would_read_cnps_masked(
        client, auth, world, monkeypatch):
    monkeypatch.setitem(PERMISSIONS, Role.AUTHORITY,
                        PERMISSIONS[Role.AUTHORITY] | {"audit.read"})
    auth.login(world["users"]["authority"].email)
    page = client.get("/admin/audit/?per_page=200").get_data(as_text=True)
    first = world["people"]["first"]
    assert "eligibility.decide" in page and mask_cnp(first.cnp) in page
    assert first.cnp not in page and world["people"]["second"].cnp not in page


def test_the_subject_export_keeps_the_persons_own_cnp_and_no_one_elses(client, auth, world):
    auth.login(world["users"]["coordinator"].email)
    data = client.get(f"/participants/{world['ids']['second']}/export.json").get_json()
    text = json.dumps(data)
    assert data["participant"]["cnp"] == world["people"]["second"].cnp
    first = world["people"]["first"]
    dossier = _zip_text(client.get(f"/participants/{world['ids']['second']}/dossier.zip").data)
    assert world["people"]["second"].cnp in dossier
    for shown in (text, dossier):
        assert first.cnp not in shown and mask_cnp(first.cnp) not in shown
        assert "Zamfira" not in shown


def test_every_valid_cnp_inside_a_text_or_json_is_masked():
    cnp, other = "1850101123451", "2900202123455"
    assert mask_cnps_in(f"note: {cnp}, see {other}.") == \
        f"note: {mask_cnp(cnp)}, see {mask_cnp(other)}."
    # not a CNP: a wrong check digit, a longer number, a hash
    for text in ("1850101123450", f"9{cnp}", f"{cnp}7", "a" * 64):
        assert mask_cnps_in(text) == text
    assert mask_cnps_in({"facts": {"cnp": cnp, "age": 41}, "list": [cnp, None]}) == \
        {"facts": {"cnp": mask_cnp(cnp), "age": 41}, "list": [mask_cnp(cnp), None]}
    assert mask_cnps_in(f"x{cnp}", shown=lambda found: "*") == "x*"


def test_the_api_list_with_namesakes_runs_a_constant_number_of_queries(client, world,
                                                                       count_queries):
    secret = issue_token(db.session, world["users"]["authority"], "probe")[1]
    db.session.commit()

    def add_namesakes(n: int) -> None:
        people = [ParticipantFactory(last_name="Vasile", birth=date(1975, 1 + i % 12, 1 + i % 28))
                  for i in range(n) for _ in range(2)]
        memberships = [MembershipFactory(participant=person, eligibility_status="pending")
                       for person in people]
        db.session.flush()
        refresh(db.session, memberships, date(2026, 11, 25))
        db.session.commit()

    def measure() -> tuple[int, int]:
        with count_queries() as counter:
            response = client.get("/api/v1/participants?per_page=200",
                                  headers={"Authorization": f"Bearer {secret}"})
            assert response.status_code == 200
        return counter.count, len(response.get_json()["items"])

    add_namesakes(5)
    small, small_rows = measure()
    add_namesakes(40)
    large, large_rows = measure()
    assert large_rows > small_rows >= 10
    assert small == large


def test_an_sme_is_told_of_a_namesake_in_its_own_company(client, auth, world):
    second = world["people"]["second"]
    colleague = ParticipantFactory(enterprise=second.enterprise, last_name="Ionescu",
                                   first_name="Wanda", sex="F", birth=second.birth_date)
    db.session.commit()
    auth.login(world["users"]["sme2"].email)
    page = client.get(f"/participants/{second.id}").get_data(as_text=True)
    assert "possible_duplicate" in page and "Wanda" in page
    assert mask_cnp(colleague.cnp) in page and "Zamfira" not in page


def test_old_warnings_that_stored_cnps_are_read_like_new_ones(world):
    """Reasons stored before the fix wrote the namesakes' CNPs into the detail."""
    first, second = world["people"]["first"], world["people"]["second"]
    old = [{"code": "possible_duplicate", "passed": False, "severity": "warning",
            "detail": f"CNP {first.cnp}"},
           {"code": "coordinator_note", "message_en": f"see {first.cnp} and {second.cnp}"}]
    for role, named in (("sme2", False), ("coordinator", True), ("authority", True)):
        view = reader_view(db.session, world["users"][role], [old])
        shown = view.reasons(old)
        codes = [reason["code"] for reason in shown]
        assert ("possible_duplicate" in codes) == named, role
        if named:
            assert "Zamfira" in shown[0]["detail"] and shown[0]["people"] == [first.id]
        note = shown[-1]["message_en"]
        assert (first.cnp in note) == (role == "coordinator")
        assert (HIDDEN_CNP in note) == (role == "sme2")
        assert second.cnp not in note or role == "coordinator"


@pytest.mark.parametrize("junk", [None, [], ["text", 3, None],
                                  [{"code": "possible_duplicate", "people": 7}],
                                  [{"code": "possible_duplicate", "people": ["x", None]}],
                                  [{"no": "code"}]])
def test_odd_stored_reasons_never_crash_the_view(world, junk):
    view = reader_view(db.session, world["users"]["sme2"], [junk])
    shown = view.reasons(junk)
    assert all(not isinstance(reason, dict) or reason.get("code") != "possible_duplicate"
               for reason in shown)
    assert view.evidence({"outcomes": junk, "facts": {"cnp": None}})["facts"] == {"cnp": None}
