"""Analysis: normalise, screen and tokenise children's words, then theme them."""


def init_app(app):
    """Register the analysis views and commands."""
    from analysis import cli, emergent_views, views

    app.register_blueprint(views.bp)
    app.register_blueprint(emergent_views.bp)
    app.cli.add_command(cli.analysis_cli)
    app.jinja_env.globals["model_version"] = _model_version


def _model_version() -> str:
    """Return the version of the model weighing the themes, for the pages."""
    from analysis.learned import default_model

    model = default_model()
    return model.version if model else "无"
