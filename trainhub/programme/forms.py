"""Forms of the programme area: a new call, a project with its targets and periods."""
from decimal import Decimal

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)
from wtforms.widgets import CheckboxInput, ListWidget

from trainhub.core.bounds import DayField
from trainhub.core.geography import NUTS2_REGIONS
from trainhub.indicators.services import TARGET_CODES, TARGET_LABELS
from trainhub.programme.presets import PRESETS
from trainhub.programme.services import (
    MAX_TARGET,
    PERIOD_SCHEMES,
    ProjectData,
    parse_custom_periods,
)

PERIOD_LABELS = {
    "": _l("Keep the periods as they are"),
    "quarterly": _l("Quarterly (calendar quarters)"),
    "semester": _l("By semester (calendar semesters)"),
    "custom": _l("Custom (the rows below)"),
}


def _finite(form, field) -> None:
    """Refuse NaN and infinity, which a decimal field accepts and no comparison survives."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_l("Not a valid number."))


class CallForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("For example POCU/3.12."))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=300)])
    preset = SelectField(_l("Rules and checklists"),
                         choices=[(key, preset.label) for key, preset in PRESETS.items()])


class ProjectForm(FlaskForm):
    """A project's contract data; the target_<code> fields are added below, one per code."""

    call_id = SelectField(_l("Call"), coerce=int)
    code = StringField(_l("Code (SMIS)"), validators=[DataRequired(), Length(max=40)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=400)])
    beneficiary = StringField(_l("Beneficiary"), validators=[Length(max=300)])
    partners = TextAreaField(_l("Partners"), validators=[Length(max=15000)],
                             description=_l("One partner per line."))
    start_date = DayField(_l("Start date"), validators=[InputRequired()])
    end_date = DayField(_l("End date"), validators=[InputRequired()])
    regions = SelectMultipleField(_l("Eligible regions (NUTS2)"),
                                  choices=[(code, f"{code} {name}")
                                           for code, name in NUTS2_REGIONS.items()],
                                  widget=ListWidget(prefix_label=False),
                                  option_widget=CheckboxInput())
    completion_threshold = DecimalField(
        _l("Completion threshold (per cent of planned hours)"), places=1, default=Decimal(80),
        validators=[InputRequired(), _finite, NumberRange(min=1, max=100)])
    retention_years = IntegerField(
        _l("Retention (years after the end)"),
        validators=[Optional(), NumberRange(min=1, max=100)])
    periods = SelectField(_l("Reporting periods"), choices=list(PERIOD_LABELS.items()))
    custom_periods = TextAreaField(
        _l("Custom periods"), validators=[Length(max=20000)],
        description=_l("One per line: label; first day; last day — e.g. P1; 2026-01-01; "
                       "2026-06-30."))

    def target_fields(self) -> list:
        return [self[f"target_{code}"] for code in TARGET_CODES]

    def fill_from(self, project) -> None:
        """Show a stored project's values (the fields a plain `obj=` cannot fill)."""
        self.partners.data = "\n".join(project.partners or [])
        self.completion_threshold.data = (project.completion_threshold * 100).normalize()
        targets = {target.indicator_code: target.value for target in project.targets}
        for code in TARGET_CODES:
            self[f"target_{code}"].data = targets.get(code)

    def project_data(self) -> ProjectData:
        """The posted values for save_project; Problems when the custom rows cannot be read."""
        custom = (parse_custom_periods(self.custom_periods.data)
                  if self.periods.data == "custom" else None)
        return ProjectData(
            call_id=self.call_id.data, code=self.code.data, title=self.title.data,
            start_date=self.start_date.data, end_date=self.end_date.data,
            regions=list(self.regions.data or []), beneficiary=self.beneficiary.data or "",
            partners=(self.partners.data or "").splitlines(),
            completion_threshold=self.completion_threshold.data / 100,
            retention_years=self.retention_years.data,
            targets={code: self[f"target_{code}"].data for code in TARGET_CODES},
            periods=self.periods.data if self.periods.data in PERIOD_SCHEMES else None,
            custom_periods=custom)


for _code in TARGET_CODES:
    setattr(ProjectForm, f"target_{_code}", IntegerField(
        LazyString(lambda code: f"{code} · {TARGET_LABELS[code]}", _code),
        validators=[Optional(), NumberRange(min=0, max=MAX_TARGET)]))


class RateForm(FlaskForm):
    """One year's annual average EUR/RON rate (lei in imported files are converted with it)."""

    year = IntegerField(_l("Financial year"), validators=[DataRequired()])
    rate = StringField(_l("Lei for one euro (annual average)"), validators=[DataRequired()])
