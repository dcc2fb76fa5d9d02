"""Forms of the enterprises area; the values are checked by enterprises.services."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from trainhub.core.bounds import AMOUNT_TOO_LARGE, MAX_AMOUNT_EUR, DayField
from trainhub.core.geography import county_choices


class EnterpriseForm(FlaskForm):
    cui = StringField(_l("CUI (fiscal code)"), description=_l("With or without RO."))
    name = StringField(_l("Name"))
    caen = StringField(_l("Main CAEN code"), description=_l("Four digits, CAEN rev. 2."))
    county = SelectField(_l("County"), validate_choice=False)
    locality = StringField(_l("Locality"))
    employees = StringField(_l("Employees (annual average)"))
    turnover_eur = StringField(_l("Annual turnover (EUR)"))
    balance_eur = StringField(_l("Balance sheet total (EUR)"))
    contact_name = StringField(_l("Contact person"))
    contact_email = StringField(_l("Contact e-mail"))
    contact_phone = StringField(_l("Contact phone"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.county.choices = [("", "—")] + county_choices()


class AidForm(FlaskForm):
    granted_on = DayField(_l("Granted on"), validators=[InputRequired()])
    amount_eur = DecimalField(_l("Amount (EUR)"), places=2,
                              validators=[InputRequired(), NumberRange(min=0.01),
                                          NumberRange(max=MAX_AMOUNT_EUR,
                                                      message=AMOUNT_TOO_LARGE)])
    source = StringField(_l("Granted by / programme"), validators=[Length(max=300)])
