"""Forms of the courses area."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)
from wtforms.widgets import CheckboxInput, ListWidget

from trainhub.core.bounds import DayField
from trainhub.core.labels import CATEGORY_LABELS, MODALITY_LABELS


class CourseForm(FlaskForm):
    code = StringField(_l("Code"), validators=[
        DataRequired(), Length(max=40),
        Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Letters, digits, dot, dash or underscore only.")),
    ])
    category = SelectField(_l("Category"),
                           choices=[(c.value, label) for c, label in CATEGORY_LABELS.items()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    planned_hours = DecimalField(_l("Planned hours"), places=2, validators=[
        InputRequired(), NumberRange(min=1, max=1000)])
    modality = SelectField(_l("Modality"),
                           choices=[(m.value, label) for m, label in MODALITY_LABELS.items()])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    competences = TextAreaField(_l("Competences gained"), validators=[Length(max=5000)])
    cost_per_hour_eur = DecimalField(
        _l("Cost per participant-hour (EUR)"), places=2, default=0,
        description=_l("A skills voucher is charged this × the cohort's planned hours."),
        validators=[Optional(), NumberRange(min=0, max=100000)])
    dimensions = SelectMultipleField(
        _l("Digital-maturity dimensions it builds"), coerce=str,
        description=_l("Courses are recommended to SMEs weak on these dimensions."),
        option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))

    def __init__(self, *args, **kwargs):
        from trainhub.journey.services import DIMENSION_LABELS

        super().__init__(*args, **kwargs)
        self.dimensions.choices = [(d.value, label) for d, label in DIMENSION_LABELS.items()]


WEEKDAYS = [(0, _l("Monday")), (1, _l("Tuesday")), (2, _l("Wednesday")), (3, _l("Thursday")),
            (4, _l("Friday")), (5, _l("Saturday")), (6, _l("Sunday"))]


class CohortForm(FlaskForm):
    """A new cohort and the rule that generates its sessions."""

    project_id = SelectField(_l("Project"), coerce=int)
    course_id = SelectField(_l("Course"), coerce=int)
    code = StringField(_l("Code"), validators=[
        DataRequired(), Length(max=40),
        Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Letters, digits, dot, dash or underscore only.")),
    ])
    trainer_id = SelectField(_l("Trainer"), coerce=int)
    capacity = IntegerField(_l("Seats"), default=20,
                            validators=[InputRequired(), NumberRange(min=1, max=500)])
    location = StringField(_l("Location (address or online link)"), validators=[Length(max=300)])
    first_day = DayField(_l("First day"), validators=[InputRequired()])
    weekdays = SelectMultipleField(_l("Weekdays"), coerce=int, choices=WEEKDAYS,
                                   default=[1, 3], widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput())
    start_time = TimeField(_l("Start time"), validators=[InputRequired()])
    end_time = TimeField(_l("End time"), validators=[InputRequired()])


class SessionForm(FlaskForm):
    """One session's day, times and topic."""

    date = DayField(_l("Date"), validators=[InputRequired()])
    start_time = TimeField(_l("Start time"), validators=[InputRequired()])
    end_time = TimeField(_l("End time"), validators=[InputRequired()])
    topic = StringField(_l("Topic"), validators=[Length(max=300)])


class CohortEditForm(FlaskForm):
    """What a coordinator changes in an existing cohort: trainer, seats, location, online link."""

    trainer_id = SelectField(_l("Trainer"), coerce=int)
    capacity = IntegerField(_l("Seats"), validators=[InputRequired(), NumberRange(min=1, max=500)])
    location = StringField(_l("Location"), validators=[Length(max=300)])
    online_link = StringField(_l("Online link"), validators=[Length(max=500)],
                              description=_l("An address that starts with http:// or https://; "
                                             "the trainer and the cohort page show it."))
