"""Children's councils: members and consent, activities, sessions, votes, proposals.

A council (儿童议事会) belongs to a township or one of its communities. Its
members are known by the pseudonym each child chose; a real name and a
guardian's contact are optional and only the council's facilitators and the
safeguarding role may read them. Everything the council does is an
`Activity` of one kind, so the plan's yearly counts come from the record. A
session is an activity of kind "session" with agenda items, a speaking queue,
votes and the proposals children make. Consent records hold no key that
leads to a survey response.
"""

from datetime import date, datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel, UniqueConstraint

import participation.models  # noqa: F401  (township and task tables first)
from core.models import utcnow

#: what a council records, in the order the plan counts them
ACTIVITY_KINDS = {
    "session": "议事会会议",
    "training": "儿童参与专题培训",
    "participation": "儿童参与主题活动",
    "charity": "儿童公益慈善项目",
}

#: how a vote is decided
VOTE_RULES = {
    "simple": "简单多数（得票最多且多于其他选项）",
    "absolute": "过半数（超过投票人数的一半）",
    "two_thirds": "三分之二多数",
}

#: the four stages every proposal passes through, in order
STAGES = {
    "raised": "需求表达",
    "drafting": "方案制定",
    "decided": "决策公示",
    "evaluated": "评估反馈",
}

#: a department's answer, as staff record it
DECISIONS = {
    "accepted": "采纳",
    "partly": "部分采纳",
    "not_now": "暂缓",
    "not_possible": "无法采纳",
}

#: the same answers in words a child reads on the feedback page
DECISIONS_FOR_CHILDREN = {
    "accepted": "同意，我们去做",
    "partly": "同意一部分",
    "not_now": "现在还不能做",
    "not_possible": "这件事做不到",
}

#: answers that must say why
DECISIONS_WITH_REASON = ("not_now", "not_possible")

#: offices a member may hold
OFFICES = {"chair": "主席", "vice_chair": "副主席"}

#: the two consents a member needs
CONSENT_KINDS = {"guardian": "监护人同意", "assent": "儿童本人同意"}

#: Lundy's four elements of meaningful participation
ELEMENTS = {
    "space": "空间：孩子们有安全、包容的机会表达",
    "voice": "表达：孩子们得到了信息和表达的方式",
    "audience": "听众：意见传给了有权决定的人",
    "influence": "影响：意见被认真对待，孩子们得到了答复",
}


