"""Login, logout, language choice, the user's API tokens and the admin's user pages."""
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from trainhub.auth.forms import (
    ApiTokenForm,
    LanguageForm,
    LoginForm,
    RevokeTokenForm,
    UserActiveForm,
    UserForm,
)
from trainhub.auth.models import User
from trainhub.auth.permissions import login_required, permission_required, public
from trainhub.auth.services import (
    UserError,
    authenticate,
    create_user,
    issue_token,
    own_token,
    revoke_token,
    tokens_of,
)
from trainhub.core.pagination import paginate
from trainhub.extensions import db, limiter

bp = Blueprint("auth", __name__)


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_account_key() -> str:
    return "login-account:" + request.form.get("email", "").strip().lower()


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
@limiter.limit(_login_rate_limit, methods=["POST"], key_func=_login_account_key)
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            flash(_("Wrong e-mail or password, or the account is disabled."), "danger")
        else:
            chosen_locale = session.get("locale")
            session.clear()  # a fresh session on login: no fixation
            if chosen_locale and not user.locale:
                session["locale"] = chosen_locale
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    locale = current_user.locale
    logout_user()
    session.clear()
    session["locale"] = locale  # the login page stays in the language the user reads
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
@public
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/admin/users")
@permission_required("users.read")
def users():
    page = paginate(select(User).options(joinedload(User.enterprise)).order_by(User.email))
    return render_template("auth/users.html", page=page, active_form=UserActiveForm())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@permission_required("users.write")
def user_new():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = create_user(form.email.data, form.password.data, form.role.data,
                               form.enterprise_cui.data or None, full_name=form.full_name.data or "")
        except UserError as error:
            form.email.errors.append(str(error))
        else:
            flash(_("User %(email)s created.", email=user.email), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form)


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@permission_required("users.write")
def user_set_active(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserActiveForm()
    if form.validate_on_submit():
        if user.id == current_user.id and not form.active.data:
            flash(_("You cannot disable your own account."), "danger")
        else:
            user.active = form.active.data
            db.session.commit()
            flash(_("User %(email)s updated.", email=user.email), "success")
    return redirect(url_for("auth.users"))


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = ApiTokenForm()
    secret = None
    if form.validate_on_submit():
        token, secret = issue_token(db.session, current_user, form.name.data)
        flash(_("Token %(name)s created. Copy it now: it will not be shown again.",
                name=token.name), "success")
        form = ApiTokenForm(formdata=None)
    # The secret is rendered in this response only, never stored in the session or a flash.
    return render_template("auth/tokens.html", form=form, secret=secret,
                           tokens=tokens_of(db.session, current_user),
                           revoke_form=RevokeTokenForm())


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def token_revoke(token_id: int):
    token = own_token(db.session, current_user, token_id)
    if token is None:
        abort(404)
    if RevokeTokenForm().validate_on_submit():
        revoke_token(db.session, token)
        flash(_("Token %(name)s revoked.", name=token.name), "success")
    return redirect(url_for("auth.tokens"))
