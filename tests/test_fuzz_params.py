"""Property tests of URL and query parameters on every GET route: never a 500.

Signed in as admin (who may open everything) and as nobody, a random rule is
requested with random path values and a random query string; nothing changes.
"""

import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_fuzz_kiosk import row_counts

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
PARAMETER = re.compile(r"<(?:[^>:]+:)?([^>]+)>")
VALUE = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "../../../etc/passwd",
            "..%2F..%2Fsecret_key",
            "%00",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "=cmd|' /C calc'!A0",
            "\u202e",
            "0",
            "-1",
            "99999999999999999999999",
            "1e9",
            "ＡＢＣ１２３",
            "abc123",
        ]
    ),
    st.integers().map(str),
    st.integers(100, 3000).map("x".__mul__),
)
QUERY = st.dictionaries(
    st.sampled_from(["code", "next", "page", "q", "sort", "band", "id"])
    | st.text(min_size=1, max_size=8),
    VALUE,
    max_size=4,
)


def _get_rules(app):
    """Return every rule that answers GET, in path order."""
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods]
    return sorted(rules, key=lambda r: r.rule)


def _fill(rule, values):
    """Return the rule's path with each parameter replaced by a quoted value."""
    names = iter(values)
    return PARAMETER.sub(lambda _: quote(next(names), safe=""), rule.rule)


@pytest.fixture(params=["admin", "anonymous"])
def visitor(request, login, seeded):
    if request.param != "anonymous":
        login(request.param)
    return request.param


@FUZZ
@given(data=st.data())
def test_any_parameters_get_a_page_or_a_4xx(app, client, session, visitor, data):
    rule = data.draw(st.sampled_from(_get_rules(app)), label="rule")
    values = [data.draw(VALUE, label=name) for name in PARAMETER.findall(rule.rule)]
    url = f"{_fill(rule, values)}?{urlencode(data.draw(QUERY, label='query'))}"
    before = row_counts(session)

    with client.get(url) as response:
        assert response.status_code < 500, f"{visitor} GET {url}"

    assert row_counts(session) == before


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_numbers_too_big_for_the_database_are_not_found(app, client, login, number):
    login("admin")
    rules = [r for r in _get_rules(app) if "<int:" in r.rule]

    for rule in rules:
        url = _fill(rule, [str(number)] * len(PARAMETER.findall(rule.rule)))
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize(
    ("method", "url", "form"),
    [
        ("GET", "/k?code=AB%00CD", None),
        ("GET", "/k/AB%00CD", None),
        ("GET", "/login?next=/%00", None),
        ("POST", "/login", {"username": "wang\x00li", "password": "x"}),
    ],
)
def test_nul_characters_are_refused(client, session, method, url, form):
    before = row_counts(session)

    response = client.open(url, method=method, data=form)

    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)
    assert row_counts(session) == before
