"""Word frequencies of answers, for word clouds.

A word counts once per answer. Placeholders such as [学校] left by masking,
the note a facilitator puts before what a young child said (（辅导员记录）),
stopwords from data/stopwords.txt, single characters and words without a
Chinese character are left out; so are words fewer than `min_answers`
answers use, since a rare word can point to one child.
"""

import re
from collections import Counter

from analysis.tokenize import stopwords, tokens

PLACEHOLDER = re.compile(r"\[[^\]]{1,8}\]")
HAN = re.compile(r"[\u4e00-\u9fff]")
#: a facilitator's note of whose words follow, at the start of an answer
NOTE = re.compile(
    r"^\s*[(（【\[]\s*(?:辅导员|老师|志愿者|工作人员|家长)?\s*"
    r"(?:记录|代写|代填|代记|转述|口述)\s*[)）】\]]"
)


def children_words(text: str) -> str:
    """Return text without masking placeholders or a facilitator's leading note."""
    return PLACEHOLDER.sub(" ", NOTE.sub(" ", text or ""))


def answer_words(text: str, skip=frozenset()) -> set[str]:
    """Return the distinct content words of one answer."""
    cleaned = children_words(text)
    return {
        word
        for word in tokens(cleaned)
        if len(word) >= 2 and HAN.search(word) and word not in skip
    }


def word_frequencies(texts, top=150, min_answers=1) -> dict[str, int]:
    """Return the most frequent content words of texts: word -> answers using it."""
    skip = stopwords()
    counts = Counter()
    for text in texts:
        counts.update(answer_words(text, skip))
    kept = Counter({word: n for word, n in counts.items() if n >= min_answers})
    return dict(kept.most_common(top))
