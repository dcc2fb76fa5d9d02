"""Projects set up without the demo: reporting periods generated, targets and values checked."""
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from sqlalchemy import func, select

from tests.factories import CallFactory, ProjectFactory
from trainhub.audit.models import AuditEvent
from trainhub.core.errors import Problems
from trainhub.extensions import db
from trainhub.indicators.services import TARGET_CODES, lock_period, target_progress
from trainhub.programme.models import Call, Project, ReportingPeriod
from trainhub.programme.presets import DEFAULT_CHECKLISTS, DEFAULT_RULES, PRESETS
from trainhub.programme.services import (
    MAX_TARGET,
    FieldProblems,
    PlannedPeriod,
    ProjectData,
    create_call,
    parse_custom_periods,
    plan_periods,
    save_project,
)


def spans(plan):
    return [(p.label, p.start_date, p.end_date) for p in plan]


# --- period generation ---------------------------------------------------------------------

def test_quarters_of_a_project_starting_mid_quarter_and_ending_mid_semester():
    plan = plan_periods(date(2026, 2, 10), date(2027, 4, 15), "quarterly")
    assert spans(plan) == [
        ("T1 2026", date(2026, 2, 10), date(2026, 3, 31)),
        ("T2 2026", date(2026, 4, 1), date(2026, 6, 30)),
        ("T3 2026", date(2026, 7, 1), date(2026, 9, 30)),
        ("T4 2026", date(2026, 10, 1), date(2026, 12, 31)),
        ("T1 2027", date(2027, 1, 1), date(2027, 3, 31)),
        ("T2 2027", date(2027, 4, 1), date(2027, 4, 15)),
    ]


def test_semesters_of_a_project_ending_mid_semester():
    plan = plan_periods(date(2026, 5, 1), date(2027, 9, 30), "semester")
    assert spans(plan) == [
        ("S1 2026", date(2026, 5, 1), date(2026, 6, 30)),
        ("S2 2026", date(2026, 7, 1), date(2026, 12, 31)),
        ("S1 2027", date(2027, 1, 1), date(2027, 6, 30)),
        ("S2 2027", date(2027, 7, 1), date(2027, 9, 30)),
    ]


def test_a_project_of_one_day_has_one_period():
    assert spans(plan_periods(date(2026, 12, 31), date(2026, 12, 31), "quarterly")) == [
        ("T4 2026", date(2026, 12, 31), date(2026, 12, 31))]


@pytest.mark.parametrize("scheme", ["quarterly", "semester"])
@pytest.mark.parametrize("start, end", [
    (date(2026, 1, 1), date(2028, 12, 31)), (date(2024, 2, 29), date(2025, 3, 1)),
    (date(2026, 3, 31), date(2026, 4, 1)), (date(2000, 1, 1), date(2049, 12, 31)),
])
def test_generated_periods_cover_the_project_without_overlap(scheme, start, end):
    plan = plan_periods(start, end, scheme)
    assert plan[0].start_date == start and plan[-1].end_date == end
    for before, after in pairwise(plan):
        assert after.start_date == before.end_date + timedelta(days=1)
    assert len({p.label for p in plan}) == len(plan)


def test_more_periods_than_allowed_are_refused_not_generated():
    with pytest.raises(Problems, match="at most 200"):
        plan_periods(date(2000, 1, 1), date(2100, 12, 31), "quarterly")


def test_generation_leaves_out_the_days_of_locked_periods_and_keeps_their_labels_free():
    locked = [PlannedPeriod("T1 2026", date(2026, 1, 1), date(2026, 2, 15))]
    plan = plan_periods(date(2026, 1, 1), date(2026, 6, 30), "quarterly", locked=locked)
    assert spans(plan) == [
        ("T1 2026 (2026-02-16 – 2026-03-31)", date(2026, 2, 16), date(2026, 3, 31)),
        ("T2 2026", date(2026, 4, 1), date(2026, 6, 30)),
    ]


def test_a_locked_period_inside_a_quarter_splits_it_in_two_named_parts():
    locked = [PlannedPeriod("Audit", date(2026, 2, 1), date(2026, 2, 28))]
    plan = plan_periods(date(2026, 1, 1), date(2026, 3, 31), "quarterly", locked=locked)
    assert [(p.start_date, p.end_date) for p in plan] == [
        (date(2026, 1, 1), date(2026, 1, 31)), (date(2026, 3, 1), date(2026, 3, 31))]
    assert len({p.label for p in plan}) == 2


