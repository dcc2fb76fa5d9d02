"""Projects in the UI: list, page, form with targets and periods, a new call from a preset,
the grouped navigation bar, and the targets on the indicators dashboard."""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import (
    CallFactory,
    CohortFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    UserFactory,
)
from trainhub.extensions import db
from trainhub.indicators.services import TARGET_CODES, lock_period
from trainhub.programme.models import Call, Project, ProjectTarget, ReportingPeriod

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here


def login(auth, role: str, locale: str = "en") -> None:
    UserFactory(email=f"{role}@example.org", role=role, locale=locale)
    db.session.commit()
    assert auth.login(f"{role}@example.org").status_code == 302


def form_data(call, **changes) -> dict:
    data = {"call_id": str(call.id), "code": "SMIS-150001",
            "title": "Competențe digitale în Nord-Est", "beneficiary": "Asociația Digitală",
            "partners": "Universitatea X\nCamera de Comerț Y", "start_date": "2026-02-10",
            "end_date": "2027-04-15", "regions": ["RO21", "RO11"],
            "completion_threshold": "75", "retention_years": "", "periods": "quarterly",
            "custom_periods": "", "target_TOTAL": "300", "target_WOMEN": "150",
            "target_AGE55_64": "40"}
    return data | changes


def test_a_coordinator_sets_up_a_project_in_the_ui(app, auth, client):
    login(auth, "coordinator")
    call = CallFactory()
    db.session.commit()
    page = client.get("/projects/new").get_data(as_text=True)
    assert all(f'name="target_{code}"' in page for code in TARGET_CODES)
    assert 'value="RO32"' in page  # every NUTS2 region can be picked
    response = auth.post("/projects/new", form_data(call))
    assert response.status_code == 302
    project = db.session.scalar(select(Project).where(Project.code == "SMIS-150001"))
    assert project.regions == ["RO21", "RO11"] and project.partners == [
        "Universitatea X", "Camera de Comerț Y"]
    assert {t.indicator_code: t.value for t in project.targets} == {
        "TOTAL": 300, "WOMEN": 150, "AGE55_64": 40}
    assert [p.label for p in project.periods] == [
        "T1 2026", "T2 2026", "T3 2026", "T4 2026", "T1 2027", "T2 2027"]
    page = client.get(response.location).get_data(as_text=True)
    assert "Asociația Digitală" in page and 'data-testid="target-WOMEN"' in page
    assert "0 / 150" in page and "T2 2027" in page


@pytest.mark.parametrize("changes, field_message", [
    ({"end_date": "2026-01-01"}, "Proiectul trebuie să se încheie după ce începe."),
    ({"end_date": "9999-12-31"}, "trebuie să fie între 2000-01-01 și 2100-12-31"),
    ({"start_date": "10000-01-01"}, None),
    ({"target_TOTAL": "99999999999999999999999999"}, None),
    ({"target_WOMEN": "-3"}, None),
    ({"target_CO01": "2.5"}, None),
    ({"completion_threshold": "NaN"}, "Nu este un număr valid."),
    ({"completion_threshold": "Infinity"}, "Nu este un număr valid."),
    ({"completion_threshold": "1e400"}, None),
    ({"retention_years": "100000000000000000000"}, None),
    ({"regions": []}, "Alegeți cel puțin o regiune."),
    ({"regions": ["RO99"]}, None),
    ({"call_id": "99999999999999999999"}, None),
    ({"periods": "custom", "custom_periods": "P1; 2026-02-10; 2026-12-31\nP2; 2026-12-01; "
      "2027-04-15"}, "Perioada P2 se suprapune cu o altă perioadă."),
    ({"periods": "custom", "custom_periods": "P1; ieri; mâine"}, "Rândul 1"),
])
def test_bad_values_are_refused_on_their_field_in_romanian_and_nothing_is_written(
        app, auth, client, changes, field_message):
    login(auth, "coordinator", locale="ro")
    call = CallFactory()
    db.session.commit()
    response = auth.post("/projects/new", form_data(call, **changes))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Corectați câmpurile marcate" in page or "Vă rugăm" in page or "invalid-feedback" in page
    if field_message:
        assert field_message in page
    assert db.session.scalar(select(func.count(Project.id))) == 0


