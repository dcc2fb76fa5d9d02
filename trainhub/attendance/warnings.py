"""Attendance warnings (DESIGN §7): who is below the completion threshold after three sessions.

The daily reminder run sends them: one e-mail to the trainee and one digest to the employer's
contact, each enrollment named at most once per reminder interval.
"""
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trainhub.attendance.models import ATTENDED_STATUSES, AttendanceMark
from trainhub.courses.models import Cohort, Enrollment, EnrollmentStatus, TrainingSession
from trainhub.enterprises.models import Enterprise
from trainhub.participants.models import Membership, Participant
from trainhub.programme.models import Project

MIN_SESSIONS = 3


@dataclass
class AtRisk:
    """An enrolled trainee whose attendance rate is below the project's threshold."""

    enrollment_id: int
    cohort_code: str
    person: str
    email: str
    enterprise_id: int | None
    rate: Decimal
    threshold: Decimal

    @property
    def key(self) -> str:
        return f"attendance:{self.enrollment_id}"


def at_risk(db_session: Session, today: date) -> list[AtRisk]:
    """Open enrollments with ≥ 3 held sessions since enrolling and a rate under the threshold.

    Rate = attended hours ÷ hours of the sessions held on or after `enrolled_on` (two queries).
    """
    held = db_session.execute(
        select(Enrollment.id, func.count(TrainingSession.id), func.sum(TrainingSession.hours),
               Cohort.code, Project.completion_threshold, Participant.last_name,
               Participant.first_name, Participant.email, Participant.enterprise_id)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Project, Project.id == Cohort.project_id)
        .join(TrainingSession, TrainingSession.cohort_id == Cohort.id)
        .join(Membership, Membership.id == Enrollment.membership_id)
        .join(Participant, Participant.id == Membership.participant_id)
        .where(Enrollment.status == EnrollmentStatus.ENROLLED, Cohort.closed_at.is_(None),
               TrainingSession.date <= today, TrainingSession.date >= Enrollment.enrolled_on)
        .group_by(Enrollment.id, Cohort.code, Project.completion_threshold,
                  Participant.last_name, Participant.first_name, Participant.email,
                  Participant.enterprise_id)
        .having(func.count(TrainingSession.id) >= MIN_SESSIONS)).all()
    if not held:
        return []
    # the same enrollments chosen by the same conditions, not an IN list of every id
    attended = dict(db_session.execute(
        select(AttendanceMark.enrollment_id, func.sum(AttendanceMark.hours))
        .join(TrainingSession, TrainingSession.id == AttendanceMark.session_id)
        .join(Enrollment, Enrollment.id == AttendanceMark.enrollment_id)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Enrollment.status == EnrollmentStatus.ENROLLED, Cohort.closed_at.is_(None),
               AttendanceMark.status.in_(list(ATTENDED_STATUSES)),
               TrainingSession.date <= today, TrainingSession.date >= Enrollment.enrolled_on)
        .group_by(AttendanceMark.enrollment_id)).all())
    result = []
    for enrollment_id, _count, hours, code, threshold, last, first, email, enterprise_id in held:
        rate = Decimal(attended.get(enrollment_id) or 0) / Decimal(hours)
        if rate < Decimal(threshold):
            result.append(AtRisk(enrollment_id, code, f"{last} {first}", email or "",
                                 enterprise_id, rate, Decimal(threshold)))
    return result


def _percent(value: Decimal) -> str:
    return f"{value * 100:.0f}%"


def attendance_warnings(db_session: Session, config, today: date,
                        reminded: dict[str, set[str]]) -> Iterator:
    """Reminder e-mails (documents.reminders.Reminder) for every trainee at risk."""
    from trainhub.documents.reminders import Reminder

    people = at_risk(db_session, today)
    for person in people:
        if person.email and person.key not in reminded.get(person.email.lower(), ()):
            with force_locale("ro"):
                text = _("%(cohort)s: attendance %(rate)s, below the %(threshold)s needed to "
                         "complete the course", cohort=person.cohort_code,
                         rate=_percent(person.rate), threshold=_percent(person.threshold))
                body = "\n".join([_("Hello %(name)s,", name=person.person), "", text, "",
                                  _("Please attend the next sessions or tell your trainer."),
                                  "", "TrainHub"])
                subject = _("TrainHub: your attendance in %(cohort)s", cohort=person.cohort_code)
            yield Reminder(to=person.email.lower(), subject=subject,
                           items=[{"key": person.key, "text": text}], body=body)
    by_employer = defaultdict(list)
    for person in people:
        if person.enterprise_id:
            by_employer[person.enterprise_id].append(person)
    contacts = dict(db_session.execute(select(Enterprise.id, Enterprise.contact_email).where(
        Enterprise.id.in_(list(by_employer)), Enterprise.contact_email != "")).all())
    for enterprise_id, group in by_employer.items():
        to = (contacts.get(enterprise_id) or "").lower()
        fresh = [person for person in group if person.key not in reminded.get(to, ())]
        if not to or not fresh:
            continue
        with force_locale("ro"):
            texts = [_("%(person)s, %(cohort)s: attendance %(rate)s of %(threshold)s needed",
                       person=p.person, cohort=p.cohort_code, rate=_percent(p.rate),
                       threshold=_percent(p.threshold)) for p in fresh]
            subject = ngettext("TrainHub: %(num)s employee risks not completing their course",
                               "TrainHub: %(num)s employees risk not completing their course",
                               len(fresh))
            body = "\n".join([_("Hello,"), "",
                              _("These employees attend too little to complete their course:"),
                              "", *(f"- {t}" for t in texts), "", "TrainHub"])
        yield Reminder(to=to, subject=subject,
                       items=[{"key": p.key, "text": t} for p, t in zip(fresh, texts, strict=True)],
                       body=body)
