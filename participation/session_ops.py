"""Operations of a council session: its agenda, run mode and speaking queue.

Every change bumps the session's `state_version`, so a projector showing the
run page knows to refresh.
"""

import logging

from sqlmodel import Session, func, select

from core.models import utcnow
from participation.council_ops import CouncilError, create_activity
from participation.councils import (
    Activity,
    AgendaItem,
    Council,
    CouncilMember,
    SpeakingTurn,
    Vote,
)
from participation.models import Task
from surveys.models import BANDS

log = logging.getLogger(__name__)

#: the longest time box an item may have, in minutes
MAX_ITEM_MINUTES = 180
#: the longest note of what children said
MAX_NOTE = 2000


def create_session(session: Session, council: Council, fields: dict) -> Activity:
    """Plan a session of the council."""
    return create_activity(session, council, {**fields, "kind": "session"})


def bump(session: Session, activity: Activity) -> None:
    """Mark the session as changed so run mode refreshes."""
    activity.state_version += 1
    session.add(activity)


# Agenda ----------------------------------------------------------------------


def items_of(session: Session, activity_id: int) -> list[AgendaItem]:
    """Return a session's agenda items in order."""
    return list(
        session.exec(
            select(AgendaItem)
            .where(AgendaItem.activity_id == activity_id)
            .order_by(AgendaItem.position)
        )
    )


def add_item(session: Session, activity: Activity, fields: dict) -> AgendaItem:
    """Add an item to the end of a session's agenda."""
    checked = _check_item(session, fields)
    last = session.exec(
        select(func.max(AgendaItem.position)).where(
            AgendaItem.activity_id == activity.id
        )
    ).one()
    item = AgendaItem(activity_id=activity.id, position=(last or 0) + 1, **checked)
    session.add(item)
    bump(session, activity)
    session.commit()
    log.info("Agenda item %s added to session %s", item.id, activity.id)
    return item


def update_item(session: Session, item: AgendaItem, fields: dict) -> AgendaItem:
    """Change an agenda item's title, time box, task, theme or band."""
    for key, value in _check_item(session, fields).items():
        setattr(item, key, value)
    session.add(item)
    bump(session, session.get(Activity, item.activity_id))
    session.commit()
    log.info("Agenda item %s updated", item.id)
    return item


def _check_item(session, fields):
    """Return an agenda item's checked fields, or refuse them."""
    title = (fields.get("title") or "").strip()
    if not title:
        raise CouncilError("请填写议题。")
    minutes = fields.get("minutes")
    if minutes is None or not 1 <= minutes <= MAX_ITEM_MINUTES:
        raise CouncilError(f"时长要在 1 到 {MAX_ITEM_MINUTES} 分钟之间。")
    band = fields.get("band") or None
    if band is not None and band not in BANDS:
        raise CouncilError("不认识这个年龄段。")
    return {
        "title": title,
        "minutes": minutes,
        "task_id": _task_id(session, fields.get("task_number")),
        "theme": _theme(fields.get("theme")),
        "band": band,
    }


def _task_id(session, number):
    """Return the id of the task with a plan number, or None."""
    if number in (None, ""):
        return None
    task = session.exec(select(Task).where(Task.number == int(number))).first()
    if task is None:
        raise CouncilError(f"行动方案里没有第 {number} 项任务。")
    return task.id


def _theme(key):
    """Return a codebook theme key, or None; refuse unknown keys."""
    from analysis.operations import current_codebook

    key = (key or "").strip()
    if not key:
        return None
    if key not in {theme.key for theme in current_codebook().themes}:
        raise CouncilError(f"编码表里没有主题 {key}。")
    return key


def remove_item(session: Session, item: AgendaItem) -> None:
    """Take an item off the agenda and close the gap it leaves."""
    activity = session.get(Activity, item.activity_id)
    if activity.status == "running":
        raise CouncilError("会议进行中，不能删除议题。")
    if session.exec(select(Vote.id).where(Vote.agenda_item_id == item.id)).first():
        raise CouncilError("这个议题已经有表决，不能删除。")

    session.delete(item)
    session.flush()
    _renumber(session, activity.id)
    bump(session, activity)
    session.commit()
    log.info("Agenda item %s removed from session %s", item.id, activity.id)


def _renumber(session, activity_id):
    """Number a session's items 1, 2, 3… again."""
    items = items_of(session, activity_id)
    for item in items:
        item.position = -item.position
        session.add(item)
    session.flush()
    for number, item in enumerate(items, start=1):
        item.position = number
        session.add(item)


def current_item(session: Session, activity: Activity) -> AgendaItem | None:
    """Return the item run mode shows, or None before the session starts."""
    return session.exec(
        select(AgendaItem).where(
            AgendaItem.activity_id == activity.id,
            AgendaItem.position == activity.current_position,
        )
    ).first()


# Run mode --------------------------------------------------------------------


def start(session: Session, activity: Activity) -> None:
    """Start the session on its first agenda item."""
    if activity.status == "finished":
        raise CouncilError("会议已经结束。")
    items = items_of(session, activity.id)
    if not items:
        raise CouncilError("先添加议程，再开始会议。")

    activity.status = "running"
    activity.current_position = activity.current_position or items[0].position
    bump(session, activity)
    session.commit()
    log.info("Session %s started", activity.id)


