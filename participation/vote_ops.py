"""Votes in a council session: tablet ballots, show-of-hands counts, results.

A tablet sends one ballot per child as JSON carrying a UUID the tablet made;
a resend with the same UUID counts once. Results are computed with the
council's rule and shown only after the facilitator releases them.
"""

import logging
import secrets
import uuid
from math import ceil

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from analysis.screen import mask_personal
from core.models import utcnow
from participation.council_ops import CouncilError, active_members
from participation.councils import VOTE_RULES, Activity, Ballot, Council, Vote
from participation.session_ops import bump
from surveys.operations import CODE_ALPHABET

log = logging.getLogger(__name__)

MAX_OPTIONS = 6
MAX_OPTION_CHARS = 40
MAX_HANDS = 1000


class BallotError(ValueError):
    """A ballot the server will not count; status is the HTTP status."""

    def __init__(self, message, status=422):
        """Keep the message and the HTTP status."""
        super().__init__(message)
        self.status = status


def find_vote(session: Session, code: str) -> Vote | None:
    """Return the vote with a tablet code (any case), or None."""
    code = (code or "").strip().upper()
    if not code or len(code) > 12 or not set(code) <= set(CODE_ALPHABET):
        return None
    return session.exec(select(Vote).where(Vote.code == code)).first()


def votes_of(session: Session, activity_id: int) -> list[Vote]:
    """Return a session's votes in the order they were made."""
    return list(
        session.exec(
            select(Vote).where(Vote.activity_id == activity_id).order_by(Vote.id)
        )
    )


def create_vote(
    session: Session, activity: Activity, question: str, options, item_id=None
) -> Vote:
    """Prepare a vote with two to six options under the council's rule."""
    question = (question or "").strip()
    options = [o.strip() for o in options if o and o.strip()]
    if not question or len(question) > 200:
        raise CouncilError("请填写要表决的问题（最多 200 个字）。")
    if not 2 <= len(options) <= MAX_OPTIONS or len(set(options)) != len(options):
        raise CouncilError(f"表决要有 2 到 {MAX_OPTIONS} 个互不相同的选项。")
    if any(len(o) > MAX_OPTION_CHARS for o in options):
        raise CouncilError(f"每个选项最多 {MAX_OPTION_CHARS} 个字。")

    council = session.get(Council, activity.council_id)
    vote = Vote(
        activity_id=activity.id,
        agenda_item_id=item_id,
        code=_new_code(session),
        question=question,
        options=options,
        rule=council.vote_rule,
    )
    session.add(vote)
    bump(session, activity)
    session.commit()
    log.info("Vote %s created in session %s", vote.id, activity.id)
    return vote


def _new_code(session):
    """Return an unused six-character vote code."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if session.exec(select(Vote.id).where(Vote.code == code)).first() is None:
            return code


def open_vote(session: Session, vote: Vote) -> None:
    """Let tablets cast ballots."""
    if vote.status != "draft":
        raise CouncilError("这个表决已经开始过了。")
    already = session.exec(
        select(Vote.id).where(
            Vote.activity_id == vote.activity_id, Vote.status == "open"
        )
    ).first()
    if already is not None:
        raise CouncilError("请先结束正在进行的表决。")

    vote.status, vote.opened_at = "open", utcnow()
    _changed(session, vote)
    session.commit()
    log.info("Vote %s opened", vote.id)


def close_vote(session: Session, vote: Vote, commit=True) -> None:
    """Stop taking ballots and note how many members the quorum counts from."""
    if vote.status != "open":
        raise CouncilError("这个表决没有在进行。")

    vote.status, vote.closed_at = "closed", utcnow()
    vote.members = _member_count(session, vote)
    _changed(session, vote)
    if commit:
        session.commit()
    log.info("Vote %s closed", vote.id)


def release(session: Session, vote: Vote) -> None:
    """Show the results on the projector and in the minutes."""
    if vote.status != "closed":
        raise CouncilError("表决结束以后才能公布结果。")

    vote.released_at = vote.released_at or utcnow()
    _changed(session, vote)
    session.commit()
    log.info("Vote %s results released", vote.id)


def record_hands(session: Session, vote: Vote, counts) -> None:
    """Record show-of-hands counts, one per option, instead of tablet ballots."""
    if vote.status == "open":
        raise CouncilError("请先结束平板投票，再录入举手票数。")
    if vote.released_at is not None:
        raise CouncilError("结果已经公布，不能再改票数。")
    if len(counts) != len(vote.options) or any(
        c is None or not 0 <= c <= MAX_HANDS for c in counts
    ):
        raise CouncilError(f"每个选项的举手人数要在 0 到 {MAX_HANDS} 之间。")

    vote.hands = [int(c) for c in counts]
    vote.status, vote.closed_at = "closed", vote.closed_at or utcnow()
    vote.members = _member_count(session, vote)
    _changed(session, vote)
    session.commit()
    log.info("Vote %s show-of-hands counts recorded", vote.id)


def excess_votes(session: Session, vote: Vote) -> int:
    """Return by how many the votes counted exceed the members in office."""
    return max(0, sum(tally(session, vote)) - _member_count(session, vote))


def _member_count(session, vote):
    """Return how many members are in office, for the quorum."""
    activity = session.get(Activity, vote.activity_id)
    return len(active_members(session, activity.council_id))


def _changed(session, vote):
    """Save a vote and tell run mode the session changed."""
    session.add(vote)
    bump(session, session.get(Activity, vote.activity_id))


def cast(session: Session, vote: Vote, payload) -> str:
    """Count a tablet's ballot once; return "stored" or "duplicate".

    A council with members on record gets no more ballots than members.
    """
    if vote.status != "open":
        raise BallotError("这个表决已经结束了。", status=410)
    ballot_id, option = _parse(vote, payload)

    existing = _existing(session, vote, ballot_id)
    if existing is not None:
        return _resend(existing, option)
    members = _member_count(session, vote)
    if members and ballot_count(session, vote) >= members:
        log.warning("Ballot refused for vote %s: one per member already", vote.id)
        raise BallotError("票数已经和在任议事员一样多了，请告诉辅导员。", status=409)
    try:
        session.add(Ballot(vote_id=vote.id, ballot_id=ballot_id, option=option))
        session.commit()
    except IntegrityError:
        session.rollback()
        return _resend(_existing(session, vote, ballot_id), option)

    log.info("Ballot counted for vote %s", vote.id)
    return "stored"


def _parse(vote, payload):
    """Return the ballot's UUID and option, or refuse the payload."""
    if not isinstance(payload, dict):
        raise BallotError("投票内容必须是 JSON 对象。", status=400)
    try:
        ballot_id = str(uuid.UUID(str(payload.get("id"))))
    except ValueError:
        raise BallotError("投票要带上平板生成的 UUID。", status=400) from None
    option = payload.get("option")
    if type(option) is not int or not 0 <= option < len(vote.options):
        raise BallotError("没有这个选项。")
    return ballot_id, option


