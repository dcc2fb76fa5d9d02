"""Forms of the courses area."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp

from trainhub.courses.models import Modality
from trainhub.courses.services import CATEGORY_LABELS

MODALITY_LABELS = {
    Modality.CLASSROOM: _l("Classroom"),
    Modality.ONLINE: _l("Online"),
    Modality.BLENDED: _l("Blended"),
}


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
