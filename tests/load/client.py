"""How a load client talks to the app: a browser behind the TLS-ending proxy, 127.0.0.1 only."""
import re
from urllib.parse import urlsplit

import requests
from requests.cookies import RequestsCookieJar

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class BehindTheProxyJar(RequestsCookieJar):
    """Keep the app's Secure cookies for 127.0.0.1 and send them back over plain HTTP.

    In production TLS ends at the proxy in front of gunicorn (docs/deploy.md); the load test
    plays that proxy (X-Forwarded-Proto: https, TRUSTED_PROXIES=1), so on the browser's side of
    it the cookie does travel over HTTPS. (A cookie policy is not enough: requests copies the
    jar into a default-policy one for each request.)
    """

    def extract_cookies(self, response, request) -> None:
        super().extract_cookies(response, request)
        for cookie in self:
            if cookie.domain == "127.0.0.1":
                cookie.secure = False


def behind_the_proxy(client: requests.Session, base: str) -> None:
    """Set `client` up as a browser whose requests reach the app through the proxy."""
    origin = urlsplit(base)
    assert origin.hostname == "127.0.0.1", "the load test only ever targets this machine"
    client.cookies = BehindTheProxyJar()
    # Flask-WTF checks the Referer of HTTPS form posts, as a browser sends it (same-origin).
    client.headers.update({"X-Forwarded-Proto": "https", "Referer": f"https://{origin.netloc}/"})


def csrf_token(html: str) -> str:
    """The token of the page's first form."""
    match = _CSRF.search(html)
    if not match:
        raise ValueError("the page has no CSRF token")
    return match.group(1)
