"""Row scoping: the query helper that limits SME users to their own enterprise, coordinators
to the projects whose team they are on, and trainers to their own cohorts of those projects.
Every list and every fetch-by-id goes through it."""
from functools import lru_cache
from types import SimpleNamespace

from flask import abort
from sqlalchemy import Select, bindparam, false, or_, select, true
from sqlalchemy.orm import aliased

from trainhub.applications.models import Application
from trainhub.attendance.models import AttendanceMark
from trainhub.auth.models import Role
from trainhub.core.bounds import MAX_ID
from trainhub.courses.models import Cohort, Enrollment, TrainingSession
from trainhub.documents.models import Document
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.indicators.models import IndicatorSnapshot
from trainhub.participants.models import Membership, Participant
from trainhub.programme.models import Project, ProjectMember, ReportingPeriod


def team_projects(user):
    """The ids of the projects whose team `user` is on (a subquery)."""
    return select(ProjectMember.project_id).where(ProjectMember.user_id == user.id)


def _trainer_cohorts(user):
    return select(Cohort.id).where(Cohort.trainer_id == user.id,
                                   Cohort.project_id.in_(team_projects(user)))


def _trainer_enrollments(user):
    return select(Enrollment.id).where(Enrollment.cohort_id.in_(_trainer_cohorts(user)))


def _trainer_participants(user):
    return (select(Membership.participant_id).join(Enrollment)
            .where(Enrollment.cohort_id.in_(_trainer_cohorts(user))))


def _sme_participants(user):
    return select(Participant.id).where(Participant.enterprise_id == user.enterprise_id)


def _team_memberships(user):
    return select(Membership.id).where(Membership.project_id.in_(team_projects(user)))


def _team_participants(user):
    return select(Membership.participant_id).where(Membership.project_id.in_(team_projects(user)))


def _person_of_the_team(person_id, user, per_row: bool = False):
    """The person `person_id` (a column) is one of the team's people, or not yet in any
    project's target group (registered with their employer, waiting to join one): nobody
    else's project holds them. Correlated EXISTS, so each row costs two index look-ups
    instead of a set of every member of every project (docs/performance.md). The subquery
    reads an alias, so it never correlates away when the outer query selects memberships too.

    `per_row` (a page of a long list, read in index order until it is full): the same rows,
    but the subqueries carry `OFFSET 0`, which keeps PostgreSQL from hashing every member of
    the team before the first row (80 ms at 100,000 people for a page of 25); a count of the
    whole list is faster with the hash, so it goes without."""
    other = aliased(Membership)
    member = select(other.id).where(other.participant_id == person_id)
    team_member = member.where(other.project_id.in_(team_projects(user)))
    if per_row:
        member, team_member = member.offset(0), team_member.offset(0)
    return or_(team_member.exists(), ~member.exists())


def _team_people(user):
    return _person_of_the_team(Participant.id, user)


def _employer_of_the_team(enterprise_id, user):
    """The enterprise `enterprise_id` (a column) employs one of the team's people, or none of
    its people is in any project yet: an SME is registered before its employees join a
    project's target group, and the coordinator who registers it must find it again to add
    them."""
    other, person = aliased(Membership), aliased(Participant)
    member = (select(other.id).join(person, person.id == other.participant_id)
              .where(person.enterprise_id == enterprise_id))
    return or_(member.where(other.project_id.in_(team_projects(user))).exists(),
               ~member.exists())


def _team_enterprises(user):
    return _employer_of_the_team(Enterprise.id, user)


def _team_cohorts(user):
    return select(Cohort.id).where(Cohort.project_id.in_(team_projects(user)))


def _team_enrollments(user):
    return select(Enrollment.id).where(Enrollment.cohort_id.in_(_team_cohorts(user)))


