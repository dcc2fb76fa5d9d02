"""`flask` commands: create-user, demo (and the commands each area adds)."""
import click
from flask import Flask
from flask.cli import with_appcontext

from trainhub.audit.services import acting_as
from trainhub.auth.models import Role
from trainhub.extensions import db


@click.command("create-user")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--enterprise", "enterprise_cui", help="CUI of the enterprise (SME users).")
@click.option("--name", "full_name", default="", help="Full name shown in the app.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when not given.")
@with_appcontext
def create_user_command(email, role, enterprise_cui, full_name, password):
    """Create a user account."""
    from trainhub.auth.services import UserError, create_user

    try:
        user = create_user(email, password, role, enterprise_cui, full_name=full_name)
    except UserError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created: {user.role} {user.email}")


@click.command("demo")
@click.option("--scale", type=click.IntRange(min=1), default=None,
              help="Build a benchmark dataset of N SMEs (20 participants each) instead.")
@with_appcontext
def demo_command(scale):
    """Load the demo programme (once) and print its logins, or build a scale dataset."""
    from trainhub import demo

    with acting_as(None):
        if scale:
            with click.progressbar(length=scale, label=f"Building {scale} SMEs") as bar:
                done = {"n": 0}

                def progress(count: int, _total: int) -> None:
                    bar.update(count - done["n"])
                    done["n"] = count

                counts = demo.build_scale(db.session, scale, progress=progress)
            click.echo(", ".join(f"{key}: {value}" for key, value in counts.items()))
            return
        logins = demo.load_demo(db.session)
    if not logins:
        click.echo("The demo programme is already loaded.")
        logins = demo.demo_logins()
    for role, email, password in logins:
        click.echo(f"login: {role} {email} {password}")


def register_cli(app: Flask) -> None:
    for command in (create_user_command, demo_command):
        app.cli.add_command(command)
