"""Every endpoint × every role gives the outcome DESIGN §11 expects, from one table.

A new route without a row here fails `test_every_endpoint_has_a_row`: add its row when you
add the route. Object URLs point at records of enterprise A; `sme` belongs to A, `sme_other`
to B, so scoped pages must answer 404 to `sme_other`. The records belong to the world's
project, whose team holds `coordinator` and `trainer`; `coordinator_other` and `trainer_other`
work on another project of the same call, so every object route of the world's project answers
them 404 where their colleague is let in (`other_team`).
"""
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from tests.conftest import DatabaseSnapshot
from tests.factories import (
    CohortFactory,
    CourseFactory,
    DocumentRequirementFactory,
    EnrollmentFactory,
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    TrainingSessionFactory,
    UserFactory,
    join_team,
    valid_cui,
)
from trainhub.applications.services import submit_application
from trainhub.attendance.models import Certificate
from trainhub.auth.invitations import invite
from trainhub.auth.models import User
from trainhub.auth.services import issue_token
from trainhub.documents.services import upload_document
from trainhub.extensions import db
from trainhub.jobs.services import start_job
from trainhub.programme.models import ReportingPeriod

ROLES = ("anonymous", "admin", "coordinator", "trainer", "sme", "sme_other", "authority",
         "coordinator_other", "trainer_other")
#: URL parameters that name a record of the world's project (another team does not find it)
PROJECT_RECORDS = {"project_id", "period_id", "member_id", "cohort_id", "session_id",
                   "enrollment_id", "certificate_id", "participant_id", "membership_id",
                   "enterprise_id", "document_id", "invitation_id", "application_id"}
OK, LOGIN, FORBIDDEN, NOT_FOUND, GONE = "ok", "login", "forbidden", "not found", "gone"
IGNORED_ENDPOINTS = {"static", "bootstrap.static"}


def public() -> dict[str, str]:
    return dict.fromkeys(ROLES, OK)


def logged_in() -> dict[str, str]:
    return dict.fromkeys(ROLES, OK) | {"anonymous": LOGIN}


def only(*roles: str, other_sme: str = FORBIDDEN) -> dict[str, str]:
    """Allowed to `roles`; other users 403; anonymous to the login page."""
    outcome = {role: (OK if role in roles else FORBIDDEN) for role in ROLES}
    outcome["anonymous"] = LOGIN
    if "sme" in roles:
        outcome["sme_other"] = other_sme
    return outcome