# model -> role -> condition builder; roles not listed see every row of the model.
_SCOPES = {
    Application: {
        Role.COORDINATOR: lambda u: Application.project_id.in_(team_projects(u)),
        Role.TRAINER: lambda u: false(),
        Role.SME: lambda u: false(),
        Role.AUTHORITY: lambda u: false(),
    },
    Project: {
        Role.COORDINATOR: lambda u: Project.id.in_(team_projects(u)),
        Role.TRAINER: lambda u: Project.id.in_(team_projects(u)),
    },
    ReportingPeriod: {
        Role.COORDINATOR: lambda u: ReportingPeriod.project_id.in_(team_projects(u)),
        Role.TRAINER: lambda u: ReportingPeriod.project_id.in_(team_projects(u)),
    },
    IndicatorSnapshot: {
        Role.COORDINATOR: lambda u: IndicatorSnapshot.period_id.in_(
            select(ReportingPeriod.id).where(ReportingPeriod.project_id.in_(team_projects(u)))
        ),
        Role.TRAINER: lambda u: false(),
    },
    Enterprise: {
        Role.SME: lambda u: Enterprise.id == u.enterprise_id,
        Role.COORDINATOR: _team_enterprises,
        Role.TRAINER: lambda u: Enterprise.id.in_(
            select(Participant.enterprise_id).where(Participant.id.in_(_trainer_participants(u)))
        ),
    },
    Participant: {
        Role.SME: lambda u: Participant.enterprise_id == u.enterprise_id,
        Role.COORDINATOR: _team_people,
        Role.TRAINER: lambda u: Participant.id.in_(_trainer_participants(u)),
    },
    Membership: {
        Role.SME: lambda u: Membership.participant_id.in_(_sme_participants(u)),
        Role.COORDINATOR: lambda u: Membership.project_id.in_(team_projects(u)),
        Role.TRAINER: lambda u: Membership.participant_id.in_(_trainer_participants(u))
        & Membership.project_id.in_(team_projects(u)),
    },
    Document: {
        Role.SME: lambda u: (Document.enterprise_id == u.enterprise_id)
        | Document.participant_id.in_(_sme_participants(u)),
        Role.COORDINATOR: lambda u: (Document.participant_id.is_not(None)
                                     & _person_of_the_team(Document.participant_id, u))
        | (Document.enterprise_id.is_not(None)
           & _employer_of_the_team(Document.enterprise_id, u)),
        Role.TRAINER: lambda u: false(),
    },
    Cohort: {
        Role.COORDINATOR: lambda u: Cohort.project_id.in_(team_projects(u)),
        Role.TRAINER: lambda u: Cohort.id.in_(_trainer_cohorts(u)),
    },
    TrainingSession: {
        Role.COORDINATOR: lambda u: TrainingSession.cohort_id.in_(_team_cohorts(u)),
        Role.TRAINER: lambda u: TrainingSession.cohort_id.in_(_trainer_cohorts(u)),
    },
    Enrollment: {
        Role.SME: lambda u: Enrollment.membership_id.in_(
            select(Membership.id).where(Membership.participant_id.in_(_sme_participants(u)))
        ),
        # by the row's own cohort (an EXISTS on its primary key), not by the set of every
        # team cohort, which SQLite builds in full for each query (5,000 cohorts: 0.5 ms)
        Role.COORDINATOR: lambda u: select(Cohort.id).where(
            Cohort.id == Enrollment.cohort_id, Cohort.project_id.in_(team_projects(u))).exists(),
        Role.TRAINER: lambda u: Enrollment.cohort_id.in_(_trainer_cohorts(u)),
    },
    AttendanceMark: {
        Role.SME: lambda u: AttendanceMark.enrollment_id.in_(
            select(Enrollment.id).join(Membership)
            .where(Membership.participant_id.in_(_sme_participants(u)))
        ),
        Role.COORDINATOR: lambda u: AttendanceMark.enrollment_id.in_(_team_enrollments(u)),
        Role.TRAINER: lambda u: AttendanceMark.enrollment_id.in_(_trainer_enrollments(u)),
    },
}


# the same rows as _SCOPES, written for a page read row by row (see _person_of_the_team)
_PER_ROW_SCOPES = {
    Participant: {Role.COORDINATOR: lambda u: _person_of_the_team(Participant.id, u, per_row=True)},
}


def visible_condition(model, user, *, per_row: bool = False):
    """The WHERE condition that keeps only the rows of `model` that `user` may see.
    `per_row`: for a page of a long list read in index order (same rows, another plan)."""
    if user.role not in _SCOPES.get(model, {}):
        return true()
    return _condition(model, user.role, user.id, user.enterprise_id, per_row)


@lru_cache(maxsize=2048)
def _condition(model, role, user_id: int, enterprise_id: int | None, per_row: bool):
    """The condition built once per user: it holds only the user's id, role and enterprise
    (no data), and building the aliased EXISTS subqueries costs more than running them."""
    scopes = _PER_ROW_SCOPES if per_row and role in _PER_ROW_SCOPES.get(model, {}) else _SCOPES
    return scopes[model][role](SimpleNamespace(id=user_id, role=role, enterprise_id=enterprise_id))


def sees_every(model, user) -> bool:
    """Whether `user` sees every row of `model` (no scoping condition applies)."""
    return user.role not in _SCOPES.get(model, {})


def scoped(stmt: Select, model, user, *, per_row: bool = False) -> Select:
    """`stmt` restricted to the rows of `model` visible to `user` (`per_row`: see
    visible_condition)."""
    return stmt.where(visible_condition(model, user, per_row=per_row))


#: narrowed's statements, by the ids of the statement and the condition they join
_NARROWED: dict[tuple[int, int], tuple] = {}
#: how many narrowed keeps before it starts again (a few per reader and page)
_KEPT_NARROWED = 2048


def narrowed(stmt: Select, condition) -> Select:
    """`stmt` WHERE `condition`, made once per pair and kept, for a `stmt` built once and a
    condition kept per reader (visible_condition's): a page then neither builds the statement
    nor its cache key again. Found by both objects' identity and checked with `is` (both are
    held here, so their ids are never another's): a reader never gets a statement narrowed by
    another reader's condition."""
    kept = _NARROWED.get((id(stmt), id(condition)))
    if kept is not None and kept[0] is stmt and kept[1] is condition:
        return kept[2]
    result = stmt.where(condition)
    if len(_NARROWED) >= _KEPT_NARROWED:
        _NARROWED.clear()
    _NARROWED[(id(stmt), id(condition))] = (stmt, condition, result)
    return result


#: get_visible_or_404's statement of each model, built once
_BY_ID: dict = {}


def get_visible_or_404(model, object_id: int, user):
    """The object with that id if `user` may see it; 404 otherwise (never reveals existence)."""
    if not 0 < object_id <= MAX_ID:
        abort(404)  # no row has it, and the database cannot even compare a number that large
    by_id = _BY_ID.get(model)
    if by_id is None:
        by_id = _BY_ID[model] = select(model).where(model.id == bindparam("object_id"))
    obj = db.session.scalar(narrowed(by_id, visible_condition(model, user)),
                            {"object_id": object_id})
    if obj is None:
        abort(404)
    return obj
