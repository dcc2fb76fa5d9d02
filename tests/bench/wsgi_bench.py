"""The app as `make bench` serves it under gunicorn: the scale dataset (BENCH_DATABASE_URL),
a hello-world route to compare against, and a login route for the load client's session."""
import os

from flask_login import login_user
from sqlalchemy import select

from tests.conftest import make_app
from trainhub.auth.models import User
from trainhub.extensions import db

app = make_app(SQLALCHEMY_DATABASE_URI=os.environ["BENCH_DATABASE_URL"])
BENCH_EMAIL = "bench-load@trainhub.local"

with app.app_context():
    if db.session.scalar(select(User.id).where(User.email == BENCH_EMAIL)) is None:
        user = User(email=BENCH_EMAIL, full_name="Bench", role="coordinator", active=True,
                    locale="en", password_hash="")
        user.set_password("bench-password-2026", "pbkdf2:sha256:1000")
        db.session.add(user)
        db.session.commit()


@app.route("/bench-login")
def bench_login() -> str:
    """Logs the load client in as the bench coordinator, once: it then sends the session
    cookie, and each request loads the user the way a browser's does."""
    login_user(db.session.scalar(select(User).where(User.email == BENCH_EMAIL)))
    return "logged in"


@app.route("/bench-hello")
def hello() -> str:
    return "hello"
