"""Hear an answer by its sound, for the harm screen: typed pinyin and slips.

A child who cannot write 打 or 我 types pinyin (ba ba da wo, 爸爸打wo) or
writes a character that sounds the same (爸爸总是达我). The harm screen reads
such an answer a second time as heard: each typed syllable, and each
character that may be a slip, becomes one code standing for its toneless
sound, and the lexicon's rows are tried in a form where each Chinese
character also matches the codes it may be heard as (see
`analysis.screen`). Typed pinyin may be heard as any character of the
lexicon; a slip only as one of the characters of the lexicon's `{sounds}`
words, the words of harm.

A written character is taken for a slip only when no dictionary word of the
answer holds it (题 in 做题, 梯 in 滑梯 are meant), when it is no character
of the lexicon itself (大 in 大我三岁 is meant), when it is not grammar, and
when it is rarer than every character of `{sounds}` that sounds like it (走
is meant, not 揍).

A run of letters is heard only when every word of it splits wholly into
syllables, so English is left alone. Typed syllables are cut into words the
way jieba cuts characters, by the likeliest sequence of dictionary words of
the same sound, and a match in what was typed must start and end between
two words: zhou mo wo is 周末我, and its mo wo is not heard as 摸我.
"""

import re
from collections.abc import Iterable
from functools import cached_property, lru_cache
from math import log
from typing import NamedTuple

from pypinyin.pinyin_dict import pinyin_dict

from analysis.sounds import encode, syllable_code
from analysis.tokenize import tokenizer

#: how far the code of a slip lies from the code of its syllable: a typed
#: syllable may be any character of that sound, a slip only a word of harm
_SLIP_SHIFT = 0x1000
#: the longest dictionary word looked for around a possible slip or in pinyin
_LONGEST_WORD = 4
#: the longest pinyin syllable (zhuang, shuang)
_LONGEST_SYLLABLE = 6
#: a dictionary word counted this often is a word the cut of pinyin knows
_COMMON = 100
#: how often a phrase of the lexicon counts when pinyin is cut into words: as
#: a common word, so that it wins over a rarer cut of the same syllables
#: (you ren da wo is 有人打我, not 有人大我) but not over a far commoner one
#: (zhou mo wo is 周末我, not 周摸我)
_PHRASE = 10_000
#: characters of everyday grammar, never taken for slips
_GRAMMAR = frozenset(
    "了的着过地得们吗呢吧啊呀哦嘛个是有在不没也都就还又很太我你他她它被把让给到要"
)
#: a typed word: letters, with a tone digit after any syllable (ba4ba4)
_WORD = r"(?:[a-z]+[1-5])*[a-z]+[1-5]?(?![a-z0-9])"
#: a run of typed words, one space apart
_RUN = re.compile(rf"(?<![a-z0-9]){_WORD}(?: {_WORD})*")
_PIECE = re.compile(r"[a-z]+")
_HEARD_CHAR = re.compile(r"[\u3400-\u9fff\ue000-\uf8ff]")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
_SOUND = re.compile(r"[\ue000-\uf8ff]+")


class _Run(NamedTuple):
    """A run of typed pinyin: its bounds, codes and where each syllable starts."""

    start: int
    end: int
    codes: str
    starts: list[int]
    #: for each syllable, whether it goes on a word begun before it
    inside: list[bool]


class Heard(NamedTuple):
    """An answer as heard, and where each of its characters was written."""

    text: str
    #: for each character of `text`, and for its end, an offset in the answer
    origin: tuple[int, ...]
    #: offsets in `text` of typed syllables that go on a word begun before them
    inside: frozenset[int] = frozenset()

    def cuts(self, start: int, end: int) -> bool:
        """Tell whether text[start:end] starts or ends within a typed word."""
        return start in self.inside or end in self.inside


