"""The SME's digital journey (DESIGN §17): maturity, recommendations, vouchers, follow-up."""
import copy
import re
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import ON_POSTGRES, run_in_threads
from tests.documents.test_reminders import smtp  # noqa: F401  (the aiosmtpd fixture)
from tests.factories import (
    CohortFactory,
    CourseFactory,
    EnrollmentFactory,
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    TrainingSessionFactory,
    UserFactory,
    join_team,
)
from trainhub.audit.models import AuditEvent
from trainhub.core.errors import Problems
from trainhub.courses.models import Cohort, Enrollment
from trainhub.courses.services import EnrollmentRefused, enroll, enroll_many, withdraw
from trainhub.demo import DEFAULT_RULES
from trainhub.extensions import db
from trainhub.journey.models import (
    Assessment,
    FollowUp,
    Question,
    Questionnaire,
    Voucher,
    VoucherCharge,
)
from trainhub.journey.services import (
    DIMENSION_LABELS,
    answer_follow_up,
    follow_up_token,
    grant_voucher,
    latest_questionnaire,
    long_term_results,
    radar_svg,
    recommended_courses,
    save_assessment,
    send_follow_ups,
    voucher_report,
)
from trainhub.participants.models import Membership

TODAY = date(2026, 3, 1)


def _answers(points: int = 3, **overrides) -> dict:
    """An answer to every question of the latest version: `points` on scales, the nearest
    choice on choice questions."""
    answers = {}
    for question in latest_questionnaire(db.session).questions:
        allowed = [c["points"] for c in question.choices] or list(range(6))
        answers[question.code] = str(min(allowed, key=lambda p: abs(p - points)))
    return answers | overrides


# --- maturity -----------------------------------------------------------------------------

def test_a_fresh_database_has_version_1_with_24_questions_on_six_dimensions(app):
    questionnaire = latest_questionnaire(db.session)
    assert questionnaire.version == 1
    assert len(questionnaire.questions) == 24
    assert {q.dimension for q in questionnaire.questions} == {d.value for d in DIMENSION_LABELS}
    assert all(q.text_ro and q.text_en for q in questionnaire.questions)


def test_scores_are_0_to_100_per_dimension(app):
    project, firm = ProjectFactory(), EnterpriseFactory()
    low = save_assessment(db.session, project, firm, "entry", _answers(0), TODAY, user_id=None)
    assert set(low.scores.values()) == {0}
    high = save_assessment(db.session, project, firm, "exit", _answers(5), TODAY, user_id=None)
    assert set(high.scores.values()) == {100}
    assert len(high.scores) == 6


@pytest.mark.parametrize("bad", [{"S1": "6"}, {"S1": "-1"}, {"S1": "trei"}, {"S1": ""},
                                 {"S3": "3"}])  # S3 offers 0, 2, 4, 5
def test_an_answer_outside_the_scale_or_missing_is_refused_and_nothing_is_written(app, bad):
    project, firm = ProjectFactory(), EnterpriseFactory()
    with pytest.raises(Problems) as refused:
        save_assessment(db.session, project, firm, "entry", _answers(3, **bad), TODAY,
                        user_id=None)
    code = next(iter(bad))
    assert code in str(refused.value)
    db.session.rollback()
    assert db.session.scalar(select(Assessment.id)) is None


def test_a_new_version_never_rewrites_earlier_answers(app):
    project, firm, other = ProjectFactory(), EnterpriseFactory(), EnterpriseFactory()
    first = save_assessment(db.session, project, firm, "entry", _answers(2), TODAY, user_id=None)
    scores = dict(first.scores)
    v2 = Questionnaire(version=2, published_on=TODAY)
    db.session.add(v2)
    db.session.add(Question(questionnaire=v2, position=1, code="S1", dimension="strategy",
                            text_ro="Nou", text_en="New", choices=[]))
    db.session.commit()
    second = save_assessment(db.session, project, other, "entry", {"S1": "5"}, TODAY,
                             user_id=None)
    db.session.refresh(first)
    assert first.questionnaire.version == 1 and len(first.answers) == 24
    assert first.scores == scores
    assert second.questionnaire.version == 2 and second.scores == {"strategy": 100}