#: (method, endpoint) -> role -> expected outcome
ACCESS = {
    ("GET", "main.dashboard"): logged_in(),
    ("GET", "main.healthz"): public(),
    ("GET", "main.guide"): public(),
    ("GET", "main.guide_image"): public(),
    ("GET", "auth.login"): public(),
    ("POST", "auth.login"): public(),
    ("POST", "auth.logout"): logged_in(),
    ("GET", "auth.forgot_password"): public(),
    ("POST", "auth.forgot_password"): public(),
    # the world's token is no reset link: the page says so, to everyone
    ("GET", "auth.reset_password_page"): public(),
    ("POST", "auth.reset_password_page"): public(),
    ("POST", "auth.set_language"): public(),
    ("GET", "auth.users"): only("admin", "coordinator"),
    ("GET", "auth.user_new"): only("admin"),
    ("POST", "auth.user_new"): only("admin"),
    ("POST", "auth.user_set_active"): only("admin"),
    ("GET", "auth.account"): logged_in(),
    ("POST", "auth.account"): logged_in(),
    ("POST", "auth.logout_everywhere"): logged_in(),
    ("GET", "auth.tokens"): logged_in(),
    ("POST", "auth.tokens"): logged_in(),
    # the world's token is the admin's; anyone else's token is not found
    ("POST", "auth.token_revoke"): dict.fromkeys(ROLES, NOT_FOUND) | {"anonymous": LOGIN,
                                                                      "admin": OK},
    # invitations: admins and coordinators; another team's invitation is not found
    ("GET", "auth.invitation_list"): only("admin", "coordinator"),
    ("GET", "auth.invitation_new"): only("admin", "coordinator"),
    ("POST", "auth.invitation_new"): only("admin", "coordinator"),
    ("POST", "auth.invitation_resend"): only("admin", "coordinator"),
    ("POST", "auth.invitation_revoke"): only("admin", "coordinator"),
    # the world's token is no invitation link: gone, for everyone
    ("GET", "auth.invitation_page"): dict.fromkeys(ROLES, GONE),
    ("POST", "auth.invitation_page"): dict.fromkeys(ROLES, GONE),
    # the public SME application form; an empty form is refused (422) to everyone
    ("GET", "applications.apply"): public(),
    ("POST", "applications.apply"): {role: "refused" for role in ROLES},
    ("GET", "applications.queue"): only("admin", "coordinator"),
    ("GET", "applications.detail"): only("admin", "coordinator"),
    ("POST", "applications.accept"): only("admin", "coordinator"),
    ("POST", "applications.decline"): only("admin", "coordinator"),
    ("GET", "audit.events"): only("admin"),
    ("GET", "courses.catalogue_page"): only("admin", "coordinator", "trainer", "sme", "authority",
                                            other_sme=OK),
    ("GET", "courses.detail"): only("admin", "coordinator", "trainer", "sme", "authority",
                                    other_sme=OK),
    ("GET", "courses.create"): only("admin", "coordinator"),
    ("POST", "courses.create"): only("admin", "coordinator"),
    ("GET", "courses.edit"): only("admin", "coordinator"),
    ("POST", "courses.edit"): only("admin", "coordinator"),
    ("GET", "courses.cohorts"): only("admin", "coordinator", "trainer", "sme", "authority",
                                     other_sme=OK),
    ("GET", "courses.cohort"): only("admin", "coordinator", "trainer", "sme", "authority",
                                    other_sme=OK),
    ("GET", "courses.cohort_new"): only("admin", "coordinator"),
    ("POST", "courses.cohort_new"): only("admin", "coordinator"),
    ("POST", "courses.enroll_members"): only("admin", "coordinator"),
    ("POST", "courses.withdraw_enrollment"): only("admin", "coordinator"),
    ("POST", "courses.enrollment_date"): only("admin", "coordinator"),
    ("POST", "courses.session_delete"): only("admin", "coordinator"),
    ("GET", "courses.session_edit"): only("admin", "coordinator"),
    ("POST", "courses.session_edit"): only("admin", "coordinator"),
    ("GET", "courses.cohort_edit"): only("admin", "coordinator"),
    ("POST", "courses.cohort_edit"): only("admin", "coordinator"),
    ("GET", "courses.session_new"): only("admin", "coordinator"),
    ("POST", "courses.session_new"): only("admin", "coordinator"),
    ("GET", "courses.calendar"): only("admin", "coordinator", "trainer", "sme", "authority",
                                      other_sme=OK),
    ("GET", "attendance.grid"): only("admin", "coordinator", "trainer", "sme", "authority",
                                     other_sme=OK),  # the rows are the SME's own employees
    ("POST", "attendance.save"): only("admin", "coordinator", "trainer"),
    ("GET", "attendance.register"): only("admin", "coordinator", "trainer", "sme", "authority",
                                         other_sme=OK),  # the rows are the SME's own employees
    ("GET", "attendance.sign_in_sheet_pdf"): only("admin", "coordinator", "trainer", "sme",
                                                  "authority", other_sme=OK),
    ("GET", "attendance.close"): only("admin", "coordinator"),
    ("POST", "attendance.close"): only("admin", "coordinator"),
    ("POST", "attendance.reopen"): only("admin", "coordinator"),
    ("POST", "attendance.certificates_zip"): only("admin", "coordinator"),
    ("GET", "attendance.certificate_pdf"): only("admin", "coordinator", "trainer", "sme",
                                                "authority", other_sme=NOT_FOUND),
    ("GET", "enterprises.index"): only("admin", "coordinator", "trainer", "sme", "authority",
                                       other_sme=OK),
    ("GET", "enterprises.detail"): only("admin", "coordinator", "trainer", "sme", "authority",
                                        other_sme=NOT_FOUND),
    ("GET", "enterprises.create"): only("admin", "coordinator"),
    ("POST", "enterprises.create"): only("admin", "coordinator"),
    ("GET", "enterprises.edit"): only("admin", "coordinator", "sme", other_sme=NOT_FOUND),
    ("POST", "enterprises.edit"): only("admin", "coordinator", "sme", other_sme=NOT_FOUND),
    # SMEs may not record their own aids; another company's is not even found
    ("POST", "enterprises.aid"): only("admin", "coordinator") | {"sme_other": NOT_FOUND},
    ("GET", "participants.index"): only("admin", "coordinator", "trainer", "sme", "authority",
                                        other_sme=OK),
    ("GET", "participants.detail"): only("admin", "coordinator", "trainer", "sme", "authority",
                                         other_sme=NOT_FOUND),
    ("GET", "participants.create"): only("admin", "coordinator", "sme", other_sme=OK),
    ("POST", "participants.create"): only("admin", "coordinator", "sme", other_sme=OK),
    ("GET", "participants.edit"): only("admin", "coordinator", "sme", other_sme=NOT_FOUND),
    ("POST", "participants.edit"): only("admin", "coordinator", "sme", other_sme=NOT_FOUND),
    ("POST", "participants.decide_membership"): only("admin", "coordinator"),
    ("POST", "participants.override_double_financing_page"): only("authority"),
    ("POST", "participants.withdraw_double_financing_page"): only("authority"),
    ("GET", "participants.register_export"): only("admin", "coordinator", "authority"),
    # personal-data handling: the person must be visible (else 404), then only the project team
    ("POST", "participants.consent"): only("admin", "coordinator") | {"sme_other": NOT_FOUND},
    ("GET", "participants.export_json"): only("admin", "coordinator") | {"sme_other": NOT_FOUND},
    ("GET", "participants.export_pdf"): only("admin", "coordinator") | {"sme_other": NOT_FOUND},
    ("GET", "participants.dossier_download"): only("admin", "coordinator")
    | {"sme_other": NOT_FOUND},
    # under retention hold in the world: refused with a message, i.e. redirected back
    ("POST", "participants.erase"): only("admin", "coordinator") | {"sme_other": NOT_FOUND},
    ("GET", "participants.cohort_dossier"): only("admin", "coordinator"),
    ("GET", "participants.retention"): only("admin"),
    ("POST", "participants.retention_delete"): only("admin"),
    ("GET", "imports.upload"): only("admin", "coordinator"),
    ("POST", "imports.upload"): only("admin", "coordinator"),
    # a token that is not the user's own staged upload is not found
    ("GET", "imports.preview"): only("admin", "coordinator") | {"admin": NOT_FOUND,
                                                                "coordinator": NOT_FOUND},
    ("POST", "imports.confirm"): only("admin", "coordinator") | {"admin": NOT_FOUND,
                                                                 "coordinator": NOT_FOUND},
    ("POST", "imports.mapping"): only("admin", "coordinator") | {"admin": NOT_FOUND,
                                                                 "coordinator": NOT_FOUND},
    ("POST", "imports.cancel"): only("admin", "coordinator") | {"admin": NOT_FOUND,
                                                                "coordinator": NOT_FOUND},
    # the world's job is the authority's own: everyone else but an admin finds nothing
    ("GET", "jobs.index"): logged_in(),
    ("GET", "jobs.detail"): dict.fromkeys(ROLES, NOT_FOUND) | {"anonymous": LOGIN, "admin": OK,
                                                               "authority": OK},
    ("GET", "jobs.status"): dict.fromkeys(ROLES, NOT_FOUND) | {"anonymous": LOGIN, "admin": OK,
                                                               "authority": OK},
    ("GET", "jobs.download"): dict.fromkeys(ROLES, NOT_FOUND) | {"anonymous": LOGIN, "admin": OK,
                                                                 "authority": OK},
    ("GET", "programme.calls"): only("admin", "coordinator"),
    ("GET", "programme.rules"): only("admin", "coordinator"),
    ("POST", "programme.save_rules"): only("admin"),
    ("GET", "programme.call_new"): only("admin"),
    # an empty form is refused (422) to those who may post it
    ("POST", "programme.call_new"): only("admin") | {"admin": "refused"},
    ("GET", "programme.identity"): only("admin", "coordinator"),
    ("POST", "programme.identity_save"): only("admin"),
    # no file sent: refused (422) to the admin
    ("POST", "programme.logo_add"): only("admin") | {"admin": "refused"},
    # the world's call has no logo: not found once let in
    ("POST", "programme.logo_remove"): only("admin") | {"admin": NOT_FOUND},
    ("GET", "programme.logo"): only("admin", "coordinator") | {"admin": NOT_FOUND,
                                                               "coordinator": NOT_FOUND},
    ("GET", "programme.call_certificate_template"): only("admin", "coordinator"),
    # an empty form is refused (422) to the admin, the only one who may edit templates
    ("POST", "programme.call_certificate_template"): only("admin") | {"admin": "refused"},
    ("GET", "programme.project_certificate_template"): only("admin", "coordinator"),
    ("POST", "programme.project_certificate_template"): only("admin") | {"admin": "refused"},
    ("GET", "programme.projects"): only("admin", "coordinator", "authority"),
    ("GET", "programme.project"): only("admin", "coordinator", "authority"),
    ("GET", "programme.project_new"): only("admin", "coordinator"),
    ("POST", "programme.project_new"): only("admin", "coordinator")
    | {"admin": "refused", "coordinator": "refused"},
    ("GET", "programme.project_edit"): only("admin", "coordinator"),
    ("POST", "programme.project_edit"): only("admin", "coordinator")
    | {"admin": "refused", "coordinator": "refused"},
    # admins and the project's own coordinators change its team (an empty form: a message)
    ("POST", "programme.team_add"): only("admin", "coordinator"),
    ("POST", "programme.team_remove"): only("admin", "coordinator"),
    ("GET", "programme.rates"): only("admin", "coordinator"),
    # an empty form is refused (422) once the admin is let in
    ("POST", "programme.save_rate"): only("admin") | {"admin": "refused"},
    ("GET", "indicators.dashboard"): only("admin", "coordinator", "authority"),
    ("GET", "indicators.cell"): only("admin", "coordinator", "authority"),
    ("GET", "indicators.download"): only("admin", "coordinator", "authority"),
    ("GET", "indicators.report"): only("admin", "coordinator", "authority"),
    ("GET", "indicators.sample"): only("admin", "coordinator", "authority"),
    ("POST", "indicators.period_new"): only("admin", "coordinator"),
    ("GET", "indicators.period"): only("admin", "coordinator", "authority"),
    ("POST", "indicators.period_lock"): only("admin", "coordinator"),
    # the call view: each coordinator sees it as far as their team's projects go (the other
    # team's coordinator works on a project of the same call); trainers and SMEs: not found
    ("GET", "indicators.calls"): only("admin", "coordinator", "authority") | {
        "trainer": NOT_FOUND, "sme": NOT_FOUND, "sme_other": NOT_FOUND},
    ("GET", "indicators.call"): only("admin", "coordinator", "authority") | {
        "trainer": NOT_FOUND, "sme": NOT_FOUND, "sme_other": NOT_FOUND},
    ("GET", "indicators.call_download"): only("admin", "coordinator", "authority") | {
        "trainer": NOT_FOUND, "sme": NOT_FOUND, "sme_other": NOT_FOUND},
    ("POST", "attendance.upload_signed_sheet"): only("admin", "coordinator", "trainer"),
    # no scan uploaded in the world: found by nobody, refused to those without the right
    ("GET", "attendance.signed_sheet"): only("admin", "coordinator", "trainer", "sme",
                                             "authority", other_sme=NOT_FOUND)
    | {role: NOT_FOUND for role in ("admin", "coordinator", "trainer", "sme", "authority")},
    ("GET", "verification.verify"): public(),
    # the API answers anonymous callers 401 (counted as LOGIN); the others send a bearer token
    ("GET", "api.projects"): logged_in(),
    ("GET", "api.project"): logged_in(),
    ("GET", "api.project_periods"): logged_in(),
    ("GET", "api.enterprises"): logged_in(),
    ("GET", "api.enterprise"): logged_in() | {"sme_other": NOT_FOUND},
    ("GET", "api.participants"): logged_in(),
    ("GET", "api.participant"): logged_in() | {"sme_other": NOT_FOUND},
    ("GET", "api.project_indicators"): only("admin", "coordinator", "authority"),
    ("GET", "api.period_snapshots"): only("admin", "coordinator", "authority"),
    ("GET", "api.project_vouchers"): only("admin", "coordinator", "authority"),
    ("GET", "api.project_maturity"): only("admin", "coordinator", "authority"),
    ("GET", "api-docs.openapi_json"): public(),
    ("GET", "api_reference.page"): public(),
    ("GET", "attendance.session_qr"): only("admin", "coordinator", "trainer"),
    ("GET", "verification.check_in_page"): public(),
    ("POST", "verification.check_in_page"): {role: "refused" for role in ROLES},
    ("GET", "documents.index"): only("admin", "coordinator", "sme", "authority", other_sme=OK),
    ("GET", "documents.portal"): only("admin", "coordinator", "sme", "authority",
                                      other_sme=NOT_FOUND),
    ("POST", "documents.upload_enterprise"): only("admin", "coordinator", "sme",
                                                  other_sme=NOT_FOUND),
    ("POST", "documents.upload_participant"): only("admin", "coordinator", "sme",
                                                   other_sme=NOT_FOUND),
    ("GET", "documents.detail"): only("admin", "coordinator", "sme", "authority",
                                      other_sme=NOT_FOUND),
    ("GET", "documents.download"): only("admin", "coordinator", "sme", "authority",
                                        other_sme=NOT_FOUND),
    ("GET", "documents.preview"): only("admin", "coordinator", "sme", "authority",
                                       other_sme=NOT_FOUND),
    ("GET", "documents.review"): only("admin", "coordinator"),
    ("POST", "documents.accept"): only("admin", "coordinator"),
    ("POST", "documents.reject"): only("admin", "coordinator"),
    ("POST", "documents.bulk_accept"): only("admin", "coordinator"),
    ("GET", "documents.board"): only("admin", "coordinator", "sme", "authority",
                                     other_sme=OK),  # an SME's board holds its own rows
    ("GET", "documents.board_export"): only("admin", "coordinator", "sme", "authority",
                                            other_sme=OK),
    ("GET", "documents.checklists"): only("admin", "coordinator"),
    ("GET", "journey.index"): only("admin", "coordinator", "sme", "authority", other_sme=OK),
    ("GET", "journey.project"): only("admin", "coordinator", "authority"),
    ("GET", "journey.enterprise"): only("admin", "coordinator", "sme", "authority",
                                        other_sme=NOT_FOUND),
    ("GET", "journey.assess"): only("admin", "coordinator", "sme", other_sme=NOT_FOUND),
    # an empty questionnaire is refused (422), listing every missing answer
    ("POST", "journey.assess"): only("admin", "coordinator", "sme", other_sme=NOT_FOUND)
    | {"admin": "refused", "coordinator": "refused", "sme": "refused"},
    ("POST", "journey.voucher"): only("admin", "coordinator"),
    ("GET", "journey.exit_situation"): only("admin", "coordinator"),
    ("POST", "journey.exit_situation"): only("admin", "coordinator"),
    # the world's token is no follow-up link: not found, for everyone
    ("GET", "follow_up.follow_up"): dict.fromkeys(ROLES, NOT_FOUND),
    ("POST", "follow_up.follow_up"): dict.fromkeys(ROLES, NOT_FOUND),
    ("GET", "documents.requirement_new"): only("admin"),
    ("POST", "documents.requirement_new"): only("admin"),
    ("GET", "documents.requirement_edit"): only("admin"),
    ("POST", "documents.requirement_edit"): only("admin"),
    # the trainee's pages answer to the link, not to an account: the world's token is no
    # personal link, so everyone gets the "this link does not work" page
    **{(method, f"selfservice.{endpoint}"): dict.fromkeys(ROLES, NOT_FOUND) for method, endpoint in (
        ("GET", "trainee_page"), ("POST", "trainee_upload"), ("POST", "trainee_consent"),
        ("GET", "trainee_consent_receipt"), ("GET", "trainee_document"),
        ("GET", "trainee_certificate"), ("GET", "trainee_registration_form"))},
    # the project team manages a person's link; the world's person has no live link (no QR)
    ("GET", "selfservice.link"): only("admin", "coordinator"),
    ("GET", "selfservice.link_qr"): only("admin", "coordinator")
    | {"admin": NOT_FOUND, "coordinator": NOT_FOUND},
    ("POST", "selfservice.link_issue"): only("admin", "coordinator"),
    ("POST", "selfservice.link_revoke"): only("admin", "coordinator"),
    ("POST", "selfservice.link_email"): only("admin", "coordinator"),
    # prefilled MySMIS forms: to those who hand the documents in, of the people they see
    ("GET", "selfservice.registration_form"): only("admin", "coordinator", "sme",
                                                   other_sme=NOT_FOUND),
    ("GET", "selfservice.entity_form"): only("admin", "coordinator", "sme", other_sme=NOT_FOUND),
}


