"""The register's rows, read as plain columns in one query, show what the objects hold."""
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from tests.factories import MembershipFactory, ProjectFactory, valid_cnp
from trainhub.core.identifiers import mask_cnp, mask_cnps_in
from trainhub.extensions import db
from trainhub.participants.register import FLAGS, SPECIAL_COLUMNS, register_rows

TODAY = date(2026, 6, 1)


def _yes_no(value) -> str:
    return "" if value is None else ("yes" if value else "no")


def _expected(membership, *, full_cnp: bool) -> list:
    """The row as the objects show it (what the register wrote when it loaded them)."""
    person, employer = membership.participant, membership.participant.enterprise
    flags = person.flags(TODAY)
    failed = "; ".join(f"{r['code']}: {r.get('message_en') or r.get('message', '')}"
                       for r in membership.reasons if not r.get("passed", False))
    return [
        membership.project.code, person.cnp if full_cnp else mask_cnp(person.cnp),
        person.last_name, person.first_name, person.sex, person.birth_date,
        person.age_on(TODAY), person.county or "", person.environment or "", person.isced,
        person.employment_status or "", _yes_no(person.disability),
        _yes_no(person.minority_or_migrant), person.email, person.phone, person.job_title,
        *([employer.cui, employer.name, employer.county, employer.nuts2, employer.size_class]
          if employer else [""] * 5),
        *[_yes_no(flags[name]) for name in FLAGS],
        membership.eligibility_status, _yes_no(membership.decision_stale),
        membership.decided_at.replace(tzinfo=None) if membership.decided_at else None,
        failed if full_cnp else mask_cnps_in(failed),
        membership.entry_date, membership.exit_date, membership.exit_reason,
    ]


@pytest.fixture
def members(app):
    project = ProjectFactory(code="SMIS-9")
    other_cnp = valid_cnp("F", date(1970, 2, 3))
    made = [
        MembershipFactory(project=project, participant__last_name="Ana", participant__sex="F",
                          participant__birth=date(1966, 6, 2), participant__environment="rural",
                          participant__isced=1, participant__disability=True,
                          participant__minority_or_migrant=None, participant__email="a@b.ro",
                          eligibility_status="ineligible", decision_stale=True,
                          decided_at=datetime(2026, 3, 29, 23, 30, tzinfo=UTC),
                          reasons=[{"code": "age", "passed": True, "message": "ok"},
                                   {"code": "double", "passed": False,
                                    "message": f"also in a project as {other_cnp}"},
                                   {"code": "size", "message_en": "not an SME"}],
                          entry_date=date(2026, 2, 1), exit_date=date(2026, 3, 1),
                          exit_reason="left"),
        MembershipFactory(project=project, participant__last_name="Bob",
                          participant__enterprise=None, participant__environment=None,
                          participant__isced=None, participant__employment_status=None,
                          participant__county=None, participant__disability=None,
                          participant__job_title="=1+1",
                          decided_at=datetime(2026, 1, 2, 9, 0,
                                              tzinfo=timezone(timedelta(hours=2)))),
        MembershipFactory(project=project, participant__last_name="Bob",
                          participant__first_name="Aurel", participant__birth=date(1961, 5, 31)),
    ]
    MembershipFactory(participant=made[0].participant)  # the same person in another project
    db.session.commit()
    db.session.expire_all()
    return project, made, other_cnp


@pytest.mark.parametrize("full_cnp", [True, False])
def test_each_row_shows_what_the_person_employer_and_membership_hold(members, full_cnp):
    project, made, other_cnp = members
    header, *rows = register_rows(db.session, project, full_cnp=full_cnp, today=TODAY)
    ordered = sorted(made, key=lambda m: (m.participant.last_name, m.participant.first_name, m.id))
    assert rows == [_expected(membership, full_cnp=full_cnp) for membership in ordered]
    assert len(header) == len(rows[0]) == 34
    ana = dict(zip(header, rows[0], strict=True))
    assert (ana["flag_age_55_64"], ana["flag_woman"], ana["flag_rural"], ana["flag_isced_low"],
            ana["flag_disability"], ana["minority_or_migrant"]) == ("yes", "yes", "yes", "yes",
                                                                    "yes", "")
    assert ana["reasons"].startswith("double: also in a project as ")
    assert ana["reasons"].endswith("; size: not an SME")
    assert (other_cnp in ana["reasons"]) is full_cnp


def test_without_special_categories_those_columns_are_left_out(members):
    project, _made, _cnp = members
    full = list(register_rows(db.session, project, full_cnp=False, today=TODAY))
    rows = list(register_rows(db.session, project, full_cnp=False, today=TODAY,
                              special_categories=False))
    kept = [index for index, name in enumerate(full[0]) if name not in SPECIAL_COLUMNS]
    assert len(kept) == len(full[0]) - 4
    assert [list(row) for row in rows] == [[row[index] for index in kept] for row in full]


def test_the_rows_are_read_in_one_query_whatever_the_size(members, count_queries):
    project, _made, _cnp = members
    with count_queries() as few:
        list(register_rows(db.session, project, full_cnp=False, today=TODAY))
    for _ in range(5):
        MembershipFactory(project=project)
    db.session.commit()
    db.session.expire_all()
    with count_queries() as more:
        rows = list(register_rows(db.session, project, full_cnp=False, today=TODAY))
    assert len(rows) == 1 + 8 and more.count == few.count
