"""Analysis: normalise, screen and tokenise children's words, then theme them."""


def init_app(app):
    """Register the analysis views and commands."""
    from analysis import cli, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.analysis_cli)
