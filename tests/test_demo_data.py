"""The demo programme and scale-dataset generators produce valid, consistent, idempotent data."""
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import func, select

import config
from trainhub import create_app, demo
from trainhub.attendance.models import ATTENDED_STATUSES, AttendanceMark, Certificate
from trainhub.auth.models import Role, User
from trainhub.core.identifiers import (
    InvalidIdentifier,
    age_on,
    cnp_birth_date,
    cnp_sex,
    normalise_cnp,
    normalise_cui,
)
from trainhub.courses.models import Cohort, Course, CourseCategory, Enrollment, TrainingSession
from trainhub.documents.models import DocumentRequirement
from trainhub.enterprises.models import Enterprise, SizeClass
from trainhub.extensions import db
from trainhub.participants.models import Eligibility, Membership, Participant, Sex
from trainhub.programme.models import Call, Project

TODAY = date(2026, 11, 24)


@pytest.fixture
def session() -> Iterator:
    app = create_app(config.TestingConfig())
    with app.app_context():
        db.create_all()
        try:
            yield db.session
        finally:
            db.session.rollback()
            db.drop_all()
            db.session.remove()
            db.engine.dispose()


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(("sex", "born", "first_digit"), [
    ("M", date(1961, 2, 28), "1"), ("F", date(1999, 12, 31), "2"),
    ("M", date(2004, 1, 1), "5"), ("F", date(2008, 2, 29), "6"),
])
def test_make_cnp_validates_and_carries_sex_and_birth_date(sex, born, first_digit):
    for county, serial in ((1, 1), (12, 499), (46, 999), (52, 0)):
        cnp = demo.make_cnp(sex, born, county, serial)
        assert normalise_cnp(cnp) == cnp
        assert cnp[0] == first_digit
        assert cnp_sex(cnp) == sex
        assert cnp_birth_date(cnp) == born


@pytest.mark.parametrize("arguments", [
    ("X", date(1980, 1, 1), 12, 1), ("M", date(1899, 1, 1), 12, 1),
    ("M", date(1980, 1, 1), 47, 1), ("M", date(1980, 1, 1), 12, 1000),
])
def test_make_cnp_refuses_what_no_citizen_can_have(arguments):
    with pytest.raises(ValueError):
        demo.make_cnp(*arguments)


def test_scale_cnps_are_distinct_valid_and_never_demo_serials():
    cnps = [demo.scale_cnp(index, "F" if index % 3 else "M") for index in range(1, 20_001)]
    assert len(set(cnps)) == len(cnps)
    for cnp in cnps[:2000]:
        assert normalise_cnp(cnp) == cnp
        assert int(cnp[9:12]) >= 500
    assert len({cnp_birth_date(cnp).year for cnp in cnps}) > 30


def test_reference_data_is_seeded_once(session):
    call = demo.seed_reference_data(session)
    session.commit()
    assert demo.seed_reference_data(session).id == call.id
    assert demo.seed_call(session, "POCU/3.12").id == call.id
    assert len(demo.seed_courses(session)) == len(CourseCategory)
    session.commit()
    assert _count(session, Call) == 1
    assert _count(session, Course) == len(CourseCategory)
    assert _count(session, DocumentRequirement) == 11
    assert call.name == "Competențe digitale pentru angajații IMM"
    kinds = {rule["kind"] for rule in call.rules}
    assert kinds == {"employment_status_in", "age_between", "employer_required",
                     "employer_size_in", "employer_region_in", "employer_caen_not_in",
                     "de_minimis_ceiling", "not_in_other_project_of_call", "field_complete"}
    for rule in call.rules:
        assert set(rule) == {"code", "kind", "params", "severity", "message_ro", "message_en"}
    courses = session.scalars(select(Course)).all()
    assert {course.category for course in courses} == {category.value for category in CourseCategory}
    assert all(40 <= course.planned_hours <= 120 and course.description for course in courses)
    requirements = {(r.level, r.code): r for r in session.scalars(select(DocumentRequirement))}
    assert requirements[("participant", "employment_certificate")].validity_days == 30
    assert requirements[("participant", "disability_certificate")].condition == "disability"
    assert requirements[("participant", "employment_certificate")].title_ro.startswith("Adeverință")