def test_the_radar_is_inline_svg_without_script_or_style(app):
    svg = str(radar_svg([({"strategy": 50}, "#0d6efd"), ({"strategy": 80}, "#198754")],
                        {d: f"<{d}>" for d in DIMENSION_LABELS}))
    assert svg.startswith("<svg") and svg.count("<polygon") == 4 + 2
    assert "<script" not in svg and "style=" not in svg
    assert "&lt;strategy&gt;" in svg  # labels are escaped


def test_the_weakest_dimensions_point_to_tagged_courses(app):
    green = CourseFactory(title="Energie", dimensions=["green"])
    CourseFactory(title="Strategie", dimensions=["strategy"])
    scores = {"strategy": 90, "readiness": 80, "human": 70, "data": 60, "automation": 50,
              "green": 10}
    weakest, courses = recommended_courses(db.session, scores)
    assert weakest == ["green", "automation"]
    assert courses == [green]


def _sme_world():
    firm = EnterpriseFactory(name="Alfa SRL")
    project = ProjectFactory(code="SMIS-1")
    MembershipFactory(project=project, participant=ParticipantFactory(enterprise=firm))
    coordinator = UserFactory(role="coordinator")
    join_team(coordinator, project)
    users = {"sme": UserFactory(role="sme", enterprise=firm), "coordinator": coordinator,
             "authority": UserFactory(role="authority")}
    db.session.commit()
    return project, firm, users


def test_the_sme_fills_entry_and_exit_and_everyone_sees_the_difference(app, auth, client):
    project, firm, users = _sme_world()
    url = f"/journey/projects/{project.id}/enterprises/{firm.id}"
    auth.login(users["sme"].email)
    refused = auth.post(f"{url}/assessment/entry", _answers(2, S1=None) | {"S2": "9"})
    assert refused.status_code == 422
    assert "S1" in refused.text and "S2" in refused.text
    assert auth.post(f"{url}/assessment/entry", _answers(0)).status_code == 302
    assert auth.post(f"{url}/assessment/exit", _answers(5)).status_code == 302
    page = client.get(url).text
    assert "<svg" in page and "+100" in page
    for role in ("coordinator", "authority"):
        auth.logout()
        auth.login(users[role].email)
        assert "+100" in client.get(url).text
    overview = client.get(f"/journey/projects/{project.id}").text
    assert "Alfa SRL" in overview and "+100.0" in overview


def test_another_sme_and_another_team_do_not_find_the_page(app, auth, client):
    project, firm, _users = _sme_world()
    outsider = UserFactory(role="sme", enterprise=EnterpriseFactory())
    stranger = UserFactory(role="coordinator")
    db.session.commit()
    for user in (outsider, stranger):
        auth.login(user.email)
        assert client.get(f"/journey/projects/{project.id}/enterprises/{firm.id}").status_code == 404
        auth.logout()


def test_the_project_page_runs_the_same_queries_for_3_and_12_enterprises(app, auth,
                                                                         page_queries):
    project, _firm, users = _sme_world()
    auth.login(users["coordinator"].email)

    def add(n):
        for _ in range(n):
            firm = EnterpriseFactory()
            MembershipFactory(project=project, participant=ParticipantFactory(enterprise=firm))
            save_assessment(db.session, project, firm, "entry", _answers(2), TODAY, user_id=None)
            grant_voucher(db.session, project, firm, Decimal(1000), date(2027, 1, 1),
                          user_id=None)

    add(2)
    few = page_queries(f"/journey/projects/{project.id}")
    add(9)
    assert page_queries(f"/journey/projects/{project.id}") == few


# --- vouchers -----------------------------------------------------------------------------

