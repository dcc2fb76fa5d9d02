"""Invitations by e-mail (DESIGN §14): who may invite whom, the single-use link, resend, revoke
and accepting it, which creates the account."""
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session, joinedload

from trainhub.audit.services import record
from trainhub.auth.models import Invitation, Locale, Role, User
from trainhub.auth.services import (
    _token_hash,
    find_user,
    password_problem,
    send_mail_after_commit,
)
from trainhub.core.cleaning import email_address
from trainhub.core.errors import Problems
from trainhub.core.models import utcnow
from trainhub.enterprises.models import Enterprise
from trainhub.imports.services import CellError
from trainhub.programme.models import Project

#: how long a link stays valid
INVITATION_DAYS = 7
#: the path of the link; the secret follows it (the route `auth.invitation_page`)
INVITATION_PATH = "/invitation/"


class NotAllowed(Problems):
    """The acting user may not send this invitation (or change this one)."""


def invitable_roles(user) -> list[str]:
    """The roles `user` may invite: admins coordinators (and the others), coordinators SME
    contacts and trainers; nobody else invites."""
    if user.role == Role.ADMIN:
        return [Role.COORDINATOR.value, Role.TRAINER.value, Role.SME.value]
    if user.role == Role.COORDINATOR:
        return [Role.TRAINER.value, Role.SME.value]
    return []


def _accepted_into(db_session: Session, enterprise: Enterprise, project: Project | None) -> bool:
    """Whether `project` accepted the enterprise's application: its team then invites the
    contact even when the enterprise already takes part in another project."""
    from trainhub.applications.models import Application, ApplicationStatus

    return project is not None and db_session.scalar(select(Application.id).where(
        Application.enterprise_id == enterprise.id, Application.project_id == project.id,
        Application.status == ApplicationStatus.ACCEPTED.value)) is not None


def _check_may_invite(db_session: Session, user, role: str, enterprise: Enterprise | None,
                      project: Project | None) -> None:
    from trainhub.auth.scoping import visible_condition
    from trainhub.programme.services import may_manage_team

    if role not in invitable_roles(user):
        raise NotAllowed([_l("You may not invite this role.")])
    if role == Role.SME:
        if enterprise is None:
            raise Problems([_l("An SME contact is invited for an enterprise.")])
        seen = db_session.scalar(select(Enterprise.id).where(
            Enterprise.id == enterprise.id, visible_condition(Enterprise, user)))
        if seen is None and not _accepted_into(db_session, enterprise, project):
            raise NotAllowed([_l("You may not invite for this enterprise.")])
    elif project is None:
        raise Problems([_l("A coordinator or trainer is invited onto a project.")])
    if project is not None and not may_manage_team(user, project):
        raise NotAllowed([_l("You may not invite onto this project.")])


def _send(db_session: Session, invitation: Invitation, secret: str) -> None:
    """Queue the e-mail with the link; it leaves once the caller commits."""
    from trainhub.core.labels import ROLE_LABELS

    config = current_app.config
    link = config["BASE_URL"].rstrip("/") + INVITATION_PATH + secret
    inviter = invitation.invited_by
    with force_locale(config["BABEL_DEFAULT_LOCALE"]):
        where = invitation.enterprise.name if invitation.enterprise is not None else ""
        if invitation.project is not None:
            where = (where + " · " if where else "") + invitation.project.code
        subject = _("TrainHub: you are invited")
        body = _("%(inviter)s invites you to TrainHub as %(role)s (%(where)s).\n\n"
                 "Open this link within %(days)s days to set your password:\n%(link)s\n\n"
                 "The link works once. If you did not expect this message, ignore it.",
                 inviter=(inviter.full_name or inviter.email) if inviter else "TrainHub",
                 role=str(ROLE_LABELS[Role(invitation.role)]).lower(), where=where,
                 days=INVITATION_DAYS, link=link)
    send_mail_after_commit(db_session, config, invitation.email, subject, body)


def _new_secret(invitation: Invitation, now: datetime) -> str:
    secret = secrets.token_urlsafe(32)
    invitation.token_hash = _token_hash(secret)
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=INVITATION_DAYS)
    return secret


def invite(db_session: Session, *, email: str, role: str, invited_by: User,
           enterprise: Enterprise | None = None, project: Project | None = None,
           full_name: str = "", now: datetime | None = None) -> Invitation:
    """Invite `email` to join with `role` (an SME contact for `enterprise`, a coordinator or
    trainer onto `project`'s team); flushed and audited. The e-mail with the link is queued and
    leaves when the caller commits.

    NotAllowed when `invited_by` may not send it; Problems when the address is not one, already
    has an account or a waiting invitation (nothing is sent then).
    """
    _check_may_invite(db_session, invited_by, role, enterprise, project)
    try:
        email = email_address(email)
    except CellError as error:
        raise Problems([str(error)]) from None
    if find_user(email) is not None:
        raise Problems([_l("An account with this e-mail address already exists; "
                           "no invitation was sent.")])
    now = now or utcnow()
    waiting = db_session.scalars(select(Invitation).where(
        Invitation.email == email, Invitation.used_at.is_(None),
        Invitation.revoked_at.is_(None)))
    if any(other.status(now) == "pending" for other in waiting):
        raise Problems([_l("This address already has a waiting invitation; resend that one.")])
    invitation = Invitation(email=email, role=role, full_name=(full_name or "").strip()[:200],
                            enterprise=enterprise if role == Role.SME else None,
                            project=project, invited_by=invited_by, created_at=now)
    secret = _new_secret(invitation, now)
    db_session.add(invitation)
    db_session.flush()
    record(db_session, "invitation.invite", invitation,
           {"email": email, "role": role, "enterprise_id": invitation.enterprise_id,
            "project_id": invitation.project_id}, user_id=invited_by.id)
    _send(db_session, invitation, secret)
    return invitation


