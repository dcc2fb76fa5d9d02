"""Authentication and user management rules, independent of the request."""
import hashlib
import logging
import secrets
import threading
from datetime import UTC, datetime, timedelta

from flask import current_app, has_request_context, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from trainhub.auth.models import ApiToken, Locale, PasswordResetToken, Role, User
from trainhub.core.models import utcnow
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db

log = logging.getLogger(__name__)


class UserError(ValueError):
    """A user could not be created or changed; str() says why."""


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without their (UTC) zone."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def load_user(session_user_id: str) -> User | None:
    """The active user a session (or remember-me cookie) names as `id:session_version`; None
    once the version moved on (see `end_sessions`) or for any other shape."""
    user_id, _sep, version = session_user_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or (user.session_version or 1) != int(version):
        return None
    return user


#: the shortest password accepted
PASSWORD_MIN_LENGTH = 10


def password_problem(password: str, email: str = "") -> str | None:
    """Why `password` is not acceptable for the account `email`, or None when it is."""
    from flask_babel import gettext as _
    from flask_babel import ngettext

    if len(password) < PASSWORD_MIN_LENGTH:
        return ngettext("The password must have at least %(num)s character.",
                        "The password must have at least %(num)s characters.", PASSWORD_MIN_LENGTH)
    if password.isdigit():
        return _("The password must not be only digits.")
    email = email.strip().lower()
    if email and (password.strip().lower() == email
                  or password.strip().lower() == email.partition("@")[0]):
        return _("The password must not be the e-mail address.")
    return None


def end_sessions(user: User) -> None:
    """Log `user` out of every browser (the caller commits): each session cookie and
    remember-me cookie carries the version it was issued with, and `load_user` refuses an old
    one. Logout, "log out everywhere", a password change or reset and deactivation call this;
    API tokens are separate credentials and are revoked one by one."""
    user.session_version = (user.session_version or 1) + 1


def log_out_everywhere(db_session: Session, user: User) -> None:
    """End every session of `user`, this browser's included. A cookie session cannot be told
    apart from its copies, so logging out in one browser ends the others too."""
    end_sessions(user)
    db_session.commit()


def set_active(user: User, active: bool) -> None:
    """Deactivate (which ends the user's sessions) or reactivate (which also unlocks)."""
    if not active and user.active:
        end_sessions(user)
    if active:
        user.locked_until = None
        user.failed_login_count = 0
        user.first_failed_login_at = None
    user.active = active
    db.session.commit()


