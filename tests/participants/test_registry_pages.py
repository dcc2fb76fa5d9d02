"""Registry pages: lists with filters and constant queries, forms, decisions, web import, export."""
import copy
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, xlsx_table
from tests.data.make_workbook import WORKBOOK
from tests.factories import (
    CallFactory,
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    UserFactory,
    valid_cnp,
    valid_cui,
)
from trainhub.audit.models import AuditEvent
from trainhub.demo import DEFAULT_RULES
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.participants.models import Membership, Participant

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here


@pytest.fixture
def project(app):
    call = CallFactory(code="POCU/3.12", rules=copy.deepcopy(DEFAULT_RULES))
    project = ProjectFactory(call=call, code="SMIS-1", regions=["RO11", "RO12"])
    db.session.commit()
    return project


@pytest.fixture
def coordinator(auth, project):
    user = UserFactory(role="coordinator")
    db.session.commit()
    auth.login(user.email)
    return user


def _members(project, n, firm=None):
    firm = firm or EnterpriseFactory()
    for index in range(n):
        MembershipFactory(project=project, participant=ParticipantFactory(
            enterprise=firm, last_name=f"Nume{index}", birth=date(1970, 1, 1 + index % 28)))
    db.session.commit()


@pytest.mark.parametrize("url", ["/participants/", "/enterprises/"])
def test_list_pages_run_the_same_queries_for_10_or_100_rows(coordinator, project, page_queries, url):
    _members(project, 10)
    few = page_queries(url + "?page=1")
    for _ in range(9):
        _members(project, 10)
    assert page_queries(url + "?page=1") == few


def test_employer_filter_matches_a_name_or_a_cui(coordinator, project, client):
    alfa = EnterpriseFactory(name="Alfa & Fiii SRL")
    beta = EnterpriseFactory(name="Beta SRL")
    ParticipantFactory(enterprise=alfa, last_name="Albu")
    ParticipantFactory(enterprise=beta, last_name="Barbu")
    db.session.commit()
    page = client.get("/participants/?employer=alfa").get_data(as_text=True)
    assert "Albu" in page and "Barbu" not in page
    page = client.get(f"/participants/?employer=RO{beta.cui}").get_data(as_text=True)
    assert "Barbu" in page and "Albu" not in page
    # the page no longer carries one <option> per enterprise of the programme
    everyone = client.get("/participants/").get_data(as_text=True)
    assert f'<option value="{alfa.id}">' not in everyone and "Albu" in everyone


def test_a_link_by_enterprise_names_it_and_leads_back_to_every_employer(coordinator, project,
                                                                         client):
    firm = EnterpriseFactory(name="Gama & Co SRL")
    ParticipantFactory(enterprise=firm, last_name="Gavrila")
    ParticipantFactory(last_name="Dinu")
    db.session.commit()
    page = client.get(f"/participants/?enterprise={firm.id}&sex=M&page=1").get_data(as_text=True)
    assert "Gama &amp; Co SRL" in page and "Gavrila" in page and "Dinu" not in page
    assert 'href="/participants/?sex=M"' in page  # the other filters stay, the employer goes


def test_sme_users_get_no_employer_filter(auth, project, client):
    own = EnterpriseFactory()
    user = UserFactory(role="sme", enterprise=own)
    db.session.commit()
    auth.login(user.email)
    assert 'name="employer"' not in client.get("/participants/").get_data(as_text=True)


def test_list_shows_each_membership_badge_and_the_stale_mark(coordinator, project, client):
    person = ParticipantFactory(last_name="Vulpe")
    MembershipFactory(project=project, participant=person, eligibility_status="eligible",
                      decision_stale=True)
    MembershipFactory(project=ProjectFactory(call=project.call), participant=person,
                      eligibility_status="ineligible")
    db.session.commit()
    page = client.get("/participants/").get_data(as_text=True)
    row = page[page.index("Vulpe"):page.index("</tr>", page.index("Vulpe"))]
    assert row.index(">Eligible<") < row.index(">to review<") < row.index(">Ineligible<")


def test_each_row_of_the_list_links_to_its_person(coordinator, project, client):
    people = [ParticipantFactory(last_name=name) for name in ("Vulpe", "Lupu")]
    for person in people:
        MembershipFactory(project=project, participant=person)
    db.session.commit()
    page = client.get("/participants/").get_data(as_text=True)
    for person in people:
        assert f'<a href="/participants/{person.id}">{person.full_name}</a>' in page


