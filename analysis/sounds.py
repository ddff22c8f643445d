"""Read homophone slips and typed pinyin as the codebook words they sound like.

Children write a character that sounds like the one they mean (公圆 for 公园,
秋迁 for 秋千, 图书官 for 图书馆) and type pinyin for words they cannot write
(wo xiang qu tushuguan). Each answer is read a second time as a string of
toneless syllables, one code point a syllable, so that it lines up with the
text; where the syllables spell a codebook word that is not written out, the
span is read as that word.

Real words are left alone: a span that is itself a common dictionary word
(收集 is not 手机), one that cuts through a word of the answer (老公原来 holds no 公园),
and one with no character in common with the word it sounds like (谁吃 is not
水池) is not read as a keyword. Typed pinyin has no such characters to compare,
so only runs of letters that split wholly into syllables are read.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import ahocorasick
from pypinyin.pinyin_dict import pinyin_dict

#: the first code point standing for a syllable (the Private Use Area)
_BASE = 0xE000
_CJK = re.compile(r"[\u3400-\u9fff]+")
_LETTERS = re.compile(r"[a-z]+(?: [a-z]+)*")
#: how long a pinyin syllable can be (zhuang, shuang)
_LONGEST = 6
#: a span that is a dictionary word counted more often than this is meant as
#: written (收集 is not 手机); rarer entries are mostly slips (图书管, 蓝球)
_RARE = 5
#: characters of everyday grammar: a text holding one is not guessed from its
#: sound (怀了 sounds like 坏了), nor is one of them taken for a slip (老是 is
#: no slip for 老师)
_GRAMMAR = frozenset(
    "了的着过地得们吗呢吧啊个是有在不没也都就还又很太我你他她它被把让给到要"
)


@dataclass(frozen=True)
class Fix:
    """A span of an answer read as a codebook word."""

    written: str
    word: str

    def __str__(self) -> str:
        return f"{self.written}({self.word})"


@lru_cache(maxsize=1)
def _syllables() -> tuple[dict[int, str], dict[str, str]]:
    """Return each character's code and each toneless syllable's code."""
    codes: dict[str, str] = {}
    table: dict[int, str] = {}
    for point, readings in pinyin_dict.items():
        syllable = _toneless(readings.split(",", 1)[0])
        if not syllable.isalpha():
            continue
        code = codes.setdefault(syllable, chr(_BASE + len(codes)))
        table[point] = code
    for typed, spelt in (("lue", "lve"), ("nue", "nve")):
        if spelt in codes:
            codes.setdefault(typed, codes[spelt])
    return table, codes


def _toneless(reading: str) -> str:
    """Return a pinyin reading without tone marks, ü written as v."""
    reading = reading.replace("ü", "v").replace("ǖ", "v").replace("ǘ", "v")
    reading = reading.replace("ǚ", "v").replace("ǜ", "v")
    decomposed = unicodedata.normalize("NFD", reading)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def encode(text: str) -> str:
    """Return `text` with each Chinese character replaced by its syllable's code."""
    table, _ = _syllables()
    return text.translate(table)


def syllable_code(syllable: str) -> str | None:
    """Return the code of a toneless pinyin syllable, or None if it is none."""
    _, codes = _syllables()
    return codes.get(syllable)


def split_pinyin(run: str) -> list[str] | None:
    """Split a run of letters into the fewest pinyin syllables, or None."""
    _, codes = _syllables()
    best: list[list[str] | None] = [[]] + [None] * len(run)
    for end in range(1, len(run) + 1):
        for size in range(1, min(_LONGEST, end) + 1):
            before = best[end - size]
            piece = run[end - size : end]
            shorter = best[end] is None or len(before or ()) + 1 < len(best[end])
            if before is not None and piece in codes and shorter:
                best[end] = [*before, piece]
    return best[len(run)]


