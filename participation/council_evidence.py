"""What surveys say on an agenda item's task or theme, for a township and age band.

Counts are of coded open answers whose township (and band, if given) match;
answers flagged for safeguarding are never counted or quoted, and a count
under the disclosure threshold is shown as "<10".
"""

from sqlmodel import Session, func, select

from analysis import evidence
from analysis.disclosure import shown
from analysis.models import AnswerTask, AnswerTheme
from participation.models import Task, Township
from surveys.models import Answer, Response

#: how many themes an item shows
TOP_THEMES = 3


def item_evidence(
    session: Session,
    township_code: str,
    task_number: int | None = None,
    theme: str | None = None,
    band: str | None = None,
) -> dict | None:
    """Return the evidence lines for an item's task or theme, or None if neither."""
    if task_number is None and not theme:
        return None

    rows = _theme_counts(session, township_code, task_number, theme, band)
    township = session.get(Township, township_code)
    place = township.name if township else township_code
    who = f"{place} {band} 岁的孩子" if band else f"{place}的孩子"
    lines = [
        {
            "label": label,
            "count": shown(n),
            "text": f"{who}谈到「{label}」{shown(n)} 次",
        }
        for _, label, n in rows[:TOP_THEMES]
    ]
    return {
        "who": who,
        "answers": shown(
            _answer_count(session, township_code, task_number, theme, band)
        ),
        "lines": lines,
        "quotes": _quotes(session, task_number),
    }


def _filtered(query, township_code, task_number, theme, band):
    """Limit a query to shown answers of a township, band, task and theme."""
    query = (
        query.join(Response, Response.id == Answer.response_id)
        .where(Response.township_code == township_code)
        .where(evidence.unflagged())
    )
    if band:
        query = query.where(Response.band == band)
    if task_number is not None:
        query = query.where(
            Answer.id.in_(
                select(AnswerTask.answer_id).where(
                    AnswerTask.task_number == task_number
                )
            )
        )
    if theme:
        query = query.where(
            Answer.id.in_(
                select(AnswerTheme.answer_id).where(AnswerTheme.theme == theme)
            )
        )
    return query


def _theme_counts(session, township_code, task_number, theme, band):
    """Return (theme, label, count) rows for the matching answers."""
    query = select(
        AnswerTheme.theme, AnswerTheme.label, func.count(AnswerTheme.id)
    ).join(Answer, Answer.id == AnswerTheme.answer_id)
    query = _filtered(query, township_code, task_number, theme, band)
    if theme:
        query = query.where(AnswerTheme.theme == theme)
    query = query.group_by(AnswerTheme.theme, AnswerTheme.label).order_by(
        func.count(AnswerTheme.id).desc(), AnswerTheme.theme
    )
    return session.exec(query).all()


def _answer_count(session, township_code, task_number, theme, band):
    """Return how many distinct answers match."""
    query = select(func.count(func.distinct(Answer.id))).select_from(Answer)
    return session.exec(_filtered(query, township_code, task_number, theme, band)).one()


def _quotes(session, task_number, limit=3):
    """Return safe quotes on the task from groups large enough to quote."""
    if task_number is None:
        return []
    return [
        q["text"] for q in evidence.task_evidence(session, task_number, limit)["quotes"]
    ]


def task_label(session: Session, task_id: int | None) -> str | None:
    """Return "20. 改善儿童安全出行体验" for a task id."""
    task = session.get(Task, task_id) if task_id else None
    return f"{task.number}. {task.title}" if task else None
