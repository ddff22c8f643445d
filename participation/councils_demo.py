"""Demo councils for 乐成街道 and 柳市镇, each with a finished session.

Everything goes through the same operations the pages use: members with
consent, activities of every kind, a session with an agenda linked to plan
tasks, a vote, proposals, and answers published on the feedback page. A
council that exists already is left alone, so loading twice adds nothing.
The pseudonyms and the two sample names are invented.
"""

import logging
import uuid
from datetime import date, timedelta

from sqlmodel import Session, select

from core.models import Role, User
from participation import (
    council_ops,
    minutes,
    proposal_ops,
    session_ops,
    vote_ops,
)
from participation.council_ops import ConsentInput
from participation.councils import Council

log = logging.getLogger(__name__)

NAMESPACE = uuid.UUID("0c5e7a1e-3f4b-4a51-9d7e-6b1f2a9c8d40")
SECOND_FACILITATOR = ("facilitator2", "柳市镇辅导员", "liushi")

CHARTER = (
    "一、议事会是我们自己的会，每个人都可以说话，也可以不说。\n"
    "二、别人说话的时候认真听，不笑话别人的想法。\n"
    "三、提建议要说清楚：看到了什么问题、为什么要改、我们想怎么改。\n"
    "四、大家投票决定，一人一票，少数服从多数，也尊重少数人的意见。\n"
    "五、会上说的话不写名字，会后不说是谁说的。"
)

MEMBERS = {
    "lecheng": [
        ("小星星", "9-11", "五年级", "chair"),
        ("向日葵", "12-14", "初一", "vice_chair"),
        ("跑跑", "9-11", "四年级", None),
        ("小海豚", "9-11", "五年级", None),
        ("阿木", "12-14", "初二", None),
        ("糖豆", "9-11", "四年级", None),
        ("小鹿", "9-11", "六年级", None),
        ("云朵", "12-14", "初一", None),
        ("闪电", "9-11", "六年级", None),
        ("橙子", "9-11", "五年级", None),
        ("小树", "12-14", "初二", None),
        ("月亮", "9-11", "三年级", None),
    ],
    "liushi": [
        ("飞鱼", "12-14", "初一", "chair"),
        ("小太阳", "9-11", "五年级", "vice_chair"),
        ("豆豆", "9-11", "四年级", None),
        ("蒲公英", "12-14", "初二", None),
        ("石头", "9-11", "六年级", None),
        ("彩虹", "9-11", "五年级", None),
        ("小熊", "12-14", "初一", None),
        ("青蛙", "9-11", "三年级", None),
        ("风筝", "12-14", "初三", None),
        ("柚子", "9-11", "六年级", None),
    ],
}

ACTIVITIES = {
    "lecheng": [
        ("training", "儿童参与专题培训：怎样提一条好建议", 70, 30, True),
        ("participation", "我们的上学路：跟着议事员走一走", 50, 18, True),
        ("participation", "儿童友好公园设计工作坊", 35, 22, False),
        ("charity", "旧书漂流公益义卖", 20, 40, True),
    ],
    "liushi": [
        ("training", "议事员培训：开会的规则和投票", 60, 16, True),
        ("participation", "柳市镇儿童友好地图绘制", 28, 25, False),
        ("charity", "给山区小朋友捐书", 12, 35, True),
    ],
}


def load(session: Session) -> dict:
    """Load the two demo councils unless they exist; return what was added."""
    facilitators = {
        "lecheng": _user(session, "facilitator"),
        "liushi": _second_facilitator(session),
    }
    added = {"councils": 0}
    for code in SESSIONS:
        name = _name(session, code)
        if session.exec(select(Council.id).where(Council.name == name)).first():
            continue
        if facilitators[code] is None:
            log.warning("Demo council for %s skipped: no facilitator account", code)
            continue
        _hold_session(session, _council(session, code, name, facilitators[code]))
        added["councils"] += 1
    return added


def _user(session, username):
    """Return the account with username, or None."""
    return session.exec(select(User).where(User.username == username)).first()


