"""Staff and departments report a quote to the safeguarding lead from any page."""

from urllib.parse import quote

import pytest
from sqlmodel import select

from analysis import operations as analysis_ops
from analysis.models import AnswerTask, AnswerTheme, SafeguardingFlag
from analysis.safeguarding_views import list_flags
from core.audit import RELEASED_ANSWER, REPORTED_ANSWER, AuditEvent
from tests.test_reports_data import PARK, add_children, use_test_codebook

#: an answer screening lets through, that a reader of the quotes is worried by
WORRYING = "公园里的秋千坏了，我不想回家，回家就挨骂"
BUTTON = "报告给儿童保护负责人"
PARK_TASK = 18


@pytest.fixture
def quoted(session, make_launch):
    """A group of twelve children whose answers are quoted, the worrying one first."""
    use_test_codebook(session)
    launch = make_launch(band="9-11", township="lecheng")
    answer = add_children(session, launch, 1, WORRYING)[0]
    add_children(session, launch, 11, PARK)
    assert not session.exec(select(SafeguardingFlag)).all()
    return {"answer": answer, "launch": launch}


def _report_url(answer, next_path="/reports/"):
    return f"/safeguarding/answers/{answer.id}/report?next={quote(next_path)}"


def _flags(session, answer):
    return session.exec(
        select(SafeguardingFlag).where(SafeguardingFlag.answer_id == answer.id)
    ).all()


def _events(session):
    return session.exec(
        select(AuditEvent).where(AuditEvent.action == REPORTED_ANSWER)
    ).all()


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("staff", "/reports/"),
        ("staff", f"/plan/tasks/{PARK_TASK}"),
        ("department", f"/plan/tasks/{PARK_TASK}"),
        ("staff", "/reports/launches/{code}"),
    ],
)
def test_quotes_carry_the_report_button(client, quoted, login, role, path):
    login(role)

    html = client.get(path.format(code=quoted["launch"].code)).get_data(as_text=True)

    assert WORRYING in html
    assert BUTTON in html
    assert f'action="/safeguarding/answers/{quoted["answer"].id}/report?next=' in html
    assert "style=" not in html


@pytest.mark.parametrize(
    ("role", "page"),
    [
        ("staff", "/reports/?by=band&band=9-11"),
        ("department", f"/plan/tasks/{PARK_TASK}"),
    ],
)
def test_reporting_flags_the_answer_and_records_who(
    client, quoted, login, session, role, page
):
    user = login(role)
    answer = quoted["answer"]

    response = client.post(_report_url(answer, page))

    assert response.status_code == 302
    assert response.headers["Location"] == page
    assert [f.category for f in _flags(session, answer)] == ["reported"]
    events = _events(session)
    assert [(e.user_id, e.object_type, e.object_id) for e in events] == [
        (user.id, "answer", str(answer.id))
    ]
    assert events[0].detail == {"flag": _flags(session, answer)[0].id}
    assert "已报告给儿童保护负责人" in client.get(page).get_data(as_text=True)


def test_a_reported_answer_leaves_every_public_view(client, quoted, login, session):
    login("staff")
    answer = quoted["answer"]

    client.post(_report_url(answer))

    code = quoted["launch"].code
    for path in ("/reports/", f"/plan/tasks/{PARK_TASK}", f"/reports/launches/{code}"):
        assert WORRYING not in client.get(path).get_data(as_text=True), path
    export = client.get("/reports/answers.csv").get_data(as_text=True)
    assert PARK in export and WORRYING not in export


def test_the_safeguarding_lead_sees_the_report(client, quoted, login, session):
    login("staff")
    client.post(_report_url(quoted["answer"]))

    items = list_flags(session, open_only=True)

    assert [(i["flag"].category, i["text"]) for i in items] == [("reported", WORRYING)]


def test_reporting_twice_flags_once(client, quoted, login, session):
    login("staff")
    answer = quoted["answer"]
    client.post(_report_url(answer))

    again = client.post(_report_url(answer), follow_redirects=True)

    assert "这条回答已经报告过了" in again.get_data(as_text=True)
    assert len(_flags(session, answer)) == 1
    assert len(_events(session)) == 1


@pytest.mark.parametrize("answer_id", [999999, 0])
def test_reporting_an_unknown_answer_changes_nothing(
    client, quoted, login, session, answer_id
):
    login("staff")

    response = client.post(f"/safeguarding/answers/{answer_id}/report")

    assert response.status_code == 404
    assert session.exec(select(SafeguardingFlag)).all() == []
    assert _events(session) == []


@pytest.mark.parametrize(
    "next_path", ["//elsewhere.invalid/x", "https://elsewhere.invalid/", "/\t/x"]
)
def test_the_way_back_stays_on_the_site(client, quoted, login, next_path):
    login("staff")

    response = client.post(_report_url(quoted["answer"], next_path))

    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("role", ["facilitator", "safeguarding"])
def test_roles_without_quotes_cannot_report(client, quoted, login, session, role):
    login(role)

    assert client.post(_report_url(quoted["answer"])).status_code == 403
    assert _flags(session, quoted["answer"]) == []


