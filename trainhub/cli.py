"""`flask` commands: create-user, demo, import, jobs, rates, reminders, scheduler (DESIGN §10),
vouchers and maturity reports (§17)."""
import json
from pathlib import Path

import click
from flask import Flask, current_app
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
        click.echo(demo.login_line(role, email, password))
    with acting_as(None):
        line = demo.trainee_link_line(db.session, current_app.config["SECRET_KEY"],
                                      current_app.config["BASE_URL"],
                                      current_app.config["TRAINEE_LINK_DAYS"])
    if line:
        click.echo(line)


def _default_lang() -> str:
    """`ro` when the shell's LANG is Romanian, else `en`."""
    import os

    return "ro" if os.environ.get("LANG", "").lower().startswith("ro") else "en"


def _mapping_from(path: str, _) -> object:
    """The JSON of a `--mapping` file (checked against the kind's fields by the import)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (ValueError, OSError):
        raise click.ClickException(_("%(file)s is not a JSON column mapping", file=path)) from None


@click.command("import")
@click.argument("kind", type=click.Choice(["enterprises", "participants", "attendance", "workbook"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--project", "project_code", required=True, help="Project code, e.g. SMIS-130512.")
@click.option("--call", "call_code", default="POCU/3.12", show_default=True,
              help="Call of a project the workbook import creates.")
@click.option("--sheet", default=None, help="Sheet of an XLSX workbook (default: the first).")
@click.option("--partial", is_flag=True, help="Import the valid rows even when others are bad.")
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@click.option("--allow-employer-change", is_flag=True,
              help="Apply the rows that move a person to another employer (else a warning).")
@click.option("--lang", type=click.Choice(["ro", "en"]), default=_default_lang,
              help="Language of the report (default: from LANG).")
@click.option("--fiscal-year", type=click.IntRange(1990, 2100), default=None,
              help="Financial year of amounts in lei, for the EUR/RON rate (default: last year).")
@click.option("--mapping", "mapping_file", type=click.Path(exists=True, dir_okay=False),
              help='Column mapping, a JSON object {"file column": "field" or null to ignore it}.')
@click.option("--save-mapping", "save_mapping_file", type=click.Path(dir_okay=False),
              help="Write the column mapping the import used (synonyms matched included) as JSON.")
@with_appcontext
def import_command(kind, file, project_code, call_code, sheet, partial, dry_run,
                   allow_employer_change, lang, fiscal_year, mapping_file, save_mapping_file):
    """Import a CSV/XLSX file (DESIGN §9): every bad row is reported as sheet:row: column."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from trainhub.imports.importers import read_import, run_import, summary
    from trainhub.imports.services import ImportFailed, import_max_bytes, used_mapping
    from trainhub.programme.services import project_for_import

    project = project_for_import(db.session, project_code, call_code,
                                 create=kind == "workbook")
    if project is None:
        raise click.ClickException(f"no project with code {project_code}")
    with force_locale(lang):
        if Path(file).stat().st_size > import_max_bytes():  # refused before it is read
            raise click.ClickException(_("the file is larger than %(limit)s MB; split it into "
                                         "smaller files", limit=import_max_bytes() // 2**20))
        mapping = _mapping_from(mapping_file, _) if mapping_file else None
        if save_mapping_file and kind == "workbook":
            raise click.ClickException(_("--save-mapping applies to one sheet of a single kind, "
                                         "not to a workbook"))
        try:
            tables = read_import(kind, Path(file).read_bytes(), sheet=sheet, mapping=mapping)
            if save_mapping_file:
                Path(save_mapping_file).write_text(json.dumps(
                    used_mapping(tables[kind]), ensure_ascii=False, indent=2) + "\n",
                    encoding="utf-8")
            with acting_as(None):
                report = run_import(db.session, kind, None, project, user_id=None,
                                    partial=partial, dry_run=dry_run,
                                    allow_employer_change=allow_employer_change,
                                    fiscal_year=fiscal_year, tables=tables)
        except ImportFailed as failure:
            raise click.ClickException(str(failure)) from None
        for error in report.errors:
            click.echo(str(error), err=True)
        for warning in report.employer_changes:
            click.echo(_("warning: %(message)s", message=str(warning)), err=True)
        for column in report.not_imported:
            click.echo(str(column))
        if report.lei_rate:
            year, rate = report.lei_rate
            click.echo(_("amounts in lei converted to EUR at %(rate)s lei/EUR, the average rate "
                         "of %(year)s", rate=rate, year=year))
        line = summary(report)
        if not report.written:
            line = _("%(summary)s - nothing was written", summary=line)
        click.echo(line)
    if report.errors and not partial:
        raise SystemExit(1)


@click.group("indicators")
def indicators_group():
    """Monitoring indicators (DESIGN §8)."""


@indicators_group.command("rebuild-facts")
@with_appcontext
def indicators_rebuild_facts_command():
    """Rewrite the indicator facts table from the source tables (triggers keep it in step;
    this is for repairs, e.g. after restoring a table on its own)."""
    from trainhub.indicators import facts

    written = facts.rebuild(db.session.connection())
    db.session.commit()
    click.echo(f"rebuilt the indicator facts: {written} counted membership(s)")


@indicators_group.command("refresh-dates")
@with_appcontext
def indicators_refresh_dates_command():
    """Recompute every membership's entry and exit dates with today's rules (DESIGN §15: exit
    = last session attended or the withdrawal, never after today); run once after upgrading."""
    from sqlalchemy import select

    from trainhub.participants.entry_exit import refresh_entry_exit
    from trainhub.participants.models import Membership

    changed = refresh_entry_exit(db.session, list(db.session.scalars(select(Membership.id))))
    db.session.commit()
    click.echo(f"entry/exit dates recomputed: {changed} membership(s) changed")


@indicators_group.command("export")
@click.option("--project", "project_code", required=True, help="Project code.")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Last day of the period (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default="csv",
              show_default=True)
@click.option("--output", default="-", show_default=True, help="File to write; - is stdout.")
@click.option("--full-cnp", is_flag=True, help="Unmasked CNPs in the XLSX participant lists.")
@with_appcontext
def indicators_export_command(project_code, start, end, fmt, output, full_cnp):
    """Write the indicator table of a project for a period (csv, xlsx or json)."""
    import sys

    from sqlalchemy import select

    from trainhub.audit.services import record
    from trainhub.indicators.exports import export
    from trainhub.programme.models import Project

    project = db.session.scalar(select(Project).where(Project.code == project_code))
    if project is None:
        raise click.ClickException(f"no project with code {project_code}")
    if end < start:
        raise click.ClickException("--to is before --from")
    content = export(db.session, project, start.date(), end.date(), fmt, full_cnp=full_cnp)
    if full_cnp:
        record(db.session, "indicators.export_full", project, {"format": fmt, "output": output},
               user_id=None)
        db.session.commit()
    if output == "-":
        if fmt == "xlsx" and sys.stdout.isatty():
            raise click.ClickException("an XLSX file is binary: give --output FILE")
        click.echo(content, nl=False)  # bytes go to the binary stream untouched
    else:
        with open(output, "wb") as stream:
            stream.write(content)
        click.echo(f"wrote {output}", err=True)


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


@click.group("rates")
def rates_group():
    """Annual average EUR/RON rates that convert amounts in lei (DESIGN §13)."""


@rates_group.command("list")
@with_appcontext
def rates_list_command():
    """Print the recorded rates, one year a line."""
    from sqlalchemy import select

    from trainhub.enterprises.models import EurRonRate

    for rate in db.session.scalars(select(EurRonRate).order_by(EurRonRate.year)):
        click.echo(f"{rate.year} {rate.ron_per_eur}")


@rates_group.command("set")
@click.argument("year", type=click.IntRange(1990, 2100))
@click.argument("rate")
@with_appcontext
def rates_set_command(year, rate):
    """Record or correct a year's average rate (lei for one euro, e.g. 4.9746)."""
    from trainhub.core.errors import Problems
    from trainhub.enterprises.services import set_rate

    try:
        with acting_as(None):
            row = set_rate(db.session, year, rate)
            db.session.commit()
    except Problems as problems:
        db.session.rollback()
        raise click.ClickException(str(problems)) from None
    click.echo(f"{row.year} {row.ron_per_eur}")


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


@click.group("jobs")
def jobs_group():
    """Background jobs (long exports, big import previews): the worker and the clean-up."""


@jobs_group.command("worker")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="How many jobs run at the same time (threads).")
@with_appcontext
def jobs_worker_command(workers):
    """Run the job worker (the huey consumer) in the foreground until interrupted."""
    from flask import current_app

    from trainhub.jobs.queue import app_huey

    huey = app_huey(current_app._get_current_object())
    if huey.immediate:
        raise click.ClickException("HUEY_IMMEDIATE is on: jobs run inline, no worker is needed")
    click.echo(f"job worker running with {workers} worker(s) (Ctrl+C stops it)")
    huey.create_consumer(workers=workers, worker_type="thread").run()


@jobs_group.command("cleanup")
@with_appcontext
def jobs_cleanup_command():
    """Remove the result files of jobs that ended more than JOB_RESULT_DAYS days ago and the
    staged web-import uploads nobody confirmed or cancelled within a day."""
    from flask import current_app

    from trainhub.jobs.services import clean_up

    removed = clean_up(db.session, current_app.config)
    click.echo(f"removed {removed['results']} result file(s) and "
               f"{removed['staged_uploads']} staged upload(s)")


def _journey_report(project_code: str, fmt: str, output: str, header: list[str], rows_of):
    """Write a digital-journey report (DESIGN §17) of a project as CSV or XLSX."""
    from sqlalchemy import select

    from trainhub.core.spreadsheets import csv_text, xlsx_bytes
    from trainhub.programme.models import Project

    project = db.session.scalar(select(Project).where(Project.code == project_code))
    if project is None:
        raise click.ClickException(f"no project with code {project_code}")
    rows = [header] + [["" if value is None else value for value in row]
                       for row in rows_of(db.session, project)]
    if fmt == "csv":
        content = csv_text(rows, lineterminator="\n").encode()
    else:
        content = xlsx_bytes(project_code, rows)
    if output == "-":
        click.echo(content, nl=False)
    else:
        with open(output, "wb") as stream:
            stream.write(content)
        click.echo(f"wrote {output}", err=True)


_REPORT_OPTIONS = [
    click.option("--project", "project_code", required=True, help="Project code."),
    click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv",
                 show_default=True),
    click.option("--output", default="-", show_default=True, help="File to write; - is stdout."),
]


