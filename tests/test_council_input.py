"""Bad input gets a clear message and changes nothing; consent and retention."""

import uuid
from datetime import date, timedelta

import pytest
from sqlmodel import SQLModel, func, select

from participation import council_ops, proposal_ops, session_ops, vote_ops
from participation.council_ops import ConsentInput, CouncilError, local_today
from participation.councils import (
    Activity,
    AgendaItem,
    Ballot,
    Consent,
    Council,
    CouncilMember,
    Proposal,
    ProposalNote,
    Vote,
)
from tests.conftest import PASSWORD

TABLES = (Council, CouncilMember, Consent, Activity, AgendaItem, Vote, Ballot)
TABLES += (Proposal, ProposalNote)


def _state(session):
    """Return every row count and the fields bad input could change."""
    session.expire_all()
    counts = {
        model.__name__: session.exec(select(func.count()).select_from(model)).one()
        for model in TABLES
    }
    proposals = [
        (p.stage, p.progress, p.decision, p.lead_unit, p.due_on)
        for p in session.exec(select(Proposal).order_by(Proposal.id))
    ]
    votes = [(v.status, v.hands) for v in session.exec(select(Vote).order_by(Vote.id))]
    return counts, proposals, votes


@pytest.fixture
def world(seeded, session, make_user, client):
    """A council with a session, a closed vote, and proposals at each early stage."""
    facilitator = make_user("facilitator")
    staff = make_user("staff")
    council = council_ops.create_council(
        session,
        {
            "township_code": "lecheng",
            "name": "乐成街道儿童议事会",
            "term_start": local_today() - timedelta(days=30),
            "term_end": local_today() + timedelta(days=300),
        },
        [facilitator.id],
    )
    activity = session_ops.create_session(
        session, council, {"title": "会议", "held_on": local_today()}
    )
    session_ops.add_item(session, activity, {"title": "议题", "minutes": 10})
    closed = vote_ops.create_vote(session, activity, "好不好？", ["好", "不好"])
    vote_ops.open_vote(session, closed)
    vote_ops.close_vote(session, closed)
    draft = vote_ops.create_vote(session, activity, "还要吗？", ["要", "不要"])
    words = {"problem": "问题", "reason": "理由", "solution": "办法", "supporters": 2}
    raised = proposal_ops.capture(session, council, {**words, "title": "甲"}, activity)
    drafting = proposal_ops.capture(
        session, council, {**words, "title": "乙"}, activity
    )
    proposal_ops.route(session, drafting, "市教育局", local_today() + timedelta(days=5))
    return {
        "facilitator": facilitator,
        "staff": staff,
        "council": council,
        "activity": activity,
        "closed": closed,
        "draft": draft,
        "raised": raised,
        "drafting": drafting,
    }


def _sign_in(client, user):
    client.post("/login", data={"username": user.username, "password": PASSWORD})


TODAY = local_today().isoformat()
YESTERDAY = (local_today() - timedelta(days=1)).isoformat()