def test_load_demo_builds_a_believable_programme(session):
    logins = demo.load_demo(session, today=TODAY)

    assert demo.demo_is_loaded(session)
    assert {role for role, _email, _password in logins} == {role.value for role in Role}
    assert logins == demo.demo_logins()
    for _role, email, password in logins:
        user = session.scalar(select(User).where(User.email == email))
        assert user.check_password(password) and len(password) >= 8
    sme_users = session.scalars(select(User).where(User.role == Role.SME.value)).all()
    assert len(sme_users) == 2 and sme_users[0].enterprise_id != sme_users[1].enterprise_id

    enterprises = session.scalars(select(Enterprise)).all()
    assert len(enterprises) >= 15
    assert {e.size_class for e in enterprises} >= {
        SizeClass.MICRO.value, SizeClass.SMALL.value, SizeClass.MEDIUM.value,
        SizeClass.UNKNOWN.value}
    assert all(normalise_cui(e.cui) == e.cui and e.nuts2 for e in enterprises)

    participants = session.scalars(select(Participant)).all()
    assert len(participants) >= 100
    for participant in participants:
        assert normalise_cnp(participant.cnp, today=TODAY) == participant.cnp
        assert participant.sex == cnp_sex(participant.cnp)
        assert participant.birth_date == cnp_birth_date(participant.cnp)
    women = sum(participant.sex == Sex.FEMALE for participant in participants)
    assert 0.3 <= women / len(participants) <= 0.5
    assert sum(55 <= age_on(p.birth_date, TODAY) <= 64 for p in participants) >= 15

    statuses = [m.eligibility_status for m in session.scalars(select(Membership))]
    assert statuses.count(Eligibility.INELIGIBLE.value) == 2
    assert statuses.count(Eligibility.PENDING.value) > 0
    assert _count(session, Cohort) == 5  # four of the first project, one of the second
    assert session.scalar(select(func.min(TrainingSession.date))) < TODAY
    assert session.scalar(select(func.max(TrainingSession.date))) > TODAY
    assert _count(session, AttendanceMark) > 0


def test_the_demo_has_two_projects_of_one_call_each_with_its_own_team(session):
    demo.load_demo(session, today=TODAY)
    projects = session.scalars(select(Project).order_by(Project.code)).all()
    assert [project.code for project in projects] == [demo.DEMO_PROJECT_CODE,
                                                      demo.DEMO_PROJECT_2_CODE]
    assert projects[0].call_id == projects[1].call_id
    for project in projects:
        team = {(member.user.role, member.user.email) for member in project.team}
        assert {role for role, _email in team} == {"coordinator", "trainer"}
        assert all(demo.DEMO_TEAMS[email] == project.code for _role, email in team)
        cohorts = session.scalars(select(Cohort).where(Cohort.project_id == project.id)).all()
        assert cohorts and {cohort.trainer.email for cohort in cohorts} == {
            email for role, email in team if role == "trainer"}
        members = session.scalars(select(Membership).where(Membership.project_id == project.id))
        assert all(m.participant.enterprise.nuts2 in project.regions for m in members)
    # the two projects share nobody
    people = [set(session.scalars(select(Membership.participant_id)
                                  .where(Membership.project_id == project.id)))
              for project in projects]
    assert people[0] and people[1] and not people[0] & people[1]


def test_demo_entry_dates_follow_the_first_attended_session(session):
    demo.load_demo(session, today=TODAY)
    for enrollment in session.scalars(select(Enrollment)):
        assert enrollment.membership.eligibility_status == Eligibility.ELIGIBLE.value
        attended = [mark.session.date for mark in enrollment.marks
                    if mark.status in ATTENDED_STATUSES]
        assert enrollment.membership.entry_date == min(attended, default=None)
        for mark in enrollment.marks:
            assert mark.session.date < TODAY
            expected = mark.session.hours if mark.status in ATTENDED_STATUSES else 0
            assert mark.hours == expected


def test_load_demo_twice_does_not_duplicate(session):
    assert demo.load_demo(session, today=TODAY)
    counts = {model: _count(session, model) for model in (Project, Enterprise, Participant, User)}
    assert demo.load_demo(session, today=TODAY) == []
    assert {model: _count(session, model) for model in counts} == counts