def _report_options(command):
    for option in reversed(_REPORT_OPTIONS):
        command = option(command)
    return command


@click.group("vouchers")
def vouchers_group():
    """Skills vouchers of the SMEs (DESIGN §17)."""


@vouchers_group.command("report")
@_report_options
@with_appcontext
def vouchers_report_command(project_code, fmt, output):
    """Budget, spent and balance of each SME's voucher in a project."""
    from trainhub.journey.services import voucher_report

    _journey_report(project_code, fmt, output,
                    ["cui", "name", "budget_eur", "spent_eur", "balance_eur"], voucher_report)


@click.group("maturity")
def maturity_group():
    """Digital-maturity self-assessments of the SMEs (DESIGN §17)."""


@maturity_group.command("report")
@_report_options
@with_appcontext
def maturity_report_command(project_code, fmt, output):
    """Entry and exit score of each SME on each dimension in a project."""
    from trainhub.journey.services import maturity_report

    _journey_report(project_code, fmt, output,
                    ["cui", "dimension", "score_entry", "score_exit"], maturity_report)


def register_cli(app: Flask) -> None:
    for command in (create_user_command, demo_command, import_command, indicators_group,
                    jobs_group, rates_group, reminders_group, scheduler_command,
                    vouchers_group, maturity_group):
        app.cli.add_command(command)
