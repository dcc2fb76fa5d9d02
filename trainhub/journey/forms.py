"""Forms of the digital journey; the values are checked by journey.services."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField
from wtforms.validators import InputRequired, NumberRange

from trainhub.core.bounds import AMOUNT_TOO_LARGE, MAX_AMOUNT_EUR, DayField


class VoucherForm(FlaskForm):
    budget_eur = DecimalField(_l("Voucher budget (EUR)"), places=2,
                              validators=[InputRequired(), NumberRange(min=0),
                                          NumberRange(max=MAX_AMOUNT_EUR,
                                                      message=AMOUNT_TOO_LARGE)])
    expires_on = DayField(_l("Voucher valid until"), validators=[InputRequired()])


class ExitSituationForm(FlaskForm):
    qualification_obtained = BooleanField(_l("Qualification obtained"))
    employed = BooleanField(_l("In employment (including self-employed)"))
    better_job = BooleanField(_l("Better job or promotion"))


class FollowUpForm(FlaskForm):
    employed = BooleanField(_l("I am in employment (including self-employed)"))
    better_job = BooleanField(_l("Since the training I have a better job or a promotion"))
    qualification_used = BooleanField(_l("I use what I learned in my work"))