def test_participant_filters(coordinator, project, client):
    woman = ParticipantFactory(sex="F", birth=date(1965, 1, 1), last_name="Vulpe", environment="rural")
    ParticipantFactory(last_name="Lupu")
    MembershipFactory(project=project, participant=woman, eligibility_status="pending")
    db.session.commit()
    for query in ("q=vulp", "sex=F", "age=55_64", "age_55_64=1&woman=1&rural=1",
                  "eligibility=pending", f"q={woman.cnp[:7]}"):
        page = client.get(f"/participants/?{query}").get_data(as_text=True)
        assert "Vulpe" in page and "Lupu" not in page, query


def test_enterprise_form_refuses_bad_cui_and_caen_with_field_errors(coordinator, client, auth):
    response = auth.post("/enterprises/new", {"cui": "RO 12345678", "name": "X SRL", "caen": "62",
                                              "county": "RO-CJ", "employees": "ten"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "CUI check digit is wrong" in page and "not a 4-digit CAEN code" in page
    assert "&#39;ten&#39; is not a whole number" in page
    assert db.session.scalar(select(func.count()).select_from(Enterprise)) == 0
    response = auth.post("/enterprises/new", {"cui": f"RO {valid_cui(7)}", "name": "Bun SRL",
                                              "caen": "6201", "county": "RO-BV", "employees": "9",
                                              "turnover_eur": "1000000"})
    assert response.status_code == 302
    firm = db.session.scalar(select(Enterprise))
    assert (firm.cui, firm.nuts2, firm.size_class) == (valid_cui(7), "RO12", "micro")
    detail = client.get(f"/enterprises/{firm.id}").get_data(as_text=True)
    assert "&lt; 10 employees" in detail


def test_sme_user_registers_only_its_own_employees(client, auth, project):
    own, other = EnterpriseFactory(), EnterpriseFactory()
    sme = UserFactory(role="sme", enterprise=own)
    db.session.commit()
    auth.login(sme.email)
    response = auth.post("/participants/new", {
        "cnp": valid_cnp("F", date(1966, 2, 2)), "last_name": "Nou", "first_name": "Ana",
        "enterprise_id": str(other.id), "employment_status": "employed", "isced": "3",
        "county": "RO-CJ", "environment": "urban"})
    assert response.status_code == 302, response.get_data(as_text=True)
    person = db.session.scalar(select(Participant).where(Participant.last_name == "Nou"))
    assert person.enterprise_id == own.id and person.sex == "F"
    assert [m.project_id for m in person.memberships] == [project.id]
    assert auth.post(f"/participants/memberships/{person.memberships[0].id}/decide",
                     {"status": "eligible"}).status_code == 403


def test_same_cnp_is_the_same_person(coordinator, auth, project):
    existing = ParticipantFactory()
    db.session.commit()
    response = auth.post("/participants/new", {"cnp": existing.cnp, "last_name": "Alt",
                                               "first_name": "Om", "enterprise_id": "0",
                                               "project_id": str(project.id)})
    assert "already registered" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Participant)) == 1


def test_detail_shows_every_rule_and_the_decision_is_recorded(coordinator, auth, client, project):
    membership = MembershipFactory(project=project, eligibility_status="pending",
                                   participant__employment_status="unemployed")
    db.session.commit()
    page = client.get(f"/participants/{membership.participant_id}").get_data(as_text=True)
    assert page.count("✔") == len(DEFAULT_RULES) - 1 and "employment status: unemployed" in page
    response = auth.post(f"/participants/memberships/{membership.id}/decide", {"status": "eligible"})
    assert response.status_code == 302
    assert db.session.get(Membership, membership.id).eligibility_status == "pending"
    auth.post(f"/participants/memberships/{membership.id}/decide", {"status": "ineligible"})
    decided = db.session.get(Membership, membership.id)
    assert decided.eligibility_status == "ineligible" and decided.decided_by_id == coordinator.id


def test_register_export_masks_cnp_unless_full_data_is_asked_and_audited(coordinator, client, project):
    membership = MembershipFactory(project=project)
    db.session.commit()
    cnp = membership.participant.cnp

    def cells(url):
        response = client.get(url)
        assert response.status_code == 200
        rows = xlsx_table(response.data)
        return dict(zip(rows[0], rows[1], strict=True))

    assert cells("/participants/register.xlsx")["cnp"] == cnp[0] + "******" + cnp[-6:]
    full = cells("/participants/register.xlsx?full=1")
    assert full["cnp"] == cnp and full["eligibility"] == "eligible"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "register.export_full")) == 1


def test_authority_gets_a_masked_register_even_when_asking_for_full(client, auth, project):
    membership = MembershipFactory(project=project)
    authority = UserFactory(role="authority")
    db.session.commit()
    auth.login(authority.email)
    response = client.get("/participants/register.xlsx?full=1")
    row = xlsx_table(response.data)[1]
    assert membership.participant.cnp not in row


