"""Damaged, huge or hostile files get one clear refusal or row errors, never a traceback/500."""
import io
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from tests.conftest import csrf_token_from
from tests.factories import ProjectFactory, UserFactory, valid_cui
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.imports import services
from trainhub.imports.services import ImportFailed, read_table

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here

HEADER = ["cui", "name", "caen", "county", "employees", "turnover_eur"]


def _xlsx(*rows) -> bytes:
    workbook = Workbook()
    for row in (HEADER, *rows):
        workbook.active.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def _replace_part(content: bytes, part: str, data) -> bytes:
    """The workbook with one of its zip parts rewritten by `data(old bytes)`."""
    source, target = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(target, "w") as out:
        for item in source.infolist():
            body = source.read(item.filename)
            out.writestr(item, data(body) if item.filename == part else body)
    return target.getvalue()


GOOD = _xlsx([valid_cui(1), "Firma SRL", "6201", "Cluj", 3, 1000])
DAMAGED = {
    "broken workbook.xml": (_replace_part(GOOD, "xl/workbook.xml", lambda _: b"<workbook><sh"),
                            "not a readable XLSX workbook"),
    "truncated sheet": (_replace_part(GOOD, "xl/worksheets/sheet1.xml", lambda b: b[:len(b) // 2]),
                        "the sheet is damaged"),
    "empty sheet part": (_replace_part(GOOD, "xl/worksheets/sheet1.xml", lambda _: b""),
                         "the sheet is damaged"),
    "a field over 131,072 characters": (
        ("cui,name,caen,county\n" + f"{valid_cui(1)},{'x' * 140_000},6201,Cluj\n").encode(),
        "longer than 131,072 characters"),
}


@pytest.fixture
def project(app):
    project = ProjectFactory(code="SMIS-9")
    db.session.commit()
    return project


@pytest.mark.parametrize("name", DAMAGED)
def test_a_damaged_file_is_refused_clearly_by_the_cli(runner, tmp_path, project, name):
    content, message = DAMAGED[name]
    path = tmp_path / "file.xlsx"
    path.write_bytes(content)
    result = runner.invoke(args=["import", "enterprises", str(path), "--project", "SMIS-9"])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Error:" in result.output and message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", DAMAGED)
def test_a_damaged_file_is_refused_clearly_by_the_web_preview(app, client, auth, project, name):
    coordinator = UserFactory(role="coordinator")
    db.session.commit()
    auth.login(coordinator.email)
    form = client.get("/imports/").get_data(as_text=True)
    content, message = DAMAGED[name]
    response = client.post("/imports/", data={
        "csrf_token": csrf_token_from(form), "kind": "enterprises", "project_id": project.id,
        "file": (io.BytesIO(content), "file.xlsx")}, follow_redirects=True)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-testid="file-error"' in page and message in page


@pytest.mark.parametrize("amount", ["1e30", "1e400", "9" * 20, "-5", "NaN", "inf"])
def test_absurd_amounts_are_row_errors(runner, tmp_path, project, amount):
    path = tmp_path / "firms.csv"
    path.write_text(f"cui,name,caen,county,employees,turnover_eur\n"
                    f"{valid_cui(1)},Firma SRL,6201,Cluj,3,{amount}\n")
    result = runner.invoke(args=["import", "enterprises", str(path), "--project", "SMIS-9"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "csv:2: turnover_eur:" in result.output
    assert db.session.scalars(select(Enterprise)).all() == []


@pytest.mark.parametrize("employees", [1e30, "9" * 20, "1e400", 2.5])
def test_absurd_headcounts_are_row_errors(runner, tmp_path, project, employees):
    path = tmp_path / "firms.xlsx"
    path.write_bytes(_xlsx([valid_cui(1), "Firma SRL", "6201", "Cluj", employees, 1000]))
    result = runner.invoke(args=["import", "enterprises", str(path), "--project", "SMIS-9"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Sheet:2: employees:" in result.output


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(runner, tmp_path, project,
                                                                  monkeypatch):
    monkeypatch.setattr(services, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "big.csv"
    path.write_bytes(b"cui,name\n" + b"x" * 2000)
    result = runner.invoke(args=["import", "enterprises", str(path), "--project", "SMIS-9"])
    assert result.exit_code == 1 and "larger than" in result.output
    monkeypatch.undo()  # the limit is read when a file is read, not when the module loads
    with pytest.raises(ImportFailed, match="larger than 50 MB"):
        read_table(b"x" * (50 * 1024 * 1024 + 1))


def test_a_file_over_the_row_limit_is_refused(app):
    rows = "".join(f"{valid_cui(n)},Firma {n}\n" for n in range(6))
    with pytest.raises(ImportFailed, match="more than 5 rows"):
        read_table(f"cui,name\n{rows}".encode(), aliases={"cui": "cui", "name": "name"},
                   max_rows=5)
    assert services.MAX_ROWS == 200_000