#: personal-data routes find the person first (404 when unseen), then check the right (403)
PERSON_FIRST = {("POST", "participants.consent"), ("GET", "participants.export_json"),
                ("GET", "participants.export_pdf"), ("GET", "participants.dossier_download"),
                ("POST", "participants.erase")}


def other_team(route: tuple[str, str], object_route: bool) -> dict[str, str]:
    """The row of `route` with the outcomes of `coordinator_other` and `trainer_other`: those of
    their colleague on the world's team, except that a record of the world's project is not
    found (public pages, e.g. the QR check-in, are not scoped)."""
    outcome = ACCESS[route]
    filled = dict(outcome)
    scoped_route = object_route and outcome["anonymous"] == LOGIN
    for role, colleague in (("coordinator_other", "coordinator"), ("trainer_other", "trainer")):
        let_in = outcome[colleague] in (OK, "refused") or route in PERSON_FIRST
        filled[role] = NOT_FOUND if scoped_route and let_in else outcome[colleague]
    return filled


@dataclass
class World:
    """One record of each kind, so every URL can be built; `_a` records belong to SME A."""

    users: dict
    target_user_id: int
    course_id: int
    cohort_id: int
    session_id: int
    certificate_id: int
    token: str
    enrollment_id: int
    enterprise_id: int
    participant_id: int
    membership_id: int
    call_id: int
    period_id: int
    document_id: int
    requirement_id: int
    api_token_id: int
    project_id: int
    member_id: int
    job_id: int
    invitation_id: int
    application_id: int
    project_code: str


