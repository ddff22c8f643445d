"""Candidate new themes: recurring words in answers that no codebook theme took.

Answers are cut into clauses of Chinese characters (placeholders such as [学校]
and everything else end a clause), the clauses into words by the project's
tokenizer. A term is a content word of two or more characters, or two
adjacent content words read as one phrase (攀岩 + 墙 gives 攀岩墙), so every
term is text that stands in the normalised answer and can serve as a keyword.
Terms count once per answer and once per child; only terms at least
`MIN_TERM_CHILDREN` children use are kept, since a rare word can point to one
child.

Each answer becomes a TF-IDF vector over the kept terms, and answers are
joined by average-linkage agglomerative clustering on the cosine of their
vectors until no two groups are alike enough (`LINK`). Answers with the same
terms are one point, counted as many times as there are answers; the nearest-
neighbour chain finds the same groups as joining the closest pair each time,
in time and memory that grow with the square of the points. A group is
described by its own terms: those most of whose children are in the group, so
a word that every kind of answer uses (学校, 周末) describes none. The
candidate is then every answer that uses one of those terms, as the terms
would find them as keywords, and its children are the children of those
answers. Ties fall to the earlier answer, so the same answers always give the
same candidates.
"""

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from analysis.disclosure import THRESHOLD
from analysis.text import normalise
from analysis.tokenize import stopwords, tokens_normalised
from analysis.words import children_words

#: a term fewer children use is left out
MIN_TERM_CHILDREN = 3
#: groups of answers less alike than this on average (cosine, 0–1) stay apart
LINK = 0.3
#: a candidate is described by at most this many terms
TOP_TERMS = 6
#: a term describes a group only if more than this share of the children who
#: use it are in the group
MIN_SHARE = 0.5
#: the most used terms kept, and the most distinct sets of them clustered
#: (rarer sets join the closest group), so that memory stays bounded
MAX_TERMS = 1500
MAX_POINTS = 2000

_NOT_HAN = re.compile(r"[^\u4e00-\u9fff]+")
#: a numeral or demonstrative alone or with one character is a count, not
#: content (一, 一只, 两块, 每周, 这次)
_COUNTING = re.compile(r"^[一二两三几每这那哪][\u4e00-\u9fff]?$")


class Text(NamedTuple):
    """One open answer: its id, the child (response) who gave it, masked words."""

    answer_id: int
    child: str
    text: str


class Term(NamedTuple):
    """A word or phrase of a candidate, with how many children use it."""

    text: str
    children: int


@dataclass(frozen=True)
class Candidate:
    """A group of answers that share recurring words: a possible new theme."""

    #: a short hash of the terms, the same whenever the terms are
    key: str
    terms: tuple[Term, ...]
    children: int
    #: the answers that use its terms, those with the most of them first
    answer_ids: tuple[int, ...]

    @property
    def words(self) -> tuple[str, ...]:
        """Return the candidate's terms as text."""
        return tuple(term.text for term in self.terms)


def answer_terms(text: str) -> tuple[str, ...]:
    """Return the distinct words and two-word phrases of an answer, in order."""
    skip = stopwords()
    found = []
    for clause in _NOT_HAN.split(children_words(normalise(text or ""))):
        words = tokens_normalised(clause)
        content = [word not in skip and not _COUNTING.match(word) for word in words]
        for i, word in enumerate(words):
            if content[i] and len(word) >= 2:
                found.append(word)
            if content[i] and i + 1 < len(words) and content[i + 1]:
                found.append(word + words[i + 1])
    return tuple(dict.fromkeys(found))


def find_candidates(texts, min_children=THRESHOLD) -> list[Candidate]:
    """Group answers by the terms they share; return groups of min_children+."""
    pool = _Pool.of(texts)
    if not pool.vocabulary:
        return []

    points, rows_of = _points(pool.terms_of, pool.vocabulary)
    counts = [len(rows) for rows in rows_of]
    idf = _idf(points, counts, len(pool.vocabulary))
    found = []
    for group in _groups(points, counts, idf):
        rows = [row for point in group for row in rows_of[point]]
        candidate = pool.describe(rows)
        if candidate is not None and candidate.children >= min_children:
            found.append(candidate)
    return sorted(found, key=lambda c: (-c.children, c.key))


@dataclass(frozen=True)
class _Pool:
    """The answers being grouped, with their terms and who uses each term."""

    texts: list[Text]
    terms_of: list[tuple[str, ...]]
    #: term -> the children who use it
    users: dict[str, set[str]]
    #: term -> the answers (rows) that use it
    rows_by_term: dict[str, list[int]]
    #: the terms enough children use, most used first
    vocabulary: list[str]
    #: term of the vocabulary -> its place in it
    rank: dict[str, int]

    @classmethod
    def of(cls, texts) -> "_Pool":
        """Cut the answers, in answer order, and count who uses each term."""
        texts = sorted(texts)
        terms_of = [answer_terms(t.text) for t in texts]
        users, rows_by_term = defaultdict(set), defaultdict(list)
        for row, terms in enumerate(terms_of):
            for term in terms:
                users[term].add(texts[row].child)
                rows_by_term[term].append(row)
        vocabulary = sorted(
            (term for term, ids in users.items() if len(ids) >= MIN_TERM_CHILDREN),
            key=lambda term: (-len(users[term]), term),
        )[:MAX_TERMS]
        rank = {term: i for i, term in enumerate(vocabulary)}
        return cls(texts, terms_of, dict(users), dict(rows_by_term), vocabulary, rank)

    def describe(self, rows) -> Candidate | None:
        """Describe a group of answers by its own terms; None if none does.

        A term is the group's own if more than MIN_SHARE of its children are
        in the group. The candidate holds every answer that uses one of those
        terms, in the group or not: what the terms would find as keywords.
        """
        inside = defaultdict(set)
        for row in rows:
            for term in self.terms_of[row]:
                inside[term].add(self.texts[row].child)
        own = sorted(
            (
                term
                for term, children in inside.items()
                if term in self.rank
                and len(children) >= MIN_TERM_CHILDREN
                and len(children) > MIN_SHARE * len(self.users[term])
            ),
            key=self.rank.get,
        )[:TOP_TERMS]
        if not own:
            return None

        shared = Counter(row for term in own for row in self.rows_by_term[term])
        using = sorted(shared, key=lambda row: (-shared[row], row))
        return Candidate(
            key=candidate_key(own),
            terms=tuple(Term(term, len(self.users[term])) for term in own),
            children=len({self.texts[row].child for row in using}),
            answer_ids=tuple(self.texts[row].answer_id for row in using),
        )


