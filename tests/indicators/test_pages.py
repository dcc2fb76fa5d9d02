"""Indicator pages, exports and locked periods: what the managing authority relies on."""
import io
import json
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.factories import ProjectFactory, UserFactory
from tests.indicators.test_computation import member
from trainhub.audit.models import AuditEvent
from trainhub.extensions import db
from trainhub.indicators.models import IndicatorSnapshot
from trainhub.indicators.services import INDICATORS, create_period, lock_period, snapshot_diff
from trainhub.programme.models import ProjectTarget

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here


@pytest.fixture
def project(app):
    project = ProjectFactory(code="SMIS-9", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    db.session.add(ProjectTarget(project=project, indicator_code="TOTAL", value=10))
    member(project, entry=date(2026, 2, 3), sex="F", birth=date(1968, 1, 1))
    member(project, entry=date(2026, 2, 5))
    member(project, entry=date(2026, 2, 5), eligibility="pending")
    return project


def test_cli_export_prints_the_csv_contract(project, runner):
    result = runner.invoke(args=["indicators", "export", "--project", "SMIS-9", "--from",
                                 "2026-01-01", "--to", "2026-06-30", "--format", "csv",
                                 "--output", "-"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "code,label,men,women,total"
    assert [line.split(",")[0] for line in lines[1:]] == [i.code for i in INDICATORS]
    assert lines[1] == "TOTAL,All participants,1,1,2"
    assert "CO07,Participants above 54 years of age,0,1,1" in lines
    assert any(line.startswith("CO23,") and line.endswith(",,2") for line in lines)


def test_cli_export_json_and_xlsx(project, runner, tmp_path):
    result = runner.invoke(args=["indicators", "export", "--project", "SMIS-9", "--from",
                                 "2026-01-01", "--to", "2026-06-30", "--format", "json"])
    assert json.loads(result.output)["indicators"][0]["total"] == 2
    target = tmp_path / "out.xlsx"
    result = runner.invoke(args=["indicators", "export", "--project", "SMIS-9", "--from",
                                 "2026-01-01", "--to", "2026-06-30", "--format", "xlsx",
                                 "--output", str(target)])
    assert result.exit_code == 0, result.output
    workbook = load_workbook(target)
    assert workbook.sheetnames[0] == "indicators" and "participants" in workbook.sheetnames
    assert workbook["indicators"].freeze_panes == "A2"
    people = list(workbook["participants"].values)[1:]
    assert all("*" in row[2] for row in people)  # masked CNPs


def test_xlsx_lists_the_people_behind_each_number_by_name(project, runner, tmp_path):
    for last_name in ("Zamfir", "Albu", "Popa", "Barbu"):  # created out of alphabetical order
        member(project, entry=date(2026, 3, 2), last_name=last_name)
    target = tmp_path / "out.xlsx"
    runner.invoke(args=["indicators", "export", "--project", "SMIS-9", "--from", "2026-03-01",
                        "--to", "2026-03-31", "--format", "xlsx", "--output", str(target)])
    people = list(load_workbook(target)["participants"].values)[1:]
    assert [row[3] for row in people if row[0] == "TOTAL"] == ["Albu", "Barbu", "Popa", "Zamfir"]


def test_cli_export_refuses_unknown_project_and_reversed_period(project, runner):
    assert runner.invoke(args=["indicators", "export", "--project", "NOPE", "--from", "2026-01-01",
                               "--to", "2026-02-01"]).exit_code == 1
    assert runner.invoke(args=["indicators", "export", "--project", "SMIS-9", "--from",
                               "2026-03-01", "--to", "2026-02-01"]).exit_code == 1


def test_a_locked_period_survives_later_changes_and_a_correction_shows_its_diff(project):
    coordinator = UserFactory()
    period = create_period(db.session, project, "2026 Q1", date(2026, 1, 1), date(2026, 3, 31))
    first = lock_period(db.session, period, user_id=coordinator.id)
    db.session.commit()
    late = member(project, entry=date(2026, 3, 30))
    assert first.values["TOTAL"]["total"] == 2
    db.session.refresh(first)
    assert first.values["TOTAL"]["total"] == 2  # the stored snapshot did not move
    with pytest.raises(Exception, match="note"):
        lock_period(db.session, period, user_id=coordinator.id)
    second = lock_period(db.session, period, user_id=coordinator.id, note="late sign-in sheet")
    db.session.commit()
    assert second.version == 2 and second.values["TOTAL"]["total"] == 3
    diff = {(change["code"], change["cell"]): change for change in snapshot_diff(first, second)}
    assert diff[("TOTAL", "men")]["added"] == [late.id]
    assert db.session.query(IndicatorSnapshot).count() == 2


def test_dashboard_drill_down_and_period_pages(project, auth, client):
    user = UserFactory(role="authority")
    db.session.commit()
    auth.login(user.email)
    page = client.get(f"/indicators/?project={project.id}&from=2026-01-01&to=2026-06-30")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Took part but not counted" in html
    assert "eligibility is pending" in html and "2 / 10" in html
    cell = client.get(f"/indicators/cell?project={project.id}&from=2026-01-01&to=2026-06-30"
                      "&code=TOTAL&sex=F").get_data(as_text=True)
    assert cell.count("******") == 1  # one woman, CNP masked for the authority
    export = client.get(f"/indicators/export?project={project.id}&format=xlsx&full=1")
    sheet = load_workbook(io.BytesIO(export.data))["participants"]
    assert all("*" in row[2] for row in list(sheet.values)[1:])  # no full data for authority
    viewed = db.session.scalars(select(AuditEvent.changes).where(
        AuditEvent.action == "authority.view", AuditEvent.user_id == user.id)
        .order_by(AuditEvent.id)).all()
    assert [change["path"].split("?")[0] for change in viewed] == [
        "/indicators/", "/indicators/cell", "/indicators/export"]


def test_drill_down_runs_the_same_queries_for_10_or_60_people(project, auth, page_queries):
    user = UserFactory(role="coordinator")
    db.session.commit()
    auth.login(user.email)
    url = f"/indicators/cell?project={project.id}&code=TOTAL"
    few = page_queries(url)
    for _ in range(60):
        member(project, entry=date(2026, 4, 1))
    assert page_queries(url) == few


def test_the_authority_samples_a_participant_behind_a_number(project, auth, client):
    user = UserFactory(role="authority")
    db.session.commit()
    auth.login(user.email)
    response = client.get(f"/indicators/sample?project={project.id}&code=CO07")
    assert response.status_code == 302 and "/participants/" in response.location
    page = client.get(response.location)
    assert page.status_code == 200 and "Documents" in page.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent.changes).where(
        AuditEvent.action == "indicators.sample")) == {"code": "CO07", "out_of": 1}