def _voucher_world(budget="1000", cost="10", expires=date(2026, 12, 31), start=date(2026, 3, 9)):
    """A cohort of 40 planned hours at `cost` EUR per participant-hour (400 EUR a seat), and an
    SME with a voucher of `budget`."""
    course = CourseFactory(cost_per_hour_eur=Decimal(cost), planned_hours=Decimal(40))
    cohort = CohortFactory(course=course, start_date=start)
    firm = EnterpriseFactory()
    grant_voucher(db.session, cohort.project, firm, Decimal(budget), expires, user_id=None)
    return cohort, firm


def _employee(cohort, firm):
    return MembershipFactory(project=cohort.project, participant=ParticipantFactory(enterprise=firm))


def _spent(firm):
    voucher = db.session.scalar(select(Voucher).where(Voucher.enterprise_id == firm.id))
    return voucher_report(db.session, voucher.project)[0][3]


def test_each_enrollment_spends_cost_per_hour_times_planned_hours(app):
    cohort, firm = _voucher_world()
    TrainingSessionFactory(cohort=cohort, date=date(2026, 3, 9))  # 4 h: the cohort's plan
    enroll(db.session, cohort, _employee(cohort, firm), TODAY)
    assert _spent(firm) == Decimal("40.00")


def test_over_the_balance_is_refused_with_the_balance_shown(app):
    cohort, firm = _voucher_world(budget="700")
    enroll(db.session, cohort, _employee(cohort, firm), TODAY)
    late = _employee(cohort, firm)
    with pytest.raises(EnrollmentRefused) as refused:
        enroll(db.session, cohort, late, TODAY)
    assert "300.00" in str(refused.value) and "400.00" in str(refused.value)
    db.session.rollback()
    assert db.session.query(Enrollment).count() == 1
    [(_m, outcome, problems)] = enroll_many(db.session, cohort, [late], TODAY)
    assert outcome == "refused" and "300.00" in str(problems[0])


def test_the_coordinator_overrides_the_balance_with_a_reason_audited(app):
    cohort, firm = _voucher_world(budget="100")
    enroll(db.session, cohort, _employee(cohort, firm), TODAY,
           voucher_override_reason="  cofinanțare  proprie ")
    assert _spent(firm) == Decimal("400.00")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "voucher.override"))
    assert event.changes["reason"] == "cofinanțare proprie"


def test_withdrawal_before_the_start_gives_the_value_back_after_it_does_not(app):
    cohort, firm = _voucher_world()
    early = enroll(db.session, cohort, _employee(cohort, firm), TODAY)
    late = enroll(db.session, cohort, _employee(cohort, firm), TODAY)
    assert _spent(firm) == Decimal("800.00")
    withdraw(db.session, early, date(2026, 3, 5))
    assert _spent(firm) == Decimal("400.00")
    withdraw(db.session, late, date(2026, 3, 10))
    assert _spent(firm) == Decimal("400.00")
    enroll(db.session, cohort, early.membership, date(2026, 3, 6),  # back: charged again
           reactivation_reason="revine la curs")
    assert _spent(firm) == Decimal("800.00")


def test_an_expired_voucher_consumes_nothing(app):
    cohort, firm = _voucher_world(budget="0", expires=date(2026, 2, 28))
    enroll(db.session, cohort, _employee(cohort, firm), TODAY)
    assert _spent(firm) == Decimal(0)


def test_the_budget_cannot_go_below_what_is_spent(app):
    cohort, firm = _voucher_world()
    enroll(db.session, cohort, _employee(cohort, firm), TODAY)
    for budget in (Decimal(-1), Decimal(399)):
        with pytest.raises(Problems):
            grant_voucher(db.session, cohort.project, firm, budget, date(2027, 1, 1),
                          user_id=None)
        db.session.rollback()