class Ear:
    """Hear answers as a lexicon would sound, given its characters and words."""

    def __init__(self, patterns: Iterable[str], words: Iterable[str]):
        """`patterns` are the lexicon's rows, `words` its words of harm."""
        patterns = list(patterns)
        self._written = frozenset(ch for p in patterns for ch in p if _sound(ch))
        self._keys = frozenset(ch for word in words for ch in word if _sound(ch))
        self._phrases = frozenset(
            encode(run[start : start + size])
            for p in patterns
            for run in _CJK_RUN.findall(p)
            for size in range(2, _LONGEST_WORD + 1)
            for start in range(len(run) - size + 1)
        )

    def sounds(self, char: str) -> str:
        """Return the codes a lexicon character matches besides itself."""
        code = _sound(char)
        if not code:
            return ""
        if char in self._keys:
            return code + _slip(code)
        return code

    def hear(self, text: str) -> Heard | None:
        """Return `text` as heard, or None if it holds no pinyin and no slip."""
        slips = self._slips_in(text)
        runs = _pinyin_runs(text, self._phrases)
        if not slips and not runs:
            return None

        chars = list(text)
        for index in slips:
            chars[index] = _slip(_sound(text[index]))
        pieces: list[str] = []
        origin: list[int] = []
        inside: list[bool] = []
        last = 0
        for run in runs:
            pieces += chars[last : run.start] + list(run.codes)
            origin += [*range(last, run.start), *run.starts]
            inside += [False] * (run.start - last) + run.inside
            last = run.end
        pieces += chars[last:]
        origin += range(last, len(text) + 1)
        inside += [False] * (len(text) - last)
        return _joined(pieces, origin, inside)

    @cached_property
    def _slips(self) -> frozenset[str]:
        """Return the characters that may stand for a key character by sound."""
        frequency = tokenizer().FREQ
        rarest: dict[str, int] = {}
        for key in self._keys:
            code = _sound(key)
            rarest[code] = min(rarest.get(code, 1 << 62), frequency.get(key) or 0)
        slips = set()
        for point in pinyin_dict:
            char = chr(point)
            code = _sound(char)
            if (
                code in rarest
                and char not in self._written
                and char not in _GRAMMAR
                and (frequency.get(char) or 0) < rarest[code]
            ):
                slips.add(char)
        return frozenset(slips)

    def _slips_in(self, text: str) -> list[int]:
        """Return the offsets of possible slips that no word of `text` holds."""
        if self._slips.isdisjoint(text):
            return []
        frequency = tokenizer().FREQ
        return [
            index
            for index, char in enumerate(text)
            if char in self._slips and not _in_word(text, index, frequency)
        ]


def _sound(char: str) -> str:
    """Return the code of a Chinese character's syllable, or ""."""
    code = encode(char)
    return "" if code == char else code


def _slip(code: str) -> str:
    """Return the code of a slip that sounds like the syllable `code`."""
    return chr(ord(code) + _SLIP_SHIFT)


def _in_word(text: str, index: int, frequency) -> bool:
    """Tell whether a dictionary entry of two to four characters holds `index`."""
    for size in range(2, _LONGEST_WORD + 1):
        for start in range(max(0, index - size + 1), index + 1):
            word = text[start : start + size]
            if len(word) == size and frequency.get(word):
                return True
    return False


def _pinyin_runs(text: str, phrases: frozenset[str]) -> list[_Run]:
    """Return the runs of typed pinyin in `text`, cut into syllables and words.

    A run is heard only when each of its words splits wholly into syllables.
    """
    if not _PIECE.search(text):
        return []
    runs = []
    for run in _RUN.finditer(text):
        cut = _cut(run.group(), phrases)
        if cut:
            codes, starts, inside = cut
            starts = [run.start() + start for start in starts]
            runs.append(_Run(run.start(), run.end(), codes, starts, inside))
    return runs


