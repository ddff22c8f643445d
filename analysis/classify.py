"""Give each answer the codebook themes it speaks to, with the words that show it.

Matching is one pass over the normalised answer: at each character the
codebook's lookups say which term lengths can start there, so the cost grows
with the answer, not with the size of the codebook. jieba is asked only when
a term must be a whole word.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from analysis.codebook import Codebook, Rule, Theme, load_codebook
from analysis.text import normalise
from analysis.tokenize import tokens_normalised

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ThemeHit:
    """A theme found in an answer, its plan tasks and the words that led to it."""

    theme: str
    label: str
    tasks: tuple[int, ...]
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Analysis:
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


def classify(text: str, codebook: Codebook | None = None) -> list[ThemeHit]:
    """Return the themes an answer speaks to; [] when it speaks to none."""
    codebook = codebook or default_codebook()
    return _match(normalise(text), codebook)


def classify_many(
    texts: Iterable[str], codebook: Codebook | None = None
) -> list[list[ThemeHit]]:
    """Classify each answer of `texts`, in order."""
    codebook = codebook or default_codebook()
    return [_match(normalise(text), codebook) for text in texts]


def analyse(text: str, codebook: Codebook | None = None) -> Analysis:
    """Normalise, tokenise and classify one answer, tokenising it once."""
    codebook = codebook or default_codebook()
    normalised = normalise(text)
    words = tokens_normalised(normalised)
    return Analysis(normalised, words, tuple(_match(normalised, codebook)))


def tasks_for(hits: Iterable[ThemeHit]) -> list[int]:
    """Return the sorted unique task numbers of `hits`."""
    return sorted({number for hit in hits for number in hit.tasks})


def _match(text: str, codebook: Codebook) -> list[ThemeHit]:
    """Return the hits of already normalised `text`."""
    found = _found_terms(text, codebook)
    if not found.first:
        return []

    candidates = sorted(
        {ix for term in found.first for ix in codebook.term_themes[term]}
    )
    themes = [codebook.themes[ix] for ix in candidates]
    hits = [_hit(theme, _evidence(theme, theme.rules, found)) for theme in themes]
    hits = [hit for hit in hits if hit]
    if hits:
        return hits
    return _weak_hit(themes, found)


def _weak_hit(themes, found) -> list[ThemeHit]:
    """Return the one theme with the most weak words, when no theme was given."""
    best, best_key = None, None
    for theme in themes:
        evidence = _evidence(theme, theme.weak, found)
        if not evidence:
            continue
        key = (-len(evidence), found.first[evidence[0]])
        if best_key is None or key < best_key:
            best, best_key = _hit(theme, evidence), key
    return [best] if best else []


def _hit(theme: Theme, evidence: tuple[str, ...]) -> ThemeHit | None:
    """Return a hit for `theme` when there is evidence for it."""
    if not evidence:
        return None
    return ThemeHit(theme.key, theme.label, theme.tasks, evidence)


class _Found:
    """The codebook terms of one answer.

    `first` maps each term to its first position; `free` holds the terms read
    on their own, left to right and longest first, without overlaps, so that
    建筑 inside 古建筑 and 生态 across 医生态度 are not free. Words from jieba
    are fetched only if a whole-word term needs them.
    """

    def __init__(self, text: str, codebook: Codebook):
        self.text = text
        self.codebook = codebook
        self.first: dict[str, int] = {}
        self.free: set[str] = set()
        self._words: frozenset[str] | None = None

    @property
    def words(self) -> frozenset[str]:
        """Return the words jieba cuts the answer into."""
        if self._words is None:
            self._words = frozenset(tokens_normalised(self.text))
        return self._words


def _found_terms(text: str, codebook: Codebook) -> _Found:
    """Find every codebook term in `text` in one pass."""
    found = _Found(text, codebook)
    first_chars, terms, weak = (
        codebook.first_chars,
        codebook.term_themes,
        codebook.weak_only,
    )
    covered = 0
    for start, char in enumerate(text):
        lengths = first_chars.get(char)
        if lengths is None:
            continue
        longest = True
        for length in lengths:
            piece = text[start : start + length]
            if len(piece) < length or piece not in terms:
                continue
            found.first.setdefault(piece, start)
            if start < covered or not longest:
                continue
            found.free.add(piece)
            if piece not in weak:
                covered, longest = start + length, False
    return found


def _evidence(theme: Theme, rules, found: _Found) -> tuple[str, ...]:
    """Return the words that give `theme` by `rules`, or () when it is not given."""
    matched: set[str] = set()
    for rule in rules:
        matched.update(_filled(rule, found))
    if not matched or any(_filled(veto, found) for veto in theme.vetoes):
        return ()
    return tuple(sorted(matched, key=found.first.__getitem__))


def _filled(rule: Rule, found: _Found) -> list[str]:
    """Return the terms that fill every slot of `rule`, or [] if one stays empty.

    A rule of one part needs a free occurrence; parts of a longer rule may sit
    inside other terms.
    """
    present = found.free if len(rule) == 1 else found.first
    terms = []
    for slot in rule:
        hits = [term.text for term in slot if _present(term, present, found)]
        if not hits:
            return []
        terms.extend(hits)
    return terms


def _present(term, present, found: _Found) -> bool:
    """Tell whether a term is in the answer, as a whole word if it must be."""
    if term.text not in present:
        return False
    return not term.whole or term.text in found.words
