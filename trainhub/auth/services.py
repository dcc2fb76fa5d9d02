"""Authentication and user management rules, independent of the request."""
from flask import current_app, has_request_context, session
from flask_login import current_user
from sqlalchemy import func, select

from trainhub.auth.models import Locale, Role, User
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
