"""`flask` commands: create-user, demo, import, reminders, scheduler (DESIGN §10)."""
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


def _importers() -> dict:
    """Kind of file -> (import function, column aliases); areas add theirs here."""
    from trainhub.attendance.services import ATTENDANCE_ALIASES, import_attendance

    return {"attendance": (import_attendance, ATTENDANCE_ALIASES)}


@click.command("import")
@click.argument("kind", type=click.Choice(["attendance"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--project", "project_code", required=True, help="Project code, e.g. SMIS-130512.")
@click.option("--sheet", default=None, help="Sheet of an XLSX workbook (default: the first).")
@click.option("--partial", is_flag=True, help="Import the valid rows even when others are bad.")
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@with_appcontext
def import_command(kind, file, project_code, sheet, partial, dry_run):
    """Import a CSV/XLSX file (DESIGN §9): every bad row is reported as sheet:row: column."""
    from pathlib import Path

    from sqlalchemy import select

    from trainhub.imports.services import ImportFailed, read_table
    from trainhub.programme.models import Project

    run, aliases = _importers()[kind]
    project = db.session.scalar(select(Project).where(Project.code == project_code))
    if project is None:
        raise click.ClickException(f"no project with code {project_code}")
    try:
        table = read_table(Path(file).read_bytes(), sheet=sheet, aliases=aliases)
        with acting_as(None):
            report = run(db.session, project, table, user_id=None, partial=partial,
                         dry_run=dry_run)
    except ImportFailed as failure:
        raise click.ClickException(str(failure)) from None
    for error in report.errors:
        click.echo(str(error), err=True)
    summary = (f"{len(table.rows)} rows: {report.created} new, {report.updated} updated, "
               f"{report.unchanged} unchanged, {len(report.errors)} with errors")
    click.echo(summary + ("" if report.written else " - nothing was written"))
    if report.errors and not partial:
        raise SystemExit(1)


@click.group("reminders")
def reminders_group():
    """Document reminder e-mails."""


@reminders_group.command("send")
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send and record nothing.")
@with_appcontext
def reminders_send_command(dry_run):
    """Send today's document reminders now (the scheduler does this daily)."""
    from flask import current_app

    from trainhub.documents.reminders import send_reminders

    with acting_as(None):
        report = send_reminders(db.session, current_app.config, dry_run=dry_run)
    if dry_run:
        for reminder in report.reminders:
            click.echo(f"to: {reminder.to}")
            click.echo(f"subject: {reminder.subject}")
            for item in reminder.items:
                click.echo(f"  - {item['text']}")
        click.echo(f"{len(report.reminders)} e-mails would be sent (dry run: nothing was sent)")
        return
    click.echo(f"{report.sent} sent, {report.failed} failed, {report.postponed} postponed")
    if report.failed or report.postponed:
        raise SystemExit(1)


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """Run the scheduler (daily reminders) in the foreground until interrupted."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    from flask import current_app

    from trainhub.scheduler import acquire_lock, add_jobs, release_lock

    app = current_app._get_current_object()
    lock = acquire_lock(app.config["SCHEDULER_LOCK_FILE"])
    if lock is None:
        raise click.ClickException("another scheduler runs on this host "
                                   f"(lock {app.config['SCHEDULER_LOCK_FILE']})")
    scheduler = BlockingScheduler()
    add_jobs(scheduler, app)
    click.echo(f"scheduler running: document reminders daily at {app.config['REMINDER_TIME']}"
               " (Ctrl+C stops it)")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        release_lock(lock)


def register_cli(app: Flask) -> None:
    for command in (create_user_command, demo_command, import_command, reminders_group,
                    scheduler_command):
        app.cli.add_command(command)
