"""The database engine, one session per request, and schema migrations."""

import logging
from contextlib import contextmanager
from pathlib import Path

from flask import current_app, g
from sqlalchemy import event
from sqlmodel import Session, create_engine

from core import ROOT

log = logging.getLogger(__name__)


def init_app(app):
    """Create the engine for DATABASE_URL and close sessions after each request."""
    url = app.config["DATABASE_URL"]
    app.extensions["db_engine"] = make_engine(url)
    app.teardown_appcontext(_close_session)


def make_engine(url):
    """Return an engine; SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine

    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def get_engine():
    """Return the current app's engine."""
    return current_app.extensions["db_engine"]


def get_session() -> Session:
    """Return the request's session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


def _close_session(_exc):
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def session_scope():
    """Yield a session that commits on success and rolls back on error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


def alembic_config(url):
    """Return an Alembic config pointed at the project's migrations and url."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url):
    """Bring the database at url to the newest schema."""
    from alembic import command

    command.upgrade(alembic_config(url), "heads")
    log.info("Database upgraded to the newest schema")