def test_recoding_keeps_a_reported_answer_flagged(client, quoted, login, session):
    login("staff")
    client.post(_report_url(quoted["answer"]))

    analysis_ops.recode_all(session)

    assert [f.category for f in _flags(session, quoted["answer"])] == ["reported"]
    assert WORRYING not in client.get("/reports/").get_data(as_text=True)


def _review(client, session, answer, **data):
    (flag,) = _flags(session, answer)
    return client.post(f"/safeguarding/{flag.id}/review", data=data)


def test_the_lead_lets_an_answer_reported_by_mistake_back_into_reports(
    client, quoted, login, session
):
    answer = quoted["answer"]
    login("staff")
    client.post(_report_url(answer))
    lead = login("safeguarding")

    page = _review(client, session, answer, note="看过了，没有风险", release="y")

    assert page.status_code == 302
    (flag,) = _flags(session, answer)
    assert flag.released_by == lead.id and flag.released_at is not None
    assert "已放回报告" in client.get("/safeguarding").get_data(as_text=True)
    released = session.exec(
        select(AuditEvent).where(AuditEvent.action == RELEASED_ANSWER)
    ).one()
    assert (released.object_id, released.user_id) == (str(answer.id), lead.id)
    login("staff")
    assert WORRYING in client.get("/reports/").get_data(as_text=True)
    assert WORRYING in client.get("/reports/answers.csv").get_data(as_text=True)


def test_a_review_without_release_keeps_the_answer_out(client, quoted, login, session):
    answer = quoted["answer"]
    login("staff")
    client.post(_report_url(answer))
    login("safeguarding")

    _review(client, session, answer, note="已联系班主任")

    (flag,) = _flags(session, answer)
    assert flag.reviewed_at is not None and flag.released_at is None
    login("staff")
    assert WORRYING not in client.get("/reports/").get_data(as_text=True)


def test_release_without_a_note_changes_nothing(client, quoted, login, session):
    answer = quoted["answer"]
    login("staff")
    client.post(_report_url(answer))
    login("safeguarding")

    _review(client, session, answer, note="  ", release="y")

    (flag,) = _flags(session, answer)
    assert flag.released_at is None and flag.reviewed_at is None


def test_an_answer_stays_out_while_any_of_its_flags_is_held(
    client, quoted, login, session
):
    answer = quoted["answer"]
    login("staff")
    client.post(_report_url(answer))
    session.add(SafeguardingFlag(answer_id=answer.id, category="neglect"))
    session.commit()
    login("safeguarding")
    reported = next(f for f in _flags(session, answer) if f.category == "reported")
    client.post(f"/safeguarding/{reported.id}/review", data={"note": "看过了"})

    login("staff")
    assert WORRYING not in client.get("/reports/").get_data(as_text=True)

    login("safeguarding")
    client.post(
        f"/safeguarding/{reported.id}/review",
        data={"note": "都没有风险", "release": "y"},
    )
    session.expire_all()
    assert all(f.released_at for f in _flags(session, answer))
    login("staff")
    assert WORRYING in client.get("/reports/").get_data(as_text=True)


def test_recoding_does_not_flag_a_released_answer_again(client, quoted, login, session):
    answer = quoted["answer"]
    login("staff")
    client.post(_report_url(answer))
    login("safeguarding")
    _review(client, session, answer, note="没有风险", release="y")

    analysis_ops.recode_all(session)

    (flag,) = _flags(session, answer)
    assert flag.released_at is not None
    login("staff")
    assert WORRYING in client.get("/reports/").get_data(as_text=True)


def _codes(session, answer):
    themes = session.exec(
        select(AnswerTheme.theme).where(AnswerTheme.answer_id == answer.id)
    ).all()
    tasks = session.exec(
        select(AnswerTask.task_number).where(AnswerTask.answer_id == answer.id)
    ).all()
    return sorted(themes), sorted(tasks)


@pytest.fixture
def held(session, make_launch):
    """An answer about a park that the screen flags, so it is given no themes."""
    use_test_codebook(session)
    launch = make_launch(band="9-11", township="lecheng")
    answer = add_children(
        session, launch, 1, "小区旁边能不能多建一个公园，同学老是欺负我"
    )[0]
    (flag,) = _flags(session, answer)
    assert flag.category == "bullying" and _codes(session, answer) == ([], [])
    return answer, flag


def test_an_answer_the_screen_held_back_is_coded_once_released(
    client, login, session, held
):
    answer, flag = held
    login("safeguarding")
    client.post(
        f"/safeguarding/{flag.id}/review",
        data={"note": "玩笑话，没有风险", "release": "y"},
    )

    session.expire_all()
    assert _codes(session, answer) == (["parks"], [PARK_TASK])
    analysis_ops.recode_all(session)
    session.expire_all()
    assert _codes(session, answer) == (["parks"], [PARK_TASK])
    assert [f.released_at is not None for f in _flags(session, answer)] == [True]


def test_recoding_leaves_an_answer_held_while_its_flag_is_not_released(
    client, login, session, held
):
    answer, flag = held
    login("safeguarding")
    client.post(f"/safeguarding/{flag.id}/review", data={"note": "已联系班主任"})

    analysis_ops.recode_all(session)

    session.expire_all()
    assert _codes(session, answer) == ([], [])
    assert len(_flags(session, answer)) == 1
