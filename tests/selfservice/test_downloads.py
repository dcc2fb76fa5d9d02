"""The files under a trainee's link are the person's alone: never sniffed, never cached."""
from urllib.parse import urlsplit

from tests.selfservice.conftest import issue
from tests.selfservice.test_trainee_link import _Links


def test_every_file_under_the_link_is_private_and_not_sniffed(app, client, trainees):
    start = issue(app, trainees.mine)
    parser = _Links()
    parser.feed(client.get(start).get_data(as_text=True))
    files = [urlsplit(link).path for link in parser.links if urlsplit(link).path.startswith(
        start + "/") and not link.startswith("#")]
    kinds = set()
    for path in files:
        response = client.get(path)
        if response.mimetype == "text/html":
            continue
        assert response.status_code == 200, path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Cache-Control"] == "private, no-store", path
        assert response.headers["Content-Disposition"].startswith("attachment"), path
        kinds.add(path.split("/")[3] if path.count("/") > 3 else path.rsplit("/", 1)[1])
    assert {"documents", "certificates", "registration-form.pdf"} <= kinds
