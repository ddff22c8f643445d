"""Word frequencies of answers, for word clouds."""

import re
from collections import Counter
from functools import lru_cache

from analysis.tokenize import tokens
from core import DATA_DIR

PLACEHOLDER = re.compile(r"\[[^\]]{1,8}\]")
HAN = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Return the words a cloud leaves out, from data/stopwords.txt."""
    path = DATA_DIR / "stopwords.txt"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def word_frequencies(texts, top=150) -> dict[str, int]:
    """Return the most frequent content words of texts, placeholders removed."""
    skip = stopwords()
    counts = Counter()
    for text in texts:
        cleaned = PLACEHOLDER.sub(" ", text)
        counts.update(
            word
            for word in set(tokens(cleaned))
            if len(word) >= 2 and HAN.search(word) and word not in skip
        )
    return dict(counts.most_common(top))
