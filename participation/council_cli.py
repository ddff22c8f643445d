"""Commands for the councils: the year's participation status, retention."""

import click
from flask.cli import AppGroup

from core.db import session_scope
from participation import council_ops, status

participation_cli = AppGroup(
    "participation", help="Children's councils: figures and retention."
)


@participation_cli.command("status")
@click.option("--year", type=int, help="The year to count (default: this year).")
@click.option("--township", help="A township code, to count one township only.")
def status_command(year, township):
    """Print the plan's participation figures for a year, one per line."""
    year = year or council_ops.local_today().year
    with session_scope() as session:
        if township and council_ops.find_township(session, township) is None:
            raise click.ClickException(f"no township with code {township!r}")
        for line in status.status_lines(session, year, township):
            click.echo(line)


@participation_cli.command("purge-personal")
def purge_command():
    """Delete real names and contacts kept past term end plus retention."""
    with session_scope() as session:
        purged = council_ops.purge_expired(session)
    click.echo(f"personal details deleted for {purged} members")
