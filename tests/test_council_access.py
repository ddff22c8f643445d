"""Who sees what: members to their council's facilitators, proposals to their unit."""

from datetime import timedelta

import pytest
from sqlmodel import func, select

from participation import council_ops, proposal_ops, session_ops
from participation.council_ops import ConsentInput, local_today
from participation.councils import CouncilMember
from tests.conftest import PASSWORD

REAL_NAMES = {"lecheng": "陈示例", "liushi": "林示例"}
PSEUDONYMS = {"lecheng": "小星星", "liushi": "飞鱼"}


def _council(session, code, facilitator):
    council = council_ops.create_council(
        session,
        {
            "township_code": code,
            "name": f"{code} 议事会",
            "term_start": local_today() - timedelta(days=30),
            "term_end": local_today() + timedelta(days=300),
        },
        [facilitator.id],
    )
    consent = ConsentInput(True, "2024.1", local_today())
    council_ops.add_member(
        session,
        council,
        {
            "pseudonym": PSEUDONYMS[code],
            "band": "9-11",
            "school_year": "五年级",
            "office": "chair",
            "joined_on": local_today(),
            "real_name": REAL_NAMES[code],
            "guardian_contact": "示例 139-0000-0000",
        },
        consent,
        consent,
    )
    activity = session_ops.create_session(
        session, council, {"title": "会议", "held_on": local_today()}
    )
    return council, activity


@pytest.fixture
def two(seeded, make_user, session):
    """Two councils, each with its facilitator, a member and a routed proposal."""
    first = make_user("facilitator", township_code="lecheng")
    second = make_user("facilitator", township_code="liushi")
    lecheng, lecheng_session = _council(session, "lecheng", first)
    liushi, liushi_session = _council(session, "liushi", second)
    proposals = {}
    for council, activity, unit in (
        (lecheng, lecheng_session, "市教育局"),
        (liushi, liushi_session, "市公安局"),
    ):
        proposal = proposal_ops.capture(
            session,
            council,
            {
                "title": f"{unit}的建议",
                "problem": "问题",
                "reason": "理由",
                "solution": "办法",
                "supporters": 3,
            },
            activity,
        )
        proposal_ops.route(session, proposal, unit, local_today() + timedelta(days=9))
        proposals[unit] = proposal
    return {
        "facilitators": (first, second),
        "councils": (lecheng, liushi),
        "sessions": (lecheng_session, liushi_session),
        "proposals": proposals,
    }


def _sign_in(client, user):
    response = client.post(
        "/login", data={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302


def test_facilitator_cannot_see_another_councils_members(client, session, two):
    lecheng, liushi = two["councils"]
    _sign_in(client, two["facilitators"][0])

    own = client.get(f"/councils/{lecheng.id}/members")
    other = client.get(f"/councils/{liushi.id}/members")
    other_detail = client.get(f"/councils/{liushi.id}")
    added = client.post(
        f"/councils/{liushi.id}/members",
        data={"pseudonym": "偷偷加", "band": "9-11", "school_year": "三年级"},
    )
    member = session.exec(
        select(CouncilMember).where(CouncilMember.council_id == liushi.id)
    ).one()
    withdrawn = client.post(
        f"/councils/{liushi.id}/members/{member.id}/withdraw", data={"kind": "assent"}
    )
    run = client.get(f"/councils/sessions/{two['sessions'][1].id}/run")

    assert own.status_code == 200
    assert REAL_NAMES["lecheng"] in own.get_data(as_text=True)
    assert [other.status_code, other_detail.status_code] == [404, 404]
    assert [added.status_code, withdrawn.status_code, run.status_code] == [404] * 3
    session.expire_all()
    assert session.get(CouncilMember, member.id).real_name == REAL_NAMES["liushi"]
    assert session.exec(select(func.count()).select_from(CouncilMember)).one() == 2
    assert REAL_NAMES["liushi"] not in own.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "members", "names"),
    [("safeguarding", 200, True), ("admin", 200, False), ("staff", 403, False)],
)
def test_member_details_by_role(client, make_user, two, role, members, names):
    lecheng, _ = two["councils"]
    _sign_in(client, make_user(role))

    page = client.get(f"/councils/{lecheng.id}/members")
    detail = client.get(f"/councils/{lecheng.id}").get_data(as_text=True)

    assert page.status_code == members
    assert (REAL_NAMES["lecheng"] in page.get_data(as_text=True)) is names
    assert REAL_NAMES["lecheng"] not in detail
    if role == "staff":
        assert PSEUDONYMS["lecheng"] not in detail


def test_department_sees_only_its_proposals(client, make_user, two):
    ours, theirs = two["proposals"]["市教育局"], two["proposals"]["市公安局"]
    _sign_in(client, make_user("department", department="市教育局"))

    listed = client.get("/proposals").get_data(as_text=True)
    own = client.get(f"/proposals/{ours.id}")
    other = client.get(f"/proposals/{theirs.id}")
    answer = client.post(
        f"/proposals/{ours.id}/answer",
        data={"decision": "accepted", "answer": "好", "reason": ""},
    )

    assert "市教育局的建议" in listed and "市公安局的建议" not in listed
    assert own.status_code == 200 and other.status_code == 404
    assert answer.status_code == 403


def test_department_without_a_unit_sees_nothing(client, make_user, two):
    _sign_in(client, make_user("department"))

    listed = client.get("/proposals").get_data(as_text=True)

    assert "市教育局的建议" not in listed and "市公安局的建议" not in listed


@pytest.mark.parametrize(
    "path",
    [
        "/councils",
        "/councils/{council}",
        "/councils/{council}/members",
        "/councils/sessions/{session}",
        "/councils/sessions/{session}/run",
        "/councils/sessions/{session}/minutes",
        "/proposals",
        "/proposals/{proposal}",
        "/councils/dashboard",
        "/councils/pack.xlsx",
    ],
)
def test_anonymous_sees_no_member_details(client, two, path):
    url = path.format(
        council=two["councils"][0].id,
        session=two["sessions"][0].id,
        proposal=two["proposals"]["市教育局"].id,
    )

    response = client.get(url)

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_public_pages_name_no_member(client, session, two):
    proposal = two["proposals"]["市教育局"]
    proposal_ops.record_answer(session, proposal, "accepted", "", "会去做。")
    proposal_ops.publish(session, proposal)

    feedback = client.get("/feedback/lecheng").get_data(as_text=True)
    index = client.get("/feedback").get_data(as_text=True)

    assert "会去做。" in feedback
    for text in (*REAL_NAMES.values(), *PSEUDONYMS.values(), "139-0000-0000"):
        assert text not in feedback and text not in index
