"""The managing authority's override of the double-financing rule (DESIGN §14, issue 16).

Ana works for Unu SRL and is in SMIS-2's target group; she joins SMIS-1 of the same call and is
refused there. Only the authority may let her in, with a reason; every evaluation respects it,
and no page or API answer shows anyone else of the other project.
"""
import copy
from datetime import date

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
from trainhub.auth.services import issue_token
from trainhub.core.errors import Problems
from trainhub.demo import DEFAULT_RULES
from trainhub.extensions import db
from trainhub.participants.eligibility import (
    decide,
    evaluate_memberships,
    override_double_financing,
    refresh,
    withdraw_double_financing_override,
)
from trainhub.participants.models import Membership
from trainhub.participants.services import HIDDEN_CNP

RULE = "double_financing"


@pytest.fixture
def world(app):
    call = CallFactory(rules=copy.deepcopy(DEFAULT_RULES))
    here = ProjectFactory(call=call, code="SMIS-1", regions=["RO11"])
    there = ProjectFactory(call=call, code="SMIS-2", regions=["RO11"])
    firm, other_firm = EnterpriseFactory(name="Unu SRL"), EnterpriseFactory(name="Doi SRL")
    ana = ParticipantFactory(enterprise=firm, last_name="Avram", first_name="Ana", sex="F")
    # people of the other project, never to be named on Ana's pages
    victor = ParticipantFactory(enterprise=other_firm, last_name="Vecinu", first_name="Victor")
    MembershipFactory(project=there, participant=victor)
    MembershipFactory(project=there, participant=ana, eligibility_status="eligible")
    refused = MembershipFactory(project=here, participant=ana, eligibility_status="pending")
    # a colleague of Ana's in SMIS-1, the one the authority's reason happens to name
    marin = ParticipantFactory(enterprise=firm, last_name="Marin", first_name="Mihai")
    MembershipFactory(project=here, participant=marin)
    db.session.flush()
    refresh(db.session, [refused])
    users = {"authority": UserFactory(role="authority"), "admin": UserFactory(role="admin"),
             "coordinator": UserFactory(role="coordinator", projects=[here]),
             "coordinator_there": UserFactory(role="coordinator", projects=[there]),
             "sme": UserFactory(role="sme", enterprise=firm),
             "sme_other": UserFactory(role="sme", enterprise=other_firm)}
    db.session.commit()
    return {"users": users, "membership": refused, "ana": ana, "victor": victor, "marin": marin}


def codes(membership: Membership) -> set[str]:
    return {reason["code"] for reason in membership.reasons}


def outcome(membership: Membership):
    outcomes = evaluate_memberships(db.session, [membership], date.today())[membership.id]
    return next(o for o in outcomes if o.code == RULE)


def test_the_refusal_names_only_the_other_projects_code(world):
    refused = outcome(world["membership"])
    assert not refused.passed and refused.detail == "member of SMIS-2"
    assert RULE in codes(world["membership"])


def test_the_authority_overrides_with_a_reason_audited_and_respected(world):
    membership, authority = world["membership"], world["users"]["authority"]
    override_double_financing(db.session, membership, "  Cursuri diferite, aprobat AM  ",
                              user=authority)
    db.session.commit()
    assert membership.double_financing_override["reason"] == "Cursuri diferite, aprobat AM"
    assert membership.double_financing_override["by_id"] == authority.id
    allowed = outcome(membership)
    assert allowed.passed and "Cursuri diferite, aprobat AM" in allowed.detail
    assert allowed.detail.startswith("member of SMIS-2; allowed by the managing authority on ")
    assert RULE not in codes(membership)  # the pending reasons are refreshed
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "eligibility.double_financing_override"))
    assert event.user_id == authority.id and event.entity_id == membership.id
    assert event.changes == {"reason": "Cursuri diferite, aprobat AM"}


def test_a_decision_respects_the_override(world):
    membership = world["membership"]
    coordinator = world["users"]["coordinator"]
    with pytest.raises(Problems) as refused:
        decide(db.session, membership, "eligible", user_id=coordinator.id)
    assert RULE in str(refused.value)
    override_double_financing(db.session, membership, "aprobat", user=world["users"]["authority"])
    try:
        decide(db.session, membership, "eligible", user_id=coordinator.id)
    except Problems as problems:  # other rules may still block: never this one
        assert RULE not in str(problems)
    else:
        assert membership.eligibility_status == "eligible"
        assert next(o for o in membership.evidence["outcomes"] if o["code"] == RULE)["passed"]


def test_a_decision_taken_before_the_override_becomes_stale(world):
    membership = world["membership"]
    decide(db.session, membership, "ineligible", user_id=world["users"]["coordinator"].id)
    assert not membership.decision_stale
    override_double_financing(db.session, membership, "aprobat", user=world["users"]["authority"])
    assert membership.decision_stale and membership.eligibility_status == "ineligible"


