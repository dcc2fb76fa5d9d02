"""SME users see only their own enterprise's rows; coordinators only their projects' rows;
trainers only their cohorts' people in their projects."""
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from tests.factories import (
    AttendanceMarkFactory,
    CallFactory,
    CohortFactory,
    DocumentFactory,
    EnrollmentFactory,
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    TrainingSessionFactory,
    UserFactory,
)
from trainhub.attendance.models import AttendanceMark
from trainhub.auth.permissions import can
from trainhub.auth.scoping import get_visible_or_404, scoped
from trainhub.courses.models import Cohort, Enrollment, TrainingSession
from trainhub.documents.models import Document
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.indicators.models import IndicatorSnapshot
from trainhub.participants.models import Membership, Participant
from trainhub.programme.models import Project, ProjectMember, ReportingPeriod


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
    rows = set(db.session.scalars(scoped(select(model), model, user)))
    # the form written for a page read row by row keeps exactly the same rows
    assert set(db.session.scalars(scoped(select(model), model, user, per_row=True))) == rows
    return rows


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


def test_admin_and_authority_see_everything(two_firms):
    for role in ("authority", "admin"):
        user = UserFactory(role=role)
        assert len(_visible(Participant, user)) == 3


def test_trainer_sees_only_people_of_own_cohorts(two_firms):
    firm_a, _firm_b, people_a, person_b = two_firms
    trainer = UserFactory(role="trainer")
    cohort = CohortFactory(trainer=trainer)  # on the cohort's project team, as create_cohort does
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


# --- the project dimension -----------------------------------------------------------------

SCOPED_MODELS = (Project, ReportingPeriod, IndicatorSnapshot, Enterprise, Participant,
                 Membership, Document, Cohort, TrainingSession, Enrollment, AttendanceMark)


@dataclass
class Side:
    """One project of the call with one row of every scoped model."""

    rows: dict  # model -> the row of this project
    coordinator: object
    trainer: object


def _side(call) -> Side:
    project = ProjectFactory(call=call)
    coordinator = UserFactory(role="coordinator", projects=[project])
    trainer = UserFactory(role="trainer")
    cohort = CohortFactory(project=project, trainer=trainer)
    session = TrainingSessionFactory(cohort=cohort)
    membership = MembershipFactory(project=project)
    enrollment = EnrollmentFactory(cohort=cohort, membership=membership)
    mark = AttendanceMarkFactory(session=session, enrollment=enrollment)
    document = DocumentFactory(participant=membership.participant)
    period = ReportingPeriod(project=project, label="T1", start_date=date(2026, 1, 1),
                             end_date=date(2026, 3, 31))
    snapshot = IndicatorSnapshot(period=period, values={}, members={})
    db.session.add_all([period, snapshot])
    db.session.flush()
    return Side(rows={Project: project, ReportingPeriod: period, IndicatorSnapshot: snapshot,
                      Enterprise: membership.participant.enterprise,
                      Participant: membership.participant, Membership: membership,
                      Document: document, Cohort: cohort, TrainingSession: session,
                      Enrollment: enrollment, AttendanceMark: mark},
                coordinator=coordinator, trainer=trainer)


@pytest.fixture
def two_projects(app):
    """Projects A and B of one call, each with its own team and a row of every model."""
    call = CallFactory()
    side_a, side_b = _side(call), _side(call)
    db.session.commit()
    return side_a, side_b


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda model: model.__name__)
def test_a_coordinator_sees_only_the_rows_of_their_projects(two_projects, model):
    side_a, side_b = two_projects
    assert _visible(model, side_a.coordinator) == {side_a.rows[model]}
    assert get_visible_or_404(model, side_a.rows[model].id, side_a.coordinator)
    with pytest.raises(NotFound):
        get_visible_or_404(model, side_b.rows[model].id, side_a.coordinator)
    assert _visible(model, side_b.coordinator) == {side_b.rows[model]}


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda model: model.__name__)
def test_admin_and_authority_see_both_projects(two_projects, model):
    side_a, side_b = two_projects
    for role in ("admin", "authority"):
        assert _visible(model, UserFactory(role=role)) == {side_a.rows[model], side_b.rows[model]}


