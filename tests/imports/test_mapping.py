"""Column mappings (DESIGN §13): a file column no field takes is mapped to a field or ignored,
on the web preview (saved per project and kind, applied next time) and in the CLI
(--mapping / --save-mapping); the web import reads the file once, in the preview."""
import io
import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.factories import ProjectFactory, UserFactory, valid_cui
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.imports import importers as importers_module
from trainhub.imports.models import ImportMapping
from trainhub.imports.services import (
    IGNORED,
    UNKNOWN,
    ImportFailed,
    MappingRefused,
    NotImported,
    Table,
    check_mapping,
    read_table,
)
from trainhub.imports.staging import Staged

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here

ALIASES = importers_module.importers()["enterprises"].aliases
CUI_A, CUI_B = valid_cui(801), valid_cui(802)


def firms_csv(*cuis: str) -> bytes:
    lines = ["CUI;Denumire;caen;county;Localitatea sediului social;Observații interne"]
    lines += [f"{cui};Firma {cui} SRL;6201;RO-AG;Pitești;de sunat" for cui in cuis]
    return ("\n".join(lines) + "\n").encode()


MAPPING = {"Localitatea sediului social": "locality", "Observații interne": None}


# --- the reading pipeline ----------------------------------------------------------------

def test_without_a_mapping_the_columns_are_not_imported():
    table = read_table(firms_csv(CUI_A), aliases=ALIASES, key="cui")
    assert [(item.column, item.reason) for item in table.not_imported] == [
        ("Localitatea sediului social", UNKNOWN), ("Observații interne", UNKNOWN)]
    assert "locality" not in table.rows[0][1]


def test_a_mapping_gives_a_column_its_field_and_ignores_the_null_ones():
    table = read_table(firms_csv(CUI_A), aliases=ALIASES, key="cui", mapping=MAPPING)
    assert table.rows[0][1]["locality"] == "Pitești"
    assert table.not_imported == [NotImported("csv", "Observații interne", IGNORED)]
    assert "ignores it" in str(table.not_imported[0])


def test_a_mapping_matches_the_column_as_normalised_and_finds_the_header_with_it():
    content = "Cod firmă;Nume firmă;caen;county\n" f"{CUI_A};Firma A;6201;RO-AG\n".encode()
    table = read_table(content, aliases=ALIASES, key="cui",
                       mapping={"COD  firma": "cui", "Nume firmă": "name"})
    assert table.rows == [(2, {"cui": CUI_A, "name": "Firma A", "caen": "6201",
                               "county": "RO-AG"})]


def test_an_unknown_field_is_refused_listing_the_accepted_fields():
    with pytest.raises(MappingRefused) as refused:
        check_mapping({"Localitatea sediului social": "oras"}, ALIASES)
    message = str(refused.value)
    assert "'Localitatea sediului social'" in message and "'oras'" in message
    assert "cui, name, caen, county, locality, employees" in message


@pytest.mark.parametrize("mapping", [["locality"], {"Localitate": 3}, "locality"])
def test_a_mapping_that_is_no_object_of_names_is_refused(mapping):
    with pytest.raises(MappingRefused, match="JSON object"):
        check_mapping(mapping, ALIASES)


def test_a_mapping_that_gives_a_field_twice_is_refused():
    with pytest.raises(ImportFailed, match="another column already holds it"):
        read_table(firms_csv(CUI_A), aliases=ALIASES, key="cui",
                   mapping={"Localitatea sediului social": "name"})


# --- the CLI -------------------------------------------------------------------------------

@pytest.fixture
def project(app):
    project = ProjectFactory(code="SMIS-130512")
    db.session.commit()
    return project


def cli(runner, tmp_path, content: bytes, *extra: str):
    path = tmp_path / "firme.csv"
    path.write_bytes(content)
    result = runner.invoke(args=["import", "enterprises", str(path), "--project", "SMIS-130512",
                                 "--lang", "en", *extra])
    db.session.expire_all()
    return result


