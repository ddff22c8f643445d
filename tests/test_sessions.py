"""Signed-in sessions: permanent with a lifetime, idle expiry, cookie flags."""

import time

import pytest

from app import create_app
from tests.conftest import PASSWORD


def _cookie_header(response):
    """Return the Set-Cookie header of the session cookie."""
    return next(
        value
        for value in response.headers.getlist("Set-Cookie")
        if value.startswith("session=")
    )


def test_sign_in_makes_a_permanent_http_only_cookie(client, make_user):
    user = make_user("staff")

    response = client.post(
        "/login", data={"username": user.username, "password": PASSWORD}
    )

    cookie = _cookie_header(response)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires=" in cookie
    with client.session_transaction() as stored:
        assert stored.permanent
        assert abs(stored["signed_in_at"] - time.time()) < 60


def test_secure_flag_follows_the_environment(monkeypatch, database_url, make_user):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test-secret",
        }
    )
    user = make_user("staff")

    response = app.test_client().post(
        "/login",
        data={"username": user.username, "password": PASSWORD},
        base_url="https://localhost",
    )

    assert "Secure" in _cookie_header(response)
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    app.extensions["db_engine"].dispose()


def test_sign_in_starts_a_fresh_session(client, make_user):
    user = make_user("staff")
    with client.session_transaction() as stored:
        stored["planted"] = "by someone else"

    client.post("/login", data={"username": user.username, "password": PASSWORD})

    with client.session_transaction() as stored:
        assert "planted" not in stored


@pytest.mark.parametrize(
    ("idle_minutes", "age_hours", "signed_in"),
    [
        (5, 1, True),
        (29, 7, True),
        (31, 1, False),
        (1, 9, False),
    ],
)
def test_session_expires_when_idle_or_old(
    client, login, idle_minutes, age_hours, signed_in
):
    login("staff")
    now = time.time()
    with client.session_transaction() as stored:
        stored["seen_at"] = now - idle_minutes * 60
        stored["signed_in_at"] = now - age_hours * 3600

    response = client.get("/plan")

    assert (response.status_code == 200) is signed_in
    if not signed_in:
        assert response.headers["Location"].startswith("/login")


def test_expired_session_says_why(client, login):
    login("staff")
    with client.session_transaction() as stored:
        stored["seen_at"] = time.time() - 3600

    page = client.get("/plan", follow_redirects=True).get_data(as_text=True)

    assert "太久没有操作" in page


def test_use_keeps_the_session_alive(client, login):
    login("staff")
    with client.session_transaction() as stored:
        stored["seen_at"] = time.time() - 20 * 60

    client.get("/plan")

    with client.session_transaction() as stored:
        assert time.time() - stored["seen_at"] < 60


def test_session_without_stamps_is_expired(client, login):
    login("staff")
    with client.session_transaction() as stored:
        del stored["signed_in_at"], stored["seen_at"]

    assert client.get("/plan").status_code == 302


def test_lifetime_is_set(app):
    assert app.permanent_session_lifetime.total_seconds() == 8 * 3600
    assert app.config["SESSION_IDLE_SECONDS"] == 30 * 60
