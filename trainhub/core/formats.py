"""Numbers and stored codes as the reader writes them: the `number`, `eur` and `label` filters.

Romanian writes 200.000,50 where English writes 200,000.50; both come from Babel's locale data
(through Flask-Babel, so the reader's language decides), never from Python's `{:,}`.
"""
from collections.abc import Callable, Hashable, Iterable
from decimal import Decimal

from babel.numbers import format_decimal as babel_format_decimal
from flask import Flask
from flask_babel import format_decimal
from markupsafe import Markup

from trainhub.core.labels import label


def number(value, places: int | None = None, locale: str | None = None) -> str:
    """`value` in the reader's number format; `places` fixes the decimals (None: as needed).

    `locale` names the language of a document written in one language whoever reads it (the
    Romanian certificate); it needs no request.
    """
    if value is None or value == "":
        return "—"
    value = Decimal(str(value))
    pattern = None if places is None else "#,##0" + ("." + "0" * places if places else "")
    if locale is not None:
        return babel_format_decimal(value, format=pattern, locale=locale)
    return format_decimal(value, format=pattern)


def eur(value, places: int = 2) -> str:
    """An amount in euro: `200.000,00 EUR` in Romanian, `200,000.00 EUR` in English."""
    if value is None or value == "":
        return "—"
    return f"{number(value, places)} EUR"


def once_per_value(render: Callable, key: Callable[..., Hashable] = lambda *args: args,
                   made: dict | None = None) -> Callable:
    """`render` (a macro, a label) called once per distinct `key(*args)` and its result reused:
    the rows of a page that show the same badge share its markup instead of each calling it.
    `made`: a dict that keeps the results beyond the page (then `key` must name everything the
    result depends on, the reader's language included, and take few values)."""
    made = {} if made is None else made

    def once(*args):
        found = key(*args)
        if found not in made:
            made[found] = render(*args)
        return made[found]

    return once


def options_markup(choices: Iterable[tuple[str, str]], chosen: str | None) -> Markup:
    """The `<option>`s of a filter's select, the chosen one selected, written in one pass (the
    same markup as the list pages' template loop: `<option value="v" >name</option>`)."""
    return Markup("").join([Markup('<option value="%s" %s>%s</option>') % (
        value, "selected" if value == chosen else "", name) for value, name in choices])


def register_filters(app: Flask) -> None:
    app.add_template_filter(number, "number")
    app.add_template_filter(eur, "eur")
    app.add_template_filter(label, "label")
