"""Login, logout, the own account page (password, log out everywhere), password reset,
language choice, API tokens, the admin's user pages and invitations by e-mail."""
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
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from trainhub.auth import invitations
from trainhub.auth.forms import (
    AcceptInvitationForm,
    ApiTokenForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    InvitationActionForm,
    InvitationForm,
    LanguageForm,
    LoginForm,
    ResetPasswordForm,
    RevokeTokenForm,
    UserActiveForm,
    UserForm,
)
from trainhub.auth.models import Invitation, Role, User
from trainhub.auth.permissions import login_required, permission_required, public
from trainhub.auth.scoping import scoped
from trainhub.auth.services import (
    UserError,
    WrongPassword,
    authenticate,
    change_password,
    create_user,
    is_locked,
    issue_token,
    log_out_everywhere,
    own_token,
    request_password_reset,
    reset_password,
    revoke_token,
    send_mail_in_background,
    set_active,
    tokens_of,
    valid_reset_token,
)
from trainhub.core.bounds import MAX_ID
from trainhub.core.errors import Problems
from trainhub.core.identifiers import InvalidIdentifier, normalise_cui
from trainhub.core.models import utcnow
from trainhub.core.pagination import paginate
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db, limiter
from trainhub.programme.models import Project

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


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
@limiter.limit(_login_rate_limit, methods=["POST"], key_func=_login_account_key)
@public
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        issued = request_password_reset(db.session, form.email.data)
        if issued is not None:
            user, secret = issued
            link = (current_app.config["BASE_URL"].rstrip("/")
                    + url_for("auth.reset_password_page", token=secret))
            hours = current_app.config["PASSWORD_RESET_MAX_AGE"] // 3600 or 1
            with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
                subject = _("TrainHub: set a new password")
                body = _("Someone (hopefully you) asked to set a new password for %(email)s.\n\n"
                         "Open this link within %(hours)s hour(s) to choose it:\n%(link)s\n\n"
                         "If it was not you, ignore this message: your password stays as it is.",
                         email=user.email, hours=hours, link=link)
            send_mail_in_background(current_app.config, user.email, subject, body)
        # The same answer whether or not the account exists.
        flash(_("If an account with that e-mail exists, a link to set a new password is on "
                "its way."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password_page(token: str):
    reset = valid_reset_token(db.session, token)
    if reset is None:
        return render_template("auth/reset_password.html", form=None)
    form = ResetPasswordForm(account_email=reset.user.email)
    if form.validate_on_submit():
        try:
            reset_password(db.session, token, form.password.data)
        except UserError as error:
            form.password.errors.append(str(error))
        else:
            flash(_("Your password was changed. Log in with the new one."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


def _log_out(message: str):
    """End every session of the current user (copies of this cookie included) and go to the
    login page, which stays in the language the user reads."""
    locale = current_user.locale
    log_out_everywhere(db.session, current_user._get_current_object())
    logout_user()
    session.clear()
    session["locale"] = locale
    flash(message, "info")
    return redirect(url_for("auth.login"))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    return _log_out(_("You have logged out."))


@bp.route("/account", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
@login_required
def account():
    user = current_user._get_current_object()
    form = ChangePasswordForm(account_email=user.email)
    if form.validate_on_submit():
        try:
            change_password(db.session, user, form.current_password.data, form.password.data)
        except WrongPassword as error:
            form.current_password.errors.append(str(error))
        except UserError as error:
            form.password.errors.append(str(error))
        else:
            login_user(user)  # this browser goes on with the new session version
            flash(_("The password was changed. Your other sessions have ended."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)


@bp.route("/account/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    return _log_out(_("You have logged out on every device."))


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
    return render_template("auth/users.html", page=page, active_form=UserActiveForm(),
                           is_locked=is_locked)


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
            set_active(user, form.active.data)
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


# --- invitations by e-mail (DESIGN §14) ---------------------------------------------------------

def _visible_invitation_or_404(invitation_id: int) -> Invitation:
    if not 0 < invitation_id <= MAX_ID:
        abort(404)
    invitation = db.session.scalar(select(Invitation).where(
        Invitation.id == invitation_id, invitations.visible_invitations(current_user)))
    if invitation is None:
        abort(404)
    return invitation


@bp.route("/invitations")
@permission_required("users.invite")
def invitation_list():
    page = paginate(invitations.invitation_list(current_user))
    return render_template("auth/invitations.html", page=page, action_form=InvitationActionForm(),
                           now=utcnow(), changeable=invitations.invitable_roles(current_user))


def _inviter_projects() -> list[Project]:
    return list(db.session.scalars(scoped(select(Project), Project, current_user)
                                   .order_by(Project.code)))


@bp.route("/invitations/new", methods=["GET", "POST"])
@permission_required("users.invite")
def invitation_new():
    from trainhub.core.labels import ROLE_LABELS

    form = InvitationForm()
    form.role.choices = [(role, ROLE_LABELS[Role(role)])
                         for role in invitations.invitable_roles(current_user)]
    form.project_id.choices = [(0, "—")] + [(project.id, f"{project.code} · {project.title}")
                                            for project in _inviter_projects()]
    if form.validate_on_submit():
        enterprise = project = None
        if form.enterprise_cui.data:
            try:
                cui = normalise_cui(form.enterprise_cui.data)
            except InvalidIdentifier as error:
                form.enterprise_cui.errors.append(str(error))
                return render_template("auth/invitation_form.html", form=form), 422
            enterprise = db.session.scalar(scoped(select(Enterprise).where(Enterprise.cui == cui),
                                                  Enterprise, current_user))
            if enterprise is None:
                form.enterprise_cui.errors.append(_("No enterprise with this CUI that you can see."))
                return render_template("auth/invitation_form.html", form=form), 422
        if form.project_id.data:
            project = db.session.scalar(scoped(select(Project).where(
                Project.id == form.project_id.data), Project, current_user))
        try:
            invitation = invitations.invite(
                db.session, email=form.email.data, role=form.role.data,
                invited_by=current_user._get_current_object(), enterprise=enterprise,
                project=project, full_name=form.full_name.data or "")
        except Problems as problems:
            db.session.rollback()
            form.email.errors.extend(str(problem) for problem in problems.problems)
            return render_template("auth/invitation_form.html", form=form), 422
        db.session.commit()
        flash(_("Invitation sent to %(email)s.", email=invitation.email), "success")
        return redirect(url_for("auth.invitation_list"))
    return render_template("auth/invitation_form.html", form=form)


@bp.route("/invitations/<int:invitation_id>/resend", methods=["POST"])
@permission_required("users.invite")
def invitation_resend(invitation_id: int):
    invitation = _visible_invitation_or_404(invitation_id)
    if InvitationActionForm().validate_on_submit():
        try:
            invitations.resend(db.session, invitation, by=current_user._get_current_object())
        except Problems as problems:
            db.session.rollback()
            flash(str(problems), "danger")
        else:
            db.session.commit()
            flash(_("A new link was sent to %(email)s; the old one no longer works.",
                    email=invitation.email), "success")
    return redirect(url_for("auth.invitation_list"))


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
@permission_required("users.invite")
def invitation_revoke(invitation_id: int):
    invitation = _visible_invitation_or_404(invitation_id)
    if InvitationActionForm().validate_on_submit():
        try:
            invitations.revoke(db.session, invitation, by=current_user._get_current_object())
        except Problems as problems:
            db.session.rollback()
            flash(str(problems), "danger")
        else:
            db.session.commit()
            flash(_("The invitation for %(email)s was revoked.", email=invitation.email),
                  "success")
    return redirect(url_for("auth.invitation_list"))


@bp.route(invitations.INVITATION_PATH + "<token>", methods=["GET", "POST"])
@public
def invitation_page(token: str):
    invitation = invitations.valid_invitation(db.session, token)
    if invitation is None:
        # the same page for a used, expired, revoked or made-up link: it names no account
        return render_template("auth/invitation_accept.html", form=None), 410
    form = AcceptInvitationForm(account_email=invitation.email)
    if request.method == "GET" and not form.full_name.data:
        form.full_name.data = invitation.full_name
    if form.validate_on_submit():
        try:
            user = invitations.accept(db.session, token, form.password.data,
                                      full_name=form.full_name.data)
        except Problems as problems:
            db.session.rollback()
            form.password.errors.extend(str(problem) for problem in problems.problems)
        else:
            db.session.commit()
            session.clear()
            login_user(user)
            flash(_("Welcome! Your account is ready."), "success")
            return redirect(url_for("main.dashboard"))
    return render_template("auth/invitation_accept.html", form=form, invitation=invitation)
