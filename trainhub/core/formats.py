"""Numbers and stored codes as the reader writes them: the `number`, `eur` and `label` filters.

Romanian writes 200.000,50 where English writes 200,000.50; both come from Babel's locale data
(through Flask-Babel, so the reader's language decides), never from Python's `{:,}`.
"""
from decimal import Decimal

from babel.numbers import format_decimal as babel_format_decimal
from flask import Flask
from flask_babel import format_decimal

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


def register_filters(app: Flask) -> None:
    app.add_template_filter(number, "number")
    app.add_template_filter(eur, "eur")
    app.add_template_filter(label, "label")
