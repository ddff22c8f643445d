"""Cut normalised answers into words with jieba and the children's dictionary.

The jieba dictionary and `data/userdict.txt` load once per process, on the
first call, into a tokenizer of our own so that other users of jieba in the
same process are not affected. jieba's HMM guesser for unknown words is off:
it glues children's misspellings into odd words, and the user dictionary
names the words that matter here; cutting is also a quarter faster without it.
"""

import logging
import threading
from functools import lru_cache
from pathlib import Path

import jieba

from analysis.segment import Segmenter
from analysis.text import normalise
from core import DATA_DIR

log = logging.getLogger(__name__)

USERDICT_PATH = DATA_DIR / "userdict.txt"
STOPWORDS_PATH = DATA_DIR / "stopwords.txt"

#: pieces jieba cuts off on their own that are not words: it yields other
#: characters than Chinese, letters and digits one by one, and normalised text
#: has single spaces
_SKIP = frozenset(
    " \t\n，。！？、；：“”‘’（）《》【】—…·,.!?;:'\"()[]{}<>/\\|-_=+*&^%$#@~`"
)
_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_segmenter: Segmenter | None = None


def tokenizer() -> jieba.Tokenizer:
    """Return the process's tokenizer, loading the dictionaries on first use."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                _tokenizer = _build(USERDICT_PATH)
    return _tokenizer


def segmenter() -> Segmenter:
    """Return the process's fast segmenter over the loaded tokenizer."""
    global _segmenter
    if _segmenter is None:
        built = Segmenter(tokenizer())
        with _lock:
            _segmenter = _segmenter or built
    return _segmenter


def _build(userdict: Path) -> jieba.Tokenizer:
    """Load jieba's dictionary and the user dictionary into a new tokenizer."""
    jieba.setLogLevel(logging.WARNING)
    built = jieba.Tokenizer()
    built.initialize()
    if userdict.exists():
        with userdict.open("rb") as words:
            built.load_userdict(words)
        log.info("Tokenizer loaded with user dictionary %s", userdict.name)
    else:
        log.warning("User dictionary %s missing; jieba's alone used", userdict)
    return built


@lru_cache(maxsize=8192)
def _cut(normalised: str) -> tuple[str, ...]:
    """Cut already normalised text into words, dropping spaces and punctuation."""
    if not normalised:
        return ()
    pieces = segmenter().cut(normalised)
    return tuple([piece for piece in pieces if piece not in _SKIP])


def tokens(text: str) -> list[str]:
    """Return the words of an answer, normalised and cut by jieba."""
    return list(_cut(normalise(text)))


def tokens_normalised(normalised: str) -> tuple[str, ...]:
    """Return the words of text that `normalise` has already been applied to."""
    return _cut(normalised)


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Return the function words listed in data/stopwords.txt."""
    if not STOPWORDS_PATH.exists():
        return frozenset()
    lines = STOPWORDS_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def content_words(text: str) -> list[str]:
    """Return the words of an answer without stopwords."""
    skip = stopwords()
    return [word for word in tokens(text) if word not in skip]
