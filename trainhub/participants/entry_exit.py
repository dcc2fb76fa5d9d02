"""Entry and exit dates of memberships (DESIGN §7), kept in step with marks and enrollments.

Every write path (grid, QR check-in, imports, closing a cohort, withdrawal) changes marks or
enrollments through the ORM; a session hook notes the memberships touched in each flush and
recomputes their dates just before the commit, so no path can forget to.
"""
from collections import defaultdict
from datetime import date

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from trainhub.attendance.models import ATTENDED_STATUSES, AttendanceMark
from trainhub.courses.models import Enrollment, EnrollmentStatus, TrainingSession
from trainhub.participants.models import Membership

CHUNK = 500
_TOUCHED = "trainhub_entry_exit_touched"
ENDED = {EnrollmentStatus.COMPLETED.value, EnrollmentStatus.NOT_COMPLETED.value}
OPEN = {EnrollmentStatus.ENROLLED.value, EnrollmentStatus.WAITING.value}


def exit_date_of(enrollments: list[tuple[str, date | None, date | None]],
                 today: date | None = None) -> date | None:
    """The final exit from (status, withdrawn_on, last session) of one membership.

    The last session is the last one the person attended in the cohort (else the cohort's
    last session held); DESIGN §15: an exit date is never after `today`.
    """
    if not enrollments or any(status in OPEN for status, _, _ in enrollments):
        return None
    ends = [last_session if status in ENDED else withdrawn_on
            for status, withdrawn_on, last_session in enrollments]
    ends = [day for day in ends if day is not None]
    if not ends:
        return None
    return min(max(ends), today or date.today())


def refresh_entry_exit(db_session: Session, membership_ids: set[int] | list[int],
                       today: date | None = None) -> int:
    """Recompute entry_date and exit_date of these memberships; returns how many changed."""
    today = today or date.today()
    ids = sorted(set(membership_ids))
    changed = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        entries = dict(db_session.execute(
            select(Enrollment.membership_id, func.min(TrainingSession.date))
            .join(AttendanceMark, AttendanceMark.enrollment_id == Enrollment.id)
            .join(TrainingSession, TrainingSession.id == AttendanceMark.session_id)
            .where(Enrollment.membership_id.in_(chunk),
                   AttendanceMark.status.in_(list(ATTENDED_STATUSES)))
            .group_by(Enrollment.membership_id)).all())
        last_attended = (select(func.max(TrainingSession.date))
                         .join(AttendanceMark, AttendanceMark.session_id == TrainingSession.id)
                         .where(AttendanceMark.enrollment_id == Enrollment.id,
                                AttendanceMark.status.in_(list(ATTENDED_STATUSES)),
                                TrainingSession.date <= today)
                         .scalar_subquery())
        last_held = (select(func.max(TrainingSession.date))
                     .where(TrainingSession.cohort_id == Enrollment.cohort_id,
                            TrainingSession.date <= today)
                     .scalar_subquery())
        last_session = func.coalesce(last_attended, last_held)
        enrollments: dict[int, list] = defaultdict(list)
        for membership_id, status, withdrawn_on, last in db_session.execute(
                select(Enrollment.membership_id, Enrollment.status, Enrollment.withdrawn_on,
                       last_session).where(Enrollment.membership_id.in_(chunk))):
            enrollments[membership_id].append((status, withdrawn_on, last))
        with db_session.no_autoflush:
            for membership in db_session.scalars(select(Membership).where(Membership.id.in_(chunk))):
                entry = entries.get(membership.id)
                exit_ = (exit_date_of(enrollments.get(membership.id, []), today) if entry
                         else None)
                if (membership.entry_date, membership.exit_date) != (entry, exit_):
                    membership.entry_date, membership.exit_date = entry, exit_
                    changed += 1
    return changed


@event.listens_for(Session, "after_flush")
def _note_touched(session: Session, _flush_context) -> None:
    touched = session.info.setdefault(_TOUCHED, {"enrollments": set(), "memberships": set()})
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, AttendanceMark) and obj.enrollment_id is not None:
            touched["enrollments"].add(obj.enrollment_id)
        elif isinstance(obj, Enrollment) and obj.membership_id is not None:
            touched["memberships"].add(obj.membership_id)


@event.listens_for(Session, "before_commit")
def _refresh_touched(session: Session) -> None:
    session.flush()  # marks still pending are noted too
    touched = session.info.pop(_TOUCHED, None)
    if not touched or not (touched["enrollments"] or touched["memberships"]):
        return
    ids = set(touched["memberships"])
    enrollment_ids = sorted(touched["enrollments"])
    for start in range(0, len(enrollment_ids), CHUNK):
        ids.update(session.scalars(select(Enrollment.membership_id).where(
            Enrollment.id.in_(enrollment_ids[start:start + CHUNK]))))
    refresh_entry_exit(session, ids)
    session.flush()
    session.info.pop(_TOUCHED, None)


@event.listens_for(Session, "after_rollback")
def _forget_touched(session: Session) -> None:
    session.info.pop(_TOUCHED, None)
