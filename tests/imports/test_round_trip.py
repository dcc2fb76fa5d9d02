"""DESIGN §13 "Round trip": importing a file twice, or re-importing an export, changes nothing."""
import copy
import csv
import io
from datetime import date

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.conftest import _empty_database
from tests.factories import CallFactory, ProjectFactory, valid_cnp, valid_cui
from trainhub.demo import DEFAULT_RULES
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.imports.importers import run_import
from trainhub.participants.models import Membership, Participant
from trainhub.participants.register import register_workbook

FIRM_COLUMNS = ["cui", "name", "caen", "county", "locality", "employees", "turnover_eur",
                "balance_eur", "contact_name", "contact_email"]
PERSON_COLUMNS = ["cnp", "last_name", "first_name", "email", "phone", "enterprise_cui",
                  "job_title", "county", "environment", "isced", "employment_status",
                  "disability", "minority_or_migrant"]
TODAY = date(2026, 3, 15)

words = st.from_regex(r"[A-Za-zĂÂÎȘȚăâîșț]{1,8}( [A-Za-zăâîșț]{1,8})?", fullmatch=True)
maybe = lambda strategy: st.none() | strategy  # noqa: E731


@st.composite
def firms(draw) -> list[dict]:
    numbers = draw(st.lists(st.integers(1, 400), min_size=1, max_size=3, unique=True))
    return [{
        "cui": valid_cui(n), "name": draw(words), "caen": draw(st.sampled_from(["6201", "0111", "2562"])),
        "county": draw(st.sampled_from(["Cluj", "RO-BV", "Brașov", "B", "Timiș"])),
        "locality": draw(maybe(words)), "employees": draw(maybe(st.integers(0, 249))),
        "turnover_eur": draw(maybe(st.decimals(0, 10**9, places=2))),
        "balance_eur": draw(maybe(st.decimals(0, 10**9, places=2))),
        "contact_name": draw(maybe(words)),
        "contact_email": draw(maybe(st.sampled_from(["ana@firma.ro", "office@x.com"]))),
    } for n in numbers]


@st.composite
def people(draw, cuis: list[str]) -> list[dict]:
    births = draw(st.lists(st.dates(date(1955, 1, 1), date(2005, 12, 31)), min_size=1,
                           max_size=5, unique=True))
    yes_no = maybe(st.sampled_from(["yes", "no", "da", "nu"]))
    return [{
        "cnp": valid_cnp(draw(st.sampled_from("MF")), birth, draw(st.integers(1, 40))),
        "last_name": draw(words), "first_name": draw(words),
        "email": draw(maybe(st.sampled_from(["p@mail.ro", "x.y@firma.com"]))),
        "phone": draw(maybe(st.from_regex(r"07[0-9]{8}", fullmatch=True))),
        "enterprise_cui": draw(maybe(st.sampled_from(cuis))), "job_title": draw(maybe(words)),
        "county": draw(maybe(st.sampled_from(["Cluj", "CJ", "Brasov", "RO-B"]))),
        "environment": draw(maybe(st.sampled_from(["urban", "rural"]))),
        "isced": draw(maybe(st.integers(0, 8))),
        "employment_status": draw(maybe(st.sampled_from(["employed", "self_employed", "angajat"]))),
        "disability": draw(yes_no), "minority_or_migrant": draw(yes_no),
    } for birth in births]


def as_csv(columns: list[str], rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[name] is None else row[name] for name in columns])
    return out.getvalue().encode()


def snapshot() -> tuple:
    """Every stored value of enterprises, people and memberships."""
    db.session.expire_all()

    def columns(model):
        return [c.key for c in model.__table__.columns if c.key not in ("created_at", "updated_at")]

    return tuple(
        sorted(tuple(str(getattr(obj, name)) for name in columns(model))
               for obj in db.session.scalars(select(model)))
        for model in (Enterprise, Participant, Membership))


def fresh_project():
    _empty_database()
    call = CallFactory(code="POCU/3.12", rules=copy.deepcopy(DEFAULT_RULES))
    project = ProjectFactory(call=call, code="SMIS-RT", regions=["RO11", "RO12"])
    db.session.commit()
    return project


def imported(kind: str, content: bytes, project, **options):
    report = run_import(db.session, kind, content, project, user_id=None, **options)
    assert report.ok and report.written, [str(e) for e in report.errors]
    return report


def all_unchanged(report) -> bool:
    return (report.created, report.updated, report.unchanged) == (0, 0, report.rows)


@settings(max_examples=25, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_importing_twice_and_reimporting_the_register_change_nothing(app, data):
    project = fresh_project()
    companies = data.draw(firms())
    persons = data.draw(people([firm["cui"] for firm in companies]))
    firm_file, people_file = as_csv(FIRM_COLUMNS, companies), as_csv(PERSON_COLUMNS, persons)
    imported("enterprises", firm_file, project)
    imported("participants", people_file, project)
    stored = snapshot()

    assert all_unchanged(imported("enterprises", firm_file, project))
    assert all_unchanged(imported("participants", people_file, project))
    assert snapshot() == stored

    for special_categories in (True, False):
        register = register_workbook(db.session, project, full_cnp=True, today=TODAY,
                                     special_categories=special_categories).getvalue()
        assert all_unchanged(imported("participants", register, project))
        assert snapshot() == stored


@pytest.fixture
def project(app):
    return fresh_project()


def test_the_register_names_each_column_once(project):
    from openpyxl import load_workbook

    firm = {"cui": valid_cui(3), "name": "Firma", "caen": "6201", "county": "Cluj",
            **dict.fromkeys(FIRM_COLUMNS[4:])}
    imported("enterprises", as_csv(FIRM_COLUMNS, [firm]), project)
    person = dict.fromkeys(PERSON_COLUMNS) | {"cnp": valid_cnp(), "last_name": "Pop",
                                              "first_name": "Ana", "isced": 3}
    imported("participants", as_csv(PERSON_COLUMNS, [person]), project)
    sheet = load_workbook(register_workbook(db.session, project, full_cnp=True, today=TODAY)).active
    rows = [[value for value in row if value is not None] for row in sheet.values]
    # the identity lines come first (one cell each), then a blank row and the header row
    assert rows[0][0].startswith("Uniunea Europeană") and f"Cod SMIS: {project.code}" in rows[1][0]
    header = next(row for row in rows if len(row) > 1)
    assert len(header) == len(set(header)) and "cnp" in [str(name).lower() for name in header]
    stored = db.session.scalar(select(Participant))
    assert (stored.disability, stored.isced) == (None, 3)
    assert all_unchanged(imported("participants", register_workbook(
        db.session, project, full_cnp=True, today=TODAY).getvalue(), project))
    db.session.expire_all()
    assert db.session.scalar(select(Participant)).disability is None
