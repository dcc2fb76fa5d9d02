"""The indicator table against hand-built boundaries and a plain-Python reference."""
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import (
    AttendanceMarkFactory,
    EnrollmentFactory,
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    TrainingSessionFactory,
)
from trainhub.core.identifiers import age_on
from trainhub.extensions import db
from trainhub.indicators.services import INDICATORS, compute, members_behind, not_counted

PERIOD = (date(2026, 1, 1), date(2026, 6, 30))


def member(project, *, entry: date | None, sex="M", birth=date(1980, 5, 17), status="employed",
           isced=3, eligibility="eligible", completed_exit: date | None = None, enterprise=None,
           **person):
    """A member who attended (present) one session on `entry`; optionally completed after
    attending a last session on `completed_exit`."""
    participant = ParticipantFactory(sex=sex, birth=birth, employment_status=status, isced=isced,
                                     enterprise=enterprise or EnterpriseFactory(), **person)
    membership = MembershipFactory(project=project, participant=participant,
                                   eligibility_status=eligibility)
    if entry:
        enrollment = EnrollmentFactory(membership=membership, cohort__project=project,
                                       enrolled_on=entry)
        AttendanceMarkFactory(enrollment=enrollment, status="present", session=TrainingSessionFactory(
            cohort=enrollment.cohort, date=entry))
        if completed_exit:  # the last session attended is the exit (DESIGN §15)
            AttendanceMarkFactory(enrollment=enrollment, status="present", session=(
                TrainingSessionFactory(cohort=enrollment.cohort, date=completed_exit)))
            enrollment.status = "completed"
    db.session.commit()
    return membership


@pytest.fixture
def project(app):
    return ProjectFactory()


def table(project, period=PERIOD):
    return compute(db.session, project, *period)


@pytest.mark.parametrize(("birth", "entry", "co07", "age55_64", "co06"), [
    (date(1972, 3, 2), date(2026, 3, 2), 0, 0, 0),    # 54 on the day before... 54 exactly
    (date(1971, 3, 2), date(2026, 3, 2), 1, 1, 0),    # 55 on the entry day (birthday)
    (date(1971, 3, 3), date(2026, 3, 2), 0, 0, 0),    # 55 tomorrow
    (date(1961, 3, 3), date(2026, 3, 2), 1, 1, 0),    # still 64
    (date(1961, 3, 2), date(2026, 3, 2), 1, 0, 0),    # 65 on the entry day
    (date(2001, 3, 3), date(2026, 3, 2), 0, 0, 1),    # 24
    (date(1968, 2, 29), date(2023, 2, 28), 0, 0, 0),  # leap-day birth: 54 on 28 Feb 2023
    (date(1968, 2, 29), date(2023, 3, 1), 1, 1, 0),   # …55 on 1 March
])
def test_age_at_entry_boundaries(project, birth, entry, co07, age55_64, co06):
    member(project, entry=entry, birth=birth)
    values = table(project, (date(2020, 1, 1), date(2030, 1, 1)))
    assert (values["CO07"]["total"], values["AGE55_64"]["total"], values["CO06"]["total"]) == (
        co07, age55_64, co06)


def test_entry_on_the_first_and_last_day_counts_the_day_after_does_not(project):
    member(project, entry=PERIOD[0], sex="F")
    member(project, entry=PERIOD[1])
    member(project, entry=date(2026, 7, 1))
    assert table(project)["TOTAL"] == {"men": 1, "women": 1, "total": 2}


def test_marks_only_excused_or_absent_make_no_participant(project):
    membership = member(project, entry=None)
    enrollment = EnrollmentFactory(membership=membership, cohort__project=project)
    for status in ("excused", "absent"):
        AttendanceMarkFactory(enrollment=enrollment, status=status, hours=0,
                              session=TrainingSessionFactory(cohort=enrollment.cohort))
    db.session.commit()
    assert table(project)["TOTAL"]["total"] == 0 and not not_counted(db.session, project, *PERIOD)


def test_ineligible_and_incomplete_people_are_listed_with_reasons(project):
    member(project, entry=date(2026, 2, 1), eligibility="pending")
    member(project, entry=date(2026, 2, 1), isced=None, status=None)
    assert table(project)["TOTAL"]["total"] == 0
    reasons = [row["reasons"] for row in not_counted(db.session, project, *PERIOD)]
    assert sorted(reasons) == [["eligibility is pending"],
                               ["employment status missing", "education level (ISCED) missing"]]


def test_status_education_and_vulnerability_rows(project):
    member(project, entry=date(2026, 2, 1), status="long_term_unemployed", isced=2, sex="F",
           environment="rural", disability=True, minority_or_migrant=True)
    member(project, entry=date(2026, 2, 1), status="self_employed", isced=6)
    member(project, entry=date(2026, 2, 1), status="inactive", isced=4, environment=None)
    values = table(project)
    assert {code: values[code]["total"] for code in (
        "CO01", "CO02", "CO03", "CO05", "CO09", "CO10", "CO11", "CO15", "CO16", "CO19")} == {
        "CO01": 1, "CO02": 1, "CO03": 1, "CO05": 1, "CO09": 1, "CO10": 1, "CO11": 1,
        "CO15": 1, "CO16": 1, "CO19": 1}
    assert values["CO01"] == {"men": 0, "women": 1, "total": 1}


