"""The indicator table of a whole call: each person counted once, one table per project."""
import csv
import io
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select

from tests.factories import (
    AttendanceMarkFactory,
    CallFactory,
    EnrollmentFactory,
    EnterpriseFactory,
    MembershipFactory,
    ProjectFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.indicators.test_computation import member
from trainhub.audit.models import AuditEvent
from trainhub.extensions import db
from trainhub.indicators.services import INDICATORS, compute, compute_by_project, compute_call
from trainhub.programme.models import ProjectTarget

SPAN = (date(2026, 1, 1), date(2027, 12, 31))


def also_in(project, membership, *, entry: date, completed_exit: date | None = None):
    """The person of `membership` joins `project` too, entering on `entry`."""
    second = MembershipFactory(project=project, participant=membership.participant)
    enrollment = EnrollmentFactory(membership=second, cohort__project=project, enrolled_on=entry)
    AttendanceMarkFactory(enrollment=enrollment, status="present",
                          session=TrainingSessionFactory(cohort=enrollment.cohort, date=entry))
    if completed_exit:
        AttendanceMarkFactory(enrollment=enrollment, status="present", session=(
            TrainingSessionFactory(cohort=enrollment.cohort, date=completed_exit)))
        enrollment.status = "completed"
    db.session.commit()
    return second


@pytest.fixture
def call(app):
    return CallFactory()


def test_a_person_in_two_projects_of_the_call_is_counted_once(call):
    first, second = ProjectFactory(call=call), ProjectFactory(call=call)
    shared = member(first, entry=date(2026, 2, 1), sex="F")
    also_in(second, shared, entry=date(2026, 5, 1))
    member(first, entry=date(2026, 3, 1))
    member(second, entry=date(2026, 3, 1), sex="F")
    ids = [first.id, second.id]
    whole = compute_call(db.session, ids, *SPAN)
    by_project = compute_by_project(db.session, ids, *SPAN)
    assert whole["TOTAL"] == {"men": 1, "women": 2, "total": 3}
    assert [by_project[i]["TOTAL"]["total"] for i in ids] == [2, 2]
    # the projects add up to the call, but for the one person counted in both
    assert sum(by_project[i]["TOTAL"]["total"] for i in ids) - 1 == whole["TOTAL"]["total"]
    assert whole["CO23"]["total"] == 3  # three employers


def test_the_call_table_leaves_out_other_calls_and_the_uncounted(call):
    project = ProjectFactory(call=call)
    elsewhere = ProjectFactory()  # another call
    person = member(project, entry=date(2026, 2, 1))
    also_in(elsewhere, person, entry=date(2026, 3, 1))
    member(elsewhere, entry=date(2026, 3, 1))
    member(project, entry=date(2026, 3, 1), eligibility="pending")
    assert compute_call(db.session, [project.id], *SPAN)["TOTAL"]["total"] == 1


def test_a_shared_person_enters_the_call_on_their_first_entry_at_that_age(call):
    first, second = ProjectFactory(call=call), ProjectFactory(call=call)
    # 54 at the first entry, 55 at the second: not above 54 for the call
    shared = member(second, entry=date(2026, 2, 1), birth=date(1971, 6, 1))
    also_in(first, shared, entry=date(2026, 7, 1))
    whole = compute_call(db.session, [first.id, second.id], *SPAN)
    assert whole["CO07"]["total"] == whole["AGE55_64"]["total"] == 0
    assert compute(db.session, first, *SPAN)["CO07"]["total"] == 1
    # the period of the call's table takes the first entry: July alone has nobody new
    later = compute_call(db.session, [first.id, second.id], date(2026, 7, 1), date(2026, 7, 31))
    assert later["TOTAL"]["total"] == 0


def test_a_shared_person_qualifies_once_on_their_final_exit(call):
    first, second = ProjectFactory(call=call), ProjectFactory(call=call)
    shared = member(first, entry=date(2026, 2, 1), completed_exit=date(2026, 3, 1))
    ids = [first.id, second.id]
    assert compute_call(db.session, ids, *SPAN)["CR03"]["total"] == 1
    also_in(second, shared, entry=date(2026, 5, 1), completed_exit=date(2026, 6, 1))
    assert compute_call(db.session, ids, *SPAN)["CR03"]["total"] == 1
    # the final exit is in June: March alone sees no one leave the call
    march = compute_call(db.session, ids, date(2026, 3, 1), date(2026, 3, 31))
    assert march["CR03"]["total"] == 0
    june = compute_call(db.session, ids, date(2026, 6, 1), date(2026, 6, 30))
    assert june["CR03"]["total"] == 1


def test_each_project_row_is_that_projects_own_table(call):
    projects = [ProjectFactory(call=call) for _ in range(3)]
    member(projects[0], entry=date(2026, 2, 1), sex="F", birth=date(1965, 1, 1), isced=6,
           status="self_employed", environment="rural")
    member(projects[0], entry=date(2026, 4, 1), completed_exit=date(2026, 5, 1), disability=True)
    member(projects[1], entry=date(2026, 2, 1), birth=date(2004, 1, 1), isced=2,
           minority_or_migrant=True)
    by_project = compute_by_project(db.session, [p.id for p in projects], *SPAN)
    for project in projects:
        assert by_project[project.id] == compute(db.session, project, *SPAN)
    assert by_project[projects[2].id]["TOTAL"]["total"] == 0
    assert set(by_project[projects[2].id]) == {i.code for i in INDICATORS}


def test_an_empty_call_has_a_table_of_zeros(call):
    whole = compute_call(db.session, [], *SPAN)
    assert all(whole[i.code]["total"] == 0 for i in INDICATORS)
    assert compute_by_project(db.session, [], *SPAN) == {}


# --- the pages --------------------------------------------------------------------------

def _call_world(call, n_projects: int = 2, prefix: str = "SMIS-C"):
    """`n_projects` projects of the call with two people each, one person in the first two."""
    projects = [ProjectFactory(call=call, code=f"{prefix}{i}", start_date=date(2026, 1, 1),
                               end_date=date(2026, 12, 31)) for i in range(n_projects)]
    for i, project in enumerate(projects):
        db.session.add(ProjectTarget(project=project, indicator_code="TOTAL", value=10 + i))
        db.session.add(ProjectTarget(project=project, indicator_code="WOMEN", value=5))
        first = member(project, entry=date(2026, 2, 1 + i % 27), sex="F")
        member(project, entry=date(2026, 3, 1), birth=date(1966, 1, 1))
        if i == 0:
            also_in(projects[1], first, entry=date(2026, 4, 1))
    db.session.commit()
    return projects


def login(auth, role: str, **fields):
    user = UserFactory(role=role, **fields)
    db.session.commit()
    assert auth.login(user.email).status_code == 302
    return user


def _page(client, call, **args):
    response = client.get(f"/indicators/calls/{call.id}", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _cells(html: str) -> dict:
    """{(scope, code): total} as the page shows it (the call's scope is "call")."""
    import re

    cells = {}
    call_part, _, projects_part = html.partition('data-testid="project-rows"')
    for code, total in re.findall(r'<tr data-code="(\w+)">.*?<td class="text-end fw-semibold">'
                                  r'(\d+)</td>', call_part, re.S):
        cells[("call", code)] = int(total)
    for project, row in re.findall(r'<tr data-project="([\w-]+)">(.*?)</tr>', projects_part, re.S):
        for code, total in re.findall(r'data-code="(\w+)">(\d+)', row):
            cells[(project, code)] = int(total)
    return cells


def test_the_authority_sees_the_call_once_per_person_and_every_project(call, client, auth):
    projects = _call_world(call)
    login(auth, "authority")
    cells = _cells(_page(client, call))
    assert cells[("call", "TOTAL")] == 4 and cells[("call", "WOMEN")] == 2
    assert cells[("SMIS-C0", "TOTAL")] == 2 and cells[("SMIS-C1", "TOTAL")] == 3
    assert cells[("call", "CO07")] == 2
    page = _page(client, call)
    assert "/ 10" in page and "/ 11" in page  # each project's target beside its value
    assert "add up to 5 participants" in page  # the shared person once per project
    # the period filter applies: February alone sees the two women entering
    february = _cells(_page(client, call, **{"from": "2026-02-01", "to": "2026-02-28"}))
    assert february[("call", "TOTAL")] == 2 and february[("SMIS-C1", "TOTAL")] == 1
    assert projects[0].code in page


def test_a_coordinator_sees_the_call_as_far_as_their_projects_go(call, client, auth):
    projects = _call_world(call, 3)
    login(auth, "coordinator", projects=[projects[1], projects[2]])
    page = _page(client, call)
    cells = _cells(page)
    assert "SMIS-C0" not in page
    # the person shared with SMIS-C0 counts in SMIS-C1, entering there in April
    assert cells[("call", "TOTAL")] == 5 and cells[("SMIS-C1", "TOTAL")] == 3
    listing = client.get("/indicators/calls").get_data(as_text=True)
    assert call.code in listing
    auth.logout()
    login(auth, "coordinator", projects=[ProjectFactory()])
    assert client.get(f"/indicators/calls/{call.id}").status_code == 404
    assert client.get(f"/indicators/calls/{call.id}/export").status_code == 404
    assert call.code not in client.get("/indicators/calls").get_data(as_text=True)


@pytest.mark.parametrize("role", ["trainer", "sme"])
def test_trainers_and_smes_do_not_find_the_call_view(call, client, auth, role):
    _call_world(call)
    login(auth, role, enterprise=EnterpriseFactory() if role == "sme" else None)
    for url in ("/indicators/calls", f"/indicators/calls/{call.id}",
                f"/indicators/calls/{call.id}/export"):
        assert client.get(url).status_code == 404


def test_bad_input_answers_without_a_crash(call, client, auth):
    _call_world(call)
    login(auth, "authority")
    assert client.get(f"/indicators/calls/{call.id}?from=2026-13-01").status_code == 400
    assert client.get(f"/indicators/calls/{call.id}?to=0001-01-01").status_code == 400
    assert client.get("/indicators/calls/999999").status_code == 404
    assert client.get(f"/indicators/calls/{call.id}/export?format=pdf").status_code == 404
    empty = CallFactory()
    db.session.commit()
    assert client.get(f"/indicators/calls/{empty.id}").status_code == 200


def test_the_call_page_runs_the_same_queries_for_2_and_10_projects(app, client, auth,
                                                                    page_queries):
    small, large = CallFactory(), CallFactory()
    _call_world(small, 2)
    _call_world(large, 10, prefix="SMIS-L")
    login(auth, "authority")
    assert page_queries(f"/indicators/calls/{small.id}") == page_queries(
        f"/indicators/calls/{large.id}")
    assert page_queries(f"/indicators/calls/{small.id}/export") == page_queries(
        f"/indicators/calls/{large.id}/export")
    auth.logout()
    login(auth, "coordinator", projects=list(large.projects))
    assert page_queries(f"/indicators/calls/{large.id}") == page_queries(
        f"/indicators/calls/{large.id}?from=2026-02-01")


def test_the_exports_equal_the_page(call, client, auth):
    _call_world(call)
    login(auth, "authority")
    cells = _cells(_page(client, call))
    response = client.get(f"/indicators/calls/{call.id}/export?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["scope", "code", "label", "men", "women", "total", "target"]
    exported = {("call" if scope == call.code else scope, code): int(total)
                for scope, code, _label, _men, _women, total, _target in rows[1:]}
    assert exported == cells
    assert [row[6] for row in rows[1:] if row[1] == "TOTAL"] == ["21", "10", "11"]
    workbook = load_workbook(io.BytesIO(client.get(
        f"/indicators/calls/{call.id}/export?format=xlsx").data))
    sheet_rows = [["" if v is None else str(v) for v in row]
                  for row in workbook["call"].iter_rows(values_only=True)]
    assert sheet_rows == rows
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "indicators.export_call")).all()
    assert [e.changes["format"] for e in events] == ["csv", "xlsx"]


def test_export_cells_that_look_like_formulas_are_neutralised(call, client, auth):
    _call_world(call)
    ProjectFactory(call=call, code="=HYPERLINK(1)")
    login(auth, "authority")
    text = client.get(f"/indicators/calls/{call.id}/export").get_data(as_text=True)
    assert "'=HYPERLINK(1)" in text and "\n=HYPERLINK" not in text


# --- against a plain-Python reference ---------------------------------------------------

def call_reference(projects, start, end) -> dict[str, dict]:
    """The call table computed the plain way, person by person, in Python."""
    from trainhub.core.identifiers import age_on
    from trainhub.participants.models import Membership

    ids = [project.id for project in projects]
    result = {i.code: {"men": 0, "women": 0, "total": 0} for i in INDICATORS}
    people: dict[int, list] = {}
    first_entry: dict[int, date] = {}
    for m in db.session.scalars(select(Membership).where(Membership.project_id.in_(ids))):
        p = m.participant
        if m.eligibility_status == "eligible" and m.entry_date and p.employment_status \
                and p.isced is not None:
            people.setdefault(p.id, []).append(m)
            if p.enterprise_id:
                first_entry[p.enterprise_id] = min(first_entry.get(p.enterprise_id, m.entry_date),
                                                   m.entry_date)
    for memberships in people.values():
        p = memberships[0].participant
        entry = min(m.entry_date for m in memberships)
        exits = [m.exit_date for m in memberships]
        exit_ = max(exits) if all(exits) else None
        completed = any(e.status == "completed" for m in memberships for e in m.enrollments)
        age = age_on(p.birth_date, entry)
        tests = {"TOTAL": True, "CO05": p.employment_status in ("employed", "self_employed"),
                 "CO06": age < 25, "CO07": age > 54, "AGE55_64": 55 <= age <= 64,
                 "CO01": p.employment_status in ("unemployed", "long_term_unemployed"),
                 "CO02": p.employment_status == "long_term_unemployed",
                 "CO03": p.employment_status == "inactive", "CO09": p.isced in (1, 2),
                 "CO10": p.isced in (3, 4), "CO11": 5 <= p.isced <= 8,
                 "CO15": p.minority_or_migrant is True, "CO16": p.disability is True,
                 "CO19": p.environment == "rural"}
        key = "women" if p.sex == "F" else "men"
        if start <= entry <= end:
            for code, passed in tests.items():
                if passed:
                    result[code][key] += 1
                    result[code]["total"] += 1
        if exit_ and start <= exit_ <= end and completed:
            result["CR03"][key] += 1
            result["CR03"]["total"] += 1
    result["CO23"] = {"men": None, "women": None,
                      "total": sum(start <= day <= end for day in first_entry.values())}
    return result


calls = st.lists(st.fixed_dictionaries({
    "sex": st.sampled_from("MF"),
    "birth": st.dates(date(1955, 1, 1), date(2004, 12, 31)),
    "status": st.sampled_from(["employed", "unemployed", "inactive", None]),
    "isced": st.one_of(st.none(), st.integers(0, 8)),
    "eligibility": st.sampled_from(["eligible", "eligible", "pending"]),
    "employer": st.integers(0, 2),
    # (project 0–2, entry, completed) of each membership; the first is the person's own
    "joins": st.lists(st.tuples(st.integers(0, 2),
                                st.dates(date(2026, 1, 1), date(2026, 10, 31)), st.booleans()),
                      min_size=1, max_size=3, unique_by=lambda join: join[0]),
}), max_size=6)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=calls)
def test_the_call_table_matches_the_python_reference(app, rows):
    from tests.conftest import _empty_database

    _empty_database()
    call = CallFactory()
    projects = [ProjectFactory(call=call) for _ in range(3)]
    firms = [EnterpriseFactory() for _ in range(3)]
    for row in rows:
        (first, entry, completed), *more = row["joins"]
        done = date(2026, 11, 5) if completed else None
        membership = member(projects[first], entry=entry, sex=row["sex"], birth=row["birth"],
                            status=row["status"], isced=row["isced"],
                            eligibility=row["eligibility"], enterprise=firms[row["employer"]],
                            completed_exit=done)
        for other, other_entry, other_completed in more:
            also_in(projects[other], membership, entry=other_entry,
                    completed_exit=date(2026, 11, 20) if other_completed else None)
    ids = [project.id for project in projects]
    for period in (SPAN, (date(2026, 6, 1), date(2026, 11, 10))):
        assert compute_call(db.session, ids, *period) == call_reference(projects, *period)


def test_the_list_of_calls_runs_the_same_queries_for_2_and_10_calls(app, client, auth,
                                                                     page_queries):
    for _ in range(2):
        ProjectFactory(call=CallFactory())
    db.session.commit()
    login(auth, "authority")
    few = page_queries("/indicators/calls")
    for _ in range(8):
        ProjectFactory(call=CallFactory())
    db.session.commit()
    assert page_queries("/indicators/calls") == few
    page = client.get("/indicators/calls").get_data(as_text=True)
    assert page.count('href="/indicators/calls/') == 10
