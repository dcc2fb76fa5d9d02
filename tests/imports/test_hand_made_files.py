"""Files made by hand by Romanian project assistants import with zero edits (DESIGN §13).

Every test imports through the CLI and reads back the STORED values, not counts.
"""
import copy
from datetime import date, time
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import (
    CallFactory,
    CohortFactory,
    EnrollmentFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    TrainingSessionFactory,
)
from tests.imports.hand_made import FIRMS, firms_xlsx, people, register_xlsx, sign_in_csv
from trainhub.attendance.models import AttendanceMark
from trainhub.demo import DEFAULT_RULES
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.participants.models import Participant

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here

RATE_2024 = Decimal("4.9746")


@pytest.fixture
def project(app):
    call = CallFactory(code="POCU/3.12", rules=copy.deepcopy(DEFAULT_RULES))
    project = ProjectFactory(call=call, code="SMIS-130512", regions=["RO11", "RO12", "RO31"])
    db.session.commit()
    return project


def run(runner, tmp_path, kind: str, content: bytes, name: str, *extra: str):
    path = tmp_path / name
    path.write_bytes(content)
    result = runner.invoke(args=["import", kind, str(path), "--project", "SMIS-130512", *extra])
    db.session.expire_all()
    return result


def test_a_firms_list_imports_as_typed_with_lei_converted_at_the_years_rate(runner, tmp_path,
                                                                           project):
    result = run(runner, tmp_path, "enterprises", firms_xlsx(), "firme.xlsx",
                 "--fiscal-year", "2024")
    assert result.exit_code == 0, result.output
    stored = {e.cui: e for e in db.session.scalars(select(Enterprise))}
    assert sorted(stored) == sorted(firm.cui for firm in FIRMS)
    for firm in FIRMS:
        enterprise = stored[firm.cui]
        assert (enterprise.name, enterprise.caen, enterprise.county, enterprise.employees) == (
            firm.name, firm.caen, firm.county, firm.employees)
        assert enterprise.turnover_eur == (Decimal(firm.turnover_lei) / RATE_2024).quantize(
            Decimal("0.01"))
    assert stored[FIRMS[0].cui].turnover_eur == Decimal("251276.59")
    assert "4.9746 lei/EUR, the average rate of 2024" in result.output
    assert "1 skipped" in result.output  # the TOTAL row
    assert "column 'Observații' is not imported" in result.output.replace("“", "'").replace(
        "”", "'")


def test_the_fiscal_year_defaults_to_the_year_before_and_a_missing_rate_is_a_clear_refusal(
        runner, tmp_path, project):
    from trainhub.enterprises.services import default_fiscal_year

    assert default_fiscal_year(date(2025, 3, 1)) == 2024
    result = run(runner, tmp_path, "enterprises", firms_xlsx(), "firme.xlsx",
                 "--fiscal-year", "2013")
    assert result.exit_code == 1
    assert "no EUR/RON rate is recorded for 2013" in result.output
    assert db.session.scalars(select(Enterprise)).all() == []
    assert runner.invoke(args=["rates", "set", "2013", "4,4190"]).exit_code == 0
    result = run(runner, tmp_path, "enterprises", firms_xlsx(), "firme.xlsx",
                 "--fiscal-year", "2013")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Enterprise.turnover_eur).where(
        Enterprise.cui == FIRMS[1].cui)) == (Decimal(2487300) / Decimal("4.419")).quantize(
        Decimal("0.01"))
    assert "2013 4.4190" in runner.invoke(args=["rates", "list"]).output
    refused = runner.invoke(args=["rates", "set", "--", "2013", "-3"])
    assert refused.exit_code == 1 and "not a plausible number of lei" in refused.output


def test_a_target_group_register_imports_with_every_value_right(runner, tmp_path, project):
    assert run(runner, tmp_path, "enterprises", firms_xlsx(), "firme.xlsx",
               "--fiscal-year", "2024").exit_code == 0
    persons = people(30)
    result = run(runner, tmp_path, "participants", register_xlsx(persons), "registru.xlsx")
    assert result.exit_code == 0, result.output
    assert "31 rows: 30 new, 0 updated, 0 unchanged, 1 skipped, 0 with errors" in result.output
    assert "'Vârsta' is not imported: it is derived from the CNP" in result.output.replace(
        "“", "'").replace("”", "'")
    assert "'Nr. crt.' is not imported" in result.output.replace("“", "'").replace("”", "'")
    employers = {e.cui: e.id for e in db.session.scalars(select(Enterprise))}
    stored = {p.cnp: p for p in db.session.scalars(select(Participant))}
    assert len(stored) == 30
    for person in persons:
        row = stored[person.cnp]
        assert (row.last_name, row.first_name, row.sex, row.birth_date) == (
            person.last_name, person.first_name, person.sex, person.birth)
        assert (row.environment, row.isced, row.employment_status) == (
            person.environment, person.isced, person.status)
        assert (row.county, row.email, row.enterprise_id) == (
            person.county, person.email_cell.lower(), employers[person.employer])


