"""Commands for the database, accounts and the demo."""

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from core import db
from core.audit import CREATED_USER, record
from core.backup import backup_cli
from core.models import USERNAME_MAX, Role, User, find_user, normalise_username
from core.retention import retention_cli

db_cli = AppGroup("db", help="Create or upgrade the database schema.")
users_cli = AppGroup("users", help="Manage adult accounts.")


def init_app(app):
    """Register the core commands."""
    app.cli.add_command(db_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(retention_cli)
    app.cli.add_command(backup_cli)


@db_cli.command("upgrade")
def upgrade_command():
    """Bring the configured database to the newest schema."""
    db.upgrade(current_app.config["DATABASE_URL"])
    click.echo("database is at the newest schema")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--name", "display_name", help="How the site greets the user.")
@click.option("--township", help="Township code the account is limited to.")
@click.option("--department", help="Department answered for (role department).")
@click.password_option()
def create_user_command(username, role, display_name, township, department, password):
    """Create an adult account.

    USERNAME is stored normalised (NFKC, trimmed, case-folded), as sign-in
    reads it.
    """
    if len(password) < 8:
        raise click.ClickException("the password needs at least 8 characters")

    typed, username = username, normalise_username(username)
    if not username or len(username) > USERNAME_MAX:
        raise click.ClickException(f"the username needs 1 to {USERNAME_MAX} characters")
    with db.session_scope() as session:
        taken = find_user(session, username)
        if taken is not None:
            raise click.ClickException(
                f"user {typed!r} exists already as {taken.username!r} "
                "(case and full-width letters do not make a new name)"
            )
        user = User(
            username=username,
            display_name=display_name or username,
            role=role,
            township_code=township,
            department=department,
        )
        user.set_password(password)
        session.add(user)
        session.flush()
        record(session, CREATED_USER, "user", user.id, role=role, township=township)
    click.echo(f"created {role} {username}")


@click.command("demo")
@click.option("--host", default="http://127.0.0.1:5000", help="Base URL to print.")
@with_appcontext
def demo_command(host):
    """Load the plan, templates, demo launches and answers, then run the analysis."""
    from core import demo

    summary = demo.run()
    for line in demo.describe(summary, host.rstrip("/")):
        click.echo(line)
