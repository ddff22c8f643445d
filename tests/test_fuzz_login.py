"""Property tests of the sign-in form and its ?next= target."""

from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import PASSWORD
from tests.test_fuzz_kiosk import row_counts

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

#: form text: anything a browser can send (no lone surrogates in UTF-8)
FIELD = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "admin' OR '1'='1",
            "<script>alert(1)</script>",
            "=cmd|' /C calc'!A0",
            "\u202eadmin",
            "\x00admin",
            "staff\r\nSet-Cookie: x=1",
            "管理员",
        ]
    ),
    st.integers(min_value=65, max_value=5000).map(lambda n: "a" * n),
)
NEXT_PIECES = st.sampled_from(
    ["/", "//", "\\", "\t", "\n", "\r", " ", "%2F", "%5C", "@", ":", ".", "?", "#"]
    + ["evil.example", "http:", "https:", "javascript:", "plan", "%09", "\x00"]
)
NEXT = st.lists(NEXT_PIECES | st.text(max_size=4), max_size=6).map("".join)


def _signed_in(client):
    """Tell whether the client's session holds a signed-in user."""
    with client.session_transaction() as stored:
        return "_user_id" in stored


@pytest.fixture
def account(make_user):
    return make_user("staff", username="wang-li")


@FUZZ
@given(username=FIELD, password=FIELD)
def test_any_form_input_is_refused_cleanly(
    app, client, session, account, username, password
):
    app.config["LOGIN_ADDRESS_LIMIT"] = 10**6
    before = row_counts(session)

    response = client.post("/login", data={"username": username, "password": password})

    assert response.status_code in (200, 400, 401, 429)
    assert "Traceback" not in response.get_data(as_text=True)
    assert not _signed_in(client)
    after = row_counts(session)
    assert after["user"] == before["user"]
    assert after["loginattempt"] - before["loginattempt"] in (0, 1)


@FUZZ
@given(body=st.binary(max_size=200))
def test_any_raw_body_is_refused_cleanly(client, session, body):
    before = row_counts(session)["user"]

    response = client.post(
        "/login", data=body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code in (200, 400, 401, 429)
    assert not _signed_in(client)
    assert row_counts(session)["user"] == before


def _as_browser_reads(location):
    """Return location the way a browser resolves it: tabs and newlines dropped."""
    for char in "\t\n\r":
        location = location.replace(char, "")
    return location.replace("\\", "/")


@settings(FUZZ, max_examples=60)
@given(target=NEXT)
@example(target="/\t/evil.example")
@example(target="/\n/evil.example")
@example(target="/\\evil.example")
@example(target="/\\/evil.example")
@example(target="//[")
@example(target="/[")
def test_next_never_leaves_the_site(client, make_user, target):
    user = make_user("staff")

    response = client.post(
        f"/login?next={quote(target, safe='')}",
        data={"username": user.username, "password": PASSWORD},
    )
    client.post("/logout")

    if "\x00" in target:
        assert response.status_code == 400
        return
    assert response.status_code == 302
    location = _as_browser_reads(response.headers["Location"])
    parts = urlsplit(location)
    assert location.startswith("/") and not location.startswith("//")
    assert not parts.scheme and not parts.netloc
