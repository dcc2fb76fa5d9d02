"""The eligibility engine: every rule kind, the decision with its evidence, staleness."""
import copy
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import (
    CallFactory,
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    UserFactory,
)
from trainhub.audit.models import AuditEvent
from trainhub.core.errors import Problems
from trainhub.demo import DEFAULT_RULES
from trainhub.enterprises.models import DeMinimisAid
from trainhub.extensions import db
from trainhub.participants.eligibility import decide, evaluate_memberships, refresh
from trainhub.participants.models import Membership

TODAY = date(2026, 11, 25)


@pytest.fixture
def project(app):
    call = CallFactory(code="POCU/3.12", rules=copy.deepcopy(DEFAULT_RULES))
    return ProjectFactory(call=call, code="SMIS-1", regions=["RO11"])


def outcomes_of(membership):
    return {o.code: o for o in evaluate_memberships(db.session, [membership], TODAY)[membership.id]}


def test_an_employee_of_an_eligible_sme_passes_every_rule(project):
    membership = MembershipFactory(project=project, eligibility_status="pending")
    outcomes = outcomes_of(membership)
    assert set(outcomes) == {rule["code"] for rule in DEFAULT_RULES}
    assert all(o.passed for o in outcomes.values()), [o for o in outcomes.values() if not o.passed]


@pytest.mark.parametrize(("change", "failing", "detail"), [
    (lambda p: setattr(p, "employment_status", "unemployed"), "employment_status", "unemployed"),
    (lambda p: setattr(p, "enterprise", None), "employer", "no employer"),
    (lambda p: setattr(p.enterprise, "county", "RO-TM"), "employer_region", "RO42"),
    (lambda p: setattr(p.enterprise, "caen", "0111"), "employer_caen", "0111"),
    (lambda p: setattr(p.enterprise, "employees", 300), "employer_size", "large"),
    (lambda p: setattr(p.enterprise, "employees", None), "employer_size", "unknown"),
    (lambda p: setattr(p, "isced", None), "mandatory_data", "isced"),
])
def test_each_failed_rule_says_why(project, change, failing, detail):
    membership = MembershipFactory(project=project, eligibility_status="pending")
    change(membership.participant)
    db.session.flush()
    outcomes = outcomes_of(membership)
    failed = {code for code, o in outcomes.items() if not o.passed}
    assert failed == {failing} | ({"employer_size", "employer_region", "employer_caen"}
                                  if failing == "employer" else set())
    assert detail in outcomes[failing].detail
    assert outcomes[failing].message("en") and outcomes[failing].message("ro")


def test_age_is_taken_on_the_decision_date(project):
    old = ParticipantFactory(birth=date(1961, 11, 26))  # 65 tomorrow: 64 today
    membership = MembershipFactory(project=project, participant=old, eligibility_status="pending")
    assert outcomes_of(membership)["age"].passed
    later = evaluate_memberships(db.session, [membership], date(2026, 11, 26))[membership.id]
    assert not {o.code: o for o in later}["age"].passed


def test_de_minimis_counts_three_years_back(project):
    membership = MembershipFactory(project=project, eligibility_status="pending")
    employer = membership.participant.enterprise
    db.session.add_all([
        DeMinimisAid(enterprise=employer, granted_on=date(2022, 1, 1), amount_eur=Decimal(150000)),
        DeMinimisAid(enterprise=employer, granted_on=date(2025, 1, 1), amount_eur=Decimal(150000)),
    ])
    db.session.flush()
    assert outcomes_of(membership)["de_minimis"].passed  # the 2022 aid is out of the window
    db.session.add(DeMinimisAid(enterprise=employer, granted_on=date(2026, 6, 1),
                                amount_eur=Decimal(60000)))
    db.session.flush()
    outcome = outcomes_of(membership)["de_minimis"]
    assert not outcome.passed and "210,000.00" in outcome.detail


def test_a_member_of_another_project_of_the_same_call_is_double_financing(project):
    membership = MembershipFactory(project=project, eligibility_status="pending")
    other = ProjectFactory(call=project.call, code="SMIS-2")
    MembershipFactory(project=other, participant=membership.participant)
    unrelated = ProjectFactory(code="SMIS-3")  # another call: no double financing
    MembershipFactory(project=unrelated, participant=membership.participant)
    outcome = outcomes_of(membership)["double_financing"]
    assert not outcome.passed and outcome.kind == "not_in_other_project_of_call"
    assert outcome.detail == "member of SMIS-2"