@pytest.mark.parametrize("role", ["coordinator", "admin", "sme"])
def test_nobody_but_the_authority_overrides(world, role):
    membership = world["membership"]
    with pytest.raises(Problems):
        override_double_financing(db.session, membership, "aprobat", user=world["users"][role])
    assert membership.double_financing_override is None


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_the_reason_is_required_and_bounded(world, reason):
    with pytest.raises(Problems):
        override_double_financing(db.session, world["membership"], reason,
                                  user=world["users"]["authority"])
    assert world["membership"].double_financing_override is None


def test_there_is_nothing_to_override_for_a_member_of_one_project(world):
    alone = MembershipFactory(project=world["membership"].project)
    with pytest.raises(Problems):
        override_double_financing(db.session, alone, "aprobat", user=world["users"]["authority"])
    assert alone.double_financing_override is None


# --- through the pages and the API ------------------------------------------------------

def login(auth, user):
    assert auth.login(user.email).status_code == 302


def url(world) -> str:
    return f"/participants/memberships/{world['membership'].id}/double-financing"


def test_the_authority_overrides_from_the_persons_page(client, auth, world):
    login(auth, world["users"]["authority"])
    page = client.get(f"/participants/{world['ana'].id}").get_data(as_text=True)
    assert url(world) in page
    response = auth.post(url(world), {"reason": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert world["membership"].double_financing_override is None  # refused: nothing written
    auth.post(url(world), {"reason": "Aprobat prin nota AM nr. 12"})
    db.session.expire_all()
    assert world["membership"].double_financing_override["reason"] == "Aprobat prin nota AM nr. 12"
    page = client.get(f"/participants/{world['ana'].id}").get_data(as_text=True)
    assert "Aprobat prin nota AM nr. 12" in page
    assert f'action="{url(world)}"' not in page  # nothing left to override here
    assert f'action="{url(world)}/withdraw"' in page  # but it may be withdrawn


def test_a_coordinator_cannot_override_and_is_not_offered_to(client, auth, world):
    login(auth, world["users"]["coordinator"])
    page = client.get(f"/participants/{world['ana'].id}").get_data(as_text=True)
    assert 'data-testid="double-financing-override"' not in page
    assert auth.post(url(world), {"reason": "aprobat"}).status_code == 403
    db.session.expire_all()
    assert world["membership"].double_financing_override is None


def _api(client, user, path):
    secret = issue_token(db.session, user, "probe")[1]
    db.session.commit()
    return client.get(path, headers={"Authorization": f"Bearer {secret}"})


@pytest.mark.parametrize("role", ["sme", "coordinator_there", "coordinator"])
def test_no_page_or_api_answer_shows_another_projects_people(client, auth, world, role):
    """Before and after the override, whose reason names Marin's CNP: the SME and the coordinator
    of SMIS-1 may see Marin (masked or not), SMIS-2's coordinator may not; nobody but SMIS-2's
    coordinator may see Victor."""
    user, ana = world["users"][role], world["ana"]
    override_double_financing(db.session, world["membership"],
                              f"Verificat, nu e {world['marin'].cnp}",
                              user=world["users"]["authority"])
    db.session.commit()
    unseen = {world["victor"].cnp, "Victor", "Vecinu"} if role != "coordinator_there" else {
        world["marin"].cnp, "Marin", "Mihai"}
    login(auth, user)
    page = client.get(f"/participants/{ana.id}")
    assert page.status_code == 200
    body = _api(client, user, f"/api/v1/participants/{ana.id}")
    assert body.status_code == 200
    for text in (page.get_data(as_text=True), body.get_data(as_text=True)):
        assert not {value for value in unseen if value in text}, role
    # the rule names the other project by its code
    assert ("SMIS-1" if role == "coordinator_there" else "SMIS-2") in page.get_data(as_text=True)
    memberships = body.get_json()["memberships"]
    if role == "coordinator_there":  # only SMIS-2's membership, refused as member of SMIS-1
        assert [m["project_code"] for m in memberships] == ["SMIS-2"]
        assert memberships[0]["double_financing_override"] is None
    else:
        here = next(m for m in memberships if m["project_code"] == "SMIS-1")
        assert here["double_financing_override"]["reason"].startswith("Verificat, nu e ")


def test_the_other_company_and_the_other_team_do_not_find_the_person(client, auth, world):
    login(auth, world["users"]["sme_other"])
    assert client.get(f"/participants/{world['ana'].id}").status_code == 404
    assert _api(client, world["users"]["sme_other"],
                f"/api/v1/participants/{world['ana'].id}").status_code == 404


def test_a_reason_naming_someone_the_reader_may_not_see_hides_the_cnp(client, auth, world):
    outsider = ParticipantFactory(enterprise=EnterpriseFactory(), last_name="Strain")
    MembershipFactory(project=ProjectFactory(), participant=outsider)
    override_double_financing(db.session, world["membership"], f"nu e {outsider.cnp}",
                              user=world["users"]["authority"])
    db.session.commit()
    login(auth, world["users"]["sme"])
    page = client.get(f"/participants/{world['ana'].id}").get_data(as_text=True)
    assert outsider.cnp not in page and HIDDEN_CNP in page
    body = _api(client, world["users"]["sme"], f"/api/v1/participants/{world['ana'].id}")
    here = next(m for m in body.get_json()["memberships"] if m["project_code"] == "SMIS-1")
    assert here["double_financing_override"]["reason"] == f"nu e {HIDDEN_CNP}"


# --- the authority takes its override back ----------------------------------------------

def test_the_authority_withdraws_its_override_with_a_reason_audited_and_checked_again(world):
    membership, authority = world["membership"], world["users"]["authority"]
    override_double_financing(db.session, membership, "aprobat", user=authority)
    db.session.commit()
    withdraw_double_financing_override(db.session, membership, "  nota AM anulată  ",
                                       user=authority)
    db.session.commit()
    assert membership.double_financing_override is None
    assert not outcome(membership).passed and RULE in codes(membership)  # checked again
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "eligibility.double_financing_override_withdrawn"))
    assert event.user_id == authority.id and event.entity_id == membership.id
    assert event.changes["reason"] == "nota AM anulată"
    assert event.changes["override"]["reason"] == "aprobat"  # what was withdrawn stays known