def test_the_workbook_import_spends_the_voucher_too(app):
    from trainhub.imports.services import ImportReport, Table
    from trainhub.imports.workbook import _enrollments

    cohort, firm = _voucher_world(budget="500")
    first, second = _employee(cohort, firm), _employee(cohort, firm)
    db.session.commit()
    header = ["cohort_code", "cnp", "enrolled_on", "status"]
    rows = [(number, dict(zip(header, [cohort.code, member.participant.cnp, "2026-03-01",
                                       "enrolled"], strict=True)))
            for number, member in ((2, first), (3, second))]
    report = ImportReport()
    _enrollments(db.session, cohort.project, Table("enrollments", header, rows), report)
    assert [e.status for e in db.session.query(Enrollment)] == ["enrolled"]
    assert "100.00" in str(report.errors)
    assert _spent(firm) == Decimal("400.00")


@pytest.mark.skipif(not ON_POSTGRES, reason="row locks are a PostgreSQL matter; SQLite serialises writes")
def test_two_enrollments_at_once_never_go_over_the_budget(app):
    course = CourseFactory(cost_per_hour_eur=Decimal(10), planned_hours=Decimal(40))
    one, two = CohortFactory(course=course), CohortFactory(course=course)
    two.project = one.project
    firm = EnterpriseFactory()
    grant_voucher(db.session, one.project, firm, Decimal(400), date(2027, 1, 1), user_id=None)
    first, second = _employee(one, firm), _employee(one, firm)
    db.session.commit()
    start = threading.Barrier(2)

    def take(cohort_id, membership_id):
        def job(session):
            cohort, membership = session.get(Cohort, cohort_id), session.get(Membership,
                                                                             membership_id)
            start.wait(timeout=10)
            enroll(session, cohort, membership, TODAY)
        return job

    errors = run_in_threads(app, take(one.id, first.id), take(two.id, second.id))
    assert len(errors) == 1 and isinstance(errors[0], EnrollmentRefused)
    assert db.session.query(VoucherCharge).count() == 1


# --- follow-up ----------------------------------------------------------------------------

def _exited(sex="F", days_ago=200, email="ana@example.org"):
    membership = MembershipFactory(participant=ParticipantFactory(sex=sex, email=email),
                                   entry_date=date.today() - timedelta(days=days_ago + 30),
                                   exit_date=date.today() - timedelta(days=days_ago))
    db.session.commit()
    return membership


def test_six_months_after_exit_one_link_is_mailed_and_works_once(app, client, smtp):  # noqa: F811
    due = _exited()
    _exited(days_ago=30, email="recent@example.org")
    with app.test_request_context():
        sent = send_follow_ups(db.session, app.config, date.today(),
                               lambda token: f"http://localhost/follow-up/{token}")
    assert sent == 1
    [message] = smtp.to("ana@example.org")
    url = re.search(r"http://localhost(/follow-up/\S+)", message.get_content()).group(1)
    with app.test_request_context():
        assert send_follow_ups(db.session, app.config, date.today(), str) == 0  # never twice
    page = client.get(url)
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page.text)
    form = {"csrf_token": token.group(1), "employed": "y"}
    assert client.post(url, data=form).status_code == 200
    follow_up = db.session.scalar(select(FollowUp).where(FollowUp.membership_id == due.id))
    assert follow_up.employed is True and follow_up.better_job is False
    assert client.post(url, data=form).status_code == 409
    assert client.get(url).status_code == 409
    assert client.get(url[:-2] + "xx").status_code == 404  # tampered


def test_a_used_link_cannot_be_answered_again_by_the_service(app):
    follow_up = FollowUp(membership=_exited(), sent_at=None)
    db.session.add(follow_up)
    db.session.commit()
    answer_follow_up(db.session, follow_up, employed=True, better_job=True,
                     qualification_used=True)
    with pytest.raises(Problems):
        answer_follow_up(db.session, follow_up, employed=False, better_job=False,
                         qualification_used=False)
    assert follow_up.employed is True


