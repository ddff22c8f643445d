"""Screen and code stored answers: the analysis pipeline over the database."""

import logging
from functools import lru_cache

from sqlmodel import Session, delete, select

from analysis import classify as classifier
from analysis.codebook import load_codebook
from analysis.models import AnswerTask, AnswerTheme, SafeguardingFlag
from analysis.screen import screen
from surveys.models import Answer

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def current_codebook():
    """Return the codebook from data/, loaded once per process."""
    return load_codebook()


def process_responses(session: Session, response_ids) -> int:
    """Screen and code the open answers of the given responses."""
    answers = session.exec(
        select(Answer).where(
            Answer.response_id.in_(list(response_ids)), Answer.text.is_not(None)
        )
    ).all()
    return process_answers(session, answers)


def process_answers(session: Session, answers) -> int:
    """Mask, flag and theme each answer; return how many were coded."""
    codebook = current_codebook()
    coded = 0
    for answer in answers:
        screened = screen(answer.text)
        answer.masked = screened.masked
        session.add(answer)
        _replace_codes(session, answer.id)
        if screened.flags:
            _flag(session, answer, screened.flags)
            continue
        hits = classifier.classify(screened.masked, codebook)
        _code(session, answer, hits, codebook)
        coded += 1
    session.commit()
    return coded


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
    log.info("Answers coded with codebook %s: %s", current_codebook().version, coded)
    return coded


def _replace_codes(session, answer_id):
    session.exec(delete(AnswerTheme).where(AnswerTheme.answer_id == answer_id))
    session.exec(delete(AnswerTask).where(AnswerTask.answer_id == answer_id))


def _code(session, answer, hits, codebook):
    for hit in hits:
        session.add(
            AnswerTheme(
                answer_id=answer.id,
                theme=hit.theme,
                label=hit.label,
                evidence=";".join(hit.evidence)[:500],
                codebook_version=codebook.version,
            )
        )
    for number in classifier.tasks_for(hits):
        session.add(AnswerTask(answer_id=answer.id, task_number=number))


def _flag(session, answer, flags):
    known = set(
        session.exec(
            select(SafeguardingFlag.category).where(
                SafeguardingFlag.answer_id == answer.id
            )
        )
    )
    for category in sorted({flag.category for flag in flags} - known):
        session.add(SafeguardingFlag(answer_id=answer.id, category=category))
        log.warning("Answer %s flagged for safeguarding (%s)", answer.id, category)