BAD_FORMS = [
    (
        "facilitator",
        "/councils/sessions/{activity}/proposals",
        {"problem": "", "reason": "", "solution": "", "supporters": "3"},
        "建议要写清楚问题、理由和办法：还缺问题、理由、办法。",
    ),
    (
        "facilitator",
        "/councils/sessions/{activity}/proposals",
        {"problem": "  ", "reason": "理由", "solution": "办法", "supporters": "3"},
        "还缺问题",
    ),
    (
        "facilitator",
        "/councils/sessions/{activity}/proposals",
        {"problem": "问题", "reason": "理由", "solution": "办法", "supporters": "-1"},
        "支持人数要在 0 到 1000 之间。",
    ),
    (
        "facilitator",
        "/councils/sessions/{activity}/items",
        {"title": "议题", "minutes": "0"},
        "时长要在 1 到 180 分钟之间。",
    ),
    (
        "facilitator",
        "/councils/sessions/{activity}/items",
        {"title": "议题", "minutes": "10", "task_number": "99"},
        "行动方案里没有第 99 项任务。",
    ),
    (
        "facilitator",
        "/councils/sessions/{activity}/votes",
        {"question": "选哪个？", "options": "好"},
        "表决要有 2 到 6 个互不相同的选项。",
    ),
    (
        "facilitator",
        "/councils/sessions/{activity}/votes/{closed}/open",
        {},
        "这个表决已经开始过了。",
    ),
    (
        "facilitator",
        "/councils/sessions/{activity}/votes/{draft}/release",
        {},
        "表决结束以后才能公布结果。",
    ),
    (
        "facilitator",
        "/councils/sessions/{activity}/votes/{draft}/hands",
        {"counts": "3"},
        "每个选项的举手人数要在 0 到 1000 之间。",
    ),
    (
        "facilitator",
        "/councils/sessions/{activity}/run/next",
        {},
        "会议还没有开始，或者已经结束。",
    ),
    (
        "staff",
        "/proposals/{raised}/publish",
        {},
        "建议现在在「需求表达」阶段，不能直接进入「决策公示」。",
    ),
    (
        "staff",
        "/proposals/{raised}/evaluate",
        {"evaluation": "很好"},
        "建议现在在「需求表达」阶段，不能直接进入「评估反馈」。",
    ),
    (
        "staff",
        "/proposals/{drafting}/route",
        {"unit": "市公安局", "due_on": TODAY},
        "建议现在在「方案制定」阶段，不能直接进入「方案制定」。",
    ),
    (
        "staff",
        "/proposals/{drafting}/publish",
        {},
        "先记录答复，再公示。",
    ),
    (
        "staff",
        "/proposals/{raised}/answer",
        {"decision": "accepted", "answer": "好", "reason": ""},
        "先把建议转给牵头单位，再记录答复。",
    ),
    (
        "staff",
        "/proposals/{drafting}/answer",
        {"decision": "not_possible", "answer": "做不了", "reason": ""},
        "「无法采纳」要写明原因。",
    ),
    (
        "staff",
        "/proposals/{raised}/route",
        {"unit": "市公安局", "due_on": YESTERDAY},
        "答复期限不能早于今天。",
    ),
    (
        "staff",
        "/proposals/{raised}/route",
        {"unit": "不存在的单位", "due_on": TODAY},
        "行动方案里没有「不存在的单位」这个单位，请从列表里选择牵头单位。",
    ),
    (
        "staff",
        "/proposals/{drafting}/notes",
        {"kind": "progress", "progress": "101", "text": "快好了"},
        "进度要在 0 到 100 之间。",
    ),
    (
        "staff",
        "/proposals/{drafting}/notes",
        {"kind": "progress", "progress": "-5", "text": "倒退了"},
        "进度要在 0 到 100 之间。",
    ),
    (
        "staff",
        "/proposals/{raised}/notes",
        {"kind": "progress", "progress": "50", "text": "还没转交"},
        "先把建议转给牵头单位，再记录进展。",
    ),
    (
        "staff",
        "/councils/new",
        {
            "name": "新议事会",
            "township": "liushi",
            "term_start": TODAY,
            "term_end": TODAY,
            "vote_rule": "simple",
            "quorum_percent": "50",
            "speak_seconds": "60",
            "retention_days": "90",
        },
        "任期结束日期要晚于开始日期。",
    ),
    (
        "staff",
        "/councils/new",
        {
            "name": "新议事会",
            "township": "liushi",
            "term_start": YESTERDAY,
            "term_end": TODAY,
            "vote_rule": "simple",
            "quorum_percent": "150",
            "speak_seconds": "60",
            "retention_days": "90",
        },
        "法定人数比例要在 0 到 100 之间。",
    ),
]


@pytest.mark.parametrize(("who", "path", "data", "message"), BAD_FORMS)
def test_bad_input_is_explained_and_changes_nothing(
    client, session, world, who, path, data, message
):
    _sign_in(client, world[who])
    url = path.format(
        activity=world["activity"].id,
        closed=world["closed"].id,
        draft=world["draft"].id,
        raised=world["raised"].id,
        drafting=world["drafting"].id,
    )
    before = _state(session)

    response = client.post(url, data=data, follow_redirects=True)

    assert message in response.get_data(as_text=True)
    assert _state(session) == before


@pytest.mark.parametrize(
    ("vote", "payload", "status", "message"),
    [
        ("closed", {"option": 0}, 410, "这个表决已经结束了。"),
        ("draft", {"option": 0}, 410, "这个表决已经结束了。"),
        ("open", {"option": 2}, 422, "没有这个选项。"),
        ("open", {"option": "0"}, 422, "没有这个选项。"),
        ("open", {"id": "not-a-uuid", "option": 0}, 400, "投票要带上平板生成的 UUID。"),
        ("open", ["a list"], 400, "投票内容必须是 JSON 对象。"),
    ],
)
def test_bad_ballots_are_refused(app, session, world, vote, payload, status, message):
    target = world.get(vote)
    if vote == "open":
        target = world["draft"]
        vote_ops.open_vote(session, target)
    if isinstance(payload, dict):
        payload = {"id": str(uuid.uuid4()), **payload}
    tablet = app.test_client(use_cookies=False)
    before = _state(session)

    response = tablet.post(f"/v/{target.code}/ballots", json=payload)

    assert response.status_code == status
    assert response.get_json()["error"] == message
    assert _state(session) == before


