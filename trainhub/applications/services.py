"""SME applications (DESIGN §16): the public form's rules, the coordinator's decision and the
recruitment funnel per channel."""
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, distinct, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from trainhub.applications.models import Application, ApplicationStatus, Channel
from trainhub.audit.services import record
from trainhub.auth.models import User
from trainhub.auth.scoping import scoped
from trainhub.core.cleaning import bounded_text
from trainhub.core.errors import Problems
from trainhub.core.models import utcnow
from trainhub.courses.models import Enrollment, EnrollmentStatus
from trainhub.enterprises.models import Enterprise
from trainhub.enterprises.services import FieldProblems, clean_enterprise, save_enterprise
from trainhub.imports.services import CellError
from trainhub.participants.models import Eligibility, Membership, Participant
from trainhub.programme.models import Project

#: the longest reason for declining an application
REASON_MAX_LENGTH = 1000


def project_by_code(db_session: Session, code: str) -> Project | None:
    """The project the public form `/apply/<code>` is for; None for an unknown code."""
    if not code or len(code) > 40:
        return None
    return db_session.scalar(select(Project).where(Project.code == code))


def _clean(raw: dict) -> dict:
    """The application's values, or FieldProblems naming every bad field (form names)."""
    cleaned = clean_enterprise({
        "cui": raw.get("cui"), "name": raw.get("company_name"), "caen": raw.get("caen"),
        "county": raw.get("county"), "employees": raw.get("employees"),
        "contact_name": raw.get("contact_name"), "contact_email": raw.get("contact_email"),
        "contact_phone": raw.get("contact_phone"),
    })
    errors = {("company_name" if key == "name" else key): message
              for key, message in cleaned.errors.items()}
    values = cleaned.values
    for field in ("contact_name", "contact_email"):
        if field not in errors and not values.get(field):
            errors[field] = _l("is required")
    if raw.get("channel") not in {channel.value for channel in Channel}:
        errors["channel"] = _l("choose how you heard of the project")
    if not raw.get("consent"):
        errors["consent"] = _l("the consent is needed to process the application")
    if errors:
        raise FieldProblems(errors)
    return values


def submit_application(db_session: Session, project: Project, raw: dict,
                       now: datetime | None = None) -> tuple[Application, bool]:
    """Record an SME's application to `project` from the public form; flushed.

    A second application with the same CUI joins the first (the new contact is noted on it):
    the answer is (application, joined). FieldProblems when a field is bad (nothing stored).
    Never creates a user account.
    """
    values = _clean(raw)
    now = now or utcnow()
    contact = {"name": values["contact_name"], "email": values["contact_email"],
               "phone": values.get("contact_phone", ""), "channel": raw["channel"],
               "at": now.isoformat()}
    existing = _application_of(db_session, project, values["cui"])
    if existing is None:
        application = Application(
            project=project, cui=values["cui"], company_name=values["name"],
            caen=values["caen"], county=values["county"], employees=values.get("employees"),
            contact_name=values["contact_name"], contact_email=values["contact_email"],
            contact_phone=values.get("contact_phone", ""), channel=raw["channel"],
            consent_at=now, extra_contacts=[])
        try:
            with db_session.begin_nested():
                db_session.add(application)
                db_session.flush()
            return application, False
        except IntegrityError:  # the same CUI arrived at the same moment: join it
            pass
    # locked: two contacts joining at the same moment are both noted
    existing = _application_of(db_session, project, values["cui"], lock=True)
    known = {existing.contact_email} | {extra["email"] for extra in existing.extra_contacts}
    if contact["email"] not in known:
        existing.extra_contacts = [*existing.extra_contacts, contact]
        db_session.flush()
    return existing, True


def _application_of(db_session: Session, project: Project, cui: str,
                    lock: bool = False) -> Application | None:
    stmt = select(Application).where(Application.project_id == project.id,
                                     Application.cui == cui)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return db_session.scalar(stmt)


def application_list(user, status: str | None = ApplicationStatus.PENDING.value) -> Select:
    """The applications to the projects `user` works on, oldest first (the queue's order)."""
    stmt = scoped(select(Application), Application, user).options(
        joinedload(Application.project)).order_by(Application.created_at, Application.id)
    if status:
        stmt = stmt.where(Application.status == status)
    return stmt


def pending_count(db_session: Session, user) -> int:
    """How many applications wait for `user`'s decision (the menu's badge, on every page): a
    Core count on the session's connection (a third of the ORM's cost), after the flush the
    ORM would do, so the session's own changes count."""
    db_session.flush()
    return db_session.connection().scalar(
        _pending_count_statement(user.role, user.id, user.enterprise_id)) or 0


@lru_cache(maxsize=2048)
def _pending_count_statement(role, user_id: int, enterprise_id: int | None) -> Select:
    """The badge's count, built once per user (it holds only their id, role and enterprise): a
    statement used again keeps its SQL cache key, which took longer to make than the count
    takes to run (docs/performance.md)."""
    user = SimpleNamespace(id=user_id, role=role, enterprise_id=enterprise_id)
    return scoped(select(func.count(Application.id)).where(
        Application.status == ApplicationStatus.PENDING.value), Application, user)


