"""Kiosk submissions: stored once whatever the resends; bad input changes nothing."""

import json
import uuid

import pytest
from sqlmodel import func, select

from surveys import operations
from surveys.models import Answer, RejectedSubmission, Response
from surveys.templates import questions_for


def _count(session, model):
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def _valid_answers(session, launch):
    """Return answers to every non-practice question shown by default."""
    from surveys.models import Survey

    spec = session.get(Survey, launch.survey_id).spec
    answers = {}
    for q in questions_for(spec, launch.band):
        if q["practice"] or q["show_if"]:
            continue
        if q["type"] == "text":
            answers[q["key"]] = "希望学校门口有红绿灯"
        elif q["type"] == "multi":
            answers[q["key"]] = [q["options"][0]["value"]]
        else:
            answers[q["key"]] = q["options"][0]["value"]
    return answers


@pytest.fixture
def launch(make_launch):
    return make_launch(band="9-11")


def test_submit_stores_response_and_answers(client, session, launch):
    payload = {"id": str(uuid.uuid4()), "answers": _valid_answers(session, launch)}

    response = client.post(f"/k/{launch.code}/responses", json=payload)

    assert response.status_code == 201
    assert response.json == {"status": "stored", "id": payload["id"]}
    stored = session.get(Response, payload["id"])
    assert (stored.band, stored.township_code) == ("9-11", "lecheng")
    assert _count(session, Answer) == len(payload["answers"])


def test_resend_returns_success_and_stores_nothing(client, session, launch):
    payload = {"id": str(uuid.uuid4()), "answers": _valid_answers(session, launch)}

    first = client.post(f"/k/{launch.code}/responses", json=payload)
    answers_after_first = _count(session, Answer)
    resends = [
        client.post(f"/k/{launch.code}/responses", json=payload) for _ in range(3)
    ]

    assert first.status_code == 201
    assert [r.status_code for r in resends] == [200, 200, 200]
    assert all(r.json["status"] == "duplicate" for r in resends)
    assert _count(session, Response) == 1
    assert _count(session, Answer) == answers_after_first


def test_reused_id_with_other_answers_is_refused_and_kept(client, session, launch):
    answers = _valid_answers(session, launch)
    payload = {"id": str(uuid.uuid4()), "answers": answers}
    client.post(f"/k/{launch.code}/responses", json=payload)
    text_key = next(k for k, v in answers.items() if v == "希望学校门口有红绿灯")
    changed = {**payload, "answers": {**answers, text_key: "别的答案"}}

    response = client.post(f"/k/{launch.code}/responses", json=changed)

    assert response.status_code == 409
    assert "error" in response.json
    assert _count(session, RejectedSubmission) == 1
    stored = session.exec(select(Answer).where(Answer.question_key == text_key)).one()
    assert stored.text == "希望学校门口有红绿灯"


def test_no_cookie_needed(app, session, launch):
    client = app.test_client(use_cookies=False)
    payload = {"id": str(uuid.uuid4()), "answers": {}}

    response = client.post(f"/k/{launch.code}/responses", json=payload)

    assert response.status_code == 201


def test_skip_is_stored_as_skipped(client, session, launch):
    answers = _valid_answers(session, launch)
    key = next(iter(answers))
    payload = {"id": str(uuid.uuid4()), "answers": {key: None}}

    client.post(f"/k/{launch.code}/responses", json=payload)

    answer = session.exec(select(Answer)).one()
    assert answer.skipped and answer.value is None and answer.text is None


BAD_PAYLOADS = [
    ("not a dict", ["a"], 400),
    ("no id", {"answers": {}}, 400),
    ("id not a uuid", {"id": "12345", "answers": {}}, 400),
    ("id a number", {"id": 12345, "answers": {}}, 400),
    ("answers a list", {"id": "UUID", "answers": []}, 400),
    ("unknown question", {"id": "UUID", "answers": {"nope": "x"}}, 422),
    ("script as a key", {"id": "UUID", "answers": {"<script>": "x"}}, 422),
    ("tablet too long", {"id": "UUID", "answers": {}, "tablet": "x" * 99}, 400),
]


@pytest.mark.parametrize(("name", "payload", "status"), BAD_PAYLOADS)
def test_bad_payloads_change_nothing(client, session, launch, name, payload, status):
    if isinstance(payload, dict) and payload.get("id") == "UUID":
        payload = {**payload, "id": str(uuid.uuid4())}

    response = client.post(f"/k/{launch.code}/responses", json=payload)

    assert response.status_code == status, name
    assert response.json["error"]
    assert _count(session, Response) == 0


def test_invalid_choice_and_oversized_text(client, session, launch):
    from surveys.models import Survey

    spec = session.get(Survey, launch.survey_id).spec
    questions = [q for q in questions_for(spec, launch.band) if not q["practice"]]
    choice = next(q for q in questions if q["type"] in ("single", "faces", "yesno"))
    text = next(q for q in questions if q["type"] == "text")

    for answers in ({choice["key"]: "no-such-option"}, {text["key"]: "字" * 5000}):
        payload = {"id": str(uuid.uuid4()), "answers": answers}
        response = client.post(f"/k/{launch.code}/responses", json=payload)
        assert response.status_code == 422

    assert _count(session, Response) == 0


