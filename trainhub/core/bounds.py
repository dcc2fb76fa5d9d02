"""The ranges a number or date from outside must fall in: ids, amounts, dates (one place each)."""
from datetime import date
from decimal import Decimal

from flask_babel import LazyString, format_decimal
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter
from wtforms import DateField
from wtforms.validators import ValidationError

#: the largest id an INTEGER primary key holds (PostgreSQL's 4-byte integer; SQLite's are wider)
MAX_ID = 2**31 - 1


def _regex_up_to(limit: int) -> str:
    """A regular expression matching the decimal numbers 1..`limit` (leading zeros allowed)."""
    digits = str(limit)
    shorter = [rf"[1-9]\d{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    same_length = []
    for position, digit in enumerate(digits):
        lowest = 1 if position == 0 else 0
        if int(digit) > lowest:
            rest = len(digits) - position - 1
            same_length.append(f"{digits[:position]}[{lowest}-{int(digit) - 1}]"
                               + (rf"\d{{{rest}}}" if rest else ""))
    return "0*(?:" + "|".join([*shorter, *same_length, digits]) + ")"


class IdConverter(IntegerConverter):
    """The app's `int` URL converter: only 1..MAX_ID matches, so any other number finds no
    route (404, whatever the method) and no view hands the database a number it cannot hold."""

    regex = _regex_up_to(MAX_ID)

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 1,  # noqa: A002
                 max: int | None = MAX_ID, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=False)


def an_id(raw) -> int:
    """`raw` (a query-string or form value) as an id; ValueError when it is not a whole number
    in 1..MAX_ID. Meant for `request.args.get(name, type=an_id)`, which then gives None."""
    text = str(raw).strip()
    if not text.isdecimal() or len(text) > 30 or not 1 <= int(text) <= MAX_ID:
        raise ValueError(f"{raw!r} is not an id")
    return int(text)


def ids_in(values) -> list[int]:
    """The values (a posted list) that are ids; the others are left out."""
    ids = []
    for value in values:
        try:
            ids.append(an_id(value))
        except ValueError:
            continue
    return ids


#: the last page a list page or the API serves (a later page is as empty as any past the end)
MAX_PAGE = 1_000_000


def a_page(raw) -> int:
    """`raw` as a page number in 1..MAX_PAGE; ValueError otherwise (the caller's default then)."""
    text = str(raw).strip()
    if not text.isdecimal() or len(text) > 7 or not 1 <= int(text) <= MAX_PAGE:
        raise ValueError(f"{raw!r} is not a page number")
    return int(text)


#: the largest amount in EUR the database keeps (Numeric(14, 2): twelve digits before the point)
MAX_AMOUNT_EUR = Decimal("999999999999.99")


def _at_most(maximum: Decimal) -> str:
    return _("must be at most %(maximum)s EUR",
             maximum=format_decimal(maximum, format="#,##0.00"))


#: the field error of an amount above MAX_AMOUNT_EUR, in the reader's language when shown
AMOUNT_TOO_LARGE = LazyString(_at_most, MAX_AMOUNT_EUR)


#: the days TrainHub accepts anywhere (a programme, its people and their papers live in these)
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def _day_out_of_range() -> str:
    return _("must be between %(first)s and %(last)s", first=FIRST_DAY.isoformat(),
             last=LAST_DAY.isoformat())


#: the error of a day outside FIRST_DAY..LAST_DAY, in the reader's language when shown
DAY_OUT_OF_RANGE = LazyString(_day_out_of_range)


def day_in_range(day: date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


class DayField(DateField):
    """The date field of every form: a day outside FIRST_DAY..LAST_DAY is a field error (far
    days such as 9999-12-31 overflow the date arithmetic behind sessions and periods)."""

    def pre_validate(self, form) -> None:
        if isinstance(self.data, date) and not day_in_range(self.data):
            raise ValidationError(_day_out_of_range())
