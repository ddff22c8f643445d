"""Read-only queries behind the theme reports and the policy record.

Answers flagged for safeguarding are left out of every query here. Counts of
children that leave this module are read from analysis.published, as every
report page reads them; quotes come only from township × band groups with at
least THRESHOLD shown open answers.
"""

import itertools
from collections import Counter, defaultdict

from sqlmodel import Session, func, select

from analysis.classify import similar_theme
from analysis.disclosure import HIDDEN, NOT_SPLIT, THRESHOLD, ranked, shown
from analysis.models import AnswerTask, AnswerTheme, SafeguardingFlag
from analysis.published import Cell, Published, task_key
from surveys.models import BANDS, Answer, Response

#: how many answers are read at a time while looking for quotes
QUOTE_BATCH = 50


def unflagged():
    """Return the condition that keeps answers flagged for safeguarding out,
    until the safeguarding lead releases every flag of the answer."""
    return Answer.id.not_in(
        select(SafeguardingFlag.answer_id).where(SafeguardingFlag.released_at.is_(None))
    )


def task_answer_counts(session: Session) -> dict[int, int]:
    """Return how many answers speak to each task number."""
    rows = session.exec(
        select(AnswerTask.task_number, func.count(func.distinct(AnswerTask.answer_id)))
        .join(Answer, Answer.id == AnswerTask.answer_id)
        .where(unflagged())
        .group_by(AnswerTask.task_number)
    ).all()
    return dict(rows)


def task_evidence(
    session: Session, number: int, quotes=5, published: Published | None = None
) -> dict:
    """Return a task's themes, its children by band and township, and quotes.

    The counts by band and township are the task's rows as the theme report
    shows them. Only themes the current codebook maps to the task are listed,
    and a quote shows only the words that led to those themes.
    """
    from analysis.codebook_store import current_codebook, recoding

    codebook = current_codebook(session)
    mapped = {t.key for t in codebook.themes if number in t.tasks}
    mapped.add(similar_theme(number)[0])
    rows = session.exec(
        select(Answer.id, Response.id, Response.band, Response.township_code)
        .join(AnswerTask, AnswerTask.answer_id == Answer.id)
        .join(Response, Response.id == Answer.response_id)
        .where(AnswerTask.task_number == number, Answer.masked.is_not(None))
        .where(unflagged())
        .order_by(Answer.id)
    ).all()
    published = published or _published(session)
    cell = Cell(frozenset({task_key(number)}))
    few = len({row[1] for row in rows}) < THRESHOLD
    themed = _answer_themes(session, [row[0] for row in rows], mapped)
    return {
        "total": len(rows),
        "answers": shown(len(rows)),
        "version": codebook.version,
        "recoding": recoding(session),
        "children": published.value(cell),
        "themes": _theme_counts(rows, themed),
        # fewer than THRESHOLD children: a lone filled cell would name the group
        "few": few,
        "by_band": {} if few else _groups(published, cell, "band", BANDS),
        "by_township": {} if few else _groups(published, cell, "township"),
        "quotes": pick_quotes(
            session,
            [(aid, town, band) for aid, _, band, town in rows if aid in themed],
            quotes,
            mapped,
        ),
    }


def _groups(published: Published, cell: Cell, dim: str, order=None) -> dict:
    """Return a cell's non-empty groups of one breakdown, as every page shows them."""
    groups = order or published.groups(dim)
    found = {g: published.value(cell.within(dim, {g})) for g in groups}
    return {g: value for g, value in found.items() if value != 0}


def _answer_themes(session, answer_ids, keys=None) -> dict[int, list[tuple]]:
    """Return answer id -> [(theme, label)] for the given answers."""
    themed = defaultdict(list)
    for start in range(0, len(answer_ids), 500):
        chunk = answer_ids[start : start + 500]
        for answer_id, theme, label in session.exec(
            select(AnswerTheme.answer_id, AnswerTheme.theme, AnswerTheme.label).where(
                AnswerTheme.answer_id.in_(chunk)
            )
        ):
            if keys is None or theme in keys:
                themed[answer_id].append((theme, label))
    return themed


def _theme_counts(rows, themed) -> list[dict]:
    """Count children per theme, shown counts most first, hidden ones by label."""
    children = defaultdict(set)
    labels = {}
    by_answer = {answer_id: response_id for answer_id, response_id, *_ in rows}
    for answer_id, hits in themed.items():
        for theme, label in hits:
            children[theme].add(by_answer[answer_id])
            labels[theme] = label
    counts = {theme: shown(len(ids)) for theme, ids in children.items()}
    return [
        {"theme": t, "label": labels[t], "count": counts[t]}
        for t in ranked(counts, labels.get)
    ]


def launch_report(
    session: Session, launch_id: int, published: Published | None = None
) -> dict:
    """Return a launch's themes by frequency and how many answers were read.

    Until THRESHOLD children have shown open answers, nothing is given by theme:
    the themes of a handful of children say what each of them said. A launch
    lies within one township, band and survey, so its counts are finer than
    any table of the theme report: each is shown only where analysis.published
    lets it through, and a theme whose count cannot be shown is left out.
    """
    rows = session.exec(
        select(Answer.id, Response.id, Response.band, Response.township_code)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.launch_id == launch_id, Answer.masked.is_not(None))
        .where(unflagged())
        .order_by(Answer.id)
    ).all()
    children = len({row[1] for row in rows})
    enough = children >= THRESHOLD
    published = published or _published(session)
    cell = Cell(where=(("launch", frozenset({launch_id})),))
    themes, left_out = _launch_themes(session, rows, published, cell, enough)
    candidates = [(aid, town, band) for aid, _, band, town in rows]
    return {
        "answers": len(rows),
        "children": children,
        "enough": enough,
        "shown_answers": _launch_answers(published, cell, len(rows)),
        "themes": themes,
        "left_out": left_out,
        "versions": codebook_versions(session, [row[0] for row in rows]),
        "quotes": pick_quotes(session, candidates, 8) if enough else [],
    }


