"""Extreme values never crash: ids past 64 bits, huge query numbers, amounts and far dates."""
import pytest
from werkzeug.routing import IntegerConverter

from tests.factories import UserFactory
from trainhub.auth.services import issue_token
from trainhub.extensions import db

TOO_BIG = (2**63, 2**64, 10**30)


def _int_rules(app):
    for rule in app.url_map.iter_rules():
        names = [name for name, converter in rule._converters.items()
                 if isinstance(converter, IntegerConverter)]
        if names:
            yield rule, names


def _url(rule, ints: list[str], number: int) -> str:
    values = {name: (number if name in ints else "x") for name in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def _outcome(client, method: str, url: str, **kwargs):
    try:
        return client.open(url, method=method, **kwargs).status_code
    except Exception as error:  # noqa: BLE001  (the crash is what the test reports)
        return f"{type(error).__name__}: {error}"


def test_the_map_has_routes_with_ids(app):
    assert len(list(_int_rules(app))) > 40


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_every_route_answers_404_for_ids_past_64_bits(app, client, auth, who):
    headers = {}
    if who == "admin":
        admin = UserFactory(role="admin")
        db.session.commit()
        headers = {"Authorization": "Bearer " + issue_token(db.session, admin, "t")[1]}
        db.session.commit()
        auth.login(admin.email)
    failures = []
    for rule, ints in _int_rules(app):
        for number in TOO_BIG:
            url = _url(rule, ints, number)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                kwargs = {"headers": headers} if url.startswith("/api/") else {}
                if method != "GET" and not url.startswith("/api/") and who == "admin":
                    kwargs["data"] = {"csrf_token": auth.csrf_token("/")}
                status = _outcome(client, method, url, **kwargs)
                if status != 404:
                    failures.append((method, url, status))
    assert failures == [], "\n".join(map(str, failures))