def _second_facilitator(session):
    """Return the 柳市镇 facilitator, creating the demo account once."""
    from core.demo import DEMO_PASSWORD

    username, display, township = SECOND_FACILITATOR
    user = _user(session, username)
    if user is None:
        user = User(
            username=username,
            display_name=display,
            role=Role.FACILITATOR,
            township_code=township,
        )
        user.set_password(DEMO_PASSWORD)
        session.add(user)
        session.commit()
        log.info("Demo user %s created", username)
    return user


def _name(session, code):
    """Return the council name for a township code."""
    from participation.models import Township

    return f"{session.get(Township, code).name}儿童议事会"


def _today():
    """Return today's date in the city."""
    return council_ops.local_today()


def _day(days_ago):
    """Return a date days_ago back, kept inside the current year."""
    today = _today()
    return max(today - timedelta(days=days_ago), date(today.year, 1, 1))


def _council(session, code, name, facilitator):
    """Create a demo council with its members and activities."""
    today = _today()
    start = date(today.year - 1, 9, 1)
    council = council_ops.create_council(
        session,
        {
            "township_code": code,
            "name": name,
            "charter": CHARTER,
            "charter_adopted_on": start + timedelta(days=20),
            "meeting_place": f"{name.removesuffix('儿童议事会')}儿童之家",
            "term_start": start,
            "term_end": date(today.year + 1, 8, 31),
        },
        [facilitator.id],
    )
    _members(session, council, facilitator)
    _activities(session, council)
    return council


def _members(session, council, facilitator):
    """Record the demo members, two with sample personal details."""
    consent = ConsentInput(
        True, council_ops.CONSENT_WORDING_VERSION, council.term_start
    )
    for number, (pseudonym, band, year, office) in enumerate(
        MEMBERS[council.township_code]
    ):
        sample = number < 2
        council_ops.add_member(
            session,
            council,
            {
                "pseudonym": pseudonym,
                "band": band,
                "school_year": year,
                "office": office,
                "joined_on": council.term_start,
                "real_name": f"示例姓名{number + 1}" if sample else None,
                "guardian_contact": "示例 138-0000-0000" if sample else None,
            },
            consent,
            consent,
            facilitator.id,
        )
    _withdrawn_member(session, council, facilitator)


def _withdrawn_member(session, council, facilitator):
    """Show a member who left: the assent withdrawn, the details deleted."""
    consent = ConsentInput(
        True, council_ops.CONSENT_WORDING_VERSION, council.term_start
    )
    member = council_ops.add_member(
        session,
        council,
        {
            "pseudonym": "小燕子",
            "band": "9-11",
            "school_year": "四年级",
            "office": None,
            "joined_on": council.term_start,
            "real_name": "示例姓名",
            "guardian_contact": None,
        },
        consent,
        consent,
        facilitator.id,
    )
    council_ops.withdraw_consent(session, member, "assent", facilitator.id)


def _activities(session, council):
    """Record the year's trainings, activities and charity projects."""
    elements = {
        "space": "在儿童之家围坐开会，孩子们可以说也可以不说，不想发言的写在便利贴上。",
        "voice": "会前给孩子们看了问卷结果和图片，用孩子能读懂的话介绍议题。",
        "audience": "街道分管领导和相关部门的同志到场听取。",
        "influence": "会后一个月内，部门把答复贴在「你说，我们做」页面上，"
        "并回到议事会当面说明。",
    }
    for offset, (kind, title, days_ago, children, answered) in enumerate(
        ACTIVITIES[council.township_code]
    ):
        council_ops.create_activity(
            session,
            council,
            {
                "kind": kind,
                "title": title,
                "held_on": _day(days_ago + offset),
                "place": council.meeting_place,
                "children_present": children,
                "adults_present": 3,
                **{k: v for k, v in elements.items() if answered or k != "influence"},
            },
        )


# The two sessions ------------------------------------------------------------

