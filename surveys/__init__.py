"""Surveys: templates, launches, the kiosk children answer on, and responses."""


def init_app(app):
    """Register the surveys views and commands."""
    from app import csrf
    from surveys import cli, editor_views, views
    from surveys.processor import Processor

    processor = app.extensions["processor"] = Processor(app)
    if not app.config["SUBMISSIONS_INLINE"]:
        processor.init_app(app)
    app.register_blueprint(views.bp)
    csrf.exempt(views.submit)
    app.register_blueprint(editor_views.bp)
    csrf.exempt(editor_views.preview_responses)
    app.cli.add_command(cli.surveys_cli)
