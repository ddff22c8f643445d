"""Give each answer the codebook themes it speaks to, with the words that show it.

An answer is normalised, then one Aho-Corasick pass finds the keywords that
patterns start from: one-part keywords, which count where they stand alone
(垃圾 inside 垃圾桶 and 生态 in 医生态度 do not), and the anchor part of each
longer pattern, whose other parts and vetoes are then looked for anywhere in
the answer. A text marked as a whole word is checked against the answer's
jieba words, cut only when such a text is found. The cost grows with the
answer, not with the size of the codebook.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from analysis.codebook import Codebook, Index, Part, Rule, load_codebook
from analysis.sounds import Fix
from analysis.text import normalise
from analysis.tokenize import tokenizer, tokens_normalised

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


def _match(written: str, codebook: Codebook) -> list[ThemeHit]:
    """Return the hits of already normalised `written`, sound-alikes read as meant."""
    index = codebook.index
    text, fixes = index.sounds.correct(written, _frequency, _word_bounds)
    found = {term for _, term in index.automaton.iter(text)}
    evidence: dict[int, set[str]] = {}
    for term in found:
        entries = index.single.get(term)
        if entries and _stands_alone(term, text, found, index):
            for theme, whole, _, unless in entries:
                if (not whole or _whole_word(term, text)) and (
                    not unless or not _vetoed(unless, text)
                ):
                    evidence.setdefault(theme, set()).add(term)
        for theme, whole, rest, unless in index.combined.get(term, ()):
            filled = _filled(rest, text)
            if (
                filled
                and (not whole or _whole_word(term, text))
                and (not unless or not _vetoed(unless, text))
            ):
                evidence.setdefault(theme, set()).update(filled, (term,))
    hits = _hits(text, codebook, evidence)
    return _as_written(hits, written, text, fixes) if fixes else hits


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


def _stands_alone(term: str, text: str, found: set[str], index: Index) -> bool:
    """Tell whether a one-part keyword is neither inside nor run into by another."""
    holders = index.holders.get(term)
    if holders and not holders.isdisjoint(found):
        return False
    return not any(merged in text for merged in index.overlaps.get(term, ()))


def _vetoed(vetoes: tuple[Rule, ...], text: str) -> bool:
    """Tell whether any of a pattern's own vetoes matches `text`."""
    return any(_matches(veto, text) for veto in vetoes)


def _matches(rule: Rule, text: str) -> bool:
    """Tell whether `rule` matches anywhere in `text`, its own vetoes considered."""
    if not _filled(rule.parts, text):
        return False
    return not rule.unless or not _vetoed(rule.unless, text)


def _filled(parts: tuple[Part, ...], text: str) -> list[str]:
    """Return the texts that fill every part, or [] if one is missing."""
    found = []
    for texts, whole in parts:
        hits = [term for term in texts if term in text]
        if whole and hits:
            hits = [t for t in hits if t not in whole or _whole_word(t, text)]
        if not hits:
            return []
        found += hits
    return found


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


def _hits(text: str, codebook: Codebook, evidence: dict) -> list[ThemeHit]:
    """Turn evidence by theme index into hits, leaving out vetoed themes."""
    hits = []
    for number in sorted(evidence):
        search, longer = codebook.index.vetoes[number]
        if search is not None and search.search(text):
            continue
        if longer and _vetoed(longer, text):
            continue
        theme = codebook.themes[number]
        words = tuple(sorted(evidence[number], key=text.find))
        hits.append(ThemeHit(theme.key, theme.label, theme.tasks, words))
    return hits