#: how to fill each URL parameter from the world
URL_ARGS = {
    "user_id": lambda world: world.target_user_id,
    "course_id": lambda world: world.course_id,
    "cohort_id": lambda world: world.cohort_id,
    "session_id": lambda world: world.session_id,
    "certificate_id": lambda world: world.certificate_id,
    "token": lambda world: world.token,
    "enrollment_id": lambda world: world.enrollment_id,
    "enterprise_id": lambda world: world.enterprise_id,
    "participant_id": lambda world: world.participant_id,
    "membership_id": lambda world: world.membership_id,
    "call_id": lambda world: world.call_id,
    "period_id": lambda world: world.period_id,
    "token_id": lambda world: world.api_token_id,
    "project_id": lambda world: world.project_id,
    "member_id": lambda world: world.member_id,
    "invitation_id": lambda world: world.invitation_id,
    "application_id": lambda world: world.application_id,
    "project_code": lambda world: world.project_code,
    "code": lambda world: "wrong-code",
    "document_id": lambda world: world.document_id,
    "requirement_id": lambda world: world.requirement_id,
    "kind": lambda world: "xlsx",
    "job_id": lambda world: world.job_id,
    "assessment_kind": lambda world: "entry",
    "number": lambda world: 1,
    "name": lambda world: "admin-identity.png",
    "page": lambda world: "admin",
}