#: per township: the session, its agenda, what was said, the vote, the proposals
SESSIONS = {
    "lecheng": {
        "title": "第三次全体会议",
        "days_ago": 21,
        "agenda": [
            ("上学路上的安全", 20, 20, None, "9-11"),
            ("课间和操场", 15, 7, "school_day", None),
            ("下一次活动做什么", 10, None, None, None),
        ],
        "said": [
            "放学的时候校门口停满了车，要从车中间钻过去。",
            "有的路口没有红绿灯，过马路要等很久。",
        ],
        "speakers": ["小星星", "跑跑", "云朵"],
        "vote": (
            "要不要建议在校门口设一块只让人走的等候区？",
            ["同意", "不同意", "弃权"],
            {"taps": [0] * 9 + [1] * 2},
        ),
        "proposals": [
            (
                1,
                {
                    "title": "放学时校门口车太多",
                    "problem": "放学的时候校门口停满了接孩子的车，"
                    "我们要从车中间穿过去。",
                    "reason": "车子突然开动很危险，低年级的小朋友个子矮，司机看不见。",
                    "solution": "在校门口划一块只让人走的等候区，"
                    "放学时请交警叔叔来指挥。",
                    "supporters": 11,
                },
                None,
            ),
            (
                2,
                {
                    "title": "课间想去操场玩",
                    "problem": "下课只有十分钟，老师不让我们下楼，只能待在走廊里。",
                    "reason": "坐了一节课很累，动一动、跑一跑，下一节课才有精神。",
                    "solution": "课间可以下楼去操场玩，请值日的老师在操场上看着我们。",
                    "supporters": 10,
                },
                {
                    "unit": "市教育局",
                    "decision": "accepted",
                    "reason": "",
                    "answer": "从下学期开始，乐成街道的小学课间可以下楼活动，"
                    "每个操场有一位值周老师。",
                    "notes": [
                        (30, "已经和 3 所小学商量好了值周老师的安排。"),
                        (60, "第一所学校已经开始试行。"),
                    ],
                },
            ),
        ],
    },
    "liushi": {
        "title": "第二次全体会议",
        "days_ago": 14,
        "agenda": [
            ("上学路上的车", 15, 20, None, None),
            ("公园和游乐设施", 20, 18, "playground", None),
            ("图书馆和看书的地方", 15, 14, None, None),
        ],
        "said": [
            "公园里的滑梯坏了半年了，一直没人修。",
            "图书馆周末五点就关门，作业写完就去不了了。",
        ],
        "speakers": ["飞鱼", "豆豆"],
        "vote": (
            "最想先改哪个地方？",
            ["公园滑梯", "儿童之家", "图书馆"],
            {"hands": [6, 2, 2]},
        ),
        "proposals": [
            (
                2,
                {
                    "title": "公园的滑梯坏了",
                    "problem": "镇上公园的滑梯断了一块，已经坏了半年。",
                    "reason": "小朋友去玩会被划伤，现在大家都不去公园了。",
                    "solution": "请尽快修好滑梯，修好以前先围起来，再贴一张提醒。",
                    "supporters": 9,
                },
                {"unit": "市妇儿工委办", "overdue_days": 5},
            ),
            (
                3,
                {
                    "title": "图书馆周末晚一点关门",
                    "problem": "镇图书馆周末下午五点就关门了。",
                    "reason": "周末要先写作业，写完了图书馆已经关门，没地方看书。",
                    "solution": "周末开到晚上八点，或者每个月有一个周六晚上开放。",
                    "supporters": 8,
                },
                {
                    "unit": "市文化和广电旅游体育局",
                    "decision": "not_now",
                    "reason": "图书馆周末晚上还没有足够的管理员；"
                    "先招募志愿者，明年再考虑晚上开放。",
                    "answer": "周末晚上暂时还不能开。"
                    "从下个月起，周六上午多一场儿童故事会。",
                    "notes": [(None, "周六上午 9:30 的儿童故事会已经开始了。")],
                },
            ),
        ],
    },
}


def _hold_session(session, council):
    """Hold the council's demo session from agenda to published answers."""
    spec = SESSIONS[council.township_code]
    activity = _session(
        session, council, spec["title"], spec["days_ago"], spec["agenda"]
    )
    _run(session, activity, spec["said"], spec["speakers"])
    _vote(session, activity, *spec["vote"])
    for position, words, outcome in spec["proposals"]:
        proposal = _proposal(session, council, activity, position, words)
        if outcome and "decision" in outcome:
            _answer(session, proposal, outcome)
        elif outcome:
            _overdue(session, proposal, outcome["unit"], outcome["overdue_days"])
    _finish(session, activity)
    log.info("Demo session %s held for council %s", activity.id, council.id)


