"""Surveys: templates, launches, the kiosk children answer on, and responses."""


def init_app(app):
    """Register the surveys views and commands."""
    from app import csrf
    from surveys import cli, editor_views, views

    app.register_blueprint(views.bp)
    csrf.exempt(views.submit)
    app.register_blueprint(editor_views.bp)
    csrf.exempt(editor_views.preview_responses)
    app.cli.add_command(cli.surveys_cli)
