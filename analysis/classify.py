"""Give each answer the codebook themes it speaks to, with the words that show it.

An answer is normalised, then one Aho-Corasick pass finds every text the
codebook's patterns and vetoes name. Patterns are looked up by the keywords
they start from: one-part keywords, which count where they stand alone
(垃圾 inside 垃圾桶 and 生态 in 医生态度 do not), and the anchor part of each
longer pattern, whose other parts and vetoes count when the pass found them
anywhere in the answer. A text marked as a whole word is checked against the
answer's jieba words, cut only when such a text is found. The cost grows with
the answer, not with the size of the codebook.
"""

import logging
from collections.abc import Iterable
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from analysis import learned
from analysis.codebook import (
    MODEL_PREFIX,
    Codebook,
    Index,
    Part,
    Rule,
    load_codebook,
)
from analysis.sounds import Fix
from analysis.text import normalise
from analysis.tokenize import tokenizer, tokens_normalised

log = logging.getLogger(__name__)
_second = itemgetter(1)


class ThemeHit(NamedTuple):
    """A theme found in an answer, its plan tasks and the words that led to it."""

    theme: str
    label: str
    tasks: tuple[int, ...]
    evidence: tuple[str, ...]


class Analysis(NamedTuple):
    """Everything the pipeline derives from one answer."""

    normalised: str
    tokens: tuple[str, ...]
    hits: tuple[ThemeHit, ...]

    @property
    def tasks(self) -> list[int]:
        """Return the plan task numbers of the hits."""
        return tasks_for(self.hits)


@lru_cache(maxsize=1)
def default_codebook() -> Codebook:
    """Return data/codebook.csv, loaded once per process."""
    return load_codebook()


def classify(
    text: str, codebook: Codebook | None = None, weigh: bool = True
) -> list[ThemeHit]:
    """Return the themes an answer speaks to; [] when it speaks to none.

    With `weigh`, the learned model decides which of the codebook's tasks the
    answer is about and may add tasks the codebook missed; without, every theme
    the codebook finds counts.
    """
    codebook = codebook or default_codebook()
    return _code(normalise(text), codebook, weigh)


def classify_many(
    texts: Iterable[str], codebook: Codebook | None = None, weigh: bool = True
) -> list[list[ThemeHit]]:
    """Classify each answer of `texts`, in order."""
    codebook = codebook or default_codebook()
    return [_code(normalise(text), codebook, weigh) for text in texts]


def analyse(text: str, codebook: Codebook | None = None, weigh=True) -> Analysis:
    """Normalise, tokenise and classify one answer, tokenising it once."""
    codebook = codebook or default_codebook()
    normalised = normalise(text)
    words = tokens_normalised(normalised)
    return Analysis(normalised, words, tuple(_code(normalised, codebook, weigh)))


def featurise(text: str, codebook: Codebook | None = None) -> set[str]:
    """Return the features the learned model reads in an answer."""
    codebook = codebook or default_codebook()
    read, _ = _read(normalise(text), codebook)
    return learned.features(read, tokens_normalised(read), _match(read, codebook))


def tasks_for(hits: Iterable[ThemeHit]) -> list[int]:
    """Return the sorted unique task numbers of `hits`."""
    return sorted({number for hit in hits for number in hit.tasks})


def _code(written: str, codebook: Codebook, weigh: bool) -> list[ThemeHit]:
    """Return the hits of normalised `written`, sound-alikes read as meant."""
    read, fixes = _read(written, codebook)
    hits = _match(read, codebook)
    if fixes:
        # what the child wrote counts too: 打学生 read as 大学生 is still 打学生
        hits = _merged(_match(written, codebook), hits, codebook)
    model = learned.default_model() if weigh else None
    if model is not None:
        hits = _weigh(read, hits, model, codebook)
    return _as_written(hits, written, read, fixes) if fixes else hits


def _merged(first, second, codebook: Codebook) -> list[ThemeHit]:
    """Return the hits of both lists, a theme once, in the codebook's order."""
    by_theme = {hit.theme: hit for hit in second}
    for hit in first:
        other = by_theme.get(hit.theme)
        words = hit.evidence + (other.evidence if other else ())
        by_theme[hit.theme] = ThemeHit(
            hit.theme, hit.label, hit.tasks, tuple(dict.fromkeys(words))
        )
    order = {theme.key: index for index, theme in enumerate(codebook.themes)}
    return sorted(by_theme.values(), key=lambda hit: order[hit.theme])


def _read(written: str, codebook: Codebook):
    """Return normalised text with sound-alikes read as keywords, and the fixes."""
    return codebook.index.sounds.correct(written, _frequency, _word_bounds)


def _weigh(read: str, hits: list[ThemeHit], model, codebook) -> list[ThemeHit]:
    """Keep the hits' tasks the model gives; add its other tasks with their words.

    Themes staff changed since the model was fitted keep what the codebook
    gives, and the model adds none of the tasks such a theme was moved from.
    """
    edited = model.edited(codebook)
    if edited is None:
        return hits
    words = tokens_normalised(read)
    found_tasks = tasks_for(hits)
    chosen = model.choose(model.rows(read, words, hits, edited), found_tasks)
    if chosen == set(found_tasks) and all(hit.tasks for hit in hits):
        return hits  # the model keeps every task the codebook found, adds none
    kept, moved_from = [], set()
    for hit in hits:
        if hit.theme in edited:
            kept.append(hit)
            moved_from.update(edited[hit.theme])
            continue
        tasks = tuple(number for number in hit.tasks if number in chosen)
        if tasks:
            kept.append(ThemeHit(hit.theme, hit.label, tasks, hit.evidence))
    added = sorted(chosen - set(tasks_for(kept)) - moved_from)
    found = learned.features(read, words, hits, edited) if added else ()
    for number in added:
        reasons = model.reasons(found, number) or ("（整体判断）",)
        kept.append(ThemeHit(*similar_theme(number), (number,), reasons))
    return kept


