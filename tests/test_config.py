"""Configuration fails fast without a real secret outside development."""

import pytest

from app import create_app
from core.config import ConfigError


def test_refuses_to_start_without_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.db")

    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"INSTANCE_ONLY": True})


def test_a_command_without_secret_prints_the_message_alone(monkeypatch, tmp_path):
    from click.testing import CliRunner
    from flask.cli import FlaskGroup

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    cli = FlaskGroup(create_app=lambda: create_app({"INSTANCE_ONLY": True}))

    result = CliRunner().invoke(cli, ["routes"])

    assert result.exit_code == 1
    assert result.output.startswith("Error: SECRET_KEY is not set.")
    assert "Traceback" not in result.output


def test_secret_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-from-the-environment")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.db")

    app = create_app()

    assert app.config["SECRET_KEY"] == "a-real-secret-from-the-environment"
    assert app.config["DATABASE_URL"].endswith("x.db")


def test_default_database_is_sqlite_in_instance(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    monkeypatch.delenv("DATABASE_URL", raising=False)

    app = create_app()

    assert app.config["DATABASE_URL"] == f"sqlite:///{app.instance_path}/tongsheng.db"


def test_security_headers(client):
    response = client.get("/login")

    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
