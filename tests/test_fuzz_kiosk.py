"""Property tests of the kiosk submission: any body gets a clear answer, never a 500.

A refused submission changes no row; a stored one stores exactly one response.
"""

import csv
import json
import logging
import unicodedata
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import SQLModel, func, select

from surveys.models import Survey
from surveys.templates import questions_for

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
REFUSALS = {400, 404, 409, 410, 413, 415, 422}

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "=cmd|' /C calc'!A0",
    "+SUM(1,1)",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\u202e\u200f\u200e\u2066",
    "\ufeff",
    "\x00\x01\x07\x1b[31m\x7f",
    "\r\n\r\n",
    "'; DROP TABLE response; --",
    "{{ 7 * 7 }}",
    "%s%s%n",
    "../../etc/passwd",
    "我叫张三，电话13812345678",
    "😀👍🏽🇨🇳",
]
#: answers longer than the 2000 characters allowed, built lazily
HUGE = st.sampled_from([2001, 5000, 100_000]).map(lambda n: "字" * n)

#: any character, lone surrogates included (sent as \ud800 escapes in the JSON)
ANY_CHAR = st.characters(exclude_categories=())
TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=40),
    st.sampled_from(HOSTILE),
    HUGE,
    st.lists(st.sampled_from(HOSTILE) | st.text(ANY_CHAR, max_size=8), max_size=4).map(
        "".join
    ),
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | TEXT,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4)
    ),
    max_leaves=12,
)


#: tables that record who read what: a read adds a row there by design
READ_LOGS = frozenset({"auditevent"})


def row_counts(session):
    """Return the number of rows in every table but the read logs."""
    session.expire_all()
    return {
        table.name: session.exec(select(func.count()).select_from(table)).one()
        for table in SQLModel.metadata.sorted_tables
        if table.name not in READ_LOGS
    }


def _post(client, code, body, content_type="application/json"):
    """Post body to the launch's submission endpoint."""
    return client.post(f"/k/{code}/responses", data=body, content_type=content_type)


def _dumps(value):
    """Return value as JSON, lone surrogates escaped."""
    return json.dumps(value, ensure_ascii=True, allow_nan=True)


def _questions(session, launch):
    """Return the real (not practice) questions the launch shows."""
    spec = session.get(Survey, launch.survey_id).spec
    return [q for q in questions_for(spec, launch.band) if not q["practice"]]


@pytest.fixture
def launch(make_launch):
    return make_launch(band="9-11")


def _assert_refused(response, before, session, from_view=True):
    """Check a refusal: a 4xx (from the view, with a JSON error), no row changed."""
    assert response.status_code in REFUSALS, response.get_data(as_text=True)[:300]
    if from_view and response.status_code != 413:  # 413 comes before the view
        assert response.is_json and response.json["error"]
    assert row_counts(session) == before


@FUZZ
@given(body=JSON)
def test_any_json_body_is_refused_cleanly(client, session, launch, body):
    before = row_counts(session)

    response = _post(client, launch.code, _dumps(body))

    _assert_refused(response, before, session)


@FUZZ
@given(
    body=st.binary(max_size=300),
    content_type=st.sampled_from(
        ["application/json", "text/plain", "application/x-www-form-urlencoded", ""]
    ),
)
def test_any_bytes_are_refused_cleanly(client, session, launch, body, content_type):
    before = row_counts(session)

    response = _post(client, launch.code, body, content_type)

    # A form body with a NUL character is refused before it reaches the view.
    _assert_refused(response, before, session, content_type == "application/json")


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": "\xff\xfe", "answers": {}}',
        b'{"id": "\xed\xa0\x80", "answers": {}}',
        b"\xef\xbb\xbf{}",
        b"[" * 50_000 + b"]" * 50_000,
        b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
        b'{"id": NaN, "answers": Infinity}',
        b"",
    ],
    ids=["bad utf-8", "encoded surrogate", "bom", "deep list", "deep dict", "nan", ""],
)
def test_malformed_bodies(client, session, launch, body):
    before = row_counts(session)

    response = _post(client, launch.code, body)

    _assert_refused(response, before, session)


@pytest.mark.parametrize("depth", [400, 700, 900, 950, 990])
def test_nesting_near_the_recursion_limit(client, session, launch, depth):
    before = row_counts(session)
    answers = '{"wish": ' + "[" * depth + "]" * depth + "}"
    body = f'{{"id": "{uuid.uuid4()}", "answers": {answers}}}'

    response = _post(client, launch.code, body)

    _assert_refused(response, before, session)


@FUZZ
@given(data=st.data())
def test_answers_of_any_shape(client, session, launch, caplog, data):
    questions = _questions(session, launch)
    keys = st.sampled_from([q["key"] for q in questions]) | TEXT
    answers = data.draw(st.dictionaries(keys, JSON, max_size=6))
    payload = {"id": str(uuid.uuid4()), "answers": answers}
    if data.draw(st.booleans()):
        payload["tablet"] = data.draw(TEXT | JSON)
    before = row_counts(session)
    caplog.clear()

    response = _post(client, launch.code, _dumps(payload))

    if response.status_code == 201:
        after = row_counts(session)
        assert after["response"] == before["response"] + 1
        assert after["answer"] == before["answer"] + len(answers)
    else:
        _assert_refused(response, before, session)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@FUZZ
@given(text=TEXT)
def test_hostile_text_is_stored_as_typed_or_refused(client, session, launch, text):
    payload = {"id": str(uuid.uuid4()), "answers": {"wish": text}}
    before = row_counts(session)
    cleaned = "".join(
        c for c in text if c in "\t\n\r" or unicodedata.category(c) not in ("Cc", "Cf")
    ).strip()

    response = _post(client, launch.code, _dumps(payload))

    encodable = not any("\ud800" <= char <= "\udfff" for char in text)
    if encodable and len(cleaned) <= 2000:
        assert response.status_code == 201
        from surveys.models import Answer

        stored = session.exec(
            select(Answer).where(Answer.response_id == payload["id"])
        ).one()
        assert stored.text == (cleaned or None)
    else:
        _assert_refused(response, before, session)


@settings(FUZZ, max_examples=30)
@given(texts=st.lists(st.sampled_from(HOSTILE) | st.text(max_size=20), max_size=8))
def test_export_never_starts_a_cell_with_a_formula(
    client, session, runner, launch, tmp_path, texts
):
    for text in texts:
        payload = {"id": str(uuid.uuid4()), "answers": {"wish": text, "worry": text}}
        assert _post(client, launch.code, _dumps(payload)).status_code == 201
    out = tmp_path / "export.csv"

    result = runner.invoke(
        args=["surveys", "export", "--launch", launch.code, "--output", str(out)]
    )

    assert result.exit_code == 0, result.output
    with open(out, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    cells = [row[key] for row in rows for key in ("wish", "worry")]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


@settings(FUZZ, max_examples=40)
@given(taps=st.integers(min_value=1, max_value=6), text=TEXT)
def test_resends_store_once(client, session, launch, taps, text):
    payload = {"id": str(uuid.uuid4()), "answers": {"safe_way": "safe", "wish": text}}
    before = row_counts(session)

    statuses = [
        _post(client, launch.code, _dumps(payload)).status_code for _ in range(taps)
    ]

    after = row_counts(session)
    if statuses[0] == 201:
        assert statuses[1:] == [200] * (taps - 1)
        assert after["response"] == before["response"] + 1
    else:
        assert set(statuses) <= REFUSALS
        assert after == before
