"""Forms of the auth area: login, language, user administration."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from trainhub.auth.models import Locale, Role


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class LanguageForm(FlaskForm):
    locale = SelectField(choices=[(Locale.RO.value, "Română"), (Locale.EN.value, "English")])


class UserForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=[(r.value, r.value) for r in Role])
    enterprise_cui = StringField(_l("Enterprise CUI (SME users)"), validators=[Optional()])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8)])


class UserActiveForm(FlaskForm):
    active = BooleanField(_l("Active"))


class ApiTokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)],
                       description=_l("What the token is for, e.g. the script that uses it."))


class RevokeTokenForm(FlaskForm):
    """Only the CSRF token: the token to revoke is in the URL."""
