"""Sign-in throttling per account and per client address, shared through the DB."""

import logging
from datetime import timedelta

from sqlmodel import select

from app import create_app
from core import throttle
from core.models import utcnow
from core.throttle import LoginAttempt
from tests.conftest import PASSWORD

HOME = {"REMOTE_ADDR": "198.51.100.7"}
ELSEWHERE = {"REMOTE_ADDR": "203.0.113.9"}


def _sign_in(client, username, password, where=HOME):
    """Post the sign-in form from the address in where."""
    return client.post(
        "/login",
        data={"username": username, "password": password},
        environ_base=where,
    )


def _attempts(session):
    """Return every stored failed sign-in."""
    session.expire_all()
    return session.exec(select(LoginAttempt)).all()


def test_five_failures_lock_the_account_even_for_the_right_password(
    client, session, make_user
):
    user = make_user("staff")
    statuses = [_sign_in(client, user.username, "wrong").status_code for _ in range(5)]

    locked = _sign_in(client, user.username, PASSWORD)

    assert statuses == [401] * 5
    assert locked.status_code == 429
    page = locked.get_data(as_text=True)
    assert "登录失败的次数太多" in page and "分钟后" in page
    assert 14 * 60 <= int(locked.headers["Retry-After"]) <= 15 * 60
    assert len(_attempts(session)) == 5
    assert client.get("/plan").status_code == 302


def test_lock_is_per_account(client, make_user):
    locked, other = make_user("staff"), make_user("staff")
    for _ in range(5):
        _sign_in(client, locked.username, "wrong")

    assert _sign_in(client, other.username, PASSWORD).status_code == 302


def test_account_lock_holds_from_another_address(client, make_user):
    user = make_user("staff")
    for _ in range(5):
        _sign_in(client, user.username, "wrong")

    assert _sign_in(client, user.username, PASSWORD, ELSEWHERE).status_code == 429


def test_account_name_case_does_not_reset_the_count(client, make_user):
    make_user("staff", username="wang-li")
    for name in ("wang-li", "WANG-LI", "Wang-Li", " wang-li", "wang-LI"):
        _sign_in(client, name, "wrong")

    assert _sign_in(client, "wang-li", PASSWORD).status_code == 429


def test_twenty_failures_from_one_address_block_it(client, make_user):
    target = make_user("staff")
    for number in range(20):
        _sign_in(client, f"guess-{number}", "wrong")

    assert _sign_in(client, target.username, PASSWORD).status_code == 429
    assert _sign_in(client, target.username, PASSWORD, ELSEWHERE).status_code == 302


def test_unknown_accounts_are_counted_too(client, session):
    for _ in range(5):
        _sign_in(client, "no-such-user", "wrong")

    assert _sign_in(client, "no-such-user", "wrong").status_code == 429
    assert len(_attempts(session)) == 5


def test_failures_older_than_the_window_do_not_count(app, client, session, make_user):
    user = make_user("staff")
    with app.test_request_context():
        keys = throttle.keys_for(user.username, HOME["REMOTE_ADDR"])
        long_ago = utcnow() - timedelta(minutes=16)
        for _ in range(5):
            throttle.record_failure(session, keys, now=long_ago)

    response = _sign_in(client, user.username, PASSWORD)

    assert response.status_code == 302


def test_old_failures_are_forgotten_on_the_next_failure(app, client, session):
    with app.test_request_context():
        keys = throttle.keys_for("someone", HOME["REMOTE_ADDR"])
        throttle.record_failure(session, keys, now=utcnow() - timedelta(hours=1))

    _sign_in(client, "someone-else", "wrong")

    assert len(_attempts(session)) == 1


def test_lock_lifts_when_the_oldest_failure_leaves_the_window(app, session):
    with app.test_request_context():
        keys = throttle.keys_for("staff-a", HOME["REMOTE_ADDR"])
        start = utcnow() - timedelta(minutes=10)
        for minute in range(5):
            throttle.record_failure(
                session, keys, now=start + timedelta(minutes=minute)
            )

        until = throttle.blocked_until(session, keys)

    assert until == start + timedelta(minutes=15)


def test_success_clears_the_account_count(client, make_user):
    user = make_user("staff")
    for _ in range(4):
        _sign_in(client, user.username, "wrong")
    assert _sign_in(client, user.username, PASSWORD).status_code == 302
    client.post("/logout")

    for _ in range(4):
        _sign_in(client, user.username, "wrong")

    assert _sign_in(client, user.username, PASSWORD).status_code == 302


def test_counts_are_shared_between_app_servers(app, database_url, make_user):
    other = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test-secret",
        }
    )
    user = make_user("staff")
    for _ in range(5):
        _sign_in(app.test_client(), user.username, "wrong")

    response = _sign_in(other.test_client(), user.username, PASSWORD)

    assert response.status_code == 429
    other.extensions["db_engine"].dispose()


def test_neither_address_nor_name_is_stored_or_logged(client, session, caplog):
    caplog.set_level(logging.DEBUG)

    _sign_in(client, "zhang-san-secret", "wrong")

    stored = [(a.account_key, a.address_key) for a in _attempts(session)]
    assert len(stored) == 1
    for text in (repr(stored), caplog.text):
        assert HOME["REMOTE_ADDR"] not in text
        assert "zhang-san-secret" not in text


def test_an_invalid_form_is_not_counted(client, session):
    response = client.post("/login", data={"username": "x", "password": ""})

    assert response.status_code == 200
    assert _attempts(session) == []


def test_full_width_and_padded_names_count_for_the_same_account(client, make_user):
    make_user("staff", username="wang-li")
    names = ("ＷＡＮＧ－ＬＩ", " Wang-Li ", "ｗａｎｇ-ｌｉ", "WANG-LI\u3000", "wang-li")
    for name in names:
        assert _sign_in(client, name, "wrong").status_code == 401

    assert _sign_in(client, "wang-li", PASSWORD).status_code == 429


def test_account_key_is_the_normalised_name(app):
    with app.test_request_context():
        keys = {
            throttle.keys_for(name, "x").account
            for name in ("ＳＴＡＦＦ", " Staff ", "staff")
        }

    assert len(keys) == 1