_built: tuple[World, DatabaseSnapshot] | None = None


def world_of(app) -> World:
    """The world in this test's database: built by the first test of the run, its rows and
    files copied into every later one (building it took half of each of these 2,000 tests)."""
    global _built
    if _built is None:
        world = build_world()
        _built = world, DatabaseSnapshot(app)
        return world
    world, snapshot = _built
    snapshot.restore(app)
    return world


def build_world() -> World:
    firm_a, firm_b = EnterpriseFactory(), EnterpriseFactory()
    users = {
        "admin": UserFactory(role="admin"),
        "coordinator": UserFactory(role="coordinator"),
        "trainer": UserFactory(role="trainer"),
        "sme": UserFactory(role="sme", enterprise=firm_a),
        "sme_other": UserFactory(role="sme", enterprise=firm_b),
        "authority": UserFactory(role="authority"),
        "coordinator_other": UserFactory(role="coordinator"),
        "trainer_other": UserFactory(role="trainer"),
    }
    target = UserFactory(role="trainer")
    course = CourseFactory()
    cohort = CohortFactory(course=course, trainer=users["trainer"])  # the trainer's own cohort
    join_team(users["coordinator"], cohort.project)
    # another project of the same call, with its own team, cohort and person
    other_project = ProjectFactory(call=cohort.project.call)
    join_team(users["coordinator_other"], other_project)
    other_cohort = CohortFactory(project=other_project, course=course,
                                 trainer=users["trainer_other"])
    EnrollmentFactory(cohort=other_cohort, membership=MembershipFactory(project=other_project))
    session = TrainingSessionFactory(cohort=cohort)
    employee_a = ParticipantFactory(enterprise=firm_a)
    enrollment = EnrollmentFactory(cohort=cohort, status="completed", membership=MembershipFactory(
        project=cohort.project, participant=employee_a))
    certificate = Certificate(enrollment=enrollment, serial="TH-1", issued_on=date(2026, 5, 1),
                              token="world-token")
    db.session.add(certificate)
    period = ReportingPeriod(project=cohort.project, label="Q1", start_date=date(2026, 1, 1),
                             end_date=date(2026, 3, 31))
    db.session.add(period)
    requirement = DocumentRequirementFactory(call=cohort.project.call)
    db.session.commit()
    document = upload_document(db.session, requirement, employee_a, b"%PDF-1.4\n%%EOF\n",
                               "act.pdf", users["sme"].id)
    api_token, _secret = issue_token(db.session, users["admin"], "world")
    job = start_job(db.session, "export.board", users["authority"], {"format": "csv"})
    invitation = invite(db.session, email="invited@example.org", role="trainer",
                        invited_by=users["coordinator"], project=cohort.project)
    application, _joined = submit_application(db.session, cohort.project, {
        "cui": valid_cui(999), "company_name": "Aplicant SRL", "caen": "6201",
        "county": "RO-CJ", "contact_name": "Ana", "contact_email": "ana@aplicant.ro",
        "channel": "event", "consent": True})
    db.session.commit()
    return World(users={role: user.email for role, user in users.items()},
                 target_user_id=target.id, course_id=course.id, cohort_id=cohort.id,
                 session_id=session.id, certificate_id=certificate.id, token="world-token",
                 enrollment_id=enrollment.id, enterprise_id=firm_a.id,
                 participant_id=employee_a.id, membership_id=enrollment.membership_id,
                 call_id=cohort.project.call_id, period_id=period.id, document_id=document.id,
                 requirement_id=requirement.id, api_token_id=api_token.id,
                 project_id=cohort.project_id, member_id=cohort.project.team[0].id,
                 job_id=job.id,
                 invitation_id=invitation.id, application_id=application.id,
                 project_code=cohort.project.code)