def _published(session) -> Published:
    """Return the counts every report page may show (analysis.reports builds them)."""
    from analysis.reports import load_published

    return load_published(session)


def _launch_answers(published: Published, cell: Cell, answers: int):
    """Return a launch's answer count if its headcount may be counted, else a mark."""
    if published.figure(cell).safe:
        return shown(answers)
    return HIDDEN if answers < THRESHOLD else NOT_SPLIT


def _launch_themes(session, rows, published: Published, cell: Cell, enough):
    """Return a launch's themes as shown, and how many could not be shown."""
    if not enough:
        return [], 0
    themed = _answer_themes(session, [row[0] for row in rows])
    labels = {theme: label for hits in themed.values() for theme, label in hits}
    counts, left_out = {}, 0
    for theme in sorted(k for k in published.carried() if isinstance(k, str)):
        value = published.value(cell.needing(theme))
        if value == NOT_SPLIT:
            left_out += 1
        elif value != 0:
            counts[theme] = value
    themes = [
        {"theme": t, "label": labels.get(t, t), "count": counts[t]}
        for t in ranked(counts, lambda t: labels.get(t, t))
    ]
    return themes, left_out


def launch_texts(session: Session, launch_id: int) -> list[str]:
    """Return a launch's shown open answers, one text per child."""
    rows = session.exec(
        select(Answer.response_id, Answer.masked)
        .join(Response, Response.id == Answer.response_id)
        .where(
            Response.launch_id == launch_id,
            Answer.masked.is_not(None),
            unflagged(),
        )
        .order_by(Answer.response_id, Answer.id)
    ).all()
    return per_child(rows)


def per_child(rows) -> list[str]:
    """Join (response id, text) rows into one text per child: words count children."""
    texts: dict[str, list[str]] = {}
    for response_id, text in rows:
        if text:
            texts.setdefault(response_id, []).append(text)
    return ["\n".join(parts) for parts in texts.values()]


def codebook_versions(session: Session, answer_ids) -> list[str]:
    """Return the codebook versions that themed the given answers, most used first."""
    used = Counter()
    for start in range(0, len(answer_ids), 500):
        chunk = answer_ids[start : start + 500]
        used.update(
            dict(
                session.exec(
                    select(
                        AnswerTheme.codebook_version,
                        func.count(func.distinct(AnswerTheme.answer_id)),
                    )
                    .where(AnswerTheme.answer_id.in_(chunk))
                    .group_by(AnswerTheme.codebook_version)
                ).all()
            )
        )
    return [version for version, _ in used.most_common()]


def group_sizes(session: Session) -> dict[tuple[str, str], int]:
    """Return how many children gave shown open answers in each township × band."""
    rows = session.exec(
        select(
            Response.township_code,
            Response.band,
            func.count(func.distinct(Answer.response_id)),
        )
        .join(Answer, Answer.response_id == Response.id)
        .where(Answer.masked.is_not(None), unflagged())
        .group_by(Response.township_code, Response.band)
    ).all()
    return {(township, band): n for township, band, n in rows}


def pick_quotes(session, candidates, limit, themes=None) -> list[dict]:
    """Return up to limit quotes from (answer id, township, band) candidates.

    A candidate is quoted only if its township × band group has at least
    THRESHOLD shown open answers; `themes` limits the evidence shown.
    """
    sizes = group_sizes(session)
    candidates = _across_bands(candidates)
    allowed = [
        aid for aid, town, band in candidates if sizes.get((town, band), 0) >= THRESHOLD
    ]
    chosen = []
    for start in range(0, len(allowed), QUOTE_BATCH):
        chunk = allowed[start : start + QUOTE_BATCH]
        chosen += _quotes_of(session, chunk, limit - len(chosen), themes)
        if len(chosen) >= limit:
            break
    return chosen


def _across_bands(candidates) -> list:
    """Reorder candidates to take turns between age bands, keeping each band's order."""
    by_band = defaultdict(list)
    for candidate in candidates:
        by_band[candidate[2]].append(candidate)
    turns = itertools.zip_longest(*by_band.values())
    return [c for c in itertools.chain.from_iterable(turns) if c is not None]


def _quotes_of(session, answer_ids, limit, themes) -> list[dict]:
    """Return quotes for answers in the given order, with the words behind themes."""
    found = {
        answer_id: (masked, band)
        for answer_id, masked, band in session.exec(
            select(Answer.id, Answer.masked, Response.band)
            .join(Response, Response.id == Answer.response_id)
            .where(Answer.id.in_(answer_ids), unflagged())
        )
    }
    quotes = []
    for answer_id in answer_ids:
        masked, band = found.get(answer_id, (None, None))
        if not masked or not masked.strip():
            continue
        quotes.append(
            {
                "answer_id": answer_id,
                "text": masked,
                "who": f"{band}岁的孩子",
                "evidence": _evidence(session, answer_id, themes),
            }
        )
        if len(quotes) == limit:
            break
    return quotes


def _evidence(session, answer_id, themes=None):
    """Return the labels and words behind an answer's themes."""
    rows = session.exec(
        select(AnswerTheme.theme, AnswerTheme.label, AnswerTheme.evidence).where(
            AnswerTheme.answer_id == answer_id
        )
    ).all()
    return [
        {"label": label, "words": [w for w in words.split(";") if w]}
        for theme, label, words in rows
        if themes is None or theme in themes
    ]
