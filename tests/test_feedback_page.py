"""你说，我们做: the public page where children read what came of their proposals."""

import json
import re
from datetime import timedelta

import pytest

from participation import council_ops, proposal_ops, session_ops
from participation.council_ops import ConsentInput, local_today

WORDS = {
    "problem": "公园的滑梯断了一块",
    "reason": "小朋友会被划伤",
    "solution": "请把滑梯修好，修好前先围起来",
    "supporters": 9,
}


@pytest.fixture
def council(seeded, session, make_user):
    council = council_ops.create_council(
        session,
        {
            "township_code": "liushi",
            "name": "柳市镇儿童议事会",
            "term_start": local_today() - timedelta(days=30),
            "term_end": local_today() + timedelta(days=300),
        },
        [make_user("facilitator").id],
    )
    consent = ConsentInput(True, "2024.1", local_today())
    council_ops.add_member(
        session,
        council,
        {
            "pseudonym": "飞鱼",
            "band": "12-14",
            "school_year": "初一",
            "office": "chair",
            "joined_on": local_today(),
            "real_name": "林示例",
        },
        consent,
        consent,
    )
    return council


def _published(session, council, title, decision, reason="", evaluation=None):
    activity = session_ops.create_session(
        session, council, {"title": "会议", "held_on": local_today()}
    )
    proposal = proposal_ops.capture(
        session, council, {**WORDS, "title": title}, activity
    )
    proposal_ops.route(session, proposal, "市妇儿工委办", local_today())
    proposal_ops.record_answer(session, proposal, decision, reason, f"{title}的决定")
    proposal_ops.add_note(
        session, proposal, "progress", "工人来量过尺寸了", progress=35
    )
    proposal_ops.add_note(session, proposal, "note", "内部备注：预算待批", public=False)
    proposal_ops.publish(session, proposal)
    if evaluation:
        proposal_ops.evaluate(session, proposal, evaluation)
    return proposal


def test_kiosk_links_to_its_townships_page(client, make_launch):
    launch = make_launch(township="liushi")

    page = client.get(f"/k/{launch.code}").get_data(as_text=True)
    data = json.loads(re.search(r'id="kiosk-data">(.*?)</script>', page, re.S).group(1))

    assert data["feedback_url"] == "/feedback/liushi"
    assert client.get(data["feedback_url"]).status_code == 200


def test_published_answers_with_why_not_and_no_names(client, session, council):
    _published(session, council, "修滑梯", "accepted", evaluation="修好了，很安全")
    _published(session, council, "晚上开放", "not_possible", reason="晚上没有管理员")
    activity = session_ops.create_session(
        session, council, {"title": "会议", "held_on": local_today()}
    )
    proposal_ops.capture(session, council, {**WORDS, "title": "还没答复"}, activity)

    page = client.get("/feedback/liushi").get_data(as_text=True)

    assert page.count('data-testid="feedback-card"') == 2
    assert "修滑梯的决定" in page and "同意，我们去做" in page
    assert "完成了 35%" in page and "工人来量过尺寸了" in page
    assert "修好了，很安全" in page
    assert "这件事做不到" in page and "为什么做不到" in page
    assert "晚上没有管理员" in page
    assert "还没答复" not in page and "还有 1 条建议正在办理" in page
    assert "内部备注" not in page
    for name in ("飞鱼", "林示例"):
        assert name not in page


def test_childrens_words_are_masked_on_the_page(client, session, council):
    proposal = _published(session, council, "修滑梯", "accepted")
    proposal.problem = "我叫王小明，电话13812345678，公园的滑梯坏了"
    session.add(proposal)
    session.commit()

    page = client.get("/feedback/liushi").get_data(as_text=True)

    assert "13812345678" not in page
    assert "公园的滑梯坏了" in page


def test_page_is_child_safe(client, council):
    response = client.get("/feedback/liushi")
    page = response.get_data(as_text=True)

    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert all(s.startswith("/static/") or s.startswith("data:") for s in sources)
    assert 'name="viewport"' in page
    assert "还没有公布的答复" in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("code", ["nowhere", "../etc", "LIUSHI"])
def test_unknown_township_is_404(client, council, code):
    assert client.get(f"/feedback/{code}").status_code == 404


def _member_named(session, council, pseudonym, real_name):
    """Add a council member whose real name is on record."""
    consent = ConsentInput(True, "2024.1", local_today())
    council_ops.add_member(
        session,
        council,
        {
            "pseudonym": pseudonym,
            "band": "9-11",
            "school_year": "四年级",
            "office": None,
            "joined_on": local_today(),
            "real_name": real_name,
        },
        consent,
        consent,
    )


def test_names_and_phones_in_staff_text_are_masked(client, session, council):
    _member_named(session, council, "小红花", "李小红")
    proposal = _published(session, council, "李小红的建议 13900001111", "accepted")
    proposal.answer = "好的，联系李小红的家长 13900001111"
    session.add(proposal)
    session.commit()
    proposal_ops.add_note(session, proposal, "progress", "已给李小红家打电话")

    page = client.get("/feedback/liushi").get_data(as_text=True)

    assert "李小红" not in page and "13900001111" not in page
    assert "[名字]的建议" in page and "联系[名字]的家长 [电话]" in page


def test_run_screen_masks_what_children_said(client, session, council, login):
    _member_named(session, council, "小红花", "李小红")
    activity = session_ops.create_session(
        session, council, {"title": "会议", "held_on": local_today()}
    )
    session_ops.add_item(session, activity, {"title": "公园的滑梯", "minutes": 10})
    session_ops.start(session, activity)
    session_ops.add_said(session, activity, "李小红说可以打13900001111问公园")
    login("admin")

    page = client.get(f"/councils/sessions/{activity.id}/run?screen=1")
    text = page.get_data(as_text=True)

    assert page.status_code == 200
    assert "李小红" not in text and "13900001111" not in text
    assert "[名字]说可以打[电话]问公园" in text