def stored_localities() -> dict[str, str | None]:
    return dict(db.session.execute(select(Enterprise.cui, Enterprise.locality)).all())


def test_cli_mapping_and_save_mapping_round_trip(runner, tmp_path, project):
    given, saved = tmp_path / "given.json", tmp_path / "saved.json"
    given.write_text(json.dumps(MAPPING, ensure_ascii=False), encoding="utf-8")
    result = cli(runner, tmp_path, firms_csv(CUI_A), "--dry-run", "--mapping", str(given),
                 "--save-mapping", str(saved))
    assert result.exit_code == 0, result.output
    assert stored_localities() == {}
    written = json.loads(saved.read_text(encoding="utf-8"))
    assert written == {"CUI": "cui", "Denumire": "name", "caen": "caen", "county": "county",
                       "Localitatea sediului social": "locality", "Observații interne": None}
    # the team reuses the saved file as it is
    result = cli(runner, tmp_path, firms_csv(CUI_A, CUI_B), "--mapping", str(saved))
    assert result.exit_code == 0, result.output
    assert stored_localities() == {CUI_A: "Pitești", CUI_B: "Pitești"}
    assert "Observații interne' is not imported: the column mapping ignores it" in result.output


def test_cli_save_mapping_without_a_mapping_writes_the_synonyms_and_nulls(runner, tmp_path,
                                                                          project):
    saved = tmp_path / "saved.json"
    result = cli(runner, tmp_path, firms_csv(CUI_A), "--dry-run", "--save-mapping", str(saved))
    assert result.exit_code == 0, result.output
    assert json.loads(saved.read_text(encoding="utf-8"))["Localitatea sediului social"] is None


@pytest.mark.parametrize("content, message", [
    ('{"Localitatea sediului social": "oras"}', "accepted fields: cui, name, caen"),
    ("{not json", "is not a JSON column mapping"),
    ('["locality"]', "JSON object"),
])
def test_cli_refuses_a_bad_mapping_and_writes_nothing(runner, tmp_path, project, content,
                                                      message):
    given, saved = tmp_path / "given.json", tmp_path / "saved.json"
    given.write_text(content, encoding="utf-8")
    result = cli(runner, tmp_path, firms_csv(CUI_A), "--mapping", str(given),
                 "--save-mapping", str(saved))
    assert result.exit_code != 0
    assert message in result.output
    assert stored_localities() == {} and not saved.exists()


def test_cli_refuses_a_mapping_for_a_workbook(runner, tmp_path, project):
    given = tmp_path / "given.json"
    given.write_text(json.dumps(MAPPING), encoding="utf-8")
    path = tmp_path / "registru.xlsx"
    path.write_bytes(b"PK\x03\x04 not read")
    result = runner.invoke(args=["import", "workbook", str(path), "--project", "SMIS-130512",
                                 "--lang", "en", "--mapping", str(given)])
    assert result.exit_code != 0 and "workbook's sheets take their own column names" in (
        result.output)


# --- the web ------------------------------------------------------------------------------

@pytest.fixture
def coordinator(app, auth):
    user = UserFactory(role="coordinator", locale="ro")
    db.session.commit()
    auth.login(user.email)
    return user


