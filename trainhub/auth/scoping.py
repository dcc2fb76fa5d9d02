"""Row scoping: the query helper that limits SME users to their own enterprise and trainers
to their own cohorts. Every list and every fetch-by-id goes through it."""
from flask import abort
from sqlalchemy import Select, false, select, true

from trainhub.attendance.models import AttendanceMark
from trainhub.auth.models import Role
from trainhub.core.bounds import MAX_ID
from trainhub.courses.models import Cohort, Enrollment, TrainingSession
from trainhub.documents.models import Document
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.participants.models import Membership, Participant


def _trainer_enrollments(user):
    return select(Enrollment.id).join(Cohort).where(Cohort.trainer_id == user.id)


def _trainer_participants(user):
    return (select(Membership.participant_id).join(Enrollment)
            .join(Cohort).where(Cohort.trainer_id == user.id))


def _sme_participants(user):
    return select(Participant.id).where(Participant.enterprise_id == user.enterprise_id)


# model -> role -> condition builder; roles not listed see every row of the model.
_SCOPES = {
    Enterprise: {
        Role.SME: lambda u: Enterprise.id == u.enterprise_id,
        Role.TRAINER: lambda u: Enterprise.id.in_(
            select(Participant.enterprise_id).where(Participant.id.in_(_trainer_participants(u)))
        ),
    },
    Participant: {
        Role.SME: lambda u: Participant.enterprise_id == u.enterprise_id,
        Role.TRAINER: lambda u: Participant.id.in_(_trainer_participants(u)),
    },
    Membership: {
        Role.SME: lambda u: Membership.participant_id.in_(_sme_participants(u)),
        Role.TRAINER: lambda u: Membership.participant_id.in_(_trainer_participants(u)),
    },
    Document: {
        Role.SME: lambda u: (Document.enterprise_id == u.enterprise_id)
        | Document.participant_id.in_(_sme_participants(u)),
        Role.TRAINER: lambda u: false(),
    },
    Cohort: {
        Role.TRAINER: lambda u: Cohort.trainer_id == u.id,
    },
    TrainingSession: {
        Role.TRAINER: lambda u: TrainingSession.cohort_id.in_(
            select(Cohort.id).where(Cohort.trainer_id == u.id)
        ),
    },
    Enrollment: {
        Role.SME: lambda u: Enrollment.membership_id.in_(
            select(Membership.id).where(Membership.participant_id.in_(_sme_participants(u)))
        ),
        Role.TRAINER: lambda u: Enrollment.id.in_(_trainer_enrollments(u)),
    },
    AttendanceMark: {
        Role.SME: lambda u: AttendanceMark.enrollment_id.in_(
            select(Enrollment.id).join(Membership)
            .where(Membership.participant_id.in_(_sme_participants(u)))
        ),
        Role.TRAINER: lambda u: AttendanceMark.enrollment_id.in_(_trainer_enrollments(u)),
    },
}


def visible_condition(model, user):
    """The WHERE condition that keeps only the rows of `model` that `user` may see."""
    builder = _SCOPES.get(model, {}).get(user.role)
    return builder(user) if builder else true()


def sees_every(model, user) -> bool:
    """Whether `user` sees every row of `model` (no scoping condition applies)."""
    return user.role not in _SCOPES.get(model, {})


def scoped(stmt: Select, model, user) -> Select:
    """`stmt` restricted to the rows of `model` visible to `user`."""
    return stmt.where(visible_condition(model, user))


def get_visible_or_404(model, object_id: int, user):
    """The object with that id if `user` may see it; 404 otherwise (never reveals existence)."""
    if not 0 < object_id <= MAX_ID:
        abort(404)  # no row has it, and the database cannot even compare a number that large
    obj = db.session.scalar(scoped(select(model).where(model.id == object_id), model, user))
    if obj is None:
        abort(404)
    return obj
