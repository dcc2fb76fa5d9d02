"""Authentication and user management rules, independent of the request."""
import hashlib
import secrets

from flask import current_app, has_request_context, session
from flask_login import current_user
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from trainhub.auth.models import ApiToken, Locale, Role, User
from trainhub.core.models import utcnow
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db


class UserError(ValueError):
    """A user could not be created or changed; str() says why."""


def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


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


def authenticate(email: str, password: str) -> User | None:
    """The user when the email, password and active flag are all right; None otherwise.

    The caller shows one generic message for every failure so nobody learns which part failed.
    """
    user = find_user(email)
    if user is None:
        # Spend the same time as a real check, so timing does not reveal unknown accounts.
        User(password_hash="").set_password(password, current_app.config.get("PASSWORD_HASH_METHOD"))
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def create_user(email: str, password: str, role: str, enterprise_cui: str | None = None,
                full_name: str = "", locale: str = Locale.RO.value) -> User:
    """A new active user; UserError when the data cannot make a valid account."""
    email = email.strip().lower()
    if "@" not in email:
        raise UserError(f"not an e-mail address: {email!r}")
    if role not in {r.value for r in Role}:
        raise UserError(f"role must be one of {', '.join(r.value for r in Role)}")
    if find_user(email) is not None:
        raise UserError(f"a user with e-mail {email} already exists")
    if len(password) < 8:
        raise UserError("password must have at least 8 characters")
    enterprise = None
    if role == Role.SME:
        if not enterprise_cui:
            raise UserError("an SME user needs --enterprise CUI")
        from trainhub.core.identifiers import InvalidIdentifier, normalise_cui

        try:
            cui = normalise_cui(enterprise_cui)
        except InvalidIdentifier as error:
            raise UserError(str(error)) from None
        enterprise = db.session.scalar(select(Enterprise).where(Enterprise.cui == cui))
        if enterprise is None:
            raise UserError(f"no enterprise with CUI {cui}")
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
        raise UserError("a token needs a name")
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
