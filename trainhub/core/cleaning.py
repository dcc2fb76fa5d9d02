"""Turning raw values (a form field, a spreadsheet cell) into clean ones, column by column.

Forms and imports share these, so the web and the files refuse the same values with the
same message.
"""
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from trainhub.core.geography import county_code
from trainhub.core.identifiers import InvalidIdentifier, normalise_cnp, normalise_cui
from trainhub.imports.services import CellError, fold, text


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
        digits = raw.replace("\u00a0", "").replace(" ", "")
        if re.fullmatch(r"\d{1,3}(\.\d{3})+", digits):  # 1.250 employees: digit groups
            digits = digits.replace(".", "")
        try:
            number = int(digits) if len(digits) <= 20 else None
        except ValueError:
            number = None
        if number is None:
            raise CellError(_l("'%(value)s' is not a whole number", value=raw))
        if number < low or (high is not None and number > high):
            raise CellError(_l("%(number)s is not between %(low)s and %(high)s", number=number,
                               low=low, high=high) if high is not None
                            else _l("%(number)s is below %(low)s", number=number, low=low))
        return number

    return parse


def email_address(value: object) -> str:
    cleaned = text(value).lower()
    local, at, domain = cleaned.partition("@")
    if not at or not local or "." not in domain or " " in cleaned or len(cleaned) > 254:
        raise CellError(_l("'%(value)s' is not an e-mail address", value=text(value)))
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


#: words before a county's name in hand-made files ("jud. Argeș", "Județul Cluj")
_COUNTY_PREFIXES = ("judetul", "judet", "jud", "municipiul", "mun", "county", "orasul")


def county(value: object) -> str:
    """ISO code of a county by name (diacritics optional), plate or ISO code, also after
    "jud."/"județul"/"municipiul"; "București, sector 3" and "Sector 3" are București."""
    raw = text(value)
    words = fold(raw.split(",")[0]).split()
    while words and words[0] in _COUNTY_PREFIXES:
        words = words[1:]
    iso = county_code(raw) or county_code(" ".join(words))
    if iso is None and words[:1] == ["sector"]:
        iso = "RO-B"
    if iso is None:
        raise CellError(_l("'%(value)s' is not a Romanian county (a name such as Argeș, a plate"
                           " code such as AG or an ISO code such as RO-AG)", value=raw))
    return iso
