"""Participation: the policy record of the city's action plan, and councils."""

from participation import councils  # noqa: F401  (tables known to the metadata)


def init_app(app):
    """Register the participation views and commands."""
    from app import csrf
    from participation import (
        cli,
        council_cli,
        council_views,
        proposal_views,
        public_text,
        session_views,
        views,
    )

    app.register_blueprint(views.bp)
    app.register_blueprint(council_views.bp)
    app.register_blueprint(session_views.bp)
    app.register_blueprint(session_views.tablets)
    app.register_blueprint(proposal_views.bp)
    app.register_blueprint(proposal_views.public)
    public_text.init_app(app)
    csrf.exempt(session_views.cast_ballot)
    app.cli.add_command(cli.plan_cli)
    app.cli.add_command(council_cli.participation_cli)