class Council(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    #: the township the council serves
    township_code: str = Field(foreign_key="township.code", index=True, max_length=32)
    #: a community (社区、村) inside the township; none for the township's council
    community: str | None = Field(default=None, max_length=50)
    #: e.g. 乐成街道儿童议事会
    name: str = Field(max_length=100)
    #: the charter the children adopted at the first session
    charter: str = ""
    charter_adopted_on: date | None = None
    meeting_place: str = Field(default="", max_length=200)
    term_start: date
    term_end: date
    #: one of VOTE_RULES
    vote_rule: str = Field(default="simple", max_length=20)
    #: share of members that must vote for a result to stand, in percent
    quorum_percent: int = 50
    #: seconds each speaker has in a session
    speak_seconds: int = 60
    #: days after the term's end that real names and contacts are kept
    retention_days: int = 90
    created_at: datetime = Field(default_factory=utcnow)

    def __repr__(self):
        return f"<Council {self.id} {self.township_code}>"


class CouncilFacilitator(SQLModel, table=True):
    """An adult account that runs a council."""

    __table_args__ = (UniqueConstraint("council_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    council_id: int = Field(foreign_key="council.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)

    def __repr__(self):
        return f"<CouncilFacilitator {self.council_id} {self.user_id}>"


class CouncilMember(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    council_id: int = Field(foreign_key="council.id", index=True)
    #: the display name the child chose
    pseudonym: str = Field(max_length=30)
    #: 6-8, 9-11, 12-14 or 15-17
    band: str = Field(max_length=5)
    #: e.g. 五年级
    school_year: str = Field(max_length=20)
    #: chair, vice_chair or none
    office: str | None = Field(default=None, max_length=20)
    joined_on: date
    left_on: date | None = None
    #: optional; only the council's facilitators and safeguarding read it
    real_name: str | None = Field(default=None, max_length=50)
    #: optional; only the council's facilitators and safeguarding read it
    guardian_contact: str | None = Field(default=None, max_length=100)
    #: when the real name and contact were deleted (withdrawal or retention)
    personal_removed_at: datetime | None = None

    def __repr__(self):
        return f"<CouncilMember {self.id} of council {self.council_id}>"


class Consent(SQLModel, table=True):
    """A guardian's consent or a child's own assent, with the wording's version."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="councilmember.id", index=True)
    #: guardian or assent
    kind: str = Field(max_length=10)
    #: False records a refusal, as easy to record as an acceptance
    given: bool
    #: the version of the wording the guardian or child was shown
    wording_version: str = Field(max_length=20)
    given_on: date
    withdrawn_on: date | None = None
    recorded_by: int | None = Field(default=None, foreign_key="user.id")

    def __repr__(self):
        return f"<Consent {self.id} {self.kind} of member {self.member_id}>"


class Activity(SQLModel, table=True):
    """A session, training, participation activity or charity project."""

    id: int | None = Field(default=None, primary_key=True)
    council_id: int = Field(foreign_key="council.id", index=True)
    #: one of ACTIVITY_KINDS
    kind: str = Field(max_length=20, index=True)
    title: str = Field(max_length=200)
    held_on: date = Field(index=True)
    place: str = Field(default="", max_length=200)
    children_present: int | None = None
    adults_present: int | None = None
    #: Lundy's four elements, each a note of how it was met; empty if it was not
    space: str = ""
    voice: str = ""
    audience: str = ""
    influence: str = ""
    #: planned, running or finished (sessions)
    status: str = Field(default="planned", max_length=10)
    #: the agenda item shown in run mode (its position)
    current_position: int = 0
    #: bumped on every change so the projector knows to refresh
    state_version: int = 0
    #: the minutes as edited; none until generated
    minutes: str | None = None
    created_at: datetime = Field(default_factory=utcnow)

    def __repr__(self):
        return f"<Activity {self.id} {self.kind} {self.held_on}>"


class AgendaItem(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("activity_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activity.id", index=True)
    position: int
    title: str = Field(max_length=200)
    #: the time box in minutes
    minutes: int
    #: the plan task the item speaks to
    task_id: int | None = Field(default=None, foreign_key="task.id")
    #: a codebook theme whose survey evidence the item shows
    theme: str | None = Field(default=None, max_length=64)
    #: the age band the evidence is read for; none for all bands
    band: str | None = Field(default=None, max_length=5)
    #: what children said, as the facilitator wrote it down
    notes: str = ""
    #: seconds the item's timer ran before its last pause
    elapsed_seconds: int = 0
    #: when the timer was last started; none while paused
    running_since: datetime | None = None

    def __repr__(self):
        return f"<AgendaItem {self.activity_id}.{self.position}>"


class SpeakingTurn(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activity.id", index=True)
    member_id: int | None = Field(default=None, foreign_key="councilmember.id")
    #: what the projector shows: the pseudonym or a seat number
    label: str = Field(max_length=30)
    position: int
    #: waiting, speaking or done
    status: str = Field(default="waiting", max_length=10)
    started_at: datetime | None = None

    def __repr__(self):
        return f"<SpeakingTurn {self.activity_id}.{self.position} {self.status}>"


class Vote(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activity.id", index=True)
    agenda_item_id: int | None = Field(default=None, foreign_key="agendaitem.id")
    #: the short code tablets open at /v/<code>
    code: str = Field(unique=True, index=True, max_length=12)
    question: str = Field(max_length=200)
    options: list[str] = Field(sa_column=Column(JSON, nullable=False))
    #: one of VOTE_RULES, copied from the council when the vote is made
    rule: str = Field(max_length=20)
    #: draft, open or closed
    status: str = Field(default="draft", max_length=10)
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    #: results are shown only after this is set
    released_at: datetime | None = None
    #: show-of-hands counts typed in, one per option; replaces tablet ballots
    hands: list[int] | None = Field(default=None, sa_column=Column(JSON))
    #: active members when the vote closed, for the quorum
    members: int | None = None

    def __repr__(self):
        return f"<Vote {self.id} {self.code} {self.status}>"


class Ballot(SQLModel, table=True):
    """One tap on a tablet; the tablet's UUID makes a resend count once."""

    __table_args__ = (UniqueConstraint("vote_id", "ballot_id"),)

    id: int | None = Field(default=None, primary_key=True)
    vote_id: int = Field(foreign_key="vote.id", index=True)
    ballot_id: str = Field(max_length=36)
    option: int
    cast_at: datetime = Field(default_factory=utcnow)

    def __repr__(self):
        return f"<Ballot {self.vote_id} {self.ballot_id}>"


class Proposal(SQLModel, table=True):
    """A proposal in the children's own words, followed to its answer."""

    id: int | None = Field(default=None, primary_key=True)
    council_id: int = Field(foreign_key="council.id", index=True)
    activity_id: int | None = Field(default=None, foreign_key="activity.id")
    agenda_item_id: int | None = Field(default=None, foreign_key="agendaitem.id")
    task_id: int | None = Field(default=None, foreign_key="task.id")
    title: str = Field(max_length=100)
    #: the problem, the reason and the practical solution, as children said them
    problem: str
    reason: str
    solution: str
    #: how many children supported it; never who
    supporters: int = 0
    #: one of STAGES
    stage: str = Field(default="raised", max_length=10, index=True)
    raised_on: date
    drafting_on: date | None = None
    decided_on: date | None = None
    evaluated_on: date | None = None
    #: the lead unit (牵头单位) of the linked task when the proposal was made
    suggested_unit: str | None = Field(default=None, max_length=100)
    #: the unit staff sent it to
    lead_unit: str | None = Field(default=None, max_length=100, index=True)
    due_on: date | None = None
    #: one of DECISIONS
    decision: str | None = Field(default=None, max_length=20)
    #: why not, for not_now and not_possible
    decision_reason: str = ""
    #: what was decided, in words a child reads
    answer: str = ""
    #: how far the work has come, 0–100
    progress: int = 0
    #: how the children judged what was done
    evaluation: str = ""
    created_at: datetime = Field(default_factory=utcnow)

    def __repr__(self):
        return f"<Proposal {self.id} {self.stage}>"


class ProposalNote(SQLModel, table=True):
    """A note on a proposal's progress, or on consulting the children."""

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    #: progress, consult or note
    kind: str = Field(max_length=10)
    #: the progress in percent the note reports, if any
    progress: int | None = None
    text: str
    #: shown on the public 你说，我们做 page
    public: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="user.id")

    def __repr__(self):
        return f"<ProposalNote {self.id} of proposal {self.proposal_id}>"
