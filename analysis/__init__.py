"""Analysis: normalise, screen and tokenise children's words, then theme them."""


def init_app(app):
    """Register the analysis views and commands."""
    from analysis import cli, emergent_views, views

    app.register_blueprint(views.bp)
    app.register_blueprint(emergent_views.bp)
    app.cli.add_command(cli.analysis_cli)