def test_web_import_previews_then_writes_and_gives_the_cli_errors(coordinator, auth, client,
                                                                  project, runner, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("cui,name,caen,county\n12345678,X,62,Atlantis\n")
    response = auth.post("/imports/", {"kind": "enterprises", "project_id": str(project.id),
                                       "file": (io.BytesIO(bad.read_bytes()), "bad.csv")},
                         content_type="multipart/form-data")
    preview = client.get(response.location).get_data(as_text=True)
    cli = runner.invoke(args=["import", "enterprises", str(bad), "--project", "SMIS-1"])
    assert cli.exit_code == 1
    cli_errors = [line for line in cli.output.splitlines() if line.startswith("csv:")]
    assert len(cli_errors) == 3 and all(error.replace("'", "&#39;") in preview for error in cli_errors)
    assert "Nothing will be written" in preview
    response = auth.post("/imports/", {"kind": "workbook", "project_id": str(project.id),
                                       "file": (io.BytesIO(WORKBOOK.read_bytes()), "wb.xlsx")},
                         content_type="multipart/form-data")
    token_url = response.location
    preview = client.get(token_url).get_data(as_text=True)
    assert "16 new" in preview and db.session.scalar(select(func.count()).select_from(Participant)) == 0
    confirmed = auth.post(token_url + "/confirm")
    assert confirmed.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Participant)) == 4
    assert client.get(token_url).status_code == 404  # the staged file is gone


def test_another_users_staged_import_is_not_found(coordinator, auth, client, project):
    response = auth.post("/imports/", {"kind": "workbook", "project_id": str(project.id),
                                       "file": (io.BytesIO(WORKBOOK.read_bytes()), "wb.xlsx")},
                         content_type="multipart/form-data")
    other = UserFactory(role="coordinator")
    db.session.commit()
    auth.logout()
    auth.login(other.email, PASSWORD)
    assert client.get(response.location).status_code == 404


def test_admin_edits_rule_parameters_with_validation(client, auth, project):
    admin = UserFactory(role="admin")
    db.session.commit()
    auth.login(admin.email)
    url = f"/admin/calls/{project.call_id}/rules"
    response = auth.post(url, {"age-min": "70", "age-max": "64", "employer_caen-values": "01, 6201"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "maximum age is below the minimum" in page and "not allowed: 01" in page
    assert auth.post(url, {"age-min": "18", "age-max": "60", "age-severity": "blocking",
                           "employer_region-from_project": "1"}).status_code == 302
    db.session.expire_all()
    rules = {rule["code"]: rule for rule in project.call.rules}
    assert rules["age"]["params"] == {"min": 18, "max": 60}


def test_the_kept_filter_form_follows_each_reader_and_request(auth, project, client):
    """The heading and filter form are kept per role and language: each request still shows
    its own search and choices (escaped), and each reader their own fields and language."""
    firm = EnterpriseFactory(name="Alfa SRL")
    coordinator = UserFactory(role="coordinator", locale="en")
    sme = UserFactory(role="sme", enterprise=firm, locale="ro")
    db.session.commit()
    auth.login(coordinator.email)
    page = client.get("/participants/?q=%3Cb%3E&county=RO-CJ&sex=F&age=bad&woman=1"
                      ).get_data(as_text=True)
    assert 'name="q" value="&lt;b&gt;"' in page and '<option value="RO-CJ" selected>' in page
    assert '<option value="F" selected>' in page and 'name="woman" value="1" checked>' in page
    assert "selected>" not in page[page.index('name="age"'):page.index('name="eligibility"')]
    page = client.get("/participants/").get_data(as_text=True)
    assert 'name="q" value=""' in page and "selected>" not in page and "checked>" not in page
    assert 'name="employer"' in page and ">Participants</h1>" in page
    auth.logout()
    auth.login(sme.email)
    page = client.get(f"/participants/?enterprise={firm.id}").get_data(as_text=True)
    assert 'name="employer"' not in page and ">Participanți</h1>" in page
    assert f'name="enterprise" value="{firm.id}"' in page and "Alfa SRL" in page
    assert 'name="enterprise"' not in client.get("/participants/").get_data(as_text=True)


def test_pagination_links_keep_every_argument_in_its_place(coordinator, project, client, app):
    """The page links are one URL with the number put in (core.urls.url_for_any_value): the
    other arguments keep their order, even when one holds the number that marks the place."""
    app.config["PAGE_SIZE"] = 2
    _members(project, 5)
    page = client.get("/participants/?q=Nume&page=2").get_data(as_text=True)
    for number in (1, 2, 3):
        assert f'href="/participants/?q=Nume&amp;page={number}"' in page
    page = client.get("/participants/?page=2&q=Nume&x=987654321012345").get_data(as_text=True)
    for number in (1, 2, 3):
        assert f'href="/participants/?page={number}&amp;q=Nume&amp;x=987654321012345"' in page
