"""Safeguarding triage: who sees flagged answers, in what order, and reviews."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import delete, select

from analysis.models import SafeguardingFlag
from analysis.models_reports import SafeguardingReview
from surveys.models import Launch, Response
from tests.test_reports_data import PARK, add_children, flag, use_test_codebook

OLDER = "我叫王小明，同学天天在厕所打我，公园里也打"
NEWER = "放学路上有个大人跟着我，我很害怕去公园"


@pytest.fixture
def flagged(session, make_launch):
    """Two flagged answers a day apart, among ordinary ones."""
    use_test_codebook(session)
    launch = make_launch(band="9-11", township="lecheng")
    add_children(session, launch, 12, PARK)
    older = add_children(session, launch, 1, OLDER)[0]
    newer = add_children(session, launch, 1, NEWER)[0]
    for answer in (older, newer):
        session.exec(
            delete(SafeguardingFlag).where(SafeguardingFlag.answer_id == answer.id)
        )
    session.commit()
    flag(session, older, "bullying")
    flag(session, newer, "abuse")
    day = datetime(2025, 5, 1, tzinfo=UTC)
    for answer, when in ((older, day), (newer, day + timedelta(days=1))):
        row = session.exec(
            select(SafeguardingFlag).where(SafeguardingFlag.answer_id == answer.id)
        ).one()
        row.created_at = when
        session.add(row)
    session.commit()
    return older, newer


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("safeguarding", 200),
        ("admin", 200),
        ("staff", 403),
        ("facilitator", 403),
        ("department", 403),
    ],
)
def test_only_safeguarding_and_admin_see_the_list(client, flagged, login, role, status):
    login(role)

    assert client.get("/safeguarding").status_code == status


def test_signed_out_visitors_are_sent_to_sign_in(client, flagged):
    assert client.get("/safeguarding").status_code == 302


def test_list_shows_original_words_newest_first(client, flagged, login):
    login("safeguarding")

    html = client.get("/safeguarding").get_data(as_text=True)

    assert OLDER in html and NEWER in html
    assert html.index(NEWER) < html.index(OLDER)
    assert "欺凌" in html and "虐待" in html
    assert "乐成街道" in html and "9-11 岁" in html


def test_marking_reviewed_records_who_when_and_the_note(
    client, flagged, login, session
):
    user = login("safeguarding")
    flag_row = session.exec(
        select(SafeguardingFlag).where(SafeguardingFlag.answer_id == flagged[0].id)
    ).one()

    page = client.post(
        f"/safeguarding/{flag_row.id}/review", data={"note": "已联系班主任和家长"}
    )

    assert page.status_code == 302
    session.refresh(flag_row)
    assert flag_row.reviewed_by == user.id
    assert flag_row.reviewed_at is not None
    review = session.exec(select(SafeguardingReview)).one()
    assert (review.flag_id, review.reviewed_by) == (flag_row.id, user.id)
    assert review.note == "已联系班主任和家长"
    html = client.get("/safeguarding").get_data(as_text=True)
    assert "已联系班主任和家长" in html
    open_only = client.get("/safeguarding?show=open").get_data(as_text=True)
    assert NEWER in open_only and OLDER not in open_only


def test_a_note_that_is_too_long_changes_nothing(client, flagged, login, session):
    login("safeguarding")
    flag_row = session.exec(select(SafeguardingFlag)).first()

    client.post(f"/safeguarding/{flag_row.id}/review", data={"note": "长" * 2001})

    session.refresh(flag_row)
    assert flag_row.reviewed_at is None
    assert session.exec(select(SafeguardingReview)).first() is None


@pytest.mark.parametrize("data", [{"note": ""}, {"note": " \n\u3000 "}, {}])
def test_a_review_without_a_note_changes_nothing(client, flagged, login, session, data):
    login("safeguarding")
    flag_row = session.exec(select(SafeguardingFlag)).first()

    response = client.post(
        f"/safeguarding/{flag_row.id}/review?show=open",
        data=data,
        follow_redirects=True,
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "没有保存：请先写下处理记录" in html
    assert "已标记为已处理" not in html
    assert response.request.args["show"] == "open"
    session.refresh(flag_row)
    assert (flag_row.reviewed_at, flag_row.reviewed_by) == (None, None)
    assert session.exec(select(SafeguardingReview)).first() is None


def test_adding_to_a_reviewed_flag_needs_a_note_too(client, flagged, login, session):
    login("safeguarding")
    flag_row = session.exec(select(SafeguardingFlag)).first()
    client.post(f"/safeguarding/{flag_row.id}/review", data={"note": "已联系家长"})
    session.refresh(flag_row)
    reviewed_at = flag_row.reviewed_at

    client.post(f"/safeguarding/{flag_row.id}/review", data={"note": "  "})

    session.refresh(flag_row)
    assert flag_row.reviewed_at == reviewed_at
    assert len(session.exec(select(SafeguardingReview)).all()) == 1


def _article(html, flag_id):
    """Return the part of the list that shows one flag."""
    start = html.index(f'id="flag-{flag_id}"')
    return html[start : html.index("</article>", start)]


def test_each_flag_names_the_launch_it_came_from(
    client, flagged, login, session, make_launch
):
    first = session.get(Response, flagged[0].response_id)
    other = make_launch(band="12-14", township="hongqiao")
    answer = add_children(session, other, 1, NEWER)[0]
    session.exec(
        delete(SafeguardingFlag).where(SafeguardingFlag.answer_id == answer.id)
    )
    flag(session, answer, "neglect")
    rows = {
        row.answer_id: row.id for row in session.exec(select(SafeguardingFlag)).all()
    }
    login("safeguarding")

    html = client.get("/safeguarding").get_data(as_text=True)

    here = _article(html, rows[flagged[0].id])
    there = _article(html, rows[answer.id])
    launch = session.get(Launch, first.launch_id)
    assert f"来自活动 <code>{launch.code}</code>（乐成街道 · 9-11 岁）" in here
    assert f"来自活动 <code>{other.code}</code>（虹桥镇 · 12-14 岁）" in there
    assert other.code not in here and launch.code not in there


def test_reviewing_an_unknown_flag_is_404(client, flagged, login):
    login("safeguarding")

    assert (
        client.post("/safeguarding/999999/review", data={"note": ""}).status_code == 404
    )


def _badge(html):
    found = re.search(r'<mark class="badge"[^>]*>(\d+)</mark>', html)
    return int(found.group(1)) if found else None


def test_nav_badge_counts_open_flags_for_the_role(client, flagged, login, session):
    login("safeguarding")
    assert _badge(client.get("/").get_data(as_text=True)) == 2

    flag_row = session.exec(select(SafeguardingFlag)).first()
    client.post(f"/safeguarding/{flag_row.id}/review", data={"note": "已转介"})

    assert _badge(client.get("/").get_data(as_text=True)) == 1


def test_staff_get_no_badge_and_no_link(client, flagged, login):
    login("staff")

    html = client.get("/").get_data(as_text=True)

    assert _badge(html) is None
    assert "/safeguarding" not in html


@pytest.mark.parametrize(
    "path",
    [
        "/reports/",
        "/reports/?by=township",
        "/reports/?by=task",
        "/plan/tasks/18",
        "/reports/answers.csv",
        "/reports/export.csv",
    ],
)
def test_flagged_words_stay_out_of_staff_pages(client, flagged, login, path):
    login("staff")

    page = client.get(path)

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "王小明" not in text and "跟着我" not in text


def test_a_refused_resend_that_may_disclose_harm_reaches_the_lead_masked(
    app, client, session, make_launch, login
):
    import uuid

    from tests.test_kiosk_submit import _valid_answers

    launch = make_launch(band="9-11", township="lecheng")
    answers = _valid_answers(session, launch)
    key = next(k for k, v in answers.items() if v == "希望学校门口有红绿灯")
    payload = {"id": str(uuid.uuid4()), "answers": answers}
    tablet = app.test_client(use_cookies=False)
    tablet.post(f"/k/{launch.code}/responses", json=payload)
    other = {**answers, key: "我叫王小明，爸爸喝醉了就打我"}
    refused = tablet.post(
        f"/k/{launch.code}/responses", json={**payload, "answers": other}
    )
    login("safeguarding")

    page = client.get("/safeguarding").get_data(as_text=True)

    assert refused.status_code == 409
    assert 'data-testid="refused"' in page
    assert launch.code in page and "打我" in page
    assert "王小明" not in page
