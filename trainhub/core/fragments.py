"""Parts of a page made once per role, language and script root and kept, with slots that each
request fills with its own values (escaped)."""
from collections.abc import Callable, Hashable

from flask import current_app
from markupsafe import Markup, escape

_SLOT = "\x00"
_KEPT = 256  # fragments kept per app: pages x roles x locales x script roots, fewer in practice


def slot(name: str) -> Markup:
    """Where the value `name` of each request goes in a kept fragment."""
    return Markup(f"{_SLOT}{name}{_SLOT}")


def kept_parts(key: Hashable, render: Callable[[], str]) -> tuple[str, ...]:
    """The HTML `render()` makes (once for `key`, then kept) split at its slots: the odd parts
    are the slots' names. `key` must name everything the HTML depends on other than what goes
    into its slots: the page, the reader's role and language, the script root."""
    kept = current_app.extensions.setdefault("trainhub.fragments", {})
    parts = kept.get(key)
    if parts is None:
        parts = tuple(str(render()).split(_SLOT))
        if len(kept) < _KEPT:
            kept[key] = parts
    return parts


def kept_fragment(key: Hashable, render: Callable[[], str], **values) -> Markup:
    """The HTML `render()` makes (once for `key`, then kept: `kept_parts`), its slots filled
    with `values` (text is escaped, Markup goes in as it is)."""
    out = list(kept_parts(key, render))
    for index in range(1, len(out), 2):  # the odd parts are the slots' names
        out[index] = escape(values[out[index]])
    return Markup("".join(out))
