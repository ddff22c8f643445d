"""Word frequencies of answers, for word clouds.

A word counts once per answer. Placeholders such as [学校] left by masking,
stopwords from data/stopwords.txt, single characters and words without a
Chinese character are left out; so are words fewer than `min_answers`
answers use, since a rare word can point to one child.
"""

import re
from collections import Counter

from analysis.tokenize import stopwords, tokens

PLACEHOLDER = re.compile(r"\[[^\]]{1,8}\]")
HAN = re.compile(r"[\u4e00-\u9fff]")


def answer_words(text: str, skip=frozenset()) -> set[str]:
    """Return the distinct content words of one answer."""
    cleaned = PLACEHOLDER.sub(" ", text or "")
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
