"""The attendance register of a cohort: people × sessions, statuses, hours, totals, rate."""
import csv
import io
from datetime import date, time, timedelta
from decimal import Decimal

import pypdf
import pytest
from openpyxl import load_workbook

from tests.conftest import xlsx_table
from tests.factories import (
    AttendanceMarkFactory,
    CohortFactory,
    EnrollmentFactory,
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    TrainingSessionFactory,
    UserFactory,
)
from trainhub.extensions import db

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here

TODAY = date.today()


@pytest.fixture
def register_world(app):
    """Two held 4-hour sessions and one ahead; Ana (firm A) joins before, Ion (firm B) after
    the first session."""
    UserFactory(email="coord@example.org", role="coordinator")
    firm_a, firm_b = EnterpriseFactory(), EnterpriseFactory()
    UserFactory(email="sme@example.org", role="sme", enterprise=firm_a)
    cohort = CohortFactory(code="G-REG")
    first, second, _ahead = [
        TrainingSessionFactory(cohort=cohort, date=TODAY + timedelta(days=days), start_time=time(9),
                               end_time=time(13), hours=Decimal(4)) for days in (-8, -1, 6)]
    ana = EnrollmentFactory(cohort=cohort, enrolled_on=TODAY - timedelta(days=10),
                            membership=MembershipFactory(project=cohort.project, participant=(
                                ParticipantFactory(last_name="Albu", first_name="Ana",
                                                   enterprise=firm_a))))
    ion = EnrollmentFactory(cohort=cohort, enrolled_on=TODAY - timedelta(days=3),
                            membership=MembershipFactory(project=cohort.project, participant=(
                                ParticipantFactory(last_name="Zamfir", first_name="Ion",
                                                   enterprise=firm_b))))
    AttendanceMarkFactory(session=first, enrollment=ana, status="present", hours=Decimal(4))
    AttendanceMarkFactory(session=second, enrollment=ana, status="late", hours=Decimal(3))
    AttendanceMarkFactory(session=second, enrollment=ion, status="absent", hours=Decimal(0))
    db.session.commit()
    return cohort


def test_csv_register_has_people_sessions_statuses_totals_and_rate(register_world, auth, client):
    auth.login("coord@example.org")
    response = client.get(f"/attendance/cohorts/{register_world.id}/register.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows[0]) == 1 + 3 + 3
    assert rows[1] == ["Albu Ana", "P 4", "I 3", "", "7", "8", "88%"]
    assert rows[2] == ["Zamfir Ion", "—", "A", "", "0", "4", "0%"]
    assert rows[3][:5] == [rows[3][0], "1", "1", "0", "7"]


def test_xlsx_and_pdf_registers_carry_the_same_rows(register_world, auth, client):
    auth.login("coord@example.org")
    xlsx = client.get(f"/attendance/cohorts/{register_world.id}/register.xlsx")
    rows = xlsx_table(xlsx.data)
    assert list(rows[1]) == ["Albu Ana", "P 4", "I 3", None, "7", "8", "88%"]
    identity = list(load_workbook(io.BytesIO(xlsx.data)).active.values)[:3]
    assert identity[0][0].startswith("Uniunea Europeană")
    assert f"Cod SMIS: {register_world.project.code}" in identity[1][0]
    pdf = client.get(f"/attendance/cohorts/{register_world.id}/register.pdf")
    assert pdf.mimetype == "application/pdf"
    text = pypdf.PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert "Albu Ana" in text and "88%" in text and "G-REG" in text
    assert client.get(f"/attendance/cohorts/{register_world.id}/register.doc").status_code == 404


def test_an_sme_register_lists_only_its_own_employees(register_world, auth, client):
    auth.login("sme@example.org")
    body = client.get(f"/attendance/cohorts/{register_world.id}/register.csv").data.decode("utf-8-sig")
    assert "Albu Ana" in body and "Zamfir" not in body