class SoundsLike:
    """Find where an answer sounds like codebook words it does not spell out."""

    def __init__(self, words: Iterable[str], meant: Iterable[str] = ()):
        """Index `words`; `meant` are characters that, written, are never slips
        (树 is a keyword of its own, so 多点树 is no slip for 多点书)."""
        words = set(words)
        self._meant = frozenset(meant)
        self._slips = _automaton(w for w in words if _guessable(w))
        self._typed = _automaton(words)

    def correct(
        self,
        text: str,
        frequency: Callable[[str], int],
        bounds: Callable[[str], frozenset[int]],
    ) -> tuple[str, tuple[Fix, ...]]:
        """Return `text` with sound-alike spans read as codebook words, and the fixes.

        `frequency` gives a text's count in the word dictionary (0 for no word);
        `bounds` gives the offsets where the words of a text start and end.
        """
        if self._typed is None:
            return text, ()
        fixes = self._characters(text, frequency, bounds)
        if fixes:
            text = _replace(text, fixes)
        text, typed = self._pinyin(text, frequency)
        found = tuple(Fix(text_, word) for _, _, text_, word in fixes) + typed
        return text, found

    def _characters(self, text, frequency, bounds) -> list[tuple[int, int, str, str]]:
        """Return (start, end, written, word) of Chinese spans that sound like words."""
        if self._slips is None:
            return []
        found = []
        for end, words in self._slips.iter(encode(text)):
            start = end + 1 - len(words[0])
            span = text[start : end + 1]
            if span in words or frequency(span) > _RARE:
                continue
            word = _closest(span, words, frequency)
            if word:
                found.append((start, end + 1, span, word))
        if not found:
            return []
        edges = bounds(text)
        found = [
            f for f in found if _stands_apart(f, text, edges, self._meant, frequency)
        ]
        return _apart(found)

    def _pinyin(self, text: str, frequency) -> tuple[str, tuple[Fix, ...]]:
        """Read runs of typed pinyin that spell codebook words as those words."""
        if not _LETTERS.search(text):
            return text, ()
        fixes: list[Fix] = []

        def read(match: re.Match) -> str:
            run = match.group(0)
            syllables: list[str] = []
            for word in run.split(" "):
                split = split_pinyin(word)
                if not split:
                    return run
                # a syllable that starts a typed word carries the space before it
                syllables += [" " + split[0] if syllables else split[0], *split[1:]]
            if len(syllables) < 2:
                return run
            read_as, fixed = self._read_syllables(syllables, frequency)
            fixes.extend(fixed)
            return read_as if fixed else run

        text = _LETTERS.sub(read, text)
        return text, tuple(fixes)

    def _read_syllables(self, syllables, frequency) -> tuple[str, list[Fix]]:
        """Return syllables with the codebook words they spell written in characters."""
        _, codes = _syllables()
        encoded = "".join(codes[s.lstrip(" ")] for s in syllables)
        spans = []
        for end, words in self._typed.iter(encoded):
            start = end + 1 - len(words[0])
            if not _keeps_spacing(syllables, start, end + 1):
                continue
            typed = "".join(syllables[start : end + 1]).lstrip(" ")
            spans.append((start, end + 1, typed, max(words, key=frequency)))
        if not spans:
            return "".join(syllables), []
        pieces, fixes, position = [], [], 0
        for start, end, typed, word in _apart(spans):
            pieces.append("".join(syllables[position:start]))
            pieces.append(word)
            fixes.append(Fix(typed, word))
            position = end
        pieces.append("".join(syllables[position:]))
        return "".join(pieces), fixes


def _keeps_spacing(syllables: list[str], start: int, end: int) -> bool:
    """Tell whether syllables start:end fit the spaces the child typed.

    A word read inside one typed word may stand anywhere in it (children
    type whole phrases unspaced), but one read across a space must start
    and end where typed words do: xiwang you holds no wang you (网友).
    """
    if not any(syllables[i][0] == " " for i in range(start + 1, end)):
        return True
    starts = start == 0 or syllables[start][0] == " "
    return starts and (end == len(syllables) or syllables[end][0] == " ")


def _automaton(words: Iterable[str]) -> ahocorasick.Automaton | None:
    """Build an automaton over the syllable codes of the Chinese `words`."""
    spellings: dict[str, list[str]] = {}
    for word in words:
        if len(word) >= 2 and _CJK.fullmatch(word):
            code = encode(word)
            if _CJK.search(code) is None:
                spellings.setdefault(code, []).append(word)
    if not spellings:
        return None
    automaton = ahocorasick.Automaton()
    for code, written in spellings.items():
        automaton.add_word(code, tuple(sorted(set(written))))
    automaton.make_automaton()
    return automaton


def _guessable(word: str) -> bool:
    """Tell whether a codebook text may be guessed from a slip of its sound."""
    return _GRAMMAR.isdisjoint(word)


def _closest(span: str, words: tuple[str, ...], frequency) -> str | None:
    """Return the word sharing most characters in place with `span`, if any does.

    Two-character words must differ from the span in one character only.
    """
    best, best_key = None, (0, 0)
    for word in words:
        same = sum(a == b for a, b in zip(span, word, strict=True))
        if same and (len(word) > 2 or same == 1) and (same, frequency(word)) > best_key:
            best, best_key = word, (same, frequency(word))
    return best


def _stands_apart(found, text: str, edges, meant, frequency) -> bool:
    """Tell whether a span starts and ends between words, each slip a word alone.

    A character that jieba joins into a common word of the answer is written
    as meant (师 in 老师觉得 is no slip for 是); a rare dictionary entry made
    of a slip does not count (华华 in 华华梯).
    """
    start, end, written, word = found
    if start not in edges or end not in edges:
        return False
    slips = [i for i, (a, b) in enumerate(zip(written, word, strict=True)) if a != b]
    if any(written[i] in _GRAMMAR or written[i] in meant for i in slips):
        return False
    return all(_alone(start + i, text, edges, frequency) for i in slips)


def _alone(index: int, text: str, edges, frequency) -> bool:
    """Tell whether the character at `index` is a word, or in a rare one."""
    if index in edges and index + 1 in edges:
        return True
    left = max(edge for edge in edges if edge <= index)
    right = min(edge for edge in edges if edge > index)
    return frequency(text[left:right]) <= _RARE


def _apart(spans: list[tuple]) -> list[tuple]:
    """Keep the longest of overlapping spans, earliest first on a tie."""
    chosen: list[tuple] = []
    for span in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
        if all(span[1] <= c[0] or span[0] >= c[1] for c in chosen):
            chosen.append(span)
    return sorted(chosen)


def _replace(text: str, spans: list[tuple[int, int, str, str]]) -> str:
    """Return `text` with each span replaced by its word (of the same length)."""
    for start, end, _, word in reversed(spans):
        text = text[:start] + word + text[end:]
    return text