def upload(auth, project, content: bytes) -> str:
    response = auth.post("/imports/", {"kind": "enterprises", "project_id": str(project.id),
                                       "file": (io.BytesIO(content), "firme.csv")},
                         content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.location


def map_columns(auth, location: str, choices: list[tuple[str, str]]):
    form = {}
    for index, (column, name) in enumerate(choices):
        form[f"column-{index}"], form[f"field-{index}"] = column, name
    return auth.post(f"{location}/mapping", form)


def confirm(auth, location: str):
    return auth.post(f"{location}/confirm", {})


def test_the_web_mapping_is_applied_saved_and_offered_next_time_for_that_project_only(
        client, auth, coordinator, project):
    other = ProjectFactory()
    db.session.commit()
    location = upload(auth, project, firms_csv(CUI_A))
    page = client.get(location).get_data(as_text=True)
    assert 'data-testid="mapping-form"' in page
    assert 'value="Localitatea sediului social"' in page and ">Localitate</option>" in page

    response = map_columns(auth, location, [("Localitatea sediului social", "locality"),
                                            ("Observații interne", "")])
    assert response.status_code == 302 and response.location.endswith(location)
    saved = db.session.scalar(select(ImportMapping))
    assert (saved.project_id, saved.kind, saved.columns) == (project.id, "enterprises", MAPPING)
    page = client.get(location).get_data(as_text=True)
    assert "coloana „Localitatea sediului social” nu se importă" not in page
    assert "coloana „Observații interne” nu se importă: corespondența coloanelor o ignoră" in page
    assert '<option value="locality" selected>' in page  # the user may still change it
    assert confirm(auth, location).status_code == 302
    assert stored_localities() == {CUI_A: "Pitești"}

    # the next file of that kind for that project is read with the saved mapping
    location = upload(auth, project, firms_csv(CUI_B))
    page = client.get(location).get_data(as_text=True)
    assert 'data-testid="mapping-saved"' in page
    assert confirm(auth, location).status_code == 302
    assert stored_localities()[CUI_B] == "Pitești"

    # not for another project
    location = upload(auth, other, firms_csv(valid_cui(803)))
    page = client.get(location).get_data(as_text=True)
    assert 'data-testid="mapping-saved"' not in page
    assert "coloana „Localitatea sediului social” nu se importă" in page
    assert confirm(auth, location).status_code == 302
    assert stored_localities()[valid_cui(803)] in ("", None)


def test_the_web_refuses_an_unknown_field_naming_the_fields_in_romanian_and_saves_nothing(
        client, auth, coordinator, project):
    location = upload(auth, project, firms_csv(CUI_A))
    response = map_columns(auth, location, [("Localitatea sediului social", "locality"),
                                            ("Observații interne", "oras")])
    assert response.status_code == 302
    page = client.get(location).get_data(as_text=True)
    assert "coloana „Observații interne” este asociată cu „oras”" in page
    assert "câmpuri acceptate: CUI, Denumirea firmei, Cod CAEN, Județ, Localitate" in page
    assert db.session.scalar(select(func.count()).select_from(ImportMapping)) == 0
    # and the staged upload is read as before
    assert "coloana „Localitatea sediului social” nu se importă" in page


def test_a_saved_mapping_the_next_file_contradicts_can_be_set_aside(client, auth, coordinator,
                                                                    project):
    db.session.add(ImportMapping(project_id=project.id, kind="enterprises",
                                 columns={"Localitatea sediului social": "name"}))
    db.session.commit()
    location = upload(auth, project, firms_csv(CUI_A))
    response = client.get(location)
    assert response.status_code == 422
    assert "o altă coloană îl conține deja" in response.get_data(as_text=True)
    assert auth.post(f"{location}/mapping", {"clear": "1"}).status_code == 302
    assert client.get(location).status_code == 200
    assert confirm(auth, location).status_code == 302
    assert set(stored_localities()) == {CUI_A}


@pytest.fixture
def reads(monkeypatch):
    """How many times a file is read (the reader of the single-sheet kinds)."""
    calls = []
    real = importers_module.read_table

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(importers_module, "read_table", counting)
    return calls


def test_confirm_imports_what_the_preview_read_without_reading_the_file_again(
        client, auth, coordinator, project, reads):
    location = upload(auth, project, firms_csv(CUI_A, CUI_B))
    assert client.get(location).status_code == 200
    assert len(reads) == 1
    assert confirm(auth, location).status_code == 302
    assert len(reads) == 1
    assert set(stored_localities()) == {CUI_A, CUI_B}
    assert not list((project_upload_dir(client)).iterdir())  # file, settings and tables gone


def project_upload_dir(client):
    from pathlib import Path

    return Path(client.application.config["UPLOAD_DIR"]) / "imports"


def test_confirm_reads_the_file_again_when_the_kept_tables_are_missing_or_stale(
        client, auth, coordinator, project, reads):
    location = upload(auth, project, firms_csv(CUI_A))
    client.get(location)
    token = location.rstrip("/").rsplit("/", 1)[1]
    kept = project_upload_dir(client) / f"{token}.tables"
    kept.write_bytes(b"not gzip")  # damaged
    assert confirm(auth, location).status_code == 302
    assert len(reads) == 2 and set(stored_localities()) == {CUI_A}

    location = upload(auth, project, firms_csv(CUI_B))
    client.get(location)
    token = location.rstrip("/").rsplit("/", 1)[1]
    meta = project_upload_dir(client) / f"{token}.meta"
    settings = json.loads(meta.read_text()) | {"mapping": MAPPING}  # read otherwise now: stale
    meta.write_text(json.dumps(settings))
    assert confirm(auth, location).status_code == 302
    assert len(reads) == 4
    assert stored_localities()[CUI_B] == "Pitești"


def test_a_mapping_saved_on_the_web_is_read_once_and_confirm_reads_nothing(
        client, auth, coordinator, project, reads):
    location = upload(auth, project, firms_csv(CUI_A))
    client.get(location)
    map_columns(auth, location, [("Localitatea sediului social", "locality")])
    assert client.get(location).status_code == 200
    assert confirm(auth, location).status_code == 302
    assert len(reads) == 2  # the preview, then the mapping; neither its preview nor confirm
    assert stored_localities() == {CUI_A: "Pitești"}


def test_the_web_refuses_a_mapping_the_file_cannot_be_read_with_and_saves_nothing(
        client, auth, coordinator, project):
    location = upload(auth, project, firms_csv(CUI_A))
    map_columns(auth, location, [("Localitatea sediului social", "name")])
    page = client.get(location).get_data(as_text=True)
    assert "o altă coloană îl conține deja" in page
    assert db.session.scalar(select(func.count()).select_from(ImportMapping)) == 0
    assert "coloana „Localitatea sediului social” nu se importă" in page


def test_the_kept_tables_keep_every_cell_type(tmp_path):
    staged = Staged(tmp_path / "abc", kind="enterprises", project_id=1, user_id=1)
    row = {"a": None, "b": True, "c": 7, "d": 2.5, "e": "șir", "f": datetime(2026, 1, 2, 3, 4),
           "g": date(2026, 1, 2), "h": time(9, 30), "i": timedelta(hours=2),
           "j": Decimal("1250000.50"), "k": float("nan")}
    table = Table("Firme", ["a", "", "b"], rows=[(3, row)], skipped=2, lei_columns={"j"},
                  header_row=2, headers=["A", "Obs", "B"],
                  not_imported=[NotImported("Firme", "Obs", UNKNOWN)])
    staged.keep_tables(b"content", {"enterprises": table})
    back = staged.kept_tables(b"content")["enterprises"]
    nan = back.rows[0][1].pop("k")
    assert nan != nan and back == table.__class__(**{**table.__dict__, "rows": [
        (3, {key: value for key, value in row.items() if key != "k"})]})
    assert staged.kept_tables(b"other content") is None


def test_the_preview_runs_as_many_queries_for_thirty_rows_as_for_two(client, auth, coordinator,
                                                                     project, count_queries):
    db.session.add(ImportMapping(project_id=project.id, kind="enterprises", columns=MAPPING))
    db.session.commit()
    counts = []
    for cuis in ([valid_cui(900 + n) for n in range(2)], [valid_cui(950 + n) for n in range(30)]):
        location = upload(auth, project, firms_csv(*cuis))
        with count_queries() as counter:
            assert client.get(location).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]
