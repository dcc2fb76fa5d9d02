"""The templates' `_` and `ngettext` look the request's translations up once per render and give
the text Flask-Babel's own did (Jinja's new-style formatting and escaping)."""
from flask import render_template_string
from flask_babel import force_locale

import trainhub.core.i18n as i18n

PAGE = ("{{ _('Log out') }}|{{ _('%(name)s', name='<b>') }}|{{ _('100%%') }}|"
        "{{ ngettext('%(num)s record', '%(num)s records', 1) }}|"
        "{{ ngettext('%(num)s record', '%(num)s records', 20) }}|"
        "{% trans %}Log out{% endtrans %}")


def test_the_same_text_with_one_look_up_per_render(app, monkeypatch):
    looked_up = []
    real = i18n.get_translations
    monkeypatch.setattr(i18n, "get_translations", lambda: looked_up.append(1) or real())
    with app.test_request_context("/"):
        with force_locale("ro"):
            ro = render_template_string(PAGE)
            assert len(looked_up) == 1
        with force_locale("en"):
            en = render_template_string(PAGE)
    assert ro.split("|") == ["Ieșire", "&lt;b&gt;", "100%", "1 înregistrare",
                                 "20 de înregistrări", "Ieșire"]
    assert en.split("|") == ["Log out", "&lt;b&gt;", "100%", "1 record", "20 records",
                                 "Log out"]


def test_a_macro_imported_without_context_still_translates(app):
    with app.test_request_context("/"), force_locale("ro"):
        macro = app.jinja_env.from_string(
            "{% macro out() %}{{ _('Log out') }}{% endmacro %}")
        page = app.jinja_env.from_string("{{ m.out() }}", globals={"m": macro.module})
        assert page.render() == "Ieșire"
