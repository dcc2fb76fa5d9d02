"""The ranges a number or date from outside must fall in: ids, amounts, dates (one place each)."""
from werkzeug.routing import IntegerConverter

#: ids are 64-bit signed integers in the database (SQLite INTEGER, PostgreSQL bigint at most)
MAX_ID = 2**63 - 1


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
