"""Participation: the policy record of the city's action plan, and councils."""


def init_app(app):
    """Register the participation views and commands."""
    from participation import cli, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.plan_cli)