def test_a_taken_code_is_refused_whatever_its_case(app, auth):
    login(auth, "admin")
    project = ProjectFactory(code="SMIS-1")
    db.session.commit()
    response = auth.post("/projects/new", form_data(project.call, code="smis-1"))
    assert response.status_code == 422
    assert "Another project already has the code smis-1." in response.get_data(as_text=True)


def test_editing_shows_the_stored_values_and_keeps_locked_periods(app, auth, client):
    login(auth, "coordinator")
    project = ProjectFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
                             completion_threshold=0.875, partners=["P1"])
    project.targets = [ProjectTarget(indicator_code="WOMEN", value=12)]
    locked = ReportingPeriod(project=project, label="Prima", start_date=date(2026, 1, 1),
                             end_date=date(2026, 2, 28))
    db.session.add(locked)
    db.session.commit()
    lock_period(db.session, locked, user_id=None)
    db.session.commit()
    page = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    assert re.search(r'name="target_WOMEN"[^>]*value="12"', page)
    assert re.search(r'name="completion_threshold"[^>]*value="87.5"', page)
    assert "P1</textarea>" in page
    response = auth.post(f"/projects/{project.id}/edit", form_data(
        project.call, code=project.code, start_date="2026-01-01", end_date="2026-12-31",
        completion_threshold="87.5", periods="semester", target_WOMEN="14"))
    assert response.status_code == 302
    periods = db.session.scalars(select(ReportingPeriod).where(
        ReportingPeriod.project_id == project.id).order_by(ReportingPeriod.start_date)).all()
    assert [(p.label, p.start_date, p.end_date) for p in periods] == [
        ("Prima", date(2026, 1, 1), date(2026, 2, 28)),
        ("S1 2026", date(2026, 3, 1), date(2026, 6, 30)),
        ("S2 2026", date(2026, 7, 1), date(2026, 12, 31)),
    ]
    assert periods[0].id == locked.id
    # "keep the periods" leaves them alone
    response = auth.post(f"/projects/{project.id}/edit", form_data(
        project.call, code=project.code, start_date="2026-01-01", end_date="2026-12-31",
        periods=""))
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(ReportingPeriod.id))) == 3


def test_the_project_page_shows_rules_targets_periods_and_team(app, auth, client):
    login(auth, "coordinator")
    project = ProjectFactory(beneficiary="Asociația Digitală")
    project.targets = [ProjectTarget(indicator_code=code, value=10)
                       for code in ("TOTAL", "WOMEN", "CR03")]
    trainer = UserFactory(role="trainer", full_name="Radu Formatorul")
    CohortFactory(project=project, trainer=trainer)
    UserFactory(role="trainer", full_name="Alt Formator")  # not on this project
    db.session.add(ReportingPeriod(project=project, label="T1 2026", start_date=date(2026, 1, 1),
                                   end_date=date(2026, 3, 31)))
    db.session.commit()
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert f'/admin/calls/{project.call_id}/rules' in page and "/documents/checklists" in page
    assert all(f'data-testid="target-{code}"' in page for code in ("TOTAL", "WOMEN", "CR03"))
    team = page.split('data-testid="project-team"')[1].split("</table>")[0]
    assert "Radu Formatorul" in team and "Alt Formator" not in team
    assert "T1 2026" in page
    assert "2037-12-31" in page  # records kept: end date + the default 10 years


def test_the_authority_reads_a_project_without_links_it_may_not_open(app, auth, client):
    login(auth, "authority")
    project = ProjectFactory()
    db.session.commit()
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "/rules" not in page and "/edit" not in page and "/documents/checklists" not in page
    assert client.get("/projects/").status_code == 200
    assert client.get("/projects/new").status_code == 403


def test_an_unknown_project_is_not_found(app, auth, client):
    login(auth, "admin")
    assert client.get("/projects/999999").status_code == 404
    assert client.get(f"/projects/{2**63}").status_code == 404
    assert client.get(f"/projects/{2**63}/edit").status_code == 404