def test_custom_rows_may_not_overlap_each_other_or_a_locked_period():
    rows = [PlannedPeriod("P1", date(2026, 1, 1), date(2026, 6, 30)),
            PlannedPeriod("P2", date(2026, 6, 30), date(2026, 12, 31))]
    with pytest.raises(Problems, match="P2 overlaps"):
        plan_periods(date(2026, 1, 1), date(2026, 12, 31), "custom", custom=rows)
    locked = [PlannedPeriod("L", date(2026, 12, 1), date(2026, 12, 31))]
    rows = [PlannedPeriod("P1", date(2026, 1, 1), date(2026, 12, 15))]
    with pytest.raises(Problems, match="P1 overlaps"):
        plan_periods(date(2026, 1, 1), date(2026, 12, 31), "custom", custom=rows, locked=locked)


def test_custom_rows_stay_within_the_project_and_have_distinct_labels():
    rows = [PlannedPeriod("P1", date(2025, 12, 1), date(2026, 1, 31)),
            PlannedPeriod("P1", date(2026, 2, 1), date(2026, 2, 28))]
    with pytest.raises(Problems) as refused:
        plan_periods(date(2026, 1, 1), date(2026, 12, 31), "custom", custom=rows)
    text = str(refused.value)
    assert "not within the project" in text and "used twice" in text


def test_custom_rows_are_parsed_from_typed_lines_and_bad_lines_named():
    rows = parse_custom_periods("P1; 2026-01-01; 2026-06-30\n\nP2; 01.07.2026; 31.12.2026\n")
    assert spans(rows) == [("P1", date(2026, 1, 1), date(2026, 6, 30)),
                           ("P2", date(2026, 7, 1), date(2026, 12, 31))]
    with pytest.raises(Problems, match="Line 2"):
        parse_custom_periods("P1; 2026-01-01; 2026-06-30\nP2; 2026-13-01; 9999-99-99")


# --- calls from a preset -------------------------------------------------------------------

def test_a_call_made_with_the_pocu_preset_has_its_rules_and_checklists(app):
    call = create_call(db.session, code="POCU/3.13", name="Apel nou", preset="pocu_3_12",
                       user_id=None)
    db.session.commit()
    assert [rule["code"] for rule in call.rules] == [rule["code"] for rule in DEFAULT_RULES]
    assert call.rules is not DEFAULT_RULES
    assert sorted(r.code for r in call.requirements) == sorted(row[1] for row in DEFAULT_CHECKLISTS)
    empty = create_call(db.session, code="X/1", name="Gol", preset="empty", user_id=None)
    assert empty.rules == [] and list(empty.requirements) == []
    assert set(PRESETS) == {"pocu_3_12", "empty"}


def test_a_call_code_is_unique_whatever_its_case_and_the_preset_must_exist(app):
    CallFactory(code="POCU/3.12")
    with pytest.raises(FieldProblems) as refused:
        create_call(db.session, code="pocu/3.12", name="", preset="nope", user_id=None)
    assert set(refused.value.fields) == {"code", "name", "preset"}
    assert db.session.scalar(select(func.count(Call.id))) == 1


# --- projects ------------------------------------------------------------------------------

def data(call, **changes) -> ProjectData:
    values = dict(call_id=call.id, code="SMIS-150001", title="Competențe digitale Nord-Est",
                  start_date=date(2026, 2, 10), end_date=date(2027, 4, 15),
                  regions=["RO21"], beneficiary="Asociația Digitală", partners=["Partener 1"],
                  completion_threshold=Decimal("0.75"), retention_years=None,
                  targets={"TOTAL": 300, "WOMEN": 150, "AGE55_64": 40, "CO01": None},
                  periods="quarterly")
    return ProjectData(**(values | changes))


def test_a_project_is_created_with_its_targets_and_quarterly_periods(app):
    call = CallFactory()
    project = save_project(db.session, None, data(call), user_id=None)
    db.session.commit()
    assert {t.indicator_code: t.value for t in project.targets} == {
        "TOTAL": 300, "WOMEN": 150, "AGE55_64": 40}
    assert [p.label for p in project.periods][:2] == ["T1 2026", "T2 2026"]
    assert project.partners == ["Partener 1"] and project.completion_threshold == Decimal("0.750")
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "project.create"))


def test_every_indicator_code_and_women_may_have_a_target(app):
    assert {"TOTAL", "WOMEN", "AGE55_64", "CO01", "CO23", "CR03"} <= set(TARGET_CODES)
    call = CallFactory()
    project = save_project(db.session, None, data(call, targets=dict.fromkeys(TARGET_CODES, 7)),
                           user_id=None)
    assert len(project.targets) == len(TARGET_CODES)