def test_another_secret_or_salt_does_not_open_a_follow_up(app):
    follow_up = FollowUp(membership=_exited())
    db.session.add(follow_up)
    db.session.commit()
    from trainhub.journey.services import follow_up_for_token

    assert follow_up_for_token(db.session, "testing-secret-key",
                               follow_up_token("another-key", follow_up)) is None
    assert follow_up_for_token(db.session, "testing-secret-key",
                               follow_up_token("testing-secret-key", follow_up)) == follow_up


def test_long_term_results_by_sex_with_the_response_rate(app):
    project = ProjectFactory()
    for sex, answered in (("F", True), ("F", False), ("M", True)):
        membership = _exited(sex=sex, email=f"{sex}{answered}@example.org")
        membership.project = project
        follow_up = FollowUp(membership=membership, sent_at=db.func.now())
        db.session.add(follow_up)
        db.session.commit()
        if answered:
            answer_follow_up(db.session, follow_up, employed=True, better_job=sex == "F",
                             qualification_used=False)
    table = long_term_results(db.session, project)
    assert (table["F"]["sent"], table["F"]["answered"], table["F"]["rate"]) == (2, 1, 50)
    assert (table["total"]["employed"], table["total"]["better_job"], table["total"]["rate"]) \
        == (2, 1, 67)


# --- reports: CLI and API -----------------------------------------------------------------

def _reported_project():
    cohort, firm = _voucher_world(budget="1000")
    cohort.project.code = "SMIS-R"
    firm.cui, firm.name = "18547290", "Beta, SRL"
    enroll(db.session, cohort, _employee(cohort, firm), TODAY)
    save_assessment(db.session, cohort.project, firm, "entry", _answers(0), TODAY, user_id=None)
    save_assessment(db.session, cohort.project, firm, "exit", _answers(5), TODAY, user_id=None)
    return cohort.project