def _cut(run: str, phrases: frozenset[str]):
    """Cut typed letters into syllables and words at once, the likeliest way.

    Words are dictionary words of the same sound, scored as jieba scores
    characters (a phrase of the lexicon counts as a common word), so that
    genansheng is ge nansheng (个男生), not gen an sheng. Return the codes,
    where each syllable starts and whether it goes on a word begun before
    it; or None when the letters are not all pinyin.
    """
    letters, where, stops = "", [], set()
    for piece in _PIECE.finditer(run):
        stops.add(len(letters))
        letters += piece.group()
        where += range(piece.start(), piece.end())
    stops.add(len(letters))
    syllables = _syllables_from(letters, stops)

    # best[end] = (score, start of the last word, its syllables' starts, codes)
    best: dict[int, tuple[float, int, list[int], str]] = {0: (0.0, 0, [], "")}
    for start in range(len(letters)):
        if start not in best:
            continue
        stack = [(start, [], "")]
        while stack:
            position, begun, codes = stack.pop()
            for end, code in syllables[position]:
                word, begins = codes + code, [*begun, position]
                score = _word_score(word, phrases)
                total = None if score is None else best[start][0] + score
                if total is not None and (end not in best or total > best[end][0]):
                    best[end] = (total, start, begins, word)
                if len(word) < _LONGEST_WORD:
                    stack.append((end, begins, word))
    if len(letters) not in best:
        return None

    words, end = [], len(letters)
    while end:
        _, start, begins, word = best[end]
        words.append((begins, word))
        end = start
    codes, starts, inside = "", [], []
    for begins, word in reversed(words):
        codes += word
        starts += [where[position] for position in begins]
        inside += [False] + [True] * (len(word) - 1)
    return codes, starts, inside


def _syllables_from(letters: str, stops: set[int]) -> list[list[tuple[int, str]]]:
    """Return, for each offset, the (end, code) of each syllable starting there.

    A syllable does not run over a space or a tone digit (`stops`).
    """
    found: list[list[tuple[int, str]]] = [[] for _ in range(len(letters) + 1)]
    for start in range(len(letters)):
        limit = min(stop for stop in stops if stop > start)
        for end in range(start + 1, min(start + _LONGEST_SYLLABLE, limit) + 1):
            code = syllable_code(letters[start:end])
            if code:
                found[start].append((end, code))
    return found


def _word_score(codes: str, phrases: frozenset[str]) -> float | None:
    """Return the log share of a word of these sounds, or None for no word."""
    words = _dictionary_by_sound()
    score = words.get(codes)
    if codes in phrases:
        return _share(_PHRASE) if score is None else max(score, _share(_PHRASE))
    if score is None and len(codes) == 1:
        return min(words.values())
    return score


@lru_cache(maxsize=1)
def _dictionary_by_sound() -> dict[str, float]:
    """Return the log share of the commonest dictionary word of each sound.

    Words of one character count however rare; longer ones when common.
    """
    counts: dict[str, int] = {}
    for word, count in tokenizer().FREQ.items():
        if not count or len(word) > _LONGEST_WORD:
            continue
        if len(word) > 1 and count < _COMMON:
            continue
        code = encode(word)
        if _SOUND.fullmatch(code) and count > counts.get(code, 0):
            counts[code] = count
    return {code: _share(count) for code, count in counts.items()}


def _share(count: int) -> float:
    """Return the log of a dictionary count's share of all counted words."""
    return log(count) - log(tokenizer().total)


def _joined(pieces: list[str], origin: list[int], inside: list[bool]) -> Heard:
    """Drop spaces between Chinese or heard characters, as the screen does."""
    kept = [
        index
        for index, char in enumerate(pieces)
        if char != " "
        or not (
            0 < index < len(pieces) - 1
            and _HEARD_CHAR.match(pieces[index - 1])
            and _HEARD_CHAR.match(pieces[index + 1])
        )
    ]
    return Heard(
        "".join(pieces[index] for index in kept),
        (*(origin[index] for index in kept), origin[-1]),
        frozenset(new for new, old in enumerate(kept) if inside[old]),
    )
