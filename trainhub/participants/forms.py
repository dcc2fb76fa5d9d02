"""Forms of the participants area; the values are checked by participants.services."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from trainhub.core.bounds import DayField
from trainhub.core.geography import county_choices
from trainhub.core.labels import EMPLOYMENT_LABELS, ENVIRONMENT_LABELS, ISCED_LABELS


class ParticipantForm(FlaskForm):
    """A person; sex and birth date come from the CNP and are never typed."""

    cnp = StringField(_l("CNP"), description=_l("Sex and birth date are read from it."))
    last_name = StringField(_l("Last name"))
    first_name = StringField(_l("First name"))
    enterprise_id = SelectField(_l("Employer"), coerce=int)
    project_id = SelectField(_l("Project"), coerce=int)
    job_title = StringField(_l("Job title"))
    email = StringField(_l("E-mail"))
    phone = StringField(_l("Phone"))
    county = SelectField(_l("County of residence"), validate_choice=False)
    environment = SelectField(_l("Environment"), validate_choice=False)
    isced = SelectField(_l("Education (ISCED)"), validate_choice=False)
    employment_status = SelectField(_l("Employment status"), validate_choice=False)
    disability = BooleanField(_l("Has a disability"))
    minority_or_migrant = BooleanField(_l("Minority or migrant (incl. Roma)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        blank = [("", "—")]
        self.county.choices = blank + county_choices()
        self.environment.choices = blank + [(e.value, label) for e, label in ENVIRONMENT_LABELS.items()]
        self.isced.choices = blank + [(str(level), label) for level, label in ISCED_LABELS.items()]
        self.employment_status.choices = blank + [(s.value, label)
                                                  for s, label in EMPLOYMENT_LABELS.items()]


class DecisionForm(FlaskForm):
    status = SelectField(_l("Decision"), choices=[("eligible", _l("Eligible")),
                                                  ("ineligible", _l("Ineligible"))])
    note = TextAreaField(_l("Note"), validators=[Length(max=1000)],
                         description=_l("Required when declaring ineligible although every rule passes."))


class DoubleFinancingOverrideForm(FlaskForm):
    """The managing authority lets a member of another project of the call be financed here."""

    reason = TextAreaField(_l("Reason"), validators=[Length(max=500)],
                           description=_l("Required; kept on the membership and in the audit "
                                          "trail."))


class ConsentForm(FlaskForm):
    """How and when a person consented to the processing of their data, for one project."""

    given_on = DayField(_l("Consent given on"), validators=[InputRequired()])
    text_version = StringField(_l("Consent text version"),
                               validators=[InputRequired(), Length(max=40)])
    method = StringField(_l("How it was obtained"), default=_l("signed registration form"),
                         validators=[InputRequired(), Length(max=200)])
    document_id = SelectField(_l("Registration form document"), coerce=int, default=0,
                              validate_choice=False)
