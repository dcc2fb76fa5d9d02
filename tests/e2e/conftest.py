"""Browser tests: the app served by werkzeug in a thread, driven by Debian's chromium."""
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from tests.conftest import make_app
from trainhub.extensions import db

CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"],
    }


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "accept_downloads": True}


@pytest.fixture
def live_app(tmp_path):
    """The app on a file SQLite database (threads need a real file), schema created."""
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'e2e.db'}",
                   UPLOAD_DIR=str(tmp_path / "uploads"))
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture
def live_server(live_app) -> Iterator[str]:
    """The base URL of the app served on 127.0.0.1 at a free port."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def page(page):
    """The browser page, failing the test if the browser refused anything under the CSP."""
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield page
    assert not refused, refused