def _existing(session, vote, ballot_id):
    """Return the ballot a tablet sent before with this UUID, or None."""
    return session.exec(
        select(Ballot).where(Ballot.vote_id == vote.id, Ballot.ballot_id == ballot_id)
    ).first()


def _resend(existing, option):
    """Accept a resend of the same ballot once; refuse a changed one."""
    if existing.option != option:
        raise BallotError("这张票已经投过了，不能改。", status=409)
    log.info("Ballot for vote %s resent; counted once", existing.vote_id)
    return "duplicate"


def ballot_count(session: Session, vote: Vote) -> int:
    """Return how many tablet ballots a vote has (no counts per option)."""
    return session.exec(
        select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote.id)
    ).one()


def tally(session: Session, vote: Vote) -> list[int]:
    """Return the count per option: the hands typed in, else the ballots."""
    if vote.hands is not None:
        return list(vote.hands)
    rows = session.exec(
        select(Ballot.option, func.count())
        .where(Ballot.vote_id == vote.id)
        .group_by(Ballot.option)
    ).all()
    counts = [0] * len(vote.options)
    for option, n in rows:
        counts[option] = n
    return counts


def results(session: Session, vote: Vote) -> dict:
    """Return the vote's counts and what they decide under its rule."""
    council = session.get(Council, session.get(Activity, vote.activity_id).council_id)
    counts = tally(session, vote)
    shown = [mask_personal(o).text for o in vote.options]
    outcome = decide(counts, vote.rule, vote.members, council.quorum_percent, shown)
    return {"counts": counts, "total": sum(counts), **outcome}


def decide(counts, rule, members=None, quorum_percent=0, options=None) -> dict:
    """Apply a rule to counts; return the winning index (or None) and a sentence."""
    if rule not in VOTE_RULES:
        raise ValueError(f"unknown vote rule {rule!r}")
    names = options or [str(i + 1) for i in range(len(counts))]
    total = sum(counts)
    if total == 0:
        return {"winner": None, "text": "没有人投票。"}
    needed = ceil(members * quorum_percent / 100) if members else 0
    if total < needed:
        return {
            "winner": None,
            "text": f"只有 {total} 人投票，不足法定人数"
            f"（{members} 名成员中至少 {needed} 人）。",
        }

    top = max(counts)
    leaders = [i for i, n in enumerate(counts) if n == top]
    if len(leaders) > 1:
        tied = "和".join(f"「{names[i]}」" for i in leaders)
        return {"winner": None, "text": f"{tied}一样多（各 {top} 票），这次没有结果。"}
    passed, text = _leader(names[leaders[0]], top, total, rule)
    return {"winner": leaders[0] if passed else None, "text": text}


def _leader(name, top, total, rule) -> tuple[bool, str]:
    """Say which option got the most votes and whether the rule lets it win."""
    words = f"最多的是「{name}」：{top} 票（共 {total} 票）"
    if rule == "two_thirds":
        if top * 3 < total * 2:
            return False, f"{words}，不到三分之二，这次没有结果。"
        return True, f"{words}，达到三分之二。"
    if top * 2 > total:
        return True, f"{words}，超过一半。"
    if rule == "absolute":
        return False, f"{words}，没有超过一半，这次没有结果。"
    return True, f"{words}，没有超过一半，但比其他选项都多。"