def test_build_scale_inserts_consistent_rows(session):
    demo.load_demo(session, today=TODAY)
    seen = []

    counts = demo.build_scale(session, 5, today=TODAY,
                              progress=lambda done, total: seen.append((done, total)))

    assert seen[-1] == (5, 5)
    assert counts["enterprises"] == 5 and counts["participants"] == 100
    assert counts["marks"] == 100 * demo.SCALE_SESSIONS_PER_COHORT
    project = session.scalar(select(Project).where(Project.code == "SCALE-5"))
    memberships = session.scalars(select(Membership).where(Membership.project_id == project.id))
    participants = [membership.participant for membership in memberships]
    assert len(participants) == 100
    for participant in participants:
        assert normalise_cnp(participant.cnp) == participant.cnp
        assert participant.sex == cnp_sex(participant.cnp)
        assert participant.birth_date == cnp_birth_date(participant.cnp)
        assert participant.enterprise.size_class != SizeClass.UNKNOWN.value
        assert normalise_cui(participant.enterprise.cui) == participant.enterprise.cui
    assert _count(session, AttendanceMark) > counts["marks"]
    assert all(session.scalars(select(Membership.entry_date)
                               .where(Membership.project_id == project.id)))


def test_build_scale_twice_stays_unique_and_leaves_ids_usable(session):
    first = demo.build_scale(session, 3, today=TODAY)
    second = demo.build_scale(session, 3, today=TODAY)
    assert first["participants"] == second["participants"] == 60
    assert session.scalar(select(Project.code).order_by(Project.id.desc()).limit(1)) == "SCALE-3-2"
    assert _count(session, Participant) == 120
    enterprise = Enterprise(cui=demo.make_cui("1854729"), name="Firma nouă SRL", caen="6201", county="RO-CJ")
    session.add(enterprise)
    session.commit()
    assert enterprise.id > 6


def test_identifiers_reject_a_tampered_generated_cnp():
    cnp = demo.make_cnp("F", date(1985, 6, 15), 12, 7)
    tampered = cnp[:-1] + str((int(cnp[-1]) + 1) % 10)
    with pytest.raises(InvalidIdentifier):
        normalise_cnp(tampered)


def test_the_finished_demo_cohort_is_closed_with_certificates(session):
    demo.load_demo(session, today=TODAY)
    closed = session.scalars(select(Cohort).where(Cohort.closed_at.is_not(None))).all()
    assert [cohort.end_date < TODAY for cohort in closed] == [True]
    (cohort,) = closed
    completed = [e for e in cohort.enrollments if e.status == "completed"]
    assert completed and all(e.certificate is not None for e in completed)
    assert _count(session, Certificate) == len(completed)
    for enrollment in cohort.enrollments:
        assert enrollment.membership.exit_date is not None
        assert enrollment.membership.exit_date <= TODAY


def test_the_demo_has_applications_one_waiting_in_the_queue(session):
    from trainhub.applications.models import Application

    demo.load_demo(session, today=TODAY)
    statuses = sorted(session.scalars(select(Application.status)))
    assert statuses == ["accepted", "pending"]
    accepted = session.scalar(select(Application).where(Application.status == "accepted"))
    assert accepted.enterprise is not None and accepted.enterprise.cui == accepted.cui
    assert normalise_cui(session.scalar(select(Application.cui).where(
        Application.status == "pending"))) is not None


def test_the_demo_walks_the_digital_journey(session):
    from trainhub.journey.models import Assessment, ExitSituation, FollowUp, Voucher
    from trainhub.journey.services import voucher_report

    demo.load_demo(session, today=TODAY)
    project = session.scalar(select(Project).where(Project.code == demo.DEMO_PROJECT_CODE))
    kinds = [a.kind for a in session.scalars(select(Assessment))]
    assert kinds.count("entry") >= 10 and 0 < kinds.count("exit") < kinds.count("entry")
    report = voucher_report(session, project)
    assert len(report) == _count(session, Voucher) >= 10
    assert all(0 <= spent < budget for _cui, _name, budget, spent, _balance in report)
    assert any(spent > 0 for _cui, _name, _budget, spent, _balance in report)
    assert _count(session, ExitSituation) > 0
    answered = session.scalars(select(FollowUp.answered_at)).all()
    assert any(answered) and not all(answered)