def test_same_last_name_and_birth_date_is_a_possible_duplicate_warning(project):
    membership = MembershipFactory(project=project, eligibility_status="pending")
    twin = ParticipantFactory(last_name="POPESCU", birth=membership.participant.birth_date)
    outcome = outcomes_of(membership)["possible_duplicate"]
    assert outcome.severity == "warning" and outcome.people == [twin.id]
    assert twin.cnp not in repr(outcome.as_dict())  # each reader is shown whom they may see


def test_namesakes_are_found_once_each_whichever_chunks_their_names_and_days_fall_in(
        project, monkeypatch):
    """A chunk's names and birth dates are looked up as two lists, so it also finds people
    whose pair is another chunk's: they are namesakes there only, and only once."""
    from trainhub.participants import eligibility

    monkeypatch.setattr(eligibility._chunks, "__defaults__", (2,))
    early, late = date(1970, 1, 1), date(1980, 2, 2)
    # the pairs in order: (avram, late), (barbu, early) | (barbu, late): the first chunk's
    # names and days also match the second's pair
    members = [MembershipFactory(project=project, eligibility_status="pending",
                                 participant=ParticipantFactory(last_name=name, birth=day))
               for name, day in (("Avram", late), ("Barbu", early), ("Barbu", late))]
    twin = ParticipantFactory(last_name="BARBU", birth=late)
    db.session.flush()
    outcomes = evaluate_memberships(db.session, members, TODAY)
    duplicates = [{o.code: o for o in outcomes[m.id]}.get("possible_duplicate") for m in members]
    assert duplicates[0] is None and duplicates[1] is None
    assert duplicates[2].people == [twin.id]


def test_outcomes_for_many_members_take_a_fixed_number_of_queries(project, count_queries):
    def queries(n):
        own = ProjectFactory(call=project.call, code=f"SMIS-N{n}")
        for _ in range(n):
            MembershipFactory(project=own)
        db.session.expire_all()
        members = db.session.scalars(select(Membership).where(Membership.project_id == own.id)).all()
        with count_queries() as counter:
            evaluate_memberships(db.session, members, TODAY)
        return counter.count

    assert queries(3) == queries(30)


def test_decide_freezes_the_evidence_and_is_audited(project):
    coordinator = UserFactory()
    membership = MembershipFactory(project=project, eligibility_status="pending")
    decide(db.session, membership, "eligible", user_id=coordinator.id, when=TODAY)
    db.session.commit()
    assert membership.eligibility_status == "eligible" and membership.decided_by_id == coordinator.id
    assert membership.evidence["facts"]["participant"]["cnp"] == membership.participant.cnp
    assert membership.evidence["facts"]["age"] == 46
    assert len(membership.evidence["outcomes"]) == len(DEFAULT_RULES)
    assert db.session.query(AuditEvent).filter_by(action="eligibility.decide").count() == 1


def test_eligible_is_refused_while_a_blocking_rule_fails(project):
    membership = MembershipFactory(project=project, eligibility_status="pending",
                                   participant__employment_status="inactive")
    with pytest.raises(Problems, match="employment_status"):
        decide(db.session, membership, "eligible", user_id=None, when=TODAY)
    assert membership.eligibility_status == "pending"
    with pytest.raises(Problems):
        decide(db.session, MembershipFactory(project=project), "ineligible", user_id=None)
    decide(db.session, membership, "ineligible", user_id=None, when=TODAY)
    assert [r["code"] for r in membership.reasons if r["severity"] == "blocking"] == [
        "employment_status"]


def test_a_change_after_the_decision_marks_it_stale_but_keeps_it(project):
    membership = MembershipFactory(project=project, eligibility_status="pending")
    decide(db.session, membership, "eligible", user_id=None, when=TODAY)
    assert refresh(db.session, [membership], TODAY) == 0
    membership.participant.employment_status = "unemployed"
    assert refresh(db.session, [membership], TODAY) == 1
    assert membership.decision_stale and membership.eligibility_status == "eligible"
    assert membership.evidence["facts"]["participant"]["employment_status"] == "employed"


def test_pending_members_carry_the_current_failures_as_reasons(project):
    membership = MembershipFactory(project=project, eligibility_status="pending",
                                   participant__enterprise=EnterpriseFactory(county="RO-B"))
    refresh(db.session, [membership], TODAY)
    assert [r["code"] for r in membership.reasons] == ["employer_region"]