def _session(session, council, title, days_ago, agenda):
    """Plan a session with its agenda and attendance."""
    activity = session_ops.create_session(
        session,
        council,
        {"title": title, "held_on": _day(days_ago), "place": council.meeting_place},
    )
    for item_title, box, task, theme, band in agenda:
        session_ops.add_item(
            session,
            activity,
            {
                "title": item_title,
                "minutes": box,
                "task_number": task,
                "theme": theme,
                "band": band,
            },
        )
    members = len(council_ops.active_members(session, council.id))
    session_ops.set_attendance(session, activity, members - 1, 2)
    return activity


def _run(session, activity, said, speakers):
    """Start the session, time it, write down words and give the floor."""
    session_ops.start(session, activity)
    session_ops.timer(session, activity, "start")
    for text in said:
        session_ops.add_said(session, activity, text)
    for label in speakers:
        session_ops.add_speaker(session, activity, label=label)
    for _ in speakers:
        session_ops.next_speaker(session, activity)


def _vote(session, activity, question, options, counts):
    """Take a vote on tablets (with one resend) or by show of hands, and release it."""
    vote = vote_ops.create_vote(session, activity, question, options)
    if "hands" in counts:
        vote_ops.record_hands(session, vote, counts["hands"])
    else:
        vote_ops.open_vote(session, vote)
        for number, option in enumerate(counts["taps"]):
            ballot = {"id": str(uuid.uuid5(NAMESPACE, f"{vote.code}-{number}"))}
            vote_ops.cast(session, vote, {**ballot, "option": option})
        vote_ops.cast(session, vote, {**ballot, "option": option})
        vote_ops.close_vote(session, vote)
    vote_ops.release(session, vote)
    return vote


def _proposal(session, council, activity, position, words):
    """Capture a proposal under the agenda item at position."""
    item = next(
        i for i in session_ops.items_of(session, activity.id) if i.position == position
    )
    return proposal_ops.capture(session, council, words, activity, item)


def _answer(session, proposal, outcome):
    """Route, answer, report progress on and publish a proposal."""
    proposal_ops.route(
        session, proposal, outcome["unit"], _today() + timedelta(days=30), None
    )
    proposal_ops.add_note(
        session, proposal, "consult", "把部门的初步方案拿回议事会，孩子们提了修改意见。"
    )
    proposal_ops.record_answer(
        session, proposal, outcome["decision"], outcome["reason"], outcome["answer"]
    )
    for progress, text in outcome["notes"]:
        proposal_ops.add_note(session, proposal, "progress", text, progress=progress)
    proposal_ops.publish(session, proposal)
    _backdate(session, proposal)


def _overdue(session, proposal, unit, days):
    """Route a proposal whose answer is now days overdue."""
    proposal_ops.route(session, proposal, unit, _today(), None)
    _backdate(session, proposal, due_days_ago=days)


def _backdate(session, proposal, due_days_ago=None):
    """Spread the stage dates after the session, as they would have fallen."""
    raised = proposal.raised_on
    proposal.drafting_on = min(raised + timedelta(days=2), _today())
    if proposal.decided_on:
        proposal.decided_on = min(raised + timedelta(days=12), _today())
    if due_days_ago is not None:
        proposal.due_on = _today() - timedelta(days=due_days_ago)
    session.add(proposal)
    session.commit()


def _finish(session, activity):
    """Finish the session, save its minutes and its four elements."""
    items = session_ops.items_of(session, activity.id)
    while activity.current_position != items[-1].position:
        session_ops.go(session, activity, 1)
    session_ops.finish(session, activity)
    for item in items:
        item.elapsed_seconds, item.running_since = item.minutes * 60 - 45, None
        session.add(item)
    minutes.save(session, activity, minutes.generate(session, activity))
    council_ops.update_activity(
        session,
        activity,
        {
            "space": "在儿童之家围坐开会，每个人都有机会说，也可以写在便利贴上。",
            "voice": "会前给大家看了问卷里本镇（街道）孩子们的意见，议题用孩子的话写。",
            "audience": "分管领导到会听取，会后把建议转给牵头单位。",
            "influence": "部门答复已公示在「你说，我们做」页面，并在下次会议上说明。",
        },
    )
