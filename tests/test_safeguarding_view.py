"""Safeguarding triage: who sees flagged answers, in what order, and reviews."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import delete, select

from analysis.models import SafeguardingFlag
from analysis.models_reports import SafeguardingReview
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
    client.post(f"/safeguarding/{flag_row.id}/review", data={"note": ""})

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
