"""The `flask` commands of the foundation: create-user."""
from sqlalchemy import select

from tests.factories import EnterpriseFactory
from trainhub.auth.models import User
from trainhub.extensions import db


def test_create_user_with_password_option(app, runner):
    result = runner.invoke(args=["create-user", "Ana@Example.org", "--role", "coordinator",
                                 "--password", "long-enough-1"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "ana@example.org"))
    assert user.role == "coordinator" and user.check_password("long-enough-1")


def test_create_user_prompts_for_the_password(app, runner):
    result = runner.invoke(args=["create-user", "b@example.org", "--role", "admin"],
                           input="long-enough-1\nlong-enough-1\n")
    assert result.exit_code == 0, result.output


def test_sme_user_needs_an_existing_enterprise(app, runner):
    result = runner.invoke(args=["create-user", "s@example.org", "--role", "sme",
                                 "--password", "long-enough-1"])
    assert result.exit_code == 1 and "needs --enterprise" in result.output
    result = runner.invoke(args=["create-user", "s@example.org", "--role", "sme",
                                 "--enterprise", "RO 18547290", "--password", "long-enough-1"])
    assert result.exit_code == 1 and "no enterprise with CUI 18547290" in result.output
    firm = EnterpriseFactory()
    db.session.commit()
    result = runner.invoke(args=["create-user", "s@example.org", "--role", "sme",
                                 "--enterprise", f"RO{firm.cui}", "--password", "long-enough-1"])
    assert result.exit_code == 0, result.output


def test_bad_input_gives_a_readable_message_and_exit_code_1(app, runner):
    runner.invoke(args=["create-user", "a@example.org", "--role", "admin", "--password", "long-enough-1"])
    duplicate = runner.invoke(args=["create-user", "A@example.org", "--role", "admin",
                                    "--password", "long-enough-1"])
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    short = runner.invoke(args=["create-user", "c@example.org", "--role", "admin", "--password", "x"])
    assert short.exit_code == 1 and "at least 10" in short.output
    bad_role = runner.invoke(args=["create-user", "d@example.org", "--role", "king", "--password", "long-enough-1"])
    assert bad_role.exit_code != 0 and "king" in bad_role.output


def test_demo_prints_a_login_per_account_and_every_account_logs_in(app, runner, auth, client):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines() if line.startswith("login: ")]
    # a coordinator's line ends with the code of their project (DESIGN §10); no other line does
    assert sorted(line[4] for line in lines if len(line) == 5) == ["SMIS-130512", "SMIS-130513"]
    assert all(line[1] == "coordinator" for line in lines if len(line) == 5)
    assert all(len(line) == 4 for line in lines if line[1] != "coordinator")
    logins = [line[:4] for line in lines]
    roles = {role for _, role, _email, _password in logins}
    assert roles == {"admin", "coordinator", "trainer", "sme", "authority"}
    assert sum(role == "sme" for _, role, _e, _p in logins) == 2
    for _, _role, email, password in logins:
        assert auth.login(email, password).status_code == 302, email
        assert client.get("/").status_code == 200
        auth.logout()
    again = runner.invoke(args=["demo"])  # `make run` calls it every time: nothing duplicated
    assert again.exit_code == 0 and "already loaded" in again.output
    assert again.output.count("login: ") == len(logins)


def test_readme_shows_the_demo_logins_the_demo_creates():
    from pathlib import Path

    from trainhub.demo import demo_logins

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    from trainhub.demo import login_line

    for role, email, password in demo_logins():
        assert f"{login_line(role, email, password)}\n" in readme