def test_vouchers_report_csv_contract(app, runner):
    _reported_project()
    result = runner.invoke(args=["vouchers", "report", "--project", "SMIS-R", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["cui,name,budget_eur,spent_eur,balance_eur",
                                          '18547290,"Beta, SRL",1000.00,400.00,600.00']


def test_maturity_report_csv_contract(app, runner):
    _reported_project()
    result = runner.invoke(args=["maturity", "report", "--project", "SMIS-R", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "cui,dimension,score_entry,score_exit"
    assert "18547290,strategy,0,100" in lines and len(lines) == 1 + 6


def test_reports_of_an_unknown_project_fail_readably(app, runner):
    for group in ("vouchers", "maturity"):
        result = runner.invoke(args=[group, "report", "--project", "NOPE"])
        assert result.exit_code == 1 and "no project with code NOPE" in result.output


def test_the_api_gives_the_same_figures_scoped_like_the_rest(app, client):
    from trainhub.auth.services import issue_token

    project = _reported_project()
    authority = UserFactory(role="authority")
    stranger = UserFactory(role="coordinator")
    db.session.commit()

    def get(user, what):
        secret = issue_token(db.session, user, "t")[1]
        return client.get(f"/api/v1/projects/{project.id}/{what}",
                          headers={"Authorization": f"Bearer {secret}"})

    vouchers = get(authority, "vouchers").json
    assert vouchers["vouchers"] == [{"cui": "18547290", "name": "Beta, SRL", "budget_eur": "1000.00",
                                     "spent_eur": "400.00", "balance_eur": "600.00"}]
    scores = get(authority, "maturity").json["scores"]
    assert {"cui": "18547290", "dimension": "green", "score_entry": 0, "score_exit": 100} in scores
    assert get(stranger, "vouchers").status_code == 404


def test_the_follow_ups_are_a_daily_job(app):
    from apscheduler.schedulers.background import BackgroundScheduler

    from trainhub.scheduler import add_jobs

    scheduler = BackgroundScheduler()
    add_jobs(scheduler, app)
    assert scheduler.get_job("follow_ups") is not None


# --- the pages of other areas that show the journey ---------------------------------------

def test_the_cohort_page_shows_balances_and_the_voucher_override_field(app, auth, client):
    cohort, firm = _voucher_world(budget="1000")
    firm.name = "Gamma SRL"
    cohort.course.dimensions = ["green"]
    member = _employee(cohort, firm)
    save_assessment(db.session, cohort.project, firm, "entry", _answers(5, G1="0", G2="0"),
                    TODAY, user_id=None)
    coordinator = UserFactory(role="coordinator")
    join_team(coordinator, cohort.project)
    db.session.commit()
    auth.login(coordinator.email)
    panel = client.get(f"/courses/cohorts/{cohort.id}").text
    assert 'data-testid="journey-enroll-panel"' in panel and "Gamma SRL" in panel
    assert "1,000.00 EUR" in panel and 'name="voucher_override_reason"' in panel
    cohort.course.cost_per_hour_eur = Decimal(100)  # 4,000 EUR a seat
    db.session.commit()
    form = {"membership_ids": str(member.id)}
    auth.post(f"/courses/cohorts/{cohort.id}/enroll", form)
    assert db.session.query(Enrollment).count() == 0
    auth.post(f"/courses/cohorts/{cohort.id}/enroll",
              form | {"voucher_override_reason": "aprobat de beneficiar"})
    assert db.session.query(Enrollment).count() == 1


def test_the_enterprise_page_shows_the_training_as_de_minimis_aid(app, auth, client):
    cohort, firm = _voucher_world()
    enroll(db.session, cohort, _employee(cohort, firm), TODAY)
    admin = UserFactory(role="admin")
    db.session.commit()
    auth.login(admin.email)
    page = client.get(f"/enterprises/{firm.id}").text
    assert 'data-testid="training-aid"' in page and "400.00 EUR" in page
    assert f'href="/journey/projects/{cohort.project_id}/enterprises/{firm.id}"' in page


def test_the_indicators_page_shows_long_term_results_by_sex(app, auth, client):
    project = ProjectFactory(start_date=date(2025, 1, 1), end_date=date(2027, 12, 31))
    membership = _exited(sex="F")
    membership.project = project
    db.session.add(FollowUp(membership=membership, sent_at=db.func.now()))
    admin = UserFactory(role="admin")
    db.session.commit()
    auth.login(admin.email)
    page = client.get(f"/indicators/?project={project.id}").text
    assert 'data-testid="long-term-results"' in page and "Questionnaires sent" in page


def test_the_coordinator_records_the_situation_at_exit(app, auth, client):
    membership = _exited()
    coordinator = UserFactory(role="coordinator")
    join_team(coordinator, membership.project)
    db.session.commit()
    auth.login(coordinator.email)
    assert "Situation at exit" in client.get(f"/participants/{membership.participant_id}").text
    url = f"/journey/memberships/{membership.id}/exit"
    assert auth.post(url, {"employed": "y", "better_job": "y"}).status_code == 302
    from trainhub.journey.models import ExitSituation

    situation = db.session.scalar(select(ExitSituation))
    assert (situation.employed, situation.better_job, situation.qualification_obtained) == \
        (True, True, False)


def test_the_course_form_sets_the_cost_and_the_tags(app, auth):
    coordinator = UserFactory(role="coordinator")
    db.session.commit()
    auth.login(coordinator.email)
    response = auth.post("/courses/new", {
        "code": "C-GREEN", "category": "iot_energy", "title": "Energie", "planned_hours": "40",
        "modality": "online", "cost_per_hour_eur": "12.50", "dimensions": ["green", "data"]})
    assert response.status_code == 302
    from trainhub.courses.models import Course

    course = db.session.scalar(select(Course).where(Course.code == "C-GREEN"))
    assert course.cost_per_hour_eur == Decimal("12.50") and course.dimensions == ["data", "green"]


def test_taking_the_assessment_again_replaces_the_answers(app):
    project, firm = ProjectFactory(), EnterpriseFactory()
    save_assessment(db.session, project, firm, "entry", _answers(0), TODAY, user_id=None)
    again = save_assessment(db.session, project, firm, "entry", _answers(5), TODAY, user_id=None)
    assert db.session.query(Assessment).count() == 1
    assert len(again.answers) == 24 and set(again.scores.values()) == {100}


def test_reimporting_a_stored_enrollment_spends_nothing_more(app):
    from trainhub.imports.services import ImportReport, Table
    from trainhub.imports.workbook import _enrollments

    cohort, firm = _voucher_world(budget="1000")
    member = _employee(cohort, firm)
    EnrollmentFactory(cohort=cohort, membership=member)  # enrolled before the voucher
    db.session.commit()
    header = ["cohort_code", "cnp", "enrolled_on", "status"]
    row = dict(zip(header, [cohort.code, member.participant.cnp, "2026-03-01", "enrolled"],
                   strict=True))
    _enrollments(db.session, cohort.project, Table("enrollments", header, [(2, row)]),
                 ImportReport())
    assert _spent(firm) == Decimal(0)


@pytest.mark.parametrize("form", [{"budget_eur": "-5", "expires_on": "2027-01-01"},
                                  {"budget_eur": "abc", "expires_on": "2027-01-01"},
                                  {"budget_eur": "1e40", "expires_on": "2027-01-01"},
                                  {"budget_eur": "100", "expires_on": "31.02.2027"},
                                  {"budget_eur": "NaN", "expires_on": "2027-01-01"},
                                  {"budget_eur": "Infinity", "expires_on": "2027-01-01"},
                                  {"budget_eur": "100"}])
def test_a_bad_voucher_form_is_refused_without_writing(app, auth, form):
    project, firm, users = _sme_world()
    auth.login(users["coordinator"].email)
    response = auth.post(f"/journey/projects/{project.id}/enterprises/{firm.id}/voucher", form)
    assert response.status_code == 302
    assert db.session.query(Voucher).count() == 0


def test_the_coordinator_grants_a_voucher_and_the_sme_sees_its_balance(app, auth, client):
    project, firm, users = _sme_world()
    auth.login(users["coordinator"].email)
    auth.post(f"/journey/projects/{project.id}/enterprises/{firm.id}/voucher",
              {"budget_eur": "2500", "expires_on": "2027-06-30"})
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "voucher.grant")) == "voucher.grant"
    auth.logout()
    auth.login(users["sme"].email)
    assert f"/journey/projects/{project.id}/enterprises/{firm.id}" in client.get("/journey/").text
    page = client.get(f"/journey/projects/{project.id}/enterprises/{firm.id}").text
    assert "2,500.00 EUR" in page and 'name="budget_eur"' not in page  # no grant form


def test_the_training_paid_from_the_voucher_counts_toward_the_de_minimis_ceiling(app):
    from trainhub.enterprises.models import DeMinimisAid
    from trainhub.participants.eligibility import evaluate_memberships

    cohort, firm = _voucher_world(budget="5000", cost="100")  # 4,000 EUR a seat
    cohort.project.call.rules = copy.deepcopy(DEFAULT_RULES)
    db.session.add(DeMinimisAid(enterprise=firm, granted_on=date(2026, 1, 5),
                                amount_eur=Decimal(197000)))
    member = _employee(cohort, firm)
    db.session.commit()

    def de_minimis():
        outcomes = evaluate_memberships(db.session, [member], TODAY)[member.id]
        return {o.code: o for o in outcomes}["de_minimis"]

    assert de_minimis().passed  # 197,000 of 200,000
    enroll(db.session, cohort, member, TODAY, enrolled_on=date(2026, 3, 1))
    db.session.commit()
    outcome = de_minimis()
    assert not outcome.passed and "201,000.00" in outcome.detail
