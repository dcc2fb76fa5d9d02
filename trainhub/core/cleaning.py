"""Turning raw values (a form field, a spreadsheet cell) into clean ones, column by column.

Forms and imports share these, so the web and the files refuse the same values with the
same message.
"""
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from trainhub.core.geography import county_code
from trainhub.core.identifiers import InvalidIdentifier, normalise_cnp, normalise_cui
from trainhub.imports.services import CellError, text


@dataclass
class Cleaned:
    """Clean values by column, and a message for every column that could not be cleaned.

    `blank` names the columns that were absent or empty: a form that the user cleared means
    `default` (in `values`), a file means "keep what is stored" (`given()` leaves them out).
    """

    values: dict = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    blank: set[str] = field(default_factory=set)

    def take(self, raw: dict, column: str, parse: Callable, *, required: bool = False,
             default=None) -> None:
        """Parse `raw[column]` into `values[column]`; blank gives `default` or an error."""
        value = raw.get(column)
        if value is None or text(value) == "":
            self.blank.add(column)
            if required:
                self.errors[column] = _l("is required")
            else:
                self.values[column] = default
            return
        try:
            self.values[column] = parse(value)
        except (CellError, ValueError) as problem:
            # a lazy message stays lazy: it is translated where it is shown
            self.errors[column] = problem.args[0] if len(problem.args) == 1 else str(problem)

    def given(self) -> dict:
        """The values the source actually gave: an import updates a stored record with these
        only, so an absent column or an empty cell never changes a stored value."""
        return {column: value for column, value in self.values.items()
                if column not in self.blank}


def bounded_text(limit: int) -> Callable[[object], str]:
    def parse(value: object) -> str:
        cleaned = text(value)
        if len(cleaned) > limit:
            raise CellError(f"longer than {limit} characters")
        return cleaned

    return parse


def whole_number(low: int, high: int | None = None) -> Callable[[object], int]:
    def parse(value: object) -> int:
        raw = text(value)
        try:
            number = int(raw)
        except ValueError:
            raise CellError(f"{raw!r} is not a whole number") from None
        if number < low or (high is not None and number > high):
            raise CellError(f"{number} is not between {low} and {high}" if high is not None
                            else f"{number} is below {low}")
        return number

    return parse


def email_address(value: object) -> str:
    cleaned = text(value).lower()
    local, at, domain = cleaned.partition("@")
    if not at or not local or "." not in domain or " " in cleaned or len(cleaned) > 254:
        raise CellError(f"{cleaned!r} is not an e-mail address")
    return cleaned


def cnp(value: object) -> str:
    try:
        return normalise_cnp(value)
    except InvalidIdentifier as problem:
        raise CellError(str(problem)) from None


def cui(value: object) -> str:
    try:
        return normalise_cui(value)
    except InvalidIdentifier as problem:
        raise CellError(str(problem)) from None


def county(value: object) -> str:
    iso = county_code(text(value))
    if iso is None:
        raise CellError(f"{text(value)!r} is not a Romanian county")
    return iso