def finish(session: Session, activity: Activity) -> None:
    """End the session: stop the timers and close any open vote."""
    from participation import vote_ops

    _pause(session, current_item(session, activity))
    for vote in session.exec(
        select(Vote).where(Vote.activity_id == activity.id, Vote.status == "open")
    ):
        vote_ops.close_vote(session, vote, commit=False)
    activity.status = "finished"
    bump(session, activity)
    session.commit()
    log.info("Session %s finished", activity.id)


def go(session: Session, activity: Activity, step: int) -> None:
    """Move run mode to the next (step 1) or previous (step -1) item."""
    _require_running(activity)
    positions = [item.position for item in items_of(session, activity.id)]
    index = positions.index(activity.current_position) + step
    if not 0 <= index < len(positions):
        raise CouncilError("已经是第一项了。" if step < 0 else "已经是最后一项了。")

    _pause(session, current_item(session, activity))
    activity.current_position = positions[index]
    bump(session, activity)
    session.commit()
    log.info("Session %s moved to item %s", activity.id, positions[index])


def timer(session: Session, activity: Activity, action: str) -> None:
    """Start, pause or reset the current item's timer."""
    _require_running(activity)
    item = current_item(session, activity)
    if action == "start" and item.running_since is None:
        item.running_since = utcnow()
    elif action == "pause":
        _pause(session, item)
    elif action == "reset":
        item.elapsed_seconds, item.running_since = 0, None
    session.add(item)
    bump(session, activity)
    session.commit()


def _pause(session, item):
    """Stop an item's timer, adding the time it ran."""
    if item is None or item.running_since is None:
        return
    item.elapsed_seconds += int((utcnow() - item.running_since).total_seconds())
    item.running_since = None
    session.add(item)


def _require_running(activity):
    """Refuse run-mode changes unless the session is running."""
    if activity.status != "running":
        raise CouncilError("会议还没有开始，或者已经结束。")


def add_said(session: Session, activity: Activity, text: str) -> None:
    """Write down, under the current item, something children said."""
    _require_running(activity)
    text = (text or "").strip()
    if not text:
        raise CouncilError("请写下孩子说的话。")
    if len(text) > MAX_NOTE:
        raise CouncilError(f"一次最多记录 {MAX_NOTE} 个字。")

    item = current_item(session, activity)
    item.notes = f"{item.notes}\n{text}".strip()
    session.add(item)
    bump(session, activity)
    session.commit()
    log.info("Note added to agenda item %s", item.id)


# Speaking queue --------------------------------------------------------------


def queue_of(session: Session, activity_id: int) -> list[SpeakingTurn]:
    """Return the turns still speaking or waiting, in order."""
    return list(
        session.exec(
            select(SpeakingTurn)
            .where(
                SpeakingTurn.activity_id == activity_id,
                SpeakingTurn.status != "done",
            )
            .order_by(SpeakingTurn.position)
        )
    )


def add_speaker(
    session: Session, activity: Activity, member_id=None, label=""
) -> SpeakingTurn:
    """Put a member (or a seat number) at the end of the speaking queue."""
    _require_running(activity)
    label = (label or "").strip()
    if member_id:
        member = session.get(CouncilMember, member_id)
        if member is None or member.council_id != activity.council_id:
            raise CouncilError("这位成员不在本议事会。")
        label = member.pseudonym
    if not label or len(label) > 30:
        raise CouncilError("请选择成员，或写一个座位号（最多 30 个字）。")

    last = session.exec(
        select(func.max(SpeakingTurn.position)).where(
            SpeakingTurn.activity_id == activity.id
        )
    ).one()
    turn = SpeakingTurn(
        activity_id=activity.id,
        member_id=member_id or None,
        label=label,
        position=(last or 0) + 1,
    )
    session.add(turn)
    bump(session, activity)
    session.commit()
    return turn


def next_speaker(session: Session, activity: Activity) -> SpeakingTurn | None:
    """End the current turn and give the floor to the next in the queue."""
    _require_running(activity)
    turns = queue_of(session, activity.id)
    if not turns:
        raise CouncilError("发言队列是空的。")

    now = utcnow()
    if turns[0].status == "speaking":
        turns[0].status = "done"
        session.add(turns[0])
        turns = turns[1:]
    upcoming = turns[0] if turns else None
    if upcoming is not None:
        upcoming.status, upcoming.started_at = "speaking", now
        session.add(upcoming)
    bump(session, activity)
    session.commit()
    return upcoming


def clear_queue(session: Session, activity: Activity) -> None:
    """Mark every waiting or speaking turn done."""
    for turn in queue_of(session, activity.id):
        turn.status = "done"
        session.add(turn)
    bump(session, activity)
    session.commit()


def set_attendance(
    session: Session, activity: Activity, children: int, adults: int
) -> None:
    """Record how many children and adults attended."""
    for value in (children, adults):
        if value is None or not 0 <= value <= 10000:
            raise CouncilError("出席人数要在 0 到 10000 之间。")

    activity.children_present, activity.adults_present = children, adults
    bump(session, activity)
    session.commit()
    log.info("Attendance recorded for session %s", activity.id)
