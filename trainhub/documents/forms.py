"""Forms of the documents area: the checklist line editor."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from trainhub.core.labels import LEVEL_LABELS

TYPE_LABELS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
CONDITION_LABELS = {
    "": _l("Always"),
    "age_55_64": _l("Only for people aged 55-64"),
    "woman": _l("Only for women"),
    "rural": _l("Only for people living in a rural area"),
    "isced_low": _l("Only for people with ISCED 0-2 education"),
    "disability": _l("Only when the participant declares a disability"),
    "minority_or_migrant": _l("Only for minority or migrant participants"),
}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RequirementForm(FlaskForm):
    """One line of a call's checklist."""

    level = SelectField(_l("Level"), choices=[(k.value, v) for k, v in LEVEL_LABELS.items()])
    code = StringField(_l("Code"), validators=[
        DataRequired(), Length(max=40),
        Regexp(r"^[A-Za-z0-9_]+$", message=_l("Letters, digits or underscore only.")),
    ])
    title_ro = StringField(_l("Title (Romanian)"), validators=[DataRequired(), Length(max=300)])
    title_en = StringField(_l("Title (English)"), validators=[DataRequired(), Length(max=300)])
    required = BooleanField(_l("Required"), default=True)
    condition = SelectField(_l("Condition"), choices=list(CONDITION_LABELS.items()))
    validity_days = IntegerField(_l("Valid for (days after upload; empty = no expiry)"),
                                 validators=[Optional(), NumberRange(min=1, max=3650)])
    accepted_types = MultiCheckboxField(_l("Accepted types"),
                                        choices=list(TYPE_LABELS.items()),
                                        validators=[DataRequired(_l("Choose at least one type."))])
    max_size_mb = DecimalField(_l("Maximum size (MB)"), places=1, default=10, validators=[
        InputRequired(), NumberRange(min=0.1, max=1000)])
    position = IntegerField(_l("Position in the list"), default=0,
                            validators=[InputRequired(), NumberRange(min=0, max=1000)])
