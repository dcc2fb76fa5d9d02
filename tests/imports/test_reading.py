"""Reading cells and headers the way people type them (DESIGN §13 "Header row", "Values")."""
from datetime import date
from decimal import Decimal

import pytest

from tests.data.make_workbook import build
from tests.factories import ProjectFactory, valid_cnp
from trainhub.attendance.services import mark_status
from trainhub.core import cleaning
from trainhub.courses.models import Course
from trainhub.courses.services import course_category
from trainhub.enterprises.services import ENTERPRISE_ALIASES, clean_enterprise
from trainhub.extensions import db
from trainhub.imports.importers import run_import
from trainhub.imports.services import (
    CellError,
    normalise_column,
    parse_bool,
    parse_date,
    parse_decimal,
    read_table,
)
from trainhub.participants.services import PARTICIPANT_ALIASES, clean_participant, isced_level


@pytest.mark.parametrize(("header", "name"), [
    ("Nivel de educație (ISCED)", "nivel_de_educatie"), ("Mediu (U/R)", "mediu"),
    ("  Județ ", "judet"), ("Judeţ", "judet"), ("Nr. crt.", "nr_crt"), ("E-mail", "e_mail"),
    ("turnover_eur", "turnover_eur"), ("Statut pe piața muncii", "statut_pe_piata_muncii"),
])
def test_column_names_are_normalised(header, name):
    assert normalise_column(header) == name


def test_the_header_is_found_below_title_rows_and_row_numbers_stay_the_sheets(app):
    content = ("Registrul grupului țintă,,\n,,\nProiect X,,\n"
               "CNP,Nume,Prenume,Coloana mea\n"
               f"{valid_cnp()},Pop,Ana,ceva\n").encode()
    table = read_table(content, aliases=PARTICIPANT_ALIASES, key="cnp")
    assert table.header_row == 4
    assert [number for number, _ in table.rows] == [5]
    assert table.rows[0][1]["last_name"] == "Pop"
    assert [(c.column, c.reason) for c in table.not_imported] == [("Coloana mea", "unknown")]


def test_a_leading_apostrophe_before_a_formula_sign_is_dropped_once(app):
    content = (b"cui,name,caen,county\n1,'=Firma,6201,Cluj\n2,'+40 SRL,6201,Cluj\n"
               b"3,''=x,6201,Cluj\n4,'Normal,6201,Cluj\n")
    table = read_table(content, aliases=ENTERPRISE_ALIASES, key="cui")
    assert [row["name"] for _, row in table.rows] == ["=Firma", "+40 SRL", "''=x", "'Normal"]


def test_total_rows_are_skipped_and_counted_but_a_row_missing_its_key_is_an_error(app):
    content = ("cnp,nume,prenume,vârsta\n"
               f"{valid_cnp()},Pop,Ana,40\n"
               ",Ionescu,Maria,\n"
               ",TOTAL,,\n"
               ",,,40\n").encode()
    table = read_table(content, aliases=PARTICIPANT_ALIASES, key="cnp")
    assert [number for number, _ in table.rows] == [2, 3]
    assert table.skipped == 2


@pytest.mark.parametrize(("typed", "expected"), [
    ("1.250.000,50 lei", Decimal("1250000.50")), ("1 250 000,50", Decimal("1250000.50")),
    ("1,250,000.50", Decimal("1250000.50")), ("2,5", Decimal("2.5")), ("2.5", Decimal("2.5")),
    ("1.250", Decimal("1250")), ("12.000 EUR", Decimal("12000")), ("RON 300", Decimal("300")),
    (1250000.5, Decimal("1250000.5")), (7, Decimal(7)),
])
def test_numbers_in_romanian_format_with_currency_words(typed, expected):
    assert parse_decimal(typed) == expected


@pytest.mark.parametrize(("typed", "expected"), [
    ("03.03.2026", date(2026, 3, 3)), ("3/3/2026", date(2026, 3, 3)),
    ("2026-03-03", date(2026, 3, 3)), (date(2026, 3, 3), date(2026, 3, 3)),
])
def test_dates_as_typed_in_romania(typed, expected):
    assert parse_date(typed) == expected


@pytest.mark.parametrize(("typed", "expected"), [
    ("DA", True), ("x", True), ("Nu", False), ("0", False), (1, True), ("yes", True)])
def test_yes_no(typed, expected):
    assert parse_bool(typed) is expected


def test_a_refused_value_is_quoted_as_typed_and_the_accepted_values_are_listed(app):
    with pytest.raises(CellError) as refused:
        parse_bool("Poate  ")
    assert str(refused.value) == "'Poate' is not yes or no (accepted: da, nu, x, 1, 0, yes, no)"
    cleaned = clean_participant({"cnp": valid_cnp(), "last_name": "A", "first_name": "B",
                                 "environment": "Metropolă", "employment_status": "Pensionar"})
    assert cleaned.errors["environment"].startswith("'Metropolă' is not accepted here (accepted:")
    assert "'Pensionar'" in cleaned.errors["employment_status"]
    assert "șomer de lungă durată" in cleaned.errors["employment_status"]


