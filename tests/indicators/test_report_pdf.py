"""The indicator report PDF: the call's identity, the project, and the CSV export's figures."""
import csv
import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.factories import ProjectFactory, UserFactory, join_team
from tests.indicators.test_computation import member
from trainhub.audit.models import AuditEvent
from trainhub.extensions import db
from trainhub.indicators.services import INDICATORS
from trainhub.programme.models import ProjectTarget


@pytest.fixture
def project(app):
    project = ProjectFactory(code="SMIS-777", title="Competențe digitale în IMM-uri",
                             start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    db.session.add(ProjectTarget(project=project, indicator_code="TOTAL", value=10))
    db.session.add(ProjectTarget(project=project, indicator_code="WOMEN", value=4))
    member(project, entry=date(2026, 2, 3), sex="F", birth=date(1968, 1, 1))
    member(project, entry=date(2026, 2, 5))
    member(project, entry=date(2026, 7, 5))
    return project


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


PARAMS = "from=2026-01-01&to=2026-06-30"


def figures(text: str) -> dict[str, list[str]]:
    """{code: [men, women, total, target]} read off the report's table: the text between one
    code and the next ends with the row's four figures (a long label may wrap)."""
    words = text[text.index("Țintă"):text.index("Generat la")].split()
    codes = [i.code for i in INDICATORS]
    starts = [words.index(code) for code in codes]
    rows = {}
    for code, start, end in zip(codes, starts, [*starts[1:], len(words)], strict=True):
        segment = words[start:end]
        if code == codes[-1]:  # the women target's line follows the last row
            segment = segment[:segment.index("Ținta")] if "Ținta" in segment else segment
        rows[code] = segment[-4:]
    return rows


def test_the_report_carries_the_identity_the_project_and_the_csv_figures(project, auth, client):
    user = UserFactory(role="authority")
    db.session.commit()
    auth.login(user.email)
    response = client.get(f"/indicators/report.pdf?project={project.id}&{PARAMS}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].strip('"').endswith(".pdf")
    text = pdf_text(response.data)
    for expected in ("Uniunea Europeană", "Fondul Social European", "Raport privind indicatorii",
                     "Competențe digitale în IMM-uri", "SMIS-777",
                     "Perioada: 01.01.2026 – 30.06.2026", "Toți participanții",
                     f"Generat la: {date.today():%d.%m.%Y}", "Ținta de participanți femei: 4"):
        assert expected in text, expected
    exported = client.get(f"/indicators/export?project={project.id}&format=csv&{PARAMS}")
    csv_rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    table = figures(text)
    assert list(table) == [row["code"] for row in csv_rows]
    for row in csv_rows:
        men, women, total, target = table[row["code"]]
        assert [men, women, total] == [row["men"] or "—", row["women"] or "—", row["total"]]
        assert target == ("10" if row["code"] == "TOTAL" else "—")
    assert table["TOTAL"][:3] == ["1", "1", "2"]  # the July member is outside the period
    assert db.session.scalar(select(AuditEvent.changes).where(
        AuditEvent.action == "indicators.export", AuditEvent.user_id == user.id)) == {
        "format": "pdf", "from": "2026-01-01", "to": "2026-06-30"}


def test_the_dashboard_links_the_report_beside_the_exports(project, auth, client):
    user = UserFactory(role="admin")
    db.session.commit()
    auth.login(user.email)
    html = client.get(f"/indicators/?project={project.id}&{PARAMS}").get_data(as_text=True)
    assert (f"/indicators/report.pdf?project={project.id}&amp;from=2026-01-01&amp;to=2026-06-30"
            in html)


@pytest.mark.parametrize(("query", "status"), [
    ("project=999999", 404), ("project=0", 200), ("project=abc", 200),  # no id: the latest
    ("project={id}&from=9999-01-01", 400), ("project={id}&to=0001-01-01", 400),
    ("project={id}&from=garbage", 400), ("project={id}&to=2026-13-45", 400),
    ("project={id}&from=2026-06-30&to=2026-01-01", 200), ("project={id}&from=%00", 400),
])
def test_bad_parameters_never_crash(project, auth, client, query, status):
    user = UserFactory(role="admin")
    db.session.commit()
    auth.login(user.email)
    response = client.get("/indicators/report.pdf?" + query.format(id=project.id))
    assert response.status_code == status
    if status != 200:
        assert not db.session.scalar(select(AuditEvent.id).where(
            AuditEvent.action == "indicators.export"))


def test_another_teams_project_is_not_found(app, auth, client):
    ours, theirs = ProjectFactory(code="SMIS-1"), ProjectFactory(code="SMIS-2")
    coordinator = UserFactory(role="coordinator")
    join_team(coordinator, ours)
    db.session.commit()
    auth.login(coordinator.email)
    assert client.get(f"/indicators/report.pdf?project={theirs.id}").status_code == 404
    response = client.get(f"/indicators/report.pdf?project={ours.id}")
    assert response.status_code == 200 and "SMIS-1" in pdf_text(response.data)
    assert client.get("/indicators/report.pdf").status_code == 200  # the default: their own


def test_the_report_reads_in_romanian_whoever_reads_the_page_in_english(project, auth, client):
    user = UserFactory(role="admin", locale="en")
    db.session.commit()
    auth.login(user.email)
    page = client.get(f"/indicators/?project={project.id}&{PARAMS}").get_data(as_text=True)
    assert "All participants" in page  # the page follows the reader
    text = pdf_text(client.get(f"/indicators/report.pdf?project={project.id}&{PARAMS}").data)
    assert "Toți participanții" in text and "All participants" not in text
    assert "Șomeri, inclusiv șomeri de lungă durată" in text
