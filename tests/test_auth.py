"""Sign-in, CSRF and role checks."""

import pytest

from app import create_app
from core.models import normalise_username
from tests.conftest import PASSWORD


def test_login_and_logout(client, make_user):
    user = make_user("staff")

    response = client.post(
        "/login", data={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/plan").status_code == 200

    client.post("/logout")
    assert client.get("/plan").status_code == 302


@pytest.mark.parametrize(
    ("username", "password"),
    [("staff-x", "wrong"), ("nobody", PASSWORD), ("", ""), ("staff-x", "")],
)
def test_bad_sign_in_is_refused(client, make_user, username, password):
    make_user("staff", username="staff-x")

    response = client.post("/login", data={"username": username, "password": password})

    assert response.status_code in (200, 401)
    assert client.get("/plan").status_code == 302


def test_password_is_hashed(make_user):
    user = make_user("staff")

    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_inactive_user_cannot_sign_in(client, make_user):
    user = make_user("staff", active=False)

    client.post("/login", data={"username": user.username, "password": PASSWORD})

    assert client.get("/plan").status_code == 302


def test_open_redirect_is_ignored(client, make_user):
    user = make_user("staff")

    response = client.post(
        "/login?next=//evil.example/",
        data={"username": user.username, "password": PASSWORD},
    )

    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("facilitator", "/plan", 403),
        ("facilitator", "/launches", 200),
        ("department", "/launches", 403),
        ("department", "/plan", 200),
        ("staff", "/plan", 200),
        ("safeguarding", "/launches", 403),
        ("admin", "/plan", 200),
    ],
)
def test_roles(client, login, seeded, role, path, status):
    login(role)

    assert client.get(path).status_code == status


def test_forms_need_csrf_token(database_url, make_user):
    app = create_app(
        {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "t" * 32}
    )
    client = app.test_client()
    user = make_user("staff")

    response = client.post(
        "/login", data={"username": user.username, "password": PASSWORD}
    )

    assert response.status_code == 400
    assert "请刷新页面" in response.get_data(as_text=True)
    assert client.get("/plan").status_code == 302
    app.extensions["db_engine"].dispose()


@pytest.mark.parametrize(
    "typed", ["staff", " Staff ", "STAFF", "ＳＴＡＦＦ", "ｓｔａｆｆ"]
)
def test_sign_in_reads_the_name_normalised(client, make_user, typed):
    make_user("staff", username="staff")

    response = client.post("/login", data={"username": typed, "password": PASSWORD})

    assert response.status_code == 302
    assert client.get("/plan").status_code == 200


def test_account_saved_before_normalising_still_signs_in(client, make_user):
    make_user("staff", username="Wang.Li")

    response = client.post("/login", data={"username": "wang.li", "password": PASSWORD})

    assert response.status_code == 302


def test_a_different_name_is_still_refused(client, make_user):
    make_user("staff", username="staff")

    response = client.post("/login", data={"username": "stafF1", "password": PASSWORD})

    assert response.status_code == 401
    assert client.get("/plan").status_code == 302


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("ＳＴＡＦＦ", "staff"), (" Wang-Li ", "wang-li"), ("Straße", "strasse")],
)
def test_normalise_username(typed, stored):
    assert normalise_username(typed) == stored