def test_not_json_and_malformed_utf8(client, session, launch):
    url = f"/k/{launch.code}/responses"

    assert client.post(url, data="id=1").status_code == 400
    bad = client.post(url, data=b'{"id": "\xff\xfe"}', content_type="application/json")
    assert bad.status_code == 400
    assert _count(session, Response) == 0


def test_unknown_and_closed_launch(client, session, launch):
    from surveys.operations import close_launch

    payload = {"id": str(uuid.uuid4()), "answers": {}}
    assert client.post("/k/NOPE99/responses", json=payload).status_code == 404

    close_launch(session, launch)
    assert client.post(f"/k/{launch.code}/responses", json=payload).status_code == 410
    assert client.get(f"/k/{launch.code}").status_code == 404


def test_kiosk_page_embeds_band_questions(client, session, launch):
    response = client.get(f"/k/{launch.code.lower()}")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="kiosk-data"' in page
    assert launch.code in page
    assert response.headers["Cache-Control"] == "no-store"


def test_young_band_gets_pinyin(client, make_launch):
    launch = make_launch(band="6-8")

    data = _kiosk_data(client.get(f"/k/{launch.code}").get_data(as_text=True))

    assert data["pinyin"] is True
    real = [q for q in data["questions"] if not q["practice"]]
    assert all(q["ruby"] for q in real)
    first = real[0]["ruby"]
    assert "".join(char for char, _ in first) == real[0]["prompt"]
    assert any(reading for _, reading in first)


def test_older_band_gets_no_pinyin(client, make_launch):
    launch = make_launch(band="15-17")

    data = _kiosk_data(client.get(f"/k/{launch.code}").get_data(as_text=True))

    assert data["pinyin"] is False
    assert all(q["ruby"] is None for q in data["questions"])


def _kiosk_data(page):
    start = page.index('id="kiosk-data">') + len('id="kiosk-data">')
    return json.loads(page[start : page.index("</script>", start)])


@pytest.mark.parametrize(
    "typed", ["{a}-{b}", " {a} {b} ", "{a}–{b}", "{lower}", "{full}"]
)
def test_a_join_code_typed_with_dashes_or_spaces_opens_the_kiosk(client, launch, typed):
    code = launch.code
    full = "".join(chr(ord(c) + 0xFEE0) for c in code)
    text = typed.format(a=code[:3], b=code[3:], lower=code.lower(), full=full)

    page = client.get("/k", query_string={"code": text})

    assert page.status_code == 302
    assert page.headers["Location"].endswith(f"/k/{code}")


def test_a_join_code_that_is_not_one_says_so(client, launch):
    page = client.get("/k", query_string={"code": "ZZZ-ZZZ"})

    assert page.status_code == 200
    assert "没有找到这个加入码" in page.get_data(as_text=True)


def _text_key(answers):
    return next(k for k, v in answers.items() if v == "希望学校门口有红绿灯")


def test_other_answers_under_a_used_id_are_kept_masked_once(client, session, launch):
    answers = _valid_answers(session, launch)
    payload = {"id": str(uuid.uuid4()), "answers": answers}
    client.post(f"/k/{launch.code}/responses", json=payload)
    other = {**answers, _text_key(answers): "我叫王小明，爸爸喝醉了就打我"}
    changed = {**payload, "answers": other, "padding": "x" * 100_000}

    statuses = [
        client.post(f"/k/{launch.code}/responses", json=changed).status_code
        for _ in range(3)
    ]

    assert statuses == [409, 409, 409]
    kept = session.exec(select(RejectedSubmission)).one()
    assert "王小明" not in str(kept.payload)
    assert "padding" not in kept.payload
    assert "may disclose harm" in kept.reason


def test_a_resend_after_the_launch_closed_is_still_a_duplicate(client, session, launch):
    payload = {"id": str(uuid.uuid4()), "answers": _valid_answers(session, launch)}
    assert client.post(f"/k/{launch.code}/responses", json=payload).status_code == 201
    operations.close_launch(session, launch)

    again = client.post(f"/k/{launch.code}/responses", json=payload)
    fresh = client.post(
        f"/k/{launch.code}/responses", json={**payload, "id": str(uuid.uuid4())}
    )

    assert (again.status_code, again.json["status"]) == (200, "duplicate")
    assert fresh.status_code == 410


@pytest.mark.parametrize(
    "typed, kept",
    [
        ("红绿灯\x01\x07\x1b[31m要多", "红绿灯[31m要多"),
        ("\u200b\u202e \u2066", None),
        ("  \t ", None),
        ("第一行\n第二行", "第一行\n第二行"),
    ],
)
def test_invisible_characters_are_dropped_from_text(
    client, session, launch, typed, kept
):
    answers = _valid_answers(session, launch)
    key = _text_key(answers)
    payload = {"id": str(uuid.uuid4()), "answers": {**answers, key: typed}}

    assert client.post(f"/k/{launch.code}/responses", json=payload).status_code == 201

    stored = session.exec(select(Answer).where(Answer.question_key == key)).one()
    assert stored.text == kept
    assert stored.skipped is (kept is None)