def _points(terms_of, vocabulary) -> tuple[list[tuple[int, ...]], list[list[int]]]:
    """Return the distinct sets of kept terms, and the answers with each set.

    Points come most shared first (then in answer order), so that beyond
    MAX_POINTS the rarest ones are the ones only joined to groups afterwards.
    """
    column = {term: i for i, term in enumerate(vocabulary)}
    rows_of = defaultdict(list)
    for row, terms in enumerate(terms_of):
        kept = tuple(sorted(column[t] for t in terms if t in column))
        if kept:
            rows_of[kept].append(row)
    points = sorted(rows_of, key=lambda p: (-len(rows_of[p]), rows_of[p][0]))
    return points, [rows_of[point] for point in points]


def _idf(points, counts, width) -> np.ndarray:
    """Return each term's smoothed idf: log((1 + answers) / (1 + its answers)) + 1."""
    used = np.zeros(width)
    for columns, count in zip(points, counts, strict=True):
        used[list(columns)] += count
    return np.log((1 + sum(counts)) / (1 + used)) + 1


def _vectors(points, idf) -> np.ndarray:
    """Return the TF-IDF rows of points, each of length 1; a term counts once."""
    rows = np.zeros((len(points), len(idf)))
    for row, columns in enumerate(points):
        rows[row, list(columns)] = idf[list(columns)]
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _groups(points, counts, idf) -> list[list[int]]:
    """Cluster the first MAX_POINTS points; join each later one to its closest group.

    A later point joins the group it is most like on average (the dot product
    with the group's mean row), if that is at least LINK.
    """
    head = _vectors(points[:MAX_POINTS], idf)
    groups = _average_linkage(head @ head.T, counts[:MAX_POINTS])
    if len(points) <= MAX_POINTS:
        return groups

    weights = np.asarray(counts[:MAX_POINTS], dtype=float)
    means = np.stack([weights[g] @ head[g] / weights[g].sum() for g in groups]).T
    for point in range(MAX_POINTS, len(points)):
        columns = list(points[point])
        alike = idf[columns] @ means[columns] / np.linalg.norm(idf[columns])
        best = int(np.argmax(alike))
        if alike[best] >= LINK:
            groups[best].append(point)
    return groups


def _average_linkage(alike: np.ndarray, counts) -> list[list[int]]:
    """Return groups of points joined while their average cosine is at least LINK.

    The nearest-neighbour chain: follow each group to the group most like it
    until two are each other's nearest, then join them or, if they are less
    alike than LINK, set both aside, since average linkage never brings a
    group closer to the others than its nearest one is.
    """
    alike = alike.astype(float)
    np.fill_diagonal(alike, -np.inf)
    sizes = np.asarray(counts, dtype=float)
    members = [[i] for i in range(len(alike))]
    open_ = np.ones(len(alike), dtype=bool)
    finished, chain = [], []
    while chain or open_.any():
        if not chain:
            chain.append(int(np.argmax(open_)))
        a = chain[-1]
        b = int(np.argmax(alike[a]))
        if len(chain) > 1 and alike[a, chain[-2]] >= alike[a, b]:
            b = chain[-2]
        if np.isneginf(alike[a, b]):
            chain.pop()
            finished.append(_close(alike, open_, members, a))
        elif len(chain) > 1 and b == chain[-2]:
            del chain[-2:]
            if alike[a, b] < LINK:
                finished += [_close(alike, open_, members, n) for n in (a, b)]
            else:
                _join(alike, sizes, open_, members, min(a, b), max(a, b))
        else:
            chain.append(b)
    return sorted(finished)


def _join(alike, sizes, open_, members, keep, gone):
    """Join group gone into group keep, averaging their likeness to the rest."""
    total = sizes[keep] + sizes[gone]
    merged = (sizes[keep] * alike[keep] + sizes[gone] * alike[gone]) / total
    alike[keep, :], alike[:, keep] = merged, merged
    alike[keep, keep] = -np.inf
    alike[gone, :], alike[:, gone] = -np.inf, -np.inf
    sizes[keep] = total
    members[keep] += members[gone]
    open_[gone] = False


def _close(alike, open_, members, group) -> list[int]:
    """Set a group aside for good and return its points."""
    alike[group, :], alike[:, group] = -np.inf, -np.inf
    open_[group] = False
    return sorted(members[group])


def candidate_key(words) -> str:
    """Return the short hash that names a candidate with these terms."""
    joined = ";".join(sorted(words))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:10]


def already_decided(candidate: Candidate, decided) -> bool:
    """Tell whether a candidate is a decided one again: same key or half its terms.

    `decided` holds (key, terms) of candidates staff named or discarded; new
    answers can shift a group's terms a little, and it should stay decided.
    """
    words = set(candidate.words)
    for key, terms in decided:
        if key == candidate.key or 2 * len(words & set(terms)) >= len(words):
            return True
    return False
