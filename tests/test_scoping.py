"""SME users see only their own enterprise's rows; trainers only their cohorts' people."""
import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from tests.factories import (
    CohortFactory,
    DocumentFactory,
    EnrollmentFactory,
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    UserFactory,
)
from trainhub.auth.permissions import can
from trainhub.auth.scoping import get_visible_or_404, scoped
from trainhub.documents.models import Document
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.participants.models import Participant


@pytest.fixture
def two_firms(app):
    firm_a, firm_b = EnterpriseFactory(), EnterpriseFactory()
    people_a = [ParticipantFactory(enterprise=firm_a) for _ in range(2)]
    person_b = ParticipantFactory(enterprise=firm_b)
    DocumentFactory(participant=people_a[0])
    DocumentFactory(participant=person_b)
    db.session.commit()
    return firm_a, firm_b, people_a, person_b


def _visible(model, user):
    return set(db.session.scalars(scoped(select(model), model, user)))


def test_sme_user_sees_only_its_enterprise(two_firms):
    firm_a, firm_b, people_a, person_b = two_firms
    sme = UserFactory(role="sme", enterprise=firm_a)
    assert _visible(Enterprise, sme) == {firm_a}
    assert _visible(Participant, sme) == set(people_a)
    assert {d.participant for d in _visible(Document, sme)} == {people_a[0]}
    assert get_visible_or_404(Participant, people_a[1].id, sme) == people_a[1]
    with pytest.raises(NotFound):
        get_visible_or_404(Participant, person_b.id, sme)
    with pytest.raises(NotFound):
        get_visible_or_404(Enterprise, firm_b.id, sme)


def test_coordinator_and_authority_see_everything(two_firms):
    for role in ("coordinator", "authority", "admin"):
        user = UserFactory(role=role)
        assert len(_visible(Participant, user)) == 3


def test_trainer_sees_only_people_of_own_cohorts(two_firms):
    firm_a, _firm_b, people_a, person_b = two_firms
    trainer = UserFactory(role="trainer")
    cohort = CohortFactory(trainer=trainer)
    EnrollmentFactory(cohort=cohort, membership=MembershipFactory(project=cohort.project,
                                                                  participant=people_a[0]))
    CohortFactory()  # someone else's cohort
    db.session.commit()
    assert _visible(Participant, trainer) == {people_a[0]}
    assert _visible(Enterprise, trainer) == {firm_a}
    assert len(_visible(type(cohort), trainer)) == 1
    assert _visible(Document, trainer) == set()


def test_permission_table_follows_design_roles():
    class FakeUser:
        is_authenticated = True

        def __init__(self, role):
            self.role = role

    assert can(FakeUser("authority"), "indicators.export")
    assert not can(FakeUser("authority"), "enterprises.write")
    assert not can(FakeUser("sme"), "participants.decide")
    assert can(FakeUser("coordinator"), "documents.review")
    assert not can(FakeUser("trainer"), "documents.read")
    with pytest.raises(ValueError):
        can(FakeUser("admin"), "no.such.permission")
