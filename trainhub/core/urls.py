"""URLs of many rows at once: the route built once, each row's id put into it."""
from collections.abc import Callable

from flask import url_for

_ANY_ID = 987654321012345  # no real id is this large; it marks where the id goes


def url_for_any_id(endpoint: str, id_name: str, **values) -> Callable[[int], str]:
    """`url_for(endpoint, <id_name>=…)` for any id: one routing build per page instead of one
    per row and link; the id may stand anywhere in the URL."""
    return url_for_any_value(endpoint, id_name, values)


def url_for_any_value(endpoint: str, name: str, values: dict) -> Callable[[object], str]:
    """`url_for(endpoint, **values)` with any value of `values[name]` (a page number): one
    routing build for all the links of a pagination, the values in their order. When the
    request's own values hold the marker, each link is built in full."""
    parts = url_for(endpoint, **dict(values, **{name: _ANY_ID})).split(str(_ANY_ID))
    if len(parts) != 2:
        return lambda value: url_for(endpoint, **dict(values, **{name: value}))
    head, tail = parts
    return lambda value: f"{head}{value}{tail}"
