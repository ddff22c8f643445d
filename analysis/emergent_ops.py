"""Candidate new themes over the stored answers, and what staff decide about them.

The pool is every screened open answer that no task was given and that is not
flagged for safeguarding. Candidates from fewer than THRESHOLD children are
not shown, and examples are quotes picked by the theme reports' rules
(analysis.evidence.pick_quotes). Naming a candidate adds a codebook theme
through analysis.codebook_store, which saves a version and queues re-coding;
discarding one remembers it. Either way the candidate is not shown again.
"""

import hashlib
import logging
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from analysis import codebook_store, evidence
from analysis.codebook import EMERGENT_PREFIX
from analysis.codebook_store import EditError
from analysis.disclosure import THRESHOLD, shown
from analysis.emergent import Candidate, Text, already_decided, find_candidates
from analysis.models import AnswerTask
from analysis.models_reports import EmergentDecision
from core import audit
from surveys.models import Answer, Response

log = logging.getLogger(__name__)

#: how many example quotes a candidate shows
QUOTES = 3
NAMED = "named"
DISCARDED = "discarded"
GONE = "这个候选主题已经变了或已经处理过，请刷新页面再看。"

#: the candidates of the last pool grouped, under a hash of its answers
_last: dict[str, tuple] = {}


class CandidateGone(EditError):
    """The candidate asked for is no longer among those shown."""


@dataclass
class Listing:
    """What the page shows: candidates with quotes, and what was left out."""

    candidates: list[dict]
    #: answers in the pool, as they may be shown
    answers: int | str
    #: candidates left out for having fewer than THRESHOLD children
    small: int
    #: candidates left out because staff already named or discarded them
    decided: int


def pool(session: Session) -> list[tuple]:
    """Return (answer id, response id, masked text, band, township) of the pool."""
    return session.exec(
        select(
            Answer.id,
            Answer.response_id,
            Answer.masked,
            Response.band,
            Response.township_code,
        )
        .join(Response, Response.id == Answer.response_id)
        .where(Answer.masked.is_not(None), evidence.unflagged())
        .where(Answer.id.not_in(select(AnswerTask.answer_id)))
        .order_by(Answer.id)
    ).all()


def _grouped(texts: tuple[Text, ...]) -> tuple[Candidate, ...]:
    """Return every candidate, small ones too, grouping once per set of answers.

    The last result is kept under a hash of the answers, so no answer's text
    stays in memory for it.
    """
    digest = hashlib.sha256(repr(texts).encode("utf-8")).hexdigest()
    found = _last.get(digest)
    if found is None:
        found = tuple(find_candidates(texts, min_children=1))
        _last.clear()
        _last[digest] = found
    return found


def decisions(session: Session) -> list[tuple[str, tuple[str, ...]]]:
    """Return (candidate key, terms) of every decided candidate."""
    rows = session.exec(select(EmergentDecision.candidate, EmergentDecision.terms))
    return [(key, tuple(terms.split(";"))) for key, terms in rows]


class Sorted(NamedTuple):
    """The pool's candidates sorted out: those to show, and how many were not."""

    shown: list[Candidate]
    #: from fewer than THRESHOLD children
    small: int
    #: already named or discarded
    decided: int
    #: the pool's rows, for quotes
    rows: list[tuple]


def sort_out(session: Session) -> Sorted:
    """Find the pool's candidates; keep those of THRESHOLD+ children not decided."""
    rows = pool(session)
    texts = tuple(Text(aid, child, text) for aid, child, text, *_ in rows if text)
    decided = decisions(session)
    visible, small, done = [], 0, 0
    for candidate in _grouped(texts):
        if already_decided(candidate, decided):
            done += 1
        elif candidate.children < THRESHOLD:
            small += 1
        else:
            visible.append(candidate)
    return Sorted(visible, small, done, rows)


def listing(session: Session) -> Listing:
    """Return the candidates to show, each with a few quotes."""
    found = sort_out(session)
    where = {aid: (town, band) for aid, _, _, band, town in found.rows}
    return Listing(
        candidates=[
            {
                "candidate": candidate,
                "counts": [shown(term.children) for term in candidate.terms],
                "quotes": evidence.pick_quotes(
                    session,
                    [(aid, *where[aid]) for aid in candidate.answer_ids],
                    QUOTES,
                    themes=set(),
                ),
            }
            for candidate in found.shown
        ],
        answers=shown(len(found.rows)),
        small=found.small,
        decided=found.decided,
    )


def find(session: Session, key: str) -> Candidate:
    """Return the shown candidate with key, or raise CandidateGone."""
    for candidate in sort_out(session).shown:
        if candidate.key == key:
            return candidate
    raise CandidateGone(GONE)


def theme_key(candidate: Candidate) -> str:
    """Return the codebook key a named candidate gets."""
    return f"{EMERGENT_PREFIX}{candidate.key}"


def name(session: Session, key, label, tasks, base, user_id):
    """Add a candidate as a codebook theme with its terms as keywords; queue re-coding.

    The decision is stored in the same commit as the codebook version, so a
    candidate becomes one theme at most. Returns the new codebook version;
    EditError (or CandidateGone) says why nothing was saved.
    """
    candidate = find(session, key)
    theme = theme_key(candidate)
    _decide(session, candidate, NAMED, user_id, theme=theme)
    try:
        version = codebook_store.edit(
            session,
            "candidate",
            base,
            user_id,
            key=theme,
            label=label,
            tasks=tasks,
            keywords=";".join(candidate.words),
        )
    except EditError:
        session.rollback()
        raise

    audit.record(
        session, audit.CHANGED_CODEBOOK, "codebook", version.id, version=version.version
    )
    audit.record(
        session,
        audit.NAMED_EMERGENT,
        "emergent",
        candidate.key,
        theme=theme,
        version=version.version,
        children=candidate.children,
    )
    session.commit()
    log.info("Candidate %s named as theme %s by user %s", key, theme, user_id)
    return version


def discard(session: Session, key, user_id) -> Candidate:
    """Remember that staff discarded a candidate, so it is not shown again."""
    candidate = find(session, key)
    _decide(session, candidate, DISCARDED, user_id)
    audit.record(
        session,
        audit.DISCARDED_EMERGENT,
        "emergent",
        candidate.key,
        children=candidate.children,
    )
    session.commit()
    log.info("Candidate %s discarded by user %s", key, user_id)
    return candidate


def _decide(session, candidate, decision, user_id, theme=None):
    """Add the decision about a candidate; one already taken is CandidateGone."""
    session.add(
        EmergentDecision(
            candidate=candidate.key,
            terms=";".join(candidate.words)[:500],
            decision=decision,
            theme=theme,
            decided_by=user_id,
        )
    )
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise CandidateGone(GONE) from None


def recent_decisions(session: Session, limit=20) -> list[EmergentDecision]:
    """Return the newest decisions, for the page's record of them."""
    return session.exec(
        select(EmergentDecision).order_by(EmergentDecision.id.desc()).limit(limit)
    ).all()