def _check_pending(application: Application) -> None:
    if application.status != ApplicationStatus.PENDING:
        raise Problems([_l("The application was already decided.")])


def accept_application(db_session: Session, application: Application, *, by: User,
                       now: datetime | None = None) -> Application:
    """Accept: the enterprise is found by CUI or created from the application, and the contact
    is invited as its SME user (unless the address has an account already); flushed and
    audited, the invitation e-mail leaves when the caller commits."""
    from trainhub.auth.invitations import invite
    from trainhub.auth.services import find_user

    _check_pending(application)
    now = now or utcnow()
    enterprise = db_session.scalar(select(Enterprise).where(Enterprise.cui == application.cui))
    if enterprise is None:
        enterprise = save_enterprise(db_session, None, {
            "cui": application.cui, "name": application.company_name, "caen": application.caen,
            "county": application.county, "employees": application.employees,
            "contact_name": application.contact_name,
            "contact_email": application.contact_email,
            "contact_phone": application.contact_phone})
    application.enterprise = enterprise
    application.status = ApplicationStatus.ACCEPTED.value
    application.decided_at, application.decided_by_id = now, by.id
    db_session.flush()
    if find_user(application.contact_email) is None:
        application.invitation = invite(
            db_session, email=application.contact_email, role="sme", invited_by=by,
            enterprise=enterprise, project=application.project,
            full_name=application.contact_name, now=now)
        db_session.flush()
    record(db_session, "application.accept", application,
           {"enterprise_id": enterprise.id, "invitation_id": application.invitation_id},
           user_id=by.id)
    return application


def decline_application(db_session: Session, application: Application, reason: str, *,
                        by: User, now: datetime | None = None) -> Application:
    """Decline with a reason, which is e-mailed to the contact once the caller commits;
    flushed and audited. Problems when the reason is missing or too long."""
    from trainhub.auth.services import send_mail_after_commit

    _check_pending(application)
    try:
        reason = bounded_text(REASON_MAX_LENGTH)(reason)
    except CellError as error:
        raise Problems([str(error)]) from None
    if not reason:
        raise Problems([_l("Say why the application is declined.")])
    application.status = ApplicationStatus.DECLINED.value
    application.decline_reason = reason
    application.decided_at, application.decided_by_id = now or utcnow(), by.id
    db_session.flush()
    record(db_session, "application.decline", application, {"reason": reason}, user_id=by.id)
    config = current_app.config
    with force_locale(config["BABEL_DEFAULT_LOCALE"]):
        subject = _("Your application to project %(code)s", code=application.project.code)
        body = _("Hello %(name)s,\n\nThe application of %(company)s to project %(code)s "
                 "(%(title)s) was not accepted, for this reason:\n\n%(reason)s\n\n"
                 "Thank you for your interest.",
                 name=application.contact_name, company=application.company_name,
                 code=application.project.code, title=application.project.title, reason=reason)
    send_mail_after_commit(db_session, config, application.contact_email, subject, body)
    return application


#: the stages of the recruitment funnel, in order
FUNNEL_STAGES = ("applied", "accepted", "registered", "eligible", "enrolled", "completed")


@dataclass
class FunnelRow:
    channel: str
    applied: int = 0
    accepted: int = 0
    registered: int = 0
    eligible: int = 0
    enrolled: int = 0
    completed: int = 0

    def stage(self, name: str) -> int:
        return getattr(self, name)


def recruitment_funnel(db_session: Session, user) -> list[FunnelRow]:
    """Per channel, over the projects `user` works on: SMEs that applied, were accepted, and
    their employees registered, eligible in that project, enrolled (in a cohort, not waiting)
    and completed. One query, whatever the numbers."""
    accepted = Application.status == ApplicationStatus.ACCEPTED.value
    reached = Enrollment.status != EnrollmentStatus.WAITING.value
    stmt = (
        select(Application.channel,
               func.count(distinct(Application.id)),
               func.count(distinct(case((accepted, Application.id)))),
               func.count(distinct(Participant.id)),
               func.count(distinct(case(
                   (Membership.eligibility_status == Eligibility.ELIGIBLE.value,
                    Membership.id)))),
               func.count(distinct(case((reached, Enrollment.membership_id)))),
               func.count(distinct(case(
                   (Enrollment.status == EnrollmentStatus.COMPLETED.value,
                    Enrollment.membership_id)))))
        .outerjoin(Participant, and_(accepted,
                                     Participant.enterprise_id == Application.enterprise_id))
        .outerjoin(Membership, and_(Membership.participant_id == Participant.id,
                                    Membership.project_id == Application.project_id))
        .outerjoin(Enrollment, Enrollment.membership_id == Membership.id)
        .group_by(Application.channel)
    )
    counts = {row[0]: row[1:] for row in db_session.execute(scoped(stmt, Application, user))}
    return [FunnelRow(channel.value, *counts.get(channel.value, (0,) * 6)) for channel in Channel]
