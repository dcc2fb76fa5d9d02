"""Programme-wide figures: the home dashboard's numbers for each role."""
from datetime import date

from sqlalchemy import func, select

from trainhub.auth.models import Role
from trainhub.auth.scoping import visible_condition
from trainhub.courses.models import Cohort, TrainingSession
from trainhub.documents.models import Document, DocumentStatus
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.participants.models import Eligibility, Membership, Participant
from trainhub.programme.models import Project


def overview_for(user, today: date | None = None) -> dict:
    """Counts the user may see, each scoped to the user's rows; a fixed number of queries."""
    today = today or date.today()
    counts: dict = {}
    counts["enterprises"] = db.session.scalar(
        select(func.count(Enterprise.id)).where(visible_condition(Enterprise, user))
    )
    counts["participants"] = db.session.scalar(
        select(func.count(Participant.id)).where(visible_condition(Participant, user))
    )
    eligibility = db.session.execute(
        select(Membership.eligibility_status, func.count(Membership.id))
        .where(visible_condition(Membership, user))
        .group_by(Membership.eligibility_status)
    ).all()
    counts["eligibility"] = {status.value: 0 for status in Eligibility} | dict(eligibility)
    counts["cohorts"] = db.session.scalar(
        select(func.count(Cohort.id)).where(visible_condition(Cohort, user))
    )
    counts["upcoming_sessions"] = db.session.execute(
        select(TrainingSession, Cohort.code)
        .join(Cohort)
        .where(TrainingSession.date >= today, visible_condition(TrainingSession, user))
        .order_by(TrainingSession.date, TrainingSession.start_time)
        .limit(5)
    ).all()
    if user.role in (Role.ADMIN, Role.COORDINATOR, Role.SME):
        counts["pending_documents"] = db.session.scalar(
            select(func.count(Document.id)).where(
                Document.status == DocumentStatus.PENDING, visible_condition(Document, user)
            )
        )
    counts["projects"] = db.session.scalars(select(Project).order_by(Project.code)).all()
    return counts