def test_the_project_list_runs_a_constant_number_of_queries(app, auth, page_queries):
    login(auth, "coordinator")
    call = CallFactory()

    def queries_with(total: int) -> int:
        while db.session.scalar(select(func.count(Project.id))) < total:
            project = ProjectFactory(call=call)
            project.targets = [ProjectTarget(indicator_code="TOTAL", value=5)]
            MembershipFactory(project=project, participant=ParticipantFactory())
        db.session.commit()
        return page_queries("/projects/?per_page=100")

    assert queries_with(10) == queries_with(100)


def test_a_project_list_shows_members_and_total_target(app, auth, client):
    login(auth, "coordinator")
    project = ProjectFactory(code="SMIS-77", regions=["RO21"])
    project.targets = [ProjectTarget(indicator_code="TOTAL", value=321)]
    MembershipFactory(project=project, participant=ParticipantFactory())
    db.session.commit()
    page = client.get("/projects/").get_data(as_text=True)
    assert "SMIS-77" in page and "321" in page and "Nord-Est" in page


def test_an_admin_creates_a_call_from_the_pocu_preset(app, auth, client):
    login(auth, "admin")
    assert "POCU 3.12" in client.get("/admin/calls/new").get_data(as_text=True)
    response = auth.post("/admin/calls/new", {"code": "POCU/3.13", "name": "Apel nou",
                                              "preset": "pocu_3_12"})
    assert response.status_code == 302
    call = db.session.scalar(select(Call).where(Call.code == "POCU/3.13"))
    assert len(call.rules) == 9 and len(call.requirements) == 11
    response = auth.post("/admin/calls/new", {"code": "pocu/3.13", "name": "Din nou",
                                              "preset": "pocu_3_12"})
    assert response.status_code == 422
    assert "Another call already has the code pocu/3.13." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Call.id))) == 1


def test_without_a_call_the_project_form_says_what_to_do(app, auth, client):
    login(auth, "coordinator")
    page = client.get("/projects/new").get_data(as_text=True)
    assert 'data-testid="no-call"' in page and "Ask an administrator" in page


@pytest.mark.parametrize("role", ["admin", "coordinator", "trainer", "sme", "authority"])
def test_the_navigation_bar_groups_its_entries(app, auth, client, role):
    if role == "sme":
        from tests.factories import EnterpriseFactory

        UserFactory(email="sme@example.org", role="sme", enterprise=EnterpriseFactory(),
                    locale="ro")
        db.session.commit()
        auth.login("sme@example.org")
    else:
        login(auth, role, locale="ro")
    page = client.get("/").get_data(as_text=True)
    nav = page[page.index('<ul class="navbar-nav'):page.index("</ul>\n      <form")]
    top_level = re.findall(r'<li class="nav-item[ "]', nav)
    assert len(top_level) <= 5, f"{role}: {len(top_level)} top-level entries"
    assert "Ieșire" in page or "Deconectare" in page or "Log out" in page
    if role in ("admin", "coordinator", "authority"):
        assert ">Proiecte<" in page
    if role in ("admin", "coordinator"):
        assert ">Reguli de eligibilitate<" in page
    else:
        assert "/admin/calls" not in page


def test_the_indicators_dashboard_shows_the_women_target_and_every_other(app, auth, client):
    login(auth, "coordinator")
    project = ProjectFactory()
    project.targets = [ProjectTarget(indicator_code=code, value=10)
                       for code in ("TOTAL", "WOMEN", "AGE55_64", "CO19")]
    db.session.commit()
    page = client.get(f"/indicators/?project={project.id}").get_data(as_text=True)
    for code in ("TOTAL", "WOMEN", "AGE55_64", "CO19"):
        assert f'data-testid="target-{code}"' in page


def test_the_project_page_speaks_romanian(app, auth, client):
    login(auth, "coordinator", locale="ro")
    project = ProjectFactory()
    project.targets = [ProjectTarget(indicator_code="WOMEN", value=10)]
    db.session.commit()
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Participante (femei)" in page and "Ținte" in page and "Perioade de raportare" in page
    form = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    assert "WOMEN · Participante (femei)" in form and "Regiuni eligibile (NUTS2)" in form
