"""Markup made once per page: a filter's options in one pass, a badge once per distinct value."""
from trainhub.core.formats import once_per_value, options_markup

LOOP = ('{% for value, name in choices %}<option value="{{ value }}" '
        "{{ 'selected' if chosen == value }}>{{ name }}</option>{% endfor %}")


def test_options_are_the_template_loop_byte_for_byte(app):
    choices = [("RO-AB", "Alba"), ("<x>", 'Tom & "Jerry"'), (7, "Șapte · ăîâșț")]
    for chosen in (None, "RO-AB", "<x>", 7, "7", "missing"):
        expected = app.jinja_env.from_string(LOOP).render(choices=choices, chosen=chosen)
        assert str(options_markup(choices, chosen)) == expected


def test_each_distinct_value_is_made_once():
    made = []

    def render(status, sex):
        made.append((status, sex))
        return f"{status}/{sex}"

    badge = once_per_value(render, key=lambda status, sex: (status, sex == "F"))
    shown = [badge("eligible", "F"), badge("eligible", "M"), badge("eligible", "F"),
             badge("pending", "M"), badge("eligible", None)]
    assert shown == ["eligible/F", "eligible/M", "eligible/F", "pending/M", "eligible/M"]
    assert made == [("eligible", "F"), ("eligible", "M"), ("pending", "M")]
