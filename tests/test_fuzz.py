"""Hostile input everywhere: extreme values in every form field, URL parameter and query
argument of every route, as every role, must never crash the app (no 500, no traceback).

The forms are not listed by hand: each role opens every page it can reach in the access-matrix
world and every <form> found there is posted with each extreme value in all of its fields, so
a new page's forms are fuzzed the day the page exists.
"""
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from flask import url_for
from werkzeug.routing import IntegerConverter

from tests.test_access_matrix import ACCESS, URL_ARGS, build_world

#: values a probe types: huge and tiny numbers, far dates, long text, control characters,
#: formulas, markup, wrong types, other scripts' digits
EXTREMES = [
    "9" * 20,
    "1e400",
    "1e30",
    "-1",
    "-9223372036854775809",
    "NaN",
    "9999-12-31",
    "0001-01-01",
    "31.02.2026",
    "x" * 20_000,
    "\x00\x07\r\n\t\x1b",
    "=HYPERLINK(\"http://x\")",
    "<script>alert(1)</script>'\"",
    "\u0661\u0662\u0663",  # Arabic-Indic digits: isdigit() says yes, int() agrees, SQL may not
    "",
]
#: URL segments: ids past every integer type, and hostile strings for text parameters
HUGE_IDS = [2**31, 2**63, 2**64, 10**30]
HOSTILE_SEGMENTS = ["x" * 5000, "%00", "..%2F..%2Fetc%2Fpasswd", "\u0661"]
#: query arguments the views read (request.args), each given every extreme value
QUERY_ARGS = ["page", "per_page", "project", "from", "to", "code", "sex", "format", "full",
              "enterprise_id", "enterprise", "requirement", "entity_type", "entity_id", "category",
              "kind", "show", "q", "status", "eligibility", "next", "cohort", "course", "sort"]
ROLES = ("anonymous", "admin", "coordinator", "trainer", "sme", "authority")
#: forms that would end the fuzzing session itself
SKIPPED_ACTIONS = ("/logout",)


class _Forms(HTMLParser):
    """Every <form> of a page: (method, action, field names), the CSRF token's value apart."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, str, set[str]]] = []
        self._fields: set[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._fields = set()
            self.forms.append(((attrs.get("method") or "get").upper(), attrs.get("action") or "",
                               self._fields))
        elif tag in ("input", "select", "textarea", "button") and self._fields is not None:
            name = attrs.get("name")
            if name and name != "csrf_token":
                self._fields.add(name)

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None


def _forms_of(html: str, page_url: str) -> list[tuple[str, str, set[str]]]:
    parser = _Forms()
    parser.feed(html)
    found = []
    for method, action, fields in parser.forms:
        path = urlsplit(action).path or urlsplit(page_url).path
        if not path.startswith("/") or path.endswith(SKIPPED_ACTIONS):
            continue
        found.append((method, path, fields))
    return found


class Probe:
    """Sends hostile requests and collects every one the app answered with 500 or crashed on."""

    def __init__(self, client, auth):
        self.client, self.auth = client, auth
        self.failures: list[str] = []
        self._token = None

    def csrf(self, signed_in: bool) -> str:
        if self._token is None:
            self._token = self.auth.csrf_token("/" if signed_in else "/login")
        return self._token

    def send(self, method: str, url: str, data: dict | None = None) -> None:
        try:
            if method == "GET":
                response = self.client.get(url, query_string=data)
            else:
                response = self.client.open(url, method=method, data=data)
        except Exception as error:  # noqa: BLE001  (the crash is the finding)
            self.failures.append(f"{method} {url[:120]} {_short(data)}: {type(error).__name__}: "
                                 f"{str(error)[:200]}")
            return
        if response.status_code >= 500:
            self.failures.append(f"{method} {url[:120]} {_short(data)}: {response.status_code}")


def _short(data: dict | None) -> str:
    if not data:
        return ""
    return "{" + ", ".join(f"{k}={str(v)[:12]!r}" for k, v in list(data.items())[:4]) + "}"


def _get_urls(app, world) -> list[str]:
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if ("GET", rule.endpoint) in ACCESS:
                urls.append(url_for(rule.endpoint,
                                    **{arg: URL_ARGS[arg](world) for arg in rule.arguments}))
    return urls


def _login(auth, world, role: str) -> None:
    if role != "anonymous":
        assert auth.login(world.users[role]).status_code == 302, f"{role} could not log in"


@pytest.mark.parametrize("role", ROLES)
def test_every_form_field_survives_extreme_values(app, client, auth, role):
    world = build_world()
    _login(auth, world, role)
    probe = Probe(client, auth)
    forms = set()
    for url in _get_urls(app, world):
        response = client.get(url)
        if response.status_code == 200 and response.mimetype == "text/html":
            for method, action, fields in _forms_of(response.get_data(as_text=True), url):
                forms.add((method, action, frozenset(fields)))
    assert forms, "no form found: the walk itself is broken"
    for method, action, fields in sorted(forms):
        for value in EXTREMES:
            data = dict.fromkeys(fields, value)
            if method == "POST":
                data["csrf_token"] = probe.csrf(role != "anonymous")
                probe.send("POST", action, data)
            else:
                probe.send("GET", action, data)
    assert not probe.failures, "\n".join(probe.failures)


@pytest.mark.parametrize("role", ("anonymous", "admin", "sme"))
def test_every_url_parameter_survives_extreme_values(app, client, auth, role):
    world = build_world()
    _login(auth, world, role)
    probe = Probe(client, auth)
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            methods = {m for m, endpoint in ACCESS if endpoint == rule.endpoint}
            if not methods:
                continue
            for argument in sorted(rule.arguments):
                numeric = isinstance(rule._converters[argument], IntegerConverter)
                hostile = HUGE_IDS if numeric else HOSTILE_SEGMENTS
                for value in hostile:
                    args = {arg: URL_ARGS[arg](world) for arg in rule.arguments} | {argument: value}
                    url = url_for(rule.endpoint, **args)
                    for method in sorted(methods):
                        data = {"csrf_token": probe.csrf(role != "anonymous")} \
                            if method == "POST" else None
                        probe.send(method, url, data)
    assert not probe.failures, "\n".join(probe.failures)


@pytest.mark.parametrize("role", ("anonymous", "admin", "coordinator", "sme", "authority"))
def test_every_query_argument_survives_extreme_values(app, client, auth, role):
    world = build_world()
    _login(auth, world, role)
    probe = Probe(client, auth)
    for url in _get_urls(app, world):
        for value in EXTREMES:
            probe.send("GET", url, dict.fromkeys(QUERY_ARGS, value))
    assert not probe.failures, "\n".join(probe.failures)
