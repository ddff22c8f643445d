"""Children's proposals from capture to answer, through the plan's four stages.

需求表达 (raised) → 方案制定 (drafting: sent to the lead unit, which drafts a
response while children are consulted) → 决策公示 (decided: the decision is
published) → 评估反馈 (evaluated: children judge what was done). A proposal
moves one stage forward at a time, each move dated.
"""

import logging
from datetime import date

from sqlmodel import Session, select

from participation.council_ops import CouncilError, local_today
from participation.councils import (
    DECISIONS,
    DECISIONS_FOR_CHILDREN,
    DECISIONS_WITH_REASON,
    STAGES,
    Activity,
    AgendaItem,
    Council,
    Proposal,
    ProposalNote,
)
from participation.models import Task, TaskUnit

log = logging.getLogger(__name__)

STAGE_ORDER = tuple(STAGES)
STAGE_DATES = {
    "raised": "raised_on",
    "drafting": "drafting_on",
    "decided": "decided_on",
    "evaluated": "evaluated_on",
}
#: stages in which an answer is still owed
OPEN_STAGES = ("raised", "drafting")
#: stages the public page shows
PUBLISHED_STAGES = ("decided", "evaluated")
MAX_WORDS = 1000
MAX_SUPPORTERS = 1000
NOTE_KINDS = {"progress": "进展", "consult": "征求孩子意见", "note": "备注"}


def capture(
    session: Session,
    council: Council,
    fields: dict,
    activity: Activity | None = None,
    item: AgendaItem | None = None,
) -> Proposal:
    """Record a proposal as problem, reason and solution in the children's words."""
    words = {
        k: (fields.get(k) or "").strip() for k in ("problem", "reason", "solution")
    }
    _check_words(words, fields.get("supporters"))
    task_id = item.task_id if item and item.task_id else _task_id(session, fields)
    title = (fields.get("title") or "").strip() or words["solution"][:30]

    proposal = Proposal(
        council_id=council.id,
        activity_id=activity.id if activity else None,
        agenda_item_id=item.id if item else None,
        task_id=task_id,
        title=title[:100],
        supporters=fields["supporters"],
        raised_on=activity.held_on if activity else local_today(),
        suggested_unit=suggest_unit(session, task_id),
        **words,
    )
    session.add(proposal)
    session.commit()
    log.info("Proposal %s captured for council %s", proposal.id, council.id)
    return proposal


def _check_words(words, supporters):
    """Refuse a proposal missing a part, too long, or with odd supporters."""
    missing = [name for name, text in words.items() if not text]
    if missing:
        labels = {"problem": "问题", "reason": "理由", "solution": "办法"}
        named = "、".join(labels[m] for m in missing)
        raise CouncilError(f"建议要写清楚问题、理由和办法：还缺{named}。")
    if any(len(text) > MAX_WORDS for text in words.values()):
        raise CouncilError(f"每一部分最多 {MAX_WORDS} 个字。")
    if supporters is None or not 0 <= supporters <= MAX_SUPPORTERS:
        raise CouncilError(f"支持人数要在 0 到 {MAX_SUPPORTERS} 之间。")


def _task_id(session, fields):
    """Return the id of the task numbered in fields, or None."""
    number = fields.get("task_number")
    if number in (None, ""):
        return None
    task = session.exec(select(Task).where(Task.number == int(number))).first()
    if task is None:
        raise CouncilError(f"行动方案里没有第 {number} 项任务。")
    return task.id


def suggest_unit(session: Session, task_id: int | None) -> str | None:
    """Return the first lead unit (牵头单位) of a task, the unit to suggest."""
    if task_id is None:
        return None
    return session.exec(
        select(TaskUnit.name)
        .where(TaskUnit.task_id == task_id, TaskUnit.role == "lead")
        .order_by(TaskUnit.position)
    ).first()


def unit_names(session: Session) -> list[str]:
    """Return every unit the plan names, for choosing where a proposal goes."""
    return sorted(set(session.exec(select(TaskUnit.name))))


def _advance(proposal: Proposal, stage: str) -> None:
    """Move a proposal to the next stage, refusing skips and steps back."""
    current = STAGE_ORDER.index(proposal.stage)
    if STAGE_ORDER.index(stage) != current + 1:
        raise CouncilError(
            f"建议现在在「{STAGES[proposal.stage]}」阶段，"
            f"不能直接进入「{STAGES[stage]}」。"
        )
    proposal.stage = stage
    setattr(proposal, STAGE_DATES[stage], local_today())


def _known_unit(session: Session, unit: str | None) -> str:
    """Return the unit's name if the plan names it, else refuse it."""
    unit = (unit or "").strip()
    if not unit:
        raise CouncilError("请选择或填写牵头单位。")
    if unit not in unit_names(session):
        raise CouncilError(
            f"行动方案里没有「{unit[:30]}」这个单位，请从列表里选择牵头单位。"
        )
    return unit


def route(
    session: Session, proposal: Proposal, unit: str, due_on: date | None, user_id=None
) -> None:
    """Send a proposal to its lead unit with a date the answer is due."""
    unit = _known_unit(session, unit)
    if due_on is None or due_on < local_today():
        raise CouncilError("答复期限不能早于今天。")
    _advance(proposal, "drafting")

    proposal.lead_unit, proposal.due_on = unit, due_on
    session.add(proposal)
    session.commit()
    log.info("Proposal %s sent to its lead unit by user %s", proposal.id, user_id)