def _routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in IGNORED_ENDPOINTS:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((method, rule.endpoint))
    return routes


def test_every_endpoint_has_a_row(app):
    routes = _routes(app)
    missing = sorted(routes - set(ACCESS))
    stale = sorted(set(ACCESS) - routes)
    assert not missing, f"add these routes to ACCESS: {missing}"
    assert not stale, f"these ACCESS rows have no route any more: {stale}"


def test_every_view_declares_its_permission(app):
    undeclared = sorted(
        endpoint for endpoint, view in app.view_functions.items()
        if endpoint not in IGNORED_ENDPOINTS and not hasattr(view, "permission")
    )
    assert not undeclared, f"decorate with @permission_required/@public/@login_required: {undeclared}"


def _url(app, endpoint: str, world: World) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{arg: URL_ARGS[arg](world) for arg in rule.arguments})


def _outcome(response) -> str:
    assert response.status_code < 500, f"server error {response.status_code}"
    if response.status_code == 302 and "/login?next=" in response.location:
        return LOGIN
    if response.status_code == 401 and response.is_json:
        return LOGIN  # the API's answer to a caller without a valid token
    if response.status_code == 403:
        return FORBIDDEN
    if response.status_code == 404:
        return NOT_FOUND
    if response.status_code == 410:
        return GONE  # a link that no longer (or never did) work
    if response.status_code == 422:
        return "refused"  # open to all, the input (here a wrong check-in code) was refused
    assert response.status_code < 400, f"unexpected {response.status_code}"
    return OK


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, endpoint", sorted(ACCESS))
def test_access(app, client, auth, method, endpoint, role):
    world = world_of(app)
    if role != "anonymous":
        assert auth.login(world.users[role]).status_code == 302, f"{role} could not log in"
    url = _url(app, endpoint, world)
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    expected = other_team((method, endpoint), bool(rule.arguments & PROJECT_RECORDS))
    headers = {}
    if endpoint.startswith("api.") and role != "anonymous":
        user = db.session.scalar(select(User).where(User.email == world.users[role]))
        headers["Authorization"] = "Bearer " + issue_token(db.session, user, "matrix")[1]
    if method == "GET":
        response = client.get(url, headers=headers)
    else:
        token = auth.csrf_token("/" if role != "anonymous" else "/login")
        response = client.open(url, method=method, data={"csrf_token": token})
    assert _outcome(response) == expected[role]


@pytest.mark.parametrize("endpoint", sorted(e for m, e in ACCESS if m == "POST"))
def test_every_post_is_refused_without_csrf_token(app, client, auth, endpoint):
    world = world_of(app)
    auth.login(world.users["admin"])
    response = client.post(_url(app, endpoint, world), data={})
    assert response.status_code == 400
