"""Commands for the policy record."""

import click
from flask.cli import AppGroup

from core.db import session_scope
from participation import operations
from participation.plan import PlanFormatError, read_plan

plan_cli = AppGroup("plan", help="Import and inspect the city's action plan.")


@plan_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
def import_command(path):
    """Parse the action plan at PATH into the policy record."""
    try:
        plan = read_plan(path)
    except PlanFormatError as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    except OSError as exc:
        raise click.ClickException(f"{path}: {exc.strerror}") from None

    with session_scope() as session:
        counts = operations.import_plan(session, plan)
    click.echo(
        f"imported {counts['domains']} domains, {counts['tasks']} tasks, "
        f"{counts['units']} units, {counts['targets']} targets"
    )