def test_cr03_counts_qualifications_by_exit_date(project):
    member(project, entry=date(2026, 5, 1), completed_exit=date(2026, 7, 15))
    assert table(project)["CR03"]["total"] == 0  # exit falls in the next period
    assert table(project, (date(2026, 7, 1), date(2026, 12, 31)))["CR03"]["total"] == 1


def test_co23_counts_an_employer_once_in_the_period_of_its_first_entry(project):
    firm = EnterpriseFactory()
    member(project, entry=date(2025, 12, 20), enterprise=firm)
    member(project, entry=date(2026, 2, 1), enterprise=firm)
    other = EnterpriseFactory()
    member(project, entry=date(2026, 2, 1), enterprise=other)
    member(project, entry=date(2026, 3, 1), enterprise=other)
    assert table(project)["CO23"] == {"men": None, "women": None, "total": 1}
    assert len(members_behind(db.session, project, *PERIOD, "CO23")) == 2


def test_a_person_in_two_projects_counts_in_each(project):
    first = member(project, entry=date(2026, 2, 1))
    second_project = ProjectFactory()
    MembershipFactory(project=second_project, participant=first.participant)
    db.session.commit()
    assert table(project)["TOTAL"]["total"] == 1
    assert table(second_project)["TOTAL"]["total"] == 0  # no attendance in that project


def reference(project, start, end) -> dict[str, dict]:
    """The same table computed the plain way, person by person, in Python."""
    result = {i.code: {"men": 0, "women": 0, "total": 0} for i in INDICATORS}
    first_entry: dict[int, date] = {}
    for m in project_memberships(project):
        p = m.participant
        if not (m.eligibility_status == "eligible" and m.entry_date and p.employment_status
                and p.isced is not None):
            continue
        if p.enterprise_id:
            first_entry[p.enterprise_id] = min(first_entry.get(p.enterprise_id, m.entry_date),
                                               m.entry_date)
        age = age_on(p.birth_date, m.entry_date)
        tests = {
            "TOTAL": True, "CO01": p.employment_status in ("unemployed", "long_term_unemployed"),
            "CO02": p.employment_status == "long_term_unemployed",
            "CO03": p.employment_status == "inactive",
            "CO05": p.employment_status in ("employed", "self_employed"), "CO06": age < 25,
            "CO07": age > 54, "AGE55_64": 55 <= age <= 64, "CO09": p.isced in (1, 2),
            "CO10": p.isced in (3, 4), "CO11": 5 <= p.isced <= 8,
            "CO15": p.minority_or_migrant is True, "CO16": p.disability is True,
            "CO19": p.environment == "rural",
        }
        key = "women" if p.sex == "F" else "men"
        if start <= m.entry_date <= end:
            for code, passed in tests.items():
                if passed:
                    result[code][key] += 1
                    result[code]["total"] += 1
        completed = any(e.status == "completed" for e in m.enrollments)
        if m.exit_date and start <= m.exit_date <= end and completed:
            result["CR03"][key] += 1
            result["CR03"]["total"] += 1
    result["CO23"] = {"men": None, "women": None,
                      "total": sum(start <= day <= end for day in first_entry.values())}
    return result


def project_memberships(project):
    from sqlalchemy import select

    from trainhub.participants.models import Membership

    return db.session.scalars(select(Membership).where(Membership.project_id == project.id)).all()


people = st.lists(st.fixed_dictionaries({
    "sex": st.sampled_from("MF"),
    "birth": st.dates(date(1950, 1, 1), date(2005, 12, 31)),
    "entry": st.one_of(st.none(), st.dates(date(2025, 10, 1), date(2026, 9, 30))),
    "status": st.sampled_from(["employed", "self_employed", "unemployed", "long_term_unemployed",
                               "inactive", None]),
    "isced": st.one_of(st.none(), st.integers(0, 8)),
    "eligibility": st.sampled_from(["eligible", "eligible", "pending", "ineligible"]),
    "environment": st.sampled_from(["urban", "rural", None]),
    "completed": st.booleans(),
    "employer": st.integers(0, 3),
}), max_size=8)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=people)
def test_sql_matches_the_python_reference(app, rows):
    from tests.conftest import _empty_database

    _empty_database()
    project = ProjectFactory()
    firms = [EnterpriseFactory() for _ in range(4)]
    for row in rows:
        member(project, entry=row["entry"], sex=row["sex"], birth=row["birth"],
               status=row["status"], isced=row["isced"], eligibility=row["eligibility"],
               environment=row["environment"], enterprise=firms[row["employer"]],
               completed_exit=date(2026, 10, 5) if row["completed"] and row["entry"] else None)
    for period in (PERIOD, (date(2026, 7, 1), date(2026, 12, 31))):
        assert compute(db.session, project, *period) == reference(project, *period)
