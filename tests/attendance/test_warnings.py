"""Attendance warnings: below the threshold after three sessions, mailed once per interval."""
from datetime import date, timedelta

from tests.documents.test_reminders import _run, smtp  # noqa: F401  (the SMTP fixture)
from tests.factories import (
    AttendanceMarkFactory,
    EnrollmentFactory,
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    TrainingSessionFactory,
)
from trainhub.attendance.warnings import at_risk
from trainhub.extensions import db

TODAY = date(2026, 6, 1)


def _trainee(statuses, *, email="ana@example.org", enrolled_on=date(2026, 5, 1), code="CYB-1"):
    firm = EnterpriseFactory(contact_email="hr@firma.ro")
    membership = MembershipFactory(participant=ParticipantFactory(
        email=email, enterprise=firm, last_name="Stoica", first_name="Ana"))
    enrollment = EnrollmentFactory(membership=membership, cohort__project=membership.project,
                                   cohort__code=code, enrolled_on=enrolled_on)
    for offset, status in enumerate(statuses):
        session = TrainingSessionFactory(cohort=enrollment.cohort,
                                         date=date(2026, 5, 4) + timedelta(days=offset))
        if status:
            AttendanceMarkFactory(session=session, enrollment=enrollment, status=status,
                                  hours=4 if status in ("present", "late") else 0)
    db.session.commit()
    return enrollment


def test_below_the_threshold_after_three_sessions_only(app):
    _trainee(["present", "absent"])  # two sessions: too early to tell
    assert at_risk(db.session, TODAY) == []
    enrollment = _trainee(["present", "absent", None, "present"], email="b@example.org",
                          code="CYB-2")
    [person] = at_risk(db.session, TODAY)
    assert person.enrollment_id == enrollment.id and f"{person.rate:.2f}" == "0.50"
    _trainee(["present", "present", "late", "present", "absent"], email="c@example.org",
             code="CYB-3")
    assert len(at_risk(db.session, TODAY)) == 1  # 80 % is enough


def test_sessions_before_enrolling_are_not_held_against_the_trainee(app):
    _trainee(["absent", "absent", "present", "present", "present"],
             enrolled_on=date(2026, 5, 6))
    assert at_risk(db.session, TODAY) == []


def test_the_trainee_and_the_employer_are_warned_once_per_interval(app, smtp):  # noqa: F811
    _trainee(["present", "absent", "absent"])
    _run(app)
    [to_trainee] = smtp.to("ana@example.org")
    assert "CYB-1" in to_trainee["Subject"] and "33%" in to_trainee.get_content()
    warnings = [m for m in smtp.to("hr@firma.ro") if "risk" in m["Subject"]
                or "risc" in m["Subject"]]
    assert len(warnings) == 1 and "Stoica Ana" in warnings[0].get_content()
    before = len(smtp.messages)
    _run(app)
    assert not [m for m in smtp.messages[before:] if "CYB-1" in m.get_content()]
