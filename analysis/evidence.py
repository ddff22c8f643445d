"""Read-only queries behind the theme reports and the policy record."""

from collections import Counter

from sqlmodel import Session, func, select

from analysis.disclosure import THRESHOLD, suppress
from analysis.models import AnswerTask, AnswerTheme, SafeguardingFlag
from surveys.models import Answer, Response

PLACEHOLDER_PREFIX = "["


def _unflagged():
    return Answer.id.not_in(select(SafeguardingFlag.answer_id))


def task_answer_counts(session: Session) -> dict[int, int]:
    """Return how many answers speak to each task number."""
    rows = session.exec(
        select(AnswerTask.task_number, func.count(func.distinct(AnswerTask.answer_id)))
        .join(Answer, Answer.id == AnswerTask.answer_id)
        .where(_unflagged())
        .group_by(AnswerTask.task_number)
    ).all()
    return dict(rows)


def task_evidence(session: Session, number: int, quotes=5) -> dict:
    """Return a task's themes, counts by band and township, and safe quotes."""
    base = (
        select(Answer, Response)
        .join(AnswerTask, AnswerTask.answer_id == Answer.id)
        .join(Response, Response.id == Answer.response_id)
        .where(AnswerTask.task_number == number, _unflagged())
        .order_by(Answer.id)
    )
    rows = session.exec(base).all()
    answer_ids = [answer.id for answer, _ in rows]
    return {
        "total": len(rows),
        "themes": _themes(session, answer_ids),
        "by_band": suppress(Counter(r.band for _, r in rows)),
        "by_township": suppress(Counter(r.township_code for _, r in rows)),
        "quotes": _quotes(session, rows, quotes),
    }


def launch_report(session: Session, launch_id: int) -> dict:
    """Return a launch's themes by frequency and how many answers were read."""
    rows = session.exec(
        select(Answer, Response)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.launch_id == launch_id, Answer.text.is_not(None), _unflagged())
        .order_by(Answer.id)
    ).all()
    answer_ids = [answer.id for answer, _ in rows]
    return {
        "answers": len(rows),
        "themes": _themes(session, answer_ids),
        "quotes": _quotes(session, rows, 8),
    }


def launch_texts(session: Session, launch_id: int) -> list[str]:
    """Return the masked open answers of a launch that may be shown."""
    return list(
        session.exec(
            select(Answer.masked)
            .join(Response, Response.id == Answer.response_id)
            .where(
                Response.launch_id == launch_id,
                Answer.masked.is_not(None),
                _unflagged(),
            )
        )
    )


def _themes(session, answer_ids):
    if not answer_ids:
        return []
    rows = session.exec(
        select(AnswerTheme.theme, AnswerTheme.label, func.count(AnswerTheme.id))
        .where(AnswerTheme.answer_id.in_(answer_ids))
        .group_by(AnswerTheme.theme, AnswerTheme.label)
        .order_by(func.count(AnswerTheme.id).desc(), AnswerTheme.theme)
    ).all()
    return [{"theme": t, "label": label, "count": n} for t, label, n in rows]


def _quotes(session, rows, limit):
    """Pick quotes only from township × band groups with enough open answers."""
    groups = _group_sizes(session)
    chosen = []
    for answer, response in rows:
        if groups[(response.township_code, response.band)] < THRESHOLD:
            continue
        if not answer.masked:
            continue
        chosen.append(
            {
                "text": answer.masked,
                "who": f"{response.band}岁的孩子",
                "evidence": _evidence(session, answer.id),
            }
        )
        if len(chosen) == limit:
            break
    return chosen


def _group_sizes(session):
    """Return how many shown open answers each township × band group has."""
    rows = session.exec(
        select(Response.township_code, Response.band, func.count(Answer.id))
        .join(Answer, Answer.response_id == Response.id)
        .where(Answer.masked.is_not(None), _unflagged())
        .group_by(Response.township_code, Response.band)
    ).all()
    return {(township, band): n for township, band, n in rows}


def _evidence(session, answer_id):
    rows = session.exec(
        select(AnswerTheme.label, AnswerTheme.evidence).where(
            AnswerTheme.answer_id == answer_id
        )
    ).all()
    return [{"label": label, "words": words.split(";")} for label, words in rows]