def similar_theme(number: int) -> tuple[str, str]:
    """Return the key and label of a task given by the model alone."""
    return f"{MODEL_PREFIX}{number:02d}", f"第{number}项任务（据相似回答）"


def _match(text: str, codebook: Codebook) -> list[ThemeHit]:
    """Return the codebook's hits in normalised, read `text`."""
    index = codebook.index
    found = set(map(_second, index.automaton.iter(text)))
    evidence: dict[int, set[str]] = {}
    for term in index.anchors.intersection(found):
        entries = index.single.get(term)
        if entries and _stands_alone(term, found, index):
            for theme, whole, _, unless in entries:
                if (not whole or _whole_word(term, text)) and (
                    not unless or not _vetoed(unless, text, found)
                ):
                    evidence.setdefault(theme, set()).add(term)
        for theme, whole, rest, unless in index.combined.get(term, ()):
            if found.isdisjoint(rest[0].texts):
                continue  # where most patterns stop, looked at before any call
            filled = _filled(rest, text, found)
            if (
                filled
                and (not whole or _whole_word(term, text))
                and (not unless or not _vetoed(unless, text, found))
            ):
                evidence.setdefault(theme, set()).update(filled, (term,))
    return _hits(text, found, codebook, evidence)


def _frequency(text: str) -> int:
    """Return the count of `text` as a word in the tokenizer's dictionaries."""
    return tokenizer().FREQ.get(text) or 0


def _as_written(hits, written: str, read: str, fixes) -> list[ThemeHit]:
    """Show evidence read from a sound-alike as the child wrote it: 公圆(公园)."""
    return [
        ThemeHit(
            hit.theme,
            hit.label,
            hit.tasks,
            tuple(_written(word, written, read, fixes) for word in hit.evidence),
        )
        for hit in hits
    ]


def _written(word: str, written: str, read: str, fixes: tuple[Fix, ...]) -> str:
    """Return `word`, or how the answer wrote it where it does not spell it."""
    if word in written:
        return word
    start = read.find(word)
    if len(read) == len(written) and start >= 0:
        return f"{written[start : start + len(word)]}({word})"
    for fix in fixes:
        if word in fix.word:
            return str(fix)
        if fix.word in word:
            return f"{word.replace(fix.word, fix.written)}({word})"
    return word


def _stands_alone(term: str, found: set[str], index: Index) -> bool:
    """Tell whether a one-part keyword is neither inside nor run into by another."""
    holders = index.holders.get(term)
    if holders and not holders.isdisjoint(found):
        return False
    return found.isdisjoint(index.overlaps.get(term, ()))


def _vetoed(vetoes: tuple[Rule, ...], text: str, found: set[str]) -> bool:
    """Tell whether any of a pattern's own vetoes matches `text`."""
    return any(matches(veto, text, found) for veto in vetoes)


def matches(rule: Rule, text: str, found: set[str] | None = None) -> bool:
    """Tell whether `rule` matches anywhere in `text`, its own vetoes considered.

    `found` holds the texts of the rule found in `text` (the codebook's
    automaton gives them for every rule of the codebook); without it they are
    looked for here.
    """
    if found is None:
        found = {part for part in rule.texts() if part in text}
    if not _filled(rule.parts, text, found):
        return False
    return not rule.unless or not _vetoed(rule.unless, text, found)


def _filled(parts: tuple[Part, ...], text: str, found: set[str]) -> list[str]:
    """Return the texts that fill every part, or [] if one is missing.

    `found` holds every text of the parts that `text` contains.
    """
    filled = []
    for texts, whole in parts:
        if found.isdisjoint(texts):
            return []
        hits = [term for term in texts if term in found]
        if whole:
            hits = [t for t in hits if t not in whole or _whole_word(t, text)]
            if not hits:
                return []
        filled += hits
    return filled


def _whole_word(term: str, text: str) -> bool:
    """Tell whether `term` stands in `text` somewhere as one or more whole words."""
    bounds = _word_bounds(text)
    start = text.find(term)
    while start >= 0:
        if start in bounds and start + len(term) in bounds:
            return True
        start = text.find(term, start + 1)
    return False


@lru_cache(maxsize=4096)
def _word_bounds(text: str) -> frozenset[int]:
    """Return the offsets in normalised `text` where its jieba words start or end."""
    bounds, position = {0, len(text)}, 0
    for word in tokens_normalised(text):
        start = text.find(word, position)
        if start < 0:
            continue
        position = start + len(word)
        bounds.update((start, position))
    return frozenset(bounds)


def _hits(text: str, found: set[str], codebook: Codebook, evidence) -> list[ThemeHit]:
    """Turn evidence by theme index into hits, leaving out vetoed themes."""
    hits = []
    for number in sorted(evidence):
        plain, longer = codebook.index.vetoes[number]
        if not plain.isdisjoint(found) or (longer and _vetoed(longer, text, found)):
            continue
        theme = codebook.themes[number]
        words = tuple(sorted(evidence[number], key=text.find))
        hits.append(ThemeHit(theme.key, theme.label, theme.tasks, words))
    return hits