def test_a_ballot_resent_with_another_option_keeps_the_first(app, session, world):
    vote = world["draft"]
    vote_ops.open_vote(session, vote)
    tablet = app.test_client(use_cookies=False)
    ballot = {"id": str(uuid.uuid4()), "option": 0}

    first = tablet.post(f"/v/{vote.code}/ballots", json=ballot)
    clash = tablet.post(f"/v/{vote.code}/ballots", json={**ballot, "option": 1})
    garbage = tablet.post(
        f"/v/{vote.code}/ballots", data="{", content_type="application/json"
    )

    assert (first.status_code, clash.status_code, garbage.status_code) == (
        201,
        409,
        400,
    )
    assert vote_ops.tally(session, vote) == [1, 0]


# Members and consent ---------------------------------------------------------


def _member(session, council, real_name="陈示例", guardian=True, assent=True):
    return council_ops.add_member(
        session,
        council,
        {
            "pseudonym": "小星星",
            "band": "9-11",
            "school_year": "五年级",
            "office": "chair",
            "joined_on": local_today(),
            "real_name": real_name,
            "guardian_contact": "示例 139-0000-0000",
        },
        ConsentInput(guardian, "2024.1", local_today()),
        ConsentInput(assent, "2024.1", local_today()),
    )


@pytest.mark.parametrize("kind", ["guardian", "assent"])
def test_withdrawal_deletes_personal_details(client, session, world, kind):
    member = _member(session, world["council"])
    _sign_in(client, world["facilitator"])

    page = client.post(
        f"/councils/{world['council'].id}/members/{member.id}/withdraw",
        data={"kind": kind},
        follow_redirects=True,
    ).get_data(as_text=True)

    session.expire_all()
    member = session.get(CouncilMember, member.id)
    consents = council_ops.consents_of(session, member.id)
    assert "个人信息已删除" in page
    assert (member.real_name, member.guardian_contact, member.office) == (
        None,
        None,
        None,
    )
    assert member.pseudonym == council_ops.WITHDRAWN_LABEL
    assert member.left_on is not None and member.personal_removed_at is not None
    assert consents[kind].withdrawn_on == local_today()
    assert consents[kind].wording_version == "2024.1"
    assert not council_ops.is_active_member(session, member)
    assert "陈示例" not in page and "小星星" not in page
    with pytest.raises(CouncilError, match="这项同意没有生效"):
        council_ops.withdraw_consent(session, member, kind)


def test_refusal_is_recorded_without_personal_details(session, world):
    member = _member(session, world["council"], guardian=False)

    consents = council_ops.consents_of(session, member.id)

    assert consents["guardian"].given is False
    assert consents["assent"].given is True
    assert member.real_name is None and member.guardian_contact is None
    assert not council_ops.is_active_member(session, member)
    assert member.office == "chair"
    assert council_ops.active_members(session, world["council"].id) == []


def test_consent_in_the_future_is_refused(session, world):
    later = local_today() + timedelta(days=1)

    with pytest.raises(CouncilError, match="同意的日期不能晚于今天"):
        council_ops.add_member(
            session,
            world["council"],
            {
                "pseudonym": "跑跑",
                "band": "9-11",
                "school_year": "四年级",
                "office": None,
                "joined_on": local_today(),
            },
            ConsentInput(True, "2024.1", later),
            ConsentInput(True, "2024.1", local_today()),
        )
    session.rollback()

    assert session.exec(select(func.count()).select_from(CouncilMember)).one() == 0


def test_retention_deletes_names_after_term_and_period(runner, session, world):
    council = world["council"]
    member = _member(session, council)
    council.term_end = local_today() - timedelta(days=council.retention_days)
    session.add(council)
    session.commit()

    kept = council_ops.purge_expired(session)
    council.term_end -= timedelta(days=1)
    session.add(council)
    session.commit()
    result = runner.invoke(args=["participation", "purge-personal"])

    session.expire_all()
    member = session.get(CouncilMember, member.id)
    assert kept == 0
    assert result.exit_code == 0 and "for 1 members" in result.output
    assert member.real_name is None and member.guardian_contact is None
    assert member.pseudonym == "小星星"


def test_consent_records_and_responses_share_no_key():
    tables = SQLModel.metadata.tables
    council_side = {"consent", "councilmember", "council"}
    survey_side = {"response", "answer", "launch", "rejectedsubmission"}

    for name in council_side:
        targets = {fk.column.table.name for fk in tables[name].foreign_keys}
        assert not targets & survey_side
        assert not {c.name for c in tables[name].columns} & {"response_id", "tablet"}
    for name in survey_side:
        targets = {fk.column.table.name for fk in tables[name].foreign_keys}
        assert not targets & council_side


def test_term_dates_decide_the_year(world):
    council = world["council"]
    council.term_start, council.term_end = date(2023, 9, 1), date(2024, 8, 31)

    assert [
        council_ops.active_in_year(council, y) for y in (2022, 2023, 2024, 2025)
    ] == [
        False,
        True,
        True,
        False,
    ]