def test_a_decision_taken_with_the_override_becomes_stale_when_it_is_withdrawn(world):
    membership, authority = world["membership"], world["users"]["authority"]
    override_double_financing(db.session, membership, "aprobat", user=authority)
    decide(db.session, membership, "ineligible", user_id=world["users"]["coordinator"].id,
           note="alt motiv")
    assert not membership.decision_stale
    withdraw_double_financing_override(db.session, membership, "anulat", user=authority)
    assert membership.decision_stale and membership.eligibility_status == "ineligible"


@pytest.mark.parametrize("role, reason", [("coordinator", "anulat"), ("admin", "anulat"),
                                          ("authority", ""), ("authority", "   "),
                                          ("authority", "x" * 501)])
def test_only_the_authority_withdraws_and_only_with_a_reason(world, role, reason):
    membership = world["membership"]
    override_double_financing(db.session, membership, "aprobat",
                              user=world["users"]["authority"])
    with pytest.raises(Problems):
        withdraw_double_financing_override(db.session, membership, reason,
                                           user=world["users"][role])
    assert membership.double_financing_override["reason"] == "aprobat"


def test_there_is_nothing_to_withdraw_without_an_override(world):
    with pytest.raises(Problems, match="no double-financing override"):
        withdraw_double_financing_override(db.session, world["membership"], "anulat",
                                           user=world["users"]["authority"])


def test_the_authority_withdraws_from_the_persons_page_in_romanian(client, auth, world):
    authority = world["users"]["authority"]
    authority.locale = "ro"
    override_double_financing(db.session, world["membership"], "aprobat", user=authority)
    db.session.commit()
    login(auth, authority)
    page = client.get(f"/participants/{world['ana'].id}").get_data(as_text=True)
    withdraw = url(world) + "/withdraw"
    assert withdraw in page and "Retrage permisiunea de dublă finanțare" in page
    refused = auth.post(withdraw, {"reason": ""}, follow_redirects=True)
    assert "Spuneți de ce persoana nu mai poate fi finanțată" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert world["membership"].double_financing_override is not None
    done = auth.post(withdraw, {"reason": "nota AM anulată"}, follow_redirects=True)
    assert "Permisiunea de dublă finanțare a fost retrasă" in done.get_data(as_text=True)
    db.session.expire_all()
    assert world["membership"].double_financing_override is None
    page = client.get(f"/participants/{world['ana'].id}").get_data(as_text=True)
    assert withdraw not in page and f'action="{url(world)}"' in page  # may be allowed again


def test_a_coordinator_is_not_offered_the_withdrawal_and_cannot_post_it(client, auth, world):
    override_double_financing(db.session, world["membership"], "aprobat",
                              user=world["users"]["authority"])
    db.session.commit()
    login(auth, world["users"]["coordinator"])
    page = client.get(f"/participants/{world['ana'].id}").get_data(as_text=True)
    assert 'data-testid="double-financing-withdraw"' not in page
    assert auth.post(url(world) + "/withdraw", {"reason": "anulat"}).status_code == 403
    db.session.expire_all()
    assert world["membership"].double_financing_override is not None
