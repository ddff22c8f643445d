"""Configuration from defaults, the environment and the instance folder."""

import os
from pathlib import Path

import click

DEV_SECRET = "dev-only-not-secret"


class ConfigError(click.ClickException, RuntimeError):
    """The configuration cannot serve children's data safely.

    A ClickException, so that `flask` commands print the message alone.
    """


def load_config(app, overrides=None):
    """Fill app.config from defaults, the environment and overrides."""
    instance = Path(app.instance_path)
    secure = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    app.config.update(
        DATABASE_URL=os.environ.get("DATABASE_URL")
        or f"sqlite:///{instance / 'tongsheng.db'}",
        SECRET_KEY=os.environ.get("SECRET_KEY") or _read_secret_file(instance),
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        SESSION_IDLE_SECONDS=30 * 60,
        LOGIN_ACCOUNT_LIMIT=5,
        LOGIN_ADDRESS_LIMIT=20,
        LOGIN_WINDOW_SECONDS=15 * 60,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    if overrides:
        app.config.update(overrides)
    # expand answers in the request instead of a background thread: the
    # default for tests, which would otherwise leave a thread per app behind
    inline = os.environ.get("SUBMISSIONS_INLINE")
    app.config.setdefault(
        "SUBMISSIONS_INLINE",
        inline == "1" if inline is not None else bool(app.config.get("TESTING")),
    )
    _check_secret(app)


def _read_secret_file(instance):
    path = instance / "secret_key"
    return path.read_text().strip() if path.is_file() else None


def _check_secret(app):
    """Refuse to serve without a real secret outside development and tests."""
    secret = app.config.get("SECRET_KEY")
    if secret and secret != DEV_SECRET:
        return

    if app.debug or app.testing:
        app.config["SECRET_KEY"] = DEV_SECRET
        return

    raise ConfigError(
        "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
        "(or put one in instance/secret_key), e.g. "
        "export SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')"
    )
