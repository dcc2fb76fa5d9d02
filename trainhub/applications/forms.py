"""Forms of SME applications: the public form and the coordinator's decline reason."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from trainhub.core.geography import county_choices
from trainhub.core.labels import CHANNEL_LABELS


class ApplicationForm(FlaskForm):
    """The public form; the service checks the CUI, CAEN and county."""

    cui = StringField(_l("CUI (fiscal code)"), validators=[DataRequired(), Length(max=20)],
                      description=_l("With or without RO, e.g. RO18547290"))
    company_name = StringField(_l("Company name"), validators=[DataRequired(), Length(max=300)])
    caen = StringField(_l("Main CAEN code"), validators=[DataRequired(), Length(max=200)],
                       description=_l("4 digits, e.g. 6201"))
    county = SelectField(_l("County"), validators=[DataRequired()], validate_choice=False)
    employees = StringField(_l("Number of employees"), validators=[Optional(), Length(max=12)])
    contact_name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=200)])
    contact_email = EmailField(_l("Contact e-mail"), validators=[DataRequired(), Length(max=254)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=40)])
    channel = SelectField(_l("How did you hear of the project?"), validators=[DataRequired()],
                          validate_choice=False)
    consent = BooleanField(_l("I agree that the project team processes these data to assess "
                              "the application (GDPR)."), validators=[DataRequired()])
    #: the honeypot: hidden from people, filled by bots
    website = StringField(_l("Website"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.county.choices = [("", "—"), *county_choices()]
        self.channel.choices = [("", "—"), *((channel.value, label)
                                             for channel, label in CHANNEL_LABELS.items())]


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Reason (e-mailed to the contact)"),
                           validators=[DataRequired(), Length(max=1000)])


class AcceptForm(FlaskForm):
    """Only the CSRF token: the application to accept is in the URL."""
