"""Surveys: templates, launches, the kiosk children answer on, and responses."""


def init_app(app):
    """Register the surveys views and commands."""
    from app import csrf
    from surveys import cli, views

    app.register_blueprint(views.bp)
    csrf.exempt(views.submit)
    app.cli.add_command(cli.surveys_cli)
