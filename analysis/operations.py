"""Screen and code stored answers: the analysis pipeline over the database."""

import logging

from sqlalchemy import insert
from sqlmodel import Session, delete, select

from analysis import classify as classifier
from analysis.models import AnswerTask, AnswerTheme, SafeguardingFlag
from analysis.screen import screen
from core.audit import REPORTED_ANSWER, record
from surveys.models import Answer

log = logging.getLogger(__name__)

#: the category of a flag that a member of staff raised on a quote
REPORTED = "reported"


def current_codebook(session: Session | None = None):
    """Return the current codebook: the database's newest version, else data/'s."""
    from analysis.codebook_store import current_codebook as newest_codebook

    return newest_codebook(session)


def process_responses(session: Session, response_ids) -> int:
    """Screen and code the open answers of the given responses."""
    answers = session.exec(
        select(Answer).where(
            Answer.response_id.in_(list(response_ids)), Answer.text.is_not(None)
        )
    ).all()
    return process_answers(session, answers)


def process_answers(session: Session, answers) -> int:
    """Mask, flag and theme each answer; return how many were coded.

    An answer with a flag the safeguarding lead has not released is given no
    themes; one whose flags were all released is coded like any other.
    """
    codebook = current_codebook(session)
    held = _held(session, [answer.id for answer in answers])
    coded = 0
    for answer in answers:
        screened = screen(answer.text)
        answer.masked = screened.masked
        session.add(answer)
        _replace_codes(session, answer.id)
        new = _flag(session, answer, screened.flags) if screened.flags else set()
        if new or answer.id in held:
            continue
        hits = classifier.classify(screened.masked, codebook)
        _code(session, answer.id, hits, codebook)
        coded += 1
    session.commit()
    return coded


def screen_and_theme(text, codebook):
    """Return an answer's screening and, unless it is flagged, its theme hits."""
    screened = screen(text)
    hits = [] if screened.flags else classifier.classify(screened.masked, codebook)
    return screened, hits


def screen_new_answers(codebook, rows):
    """Mask and theme answer rows not yet stored; return their codes by question.

    Rows are dicts with `question_key` and `text`; each open one gets `masked`.
    This runs before the rows are inserted, so the transaction that stores
    them holds no text analysis.
    """
    codes = {}
    for row in rows:
        if row["text"] is None:
            continue
        screened, hits = screen_and_theme(row["text"], codebook)
        row["masked"] = screened.masked
        codes[row["question_key"]] = (screened.flags, hits)
    return codes


def record_codes(session: Session, codebook, coded) -> None:
    """Insert the flags, themes and tasks of new answers: (answer id, flags, hits)."""
    themes, tasks = [], []
    for answer_id, flags, hits in coded:
        if flags:
            _add_flags(session, answer_id, {flag.category for flag in flags})
            continue
        themes += [_theme_row(answer_id, hit, codebook) for hit in hits]
        tasks += [
            {"answer_id": answer_id, "task_number": number}
            for number in classifier.tasks_for(hits)
        ]
    for model, rows in ((AnswerTheme, themes), (AnswerTask, tasks)):
        if rows:
            session.exec(insert(model), params=rows)


def recode_all(session: Session, batch=500) -> int:
    """Screen and code every open answer again with the current codebook."""
    coded, last_id = 0, 0
    while True:
        answers = session.exec(
            select(Answer)
            .where(Answer.text.is_not(None), Answer.id > last_id)
            .order_by(Answer.id)
            .limit(batch)
        ).all()
        if not answers:
            break
        last_id = answers[-1].id
        coded += process_answers(session, answers)
    log.info(
        "Answers coded with codebook %s: %s", current_codebook(session).version, coded
    )
    return coded


def _replace_codes(session, answer_id):
    session.exec(delete(AnswerTheme).where(AnswerTheme.answer_id == answer_id))
    session.exec(delete(AnswerTask).where(AnswerTask.answer_id == answer_id))


def _theme_row(answer_id, hit, codebook):
    """Return the answertheme row for one theme hit."""
    return {
        "answer_id": answer_id,
        "theme": hit.theme,
        "label": hit.label,
        "evidence": ";".join(hit.evidence)[:500],
        "codebook_version": codebook.version,
    }


def _code(session, answer_id, hits, codebook):
    for hit in hits:
        session.add(AnswerTheme(**_theme_row(answer_id, hit, codebook)))
    for number in classifier.tasks_for(hits):
        session.add(AnswerTask(answer_id=answer_id, task_number=number))


def _held(session, answer_ids) -> set[int]:
    """Return which of the answers have a flag that is not released."""
    held = set()
    for start in range(0, len(answer_ids), 500):
        held.update(
            session.exec(
                select(SafeguardingFlag.answer_id).where(
                    SafeguardingFlag.answer_id.in_(answer_ids[start : start + 500]),
                    SafeguardingFlag.released_at.is_(None),
                )
            )
        )
    return held


def _flag(session, answer, flags) -> set[str]:
    """Flag an answer for the categories it was not flagged for before; return them.

    A category flagged before, released or not, is not flagged again: the
    safeguarding lead has seen it.
    """
    known = set(
        session.exec(
            select(SafeguardingFlag.category).where(
                SafeguardingFlag.answer_id == answer.id
            )
        )
    )
    new = {flag.category for flag in flags} - known
    _add_flags(session, answer.id, new)
    return new


def _add_flags(session, answer_id, categories):
    """Flag answer_id for each category and tell the log (ids only)."""
    for category in sorted(categories):
        session.add(SafeguardingFlag(answer_id=answer_id, category=category))
        log.warning("Answer %s flagged for safeguarding (%s)", answer_id, category)


def report_answer(session: Session, answer_id: int, user_id: int):
    """Flag an answer that a member of staff reported from a quote, once.

    The flag takes the answer out of every report, quote and export at once
    and puts it before the safeguarding lead; the audit log records who
    reported it. Return the new flag, or None if the answer was reported
    already; raise LookupError if there is no open answer with that id.
    """
    answer = session.get(Answer, answer_id)
    if answer is None or answer.text is None:
        raise LookupError(answer_id)

    reported = session.exec(
        select(SafeguardingFlag).where(
            SafeguardingFlag.answer_id == answer_id,
            SafeguardingFlag.category == REPORTED,
        )
    ).first()
    if reported:
        return None

    flag = SafeguardingFlag(answer_id=answer_id, category=REPORTED)
    session.add(flag)
    session.flush()
    record(session, REPORTED_ANSWER, "answer", answer_id, user_id=user_id, flag=flag.id)
    session.commit()
    log.warning("Answer %s reported for safeguarding by user %s", answer_id, user_id)
    return flag
