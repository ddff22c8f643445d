"""Vote rules, show-of-hands counts, and results held back until released."""

import uuid
from datetime import timedelta

import pytest

from core.models import User
from participation import council_ops, session_ops, vote_ops
from participation.council_ops import ConsentInput, CouncilError, local_today
from tests.conftest import PASSWORD

OPTIONS = ["同意", "不同意", "弃权"]


@pytest.mark.parametrize(
    ("counts", "rule", "members", "quorum", "winner", "words"),
    [
        (
            [5, 3, 0],
            "simple",
            None,
            0,
            0,
            "最多的是「同意」：5 票（共 8 票），超过一半。",
        ),
        ([4, 3, 2], "simple", None, 0, 0, "没有超过一半，但比其他选项都多"),
        ([4, 3, 2], "absolute", None, 0, None, "没有超过一半，这次没有结果"),
        ([5, 4, 0], "absolute", None, 0, 0, "超过一半。"),
        ([6, 3, 0], "two_thirds", None, 0, 0, "达到三分之二"),
        ([5, 3, 0], "two_thirds", None, 0, None, "不到三分之二"),
        ([4, 4, 1], "simple", None, 0, None, "「同意」和「不同意」一样多（各 4 票）"),
        (
            [1, 21, 0],
            "simple",
            None,
            0,
            1,
            "最多的是「不同意」：21 票（共 22 票），超过一半。",
        ),
        ([0, 0, 0], "simple", None, 0, None, "没有人投票。"),
        (
            [3, 1, 0],
            "simple",
            12,
            50,
            None,
            "只有 4 人投票，不足法定人数（12 名成员中至少 6 人）。",
        ),
        (
            [5, 1, 0],
            "simple",
            12,
            50,
            0,
            "最多的是「同意」：5 票（共 6 票），超过一半。",
        ),
    ],
)
def test_rules_decide(counts, rule, members, quorum, winner, words):
    result = vote_ops.decide(counts, rule, members, quorum, OPTIONS)

    assert result["winner"] == winner
    assert words in result["text"]


def test_unknown_rule_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown vote rule"):
        vote_ops.decide([1, 2], "loudest")


@pytest.fixture
def activity(seeded, session, make_user):
    council = council_ops.create_council(
        session,
        {
            "township_code": "liushi",
            "name": "柳市镇儿童议事会",
            "term_start": local_today() - timedelta(days=30),
            "term_end": local_today() + timedelta(days=300),
            "vote_rule": "two_thirds",
            "quorum_percent": 50,
        },
        [make_user("facilitator").id],
    )
    consent = ConsentInput(True, "2024.1", local_today())
    for name in ("甲", "乙", "丙", "丁"):
        council_ops.add_member(
            session,
            council,
            {
                "pseudonym": name,
                "band": "12-14",
                "school_year": "初一",
                "office": None,
                "joined_on": local_today(),
            },
            consent,
            consent,
        )
    return session_ops.create_session(
        session, council, {"title": "会议", "held_on": local_today()}
    )


def test_hands_replace_ballots_under_the_councils_rule(session, activity):
    vote = vote_ops.create_vote(session, activity, "先修哪里？", OPTIONS)

    vote_ops.record_hands(session, vote, [2, 1, 0])
    vote_ops.release(session, vote)
    found = vote_ops.results(session, vote)

    assert vote.rule == "two_thirds" and vote.members == 4
    assert found["counts"] == [2, 1, 0] and found["total"] == 3
    assert found["winner"] == 0
    assert "达到三分之二" in found["text"]


def test_results_stay_hidden_until_released(app, client, session, activity):
    user_id = council_ops.facilitator_ids(session, activity.council_id)[0]
    user = session.get(User, user_id)
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    vote = vote_ops.create_vote(session, activity, "要不要？", ["要", "不要"])
    vote_ops.open_vote(session, vote)
    tablet = app.test_client(use_cookies=False)
    for option in (0, 0, 1):
        ballot = {"id": str(uuid.uuid4()), "option": option}
        tablet.post(f"/v/{vote.code}/ballots", json=ballot)
    vote_ops.close_vote(session, vote)
    session_ops.add_item(session, activity, {"title": "议题", "minutes": 5})
    session_ops.start(session, activity)

    before = client.get(f"/councils/sessions/{activity.id}/run").get_data(as_text=True)
    with pytest.raises(CouncilError, match="这个表决没有在进行"):
        vote_ops.close_vote(session, vote)
    vote_ops.release(session, vote)
    after = client.get(f"/councils/sessions/{activity.id}/run").get_data(as_text=True)

    assert 'class="n">2<' not in before and "等辅导员公布结果" in before
    assert 'class="n">2<' in after and 'class="n">1<' in after
    assert "最多的是「要」：2 票（共 3 票），达到三分之二。" in after


def test_more_votes_than_members_warns_the_facilitator(client, session, activity):
    user_id = council_ops.facilitator_ids(session, activity.council_id)[0]
    user = session.get(User, user_id)
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    fits = vote_ops.create_vote(session, activity, "先修哪里？", OPTIONS)
    vote_ops.record_hands(session, fits, [2, 1, 1])
    page = client.get(f"/councils/sessions/{activity.id}").get_data(as_text=True)
    assert 'data-testid="vote-excess"' not in page

    vote_ops.record_hands(session, fits, [3, 2, 1])
    page = client.get(f"/councils/sessions/{activity.id}").get_data(as_text=True)

    assert fits.members == 4
    assert "票数比在任成员多 2 票" in page


def test_tablets_cannot_cast_more_ballots_than_members(app, session, activity):
    vote = vote_ops.create_vote(session, activity, "要不要？", ["要", "不要"])
    vote_ops.open_vote(session, vote)
    tablet = app.test_client(use_cookies=False)
    ballots = [{"id": str(uuid.uuid4()), "option": 0} for _ in range(5)]

    statuses = [
        tablet.post(f"/v/{vote.code}/ballots", json=b).status_code for b in ballots
    ]
    resend = tablet.post(f"/v/{vote.code}/ballots", json=ballots[0])

    assert statuses == [201, 201, 201, 201, 409]
    assert resend.status_code == 200
    assert vote_ops.ballot_count(session, vote) == 4


def test_the_tablet_vote_page_masks_names(app, session, activity):
    vote = vote_ops.create_vote(
        session,
        activity,
        "我叫王小明，我提议修滑梯，同意吗？",
        ["同意", "我叫李华，不同意"],
    )
    vote_ops.open_vote(session, vote)

    page = app.test_client().get(f"/v/{vote.code}").get_data(as_text=True)

    assert "王小明" not in page and "李华" not in page
    assert "修滑梯" in page
