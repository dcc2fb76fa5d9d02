"""Forms of the auth area: login, language, user administration."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from trainhub.auth.models import Locale
from trainhub.core.labels import LOCALE_LABELS, ROLE_LABELS


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


def acceptable_password(form, field) -> None:
    """The password policy of trainhub.auth.services, as a WTForms validator."""
    from trainhub.auth.services import password_problem

    email = form.email.data if hasattr(form, "email") else getattr(form, "account_email", "")
    problem = password_problem(field.data or "", email or "")
    if problem:
        raise ValidationError(problem)


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), acceptable_password])
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])

    def __init__(self, *args, account_email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = account_email


class ChangePasswordForm(ResetPasswordForm):
    """The reset form's two fields, confirmed by the current password."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])


class LanguageForm(FlaskForm):
    locale = SelectField(choices=[(Locale.RO.value, LOCALE_LABELS[Locale.RO]),
                                  (Locale.EN.value, LOCALE_LABELS[Locale.EN])])


class UserForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=[(r.value, label) for r, label in ROLE_LABELS.items()])
    enterprise_cui = StringField(_l("Enterprise CUI (SME users)"), validators=[Optional()])
    password = PasswordField(_l("Password"), validators=[DataRequired(), acceptable_password])


class UserActiveForm(FlaskForm):
    active = BooleanField(_l("Active"))


class ApiTokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)],
                       description=_l("What the token is for, e.g. the script that uses it."))


class RevokeTokenForm(FlaskForm):
    """Only the CSRF token: the token to revoke is in the URL."""


class InvitationForm(FlaskForm):
    """Whom to invite; the view fills the role and project choices the inviter may use."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=[])
    enterprise_cui = StringField(_l("Enterprise CUI (SME contacts)"),
                                 validators=[Optional(), Length(max=20)])
    project_id = SelectField(_l("Project"), choices=[], coerce=int, validate_choice=False)


class AcceptInvitationForm(ResetPasswordForm):
    """The invitee's name and the password they choose."""

    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])


class InvitationActionForm(FlaskForm):
    """Only the CSRF token: the invitation to resend or revoke is in the URL."""
