"""The app as `make bench` serves it under gunicorn: the scale dataset (BENCH_DATABASE_URL),
a hello-world route to compare against, the floor of any signed-in page, and a login route for
the load client's session."""
import os

from flask import request
from flask_login import current_user, login_user
from sqlalchemy import select, text

from tests.bench import BENCH_EMAIL
from tests.conftest import make_app
from trainhub.auth.models import User
from trainhub.extensions import db

app = make_app(SQLALCHEMY_DATABASE_URI=os.environ["BENCH_DATABASE_URL"])


@app.route("/bench-login")
def bench_login() -> str:
    """Logs the load client in as the bench coordinator, once: it then sends the session
    cookie, and each request loads the user the way a browser's does."""
    login_user(db.session.scalar(select(User).where(User.email == BENCH_EMAIL)))
    return "logged in"


@app.route("/bench-hello")
def hello() -> str:
    return "hello"


@app.route("/bench-signed-in")
def signed_in_floor() -> str:
    """What every signed-in page costs before doing anything of its own: the user loaded from
    the session (as on every page), one query, and a body of `?bytes=` (the page's size)."""
    assert current_user.is_authenticated
    db.session.execute(text("SELECT 1")).scalar()
    return "x" * request.args.get("bytes", 0, type=int)