def is_locked(user: User, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return user.locked_until is not None and _aware(user.locked_until) > now


def record_failed_login(user: User, now: datetime | None = None) -> None:
    """Count a failed login; LOCKOUT_THRESHOLD of them within the window lock the account."""
    config = current_app.config
    now = now or utcnow()
    window = timedelta(minutes=config["LOCKOUT_WINDOW_MINUTES"])
    first = _aware(user.first_failed_login_at)
    if first is None or now - first > window:
        user.first_failed_login_at, user.failed_login_count = now, 0
    user.failed_login_count = (user.failed_login_count or 0) + 1
    if user.failed_login_count >= config["LOCKOUT_THRESHOLD"]:
        user.locked_until = now + timedelta(minutes=config["LOCKOUT_MINUTES"])
        user.failed_login_count, user.first_failed_login_at = 0, None
        log.warning("account %s locked after repeated failed logins", user.email)
    db.session.commit()


def select_locale() -> str:
    """The user's remembered language, else the one chosen this session, else Romanian.

    Outside a request (CLI, scheduled jobs, tests of services) messages stay in English, the
    source language; a job writing to a person uses flask_babel.force_locale.
    """
    if not has_request_context():
        return "en"
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    return session.get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def authenticate(email: str, password: str, now: datetime | None = None) -> User | None:
    """The user when the email, password and active flag are all right and the account is not
    locked; None otherwise. A wrong password counts towards the lock-out.

    The caller shows one generic message for every failure so nobody learns which part failed.
    """
    now = now or utcnow()
    user = find_user(email)
    if user is None:
        # Spend the same time as a real check, so timing does not reveal unknown accounts.
        User(password_hash="").set_password(password, current_app.config.get("PASSWORD_HASH_METHOD"))
        return None
    if not user.check_password(password):
        record_failed_login(user, now)
        return None
    if not user.active or is_locked(user, now):
        return None
    user.last_login_at = now
    user.failed_login_count, user.first_failed_login_at, user.locked_until = 0, None, None
    db.session.commit()
    return user


class WrongPassword(UserError):
    """The current password given to confirm a change is wrong (or the account is locked)."""


def change_password(db_session: Session, user: User, current_password: str, new_password: str,
                    now: datetime | None = None) -> None:
    """Set a new password for `user`, who confirms the current one; a wrong current password
    counts towards the lock-out like a failed login. Every session of the user ends: the
    caller signs its own browser in again with the new version."""
    from flask_babel import gettext as _

    now = now or utcnow()
    if is_locked(user, now):
        raise WrongPassword(_("The account is locked after failed logins; try again later."))
    if not user.check_password(current_password):
        record_failed_login(user, now)
        raise WrongPassword(_("The current password is wrong."))
    problem = password_problem(new_password, user.email)
    if problem:
        raise UserError(problem)
    user.set_password(new_password, current_app.config.get("PASSWORD_HASH_METHOD"))
    end_sessions(user)
    db_session.commit()


def create_user(email: str, password: str, role: str, enterprise_cui: str | None = None,
                full_name: str = "", locale: str = Locale.RO.value) -> User:
    """A new active user; UserError when the data cannot make a valid account."""
    email = email.strip().lower()
    if "@" not in email:
        raise UserError(_l("not an e-mail address: %(email)s", email=repr(email)))
    if role not in {r.value for r in Role}:
        raise UserError(_l("role must be one of %(roles)s",
                           roles=", ".join(r.value for r in Role)))
    if find_user(email) is not None:
        raise UserError(_l("a user with e-mail %(email)s already exists", email=email))
    problem = password_problem(password, email)
    if problem:
        raise UserError(problem)
    enterprise = None
    if role == Role.SME:
        if not enterprise_cui:
            raise UserError(_l("an SME user needs --enterprise CUI"))
        from trainhub.core.identifiers import InvalidIdentifier, normalise_cui

        try:
            cui = normalise_cui(enterprise_cui)
        except InvalidIdentifier as error:
            raise UserError(str(error)) from None
        enterprise = db.session.scalar(select(Enterprise).where(Enterprise.cui == cui))
        if enterprise is None:
            raise UserError(_l("no enterprise with CUI %(cui)s", cui=cui))
    user = User(email=email, role=role, full_name=full_name, locale=locale,
                enterprise=enterprise, active=True)
    user.set_password(password, current_app.config.get("PASSWORD_HASH_METHOD"))
    db.session.add(user)
    db.session.commit()
    return user


def count_users_by_role() -> dict[str, int]:
    rows = db.session.execute(select(User.role, func.count()).group_by(User.role))
    return dict(rows.all())


#: how many leading characters of a token are kept in clear to tell tokens apart
TOKEN_PREFIX_LENGTH = 8


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(db_session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new API token for `user` and its secret, which the caller shows once and forgets."""
    name = name.strip()
    if not name:
        raise UserError(_l("a token needs a name"))
    secret = secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name[:100], token_hash=_token_hash(secret),
                     prefix=secret[:TOKEN_PREFIX_LENGTH])
    db_session.add(token)
    db_session.commit()
    return token, secret


def tokens_of(db_session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included (they show when they stopped)."""
    return list(db_session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def own_token(db_session: Session, user: User, token_id: int) -> ApiToken | None:
    """The token with that id when it belongs to `user`; None for anyone else's."""
    return db_session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))


def revoke_token(db_session: Session, token: ApiToken) -> None:
    """Stop `token` from authenticating; revoking twice keeps the first date."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db_session.commit()


def user_for_token(db_session: Session, secret: str) -> User | None:
    """The active user owning this unrevoked token secret; None for anything else."""
    if not secret:
        return None
    token = db_session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _token_hash(secret),
                               ApiToken.revoked_at.is_(None)))
    if token is None or not token.user.active:
        return None
    # A bulk UPDATE rather than an ORM change: the audit trail records ORM changes, and one
    # entry per API call would bury the entries that matter.
    db_session.execute(update(ApiToken).where(ApiToken.id == token.id)
                       .values(last_used_at=utcnow()).execution_options(synchronize_session=False))
    db_session.commit()
    return token.user


# --- password reset by e-mail -----------------------------------------------------------------

def request_password_reset(db_session: Session, email: str,
                           now: datetime | None = None) -> tuple[User, str] | None:
    """A reset token for the active account `email` and its secret (for the link), or None
    when there is no such account; the caller answers the same either way."""
    user = find_user(email)
    if user is None or not user.active:
        return None
    now = now or utcnow()
    secret = secrets.token_urlsafe(32)
    db_session.add(PasswordResetToken(
        user=user, token_hash=_token_hash(secret), created_at=now,
        expires_at=now + timedelta(seconds=current_app.config["PASSWORD_RESET_MAX_AGE"])))
    db_session.commit()
    return user, secret


def valid_reset_token(db_session: Session, secret: str,
                      now: datetime | None = None) -> PasswordResetToken | None:
    """The unused, unexpired token of an active user for this secret; None otherwise."""
    if not secret:
        return None
    token = db_session.scalar(select(PasswordResetToken).where(
        PasswordResetToken.token_hash == _token_hash(secret)))
    now = now or utcnow()
    if (token is None or token.used_at is not None or _aware(token.expires_at) <= now
            or not token.user.active):
        return None
    return token


def reset_password(db_session: Session, secret: str, password: str,
                   now: datetime | None = None) -> User:
    """Set the new password through the link's secret; the link (and every other outstanding
    link of the user) is used up, the user's sessions end and the lock-out is lifted."""
    from flask_babel import gettext as _

    now = now or utcnow()
    token = valid_reset_token(db_session, secret, now)
    if token is None:
        raise UserError(_("The link is invalid, already used or expired."))
    user = token.user
    problem = password_problem(password, user.email)
    if problem:
        raise UserError(problem)
    db_session.execute(update(PasswordResetToken)
                       .where(PasswordResetToken.user_id == user.id,
                              PasswordResetToken.used_at.is_(None))
                       .values(used_at=now).execution_options(synchronize_session=False))
    user.set_password(password, current_app.config.get("PASSWORD_HASH_METHOD"))
    end_sessions(user)
    user.locked_until, user.failed_login_count, user.first_failed_login_at = None, 0, None
    db_session.commit()
    return user