def visible_invitations(user):
    """The invitations `user` sees: all for admins; for coordinators those onto their
    projects' teams and those they sent; none for anyone else."""
    from trainhub.auth.scoping import team_projects

    if user.role == Role.ADMIN:
        return Invitation.id.is_not(None)
    if user.role == Role.COORDINATOR:
        return or_(Invitation.project_id.in_(team_projects(user)),
                   Invitation.invited_by_id == user.id)
    return false()


def invitation_list(user) -> Select:
    """The invitations `user` sees, newest first, with what each row shows loaded alongside."""
    return (select(Invitation).where(visible_invitations(user))
            .options(joinedload(Invitation.enterprise), joinedload(Invitation.project),
                     joinedload(Invitation.invited_by))
            .order_by(Invitation.created_at.desc(), Invitation.id.desc()))


def _check_may_change(invitation: Invitation, user) -> None:
    """Only who may send an invitation of that role resends or revokes it (a coordinator sees
    the admin's invitation of a coordinator onto its project, and leaves it alone)."""
    if invitation.role not in invitable_roles(user):
        raise NotAllowed([_l("You may not invite this role.")])


def resend(db_session: Session, invitation: Invitation, *, by: User,
           now: datetime | None = None) -> Invitation:
    """A new link for a waiting or expired invitation (the old link dies); audited."""
    _check_may_change(invitation, by)
    now = now or utcnow()
    if invitation.status(now) in ("used", "revoked"):
        raise Problems([_l("An accepted or revoked invitation cannot be sent again.")])
    if find_user(invitation.email) is not None:
        raise Problems([_l("An account with this e-mail address already exists; "
                           "no invitation was sent.")])
    secret = _new_secret(invitation, now)
    db_session.flush()
    record(db_session, "invitation.resend", invitation, {"email": invitation.email},
           user_id=by.id)
    _send(db_session, invitation, secret)
    return invitation


def revoke(db_session: Session, invitation: Invitation, *, by: User,
           now: datetime | None = None) -> Invitation:
    """Withdraw an invitation not yet accepted: its link never works again; audited."""
    _check_may_change(invitation, by)
    if invitation.used_at is not None:
        raise Problems([_l("The invitation was already accepted.")])
    if invitation.revoked_at is None:
        invitation.revoked_at = now or utcnow()
        db_session.flush()
        record(db_session, "invitation.revoke", invitation, {"email": invitation.email},
               user_id=by.id)
    return invitation


def valid_invitation(db_session: Session, secret: str,
                     now: datetime | None = None) -> Invitation | None:
    """The waiting (unused, unrevoked, unexpired) invitation of this secret; None otherwise."""
    if not secret or len(secret) > 200:
        return None
    invitation = db_session.scalar(select(Invitation).where(
        Invitation.token_hash == _token_hash(secret)))
    if invitation is None or invitation.status(now) != "pending":
        return None
    return invitation


def accept(db_session: Session, secret: str, password: str, *, full_name: str = "",
           now: datetime | None = None) -> User:
    """Create the invited account with the chosen password: its role, enterprise and place
    on the project's team as the invitation names; the link is used up; flushed and audited.

    Problems when the link is no longer valid, the password is refused or the address got an
    account meanwhile.
    """
    from trainhub.programme.services import add_team_member

    now = now or utcnow()
    invitation = valid_invitation(db_session, secret, now)
    if invitation is None:
        raise Problems([_l("The invitation link is invalid, already used or expired.")])
    problem = password_problem(password, invitation.email)
    if problem:
        raise Problems([problem])
    if find_user(invitation.email) is not None:
        raise Problems([_l("An account with this e-mail address already exists; log in.")])
    user = User(email=invitation.email, role=invitation.role,
                full_name=(full_name or invitation.full_name).strip()[:200],
                enterprise_id=invitation.enterprise_id, locale=Locale.RO.value, active=True,
                last_login_at=now)
    user.set_password(password, current_app.config.get("PASSWORD_HASH_METHOD"))
    db_session.add(user)
    db_session.flush()
    if invitation.role in (Role.COORDINATOR, Role.TRAINER):
        add_team_member(db_session, invitation.project, user, user_id=user.id)
    invitation.used_at, invitation.user = now, user
    db_session.flush()
    record(db_session, "invitation.accept", invitation,
           {"email": invitation.email, "user_id": user.id}, user_id=user.id)
    return user