def test_a_sex_or_birth_date_that_contradicts_the_cnp_is_a_row_error_naming_both(
        runner, tmp_path, project):
    run(runner, tmp_path, "enterprises", firms_xlsx(), "firme.xlsx", "--fiscal-year", "2024")
    persons = people(2)
    wrong = [persons[0].__class__(**{**persons[0].__dict__, "sex": "F"}),
             persons[1].__class__(**{**persons[1].__dict__, "birth": date(1999, 9, 9)})]
    result = run(runner, tmp_path, "participants", register_xlsx(wrong), "registru.xlsx")
    assert result.exit_code == 1
    assert (f"Grup tinta:4: sex: 'F' does not match the CNP {persons[0].cnp}, which says M"
            in result.output)
    assert (f"Grup tinta:5: birth_date: '09.09.1999' does not match the CNP {persons[1].cnp},"
            f" which says {persons[1].birth:%d.%m.%Y}" in result.output)
    assert db.session.scalars(select(Participant)).all() == []


@pytest.fixture
def sign_in_world(project):
    cohort = CohortFactory(project=project, code="G-CNC-1")
    session = TrainingSessionFactory(cohort=cohort, date=date(2026, 3, 3), start_time=time(16),
                                     end_time=time(20), hours=Decimal(4))
    people_ = [ParticipantFactory() for _ in range(5)]
    for person in people_:
        EnrollmentFactory(cohort=cohort, enrolled_on=date(2026, 3, 1),
                          membership=MembershipFactory(project=project, participant=person))
    db.session.commit()
    return session, [person.cnp for person in people_]


def test_a_sign_in_list_saved_by_romanian_excel_imports_every_mark(runner, tmp_path,
                                                                    sign_in_world):
    session, cnps = sign_in_world
    content = sign_in_csv("G-CNC-1", date(2026, 3, 3), [
        (cnps[0], "DA", "4", ""),
        (cnps[1], "DA", "2,5", "a plecat la 18:30"),
        (cnps[2], "NU", "", "motivat - concediu medical"),
        (cnps[3], "motivat - concediu medical", "", ""),
        (cnps[4], "NU", "", ""),
    ])
    result = run(runner, tmp_path, "attendance", content, "prezenta.csv")
    assert result.exit_code == 0, result.output
    marks = {m.enrollment.membership.participant.cnp: (m.status, m.hours)
             for m in db.session.scalars(select(AttendanceMark))}
    assert marks == {cnps[0]: ("present", Decimal(4)), cnps[1]: ("present", Decimal("2.5")),
                     cnps[2]: ("excused", Decimal(0)), cnps[3]: ("excused", Decimal(0)),
                     cnps[4]: ("absent", Decimal(0))}
    assert "1 skipped" in result.output


def test_own_format_files_import_as_before(runner, tmp_path, project):
    from tests.factories import valid_cnp, valid_cui

    firms = ("cui,name,caen,county,employees,turnover_eur,balance_eur\n"
             f"{valid_cui(1)},Firma Test SRL,6201,Cluj,12,900000.50,1.250\n").encode()
    assert run(runner, tmp_path, "enterprises", firms, "e.csv").exit_code == 0
    cnp = valid_cnp("F", date(1970, 2, 3))
    people_csv = ("cnp,last_name,first_name,enterprise_cui,county,environment,isced,"
                  "employment_status,disability\n"
                  f"{cnp},Ionescu,Maria,{valid_cui(1)},RO-CJ,urban,3,long_term_unemployed,no\n"
                  ).encode()
    result = run(runner, tmp_path, "participants", people_csv, "p.csv")
    assert result.exit_code == 0, result.output
    assert "not imported" not in result.output
    enterprise = db.session.scalar(select(Enterprise))
    assert (enterprise.turnover_eur, enterprise.balance_eur) == (Decimal("900000.50"),
                                                                Decimal("1250.00"))
    person = db.session.scalar(select(Participant))
    assert (person.county, person.isced, person.employment_status, person.disability) == (
        "RO-CJ", 3, "long_term_unemployed", False)


def test_the_web_preview_lists_columns_not_imported_skipped_rows_and_the_rate(app, client, auth,
                                                                              project):
    import io

    from tests.factories import UserFactory

    coordinator = UserFactory(role="coordinator", locale="ro")
    db.session.commit()
    auth.login(coordinator.email)
    response = auth.post("/imports/", {"kind": "enterprises", "project_id": str(project.id),
                                       "fiscal_year": "2024",
                                       "file": (io.BytesIO(firms_xlsx()), "firme.xlsx")},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    preview = client.get(response.location).get_data(as_text=True)
    assert "Coloane care nu se importă" in preview
    assert "Firme: coloana „Observații” nu se importă" in preview
    assert "1 rând de total a fost lăsat deoparte." in preview
    assert "la 4.9746 lei pentru un euro, cursul mediu al anului 2024" in preview
    assert db.session.scalars(select(Enterprise)).all() == []
    assert auth.post(response.location + "/confirm").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Enterprise.turnover_eur).where(
        Enterprise.cui == FIRMS[0].cui)) == Decimal("251276.59")
