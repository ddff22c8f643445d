"""A whole council session: members, agenda with evidence, run mode, a tablet vote,
proposals routed and answered, the children's feedback page and the status command.
"""

import io
import re
import uuid
from datetime import timedelta

from docx import Document
from sqlmodel import func, select

from analysis.models import AnswerTask, AnswerTheme
from participation.council_ops import local_today
from participation.councils import (
    Activity,
    Ballot,
    Council,
    CouncilMember,
    Proposal,
    Vote,
)
from participation.models import Township
from surveys.models import Answer, Response, Survey
from surveys.templates import questions_for
from tests.conftest import PASSWORD

ROAD = [
    "放学的时候校门口的汽车开得飞快，我们都不敢过马路",
    "校门口接孩子的车太多了，堵得走不过去",
    "上学路上的斑马线没有红绿灯，车子不让人",
]


def _sign_in(client, user):
    client.post("/logout")
    response = client.post(
        "/login", data={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302


def _open_key(spec, band):
    return next(
        q["key"]
        for q in questions_for(spec, band)
        if q["type"] == "text" and not q["practice"] and not q["show_if"]
    )


def _survey_answers(app, session, make_launch, band, count):
    """Submit count open answers about the school road from lecheng children."""
    launch = make_launch(band=band, township="lecheng")
    spec = session.get(Survey, launch.survey_id).spec
    key = _open_key(spec, band)
    tablet = app.test_client(use_cookies=False)
    for n in range(count):
        payload = {"id": str(uuid.uuid4()), "answers": {key: ROAD[n % len(ROAD)]}}
        assert (
            tablet.post(f"/k/{launch.code}/responses", json=payload).status_code == 201
        )


def _theme_count(session, task_number, band):
    """Count, straight from the tables, lecheng answers per theme on a task."""
    rows = session.exec(
        select(AnswerTheme.label, func.count(AnswerTheme.id))
        .join(Answer, Answer.id == AnswerTheme.answer_id)
        .join(Response, Response.id == Answer.response_id)
        .join(AnswerTask, AnswerTask.answer_id == Answer.id)
        .where(
            Response.township_code == "lecheng",
            Response.band == band,
            AnswerTask.task_number == task_number,
        )
        .group_by(AnswerTheme.label)
        .order_by(func.count(AnswerTheme.id).desc())
    ).all()
    return rows


def _member(client, council_id, pseudonym, **extra):
    today = local_today().isoformat()
    data = {
        "pseudonym": pseudonym,
        "band": "9-11",
        "school_year": "五年级",
        "office": "",
        "joined_on": today,
        "guardian": "yes",
        "guardian_version": "2024.1",
        "guardian_on": today,
        "assent": "yes",
        "assent_version": "2024.1",
        "assent_on": today,
        **extra,
    }
    return client.post(f"/councils/{council_id}/members", data=data)


def test_whole_session(app, client, runner, session, seeded, make_user, make_launch):
    _survey_answers(app, session, make_launch, "9-11", 12)
    _survey_answers(app, session, make_launch, "12-14", 3)
    facilitator = make_user("facilitator", township_code="lecheng")
    staff = make_user("staff")
    police = make_user("department", department="市公安局")
    today = local_today()

    # Staff create the council and name its facilitator.
    _sign_in(client, staff)
    created = client.post(
        "/councils/new",
        data={
            "name": "乐成街道儿童议事会",
            "township": "lecheng",
            "meeting_place": "乐成街道儿童之家",
            "term_start": (today - timedelta(days=30)).isoformat(),
            "term_end": (today + timedelta(days=700)).isoformat(),
            "charter": "每个人都可以说话，也可以不说。",
            "vote_rule": "simple",
            "quorum_percent": "50",
            "speak_seconds": "60",
            "retention_days": "90",
            "facilitators": [str(facilitator.id)],
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    council = session.exec(select(Council)).one()

    # The facilitator records members with consent and assent.
    _sign_in(client, facilitator)
    assert (
        _member(
            client, council.id, "小星星", office="chair", real_name="王一"
        ).status_code
        == 302
    )
    for name in ("跑跑", "云朵", "小海豚", "糖豆"):
        assert _member(client, council.id, name).status_code == 302
    members_page = client.get(f"/councils/{council.id}/members").get_data(as_text=True)
    assert "王一" in members_page and "小星星" in members_page

    # A session with an agenda item linked to task 20 and its evidence.
    made = client.post(
        f"/councils/{council.id}/activities/new",
        data={
            "kind": "session",
            "title": "第一次全体会议",
            "held_on": today.isoformat(),
        },
    )
    activity = session.exec(select(Activity)).one()
    assert made.headers["Location"].endswith(f"/councils/sessions/{activity.id}")
    client.post(
        f"/councils/sessions/{activity.id}/items",
        data={
            "title": "上学路上的安全",
            "minutes": "20",
            "task_number": "20",
            "band": "9-11",
        },
    )
    client.post(
        f"/councils/sessions/{activity.id}/items",
        data={
            "title": "初中生怎么看",
            "minutes": "10",
            "task_number": "20",
            "band": "12-14",
        },
    )
    page = client.get(f"/councils/sessions/{activity.id}").get_data(as_text=True)
    label, count = _theme_count(session, 20, "9-11")[0]
    assert count >= 10
    assert f"乐成街道 9-11 岁的孩子谈到「{label}」{count} 次" in page
    small_label, small = _theme_count(session, 20, "12-14")[0]
    assert 0 < small < 10
    assert f"乐成街道 12-14 岁的孩子谈到「{small_label}」&lt;10 次" in page
    assert f"「{small_label}」{small} 次" not in page
    assert "市公安局" in page

    # Run mode: start, time the item, give the floor, write down what was said.
    base = f"/councils/sessions/{activity.id}"
    client.post(
        f"{base}/attendance", data={"children_present": "5", "adults_present": "2"}
    )
    client.post(f"{base}/run/start")
    client.post(f"{base}/run/timer-start")
    client.post(f"{base}/speakers", data={"label": "3号"})
    stars = session.exec(
        select(CouncilMember).where(CouncilMember.pseudonym == "小星星")
    ).one()
    client.post(f"{base}/speakers", data={"member": str(stars.id)})
    client.post(f"{base}/run/speaker-next")
    client.post(f"{base}/said", data={"text": "校门口车太多，要从车中间钻过去"})
    run = client.get(f"{base}/run").get_data(as_text=True)
    assert "上学路上的安全" in run and "校门口车太多" in run
    assert re.search(r'class="run-speaker-name">3号<', run)
    assert f"「{label}」<strong>{count}</strong> 次" in run
    state = client.get(f"{base}/state").get_json()
    assert state["version"] > 0

    # A tablet vote: a resent ballot counts once, results hidden until released.
    client.post(
        f"{base}/votes",
        data={"question": "要不要设等候区？", "options": "同意\n不同意"},
    )
    vote = session.exec(select(Vote)).one()
    client.post(f"{base}/votes/{vote.id}/open")
    tablet = app.test_client(use_cookies=False)
    assert "要不要设等候区" in tablet.get(f"/v/{vote.code.lower()}").get_data(
        as_text=True
    )
    ballots = [{"id": str(uuid.uuid4()), "option": o} for o in (0, 0, 0, 1)]
    codes = [
        tablet.post(f"/v/{vote.code}/ballots", json=b).status_code for b in ballots
    ]
    resend = tablet.post(f"/v/{vote.code}/ballots", json=ballots[0])
    assert codes == [201, 201, 201, 201]
    assert resend.status_code == 200 and resend.get_json()["status"] == "duplicate"
    assert session.exec(select(func.count()).select_from(Ballot)).one() == 4
    assert client.get(f"{base}/state").get_json()["ballots"] == 4
    client.post(f"{base}/votes/{vote.id}/close")
    hidden = client.get(base).get_data(as_text=True)
    assert "同意：3 票" not in hidden
    assert "投票结束，等辅导员公布结果" in client.get(f"{base}/run").get_data(
        as_text=True
    )
    client.post(f"{base}/votes/{vote.id}/release")
    shown = client.get(base).get_data(as_text=True)
    assert "同意：3 票" in shown and "不同意：1 票" in shown
    assert "最多的是「同意」：3 票（共 4 票），超过一半。" in shown

    # Two proposals in the children's own words, supporters counted.
    item = client.get(base).get_data(as_text=True)
    item_id = re.search(r'<option value="(\d+)">1\. 上学路上的安全', item).group(1)
    for title, solution, supporters in (
        ("校门口等候区", "在校门口划一块只让人走的等候区", "5"),
        ("路口红绿灯", "在学校前面的路口装红绿灯", "4"),
    ):
        client.post(
            f"{base}/proposals",
            data={
                "title": title,
                "problem": "放学时校门口车太多",
                "reason": "小朋友个子矮，司机看不见",
                "solution": solution,
                "supporters": supporters,
                "item": item_id,
            },
        )
    waiting, lights = session.exec(select(Proposal).order_by(Proposal.id)).all()
    assert waiting.suggested_unit == "市公安局"
    assert waiting.stage == "raised" and waiting.supporters == 5
    client.post(f"{base}/run/finish")
    minutes = client.get(f"{base}/minutes").get_data(as_text=True)
    assert "出席：儿童 5 人，成人 2 人" in minutes and "校门口等候区" in minutes
    assert "小星星" not in minutes and "王一" not in minutes

    # Staff route one proposal to the suggested lead unit, answer and publish it.
    _sign_in(client, staff)
    detail = client.get(f"/proposals/{waiting.id}").get_data(as_text=True)
    assert "建议转给 <strong>市公安局</strong>" in detail
    due = (today + timedelta(days=30)).isoformat()
    client.post(
        f"/proposals/{waiting.id}/route", data={"unit": "市公安局", "due_on": due}
    )
    client.post(
        f"/proposals/{waiting.id}/answer",
        data={
            "decision": "accepted",
            "answer": "下个月在校门口划出等候区。",
            "reason": "",
        },
    )
    client.post(
        f"/proposals/{waiting.id}/notes",
        data={
            "kind": "progress",
            "progress": "40",
            "text": "已经画好线。",
            "public": "y",
        },
    )
    client.post(f"/proposals/{waiting.id}/publish")
    session.expire_all()
    waiting = session.get(Proposal, waiting.id)
    assert (waiting.stage, waiting.lead_unit, waiting.progress) == (
        "decided",
        "市公安局",
        40,
    )
    assert waiting.drafting_on == today and waiting.decided_on == today

    # The department sees it; children read the answer without any name.
    _sign_in(client, police)
    listed = client.get("/proposals").get_data(as_text=True)
    assert "校门口等候区" in listed and "路口红绿灯" not in listed
    client.post("/logout")
    feedback = client.get("/feedback/lecheng").get_data(as_text=True)
    assert "在校门口划一块只让人走的等候区" in feedback
    assert "下个月在校门口划出等候区。" in feedback
    assert "完成了 40%" in feedback and "已经画好线。" in feedback
    assert "在学校前面的路口装红绿灯" not in feedback
    for name in ("小星星", "跑跑", "云朵", "王一", "3号"):
        assert name not in feedback

    # The status command counts the council, the session and both proposals.
    result = runner.invoke(args=["participation", "status"])
    assert result.exit_code == 0, result.output
    townships = session.exec(select(func.count()).select_from(Township)).one()
    lines = result.output.splitlines()
    assert f"townships covered: 1/{townships}" in lines
    assert "sessions: 1" in lines
    assert "proposals raised: 1" in lines and "proposals decided: 1" in lines
    assert "proposals overdue: 0" in lines
    assert lights.stage == "raised"


def test_minutes_export_as_word(client, session, seeded, make_user):
    from participation import council_ops, minutes, session_ops

    facilitator = make_user("facilitator")
    council = council_ops.create_council(
        session,
        {
            "township_code": "liushi",
            "name": "柳市镇儿童议事会",
            "term_start": local_today() - timedelta(days=10),
            "term_end": local_today() + timedelta(days=300),
        },
        [facilitator.id],
    )
    activity = session_ops.create_session(
        session, council, {"title": "第一次会议", "held_on": local_today()}
    )
    session_ops.add_item(session, activity, {"title": "公园的滑梯", "minutes": 15})
    minutes.save(
        session, activity, minutes.generate(session, activity) + "- 补记：下次带照片\n"
    )
    _sign_in(client, facilitator)

    word = client.get(f"/councils/sessions/{activity.id}/minutes.docx")
    printed = client.get(f"/councils/sessions/{activity.id}/minutes/print")

    assert word.status_code == 200
    text = [p.text for p in Document(io.BytesIO(word.data)).paragraphs]
    assert "柳市镇儿童议事会 第一次会议 纪要" in text
    assert "1. 公园的滑梯（15 分钟）" in text
    assert "补记：下次带照片" in text
    page = printed.get_data(as_text=True)
    assert (
        "<h3>1. 公园的滑梯（15 分钟）</h3>" in page
        and "<li>补记：下次带照片</li>" in page
    )