@pytest.mark.parametrize("changes, field", [
    ({"end_date": date(2026, 2, 10)}, "end_date"),
    ({"end_date": date(2026, 1, 1)}, "end_date"),
    ({"end_date": date(9999, 12, 31)}, "end_date"),
    ({"start_date": date(1, 1, 1)}, "start_date"),
    ({"start_date": None}, "start_date"),
    ({"targets": {"TOTAL": -1}}, "target_TOTAL"),
    ({"targets": {"WOMEN": MAX_TARGET + 1}}, "target_WOMEN"),
    ({"targets": {"TOTAL": 10**30}}, "target_TOTAL"),
    ({"targets": {"NOPE": 3}}, "targets"),
    ({"regions": []}, "regions"),
    ({"regions": ["RO99"]}, "regions"),
    ({"code": "  "}, "code"),
    ({"title": "x" * 401}, "title"),
    ({"call_id": 10**9}, "call_id"),
    ({"completion_threshold": Decimal("1.5")}, "completion_threshold"),
    ({"retention_years": 0}, "retention_years"),
    ({"periods": "monthly"}, "periods"),
])
def test_a_bad_value_is_refused_by_its_field_and_nothing_is_written(app, changes, field):
    call = CallFactory()
    db.session.commit()
    with pytest.raises(FieldProblems) as refused:
        save_project(db.session, None, data(call, **changes), user_id=None)
    assert field in refused.value.fields
    db.session.rollback()
    assert db.session.scalar(select(func.count(Project.id))) == 0


def test_a_project_code_is_unique_whatever_its_case(app):
    ProjectFactory(code="SMIS-150001")
    other = ProjectFactory(code="SMIS-2")
    with pytest.raises(FieldProblems) as refused:
        save_project(db.session, None, data(other.call, code="smis-150001"), user_id=None)
    assert "code" in refused.value.fields
    # a project keeps its own code when edited
    save_project(db.session, other, data(other.call, code="smis-2"), user_id=None)
    assert other.code == "smis-2"


def test_editing_replaces_targets_and_removes_the_blank_ones(app):
    call = CallFactory()
    project = save_project(db.session, None, data(call), user_id=None)
    save_project(db.session, project, data(call, targets={"TOTAL": 320, "WOMEN": None},
                                           periods=None), user_id=None)
    db.session.commit()
    assert {t.indicator_code: t.value for t in project.targets} == {"TOTAL": 320}


def test_regenerating_periods_never_changes_a_locked_one(app):
    call = CallFactory()
    project = save_project(db.session, None, data(call), user_id=None)
    db.session.commit()
    first = project.periods[0]
    lock_period(db.session, first, user_id=None)
    db.session.commit()
    kept_open = project.periods[1]
    save_project(db.session, project, data(call, periods="quarterly"), user_id=None)
    db.session.commit()
    assert project.periods[1].id == kept_open.id  # the same period is kept, not recreated
    save_project(db.session, project, data(call, start_date=date(2026, 1, 1),
                                           periods="semester"), user_id=None)
    db.session.commit()
    periods = db.session.scalars(select(ReportingPeriod).where(
        ReportingPeriod.project_id == project.id).order_by(ReportingPeriod.start_date)).all()
    assert spans(periods) == [
        ("S1 2026 (2026-01-01 – 2026-02-09)", date(2026, 1, 1), date(2026, 2, 9)),
        ("T1 2026", date(2026, 2, 10), date(2026, 3, 31)),  # the locked one, as it was
        ("S1 2026 (2026-04-01 – 2026-06-30)", date(2026, 4, 1), date(2026, 6, 30)),
        ("S2 2026", date(2026, 7, 1), date(2026, 12, 31)),
        ("S1 2027", date(2027, 1, 1), date(2027, 4, 15)),
    ]
    assert periods[1].id == first.id and periods[1].locked
    for before, after in pairwise(periods):
        assert after.start_date > before.end_date


def test_target_progress_shows_women_and_every_target_in_order():
    values = {"TOTAL": {"men": 6, "women": 4, "total": 10}, "CR03": {"men": 1, "women": 1,
                                                                     "total": 2}}
    rows = target_progress({"CR03": 8, "WOMEN": 5, "TOTAL": 20}, values)
    assert [(r.code, r.target, r.actual, r.percent) for r in rows] == [
        ("TOTAL", 20, 10, 50), ("WOMEN", 5, 4, 80), ("CR03", 8, 2, 25)]


def test_a_period_added_by_hand_may_not_overlap_another(app):
    from trainhub.indicators.services import create_period

    project = ProjectFactory()
    create_period(db.session, project, "Q1", date(2026, 1, 1), date(2026, 3, 31))
    with pytest.raises(Problems, match="overlaps"):
        create_period(db.session, project, "Q1b", date(2026, 3, 31), date(2026, 4, 30))
    assert create_period(db.session, project, "Q2", date(2026, 4, 1), date(2026, 6, 30)).id