def record_answer(
    session: Session, proposal: Proposal, decision: str, reason: str, answer: str
) -> None:
    """Record the department's answer while the response is being drafted."""
    if proposal.stage != "drafting":
        raise CouncilError(
            "先把建议转给牵头单位，再记录答复。"
            if proposal.stage == "raised"
            else "答复已经公示，不能再改。"
        )
    if decision not in DECISIONS:
        raise CouncilError("请选择答复结果。")
    reason, answer = (reason or "").strip(), (answer or "").strip()
    if decision in DECISIONS_WITH_REASON and not reason:
        raise CouncilError(f"「{DECISIONS[decision]}」要写明原因。")
    if not answer:
        raise CouncilError("请用孩子读得懂的话写下决定了什么。")

    proposal.decision, proposal.decision_reason, proposal.answer = (
        decision,
        reason,
        answer,
    )
    session.add(proposal)
    session.commit()
    log.info("Answer %s recorded for proposal %s", decision, proposal.id)


def add_note(
    session: Session,
    proposal: Proposal,
    kind: str,
    text: str,
    progress: int | None = None,
    public: bool = True,
    user_id=None,
) -> ProposalNote:
    """Add a progress report, a note of consulting children, or a note."""
    if kind not in NOTE_KINDS:
        raise CouncilError("不认识这种记录。")
    if proposal.stage == "raised":
        raise CouncilError("先把建议转给牵头单位，再记录进展。")
    if progress is not None and not 0 <= progress <= 100:
        raise CouncilError("进度要在 0 到 100 之间。")
    text = (text or "").strip()
    if not text and progress is None:
        raise CouncilError("请写下进展，或填写进度。")
    if len(text) > MAX_WORDS:
        raise CouncilError(f"一条记录最多 {MAX_WORDS} 个字。")

    note = ProposalNote(
        proposal_id=proposal.id,
        kind=kind,
        progress=progress,
        text=text,
        public=public,
        created_by=user_id,
    )
    if progress is not None:
        proposal.progress = progress
        session.add(proposal)
    session.add(note)
    session.commit()
    log.info("Note %s added to proposal %s by user %s", note.id, proposal.id, user_id)
    return note


def publish(session: Session, proposal: Proposal) -> None:
    """Publish the decision to the children (决策公示)."""
    if proposal.stage == "drafting" and not proposal.decision:
        raise CouncilError("先记录答复，再公示。")
    _advance(proposal, "decided")
    session.add(proposal)
    session.commit()
    log.info("Proposal %s decision published", proposal.id)


def evaluate(session: Session, proposal: Proposal, text: str) -> None:
    """Record how the children judged what was done (评估反馈)."""
    text = (text or "").strip()
    if not text:
        raise CouncilError("请写下孩子们的评价。")
    if len(text) > MAX_WORDS:
        raise CouncilError(f"评价最多 {MAX_WORDS} 个字。")
    _advance(proposal, "evaluated")

    proposal.evaluation = text
    session.add(proposal)
    session.commit()
    log.info("Proposal %s evaluated by the children", proposal.id)


def is_overdue(proposal: Proposal, today: date | None = None) -> bool:
    """Tell whether an answer is owed and its due date has passed."""
    today = today or local_today()
    return (
        proposal.stage in OPEN_STAGES
        and proposal.due_on is not None
        and proposal.due_on < today
    )


def notes_of(session: Session, proposal_id: int, public_only=False) -> list:
    """Return a proposal's notes, oldest first."""
    query = select(ProposalNote).where(ProposalNote.proposal_id == proposal_id)
    if public_only:
        query = query.where(ProposalNote.public.is_(True))
    return list(session.exec(query.order_by(ProposalNote.id)))


def published_in(session: Session, township_code: str) -> list[dict]:
    """Return the published proposals of a township's councils, for children.

    The texts come back as written; the page masks them with the `masked` filter.
    """
    rows = session.exec(
        select(Proposal)
        .join(Council, Council.id == Proposal.council_id)
        .where(
            Council.township_code == township_code,
            Proposal.stage.in_(PUBLISHED_STAGES),
        )
        .order_by(Proposal.decided_on.desc(), Proposal.id.desc())
    ).all()
    return [
        {
            "id": p.id,
            "title": p.title,
            "problem": p.problem,
            "solution": p.solution,
            "supporters": p.supporters,
            "decision": DECISIONS_FOR_CHILDREN.get(p.decision, ""),
            "decision_key": p.decision,
            "why_not": p.decision_reason if p.decision != "accepted" else "",
            "answer": p.answer,
            "progress": p.progress,
            "unit": p.lead_unit,
            "decided_on": p.decided_on,
            "evaluation": p.evaluation or "",
            "notes": [
                n.text for n in notes_of(session, p.id, public_only=True) if n.text
            ],
        }
        for p in rows
    ]


def in_progress_count(session: Session, township_code: str) -> int:
    """Return how many proposals of a township still wait for an answer."""
    return len(
        session.exec(
            select(Proposal.id)
            .join(Council, Council.id == Proposal.council_id)
            .where(
                Council.township_code == township_code,
                Proposal.stage.in_(OPEN_STAGES),
            )
        ).all()
    )