@pytest.mark.parametrize(("typed", "level"), [
    ("ISCED 3 - Liceu", 3), ("3", 3), (2, 2), ("Licență", 6), ("studii postliceale", 4),
    ("Master", 7), ("doctorat", 8), ("Gimnaziu", 2), ("primar", 1), ("Nivel 5", 5)])
def test_isced_as_a_digit_anywhere_or_a_level_word(typed, level):
    assert isced_level(typed) == level


@pytest.mark.parametrize(("typed", "status"), [
    ("Angajat", "employed"), ("salariat", "employed"), ("Persoană angajată", "employed"),
    ("PFA", "self_employed"), ("Liber profesionist", "self_employed"),
    ("Șomer", "unemployed"), ("şomer de lungă durată", "long_term_unemployed"),
    ("Inactiv", "inactive"), ("long_term_unemployed", "long_term_unemployed")])
def test_employment_status_in_romanian(app, typed, status):
    cleaned = clean_participant({"cnp": valid_cnp(), "last_name": "A", "first_name": "B",
                                 "employment_status": typed})
    assert cleaned.values["employment_status"] == status, cleaned.errors


@pytest.mark.parametrize(("typed", "iso"), [
    ("jud. Argeș", "RO-AG"), ("Județul Cluj", "RO-CJ"), ("JUDETUL BRASOV", "RO-BV"),
    ("Municipiul București", "RO-B"), ("București, Sector 3", "RO-B"), ("Sector 6", "RO-B"),
    ("BV", "RO-BV"), ("RO-TM", "RO-TM"), ("Bistrița-Năsăud", "RO-BN")])
def test_counties_as_written_in_registers(typed, iso):
    assert cleaning.county(typed) == iso


@pytest.mark.parametrize(("typed", "code"), [
    ("2932 - Fabricarea altor piese și accesorii", "2932"), (111, "0111"), ("62.01", "6201"),
    ("6201", "6201"), (6201.0, "6201")])
def test_caen_with_its_description_or_without_its_leading_zero(app, typed, code):
    cleaned = clean_enterprise({"cui": "18547290", "name": "X", "caen": typed, "county": "CJ"})
    assert cleaned.values.get("caen") == code, cleaned.errors


@pytest.mark.parametrize(("typed", "remark", "status"), [
    ("DA", "", "present"), ("prezent", None, "present"), ("P", "", "present"),
    ("NU", "", "absent"), ("absent", "", "absent"), ("A", "", "absent"),
    ("motivat - concediu medical", "", "excused"), ("M", "", "excused"),
    ("NU", "Motivat: concediu medical", "excused"), ("întârziat", "", "late"), ("I", "", "late")])
def test_sign_in_list_marks(app, typed, remark, status):
    assert mark_status(typed, remark) == status


@pytest.mark.parametrize(("typed", "slug"), [
    ("CNC programming", "cnc_programming"), ("Cyber security", "cyber_security"),
    ("cyber_security", "cyber_security"), ("Securitate cibernetică", "cyber_security"),
    ("  crm ", "crm")])
def test_course_category_by_slug_or_label(app, typed, slug):
    assert course_category(typed) == slug


def test_a_workbook_names_course_categories_by_their_labels(app, tmp_path):
    project = ProjectFactory(code="SMIS-7")
    db.session.commit()

    def by_label(sheets):
        sheets["courses"][1][1] = "Cyber security"
        sheets["courses"].append(["WB-CNC", "CNC programming", "Programare CNC", 40])

    path = build(tmp_path / "labels.xlsx", by_label)
    report = run_import(db.session, "workbook", path.read_bytes(), project, user_id=None)
    assert report.written, report.errors
    assert {c.code: c.category for c in db.session.query(Course)} == {
        "WB-CYBER": "cyber_security", "WB-CNC": "cnc_programming"}

    def unknown(sheets):
        sheets["courses"][1][1] = "Basket weaving"

    report = run_import(db.session, "workbook", build(tmp_path / "bad.xlsx", unknown).read_bytes(),
                        project, user_id=None)
    message = next(str(e) for e in report.errors if e.column == "category")
    assert "'Basket weaving' is not a course category" in message
    assert "CNC programming" in message and "cnc_programming" not in message


def test_refusals_read_in_romanian_for_a_romanian_user(app):
    from flask_babel import force_locale

    with force_locale("ro"):
        with pytest.raises(CellError) as refused:
            parse_date("31.02.2026")
        assert str(refused.value) == ("„31.02.2026” nu este o dată (ZZ.LL.AAAA, ZZ/LL/AAAA sau"
                                      " AAAA-LL-ZZ)")
        table = read_table(b"cnp,nume,coloana mea\n", aliases=PARTICIPANT_ALIASES)
        assert str(table.not_imported[0]) == (
            "csv: coloana „coloana mea” nu se importă: niciun câmp nu are acest nume")


def test_a_workbook_sheet_reports_its_unknown_columns(app, tmp_path):
    project = ProjectFactory(code="SMIS-8")
    db.session.commit()

    def extra_column(sheets):
        sheets["courses"][0].append("Observații")
        sheets["courses"][1].append("de revăzut")

    path = build(tmp_path / "extra.xlsx", extra_column)
    report = run_import(db.session, "workbook", path.read_bytes(), project, user_id=None)
    assert report.written, report.errors
    assert [(c.sheet, c.column) for c in report.not_imported] == [("courses", "Observații")]