@pytest.mark.parametrize("model", (Project, ReportingPeriod, Enterprise, Participant, Membership,
                                   Cohort, TrainingSession, Enrollment, AttendanceMark),
                         ids=lambda model: model.__name__)
def test_a_trainer_sees_only_their_cohorts_in_their_projects(two_projects, model):
    side_a, side_b = two_projects
    assert _visible(model, side_a.trainer) == {side_a.rows[model]}
    with pytest.raises(NotFound):
        get_visible_or_404(model, side_b.rows[model].id, side_a.trainer)


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda model: model.__name__)
def test_readers_taking_turns_never_get_each_others_statement(two_projects, model):
    """get_visible_or_404 keeps its statement per reader's condition: readers of the two
    projects asking in turn, twice round, each find their own row and never the other's."""
    side_a, side_b = two_projects
    roles = ("coordinator",) if model in (Document, IndicatorSnapshot) else ("coordinator", "trainer")
    for _round in range(2):
        for own, other in ((side_a, side_b), (side_b, side_a)):
            for role in roles:
                reader = getattr(own, role)
                assert get_visible_or_404(model, own.rows[model].id, reader) == own.rows[model]
                with pytest.raises(NotFound):
                    get_visible_or_404(model, other.rows[model].id, reader)


def test_a_trainer_sees_no_documents_and_no_snapshots(two_projects):
    side_a, _side_b = two_projects
    assert _visible(Document, side_a.trainer) == set()
    assert _visible(IndicatorSnapshot, side_a.trainer) == set()


def test_leaving_the_team_hides_the_project_even_from_the_cohorts_trainer(two_projects):
    side_a, _side_b = two_projects
    db.session.execute(ProjectMember.__table__.delete().where(
        ProjectMember.user_id.in_([side_a.trainer.id, side_a.coordinator.id])))
    db.session.commit()
    for user in (side_a.trainer, side_a.coordinator):
        assert _visible(Cohort, user) == set()
        assert _visible(Membership, user) == set()
        assert _visible(Project, user) == set()


def test_a_person_in_both_projects_shows_each_team_only_its_own_membership(two_projects):
    side_a, side_b = two_projects
    person = side_a.rows[Participant]
    in_b = MembershipFactory(project=side_b.rows[Project], participant=person)
    db.session.commit()
    assert person in _visible(Participant, side_b.coordinator)
    assert _visible(Membership, side_b.coordinator) == {side_b.rows[Membership], in_b}
    assert in_b not in _visible(Membership, side_a.coordinator)


def test_smes_and_people_in_no_project_yet_are_seen_by_every_coordinator(two_projects):
    side_a, side_b = two_projects
    newcomer = EnterpriseFactory()
    applicant = ParticipantFactory(enterprise=newcomer)
    db.session.commit()
    for side in (side_a, side_b):
        assert newcomer in _visible(Enterprise, side.coordinator)
        assert applicant in _visible(Participant, side.coordinator)
    assert newcomer not in _visible(Enterprise, side_a.trainer)
    # once the person joins project B, project A's team no longer finds them or their employer
    MembershipFactory(project=side_b.rows[Project], participant=applicant)
    db.session.commit()
    assert applicant not in _visible(Participant, side_a.coordinator)
    assert newcomer not in _visible(Enterprise, side_a.coordinator)
    assert {applicant, newcomer} <= _visible(Participant, side_b.coordinator) | _visible(
        Enterprise, side_b.coordinator)


def test_a_coordinator_on_no_team_sees_no_project(two_projects):
    loner = UserFactory(role="coordinator")
    db.session.commit()
    for model in (Project, Membership, Cohort, Enrollment, IndicatorSnapshot, Document):
        assert _visible(model, loner) == set(), model.__name__