def send_mail_in_background(config, to: str, subject: str, body: str) -> threading.Thread:
    """Hand one message to SMTP in a thread, so the request never waits on the mail server;
    a failure is logged (by the Mailer) and not retried."""
    from trainhub.mail import Mailer, MailError

    mailer = Mailer.from_config(config)

    def send() -> None:
        try:
            with mailer:
                mailer.send(to, subject, body)
        except MailError:
            pass  # already logged with the address and the server's answer

    thread = threading.Thread(target=send, name="trainhub-mail", daemon=True)
    thread.start()
    return thread


#: session.info key of the messages waiting for the session's commit
_MAIL_AFTER_COMMIT = "trainhub_mail_after_commit"


def send_mail_after_commit(db_session: Session, config, to: str, subject: str,
                           body: str) -> None:
    """Send one message (in the background) once `db_session` commits, so a link in it is
    never mailed for a change that was rolled back; a rollback drops the message."""
    db_session.info.setdefault(_MAIL_AFTER_COMMIT, []).append((config, to, subject, body))


@event.listens_for(Session, "after_commit")
def _send_queued_mail(session: Session) -> None:
    for config, to, subject, body in session.info.pop(_MAIL_AFTER_COMMIT, []):
        send_mail_in_background(config, to, subject, body)


@event.listens_for(Session, "after_rollback")
def _drop_queued_mail(session: Session) -> None:
    session.info.pop(_MAIL_AFTER_COMMIT, None)
