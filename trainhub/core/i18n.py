"""The templates' `_`, `gettext` and `ngettext`: Flask-Babel's, with the translations looked up once per render."""
from flask import Flask
from flask_babel import get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

#: the render's translations, set by a context processor (a macro imported without context
#: does not see it and looks them up, as Flask-Babel does on every call)
_KEY = "_render_translations"


def _translations(context: Context):
    return context.get(_KEY) or get_translations()


@pass_context
def _gettext(context: Context, string: str, **variables) -> str:
    """Jinja's new-style gettext (jinja2.ext._make_new_gettext) over the render's translations."""
    rv = _translations(context).ugettext(string)
    if context.eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables  # always a format string, as Jinja's new style does


@pass_context
def _ngettext(context: Context, singular: str, plural: str, num: int, **variables) -> str:
    """Jinja's new-style ngettext (jinja2.ext._make_new_ngettext) over the render's translations."""
    variables.setdefault("num", num)
    rv = _translations(context).ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables


def install(app: Flask) -> None:
    """Flask-Babel looks the request's translations up again for each translated string of a
    template (about 5 µs, a hundred times on a list page); a render now looks them up once.
    The same text: the same catalogue, Jinja's new-style formatting and escaping."""
    app.jinja_env.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext)
    app.context_processor(lambda: {_KEY: get_translations()})
